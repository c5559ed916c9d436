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
