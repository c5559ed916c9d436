//! Background work: the tokio runtime, store events forwarded to the window, slow jobs, and the
//! status sources of the HTTP service and the Roistat sync.
//!
//! Everything reaches the window through one channel of [`AppEvent`]s, each followed by
//! `ctx.request_repaint()`: no screen polls the store.

use super::status::{ServiceStatus, SyncStatus};
use crate::report::{Query, Report};
use crate::store::{SledStore, StoreEvent};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

/// What background work reports to the window.
#[derive(Debug)]
pub enum AppEvent {
    SledStore(StoreEvent),
    /// A report computed for the request number `generation`.
    Report {
        generation: u64,
        result: Result<Box<Report>, String>,
    },
    /// The demo data were loaded (or failed to).
    DemoLoaded(Result<crate::demo::DemoSummary, String>),
    /// An export finished: the file written, `None` when the dialog was cancelled, or the error.
    Exported(Result<Option<std::path::PathBuf>, String>),
    /// The placeholder pages' lists.
    Lists(Result<Box<super::Lists>, String>),
    /// A status source changed; the status bar reads it again.
    StatusChanged,
}

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

/// The runtime and the channels; dropping it stops every task.
pub struct Background {
    runtime: Option<tokio::runtime::Runtime>,
    tx: mpsc::Sender<AppEvent>,
    rx: mpsc::Receiver<AppEvent>,
    /// Events taken off the channel by [`Background::wait_for_event`], handed out by the next drain.
    stash: Mutex<Vec<AppEvent>>,
    pub waker: Waker,
    /// The HTTP service's status, plugged in by `app/services.rs` ([`Background::plug_service`]).
    pub service: Option<watch::Receiver<ServiceStatus>>,
    /// The Roistat analytics load's progress, plugged in by `app/services.rs` ([`Background::plug_sync`]).
    pub sync: Option<watch::Receiver<SyncStatus>>,
}

#[derive(Debug, thiserror::Error)]
#[error("Не удалось запустить фоновые задачи: {0}. Перезапустите программу")]
pub struct RuntimeError(String);

impl Background {
    pub fn new(store: &SledStore) -> Result<Background, RuntimeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("skvoz-bg")
            .enable_all()
            .build()
            .map_err(|e| RuntimeError(e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        let waker = Waker::default();
        let bg =
            Background { runtime: Some(runtime), tx, rx, stash: Mutex::default(), waker, service: None, sync: None };
        bg.forward_store_events(store.subscribe());
        Ok(bg)
    }

    /// For the long-lived tasks (the service, the scheduler) that the app starts on this runtime.
    pub fn runtime_handle(&self) -> Option<tokio::runtime::Handle> {
        self.runtime().map(|rt| rt.handle().clone())
    }

    fn runtime(&self) -> Option<&tokio::runtime::Runtime> {
        self.runtime.as_ref()
    }

    fn forward_store_events(&self, mut events: broadcast::Receiver<StoreEvent>) {
        let (tx, waker) = (self.tx.clone(), self.waker.clone());
        if let Some(rt) = self.runtime() {
            rt.spawn(async move {
                loop {
                    let event = match events.recv().await {
                        Ok(e) => e,
                        // Missed some: everything may have changed.
                        Err(broadcast::error::RecvError::Lagged(_)) => StoreEvent::Reloaded,
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    if tx.send(AppEvent::SledStore(event)).is_err() {
                        break;
                    }
                    waker.wake();
                }
            });
        }
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

    fn watch_for_repaint<T: Send + Sync + 'static>(&self, mut status: watch::Receiver<T>) {
        let (tx, waker) = (self.tx.clone(), self.waker.clone());
        if let Some(rt) = self.runtime() {
            rt.spawn(async move {
                while status.changed().await.is_ok() {
                    if tx.send(AppEvent::StatusChanged).is_err() {
                        break;
                    }
                    waker.wake();
                }
            });
        }
    }

    /// Computes a report off the UI thread.
    pub fn compute_report(&self, store: &SledStore, query: Query, generation: u64) {
        let (tx, waker, store) = (self.tx.clone(), self.waker.clone(), store.clone());
        if let Some(rt) = self.runtime() {
            rt.spawn_blocking(move || {
                let result = super::load_report(&store, &query).map(Box::new).map_err(|e| e.to_string());
                let _ = tx.send(AppEvent::Report { generation, result });
                waker.wake();
            });
        }
    }

    pub fn load_lists(&self, store: &SledStore) {
        let (tx, waker, store) = (self.tx.clone(), self.waker.clone(), store.clone());
        if let Some(rt) = self.runtime() {
            rt.spawn_blocking(move || {
                let result = super::load_lists(&store).map(Box::new).map_err(|e| e.to_string());
                let _ = tx.send(AppEvent::Lists(result));
                waker.wake();
            });
        }
    }

    /// Loads the demo data off the UI thread; the store's events then refresh the screens.
    pub fn load_demo(&self, store: &SledStore, today: jiff::civil::Date) {
        let (tx, waker, store) = (self.tx.clone(), self.waker.clone(), store.clone());
        if let Some(rt) = self.runtime() {
            rt.spawn(async move {
                let store = crate::store::Store::from_embedded(store);
                let result =
                    crate::demo::fill(&store, crate::demo::DEFAULT_SEED, today).await.map_err(|e| e.to_string());
                let _ = tx.send(AppEvent::DemoLoaded(result));
                waker.wake();
            });
        }
    }

    /// Runs a blocking job (an export) off the UI thread; its outcome arrives as a message.
    pub fn run_blocking(&self, job: impl FnOnce() -> AppEvent + Send + 'static) {
        let (tx, waker) = (self.tx.clone(), self.waker.clone());
        if let Some(rt) = self.runtime() {
            rt.spawn_blocking(move || {
                let _ = tx.send(job());
                waker.wake();
            });
        }
    }

    /// Runs a future on the runtime (a network check); false when the runtime is gone.
    pub fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) -> bool {
        match self.runtime() {
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

    /// Stops the tasks, waiting briefly for blocking jobs (a demo load) to finish their write.
    pub fn shutdown(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(std::time::Duration::from_secs(5));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.shutdown();
    }
}
