//! The Kisi-compatible HTTP API of gatehouse.
//!
//! Handlers are thin: extract, check permission, call one store method, map
//! to the wire. Authentication and rate limiting happen once per request in
//! middleware; every error leaves as a Kisi envelope.

pub mod auth;
mod dashboard;
pub mod doors;
pub mod error;
pub mod exports;
pub mod extract;
pub mod imports;
pub mod invitations;
pub mod mail;
pub mod messages;
pub mod paging;
pub mod policy;
pub mod rate_limit;
mod routes;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use chrono::{DateTime, SubsecRound, Utc};
use gatehouse_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::{ApiError, ApiResult};
pub use rate_limit::RateLimiter;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The source of "now". Tests and the domain never read the system clock
/// themselves; the server passes this one's time into every decision.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time, truncated to microseconds (what both databases keep).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        #[allow(clippy::disallowed_methods)] // the one place that reads the clock
        Utc::now().trunc_subsecs(6)
    }
}

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub rate_limiter: RateLimiter,
    /// Where finished member exports are kept (`<data-dir>/exports`).
    pub exports_dir: Arc<std::path::PathBuf>,
    /// Shared, not copied: the state is cloned for every request.
    pub mailer: Arc<mail::Mailer>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        rate_limiter: RateLimiter,
        data_dir: &std::path::Path,
        mailer: mail::Mailer,
    ) -> Self {
        AppState {
            store,
            clock: Arc::new(SystemClock),
            rate_limiter,
            exports_dir: Arc::new(data_dir.join("exports")),
            mailer: Arc::new(mailer),
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: every route, the OpenAPI document describing
/// them, and the cross-cutting layers.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = routes::router().split_for_parts();
    let openapi = Arc::new(openapi);
    let authenticate = axum::middleware::from_fn_with_state(state.clone(), auth::authenticate);
    let api: Router = api
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let openapi = openapi.clone();
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .layer(authenticate.clone())
        .with_state(state.clone());
    // The dashboard renders pages from the same API, called in process with
    // the session's login, so it can do nothing the API would refuse.
    let dashboard = dashboard::router(api.clone())
        .layer(authenticate)
        .with_state(state);
    api.merge(dashboard)
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Cached reads need be no fresher than the request's arrival, and
        // no answer leaves before the writes the request left pending.
        .layer(axum::middleware::from_fn(
            |request: Request<axum::body::Body>, next: axum::middleware::Next| {
                gatehouse_store::freshness::request(async move {
                    let response = next.run(request).await;
                    match gatehouse_store::freshness::settle().await {
                        Ok(()) => response,
                        Err(error) => ApiError::from(error).into_response(),
                    }
                })
            },
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("a request handler panicked".into()).into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let route = request
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map(|path| path.as_str().to_owned())
                        .unwrap_or_else(|| request.uri().path().to_owned());
                    let request_id = request
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!("request", method = %request.method(), route, request_id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
