//! Cards (`/cards`), their assignments to people (`/card_assignments`),
//! and card readers (`/readers`). Administrators enrol cards and readers;
//! managers give cards to people and activate them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::authority::may_change;
use gatehouse_domain::errors::check_length;
use gatehouse_domain::{
    Card, CardAssignment, CardIdentity, CardType, FieldErrors, MemberType, NewCard,
    NewCardAssignment, Principal, Scope,
};
use gatehouse_store::{CardAssignmentQuery, CardQuery, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{hash_password, hash_secret, new_secret};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Body, Id, Params};
use crate::paging::{self, Listed};
use crate::policy;
use crate::wire::{time, time_opt};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cards, create_card))
        .routes(routes!(get_card, delete_card))
        .routes(routes!(list_card_assignments, create_card_assignment))
        .routes(routes!(
            get_card_assignment,
            update_card_assignment,
            delete_card_assignment
        ))
        .routes(routes!(activate_card_assignment))
        .routes(routes!(deactivate_card_assignment))
        .routes(routes!(activate_with_token))
        .routes(routes!(create_reader))
}

/// Kisi's Card object (the base fields and the identifying ones of its type).
#[derive(Debug, Serialize, ToSchema)]
pub struct CardBody {
    pub id: i64,
    #[serde(rename = "type")]
    #[schema(example = "mifare_desfire")]
    pub card_type: String,
    pub token: Option<String>,
    pub uid: Option<String>,
    pub facility_code: Option<i64>,
    pub card_number: Option<i64>,
    pub last_used_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Deprecated.
    pub assigned: bool,
    /// Deprecated.
    pub activated: bool,
    /// Deprecated: the holder's user id.
    pub user_id: Option<i64>,
}

impl From<Card> for CardBody {
    fn from(c: Card) -> Self {
        CardBody {
            id: c.id,
            card_type: c.card_type,
            token: c.token,
            uid: c.uid,
            facility_code: c.facility_code,
            card_number: c.card_number,
            last_used_at: time_opt(c.last_used_at),
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
            assigned: c.assignment.is_some(),
            activated: c.assignment.as_ref().is_some_and(|a| a.activated),
            user_id: c.assignment.map(|a| a.user_id),
        }
    }
}

/// Kisi's CardAssignment object. The two-factor PIN is stored only as a
/// hash, so it reads as `"****"` when set.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardAssignmentBody {
    pub id: i64,
    #[schema(example = "CardAssignment")]
    pub resource_type: &'static str,
    pub created_at: String,
    pub updated_at: String,
    #[schema(example = "activated")]
    pub status: &'static str,
    pub two_factor_pin: Option<&'static str>,
    pub send_two_factor_pin_notification: bool,
    pub assignee_type: &'static str,
    pub assignee_id: i64,
    pub card_id: i64,
    pub created_by_type: Option<&'static str>,
    pub created_by_id: Option<i64>,
    /// Deprecated.
    pub guest_id: Option<i64>,
    /// Deprecated.
    pub user_id: Option<i64>,
}

impl From<CardAssignment> for CardAssignmentBody {
    fn from(a: CardAssignment) -> Self {
        CardAssignmentBody {
            id: a.id,
            resource_type: "CardAssignment",
            created_at: time(a.created_at),
            updated_at: time(a.updated_at),
            status: if a.activated {
                "activated"
            } else {
                "deactivated"
            },
            two_factor_pin: a.has_two_factor_pin.then_some("****"),
            send_two_factor_pin_notification: a.send_two_factor_pin_notification,
            assignee_type: "User",
            assignee_id: a.user_id,
            card_id: a.card_id,
            created_by_type: a.created_by_id.map(|_| "User"),
            created_by_id: a.created_by_id,
            guest_id: None,
            user_id: Some(a.user_id),
        }
    }
}

/// The create answer: the assignment and, shown only here, the token the
/// holder activates the card with (gatehouse addition).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCardAssignmentBody {
    #[serde(flatten)]
    pub assignment: CardAssignmentBody,
    pub activation_token: String,
}

fn require_card_admin(state: &AppState, caller: &Principal, what: &str) -> ApiResult<()> {
    policy::require(
        caller,
        MemberType::Administrator,
        Scope::Organization,
        state.clock.now(),
        what,
    )
}

/// Managers and above handle people's cards.
fn require_card_manager(caller: &Principal) -> ApiResult<()> {
    if caller.member_type() >= MemberType::Manager {
        Ok(())
    } else {
        Err(ApiError::forbidden("manage cards"))
    }
}

/// Enrolled cards. `status` is `activated`, `deactivated` or `unassigned`.
#[utoipa::path(get, path = "/cards", tag = "cards", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("status" = Option<String>, Query), ("token" = Option<String>, Query),
        ("uid" = Option<String>, Query), ("facility_code" = Option<i64>, Query), ("card_number" = Option<i64>, Query),
        ("user_id" = Option<i64>, Query, description = "Deprecated"), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [CardBody], headers(("X-Collection-Range" = String))), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_cards(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<CardBody>> {
    require_card_manager(&caller)?;
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let query = CardQuery {
        ids: params.ids(&mut errors),
        status: match params.one_of(
            "status",
            &["activated", "deactivated", "unassigned"],
            &mut errors,
        ) {
            Some("activated") => Some(Some(true)),
            Some("deactivated") => Some(Some(false)),
            Some(_) => Some(None),
            None => None,
        },
        token: params.get("token").map(str::to_owned),
        uid: params.get("uid").map(str::to_owned),
        facility_code: params.int("facility_code", &mut errors),
        card_number: params.int("card_number", &mut errors),
        user_id: params.int("user_id", &mut errors),
        page,
    };
    errors.into_result()?;
    let cards = state
        .store
        .list_cards(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(cards, page, CardBody::from))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardRequest {
    card: CardFields,
}

/// `mifare_desfire` takes `token`; `third_party_hf` takes `uid`; the LF
/// types (`third_party_lf_hid_h10301`, `_h10304`, `_corporate1000_35`,
/// `_h2004064`, `_d10202`, `_em_410x_26`) take `facility_code` and
/// `card_number`, and `_hid_h10302` takes `card_number`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardFields {
    #[serde(rename = "type")]
    card_type: Option<String>,
    token: Option<String>,
    uid: Option<String>,
    facility_code: Option<i64>,
    card_number: Option<i64>,
}

fn parse_card(fields: CardFields) -> Result<NewCard, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(card_type) = fields.card_type.as_deref().and_then(CardType::parse) else {
        errors.add(
            "type",
            "must be mifare_desfire, third_party_hf or a supported third_party_lf_ type",
        );
        return Err(errors);
    };
    let identity = match card_type {
        CardType::MifareDesfire => fields
            .token
            .filter(|t| !t.trim().is_empty())
            .map(|t| CardIdentity::Token(t.trim().to_owned())),
        CardType::ThirdPartyHf => {
            let uid = fields.uid.filter(|u| {
                (6..=16).contains(&u.len()) && u.chars().all(|c| c.is_ascii_hexdigit())
            });
            if uid.is_none() {
                errors.add("uid", "must be 6 to 16 hexadecimal characters");
            }
            uid.map(CardIdentity::Uid)
        }
        CardType::Lf(format) => {
            let needs_facility = format != "hid_h10302";
            if needs_facility && fields.facility_code.is_none() {
                errors.add("facility_code", "can't be blank");
            }
            if fields.facility_code.is_some_and(|f| f < 0) {
                errors.add("facility_code", "must not be negative");
            }
            match fields.card_number {
                Some(number) if number >= 0 => Some(CardIdentity::Numbers(
                    fields.facility_code.filter(|_| needs_facility),
                    number,
                )),
                _ => {
                    errors.add("card_number", "can't be blank or negative");
                    None
                }
            }
        }
    };
    if card_type == CardType::MifareDesfire && identity.is_none() {
        errors.add("token", "can't be blank");
    }
    errors.into_result()?;
    Ok(NewCard {
        card_type,
        identity: identity.expect("checked"),
    })
}

/// Enrols a card. A card with the same identifiers is refused with `cabbeb`.
#[utoipa::path(post, path = "/cards", tag = "cards", security(("Kisi-Login" = [])), request_body = CardRequest,
    responses((status = 200, body = CardBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "cabbeb: already enrolled; or the Errors envelope")))]
async fn create_card(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<CardRequest>,
) -> ApiResult<Json<CardBody>> {
    require_card_admin(&state, &caller, "enrol cards")?;
    let new = parse_card(request.card)?;
    match state
        .store
        .create_card(
            &caller.actor(),
            caller.organization.id,
            &new,
            state.clock.now(),
        )
        .await
    {
        Ok(card) => Ok(Json(CardBody::from(card))),
        Err(StoreError::Conflict { field: "card", .. }) => Err(ApiError::Duplicate {
            message: "A card with the same identifiers is already enrolled.".into(),
            code: "cabbeb",
        }),
        Err(other) => Err(other.into()),
    }
}

/// One card.
#[utoipa::path(get, path = "/cards/{id}", tag = "cards", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CardBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_card(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<CardBody>> {
    require_card_manager(&caller)?;
    Ok(Json(CardBody::from(
        state.store.card(caller.organization.id, id).await?,
    )))
}

/// Removes a card and its assignment.
#[utoipa::path(delete, path = "/cards/{id}", tag = "cards", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_card(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    state.store.card(caller.organization.id, id).await?;
    require_card_admin(&state, &caller, "remove cards")?;
    state
        .store
        .delete_card(
            &caller.actor(),
            caller.organization.id,
            id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Card assignments; `status` is `activated` or `deactivated`.
#[utoipa::path(get, path = "/card_assignments", tag = "cards", security(("Kisi-Login" = [])),
    params(("ids" = Option<String>, Query), ("assignee_type" = Option<String>, Query), ("assignee_id" = Option<i64>, Query),
        ("status" = Option<String>, Query), ("card_id" = Option<String>, Query, description = "Comma-separated card ids"),
        ("user_id" = Option<i64>, Query, description = "Deprecated"), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = [CardAssignmentBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_card_assignments(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<CardAssignmentBody>> {
    require_card_manager(&caller)?;
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    let assignee_type = params.one_of("assignee_type", &["User", "Guest"], &mut errors);
    let assignee_id = params.int("assignee_id", &mut errors);
    let legacy_user = params.int("user_id", &mut errors);
    let card_ids = params.get("card_id").map(|raw| {
        raw.split(',')
            .map(|id| id.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
    });
    let card_ids = match card_ids {
        Some(Ok(ids)) => Some(ids),
        Some(Err(_)) => {
            errors.add("card_id", "must be comma-separated integers");
            None
        }
        None => None,
    };
    let status = params.one_of("status", &["activated", "deactivated"], &mut errors);
    errors.into_result()?;
    let user_id = match assignee_type {
        Some("Guest") => Some(-1),
        _ => assignee_id.or(legacy_user),
    };
    let query = CardAssignmentQuery {
        ids,
        user_id,
        activated: status.map(|s| s == "activated"),
        card_ids,
        page,
    };
    let assignments = state
        .store
        .list_card_assignments(caller.organization.id, &query)
        .await?;
    Ok(Listed::new(assignments, page, CardAssignmentBody::from))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardAssignmentRequest {
    card_assignment: CardAssignmentFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardAssignmentFields {
    /// `User` (gatehouse has no guests).
    assignee_type: Option<String>,
    assignee_id: Option<i64>,
    card_id: Option<i64>,
    /// Four digits the holder types at a keypad reader.
    #[serde(default, deserialize_with = "nullable")]
    two_factor_pin: Option<Option<String>>,
    send_two_factor_pin_notification: Option<bool>,
    /// Deprecated: the assignee's user id.
    user_id: Option<i64>,
    /// Deprecated.
    guest_id: Option<i64>,
}

fn check_pin(pin: &Option<Option<String>>, errors: &mut FieldErrors) {
    if let Some(Some(pin)) = pin {
        if pin.len() != 4 || !pin.chars().all(|c| c.is_ascii_digit()) {
            errors.add("two_factor_pin", "must be four digits");
        }
    }
}

async fn pin_hash(pin: Option<Option<String>>) -> ApiResult<Option<Option<String>>> {
    Ok(match pin {
        Some(Some(pin)) => Some(Some(hash_password(pin).await?)),
        Some(None) => Some(None),
        None => None,
    })
}

/// Gives a card to a member. The card stays deactivated until activated by
/// a manager or, with the returned `activation_token`, by its holder.
#[utoipa::path(post, path = "/card_assignments", tag = "cards", security(("Kisi-Login" = [])), request_body = CardAssignmentRequest,
    responses((status = 200, body = CreatedCardAssignmentBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_card_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<CardAssignmentRequest>,
) -> ApiResult<Json<CreatedCardAssignmentBody>> {
    require_card_manager(&caller)?;
    let f = request.card_assignment;
    let mut errors = FieldErrors::new();
    if f.assignee_type.as_deref().is_some_and(|t| t != "User") || f.guest_id.is_some() {
        errors.add("assignee_type", "must be User (gatehouse has no guests)");
    }
    let user_id = f.assignee_id.or(f.user_id);
    if user_id.is_none() {
        errors.add("assignee_id", "can't be blank");
    }
    if f.card_id.is_none() {
        errors.add("card_id", "can't be blank");
    }
    check_pin(&f.two_factor_pin, &mut errors);
    errors.into_result()?;
    let user_id = user_id.expect("checked");
    if let Ok(holder) = state
        .store
        .member_of_user(caller.organization.id, user_id)
        .await
    {
        if !may_change(caller.member_type(), holder.member_type) {
            return Err(ApiError::forbidden(
                "give cards to a member who outranks you",
            ));
        }
    }
    let (token, token_hash) = new_secret();
    let new = NewCardAssignment {
        card_id: f.card_id.expect("checked"),
        user_id,
        two_factor_pin_hash: pin_hash(f.two_factor_pin).await?.flatten(),
        send_two_factor_pin_notification: f.send_two_factor_pin_notification.unwrap_or(false),
        activation_token_hash: token_hash,
    };
    let created = state
        .store
        .create_card_assignment(
            &caller.actor(),
            caller.organization.id,
            &new,
            state.clock.now(),
        )
        .await?;
    Ok(Json(CreatedCardAssignmentBody {
        assignment: created.into(),
        activation_token: token,
    }))
}

/// One card assignment.
#[utoipa::path(get, path = "/card_assignments/{id}", tag = "cards", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CardAssignmentBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_card_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<Json<CardAssignmentBody>> {
    require_card_manager(&caller)?;
    Ok(Json(
        state
            .store
            .card_assignment(caller.organization.id, id)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardAssignmentPatchRequest {
    card_assignment: CardAssignmentPatchFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CardAssignmentPatchFields {
    #[serde(default, deserialize_with = "nullable")]
    two_factor_pin: Option<Option<String>>,
    send_two_factor_pin_notification: Option<bool>,
}

/// Sets or clears the card's two-factor PIN.
#[utoipa::path(patch, path = "/card_assignments/{id}", tag = "cards", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    request_body = CardAssignmentPatchRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn update_card_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
    Body(request): Body<CardAssignmentPatchRequest>,
) -> ApiResult<StatusCode> {
    require_card_manager(&caller)?;
    state
        .store
        .card_assignment(caller.organization.id, id)
        .await?;
    let f = request.card_assignment;
    let mut errors = FieldErrors::new();
    check_pin(&f.two_factor_pin, &mut errors);
    errors.into_result()?;
    let hash = pin_hash(f.two_factor_pin).await?;
    state
        .store
        .update_card_assignment(
            &caller.actor(),
            caller.organization.id,
            id,
            hash,
            f.send_two_factor_pin_notification,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes the card back from its holder.
#[utoipa::path(delete, path = "/card_assignments/{id}", tag = "cards", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_card_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    require_card_manager(&caller)?;
    state
        .store
        .card_assignment(caller.organization.id, id)
        .await?;
    state
        .store
        .delete_card_assignment(
            &caller.actor(),
            caller.organization.id,
            id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: &AppState,
    caller: &Principal,
    id: i64,
    activated: bool,
) -> ApiResult<StatusCode> {
    require_card_manager(caller)?;
    state
        .store
        .card_assignment(caller.organization.id, id)
        .await?;
    state
        .store
        .set_card_assignment_status(
            &caller.actor(),
            caller.organization.id,
            id,
            activated,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Activates the card: it opens doors from now on.
#[utoipa::path(post, path = "/card_assignments/{id}/activate", tag = "cards", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn activate_card_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_status(&state, &caller, id, true).await
}

/// Deactivates the card.
#[utoipa::path(post, path = "/card_assignments/{id}/deactivate", tag = "cards", security(("Kisi-Login" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn deactivate_card_assignment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    set_status(&state, &caller, id, false).await
}

/// The holder activates their card with the token they were given; it
/// works once.
#[utoipa::path(post, path = "/card_assignments/{id}/activate_with_token", tag = "cards", security(("Kisi-Login" = [])),
    params(("id" = String, Path, description = "The activation token")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn activate_with_token(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    Path(token): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .activate_card_with_token(&hash_secret(&token), state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReaderRequest {
    reader: ReaderFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReaderFields {
    name: Option<String>,
    lock_id: Option<i64>,
}

/// A reader and its secret, shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderBody {
    pub id: i64,
    #[schema(example = "Reader")]
    pub resource_type: &'static str,
    pub name: String,
    pub lock_id: i64,
    pub created_at: String,
    pub updated_at: String,
    /// `Authorization: KISI-SERVICE <secret>` for `POST /locks/{id}/card_access`.
    pub secret: String,
}

/// Installs a card reader at a door (gatehouse addition). Administrators of
/// the door's place.
#[utoipa::path(post, path = "/readers", tag = "cards", security(("Kisi-Login" = [])), request_body = ReaderRequest,
    responses((status = 200, body = ReaderBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_reader(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<ReaderRequest>,
) -> ApiResult<Json<ReaderBody>> {
    let f = request.reader;
    let mut errors = FieldErrors::new();
    let name = f.name.unwrap_or_default();
    errors.check("name", check_length(name.trim(), 1, 255));
    if f.lock_id.is_none() {
        errors.add("lock_id", "can't be blank");
    }
    errors.into_result()?;
    let lock_id = f.lock_id.expect("checked");
    let lock = state
        .store
        .lock(caller.organization.id, lock_id, None)
        .await
        .map_err(|_| ApiError::invalid("lock_id", "does not exist in this organization"))?;
    let now = state.clock.now();
    policy::require(
        &caller,
        MemberType::Administrator,
        Scope::Place(lock.place_id),
        now,
        "install readers here",
    )?;
    let (secret, hash) = new_secret();
    let reader = state
        .store
        .create_reader(
            &caller.actor(),
            caller.organization.id,
            lock_id,
            name.trim(),
            &hash,
            now,
        )
        .await?;
    Ok(Json(ReaderBody {
        id: reader.id,
        resource_type: "Reader",
        name: reader.name,
        lock_id: reader.lock_id,
        created_at: time(reader.created_at),
        updated_at: time(reader.updated_at),
        secret,
    }))
}
