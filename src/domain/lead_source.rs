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
    // The address Roistat calls is not kept here: it is the service's one
    // «Внешний адрес для Roistat» (`ServiceSettings::roistat_url`), so two copies cannot disagree.
    pub api_key: Secret,
    /// Roistat's API the key is checked against; empty: Roistat's cloud.
    pub api_base: String,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    #[test]
    fn a_source_stored_with_its_own_address_still_loads() {
        let old = r#"{"id":3,"name":"Roistat","publication_address":"http://127.0.0.1:8085/crm","use_leads":true}"#;
        let s: LeadSource = serde_json::from_str(old).unwrap();
        assert_eq!((s.id, s.name.as_str(), s.use_leads), (3, "Roistat", true));
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
