//! Leads, clients and intake on PostgreSQL.
//!
//! Intake is idempotent through the unique Roistat lead id and makes one client per phone or
//! e-mail through unique keys: when a concurrent transaction takes the same key first, ours fails
//! with a unique violation, is retried, and then finds what the other one stored.

use super::feed::{Kind, record};
use super::{PgStore, TxResult, take};
use super::{history, intake};
use crate::domain::{
    Actor, Client, ClientId, Contact, HistoryObject, Lead, LeadEdit, LeadId, lead_changes, lead_created_entry,
    normalize_email, normalize_phone, record_changes,
};
use crate::store::record::{CLIENT_ID, LEAD_ID, LEAD_NUMBER, apply_edits, entry};
use crate::store::{Intake, Result, StoreError};
use deadpool_postgres::Transaction;
use jiff::Timestamp;
use std::collections::HashMap;
use tokio_postgres::types::Json;

const LEAD_COLUMNS: &str = "record";

fn some_key(key: String) -> Option<String> {
    (!key.is_empty()).then_some(key)
}

/// Writes a lead with its columns (a new one, or over the stored one).
pub(super) async fn put_lead(tx: &Transaction<'_>, lead: &Lead) -> TxResult<()> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO leads (id, number, roistat_lead_id, created, updated, is_template, deleted, status_id, version, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET number = $2, roistat_lead_id = $3, created = $4, updated = $5, \
             is_template = $6, deleted = $7, status_id = $8, version = $9, record = $10",
        )
        .await?;
    tx.execute(
        &statement,
        &[
            &(lead.id as i64),
            &(lead.number as i64),
            &lead.roistat_lead_id,
            &lead.created,
            &lead.updated,
            &lead.is_template,
            &lead.deleted,
            &lead.status_id.map(|s| s as i64),
            &(lead.version as i64),
            &Json(lead),
        ],
    )
    .await?;
    Ok(())
}

pub(super) fn client_keys(client: &Client) -> (Option<String>, Option<String>) {
    (some_key(normalize_phone(&client.phone)), some_key(normalize_email(&client.email)))
}

pub(super) async fn put_client(tx: &Transaction<'_>, client: &Client) -> TxResult<()> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO clients (id, phone_key, email_key, record) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET phone_key = $2, email_key = $3, record = $4",
        )
        .await?;
    let phone = some_key(normalize_phone(&client.phone));
    let email = some_key(normalize_email(&client.email));
    tx.execute(&statement, &[&(client.id as i64), &phone, &email, &Json(client)]).await?;
    Ok(())
}

async fn lead_in(tx: &Transaction<'_>, id: LeadId, lock: bool) -> TxResult<Option<Lead>> {
    let sql = if lock {
        "SELECT record FROM leads WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT record FROM leads WHERE id = $1"
    };
    let statement = tx.prepare_cached(sql).await?;
    match tx.query_opt(&statement, &[&(id as i64)]).await? {
        Some(row) => Ok(Some(super::record(&row, 0)?)),
        None => Ok(None),
    }
}

/// The client a contact belongs to (by phone, else by e-mail), locked for this transaction.
async fn find_client(tx: &Transaction<'_>, phone: &str, email: &str) -> TxResult<Option<Client>> {
    let statement = tx
        .prepare_cached(
            "SELECT record FROM clients WHERE phone_key = $1 OR email_key = $2 \
             ORDER BY (phone_key = $1) IS TRUE DESC LIMIT 1 FOR UPDATE",
        )
        .await?;
    let (phone, email) = (some_key(phone.to_string()), some_key(email.to_string()));
    match tx.query_opt(&statement, &[&phone, &email]).await? {
        Some(row) => Ok(Some(super::record(&row, 0)?)),
        None => Ok(None),
    }
}

/// Whether another client already holds the normalized phone or e-mail.
async fn key_taken(tx: &Transaction<'_>, client: &Client) -> TxResult<bool> {
    let statement = tx
        .prepare_cached("SELECT 1 FROM clients WHERE id <> $1 AND (phone_key = $2 OR email_key = $3) LIMIT 1")
        .await?;
    let phone = some_key(normalize_phone(&client.phone));
    let email = some_key(normalize_email(&client.email));
    Ok(tx.query_opt(&statement, &[&(client.id as i64), &phone, &email]).await?.is_some())
}

/// The clients matched so far by contact key, for [`client_for`].
#[derive(Default)]
struct BatchClients {
    by_key: HashMap<String, ClientId>,
}

/// The client of a contact: of this batch, a stored one (its empty fields filled), or a new one.
async fn client_for(
    tx: &Transaction<'_>,
    batch: &mut BatchClients,
    contact: &Contact,
    now: Timestamp,
) -> TxResult<ClientId> {
    let phone = normalize_phone(&contact.phone);
    let email = normalize_email(&contact.email);
    let keys = [format!("p:{phone}"), format!("e:{email}")];
    let known = [(!phone.is_empty(), &keys[0]), (!email.is_empty(), &keys[1])];
    let in_batch = known.iter().find_map(|(usable, key)| usable.then(|| batch.by_key.get(*key)).flatten().copied());
    let client = match in_batch {
        Some(id) => {
            let statement = tx.prepare_cached("SELECT record FROM clients WHERE id = $1").await?;
            let row = tx.query_one(&statement, &[&(id as i64)]).await?;
            let mut client: Client = super::record(&row, 0)?;
            if client.fill_empty_from(contact) && !key_taken(tx, &client).await? {
                client.updated = now;
                put_client(tx, &client).await?;
            }
            client
        }
        None => match find_client(tx, &phone, &email).await? {
            Some(mut client) => {
                let mut filled = client.clone();
                if filled.fill_empty_from(contact) && !key_taken(tx, &filled).await? {
                    filled.updated = now;
                    put_client(tx, &filled).await?;
                    client = filled;
                }
                client
            }
            None => {
                let client = Client { id: take(tx, CLIENT_ID, 1).await?, ..Client::of_contact(contact, now) };
                put_client(tx, &client).await?;
                client
            }
        },
    };
    for (usable, key) in known {
        if usable {
            batch.by_key.insert(key.clone(), client.id);
        }
    }
    Ok(client.id)
}

impl PgStore {
    pub async fn lead(&self, id: LeadId) -> Result<Option<Lead>> {
        let rows = self.query("SELECT record FROM leads WHERE id = $1", &[&(id as i64)]).await?;
        rows.first().map(|r| super::record(r, 0)).transpose()
    }

    /// Leads by ids, in the given order; ids that no longer exist are skipped.
    pub async fn leads_by_ids(&self, ids: &[LeadId]) -> Result<Vec<Lead>> {
        let wanted: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
        let rows = self.query("SELECT id, record FROM leads WHERE id = ANY($1)", &[&wanted]).await?;
        let mut found: HashMap<i64, Lead> = HashMap::with_capacity(rows.len());
        for row in &rows {
            found.insert(row.get(0), super::record(row, 1)?);
        }
        Ok(wanted.iter().filter_map(|id| found.remove(id)).collect())
    }

    pub async fn lead_by_roistat_id(&self, roistat_id: &str) -> Result<Option<Lead>> {
        let rows = self.query("SELECT record FROM leads WHERE roistat_lead_id = $1", &[&roistat_id]).await?;
        rows.first().map(|r| super::record(r, 0)).transpose()
    }

    async fn leads_where(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> Result<Vec<Lead>> {
        let rows = self.query(sql, params).await?;
        rows.iter().map(|r| super::record(r, 0)).collect()
    }

    pub async fn leads_newest(&self, n: usize) -> Result<Vec<Lead>> {
        let sql = format!("SELECT {LEAD_COLUMNS} FROM leads ORDER BY created DESC, id DESC LIMIT $1");
        self.leads_where(&sql, &[&(n as i64)]).await
    }

    /// Leads created in `[from, to)`, oldest first.
    pub async fn leads_created_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Lead>> {
        let sql = format!("SELECT {LEAD_COLUMNS} FROM leads WHERE created >= $1 AND created < $2 ORDER BY created, id");
        self.leads_where(&sql, &[&from, &to]).await
    }

    /// Leads changed strictly after `since`, in update order.
    pub async fn leads_changed_since(&self, since: Timestamp) -> Result<Vec<Lead>> {
        let sql = format!("SELECT {LEAD_COLUMNS} FROM leads WHERE updated > $1 ORDER BY updated, id");
        self.leads_where(&sql, &[&since]).await
    }

    pub async fn all_leads(&self) -> Result<Vec<Lead>> {
        self.leads_where("SELECT record FROM leads ORDER BY id", &[]).await
    }

    /// Ids of exportable leads (not templates, not deleted, created at or after `min_created`)
    /// changed strictly after `since`, ascending.
    pub async fn exportable_lead_ids_changed_since(
        &self,
        since: Timestamp,
        min_created: Option<Timestamp>,
    ) -> Result<Vec<LeadId>> {
        let rows = self
            .query(
                "SELECT id FROM leads WHERE updated > $1 AND NOT is_template AND NOT deleted \
                 AND ($2::timestamptz IS NULL OR created >= $2) ORDER BY id",
                &[&since, &min_created],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u64).collect())
    }

    /// The stored records of the leads of `ids` that exist, in that order, for export.
    pub async fn lead_exports(&self, ids: &[LeadId]) -> Result<crate::store::LeadExports> {
        let wanted: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
        let rows = self.query("SELECT id, record::text FROM leads WHERE id = ANY($1)", &[&wanted]).await?;
        let mut found: HashMap<i64, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let mut out = crate::store::LeadExports::default();
        for id in &wanted {
            if let Some(record) = found.remove(id) {
                out.push(&record);
            }
        }
        Ok(out)
    }

    pub async fn lead_count(&self) -> Result<usize> {
        let rows = self.query("SELECT count(*) FROM leads", &[]).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as usize))
    }

    pub async fn is_empty_of_work(&self) -> Result<bool> {
        let rows =
            self.query("SELECT NOT EXISTS (SELECT 1 FROM leads) AND NOT EXISTS (SELECT 1 FROM facts)", &[]).await?;
        Ok(rows.first().is_none_or(|r| r.get(0)))
    }

    /// New leads typed in or copied: ids and numbers from the counters.
    pub async fn add_leads(&self, leads: Vec<Lead>, actor: &Actor) -> Result<Vec<Lead>> {
        let added = transact!(self, |tx| {
            let n = leads.len() as u64;
            let first_id = take(tx, LEAD_ID, n).await?;
            let first_number = take(tx, LEAD_NUMBER, n).await?;
            let mut out = Vec::with_capacity(leads.len());
            for (i, lead) in (0u64..).zip(&leads) {
                let lead = Lead { id: first_id + i, number: first_number + i, version: 1, ..lead.clone() };
                put_lead(tx, &lead).await?;
                out.push(lead);
            }
            record(tx, Kind::Leads, &out.iter().map(|l| l.id).collect::<Vec<_>>()).await?;
            let at = Timestamp::now();
            history::insert(tx, &out.iter().map(|l| lead_created_entry(l, actor, at)).collect::<Vec<_>>()).await?;
            Ok(out)
        })?;
        Ok(added)
    }

    /// Field-level edits against the version the editor read; see [`LeadEdit::fits`].
    pub async fn change_lead(
        &self,
        id: LeadId,
        expected_version: Option<u64>,
        edits: &[LeadEdit],
        by: &str,
        origin: &str,
        now: Timestamp,
    ) -> Result<Lead> {
        transact!(self, |tx| {
            let Some(old) = lead_in(tx, id, true).await? else {
                return Err(StoreError::NotFound(format!("заявка с id {id}")).into());
            };
            let lead = apply_edits(old.clone(), expected_version, edits, by, now)?;
            put_lead(tx, &lead).await?;
            record(tx, Kind::Leads, &[id]).await?;
            let names = history::names_for(tx, edits).await?;
            let changes = lead_changes(&old, edits, names.as_ref());
            let actor = Actor { author: by.to_string(), origin: origin.to_string() };
            let object = HistoryObject::Lead { id: lead.id, number: lead.number };
            history::insert(tx, &[entry(&actor, lead.updated, object, changes)]).await?;
            Ok(lead)
        })
    }

    /// Roistat's leads, idempotent on its lead id; one transaction (one commit) per batch, with a
    /// few set-based statements for the whole batch in two round trips (see [`intake`]), tried
    /// again as [`transact!`] does.
    pub async fn intake_leads(&self, items: &[(Lead, Contact)]) -> Result<Vec<Intake>> {
        let keys = intake::Keys::of(items);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = match self.connection().await {
                Ok(client) => intake::run(client, items, &keys).await,
                Err(e) => Err(e.into()),
            };
            match outcome {
                Ok(intakes) => break Ok(intakes),
                Err(e) if Self::retry(&e, attempt) => Self::backoff(attempt).await,
                Err(e) => break Err(self.failed(e)),
            }
        }
    }

    pub async fn client(&self, id: ClientId) -> Result<Option<Client>> {
        let rows = self.query("SELECT record FROM clients WHERE id = $1", &[&(id as i64)]).await?;
        rows.first().map(|r| super::record(r, 0)).transpose()
    }

    /// The clients of `ids` that exist, in that order.
    pub async fn clients_by_ids(&self, ids: &[ClientId]) -> Result<Vec<Client>> {
        let wanted: Vec<i64> = ids.iter().map(|&i| i as i64).collect();
        let rows = self.query("SELECT id, record FROM clients WHERE id = ANY($1)", &[&wanted]).await?;
        let mut found: HashMap<i64, Client> = HashMap::with_capacity(rows.len());
        for row in &rows {
            found.insert(row.get(0), super::record(row, 1)?);
        }
        Ok(wanted.iter().filter_map(|id| found.remove(id)).collect())
    }

    pub async fn all_clients(&self) -> Result<Vec<Client>> {
        let rows = self.query("SELECT record FROM clients ORDER BY id", &[]).await?;
        rows.iter().map(|r| super::record(r, 0)).collect()
    }

    /// Saves a client; id 0 means new and gets an id.
    pub async fn put_client(&self, client: Client, actor: &Actor) -> Result<Client> {
        transact!(self, |tx| {
            let mut client = client.clone();
            let old: Option<Client> = if client.id == 0 {
                client.id = take(tx, CLIENT_ID, 1).await?;
                None
            } else {
                let statement = tx.prepare_cached("SELECT record FROM clients WHERE id = $1").await?;
                tx.query_opt(&statement, &[&(client.id as i64)]).await?.map(|row| super::record(&row, 0)).transpose()?
            };
            if key_taken(tx, &client).await? {
                return Err(StoreError::Invalid(
                    "Этот телефон или e-mail уже указан у другого клиента: найдите его в списке клиентов".into(),
                )
                .into());
            }
            put_client(tx, &client).await?;
            record(tx, Kind::Clients, &[client.id]).await?;
            let changes = record_changes(old.as_ref(), Some(&client));
            history::insert(tx, &[entry(actor, Timestamp::now(), HistoryObject::Client(client.id), changes)]).await?;
            Ok(client)
        })
    }

    /// The client a contact matches (its empty fields filled), or a new one.
    pub async fn client_for_contact(&self, contact: &Contact, now: Timestamp) -> Result<Client> {
        transact!(self, |tx| {
            let id = client_for(tx, &mut BatchClients::default(), contact, now).await?;
            record(tx, Kind::Clients, &[id]).await?;
            let statement = tx.prepare_cached("SELECT record FROM clients WHERE id = $1").await?;
            let row = tx.query_one(&statement, &[&(id as i64)]).await?;
            Ok(super::record(&row, 0)?)
        })
    }
}
