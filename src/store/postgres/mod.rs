//! The PostgreSQL backend: one database shared by the service, every window and the CLI.
//!
//! Records are kept whole as `jsonb` (the JSON the embedded store keeps) beside the columns that
//! queries, uniqueness and order need. Every write is one transaction, retried on serialization
//! failures, deadlocks and the unique violations of a concurrent twin; it records what it changed
//! in `change_log` and wakes the other processes with one `NOTIFY` (see [`feed`]). Durable at commit.

/// `transact!(store, |tx| { body })`: runs the body (an async block returning [`TxResult`], `tx` a
/// `&Transaction`) in a transaction and commits; tries again, with a short backoff, when PostgreSQL
/// says a retry may succeed: a serialization failure, a deadlock, or a unique key a concurrent twin
/// just took. A macro, not a closure, so that the futures stay `Send`.
macro_rules! transact {
    ($store:expr, |$tx:ident| $body:block) => {{
        let store = &$store;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome: $crate::store::postgres::TxResult<_> = async {
                let mut client = store.connection().await?;
                let transaction = client.transaction().await?;
                let value = {
                    let $tx = &transaction;
                    let inner: $crate::store::postgres::TxResult<_> = async $body.await;
                    inner?
                };
                transaction.commit().await?;
                Ok(value)
            }
            .await;
            match outcome {
                Ok(value) => break Ok(value),
                Err(e) if $crate::store::postgres::PgStore::retry(&e, attempt) => {
                    $crate::store::postgres::PgStore::backoff(attempt).await
                }
                Err(e) => break Err(store.failed(e)),
            }
        }
    }};
}

mod backup;
mod catalog;
mod exchange;
mod facts;
mod feed;
mod history;
mod intake;
mod leads;
mod people;
mod plans;
mod schema;

pub use people::group_name;
pub use schema::SchemaStatus;

use super::{Result, StoreError, StoreEvent};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Transaction};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_postgres::error::SqlState;

/// How often a write transaction is tried before its error is returned.
const ATTEMPTS: u32 = 8;
/// Every statement ends within this, so nothing waits for ever on a lock or a lost server.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A handle to the team database; cheap to clone.
#[derive(Clone)]
pub struct PgStore(Arc<Inner>);

struct Inner {
    pool: Pool,
    /// The server and database, for people (never the password).
    server: String,
    /// The login this store connects as: the author of its history entries.
    login: String,
    events: broadcast::Sender<StoreEvent>,
    exchange_capacity: AtomicUsize,
    exchange_max_bytes: AtomicU64,
    /// What the signed-in login may do of the upkeep `open` and the feed do by themselves.
    rights: std::sync::OnceLock<people::Rights>,
}

/// An error inside a transaction: the store's own, or PostgreSQL's (which may be retried).
pub(super) enum TxError {
    Store(StoreError),
    Pg(tokio_postgres::Error),
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

impl From<tokio_postgres::Error> for TxError {
    fn from(e: tokio_postgres::Error) -> Self {
        TxError::Pg(e)
    }
}

pub(super) type TxResult<T> = std::result::Result<T, TxError>;

/// The server part of a connection string, without the password.
pub fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().map(|p| format!(":{p}")).unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    format!("postgresql://{user}{}{port}/{db}", hosts.join(","))
}

impl PgStore {
    /// Connects, creates or migrates the schema, and starts the change feed.
    pub async fn open(database: &super::Database) -> Result<PgStore> {
        let mut config = database.config.clone();
        let tls = database.connector().map_err(|e| StoreError::Invalid(e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.options(format!("-c statement_timeout={}", STATEMENT_TIMEOUT.as_millis()));
        config.application_name("skvoz");
        let server = describe(&config);
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(8)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Invalid(format!("Не удалось настроить подключение к базе {server}: {e}")))?;
        let (events, _) = broadcast::channel(4096);
        let store = PgStore(Arc::new(Inner {
            pool,
            server,
            login: config.get_user().unwrap_or_default().to_string(),
            events,
            exchange_capacity: AtomicUsize::new(super::EXCHANGE_CAPACITY),
            exchange_max_bytes: AtomicU64::new(crate::domain::DEFAULT_EXCHANGE_LOG_MAX_BYTES),
            rights: std::sync::OnceLock::new(),
        }));
        {
            let mut client = store.connection().await?;
            schema::migrate(&mut client, &store.0.server).await?;
            let rights = people::Rights::of_session(&**client).await.map_err(|e| store.pg_error(e))?;
            let _ = store.0.rights.set(rights);
        }
        // A person's login may neither write nor (a marketer) read the settings: the owner's or
        // an admin's first open has done this.
        let rights = store.rights();
        if rights.write_settings {
            store.ensure_service_password().await?;
        }
        if rights.read_settings {
            store.apply_exchange_settings().await?;
        }
        // From here on, what changes is news to this process's subscribers.
        feed::start(store.clone(), config, tls).await?;
        Ok(store)
    }

    /// The schema's migrations in a database, read without migrating it.
    pub async fn schema_status(database: &super::Database) -> Result<schema::SchemaStatus> {
        let server = database.describe();
        let tls = database.connector().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let fail = |e: tokio_postgres::Error| {
            if login_refused(&e) {
                StoreError::LoginRefused { server: server.clone(), reason: full_text(&e) }
            } else {
                StoreError::Unreachable { server: server.clone(), reason: e.to_string() }
            }
        };
        let (client, connection) = database.config.connect(tls).await.map_err(fail)?;
        let driver = tokio::spawn(connection);
        let status = schema::status(&client).await.map_err(|e| StoreError::Db(e.to_string()));
        drop(client);
        let _ = driver.await;
        status
    }

    pub async fn size_on_disk(&self) -> Result<u64> {
        let rows = self.query("SELECT pg_database_size(current_database())", &[]).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    pub fn server(&self) -> &str {
        &self.0.server
    }

    /// The login this store connects as.
    pub fn login(&self) -> String {
        self.0.login.clone()
    }

    fn rights(&self) -> people::Rights {
        self.0.rights.get().copied().unwrap_or(people::Rights::ALL)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<StoreEvent> {
        self.0.events.subscribe()
    }

    pub(super) fn emit(&self, event: StoreEvent) {
        let _ = self.0.events.send(event);
    }

    pub(super) async fn connection(&self) -> Result<deadpool_postgres::Client> {
        self.0.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => self.pg_error(e),
            other => self.unreachable(other.to_string()),
        })
    }

    fn unreachable(&self, reason: String) -> StoreError {
        StoreError::Unreachable { server: self.0.server.clone(), reason }
    }

    /// A PostgreSQL error for people.
    pub(super) fn pg_error(&self, e: tokio_postgres::Error) -> StoreError {
        if login_refused(&e) {
            return StoreError::LoginRefused { server: self.0.server.clone(), reason: full_text(&e) };
        }
        match e.as_db_error() {
            Some(db) if db.code() == &SqlState::INSUFFICIENT_PRIVILEGE => {
                StoreError::Forbidden(db.message().to_string())
            }
            Some(db) => StoreError::Db(format!("{} ({})", db.message(), db.code().code())),
            None if full_text(&e).contains("certificate") => StoreError::Invalid(format!(
                "Сертификат сервера {} не прошёл проверку ({}): укажите в адресе sslrootcert с сертификатом центра, \
                 выдавшего сертификат сервера, или обратитесь к администратору базы",
                self.0.server,
                full_text(&e)
            )),
            None if e.is_closed() || is_io(&e) => self.unreachable(full_text(&e)),
            // The cause holds the useful part ("invalid configuration: password missing").
            None => StoreError::Db(full_text(&e)),
        }
    }

    fn tx_error(&self, e: TxError) -> StoreError {
        match e {
            TxError::Store(e) => e,
            TxError::Pg(e) => self.pg_error(e),
        }
    }

    /// Waits before the next try of a transaction that may succeed again.
    pub(super) async fn backoff(attempt: u32) {
        tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt * attempt))).await;
    }

    pub(super) fn retry(e: &TxError, attempt: u32) -> bool {
        matches!(e, TxError::Pg(e) if attempt < ATTEMPTS && retryable(e))
    }

    pub(super) fn failed(&self, e: TxError) -> StoreError {
        self.tx_error(e)
    }

    /// Reads outside a transaction.
    pub(super) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>> {
        let client = self.connection().await?;
        let statement = client.prepare_cached(sql).await.map_err(|e| self.pg_error(e))?;
        client.query(&statement, params).await.map_err(|e| self.pg_error(e))
    }
}

/// The error with its causes, which hold the useful part (a refused connection, a certificate).
/// A wrong or missing password, or a login that may not sign in (disabled, or not of this
/// database).
fn login_refused(e: &tokio_postgres::Error) -> bool {
    let code = e.as_db_error().map(|db| db.code().clone());
    code == Some(SqlState::INVALID_PASSWORD)
        || code == Some(SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
        || full_text(e).contains("password missing")
}

fn full_text(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// A lost or refused connection (as opposed to a statement PostgreSQL did not accept).
fn is_io(e: &tokio_postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if cause.is::<std::io::Error>() {
            return true;
        }
        source = cause.source();
    }
    e.to_string().contains("timed out")
}

fn retryable(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if c == &SqlState::T_R_SERIALIZATION_FAILURE
            || c == &SqlState::T_R_DEADLOCK_DETECTED
            || c == &SqlState::UNIQUE_VIOLATION
    )
}

/// Takes `n` consecutive values of a named counter (as the embedded store's counters: the first
/// value is 1) and returns the first.
pub(super) async fn take(tx: &Transaction<'_>, name: &str, n: u64) -> TxResult<u64> {
    let n = n as i64;
    let statement = tx
        .prepare_cached(
            "INSERT INTO counters (name, next) VALUES ($1, 1 + $2::bigint) \
             ON CONFLICT (name) DO UPDATE SET next = counters.next + $2::bigint RETURNING next - $2::bigint",
        )
        .await?;
    let row = tx.query_one(&statement, &[&name, &n]).await?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// A stored record from its `jsonb` column.
pub(super) fn record<T: serde::de::DeserializeOwned>(row: &tokio_postgres::Row, column: usize) -> Result<T> {
    let tokio_postgres::types::Json(value) = row
        .try_get::<_, tokio_postgres::types::Json<T>>(column)
        .map_err(|e| StoreError::Corrupt { what: "записи в базе".into(), reason: e.to_string() })?;
    Ok(value)
}
