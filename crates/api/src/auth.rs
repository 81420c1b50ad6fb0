//! Credentials: random secrets stored as SHA-256 hashes, Argon2id
//! passwords, and the middleware that authenticates and rate-limits every
//! request once.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::rate_limit::RateKey;
use crate::AppState;

/// A new random secret (256 bits, hex) and the hash that is stored.
pub fn new_secret() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let hash = hash_secret(&secret);
    (secret, hash)
}

/// Secrets carry 256 bits of entropy, so a fast hash is enough: nobody can
/// guess one, and a leaked table reveals none. Lookup by hash is an index
/// probe, so no secret is ever compared byte by byte.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Argon2 work runs on a few dedicated threads, one per core. Each hash
/// needs 19 MiB while it runs; on Tokio's blocking pool every new thread
/// kept its own, so a burst of sign-ins grew the server by gigabytes. A
/// fixed set of threads bounds that memory and queues the rest.
struct Argon2Threads {
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

static ARGON2_THREADS: std::sync::LazyLock<Argon2Threads> = std::sync::LazyLock::new(|| {
    let (jobs, queue) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
    let queue = Arc::new(std::sync::Mutex::new(queue));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    for i in 0..threads {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || loop {
                let job = match queue.lock() {
                    Ok(queue) => queue.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start an Argon2 thread");
        }
    }
    Argon2Threads { jobs }
});

/// Runs `work` on the Argon2 threads and waits for it without blocking the
/// async workers.
async fn on_argon2_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Box<dyn FnOnce() + Send> = Box::new(move || {
        let _ = done.send(work());
    });
    ARGON2_THREADS
        .jobs
        .send(job)
        .map_err(|_| ApiError::Internal("no Argon2 thread is running".into()))?;
    result
        .await
        .map_err(|_| ApiError::Internal("an Argon2 job was dropped".into()))
}

/// Argon2id with the crate's recommended parameters.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    on_argon2_thread(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))
    })
    .await?
}

/// A fixed hash to verify against when there is no user, so a sign-in for
/// an unknown e-mail costs the same time as one with a wrong password.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2l1bYbNw5PVFpMYl4FaPcsNQb9Hn8PsqJcSxbmtHiWQ";

/// Constant-time verification (the argon2 crate compares in constant time).
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    on_argon2_thread(move || {
        let stored = hash.as_deref().unwrap_or(DECOY_HASH);
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        let valid = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        valid && hash.is_some()
    })
    .await
    .unwrap_or(false)
}

/// What the `Authorization` header carried.
enum Credential<'a> {
    None,
    Login(&'a str),
    /// A quick access link's secret.
    GroupLink(&'a str),
    /// A reader's secret.
    Service(&'a str),
    /// Any other scheme, or a malformed value (kisi-client sends the literal
    /// `null` when signed out).
    Unusable,
}

/// The dashboard's session cookie: the secret of a device login.
pub const SESSION_COOKIE: &str = "gatehouse_session";

/// A request the dashboard makes to the API on behalf of the page being
/// served; the page was rate-limited already.
#[derive(Clone, Copy)]
pub struct InternalCall;

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

fn credential(request: &Request) -> Credential<'_> {
    let Some(value) = request.headers().get(AUTHORIZATION) else {
        // The session cookie counts only on the dashboard's own pages, so
        // the JSON API can never be driven by a cookie a browser sends
        // along (no cross-site request forgery against it).
        if request.uri().path().starts_with("/dashboard") {
            if let Some(secret) = cookie(request.headers(), SESSION_COOKIE) {
                return Credential::Login(secret);
            }
        }
        return Credential::None;
    };
    let Ok(value) = value.to_str() else {
        return Credential::Unusable;
    };
    match value.trim().split_once(' ') {
        Some((scheme, secret)) if !secret.trim().is_empty() => {
            let secret = secret.trim();
            if scheme.eq_ignore_ascii_case("KISI-LOGIN") {
                Credential::Login(secret)
            } else if scheme.eq_ignore_ascii_case("KISI-GROUP-LINK") {
                Credential::GroupLink(secret)
            } else if scheme.eq_ignore_ascii_case("KISI-SERVICE") {
                Credential::Service(secret)
            } else {
                Credential::Unusable
            }
        }
        _ => Credential::Unusable,
    }
}

/// Authenticates the caller once per request and applies the rate limit:
/// per user when signed in, per client address otherwise. Endpoints decide
/// whether they need a caller (the `Auth` extractor); an invalid credential
/// is only an anonymous caller here, so `POST /logins` can ignore it.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let now = state.clock.now();
    let store = &state.store;
    if is_unlock(&request) {
        // The credential's use then commits with the decision, in one
        // batch, instead of in a commit of its own before it.
        gatehouse_store::freshness::defer_writes();
    }
    let found = match credential(&request) {
        Credential::Login(secret) => store
            .authenticate(&hash_secret(secret), now)
            .await
            .map(|p| p.map(Caller::Login)),
        Credential::GroupLink(secret) => store
            .authenticate_link(&hash_secret(secret), now)
            .await
            .map(|l| l.map(Caller::Link)),
        Credential::Service(secret) => store
            .authenticate_reader(&hash_secret(secret))
            .await
            .map(|r| r.map(Caller::Reader)),
        Credential::None | Credential::Unusable => Ok(None),
    };
    let caller = match found {
        Ok(caller) => caller,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let key = match &caller {
        Some(Caller::Login(principal)) => RateKey::User(principal.login.user_id),
        Some(Caller::Link(link)) => RateKey::Link(link.id),
        Some(Caller::Reader(reader)) => RateKey::Reader(reader.id),
        None => RateKey::Address(client_address(&request)),
    };
    let internal = request.extensions().get::<InternalCall>().is_some();
    if !internal && !state.rate_limiter.check(&key) {
        return ApiError::RateLimited.into_response();
    }
    let extensions = request.extensions_mut();
    match caller {
        Some(Caller::Login(principal)) => extensions.insert(principal).map(drop),
        Some(Caller::Link(link)) => extensions.insert(Arc::new(link)).map(drop),
        Some(Caller::Reader(reader)) => extensions.insert(Arc::new(reader)).map(drop),
        None => None,
    };
    next.run(request).await
}

/// `POST /locks/{id}/unlock`: an app or link unlock, which records its
/// decision before it answers.
fn is_unlock(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == axum::http::Method::POST
        && path
            .strip_prefix("/locks/")
            .and_then(|rest| rest.strip_suffix("/unlock"))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// Who a credential belongs to.
enum Caller {
    Login(Arc<gatehouse_domain::Principal>),
    Link(gatehouse_domain::GroupLink),
    Reader(gatehouse_domain::Reader),
}

fn client_address(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unlock_is_an_unlock() {
        let request = |method: &str, path: &str| {
            Request::builder()
                .method(method)
                .uri(path)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        assert!(is_unlock(&request("POST", "/locks/12/unlock")));
        assert!(!is_unlock(&request("GET", "/locks/12/unlock")));
        assert!(!is_unlock(&request("POST", "/locks/12/card_access")));
        assert!(!is_unlock(&request("POST", "/locks//unlock")));
        assert!(!is_unlock(&request("POST", "/locks/1/2/unlock")));
        assert!(!is_unlock(&request("POST", "/places/1/unlock")));
    }

    #[test]
    fn secrets_are_random_and_only_hashes_are_kept() {
        let (a, hash_a) = new_secret();
        let (b, _) = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64, "256 bits as hex");
        assert_eq!(hash_a, hash_secret(&a));
        assert_ne!(hash_a, a.as_bytes());
    }

    #[tokio::test]
    async fn passwords_round_trip_through_argon2id() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), Some(hash.clone())).await);
        assert!(!verify_password("wrong horse".into(), Some(hash)).await);
        assert!(
            !verify_password("anything".into(), None).await,
            "no user, no sign-in"
        );
        assert!(!verify_password("x".into(), Some("not a hash".into())).await);
    }
}
