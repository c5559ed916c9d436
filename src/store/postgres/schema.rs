//! Numbered SQL migrations embedded in the binary, applied in one transaction under a lock row and
//! recorded with their checksums, so two processes starting at once migrate once, an edited
//! migration is noticed, and a binary older than the database refuses to touch it.

use super::super::{Result, StoreError};

/// Every migration: its number, name and SQL.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "init", include_str!("migrations/0001_init.sql")),
    (2, "exchange_log_running_bytes", include_str!("migrations/0002_exchange_log_running_bytes.sql")),
];

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

/// Brings the schema up to [`latest`].
pub async fn migrate(client: &mut deadpool_postgres::Client, server: &str) -> Result<()> {
    let db = |e: tokio_postgres::Error| match e.as_db_error() {
        Some(d) => StoreError::Db(format!("обновление схемы базы {server}: {} ({})", d.message(), d.code().code())),
        None => StoreError::Unreachable { server: server.to_string(), reason: e.to_string() },
    };
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
        .or_else(|e| if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) { Ok(()) } else { Err(e) })
        .map_err(db)?;
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE", &[]).await.map_err(db)?;
    let rows = tx.query("SELECT version, checksum FROM schema_migrations ORDER BY version", &[]).await.map_err(db)?;
    let done: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    if let Some(&(newest, _)) = done.last()
        && newest > latest()
    {
        return Err(StoreError::NewerDatabase { server: server.to_string(), found: newest, supported: latest() });
    }
    for (version, name, sql) in MIGRATIONS {
        match done.iter().find(|(v, _)| v == version) {
            Some((_, sum)) if *sum != checksum(sql) => {
                return Err(StoreError::Db(format!(
                    "миграция {version} ({name}) в базе {server} отличается от той, что знает эта версия skvoz: обратитесь в поддержку"
                )));
            }
            Some(_) => {}
            None => {
                tx.batch_execute(sql).await.map_err(db)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    &[version, name, &checksum(sql)],
                )
                .await
                .map_err(db)?;
                tracing::info!("база {server}: применена миграция {version} ({name})");
            }
        }
    }
    tx.commit().await.map_err(db)
}
