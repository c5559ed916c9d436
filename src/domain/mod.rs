//! Plain data and rules, no I/O.

pub mod alerts;
mod analytics_source;
mod attribution;
mod exchange;
mod extra_field;
mod fact;
mod history;
mod lead;
mod lead_edit;
mod lead_export;
mod lead_source;
mod marker;
mod money;
mod people;
mod period;
mod plan;
mod presence;
mod reconcile;
mod secret;
mod settings;
mod status;
mod team;
mod telephony;

pub use alerts::{Alert, AlertInput, AlertKind, AlertRules, AlertSettings, Rule, TELEGRAM_API_BASE, WorkingHours};
pub use analytics_source::*;
pub use attribution::{attribute, marker_text_from_attraction};
pub use exchange::*;
pub use extra_field::*;
pub use fact::*;
pub use history::{
    AUTHOR_ANALYTICS_LOAD, AUTHOR_ROISTAT, Actor, CatalogNames, FieldChange, HistoryEntry, HistoryFilter,
    HistoryObject, Names, ORIGIN_INTAKE, describe as describe_lead_value, lead_changes, lead_created_entry,
    needs_names, parse_day, record_changes,
};
pub use lead::*;
pub use lead_edit::{LeadEdit, LeadValue};
pub use lead_export::{LeadExport, UtmExport};
pub use lead_source::*;
pub use marker::*;
pub use money::*;
pub use people::*;
pub use period::{MONTH_NAMES, PeriodPreset, last_data_day, month_title};
pub use plan::{Month, MonthError, Plan, PlanError, plan_changes, plan_key};
pub use presence::{PRESENCE_FADES, PRESENCE_REPEAT, Presence};
pub use reconcile::{LATE_AFTER, LateLead, OurLead, Reconciliation, RoistatLead, reconcile};
pub use secret::Secret;
pub use settings::*;
pub use status::*;
pub use team::{Person, PersonError, TeamRole, check_login, check_password};
pub use telephony::*;
