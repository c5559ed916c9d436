//! The exchange log (журнал обмена): one entry per request from Roistat.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    /// A resent lead: answered with the earlier `order_id`, nothing created.
    Duplicate,
    AuthFailed,
    Error,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [Outcome::Ok, Outcome::Duplicate, Outcome::AuthFailed, Outcome::Error];
    pub fn title(self) -> &'static str {
        match self {
            Outcome::Ok => "Успешно",
            Outcome::Duplicate => "Повтор",
            Outcome::AuthFailed => "Ошибка входа",
            Outcome::Error => "Ошибка",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeEntry {
    pub id: u64,
    pub at: Timestamp,
    pub remote: String,
    pub action: String,
    pub outcome: Outcome,
    pub http_status: u16,
    pub duration_micros: u64,
    #[serde(default)]
    pub error: String,
    /// Parameters with secrets masked.
    #[serde(default)]
    pub params: Vec<(String, String)>,
    /// The answer, cut to a few kilobytes.
    #[serde(default)]
    pub answer: String,
}

/// Parameter names whose values never reach the log.
pub fn is_secret_param(name: &str) -> bool {
    matches!(name.to_ascii_lowercase().as_str(), "token" | "password" | "pass" | "api_key" | "key" | "authorization")
}

pub const MASK: &str = "***";
