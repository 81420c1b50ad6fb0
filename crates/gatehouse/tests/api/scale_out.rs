//! Two `gatehouse serve` processes on one PostgreSQL database serve the same
//! organization: a change made through one is enforced by the other within
//! a second.

use std::time::{Duration, Instant};

use gatehouse_store_sql::test_support::TestDatabase;
use serde_json::{json, Value};

use crate::cli::{bootstrap_acme, serve, sign_in, terminate};

async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    secret: &str,
    body: Value,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .header("Authorization", format!("KISI-LOGIN {secret}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn created(base: &str, path: &str, secret: &str, body: Value) -> Value {
    let (status, body) = call(base, reqwest::Method::POST, path, secret, body).await;
    assert_eq!(status, 200, "POST {path}: {body}");
    body
}

/// Polls the unlock on `base` until it answers `expected` (200, or the
/// denial code); returns how long that took. Fails after `within`.
async fn unlock_becomes(
    base: &str,
    door: i64,
    secret: &str,
    expected: &str,
    within: Duration,
) -> Duration {
    let start = Instant::now();
    loop {
        let (status, body) = call(
            base,
            reqwest::Method::POST,
            &format!("/locks/{door}/unlock"),
            secret,
            json!({}),
        )
        .await;
        let outcome = if status == 200 {
            "200".to_owned()
        } else {
            body["code"].as_str().unwrap_or_default().to_owned()
        };
        if outcome == expected {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "after {:?} the other node still answers {outcome}, not {expected}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_change_on_one_node_is_enforced_by_the_other_within_a_second() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    bootstrap_acme(&database.url);
    let no_limit = ["--rate-limit-per-second", "0"];
    let mut node_a = serve(&database.url, &no_limit);
    let a = node_a.base.clone();
    let mut node_b = serve(&database.url, &no_limit);
    let b = node_b.base.clone();
    let owner = sign_in(&a, "acme", "boss@acme.io", "a good passphrase").await;

    let place = created(
        &a,
        "/places",
        &owner,
        json!({"place": {"name": "HQ", "address": "x"}}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let door = created(
        &a,
        "/locks",
        &owner,
        json!({"lock": {"name": "Front", "place_id": place}}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let group = created(
        &a,
        "/groups",
        &owner,
        json!({"group": {"name": "Staff", "place_id": place}}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    created(
        &a,
        "/group_locks",
        &owner,
        json!({"group_lock": {"group_id": group, "lock_id": door}}),
    )
    .await;
    let share = created(
        &a,
        "/shares",
        &owner,
        json!({"share": {"email": "emp@acme.io", "group_id": group}}),
    )
    .await;
    let member = share["member_id"].as_i64().unwrap();
    // The employee's device login, made by the owner on node B.
    let employee = created(
        &b,
        "/logins",
        &owner,
        json!({"login": {"type": "device", "email": "emp@acme.io"}}),
    )
    .await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = Duration::from_secs(1);
    unlock_becomes(&b, door, &employee, "200", second).await;

    // Suspended on A: B refuses within a second; restored: B opens again.
    let (status, _) = call(
        &a,
        reqwest::Method::POST,
        &format!("/members/{member}/suspend"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    unlock_becomes(&b, door, &employee, "fcd8ff", second).await;
    let (status, _) = call(
        &a,
        reqwest::Method::POST,
        &format!("/members/{member}/restore"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(status, 204);
    unlock_becomes(&b, door, &employee, "200", second).await;
    // A has the employee's access in its caches too before B revokes it.
    unlock_becomes(&a, door, &employee, "200", second).await;

    // The grant revoked on B: A refuses within a second.
    let (status, body) = call(
        &b,
        reqwest::Method::DELETE,
        &format!("/shares/{}", share["id"]),
        &owner,
        Value::Null,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    unlock_becomes(&a, door, &employee, "fcd8ef", second).await;

    // Signed out on A: the login no longer works on B.
    let (status, _) = call(
        &a,
        reqwest::Method::DELETE,
        "/login",
        &employee,
        Value::Null,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(&b, reqwest::Method::GET, "/user", &employee, Value::Null).await;
    assert_eq!(status, 401);

    terminate(&mut node_a);
    terminate(&mut node_b);
    database.remove().await;
}
