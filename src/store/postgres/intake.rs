//! Roistat's leads on PostgreSQL, a whole batch in a few set-based statements: one round trip
//! reads the leads already stored under the batch's Roistat ids and locks the clients holding any
//! of its phones or e-mails; the clients are then matched here, lead by lead, exactly as one lead
//! at a time would be matched in the database (a resend gets its first copy, two leads with one
//! phone get one client, a found client's empty fields are filled when no other client holds what
//! fills them); one statement takes the ids and numbers from the counters, one writes the clients,
//! one the leads, and one round trip records the change with one `NOTIFY`. A concurrent batch
//! that stores the same Roistat id, phone or e-mail first makes ours fail with a unique violation;
//! the transaction is then tried again and finds what the other one stored.

use super::TxResult;
use super::feed::{Kind, record_all};
use super::leads::client_keys;
use crate::domain::{Client, Contact, Lead, normalize_email, normalize_phone};
use crate::store::record::{CLIENT_ID, LEAD_ID, LEAD_NUMBER};
use crate::store::{Intake, StoreError};
use deadpool_postgres::Transaction;
use jiff::Timestamp;
use std::collections::HashMap;

/// What a batch looks up: its Roistat ids and its contacts' phones and e-mails, normalized.
pub(super) struct Keys {
    roistat_ids: Vec<String>,
    phones: Vec<String>,
    emails: Vec<String>,
}

impl Keys {
    pub(super) fn of(items: &[(Lead, Contact)]) -> Keys {
        let mut keys = Keys { roistat_ids: Vec::new(), phones: Vec::new(), emails: Vec::new() };
        for (lead, contact) in items {
            keys.roistat_ids.extend(lead.roistat_lead_id.clone());
            if !contact.is_empty() {
                keys.phones.push(normalize_phone(&contact.phone));
                keys.emails.push(normalize_email(&contact.email));
            }
        }
        for list in [&mut keys.roistat_ids, &mut keys.phones, &mut keys.emails] {
            list.retain(|k| !k.is_empty());
            list.sort_unstable();
            list.dedup();
        }
        keys
    }
}

/// A client as the batch sees it: a stored one (locked) or one this batch creates.
struct Slot {
    client: Client,
    new: bool,
    changed: bool,
}

/// The clients that hold any of the batch's keys, and those the batch adds: every phone or e-mail
/// the matching asks about is answered here as the database would answer it.
#[derive(Default)]
struct Clients {
    slots: Vec<Slot>,
    by_phone: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
    /// The contacts matched so far (`p:` phone, `e:` e-mail) and their clients.
    by_contact: HashMap<String, usize>,
}

impl Clients {
    fn add(&mut self, slot: Slot, phone: Option<String>, email: Option<String>) -> usize {
        self.slots.push(slot);
        let at = self.slots.len() - 1;
        self.index(at, phone, email);
        at
    }

    fn index(&mut self, at: usize, phone: Option<String>, email: Option<String>) {
        if let Some(phone) = phone {
            self.by_phone.insert(phone, at);
        }
        if let Some(email) = email {
            self.by_email.insert(email, at);
        }
    }

    /// Whether another client holds the normalized phone or e-mail of `client`.
    fn taken(&self, at: usize, client: &Client) -> bool {
        let (phone, email) = client_keys(client);
        let other = |found: Option<&usize>| found.is_some_and(|&i| i != at);
        phone.is_some_and(|p| other(self.by_phone.get(&p))) || email.is_some_and(|e| other(self.by_email.get(&e)))
    }

    /// The client of a contact: matched earlier in the batch, a stored one by phone, else by
    /// e-mail (its empty fields filled), or a new one.
    fn client_for(&mut self, contact: &Contact, now: Timestamp) -> usize {
        let phone = normalize_phone(&contact.phone);
        let email = normalize_email(&contact.email);
        let keys = [(!phone.is_empty(), format!("p:{phone}")), (!email.is_empty(), format!("e:{email}"))];
        let earlier = keys.iter().find_map(|(usable, key)| usable.then(|| self.by_contact.get(key)).flatten());
        let stored = || {
            let by_phone = (!phone.is_empty()).then(|| self.by_phone.get(&phone)).flatten();
            by_phone.or_else(|| (!email.is_empty()).then(|| self.by_email.get(&email)).flatten())
        };
        let at = match earlier.or_else(stored).copied() {
            Some(at) => {
                let mut filled = self.slots[at].client.clone();
                if filled.fill_empty_from(contact) && !self.taken(at, &filled) {
                    filled.updated = now;
                    let (phone, email) = client_keys(&filled);
                    self.slots[at].client = filled;
                    self.slots[at].changed = true;
                    self.index(at, phone, email);
                }
                at
            }
            None => {
                let client = Client {
                    name: contact.name.trim().to_string(),
                    phone: contact.phone.trim().to_string(),
                    email: contact.email.trim().to_string(),
                    created: now,
                    updated: now,
                    ..Client::default()
                };
                let (phone, email) = client_keys(&client);
                self.add(Slot { client, new: true, changed: true }, phone, email)
            }
        };
        for (usable, key) in keys {
            if usable {
                self.by_contact.insert(key, at);
            }
        }
        at
    }
}

type Params<'a, const N: usize> = [&'a (dyn tokio_postgres::types::ToSql + Sync); N];

/// What becomes of one item of the batch.
enum Outcome {
    Stored(Lead),
    /// A resend of the item at this index of the batch.
    SameAs(usize),
    /// The new lead at this index of the new ones.
    New(usize),
}

fn json<T: serde::Serialize>(value: &T) -> TxResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Invalid(format!("заявка не сохранена: запись не переводится в JSON: {e}")).into())
}

pub(super) async fn run(tx: &Transaction<'_>, items: &[(Lead, Contact)], keys: &Keys) -> TxResult<Vec<Intake>> {
    // Pipelined statements: when one fails, those after it fail only because the transaction is
    // aborted, so the first error in order is the one that tells whether to try again.
    let (stored_leads, stored_clients) = tokio::join!(
        tx.prepare_cached("SELECT roistat_lead_id, record FROM leads WHERE roistat_lead_id = ANY($1)"),
        tx.prepare_cached(
            "SELECT phone_key, email_key, record FROM clients WHERE phone_key = ANY($1) OR email_key = ANY($2) \
             ORDER BY id FOR UPDATE"
        ),
    );
    let (stored_leads, stored_clients) = (stored_leads?, stored_clients?);
    let (lead_params, client_params): (Params<'_, 1>, Params<'_, 2>) =
        ([&keys.roistat_ids], [&keys.phones, &keys.emails]);
    let (stored_leads, stored_clients) =
        tokio::join!(tx.query(&stored_leads, &lead_params), tx.query(&stored_clients, &client_params));
    let (stored_leads, stored_clients) = (stored_leads?, stored_clients?);
    let mut stored: HashMap<String, Lead> = HashMap::with_capacity(stored_leads.len());
    for row in &stored_leads {
        stored.insert(row.get(0), super::record(row, 1)?);
    }
    let mut clients = Clients::default();
    for row in &stored_clients {
        let client: Client = super::record(row, 2)?;
        clients.add(Slot { client, new: false, changed: false }, row.get(0), row.get(1));
    }

    let mut outcomes = Vec::with_capacity(items.len());
    let mut first_copy: HashMap<&str, usize> = HashMap::new();
    let mut new_leads: Vec<(Lead, Option<usize>)> = Vec::new();
    let mut touched_clients = false;
    for (item, contact) in items {
        if let Some(rid) = item.roistat_lead_id.as_deref() {
            if let Some(&i) = first_copy.get(rid) {
                outcomes.push(Outcome::SameAs(i));
                continue;
            }
            if let Some(lead) = stored.get(rid) {
                outcomes.push(Outcome::Stored(lead.clone()));
                continue;
            }
            first_copy.insert(rid, outcomes.len());
        }
        let client = (!contact.is_empty()).then(|| clients.client_for(contact, item.created));
        touched_clients |= client.is_some();
        outcomes.push(Outcome::New(new_leads.len()));
        new_leads.push((item.clone(), client));
    }
    if new_leads.is_empty() {
        return Ok(finish(outcomes, Vec::new()));
    }

    let new_clients = clients.slots.iter().filter(|s| s.new).count() as i64;
    let n = new_leads.len() as i64;
    let wanted: Vec<(&str, i64)> =
        [(CLIENT_ID, new_clients), (LEAD_ID, n), (LEAD_NUMBER, n)].into_iter().filter(|(_, n)| *n > 0).collect();
    let first = take_all(tx, &wanted).await?;
    let first_of = |name: &str| first.get(name).copied().unwrap_or(1);
    let mut next_client = first_of(CLIENT_ID);
    for slot in clients.slots.iter_mut().filter(|s| s.new) {
        slot.client.id = next_client;
        next_client += 1;
    }
    let (first_id, first_number) = (first_of(LEAD_ID), first_of(LEAD_NUMBER));
    let leads: Vec<Lead> = (0u64..)
        .zip(new_leads)
        .map(|(i, (lead, client))| Lead {
            id: first_id + i,
            number: first_number + i,
            version: 1,
            client_id: client.map(|at| clients.slots[at].client.id).or(lead.client_id),
            ..lead
        })
        .collect();

    let changed: Vec<&Client> = clients.slots.iter().filter(|s| s.changed).map(|s| &s.client).collect();
    let (put_clients, put_leads) = tokio::join!(
        tx.prepare_cached(
            "INSERT INTO clients (id, phone_key, email_key, record) \
             SELECT id, phone_key, email_key, record::jsonb \
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS t(id, phone_key, email_key, record) \
             ON CONFLICT (id) DO UPDATE SET phone_key = excluded.phone_key, email_key = excluded.email_key, \
             record = excluded.record"
        ),
        tx.prepare_cached(
            "INSERT INTO leads (id, number, roistat_lead_id, created, updated, is_template, deleted, status_id, \
             version, record) \
             SELECT id, number, roistat_lead_id, created, updated, is_template, deleted, status_id, version, \
             record::jsonb FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[], \
             $5::timestamptz[], $6::boolean[], $7::boolean[], $8::bigint[], $9::bigint[], $10::text[]) \
             AS t(id, number, roistat_lead_id, created, updated, is_template, deleted, status_id, version, record)"
        ),
    );
    let (put_clients, put_leads) = (put_clients?, put_leads?);
    let client_ids: Vec<i64> = changed.iter().map(|c| c.id as i64).collect();
    let (client_phones, client_emails): (Vec<Option<String>>, Vec<Option<String>>) =
        changed.iter().map(|c| client_keys(c)).unzip();
    let client_records = changed.iter().map(|c| json(c)).collect::<TxResult<Vec<String>>>()?;
    let ids: Vec<i64> = leads.iter().map(|l| l.id as i64).collect();
    let numbers: Vec<i64> = leads.iter().map(|l| l.number as i64).collect();
    let roistat_ids: Vec<Option<&str>> = leads.iter().map(|l| l.roistat_lead_id.as_deref()).collect();
    let created: Vec<Timestamp> = leads.iter().map(|l| l.created).collect();
    let updated: Vec<Timestamp> = leads.iter().map(|l| l.updated).collect();
    let templates: Vec<bool> = leads.iter().map(|l| l.is_template).collect();
    let deleted: Vec<bool> = leads.iter().map(|l| l.deleted).collect();
    let statuses: Vec<Option<i64>> = leads.iter().map(|l| l.status_id.map(|s| s as i64)).collect();
    let versions: Vec<i64> = leads.iter().map(|l| l.version as i64).collect();
    let records = leads.iter().map(json).collect::<TxResult<Vec<String>>>()?;
    let write_clients = async {
        if !changed.is_empty() {
            tx.execute(&put_clients, &[&client_ids, &client_phones, &client_emails, &client_records]).await?;
        }
        Ok::<_, tokio_postgres::Error>(())
    };
    let lead_params: Params<'_, 10> =
        [&ids, &numbers, &roistat_ids, &created, &updated, &templates, &deleted, &statuses, &versions, &records];
    let write_leads = tx.execute(&put_leads, &lead_params);
    let (clients_written, leads_written) = tokio::join!(write_clients, write_leads);
    clients_written?;
    leads_written?;
    let lead_ids: Vec<u64> = leads.iter().map(|l| l.id).collect();
    let mut changes = vec![(Kind::Leads, lead_ids.as_slice())];
    if touched_clients {
        changes.push((Kind::Clients, &[]));
    }
    record_all(tx, &changes).await?;
    Ok(finish(outcomes, leads))
}

/// Takes `n` consecutive values of each named counter in one statement; the first of each.
async fn take_all(tx: &Transaction<'_>, wanted: &[(&str, i64)]) -> TxResult<HashMap<String, u64>> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO counters (name, next) SELECT name, 1 + n FROM unnest($1::text[], $2::bigint[]) AS t(name, n) \
             ON CONFLICT (name) DO UPDATE SET next = counters.next + excluded.next - 1 RETURNING name, next",
        )
        .await?;
    let names: Vec<&str> = wanted.iter().map(|(name, _)| *name).collect();
    let counts: Vec<i64> = wanted.iter().map(|(_, n)| *n).collect();
    let rows = tx.query(&statement, &[&names, &counts]).await?;
    let taken: HashMap<&str, i64> = wanted.iter().copied().collect();
    Ok(rows
        .iter()
        .map(|row| {
            let name: String = row.get(0);
            let next: i64 = row.get(1);
            let first = next - taken.get(name.as_str()).copied().unwrap_or(0);
            (name, first as u64)
        })
        .collect())
}

fn finish(outcomes: Vec<Outcome>, leads: Vec<Lead>) -> Vec<Intake> {
    let mut intakes: Vec<Intake> = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let intake = match outcome {
            Outcome::Stored(lead) => Intake { lead, created: false },
            Outcome::SameAs(i) => Intake { lead: intakes[i].lead.clone(), created: false },
            Outcome::New(i) => Intake { lead: leads[i].clone(), created: true },
        };
        intakes.push(intake);
    }
    intakes
}
