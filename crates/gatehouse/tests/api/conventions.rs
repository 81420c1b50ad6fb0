//! The wire conventions every endpoint shares: envelopes, limits, request
//! ids, the rate limit and the OpenAPI document.

use gatehouse::server::Limits;
use gatehouse_domain::Subscription;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

crate::on_both_backends!(
    health_and_request_id,
    malformed_requests_get_envelopes,
    openapi_describes_every_route
);

async fn health_and_request_id(app: &TestApp) {
    let reply = app.call(Method::GET, "/health", None, None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "ok");
    assert_eq!(reply.body["database"], app.store.backend());
    let id = reply.header("x-request-id").expect("a request id");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let echoed = app
        .raw(
            app.http
                .get(format!("{}/health", app.base))
                .header("x-request-id", "support-ticket-42"),
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("support-ticket-42"));
}

async fn malformed_requests_get_envelopes(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let auth = format!("KISI-LOGIN {}", owner.secret);
    let post = |body: Vec<u8>| {
        app.http
            .post(format!("{}/places", app.base))
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .body(body)
    };
    app.raw(post(b"{\"place\": {".to_vec()))
        .await
        .assert_error(400, "e00400");
    app.raw(post(b"[1, 2]".to_vec()))
        .await
        .assert_invalid(&["base"]);
    let huge = format!(
        "{{\"place\": {{\"name\": \"{}\", \"address\": \"x\"}}}}",
        "a".repeat(1_100_000)
    );
    app.raw(post(huge.into_bytes()))
        .await
        .assert_error(413, "e00413");
    app.raw(post(Vec::new())).await.assert_invalid(&["base"]);

    app.get("/places/abc", &owner.secret)
        .await
        .assert_error(404, "e00404");
    app.get("/places/99999999999999999999", &owner.secret)
        .await
        .assert_error(404, "e00404");
    app.get("/no/such/path", &owner.secret)
        .await
        .assert_error(404, "e00404");
    app.call(Method::PUT, "/places", Some(&owner.secret), Some(json!({})))
        .await
        .assert_error(405, "e00405");
    app.get("/places?limit=%ZZ", &owner.secret).await;
    assert_eq!(
        app.get("/places", &owner.secret).await.body,
        json!([]),
        "nothing was written"
    );
}

async fn openapi_describes_every_route(app: &TestApp) {
    let reply = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(reply.status, 200);
    let document: Value = reply.body;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1"
    );
    let expected = [
        ("/health", "get"),
        ("/logins", "post"),
        ("/logins", "get"),
        ("/logins/{id}", "delete"),
        ("/login", "get"),
        ("/login", "delete"),
        ("/user", "get"),
        ("/user", "patch"),
        ("/organization", "get"),
        ("/organization", "patch"),
        ("/places", "get"),
        ("/places", "post"),
        ("/places/{id}", "get"),
        ("/places/{id}", "patch"),
        ("/places/{id}", "delete"),
        ("/places/{id}/favorite", "post"),
        ("/places/{id}/unfavorite", "post"),
        ("/members", "get"),
        ("/members", "post"),
        ("/members/{id}", "get"),
        ("/members/{id}", "patch"),
        ("/members/{id}", "delete"),
        ("/members/{id}/suspend", "post"),
        ("/members/{id}/restore", "post"),
        ("/users", "get"),
        ("/users", "post"),
        ("/users/{id}", "get"),
        ("/users/{id}", "patch"),
        ("/users/{id}", "delete"),
        ("/groups", "get"),
        ("/groups", "post"),
        ("/groups/{id}", "get"),
        ("/groups/{id}", "patch"),
        ("/groups/{id}", "delete"),
        ("/role_assignments", "get"),
        ("/role_assignments", "post"),
        ("/role_assignments/{id}", "get"),
        ("/role_assignments/{id}", "patch"),
        ("/role_assignments/{id}", "delete"),
        ("/shares", "get"),
        ("/shares", "post"),
        ("/shares/{id}", "get"),
        ("/shares/{id}", "patch"),
        ("/shares/{id}", "delete"),
        ("/roles", "get"),
        ("/roles/{id}", "get"),
        ("/teams", "get"),
        ("/teams", "post"),
        ("/teams/{id}", "get"),
        ("/teams/{id}", "patch"),
        ("/teams/{id}", "delete"),
        ("/team_memberships", "get"),
        ("/team_memberships", "post"),
        ("/team_memberships/{id}", "get"),
        ("/team_memberships/{id}", "delete"),
        ("/places/{id}/lock_down", "post"),
        ("/places/{id}/cancel_lockdown", "post"),
        ("/locks", "get"),
        ("/locks", "post"),
        ("/locks/{id}", "get"),
        ("/locks/{id}", "patch"),
        ("/locks/{id}", "delete"),
        ("/locks/{id}/unlock", "post"),
        ("/locks/{id}/lock_down", "post"),
        ("/locks/{id}/cancel_lockdown", "post"),
        ("/locks/{id}/favorite", "post"),
        ("/locks/{id}/unfavorite", "post"),
        ("/group_locks", "get"),
        ("/group_locks", "post"),
        ("/group_locks/{id}", "get"),
        ("/group_locks/{id}", "delete"),
        ("/schedules", "get"),
        ("/schedules", "post"),
        ("/schedules/{id}", "get"),
        ("/schedules/{id}", "patch"),
        ("/schedules/{id}", "delete"),
        ("/events", "get"),
        ("/events/types", "get"),
        ("/locks/{id}/card_access", "post"),
        ("/cards", "get"),
        ("/cards", "post"),
        ("/cards/{id}", "get"),
        ("/cards/{id}", "delete"),
        ("/card_assignments", "get"),
        ("/card_assignments", "post"),
        ("/card_assignments/{id}", "get"),
        ("/card_assignments/{id}", "patch"),
        ("/card_assignments/{id}", "delete"),
        ("/card_assignments/{id}/activate", "post"),
        ("/card_assignments/{id}/deactivate", "post"),
        ("/card_assignments/{id}/activate_with_token", "post"),
        ("/readers", "post"),
        ("/group_links", "get"),
        ("/group_links", "post"),
        ("/group_links/{id}", "delete"),
        ("/q/{secret}", "get"),
        ("/q/{secret}/locks/{id}/unlock", "post"),
        ("/event_sets", "post"),
        ("/event_sets/{id}", "get"),
        ("/logins/{id}/promote", "post"),
        ("/login/promote", "post"),
        ("/member_exports", "get"),
        ("/member_exports", "post"),
        ("/member_exports/{id}", "get"),
        ("/member_exports/{id}", "delete"),
        ("/member_exports/{id}/download", "get"),
        ("/reports", "get"),
        ("/reports", "post"),
        ("/reports/{id}", "get"),
        ("/reports/{id}", "delete"),
        ("/reports/{id}/download", "post"),
        ("/csv_user_imports", "post"),
        ("/csv_user_imports/{id}", "get"),
        ("/invites", "post"),
        ("/users/password", "post"),
        ("/users/password", "patch"),
        ("/users/password/edit", "get"),
        ("/users/password/edit", "post"),
        ("/users/sign_in_link", "post"),
    ];
    let paths = document["paths"].as_object().expect("paths");
    let served: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    assert_eq!(
        served,
        expected.len(),
        "and nothing undocumented or stale: {:?}",
        paths.keys()
    );
    // Every documented operation is really served: unauthenticated, it gets
    // an answer of its own, never the unknown-path 404 or a 405.
    // (The HTML pages are probed by their own tests.)
    let html = |path: &str| path.starts_with("/q/") || path == "/users/password/edit";
    for (path, methods) in paths.iter().filter(|(path, _)| !html(path)) {
        for method in methods.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = app
                .call(
                    method.clone(),
                    &path.replace("{id}", "1"),
                    None,
                    Some(json!({})),
                )
                .await;
            assert!(
                ![404, 405].contains(&reply.status.as_u16()),
                "{method} {path} is documented but not served: {}",
                reply.status
            );
        }
    }
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for schema in [
        "PlaceBody",
        "LoginBody",
        "OrganizationBody",
        "ErrorBody",
        "ErrorsBody",
        "CreatedLoginBody",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
}

#[tokio::test]
async fn rate_limit_answers_429_per_user_and_per_address() {
    let app = TestApp::start(
        "sqlite",
        Limits {
            per_second: 1,
            burst: 3,
        },
    )
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            app.call(Method::GET, "/health", None, None)
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(
        &statuses[..3],
        &[200, 200, 200],
        "the burst passes: {statuses:?}"
    );
    assert!(
        statuses.contains(&429),
        "then the limit applies: {statuses:?}"
    );
    let limited = app.call(Method::GET, "/health", None, None).await;
    limited.assert_error(429, "e00429");
    app.stop().await;
}
