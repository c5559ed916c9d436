//! The dashboard's figures: pure functions from daily facts to totals, drill-down rows and series.
//!
//! No I/O: callers hand in the sums the store computed for [`Query::periods`] ([`from_sums`]), or
//! facts that cover [`Query::facts_span`] ([`build`]). Money is summed exactly; every ratio whose divisor is
//! zero is `None` (shown as «—»), never NaN or infinity.
//!
//! Profit is revenue minus marketing cost. Facts do not carry the cost price of what was sold (it
//! lives on leads and Roistat already folds it into its own «прибыль» only when configured), so the
//! dashboard's profit is the marketing profit; leads' cost price is not subtracted.

pub mod chart;
mod format;
mod sums;
mod table;
pub mod views;

pub use format::{dash, fmt_change, fmt_count, fmt_money, fmt_percent, fmt_ratio_money};
pub use sums::{ChannelDay, PathSums, Periods, ReportSums, sums};
pub use table::{Cell, Column, Sort, flatten, name_columns, sort_rows};

use crate::domain::{DailyFact, Money};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How the rows of a report are grouped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    /// Channels (marker level 1), drilling down to sources and campaigns.
    #[default]
    Channel,
    /// Sources (level 2, under their channel), drilling down to campaigns.
    Source,
    /// Campaigns (level 3), flat.
    Campaign,
    /// Days, flat.
    Day,
}

impl Grouping {
    pub const ALL: [Grouping; 4] = [Grouping::Channel, Grouping::Source, Grouping::Campaign, Grouping::Day];
    pub fn title(self) -> &'static str {
        match self {
            Grouping::Channel => "По каналам",
            Grouping::Source => "По источникам",
            Grouping::Campaign => "По кампаниям",
            Grouping::Day => "По дням",
        }
    }
    /// The header of the first column.
    pub fn column_title(self) -> &'static str {
        match self {
            Grouping::Channel => "Канал",
            Grouping::Source => "Источник",
            Grouping::Campaign => "Кампания",
            Grouping::Day => "День",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReportError {
    #[error("Начало периода ({from}) позже его конца ({to}): выберите период заново")]
    InvertedPeriod { from: Date, to: Date },
    #[error("Период выходит за пределы календаря: выберите другие даты")]
    OutOfRange,
}

/// What the period is compared with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparison {
    /// The same number of days just before.
    #[default]
    PreviousDays,
    /// The same days of the month before (1–15 November against 1–15 October).
    MonthAgo,
    /// The same days three months before: a quarter against the quarter before.
    QuarterAgo,
    /// The same days a year before.
    YearAgo,
}

impl Comparison {
    pub const ALL: [Comparison; 4] =
        [Comparison::PreviousDays, Comparison::MonthAgo, Comparison::QuarterAgo, Comparison::YearAgo];
    pub fn title(self) -> &'static str {
        match self {
            Comparison::PreviousDays => "с предыдущими днями",
            Comparison::MonthAgo => "с теми же днями прошлого месяца",
            Comparison::QuarterAgo => "с теми же днями прошлого квартала",
            Comparison::YearAgo => "с теми же днями прошлого года",
        }
    }
}

/// What to report on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    pub from: Date,
    pub to: Date,
    pub grouping: Grouping,
    /// Only this channel (marker level 1 value), or all.
    pub channel: Option<String>,
    #[serde(default)]
    pub comparison: Comparison,
}

impl Query {
    pub fn new(from: Date, to: Date, grouping: Grouping) -> Query {
        Query { from, to, grouping, channel: None, comparison: Comparison::default() }
    }
    /// Days in the period, inclusive.
    pub fn days(&self) -> Result<i64, ReportError> {
        if self.from > self.to {
            return Err(ReportError::InvertedPeriod { from: self.from, to: self.to });
        }
        let span = self.from.until(self.to).map_err(|_| ReportError::OutOfRange)?;
        Ok(i64::from(span.get_days()) + 1)
    }
    /// The period the changes are counted against: by default as many days just before `from`;
    /// else the same days a month, a quarter or a year before (a day the shorter month lacks is
    /// its last day).
    pub fn previous(&self) -> Result<(Date, Date), ReportError> {
        let days = self.days()?;
        let back = |months: i32| -> Result<(Date, Date), ReportError> {
            let shift = |d: Date| d.checked_sub(months.months()).map_err(|_| ReportError::OutOfRange);
            Ok((shift(self.from)?, shift(self.to)?))
        };
        match self.comparison {
            Comparison::PreviousDays => {
                let to = self.from.yesterday().map_err(|_| ReportError::OutOfRange)?;
                let from = to.checked_sub((days - 1).days()).map_err(|_| ReportError::OutOfRange)?;
                Ok((from, to))
            }
            Comparison::MonthAgo => back(1),
            Comparison::QuarterAgo => back(3),
            Comparison::YearAgo => back(12),
        }
    }
    /// The period and the one it is compared with.
    pub fn periods(&self) -> Result<Periods, ReportError> {
        let (previous_from, previous_to) = self.previous()?;
        Ok(Periods { from: self.from, to: self.to, previous_from, previous_to })
    }
    /// The days whose facts [`build`] needs: the previous period and this one.
    pub fn facts_span(&self) -> Result<(Date, Date), ReportError> {
        Ok((self.previous()?.0, self.to))
    }
}

/// Summed figures; everything else is derived from them. In JSON money is roubles (`11000.75`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Figures {
    pub visits: u64,
    pub leads: u64,
    pub sales: u64,
    #[serde(with = "crate::domain::rubles")]
    pub revenue: Money,
    #[serde(with = "crate::domain::rubles")]
    pub cost: Money,
    pub calls: u64,
}

/// Kopecks divided by a count, rounded half away from zero; `None` for a zero count.
fn money_per(amount: Money, count: u64) -> Option<Money> {
    if count == 0 {
        return None;
    }
    let n = i128::from(count);
    let a = i128::from(amount.kopecks());
    let q = (2 * a.abs() + n) / (2 * n);
    let q = if a < 0 { -q } else { q };
    Some(Money(i64::try_from(q).unwrap_or(if a < 0 { i64::MIN } else { i64::MAX })))
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den != 0).then(|| num as f64 / den as f64)
}

impl Figures {
    pub fn add_fact(&mut self, f: &DailyFact) {
        self.visits += f.visits;
        self.leads += f.leads;
        self.sales += f.sales;
        self.revenue += f.revenue;
        self.cost += f.cost;
        self.calls += f.calls;
    }
    pub fn add(&mut self, o: &Figures) {
        self.visits += o.visits;
        self.leads += o.leads;
        self.sales += o.sales;
        self.revenue += o.revenue;
        self.cost += o.cost;
        self.calls += o.calls;
    }
    /// Revenue − marketing cost.
    pub fn profit(&self) -> Money {
        self.revenue - self.cost
    }
    /// Cost per lead.
    pub fn cpl(&self) -> Option<Money> {
        money_per(self.cost, self.leads)
    }
    /// Cost per order (sale).
    pub fn cpo(&self) -> Option<Money> {
        money_per(self.cost, self.sales)
    }
    /// (revenue − cost) / cost, as a fraction (0.25 = 25 %).
    pub fn roi(&self) -> Option<f64> {
        (self.cost.kopecks() != 0).then(|| self.profit().kopecks() as f64 / self.cost.kopecks() as f64)
    }
    /// Visits → leads, a fraction.
    pub fn conversion_to_leads(&self) -> Option<f64> {
        ratio(self.leads, self.visits)
    }
    /// Leads → sales, a fraction.
    pub fn conversion_to_sales(&self) -> Option<f64> {
        ratio(self.sales, self.leads)
    }
    /// Revenue per sale.
    pub fn average_check(&self) -> Option<Money> {
        money_per(self.revenue, self.sales)
    }
    pub fn metrics(&self) -> Metrics {
        Metrics {
            profit: self.profit(),
            cpl: self.cpl(),
            cpo: self.cpo(),
            roi: self.roi(),
            conversion_to_leads: self.conversion_to_leads(),
            conversion_to_sales: self.conversion_to_sales(),
            average_check: self.average_check(),
        }
    }
}

/// The derived figures, spelled out for the JSON form and the exporters; money in roubles there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    #[serde(with = "crate::domain::rubles")]
    pub profit: Money,
    #[serde(with = "crate::domain::rubles::option")]
    pub cpl: Option<Money>,
    #[serde(with = "crate::domain::rubles::option")]
    pub cpo: Option<Money>,
    pub roi: Option<f64>,
    pub conversion_to_leads: Option<f64>,
    pub conversion_to_sales: Option<f64>,
    #[serde(with = "crate::domain::rubles::option")]
    pub average_check: Option<Money>,
}

/// A group of the report: a channel, a source, a campaign or a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Identity within its parent: the marker level value (`direct`) or the ISO date.
    pub key: String,
    /// What a person reads: Roistat's title, or the value when there is none.
    pub title: String,
    pub figures: Figures,
    pub metrics: Metrics,
    /// The drill-down, sorted by cost descending like the top rows.
    pub children: Vec<Row>,
}

impl Row {
    fn new(key: String, title: String, figures: Figures, children: Vec<Row>) -> Row {
        Row { key, title, metrics: figures.metrics(), figures, children }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub from: Date,
    pub to: Date,
    pub figures: Figures,
    pub metrics: Metrics,
}

impl Totals {
    fn new(from: Date, to: Date, figures: Figures) -> Totals {
        Totals { from, to, metrics: figures.metrics(), figures }
    }
}

/// One day's figures; the series has every day of the period, zeros included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPoint {
    pub date: Date,
    pub figures: Figures,
}

/// A channel's daily series for the per-channel chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSeries {
    pub key: String,
    pub title: String,
    pub days: Vec<Figures>,
}

/// A channel present in the data, for the filter (in the period and the previous one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRef {
    pub key: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub query: Query,
    pub totals: Totals,
    /// The previous period of equal length, for the changes on the KPI cards.
    pub previous: Totals,
    pub rows: Vec<Row>,
    /// Every day of the period, in order.
    pub daily: Vec<DayPoint>,
    /// Per channel, days aligned with `daily`.
    pub daily_by_channel: Vec<ChannelSeries>,
    /// Every channel seen, filter or not, sorted by title.
    pub channels: Vec<ChannelRef>,
}

impl Report {
    /// What the figures are: «Сквозная аналитика за 05.11.2026 — 04.12.2026 (по каналам), изменения —
    /// с предыдущими днями (06.10.2026 — 04.11.2026)», for a printout or the top of an exported file.
    pub fn caption(&self) -> String {
        format!(
            "Сквозная аналитика за {} — {} ({}), изменения — {} ({} — {})",
            fmt_date(self.query.from),
            fmt_date(self.query.to),
            self.query.grouping.title().to_lowercase(),
            self.query.comparison.title(),
            fmt_date(self.previous.from),
            fmt_date(self.previous.to),
        )
    }
}

struct ChannelAgg<'a> {
    key: &'a str,
    title: &'a str,
    /// Passes the channel filter.
    included: bool,
    /// Per day of the period (empty when not included).
    days: Vec<Figures>,
    seen_current: bool,
}

/// A small multiplicative hasher (the Fx hash of rustc): marker values are short strings from our
/// own store, so SipHash's flood resistance buys nothing and costs most of the report's time.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

#[derive(Default)]
struct Node<'a> {
    title: &'a str,
    figures: Figures,
    children: HashMap<&'a str, Node<'a>>,
}

impl<'a> Node<'a> {
    fn child(&mut self, key: &'a str, title: &'a str) -> &mut Node<'a> {
        self.children.entry(key).or_insert_with(|| Node { title, ..Node::default() })
    }
    fn into_rows(self) -> Vec<Row> {
        let mut rows: Vec<Row> = self
            .children
            .into_iter()
            .map(|(key, node)| {
                let (title, figures) = (node.title.to_string(), node.figures);
                Row::new(key.to_string(), title, figures, node.into_rows())
            })
            .collect();
        default_order(&mut rows);
        rows
    }
}

/// The default order: cost descending, then title (stable across runs: HashMap order is not).
fn default_order(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        b.figures.cost.cmp(&a.figures.cost).then_with(|| a.title.cmp(&b.title)).then(a.key.cmp(&b.key))
    });
}

fn level_title(l: &crate::domain::Level) -> &str {
    l.label()
}

/// The channel a person named: by its value first (`direct27`, or `""` for direct visits), else by
/// its title with spaces normalised (`Google Ads 1` finds `Google\u{a0}Ads\u{a0}1`).
pub fn find_channel<'a>(channels: &'a [ChannelRef], given: &str) -> Option<&'a ChannelRef> {
    channels
        .iter()
        .find(|c| c.key == given)
        .or_else(|| channels.iter().find(|c| crate::domain::same_title(&c.title, given)))
}

/// Builds the report from facts that cover at least [`Query::facts_span`]; facts outside it are
/// ignored. The same as [`from_sums`] of the facts' [`sums`].
pub fn build(facts: &[DailyFact], query: &Query) -> Result<Report, ReportError> {
    from_sums(&sums(facts, &query.periods()?)?, query)
}

/// Builds the report from the sums a store computed for [`Query::periods`].
pub fn from_sums(sums: &ReportSums, query: &Query) -> Result<Report, ReportError> {
    let periods = query.periods()?;
    let day_count = sums::day_count(&periods)?;
    let filter = query.channel.as_deref();

    let mut paths: Vec<&PathSums> = sums.paths.iter().collect();
    paths.sort_by(|a, b| a.first_order(b));
    // A channel's title is its first path's, as the tree's nodes take their first path's.
    let mut channel_index: FxMap<&str, usize> = FxMap::default();
    let mut channels_found: Vec<ChannelAgg<'_>> = Vec::new();
    let mut path_channels = Vec::with_capacity(paths.len());
    for path in &paths {
        let l1 = &path.path.channel;
        let channel = *channel_index.entry(l1.value.as_str()).or_insert_with(|| {
            let included = filter.is_none_or(|c| c == l1.value);
            channels_found.push(ChannelAgg {
                key: &l1.value,
                title: level_title(l1),
                included,
                days: if included { vec![Figures::default(); day_count] } else { Vec::new() },
                seen_current: false,
            });
            channels_found.len() - 1
        });
        channels_found[channel].seen_current |= path.in_current;
        path_channels.push(channel);
    }
    let mut daily = vec![Figures::default(); day_count];
    for day in &sums.days {
        let Some(channel) = channel_index.get(day.channel.as_str()).map(|&c| &mut channels_found[c]) else {
            continue;
        };
        if !channel.included || !periods.in_current(day.date) {
            continue;
        }
        let i = periods.from.until(day.date).map(|s| s.get_days()).unwrap_or(0);
        let i = usize::try_from(i).unwrap_or(0).min(day_count - 1);
        daily[i].add(&day.figures);
        channel.days[i].add(&day.figures);
    }

    let mut tree = Node::default();
    let mut previous = Figures::default();
    for (path, channel) in paths.iter().zip(path_channels) {
        if !channels_found[channel].included {
            continue;
        }
        previous.add(&path.previous);
        if !path.in_current {
            continue;
        }
        let [l1, l2, l3] = path.path.levels();
        tree.figures.add(&path.current);
        let channel = tree.child(&l1.value, level_title(l1));
        channel.figures.add(&path.current);
        let source = channel.child(&l2.value, level_title(l2));
        source.figures.add(&path.current);
        source.child(&l3.value, level_title(l3)).figures.add(&path.current);
    }
    let channels_seen: Vec<(&str, &str)> = channels_found.iter().map(|c| (c.key, c.title)).collect();
    let channel_series: Vec<(&str, &str, Vec<Figures>)> =
        channels_found.into_iter().filter(|c| c.included && c.seen_current).map(|c| (c.key, c.title, c.days)).collect();

    let totals = Totals::new(periods.from, periods.to, tree.figures);
    let dates: Vec<Date> = (0..day_count)
        .map(|i| query.from.checked_add((i as i64).days()).map_err(|_| ReportError::OutOfRange))
        .collect::<Result<_, _>>()?;
    let rows = match query.grouping {
        Grouping::Channel => tree.into_rows(),
        Grouping::Source => {
            let mut rows: Vec<Row> = tree
                .into_rows()
                .into_iter()
                .flat_map(|channel| {
                    channel.children.into_iter().map(move |mut source| {
                        source.key = format!("{}/{}", channel.key, source.key);
                        source.title = format!("{} / {}", channel.title, source.title);
                        source
                    })
                })
                .collect();
            default_order(&mut rows);
            rows
        }
        Grouping::Campaign => {
            let mut rows: Vec<Row> = Vec::new();
            for channel in tree.into_rows() {
                for source in channel.children {
                    for mut campaign in source.children {
                        campaign.key = format!("{}/{}/{}", channel.key, source.key, campaign.key);
                        campaign.title = format!("{} / {} / {}", channel.title, source.title, campaign.title);
                        rows.push(campaign);
                    }
                }
            }
            default_order(&mut rows);
            rows
        }
        Grouping::Day => {
            dates.iter().zip(&daily).map(|(d, f)| Row::new(d.to_string(), fmt_date(*d), *f, Vec::new())).collect()
        }
    };
    let daily_points = dates.iter().zip(daily).map(|(d, f)| DayPoint { date: *d, figures: f }).collect();
    let mut daily_by_channel: Vec<ChannelSeries> = channel_series
        .into_iter()
        .map(|(k, t, days)| ChannelSeries { key: k.to_string(), title: t.to_string(), days })
        .collect();
    daily_by_channel.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.key.cmp(&b.key)));
    let mut channels: Vec<ChannelRef> =
        channels_seen.into_iter().map(|(k, t)| ChannelRef { key: k.to_string(), title: t.to_string() }).collect();
    channels.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.key.cmp(&b.key)));

    Ok(Report {
        query: query.clone(),
        totals,
        previous: Totals::new(periods.previous_from, periods.previous_to, previous),
        rows,
        daily: daily_points,
        daily_by_channel,
        channels,
    })
}

/// `24.11.2026`, the Russian way.
pub fn fmt_date(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), d.month(), d.year())
}

/// The relative change from `previous` to `current`; `None` when the previous was zero or either is undefined.
pub fn change(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    match (current, previous) {
        (Some(c), Some(p)) if p != 0.0 => Some((c - p) / p.abs()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
