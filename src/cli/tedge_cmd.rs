//! Options of `mqrr tedge-cmd` (spec §12).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, ValueEnum};

use super::{Connection, Extraction, parse_duration};

/// Output forms of `tedge-cmd --list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ListOutput {
    /// One command type per line
    #[default]
    Types,
    /// One JSON object: each command type with its capability message
    Json,
}

#[derive(Debug, Args, Clone)]
#[command(
    mut_arg("json", |a| a.help("Print only this RFC 6901 JSON pointer of the successful command, e.g. /currentSoftwareList")),
    mut_arg("regex", |a| a.help("Print capture group 1 (or the whole match) of this regex on the successful command"))
)]
pub struct TedgeCmdArgs {
    /// Print help
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// The command to run: restart, software_list, software_update,
    /// config_snapshot, log_upload… (--list shows what the entity supports)
    #[arg(value_name = "CMD_TYPE", required_unless_present = "list")]
    pub cmd_type: Option<String>,

    /// Run the command on the child device NAME (entity device/NAME//)
    #[arg(long, value_name = "NAME", help_heading = "Target")]
    pub device: Option<String>,

    /// Run the command on the service NAME of the device (entity device/main/service/NAME, or of --device)
    #[arg(long, value_name = "NAME", help_heading = "Target")]
    pub service: Option<String>,

    /// Run the command on this entity topic id, e.g. device/child01// [default: mqtt.device_topic_id from tedge.toml, else device/main//]
    #[arg(long, value_name = "ID", conflicts_with_all = ["device", "service"], help_heading = "Target")]
    pub entity: Option<String>,

    /// The command id, the last level of the command topic [default: mqrr- and a random suffix]
    #[arg(long, value_name = "ID", help_heading = "Command")]
    pub cmd_id: Option<String>,

    /// The command as a JSON object; "status":"init" is added when missing [default: {"status":"init"}]
    #[arg(
        short = 'm',
        long,
        value_name = "JSON",
        group = "payload",
        help_heading = "Command"
    )]
    pub message: Option<String>,

    /// Read the command's JSON object from stdin
    #[arg(short = 's', long, group = "payload", help_heading = "Command")]
    pub stdin: bool,

    /// Read the command's JSON object from a file
    #[arg(long, value_name = "PATH", group = "payload", help_heading = "Command")]
    pub file: Option<PathBuf>,

    /// Overall deadline from start, connecting included: 600 (seconds), 90s, 1h; 0 waits forever
    #[arg(short = 'W', long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration, help_heading = "Command")]
    pub timeout: Duration,

    /// Leave the command's last state retained instead of clearing it at the end
    #[arg(long, help_heading = "Command")]
    pub keep: bool,

    /// List the command types the entity supports (its retained capability messages) and exit
    #[arg(long, conflicts_with_all = ["cmd_type", "cmd_id", "payload", "keep", "json", "regex", "fields", "format"], help_heading = "Command")]
    pub list: bool,

    /// What --list prints [default: types]
    #[arg(
        short = 'o',
        long,
        value_name = "FORM",
        value_enum,
        help_heading = "Command"
    )]
    pub output: Option<ListOutput>,

    #[command(flatten, next_help_heading = "Extract from the successful command")]
    pub extraction: Extraction,

    /// Print the successful command through this format string, as mosquitto_sub -F (%p is the extracted text)
    #[arg(
        short = 'F',
        long,
        value_name = "FORMAT",
        help_heading = "Extract from the successful command"
    )]
    pub format: Option<String>,

    /// Ignore thin-edge.io's tedge.toml
    #[arg(long)]
    pub no_tedge_config: bool,

    #[command(flatten)]
    pub connection: Connection,
}
