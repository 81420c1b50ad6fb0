//! Doors in groups: `/group_locks`. Adding and removing doors is for
//! administrators of the group's place.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::{FieldErrors, MemberType, Scope};
use gatehouse_store::GroupLockQuery;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::GroupLockBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_group_locks, create_group_lock))
        .routes(routes!(get_group_lock, delete_group_lock))
}

fn place_scope(place_id: Option<i64>) -> Scope {
    place_id.map_or(Scope::Organization, Scope::Place)
}

/// The doors of a group (`group_id` is required).
#[utoipa::path(get, path = "/group_locks", tag = "doors", security(("Kisi-Login" = [])),
    params(("group_id" = i64, Query), ("ids" = Option<String>, Query), ("lock_id" = Option<i64>, Query),
        ("query" = Option<String>, Query, description = "Part of the door's name"), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [GroupLockBody], headers(("X-Collection-Range" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_group_locks(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<GroupLockBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    let lock_id = params.int("lock_id", &mut errors);
    let group_id = params.int("group_id", &mut errors);
    errors.into_result()?;
    let group_id = group_id.ok_or_else(|| ApiError::BadRequest("group_id is required".into()))?;
    let group = state.store.group(caller.organization.id, group_id).await?;
    let now = state.clock.now();
    let holds_role = caller
        .authority
        .grants
        .iter()
        .any(|g| g.scope.covers(group.scope()) && g.is_valid_at(now));
    if !holds_role && caller.type_in(group.scope(), now) < MemberType::Manager {
        return Err(ApiError::forbidden("see this group"));
    }
    let query = GroupLockQuery {
        group_id: Some(group_id),
        ids,
        lock_id,
        query: params.get("query").map(str::to_owned),
        page,
    };
    let group_locks = state
        .store
        .list_group_locks(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(group_locks, page, GroupLockBody::from))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupLockRequest {
    group_lock: GroupLockFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupLockFields {
    group_id: Option<i64>,
    lock_id: Option<i64>,
}

/// Adds a door to a group. The door must be in the group's place.
#[utoipa::path(post, path = "/group_locks", tag = "doors", security(("Kisi-Login" = [])), request_body = GroupLockRequest,
    responses((status = 200, body = GroupLockBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_group_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<GroupLockRequest>,
) -> ApiResult<Json<GroupLockBody>> {
    let f = request.group_lock;
    let mut errors = FieldErrors::new();
    if f.group_id.is_none() {
        errors.add("group_id", "can't be blank");
    }
    if f.lock_id.is_none() {
        errors.add("lock_id", "can't be blank");
    }
    errors.into_result()?;
    let (group_id, lock_id) = (f.group_id.expect("checked"), f.lock_id.expect("checked"));
    let group = state
        .store
        .group(caller.organization.id, group_id)
        .await
        .map_err(|_| ApiError::invalid("group_id", "does not exist in this organization"))?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        place_scope(group.place_id),
        now,
        "add doors to this group",
    )?;
    let created = state
        .store
        .create_group_lock(
            &caller.actor(),
            caller.organization.id,
            group_id,
            lock_id,
            now,
        )
        .await?;
    Ok(Json(GroupLockBody::from(created)))
}

/// One door of a group.
#[utoipa::path(get, path = "/group_locks/{id}", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = GroupLockBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_group_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<GroupLockBody>> {
    let group_lock = state.store.group_lock(caller.organization.id, id).await?;
    let now = state.clock.now();
    if caller.type_in(Scope::Place(group_lock.place_id), now) < MemberType::Manager
        && !caller
            .authority
            .grants
            .iter()
            .any(|g| matches!(g.scope, Scope::Group { id, .. } if id == group_lock.group_id))
    {
        return Err(ApiError::forbidden("see this group"));
    }
    Ok(Json(GroupLockBody::from(group_lock)))
}

/// Removes a door from a group.
#[utoipa::path(delete, path = "/group_locks/{id}", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_group_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let group_lock = state.store.group_lock(caller.organization.id, id).await?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Place(group_lock.place_id),
        now,
        "remove doors from this group",
    )?;
    state
        .store
        .delete_group_lock(&caller.actor(), caller.organization.id, id, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
