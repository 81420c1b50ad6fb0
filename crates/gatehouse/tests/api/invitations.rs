//! Invitations, e-mail, one-time sign-in codes, password resets, the
//! password policy and brute-force protection, over HTTP on both backends.
//! E-mails are read back as received: from the outbox, or from a real SMTP
//! server (aiosmtpd).

use chrono::Duration;
use gatehouse_domain::Subscription;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{Mail, Owner, Reply, TestApp, NO_LIMIT, PASSWORD};

crate::on_both_backends!(
    group_invite_mails_the_personal_link_and_a_sign_in_code,
    invite_mail_has_no_link_while_links_are_off,
    guests_get_a_link_and_no_membership,
    invites_refuse_bad_input_and_outsiders,
    shares_role_assignments_and_new_members_notify,
    sign_in_codes_are_single_use_and_expire,
    password_reset_end_to_end,
    the_reset_page_sets_a_password,
    password_policy_everywhere,
    failed_sign_ins_lock_the_account_then_the_address,
);

async fn anonymous(app: &TestApp, method: Method, path: &str, body: Value) -> Reply {
    app.call(method, path, None, Some(body)).await
}

/// An owner, a place with a door, and a group holding the door.
struct Site {
    owner: Owner,
    place: i64,
    group: i64,
}

async fn site(app: &TestApp) -> Site {
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
    Site {
        owner,
        place,
        group,
    }
}

fn user_invite(kind: &str, id: i64, email: &str, role: Option<&str>) -> Value {
    let mut invite = json!({"invite": {
        "invites_to_type": kind, "invites_to_id": id,
        "invitee": {"resource_type": "User", "email": email, "name": "Ivy Invitee"},
    }});
    if let Some(role) = role {
        invite["invite"]["role_assignment"] = json!({"role_id": role});
    }
    invite
}

async fn sign_in_with_code(app: &TestApp, code: &str) -> Reply {
    anonymous(
        app,
        Method::POST,
        "/logins",
        json!({"login": {"type": "device"}, "user": {"authentication_info": code}}),
    )
    .await
}

async fn group_invite_mails_the_personal_link_and_a_sign_in_code(app: &TestApp) {
    let site = site(app).await;
    let reply = app
        .post(
            "/invites",
            &site.owner.secret,
            user_invite("Group", site.group, "ivy@example.com", Some("group_basic")),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let invite = &reply.body;
    assert_eq!(invite["resource_type"], "Invite");
    assert_eq!(
        (&invite["invites_to_type"], &invite["invites_to_id"]),
        (&json!("Group"), &json!(site.group))
    );
    assert_eq!(invite["invitee_type"], "User");
    assert_eq!(invite["invitee"]["email"], "ivy@example.com");
    assert_eq!(invite["notify"], true);
    assert_eq!(invite["role_assignment"]["role_id"], "group_basic");
    assert_eq!(
        invite["role_assignment"]["id"],
        invite["role_assignment_id"]
    );

    // The member exists, with the grant.
    let members = app
        .get("/members?query=ivy@example.com", &site.owner.secret)
        .await;
    assert_eq!(members.body.as_array().unwrap().len(), 1);

    let mail = app.mails_to("ivy@example.com", 1).await.remove(0);
    assert_eq!(
        mail.subject,
        "You have access to the group Staff at acme Inc."
    );
    assert!(
        mail.body.contains("Olivia Owner gave you access"),
        "{}",
        mail.body
    );
    let link = mail
        .word_starting(&format!("{}/q/", app.base))
        .expect("the link");
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Front door"));

    // The code signs in once, as the invitee.
    let code = mail.code_after("sign-in code").expect("a sign-in code");
    let dashboard = mail
        .word_starting(&format!(
            "{}/dashboard/sign-in?authentication_info=",
            app.base
        ))
        .expect("the dashboard's sign-in link");
    assert!(dashboard.ends_with(&code));
    let page = app
        .http
        .get(&dashboard)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("value=\"{code}\"")),
        "the form has the code filled in"
    );
    let signed_in = sign_in_with_code(app, &code).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!(signed_in.body["email"], "ivy@example.com");
    let secret = signed_in.body["secret"].as_str().unwrap();
    assert_eq!(
        app.get("/user", secret).await.body["email"],
        "ivy@example.com"
    );
    sign_in_with_code(app, &code)
        .await
        .assert_error(401, "afc507");
    sign_in_with_code(app, "made-up")
        .await
        .assert_error(401, "afc507");

    let events = app
        .get("/events?type=invite.create", &site.owner.secret)
        .await;
    assert_eq!(events.body.as_array().unwrap().len(), 1, "{}", events.body);
}

async fn invite_mail_has_no_link_while_links_are_off(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    let member = app
        .post(
            "/members",
            s,
            json!({"member": {"email": "nolink@example.com", "link_enabled": false}}),
        )
        .await;
    assert_eq!(member.status, 200, "{}", member.body);
    let reply = app
        .post(
            "/invites",
            s,
            user_invite(
                "Group",
                site.group,
                "nolink@example.com",
                Some("group_basic"),
            ),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mail = app.mails_to("nolink@example.com", 1).await.remove(0);
    assert!(!mail.body.contains("/q/"), "{}", mail.body);
    assert!(mail.body.contains("sign-in code"));

    // Nothing is sent when notify is off.
    let mut quiet = user_invite(
        "Place",
        site.place,
        "quiet@example.com",
        Some("place_manager"),
    );
    quiet["invite"]["notify"] = json!(false);
    let reply = app.post("/invites", s, quiet).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body["role_assignment_id"].is_i64());
    // The link-less mail above arrived; give a stray one the same time.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.all_mail_to("quiet@example.com").is_empty());
}

async fn guests_get_a_link_and_no_membership(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    let reply = app
        .post(
            "/invites",
            s,
            json!({"invite": {"invites_to_type": "Group", "invites_to_id": site.group,
                "invitee": {"resource_type": "Guest", "name": "Courier", "email": "courier@example.org",
                            "phone_number": "+12125550100"},
                "access_key": {"link_enabled": true}}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["invitee_type"], "Guest");
    assert_eq!(reply.body["invitee"]["phone_number"], "+12125550100");
    assert_eq!(reply.body["access_key"]["resource_type"], "AccessKey");
    let secret = reply.body["access_key"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let mail = app.mails_to("courier@example.org", 1).await.remove(0);
    assert!(mail.body.contains(&format!("/q/{secret}")), "{}", mail.body);
    assert!(!mail.body.contains("sign-in code"));
    let members = app.get("/members?query=courier", s).await;
    assert_eq!(members.body, json!([]));

    // Guests go to groups, with a valid phone number.
    let to_place = app
        .post(
            "/invites",
            s,
            json!({"invite": {"invites_to_type": "Place", "invites_to_id": site.place,
                "invitee": {"resource_type": "Guest", "name": "Courier"}}}),
        )
        .await;
    to_place.assert_invalid(&["invites_to_type"]);
    let bad_phone = app
        .post(
            "/invites",
            s,
            json!({"invite": {"invites_to_type": "Group", "invites_to_id": site.group,
                "invitee": {"resource_type": "Guest", "name": "Courier", "phone_number": "+4930123456"}}}),
        )
        .await;
    bad_phone.assert_invalid(&["invitee.phone_number"]);
}

async fn invites_refuse_bad_input_and_outsiders(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    let cases = [
        (
            json!({"invite": {}}),
            vec!["invitee", "invites_to_id", "invites_to_type"],
        ),
        (
            user_invite("Group", site.group, "x@example.com", None),
            vec!["role_assignment"],
        ),
        (
            user_invite("Group", site.group, "not-an-email", Some("group_basic")),
            vec!["invitee.email"],
        ),
        (
            user_invite("Place", site.place, "x@example.com", Some("group_basic")),
            vec!["role_assignment.role_id"],
        ),
        (
            user_invite("Group", 999_999, "x@example.com", Some("group_basic")),
            vec!["invites_to_id"],
        ),
        (
            user_invite("Building", 1, "x@example.com", Some("group_basic")),
            vec!["invites_to_type"],
        ),
    ];
    for (body, fields) in cases {
        let reply = app.post("/invites", s, body.clone()).await;
        reply.assert_invalid(&fields);
    }
    assert!(app.all_mail_to("x@example.com").is_empty());
    let members = app.get("/members?query=x@example.com", s).await;
    assert_eq!(members.body, json!([]), "nothing was written");

    // A basic member may not invite; another organization's group is not found.
    let basic = app
        .post(
            "/members",
            s,
            json!({"member": {"email": "basic@example.com"}}),
        )
        .await;
    let basic_secret = app
        .login_for(
            site.owner.organization_id,
            basic.body["user_id"].as_i64().unwrap(),
        )
        .await;
    app.post(
        "/invites",
        &basic_secret,
        user_invite("Group", site.group, "y@example.com", Some("group_basic")),
    )
    .await
    .assert_error(403, "e00403");
    let other = app.organization("other", Subscription::Organizations).await;
    app.post(
        "/invites",
        &other.secret,
        user_invite("Group", site.group, "y@example.com", Some("group_basic")),
    )
    .await
    .assert_invalid(&["invites_to_id"]);
    // A manager cannot invite someone as a manager of the place above them.
    let no_auth = anonymous(
        app,
        Method::POST,
        "/invites",
        user_invite("Group", site.group, "y@example.com", Some("group_basic")),
    )
    .await;
    assert_eq!(no_auth.status, 401);
}

async fn shares_role_assignments_and_new_members_notify(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    let share = app
        .post(
            "/shares",
            s,
            json!({"share": {"email": "share@example.com", "group_id": site.group, "notify": true}}),
        )
        .await;
    assert_eq!(share.status, 200, "{}", share.body);
    assert_eq!(share.body["notify"], true);
    let mail = app.mails_to("share@example.com", 1).await.remove(0);
    assert!(
        mail.body.contains("/q/"),
        "a group grant brings the link: {}",
        mail.body
    );

    let silent = app
        .post(
            "/shares",
            s,
            json!({"share": {"email": "silent@example.com", "group_id": site.group}}),
        )
        .await;
    assert_eq!(silent.status, 200);

    let member = app
        .post(
            "/members",
            s,
            json!({"member": {"email": "placer@example.com"}}),
        )
        .await;
    let user_id = member.body["user_id"].as_i64().unwrap();
    let grant = app
        .post(
            "/role_assignments",
            s,
            json!({"role_assignment": {"applies_to_type": "Place", "applies_to_id": site.place,
                "assignee_type": "User", "assignee_id": user_id, "role_id": "place_manager", "notify": true}}),
        )
        .await;
    assert_eq!(grant.status, 200, "{}", grant.body);
    assert_eq!(grant.body["role_id"], "place_manager");
    let mail = app.mails_to("placer@example.com", 1).await.remove(0);
    assert_eq!(mail.subject, "You have access to the place HQ at acme Inc.");
    assert!(!mail.body.contains("/q/"));

    let welcomed = app
        .post(
            "/users",
            s,
            json!({"user": {"email": "welcome@example.com", "name": "Wendy", "send_emails": true}}),
        )
        .await;
    assert_eq!(welcomed.status, 200, "{}", welcomed.body);
    let mail = app.mails_to("welcome@example.com", 1).await.remove(0);
    assert_eq!(mail.subject, "Welcome to acme Inc.");
    let code = mail.code_after("sign-in code").unwrap();
    assert_eq!(sign_in_with_code(app, &code).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.all_mail_to("silent@example.com").is_empty());
}

async fn request_code(app: &TestApp, email: &str) {
    let reply = anonymous(
        app,
        Method::POST,
        "/users/sign_in_link",
        json!({"user": {"email": email, "domain": "acme"}}),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
}

async fn sign_in_codes_are_single_use_and_expire(app: &TestApp) {
    let site = site(app).await;
    app.post(
        "/members",
        &site.owner.secret,
        json!({"member": {"email": "nopass@example.com"}}),
    )
    .await;
    request_code(app, "nopass@example.com").await;
    request_code(app, "nobody@example.com").await;
    let first = app.mails_to("nopass@example.com", 1).await.remove(0);
    assert!(
        first.body.contains("valid for 30 minutes"),
        "{}",
        first.body
    );
    let code = first.code_after("sign-in code").unwrap();
    assert_eq!(sign_in_with_code(app, &code).await.status, 200);
    sign_in_with_code(app, &code)
        .await
        .assert_error(401, "afc507");

    request_code(app, "nopass@example.com").await;
    let second = app.mails_to("nopass@example.com", 2).await.remove(1);
    let code = second.code_after("sign-in code").unwrap();
    app.clock.advance(Duration::minutes(31));
    sign_in_with_code(app, &code)
        .await
        .assert_error(401, "afc507");
    assert!(app.all_mail_to("nobody@example.com").is_empty());

    // The owner has a password: the e-mail says so and offers a reset.
    request_code(app, &site.owner.email).await;
    let mail = app.mails_to(&site.owner.email, 1).await.remove(0);
    assert!(mail.body.contains("You have a password"), "{}", mail.body);
    assert!(mail
        .body
        .contains("/users/password/edit?reset_password_token="));
    // Bad input is still refused.
    anonymous(
        app,
        Method::POST,
        "/users/sign_in_link",
        json!({"user": {"email": "x"}}),
    )
    .await
    .assert_invalid(&["domain", "email"]);
}

async fn request_reset(app: &TestApp, email: &str) -> Reply {
    anonymous(
        app,
        Method::POST,
        "/users/password",
        json!({"user": {"email": email, "domain": "acme"}}),
    )
    .await
}

async fn reset(app: &TestApp, token: &str, password: &str, confirmation: &str) -> Reply {
    anonymous(
        app,
        Method::PATCH,
        "/users/password",
        json!({"user": {"reset_password_token": token, "password": password,
            "password_confirmation": confirmation}}),
    )
    .await
}

fn reset_token(mail: &crate::helpers::Received) -> String {
    mail.body
        .split("reset token instead: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a reset token")
        .to_owned()
}

async fn password_reset_end_to_end(app: &TestApp) {
    let site = site(app).await;
    let owner = &site.owner;
    assert_eq!(request_reset(app, &owner.email).await.status, 204);
    let unknown = request_reset(app, "nobody@acme.example").await;
    assert_eq!(
        (unknown.status.as_u16(), &unknown.body),
        (204, &Value::Null)
    );
    let mail = app.mails_to(&owner.email, 1).await.remove(0);
    assert_eq!(mail.subject, "Reset your password for acme Inc.");
    let token = reset_token(&mail);
    let link = mail
        .word_starting(&format!(
            "{}/users/password/edit?reset_password_token=",
            app.base
        ))
        .unwrap();
    assert!(link.ends_with(&format!("={token}")), "{link}");

    reset(app, &token, "password", "password")
        .await
        .assert_invalid(&["password"]);
    reset(app, &token, "a fine new passphrase", "another")
        .await
        .assert_invalid(&["password_confirmation"]);
    reset(
        app,
        "wrong-token",
        "a fine new passphrase",
        "a fine new passphrase",
    )
    .await
    .assert_error(401, "afc507");
    let done = reset(
        app,
        &token,
        "a fine new passphrase",
        "a fine new passphrase",
    )
    .await;
    assert_eq!(done.status, 204, "{}", done.body);
    assert_eq!(
        app.get("/user", &owner.secret).await.status,
        401,
        "signed out everywhere"
    );
    let secret = app
        .sign_in("acme", &owner.email, "a fine new passphrase")
        .await;
    assert_eq!(app.get("/user", &secret).await.status, 200);
    reset(
        app,
        &token,
        "yet another passphrase",
        "yet another passphrase",
    )
    .await
    .assert_error(401, "afc507");

    // A token lives two hours.
    request_reset(app, &owner.email).await;
    let mail = app.mails_to(&owner.email, 2).await.remove(1);
    let token = reset_token(&mail);
    app.clock.advance(Duration::hours(2) + Duration::seconds(1));
    reset(
        app,
        &token,
        "yet another passphrase",
        "yet another passphrase",
    )
    .await
    .assert_error(401, "afc507");
    assert!(app.all_mail_to("nobody@acme.example").is_empty());
    let events = app.get("/events?type=user.update_password", &secret).await;
    assert_eq!(events.body.as_array().unwrap().len(), 1, "{}", events.body);
}

async fn the_reset_page_sets_a_password(app: &TestApp) {
    let site = site(app).await;
    request_reset(app, &site.owner.email).await;
    let mail = app.mails_to(&site.owner.email, 1).await.remove(0);
    let link = mail
        .word_starting(&format!("{}/users/password/edit", app.base))
        .unwrap();
    let token = link.rsplit('=').next().unwrap().to_owned();
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<label for=\"password\">") && html.contains(&token));
    let post = |password: &'static str| {
        app.http
            .post(format!("{}/users/password/edit", app.base))
            .form(&[
                ("reset_password_token", token.as_str()),
                ("password", password),
                ("password_confirmation", password),
            ])
            .send()
    };
    let weak = post("12345678").await.unwrap();
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("most common passwords"));
    let not_a_form = app
        .http
        .post(format!("{}/users/password/edit", app.base))
        .json(&json!({"password": "a fine new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), 415);
    assert!(not_a_form.text().await.unwrap().contains("reset page"));
    let good = post("a fine new passphrase").await.unwrap();
    assert_eq!(good.status(), 200);
    assert!(good.text().await.unwrap().contains("Your password is set"));
    app.sign_in("acme", &site.owner.email, "a fine new passphrase")
        .await;
}

async fn password_policy_everywhere(app: &TestApp) {
    let site = site(app).await;
    let s = &site.owner.secret;
    for weak in ["short", "password1", "Qwertyuiop"] {
        let reply = app
            .patch(
                "/user",
                s,
                json!({"user": {"current_password": PASSWORD, "password": weak, "password_confirmation": weak}}),
            )
            .await;
        reply.assert_invalid(&["password"]);
    }
    let long = "x".repeat(129);
    app.patch(
        "/user",
        s,
        json!({"user": {"current_password": PASSWORD, "password": long, "password_confirmation": long}}),
    )
    .await
    .assert_invalid(&["password"]);
    assert_eq!(app.get("/user", s).await.status, 200, "nothing changed");
}

async fn wrong_sign_in(app: &TestApp, email: &str, password: &str) -> Reply {
    anonymous(
        app,
        Method::POST,
        "/logins",
        json!({"login": {"type": "api"}, "user": {"domain": "acme", "email": email, "password": password}}),
    )
    .await
}

async fn failed_sign_ins_lock_the_account_then_the_address(app: &TestApp) {
    let site = site(app).await;
    let email = site.owner.email.clone();
    for _ in 0..6 {
        wrong_sign_in(app, &email, "wrong password!")
            .await
            .assert_error(401, "afc516");
    }
    // Locked: even the right password waits, and the envelope says how long.
    let locked = wrong_sign_in(app, &email, PASSWORD).await;
    locked.assert_error(429, "e00423");
    assert_eq!(locked.header("retry-after"), Some("30"));
    assert!(locked.body["error"]
        .as_str()
        .unwrap()
        .contains("30 seconds"));
    let events = app
        .get(
            "/events?type=login.create&success=false",
            &site.owner.secret,
        )
        .await;
    assert_eq!(events.body.as_array().unwrap().len(), 6, "{}", events.body);
    app.clock.advance(Duration::seconds(31));
    app.sign_in("acme", &email, PASSWORD).await;

    // Many accounts from one address: after 20 failures (6 above) the 21st
    // locks the address too.
    for n in 0..15 {
        wrong_sign_in(app, &format!("guess{n}@acme.example"), "wrong password!")
            .await
            .assert_error(401, "afc516");
    }
    wrong_sign_in(app, "guess99@acme.example", "wrong password!")
        .await
        .assert_error(429, "e00423");
}

/// The same flow through a real SMTP server.
async fn smtp_delivers(backend: &str) {
    let Some(app) = TestApp::start_with(backend, NO_LIMIT, Mail::Smtp).await else {
        return;
    };
    let site = site(&app).await;
    let reply = app
        .post(
            "/invites",
            &site.owner.secret,
            user_invite("Group", site.group, "smtp@example.com", Some("group_basic")),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mail = app.mails_to("smtp@example.com", 1).await.remove(0);
    assert!(mail.body.contains("/q/"));
    let code = mail.code_after("sign-in code").unwrap();
    assert_eq!(sign_in_with_code(&app, &code).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn smtp_delivers_on_sqlite() {
    smtp_delivers("sqlite").await;
}

#[tokio::test]
async fn smtp_delivers_on_postgres() {
    smtp_delivers("postgres").await;
}
