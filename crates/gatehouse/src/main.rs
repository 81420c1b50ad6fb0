//! The `gatehouse` command. All wiring lives in the library (`gatehouse::cli`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    gatehouse::cli::main().await
}
