//! The stores a conformance test runs on: each backend gives a fresh, empty store that can be
//! opened again (a restart) by the same fixture.

#[path = "pg.rs"]
pub mod pg;

use skvoz::store::Store;

/// One store under test and what it takes to open it again.
pub enum Fixture {
    Embedded(tempfile::TempDir),
    Postgres(Box<tokio_postgres::Config>),
}

impl Fixture {
    /// A fresh embedded store in a temporary folder.
    pub fn embedded() -> Fixture {
        Fixture::Embedded(tempfile::tempdir().expect("a temporary folder"))
    }

    /// A fresh database on the test server; `None` without PostgreSQL (see [`pg`]).
    pub async fn postgres() -> Option<Fixture> {
        pg::fresh_database().await.map(|c| Fixture::Postgres(Box::new(c)))
    }

    /// Opens the fixture's store (again: a restart sees what was durable before).
    pub async fn open(&self) -> Store {
        match self {
            Fixture::Embedded(dir) => Store::open_embedded(dir.path()).await.expect("the store opens"),
            Fixture::Postgres(config) => Store::open_postgres(&skvoz::store::Database::from_config((**config).clone()))
                .await
                .expect("the database opens"),
        }
    }
}

/// Runs every listed case (an `async fn(&Fixture)`) on every backend, one test each.
#[macro_export]
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::backends::Fixture::embedded()).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(fixture) = super::backends::Fixture::postgres().await else { return };
                    super::$case(&fixture).await
                }
            )*
        }
    };
}
