//! Serving the API on a listener until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::{ListenerExt, TapIo};
use gatehouse_api::exports::JOB_SILENCE;
use gatehouse_api::mail::Mailer;
use gatehouse_api::{AppState, Clock, RateLimiter};
use gatehouse_store::Store;
use tokio::net::{TcpListener, TcpStream};

/// Rate limit settings: Kisi's 5 per second per user, with a burst of 10.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_second: 5,
            burst: 10,
        }
    }
}

/// How a server runs, beside its listener and store.
pub struct Options {
    pub limits: Limits,
    /// Member exports go under `<data_dir>/exports`.
    pub data_dir: std::path::PathBuf,
    pub mailer: Mailer,
    /// The source of "now" (tests move it forward).
    pub clock: Arc<dyn Clock>,
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Exports and imports interrupted by a stop (of this node or another)
    // are reported failed, never left running.
    tokio::spawn(sweep_interrupted_jobs(store.clone(), options.clock.clone()));
    let rate_limiter = RateLimiter::new(options.limits.per_second, options.limits.burst);
    rate_limiter.spawn_housekeeping();
    let mut state = AppState::new(store, rate_limiter, &options.data_dir, options.mailer);
    state.clock = options.clock;
    let app = gatehouse_api::app(state);
    axum::serve(
        without_delay(listener),
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Every accepted connection sends each answer as soon as it is written.
/// With Nagle's algorithm (axum leaves it on) a small write that follows
/// another not yet acknowledged waits for the peer's delayed
/// acknowledgement, up to 40 ms. With Nagle's algorithm off, paced unlocks
/// measured p99 5.0–6.9 ms against 6.0–9.5 with it on, in five alternating
/// pairs (docs/benchmarks.md).
fn without_delay(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set on a connection");
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when first polled, so a signal that arrives as soon as the
/// server says it is listening still shuts it down gracefully.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
            tracing::info!("shutting down: finishing requests in flight");
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    }
}

/// Every half minute, marks failed the exports and imports whose node has
/// not reported on them for [`JOB_SILENCE`]: that node stopped. Nodes that
/// are running report their jobs, so a restart of one never fails another's.
async fn sweep_interrupted_jobs(store: Arc<dyn Store>, clock: Arc<dyn Clock>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        every.tick().await;
        let now = clock.now();
        match store.fail_interrupted_exports(now - JOB_SILENCE, now).await {
            Ok(0) => {}
            Ok(failed) => tracing::warn!(
                failed,
                "exports and imports interrupted by a stopped node were marked failed"
            ),
            Err(error) => tracing::error!(%error, "could not check for interrupted exports"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::serve::Listener;

    #[tokio::test]
    async fn accepted_connections_send_without_delay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut listener = without_delay(listener);
        let client = TcpStream::connect(address).await.unwrap();
        let (accepted, peer) = listener.accept().await;
        assert_eq!(peer, client.local_addr().unwrap());
        assert!(accepted.nodelay().unwrap(), "TCP_NODELAY is off");
    }
}
