//! Cohorts: clients by the month of their first lead, and what they brought in the months after.
//!
//! A client's first lead is its earliest by creation (a lead without a client is a client of its
//! own); its month (in the query's zone) is the client's cohort and its channel the client's first
//! channel. The cohorts shown are those of the clients whose first lead was created in the period
//! (the channel filter keeps clients by their first channel). What each figure counts:
//! - `clients`: the cohort's clients;
//! - `months[i]`: the price of the cohort's clients' sales (leads paid now) in the i-th month after
//!   the cohort month, 0 … 12, by the basis: with the lead date, the month the sold lead was
//!   created; with the sale date, the month of its sale time. The array stops at the month of now:
//!   months that have not begun have no figure. Sales after month 12 are left out;
//! - `revenue`: the sum of `months`.
//!
//! Each month row has a row per first channel under it (depth 1).

use super::clients::{client_key, first_leads};
use super::counting::{Counting, rubles};
use super::{LeadBook, ViewColumn, ViewOutput, ViewQuery, ViewRow, ViewTable, caption, day_of};
use crate::domain::Money;
use crate::report::{Cell, ReportError};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Months after the cohort's own: 0 … 12.
pub const MONTHS: usize = 13;

/// A month as a number that subtracts: year × 12 + month − 1.
type MonthIndex = i32;

fn month_index(date: jiff::civil::Date) -> MonthIndex {
    i32::from(date.year()) * 12 + i32::from(date.month()) - 1
}

fn month_key(index: MonthIndex) -> String {
    format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// «Ноябрь 2026»: a cohort is named by its month, as people say it.
fn month_title(index: MonthIndex) -> String {
    let month = crate::domain::MONTH_NAMES[index.rem_euclid(12) as usize];
    format!("{month} {:04}", index.div_euclid(12))
}

#[derive(Default)]
struct Cohort {
    clients: u64,
    months: [Money; MONTHS],
}

impl Cohort {
    fn add(&mut self, other: &Cohort) {
        self.clients += other.clients;
        for (m, o) in self.months.iter_mut().zip(other.months) {
            *m += o;
        }
    }
    /// The months that have begun by now: `elapsed` + 1 of them, 13 at most.
    fn known(&self, elapsed: i32) -> &[Money] {
        let n = usize::try_from(elapsed + 1).unwrap_or(0).min(MONTHS);
        &self.months[..n]
    }
    fn cells(&self, elapsed: i32) -> Vec<Cell> {
        let known = self.known(elapsed);
        let mut cells = vec![Cell::Count(self.clients), Cell::Money(Some(known.iter().copied().sum()))];
        cells.extend((0..MONTHS).map(|i| Cell::Money(known.get(i).copied())));
        cells
    }
    fn figures(&self, elapsed: i32) -> serde_json::Value {
        let known = self.known(elapsed);
        json!({
            "clients": self.clients,
            "revenue": rubles(known.iter().copied().sum()),
            "months": known.iter().map(|m| rubles(*m)).collect::<Vec<_>>(),
        })
    }
}

fn columns() -> Vec<ViewColumn> {
    let mut columns = vec![ViewColumn::new("Клиенты", ""), ViewColumn::new("Выручка за 0–12 мес.", ", ₽")];
    columns.extend((0..MONTHS).map(|i| ViewColumn::new(format!("Месяц {i}"), ", ₽")));
    columns
}

pub fn build(query: &ViewQuery, book: &LeadBook) -> Result<ViewOutput, ReportError> {
    let counting = Counting::new(query, book);
    let now_month = month_index(day_of(book.now, &query.zone));
    // The clients of the period's cohorts: their cohort month and first channel.
    let mut members = HashMap::new();
    let mut cohorts: BTreeMap<MonthIndex, (Cohort, BTreeMap<String, Cohort>)> = BTreeMap::new();
    for (client, first) in first_leads(book) {
        if !counting.created_in_period(first) {
            continue;
        }
        let Some(path) = counting.path(first) else { continue };
        let channel = path.into_iter().next().unwrap_or_default();
        let month = month_index(day_of(first.created, &query.zone));
        let (cohort, channels) = cohorts.entry(month).or_default();
        cohort.clients += 1;
        channels.entry(channel.clone()).or_default().clients += 1;
        members.insert(client, (month, channel));
    }
    for lead in book.counted() {
        let Some((month, channel)) = members.get(&client_key(lead)) else { continue };
        let Some(at) = counting.sale_moment(lead) else { continue };
        let Ok(after) = usize::try_from(month_index(day_of(at, &query.zone)) - month) else { continue };
        if after >= MONTHS {
            continue;
        }
        if let Some((cohort, channels)) = cohorts.get_mut(month) {
            cohort.months[after] += lead.price;
            channels.entry(channel.clone()).or_default().months[after] += lead.price;
        }
    }

    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    let mut total = Cohort::default();
    for (month, (cohort, channels)) in &cohorts {
        let elapsed = now_month - month;
        total.add(cohort);
        rows.push(ViewRow { depth: 0, title: month_title(*month), cells: cohort.cells(elapsed) });
        let mut by_channel: Vec<(&String, &Cohort)> = channels.iter().collect();
        by_channel.sort_by_key(|(_, c)| std::cmp::Reverse(c.clients));
        let mut children = Vec::new();
        for (channel, c) in by_channel {
            // Roistat's title of the channel where the facts name it.
            let title = book.channel_titles.get(channel).unwrap_or(channel);
            rows.push(ViewRow { depth: 1, title: title.clone(), cells: c.cells(elapsed) });
            children.push(json!({"key": channel, "title": title, "figures": c.figures(elapsed), "children": []}));
        }
        json_rows.push(json!({
            "key": month_key(*month),
            "title": month_title(*month),
            "figures": cohort.figures(elapsed),
            "children": children,
        }));
    }
    // The totals' months run as far as the oldest cohort's.
    let elapsed = cohorts.keys().next().map_or(0, |first| now_month - first);
    let table = ViewTable {
        view: query.view,
        caption: caption(query, true),
        name_title: "Когорта (месяц первой заявки) / первый канал".into(),
        columns: columns(),
        rows,
        totals: total.cells(elapsed),
        heat_map: true,
    };
    let json = json!({
        "view": query.view,
        "basis": query.basis,
        "caption": table.caption,
        "rows": json_rows,
        "totals": {"from": query.from, "to": query.to, "figures": total.figures(elapsed)},
    });
    Ok(ViewOutput { table, json })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Basis, View, compute};
    use super::*;
    use jiff::civil::Date;

    fn leads() -> Vec<crate::domain::Lead> {
        vec![
            // Client 1 (October, direct): buys in October and, by a November lead, in December.
            lead(1, on(10, 5), ("direct", "brand"), Some(1), &[(on(10, 6), PAID)], 10_000),
            lead(2, on(11, 25), ("seo", "yandex"), Some(1), &[(at(2, 9, 0), PAID)], 4_000),
            // Client 2 (October, seo): a November purchase.
            lead(3, on(10, 20), ("seo", "google"), Some(2), &[], 0),
            lead(4, on(11, 10), ("seo", "google"), Some(2), &[(on(11, 11), PAID)], 6_000),
            // Client 3 (November, vk): nothing bought.
            lead(5, on(11, 1), ("vk", "target"), Some(3), &[], 0),
            // Client 4: September, outside the period.
            lead(6, on(9, 1), ("vk", "target"), Some(4), &[(on(10, 1), PAID)], 99_000),
        ]
    }

    fn query(basis: Basis) -> crate::report::views::ViewQuery {
        super::super::testing::query(View::Cohorts, basis, Date::constant(2026, 10, 1), Date::constant(2026, 11, 30))
    }

    #[test]
    fn revenue_by_month_after_the_first_lead() {
        let out = compute(&query(Basis::Sale), &book(leads())).unwrap();
        let rows = out.json["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["key"], "2026-10");
        // Now is December: October's cohort has months 0, 1, 2; November's 0 and 1.
        assert_eq!(rows[0]["figures"], json!({"clients": 2, "revenue": 20_000, "months": [10_000, 6_000, 4_000]}));
        assert_eq!(rows[1]["figures"], json!({"clients": 1, "revenue": 0, "months": [0, 0]}));
        let channels: Vec<&str> =
            rows[0]["children"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
        assert_eq!(channels, vec!["direct", "seo"]);
        assert_eq!(rows[0]["children"][0]["figures"]["months"], json!([10_000, 0, 4_000]), "client 1's first channel");
        assert_eq!(out.json["totals"]["figures"]["months"], json!([10_000, 6_000, 4_000]));
        assert!(out.table.heat_map);
        assert_eq!(out.table.rows[0].title, "Октябрь 2026");
        assert_eq!(
            out.table.rows[0].cells[2..6],
            [
                Cell::Money(Some(Money::from_rubles(10_000))),
                Cell::Money(Some(Money::from_rubles(6_000))),
                Cell::Money(Some(Money::from_rubles(4_000))),
                Cell::Money(None),
            ]
        );
    }

    #[test]
    fn by_lead_date_a_sale_counts_in_its_leads_month() {
        let out = compute(&query(Basis::Lead), &book(leads())).unwrap();
        // Client 1's second purchase was a November lead: month 1, not 2.
        assert_eq!(out.json["rows"][0]["figures"]["months"], json!([10_000, 10_000, 0]));
    }
}
