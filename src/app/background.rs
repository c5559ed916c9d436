//! Background work: the tokio runtime, the change feed forwarded to the window, the tasks that run
//! commands against the store, and the status sources of the HTTP service and the Roistat sync.
//!
//! Everything reaches the window through one channel of [`AppEvent`]s, each followed by
//! `ctx.request_repaint()`: no screen polls the store.

use super::command::{AppEvent, Change};
use super::link::LinkState;
use super::status::{ServiceStatus, SyncStatus};
use crate::store::{ChangeFeed, Store};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Wakes the window from any thread; set when the first frame gives us the context.
#[derive(Clone, Default)]
pub struct Waker(Arc<Mutex<Option<egui::Context>>>);

impl Waker {
    pub fn set(&self, ctx: &egui::Context) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(ctx.clone());
        }
    }
    pub fn wake(&self) {
        if let Some(ctx) = self.0.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            ctx.request_repaint();
        }
    }
}

/// Sends events to the window and wakes it.
#[derive(Clone)]
struct Reply {
    tx: mpsc::Sender<AppEvent>,
    waker: Waker,
}

impl Reply {
    fn send(&self, event: AppEvent) -> bool {
        let sent = self.tx.send(event).is_ok();
        self.waker.wake();
        sent
    }
}

/// The runtime and the channel; dropping it stops every task.
pub struct Background {
    runtime: Option<tokio::runtime::Runtime>,
    store: Store,
    reply: Reply,
    rx: mpsc::Receiver<AppEvent>,
    /// Events taken off the channel by [`Background::wait_for_event`], handed out by the next drain.
    stash: Mutex<Vec<AppEvent>>,
    /// Tasks started and not yet answered (tests and the spinner wait on it).
    in_flight: Arc<AtomicUsize>,
    pub waker: Waker,
    /// The HTTP service's status, plugged in by `app/services.rs` ([`Background::plug_service`]).
    pub service: Option<watch::Receiver<ServiceStatus>>,
    /// The Roistat analytics load's progress, plugged in by `app/services.rs` ([`Background::plug_sync`]).
    pub sync: Option<watch::Receiver<SyncStatus>>,
    /// Whether the team database answers, plugged in by `app/link.rs` ([`Background::plug_link`]).
    pub link: Option<watch::Receiver<LinkState>>,
}

#[derive(Debug, thiserror::Error)]
#[error("Не удалось запустить фоновые задачи: {0}. Перезапустите программу")]
pub struct RuntimeError(pub(crate) String);

impl Background {
    /// Starts the runtime and follows the store's change feed. Reads nothing.
    pub fn new(store: &Store) -> Result<Background, RuntimeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("skvoz-bg")
            .enable_all()
            .build()
            .map_err(|e| RuntimeError(e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        let waker = Waker::default();
        let bg = Background {
            runtime: Some(runtime),
            store: store.clone(),
            reply: Reply { tx, waker: waker.clone() },
            rx,
            stash: Mutex::default(),
            in_flight: Arc::default(),
            waker,
            service: None,
            sync: None,
            link: None,
        };
        bg.forward_changes(store.subscribe());
        Ok(bg)
    }

    /// The store the tasks run against.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// For the long-lived tasks (the service, the scheduler) that the app starts on this runtime.
    pub fn runtime_handle(&self) -> Option<tokio::runtime::Handle> {
        self.runtime.as_ref().map(|rt| rt.handle().clone())
    }

    fn forward_changes(&self, mut feed: ChangeFeed) {
        let reply = self.reply.clone();
        self.spawn(async move {
            while let Some(event) = feed.next().await {
                if !reply.send(AppEvent::Changed(Change::from(event))) {
                    break;
                }
            }
        });
    }

    /// Runs `task` on the runtime and sends its answer to the window.
    pub fn answer(&self, task: impl Future<Output = AppEvent> + Send + 'static) {
        let (reply, in_flight) = (self.reply.clone(), self.in_flight.clone());
        in_flight.fetch_add(1, Ordering::AcqRel);
        let started = self.spawn(async move {
            let event = task.await;
            reply.send(event);
            in_flight.fetch_sub(1, Ordering::AcqRel);
        });
        if !started {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Runs a blocking job (an export, a dialog) off the UI thread; its outcome arrives as an
    /// event, or `failed`'s when the job broke off.
    pub fn run_blocking(
        &self,
        job: impl FnOnce() -> AppEvent + Send + 'static,
        failed: impl FnOnce(String) -> AppEvent + Send + 'static,
    ) {
        self.answer(async move {
            tokio::task::spawn_blocking(job).await.unwrap_or_else(|e| failed(format!("работа прервана: {e}")))
        });
    }

    /// Wires the HTTP service's status (from `service::start`'s handle) into the status bar.
    pub fn plug_service(&mut self, status: watch::Receiver<ServiceStatus>) {
        self.watch_for_repaint(status.clone());
        self.service = Some(status);
    }

    /// Wires the analytics load's progress (from `roistat::spawn_scheduler`'s handle) into the status bar.
    pub fn plug_sync(&mut self, status: watch::Receiver<SyncStatus>) {
        self.watch_for_repaint(status.clone());
        self.sync = Some(status);
    }

    /// Wires the team database's light into the status bar.
    pub fn plug_link(&mut self, status: watch::Receiver<LinkState>) {
        self.watch_for_repaint(status.clone());
        self.link = Some(status);
    }

    fn watch_for_repaint<T: Send + Sync + 'static>(&self, mut status: watch::Receiver<T>) {
        let reply = self.reply.clone();
        self.spawn(async move {
            while status.changed().await.is_ok() {
                if !reply.send(AppEvent::StatusChanged) {
                    break;
                }
            }
        });
    }

    /// Runs a future on the runtime (a network check); false when the runtime is gone.
    pub fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) -> bool {
        match &self.runtime {
            Some(rt) => {
                rt.spawn(job);
                true
            }
            None => false,
        }
    }

    /// Everything that arrived since the last frame.
    pub fn drain(&self) -> Vec<AppEvent> {
        let mut events = std::mem::take(&mut *self.stash.lock().unwrap_or_else(|p| p.into_inner()));
        events.extend(self.rx.try_iter());
        events
    }

    /// Whether a task is under way or its answer waits for the next frame.
    pub fn is_working(&self) -> bool {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return true;
        }
        let mut stash = self.stash.lock().unwrap_or_else(|p| p.into_inner());
        stash.extend(self.rx.try_iter().filter(|e| !matches!(e, AppEvent::StatusChanged)));
        stash.iter().any(|e| !matches!(e, AppEvent::Changed(_)))
    }

    /// Blocks until an event arrives or `timeout` passes; for tests and benchmarks, never the UI.
    pub fn wait_for_event(&self, timeout: std::time::Duration) -> bool {
        match self.rx.recv_timeout(timeout) {
            Ok(event) => {
                self.stash.lock().unwrap_or_else(|p| p.into_inner()).push(event);
                true
            }
            Err(_) => false,
        }
    }

    /// Stops the tasks. A store write under way finishes on the store's own thread; what was
    /// answered is durable already, so nothing waits long: the window closes at once.
    pub fn shutdown(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(std::time::Duration::from_millis(500));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.shutdown();
    }
}
