//! Telegram's Bot API: `POST {api_base}/bot{token}/sendMessage` with `chat_id` and `text`.

use super::{NotifyError, http, http_failure};
use crate::domain::{Alert, AlertSettings, alerts};

pub(super) async fn send(settings: &AlertSettings, found: &[Alert]) -> Result<(), NotifyError> {
    if settings.telegram_token.is_empty() {
        return Err(NotifyError::NotSetUp("токен бота Telegram"));
    }
    if settings.telegram_chat_id.trim().is_empty() {
        return Err(NotifyError::NotSetUp("chat_id Telegram"));
    }
    let url =
        format!("{}/bot{}/sendMessage", settings.telegram_api_base_or_default(), settings.telegram_token.expose());
    let body = serde_json::json!({
        "chat_id": settings.telegram_chat_id.trim(),
        "text": alerts::message_text(found),
        "disable_web_page_preview": true,
    });
    let response = http()?.post(url).json(&body).send().await.map_err(|e| http_failure("Telegram", e))?;
    let status = response.status();
    // Telegram answers {"ok":false,"description":"Bad Request: chat not found"} with a 4xx.
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    if status.is_success() && answer["ok"].as_bool() == Some(true) {
        return Ok(());
    }
    let description = answer["description"].as_str().map(String::from).unwrap_or_else(|| format!("HTTP {status}"));
    Err(NotifyError::TelegramRefused(description))
}
