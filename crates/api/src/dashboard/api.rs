//! The JSON API, called in process on behalf of the signed-in person.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

use crate::auth::InternalCall;

#[derive(Clone)]
pub struct Api {
    router: Router,
}

/// What an API call answered.
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    /// `X-Collection-Range` total, for paging.
    pub total: Option<i64>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The error the API gave, in words a person can act on.
    pub fn problem(&self) -> String {
        if let Some(error) = self.body["error"].as_str() {
            return error.to_owned();
        }
        if let Some(errors) = self.body["errors"].as_object() {
            return errors
                .iter()
                .map(|(field, messages)| {
                    let messages: Vec<&str> = messages
                        .as_array()
                        .map(|m| m.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    format!("{} {}", field.replace('_', " "), messages.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ");
        }
        format!("The request failed ({}).", self.status)
    }

    /// The list in the body (empty when the call failed).
    pub fn items(&self) -> &[Value] {
        self.body.as_array().map(Vec::as_slice).unwrap_or_default()
    }
}

impl Api {
    pub fn new(router: Router) -> Self {
        Api { router }
    }

    /// The raw response of the API (for downloads). `secret`: the login to
    /// call with; `from`: the person's address (for sign-in throttling).
    pub async fn raw(
        &self,
        secret: Option<&str>,
        from: Option<SocketAddr>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(secret) = secret {
            request = request.header(header::AUTHORIZATION, format!("KISI-LOGIN {secret}"));
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let mut request =
            match request.body(Body::from(body.map(Value::to_string).unwrap_or_default())) {
                Ok(request) => request,
                Err(error) => {
                    return crate::ApiError::BadRequest(format!("not a valid request: {error}"))
                        .into_response()
                }
            };
        request.extensions_mut().insert(InternalCall);
        if let Some(from) = from {
            request.extensions_mut().insert(ConnectInfo(from));
        }
        match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    pub async fn call(
        &self,
        secret: Option<&str>,
        from: Option<SocketAddr>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        let response = self.raw(secret, from, method, path, body).await;
        let status = response.status();
        let total = response
            .headers()
            .get("x-collection-range")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit('/').next())
            .and_then(|v| v.parse().ok());
        let bytes = axum::body::to_bytes(response.into_body(), crate::BODY_LIMIT * 16)
            .await
            .unwrap_or_default();
        Reply {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            total,
        }
    }
}
