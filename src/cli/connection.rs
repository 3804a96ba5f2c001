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

    /// Lowest TLS version: tlsv1.2 (OpenSSL's default, 1.2 or later). tlsv1.3 and tlsv1.1 are not supported: Paho C cannot pin them (turns TLS on)
    #[arg(long, value_name = "VERSION")]
    pub tls_version: Option<String>,

    /// TLS 1.2 cipher list, in OpenSSL's syntax (turns TLS on)
    #[arg(long, value_name = "LIST")]
    pub ciphers: Option<String>,

    /// Verify the broker against the system's CA certificates (the default without --cafile or --capath; turns TLS on)
    #[arg(long, conflicts_with_all = ["cafile", "capath"])]
    pub tls_use_os_certs: bool,

    /// TLS-PSK key, in hex (with --psk-identity; turns TLS on)
    #[arg(long, value_name = "HEX", requires = "psk_identity")]
    pub psk: Option<String>,

    /// TLS-PSK identity
    #[arg(long, value_name = "ID", requires = "psk")]
    pub psk_identity: Option<String>,

    /// ALPN protocol to offer, e.g. x-amzn-mqtt-ca (turns TLS on)
    #[arg(long, value_name = "PROTO")]
    pub tls_alpn: Option<String>,

    /// Do not verify the broker's certificate or host name
    #[arg(long)]
    pub insecure: bool,

    /// MQTT 5 property CMD NAME VALUE (user-property takes NAME VALUE): CMD is connect, publish, subscribe, unsubscribe, disconnect or will; NAME as in the MQTT 5 spec, e.g. content-type, message-expiry-interval, session-expiry-interval (repeatable; implies MQTT 5)
    #[arg(short = 'D', long = "property", value_names = ["CMD", "NAME", "VALUE"], num_args = 3..=4)]
    pub property: Vec<String>,

    /// Last Will topic, published by the broker if mqrr's connection ends without a clean DISCONNECT
    #[arg(long, value_name = "TOPIC")]
    pub will_topic: Option<String>,

    /// Last Will payload [default: empty]
    #[arg(long, value_name = "TEXT", requires = "will_topic")]
    pub will_payload: Option<String>,

    /// Last Will QoS
    #[arg(long, value_name = "QOS", requires = "will_topic", value_parser = super::parse_qos)]
    pub will_qos: Option<u8>,

    /// Retain the Last Will
    #[arg(long, requires = "will_topic")]
    pub will_retain: bool,

    /// Keep the session when disconnecting (a persistent session; needs -i)
    #[arg(short = 'c', long)]
    pub disable_clean_session: bool,

    /// MQTT 5 Session Expiry Interval in seconds; -1 or ∞: never [default: -1 with -c, else 0]
    #[arg(short = 'x', long, value_name = "SECS", allow_negative_numbers = true, value_parser = parse_session_expiry)]
    pub session_expiry: Option<u32>,

    /// Set TCP_NODELAY (always on: Paho C sets it on every connection)
    #[arg(long)]
    pub nodelay: bool,

    /// Bind to this local address (not supported: Paho C has no bind address)
    #[arg(short = 'A', value_name = "ADDRESS", hide = true)]
    pub bind_address: Option<String>,

    /// SOCKS5 proxy URL (not supported: Paho C has HTTP proxies only)
    #[arg(long, value_name = "URL", hide = true)]
    pub proxy: Option<String>,

    /// Private key form (only pem is supported: Paho C has no OpenSSL engines)
    #[arg(long, value_name = "FORM", hide = true)]
    pub keyform: Option<String>,

    /// OpenSSL engine (not supported: Paho C has no OpenSSL engines)
    #[arg(long, value_name = "ENGINE", hide = true)]
    pub tls_engine: Option<String>,

    /// Engine key password hash (not supported: Paho C has no OpenSSL engines)
    #[arg(long, value_name = "HASH", hide = true)]
    pub tls_engine_kpass_sha1: Option<String>,

    /// Read options from this file: one option and its value per line, # comments, as mosquitto's client config files; the command line wins (-o for requests, pub, sub and serve)
    #[arg(long, value_name = "PATH")]
    pub options_file: Option<std::path::PathBuf>,

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
    /// MQTT 3.1, for mosquitto_pub/_sub/_rr command lines (`-V 31`).
    V31,
    #[default]
    Auto,
}

impl Protocol {
    /// Whether this version has MQTT 5's properties.
    pub fn has_properties(self) -> bool {
        matches!(self, Protocol::V5 | Protocol::Auto)
    }
}

/// `-x`: seconds, or `-1`, `4294967295` or `∞` for a session that never
/// expires (mosquitto's spellings).
fn parse_session_expiry(s: &str) -> Result<u32, String> {
    match s.trim() {
        "-1" | "∞" | "inf" => Ok(u32::MAX),
        n => n
            .parse::<u32>()
            .map_err(|_| "expected seconds (0–4294967295), -1 or ∞".to_string()),
    }
}

pub(crate) fn parse_protocol(s: &str) -> Result<Protocol, String> {
    match s.to_ascii_lowercase().as_str() {
        "5" | "mqttv5" | "v5" => Ok(Protocol::V5),
        "311" | "3.1.1" | "mqttv311" | "v311" => Ok(Protocol::V311),
        "31" | "3.1" | "mqttv31" => Ok(Protocol::V31),
        "auto" => Ok(Protocol::Auto),
        _ => Err("expected 5, 311, 31 or auto".into()),
    }
}
