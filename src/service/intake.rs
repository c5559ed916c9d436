//! Lead intake with group commit. Handlers queue their parameters; one task takes whatever has
//! queued up as one batch and hands it to the store, whose intake is durable when it returns. Up
//! to two batches are in flight: while one waits for its journal sync, the next is written, and
//! the store lets concurrent syncs share one `fdatasync`. So a sync carries many leads and no
//! request waits in a line of syncs. Checkpoints run inside the store, beside intake.

use super::Unrecoverable;
use super::actions::lead::build;
use super::query::Params;
use crate::domain::{Contact, ExtraField, Lead, LeadSource, User, assign_responsible, roistat_lead_source};
use crate::store::{ChangeFeed, Intake, Store, StoreError, StoreEvent};
use jiff::Timestamp;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Leads stored in one batch at most.
const MAX_BATCH: usize = 512;

/// Batches handed to the store and not yet answered, at most.
const IN_FLIGHT: usize = 2;

/// A stored and durable lead, with what the log should say about its input.
pub struct Accepted {
    pub intake: Intake,
    pub notes: Vec<String>,
}

type Reply = oneshot::Sender<Result<Accepted, StoreError>>;
type Outcome = Vec<Result<Accepted, StoreError>>;

struct Job {
    params: Params,
    reply: Reply,
}

/// The handlers' end of the queue; the batching task stops when the service drops it.
pub struct IntakeQueue {
    jobs: mpsc::UnboundedSender<Job>,
}

impl IntakeQueue {
    /// Starts the batching task on the current runtime; an error the store cannot recover from
    /// is reported to `unrecoverable`.
    pub fn start(store: Store, unrecoverable: Unrecoverable) -> IntakeQueue {
        let (jobs, job_rx) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(batches(store, job_rx, unrecoverable));
        IntakeQueue { jobs }
    }

    /// Stores the lead the parameters describe; resolves once it is durable.
    pub async fn submit(&self, params: Params) -> Result<Accepted, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped =
            || StoreError::Invalid("приём заявок остановлен: сервис завершает работу, повторите запрос".into());
        self.jobs.send(Job { params, reply }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn batches(store: Store, mut jobs: mpsc::UnboundedReceiver<Job>, unrecoverable: Unrecoverable) {
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut basis = BasisCache::new(&store);
    // Leads handed to the people of a lead source's role so far, for «in turn».
    let mut turn = 0;
    loop {
        // Batches gather while both slots are busy, so a slow sync makes the next batch bigger.
        let Ok(slot) = in_flight.clone().acquire_owned().await else { return };
        let Some(first) = jobs.recv().await else { return };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (params, replies): (Vec<Params>, Vec<Reply>) = batch.into_iter().map(|job| (job.params, job.reply)).unzip();
        let turn_before = turn;
        let prepared = match basis.get(&store).await {
            Ok(basis) => Ok(build_items(&basis, &params, &mut turn)),
            Err(e) => Err(e),
        };
        let (store, unrecoverable) = (store.clone(), unrecoverable.clone());
        tokio::spawn(async move {
            let results = match prepared {
                Ok(prepared) => store_batch(&store, prepared, &params, turn_before).await,
                Err(e) => replies.iter().map(|_| Err(e.clone())).collect(),
            };
            drop(slot);
            let mut results = results.into_iter();
            for reply in replies {
                let result = results
                    .next()
                    .unwrap_or_else(|| Err(StoreError::Invalid("заявка не записана: повторите запрос".into())));
                if let Err(e) = &result {
                    unrecoverable.report_if(e);
                }
                let _ = reply.send(result);
            }
        });
    }
}

/// The leads and contacts the parameters describe, with the log's notes on each.
type Prepared = (Vec<(Lead, Contact)>, Vec<Vec<String>>);

/// What every lead is built with: the extra fields, the first status, the lead sources, the users.
struct Basis {
    fields: Vec<ExtraField>,
    initial_status: Option<u64>,
    sources: Vec<LeadSource>,
    users: Vec<User>,
}

async fn read_basis(store: &Store) -> Result<Basis, StoreError> {
    let (fields, initial_status, sources, users) = tokio::try_join!(
        store.list::<ExtraField>(),
        store.initial_status(),
        store.list::<LeadSource>(),
        store.list::<User>()
    )?;
    Ok(Basis { fields, initial_status, sources, users })
}

/// The basis, read again only after the change feed said the catalog changed: four store reads
/// per batch are four round trips to a server database. A change that arrives while it is read
/// stays in the feed, so the next batch reads again.
struct BasisCache {
    feed: ChangeFeed,
    current: Option<Arc<Basis>>,
}

impl BasisCache {
    fn new(store: &Store) -> BasisCache {
        BasisCache { feed: store.subscribe(), current: None }
    }

    async fn get(&mut self, store: &Store) -> Result<Arc<Basis>, StoreError> {
        while let Some(event) = self.feed.try_next() {
            if matches!(event, StoreEvent::CatalogChanged | StoreEvent::SettingsChanged | StoreEvent::Reloaded) {
                self.current = None;
            }
        }
        if let Some(basis) = &self.current {
            return Ok(basis.clone());
        }
        let basis = Arc::new(read_basis(store).await?);
        self.current = Some(basis.clone());
        Ok(basis)
    }
}

async fn prepare(store: &Store, batch: &[Params], turn: &mut usize) -> Result<Prepared, StoreError> {
    Ok(build_items(&read_basis(store).await?, batch, turn))
}

fn build_items(basis: &Basis, batch: &[Params], turn: &mut usize) -> Prepared {
    // A lead from Roistat belongs to the Roistat lead source and goes to its responsible.
    let source = roistat_lead_source(&basis.sources);
    let now = Timestamp::now();
    let mut items = Vec::with_capacity(batch.len());
    let mut notes = Vec::with_capacity(batch.len());
    for params in batch {
        let (mut lead, contact, note) = build(params, &basis.fields, basis.initial_status, now);
        if let Some(source) = source {
            lead.lead_source_id = Some(source.id);
            lead.responsible = assign_responsible(source.responsible, &basis.users, turn);
        }
        items.push((lead, contact));
        notes.push(note);
    }
    (items, notes)
}

/// One durable store batch. A batch refused before it reached the journal (an error the store
/// recovers from) is built again from its parameters, with the same turn of responsibles, and
/// stored lead by lead, so one bad lead fails only itself.
async fn store_batch(store: &Store, (items, notes): Prepared, params: &[Params], turn_before: usize) -> Outcome {
    let single = items.len() == 1;
    let e = match store.intake_leads(items).await {
        Ok(intakes) => {
            return intakes.into_iter().zip(notes).map(|(intake, notes)| Ok(Accepted { intake, notes })).collect();
        }
        Err(e) => e,
    };
    if single || e.is_unrecoverable() {
        return notes.iter().map(|_| Err(e.clone())).collect();
    }
    let mut turn = turn_before;
    let (items, notes) = match prepare(store, params, &mut turn).await {
        Ok(prepared) => prepared,
        Err(e) => return params.iter().map(|_| Err(e.clone())).collect(),
    };
    let mut results = Vec::with_capacity(notes.len());
    for ((lead, contact), notes) in items.into_iter().zip(notes) {
        results.push(store.intake_lead(lead, contact).await.map(|intake| Accepted { intake, notes }));
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[tokio::test]
    async fn a_batch_refused_before_the_journal_is_stored_lead_by_lead() {
        let dir = tempfile::tempdir().unwrap();
        let embedded = crate::store::SledStore::open(dir.path()).unwrap();
        let store = Store::from_embedded(embedded.clone());
        let params: Vec<Params> = (1..=3)
            .map(|i| {
                let mut p = Params::default();
                p.add_urlencoded(format!("id=B-{i}&title=t{i}").as_bytes(), 0).unwrap();
                p
            })
            .collect();
        let prepared = prepare(&store, &params, &mut 0).await.unwrap();
        // The batch's append fails half-way (a full disk for a moment); alone, each lead fits.
        embedded.journal_faults().torn_appends.store(1, Ordering::SeqCst);
        let results = store_batch(&store, prepared, &params, 0).await;
        assert_eq!(results.len(), 3);
        for (i, result) in results.into_iter().enumerate() {
            let accepted = result.unwrap_or_else(|e| panic!("lead {i} refused: {e}"));
            assert!(accepted.intake.created);
        }
        for i in 1..=3 {
            assert!(store.lead_by_roistat_id(&format!("B-{i}")).await.unwrap().is_some(), "B-{i}");
        }
    }
}
