//! Options of `mqrr sub` (spec §8): mosquitto_sub's letters, with mqrr's
//! extraction steps as filters and a deadline for the whole run.

use std::time::Duration;

use clap::{ArgAction, Args};

use super::{Connection, Extraction, Printing, parse_duration, parse_interval, parse_qos};

#[derive(Debug, Args, Clone)]
#[command(
    mut_arg("json", |a| a.help("Print only messages that are JSON with this RFC 6901 pointer, and only its value (strings unquoted)")),
    mut_arg("regex", |a| a.help("Print only messages matching this regex, and only capture group 1 (or the whole match)"))
)]
pub struct SubArgs {
    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Topic filter to subscribe to; wildcards and $share/GROUP/… allowed (repeatable)
    #[arg(
        short = 't',
        long,
        value_name = "FILTER",
        required_unless_present = "unsubscribe"
    )]
    pub topic: Vec<String>,

    /// Do not print messages whose topic matches this filter (repeatable)
    #[arg(short = 'T', long, value_name = "FILTER")]
    pub filter_out: Vec<String>,

    /// Unsubscribe from this filter, e.g. a subscription a persistent session (-c) still holds (repeatable)
    ///
    /// Sent after the subscriptions of -t. With -U and no -t, mqrr exits
    /// once the broker has acknowledged the unsubscription.
    #[arg(short = 'U', long, value_name = "FILTER")]
    pub unsubscribe: Vec<String>,

    /// QoS of the subscriptions
    #[arg(short = 'q', long, value_name = "QOS", default_value = "0", value_parser = parse_qos)]
    pub qos: u8,

    /// Exit 0 after N printed messages
    #[arg(short = 'C', long, value_name = "N", value_parser = parse_count)]
    pub count: Option<u64>,

    /// Deadline for the whole run, connecting included: 5 (seconds), 500ms, 1m30s; 0 for none [default: none]
    ///
    /// When it passes mqrr exits 0, or 27 when -C was given and not reached.
    /// Not connected and subscribed by then is exit 27 too.
    #[arg(short = 'W', long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Exit 27 when -W passes, -C or not (mosquitto_sub's rule; set by the mosquitto_sub personality)
    #[arg(long, hide = true)]
    pub timeout_fails: bool,

    /// Print each message with this chance, in percent (mosquitto_sub's --random-filter; skipped messages still count for -C)
    #[arg(long, hide = true, value_name = "PERCENT", value_parser = parse_percent)]
    pub random_filter: Option<f64>,

    /// Exit 0 once the broker has acknowledged every subscription (with -c -i ID: create a persistent session)
    #[arg(short = 'E')]
    pub exit_after_subscribe: bool,

    /// Do not print retained messages (MQTT 5 also asks the broker not to send them)
    #[arg(short = 'R', conflicts_with = "retained_only")]
    pub no_retained: bool,

    /// Print only the retained messages; exit 0 at the first live one, or when none arrives within --settle
    #[arg(long)]
    pub retained_only: bool,

    /// With --retained-only: how long to wait after the SUBACK, and after each retained message, for more
    #[arg(long, value_name = "DURATION", default_value = "100ms", value_parser = parse_interval, requires = "retained_only")]
    pub settle: Duration,

    /// Clear each retained message printed (publish an empty retained message to its topic)
    ///
    /// Messages left out by -T or an extraction step are not cleared.
    #[arg(long)]
    pub remove_retained: bool,

    /// Subscribe with MQTT 5's Retain As Published: keep the retain flag of live messages
    #[arg(long)]
    pub retain_as_published: bool,

    /// Print the topic before the payload: TOPIC PAYLOAD
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// Print no newline after each message
    #[arg(short = 'N', help_heading = "Output")]
    pub no_newline: bool,

    #[command(flatten)]
    pub printing: Printing,

    #[command(flatten, next_help_heading = "Match and extract")]
    pub extraction: Extraction,

    #[command(flatten)]
    pub connection: Connection,
}

/// `-C`: a count of at least 1 (no -C prints every message).
fn parse_count(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1 (without -C every message is printed)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a number of messages".into()),
    }
}

/// `--random-filter`: a chance in percent, 0.1 to 100. Up to 1000 is
/// accepted as mosquitto_sub does (it scales by ten: 1000 prints all) and
/// means every message.
fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.1..=1000.0).contains(&p) => Ok(p.min(100.0)),
        _ => Err("chance must be between 0.1-100.0".into()),
    }
}
