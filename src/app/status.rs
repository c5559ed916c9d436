//! What the status bar shows about the HTTP service and the analytics load.
//!
//! `app/services.rs` publishes these from the running service and scheduler through `tokio::sync::watch`
//! channels, connected by [`super::Background::plug_service`] / [`super::Background::plug_sync`]. Without
//! them (tests) the status bar says «не запущен».

use jiff::Timestamp;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ServiceState {
    #[default]
    NotStarted,
    Listening,
    Error(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceStatus {
    /// `http://127.0.0.1:8085/crm_httpAnalytics/hs/analytics`
    pub address: String,
    pub state: ServiceState,
    /// The last request from Roistat.
    pub last_request: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum SyncState {
    #[default]
    Idle,
    /// `progress` in 0..=1; `source` is the analytics source's name.
    Running {
        source: String,
        progress: f32,
    },
    Failed(String),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncStatus {
    pub state: SyncState,
    pub last_run: Option<Timestamp>,
}
