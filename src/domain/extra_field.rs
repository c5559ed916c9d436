//! Extra fields (доп. реквизиты) and their developer names.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldKind {
    /// Roistat passes every value as a string, so only text is allowed.
    #[default]
    Text,
}

/// An extra field (доп. реквизит). Sync goes by `dev_name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraField {
    pub id: u64,
    /// Display name.
    pub name: String,
    /// «Имя для разработчиков»: the key in Roistat's `data` and in `export`.
    pub dev_name: String,
    #[serde(default)]
    pub kind: FieldKind,
    /// Created by skvoz for Roistat's ids; read-only in the editor.
    #[serde(default)]
    pub service: bool,
}

/// Developer name of the field that holds the Roistat marker.
pub const MARKER_FIELD: &str = "roistat";

/// Service and UTM fields created when «Использовать сквозную аналитику» is on.
pub fn required_fields() -> Vec<(&'static str, &'static str, bool)> {
    vec![
        (MARKER_FIELD, "Roistat маркер", true),
        ("roistat_lead_id", "Идентификатор заявки Roistat", true),
        ("roistat_manager_id", "Идентификатор менеджера Roistat", true),
        ("utm_source", "utm_source", false),
        ("utm_medium", "utm_medium", false),
        ("utm_campaign", "utm_campaign", false),
    ]
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DevNameError {
    #[error("Имя для разработчиков обязательно: по нему идёт синхронизация с Roistat")]
    Empty,
    #[error(
        "Имя для разработчиков должно начинаться с латинской буквы и содержать только латинские буквы, цифры и «_»"
    )]
    Invalid,
    #[error("Имя для разработчиков «{0}» уже занято другим реквизитом")]
    Duplicate(String),
}

/// A developer name: an ASCII identifier, since it travels in URLs and JSON keys.
pub fn validate_dev_name(name: &str) -> Result<(), DevNameError> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err(DevNameError::Empty),
        Some(first) if !first.is_ascii_alphabetic() => Err(DevNameError::Invalid),
        Some(_) if chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && name.len() <= 64 => Ok(()),
        Some(_) => Err(DevNameError::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_names() {
        assert_eq!(validate_dev_name("utm_source"), Ok(()));
        assert_eq!(validate_dev_name(""), Err(DevNameError::Empty));
        assert_eq!(validate_dev_name("1abc"), Err(DevNameError::Invalid));
        assert_eq!(validate_dev_name("доставка"), Err(DevNameError::Invalid));
    }
}
