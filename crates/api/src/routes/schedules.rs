//! Group schedules (`/schedules`): when a group with `time_restriction_enabled`
//! may open its doors, in the place's local time. Managers of the group
//! manage its schedules.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::{
    FieldErrors, MemberType, NewSchedule, Principal, ScheduleKind, SchedulePatch, Timestamp,
};
use gatehouse_store::ScheduleQuery;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::ScheduleBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_schedules, create_schedule))
        .routes(routes!(get_schedule, update_schedule, delete_schedule))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScheduleRequest {
    schedule: ScheduleFields,
}

/// A recurring event (`monday`..`sunday` with `starts_at_time`,
/// `ends_at_time` as `hh:mm`) or a single event (`starts_at`, `ends_at`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScheduleFields {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    name: Option<Option<String>>,
    enabled: Option<bool>,
    #[serde(rename = "override")]
    override_others: Option<bool>,
    /// Groups take `allow` (the default).
    consequence: Option<String>,
    /// `Group` (gatehouse schedules groups).
    scheduleable_type: Option<String>,
    scheduleable_id: Option<i64>,
    monday: Option<bool>,
    tuesday: Option<bool>,
    wednesday: Option<bool>,
    thursday: Option<bool>,
    friday: Option<bool>,
    saturday: Option<bool>,
    sunday: Option<bool>,
    starts_at_time: Option<String>,
    ends_at_time: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    starts_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    ends_at: Option<Timestamp>,
}

fn parse_hhmm(value: &str) -> Result<u32, String> {
    let invalid = || "must be a time of day as hh:mm".to_string();
    let (h, m) = value.split_once(':').ok_or_else(invalid)?;
    let (h, m): (u32, u32) = (
        h.parse().map_err(|_| invalid())?,
        m.parse().map_err(|_| invalid())?,
    );
    if h < 24 && m < 60 && value.len() == 5 {
        Ok(h * 60 + m)
    } else {
        Err(invalid())
    }
}

impl ScheduleFields {
    /// The kind the fields describe, or `None` when they name none.
    fn kind(
        &self,
        current: Option<&ScheduleKind>,
        errors: &mut FieldErrors,
    ) -> Option<ScheduleKind> {
        if self.override_others == Some(true) {
            errors.add("override", "is not supported by gatehouse");
        }
        if self.consequence.as_deref().is_some_and(|c| c != "allow") {
            errors.add("consequence", "groups take allow");
        }
        let single = self.starts_at.is_some()
            || self.ends_at.is_some()
            || self.kind.as_deref() == Some("single_event");
        if single {
            let (from, until) = match current {
                Some(ScheduleKind::Single { starts_at, ends_at }) => (
                    self.starts_at.or(Some(*starts_at)),
                    self.ends_at.or(Some(*ends_at)),
                ),
                _ => (self.starts_at, self.ends_at),
            };
            return match (from, until) {
                (Some(from), Some(until)) if from < until => Some(ScheduleKind::Single {
                    starts_at: from,
                    ends_at: until,
                }),
                (Some(_), Some(_)) => {
                    errors.add("ends_at", "must be after starts_at");
                    None
                }
                _ => {
                    errors.add("starts_at", "and ends_at can't be blank");
                    None
                }
            };
        }
        let days = [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ];
        let touched = days.iter().any(Option::is_some)
            || self.starts_at_time.is_some()
            || self.ends_at_time.is_some();
        if !touched && self.kind.is_none() {
            return None;
        }
        if let Some(kind) = self.kind.as_deref().filter(|k| *k != "recurring_event") {
            errors.add(
                "type",
                format!("{kind} is not supported; use recurring_event or single_event"),
            );
            return None;
        }
        let (mut bits, mut start, mut end) = match current {
            Some(ScheduleKind::Recurring {
                days,
                start_minute,
                end_minute,
            }) => (*days, Some(*start_minute), Some(*end_minute)),
            _ => (0, None, None),
        };
        for (bit, day) in days.iter().enumerate() {
            match day {
                Some(true) => bits |= 1 << bit,
                Some(false) => bits &= !(1 << bit),
                None => {}
            }
        }
        if let Some(value) = &self.starts_at_time {
            start = errors.check("starts_at_time", parse_hhmm(value));
        }
        if let Some(value) = &self.ends_at_time {
            end = errors.check("ends_at_time", parse_hhmm(value));
        }
        if bits == 0 {
            errors.add("monday", "a recurring schedule needs at least one weekday");
        }
        match (start, end) {
            (Some(start), Some(end)) if start != end => Some(ScheduleKind::Recurring {
                days: bits,
                start_minute: start,
                end_minute: end,
            }),
            (Some(_), Some(_)) => {
                errors.add("ends_at_time", "must differ from starts_at_time");
                None
            }
            _ => {
                errors.add("starts_at_time", "and ends_at_time can't be blank");
                None
            }
        }
    }
}

async fn require_group_manager(
    state: &AppState,
    caller: &Principal,
    group_id: i64,
) -> ApiResult<()> {
    let group = state.store.group(caller.organization.id, group_id).await?;
    policy::require(
        caller,
        MemberType::Manager,
        group.scope(),
        state.clock.now(),
        "manage this group's schedules",
    )
}

/// Schedules of the groups the caller manages (`scheduleable_type=Group`
/// with `scheduleable_id` for one group's).
#[utoipa::path(get, path = "/schedules", tag = "doors", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("consequence" = Option<String>, Query),
        ("scheduleable_type" = Option<String>, Query), ("scheduleable_id" = Option<i64>, Query),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [ScheduleBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_schedules(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<ScheduleBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    let consequence = params.one_of(
        "consequence",
        &["allow", "first_to_arrive", "permit", "unlock"],
        &mut errors,
    );
    let kind = params.one_of(
        "scheduleable_type",
        &["Group", "Lock", "ElevatorStop"],
        &mut errors,
    );
    let scheduleable_id = params.int("scheduleable_id", &mut errors);
    if kind.is_some() != scheduleable_id.is_some() {
        errors.add("scheduleable_type", "and scheduleable_id come together");
    }
    errors.into_result()?;
    // gatehouse schedules groups only, and only to allow access.
    let nothing = consequence.is_some_and(|c| c != "allow") || kind.is_some_and(|k| k != "Group");
    let group_id = if nothing { Some(-1) } else { scheduleable_id };
    match group_id {
        Some(id) if id > 0 => require_group_manager(&state, &caller, id).await?,
        _ => policy::require(
            &caller,
            MemberType::Manager,
            gatehouse_domain::Scope::Organization,
            state.clock.now(),
            "list every schedule",
        )?,
    }
    let query = ScheduleQuery {
        ids,
        group_id,
        page,
    };
    let schedules = state
        .store
        .list_schedules(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(schedules, page, ScheduleBody::from))
}

/// Adds a schedule to a group.
#[utoipa::path(post, path = "/schedules", tag = "doors", security(("Kisi-Login" = [])), request_body = ScheduleRequest,
    responses((status = 200, body = ScheduleBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_schedule(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<ScheduleRequest>,
) -> ApiResult<Json<ScheduleBody>> {
    let f = request.schedule;
    let mut errors = FieldErrors::new();
    if f.scheduleable_type.as_deref().is_some_and(|t| t != "Group") {
        errors.add("scheduleable_type", "gatehouse schedules groups");
    }
    if f.scheduleable_id.is_none() {
        errors.add("scheduleable_id", "can't be blank");
    }
    let kind = f.kind(None, &mut errors);
    if kind.is_none() && errors.is_empty() {
        errors.add(
            "monday",
            "a recurring schedule needs weekdays and times, a single event starts_at and ends_at",
        );
    }
    errors.into_result()?;
    let group_id = f.scheduleable_id.expect("checked");
    state
        .store
        .group(caller.organization.id, group_id)
        .await
        .map_err(|_| ApiError::invalid("scheduleable_id", "does not exist in this organization"))?;
    require_group_manager(&state, &caller, group_id).await?;
    let new = NewSchedule {
        group_id,
        name: f.name.flatten(),
        enabled: f.enabled.unwrap_or(true),
        kind: kind.expect("checked"),
    };
    let created = state
        .store
        .create_schedule(
            &caller.actor(),
            caller.organization.id,
            &new,
            state.clock.now(),
        )
        .await?;
    Ok(Json(ScheduleBody::from(created)))
}

/// One schedule.
#[utoipa::path(get, path = "/schedules/{id}", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ScheduleBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_schedule(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<ScheduleBody>> {
    let schedule = state.store.schedule(caller.organization.id, id).await?;
    require_group_manager(&state, &caller, schedule.group_id).await?;
    Ok(Json(ScheduleBody::from(schedule)))
}

/// Changes a schedule (its kind stays).
#[utoipa::path(patch, path = "/schedules/{id}", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    request_body = ScheduleRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn update_schedule(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<ScheduleRequest>,
) -> ApiResult<StatusCode> {
    let existing = state.store.schedule(caller.organization.id, id).await?;
    require_group_manager(&state, &caller, existing.group_id).await?;
    let f = request.schedule;
    let mut errors = FieldErrors::new();
    if f.scheduleable_id.is_some_and(|g| g != existing.group_id) {
        errors.add("scheduleable_id", "cannot be changed");
    }
    let kind = f.kind(Some(&existing.kind), &mut errors);
    errors.into_result()?;
    let patch = SchedulePatch {
        name: f.name,
        enabled: f.enabled,
        kind,
    };
    state
        .store
        .update_schedule(
            &caller.actor(),
            caller.organization.id,
            id,
            &patch,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a schedule.
#[utoipa::path(delete, path = "/schedules/{id}", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_schedule(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let existing = state.store.schedule(caller.organization.id, id).await?;
    require_group_manager(&state, &caller, existing.group_id).await?;
    state
        .store
        .delete_schedule(
            &caller.actor(),
            caller.organization.id,
            id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_of_day() {
        assert_eq!(super::parse_hhmm("09:30"), Ok(570));
        assert_eq!(super::parse_hhmm("00:00"), Ok(0));
        assert!(super::parse_hhmm("24:00").is_err());
        assert!(super::parse_hhmm("9:30").is_err());
        assert!(super::parse_hhmm("noon").is_err());
    }
}
