//! The real `gatehouse` binary: bootstrap, serve, demo, graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use gatehouse_store_sql::test_support::TestDatabase;
use serde_json::json;
use sqlx::Connection;

fn gatehouse() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .env_remove("GATEHOUSE_OWNER_PASSWORD")
        .env_remove("GATEHOUSE_DATABASE_URL");
    command
}

/// A running `gatehouse serve`. Dropped, it stops the server (a test that
/// failed midway leaves no process behind) and removes its data directory.
pub(crate) struct Served {
    child: Child,
    /// The base URL it listens on.
    pub(crate) base: String,
    /// What it printed before listening.
    printed: Vec<String>,
    data_dir: std::path::PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        // Both fail harmlessly when a test already stopped the server.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Starts `gatehouse serve` on a free port.
pub(crate) fn serve(database_url: &str, extra: &[&str]) -> Served {
    serve_logging_to(database_url, extra, Stdio::null())
}

/// `serve`, with the server's log (its standard error) sent to `log`.
fn serve_logging_to(database_url: &str, extra: &[&str], log: Stdio) -> Served {
    // Each server keeps its files (outbox, exports) in a directory of its own.
    static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let data_dir = std::env::temp_dir().join(format!(
        "gatehouse-cli-{}-{}",
        std::process::id(),
        SERVERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let mut child = gatehouse()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .arg("--data-dir")
        .arg(&data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("start gatehouse serve");
    let stdout = child.stdout.take().unwrap();
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("stdout");
        if let Some(rest) = line.strip_prefix("gatehouse listening on ") {
            let base = rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
            return Served {
                child,
                base,
                printed,
                data_dir,
            };
        }
        printed.push(line);
    }
    let status = child.wait();
    let _ = std::fs::remove_dir_all(&data_dir);
    panic!("gatehouse serve exited without listening ({status:?}): {printed:?}");
}

pub(crate) fn terminate(server: &mut Served) {
    let child = &mut server.child;
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

/// Signs in over HTTP; returns the new login's secret.
pub(crate) async fn sign_in(base: &str, domain: &str, email: &str, password: &str) -> String {
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/logins"))
        .json(&json!({"login": {"type": "api"}, "user": {"domain": domain, "email": email, "password": password}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("signed in: {login}"))
        .to_owned()
}

/// Signs in and GETs `path` with the new login.
async fn signed_in_get(
    base: &str,
    domain: &str,
    email: &str,
    password: &str,
    path: &str,
) -> reqwest::Response {
    let secret = sign_in(base, domain, email, password).await;
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header("Authorization", format!("KISI-LOGIN {secret}"))
        .send()
        .await
        .unwrap()
}

/// `gatehouse bootstrap` of the organization `acme`, owner boss@acme.io.
pub(crate) fn bootstrap_acme(url: &str) {
    let created = gatehouse()
        .args([
            "bootstrap",
            "--org-name",
            "Acme",
            "--org-domain",
            "acme",
            "--owner-email",
            "boss@acme.io",
        ])
        .args(["--database-url", url])
        .env("GATEHOUSE_OWNER_PASSWORD", "a good passphrase")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
}

async fn bootstrap_then_serve(database: TestDatabase) {
    let url = database.url.clone();
    let refused = gatehouse()
        .args([
            "bootstrap",
            "--org-name",
            "Acme",
            "--org-domain",
            "acme",
            "--owner-email",
            "boss@acme.io",
        ])
        .args(["--database-url", &url])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "no password, no organization");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("GATEHOUSE_OWNER_PASSWORD"));

    let bootstrap = |domain: &str| {
        gatehouse()
            .args([
                "bootstrap",
                "--org-name",
                "Acme",
                "--org-domain",
                domain,
                "--owner-email",
                "Boss@Acme.io",
            ])
            .args([
                "--database-url",
                &url,
                "--subscription",
                "standard",
                "--time-zone",
                "Europe/Paris",
            ])
            .env("GATEHOUSE_OWNER_PASSWORD", "a good passphrase")
            .output()
            .unwrap()
    };
    let created = bootstrap("acme");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("Created organization Acme"));
    let again = bootstrap("acme");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let mut server = serve(&url, &[]);
    let base = server.base.clone();
    let organization: serde_json::Value = signed_in_get(
        &base,
        "acme",
        "boss@acme.io",
        "a good passphrase",
        "/organization",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(organization["subscription"], "standard");
    assert_eq!(organization["time_zone"], "Europe/Paris");
    // On SQLite, a connection of the test's own stays open across the
    // stop: the server's connections are then not the file's last, and
    // SQLite does not empty the log when they close; only the store's
    // close does.
    let watcher = if url.starts_with("sqlite://") {
        let mut connection = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("a connection of the test's own");
        // A connection joins the log's readers with its first read.
        let organizations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
            .fetch_one(&mut connection)
            .await
            .expect("the test's connection reads");
        assert_eq!(organizations, 1);
        Some(connection)
    } else {
        None
    };
    terminate(&mut server);
    if let Some(file) = url.strip_prefix("sqlite://") {
        // The sign-in's writes are in the database's file, not left in its log.
        let log = std::fs::metadata(format!("{file}-wal")).map_or(0, |m| m.len());
        assert_eq!(log, 0, "a stopped server leaves an empty write-ahead log");
    }
    drop(watcher);
    database.remove().await;
}

#[tokio::test]
async fn bootstrap_and_serve_on_sqlite() {
    bootstrap_then_serve(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn bootstrap_and_serve_on_postgres() {
    if let Some(database) = TestDatabase::postgres().await {
        bootstrap_then_serve(database).await;
    }
}

#[tokio::test]
async fn each_request_is_logged_to_standard_error_with_its_id() {
    let database = TestDatabase::sqlite();
    let mut server = serve_logging_to(&database.url, &[], Stdio::piped());
    let base = server.base.clone();
    let printed = std::mem::take(&mut server.printed);
    let mut log = server
        .child
        .stderr
        .take()
        .expect("the server's standard error");
    let reply = reqwest::Client::new()
        .get(format!("{base}/health"))
        .header("x-request-id", "log-check-7")
        .send()
        .await
        .expect("GET /health");
    assert_eq!(reply.status(), 200);
    // A graceful stop writes out what the log thread still holds.
    terminate(&mut server);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut log, &mut text).expect("the log is text");
    let line = text
        .lines()
        .find(|line| line.contains("request_id=\"log-check-7\""))
        .unwrap_or_else(|| panic!("no line of the request in {text:?}"));
    assert!(line.contains("route=\"/health\""), "{line}");
    assert!(line.contains("status=200"), "{line}");
    assert!(
        !printed.iter().any(|line| line.contains("log-check-7")),
        "standard output carries no log: {printed:?}"
    );
    database.remove().await;
}

#[tokio::test]
async fn demo_prints_working_sign_in_details() {
    let database = TestDatabase::sqlite();
    let mut server = serve(&database.url, &["--demo"]);
    let base = server.base.clone();
    let printed = std::mem::take(&mut server.printed);
    let field = |name: &str| {
        printed
            .iter()
            .find_map(|line| line.trim().strip_prefix(name).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("{name} in {printed:?}"))
    };
    let (domain, email, password) = (field("domain:"), field("e-mail:"), field("password:"));
    assert!(password.len() >= 16, "a random password");
    let places = signed_in_get(&base, &domain, &email, &password, "/places").await;
    assert_eq!(places.headers()["x-collection-range"], "0-49/2");
    let doors = signed_in_get(&base, &domain, &email, &password, "/locks").await;
    assert_eq!(
        doors.headers()["x-collection-range"],
        "0-49/2",
        "a door in each place"
    );
    let members = signed_in_get(&base, &domain, &email, &password, "/members").await;
    assert_eq!(
        members.headers()["x-collection-range"],
        "0-49/4",
        "the owner and three people"
    );
    terminate(&mut server);

    // A second start on the same database keeps the data and creates nothing.
    let mut server = serve(&database.url, &["--demo"]);
    let printed = std::mem::take(&mut server.printed);
    assert!(
        !printed.iter().any(|line| line.contains("password:")),
        "{printed:?}"
    );
    terminate(&mut server);
    database.remove().await;
}

#[tokio::test]
async fn users_purge_removes_a_profile_everywhere() {
    let database = TestDatabase::sqlite();
    let url = database.url.clone();
    bootstrap_acme(&url);
    let mut server = serve(&url, &[]);
    let base = server.base.clone();
    let added = signed_in_post(
        &base,
        "/members",
        json!({"member": {"email": "leaver@x.io"}}),
    )
    .await;
    assert_eq!(added.status(), 200);
    terminate(&mut server);

    let purge = |email: &str, yes: bool| {
        let mut command = gatehouse();
        command.args(["users", "purge", "--email", email, "--database-url", &url]);
        if yes {
            command.arg("--yes");
        }
        command.output().unwrap()
    };
    let unconfirmed = purge("leaver@x.io", false);
    assert!(!unconfirmed.status.success());
    assert!(String::from_utf8_lossy(&unconfirmed.stderr).contains("--yes"));
    let done = purge("Leaver@X.io", true);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(String::from_utf8_lossy(&done.stdout).contains("1 membership(s)"));
    let again = purge("leaver@x.io", true);
    assert!(String::from_utf8_lossy(&again.stderr).contains("no user profile"));
    let owner = purge("boss@acme.io", true);
    assert!(!owner.status.success(), "an owner is never purged");
    database.remove().await;
}

/// Signs in as the bootstrap owner of `acme` and POSTs `body` to `path`.
async fn signed_in_post(base: &str, path: &str, body: serde_json::Value) -> reqwest::Response {
    let secret = sign_in(base, "acme", "boss@acme.io", "a good passphrase").await;
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("Authorization", format!("KISI-LOGIN {secret}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn reader_tap_tries_card_access_without_hardware() {
    let database = TestDatabase::sqlite();
    let url = database.url.clone();
    bootstrap_acme(&url);
    let mut server = serve(&url, &["--rate-limit-per-second", "0"]);
    let base = server.base.clone();
    let json_of = |response: reqwest::Response| async move {
        response.json::<serde_json::Value>().await.unwrap()
    };
    let place = json_of(
        signed_in_post(
            &base,
            "/places",
            json!({"place": {"name": "HQ", "address": "x"}}),
        )
        .await,
    )
    .await;
    let door = json_of(
        signed_in_post(
            &base,
            "/locks",
            json!({"lock": {"name": "Front", "place_id": place["id"]}}),
        )
        .await,
    )
    .await;
    let reader = json_of(
        signed_in_post(
            &base,
            "/readers",
            json!({"reader": {"name": "Front reader", "lock_id": door["id"]}}),
        )
        .await,
    )
    .await;
    let card = json_of(
        signed_in_post(
            &base,
            "/cards",
            json!({"card": {"type": "mifare_desfire", "token": "T-1"}}),
        )
        .await,
    )
    .await;
    let owner = json_of(
        signed_in_post(
            &base,
            "/members",
            json!({"member": {"email": "boss@acme.io"}}),
        )
        .await,
    )
    .await;
    assert_eq!(
        owner["errors"]["email"][0],
        "is already a member of this organization"
    );
    let users: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/users?email=boss@acme.io"))
        .header(
            "Authorization",
            format!(
                "KISI-LOGIN {}",
                sign_in(&base, "acme", "boss@acme.io", "a good passphrase").await
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let assignment = json_of(
        signed_in_post(&base, "/card_assignments", json!({"card_assignment": {"assignee_type": "User", "assignee_id": users[0]["id"], "card_id": card["id"]}}))
            .await,
    )
    .await;
    let secret = reader["secret"].as_str().unwrap().to_owned();
    let tap = |card: &str| {
        gatehouse()
            .args([
                "reader",
                "tap",
                "--database-url",
                &url,
                "--card-token",
                card,
            ])
            .env("GATEHOUSE_READER_SECRET", &secret)
            .output()
            .unwrap()
    };
    let before = tap("T-1");
    assert_eq!(before.status.code(), Some(3), "denied before activation");
    assert!(String::from_utf8_lossy(&before.stdout).contains("faa9ff"));
    signed_in_post(
        &base,
        &format!("/card_assignments/{}/activate", assignment["id"]),
        json!({}),
    )
    .await;
    let after = tap("T-1");
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    assert!(String::from_utf8_lossy(&after.stdout).contains("Unlocked!"));
    assert!(String::from_utf8_lossy(&tap("unknown").stdout).contains("faa9ef"));
    terminate(&mut server);
    database.remove().await;
}

#[tokio::test]
async fn members_export_writes_a_file() {
    let database = TestDatabase::sqlite();
    let url = database.url.clone();
    bootstrap_acme(&url);
    let output = std::env::temp_dir().join(format!("gatehouse-export-{}.csv", std::process::id()));
    let export = gatehouse()
        .args([
            "members",
            "export",
            "--database-url",
            &url,
            "--org-domain",
            "acme",
            "--output",
        ])
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(String::from_utf8_lossy(&export.stdout).contains("Exported 1 members of Acme"));
    let mut reader = csv::Reader::from_path(&output).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][2], "boss@acme.io");
    assert_eq!(&rows[0][3], "owner");
    let missing = gatehouse()
        .args([
            "members",
            "export",
            "--database-url",
            &url,
            "--org-domain",
            "nope",
            "--output",
        ])
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no organization has the domain nope")
    );
    let _ = std::fs::remove_file(output);
    database.remove().await;
}

#[tokio::test]
async fn members_import_reads_a_file() {
    let database = TestDatabase::sqlite();
    let url = database.url.clone();
    bootstrap_acme(&url);
    let file = std::env::temp_dir().join(format!("gatehouse-import-{}.csv", std::process::id()));
    std::fs::write(&file, "a@x.io,A\nb@x.io,B\nbad,C\n").unwrap();
    let run = || {
        gatehouse()
            .args([
                "members",
                "import",
                "--database-url",
                &url,
                "--org-domain",
                "acme",
            ])
            .arg(&file)
            .output()
            .unwrap()
    };
    let first = run();
    let out = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        out.contains("2 changed, 0 already up to date, 1 with errors") && out.contains("line 3"),
        "{out}"
    );
    let second = String::from_utf8_lossy(&run().stdout).to_string();
    assert!(
        second.contains("0 changed, 2 already up to date"),
        "{second}"
    );
    let _ = std::fs::remove_file(file);
    database.remove().await;
}

/// `gatehouse compact` on a database with pages left free by dropped data
/// (SQLite), or never vacuumed (PostgreSQL): it rewrites the file, or
/// vacuums and analyzes every table.
async fn compact_rewrites_the_database(database: TestDatabase) {
    let url = database.url.clone();
    let created = gatehouse()
        .args(["bootstrap", "--org-name", "Acme", "--org-domain", "acme"])
        .args(["--owner-email", "boss@acme.io", "--database-url", &url])
        .env("GATEHOUSE_OWNER_PASSWORD", "a good passphrase")
        .output()
        .unwrap();
    assert!(created.status.success());
    // What compacting must change: free pages, or no manual vacuum yet.
    let untidy = if url.starts_with("sqlite:") {
        database
            .scalar("CREATE TABLE scratch AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i, printf('%0500d', i) AS filler FROM n")
            .await;
        database.scalar("DROP TABLE scratch").await;
        "PRAGMA freelist_count"
    } else {
        "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = 'members' AND last_vacuum IS NULL"
    };
    assert!(
        database.scalar(untidy).await > 0,
        "the database starts untidy"
    );

    let compacted = gatehouse()
        .args(["compact", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        compacted.status.success(),
        "{}",
        String::from_utf8_lossy(&compacted.stderr)
    );
    let printed = String::from_utf8_lossy(&compacted.stdout);
    assert!(printed.contains("Compacting the"), "{printed}");
    assert!(printed.contains("Compacted in"), "{printed}");
    assert_eq!(database.scalar(untidy).await, 0, "compacted");
    database.remove().await;
}

#[tokio::test]
async fn compact_on_sqlite() {
    compact_rewrites_the_database(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn compact_on_postgres() {
    if let Some(database) = TestDatabase::postgres().await {
        compact_rewrites_the_database(database).await;
    }
}
