//! The rules every view counts by, in one place so the views agree with each other:
//! - a lead falls into the period by the day it was created (in the query's zone);
//! - a **sale** is a lead whose status is now in the paid group; its revenue is the lead's price;
//!   with [`Basis::Lead`] it falls into the period by the lead's creation day, with [`Basis::Sale`]
//!   by the day of [`sale_time`] (the first time it entered a paid-group status);
//! - a lead is **cancelled** when its status is now in the cancelled group;
//! - a lead is **in work** once its status moved away from the one it was created with, or it was
//!   created past the entry status (the first status by order, the one a new lead gets: «Новая»);
//! - the channel filter keeps the leads whose channel (the first level of [`lead_path`]) is the one asked.

use super::{Basis, LeadBook, ViewQuery, day_of, lead_path, sale_time};
use crate::domain::{Lead, StatusGroup};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::HashMap;

pub(super) struct Counting<'a> {
    pub from: Date,
    pub to: Date,
    pub zone: TimeZone,
    pub basis: Basis,
    pub groups: HashMap<u64, StatusGroup>,
    entry_status: Option<u64>,
    channel: Option<&'a str>,
    query: &'a ViewQuery,
}

impl<'a> Counting<'a> {
    pub fn new(query: &'a ViewQuery, book: &LeadBook) -> Counting<'a> {
        let entry_status = book.statuses.iter().min_by_key(|s| (s.order, s.id)).map(|s| s.id);
        Counting {
            from: query.from,
            to: query.to,
            zone: query.zone.clone(),
            basis: query.basis,
            groups: book.groups(),
            entry_status,
            channel: query.channel.as_deref(),
            query,
        }
    }

    pub fn in_period(&self, at: Timestamp) -> bool {
        let day = day_of(at, &self.zone);
        self.from <= day && day <= self.to
    }

    pub fn created_in_period(&self, lead: &Lead) -> bool {
        self.in_period(lead.created)
    }

    /// The group of the lead's status now.
    pub fn group(&self, lead: &Lead) -> Option<StatusGroup> {
        lead.status_id.and_then(|s| self.groups.get(&s).copied())
    }

    pub fn is_paid(&self, lead: &Lead) -> bool {
        self.group(lead) == Some(StatusGroup::Paid)
    }

    pub fn is_cancelled(&self, lead: &Lead) -> bool {
        self.group(lead) == Some(StatusGroup::Cancelled)
    }

    /// When a sale counts by the basis: its creation or its sale time; `None` for a lead not paid now.
    pub fn sale_moment(&self, lead: &Lead) -> Option<Timestamp> {
        if !self.is_paid(lead) {
            return None;
        }
        match self.basis {
            Basis::Lead => Some(lead.created),
            // A paid lead always entered the paid group; a lead stored before histories counts from its creation.
            Basis::Sale => Some(sale_time(lead, &self.groups, self.query).unwrap_or(lead.created)),
        }
    }

    /// The lead is a sale of the period.
    pub fn sold_in_period(&self, lead: &Lead) -> bool {
        self.sale_moment(lead).is_some_and(|at| self.in_period(at))
    }

    pub fn in_work(&self, lead: &Lead) -> bool {
        let first = lead.first_status();
        lead.status_changes.iter().any(|c| c.to != first) || (first.is_some() && first != self.entry_status)
    }

    /// The lead's path when it passes the channel filter.
    pub fn path(&self, lead: &Lead) -> Option<Vec<String>> {
        let path = lead_path(lead);
        match self.channel {
            Some(channel) if path.first().map(String::as_str) != Some(channel) => None,
            _ => Some(path),
        }
    }
}

/// Whole minutes from `from` to `to` (zero when `to` is earlier).
pub(super) fn minutes_between(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from(to.as_second().saturating_sub(from.as_second())).unwrap_or(0) / 60
}

/// The median, the lower of the two middle values for an even count; `None` for none.
pub(super) fn median(values: &mut [u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

/// When the lead's status first changed.
pub(super) fn first_change(lead: &Lead) -> Option<Timestamp> {
    lead.status_changes.iter().map(|c| c.at).filter(|at| *at >= lead.created).min()
}

/// A person's first action on the lead after it was created: the first of a status change, a
/// comment (not one Roistat sent) and a task set (not one Roistat set).
pub(super) fn first_action(lead: &Lead) -> Option<Timestamp> {
    let comments = lead.comments.iter().filter(|c| !c.from_roistat).map(|c| c.at);
    let tasks = lead.tasks.iter().filter(|t| !t.from_roistat).filter_map(|t| t.created);
    let changes = lead.status_changes.iter().map(|c| c.at);
    changes.chain(comments).chain(tasks).filter(|at| *at >= lead.created).min()
}

/// The JSON of a count that may be missing.
pub(super) fn json_minutes(minutes: Option<u64>) -> serde_json::Value {
    minutes.map_or(serde_json::Value::Null, serde_json::Value::from)
}

/// A cell of minutes, «—» when there are none.
pub(super) fn minutes_cell(minutes: Option<u64>) -> crate::report::Cell {
    match minutes {
        Some(m) => crate::report::Cell::Count(m),
        None => crate::report::Cell::Text(crate::report::dash().to_string()),
    }
}

/// Money in roubles for JSON, as the main report writes it (`11000.75`).
pub(super) fn rubles(money: crate::domain::Money) -> serde_json::Value {
    serde_json::to_value(Rubles(money)).unwrap_or(serde_json::Value::Null)
}

#[derive(serde::Serialize)]
struct Rubles(#[serde(with = "crate::domain::rubles")] crate::domain::Money);

/// A ratio that is `None` when the divisor is zero.
pub(super) fn share(part: u64, whole: u64) -> Option<f64> {
    (whole != 0).then(|| part as f64 / whole as f64)
}
