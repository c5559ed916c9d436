//! The exchange log writer: requests hand their entry to one background task, so lead intake does
//! not wait for the log; whatever queued up while one batch was written goes into the next.

use crate::domain::ExchangeEntry;
use crate::store::Store;
use tokio::sync::{mpsc, oneshot};

enum Message {
    Entry(Box<ExchangeEntry>),
    Stop(oneshot::Sender<()>),
}

/// Entries written in one batch at most.
const MAX_BATCH: usize = 1024;

/// On a server database a write is a commit that every other writer's commit waits for (the
/// change log commits in order), so the log is written at most this often there and lead intake
/// gets the commits; the entries wait in the queue meanwhile.
const TEAM_PACE: std::time::Duration = std::time::Duration::from_millis(50);

/// The requests' end of the queue.
#[derive(Clone)]
pub struct ExchangeLogSender(mpsc::Sender<Message>);

/// Stops the writer once everything queued is written.
pub struct ExchangeLogWriter {
    sender: mpsc::Sender<Message>,
}

/// Starts the writer task on the current tokio runtime.
pub fn spawn(store: Store) -> (ExchangeLogSender, ExchangeLogWriter) {
    let (sender, mut receiver) = mpsc::channel::<Message>(16_384);
    let pace = store.embedded_dir().is_none().then_some(TEAM_PACE);
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while let Some(message) = receiver.recv().await {
            let started = tokio::time::Instant::now();
            let mut next = Some(message);
            let mut stop = None;
            while let Some(message) = next.take() {
                match message {
                    Message::Entry(entry) => batch.push(*entry),
                    Message::Stop(done) => {
                        stop = Some(done);
                        break;
                    }
                }
                if batch.len() < MAX_BATCH {
                    next = receiver.try_recv().ok();
                }
            }
            if !batch.is_empty()
                && let Err(e) = store.log_exchanges(std::mem::take(&mut batch)).await
            {
                tracing::error!("журнал обмена не записан: {e}");
            }
            if let Some(done) = stop {
                let _ = done.send(());
                return;
            }
            if let Some(pace) = pace {
                tokio::time::sleep_until(started + pace).await;
            }
        }
    });
    (ExchangeLogSender(sender.clone()), ExchangeLogWriter { sender })
}

impl ExchangeLogSender {
    /// Queues an entry; waits only when the writer is far behind.
    pub async fn send(&self, entry: ExchangeEntry) {
        if self.0.send(Message::Entry(Box::new(entry))).await.is_err() {
            tracing::warn!("журнал обмена уже закрыт: запись пропущена");
        }
    }

    /// From synchronous code: queues if there is room.
    pub fn send_now(&self, entry: ExchangeEntry) {
        if self.0.try_send(Message::Entry(Box::new(entry))).is_err() {
            tracing::warn!("очередь журнала обмена переполнена: запись пропущена");
        }
    }
}

impl ExchangeLogWriter {
    /// Writes everything queued so far, then stops the task.
    pub async fn finish(self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Stop(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}
