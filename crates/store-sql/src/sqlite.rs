//! SQLite, the embedded default: one file, WAL, zero setup.

use std::str::FromStr;
use std::time::Duration;

use gatehouse_store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, QueryBuilder};

type Db = sqlx::Sqlite;

/// How write transactions start (see `shared::begin`).
const BEGIN: &str = "BEGIN IMMEDIATE";

/// The member search condition (`query`, lower-cased): the FTS5 trigram
/// index (migration 0009) finds the rows holding `lookup`, a part of the text
/// or all of it (see `gatehouse_domain::search`), and `instr` checks the whole
/// text on them. The trigram tokenizer matches a phrase as a substring. A
/// MATCH, not a LIKE: SQLite prepares a statement with a bound LIKE pattern
/// anew for every value. Texts under three characters have no trigram and
/// scan with LIKE.
fn push_member_search(sql: &mut QueryBuilder<'_, Db>, text: &str, lookup: &str) {
    if lookup.chars().count() >= 3 {
        sql.push(" AND m.id IN (SELECT rowid FROM members_fts WHERE members_fts MATCH ")
            .push_bind(format!("\"{}\"", lookup.replace('"', "\"\"")))
            .push(")");
        if lookup != text {
            sql.push(" AND instr(m.search, ")
                .push_bind(text.to_owned())
                .push(") > 0");
        }
    } else {
        sql.push(" AND m.search LIKE ")
            .push_bind(shared::like_pattern(text))
            .push(" ESCAPE '\\'");
    }
}

/// The member search condition when the node's texts in memory found the
/// candidates (see shared/search.rs): those `ids` (one JSON array, so that
/// every search is the same statement), and every member whose text was
/// written at or after `recent_from`, each checked on its text as it is
/// now. SQLite looks the two parts up apart (a multi-index OR).
fn push_member_candidates(
    sql: &mut QueryBuilder<'_, Db>,
    text: &str,
    ids: &[i64],
    recent_from: i64,
) {
    let ids = serde_json::to_string(ids).expect("a list of numbers is JSON");
    sql.push(" AND (m.id IN (SELECT value FROM json_each(")
        .push_bind(ids)
        .push(")) OR m.search_version >= ")
        .push_bind(recent_from)
        .push(") AND instr(m.search, ")
        .push_bind(text.to_owned())
        .push(") > 0");
}

/// The next member text version (migration 0016): one past the change
/// generation, which every text's writing moves forward first.
const SEARCH_VERSION_MARK: &str = "SELECT value + 1 FROM change_generation WHERE id = 1";

/// What `gatehouse compact` runs, and the seed after its load: the search
/// index merged into one segment, fresh planner statistics, and the file
/// rewritten so that each table and index lies in one run of pages (a bulk
/// load interleaves them all, and so does a database growing in service).
/// Then the write-ahead log that the rewrite filled, as large as the
/// database, is copied back and emptied at once instead of when the last
/// connection closes.
const COMPACT: &[&str] = &[
    "INSERT INTO members_fts (members_fts) VALUES ('optimize')",
    "ANALYZE",
    "VACUUM",
    "PRAGMA wal_checkpoint(TRUNCATE)",
];

/// What a member import runs at the start and the end of its batch, inside
/// its transaction: the search index takes the batch's new members in one
/// statement instead of one segment each (migration 0014).
const IMPORT_BEGIN: &[&str] =
    &["INSERT INTO members_fts_deferred (after) SELECT COALESCE(MAX(id), 0) FROM members"];
const IMPORT_END: &[&str] = &[
    "INSERT INTO members_fts (rowid, search) SELECT id, search FROM members \
     WHERE id > (SELECT after FROM members_fts_deferred)",
    "DELETE FROM members_fts_deferred",
];

/// What a store runs when it is closed: the write-ahead logs of the
/// database and of the index beside it (every attached file) copied into
/// their files and emptied. Left to SQLite, that happens only when the last
/// connection closes, and a stopping server's connections end with the
/// process instead.
const CLOSE: &[&str] = &["PRAGMA wal_checkpoint(TRUNCATE)"];

/// How the recorder keeps the write-ahead log short (see
/// `recorder::checkpoint`).
const CHECKPOINT: Option<&str> = Some("PRAGMA wal_checkpoint(PASSIVE)");

mod objects;

/// The events of one object (a door's history), beside the equalities on
/// `e.object_type` and `e.object_id`: those the index kept apart has (see
/// `objects`), bucket by bucket, and those after the last one it has, from
/// the events table. As a list of sequences the page is fetched by, newest
/// first without a sort: given only the equalities, the planner walks the
/// organization's events backwards to fill the page (measured: 110 ms for a
/// door with one event among a million, against under 1 ms).
fn push_events_of_object(
    sql: &mut QueryBuilder<'_, Db>,
    organization_id: i64,
    object_type: &str,
    object_id: i64,
) {
    sql.push(" AND e.sequence IN (WITH RECURSIVE buckets (bucket) AS (SELECT (SELECT through FROM objects.indexed) >> ")
        .push(objects::BUCKET_BITS)
        .push(
            " UNION ALL SELECT bucket - 1 FROM buckets WHERE bucket > 0) \
             SELECT sequence FROM objects.event_objects \
             WHERE bucket IN (SELECT bucket FROM buckets) AND organization_id = ",
        )
        .push_bind(organization_id)
        .push(" AND object_type = ")
        .push_bind(object_type.to_owned())
        .push(" AND object_id = ")
        .push_bind(object_id)
        .push(
            " UNION ALL SELECT sequence FROM events \
             WHERE sequence > (SELECT through FROM objects.indexed) AND organization_id = ",
        )
        .push_bind(organization_id)
        .push(" AND object_type = ")
        .push_bind(object_type.to_owned())
        .push(" AND object_id = ")
        .push_bind(object_id)
        .push(")");
}

#[path = "shared/mod.rs"]
mod shared;

pub use shared::SqlStore as SqliteStore;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every commit reaches the disk before it is answered, as on
            // PostgreSQL: an access decision's event survives a power cut.
            // Batched decisions (`shared::recorder`) keep that affordable.
            .synchronous(SqliteSynchronous::Full)
            // The recorder checkpoints in the background; a commit copies
            // the log only when it has grown this far all the same.
            .pragma("wal_autocheckpoint", "10000")
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .optimize_on_close(true, 400);
        if let Some(parent) = options.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Backend(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        prepare(&options).await?;
        let location = objects::location(&options);
        let pool = SqlitePoolOptions::new()
            // For transactions. SQLite lets one write at a time, and every
            // transaction here writes (`BEGIN IMMEDIATE`), so one connection
            // is all they can use: the pool's queue then gives them their
            // turns in order. With four, the three waiting each polled the
            // lock with SQLite's growing sleeps, and a member creation could
            // lose for seconds (benchmark, `create`: p99 0.7-0.8 s, longest
            // 1.2-1.5 s; with one, 87-90 ms and 89-90 ms).
            .max_connections(1)
            // No ping before every query: it costs a round trip each time, and
            // a broken connection shows itself on use and is then replaced.
            .test_before_acquire(false)
            .after_connect(move |connection, _| {
                let location = location.clone();
                Box::pin(async move { objects::attach(connection, &location).await })
            })
            .connect_with(options.clone())
            .await
            .map_err(shared::db)?;
        // Single statements: reads that take microseconds.
        let indexer = tokio::spawn(objects::index_in_background(options));
        Ok(Self::new(pool, 4, "sqlite", vec![indexer]))
    }
}

/// A connection for single statements, with the index of events by object
/// attached.
async fn connect(options: &SqliteConnectOptions) -> Result<sqlx::SqliteConnection, sqlx::Error> {
    let mut connection = options.connect().await?;
    objects::attach(&mut connection, &objects::location(options)).await?;
    Ok(connection)
}

/// Brings the index of events by object up to the last event (the seed and
/// `gatehouse compact`, before the rewrite).
async fn index_events_apart(connection: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    objects::index_all(connection).await
}

/// Migrates the database and readies the planner's statistics, on one
/// connection before the pool opens, so every pooled connection loads the
/// statistics as they are left here.
async fn prepare(options: &SqliteConnectOptions) -> StoreResult<()> {
    let mut connection = options
        .clone()
        .optimize_on_close(false, None)
        .connect()
        .await
        .map_err(shared::db)?;
    MIGRATOR
        .run(&mut connection)
        .await
        .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
    // Give the query planner statistics (it would otherwise walk all of
    // an organization's members to answer a search the trigram index
    // answers in a millisecond); cheap when nothing changed.
    sqlx::query("PRAGMA optimize=0x10002")
        .execute(&mut connection)
        .await
        .map_err(shared::db)?;
    // Keep the row counts (sqlite_stat1) and drop the value samples
    // (sqlite_stat4): with samples, SQLite prepares a statement anew each
    // time a bound value may change its plan, which is every time here, and
    // that cost a quarter of the server's time under load.
    let sampled: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4')",
    )
    .fetch_one(&mut connection)
    .await
    .map_err(shared::db)?;
    if sampled {
        sqlx::query("DELETE FROM sqlite_stat4")
            .execute(&mut connection)
            .await
            .map_err(shared::db)?;
    }
    // After the statistics: `PRAGMA optimize` covers every attached file,
    // and the index of events by object needs none to be read by its key.
    objects::attach(&mut connection, &objects::location(options))
        .await
        .map_err(shared::db)?;
    objects::open_index(&mut connection)
        .await
        .map_err(shared::db)?;
    connection.close().await.map_err(shared::db)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use gatehouse_domain::Subscription;
    use gatehouse_store::testkit::{organization, rename_organization, t0};
    use gatehouse_store::Store;
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;

    use super::SqliteStore;
    use crate::test_support::TestDatabase;

    /// A closed store leaves every committed write in the database's file:
    /// a copy of that file alone, without its log, has the last change.
    #[tokio::test]
    async fn a_closed_store_leaves_every_write_in_the_file() {
        let database = TestDatabase::sqlite();
        let store = SqliteStore::open(&database.url).await.expect("open");
        let owner = organization(&store, "closing", Subscription::Organizations).await;
        let org = owner.organization.id;
        rename_organization(&store, &owner, "Renamed before the stop", t0()).await;
        store.close().await.expect("close");

        let file = SqliteConnectOptions::from_str(&database.url)
            .expect("a URL")
            .get_filename()
            .to_owned();
        let copy = file.with_extension("copy");
        std::fs::copy(&file, &copy).expect("copy the file alone");
        let mut copied = SqliteConnectOptions::new()
            .filename(&copy)
            .connect()
            .await
            .expect("open the copy");
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM organizations WHERE id = ?")
                .bind(org)
                .fetch_optional(&mut copied)
                .await
                .expect("read the copy");
        assert_eq!(name.as_deref(), Some("Renamed before the stop"));
        drop((copied, store));
        database.remove().await;
    }
}
