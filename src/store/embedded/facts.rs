//! Daily facts: one record per (day, source) holding that day's facts of the source, packed in
//! binary, with the marker levels interned into ids (tree `fact_markers`).
//!
//! Two years of 1,000 marker paths are 730 records of ~15 KB instead of 730,000 JSON records of
//! ~260 bytes: a load writes a few hundred records, the dashboard reads a few dozen, the store stays
//! small. A reload replaces whole days of its source, so a figure is never doubled. Within a record
//! facts are sorted by their marker levels, so reads come out in (date, source, levels) order, the
//! order of the keys before this format.

use super::codec::{bytes_date, date_bytes};
use super::{Result, SledStore, StoreError, StoreEvent, Trees};
use crate::domain::{DailyFact, Level, MarkerPath, Money};
use crate::report::{Periods, ReportSums};
use jiff::civil::Date;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Date (4 bytes) and source id (8 bytes).
const DAY_KEY_LEN: usize = 12;
/// First byte of every record, so a later encoding can be told from this one.
const DAY_FORMAT: u8 = 1;
const MARKER_FORMAT: u8 = 1;
const WHAT: &str = "факта аналитики";

fn day_key(date: Date, source_id: u64) -> [u8; DAY_KEY_LEN] {
    let mut key = [0u8; DAY_KEY_LEN];
    key[..4].copy_from_slice(&date_bytes(date));
    key[4..].copy_from_slice(&source_id.to_be_bytes());
    key
}

fn key_parts(key: &[u8]) -> Result<(Date, u64)> {
    let corrupt = || corrupt(format!("ключ записи длиной {} байт", key.len()));
    if key.len() != DAY_KEY_LEN {
        return Err(corrupt());
    }
    let date = key[..4].try_into().ok().and_then(bytes_date).ok_or_else(corrupt)?;
    let source = key[4..].try_into().map(u64::from_be_bytes).map_err(|_| corrupt())?;
    Ok((date, source))
}

fn date_range(from: Date, to: Date) -> std::ops::RangeInclusive<Vec<u8>> {
    date_bytes(from).to_vec()..=day_key(to, u64::MAX).to_vec()
}

fn corrupt(reason: String) -> StoreError {
    StoreError::Corrupt { what: WHAT.into(), reason }
}

// ---- the binary encoding ----

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Reads what the `put_*` functions wrote; `None` at the end of the bytes or on a malformed value.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    fn text(&mut self) -> Option<String> {
        let len = usize::try_from(self.varint()?).ok()?;
        if len > self.bytes.len() {
            return None;
        }
        let (text, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        String::from_utf8(text.to_vec()).ok()
    }
}

// Which figures follow a fact's marker id: zeros (frequent: no cost, no calls) take no bytes.
const VISITS: u8 = 1;
const LEADS: u8 = 2;
const SALES: u8 = 4;
const CALLS: u8 = 8;
const REVENUE: u8 = 16;
const COST: u8 = 32;

fn encode_day(entries: &[(u32, &DailyFact)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + entries.len() * 16);
    out.push(DAY_FORMAT);
    put_varint(&mut out, entries.len() as u64);
    for (id, f) in entries {
        put_varint(&mut out, u64::from(*id));
        let figures = [
            (VISITS, f.visits),
            (LEADS, f.leads),
            (SALES, f.sales),
            (CALLS, f.calls),
            (REVENUE, zigzag(f.revenue.kopecks())),
            (COST, zigzag(f.cost.kopecks())),
        ];
        out.push(figures.iter().filter(|(_, v)| *v != 0).fold(0, |flags, (bit, _)| flags | bit));
        for (_, v) in figures.into_iter().filter(|(_, v)| *v != 0) {
            put_varint(&mut out, v);
        }
    }
    out
}

/// How many facts a day record holds, without decoding them.
fn day_len(bytes: &[u8]) -> Option<usize> {
    let mut r = Reader { bytes };
    if r.byte()? != DAY_FORMAT {
        return None;
    }
    usize::try_from(r.varint()?).ok()
}

fn decode_day(key: &[u8], bytes: &[u8], markers: &MarkerTable, out: &mut Vec<DailyFact>) -> Result<()> {
    let (date, source_id) = key_parts(key)?;
    let bad = || corrupt(format!("запись за {date} (источник №{source_id}) повреждена"));
    let mut r = Reader { bytes };
    match r.byte() {
        Some(DAY_FORMAT) => {}
        Some(other) => return Err(corrupt(format!("неизвестный формат записи {other}: обновите skvoz"))),
        None => return Err(bad()),
    }
    let n = r.varint().ok_or_else(bad)?;
    // Every fact takes at least two bytes: a bound on garbage before reserving memory.
    out.reserve(usize::try_from(n).unwrap_or(0).min(bytes.len() / 2));
    for _ in 0..n {
        let id = r.varint().and_then(|id| u32::try_from(id).ok()).ok_or_else(bad)?;
        let levels = markers.get(id).ok_or_else(|| corrupt(format!("нет маркера №{id} (запись за {date})")))?;
        let flags = r.byte().ok_or_else(bad)?;
        let mut figure = |bit: u8| if flags & bit == 0 { Some(0) } else { r.varint() };
        let mut f = DailyFact::new(date, levels.as_ref().clone());
        f.analytics_source_id = source_id;
        f.visits = figure(VISITS).ok_or_else(bad)?;
        f.leads = figure(LEADS).ok_or_else(bad)?;
        f.sales = figure(SALES).ok_or_else(bad)?;
        f.calls = figure(CALLS).ok_or_else(bad)?;
        f.revenue = Money(unzigzag(figure(REVENUE).ok_or_else(bad)?));
        f.cost = Money(unzigzag(figure(COST).ok_or_else(bad)?));
        out.push(f);
    }
    if !r.bytes.is_empty() {
        return Err(bad());
    }
    Ok(())
}

fn encode_marker(levels: &MarkerPath) -> Vec<u8> {
    let mut out = vec![MARKER_FORMAT];
    for level in levels.levels() {
        put_text(&mut out, &level.value);
        put_text(&mut out, &level.title);
    }
    out
}

fn decode_marker(bytes: &[u8]) -> Option<MarkerPath> {
    let mut r = Reader { bytes };
    if r.byte()? != MARKER_FORMAT {
        return None;
    }
    let mut level = || Some(Level { value: r.text()?, title: r.text()? });
    let levels = MarkerPath::new(level()?, level()?, level()?);
    r.bytes.is_empty().then_some(levels)
}

// ---- interned marker levels ----

/// The marker paths (values and titles) facts refer to by id; a copy of `fact_markers` in memory.
/// Ids are never reused; a path no fact uses any more stays (a few bytes) until a restore.
#[derive(Default)]
pub(super) struct MarkerTable {
    by_id: Vec<Option<Arc<MarkerPath>>>,
    ids: HashMap<Arc<MarkerPath>, u32>,
}

impl MarkerTable {
    fn load(tree: &sled::Tree) -> Result<MarkerTable> {
        let mut table = MarkerTable::default();
        for entry in tree.iter() {
            let (key, bytes) = entry?;
            let id = key.as_ref().try_into().map(u32::from_be_bytes);
            match (id, decode_marker(&bytes)) {
                (Ok(id), Some(levels)) => table.add(id, levels),
                _ => {
                    let reason = format!("запись маркера с ключом {:02x?} не читается", key.as_ref());
                    return Err(StoreError::Corrupt {
                        what: "маркера фактов аналитики".into(), reason
                    });
                }
            }
        }
        Ok(table)
    }

    fn get(&self, id: u32) -> Option<&Arc<MarkerPath>> {
        self.by_id.get(id as usize)?.as_ref()
    }

    fn add(&mut self, id: u32, levels: MarkerPath) {
        let levels = Arc::new(levels);
        let slot = id as usize;
        if self.by_id.len() <= slot {
            self.by_id.resize(slot + 1, None);
        }
        self.by_id[slot] = Some(levels.clone());
        self.ids.insert(levels, id);
    }

    /// The ids of `facts`' marker paths; new paths are written to `tree` first, so a stored
    /// fact never refers to a missing one.
    fn intern(&mut self, tree: &sled::Tree, facts: &[&DailyFact]) -> Result<Vec<u32>> {
        let mut new = sled::Batch::default();
        let mut added = Vec::new();
        let mut next = self.by_id.len();
        let mut ids = Vec::with_capacity(facts.len());
        let mut pending: HashMap<&MarkerPath, u32> = HashMap::new();
        for f in facts {
            let id = match self.ids.get(&f.path).or_else(|| pending.get(&f.path)) {
                Some(id) => *id,
                None => {
                    let id = u32::try_from(next).map_err(|_| StoreError::Invalid("слишком много маркеров".into()))?;
                    next += 1;
                    new.insert(&id.to_be_bytes(), encode_marker(&f.path));
                    pending.insert(&f.path, id);
                    added.push((id, &f.path));
                    id
                }
            };
            ids.push(id);
        }
        if !added.is_empty() {
            tree.apply_batch(new)?;
            for (id, levels) in added {
                self.add(id, levels.clone());
            }
        }
        Ok(ids)
    }
}

/// The marker table shared by the store's handles.
pub(super) struct Markers(RwLock<MarkerTable>);

impl Markers {
    pub(super) fn load(t: &Trees) -> Result<Markers> {
        Ok(Markers(RwLock::new(MarkerTable::load(&t.fact_markers)?)))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, MarkerTable> {
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, MarkerTable> {
        self.0.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// `facts` within `from..=to`, by date and marker levels; of facts with the same date and level
/// values the last one wins, as when each fact had its own key.
fn by_day(facts: &[DailyFact], from: Date, to: Date) -> Vec<&DailyFact> {
    let mut sorted: Vec<&DailyFact> = facts.iter().filter(|f| f.date >= from && f.date <= to).collect();
    sorted.sort_by(|a, b| (a.date, a.key_levels()).cmp(&(b.date, b.key_levels())));
    let mut out: Vec<&DailyFact> = Vec::with_capacity(sorted.len());
    for f in sorted {
        match out.last_mut() {
            Some(last) if last.date == f.date && last.key_levels() == f.key_levels() => *last = f,
            _ => out.push(f),
        }
    }
    out
}

/// Writes one source's days `from..=to` (replacing what was there) in one atomic batch. The caller
/// holds the write lock. Returns how many facts were stored.
fn write_days(
    t: &Trees,
    markers: &mut MarkerTable,
    source_id: u64,
    from: Date,
    to: Date,
    facts: &[DailyFact],
) -> Result<usize> {
    let facts = by_day(facts, from, to);
    let ids = markers.intern(&t.fact_markers, &facts)?;
    let mut batch = sled::Batch::default();
    for entry in t.facts.range(date_range(from, to)) {
        let (key, _) = entry?;
        if key_parts(&key)?.1 == source_id {
            batch.remove(key);
        }
    }
    let entries: Vec<(u32, &DailyFact)> = ids.into_iter().zip(facts.iter().copied()).collect();
    for day in entries.chunk_by(|a, b| a.1.date == b.1.date) {
        batch.insert(&day_key(day[0].1.date, source_id), encode_day(day));
    }
    t.facts.apply_batch(batch)?;
    Ok(entries.len())
}

impl SledStore {
    /// Replaces one source's facts for the days `from..=to` with `facts`, atomically: a failure
    /// leaves the period as it was, a reload never doubles a figure. Returns how many were written.
    pub fn replace_facts(&self, source_id: u64, from: Date, to: Date, facts: &[DailyFact]) -> Result<usize> {
        let guard = self.lock();
        let written = write_days(&self.inner.t, &mut self.inner.markers.write(), source_id, from, to, facts)?;
        drop(guard);
        self.emit(StoreEvent::FactsChanged);
        Ok(written)
    }

    /// Facts of the days `from..=to`, by date, source and marker levels.
    pub fn facts_between(&self, from: Date, to: Date) -> Result<Vec<DailyFact>> {
        let markers = self.inner.markers.read();
        let mut out = Vec::new();
        for entry in self.inner.t.facts.range(date_range(from, to)) {
            let (key, bytes) = entry?;
            decode_day(&key, &bytes, &markers, &mut out)?;
        }
        Ok(out)
    }

    /// The report's sums from the facts of both periods (each day read once where they overlap).
    pub fn report_sums(&self, periods: &Periods) -> Result<ReportSums> {
        let (first, second) = if periods.previous_to < periods.from {
            ((periods.previous_from, periods.previous_to), (periods.from, periods.to))
        } else if periods.to < periods.previous_from {
            ((periods.from, periods.to), (periods.previous_from, periods.previous_to))
        } else {
            let span = (periods.from.min(periods.previous_from), periods.to.max(periods.previous_to));
            (span, span)
        };
        let mut facts = self.facts_between(first.0, first.1)?;
        if second != first {
            facts.extend(self.facts_between(second.0, second.1)?);
        }
        crate::report::sums(&facts, periods).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Calls `each` with every stored fact, a day at a time (for the backup: never all in memory).
    pub(super) fn for_each_fact(&self, mut each: impl FnMut(DailyFact) -> Result<()>) -> Result<()> {
        let markers = self.inner.markers.read();
        let mut day = Vec::new();
        for entry in self.inner.t.facts.iter() {
            let (key, bytes) = entry?;
            decode_day(&key, &bytes, &markers, &mut day)?;
            day.drain(..).try_for_each(&mut each)?;
        }
        Ok(())
    }

    /// Empties the facts and their markers; the caller holds the write lock (restore).
    pub(super) fn clear_facts_locked(&self) -> Result<()> {
        self.inner.t.facts.clear()?;
        self.inner.t.fact_markers.clear()?;
        *self.inner.markers.write() = MarkerTable::default();
        Ok(())
    }

    /// Stores restored facts into an emptied store; the caller holds the write lock.
    pub(super) fn restore_facts_locked(&self, mut facts: Vec<DailyFact>) -> Result<()> {
        facts.sort_by_key(|f| f.analytics_source_id);
        let mut markers = self.inner.markers.write();
        for source in facts.chunk_by(|a, b| a.analytics_source_id == b.analytics_source_id) {
            let from = source.iter().map(|f| f.date).min();
            let to = source.iter().map(|f| f.date).max();
            if let (Some(from), Some(to)) = (from, to) {
                write_days(&self.inner.t, &mut markers, source[0].analytics_source_id, from, to, source)?;
            }
        }
        Ok(())
    }

    /// How many facts are stored; reads one small header per day and source.
    /// Every marker path facts have referred to (channel, source, campaign with titles), from
    /// memory: cheap enough for the window to call when the template wizard opens.
    pub fn fact_markers(&self) -> Vec<MarkerPath> {
        self.inner.markers.read().by_id.iter().flatten().map(|t| (**t).clone()).collect()
    }

    pub fn fact_count(&self) -> usize {
        self.inner.t.facts.iter().values().filter_map(|v| v.ok().and_then(|v| day_len(&v))).sum()
    }

    /// The first and the last day that have facts.
    pub fn fact_date_span(&self) -> Result<Option<(Date, Date)>> {
        let first = self.inner.t.facts.first()?;
        let last = self.inner.t.facts.last()?;
        match (first, last) {
            (Some((a, _)), Some((b, _))) => Ok(Some((key_parts(&a)?.0, key_parts(&b)?.0))),
            _ => Ok(None),
        }
    }
}

/// Schema 2 → 3: facts were one JSON record each, keyed by date, source and the level values
/// joined by 0x1f. Converts one (date, source) group per atomic batch, so an interrupted migration
/// resumes where it stopped (converted groups have 12-byte keys and are skipped).
pub(super) fn migrate_json_facts(tree: &sled::Tree, marker_tree: &sled::Tree) -> Result<()> {
    let mut markers = MarkerTable::load(marker_tree)?;
    let mut cursor: Vec<u8> = Vec::new();
    loop {
        let mut group: Vec<(sled::IVec, DailyFact)> = Vec::new();
        for entry in tree.range(cursor.clone()..) {
            let (key, bytes) = entry?;
            if key.len() <= DAY_KEY_LEN {
                continue;
            }
            if group.first().is_some_and(|(first, _)| first[..DAY_KEY_LEN] != key[..DAY_KEY_LEN]) {
                break;
            }
            let fact: DailyFact = serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Corrupt {
                    what: "факта аналитики (схема 2)".into(), reason: e.to_string()
                })?;
            group.push((key, fact));
        }
        let Some((last_key, _)) = group.last() else { break };
        cursor = last_key.to_vec();
        cursor.push(0);
        let (date, source_id) = key_parts(&group[0].0[..DAY_KEY_LEN])?;
        let facts: Vec<DailyFact> =
            group.iter().map(|(_, f)| DailyFact { analytics_source_id: source_id, ..f.clone() }).collect();
        let sorted = by_day(&facts, date, date);
        let ids = markers.intern(marker_tree, &sorted)?;
        let entries: Vec<(u32, &DailyFact)> = ids.into_iter().zip(sorted).collect();
        let mut batch = sled::Batch::default();
        for (key, _) in &group {
            batch.remove(key.clone());
        }
        batch.insert(&day_key(date, source_id), encode_day(&entries));
        tree.apply_batch(batch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(day: i8, levels: [&str; 3], visits: u64, cost: i64) -> DailyFact {
        DailyFact {
            visits,
            leads: visits / 10,
            cost: Money(cost),
            revenue: Money(-cost),
            ..DailyFact::new(Date::constant(2026, 11, day), levels.map(|v| Level::new(v, format!("«{v}»"))))
        }
    }

    #[test]
    fn varints_and_zigzag_round_trip() {
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(Reader { bytes: &out }.varint(), Some(v));
        }
        for v in [0, 1, -1, 12_345, -12_345, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(Reader { bytes: &[0x80, 0x80] }.varint(), None, "a cut varint is refused");
    }

    #[test]
    fn a_day_round_trips_in_level_order_and_the_last_duplicate_wins() {
        let facts = vec![
            fact(2, ["seo", "yandex", ""], 5, 0),
            fact(2, ["direct", "brand", "ad1"], 10, 12_345),
            fact(2, ["seo", "yandex", ""], 7, 100),
            fact(3, ["direct", "brand", "ad1"], 0, 0),
        ];
        let day = by_day(&facts, Date::constant(2026, 11, 2), Date::constant(2026, 11, 2));
        assert_eq!(day, vec![&facts[1], &facts[2]]);
        let mut table = MarkerTable::default();
        let tree = sled::Config::new().temporary(true).open().unwrap().open_tree("m").unwrap();
        let ids = table.intern(&tree, &day).unwrap();
        assert_eq!(ids, vec![0, 1]);
        let bytes = encode_day(&ids.iter().copied().zip(day.iter().copied()).collect::<Vec<_>>());
        assert_eq!(day_len(&bytes), Some(2));
        let mut out = Vec::new();
        decode_day(&day_key(Date::constant(2026, 11, 2), 9), &bytes, &table, &mut out).unwrap();
        let expected: Vec<DailyFact> =
            day.iter().map(|f| DailyFact { analytics_source_id: 9, ..(*f).clone() }).collect();
        assert_eq!(out, expected);
        // The table reads back from its tree as it was written.
        let loaded = MarkerTable::load(&tree).unwrap();
        assert_eq!(loaded.get(1), table.get(1));
        assert_eq!(loaded.ids.len(), 2);
        // Damage is an error, never a panic.
        for cut in 1..bytes.len() {
            let mut out = Vec::new();
            assert!(decode_day(&day_key(Date::constant(2026, 11, 2), 9), &bytes[..cut], &table, &mut out).is_err());
        }
        assert!(
            decode_day(&day_key(Date::constant(2026, 11, 2), 9), &bytes, &MarkerTable::default(), &mut out).is_err()
        );
    }
}
