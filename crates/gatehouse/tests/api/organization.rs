//! `GET /organization`, `PATCH /organization`.

use gatehouse_domain::Subscription;
use serde_json::json;

use crate::helpers::{keys, TestApp};

crate::on_both_backends!(organization_shape, organization_update_and_validation);

async fn organization_shape(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Standard).await;
    let reply = app.get("/organization", &owner.secret).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.keys(),
        keys("id resource_type name domain logo address description device_logins_expire_after places_count \
              scim_enabled sso_flow_enabled sso_expiration_override_enabled sso_expiration_override metadata \
              time_zone web_authentication_api_enabled apple_pass_enabled created_at updated_at user_id \
              transfer_to_id image color subscription")
    );
    assert_eq!(reply.body["id"], owner.organization_id);
    assert_eq!(reply.body["domain"], "acme");
    assert_eq!(reply.body["subscription"], "standard");
    assert_eq!(reply.body["user_id"], owner.user_id);
    assert_eq!(reply.body["device_logins_expire_after"], 1_209_600);
    assert_eq!(reply.body["places_count"], 0);
    assert!(reply.body["logo"].is_null());
}

async fn organization_update_and_validation(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let bad = app
        .patch("/organization", &owner.secret, json!({"organization": {
            "name": "", "device_logins_expire_after": -1, "time_zone": "Mars", "subscription": "gold",
            "scim_enabled": true}}))
        .await;
    bad.assert_invalid(&[
        "device_logins_expire_after",
        "name",
        "scim_enabled",
        "subscription",
        "time_zone",
    ]);
    app.patch(
        "/organization",
        &owner.secret,
        json!({"organization": {"name": 7}}),
    )
    .await
    .assert_invalid(&["name"]);
    app.patch("/organization", &owner.secret, json!({"organisation": {}}))
        .await
        .assert_invalid(&["organisation"]);
    assert_eq!(
        app.get("/organization", &owner.secret).await.body["name"],
        "acme Inc.",
        "nothing written"
    );

    let reply = app
        .patch(
            "/organization",
            &owner.secret,
            json!({"organization": {
            "name": "Acme Corp", "description": "Head office", "device_logins_expire_after": 3600,
            "time_zone": "America/New_York", "subscription": "standard"}}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let now = app.get("/organization", &owner.secret).await.body;
    assert_eq!(now["name"], "Acme Corp");
    assert_eq!(now["description"], "Head office");
    assert_eq!(now["device_logins_expire_after"], 3600);
    assert_eq!(now["time_zone"], "America/New_York");
    assert_eq!(now["subscription"], "standard");
    assert_eq!(
        app.patch(
            "/organization",
            &owner.secret,
            json!({"organization": {"description": null}})
        )
        .await
        .status,
        204
    );
    assert!(app.get("/organization", &owner.secret).await.body["description"].is_null());

    // The change is an audit event naming the actor and what changed.
    let events = app
        .store
        .list_events(
            owner.organization_id,
            &gatehouse_store::EventQuery {
                event_type: Some("organization.update".into()),
                page: gatehouse_store::Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.total, 2);
    assert_eq!(
        events.items[1].actor_email.as_deref(),
        Some(owner.email.as_str())
    );
    assert!(events.items[1].details.contains("Acme Corp"));
}
