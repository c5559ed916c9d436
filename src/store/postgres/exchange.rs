//! The exchange log on PostgreSQL, bounded like the embedded one: the newest entries are kept
//! within the entry and byte caps, older ones dropped in order.

use super::PgStore;
use super::feed::{Kind, record};
use crate::domain::{ExchangeEntry, ExchangeFilter};
use crate::store::{ExchangeScan, Result, StoreError};
use std::sync::atomic::Ordering;

impl PgStore {
    /// Appends entries in one transaction (ids after the newest), then drops the oldest above the caps.
    pub async fn log_exchanges(&self, entries: Vec<ExchangeEntry>) -> Result<Vec<u64>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let capacity = self.0.exchange_capacity.load(Ordering::SeqCst) as i64;
        let max_bytes = self.0.exchange_max_bytes.load(Ordering::SeqCst) as i64;
        transact!(self, |tx| {
            // One writer at a time takes the next ids.
            tx.execute("LOCK TABLE exchange_log IN SHARE ROW EXCLUSIVE MODE", &[]).await?;
            let before = ends(tx).await?;
            let (newest, mut total) = (before.newest, before.total);
            let insert = tx
                .prepare_cached(
                    "INSERT INTO exchange_log (id, bytes, bytes_before, record) \
                     SELECT id, bytes, before, record::jsonb FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], \
                     $4::text[]) AS t(id, bytes, before, record)",
                )
                .await?;
            let n = entries.len();
            let (mut ids, mut sizes, mut befores, mut records) =
                (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
            for (id, entry) in (newest + 1..).zip(&entries) {
                let mut entry = entry.clone().bounded();
                entry.id = id as u64;
                let record = serde_json::to_string(&entry)
                    .map_err(|e| StoreError::Invalid(format!("запись журнала обмена не сохранена: {e}")))?;
                let bytes = record.len() as i64;
                ids.push(id);
                sizes.push(bytes);
                befores.push(total);
                total += bytes;
                records.push(record);
            }
            tx.execute(&insert, &[&ids, &sizes, &befores, &records]).await?;
            let newest = ids.last().copied().unwrap_or(newest);
            let oldest = if before.newest == 0 { ids.first().copied().unwrap_or(0) } else { before.oldest };
            let after = Ends { newest, total, oldest, oldest_before: before.oldest_before };
            trim(tx, &after, capacity, max_bytes).await?;
            record(tx, Kind::Exchange, &[newest as u64]).await?;
            Ok(ids.into_iter().map(|id| id as u64).collect())
        })
    }

    pub async fn set_exchange_capacity(&self, capacity: usize) -> Result<()> {
        self.0.exchange_capacity.store(capacity.max(1), Ordering::SeqCst);
        self.trim_now().await
    }

    pub async fn set_exchange_max_bytes(&self, max_bytes: u64) -> Result<()> {
        let floor = crate::domain::limits::ENTRY as u64;
        self.0.exchange_max_bytes.store(max_bytes.max(floor), Ordering::SeqCst);
        self.trim_now().await
    }

    async fn trim_now(&self) -> Result<()> {
        // Who may not delete from the log leaves it to the service.
        if !self.rights().trim_exchange {
            return Ok(());
        }
        let capacity = self.0.exchange_capacity.load(Ordering::SeqCst) as i64;
        let max_bytes = self.0.exchange_max_bytes.load(Ordering::SeqCst) as i64;
        transact!(self, |tx| { trim(tx, &ends(tx).await?, capacity, max_bytes).await })
    }

    pub async fn exchange_bytes(&self) -> Result<u64> {
        let rows = self.query("SELECT coalesce(sum(bytes), 0)::bigint FROM exchange_log", &[]).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    pub async fn exchange_count(&self) -> Result<usize> {
        let rows = self.query("SELECT count(*) FROM exchange_log", &[]).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as usize))
    }

    async fn entries(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<ExchangeEntry>> {
        let rows = self.query(sql, params).await?;
        rows.iter().map(|r| super::record(r, 0)).collect()
    }

    pub async fn exchange_newest(&self, n: usize) -> Result<Vec<ExchangeEntry>> {
        self.entries("SELECT record FROM exchange_log ORDER BY id DESC LIMIT $1", &[&(n as i64)]).await
    }

    /// Entries above `after`, oldest first.
    pub async fn exchange_after(&self, after: u64) -> Result<Vec<ExchangeEntry>> {
        self.entries("SELECT record FROM exchange_log WHERE id > $1 ORDER BY id", &[&(after as i64)]).await
    }

    pub async fn exchange_page(&self, before_id: Option<u64>, limit: usize) -> Result<Vec<ExchangeEntry>> {
        let before = before_id.map_or(i64::MAX, |b| b as i64);
        self.entries(
            "SELECT record FROM exchange_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
            &[&before, &(limit as i64)],
        )
        .await
    }

    pub async fn exchange_scan(&self, filter: &ExchangeFilter) -> Result<ExchangeScan> {
        let filter = filter.prepared();
        let mut scan = ExchangeScan::default();
        let mut actions = std::collections::BTreeSet::new();
        for entry in self.entries("SELECT record FROM exchange_log ORDER BY id DESC", &[]).await? {
            scan.newest = scan.newest.max(entry.id);
            if !actions.contains(&entry.action) {
                actions.insert(entry.action.clone());
            }
            if filter.matches(&entry) {
                scan.ids.push(entry.id);
            }
        }
        scan.actions = actions.into_iter().collect();
        Ok(scan)
    }

    pub async fn exchange_get(&self, ids: &[u64]) -> Result<Vec<ExchangeEntry>> {
        let wanted: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
        let found = self.entries("SELECT record FROM exchange_log WHERE id = ANY($1)", &[&wanted]).await?;
        let mut by_id: std::collections::HashMap<u64, ExchangeEntry> = found.into_iter().map(|e| (e.id, e)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    pub async fn exchange_oldest_id(&self) -> Result<Option<u64>> {
        let rows = self.query("SELECT min(id) FROM exchange_log", &[]).await?;
        Ok(rows.first().and_then(|r| r.get::<_, Option<i64>>(0)).map(|i| i as u64))
    }
}

/// The ends of the log: the newest entry's id and the bytes of the whole log through it, and the
/// oldest entry's id and the bytes before it (all 0 when empty).
struct Ends {
    newest: i64,
    total: i64,
    oldest: i64,
    oldest_before: i64,
}

async fn ends(tx: &deadpool_postgres::Transaction<'_>) -> super::TxResult<Ends> {
    let statement = tx
        .prepare_cached(
            "SELECT n.id, n.bytes_before + n.bytes, o.id, o.bytes_before \
             FROM (SELECT id, bytes, bytes_before FROM exchange_log ORDER BY id DESC LIMIT 1) n, \
             (SELECT id, bytes_before FROM exchange_log ORDER BY id LIMIT 1) o",
        )
        .await?;
    Ok(tx.query_opt(&statement, &[]).await?.map_or(Ends { newest: 0, total: 0, oldest: 0, oldest_before: 0 }, |row| {
        Ends { newest: row.get(0), total: row.get(1), oldest: row.get(2), oldest_before: row.get(3) }
    }))
}

/// Drops the oldest entries beyond `capacity` entries or `max_bytes` bytes (newest counted first),
/// through index ranges and only when the log is over a cap: ids are consecutive (the log only
/// ever loses its oldest entries), and the entries kept are those with at most `max_bytes` bytes
/// from their start to the end.
async fn trim(
    tx: &deadpool_postgres::Transaction<'_>,
    ends: &Ends,
    capacity: i64,
    max_bytes: i64,
) -> super::TxResult<()> {
    let over_count = ends.newest - ends.oldest + 1 > capacity;
    let over_bytes = ends.total - ends.oldest_before > max_bytes;
    if ends.newest == 0 || !(over_count || over_bytes) {
        return Ok(());
    }
    let mut last = ends.newest - capacity;
    if over_bytes {
        let statement = tx
            .prepare_cached("SELECT id FROM exchange_log WHERE bytes_before < $1 ORDER BY bytes_before DESC LIMIT 1")
            .await?;
        if let Some(row) = tx.query_opt(&statement, &[&(ends.total - max_bytes)]).await? {
            last = last.max(row.get(0));
        }
    }
    let statement = tx.prepare_cached("DELETE FROM exchange_log WHERE id >= $1 AND id <= $2").await?;
    tx.execute(&statement, &[&ends.oldest, &last]).await?;
    Ok(())
}
