//! The exchange log writer: requests hand their entry to one background thread, so lead intake
//! does not wait for the log (it is written without waiting for a flush).

use crate::domain::ExchangeEntry;
use crate::store::SledStore;
use tokio::sync::{mpsc, oneshot};

enum Message {
    Entry(Box<ExchangeEntry>),
    Stop(oneshot::Sender<()>),
}

/// Entries written in one batch at most.
const MAX_BATCH: usize = 1024;

#[derive(Clone)]
pub struct LogSender(mpsc::Sender<Message>);

pub struct LogWriter {
    sender: mpsc::Sender<Message>,
}

/// Starts the writer thread.
pub fn spawn(store: SledStore) -> (LogSender, LogWriter) {
    let (sender, mut receiver) = mpsc::channel::<Message>(16_384);
    let spawned = std::thread::Builder::new().name("skvoz-exchange-log".into()).spawn(move || {
        let mut batch = Vec::new();
        while let Some(message) = receiver.blocking_recv() {
            // Whatever queued up meanwhile goes into the same write.
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
            if let Err(e) = store.log_exchanges(std::mem::take(&mut batch)) {
                tracing::error!("журнал обмена не записан: {e}");
            }
            if let Some(done) = stop {
                let _ = done.send(());
                return;
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!("не удалось запустить запись журнала обмена: {e}");
    }
    (LogSender(sender.clone()), LogWriter { sender })
}

impl LogSender {
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

impl LogWriter {
    /// Writes everything queued so far, then stops the thread.
    pub async fn finish(self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Stop(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}
