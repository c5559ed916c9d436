//! Daily analytics facts on PostgreSQL: one row per day, analytics source and marker path,
//! written with array parameters (one statement per 10,000 rows) and read in the embedded
//! store's order (date, source, levels byte-wise).

use super::PgStore;
use super::feed::{Kind, record};
use crate::domain::{DailyFact, Level, MarkerPath, Money};
use crate::store::Result;
use deadpool_postgres::Transaction;
use jiff::civil::Date;

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

impl PgStore {
    /// Replaces one source's facts of `from..=to` with `facts` in one transaction.
    pub async fn replace_facts(&self, source_id: u64, from: Date, to: Date, facts: &[DailyFact]) -> Result<usize> {
        transact!(self, |tx| {
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
            record(tx, Kind::Facts, &[]).await?;
            Ok(own.len())
        })
    }

    pub async fn facts_between(&self, from: Date, to: Date) -> Result<Vec<DailyFact>> {
        let sql = format!("SELECT {COLUMNS} FROM facts WHERE day >= $1 AND day <= $2 ORDER BY {ORDER}");
        let rows = self.query(&sql, &[&from, &to]).await?;
        Ok(rows.iter().map(fact_of).collect())
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
