//! A real gatehouse on 127.0.0.1:0 over a fresh database, and typed helpers
//! to talk HTTP to it.

use std::sync::Arc;

use gatehouse::server::{self, Limits};
use gatehouse_api::mail::Mailer;
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
    pub clock: Arc<MovableClock>,
    /// Where sent e-mails land: the outbox, or the SMTP sink's maildir.
    mail_dir: std::path::PathBuf,
    smtp_sink: Option<std::process::Child>,
    database: Option<TestDatabase>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The rate limit is off unless a test asks for it, so tests do not race it.
pub const NO_LIMIT: Limits = Limits {
    per_second: 0,
    burst: 0,
};

/// The wall clock plus an offset tests can move forward.
#[derive(Default)]
pub struct MovableClock {
    offset_seconds: std::sync::atomic::AtomicI64,
}

impl MovableClock {
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl gatehouse_api::Clock for MovableClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        gatehouse_api::SystemClock.now()
            + chrono::Duration::seconds(
                self.offset_seconds
                    .load(std::sync::atomic::Ordering::SeqCst),
            )
    }
}

/// How a test server sends e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mail {
    /// `.eml` files in the data directory's outbox (the default without SMTP).
    Outbox,
    /// A real SMTP server: Python's aiosmtpd, storing into a maildir.
    Smtp,
}

/// One e-mail as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Received {
    /// The first whitespace-separated word of the body that starts with `prefix`.
    pub fn word_starting(&self, prefix: &str) -> Option<String> {
        self.body
            .split_whitespace()
            .find(|word| word.starts_with(prefix))
            .map(str::to_owned)
    }

    /// The indented line after the line containing `marker` (codes and links
    /// stand on a line of their own).
    pub fn code_after(&self, marker: &str) -> Option<String> {
        let mut lines = self.body.lines().skip_while(|l| !l.contains(marker));
        lines.next()?;
        lines
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_owned())
    }
}

/// Starts aiosmtpd on a free port, storing messages in `maildir`.
fn start_smtp_sink(maildir: &std::path::Path) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::create_dir_all(maildir.parent().expect("a parent")).expect("data directory");
    let mut child = std::process::Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (child, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the SMTP sink did not start; is aiosmtpd installed (pip install aiosmtpd)?");
}

impl TestApp {
    pub async fn start(backend: &str, limits: Limits) -> Option<TestApp> {
        Self::start_with(backend, limits, Mail::Outbox).await
    }

    pub async fn start_with(backend: &str, limits: Limits, mail: Mail) -> Option<TestApp> {
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
        let _ = std::fs::remove_dir_all(&data_dir);
        let base = format!("http://{address}");
        let from = "gatehouse <doors@gatehouse.test>";
        let (mailer, mail_dir, smtp_sink) = match mail {
            Mail::Outbox => {
                let outbox = data_dir.join("outbox");
                let mailer = Mailer::outbox(&outbox, from, &base).expect("outbox");
                (mailer, outbox, None)
            }
            Mail::Smtp => {
                let maildir = data_dir.join("maildir");
                let (child, port) = start_smtp_sink(&maildir);
                let mailer =
                    Mailer::smtp(&format!("smtp://127.0.0.1:{port}"), from, &base).expect("smtp");
                (mailer, maildir.join("new"), Some(child))
            }
        };
        let clock = Arc::new(MovableClock::default());
        let options = server::Options {
            limits,
            data_dir,
            mailer,
            clock: clock.clone(),
        };
        let served = store.clone();
        let server = tokio::spawn(async move {
            server::serve(listener, served, options, async move {
                let _ = stopped.await;
            })
            .await
        });
        Some(TestApp {
            base,
            store,
            http: reqwest::Client::new(),
            clock,
            mail_dir,
            smtp_sink,
            database: Some(database),
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// The e-mails received for `to` once there are at least `count` of
    /// them (mail leaves in the background), oldest first.
    pub async fn mails_to(&self, to: &str, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let found = self.all_mail_to(to);
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "expected {count} e-mail(s) to {to}, got {:?}",
            self.all_mail_to(to)
        );
    }

    /// Whatever has arrived for `to` so far.
    pub fn all_mail_to(&self, to: &str) -> Vec<Received> {
        let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> =
            std::fs::read_dir(&self.mail_dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().is_file())
                        .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap(), e.path()))
                        .collect()
                })
                .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| {
                let raw = std::fs::read(&path).ok()?;
                let message = mail_parser::MessageParser::default().parse(&raw)?;
                let recipient = message
                    .to()
                    .and_then(|to| to.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_owned();
                Some(Received {
                    to: recipient,
                    subject: message.subject().unwrap_or_default().to_owned(),
                    body: message.body_text(0).unwrap_or_default().into_owned(),
                })
            })
            .filter(|m| m.to.eq_ignore_ascii_case(to))
            .collect()
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

    /// Creates through the API, insisting on success; the new object's id.
    pub async fn create(&self, path: &str, secret: &str, body: Value) -> i64 {
        let reply = self.post(path, secret, body).await;
        assert_eq!(reply.status, StatusCode::OK, "POST {path}: {}", reply.body);
        reply.body["id"].as_i64().expect("an id")
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

impl Drop for TestApp {
    /// A failed test must not leave its SMTP sink running.
    fn drop(&mut self) {
        if let Some(mut sink) = self.smtp_sink.take() {
            let _ = sink.kill();
            let _ = sink.wait();
        }
    }
}
