//! Analytics sources (источники получения аналитики): Roistat projects loaded on a schedule.

use super::Secret;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Источник получения аналитики: one Roistat project loaded on a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsSource {
    pub id: u64,
    pub name: String,
    pub api_key: Secret,
    pub project: String,
    /// Empty means Roistat's cloud.
    pub api_base: String,
    /// «Часовой пояс проекта» (an IANA name): Roistat counts days in the zone of the period it is
    /// sent, so periods go in the project's own zone.
    pub time_zone: String,
    pub interval_minutes: u32,
    pub history_days: u32,
    pub reload_days: u32,
    pub enabled: bool,
    pub last_start: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
    pub facts_loaded: u64,
    /// Our figures the project has no metric for (e.g. «Звонки» without call tracking), as the last
    /// load found them: shown as «нет в проекте», read as zero.
    pub missing_metrics: Vec<String>,
    /// «Сверка с Roistat»: the last match of Roistat's proxy leads with ours.
    pub reconciliation: Option<super::Reconciliation>,
}

impl AnalyticsSource {
    /// Its name and how its loads went, nothing else (no API key): what the alert rules read.
    pub fn load_state(&self) -> AnalyticsSource {
        AnalyticsSource {
            id: self.id,
            name: self.name.clone(),
            enabled: self.enabled,
            last_start: self.last_start,
            last_success: self.last_success,
            last_error: self.last_error.clone(),
            ..AnalyticsSource::default()
        }
    }
}

pub const DEFAULT_API_BASE: &str = "https://cloud.roistat.com/api/v1";
/// Roistat's own default zone for a project.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Moscow";

impl Default for AnalyticsSource {
    fn default() -> Self {
        AnalyticsSource {
            id: 0,
            name: String::new(),
            api_key: Secret::default(),
            project: String::new(),
            api_base: String::new(),
            time_zone: DEFAULT_TIME_ZONE.to_string(),
            interval_minutes: 60,
            history_days: 180,
            reload_days: 14,
            enabled: true,
            last_start: None,
            last_success: None,
            last_error: None,
            facts_loaded: 0,
            missing_metrics: Vec::new(),
            reconciliation: None,
        }
    }
}

impl AnalyticsSource {
    /// The job's name as 1C shows it.
    pub fn job_name(&self) -> String {
        format!("Загрузка сквозной аналитики Roistat. Сценарий: {}", self.name)
    }
    pub fn api_base_or_default(&self) -> &str {
        if self.api_base.trim().is_empty() { DEFAULT_API_BASE } else { self.api_base.trim() }
    }
    /// Whether the schedule says it is time for a load.
    pub fn is_due(&self, now: Timestamp) -> bool {
        if !self.enabled {
            return false;
        }
        match self.last_start {
            None => true,
            Some(start) => now.as_second() - start.as_second() >= i64::from(self.interval_minutes.max(1)) * 60,
        }
    }
}
