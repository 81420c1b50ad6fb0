//! Groups: `/groups`, `/groups/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::errors::check_length;
use gatehouse_domain::org::check_time_zone;
use gatehouse_domain::{FieldErrors, GroupFields, MemberType, Principal, Scope};
use gatehouse_store::{GroupQuery, NameSort};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::GroupBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupRequest {
    group: GroupFieldsBody,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupFieldsBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    /// Create only: the place, or null for an organization-wide group.
    place_id: Option<i64>,
    login_enabled: Option<bool>,
    geofence_restriction_enabled: Option<bool>,
    primary_device_restriction_enabled: Option<bool>,
    managed_device_restriction_enabled: Option<bool>,
    reader_restriction_enabled: Option<bool>,
    time_restriction_enabled: Option<bool>,
    tap_to_access_restriction_enabled: Option<bool>,
    /// Deprecated.
    #[serde(default, deserialize_with = "nullable")]
    time_restriction_time_zone: Option<Option<String>>,
}

impl GroupFieldsBody {
    fn validate(self, creating: bool) -> Result<GroupFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        match &self.name {
            Some(name) => {
                errors.check("name", check_length(name.trim(), 1, 255));
            }
            None if creating => errors.add("name", "can't be blank"),
            None => {}
        }
        if let Some(Some(description)) = &self.description {
            errors.check("description", check_length(description, 0, 5000));
        }
        if !creating && self.place_id.is_some() {
            errors.add("place_id", "cannot be changed: a group stays in its place");
        }
        if let Some(Some(zone)) = &self.time_restriction_time_zone {
            errors.check("time_restriction_time_zone", check_time_zone(zone));
        }
        errors.into_result()?;
        Ok(GroupFields {
            name: self.name.map(|n| n.trim().to_owned()),
            description: self.description,
            place_id: self.place_id,
            login_enabled: self.login_enabled,
            geofence: self.geofence_restriction_enabled,
            primary_device: self.primary_device_restriction_enabled,
            managed_device: self.managed_device_restriction_enabled,
            reader: self.reader_restriction_enabled,
            time: self.time_restriction_enabled,
            tap_to_access: self.tap_to_access_restriction_enabled,
            time_restriction_time_zone: self.time_restriction_time_zone,
        })
    }
}

fn place_scope(place_id: Option<i64>) -> Scope {
    place_id.map_or(Scope::Organization, Scope::Place)
}

/// Groups the caller may see: organization managers and administrators see
/// all; others the groups they hold a role on and those of places they manage.
#[utoipa::path(get, path = "/groups", tag = "groups", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("query" = Option<String>, Query, description = "Part of the name"),
        ("scope" = Option<String>, Query, description = "`organization` (organization-wide groups) or `place`"),
        ("place_id" = Option<i64>, Query), ("sort" = Option<String>, Query, description = "`name` or `-name`"),
        ("limit" = Option<i64>, Query, description = "Default 10, at most 250"), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [GroupBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_groups(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<GroupBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    let place_id = params.int("place_id", &mut errors);
    let scope = params.one_of("scope", &["organization", "place"], &mut errors);
    let sort = match params.one_of("sort", &["name", "-name"], &mut errors) {
        Some("name") => NameSort::Name,
        Some("-name") => NameSort::NameDesc,
        _ => NameSort::Id,
    };
    errors.into_result()?;
    let query = GroupQuery {
        ids,
        query: params.get("query").map(str::to_owned),
        place_id: match (place_id, scope) {
            (Some(place_id), _) => Some(Some(place_id)),
            (None, Some("organization")) => Some(None),
            _ => None,
        },
        placed_only: scope == Some("place"),
        visible_to: policy::visibility(&caller, state.clock.now()),
        sort,
        page,
    };
    let groups = state
        .store
        .list_groups(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(groups, page, GroupBody::from))
}

/// Creates a group in a place (place administrators) or for the whole
/// organization (organization administrators).
#[utoipa::path(post, path = "/groups", tag = "groups", security(("Kisi-Login" = [])),
    request_body = GroupRequest,
    responses((status = 200, body = GroupBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_group(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<GroupRequest>,
) -> ApiResult<Json<GroupBody>> {
    let fields = request.group.validate(true)?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        place_scope(fields.place_id),
        now,
        "create groups here",
    )?;
    let group = state
        .store
        .create_group(&caller.actor(), caller.organization.id, &fields, now)
        .await?;
    Ok(Json(GroupBody::from(group)))
}

async fn visible_group(
    state: &AppState,
    caller: &Principal,
    id: i64,
) -> ApiResult<gatehouse_domain::Group> {
    let group = state.store.group(caller.organization.id, id).await?;
    let now = state.clock.now();
    let holds_role = caller
        .authority
        .grants
        .iter()
        .any(|g| g.scope.covers(group.scope()) && g.is_valid_at(now));
    if holds_role || caller.type_in(group.scope(), now) >= MemberType::Manager {
        Ok(group)
    } else {
        Err(ApiError::forbidden("see this group"))
    }
}

/// One group.
#[utoipa::path(get, path = "/groups/{id}", tag = "groups", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Group id")),
    responses((status = 200, body = GroupBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_group(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<GroupBody>> {
    Ok(Json(GroupBody::from(
        visible_group(&state, &caller, id).await?,
    )))
}

/// Changes a group. Its managers may rename it; restrictions are for
/// administrators. A group cannot move to another place.
#[utoipa::path(patch, path = "/groups/{id}", tag = "groups", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Group id")), request_body = GroupRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn update_group(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<GroupRequest>,
) -> ApiResult<StatusCode> {
    let group = visible_group(&state, &caller, id).await?;
    let fields = request.group.validate(false)?;
    let now = state.clock.now();
    let needed = if fields.touches_restrictions() {
        MemberType::Administrator
    } else {
        MemberType::Manager
    };
    policy::require(&caller, needed, group.scope(), now, "change this group")?;
    state
        .store
        .update_group(&caller.actor(), caller.organization.id, id, &fields, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a group and every access granted through it. Administrators only.
#[utoipa::path(delete, path = "/groups/{id}", tag = "groups", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Group id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_group(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let group = visible_group(&state, &caller, id).await?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        place_scope(group.place_id),
        now,
        "delete groups here",
    )?;
    state
        .store
        .delete_group(&caller.actor(), caller.organization.id, id, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
