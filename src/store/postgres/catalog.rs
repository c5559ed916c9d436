//! Reference data, settings and calls on PostgreSQL.

use super::feed::{Kind, record};
use super::history;
use super::{PgStore, TxResult, take};
use crate::domain::{
    Actor, AlertSettings, Call, DevNameError, ExtraField, FieldChange, FieldKind, HistoryObject, Role, ServiceSettings,
    Status, Telephony, User, default_statuses, record_changes, required_fields, validate_dev_name,
};
use crate::store::record::{ALERT_SETTINGS, CALL_ID, SERVICE_SETTINGS, TELEPHONY, entry, generate_password};
use crate::store::{Record, Result, StoreError};
use deadpool_postgres::Transaction;
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_postgres::types::Json;

// Each kind has its table, named as its tree (migration 0002), so that GRANTs tell them apart.

async fn list_in<T: Record>(tx: &Transaction<'_>) -> TxResult<Vec<T>> {
    let statement = tx.prepare_cached(&format!("SELECT record FROM {} ORDER BY id", T::TREE)).await?;
    let rows = tx.query(&statement, &[]).await?;
    Ok(rows.iter().map(|r| super::record(r, 0)).collect::<Result<_>>()?)
}

/// The stored record of `id` (none for 0, a new one).
async fn get_in<T: Record>(tx: &Transaction<'_>, id: u64) -> TxResult<Option<T>> {
    if id == 0 {
        return Ok(None);
    }
    let statement = tx.prepare_cached(&format!("SELECT record FROM {} WHERE id = $1", T::TREE)).await?;
    Ok(tx.query_opt(&statement, &[&(id as i64)]).await?.map(|row| super::record(&row, 0)).transpose()?)
}

/// A user's login column beside the record; `None` for the other kinds.
fn login_of<T: Record>(record: &T) -> Option<Option<&str>> {
    let user = (record as &dyn std::any::Any).downcast_ref::<User>()?;
    Some((!user.login.is_empty()).then_some(user.login.as_str()))
}

/// Inserts a record as it is (its id given).
pub(super) async fn insert_in<T: Record>(tx: &Transaction<'_>, record: &T) -> TxResult<()> {
    let id = record.id() as i64;
    match login_of(record) {
        Some(login) => {
            let sql = "INSERT INTO users (id, login, record) VALUES ($1, $2, $3)";
            tx.execute(sql, &[&id, &login, &Json(record)]).await?
        }
        None => {
            let statement = tx.prepare_cached(&format!("INSERT INTO {} (id, record) VALUES ($1, $2)", T::TREE)).await?;
            tx.execute(&statement, &[&id, &Json(record)]).await?
        }
    };
    Ok(())
}

/// Saves a record: an update of the stored one, else an insert — so that a login allowed to
/// update a kind but not to create it (the service and its analytics sources) may save.
async fn put_in<T: Record>(tx: &Transaction<'_>, record: &T) -> TxResult<T> {
    let mut record = record.clone();
    if record.id() == 0 {
        record.set_id(take(tx, T::TREE, 1).await?);
        insert_in(tx, &record).await?;
        return Ok(record);
    }
    let id = record.id() as i64;
    let updated = match login_of(&record) {
        Some(login) => {
            let sql = "UPDATE users SET login = $2, record = $3 WHERE id = $1";
            tx.execute(sql, &[&id, &login, &Json(&record)]).await?
        }
        None => {
            let statement = tx.prepare_cached(&format!("UPDATE {} SET record = $2 WHERE id = $1", T::TREE)).await?;
            tx.execute(&statement, &[&id, &Json(&record)]).await?
        }
    };
    if updated == 0 {
        insert_in(tx, &record).await?;
    }
    Ok(record)
}

/// Serializes the writers that must see each other's records (the schema, the developer names).
async fn lock_catalog(tx: &Transaction<'_>) -> TxResult<()> {
    tx.execute("SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE", &[]).await?;
    Ok(())
}

async fn check_field(tx: &Transaction<'_>, field: &ExtraField) -> TxResult<()> {
    validate_dev_name(&field.dev_name).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if field.name.trim().is_empty() {
        return Err(StoreError::Invalid("Укажите наименование доп. реквизита".into()).into());
    }
    let taken = list_in::<ExtraField>(tx).await?.into_iter().any(|f| f.dev_name == field.dev_name && f.id != field.id);
    if taken {
        return Err(StoreError::Invalid(DevNameError::Duplicate(field.dev_name.clone()).to_string()).into());
    }
    Ok(())
}

async fn setting_in<T: DeserializeOwned + Default>(tx: &Transaction<'_>, key: &str) -> TxResult<T> {
    let statement = tx.prepare_cached("SELECT record FROM settings WHERE key = $1").await?;
    match tx.query_opt(&statement, &[&key]).await? {
        Some(row) => Ok(super::record(&row, 0)?),
        None => Ok(T::default()),
    }
}

pub(super) async fn put_setting_in<T: Serialize + Sync + std::fmt::Debug>(
    tx: &Transaction<'_>,
    key: &str,
    value: &T,
) -> TxResult<()> {
    let statement = tx
        .prepare_cached(
            "INSERT INTO settings (key, record) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET record = $2",
        )
        .await?;
    tx.execute(&statement, &[&key, &Json(value)]).await?;
    Ok(())
}

impl PgStore {
    pub async fn list<T: Record>(&self) -> Result<Vec<T>> {
        let rows = self.query(&format!("SELECT record FROM {} ORDER BY id", T::TREE), &[]).await?;
        rows.iter().map(|r| super::record(r, 0)).collect()
    }

    pub async fn get<T: Record>(&self, id: u64) -> Result<Option<T>> {
        let rows = self.query(&format!("SELECT record FROM {} WHERE id = $1", T::TREE), &[&(id as i64)]).await?;
        rows.first().map(|r| super::record(r, 0)).transpose()
    }

    pub async fn put<T: Record>(&self, record: T, actor: &Actor) -> Result<T> {
        transact!(self, |tx| {
            if let Some(field) = (&record as &dyn std::any::Any).downcast_ref::<ExtraField>() {
                lock_catalog(tx).await?;
                check_field(tx, field).await?;
            }
            let old: Option<T> = get_in(tx, record.id()).await?;
            let saved = put_in(tx, &record).await?;
            super::feed::record(tx, Kind::Catalog, &[saved.id()]).await?;
            let changes = record_changes(old.as_ref(), Some(&saved));
            history::insert(tx, &[entry(actor, Timestamp::now(), T::history_object(saved.id()), changes)]).await?;
            Ok(saved)
        })
    }

    pub async fn delete<T: Record>(&self, id: u64, actor: &Actor) -> Result<()> {
        transact!(self, |tx| {
            let statement =
                tx.prepare_cached(&format!("DELETE FROM {} WHERE id = $1 RETURNING record", T::TREE)).await?;
            let Some(row) = tx.query_opt(&statement, &[&(id as i64)]).await? else { return Ok(()) };
            let old: T = super::record(&row, 0)?;
            record(tx, Kind::Catalog, &[id]).await?;
            let mut changes = record_changes(Some(&old), None);
            changes.insert(0, FieldChange::new("Запись", "", "удалена"));
            history::insert(tx, &[entry(actor, Timestamp::now(), T::history_object(id), changes)]).await
        })
    }

    /// Statuses sorted by their order.
    pub async fn statuses(&self) -> Result<Vec<Status>> {
        let mut statuses = self.list::<Status>().await?;
        statuses.sort_by_key(|s| (s.order, s.id));
        Ok(statuses)
    }

    pub async fn status_use_count(&self, status_id: u64) -> Result<u64> {
        let rows = self.query("SELECT count(*) FROM leads WHERE status_id = $1", &[&(status_id as i64)]).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }

    pub async fn initial_status(&self) -> Result<Option<u64>> {
        Ok(self.statuses().await?.first().map(|s| s.id))
    }

    /// Creates the service fields, the UTM fields and the default statuses where missing; how many.
    pub async fn ensure_schema(&self) -> Result<usize> {
        // Read first: on a database that has them, nothing is written (nor locked), whoever asks.
        let fields = self.list::<ExtraField>().await?;
        let complete = required_fields().iter().all(|(dev_name, _, _)| fields.iter().any(|f| f.dev_name == *dev_name));
        if complete && !self.list::<Status>().await?.is_empty() {
            return Ok(0);
        }
        transact!(self, |tx| {
            lock_catalog(tx).await?;
            let mut created = 0;
            let fields = list_in::<ExtraField>(tx).await?;
            for (dev_name, name, service) in required_fields() {
                if !fields.iter().any(|f| f.dev_name == dev_name) {
                    let field = ExtraField {
                        id: 0,
                        name: name.into(),
                        dev_name: dev_name.into(),
                        kind: FieldKind::Text,
                        service,
                    };
                    put_in(tx, &field).await?;
                    created += 1;
                }
            }
            if list_in::<Status>(tx).await?.is_empty() {
                for (order, (name, group)) in default_statuses().into_iter().enumerate() {
                    put_in(tx, &Status { id: 0, name: name.into(), group, order: order as i32 }).await?;
                    created += 1;
                }
            }
            if created > 0 {
                record(tx, Kind::Catalog, &[]).await?;
            }
            Ok(created)
        })
    }

    pub async fn ensure_admin(&self) -> Result<User> {
        if let Some(admin) = self.list::<User>().await?.into_iter().find(|u| u.role == Role::Admin) {
            return Ok(admin);
        }
        transact!(self, |tx| {
            lock_catalog(tx).await?;
            if let Some(admin) = list_in::<User>(tx).await?.into_iter().find(|u| u.role == Role::Admin) {
                return Ok(admin);
            }
            let admin =
                put_in(tx, &User { id: 0, name: "Администратор".into(), role: Role::Admin, ..User::default() }).await?;
            record(tx, Kind::Catalog, &[admin.id]).await?;
            Ok(admin)
        })
    }

    async fn setting<T: DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        let rows = self.query("SELECT record FROM settings WHERE key = $1", &[&key]).await?;
        match rows.first() {
            Some(row) => super::record(row, 0),
            None => Ok(T::default()),
        }
    }

    /// Writes settings and what changed of them to the history.
    async fn put_setting<T: Serialize + DeserializeOwned + Default + Sync + std::fmt::Debug>(
        &self,
        key: &str,
        value: &T,
        actor: &Actor,
    ) -> Result<()> {
        transact!(self, |tx| {
            let old: T = setting_in(tx, key).await?;
            put_setting_in(tx, key, value).await?;
            record(tx, Kind::Settings, &[]).await?;
            let changes = record_changes(Some(&old), Some(value));
            history::insert(tx, &[entry(actor, Timestamp::now(), HistoryObject::Settings(key.into()), changes)]).await
        })
    }

    pub async fn service_settings(&self) -> Result<ServiceSettings> {
        self.setting(SERVICE_SETTINGS).await
    }

    /// A new database gets its generated service password once, whoever opens it first.
    pub(super) async fn ensure_service_password(&self) -> Result<()> {
        if !self.service_settings().await?.password.is_empty() {
            return Ok(());
        }
        transact!(self, |tx| {
            lock_catalog(tx).await?;
            let mut settings: ServiceSettings = setting_in(tx, SERVICE_SETTINGS).await?;
            if settings.password.is_empty() {
                settings.password = crate::domain::Secret::new(generate_password());
                put_setting_in(tx, SERVICE_SETTINGS, &settings).await?;
                record(tx, Kind::Settings, &[]).await?;
            }
            Ok(())
        })
    }

    pub async fn put_service_settings(&self, settings: &ServiceSettings, actor: &Actor) -> Result<()> {
        if settings.password.is_empty() {
            return Err(StoreError::Invalid("Пароль HTTP-сервиса не может быть пустым".into()));
        }
        self.put_setting(SERVICE_SETTINGS, settings, actor).await?;
        self.apply_exchange_settings().await
    }

    pub(super) async fn apply_exchange_settings(&self) -> Result<()> {
        let settings = self.service_settings().await?;
        self.set_exchange_max_bytes(settings.exchange_log_max_bytes).await
    }

    pub async fn telephony(&self) -> Result<Telephony> {
        self.setting(TELEPHONY).await
    }

    pub async fn put_telephony(&self, telephony: &Telephony, actor: &Actor) -> Result<()> {
        self.put_setting(TELEPHONY, telephony, actor).await
    }

    pub async fn alert_settings(&self) -> Result<AlertSettings> {
        self.setting(ALERT_SETTINGS).await
    }

    pub async fn put_alert_settings(&self, settings: &AlertSettings, actor: &Actor) -> Result<()> {
        self.put_setting(ALERT_SETTINGS, settings, actor).await
    }

    /// Through a view every role may read (migration 0008).
    pub async fn alert_rules(&self) -> Result<AlertSettings> {
        match self.query("SELECT record FROM alert_rules", &[]).await?.first() {
            Some(row) => super::record(row, 0),
            None => Ok(AlertSettings::default().rules_only()),
        }
    }

    /// Through a view every role may read (migration 0008).
    pub async fn analytics_load_states(&self) -> Result<Vec<crate::domain::AnalyticsSource>> {
        let rows = self.query("SELECT record FROM analytics_load_states ORDER BY id", &[]).await?;
        rows.iter().map(|r| super::record(r, 0)).collect()
    }

    /// Through a view of the exchange log's times and outcomes that every role may read (migration 0008).
    pub async fn last_accepted_request(&self, lookback: usize) -> Result<Option<jiff::Timestamp>> {
        let rows = self
            .query(
                "SELECT at FROM (SELECT id, at, outcome FROM exchange_outcomes ORDER BY id DESC LIMIT $1) recent \
                 WHERE outcome IN ('Ok', 'Duplicate') ORDER BY id DESC LIMIT 1",
                &[&(lookback as i64)],
            )
            .await?;
        rows.first().map(|r| super::record(r, 0)).transpose()
    }

    /// The keys of the alerts already sent, in their own table: the service role writes it, and
    /// settings are the admins' (migration 0007).
    pub async fn alerts_sent(&self) -> Result<Vec<String>> {
        let rows = self.query("SELECT key FROM alerts_sent ORDER BY key", &[]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub async fn put_alerts_sent(&self, keys: &[String]) -> Result<()> {
        let keys = keys.to_vec();
        transact!(self, |tx| {
            tx.execute("DELETE FROM alerts_sent WHERE NOT (key = ANY($1))", &[&keys]).await?;
            tx.execute(
                "INSERT INTO alerts_sent (key, sent_at) SELECT unnest($1::text[]), now() ON CONFLICT (key) DO NOTHING",
                &[&keys],
            )
            .await?;
            Ok(())
        })
    }

    /// Saves a call, idempotent on Roistat's call id, and links it to its lead (an append: the
    /// lead's version moves, no edit conflicts with it).
    pub async fn put_call(&self, call: Call) -> Result<Call> {
        transact!(self, |tx| {
            let mut call = call.clone();
            if call.id == 0
                && let Some(rid) = &call.roistat_call_id
                && let Some(row) = tx.query_opt("SELECT id FROM calls WHERE roistat_call_id = $1", &[rid]).await?
            {
                call.id = row.get::<_, i64>(0) as u64;
            }
            let previous: Option<Option<i64>> = if call.id == 0 {
                None
            } else {
                tx.query_opt("SELECT lead_id FROM calls WHERE id = $1", &[&(call.id as i64)]).await?.map(|r| r.get(0))
            };
            if call.id == 0 {
                call.id = take(tx, CALL_ID, 1).await?;
            }
            tx.execute(
                "INSERT INTO calls (id, roistat_call_id, lead_id, record) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO UPDATE SET roistat_call_id = $2, lead_id = $3, record = $4",
                &[&(call.id as i64), &call.roistat_call_id, &call.lead_id.map(|l| l as i64), &Json(&call)],
            )
            .await?;
            if let Some(lead_id) = call.lead_id
                && previous.flatten() != Some(lead_id as i64)
                && let Some(row) =
                    tx.query_opt("SELECT record FROM leads WHERE id = $1 FOR UPDATE", &[&(lead_id as i64)]).await?
            {
                let mut lead: crate::domain::Lead = super::record(&row, 0)?;
                if !lead.call_ids.contains(&call.id) {
                    lead.call_ids.push(call.id);
                    lead.version += 1;
                    tx.execute(
                        "UPDATE leads SET version = $2, record = $3 WHERE id = $1",
                        &[&(lead_id as i64), &(lead.version as i64), &Json(&lead)],
                    )
                    .await?;
                }
            }
            record(tx, Kind::Calls, &[call.id]).await?;
            if let Some(lead_id) = call.lead_id {
                record(tx, Kind::Leads, &[lead_id]).await?;
            }
            Ok(call)
        })
    }

    /// Many calls (a load from Roistat), one after another.
    pub async fn put_calls(&self, calls: Vec<Call>) -> Result<Vec<Call>> {
        let mut saved = Vec::with_capacity(calls.len());
        for call in calls {
            saved.push(self.put_call(call).await?);
        }
        Ok(saved)
    }

    pub async fn calls(&self) -> Result<Vec<Call>> {
        let rows = self.query("SELECT record FROM calls ORDER BY id", &[]).await?;
        rows.iter().map(|r| super::record(r, 0)).collect()
    }

    pub async fn call(&self, id: u64) -> Result<Option<Call>> {
        let rows = self.query("SELECT record FROM calls WHERE id = $1", &[&(id as i64)]).await?;
        rows.first().map(|r| super::record(r, 0)).transpose()
    }

    /// Whether the database holds nothing a person entered or loaded.
    pub async fn is_empty(&self) -> Result<bool> {
        let rows = self
            .query(
                "SELECT NOT EXISTS (SELECT 1 FROM leads) AND NOT EXISTS (SELECT 1 FROM clients) \
                 AND NOT EXISTS (SELECT 1 FROM facts) AND NOT EXISTS (SELECT 1 FROM calls) \
                 AND NOT EXISTS (SELECT 1 FROM statuses) AND NOT EXISTS (SELECT 1 FROM extra_fields) \
                 AND NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM lead_sources) \
                 AND NOT EXISTS (SELECT 1 FROM analytics_sources) AND NOT EXISTS (SELECT 1 FROM plans)",
                &[],
            )
            .await?;
        Ok(rows.first().is_none_or(|r| r.get(0)))
    }
}
