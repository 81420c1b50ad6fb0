//! Throw-away databases for tests: a SQLite file in a temporary directory,
//! or a fresh PostgreSQL database on the server named by
//! `GATEHOUSE_TEST_POSTGRES_URL` (default: the local server, user postgres).
//!
//! When PostgreSQL is unreachable the PostgreSQL tests say so and pass,
//! unless `GATEHOUSE_REQUIRE_POSTGRES=1` (set by `.ci/run`), in which case
//! they fail: CI must prove that both backends ran.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, SqliteConnection};

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A database URL that exists only for one test.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Directory(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub fn sqlite() -> TestDatabase {
        let dir = std::env::temp_dir().join(format!("gatehouse-test-{}", unique_suffix()));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        TestDatabase {
            url: format!("sqlite://{}", dir.join("gatehouse.db").display()),
            cleanup: Cleanup::Directory(dir),
        }
    }

    /// A fresh, empty PostgreSQL database, or `None` when no server is
    /// reachable and PostgreSQL is not required.
    pub async fn postgres() -> Option<TestDatabase> {
        let admin_url = std::env::var("GATEHOUSE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
        let required = std::env::var("GATEHOUSE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let options: PgConnectOptions = admin_url
            .parse()
            .expect("GATEHOUSE_TEST_POSTGRES_URL is a PostgreSQL URL");
        let mut admin = match PgConnection::connect_with(&options.clone().disable_statement_logging()).await {
            Ok(connection) => connection,
            Err(error) if !required => {
                eprintln!("PostgreSQL not reachable at {admin_url} ({error}); skipping this PostgreSQL test");
                return None;
            }
            Err(error) => panic!("GATEHOUSE_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable at {admin_url}: {error}"),
        };
        let name = format!("gatehouse_test_{}", unique_suffix());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        let _ = admin.close().await;
        let url = options.database(&name).to_url_lossy().to_string();
        Some(TestDatabase {
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    /// Runs `sql` on a connection of its own, behind any store, and returns
    /// the one integer it selects (a statement that selects nothing gives 0):
    /// for tests that check what the database holds, on either backend.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let found = if self.url.starts_with("sqlite:") {
            scalar_on::<SqliteConnection>(&self.url, sql).await
        } else {
            scalar_on::<PgConnection>(&self.url, sql).await
        };
        found.unwrap_or_else(|e| panic!("{sql}: {e}")).unwrap_or(0)
    }

    /// Removes the database. Call after the store is dropped.
    pub async fn remove(self) {
        match self.cleanup {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            }
        }
    }
}

/// The one integer `sql` selects, if any, on a new connection of type `C`.
async fn scalar_on<C>(url: &str, sql: &str) -> Result<Option<i64>, sqlx::Error>
where
    C: Connection,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
    i64: sqlx::Type<C::Database> + for<'r> sqlx::Decode<'r, C::Database>,
    usize: sqlx::ColumnIndex<<C::Database as sqlx::Database>::Row>,
    for<'q> <C::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, C::Database>,
{
    let mut connection = C::connect(url).await?;
    sqlx::query_scalar(sql)
        .fetch_optional(&mut connection)
        .await
}
