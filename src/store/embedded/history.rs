//! «История изменений» on sled: entries by id in `history`, and `history_by_object` (the object's
//! kind, its id, the entry's id) for one lead's or one record's history. An entry is written in the
//! transaction of its change, or, for leads that come through the intake journal, in the journaled
//! batch, so a replay brings it back with the lead.
//!
//! A value of `history` is one entry (a JSON object) under its id, or up to 16 consecutive entries
//! of a journaled batch (a JSON array) under the first one's id: one insert for 16 new leads
//! instead of one per lead, which is a tenth of intake's sled work. So an entry is found under
//! the greatest key not above its id.

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

/// A group holds at most this many entries and about this many bytes: sled rewrites a node (up
/// to 17 values) whole, and one over 128 KiB goes to a file of its own.
const GROUP_ENTRIES: u64 = 16;
const GROUP_BYTES: usize = 4096;

/// `[e1,e2,…` closed.
fn close_group(mut group: Vec<u8>) -> Vec<u8> {
    group.push(b']');
    group
}

/// The entries of one value of `history`: an entry, or a batch's group of them.
fn decode_group(bytes: &[u8]) -> Result<Vec<HistoryEntry>> {
    if bytes.first() == Some(&b'[') {
        decode("истории изменений", bytes)
    } else {
        Ok(vec![decode("истории изменений", bytes)?])
    }
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
    /// Consecutive entries are written in groups (their ids must be consecutive, as a batch takes
    /// them from the counter). A `replay` first removes the entries an older version wrote one by
    /// one before a crash, so that none is listed twice.
    pub(super) fn insert_history(&self, entries: &[HistoryEntry], replay: bool) -> Result<()> {
        let t = &self.inner.t;
        debug_assert!(entries.windows(2).all(|w| w[1].id == w[0].id + 1), "a group's ids are consecutive");
        let mut group: Vec<u8> = Vec::new();
        let mut first = None;
        for entry in entries {
            t.history_by_object.insert(object_key(entry), &[])?;
            let encoded = encode(entry)?;
            if let Some(id) = first
                && (group.len() + encoded.len() > GROUP_BYTES || entry.id - id >= GROUP_ENTRIES)
            {
                t.history.insert(id_key(id), close_group(std::mem::take(&mut group)))?;
                first = None;
            }
            if first.is_none() {
                first = Some(entry.id);
                group.push(b'[');
            } else {
                if replay {
                    t.history.remove(id_key(entry.id))?;
                }
                group.push(b',');
            }
            group.extend_from_slice(&encoded);
        }
        if let Some(id) = first {
            t.history.insert(id_key(id), close_group(group))?;
        }
        Ok(())
    }

    /// The entry with `id`, from its own value or its group's.
    fn history_entry(&self, id: u64) -> Result<Option<HistoryEntry>> {
        let Some(item) = self.inner.t.history.range(..=id_key(id)).next_back() else { return Ok(None) };
        let (_, bytes) = item?;
        Ok(decode_group(&bytes)?.into_iter().find(|entry| entry.id == id))
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
                    let Some(entry) = self.history_entry(id)? else { continue };
                    if !take(entry) {
                        break;
                    }
                }
            }
            None => {
                let below = filter.before_id.unwrap_or(u64::MAX);
                'values: for item in t.history.range(..id_key(below)).rev() {
                    let (_, bytes) = item?;
                    // A group that starts below `before_id` may go past it.
                    for entry in decode_group(&bytes)?.into_iter().rev().filter(|entry| entry.id < below) {
                        if !take(entry) {
                            break 'values;
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, Lead, lead_created_entry};

    fn created(id: u64) -> HistoryEntry {
        let lead = Lead { id: id * 10, number: id * 10, ..Lead::default() };
        HistoryEntry { id, ..lead_created_entry(&lead, &Actor::default(), jiff::Timestamp::now()) }
    }

    #[test]
    fn a_group_written_over_an_older_versions_single_entries_lists_each_entry_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open");
        // An older version wrote a batch entry by entry, then crashed; the replay writes the group.
        for id in 2..=3 {
            store.insert_history(&[created(id)], false).expect("single");
        }
        store.insert_history(&(1..=4).map(created).collect::<Vec<_>>(), true).expect("group");
        store.insert_history(&[created(5)], false).expect("single");
        assert_eq!(store.inner.t.history.len(), 2, "the group and the entry after it");
        let ids = |filter: HistoryFilter| -> Vec<u64> {
            store.history(&filter).expect("history").iter().map(|e| e.id).collect()
        };
        assert_eq!(ids(HistoryFilter::default()), vec![5, 4, 3, 2, 1]);
        assert_eq!(ids(HistoryFilter { before_id: Some(4), ..Default::default() }), vec![3, 2, 1]);
        assert_eq!(ids(HistoryFilter { before_id: Some(5), limit: 2, ..Default::default() }), vec![4, 3]);
        let of_lead = HistoryFilter { lead: Some(30), ..Default::default() };
        assert_eq!(ids(of_lead), vec![3]);
    }

    #[test]
    fn a_big_batch_is_written_in_groups_of_sixteen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open");
        store.insert_history(&(1..=40).map(created).collect::<Vec<_>>(), false).expect("groups");
        let keys: Vec<u64> =
            store.inner.t.history.iter().keys().map(|k| key_id(&k.expect("key")).expect("id")).collect();
        assert_eq!(keys, vec![1, 17, 33]);
        let all = store.history(&HistoryFilter { limit: 100, ..Default::default() }).expect("history");
        assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), (1..=40).rev().collect::<Vec<_>>());
        for id in [1, 16, 17, 32, 33, 40] {
            let of_lead = store.history(&HistoryFilter { lead: Some(id * 10), ..Default::default() }).expect("lead");
            assert_eq!(of_lead.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id]);
        }
    }
}
