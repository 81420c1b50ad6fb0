//! The one error type of the HTTP layer, rendered in Kisi's envelopes:
//! `{"error": "...", "code": "..."}` for most statuses and
//! `{"errors": {"field": ["..."]}}` for 422.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_domain::FieldErrors;
use gatehouse_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Error codes of this project for failures the Kisi spec gives no code to.
/// Kisi's own codes (such as `afc516`) are used wherever the spec has one.
pub mod codes {
    pub const BAD_REQUEST: &str = "e00400";
    pub const UNAUTHENTICATED: &str = "e00401";
    pub const FORBIDDEN: &str = "e00403";
    pub const NOT_FOUND: &str = "e00404";
    pub const METHOD_NOT_ALLOWED: &str = "e00405";
    pub const PAYLOAD_TOO_LARGE: &str = "e00413";
    pub const RATE_LIMITED: &str = "e00429";
    /// Too many failed sign-ins for this account or address: wait and retry.
    pub const SIGN_IN_LOCKED: &str = "e00423";
    /// Kisi: the authentication (magic) link is not valid.
    pub const INVALID_LINK: &str = "afc507";
    /// Kisi: wrong e-mail address or password.
    pub const WRONG_CREDENTIALS: &str = "afc516";
    /// Kisi: access denied.
    pub const ACCESS_DENIED: &str = "afc496";
    /// Kisi: unexpected internal error.
    pub const INTERNAL: &str = "ffffff";
}

/// Kisi's `Error` envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
}

/// Kisi's `Errors` envelope (422): every invalid field with its messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorsBody {
    pub errors: BTreeMap<String, Vec<String>>,
}

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthenticated,
    WrongCredentials,
    /// 401 with a Kisi code (e.g. `afc507` for a used sign-in code).
    Unauthorized {
        message: String,
        code: &'static str,
    },
    /// Sign-in is locked for this account or address for `retry_after` seconds.
    SignInLocked {
        retry_after: i64,
    },
    /// Authenticated, inside the caller's organization, but not allowed.
    Forbidden(String),
    /// Denied with a Kisi code (e.g. `afc496`).
    Denied {
        message: String,
        code: &'static str,
    },
    /// A door stayed shut: the access decision's code and status.
    Door(gatehouse_domain::access::Denial),
    /// A duplicate refused with a Kisi code (422 in the `Error` envelope).
    Duplicate {
        message: String,
        code: &'static str,
    },
    NotFound,
    MethodNotAllowed,
    Invalid(FieldErrors),
    PayloadTooLarge,
    RateLimited,
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::BadRequest(message)
            | ApiError::Forbidden(message)
            | ApiError::Internal(message) => f.write_str(message),
            ApiError::Denied { message, code } | ApiError::Unauthorized { message, code } => {
                write!(f, "{message} ({code})")
            }
            ApiError::Invalid(errors) => write!(f, "invalid: {errors}"),
            other => write!(f, "{other:?}"),
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(FieldErrors::single(field, message))
    }

    pub fn forbidden(what: &str) -> Self {
        ApiError::Forbidden(format!("You are not allowed to {what}."))
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Invalid(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict { field, message } => ApiError::invalid(field, message),
            StoreError::Backend(message) => ApiError::Internal(message),
        }
    }
}

fn envelope(status: StatusCode, error: impl Into<String>, code: &str) -> Response {
    let body = ErrorBody {
        error: error.into(),
        code: code.to_owned(),
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(message) => {
                envelope(StatusCode::BAD_REQUEST, message, codes::BAD_REQUEST)
            }
            ApiError::Unauthenticated => {
                let mut response = envelope(
                    StatusCode::UNAUTHORIZED,
                    "Authentication required: send Authorization: KISI-LOGIN <secret>.",
                    codes::UNAUTHENTICATED,
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("KISI-LOGIN"),
                );
                response
            }
            ApiError::WrongCredentials => envelope(
                StatusCode::UNAUTHORIZED,
                "Wrong email address or password.",
                codes::WRONG_CREDENTIALS,
            ),
            ApiError::Unauthorized { message, code } => {
                envelope(StatusCode::UNAUTHORIZED, message, code)
            }
            ApiError::SignInLocked { retry_after } => {
                let mut response = envelope(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many failed sign-in attempts. Try again in {retry_after} seconds."
                    ),
                    codes::SIGN_IN_LOCKED,
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
            ApiError::Forbidden(message) => {
                envelope(StatusCode::FORBIDDEN, message, codes::FORBIDDEN)
            }
            ApiError::Denied { message, code } => envelope(StatusCode::FORBIDDEN, message, code),
            ApiError::Duplicate { message, code } => {
                envelope(StatusCode::UNPROCESSABLE_ENTITY, message, code)
            }
            ApiError::Door(denial) => envelope(
                StatusCode::from_u16(denial.status()).unwrap_or(StatusCode::FORBIDDEN),
                denial.message(),
                denial.code(),
            ),
            ApiError::NotFound => envelope(StatusCode::NOT_FOUND, "Not found.", codes::NOT_FOUND),
            ApiError::MethodNotAllowed => envelope(
                StatusCode::METHOD_NOT_ALLOWED,
                "This method is not allowed on this path.",
                codes::METHOD_NOT_ALLOWED,
            ),
            ApiError::Invalid(errors) => {
                let body = ErrorsBody {
                    errors: errors.fields().clone(),
                };
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
            ApiError::PayloadTooLarge => envelope(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is larger than 1 MiB.",
                codes::PAYLOAD_TOO_LARGE,
            ),
            ApiError::RateLimited => envelope(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded: at most 5 requests per second. Retry shortly.",
                codes::RATE_LIMITED,
            ),
            ApiError::Internal(detail) => {
                // The detail goes to the log (with the request id), never to the client.
                tracing::error!(error = %detail, "internal error");
                envelope(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An unexpected error occurred. Quote the x-request-id header when reporting it.",
                    codes::INTERNAL,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_deliberate_status() {
        let cases = [
            (ApiError::BadRequest("x".into()), 400),
            (ApiError::Unauthenticated, 401),
            (ApiError::WrongCredentials, 401),
            (ApiError::forbidden("x"), 403),
            (ApiError::NotFound, 404),
            (ApiError::MethodNotAllowed, 405),
            (ApiError::invalid("name", "is bad"), 422),
            (ApiError::PayloadTooLarge, 413),
            (ApiError::RateLimited, 429),
            (ApiError::SignInLocked { retry_after: 30 }, 429),
            (
                ApiError::Unauthorized {
                    message: "x".into(),
                    code: codes::INVALID_LINK,
                },
                401,
            ),
            (ApiError::Internal("db down".into()), 500),
            (StoreError::NotFound.into(), 404),
            (StoreError::conflict("domain", "taken").into(), 422),
        ];
        for (error, status) in cases {
            assert_eq!(error.into_response().status().as_u16(), status);
        }
    }
}
