//! Daily analytics facts on PostgreSQL: one row per day, analytics source and marker path,
//! written with array parameters (one statement per 10,000 rows) and read in the embedded
//! store's order (date, source, levels byte-wise). Beside them their sums per month and path and
//! per day and channel (migration 0005), rewritten in the transaction that changes the facts, so
//! that a report sums whole months from those and only the days at its ends from the facts.

use super::PgStore;
use super::feed::{Kind, record};
use crate::domain::{DailyFact, Level, MarkerPath, Money};
use crate::report::{ChannelDay, Figures, PathSums, Periods, ReportSums};
use crate::store::Result;
use deadpool_postgres::Transaction;
use jiff::civil::Date;
use std::collections::HashMap;

const CHUNK: usize = 10_000;

const COLUMNS: &str = "analytics_source_id, day, channel, channel_title, source, source_title, campaign, \
                       campaign_title, visits, leads, sales, revenue, cost, calls";

const ORDER: &str = "day, analytics_source_id, channel COLLATE \"C\", channel_title COLLATE \"C\", \
                     source COLLATE \"C\", source_title COLLATE \"C\", campaign COLLATE \"C\", campaign_title COLLATE \"C\"";

fn fact_of(row: &tokio_postgres::Row) -> DailyFact {
    let level = |v: usize| Level::new(row.get::<_, String>(v), row.get::<_, String>(v + 1));
    DailyFact {
        visits: row.get::<_, i64>(8) as u64,
        leads: row.get::<_, i64>(9) as u64,
        sales: row.get::<_, i64>(10) as u64,
        revenue: Money(row.get(11)),
        cost: Money(row.get(12)),
        calls: row.get::<_, i64>(13) as u64,
        analytics_source_id: row.get::<_, i64>(0) as u64,
        ..DailyFact::new(row.get(1), [level(2), level(4), level(6)])
    }
}

/// Six sums from column `at` on: visits, leads, sales, revenue, cost, calls.
fn figures_of(row: &tokio_postgres::Row, at: usize) -> Figures {
    let sum = |i: usize| row.get::<_, i64>(at + i);
    Figures {
        visits: sum(0) as u64,
        leads: sum(1) as u64,
        sales: sum(2) as u64,
        revenue: Money(sum(3)),
        cost: Money(sum(4)),
        calls: sum(5) as u64,
    }
}

/// Inserts facts as they are (their source id included).
pub(super) async fn insert(tx: &Transaction<'_>, facts: &[DailyFact]) -> super::TxResult<()> {
    let statement = tx
        .prepare_cached(&format!(
            "INSERT INTO facts ({COLUMNS}) SELECT * FROM unnest($1::bigint[], $2::date[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], \
             $12::bigint[], $13::bigint[], $14::bigint[])"
        ))
        .await?;
    for chunk in facts.chunks(CHUNK) {
        let int = |f: &dyn Fn(&DailyFact) -> i64| chunk.iter().map(f).collect::<Vec<i64>>();
        let text = |f: &dyn Fn(&DailyFact) -> &str| chunk.iter().map(|x| f(x).to_string()).collect::<Vec<String>>();
        let days: Vec<Date> = chunk.iter().map(|f| f.date).collect();
        tx.execute(
            &statement,
            &[
                &int(&|f| f.analytics_source_id as i64),
                &days,
                &text(&|f| &f.path.channel.value),
                &text(&|f| &f.path.channel.title),
                &text(&|f| &f.path.source.value),
                &text(&|f| &f.path.source.title),
                &text(&|f| &f.path.campaign.value),
                &text(&|f| &f.path.campaign.title),
                &int(&|f| f.visits as i64),
                &int(&|f| f.leads as i64),
                &int(&|f| f.sales as i64),
                &int(&|f| f.revenue.0),
                &int(&|f| f.cost.0),
                &int(&|f| f.calls as i64),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Rewrites the sums of one analytics source's facts: of every month that `from..=to` touches and of
/// every day in it. Only that source's rows, so loads of two sources at once never write one row
/// (loads of one source take turns on its `fact_loads` row).
pub(super) async fn refresh_sums(tx: &Transaction<'_>, source_id: u64, from: Date, to: Date) -> super::TxResult<()> {
    if from > to {
        return Ok(());
    }
    let source = source_id as i64;
    let (months_from, months_to) = (from.first_of_month(), to.last_of_month());
    tx.execute(
        "DELETE FROM fact_month_sums WHERE analytics_source_id = $1 AND month >= $2 AND month <= $3",
        &[&source, &months_from, &months_to],
    )
    .await?;
    tx.execute(
        "INSERT INTO fact_month_sums SELECT analytics_source_id, date_trunc('month', day::timestamp)::date, channel, \
         source, campaign, min(day), sum(visits), sum(leads), sum(sales), sum(revenue), sum(cost), sum(calls) \
         FROM facts WHERE analytics_source_id = $1 AND day >= $2 AND day <= $3 GROUP BY 1, 2, 3, 4, 5",
        &[&source, &months_from, &months_to],
    )
    .await?;
    tx.execute(
        "DELETE FROM fact_channel_days WHERE analytics_source_id = $1 AND day >= $2 AND day <= $3",
        &[&source, &from, &to],
    )
    .await?;
    tx.execute(
        "INSERT INTO fact_channel_days SELECT analytics_source_id, day, channel, sum(visits), sum(leads), \
         sum(sales), sum(revenue), sum(cost), sum(calls) \
         FROM facts WHERE analytics_source_id = $1 AND day >= $2 AND day <= $3 GROUP BY 1, 2, 3",
        &[&source, &from, &to],
    )
    .await?;
    Ok(())
}

/// The whole months inside `from..=to`, as the first day of the first one and the first day after
/// the last one; `(from, from)` when there is none.
fn whole_months(from: Date, to: Date) -> (Date, Date) {
    let start = if from.day() == 1 { Some(from) } else { from.last_of_month().tomorrow().ok() };
    let end = if to == to.last_of_month() { to.tomorrow().ok() } else { Some(to.first_of_month()) };
    match (start, end) {
        (Some(start), Some(end)) if start < end => (start, end),
        _ => (from, from),
    }
}

impl PgStore {
    /// Replaces one source's facts of `from..=to` with `facts` in one transaction.
    pub async fn replace_facts(&self, source_id: u64, from: Date, to: Date, facts: &[DailyFact]) -> Result<usize> {
        transact!(self, |tx| {
            // Loads of one source take turns from here: the next reads the facts this one commits.
            tx.execute(
                "INSERT INTO fact_loads (analytics_source_id) VALUES ($1) ON CONFLICT (analytics_source_id) \
                 DO UPDATE SET analytics_source_id = EXCLUDED.analytics_source_id",
                &[&(source_id as i64)],
            )
            .await?;
            tx.execute(
                "DELETE FROM facts WHERE analytics_source_id = $1 AND day >= $2 AND day <= $3",
                &[&(source_id as i64), &from, &to],
            )
            .await?;
            let own: Vec<DailyFact> = facts
                .iter()
                .filter(|f| f.date >= from && f.date <= to)
                .map(|f| DailyFact { analytics_source_id: source_id, ..f.clone() })
                .collect();
            insert(tx, &own).await?;
            refresh_sums(tx, source_id, from, to).await?;
            record(tx, Kind::Facts, &[]).await?;
            Ok(own.len())
        })
    }

    pub async fn facts_between(&self, from: Date, to: Date) -> Result<Vec<DailyFact>> {
        let sql = format!("SELECT {COLUMNS} FROM facts WHERE day >= $1 AND day <= $2 ORDER BY {ORDER}");
        let rows = self.query(&sql, &[&from, &to]).await?;
        Ok(rows.iter().map(fact_of).collect())
    }

    /// The report's sums, computed by the server: a `GROUP BY` path for each period — over the
    /// monthly sums of its whole months and the facts of the days before and after them — and one by
    /// day and channel over the daily sums, at once on three connections; then the titles of each
    /// path's first fact, read from the facts of the paths' first days (usually one day).
    pub async fn report_sums(&self, periods: &Periods) -> Result<ReportSums> {
        // $1..=$2 the period, $3..$4 its whole months (the first days of the first and of the next).
        const BY_PATH: &str = "SELECT channel, source, campaign, min(first_day), sum(visits)::bigint, \
            sum(leads)::bigint, sum(sales)::bigint, sum(revenue)::bigint, sum(cost)::bigint, sum(calls)::bigint \
            FROM (SELECT channel, source, campaign, first_day, visits, leads, sales, revenue, cost, calls \
                  FROM fact_month_sums WHERE month >= $3 AND month < $4 \
                  UNION ALL \
                  SELECT channel, source, campaign, day, visits, leads, sales, revenue, cost, calls \
                  FROM facts WHERE (day >= $1 AND day < $3) OR (day >= $4 AND day <= $2)) AS period \
            GROUP BY channel, source, campaign";
        const BY_DAY: &str = "SELECT day, channel, sum(visits)::bigint, sum(leads)::bigint, sum(sales)::bigint, \
            sum(revenue)::bigint, sum(cost)::bigint, sum(calls)::bigint \
            FROM fact_channel_days WHERE day >= $1 AND day <= $2 GROUP BY day, channel";
        type Params<'a> = [&'a (dyn tokio_postgres::types::ToSql + Sync); 4];
        let months = whole_months(periods.from, periods.to);
        let previous_months = whole_months(periods.previous_from, periods.previous_to);
        let current: Params<'_> = [&periods.from, &periods.to, &months.0, &months.1];
        let previous: Params<'_> =
            [&periods.previous_from, &periods.previous_to, &previous_months.0, &previous_months.1];
        let (current, previous, days) = tokio::try_join!(
            self.query(BY_PATH, &current),
            self.query(BY_PATH, &previous),
            self.query(BY_DAY, &current[..2]),
        )?;
        let mut paths: HashMap<[String; 3], PathSums> = HashMap::with_capacity(current.len() + previous.len());
        for (rows, in_current) in [(&current, true), (&previous, false)] {
            for row in rows {
                let key = [row.get::<_, String>(0), row.get(1), row.get(2)];
                let first: Date = row.get(3);
                let figures = figures_of(row, 4);
                let path = paths.entry(key.clone()).or_insert_with(|| PathSums {
                    path: MarkerPath::new(Level::new(&key[0], ""), Level::new(&key[1], ""), Level::new(&key[2], "")),
                    first_date: first,
                    first_source: u64::MAX,
                    current: Figures::default(),
                    previous: Figures::default(),
                    in_current: false,
                });
                path.first_date = path.first_date.min(first);
                if in_current {
                    path.current = figures;
                    path.in_current = true;
                } else {
                    path.previous = figures;
                }
            }
        }
        let mut first_days: Vec<Date> = paths.values().map(|p| p.first_date).collect();
        first_days.sort_unstable();
        first_days.dedup();
        let rows = self
            .query(
                "SELECT day, analytics_source_id, channel, channel_title, source, source_title, campaign, \
                 campaign_title FROM facts WHERE day = ANY($1)",
                &[&first_days],
            )
            .await?;
        let mut titled = std::collections::HashSet::new();
        for row in &rows {
            let key = [row.get::<_, String>(2), row.get(4), row.get(6)];
            let Some(path) = paths.get_mut(&key) else { continue };
            if row.get::<_, Date>(0) != path.first_date {
                continue;
            }
            let candidate = PathSums {
                path: MarkerPath::new(
                    Level::new(&key[0], row.get::<_, String>(3)),
                    Level::new(&key[1], row.get::<_, String>(5)),
                    Level::new(&key[2], row.get::<_, String>(7)),
                ),
                first_source: row.get::<_, i64>(1) as u64,
                ..path.clone()
            };
            if titled.insert(key) || candidate.first_order(path).is_lt() {
                *path = candidate;
            }
        }
        let days = days
            .iter()
            .map(|row| ChannelDay { date: row.get(0), channel: row.get(1), figures: figures_of(row, 2) })
            .collect();
        Ok(ReportSums { paths: paths.into_values().collect(), days }.sorted())
    }

    /// Every fact in the embedded store's order, for the backup.
    pub(super) async fn all_facts(&self) -> Result<Vec<DailyFact>> {
        let rows = self.query(&format!("SELECT {COLUMNS} FROM facts ORDER BY {ORDER}"), &[]).await?;
        Ok(rows.iter().map(fact_of).collect())
    }

    pub async fn fact_markers(&self) -> Result<Vec<MarkerPath>> {
        let rows = self
            .query(
                "SELECT DISTINCT channel, channel_title, source, source_title, campaign, campaign_title FROM facts",
                &[],
            )
            .await?;
        let level =
            |row: &tokio_postgres::Row, v: usize| Level::new(row.get::<_, String>(v), row.get::<_, String>(v + 1));
        Ok(rows.iter().map(|r| MarkerPath::new(level(r, 0), level(r, 2), level(r, 4))).collect())
    }

    pub async fn fact_count(&self) -> Result<usize> {
        let rows = self.query("SELECT count(*) FROM facts", &[]).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as usize))
    }

    pub async fn fact_date_span(&self) -> Result<Option<(Date, Date)>> {
        let rows = self.query("SELECT min(day), max(day) FROM facts", &[]).await?;
        Ok(rows.first().and_then(|r| Some((r.get::<_, Option<Date>>(0)?, r.get::<_, Option<Date>>(1)?))))
    }
}
