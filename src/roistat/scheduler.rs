//! The background task that runs due analytics loads, one at a time per source.
//!
//! ```ignore
//! // `skvoz serve`, inside its tokio runtime:
//! let scheduler = skvoz::roistat::spawn_scheduler(store.clone(), SchedulerConfig::default());
//! // the window, from the UI thread with the app's runtime handle:
//! let scheduler = skvoz::roistat::spawn_scheduler_on(&runtime_handle, store.clone(), SchedulerConfig::default());
//! scheduler.run_now(source_id)?;                 // «Загрузить сейчас»
//! let mut states = scheduler.watch();            // progress bars: states.changed().await
//! scheduler.cancel(source_id);
//! scheduler.shutdown().await;                    // on exit
//! ```

use super::cancel::Cancel;
use super::sync::{SyncOptions, SyncProgress, run_sync};
use crate::domain::AnalyticsSource;
use crate::store::{Store, StoreEvent};
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    /// How often due sources are looked for (also on every catalog change).
    pub tick: Duration,
    pub sync: SyncOptions,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig { tick: Duration::from_secs(30), sync: SyncOptions::default() }
    }
}

/// One source's load as the screens show it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceState {
    pub running: bool,
    /// Periods stored in the current (or last) run.
    pub done: usize,
    pub total: usize,
    /// What it does now, or how the last run ended (Russian).
    pub message: String,
    /// Finished runs since the scheduler started.
    pub runs: u64,
    /// The last run's error, `None` after a success.
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunNowError {
    #[error("Загрузка этого источника уже выполняется: дождитесь её окончания или отмените её")]
    AlreadyRunning,
    #[error("Планировщик загрузок остановлен: перезапустите программу")]
    Stopped,
}

struct Shared {
    store: Store,
    config: SchedulerConfig,
    runtime: tokio::runtime::Handle,
    running: Mutex<HashMap<u64, Cancel>>,
    states: watch::Sender<BTreeMap<u64, SourceState>>,
    stopped: AtomicBool,
}

impl Shared {
    fn running(&self) -> MutexGuard<'_, HashMap<u64, Cancel>> {
        self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Controls the scheduler; cheap to clone, usable from any thread (also the UI thread).
#[derive(Clone)]
pub struct SchedulerHandle {
    shared: Arc<Shared>,
    stop: Cancel,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// Starts the scheduler on the current tokio runtime. It checks due sources every `config.tick`
/// and on every catalog change, and runs each due source's load unless it is already running.
///
/// # Panics
/// When called outside a tokio runtime (like `tokio::spawn`).
pub fn spawn_scheduler(store: Store, config: SchedulerConfig) -> SchedulerHandle {
    spawn_scheduler_on(&tokio::runtime::Handle::current(), store, config)
}

/// [`spawn_scheduler`] on a given runtime, for callers outside it (the window's UI thread).
pub fn spawn_scheduler_on(runtime: &tokio::runtime::Handle, store: Store, config: SchedulerConfig) -> SchedulerHandle {
    let shared = Arc::new(Shared {
        store,
        config,
        runtime: runtime.clone(),
        running: Mutex::new(HashMap::new()),
        states: watch::Sender::new(BTreeMap::new()),
        stopped: AtomicBool::new(false),
    });
    let stop = Cancel::new();
    let task = runtime.spawn(scheduler_loop(shared.clone(), stop.clone()));
    SchedulerHandle { shared, stop, task: Arc::new(Mutex::new(Some(task))) }
}

impl SchedulerHandle {
    /// «Загрузить сейчас»: starts a load at once, whatever the schedule says (also for a disabled source).
    pub fn run_now(&self, source_id: u64) -> Result<(), RunNowError> {
        start(&self.shared, source_id)
    }

    /// Asks a running load to stop; it stops between requests or during a wait. False if none ran.
    pub fn cancel(&self, source_id: u64) -> bool {
        match self.shared.running().get(&source_id) {
            Some(cancel) => {
                cancel.cancel();
                true
            }
            None => false,
        }
    }

    pub fn is_running(&self, source_id: u64) -> bool {
        self.shared.running().contains_key(&source_id)
    }

    /// A snapshot of every source's state, by source id.
    pub fn progress(&self) -> BTreeMap<u64, SourceState> {
        self.shared.states.borrow().clone()
    }

    /// Changes of the states, for a progress bar (`changed().await`, then `borrow()`).
    pub fn watch(&self) -> watch::Receiver<BTreeMap<u64, SourceState>> {
        self.shared.states.subscribe()
    }

    /// Stops the schedule, cancels running loads and waits until they have finished.
    pub async fn shutdown(self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.stop.cancel();
        for cancel in self.shared.running().values() {
            cancel.cancel();
        }
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        let mut states = self.shared.states.subscribe();
        let _ = states.wait_for(|m| m.values().all(|s| !s.running)).await;
    }
}

async fn scheduler_loop(shared: Arc<Shared>, stop: Cancel) {
    let mut events = shared.store.subscribe();
    let mut tick = tokio::time::interval(shared.config.tick.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut events_open = true;
    loop {
        let due = tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => true,
            event = events.next(), if events_open => match event {
                Some(StoreEvent::CatalogChanged | StoreEvent::Reloaded) => true,
                Some(_) => false,
                None => {
                    events_open = false;
                    false
                }
            },
        };
        if due {
            run_due(&shared).await;
        }
    }
}

async fn run_due(shared: &Arc<Shared>) {
    let sources = match shared.store.list::<AnalyticsSource>().await {
        Ok(sources) => sources,
        Err(e) => {
            tracing::warn!(error = %e, "не удалось прочитать источники аналитики");
            return;
        }
    };
    let now = Timestamp::now();
    for source in sources.iter().filter(|s| s.is_due(now)) {
        if start(shared, source.id).is_ok() {
            tracing::info!(job = %source.job_name(), "загрузка по расписанию");
        }
    }
}

/// Marks the run finished even if the task panics, so a source is never stuck as running.
struct RunGuard {
    shared: Arc<Shared>,
    id: u64,
    outcome: Option<Result<String, String>>,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        self.shared.running().remove(&self.id);
        let outcome = self.outcome.take().unwrap_or_else(|| Err("Загрузка прервана внутренней ошибкой".into()));
        self.shared.states.send_modify(|states| {
            let state = states.entry(self.id).or_default();
            state.running = false;
            state.runs += 1;
            match outcome {
                Ok(message) => {
                    state.message = message;
                    state.last_error = None;
                }
                Err(message) => {
                    state.message = message.clone();
                    state.last_error = Some(message);
                }
            }
        });
    }
}

fn start(shared: &Arc<Shared>, source_id: u64) -> Result<(), RunNowError> {
    if shared.stopped.load(Ordering::SeqCst) {
        return Err(RunNowError::Stopped);
    }
    let cancel = Cancel::new();
    {
        let mut running = shared.running();
        if running.contains_key(&source_id) {
            return Err(RunNowError::AlreadyRunning);
        }
        running.insert(source_id, cancel.clone());
    }
    shared.states.send_modify(|states| {
        let state = states.entry(source_id).or_default();
        state.running = true;
        state.done = 0;
        state.total = 0;
        state.message = "Загрузка начата".into();
    });
    let task_shared = shared.clone();
    shared.runtime.spawn(async move {
        let mut guard = RunGuard { shared: task_shared.clone(), id: source_id, outcome: None };
        let states = &task_shared.states;
        let progress = |p: &SyncProgress| {
            states.send_modify(|m| {
                let state = m.entry(source_id).or_default();
                state.done = p.done;
                state.total = p.total;
                state.message = p.message.clone();
            })
        };
        let result = run_sync(&task_shared.store, source_id, &task_shared.config.sync, &cancel, &progress).await;
        guard.outcome = Some(match result {
            Ok(report) => Ok(format!("Загружено фактов: {}, звонков: {}", report.facts, report.calls)),
            Err(e) => Err(e.to_string()),
        });
    });
    Ok(())
}
