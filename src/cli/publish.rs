//! Options of `mqrr pub` (spec §7): mosquitto_pub's letters.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, ArgGroup, Args};

use super::{Connection, parse_duration, parse_qos};

#[derive(Debug, Args, Clone)]
#[command(group(
    ArgGroup::new("payload")
        .required(true)
        .args(["message", "file", "stdin_file", "stdin_line", "null_message"])
))]
pub struct PubArgs {
    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Topic to publish on (no wildcards)
    #[arg(short = 't', long, value_name = "TOPIC", required = true)]
    pub topic: Option<String>,

    /// Publish this text
    #[arg(
        short = 'm',
        long,
        value_name = "TEXT",
        help_heading = "Payload (exactly one)"
    )]
    pub message: Option<String>,

    /// Publish the contents of this file, byte for byte
    #[arg(
        short = 'f',
        long,
        value_name = "PATH",
        help_heading = "Payload (exactly one)"
    )]
    pub file: Option<PathBuf>,

    /// Publish all of stdin as one message, byte for byte
    #[arg(
        short = 's',
        long,
        alias = "stdin",
        help_heading = "Payload (exactly one)"
    )]
    pub stdin_file: bool,

    /// Publish each line of stdin as it is read, without its newline, over
    /// one connection; an empty line is an empty message
    #[arg(short = 'l', long, help_heading = "Payload (exactly one)")]
    pub stdin_line: bool,

    /// Publish an empty message
    #[arg(short = 'n', long, help_heading = "Payload (exactly one)")]
    pub null_message: bool,

    /// QoS of the messages
    #[arg(short = 'q', long, value_name = "QOS", default_value = "0", value_parser = parse_qos)]
    pub qos: u8,

    /// Publish retained
    #[arg(short = 'r', long)]
    pub retain: bool,

    /// Publish the message N times (not with -l)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "stdin_line")]
    pub repeat: Option<u32>,

    /// With --repeat: wait this long after each message was written (QoS 0)
    /// or acknowledged (QoS 1/2) before the next: 0.5 (seconds), 500ms
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_negative_numbers = true, conflicts_with = "stdin_line")]
    pub repeat_delay: Option<Duration>,

    /// QoS 1/2 messages in flight at most [default: the broker's Receive Maximum]
    #[arg(short = 'M', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_inflight: Option<u16>,

    /// One deadline for the whole run, connecting and reading stdin included:
    /// 5 (seconds), 500ms, 1m30s [default: none]
    #[arg(short = 'W', long, value_name = "DURATION", value_parser = parse_duration, allow_negative_numbers = true)]
    pub timeout: Option<Duration>,

    #[command(flatten)]
    pub connection: Connection,
}
