//! mqrr: MQTT request/response for the shell.
//!
//! `run` takes the parsed command line and returns what happened; `main`
//! turns that into one stderr line and an exit status.

pub mod c8y;
pub mod cli;
pub mod config;
pub mod connect;
pub mod error;
pub mod extract;
pub mod output;
pub mod request;
pub mod serve;
pub mod signal;
pub mod tedge;

use cli::{Cli, Command};
use config::{ConnectionSettings, RequestSettings};
use error::{Error, Result};

/// Runs the command line. `start` is when the process started: the `-W`
/// deadline counts from there.
pub fn run(cli: Cli, start: std::time::Instant) -> Result<()> {
    let _ = connect::STARTED.set(start);
    match cli.command {
        None => {
            let conn = ConnectionSettings::from_args(&cli.connection)?;
            let req = RequestSettings::from_args(&cli.request)?;
            req.check_against(&conn)?;
            let start = tokio::time::Instant::from_std(start);
            runtime()?.block_on(request::run(&conn, &req, start))
        }
        Some(Command::C8yToken(args)) => {
            let settings = c8y::Settings::from_args(&args)?;
            c8y::run(&settings, start)
        }
        Some(Command::Serve(args)) => {
            let settings = serve::Settings::from_args(&args)?;
            runtime()?.block_on(serve::run(&settings))
        }
    }
}

/// A current-thread runtime: one request needs no worker threads (Paho
/// brings its own two).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("starting the runtime: {e}")))
}

/// Whether diagnostics are off (`--quiet` anywhere on the command line).
pub fn is_quiet(cli: &Cli) -> bool {
    match &cli.command {
        None => cli.connection.quiet,
        Some(Command::C8yToken(a)) => a.connection.quiet,
        Some(Command::Serve(a)) => a.connection.quiet,
    }
}
