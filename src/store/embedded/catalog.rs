//! Reference data (statuses, extra fields, users, sources), settings and calls.

use super::codec::{decode, encode, id_key, key_id};
use super::history::HistoryTx;
use super::{Result, SledStore, StoreError, StoreEvent, TxResult, abort, tx_next};
use crate::domain::{
    Actor, AlertSettings, Call, DevNameError, ExtraField, FieldChange, FieldKind, HistoryObject, LeadSource, Names,
    Role, ServiceSettings, Status, Telephony, User, default_statuses, record_changes, required_fields,
    validate_dev_name,
};
use crate::store::record::{
    ALERT_SETTINGS, ALERTS_SENT, CALL_ID, Record, SERVICE_SETTINGS, TELEPHONY, entry, generate_password,
};
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

impl SledStore {
    fn catalog_tree<T: Record>(&self) -> Result<&sled::Tree> {
        self.inner.t.catalog.get(T::TREE).ok_or_else(|| StoreError::Invalid(format!("нет таблицы {}", T::TREE)))
    }

    /// All records of a kind, by id.
    pub fn list<T: Record>(&self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for entry in self.catalog_tree::<T>()?.iter() {
            let (_, bytes) = entry?;
            out.push(decode(T::WHAT, &bytes)?);
        }
        Ok(out)
    }

    pub fn get<T: Record>(&self, id: u64) -> Result<Option<T>> {
        match self.catalog_tree::<T>()?.get(id_key(id))? {
            Some(bytes) => Ok(Some(decode(T::WHAT, &bytes)?)),
            None => Ok(None),
        }
    }

    /// Saves a record; id 0 means new and gets an id. Extra fields are checked here too, so no
    /// path into the store can make two fields with one developer name.
    pub fn put<T: Record + 'static>(&self, record: T, actor: &Actor) -> Result<T> {
        let guard = self.lock();
        if let Some(field) = (&record as &dyn std::any::Any).downcast_ref::<ExtraField>() {
            self.check_field(field)?;
        }
        let record = self.put_locked(record, Some(actor))?;
        drop(guard);
        self.emit(StoreEvent::CatalogChanged);
        Ok(record)
    }

    /// Saves a record; with an actor, its changed fields go to the history in the same transaction.
    fn put_locked<T: Record>(&self, record: T, actor: Option<&Actor>) -> Result<T> {
        use sled::Transactional;
        let t = &self.inner.t;
        let tree = self.catalog_tree::<T>()?;
        let saved = (&t.meta, tree, &t.history, &t.history_by_object).transaction(
            |(meta, tree, history, by_object)| -> TxResult<T> {
                let mut record = record.clone();
                if record.id() == 0 {
                    record.set_id(tx_next(meta, T::TREE)?);
                }
                let old: Option<T> = match tree.insert(&id_key(record.id()), encode(&record).or_else(abort)?)? {
                    Some(bytes) => Some(decode(T::WHAT, &bytes).or_else(abort)?),
                    None => None,
                };
                if let Some(actor) = actor {
                    let changes = record_changes(old.as_ref(), Some(&record));
                    let entry = entry(actor, Timestamp::now(), T::history_object(record.id()), changes);
                    HistoryTx { meta, history, by_object }.record(entry)?;
                }
                Ok(record)
            },
        )?;
        Ok(saved)
    }

    pub fn delete<T: Record>(&self, id: u64, actor: &Actor) -> Result<()> {
        use sled::Transactional;
        let guard = self.lock();
        let t = &self.inner.t;
        let tree = self.catalog_tree::<T>()?;
        (&t.meta, tree, &t.history, &t.history_by_object).transaction(|(meta, tree, history, by_object)| {
            let Some(bytes) = tree.remove(&id_key(id))? else { return Ok(()) };
            let old: T = decode(T::WHAT, &bytes).or_else(abort)?;
            let changes = record_changes(Some(&old), None);
            let mut changes = changes;
            changes.insert(0, FieldChange::new("Запись", "", "удалена"));
            HistoryTx { meta, history, by_object }.record(entry(
                actor,
                Timestamp::now(),
                T::history_object(id),
                changes,
            ))
        })?;
        drop(guard);
        self.emit(StoreEvent::CatalogChanged);
        Ok(())
    }

    fn check_field(&self, field: &ExtraField) -> Result<()> {
        validate_dev_name(&field.dev_name).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if field.name.trim().is_empty() {
            return Err(StoreError::Invalid("Укажите наименование доп. реквизита".into()));
        }
        let taken = self.list::<ExtraField>()?.into_iter().any(|f| f.dev_name == field.dev_name && f.id != field.id);
        if taken {
            return Err(StoreError::Invalid(DevNameError::Duplicate(field.dev_name.clone()).to_string()));
        }
        Ok(())
    }

    /// Creates the service fields, the UTM fields and the default statuses where missing.
    /// Idempotent, also under concurrent first requests: it runs under the write lock.
    /// Returns how many records it created.
    pub fn ensure_schema(&self) -> Result<usize> {
        let guard = self.lock();
        let mut created = 0;
        let fields = self.list::<ExtraField>()?;
        for (dev_name, name, service) in required_fields() {
            if !fields.iter().any(|f| f.dev_name == dev_name) {
                let field =
                    ExtraField { id: 0, name: name.into(), dev_name: dev_name.into(), kind: FieldKind::Text, service };
                self.put_locked(field, None)?;
                created += 1;
            }
        }
        if self.list::<Status>()?.is_empty() {
            for (order, (name, group)) in default_statuses().into_iter().enumerate() {
                self.put_locked(Status { id: 0, name: name.into(), group, order: order as i32 }, None)?;
                created += 1;
            }
        }
        drop(guard);
        if created > 0 {
            self.emit(StoreEvent::CatalogChanged);
        }
        Ok(created)
    }

    /// The names lead values are shown with in the history.
    pub(super) fn names(&self) -> Result<Names> {
        Ok(Names::new(
            &self.list::<Status>()?,
            &self.list::<LeadSource>()?,
            &self.list::<ExtraField>()?,
            self.list::<User>()?,
        ))
    }

    /// Statuses sorted by their order.
    pub fn statuses(&self) -> Result<Vec<Status>> {
        let mut statuses = self.list::<Status>()?;
        statuses.sort_by_key(|s| (s.order, s.id));
        Ok(statuses)
    }

    /// How many leads (templates and marked ones too) have the status: a status in use is not
    /// deleted. Reads only each record's status.
    pub fn status_use_count(&self, status_id: u64) -> Result<u64> {
        #[derive(serde::Deserialize)]
        struct StatusOnly {
            #[serde(default)]
            status_id: Option<u64>,
        }
        let mut count = 0;
        for entry in self.inner.t.leads.iter() {
            let (_, bytes) = entry?;
            let lead: StatusOnly = decode("заявки", &bytes)?;
            count += u64::from(lead.status_id == Some(status_id));
        }
        Ok(count)
    }

    /// The status a new lead gets: the first by order.
    pub fn initial_status(&self) -> Result<Option<u64>> {
        Ok(self.statuses()?.first().map(|s| s.id))
    }

    /// Makes sure there is at least one admin (the first start).
    pub fn ensure_admin(&self) -> Result<User> {
        let users = self.list::<User>()?;
        if let Some(admin) = users.iter().find(|u| u.role == Role::Admin) {
            return Ok(admin.clone());
        }
        let admin = User { id: 0, name: "Администратор".into(), role: Role::Admin, ..User::default() };
        let guard = self.lock();
        let admin = self.put_locked(admin, None)?;
        drop(guard);
        self.emit(StoreEvent::CatalogChanged);
        Ok(admin)
    }

    fn setting<T: DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        match self.inner.t.meta.get(key)? {
            Some(bytes) => decode("настроек", &bytes),
            None => Ok(T::default()),
        }
    }

    /// Writes settings; with an actor, what changed goes to the history in the same transaction.
    fn put_setting<T: Serialize + DeserializeOwned>(&self, key: &str, value: &T, actor: Option<&Actor>) -> Result<()> {
        use sled::Transactional;
        let guard = self.lock();
        let t = &self.inner.t;
        let bytes = encode(value)?;
        (&t.meta, &t.history, &t.history_by_object).transaction(|(meta, history, by_object)| {
            let old = meta.insert(key.as_bytes(), bytes.as_slice())?;
            if let Some(actor) = actor {
                let old: Option<T> = old.and_then(|b| decode("настроек", &b).ok());
                let changes = record_changes(old.as_ref(), Some(value));
                let object = HistoryObject::Settings(key.to_string());
                HistoryTx { meta, history, by_object }.record(entry(actor, Timestamp::now(), object, changes))?;
            }
            Ok(())
        })?;
        drop(guard);
        self.emit(StoreEvent::SettingsChanged);
        Ok(())
    }

    /// Service settings: a pure read (the password was generated when the store was opened).
    pub fn service_settings(&self) -> Result<ServiceSettings> {
        self.setting(SERVICE_SETTINGS)
    }

    /// Gives a new store its generated service password, so every read finds one.
    pub(super) fn ensure_service_password(&self) -> Result<()> {
        let mut settings: ServiceSettings = self.setting(SERVICE_SETTINGS)?;
        if settings.password.is_empty() {
            settings.password = crate::domain::Secret::new(generate_password());
            self.put_setting(SERVICE_SETTINGS, &settings, None)?;
            self.durable()?;
        }
        Ok(())
    }

    pub fn put_service_settings(&self, settings: &ServiceSettings, actor: &Actor) -> Result<()> {
        if settings.password.is_empty() {
            return Err(StoreError::Invalid("Пароль HTTP-сервиса не может быть пустым".into()));
        }
        self.put_setting(SERVICE_SETTINGS, settings, Some(actor))?;
        self.apply_exchange_settings()
    }

    /// Gives the exchange log the size cap from the stored service settings.
    pub(super) fn apply_exchange_settings(&self) -> Result<()> {
        let settings: ServiceSettings = self.setting(SERVICE_SETTINGS)?;
        self.set_exchange_max_bytes(settings.exchange_log_max_bytes)
    }

    pub fn telephony(&self) -> Result<Telephony> {
        self.setting(TELEPHONY)
    }

    pub fn put_telephony(&self, telephony: &Telephony, actor: &Actor) -> Result<()> {
        self.put_setting(TELEPHONY, telephony, Some(actor))
    }

    pub fn alert_settings(&self) -> Result<AlertSettings> {
        self.setting(ALERT_SETTINGS)
    }

    pub fn put_alert_settings(&self, settings: &AlertSettings, actor: &Actor) -> Result<()> {
        self.put_setting(ALERT_SETTINGS, settings, Some(actor))
    }

    pub fn alerts_sent(&self) -> Result<Vec<String>> {
        self.setting(ALERTS_SENT)
    }

    /// Replaces the memory of sent alerts; nobody else follows it, so no change is announced.
    pub fn put_alerts_sent(&self, keys: &[String]) -> Result<()> {
        self.inner.t.meta.insert(ALERTS_SENT, encode(&keys)?)?;
        Ok(())
    }

    /// Saves a call, idempotent on Roistat's call id; links it to its lead in the same transaction.
    pub fn put_call(&self, call: Call) -> Result<Call> {
        use sled::Transactional;
        let guard = self.lock();
        let t = &self.inner.t;
        let saved =
            (&t.meta, &t.calls, &t.calls_by_roistat, &t.leads).transaction(|(meta, calls, by_roistat, leads)| {
                let mut call = call.clone();
                if call.id == 0
                    && let Some(rid) = &call.roistat_call_id
                    && let Some(existing) = by_roistat.get(rid.as_bytes())?
                {
                    call.id = key_id(&existing).unwrap_or(0);
                }
                let previous: Option<Call> = match calls.get(id_key(call.id))? {
                    Some(bytes) if call.id != 0 => Some(decode("звонка", &bytes).or_else(abort)?),
                    _ => None,
                };
                if call.id == 0 {
                    call.id = tx_next(meta, CALL_ID)?;
                }
                calls.insert(&id_key(call.id), encode(&call).or_else(abort)?)?;
                if let Some(rid) = &call.roistat_call_id {
                    by_roistat.insert(rid.as_bytes(), &id_key(call.id))?;
                }
                if let Some(lead_id) = call.lead_id
                    && previous.as_ref().and_then(|p| p.lead_id) != Some(lead_id)
                    && let Some(bytes) = leads.get(id_key(lead_id))?
                {
                    // The updated index is not touched: a call is not a change Roistat must re-read.
                    let mut lead: crate::domain::Lead = decode("заявки", &bytes).or_else(abort)?;
                    if !lead.call_ids.contains(&call.id) {
                        lead.call_ids.push(call.id);
                        // A form open on the lead sees that it moved (an append: it never conflicts).
                        lead.version += 1;
                        leads.insert(&id_key(lead_id), encode(&lead).or_else(abort)?)?;
                    }
                }
                Ok(call)
            })?;
        drop(guard);
        self.emit(StoreEvent::CallsChanged);
        if let Some(lead_id) = saved.lead_id {
            self.emit(StoreEvent::LeadsChanged(vec![lead_id]));
        }
        Ok(saved)
    }

    pub fn calls(&self) -> Result<Vec<Call>> {
        let mut out = Vec::new();
        for entry in self.inner.t.calls.iter() {
            let (_, bytes) = entry?;
            out.push(decode("звонка", &bytes)?);
        }
        Ok(out)
    }

    pub fn call(&self, id: u64) -> Result<Option<Call>> {
        match self.inner.t.calls.get(id_key(id))? {
            Some(bytes) => Ok(Some(decode("звонка", &bytes)?)),
            None => Ok(None),
        }
    }
}
