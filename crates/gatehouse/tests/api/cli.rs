//! The real `gatehouse` binary: bootstrap, serve, demo, graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use gatehouse_store_sql::test_support::TestDatabase;
use serde_json::json;

fn gatehouse() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    command
        .env_remove("GATEHOUSE_OWNER_PASSWORD")
        .env_remove("GATEHOUSE_DATABASE_URL");
    command
}

/// Starts `gatehouse serve` on a free port; returns the child and its base URL.
fn serve(database_url: &str, extra: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = gatehouse()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
            return (child, base, printed);
        }
        printed.push(line);
    }
    let status = child.wait();
    panic!("gatehouse serve exited without listening ({status:?}): {printed:?}");
}

fn terminate(child: &mut Child) {
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

/// Signs in over HTTP and GETs `path` with the new login.
async fn signed_in_get(
    base: &str,
    domain: &str,
    email: &str,
    password: &str,
    path: &str,
) -> reqwest::Response {
    let places = signed_in_get(&base, &domain, &email, &password, "/places").await;
    assert_eq!(places.headers()["x-collection-range"], "0-49/2");
    terminate(&mut child);

    // A second start on the same database keeps the data and creates nothing.
    let (mut child, _, printed) = serve(&database.url, &["--demo"]);
    assert!(
        !printed.iter().any(|line| line.contains("password:")),
        "{printed:?}"
    );
    terminate(&mut child);
    database.remove().await;
}
