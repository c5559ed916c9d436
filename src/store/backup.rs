//! Backup and restore: a self-describing JSON-lines file of every record.

use super::codec::{decode, encode, id_key};
use super::migrate::SCHEMA_VERSION;
use super::{COUNTER_PREFIX, Result, SledStore, StoreError, StoreEvent, counter_key};
use crate::domain::{
    AnalyticsSource, Call, Client, DailyFact, ExchangeEntry, ExtraField, Lead, LeadSource, ServiceSettings, Status,
    Telephony, User,
};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

pub(super) const FORMAT: &str = "skvoz-backup";

// Lines live one at a time while reading or writing; boxing the big records would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Line {
    Header { format: String, schema_version: u32, created: jiff::Timestamp },
    Counter { name: String, next: u64 },
    ServiceSettings { record: ServiceSettings },
    Telephony { record: Telephony },
    Status { record: Status },
    ExtraField { record: ExtraField },
    User { record: User },
    LeadSource { record: LeadSource },
    AnalyticsSource { record: AnalyticsSource },
    Client { record: Client },
    Lead { record: Lead },
    Call { record: Call },
    Fact { record: DailyFact },
    Exchange { record: ExchangeEntry },
    End { records: u64 },
}

/// What a backup or restore moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupSummary {
    pub records: u64,
    pub leads: u64,
    pub facts: u64,
}

impl SledStore {
    /// Writes every record as one JSON line each, between a header and an end line with the count.
    pub fn backup(&self, out: &mut dyn Write) -> Result<BackupSummary> {
        let t = &self.inner.t;
        let mut summary = BackupSummary::default();
        let mut write = |line: &Line, summary: &mut BackupSummary| -> Result<()> {
            out.write_all(&encode(line)?)?;
            out.write_all(b"\n")?;
            if !matches!(line, Line::Header { .. } | Line::End { .. }) {
                summary.records += 1;
            }
            Ok(())
        };
        write(
            &Line::Header { format: FORMAT.into(), schema_version: SCHEMA_VERSION, created: jiff::Timestamp::now() },
            &mut summary,
        )?;
        for entry in t.meta.scan_prefix(COUNTER_PREFIX) {
            let (key, value) = entry?;
            let name = String::from_utf8_lossy(&key[COUNTER_PREFIX.len()..]).into_owned();
            let next = super::codec::key_id(&value).unwrap_or(1);
            write(&Line::Counter { name, next }, &mut summary)?;
        }
        if let Some(bytes) = t.meta.get("settings/service")? {
            write(&Line::ServiceSettings { record: decode("настроек", &bytes)? }, &mut summary)?;
        }
        if let Some(bytes) = t.meta.get("settings/telephony")? {
            write(&Line::Telephony { record: decode("настроек", &bytes)? }, &mut summary)?;
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
        ]
        .into_iter()
        .chain(t.catalog.values())
        {
            tree.clear()?;
        }
        self.clear_facts_locked()?;
        for entry in t.meta.scan_prefix(COUNTER_PREFIX) {
            t.meta.remove(entry?.0)?;
        }
        t.meta.remove("settings/service")?;
        t.meta.remove("settings/telephony")?;
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
            }
        }
        self.restore_facts_locked(facts)?;
        let (exchange, exchange_bytes) = super::exchange::measure(&t.exchange)?;
        self.inner.exchange_count.store(exchange, std::sync::atomic::Ordering::SeqCst);
        self.inner.exchange_bytes.store(exchange_bytes, std::sync::atomic::Ordering::SeqCst);
        drop(guard);
        self.apply_exchange_settings()?;
        // An old backup may have no service settings.
        self.ensure_service_password()?;
        self.durable()?;
        self.emit(StoreEvent::Reloaded);
        Ok(summary)
    }

    fn raw_put<T: super::Record>(&self, record: &T) -> Result<()> {
        let tree = self.inner.t.catalog.get(T::TREE).ok_or_else(|| StoreError::Invalid(T::TREE.into()))?;
        tree.insert(id_key(record.id()), encode(record)?)?;
        Ok(())
    }
}

pub(super) fn read_backup(input: &mut dyn BufRead) -> Result<Vec<Line>> {
    let mut lines = Vec::new();
    let mut ended = None;
    for (index, text) in input.lines().enumerate() {
        let number = index + 1;
        let text = text
            .map_err(|e| StoreError::Backup {
                line: number, reason: format!("не удалось прочитать: {e}")
            })?;
        if ended.is_some() {
            if text.trim().is_empty() {
                continue;
            }
            return Err(StoreError::Backup {
                line: number, reason: "данные после завершающей строки".into()
            });
        }
        let line: Line = serde_json::from_str(&text)
            .map_err(|e| StoreError::Backup {
                line: number, reason: format!("запись не читается ({e})")
            })?;
        match (&line, number) {
            (Line::Header { format, schema_version, .. }, 1) => {
                if format != FORMAT {
                    return Err(StoreError::Backup {
                        line: 1,
                        reason: format!("это не резервная копия skvoz ({format})"),
                    });
                }
                if *schema_version > SCHEMA_VERSION {
                    return Err(StoreError::Backup {
                        line: 1,
                        reason: format!("копия сделана более новой версией (схема {schema_version}): обновите skvoz"),
                    });
                }
            }
            (_, 1) => {
                return Err(StoreError::Backup {
                    line: 1, reason: "нет заголовка резервной копии skvoz".into()
                });
            }
            (Line::Header { .. }, _) => {
                return Err(StoreError::Backup {
                    line: number, reason: "второй заголовок внутри файла".into()
                });
            }
            (Line::End { records }, _) => {
                let have = (lines.len() - 1) as u64;
                if *records != have {
                    return Err(StoreError::Backup {
                        line: number,
                        reason: format!("в завершающей строке {records} записей, а в файле {have}: файл изменён"),
                    });
                }
                ended = Some(number);
            }
            _ => {}
        }
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(StoreError::Backup { line: 1, reason: "файл пуст".into() });
    }
    if ended.is_none() {
        return Err(StoreError::Backup {
            line: lines.len() + 1,
            reason: "нет завершающей строки: файл обрезан".into(),
        });
    }
    Ok(lines)
}
