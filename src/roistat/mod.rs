//! Roistat's REST API (we are the client) and the scheduled analytics load.
//!
//! - [`RoistatClient`]: typed calls with typed, Russian errors; the API key never reaches a message.
//! - [`run_sync`]: one load of one analytics source into the store, period by period.
//! - [`spawn_scheduler`]: the background task that runs due loads; the window and `skvoz serve` use it.

mod cancel;
mod client;
mod error;
mod reconcile;
mod scheduler;
mod sync;
mod types;

pub use cancel::Cancel;
pub use client::{ClientConfig, RoistatClient, project_zone};
pub use error::RoistatError;
pub use reconcile::{RECONCILE_DAYS, create_missing, reconcile_source};
pub use scheduler::{RunNowError, SchedulerConfig, SchedulerHandle, SourceState, spawn_scheduler, spawn_scheduler_on};
pub use sync::{RetryPolicy, SyncError, SyncOptions, SyncProgress, SyncReport, load_range, plan_periods, run_sync};
pub use types::{AnalyticsItem, CostRecord, DimensionValue, MetricInfo, MetricNames, Project, RoistatCall};
