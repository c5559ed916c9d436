//! A webhook: `POST` of JSON `{"text": …, "alerts": [...], "test": bool}` to a URL.

use super::{NotifyError, http, http_failure};
use crate::domain::{Alert, AlertSettings, alerts};

pub(super) async fn send(settings: &AlertSettings, found: &[Alert]) -> Result<(), NotifyError> {
    let url = settings.webhook_url.trim();
    if url.is_empty() {
        return Err(NotifyError::NotSetUp("адрес webhook"));
    }
    let body = serde_json::json!({
        "text": alerts::message_text(found),
        "alerts": found,
        "test": found.is_empty(),
    });
    let response = http()?.post(url).json(&body).send().await.map_err(|e| http_failure("адресом webhook", e))?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(NotifyError::WebhookStatus(status.as_u16())),
    }
}
