//! The stores a conformance test runs on: each backend gives a fresh, empty store that can be
//! opened again (a restart) by the same fixture.

use skvoz::store::Store;

/// One store under test and what it takes to open it again.
pub struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// A fresh embedded store in a temporary folder.
    pub fn embedded() -> Fixture {
        Fixture { dir: tempfile::tempdir().expect("a temporary folder") }
    }

    /// Opens the fixture's store (again: a restart sees what was durable before).
    pub async fn open(&self) -> Store {
        Store::open_embedded(self.dir.path()).await.expect("the store opens")
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
    };
}
