//! Member search: the sample of search texts that tells which part of a
//! query to look up in the trigram index (see `gatehouse_domain::search`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::conns::Conns;
use gatehouse_domain::search::TrigramSample;
use gatehouse_store::StoreResult;

use super::db;

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

/// The turn to take a sample, held while taking one.
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
