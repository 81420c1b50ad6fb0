//! The signed-in person of a dashboard page, and the CSRF token of their
//! forms.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_domain::{MemberType, Principal};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::api::{Api, Reply};
use crate::auth::{cookie, SESSION_COOKIE};

/// A page request from a signed-in person. Without a valid session the
/// page answers with a redirect to the sign-in form.
pub struct Session {
    pub principal: Arc<Principal>,
    secret: String,
    api: Api,
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let principal = parts.extensions.get::<Arc<Principal>>().cloned();
        let secret = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned);
        let api = parts.extensions.get::<Api>().cloned();
        match (principal, secret, api) {
            (Some(principal), Some(secret), Some(api)) => Ok(Session {
                principal,
                secret,
                api,
            }),
            _ => Err(Redirect::to("/dashboard/sign-in").into_response()),
        }
    }
}

/// The CSRF token of a session: derived from its secret, so it needs no
/// storage, differs per session, and tells nothing about the secret.
pub fn csrf_token(secret: &str) -> String {
    hex::encode(&Sha256::digest(format!("gatehouse dashboard csrf {secret}").as_bytes())[..16])
}

/// Constant-time comparison of a submitted token with the expected one.
pub fn same_token(submitted: &str, expected: &str) -> bool {
    submitted.len() == expected.len() && bool::from(submitted.as_bytes().ct_eq(expected.as_bytes()))
}

impl Session {
    pub fn csrf(&self) -> String {
        csrf_token(&self.secret)
    }

    /// The refusal of a form whose CSRF token is not this session's.
    pub fn forged(&self, submitted: &str) -> Option<Response> {
        (!same_token(submitted, &self.csrf())).then(|| {
            super::layout::refused(
                "This form has expired or did not come from this dashboard. Reload the page and try again.",
            )
        })
    }

    pub fn member_type(&self) -> MemberType {
        self.principal.member_type()
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.api
            .call(Some(&self.secret), None, Method::GET, path, None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.api
            .call(Some(&self.secret), None, Method::POST, path, Some(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.api
            .call(Some(&self.secret), None, Method::PATCH, path, Some(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.api
            .call(Some(&self.secret), None, Method::DELETE, path, None)
            .await
    }

    pub async fn raw_get(&self, path: &str) -> Response {
        self.api
            .raw(Some(&self.secret), None, Method::GET, path, None)
            .await
    }
}

/// `/dashboard`: managers and administrators start with the members, basic
/// members with their doors.
pub async fn home(session: Session) -> Redirect {
    if session.member_type() >= MemberType::Manager {
        Redirect::to("/dashboard/members")
    } else {
        Redirect::to("/dashboard/doors")
    }
}
