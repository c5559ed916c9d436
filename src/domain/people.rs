//! People: roles, users and the responsible of a lead.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    #[default]
    Marketer,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Marketer, Role::Manager, Role::Admin];
    pub fn title(self) -> &'static str {
        match self {
            Role::Marketer => "Маркетолог",
            Role::Manager => "Менеджер",
            Role::Admin => "Администратор",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub role: Role,
    pub phone: String,
    pub email: String,
    /// The person's login on a team database (empty on the embedded store).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub login: String,
}

impl Default for User {
    fn default() -> Self {
        User {
            id: 0,
            name: String::new(),
            role: Role::Manager,
            phone: String::new(),
            email: String::new(),
            login: String::new(),
        }
    }
}

/// Ответственный: a user or a whole role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Responsible {
    User(u64),
    Role(Role),
}

/// «Петров Сергей», «Роль: Менеджер» or «Не указан», as lists and forms show a responsible.
pub fn responsible_title(responsible: Option<Responsible>, users: &[User]) -> String {
    match responsible {
        None => "Не указан".into(),
        Some(Responsible::Role(role)) => format!("Роль: {}", role.title()),
        Some(Responsible::User(id)) => {
            users.iter().find(|u| u.id == id).map(|u| u.name.clone()).unwrap_or_else(|| format!("Пользователь {id}"))
        }
    }
}
