//! People and rights on a team database: the group roles named after the database, the people's
//! login roles, and what the signed-in login may do.
//!
//! Admins change logins only through the `SECURITY DEFINER` functions of migration 0002, which run
//! with the owner's rights and touch only this database's people; a password leaves skvoz only as
//! a SCRAM verifier, so neither the server's log nor an error ever holds it.

use super::feed::{Kind, record};
use super::{PgStore, TxResult, take};
use crate::domain::{Person, TeamRole, check_login, check_password};
use crate::domain::{Secret, User};
use crate::store::{Record, Result, StoreError};
use deadpool_postgres::Transaction;
use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Json;

/// Role names are at most this many bytes (PostgreSQL's NAMEDATALEN - 1).
const NAME_MAX: usize = 63;

/// The names migration 0002 fills in: the four group roles, the database and the schema.
pub(super) struct GroupNames {
    database: String,
    schema: String,
    groups: [(TeamRole, String); 4],
}

impl GroupNames {
    /// The names for the database and schema this session works in.
    pub(super) async fn of_session(
        client: &impl GenericClient,
    ) -> std::result::Result<GroupNames, tokio_postgres::Error> {
        let row = client.query_one("SELECT current_database()::text, current_schema()::text", &[]).await?;
        let (database, schema): (String, String) = (row.get(0), row.get(1));
        Ok(GroupNames { groups: TeamRole::ALL.map(|role| (role, group_name(&database, role))), database, schema })
    }

    pub(super) fn placeholders(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("database", self.database.clone()), ("schema", self.schema.clone())];
        out.extend(self.groups.iter().map(|(role, name)| (role.key(), name.clone())));
        out
    }
}

/// `skvoz_<database>_<role>`: the database's name as it is when it is short and plain, else its
/// plain part cut to fit with a hash of the whole, so that two databases never share a group.
pub fn group_name(database: &str, role: TeamRole) -> String {
    const LONGEST_ROLE: usize = "_marketer".len();
    let budget = NAME_MAX - "skvoz_".len() - LONGEST_ROLE;
    let plain = database.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let middle = if plain && database.len() <= budget {
        database.to_string()
    } else {
        let cleaned: String = database
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .take(budget - 9)
            .collect();
        format!("{cleaned}_{:08x}", fnv32(database))
    };
    format!("skvoz_{middle}_{}", role.key())
}

fn fnv32(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// What the signed-in login may do to the tables that `open` and the feed touch by themselves.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rights {
    pub read_settings: bool,
    pub write_settings: bool,
    pub trim_exchange: bool,
    pub trim_feed: bool,
}

impl Rights {
    /// Before they are known (while the schema is created): the owner's.
    pub(super) const ALL: Rights =
        Rights { read_settings: true, write_settings: true, trim_exchange: true, trim_feed: true };

    pub(super) async fn of_session(client: &impl GenericClient) -> std::result::Result<Rights, tokio_postgres::Error> {
        let row = client
            .query_one(
                "SELECT has_table_privilege('settings', 'SELECT'), \
                 has_table_privilege('settings', 'INSERT') AND has_table_privilege('settings', 'UPDATE'), \
                 has_table_privilege('exchange_log', 'DELETE'), has_table_privilege('change_log', 'DELETE')",
                &[],
            )
            .await?;
        Ok(Rights {
            read_settings: row.get(0),
            write_settings: row.get(1),
            trim_exchange: row.get(2),
            trim_feed: row.get(3),
        })
    }
}

/// The logins that are members of this database's groups, with the group's key as `t.role`.
macro_rules! members {
    () => {
        "FROM pg_auth_members m JOIN pg_roles p ON p.oid = m.member JOIN pg_roles g ON g.oid = m.roleid \
         JOIN team_roles t ON t.name = g.rolname"
    };
}

fn verifier(password: &Secret) -> String {
    postgres_protocol::password::scram_sha_256(password.expose().as_bytes())
}

/// The person's record in `users`, if any.
async fn user_in(tx: &Transaction<'_>, login: &str) -> TxResult<Option<User>> {
    match tx.query_opt("SELECT record FROM users WHERE login = $1", &[&login]).await? {
        Some(row) => Ok(Some(super::record(&row, 0)?)),
        None => Ok(None),
    }
}

async fn put_user(tx: &Transaction<'_>, user: &User) -> TxResult<User> {
    let mut user = user.clone();
    if user.id == 0 {
        user.id = take(tx, User::TREE, 1).await?;
    }
    let login = (!user.login.is_empty()).then_some(user.login.as_str());
    tx.execute(
        "INSERT INTO users (id, login, record) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET login = $2, record = $3",
        &[&(user.id as i64), &login, &Json(&user)],
    )
    .await?;
    record(tx, Kind::Catalog, &[user.id]).await?;
    Ok(user)
}

impl PgStore {
    /// A PostgreSQL refusal of a people function, in words.
    fn people_error(&self, e: super::TxError, login: &str) -> StoreError {
        let e = match e {
            super::TxError::Pg(e) => e,
            super::TxError::Store(e) => return e,
        };
        match e.as_db_error().map(|d| d.code().clone()) {
            Some(c) if c == SqlState::INSUFFICIENT_PRIVILEGE => {
                StoreError::Invalid("Управлять пользователями может только администратор".into())
            }
            Some(c) if c == SqlState::DUPLICATE_OBJECT => StoreError::Invalid(format!(
                "Логин «{login}» уже занят на сервере PostgreSQL (другим пользователем или другой базой): выберите другой"
            )),
            Some(c) if c == SqlState::UNDEFINED_OBJECT => {
                StoreError::NotFound(format!("пользователь «{login}» в этой базе (список: skvoz users list)"))
            }
            _ => self.pg_error(e),
        }
    }

    /// Everyone who may log in to this database or could (disabled), by login.
    pub async fn people(&self) -> Result<Vec<Person>> {
        let rows = self
            .query(concat!("SELECT p.rolname::text, t.role, p.rolcanlogin ", members!(), " ORDER BY 1"), &[])
            .await?;
        let names = self.query("SELECT login, record FROM users WHERE login IS NOT NULL", &[]).await?;
        let mut users = std::collections::HashMap::new();
        for row in &names {
            let user: User = super::record(row, 1)?;
            users.insert(row.get::<_, String>(0), user);
        }
        let mut people = Vec::with_capacity(rows.len());
        for row in &rows {
            let login: String = row.get(0);
            let Some(role) = TeamRole::parse(row.get(1)) else { continue };
            let user = users.get(&login);
            people.push(Person {
                name: user.map(|u| u.name.clone()).unwrap_or_default(),
                user_id: user.map(|u| u.id),
                login,
                role,
                enabled: row.get(2),
                owner: false,
            });
        }
        Ok(people)
    }

    /// The signed-in login: a person of one of the groups, or the database's owner (or a
    /// superuser), who may do what an admin may and more.
    pub async fn me(&self) -> Result<Person> {
        let rows = self
            .query(
                concat!(
                    "SELECT session_user::text, (SELECT t.role ",
                    members!(),
                    " WHERE p.rolname = session_user ORDER BY t.role LIMIT 1), \
                     (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) OR pg_has_role(session_user, \
                     (SELECT datdba FROM pg_database WHERE datname = current_database()), 'MEMBER')"
                ),
                &[],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Err(StoreError::Db("вход в базу не определён".into()));
        };
        let login: String = row.get(0);
        let owner: bool = row.get::<_, Option<bool>>(2).unwrap_or(false);
        let role = match row.get::<_, Option<String>>(1).as_deref().and_then(TeamRole::parse) {
            Some(role) => role,
            None if owner => TeamRole::Admin,
            None => {
                return Err(StoreError::Invalid(format!(
                    "Вход «{login}» не пользователь этой базы: попросите администратора добавить вас (skvoz users add)"
                )));
            }
        };
        let names = self.query("SELECT record FROM users WHERE login = $1", &[&login]).await?;
        let user: Option<User> = names.first().map(|r| super::record(r, 0)).transpose()?;
        Ok(Person {
            name: user.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
            user_id: user.map(|u| u.id),
            login,
            role,
            enabled: true,
            owner: owner && role == TeamRole::Admin,
        })
    }

    /// A new person: a login with a password in one group, and their record with the full name.
    pub async fn add_person(&self, login: &str, role: TeamRole, name: &str, password: &Secret) -> Result<Person> {
        check_login(login)?;
        check_password(password)?;
        let verifier = verifier(password);
        let name = name.trim();
        let added: TxResult<Option<u64>> = async {
            let mut client = self.connection().await?;
            let tx = client.transaction().await?;
            tx.execute("SELECT skvoz_add_person($1, $2, $3)", &[&login, &role.key(), &verifier]).await?;
            let user_id = match role.person_role() {
                Some(person_role) => {
                    let mut user = user_in(&tx, login).await?.unwrap_or_default();
                    user.login = login.to_string();
                    user.role = person_role;
                    if !name.is_empty() || user.name.is_empty() {
                        user.name = if name.is_empty() { login.to_string() } else { name.to_string() };
                    }
                    Some(put_user(&tx, &user).await?.id)
                }
                None => None,
            };
            tx.commit().await?;
            Ok(user_id)
        }
        .await;
        let user_id = added.map_err(|e| self.people_error(e, login))?;
        Ok(Person {
            login: login.to_string(),
            name: if name.is_empty() { login.to_string() } else { name.to_string() },
            role,
            enabled: true,
            owner: false,
            user_id,
        })
    }

    /// Moves a person to another group; their record's role follows.
    pub async fn set_person_role(&self, login: &str, role: TeamRole) -> Result<()> {
        let done: TxResult<()> = async {
            let mut client = self.connection().await?;
            let tx = client.transaction().await?;
            tx.execute("SELECT skvoz_set_person_role($1, $2)", &[&login, &role.key()]).await?;
            if let Some(person_role) = role.person_role()
                && let Some(mut user) = user_in(&tx, login).await?
                && user.role != person_role
            {
                user.role = person_role;
                put_user(&tx, &user).await?;
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        done.map_err(|e| self.people_error(e, login))
    }

    pub async fn set_person_password(&self, login: &str, password: &Secret) -> Result<()> {
        check_password(password)?;
        let verifier = verifier(password);
        let done: TxResult<()> = async {
            let client = self.connection().await?;
            client.execute("SELECT skvoz_set_person_password($1, $2)", &[&login, &verifier]).await?;
            Ok(())
        }
        .await;
        done.map_err(|e| self.people_error(e, login))
    }

    /// Allows or refuses the login (its sessions already open go on until they end).
    pub async fn set_person_enabled(&self, login: &str, enabled: bool) -> Result<()> {
        let done: TxResult<()> = async {
            let client = self.connection().await?;
            client.execute("SELECT skvoz_set_person_login($1, $2)", &[&login, &enabled]).await?;
            Ok(())
        }
        .await;
        done.map_err(|e| self.people_error(e, login))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_the_database_s_when_plain_and_fit_with_a_hash_otherwise() {
        assert_eq!(group_name("skvoz", TeamRole::Manager), "skvoz_skvoz_manager");
        let long = "a".repeat(60);
        let odd = "Отдел Продаж";
        for database in [long.as_str(), odd, "Skvoz"] {
            for role in TeamRole::ALL {
                let name = group_name(database, role);
                assert!(name.len() <= NAME_MAX, "{name}");
                assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{name}");
                assert!(name.ends_with(role.key()), "{name}");
            }
        }
        // Two databases whose plain parts look alike still get groups of their own.
        assert_ne!(group_name("Skvoz", TeamRole::Admin), group_name("skvoz", TeamRole::Admin));
        assert_ne!(group_name(&format!("{long}1"), TeamRole::Admin), group_name(&format!("{long}2"), TeamRole::Admin));
    }
}
