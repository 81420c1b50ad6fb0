//! The signed-in user (`GET /user`, `PATCH /user`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gatehouse_domain::{errors::check_length, FieldErrors, Password, UserChange};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{hash_password, verify_password};
use crate::error::{ApiResult, ErrorBody, ErrorsBody};
use crate::extract::{nullable, Auth, Body};
use crate::wire::CurrentUserBody;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(current_user, update_current_user))
}

/// The signed-in user, in the organization of the login.
#[utoipa::path(get, path = "/user", tag = "users", security(("Kisi-Login" = [])),
    responses((status = 200, body = CurrentUserBody), (status = 401, body = ErrorBody)))]
async fn current_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<CurrentUserBody>> {
    let user = state.store.user(caller.login.user_id).await?;
    Ok(Json(CurrentUserBody::new(user, &caller)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateCurrentUserRequest {
    user: UserFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserFields {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    image: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    locale: Option<Option<String>>,
    /// Accepted for compatibility; gatehouse has no notifications.
    #[serde(rename = "last_read_at")]
    _last_read_at: Option<serde_json::Value>,
    #[serde(rename = "announcements_last_seen_at")]
    _announcements_last_seen_at: Option<String>,
    /// Required to change the password.
    current_password: Option<String>,
    password: Option<String>,
    password_confirmation: Option<String>,
}

const LOCALES: [&str; 4] = ["en", "fr", "es", "de"];

/// Changes the signed-in user's name, image, locale or password. A new
/// password needs `current_password` and signs out every other login.
#[utoipa::path(patch, path = "/user", tag = "users", security(("Kisi-Login" = [])),
    request_body = UpdateCurrentUserRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorsBody)))]
async fn update_current_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Body(request): Body<UpdateCurrentUserRequest>,
) -> ApiResult<StatusCode> {
    let fields = request.user;
    let mut errors = FieldErrors::new();
    if let Some(name) = &fields.name {
        errors.check("name", check_length(name, 1, 255));
    }
    if let Some(Some(image)) = &fields.image {
        errors.check("image", check_url(image));
    }
    if let Some(Some(locale)) = &fields.locale {
        if !LOCALES.contains(&locale.as_str()) {
            errors.add("locale", "must be one of: en, fr, es, de");
        }
    }
    let mut password_hash = None;
    if let Some(password) = &fields.password {
        let policy = errors.check("password", Password::parse(password));
        if fields.password_confirmation.as_deref() != Some(password) {
            errors.add("password_confirmation", "doesn't match password");
        }
        match &fields.current_password {
            None => errors.add("current_password", "can't be blank"),
            Some(current) => {
                let stored = state.store.password_hash(caller.login.user_id).await?;
                if !verify_password(current.clone(), stored).await {
                    errors.add("current_password", "is invalid");
                }
            }
        }
        if let (Some(policy), true) = (policy, errors.is_empty()) {
            password_hash = Some(hash_password(policy.expose().to_owned()).await?);
        }
    }
    errors.into_result()?;
    let change = UserChange {
        name: fields.name,
        password_hash,
        keep_login_id: caller.login.id,
        image: fields.image,
        locale: fields.locale,
    };
    state
        .store
        .update_current_user(
            &caller.actor(),
            caller.organization.id,
            caller.login.user_id,
            &change,
            state.clock.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Image fields hold an http(s) URL.
pub fn check_url(value: &str) -> Result<(), String> {
    let valid = (value.starts_with("https://") || value.starts_with("http://"))
        && value.len() <= 2048
        && !value.chars().any(char::is_whitespace);
    if valid {
        Ok(())
    } else {
        Err("must be an http(s) URL".into())
    }
}
