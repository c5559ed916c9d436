//! Lead sources (источники получения заявок): where leads come from and who gets them.

use super::{Responsible, Secret, User};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadSourceKind {
    #[default]
    CallTracking,
}

impl LeadSourceKind {
    pub fn title(self) -> &'static str {
        "Call-трекинг"
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadSourceType {
    #[default]
    Roistat,
}

impl LeadSourceType {
    pub fn title(self) -> &'static str {
        "Roistat"
    }
}

/// Источник получения заявок.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadSource {
    pub id: u64,
    pub name: String,
    pub kind: LeadSourceKind,
    pub source_type: LeadSourceType,
    pub responsible: Option<Responsible>,
    pub use_calls: bool,
    pub use_leads: bool,
    /// «Адрес публикации сервисов», e.g. `https://crm.example.ru/crm_httpAnalytics`.
    pub publication_address: String,
    pub api_key: Secret,
}

/// The lead source Roistat's proxy leads arrive through: the first Roistat source with
/// «Использовать заявки», else the first Roistat source at all.
pub fn roistat_lead_source(sources: &[LeadSource]) -> Option<&LeadSource> {
    let roistat = || sources.iter().filter(|s| s.source_type == LeadSourceType::Roistat);
    roistat().find(|s| s.use_leads).or_else(|| roistat().next())
}

/// Who gets a new lead: the source's user, or the people of its role in turn (`turn` counts the
/// leads handed out so far). A role nobody has stays a role.
pub fn assign_responsible(responsible: Option<Responsible>, users: &[User], turn: &mut usize) -> Option<Responsible> {
    let Some(Responsible::Role(role)) = responsible else { return responsible };
    let mut people: Vec<&User> = users.iter().filter(|u| u.role == role).collect();
    if people.is_empty() {
        return responsible;
    }
    people.sort_by_key(|u| u.id);
    let person = people[*turn % people.len()];
    *turn = turn.wrapping_add(1);
    Some(Responsible::User(person.id))
}

/// «Адрес сервиса Roistat» from the publication address.
pub fn roistat_service_address(publication_address: &str) -> String {
    format!("{}/hs/analytics", publication_address.trim_end_matches('/'))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("Укажите адрес публикации, например https://crm.example.ru/crm_httpAnalytics")]
    Empty,
    #[error("Адрес должен начинаться с http:// или https://")]
    Scheme,
    #[error("В адресе нет имени сервера: http://сервер[:порт]/имя")]
    Host,
    #[error("Порт в адресе должен быть числом от 1 до 65535")]
    Port,
    #[error("После сервера укажите имя публикации: http://сервер[:порт]/имя")]
    Name,
    #[error("Адрес не может содержать пробелы, «?» или «#»")]
    Chars,
}

/// Checks `http(s)://host[:port]/name`.
pub fn validate_publication_address(address: &str) -> Result<(), AddressError> {
    let address = address.trim();
    if address.is_empty() {
        return Err(AddressError::Empty);
    }
    if address.chars().any(|c| c.is_whitespace() || c == '?' || c == '#') {
        return Err(AddressError::Chars);
    }
    let rest =
        address.strip_prefix("http://").or_else(|| address.strip_prefix("https://")).ok_or(AddressError::Scheme)?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(AddressError::Host);
    }
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return Err(AddressError::Port),
        }
    }
    let name = path.trim_end_matches('/');
    if name.is_empty() || name.split('/').any(str::is_empty) {
        return Err(AddressError::Name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    #[test]
    fn publication_addresses() {
        assert_eq!(validate_publication_address("http://crm.example.ru:8085/crm_httpAnalytics"), Ok(()));
        assert_eq!(validate_publication_address("https://crm.example.ru/base"), Ok(()));
        assert_eq!(validate_publication_address("ftp://x/y"), Err(AddressError::Scheme));
        assert_eq!(validate_publication_address("http://x:99999/y"), Err(AddressError::Port));
        assert_eq!(validate_publication_address("http://x"), Err(AddressError::Name));
        assert_eq!(validate_publication_address("http:///y"), Err(AddressError::Host));
        assert_eq!(validate_publication_address("http://x/a b"), Err(AddressError::Chars));
        assert_eq!(
            roistat_service_address("http://crm.example.ru/crm_httpAnalytics/"),
            "http://crm.example.ru/crm_httpAnalytics/hs/analytics"
        );
    }

    #[test]
    fn a_role_hands_leads_to_its_people_in_turn() {
        let users = [
            User { id: 5, name: "Петров".into(), role: Role::Manager, ..User::default() },
            User { id: 2, name: "Иванова".into(), role: Role::Manager, ..User::default() },
            User { id: 9, name: "Админ".into(), role: Role::Admin, ..User::default() },
        ];
        let mut turn = 0;
        let role = Some(Responsible::Role(Role::Manager));
        let given: Vec<_> = (0..3).map(|_| assign_responsible(role, &users, &mut turn)).collect();
        assert_eq!(given, [Some(Responsible::User(2)), Some(Responsible::User(5)), Some(Responsible::User(2))]);
        let one = Some(Responsible::User(9));
        assert_eq!(assign_responsible(one, &users, &mut turn), one);
        let nobody = Some(Responsible::Role(Role::Marketer));
        assert_eq!(assign_responsible(nobody, &users, &mut turn), nobody);
        assert_eq!(assign_responsible(None, &users, &mut turn), None);
    }
}
