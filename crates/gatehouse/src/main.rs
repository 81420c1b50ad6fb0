//! The `gatehouse` command. All wiring lives in the library (`gatehouse::cli`).

/// mimalloc instead of the system's allocator: a search or an unlock
/// allocates for every row and every response, and glibc's malloc took
/// about a seventh of the server's time under load (`perf`), contended
/// across the runtime's and the database's threads. Alternating runs:
/// 10–20% more searches and unlocks a second, for about 20 MB more memory
/// (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gatehouse::cli::main().await
}
