//! Monthly plans per channel on PostgreSQL: the `plans` table (migration 0006), one row per month
//! and channel; marketers and admins write it.

use super::feed::{Kind, record};
use super::{PgStore, TxResult, history};
use crate::domain::{Actor, HistoryObject, Month, Plan, plan_changes, plan_key};
use crate::store::record::entry;
use crate::store::{Result, StoreError};
use deadpool_postgres::Transaction;
use jiff::Timestamp;
use tokio_postgres::types::Json;

/// Inserts or replaces a plan; the one it replaced.
pub(super) async fn put_in(tx: &Transaction<'_>, plan: &Plan) -> TxResult<Option<Plan>> {
    let old = old_in(tx, plan.month, &plan.channel).await?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO plans (month, channel, record) VALUES ($1, $2, $3) \
             ON CONFLICT (month, channel) DO UPDATE SET record = $3",
        )
        .await?;
    tx.execute(&statement, &[&plan.month.to_string(), &plan.channel, &Json(plan)]).await?;
    Ok(old)
}

async fn old_in(tx: &Transaction<'_>, month: Month, channel: &str) -> TxResult<Option<Plan>> {
    let statement = tx.prepare_cached("SELECT record FROM plans WHERE month = $1 AND channel = $2 FOR UPDATE").await?;
    let row = tx.query_opt(&statement, &[&month.to_string(), &channel]).await?;
    Ok(row.map(|row| super::record(&row, 0)).transpose()?)
}

impl PgStore {
    /// The plans of `month` (every month when `None`), by month and channel.
    pub async fn plans(&self, month: Option<Month>) -> Result<Vec<Plan>> {
        let month = month.map(|m| m.to_string());
        let rows = self
            .query(
                "SELECT record FROM plans WHERE $1::text IS NULL OR month = $1 \
                 ORDER BY month, channel COLLATE \"C\"",
                &[&month],
            )
            .await?;
        rows.iter().map(|r| super::record(r, 0)).collect()
    }

    /// Stores a channel's plan of a month over the one it had; what changed goes to the history.
    pub async fn put_plan(&self, plan: &Plan, actor: &Actor) -> Result<Plan> {
        plan.check().map_err(|e| StoreError::Invalid(e.to_string()))?;
        transact!(self, |tx| {
            let old = put_in(tx, plan).await?;
            record(tx, Kind::Plans, &[]).await?;
            let changes = plan_changes(old.as_ref(), Some(plan));
            history::insert(tx, &[entry(actor, Timestamp::now(), HistoryObject::Plan(plan.key()), changes)]).await?;
            Ok(plan.clone())
        })
    }

    /// Removes a channel's plan of a month (nothing when there is none).
    pub async fn delete_plan(&self, month: Month, channel: &str, actor: &Actor) -> Result<()> {
        transact!(self, |tx| {
            let Some(old) = old_in(tx, month, channel).await? else { return Ok(()) };
            tx.execute("DELETE FROM plans WHERE month = $1 AND channel = $2", &[&month.to_string(), &channel]).await?;
            record(tx, Kind::Plans, &[]).await?;
            let changes = plan_changes(Some(&old), None);
            let object = HistoryObject::Plan(plan_key(month, channel));
            history::insert(tx, &[entry(actor, Timestamp::now(), object, changes)]).await
        })
    }
}
