//! How fresh a request's cached reads must be.
//!
//! A node serves cached facts only at a change generation read after the
//! request arrived, so every change committed before the request arrived,
//! through any node, is enforced. One such reading serves the whole request:
//! an unlock asks for its caller's login and then for the door's facts, and
//! waiting for a second reading for the second question would only see
//! changes that came after the request, which it need not see. A request's
//! own writes are the exception: once it has begun one, each later reading
//! must start after the call again, so it sees what the request wrote.
//!
//! The API runs each request inside [`request`]; work outside a request
//! (the CLI, background jobs, tests) reads fresh every time.
//!
//! A request may also leave a write of bookkeeping (a credential's use) to
//! be waited for later, when it opened this to it with [`defer_writes`]: an
//! unlock's login use then commits in the same batch as its decision
//! instead of one commit before it. Such writes are waited for before the
//! request's next write transaction ([`settle`] in `begin`) and before it
//! answers (the API's request layer), so whatever comes after the request
//! sees them, as if it had waited at once.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::Instant;

use tokio::sync::oneshot;

use crate::{StoreError, StoreResult};

/// A write begun and not yet waited for: answered once it is committed.
pub type Pending = oneshot::Receiver<StoreResult<()>>;

struct Request {
    arrived: Instant,
    wrote: Cell<bool>,
    defers: Cell<bool>,
    pending: RefCell<Vec<Pending>>,
}

tokio::task_local! {
    static REQUEST: Request;
}

/// Runs one request: its cached reads may share a reading taken after now.
pub async fn request<F: Future>(work: F) -> F::Output {
    let request = Request {
        arrived: Instant::now(),
        wrote: Cell::new(false),
        defers: Cell::new(false),
        pending: RefCell::new(Vec::new()),
    };
    REQUEST.scope(request, work).await
}

/// The earliest start of a generation reading the caller may be served:
/// the request's arrival, or now once the request has written (or outside
/// a request).
pub fn read_since() -> Instant {
    REQUEST
        .try_with(|request| (!request.wrote.get()).then_some(request.arrived))
        .ok()
        .flatten()
        .unwrap_or_else(Instant::now)
}

/// Notes that the current request begins a write; called before it.
pub fn writing() {
    let _outside_a_request = REQUEST.try_with(|request| request.wrote.set(true));
}

/// Lets the current request leave its bookkeeping writes to [`settle`].
pub fn defer_writes() {
    let _outside_a_request = REQUEST.try_with(|request| request.defers.set(true));
}

/// Leaves `pending` to [`settle`] when the current request allows it;
/// otherwise hands it back for the caller to wait for now.
pub fn defer(pending: Pending) -> Option<Pending> {
    let mut pending = Some(pending);
    let _outside_a_request = REQUEST.try_with(|request| {
        if request.defers.get() {
            request.pending.borrow_mut().extend(pending.take());
        }
    });
    pending
}

/// Waits for a pending write: its commit, or its failure.
pub async fn wait(pending: Pending) -> StoreResult<()> {
    pending
        .await
        .map_err(|_| StoreError::Backend("the access event writer has stopped".into()))?
}

/// Waits for every write the current request left pending; the first
/// failure among them, if any.
pub async fn settle() -> StoreResult<()> {
    let pending = REQUEST
        .try_with(|request| std::mem::take(&mut *request.pending.borrow_mut()))
        .unwrap_or_default();
    let mut outcome = Ok(());
    for write in pending {
        let result = wait(write).await;
        if outcome.is_ok() {
            outcome = result;
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_reads_since_it_arrived_until_it_writes() {
        let before = Instant::now();
        request(async {
            let arrived = read_since();
            assert!(arrived >= before);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            assert_eq!(read_since(), arrived, "one reading serves the request");
            writing();
            let after_write = read_since();
            assert!(after_write > arrived, "its own write needs a fresh reading");
            assert!(read_since() >= after_write);
        })
        .await;
    }

    #[tokio::test]
    async fn a_deferred_write_is_waited_for_by_settle() {
        request(async {
            defer_writes();
            let (commit, pending) = oneshot::channel();
            assert!(defer(pending).is_none(), "left to settle");
            let mut settled = Box::pin(settle());
            assert!(
                futures_poll_once(&mut settled).await.is_none(),
                "settle waits for the commit"
            );
            commit.send(Ok(())).unwrap();
            assert!(settled.await.is_ok());
            assert!(settle().await.is_ok(), "nothing is left");
        })
        .await;
    }

    #[tokio::test]
    async fn a_failed_deferred_write_fails_settle() {
        request(async {
            defer_writes();
            let (commit, pending) = oneshot::channel();
            assert!(defer(pending).is_none());
            commit
                .send(Err(StoreError::Backend("disk full".into())))
                .unwrap();
            assert!(settle().await.is_err());
        })
        .await;
    }

    #[tokio::test]
    async fn without_defer_writes_the_caller_waits() {
        let (_commit, pending) = oneshot::channel::<StoreResult<()>>();
        assert!(defer(pending).is_some(), "outside a request");
        request(async {
            let (_commit, pending) = oneshot::channel::<StoreResult<()>>();
            assert!(defer(pending).is_some(), "a request that did not allow it");
        })
        .await;
    }

    /// Polls a future once: its output if it is ready.
    async fn futures_poll_once<F: Future + Unpin>(future: &mut F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut *future).poll(cx) {
                std::task::Poll::Ready(output) => Some(output),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }

    #[tokio::test]
    async fn outside_a_request_every_read_is_fresh() {
        let first = read_since();
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        writing();
        assert!(read_since() > first);
    }
}
