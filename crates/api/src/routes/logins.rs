//! Sign-in (`POST /logins`), the current login, and the user's logins.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::{
    Email, FieldErrors, LoginType, MemberType, NewEvent, NewLogin, SignInCandidate, ThrottlePolicy,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{hash_secret, new_secret, verify_password};
use crate::error::{codes, ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{Auth, Body, ClientAddress, Id, MaybeAuth, Params};
use crate::paging::{self, Listed};
use crate::wire::{CreatedLoginBody, CurrentLoginBody, LoginBody};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_login, list_logins))
        .routes(routes!(current_login, sign_out))
        .routes(routes!(delete_login))
        .routes(routes!(promote_login))
        .routes(routes!(promote_current_login))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateLoginRequest {
    login: LoginFields,
    user: Option<SignInFields>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum LoginKind {
    Api,
    Device,
}

impl From<LoginKind> for LoginType {
    fn from(kind: LoginKind) -> Self {
        match kind {
            LoginKind::Api => LoginType::Api,
            LoginKind::Device => LoginType::Device,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginFields {
    #[serde(rename = "type")]
    kind: LoginKind,
    name: Option<String>,
    device_brand: Option<String>,
    device_model: Option<String>,
    /// Accepted for compatibility; gatehouse does not use it.
    device_uid: Option<String>,
    os_name: Option<String>,
    /// Accepted for compatibility; gatehouse sends no push notifications.
    push_token: Option<String>,
    ios_voip_push_token: Option<String>,
    /// An administrator creates a device login on behalf of this member.
    email: Option<String>,
    /// `false`: the device login never lapses from inactivity.
    expire: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SignInFields {
    domain: Option<String>,
    email: Option<String>,
    password: Option<String>,
    authentication_info: Option<String>,
    /// gatehouse has no two-factor sign-in yet; the code is ignored.
    #[serde(rename = "otp_attempt")]
    _otp_attempt: Option<serde_json::Value>,
}

const MAX_TEXT: usize = 255;

fn check_texts(fields: &LoginFields) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let texts = [
        ("name", &fields.name),
        ("device_brand", &fields.device_brand),
        ("device_model", &fields.device_model),
        ("device_uid", &fields.device_uid),
        ("os_name", &fields.os_name),
        ("push_token", &fields.push_token),
        ("ios_voip_push_token", &fields.ios_voip_push_token),
    ];
    for (field, value) in texts {
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
            errors.add(
                field,
                format!("is too long (maximum is {MAX_TEXT} characters)"),
            );
        }
    }
    errors
}

/// Signs in with the organization domain, e-mail and password, and returns
/// the login with its `secret` (shown only here). A wrong password, an
/// unknown e-mail and an unknown domain all get the same 401 `afc516`. With
/// an administrator's `KISI-LOGIN` and `login.email`, creates a device login
/// for that member instead.
#[utoipa::path(post, path = "/logins", tag = "logins", request_body = CreateLoginRequest,
    responses(
        (status = 200, body = CreatedLoginBody),
        (status = 401, body = ErrorBody, description = "afc516: wrong email address or password; afc507: the sign-in code is not valid, used or expired"),
        (status = 429, body = ErrorBody, description = "e00423: too many failed sign-ins for this account or address; see Retry-After"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorsBody)))]
async fn create_login(
    State(state): State<AppState>,
    MaybeAuth(caller): MaybeAuth,
    ClientAddress(address): ClientAddress,
    Body(request): Body<CreateLoginRequest>,
) -> ApiResult<Json<CreatedLoginBody>> {
    let fields = request.login;
    check_texts(&fields).into_result()?;
    let login_type = LoginType::from(fields.kind);

    let (member, organization, actor) = if let Some(email) = &fields.email {
        // On behalf of a member: needs an administrator's login; the body's
        // `user` is not consulted.
        let caller = caller.ok_or(ApiError::Unauthenticated)?;
        crate::policy::require(
            &caller,
            MemberType::Administrator,
            gatehouse_domain::Scope::Organization,
            state.clock.now(),
            "create logins for other members",
        )?;
        if login_type == LoginType::Api {
            return Err(ApiError::invalid(
                "email",
                "is only allowed for device logins",
            ));
        }
        let email = Email::parse(email).map_err(|e| ApiError::invalid("email", e.to_string()))?;
        let member = state
            .store
            .member_by_email(caller.organization.id, &email)
            .await?
            .ok_or(ApiError::NotFound)?;
        (member, caller.organization.clone(), caller.actor())
    } else {
        let user = request
            .user
            .ok_or_else(|| ApiError::invalid("user", "can't be blank"))?;
        let candidate = match &user.authentication_info {
            Some(token) => state
                .store
                .redeem_sign_in_token(&hash_secret(token), state.clock.now())
                .await?
                .ok_or_else(|| ApiError::Unauthorized {
                    message: "The sign-in link is not valid, was used already or has expired."
                        .into(),
                    code: codes::INVALID_LINK,
                })?,
            None => password_sign_in(&state, user, address).await?,
        };
        let actor = candidate.member.actor();
        (candidate.member, candidate.organization, actor)
    };

    let (secret, secret_hash) = new_secret();
    let new = NewLogin {
        user_id: member.user_id,
        organization_id: organization.id,
        login_type,
        name: fields.name,
        expire: fields.expire.unwrap_or(true),
        device_brand: fields.device_brand,
        device_model: fields.device_model,
        os_name: fields.os_name,
        secret_hash,
    };
    let login = state
        .store
        .create_login(&actor, &new, state.clock.now())
        .await?;
    Ok(Json(CreatedLoginBody {
        login: LoginBody::from(login),
        scram_credentials: None,
        authentication_token: secret.clone(),
        secret,
        has_primary_device: false,
        email: member.user_email,
        notifications_unread_count: 0,
        otp_required_for_login: false,
        otp_enabled_at: None,
        image: member.image,
        primary_login_exists: false,
    }))
}

/// Checks domain, e-mail and password, throttled per account and per
/// address: after repeated failures sign-in is locked for a growing time
/// (429 `e00423`), whether or not the password is right. Failures on a real
/// account are recorded as `login.create` events with `success: false`.
async fn password_sign_in(
    state: &AppState,
    user: SignInFields,
    address: std::net::IpAddr,
) -> ApiResult<SignInCandidate> {
    let mut errors = FieldErrors::new();
    for (field, value) in [
        ("domain", &user.domain),
        ("email", &user.email),
        ("password", &user.password),
    ] {
        if value.as_deref().is_none_or(str::is_empty) {
            errors.add(field, "can't be blank");
        }
    }
    errors.into_result()?;
    let (domain, email, password) = (
        user.domain.unwrap_or_default().to_lowercase(),
        user.email.unwrap_or_default().to_lowercase(),
        user.password.unwrap_or_default(),
    );
    let now = state.clock.now();
    let account_key = format!("account:{domain}:{email}");
    let address_key = format!("address:{address}");
    let keys = [account_key.clone(), address_key.clone()];
    if let Some(until) = state.store.sign_in_locked_until(&keys, now).await? {
        return Err(ApiError::SignInLocked {
            // Whole seconds, rounded up: retrying after that is never too early.
            retry_after: ((until - now).num_milliseconds() + 999) / 1000,
        });
    }
    // A malformed e-mail is just another unknown one: same answer, same time.
    let candidate = match Email::parse(&email) {
        Ok(email) => state.store.sign_in_candidate(&domain, &email).await?,
        Err(_) => None,
    };
    let hash = candidate.as_ref().and_then(|c| c.password_hash.clone());
    if !verify_password(password, hash).await {
        let event = candidate.as_ref().map(|c| {
            let event = NewEvent {
                success: false,
                error_code: Some(codes::WRONG_CREDENTIALS.into()),
                message: Some("Wrong email address or password.".into()),
                ..NewEvent::change(
                    c.organization.id,
                    "Login",
                    "create",
                    c.member.user_id,
                    &c.member.name,
                    json!({"address": address.to_string()}),
                )
            };
            (c.member.actor(), event)
        });
        state
            .store
            .record_sign_in_failure(&account_key, ThrottlePolicy::ACCOUNT, event, now)
            .await?;
        state
            .store
            .record_sign_in_failure(&address_key, ThrottlePolicy::ADDRESS, None, now)
            .await?;
        return Err(ApiError::WrongCredentials);
    }
    let candidate = candidate.ok_or(ApiError::WrongCredentials)?;
    state.store.clear_sign_in_failures(&account_key).await?;
    if !candidate.member.flags.password_flow_enabled {
        return Err(ApiError::Denied {
            message: "Signing in with a password is not enabled for this member.".into(),
            code: codes::ACCESS_DENIED,
        });
    }
    Ok(candidate)
}

/// The login the request is authenticated with.
#[utoipa::path(get, path = "/login", tag = "logins", security(("Kisi-Login" = [])),
    responses((status = 200, body = CurrentLoginBody), (status = 401, body = ErrorBody)))]
async fn current_login(Auth(caller): Auth) -> Json<CurrentLoginBody> {
    Json(CurrentLoginBody {
        login: LoginBody::from(caller.login.clone()),
        scram_credentials: None,
    })
}

/// Signs out: deletes the login the request is authenticated with.
#[utoipa::path(delete, path = "/login", tag = "logins", security(("Kisi-Login" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn sign_out(State(state): State<AppState>, Auth(caller): Auth) -> ApiResult<StatusCode> {
    state
        .store
        .delete_login(
            &caller.actor(),
            caller.organization.id,
            caller.login.user_id,
            caller.login.id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's logins in this organization. `user_id` defaults to `me`;
/// administrators may name another member's user id.
#[utoipa::path(get, path = "/logins", tag = "logins", security(("Kisi-Login" = [])),
    params(
        ("ids" = Option<String>, Query, description = "Comma-separated login ids"),
        ("user_id" = Option<String>, Query, description = "A user id or `me` (default)"),
        ("scope" = Option<String>, Query, description = "Deprecated: `me` or `all`"),
        ("limit" = Option<i64>, Query, description = "Default 10, at most 250"),
        ("offset" = Option<i64>, Query, description = "Default 0, at most 20000")),
    responses((status = 200, body = [LoginBody], headers(("X-Collection-Range" = String))),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn list_logins(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Params,
) -> ApiResult<Listed<LoginBody>> {
    let mut errors = FieldErrors::new();
    let page = paging::page(&params, paging::OTHER, &mut errors);
    let ids = params.ids(&mut errors);
    params.one_of("scope", &["me", "all"], &mut errors);
    let user_id = match params.get("user_id") {
        None | Some("me") => caller.login.user_id,
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) => id,
            Err(_) => {
                errors.add("user_id", "must be an integer or me");
                caller.login.user_id
            }
        },
    };
    errors.into_result()?;
    if user_id != caller.login.user_id {
        crate::policy::require(
            &caller,
            MemberType::Administrator,
            gatehouse_domain::Scope::Organization,
            state.clock.now(),
            "list other members' logins",
        )?;
    }
    let logins = state
        .store
        .list_logins(caller.organization.id, user_id, ids.as_deref(), page)
        .await?;
    Ok(Listed::new(logins, page, LoginBody::from))
}

/// Deletes one of the caller's logins (signs that device out).
#[utoipa::path(delete, path = "/logins/{id}", tag = "logins", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Login id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_login(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_login(
            &caller.actor(),
            caller.organization.id,
            caller.login.user_id,
            id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes one of the caller's logins their primary device (groups may
/// require it); the others are demoted.
#[utoipa::path(post, path = "/logins/{id}/promote", tag = "logins", security(("Kisi-Login" = [])),
    params(("id" = i64, Path, description = "Login id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn promote_login(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    state
        .store
        .promote_login(
            &caller.actor(),
            caller.organization.id,
            caller.login.user_id,
            id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes the login the request is authenticated with the primary device.
#[utoipa::path(post, path = "/login/promote", tag = "logins", security(("Kisi-Login" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn promote_current_login(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<StatusCode> {
    state
        .store
        .promote_login(
            &caller.actor(),
            caller.organization.id,
            caller.login.user_id,
            caller.login.id,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
