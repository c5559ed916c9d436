//! The window's state that survives a restart, and the small view enums it is made of.

use crate::domain::PeriodPreset;
use crate::domain::Role;
use crate::report::views::{Basis, View};
use crate::report::{Comparison, Grouping, Sort};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The screens of the left navigation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Page {
    #[default]
    Dashboard,
    /// «План продаж»: marketers and admins set the monthly plans per channel.
    Plan,
    Leads,
    Calls,
    Sources,
    Catalog,
    ExchangeLog,
    History,
    Settings,
}

impl Page {
    pub const ALL: [Page; 9] = [
        Page::Dashboard,
        Page::Plan,
        Page::Leads,
        Page::Calls,
        Page::Sources,
        Page::Catalog,
        Page::ExchangeLog,
        Page::History,
        Page::Settings,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Page::Dashboard => "Сквозная аналитика",
            Page::Plan => "План продаж",
            Page::Leads => "Заявки",
            Page::Calls => "Звонки",
            Page::Sources => "Источники",
            Page::Catalog => "Доп. реквизиты и статусы",
            Page::ExchangeLog => "Журнал обмена",
            Page::History => "История изменений",
            Page::Settings => "Настройки",
        }
    }
    /// The pages a role sees, in navigation order.
    pub fn for_role(role: Role) -> &'static [Page] {
        match role {
            Role::Marketer => &[Page::Dashboard, Page::Plan, Page::Leads, Page::Calls],
            Role::Manager => &[Page::Leads, Page::Calls, Page::Dashboard],
            Role::Admin => &Page::ALL,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub fn title(self) -> &'static str {
        match self {
            ThemeChoice::System => "Как в системе",
            ThemeChoice::Light => "Светлая",
            ThemeChoice::Dark => "Тёмная",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
    pub fn filter_name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "Текст CSV (Excel)",
            ExportFormat::Xlsx => "Книга Excel",
        }
    }
}

/// What survives a restart (eframe storage). `#[serde(default)]`: an older or damaged state never
/// stops the start, unknown fields are ignored and missing ones take their defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    pub page: Page,
    pub preset: PeriodPreset,
    pub custom_from: Option<Date>,
    pub custom_to: Option<Date>,
    pub grouping: Grouping,
    pub comparison: Comparison,
    pub sort: Sort,
    /// The dashboard's tab: a view of our own leads, `None` for the ROI table.
    pub view: Option<View>,
    /// By which date the views count leads.
    pub basis: Basis,
    /// The extra field that holds the sale date (by its developer name); `None`: the first entry
    /// into a paid status.
    pub sale_field: Option<String>,
    pub theme: ThemeChoice,
    pub user_id: Option<u64>,
    /// Each person's theme: switching the user in the top bar switches it too.
    pub themes: std::collections::BTreeMap<u64, ThemeChoice>,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            page: Page::Dashboard,
            preset: PeriodPreset::Days30,
            custom_from: None,
            custom_to: None,
            grouping: Grouping::Channel,
            comparison: Comparison::default(),
            sort: Sort::default(),
            view: None,
            basis: Basis::Lead,
            sale_field: None,
            theme: ThemeChoice::System,
            user_id: None,
            themes: std::collections::BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Column;

    #[test]
    fn old_or_partial_state_never_breaks_start_up() {
        let partial: AppState = serde_json::from_str(r#"{"preset":"Days7","unknown_field":1}"#).unwrap();
        assert_eq!(partial.preset, PeriodPreset::Days7);
        assert_eq!(partial.page, Page::Dashboard);
        assert_eq!(partial.sort, Sort::default());
        let state = AppState {
            page: Page::Leads,
            preset: PeriodPreset::Custom,
            custom_from: Some(Date::constant(2026, 1, 1)),
            custom_to: Some(Date::constant(2026, 1, 31)),
            grouping: Grouping::Day,
            comparison: Comparison::YearAgo,
            sort: Sort { column: Column::Roi, descending: false },
            view: Some(View::Cohorts),
            basis: Basis::Sale,
            sale_field: Some("paid_on".into()),
            theme: ThemeChoice::Dark,
            user_id: Some(3),
            themes: [(3, ThemeChoice::Dark)].into(),
        };
        let back: AppState = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(back, state);
    }

    #[test]
    fn pages_follow_the_role() {
        assert!(!Page::for_role(Role::Marketer).contains(&Page::Settings));
        assert_eq!(Page::for_role(Role::Manager)[0], Page::Leads);
        assert_eq!(Page::for_role(Role::Admin), &Page::ALL);
    }
}
