//! mqrr: MQTT request/response for the shell.
//!
//! `run` takes the parsed command line and returns what happened; `main`
//! turns that into one stderr line and an exit status.

pub mod cli;
pub mod config;
pub mod connect;
pub mod error;
pub mod extract;
pub mod output;
pub mod request;
pub mod signal;

use cli::{Cli, Command};
use config::{ConnectionSettings, RequestSettings};
use error::{Error, Result};

/// Runs the command line. `start` is when the process started: the `-W`
/// deadline counts from there.
pub fn run(cli: Cli, start: std::time::Instant) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("starting the runtime: {e}")))?;
    let start = tokio::time::Instant::from_std(start);
    match cli.command {
        None => {
            let conn = ConnectionSettings::from_args(&cli.connection)?;
            let req = RequestSettings::from_args(&cli.request)?;
            runtime.block_on(request::run(&conn, &req, start))
        }
        Some(Command::C8yToken(_)) | Some(Command::Serve(_)) => Err(Error::Usage("not yet".into())),
    }
}

/// Whether diagnostics are off (`--quiet` anywhere on the command line).
pub fn is_quiet(cli: &Cli) -> bool {
    match &cli.command {
        None => cli.connection.quiet,
        Some(Command::C8yToken(a)) => a.connection.quiet,
        Some(Command::Serve(a)) => a.connection.quiet,
    }
}
