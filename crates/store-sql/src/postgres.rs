//! PostgreSQL, the scale-out backend: several gatehouse nodes share one database.

use std::str::FromStr;

use gatehouse_store::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, QueryBuilder};

type Db = sqlx::Postgres;

/// How write transactions start (see `shared::begin`).
const BEGIN: &str = "BEGIN";

/// The member search condition (`query`, lower-cased): the pg_trgm index
/// (migration 0009) finds the rows holding `lookup`, a part of the text or
/// all of it (see `gatehouse_domain::search`), and `strpos`, which no index
/// serves, checks the whole text on them. The hits are collected first
/// (`ARRAY(...)`, run once) and the page then fetches them by id: asked
/// directly, the planner would sometimes walk every member in id order to
/// fill a page of a search it guessed matches hundreds, with the count of
/// the whole search still to compute (60 ms instead of 0.3 ms). The pattern
/// is hidden from the planner (`(SELECT $n)`): seeing it, PostgreSQL plans
/// the statement anew for every search, which cost more than running it
/// (measured: 2,100 → 5,300 searches a second); not seeing it, it keeps one
/// plan, the same trigram index lookup.
fn push_member_search(sql: &mut QueryBuilder<'_, Db>, text: &str, lookup: &str) {
    sql.push(" AND m.id = ANY (ARRAY(SELECT s.id FROM members s WHERE s.search LIKE (SELECT ")
        .push_bind(shared::like_pattern(lookup))
        .push("::text) ESCAPE '\\'");
    if lookup != text {
        sql.push(" AND strpos(s.search, ")
            .push_bind(text.to_owned())
            .push(") > 0");
    }
    sql.push("))");
}

/// The member search condition when the node's texts in memory found the
/// candidates (see shared/search.rs): those `ids`, and every member whose
/// text was written at or after `recent_from`, each checked on its text as
/// it is now. As with the trigram index (above), the candidates are
/// collected first and the page fetched by id; asked as an `OR`, the one
/// plan PostgreSQL keeps walked every member in id order (54 ms instead of
/// 0.2). The upper bound on `search_version` says nothing (it is the
/// largest there is) but tells the planner that the range is narrow: with
/// one unknown bound it guesses a third of the table and reads it whole.
fn push_member_candidates(
    sql: &mut QueryBuilder<'_, Db>,
    text: &str,
    ids: &[i64],
    recent_from: i64,
) {
    sql.push(" AND m.id = ANY (ARRAY(SELECT unnest(")
        .push_bind(ids.to_vec())
        .push("::bigint[]) UNION ALL SELECT s.id FROM members s WHERE s.search_version >= ")
        .push_bind(recent_from)
        .push(" AND s.search_version <= ")
        .push_bind(i64::MAX)
        .push(")) AND strpos(m.search, ")
        .push_bind(text.to_owned())
        .push(") > 0");
}

/// A mark below which every member text's version (the writing
/// transaction's id, migration 0014) has been committed or rolled back: the
/// oldest transaction still running.
const SEARCH_VERSION_MARK: &str = "SELECT txid_snapshot_xmin(txid_current_snapshot())";

/// What `gatehouse compact` runs, and the seed after its load: old row
/// versions removed (the seed's last-access updates leave many) and fresh
/// planner statistics. It runs beside a serving node.
const COMPACT: &[&str] = &["VACUUM ANALYZE"];

/// A member import needs no bracket: the trigram index costs each new
/// member the same however many come (see migrations/sqlite/0014).
const IMPORT_BEGIN: &[&str] = &[];
const IMPORT_END: &[&str] = &[];

/// PostgreSQL keeps its own files whole; a closing store has nothing to do.
const CLOSE: &[&str] = &[];

/// PostgreSQL checkpoints by itself, apart from the sessions that write.
const CHECKPOINT: Option<&str> = None;

/// The events of one object need nothing beside the equalities on
/// `e.object_type` and `e.object_id`: the events table's own index serves
/// them. PostgreSQL logs a change to an index page, not the page, so a new
/// event's entry costs its commit little (SQLite keeps it apart).
fn push_events_of_object(_: &mut QueryBuilder<'_, Db>, _: i64, _: &str, _: i64) {}

/// A connection for single statements.
async fn connect(options: &PgConnectOptions) -> Result<sqlx::PgConnection, sqlx::Error> {
    options.connect().await
}

/// The index of events by object is always up to date here.
async fn index_events_apart(_: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    Ok(())
}

#[path = "shared/mod.rs"]
mod shared;

pub use shared::SqlStore as PgStore;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?
            .log_statements(tracing::log::LevelFilter::Trace);
        create_database_if_missing(&options).await?;
        let pool = PgPoolOptions::new()
            // Per node, for transactions; 8 more are held for single
            // statements (below), and the event writer has its own.
            // Measured on the benchmark (2 cores for gatehouse, PostgreSQL
            // and the load): 8 served 4-10% more unlocks and searches than
            // 16 or 4; more backends mostly switch between each other.
            .max_connections(8)
            // No ping before every query: it costs a round trip each time, and
            // a broken connection shows itself on use and is then replaced.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(shared::db)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        // As many for single statements beside the pool's transactions.
        Ok(Self::new(pool, 8, "postgres", Vec::new()))
    }
}

/// Connects to the server's `postgres` database and creates the target
/// database when it is missing, so `bootstrap` works on a fresh server.
async fn create_database_if_missing(options: &PgConnectOptions) -> StoreResult<()> {
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let admin = options.clone().database("postgres");
    let mut connection = match sqlx::PgConnection::connect_with(&admin).await {
        Ok(connection) => connection,
        // No maintenance database to talk to: let the real connect report.
        Err(_) => return Ok(()),
    };
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut connection)
            .await
            .map_err(shared::db)?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let created = sqlx::query(&format!("CREATE DATABASE {quoted}"))
            .execute(&mut connection)
            .await;
        // Another node may have created it in the meantime.
        if let Err(error) = created {
            let raced =
                matches!(&error, sqlx::Error::Database(d) if d.code().as_deref() == Some("42P04"));
            if !raced {
                return Err(shared::db(error));
            }
        }
    }
    Ok(())
}
