//! Telephony settings, its traffic light, and the state of a check.

use super::Secret;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The state of one run of a check or a load, kept for the screens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub at: Timestamp,
    pub ok: bool,
    pub message: String,
}

/// Telephony settings (Телефония); the traffic light reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Telephony {
    pub provider: String,
    pub address: String,
    pub login: String,
    pub secret: Secret,
    pub last_check: Option<CheckResult>,
}

/// The telephony traffic light next to «Использовать звонки».
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Light {
    Green,
    Amber,
    /// Not set up: what a store without telephony settings shows.
    #[default]
    Red,
}

impl Telephony {
    pub fn is_set_up(&self) -> bool {
        !self.provider.trim().is_empty() && !self.address.trim().is_empty()
    }
    pub fn light(&self) -> Light {
        match (self.is_set_up(), &self.last_check) {
            (false, _) => Light::Red,
            (true, Some(check)) if check.ok => Light::Green,
            (true, _) => Light::Amber,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_light() {
        let mut t = Telephony::default();
        assert_eq!(t.light(), Light::Red);
        t.provider = "Mango".into();
        t.address = "https://pbx.example.ru".into();
        assert_eq!(t.light(), Light::Amber);
        t.last_check =
            Some(CheckResult { at: Timestamp::UNIX_EPOCH, ok: false, message: "нет ответа".into() });
        assert_eq!(t.light(), Light::Amber);
        t.last_check = Some(CheckResult { at: Timestamp::UNIX_EPOCH, ok: true, message: "OK".into() });
        assert_eq!(t.light(), Light::Green);
    }
}
