//! Signing in to the dashboard (domain, e-mail and password, or a one-time
//! sign-in code from an e-mail) and out.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form};
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::api::Api;
use super::layout::{public_page, Flash};
use super::session::{same_token, Session};
use crate::auth::{cookie, new_secret, SESSION_COOKIE};
use crate::AppState;

const FORM_COOKIE: &str = "gatehouse_form";

/// The person's address, passed on to the API so sign-in throttling
/// counts them, not the dashboard.
pub struct Peer(Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0),
        ))
    }
}

/// `Secure` when the server is reached over HTTPS.
fn cookie_attributes(state: &AppState) -> &'static str {
    if state.mailer.public_url.starts_with("https://") {
        "; HttpOnly; SameSite=Strict; Path=/dashboard; Secure"
    } else {
        "; HttpOnly; SameSite=Strict; Path=/dashboard"
    }
}

fn form(token: &str, domain: &str, email: &str, code: &str) -> maud::Markup {
    html! {
        div.card {
            form method="post" action="/dashboard/sign-in" {
                input type="hidden" name="csrf" value=(token);
                p { label for="domain" { "Organization domain" } br;
                    input #domain type="text" name="domain" value=(domain) autocomplete="organization" required autofocus; }
                p { label for="email" { "E-mail" } br;
                    input #email type="email" name="email" value=(email) autocomplete="username" required; }
                p { label for="password" { "Password" } br;
                    input #password type="password" name="password" autocomplete="current-password"; }
                details open[!code.is_empty()] {
                    summary { "Signing in with a code from an e-mail?" }
                    p { label for="code" { "Sign-in code" } br;
                        input #code type="text" name="code" value=(code) autocomplete="one-time-code"; }
                    p.muted { "With a code, leave the password empty." }
                }
                p { button type="submit" { "Sign in" } }
            }
        }
        p { a href="/dashboard/password-reset" { "Forgot your password?" } }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct SignInQuery {
    #[serde(default)]
    authentication_info: String,
}

/// The sign-in form. Its CSRF token is a random value kept in a cookie and
/// repeated in the form (there is no session yet to derive it from).
pub async fn page(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Query(query): axum::extract::Query<SignInQuery>,
    flash: Flash,
) -> Response {
    let (token, _) = new_secret();
    let code = query.authentication_info;
    let page = public_page("Sign in", &flash, form(&token, "", "", &code));
    (
        [(
            header::SET_COOKIE,
            format!("{FORM_COOKIE}={token}{}", cookie_attributes(&state)),
        )],
        page,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn submit(
    axum::extract::State(state): axum::extract::State<AppState>,
    Extension(api): Extension<Api>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(fields): Form<SignInForm>,
) -> Response {
    let expected = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    let again = |error: String| {
        let (token, _) = new_secret();
        let flash = Flash {
            notice: None,
            error: Some(error),
        };
        let page = public_page(
            "Sign in",
            &flash,
            form(&token, &fields.domain, &fields.email, &fields.code),
        );
        (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            [(
                header::SET_COOKIE,
                format!("{FORM_COOKIE}={token}{}", cookie_attributes(&state)),
            )],
            page,
        )
            .into_response()
    };
    if expected.is_empty() || !same_token(&fields.csrf, expected) {
        return again("The form expired. Please sign in again.".into());
    }
    let user = if fields.code.trim().is_empty() {
        json!({"domain": fields.domain.trim(), "email": fields.email.trim(), "password": fields.password})
    } else {
        json!({"authentication_info": fields.code.trim()})
    };
    let body = json!({"login": {"type": "device", "name": "Dashboard"}, "user": user});
    let reply = api
        .call(None, peer, Method::POST, "/logins", Some(&body))
        .await;
    let Some(secret) = reply.body["secret"].as_str().filter(|_| reply.ok()) else {
        return again(reply.problem());
    };
    let attributes = cookie_attributes(&state);
    let mut response = Redirect::to("/dashboard").into_response();
    let headers = response.headers_mut();
    for value in [
        format!("{SESSION_COOKIE}={secret}{attributes}"),
        format!("{FORM_COOKIE}=; Max-Age=0{attributes}"),
    ] {
        if let Ok(value) = value.parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// Signs out: ends the login behind the session and forgets the cookie.
pub async fn sign_out(
    axum::extract::State(state): axum::extract::State<AppState>,
    session: Session,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(refused) = session.forged(&form.csrf) {
        return refused;
    }
    session.delete("/login").await;
    (
        [(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}=; Max-Age=0{}", cookie_attributes(&state)),
        )],
        Redirect::to("/dashboard/sign-in?notice=Signed%20out."),
    )
        .into_response()
}

fn reset_request_form(token: &str) -> maud::Markup {
    html! {
        div.card {
            p { "We will e-mail you a link to choose a new password." }
            form method="post" action="/dashboard/password-reset" {
                input type="hidden" name="csrf" value=(token);
                p { label for="domain" { "Organization domain" } br;
                    input #domain type="text" name="domain" required autofocus; }
                p { label for="email" { "E-mail" } br;
                    input #email type="email" name="email" autocomplete="username" required; }
                p { button type="submit" { "Send the link" } }
            }
        }
        p { a href="/dashboard/sign-in" { "Back to sign in" } }
    }
}

/// The "forgot your password" form.
pub async fn reset_request_page(
    axum::extract::State(state): axum::extract::State<AppState>,
    flash: Flash,
) -> Response {
    let (token, _) = new_secret();
    let page = public_page("Reset your password", &flash, reset_request_form(&token));
    (
        [(
            header::SET_COOKIE,
            format!("{FORM_COOKIE}={token}{}", cookie_attributes(&state)),
        )],
        page,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct ResetRequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    email: String,
}

/// Asks the API for the reset e-mail; the answer is the same whether or not
/// the account exists.
pub async fn reset_request(
    Extension(api): Extension<Api>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(fields): Form<ResetRequestForm>,
) -> Response {
    let expected = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&fields.csrf, expected) {
        return Redirect::to(
            "/dashboard/password-reset?error=The%20form%20expired.%20Please%20try%20again.",
        )
        .into_response();
    }
    let body = json!({"user": {"domain": fields.domain.trim(), "email": fields.email.trim()}});
    let reply = api
        .call(None, peer, Method::POST, "/users/password", Some(&body))
        .await;
    if reply.ok() {
        super::layout::back(
            "/dashboard/sign-in",
            Ok("If this account exists, an e-mail with a reset link is on its way.".into()),
        )
        .into_response()
    } else {
        super::layout::back("/dashboard/password-reset", Err(reply.problem())).into_response()
    }
}
