//! The admin dashboard under `/dashboard`: server-rendered HTML (maud), a
//! cookie session, a CSRF token on every form, and a little JavaScript for
//! live tables. Every page is drawn from the JSON API, called in process
//! with the session's own login: the dashboard can show and do exactly what
//! the API lets that person see and do, no more.

mod api;
mod doors;
mod events;
mod exports;
mod layout;
mod members;
mod session;
mod sign_in;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use api::Api;

pub fn router(api: Router) -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(session::home))
        .route("/dashboard/", get(session::home))
        .route("/dashboard/assets/dashboard.js", get(layout::script))
        .route(
            "/dashboard/sign-in",
            get(sign_in::page).post(sign_in::submit),
        )
        .route("/dashboard/sign-out", post(sign_in::sign_out))
        .route(
            "/dashboard/password-reset",
            get(sign_in::reset_request_page).post(sign_in::reset_request),
        )
        .route(
            "/dashboard/members",
            get(members::list).post(members::create),
        )
        .route("/dashboard/members/{id}", get(members::detail))
        .route("/dashboard/members/{id}/flags", post(members::flags))
        .route("/dashboard/members/{id}/role", post(members::role))
        .route("/dashboard/members/{id}/suspend", post(members::suspend))
        .route("/dashboard/members/{id}/restore", post(members::restore))
        .route(
            "/dashboard/members/{id}/delete",
            get(members::confirm_delete).post(members::delete),
        )
        .route("/dashboard/places", get(doors::places))
        .route("/dashboard/groups", get(doors::groups))
        .route("/dashboard/groups/{id}", get(doors::group))
        .route("/dashboard/doors", get(doors::doors))
        .route("/dashboard/doors/{id}/unlock", post(doors::unlock))
        .route("/dashboard/doors/{id}/lockdown", post(doors::lockdown))
        .route("/dashboard/events", get(events::page))
        .route("/dashboard/events/rows", get(events::rows))
        .route(
            "/dashboard/exports",
            get(exports::list).post(exports::create),
        )
        .route("/dashboard/exports/rows", get(exports::rows))
        .route("/dashboard/exports/{id}/download", get(exports::download))
        .layer(axum::Extension(Api::new(api)))
}
