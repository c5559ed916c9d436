//! Lead intake with group commit. Handlers queue their parameters; one writer thread stores
//! whatever has queued up as one batch, and one flusher thread makes it durable (one sync of the
//! store's intake journal) and only then answers. While a batch is being synced the next one is
//! written, so a sync carries many leads and no request waits in a line of syncs.

use super::actions::lead::build;
use super::query::Params;
use crate::domain::ExtraField;
use crate::store::{Contact, Intake, Store, StoreError};
use jiff::Timestamp;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Leads stored in one batch at most.
const MAX_BATCH: usize = 512;

/// The intake journal is emptied (sled flushed) when it grows past this.
const CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;

/// A stored and durable lead, with what the log should say about its input.
pub struct Accepted {
    pub intake: Intake,
    pub notes: Vec<String>,
}

type Reply = oneshot::Sender<Result<Accepted, StoreError>>;

struct Job {
    params: Params,
    reply: Reply,
}

/// The handlers' end of the queue; the threads stop when the service drops it.
pub struct IntakeQueue {
    jobs: mpsc::Sender<Job>,
}

impl IntakeQueue {
    pub fn start(store: Store) -> Result<IntakeQueue, StoreError> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (written, written_rx) = mpsc::channel::<Vec<(Reply, Result<Accepted, StoreError>)>>();
        let spawn_failed = |e: std::io::Error| StoreError::Invalid(format!("не удалось запустить приём заявок: {e}"));
        let writer_store = store.clone();
        std::thread::Builder::new()
            .name("skvoz-intake".into())
            .spawn(move || write_batches(&writer_store, &job_rx, &written))
            .map_err(spawn_failed)?;
        std::thread::Builder::new()
            .name("skvoz-intake-flush".into())
            .spawn(move || flush_batches(&store, &written_rx))
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

fn write_batches(
    store: &Store,
    jobs: &mpsc::Receiver<Job>,
    written: &mpsc::Sender<Vec<(Reply, Result<Accepted, StoreError>)>>,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = store_batch(store, &batch);
        let replies = batch.into_iter().map(|job| job.reply).zip(results).collect();
        if written.send(replies).is_err() {
            return;
        }
    }
}

/// One store batch; if it fails, each lead alone, so one bad lead fails only itself.
fn store_batch(store: &Store, batch: &[Job]) -> Vec<Result<Accepted, StoreError>> {
    let fields = store.list::<ExtraField>();
    let initial_status = store.initial_status();
    let (fields, initial_status) = match (fields, initial_status) {
        (Ok(fields), Ok(status)) => (fields, status),
        (Err(e), _) | (_, Err(e)) => return batch.iter().map(|_| Err(e.clone())).collect(),
    };
    let now = Timestamp::now();
    let mut items: Vec<(crate::domain::Lead, Contact)> = Vec::with_capacity(batch.len());
    let mut notes = Vec::with_capacity(batch.len());
    for job in batch {
        let (lead, contact, note) = build(&job.params, &fields, initial_status, now);
        items.push((lead, contact));
        notes.push(note);
    }
    match store.intake_leads(&items) {
        Ok(intakes) => intakes.into_iter().zip(notes).map(|(intake, notes)| Ok(Accepted { intake, notes })).collect(),
        Err(_) if items.len() > 1 => items
            .into_iter()
            .zip(notes)
            .map(|((lead, contact), notes)| store.intake_lead(lead, &contact).map(|intake| Accepted { intake, notes }))
            .collect(),
        Err(e) => vec![Err(e)],
    }
}

fn flush_batches(store: &Store, written: &mpsc::Receiver<Vec<(Reply, Result<Accepted, StoreError>)>>) {
    while let Ok(first) = written.recv() {
        let mut replies = first;
        while let Ok(more) = written.try_recv() {
            replies.extend(more);
        }
        // "ok" means the lead survives a crash: nobody is answered before the sync.
        let flushed = store.sync_intake();
        for (reply, result) in replies {
            let result = match (&flushed, result) {
                (Ok(()), result) => result,
                (Err(e), _) => Err(e.clone()),
            };
            let _ = reply.send(result);
        }
        if store.intake_journal_len() > CHECKPOINT_BYTES
            && let Err(e) = store.checkpoint()
        {
            tracing::error!("журнал приёма заявок не очищен: {e}");
        }
    }
}
