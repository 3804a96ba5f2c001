//! The command line as the user types it: clap definitions only.
//!
//! Doc comments here are the `--help` text. Values are parsed into simple
//! types (numbers, durations, enums); everything that needs more than one
//! option to check lives in `config.rs`.

use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand};

mod c8y_token;
mod connection;
mod publish;
mod request;
mod serve;

pub use c8y_token::{C8yTokenArgs, TokenOutput};
pub use connection::{Connection, Protocol};
pub use publish::PubArgs;
pub use request::{Correlation, RequestArgs};
pub use serve::ServeArgs;

/// MQTT request/response for the shell: publish one request, wait for the
/// first fresh, matching response, print it, exit with a code a script can
/// trust.
#[derive(Debug, Parser)]
#[command(
    name = "mqrr",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Exit status: 0 answered, 1 runtime failure, 2 usage, 3 could not connect, \
                  4 refused by the broker, 27 timed out, 130/143 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Print version
    #[arg(long, action = ArgAction::Version)]
    pub version: Option<bool>,

    #[command(flatten)]
    pub connection: Connection,

    #[command(flatten)]
    pub request: RequestArgs,
}

#[derive(Debug, Subcommand)]
// Subcommand arguments are built only when that subcommand is used: a plain
// request does not pay for the ~60 arguments of c8y-token and serve (clap
// parsing is the largest cost before connecting, see issue #6).
#[command(defer = true)]
pub enum Command {
    /// Fetch the Cumulocity JWT over a thin-edge.io bridge (c8y/s/uat → 71,<JWT> on c8y/s/dat).
    ///
    /// The token is decoded to show its claims but NOT verified: the device
    /// holds no key to verify it with.
    #[command(name = "c8y-token", disable_help_flag = true)]
    C8yToken(C8yTokenArgs),

    /// Answer requests: subscribe to FILTER and reply on each request's
    /// response topic with the request payload, a fixed text or a command's
    /// stdout.
    #[command(disable_help_flag = true)]
    Serve(ServeArgs),

    /// Publish a message, a file, stdin, or each line of stdin: mosquitto_pub
    /// with exit codes a script can trust.
    ///
    /// Exit 0 only when every message was written (QoS 0) or acknowledged
    /// (QoS 1/2) and the connection closed cleanly; 4 when the broker refused
    /// a message; 1 when the connection was lost first; 27 on -W.
    #[command(name = "pub", disable_help_flag = true)]
    Pub(PubArgs),
}

/// The longest duration accepted anywhere (about 31 years): far beyond any
/// deadline, and small enough that adding it to a clock cannot overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(1_000_000_000);

/// Parses `5` (seconds, as mosquitto takes it), `500ms`, `1m30s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let d = match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 && secs <= MAX_DURATION.as_secs_f64() => {
            Duration::from_secs_f64(secs)
        }
        Ok(_) => return Err("duration out of range".into()),
        Err(_) => {
            humantime::parse_duration(s).map_err(|e| format!("{e} (try 5, 500ms or 1m30s)"))?
        }
    };
    if d > MAX_DURATION {
        return Err("duration out of range".into());
    }
    Ok(d)
}

/// A duration that must be more than zero (`--resend`, `--exec-timeout`).
pub(crate) fn parse_interval(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be more than 0".into()),
        d => Ok(d),
    }
}

pub(crate) fn parse_qos(s: &str) -> Result<u8, String> {
    match s {
        "0" => Ok(0),
        "1" => Ok(1),
        "2" => Ok(2),
        _ => Err("QoS must be 0, 1 or 2".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::connection::parse_protocol;
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_take_mosquitto_seconds_and_humantime() {
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in [
            "",
            "-1",
            "abc",
            "5 parsecs",
            "NaN",
            "inf",
            "1e300",
            "300000000000y",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn protocol_names() {
        assert_eq!(parse_protocol("mqttv5"), Ok(Protocol::V5));
        assert_eq!(parse_protocol("3.1.1"), Ok(Protocol::V311));
        assert_eq!(parse_protocol("AUTO"), Ok(Protocol::Auto));
        assert!(parse_protocol("4").is_err());
    }
}
