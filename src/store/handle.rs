//! [`Store`]: the one async handle every part of skvoz uses, whatever the backend.
//!
//! It speaks domain types only; every write is durable when its call returns. The embedded
//! backend runs its blocking work on tokio's blocking pool, so an `await` never holds up a
//! runtime thread, and checkpoints run beside intake, never under a lock intake needs.

use super::location::Database;
use super::people::team_only;
use super::postgres::PgStore;
use super::{BackupSummary, ExchangeScan, Intake, Record, Result, SledStore, StoreError, StoreEvent};
use crate::domain::{
    Actor, AlertSettings, Call, Client, ClientId, Contact, DailyFact, ExchangeEntry, ExchangeFilter, HistoryEntry,
    HistoryFilter, Lead, LeadEdit, LeadId, MarkerPath, Month, Plan, Secret, ServiceSettings, Status, Telephony, User,
};
use crate::domain::{Person, TeamRole};
use crate::report::{Periods, ReportSums};
use jiff::{Timestamp, civil::Date};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{broadcast, watch};

/// Where a store lives.
#[derive(Clone, Debug)]
pub enum Location {
    /// The embedded store in this data folder.
    Embedded(PathBuf),
    /// A team database.
    Postgres(Box<Database>),
}

impl Location {
    /// For people: the folder, or the database without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Embedded(dir) => dir.display().to_string(),
            Location::Postgres(database) => database.describe(),
        }
    }
}

/// A cheap, cloneable handle to the store. Each handle writes the history as its actor (see
/// [`Store::acting_as`]).
#[derive(Clone)]
pub struct Store(Arc<Shared>, Arc<Actor>);

struct Shared {
    backend: Backend,
    /// Set once a background checkpoint failed for good: every later write returns it, so the
    /// process stops and is started again; [`Store::failed`] waits for it.
    failure: watch::Sender<Option<StoreError>>,
    checkpointing: AtomicBool,
}

enum Backend {
    Embedded(SledStore),
    Postgres(PgStore),
}

/// Runs blocking store work off the runtime's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| StoreError::Db(format!("работа с хранилищем прервана: {e}")))?
}

/// `read_op!(self, |s| sled, |p| postgres)`: the embedded closure runs on the blocking pool with a
/// clone of the sled store; the PostgreSQL expression is awaited as it is.
macro_rules! read_op {
    ($self:ident, |$s:ident| $sled:expr, |$p:ident| $pg:expr) => {{
        match &$self.0.backend {
            Backend::Embedded(e) => {
                let $s = e.clone();
                blocking(move || $sled).await
            }
            Backend::Postgres($p) => $pg.await,
        }
    }};
}

/// Same for a write: durable before it returns (sled's group commit; PostgreSQL's commit).
macro_rules! write_op {
    ($self:ident, |$s:ident| $sled:expr, |$p:ident| $pg:expr) => {{
        $self.check_failure()?;
        match &$self.0.backend {
            Backend::Embedded(e) => {
                let $s = e.clone();
                blocking(move || {
                    let out = $sled?;
                    $s.durable()?;
                    Ok(out)
                })
                .await
            }
            Backend::Postgres($p) => $pg.await,
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

    /// Opens the embedded store from a thread that is not inside a runtime (tests, benchmarks).
    pub fn open_embedded_blocking(data_dir: &Path) -> Result<Store> {
        Ok(Store::embedded(SledStore::open(data_dir)?))
    }

    /// Connects to a team database (creating or migrating its schema).
    pub async fn open_postgres(database: &Database) -> Result<Store> {
        Ok(Store::with(Backend::Postgres(PgStore::open(database).await?)))
    }

    /// A team database's schema version, read without migrating it (`skvoz db status`).
    pub async fn schema_status(database: &Database) -> Result<super::SchemaStatus> {
        PgStore::schema_status(database).await
    }

    /// Opens the store where `location` says.
    pub async fn open(location: &Location) -> Result<Store> {
        match location {
            Location::Embedded(dir) => Store::open_embedded(dir).await,
            Location::Postgres(database) => Store::open_postgres(database).await,
        }
    }

    /// A handle over a sled store the crate's own tests opened (to inject faults into it).
    #[cfg(test)]
    pub(crate) fn from_embedded(sled: SledStore) -> Store {
        Store::embedded(sled)
    }

    fn embedded(sled: SledStore) -> Store {
        Store::with(Backend::Embedded(sled))
    }

    fn with(backend: Backend) -> Store {
        let shared = Shared { backend, failure: watch::Sender::new(None), checkpointing: AtomicBool::new(false) };
        Store(Arc::new(shared), Arc::new(Actor::default()))
    }

    /// The same store, whose writes the history records as made by `actor`'s author, from its
    /// origin (the window, the command line, the service). Without an author, the history names
    /// the database login (team database) or the computer's user (embedded store).
    pub fn acting_as(&self, actor: Actor) -> Store {
        Store(self.0.clone(), Arc::new(actor))
    }

    /// Who this handle's writes are recorded as made by.
    pub fn actor(&self) -> Actor {
        let mut actor = (*self.1).clone();
        if actor.author.is_empty() {
            actor.author = match &self.0.backend {
                Backend::Postgres(p) => p.login(),
                Backend::Embedded(_) => {
                    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_default()
                }
            };
        }
        if actor.origin.is_empty() {
            actor.origin = "—".into();
        }
        actor
    }

    /// Where the data live, for people: the folder of the embedded store.
    pub fn location(&self) -> String {
        match &self.0.backend {
            Backend::Embedded(s) => s.path().display().to_string(),
            Backend::Postgres(p) => p.server().to_string(),
        }
    }

    /// The data folder of the embedded store (its control socket lives there); `None` for a
    /// server database.
    pub fn embedded_dir(&self) -> Option<PathBuf> {
        match &self.0.backend {
            Backend::Embedded(s) => Some(s.path().to_path_buf()),
            Backend::Postgres(_) => None,
        }
    }

    /// A failure that stopped the store (a checkpoint that could not finish), if any.
    pub fn failure(&self) -> Option<StoreError> {
        self.0.failure.borrow().clone()
    }

    /// Resolves once the store has stopped for good (see [`Store::failure`]), with the reason: a
    /// server process should then exit at once, non-zero, so that its supervisor starts it again.
    pub async fn failed(&self) -> StoreError {
        let mut failure = self.0.failure.subscribe();
        // The sender lives as long as `self`, so the wait ends only with a failure.
        let failure = failure.wait_for(Option::is_some).await.map(|failure| failure.clone());
        match failure {
            Ok(failure) => failure.unwrap_or_else(|| StoreError::Invalid("хранилище остановлено".into())),
            Err(_) => std::future::pending().await,
        }
    }

    fn check_failure(&self) -> Result<()> {
        match self.failure() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Stops the store for good (a checkpoint that could not finish, or a test of what follows).
    pub(crate) fn fail(&self, e: StoreError) {
        tracing::error!("хранилище остановлено: {e}");
        self.0.failure.send_if_modified(|failure| {
            let first = failure.is_none();
            failure.get_or_insert(e);
            first
        });
    }

    // ---- change feed ----

    /// What changes from now on; [`StoreEvent::Reloaded`] when the subscriber fell behind.
    pub fn subscribe(&self) -> ChangeFeed {
        match &self.0.backend {
            Backend::Embedded(s) => ChangeFeed(s.subscribe()),
            Backend::Postgres(p) => ChangeFeed(p.subscribe()),
        }
    }

    // ---- maintenance ----

    /// Whether the database answers: one cheap round trip to a team database; the embedded
    /// store is always there.
    pub async fn ping(&self) -> Result<()> {
        match &self.0.backend {
            Backend::Embedded(_) => Ok(()),
            Backend::Postgres(p) => p.query("SELECT 1", &[]).await.map(drop),
        }
    }

    pub async fn size_on_disk(&self) -> Result<u64> {
        read_op!(self, |s| s.size_on_disk(), |p| p.size_on_disk())
    }

    /// Whether the store holds nothing a person entered or loaded.
    pub async fn is_empty(&self) -> Result<bool> {
        read_op!(self, |s| Ok(s.is_empty()), |p| p.is_empty())
    }

    /// Whether there are neither leads nor loaded figures (an admin's first start).
    pub async fn is_empty_of_work(&self) -> Result<bool> {
        read_op!(self, |s| Ok(s.is_empty_of_work()), |p| p.is_empty_of_work())
    }

    /// Writes a backup (JSON lines) to `out` and hands `out` back.
    pub async fn backup<W: Write + Send + 'static>(&self, mut out: W) -> Result<(W, BackupSummary)> {
        match &self.0.backend {
            Backend::Embedded(e) => {
                let s = e.clone();
                blocking(move || {
                    let summary = s.backup(&mut out)?;
                    out.flush()?;
                    Ok((out, summary))
                })
                .await
            }
            Backend::Postgres(p) => {
                let summary = p.backup(&mut out).await?;
                Ok((out, summary))
            }
        }
    }

    /// Replaces the data with a backup read from `input`; a store with data only with `force`.
    pub async fn restore<R: BufRead + Send + 'static>(&self, mut input: R, force: bool) -> Result<BackupSummary> {
        write_op!(self, |s| s.restore(&mut input, force), |p| p.restore(&mut input, force))
    }

    /// Brings the files up to date so that the next open is quick; call it before the process ends.
    pub async fn close(&self) -> Result<()> {
        match &self.0.backend {
            Backend::Embedded(e) => {
                let s = e.clone();
                blocking(move || s.checkpoint()).await
            }
            // Every commit is already in the server's files.
            Backend::Postgres(_) => Ok(()),
        }
    }

    /// A checkpoint beside intake once the intake journal is long, one at a time.
    fn checkpoint_when_due(&self) {
        let Backend::Embedded(s) = &self.0.backend else { return };
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
        read_op!(self, |s| s.lead(id), |p| p.lead(id))
    }

    /// The leads of `ids` that exist, in that order.
    pub async fn leads_by_ids(&self, ids: Vec<LeadId>) -> Result<Vec<Lead>> {
        read_op!(self, |s| s.leads_by_ids(&ids), |p| p.leads_by_ids(&ids))
    }

    pub async fn lead_by_roistat_id(&self, roistat_id: &str) -> Result<Option<Lead>> {
        let rid = roistat_id.to_string();
        read_op!(self, |s| s.lead_by_roistat_id(&rid), |p| p.lead_by_roistat_id(&rid))
    }

    /// The newest `n` leads, newest first.
    pub async fn leads_newest(&self, n: usize) -> Result<Vec<Lead>> {
        read_op!(self, |s| s.leads_newest(n), |p| p.leads_newest(n))
    }

    pub async fn leads_created_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Lead>> {
        read_op!(self, |s| s.leads_created_between(from, to), |p| p.leads_created_between(from, to))
    }

    pub async fn leads_changed_since(&self, since: Timestamp) -> Result<Vec<Lead>> {
        read_op!(self, |s| s.leads_changed_since(since), |p| p.leads_changed_since(since))
    }

    pub async fn all_leads(&self) -> Result<Vec<Lead>> {
        read_op!(self, |s| s.all_leads(), |p| p.all_leads())
    }

    pub async fn lead_count(&self) -> Result<usize> {
        read_op!(self, |s| Ok(s.lead_count()), |p| p.lead_count())
    }

    /// Adds leads typed in or copied; the store gives ids and numbers.
    pub async fn add_leads(&self, leads: Vec<Lead>) -> Result<Vec<Lead>> {
        let actor = self.actor();
        match &self.0.backend {
            Backend::Embedded(s) => self.journaled(s, move |s, journaled| s.add_leads(leads, &actor, journaled)).await,
            Backend::Postgres(p) => p.add_leads(leads, &actor).await,
        }
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
        let origin = self.actor().origin;
        write_op!(self, |s| s.change_lead(id, expected_version, &edits, &by, &origin, Timestamp::now()), |p| p
            .change_lead(id, expected_version, &edits, &by, &origin, Timestamp::now()))
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
        match &self.0.backend {
            Backend::Embedded(s) => self.journaled(s, move |s, journaled| s.intake_leads_with(&items, journaled)).await,
            Backend::Postgres(p) => p.intake_leads(&items).await,
        }
    }

    /// An embedded write that goes through the intake journal: durable after one journal sync,
    /// shared by concurrent callers; a checkpoint follows once the journal is long. `work` calls
    /// its second argument once the batch is in the journal: the sync starts then and runs while
    /// the batch is written to sled, so a batch waits for the longer of the two, not their sum.
    async fn journaled<T: Send + 'static>(
        &self,
        s: &SledStore,
        work: impl FnOnce(&SledStore, Box<dyn FnOnce() + Send>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.check_failure()?;
        let (in_journal, appended) = tokio::sync::oneshot::channel::<()>();
        let writer = s.clone();
        let write = blocking(move || {
            work(
                &writer,
                Box::new(move || {
                    // The receiver is gone only when the write failed, and then nobody waits for the sync.
                    let _ = in_journal.send(());
                }),
            )
        });
        let syncer = s.clone();
        let early_sync = async move {
            match appended.await {
                Ok(()) => Some(blocking(move || syncer.sync_intake()).await),
                Err(_) => None,
            }
        };
        let (out, synced) = tokio::join!(write, early_sync);
        let out = out?;
        match synced {
            Some(synced) => synced?,
            // Nothing appended (resends only): what it answers may be another batch's, not yet synced.
            None => {
                let s = s.clone();
                blocking(move || s.sync_intake()).await?
            }
        }
        self.checkpoint_when_due();
        Ok(out)
    }

    pub async fn intake_lead(&self, lead: Lead, contact: Contact) -> Result<Intake> {
        let mut intakes = self.intake_leads(vec![(lead, contact)]).await?;
        intakes.pop().ok_or_else(|| StoreError::Invalid("заявка не принята".into()))
    }

    // ---- clients ----

    pub async fn client(&self, id: ClientId) -> Result<Option<Client>> {
        read_op!(self, |s| s.client(id), |p| p.client(id))
    }

    /// The clients of `ids` that exist, in that order (a page of an export to Roistat).
    pub async fn clients_by_ids(&self, ids: Vec<ClientId>) -> Result<Vec<Client>> {
        read_op!(self, |s| ids.into_iter().filter_map(|id| s.client(id).transpose()).collect(), |p| p
            .clients_by_ids(&ids))
    }

    pub async fn all_clients(&self) -> Result<Vec<Client>> {
        read_op!(self, |s| s.all_clients(), |p| p.all_clients())
    }

    pub async fn put_client(&self, client: Client) -> Result<Client> {
        let actor = self.actor();
        write_op!(self, |s| s.put_client(client, &actor), |p| p.put_client(client, &actor))
    }

    /// The client a contact matches (its empty fields filled), or a new one.
    pub async fn client_for_contact(&self, contact: Contact) -> Result<Client> {
        write_op!(
            self,
            |s| {
                let id = s.client_for_contact(&contact, Timestamp::now())?;
                s.client(id)?.ok_or_else(|| StoreError::NotFound(format!("клиент с id {id}")))
            },
            |p| p.client_for_contact(&contact, Timestamp::now())
        )
    }

    // ---- catalog ----

    /// All records of a kind, by id.
    pub async fn list<T: Record + Send + 'static>(&self) -> Result<Vec<T>> {
        read_op!(self, |s| s.list::<T>(), |p| p.list::<T>())
    }

    pub async fn get<T: Record + Send + 'static>(&self, id: u64) -> Result<Option<T>> {
        read_op!(self, |s| s.get::<T>(id), |p| p.get::<T>(id))
    }

    /// Saves a record; id 0 means new and gets an id.
    pub async fn put<T: Record + Send + 'static>(&self, record: T) -> Result<T> {
        let actor = self.actor();
        write_op!(self, |s| s.put(record, &actor), |p| p.put(record, &actor))
    }

    pub async fn delete<T: Record + Send + 'static>(&self, id: u64) -> Result<()> {
        let actor = self.actor();
        write_op!(self, |s| s.delete::<T>(id, &actor), |p| p.delete::<T>(id, &actor))
    }

    /// Statuses in their order.
    pub async fn statuses(&self) -> Result<Vec<Status>> {
        read_op!(self, |s| s.statuses(), |p| p.statuses())
    }

    /// How many leads have the status (a used status cannot be deleted).
    pub async fn status_use_count(&self, status_id: u64) -> Result<u64> {
        read_op!(self, |s| s.status_use_count(status_id), |p| p.status_use_count(status_id))
    }

    /// The status a new lead gets.
    pub async fn initial_status(&self) -> Result<Option<u64>> {
        read_op!(self, |s| s.initial_status(), |p| p.initial_status())
    }

    /// Creates the service fields, UTM fields and default statuses where missing; how many.
    pub async fn ensure_schema(&self) -> Result<usize> {
        write_op!(self, |s| s.ensure_schema(), |p| p.ensure_schema())
    }

    /// The first admin, made on the first start.
    pub async fn ensure_admin(&self) -> Result<User> {
        write_op!(self, |s| s.ensure_admin(), |p| p.ensure_admin())
    }

    // ---- settings ----

    /// The HTTP service's settings (a pure read).
    pub async fn service_settings(&self) -> Result<ServiceSettings> {
        read_op!(self, |s| s.service_settings(), |p| p.service_settings())
    }

    pub async fn put_service_settings(&self, settings: ServiceSettings) -> Result<()> {
        let actor = self.actor();
        write_op!(self, |s| s.put_service_settings(&settings, &actor), |p| p.put_service_settings(&settings, &actor))
    }

    pub async fn telephony(&self) -> Result<Telephony> {
        read_op!(self, |s| s.telephony(), |p| p.telephony())
    }

    pub async fn put_telephony(&self, telephony: Telephony) -> Result<()> {
        let actor = self.actor();
        write_op!(self, |s| s.put_telephony(&telephony, &actor), |p| p.put_telephony(&telephony, &actor))
    }

    /// The alert rules and delivery channels (secrets inside: never log them).
    pub async fn alert_settings(&self) -> Result<AlertSettings> {
        read_op!(self, |s| s.alert_settings(), |p| p.alert_settings())
    }

    pub async fn put_alert_settings(&self, settings: AlertSettings) -> Result<()> {
        let actor = self.actor();
        write_op!(self, |s| s.put_alert_settings(&settings, &actor), |p| p.put_alert_settings(&settings, &actor))
    }

    /// The alert rules and working hours, without the delivery channels ([`AlertSettings::rules_only`]).
    pub async fn alert_rules(&self) -> Result<AlertSettings> {
        read_op!(self, |s| s.alert_settings().map(|a| a.rules_only()), |p| p.alert_rules())
    }

    /// The analytics sources' names and load state, without their API keys.
    pub async fn analytics_load_states(&self) -> Result<Vec<crate::domain::AnalyticsSource>> {
        read_op!(
            self,
            |s| Ok(s.list::<crate::domain::AnalyticsSource>()?.iter().map(|a| a.load_state()).collect()),
            |p| p.analytics_load_states()
        )
    }

    /// When Roistat's newest accepted request came, among the newest `lookback` exchange-log entries.
    pub async fn last_accepted_request(&self, lookback: usize) -> Result<Option<Timestamp>> {
        read_op!(self, |s| Ok(crate::domain::last_accepted(&s.exchange_newest(lookback)?)), |p| p
            .last_accepted_request(lookback))
    }

    /// The keys of the alerts already sent (the sender's memory across restarts).
    pub async fn alerts_sent(&self) -> Result<Vec<String>> {
        read_op!(self, |s| s.alerts_sent(), |p| p.alerts_sent())
    }

    pub async fn put_alerts_sent(&self, keys: Vec<String>) -> Result<()> {
        write_op!(self, |s| s.put_alerts_sent(&keys), |p| p.put_alerts_sent(&keys))
    }

    // ---- calls ----

    /// Saves a call, idempotent on Roistat's call id, and links it to its lead.
    pub async fn put_call(&self, call: Call) -> Result<Call> {
        write_op!(self, |s| s.put_call(call), |p| p.put_call(call))
    }

    /// [`Store::put_call`] for many calls (a load from Roistat), durable together.
    pub async fn put_calls(&self, calls: Vec<Call>) -> Result<Vec<Call>> {
        write_op!(self, |s| calls.into_iter().map(|call| s.put_call(call)).collect::<Result<Vec<_>>>(), |p| p
            .put_calls(calls))
    }

    pub async fn calls(&self) -> Result<Vec<Call>> {
        read_op!(self, |s| s.calls(), |p| p.calls())
    }

    pub async fn call(&self, id: u64) -> Result<Option<Call>> {
        read_op!(self, |s| s.call(id), |p| p.call(id))
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
        write_op!(self, |s| s.replace_facts(analytics_source_id, from, to, &facts), |p| p.replace_facts(
            analytics_source_id,
            from,
            to,
            &facts
        ))
    }

    pub async fn facts_between(&self, from: Date, to: Date) -> Result<Vec<DailyFact>> {
        read_op!(self, |s| s.facts_between(from, to), |p| p.facts_between(from, to))
    }

    /// The sums a report needs for its period and the one it is compared with; PostgreSQL computes
    /// them in the database, the embedded store from the facts it reads.
    pub async fn report_sums(&self, periods: Periods) -> Result<ReportSums> {
        read_op!(self, |s| s.report_sums(&periods), |p| p.report_sums(&periods))
    }

    /// Every channel → source → campaign that figures were loaded for.
    pub async fn fact_markers(&self) -> Result<Vec<MarkerPath>> {
        read_op!(self, |s| Ok(s.fact_markers()), |p| p.fact_markers())
    }

    pub async fn fact_count(&self) -> Result<usize> {
        read_op!(self, |s| Ok(s.fact_count()), |p| p.fact_count())
    }

    pub async fn fact_date_span(&self) -> Result<Option<(Date, Date)>> {
        read_op!(self, |s| s.fact_date_span(), |p| p.fact_date_span())
    }

    // ---- plans ----

    /// The monthly plans per channel of `month` (every month when `None`), by month and channel.
    pub async fn plans(&self, month: Option<Month>) -> Result<Vec<Plan>> {
        read_op!(self, |s| s.plans(month), |p| p.plans(month))
    }

    /// Stores a channel's plan of a month (over the one it had); the history records what changed.
    pub async fn put_plan(&self, plan: Plan) -> Result<Plan> {
        let actor = self.actor();
        write_op!(self, |s| s.put_plan(&plan, &actor), |p| p.put_plan(&plan, &actor))
    }

    /// Removes a channel's plan of a month; nothing happens when there is none.
    pub async fn delete_plan(&self, month: Month, channel: &str) -> Result<()> {
        let actor = self.actor();
        let channel = channel.to_string();
        write_op!(self, |s| s.delete_plan(month, &channel, &actor), |p| p.delete_plan(month, &channel, &actor))
    }

    // ---- exchange log ----

    /// Logs exchanges with Roistat; their ids. The one write that is not flushed on its own: the
    /// log is a diagnostic record written beside every request, so on the embedded store it rides
    /// on the next flush (a crash may cut its last entries, never a lead); on PostgreSQL it is
    /// committed like any write.
    pub async fn log_exchanges(&self, entries: Vec<ExchangeEntry>) -> Result<Vec<u64>> {
        self.check_failure()?;
        read_op!(self, |s| s.log_exchanges(entries), |p| p.log_exchanges(entries))
    }

    pub async fn exchange_newest(&self, n: usize) -> Result<Vec<ExchangeEntry>> {
        read_op!(self, |s| s.exchange_newest(n), |p| p.exchange_newest(n))
    }

    /// Entries with ids above `after`, oldest first.
    pub async fn exchange_after(&self, after: u64) -> Result<Vec<ExchangeEntry>> {
        read_op!(self, |s| s.exchange_after(after), |p| p.exchange_after(after))
    }

    pub async fn exchange_count(&self) -> Result<usize> {
        read_op!(self, |s| Ok(s.exchange_count()), |p| p.exchange_count())
    }

    /// Encoded bytes the log keeps.
    pub async fn exchange_bytes(&self) -> Result<u64> {
        read_op!(self, |s| Ok(s.exchange_bytes()), |p| p.exchange_bytes())
    }

    /// Up to `limit` entries below `before_id` (or the newest), newest first.
    pub async fn exchange_page(&self, before_id: Option<u64>, limit: usize) -> Result<Vec<ExchangeEntry>> {
        read_op!(self, |s| s.exchange_page(before_id, limit), |p| p.exchange_page(before_id, limit))
    }

    pub async fn exchange_scan(&self, filter: ExchangeFilter) -> Result<ExchangeScan> {
        read_op!(self, |s| s.exchange_scan(&filter), |p| p.exchange_scan(&filter))
    }

    pub async fn exchange_get(&self, ids: Vec<u64>) -> Result<Vec<ExchangeEntry>> {
        read_op!(self, |s| s.exchange_get(&ids), |p| p.exchange_get(&ids))
    }

    pub async fn exchange_oldest_id(&self) -> Result<Option<u64>> {
        read_op!(self, |s| s.exchange_oldest_id(), |p| p.exchange_oldest_id())
    }

    /// Keeps at most `capacity` entries (older ones go first).
    pub async fn set_exchange_capacity(&self, capacity: usize) -> Result<()> {
        read_op!(self, |s| s.set_exchange_capacity(capacity), |p| p.set_exchange_capacity(capacity))
    }

    // ---- history ----

    /// «История изменений»: entries matching `filter`, newest first.
    pub async fn history(&self, filter: HistoryFilter) -> Result<Vec<HistoryEntry>> {
        read_op!(self, |s| s.history(&filter), |p| p.history(&filter))
    }

    // ---- people (team database) ----

    /// Tells the other windows on a team database which lead this window has open; they hear it
    /// as [`StoreEvent::Presence`]. Nothing to tell on the embedded store (one window).
    pub async fn announce(&self, presence: crate::domain::Presence) -> Result<()> {
        match &self.0.backend {
            Backend::Embedded(_) => Ok(()),
            Backend::Postgres(p) => p.announce(&presence).await,
        }
    }

    /// The signed-in person: login, full name, role from their group (the database's owner counts
    /// as an admin). `None` on the embedded store, where the window chooses the role.
    pub async fn me(&self) -> Result<Option<Person>> {
        match &self.0.backend {
            Backend::Embedded(_) => Ok(None),
            Backend::Postgres(p) => p.me().await.map(Some),
        }
    }

    /// The people of the team database, by login (disabled ones too).
    pub async fn people(&self) -> Result<Vec<Person>> {
        self.postgres()?.people().await
    }

    /// Adds a person: a login with `password` in the group of `role`, and their record with the
    /// full name (the login when `name` is empty). Admins only; the password is never stored or
    /// sent in clear.
    pub async fn add_person(&self, login: &str, role: TeamRole, name: &str, password: &Secret) -> Result<Person> {
        self.postgres()?.add_person(login, role, name, password).await
    }

    /// Moves a person to the group of `role`.
    pub async fn set_person_role(&self, login: &str, role: TeamRole) -> Result<()> {
        self.postgres()?.set_person_role(login, role).await
    }

    /// Gives a person a new password.
    pub async fn set_person_password(&self, login: &str, password: &Secret) -> Result<()> {
        self.postgres()?.set_person_password(login, password).await
    }

    /// Allows (`true`) or refuses a person's login.
    pub async fn set_person_enabled(&self, login: &str, enabled: bool) -> Result<()> {
        self.postgres()?.set_person_enabled(login, enabled).await
    }

    fn postgres(&self) -> Result<&PgStore> {
        match &self.0.backend {
            Backend::Embedded(_) => Err(team_only()),
            Backend::Postgres(p) => Ok(p),
        }
    }

    // ---- export to Roistat ----

    /// Ids of exportable leads (not templates, not deleted, created at or after `min_created`)
    /// changed after `since`, ascending.
    pub async fn exportable_lead_ids_changed_since(
        &self,
        since: Timestamp,
        min_created: Option<Timestamp>,
    ) -> Result<Vec<LeadId>> {
        read_op!(self, |s| s.exportable_lead_ids_changed_since(since, min_created), |p| p
            .exportable_lead_ids_changed_since(since, min_created))
    }

    /// What export reads of each lead of `ids` that exists, in that order.
    pub async fn lead_exports(&self, ids: Vec<LeadId>) -> Result<super::LeadExports> {
        read_op!(self, |s| s.lead_exports(&ids), |p| p.lead_exports(&ids))
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
