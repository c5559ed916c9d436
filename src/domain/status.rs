//! Statuses of leads and how each counts.

use serde::{Deserialize, Serialize};

/// How a status counts in the funnel and in Roistat's status distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusGroup {
    #[default]
    InWork,
    Paid,
    Cancelled,
    NotCounted,
}

impl StatusGroup {
    pub const ALL: [StatusGroup; 4] =
        [StatusGroup::InWork, StatusGroup::Paid, StatusGroup::Cancelled, StatusGroup::NotCounted];
    pub fn title(self) -> &'static str {
        match self {
            StatusGroup::InWork => "В работе",
            StatusGroup::Paid => "Оплачен",
            StatusGroup::Cancelled => "Отменён",
            StatusGroup::NotCounted => "Не учитывается",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub id: u64,
    pub name: String,
    pub group: StatusGroup,
    /// Sort order in lists and in `import_scheme`.
    pub order: i32,
}

/// The default statuses created on the first contact with Roistat.
pub fn default_statuses() -> Vec<(&'static str, StatusGroup)> {
    vec![
        ("Новая", StatusGroup::InWork),
        ("В работе", StatusGroup::InWork),
        ("Оплачена", StatusGroup::Paid),
        ("Отменена", StatusGroup::Cancelled),
    ]
}
