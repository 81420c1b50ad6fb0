//! Access decisions, and the use of credentials, are committed in batches.
//! Every decision's event must be stored before its answer goes out, and a
//! commit is the expensive part of storing it (a flush to disk). One writer
//! task takes every write waiting at that moment, makes them in as few
//! statements as there are tables (one for all the events) and answers them
//! all after the commit: under load a commit carries dozens of them, and a
//! lone write waits for nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gatehouse_domain::{AccessRecord, Timestamp};
use gatehouse_store::{freshness, StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::{Pool, QueryBuilder};
use tokio::sync::{mpsc, oneshot};

use super::{access, db, Db};

/// The most writes one batch carries.
const BATCH: usize = 256;

/// Batches between two background checkpoints (SQLite; see `CHECKPOINT`).
const CHECKPOINT_EVERY: u32 = 8;

pub(super) struct Recorder {
    jobs: mpsc::Sender<Job>,
}

/// One write of a batch.
enum Write {
    Decision {
        organization_id: i64,
        record: AccessRecord,
    },
    /// A credential was used: `last_used_at` of the row in `table`.
    Use { table: UsedTable, id: i64 },
}

/// Where a credential's use is recorded (the order of `write`'s tables).
#[derive(Clone, Copy)]
pub(super) enum UsedTable {
    Logins = 0,
    Cards = 1,
    GroupLinks = 2,
}

struct Job {
    write: Write,
    now: Timestamp,
    committed: oneshot::Sender<StoreResult<()>>,
}

impl Recorder {
    /// Starts the writer task; it ends when the store is dropped.
    pub(super) fn start(pool: Pool<Db>) -> Self {
        let (jobs, queue) = mpsc::channel(4 * BATCH);
        tokio::spawn(write_batches(pool, queue));
        Recorder { jobs }
    }

    /// Returns once the decision is committed.
    pub(super) async fn decision(
        &self,
        organization_id: i64,
        record: &AccessRecord,
        now: Timestamp,
    ) -> StoreResult<()> {
        let write = Write::Decision {
            organization_id,
            record: record.clone(),
        };
        self.commit(write, now).await
    }

    /// Returns once the use is committed, or, when the request allows it,
    /// once it is queued: the request then waits for it before it answers
    /// (`gatehouse_store::freshness`), and a decision queued after it
    /// commits with it or after it.
    pub(super) async fn used(&self, table: UsedTable, id: i64, now: Timestamp) -> StoreResult<()> {
        let pending = self.queue(Write::Use { table, id }, now).await?;
        match freshness::defer(pending) {
            None => Ok(()),
            Some(pending) => freshness::wait(pending).await,
        }
    }

    async fn commit(&self, write: Write, now: Timestamp) -> StoreResult<()> {
        freshness::wait(self.queue(write, now).await?).await
    }

    /// Hands the write to the writer; the returned receiver answers once
    /// it is committed.
    async fn queue(&self, write: Write, now: Timestamp) -> StoreResult<freshness::Pending> {
        let (committed, pending) = oneshot::channel();
        let job = Job {
            write,
            now,
            committed,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Backend("the access event writer has stopped".into()))?;
        Ok(pending)
    }
}

async fn write_batches(pool: Pool<Db>, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(BATCH);
    // The writer keeps one connection between batches: on SQLite its page
    // cache then stays valid (its own commits do not void it, as another
    // connection's do), so the index pages a batch updates are at hand.
    let mut connection = None;
    let checkpointing = Arc::new(AtomicBool::new(false));
    let mut since_checkpoint = 0;
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        if let Some(statement) = super::super::CHECKPOINT {
            since_checkpoint += 1;
            if since_checkpoint >= CHECKPOINT_EVERY && !checkpointing.swap(true, Ordering::AcqRel) {
                since_checkpoint = 0;
                tokio::spawn(checkpoint(pool.clone(), statement, checkpointing.clone()));
            }
        }
        // A caller may have gone (client disconnected): its write is made
        // all the same, so a failed send is no error.
        let started = std::time::Instant::now();
        let result = write(&pool, &mut connection, &batch).await;
        tracing::trace!(
            writes = batch.len(),
            micros = started.elapsed().as_micros() as u64,
            "batch written"
        );
        match result {
            Ok(()) => {
                for job in batch.drain(..) {
                    let _ = job.committed.send(Ok(()));
                }
            }
            Err(error) if batch.len() == 1 => {
                if let Some(job) = batch.pop() {
                    let _ = job.committed.send(Err(error));
                }
            }
            // One write that cannot be made must not fail the others (its
            // statement failed whole): make each on its own. Writing a use
            // or a decision twice is harmless: a use sets the same time, and
            // a failed statement wrote nothing.
            Err(_) => {
                for job in batch.drain(..) {
                    let result = write(&pool, &mut connection, std::slice::from_ref(&job)).await;
                    let _ = job.committed.send(result);
                }
            }
        }
    }
}

/// Moves the write-ahead log into the database file beside the writes, not
/// in them: left to SQLite, the commit that fills the log copies it, and
/// every request waiting for that commit waits for the copy too (measured:
/// unlock p99 47 ms with only SQLite's own checkpoints, 15 ms with these).
/// A passive checkpoint takes no lock that writers need; small and often
/// keeps each one short.
async fn checkpoint(pool: Pool<Db>, statement: &'static str, running: Arc<AtomicBool>) {
    let started = std::time::Instant::now();
    match sqlx::query_as::<_, (i64, i64, i64)>(statement)
        .fetch_one(&pool)
        .await
    {
        Ok((busy, log, checkpointed)) => tracing::trace!(
            busy,
            log,
            checkpointed,
            micros = started.elapsed().as_micros() as u64,
            "checkpoint"
        ),
        Err(error) => tracing::warn!(%error, "checkpoint failed"),
    }
    running.store(false, Ordering::Release);
}

/// Writes on the kept connection, opening one when there is none; after a
/// failure the connection is let go (it may be the failure's cause).
async fn write(
    pool: &Pool<Db>,
    connection: &mut Option<PoolConnection<Db>>,
    jobs: &[Job],
) -> StoreResult<()> {
    let kept = match connection {
        Some(kept) => kept,
        None => connection.insert(pool.acquire().await.map_err(db)?),
    };
    let result = write_on(kept, jobs).await;
    if result.is_err() {
        *connection = None;
    }
    result
}

/// Keeps the latest use of each credential of a batch.
fn note_use(used: &mut [HashMap<i64, Timestamp>; 3], table: UsedTable, id: i64, at: Timestamp) {
    let latest = used[table as usize].entry(id).or_insert(at);
    *latest = (*latest).max(at);
}

/// Each statement of a batch stands alone, so none needs a transaction
/// around it (one round trip less each way, and on SQLite no writer lock
/// held across them): the uses of each credential table in one `UPDATE`,
/// then every decision in one `INSERT`. A decision's member's last access
/// is written by the database along with its event (see
/// `access::record_all`).
async fn write_on(connection: &mut PoolConnection<Db>, jobs: &[Job]) -> StoreResult<()> {
    let mut decisions = Vec::with_capacity(jobs.len());
    // The latest use of each credential, per table.
    let mut used: [HashMap<i64, Timestamp>; 3] = Default::default();
    for job in jobs {
        match &job.write {
            Write::Decision {
                organization_id,
                record,
            } => {
                // A card's use is the decision it led to: written with it,
                // so a card read waits for one commit, not two.
                if let ("Card", card_id) = record.authenticated_by {
                    note_use(&mut used, UsedTable::Cards, card_id, job.now);
                }
                decisions.push((*organization_id, record, job.now));
            }
            Write::Use { table, id } => note_use(&mut used, *table, *id, job.now),
        }
    }
    for (table, uses) in ["logins", "cards", "group_links"].into_iter().zip(used) {
        if uses.is_empty() {
            continue;
        }
        // One statement for the whole batch: rows in a CTE, then UPDATE ... FROM.
        let mut sql = QueryBuilder::<Db>::new("WITH used (id, used_at) AS (");
        sql.push_values(uses, |mut row, (id, at)| {
            row.push_bind(id).push_bind(at);
        });
        sql.push(format!(
            ") UPDATE {table} SET last_used_at = used.used_at FROM used WHERE {table}.id = used.id"
        ));
        sql.build().execute(&mut **connection).await.map_err(db)?;
    }
    if !decisions.is_empty() {
        access::record_all(&mut **connection, &decisions)
            .await
            .map_err(db)?;
    }
    Ok(())
}
