//! Doors and the access decision through the HTTP API: every denial code,
//! each member flag, suspend and restore, schedules, lockdown, events.

use chrono::{Duration, Utc};
use gatehouse_domain::Subscription;
use serde_json::{json, Value};

use crate::helpers::{keys, Owner, TestApp};

crate::on_both_backends!(
    door_shape_and_listing,
    every_denial_code,
    an_unlock_records_its_logins_use,
    flags_suspension_and_history,
    schedules_open_and_close,
    event_sets_page_with_a_cursor,
);

/// The server's own clock: these tests talk to a real server, which reads it.
fn wall_clock() -> chrono::DateTime<Utc> {
    gatehouse_api::Clock::now(&gatehouse_api::SystemClock)
}

/// A place with a door in a group, and a basic member of the group.
struct Site {
    owner: Owner,
    place: i64,
    door: i64,
    group: i64,
    member: i64,
    user: i64,
    secret: String,
}

async fn site(app: &TestApp) -> Site {
    let owner = app.organization("acme", Subscription::Standard).await;
    let s = &owner.secret;
    let place = app
        .post(
            "/places",
            s,
            json!({"place": {"name": "HQ", "address": "x", "time_zone": "Europe/Berlin"}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let door = app.post("/locks", s, json!({"lock": {"name": "Front", "place_id": place, "latitude": 52.52, "longitude": 13.405}})).await;
    assert_eq!(door.status, 200, "{}", door.body);
    let door = door.body["id"].as_i64().unwrap();
    let group = app
        .post(
            "/groups",
            s,
            json!({"group": {"name": "Staff", "place_id": place}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/group_locks",
        s,
        json!({"group_lock": {"group_id": group, "lock_id": door}}),
    )
    .await;
    let share = app
        .post(
            "/shares",
            s,
            json!({"share": {"email": "emp@acme.example", "group_id": group}}),
        )
        .await
        .body;
    let (member, user) = (
        share["member_id"].as_i64().unwrap(),
        share["user_id"].as_i64().unwrap(),
    );
    let secret = app.login_for(owner.organization_id, user).await;
    Site {
        owner,
        place,
        door,
        group,
        member,
        user,
        secret,
    }
}

async fn unlock(app: &TestApp, site: &Site, body: Value) -> (u16, String) {
    let reply = app
        .post(&format!("/locks/{}/unlock", site.door), &site.secret, body)
        .await;
    let code = if reply.status == 200 {
        assert_eq!(reply.body, json!({"message": "Unlocked!"}));
        "ok".to_owned()
    } else {
        reply.body["code"].as_str().unwrap().to_owned()
    };
    (reply.status.as_u16(), code)
}

async fn door_shape_and_listing(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    let door = app.get(&format!("/locks/{}", site.door), s).await;
    assert_eq!(
        door.keys(),
        keys("id resource_type created_at updated_at configured description first_to_arrive_required_until \
              first_to_arrive_satisfied latitude longitude locked_down locked_down_since name on_scheduled_unlock \
              online open order_id unlocked geofence_restriction_enabled geofence_restriction_radius \
              reader_restriction_enabled time_restriction_enabled time_restriction_time_zone place_id place floor_id \
              groups_count unlocked_until")
    );
    assert_eq!(
        door.body["place"],
        json!({"id": site.place, "name": "HQ", "latitude": null, "longitude": null})
    );
    assert_eq!(door.body["groups_count"], 1);
    let group_lock = app
        .get(&format!("/group_locks?group_id={}", site.group), s)
        .await;
    assert_eq!(
        group_lock.body[0]["lock"],
        json!({"id": site.door, "description": null, "name": "Front"})
    );
    app.get("/group_locks", s).await.assert_error(400, "e00400");
    assert_eq!(
        app.get(&format!("/places/{}", site.place), s).await.body["locks_count"],
        1
    );
    // The member sees the group's door; a door outside their groups is hidden.
    let back = app
        .post(
            "/locks",
            s,
            json!({"lock": {"name": "Back", "place_id": site.place}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let mine = app.get("/locks", &site.secret).await;
    assert_eq!(mine.header("x-collection-range"), Some("0-49/1"));
    assert_eq!(mine.body[0]["id"], site.door);
    app.get(&format!("/locks/{back}"), &site.secret)
        .await
        .assert_error(403, "e00403");
    assert_eq!(
        app.get("/locks?sort=-name", s).await.body[0]["name"],
        "Front"
    );
    assert_eq!(app.get("/locks?query=bac", s).await.body[0]["id"], back);
    assert_eq!(
        app.post(
            &format!("/locks/{}/favorite", site.door),
            &site.secret,
            json!({})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.get("/locks?favorite=true", &site.secret).await.body[0]["favorite"],
        true
    );
    app.post("/locks", s, json!({"lock": {"name": "", "latitude": 100}}))
        .await
        .assert_invalid(&["latitude", "name", "place_id"]);
    app.patch(
        &format!("/locks/{back}"),
        s,
        json!({"lock": {"place_id": 1}}),
    )
    .await
    .assert_invalid(&["place_id"]);
    app.post(
        "/group_locks",
        s,
        json!({"group_lock": {"group_id": site.group, "lock_id": site.door}}),
    )
    .await
    .assert_invalid(&["lock_id"]);
}

/// An unlock leaves its login's use to commit with its decision; the use
/// is stored all the same before the answer.
async fn an_unlock_records_its_logins_use(app: &TestApp) {
    let site = site(app).await;
    let last_used = || async {
        let logins = app
            .store
            .list_logins(
                site.owner.organization_id,
                site.user,
                None,
                gatehouse_store::Page::new(10, 0),
            )
            .await
            .unwrap();
        assert_eq!(logins.items.len(), 1);
        logins.items[0].last_used_at
    };
    assert_eq!(last_used().await, None, "a new login");
    assert_eq!(unlock(app, &site, json!({})).await, (200, "ok".into()));
    assert!(
        last_used().await.is_some(),
        "the use is stored before the unlock answers"
    );
}

async fn every_denial_code(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    let group_path = format!("/groups/{}", site.group);
    let patch_group = |body: Value| app.patch(&group_path, s, json!({"group": body}));
    assert_eq!(unlock(app, &site, json!({})).await, (200, "ok".into()));
    // fad10e: no such door (another organization's door is no door at all).
    let missing = app
        .post("/locks/999999/unlock", &site.secret, json!({}))
        .await;
    missing.assert_error(404, "fad10e");
    // fcd8ef: a door of the organization outside the member's groups.
    let back = app
        .post(
            "/locks",
            s,
            json!({"lock": {"name": "Back", "place_id": site.place}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(&format!("/locks/{back}/unlock"), &site.secret, json!({}))
        .await
        .assert_error(403, "fcd8ef");
    // f01337: the group's access leaves out the app.
    patch_group(json!({"login_enabled": false})).await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "f01337".into()));
    patch_group(json!({"login_enabled": true})).await;
    // bbb99f, a3995f, bbb93f: geofences.
    patch_group(json!({"geofence_restriction_enabled": true})).await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "bbb99f".into()));
    let far = json!({"context": {"location": {"latitude": 48.85, "longitude": 2.35}}});
    assert_eq!(unlock(app, &site, far).await, (403, "a3995f".into()));
    let near = json!({"context": {"location": {"latitude": 52.5201, "longitude": 13.4051}, "services": []}});
    assert_eq!(unlock(app, &site, near.clone()).await, (200, "ok".into()));
    app.patch(
        &format!("/locks/{}", site.door),
        s,
        json!({"lock": {"latitude": null}}),
    )
    .await;
    assert_eq!(unlock(app, &site, near).await, (403, "bbb93f".into()));
    patch_group(json!({"geofence_restriction_enabled": false})).await;
    // bb4faa: reader proximity.
    patch_group(json!({"reader_restriction_enabled": true})).await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "bb4faa".into()));
    assert_eq!(
        unlock(app, &site, json!({"lock": {"proximity_proof": "tapped"}})).await,
        (200, "ok".into())
    );
    patch_group(json!({"reader_restriction_enabled": false})).await;
    // 34bd8f: primary device only.
    patch_group(json!({"primary_device_restriction_enabled": true})).await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "34bd8f".into()));
    assert_eq!(
        app.post("/login/promote", &site.secret, json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        unlock(app, &site, json!({})).await,
        (200, "ok".into()),
        "the primary device passes"
    );
    patch_group(json!({"primary_device_restriction_enabled": false})).await;
    // f358de, f35ade: the access's validity window.
    let assignment = app
        .get(&format!("/role_assignments?user_id={}", site.user), s)
        .await
        .body[0]["id"]
        .as_i64()
        .unwrap();
    let window = |from: chrono::DateTime<Utc>, until: chrono::DateTime<Utc>| json!({"role_assignment": {"valid_from": from.to_rfc3339(), "valid_until": until.to_rfc3339()}});
    let now = wall_clock();
    app.patch(
        &format!("/role_assignments/{assignment}"),
        s,
        window(now + Duration::days(1), now + Duration::days(2)),
    )
    .await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "f358de".into()));
    app.patch(
        &format!("/role_assignments/{assignment}"),
        s,
        window(now - Duration::days(2), now - Duration::days(1)),
    )
    .await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "f35ade".into()));
    app.patch(
        &format!("/role_assignments/{assignment}"),
        s,
        json!({"role_assignment": {"valid_from": null, "valid_until": null}}),
    )
    .await;
    // fad001, fad002: lockdown of the door, then of the place.
    app.post(&format!("/locks/{}/lock_down", site.door), s, json!({}))
        .await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "fad001".into()));
    app.post(
        &format!("/locks/{}/cancel_lockdown", site.door),
        s,
        json!({}),
    )
    .await;
    app.post(&format!("/places/{}/lock_down", site.place), s, json!({}))
        .await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "fad002".into()));
    let owner_too = app
        .post(&format!("/locks/{}/unlock", site.door), s, json!({}))
        .await;
    owner_too.assert_error(403, "fad002");
    app.post(
        &format!("/places/{}/cancel_lockdown", site.place),
        s,
        json!({}),
    )
    .await;
    assert_eq!(unlock(app, &site, json!({})).await, (200, "ok".into()));
    // Bad bodies are refused before any decision.
    app.post(
        &format!("/locks/{}/unlock", site.door),
        &site.secret,
        json!({"context": {"location": {"latitude": "north"}}}),
    )
    .await
    .assert_invalid(&["location.latitude"]);
    // Every decision was recorded, with its code.
    let events = app
        .get(
            &format!("/events?type=lock.unlock&object_id={}&limit=100", site.door),
            s,
        )
        .await;
    let codes: Vec<&str> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error_code"].as_str().unwrap_or("ok"))
        .collect();
    for code in [
        "f01337", "bbb99f", "a3995f", "bbb93f", "bb4faa", "34bd8f", "f358de", "f35ade", "fad001",
        "fad002", "ok",
    ] {
        assert!(codes.contains(&code), "{code} recorded: {codes:?}");
    }
    let denied = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["error_code"] == "fad001")
        .unwrap();
    assert_eq!(
        (denied["success"].as_bool(), denied["actor_id"].as_i64()),
        (Some(false), Some(site.user))
    );
    assert_eq!(denied["authenticated_by_type"], "Login");
    assert_eq!(denied["place_id"], site.place);
}

async fn flags_suspension_and_history(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    let member = format!("/members/{}", site.member);
    // Each flag that bears on the app.
    app.patch(&member, s, json!({"member": {"app_enabled": false}}))
        .await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "f01337".into()));
    app.patch(
        &member,
        s,
        json!({"member": {"app_enabled": true, "card_enabled": false, "link_enabled": false}}),
    )
    .await;
    assert_eq!(
        unlock(app, &site, json!({})).await,
        (200, "ok".into()),
        "card and link flags do not bear on the app"
    );
    // Suspend, then restore.
    app.post(&format!("{member}/suspend"), s, json!({})).await;
    assert_eq!(unlock(app, &site, json!({})).await, (403, "fcd8ff".into()));
    app.post(&format!("{member}/restore"), s, json!({})).await;
    assert_eq!(unlock(app, &site, json!({})).await, (200, "ok".into()));
    // A grant is the member's last access; sort=unlock orders by it.
    let me = app.get(&member, s).await.body;
    assert!(me["last_accessed_at"].is_string());
    let by_unlock = app.get("/members?sort=-unlock", s).await;
    assert_eq!(by_unlock.body[0]["id"], site.member);
    let never_first = app.get("/members?sort=unlock", s).await;
    assert!(
        never_first.body[0]["last_accessed_at"].is_null(),
        "never-unlocked first"
    );
    // Their own history only: the member sees their unlocks, not the owner's changes.
    let theirs = app.get("/events", &site.secret).await;
    assert!(!theirs.body.as_array().unwrap().is_empty());
    assert!(
        theirs
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] == site.user),
        "{}",
        theirs.body
    );
    let owners = app.get("/events?type=member.suspend", s).await;
    assert_eq!(owners.body[0]["object_id"], site.member);
    assert_eq!(
        owners.body[0]["object"]["access_enabled"],
        json!([true, false])
    );
    let types = app.get("/events/types", s).await;
    assert!(types
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "lock.unlock"));
    app.get("/events?since=yesterday&success=maybe", s)
        .await
        .assert_invalid(&["since", "success"]);
}

async fn schedules_open_and_close(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    app.patch(
        &format!("/groups/{}", site.group),
        s,
        json!({"group": {"time_restriction_enabled": true}}),
    )
    .await;
    assert_eq!(
        unlock(app, &site, json!({})).await,
        (403, "34ffaa".into()),
        "no schedule, no time"
    );
    let now = wall_clock();
    let event = |from: chrono::DateTime<Utc>, until: chrono::DateTime<Utc>| {
        json!({"schedule": {"scheduleable_type": "Group", "scheduleable_id": site.group, "name": "Visit",
            "starts_at": from.to_rfc3339(), "ends_at": until.to_rfc3339()}})
    };
    let later = app
        .post(
            "/schedules",
            s,
            event(now + Duration::hours(1), now + Duration::hours(2)),
        )
        .await;
    assert_eq!(later.status, 200, "{}", later.body);
    assert_eq!(
        (
            later.body["type"].as_str(),
            later.body["consequence"].as_str()
        ),
        (Some("single_event"), Some("allow"))
    );
    assert_eq!(
        unlock(app, &site, json!({})).await,
        (403, "34ffaa".into()),
        "before the window"
    );
    let id = later.body["id"].as_i64().unwrap();
    let now = wall_clock();
    app.patch(
        &format!("/schedules/{id}"),
        s,
        json!({"schedule": {"starts_at": (now - Duration::minutes(1)).to_rfc3339()}}),
    )
    .await;
    assert_eq!(
        unlock(app, &site, json!({})).await,
        (200, "ok".into()),
        "inside the window"
    );
    app.patch(
        &format!("/schedules/{id}"),
        s,
        json!({"schedule": {"enabled": false}}),
    )
    .await;
    assert_eq!(
        unlock(app, &site, json!({})).await,
        (403, "34ffaa".into()),
        "a disabled schedule allows nothing"
    );
    // A recurring schedule every day, all day but one minute: open.
    let always = app
        .post("/schedules", s, json!({"schedule": {"scheduleable_type": "Group", "scheduleable_id": site.group,
            "monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
            "starts_at_time": "00:00", "ends_at_time": "23:59"}}))
        .await;
    assert_eq!(always.status, 200, "{}", always.body);
    assert_eq!(
        (
            always.body["monday"].as_bool(),
            always.body["starts_at_time"].as_str()
        ),
        (Some(true), Some("00:00"))
    );
    let local = wall_clock()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%H:%M")
        .to_string();
    if local != "23:59" {
        assert_eq!(unlock(app, &site, json!({})).await, (200, "ok".into()));
    }
    let listed = app
        .get(
            &format!(
                "/schedules?scheduleable_type=Group&scheduleable_id={}",
                site.group
            ),
            s,
        )
        .await;
    assert_eq!(listed.header("x-collection-range"), Some("0-9/2"));
    app.post("/schedules", s, json!({"schedule": {"scheduleable_id": site.group, "starts_at_time": "25:00", "ends_at_time": "10:00"}}))
        .await
        .assert_invalid(&["monday", "starts_at_time"]);
    app.get("/schedules", &site.secret)
        .await
        .assert_error(403, "e00403");
    assert_eq!(app.delete(&format!("/schedules/{id}"), s).await.status, 204);
}

async fn event_sets_page_with_a_cursor(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    for _ in 0..5 {
        assert_eq!(unlock(app, &site, json!({})).await.0, 200);
    }
    app.post(&format!("/members/{}/suspend", site.member), s, json!({}))
        .await;
    assert_eq!(unlock(app, &site, json!({})).await.1, "fcd8ff");
    let created = app
        .post("/event_sets", s, json!({"event_set": {"event_type": "lock.unlock", "event_object_id": site.door, "event_object_type": "Lock"}}))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["status"], "finished");
    assert_eq!(created.body["events"].as_array().unwrap().len(), 6);
    assert!(created.body["cursor"].is_null(), "nothing left");
    let id = created.body["id"].as_i64().unwrap();
    let first = app.get(&format!("/event_sets/{id}?limit=4"), s).await;
    assert_eq!(first.body["events"].as_array().unwrap().len(), 4);
    assert_eq!(
        first.body["events"][0]["error_code"], "fcd8ff",
        "newest first"
    );
    let cursor = first.body["cursor"]
        .as_str()
        .expect("more to come")
        .to_owned();
    let second = app
        .get(&format!("/event_sets/{id}?limit=4&cursor={cursor}"), s)
        .await;
    assert_eq!(second.body["events"].as_array().unwrap().len(), 2);
    assert!(second.body["cursor"].is_null());
    let failures = app
        .post(
            "/event_sets",
            s,
            json!({"event_set": {"event_success": false, "interval": "P1D/2099-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(failures.body["events"], json!([]), "outside the interval");
    app.post("/event_sets", s, json!({"event_set": {"interval": "P1D"}}))
        .await
        .assert_invalid(&["interval"]);
    app.post(
        "/event_sets",
        s,
        json!({"event_set": {"interval": "P100D/2026-01-01T00:00:00Z"}}),
    )
    .await
    .assert_invalid(&["interval"]);
    app.get("/event_sets/999999", s)
        .await
        .assert_error(404, "e00404");
    // The member's own set holds only their own history.
    let theirs = app
        .post("/event_sets", &site.secret, json!({"event_set": {}}))
        .await;
    assert!(theirs.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor_id"] == site.user));
}
