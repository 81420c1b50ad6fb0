//! Access decisions, and the use of credentials, are committed in batches.
//! Every decision's event must be stored before its answer goes out, and a
//! commit is the expensive part of storing it (a flush to disk). One writer
//! task takes every write waiting at that moment, makes them in one
//! transaction and answers them all after the commit: under load a commit
//! carries dozens of them, and a lone write waits for nothing.

use gatehouse_domain::{AccessRecord, Timestamp};
use gatehouse_store::{StoreError, StoreResult};
use sqlx::Pool;
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

#[derive(Clone, Copy)]
pub(super) enum UsedTable {
    Logins,
    Cards,
    GroupLinks,
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
    for job in jobs {
        match &job.write {
            Write::Decision {
                organization_id,
                record,
            } => decisions.push((*organization_id, record, job.now)),
            Write::Use { table, id } => {
                let sql = match table {
                    UsedTable::Logins => "UPDATE logins SET last_used_at = $1 WHERE id = $2",
                    UsedTable::Cards => "UPDATE cards SET last_used_at = $1 WHERE id = $2",
                    UsedTable::GroupLinks => {
                        "UPDATE group_links SET last_used_at = $1 WHERE id = $2"
                    }
                };
                sqlx::query(sql)
                    .bind(job.now)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
        }
    }
    if !decisions.is_empty() {
        access::record_all(&mut tx, &decisions).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
