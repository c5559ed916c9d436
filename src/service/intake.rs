//! Lead intake with group commit. Handlers queue their parameters; one writer thread stores
//! whatever has queued up as one batch, and one flusher thread makes it durable (one sync of the
//! store's intake journal) and only then answers. The flusher gets a batch as soon as it is in the
//! journal, so the sync runs while the writer puts the batch into sled; a sync carries many leads
//! and no request waits in a line of syncs. Checkpoints run in a third thread, so answers never
//! wait for a flush of sled.

use super::Unrecoverable;
use super::actions::lead::build;
use super::query::Params;
use crate::domain::Contact;
use crate::domain::{ExtraField, LeadSource, User, assign_responsible, roistat_lead_source};
use crate::store::{Intake, SledStore, StoreError};
use jiff::Timestamp;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Leads stored in one batch at most.
const MAX_BATCH: usize = 512;

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

/// A batch handed to the flusher as soon as it is in the journal; its outcome follows once it is
/// written to sled, so the sync and the write run at the same time.
struct Pending {
    replies: Vec<Reply>,
    outcome: mpsc::Receiver<Outcome>,
}

/// The handlers' end of the queue; the threads stop when the service drops it.
pub struct IntakeQueue {
    jobs: mpsc::Sender<Job>,
}

impl IntakeQueue {
    /// Starts the threads; an error the store cannot recover from is reported to `unrecoverable`.
    pub fn start(store: SledStore, unrecoverable: Unrecoverable) -> Result<IntakeQueue, StoreError> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (written, written_rx) = mpsc::channel::<Pending>();
        // At most one checkpoint request waits: a second one would find nothing more to do.
        let (due, due_rx) = mpsc::sync_channel::<()>(1);
        let spawn_failed = |e: std::io::Error| StoreError::Invalid(format!("не удалось запустить приём заявок: {e}"));
        let writer_store = store.clone();
        std::thread::Builder::new()
            .name("skvoz-intake".into())
            .spawn(move || write_batches(&writer_store, &job_rx, &written))
            .map_err(spawn_failed)?;
        let (flush_store, flush_unrecoverable) = (store.clone(), unrecoverable.clone());
        std::thread::Builder::new()
            .name("skvoz-intake-flush".into())
            .spawn(move || flush_batches(&flush_store, &written_rx, &due, &flush_unrecoverable))
            .map_err(spawn_failed)?;
        std::thread::Builder::new()
            .name("skvoz-checkpoint".into())
            .spawn(move || checkpoints(&store, &due_rx, &unrecoverable))
            .map_err(spawn_failed)?;
        Ok(IntakeQueue { jobs })
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

fn write_batches(store: &SledStore, jobs: &mpsc::Receiver<Job>, written: &mpsc::Sender<Pending>) {
    // Leads handed to the people of a lead source's role so far, for «in turn».
    let mut turn = 0;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (params, replies): (Vec<Params>, Vec<Reply>) = batch.into_iter().map(|job| (job.params, job.reply)).unzip();
        let (outcome, outcome_rx) = mpsc::channel();
        let mut pending = Some(Pending { replies, outcome: outcome_rx });
        let mut hand_over = || {
            if let Some(p) = pending.take() {
                let _ = written.send(p);
            }
        };
        let results = store_batch(store, &params, &mut turn, &mut hand_over);
        // A batch that failed before the journal still needs its answers.
        if let Some(p) = pending.take()
            && written.send(p).is_err()
        {
            return;
        }
        let _ = outcome.send(results);
    }
}

/// One store batch; if it fails before reaching the journal, each lead alone, so one bad lead
/// fails only itself (then they are synced here, as the flusher may have synced before them).
fn store_batch(store: &SledStore, batch: &[Params], turn: &mut usize, journaled: &mut dyn FnMut()) -> Outcome {
    let reference = (|| -> Result<_, StoreError> {
        Ok((store.list::<ExtraField>()?, store.initial_status()?, store.list::<LeadSource>()?, store.list::<User>()?))
    })();
    let (fields, initial_status, sources, users) = match reference {
        Ok(reference) => reference,
        Err(e) => return batch.iter().map(|_| Err(e.clone())).collect(),
    };
    // A lead from Roistat belongs to the Roistat lead source and goes to its responsible.
    let source = roistat_lead_source(&sources);
    let now = Timestamp::now();
    let mut items: Vec<(crate::domain::Lead, Contact)> = Vec::with_capacity(batch.len());
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
    let mut reached_journal = false;
    let result = store.intake_leads_with(&items, || {
        reached_journal = true;
        journaled();
    });
    match result {
        Ok(intakes) => intakes.into_iter().zip(notes).map(|(intake, notes)| Ok(Accepted { intake, notes })).collect(),
        Err(_) if !reached_journal && items.len() > 1 => {
            let results: Outcome = items
                .into_iter()
                .zip(notes)
                .map(|((lead, contact), notes)| {
                    store.intake_lead(lead, &contact).map(|intake| Accepted { intake, notes })
                })
                .collect();
            match store.sync_intake() {
                Ok(()) => results,
                Err(e) => results.into_iter().map(|_| Err(e.clone())).collect(),
            }
        }
        Err(e) => items.iter().map(|_| Err(e.clone())).collect(),
    }
}

fn flush_batches(
    store: &SledStore,
    written: &mpsc::Receiver<Pending>,
    due: &mpsc::SyncSender<()>,
    unrecoverable: &Unrecoverable,
) {
    while let Ok(first) = written.recv() {
        let mut pending = vec![first];
        while let Ok(more) = written.try_recv() {
            pending.push(more);
        }
        // "ok" means the lead survives a crash: nobody is answered before the sync.
        let synced = store.sync_intake();
        for batch in pending {
            // And nobody before their lead can be read back.
            let outcome = batch.outcome.recv().unwrap_or_default();
            let mut results = outcome.into_iter();
            for reply in batch.replies {
                let result = match (&synced, results.next()) {
                    (Ok(()), Some(result)) => result,
                    (Err(e), _) => Err(e.clone()),
                    (Ok(()), None) => Err(StoreError::Invalid("заявка не записана: повторите запрос".into())),
                };
                if let Err(e) = &result {
                    unrecoverable.report_if(e);
                }
                let _ = reply.send(result);
            }
        }
        // Full means a checkpoint is asked for already.
        let _ = due.try_send(());
    }
}

fn checkpoints(store: &SledStore, due: &mpsc::Receiver<()>, unrecoverable: &Unrecoverable) {
    while due.recv().is_ok() {
        if let Err(e) = store.checkpoint_when_due() {
            tracing::error!("журнал приёма заявок не очищен: {e}");
            unrecoverable.report_if(&e);
        }
    }
}
