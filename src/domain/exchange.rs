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

/// Which log entries a person wants to see; every condition left empty lets everything through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExchangeFilter {
    /// The exact action (`""` is the address check without an action).
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    /// Entries at or after this moment.
    pub since: Option<Timestamp>,
    /// Text searched, ignoring case, in the action, address, parameters, answer and error.
    pub text: String,
}

impl ExchangeFilter {
    pub fn is_empty(&self) -> bool {
        self.action.is_none() && self.outcome.is_none() && self.since.is_none() && self.text.trim().is_empty()
    }

    /// A filter whose text is already lower case and trimmed, ready for many entries.
    pub fn prepared(&self) -> ExchangeFilter {
        ExchangeFilter { text: self.text.trim().to_lowercase(), ..self.clone() }
    }

    /// Whether `entry` passes. Expects a [`prepared`](Self::prepared) filter.
    pub fn matches(&self, entry: &ExchangeEntry) -> bool {
        if self.action.as_ref().is_some_and(|a| *a != entry.action)
            || self.outcome.is_some_and(|o| o != entry.outcome)
            || self.since.is_some_and(|s| entry.at < s)
        {
            return false;
        }
        if self.text.is_empty() {
            return true;
        }
        let found = |s: &str| s.to_lowercase().contains(&self.text);
        found(&entry.action)
            || found(&entry.error)
            || found(&entry.remote)
            || found(&entry.answer)
            || entry.params.iter().any(|(k, v)| found(k) || (!is_secret_param(k) && found(v)))
            || entry.http_status.to_string() == self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, outcome: Outcome, error: &str) -> ExchangeEntry {
        ExchangeEntry {
            id: 1,
            at: Timestamp::from_second(1_700_000_000).unwrap(),
            remote: "10.0.0.1:5000".into(),
            action: action.into(),
            outcome,
            http_status: 200,
            duration_micros: 10,
            error: error.into(),
            params: vec![("token".into(), "Секрет".into()), ("phone".into(), "79990001122".into())],
            answer: "{\"status\":\"ok\"}".into(),
        }
    }

    #[test]
    fn the_filter_checks_every_condition() {
        let e = entry("lead", Outcome::Error, "Заявка не сохранена: ДИСК полон");
        assert!(ExchangeFilter::default().prepared().matches(&e));
        let f = |change: fn(&mut ExchangeFilter)| {
            let mut f = ExchangeFilter::default();
            change(&mut f);
            f.prepared().matches(&e)
        };
        assert!(f(|f| f.action = Some("lead".into())));
        assert!(!f(|f| f.action = Some("export".into())));
        assert!(f(|f| f.outcome = Some(Outcome::Error)));
        assert!(!f(|f| f.outcome = Some(Outcome::Ok)));
        assert!(f(|f| f.since = Timestamp::from_second(1_700_000_000).ok()));
        assert!(!f(|f| f.since = Timestamp::from_second(1_700_000_001).ok()));
        assert!(f(|f| f.text = "  диск ПОЛОН ".into()), "case and spaces do not matter");
        assert!(f(|f| f.text = "79990001122".into()));
        assert!(f(|f| f.text = "10.0.0.1".into()));
        assert!(f(|f| f.text = "200".into()));
        assert!(!f(|f| f.text = "секрет".into()), "secret values are never searched");
        assert!(!f(|f| f.text = "нет такого".into()));
    }
}
