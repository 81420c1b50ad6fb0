//! The event log: `GET /events` (gatehouse's offset-paged list) and
//! `GET /events/types`. A Basic member sees their own history, a Manager the
//! events of the groups and places they manage, administrators everything.

use axum::extract::State;
use axum::Json;
use chrono::DateTime;
use gatehouse_domain::FieldErrors;
use gatehouse_store::EventQuery;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{Auth, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::EventBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(event_types))
}

/// Every event type gatehouse records.
pub const EVENT_TYPES: &[&str] = &[
    "group.create",
    "group.destroy",
    "group.update",
    "group_lock.create",
    "group_lock.destroy",
    "lock.cancel_lockdown",
    "lock.create",
    "lock.destroy",
    "lock.lock_down",
    "lock.unlock",
    "lock.update",
    "login.create",
    "login.destroy",
    "member.create",
    "member.destroy",
    "member.restore",
    "member.suspend",
    "member.update",
    "organization.create",
    "organization.update",
    "place.cancel_lockdown",
    "place.create",
    "place.destroy",
    "place.lock_down",
    "place.update",
    "role_assignment.create",
    "role_assignment.destroy",
    "role_assignment.update",
    "schedule.create",
    "schedule.destroy",
    "schedule.update",
    "team.create",
    "team.destroy",
    "team.update",
    "team_membership.create",
    "team_membership.destroy",
    "user.destroy",
    "user.update",
    "user.update_password",
];

fn timestamp(
    params: &Params,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<gatehouse_domain::Timestamp> {
    let raw = params.get(key)?;
    errors.check(
        key,
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.to_utc())
            .map_err(|_| "must be an RFC 3339 date-time"),
    )
}

/// Events the caller may see, newest first. Filters: `type`, `actor_id`,
/// `object_type`, `object_id`, `place_id`, `success`, `since`, `until`.
#[utoipa::path(get, path = "/events", tag = "events", security(("Kisi-Login" = [])),
    params(("type" = Option<String>, Query, description = "e.g. lock.unlock"), ("actor_id" = Option<i64>, Query),
        ("object_type" = Option<String>, Query), ("object_id" = Option<i64>, Query), ("place_id" = Option<i64>, Query),
        ("success" = Option<bool>, Query), ("since" = Option<String>, Query, description = "RFC 3339, inclusive"),
        ("until" = Option<String>, Query, description = "RFC 3339, exclusive"),
        ("limit" = Option<i64>, Query, description = "Default 10, at most 250"), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [EventBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_events(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<EventBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let query = EventQuery {
        event_type: params.get("type").map(str::to_owned),
        object_type: params.get("object_type").map(str::to_owned),
        object_id: params.int("object_id", &mut errors),
        actor_id: params.int("actor_id", &mut errors),
        place_id: params.int("place_id", &mut errors),
        success: params.bool("success", &mut errors),
        since: timestamp(&params, "since", &mut errors),
        until: timestamp(&params, "until", &mut errors),
        visible_to: policy::visibility(&caller, state.clock.now()),
        page,
    };
    errors.into_result()?;
    let events = state
        .store
        .list_events(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(events, page, EventBody::from))
}

/// The `object.action` event types gatehouse records.
#[utoipa::path(get, path = "/events/types", tag = "events", security(("Kisi-Login" = [])),
    responses((status = 200, body = [String]), (status = 401, body = ErrorBody)))]
async fn event_types(Auth(_caller): Auth) -> Json<&'static [&'static str]> {
    Json(EVENT_TYPES)
}
