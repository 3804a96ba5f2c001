//! From checked connection settings to a connected `Session`: the URI,
//! TLS, credentials, the protocol version and its fallback (`-V auto`), and
//! every way connecting can fail, in mqrr's words and exit statuses.

use std::time::Duration;

use tokio::time::Instant;

use super::paho::{self, Client, ConnectOptions, Events, Failed, Tap};
use super::properties::{Property, id};
use super::reason;
use super::session::{Limits, Session, finish, trace};
use crate::cli::Protocol;
use crate::config::ConnectionSettings;
use crate::error::{Error, Result};

pub use super::session::STARTED;

/// Paho's protocol numbers.
const V31: i32 = 3;
const V311: i32 = 4;
const V5: i32 = 5;

/// Paho counts the CONNACK wait in whole seconds and has no "forever": 0
/// would time out at once. With `-W 0` this is its wait: ~23 days, as long
/// as `seconds * 1000` still fits Paho's `int` arithmetic.
const NO_DEADLINE_S: i32 = 2_000_000;

/// With `-V auto`, how long the MQTT 5 CONNACK may take before 3.1.1 is
/// tried (at most half of what is left of `-W`).
const V5_PATIENCE: Duration = Duration::from_secs(3);

/// Connects before `deadline` (None: no deadline, connecting included),
/// trying MQTT 5 first and 3.1.1 once when `-V auto` and the broker
/// refuses the protocol version.
pub async fn connect(settings: &ConnectionSettings, deadline: Option<Instant>) -> Result<Session> {
    connect_tapped(settings, deadline, None).await
}

/// As `connect`; every message received goes to `tap` on Paho's receive
/// thread, never to `Session::next` (see `paho::Tap`).
pub async fn connect_tapped(
    settings: &ConnectionSettings,
    deadline: Option<Instant>,
    tap: Option<Tap>,
) -> Result<Session> {
    let debug = settings.debug;
    let trace = |msg: String| {
        if debug {
            trace(&msg);
        }
    };
    let create = |tap: Option<Tap>| {
        Client::create(
            &settings.uri,
            &settings.client_id,
            tap,
            &settings.properties.disconnect,
        )
        .map_err(|f| Error::Usage(format!("{}: {}", settings.display, f.paho_text())))
    };
    let (mut client, mut events) = create(tap)?;

    let first = match settings.protocol {
        Protocol::V31 => V31,
        Protocol::V311 => V311,
        Protocol::V5 | Protocol::Auto => V5,
    };
    let mut options = connect_options(settings, first);
    trace(format!(
        "connecting to {} as {} (MQTT {}, keepalive {}s{})",
        settings.display,
        settings.client_id,
        version_name(first),
        settings.keepalive.as_secs(),
        if settings.tls.is_some() { ", TLS" } else { "" }
    ));
    let auto = settings.protocol == Protocol::Auto;
    // Some 3.1.1-only brokers never answer an MQTT 5 CONNECT (amqtt with a
    // password, issue #18): with -V auto the MQTT 5 attempt gets a bounded
    // share of the time before 3.1.1 is tried.
    let now = Instant::now();
    let v5_deadline = match deadline {
        _ if !auto => deadline,
        Some(d) => Some(now + (d.saturating_duration_since(now) / 2).min(V5_PATIENCE)),
        None => Some(now + V5_PATIENCE),
    };
    let mut result = attempt(&client, &options, v5_deadline).await;
    let gave_up = ran_out(&result) && v5_deadline != deadline;
    if auto && (gave_up || matches!(&result, Err(Some(f)) if refuses_version(f))) {
        let why = match &result {
            Err(Some(f)) if !gave_up => describe_failure(f),
            _ => "no CONNACK in time".to_string(),
        };
        trace(format!(
            "{} refused MQTT 5 ({why}); reconnecting with MQTT 3.1.1",
            settings.display
        ));
        // A fresh client: the refused one may still be closing its socket
        // (a reused handle failed 3 connects in 100 on rumqttd, issue #18).
        let tap = client.take_tap();
        options = connect_options(settings, V311);
        result = match start_apart(settings, tap, &options, deadline).await? {
            Some((c, e, completion)) => {
                (client, events) = (c, e);
                match completion {
                    Ok(completion) => finish_attempt(completion, deadline).await,
                    Err(f) => Err(Some(f)),
                }
            }
            None => Err(None),
        };
    }
    let done = match result {
        Ok(done) => done,
        Err(None) => {
            return Err(Error::Timeout(format!(
                "no connection to {} within the deadline",
                settings.display
            )));
        }
        Err(Some(f)) => {
            trace(format!("connect failed: {}", describe_failure(&f)));
            return Err(connect_error(&f, settings));
        }
    };
    let version = if [V31, V311, V5].contains(&done.mqtt_version) {
        done.mqtt_version
    } else {
        options.version
    };
    options.version = version;
    let limits = if version == V5 {
        Limits::from_connack(&done.properties, done.session_present)
    } else {
        Limits {
            session_present: done.session_present,
            ..Limits::default()
        }
    };
    trace(format!(
        "CONNACK: connected with MQTT {}{}",
        version_name(version),
        announced(&limits)
    ));
    Ok(Session::new(
        client,
        events,
        options,
        limits,
        settings.display.clone(),
        debug,
        settings.properties.clone(),
    ))
}

/// What a CONNACK announced that differs from MQTT's defaults, for `--debug`.
fn announced(l: &Limits) -> String {
    let d = Limits::default();
    let mut parts = Vec::new();
    if l.max_qos != d.max_qos {
        parts.push(format!("Maximum QoS {}", l.max_qos));
    }
    if !l.retain {
        parts.push("no retain".into());
    }
    if !l.wildcards {
        parts.push("no wildcard subscriptions".into());
    }
    if !l.shared {
        parts.push("no shared subscriptions".into());
    }
    if let Some(n) = l.max_packet {
        parts.push(format!("Maximum Packet Size {n}"));
    }
    if l.receive_maximum != d.receive_maximum {
        parts.push(format!("Receive Maximum {}", l.receive_maximum));
    }
    if let Some(k) = l.keepalive {
        parts.push(format!("Server Keep Alive {k}s"));
    }
    if l.session_present {
        parts.push("session present".into());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

impl Session {
    /// One connect attempt with the options this session settled on (its
    /// protocol version included): `serve` reconnects with it. The limits
    /// are read again from the new CONNACK.
    pub async fn reconnect(&mut self, bound: Duration) -> std::result::Result<(), String> {
        match attempt(&self.client, &self.connect, Some(Instant::now() + bound)).await {
            Ok(done) => {
                if self.v5 {
                    self.limits = Limits::from_connack(&done.properties, done.session_present);
                }
                Ok(())
            }
            Err(None) => Err("no CONNACK in time".into()),
            Err(Some(f)) => Err(describe_failure(&f)),
        }
    }
}

fn version_name(v: i32) -> &'static str {
    match v {
        V5 => "5",
        V31 => "3.1",
        _ => "3.1.1",
    }
}

/// Paho's CONNECT options for these settings and protocol version.
fn connect_options(s: &ConnectionSettings, version: i32) -> ConnectOptions {
    let mut properties = Vec::new();
    if version == V5 {
        if let Some(e) = s.session_expiry {
            properties.push(Property::int(id::SESSION_EXPIRY_INTERVAL, e));
        }
        properties.extend(s.properties.connect.iter().cloned());
    }
    ConnectOptions {
        version,
        keepalive_s: u16::try_from(s.keepalive.as_secs()).unwrap_or(u16::MAX),
        clean: s.clean,
        username: s.username.clone(),
        password: s.password.clone(),
        timeout_s: NO_DEADLINE_S,
        tls: s.tls.as_ref().map(|t| paho::Tls {
            trust_store: t.cafile.as_ref().map(|p| p.display().to_string()),
            ca_path: t.capath.as_ref().map(|p| p.display().to_string()),
            key_store: t.cert.as_ref().map(|p| p.display().to_string()),
            private_key: t.key.as_ref().map(|p| p.display().to_string()),
            // With PSK and no list of its own, OpenSSL must be allowed the
            // PSK suites, which its default list leaves out.
            ciphers: t
                .ciphers
                .clone()
                .or_else(|| t.psk.as_ref().map(|_| "PSK".to_string())),
            psk: t.psk.clone(),
            // Paho's default checks the chain but not the host name;
            // --insecure turns off both, nothing turns off only one.
            verify: !t.insecure,
            alpn: t.alpn.iter().cloned().collect(),
        }),
        will: s.will.clone(),
        properties,
        http_proxy: None,
    }
}

/// One CONNECT: `Err(None)` when the deadline passed first.
async fn attempt(
    client: &Client,
    options: &ConnectOptions,
    deadline: Option<Instant>,
) -> std::result::Result<paho::Done, Option<Failed>> {
    let completion = client
        .connect(&paho_timeout(options, deadline))
        .map_err(Some)?;
    finish_attempt(completion, deadline).await
}

/// `options` with Paho's connect timeout set from `deadline`: Paho counts
/// whole seconds; the tokio deadline mqrr waits with is exact.
fn paho_timeout(options: &ConnectOptions, deadline: Option<Instant>) -> ConnectOptions {
    let mut options = options.clone();
    if let Some(d) = deadline {
        let left = d.saturating_duration_since(Instant::now()).as_secs() + 1;
        options.timeout_s = i32::try_from(left)
            .unwrap_or(NO_DEADLINE_S)
            .min(NO_DEADLINE_S);
    }
    options
}

async fn finish_attempt(
    completion: paho::Completion,
    deadline: Option<Instant>,
) -> std::result::Result<paho::Done, Option<Failed>> {
    match finish(completion, deadline).await {
        None => Err(None),
        Some(r) => r.map_err(Some),
    }
}

/// A client and its CONNECT started, as for the 3.1.1 attempt of `-V
/// auto`: on a thread of their own, waited for until `deadline` (`None`
/// when it passed first). The MQTT 5 attempt's Paho threads may still
/// hold Paho's global lock in a blocking call (a DNS lookup, OpenSSL
/// opening a `--cafile` that is a FIFO), and every Paho call waits for
/// that lock: made here, `-W` would wait too. A thread left blocked
/// never delays the exit (a tokio blocking task would: dropping the
/// runtime waits for those).
async fn start_apart(
    settings: &ConnectionSettings,
    tap: Option<Tap>,
    options: &ConnectOptions,
    deadline: Option<Instant>,
) -> Result<
    Option<(
        Client,
        Events,
        std::result::Result<paho::Completion, Failed>,
    )>,
> {
    let (uri, id) = (settings.uri.clone(), settings.client_id.clone());
    let disconnect = settings.properties.disconnect.clone();
    let options = paho_timeout(options, deadline);
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("mqrr-connect".into())
        .spawn(move || {
            let started = Client::create(&uri, &id, tap, &disconnect).map(|(client, events)| {
                let completion = client.connect(&options);
                (client, events, completion)
            });
            let _ = tx.send(started);
        })
        .map_err(|e| Error::Runtime(format!("cannot start a thread: {e}")))?;
    let started = match deadline {
        Some(d) => match tokio::time::timeout_at(d, rx).await {
            Ok(r) => r,
            Err(_) => return Ok(None),
        },
        None => rx.await,
    };
    match started {
        Ok(Ok(started)) => Ok(Some(started)),
        Ok(Err(f)) => Err(Error::Usage(format!(
            "{}: {}",
            settings.display,
            f.paho_text()
        ))),
        Err(_) => Err(Error::Runtime(
            "the connecting thread ended without a word".into(),
        )),
    }
}

/// Might the broker have refused MQTT 5? A 3.1.1-only broker answers a v5
/// CONNECT with a 3.1.1 CONNACK, return code 1 (nats-server does), which
/// Paho C reads as an MQTT 5 reason code below 0x80; older brokers just
/// close the socket. A refused TCP connection and a real MQTT 5 refusal are
/// answers, not version trouble; anything else is worth one 3.1.1 attempt,
/// whose error (with its real CONNACK code) is then the one reported.
fn refuses_version(f: &Failed) -> bool {
    match f.reason {
        Some(0x84) => true,
        Some(r) if r >= 0x80 => false,
        Some(_) => true,
        None => !is_tcp_failure(f),
    }
}

/// Whether an attempt ended for want of time: mqrr's deadline passed
/// (`Err(None)`), or Paho's own connect timeout, set from the same
/// deadline, fired a moment before it. Paho checks that timeout in a loop
/// that runs every 3 s, so now and then it comes first: the bounded MQTT 5
/// attempt of `-V auto` then ended as a "connection refused or
/// unreachable" (exit 3) instead of trying 3.1.1 (amqtt with a password,
/// 1 run in about 300 of `scripts/interop`, issue #18).
fn ran_out(result: &std::result::Result<paho::Done, Option<Failed>>) -> bool {
    match result {
        Err(None) => true,
        Err(Some(f)) => is_connect_timeout(f),
        Ok(_) => false,
    }
}

/// Paho C's "TCP connect timeout": no CONNACK within its connect timeout
/// (the TCP connection may or may not have been made).
fn is_connect_timeout(f: &Failed) -> bool {
    f.reason.is_none()
        && f.message
            .as_deref()
            .is_some_and(|m| m.contains("connect timeout"))
}

fn is_tcp_failure(f: &Failed) -> bool {
    f.message
        .as_deref()
        .is_some_and(|m| m.contains("TCP/TLS connect failure") || m.contains("connect timeout"))
}

/// The CONNECT went out and the connection closed before any CONNACK
/// (Paho C's words for it).
fn closed_before_connack(f: &Failed) -> bool {
    f.message.as_deref() == Some("TCP connect completion failure")
}

fn describe_failure(f: &Failed) -> String {
    match (f.reason, &f.message) {
        (Some(r), _) => reason::describe(r, false, f.reason_string.as_deref()),
        (None, Some(m)) => format!("{m} ({})", f.code),
        (None, None) => f.paho_text(),
    }
}

fn connect_error(f: &Failed, s: &ConnectionSettings) -> Error {
    let at = &s.display;
    if let Some(rc) = f.reason {
        let why = format!(
            "{at} refused the connection: {}",
            reason::describe(rc, false, f.reason_string.as_deref())
        );
        return match rc {
            0x84 => Error::Connect(format!(
                "{at} does not speak MQTT 5 (reason 0x84); try -V 311"
            )),
            // A 3.1.1 CONNACK read as MQTT 5 (see refuses_version).
            1 => Error::Connect(format!(
                "{at} does not speak this MQTT version (CONNACK 1); try -V 311"
            )),
            0x88 | 0x89 | 0x9C | 0x9D => Error::Connect(why),
            _ => Error::Refused(why),
        };
    }
    // MQTT 3.1.1: Paho hands the CONNACK return code over as the code.
    if (1..=5).contains(&f.code) {
        let why = format!(
            "{at} refused the connection: {}",
            reason::connack_v3(f.code)
        );
        return match f.code {
            1 => Error::Connect(format!(
                "{at} does not speak this MQTT version (CONNACK 1); try -V 311"
            )),
            2 | 4 | 5 => Error::Refused(why),
            _ => Error::Connect(why),
        };
    }
    let detail = if is_tcp_failure(f) {
        if s.tls.is_some() {
            "TCP/TLS connect failure (refused, unreachable, or the TLS handshake or certificate check failed)".to_string()
        } else {
            "connection refused or unreachable".to_string()
        }
    } else if closed_before_connack(f) {
        // RabbitMQ and rumqttd answer an MQTT version they do not speak so,
        // rumqttd and moat-mqtt a wrong password (issue #18); with TLS 1.3 a
        // refused client certificate ends the connection only now, too.
        format!(
            "it closed the connection without a CONNACK (brokers do so for {}an MQTT version they do not speak, or a login they refuse)",
            if s.tls.is_some() {
                "a client certificate they refuse, "
            } else {
                ""
            }
        )
    } else if s.tls.is_some() {
        "connection failed (TLS handshake or certificate check?)".to_string()
    } else {
        "connection failed".to_string()
    };
    Error::Connect(format!("cannot connect to {at}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(message: &str) -> Failed {
        Failed {
            code: -1,
            reason: None,
            message: Some(message.to_string()),
            reason_string: None,
        }
    }

    #[test]
    fn paho_connect_timeout_is_running_out_of_time_like_the_deadline() {
        // Either way the bounded MQTT 5 attempt of -V auto gave up, and
        // 3.1.1 is tried; a refused or unreachable TCP connection is an
        // answer, and is not.
        assert!(ran_out(&Err(None)));
        assert!(ran_out(&Err(Some(failed("TCP connect timeout")))));
        assert!(!ran_out(&Err(Some(failed("TCP/TLS connect failure")))));
        assert!(!ran_out(&Err(Some(failed(
            "TCP connect completion failure"
        )))));
        let mut refused = failed("connect timeout");
        refused.reason = Some(0x87);
        assert!(!ran_out(&Err(Some(refused))));
    }
}
