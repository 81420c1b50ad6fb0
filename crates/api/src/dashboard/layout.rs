//! The page shell (navigation by member type, notices, styles) and small
//! helpers shared by the pages.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_domain::MemberType;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::session::Session;

const STYLE: &str = r#"
:root{--ink:#1d2330;--muted:#5b6475;--line:#d8dce4;--bg:#f6f7f9;--accent:#1f5fbf;--ok:#0a6b2c;--bad:#a3141e}
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
header .brand{font-weight:700}nav ul{display:flex;flex-wrap:wrap;gap:.25rem;margin:0;padding:0;list-style:none}
nav a{display:block;padding:.35rem .7rem;border-radius:.4rem;color:var(--ink);text-decoration:none}
nav a[aria-current=page]{background:var(--accent);color:#fff}header form{margin-left:auto}
main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.card{background:#fff;border:1px solid var(--line);border-radius:.6rem;padding:1rem;margin-bottom:1rem}
.table{overflow-x:auto}table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.5rem;border-bottom:1px solid var(--line);vertical-align:top}
th a{color:inherit}td.actions{white-space:nowrap}.muted{color:var(--muted)}
button,.button{font:inherit;padding:.45rem .9rem;border-radius:.4rem;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
:focus-visible{outline:3px solid #f0a800;outline-offset:2px}
label{font-weight:600}input[type=text],input[type=email],input[type=password],input[type=search],select{font:inherit;padding:.4rem;border:1px solid var(--line);border-radius:.4rem;width:100%;max-width:24rem}
.row{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end}.row>*{flex:0 1 auto}
.notice{border-left:4px solid var(--ok);background:#eaf6ee;padding:.6rem .8rem;margin-bottom:1rem}
.error{border-left:4px solid var(--bad);background:#fbecee;padding:.6rem .8rem;margin-bottom:1rem}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:1rem;font-size:.85rem;background:#e8ebf1}
.badge.ok{background:#dff3e6;color:var(--ok)}.badge.bad{background:#fbe3e6;color:var(--bad)}
.toggle{display:flex;gap:.6rem;align-items:flex-start;margin:.6rem 0}.toggle p{margin:.1rem 0 0;font-weight:400}
.empty{padding:1.5rem;text-align:center;color:var(--muted);background:#fff;border:1px dashed var(--line);border-radius:.6rem}
.pager{display:flex;gap:1rem;align-items:center;margin:.75rem 0}
@media (max-width:40rem){th.wide,td.wide{display:none}header form{margin-left:0}}
"#;

const SCRIPT: &str = r#"// Live tables: an element with data-live="<url>" has its content replaced
// by that URL's HTML every few seconds, while the page is visible.
document.querySelectorAll('[data-live]').forEach(function (element) {
  var every = Number(element.getAttribute('data-every') || 3000);
  setInterval(function () {
    if (document.hidden) return;
    fetch(element.getAttribute('data-live'), {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && html !== element.innerHTML) element.innerHTML = html; })
      .catch(function () {});
  }, every);
});
// Forms that need a second thought.
document.querySelectorAll('form[data-confirm]').forEach(function (form) {
  form.addEventListener('submit', function (event) {
    if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
  });
});
"#;

pub async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

/// The one-line notice or error a redirect carried (`?notice=` / `?error=`).
#[derive(Default)]
pub struct Flash {
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Flash {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(mut params) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        Ok(Flash {
            notice: params.remove("notice"),
            error: params.remove("error"),
        })
    }
}

/// A URL with its query encoded.
pub fn url(path: &str, query: &[(&str, &str)]) -> String {
    let query: Vec<(&str, &str)> = query
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(query).unwrap_or_default()
        )
    }
}

/// After a form: back to `path` with a notice, or with the API's error.
pub fn back(path: &str, outcome: Result<String, String>) -> Redirect {
    match outcome {
        Ok(notice) => Redirect::to(&url(path, &[("notice", &notice)])),
        Err(error) => Redirect::to(&url(path, &[("error", &error)])),
    }
}

fn tabs(member_type: MemberType) -> Vec<(&'static str, &'static str)> {
    let mut tabs = Vec::new();
    if member_type >= MemberType::Manager {
        tabs.push(("members", "Members"));
        tabs.push(("places", "Places"));
        tabs.push(("groups", "Groups"));
    }
    tabs.push(("doors", "Doors"));
    tabs.push(("events", "Events"));
    if member_type >= MemberType::Manager {
        tabs.push(("exports", "Member Exports"));
    }
    tabs
}

fn shell(title: &str, header: Markup, flash: &Flash, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · gatehouse" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (header)
                main id="main" {
                    h1 { (title) }
                    div aria-live="polite" {
                        @if let Some(notice) = &flash.notice { p.notice role="status" { (notice) } }
                        @if let Some(error) = &flash.error { p.error role="alert" { (error) } }
                    }
                    (content)
                }
                script src="/dashboard/assets/dashboard.js" defer {}
            }
        }
    }
}

/// A page of a signed-in person, with the tabs their type may use.
pub fn page(
    session: &Session,
    active: &str,
    title: &str,
    flash: &Flash,
    content: Markup,
) -> Html<String> {
    let header = html! {
        header {
            span.brand { "gatehouse" }
            span.muted { (session.principal.organization.name) }
            nav aria-label="Main" {
                ul {
                    @for (slug, label) in tabs(session.member_type()) {
                        li { a href={ "/dashboard/" (slug) } aria-current=[(slug == active).then_some("page")] { (label) } }
                    }
                }
            }
            form method="post" action="/dashboard/sign-out" {
                input type="hidden" name="csrf" value=(session.csrf());
                span.muted { (session.principal.member.name) " · " }
                button.secondary type="submit" { "Sign out" }
            }
        }
    };
    Html(shell(title, header, flash, content).into_string())
}

/// A page without a session (the sign-in form).
pub fn public_page(title: &str, flash: &Flash, content: Markup) -> Html<String> {
    let header = html! { header { span.brand { "gatehouse" } } };
    Html(shell(title, header, flash, content).into_string())
}

/// 403 with an explanation.
pub fn refused(message: &str) -> Response {
    let flash = Flash {
        notice: None,
        error: Some(message.to_owned()),
    };
    let content = html! { p { a href="/dashboard" { "Back to the dashboard" } } };
    (
        StatusCode::FORBIDDEN,
        public_page("Not allowed", &flash, content),
    )
        .into_response()
}

/// The hidden CSRF field of a form.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf()); }
}

/// A table, or a clear empty state.
pub fn table_or_empty(empty: &str, rows: usize, table: Markup) -> Markup {
    html! {
        @if rows == 0 { p.empty { (empty) } } @else { div.table { (table) } }
    }
}

/// An RFC 3339 time as a short readable one (UTC).
pub fn when(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map(|t| t.replace('T', " ").chars().take(16).collect::<String>() + " UTC")
        .unwrap_or_else(|| "never".into())
}

/// A JSON string field, or "".
pub fn text<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}
