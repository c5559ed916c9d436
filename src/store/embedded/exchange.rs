//! The exchange log, bounded: the newest entries are kept, older ones dropped in order.

use super::codec::{decode, encode, id_key};
use super::{Result, SledStore, StoreEvent};
use crate::domain::ExchangeEntry;
use std::sync::atomic::Ordering;

/// Counts the entries of the log and the bytes they take.
pub(super) fn measure(tree: &sled::Tree) -> Result<(u64, u64)> {
    let (mut count, mut bytes) = (0u64, 0u64);
    for entry in tree.iter() {
        let (_, value) = entry?;
        count += 1;
        bytes += value.len() as u64;
    }
    Ok((count, bytes))
}

impl SledStore {
    #[cfg(test)]
    /// Appends an entry (it gets the next id) and drops the oldest above the capacity.
    pub fn log_exchange(&self, entry: ExchangeEntry) -> Result<u64> {
        let ids = self.log_exchanges(vec![entry])?;
        ids.last().copied().ok_or_else(|| super::StoreError::Invalid("запись журнала не добавлена".into()))
    }

    /// Appends entries in one batch (the service's log writer drains its queue into one call),
    /// then drops the oldest above the capacity. Returns the ids given, in order.
    pub fn log_exchanges(&self, entries: Vec<ExchangeEntry>) -> Result<Vec<u64>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let guard = self.exchange_lock();
        let tree = &self.inner.t.exchange;
        let first = match tree.last()? {
            Some((key, _)) => super::codec::key_id(&key).unwrap_or(0) + 1,
            None => 1,
        };
        // Plain inserts, not a sled batch: a batch writes sled's log buffer out synchronously, which
        // under load costs more than the request that is being logged.
        let mut ids = Vec::with_capacity(entries.len());
        let mut bytes = 0u64;
        for (id, entry) in (first..).zip(entries) {
            // Whoever made the entry, the store keeps it within its caps.
            let mut entry = entry.bounded();
            entry.id = id;
            let value = encode(&entry)?;
            bytes += value.len() as u64;
            tree.insert(id_key(id), value)?;
            ids.push(id);
        }
        self.inner.exchange_count.fetch_add(ids.len() as u64, Ordering::SeqCst);
        self.inner.exchange_bytes.fetch_add(bytes, Ordering::SeqCst);
        self.drop_oldest_locked()?;
        drop(guard);
        if let Some(last) = ids.last() {
            self.emit(StoreEvent::ExchangeLogged(*last));
        }
        Ok(ids)
    }

    /// Drops the oldest entries while the log holds more entries or bytes than it may.
    fn drop_oldest_locked(&self) -> Result<()> {
        let tree = &self.inner.t.exchange;
        let capacity = self.inner.exchange_capacity.load(Ordering::SeqCst) as u64;
        let max_bytes = self.inner.exchange_max_bytes.load(Ordering::SeqCst);
        while self.inner.exchange_count.load(Ordering::SeqCst) > capacity
            || self.inner.exchange_bytes.load(Ordering::SeqCst) > max_bytes
        {
            let Some((_, value)) = tree.pop_min()? else { break };
            self.inner.exchange_count.fetch_sub(1, Ordering::SeqCst);
            let len = value.len() as u64;
            let _ = self
                .inner
                .exchange_bytes
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| Some(b.saturating_sub(len)));
        }
        Ok(())
    }

    /// How many entries the log keeps (100,000 unless changed).
    pub fn set_exchange_capacity(&self, capacity: usize) -> Result<()> {
        self.inner.exchange_capacity.store(capacity.max(1), Ordering::SeqCst);
        let _guard = self.exchange_lock();
        self.drop_oldest_locked()
    }

    /// How many bytes of entries the log keeps at most (the service setting; at least one entry's cap).
    pub fn set_exchange_max_bytes(&self, max_bytes: u64) -> Result<()> {
        let floor = crate::domain::limits::ENTRY as u64;
        self.inner.exchange_max_bytes.store(max_bytes.max(floor), Ordering::SeqCst);
        let _guard = self.exchange_lock();
        self.drop_oldest_locked()
    }

    /// Bytes the kept entries take, encoded.
    pub fn exchange_bytes(&self) -> u64 {
        self.inner.exchange_bytes.load(Ordering::SeqCst)
    }

    /// The newest `n` entries, newest first.
    pub fn exchange_newest(&self, n: usize) -> Result<Vec<ExchangeEntry>> {
        let mut out = Vec::with_capacity(n.min(1024));
        for entry in self.inner.t.exchange.iter().rev().take(n) {
            let (_, bytes) = entry?;
            out.push(decode("журнала обмена", &bytes)?);
        }
        Ok(out)
    }

    /// Entries with ids above `after`, oldest first (live refresh).
    pub fn exchange_after(&self, after: u64) -> Result<Vec<ExchangeEntry>> {
        let mut out = Vec::new();
        for entry in self.inner.t.exchange.range(id_key(after.saturating_add(1))..) {
            let (_, bytes) = entry?;
            out.push(decode("журнала обмена", &bytes)?);
        }
        Ok(out)
    }

    pub fn exchange_count(&self) -> usize {
        self.inner.exchange_count.load(Ordering::SeqCst) as usize
    }
}

use crate::domain::ExchangeFilter;

/// One pass over the whole log for the exchange log screen's filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExchangeScan {
    /// Ids of the entries the filter lets through, newest first.
    pub ids: Vec<u64>,
    /// Every action found in the log, sorted, for the action filter's list.
    pub actions: Vec<String>,
    /// The newest id the pass saw; entries above it arrived later ([`SledStore::exchange_after`]).
    pub newest: u64,
}

impl SledStore {
    /// A page of the log, newest first: up to `limit` entries with ids below `before_id`, or
    /// from the newest when it is `None`. Passing the last id of a page as the next `before_id`
    /// walks the whole log, each entry once.
    pub fn exchange_page(&self, before_id: Option<u64>, limit: usize) -> Result<Vec<ExchangeEntry>> {
        let tree = &self.inner.t.exchange;
        let entries = match before_id {
            Some(id) => tree.range(..id_key(id)),
            None => tree.iter(),
        };
        let mut out = Vec::with_capacity(limit.min(1024));
        for entry in entries.rev().take(limit) {
            let (_, bytes) = entry?;
            out.push(decode("журнала обмена", &bytes)?);
        }
        Ok(out)
    }

    /// Walks the whole log, newest first, and keeps the ids of the entries `filter` lets through.
    /// Reads and decodes every entry (about a second for 100,000): call it off the UI thread.
    pub fn exchange_scan(&self, filter: &ExchangeFilter) -> Result<ExchangeScan> {
        let filter = filter.prepared();
        let mut scan = ExchangeScan::default();
        let mut actions = std::collections::BTreeSet::new();
        for entry in self.inner.t.exchange.iter().rev() {
            let (_, bytes) = entry?;
            let entry: ExchangeEntry = decode("журнала обмена", &bytes)?;
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

    /// The entries with these ids, in the order given; ids the log no longer keeps are left out.
    pub fn exchange_get(&self, ids: &[u64]) -> Result<Vec<ExchangeEntry>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(bytes) = self.inner.t.exchange.get(id_key(*id))? {
                out.push(decode("журнала обмена", &bytes)?);
            }
        }
        Ok(out)
    }

    /// The id of the oldest entry still kept; older ones were dropped above the capacity.
    pub fn exchange_oldest_id(&self) -> Result<Option<u64>> {
        Ok(self.inner.t.exchange.first()?.and_then(|(key, _)| super::codec::key_id(&key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Outcome;

    fn entry(i: u64) -> ExchangeEntry {
        ExchangeEntry {
            id: 0,
            at: jiff::Timestamp::from_second(1_700_000_000 + i as i64).unwrap(),
            remote: "127.0.0.1".into(),
            action: if i.is_multiple_of(3) { "export".into() } else { "lead".into() },
            outcome: if i.is_multiple_of(10) { Outcome::Error } else { Outcome::Ok },
            http_status: 200,
            duration_micros: i,
            error: String::new(),
            params: vec![("n".into(), i.to_string())],
            answer: String::new(),
            request_bytes: 0,
        }
    }

    #[test]
    fn pages_walk_the_whole_log_newest_first_without_overlap_or_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        store.set_exchange_capacity(1_000).unwrap();
        // 1,234 written, 1,000 kept: ids 235..=1234.
        for i in 1..=1_234 {
            store.log_exchange(entry(i)).unwrap();
        }
        assert_eq!(store.exchange_oldest_id().unwrap(), Some(235));
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = store.exchange_page(before, 300).unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 300);
            before = page.last().map(|e| e.id);
            seen.extend(page.iter().map(|e| e.id));
        }
        let expected: Vec<u64> = (235..=1_234).rev().collect();
        assert_eq!(seen, expected, "every kept entry once, newest first");
        assert_eq!(
            store.exchange_page(Some(240), 100).unwrap().iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![239, 238, 237, 236, 235]
        );
        assert!(store.exchange_page(Some(235), 10).unwrap().is_empty());
        assert_eq!(store.exchange_page(None, 1).unwrap()[0].id, 1_234);
        // The entry's content comes back, not only its id.
        assert_eq!(store.exchange_page(Some(1_000), 1).unwrap()[0].duration_micros, 999);
    }

    #[test]
    fn the_log_keeps_within_its_byte_cap_dropping_the_oldest_and_says_so_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let mut settings = store.service_settings().unwrap();
        settings.exchange_log_max_bytes = 200_000;
        store.put_service_settings(&settings, &crate::domain::Actor::default()).unwrap();
        let big = |i: u64| ExchangeEntry { params: vec![("x".repeat(1_000_000), "y".repeat(1_000_000))], ..entry(i) };
        for i in 1..=100 {
            store.log_exchange(big(i)).unwrap();
            assert!(store.exchange_bytes() <= 200_000, "after {i}: {}", store.exchange_bytes());
        }
        let kept = store.exchange_count();
        assert!(kept > 5 && kept < 100, "{kept} entries kept");
        assert_eq!(store.exchange_oldest_id().unwrap(), Some(100 - kept as u64 + 1), "the oldest went first");
        assert_eq!(store.exchange_newest(1).unwrap()[0].id, 100);
        let bytes = store.exchange_bytes();
        drop(store);
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!((store.exchange_count(), store.exchange_bytes()), (kept, bytes));
        // A smaller cap takes effect at once.
        let mut settings = store.service_settings().unwrap();
        settings.exchange_log_max_bytes = 50_000;
        store.put_service_settings(&settings, &crate::domain::Actor::default()).unwrap();
        assert!(store.exchange_bytes() <= 50_000 && store.exchange_count() < kept);
    }

    #[test]
    fn the_scan_filters_the_whole_log_and_lists_its_actions() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        for i in 1..=100 {
            store.log_exchange(entry(i)).unwrap();
        }
        let all = store.exchange_scan(&ExchangeFilter::default()).unwrap();
        assert_eq!(all.ids, (1..=100).rev().collect::<Vec<_>>());
        assert_eq!(all.actions, vec!["export".to_string(), "lead".to_string()]);
        assert_eq!(all.newest, 100);
        let errors =
            ExchangeFilter { outcome: Some(Outcome::Error), action: Some("export".into()), ..Default::default() };
        assert_eq!(store.exchange_scan(&errors).unwrap().ids, vec![90, 60, 30]);
        let text = ExchangeFilter { text: "77".into(), ..Default::default() };
        assert_eq!(store.exchange_scan(&text).unwrap().ids, vec![77]);
        let got: Vec<u64> = store.exchange_get(&[90, 5000, 3]).unwrap().iter().map(|e| e.id).collect();
        assert_eq!(got, vec![90, 3], "missing ids are left out, the order is kept");
    }
}
