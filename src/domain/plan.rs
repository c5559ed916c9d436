//! A monthly sales plan per channel (План продаж): what a marketer expects a channel to spend
//! and bring in a month. The plan / fact view compares it with what happened.

use super::{FieldChange, Money};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A calendar month, written `ГГГГ-ММ` (2026-12) in files, on the command line and in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    year: i16,
    month: i8,
}

/// A month that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("месяц «{0}» не распознан: укажите его как ГГГГ-ММ, например 2026-12")]
pub struct MonthError(pub String);

impl Month {
    pub fn new(year: i16, month: i8) -> Result<Month, MonthError> {
        if !(1..=12).contains(&month) || !(1900..=9999).contains(&year) {
            return Err(MonthError(format!("{year:04}-{month:02}")));
        }
        Ok(Month { year, month })
    }

    /// The month `day` falls in.
    pub fn of(day: Date) -> Month {
        Month { year: day.year(), month: day.month() }
    }

    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// How many days the month has.
    pub fn days(self) -> i8 {
        self.first_day().days_in_month()
    }

    /// The month before (for the window's month switch).
    pub fn previous(self) -> Month {
        if self.month == 1 { Month { year: self.year - 1, month: 12 } } else { Month { month: self.month - 1, ..self } }
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { month: self.month + 1, ..self } }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = MonthError;
    fn from_str(text: &str) -> Result<Month, MonthError> {
        let bad = || MonthError(text.trim().to_string());
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i16 = year.parse().map_err(|_| bad())?;
        let month: i8 = month.parse().map_err(|_| bad())?;
        Month::new(year, month).map_err(|_| bad())
    }
}

impl TryFrom<String> for Month {
    type Error = MonthError;
    fn try_from(text: String) -> Result<Month, MonthError> {
        text.parse()
    }
}

impl From<Month> for String {
    fn from(month: Month) -> String {
        month.to_string()
    }
}

/// The plan of one channel for one month; a channel has at most one plan a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub month: Month,
    /// The channel's key: the first level of the marker, as in the facts and the dashboard.
    pub channel: String,
    /// What the channel may spend (Roistat's costs count against it).
    pub budget: Money,
    pub leads: u64,
    pub sales: u64,
    pub revenue: Money,
}

/// A plan that cannot be stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("не указан канал плана: укажите значение канала (уровень 1 маркера, например direct)")]
    NoChannel,
    #[error("бюджет и выручка плана не могут быть отрицательными: укажите 0 или больше")]
    Negative,
}

impl Plan {
    /// An empty plan of `channel` for `month`.
    pub fn new(month: Month, channel: impl Into<String>) -> Plan {
        Plan { month, channel: channel.into(), budget: Money::ZERO, leads: 0, sales: 0, revenue: Money::ZERO }
    }

    /// The checks both backends make before storing.
    pub fn check(&self) -> Result<(), PlanError> {
        if self.channel.trim().is_empty() {
            return Err(PlanError::NoChannel);
        }
        if self.budget < Money::ZERO || self.revenue < Money::ZERO {
            return Err(PlanError::Negative);
        }
        Ok(())
    }

    /// Where the store keeps it: `2026-12/direct` (also its history's key).
    pub fn key(&self) -> String {
        plan_key(self.month, &self.channel)
    }
}

/// The store's key of a month's channel plan.
pub fn plan_key(month: Month, channel: &str) -> String {
    format!("{month}/{channel}")
}

/// What changed between two versions of a plan (`None`: none, or deleted), for the history: money
/// in roubles, as people typed it.
pub fn plan_changes(old: Option<&Plan>, new: Option<&Plan>) -> Vec<FieldChange> {
    let money = |plan: Option<&Plan>, f: fn(&Plan) -> Money| plan.map(|p| f(p).to_string()).unwrap_or_default();
    let count = |plan: Option<&Plan>, f: fn(&Plan) -> u64| plan.map(|p| f(p).to_string()).unwrap_or_default();
    let fields = [
        ("Бюджет", money(old, |p| p.budget), money(new, |p| p.budget)),
        ("Заявки", count(old, |p| p.leads), count(new, |p| p.leads)),
        ("Продажи", count(old, |p| p.sales), count(new, |p| p.sales)),
        ("Выручка", money(old, |p| p.revenue), money(new, |p| p.revenue)),
    ];
    let mut changes: Vec<FieldChange> =
        fields.into_iter().filter(|(_, a, b)| a != b).map(|(field, a, b)| FieldChange::new(field, a, b)).collect();
    if new.is_none() && old.is_some() {
        changes.insert(0, FieldChange::new("Запись", "", "удалена"));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_as_people_write_them_and_refuse_what_is_no_month() {
        let december: Month = "2026-12".parse().unwrap();
        assert_eq!(december.to_string(), "2026-12");
        assert_eq!(december.days(), 31);
        assert_eq!(december.last_day(), jiff::civil::date(2026, 12, 31));
        assert_eq!(december.next().to_string(), "2027-01");
        assert_eq!(december.next().previous(), december);
        assert_eq!("2028-02".parse::<Month>().unwrap().days(), 29);
        for bad in ["2026-13", "2026-00", "2026-1", "26-12", "декабрь", ""] {
            let error = bad.parse::<Month>().unwrap_err().to_string();
            assert!(error.contains("ГГГГ-ММ"), "{bad}: {error}");
        }
        assert_eq!(serde_json::to_string(&december).unwrap(), "\"2026-12\"");
        assert!(serde_json::from_str::<Month>("\"2026-13\"").is_err());
    }

    #[test]
    fn history_shows_what_moved_in_roubles() {
        let month = Month::new(2026, 12).unwrap();
        let old = Plan { budget: Money::from_rubles(100_000), leads: 50, ..Plan::new(month, "direct") };
        let new = Plan { budget: Money::from_rubles(120_000), ..old.clone() };
        let changes = plan_changes(Some(&old), Some(&new));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "Бюджет");
        assert_eq!(changes[0].to, Money::from_rubles(120_000).to_string());
        assert_eq!(plan_changes(Some(&old), None)[0].to, "удалена");
        assert!(plan_changes(Some(&old), Some(&old)).is_empty());
        assert_eq!(Plan::new(month, " ").check(), Err(PlanError::NoChannel));
    }
}
