//! Doors: `/locks`, lockdown, favorites, and app unlock.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use gatehouse_domain::access::{Credential, Location};
use gatehouse_domain::errors::check_length;
use gatehouse_domain::{
    AccessSubject, CardIdentity, FieldErrors, LockFields, MemberType, Principal, Reader, Scope,
};
use gatehouse_store::{GroupLockQuery, LockQuery, LockSort};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::doors;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Authenticated, Body, Id, LoginOrLink, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::LockBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_locks, create_lock))
        .routes(routes!(get_lock, update_lock, delete_lock))
        .routes(routes!(unlock))
        .routes(routes!(card_access))
        .routes(routes!(lock_down))
        .routes(routes!(cancel_lockdown))
        .routes(routes!(favorite_lock))
        .routes(routes!(unfavorite_lock))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LockRequest {
    lock: LockFieldsBody,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LockFieldsBody {
    name: Option<String>,
    /// Create only: a door stays in its place.
    place_id: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    longitude: Option<Option<f64>>,
    geofence_restriction_enabled: Option<bool>,
    reader_restriction_enabled: Option<bool>,
    time_restriction_enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    order_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    floor_id: Option<Option<i64>>,
    /// Marks the new door as one of the caller's favorites.
    favorite: Option<bool>,
}

impl LockFieldsBody {
    fn validate(self, creating: bool) -> Result<(LockFields, bool), FieldErrors> {
        let mut errors = FieldErrors::new();
        match &self.name {
            Some(name) => {
                errors.check("name", check_length(name.trim(), 1, 255));
            }
            None if creating => errors.add("name", "can't be blank"),
            None => {}
        }
        match (creating, self.place_id) {
            (true, None) => errors.add("place_id", "can't be blank"),
            (false, Some(_)) => {
                errors.add("place_id", "cannot be changed: a door stays in its place")
            }
            _ => {}
        }
        if let Some(Some(description)) = &self.description {
            errors.check("description", check_length(description, 0, 5000));
        }
        if let Some(Some(latitude)) = self.latitude {
            if !(-90.0..=90.0).contains(&latitude) {
                errors.add("latitude", "must be between -90 and 90");
            }
        }
        if let Some(Some(longitude)) = self.longitude {
            if !(-180.0..=180.0).contains(&longitude) {
                errors.add("longitude", "must be between -180 and 180");
            }
        }
        errors.into_result()?;
        let fields = LockFields {
            name: self.name.map(|n| n.trim().to_owned()),
            place_id: self.place_id,
            description: self.description,
            latitude: self.latitude,
            longitude: self.longitude,
            geofence_restriction_enabled: self.geofence_restriction_enabled,
            reader_restriction_enabled: self.reader_restriction_enabled,
            time_restriction_enabled: self.time_restriction_enabled,
            order_id: self.order_id,
            floor_id: self.floor_id,
        };
        Ok((fields, self.favorite == Some(true)))
    }
}

/// A door the caller may see: of their groups, or of a place they manage.
async fn visible_lock(
    state: &AppState,
    caller: &Principal,
    id: i64,
    favorite_of: Option<i64>,
) -> ApiResult<gatehouse_domain::Lock> {
    let lock = state
        .store
        .lock(caller.organization.id, id, favorite_of)
        .await?;
    let now = state.clock.now();
    if caller.type_in(Scope::Place(lock.place_id), now) >= MemberType::Manager {
        return Ok(lock);
    }
    let query = LockQuery {
        ids: Some(vec![id]),
        visible_to: policy::visibility(caller, now),
        page: gatehouse_store::Page::new(1, 0),
        ..LockQuery::default()
    };
    if state
        .store
        .list_locks(caller.organization.id, &query)
        .await?
        .total
        == 1
    {
        Ok(lock)
    } else {
        Err(ApiError::forbidden("see this door"))
    }
}

/// Doors the caller may see: organization managers and administrators all;
/// others the doors of their groups and of the places they manage. With
/// `KISI-GROUP-LINK`, the link's doors in Kisi's reduced view.
#[utoipa::path(get, path = "/locks", tag = "doors", security(("Kisi-Login" = []), ("Kisi-Group-Link" = [])),
    params(("ids" = Option<String>, Query), ("query" = Option<String>, Query), ("place_id" = Option<i64>, Query),
        ("floor_id" = Option<i64>, Query), ("locked_down" = Option<bool>, Query),
        ("configured" = Option<bool>, Query), ("online" = Option<bool>, Query), ("unlocked" = Option<bool>, Query),
        ("favorite" = Option<String>, Query, description = "`true`, `false` or `*`"),
        ("sort" = Option<String>, Query, description = "`favorite`, `name` or `-name`"),
        ("limit" = Option<i64>, Query, description = "Default 50, at most 250"), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [LockBody], headers(("X-Collection-Range" = String))),
        (status = 200, description = "With a group link", body = [crate::wire::LinkLockBody]),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_locks(
    State(state): State<AppState>,
    caller: LoginOrLink,
    params: Params,
) -> ApiResult<axum::response::Response> {
    let caller = match caller {
        LoginOrLink::Login(caller) => caller,
        LoginOrLink::Link(link) => {
            return Ok(link_locks(&state, &link, &params).await?.into_response())
        }
    };
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::SITES, &mut errors);
    let ids = params.ids(&mut errors);
    let place_id = params.int("place_id", &mut errors);
    let floor_id = params.int("floor_id", &mut errors);
    let locked_down = params.bool("locked_down", &mut errors);
    // gatehouse drives no hardware: every door is configured, closed and locked.
    let configured = params.bool("configured", &mut errors);
    let online = params.bool("online", &mut errors);
    let unlocked = params.bool("unlocked", &mut errors);
    let favorite = params.one_of("favorite", &["true", "false", "*"], &mut errors);
    let sort = match params.one_of("sort", &["favorite", "name", "-name"], &mut errors) {
        Some("favorite") => LockSort::Favorite,
        Some("name") => LockSort::Name,
        Some("-name") => LockSort::NameDesc,
        _ => LockSort::Id,
    };
    errors.into_result()?;
    let impossible = configured == Some(false) || online == Some(true) || unlocked == Some(true);
    let wants_favorite = favorite.is_some() || sort == LockSort::Favorite;
    let query = LockQuery {
        ids: if impossible { Some(Vec::new()) } else { ids },
        query: params.get("query").map(str::to_owned),
        place_id,
        floor_id,
        locked_down,
        viewer_user_id: wants_favorite.then_some(caller.login.user_id),
        favorite: favorite.and_then(|f| f.parse::<bool>().ok()),
        visible_to: policy::visibility(&caller, state.clock.now()),
        sort,
        page,
    };
    let locks = state
        .store
        .list_locks(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(locks, page, LockBody::from).into_response())
}

/// The doors a quick access link opens, in the reduced view.
async fn link_locks(
    state: &AppState,
    link: &gatehouse_domain::GroupLink,
    params: &Params,
) -> ApiResult<Listed<crate::wire::LinkLockBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(params, paging::SITES, &mut errors);
    errors.into_result()?;
    let held = GroupLockQuery {
        group_id: Some(link.group_id),
        page: gatehouse_store::Page::new(250, 0),
        ..GroupLockQuery::default()
    };
    let ids = state
        .store
        .list_group_locks(link.organization_id, &held)
        .await?
        .items
        .into_iter()
        .map(|gl| gl.lock_id)
        .collect();
    let query = LockQuery {
        ids: Some(ids),
        page,
        ..LockQuery::default()
    };
    let locks = state.store.list_locks(link.organization_id, &query).await?;
    Ok(Listed::new(locks, page, crate::wire::LinkLockBody::from))
}

/// Adds a door to a place. Administrators of the place.
#[utoipa::path(post, path = "/locks", tag = "doors", security(("Kisi-Login" = [])), request_body = LockRequest,
    responses((status = 200, body = LockBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<LockRequest>,
) -> ApiResult<Json<LockBody>> {
    let (fields, favorite) = request.lock.validate(true)?;
    let now = state.clock.now();
    let place_id = fields.place_id.expect("validated");
    state
        .store
        .place(caller.organization.id, place_id, None)
        .await
        .map_err(|_| ApiError::invalid("place_id", "does not exist in this organization"))?;
    policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Place(place_id),
        now,
        "add doors here",
    )?;
    let lock = state
        .store
        .create_lock(&caller.actor(), caller.organization.id, &fields, now)
        .await?;
    if favorite {
        state
            .store
            .set_lock_favorite(
                caller.organization.id,
                lock.id,
                caller.login.user_id,
                true,
                now,
            )
            .await?;
    }
    Ok(Json(LockBody::from(lock)))
}

/// One door. `favorite=true` adds the caller's `favorite` field.
#[utoipa::path(get, path = "/locks/{id}", tag = "doors", security(("Kisi-Login" = [])),
    params(("id" = i64, Path), ("favorite" = Option<bool>, Query)),
    responses((status = 200, body = LockBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    params: Params,
) -> ApiResult<Json<LockBody>> {
    let mut errors = FieldErrors::new();
    let favorite = params.bool("favorite", &mut errors);
    errors.into_result()?;
    let viewer = (favorite == Some(true)).then_some(caller.login.user_id);
    Ok(Json(LockBody::from(
        visible_lock(&state, &caller, id, viewer).await?,
    )))
}

/// Configures a door. Administrators of its place.
#[utoipa::path(patch, path = "/locks/{id}", tag = "doors", security(("Kisi-Login" = [])),
    params(("id" = i64, Path)), request_body = LockRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn update_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<LockRequest>,
) -> ApiResult<StatusCode> {
    let lock = state.store.lock(caller.organization.id, id, None).await?;
    let (fields, favorite) = request.lock.validate(false)?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Place(lock.place_id),
        now,
        "configure this door",
    )?;
    state
        .store
        .update_lock(&caller.actor(), caller.organization.id, id, &fields, now)
        .await?;
    if favorite {
        state
            .store
            .set_lock_favorite(caller.organization.id, id, caller.login.user_id, true, now)
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a door. Administrators of its place.
#[utoipa::path(delete, path = "/locks/{id}", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let lock = state.store.lock(caller.organization.id, id, None).await?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Place(lock.place_id),
        now,
        "delete this door",
    )?;
    state
        .store
        .delete_lock(&caller.actor(), caller.organization.id, id, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UnlockRequest {
    context: Option<UnlockContext>,
    lock: Option<UnlockProof>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UnlockContext {
    /// WGS84; needed by geofenced groups and doors.
    location: Option<WireLocation>,
    /// The phone's radios (reported by Kisi's apps; gatehouse records nothing of them).
    #[schema(value_type = Option<Vec<Object>>)]
    #[serde(rename = "services")]
    _services: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WireLocation {
    latitude: f64,
    longitude: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UnlockProof {
    /// Presented to doors and groups with reader restriction.
    proximity_proof: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnlockedBody {
    #[schema(example = "Unlocked!")]
    pub message: &'static str,
}

/// Opens a door with the app (`KISI-LOGIN`) or a quick access link
/// (`KISI-GROUP-LINK`): decides, records the decision as a `lock.unlock`
/// event (durably, before answering), and answers `{"message":"Unlocked!"}`
/// or the denial's Kisi code.
#[utoipa::path(post, path = "/locks/{id}/unlock", tag = "doors", security(("Kisi-Login" = []), ("Kisi-Group-Link" = [])),
    params(("id" = i64, Path)), request_body(content = UnlockRequest, description = "Optional"),
    responses((status = 200, body = UnlockedBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Denied, with the code of the failed check"),
        (status = 404, body = ErrorBody, description = "fad10e: no such door")))]
async fn unlock(
    State(state): State<AppState>,
    caller: LoginOrLink,
    Id(id): Id,
    Body(request): Body<UnlockRequest>,
) -> ApiResult<Json<UnlockedBody>> {
    let now = state.clock.now();
    let location = request.context.and_then(|c| c.location).map(|l| Location {
        latitude: l.latitude,
        longitude: l.longitude,
    });
    match caller {
        LoginOrLink::Login(caller) => {
            let attempt = doors::Attempt {
                organization_id: caller.organization.id,
                lock_id: id,
                subject: AccessSubject::User(caller.login.user_id),
                credential: Credential::App {
                    location,
                    proximity_proof: request
                        .lock
                        .and_then(|l| l.proximity_proof)
                        .is_some_and(|p| !p.is_empty()),
                    primary_device: caller.login.primary,
                },
                actor_name: Some(&caller.member.name),
                actor_email: Some(&caller.login.user_email),
                authenticated_by: ("Login", caller.login.id),
            };
            doors::open(state.store.as_ref(), attempt, now).await?;
        }
        LoginOrLink::Link(link) => {
            doors::open_with_link(state.store.as_ref(), &link, id, location, now).await?
        }
    }
    Ok(Json(UnlockedBody {
        message: "Unlocked!",
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardAccessRequest {
    card: PresentedCardBody,
}

/// What the reader read: a token (Kisi cards), a UID (other HF cards), or a
/// facility code and card number (LF cards); and a PIN when the card has one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PresentedCardBody {
    token: Option<String>,
    uid: Option<String>,
    facility_code: Option<i64>,
    card_number: Option<i64>,
    two_factor_pin: Option<String>,
}

/// A card read at the door's reader (`Authorization: KISI-SERVICE <reader
/// secret>`): decides, records, and answers like unlock.
#[utoipa::path(post, path = "/locks/{id}/card_access", tag = "doors", security(("Kisi-Service" = [])),
    params(("id" = i64, Path)), request_body = CardAccessRequest,
    responses((status = 200, body = UnlockedBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Denied, with the code of the failed check"),
        (status = 404, body = ErrorBody, description = "fad10e: not this reader's door"), (status = 422, body = ErrorsBody)))]
async fn card_access(
    State(state): State<AppState>,
    Authenticated(reader): Authenticated<Reader>,
    Id(id): Id,
    Body(request): Body<CardAccessRequest>,
) -> ApiResult<Json<UnlockedBody>> {
    let card = request.card;
    let identity = match (card.token, card.uid, card.facility_code, card.card_number) {
        (Some(token), None, None, None) => CardIdentity::Token(token),
        (None, Some(uid), None, None) => CardIdentity::Uid(uid),
        (None, None, facility, Some(number)) => CardIdentity::Numbers(facility, number),
        _ => {
            return Err(ApiError::invalid(
                "card",
                "send one of: token, uid, or card_number (with facility_code)",
            ))
        }
    };
    doors::open_with_card(
        state.store.as_ref(),
        &reader,
        id,
        &identity,
        card.two_factor_pin,
        state.clock.now(),
    )
    .await?;
    Ok(Json(UnlockedBody {
        message: "Unlocked!",
    }))
}

async fn set_lockdown(
    state: &AppState,
    caller: &Principal,
    id: i64,
    locked_down: bool,
) -> ApiResult<StatusCode> {
    let lock = state.store.lock(caller.organization.id, id, None).await?;
    let now = state.clock.now();
    policy::require(
        caller,
        MemberType::Administrator,
        Scope::Place(lock.place_id),
        now,
        "lock this door down",
    )?;
    state
        .store
        .set_lock_lockdown(
            &caller.actor(),
            caller.organization.id,
            id,
            locked_down,
            now,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Locks the door down: it opens for nobody until the lockdown is cancelled.
#[utoipa::path(post, path = "/locks/{id}/lock_down", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn lock_down(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_lockdown(&state, &caller, id, true).await
}

/// Ends the door's lockdown.
#[utoipa::path(post, path = "/locks/{id}/cancel_lockdown", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn cancel_lockdown(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_lockdown(&state, &caller, id, false).await
}

async fn set_favorite(
    state: &AppState,
    caller: &Principal,
    id: i64,
    favorite: bool,
) -> ApiResult<StatusCode> {
    visible_lock(state, caller, id, None).await?;
    state
        .store
        .set_lock_favorite(
            caller.organization.id,
            id,
            caller.login.user_id,
            favorite,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks a door as one of the caller's favorites.
#[utoipa::path(post, path = "/locks/{id}/favorite", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn favorite_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_favorite(&state, &caller, id, true).await
}

/// Removes a door from the caller's favorites.
#[utoipa::path(post, path = "/locks/{id}/unfavorite", tag = "doors", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unfavorite_lock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_favorite(&state, &caller, id, false).await
}
