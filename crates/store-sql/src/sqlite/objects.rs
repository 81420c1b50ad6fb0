//! The index of events by their object (a door's history, a group's), kept
//! in a file of its own beside the database, `<database>-objects`, and
//! filled behind the writes instead of in them.
//!
//! Why: in the database's own file, every new event put an entry on a
//! random page of that index (5,000 doors), and SQLite writes each such
//! page whole into its log at every commit and again at the checkpoint.
//! The access decisions' commits, which every unlock waits for, carried
//! those pages: without the index, unlocks on the benchmark went from
//! 8,600-13,400 to 14,700-20,100 a second, and the paced p99 from 6-17 ms
//! to 4-6 ms (docs/benchmarks.md). Here one task indexes the new events in
//! sorted batches, under the other file's own write lock, so no decision
//! waits for it.
//!
//! The index is cut into buckets of 65,536 consecutive events, the bucket
//! first in its key, so that new entries land in the last bucket's few
//! pages instead of all over the index: a batch of 8,000 entries then
//! writes 140-340 pages instead of 3,900 (measured on a million entries
//! over 5,000 doors), and the checkpoints that flush them to disk stay
//! small enough not to hold up the decisions' own flushes (paced unlock
//! p99 13-29 ms without buckets). A door's history looks in each bucket.
//!
//! A query by object reads this index up to the last event it has reached
//! (`objects.indexed.through`) and, after that, the events table itself
//! (see `shared::events`). The file holds nothing the events table does
//! not: removed, it is built again from the events.

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

/// Events per bucket: `sequence >> BUCKET_BITS` is an event's bucket.
pub(super) const BUCKET_BITS: u32 = 16;

/// The most events one batch of the background task indexes: small enough
/// that a batch is short, large enough to catch up after a restart.
const BATCH: i64 = 50_000;

/// How often the background task looks for new events. A query by object
/// reads the events after the indexed ones from the events table, about a
/// second's worth under load.
const EVERY: Duration = Duration::from_secs(1);

/// The file beside `options`' database. An in-memory database gets an
/// in-memory index that its connections share, as they share the database.
pub(super) fn location(options: &SqliteConnectOptions) -> String {
    let main = options.get_filename().to_string_lossy();
    if main.starts_with("file:sqlx-in-memory-") {
        format!("{main}-objects?mode=memory&cache=shared")
    } else {
        format!("{main}-objects")
    }
}

/// Makes the index visible to `connection` as `objects`.
pub(super) async fn attach(
    connection: &mut SqliteConnection,
    location: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("ATTACH DATABASE ? AS objects")
        .bind(location)
        .execute(connection)
        .await
        .map(drop)
}

/// Creates the index's tables when the file is new (or was removed), and
/// empties an index that is not this database's, to be built again: one
/// that has indexed further than the events go, or whose last indexed
/// event is not the database's (a database restored from a backup beside
/// a newer index). Left as it is, such an index would hide the events
/// numbered up to its `through` from every query by object.
pub(super) async fn open_index(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    for statement in [
        "PRAGMA objects.journal_mode = WAL",
        "CREATE TABLE IF NOT EXISTS objects.event_objects (\
             bucket INTEGER NOT NULL, organization_id INTEGER NOT NULL, \
             object_type TEXT NOT NULL, object_id INTEGER NOT NULL, sequence INTEGER NOT NULL, \
             PRIMARY KEY (bucket, organization_id, object_type, object_id, sequence)) WITHOUT ROWID",
        // The last event indexed; every event up to it is.
        "CREATE TABLE IF NOT EXISTS objects.indexed (through INTEGER NOT NULL)",
        "INSERT INTO objects.indexed (through) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM objects.indexed)",
    ] {
        sqlx::query(statement).execute(&mut *connection).await?;
    }
    let foreign: bool = sqlx::query_scalar(
        "SELECT through > 0 AND NOT EXISTS (SELECT 1 FROM events e JOIN objects.event_objects o \
           ON o.bucket = e.sequence >> ? AND o.organization_id = e.organization_id \
           AND o.object_type = e.object_type AND o.object_id = e.object_id AND o.sequence = e.sequence \
         WHERE e.sequence = through) FROM objects.indexed",
    )
    .bind(BUCKET_BITS)
    .fetch_one(&mut *connection)
    .await?;
    if foreign {
        tracing::warn!("the index of events by object is not this database's; building it again");
        let mut tx = connection.begin().await?;
        sqlx::query("DELETE FROM objects.event_objects")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE objects.indexed SET through = 0")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Indexes the next `batch` events after the last one indexed, in one
/// transaction, and tells whether there may be more (the batch was full).
///
/// Events are numbered in the order they commit (SQLite has one writer at
/// a time, and nothing deletes one but its organization's removal), so
/// "every event up to `through`" stays true. The transaction is deferred:
/// it reads the database at one moment and writes only the index's file,
/// so it never takes the database's write lock.
pub(super) async fn index_next(
    connection: &mut SqliteConnection,
    batch: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = connection.begin().await?;
    let through: i64 = sqlx::query_scalar("SELECT through FROM objects.indexed")
        .fetch_one(&mut *tx)
        .await?;
    let (count, upto): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MAX(sequence) FROM \
         (SELECT sequence FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?)",
    )
    .bind(through)
    .bind(batch)
    .fetch_one(&mut *tx)
    .await?;
    let Some(upto) = upto else {
        return Ok(false);
    };
    // Sorted by the index's key, each page of it is written once a batch.
    let inserted = sqlx::query(
        "INSERT OR IGNORE INTO objects.event_objects \
         (bucket, organization_id, object_type, object_id, sequence) \
         SELECT sequence >> ?, organization_id, object_type, object_id, sequence FROM events \
         WHERE sequence > ? AND sequence <= ? ORDER BY 1, 2, 3, 4, 5",
    )
    .bind(BUCKET_BITS)
    .bind(through)
    .bind(upto)
    .execute(&mut *tx)
    .await;
    match inserted {
        // Another indexer (`compact`'s, beside the background one) wrote
        // the index since this transaction read it, or is writing it now:
        // SQLite refuses such a read turning into a write at once, without
        // waiting. Let it finish, then go on from where it got to.
        Err(sqlx::Error::Database(error)) if error.code().as_deref().is_some_and(is_busy) => {
            drop(tx);
            tokio::time::sleep(Duration::from_millis(10)).await;
            return Ok(true);
        }
        other => other?,
    };
    sqlx::query("UPDATE objects.indexed SET through = ?")
        .bind(upto)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(count == batch)
}

/// `SQLITE_BUSY` and its extended codes (`SQLITE_BUSY_SNAPSHOT`, ...).
fn is_busy(code: &str) -> bool {
    code.parse::<i32>().is_ok_and(|code| code & 0xff == 5)
}

/// Indexes every event there is (the seed and `gatehouse compact`).
pub(super) async fn index_all(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    while index_next(connection, BATCH).await? {}
    Ok(())
}

/// The background task: indexes new events as they come, until the store
/// is dropped (it is then aborted). Its connection commits to the index's
/// log without a flush, and `flush` then flushes the batch once: a batch
/// lost to a power cut is indexed again, as `through` is lost with it.
pub(super) async fn index_in_background(options: SqliteConnectOptions) {
    let location = location(&options);
    let mut kept: Option<SqliteConnection> = None;
    loop {
        if kept.is_none() {
            match open(&options, &location).await {
                Ok(connection) => kept = Some(connection),
                Err(error) => {
                    tracing::warn!(%error, "cannot open the index of events by object; trying again");
                }
            }
        }
        let mut more = false;
        if let Some(connection) = kept.as_mut() {
            let started = std::time::Instant::now();
            let indexed = match index_next(connection, BATCH).await {
                Ok(remaining) => flush(connection).await.map(|()| remaining),
                Err(error) => Err(error),
            };
            match indexed {
                Ok(remaining) => {
                    more = remaining;
                    tracing::trace!(
                        micros = started.elapsed().as_micros() as u64,
                        "events indexed by object"
                    );
                }
                Err(error) => {
                    tracing::warn!(%error, "indexing events by object failed; trying again");
                    kept = None;
                }
            }
        }
        if !more {
            tokio::time::sleep(EVERY).await;
        }
    }
}

/// Copies the batch just committed into the index's file, flushing both
/// the log and the file: the index's writes then reach the disk a second's
/// worth at a time (a megabyte at 8,000 events a second). Left to the
/// kernel, which writes unflushed pages back when they are 30 s old, they
/// went out five seconds' worth at once, and a decision's commit that
/// waited behind them took 15-50 ms instead of one (docs/benchmarks.md).
async fn flush(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA objects.wal_checkpoint(PASSIVE)")
        .execute(connection)
        .await
        .map(drop)
}

async fn open(
    options: &SqliteConnectOptions,
    location: &str,
) -> Result<SqliteConnection, sqlx::Error> {
    let mut connection = options.connect().await?;
    attach(&mut connection, location).await?;
    sqlx::query("PRAGMA objects.synchronous = NORMAL")
        .execute(&mut connection)
        .await?;
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::Duration;
    use gatehouse_domain::{Principal, Subscription};
    use gatehouse_store::testkit::{organization, rename_organization, t0};
    use gatehouse_store::{EventQuery, Page, Store};

    use super::*;
    use crate::sqlite::SqliteStore;
    use crate::test_support::TestDatabase;

    async fn count(connection: &mut SqliteConnection, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(connection)
            .await
            .expect(sql)
    }

    /// Adds `n` unlock events at 37 doors of the organization.
    async fn unlocks(connection: &mut SqliteConnection, organization_id: i64, n: i64) {
        sqlx::query(
            "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) \
             INSERT INTO events (uuid, organization_id, type, object_type, object_id, object_name, \
             success, created_at) SELECT 'u' || i, ?, 'lock.unlock', 'Lock', i % 37, 'Door', 1, \
             '2026-12-06T00:00:00Z' FROM n",
        )
        .bind(n)
        .bind(organization_id)
        .execute(connection)
        .await
        .expect("unlock events");
    }

    /// A store on a new database with one organization, and the options
    /// of a connection of the test's own.
    async fn fresh(domain: &str) -> (TestDatabase, SqliteConnectOptions, SqliteStore, Principal) {
        let database = TestDatabase::sqlite();
        let options = SqliteConnectOptions::from_str(&database.url)
            .expect("a URL")
            .create_if_missing(true);
        let store = SqliteStore::open(&database.url).await.expect("open");
        let owner = organization(&store, domain, Subscription::Organizations).await;
        (database, options, store, owner)
    }

    /// The sequences of an organization's own events, listed by object.
    async fn history(store: &SqliteStore, org: i64) -> Vec<i64> {
        let query = EventQuery {
            object_type: Some("Organization".into()),
            object_id: Some(org),
            page: Page::new(100, 0),
            ..EventQuery::default()
        };
        let page = store.list_events(org, &query).await.expect("list");
        page.items.iter().map(|e| e.sequence).collect()
    }

    /// An organization's history crosses from the first bucket into the
    /// second; listed by object, it is whole before indexing, after it,
    /// and after the index's file is removed and built again batch by
    /// batch, each event once, in its bucket.
    #[tokio::test]
    async fn indexes_every_event_in_batches_and_again_when_removed() {
        let (database, options, store, owner) = fresh("objects").await;
        let org = owner.organization.id;
        let bucket = 1_i64 << BUCKET_BITS;
        let mut raw = options.connect().await.expect("connect");
        sqlx::query("UPDATE sqlite_sequence SET seq = ? WHERE name = 'events'")
            .bind(bucket - 3)
            .execute(&mut raw)
            .await
            .expect("move the events' numbering");
        drop(raw);
        for hour in 1..=4 {
            let name = format!("Renamed {hour}");
            rename_organization(&store, &owner, &name, t0() + Duration::hours(hour)).await;
        }
        let unindexed = history(&store, org).await;
        assert!(
            unindexed.len() >= 5,
            "the creation and 4 updates: {unindexed:?}"
        );
        assert_eq!(unindexed[0], bucket + 1, "the newest in the second bucket");
        assert!(unindexed.contains(&(bucket - 1)), "{unindexed:?}");
        store.compact().await.expect("compact");
        assert_eq!(
            history(&store, org).await,
            unindexed,
            "the same from the index"
        );
        drop(store); // and with it the background task

        let location = location(&options);
        std::fs::remove_file(&location).expect("the index's file exists");
        for log in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{location}{log}"));
        }
        let mut connection = options.connect().await.expect("connect");
        attach(&mut connection, &location).await.expect("attach");
        open_index(&mut connection).await.expect("open the index");
        let events = count(&mut connection, "SELECT COUNT(*) FROM events").await;
        let mut batches = 0;
        while index_next(&mut connection, 2).await.expect("index") {
            batches += 1;
            let indexed = count(
                &mut connection,
                "SELECT COUNT(*) FROM objects.event_objects",
            )
            .await;
            assert_eq!(indexed, 2 * batches, "two events a batch, none twice");
        }
        assert!(
            !index_next(&mut connection, 2).await.expect("index"),
            "nothing left"
        );
        assert_eq!(
            count(&mut connection, "SELECT through FROM objects.indexed").await,
            bucket + 1
        );
        let matching = count(
            &mut connection,
            "SELECT COUNT(*) FROM events e JOIN objects.event_objects o ON o.sequence = e.sequence \
             AND o.bucket = e.sequence >> 16 AND o.organization_id = e.organization_id \
             AND o.object_type = e.object_type AND o.object_id = e.object_id",
        )
        .await;
        assert_eq!(matching, events, "each event once, in its bucket");
        assert_eq!(
            count(
                &mut connection,
                "SELECT COUNT(*) FROM objects.event_objects"
            )
            .await,
            events
        );
        drop(connection);
        let store = SqliteStore::open(&database.url).await.expect("open again");
        assert_eq!(
            history(&store, org).await,
            unindexed,
            "the same from the rebuilt index"
        );
        drop(store);
        database.remove().await;
    }

    /// A database restored from a backup beside a newer index: the index
    /// has gone further than the events, and the events made after the
    /// restore are listed all the same, as the index is built again.
    #[tokio::test]
    async fn an_index_ahead_of_its_database_is_built_again() {
        let (database, options, store, owner) = fresh("restored").await;
        let org = owner.organization.id;
        store.compact().await.expect("compact");
        drop(store);
        let mut connection = options.connect().await.expect("connect");
        attach(&mut connection, &location(&options))
            .await
            .expect("attach");
        sqlx::query("UPDATE objects.indexed SET through = through + 10")
            .execute(&mut connection)
            .await
            .expect("an index ahead");
        drop(connection);

        let store = SqliteStore::open(&database.url).await.expect("open again");
        let before = history(&store, org).await;
        rename_organization(&store, &owner, "Restored", t0()).await;
        let after = history(&store, org).await;
        assert_eq!(after.len(), before.len() + 1, "{before:?} then {after:?}");
        assert!(after[0] > before[0], "the new event first: {after:?}");
        store.compact().await.expect("compact");
        assert_eq!(history(&store, org).await, after, "the same from the index");
        drop(store);
        database.remove().await;
    }

    /// The background task copies each batch into the index's file itself,
    /// instead of leaving it in the file's log for the kernel to write back
    /// later: a copy of the file alone, without its log, holds every event.
    #[tokio::test]
    async fn the_background_task_writes_each_batch_into_the_file() {
        let (database, options, store, owner) = fresh("flushed").await;
        let mut connection = options.connect().await.expect("connect");
        unlocks(&mut connection, owner.organization.id, 3000).await;
        let events = count(&mut connection, "SELECT COUNT(*) FROM events").await;
        let last = count(&mut connection, "SELECT MAX(sequence) FROM events").await;
        let copy = format!("{}-copy", location(&options));
        let mut seen = None;
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            std::fs::copy(location(&options), &copy).expect("copy the index's file");
            for log in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{copy}{log}"));
            }
            let read = async {
                let mut copied = SqliteConnectOptions::from_str(&copy)?.connect().await?;
                sqlx::query_as::<_, (i64, i64)>(
                    "SELECT (SELECT through FROM indexed), (SELECT COUNT(*) FROM event_objects)",
                )
                .fetch_one(&mut copied)
                .await
            };
            // The copy may catch the file halfway through a write.
            seen = read.await.ok();
            if seen == Some((last, events)) {
                break;
            }
        }
        assert_eq!(seen, Some((last, events)), "the file holds every event");
        drop((connection, store));
        database.remove().await;
    }

    /// Two indexers at once (the background task and `compact`'s) both
    /// finish, and between them index every event once.
    #[tokio::test]
    async fn two_indexers_at_once_index_each_event_once() {
        let (database, options, store, owner) = fresh("indexers").await;
        drop(store);
        let location = location(&options);
        let mut connections = Vec::new();
        for _ in 0..2 {
            let mut connection = options.connect().await.expect("connect");
            attach(&mut connection, &location).await.expect("attach");
            connections.push(connection);
        }
        unlocks(&mut connections[0], owner.organization.id, 5000).await;
        let (first, second) = connections.split_at_mut(1);
        let (a, b) = (&mut first[0], &mut second[0]);
        tokio::join!(
            async { while index_next(a, 100).await.expect("first indexer") {} },
            async { while index_next(b, 100).await.expect("second indexer") {} }
        );
        let connection = &mut connections[0];
        let events = count(connection, "SELECT COUNT(*) FROM events").await;
        assert!(events > 5000);
        assert_eq!(
            count(connection, "SELECT COUNT(*) FROM objects.event_objects").await,
            events
        );
        assert_eq!(
            count(connection, "SELECT through FROM objects.indexed").await,
            count(connection, "SELECT MAX(sequence) FROM events").await
        );
        drop(connections);
        database.remove().await;
    }
}
