//! «История изменений» on PostgreSQL: the `history` table (migration 0003), written in the
//! transaction of the change it records.

use super::{PgStore, TxResult};
use crate::domain::{
    AUTHOR_ROISTAT, Actor, CatalogNames, ExtraField, HistoryEntry, HistoryFilter, HistoryObject, LeadEdit, LeadSource,
    Names, ORIGIN_INTAKE, Status, User, lead_created_entry, needs_names,
};
use crate::store::Result;
use deadpool_postgres::Transaction;
use jiff::Timestamp;
use tokio_postgres::types::Json;

/// Writes entries: [`INSERT`] with [`Columns`], whose ids come from the table.
pub(super) const INSERT: &str = "INSERT INTO history (at, kind, object_id, record) \
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::jsonb[])";

/// The parameters of [`INSERT`]; entries without changes are left out.
pub(super) struct Columns<'a> {
    at: Vec<Timestamp>,
    kind: Vec<&'static str>,
    object_id: Vec<i64>,
    record: Vec<Json<&'a HistoryEntry>>,
}

impl<'a> Columns<'a> {
    pub(super) fn of(entries: &'a [HistoryEntry]) -> Columns<'a> {
        let entries: Vec<&HistoryEntry> = entries.iter().filter(|e| !e.changes.is_empty()).collect();
        Columns {
            at: entries.iter().map(|e| e.at).collect(),
            kind: entries.iter().map(|e| e.object.kind()).collect(),
            object_id: entries.iter().map(|e| e.object.id() as i64).collect(),
            record: entries.iter().map(|e| Json(*e)).collect(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    pub(super) fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 4] {
        [&self.at, &self.kind, &self.object_id, &self.record]
    }
}

/// Writes entries with one statement.
pub(super) async fn insert(tx: &Transaction<'_>, entries: &[HistoryEntry]) -> TxResult<()> {
    let columns = Columns::of(entries);
    if columns.is_empty() {
        return Ok(());
    }
    let statement = tx.prepare_cached(INSERT).await?;
    tx.execute(&statement, &columns.params()).await?;
    Ok(())
}

/// The history of an intake batch's new leads: by Roistat, from the intake.
pub(super) fn intake_entries(leads: &[crate::domain::Lead]) -> Vec<HistoryEntry> {
    let roistat = Actor { author: AUTHOR_ROISTAT.into(), origin: ORIGIN_INTAKE.into() };
    let at = Timestamp::now();
    leads.iter().map(|lead| lead_created_entry(lead, &roistat, at)).collect()
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
        let key = object.as_ref().and_then(|o| o.key());
        let before = filter.before_id.map(|id| id as i64);
        let rows = self
            .query(
                "SELECT id, record FROM history WHERE ($1::text IS NULL OR (kind = $1 AND object_id = $2)) \
                 AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::bigint IS NULL OR id < $4) \
                 AND ($6::text IS NULL OR kind = $6) AND ($7::text IS NULL OR record->>'author' = $7) \
                 AND ($8::text IS NULL OR record->'object'->>'Plan' = $8) \
                 ORDER BY id DESC LIMIT $5",
                &[
                    &kind,
                    &object_id,
                    &filter.since,
                    &before,
                    &(filter.limit as i64),
                    &filter.kind,
                    &filter.author,
                    &key,
                ],
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
