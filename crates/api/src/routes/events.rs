//! The event log: `GET /events` (gatehouse's offset-paged list) and
//! `GET /events/types`. A Basic member sees their own history, a Manager the
//! events of the groups and places they manage, administrators everything.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Duration};
use gatehouse_domain::{FieldErrors, Principal, Timestamp};
use gatehouse_store::{EventQuery, Page};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::error::{ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::EventBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(event_types))
        .routes(routes!(create_event_set))
        .routes(routes!(get_event_set))
}

/// Every event type gatehouse records.
pub const EVENT_TYPES: &[&str] = &[
    "group.create",
    "group.destroy",
    "group.update",
    "group_link.create",
    "group_link.destroy",
    "group_lock.create",
    "group_lock.destroy",
    "invite.create",
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
        ..EventQuery::default()
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

/// The filters of an event set, echoed back in the EventSet object.
#[derive(Debug, Default, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSetFilters {
    /// ISO 8601 `start/end`, `start/duration` or `duration/end`; default
    /// the last 90 days, at most 90 days wide.
    pub interval: Option<String>,
    pub event_actor_id: Option<i64>,
    pub event_actor_type: Option<String>,
    pub event_authenticated_by_id: Option<i64>,
    pub event_authenticated_by_type: Option<String>,
    pub event_object_id: Option<i64>,
    pub event_object_type: Option<String>,
    pub event_place_id: Option<i64>,
    pub event_success: Option<bool>,
    /// Comma-separated sequences.
    pub event_sequence: Option<String>,
    /// Comma-separated event types.
    pub event_type: Option<String>,
    /// Comma-separated uuids.
    pub event_uuid: Option<String>,
    pub place_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EventSetRequest {
    event_set: EventSetFilters,
}

/// Kisi's EventSet: the query, its status, a page of events and the cursor
/// to the next page (null when nothing is left).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventSetBody {
    pub id: i64,
    pub created_at: String,
    /// gatehouse answers at once: always `finished`.
    pub status: &'static str,
    pub interval: String,
    pub event_actor_id: Option<i64>,
    pub event_actor_type: Option<String>,
    pub event_authenticated_by_id: Option<i64>,
    pub event_authenticated_by_type: Option<String>,
    pub event_object_id: Option<i64>,
    pub event_object_type: Option<String>,
    pub event_place_id: Option<i64>,
    pub event_success: Option<bool>,
    pub event_sequence: Option<String>,
    pub event_type: Option<String>,
    pub event_uuid: Option<String>,
    pub events: Vec<EventBody>,
    pub cursor: Option<String>,
    pub place_id: Option<i64>,
}

/// An ISO 8601 duration such as `P90D`, `PT2H30M` or `P1W`.
fn parse_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = Duration::zero();
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
            } else {
                let seconds = units.iter().find(|(unit, _)| *unit == c)?.1;
                total += Duration::seconds(number.parse::<i64>().ok()?.checked_mul(seconds)?);
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    take(date, &[('W', 604_800), ('D', 86_400)])?;
    take(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    (total > Duration::zero()).then_some(total)
}

fn parse_instant(text: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
}

/// `start/end`, `start/duration` or `duration/end`; a bare duration is refused.
pub fn parse_interval(text: &str) -> Result<(Timestamp, Timestamp), String> {
    let invalid =
        || "must be an ISO 8601 interval: start/end, start/duration or duration/end".to_string();
    let (a, b) = text.split_once('/').ok_or_else(invalid)?;
    let (from, until) = match (
        parse_instant(a),
        parse_instant(b),
        parse_duration(a),
        parse_duration(b),
    ) {
        (Some(from), Some(until), _, _) => (from, until),
        (Some(from), None, _, Some(length)) => (from, from + length),
        (None, Some(until), Some(length), _) => (until - length, until),
        _ => return Err(invalid()),
    };
    if until <= from {
        return Err("must end after it starts".into());
    }
    if until - from > Duration::days(90) {
        return Err("may not be wider than 90 days".into());
    }
    Ok((from, until))
}

fn list(text: &Option<String>) -> Option<Vec<String>> {
    text.as_ref().map(|t| {
        t.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

const EVENT_SET_PAGE: i64 = 50;

async fn render_set(
    state: &AppState,
    caller: &Principal,
    id: i64,
    cursor: Option<i64>,
    limit: i64,
) -> ApiResult<EventSetBody> {
    let set = state.store.event_set(caller.organization.id, id).await?;
    let filters: EventSetFilters = serde_json::from_str(&set.filters)
        .map_err(|e| ApiError::Internal(format!("event set {id}: {e}")))?;
    let query = EventQuery {
        event_types: list(&filters.event_type),
        uuids: list(&filters.event_uuid),
        actor_id: filters.event_actor_id,
        actor_type: filters.event_actor_type.clone(),
        authenticated_by: filters
            .event_authenticated_by_type
            .clone()
            .zip(filters.event_authenticated_by_id),
        object_type: filters.event_object_type.clone(),
        object_id: filters.event_object_id,
        place_id: filters.event_place_id.or(filters.place_id),
        success: filters.event_success,
        since: Some(set.interval.0),
        until: Some(set.interval.1),
        before_sequence: cursor,
        visible_to: policy::visibility(caller, state.clock.now()),
        page: Page::new(limit, 0),
        ..EventQuery::default()
    };
    let events = state
        .store
        .list_events(caller.organization.id, &query)
        .await?;
    let full = events.items.len() as i64 == limit;
    let next = events
        .items
        .last()
        .filter(|_| full)
        .map(|e| e.sequence.to_string());
    Ok(EventSetBody {
        id: set.id,
        created_at: crate::wire::time(set.created_at),
        status: "finished",
        interval: format!(
            "{}/{}",
            crate::wire::time(set.interval.0),
            crate::wire::time(set.interval.1)
        ),
        event_actor_id: filters.event_actor_id,
        event_actor_type: filters.event_actor_type,
        event_authenticated_by_id: filters.event_authenticated_by_id,
        event_authenticated_by_type: filters.event_authenticated_by_type,
        event_object_id: filters.event_object_id,
        event_object_type: filters.event_object_type,
        event_place_id: filters.event_place_id,
        event_success: filters.event_success,
        event_sequence: filters.event_sequence,
        event_type: filters.event_type,
        event_uuid: filters.event_uuid,
        events: events.items.into_iter().map(EventBody::from).collect(),
        cursor: next,
        place_id: filters.place_id,
    })
}

/// Queries the event log: stores the filters (for a day) and answers with
/// the first page of events, newest first, and a cursor to the next.
#[utoipa::path(post, path = "/event_sets", tag = "events", security(("Kisi-Login" = [])), request_body = EventSetRequest,
    responses((status = 200, body = EventSetBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn create_event_set(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<EventSetRequest>,
) -> ApiResult<Json<EventSetBody>> {
    let filters = request.event_set;
    let now = state.clock.now();
    let mut errors = FieldErrors::new();
    let interval = match &filters.interval {
        Some(text) => errors.check("interval", parse_interval(text)),
        None => Some((now - Duration::days(90), now)),
    };
    if filters.place_id.is_some() && filters.event_place_id.is_some() {
        errors.add(
            "place_id",
            "use either place_id or event_place_id, not both",
        );
    }
    if filters.event_sequence.is_some() {
        errors.add(
            "event_sequence",
            "is not supported by gatehouse; page with the cursor",
        );
    }
    if filters.event_authenticated_by_id.is_some() != filters.event_authenticated_by_type.is_some()
    {
        errors.add(
            "event_authenticated_by_type",
            "and event_authenticated_by_id come together",
        );
    }
    errors.into_result()?;
    let stored = serde_json::to_string(&filters).map_err(|e| ApiError::Internal(e.to_string()))?;
    let id = state
        .store
        .create_event_set(
            caller.organization.id,
            caller.login.user_id,
            &stored,
            interval.expect("checked"),
            now,
        )
        .await?;
    Ok(Json(
        render_set(&state, &caller, id, None, EVENT_SET_PAGE).await?,
    ))
}

/// A page of an event set: `cursor` from the previous page, `limit` up to 250 (default 50).
#[utoipa::path(get, path = "/event_sets/{id}", tag = "events", security(("Kisi-Login" = [])),
    params(("id" = i64, Path), ("cursor" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = EventSetBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn get_event_set(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    params: Params,
) -> ApiResult<Json<EventSetBody>> {
    let mut errors = FieldErrors::new();
    let cursor = params.int("cursor", &mut errors);
    let limit = params.int("limit", &mut errors).unwrap_or(EVENT_SET_PAGE);
    if !(1..=250).contains(&limit) {
        errors.add("limit", "must be between 1 and 250");
    }
    errors.into_result()?;
    Ok(Json(render_set(&state, &caller, id, cursor, limit).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        let (from, until) = parse_interval("2026-01-01T00:00:00Z/2026-01-02T00:00:00Z").unwrap();
        assert_eq!(until - from, Duration::days(1));
        let (from, until) = parse_interval("2026-01-01T00:00:00Z/PT2H30M").unwrap();
        assert_eq!(until - from, Duration::minutes(150));
        let (from, until) = parse_interval("P1W/2026-01-08T00:00:00Z").unwrap();
        assert_eq!(from.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(until - from, Duration::days(7));
        assert!(parse_interval("P1D").is_err(), "a bare duration");
        assert!(
            parse_interval("P91D/2026-06-01T00:00:00Z").is_err(),
            "wider than 90 days"
        );
        assert!(parse_interval("2026-01-02T00:00:00Z/2026-01-01T00:00:00Z").is_err());
        assert!(parse_interval("yesterday/today").is_err());
        assert_eq!(parse_duration("PT90S"), Some(Duration::seconds(90)));
        assert_eq!(parse_duration("P2X"), None);
    }
}
