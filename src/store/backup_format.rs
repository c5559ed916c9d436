//! The backup file: self-describing JSON lines — a header, one line per record, an end line with
//! the count — written and read the same way by both backends, so a backup of either restores into
//! the other.

use super::{Result, SCHEMA_VERSION, StoreError};
use crate::domain::{
    AlertSettings, AnalyticsSource, Call, Client, DailyFact, ExchangeEntry, ExtraField, Lead, LeadSource, Plan,
    ServiceSettings, Status, Telephony, User,
};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

pub(crate) const FORMAT: &str = "skvoz-backup";

// Lines live one at a time while reading or writing; boxing the big records would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Line {
    Header { format: String, schema_version: u32, created: jiff::Timestamp },
    Counter { name: String, next: u64 },
    ServiceSettings { record: ServiceSettings },
    Telephony { record: Telephony },
    AlertSettings { record: AlertSettings },
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
    Plan { record: Plan },
    End { records: u64 },
}

/// What a backup or restore moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupSummary {
    pub records: u64,
    pub leads: u64,
    pub facts: u64,
}

/// Writes one line and counts it (the header and the end line are not records).
pub(crate) fn write_line(out: &mut (impl Write + ?Sized), line: &Line, summary: &mut BackupSummary) -> Result<()> {
    let json = serde_json::to_vec(line).map_err(|e| StoreError::Invalid(format!("не удалось записать копию: {e}")))?;
    out.write_all(&json)?;
    out.write_all(b"\n")?;
    if !matches!(line, Line::Header { .. } | Line::End { .. }) {
        summary.records += 1;
    }
    Ok(())
}

pub(crate) fn read_backup(input: &mut dyn BufRead) -> Result<Vec<Line>> {
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
