//! The two storage backends of gatehouse: SQLite, the embedded default, and
//! PostgreSQL, for deployments that scale out.
//!
//! Both speak the same logical schema, each in its own dialect with its own
//! migrations (`migrations/sqlite`, `migrations/postgres`). The query code is
//! written once in `src/shared/` and compiled twice, once per backend module,
//! against that backend's concrete sqlx types (`#[path]` modules, so every
//! query is type-checked for both and no generic sqlx bounds leak anywhere).
//! Each store method is one transaction; nothing here is visible to the API
//! except the [`gatehouse_store::Store`] trait.

// `src/shared/` is compiled once per backend on purpose (see above).
#![allow(clippy::duplicate_mod)]

pub mod postgres;
pub mod sqlite;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

use std::sync::Arc;

use gatehouse_store::{Store, StoreError};

/// Opens the backend a database URL names (`sqlite:` or `postgres:`),
/// creating the database when it does not exist and running the migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else {
        Err(StoreError::Backend(format!(
            "unsupported database URL {}: use sqlite://PATH or postgres://...",
            redact(url)
        )))
    }
}

/// A database URL with any password replaced, safe for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            super::redact("sqlite://./data/g.db"),
            "sqlite://./data/g.db"
        );
    }
}
