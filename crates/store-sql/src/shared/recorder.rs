//! Access decisions, and the use of credentials, are committed in batches.
//! Every decision's event must be stored before its answer goes out, and a
//! commit is the expensive part of storing it (a flush to disk). One writer
//! task takes every write waiting at that moment, makes them in one
//! transaction and answers them all after the commit: under load a commit
//! carries dozens of them, and a lone write waits for nothing.

use std::collections::HashMap;

use gatehouse_domain::{AccessRecord, Timestamp};
use gatehouse_store::{StoreError, StoreResult};
use sqlx::{Pool, QueryBuilder};
use tokio::sync::{mpsc, oneshot};

use super::{access, db, Db};

/// The most writes one transaction carries.
const BATCH: usize = 256;

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

    /// Returns once the use is committed.
    pub(super) async fn used(&self, table: UsedTable, id: i64, now: Timestamp) -> StoreResult<()> {
        self.commit(Write::Use { table, id }, now).await
    }

    async fn commit(&self, write: Write, now: Timestamp) -> StoreResult<()> {
        let stopped = || StoreError::Backend("the access event writer has stopped".into());
        let (committed, done) = oneshot::channel();
        let job = Job {
            write,
            now,
            committed,
        };
        self.jobs.send(job).await.map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())?
    }
}

async fn write_batches(pool: Pool<Db>, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        // A caller may have gone (client disconnected): its write is made
        // all the same, so a failed send is no error.
        match write(&pool, &batch).await {
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
            // One write that cannot be made must not fail the others (the
            // batch rolled back whole): make each on its own.
            Err(_) => {
                for job in batch.drain(..) {
                    let result = write(&pool, std::slice::from_ref(&job)).await;
                    let _ = job.committed.send(result);
                }
            }
        }
    }
}

async fn write(pool: &Pool<Db>, jobs: &[Job]) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let mut decisions = Vec::with_capacity(jobs.len());
    // The latest use of each credential, per table.
    let mut used: [HashMap<i64, Timestamp>; 3] = Default::default();
    for job in jobs {
        match &job.write {
            Write::Decision {
                organization_id,
                record,
            } => decisions.push((*organization_id, record, job.now)),
            Write::Use { table, id } => {
                let latest = used[*table as usize].entry(*id).or_insert(job.now);
                *latest = (*latest).max(job.now);
            }
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
        sql.build().execute(&mut *tx).await.map_err(db)?;
    }
    if !decisions.is_empty() {
        access::record_all(&mut tx, &decisions).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
