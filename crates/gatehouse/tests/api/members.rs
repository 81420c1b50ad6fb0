//! Members and users: the seed's lifecycle, flags, shapes and bad input.

use gatehouse_domain::Subscription;
use serde_json::json;

use crate::helpers::{keys, TestApp};

crate::on_both_backends!(
    member_lifecycle,
    seed_example_and_member_shape,
    flags_follow_the_subscription,
    users_are_the_same_memberships,
    bad_member_input_changes_nothing,
    groups_shares_roles_and_teams,
);

async fn member_lifecycle(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let s = &owner.secret;
    let mut groups = Vec::new();
    for name in ["Berlin", "Paris"] {
        let place = app
            .post(
                "/places",
                s,
                json!({"place": {"name": name, "address": "x"}}),
            )
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        let group = app
            .post(
                "/groups",
                s,
                json!({"group": {"name": name, "place_id": place}}),
            )
            .await;
        groups.push((place, group.body["id"].as_i64().unwrap()));
    }
    // Created by e-mail alone: the user profile is created too.
    let member = app
        .post(
            "/members",
            s,
            json!({"member": {"email": "Pat@Example.com"}}),
        )
        .await;
    assert_eq!(member.status, 200, "{}", member.body);
    let (member_id, user_id) = (
        member.body["id"].as_i64().unwrap(),
        member.body["user_id"].as_i64().unwrap(),
    );
    assert_eq!(member.body["user"]["email"], "pat@example.com");
    // Access in two places.
    let mut shares = Vec::new();
    for (_, group) in &groups {
        let share = app
            .post(
                "/shares",
                s,
                json!({"share": {"email": "PAT@example.com", "group_id": group}}),
            )
            .await;
        assert_eq!(share.status, 200, "{}", share.body);
        assert_eq!(
            share.body["user_id"], user_id,
            "the same user, in any letter case"
        );
        assert_eq!(share.body["member_id"], member_id);
        shares.push(share.body["id"].as_i64().unwrap());
    }
    for (place, _) in &groups {
        let listed = app.get(&format!("/members?place_id={place}"), s).await;
        assert_eq!(listed.body[0]["id"], member_id);
    }
    assert_eq!(
        app.get(&format!("/members/{member_id}"), s).await.body["shares_count"],
        2
    );
    // Removed from one place: no access there, still in the other.
    assert_eq!(
        app.delete(&format!("/shares/{}", shares[1]), s)
            .await
            .status,
        204
    );
    assert_eq!(
        app.get(&format!("/members?place_id={}", groups[1].0), s)
            .await
            .body,
        json!([])
    );
    assert_eq!(
        app.get(&format!("/members?place_id={}", groups[0].0), s)
            .await
            .body[0]["id"],
        member_id
    );
    // The member deleted: the membership and its access go, the user stays.
    assert_eq!(
        app.delete(&format!("/members/{member_id}"), s).await.status,
        204
    );
    app.get(&format!("/members/{member_id}"), s)
        .await
        .assert_error(404, "e00404");
    app.get(&format!("/shares/{}", shares[0]), s)
        .await
        .assert_error(404, "e00404");
    assert_eq!(
        app.store.user(user_id).await.unwrap().email,
        "pat@example.com"
    );
    // Re-added: the same user id.
    let again = app
        .post(
            "/members",
            s,
            json!({"member": {"email": "pat@example.com"}}),
        )
        .await;
    assert_eq!(again.body["user_id"], user_id);
    assert_ne!(again.body["id"], member_id);
    app.post(
        "/members",
        s,
        json!({"member": {"email": "PAT@EXAMPLE.COM"}}),
    )
    .await
    .assert_invalid(&["email"]);
}

async fn seed_example_and_member_shape(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    // The seed's own example body.
    let reply = app
        .post("/members", &owner.secret, json!({"member":{"email":"user@kisi.io","card_enabled":true,"password_flow_enabled":true}}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.keys(),
        keys("id resource_type name image password_flow_enabled access_enabled scim_access_enabled link_enabled \
              app_enabled card_enabled cards_without_activation_enabled last_accessed_at created_at updated_at \
              role_id notes metadata organization_id user_id user place_id shares_count confirmed")
    );
    let m = &reply.body;
    assert_eq!(
        (m["resource_type"].as_str(), m["role_id"].as_str()),
        (Some("Member"), Some("basic"))
    );
    assert_eq!(m["password_flow_enabled"], true);
    assert_eq!(m["card_enabled"], true);
    assert_eq!(m["access_enabled"], true, "defaults: access on");
    assert_eq!(m["link_enabled"], true);
    assert_eq!(m["app_enabled"], true);
    assert_eq!(m["cards_without_activation_enabled"], false);
    assert_eq!(m["metadata"], json!({}));
    assert!(m["place_id"].is_null());
    assert_eq!(m["user"]["email"], "user@kisi.io");
    assert_eq!(m["confirmed"], false);
    let events = app
        .store
        .list_events(
            owner.organization_id,
            &gatehouse_store::EventQuery {
                event_type: Some("member.create".into()),
                page: gatehouse_store::Page::new(10, 0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.items[0].object_name, "user@kisi.io");
    assert_eq!(
        events.items[0].actor_email.as_deref(),
        Some(owner.email.as_str())
    );

    // Suspend and restore, each an audit event.
    let id = m["id"].as_i64().unwrap();
    assert_eq!(
        app.post(&format!("/members/{id}/suspend"), &owner.secret, json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        app.get(&format!("/members/{id}"), &owner.secret).await.body["access_enabled"],
        false
    );
    let suspended = app.get("/members?sort=access_enabled", &owner.secret).await;
    assert_eq!(suspended.body[0]["id"], id, "suspended first");
    assert_eq!(
        app.post(&format!("/members/{id}/restore"), &owner.secret, json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        app.get(&format!("/members/{id}"), &owner.secret).await.body["access_enabled"],
        true
    );
    for kind in ["member.suspend", "member.restore"] {
        let found = app
            .store
            .list_events(
                owner.organization_id,
                &gatehouse_store::EventQuery {
                    event_type: Some(kind.into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.total, 1, "{kind}");
    }
    // Metadata and notes round-trip; the query searches name, e-mail and notes.
    let patch = app
        .patch(&format!("/members/{id}"), &owner.secret, json!({"member": {"name": "Kim", "notes": "Badge 42", "metadata": {"floor": 3, "desk": "A7"}}}))
        .await;
    assert_eq!(patch.status, 204, "{}", patch.body);
    let kim = app.get(&format!("/members/{id}"), &owner.secret).await.body;
    assert_eq!(
        (kim["name"].as_str(), kim["notes"].as_str()),
        (Some("Kim"), Some("Badge 42"))
    );
    assert_eq!(kim["metadata"], json!({"floor": 3, "desk": "A7"}));
    for query in ["badge", "KIM", "kisi.io"] {
        let found = app
            .get(&format!("/members?query={query}"), &owner.secret)
            .await;
        assert_eq!(found.body.as_array().unwrap().len(), 1, "{query}");
    }
    let sorted = app.get("/members?sort=-name&limit=1", &owner.secret).await;
    assert_eq!(sorted.header("x-collection-range"), Some("0-0/2"));
    assert_eq!(sorted.body[0]["name"], "Olivia Owner");
}

async fn flags_follow_the_subscription(app: &TestApp) {
    let org = app.organization("orgs", Subscription::Organizations).await;
    let std = app.organization("std", Subscription::Standard).await;
    // organizations: password sign-in is a switch, default off; cards always need activation.
    let m = app
        .post(
            "/members",
            &org.secret,
            json!({"member": {"email": "a@x.io"}}),
        )
        .await
        .body;
    assert_eq!(
        (
            m["password_flow_enabled"].as_bool(),
            m["cards_without_activation_enabled"].as_bool()
        ),
        (Some(false), Some(false))
    );
    app.post(
        "/members",
        &org.secret,
        json!({"member": {"email": "b@x.io", "cards_without_activation_enabled": true}}),
    )
    .await
    .assert_invalid(&["cards_without_activation_enabled"]);
    let id = m["id"].as_i64().unwrap();
    assert_eq!(
        app.patch(
            &format!("/members/{id}"),
            &org.secret,
            json!({"member": {"password_flow_enabled": true}})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.get(&format!("/members/{id}"), &org.secret).await.body["password_flow_enabled"],
        true
    );
    // standard: everyone signs in with a password (no switch); activation can be waived.
    let s = app
        .post(
            "/members",
            &std.secret,
            json!({"member": {"email": "a@x.io", "cards_without_activation_enabled": true}}),
        )
        .await
        .body;
    assert_eq!(
        (
            s["password_flow_enabled"].as_bool(),
            s["cards_without_activation_enabled"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let id = s["id"].as_i64().unwrap();
    app.patch(
        &format!("/members/{id}"),
        &std.secret,
        json!({"member": {"password_flow_enabled": false}}),
    )
    .await
    .assert_invalid(&["password_flow_enabled"]);
    // Every flag is a switch that sticks, and each change is recorded.
    let all_off = json!({"member": {"access_enabled": false, "link_enabled": false, "app_enabled": false,
        "card_enabled": false, "cards_without_activation_enabled": false}});
    assert_eq!(
        app.patch(&format!("/members/{id}"), &std.secret, all_off)
            .await
            .status,
        204
    );
    let off = app.get(&format!("/members/{id}"), &std.secret).await.body;
    for flag in [
        "access_enabled",
        "link_enabled",
        "app_enabled",
        "card_enabled",
        "cards_without_activation_enabled",
    ] {
        assert_eq!(off[flag], false, "{flag}");
    }
    assert_eq!(off["password_flow_enabled"], true);
}

async fn users_are_the_same_memberships(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let created = app
        .post(
            "/users",
            &owner.secret,
            json!({"user": {"email": "lee@x.io", "name": "Lee", "notes": "VIP"}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        created.keys(),
        keys("id resource_type name email created_at updated_at metadata image otp_required_for_login \
              password_flow_enabled access_enabled link_enabled app_enabled card_enabled \
              cards_without_activation_enabled last_accessed_at scim_access_enabled notes organization_id \
              role_id confirmed groups_count")
    );
    let user_id = created.body["id"].as_i64().unwrap();
    let as_member = app
        .get(&format!("/members?user_id={user_id}"), &owner.secret)
        .await;
    assert_eq!(as_member.body[0]["name"], "Lee");
    assert_eq!(
        app.get(&format!("/users/{user_id}"), &owner.secret)
            .await
            .body["email"],
        "lee@x.io"
    );
    assert_eq!(
        app.get("/users?email=LEE@x.io", &owner.secret).await.body[0]["id"],
        user_id
    );
    assert_eq!(
        app.get(&format!("/users?ids={user_id}"), &owner.secret)
            .await
            .body[0]["id"],
        user_id
    );
    assert_eq!(
        app.patch(
            &format!("/users/{user_id}"),
            &owner.secret,
            json!({"user": {"access_enabled": false}})
        )
        .await
        .status,
        204
    );
    assert!(!as_member_flag(app, &owner.secret, user_id).await);
    assert_eq!(
        app.delete(&format!("/users/{user_id}"), &owner.secret)
            .await
            .status,
        204
    );
    app.get(&format!("/users/{user_id}"), &owner.secret)
        .await
        .assert_error(404, "e00404");
    assert_eq!(
        app.store.user(user_id).await.unwrap().name,
        "Lee",
        "the profile stays"
    );
    app.delete(&format!("/users/{}", owner.user_id), &owner.secret)
        .await
        .assert_error(403, "e00403");
}

async fn as_member_flag(app: &TestApp, secret: &str, user_id: i64) -> bool {
    app.get(&format!("/members?user_id={user_id}"), secret)
        .await
        .body[0]["access_enabled"]
        .as_bool()
        .unwrap()
}

async fn bad_member_input_changes_nothing(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let rival = app.organization("rival", Subscription::Organizations).await;
    let s = &owner.secret;
    for email in ["", "plain", "a@b", "two@@x.io", "sp ace@x.io"] {
        app.post("/members", s, json!({"member": {"email": email}}))
            .await
            .assert_invalid(&["email"]);
    }
    app.post("/members", s, json!({"member": {}}))
        .await
        .assert_invalid(&["email"]);
    app.post(
        "/members",
        s,
        json!({"member": {"email": "a@x.io", "favourite_colour": "red"}}),
    )
    .await
    .assert_invalid(&["favourite_colour"]);
    app.post(
        "/members",
        s,
        json!({"member": {"email": "a@x.io", "access_enabled": "yes"}}),
    )
    .await
    .assert_invalid(&["access_enabled"]);
    app.post("/members", s, json!({"member": {"email": 7}}))
        .await
        .assert_invalid(&["email"]);
    app.post(
        "/members",
        s,
        json!({"member": {"email": "a@x.io", "name": "n".repeat(256), "notes": "x".repeat(5001),
        "image": "not a url"}}),
    )
    .await
    .assert_invalid(&["image", "name", "notes"]);
    let many: serde_json::Map<String, serde_json::Value> =
        (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    for metadata in [
        json!({"a": {"nested": 1}}),
        json!({"k".repeat(51): 1}),
        json!({"k": "v".repeat(501)}),
        json!(many),
        json!([1]),
        json!("text"),
    ] {
        app.post(
            "/members",
            s,
            json!({"member": {"email": "a@x.io", "metadata": metadata}}),
        )
        .await
        .assert_invalid(&["metadata"]);
    }
    // Every bad field at once.
    app.post(
        "/members",
        s,
        json!({"member": {"email": "bad", "name": "", "cards_without_activation_enabled": true}}),
    )
    .await
    .assert_invalid(&["cards_without_activation_enabled", "email", "name"]);
    // Ids of another organization.
    let rival_group = app
        .post(
            "/groups",
            &rival.secret,
            json!({"group": {"name": "Theirs"}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/shares",
        s,
        json!({"share": {"email": "a@x.io", "group_id": rival_group}}),
    )
    .await
    .assert_invalid(&["group_id"]);
    app.post(
        "/role_assignments",
        s,
        json!({"role_assignment": {"role_id": "group_basic", "applies_to_type": "Group",
        "applies_to_id": rival_group, "assignee_type": "User", "assignee_id": owner.user_id}}),
    )
    .await
    .assert_invalid(&["applies_to_id"]);
    app.post("/role_assignments", s, json!({"role_assignment": {"role_id": "organization_manager", "applies_to_type": "Organization",
        "applies_to_id": owner.organization_id, "assignee_type": "User", "assignee_id": rival.user_id}}))
        .await
        .assert_invalid(&["assignee_id"]);
    app.post("/role_assignments", s, json!({"role_assignment": {"role_id": "root", "applies_to_type": "Planet", "applies_to_id": 1,
        "assignee_type": "User", "assignee_id": 1}}))
        .await
        .assert_invalid(&["role_id"]);
    app.patch(
        &format!("/members/{}", 999_999),
        s,
        json!({"member": {"name": "x"}}),
    )
    .await
    .assert_error(404, "e00404");
    // Nothing was written: the owner is still the only member, with no access granted.
    let members = app.get("/members", s).await;
    assert_eq!(members.header("x-collection-range"), Some("0-49/1"));
    assert_eq!(app.get("/role_assignments", s).await.body, json!([]));
    assert_eq!(
        app.store
            .list_members(rival.organization_id, &Default::default())
            .await
            .unwrap()
            .total,
        1
    );
}

async fn groups_shares_roles_and_teams(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let s = &owner.secret;
    let place = app
        .post(
            "/places",
            s,
            json!({"place": {"name": "HQ", "address": "x"}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let group = app
        .post(
            "/groups",
            s,
            json!({"group": {"name": "Night", "place_id": place, "login_enabled": false}}),
        )
        .await;
    assert_eq!(group.status, 200, "{}", group.body);
    assert_eq!(
        group.keys(),
        keys("id resource_type name description created_at updated_at geofence_restriction_enabled \
              geofence_restriction_radius primary_device_restriction_enabled managed_device_restriction_enabled \
              reader_restriction_enabled time_restriction_enabled tap_to_access_restriction_enabled login_enabled \
              users_count locks_count elevator_stops_count place_id place time_restriction_time_zone members_count")
    );
    assert_eq!(group.body["login_enabled"], false);
    assert_eq!(
        group.body["place"],
        json!({"id": place, "resource_type": "Place", "name": "HQ"})
    );
    let group_id = group.body["id"].as_i64().unwrap();
    app.patch(
        &format!("/groups/{group_id}"),
        s,
        json!({"group": {"place_id": 9}}),
    )
    .await
    .assert_invalid(&["place_id"]);
    let everyone = app
        .post("/groups", s, json!({"group": {"name": "Everyone"}}))
        .await
        .body;
    assert!(everyone["place_id"].is_null() && everyone.get("place").is_none());
    assert_eq!(
        app.get("/groups?scope=organization", s).await.body[0]["name"],
        "Everyone"
    );
    assert_eq!(
        app.get(&format!("/groups?place_id={place}"), s).await.body[0]["name"],
        "Night"
    );

    // The legacy role assignment form: user_id and group_id.
    let member = app
        .post("/members", s, json!({"member": {"email": "ria@x.io"}}))
        .await
        .body;
    let user_id = member["user_id"].as_i64().unwrap();
    let legacy = app
        .post("/role_assignments", s, json!({"role_assignment": {"user_id": user_id, "role_id": "group_basic",
            "group_id": group_id, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}}))
        .await;
    assert_eq!(legacy.status, 200, "{}", legacy.body);
    let ra = &legacy.body;
    assert_eq!(
        (ra["applies_to_type"].as_str(), ra["type"].as_str()),
        (Some("Group"), Some("group"))
    );
    assert_eq!(ra["group_id"], group_id);
    assert_eq!(
        ra["assignee"],
        json!({"id": user_id, "resource_type": "User", "email": "ria@x.io", "name": "ria"})
    );
    assert_eq!(ra["valid_until"], "2027-01-01T00:00:00.000Z");
    assert_eq!(ra["created_by_id"], owner.user_id);
    let ra_id = ra["id"].as_i64().unwrap();
    // Seen through /shares as well.
    let share = app.get(&format!("/shares/{ra_id}"), s).await;
    assert_eq!(
        (share.body["role_id"].as_str(), share.body["email"].as_str()),
        (Some("basic"), Some("ria@x.io"))
    );
    assert_eq!(
        app.patch(
            &format!("/shares/{ra_id}"),
            s,
            json!({"share": {"role_id": "manager"}})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.get(&format!("/role_assignments/{ra_id}"), s).await.body["role_id"],
        "group_manager"
    );
    assert_eq!(
        app.get(&format!("/members/{}", member["id"]), s).await.body["role_id"],
        "manager"
    );
    app.post("/role_assignments", s, json!({"role_assignment": {"user_id": user_id, "role_id": "group_basic", "group_id": group_id}}))
        .await
        .assert_invalid(&["role_id"]);
    app.post("/role_assignments", s, json!({"role_assignment": {"user_id": user_id, "role_id": "place_manager", "place_id": place,
        "valid_until": "2027-01-01T00:00:00Z"}}))
        .await
        .assert_invalid(&["valid_from"]);
    app.post("/role_assignments", s, json!({"role_assignment": {"user_id": user_id, "role_id": "group_basic", "group_id": everyone["id"],
        "valid_from": "next tuesday"}}))
        .await
        .assert_invalid(&["valid_from"]);
    let org_level = app
        .post("/role_assignments", s, json!({"role_assignment": {"applies_to_type": "Organization", "applies_to_id": owner.organization_id,
            "assignee_type": "User", "assignee_id": user_id, "role_id": "organization_manager"}}))
        .await;
    assert_eq!(org_level.body["organization"]["domain"], "acme");
    app.get("/role_assignments?applies_to_type=Group", s)
        .await
        .assert_invalid(&["applies_to_id"]);
    let by_scope = app.get("/role_assignments?scope=organization", s).await;
    assert_eq!(by_scope.body.as_array().unwrap().len(), 1);

    // Roles: the catalogue with a permission map per role.
    let roles = app.get("/roles", s).await;
    assert!(
        roles.header("x-collection-range").is_none(),
        "not paginated"
    );
    let roles = roles.body.as_array().unwrap().clone();
    assert_eq!(roles.len(), 8);
    let basic = roles.iter().find(|r| r["id"] == "group_basic").unwrap();
    assert_eq!(basic["permissions"].as_object().unwrap().len(), 119);
    assert_eq!(
        (
            basic["permissions"]["locks_unlock"].as_bool(),
            basic["permissions"]["events_read"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(
        app.get("/roles/place_administrator", s).await.body["applies_to"],
        "Place"
    );
    app.get("/roles/emperor", s)
        .await
        .assert_error(404, "e00404");

    // Teams: a role given to a team reaches its members.
    let team = app
        .post("/teams", s, json!({"team": {"name": "Cleaners"}}))
        .await
        .body;
    assert_eq!(team["resource_type"], "Team");
    let team_id = team["id"].as_i64().unwrap();
    let cleaner = app
        .post("/members", s, json!({"member": {"email": "sam@x.io"}}))
        .await
        .body;
    let tm = app
        .post("/team_memberships", s, json!({"team_membership": {"team_id": team_id, "member_id": cleaner["user_id"], "member_type": "User"}}))
        .await;
    assert_eq!(tm.status, 200, "{}", tm.body);
    assert_eq!(tm.body["member"]["email"], "sam@x.io");
    let to_team = app
        .post(
            "/role_assignments",
            s,
            json!({"role_assignment": {"applies_to_type": "Group", "applies_to_id": group_id,
            "assignee_type": "Team", "assignee_id": team_id, "role_id": "group_manager"}}),
        )
        .await;
    assert_eq!(to_team.status, 200, "{}", to_team.body);
    assert_eq!(
        app.get(&format!("/members/{}", cleaner["id"]), s)
            .await
            .body["role_id"],
        "manager"
    );
    let in_group = app.get(&format!("/members?group_id={group_id}"), s).await;
    assert_eq!(
        in_group.body.as_array().unwrap().len(),
        2,
        "the member and the team's member"
    );
    app.post(
        "/team_memberships",
        s,
        json!({"team_membership": {"team_id": team_id, "member_id": 1, "member_type": "Guest"}}),
    )
    .await
    .assert_invalid(&["member_type"]);
    assert_eq!(
        app.delete(&format!("/teams/{team_id}"), s).await.status,
        204
    );
    assert_eq!(
        app.get(&format!("/members/{}", cleaner["id"]), s)
            .await
            .body["role_id"],
        "basic"
    );
    // Deleting the group removes the access given through it.
    assert_eq!(
        app.delete(&format!("/groups/{group_id}"), s).await.status,
        204
    );
    app.get(&format!("/role_assignments/{ra_id}"), s)
        .await
        .assert_error(404, "e00404");
}
