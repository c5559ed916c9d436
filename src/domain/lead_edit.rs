//! Field-level changes of a lead. An editor says what it changed and what the field held when it
//! started; the store applies that to the current record, so that what others changed meanwhile
//! (a comment from Roistat, another field) survives, and refuses only when the same field moved.

use super::{Attraction, ClientId, Comment, Lead, Marker, Money, Origin, Responsible, Task, Utm};

/// One field of a lead with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeadValue {
    Title(String),
    Text(String),
    Client(Option<ClientId>),
    Status(Option<u64>),
    Price(Money),
    Cost(Money),
    Marker(Option<Marker>),
    LeadSource(Option<u64>),
    Responsible(Option<Responsible>),
    /// An extra field by developer name; `None` is empty.
    Extra(String, Option<String>),
    Utm(Utm),
    Attraction(Attraction),
    Origin(Origin),
    Template(bool),
    Deleted(bool),
    /// A task by its id; `None` where the lead has no such task.
    Task(u64, Option<Task>),
}

impl LeadValue {
    /// The same field, read from `lead`.
    pub fn read_from(&self, lead: &Lead) -> LeadValue {
        match self {
            LeadValue::Title(_) => LeadValue::Title(lead.title.clone()),
            LeadValue::Text(_) => LeadValue::Text(lead.text.clone()),
            LeadValue::Client(_) => LeadValue::Client(lead.client_id),
            LeadValue::Status(_) => LeadValue::Status(lead.status_id),
            LeadValue::Price(_) => LeadValue::Price(lead.price),
            LeadValue::Cost(_) => LeadValue::Cost(lead.cost),
            LeadValue::Marker(_) => LeadValue::Marker(lead.marker.clone()),
            LeadValue::LeadSource(_) => LeadValue::LeadSource(lead.lead_source_id),
            LeadValue::Responsible(_) => LeadValue::Responsible(lead.responsible),
            LeadValue::Extra(name, _) => LeadValue::Extra(name.clone(), lead.extra.get(name).cloned()),
            LeadValue::Utm(_) => LeadValue::Utm(lead.utm.clone()),
            LeadValue::Attraction(_) => LeadValue::Attraction(lead.attraction.clone()),
            LeadValue::Origin(_) => LeadValue::Origin(lead.origin),
            LeadValue::Template(_) => LeadValue::Template(lead.is_template),
            LeadValue::Deleted(_) => LeadValue::Deleted(lead.deleted),
            LeadValue::Task(id, _) => LeadValue::Task(*id, lead.tasks.iter().find(|t| t.id == *id).cloned()),
        }
    }

    fn write_to(self, lead: &mut Lead) {
        match self {
            LeadValue::Title(v) => lead.title = v,
            LeadValue::Text(v) => lead.text = v,
            LeadValue::Client(v) => lead.client_id = v,
            LeadValue::Status(v) => lead.status_id = v,
            LeadValue::Price(v) => lead.price = v,
            LeadValue::Cost(v) => lead.cost = v,
            LeadValue::Marker(v) => lead.marker = v,
            LeadValue::LeadSource(v) => lead.lead_source_id = v,
            LeadValue::Responsible(v) => lead.responsible = v,
            LeadValue::Extra(name, Some(v)) if !v.is_empty() => {
                lead.extra.insert(name, v);
            }
            LeadValue::Extra(name, _) => {
                lead.extra.remove(&name);
            }
            LeadValue::Utm(v) => lead.utm = v,
            LeadValue::Attraction(v) => lead.attraction = v,
            LeadValue::Origin(v) => lead.origin = v,
            LeadValue::Template(v) => lead.is_template = v,
            LeadValue::Deleted(v) => lead.deleted = v,
            LeadValue::Task(id, task) => match (lead.tasks.iter().position(|t| t.id == id), task) {
                (Some(i), Some(task)) => lead.tasks[i] = Task { id, ..task },
                (Some(i), None) => {
                    lead.tasks.remove(i);
                }
                (None, Some(task)) => lead.tasks.push(Task { id, ..task }),
                (None, None) => {}
            },
        }
    }
}

/// A change of one lead. Appends never conflict: they add to what is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeadEdit {
    /// The field held `was` when the editor read it and should hold `now`.
    Set {
        was: LeadValue,
        now: LeadValue,
    },
    AddComment(Comment),
    /// The store gives the task its id.
    AddTask(Task),
    AttachCall(u64),
}

impl LeadEdit {
    /// Sets a field of `before` (the record the editor read) to `now`.
    pub fn set(before: &Lead, now: LeadValue) -> LeadEdit {
        LeadEdit::Set { was: now.read_from(before), now }
    }

    /// What an editor changed from `before` to `after`: changed fields, changed tasks, and new
    /// comments and tasks (those after the ones `before` had) as appends.
    pub fn diff(before: &Lead, after: &Lead) -> Vec<LeadEdit> {
        let values = [
            LeadValue::Title(after.title.clone()),
            LeadValue::Text(after.text.clone()),
            LeadValue::Client(after.client_id),
            LeadValue::Status(after.status_id),
            LeadValue::Price(after.price),
            LeadValue::Cost(after.cost),
            LeadValue::Marker(after.marker.clone()),
            LeadValue::LeadSource(after.lead_source_id),
            LeadValue::Responsible(after.responsible),
            LeadValue::Utm(after.utm.clone()),
            LeadValue::Attraction(after.attraction.clone()),
            LeadValue::Origin(after.origin),
            LeadValue::Template(after.is_template),
            LeadValue::Deleted(after.deleted),
        ];
        let names = before.extra.keys().chain(after.extra.keys());
        let extras = names.map(|name| LeadValue::Extra(name.clone(), after.extra.get(name).cloned()));
        let old_tasks = before.tasks.iter().filter(|t| after.tasks.iter().any(|a| a.id == t.id));
        let tasks = old_tasks.map(|t| LeadValue::Task(t.id, after.tasks.iter().find(|a| a.id == t.id).cloned()));
        let mut edits: Vec<LeadEdit> = Vec::new();
        for now in values.into_iter().chain(extras).chain(tasks) {
            let was = now.read_from(before);
            if was != now && !edits.iter().any(|e| matches!(e, LeadEdit::Set { now: n, .. } if n == &now)) {
                edits.push(LeadEdit::Set { was, now });
            }
        }
        // A task the editor removed.
        for gone in before.tasks.iter().filter(|t| !after.tasks.iter().any(|a| a.id == t.id)) {
            edits.push(LeadEdit::Set {
                was: LeadValue::Task(gone.id, Some(gone.clone())),
                now: LeadValue::Task(gone.id, None),
            });
        }
        let new_tasks = after.tasks.iter().filter(|t| !before.tasks.iter().any(|b| b.id == t.id));
        edits.extend(new_tasks.cloned().map(LeadEdit::AddTask));
        edits.extend(after.comments.iter().skip(before.comments.len()).cloned().map(LeadEdit::AddComment));
        edits
    }

    /// The fields an editor changed from `before` to `mine` that someone else changed too, as
    /// they are in `current`: (the editor's value, the stored value) — what «Сравнить» shows.
    pub fn clashes(before: &Lead, mine: &Lead, current: &Lead) -> Vec<(LeadValue, LeadValue)> {
        LeadEdit::diff(before, mine)
            .into_iter()
            .filter(|edit| !edit.fits(current))
            .filter_map(|edit| match edit {
                LeadEdit::Set { now, .. } => {
                    let stored = now.read_from(current);
                    Some((now, stored))
                }
                _ => None,
            })
            .collect()
    }

    /// What undoes this edit; appends are not undone.
    pub fn inverse(&self) -> Option<LeadEdit> {
        match self {
            LeadEdit::Set { was, now } => Some(LeadEdit::Set { was: now.clone(), now: was.clone() }),
            _ => None,
        }
    }

    /// Whether the edit can be applied to `current` although the lead moved since the editor read
    /// it: the field still holds what the editor saw (or already what it wants).
    pub fn fits(&self, current: &Lead) -> bool {
        match self {
            LeadEdit::Set { was, now } => {
                let held = was.read_from(current);
                &held == was || &held == now
            }
            _ => true,
        }
    }

    /// Applies the edit to `lead`. Tasks get ids after the largest one.
    pub fn apply(self, lead: &mut Lead) {
        match self {
            LeadEdit::Set { now, .. } => now.write_to(lead),
            LeadEdit::AddComment(comment) => lead.comments.push(comment),
            LeadEdit::AddTask(task) => {
                let id = lead.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1;
                lead.tasks.push(Task { id, ..task });
            }
            LeadEdit::AttachCall(call) => {
                if !lead.call_ids.contains(&call) {
                    lead.call_ids.push(call);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(text: &str) -> Comment {
        Comment { at: jiff::Timestamp::UNIX_EPOCH, title: String::new(), text: text.into(), from_roistat: false }
    }

    fn lead() -> Lead {
        Lead { id: 7, title: "Окна".into(), status_id: Some(1), ..Lead::default() }
    }

    #[test]
    fn a_diff_applied_to_the_editors_copy_gives_what_the_editor_made() {
        let before = Lead {
            tasks: vec![Task {
                id: 1,
                text: "позвонить".into(),
                deadline: None,
                done: false,
                from_roistat: false,
                created: None,
            }],
            ..lead()
        };
        let mut after = before.clone();
        after.title = "Окна ПВХ".into();
        after.price = Money::from_rubles(1500);
        after.extra.insert("city".into(), "Тула".into());
        after.tasks[0].done = true;
        after.tasks.push(Task {
            id: 99,
            text: "отправить КП".into(),
            deadline: None,
            done: false,
            from_roistat: false,
            created: None,
        });
        after.comments.push(comment("перезвонит"));
        let edits = LeadEdit::diff(&before, &after);
        let mut applied = before.clone();
        for edit in edits {
            edit.apply(&mut applied);
        }
        // The new task gets the next id of this lead, not the editor's.
        after.tasks[1].id = 2;
        assert_eq!(applied, after);
    }

    #[test]
    fn clashes_are_the_fields_both_changed_with_both_values() {
        let before = lead();
        let mine = Lead { title: "Окна ПВХ".into(), price: Money(500), ..before.clone() };
        // Someone else changed the title too, and the status, which this editor left alone.
        let current = Lead { title: "Окна деревянные".into(), status_id: Some(2), ..before.clone() };
        let clashes = LeadEdit::clashes(&before, &mine, &current);
        assert_eq!(clashes, vec![(LeadValue::Title("Окна ПВХ".into()), LeadValue::Title("Окна деревянные".into()))]);
        assert!(LeadEdit::clashes(&before, &mine, &before).is_empty());
    }

    #[test]
    fn an_edit_fits_a_record_that_moved_elsewhere_but_not_one_whose_field_moved() {
        let before = lead();
        let edit = LeadEdit::set(&before, LeadValue::Status(Some(3)));
        let mut with_comment = before.clone();
        LeadEdit::AddComment(comment("из Roistat")).apply(&mut with_comment);
        assert!(edit.fits(&with_comment));
        let mut status_moved = before.clone();
        status_moved.status_id = Some(2);
        assert!(!edit.fits(&status_moved));
        let mut already = before;
        already.status_id = Some(3);
        assert!(edit.fits(&already), "someone made the same change");
        let undo = edit.inverse().expect("a set is undone");
        assert!(undo.fits(&already) && !undo.fits(&status_moved));
    }
}
