//! Cards at readers and quick access links, through HTTP, on both backends.

use gatehouse_domain::Subscription;
use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp};

crate::on_both_backends!(
    card_lifecycle_at_the_reader,
    cards_without_activation_on_standard,
    quick_access_links
);

/// A door in a group with one member, as the owner sets it up.
async fn door_with_member(
    app: &TestApp,
    subscription: Subscription,
) -> (crate::helpers::Owner, i64, i64, i64) {
    let owner = app.organization("acme", subscription).await;
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
    let door = app
        .post(
            "/locks",
            s,
            json!({"lock": {"name": "Front", "place_id": place}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
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
            json!({"share": {"email": "holder@acme.example", "group_id": group}}),
        )
        .await
        .body;
    (owner, door, group, share["user_id"].as_i64().unwrap())
}

async fn tap(app: &TestApp, reader: &str, door: i64, card: Value) -> Reply {
    app.raw(
        app.http
            .post(format!("{}/locks/{door}/card_access", app.base))
            .header("Authorization", format!("KISI-SERVICE {reader}"))
            .json(&json!({"card": card})),
    )
    .await
}

async fn card_lifecycle_at_the_reader(app: &TestApp) {
    let (owner, door, _, user) = door_with_member(app, Subscription::Organizations).await;
    let s = &owner.secret;
    let reader = app
        .post(
            "/readers",
            s,
            json!({"reader": {"name": "Front reader", "lock_id": door}}),
        )
        .await;
    assert_eq!(reader.status, 200, "{}", reader.body);
    let secret = reader.body["secret"].as_str().unwrap().to_owned();
    // Created; a duplicate is refused with cabbeb.
    let card = app
        .post(
            "/cards",
            s,
            json!({"card": {"type": "mifare_desfire", "token": "KISI-TOKEN-1"}}),
        )
        .await;
    assert_eq!(card.status, 200, "{}", card.body);
    assert_eq!(
        (card.body["type"].as_str(), card.body["assigned"].as_bool()),
        (Some("mifare_desfire"), Some(false))
    );
    let card_id = card.body["id"].as_i64().unwrap();
    app.post(
        "/cards",
        s,
        json!({"card": {"type": "mifare_desfire", "token": "kisi-token-1"}}),
    )
    .await
    .assert_error(422, "cabbeb");
    app.post(
        "/cards",
        s,
        json!({"card": {"type": "third_party_hf", "uid": "zz"}}),
    )
    .await
    .assert_invalid(&["uid"]);
    app.post(
        "/cards",
        s,
        json!({"card": {"type": "third_party_lf_hid_h10301", "card_number": 5}}),
    )
    .await
    .assert_invalid(&["facility_code"]);
    let lf = app.post("/cards", s, json!({"card": {"type": "third_party_lf_hid_h10301", "facility_code": 12, "card_number": 3456}})).await;
    assert_eq!(lf.status, 200, "{}", lf.body);
    assert_eq!(
        app.get("/cards?status=unassigned", s)
            .await
            .header("x-collection-range"),
        Some("0-9/2")
    );
    // Unknown card; then a known but unassigned one.
    tap(app, &secret, door, json!({"token": "nobody"}))
        .await
        .assert_error(403, "faa9ef");
    tap(
        app,
        &secret,
        door,
        json!({"facility_code": 12, "card_number": 3456}),
    )
    .await
    .assert_error(403, "faa9ef");
    // Assigned: denied until activated, granted after.
    let assignment = app.post("/card_assignments", s, json!({"card_assignment": {"assignee_type": "User", "assignee_id": user, "card_id": card_id}})).await;
    assert_eq!(assignment.status, 200, "{}", assignment.body);
    assert_eq!(assignment.body["status"], "deactivated");
    let assignment_id = assignment.body["id"].as_i64().unwrap();
    let token = assignment.body["activation_token"]
        .as_str()
        .unwrap()
        .to_owned();
    tap(app, &secret, door, json!({"token": "KISI-TOKEN-1"}))
        .await
        .assert_error(403, "faa9ff");
    assert_eq!(
        app.post(
            &format!("/card_assignments/{token}/activate_with_token"),
            s,
            json!({})
        )
        .await
        .status,
        204
    );
    app.post(
        &format!("/card_assignments/{token}/activate_with_token"),
        s,
        json!({}),
    )
    .await
    .assert_error(404, "e00404");
    let opened = tap(app, &secret, door, json!({"token": "KISI-TOKEN-1"})).await;
    assert_eq!(
        (opened.status.as_u16(), opened.body.clone()),
        (200, json!({"message": "Unlocked!"}))
    );
    assert_eq!(
        app.get("/card_assignments?status=activated", s).await.body[0]["id"],
        assignment_id
    );
    // The member's card switch wins over the card.
    let member = app.get(&format!("/users/{user}"), s).await.body;
    let member_id = app
        .get(&format!("/members?user_id={}", member["id"]), s)
        .await
        .body[0]["id"]
        .as_i64()
        .unwrap();
    app.patch(
        &format!("/members/{member_id}"),
        s,
        json!({"member": {"card_enabled": false}}),
    )
    .await;
    tap(app, &secret, door, json!({"token": "KISI-TOKEN-1"}))
        .await
        .assert_error(403, "faa9cf");
    app.patch(
        &format!("/members/{member_id}"),
        s,
        json!({"member": {"card_enabled": true}}),
    )
    .await;
    // A two-factor PIN: wrong, then right.
    app.patch(
        &format!("/card_assignments/{assignment_id}"),
        s,
        json!({"card_assignment": {"two_factor_pin": "12x4"}}),
    )
    .await
    .assert_invalid(&["two_factor_pin"]);
    assert_eq!(
        app.patch(
            &format!("/card_assignments/{assignment_id}"),
            s,
            json!({"card_assignment": {"two_factor_pin": "1234"}})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.get(&format!("/card_assignments/{assignment_id}"), s)
            .await
            .body["two_factor_pin"],
        "****"
    );
    tap(
        app,
        &secret,
        door,
        json!({"token": "KISI-TOKEN-1", "two_factor_pin": "9999"}),
    )
    .await
    .assert_error(401, "afc516");
    assert_eq!(
        tap(
            app,
            &secret,
            door,
            json!({"token": "KISI-TOKEN-1", "two_factor_pin": "1234"})
        )
        .await
        .status,
        200
    );
    // Deactivated again: denied. A reader opens only its own door.
    app.post(
        &format!("/card_assignments/{assignment_id}/deactivate"),
        s,
        json!({}),
    )
    .await;
    tap(
        app,
        &secret,
        door,
        json!({"token": "KISI-TOKEN-1", "two_factor_pin": "1234"}),
    )
    .await
    .assert_error(403, "faa9ff");
    tap(app, &secret, door + 1000, json!({"token": "KISI-TOKEN-1"}))
        .await
        .assert_error(404, "fad10e");
    tap(app, "not-a-reader", door, json!({"token": "KISI-TOKEN-1"}))
        .await
        .assert_error(401, "e00401");
    tap(app, &secret, door, json!({"token": "a", "uid": "b"}))
        .await
        .assert_invalid(&["card"]);
    // Every read is in the log, attributed to the card.
    let events = app
        .get(
            &format!("/events?type=lock.unlock&object_id={door}&limit=50"),
            s,
        )
        .await
        .body;
    let codes: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error_code"].as_str().unwrap_or("ok"))
        .collect();
    for code in ["faa9ef", "faa9ff", "faa9cf", "afc516", "ok"] {
        assert!(codes.contains(&code), "{code}: {codes:?}");
    }
    let granted = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["success"] == true)
        .unwrap();
    assert_eq!(
        (
            granted["authenticated_by_type"].as_str(),
            granted["authenticated_by_id"].as_i64()
        ),
        (Some("Card"), Some(card_id))
    );
    assert_eq!(granted["actor_id"], user);
    assert!(app.get(&format!("/cards/{card_id}"), s).await.body["last_used_at"].is_string());
}

async fn cards_without_activation_on_standard(app: &TestApp) {
    let (owner, door, _, user) = door_with_member(app, Subscription::Standard).await;
    let s = &owner.secret;
    let secret = app
        .post(
            "/readers",
            s,
            json!({"reader": {"name": "R", "lock_id": door}}),
        )
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let card = app
        .post(
            "/cards",
            s,
            json!({"card": {"type": "third_party_hf", "uid": "04A1B2C3"}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/card_assignments",
        s,
        json!({"card_assignment": {"assignee_type": "User", "assignee_id": user, "card_id": card}}),
    )
    .await;
    tap(app, &secret, door, json!({"uid": "04a1b2c3"}))
        .await
        .assert_error(403, "faa9ff");
    let member_id = app.get(&format!("/members?user_id={user}"), s).await.body[0]["id"]
        .as_i64()
        .unwrap();
    app.patch(
        &format!("/members/{member_id}"),
        s,
        json!({"member": {"cards_without_activation_enabled": true}}),
    )
    .await;
    assert_eq!(
        tap(app, &secret, door, json!({"uid": "04a1b2c3"}))
            .await
            .status,
        200,
        "the seed's flag waives activation"
    );
}

async fn link_unlock(app: &TestApp, secret: &str, door: i64) -> Reply {
    app.raw(
        app.http
            .post(format!("{}/locks/{door}/unlock", app.base))
            .header("Authorization", format!("KISI-GROUP-LINK {secret}")),
    )
    .await
}

async fn quick_access_links(app: &TestApp) {
    let (owner, door, group, user) = door_with_member(app, Subscription::Organizations).await;
    let s = &owner.secret;
    let visitor = app
        .post(
            "/group_links",
            s,
            json!({"group_link": {"group_id": group, "name": "Courier <b>", "email": "courier@y.io",
            "valid_until": "2099-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(visitor.status, 200, "{}", visitor.body);
    assert_eq!(visitor.body["resource_type"], "GroupLink");
    let visitor_secret = visitor.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(link_unlock(app, &visitor_secret, door).await.status, 200);
    // The page: the link's doors with a button each, names escaped, no sign-in.
    let page = app
        .http
        .get(format!("{}/q/{visitor_secret}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Front")
            && html.contains("Unlock</button>")
            && html.contains("Courier &lt;b&gt;"),
        "{html}"
    );
    let pressed = app
        .http
        .post(format!(
            "{}/q/{visitor_secret}/locks/{door}/unlock",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert!(pressed.text().await.unwrap().contains("Unlocked!"));
    // The reduced views a link sees.
    let as_link = |path: String| {
        app.raw(
            app.http
                .get(format!("{}{path}", app.base))
                .header("Authorization", format!("KISI-GROUP-LINK {visitor_secret}")),
        )
    };
    let doors = as_link("/locks".into()).await;
    assert_eq!(doors.header("x-collection-range"), Some("0-49/1"));
    let mut door_keys: Vec<&str> = doors.body[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    door_keys.sort_unstable();
    assert_eq!(
        door_keys,
        [
            "configured",
            "description",
            "id",
            "locked_down",
            "locked_down_since",
            "name",
            "online",
            "open",
            "place",
            "place_id",
            "unlocked",
            "unlocked_until"
        ]
    );
    let place_id = doors.body[0]["place_id"].as_i64().unwrap();
    let place = as_link(format!("/places/{place_id}")).await;
    assert_eq!(place.status, 200);
    assert!(place.body.get("organization").is_none() && place.body["address"] == "x");
    as_link(format!("/places/{}", place_id + 1000))
        .await
        .assert_error(404, "e00404");
    let organization = as_link("/organization".into()).await;
    assert_eq!(organization.body["domain"], "acme");
    assert!(
        organization.body.get("places_count").is_none(),
        "the reduced view"
    );
    // A member's personal link obeys the member's switches.
    let personal = app.post("/group_links", s, json!({"group_link": {"group_id": group, "name": "Holder", "email": "holder@acme.example"}})).await;
    let personal_secret = personal.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(link_unlock(app, &personal_secret, door).await.status, 200);
    let member_id = app.get(&format!("/members?user_id={user}"), s).await.body[0]["id"]
        .as_i64()
        .unwrap();
    app.patch(
        &format!("/members/{member_id}"),
        s,
        json!({"member": {"link_enabled": false}}),
    )
    .await;
    link_unlock(app, &personal_secret, door)
        .await
        .assert_error(403, "f298df");
    let denied_page = app
        .http
        .post(format!(
            "{}/q/{personal_secret}/locks/{door}/unlock",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert!(denied_page.text().await.unwrap().contains("f298df"));
    app.patch(
        &format!("/members/{member_id}"),
        s,
        json!({"member": {"link_enabled": true, "access_enabled": false}}),
    )
    .await;
    link_unlock(app, &personal_secret, door)
        .await
        .assert_error(403, "fcd8ff");
    assert_eq!(
        link_unlock(app, &visitor_secret, door).await.status,
        200,
        "a visitor's link obeys only itself"
    );
    // An expired link, and a revoked one.
    let expired = app.post("/group_links", s, json!({"group_link": {"group_id": group, "name": "Old", "valid_until": "2001-01-01T00:00:00Z"}})).await;
    link_unlock(app, expired.body["secret"].as_str().unwrap(), door)
        .await
        .assert_error(403, "f29aef");
    assert_eq!(
        app.get(&format!("/group_links?group_id={group}"), s)
            .await
            .header("x-collection-range"),
        Some("0-9/3")
    );
    assert!(
        app.get(&format!("/group_links?group_id={group}"), s)
            .await
            .body[0]
            .get("secret")
            .is_none(),
        "the secret is shown once"
    );
    assert_eq!(
        app.delete(&format!("/group_links/{}", visitor.body["id"]), s)
            .await
            .status,
        204
    );
    link_unlock(app, &visitor_secret, door)
        .await
        .assert_error(401, "e00401");
    let gone = app
        .http
        .get(format!("{}/q/{visitor_secret}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    // A link cannot act as a login.
    let as_login = app
        .raw(app.http.get(format!("{}/places", app.base)).header(
            "Authorization",
            format!("KISI-GROUP-LINK {personal_secret}"),
        ))
        .await;
    as_login.assert_error(401, "e00401");
    app.post(
        "/group_links",
        s,
        json!({"group_link": {"group_id": group, "name": "", "phone": "555", "email": "x"}}),
    )
    .await
    .assert_invalid(&["email", "name", "phone"]);
}
