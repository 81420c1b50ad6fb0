//! The dashboard: its session and CSRF rules over plain HTTP, and the whole
//! story in headless Chromium (`e2e/dashboard/test.mjs`, playwright-core
//! driving Debian's /usr/bin/chromium), on both backends.
//!
//! The browser test needs Node.js, npm and Chromium; `.ci/run` installs
//! them. GATEHOUSE_SKIP_BROWSER_E2E=1 skips it on a machine without them.

use std::path::{Path, PathBuf};
use std::process::Command;

use gatehouse_domain::Subscription;
use serde_json::json;

use crate::helpers::{TestApp, NO_LIMIT, PASSWORD};

crate::on_both_backends!(sessions_cookies_and_csrf, each_type_sees_its_own_dashboard);

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Set-Cookie` value for `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn value_of(cookie: &str) -> &str {
    cookie.split(';').next().unwrap().split_once('=').unwrap().1
}

async fn sessions_cookies_and_csrf(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let http = client();
    // Without a session every page leads to the sign-in form.
    let members = http
        .get(format!("{}/dashboard/members", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(members.status(), 303);
    assert_eq!(members.headers()["location"], "/dashboard/sign-in");

    let form = http
        .get(format!("{}/dashboard/sign-in", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let form_cookie = set_cookie(&form, "gatehouse_form").expect("a form token cookie");
    assert!(form_cookie.contains("HttpOnly") && form_cookie.contains("SameSite=Strict"));
    let token = value_of(&form_cookie).to_owned();
    let html = form.text().await.unwrap();
    assert!(html.contains(&token) && html.contains("<label for=\"domain\">"));

    let fields = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("domain", "acme".to_owned()),
            ("email", owner.email.clone()),
            ("password", PASSWORD.to_owned()),
        ]
    };
    // A sign-in without the form's token is refused, and signs nobody in.
    let forged = http
        .post(format!("{}/dashboard/sign-in", app.base))
        .header("cookie", format!("gatehouse_form={token}"))
        .form(&fields("forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 422);
    assert!(set_cookie(&forged, "gatehouse_session").is_none());

    let signed_in = http
        .post(format!("{}/dashboard/sign-in", app.base))
        .header("cookie", format!("gatehouse_form={token}"))
        .form(&fields(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session = set_cookie(&signed_in, "gatehouse_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboard"] {
        assert!(session.contains(attribute), "{session}");
    }
    let secret = value_of(&session).to_owned();
    let cookie = format!("gatehouse_session={secret}");

    // The session opens the pages, never the JSON API.
    let page = http
        .get(format!("{}/dashboard/members", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Olivia Owner"));
    let api = http
        .get(format!("{}/members", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);

    // A form without this session's token changes nothing.
    let member = app
        .post(
            "/members",
            &owner.secret,
            json!({"member": {"email": "m@example.com"}}),
        )
        .await;
    let id = member.body["id"].as_i64().unwrap();
    let forged = http
        .post(format!("{}/dashboard/members/{id}/suspend", app.base))
        .header("cookie", &cookie)
        .form(&[("csrf", "0123456789abcdef0123456789abcdef")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let after = app.get(&format!("/members/{id}"), &owner.secret).await;
    assert_eq!(after.body["access_enabled"], true);

    // "Forgot your password?": the e-mail goes out, the answer tells nobody
    // whether the account exists.
    let form = http
        .get(format!("{}/dashboard/password-reset", app.base))
        .send()
        .await
        .unwrap();
    let token = value_of(&set_cookie(&form, "gatehouse_form").unwrap()).to_owned();
    for email in [owner.email.as_str(), "nobody@acme.example"] {
        let asked = http
            .post(format!("{}/dashboard/password-reset", app.base))
            .header("cookie", format!("gatehouse_form={token}"))
            .form(&[
                ("csrf", token.as_str()),
                ("domain", "acme"),
                ("email", email),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(asked.status(), 303);
        let location = asked.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/dashboard/sign-in?notice="),
            "{location}"
        );
    }
    let mail = app.mails_to(&owner.email, 1).await.remove(0);
    assert!(mail
        .body
        .contains("/users/password/edit?reset_password_token="));
    assert!(app.all_mail_to("nobody@acme.example").is_empty());
}

/// GETs a dashboard page with a login's secret as the session.
async fn page_as(app: &TestApp, secret: &str, path: &str) -> (u16, String) {
    let response = client()
        .get(format!("{}{path}", app.base))
        .header("cookie", format!("gatehouse_session={secret}"))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn each_type_sees_its_own_dashboard(app: &TestApp) {
    let owner = app.organization("acme", Subscription::Organizations).await;
    let s = &owner.secret;
    let mine = app
        .create("/groups", s, json!({"group": {"name": "Night shift"}}))
        .await;
    app.create("/groups", s, json!({"group": {"name": "Board room"}}))
        .await;
    let share = |email: &str, group: i64, role: &str| json!({"share": {"email": email, "group_id": group, "role_id": role}});
    let manager = app
        .post("/shares", s, share("manny@example.com", mine, "manager"))
        .await;
    app.post("/shares", s, share("worker@example.com", mine, "basic"))
        .await;
    app.post(
        "/members",
        s,
        json!({"member": {"email": "elsewhere@example.com"}}),
    )
    .await;
    let manager_secret = app
        .login_for(
            owner.organization_id,
            manager.body["user_id"].as_i64().unwrap(),
        )
        .await;

    let (status, groups) = page_as(app, &manager_secret, "/dashboard/groups").await;
    assert_eq!(status, 200);
    assert!(
        groups.contains("Night shift") && !groups.contains("Board room"),
        "{groups}"
    );
    let (_, members) = page_as(app, &manager_secret, "/dashboard/members").await;
    assert!(members.contains("worker@example.com"));
    assert!(
        !members.contains("elsewhere@example.com"),
        "only the members of their groups"
    );
    assert!(
        members.contains(">Member Exports<"),
        "managers get the exports tab"
    );

    let (_, owner_members) = page_as(app, s, "/dashboard/members").await;
    assert!(
        owner_members.contains("elsewhere@example.com"),
        "administrators see everyone"
    );
}

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/dashboard")
}

fn prepare() -> Option<PathBuf> {
    if std::env::var("GATEHOUSE_SKIP_BROWSER_E2E").is_ok_and(|v| v == "1") {
        eprintln!("GATEHOUSE_SKIP_BROWSER_E2E=1: skipping the dashboard browser test");
        return None;
    }
    let dir = e2e_dir();
    if !dir.join("node_modules/playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the dashboard browser test (or set GATEHOUSE_SKIP_BROWSER_E2E=1)");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    Some(dir)
}

async fn in_the_browser(backend: &str) {
    let Some(dir) = prepare() else { return };
    let Some(app) = TestApp::start(backend, NO_LIMIT).await else {
        return;
    };
    let owner = app.organization("acme", Subscription::Organizations).await;
    let s = &owner.secret;
    let place = app
        .create(
            "/places",
            s,
            json!({"place": {"name": "HQ", "address": "Main St 1"}}),
        )
        .await;
    let door = app
        .create(
            "/locks",
            s,
            json!({"lock": {"name": "Front door", "place_id": place}}),
        )
        .await;
    let group = app
        .create(
            "/groups",
            s,
            json!({"group": {"name": "Staff", "place_id": place}}),
        )
        .await;
    app.create(
        "/group_locks",
        s,
        json!({"group_lock": {"group_id": group, "lock_id": door}}),
    )
    .await;
    let screenshots = std::env::var("GATEHOUSE_SCREENSHOTS").unwrap_or_else(|_| {
        std::env::temp_dir()
            .join(format!("gatehouse-screenshots-{backend}"))
            .display()
            .to_string()
    });
    let base = app.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("test.mjs")
            .current_dir(dir)
            .env("GATEHOUSE_URL", base)
            .env("GATEHOUSE_DOMAIN", &owner.domain)
            .env("GATEHOUSE_EMAIL", &owner.email)
            .env("GATEHOUSE_PASSWORD", PASSWORD)
            .env("GATEHOUSE_GROUP_ID", group.to_string())
            .env("GATEHOUSE_DOOR_ID", door.to_string())
            .env("GATEHOUSE_SCREENSHOTS", screenshots)
            .output()
    })
    .await
    .unwrap()
    .expect("node is needed for the dashboard browser test (or set GATEHOUSE_SKIP_BROWSER_E2E=1)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the dashboard in Chromium on {backend} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("dashboard: 12 passed, 0 failed"),
        "{stdout}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_in_chromium_on_sqlite() {
    in_the_browser("sqlite").await;
}

#[tokio::test]
async fn the_dashboard_in_chromium_on_postgres() {
    in_the_browser("postgres").await;
}
