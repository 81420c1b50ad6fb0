//! What a node remembers between requests: verified credentials and the
//! facts of access decisions, so that an unlock costs one small read and a
//! share of a batched write instead of a dozen queries.
//!
//! Staying correct across nodes: the database keeps a change generation
//! (migration 0010) that every committed change to cached tables moves
//! forward in its own transaction. A lookup first reads the current
//! generation; an entry is only ever served at the generation it was loaded
//! at, and it was loaded after that generation was read, so it is at least
//! as fresh as the database was when the request arrived. A change through
//! this node or any other is enforced by the very next request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::conns::Conns;
use gatehouse_domain::{Organization, Principal, Reader};
use gatehouse_store::{StoreError, StoreResult};
use tokio::sync::{watch, Notify};

use super::access::{Door, Person};
use super::db;

/// Everything a node caches; see each loader for what an entry holds.
pub(super) struct Caches {
    pub(super) generation: Generation,
    pub(super) principals: Memo<Vec<u8>, Arc<Principal>>,
    pub(super) readers: Memo<Vec<u8>, Reader>,
    pub(super) organizations: Memo<i64, Organization>,
    pub(super) doors: Memo<(i64, i64), Option<Arc<Door>>>,
    pub(super) people: Memo<(i64, i64), Arc<Person>>,
}

impl Caches {
    /// Sized so that a 100,000-member organization's caches stay within
    /// tens of megabytes.
    pub(super) fn new(pool: &Conns) -> Self {
        Caches {
            generation: Generation::start(pool),
            principals: Memo::new(50_000),
            readers: Memo::new(10_000),
            organizations: Memo::new(1_000),
            doors: Memo::new(20_000),
            people: Memo::new(100_000),
        }
    }
}

/// Reads the change generation for every request that waits at the same
/// moment: a request is answered by the first read that started after it
/// arrived (so it sees every change committed before it arrived), and under
/// load one read answers dozens of requests.
pub(super) struct Generation {
    wanted: Arc<Notify>,
    latest: watch::Receiver<Reading>,
}

/// When a read started, and what it found.
type Reading = (Instant, Result<i64, String>);

impl Generation {
    /// Starts the reader task on a connection of its own to the database
    /// `pool` serves; it ends when this is dropped. Not one of the pool's:
    /// when every pooled connection is busy (searches, say), a reading
    /// queued behind them held up every request waiting for it, and they
    /// then all crowded into the pool at once (search p99 about 45 → 29 ms,
    /// docs/benchmarks.md).
    pub(super) fn start(pool: &Conns) -> Self {
        let own = Conns::new(pool.pool().clone(), 1);
        let wanted = Arc::new(Notify::new());
        let (publish, latest) = watch::channel((Instant::now(), Err("not read yet".to_owned())));
        tokio::spawn(read_when_wanted(own, wanted.clone(), publish));
        Generation { wanted, latest }
    }

    /// The database's change generation, read after the current request
    /// arrived (see `gatehouse_store::freshness`).
    pub(super) async fn current(&self) -> StoreResult<i64> {
        let arrived = gatehouse_store::freshness::read_since();
        let mut latest = self.latest.clone();
        self.wanted.notify_one();
        loop {
            {
                let (started, found) = &*latest.borrow_and_update();
                if *started >= arrived {
                    return found.clone().map_err(StoreError::Backend);
                }
            }
            latest
                .changed()
                .await
                .map_err(|_| StoreError::Backend("the generation reader has stopped".into()))?;
        }
    }
}

async fn read_when_wanted(own: Conns, wanted: Arc<Notify>, publish: watch::Sender<Reading>) {
    loop {
        tokio::select! {
            () = wanted.notified() => {}
            () = publish.closed() => return,
        }
        let started = Instant::now();
        let found = sqlx::query_scalar("SELECT value FROM change_generation WHERE id = 1")
            .fetch_one(&own)
            .await
            .map_err(|error| db(error).to_string());
        let _previous = publish.send_replace((started, found));
    }
}

/// Entries of one kind, all loaded at the same generation.
pub(super) struct Memo<K, V> {
    state: Mutex<State<K, V>>,
    capacity: usize,
}

struct State<K, V> {
    generation: i64,
    entries: HashMap<K, V>,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// At most `capacity` entries: when full, it starts over (a refill
    /// costs what the cache saves once; bounding memory matters more).
    pub(super) fn new(capacity: usize) -> Self {
        Memo {
            state: Mutex::new(State {
                generation: i64::MIN,
                entries: HashMap::new(),
            }),
            capacity,
        }
    }

    /// The entry for `key`, if one was loaded at `generation`, the current one.
    pub(super) fn get(&self, generation: i64, key: &K) -> Option<V> {
        let state = self.at(generation);
        if state.generation != generation {
            return None;
        }
        state.entries.get(key).cloned()
    }

    /// Keeps `value`, loaded after `generation` was read. A request that
    /// read an older generation than another's is ignored: its value may
    /// predate a change the cache has already moved past.
    pub(super) fn put(&self, generation: i64, key: K, value: V) {
        let mut state = self.at(generation);
        if state.generation != generation {
            return;
        }
        if state.entries.len() >= self.capacity {
            state.entries.clear();
        }
        state.entries.insert(key, value);
    }

    /// The state, emptied first when `generation` is newer than its own.
    fn at(&self, generation: i64) -> MutexGuard<'_, State<K, V>> {
        // A panic elsewhere cannot leave a map half-written in a way that
        // matters here: entries are whole values or absent.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if generation > state.generation {
            state.entries.clear();
            state.generation = generation;
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Conns, Generation, Memo};

    #[tokio::test]
    async fn the_generation_is_read_while_every_pooled_connection_is_busy() {
        let Some((database, pool)) = super::super::test_pool(1).await else {
            return;
        };
        sqlx::query(
            "CREATE TABLE change_generation (id INTEGER PRIMARY KEY, value BIGINT NOT NULL)",
        )
        .execute(&pool)
        .await
        .expect("create the table");
        sqlx::query("INSERT INTO change_generation (id, value) VALUES (1, 7)")
            .execute(&pool)
            .await
            .expect("set the generation");
        let generation = Generation::start(&Conns::new(pool.clone(), 1));
        let busy = pool
            .acquire()
            .await
            .expect("take the only pooled connection");
        let read = tokio::time::timeout(Duration::from_secs(10), generation.current()).await;
        assert_eq!(
            read.expect("answered while the pool is busy")
                .expect("read the generation"),
            7
        );
        drop((busy, generation, pool));
        database.remove().await;
    }

    #[test]
    fn serves_entries_only_at_the_generation_they_were_loaded_at() {
        let memo = Memo::new(10);
        memo.put(1, "a", 1);
        assert_eq!(memo.get(1, &"a"), Some(1));
        assert_eq!(memo.get(2, &"a"), None, "a newer generation empties it");
        memo.put(1, "a", 1);
        assert_eq!(
            memo.get(2, &"a"),
            None,
            "a value read before the change is not kept"
        );
        assert_eq!(memo.get(1, &"a"), None, "an older reader is not served");
        memo.put(2, "a", 2);
        assert_eq!(memo.get(2, &"a"), Some(2));
    }

    #[test]
    fn starts_over_when_full() {
        let memo = Memo::new(2);
        memo.put(1, 1, "one");
        memo.put(1, 2, "two");
        memo.put(1, 3, "three");
        assert_eq!(memo.get(1, &3), Some("three"));
        assert_eq!(memo.get(1, &1), None);
    }
}
