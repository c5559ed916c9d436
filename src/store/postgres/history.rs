//! «История изменений» on PostgreSQL: the `history` table (migration 0003), written in the
//! transaction of the change it records.

use super::{PgStore, TxResult};
use crate::domain::{
    AUTHOR_ROISTAT, Actor, CatalogNames, ExtraField, HistoryEntry, HistoryFilter, HistoryObject, LeadEdit, LeadSource,
    Names, ORIGIN_INTAKE, Status, User, lead_created_entry, needs_names,
};
use crate::store::{Intake, Result};
use deadpool_postgres::Transaction;
use jiff::Timestamp;
use tokio_postgres::types::Json;

/// Writes entries (their ids come from the table) with one statement; entries without changes
/// are left out.
pub(super) async fn insert(tx: &Transaction<'_>, entries: &[HistoryEntry]) -> TxResult<()> {
    let entries: Vec<&HistoryEntry> = entries.iter().filter(|e| !e.changes.is_empty()).collect();
    if entries.is_empty() {
        return Ok(());
    }
    let at: Vec<Timestamp> = entries.iter().map(|e| e.at).collect();
    let kind: Vec<&str> = entries.iter().map(|e| e.object.kind()).collect();
    let object_id: Vec<i64> = entries.iter().map(|e| e.object.id() as i64).collect();
    let record: Vec<Json<&HistoryEntry>> = entries.iter().map(|e| Json(*e)).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO history (at, kind, object_id, record) \
             SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::jsonb[])",
        )
        .await?;
    tx.execute(&statement, &[&at, &kind, &object_id, &record]).await?;
    Ok(())
}

/// The history of an intake batch: one entry per lead it created, by Roistat.
pub(super) async fn record_intake(tx: &Transaction<'_>, intakes: &[Intake]) -> TxResult<()> {
    let roistat = Actor { author: AUTHOR_ROISTAT.into(), origin: ORIGIN_INTAKE.into() };
    let at = Timestamp::now();
    let entries: Vec<HistoryEntry> =
        intakes.iter().filter(|i| i.created).map(|i| lead_created_entry(&i.lead, &roistat, at)).collect();
    insert(tx, &entries).await
}

/// The names a lead edit's values are shown with, read only when the edits need them.
pub(super) async fn names_for(
    tx: &Transaction<'_>,
    edits: &[LeadEdit],
) -> TxResult<Box<dyn CatalogNames + Send + Sync>> {
    if !needs_names(edits) {
        return Ok(Box::new(Names::default()));
    }
    async fn all<T: crate::store::Record>(tx: &Transaction<'_>) -> TxResult<Vec<T>> {
        let statement = tx.prepare_cached(&format!("SELECT record FROM {} ORDER BY id", T::TREE)).await?;
        let rows = tx.query(&statement, &[]).await?;
        Ok(rows.iter().map(|r| super::record(r, 0)).collect::<Result<_>>()?)
    }
    let names = Names::new(
        &all::<Status>(tx).await?,
        &all::<LeadSource>(tx).await?,
        &all::<ExtraField>(tx).await?,
        all::<User>(tx).await?,
    );
    Ok(Box::new(names))
}

impl PgStore {
    /// Entries matching `filter`, newest first.
    pub async fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
        let object = filter.lead.map(|id| HistoryObject::Lead { id, number: 0 }).or_else(|| filter.object.clone());
        let kind = object.as_ref().map(|o| o.kind());
        let object_id = object.as_ref().map(|o| o.id() as i64);
        let before = filter.before_id.map(|id| id as i64);
        let rows = self
            .query(
                "SELECT id, record FROM history WHERE ($1::text IS NULL OR (kind = $1 AND object_id = $2)) \
                 AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::bigint IS NULL OR id < $4) \
                 AND ($6::text IS NULL OR kind = $6) AND ($7::text IS NULL OR record->>'author' = $7) \
                 ORDER BY id DESC LIMIT $5",
                &[&kind, &object_id, &filter.since, &before, &(filter.limit as i64), &filter.kind, &filter.author],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let entry: HistoryEntry = super::record(row, 1)?;
                Ok(HistoryEntry { id: row.get::<_, i64>(0) as u64, ..entry })
            })
            .collect()
    }
}
