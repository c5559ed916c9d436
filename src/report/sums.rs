//! What a report is built from: the sums per marker path for the period and for the comparison
//! period, and per day and channel for the charts. A store computes them where its facts are
//! (PostgreSQL with `GROUP BY`, so only these sums cross the network, not the facts); [`sums`]
//! computes the same from facts in memory. Both follow one rule for titles: a path's titles are
//! those of its first fact in the store's order (date, analytics source, then the titles).

use super::{Figures, FxMap, ReportError};
use crate::domain::{DailyFact, MarkerPath};
use jiff::civil::Date;
use std::cmp::Ordering;

/// The period of a report and the one it is compared with, both inclusive; they may overlap (a
/// 90-day period against the same days a month before), and a fact in both counts in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Periods {
    pub from: Date,
    pub to: Date,
    pub previous_from: Date,
    pub previous_to: Date,
}

impl Periods {
    pub fn in_current(&self, date: Date) -> bool {
        date >= self.from && date <= self.to
    }
    pub fn in_previous(&self, date: Date) -> bool {
        date >= self.previous_from && date <= self.previous_to
    }
}

/// One marker path's sums.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathSums {
    /// The values identify the path; the titles are its first fact's.
    pub path: MarkerPath,
    /// The date and analytics source of its first fact, which order the paths.
    pub first_date: Date,
    pub first_source: u64,
    pub current: Figures,
    pub previous: Figures,
    /// It has facts in the period (their figures may all be zero).
    pub in_current: bool,
}

impl PathSums {
    /// The store's order of facts: date, analytics source, then the levels byte-wise.
    pub fn first_order(&self, other: &PathSums) -> Ordering {
        (self.first_date, self.first_source)
            .cmp(&(other.first_date, other.first_source))
            .then_with(|| levels_order(&self.path, &other.path))
    }
}

fn levels_order(a: &MarkerPath, b: &MarkerPath) -> Ordering {
    a.levels().iter().zip(b.levels()).fold(Ordering::Equal, |order, (a, b)| {
        order.then_with(|| a.value.cmp(&b.value)).then_with(|| a.title.cmp(&b.title))
    })
}

/// A channel's sums on one day of the period.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelDay {
    pub date: Date,
    /// The channel's value (marker level 1).
    pub channel: String,
    pub figures: Figures,
}

/// Everything [`super::from_sums`] needs. `paths` has every path with facts in either period;
/// `days` every day of the period and channel that has facts, in any order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportSums {
    pub paths: Vec<PathSums>,
    pub days: Vec<ChannelDay>,
}

impl ReportSums {
    /// Paths in the order of their first facts, days by date and channel: equal sums compare equal
    /// whichever store computed them.
    pub fn sorted(mut self) -> ReportSums {
        self.paths.sort_by(PathSums::first_order);
        self.days.sort_by(|a, b| (a.date, &a.channel).cmp(&(b.date, &b.channel)));
        self
    }
}

/// Whether fact `a` comes before fact `b` of the same path in the store's order.
fn earlier(a: &DailyFact, b: &DailyFact) -> bool {
    let key = |f: &DailyFact| (f.date, f.analytics_source_id);
    match key(a).cmp(&key(b)) {
        Ordering::Equal => levels_order(&a.path, &b.path) == Ordering::Less,
        order => order == Ordering::Less,
    }
}

struct PathAcc<'a> {
    first: &'a DailyFact,
    channel: usize,
    current: Figures,
    previous: Figures,
    in_current: bool,
}

/// The sums of facts in memory (the embedded store's way); facts outside both periods are ignored.
pub fn sums(facts: &[DailyFact], periods: &Periods) -> Result<ReportSums, ReportError> {
    let day_count = day_count(periods)?;
    // One hash lookup per fact; the channels' days are indexed, not hashed.
    let mut path_index: FxMap<[&str; 3], usize> = FxMap::default();
    let mut paths: Vec<PathAcc<'_>> = Vec::new();
    let mut channel_index: FxMap<&str, usize> = FxMap::default();
    let mut channels: Vec<(&str, Vec<Option<Figures>>)> = Vec::new();
    // Facts come sorted by date from the store; remember the last day's index to skip date arithmetic.
    let mut last_day: Option<(Date, usize)> = None;
    for fact in facts {
        let (in_current, in_previous) = (periods.in_current(fact.date), periods.in_previous(fact.date));
        if !in_current && !in_previous {
            continue;
        }
        let key = fact.key_levels();
        let index = match path_index.get(&key) {
            Some(&i) => i,
            None => {
                let channel = *channel_index.entry(key[0]).or_insert_with(|| {
                    channels.push((key[0], Vec::new()));
                    channels.len() - 1
                });
                paths.push(PathAcc {
                    first: fact,
                    channel,
                    current: Figures::default(),
                    previous: Figures::default(),
                    in_current: false,
                });
                path_index.insert(key, paths.len() - 1);
                paths.len() - 1
            }
        };
        let path = &mut paths[index];
        if earlier(fact, path.first) {
            path.first = fact;
        }
        if in_previous {
            path.previous.add_fact(fact);
        }
        if in_current {
            path.current.add_fact(fact);
            path.in_current = true;
            let day = match last_day {
                Some((d, i)) if d == fact.date => i,
                _ => {
                    let i = periods.from.until(fact.date).map(|s| s.get_days()).unwrap_or(0);
                    let i = usize::try_from(i).unwrap_or(0).min(day_count - 1);
                    last_day = Some((fact.date, i));
                    i
                }
            };
            let days = &mut channels[path.channel].1;
            if days.is_empty() {
                days.resize(day_count, None);
            }
            days[day].get_or_insert_with(Figures::default).add_fact(fact);
        }
    }
    let mut days = Vec::new();
    for (channel, figures) in channels {
        for (i, figures) in figures.into_iter().enumerate() {
            if let Some(figures) = figures {
                let date =
                    periods.from.checked_add(jiff::ToSpan::days(i as i64)).map_err(|_| ReportError::OutOfRange)?;
                days.push(ChannelDay { date, channel: channel.to_string(), figures });
            }
        }
    }
    let paths = paths
        .into_iter()
        .map(|p| PathSums {
            path: p.first.path.clone(),
            first_date: p.first.date,
            first_source: p.first.analytics_source_id,
            current: p.current,
            previous: p.previous,
            in_current: p.in_current,
        })
        .collect();
    Ok(ReportSums { paths, days }.sorted())
}

/// Days in the period, inclusive.
pub(super) fn day_count(periods: &Periods) -> Result<usize, ReportError> {
    if periods.from > periods.to {
        return Err(ReportError::InvertedPeriod { from: periods.from, to: periods.to });
    }
    let span = periods.from.until(periods.to).map_err(|_| ReportError::OutOfRange)?;
    usize::try_from(i64::from(span.get_days()) + 1).map_err(|_| ReportError::OutOfRange)
}
