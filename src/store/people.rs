//! What the store says of people that only a team database has (the people themselves are
//! [`crate::domain::Person`] and [`crate::domain::TeamRole`]).

use super::StoreError;
use crate::domain::PersonError;

impl From<PersonError> for StoreError {
    fn from(e: PersonError) -> StoreError {
        StoreError::Invalid(e.to_string())
    }
}

/// The embedded store has no logins.
pub(crate) fn team_only() -> StoreError {
    StoreError::Invalid(
        "Пользователи с логинами — только для командной работы (PostgreSQL): укажите базу команды в --database-url"
            .into(),
    )
}
