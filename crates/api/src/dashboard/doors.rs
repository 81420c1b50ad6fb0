//! Places, groups (with their doors and members) and doors (with an
//! unlock button and lockdown).

use axum::extract::{Form, Path};
use axum::response::{Html, IntoResponse, Response};
use gatehouse_domain::MemberType;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::layout::{back, csrf, page, table_or_empty, text, Flash};
use super::session::Session;
use super::sign_in::CsrfOnly;

pub async fn places(session: Session, flash: Flash) -> Html<String> {
    let reply = session.get("/places?limit=100").await;
    let content = html! {
        @if !reply.ok() { p.error role="alert" { (reply.problem()) } }
        (table_or_empty("No places yet. Places are added through the API (POST /places).", reply.items().len(), html! {
            table {
                thead { tr { th scope="col" { "Place" } th.wide scope="col" { "Address" } th scope="col" { "Doors" } th scope="col" { "Lockdown" } } }
                tbody { @for p in reply.items() { tr {
                    td { (text(p, "name")) }
                    td.wide { (text(p, "address")) }
                    td { (p["locks_count"]) }
                    td { @if p["locked_down"].as_bool() == Some(true) { span.badge.bad { "Locked down" } } @else { span.muted { "—" } } }
                } } }
            }
        }))
    };
    page(&session, "places", "Places", &flash, content)
}

pub async fn groups(session: Session, flash: Flash) -> Html<String> {
    let reply = session.get("/groups?limit=100").await;
    let content = html! {
        @if !reply.ok() { p.error role="alert" { (reply.problem()) } }
        (table_or_empty("No groups you manage.", reply.items().len(), html! {
            table {
                thead { tr { th scope="col" { "Group" } th.wide scope="col" { "Place" } th scope="col" { "Doors" } th scope="col" { "Members" } } }
                tbody { @for g in reply.items() { tr {
                    td { a href={ "/dashboard/groups/" (g["id"]) } { (text(g, "name")) } }
                    td.wide { (g["place"]["name"].as_str().unwrap_or("Every place")) }
                    td { (g["locks_count"]) }
                    td { (g["users_count"]) }
                } } }
            }
        }))
    };
    page(&session, "groups", "Groups", &flash, content)
}

pub async fn group(session: Session, Path(id): Path<i64>, flash: Flash) -> Response {
    let group = session.get(&format!("/groups/{id}")).await;
    if !group.ok() {
        return back("/dashboard/groups", Err(group.problem())).into_response();
    }
    let doors = session
        .get(&format!("/group_locks?group_id={id}&limit=100"))
        .await;
    let members = session
        .get(&format!("/members?group_id={id}&limit=100"))
        .await;
    let content = html! {
        h2 { "Doors" }
        (table_or_empty("No doors in this group.", doors.items().len(), html! {
            table { thead { tr { th scope="col" { "Door" } th scope="col" { "Place" } } }
                tbody { @for d in doors.items() { tr { td { (d["lock"]["name"].as_str().unwrap_or_default()) } td { (d["place"]["name"].as_str().unwrap_or_default()) } } } } }
        }))
        h2 { "Members" }
        (table_or_empty("No members in this group.", members.items().len(), html! {
            table { thead { tr { th scope="col" { "Name" } th scope="col" { "E-mail" } } }
                tbody { @for m in members.items() { tr {
                    td { a href={ "/dashboard/members/" (m["id"]) } { (text(m, "name")) } }
                    td { (m["user"]["email"].as_str().unwrap_or_default()) }
                } } } }
        }))
    };
    page(
        &session,
        "groups",
        text(&group.body, "name"),
        &flash,
        content,
    )
    .into_response()
}

pub async fn doors(session: Session, flash: Flash) -> Html<String> {
    let reply = session.get("/locks?limit=100").await;
    let manager = session.member_type() >= MemberType::Manager;
    let content = html! {
        @if !reply.ok() { p.error role="alert" { (reply.problem()) } }
        (table_or_empty("No doors open for you yet.", reply.items().len(), html! {
            table {
                thead { tr { th scope="col" { "Door" } th.wide scope="col" { "Place" } th scope="col" { "State" } th scope="col" { span.muted { "Actions" } } } }
                tbody { @for d in reply.items() {
                    @let locked = d["locked_down"].as_bool() == Some(true);
                    tr {
                        td { (text(d, "name")) }
                        td.wide { (d["place"]["name"].as_str().unwrap_or_default()) }
                        td { @if locked { span.badge.bad { "Locked down" } } @else { span.badge { "Normal" } } }
                        td.actions {
                            form method="post" action={ "/dashboard/doors/" (d["id"]) "/unlock" } style="display:inline" {
                                (csrf(&session)) button type="submit" aria-label={ "Unlock " (text(d, "name")) } { "Unlock" }
                            }
                            " "
                            @if manager {
                                form method="post" action={ "/dashboard/doors/" (d["id"]) "/lockdown" } style="display:inline"
                                    data-confirm=(if locked { "End the lockdown of this door?" } else { "Lock this door down? Nobody will be let in." }) {
                                    (csrf(&session))
                                    input type="hidden" name="lock" value=(if locked { "off" } else { "on" });
                                    button.secondary type="submit" { (if locked { "End lockdown" } else { "Lock down" }) }
                                }
                            }
                        }
                    }
                } }
            }
        }))
    };
    page(&session, "doors", "Doors", &flash, content)
}

pub async fn unlock(session: Session, Path(id): Path<i64>, Form(form): Form<CsrfOnly>) -> Response {
    if let Some(refused) = session.forged(&form.csrf) {
        return refused;
    }
    let reply = session
        .post(&format!("/locks/{id}/unlock"), json!({}))
        .await;
    let outcome = if reply.ok() {
        Ok("Unlocked!".into())
    } else {
        Err(format!(
            "Not unlocked: {} ({})",
            reply.problem(),
            text(&reply.body, "code")
        ))
    };
    back("/dashboard/doors", outcome).into_response()
}

#[derive(Debug, Deserialize)]
pub struct LockdownForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lock: String,
}

pub async fn lockdown(
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<LockdownForm>,
) -> Response {
    if let Some(refused) = session.forged(&form.csrf) {
        return refused;
    }
    let (path, done) = if form.lock == "on" {
        (format!("/locks/{id}/lock_down"), "The door is locked down.")
    } else {
        (
            format!("/locks/{id}/cancel_lockdown"),
            "The lockdown ended.",
        )
    };
    let reply = session.post(&path, json!({})).await;
    back(
        "/dashboard/doors",
        if reply.ok() {
            Ok(done.into())
        } else {
            Err(reply.problem())
        },
    )
    .into_response()
}
