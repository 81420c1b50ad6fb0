//! The official Kisi JavaScript client (`npm install kisi-client`) against
//! gatehouse, unchanged but for its base URL: `e2e/kisi-client/test.mjs`.
//!
//! Needs Node.js and npm. Set GATEHOUSE_SKIP_NODE_E2E=1 to skip on a machine
//! without them; CI never sets it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use gatehouse::server::Limits;
use gatehouse_domain::Subscription;

use crate::helpers::{TestApp, PASSWORD};

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e/kisi-client")
}

/// Installs the client once (`npm ci`), or says why it cannot. The tests
/// of both backends run at the same time: one installs while the other
/// waits (two `npm ci` in one folder remove each other's files).
fn prepare() -> Option<PathBuf> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if std::env::var("GATEHOUSE_SKIP_NODE_E2E").is_ok_and(|v| v == "1") {
        eprintln!("GATEHOUSE_SKIP_NODE_E2E=1: skipping the kisi-client end-to-end test");
        return None;
    }
    let dir = e2e_dir();
    INSTALLED.get_or_init(|| {
        if !dir.join("node_modules/kisi-client").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .status()
                .expect("npm is needed for the kisi-client end-to-end test (or set GATEHOUSE_SKIP_NODE_E2E=1)");
            assert!(status.success(), "npm ci failed in {}", dir.display());
        }
    });
    Some(dir)
}

async fn run(backend: &str) {
    let Some(dir) = prepare() else { return };
    // Kisi's real rate limit stays on: the client must live with it.
    let Some(app) = TestApp::start(backend, Limits::default()).await else {
        return;
    };
    let owner = app.organization("acme", Subscription::Organizations).await;
    let base = format!("{}/", app.base);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("test.mjs")
            .current_dir(dir)
            .env("GATEHOUSE_URL", base)
            .env("GATEHOUSE_DOMAIN", &owner.domain)
            .env("GATEHOUSE_EMAIL", &owner.email)
            .env("GATEHOUSE_PASSWORD", PASSWORD)
            .output()
    })
    .await
    .unwrap()
    .expect(
        "node is needed for the kisi-client end-to-end test (or set GATEHOUSE_SKIP_NODE_E2E=1)",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "kisi-client against {backend} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("kisi-client: 7 passed, 0 failed"),
        "{stdout}"
    );
    app.stop().await;
}

#[tokio::test]
async fn official_client_works_on_sqlite() {
    run("sqlite").await;
}

#[tokio::test]
async fn official_client_works_on_postgres() {
    run("postgres").await;
}
