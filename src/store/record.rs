//! What both backends share about records: the catalog's kinds and their names, the settings'
//! keys, the counters that give ids and numbers, and the outcome of an intake.

use super::StoreError;
use crate::domain::{
    Actor, AnalyticsSource, ExtraField, FieldChange, HistoryEntry, HistoryObject, Lead, LeadEdit, LeadSource, Status,
    StatusChange, User,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Counters (their first value is 1): the embedded store keeps them in its meta tree, PostgreSQL in
/// the `counters` table, under the same names, so a backup moves between the two unchanged.
pub(crate) const LEAD_ID: &str = "lead_id";
pub(crate) const LEAD_NUMBER: &str = "lead_number";
pub(crate) const CLIENT_ID: &str = "client_id";
pub(crate) const CALL_ID: &str = "call_id";

pub(crate) const CATALOG_TREES: &[&str] = &["statuses", "extra_fields", "users", "lead_sources", "analytics_sources"];

/// The lead `old` with `edits` made on `expected_version` applied, its version moved and who and
/// when recorded; a [`StoreError::Conflict`] when a field the edits change moved too since (see
/// [`LeadEdit::fits`]). `None` applies regardless («Записать поверх»). Both backends call this
/// inside their write, so the rule is one.
pub(crate) fn apply_edits(
    old: Lead,
    expected_version: Option<u64>,
    edits: &[LeadEdit],
    by: &str,
    now: jiff::Timestamp,
) -> Result<Lead, StoreError> {
    if let Some(expected) = expected_version
        && old.version != expected
        && !edits.iter().all(|e| e.fits(&old))
    {
        return Err(StoreError::Conflict { by: old.changed_by.clone(), at: old.updated, current: Box::new(old) });
    }
    let mut lead = old.clone();
    for edit in edits {
        edit.clone().apply(&mut lead);
    }
    if lead.status_id != old.status_id {
        lead.status_changes.push(StatusChange { at: now, from: old.status_id, to: lead.status_id, by: by.to_string() });
    }
    for task in lead.tasks.iter_mut().filter(|t| !old.tasks.iter().any(|o| o.id == t.id)) {
        task.created.get_or_insert(now);
    }
    lead.version = old.version + 1;
    lead.changed_by = by.to_string();
    lead.updated = now.max(old.updated);
    Ok(lead)
}

/// What export reads of a page of leads: the stored records' JSON, copied once, read as borrowed
/// views ([`LeadExports::views`]) where the answer is written, so no field is copied again.
#[derive(Clone, Debug, Default)]
pub struct LeadExports {
    text: String,
    ends: Vec<usize>,
}

impl LeadExports {
    pub(crate) fn push(&mut self, record: &str) {
        self.text.push_str(record);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The export view of each lead, in the order asked for.
    pub fn views(&self) -> Result<Vec<crate::domain::LeadExport<'_>>, StoreError> {
        let mut start = 0;
        let mut out = Vec::with_capacity(self.ends.len());
        for &end in &self.ends {
            let record = &self.text[start..end];
            out.push(
                serde_json::from_str(record)
                    .map_err(|e| StoreError::Corrupt { what: "заявки".into(), reason: e.to_string() })?,
            );
            start = end;
        }
        Ok(out)
    }
}

/// A reference record kept by id in a tree of its own.
pub trait Record: Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// Its tree; one of the store's catalog trees.
    const TREE: &'static str;
    /// What it is, in Russian, for messages.
    const WHAT: &'static str;
    fn id(&self) -> u64;
    fn set_id(&mut self, id: u64);
    /// What its history entries are about.
    fn history_object(id: u64) -> HistoryObject;
}

macro_rules! record {
    ($ty:ty, $tree:literal, $what:literal, $object:ident) => {
        impl Record for $ty {
            const TREE: &'static str = $tree;
            const WHAT: &'static str = $what;
            fn id(&self) -> u64 {
                self.id
            }
            fn set_id(&mut self, id: u64) {
                self.id = id;
            }
            fn history_object(id: u64) -> HistoryObject {
                HistoryObject::$object(id)
            }
        }
    };
}

record!(Status, "statuses", "статус", Status);
record!(ExtraField, "extra_fields", "доп. реквизит", ExtraField);
record!(User, "users", "пользователь", User);
record!(LeadSource, "lead_sources", "источник получения заявок", LeadSource);
record!(AnalyticsSource, "analytics_sources", "источник получения аналитики", AnalyticsSource);

pub(crate) const SERVICE_SETTINGS: &str = "settings/service";
pub(crate) const TELEPHONY: &str = "settings/telephony";
pub(crate) const ALERT_SETTINGS: &str = "settings/alerts";
/// The keys of the alerts already sent: not a setting (no history, no backup), the sender's memory.
pub(crate) const ALERTS_SENT: &str = "alerts/sent";

/// A history entry of `actor` about `object`, the time and id to be given by the store.
pub(crate) fn entry(
    actor: &Actor,
    at: jiff::Timestamp,
    object: HistoryObject,
    changes: Vec<FieldChange>,
) -> HistoryEntry {
    HistoryEntry { id: 0, at, author: actor.author.clone(), origin: actor.origin.clone(), object, changes }
}

/// The result of an idempotent intake.
#[derive(Clone, Debug, PartialEq)]
pub struct Intake {
    pub lead: Lead,
    /// False when the Roistat id was seen before: nothing was created.
    pub created: bool,
}

/// A random password of 20 letters and digits, for the HTTP service.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}
