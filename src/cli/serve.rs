//! Options of `mqrr serve` (spec §5).

use std::time::Duration;

use clap::{ArgAction, Args};

use super::{Connection, parse_interval, parse_qos};

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

    /// Share the requests with every `serve` of this group: subscribe with
    /// `$share/NAME/FILTER`, and the broker hands each request to one of them
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,

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
