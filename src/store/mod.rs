//! The store: the only code that touches a database.
//!
//! [`Store`] is one async handle over two backends — the embedded one (sled in the data folder,
//! [`embedded`]) and a team's PostgreSQL database ([`postgres`]) — speaking the domain only.
//! Both pass one conformance suite; docs/architecture.md says when each makes a write durable.

mod backup_format;
mod embedded;
mod error;
mod handle;
mod location;
mod people;
mod permissions;
mod postgres;
mod record;

pub use backup_format::BackupSummary;
pub use embedded::{ExchangeScan, SCHEMA_VERSION, store_dir};
// The sled backend stays behind the handle; the crate's own tests reach it to inject faults.
pub use crate::domain::{Person, TeamRole};
#[cfg(test)]
pub(crate) use embedded::SledStore;
#[cfg(not(test))]
use embedded::SledStore;
pub use error::{Result, StoreError, conflict_text};
pub use handle::{ChangeFeed, Location, Store};
pub use location::{Database, DatabaseParts, LocationError, TlsMode};
pub use permissions::create_private_file;
pub use postgres::{SchemaStatus, group_name};
pub use record::{Intake, LeadExports, Record, generate_password};

use crate::domain::LeadId;

/// What changed, for screens that refresh without polling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreEvent {
    LeadsChanged(Vec<LeadId>),
    ClientsChanged,
    CatalogChanged,
    SettingsChanged,
    FactsChanged,
    CallsChanged,
    /// A monthly plan was stored or removed.
    PlansChanged,
    ExchangeLogged(u64),
    /// Everything may have changed (restore, demo data).
    Reloaded,
    /// Another window opened or closed a lead (team database only).
    Presence(crate::domain::Presence),
}

/// The newest entries the exchange log keeps unless told otherwise.
pub(crate) const EXCHANGE_CAPACITY: usize = 100_000;
