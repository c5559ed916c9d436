//! The exchange log, bounded: the newest entries are kept, older ones dropped in order.

use super::codec::{decode, encode, id_key};
use super::{Result, Store, StoreEvent};
use crate::domain::ExchangeEntry;
use std::sync::atomic::Ordering;

pub(super) const DEFAULT_CAPACITY: usize = 100_000;

impl Store {
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
        let guard = self.lock();
        let tree = &self.inner.t.exchange;
        let first = match tree.last()? {
            Some((key, _)) => super::codec::key_id(&key).unwrap_or(0) + 1,
            None => 1,
        };
        let mut batch = sled::Batch::default();
        let mut ids = Vec::with_capacity(entries.len());
        for (id, mut entry) in (first..).zip(entries) {
            entry.id = id;
            batch.insert(&id_key(id), encode(&entry)?);
            ids.push(id);
        }
        tree.apply_batch(batch)?;
        let added = ids.len() as u64;
        let mut count = self.inner.exchange_count.fetch_add(added, Ordering::SeqCst) + added;
        let capacity = self.inner.exchange_capacity.load(Ordering::SeqCst) as u64;
        while count > capacity {
            if tree.pop_min()?.is_none() {
                break;
            }
            count = self.inner.exchange_count.fetch_sub(1, Ordering::SeqCst) - 1;
        }
        drop(guard);
        if let Some(last) = ids.last() {
            self.emit(StoreEvent::ExchangeLogged(*last));
        }
        Ok(ids)
    }

    /// How many entries the log keeps (100,000 unless changed).
    pub fn set_exchange_capacity(&self, capacity: usize) {
        self.inner.exchange_capacity.store(capacity.max(1), Ordering::SeqCst);
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
