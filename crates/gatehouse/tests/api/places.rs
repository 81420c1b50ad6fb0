//! `/places`: create, read, update, delete, list, favorites, isolation.

use gatehouse_domain::Subscription;
use serde_json::json;

use crate::helpers::{keys, TestApp};

crate::on_both_backends!(
    place_lifecycle,
    place_listing,
    places_of_another_organization_are_invisible,
    place_validation
);

async fn place_lifecycle(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let created = app
        .post(
            "/places",
            &owner.secret,
            json!({"place": {
            "name": "Berlin", "address": "Friedrichstraße 1", "latitude": 52.5, "longitude": 13.4,
            "time_zone": "Europe/Berlin", "description": "HQ"}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        created.keys(),
        keys("id resource_type name description created_at updated_at latitude longitude address image \
              time_zone tz_time_zone locks_count integrations_count locked_down locked_down_since \
              occupancy_rate organization_id organization color logo user_id members_count")
    );
    assert_eq!(created.body["resource_type"], "Place");
    assert_eq!(created.body["organization"]["domain"], "acme");
    assert_eq!(created.body["latitude"], 52.5);
    let id = created.body["id"].as_i64().unwrap();

    let fetched = app.get(&format!("/places/{id}"), &owner.secret).await;
    assert_eq!(fetched.body, created.body);
    let with_favorite = app
        .get(&format!("/places/{id}?favorite=true"), &owner.secret)
        .await;
    assert_eq!(with_favorite.body["favorite"], false);

    let updated = app
        .patch(
            &format!("/places/{id}"),
            &owner.secret,
            json!({"place": {"name": "Berlin HQ", "description": null}}),
        )
        .await;
    assert_eq!(updated.status, 204, "{}", updated.body);
    let fetched = app.get(&format!("/places/{id}"), &owner.secret).await;
    assert_eq!(fetched.body["name"], "Berlin HQ");
    assert!(fetched.body["description"].is_null());
    assert_eq!(fetched.body["address"], "Friedrichstraße 1");

    assert_eq!(
        app.post(&format!("/places/{id}/favorite"), &owner.secret, json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        app.get(&format!("/places/{id}?favorite=true"), &owner.secret)
            .await
            .body["favorite"],
        true
    );
    assert_eq!(
        app.post(
            &format!("/places/{id}/unfavorite"),
            &owner.secret,
            json!({})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.get(&format!("/places/{id}?favorite=true"), &owner.secret)
            .await
            .body["favorite"],
        false
    );

    assert_eq!(
        app.delete(&format!("/places/{id}"), &owner.secret)
            .await
            .status,
        204
    );
    app.get(&format!("/places/{id}"), &owner.secret)
        .await
        .assert_error(404, "e00404");
    app.delete(&format!("/places/{id}"), &owner.secret)
        .await
        .assert_error(404, "e00404");
    assert_eq!(
        app.get("/organization", &owner.secret).await.body["places_count"],
        0
    );
}

async fn place_listing(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let mut ids = Vec::new();
    for name in ["Oslo", "amsterdam", "Berlin", "Boston"] {
        let reply = app
            .post(
                "/places",
                &owner.secret,
                json!({"place": {"name": name, "address": "x"}}),
            )
            .await;
        ids.push(reply.body["id"].as_i64().unwrap());
    }
    let names = |reply: &crate::helpers::Reply| {
        reply
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let all = app.get("/places", &owner.secret).await;
    assert_eq!(all.header("x-collection-range"), Some("0-49/4"));
    assert!(
        all.body[0].get("favorite").is_none(),
        "favorite only when asked for"
    );
    let page = app
        .get("/places?sort=name&limit=2&offset=1", &owner.secret)
        .await;
    assert_eq!(page.header("x-collection-range"), Some("1-2/4"));
    assert_eq!(names(&page), ["Berlin", "Boston"]);
    assert_eq!(
        names(&app.get("/places?sort=-name&limit=1", &owner.secret).await),
        ["Oslo"]
    );
    assert_eq!(
        names(&app.get("/places?query=BO", &owner.secret).await),
        ["Boston"]
    );
    let picked = app
        .get(&format!("/places?ids={},{}", ids[0], ids[3]), &owner.secret)
        .await;
    assert_eq!(names(&picked), ["Oslo", "Boston"]);
    let capped = app
        .get("/places?limit=1000&offset=20000", &owner.secret)
        .await;
    assert_eq!(
        capped.header("x-collection-range"),
        Some("20000-20249/4"),
        "limit capped at 250, range unclamped"
    );
    assert_eq!(capped.body, json!([]));

    app.post(
        &format!("/places/{}/favorite", ids[2]),
        &owner.secret,
        json!({}),
    )
    .await;
    let favorites = app.get("/places?favorite=true", &owner.secret).await;
    assert_eq!(names(&favorites), ["Berlin"]);
    assert_eq!(favorites.body[0]["favorite"], true);
    assert_eq!(
        app.get("/places?favorite=false", &owner.secret)
            .await
            .header("x-collection-range"),
        Some("0-49/3")
    );
    let starred = app
        .get("/places?favorite=*&sort=favorite", &owner.secret)
        .await;
    assert_eq!(names(&starred)[0], "Berlin");
    assert_eq!(starred.body[1]["favorite"], false);

    app.get(
        "/places?limit=-1&offset=x&sort=size&favorite=maybe&ids=1,a",
        &owner.secret,
    )
    .await
    .assert_invalid(&["favorite", "ids", "limit", "offset", "sort"]);
}

async fn places_of_another_organization_are_invisible(app: &TestApp) {
    let acme = app.organization("acme", Subscription::Organizations).await;
    let rival = app.organization("rival", Subscription::Organizations).await;
    let id = app
        .post(
            "/places",
            &acme.secret,
            json!({"place": {"name": "Secret Lab", "address": "x"}}),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/places/{id}");
    app.get(&path, &rival.secret)
        .await
        .assert_error(404, "e00404");
    app.patch(&path, &rival.secret, json!({"place": {"name": "Mine"}}))
        .await
        .assert_error(404, "e00404");
    app.delete(&path, &rival.secret)
        .await
        .assert_error(404, "e00404");
    app.post(&format!("{path}/favorite"), &rival.secret, json!({}))
        .await
        .assert_error(404, "e00404");
    let listed = app.get(&format!("/places?ids={id}"), &rival.secret).await;
    assert_eq!(listed.body, json!([]));
    assert_eq!(
        app.get(&path, &acme.secret).await.body["name"],
        "Secret Lab",
        "untouched"
    );
}

async fn place_validation(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    app.post("/places", &owner.secret, json!({"place": {}}))
        .await
        .assert_invalid(&["address", "name"]);
    app.post("/places", &owner.secret, json!({"place": {
        "name": "x".repeat(256), "address": "a", "latitude": 91, "longitude": -181, "time_zone": "Nowhere",
        "image": "javascript:alert(1)"}}))
        .await
        .assert_invalid(&["image", "latitude", "longitude", "name", "time_zone"]);
    app.post(
        "/places",
        &owner.secret,
        json!({"place": {"name": "x", "address": "a", "latitude": "north"}}),
    )
    .await
    .assert_invalid(&["latitude"]);
    app.post(
        "/places",
        &owner.secret,
        json!({"place": {"name": "x", "address": "a", "floor": 3}}),
    )
    .await
    .assert_invalid(&["floor"]);
    assert_eq!(
        app.get("/places", &owner.secret).await.body,
        json!([]),
        "nothing was written"
    );
}
