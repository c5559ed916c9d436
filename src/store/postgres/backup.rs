//! Backup and restore on PostgreSQL, in the embedded store's format and order: a backup of either
//! backend restores into the other, and the two backups are identical.

use super::PgStore;
use super::feed::{Kind, record};
use crate::domain::{AnalyticsSource, ExtraField, LeadSource, Status, User};
use crate::store::SCHEMA_VERSION;
use crate::store::backup_format::{FORMAT, Line, read_backup, write_line};
use crate::store::record::{ALERT_SETTINGS, SERVICE_SETTINGS, TELEPHONY};
use crate::store::{BackupSummary, Result, StoreError};
use std::io::{BufRead, Write};
use tokio_postgres::types::Json;

impl PgStore {
    /// Every record as one JSON line, between a header and an end line with the count.
    pub async fn backup(&self, out: &mut (dyn Write + Send)) -> Result<BackupSummary> {
        let mut summary = BackupSummary::default();
        let mut write = |line: &Line, summary: &mut BackupSummary| write_line(out, line, summary);
        write(
            &Line::Header { format: FORMAT.into(), schema_version: SCHEMA_VERSION, created: jiff::Timestamp::now() },
            &mut summary,
        )?;
        for row in self.query("SELECT name, next FROM counters ORDER BY name COLLATE \"C\"", &[]).await? {
            write(&Line::Counter { name: row.get(0), next: row.get::<_, i64>(1) as u64 }, &mut summary)?;
        }
        for (key, service) in [(SERVICE_SETTINGS, true), (TELEPHONY, false)] {
            let rows = self.query("SELECT record FROM settings WHERE key = $1", &[&key]).await?;
            if let Some(row) = rows.first() {
                let line = if service {
                    Line::ServiceSettings { record: super::record(row, 0)? }
                } else {
                    Line::Telephony { record: super::record(row, 0)? }
                };
                write(&line, &mut summary)?;
            }
        }
        if let Some(row) = self.query("SELECT record FROM settings WHERE key = $1", &[&ALERT_SETTINGS]).await?.first() {
            write(&Line::AlertSettings { record: super::record(row, 0)? }, &mut summary)?;
        }
        for record in self.list::<Status>().await? {
            write(&Line::Status { record }, &mut summary)?;
        }
        for record in self.list::<ExtraField>().await? {
            write(&Line::ExtraField { record }, &mut summary)?;
        }
        for record in self.list::<User>().await? {
            write(&Line::User { record }, &mut summary)?;
        }
        for record in self.list::<LeadSource>().await? {
            write(&Line::LeadSource { record }, &mut summary)?;
        }
        for record in self.list::<AnalyticsSource>().await? {
            write(&Line::AnalyticsSource { record }, &mut summary)?;
        }
        for record in self.all_clients().await? {
            write(&Line::Client { record }, &mut summary)?;
        }
        for record in self.all_leads().await? {
            write(&Line::Lead { record }, &mut summary)?;
            summary.leads += 1;
        }
        for record in self.calls().await? {
            write(&Line::Call { record }, &mut summary)?;
        }
        for record in self.all_facts().await? {
            summary.facts += 1;
            write(&Line::Fact { record }, &mut summary)?;
        }
        for record in self.exchange_after(0).await? {
            write(&Line::Exchange { record }, &mut summary)?;
        }
        for record in self.plans(None).await? {
            write(&Line::Plan { record }, &mut summary)?;
        }
        write(&Line::End { records: summary.records }, &mut summary)?;
        out.flush()?;
        Ok(summary)
    }

    /// Replaces everything with a backup, in one transaction: a damaged file changes nothing.
    pub async fn restore(&self, input: &mut (dyn BufRead + Send), force: bool) -> Result<BackupSummary> {
        let lines = read_backup(input)?;
        if !force && !self.is_empty().await? {
            return Err(StoreError::NotEmpty(format!("База данных {}", self.server())));
        }
        let summary = transact!(self, |tx| {
            tx.batch_execute(
                "TRUNCATE counters, settings, statuses, extra_fields, users, lead_sources, analytics_sources, clients, \
                 leads, calls, facts, fact_month_sums, fact_channel_days, exchange_log, plans, alerts_sent",
            )
            .await?;
            let mut summary = BackupSummary::default();
            let mut facts = Vec::new();
            // The bytes of the exchange log before each entry, as the log counts them (ascending ids).
            let mut exchange_bytes = 0i64;
            for line in &lines {
                summary.records += 1;
                match line {
                    Line::Header { .. } | Line::End { .. } => summary.records -= 1,
                    Line::Counter { name, next } => {
                        tx.execute("INSERT INTO counters (name, next) VALUES ($1, $2)", &[name, &(*next as i64)])
                            .await?;
                    }
                    Line::ServiceSettings { record } => {
                        super::catalog::put_setting_in(tx, SERVICE_SETTINGS, record).await?
                    }
                    Line::Telephony { record } => super::catalog::put_setting_in(tx, TELEPHONY, record).await?,
                    Line::AlertSettings { record } => {
                        super::catalog::put_setting_in(tx, ALERT_SETTINGS, record).await?
                    }
                    Line::Status { record } => super::catalog::insert_in(tx, record).await?,
                    Line::ExtraField { record } => super::catalog::insert_in(tx, record).await?,
                    Line::User { record } => super::catalog::insert_in(tx, record).await?,
                    Line::LeadSource { record } => super::catalog::insert_in(tx, record).await?,
                    Line::AnalyticsSource { record } => super::catalog::insert_in(tx, record).await?,
                    Line::Client { record } => super::leads::put_client(tx, record).await?,
                    Line::Lead { record } => {
                        super::leads::put_lead(tx, record).await?;
                        summary.leads += 1;
                    }
                    Line::Call { record } => {
                        tx.execute(
                            "INSERT INTO calls (id, roistat_call_id, lead_id, record) VALUES ($1, $2, $3, $4)",
                            &[
                                &(record.id as i64),
                                &record.roistat_call_id,
                                &record.lead_id.map(|l| l as i64),
                                &Json(record),
                            ],
                        )
                        .await?;
                    }
                    Line::Fact { record } => {
                        facts.push(record.clone());
                        summary.facts += 1;
                    }
                    Line::Exchange { record } => {
                        let entry = record.clone().bounded();
                        let bytes = serde_json::to_vec(&entry).map(|v| v.len()).unwrap_or(0) as i64;
                        tx.execute(
                            "INSERT INTO exchange_log (id, bytes, bytes_before, record) VALUES ($1, $2, $3, $4)",
                            &[&(entry.id as i64), &bytes, &exchange_bytes, &Json(&entry)],
                        )
                        .await?;
                        exchange_bytes += bytes;
                    }
                    Line::Plan { record } => {
                        super::plans::put_in(tx, record).await?;
                    }
                }
            }
            super::facts::insert(tx, &facts).await?;
            // The facts' sums are not in a backup: rebuilt here, per source over its days.
            let mut spans: std::collections::BTreeMap<u64, (jiff::civil::Date, jiff::civil::Date)> = Default::default();
            for f in &facts {
                let span = spans.entry(f.analytics_source_id).or_insert((f.date, f.date));
                *span = (span.0.min(f.date), span.1.max(f.date));
            }
            for (source, (from, to)) in spans {
                super::facts::refresh_sums(tx, source, from, to).await?;
            }
            record(tx, Kind::Reloaded, &[]).await?;
            Ok(summary)
        })?;
        // An old backup may have no service settings.
        self.ensure_service_password().await?;
        self.apply_exchange_settings().await?;
        Ok(summary)
    }
}
