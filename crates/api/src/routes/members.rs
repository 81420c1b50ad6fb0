//! Members (`/members`, deprecated but served) and users (`/users`): two
//! Kisi views of the same memberships. `/members/{id}` takes a member id,
//! `/users/{id}` a user id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::errors::check_length;
use gatehouse_domain::members::check_metadata;
use gatehouse_domain::{
    Email, FieldErrors, FlagsPatch, Member, MemberFlags, MemberPatch, MemberType, NewMember,
    Principal, Scope,
};
use gatehouse_store::{MemberQuery, MemberSort};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::user::check_url;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::{MemberBody, UserBody};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_members, create_member))
        .routes(routes!(get_member, update_member, delete_member))
        .routes(routes!(suspend_member))
        .routes(routes!(restore_member))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
}

/// The fields of a member or user create and update. Everything but the
/// e-mail is optional; the e-mail cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberFields {
    email: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    image: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    notes: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    /// Welcome the new member by e-mail, with how to sign in (default false).
    send_emails: Option<bool>,
    /// Accepted; a user is confirmed once they set a password.
    confirm: Option<bool>,
    access_enabled: Option<bool>,
    password_flow_enabled: Option<bool>,
    link_enabled: Option<bool>,
    app_enabled: Option<bool>,
    card_enabled: Option<bool>,
    cards_without_activation_enabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberRequest {
    member: MemberFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserRequest {
    user: MemberFields,
}

impl MemberFields {
    fn flags(&self) -> FlagsPatch {
        FlagsPatch {
            access_enabled: self.access_enabled,
            password_flow_enabled: self.password_flow_enabled,
            link_enabled: self.link_enabled,
            app_enabled: self.app_enabled,
            card_enabled: self.card_enabled,
            cards_without_activation_enabled: self.cards_without_activation_enabled,
        }
    }

    /// Checks the common fields, recording every problem.
    fn check(&self, errors: &mut FieldErrors) -> Option<String> {
        let _ = self.confirm;
        if let Some(name) = &self.name {
            errors.check("name", check_length(name.trim(), 1, 255));
        }
        if let Some(Some(image)) = &self.image {
            errors.check("image", check_url(image));
        }
        if let Some(Some(notes)) = &self.notes {
            errors.check("notes", check_length(notes, 0, 5000));
        }
        self.metadata
            .as_ref()
            .and_then(|m| errors.check("metadata", check_metadata(m)))
    }

    fn into_new(self, caller: &Principal) -> ApiResult<NewMember> {
        let mut errors = FieldErrors::new();
        let email = match &self.email {
            Some(email) => errors.check("email", Email::parse(email)),
            None => {
                errors.add("email", "can't be blank");
                None
            }
        };
        let metadata = self.check(&mut errors);
        let subscription = caller.organization.subscription;
        let flags = self.flags().apply(
            subscription,
            MemberFlags::defaults(subscription),
            &mut errors,
        );
        errors.into_result()?;
        Ok(NewMember {
            email: email.expect("checked above"),
            name: self.name.map(|n| n.trim().to_owned()),
            image: self.image.flatten(),
            notes: self.notes.flatten(),
            metadata: metadata.unwrap_or_else(|| "{}".into()),
            flags,
        })
    }

    fn into_patch(self, caller: &Principal, current: &Member) -> ApiResult<MemberPatch> {
        let mut errors = FieldErrors::new();
        if self
            .email
            .as_deref()
            .is_some_and(|e| !e.eq_ignore_ascii_case(&current.user_email))
        {
            errors.add("email", "cannot be changed");
        }
        let metadata = self.check(&mut errors);
        let flags = self.flags();
        flags.apply(caller.organization.subscription, current.flags, &mut errors);
        errors.into_result()?;
        Ok(MemberPatch {
            name: self.name.map(|n| n.trim().to_owned()),
            image: self.image,
            notes: self.notes,
            metadata,
            flags,
        })
    }
}

/// Parses the list parameters shared by `/members` and `/users`.
fn member_query(
    params: &Params,
    caller: &Principal,
    now: gatehouse_domain::Timestamp,
) -> ApiResult<MemberQuery> {
    let mut errors = FieldErrors::new();
    let page = paging::page(params, paging::PEOPLE, &mut errors);
    let ids = params.ids(&mut errors);
    let place_id = params.int("place_id", &mut errors);
    let group_id = params.int("group_id", &mut errors);
    let user_id = match params.get("user_id") {
        None => None,
        Some("me") => Some(caller.login.user_id),
        Some(raw) => errors.check(
            "user_id",
            raw.parse::<i64>().map_err(|_| "must be an integer or me"),
        ),
    };
    let sort = match params.one_of(
        "sort",
        &[
            "name",
            "-name",
            "unlock",
            "-unlock",
            "access_enabled",
            "-access_enabled",
        ],
        &mut errors,
    ) {
        Some("name") => MemberSort::Name,
        Some("-name") => MemberSort::NameDesc,
        Some("unlock") => MemberSort::Unlock,
        Some("-unlock") => MemberSort::UnlockDesc,
        Some("access_enabled") => MemberSort::AccessEnabled,
        Some("-access_enabled") => MemberSort::AccessEnabledDesc,
        _ => MemberSort::Id,
    };
    errors.into_result()?;
    Ok(MemberQuery {
        ids,
        user_id,
        email: params.get("email").map(str::to_owned),
        place_id,
        group_id,
        query: params.get("query").map(str::to_owned),
        visible_to: policy::visibility(caller, now),
        sort,
        page,
        ..MemberQuery::default()
    })
}

/// Adding members is for Managers and Administrators (seed: "add members").
fn require_adder(caller: &Principal) -> ApiResult<()> {
    if caller.member_type() >= MemberType::Manager {
        Ok(())
    } else {
        Err(ApiError::forbidden("add members"))
    }
}

async fn load_visible(state: &AppState, caller: &Principal, member: Member) -> ApiResult<Member> {
    let authority = state
        .store
        .authority(caller.organization.id, member.user_id)
        .await?;
    policy::may_view_member(caller, &member, &authority, state.clock.now())?;
    Ok(member)
}

async fn edit(
    state: &AppState,
    caller: &Principal,
    member: Member,
    fields: MemberFields,
) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    let authority = state
        .store
        .authority(caller.organization.id, member.user_id)
        .await?;
    policy::may_edit_member(caller, &member, &authority, now)?;
    let patch = fields.into_patch(caller, &member)?;
    state
        .store
        .update_member(
            &caller.actor(),
            caller.organization.id,
            member.id,
            &patch,
            now,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_access(
    state: &AppState,
    caller: &Principal,
    id: i64,
    access_enabled: bool,
) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    let member = state.store.member(caller.organization.id, id).await?;
    let authority = state
        .store
        .authority(caller.organization.id, member.user_id)
        .await?;
    policy::may_edit_member(caller, &member, &authority, now)?;
    let patch = MemberPatch {
        flags: FlagsPatch {
            access_enabled: Some(access_enabled),
            ..FlagsPatch::default()
        },
        ..MemberPatch::default()
    };
    state
        .store
        .update_member(&caller.actor(), caller.organization.id, id, &patch, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removing a member from the organization is for organization
/// administrators (seed: only Administrators delete members).
async fn remove(state: &AppState, caller: &Principal, member: Member) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    policy::require(
        caller,
        MemberType::Administrator,
        Scope::Organization,
        now,
        "delete members",
    )?;
    if member.member_type == MemberType::Owner {
        return Err(ApiError::forbidden("delete the organization's owner"));
    }
    if !gatehouse_domain::authority::may_change(caller.member_type(), member.member_type) {
        return Err(ApiError::forbidden("delete a member who outranks you"));
    }
    state
        .store
        .delete_member(&caller.actor(), caller.organization.id, member.id, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

const LIST_PARAMS_DOC: &str =
    "ids, place_id, group_id, query (name, e-mail, notes), user_id (id or me), \
    sort (name, unlock, access_enabled, each with -), limit (50, at most 100), offset";

/// Members of the organization that the caller may see.
#[utoipa::path(get, path = "/members", tag = "members", security(("Kisi-Login" = [])),
    description = LIST_PARAMS_DOC,
    params(("ids" = Option<String>, Query), ("place_id" = Option<i64>, Query), ("group_id" = Option<i64>, Query),
        ("query" = Option<String>, Query), ("user_id" = Option<String>, Query), ("sort" = Option<String>, Query),
        ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [MemberBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_members(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<MemberBody>> {
    let query = member_query(&params, &caller, state.clock.now())?;
    let members = state
        .store
        .list_members(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(members, query.page, MemberBody::from))
}

/// Adds the member; with `send_emails`, welcomes them by e-mail with how to
/// sign in (a one-time sign-in code when they have no password).
async fn add(state: &AppState, caller: &Principal, fields: MemberFields) -> ApiResult<Member> {
    require_adder(caller)?;
    let send_emails = fields.send_emails.unwrap_or(false);
    let new = fields.into_new(caller)?;
    let member = state
        .store
        .create_member(
            &caller.actor(),
            caller.organization.id,
            &new,
            state.clock.now(),
        )
        .await?;
    if send_emails {
        let sign_in = crate::invitations::sign_in_of(
            state,
            caller.organization.id,
            member.user_id,
            member.confirmed && member.flags.password_flow_enabled,
            true,
        )
        .await?;
        state.mailer.send(crate::messages::welcome(
            &member.user_email,
            &member.name,
            &crate::invitations::org_of(caller),
            &sign_in,
        ));
    }
    Ok(member)
}

/// Adds a member by e-mail: an unknown e-mail creates the user profile, a
/// known one (any letter case) links to it.
#[utoipa::path(post, path = "/members", tag = "members", security(("Kisi-Login" = [])),
    request_body = MemberRequest,
    responses((status = 200, body = MemberBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_member(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<MemberRequest>,
) -> ApiResult<Json<MemberBody>> {
    let member = add(&state, &caller, request.member).await?;
    Ok(Json(MemberBody::from(member)))
}

/// One member.
#[utoipa::path(get, path = "/members/{id}", tag = "members", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Member id")),
    responses((status = 200, body = MemberBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_member(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<MemberBody>> {
    let member = state.store.member(caller.organization.id, id).await?;
    Ok(Json(MemberBody::from(
        load_visible(&state, &caller, member).await?,
    )))
}

/// Changes a member: name, image, notes, metadata and the permission flags.
#[utoipa::path(patch, path = "/members/{id}", tag = "members", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Member id")), request_body = MemberRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn update_member(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<MemberRequest>,
) -> ApiResult<StatusCode> {
    let member = state.store.member(caller.organization.id, id).await?;
    edit(&state, &caller, member, request.member).await
}

/// Removes the member from the organization; the user profile stays.
#[utoipa::path(delete, path = "/members/{id}", tag = "members", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Member id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_member(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let member = state.store.member(caller.organization.id, id).await?;
    remove(&state, &caller, member).await
}

/// Suspends the member's access: no door opens for them, by any credential.
#[utoipa::path(post, path = "/members/{id}/suspend", tag = "members", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Member id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn suspend_member(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_access(&state, &caller, id, false).await
}

/// Restores a suspended member's access.
#[utoipa::path(post, path = "/members/{id}/restore", tag = "members", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Member id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn restore_member(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_access(&state, &caller, id, true).await
}

/// Users of the organization that the caller may see (`email` filters exactly).
#[utoipa::path(get, path = "/users", tag = "members", security(("Kisi-Login" = [])),
    description = LIST_PARAMS_DOC,
    params(("ids" = Option<String>, Query, description = "User ids"), ("email" = Option<String>, Query),
        ("place_id" = Option<i64>, Query), ("group_id" = Option<i64>, Query), ("query" = Option<String>, Query),
        ("user_id" = Option<String>, Query), ("sort" = Option<String>, Query), ("limit" = Option<i64>, Query),
        ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [UserBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_users(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<UserBody>> {
    let mut query = member_query(&params, &caller, state.clock.now())?;
    query.ids_are_users = true;
    let members = state
        .store
        .list_members(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(members, query.page, UserBody::from))
}

/// Adds a user to the organization by e-mail (the same as `POST /members`).
#[utoipa::path(post, path = "/users", tag = "members", security(("Kisi-Login" = [])),
    request_body = UserRequest,
    responses((status = 200, body = UserBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<UserRequest>,
) -> ApiResult<Json<UserBody>> {
    let member = add(&state, &caller, request.user).await?;
    Ok(Json(UserBody::from(member)))
}

/// One user of the organization, by user id.
#[utoipa::path(get, path = "/users/{id}", tag = "members", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<UserBody>> {
    let member = state
        .store
        .member_of_user(caller.organization.id, id)
        .await?;
    Ok(Json(UserBody::from(
        load_visible(&state, &caller, member).await?,
    )))
}

/// Changes a user's membership: name, image, notes, metadata, flags.
#[utoipa::path(patch, path = "/users/{id}", tag = "members", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "User id")), request_body = UserRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn update_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<UserRequest>,
) -> ApiResult<StatusCode> {
    let member = state
        .store
        .member_of_user(caller.organization.id, id)
        .await?;
    edit(&state, &caller, member, request.user).await
}

/// Removes the user from the organization; the profile stays.
#[utoipa::path(delete, path = "/users/{id}", tag = "members", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let member = state
        .store
        .member_of_user(caller.organization.id, id)
        .await?;
    remove(&state, &caller, member).await
}
