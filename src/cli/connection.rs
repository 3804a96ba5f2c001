//! How to reach the broker: the option group every subcommand flattens in
//! (spec §2).

use std::path::PathBuf;

use clap::Args;

// How to reach the broker; every subcommand takes these. (A `//` comment:
// with deferred subcommands a doc comment here would replace their about.)
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Connection")]
pub struct Connection {
    /// Broker host [default: localhost] [env: MQRR_HOST]
    #[arg(short = 'h', long, value_name = "HOST")]
    pub host: Option<String>,

    /// Broker port [default: 1883, 8883 with TLS] [env: MQRR_PORT]
    #[arg(short = 'p', long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Broker URL: mqtt://, mqtts://, ws://, wss:// or unix:///path, with optional user:pass@ (percent-encoded) [env: MQRR_URL]
    #[arg(short = 'L', long, value_name = "URL", conflicts_with_all = ["host", "port", "unix"])]
    pub url: Option<String>,

    /// Connect over a unix domain socket
    #[arg(long, value_name = "PATH", conflicts_with_all = ["host", "port"])]
    pub unix: Option<PathBuf>,

    /// User name [env: MQRR_USERNAME]
    #[arg(short = 'u', long, value_name = "USER")]
    pub username: Option<String>,

    /// Password (prefer MQRR_PASSWORD or --password-file: the command line is visible to other users) [env: MQRR_PASSWORD]
    #[arg(short = 'P', long, value_name = "PASSWORD")]
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

pub(crate) fn parse_protocol(s: &str) -> Result<Protocol, String> {
    match s.to_ascii_lowercase().as_str() {
        "5" | "mqttv5" | "v5" => Ok(Protocol::V5),
        "311" | "3.1.1" | "mqttv311" | "v311" => Ok(Protocol::V311),
        "auto" => Ok(Protocol::Auto),
        _ => Err("expected 5, 311 or auto".into()),
    }
}
