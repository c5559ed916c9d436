//! Plan / fact: each channel's monthly plan (budget, leads, sales, revenue) against what happened
//! in the month, how much of it is done, and a forecast to the month's end.
//!
//! The rules:
//! - **Fact.** Budget is the channel's cost from Roistat's daily figures in the month; leads are
//!   our leads created in the month whose first level (channel) is the channel; a sale is a lead
//!   now in a paid-group status, counted in the month of its creation (`Basis::Lead`) or of its
//!   sale ([`super::sale_time`], `Basis::Sale`), with its sum as revenue.
//! - **Done** is fact ÷ plan (none without a plan or for a zero plan).
//! - **Forecast.** Days elapsed `E` are the month's days up to today in the query's time zone
//!   (today included; 0 before the month, all of them after it), `D` the days in the month,
//!   `R = D − E` the days left. Budget and leads go at their run rate: `fact ÷ E × D`. Sales and
//!   revenue add to the fact what the leads still open will bring: the open leads (in-work group)
//!   plus the leads still to come at the run rate (`leads ÷ E × R`), times the channel's
//!   conversion, times (for revenue) its average paid sum. The conversion is the share of paid
//!   leads among the channel's leads at least [`MATURE_AFTER_DAYS`] days old (they had their time
//!   to be sold or lost); with fewer than [`MATURE_ENOUGH`] of those, `paid ÷ (paid + cancelled +
//!   stale)` over all its leads. A lead still open [`STALE_AFTER_DAYS`] days after it came is stale: it
//!   counts as lost for the conversion and is not among the open leads that may still be sold
//!   (left open that long, it is forgotten, not in work). By sale date, the open leads are the channel's open leads created up to
//!   the month's end (none once the month is gone: nothing is sold in it any more); by lead date,
//!   those created in the month (sold later, they still count to it). A channel that closed no lead yet
//!   has no conversion, so its open leads add nothing. Before the month starts there is no
//!   forecast.
//!
//! Leads without a channel have no plan and are left out.

use super::{Basis, LeadBook, NO_CHANNEL, ViewColumn, ViewOutput, ViewQuery, ViewRow, ViewTable, caption, day_of};
use super::{lead_path, sale_time};
use crate::domain::{Money, Month, Plan, StatusGroup};
use crate::report::{Cell, ReportError};
use serde::Serialize;
use std::collections::BTreeMap;

/// The four figures a plan sets; money in roubles in JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanFigures {
    #[serde(with = "crate::domain::rubles")]
    pub budget: Money,
    pub leads: u64,
    pub sales: u64,
    #[serde(with = "crate::domain::rubles")]
    pub revenue: Money,
}

impl PlanFigures {
    fn of(plan: &Plan) -> PlanFigures {
        PlanFigures { budget: plan.budget, leads: plan.leads, sales: plan.sales, revenue: plan.revenue }
    }

    fn add(&mut self, other: &PlanFigures) {
        self.budget += other.budget;
        self.leads += other.leads;
        self.sales += other.sales;
        self.revenue += other.revenue;
    }

    /// Each figure of `self` as a fraction of `plan`'s.
    fn done(&self, plan: &PlanFigures) -> Done {
        let part = |fact: f64, plan: f64| (plan > 0.0).then(|| fact / plan);
        Done {
            budget: part(self.budget.kopecks() as f64, plan.budget.kopecks() as f64),
            leads: part(self.leads as f64, plan.leads as f64),
            sales: part(self.sales as f64, plan.sales as f64),
            revenue: part(self.revenue.kopecks() as f64, plan.revenue.kopecks() as f64),
        }
    }
}

/// How much of the plan is done, as fractions (0.5 = 50 %).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Done {
    pub budget: Option<f64>,
    pub leads: Option<f64>,
    pub sales: Option<f64>,
    pub revenue: Option<f64>,
}

/// One channel's line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanRow {
    pub key: String,
    pub title: String,
    /// `None`: the channel has no plan for the month.
    pub plan: Option<PlanFigures>,
    pub fact: PlanFigures,
    pub done: Done,
    /// `None` before the month starts.
    pub forecast: Option<PlanFigures>,
}

/// What one channel's leads and spend add up to.
#[derive(Default)]
struct Tally {
    fact: PlanFigures,
    /// Open leads that may still be sold in the month.
    open: u64,
    /// All the channel's closed leads, for its conversion and average check.
    paid: u64,
    cancelled: u64,
    /// Open leads older than [`STALE_AFTER_DAYS`].
    stale: u64,
    /// Leads older than [`MATURE_AFTER_DAYS`], and how many of them are paid.
    mature: u64,
    mature_paid: u64,
    paid_sum: Money,
}

/// Days after which a lead still open counts as forgotten (see the module's rules).
pub const STALE_AFTER_DAYS: i64 = 60;
/// Days after which a lead's fate counts for the channel's conversion.
pub const MATURE_AFTER_DAYS: i64 = 30;
/// Mature leads below this many say too little: the conversion falls back to closed leads.
pub const MATURE_ENOUGH: u64 = 10;

pub fn build(query: &ViewQuery, book: &LeadBook) -> Result<ViewOutput, ReportError> {
    // The month the period ends in: «Этот месяц», «30 дней» and `--month` all mean the month under way.
    let month = Month::of(query.to);
    let (first, last) = (month.first_day(), month.last_day());
    let in_month = |day: jiff::civil::Date| day >= first && day <= last;
    let wanted = |channel: &str| channel != NO_CHANNEL && query.channel.as_deref().is_none_or(|c| c == channel);
    let groups = book.groups();
    let stale_before = book.now - jiff::SignedDuration::from_hours(24 * STALE_AFTER_DAYS);
    let mature_before = book.now - jiff::SignedDuration::from_hours(24 * MATURE_AFTER_DAYS);

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for plan in book.plans.iter().filter(|p| p.month == month && wanted(&p.channel)) {
        tallies.entry(plan.channel.clone()).or_default();
    }
    for day in book.spend.iter().filter(|d| in_month(d.date) && wanted(&d.channel)) {
        tallies.entry(day.channel.clone()).or_default().fact.budget += day.figures.cost;
    }
    for lead in book.counted() {
        let Some(channel) = lead_path(lead).into_iter().next().filter(|c| wanted(c)) else { continue };
        let created = day_of(lead.created, &query.zone);
        let group = lead.status_id.and_then(|s| groups.get(&s)).copied();
        let sold = group == Some(StatusGroup::Paid);
        let counted_in_month = match query.basis {
            Basis::Lead => in_month(created),
            Basis::Sale => sale_time(lead, &groups, query).is_some_and(|at| in_month(day_of(at, &query.zone))),
        };
        let stale = group == Some(StatusGroup::InWork) && lead.created < stale_before;
        let open = group == Some(StatusGroup::InWork)
            && !stale
            && match query.basis {
                Basis::Lead => in_month(created),
                Basis::Sale => created <= last,
            };
        let tally = tallies.entry(channel).or_default();
        if in_month(created) {
            tally.fact.leads += 1;
        }
        if sold && counted_in_month {
            tally.fact.sales += 1;
            tally.fact.revenue += lead.price;
        }
        tally.open += u64::from(open);
        if lead.created < mature_before {
            tally.mature += 1;
            tally.mature_paid += u64::from(sold);
        }
        match group {
            Some(StatusGroup::Paid) => {
                tally.paid += 1;
                tally.paid_sum += lead.price;
            }
            Some(StatusGroup::Cancelled) => tally.cancelled += 1,
            Some(StatusGroup::InWork) if stale => tally.stale += 1,
            _ => {}
        }
    }

    let days = i64::from(month.days());
    let today = day_of(book.now, &query.zone);
    let elapsed = if today < first {
        0
    } else if today > last {
        days
    } else {
        i64::from(today.day())
    };
    let titles = &book.channel_titles;
    let mut rows = Vec::new();
    for (key, tally) in tallies {
        let plan = book.plans.iter().find(|p| p.month == month && p.channel == key).map(PlanFigures::of);
        // Only what has a plan, a spend, a lead or a sale this month is a line.
        if plan.is_none() && tally.fact == PlanFigures::default() && tally.open == 0 {
            continue;
        }
        let mut tally = tally;
        if query.basis == Basis::Sale && elapsed == days {
            // By sale date nothing is sold in a month gone any more.
            tally.open = 0;
        }
        let forecast = forecast(&tally, elapsed, days);
        let done = plan.map(|p| tally.fact.done(&p)).unwrap_or_default();
        let title = titles.get(&key).cloned().unwrap_or_else(|| key.clone());
        rows.push(PlanRow { key, title, plan, fact: tally.fact, done, forecast });
    }
    Ok(output(query, month, elapsed, days, rows))
}

/// The forecast to the month's end (see the module's rules).
fn forecast(tally: &Tally, elapsed: i64, days: i64) -> Option<PlanFigures> {
    if elapsed == 0 {
        return None;
    }
    let run_rate = |fact: i64| (i128::from(fact) * i128::from(days) + i128::from(elapsed) / 2) / i128::from(elapsed);
    let known = tally.paid + tally.cancelled + tally.stale;
    let conversion = if tally.mature >= MATURE_ENOUGH {
        Some(tally.mature_paid as f64 / tally.mature as f64)
    } else {
        (known > 0).then(|| tally.paid as f64 / known as f64)
    };
    let average = (tally.paid > 0).then(|| tally.paid_sum.kopecks() as f64 / tally.paid as f64);
    let to_come = tally.fact.leads as f64 * (days - elapsed) as f64 / elapsed as f64;
    let expected_sales = conversion.map_or(0.0, |c| (tally.open as f64 + to_come) * c);
    let expected_revenue = expected_sales * average.unwrap_or(0.0);
    Some(PlanFigures {
        budget: Money(run_rate(tally.fact.budget.kopecks()) as i64),
        leads: run_rate(tally.fact.leads as i64) as u64,
        sales: tally.fact.sales + expected_sales.round() as u64,
        revenue: tally.fact.revenue + Money(expected_revenue.round() as i64),
    })
}

fn output(query: &ViewQuery, month: Month, elapsed: i64, days: i64, rows: Vec<PlanRow>) -> ViewOutput {
    let mut plan = PlanFigures::default();
    let mut fact = PlanFigures::default();
    let mut forecast = PlanFigures::default();
    for row in &rows {
        plan.add(&row.plan.unwrap_or_default());
        fact.add(&row.fact);
        forecast.add(&row.forecast.unwrap_or_default());
    }
    let forecast = (elapsed > 0).then_some(forecast);
    let done = fact.done(&plan);
    // The caption names the month the figures are of, whatever the period asked.
    let of_month = ViewQuery { from: month.first_day(), to: month.last_day(), ..query.clone() };
    let mut caption = caption(&of_month, true);
    caption.insert(
        1,
        format!(
            "План продаж на {month}: прошло дней {elapsed} из {days}; факт расходов — по данным Roistat, заявки и \
             продажи — по заявкам skvoz; прогноз — по темпу месяца плюс открытые заявки с конверсией канала"
        ),
    );
    let table = ViewTable {
        view: query.view,
        caption,
        name_title: "Канал".into(),
        columns: columns(),
        rows: rows
            .iter()
            .map(|r| ViewRow { depth: 0, title: r.title.clone(), cells: cells(r.plan, &r.fact, &r.done, r.forecast) })
            .collect(),
        totals: cells(Some(plan), &fact, &done, forecast),
        heat_map: false,
    };
    let json = serde_json::json!({
        "view": "plan",
        "month": month.to_string(),
        "basis": query.basis.key(),
        "days_in_month": days,
        "days_elapsed": elapsed,
        "rows": rows,
        "totals": { "figures": { "plan": plan, "fact": fact, "done": done, "forecast": forecast } },
    });
    ViewOutput { table, json }
}

/// For each figure: plan, fact, % done, forecast.
fn columns() -> Vec<ViewColumn> {
    let mut columns = Vec::new();
    for (figure, unit) in [("Бюджет", ", ₽"), ("Заявки", ""), ("Продажи", ""), ("Выручка", ", ₽")]
    {
        columns.push(ViewColumn::new(format!("{figure}: план"), unit));
        columns.push(ViewColumn::new(format!("{figure}: факт"), unit));
        columns.push(ViewColumn::new(format!("{figure}: выполнено"), ", %"));
        columns.push(ViewColumn::new(format!("{figure}: прогноз"), unit));
    }
    columns
}

fn cells(plan: Option<PlanFigures>, fact: &PlanFigures, done: &Done, forecast: Option<PlanFigures>) -> Vec<Cell> {
    let money = |m: Option<Money>| Cell::Money(m);
    let count = |n: Option<u64>| n.map_or_else(|| Cell::Text(crate::report::dash().into()), Cell::Count);
    vec![
        money(plan.map(|p| p.budget)),
        money(Some(fact.budget)),
        Cell::Percent(done.budget),
        money(forecast.map(|f| f.budget)),
        count(plan.map(|p| p.leads)),
        Cell::Count(fact.leads),
        Cell::Percent(done.leads),
        count(forecast.map(|f| f.leads)),
        count(plan.map(|p| p.sales)),
        Cell::Count(fact.sales),
        Cell::Percent(done.sales),
        count(forecast.map(|f| f.sales)),
        money(plan.map(|p| p.revenue)),
        money(Some(fact.revenue)),
        Cell::Percent(done.revenue),
        money(forecast.map(|f| f.revenue)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Attraction, Lead, Status, StatusChange};
    use crate::report::views::{View, compute};
    use crate::report::{ChannelDay, Figures};
    use jiff::civil::{Date, date};
    use jiff::tz::TimeZone;

    const NEW: u64 = 1;
    const PAID: u64 = 2;
    const CANCELLED: u64 = 3;

    fn at(day: Date) -> jiff::Timestamp {
        day.at(12, 0, 0, 0).to_zoned(TimeZone::UTC).unwrap().timestamp()
    }

    /// A lead of `channel` created on `created` in the new status, moved to `to` on `moved`.
    fn lead(channel: &str, created: Date, moved: Option<(Date, u64)>, price: i64) -> Lead {
        let mut lead = Lead {
            created: at(created),
            status_id: Some(NEW),
            price: Money::from_rubles(price),
            attraction: Attraction { channel: channel.into(), ..Attraction::default() },
            ..Lead::default()
        };
        if let Some((day, to)) = moved {
            lead.status_changes.push(StatusChange { at: at(day), from: Some(NEW), to: Some(to), by: String::new() });
            lead.status_id = Some(to);
        }
        lead
    }

    fn spend(day: Date, channel: &str, rubles: i64) -> ChannelDay {
        ChannelDay {
            date: day,
            channel: channel.into(),
            figures: Figures { cost: Money::from_rubles(rubles), ..Figures::default() },
        }
    }

    fn book(now: Date) -> LeadBook {
        let status = |id, group| Status { id, name: format!("s{id}"), group, order: id as i32 };
        let mut leads = vec![
            lead("direct", date(2026, 12, 1), Some((date(2026, 12, 3), PAID)), 50_000),
            lead("direct", date(2026, 12, 2), Some((date(2026, 12, 4), CANCELLED)), 0),
            lead("direct", date(2026, 12, 5), None, 0),
            lead("direct", date(2026, 12, 6), None, 0),
            // Made in November, sold in December.
            lead("direct", date(2026, 11, 20), Some((date(2026, 12, 2), PAID)), 40_000),
            lead("direct", date(2026, 11, 15), Some((date(2026, 11, 20), CANCELLED)), 0),
            lead("seo", date(2026, 12, 4), None, 0),
            // No channel: no plan, no line.
            lead("", date(2026, 12, 4), None, 0),
        ];
        let mut deleted = lead("direct", date(2026, 12, 3), Some((date(2026, 12, 3), PAID)), 1_000_000);
        deleted.deleted = true;
        leads.push(deleted);
        let mut spend: Vec<ChannelDay> = (1..=10).map(|d| spend(date(2026, 12, d), "direct", 3_000)).collect();
        spend.push(self::spend(date(2026, 11, 30), "direct", 99_999));
        let plan = Plan {
            budget: Money::from_rubles(100_000),
            leads: 62,
            sales: 10,
            revenue: Money::from_rubles(500_000),
            ..Plan::new("2026-12".parse().unwrap(), "direct")
        };
        LeadBook {
            leads,
            statuses: vec![
                status(NEW, StatusGroup::InWork),
                status(PAID, StatusGroup::Paid),
                status(CANCELLED, StatusGroup::Cancelled),
            ],
            now: at(now),
            plans: vec![plan, Plan { leads: 1, ..Plan::new("2027-01".parse().unwrap(), "direct") }],
            spend,
            channel_titles: [("direct".to_string(), "Яндекс.Директ".to_string())].into(),
            ..LeadBook::default()
        }
    }

    fn query(basis: Basis) -> ViewQuery {
        ViewQuery {
            view: View::Plan,
            basis,
            from: date(2026, 12, 1),
            to: date(2026, 12, 31),
            channel: None,
            zone: TimeZone::UTC,
            sale_field: None,
        }
    }

    fn keys(output: &ViewOutput) -> Vec<&str> {
        output.json["rows"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect()
    }

    fn rubles(value: &serde_json::Value) -> f64 {
        value.as_f64().unwrap()
    }

    #[test]
    fn by_lead_date_fact_done_and_forecast_are_as_counted_by_hand() {
        // 10 December: 10 of 31 days gone, 21 left.
        let output = compute(&query(Basis::Lead), &book(date(2026, 12, 10))).unwrap();
        assert_eq!(keys(&output), ["direct", "seo"], "no line for leads without a channel");
        let direct = &output.json["rows"][0];
        assert_eq!(direct["title"], "Яндекс.Директ");
        assert_eq!(rubles(&direct["plan"]["budget"]), 100_000.0);
        // Spend: 10 days × 3 000 ₽ (November's is not this month's).
        assert_eq!(rubles(&direct["fact"]["budget"]), 30_000.0);
        // Four leads made in December (the deleted one does not count), one of them sold.
        assert_eq!(direct["fact"]["leads"], 4);
        assert_eq!(direct["fact"]["sales"], 1);
        assert_eq!(rubles(&direct["fact"]["revenue"]), 50_000.0);
        assert_eq!(direct["done"]["budget"], 0.3);
        assert_eq!(direct["done"]["sales"], 0.1);
        assert_eq!(direct["done"]["revenue"], 0.1);
        // Run rate: 30 000 / 10 × 31 = 93 000 ₽; 4 / 10 × 31 = 12,4 → 12 leads.
        assert_eq!(rubles(&direct["forecast"]["budget"]), 93_000.0);
        assert_eq!(direct["forecast"]["leads"], 12);
        // Conversion 2 paid / (2 paid + 2 cancelled) = 0,5; average check 90 000 / 2 = 45 000 ₽.
        // Open 2 + to come 4 / 10 × 21 = 8,4 → 10,4 × 0,5 = 5,2 more sales: 1 + 5 = 6;
        // revenue 50 000 + 5,2 × 45 000 = 284 000 ₽.
        assert_eq!(direct["forecast"]["sales"], 6);
        assert_eq!(rubles(&direct["forecast"]["revenue"]), 284_000.0);

        // A channel without a plan: its fact and forecast, no plan and nothing done; it has
        // closed no lead, so its open one adds no sale.
        let seo = &output.json["rows"][1];
        assert!(seo["plan"].is_null());
        assert!(seo["done"]["leads"].is_null());
        assert_eq!(seo["fact"]["leads"], 1);
        assert_eq!(seo["forecast"]["leads"], 3);
        assert_eq!(seo["forecast"]["sales"], 0);

        let totals = &output.json["totals"]["figures"];
        assert_eq!(totals["fact"]["leads"], 5);
        assert_eq!(totals["forecast"]["leads"], 15);
        assert_eq!(rubles(&totals["plan"]["revenue"]), 500_000.0);
        assert_eq!(output.json["days_elapsed"], 10);

        let table = &output.table;
        assert_eq!(table.columns.len(), 16);
        assert_eq!(table.rows[0].title, "Яндекс.Директ");
        assert_eq!(table.rows[0].cells[2], Cell::Percent(Some(0.3)));
        assert_eq!(table.rows[1].cells[0], Cell::Money(None), "no plan shows «—»");
        assert!(table.caption.iter().any(|line| line.contains("прошло дней 10 из 31")), "{:?}", table.caption);
    }

    #[test]
    fn by_sale_date_the_lead_made_in_november_and_sold_in_december_counts() {
        let output = compute(&query(Basis::Sale), &book(date(2026, 12, 10))).unwrap();
        let direct = &output.json["rows"][0];
        assert_eq!(direct["fact"]["leads"], 4, "leads still count by the day they came");
        assert_eq!(direct["fact"]["sales"], 2);
        assert_eq!(rubles(&direct["fact"]["revenue"]), 90_000.0);
        // 2 + 5,2 → 7; 90 000 + 234 000 ₽.
        assert_eq!(direct["forecast"]["sales"], 7);
        assert_eq!(rubles(&direct["forecast"]["revenue"]), 324_000.0);
        assert!(output.table.caption[0].contains("по дате продажи"));
    }

    #[test]
    fn a_month_to_come_has_its_plan_and_no_forecast_and_a_month_gone_forecasts_its_fact_pace() {
        let january = ViewQuery { from: date(2027, 1, 1), to: date(2027, 1, 31), ..query(Basis::Lead) };
        let output = compute(&january, &book(date(2026, 12, 10))).unwrap();
        assert_eq!(output.json["rows"].as_array().unwrap().len(), 1, "only the planned channel");
        assert_eq!(output.json["rows"][0]["plan"]["leads"], 1);
        assert!(output.json["rows"][0]["forecast"].is_null());
        assert!(output.json["totals"]["figures"]["forecast"].is_null());

        // On 5 January December is over: its budget forecast is its spend. By lead date its two
        // open leads may still be sold (2 × 0,5 = 1 more sale); by sale date not in December.
        let output = compute(&query(Basis::Lead), &book(date(2027, 1, 5))).unwrap();
        assert_eq!(output.json["days_elapsed"], 31);
        assert_eq!(rubles(&output.json["rows"][0]["forecast"]["budget"]), 30_000.0);
        assert_eq!(output.json["rows"][0]["forecast"]["sales"], 2);
        let output = compute(&query(Basis::Sale), &book(date(2027, 1, 5))).unwrap();
        assert_eq!(output.json["rows"][0]["forecast"]["sales"], 2, "the two sold in December, nothing more");
    }

    #[test]
    fn a_lead_left_open_for_months_is_lost_not_open() {
        let mut book = book(date(2026, 12, 10));
        // Open since August: forgotten. Conversion 2 paid / (2 paid + 2 cancelled + 1 stale) = 0,4;
        // open 2 + to come 8,4 = 10,4 × 0,4 = 4,16 → 1 + 4 = 5 sales.
        book.leads.push(lead("direct", date(2026, 8, 1), None, 0));
        let output = compute(&query(Basis::Sale), &book).unwrap();
        let direct = &output.json["rows"][0];
        assert_eq!(direct["fact"]["leads"], 4);
        // By sale date: 2 sold in December + 10,4 × 0,4 = 4,16 → 6.
        assert_eq!(direct["forecast"]["sales"], 6);
        let output = compute(&query(Basis::Lead), &book).unwrap();
        assert_eq!(output.json["rows"][0]["forecast"]["sales"], 5);
    }

    #[test]
    fn with_enough_mature_leads_the_conversion_is_their_share_of_sales() {
        let mut book = book(date(2026, 12, 10));
        // Ten leads of October (at least 30 days old): 2 sold, 3 lost, 5 open — conversion 0,2;
        // November's leads are younger than 30 days and do not count to it.
        for (i, moved) in [Some(PAID), Some(PAID), Some(CANCELLED), Some(CANCELLED), Some(CANCELLED)]
            .into_iter()
            .chain([None; 5])
            .enumerate()
        {
            let day = date(2026, 10, 1 + i as i8);
            book.leads.push(lead("direct", day, moved.map(|to| (date(2026, 10, 20), to)), 10_000));
        }
        let output = compute(&query(Basis::Lead), &book).unwrap();
        // Open 2 + to come 8,4 = 10,4 × 0,2 = 2,08 → 1 + 2 = 3 sales.
        assert_eq!(output.json["rows"][0]["forecast"]["sales"], 3);
    }

    #[test]
    fn one_channel_when_asked() {
        let only_seo = ViewQuery { channel: Some("seo".into()), ..query(Basis::Lead) };
        let output = compute(&only_seo, &book(date(2026, 12, 10))).unwrap();
        assert_eq!(keys(&output), ["seo"]);
    }
}
