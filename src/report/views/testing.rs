//! A small hand-made lead book for the views' tests: four statuses, days in UTC.

use super::{Basis, LeadBook, View, ViewQuery};
use crate::domain::{Attraction, Lead, Money, Status, StatusChange, StatusGroup};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub const NEW: u64 = 1;
pub const WORK: u64 = 2;
pub const PAID: u64 = 3;
pub const CANCELLED: u64 = 4;

pub fn statuses() -> Vec<Status> {
    [("Новая", StatusGroup::InWork), ("В работе", StatusGroup::InWork), ("Оплачена", StatusGroup::Paid)]
        .into_iter()
        .chain([("Отменена", StatusGroup::Cancelled)])
        .zip(1u64..)
        .map(|((name, group), id)| Status { id, name: name.into(), group, order: id as i32 })
        .collect()
}

/// `day` of December 2026 at `hour`:`minute` UTC.
pub fn at(day: i8, hour: i8, minute: i8) -> Timestamp {
    Date::constant(2026, 12, day).at(hour, minute, 0, 0).to_zoned(TimeZone::UTC).unwrap().timestamp()
}

/// `month` of 2026 (1–12), its `day`, noon UTC.
pub fn on(month: i8, day: i8) -> Timestamp {
    Date::constant(2026, month, day).at(12, 0, 0, 0).to_zoned(TimeZone::UTC).unwrap().timestamp()
}

/// A lead created `created` on `channel/source`, in status `status` with `history` of
/// (when, to) moves from `NEW`, for `client`, priced `rubles`.
pub fn lead(
    id: u64,
    created: Timestamp,
    path: (&str, &str),
    client: Option<u64>,
    history: &[(Timestamp, u64)],
    rubles: i64,
) -> Lead {
    let mut status = NEW;
    let mut changes = Vec::new();
    for (when, to) in history {
        changes.push(StatusChange { at: *when, from: Some(status), to: Some(*to), by: "Петров".into() });
        status = *to;
    }
    Lead {
        id,
        number: id,
        created,
        updated: created,
        client_id: client,
        status_id: Some(status),
        price: Money::from_rubles(rubles),
        attraction: Attraction { channel: path.0.into(), source: path.1.into(), campaign: String::new() },
        status_changes: changes,
        ..Lead::default()
    }
}

pub fn book(leads: Vec<Lead>) -> LeadBook {
    LeadBook { leads, statuses: statuses(), users: Vec::new(), now: at(31, 12, 0), ..LeadBook::default() }
}

pub fn query(view: View, basis: Basis, from: Date, to: Date) -> ViewQuery {
    ViewQuery { view, basis, from, to, channel: None, zone: TimeZone::UTC, sale_field: None }
}

pub fn december(view: View, basis: Basis) -> ViewQuery {
    query(view, basis, Date::constant(2026, 12, 1), Date::constant(2026, 12, 31))
}
