//! Settings of the HTTP service «CRM_СквознаяАналитикаИнтеграция».

use super::Secret;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LOGIN: &str = "httpService";
pub const DEFAULT_PUBLICATION: &str = "crm_httpAnalytics";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8085";
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1_000_000;
/// The exchange log's total size: room for about 100,000 ordinary entries.
pub const DEFAULT_EXCHANGE_LOG_MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceSettings {
    pub listen: String,
    pub publication: String,
    pub login: String,
    pub password: Secret,
    /// Request line + headers, and the body, each at most this many bytes.
    pub max_request_bytes: usize,
    /// No login at all: only when switched on explicitly.
    pub anonymous: bool,
    /// «Не выгружать заказы, созданные до»: mirrors Roistat's minimum order date.
    pub export_min_created: Option<jiff::civil::Date>,
    /// «Использовать сквозную аналитику»: service fields exist.
    pub analytics_enabled: bool,
    /// The service runs inside the window; off keeps the port free.
    pub enabled: bool,
    /// The exchange log keeps at most this many bytes of entries; the oldest go first.
    pub exchange_log_max_bytes: u64,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            listen: DEFAULT_LISTEN.into(),
            publication: DEFAULT_PUBLICATION.into(),
            login: DEFAULT_LOGIN.into(),
            password: Secret::default(),
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            anonymous: false,
            export_min_created: None,
            analytics_enabled: true,
            enabled: true,
            exchange_log_max_bytes: DEFAULT_EXCHANGE_LOG_MAX_BYTES,
        }
    }
}

impl ServiceSettings {
    /// The path Roistat calls: `/{publication}/hs/analytics`.
    pub fn path(&self) -> String {
        format!("/{}/hs/analytics", self.publication.trim_matches('/'))
    }
}
