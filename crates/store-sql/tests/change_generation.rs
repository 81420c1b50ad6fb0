//! Which writes move the change generation that every node's caches are
//! checked against (migrations 0010 and 0012), read straight from the
//! database: a new login leaves it, so signing in keeps every cache; a
//! promoted or deleted login moves it, so signing out is enforced at once.

use gatehouse_domain::{LoginType, NewLogin, Subscription};
use gatehouse_store::testkit::{organization, t0};
use gatehouse_store_sql::test_support::TestDatabase;

const GENERATION: &str = "SELECT value FROM change_generation WHERE id = 1";

async fn a_new_login_keeps_the_caches_and_signing_out_does_not(database: TestDatabase) {
    let store = gatehouse_store_sql::open(&database.url)
        .await
        .expect("open the store");
    let owner = organization(&*store, "generation", Subscription::Standard).await;
    let device = |secret: &[u8]| NewLogin {
        user_id: owner.login.user_id,
        organization_id: owner.organization.id,
        login_type: LoginType::Device,
        name: Some("phone".into()),
        expire: true,
        device_brand: None,
        device_model: None,
        os_name: None,
        secret_hash: secret.to_vec(),
    };

    let before = database.scalar(GENERATION).await;
    let login = store
        .create_login(&owner.actor(), &device(b"new-phone"), t0())
        .await
        .expect("sign in");
    assert_eq!(database.scalar(GENERATION).await, before, "a new login");
    assert!(
        store
            .authenticate(b"new-phone", t0())
            .await
            .unwrap()
            .is_some(),
        "and it works at once"
    );

    let (actor, org, user) = (owner.actor(), owner.organization.id, owner.login.user_id);
    store
        .promote_login(&actor, org, user, login.id, t0())
        .await
        .expect("promote");
    let promoted = database.scalar(GENERATION).await;
    assert!(promoted > before, "a promoted login");

    store
        .delete_login(&actor, org, user, login.id, t0())
        .await
        .expect("sign out");
    assert!(
        database.scalar(GENERATION).await > promoted,
        "a deleted login"
    );
    assert!(store
        .authenticate(b"new-phone", t0())
        .await
        .unwrap()
        .is_none());
    drop(store);
    database.remove().await;
}

#[tokio::test]
async fn sqlite() {
    a_new_login_keeps_the_caches_and_signing_out_does_not(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn postgres() {
    if let Some(database) = TestDatabase::postgres().await {
        a_new_login_keeps_the_caches_and_signing_out_does_not(database).await;
    }
}
