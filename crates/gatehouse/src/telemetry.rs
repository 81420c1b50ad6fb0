//! Structured logs with tracing. `RUST_LOG` overrides the default filter.

use std::io::{BufWriter, Stderr};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Lines a busy server may queue for the log writer; past that it drops
/// lines rather than make requests wait.
const QUEUED_LINES: usize = 64 * 1024;

/// Logs go to standard error through a thread of their own: a request
/// formats its line and queues it, and the thread writes whatever has
/// queued in one system call (one write per line was a tenth of the
/// server's time under load). Keep the guard until exit: dropping it
/// writes out what is still queued.
pub fn init(json: bool) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    // Colors only for a terminal: escape codes in a log file are noise.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("gatehouse-log")
        .finish(BufWriter::<Stderr>::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(terminal)
        .with_target(false);
    // A second init (tests) is harmless.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    guard
}
