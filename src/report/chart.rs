//! What the dashboard's two charts draw: the period cut into days, or into weeks when days would
//! be too many to read, with the hover text of each bucket. Pure: the screen only paints it.

use super::{Report, fmt_count, fmt_date, fmt_money};
use crate::domain::Money;
use jiff::civil::Date;
use std::collections::HashMap;

/// Longer periods are drawn by weeks.
const MAX_DAY_BUCKETS: usize = 92;

/// One bar or point of a chart: a day, or a week that starts on `from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub from: Date,
    pub to: Date,
    pub cost: Money,
    pub visits: u64,
}

/// A channel's cost per bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelLine {
    pub key: String,
    pub title: String,
    pub cost: Vec<Money>,
    /// Its place in the screen's palette: the same for a channel in every period and filter.
    pub color: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chart {
    pub buckets: Vec<Bucket>,
    /// Channels that spent something in the period, in the report's order.
    pub channels: Vec<ChannelLine>,
    /// Channels without any cost: named under the chart, not drawn over the others as a flat line.
    pub free_channels: Vec<String>,
    pub weekly: bool,
    /// The channels the chart is narrowed to (their titles); empty: every channel.
    pub only: Vec<String>,
}

impl Chart {
    /// The chart of a report, for a palette of `palette` colours.
    pub fn of(report: &Report, palette: usize) -> Chart {
        Chart::of_channels(report, palette, &[])
    }

    /// The chart of the channels `only` (their keys; the drill-down's open channels), or of every
    /// channel when `only` names none of the report's.
    pub fn of_channels(report: &Report, palette: usize, only: &[&str]) -> Chart {
        let colors = channel_colors(report.channels.iter().map(|c| c.key.as_str()), palette);
        let days = report.daily.len();
        let size = if days > MAX_DAY_BUCKETS { 7 } else { 1 };
        let chosen: Vec<&super::ChannelSeries> =
            report.daily_by_channel.iter().filter(|s| only.contains(&s.key.as_str())).collect();
        let buckets: Vec<Bucket> = report
            .daily
            .chunks(size)
            .enumerate()
            .filter_map(|(i, chunk)| {
                let (first, last) = (chunk.first()?, chunk.last()?);
                let (cost, visits) = if chosen.is_empty() {
                    (chunk.iter().map(|d| d.figures.cost).sum(), chunk.iter().map(|d| d.figures.visits).sum())
                } else {
                    let days = || chosen.iter().flat_map(|s| s.days.iter().skip(i * size).take(size));
                    (days().map(|f| f.cost).sum(), days().map(|f| f.visits).sum())
                };
                Some(Bucket { from: first.date, to: last.date, cost, visits })
            })
            .collect();
        let mut channels = Vec::new();
        let mut free_channels = Vec::new();
        for series in &report.daily_by_channel {
            if !chosen.is_empty() && !only.contains(&series.key.as_str()) {
                continue;
            }
            let cost: Vec<Money> = series.days.chunks(size).map(|c| c.iter().map(|f| f.cost).sum()).collect();
            if cost.iter().all(|c| *c == Money::ZERO) {
                free_channels.push(series.title.clone());
            } else {
                let color = colors.get(series.key.as_str()).copied().unwrap_or_default();
                channels.push(ChannelLine { key: series.key.clone(), title: series.title.clone(), cost, color });
            }
        }
        let only = chosen.iter().map(|s| s.title.clone()).collect();
        Chart { buckets, channels, free_channels, weekly: size > 1, only }
    }

    /// `12.11.2026`, or `неделя 09.11.2026 — 15.11.2026`.
    pub fn bucket_title(&self, index: usize) -> Option<String> {
        let b = self.buckets.get(index)?;
        Some(if b.from == b.to {
            fmt_date(b.from)
        } else {
            format!("неделя {} — {}", fmt_date(b.from), fmt_date(b.to))
        })
    }

    /// `12.11.2026 · Расходы 78 431 ₽ · Визиты 2 355`.
    pub fn cost_visits_hover(&self, index: usize) -> Option<String> {
        let b = self.buckets.get(index)?;
        Some(format!("{} · Расходы {} · Визиты {}", self.bucket_title(index)?, fmt_money(b.cost), fmt_count(b.visits)))
    }

    /// `12.11.2026 · Яндекс.Директ 40 000 ₽ · Google Ads 31 000 ₽`: every channel of the bucket.
    pub fn channels_hover(&self, index: usize) -> Option<String> {
        let mut text = self.bucket_title(index)?;
        for line in &self.channels {
            let cost = line.cost.get(index).copied().unwrap_or(Money::ZERO);
            text.push_str(&format!(" · {} {}", line.title, fmt_money(cost)));
        }
        Some(text)
    }

    /// A label every `step` buckets: at most `labels` on the axis, whatever the period.
    pub fn tick_step(&self, labels: usize) -> usize {
        let n = self.buckets.len();
        let labels = labels.max(2);
        [1, 2, 3, 5, 7, 10, 14, 15, 30, 60].into_iter().find(|step| n.div_ceil(*step) <= labels).unwrap_or(n.max(1))
    }
}

/// A colour for each channel of the data, the same whatever the period or the filter: each key
/// takes the slot its hash points to, or the next free one, in key order (so two channels never
/// share a colour while the palette lasts).
pub fn channel_colors<'a>(keys: impl Iterator<Item = &'a str>, palette: usize) -> HashMap<&'a str, usize> {
    let palette = palette.max(1);
    let mut keys: Vec<&str> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    let mut taken = vec![false; palette];
    let mut colors = HashMap::new();
    for key in keys {
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        let start = (hash % palette as u64) as usize;
        let slot = (0..palette).map(|i| (start + i) % palette).find(|s| !taken[*s]).unwrap_or(start);
        taken[slot] = true;
        colors.insert(key, slot);
    }
    colors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DailyFact, Level};
    use crate::report::{Grouping, Query, build};

    fn report(days: i64) -> Report {
        let start = Date::constant(2026, 1, 1);
        let mut facts = Vec::new();
        for i in 0..days {
            let date = start.checked_add(jiff::Span::new().days(i)).unwrap();
            let paid = [Level::new("direct27", "Яндекс.Директ"), Level::default(), Level::default()];
            let free = [Level::new("", "Прямые визиты"), Level::default(), Level::default()];
            facts.push(DailyFact { visits: 10, cost: Money::from_rubles(100), ..DailyFact::new(date, paid) });
            facts.push(DailyFact { visits: 5, ..DailyFact::new(date, free) });
        }
        let to = start.checked_add(jiff::Span::new().days(days - 1)).unwrap();
        build(&facts, &Query::new(start, to, Grouping::Channel)).unwrap()
    }

    #[test]
    fn a_month_is_drawn_by_days_and_a_year_by_weeks() {
        let month = Chart::of(&report(30), 8);
        assert!(!month.weekly);
        assert_eq!(month.buckets.len(), 30);
        assert_eq!(month.cost_visits_hover(0).unwrap(), "01.01.2026 · Расходы 100\u{a0}₽ · Визиты 15");
        let year = Chart::of(&report(365), 8);
        assert!(year.weekly);
        assert_eq!(year.buckets.len(), 53);
        assert_eq!(year.buckets[0].visits, 7 * 15);
        assert_eq!(year.bucket_title(1).unwrap(), "неделя 08.01.2026 — 14.01.2026");
        assert!(year.buckets.len().div_ceil(year.tick_step(8)) <= 8);
        assert!(year.buckets.len().div_ceil(year.tick_step(4)) <= 4);
        assert_eq!(Chart::of(&report(1), 8).tick_step(8), 1);
    }

    #[test]
    fn channels_without_cost_are_named_not_drawn() {
        let chart = Chart::of(&report(3), 8);
        assert_eq!(chart.channels.len(), 1);
        assert_eq!(chart.free_channels, ["Прямые визиты"]);
        assert_eq!(chart.channels_hover(2).unwrap(), "03.01.2026 · Яндекс.Директ 100\u{a0}₽");
    }

    #[test]
    fn a_drilled_channel_narrows_the_chart() {
        let r = report(3);
        let paid = Chart::of_channels(&r, 8, &["direct27"]);
        assert_eq!(paid.only, ["Яндекс.Директ"]);
        assert_eq!(paid.buckets[0].visits, 10, "the channel's visits, not the total 15");
        assert_eq!(paid.channels.len(), 1);
        assert!(paid.free_channels.is_empty());
        let free = Chart::of_channels(&r, 8, &[""]);
        assert_eq!((free.buckets[0].visits, free.buckets[0].cost), (5, Money::ZERO));
        assert_eq!(Chart::of_channels(&r, 8, &["нет такого"]), Chart::of(&r, 8), "an unknown key narrows nothing");
    }

    #[test]
    fn channels_keep_their_own_colours() {
        let keys = ["direct27", "google17", "vk3", "seo", "", "avito11"];
        let colors = channel_colors(keys.iter().copied(), 8);
        let distinct: std::collections::HashSet<usize> = colors.values().copied().collect();
        assert_eq!(distinct.len(), keys.len(), "no two channels share a colour");
        // Given in another order (another period, another sort), the same colours.
        assert_eq!(channel_colors(keys.iter().rev().copied(), 8), colors);
    }
}
