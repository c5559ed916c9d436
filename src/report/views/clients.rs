//! New vs repeat sales per channel → source → campaign.
//!
//! A client's sales are its leads paid now (see [`super::counting`]), ordered by sale time (then
//! creation, then id) over all time: the first is a **new sale**, every later one a **repeat
//! sale**, whatever the period. A lead without a client is a client of its own (its sale is new).
//! What each figure counts:
//! - `new_sales`, `new_revenue`, `repeat_sales`, `repeat_revenue`: the sales of the period by the
//!   basis (lead date: the lead's creation day; sale date: its sale day), on the row of the sold
//!   lead's own channel → source → campaign, and their prices;
//! - `new_clients`: clients whose first lead (by creation) was created in the period, on the row of
//!   that first lead.
//!
//! So new + repeat sales are the period's paid leads, and new + repeat revenue their price.

use super::counting::{Counting, rubles, share};
use super::tree::Tree;
use super::{LeadBook, ViewColumn, ViewOutput, ViewQuery, caption};
use crate::domain::{Lead, Money};
use crate::report::{Cell, ReportError};
use serde_json::json;
use std::collections::{HashMap, HashSet};

#[derive(Default)]
struct Clients {
    new_clients: u64,
    new_sales: u64,
    repeat_sales: u64,
    new_revenue: Money,
    repeat_revenue: Money,
}

impl Clients {
    fn repeat_share(&self) -> Option<f64> {
        let all = self.new_revenue + self.repeat_revenue;
        (all.kopecks() > 0).then(|| self.repeat_revenue.kopecks() as f64 / all.kopecks() as f64)
    }
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Count(self.new_clients),
            Cell::Count(self.new_sales),
            Cell::Money(Some(self.new_revenue)),
            Cell::Count(self.repeat_sales),
            Cell::Money(Some(self.repeat_revenue)),
            Cell::Percent(share(self.repeat_sales, self.new_sales + self.repeat_sales)),
            Cell::Percent(self.repeat_share()),
        ]
    }
    fn json(&self) -> serde_json::Value {
        json!({
            "figures": {
                "new_clients": self.new_clients,
                "new_sales": self.new_sales,
                "repeat_sales": self.repeat_sales,
                "new_revenue": rubles(self.new_revenue),
                "repeat_revenue": rubles(self.repeat_revenue),
            },
            "metrics": {
                "repeat_sales_share": share(self.repeat_sales, self.new_sales + self.repeat_sales),
                "repeat_revenue_share": self.repeat_share(),
            }
        })
    }
}

fn columns() -> Vec<ViewColumn> {
    vec![
        ViewColumn::new("Новые клиенты", ""),
        ViewColumn::new("Продажи новым", ""),
        ViewColumn::new("Выручка новых", ", ₽"),
        ViewColumn::new("Повторные продажи", ""),
        ViewColumn::new("Выручка повторных", ", ₽"),
        ViewColumn::new("Доля повторных продаж", ", %"),
        ViewColumn::new("Доля повторной выручки", ", %"),
    ]
}

/// Who a lead belongs to: its client, or itself when it has none.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum ClientKey {
    Client(u64),
    Lead(u64),
}

pub(super) fn client_key(lead: &Lead) -> ClientKey {
    lead.client_id.map_or(ClientKey::Lead(lead.id), ClientKey::Client)
}

/// Each client's first lead (by creation, then id).
pub(super) fn first_leads(book: &LeadBook) -> HashMap<ClientKey, &Lead> {
    let mut first: HashMap<ClientKey, &Lead> = HashMap::new();
    for lead in book.counted() {
        first
            .entry(client_key(lead))
            .and_modify(|f| {
                if (lead.created, lead.id) < (f.created, f.id) {
                    *f = lead;
                }
            })
            .or_insert(lead);
    }
    first
}

pub fn build(query: &ViewQuery, book: &LeadBook) -> Result<ViewOutput, ReportError> {
    let counting = Counting::new(query, book);
    // Each client's first sale over all time, by sale time.
    let mut first_sale: HashMap<ClientKey, (jiff::Timestamp, jiff::Timestamp, u64)> = HashMap::new();
    for lead in book.counted().filter(|l| counting.is_paid(l)) {
        let sold = super::sale_time(lead, &counting.groups, query).unwrap_or(lead.created);
        let rank = (sold, lead.created, lead.id);
        first_sale.entry(client_key(lead)).and_modify(|r| *r = (*r).min(rank)).or_insert(rank);
    }
    let first_ids: HashSet<u64> = first_leads(book).values().map(|l| l.id).collect();

    let mut tree: Tree<Clients> = Tree::new(&book.channel_titles);
    for lead in book.counted() {
        let new_client = first_ids.contains(&lead.id) && counting.created_in_period(lead);
        let sold = counting.sold_in_period(lead);
        if !new_client && !sold {
            continue;
        }
        let Some(path) = counting.path(lead) else { continue };
        let is_new_sale = first_sale.get(&client_key(lead)).is_some_and(|r| r.2 == lead.id);
        tree.add(&path, |c| {
            c.new_clients += u64::from(new_client);
            if sold && is_new_sale {
                c.new_sales += 1;
                c.new_revenue += lead.price;
            } else if sold {
                c.repeat_sales += 1;
                c.repeat_revenue += lead.price;
            }
        });
    }
    let order = |c: &Clients| (c.new_revenue + c.repeat_revenue).kopecks();
    Ok(tree.output(query, caption(query, true), columns(), &Clients::cells, &Clients::json, &order))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Basis, View, compute};
    use super::*;

    fn leads() -> Vec<Lead> {
        vec![
            // Client 1: first lead in November, sold in November; a repeat purchase in December.
            lead(1, on(11, 3), ("direct", "brand"), Some(1), &[(on(11, 4), PAID)], 10_000),
            lead(2, at(2, 9, 0), ("seo", "yandex"), Some(1), &[(at(2, 10, 0), PAID)], 3_000),
            // Client 2: new in December, buys twice in December.
            lead(3, at(3, 9, 0), ("direct", "search"), Some(2), &[(at(3, 12, 0), PAID)], 20_000),
            lead(4, at(10, 9, 0), ("direct", "search"), Some(2), &[(at(11, 9, 0), PAID)], 7_000),
            // Client 3: new in December, has not bought.
            lead(5, at(12, 9, 0), ("vk", "target"), Some(3), &[(at(12, 10, 0), WORK)], 0),
            // No client: its own client, sold in January by sale date, created in December.
            lead(
                6,
                at(30, 9, 0),
                ("vk", "target"),
                None,
                &[(
                    Date::constant(2027, 1, 5).at(9, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp(),
                    PAID,
                )],
                1_000,
            ),
        ]
    }
    use jiff::civil::Date;

    #[test]
    fn first_sale_is_new_later_ones_repeat() {
        let out = compute(&december(View::Clients, Basis::Lead), &book(leads())).unwrap();
        let t = &out.json["totals"]["figures"];
        assert_eq!(t["new_clients"], 3, "clients 2, 3 and the lead without a client");
        assert_eq!(t["new_sales"], 2, "client 2's first and the lead without a client");
        assert_eq!(t["new_revenue"], 21_000);
        assert_eq!(t["repeat_sales"], 2, "client 1's December purchase and client 2's second");
        assert_eq!(t["repeat_revenue"], 10_000);
        let direct = out.json["rows"].as_array().unwrap().iter().find(|r| r["key"] == "direct").unwrap();
        assert_eq!(direct["figures"]["new_sales"], 1);
        assert_eq!(direct["figures"]["repeat_revenue"], 7_000);
        let seo = out.json["rows"].as_array().unwrap().iter().find(|r| r["key"] == "seo").unwrap();
        assert_eq!(seo["figures"]["repeat_sales"], 1);
        assert_eq!(seo["figures"]["new_clients"], 0, "client 1 came in November");
        assert_eq!(out.table.rows[0].title, "direct", "ordered by revenue");
    }

    #[test]
    fn by_sale_date_a_january_sale_leaves_december() {
        let out = compute(&december(View::Clients, Basis::Sale), &book(leads())).unwrap();
        let t = &out.json["totals"]["figures"];
        assert_eq!((t["new_sales"].as_u64(), t["new_revenue"].as_u64()), (Some(1), Some(20_000)));
        assert_eq!(t["repeat_sales"], 2);
        assert_eq!(t["new_clients"], 3, "new clients count by their first lead's day");
    }
}
