//! Schema versions and the migrations between them.
//!
//! v1 kept money as float roubles (`price`, `cost`) and the marker under `roistat`;
//! v2 keeps kopecks and `marker`, and rebuilds the lead indexes;
//! v3 packs each day's facts of a source into one binary record with interned marker levels.

use super::codec::{encode, export_flags, time_id_key};
use super::{Result, StoreError, Trees};
use crate::domain::{Lead, Money};
use std::path::Path;

/// The schema this build writes.
pub const SCHEMA_VERSION: u32 = 3;
const VERSION_KEY: &[u8] = b"schema_version";

pub(super) fn stored_version(t: &Trees) -> Result<Option<u32>> {
    Ok(t.meta.get(VERSION_KEY)?.and_then(|v| v.as_ref().try_into().ok().map(u32::from_be_bytes)))
}

pub(super) fn run(path: &Path, t: &Trees) -> Result<()> {
    let version = match stored_version(t)? {
        Some(v) => v,
        // A store from before versioning: only v1 wrote none.
        None if !t.leads.is_empty() || !t.facts.is_empty() => 1,
        None => {
            t.meta.insert(VERSION_KEY, &SCHEMA_VERSION.to_be_bytes())?;
            return Ok(());
        }
    };
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerVersion { path: path.to_path_buf(), found: version, supported: SCHEMA_VERSION });
    }
    if version < 2 {
        v1_to_v2(t)?;
        tracing::info!("хранилище обновлено со схемы 1 до схемы 2");
    }
    if version < 3 {
        super::facts::migrate_json_facts(&t.facts, &t.fact_markers)?;
        tracing::info!("факты аналитики переведены в компактный формат схемы 3");
    }
    if version < SCHEMA_VERSION {
        t.meta.insert(VERSION_KEY, &SCHEMA_VERSION.to_be_bytes())?;
        t.meta.flush()?;
    }
    Ok(())
}

fn v1_to_v2(t: &Trees) -> Result<()> {
    t.leads_by_created.clear()?;
    t.leads_by_updated.clear()?;
    t.leads_by_roistat.clear()?;
    for entry in t.leads.iter() {
        let (key, bytes) = entry?;
        let mut value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::Corrupt { what: "заявки (схема 1)".into(), reason: e.to_string() })?;
        if let Some(obj) = value.as_object_mut() {
            for field in ["price", "cost"] {
                if let Some(rubles) = obj.get(field) {
                    let kopecks = Money::from_json(rubles).unwrap_or(Money::ZERO);
                    obj.insert(field.into(), serde_json::json!(kopecks.kopecks()));
                }
            }
            if let Some(marker) = obj.remove("roistat") {
                let valid = marker.as_str().is_some_and(|m| crate::domain::Marker::parse(m).is_ok());
                obj.insert("marker".into(), if valid { marker } else { serde_json::Value::Null });
            }
        }
        let lead: Lead = serde_json::from_value(value)
            .map_err(|e| StoreError::Corrupt { what: "заявки (схема 1)".into(), reason: e.to_string() })?;
        t.leads.insert(key, encode(&lead)?)?;
        t.leads_by_created.insert(time_id_key(lead.created, lead.id), &[])?;
        t.leads_by_updated
            .insert(time_id_key(lead.updated, lead.id), &export_flags(lead.is_template, lead.deleted, lead.created))?;
        if let Some(rid) = &lead.roistat_lead_id {
            t.leads_by_roistat.insert(rid.as_bytes(), &lead.id.to_be_bytes())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{SledStore, store_dir};
    use super::*;

    #[test]
    fn migrates_a_hand_written_v1_lead() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(store_dir(dir.path())).unwrap();
            db.open_tree("meta").unwrap().insert(VERSION_KEY, &1u32.to_be_bytes()).unwrap();
            let v1 = r#"{"id":7,"number":7,"created":"2026-10-01T09:00:00Z","updated":"2026-10-02T09:00:00Z",
                "title":"Заявка с сайта","price":120.34,"cost":100,"roistat":"seo_yandex","roistat_lead_id":"r-7"}"#;
            db.open_tree("leads").unwrap().insert(7u64.to_be_bytes(), v1.as_bytes()).unwrap();
            db.flush().unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        let lead = store.lead(7).unwrap().unwrap();
        assert_eq!(lead.price, Money(12034));
        assert_eq!(lead.cost, Money(10000));
        assert_eq!(lead.marker.as_ref().map(|m| m.as_str()), Some("seo_yandex"));
        assert_eq!(store.lead_by_roistat_id("r-7").unwrap().map(|l| l.id), Some(7));
        assert_eq!(store.leads_newest(10).unwrap().len(), 1);
        assert_eq!(stored_version(&store.inner.t).unwrap(), Some(SCHEMA_VERSION));
    }

    /// A schema-2 fact: JSON under the key date ‖ source ‖ level values joined by 0x1f.
    fn v2_fact(db: &sled::Db, fact: &crate::domain::DailyFact) {
        let mut key = super::super::codec::date_bytes(fact.date).to_vec();
        key.extend_from_slice(&fact.analytics_source_id.to_be_bytes());
        key.extend_from_slice(fact.key_levels().join("\u{1f}").as_bytes());
        db.open_tree("facts").unwrap().insert(key, serde_json::to_vec(fact).unwrap()).unwrap();
    }

    #[test]
    fn migrates_json_facts_of_schema_2_also_after_an_interruption() {
        use crate::domain::{DailyFact, Level};
        let day = |d| jiff::civil::Date::constant(2026, 11, d);
        let fact = |d, source_id, channel: &str, visits| DailyFact {
            analytics_source_id: source_id,
            visits,
            cost: Money(visits as i64 * 101),
            ..DailyFact::new(day(d), [Level::new(channel, "Канал"), Level::new("src", ""), Level::new("", "")])
        };
        let facts = vec![
            fact(1, 1, "direct", 10),
            fact(1, 1, "seo", 0),
            fact(1, 2, "direct", 3),
            fact(2, 1, "direct", 11),
            fact(3, 1, "vk", 12),
        ];
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(store_dir(dir.path())).unwrap();
            db.open_tree("meta").unwrap().insert(VERSION_KEY, &2u32.to_be_bytes()).unwrap();
            for f in &facts {
                v2_fact(&db, f);
            }
            db.flush().unwrap();
        }
        {
            // Interrupted after the first (date, source) group: its record is new, the rest still JSON.
            let db = sled::open(store_dir(dir.path())).unwrap();
            let (tree, markers) = (db.open_tree("facts").unwrap(), db.open_tree("fact_markers").unwrap());
            let first = tree.iter().next().unwrap().unwrap().0;
            let mut stop = first[..12].to_vec();
            stop.push(0xff);
            let rest: Vec<_> = tree.range(stop..).map(|e| e.unwrap()).collect();
            for (k, _) in &rest {
                tree.remove(k).unwrap();
            }
            super::super::facts::migrate_json_facts(&tree, &markers).unwrap();
            for (k, v) in rest {
                tree.insert(k, v).unwrap();
            }
            db.flush().unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(stored_version(&store.inner.t).unwrap(), Some(SCHEMA_VERSION));
        assert_eq!(store.facts_between(day(1), day(3)).unwrap(), facts);
        assert_eq!(store.fact_count(), facts.len());
        assert_eq!(store.fact_date_span().unwrap(), Some((day(1), day(3))));
        assert!(store.inner.t.facts.iter().keys().all(|k| k.unwrap().len() == 12), "no JSON record is left");
        drop(store);
        // Opening again changes nothing.
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.facts_between(day(1), day(3)).unwrap(), facts);
    }

    #[test]
    fn refuses_data_from_a_newer_version() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(store_dir(dir.path())).unwrap();
            db.open_tree("meta").unwrap().insert(VERSION_KEY, &99u32.to_be_bytes()).unwrap();
            db.flush().unwrap();
        }
        match SledStore::open(dir.path()) {
            Err(StoreError::NewerVersion { found: 99, supported: SCHEMA_VERSION, .. }) => {}
            Err(other) => panic!("unexpected error: {other}"),
            Ok(_) => panic!("opened a store from a newer version"),
        }
    }
}
