//! Teams (`/teams`) and their memberships (`/team_memberships`). A role
//! given to a team reaches every member of it. Administrators manage teams;
//! team managers manage the memberships of their team.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::errors::check_length;
use gatehouse_domain::{FieldErrors, MemberType, Scope};
use gatehouse_store::{NameSort, TeamMembershipQuery, TeamQuery};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::{TeamBody, TeamMembershipBody};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team, delete_team))
        .routes(routes!(list_team_memberships, create_team_membership))
        .routes(routes!(get_team_membership, delete_team_membership))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TeamRequest {
    team: TeamFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TeamFields {
    name: Option<String>,
}

fn team_name(fields: TeamFields) -> ApiResult<String> {
    let mut errors = FieldErrors::new();
    let name = fields.name.unwrap_or_default().trim().to_owned();
    errors.check("name", check_length(&name, 1, 255));
    errors.into_result()?;
    Ok(name)
}

/// The organization's teams.
#[utoipa::path(get, path = "/teams", tag = "teams", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("query" = Option<String>, Query), ("scope" = Option<String>, Query),
        ("sort" = Option<String>, Query, description = "`name` or `-name`"), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [TeamBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_teams(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<TeamBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    params.one_of("scope", &["organization", "place"], &mut errors);
    let sort = match params.one_of("sort", &["name", "-name"], &mut errors) {
        Some("name") => NameSort::Name,
        Some("-name") => NameSort::NameDesc,
        _ => NameSort::Id,
    };
    errors.into_result()?;
    let query = TeamQuery {
        ids,
        query: params.get("query").map(str::to_owned),
        sort,
        page,
    };
    let teams = state
        .store
        .list_teams(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(teams, page, TeamBody::from))
}

/// Creates a team. Organization administrators only.
#[utoipa::path(post, path = "/teams", tag = "teams", security(("Kisi-Login" = [])), request_body = TeamRequest,
    responses((status = 200, body = TeamBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<TeamRequest>,
) -> ApiResult<Json<TeamBody>> {
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Organization,
        now,
        "create teams",
    )?;
    let name = team_name(request.team)?;
    let team = state
        .store
        .create_team(&caller.actor(), caller.organization.id, &name, now)
        .await?;
    Ok(Json(TeamBody::from(team)))
}

/// One team.
#[utoipa::path(get, path = "/teams/{id}", tag = "teams", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = TeamBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<TeamBody>> {
    Ok(Json(TeamBody::from(
        state.store.team(caller.organization.id, id).await?,
    )))
}

/// Renames a team. Organization administrators only.
#[utoipa::path(patch, path = "/teams/{id}", tag = "teams", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    request_body = TeamRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn update_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<TeamRequest>,
) -> ApiResult<StatusCode> {
    state.store.team(caller.organization.id, id).await?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Organization,
        now,
        "rename teams",
    )?;
    let name = team_name(request.team)?;
    state
        .store
        .update_team(&caller.actor(), caller.organization.id, id, &name, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a team with its memberships and every role given to or on it.
#[utoipa::path(delete, path = "/teams/{id}", tag = "teams", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    state.store.team(caller.organization.id, id).await?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Organization,
        now,
        "delete teams",
    )?;
    state
        .store
        .delete_team(&caller.actor(), caller.organization.id, id, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TeamMembershipRequest {
    team_membership: TeamMembershipFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TeamMembershipFields {
    team_id: Option<i64>,
    /// The user id.
    member_id: Option<i64>,
    /// `User` (gatehouse has no guests).
    member_type: Option<String>,
}

/// Team memberships.
#[utoipa::path(get, path = "/team_memberships", tag = "teams", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("team_id" = Option<i64>, Query), ("member_type" = Option<String>, Query),
        ("member_id" = Option<i64>, Query), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [TeamMembershipBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_team_memberships(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<TeamMembershipBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    let team_id = params.int("team_id", &mut errors);
    let member_type = params.one_of("member_type", &["User", "Guest"], &mut errors);
    let member_id = params.int("member_id", &mut errors);
    if member_id.is_some() != member_type.is_some() {
        errors.add("member_type", "and member_id come together");
    }
    errors.into_result()?;
    let query = TeamMembershipQuery {
        ids,
        team_id,
        // gatehouse has no guests: a guest filter matches nothing.
        user_id: member_id.map(|id| if member_type == Some("Guest") { -1 } else { id }),
        page,
    };
    let memberships = state
        .store
        .list_team_memberships(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(memberships, page, TeamMembershipBody::from))
}

/// Adds a member to a team. Team managers and organization administrators.
#[utoipa::path(post, path = "/team_memberships", tag = "teams", security(("Kisi-Login" = [])),
    request_body = TeamMembershipRequest,
    responses((status = 200, body = TeamMembershipBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_team_membership(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<TeamMembershipRequest>,
) -> ApiResult<Json<TeamMembershipBody>> {
    let f = request.team_membership;
    let mut errors = FieldErrors::new();
    if f.team_id.is_none() {
        errors.add("team_id", "can't be blank");
    }
    if f.member_id.is_none() {
        errors.add("member_id", "can't be blank");
    }
    match f.member_type.as_deref() {
        Some("User") => {}
        Some("Guest") => errors.add("member_type", "gatehouse has no guests; use User"),
        _ => errors.add("member_type", "must be User"),
    }
    errors.into_result()?;
    let (team_id, user_id) = (f.team_id.expect("checked"), f.member_id.expect("checked"));
    let now = state.clock.now();
    state
        .store
        .team(caller.organization.id, team_id)
        .await
        .map_err(|_| ApiError::invalid("team_id", "does not exist in this organization"))?;
    policy::require(
        &caller,
        MemberType::Manager,
        Scope::Team(team_id),
        now,
        "change this team",
    )?;
    if let Ok(target) = state
        .store
        .member_of_user(caller.organization.id, user_id)
        .await
    {
        if !gatehouse_domain::authority::may_change(caller.member_type(), target.member_type) {
            return Err(ApiError::forbidden("add a member who outranks you"));
        }
    }
    let membership = state
        .store
        .create_team_membership(
            &caller.actor(),
            caller.organization.id,
            team_id,
            user_id,
            now,
        )
        .await?;
    Ok(Json(TeamMembershipBody::from(membership)))
}

/// One team membership.
#[utoipa::path(get, path = "/team_memberships/{id}", tag = "teams", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = TeamMembershipBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_team_membership(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<TeamMembershipBody>> {
    Ok(Json(TeamMembershipBody::from(
        state
            .store
            .team_membership(caller.organization.id, id)
            .await?,
    )))
}

/// Removes a member from a team. Team managers and organization administrators.
#[utoipa::path(delete, path = "/team_memberships/{id}", tag = "teams", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_team_membership(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let membership = state
        .store
        .team_membership(caller.organization.id, id)
        .await?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Manager,
        Scope::Team(membership.team_id),
        now,
        "change this team",
    )?;
    state
        .store
        .delete_team_membership(&caller.actor(), caller.organization.id, id, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
