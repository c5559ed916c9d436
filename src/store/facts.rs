//! Daily facts keyed by (date, source, marker levels): a reload replaces, never adds.

use super::codec::{date_bytes, decode, encode};
use super::{Result, Store, StoreEvent};
use crate::domain::DailyFact;
use jiff::civil::Date;

pub(super) fn fact_key(fact: &DailyFact) -> Vec<u8> {
    let [a, b, c] = fact.key_levels();
    let mut key = Vec::with_capacity(12 + a.len() + b.len() + c.len() + 2);
    key.extend_from_slice(&date_bytes(fact.date));
    key.extend_from_slice(&fact.source_id.to_be_bytes());
    key.extend_from_slice(a.as_bytes());
    key.push(0x1f);
    key.extend_from_slice(b.as_bytes());
    key.push(0x1f);
    key.extend_from_slice(c.as_bytes());
    key
}

fn key_source(key: &[u8]) -> Option<u64> {
    key.get(4..12)?.try_into().ok().map(u64::from_be_bytes)
}

fn date_range(from: Date, to: Date) -> std::ops::RangeInclusive<Vec<u8>> {
    let start = date_bytes(from).to_vec();
    let mut end = date_bytes(to).to_vec();
    end.extend_from_slice(&[0xff; 13]);
    start..=end
}

impl Store {
    /// Replaces one source's facts for the days `from..=to` with `facts`, atomically: a failure
    /// leaves the period as it was, a reload never doubles a figure. Returns how many were written.
    pub fn replace_facts(&self, source_id: u64, from: Date, to: Date, facts: &[DailyFact]) -> Result<usize> {
        let guard = self.lock();
        let tree = &self.inner.t.facts;
        let mut batch = sled::Batch::default();
        for entry in tree.range(date_range(from, to)) {
            let (key, _) = entry?;
            if key_source(&key) == Some(source_id) {
                batch.remove(key);
            }
        }
        let mut written = 0;
        for fact in facts.iter().filter(|f| f.date >= from && f.date <= to) {
            let mut fact = fact.clone();
            fact.source_id = source_id;
            batch.insert(fact_key(&fact), encode(&fact)?);
            written += 1;
        }
        tree.apply_batch(batch)?;
        drop(guard);
        self.emit(StoreEvent::FactsChanged);
        Ok(written)
    }

    /// Facts of the days `from..=to`, by date.
    pub fn facts_between(&self, from: Date, to: Date) -> Result<Vec<DailyFact>> {
        let mut out = Vec::new();
        for entry in self.inner.t.facts.range(date_range(from, to)) {
            let (_, bytes) = entry?;
            out.push(decode("факта аналитики", &bytes)?);
        }
        Ok(out)
    }

    pub fn fact_count(&self) -> usize {
        self.inner.t.facts.len()
    }

    /// The first and the last day that have facts.
    pub fn fact_date_span(&self) -> Result<Option<(Date, Date)>> {
        let first = self.inner.t.facts.first()?;
        let last = self.inner.t.facts.last()?;
        match (first, last) {
            (Some((_, a)), Some((_, b))) => {
                let a: DailyFact = decode("факта аналитики", &a)?;
                let b: DailyFact = decode("факта аналитики", &b)?;
                Ok(Some((a.date, b.date)))
            }
            _ => Ok(None),
        }
    }
}
