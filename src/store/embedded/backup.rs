//! Backup and restore: a self-describing JSON-lines file of every record.

use super::codec::{decode, encode, id_key};
use super::history::HISTORY_ID;
use super::migrate::SCHEMA_VERSION;
use super::{COUNTER_PREFIX, Result, SledStore, StoreError, StoreEvent, counter_key};
use crate::domain::{AnalyticsSource, ExtraField, LeadSource, Status, User};
use crate::store::backup_format::{BackupSummary, FORMAT, Line, read_backup, write_line};
use crate::store::record::{ALERT_SETTINGS, ALERTS_SENT};
use std::io::{BufRead, Write};

impl SledStore {
    /// Writes every record as one JSON line each, between a header and an end line with the count.
    pub fn backup(&self, out: &mut dyn Write) -> Result<BackupSummary> {
        let t = &self.inner.t;
        let mut summary = BackupSummary::default();
        let mut write = |line: &Line, summary: &mut BackupSummary| write_line(out, line, summary);
        write(
            &Line::Header { format: FORMAT.into(), schema_version: SCHEMA_VERSION, created: jiff::Timestamp::now() },
            &mut summary,
        )?;
        for entry in t.meta.scan_prefix(COUNTER_PREFIX) {
            let (key, value) = entry?;
            let name = String::from_utf8_lossy(&key[COUNTER_PREFIX.len()..]).into_owned();
            // The history is not part of a backup, nor is its counter (PostgreSQL has none).
            if name == HISTORY_ID {
                continue;
            }
            let next = super::codec::key_id(&value).unwrap_or(1);
            write(&Line::Counter { name, next }, &mut summary)?;
        }
        if let Some(bytes) = t.meta.get("settings/service")? {
            write(&Line::ServiceSettings { record: decode("настроек", &bytes)? }, &mut summary)?;
        }
        if let Some(bytes) = t.meta.get("settings/telephony")? {
            write(&Line::Telephony { record: decode("настроек", &bytes)? }, &mut summary)?;
        }
        if let Some(bytes) = t.meta.get(ALERT_SETTINGS)? {
            write(&Line::AlertSettings { record: decode("настроек", &bytes)? }, &mut summary)?;
        }
        for record in self.list::<Status>()? {
            write(&Line::Status { record }, &mut summary)?;
        }
        for record in self.list::<ExtraField>()? {
            write(&Line::ExtraField { record }, &mut summary)?;
        }
        for record in self.list::<User>()? {
            write(&Line::User { record }, &mut summary)?;
        }
        for record in self.list::<LeadSource>()? {
            write(&Line::LeadSource { record }, &mut summary)?;
        }
        for record in self.list::<AnalyticsSource>()? {
            write(&Line::AnalyticsSource { record }, &mut summary)?;
        }
        for record in self.all_clients()? {
            write(&Line::Client { record }, &mut summary)?;
        }
        for entry in t.leads.iter() {
            let (_, bytes) = entry?;
            write(&Line::Lead { record: decode("заявки", &bytes)? }, &mut summary)?;
            summary.leads += 1;
        }
        for record in self.calls()? {
            write(&Line::Call { record }, &mut summary)?;
        }
        self.for_each_fact(|record| {
            summary.facts += 1;
            write(&Line::Fact { record }, &mut summary)
        })?;
        for entry in t.exchange.iter() {
            let (_, bytes) = entry?;
            write(&Line::Exchange { record: decode("журнала обмена", &bytes)? }, &mut summary)?;
        }
        for record in self.plans(None)? {
            write(&Line::Plan { record }, &mut summary)?;
        }
        write(&Line::End { records: summary.records }, &mut summary)?;
        out.flush()?;
        Ok(summary)
    }

    /// Rebuilds the store from a backup. The whole file is read and checked first, so a truncated
    /// or edited file fails (naming the line) and leaves the store untouched. A store with data is
    /// replaced only with `force`.
    pub fn restore(&self, input: &mut dyn BufRead, force: bool) -> Result<BackupSummary> {
        let lines = read_backup(input)?;
        if !force && !self.is_empty() {
            return Err(StoreError::NotEmpty(format!("Каталог {}", self.path().display())));
        }
        let guard = self.lock();
        let exchange_guard = self.exchange_lock();
        // The journal describes leads that are about to be replaced: it must not bring them back.
        self.inner.journal.reset()?;
        let t = &self.inner.t;
        for tree in [
            &t.leads,
            &t.leads_by_created,
            &t.leads_by_updated,
            &t.leads_by_roistat,
            &t.clients,
            &t.clients_by_phone,
            &t.clients_by_email,
            &t.calls,
            &t.calls_by_roistat,
            &t.exchange,
            &t.plans,
        ]
        .into_iter()
        .chain(t.catalog.values())
        {
            tree.clear()?;
        }
        self.clear_facts_locked()?;
        // The history stays, and so does its counter, so that no entry is written over.
        let history_counter = counter_key(HISTORY_ID);
        for entry in t.meta.scan_prefix(COUNTER_PREFIX) {
            let (key, _) = entry?;
            if key != history_counter.as_bytes() {
                t.meta.remove(key)?;
            }
        }
        t.meta.remove("settings/service")?;
        t.meta.remove("settings/telephony")?;
        t.meta.remove(ALERT_SETTINGS)?;
        t.meta.remove(ALERTS_SENT)?;
        let mut summary = BackupSummary::default();
        let mut facts = Vec::new();
        for line in lines {
            summary.records += 1;
            match line {
                Line::Header { .. } | Line::End { .. } => summary.records -= 1,
                Line::Counter { name, next } => {
                    t.meta.insert(counter_key(&name), &next.to_be_bytes())?;
                }
                Line::ServiceSettings { record } => {
                    t.meta.insert("settings/service", encode(&record)?)?;
                }
                Line::Telephony { record } => {
                    t.meta.insert("settings/telephony", encode(&record)?)?;
                }
                Line::AlertSettings { record } => {
                    t.meta.insert(ALERT_SETTINGS, encode(&record)?)?;
                }
                Line::Status { record } => self.raw_put(&record)?,
                Line::ExtraField { record } => self.raw_put(&record)?,
                Line::User { record } => self.raw_put(&record)?,
                Line::LeadSource { record } => self.raw_put(&record)?,
                Line::AnalyticsSource { record } => self.raw_put(&record)?,
                Line::Client { record } => self.insert_client(&record)?,
                Line::Lead { record } => {
                    self.insert_new_lead(&record)?;
                    summary.leads += 1;
                }
                Line::Call { record } => {
                    t.calls.insert(id_key(record.id), encode(&record)?)?;
                    if let Some(rid) = &record.roistat_call_id {
                        t.calls_by_roistat.insert(rid.as_bytes(), &id_key(record.id))?;
                    }
                }
                Line::Fact { record } => {
                    facts.push(record);
                    summary.facts += 1;
                }
                Line::Exchange { record } => {
                    t.exchange.insert(id_key(record.id), encode(&record.bounded())?)?;
                }
                Line::Plan { record } => self.restore_plan(&record)?,
            }
        }
        self.restore_facts_locked(facts)?;
        let (exchange, exchange_bytes) = super::exchange::measure(&t.exchange)?;
        self.inner.exchange_count.store(exchange, std::sync::atomic::Ordering::SeqCst);
        self.inner.exchange_bytes.store(exchange_bytes, std::sync::atomic::Ordering::SeqCst);
        drop(exchange_guard);
        drop(guard);
        self.apply_exchange_settings()?;
        // An old backup may have no service settings.
        self.ensure_service_password()?;
        self.durable()?;
        self.emit(StoreEvent::Reloaded);
        Ok(summary)
    }

    fn raw_put<T: crate::store::Record>(&self, record: &T) -> Result<()> {
        let tree = self.inner.t.catalog.get(T::TREE).ok_or_else(|| StoreError::Invalid(T::TREE.into()))?;
        tree.insert(id_key(record.id()), encode(record)?)?;
        Ok(())
    }
}
