//! The conformance suite of `gatehouse-store`, run against both backends.

use std::sync::Arc;

use gatehouse_store::Store;
use gatehouse_store_sql::test_support::TestDatabase;

/// Keeps the database alive for the test and removes it afterwards.
struct Fixture {
    store: Arc<dyn Store>,
    database: Option<TestDatabase>,
    expected_backend: &'static str,
}

impl std::ops::Deref for Fixture {
    type Target = dyn Store;
    fn deref(&self) -> &Self::Target {
        assert_eq!(
            self.store.backend(),
            self.expected_backend,
            "the test runs on the intended backend"
        );
        &*self.store
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(database) = self.database.take() {
            // Best effort: a leftover test database does no harm.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|rt| rt.block_on(database.remove()))
            })
            .join();
        }
    }
}

async fn open(database: TestDatabase, expected_backend: &'static str) -> Fixture {
    let store = gatehouse_store_sql::open(&database.url)
        .await
        .expect("open the store");
    Fixture {
        store,
        database: Some(database),
        expected_backend,
    }
}

/// Another store on the first one's database: a second gatehouse node, or
/// the same node started again.
async fn second_node(first: &Fixture) -> Arc<dyn Store> {
    let url = first
        .database
        .as_ref()
        .map(|d| d.url.clone())
        .expect("a database the fixture made");
    let second = gatehouse_store_sql::open(&url)
        .await
        .expect("open the second node");
    assert_eq!(second.backend(), first.expected_backend);
    second
}

/// A test `sqlite` and a test `postgres` that each call `run(database,
/// backend)` with a fresh database (the PostgreSQL one skipped when no
/// server is reachable).
macro_rules! on_both_backends {
    ($run:ident) => {
        #[tokio::test]
        async fn sqlite() {
            $run(TestDatabase::sqlite(), "sqlite").await;
        }

        #[tokio::test]
        async fn postgres() {
            if let Some(database) = TestDatabase::postgres().await {
                $run(database, "postgres").await;
            }
        }
    };
}

mod sqlite {
    use super::*;

    async fn fresh() -> Option<Fixture> {
        Some(open(TestDatabase::sqlite(), "sqlite").await)
    }

    gatehouse_store::conformance_tests!(fresh());
}

mod postgres {
    use super::*;

    async fn fresh() -> Option<Fixture> {
        Some(open(TestDatabase::postgres().await?, "postgres").await)
    }

    gatehouse_store::conformance_tests!(fresh());
}

/// Two stores on one database, as two gatehouse nodes (see the story).
mod two_nodes {
    use super::*;

    async fn run(database: TestDatabase, backend: &'static str) {
        let a = open(database, backend).await;
        let b = second_node(&a).await;
        gatehouse_store::testkit::two_nodes_see_each_others_changes(&*a, &*b).await;
    }

    on_both_backends!(run);
}

/// Member search across two nodes on one database.
mod two_nodes_search {
    use super::*;

    async fn run(database: TestDatabase, backend: &'static str) {
        let a = open(database, backend).await;
        let b = second_node(&a).await;
        gatehouse_store::testkit::two_nodes_search_each_others_members(&*a, &*b).await;
    }

    on_both_backends!(run);
}

/// A closed store's writes are there for the next one to open the database
/// (a stop, then a start), on both backends. That SQLite's file alone then
/// holds them is tested beside its backend (`sqlite::tests`).
mod closing {
    use super::*;
    use gatehouse_domain::Subscription;
    use gatehouse_store::testkit::{organization, rename_organization, t0};

    async fn run(database: TestDatabase, backend: &'static str) {
        let first = open(database, backend).await;
        let owner = organization(&*first, "closing", Subscription::Organizations).await;
        rename_organization(&*first, &owner, "Renamed before the stop", t0()).await;
        first.close().await.expect("close");
        let next = second_node(&first).await;
        let found = next
            .organization(owner.organization.id)
            .await
            .expect("the organization");
        assert_eq!(found.name, "Renamed before the stop");
    }

    on_both_backends!(run);
}
