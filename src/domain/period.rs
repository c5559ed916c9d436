//! Period presets — «Сегодня», «7 дней», «Прошлый месяц»… — and their dates: one type for the
//! dashboard, the leads list and the exchange log, each offering the presets that make sense there.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// The months as a calendar heads them.
pub const MONTH_NAMES: [&str; 12] = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
];

/// «Ноябрь 2026»: the month of `day`, as people name it.
pub fn month_title(day: Date) -> String {
    format!("{} {}", MONTH_NAMES[usize::from(day.month().unsigned_abs().saturating_sub(1))], day.year())
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PeriodPreset {
    /// «За всё время»: no bounds.
    #[default]
    All,
    /// The last 60 minutes.
    LastHour,
    /// The last 24 hours.
    LastDay,
    Today,
    Yesterday,
    Days7,
    Days30,
    Days90,
    ThisMonth,
    LastMonth,
    Quarter,
    Year,
    Custom,
}

impl PeriodPreset {
    /// The dashboard's presets: calendar days of figures.
    pub const DASHBOARD: [PeriodPreset; 9] = [
        PeriodPreset::Today,
        PeriodPreset::Yesterday,
        PeriodPreset::Days7,
        PeriodPreset::Days30,
        PeriodPreset::ThisMonth,
        PeriodPreset::LastMonth,
        PeriodPreset::Quarter,
        PeriodPreset::Year,
        PeriodPreset::Custom,
    ];
    /// The leads list's «Период».
    pub const LEADS: [PeriodPreset; 6] = [
        PeriodPreset::All,
        PeriodPreset::Today,
        PeriodPreset::Days7,
        PeriodPreset::Days30,
        PeriodPreset::Days90,
        PeriodPreset::Custom,
    ];
    /// The exchange log's period: the recent past by the clock.
    pub const EXCHANGE_LOG: [PeriodPreset; 4] =
        [PeriodPreset::All, PeriodPreset::LastHour, PeriodPreset::LastDay, PeriodPreset::Days7];

    pub fn title(self) -> &'static str {
        match self {
            PeriodPreset::All => "За всё время",
            PeriodPreset::LastHour => "За час",
            PeriodPreset::LastDay => "За сутки",
            PeriodPreset::Today => "Сегодня",
            PeriodPreset::Yesterday => "Вчера",
            PeriodPreset::Days7 => "7 дней",
            PeriodPreset::Days30 => "30 дней",
            PeriodPreset::Days90 => "90 дней",
            PeriodPreset::ThisMonth => "Этот месяц",
            PeriodPreset::LastMonth => "Прошлый месяц",
            PeriodPreset::Quarter => "Квартал",
            PeriodPreset::Year => "Год",
            PeriodPreset::Custom => "Произвольный",
        }
    }

    /// The days of the preset, both included: rolling presets end today, calendar presets (month,
    /// quarter, year) run from their first day to today, `custom` is used for
    /// [`PeriodPreset::Custom`]. The presets without days (all time, the last hour or 24 hours)
    /// give the days they touch, from the first day of facts that can matter (`today` itself).
    pub fn range(self, today: Date, custom: (Date, Date)) -> (Date, Date) {
        let back = |d: Date, n: i32| d.checked_sub(n.days()).unwrap_or(d);
        match self {
            PeriodPreset::All | PeriodPreset::LastHour | PeriodPreset::Today => (today, today),
            PeriodPreset::LastDay => (back(today, 1), today),
            PeriodPreset::Yesterday => {
                let y = back(today, 1);
                (y, y)
            }
            // «7 дней» and «30 дней» end today, as a person reads them; the dashboard says when
            // Roistat's data end earlier.
            PeriodPreset::Days7 => (back(today, 6), today),
            PeriodPreset::Days30 => (back(today, 29), today),
            PeriodPreset::Days90 => (back(today, 89), today),
            PeriodPreset::ThisMonth => (today.first_of_month(), today),
            PeriodPreset::LastMonth => {
                let last = back(today.first_of_month(), 1);
                (last.first_of_month(), last)
            }
            PeriodPreset::Quarter => {
                let first_month = (today.month() - 1) / 3 * 3 + 1;
                (Date::new(today.year(), first_month, 1).unwrap_or(today), today)
            }
            PeriodPreset::Year => (Date::new(today.year(), 1, 1).unwrap_or(today), today),
            PeriodPreset::Custom => {
                let (a, b) = custom;
                if a <= b { (a, b) } else { (b, a) }
            }
        }
    }

    /// `[from, to)` as moments in `tz`, for filters of records by time; `None` for all time. The
    /// last hour and 24 hours count back from `now`; the others are whole days of [`Self::range`].
    pub fn moments(self, now: Timestamp, tz: &TimeZone, custom: (Date, Date)) -> Option<(Timestamp, Timestamp)> {
        let back = |seconds: i64| Timestamp::from_second(now.as_second() - seconds).ok();
        let after_now = now.checked_add(1.second()).ok()?;
        match self {
            PeriodPreset::All => None,
            PeriodPreset::LastHour => Some((back(3_600)?, after_now)),
            PeriodPreset::LastDay => Some((back(86_400)?, after_now)),
            _ => {
                let (first, last) = self.range(now.to_zoned(tz.clone()).date(), custom);
                let start_of = |d: Date| d.to_zoned(tz.clone()).ok().map(|z| z.timestamp());
                Some((start_of(first)?, start_of(last.checked_add(1.day()).ok()?)?))
            }
        }
    }
}

/// The day rolling presets end on: the last fact's day, unless it is after today.
pub fn last_data_day(today: Date, last_fact: Option<Date>) -> Date {
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
        let r = |p: PeriodPreset| p.range(today, c);
        assert_eq!(r(PeriodPreset::Today), (today, today));
        assert_eq!(r(PeriodPreset::Yesterday), (anchor, anchor));
        assert_eq!(r(PeriodPreset::Days7), (Date::constant(2026, 11, 18), today));
        assert_eq!(r(PeriodPreset::Days30), (Date::constant(2026, 10, 26), today));
        assert_eq!(r(PeriodPreset::ThisMonth), (Date::constant(2026, 11, 1), today));
        assert_eq!(r(PeriodPreset::LastMonth), (Date::constant(2026, 10, 1), Date::constant(2026, 10, 31)));
        assert_eq!(r(PeriodPreset::Quarter), (Date::constant(2026, 10, 1), today));
        assert_eq!(r(PeriodPreset::Year), (Date::constant(2026, 1, 1), today));
        let a = Date::constant(2026, 5, 1);
        assert_eq!(PeriodPreset::Custom.range(today, (today, a)), (a, today));
        assert_eq!(super::last_data_day(today, Some(Date::constant(2027, 1, 1))), today);
        assert_eq!(super::last_data_day(today, None), today);
    }

    #[test]
    fn moments_are_whole_days_in_the_zone_or_the_clock_back_from_now() {
        let tz = TimeZone::get("Europe/Moscow").unwrap();
        let now: Timestamp = "2026-11-24T09:30:00Z".parse().unwrap();
        let c = (Date::constant(2026, 11, 1), Date::constant(2026, 11, 2));
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(PeriodPreset::All.moments(now, &tz, c), None);
        assert_eq!(PeriodPreset::LastHour.moments(now, &tz, c).unwrap().0, at("2026-11-24T08:30:00Z"));
        assert_eq!(PeriodPreset::LastDay.moments(now, &tz, c).unwrap().0, at("2026-11-23T09:30:00Z"));
        // Moscow is UTC+3: its 24 November starts at 21:00 UTC the day before.
        assert_eq!(
            PeriodPreset::Days7.moments(now, &tz, c),
            Some((at("2026-11-17T21:00:00Z"), at("2026-11-24T21:00:00Z")))
        );
        assert_eq!(PeriodPreset::Days90.moments(now, &tz, c).unwrap().0, at("2026-08-26T21:00:00Z"));
        assert_eq!(
            PeriodPreset::Custom.moments(now, &tz, c),
            Some((at("2026-10-31T21:00:00Z"), at("2026-11-02T21:00:00Z")))
        );
    }
}
