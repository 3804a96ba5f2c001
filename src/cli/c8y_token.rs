//! Options of `mqrr c8y-token` (spec §4).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, ValueEnum};

use super::{Connection, parse_duration, parse_interval};

/// Output forms of `c8y-token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TokenOutput {
    /// The raw JWT
    #[default]
    Token,
    /// export C8Y_TOKEN=…, C8Y_URL=…, C8Y_TENANT=… for eval
    Env,
    /// token, url, tenant, user, issued_at, expires_at, expires_in_s
    Json,
    /// Authorization: Bearer <JWT>
    Header,
    /// The decoded JWT payload, pretty JSON
    Claims,
}

#[derive(Debug, Args, Clone)]
pub struct C8yTokenArgs {
    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Bridge topic prefix [default: c8y.bridge.topic_prefix from tedge.toml, else c8y]
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,

    /// Overall deadline from start, connecting included: 30 (seconds), 500ms, 1m30s; 0 waits forever
    #[arg(short = 'W', long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Publish the request again at this interval while waiting
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub resend: Duration,

    /// What to print
    #[arg(short = 'o', long, value_name = "FORM", value_enum, default_value_t = TokenOutput::Token)]
    pub output: TokenOutput,

    /// Fail (exit 1) if the token expires sooner than this [default with --cache: 60s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_valid: Option<Duration>,

    /// Reuse the token cached in this file while it stays valid; refresh it otherwise
    #[arg(long, value_name = "PATH")]
    pub cache: Option<PathBuf>,

    /// Ignore thin-edge.io's tedge.toml
    #[arg(long)]
    pub no_tedge_config: bool,

    #[command(flatten)]
    pub connection: Connection,
}
