//! Member search: the sample of search texts that tells which part of a
//! query to look up in the trigram index (see `gatehouse_domain::search`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_domain::search::TrigramSample;
use gatehouse_store::StoreResult;
use sqlx::Pool;
use tokio::sync::Mutex;

use super::{db, Db};

/// About this many members' texts make the sample.
const SAMPLE_SIZE: i64 = 2_000;

/// How long a sample serves. It only steers which index entries a search
/// reads, never what it finds, so an old one costs time, not correctness.
const SAMPLE_LIFETIME: Duration = Duration::from_secs(600);

#[derive(Default)]
pub(super) struct SearchSample {
    taken: Mutex<Option<(Instant, Arc<TrigramSample>)>>,
}

impl SearchSample {
    /// The current sample, taken anew when it has expired.
    pub(super) async fn get(&self, pool: &Pool<Db>) -> StoreResult<Arc<TrigramSample>> {
        let mut taken = self.taken.lock().await;
        if let Some((at, sample)) = &*taken {
            if at.elapsed() < SAMPLE_LIFETIME {
                return Ok(sample.clone());
            }
        }
        let sample = Arc::new(take(pool).await?);
        *taken = Some((Instant::now(), sample.clone()));
        Ok(sample)
    }
}

/// Every member whose id is a multiple of a stride, spread over all of them
/// (ids are dense enough) and over every organization.
async fn take(pool: &Pool<Db>) -> StoreResult<TrigramSample> {
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
    Ok(TrigramSample::new(texts.iter().map(String::as_str)))
}
