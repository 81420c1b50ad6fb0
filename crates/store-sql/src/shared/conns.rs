//! Connections held between statements, for the store's single statements.
//!
//! sqlx's pool tests every connection given back to it with a round trip to
//! the database (`ping` on release, whatever `test_before_acquire` says). For
//! a statement that is a request's only one, such as a search's page, that
//! doubles the round trips: on the benchmark's two cores, PostgreSQL search
//! served about 13% more requests without it (docs/benchmarks.md). A statement sent
//! through [`Conns`] runs on a connection taken from a list of idle ones and
//! put back unasked; the next statement on it first reads whatever an
//! abandoned one left unread (sqlx does that before every statement), so a
//! dropped request leaves nothing behind. A connection that failed as a
//! connection (I/O, protocol, the server ending the session) is dropped
//! instead of put back, and the next statement opens a new one.
//!
//! Transactions still go through sqlx's pool ([`Conns::pool`]): a dropped
//! transaction's rollback must reach the database at once, not when the
//! connection is next used, and the release ping is what sends it.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::TryStreamExt;
use sqlx::{Database, Describe, Either, Execute, Executor, Pool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Db;

type Conn = <Db as Database>::Connection;

/// Up to `size` held connections, opened when first needed, beside the pool
/// that transactions use. Cloning shares them.
#[derive(Clone)]
pub(super) struct Conns {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool<Db>,
    idle: Mutex<Vec<Conn>>,
    /// One permit a connection: at most `size` are open or being opened.
    permits: Arc<Semaphore>,
}

impl Conns {
    /// `size` connections opened with `pool`'s options.
    pub(super) fn new(pool: Pool<Db>, size: usize) -> Self {
        Conns {
            inner: Arc::new(Inner {
                pool,
                idle: Mutex::new(Vec::with_capacity(size)),
                permits: Arc::new(Semaphore::new(size)),
            }),
        }
    }

    /// The pool, for transactions.
    pub(super) fn pool(&self) -> &Pool<Db> {
        &self.inner.pool
    }

    /// An idle connection, or a new one when there is none and fewer than
    /// `size` are open; otherwise waits for one to be put back.
    pub(super) async fn hold(&self) -> Result<Held, sqlx::Error> {
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => super::super::connect(&self.inner.pool.connect_options()).await?,
        };
        Ok(Held {
            conn: Some(conn),
            conns: self.clone(),
            _permit: permit,
        })
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Conns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conns")
            .field("available", &self.inner.permits.available_permits())
            .finish_non_exhaustive()
    }
}

/// A connection taken from [`Conns`]; put back when dropped.
pub(super) struct Held {
    conn: Option<Conn>,
    conns: Conns,
    _permit: OwnedSemaphorePermit,
}

impl Held {
    /// Passes a statement's outcome through, closing the connection instead
    /// of putting it back when the error was the connection's own.
    pub(super) fn check<T>(&mut self, outcome: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(error) = &outcome {
            if is_connection_error(error) {
                // Dropped, not closed: a broken connection has no one to
                // say goodbye to.
                self.conn = None;
            }
        }
        outcome
    }
}

impl Deref for Held {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("a held connection until dropped")
    }
}

impl DerefMut for Held {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("a held connection until dropped")
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Put back before the permit goes (fields drop after this body), so
        // the next holder finds it.
        if let Some(conn) = self.conn.take() {
            self.conns.idle().push(conn);
        }
    }
}

/// Errors after which the connection cannot be trusted with another
/// statement: its own failures, and the database's word that it is ending
/// the session (SQLSTATE class 08, connection exception, and 57P, operator
/// intervention: a terminated backend, a shutdown). Any other error (a
/// constraint, no row, a decode) leaves it as good as before.
fn is_connection_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// Lets `&Conns` stand wherever sqlx takes an executor, like `&Pool`.
impl<'c> Executor<'c> for &'c Conns {
    type Database = Db;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<
        'e,
        Result<Either<<Db as Database>::QueryResult, <Db as Database>::Row>, sqlx::Error>,
    >
    where
        'c: 'e,
        E: 'q + Execute<'q, Db>,
    {
        Box::pin(async_stream::try_stream! {
            let mut held = self.hold().await?;
            let mut failed = None;
            {
                let mut results = held.fetch_many(query);
                loop {
                    match results.try_next().await {
                        Ok(Some(result)) => yield result,
                        Ok(None) => break,
                        Err(error) => {
                            failed = Some(error);
                            break;
                        }
                    }
                }
            }
            if let Some(error) = failed {
                held.check(Err(error))?;
            }
        })
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<<Db as Database>::Row>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Db>,
    {
        Box::pin(async move {
            let mut held = self.hold().await?;
            let outcome = held.fetch_optional(query).await;
            held.check(outcome)
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [<Db as Database>::TypeInfo],
    ) -> BoxFuture<'e, Result<<Db as Database>::Statement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        Box::pin(async move {
            let mut held = self.hold().await?;
            let outcome = held.prepare_with(sql, parameters).await;
            held.check(outcome)
        })
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Db>, sqlx::Error>>
    where
        'c: 'e,
    {
        Box::pin(async move {
            let mut held = self.hold().await?;
            let outcome = held.describe(sql).await;
            held.check(outcome)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::TryStreamExt;

    use sqlx::Pool;

    use super::super::{test_pool, Db};
    use super::Conns;
    use crate::test_support::TestDatabase;

    /// A table only the connection that made it sees (on both backends),
    /// holding `n`: which connection answers tells itself by it.
    async fn mark(conns: &Conns, n: i64) {
        sqlx::query("CREATE TEMPORARY TABLE mark (n BIGINT)")
            .execute(conns)
            .await
            .expect("create the mark");
        sqlx::query("INSERT INTO mark (n) VALUES ($1)")
            .bind(n)
            .execute(conns)
            .await
            .expect("write the mark");
    }

    /// A fresh database, a pool of one connection to it, and one held
    /// connection beside the pool.
    async fn one_held() -> Option<(TestDatabase, Pool<Db>, Conns)> {
        let (database, pool) = test_pool(1).await?;
        let conns = Conns::new(pool.clone(), 1);
        Some((database, pool, conns))
    }

    async fn marked(conns: &Conns) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT n FROM mark")
            .fetch_one(conns)
            .await
    }

    #[tokio::test]
    async fn one_connection_serves_statement_after_statement() {
        let Some((database, _pool, conns)) = one_held().await else {
            return;
        };
        mark(&conns, 41).await;
        assert_eq!(marked(&conns).await.expect("read the mark"), 41);
        drop(conns);
        database.remove().await;
    }

    #[tokio::test]
    async fn a_statement_given_up_midway_leaves_the_connection_usable() {
        let Some((database, _pool, conns)) = one_held().await else {
            return;
        };
        mark(&conns, 5).await;
        let many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT i FROM n";
        {
            let mut rows = sqlx::query_scalar::<_, i32>(many).fetch(&conns);
            let first = rows.try_next().await.expect("the first row");
            assert_eq!(first, Some(1));
        }
        assert_eq!(
            marked(&conns).await.expect("read after the abandoned rows"),
            5,
            "the same connection, with the rest of the rows read past"
        );
        let sum: i64 = sqlx::query_scalar("SELECT CAST(2 + 3 AS BIGINT)")
            .fetch_one(&conns)
            .await
            .expect("a fresh statement");
        assert_eq!(sum, 5);
        drop(conns);
        database.remove().await;
    }

    #[tokio::test]
    async fn no_more_than_size_connections_are_held_at_once() {
        let Some((database, _pool, conns)) = one_held().await else {
            return;
        };
        let first = conns.hold().await.expect("the one connection");
        let waiting = tokio::time::timeout(Duration::from_millis(200), conns.hold()).await;
        assert!(waiting.is_err(), "a second holder waits for the first");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(10), conns.hold()).await;
        assert!(
            second.expect("put back on drop").is_ok(),
            "the connection put back serves the next holder"
        );
        drop(conns);
        database.remove().await;
    }

    /// PostgreSQL closes a backend's connection when it is terminated (as on
    /// a server restart); SQLite has no server to lose.
    #[tokio::test]
    async fn a_connection_the_server_closed_is_replaced() {
        if <Db as sqlx::Database>::NAME == "SQLite" {
            return;
        }
        let Some((database, pool, conns)) = one_held().await else {
            return;
        };
        mark(&conns, 9).await;
        let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&conns)
            .await
            .expect("the held connection's backend");
        let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(backend)
            .fetch_one(&pool)
            .await
            .expect("terminate it");
        assert!(terminated);
        let mut failed = false;
        for _ in 0..50 {
            match marked(&conns).await {
                Err(error) => {
                    assert!(super::is_connection_error(&error), "{error}");
                    failed = true;
                    break;
                }
                // The termination has not reached the backend yet.
                Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        assert!(failed, "the statement on the closed connection fails");
        let replaced: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&conns)
            .await
            .expect("a new connection serves the next statement");
        assert_ne!(replaced, backend);
        assert!(
            marked(&conns).await.is_err(),
            "the new connection does not see the old one's table"
        );
        drop((conns, pool));
        database.remove().await;
    }
}
