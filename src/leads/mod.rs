//! The leads workspace without drawing: list rows, filters and search, group change with undo,
//! and the marker-template wizard's rules. Pure except for the group change, which runs against the store on the background runtime.

mod group_change;
mod list;
mod wizard;

pub use group_change::{Changed, GroupChange, GroupEdit, Undo, Undone};
pub use list::{LeadColumn, LeadFilter, LeadList, LeadRow, MarkerFilter};
pub use wizard::{
    MarkerChannel, MarkerCheck, TemplateDraft, WizardStep, check_marker, known_markers, marker_for_levels,
};
