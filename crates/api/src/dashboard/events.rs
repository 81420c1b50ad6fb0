//! The event log: filterable, and updating live without a reload. What a
//! person sees is what `GET /events` shows them: their own history for a
//! basic member, their scopes for a manager, everything for an admin.

use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{self, text, url, when, Flash};
use super::session::Session;

#[derive(Debug, Deserialize, Default)]
pub struct Filters {
    #[serde(default, rename = "type")]
    event_type: String,
    #[serde(default)]
    success: String,
}

impl Filters {
    fn api_path(&self) -> String {
        let success = match self.success.as_str() {
            "true" | "false" => self.success.as_str(),
            _ => "",
        };
        url(
            "/events",
            &[
                ("type", self.event_type.trim()),
                ("success", success),
                ("limit", "50"),
            ],
        )
    }
}

/// Events, newest first; with `live`, the rows refresh from that URL.
pub fn table(events: &[Value], live: Option<&str>) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "When" } th scope="col" { "What" } th scope="col" { "Who" }
                th.wide scope="col" { "Object" } th scope="col" { "Outcome" }
            } }
            tbody #events data-live=[live] data-every=[live.map(|_| "2000")] aria-live=[live.map(|_| "polite")] {
                (rows_of(events))
            }
        }
    }
}

fn rows_of(events: &[Value]) -> Markup {
    html! {
        @if events.is_empty() { tr { td colspan="5" { span.muted { "No events yet." } } } }
        @for e in events { tr {
            td { (when(&e["created_at"])) }
            td { (text(e, "type")) }
            td { (e["actor_name"].as_str().unwrap_or("—")) }
            td.wide { (text(e, "object_type")) " " (text(e, "object_name")) }
            td { @if e["success"].as_bool() == Some(true) { span.badge.ok { "ok" } }
                 @else { span.badge.bad { "denied " (e["error_code"].as_str().unwrap_or_default()) } } }
        } }
    }
}

pub async fn page(session: Session, Query(filters): Query<Filters>, flash: Flash) -> Html<String> {
    let reply = session.get(&filters.api_path()).await;
    let live = url(
        "/dashboard/events/rows",
        &[("type", &filters.event_type), ("success", &filters.success)],
    );
    let content = html! {
        form.row method="get" action="/dashboard/events" {
            div { label for="type" { "Type" } br; input #type type="text" name="type" value=(filters.event_type) placeholder="e.g. lock.unlock"; }
            div { label for="success" { "Outcome" } br;
                select #success name="success" {
                    option value="" selected[filters.success.is_empty()] { "Any" }
                    option value="true" selected[filters.success == "true"] { "Granted / done" }
                    option value="false" selected[filters.success == "false"] { "Denied / failed" }
                }
            }
            button type="submit" { "Filter" }
        }
        @if !reply.ok() { p.error role="alert" { (reply.problem()) } }
        p.muted { "New events appear here by themselves." }
        div.table { (table(reply.items(), Some(&live))) }
    };
    layout::page(&session, "events", "Events", &flash, content)
}

/// The table's rows alone, for the live update.
pub async fn rows(session: Session, Query(filters): Query<Filters>) -> Response {
    let reply = session.get(&filters.api_path()).await;
    Html(rows_of(reply.items()).into_string()).into_response()
}
