//! Roistat's leads on PostgreSQL, a whole batch in a few set-based statements: one round trip
//! reads the leads already stored under the batch's Roistat ids and locks the clients holding any
//! of its phones or e-mails; the clients are then matched here, lead by lead, exactly as one lead
//! at a time would be matched in the database (a resend gets its first copy, two leads with one
//! phone get one client, a found client's empty fields are filled when no other client holds what
//! fills them); one statement takes the ids and numbers from the counters, one writes the clients,
//! one the leads, and one round trip records the new leads' history and the change with one
//! `NOTIFY`. A concurrent batch
//! that stores the same Roistat id, phone or e-mail first makes ours fail with a unique violation;
//! the transaction is then tried again and finds what the other one stored.

use super::TxResult;
use super::leads::client_keys;
use crate::domain::{Client, Contact, Lead, normalize_email, normalize_phone};
use crate::store::record::{CLIENT_ID, LEAD_ID, LEAD_NUMBER};
use crate::store::{Intake, StoreError};
use deadpool_postgres::Client as Connection;
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
                let client = Client::of_contact(contact, now);
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
    Stored(Box<Lead>),
    /// A resend of the item at this index of the batch.
    SameAs(usize),
    /// The new lead at this index of the new ones.
    New(usize),
}

fn json<T: serde::Serialize>(value: &T) -> TxResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Invalid(format!("заявка не сохранена: запись не переводится в JSON: {e}")).into())
}

/// One try of a batch on one connection, its own transaction: `BEGIN` goes with the lookups and
/// `COMMIT` with the history and the change record, so a batch takes three round trips and holds
/// the counters for two. On an error the transaction is rolled back (a `COMMIT` after a failed statement
/// already rolled it back; the `ROLLBACK` then only warns).
pub(super) async fn run(client: Connection, items: &[(Lead, Contact)], keys: &Keys) -> TxResult<Vec<Intake>> {
    let open = Open(Some(client));
    let Some(connection) = open.0.as_ref() else {
        return Err(StoreError::Db("соединение для приёма заявок потеряно".into()).into());
    };
    let outcome = tried(connection, items, keys).await;
    if outcome.is_err() && !connection.is_closed() {
        let _ = connection.batch_execute("ROLLBACK").await;
    }
    open.ended();
    outcome
}

/// A connection inside a transaction this code began. Should the intake be dropped half-way,
/// the connection is closed rather than returned to the pool (the server rolls back), so no one
/// else ever runs inside that transaction.
struct Open(Option<Connection>);

impl Open {
    /// The transaction ended: the connection goes back to the pool.
    fn ended(mut self) {
        self.0.take();
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        if let Some(connection) = self.0.take() {
            drop(deadpool_postgres::Object::take(connection));
        }
    }
}

async fn tried(tx: &Connection, items: &[(Lead, Contact)], keys: &Keys) -> TxResult<Vec<Intake>> {
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
    // Prepared before `BEGIN`: preparing a statement locks its tables, and inside the transaction
    // the change log's lock would then be held from here on, under other batches' feet.
    let (write, lock, log, notify, history) = tokio::join!(
        tx.prepare_cached(WRITE),
        tx.prepare_cached(LOCK_CHANGE_LOG),
        tx.prepare_cached(LOG),
        tx.prepare_cached(NOTIFY),
        tx.prepare_cached(super::history::INSERT)
    );
    let (write, lock, log, notify, history) = (write?, lock?, log?, notify?, history?);
    let (lead_params, client_params): (Params<'_, 1>, Params<'_, 2>) =
        ([&keys.roistat_ids], [&keys.phones, &keys.emails]);
    let (begun, stored_leads, stored_clients) = tokio::join!(
        tx.batch_execute("BEGIN"),
        tx.query(&stored_leads, &lead_params),
        tx.query(&stored_clients, &client_params)
    );
    begun?;
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
                outcomes.push(Outcome::Stored(Box::new(lead.clone())));
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
        tx.batch_execute("COMMIT").await?;
        return Ok(finish(outcomes, Vec::new()));
    }

    // The new clients' places among the new ones; their ids come from the counter in the write.
    let mut new_index = vec![-1i64; clients.slots.len()];
    let mut new_clients = 0i64;
    for (at, slot) in clients.slots.iter().enumerate() {
        if slot.new {
            new_index[at] = new_clients;
            new_clients += 1;
        }
    }
    let changed: Vec<usize> = (0..clients.slots.len()).filter(|&at| clients.slots[at].changed).collect();
    let n = new_leads.len() as i64;
    let (names, counts): (Vec<&str>, Vec<i64>) =
        [(CLIENT_ID, new_clients), (LEAD_ID, n), (LEAD_NUMBER, n)].into_iter().filter(|(_, n)| *n > 0).unzip();
    let client_ids: Vec<i64> = changed.iter().map(|&at| clients.slots[at].client.id as i64).collect();
    let client_new: Vec<i64> = changed.iter().map(|&at| new_index[at]).collect();
    let (client_phones, client_emails): (Vec<Option<String>>, Vec<Option<String>>) =
        changed.iter().map(|&at| client_keys(&clients.slots[at].client)).unzip();
    let client_records = changed.iter().map(|&at| json(&clients.slots[at].client)).collect::<TxResult<Vec<_>>>()?;
    let mut leads: Vec<Lead> = Vec::with_capacity(new_leads.len());
    let mut lead_client_new = Vec::with_capacity(new_leads.len());
    for (lead, client) in new_leads {
        lead_client_new.push(client.map_or(-1, |at| new_index[at]));
        // A new client's id is set with the lead's in the write.
        let client_id = match client {
            Some(at) if clients.slots[at].new => None,
            Some(at) => Some(clients.slots[at].client.id),
            None => lead.client_id,
        };
        leads.push(Lead { version: 1, client_id, ..lead });
    }
    let places: Vec<i64> = (0..n).collect();
    let roistat_ids: Vec<Option<&str>> = leads.iter().map(|l| l.roistat_lead_id.as_deref()).collect();
    let created: Vec<Timestamp> = leads.iter().map(|l| l.created).collect();
    let updated: Vec<Timestamp> = leads.iter().map(|l| l.updated).collect();
    let templates: Vec<bool> = leads.iter().map(|l| l.is_template).collect();
    let deleted: Vec<bool> = leads.iter().map(|l| l.deleted).collect();
    let statuses: Vec<Option<i64>> = leads.iter().map(|l| l.status_id.map(|s| s as i64)).collect();
    let records = leads.iter().map(json).collect::<TxResult<Vec<String>>>()?;

    // From the counters' update to the commit every other intake waits, and from the change log's
    // lock every other writer: that part is two round trips, the write, then the history, the
    // change record and the commit sent together (the counters before the change log, the order
    // every writer takes them in).
    let params: Params<'_, 18> = [
        &names,
        &counts,
        &new_clients,
        &n,
        &client_ids,
        &client_new,
        &client_phones,
        &client_emails,
        &client_records,
        &places,
        &roistat_ids,
        &created,
        &updated,
        &templates,
        &deleted,
        &statuses,
        &lead_client_new,
        &records,
    ];
    // The history names each new lead by its id and number, known once the write has answered:
    // one more round trip, with the history, the change record and the commit sent together.
    let first = tx.query_one(&write, &params).await?;
    let (first_client, first_id, first_number): (i64, i64, i64) = (first.get(0), first.get(1), first.get(2));
    for ((i, lead), client_new) in (0u64..).zip(leads.iter_mut()).zip(lead_client_new) {
        lead.id = first_id as u64 + i;
        lead.number = first_number as u64 + i;
        if client_new >= 0 {
            lead.client_id = Some((first_client + client_new) as u64);
        }
    }
    let entries = super::history::intake_entries(&leads);
    let columns = super::history::Columns::of(&entries);
    let history_params = columns.params();
    let log_params: Params<'_, 2> = [&n, &touched_clients];
    let (recorded, locked, logged, notified, committed) = tokio::join!(
        tx.execute(&history, &history_params),
        tx.execute(&lock, &[]),
        tx.execute(&log, &log_params),
        tx.execute(&notify, &[]),
        tx.batch_execute("COMMIT")
    );
    recorded?;
    locked?;
    logged?;
    notified?;
    committed?;
    Ok(finish(outcomes, leads))
}

const LOCK_CHANGE_LOG: &str = "LOCK TABLE change_log IN EXCLUSIVE MODE";

const NOTIFY: &str = "SELECT pg_notify('skvoz', '')";

/// Takes the counters ($1 names, $2 how many of each; $3 new clients, $4 new leads), writes the
/// clients ($5 id or, for a new one, $6 its place among the new ones), the leads ($10 their
/// places, $17 a new client's place). Ids, numbers and new clients' ids go into the records here;
/// the first of each comes back.
const WRITE: &str = "\
WITH taken AS (
    INSERT INTO counters (name, next) SELECT name, 1 + n FROM unnest($1::text[], $2::bigint[]) AS t(name, n)
    ON CONFLICT (name) DO UPDATE SET next = counters.next + excluded.next - 1
    RETURNING name, next
), first AS (
    SELECT coalesce(max(next) FILTER (WHERE name = 'client_id'), 0) - $3::bigint AS client,
           coalesce(max(next) FILTER (WHERE name = 'lead_id'), 0) - $4::bigint AS lead,
           coalesce(max(next) FILTER (WHERE name = 'lead_number'), 0) - $4::bigint AS number
    FROM taken
), client_rows AS (
    SELECT CASE WHEN t.new_at >= 0 THEN first.client + t.new_at ELSE t.id END AS id,
           t.phone_key, t.email_key, t.record
    FROM unnest($5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[])
         AS t(id, new_at, phone_key, email_key, record), first
), clients_written AS (
    INSERT INTO clients (id, phone_key, email_key, record)
    SELECT id, phone_key, email_key, jsonb_set(record::jsonb, '{id}', to_jsonb(id)) FROM client_rows
    ON CONFLICT (id) DO UPDATE SET phone_key = excluded.phone_key, email_key = excluded.email_key,
        record = excluded.record
), lead_rows AS (
    SELECT first.lead + t.at AS id, first.number + t.at AS number, t.roistat_lead_id, t.created, t.updated,
           t.is_template, t.deleted, t.status_id,
           CASE WHEN t.client_at >= 0 THEN first.client + t.client_at END AS new_client, t.record
    FROM unnest($10::bigint[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::boolean[],
                $15::boolean[], $16::bigint[], $17::bigint[], $18::text[])
         AS t(at, roistat_lead_id, created, updated, is_template, deleted, status_id, client_at, record), first
), leads_written AS (
    INSERT INTO leads (id, number, roistat_lead_id, created, updated, is_template, deleted, status_id, version, record)
    SELECT id, number, roistat_lead_id, created, updated, is_template, deleted, status_id, 1,
           CASE WHEN new_client IS NULL THEN r ELSE jsonb_set(r, '{client_id}', to_jsonb(new_client)) END
    FROM lead_rows, jsonb_set(jsonb_set(record::jsonb, '{id}', to_jsonb(id)), '{number}', to_jsonb(number)) AS r
)
SELECT client, lead, number FROM first";

/// The change record of a batch of `$1` new leads (their ids the last the counter gave this
/// transaction) and, with `$2`, of clients.
const LOG: &str = "INSERT INTO change_log (kind, ids) \
    SELECT 'leads', array(SELECT generate_series(next - $1::bigint, next - 1)) FROM counters WHERE name = 'lead_id' \
    UNION ALL SELECT 'clients', '{}' WHERE $2::boolean";

fn finish(outcomes: Vec<Outcome>, leads: Vec<Lead>) -> Vec<Intake> {
    let mut intakes: Vec<Intake> = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let intake = match outcome {
            Outcome::Stored(lead) => Intake { lead: *lead, created: false },
            Outcome::SameAs(i) => Intake { lead: intakes[i].lead.clone(), created: false },
            Outcome::New(i) => Intake { lead: leads[i].clone(), created: true },
        };
        intakes.push(intake);
    }
    intakes
}
