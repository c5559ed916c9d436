//! The embedded backend: sled in the data folder, for one person on one computer.
//!
//! Writes are serialized by one mutex (they are microseconds long); durability comes from
//! [`SledStore::durable`], a group commit that lets many writers share one flush, and for lead intake
//! from the intake journal ([`journal`]), which needs no flush of sled.

mod backup;
mod catalog;
mod codec;
mod durability;
mod exchange;
mod export;
mod facts;
mod history;
mod intake;
mod journal;
mod leads;
mod migrate;
mod plans;

pub use exchange::ExchangeScan;
pub use migrate::SCHEMA_VERSION;

use super::{Result, StoreError, StoreEvent, permissions};
use durability::GroupCommit;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

struct Trees {
    meta: sled::Tree,
    leads: sled::Tree,
    leads_by_created: sled::Tree,
    leads_by_updated: sled::Tree,
    leads_by_roistat: sled::Tree,
    clients: sled::Tree,
    clients_by_phone: sled::Tree,
    clients_by_email: sled::Tree,
    calls: sled::Tree,
    calls_by_roistat: sled::Tree,
    facts: sled::Tree,
    fact_markers: sled::Tree,
    exchange: sled::Tree,
    history: sled::Tree,
    history_by_object: sled::Tree,
    plans: sled::Tree,
    catalog: BTreeMap<&'static str, sled::Tree>,
}

struct Inner {
    db: sled::Db,
    path: PathBuf,
    t: Trees,
    write: Mutex<()>,
    /// The exchange log's own writes (ids, caps): logging a request never waits for intake.
    /// Taken after `write` where both are needed.
    exchange_write: Mutex<()>,
    /// Checkpoints one at a time; intake never waits for this lock.
    checkpointing: Mutex<()>,
    commit: GroupCommit,
    journal: journal::Journal,
    markers: facts::Markers,
    events: broadcast::Sender<StoreEvent>,
    exchange_count: AtomicU64,
    exchange_capacity: AtomicUsize,
    /// Encoded bytes of the kept entries, and the most the log may keep.
    exchange_bytes: AtomicU64,
    exchange_max_bytes: AtomicU64,
}

/// A handle to the store; cheap to clone, shared by the window, the service and the sync job.
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
}

/// How many times (50 ms apart) opening waits for a lock that is being released.
const LOCK_RETRIES: u32 = 20;

/// The folder inside a data directory where the database lives.
pub fn store_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("store")
}

impl SledStore {
    /// Opens (or creates) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<SledStore> {
        let path = store_dir(data_dir);
        std::fs::create_dir_all(&path)
            .map_err(|e| StoreError::NotWritable { path: path.clone(), reason: e.to_string() })?;
        permissions::restrict_dir(data_dir);
        permissions::restrict_dir(&path);
        let config = sled::Config::new().path(&path).mode(sled::Mode::HighThroughput).cache_capacity(256 * 1024 * 1024);
        // sled's background flusher lets go of the file lock a moment after the last handle is
        // dropped, so a reopen in the same process (restore, restart of the service) waits briefly.
        let mut attempts = 0;
        let db = loop {
            match config.open().map_err(|e| map_open_error(&path, e)) {
                Err(StoreError::Locked(_)) if attempts < LOCK_RETRIES => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        let open = |name: &str| db.open_tree(name).map_err(StoreError::from);
        let mut catalog = BTreeMap::new();
        for name in super::record::CATALOG_TREES {
            catalog.insert(*name, open(name)?);
        }
        let t = Trees {
            meta: open("meta")?,
            leads: open("leads")?,
            leads_by_created: open("leads_by_created")?,
            leads_by_updated: open("leads_by_updated")?,
            leads_by_roistat: open("leads_by_roistat")?,
            clients: open("clients")?,
            clients_by_phone: open("clients_by_phone")?,
            clients_by_email: open("clients_by_email")?,
            calls: open("calls")?,
            calls_by_roistat: open("calls_by_roistat")?,
            facts: open("facts")?,
            fact_markers: open("fact_markers")?,
            exchange: open("exchange")?,
            history: open("history")?,
            history_by_object: open("history_by_object")?,
            plans: open("plans")?,
            catalog,
        };
        migrate::run(&path, &t)?;
        let (journal, unflushed) = journal::Journal::open(&path)?;
        permissions::restrict_tree(&path);
        let markers = facts::Markers::load(&t)?;
        let (exchange_count, exchange_bytes) = exchange::measure(&t.exchange)?;
        let (events, _) = broadcast::channel(4096);
        let inner = Inner {
            db,
            path,
            t,
            write: Mutex::new(()),
            exchange_write: Mutex::new(()),
            checkpointing: Mutex::new(()),
            commit: GroupCommit::default(),
            journal,
            markers,
            events,
            exchange_count: AtomicU64::new(exchange_count),
            exchange_capacity: AtomicUsize::new(super::EXCHANGE_CAPACITY),
            exchange_bytes: AtomicU64::new(exchange_bytes),
            exchange_max_bytes: AtomicU64::new(crate::domain::DEFAULT_EXCHANGE_LOG_MAX_BYTES),
        };
        let store = SledStore { inner: Arc::new(inner) };
        store.apply_exchange_settings()?;
        store.replay_intake(unflushed)?;
        store.ensure_service_password()?;
        Ok(store)
    }

    /// The folder of the database files.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn subscribe(&self) -> broadcast::Receiver<StoreEvent> {
        self.inner.events.subscribe()
    }

    /// Makes every write that returned before this call durable. Call it before acknowledging
    /// anything to the outside; concurrent callers share one flush (group commit). Lead intake has
    /// a cheaper way: [`SledStore::sync_intake`].
    pub fn durable(&self) -> Result<()> {
        self.inner
            .commit
            .durable(|| durability::flush_with_watchdog(&self.inner.db, &self.inner.path, durability::FLUSH_LIMIT))
    }

    /// Bytes on disk, for the benchmarks and the status bar.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.inner.db.size_on_disk()?)
    }

    /// Whether the store holds nothing a person entered or loaded.
    pub fn is_empty(&self) -> bool {
        let t = &self.inner.t;
        t.leads.is_empty()
            && t.clients.is_empty()
            && t.facts.is_empty()
            && t.calls.is_empty()
            && t.plans.is_empty()
            && t.catalog.values().all(|tree| tree.is_empty())
    }

    /// Failures a test injects into the intake journal.
    #[cfg(test)]
    pub(crate) fn journal_faults(&self) -> &journal::Faults {
        &self.inner.journal.faults
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.inner.write.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn exchange_lock(&self) -> MutexGuard<'_, ()> {
        self.inner.exchange_write.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn emit(&self, event: StoreEvent) {
        // No subscriber is fine: the window may not be open.
        let _ = self.inner.events.send(event);
    }
}

fn map_open_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            StoreError::Locked(path.to_path_buf())
        }
        sled::Error::Io(io)
            if matches!(io.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem) =>
        {
            StoreError::NotWritable { path: path.to_path_buf(), reason: io.to_string() }
        }
        other => StoreError::from(other),
    }
}

type TxResult<T> = sled::transaction::ConflictableTransactionResult<T, StoreError>;

fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(sled::transaction::ConflictableTransactionError::Abort(e))
}

/// Next value of a named counter in `meta`, inside a transaction.
fn tx_next(meta: &sled::transaction::TransactionalTree, name: &str) -> TxResult<u64> {
    tx_take(meta, name, 1)
}

/// Where a named counter keeps its next free value in `meta`.
const COUNTER_PREFIX: &str = "next/";

fn counter_key(name: &str) -> String {
    format!("{COUNTER_PREFIX}{name}")
}

/// Takes `n` consecutive values of a named counter at once and returns the first.
fn tx_take(meta: &sled::transaction::TransactionalTree, name: &str, n: u64) -> TxResult<u64> {
    let key = counter_key(name);
    let current = match meta.get(key.as_bytes())? {
        Some(v) => codec::key_id(&v).unwrap_or(1),
        None => 1,
    };
    meta.insert(key.as_bytes(), &current.saturating_add(n).to_be_bytes())?;
    Ok(current)
}
