//! «Групповое изменение реквизитов»: one change to many leads in one transaction, with one undo.

use crate::domain::{Lead, LeadId, MARKER_FIELD, Marker, Responsible};
use crate::store::{Result, SledStore, StoreError};
use jiff::Timestamp;

/// What to set on every selected lead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupEdit {
    /// An extra field by developer name; the marker field sets the Roistat marker.
    Field {
        dev_name: String,
        value: String,
    },
    Status(u64),
    /// «Ответственный»; `None` clears it.
    Responsible(Option<Responsible>),
    /// Marks for deletion (the Delete key): hidden and not exported, undoable.
    MarkDeleted,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupChange {
    pub ids: Vec<LeadId>,
    pub edit: GroupEdit,
}

/// The leads as they were before a change, to put them back.
#[derive(Clone, Debug, PartialEq)]
pub struct Undo {
    pub before: Vec<Lead>,
}

impl GroupEdit {
    /// Applies the edit to one lead; a marker is validated first.
    pub fn apply_to(&self, lead: &mut Lead) -> Result<()> {
        match self {
            GroupEdit::Field { dev_name, value } if dev_name == MARKER_FIELD => {
                let value = value.trim();
                lead.marker = if value.is_empty() {
                    None
                } else {
                    Some(Marker::parse_source(value).map_err(|e| StoreError::Invalid(e.to_string()))?)
                };
            }
            GroupEdit::Field { dev_name, value } => {
                if value.is_empty() {
                    lead.extra.remove(dev_name);
                } else {
                    lead.extra.insert(dev_name.clone(), value.clone());
                }
            }
            GroupEdit::Status(id) => lead.status_id = Some(*id),
            GroupEdit::Responsible(responsible) => lead.responsible = *responsible,
            GroupEdit::MarkDeleted => lead.deleted = true,
        }
        Ok(())
    }
}

impl GroupChange {
    /// Applies the change to all leads at once (all or none) and returns how to undo it.
    pub fn run(&self, store: &SledStore, now: Timestamp) -> Result<Undo> {
        let undo = self.apply(store, now)?;
        store.durable()?;
        Ok(undo)
    }

    /// Like [`GroupChange::run`] without the flush: for the window, which flushes on a background
    /// thread so a frame never waits for the disk.
    pub fn apply(&self, store: &SledStore, now: Timestamp) -> Result<Undo> {
        let before = store.leads_by_ids(&self.ids)?;
        if before.len() != self.ids.len() {
            return Err(StoreError::NotFound("часть выбранных заявок удалена: обновите список".into()));
        }
        let mut after = before.clone();
        for lead in &mut after {
            self.edit.apply_to(lead)?;
            lead.updated = now;
        }
        store.update_leads(&after)?;
        Ok(Undo { before })
    }
}

impl Undo {
    /// Puts the leads back as they were (their update time moves on, so Roistat re-reads them).
    pub fn run(self, store: &SledStore, now: Timestamp) -> Result<()> {
        self.apply(store, now)?;
        store.durable()
    }

    /// Like [`Undo::run`] without the flush (see [`GroupChange::apply`]).
    pub fn apply(self, store: &SledStore, now: Timestamp) -> Result<()> {
        let mut leads = self.before;
        for lead in &mut leads {
            lead.updated = now;
        }
        store.update_leads(&leads)
    }

    /// How many leads the undo puts back.
    pub fn len(&self) -> usize {
        self.before.len()
    }

    pub fn is_empty(&self) -> bool {
        self.before.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_change_and_undo() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let leads =
            store.add_leads((0..5).map(|i| Lead { title: format!("{i}"), ..Lead::default() }).collect()).unwrap();
        let ids = vec![leads[0].id, leads[2].id, leads[4].id];
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let change = GroupChange {
            ids: ids.clone(),
            edit: GroupEdit::Field { dev_name: "roistat".into(), value: "offline_fair".into() },
        };
        let undo = change.run(&store, now).unwrap();
        let all = store.all_leads().unwrap();
        let marked: Vec<u64> = all.iter().filter(|l| l.marker.is_some()).map(|l| l.id).collect();
        assert_eq!(marked, ids);
        undo.run(&store, now).unwrap();
        assert!(store.all_leads().unwrap().iter().all(|l| l.marker.is_none()));
        // An invalid marker changes nothing.
        let bad = GroupChange { ids, edit: GroupEdit::Field { dev_name: "roistat".into(), value: "a b".into() } };
        assert!(bad.run(&store, now).is_err());
        assert!(store.all_leads().unwrap().iter().all(|l| l.marker.is_none()));
    }
}
