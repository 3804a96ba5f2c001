//! Parse, then check: turns what the user typed (`cli.rs`) into the settings
//! the program runs on. Every usage error is found here, before any network
//! activity, and becomes `Error::Usage` (exit 2) naming the option or file.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::bytes::Regex;

use crate::cli::{Connection, Correlation, Extraction, Protocol, RequestArgs};
use crate::error::{Error, Result};
use crate::mqtt::Will;
use crate::mqtt::properties::{ByPacket, parse_spec};
use crate::text::extract::{Extractor, FieldList, JsonPointer};
use crate::text::format::Template;

/// Where and how to connect, checked.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// The URI handed to Paho (`tcp://`, `ssl://`, `ws://`, `wss://`, `unix://`).
    pub uri: String,
    /// What diagnostics call the broker: `host:port` or the socket path.
    pub display: String,
    pub username: Option<String>,
    /// Binary-safe (MQTT 5 §3.1.3.5): a percent-decoded URL may carry any byte.
    pub password: Option<Vec<u8>>,
    pub client_id: String,
    pub keepalive: Duration,
    pub protocol: Protocol,
    pub tls: Option<TlsSettings>,
    /// `-D` properties by packet (MQTT 5 only).
    pub properties: ByPacket,
    pub will: Option<Will>,
    /// Clean Start / Clean Session; `-c` turns it off.
    pub clean: bool,
    /// MQTT 5 Session Expiry Interval, seconds (`u32::MAX`: never).
    pub session_expiry: Option<u32>,
    pub debug: bool,
    pub quiet: bool,
}

#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub cafile: Option<PathBuf>,
    pub capath: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ciphers: Option<String>,
    pub alpn: Option<String>,
    /// TLS-PSK identity and key.
    pub psk: Option<(String, Vec<u8>)>,
    pub insecure: bool,
}

/// A random number good enough for client ids and correlation data: std's
/// hasher keys are seeded from the OS once per process, the pid and the
/// clock tell apart processes started in the same instant.
pub fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

fn check_readable(option: &str, path: &Path) -> Result<()> {
    readable(path).map_err(|e| usage(format!("{option} {}: {e}", path.display())))
}

/// Whether a file that must exist can be read: it is opened once to find
/// out. A FIFO is only looked at: opening one blocks until someone writes
/// to it, and this check runs before the `-W` deadline can apply (issue
/// #19: `--cafile FIFO` used to hang forever).
pub(crate) fn readable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    if std::fs::metadata(path)?.file_type().is_fifo() {
        return Ok(());
    }
    std::fs::File::open(path).map(drop)
}

/// The environment variables of the connection group (spec §2).
pub const ENV_VARS: [&str; 5] = [
    "MQRR_URL",
    "MQRR_HOST",
    "MQRR_PORT",
    "MQRR_USERNAME",
    "MQRR_PASSWORD",
];

/// Fills what the command line left unset from `MQRR_*` variables (spec §2:
/// command line > environment > file > default). A lower level never
/// conflicts with a higher one: the broker's address is taken whole from
/// the highest level that gives any of it (`-L`, or `-h`/`-p`, or
/// `--unix`), so `MQRR_HOST` beside `-L` is ignored, not a usage error.
/// `env` is the variable lookup (`std::env::var_os` in the program).
pub fn apply_env(
    c: &mut Connection,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<()> {
    let var = |name: &str| -> Result<Option<String>> {
        match env(name) {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(None),
            Some(v) => v
                .into_string()
                .map(Some)
                .map_err(|_| usage(format!("{name}: not valid UTF-8"))),
        }
    };
    let cli_url = c.url.as_deref().map(parse_url).transpose()?;
    if c.url.is_none() && c.host.is_none() && c.port.is_none() && c.unix.is_none() {
        let (url, host, port) = (var("MQRR_URL")?, var("MQRR_HOST")?, var("MQRR_PORT")?);
        if url.is_some() && (host.is_some() || port.is_some()) {
            return Err(usage(
                "MQRR_URL and MQRR_HOST/MQRR_PORT are both set: unset one",
            ));
        }
        c.url = url;
        c.host = host;
        c.port = port
            .map(|p| {
                p.parse::<u16>()
                    .map_err(|_| usage(format!("MQRR_PORT {p:?}: not a port number")))
            })
            .transpose()?;
    } else if c.url.is_none() && c.unix.is_none() {
        if c.host.is_none() {
            c.host = var("MQRR_HOST")?;
        }
        if c.port.is_none() {
            if let Some(p) = var("MQRR_PORT")? {
                c.port = Some(
                    p.parse::<u16>()
                        .map_err(|_| usage(format!("MQRR_PORT {p:?}: not a port number")))?,
                );
            }
        }
    }
    // Credentials: a user name in the command line's URL counts as given
    // on the command line (it comes with its password, as a pair).
    let url_user = cli_url.as_ref().is_some_and(|u| u.username.is_some());
    let url_pass = cli_url.as_ref().is_some_and(|u| u.password.is_some());
    if c.username.is_none() && !url_user {
        c.username = var("MQRR_USERNAME")?;
    }
    let cli_pass = c.password.is_some() || c.password_file.is_some();
    if !(cli_pass || url_pass && c.username.is_none()) {
        c.password = var("MQRR_PASSWORD")?;
    }
    Ok(())
}

impl ConnectionSettings {
    /// The command line's connection group with the environment under it
    /// (`apply_env`), checked.
    pub fn new(c: &Connection) -> Result<Self> {
        let mut c = c.clone();
        apply_env(&mut c, |name| std::env::var_os(name))?;
        ConnectionSettings::from_args(&c)
    }

    /// Checks a connection group whose lower levels (environment, files)
    /// were already filled in (`apply_env`).
    pub fn from_args(c: &Connection) -> Result<Self> {
        unsupported(c)?;
        if let Some(v) = &c.tls_version {
            if v != "tlsv1.2" {
                return Err(usage(format!(
                    "--tls-version {v} is not supported: Paho C cannot pin a TLS version \
                     (OpenSSL negotiates TLS 1.2 or later; use tlsv1.2)"
                )));
            }
        }
        let psk = match (&c.psk, &c.psk_identity) {
            (Some(key), Some(identity)) => Some((identity.clone(), parse_psk(key)?)),
            _ => None,
        };
        let mut tls = TlsSettings {
            cafile: c.cafile.clone(),
            capath: c.capath.clone(),
            cert: c.cert.clone(),
            key: c.key.clone(),
            ciphers: c.ciphers.clone(),
            alpn: c.tls_alpn.clone(),
            psk,
            insecure: c.insecure,
        };
        let tls_asked = tls.cafile.is_some()
            || tls.capath.is_some()
            || tls.cert.is_some()
            || c.tls_version.is_some()
            || tls.alpn.is_some()
            || tls.ciphers.is_some()
            || tls.psk.is_some()
            || c.tls_use_os_certs;
        for (option, path) in [
            ("--cafile", &tls.cafile),
            ("--cert", &tls.cert),
            ("--key", &tls.key),
        ] {
            if let Some(p) = path {
                check_readable(option, p)?;
            }
        }
        if let Some(dir) = &tls.capath {
            if !dir.is_dir() {
                return Err(usage(format!(
                    "--capath {}: not a directory",
                    dir.display()
                )));
            }
        }

        let mut username = c.username.clone();
        let mut password = c.password.clone().map(String::into_bytes);
        let (uri, display, tls_on) = if let Some(url) = &c.url {
            let u = parse_url(url)?;
            // The URL's credentials come as a pair: a -u (or MQRR_USERNAME)
            // replaces both, so user and password never come from two places.
            if username.is_none() && u.username.is_some() {
                username = u.username;
                password = password.or(u.password);
            }
            let tls_on = u.tls || tls_asked;
            if tls_on && !u.tls {
                return Err(usage(format!(
                    "--url {}: TLS options need an mqtts:// or wss:// URL",
                    u.display
                )));
            }
            (u.uri, u.display, tls_on)
        } else if let Some(path) = &c.unix {
            if tls_asked {
                return Err(usage("--unix: TLS options do not apply to a unix socket"));
            }
            let p = path.display().to_string();
            (format!("unix://{p}"), p, false)
        } else {
            let host = c.host.clone().unwrap_or_else(|| "localhost".into());
            if host.is_empty() {
                return Err(usage("--host: empty host name"));
            }
            let port = c.port.unwrap_or(if tls_asked { 8883 } else { 1883 });
            if port == 0 {
                return Err(usage("--port: 0 is not a port"));
            }
            let scheme = if tls_asked { "ssl" } else { "tcp" };
            let bracketed = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host
            };
            let display = format!("{bracketed}:{port}");
            (format!("{scheme}://{display}"), display, tls_asked)
        };
        if !tls_on {
            tls.insecure = false;
        }

        if let Some(path) = &c.password_file {
            password = Some(read_password_file(path)?);
        }
        if password.is_some() && username.is_none() {
            return Err(usage("a password needs a user name (-u)"));
        }
        if password.as_ref().is_some_and(|p| p.len() > 65535) {
            return Err(usage("password longer than 65535 bytes"));
        }
        if let Some(u) = &username {
            check_mqtt_string("user name", u)?;
        }

        let client_id = match (&c.id, &c.id_prefix) {
            (Some(id), _) => id.clone(),
            (None, prefix) => format!(
                "{}{:012x}",
                prefix.as_deref().unwrap_or("mqrr-"),
                random_u64() & 0xffff_ffff_ffff
            ),
        };
        check_mqtt_string("--id", &client_id)?;

        let mut properties = ByPacket::default();
        for spec in group_properties(&c.property) {
            let (packet, p) = parse_spec(spec).map_err(usage)?;
            properties.add(packet, p);
        }
        let will = match &c.will_topic {
            None => None,
            Some(topic) => {
                check_topic("--will-topic", topic)?;
                Some(Will {
                    topic: topic.clone(),
                    payload: c.will_payload.clone().unwrap_or_default().into_bytes(),
                    qos: c.will_qos.unwrap_or(0),
                    retain: c.will_retain,
                    properties: properties.will.clone(),
                })
            }
        };
        if will.is_none() && !properties.will.is_empty() {
            return Err(usage("-D will needs a Last Will (--will-topic)"));
        }
        if c.disable_clean_session && c.id.is_none() {
            return Err(usage(
                "-c keeps a session for a client id: give one with -i",
            ));
        }
        // -D and -x exist only in MQTT 5: they imply it (no 3.1.1 fallback).
        let needs_v5 = if !properties.is_empty() {
            Some("-D")
        } else if c.session_expiry.is_some() {
            Some("-x")
        } else {
            None
        };
        let protocol = match (c.protocol, needs_v5) {
            (Protocol::V311 | Protocol::V31, Some(option)) => {
                return Err(usage(format!(
                    "{option} needs MQTT 5, but -V 311 was given"
                )));
            }
            (Protocol::Auto, Some(_)) => Protocol::V5,
            (p, _) => p,
        };
        // mosquitto's default: a persistent session (-c) never expires.
        let session_expiry = c
            .session_expiry
            .or((c.disable_clean_session && protocol.has_properties()).then_some(u32::MAX));

        Ok(ConnectionSettings {
            uri,
            display,
            username,
            password,
            client_id,
            keepalive: Duration::from_secs(u64::from(c.keepalive)),
            protocol,
            tls: tls_on.then_some(tls),
            properties,
            will,
            clean: !c.disable_clean_session,
            session_expiry,
            debug: c.debug,
            quiet: c.quiet,
        })
    }
}

/// Splits the values of every `-D` back into one group each: clap hands
/// them over as one list. A group is CMD NAME VALUE, or CMD user-property
/// KEY VALUE.
fn group_properties(values: &[String]) -> Vec<&[String]> {
    let mut groups = Vec::new();
    let mut rest = values;
    while !rest.is_empty() {
        let len = if rest.get(1).map(String::as_str) == Some("user-property") {
            4
        } else {
            3
        };
        let (group, tail) = rest.split_at(len.min(rest.len()));
        groups.push(group);
        rest = tail;
    }
    groups
}

/// Options mosquitto's clients have that Paho C cannot serve: exit 2
/// naming the option and why (spec §2), before anything else.
fn unsupported(c: &Connection) -> Result<()> {
    let no = |option: &str, why: &str| Err(usage(format!("{option} is not supported ({why})")));
    if c.bind_address.is_some() {
        return no("-A", "Paho C cannot bind to a local address");
    }
    if c.proxy.is_some() {
        return no("--proxy", "Paho C has no SOCKS proxy support");
    }
    if c.keyform.as_deref().is_some_and(|f| f != "pem") {
        return no(
            "--keyform engine",
            "Paho C has no OpenSSL engines; pem is the only form",
        );
    }
    if c.tls_engine.is_some() {
        return no("--tls-engine", "Paho C has no OpenSSL engines");
    }
    if c.tls_engine_kpass_sha1.is_some() {
        return no("--tls-engine-kpass-sha1", "Paho C has no OpenSSL engines");
    }
    Ok(())
}

/// A TLS-PSK key: hex digits, as mosquitto takes it.
fn parse_psk(hex: &str) -> Result<Vec<u8>> {
    let bad = || usage("--psk: expected the key as hex digits");
    if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 512 {
        return Err(bad());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// An MQTT UTF-8 string (MQTT 5 §1.5.4): at most 65535 bytes, no NUL.
fn check_mqtt_string(what: &str, s: &str) -> Result<()> {
    if s.len() > 65535 {
        return Err(usage(format!("{what}: longer than 65535 bytes")));
    }
    if s.contains('\0') {
        return Err(usage(format!("{what}: NUL character")));
    }
    Ok(())
}

/// The first line of the file, byte for byte (a password is binary data).
/// Reads no more than the longest password and its line end, so that
/// `--password-file /dev/zero` ends at once (issue #19).
fn read_password_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(65_535 + 2).read_to_end(&mut bytes))
        .map_err(|e| usage(format!("--password-file {}: {e}", path.display())))?;
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(line.strip_suffix(b"\r").unwrap_or(line).to_vec())
}

struct ParsedUrl {
    uri: String,
    display: String,
    tls: bool,
    username: Option<String>,
    password: Option<Vec<u8>>,
}

/// `mqtt[s]://[user[:pass]@]host[:port]`, `ws[s]://…/path`, `unix:///path`.
fn parse_url(url: &str) -> Result<ParsedUrl> {
    let bad = |why: &str| {
        usage(format!(
            "--url: {why} (e.g. mqtt://host:1883, mqtts://host, ws://host/mqtt, unix:///run/mosquitto.sock)"
        ))
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "unix" {
        if rest.is_empty() {
            return Err(bad("no socket path"));
        }
        return Ok(ParsedUrl {
            uri: format!("unix://{rest}"),
            display: rest.to_string(),
            tls: false,
            username: None,
            password: None,
        });
    }
    let (paho_scheme, default_port, tls) = match scheme.as_str() {
        "mqtt" | "tcp" => ("tcp", 1883, false),
        "mqtts" | "ssl" => ("ssl", 8883, true),
        "ws" => ("ws", 80, false),
        "wss" => ("wss", 443, true),
        _ => return Err(bad("unknown scheme")),
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    if !path.is_empty() && path != "/" && !scheme.starts_with("ws") {
        return Err(bad("a path is only allowed for ws:// and wss://"));
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    // RFC 3986 §3.2.1 userinfo, percent-decoded: any password byte can be
    // written (`p%40ss` is `p@ss`); the user name must be UTF-8 (MQTT).
    let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
    let (username, password) = match userinfo {
        None => (None, None),
        Some(u) => {
            let (user, pass) = match u.split_once(':') {
                Some((user, pass)) => (user, Some(decode(pass))),
                None => (u, None),
            };
            let user = String::from_utf8(decode(user))
                .map_err(|_| bad("the user name is not UTF-8 once percent-decoded"))?;
            (Some(user), pass)
        }
    };
    let (host, port) = split_host_port(hostport).ok_or_else(|| bad("bad host or port"))?;
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let port = port.unwrap_or(default_port);
    let display = format!("{host}:{port}");
    let path = if scheme.starts_with("ws") { path } else { "" };
    Ok(ParsedUrl {
        uri: format!("{paho_scheme}://{display}{path}"),
        display,
        tls,
        username,
        password,
    })
}

/// Splits `host`, `host:port`, `[v6]`, `[v6]:port`; the host keeps its brackets.
fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']')?;
        let (h, rest) = s.split_at(end + 1);
        match rest {
            "" => (h, None),
            r => (h, Some(r.strip_prefix(':')?)),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => Some(p.parse::<u16>().ok().filter(|&p| p != 0)?),
    };
    Some((host, port))
}

/// A topic to publish on: no wildcards, not empty.
pub fn check_topic(option: &str, topic: &str) -> Result<()> {
    if topic.is_empty() {
        return Err(usage(format!("{option}: empty topic")));
    }
    if topic.contains(['+', '#']) {
        return Err(usage(format!(
            "{option} {topic}: wildcards are not allowed in a topic to publish on"
        )));
    }
    check_topic_chars(option, topic)
}

/// A subscription filter: `+` and `#` only as whole levels, `#` last.
pub fn check_filter(option: &str, filter: &str) -> Result<()> {
    if filter.is_empty() {
        return Err(usage(format!("{option}: empty topic filter")));
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        let ok = match *level {
            "#" => i == levels.len() - 1,
            "+" => true,
            l => !l.contains(['+', '#']),
        };
        if !ok {
            return Err(usage(format!(
                "{option} {filter}: '+' and '#' must fill a whole level, '#' only the last"
            )));
        }
    }
    check_topic_chars(option, filter)
}

fn check_topic_chars(option: &str, topic: &str) -> Result<()> {
    if topic.contains('\0') {
        return Err(usage(format!("{option}: NUL character in topic")));
    }
    if topic.len() > 65535 {
        return Err(usage(format!("{option}: topic longer than 65535 bytes")));
    }
    Ok(())
}

pub fn has_wildcard(filter: &str) -> bool {
    filter.contains(['+', '#'])
}

/// How responses are printed.
#[derive(Debug, Clone, Default)]
pub struct OutputStyle {
    pub verbose: bool,
    pub newline: bool,
    /// `-F`: parsed once (spec §9); takes precedence over `verbose`.
    pub format: Option<Template>,
    /// `--pretty`: `%j`/`%J` laid out over several lines.
    pub pretty: bool,
}

impl OutputStyle {
    /// `-v`, `-N`, `-F`, `--pretty` as typed; an unknown specifier in the
    /// format is a usage error naming it (exit 2, before connecting).
    pub fn from_args(
        verbose: bool,
        no_newline: bool,
        format: Option<&str>,
        pretty: bool,
    ) -> Result<Self> {
        let format = format
            .map(|f| Template::parse(f).map_err(|e| usage(format!("-F: {e}"))))
            .transpose()?;
        Ok(OutputStyle {
            verbose,
            newline: !no_newline,
            format,
            pretty,
        })
    }
}

/// The extraction steps `-j`, `-r`, `-f` with `-d` (spec §3), checked:
/// a bad pointer, regex or field list is a usage error naming the option.
pub fn extractor(x: &Extraction) -> Result<Extractor> {
    let delimiter = &x.delimiter;
    Ok(Extractor {
        json: x
            .json
            .as_deref()
            .map(JsonPointer::parse)
            .transpose()
            .map_err(|e| usage(format!("-j: {e}")))?,
        regex: x
            .regex
            .as_deref()
            .map(|re| {
                Regex::new(re).map_err(|e| usage(format!("-r: {}", one_line(&e.to_string()))))
            })
            .transpose()?,
        fields: match &x.fields {
            None => None,
            Some(list) => {
                if delimiter.is_empty() {
                    return Err(usage("-d: empty delimiter"));
                }
                let list = FieldList::parse(list).map_err(|e| usage(format!("-f: {e}")))?;
                Some((list, delimiter.as_bytes().to_vec()))
            }
        },
    })
}

/// The request mode, checked.
#[derive(Debug, Clone)]
pub struct RequestSettings {
    pub topic: String,
    pub filter: String,
    pub payload: Payload,
    pub qos: u8,
    pub subscribe_qos: u8,
    /// `--retain`: publish the request retained.
    pub retain: bool,
    /// `None`: wait forever.
    pub timeout: Option<Duration>,
    pub resend: Option<Duration>,
    /// 0: collect until the deadline.
    pub count: u32,
    pub retained: bool,
    pub correlation: Correlation,
    pub user_properties: Vec<(String, String)>,
    pub extractor: Extractor,
    pub output: OutputStyle,
    /// Only payloads starting with this are responses (the c8y preset's `71,`).
    pub prefix: Option<Vec<u8>>,
}

impl RequestSettings {
    /// Checks what needs both groups of options.
    pub fn check_against(&self, conn: &ConnectionSettings) -> Result<()> {
        if !conn.protocol.has_properties() && self.correlation == Correlation::Strict {
            return Err(usage(
                "--correlation strict needs MQTT 5, but -V 311 was given",
            ));
        }
        Ok(())
    }

    pub fn from_args(r: &RequestArgs) -> Result<Self> {
        let topic = r.topic.clone().unwrap_or_default();
        let filter = r.response_topic.clone().unwrap_or_default();
        check_topic("-t", &topic)?;
        check_filter("-e", &filter)?;

        let payload = if let Some(m) = &r.message {
            Payload::Bytes(m.clone().into_bytes())
        } else if let Some(path) = &r.file {
            Payload::file("--file", path)?
        } else if r.stdin {
            Payload::Stdin
        } else {
            Payload::Bytes(Vec::new())
        };
        if let Payload::Bytes(b) = &payload {
            check_payload_size(b.len())?;
        }

        let extractor = extractor(&r.extraction)?;

        Ok(RequestSettings {
            topic,
            filter,
            payload,
            qos: r.qos,
            subscribe_qos: r.qos,
            retain: r.retain,
            timeout: (!r.timeout.is_zero()).then_some(r.timeout),
            resend: r.resend,
            count: r.count,
            retained: r.retained,
            correlation: r.correlation,
            user_properties: r.user_property.clone(),
            extractor,
            output: OutputStyle::from_args(
                r.verbose,
                r.no_newline,
                r.printing.format.as_deref(),
                r.printing.pretty,
            )?,
            prefix: None,
        })
    }
}

/// Where a payload comes from.
#[derive(Debug, Clone)]
pub enum Payload {
    Bytes(Vec<u8>),
    /// `-s`: all of stdin, read under the deadline.
    Stdin,
    /// A file that is not a regular file (a FIFO, a device): read under
    /// the deadline, since opening or reading it may block.
    File(PathBuf),
}

impl Payload {
    /// A payload file named by `option`: a regular file is read now (that
    /// cannot block); anything else is read at run time, under the deadline.
    /// A missing or unreadable file is a usage error.
    pub fn file(option: &str, path: &Path) -> Result<Payload> {
        let bad = |e: std::io::Error| usage(format!("{option} {}: {e}", path.display()));
        let meta = std::fs::metadata(path).map_err(bad)?;
        if meta.is_dir() {
            return Err(usage(format!(
                "{option} {}: is a directory",
                path.display()
            )));
        }
        if !meta.is_file() {
            return Ok(Payload::File(path.to_path_buf()));
        }
        check_payload_size(usize::try_from(meta.len()).unwrap_or(usize::MAX))?;
        let bytes = std::fs::read(path).map_err(bad)?;
        check_payload_size(bytes.len())?;
        Ok(Payload::Bytes(bytes))
    }
}

/// MQTT's limit for a whole packet is 256 MiB; the payload can come close.
pub const MAX_PAYLOAD: usize = 268_435_455;

pub fn check_payload_size(len: usize) -> Result<()> {
    if len > MAX_PAYLOAD {
        return Err(usage("payload larger than MQTT's 256 MiB limit"));
    }
    Ok(())
}

/// regex errors span several lines with a caret diagram; keep the last line.
fn one_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("mqtts://bob:s3cret@broker.example:8884").unwrap();
        assert_eq!(u.uri, "ssl://broker.example:8884");
        assert_eq!(u.display, "broker.example:8884");
        assert!(u.tls);
        assert_eq!(u.username.as_deref(), Some("bob"));
        assert_eq!(u.password.as_deref(), Some(&b"s3cret"[..]));
        assert_eq!(parse_url("mqtt://h").unwrap().uri, "tcp://h:1883");
        assert_eq!(parse_url("ws://h/mqtt").unwrap().uri, "ws://h:80/mqtt");
        assert_eq!(parse_url("wss://h:9001/").unwrap().uri, "wss://h:9001/");
        assert_eq!(
            parse_url("mqtt://[::1]:1884").unwrap().uri,
            "tcp://[::1]:1884"
        );
        assert_eq!(
            parse_url("unix:///run/m.sock").unwrap().uri,
            "unix:///run/m.sock"
        );
        for bad in [
            "h:1883",
            "http://h",
            "mqtt://",
            "mqtt://h:x",
            "mqtt://h:0",
            "mqtt://h/path",
            "unix://",
        ] {
            assert!(parse_url(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn url_credentials_come_as_a_pair() {
        let with = |username: Option<&str>| {
            let c = Connection {
                url: Some("mqtt://bob:s3cret@h".into()),
                username: username.map(String::from),
                ..Default::default()
            };
            let s = ConnectionSettings::from_args(&c).unwrap();
            (s.username, s.password)
        };
        assert_eq!(with(None), (Some("bob".into()), Some("s3cret".into())));
        // -u replaces both: no password from the URL for another user.
        assert_eq!(with(Some("alice")), (Some("alice".into()), None));
    }

    #[test]
    fn topics_and_filters() {
        assert!(check_topic("-t", "a/b").is_ok());
        assert!(check_topic("-t", "").is_err());
        assert!(check_topic("-t", "a/+").is_err());
        assert!(check_topic("-t", "a/#").is_err());
        assert!(check_filter("-e", "a/+/c").is_ok());
        assert!(check_filter("-e", "#").is_ok());
        assert!(check_filter("-e", "a/#/c").is_err());
        assert!(check_filter("-e", "a/b+").is_err());
        assert!(check_filter("-e", "").is_err());
    }

    #[test]
    fn regex_errors_fit_on_one_line() {
        let r = RequestArgs {
            topic: Some("a".into()),
            response_topic: Some("b".into()),
            extraction: Extraction {
                regex: Some("(".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let e = RequestSettings::from_args(&r).unwrap_err();
        assert!(!e.to_string().contains('\n'), "{e}");
        assert!(e.to_string().starts_with("-r: "), "{e}");
    }
}
