//! Lead intake from Roistat: idempotent on the Roistat lead id, durable through the intake journal.
//!
//! A batch is first planned (reads only: resends, client matching, ids), then appended to the
//! journal, then written to sled with plain inserts: counters first, then each record's indexes
//! and the record last. sled recovers its writes in order, so a record that survived a crash has
//! its indexes and counters, and a replay only has to write the records that are missing.

use super::codec::{encode, export_flags, id_key, key_id, time_id_key};
use super::durability::{FLUSH_LIMIT, flush_with_watchdog, sync_store_files};
use super::history::HISTORY_ID;
use super::journal::JournalBatch;
use super::{Result, SledStore, StoreError, StoreEvent, counter_key};
use crate::domain::{
    AUTHOR_ROISTAT, Actor, Client, ClientId, Contact, HistoryEntry, Lead, LeadId, ORIGIN_INTAKE, lead_created_entry,
    normalize_email, normalize_phone,
};
use crate::store::record::{CLIENT_ID, Intake, LEAD_ID, LEAD_NUMBER};
use jiff::Timestamp;
use std::collections::HashMap;

/// The intake journal is emptied (sled flushed) when it grows past this.
const CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;

/// The next free value of a named counter, read outside a transaction.
fn counter(meta: &sled::Tree, name: &str) -> Result<u64> {
    Ok(meta.get(counter_key(name))?.and_then(|v| key_id(&v)).unwrap_or(1))
}

/// What a batch will write, built before anything is written.
struct Plan {
    batch: JournalBatch,
    intakes: Vec<Intake>,
    /// Clients of the batch by normalized phone and e-mail (index into `batch.clients`).
    by_phone: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
    next_client: u64,
}

impl SledStore {
    #[cfg(test)]
    /// Adds a lead with its contact, idempotent on the Roistat lead id: a resend returns the lead
    /// created the first time and changes nothing. Durable after [`SledStore::sync_intake`].
    pub fn intake_lead(&self, lead: Lead, contact: &Contact) -> Result<Intake> {
        let mut intakes = self.intake_leads(&[(lead, contact.clone())])?;
        intakes.pop().ok_or_else(|| super::StoreError::Invalid("заявка не принята".into()))
    }

    /// [`SledStore::intake_lead`] for many leads at once (the service batches what arrives while the
    /// previous batch is written). A resend inside the batch matches the first copy.
    #[cfg(test)]
    pub fn intake_leads(&self, items: &[(Lead, Contact)]) -> Result<Vec<Intake>> {
        self.intake_leads_with(items, || {})
    }

    /// [`SledStore::intake_leads`] that calls `journaled` once the batch is in the intake journal and
    /// before it is written to sled, so that a [`SledStore::sync_intake`] can run meanwhile. Not
    /// called when the batch fails before that.
    pub fn intake_leads_with(&self, items: &[(Lead, Contact)], journaled: impl FnOnce()) -> Result<Vec<Intake>> {
        let guard = self.lock();
        let plan = self.plan_intake(items)?;
        if !plan.batch.is_empty() {
            self.inner.journal.append(&plan.batch)?;
        }
        journaled();
        if !plan.batch.is_empty() {
            self.write_intake(&plan.batch, false).map_err(|e| self.unrecoverable(e))?;
        }
        drop(guard);
        let created: Vec<LeadId> = plan.batch.leads.iter().map(|l| l.id).collect();
        if !created.is_empty() {
            self.emit(StoreEvent::LeadsChanged(created));
        }
        if !plan.batch.clients.is_empty() {
            self.emit(StoreEvent::ClientsChanged);
        }
        Ok(plan.intakes)
    }

    /// Adds leads typed in or copied (the store gives ids and numbers) the way intake does:
    /// journaled, then written with plain inserts, so that a batch costs one journal sync instead
    /// of a sled flush. Durable after [`SledStore::sync_intake`].
    pub fn add_leads(&self, leads: Vec<Lead>, actor: &Actor, journaled: impl FnOnce()) -> Result<Vec<Lead>> {
        if leads.is_empty() {
            return Ok(leads);
        }
        let guard = self.lock();
        let t = &self.inner.t;
        let (first_id, first_number) = (counter(&t.meta, LEAD_ID)?, counter(&t.meta, LEAD_NUMBER)?);
        let n = leads.len() as u64;
        let leads = (0u64..)
            .zip(leads)
            .map(|(i, lead)| Lead { id: first_id + i, number: first_number + i, version: 1, ..lead })
            .collect();
        let mut batch = JournalBatch {
            counters: vec![(LEAD_ID.into(), first_id + n), (LEAD_NUMBER.into(), first_number + n)],
            clients: Vec::new(),
            leads,
            history: Vec::new(),
        };
        let next_history = self.history_entries(&mut batch, actor)?;
        batch.counters.push((HISTORY_ID.into(), next_history));
        self.inner.journal.append(&batch)?;
        journaled();
        self.write_intake(&batch, false).map_err(|e| self.unrecoverable(e))?;
        drop(guard);
        self.emit(StoreEvent::LeadsChanged(batch.leads.iter().map(|l| l.id).collect()));
        Ok(batch.leads)
    }

    /// The history entries of a batch's new leads, with ids from the counter; the counter's next
    /// value after them.
    fn history_entries(&self, batch: &mut JournalBatch, actor: &Actor) -> Result<u64> {
        let mut next = counter(&self.inner.t.meta, HISTORY_ID)?;
        let at = Timestamp::now();
        for lead in &batch.leads {
            batch.history.push(HistoryEntry { id: next, ..lead_created_entry(lead, actor, at) });
            next += 1;
        }
        Ok(next)
    }

    /// A journaled batch that could not be written to sled: the next batch would take its ids
    /// from sled's counters, so only a restart (and a replay) makes the store consistent again.
    fn unrecoverable(&self, e: StoreError) -> StoreError {
        StoreError::Unrecoverable { path: self.inner.path.clone(), reason: e.to_string() }
    }

    /// Makes every intake that returned before this call durable: one `fdatasync` of the intake
    /// journal, shared by concurrent callers.
    pub fn sync_intake(&self) -> Result<()> {
        self.inner.journal.sync()
    }

    /// Bytes waiting in the intake journal for a [`SledStore::checkpoint`].
    fn intake_journal_len(&self) -> u64 {
        self.inner.journal.len()
    }

    #[cfg(test)]
    /// A [`SledStore::checkpoint`] once the intake journal has grown past 16 MB, so a
    /// replay after a crash stays short. Call it between batches, not while holding up answers.
    pub fn checkpoint_when_due(&self) -> Result<()> {
        if self.checkpoint_due() { self.checkpoint() } else { Ok(()) }
    }

    /// Whether the intake journal has grown past 16 MB.
    pub(in crate::store) fn checkpoint_due(&self) -> bool {
        self.intake_journal_len() > CHECKPOINT_BYTES
    }

    /// Makes sled's files hold everything the intake journal holds, then removes it: appends move
    /// to a new segment (the write lock is held only for that switch, so every older batch is in
    /// sled), sled is flushed and its files `fsync`ed (sled's own flush uses `sync_file_range`,
    /// which does not survive a power loss), and only then are the older segments removed. Intake
    /// goes on meanwhile. A flush that does not end in [`FLUSH_LIMIT`] is reported as
    /// unrecoverable: the process should stop so that it is started again.
    pub fn checkpoint(&self) -> Result<()> {
        let _one_at_a_time = self.inner.checkpointing.lock().unwrap_or_else(|p| p.into_inner());
        let journal = &self.inner.journal;
        let next = journal.prepare()?;
        let sealed = {
            let _guard = self.lock();
            journal.seal(next)
        };
        flush_with_watchdog(&self.inner.db, &self.inner.path, FLUSH_LIMIT)?;
        sync_store_files(&self.inner.path)?;
        journal.remove(sealed)
    }

    /// The client a contact matches (its empty fields filled), or a new one. Durable after
    /// [`SledStore::durable`].
    pub fn client_for_contact(&self, contact: &Contact, now: Timestamp) -> Result<ClientId> {
        let guard = self.lock();
        let mut plan = self.new_plan()?;
        let id = self.plan_client(&mut plan, contact, now)?;
        plan.batch.counters = vec![(CLIENT_ID.into(), plan.next_client)];
        if !plan.batch.is_empty() {
            self.write_intake(&plan.batch, false)?;
        }
        drop(guard);
        if !plan.batch.is_empty() {
            self.emit(StoreEvent::ClientsChanged);
        }
        Ok(id)
    }

    fn new_plan(&self) -> Result<Plan> {
        Ok(Plan {
            batch: JournalBatch::default(),
            intakes: Vec::new(),
            by_phone: HashMap::new(),
            by_email: HashMap::new(),
            next_client: counter(&self.inner.t.meta, CLIENT_ID)?,
        })
    }

    fn plan_intake(&self, items: &[(Lead, Contact)]) -> Result<Plan> {
        let t = &self.inner.t;
        let mut next_lead = counter(&t.meta, LEAD_ID)?;
        let mut next_number = counter(&t.meta, LEAD_NUMBER)?;
        let mut plan = self.new_plan()?;
        let mut by_roistat: HashMap<&str, usize> = HashMap::new();
        for (item, contact) in items {
            if let Some(rid) = item.roistat_lead_id.as_deref() {
                if let Some(&i) = by_roistat.get(rid) {
                    plan.intakes.push(Intake { lead: plan.batch.leads[i].clone(), created: false });
                    continue;
                }
                if let Some(found) = self.lead_by_roistat_id(rid)? {
                    plan.intakes.push(Intake { lead: found, created: false });
                    continue;
                }
            }
            let mut lead = item.clone();
            if !contact.is_empty() {
                lead.client_id = Some(self.plan_client(&mut plan, contact, lead.created)?);
            }
            lead.id = next_lead;
            lead.version = 1;
            lead.number = next_number;
            next_lead += 1;
            next_number += 1;
            if let Some(rid) = item.roistat_lead_id.as_deref() {
                by_roistat.insert(rid, plan.batch.leads.len());
            }
            plan.batch.leads.push(lead.clone());
            plan.intakes.push(Intake { lead, created: true });
        }
        let roistat = Actor { author: AUTHOR_ROISTAT.into(), origin: ORIGIN_INTAKE.into() };
        let next_history = self.history_entries(&mut plan.batch, &roistat)?;
        plan.batch.counters = vec![
            (LEAD_ID.into(), next_lead),
            (LEAD_NUMBER.into(), next_number),
            (CLIENT_ID.into(), plan.next_client),
            (HISTORY_ID.into(), next_history),
        ];
        Ok(plan)
    }

    /// The client a contact belongs to: one of this batch, a stored one (its empty fields filled
    /// from the contact), or a new one.
    fn plan_client(&self, plan: &mut Plan, contact: &Contact, now: Timestamp) -> Result<ClientId> {
        let phone = normalize_phone(&contact.phone);
        let email = normalize_email(&contact.email);
        let in_batch = (!phone.is_empty())
            .then(|| plan.by_phone.get(&phone))
            .flatten()
            .or_else(|| (!email.is_empty()).then(|| plan.by_email.get(&email)).flatten());
        let index = match in_batch {
            Some(&i) => {
                let client = &mut plan.batch.clients[i];
                if client.fill_empty_from(contact) {
                    client.updated = now;
                }
                i
            }
            None => match self.find_client(&phone, &email)? {
                Some(mut client) => {
                    if !client.fill_empty_from(contact) {
                        return Ok(client.id);
                    }
                    client.updated = now;
                    plan.batch.clients.push(client);
                    plan.batch.clients.len() - 1
                }
                None => {
                    let client = Client { id: plan.next_client, ..Client::of_contact(contact, now) };
                    plan.next_client += 1;
                    plan.batch.clients.push(client);
                    plan.batch.clients.len() - 1
                }
            },
        };
        let client = &plan.batch.clients[index];
        for (key, map) in
            [(normalize_phone(&client.phone), &mut plan.by_phone), (normalize_email(&client.email), &mut plan.by_email)]
        {
            if !key.is_empty() {
                map.insert(key, index);
            }
        }
        Ok(client.id)
    }

    /// A stored client by normalized phone, else by normalized e-mail.
    fn find_client(&self, phone: &str, email: &str) -> Result<Option<Client>> {
        let t = &self.inner.t;
        for (key, index) in [(phone, &t.clients_by_phone), (email, &t.clients_by_email)] {
            if key.is_empty() {
                continue;
            }
            if let Some(id) = index.get(key.as_bytes())?.and_then(|v| key_id(&v))
                && let Some(client) = self.client(id)?
            {
                return Ok(Some(client));
            }
        }
        Ok(None)
    }

    /// Writes a planned batch; with `replay`, only what is missing (after a crash). Returns how
    /// many leads it wrote.
    fn write_intake(&self, batch: &JournalBatch, replay: bool) -> Result<usize> {
        let t = &self.inner.t;
        for (name, next) in &batch.counters {
            if !replay || counter(&t.meta, name)? < *next {
                t.meta.insert(counter_key(name), &next.to_be_bytes())?;
            }
        }
        for client in &batch.clients {
            let client = if replay && let Some(mut stored) = self.client(client.id)? {
                // Changed since: keep it, only fill what is still empty.
                let contact =
                    Contact { name: client.name.clone(), phone: client.phone.clone(), email: client.email.clone() };
                if !stored.fill_empty_from(&contact) {
                    continue;
                }
                stored
            } else {
                client.clone()
            };
            self.insert_client(&client)?;
        }
        // Before the leads: a lead that survived a crash has its history.
        self.insert_history(&batch.history, replay)?;
        let mut written = 0;
        for lead in &batch.leads {
            if replay && t.leads.contains_key(id_key(lead.id))? {
                continue;
            }
            self.insert_new_lead(lead)?;
            written += 1;
        }
        Ok(written)
    }

    /// The next value of a named counter, taken outside a transaction (under the write lock).
    pub(super) fn take_counter(&self, name: &str) -> Result<u64> {
        let meta = &self.inner.t.meta;
        let next = counter(meta, name)?;
        meta.insert(counter_key(name), &next.saturating_add(1).to_be_bytes())?;
        Ok(next)
    }

    /// Writes a lead that has no record yet with plain inserts: its indexes, then the record.
    pub(super) fn insert_new_lead(&self, lead: &Lead) -> Result<()> {
        let t = &self.inner.t;
        t.leads_by_created.insert(time_id_key(lead.created, lead.id), &[])?;
        t.leads_by_updated
            .insert(time_id_key(lead.updated, lead.id), &export_flags(lead.is_template, lead.deleted, lead.created))?;
        if let Some(rid) = &lead.roistat_lead_id {
            t.leads_by_roistat.insert(rid.as_bytes(), &id_key(lead.id))?;
        }
        t.leads.insert(id_key(lead.id), encode(lead)?)?;
        Ok(())
    }

    /// Writes a client with plain inserts: its phone and e-mail indexes, then the record.
    pub(super) fn insert_client(&self, client: &Client) -> Result<()> {
        let t = &self.inner.t;
        for (key, index) in [
            (normalize_phone(&client.phone), &t.clients_by_phone),
            (normalize_email(&client.email), &t.clients_by_email),
        ] {
            if !key.is_empty() {
                index.insert(key.as_bytes(), &id_key(client.id))?;
            }
        }
        t.clients.insert(id_key(client.id), encode(client)?)?;
        Ok(())
    }

    /// Writes again what the intake journal holds (after a crash), then empties it.
    pub(super) fn replay_intake(&self, batches: Vec<JournalBatch>) -> Result<()> {
        if batches.is_empty() {
            return Ok(());
        }
        let guard = self.lock();
        let mut leads = 0;
        for batch in &batches {
            leads += self.write_intake(batch, true)?;
        }
        drop(guard);
        if leads > 0 {
            tracing::info!("журнал приёма заявок: восстановлено заявок после сбоя: {leads}");
        }
        self.checkpoint()
    }
}

#[cfg(test)]
fn stored_client(store: &SledStore, id: ClientId) -> Client {
    store.client(id).expect("read").expect("client")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::journal::is_journal_file;
    use crate::store::store_dir;
    use std::path::Path;
    use std::sync::atomic::Ordering;

    /// The intake journal's files in a data directory: what survives when sled loses its writes.
    fn journal_files(data_dir: &Path) -> Vec<(std::ffi::OsString, Vec<u8>)> {
        std::fs::read_dir(store_dir(data_dir))
            .expect("dir")
            .map(|e| e.expect("entry"))
            .filter(|e| is_journal_file(&e.file_name().to_string_lossy()))
            .map(|e| (e.file_name(), std::fs::read(e.path()).expect("read")))
            .collect()
    }

    fn put_journal_files(data_dir: &Path, files: &[(std::ffi::OsString, Vec<u8>)]) {
        std::fs::create_dir_all(store_dir(data_dir)).expect("dir");
        for (name, bytes) in files {
            std::fs::write(store_dir(data_dir).join(name), bytes).expect("write");
        }
    }

    fn lead(rid: &str) -> Lead {
        let now = Timestamp::now();
        Lead {
            roistat_lead_id: Some(rid.into()),
            title: format!("Заявка {rid}"),
            created: now,
            updated: now,
            origin: crate::domain::Origin::ProxyLead,
            ..Lead::default()
        }
    }

    fn contact(phone: &str) -> Contact {
        Contact { name: "Иван".into(), phone: phone.into(), email: String::new() }
    }

    #[test]
    fn a_journal_replays_into_a_store_that_lost_the_writes() {
        let source = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(source.path()).expect("open");
        let first = store
            .intake_leads(&[(lead("r1"), contact("+7 901 000-00-01")), (lead("r2"), contact("79010000001"))])
            .expect("intake");
        let second = store.intake_lead(lead("r3"), &contact("79010000003")).expect("intake");
        store.sync_intake().expect("sync");
        let journal = journal_files(source.path());
        drop(store);

        // A store whose sled files never got these writes, with the journal that did.
        let target = tempfile::tempdir().expect("tempdir");
        put_journal_files(target.path(), &journal);
        let store = SledStore::open(target.path()).expect("open with a journal");
        for intake in first.iter().chain([&second]) {
            let rid = intake.lead.roistat_lead_id.as_deref().expect("rid");
            let found = store.lead_by_roistat_id(rid).expect("read").expect("replayed");
            assert_eq!(found, intake.lead);
        }
        // Both first leads share one client (same phone); the indexes are back.
        assert_eq!(first[0].lead.client_id, first[1].lead.client_id);
        assert_eq!(store.all_clients().expect("clients").len(), 2);
        let ids = store.lead_ids_changed_since(Timestamp::UNIX_EPOCH).expect("index");
        assert_eq!(ids.len(), 3);
        // The journal is empty after the replay; new leads get new ids and numbers.
        assert_eq!(store.intake_journal_len(), 0);
        let next = store.intake_lead(lead("r4"), &contact("79010000004")).expect("intake");
        assert_eq!(next.lead.id, second.lead.id + 1);
        assert_eq!(next.lead.number, second.lead.number + 1);
        assert!(next.lead.client_id > second.lead.client_id);
    }

    #[test]
    fn a_replay_brings_back_the_history_of_the_leads_it_writes() {
        let source = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(source.path()).expect("open");
        let intake = store.intake_lead(lead("r1"), &contact("79010000001")).expect("intake");
        let typist = Actor { author: "petrov".into(), origin: "окно".into() };
        let typed = store
            .add_leads(vec![Lead { title: "Звонок в офис".into(), ..Lead::default() }], &typist, || {})
            .expect("add");
        store.sync_intake().expect("sync");
        let journal = journal_files(source.path());
        let before = store.history(&crate::domain::HistoryFilter::default()).expect("history");
        drop(store);

        let target = tempfile::tempdir().expect("tempdir");
        put_journal_files(target.path(), &journal);
        let store = SledStore::open(target.path()).expect("open with a journal");
        let after = store.history(&crate::domain::HistoryFilter::default()).expect("history");
        assert_eq!(after, before);
        let authors: Vec<(&str, u64)> = after.iter().map(|e| (e.author.as_str(), e.object.id())).collect();
        assert_eq!(authors, vec![("petrov", typed[0].id), (AUTHOR_ROISTAT, intake.lead.id)]);
        // The history counter came back too: the next entry gets a new id.
        let edit = crate::domain::LeadEdit::set(&typed[0], crate::domain::LeadValue::Title("Звонок".into()));
        store.change_lead(typed[0].id, Some(1), &[edit], "petrov", "окно", Timestamp::now()).expect("edit");
        let newest = store.history(&crate::domain::HistoryFilter { limit: 1, ..Default::default() }).expect("history");
        assert!(newest[0].id > after[0].id, "{newest:?}");
    }

    #[test]
    fn a_batchs_history_is_one_group_and_every_entry_of_it_is_found() {
        use crate::domain::HistoryFilter;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open");
        let single = store.intake_lead(lead("r0"), &contact("79010000000")).expect("intake");
        let items: Vec<(Lead, Contact)> =
            (1..=4).map(|i| (lead(&format!("r{i}")), contact(&format!("7901000000{i}")))).collect();
        let batch = store.intake_leads(&items).expect("intake");
        let edit = crate::domain::LeadEdit::set(&batch[1].lead, crate::domain::LeadValue::Title("Звонок".into()));
        store.change_lead(batch[1].lead.id, Some(1), &[edit], "petrov", "окно", Timestamp::now()).expect("edit");
        // One value for the four entries of the batch, beside the single entry and the edit's.
        assert_eq!(store.inner.t.history.len(), 3);
        assert_eq!(store.inner.t.history_by_object.len(), 6);

        let all = store.history(&HistoryFilter::default()).expect("history");
        let objects: Vec<u64> = all.iter().map(|e| e.object.id()).collect();
        let ids: Vec<u64> = batch.iter().map(|i| i.lead.id).collect();
        assert_eq!(objects, vec![ids[1], ids[3], ids[2], ids[1], ids[0], single.lead.id], "newest first");
        assert!(all.windows(2).all(|w| w[0].id > w[1].id));
        // A page that starts inside the group.
        let page = store.history(&HistoryFilter { before_id: Some(all[2].id), limit: 2, ..Default::default() });
        assert_eq!(page.expect("page"), all[3..5].to_vec());
        // One lead's history: its creation from inside the group, and the edit.
        let of_lead = store.history(&HistoryFilter { lead: Some(ids[1]), ..Default::default() }).expect("lead");
        assert_eq!(of_lead, vec![all[0].clone(), all[3].clone()]);
        for (i, id) in ids.iter().enumerate() {
            let of_lead = store.history(&HistoryFilter { lead: Some(*id), ..Default::default() }).expect("lead");
            assert_eq!(of_lead.last().map(|e| e.author.as_str()), Some(AUTHOR_ROISTAT), "lead {i}");
        }
    }

    #[test]
    fn leads_typed_in_replay_from_the_journal_with_their_ids_and_numbers() {
        let source = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(source.path()).expect("open");
        let typed = Lead { title: "Звонок в офис".into(), ..Lead::default() };
        let added = store.add_leads(vec![typed.clone(), lead("r1")], &Actor::default(), || {}).expect("add");
        store.sync_intake().expect("sync");
        let journal = journal_files(source.path());
        drop(store);

        let target = tempfile::tempdir().expect("tempdir");
        put_journal_files(target.path(), &journal);
        let store = SledStore::open(target.path()).expect("open with a journal");
        for lead in &added {
            assert_eq!(store.lead(lead.id).expect("read").as_ref(), Some(lead));
        }
        assert_eq!(added[1].number, added[0].number + 1);
        assert_eq!(store.lead_by_roistat_id("r1").expect("read").map(|l| l.id), Some(added[1].id));
        // The counters came back too: the next lead follows on.
        let next = store.add_leads(vec![typed], &Actor::default(), || {}).expect("add");
        assert_eq!((next[0].id, next[0].number), (added[1].id + 1, added[1].number + 1));
    }

    #[test]
    fn a_replay_over_a_store_that_has_the_writes_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open");
        let intake = store.intake_lead(lead("r1"), &contact("79010000001")).expect("intake");
        let client_id = intake.lead.client_id.expect("client");
        store.sync_intake().expect("sync");
        let journal = journal_files(dir.path());
        // Later the manager edits the lead and the client; then a crash leaves the journal behind.
        let mut edited = intake.lead.clone();
        edited.title = "Изменено менеджером".into();
        store.update_lead(&edited).expect("edit");
        let mut client = stored_client(&store, client_id);
        client.name = "Иван Петров".into();
        store.put_client(client.clone(), &Actor::default()).expect("edit client");
        store.durable().expect("flush");
        drop(store);
        put_journal_files(dir.path(), &journal);

        let store = SledStore::open(dir.path()).expect("reopen");
        assert_eq!(store.lead_count(), 1);
        assert_eq!(store.lead(intake.lead.id).expect("read").expect("lead").title, "Изменено менеджером");
        assert_eq!(stored_client(&store, client_id).name, "Иван Петров");
        assert_eq!(store.lead_ids_changed_since(Timestamp::UNIX_EPOCH).expect("index"), vec![intake.lead.id]);
    }

    #[test]
    fn resends_inside_and_across_batches_create_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open");
        let intakes = store
            .intake_leads(&[(lead("r1"), contact("79010000001")), (lead("r1"), contact("79010000001"))])
            .expect("intake");
        assert!(intakes[0].created && !intakes[1].created);
        assert_eq!(intakes[0].lead, intakes[1].lead);
        let again = store.intake_lead(lead("r1"), &contact("79010000001")).expect("resend");
        assert!(!again.created);
        assert_eq!(again.lead.id, intakes[0].lead.id);
        assert_eq!(store.lead_count(), 1);
        assert_eq!(store.all_clients().expect("clients").len(), 1);
    }

    #[test]
    fn a_matched_client_gets_its_empty_fields_filled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open");
        let first = store
            .intake_lead(
                lead("r1"),
                &Contact { name: String::new(), phone: "79010000001".into(), email: String::new() },
            )
            .expect("intake");
        let second = store
            .intake_lead(
                lead("r2"),
                &Contact {
                    name: "Анна".into(), phone: "8 (901) 000-00-01".into(), email: "anna@example.ru".into()
                },
            )
            .expect("intake");
        assert_eq!(first.lead.client_id, second.lead.client_id);
        let client = stored_client(&store, first.lead.client_id.expect("client"));
        assert_eq!((client.name.as_str(), client.email.as_str()), ("Анна", "anna@example.ru"));
        assert!(store.checkpoint().is_ok());
        assert_eq!(store.intake_journal_len(), 0);
    }

    #[test]
    fn the_journal_is_emptied_only_once_it_is_big() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open");
        store.intake_lead(lead("small"), &contact("79010000001")).expect("intake");
        store.checkpoint_when_due().expect("not due");
        let small = store.intake_journal_len();
        assert!(small > 0);
        let big = Lead { text: "я".repeat(CHECKPOINT_BYTES as usize / 2 + 1), ..lead("big") };
        store.intake_lead(big, &contact("79010000002")).expect("intake");
        assert!(store.intake_journal_len() > CHECKPOINT_BYTES);
        store.checkpoint_when_due().expect("due");
        assert_eq!(store.intake_journal_len(), 0);
        drop(store);
        let store = SledStore::open(dir.path()).expect("reopen");
        assert_eq!(store.lead_count(), 2);
    }

    #[test]
    fn leads_acknowledged_after_a_torn_append_survive_a_crash() {
        let source = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(source.path()).expect("open");
        let first = store.intake_lead(lead("r1"), &contact("79010000001")).expect("intake");
        store.inner.journal.faults.torn_appends.store(1, Ordering::SeqCst);
        let failed = store.intake_lead(lead("r2"), &contact("79010000002")).expect_err("disk full");
        assert!(matches!(failed, StoreError::Unavailable { .. }), "{failed:?}");
        assert!(store.lead_by_roistat_id("r2").expect("read").is_none(), "nothing of a failed batch is stored");
        let later: Vec<Intake> = ["r3", "r4", "r5"]
            .into_iter()
            .map(|rid| store.intake_lead(lead(rid), &contact("79010000003")).expect("intake after the failure"))
            .collect();
        store.sync_intake().expect("sync");
        let journal = journal_files(source.path());
        drop(store);

        // sled lost every write (SIGKILL before any flush): the journal alone brings them back.
        let target = tempfile::tempdir().expect("tempdir");
        put_journal_files(target.path(), &journal);
        let store = SledStore::open(target.path()).expect("open after the crash");
        for intake in [&first].into_iter().chain(&later) {
            let rid = intake.lead.roistat_lead_id.as_deref().expect("rid");
            assert_eq!(store.lead_by_roistat_id(rid).expect("read"), Some(intake.lead.clone()), "{rid}");
        }
        assert_eq!(store.lead_count(), 4);
        // No id or number is handed out twice.
        let next = store.intake_lead(lead("r6"), &contact("79010000006")).expect("intake");
        let mut ids: Vec<u64> = [&first].into_iter().chain(&later).map(|i| i.lead.id).chain([next.lead.id]).collect();
        let mut numbers: Vec<u64> =
            [&first].into_iter().chain(&later).map(|i| i.lead.number).chain([next.lead.number]).collect();
        ids.dedup();
        numbers.dedup();
        assert_eq!((ids.len(), numbers.len()), (5, 5));
        assert!(next.lead.id > later[2].lead.id && next.lead.number > later[2].lead.number);
    }

    #[test]
    fn a_damaged_journal_refuses_the_open_and_no_id_is_handed_out_twice() {
        let source = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(source.path()).expect("open");
        let intakes: Vec<Intake> = ["r1", "r2", "r3"]
            .into_iter()
            .map(|rid| store.intake_lead(lead(rid), &contact("79010000001")).expect("intake"))
            .collect();
        store.sync_intake().expect("sync");
        let journal = journal_files(source.path());
        drop(store);
        assert_eq!(journal.len(), 1);

        let target = tempfile::tempdir().expect("tempdir");
        let mut damaged = journal.clone();
        let bytes = &mut damaged[0].1;
        let second_frame = 8 + u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        bytes[second_frame + 20] ^= 0xff;
        put_journal_files(target.path(), &damaged);
        let path = store_dir(target.path()).join(&damaged[0].0);
        for _ in 0..2 {
            let refused = match SledStore::open(target.path()) {
                Ok(_) => panic!("a damaged journal opened"),
                Err(e) => e,
            };
            assert!(matches!(refused, StoreError::JournalDamaged { .. }), "{refused:?}");
            assert!(refused.to_string().contains(&path.display().to_string()), "{refused}");
            assert_eq!(std::fs::read(&path).expect("read"), damaged[0].1, "the file is kept as it was");
        }

        // The file restored from a copy: every lead is back and new ones get new ids.
        put_journal_files(target.path(), &journal);
        let store = SledStore::open(target.path()).expect("open");
        assert_eq!(store.lead_count(), 3);
        let next = store.intake_lead(lead("r4"), &contact("79010000004")).expect("intake");
        assert_eq!(next.lead.id, intakes[2].lead.id + 1);
        assert_eq!(next.lead.number, intakes[2].lead.number + 1);
    }

    #[test]
    fn a_checkpoint_removes_the_journal_only_for_what_sled_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path()).expect("open");
        let first = store.intake_lead(lead("r1"), &contact("79010000001")).expect("intake");
        store.checkpoint().expect("checkpoint");
        assert_eq!(store.inner.journal.sealed_count(), 0);
        let second = store.intake_lead(lead("r2"), &contact("79010000002")).expect("intake");
        store.sync_intake().expect("sync");
        let journal = journal_files(dir.path());
        drop(store);
        // Only the lead after the checkpoint is still in the journal; sled's files hold the first.
        let store = SledStore::open(dir.path()).expect("reopen");
        assert_eq!(store.lead(first.lead.id).expect("read"), Some(first.lead.clone()));
        assert_eq!(store.lead(second.lead.id).expect("read"), Some(second.lead.clone()));
        let target = tempfile::tempdir().expect("tempdir");
        put_journal_files(target.path(), &journal);
        let replayed = SledStore::open(target.path()).expect("open");
        assert_eq!(replayed.lead_count(), 1);
        assert!(replayed.lead(second.lead.id).expect("read").is_some());
    }
}
