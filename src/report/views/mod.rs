//! Views beyond the ROI table, computed from our own leads (their statuses and the times they
//! changed, clients, responsibles, prices), grouped by channel → source → campaign like the
//! dashboard. The dashboard's ROI table keeps Roistat's figures; every view says in its header
//! which source its figures come from and, where it matters, by which date leads are counted.
//!
//! No I/O: callers hand in a [`LeadBook`] (what the store holds) and a [`ViewQuery`]; each view
//! gives a [`ViewOutput`]: a [`ViewTable`] that the window, the CLI and the exporters show as is,
//! and the JSON the CLI prints with `--format json` (`rows` and `totals.figures`, money in roubles).

mod clients;
mod cohorts;
mod counting;
mod funnel;
#[cfg(test)]
mod invariants;
mod managers;
mod plan;
#[cfg(test)]
mod testing;
mod tree;

use super::{Cell, ReportError, fmt_date};
use crate::domain::{Lead, Plan, Status, StatusGroup, User};
use crate::report::ChannelDay;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the views' figures come from, for every header.
pub const SOURCE_LEADS: &str = "Источник данных: заявки skvoz (статусы, даты смены статусов, клиенты, суммы)";

/// The views besides the main ROI report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    #[default]
    Funnel,
    Clients,
    Managers,
    Cohorts,
    Plan,
}

impl View {
    pub const ALL: [View; 5] = [View::Funnel, View::Clients, View::Managers, View::Cohorts, View::Plan];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            View::Funnel => "Воронка",
            View::Clients => "Новые и повторные",
            View::Managers => "Менеджеры",
            View::Cohorts => "Когорты",
            View::Plan => "План / факт",
        }
    }

    /// The name on the command line (`--view funnel`).
    pub fn key(self) -> &'static str {
        match self {
            View::Funnel => "funnel",
            View::Clients => "clients",
            View::Managers => "managers",
            View::Cohorts => "cohorts",
            View::Plan => "plan",
        }
    }
}

/// By which date a lead falls into a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The day the lead was created.
    #[default]
    Lead,
    /// The day it was sold: the first time it entered a status of the paid group.
    Sale,
}

impl Basis {
    pub fn title(self) -> &'static str {
        match self {
            Basis::Lead => "по дате заявки",
            Basis::Sale => "по дате продажи",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Basis::Lead => "lead",
            Basis::Sale => "sale",
        }
    }
}

/// What a view is asked for: days are the project's calendar days in `zone`, `to` included.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewQuery {
    pub view: View,
    pub basis: Basis,
    pub from: Date,
    pub to: Date,
    /// Only this channel (its key, the first level), when given.
    pub channel: Option<String>,
    pub zone: TimeZone,
    /// An extra field (its developer name) that holds a sold lead's sale date (ДД.ММ.ГГГГ or
    /// ГГГГ-ММ-ДД); without one, or where it is empty, the first entry into a paid status.
    pub sale_field: Option<String>,
}

/// What the views read: every lead (templates and leads marked for deletion are left out by the
/// views), the statuses to tell groups apart, the people to name responsibles, and the moment
/// that counts as now (for open leads, overdue tasks and forecasts). The plan / fact view also
/// reads the monthly plans and what Roistat's figures say each channel spent, day by day.
/// It travels whole over the control socket when a running process holds the store.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadBook {
    pub leads: Vec<Lead>,
    pub statuses: Vec<Status>,
    pub users: Vec<User>,
    pub now: Timestamp,
    pub plans: Vec<Plan>,
    /// Each channel's figures per day, from Roistat's facts (the channel is the first level).
    pub spend: Vec<ChannelDay>,
    /// Roistat's titles of the channels by their keys («Яндекс.Директ» for `direct`).
    pub channel_titles: std::collections::BTreeMap<String, String>,
}

impl LeadBook {
    /// The group of each status by its id.
    pub fn groups(&self) -> HashMap<u64, StatusGroup> {
        self.statuses.iter().map(|s| (s.id, s.group)).collect()
    }

    /// The leads the views count: not templates, not marked for deletion.
    pub fn counted(&self) -> impl Iterator<Item = &Lead> {
        self.leads.iter().filter(|l| !l.is_template && !l.deleted)
    }
}

/// When `lead` was sold: the day in the query's sale field for a lead now paid (noon in its zone), else
/// the first time it entered a paid-group status (a lead created in one counts from its creation);
/// `None` if it never did.
pub fn sale_time(lead: &Lead, groups: &HashMap<u64, StatusGroup>, query: &ViewQuery) -> Option<Timestamp> {
    let paid = |status: Option<u64>| status.and_then(|s| groups.get(&s)) == Some(&StatusGroup::Paid);
    let from_field = query
        .sale_field
        .as_ref()
        .filter(|_| paid(lead.status_id))
        .and_then(|field| lead.extra.get(field))
        .and_then(|value| crate::domain::parse_day(value).ok())
        .and_then(|day| day.at(12, 0, 0, 0).to_zoned(query.zone.clone()).ok())
        .map(|at| at.timestamp());
    if from_field.is_some() {
        return from_field;
    }
    if paid(lead.first_status()) {
        return Some(lead.created);
    }
    lead.status_changes.iter().find(|c| paid(c.to)).map(|c| c.at)
}

/// The lead's channel → source → campaign: what the lead's attraction names, else its marker's
/// levels; empty levels are left off.
pub fn lead_path(lead: &Lead) -> Vec<String> {
    let attraction = [&lead.attraction.channel, &lead.attraction.source, &lead.attraction.campaign];
    let levels: Vec<String> = if !lead.attraction.channel.is_empty() {
        attraction.iter().map(|s| s.to_string()).collect()
    } else {
        lead.marker.as_ref().map(|m| m.levels().iter().take(3).map(|s| s.to_string()).collect()).unwrap_or_default()
    };
    let mut levels: Vec<String> = levels.into_iter().take_while(|s| !s.is_empty()).collect();
    if levels.is_empty() {
        levels.push(NO_CHANNEL.to_string());
    }
    levels
}

/// The row of leads without a channel.
pub const NO_CHANNEL: &str = "Без канала";

/// The calendar day of `at` in `zone`.
pub fn day_of(at: Timestamp, zone: &TimeZone) -> Date {
    at.to_zoned(zone.clone()).date()
}

/// A column of a view's table: its title and how its cells export.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewColumn {
    pub title: String,
    /// The unit the exporters add to the title («, ₽», «, %»), empty for counts and text.
    pub unit: &'static str,
}

impl ViewColumn {
    pub fn new(title: impl Into<String>, unit: &'static str) -> ViewColumn {
        ViewColumn { title: title.into(), unit }
    }
}

/// One line of a view's table: its depth (0 channel, 1 source, 2 campaign; 0 for flat views), its
/// title and one cell per column.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewRow {
    pub depth: usize,
    pub title: String,
    pub cells: Vec<Cell>,
}

/// A view as a table: the same for the screen, the CLI's text and the CSV/XLSX files.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewTable {
    pub view: View,
    /// The header's lines: what the view is, its period and basis, and where its figures come from.
    pub caption: Vec<String>,
    /// The first column's title («Канал / источник / кампания», «Ответственный», «Когорта»).
    pub name_title: String,
    pub columns: Vec<ViewColumn>,
    pub rows: Vec<ViewRow>,
    /// The totals line, one cell per column; empty when a total means nothing.
    pub totals: Vec<Cell>,
    /// Colour cells by their value (the cohorts' heat map).
    pub heat_map: bool,
}

/// What a view gives: its table and the JSON the CLI prints.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewOutput {
    pub table: ViewTable,
    pub json: serde_json::Value,
}

/// The header lines every view starts with.
pub fn caption(query: &ViewQuery, with_basis: bool) -> Vec<String> {
    let mut first = format!("{} за {} — {}", query.view.title(), fmt_date(query.from), fmt_date(query.to));
    if with_basis {
        first.push_str(&format!(", {}", query.basis.title()));
        if let (Basis::Sale, Some(field)) = (query.basis, &query.sale_field) {
            first.push_str(&format!(" (дата из поля «{field}»)"));
        }
    }
    vec![first, SOURCE_LEADS.to_string()]
}

/// Checks a query's period.
pub fn check_period(query: &ViewQuery) -> Result<(), ReportError> {
    if query.from > query.to {
        return Err(ReportError::InvertedPeriod { from: query.from, to: query.to });
    }
    Ok(())
}

/// Computes `query.view` over `book`.
pub fn compute(query: &ViewQuery, book: &LeadBook) -> Result<ViewOutput, ReportError> {
    check_period(query)?;
    match query.view {
        View::Funnel => funnel::build(query, book),
        View::Clients => clients::build(query, book),
        View::Managers => managers::build(query, book),
        View::Cohorts => cohorts::build(query, book),
        View::Plan => plan::build(query, book),
    }
}
