//! «История изменений» on sled: entries by id in `history`, and `history_by_object` (the object's
//! kind, its id, the entry's id) for one lead's or one record's history. An entry is written in the
//! transaction of its change, or, for leads that come through the intake journal, in the journaled
//! batch, so a replay brings it back with the lead.

use super::codec::{decode, encode, id_key, key_id};
use super::{Result, SledStore, TxResult, abort, tx_next};
use crate::domain::{HistoryEntry, HistoryFilter, HistoryObject};
use sled::transaction::TransactionalTree;

/// The counter that gives entries their ids.
pub(super) const HISTORY_ID: &str = "history_id";

/// `kind 0x00 object-id` — the prefix of an object's entries in `history_by_object`.
fn object_prefix(object: &HistoryObject) -> Vec<u8> {
    let mut key = object.kind().as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&id_key(object.id()));
    key
}

fn object_key(entry: &HistoryEntry) -> Vec<u8> {
    let mut key = object_prefix(&entry.object);
    key.extend_from_slice(&id_key(entry.id));
    key
}

/// The history trees inside a transaction.
pub(super) struct HistoryTx<'a> {
    pub meta: &'a TransactionalTree,
    pub history: &'a TransactionalTree,
    pub by_object: &'a TransactionalTree,
}

impl HistoryTx<'_> {
    /// Writes `entry` with the next id; an entry without changes is not written.
    pub fn record(&self, mut entry: HistoryEntry) -> TxResult<()> {
        if entry.changes.is_empty() {
            return Ok(());
        }
        entry.id = tx_next(self.meta, HISTORY_ID)?;
        self.history.insert(&id_key(entry.id), encode(&entry).or_else(abort)?)?;
        self.by_object.insert(object_key(&entry), &[])?;
        Ok(())
    }
}

impl SledStore {
    /// Writes entries that already have their ids with plain inserts (the intake journal's way).
    pub(super) fn insert_history(&self, entries: &[HistoryEntry]) -> Result<()> {
        let t = &self.inner.t;
        for entry in entries {
            t.history_by_object.insert(object_key(entry), &[])?;
            t.history.insert(id_key(entry.id), encode(entry)?)?;
        }
        Ok(())
    }

    /// Entries matching `filter`, newest first, at most `filter.limit`.
    pub fn history(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>> {
        let t = &self.inner.t;
        let object = filter.lead.map(|id| HistoryObject::Lead { id, number: 0 }).or_else(|| filter.object.clone());
        let mut out = Vec::new();
        let mut take = |entry: HistoryEntry| -> bool {
            // Ids grow with time: past `since`, nothing older can match.
            if filter.since.is_some_and(|since| entry.at < since) {
                return false;
            }
            if filter.matches(&entry) {
                out.push(entry);
            }
            out.len() < filter.limit
        };
        if filter.limit == 0 {
            return Ok(Vec::new());
        }
        match object {
            Some(object) => {
                let prefix = object_prefix(&object);
                for item in t.history_by_object.scan_prefix(&prefix).rev() {
                    let (key, _) = item?;
                    let Some(id) = key.get(prefix.len()..).and_then(key_id) else { continue };
                    let Some(bytes) = t.history.get(id_key(id))? else { continue };
                    if !take(decode("истории изменений", &bytes)?) {
                        break;
                    }
                }
            }
            None => {
                let end = filter.before_id.map_or(u64::MAX, |id| id);
                for item in t.history.range(..id_key(end)).rev() {
                    let (_, bytes) = item?;
                    if !take(decode("истории изменений", &bytes)?) {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }
}
