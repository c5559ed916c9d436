//! Lead intake with group commit. Handlers queue their parameters; one task takes whatever has
//! queued up as one batch and hands it to the store, whose intake is durable when it returns. Up
//! to two batches are in flight: while one waits for its journal sync, the next is written, and
//! the store lets concurrent syncs share one `fdatasync`. So a sync carries many leads and no
//! request waits in a line of syncs. Checkpoints run inside the store, beside intake.

use super::Unrecoverable;
use super::actions::lead::build;
use super::query::Params;
use crate::domain::{Contact, ExtraField, Lead, LeadSource, User, assign_responsible, roistat_lead_source};
use crate::store::{Intake, Store, StoreError};
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
        let prepared = prepare(&store, &params, &mut turn).await;
        let (store, unrecoverable) = (store.clone(), unrecoverable.clone());
        tokio::spawn(async move {
            let results = match prepared {
                Ok((items, notes)) => store_batch(&store, items, notes).await,
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
async fn prepare(
    store: &Store,
    batch: &[Params],
    turn: &mut usize,
) -> Result<(Vec<(Lead, Contact)>, Vec<Vec<String>>), StoreError> {
    let (fields, initial_status, sources, users) = tokio::try_join!(
        store.list::<ExtraField>(),
        store.initial_status(),
        store.list::<LeadSource>(),
        store.list::<User>()
    )?;
    // A lead from Roistat belongs to the Roistat lead source and goes to its responsible.
    let source = roistat_lead_source(&sources);
    let now = Timestamp::now();
    let mut items = Vec::with_capacity(batch.len());
    let mut notes = Vec::with_capacity(batch.len());
    for params in batch {
        let (mut lead, contact, note) = build(params, &fields, initial_status, now);
        if let Some(source) = source {
            lead.lead_source_id = Some(source.id);
            lead.responsible = assign_responsible(source.responsible, &users, turn);
        }
        items.push((lead, contact));
        notes.push(note);
    }
    Ok((items, notes))
}

/// One durable store batch. A batch refused before it reached the journal (an error the store
/// recovers from) is stored again lead by lead, so one bad lead fails only itself.
async fn store_batch(store: &Store, items: Vec<(Lead, Contact)>, notes: Vec<Vec<String>>) -> Outcome {
    let alone = (items.len() > 1).then(|| items.clone());
    match store.intake_leads(items).await {
        Ok(intakes) => intakes.into_iter().zip(notes).map(|(intake, notes)| Ok(Accepted { intake, notes })).collect(),
        Err(e) if !e.is_unrecoverable() && alone.is_some() => {
            let mut results = Vec::with_capacity(notes.len());
            for ((lead, contact), notes) in alone.unwrap_or_default().into_iter().zip(notes) {
                results.push(store.intake_lead(lead, contact).await.map(|intake| Accepted { intake, notes }));
            }
            results
        }
        Err(e) => notes.iter().map(|_| Err(e.clone())).collect(),
    }
}
