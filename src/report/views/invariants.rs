//! The views against each other and against plain counts, on the demo data as `skvoz demo` settles it.

use super::testing::{CANCELLED, NEW, PAID, WORK, statuses};
use super::{Basis, LeadBook, View, ViewQuery, compute};
use crate::demo::{DEFAULT_SEED, DemoCast, generate, settle};
use crate::domain::{Lead, Money, Role, User};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::HashMap;

const MANAGER_IDS: [u64; 3] = [11, 12, 13];

fn zone() -> TimeZone {
    TimeZone::fixed(jiff::tz::offset(3))
}

/// The demo's leads for the 180 days up to 24.11.2026, 18:00, with clients by phone like the
/// store's intake; every 40th lead marked for deletion and one template, which no view counts.
fn demo_book() -> LeadBook {
    let today = Date::constant(2026, 11, 24);
    let now = today.at(18, 0, 0, 0).to_zoned(zone()).unwrap().timestamp();
    let cast = DemoCast {
        new: Some(NEW),
        work: Some(WORK),
        paid: Some(PAID),
        cancelled: Some(CANCELLED),
        managers: MANAGER_IDS.to_vec(),
    };
    let mut clients: HashMap<String, u64> = HashMap::new();
    let mut leads: Vec<Lead> = generate(DEFAULT_SEED, today)
        .leads
        .into_iter()
        .filter(|d| d.lead.created <= now)
        .zip(1u64..)
        .map(|(demo, id)| {
            let (lead, contact) = settle(demo, &cast, now);
            let next = clients.len() as u64 + 1;
            let client = *clients.entry(contact.phone).or_insert(next);
            Lead { id, number: id, client_id: Some(client), deleted: id % 40 == 0, ..lead }
        })
        .collect();
    let template = Lead { id: 0, is_template: true, ..leads[0].clone() };
    leads.push(template);
    let users = ["Петров Сергей", "Кузнецова Анна", "Орлов Дмитрий"]
        .iter()
        .zip(MANAGER_IDS)
        .map(|(name, id)| User { id, name: name.to_string(), role: Role::Manager, ..User::default() })
        .collect();
    LeadBook { leads, statuses: statuses(), users, now, ..LeadBook::default() }
}

fn query(view: View, basis: Basis, from: Date, to: Date) -> ViewQuery {
    ViewQuery { view, basis, from, to, channel: None, zone: zone(), sale_field: None }
}

fn all_time(view: View, basis: Basis) -> ViewQuery {
    query(view, basis, Date::constant(2020, 1, 1), Date::constant(2030, 12, 31))
}

fn november(view: View, basis: Basis) -> ViewQuery {
    query(view, basis, Date::constant(2026, 11, 1), Date::constant(2026, 11, 30))
}

fn totals(book: &LeadBook, query: &ViewQuery) -> serde_json::Value {
    compute(query, book).unwrap().json["totals"]["figures"].clone()
}

fn money(value: &serde_json::Value) -> Money {
    Money::from_json(value).unwrap()
}

/// The leads the views count, with their status now.
fn counted(book: &LeadBook) -> Vec<&Lead> {
    book.leads.iter().filter(|l| !l.deleted && !l.is_template).collect()
}

#[test]
fn the_funnel_counts_the_leads_in_each_status_group() {
    let book = demo_book();
    let leads = counted(&book);
    let in_status = |s: u64| leads.iter().filter(|l| l.status_id == Some(s)).count() as u64;
    let t = totals(&book, &all_time(View::Funnel, Basis::Lead));
    assert_eq!(t["leads"].as_u64(), Some(leads.len() as u64));
    assert_eq!(t["paid"].as_u64(), Some(in_status(PAID)));
    assert_eq!(t["cancelled"].as_u64(), Some(in_status(CANCELLED)));
    let moved = leads.iter().filter(|l| !l.status_changes.is_empty()).count() as u64;
    assert_eq!(t["in_work"].as_u64(), Some(moved), "every demo lead starts as «Новая»");
    assert!(in_status(NEW) > 0 && in_status(WORK) > 0, "some leads nobody took, some are still in work");
    let paid_sum: Money = leads.iter().filter(|l| l.status_id == Some(PAID)).map(|l| l.price).sum();
    assert_eq!(money(&t["revenue"]), paid_sum);
}

#[test]
fn new_and_repeat_sales_are_the_paid_leads() {
    let book = demo_book();
    let paid: Vec<&Lead> = counted(&book).into_iter().filter(|l| l.status_id == Some(PAID)).collect();
    let paid_sum: Money = paid.iter().map(|l| l.price).sum();
    for basis in [Basis::Lead, Basis::Sale] {
        let t = totals(&book, &all_time(View::Clients, basis));
        let (new, repeat) = (t["new_sales"].as_u64().unwrap(), t["repeat_sales"].as_u64().unwrap());
        assert_eq!(new + repeat, paid.len() as u64);
        assert_eq!(money(&t["new_revenue"]) + money(&t["repeat_revenue"]), paid_sum);
        assert!(repeat > 20, "the demo has returning clients: {repeat} repeat sales");
    }
}

#[test]
fn both_bases_agree_over_all_time_and_differ_on_a_month() {
    let book = demo_book();
    let figures = |view: View, basis: Basis, period: fn(View, Basis) -> ViewQuery| {
        let t = totals(&book, &period(view, basis));
        match view {
            View::Funnel => (t["paid"].as_u64(), money(&t["revenue"])),
            View::Clients => (
                Some(t["new_sales"].as_u64().unwrap() + t["repeat_sales"].as_u64().unwrap()),
                money(&t["new_revenue"]) + money(&t["repeat_revenue"]),
            ),
            _ => (t["sales"].as_u64(), money(&t["revenue"])),
        }
    };
    for view in [View::Funnel, View::Clients, View::Managers] {
        assert_eq!(figures(view, Basis::Lead, all_time), figures(view, Basis::Sale, all_time), "{view:?}");
        let (lead, sale) = (figures(view, Basis::Lead, november), figures(view, Basis::Sale, november));
        assert_ne!(lead, sale, "{view:?}: November's sales by lead date and by sale date");
        assert!(lead.0 > Some(0) && sale.0 > Some(0));
    }
    let cohorts = |basis| {
        let months = totals(&book, &all_time(View::Cohorts, basis))["months"].clone();
        months.as_array().unwrap().iter().map(money).sum::<Money>()
    };
    assert_eq!(cohorts(Basis::Lead), cohorts(Basis::Sale), "the demo's sales are all within a year");
}

#[test]
fn managers_differ_in_pace_and_some_tasks_are_overdue() {
    let book = demo_book();
    let out = compute(&november(View::Managers, Basis::Lead), &book).unwrap();
    let rows = out.json["rows"].as_array().unwrap();
    let pace = |name: &str| {
        let row = rows.iter().find(|r| r["title"] == name).unwrap();
        row["figures"]["median_first_action_minutes"].as_u64().unwrap()
    };
    assert_eq!(rows.len(), 3, "three managers, every lead has one");
    assert!(pace("Петров Сергей") < pace("Кузнецова Анна") && pace("Кузнецова Анна") < pace("Орлов Дмитрий"));
    let overdue = out.json["totals"]["figures"]["overdue_tasks"].as_u64().unwrap();
    assert!((1..300).contains(&overdue), "a few overdue tasks: {overdue}");
    let funnel = compute(&november(View::Funnel, Basis::Lead), &book).unwrap();
    assert!(funnel.table.caption.iter().any(|l| l.starts_with("Причины отмен: ")), "{:?}", funnel.table.caption);
}

#[test]
fn a_lead_never_moves_before_it_was_made_or_after_now() {
    let book = demo_book();
    for lead in counted(&book) {
        let times: Vec<Timestamp> = lead.status_changes.iter().map(|c| c.at).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "lead {}", lead.id);
        assert!(times.iter().all(|t| *t >= lead.created && *t <= book.now), "lead {}", lead.id);
        assert_eq!(lead.status_changes.last().map_or(Some(NEW), |c| c.to), lead.status_id);
    }
}
