//! Access decisions are committed in batches. Every decision's event must
//! be stored before its answer goes out, and a commit is the expensive part
//! of storing it (a flush to disk). One writer task takes every decision
//! waiting at that moment, writes them in one transaction and answers them
//! all after the commit: under load a commit carries dozens of decisions,
//! and a lone decision waits for nothing.

use gatehouse_domain::{AccessRecord, Timestamp};
use gatehouse_store::{StoreError, StoreResult};
use sqlx::Pool;
use tokio::sync::{mpsc, oneshot};

use super::{access, db, Db};

/// The most decisions one transaction carries.
const BATCH: usize = 256;

pub(super) struct Recorder {
    jobs: mpsc::Sender<Job>,
}

struct Job {
    organization_id: i64,
    record: AccessRecord,
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
    pub(super) async fn record(
        &self,
        organization_id: i64,
        record: &AccessRecord,
        now: Timestamp,
    ) -> StoreResult<()> {
        let stopped = || StoreError::Backend("the access event writer has stopped".into());
        let (committed, done) = oneshot::channel();
        let job = Job {
            organization_id,
            record: record.clone(),
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
        // A caller may have gone (client disconnected): its decision is
        // stored all the same, so a failed send is no error.
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
            // One decision that cannot be written must not fail the others
            // (the batch rolled back whole): write each on its own.
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
    for job in jobs {
        access::record(&mut tx, job.organization_id, &job.record, job.now)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
