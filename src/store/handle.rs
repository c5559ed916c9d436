//! [`Store`]: the one async handle every part of skvoz uses, whatever the backend.
//!
//! It speaks domain types only; every write is durable when its call returns. The embedded
//! backend runs its blocking work on tokio's blocking pool, so an `await` never holds up a
//! runtime thread, and checkpoints run beside intake, never under a lock intake needs.

use super::{BackupSummary, ExchangeScan, Intake, Record, Result, SledStore, StoreError, StoreEvent};
use crate::domain::{
    Call, Client, ClientId, Contact, DailyFact, ExchangeEntry, ExchangeFilter, Lead, LeadEdit, LeadExport, LeadId,
    Level, ServiceSettings, Status, Telephony, User,
};
use jiff::{Timestamp, civil::Date};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// A cheap, cloneable handle to the store.
#[derive(Clone)]
pub struct Store(Arc<Shared>);

struct Shared {
    backend: Backend,
    /// Set once a background checkpoint failed for good: every later write returns it, so the
    /// process stops and is started again.
    failure: Mutex<Option<StoreError>>,
    checkpointing: AtomicBool,
}

enum Backend {
    Embedded(SledStore),
}

/// Runs blocking store work off the runtime's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| StoreError::Db(format!("работа с хранилищем прервана: {e}")))?
}

/// `store.embedded(|s| ...)`: the closure runs with the embedded backend on the blocking pool.
macro_rules! on_backend {
    ($self:ident, |$s:ident| $body:expr) => {{
        match &$self.0.backend {
            Backend::Embedded(e) => {
                let $s = e.clone();
                blocking(move || $body).await
            }
        }
    }};
}

/// Same, then makes the write durable before returning.
macro_rules! write_on_backend {
    ($self:ident, |$s:ident| $body:expr) => {{
        $self.check_failure()?;
        match &$self.0.backend {
            Backend::Embedded(e) => {
                let $s = e.clone();
                blocking(move || {
                    let out = $body?;
                    $s.durable()?;
                    Ok(out)
                })
                .await
            }
        }
    }};
}

impl Store {
    /// Opens (or creates) the embedded store in `data_dir`.
    pub async fn open_embedded(data_dir: &Path) -> Result<Store> {
        let dir = data_dir.to_path_buf();
        let sled = blocking(move || SledStore::open(&dir)).await?;
        Ok(Store::embedded(sled))
    }

    /// Opens the embedded store from a thread that is not inside a runtime (the window's start).
    pub fn open_embedded_blocking(data_dir: &Path) -> Result<Store> {
        Ok(Store::embedded(SledStore::open(data_dir)?))
    }

    fn embedded(sled: SledStore) -> Store {
        Store(Arc::new(Shared {
            backend: Backend::Embedded(sled),
            failure: Mutex::new(None),
            checkpointing: AtomicBool::new(false),
        }))
    }

    /// The embedded backend's synchronous store, for the parts not yet moved onto this handle
    /// (the HTTP service, the scheduler, the demo data, the control socket, the admin screens).
    pub fn sled_store(&self) -> Option<SledStore> {
        match &self.0.backend {
            Backend::Embedded(s) => Some(s.clone()),
        }
    }

    /// Where the data live, for people: the folder of the embedded store.
    pub fn location(&self) -> String {
        match &self.0.backend {
            Backend::Embedded(s) => s.path().display().to_string(),
        }
    }

    /// The data folder of the embedded store (its control socket lives there); `None` for a
    /// server database.
    pub fn embedded_dir(&self) -> Option<PathBuf> {
        match &self.0.backend {
            Backend::Embedded(s) => Some(s.path().to_path_buf()),
        }
    }

    /// A failure that stopped the store (a checkpoint that could not finish), if any.
    pub fn failure(&self) -> Option<StoreError> {
        self.0.failure.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn check_failure(&self) -> Result<()> {
        match self.failure() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn fail(&self, e: StoreError) {
        tracing::error!("хранилище остановлено: {e}");
        self.0.failure.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
    }

    // ---- change feed ----

    /// What changes from now on; [`StoreEvent::Reloaded`] when the subscriber fell behind.
    pub fn subscribe(&self) -> ChangeFeed {
        match &self.0.backend {
            Backend::Embedded(s) => ChangeFeed(s.subscribe()),
        }
    }

    // ---- maintenance ----

    pub async fn size_on_disk(&self) -> Result<u64> {
        on_backend!(self, |s| s.size_on_disk())
    }

    /// Whether the store holds nothing a person entered or loaded.
    pub async fn is_empty(&self) -> Result<bool> {
        on_backend!(self, |s| Ok(s.is_empty()))
    }

    /// Whether there are neither leads nor loaded figures (an admin's first start).
    pub async fn is_empty_of_work(&self) -> Result<bool> {
        on_backend!(self, |s| Ok(s.is_empty_of_work()))
    }

    /// Writes a backup (JSON lines) to `out` and hands `out` back.
    pub async fn backup<W: Write + Send + 'static>(&self, mut out: W) -> Result<(W, BackupSummary)> {
        on_backend!(self, |s| {
            let summary = s.backup(&mut out)?;
            out.flush()?;
            Ok((out, summary))
        })
    }

    /// Replaces the data with a backup read from `input`; a store with data only with `force`.
    pub async fn restore<R: BufRead + Send + 'static>(&self, mut input: R, force: bool) -> Result<BackupSummary> {
        write_on_backend!(self, |s| s.restore(&mut input, force))
    }

    /// Brings the files up to date so that the next open is quick; call it before the process ends.
    pub async fn close(&self) -> Result<()> {
        on_backend!(self, |s| s.checkpoint())
    }

    /// A checkpoint beside intake once the intake journal is long, one at a time.
    fn checkpoint_when_due(&self) {
        let Backend::Embedded(s) = &self.0.backend;
        if !s.checkpoint_due() || self.0.checkpointing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (store, s) = (self.clone(), s.clone());
        let spawned = std::thread::Builder::new().name("skvoz-checkpoint".into()).spawn(move || {
            if let Err(e) = s.checkpoint()
                && e.is_unrecoverable()
            {
                store.fail(e);
            }
            store.0.checkpointing.store(false, Ordering::Release);
        });
        if spawned.is_err() {
            self.0.checkpointing.store(false, Ordering::Release);
        }
    }

    // ---- leads ----

    pub async fn lead(&self, id: LeadId) -> Result<Option<Lead>> {
        on_backend!(self, |s| s.lead(id))
    }

    /// The leads of `ids` that exist, in that order.
    pub async fn leads_by_ids(&self, ids: Vec<LeadId>) -> Result<Vec<Lead>> {
        on_backend!(self, |s| s.leads_by_ids(&ids))
    }

    pub async fn lead_by_roistat_id(&self, roistat_id: &str) -> Result<Option<Lead>> {
        let rid = roistat_id.to_string();
        on_backend!(self, |s| s.lead_by_roistat_id(&rid))
    }

    /// The newest `n` leads, newest first.
    pub async fn leads_newest(&self, n: usize) -> Result<Vec<Lead>> {
        on_backend!(self, |s| s.leads_newest(n))
    }

    pub async fn leads_created_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Lead>> {
        on_backend!(self, |s| s.leads_created_between(from, to))
    }

    pub async fn leads_changed_since(&self, since: Timestamp) -> Result<Vec<Lead>> {
        on_backend!(self, |s| s.leads_changed_since(since))
    }

    pub async fn all_leads(&self) -> Result<Vec<Lead>> {
        on_backend!(self, |s| s.all_leads())
    }

    pub async fn lead_count(&self) -> Result<usize> {
        on_backend!(self, |s| Ok(s.lead_count()))
    }

    /// Adds leads typed in or copied; the store gives ids and numbers.
    pub async fn add_leads(&self, leads: Vec<Lead>) -> Result<Vec<Lead>> {
        write_on_backend!(self, |s| s.add_leads(leads))
    }

    pub async fn add_lead(&self, lead: Lead) -> Result<Lead> {
        let mut added = self.add_leads(vec![lead]).await?;
        added.pop().ok_or_else(|| StoreError::Invalid("заявка не добавлена".into()))
    }

    /// Applies field-level edits made on `expected_version` of the lead; see
    /// [`LeadEdit::fits`] for when that fails with [`StoreError::Conflict`]. `None` writes over
    /// («Записать поверх»).
    pub async fn change_lead(
        &self,
        id: LeadId,
        expected_version: Option<u64>,
        edits: Vec<LeadEdit>,
        by: &str,
    ) -> Result<Lead> {
        let by = by.to_string();
        write_on_backend!(self, |s| s.change_lead(id, expected_version, &edits, &by, Timestamp::now()))
    }

    /// Appends never conflict and never overwrite.
    pub async fn append_comment(&self, id: LeadId, comment: crate::domain::Comment, by: &str) -> Result<Lead> {
        self.change_lead(id, None, vec![LeadEdit::AddComment(comment)], by).await
    }

    /// Adds a task; the returned lead's last task is it, with its id.
    pub async fn append_task(&self, id: LeadId, task: crate::domain::Task, by: &str) -> Result<Lead> {
        self.change_lead(id, None, vec![LeadEdit::AddTask(task)], by).await
    }

    // ---- intake ----

    /// Leads from Roistat with their contacts, idempotent on Roistat's lead id (a resend returns
    /// the lead made the first time). Durable when it returns; concurrent calls share one sync.
    pub async fn intake_leads(&self, items: Vec<(Lead, Contact)>) -> Result<Vec<Intake>> {
        self.check_failure()?;
        let Backend::Embedded(e) = &self.0.backend;
        let s = e.clone();
        let intakes = blocking(move || {
            let intakes = s.intake_leads(&items)?;
            s.sync_intake()?;
            Ok(intakes)
        })
        .await?;
        self.checkpoint_when_due();
        Ok(intakes)
    }

    pub async fn intake_lead(&self, lead: Lead, contact: Contact) -> Result<Intake> {
        let mut intakes = self.intake_leads(vec![(lead, contact)]).await?;
        intakes.pop().ok_or_else(|| StoreError::Invalid("заявка не принята".into()))
    }

    // ---- clients ----

    pub async fn client(&self, id: ClientId) -> Result<Option<Client>> {
        on_backend!(self, |s| s.client(id))
    }

    pub async fn all_clients(&self) -> Result<Vec<Client>> {
        on_backend!(self, |s| s.all_clients())
    }

    pub async fn put_client(&self, client: Client) -> Result<Client> {
        write_on_backend!(self, |s| s.put_client(client))
    }

    /// The client a contact matches (its empty fields filled), or a new one.
    pub async fn client_for_contact(&self, contact: Contact) -> Result<Client> {
        write_on_backend!(self, |s| {
            let id = s.client_for_contact(&contact, Timestamp::now())?;
            s.client(id)?.ok_or_else(|| StoreError::NotFound(format!("клиент с id {id}")))
        })
    }

    // ---- catalog ----

    /// All records of a kind, by id.
    pub async fn list<T: Record + Send + 'static>(&self) -> Result<Vec<T>> {
        on_backend!(self, |s| s.list::<T>())
    }

    pub async fn get<T: Record + Send + 'static>(&self, id: u64) -> Result<Option<T>> {
        on_backend!(self, |s| s.get::<T>(id))
    }

    /// Saves a record; id 0 means new and gets an id.
    pub async fn put<T: Record + Send + 'static>(&self, record: T) -> Result<T> {
        write_on_backend!(self, |s| s.put(record))
    }

    pub async fn delete<T: Record + Send + 'static>(&self, id: u64) -> Result<()> {
        write_on_backend!(self, |s| s.delete::<T>(id))
    }

    /// Statuses in their order.
    pub async fn statuses(&self) -> Result<Vec<Status>> {
        on_backend!(self, |s| s.statuses())
    }

    /// How many leads have the status (a used status cannot be deleted).
    pub async fn status_use_count(&self, status_id: u64) -> Result<u64> {
        on_backend!(self, |s| s.status_use_count(status_id))
    }

    /// The status a new lead gets.
    pub async fn initial_status(&self) -> Result<Option<u64>> {
        on_backend!(self, |s| s.initial_status())
    }

    /// Creates the service fields, UTM fields and default statuses where missing; how many.
    pub async fn ensure_schema(&self) -> Result<usize> {
        write_on_backend!(self, |s| s.ensure_schema())
    }

    /// The first admin, made on the first start.
    pub async fn ensure_admin(&self) -> Result<User> {
        write_on_backend!(self, |s| s.ensure_admin())
    }

    // ---- settings ----

    /// The HTTP service's settings (a pure read).
    pub async fn service_settings(&self) -> Result<ServiceSettings> {
        on_backend!(self, |s| s.service_settings())
    }

    pub async fn put_service_settings(&self, settings: ServiceSettings) -> Result<()> {
        write_on_backend!(self, |s| s.put_service_settings(&settings))
    }

    pub async fn telephony(&self) -> Result<Telephony> {
        on_backend!(self, |s| s.telephony())
    }

    pub async fn put_telephony(&self, telephony: Telephony) -> Result<()> {
        write_on_backend!(self, |s| s.put_telephony(&telephony))
    }

    // ---- calls ----

    /// Saves a call, idempotent on Roistat's call id, and links it to its lead.
    pub async fn put_call(&self, call: Call) -> Result<Call> {
        write_on_backend!(self, |s| s.put_call(call))
    }

    pub async fn calls(&self) -> Result<Vec<Call>> {
        on_backend!(self, |s| s.calls())
    }

    pub async fn call(&self, id: u64) -> Result<Option<Call>> {
        on_backend!(self, |s| s.call(id))
    }

    // ---- facts ----

    /// Replaces an analytics source's facts of `from..=to` by `facts` at once; how many stored.
    pub async fn replace_facts(
        &self,
        analytics_source_id: u64,
        from: Date,
        to: Date,
        facts: Vec<DailyFact>,
    ) -> Result<usize> {
        write_on_backend!(self, |s| s.replace_facts(analytics_source_id, from, to, &facts))
    }

    pub async fn facts_between(&self, from: Date, to: Date) -> Result<Vec<DailyFact>> {
        on_backend!(self, |s| s.facts_between(from, to))
    }

    /// Every channel → source → campaign that figures were loaded for.
    pub async fn fact_markers(&self) -> Result<Vec<[Level; 3]>> {
        on_backend!(self, |s| Ok(s.fact_markers()))
    }

    pub async fn fact_count(&self) -> Result<usize> {
        on_backend!(self, |s| Ok(s.fact_count()))
    }

    pub async fn fact_date_span(&self) -> Result<Option<(Date, Date)>> {
        on_backend!(self, |s| s.fact_date_span())
    }

    // ---- exchange log ----

    /// Logs exchanges with Roistat; their ids.
    pub async fn log_exchanges(&self, entries: Vec<ExchangeEntry>) -> Result<Vec<u64>> {
        write_on_backend!(self, |s| s.log_exchanges(entries))
    }

    pub async fn exchange_newest(&self, n: usize) -> Result<Vec<ExchangeEntry>> {
        on_backend!(self, |s| s.exchange_newest(n))
    }

    /// Entries with ids above `after`, oldest first.
    pub async fn exchange_after(&self, after: u64) -> Result<Vec<ExchangeEntry>> {
        on_backend!(self, |s| s.exchange_after(after))
    }

    pub async fn exchange_count(&self) -> Result<usize> {
        on_backend!(self, |s| Ok(s.exchange_count()))
    }

    /// Encoded bytes the log keeps.
    pub async fn exchange_bytes(&self) -> Result<u64> {
        on_backend!(self, |s| Ok(s.exchange_bytes()))
    }

    /// Up to `limit` entries below `before_id` (or the newest), newest first.
    pub async fn exchange_page(&self, before_id: Option<u64>, limit: usize) -> Result<Vec<ExchangeEntry>> {
        on_backend!(self, |s| s.exchange_page(before_id, limit))
    }

    pub async fn exchange_scan(&self, filter: ExchangeFilter) -> Result<ExchangeScan> {
        on_backend!(self, |s| s.exchange_scan(&filter))
    }

    pub async fn exchange_get(&self, ids: Vec<u64>) -> Result<Vec<ExchangeEntry>> {
        on_backend!(self, |s| s.exchange_get(&ids))
    }

    pub async fn exchange_oldest_id(&self) -> Result<Option<u64>> {
        on_backend!(self, |s| s.exchange_oldest_id())
    }

    /// Keeps at most `capacity` entries (older ones go first).
    pub async fn set_exchange_capacity(&self, capacity: usize) -> Result<()> {
        on_backend!(self, |s| s.set_exchange_capacity(capacity))
    }

    // ---- export to Roistat ----

    /// Ids of exportable leads (not templates, not deleted, created at or after `min_created`)
    /// changed after `since`, ascending.
    pub async fn exportable_lead_ids_changed_since(
        &self,
        since: Timestamp,
        min_created: Option<Timestamp>,
    ) -> Result<Vec<LeadId>> {
        on_backend!(self, |s| s.exportable_lead_ids_changed_since(since, min_created))
    }

    /// What export reads of each lead of `ids` that exists, in that order.
    pub async fn lead_exports(&self, ids: Vec<LeadId>) -> Result<Vec<LeadExport<'static>>> {
        on_backend!(self, |s| {
            let mut out = Vec::with_capacity(ids.len());
            s.for_each_lead_export(&ids, |view| out.push(view.to_owned_export()))?;
            Ok(out)
        })
    }
}

impl From<SledStore> for Store {
    /// The handle over an embedded store opened before (tests set data up through it).
    fn from(sled: SledStore) -> Store {
        Store::embedded(sled)
    }
}

/// What changed in the store, as it happens.
pub struct ChangeFeed(broadcast::Receiver<StoreEvent>);

impl ChangeFeed {
    /// The next change; `None` once the store is gone. A subscriber that fell behind gets
    /// [`StoreEvent::Reloaded`]: it should read again what it shows.
    pub async fn next(&mut self) -> Option<StoreEvent> {
        match self.0.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(StoreEvent::Reloaded),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// A change that already happened, without waiting.
    pub fn try_next(&mut self) -> Option<StoreEvent> {
        match self.0.try_recv() {
            Ok(event) => Some(event),
            Err(broadcast::error::TryRecvError::Lagged(_)) => Some(StoreEvent::Reloaded),
            Err(_) => None,
        }
    }
}
