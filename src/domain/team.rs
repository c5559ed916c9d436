//! People of a team database: their logins and the group role that says what each may do. On the
//! embedded store (one person, one computer) there are no logins: the window chooses the role.

use super::{Role, Secret};

/// A login or a password that cannot be.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PersonError {
    #[error(
        "Логин «{0}» не подходит: латинские строчные буквы, цифры, точка, дефис и подчёркивание, с буквы в начале, \
         до 63 знаков (не pg_… и не skvoz_…)"
    )]
    Login(String),
    #[error("Пароль слишком короткий: нужно не меньше 8 знаков")]
    ShortPassword,
}

/// A group role of a team database; PostgreSQL's GRANTs say what each may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TeamRole {
    Marketer,
    Manager,
    Admin,
    /// `skvoz serve` and the scheduled load: intake, export, the analytics load.
    Service,
}

impl TeamRole {
    pub const ALL: [TeamRole; 4] = [TeamRole::Marketer, TeamRole::Manager, TeamRole::Admin, TeamRole::Service];

    /// Its name in the command line and in the database's `team_roles`.
    pub fn key(self) -> &'static str {
        match self {
            TeamRole::Marketer => "marketer",
            TeamRole::Manager => "manager",
            TeamRole::Admin => "admin",
            TeamRole::Service => "service",
        }
    }

    pub fn parse(key: &str) -> Option<TeamRole> {
        TeamRole::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn title(self) -> &'static str {
        match self {
            TeamRole::Service => "Сервис",
            other => other.person_role().map_or("", Role::title),
        }
    }

    /// The role the window works in; `None` for the service.
    pub fn person_role(self) -> Option<Role> {
        match self {
            TeamRole::Marketer => Some(Role::Marketer),
            TeamRole::Manager => Some(Role::Manager),
            TeamRole::Admin => Some(Role::Admin),
            TeamRole::Service => None,
        }
    }
}

impl From<Role> for TeamRole {
    fn from(role: Role) -> TeamRole {
        match role {
            Role::Marketer => TeamRole::Marketer,
            Role::Manager => TeamRole::Manager,
            Role::Admin => TeamRole::Admin,
        }
    }
}

/// A login of a team database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub login: String,
    /// Full name from the person's record; empty when there is none.
    pub name: String,
    pub role: TeamRole,
    /// False when the login is disabled (NOLOGIN).
    pub enabled: bool,
    /// The database's owner (or a superuser): an admin who is no member of a group.
    pub owner: bool,
    /// The person's record among the users (the responsible of leads), if any.
    pub user_id: Option<u64>,
}

impl Person {
    /// The full name, or the login when there is none.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() { &self.login } else { &self.name }
    }
}

/// A login people can type and PostgreSQL keeps as written: Latin lowercase letters, digits, `.`,
/// `-`, `_`, starting with a letter; not a name PostgreSQL or skvoz reserve.
pub fn check_login(login: &str) -> Result<(), PersonError> {
    let fine = login.len() <= 63
        && login.starts_with(|c: char| c.is_ascii_lowercase())
        && login.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
        && !login.starts_with("pg_")
        && !login.starts_with("skvoz_");
    if fine { Ok(()) } else { Err(PersonError::Login(login.to_string())) }
}

/// Passwords of at least 8 characters.
pub fn check_password(password: &Secret) -> Result<(), PersonError> {
    if password.expose().chars().count() < 8 {
        return Err(PersonError::ShortPassword);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_plain_and_not_reserved() {
        for good in ["anna", "a.petrova", "manager-2", "i_ivanov"] {
            assert!(check_login(good).is_ok(), "{good}");
        }
        for bad in ["", "Anna", "2anna", "анна", "pg_admin", "skvoz_x_admin", "a b", "a\"b", &"a".repeat(64)] {
            assert!(check_login(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip_through_their_keys() {
        for role in TeamRole::ALL {
            assert_eq!(TeamRole::parse(role.key()), Some(role));
        }
        assert_eq!(TeamRole::parse("root"), None);
        assert_eq!(TeamRole::from(Role::Manager).title(), "Менеджер");
    }
}
