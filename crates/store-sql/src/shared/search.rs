//! Member search. Each node keeps every member's search text in memory
//! (`MemberTexts`), and a search finds its candidates there; the database
//! then checks them on their texts as they are now, together with every
//! member whose text was written since the node last read the texts in.
//! A search the texts in memory cannot answer cheaply (under three
//! characters, every trigram common, or matching more than `MOST_FOUND`
//! members) goes to the database's trigram index, steered by a sample of
//! the texts (`SearchSample`, see `gatehouse_domain::search`).
//!
//! Why this is exact on every node: a member's row carries the version at
//! which its text was last written (migrations 0016 on SQLite, 0014 on
//! PostgreSQL), and the node reads a mark before it reads texts in. Every
//! row below the mark was committed before the mark was read, so the
//! reading that followed saw it; every row at or above it is asked of the
//! database at each search until a later reading covers it. A member
//! deleted since only leaves a candidate the database no longer has.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::conns::Conns;
use gatehouse_domain::search::TrigramSample;
use gatehouse_domain::text_index::TextIndex;
use gatehouse_store::{StoreError, StoreResult};

use super::db;

/// How long a reading of the texts serves before the next search reads in
/// those written since. Meanwhile every search asks the database for them
/// (through the index on `search_version`): few when readings are frequent.
const READ_IN_EVERY: Duration = Duration::from_millis(500);

/// How long before the texts are read anew, whole: until then the index
/// keeps the texts of deleted members and the replaced texts of renamed
/// ones, which cost memory and checks, not correctness.
const READ_WHOLE_EVERY: Duration = Duration::from_secs(600);

/// A search that more members match than this is left to the database,
/// which pages through it instead of taking a list of every one.
const MOST_FOUND: usize = 1_000;

/// At most this many texts written since the last reading are put in
/// place of their old ones; more are read whole.
const PUT_IN_PLACE_AT_MOST: usize = 5_000;

/// The candidates of one search: `ids` from memory, and every member whose
/// text has a version at or above `recent_from`, which memory lacks.
pub(super) struct Candidates {
    pub ids: Vec<i64>,
    pub recent_from: i64,
}

/// How a member search finds its rows.
pub(super) enum TextLookup {
    /// Candidates from the texts in memory, which the database checks.
    Candidates(Candidates),
    /// The database's trigram index, looking up the part of the text that
    /// the sample says is uncommon, or all of it without a sample.
    Index(Option<Arc<TrigramSample>>),
}

#[derive(Default)]
pub(super) struct MemberTexts {
    texts: RwLock<Option<Texts>>,
    reading: AtomicBool,
}

struct Texts {
    index: TextIndex,
    /// The mark read before the last reading: texts at or above it may be
    /// missing here.
    recent_from: i64,
    read_at: Instant,
    read_whole_at: Instant,
}

impl MemberTexts {
    /// The candidates of a search for the lower-cased `text`, or `None`
    /// when the texts in memory cannot tell cheaply (or are not read yet).
    /// A search that finds them due reads them in first, unless another
    /// already is: then it goes by the texts as they are.
    pub(super) async fn candidates(
        &self,
        pool: &Conns,
        organization_id: i64,
        text: &str,
    ) -> StoreResult<Option<Candidates>> {
        if self.due() && !self.reading.swap(true, Ordering::AcqRel) {
            // Let go of the turn however this ends, a dropped request included.
            let _turn = Turn(&self.reading);
            self.read_in(pool).await?;
        }
        let texts = self.texts.read().unwrap_or_else(PoisonError::into_inner);
        Ok(texts.as_ref().and_then(|texts| {
            let ids = texts.index.find(organization_id, text, MOST_FOUND)?;
            Some(Candidates {
                ids,
                recent_from: texts.recent_from,
            })
        }))
    }

    fn due(&self) -> bool {
        let texts = self.texts.read().unwrap_or_else(PoisonError::into_inner);
        texts
            .as_ref()
            .is_none_or(|texts| texts.read_at.elapsed() >= READ_IN_EVERY)
    }

    /// Reads in the texts written since the last reading, or all of them.
    async fn read_in(&self, pool: &Conns) -> StoreResult<()> {
        let since = {
            let texts = self.texts.read().unwrap_or_else(PoisonError::into_inner);
            texts.as_ref().and_then(|texts| {
                let worn = texts.index.replaced() > texts.index.rows() / 4;
                let old = texts.read_whole_at.elapsed() >= READ_WHOLE_EVERY;
                (!worn && !old).then_some(texts.recent_from)
            })
        };
        if let Some(since) = since {
            let (mark, rows) = read(pool, since).await?;
            // Searches wait while texts are put in place; many are read
            // whole instead, beside them (an import, say).
            if rows.len() <= PUT_IN_PLACE_AT_MOST {
                let mut texts = self.texts.write().unwrap_or_else(PoisonError::into_inner);
                if let Some(texts) = texts.as_mut() {
                    for (id, organization_id, text) in &rows {
                        texts.index.put(*id, *organization_id, text);
                    }
                    texts.recent_from = mark;
                    texts.read_at = Instant::now();
                }
                return Ok(());
            }
        }
        let (mark, rows) = read(pool, i64::MIN).await?;
        let now = Instant::now();
        // Built before it replaces the old one (searches meanwhile go by
        // that), on a thread that may block: 100,000 texts take about a
        // tenth of a second, which would hold up one of the server's workers.
        let index = tokio::task::spawn_blocking(move || {
            let mut index = TextIndex::default();
            for (id, organization_id, text) in &rows {
                index.put(*id, *organization_id, text);
            }
            index
        })
        .await
        .map_err(|e| StoreError::Backend(format!("building the member texts failed: {e}")))?;
        *self.texts.write().unwrap_or_else(PoisonError::into_inner) = Some(Texts {
            index,
            recent_from: mark,
            read_at: now,
            read_whole_at: now,
        });
        Ok(())
    }
}

/// About this many members' texts make the sample.
const SAMPLE_SIZE: i64 = 2_000;

/// How long a sample serves. It only steers which index entries a search
/// reads, never what it finds, so an old one costs time, not correctness.
const SAMPLE_LIFETIME: Duration = Duration::from_secs(600);

#[derive(Default)]
pub(super) struct SearchSample {
    taken: Mutex<Option<(Instant, Arc<TrigramSample>)>>,
    taking: AtomicBool,
}

impl SearchSample {
    /// The sample to search with. When there is none yet, or it has
    /// expired, this call takes a new one, unless another call already is:
    /// then the old sample serves meanwhile, or none (a search without one
    /// looks the whole text up), so no search waits for another's sample.
    pub(super) async fn get(&self, pool: &Conns) -> StoreResult<Option<Arc<TrigramSample>>> {
        let current = self.current();
        let fresh = matches!(&current, Some((at, _)) if at.elapsed() < SAMPLE_LIFETIME);
        if fresh || self.taking.swap(true, Ordering::AcqRel) {
            return Ok(current.map(|(_, sample)| sample));
        }
        // Let go of the turn however this ends, a dropped request included.
        let _turn = Turn(&self.taking);
        let sample = take(pool).await?;
        *self.lock() = Some((Instant::now(), sample.clone()));
        Ok(Some(sample))
    }

    fn current(&self) -> Option<(Instant, Arc<TrigramSample>)> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Arc<TrigramSample>)>> {
        self.taken.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The mark, then the texts at or above `since` (see the top of this
/// file for why in this order).
async fn read(pool: &Conns, since: i64) -> StoreResult<(i64, Vec<(i64, i64, String)>)> {
    let mark: i64 = sqlx::query_scalar(super::super::SEARCH_VERSION_MARK)
        .fetch_one(pool)
        .await
        .map_err(db)?;
    let rows = sqlx::query_as(
        "SELECT id, organization_id, search FROM members WHERE search_version >= $1",
    )
    .bind(since)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok((mark, rows))
}

/// The turn to take a sample or read the texts in, held while doing it.
struct Turn<'a>(&'a AtomicBool);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Every member whose id is a multiple of a stride, spread over all of them
/// (ids are dense enough) and over every organization.
async fn take(pool: &Conns) -> StoreResult<Arc<TrigramSample>> {
    let highest: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM members")
        .fetch_one(pool)
        .await
        .map_err(db)?;
    let stride = (highest.unwrap_or(0) / SAMPLE_SIZE).max(1);
    let texts: Vec<String> =
        sqlx::query_scalar("SELECT search FROM members WHERE id % $1 = 0 LIMIT $2")
            .bind(stride)
            .bind(SAMPLE_SIZE)
            .fetch_all(pool)
            .await
            .map_err(db)?;
    Ok(Arc::new(TrigramSample::new(
        texts.iter().map(String::as_str),
    )))
}

#[cfg(test)]
mod tests {
    use super::super::Db;
    use super::*;

    /// A pool on which every query fails: an empty SQLite database (no
    /// `members`), or no PostgreSQL server. A call that answers without an
    /// error did not ask the database.
    fn failing_pool() -> Conns {
        let url = match <Db as sqlx::Database>::NAME {
            "SQLite" => "sqlite::memory:",
            _ => "postgres://gatehouse@127.0.0.1:1/none",
        };
        let pool = sqlx::pool::PoolOptions::<Db>::new()
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy(url)
            .expect("a lazy pool");
        Conns::new(pool, 1)
    }

    #[tokio::test]
    async fn a_fresh_sample_serves_without_the_database() {
        let sample = SearchSample::default();
        *sample.lock() = Some((Instant::now(), Arc::new(TrigramSample::new(["a text"]))));
        assert!(sample.get(&failing_pool()).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn while_one_call_takes_a_sample_the_others_go_without() {
        let sample = SearchSample::default();
        sample.taking.store(true, Ordering::Release);
        assert!(sample.get(&failing_pool()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_failed_take_gives_the_turn_back() {
        let sample = SearchSample::default();
        let pool = failing_pool();
        assert!(sample.get(&pool).await.is_err());
        assert!(!sample.taking.load(Ordering::Acquire));
        assert!(
            sample.get(&pool).await.is_err(),
            "the next call tries again"
        );
    }
}
