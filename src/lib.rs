//! mqrr: MQTT request/response for the shell.
//!
//! `run` takes the parsed command line and returns what happened; `main`
//! turns that into one stderr line and an exit status.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod message;
pub mod mqtt;
pub mod signal;
pub mod tedge;
pub mod text;

use cli::{Cli, Command};
use config::{ConnectionSettings, RequestSettings};
use error::{Error, Result};

/// Runs the command line. `start` is when the process started: the `-W`
/// deadline counts from there.
pub fn run(cli: Cli, start: std::time::Instant) -> Result<()> {
    let _ = mqtt::session::STARTED.set(start);
    match cli.command {
        None => {
            let conn = ConnectionSettings::new(&cli.connection)?;
            let req = RequestSettings::from_args(&cli.request)?;
            req.check_against(&conn)?;
            let start = tokio::time::Instant::from_std(start);
            if cli.request.lines {
                let batch = commands::batch::Settings::from_args(&cli.request);
                runtime()?.block_on(commands::batch::run(&conn, &req, &batch, start))
            } else {
                runtime()?.block_on(commands::request::run(&conn, &req, start))
            }
        }
        Some(Command::C8yToken(args)) => {
            let settings = commands::c8y_token::Settings::from_args(&args)?;
            commands::c8y_token::run(&settings, start)
        }
        Some(Command::Serve(args)) => {
            let settings = commands::serve::Settings::from_args(&args)?;
            runtime()?.block_on(commands::serve::run(&settings))
        }
        Some(Command::TedgeCmd(args)) => {
            let settings = commands::tedge_cmd::Settings::from_args(&args)?;
            runtime()?.block_on(commands::tedge_cmd::run(&settings, start))
        }
        Some(Command::Sub(args)) => {
            let settings = commands::subscribe::Settings::from_args(&args)?;
            let start = tokio::time::Instant::from_std(start);
            runtime()?.block_on(commands::subscribe::run(&settings, start))
        }
        Some(Command::Pub(args)) => {
            let settings = commands::publish::Settings::from_args(&args)?;
            let start = tokio::time::Instant::from_std(start);
            runtime()?.block_on(commands::publish::run(&settings, start))
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
        Some(Command::TedgeCmd(a)) => a.connection.quiet,
        Some(Command::Sub(a)) => a.connection.quiet,
        Some(Command::Pub(a)) => a.connection.quiet,
    }
}
