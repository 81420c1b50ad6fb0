//! Request extractors that answer bad input in the Kisi envelopes instead of
//! axum's plain-text rejections.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use gatehouse_domain::{FieldErrors, Principal};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::ApiError;

/// A JSON request body. Malformed JSON is a 400; a wrong type, an unknown
/// enum value, an unknown or missing field is a 422 naming the field; a body
/// over the limit is a 413. An empty body reads as `{}`.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection {
                    BytesRejection::FailedToBufferBody(_) => ApiError::PayloadTooLarge,
                    other => ApiError::BadRequest(other.body_text()),
                })?;
        parse_json(if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        })
        .map(Body)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would read a struct from an array too; Kisi bodies are objects.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::invalid(
            "base",
            "the request body must be a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => Ok(value),
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::BadRequest(format!(
                    "The request body is not valid JSON: {inner}"
                )));
            }
            Err(ApiError::Invalid(FieldErrors::single(
                field_name(&path),
                clean_message(&inner.to_string()),
            )))
        }
    }
}

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent is
/// `None` (leave unchanged), `null` is `Some(None)` (clear it).
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `place.name` names the field `name`: the resource wrapper is implied.
fn field_name(path: &str) -> String {
    match path.split_once('.') {
        Some((_, rest)) if !rest.is_empty() => rest.to_owned(),
        _ if path == "." || path.is_empty() => "base".to_owned(),
        _ => path.to_owned(),
    }
}

/// serde's messages end with " at line 1 column 17"; the field key already
/// says where.
fn clean_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Query parameters as raw strings; each handler parses what it accepts
/// and reports every bad one at once.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| ApiError::BadRequest(format!("The query string is malformed: {e}")))?;
        Ok(Params(pairs.into_iter().collect()))
    }
}

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn int(&self, key: &str, errors: &mut FieldErrors) -> Option<i64> {
        let raw = self.get(key)?;
        errors.check(
            key,
            raw.trim().parse::<i64>().map_err(|_| "must be an integer"),
        )
    }

    pub fn bool(&self, key: &str, errors: &mut FieldErrors) -> Option<bool> {
        match self.get(key)? {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => {
                errors.add(key, "must be true or false");
                None
            }
        }
    }

    /// `ids=1,2,3`.
    pub fn ids(&self, errors: &mut FieldErrors) -> Option<Vec<i64>> {
        let raw = self.0.get("ids")?;
        let parsed: Result<Vec<i64>, _> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse::<i64>)
            .collect();
        errors.check(
            "ids",
            parsed.map_err(|_| "must be comma-separated integers"),
        )
    }

    /// One of `allowed`, or an error naming them.
    pub fn one_of<'a>(
        &'a self,
        key: &str,
        allowed: &[&str],
        errors: &mut FieldErrors,
    ) -> Option<&'a str> {
        let value = self.get(key)?;
        if allowed.contains(&value) {
            Some(value)
        } else {
            errors.add(key, format!("must be one of: {}", allowed.join(", ")));
            None
        }
    }
}

/// A numeric `{id}` path segment. Anything else cannot name an object, so
/// it is a 404 like any unknown id.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        raw.parse::<i64>().map(Id).map_err(|_| ApiError::NotFound)
    }
}

/// The authenticated caller. Authentication itself happens once per request
/// in the middleware (`auth::authenticate`); this only reads its result.
pub struct Auth(pub Arc<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Arc<Principal>>()
            .cloned()
            .map(Auth)
            .ok_or(ApiError::Unauthenticated)
    }
}

/// The caller when one authenticated, for endpoints open to everybody.
pub struct MaybeAuth(pub Option<Arc<Principal>>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(MaybeAuth(parts.extensions.get::<Arc<Principal>>().cloned()))
    }
}

/// The address the request came from (the TCP peer).
pub struct ClientAddress(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip())
                .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
        ))
    }
}

/// The caller when it is an authenticated value of type `T` in the
/// request (a `GroupLink` or a `Reader`), put there by the middleware.
pub struct Authenticated<T>(pub Arc<T>);

impl<S: Send + Sync, T: Send + Sync + 'static> FromRequestParts<S> for Authenticated<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Arc<T>>()
            .cloned()
            .map(Authenticated)
            .ok_or(ApiError::Unauthenticated)
    }
}

/// Whichever of a login or a quick access link authenticated the request.
pub enum LoginOrLink {
    Login(Arc<Principal>),
    Link(Arc<gatehouse_domain::GroupLink>),
}

impl<S: Send + Sync> FromRequestParts<S> for LoginOrLink {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        if let Some(principal) = parts.extensions.get::<Arc<Principal>>() {
            return Ok(LoginOrLink::Login(principal.clone()));
        }
        parts
            .extensions
            .get::<Arc<gatehouse_domain::GroupLink>>()
            .cloned()
            .map(LoginOrLink::Link)
            .ok_or(ApiError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Wrapper {
        #[allow(dead_code)]
        place: Inner,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        name: String,
    }

    fn fields(result: Result<Wrapper, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Invalid(errors)) => errors.fields().keys().cloned().collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn names_the_field_of_a_wrong_type() {
        assert_eq!(fields(parse_json(br#"{"place":{"name":5}}"#)), ["name"]);
        assert_eq!(fields(parse_json(br#"{"place":{}}"#)), ["place"]);
        assert_eq!(fields(parse_json(br#"{}"#)), ["base"]);
        assert!(matches!(
            parse_json::<Wrapper>(br#"{"place":"#),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Wrapper>(b"nonsense"),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn unknown_fields_are_named() {
        let result = parse_json::<Wrapper>(br#"{"place":{"name":"x","colour":"red"}}"#);
        let Err(ApiError::Invalid(errors)) = result else {
            panic!("expected 422")
        };
        let text = errors.to_string();
        assert!(text.contains("colour"), "{text}");
    }
}
