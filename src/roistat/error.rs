//! Errors of Roistat API calls. Every message is Russian, says what to do, and never holds the key.

use std::time::Duration;

/// What went wrong in one call; `call` names the API method (e.g. `project/analytics/data`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoistatError {
    #[error("Неверный адрес API Roistat «{0}»: укажите адрес вида https://cloud.roistat.com/api/v1")]
    BadBaseUrl(String),
    #[error(
        "Часовой пояс проекта «{0}» не известен: укажите его как в Roistat, например Europe/Moscow или Asia/Yekaterinburg"
    )]
    UnknownTimeZone(String),
    #[error("API-ключ Roistat содержит недопустимые символы (пробелы внутри, переводы строк): скопируйте его заново")]
    BadKey,
    #[error("Не удалось связаться с Roistat (запрос {call}): {reason}")]
    Network { call: &'static str, reason: String },
    #[error(
        "Roistat не ответил вовремя (запрос {call}, ожидание {seconds} с). Повторите загрузку позже; если повторяется, уменьшите период"
    )]
    Timeout { call: &'static str, seconds: u64 },
    #[error(
        "Roistat ответил ошибкой HTTP {status} на запрос {call}{}. Повторите загрузку позже",
        detail_suffix(detail)
    )]
    Http { call: &'static str, status: u16, detail: String, retry_after: Option<Duration> },
    #[error(
        "Roistat не принял API-ключ (запрос {call}{}). Проверьте API-ключ в настройках источника: его можно скопировать в Roistat, раздел «Настройки» → «Профиль»",
        detail_suffix(description)
    )]
    AuthenticationFailed { call: &'static str, description: String },
    #[error(
        "Нет доступа к проекту Roistat (запрос {call}{}). Проверьте номер проекта и что у владельца ключа есть доступ к нему",
        detail_suffix(description)
    )]
    AuthorizationFailed { call: &'static str, description: String },
    #[error(
        "Roistat запретил доступ (запрос {call}{}). Проверьте права пользователя, чей API-ключ указан, и тариф проекта",
        detail_suffix(description)
    )]
    AccessDenied { call: &'static str, description: String },
    #[error(
        "Roistat ограничил частоту запросов (запрос {call}{}). Повторите загрузку через несколько минут",
        detail_suffix(description)
    )]
    RateLimited { call: &'static str, description: String, retry_after: Option<Duration> },
    #[error(
        "Roistat вернул ошибку «{code}» на запрос {call}{}. Проверьте настройки источника аналитики",
        detail_suffix(description)
    )]
    Api { call: &'static str, code: String, description: String },
    #[error(
        "Roistat прислал непонятный ответ на запрос {call}: {reason}. Повторите загрузку позже; если повторяется, проверьте адрес API"
    )]
    BadResponse { call: &'static str, reason: String },
    #[error("Запрос {call} отменён")]
    Cancelled { call: &'static str },
}

fn detail_suffix(detail: &str) -> String {
    if detail.trim().is_empty() { String::new() } else { format!(": {}", detail.trim()) }
}

impl RoistatError {
    /// Worth waiting and trying again (Roistat's rate limit or HTTP 429).
    pub fn is_rate_limit(&self) -> bool {
        matches!(self, RoistatError::RateLimited { .. } | RoistatError::Http { status: 429, .. })
    }

    /// What the server asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            RoistatError::RateLimited { retry_after, .. } | RoistatError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Roistat's "the period is too long for one answer": split it and ask again.
    pub fn is_try_smaller_period(&self) -> bool {
        let text = match self {
            RoistatError::Api { description, .. } | RoistatError::Http { detail: description, .. } => description,
            _ => return false,
        };
        text.to_ascii_lowercase().contains("try smaller period")
    }

    /// The API method the error came from.
    pub fn call(&self) -> &'static str {
        match self {
            RoistatError::BadBaseUrl(_) | RoistatError::BadKey | RoistatError::UnknownTimeZone(_) => "",
            RoistatError::Network { call, .. }
            | RoistatError::Timeout { call, .. }
            | RoistatError::Http { call, .. }
            | RoistatError::AuthenticationFailed { call, .. }
            | RoistatError::AuthorizationFailed { call, .. }
            | RoistatError::AccessDenied { call, .. }
            | RoistatError::RateLimited { call, .. }
            | RoistatError::Api { call, .. }
            | RoistatError::BadResponse { call, .. }
            | RoistatError::Cancelled { call } => call,
        }
    }
}
