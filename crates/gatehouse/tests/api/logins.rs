//! Sign-in, sessions, logins and the current user.

use gatehouse_domain::Subscription;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{keys, TestApp, PASSWORD};

crate::on_both_backends!(
    wrong_credentials_are_indistinguishable,
    sign_in_reads_the_body_whatever_the_authorization_header,
    session_lifecycle,
    logins_are_listed_paged_and_deleted,
    api_login_limit,
    device_login_on_behalf_of_a_member,
    password_change,
    current_user_shape_and_update,
    password_sign_in_needs_the_member_flag,
);

async fn wrong_credentials_are_indistinguishable(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let attempts = [
        ("acme", owner.email.as_str(), "wrong password"),
        ("acme", "nobody@acme.example", PASSWORD),
        ("nope", owner.email.as_str(), PASSWORD),
        ("acme", "not-an-email", PASSWORD),
    ];
    let mut bodies = Vec::new();
    for (domain, email, password) in attempts {
        let reply = app
            .call(
                Method::POST,
                "/logins",
                None,
                Some(json!({
                    "login": {"type": "api"},
                    "user": {"domain": domain, "email": email, "password": password},
                })),
            )
            .await;
        reply.assert_error(401, "afc516");
        bodies.push(reply.body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "identical answers: {bodies:?}"
    );
    // Missing fields are named, not guessed.
    let reply = app
        .call(
            Method::POST,
            "/logins",
            None,
            Some(json!({"login": {"type": "api"}, "user": {}})),
        )
        .await;
    reply.assert_invalid(&["domain", "email", "password"]);
    let reply = app
        .call(
            Method::POST,
            "/logins",
            None,
            Some(json!({"login": {"type": "robot"}, "user": {}})),
        )
        .await;
    reply.assert_invalid(&["type"]);
}

async fn sign_in_reads_the_body_whatever_the_authorization_header(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let body = json!({"login": {"type": "device"}, "user": {"domain": "ACME", "email": "OWNER@acme.example", "password": PASSWORD}});
    for header in ["null", "KISI-LOGIN not-a-secret", "Bearer x"] {
        let reply = app
            .raw(
                app.http
                    .post(format!("{}/logins", app.base))
                    .header("Authorization", header)
                    .json(&body),
            )
            .await;
        assert_eq!(reply.status, 200, "{header}: {}", reply.body);
        assert_eq!(reply.body["email"], owner.email);
    }
}

async fn session_lifecycle(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let reply = app
        .call(
            Method::POST,
            "/logins",
            None,
            Some(json!({
                "login": {"type": "api", "name": "ci"},
                "user": {"domain": "acme", "email": owner.email, "password": PASSWORD},
            })),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.keys(),
        keys("id created_at updated_at type name primary expire last_used_at device_brand device_model \
              os_name user_id user app user_agent device os scram_credentials secret authentication_token \
              has_primary_device email notifications_unread_count otp_required_for_login otp_enabled_at \
              image primary_login_exists")
    );
    assert_eq!(reply.body["type"], "api");
    assert_eq!(reply.body["name"], "ci");
    assert_eq!(reply.body["secret"], reply.body["authentication_token"]);
    let secret = reply.body["secret"].as_str().unwrap().to_owned();

    let current = app.get("/login", &secret).await;
    assert_eq!(current.status, 200);
    assert_eq!(current.body["id"], reply.body["id"]);
    assert!(
        current.body.get("secret").is_none(),
        "the secret is shown only once"
    );
    assert_eq!(current.body["scram_credentials"], serde_json::Value::Null);
    assert!(
        current.body["last_used_at"].is_string(),
        "the use was recorded"
    );

    let gone = app
        .call(Method::DELETE, "/login", Some(&secret), None)
        .await;
    assert_eq!(gone.status, 204);
    app.get("/login", &secret).await.assert_error(401, "e00401");
    app.get("/places", &secret)
        .await
        .assert_error(401, "e00401");
    app.call(Method::GET, "/places", None, None)
        .await
        .assert_error(401, "e00401");
    // The owner's other session is untouched.
    assert_eq!(app.get("/user", &owner.secret).await.status, 200);
}

async fn logins_are_listed_paged_and_deleted(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let other = app.organization("other", Subscription::Organizations).await;
    let second = app.sign_in("acme", &owner.email, PASSWORD).await;
    app.sign_in("acme", &owner.email, PASSWORD).await;

    let all = app.get("/logins", &owner.secret).await;
    assert_eq!(all.status, 200);
    assert_eq!(all.header("x-collection-range"), Some("0-9/3"));
    let ids: Vec<i64> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    let page = app
        .get("/logins?limit=1&offset=1&user_id=me", &owner.secret)
        .await;
    assert_eq!(page.header("x-collection-range"), Some("1-1/3"));
    assert_eq!(page.body[0]["id"], ids[1]);
    let picked = app
        .get(&format!("/logins?ids={},{}", ids[0], ids[2]), &owner.secret)
        .await;
    assert_eq!(picked.body.as_array().unwrap().len(), 2);

    // Another organization's login id is simply not found.
    let theirs = app.get("/login", &other.secret).await.body["id"]
        .as_i64()
        .unwrap();
    app.delete(&format!("/logins/{theirs}"), &owner.secret)
        .await
        .assert_error(404, "e00404");
    assert_eq!(app.get("/user", &other.secret).await.status, 200);

    let second_id = app.get("/login", &second).await.body["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.delete(&format!("/logins/{second_id}"), &owner.secret)
            .await
            .status,
        204
    );
    app.get("/user", &second).await.assert_error(401, "e00401");
    app.delete(&format!("/logins/{second_id}"), &owner.secret)
        .await
        .assert_error(404, "e00404");
    app.get("/logins?user_id=abc&limit=0", &owner.secret)
        .await
        .assert_invalid(&["limit", "user_id"]);
}

async fn api_login_limit(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let body = json!({"login": {"type": "api"}, "user": {"domain": "acme", "email": owner.email, "password": PASSWORD}});
    for _ in 0..10 {
        assert_eq!(
            app.call(Method::POST, "/logins", None, Some(body.clone()))
                .await
                .status,
            200
        );
    }
    app.call(Method::POST, "/logins", None, Some(body))
        .await
        .assert_invalid(&["type"]);
}

async fn device_login_on_behalf_of_a_member(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let on_behalf = json!({"login": {"type": "device", "email": owner.email, "name": "kiosk"}});
    // Without a login it is refused; the body's missing user is not the problem.
    app.call(Method::POST, "/logins", None, Some(on_behalf.clone()))
        .await
        .assert_error(401, "e00401");
    let reply = app.post("/logins", &owner.secret, on_behalf).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["type"], "device");
    assert_eq!(reply.body["user_id"], owner.user_id);
    let kiosk = reply.body["secret"].as_str().unwrap();
    assert_eq!(app.get("/user", kiosk).await.body["email"], owner.email);

    app.post(
        "/logins",
        &owner.secret,
        json!({"login": {"type": "api", "email": owner.email}}),
    )
    .await
    .assert_invalid(&["email"]);
    app.post(
        "/logins",
        &owner.secret,
        json!({"login": {"type": "device", "email": "stranger@acme.example"}}),
    )
    .await
    .assert_error(404, "e00404");
    let other = app.organization("other", Subscription::Organizations).await;
    app.post(
        "/logins",
        &owner.secret,
        json!({"login": {"type": "device", "email": other.email}}),
    )
    .await
    .assert_error(404, "e00404");
}

async fn password_change(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let elsewhere = app.sign_in("acme", &owner.email, PASSWORD).await;
    let change = |current: &str, new: &str, confirmation: &str| json!({"user": {"current_password": current, "password": new, "password_confirmation": confirmation}});
    app.patch(
        "/user",
        &owner.secret,
        change("wrong", "new password 1", "new password 1"),
    )
    .await
    .assert_invalid(&["current_password"]);
    app.patch(
        "/user",
        &owner.secret,
        change(PASSWORD, "new password 1", "different"),
    )
    .await
    .assert_invalid(&["password_confirmation"]);
    app.patch("/user", &owner.secret, change(PASSWORD, "short", "short"))
        .await
        .assert_invalid(&["password"]);
    app.patch(
        "/user",
        &owner.secret,
        json!({"user": {"password": "new password 1", "password_confirmation": "new password 1"}}),
    )
    .await
    .assert_invalid(&["current_password"]);
    // Nothing above changed anything.
    assert_eq!(app.get("/user", &elsewhere).await.status, 200);

    let ok = app
        .patch(
            "/user",
            &owner.secret,
            change(PASSWORD, "new password 1", "new password 1"),
        )
        .await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    app.get("/user", &elsewhere)
        .await
        .assert_error(401, "e00401");
    assert_eq!(
        app.get("/user", &owner.secret).await.status,
        200,
        "the session that changed it stays"
    );
    app.call(Method::POST, "/logins", None, Some(json!({
        "login": {"type": "api"}, "user": {"domain": "acme", "email": owner.email, "password": PASSWORD}})))
        .await
        .assert_error(401, "afc516");
    app.sign_in("acme", &owner.email, "new password 1").await;
}

async fn current_user_shape_and_update(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let me = app.get("/user", &owner.secret).await;
    assert_eq!(me.status, 200);
    assert_eq!(
        me.keys(),
        keys("id resource_type name email image locale notifications_unread_count otp_required_for_login \
              otp_enabled_at primary_login_exists created_at updated_at announcements_last_seen_at \
              last_read_at notes organization_id organization")
    );
    assert_eq!(me.body["organization"]["domain"], "acme");
    assert_eq!(me.body["resource_type"], "User");
    let reply = app
        .patch("/user", &owner.secret, json!({"user": {"name": "Olivia O.", "locale": "de", "image": "https://x.example/o.png"}}))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let me = app.get("/user", &owner.secret).await;
    assert_eq!(me.body["name"], "Olivia O.");
    assert_eq!(me.body["locale"], "de");
    app.patch(
        "/user",
        &owner.secret,
        json!({"user": {"name": "", "locale": "xx", "image": "ftp://x"}}),
    )
    .await
    .assert_invalid(&["image", "locale", "name"]);
    assert_eq!(
        app.get("/user", &owner.secret).await.body["name"],
        "Olivia O.",
        "nothing written"
    );
}

async fn password_sign_in_needs_the_member_flag(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let me = app.get("/members?user_id=me", &owner.secret).await.body[0]["id"]
        .as_i64()
        .unwrap();
    let off = app
        .patch(
            &format!("/members/{me}"),
            &owner.secret,
            json!({"member": {"password_flow_enabled": false}}),
        )
        .await;
    assert_eq!(off.status, 204, "{}", off.body);
    let body = json!({"login": {"type": "api"}, "user": {"domain": "acme", "email": owner.email, "password": PASSWORD}});
    app.call(Method::POST, "/logins", None, Some(body.clone()))
        .await
        .assert_error(403, "afc496");
    // A wrong password still reads as a wrong password: nothing is revealed.
    let wrong = json!({"login": {"type": "api"}, "user": {"domain": "acme", "email": owner.email, "password": "nope nope"}});
    app.call(Method::POST, "/logins", None, Some(wrong))
        .await
        .assert_error(401, "afc516");
    app.patch(
        &format!("/members/{me}"),
        &owner.secret,
        json!({"member": {"password_flow_enabled": true}}),
    )
    .await;
    assert_eq!(
        app.call(Method::POST, "/logins", None, Some(body))
            .await
            .status,
        200
    );
}
