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

use std::cell::Cell;
use std::future::Future;
use std::time::Instant;

struct Request {
    arrived: Instant,
    wrote: Cell<bool>,
}

tokio::task_local! {
    static REQUEST: Request;
}

/// Runs one request: its cached reads may share a reading taken after now.
pub async fn request<F: Future>(work: F) -> F::Output {
    let request = Request {
        arrived: Instant::now(),
        wrote: Cell::new(false),
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
    async fn outside_a_request_every_read_is_fresh() {
        let first = read_since();
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        writing();
        assert!(read_since() > first);
    }
}
