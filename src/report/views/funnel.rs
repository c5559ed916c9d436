//! The status funnel per channel → source → campaign: leads → in work → paid, and cancelled.
//!
//! What each figure counts (the rules are in [`super::counting`]):
//! - `leads`: leads created in the period;
//! - `in_work`: of those, the ones taken into work (their status moved, or they were created past «Новая»);
//! - `paid`: sales — with the lead-date basis, leads created in the period and paid now; with the
//!   sale-date basis, leads paid now whose sale time falls in the period (whenever created);
//!   `revenue` is their price;
//! - `cancelled`: leads created in the period whose status is now in the cancelled group;
//! - conversion to work = in_work / leads, to paid = paid / in_work, lead to paid = paid / leads;
//!   drop-off at a step = 1 − its conversion; with the sale-date basis paid is a different set of
//!   leads than the rest, so its conversions may pass 100 %;
//! - the median time to the first status change: over the leads created in the period whose
//!   status ever changed, minutes from creation to the first change (the lower middle for an even count).
//!
//! Cancellation reasons: a cancelled lead's reason is the value of its first extra field (by
//! developer name) whose developer name holds «reason» or «причин» (any case), e.g. `cancel_reason`;
//! they are counted over the cancelled leads of the period and listed under the caption and in
//! the JSON's `cancel_reasons` (most frequent first; a cancelled lead without one is «Не указана»,
//! listed only when some lead has a reason).

use super::counting::{Counting, first_change, json_minutes, median, minutes_between, minutes_cell, rubles, share};
use super::tree::Tree;
use super::{LeadBook, ViewColumn, ViewOutput, ViewQuery, caption};
use crate::domain::{Lead, Money};
use crate::report::{Cell, ReportError};
use serde_json::json;
use std::collections::HashMap;

/// A cancelled lead without a reason.
pub const NO_REASON: &str = "Не указана";

#[derive(Default)]
struct Funnel {
    leads: u64,
    in_work: u64,
    paid: u64,
    cancelled: u64,
    revenue: Money,
    /// Minutes to the first status change, one per lead that had one.
    first_change: Vec<u64>,
}

impl Funnel {
    fn median_first_change(&self) -> Option<u64> {
        median(&mut self.first_change.clone())
    }
    fn to_work(&self) -> Option<f64> {
        share(self.in_work, self.leads)
    }
    fn to_paid(&self) -> Option<f64> {
        share(self.paid, self.in_work)
    }
    fn cells(&self) -> Vec<Cell> {
        let drop = |c: Option<f64>| Cell::Percent(c.map(|c| 1.0 - c));
        vec![
            Cell::Count(self.leads),
            Cell::Count(self.in_work),
            Cell::Percent(self.to_work()),
            drop(self.to_work()),
            Cell::Count(self.paid),
            Cell::Percent(self.to_paid()),
            drop(self.to_paid()),
            Cell::Percent(share(self.paid, self.leads)),
            Cell::Count(self.cancelled),
            Cell::Percent(share(self.cancelled, self.leads)),
            Cell::Money(Some(self.revenue)),
            minutes_cell(self.median_first_change()),
        ]
    }
    fn json(&self) -> serde_json::Value {
        let drop = |c: Option<f64>| c.map(|c| 1.0 - c);
        json!({
            "figures": {
                "leads": self.leads,
                "in_work": self.in_work,
                "paid": self.paid,
                "cancelled": self.cancelled,
                "revenue": rubles(self.revenue),
            },
            "metrics": {
                "conversion_to_work": self.to_work(),
                "drop_off_before_work": drop(self.to_work()),
                "conversion_to_paid": self.to_paid(),
                "drop_off_after_work": drop(self.to_paid()),
                "conversion_lead_to_paid": share(self.paid, self.leads),
                "cancelled_share": share(self.cancelled, self.leads),
                "median_first_change_minutes": json_minutes(self.median_first_change()),
            }
        })
    }
}

fn columns() -> Vec<ViewColumn> {
    vec![
        ViewColumn::new("Заявки", ""),
        ViewColumn::new("В работе", ""),
        ViewColumn::new("Конв. в работу", ", %"),
        ViewColumn::new("Отвал до работы", ", %"),
        ViewColumn::new("Оплачены", ""),
        ViewColumn::new("Конв. в оплату", ", %"),
        ViewColumn::new("Отвал после работы", ", %"),
        ViewColumn::new("Конв. заявка → оплата", ", %"),
        ViewColumn::new("Отменены", ""),
        ViewColumn::new("Доля отмен", ", %"),
        ViewColumn::new("Выручка", ", ₽"),
        ViewColumn::new("Медиана до смены статуса", ", мин"),
    ]
}

/// The cancellation reason an extra field holds.
fn cancel_reason(lead: &Lead) -> Option<&str> {
    lead.extra
        .iter()
        .find(|(key, value)| {
            let key = key.to_lowercase();
            (key.contains("reason") || key.contains("причин")) && !value.trim().is_empty()
        })
        .map(|(_, value)| value.trim())
}

pub fn build(query: &ViewQuery, book: &LeadBook) -> Result<ViewOutput, ReportError> {
    let counting = Counting::new(query, book);
    let mut tree: Tree<Funnel> = Tree::new(&book.channel_titles);
    let mut reasons: HashMap<&str, u64> = HashMap::new();
    let mut any_reason = false;
    for lead in book.counted() {
        let created = counting.created_in_period(lead);
        let sold = counting.sold_in_period(lead);
        if !created && !sold {
            continue;
        }
        let Some(path) = counting.path(lead) else { continue };
        let in_work = created && counting.in_work(lead);
        let cancelled = created && counting.is_cancelled(lead);
        let change = if created { first_change(lead).map(|at| minutes_between(lead.created, at)) } else { None };
        tree.add(&path, |f| {
            if created {
                f.leads += 1;
                f.in_work += u64::from(in_work);
                f.cancelled += u64::from(cancelled);
            }
            if sold {
                f.paid += 1;
                f.revenue += lead.price;
            }
            if let Some(minutes) = change {
                f.first_change.push(minutes);
            }
        });
        if cancelled {
            let reason = cancel_reason(lead);
            any_reason |= reason.is_some();
            *reasons.entry(reason.unwrap_or(NO_REASON)).or_default() += 1;
        }
    }
    let mut reasons: Vec<(&str, u64)> = if any_reason { reasons.into_iter().collect() } else { Vec::new() };
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));

    let order = |f: &Funnel| f.leads as i64;
    let mut lines = caption(query, true);
    if !reasons.is_empty() {
        let listed: Vec<String> = reasons.iter().map(|(r, n)| format!("{r} — {n}")).collect();
        lines.push(format!("Причины отмен: {}", listed.join(", ")));
    }
    let mut output = tree.output(query, lines, columns(), &Funnel::cells, &Funnel::json, &order);
    output.json["cancel_reasons"] =
        reasons.iter().map(|(r, n)| json!({"reason": r, "leads": n})).collect::<Vec<_>>().into();
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Basis, View, compute};
    use super::*;

    /// Five December leads and one from November sold in December.
    fn leads() -> Vec<Lead> {
        let mut cancelled = lead(3, at(3, 10, 0), ("direct", "search"), Some(3), &[(at(3, 11, 0), CANCELLED)], 0);
        cancelled.extra.insert("cancel_reason".into(), "Дорого".into());
        vec![
            // Taken into work after 30 minutes, paid four days later.
            lead(1, at(1, 9, 0), ("direct", "brand"), Some(1), &[(at(1, 9, 30), WORK), (at(5, 9, 0), PAID)], 10_000),
            // Taken after 2 hours, still in work.
            lead(2, at(2, 9, 0), ("direct", "brand"), Some(2), &[(at(2, 11, 0), WORK)], 0),
            cancelled,
            // Untouched.
            lead(4, at(4, 10, 0), ("seo", "yandex"), Some(4), &[], 0),
            // Cancelled without a reason, in 10 minutes.
            lead(5, at(5, 10, 0), ("seo", "yandex"), Some(5), &[(at(5, 10, 10), CANCELLED)], 0),
            // Created in November, paid in December.
            lead(6, on(11, 20), ("seo", "google"), Some(6), &[(on(11, 21), WORK), (at(2, 12, 0), PAID)], 5_000),
        ]
    }

    #[test]
    fn by_lead_date_counts_the_periods_leads() {
        let out = compute(&december(View::Funnel, Basis::Lead), &book(leads())).unwrap();
        let t = &out.json["totals"];
        assert_eq!(t["figures"]["leads"], 5);
        assert_eq!(t["figures"]["in_work"], 4, "all but the untouched one");
        assert_eq!(t["figures"]["paid"], 1);
        assert_eq!(t["figures"]["cancelled"], 2);
        assert_eq!(t["figures"]["revenue"], 10_000);
        assert_eq!(t["metrics"]["conversion_to_work"], 0.8);
        assert_eq!(t["metrics"]["conversion_to_paid"], 0.25);
        assert_eq!(t["metrics"]["drop_off_after_work"], 0.75);
        // First changes after 30, 120, 60 and 10 minutes: the lower middle is 30.
        assert_eq!(t["metrics"]["median_first_change_minutes"], 30);
        let direct = &out.json["rows"][0];
        assert_eq!((direct["key"].as_str(), direct["figures"]["leads"].as_u64()), (Some("direct"), Some(3)));
        assert_eq!(direct["children"][0]["key"], "brand");
        assert_eq!(direct["children"][0]["figures"]["paid"], 1);
        assert_eq!(direct["children"][0]["metrics"]["median_first_change_minutes"], 30);
        assert_eq!(out.json["cancel_reasons"][0], json!({"reason": "Дорого", "leads": 1}));
        assert_eq!(out.json["cancel_reasons"][1], json!({"reason": NO_REASON, "leads": 1}));
        let table = &out.table;
        assert!(table.caption[0].contains("по дате заявки"), "{:?}", table.caption);
        assert!(table.caption.iter().any(|l| l == "Причины отмен: Дорого — 1, Не указана — 1"));
        let rows: Vec<(usize, &str)> = table.rows.iter().map(|r| (r.depth, r.title.as_str())).collect();
        assert_eq!(rows, vec![(0, "direct"), (1, "brand"), (1, "search"), (0, "seo"), (1, "yandex")]);
        assert_eq!(table.totals[0], Cell::Count(5));
        assert_eq!(table.totals.len(), table.columns.len());
    }

    #[test]
    fn by_sale_date_counts_the_periods_sales() {
        let out = compute(&december(View::Funnel, Basis::Sale), &book(leads())).unwrap();
        let t = &out.json["totals"]["figures"];
        assert_eq!((t["leads"].as_u64(), t["paid"].as_u64()), (Some(5), Some(2)), "the November lead sold in December");
        assert_eq!(t["revenue"], 15_000);
        let seo = &out.json["rows"][1];
        assert_eq!(seo["key"], "seo");
        assert_eq!(seo["children"][0]["key"], "yandex");
        assert_eq!(
            seo["children"][1]["figures"],
            json!({"leads": 0, "in_work": 0, "paid": 1, "cancelled": 0, "revenue": 5000})
        );
        assert!(out.table.caption[0].contains("по дате продажи"));
    }

    #[test]
    fn by_sale_date_a_chosen_field_dates_the_sales_it_holds() {
        let mut leads = leads();
        let sold: Vec<usize> = (0..leads.len()).filter(|&i| sale_time_of(&leads[i]).is_some()).collect();
        // The first December sale was paid, says the field, in January; an unreadable date keeps the
        // status's date.
        leads[sold[0]].extra.insert("paid_on".into(), "15.01.2027".into());
        leads[sold[1]].extra.insert("paid_on".into(), "скоро".into());
        let mut query = december(View::Funnel, Basis::Sale);
        let by_status = compute(&query, &book(leads.clone())).unwrap();
        query.sale_field = Some("paid_on".into());
        let by_field = compute(&query, &book(leads)).unwrap();
        let paid = |out: &ViewOutput| out.json["totals"]["figures"]["paid"].as_u64();
        assert_eq!(paid(&by_field), paid(&by_status).map(|n| n - 1), "the January sale left December");
        assert!(by_field.table.caption[0].contains("(дата из поля «paid_on»)"), "{:?}", by_field.table.caption);
    }

    /// When a test lead was sold by its statuses (the fixture's statuses).
    fn sale_time_of(lead: &Lead) -> Option<jiff::Timestamp> {
        let book = book(vec![lead.clone()]);
        super::super::sale_time(lead, &book.groups(), &december(View::Funnel, Basis::Sale)).filter(|at| {
            super::super::day_of(*at, &jiff::tz::TimeZone::UTC) >= jiff::civil::Date::constant(2026, 12, 1)
        })
    }

    #[test]
    fn a_channel_filter_keeps_its_channel() {
        let mut query = december(View::Funnel, Basis::Lead);
        query.channel = Some("seo".into());
        let out = compute(&query, &book(leads())).unwrap();
        assert_eq!(out.json["totals"]["figures"]["leads"], 2);
        assert_eq!(out.json["rows"].as_array().unwrap().len(), 1);
        assert_eq!(out.json["cancel_reasons"], json!([]), "the seo lead has no reason, so none are listed");
    }
}
