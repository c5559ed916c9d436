//! Delivery of alerts: a Telegram bot, e-mail over SMTP, a webhook. Each address is a setting, so
//! tests talk to local fakes. Errors never carry a secret (the bot token sits in Telegram's URL).

mod smtp;
mod telegram;
mod webhook;

use crate::domain::{Alert, AlertSettings};
use std::time::Duration;

/// How long one delivery may take before it counts as failed (and is retried next round).
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A delivery channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Telegram,
    Email,
    Webhook,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Telegram, Channel::Email, Channel::Webhook];
    pub fn title(self) -> &'static str {
        match self {
            Channel::Telegram => "Telegram",
            Channel::Email => "E-mail",
            Channel::Webhook => "Webhook",
        }
    }
    /// A short stable name, for the memory of what was sent.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
    pub fn is_enabled(self, settings: &AlertSettings) -> bool {
        match self {
            Channel::Telegram => settings.telegram_enabled,
            Channel::Email => settings.email_enabled,
            Channel::Webhook => settings.webhook_enabled,
        }
    }
}

/// Why a delivery failed, for people (Russian, says what to check); never with a secret.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("не заполнено: {0}")]
    NotSetUp(&'static str),
    #[error("нет связи с {what}: {reason}")]
    Connect { what: String, reason: String },
    #[error("Telegram не принял сообщение: {0}. Проверьте токен бота и chat_id (бот должен быть в чате)")]
    TelegramRefused(String),
    #[error("почтовый сервер ответил «{reply}» на {step}")]
    SmtpRefused { step: &'static str, reply: String },
    #[error("почтовый сервер: {0}")]
    Smtp(String),
    #[error("адрес webhook ответил HTTP {0}")]
    WebhookStatus(u16),
    #[error("не ответили за {} с", TIMEOUT.as_secs())]
    Timeout,
}

/// Sends `alerts` (a test message when empty) over one channel.
pub async fn send(channel: Channel, settings: &AlertSettings, alerts: &[Alert]) -> Result<(), NotifyError> {
    let sending = async {
        match channel {
            Channel::Telegram => telegram::send(settings, alerts).await,
            Channel::Email => smtp::send(settings, alerts).await,
            Channel::Webhook => webhook::send(settings, alerts).await,
        }
    };
    tokio::time::timeout(TIMEOUT, sending).await.map_err(|_| NotifyError::Timeout)?
}

/// A test message over every enabled channel: what each answered.
pub async fn send_test(settings: &AlertSettings) -> Vec<(Channel, Result<(), NotifyError>)> {
    let mut out = Vec::new();
    for channel in Channel::ALL.into_iter().filter(|c| c.is_enabled(settings)) {
        out.push((channel, send(channel, settings, &[]).await));
    }
    out
}

/// An HTTP client for deliveries; the error names no URL (it may hold a token).
fn http() -> Result<reqwest::Client, NotifyError> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| NotifyError::Connect { what: "HTTP".into(), reason: e.without_url().to_string() })
}

/// A reqwest error without its URL, in words.
fn http_failure(what: &str, e: reqwest::Error) -> NotifyError {
    NotifyError::Connect { what: what.into(), reason: e.without_url().to_string() }
}
