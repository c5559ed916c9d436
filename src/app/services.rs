//! The HTTP service and the scheduled analytics load inside the window's process: one store, one
//! process. Their states reach the status bar through `watch` channels plugged into [`Background`].

use super::Background;
use super::status::{ServiceState, ServiceStatus, SyncState, SyncStatus};
use crate::domain::AnalyticsSource;
use crate::roistat::{SchedulerConfig, SchedulerHandle, SourceState, spawn_scheduler_on};
use crate::service::{self, ServiceHandle, ServiceOptions};
use crate::store::Store;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How long closing the window waits for the service and the scheduler to stop.
const SHUTDOWN_LIMIT: Duration = Duration::from_millis(1500);

/// What runs beside the window; [`Services::shutdown`] stops both and flushes the store.
#[derive(Default)]
pub struct Services {
    service: Arc<Mutex<Option<ServiceHandle>>>,
    service_status: Option<watch::Sender<ServiceStatus>>,
    /// Runs the scheduled loads and «Загрузить сейчас»: one load per source, whoever starts it.
    pub scheduler: Option<SchedulerHandle>,
    runtime: Option<tokio::runtime::Handle>,
    /// Sends alerts over the enabled channels (one person's store: this window is its server).
    alerts: Option<super::alerts::AlertSender>,
    /// Lets `skvoz backup`, `log`, `settings` and `report` work while the window holds the store.
    #[cfg(unix)]
    control: Option<super::control::ControlServer>,
}

impl Services {
    /// Starts the service (unless switched off in the settings) and the scheduler on the background
    /// runtime. Never blocks: a failure to listen (a busy port) shows in the status bar.
    pub fn start(background: &mut Background, store: &Store) -> Services {
        // On a team database the service and the scheduled load run once, in `skvoz serve` on the
        // server, not in every window.
        if store.embedded_dir().is_none() {
            return Services::default();
        }
        let mut services = Services::start_scheduler(background, store, SchedulerConfig::default());
        if let Some(runtime) = &services.runtime {
            let (service_tx, service_rx) = watch::channel(ServiceStatus::default());
            background.plug_service(service_rx);
            runtime.spawn(run_service(store.clone(), services.service.clone(), service_tx.clone()));
            services.service_status = Some(service_tx);
            services.alerts = Some(super::alerts::AlertSender::start(runtime, store.clone()));
        }
        #[cfg(unix)]
        if let (Some(runtime), Some(_)) = (&services.runtime, store.embedded_dir()) {
            services.control = super::control::ControlServer::start(store, runtime)
                .inspect_err(|e| tracing::warn!("управляющий сокет не открыт: {e}"))
                .ok();
        }
        services
    }

    /// Starts only the scheduler (the window's tests run loads without an HTTP service).
    pub fn start_scheduler(background: &mut Background, store: &Store, config: SchedulerConfig) -> Services {
        let Some(runtime) = background.runtime_handle() else {
            return Services::default();
        };
        let (sync_tx, sync_rx) = watch::channel(SyncStatus::default());
        background.plug_sync(sync_rx);
        let scheduler = spawn_scheduler_on(&runtime, store.clone(), config);
        runtime.spawn(follow_scheduler(store.clone(), scheduler.watch(), sync_tx));
        Services {
            service: Arc::default(),
            service_status: None,
            scheduler: Some(scheduler),
            runtime: Some(runtime),
            alerts: None,
            #[cfg(unix)]
            control: None,
        }
    }

    /// Whether the HTTP service runs in this window.
    pub fn is_started(&self) -> bool {
        self.runtime.is_some() && self.service_status.is_some()
    }

    /// Stops the HTTP service and starts it again with the stored settings (a new listen address),
    /// in the background; the analytics loads go on.
    pub fn restart_service(&self, store: &Store) {
        let (Some(runtime), Some(status)) = (&self.runtime, &self.service_status) else { return };
        let (slot, status, store) = (self.service.clone(), status.clone(), store.clone());
        runtime.spawn(async move {
            let old = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(old) = old
                && let Err(e) = old.shutdown().await
            {
                tracing::warn!("HTTP-сервис остановлен с ошибкой: {e}");
            }
            run_service(store, slot, status).await;
        });
    }

    /// Stops the load and the service, finishing requests in flight (for at most [`SHUTDOWN_LIMIT`]).
    pub fn shutdown(&mut self) {
        #[cfg(unix)]
        drop(self.control.take());
        self.alerts = None;
        let Some(runtime) = self.runtime.take() else { return };
        let scheduler = self.scheduler.take();
        self.service_status = None;
        let service = self.service.lock().unwrap_or_else(|p| p.into_inner()).take();
        // Called when the window closes, off the frame loop; bounded by the service's own timeout.
        // Bounded: the window closes within about 2 s even when a load or a request hangs; what
        // was acknowledged is durable already.
        runtime.block_on(async move {
            let stop = async move {
                if let Some(scheduler) = scheduler {
                    scheduler.shutdown().await;
                }
                if let Some(service) = service
                    && let Err(e) = service.shutdown().await
                {
                    tracing::warn!("HTTP-сервис остановлен с ошибкой: {e}");
                }
            };
            if tokio::time::timeout(SHUTDOWN_LIMIT, stop).await.is_err() {
                tracing::warn!("загрузка аналитики или HTTP-сервис не остановились вовремя: окно закрывается без них");
            }
        });
    }
}

async fn run_service(store: Store, slot: Arc<Mutex<Option<ServiceHandle>>>, tx: watch::Sender<ServiceStatus>) {
    let settings = match store.service_settings().await {
        Ok(s) => s,
        Err(e) => {
            tx.send_replace(ServiceStatus { state: ServiceState::Error(e.to_string()), ..Default::default() });
            return;
        }
    };
    if !settings.enabled {
        tx.send_replace(ServiceStatus { address: settings.listen, ..Default::default() });
        return;
    }
    let handle = match service::start(store.clone(), ServiceOptions::default().with_env_overrides()).await {
        Ok(handle) => handle,
        Err(e) => {
            tx.send_replace(ServiceStatus {
                address: format!("http://{}{}", settings.listen, settings.path()),
                state: ServiceState::Error(e.to_string()),
                last_request: None,
            });
            return;
        }
    };
    let address = handle.url().await.unwrap_or_else(|_| handle.local_addr().to_string());
    let status = handle.status();
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
    // The last request time changes with every call from Roistat; a second's delay is plenty for a
    // status bar, and send_if_modified wakes the window only when something changed.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let snapshot = status.snapshot();
        let state = match snapshot.state {
            service::ServiceState::Listening(_) => match snapshot.last_error {
                Some(e) => ServiceState::Error(e),
                None => ServiceState::Listening,
            },
            service::ServiceState::Stopping | service::ServiceState::Stopped => ServiceState::NotStarted,
        };
        let next = ServiceStatus { address: address.clone(), state, last_request: snapshot.last_request };
        tx.send_if_modified(|current| {
            let changed = *current != next;
            *current = next.clone();
            changed
        });
        if tx.is_closed() || matches!(next.state, ServiceState::NotStarted) {
            break;
        }
    }
}

/// Turns the scheduler's per-source states into the one line the status bar shows.
async fn follow_scheduler(
    store: Store,
    mut states: watch::Receiver<BTreeMap<u64, SourceState>>,
    tx: watch::Sender<SyncStatus>,
) {
    loop {
        let snapshot = states.borrow_and_update().clone();
        let sources = store.list::<AnalyticsSource>().await.unwrap_or_default();
        let last_run = sources.iter().filter_map(|s| s.last_success).max();
        let names: BTreeMap<u64, String> = sources.into_iter().map(|s| (s.id, s.name)).collect();
        tx.send_replace(sync_status(&snapshot, &names, last_run));
        if states.changed().await.is_err() {
            break;
        }
    }
}

pub(crate) fn sync_status(
    states: &BTreeMap<u64, SourceState>,
    names: &BTreeMap<u64, String>,
    last_run: Option<jiff::Timestamp>,
) -> SyncStatus {
    let name = |id: &u64| names.get(id).cloned().unwrap_or_else(|| format!("источник {id}"));
    let state = if let Some((id, s)) = states.iter().find(|(_, s)| s.running) {
        let progress = if s.total == 0 { 0.0 } else { s.done as f32 / s.total as f32 };
        SyncState::Running { source: name(id), progress }
    } else if let Some((id, error)) = states.iter().find_map(|(id, s)| s.last_error.as_ref().map(|e| (id, e))) {
        SyncState::Failed(format!("{}: {error}", name(id)))
    } else {
        SyncState::Idle
    };
    SyncStatus { state, last_run }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_follows_the_sources() {
        let names = BTreeMap::from([(1, "Основной".to_string())]);
        let mut states = BTreeMap::new();
        assert_eq!(sync_status(&states, &names, None).state, SyncState::Idle);
        states.insert(1, SourceState { running: true, done: 2, total: 8, ..SourceState::default() });
        assert_eq!(
            sync_status(&states, &names, None).state,
            SyncState::Running { source: "Основной".into(), progress: 0.25 }
        );
        states.insert(1, SourceState { last_error: Some("неверный ключ".into()), ..SourceState::default() });
        assert_eq!(sync_status(&states, &names, None).state, SyncState::Failed("Основной: неверный ключ".into()));
    }
}
