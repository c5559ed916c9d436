//! Reads the HTTP service needs beyond the general API: the export's id list without decoding
//! whole leads (only the flags that decide whether a lead is exported).

use super::codec::{decode, id_key, time_id_key, time_id_of};
use super::{Result, Store};
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

impl Store {
    /// Ids of exportable leads (not templates, not marked deleted, created at or after
    /// `min_created`) changed strictly after `since`, ascending by id.
    pub fn exportable_lead_ids_changed_since(
        &self,
        since: Timestamp,
        min_created: Option<Timestamp>,
    ) -> Result<Vec<LeadId>> {
        let t = &self.inner.t;
        let mut ids = Vec::new();
        for entry in t.leads_by_updated.range(time_id_key(since, u64::MAX)..) {
            let (key, _) = entry?;
            ids.extend(time_id_of(&key));
        }
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(bytes) = t.leads.get(id_key(id))? else { continue };
            let flags: ExportFlags = decode("заявки", &bytes)?;
            if flags.is_template || flags.deleted || min_created.is_some_and(|min| flags.created < min) {
                continue;
            }
            out.push(id);
        }
        Ok(out)
    }
}
