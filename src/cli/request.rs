//! Options of the general request mode (spec §3).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{Extraction, Printing, parse_duration, parse_interval, parse_qos};

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

    /// Overall deadline from start, connecting included: 5 (seconds), 500ms, 1m30s; 0 waits forever.
    /// With -l: each request's deadline, counted from its publish
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

    /// Publish the request retained (thin-edge.io commands are retained requests)
    #[arg(long, help_heading = "Request")]
    pub retain: bool,

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

    /// One request per stdin line, all over one connection; prints one result
    /// per line, in input order (an empty line when a request got no response
    /// within -W)
    #[arg(
        short = 'l',
        long,
        conflicts_with_all = ["payload", "count", "resend"],
        help_heading = "Batch"
    )]
    pub lines: bool,

    /// Requests awaiting their response at once (MQTT 5; never more than the
    /// broker's Receive Maximum); MQTT 3.1.1 and --correlation off send one at
    /// a time
    #[arg(
        long,
        value_name = "N",
        default_value_t = 64,
        requires = "lines",
        value_parser = clap::value_parser!(u16).range(1..),
        help_heading = "Batch"
    )]
    pub inflight: u16,

    /// Print responses as they arrive instead of in input order (no empty line
    /// for an unanswered request)
    #[arg(long, requires = "lines", help_heading = "Batch")]
    pub unordered: bool,

    /// One stderr line at the end with the request rate and the latency
    /// percentiles (publish to matching response), for benchmarks
    #[arg(long, requires = "lines", hide = true)]
    pub batch_stats: bool,

    /// Print no newline after each response
    #[arg(short = 'N', help_heading = "Output")]
    pub no_newline: bool,

    /// Print the response topic before the payload: TOPIC PAYLOAD
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    #[command(flatten)]
    pub printing: Printing,

    #[command(flatten, next_help_heading = "Match and extract")]
    pub extraction: Extraction,
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
