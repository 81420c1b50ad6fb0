//! The gatehouse server binary: command line, configuration, telemetry and
//! the choice of storage backend. The HTTP API lives in `gatehouse-api`.

pub mod cli;
mod commands;
mod seed;
pub mod server;
mod telemetry;
