//! Access rights: `/role_assignments`, the deprecated `/shares` (group role
//! assignments of users, `basic` = `group_basic`, `manager` =
//! `group_manager`), and the role catalogue `/roles`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::authority::may_grant;
use gatehouse_domain::roles::AppliesTo;
use gatehouse_domain::{
    Assignee, AssigneeType, Email, FieldErrors, MemberType, NewRoleAssignment, Principal, Role,
    RoleAssignment, RoleAssignmentPatch, Scope, Timestamp,
};
use gatehouse_store::{NameSort, RoleAssignmentQuery};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::{share_role, RoleAssignmentBody, RoleBody, ShareBody};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_role_assignments, create_role_assignment))
        .routes(routes!(
            get_role_assignment,
            update_role_assignment,
            delete_role_assignment
        ))
        .routes(routes!(list_shares, create_share))
        .routes(routes!(get_share, update_share, delete_share))
        .routes(routes!(list_roles))
        .routes(routes!(get_role))
}

// ---- The rules every grant follows, whatever endpoint it comes through.

/// The scope named by `applies_to_type` and `applies_to_id`, with a group's
/// place looked up (place roles reach the groups of their place).
pub(super) async fn resolve_scope(
    state: &AppState,
    caller: &Principal,
    kind: &str,
    id: i64,
) -> ApiResult<Scope> {
    let missing = || ApiError::invalid("applies_to_id", "does not exist in this organization");
    match kind {
        "Organization" if id == caller.organization.id => Ok(Scope::Organization),
        "Organization" => Err(missing()),
        "Place" => {
            state
                .store
                .place(caller.organization.id, id, None)
                .await
                .map_err(|_| missing())?;
            Ok(Scope::Place(id))
        }
        "Group" => Ok(state
            .store
            .group(caller.organization.id, id)
            .await
            .map_err(|_| missing())?
            .scope()),
        "Team" => {
            state
                .store
                .team(caller.organization.id, id)
                .await
                .map_err(|_| missing())?;
            Ok(Scope::Team(id))
        }
        _ => Err(ApiError::invalid(
            "applies_to_type",
            "must be one of: Organization, Place, Group, Team",
        )),
    }
}

pub(super) fn applies_to(scope: Scope) -> AppliesTo {
    match scope {
        Scope::Organization => AppliesTo::Organization,
        Scope::Place(_) => AppliesTo::Place,
        Scope::Group { .. } => AppliesTo::Group,
        Scope::Team(_) => AppliesTo::Team,
    }
}

/// Anti-escalation and scoping: the caller must be at least a Manager where
/// the role applies (an Administrator for organization and team roles),
/// may not grant above their own type there, and may not touch someone who
/// outranks them.
pub(super) async fn authorize_grant(
    state: &AppState,
    caller: &Principal,
    scope: Scope,
    role: Role,
    assignee_user: Option<i64>,
    now: Timestamp,
) -> ApiResult<()> {
    let floor = match scope {
        Scope::Organization | Scope::Team(_) => MemberType::Administrator,
        Scope::Place(_) | Scope::Group { .. } => MemberType::Manager,
    };
    let caller_type = caller.type_in(scope, now);
    if caller_type < floor {
        return Err(ApiError::forbidden("grant access here"));
    }
    if !may_grant(caller_type, role) {
        return Err(ApiError::forbidden(&format!(
            "grant the role {} (it is above your own)",
            role.id()
        )));
    }
    if let Some(user_id) = assignee_user {
        if let Ok(target) = state
            .store
            .member_of_user(caller.organization.id, user_id)
            .await
        {
            if !gatehouse_domain::authority::may_change(caller.member_type(), target.member_type) {
                return Err(ApiError::forbidden(
                    "change the access of a member who outranks you",
                ));
            }
        }
    }
    Ok(())
}

/// Stores an authorized grant; with `notify`, the person is invited by e-mail.
async fn create(
    state: &AppState,
    caller: &Principal,
    new: NewRoleAssignment,
) -> ApiResult<RoleAssignment> {
    if new.notify {
        return crate::invitations::grant_and_notify(state, caller, new).await;
    }
    let now = state.clock.now();
    Ok(state
        .store
        .create_role_assignment(&caller.actor(), caller.organization.id, &new, now)
        .await?)
}

/// Removing access is the seed's "delete members of the group":
/// Administrators of the scope only.
fn authorize_revoke(
    caller: &Principal,
    assignment: &RoleAssignment,
    now: Timestamp,
) -> ApiResult<()> {
    let caller_type = caller.type_in(assignment.scope, now);
    if caller_type < MemberType::Administrator || !may_grant(caller_type, assignment.role) {
        return Err(ApiError::forbidden("remove this access"));
    }
    Ok(())
}

pub(super) fn check_window(
    scope: Scope,
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    errors: &mut FieldErrors,
) {
    if !matches!(scope, Scope::Group { .. }) && (from.is_some() || until.is_some()) {
        errors.add(
            "valid_from",
            "time-bounded access applies only to group roles",
        );
    }
    if let (Some(from), Some(until)) = (from, until) {
        if until <= from {
            errors.add("valid_until", "must be after valid_from");
        }
    }
}

/// The assignment if the caller may see it: their own, or one in a scope
/// they manage.
async fn visible_assignment(
    state: &AppState,
    caller: &Principal,
    id: i64,
) -> ApiResult<RoleAssignment> {
    let assignment = state
        .store
        .role_assignment(caller.organization.id, id)
        .await?;
    let now = state.clock.now();
    let own = assignment.assignee_type == AssigneeType::User
        && assignment.assignee_id == caller.login.user_id;
    if own || caller.type_in(assignment.scope, now) >= MemberType::Manager {
        Ok(assignment)
    } else {
        Err(ApiError::forbidden("see this access"))
    }
}

// ---- /role_assignments

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleAssignmentRequest {
    role_assignment: RoleAssignmentFields,
}

/// Both Kisi body forms: `applies_to_*`/`assignee_*`, or the legacy
/// `user_id` with `group_id`/`place_id`/`organization_id`. gatehouse also
/// takes `email` as the assignee: an unknown e-mail becomes a member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleAssignmentFields {
    applies_to_type: Option<String>,
    applies_to_id: Option<i64>,
    assignee_type: Option<String>,
    assignee_id: Option<i64>,
    role_id: Option<String>,
    notify: Option<bool>,
    user_id: Option<i64>,
    organization_id: Option<i64>,
    place_id: Option<i64>,
    group_id: Option<i64>,
    email: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "nullable")]
    valid_from: Option<Option<Timestamp>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "nullable")]
    valid_until: Option<Option<Timestamp>>,
}

/// Role assignments the caller may see (their own, and those in the scopes
/// they manage).
#[utoipa::path(get, path = "/role_assignments", tag = "access", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("query" = Option<String>, Query, description = "Part of the user's e-mail or name"),
        ("role_id" = Option<String>, Query), ("assignee_type" = Option<String>, Query), ("assignee_id" = Option<i64>, Query),
        ("applies_to_type" = Option<String>, Query), ("applies_to_id" = Option<i64>, Query),
        ("scope" = Option<String>, Query, description = "Deprecated: organization, place, group or team"),
        ("user_id" = Option<String>, Query, description = "Deprecated: a user id or me"),
        ("place_id" = Option<i64>, Query), ("group_id" = Option<i64>, Query),
        ("sort" = Option<String>, Query, description = "`user.name` or `-user.name`"),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [RoleAssignmentBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_role_assignments(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<RoleAssignmentBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let mut query = RoleAssignmentQuery {
        ids: params.ids(&mut errors),
        query: params.get("query").map(str::to_owned),
        role_ids: params.get("role_id").map(|r| vec![r.to_owned()]),
        place_id: params.int("place_id", &mut errors),
        visible_to: policy::visibility(&caller, state.clock.now()),
        page,
        ..RoleAssignmentQuery::default()
    };
    let assignee_type = params.one_of("assignee_type", &["User", "Team", "Guest"], &mut errors);
    let assignee_id = params.int("assignee_id", &mut errors);
    match (assignee_type, assignee_id) {
        (Some(kind), Some(id)) => {
            query.assignee = Some((
                if kind == "Team" {
                    AssigneeType::Team
                } else {
                    AssigneeType::User
                },
                id,
            ));
        }
        (None, Some(_)) => errors.add("assignee_type", "must come with assignee_id"),
        (Some(_), None) => errors.add("assignee_id", "must come with assignee_type"),
        (None, None) => {}
    }
    let applies_to_type = params.one_of(
        "applies_to_type",
        &["Organization", "Place", "Group", "Team"],
        &mut errors,
    );
    let applies_to_id = params.int("applies_to_id", &mut errors);
    match (applies_to_type, applies_to_id) {
        (Some(kind), Some(id)) => query.applies_to = Some((kind.to_owned(), id)),
        (None, Some(_)) => errors.add("applies_to_type", "must come with applies_to_id"),
        (Some(_), None) => errors.add("applies_to_id", "must come with applies_to_type"),
        (None, None) => {}
    }
    if let Some(group_id) = params.int("group_id", &mut errors) {
        query.applies_to = Some(("Group".into(), group_id));
    }
    if let Some(scope) = params.one_of(
        "scope",
        &["organization", "place", "group", "team"],
        &mut errors,
    ) {
        let mut kind = scope.to_owned();
        kind[..1].make_ascii_uppercase();
        query.applies_to_type = Some(kind);
    }
    match params.get("user_id") {
        None => {}
        Some("me") => query.assignee = Some((AssigneeType::User, caller.login.user_id)),
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) => query.assignee = Some((AssigneeType::User, id)),
            Err(_) => errors.add("user_id", "must be an integer or me"),
        },
    }
    query.sort = match params.one_of("sort", &["user.name", "-user.name"], &mut errors) {
        Some("user.name") => NameSort::Name,
        Some("-user.name") => NameSort::NameDesc,
        _ => NameSort::Id,
    };
    errors.into_result()?;
    let assignments = state
        .store
        .list_role_assignments(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(assignments, page, RoleAssignmentBody::from))
}

/// Grants a role on the organization, a place, a group or a team, to a user
/// or a team. A role above the caller's own is refused (403).
#[utoipa::path(post, path = "/role_assignments", tag = "access", security(("Kisi-Login" = [])),
    request_body = RoleAssignmentRequest,
    responses((status = 200, body = RoleAssignmentBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_role_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<RoleAssignmentRequest>,
) -> ApiResult<Json<RoleAssignmentBody>> {
    let f = request.role_assignment;
    let mut errors = FieldErrors::new();
    let role = match &f.role_id {
        Some(id) => errors.check("role_id", id.parse::<Role>()),
        None => {
            errors.add("role_id", "can't be blank");
            None
        }
    };
    let target = match (
        &f.applies_to_type,
        f.applies_to_id,
        f.group_id,
        f.place_id,
        f.organization_id,
    ) {
        (Some(kind), Some(id), ..) => Some((kind.clone(), id)),
        (None, None, Some(id), _, _) => Some(("Group".into(), id)),
        (None, None, None, Some(id), _) => Some(("Place".into(), id)),
        (None, None, None, None, Some(id)) => Some(("Organization".into(), id)),
        _ => {
            errors.add("applies_to_type", "and applies_to_id can't be blank");
            None
        }
    };
    let assignee = match (&f.assignee_type, f.assignee_id, f.user_id, &f.email) {
        (Some(kind), Some(id), None, None) => match kind.as_str() {
            "User" => Some(Assignee::User(id)),
            "Team" => Some(Assignee::Team(id)),
            _ => {
                errors.add(
                    "assignee_type",
                    "must be User or Team (gatehouse has no guests)",
                );
                None
            }
        },
        (None, None, Some(id), None) => Some(Assignee::User(id)),
        (None, None, None, Some(email)) => errors
            .check("email", Email::parse(email))
            .map(Assignee::Email),
        _ => {
            errors.add(
                "assignee_type",
                "and assignee_id (or user_id, or email) can't be blank",
            );
            None
        }
    };
    errors.into_result()?;
    let (role, (kind, id), assignee) = (
        role.expect("checked"),
        target.expect("checked"),
        assignee.expect("checked"),
    );
    let scope = resolve_scope(&state, &caller, &kind, id).await?;
    let (valid_from, valid_until) = (f.valid_from.flatten(), f.valid_until.flatten());
    let mut errors = FieldErrors::new();
    if role.applies_to() != applies_to(scope) {
        errors.add(
            "role_id",
            format!("applies to a {}, not a {kind}", role.applies_to().as_str()),
        );
    }
    check_window(scope, valid_from, valid_until, &mut errors);
    errors.into_result()?;
    let now = state.clock.now();
    let assignee_user = match &assignee {
        Assignee::User(id) => Some(*id),
        _ => None,
    };
    authorize_grant(&state, &caller, scope, role, assignee_user, now).await?;
    let new = NewRoleAssignment {
        role,
        scope,
        assignee,
        notify: f.notify.unwrap_or(false),
        valid_from,
        valid_until,
    };
    let created = create(&state, &caller, new).await?;
    Ok(Json(RoleAssignmentBody::from(created)))
}

/// One role assignment.
#[utoipa::path(get, path = "/role_assignments/{id}", tag = "access", security(("Kisi-Login" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = RoleAssignmentBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_role_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<RoleAssignmentBody>> {
    Ok(Json(RoleAssignmentBody::from(
        visible_assignment(&state, &caller, id).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleAssignmentPatchRequest {
    role_assignment: RoleAssignmentPatchFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleAssignmentPatchFields {
    role_id: Option<String>,
    notify: Option<bool>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "nullable")]
    valid_from: Option<Option<Timestamp>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "nullable")]
    valid_until: Option<Option<Timestamp>>,
}

/// Applies a change to an existing assignment under the grant rules.
async fn change(
    state: &AppState,
    caller: &Principal,
    existing: RoleAssignment,
    patch: RoleAssignmentPatch,
) -> ApiResult<StatusCode> {
    let mut errors = FieldErrors::new();
    if let Some(role) = patch.role {
        if role.applies_to() != applies_to(existing.scope) {
            errors.add(
                "role_id",
                format!(
                    "applies to a {}, not this {}",
                    role.applies_to().as_str(),
                    applies_to(existing.scope).as_str()
                ),
            );
        }
    }
    let from = patch.valid_from.unwrap_or(existing.valid_from);
    let until = patch.valid_until.unwrap_or(existing.valid_until);
    check_window(existing.scope, from, until, &mut errors);
    errors.into_result()?;
    let now = state.clock.now();
    let user = (existing.assignee_type == AssigneeType::User).then_some(existing.assignee_id);
    authorize_grant(state, caller, existing.scope, existing.role, user, now).await?;
    if let Some(role) = patch.role {
        authorize_grant(state, caller, existing.scope, role, user, now).await?;
    }
    state
        .store
        .update_role_assignment(
            &caller.actor(),
            caller.organization.id,
            existing.id,
            &patch,
            now,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the role, `notify`, or (group roles) the validity window.
#[utoipa::path(patch, path = "/role_assignments/{id}", tag = "access", security(("Kisi-Login" = [])),
    params(("id" = i64, Path)), request_body = RoleAssignmentPatchRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn update_role_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<RoleAssignmentPatchRequest>,
) -> ApiResult<StatusCode> {
    let existing = visible_assignment(&state, &caller, id).await?;
    let f = request.role_assignment;
    let mut errors = FieldErrors::new();
    let role = f
        .role_id
        .as_deref()
        .and_then(|r| errors.check("role_id", r.parse::<Role>()));
    errors.into_result()?;
    let patch = RoleAssignmentPatch {
        role,
        notify: f.notify,
        valid_from: f.valid_from,
        valid_until: f.valid_until,
    };
    change(&state, &caller, existing, patch).await
}

/// Removes the access. Administrators of the scope only.
#[utoipa::path(delete, path = "/role_assignments/{id}", tag = "access", security(("Kisi-Login" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_role_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let existing = visible_assignment(&state, &caller, id).await?;
    let now = state.clock.now();
    authorize_revoke(&caller, &existing, now)?;
    state
        .store
        .delete_role_assignment(&caller.actor(), caller.organization.id, id, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- /shares (deprecated)

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ShareRequest {
    share: ShareFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ShareFields {
    email: Option<String>,
    group_id: Option<i64>,
    notify: Option<bool>,
    /// `basic` (default) or `manager`.
    role_id: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "nullable")]
    valid_from: Option<Option<Timestamp>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "nullable")]
    valid_until: Option<Option<Timestamp>>,
}

fn share_role_of(value: Option<&str>, errors: &mut FieldErrors) -> Option<Role> {
    match value {
        None | Some("basic") => Some(Role::GroupBasic),
        Some("manager") => Some(Role::GroupManager),
        Some(_) => {
            errors.add("role_id", "must be basic or manager");
            None
        }
    }
}

const SHARE_ROLES: [&str; 2] = ["group_basic", "group_manager"];

async fn visible_share(state: &AppState, caller: &Principal, id: i64) -> ApiResult<RoleAssignment> {
    let assignment = visible_assignment(state, caller, id).await?;
    let is_share =
        share_role(assignment.role).is_some() && assignment.assignee_type == AssigneeType::User;
    if is_share {
        Ok(assignment)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Shares the caller may see: group access of users.
#[utoipa::path(get, path = "/shares", tag = "access", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("query" = Option<String>, Query), ("group_id" = Option<i64>, Query),
        ("member_id" = Option<i64>, Query), ("place_id" = Option<i64>, Query), ("user_id" = Option<String>, Query),
        ("role_id" = Option<String>, Query, description = "`basic` or `manager`"),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [ShareBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_shares(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<ShareBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let role_ids = match params.one_of("role_id", &["basic", "manager"], &mut errors) {
        Some("basic") => vec!["group_basic".to_owned()],
        Some("manager") => vec!["group_manager".to_owned()],
        _ => SHARE_ROLES.map(String::from).to_vec(),
    };
    let mut query = RoleAssignmentQuery {
        ids: params.ids(&mut errors),
        query: params.get("query").map(str::to_owned),
        role_ids: Some(role_ids),
        applies_to_type: Some("Group".into()),
        assignee_type: Some(AssigneeType::User),
        place_id: params.int("place_id", &mut errors),
        visible_to: policy::visibility(&caller, state.clock.now()),
        page,
        ..RoleAssignmentQuery::default()
    };
    if let Some(group_id) = params.int("group_id", &mut errors) {
        query.applies_to = Some(("Group".into(), group_id));
    }
    match params.get("user_id") {
        None => {}
        Some("me") => query.assignee = Some((AssigneeType::User, caller.login.user_id)),
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) => query.assignee = Some((AssigneeType::User, id)),
            Err(_) => errors.add("user_id", "must be an integer or me"),
        },
    }
    let member_id = params.int("member_id", &mut errors);
    errors.into_result()?;
    if let Some(member_id) = member_id {
        // An unknown member simply has no shares.
        let user_id = match state.store.member(caller.organization.id, member_id).await {
            Ok(member) => member.user_id,
            Err(_) => -1,
        };
        query.assignee = Some((AssigneeType::User, user_id));
    }
    let assignments = state
        .store
        .list_role_assignments(caller.organization.id, &query)
        .await?;
    let total = assignments.total;
    let items = assignments
        .items
        .into_iter()
        .filter_map(ShareBody::from_assignment)
        .collect();
    Ok(Listed { items, total, page })
}

/// Gives a person (by e-mail, created when missing) access to a group.
#[utoipa::path(post, path = "/shares", tag = "access", security(("Kisi-Login" = [])),
    request_body = ShareRequest,
    responses((status = 200, body = ShareBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_share(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<ShareRequest>,
) -> ApiResult<Json<ShareBody>> {
    let f = request.share;
    let mut errors = FieldErrors::new();
    let email = match &f.email {
        Some(email) => errors.check("email", Email::parse(email)),
        None => {
            errors.add("email", "can't be blank");
            None
        }
    };
    if f.group_id.is_none() {
        errors.add("group_id", "can't be blank");
    }
    let role = share_role_of(f.role_id.as_deref(), &mut errors);
    errors.into_result()?;
    let (email, role, group_id) = (
        email.expect("checked"),
        role.expect("checked"),
        f.group_id.expect("checked"),
    );
    let scope = state
        .store
        .group(caller.organization.id, group_id)
        .await
        .map_err(|_| ApiError::invalid("group_id", "does not exist in this organization"))?
        .scope();
    let (valid_from, valid_until) = (f.valid_from.flatten(), f.valid_until.flatten());
    let mut errors = FieldErrors::new();
    check_window(scope, valid_from, valid_until, &mut errors);
    errors.into_result()?;
    let now = state.clock.now();
    let existing_user = state
        .store
        .member_by_email(caller.organization.id, &email)
        .await?
        .map(|m| m.user_id);
    authorize_grant(&state, &caller, scope, role, existing_user, now).await?;
    let new = NewRoleAssignment {
        role,
        scope,
        assignee: Assignee::Email(email),
        notify: f.notify.unwrap_or(false),
        valid_from,
        valid_until,
    };
    let created = create(&state, &caller, new).await?;
    ShareBody::from_assignment(created)
        .map(Json)
        .ok_or_else(|| ApiError::Internal("a share was stored as something else".into()))
}

/// One share.
#[utoipa::path(get, path = "/shares/{id}", tag = "access", security(("Kisi-Login" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ShareBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_share(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<ShareBody>> {
    let assignment = visible_share(&state, &caller, id).await?;
    ShareBody::from_assignment(assignment)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SharePatchRequest {
    share: SharePatchFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SharePatchFields {
    notify: Option<bool>,
    role_id: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "nullable")]
    valid_from: Option<Option<Timestamp>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(default, deserialize_with = "nullable")]
    valid_until: Option<Option<Timestamp>>,
}

/// Changes a share's role, `notify` or validity window (not its e-mail or group).
#[utoipa::path(patch, path = "/shares/{id}", tag = "access", security(("Kisi-Login" = [])),
    params(("id" = i64, Path)), request_body = SharePatchRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn update_share(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<SharePatchRequest>,
) -> ApiResult<StatusCode> {
    let existing = visible_share(&state, &caller, id).await?;
    let f = request.share;
    let mut errors = FieldErrors::new();
    let role = f
        .role_id
        .as_deref()
        .map(|r| share_role_of(Some(r), &mut errors));
    errors.into_result()?;
    let patch = RoleAssignmentPatch {
        role: role.flatten(),
        notify: f.notify,
        valid_from: f.valid_from,
        valid_until: f.valid_until,
    };
    change(&state, &caller, existing, patch).await
}

/// Removes a share. Administrators of the group's scope only.
#[utoipa::path(delete, path = "/shares/{id}", tag = "access", security(("Kisi-Login" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_share(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let existing = visible_share(&state, &caller, id).await?;
    let now = state.clock.now();
    authorize_revoke(&caller, &existing, now)?;
    state
        .store
        .delete_role_assignment(&caller.actor(), caller.organization.id, id, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- /roles

/// The role catalogue with each role's permission map. Not paginated.
#[utoipa::path(get, path = "/roles", tag = "access", security(("Kisi-Login" = [])),
    responses((status = 200, body = [RoleBody]), (status = 401, body = ErrorBody)))]
async fn list_roles(Auth(_caller): Auth) -> Json<Vec<RoleBody>> {
    Json(Role::ALL.into_iter().map(RoleBody::from).collect())
}

/// One role, by its string id (e.g. `group_basic`).
#[utoipa::path(get, path = "/roles/{id}", tag = "access", security(("Kisi-Login" = [])),
    params(("id" = String, Path, description = "Role id, e.g. group_basic")),
    responses((status = 200, body = RoleBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_role(
    Auth(_caller): Auth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> ApiResult<Json<RoleBody>> {
    id.parse::<Role>()
        .map(|role| Json(RoleBody::from(role)))
        .map_err(|_| ApiError::NotFound)
}
