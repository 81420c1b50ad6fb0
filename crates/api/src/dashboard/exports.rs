//! The Member Exports tab: start an export, watch its progress, download it.

use axum::extract::{Form, Path};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{back, csrf, page, text, when, Flash};
use super::session::Session;

fn rows_of(exports: &[Value]) -> Markup {
    html! {
        @if exports.is_empty() { tr { td colspan="5" { span.muted { "No exports yet." } } } }
        @for x in exports {
            @let status = text(x, "status");
            tr {
                td { (when(&x["created_at"])) }
                td { (text(x, "format").to_uppercase()) }
                td { span.badge.ok[status == "finished"].bad[status == "failed"] { (status.replace('_', " ")) } }
                td { (x["rows_count"]) }
                td { @if status == "finished" {
                    a href={ "/dashboard/exports/" (x["id"]) "/download" } download { "Download" }
                } @else { span.muted { "—" } } }
            }
        }
    }
}

pub async fn list(session: Session, flash: Flash) -> Html<String> {
    let reply = session.get("/member_exports?limit=50").await;
    let content = html! {
        div.card {
            form.row method="post" action="/dashboard/exports" {
                (csrf(&session))
                div { label for="format" { "Format" } br;
                    select #format name="format" { option value="csv" { "CSV" } option value="xlsx" { "Excel (XLSX)" } } }
                div { label for="query" { "Only members matching (optional)" } br; input #query type="search" name="query"; }
                button type="submit" { "Export members" }
            }
            p.muted { "The file is made in the background; this list shows its progress." }
        }
        @if !reply.ok() { p.error role="alert" { (reply.problem()) } }
        div.table { table {
            thead { tr { th scope="col" { "Started" } th scope="col" { "Format" } th scope="col" { "Status" } th scope="col" { "Rows" } th scope="col" { "File" } } }
            tbody #exports data-live="/dashboard/exports/rows" data-every="1500" aria-live="polite" { (rows_of(reply.items())) }
        } }
    };
    page(&session, "exports", "Member Exports", &flash, content)
}

pub async fn rows(session: Session) -> Response {
    let reply = session.get("/member_exports?limit=50").await;
    Html(rows_of(reply.items()).into_string()).into_response()
}

#[derive(Debug, Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    query: String,
}

pub async fn create(session: Session, Form(form): Form<ExportForm>) -> Response {
    if let Some(refused) = session.forged(&form.csrf) {
        return refused;
    }
    let mut export = json!({"format": form.format});
    if !form.query.trim().is_empty() {
        export["query"] = json!(form.query.trim());
    }
    let reply = session
        .post("/member_exports", json!({"member_export": export}))
        .await;
    back(
        "/dashboard/exports",
        if reply.ok() {
            Ok("Export started.".into())
        } else {
            Err(reply.problem())
        },
    )
    .into_response()
}

/// The file, as the API serves it to this person.
pub async fn download(session: Session, Path(id): Path<i64>) -> Response {
    session
        .raw_get(&format!("/member_exports/{id}/download"))
        .await
}
