//! A seeded SQLite database is left compact: rewritten after the bulk load
//! (no free pages left by it) and with its write-ahead log emptied, so a
//! server started on it neither reads interleaved pages nor copies the
//! whole load back during its first minutes (docs/benchmarks.md).

use gatehouse_domain::seed::SeedPlan;
use gatehouse_domain::Subscription;
use gatehouse_store::testkit::{organization, t0};
use gatehouse_store_sql::test_support::TestDatabase;

#[tokio::test]
async fn a_seeded_sqlite_database_is_compacted_and_its_log_emptied() {
    let database = TestDatabase::sqlite();
    let store = gatehouse_store_sql::open(&database.url)
        .await
        .expect("open the store");
    let owner = organization(&*store, "compact", Subscription::Organizations).await;
    let plan = SeedPlan {
        seed: 3,
        places: 2,
        locks: 20,
        groups: 5,
        members: 300,
        role_assignments: 600,
        cards: 50,
        events: 5_000,
        logins: 20,
        passwords: 2,
    };
    let hash = |secret: &str| secret.as_bytes().to_vec();
    store
        .seed(
            owner.organization.id,
            &plan,
            "$argon2id$test",
            hash,
            t0(),
            &|_, _, _| {},
        )
        .await
        .expect("seed");

    let file = database.url.trim_start_matches("sqlite://").to_owned();
    let log = std::fs::metadata(format!("{file}-wal")).map_or(0, |m| m.len());
    assert_eq!(log, 0, "the write-ahead log is emptied");
    assert_eq!(
        database.scalar("PRAGMA freelist_count").await,
        0,
        "no page is left free by the load"
    );
    drop(store);
    database.remove().await;
}
