//! The leads workspace without drawing: list rows, filters and search, group change with undo,
//! and the marker-template wizard's rules. Pure except for the store calls that apply a change.

mod group_change;
mod list;
mod wizard;

pub use group_change::{GroupChange, GroupEdit, Undo};
pub use list::{LeadColumn, LeadFilter, LeadList, LeadRow, MarkerFilter};
pub use wizard::{
    MarkerChannel, MarkerCheck, TemplateDraft, WizardStep, check_marker, known_markers, marker_for_levels,
};
