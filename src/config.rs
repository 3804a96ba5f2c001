//! Parse, then check: turns what the user typed (`cli.rs`) into the settings
//! the program runs on. Every usage error is found here, before any network
//! activity, and becomes `Error::Usage` (exit 2) naming the option or file.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::bytes::Regex;

use crate::cli::{Connection, Correlation, Protocol, RequestArgs};
use crate::error::{Error, Result};
use crate::text::extract::{Extractor, FieldList, JsonPointer};

/// Where and how to connect, checked.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// The URI handed to Paho (`tcp://`, `ssl://`, `ws://`, `wss://`, `unix://`).
    pub uri: String,
    /// What diagnostics call the broker: `host:port` or the socket path.
    pub display: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub client_id: String,
    pub keepalive: Duration,
    pub protocol: Protocol,
    pub tls: Option<TlsSettings>,
    pub debug: bool,
    pub quiet: bool,
}

#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub cafile: Option<PathBuf>,
    pub capath: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub version: Option<String>,
    pub alpn: Option<String>,
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
    std::fs::File::open(path)
        .map(drop)
        .map_err(|e| usage(format!("{option} {}: {e}", path.display())))
}

impl ConnectionSettings {
    pub fn from_args(c: &Connection) -> Result<Self> {
        let mut tls = TlsSettings {
            cafile: c.cafile.clone(),
            capath: c.capath.clone(),
            cert: c.cert.clone(),
            key: c.key.clone(),
            version: c.tls_version.clone(),
            alpn: c.tls_alpn.clone(),
            insecure: c.insecure,
        };
        let tls_asked = tls.cafile.is_some()
            || tls.capath.is_some()
            || tls.cert.is_some()
            || tls.version.is_some()
            || tls.alpn.is_some();
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
        let mut password = c.password.clone();
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

        let client_id = match (&c.id, &c.id_prefix) {
            (Some(id), _) => id.clone(),
            (None, prefix) => format!(
                "{}{:012x}",
                prefix.as_deref().unwrap_or("mqrr-"),
                random_u64() & 0xffff_ffff_ffff
            ),
        };
        if client_id.len() > 65535 {
            return Err(usage("--id: client id too long"));
        }

        Ok(ConnectionSettings {
            uri,
            display,
            username,
            password,
            client_id,
            keepalive: Duration::from_secs(u64::from(c.keepalive)),
            protocol: c.protocol,
            tls: tls_on.then_some(tls),
            debug: c.debug,
            quiet: c.quiet,
        })
    }
}

fn read_password_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("--password-file {}: {e}", path.display())))?;
    let line = text.lines().next().unwrap_or("");
    Ok(line.trim_end_matches('\r').to_string())
}

struct ParsedUrl {
    uri: String,
    display: String,
    tls: bool,
    username: Option<String>,
    password: Option<String>,
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
    let (username, password) = match userinfo {
        None => (None, None),
        Some(u) => match u.split_once(':') {
            Some((user, pass)) => (Some(user.to_string()), Some(pass.to_string())),
            None => (Some(u.to_string()), None),
        },
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
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputStyle {
    pub verbose: bool,
    pub newline: bool,
}

/// The request mode, checked.
#[derive(Debug, Clone)]
pub struct RequestSettings {
    pub topic: String,
    pub filter: String,
    pub payload: Vec<u8>,
    /// `-s`: the payload is stdin, read under the deadline.
    pub payload_from_stdin: bool,
    pub qos: i32,
    pub subscribe_qos: i32,
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
        if conn.protocol == Protocol::V311 && self.correlation == Correlation::Strict {
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
            m.clone().into_bytes()
        } else if let Some(path) = &r.file {
            std::fs::read(path).map_err(|e| usage(format!("--file {}: {e}", path.display())))?
        } else {
            // Empty, or stdin: read under the deadline by `request::run`.
            Vec::new()
        };
        check_payload_size(payload.len())?;

        let extractor = Extractor {
            json: r
                .json
                .as_deref()
                .map(JsonPointer::parse)
                .transpose()
                .map_err(|e| usage(format!("-j: {e}")))?,
            regex: r
                .regex
                .as_deref()
                .map(|re| {
                    Regex::new(re).map_err(|e| usage(format!("-r: {}", one_line(&e.to_string()))))
                })
                .transpose()?,
            fields: match &r.fields {
                None => None,
                Some(list) => {
                    if r.delimiter.is_empty() {
                        return Err(usage("-d: empty delimiter"));
                    }
                    let list = FieldList::parse(list).map_err(|e| usage(format!("-f: {e}")))?;
                    Some((list, r.delimiter.clone().into_bytes()))
                }
            },
        };

        Ok(RequestSettings {
            topic,
            filter,
            payload,
            payload_from_stdin: r.stdin,
            qos: i32::from(r.qos),
            subscribe_qos: i32::from(r.qos),
            timeout: (!r.timeout.is_zero()).then_some(r.timeout),
            resend: r.resend,
            count: r.count,
            retained: r.retained,
            correlation: r.correlation,
            user_properties: r.user_property.clone(),
            extractor,
            output: OutputStyle {
                verbose: r.verbose,
                newline: !r.no_newline,
            },
            prefix: None,
        })
    }
}

/// MQTT's limit for a whole packet is 256 MiB; the payload can come close.
pub fn check_payload_size(len: usize) -> Result<()> {
    if len > 268_435_455 {
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
        assert_eq!(u.password.as_deref(), Some("s3cret"));
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
            regex: Some("(".into()),
            ..Default::default()
        };
        let e = RequestSettings::from_args(&r).unwrap_err();
        assert!(!e.to_string().contains('\n'), "{e}");
        assert!(e.to_string().starts_with("-r: "), "{e}");
    }
}
