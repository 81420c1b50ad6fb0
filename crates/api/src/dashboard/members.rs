//! The Members tab: a searchable, sortable, paginated list; adding a member
//! by e-mail with their flags; the member detail with type, flags, suspend
//! and restore, groups, cards, unlock history and delete.

use axum::extract::{Form, Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::{MemberFlags, Subscription};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::layout::{back, csrf, page, table_or_empty, text, url, when, Flash};
use super::session::Session;
use super::sign_in::CsrfOnly;

const PER_PAGE: i64 = 25;

/// The six flags: name, label, and the seed's explanation.
const FLAGS: [(&str, &str, &str); 6] = [
    ("access_enabled", "Access enabled", "Off suspends the member: no door opens for them, whatever the credential."),
    ("password_flow_enabled", "Authenticate with password", "The member may sign in with e-mail and password."),
    ("link_enabled", "Allow quick access link", "The member may open doors with the quick access links in their invitation e-mails, without signing in."),
    ("app_enabled", "Allow app access", "The member may open doors with the mobile and web apps (signed in)."),
    ("card_enabled", "Allow card access", "The member may open doors with their cards."),
    ("cards_without_activation_enabled", "Allow using cards without activation", "The member's cards, fobs and stickers work without being activated first."),
];

/// Whether the organization's subscription lets the flag be switched, and
/// if not, why (shown in place).
fn flag_rule(flag: &str, subscription: Subscription) -> Option<&'static str> {
    match (flag, subscription) {
        ("password_flow_enabled", Subscription::Standard) => {
            Some("Only available on the Organizations subscription; on Standard everyone may sign in with a password.")
        }
        ("cards_without_activation_enabled", Subscription::Organizations) => {
            Some("Only available on the Standard subscription; on Organizations cards must be activated.")
        }
        _ => None,
    }
}

/// The flag's default for a new member (the subscription's defaults).
fn default_on(flag: &str, subscription: Subscription) -> bool {
    let defaults = MemberFlags::defaults(subscription);
    match flag {
        "access_enabled" => defaults.access_enabled,
        "password_flow_enabled" => defaults.password_flow_enabled,
        "link_enabled" => defaults.link_enabled,
        "app_enabled" => defaults.app_enabled,
        "card_enabled" => defaults.card_enabled,
        _ => defaults.cards_without_activation_enabled,
    }
}

fn type_label(role_id: &str) -> &'static str {
    match role_id {
        "owner" => "Owner",
        "administrator" => "Admin",
        "manager" => "Manager",
        _ => "Basic",
    }
}

fn status(member: &Value) -> Markup {
    if member["access_enabled"].as_bool() == Some(false) {
        html! { span.badge.bad { "Suspended" } }
    } else {
        html! { span.badge.ok { "Active" } }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    query: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<i64>,
}

pub async fn list(session: Session, Query(q): Query<ListQuery>, flash: Flash) -> Html<String> {
    let page_number = q.page.unwrap_or(1).max(1);
    let sort = match q.sort.as_str() {
        "name" | "-name" | "unlock" | "-unlock" | "access_enabled" | "-access_enabled" => {
            q.sort.as_str()
        }
        _ => "",
    };
    let offset = ((page_number - 1) * PER_PAGE).to_string();
    let path = url(
        "/members",
        &[
            ("query", q.query.trim()),
            ("sort", sort),
            ("limit", &PER_PAGE.to_string()),
            ("offset", &offset),
        ],
    );
    let reply = session.get(&path).await;
    let total = reply.total.unwrap_or(0);
    let members = reply.items();
    let sort_link = |key: &str, label: &str| {
        let next = if sort == key {
            format!("-{key}")
        } else {
            key.to_owned()
        };
        let arrow = if sort == key {
            " ▲"
        } else if sort.strip_prefix('-') == Some(key) {
            " ▼"
        } else {
            ""
        };
        html! { a href=(url("/dashboard/members", &[("query", &q.query), ("sort", &next)])) { (label) (arrow) } }
    };
    let subscription = session.principal.organization.subscription;
    let content = html! {
        @if !reply.ok() { p.error role="alert" { (reply.problem()) } }
        form.row role="search" method="get" action="/dashboard/members" {
            div { label for="query" { "Search by name, e-mail or notes" } br;
                input #query type="search" name="query" value=(q.query); }
            input type="hidden" name="sort" value=(sort);
            button type="submit" { "Search" }
        }
        p.muted { (total) " member" @if total != 1 { "s" } }
        (table_or_empty(
            if q.query.is_empty() { "No members yet. Add the first one below." } else { "No member matches this search." },
            members.len(),
            html! {
                table {
                    thead { tr {
                        th scope="col" { (sort_link("name", "Name")) }
                        th.wide scope="col" { "E-mail" }
                        th scope="col" { "Type" }
                        th scope="col" { (sort_link("access_enabled", "Status")) }
                        th.wide scope="col" { (sort_link("unlock", "Last access")) }
                    } }
                    tbody {
                        @for m in members {
                            tr {
                                td { a href={ "/dashboard/members/" (m["id"]) } { (text(m, "name")) } }
                                td.wide { (m["user"]["email"].as_str().unwrap_or_default()) }
                                td { (type_label(text(m, "role_id"))) }
                                td { (status(m)) }
                                td.wide { (when(&m["last_accessed_at"])) }
                            }
                        }
                    }
                }
            }
        ))
        @let pages = (total + PER_PAGE - 1) / PER_PAGE;
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if page_number > 1 {
                    a href=(url("/dashboard/members", &[("query", &q.query), ("sort", sort), ("page", &(page_number - 1).to_string())])) { "← Previous" }
                }
                span { "Page " (page_number) " of " (pages) }
                @if page_number < pages {
                    a href=(url("/dashboard/members", &[("query", &q.query), ("sort", sort), ("page", &(page_number + 1).to_string())])) { "Next →" }
                }
            }
        }
        h2 { "Add a member" }
        div.card {
            form method="post" action="/dashboard/members" {
                (csrf(&session))
                div.row {
                    div { label for="new-email" { "E-mail (required)" } br;
                        input #new-email type="email" name="email" required; }
                    div { label for="new-name" { "Name" } br;
                        input #new-name type="text" name="name"; }
                }
                fieldset {
                    legend { "Permissions" }
                    @for (flag, label, _) in FLAGS {
                        @if flag != "access_enabled" && flag_rule(flag, subscription).is_none() {
                            div.toggle {
                                input type="checkbox" id={ "new-" (flag) } name=(flag) value="on" checked[default_on(flag, subscription)];
                                label for={ "new-" (flag) } { (label) }
                            }
                        }
                    }
                }
                button type="submit" { "Add member" }
            }
        }
    };
    page(&session, "members", "Members", &flash, content)
}

#[derive(Debug, Deserialize)]
pub struct NewMemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    password_flow_enabled: Option<String>,
    link_enabled: Option<String>,
    app_enabled: Option<String>,
    card_enabled: Option<String>,
    cards_without_activation_enabled: Option<String>,
}

pub async fn create(session: Session, Form(form): Form<NewMemberForm>) -> Response {
    if let Some(refused) = session.forged(&form.csrf) {
        return refused;
    }
    let subscription = session.principal.organization.subscription;
    let mut member = Map::new();
    member.insert("email".into(), json!(form.email.trim()));
    if !form.name.trim().is_empty() {
        member.insert("name".into(), json!(form.name.trim()));
    }
    for (flag, value) in [
        ("password_flow_enabled", &form.password_flow_enabled),
        ("link_enabled", &form.link_enabled),
        ("app_enabled", &form.app_enabled),
        ("card_enabled", &form.card_enabled),
        (
            "cards_without_activation_enabled",
            &form.cards_without_activation_enabled,
        ),
    ] {
        if flag_rule(flag, subscription).is_none() {
            member.insert(flag.into(), json!(value.is_some()));
        }
    }
    let reply = session.post("/members", json!({ "member": member })).await;
    if reply.ok() {
        let id = reply.body["id"].as_i64().unwrap_or_default();
        back(
            &format!("/dashboard/members/{id}"),
            Ok("Member added.".into()),
        )
        .into_response()
    } else {
        back("/dashboard/members", Err(reply.problem())).into_response()
    }
}

pub async fn detail(session: Session, Path(id): Path<i64>, flash: Flash) -> Response {
    let reply = session.get(&format!("/members/{id}")).await;
    if !reply.ok() {
        return back("/dashboard/members", Err(reply.problem())).into_response();
    }
    let m = &reply.body;
    let user_id = m["user_id"].as_i64().unwrap_or_default();
    let groups = session
        .get(&format!("/role_assignments?user_id={user_id}&limit=100"))
        .await;
    let cards = session
        .get(&format!("/card_assignments?user_id={user_id}&limit=100"))
        .await;
    let history = session
        .get(&format!(
            "/events?type=lock.unlock&actor_id={user_id}&limit=20"
        ))
        .await;
    let subscription = session.principal.organization.subscription;
    let member_path = format!("/dashboard/members/{id}");
    let role_id = text(m, "role_id");
    let content = html! {
        div.card {
            p { strong { (m["user"]["email"].as_str().unwrap_or_default()) } " · " (status(m)) }
            p.muted { "Type: " (type_label(role_id)) " · Last access: " (when(&m["last_accessed_at"])) }
            div.row {
                @if m["access_enabled"].as_bool() == Some(false) {
                    form method="post" action={ (member_path) "/restore" } {
                        (csrf(&session)) button type="submit" { "Restore access" }
                    }
                } @else {
                    form method="post" action={ (member_path) "/suspend" } data-confirm="Suspend this member? No door will open for them." {
                        (csrf(&session)) button.danger type="submit" { "Suspend access" }
                    }
                }
                a.button href={ (member_path) "/delete" } { "Delete…" }
            }
        }
        h2 { "Type" }
        div.card {
            form.row method="post" action={ (member_path) "/role" } {
                (csrf(&session))
                div {
                    label for="role" { "Organization role" } br;
                    select #role name="role" {
                        option value="basic" selected[role_id == "basic"] { "Basic — unlocks and sees their own history" }
                        option value="organization_manager" selected[role_id == "manager"] { "Manager — manages members, schedules and events" }
                        option value="organization_administrator" selected[role_id == "administrator"] { "Admin — manages everything in the organization" }
                    }
                }
                button type="submit" disabled[role_id == "owner"] { "Change type" }
            }
            @if role_id == "owner" { p.muted { "The owner's type cannot change." } }
        }
        h2 { "Permissions" }
        div.card {
            form method="post" action={ (member_path) "/flags" } {
                (csrf(&session))
                @for (flag, label, explanation) in FLAGS {
                    @let rule = flag_rule(flag, subscription);
                    div.toggle {
                        input type="checkbox" id=(flag) name=(flag) value="on"
                            checked[m[flag].as_bool() == Some(true)] disabled[rule.is_some()]
                            aria-describedby={ (flag) "-help" };
                        div {
                            label for=(flag) { (label) }
                            p.muted id={ (flag) "-help" } { (explanation) @if let Some(rule) = rule { " " strong { (rule) } } }
                        }
                    }
                }
                button type="submit" { "Save permissions" }
            }
        }
        h2 { "Groups and roles" }
        (table_or_empty("No group or role yet.", groups.items().len(), html! {
            table { thead { tr { th scope="col" { "Role" } th scope="col" { "Where" } } }
                tbody { @for r in groups.items() { tr {
                    td { (text(r, "role_id").replace('_', " ")) }
                    td { (r["applies_to"]["name"].as_str().or(r["applies_to_type"].as_str()).unwrap_or_default()) }
                } } } }
        }))
        h2 { "Cards" }
        (table_or_empty("No card assigned.", cards.items().len(), html! {
            table { thead { tr { th scope="col" { "Card" } th scope="col" { "Status" } } }
                tbody { @for c in cards.items() { tr {
                    td { (c["card"]["token"].as_str().or(c["card"]["uid"].as_str()).unwrap_or("card")) " #" (c["card_id"]) }
                    td { (if c["activated"].as_bool() == Some(true) { "activated" } else { "not activated" }) }
                } } } }
        }))
        h2 { "Unlock history" }
        (table_or_empty("No unlocks yet.", history.items().len(), super::events::table(history.items(), None)))
    };
    page(&session, "members", text(m, "name"), &flash, content).into_response()
}

pub async fn flags(
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let submitted = |key: &str| form.iter().any(|(k, _)| k == key);
    let token = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if let Some(refused) = session.forged(token) {
        return refused;
    }
    let subscription = session.principal.organization.subscription;
    let mut member = Map::new();
    for (flag, _, _) in FLAGS {
        if flag_rule(flag, subscription).is_none() {
            member.insert(flag.into(), json!(submitted(flag)));
        }
    }
    let reply = session
        .patch(&format!("/members/{id}"), json!({ "member": member }))
        .await;
    back(
        &format!("/dashboard/members/{id}"),
        if reply.ok() {
            Ok("Permissions saved.".into())
        } else {
            Err(reply.problem())
        },
    )
    .into_response()
}

async fn action(session: Session, id: i64, csrf: &str, what: &str, done: &str) -> Response {
    if let Some(refused) = session.forged(csrf) {
        return refused;
    }
    let reply = session
        .post(&format!("/members/{id}/{what}"), json!({}))
        .await;
    back(
        &format!("/dashboard/members/{id}"),
        if reply.ok() {
            Ok(done.into())
        } else {
            Err(reply.problem())
        },
    )
    .into_response()
}

pub async fn suspend(
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    action(session, id, &form.csrf, "suspend", "Access suspended.").await
}

pub async fn restore(
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    action(session, id, &form.csrf, "restore", "Access restored.").await
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// Sets the member's organization role: the one organization role
/// assignment is created, changed or removed (Basic).
pub async fn role(session: Session, Path(id): Path<i64>, Form(form): Form<RoleForm>) -> Response {
    if let Some(refused) = session.forged(&form.csrf) {
        return refused;
    }
    let here = format!("/dashboard/members/{id}");
    let member = session.get(&format!("/members/{id}")).await;
    if !member.ok() {
        return back(&here, Err(member.problem())).into_response();
    }
    let user_id = member.body["user_id"].as_i64().unwrap_or_default();
    let org = session.principal.organization.id;
    let existing = session
        .get(&format!("/role_assignments?assignee_type=User&assignee_id={user_id}&applies_to_type=Organization&applies_to_id={org}"))
        .await;
    let current = existing.items().first().and_then(|r| r["id"].as_i64());
    let reply = match (form.role.as_str(), current) {
        ("basic", None) => return back(&here, Ok("The member is Basic.".into())).into_response(),
        ("basic", Some(assignment)) => session.delete(&format!("/role_assignments/{assignment}")).await,
        (role @ ("organization_manager" | "organization_administrator"), Some(assignment)) => {
            session.patch(&format!("/role_assignments/{assignment}"), json!({"role_assignment": {"role_id": role}})).await
        }
        (role @ ("organization_manager" | "organization_administrator"), None) => {
            session
                .post("/role_assignments", json!({"role_assignment": {"applies_to_type": "Organization",
                    "applies_to_id": org, "assignee_type": "User", "assignee_id": user_id, "role_id": role}}))
                .await
        }
        _ => return back(&here, Err("Choose Basic, Manager or Admin.".into())).into_response(),
    };
    back(
        &here,
        if reply.ok() {
            Ok("Type changed.".into())
        } else {
            Err(reply.problem())
        },
    )
    .into_response()
}

pub async fn confirm_delete(session: Session, Path(id): Path<i64>, flash: Flash) -> Response {
    let reply = session.get(&format!("/members/{id}")).await;
    if !reply.ok() {
        return back("/dashboard/members", Err(reply.problem())).into_response();
    }
    let m = &reply.body;
    let content = html! {
        div.card {
            p { "Delete " strong { (text(m, "name")) } " (" (m["user"]["email"].as_str().unwrap_or_default()) ") from "
                (session.principal.organization.name) "?" }
            p { "Their roles, team memberships, cards and logins in this organization go with the membership. "
                "Their user profile stays: adding the same e-mail again links to it." }
            div.row {
                form method="post" action={ "/dashboard/members/" (id) "/delete" } {
                    (csrf(&session)) button.danger type="submit" { "Delete member" }
                }
                a href={ "/dashboard/members/" (id) } { "Cancel" }
            }
        }
    };
    page(&session, "members", "Delete member", &flash, content).into_response()
}

pub async fn delete(session: Session, Path(id): Path<i64>, Form(form): Form<CsrfOnly>) -> Response {
    if let Some(refused) = session.forged(&form.csrf) {
        return refused;
    }
    let reply = session.delete(&format!("/members/{id}")).await;
    if reply.ok() {
        Redirect::to(&url(
            "/dashboard/members",
            &[("notice", "Member deleted; their user profile stays.")],
        ))
        .into_response()
    } else {
        back(&format!("/dashboard/members/{id}"), Err(reply.problem())).into_response()
    }
}
