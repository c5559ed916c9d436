//! Period presets of the dashboard and their dates.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Preset {
    Today,
    Yesterday,
    Days7,
    #[default]
    Days30,
    ThisMonth,
    LastMonth,
    Quarter,
    Year,
    Custom,
}

impl Preset {
    pub const ALL: [Preset; 9] = [
        Preset::Today,
        Preset::Yesterday,
        Preset::Days7,
        Preset::Days30,
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::Quarter,
        Preset::Year,
        Preset::Custom,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Preset::Today => "Сегодня",
            Preset::Yesterday => "Вчера",
            Preset::Days7 => "7 дней",
            Preset::Days30 => "30 дней",
            Preset::ThisMonth => "Этот месяц",
            Preset::LastMonth => "Прошлый месяц",
            Preset::Quarter => "Квартал",
            Preset::Year => "Год",
            Preset::Custom => "Произвольный",
        }
    }

    /// The days of the preset. `today` is the calendar's today; `anchor` is the day the rolling
    /// presets (7 and 30 days) end on: the last day with facts when it is not in the future, so a
    /// load that lags a day does not show an empty last bar. Calendar presets (month, quarter,
    /// year) run from their first day to today. `custom` is used for [`Preset::Custom`].
    pub fn range(self, today: Date, custom: (Date, Date)) -> (Date, Date) {
        let back = |d: Date, n: i32| d.checked_sub(n.days()).unwrap_or(d);
        match self {
            Preset::Today => (today, today),
            Preset::Yesterday => {
                let y = back(today, 1);
                (y, y)
            }
            // «7 дней» and «30 дней» end today, as a person reads them; the dashboard says when
            // Roistat's data end earlier.
            Preset::Days7 => (back(today, 6), today),
            Preset::Days30 => (back(today, 29), today),
            Preset::ThisMonth => (today.first_of_month(), today),
            Preset::LastMonth => {
                let last = back(today.first_of_month(), 1);
                (last.first_of_month(), last)
            }
            Preset::Quarter => {
                let first_month = (today.month() - 1) / 3 * 3 + 1;
                (Date::new(today.year(), first_month, 1).unwrap_or(today), today)
            }
            Preset::Year => (Date::new(today.year(), 1, 1).unwrap_or(today), today),
            Preset::Custom => {
                let (a, b) = custom;
                if a <= b { (a, b) } else { (b, a) }
            }
        }
    }
}

/// The day rolling presets end on: the last fact's day, unless it is after today.
pub fn anchor(today: Date, last_fact: Option<Date>) -> Date {
    match last_fact {
        Some(d) if d <= today => d,
        _ => today,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        let today = Date::constant(2026, 11, 24);
        let anchor = Date::constant(2026, 11, 23);
        let c = (today, today);
        let r = |p: Preset| p.range(today, c);
        assert_eq!(r(Preset::Today), (today, today));
        assert_eq!(r(Preset::Yesterday), (anchor, anchor));
        assert_eq!(r(Preset::Days7), (Date::constant(2026, 11, 18), today));
        assert_eq!(r(Preset::Days30), (Date::constant(2026, 10, 26), today));
        assert_eq!(r(Preset::ThisMonth), (Date::constant(2026, 11, 1), today));
        assert_eq!(r(Preset::LastMonth), (Date::constant(2026, 10, 1), Date::constant(2026, 10, 31)));
        assert_eq!(r(Preset::Quarter), (Date::constant(2026, 10, 1), today));
        assert_eq!(r(Preset::Year), (Date::constant(2026, 1, 1), today));
        let a = Date::constant(2026, 5, 1);
        assert_eq!(Preset::Custom.range(today, (today, a)), (a, today));
        assert_eq!(super::anchor(today, Some(Date::constant(2027, 1, 1))), today);
        assert_eq!(super::anchor(today, None), today);
    }
}
