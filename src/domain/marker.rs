//! The «Roistat маркер»: a visit number or a source marker such as `seo_yandex` or `offline/fair2026`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest marker we accept; Roistat's markers are short, this only bounds garbage.
pub const MARKER_MAX_LEN: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarkerError {
    #[error("Маркер пуст: введите, например, seo_yandex")]
    Empty,
    #[error("Маркер не может содержать пробелы: замените их на «_» или «/»")]
    Whitespace,
    #[error("Маркер содержит управляющий символ: удалите его")]
    Control,
    #[error("Маркер длиннее {MARKER_MAX_LEN} символов: сократите его")]
    TooLong,
    #[error("Уровень маркера пуст: уберите лишний «_» или «/» ({0})")]
    EmptyLevel(String),
}

/// A valid marker: non-empty, bounded, no whitespace or control characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Marker(String);

impl Marker {
    pub fn parse(text: &str) -> Result<Marker, MarkerError> {
        if text.is_empty() {
            return Err(MarkerError::Empty);
        }
        if text.chars().count() > MARKER_MAX_LEN {
            return Err(MarkerError::TooLong);
        }
        if text.chars().any(char::is_whitespace) {
            return Err(MarkerError::Whitespace);
        }
        if text.chars().any(char::is_control) {
            return Err(MarkerError::Control);
        }
        Ok(Marker(text.to_string()))
    }

    /// Strict form for markers typed in the CRM: also no empty level (`seo__x`, `/seo`).
    pub fn parse_source(text: &str) -> Result<Marker, MarkerError> {
        let marker = Marker::parse(text)?;
        if !marker.is_visit_number() && marker.0.split(['/', '_']).any(str::is_empty) {
            return Err(MarkerError::EmptyLevel(text.to_string()));
        }
        Ok(marker)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits only mean a visit number (the `roistat_visit` cookie), not a source.
    pub fn is_visit_number(&self) -> bool {
        self.0.chars().all(|c| c.is_ascii_digit())
    }

    /// Source levels: `/` and `_` split them; a visit number has none.
    pub fn levels(&self) -> Vec<&str> {
        if self.is_visit_number() {
            return Vec::new();
        }
        self.0.split(['/', '_']).filter(|l| !l.is_empty()).collect()
    }

    /// «Уровень 1: seo · Уровень 2: yandex»
    pub fn levels_preview(&self) -> String {
        self.levels().iter().enumerate().map(|(i, l)| format!("Уровень {}: {l}", i + 1)).collect::<Vec<_>>().join(" · ")
    }
}

impl TryFrom<String> for Marker {
    type Error = MarkerError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Marker::parse(&value)
    }
}

impl From<Marker> for String {
    fn from(m: Marker) -> String {
        m.0
    }
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_markers_and_levels() {
        let m = Marker::parse("seo_yandex").unwrap();
        assert_eq!(m.levels(), vec!["seo", "yandex"]);
        let m = Marker::parse("offline/fair2026_hall").unwrap();
        assert_eq!(m.levels(), vec!["offline", "fair2026", "hall"]);
        assert_eq!(m.levels_preview(), "Уровень 1: offline · Уровень 2: fair2026 · Уровень 3: hall");
        let visit = Marker::parse("3121512").unwrap();
        assert!(visit.is_visit_number());
        assert!(visit.levels().is_empty());
    }

    #[test]
    fn invalid_markers_are_refused() {
        assert_eq!(Marker::parse(""), Err(MarkerError::Empty));
        assert_eq!(Marker::parse("seo yandex"), Err(MarkerError::Whitespace));
        assert_eq!(Marker::parse("seo\u{7}"), Err(MarkerError::Control));
        assert_eq!(Marker::parse(&"a".repeat(201)), Err(MarkerError::TooLong));
        assert!(matches!(Marker::parse_source("seo__x"), Err(MarkerError::EmptyLevel(_))));
        assert!(serde_json::from_str::<Marker>("\"a b\"").is_err());
    }
}
