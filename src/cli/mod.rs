//! The command line as the user types it: clap definitions only.
//!
//! Doc comments here are the `--help` text. Values are parsed into simple
//! types (numbers, durations, enums); everything that needs more than one
//! option to check lives in `config.rs`.

use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand};

mod c8y_token;
mod connection;
mod extraction;
pub mod mosquitto;
pub mod options_file;
mod printing;
mod publish;
mod request;
mod serve;
mod sub;
mod tedge_cmd;

pub use c8y_token::{C8yTokenArgs, TokenOutput};
pub use connection::{Connection, Protocol};
pub use extraction::Extraction;
pub use printing::Printing;
pub use publish::PubArgs;
pub use request::{Correlation, RequestArgs};
pub use serve::ServeArgs;
pub use sub::SubArgs;
pub use tedge_cmd::{ListOutput, TedgeCmdArgs};

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
                  4 refused by the broker, 5 answered failed (tedge-cmd), 27 timed out, \
                  130/143 interrupted."
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
    ///
    /// Servers started with the same --group share the requests: the broker
    /// hands each one to one of them. SIGTERM or SIGINT stops taking
    /// requests, answers those already received, disconnects and exits 0; a
    /// second signal stops at once.
    #[command(disable_help_flag = true)]
    Serve(ServeArgs),

    /// Run a thin-edge.io command (restart, software_list, config_snapshot…)
    /// and follow it to its end.
    ///
    /// The command is a retained request on te/<entity>/cmd/<type>/<id>
    /// whose status the agent moves from init to successful (exit 0, the
    /// final payload on stdout) or failed (exit 5, its reason on stderr).
    /// Progress goes to stderr. The retained command is cleared at the end
    /// unless --keep.
    #[command(name = "tedge-cmd", disable_help_flag = true)]
    TedgeCmd(TedgeCmdArgs),

    /// Subscribe and print the messages, as mosquitto_sub: -C N messages,
    /// -W deadline, -F format, and the extraction steps -j/-r/-f as filters.
    #[command(
        disable_help_flag = true,
        after_help = "Exit status: 0 done (-C reached, -W passed without -C, -E, \
                      --retained-only, a signal without -C, stdout closed), 1 runtime failure, \
                      2 usage, 3 could not connect, 4 refused by the broker, 27 -W passed before \
                      -C messages, 130/143 interrupted before -C messages."
    )]
    Sub(SubArgs),

    /// Publish a message, a file, stdin, or each line of stdin: mosquitto_pub
    /// with exit codes a script can trust.
    ///
    /// Exit 0 only when every message was written (QoS 0) or acknowledged
    /// (QoS 1/2) and the connection closed cleanly; 4 when the broker refused
    /// a message; 1 when the connection was lost first; 27 on -W.
    #[command(name = "pub", disable_help_flag = true)]
    Pub(PubArgs),
}

/// The command line with its options file (`-o`, spec §2) read in: the
/// file's options go in front of the command line's, except those the
/// command line overrides. Without an options file, `args` unchanged (and
/// no clap command is built: a one-shot request does not pay for it).
pub fn with_options_file(
    mut args: Vec<std::ffi::OsString>,
) -> crate::error::Result<Vec<std::ffi::OsString>> {
    use clap::CommandFactory;
    let sub = args
        .get(1)
        .and_then(|a| a.to_str())
        .filter(|a| ["pub", "sub", "serve", "c8y-token", "tedge-cmd"].contains(a))
        .map(String::from);
    let skip = if sub.is_some() { 2 } else { 1 };
    // c8y-token and tedge-cmd use -o for their output form.
    let short_o = !matches!(sub.as_deref(), Some("c8y-token" | "tedge-cmd"));
    let Some(rest) = args.get(skip..) else {
        return Ok(args);
    };
    let Some(path) = options_file::named(rest, short_o)? else {
        return Ok(args);
    };
    let mut rest = args.split_off(skip);
    options_file::strip(&mut rest, short_o);
    let file = options_file::read(&path)?;
    let mut command = Cli::command();
    command.build();
    let command = match &sub {
        Some(name) => command
            .find_subcommand(name)
            .cloned()
            .unwrap_or_else(Cli::command),
        None => command,
    };
    args.extend(options_file::merge(
        &command,
        &file,
        &rest,
        &from_environment(),
    )?);
    Ok(args)
}

/// The connection options the environment sets (spec §2: it ranks above an
/// options file). The broker's address counts whole, as in `apply_env`.
fn from_environment() -> Vec<&'static str> {
    let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let mut ids = Vec::new();
    if set("MQRR_URL") || set("MQRR_HOST") || set("MQRR_PORT") {
        ids.extend(["url", "host", "port", "unix"]);
    }
    if set("MQRR_USERNAME") {
        ids.push("username");
    }
    if set("MQRR_PASSWORD") {
        ids.extend(["password", "password_file"]);
    }
    ids
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
