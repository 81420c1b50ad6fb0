//! A real gatehouse on 127.0.0.1:0 over a fresh database, and typed helpers
//! to talk HTTP to it.

use std::sync::Arc;

use gatehouse::server::{self, Limits};
use gatehouse_domain::{Bootstrap, Email, NewOrganization, OrgDomain, Subscription};
use gatehouse_store::Store;
use gatehouse_store_sql::test_support::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
    database: Option<TestDatabase>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The rate limit is off unless a test asks for it, so tests do not race it.
pub const NO_LIMIT: Limits = Limits {
    per_second: 0,
    burst: 0,
};

impl TestApp {
    pub async fn start(backend: &str, limits: Limits) -> Option<TestApp> {
        let database = match backend {
            "sqlite" => TestDatabase::sqlite(),
            "postgres" => TestDatabase::postgres().await?,
            other => panic!("unknown backend {other}"),
        };
        let store = gatehouse_store_sql::open(&database.url)
            .await
            .expect("open the store");
        assert_eq!(
            store.backend(),
            backend,
            "the test runs on the intended backend"
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        let data_dir = std::env::temp_dir().join(format!("gatehouse-data-{}", address.port()));
        let served = store.clone();
        let server = tokio::spawn(async move {
            server::serve(listener, served, limits, &data_dir, async move {
                let _ = stopped.await;
            })
            .await
        });
        Some(TestApp {
            base: format!("http://{address}"),
            store,
            http: reqwest::Client::new(),
            database: Some(database),
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// Stops the server gracefully and removes the database.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server ran cleanly");
        }
        let database = self.database.take();
        drop(self);
        if let Some(database) = database {
            database.remove().await;
        }
    }

    /// Creates an organization and its owner, as `gatehouse bootstrap` does.
    pub async fn organization(&self, domain: &str, subscription: Subscription) -> Owner {
        let hash = gatehouse_api::auth::hash_password(PASSWORD.into())
            .await
            .expect("hash");
        let email = format!("owner@{domain}.example");
        let created = self
            .store
            .bootstrap(
                &Bootstrap {
                    organization: NewOrganization {
                        name: format!("{domain} Inc."),
                        domain: OrgDomain::parse(domain).unwrap(),
                        subscription,
                        time_zone: "Europe/Berlin".into(),
                    },
                    owner_email: Email::parse(&email).unwrap(),
                    owner_name: "Olivia Owner".into(),
                    owner_password_hash: hash,
                },
                gatehouse_api::Clock::now(&gatehouse_api::SystemClock),
            )
            .await
            .expect("bootstrap");
        let secret = self.sign_in(domain, &email, PASSWORD).await;
        Owner {
            domain: domain.into(),
            email,
            secret,
            organization_id: created.organization.id,
            user_id: created.owner.user_id,
        }
    }

    /// A new api login for a member (who may have no password), made in the store.
    pub async fn login_for(&self, organization_id: i64, user_id: i64) -> String {
        let (secret, hash) = gatehouse_api::auth::new_secret();
        let login = gatehouse_domain::NewLogin {
            user_id,
            organization_id,
            login_type: gatehouse_domain::LoginType::Api,
            name: None,
            expire: true,
            device_brand: None,
            device_model: None,
            os_name: None,
            secret_hash: hash,
        };
        let now = gatehouse_api::Clock::now(&gatehouse_api::SystemClock);
        self.store
            .create_login(&gatehouse_domain::Actor::Operator, &login, now)
            .await
            .expect("login");
        secret
    }

    pub async fn sign_in(&self, domain: &str, email: &str, password: &str) -> String {
        let response = self
            .call(
                Method::POST,
                "/logins",
                None,
                Some(json!({
                    "login": {"type": "device", "name": "test"},
                    "user": {"domain": domain, "email": email, "password": password},
                })),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "sign-in: {}",
            response.body
        );
        response.body["secret"].as_str().expect("secret").to_owned()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        secret: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(secret) = secret {
            request = request.header("Authorization", format!("KISI-LOGIN {secret}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str, secret: &str) -> Reply {
        self.call(Method::GET, path, Some(secret), None).await
    }

    pub async fn post(&self, path: &str, secret: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(secret), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, secret: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(secret), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, secret: &str) -> Reply {
        self.call(Method::DELETE, path, Some(secret), None).await
    }

    pub async fn raw(&self, request: reqwest::RequestBuilder) -> Reply {
        Reply::from(request.send().await.expect("request")).await
    }
}

pub struct Owner {
    pub domain: String,
    pub email: String,
    pub secret: String,
    pub organization_id: i64,
    pub user_id: i64,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    async fn from(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{status}: body is not JSON: {text}"))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the Kisi `Error` envelope with this status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert!(
            self.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{}",
            self.body
        );
        assert_eq!(
            self.body.as_object().map(|o| o.len()),
            Some(2),
            "exactly error and code: {}",
            self.body
        );
    }

    /// Asserts a 422 naming exactly these fields.
    #[track_caller]
    pub fn assert_invalid(&self, fields: &[&str]) {
        assert_eq!(self.status.as_u16(), 422, "{}", self.body);
        let mut named: Vec<&str> = self.body["errors"]
            .as_object()
            .unwrap_or_else(|| panic!("an errors map: {}", self.body))
            .keys()
            .map(String::as_str)
            .collect();
        named.sort_unstable();
        let mut expected = fields.to_vec();
        expected.sort_unstable();
        assert_eq!(named, expected, "{}", self.body);
    }

    #[track_caller]
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .body
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }
}

/// Sorted key list, for exact-shape assertions.
pub fn keys(list: &str) -> Vec<String> {
    let mut keys: Vec<String> = list.split_whitespace().map(String::from).collect();
    keys.sort();
    keys
}

/// One `#[tokio::test]` per backend for each story.
#[macro_export]
macro_rules! on_both_backends {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $story() {
                    let app = $crate::helpers::TestApp::start("sqlite", $crate::helpers::NO_LIMIT).await.unwrap();
                    super::$story(&app).await;
                    app.stop().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $story() {
                    if let Some(app) = $crate::helpers::TestApp::start("postgres", $crate::helpers::NO_LIMIT).await {
                        super::$story(&app).await;
                        app.stop().await;
                    }
                }
            )*
        }
    };
}
