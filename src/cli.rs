//! The command line as the user types it: clap definitions only.
//!
//! Doc comments here are the `--help` text. Values are parsed into simple
//! types (numbers, durations, enums); everything that needs more than one
//! option to check lives in `config.rs`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

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
}

// How to reach the broker; every subcommand takes these. (A `//` comment:
// with deferred subcommands a doc comment here would replace their about.)
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Connection")]
pub struct Connection {
    /// Broker host [default: localhost]
    #[arg(short = 'h', long, env = "MQRR_HOST", value_name = "HOST")]
    pub host: Option<String>,

    /// Broker port [default: 1883, 8883 with TLS]
    #[arg(short = 'p', long, env = "MQRR_PORT", value_name = "PORT")]
    pub port: Option<u16>,

    /// Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@
    #[arg(short = 'L', long, env = "MQRR_URL", value_name = "URL", conflicts_with_all = ["host", "port", "unix"])]
    pub url: Option<String>,

    /// Connect over a unix domain socket
    #[arg(long, value_name = "PATH", conflicts_with_all = ["host", "port"])]
    pub unix: Option<PathBuf>,

    /// User name
    #[arg(short = 'u', long, env = "MQRR_USERNAME", value_name = "USER")]
    pub username: Option<String>,

    /// Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users)
    #[arg(
        short = 'P',
        long,
        env = "MQRR_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub password: Option<String>,

    /// Read the password from the first line of this file
    #[arg(long, value_name = "PATH", conflicts_with = "password")]
    pub password_file: Option<PathBuf>,

    /// Client id [default: mqrr- and a random suffix]
    #[arg(short = 'i', long = "id", value_name = "ID")]
    pub id: Option<String>,

    /// Client id prefix, followed by a random suffix
    #[arg(short = 'I', long, value_name = "PREFIX", conflicts_with = "id")]
    pub id_prefix: Option<String>,

    /// Keep-alive interval in seconds
    #[arg(short = 'k', long, value_name = "SECS", default_value_t = 60)]
    pub keepalive: u16,

    /// MQTT protocol version: 5, 311 or auto (MQTT 5, falling back to 3.1.1 once if the broker refuses it)
    #[arg(short = 'V', long, value_name = "VERSION", default_value = "auto", value_parser = parse_protocol)]
    pub protocol: Protocol,

    /// CA certificates file to verify the broker with (turns TLS on)
    #[arg(long, value_name = "PATH")]
    pub cafile: Option<PathBuf>,

    /// Directory of CA certificates to verify the broker with (turns TLS on)
    #[arg(long, value_name = "DIR")]
    pub capath: Option<PathBuf>,

    /// Client certificate, PEM (turns TLS on)
    #[arg(long, value_name = "PATH", requires = "key")]
    pub cert: Option<PathBuf>,

    /// Client private key, PEM (turns TLS on)
    #[arg(long, value_name = "PATH", requires = "cert")]
    pub key: Option<PathBuf>,

    /// TLS version: tlsv1.2 pins TLS 1.2; tlsv1.3 lets OpenSSL negotiate its highest (turns TLS on)
    #[arg(long, value_name = "VERSION", value_parser = ["tlsv1.2", "tlsv1.3"])]
    pub tls_version: Option<String>,

    /// ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)
    #[arg(long, value_name = "PROTO")]
    pub tls_alpn: Option<String>,

    /// Do not verify the broker's certificate or host name
    #[arg(long)]
    pub insecure: bool,

    /// Trace connection steps and packets to stderr (never the password)
    #[arg(long, conflicts_with = "quiet")]
    pub debug: bool,

    /// Print no diagnostics; the exit status tells what happened
    #[arg(long)]
    pub quiet: bool,
}

/// MQTT protocol version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    V5,
    V311,
    #[default]
    Auto,
}

fn parse_protocol(s: &str) -> Result<Protocol, String> {
    match s.to_ascii_lowercase().as_str() {
        "5" | "mqttv5" | "v5" => Ok(Protocol::V5),
        "311" | "3.1.1" | "mqttv311" | "v311" => Ok(Protocol::V311),
        "auto" => Ok(Protocol::Auto),
        _ => Err("expected 5, 311 or auto".into()),
    }
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
fn parse_interval(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be more than 0".into()),
        d => Ok(d),
    }
}

fn parse_qos(s: &str) -> Result<u8, String> {
    match s {
        "0" => Ok(0),
        "1" => Ok(1),
        "2" => Ok(2),
        _ => Err("QoS must be 0, 1 or 2".into()),
    }
}

/// Options of the general request mode.
#[derive(Debug, Args, Clone, Default)]
pub struct RequestArgs {
    /// Topic to publish the request on
    #[arg(
        short = 't',
        long,
        value_name = "TOPIC",
        required = true,
        help_heading = "Request"
    )]
    pub topic: Option<String>,

    /// Topic filter to wait for the response on (wildcards allowed)
    #[arg(
        short = 'e',
        long,
        value_name = "FILTER",
        required = true,
        help_heading = "Request"
    )]
    pub response_topic: Option<String>,

    /// Request payload
    #[arg(
        short = 'm',
        long,
        value_name = "TEXT",
        group = "payload",
        help_heading = "Request"
    )]
    pub message: Option<String>,

    /// Send an empty payload (the default)
    #[arg(short = 'n', long, group = "payload", help_heading = "Request")]
    pub null_message: bool,

    /// Read the payload from stdin, byte for byte
    #[arg(short = 's', long, group = "payload", help_heading = "Request")]
    pub stdin: bool,

    /// Read the payload from a file, byte for byte
    #[arg(long, value_name = "PATH", group = "payload", help_heading = "Request")]
    pub file: Option<PathBuf>,

    /// QoS of the request and the response subscription
    #[arg(short = 'q', long, value_name = "QOS", default_value = "0", value_parser = parse_qos, help_heading = "Request")]
    pub qos: u8,

    /// Overall deadline from start, connecting included: 5 (seconds), 500ms, 1m30s; 0 waits forever
    #[arg(short = 'W', long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration, allow_negative_numbers = true, help_heading = "Request")]
    pub timeout: Duration,

    /// Publish the request again at this interval while waiting
    #[arg(long, value_name = "DURATION", value_parser = parse_interval, allow_negative_numbers = true, help_heading = "Request")]
    pub resend: Option<Duration>,

    /// Exit after N matching responses; 0 collects until the deadline
    #[arg(
        short = 'C',
        long,
        value_name = "N",
        default_value_t = 1,
        help_heading = "Request"
    )]
    pub count: u32,

    /// Also accept retained messages as responses
    #[arg(long, help_heading = "Request")]
    pub retained: bool,

    /// MQTT 5 correlation: auto drops responses carrying someone else's
    /// correlation data, strict accepts only ours, off sends and checks none
    #[arg(long, value_name = "MODE", value_enum, default_value_t = Correlation::Auto, help_heading = "Request")]
    pub correlation: Correlation,

    /// MQTT 5 user property on the request (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_user_property, help_heading = "Request")]
    pub user_property: Vec<(String, String)>,

    /// Print no newline after each response
    #[arg(short = 'N', help_heading = "Output")]
    pub no_newline: bool,

    /// Print the response topic before the payload: TOPIC PAYLOAD
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// Match and print only this RFC 6901 JSON pointer, e.g. /data/0/value (strings print unquoted)
    #[arg(
        short = 'j',
        long,
        value_name = "POINTER",
        help_heading = "Match and extract"
    )]
    pub json: Option<String>,

    /// Match this regex and print capture group 1 (or the whole match)
    #[arg(
        short = 'r',
        long,
        value_name = "RE",
        help_heading = "Match and extract"
    )]
    pub regex: Option<String>,

    /// Print only these fields, as cut -f: N, N-, N-M, -M, comma lists
    #[arg(
        short = 'f',
        long,
        value_name = "LIST",
        allow_hyphen_values = true,
        help_heading = "Match and extract"
    )]
    pub fields: Option<String>,

    /// Field delimiter for -f
    #[arg(
        short = 'd',
        long,
        value_name = "STR",
        default_value = ",",
        help_heading = "Match and extract"
    )]
    pub delimiter: String,
}

fn parse_user_property(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err("expected KEY=VALUE".into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Correlation {
    #[default]
    Auto,
    Strict,
    Off,
}

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

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Topic filter to answer requests on (repeatable)
    #[arg(short = 't', long, value_name = "FILTER", required = true)]
    pub topic: Vec<String>,

    /// QoS of the subscription and the replies
    #[arg(short = 'q', long, value_name = "QOS", default_value = "0", value_parser = parse_qos)]
    pub qos: u8,

    /// Reply here when a request carries no Response Topic (MQTT 3.1.1 requesters)
    #[arg(long, value_name = "TOPIC")]
    pub reply_topic: Option<String>,

    /// Exit after N replies
    #[arg(short = 'C', long, value_name = "N")]
    pub count: Option<u64>,

    /// Requests handled at once
    #[arg(short = 'j', long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: u32,

    /// Give up on a command after this long (no reply is sent)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_interval)]
    pub exec_timeout: Duration,

    /// Reply with the request payload
    #[arg(long, group = "answer")]
    pub echo: bool,

    /// Reply with this fixed text
    #[arg(long, value_name = "TEXT", group = "answer")]
    pub reply: Option<String>,

    /// Reply with the stdout of this command (no shell; the request payload is its stdin)
    #[arg(last = true, value_name = "CMD", group = "answer")]
    pub command: Vec<String>,

    #[command(flatten)]
    pub connection: Connection,
}

#[cfg(test)]
mod tests {
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
