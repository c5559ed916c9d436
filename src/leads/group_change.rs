//! «Групповое изменение реквизитов»: one change to many leads, applied row by row as field-level
//! edits against the version each row was read at, so that what Roistat adds meanwhile (a comment,
//! a task) survives. Its undo applies the inverse edits and skips rows whose field moved since.

use crate::domain::{Lead, LeadEdit, LeadId, MARKER_FIELD, Marker, Responsible};
use crate::store::{Result, Store, StoreError};

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

/// How to take one row back: the edits that undo the change and the version the change left.
#[derive(Clone, Debug, PartialEq)]
struct UndoRow {
    id: LeadId,
    version: u64,
    edits: Vec<LeadEdit>,
}

/// How to take a group change back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Undo {
    rows: Vec<UndoRow>,
}

/// What a group change did.
#[derive(Clone, Debug, PartialEq)]
pub struct Changed {
    pub undo: Undo,
    /// Rows changed (a row that already held the value counts as changed).
    pub changed: usize,
    /// Rows someone changed in the same field between the read and the write: left as they are.
    pub skipped: usize,
}

/// What an undo did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Undone {
    pub restored: usize,
    /// Rows whose field someone changed after the group change: their change stays.
    pub skipped: usize,
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

    /// The field-level edits that make `lead` hold the new value.
    pub fn edits(&self, lead: &Lead) -> Result<Vec<LeadEdit>> {
        let mut after = lead.clone();
        self.apply_to(&mut after)?;
        Ok(LeadEdit::diff(lead, &after))
    }
}

impl GroupChange {
    /// Applies the change to each lead. An invalid value changes nothing; a lead deleted from
    /// the store meanwhile stops the change before any write.
    pub async fn run(&self, store: &Store, by: &str) -> Result<Changed> {
        self.edit.apply_to(&mut Lead::default())?;
        let leads = store.leads_by_ids(self.ids.clone()).await?;
        if leads.len() != self.ids.len() {
            return Err(StoreError::NotFound("часть выбранных заявок удалена: обновите список".into()));
        }
        let mut done = Changed { undo: Undo::default(), changed: 0, skipped: 0 };
        for lead in leads {
            let edits = self.edit.edits(&lead)?;
            if edits.is_empty() {
                done.changed += 1;
                continue;
            }
            match store.change_lead(lead.id, Some(lead.version), edits.clone(), by).await {
                Ok(saved) => {
                    let edits = edits.iter().filter_map(LeadEdit::inverse).collect();
                    done.undo.rows.push(UndoRow { id: lead.id, version: saved.version, edits });
                    done.changed += 1;
                }
                Err(StoreError::Conflict { .. }) => done.skipped += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

impl Undo {
    /// Puts back the rows nobody changed in the same field since; the others are counted.
    pub async fn run(self, store: &Store, by: &str) -> Result<Undone> {
        let mut done = Undone { restored: 0, skipped: 0 };
        for row in self.rows {
            match store.change_lead(row.id, Some(row.version), row.edits, by).await {
                Ok(_) => done.restored += 1,
                Err(StoreError::Conflict { .. } | StoreError::NotFound(_)) => done.skipped += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// How many leads the undo puts back.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Comment, LeadValue};

    fn comment(text: &str) -> Comment {
        Comment { at: jiff::Timestamp::UNIX_EPOCH, title: String::new(), text: text.into(), from_roistat: true }
    }

    #[tokio::test]
    async fn group_change_keeps_what_others_added_and_undo_skips_what_they_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_embedded(dir.path()).await.unwrap();
        let leads =
            store.add_leads((0..5).map(|i| Lead { title: format!("{i}"), ..Lead::default() }).collect()).await.unwrap();
        let ids = vec![leads[0].id, leads[2].id, leads[4].id];
        let change = GroupChange {
            ids: ids.clone(),
            edit: GroupEdit::Field { dev_name: "roistat".into(), value: "offline_fair".into() },
        };
        let done = change.run(&store, "Менеджер").await.unwrap();
        assert_eq!((done.changed, done.skipped), (3, 0));
        let all = store.all_leads().await.unwrap();
        let marked: Vec<u64> = all.iter().filter(|l| l.marker.is_some()).map(|l| l.id).collect();
        assert_eq!(marked, ids);

        // Roistat comments on one row, someone else re-marks another: undo keeps both.
        store.append_comment(ids[0], comment("из Roistat"), "Roistat").await.unwrap();
        let moved = store.lead(ids[1]).await.unwrap().unwrap();
        let other = Marker::parse_source("seo_yandex").unwrap();
        store
            .change_lead(
                ids[1],
                Some(moved.version),
                vec![LeadEdit::set(&moved, LeadValue::Marker(Some(other.clone())))],
                "Иванов",
            )
            .await
            .unwrap();
        let undone = done.undo.run(&store, "Менеджер").await.unwrap();
        assert_eq!(undone, Undone { restored: 2, skipped: 1 });
        let first = store.lead(ids[0]).await.unwrap().unwrap();
        assert!(first.marker.is_none());
        assert_eq!(first.comments.len(), 1, "the comment survives the undo");
        assert_eq!(store.lead(ids[1]).await.unwrap().unwrap().marker, Some(other));
        assert!(store.lead(ids[2]).await.unwrap().unwrap().marker.is_none());

        // An invalid marker changes nothing.
        let bad = GroupChange { ids, edit: GroupEdit::Field { dev_name: "roistat".into(), value: "a b".into() } };
        assert!(bad.run(&store, "Менеджер").await.is_err());
        assert_eq!(store.all_leads().await.unwrap().iter().filter(|l| l.marker.is_some()).count(), 1);
    }
}
