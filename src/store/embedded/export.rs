//! Reads the HTTP service needs beyond the general API: the export's id list from the index alone
//! (its values carry the flags that decide export), and leads decoded only as far as export reads.

use super::codec::{decode, id_key, key_id, read_export_flags, time_id_key, time_id_of};
use super::{Result, SledStore, StoreError};
use crate::domain::LeadId;
use jiff::Timestamp;
use serde::Deserialize;

/// The few fields of a stored lead that decide export; serde skips the rest without allocating.
#[derive(Deserialize)]
struct ExportFlags {
    #[serde(default)]
    is_template: bool,
    #[serde(default)]
    deleted: bool,
    created: Timestamp,
}

impl SledStore {
    /// Ids of exportable leads (not templates, not marked deleted, created at or after
    /// `min_created`) changed strictly after `since`, ascending by id.
    pub fn exportable_lead_ids_changed_since(
        &self,
        since: Timestamp,
        min_created: Option<Timestamp>,
    ) -> Result<Vec<LeadId>> {
        let t = &self.inner.t;
        let exported = |is_template: bool, deleted: bool, created: Timestamp| {
            !is_template && !deleted && min_created.is_none_or(|min| created >= min)
        };
        let mut out = Vec::new();
        for entry in t.leads_by_updated.range(time_id_key(since, u64::MAX)..) {
            let (key, value) = entry?;
            let Some(id) = time_id_of(&key) else { continue };
            let keep = match read_export_flags(&value) {
                Some((is_template, deleted, created)) => exported(is_template, deleted, created),
                // An entry from before the flags were kept in the index: read the record.
                None => match t.leads.get(id_key(id))? {
                    Some(bytes) => {
                        let flags: ExportFlags = decode("заявки", &bytes)?;
                        exported(flags.is_template, flags.deleted, flags.created)
                    }
                    None => false,
                },
            };
            if keep {
                out.push(id);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The stored records of the leads of `ids` that still exist, in that order, for export.
    pub fn lead_exports(&self, ids: &[LeadId]) -> Result<crate::store::LeadExports> {
        let mut out = crate::store::LeadExports::default();
        let mut push = |bytes: &[u8]| -> Result<()> {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| StoreError::Corrupt { what: "заявки".into(), reason: e.to_string() })?;
            out.push(text);
            Ok(())
        };
        let leads = &self.inner.t.leads;
        let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else { return Ok(out) };
        // A page of an export is a run of ascending ids, mostly next to each other: one scan reads
        // each tree node once, where a lookup per id walks down from the root every time.
        let ascending = ids.windows(2).all(|w| w[0] < w[1]);
        if ascending && last - first < 2 * ids.len() as u64 {
            let mut wanted = ids.iter().peekable();
            for entry in leads.range(id_key(first)..=id_key(last)) {
                let (key, bytes) = entry?;
                let Some(id) = key_id(&key) else { continue };
                while wanted.next_if(|&&w| w < id).is_some() {}
                if wanted.next_if_eq(&&id).is_some() {
                    push(&bytes)?;
                }
            }
            return Ok(out);
        }
        for id in ids {
            if let Some(bytes) = leads.get(id_key(*id))? {
                push(&bytes)?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lead;

    #[test]
    fn export_ids_come_from_the_index_and_from_old_entries_alike() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let at = |s| Timestamp::from_second(s).unwrap();
        let lead = |created, template, deleted| Lead {
            created: at(created),
            updated: at(2_000_000_000),
            is_template: template,
            deleted,
            ..Lead::default()
        };
        let added = store
            .add_leads(
                vec![lead(100, false, false), lead(200, true, false), lead(300, false, true), lead(50, false, false)],
                &crate::domain::Actor::default(),
                || {},
            )
            .unwrap();
        let ids: Vec<LeadId> = added.iter().map(|l| l.id).collect();
        let check = |store: &SledStore| {
            assert_eq!(store.exportable_lead_ids_changed_since(at(0), None).unwrap(), vec![ids[0], ids[3]]);
            assert_eq!(store.exportable_lead_ids_changed_since(at(0), Some(at(60))).unwrap(), vec![ids[0]]);
            assert!(store.exportable_lead_ids_changed_since(at(2_000_000_000), None).unwrap().is_empty());
        };
        check(&store);
        // Index entries as an older version wrote them: no value.
        let index = &store.inner.t.leads_by_updated;
        let keys: Vec<_> = index.iter().keys().map(|k| k.unwrap()).collect();
        for key in keys {
            index.insert(key, &[]).unwrap();
        }
        check(&store);
    }

    #[test]
    fn export_views_come_in_the_order_of_the_ids_dense_or_sparse() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let leads: Vec<Lead> = (0..40).map(|i| Lead { title: format!("Заявка {i}"), ..Lead::default() }).collect();
        let ids: Vec<LeadId> =
            store.add_leads(leads, &crate::domain::Actor::default(), || {}).unwrap().iter().map(|l| l.id).collect();
        let titles = |wanted: &[LeadId]| {
            let exports = store.lead_exports(wanted).unwrap();
            exports.views().unwrap().iter().map(|view| (view.id, view.title.to_string())).collect::<Vec<_>>()
        };
        let expect = |wanted: &[LeadId]| -> Vec<(LeadId, String)> {
            wanted.iter().filter(|id| ids.contains(id)).map(|&id| (id, format!("Заявка {}", id - ids[0]))).collect()
        };
        // Dense (read by one scan), with a gap and an id that does not exist.
        let dense: Vec<LeadId> = ids[5..30].iter().copied().filter(|id| id % 7 != 0).chain([ids[39] + 5]).collect();
        assert_eq!(titles(&dense), expect(&dense));
        // Sparse (one lookup per id) and unordered: the given order is kept.
        let sparse = vec![ids[39], ids[0], ids[20], 10_000];
        assert_eq!(titles(&sparse), expect(&sparse));
        assert!(titles(&[]).is_empty());
        // The whole run, as a page of an export reads it.
        assert_eq!(titles(&ids), expect(&ids));
    }
}
