//! Members added by an import are found by search at once, however the
//! backend indexes them: on SQLite the import writes the batch's members into
//! the search index in one statement at its end (migration 0014), and the
//! index must then hold exactly what it would have held row by row, through
//! a row that fails and rolls back, later renames and removals included.

use gatehouse_domain::{ImportRow, Member, MemberPatch, Subscription};
use gatehouse_store::testkit::{import_row, organization, t0};
use gatehouse_store::{MemberQuery, Page};
use gatehouse_store_sql::test_support::TestDatabase;

fn row(email: &str, name: &str, group_ids: Vec<i64>) -> ImportRow {
    ImportRow {
        group_ids,
        ..import_row(email, Some(name))
    }
}

async fn found(store: &dyn gatehouse_store::Store, org: i64, text: &str) -> Vec<String> {
    store
        .list_members(
            org,
            &MemberQuery {
                query: Some(text.into()),
                page: Page::new(100, 0),
                ..MemberQuery::default()
            },
        )
        .await
        .expect("search")
        .items
        .into_iter()
        .map(|m| m.user_email)
        .collect()
}

async fn by_email(store: &dyn gatehouse_store::Store, org: i64, email: &str) -> Member {
    let query = MemberQuery {
        email: Some(email.into()),
        page: Page::new(1, 0),
        ..MemberQuery::default()
    };
    let mut page = store
        .list_members(org, &query)
        .await
        .expect("find the member");
    page.items.remove(0)
}

async fn imported_members_are_found(database: TestDatabase) {
    let store = gatehouse_store_sql::open(&database.url)
        .await
        .expect("open the store");
    let owner = organization(&*store, "importsearch", Subscription::Organizations).await;
    let (actor, org) = (owner.actor(), owner.organization.id);
    let mut rows: Vec<ImportRow> = (0..120)
        .map(|i| {
            row(
                &format!("person{i:03}@import.example"),
                &format!("Imported Person {i:03}"),
                Vec::new(),
            )
        })
        .collect();
    // A row that fails halfway (no such group) and rolls back alone.
    rows.insert(
        60,
        row("broken@import.example", "Broken Zebra", vec![999_999]),
    );
    let outcomes = store
        .import_users(&actor, org, &rows, t0())
        .await
        .expect("import");
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 1);

    assert_eq!(
        found(&*store, org, "person007@").await,
        ["person007@import.example"]
    );
    assert_eq!(found(&*store, org, "Person 119").await.len(), 1);
    let all = MemberQuery {
        query: Some("imported person".into()),
        page: Page::new(10, 0),
        ..MemberQuery::default()
    };
    assert_eq!(
        store.list_members(org, &all).await.expect("search").total,
        120
    );
    assert!(found(&*store, org, "zebra").await.is_empty(), "rolled back");

    // Renaming and removing an imported member reach the index.
    let renamed = by_email(&*store, org, "person010@import.example").await;
    let patch = MemberPatch {
        name: Some("Quokka".into()),
        ..MemberPatch::default()
    };
    store
        .update_member(&actor, org, renamed.id, &patch, t0())
        .await
        .expect("rename");
    assert_eq!(
        found(&*store, org, "quokka").await,
        ["person010@import.example"]
    );
    let removed = found(&*store, org, "person011@").await;
    assert_eq!(removed.len(), 1);
    let member = by_email(&*store, org, "person011@import.example").await;
    store
        .delete_member(&actor, org, member.id, t0())
        .await
        .expect("remove");
    assert!(found(&*store, org, "person011@").await.is_empty());

    if database.url.starts_with("sqlite:") {
        // Fails (an error, not a count) when the index and the members differ.
        database
            .scalar("INSERT INTO members_fts (members_fts, rank) VALUES ('integrity-check', 1)")
            .await;
        assert_eq!(
            database
                .scalar("SELECT COUNT(*) FROM members_fts_deferred")
                .await,
            0,
            "the import's bracket is gone"
        );
    }
    drop(store);
    database.remove().await;
}

#[tokio::test]
async fn sqlite() {
    imported_members_are_found(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn postgres() {
    if let Some(database) = TestDatabase::postgres().await {
        imported_members_are_found(database).await;
    }
}
