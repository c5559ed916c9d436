//! Secrets (passwords, API keys) that must never reach a log line.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The clear text, for the few places that must send or compare it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `••••••••` with the last two characters for recognition.
    pub fn masked(&self) -> String {
        let n = self.0.chars().count();
        if n <= 4 {
            "•".repeat(n.max(4))
        } else {
            let tail: String = self.0.chars().skip(n - 2).collect();
            format!("••••••{tail}")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug_output_and_masks_to_its_tail() {
        let settings = crate::domain::ServiceSettings { password: Secret::new("Pa55-word-42"), ..Default::default() };
        let debug = format!("{settings:?} {:?}", settings.password);
        assert!(!debug.contains("Pa55"), "{debug}");
        assert!(debug.contains("Secret(***)"));
        assert_eq!(settings.password.masked(), "••••••42");
        assert_eq!(Secret::new("abc").masked(), "••••");
        // Stored as plain text: the store and backups keep it, in files only their owner reads.
        assert_eq!(serde_json::to_string(&settings.password).unwrap(), "\"Pa55-word-42\"");
    }
}
