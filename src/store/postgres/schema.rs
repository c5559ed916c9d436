//! Numbered SQL migrations embedded in the binary, applied in one transaction under a lock row and
//! recorded with their checksums, so two processes starting at once migrate once, an edited
//! migration is noticed, and a binary older than the database refuses to touch it. A schema that
//! is up to date is only read, so a person without the owner's rights opens it.
//!
//! Names that depend on the database (the team's group roles) are written in a migration as
//! psql's variables are, `:"name"` for an identifier and `:'name'` for a literal, and filled in
//! here; the checksum is of the file as written, the same for every database.

use super::super::{Result, StoreError};
use super::people::GroupNames;
use tokio_postgres::error::SqlState;

/// Every migration: its number, name and SQL.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "init", include_str!("migrations/0001_init.sql")),
    (2, PEOPLE, include_str!("migrations/0002_people.sql")),
    (3, "history", include_str!("migrations/0003_history.sql")),
    (4, "exchange_log_running_bytes", include_str!("migrations/0004_exchange_log_running_bytes.sql")),
    (5, "fact_sums", include_str!("migrations/0005_fact_sums.sql")),
    (6, "plans", include_str!("migrations/0006_plans.sql")),
    (7, "alerts_sent", include_str!("migrations/0007_alerts_sent.sql")),
    (8, "alert_reads", include_str!("migrations/0008_alert_reads.sql")),
];

/// The migration that creates the team's group roles.
const PEOPLE: &str = "people";

/// The schema version this binary writes.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// FNV-1a of the SQL: enough to notice an edited migration.
fn checksum(sql: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sql.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// What `skvoz db status` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The migrations applied, with when.
    pub applied: Vec<(i32, String, jiff::Timestamp)>,
    /// The newest schema this binary knows.
    pub latest: i32,
}

impl SchemaStatus {
    pub fn version(&self) -> i32 {
        self.applied.last().map_or(0, |m| m.0)
    }
}

/// Reads the applied migrations without changing anything.
pub async fn status(client: &tokio_postgres::Client) -> std::result::Result<SchemaStatus, tokio_postgres::Error> {
    let exists = client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await?.get::<_, bool>(0);
    let applied = if exists {
        let rows =
            client.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version", &[]).await?;
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
    } else {
        Vec::new()
    };
    Ok(SchemaStatus { applied, latest: latest() })
}

/// The applied migrations, checked against this binary's: `true` when there is nothing to apply.
fn up_to_date(done: &[(i32, String)], server: &str) -> Result<bool> {
    if let Some(&(newest, _)) = done.last()
        && newest > latest()
    {
        return Err(StoreError::NewerDatabase { server: server.to_string(), found: newest, supported: latest() });
    }
    for (version, name, sql) in MIGRATIONS {
        if let Some((_, sum)) = done.iter().find(|(v, _)| v == version)
            && *sum != checksum(sql)
        {
            return Err(StoreError::Db(format!(
                "миграция {version} ({name}) в базе {server} отличается от той, что знает эта версия skvoz: обратитесь в поддержку"
            )));
        }
    }
    Ok(MIGRATIONS.iter().all(|(version, _, _)| done.iter().any(|(v, _)| v == version)))
}

/// A migration's SQL with this database's names filled in.
fn prepared(sql: &str, names: &GroupNames) -> String {
    let mut sql = sql.to_string();
    for (key, value) in names.placeholders() {
        sql = sql.replace(&format!(":\"{key}\""), &quote_ident(&value));
        sql = sql.replace(&format!(":'{key}'"), &quote_literal(&value));
    }
    sql
}

pub(super) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What went wrong while migrating, for the person who ran it.
fn migration_error(e: tokio_postgres::Error, server: &str, migration: Option<(i32, &str)>) -> StoreError {
    let Some(d) = e.as_db_error() else {
        return StoreError::Unreachable { server: server.to_string(), reason: e.to_string() };
    };
    let reason = format!("{} ({})", d.message(), d.code().code());
    // The migration that creates the team's roles needs more than the others.
    match (d.code(), migration) {
        (c, Some((version, name))) if name == PEOPLE && c == &SqlState::INSUFFICIENT_PRIVILEGE => {
            StoreError::Invalid(format!(
                "Схему базы {server} нельзя обновить до версии {version} (пользователи и права): {reason}. Её обновляет \
             владелец базы с правом создавать роли: sudo -u postgres psql -c 'ALTER ROLE <владелец базы> CREATEROLE', \
             затем снова skvoz db migrate"
            ))
        }
        (c, Some((version, name))) if name == PEOPLE && c == &SqlState::DUPLICATE_OBJECT => {
            StoreError::Invalid(format!(
                "Схему базы {server} нельзя обновить до версии {version}: {reason}. Роли с такими именами остались от \
             удалённой базы с тем же именем; удалите их (DROP ROLE) или создайте базу с другим именем"
            ))
        }
        (c, _) if c == &SqlState::INSUFFICIENT_PRIVILEGE => StoreError::Invalid(format!(
            "Схема базы {server} устарела, а у этого пользователя нет прав её обновить ({reason}): попросите \
             владельца базы выполнить skvoz db migrate"
        )),
        _ => StoreError::Db(format!("обновление схемы базы {server}: {reason}")),
    }
}

async fn applied(client: &tokio_postgres::Client) -> std::result::Result<Vec<(i32, String)>, tokio_postgres::Error> {
    let exists = client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await?.get::<_, bool>(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client.query("SELECT version, checksum FROM schema_migrations ORDER BY version", &[]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Brings the schema up to [`latest`].
pub async fn migrate(client: &mut deadpool_postgres::Client, server: &str) -> Result<()> {
    let db = |e: tokio_postgres::Error| migration_error(e, server, None);
    // An up-to-date schema is only read: people's logins may not write the bookkeeping tables.
    if up_to_date(&applied(client).await.map_err(db)?, server)? {
        return Ok(());
    }
    // The bookkeeping tables may be created by two processes at once: one wins, the other waits
    // for the lock row below and then sees everything applied.
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, \
             checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
             CREATE TABLE IF NOT EXISTS schema_lock (id integer PRIMARY KEY);
             INSERT INTO schema_lock (id) VALUES (1) ON CONFLICT DO NOTHING;",
        )
        .await
        .or_else(|e| if e.code() == Some(&SqlState::UNIQUE_VIOLATION) { Ok(()) } else { Err(e) })
        .map_err(db)?;
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE", &[]).await.map_err(db)?;
    let rows = tx.query("SELECT version, checksum FROM schema_migrations ORDER BY version", &[]).await.map_err(db)?;
    let done: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    if up_to_date(&done, server)? {
        return Ok(());
    }
    let names = GroupNames::of_session(&*tx).await.map_err(db)?;
    for (version, name, sql) in MIGRATIONS {
        if done.iter().any(|(v, _)| v == version) {
            continue;
        }
        let failed = |e| migration_error(e, server, Some((*version, name)));
        tx.batch_execute(&prepared(sql, &names)).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[version, name, &checksum(sql)],
        )
        .await
        .map_err(failed)?;
        tracing::info!("база {server}: применена миграция {version} ({name})");
    }
    tx.commit().await.map_err(db)
}
