//! Leads and clients, with their indexes (created, updated, Roistat id; phone, e-mail).

use super::codec::{decode, encode, export_flags, id_key, key_id, time_bytes, time_id_key, time_id_of};
use super::history::{HISTORY_ID, HistoryTx};
use super::{Result, SledStore, StoreError, StoreEvent, TxResult, abort};
use crate::domain::{
    Actor, Client, ClientId, HistoryEntry, HistoryObject, Lead, LeadEdit, LeadId, Names, lead_changes, needs_names,
    record_changes,
};
use crate::store::record::{CLIENT_ID, apply_edits, entry};
use jiff::Timestamp;
use sled::transaction::TransactionalTree;

struct LeadTx<'a> {
    history: HistoryTx<'a>,
    leads: &'a TransactionalTree,
    by_created: &'a TransactionalTree,
    by_updated: &'a TransactionalTree,
    by_roistat: &'a TransactionalTree,
}

impl LeadTx<'_> {
    fn get(&self, id: LeadId) -> TxResult<Option<Lead>> {
        match self.leads.get(id_key(id))? {
            Some(bytes) => decode("заявки", &bytes).map(Some).or_else(abort),
            None => Ok(None),
        }
    }

    /// Writes a lead and keeps the indexes right; `old` is the record it replaces.
    fn put(&self, lead: &Lead, old: Option<&Lead>) -> TxResult<()> {
        if let Some(old) = old {
            if old.created != lead.created {
                self.by_created.remove(&time_id_key(old.created, old.id))?;
            }
            if old.updated != lead.updated {
                self.by_updated.remove(&time_id_key(old.updated, old.id))?;
            }
            if old.roistat_lead_id != lead.roistat_lead_id
                && let Some(rid) = &old.roistat_lead_id
            {
                self.by_roistat.remove(rid.as_bytes())?;
            }
        }
        let bytes = encode(lead).or_else(abort)?;
        self.leads.insert(&id_key(lead.id), bytes)?;
        self.by_created.insert(&time_id_key(lead.created, lead.id), &[])?;
        self.by_updated
            .insert(&time_id_key(lead.updated, lead.id), &export_flags(lead.is_template, lead.deleted, lead.created))?;
        if let Some(rid) = &lead.roistat_lead_id {
            self.by_roistat.insert(rid.as_bytes(), &id_key(lead.id))?;
        }
        Ok(())
    }
}

impl SledStore {
    fn lead_transaction<T>(&self, f: impl Fn(&LeadTx<'_>) -> TxResult<T>) -> Result<T> {
        use sled::Transactional;
        let t = &self.inner.t;
        let trees = (
            &t.leads,
            &t.leads_by_created,
            &t.leads_by_updated,
            &t.leads_by_roistat,
            &t.meta,
            &t.history,
            &t.history_by_object,
        );
        let result = trees.transaction(|(leads, by_created, by_updated, by_roistat, meta, history, by_object)| {
            let history = HistoryTx { meta, history, by_object };
            f(&LeadTx { history, leads, by_created, by_updated, by_roistat })
        })?;
        Ok(result)
    }

    #[cfg(test)]
    /// Saves a changed lead (its indexes follow). The caller sets `updated`.
    pub fn update_lead(&self, lead: &Lead) -> Result<()> {
        self.update_leads(std::slice::from_ref(lead))
    }

    #[cfg(test)]
    /// Saves several leads in one transaction: all or none (group change, undo).
    pub fn update_leads(&self, leads: &[Lead]) -> Result<()> {
        let guard = self.lock();
        self.lead_transaction(|lt| {
            for lead in leads {
                let Some(old) = lt.get(lead.id)? else {
                    return abort(StoreError::NotFound(format!("заявка № {} (id {})", lead.number, lead.id)));
                };
                lt.put(&Lead { version: old.version + 1, ..lead.clone() }, Some(&old))?;
            }
            Ok(())
        })?;
        drop(guard);
        self.emit(StoreEvent::LeadsChanged(leads.iter().map(|l| l.id).collect()));
        Ok(())
    }

    /// Applies `edits` to the current lead. When it moved since `expected_version`, edits of fields
    /// that moved too fail with [`StoreError::Conflict`]; appends never do. `None` applies
    /// regardless («Записать поверх»).
    pub fn change_lead(
        &self,
        id: LeadId,
        expected_version: Option<u64>,
        edits: &[LeadEdit],
        by: &str,
        origin: &str,
        now: Timestamp,
    ) -> Result<Lead> {
        let guard = self.lock();
        let names = if needs_names(edits) { self.names()? } else { Names::default() };
        let lead = self.lead_transaction(|lt| {
            let Some(old) = lt.get(id)? else {
                return abort(StoreError::NotFound(format!("заявка с id {id}")));
            };
            let lead = apply_edits(old.clone(), expected_version, edits, by, now).or_else(abort)?;
            lt.put(&lead, Some(&old))?;
            lt.history.record(HistoryEntry {
                id: 0,
                at: lead.updated,
                author: by.to_string(),
                origin: origin.to_string(),
                object: HistoryObject::Lead { id: lead.id, number: lead.number },
                changes: lead_changes(&old, edits, &names),
            })?;
            Ok(lead)
        })?;
        drop(guard);
        self.emit(StoreEvent::LeadsChanged(vec![id]));
        Ok(lead)
    }

    pub fn lead(&self, id: LeadId) -> Result<Option<Lead>> {
        match self.inner.t.leads.get(id_key(id))? {
            Some(bytes) => Ok(Some(decode("заявки", &bytes)?)),
            None => Ok(None),
        }
    }

    /// Leads by ids, in the given order; ids that no longer exist are skipped.
    pub fn leads_by_ids(&self, ids: &[LeadId]) -> Result<Vec<Lead>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(lead) = self.lead(*id)? {
                out.push(lead);
            }
        }
        Ok(out)
    }

    pub fn lead_by_roistat_id(&self, roistat_id: &str) -> Result<Option<Lead>> {
        match self.inner.t.leads_by_roistat.get(roistat_id.as_bytes())? {
            Some(id) => match key_id(&id) {
                Some(id) => self.lead(id),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// The newest `n` leads by creation time, newest first.
    pub fn leads_newest(&self, n: usize) -> Result<Vec<Lead>> {
        let mut ids = Vec::with_capacity(n);
        for entry in self.inner.t.leads_by_created.iter().rev().take(n) {
            let (key, _) = entry?;
            ids.extend(time_id_of(&key));
        }
        self.leads_by_ids(&ids)
    }

    /// Leads created in `[from, to)`, oldest first.
    pub fn leads_created_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Lead>> {
        let mut ids = Vec::new();
        for entry in self.inner.t.leads_by_created.range(time_bytes(from)..time_bytes(to)) {
            let (key, _) = entry?;
            ids.extend(time_id_of(&key));
        }
        self.leads_by_ids(&ids)
    }

    #[cfg(test)]
    /// Ids of leads changed strictly after `since`, ascending by id (a stable order for paging).
    pub fn lead_ids_changed_since(&self, since: Timestamp) -> Result<Vec<LeadId>> {
        let start = time_id_key(since, u64::MAX);
        let mut ids = Vec::new();
        for entry in self.inner.t.leads_by_updated.range(start..) {
            let (key, _) = entry?;
            ids.extend(time_id_of(&key));
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// Leads changed strictly after `since`, in update order.
    pub fn leads_changed_since(&self, since: Timestamp) -> Result<Vec<Lead>> {
        let start = time_id_key(since, u64::MAX);
        let mut ids = Vec::new();
        for entry in self.inner.t.leads_by_updated.range(start..) {
            let (key, _) = entry?;
            ids.extend(time_id_of(&key));
        }
        self.leads_by_ids(&ids)
    }

    /// Every lead, templates and marked ones included, by id.
    pub fn all_leads(&self) -> Result<Vec<Lead>> {
        let mut out = Vec::with_capacity(self.inner.t.leads.len());
        for entry in self.inner.t.leads.iter() {
            let (_, bytes) = entry?;
            out.push(decode("заявки", &bytes)?);
        }
        Ok(out)
    }

    /// Whether nothing arrived or was loaded yet: no leads and no analytics facts.
    pub fn is_empty_of_work(&self) -> bool {
        self.inner.t.leads.is_empty() && self.inner.t.facts.is_empty()
    }

    pub fn lead_count(&self) -> usize {
        self.inner.t.leads.len()
    }

    pub fn client(&self, id: ClientId) -> Result<Option<Client>> {
        match self.inner.t.clients.get(id_key(id))? {
            Some(bytes) => Ok(Some(decode("клиента", &bytes)?)),
            None => Ok(None),
        }
    }

    pub fn all_clients(&self) -> Result<Vec<Client>> {
        let mut out = Vec::new();
        for entry in self.inner.t.clients.iter() {
            let (_, bytes) = entry?;
            out.push(decode("клиента", &bytes)?);
        }
        Ok(out)
    }

    /// Saves a client; a new one (id 0) gets an id.
    pub fn put_client(&self, mut client: Client, actor: &Actor) -> Result<Client> {
        let guard = self.lock();
        let old = if client.id == 0 {
            client.id = self.take_counter(CLIENT_ID)?;
            None
        } else {
            self.client(client.id)?
        };
        self.insert_client(&client)?;
        // Plain inserts like the client's own: both reach the disk with the same flush.
        let changes = record_changes(old.as_ref(), Some(&client));
        if !changes.is_empty() {
            let id = self.take_counter(HISTORY_ID)?;
            let entry = entry(actor, Timestamp::now(), HistoryObject::Client(client.id), changes);
            self.insert_history(&[HistoryEntry { id, ..entry }], false)?;
        }
        drop(guard);
        self.emit(StoreEvent::ClientsChanged);
        Ok(client)
    }
}
