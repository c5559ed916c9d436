//! Plain data and rules, no I/O.

mod attribution;
mod catalog;
mod exchange;
mod fact;
mod lead;
mod lead_edit;
mod lead_export;
mod marker;
mod money;
mod reconcile;
mod secret;
mod settings;

pub use attribution::{attribute, marker_text_from_attraction};
pub use catalog::*;
pub use exchange::*;
pub use fact::*;
pub use lead::*;
pub use lead_edit::{LeadEdit, LeadValue};
pub use lead_export::{LeadExport, UtmExport};
pub use marker::*;
pub use money::*;
pub use reconcile::{LATE_AFTER, LateLead, OurLead, Reconciliation, RoistatLead, reconcile};
pub use secret::Secret;
pub use settings::*;
