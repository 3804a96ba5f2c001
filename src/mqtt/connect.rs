//! The only file that configures Paho: URI, TLS, credentials, protocol
//! version and its fallback, turned into a connected `Session` or an `Error`.
//!
//! Also owns the two Paho costs a one-shot tool must not pay (issue #6):
//! OpenSSL start-up for plain TCP, and the ~1 s thread join in the client's
//! destructor.

use std::mem::ManuallyDrop;
use std::sync::Once;
use std::time::Duration;

use paho_mqtt as mqtt;
use tokio::time::Instant;

use crate::cli::Protocol;
use crate::config::ConnectionSettings;
use crate::error::{Error, Result};

/// How long the closing DISCONNECT may take once the outcome is known.
const DISCONNECT_BOUND: Duration = Duration::from_millis(250);

/// A connected client and the stream of what happens to it.
pub struct Session {
    /// Never dropped: Paho C's destroy joins its worker threads, which takes
    /// about 1 s (measured: 1.004 s of a 1.006 s run). The process exits
    /// right after the clean DISCONNECT instead.
    client: ManuallyDrop<mqtt::AsyncClient>,
    pub events: mqtt::AsyncReceiver<mqtt::Event>,
    /// True when MQTT 5 was negotiated.
    pub v5: bool,
    /// `host:port` (or socket path) for messages.
    pub display: String,
    debug: bool,
}

impl Session {
    pub fn client(&self) -> &mqtt::AsyncClient {
        &self.client
    }

    pub fn debug(&self, what: impl FnOnce() -> String) {
        if self.debug {
            trace(&what());
        }
    }

    /// Sends DISCONNECT with reason 0 (normal: the broker must not publish a
    /// Will) and waits for Paho to have written it, at most
    /// `DISCONNECT_BOUND` (it takes about 0.1 ms on a healthy connection).
    pub async fn disconnect(&self) {
        if !self.client.is_connected() {
            return;
        }
        self.debug(|| "sending DISCONNECT (reason 0)".into());
        let opts = mqtt::DisconnectOptionsBuilder::new()
            .reason_code(mqtt::ReasonCode::Success)
            .timeout(Duration::ZERO)
            .finalize();
        let done = tokio::time::timeout(DISCONNECT_BOUND, self.client.disconnect(opts)).await;
        self.debug(|| {
            format!(
                "DISCONNECT {}",
                if done.is_ok() {
                    "sent"
                } else {
                    "not confirmed in time"
                }
            )
        });
    }
}

/// When the process started, for the timestamps of `--debug` lines.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// One `--debug` line, stamped with milliseconds since start.
fn trace(msg: &str) {
    let ms = STARTED
        .get()
        .map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
    eprintln!("mqrr: debug: {ms:8.3} ms {}", crate::error::sanitize(msg));
}

static GLOBAL_INIT: Once = Once::new();

/// Tells Paho not to initialise OpenSSL when a client is created. OpenSSL
/// ≥ 1.1 initialises itself on first use, so a plain TCP request never pays
/// for it (measured: 0.7 ms of a ~2 ms round trip).
#[allow(unsafe_code)]
fn global_init() {
    GLOBAL_INIT.call_once(|| {
        let mut opts = paho_mqtt_sys::MQTTAsync_init_options {
            struct_id: [b'M' as _, b'Q' as _, b'T' as _, b'G' as _],
            struct_version: 0,
            do_openssl_init: 0,
        };
        // SAFETY: called once, before any client exists, with a valid,
        // initialised options struct that outlives the call.
        unsafe { paho_mqtt_sys::MQTTAsync_global_init(&mut opts) };
    });
}

/// Connects before `deadline` (None: no deadline), trying MQTT 5 first and
/// 3.1.1 once when `-V auto` and the broker refuses the protocol version.
pub async fn connect(settings: &ConnectionSettings, deadline: Option<Instant>) -> Result<Session> {
    let debug = settings.debug;
    let trace = |msg: String| {
        if debug {
            trace(&msg);
        }
    };
    global_init();

    // ManuallyDrop from the start: even when this future is dropped half
    // way (a signal while connecting), Paho's ~1 s destructor must not run.
    let mut client = ManuallyDrop::new(
        mqtt::CreateOptionsBuilder::new()
            .server_uri(&settings.uri)
            .client_id(&settings.client_id)
            .mqtt_version(mqtt::MQTT_VERSION_5)
            .persistence(None)
            .create_client()
            .map_err(|e| Error::Usage(format!("{}: {e}", settings.display)))?,
    );
    // Must come before connect(), or early events are lost.
    let events = client.get_event_stream(None);

    let first = match settings.protocol {
        Protocol::V311 => mqtt::MQTT_VERSION_3_1_1,
        Protocol::V5 | Protocol::Auto => mqtt::MQTT_VERSION_5,
    };
    trace(format!(
        "connecting to {} as {} (MQTT {}, keepalive {}s{})",
        settings.display,
        settings.client_id,
        version_name(first),
        settings.keepalive.as_secs(),
        if settings.tls.is_some() { ", TLS" } else { "" }
    ));
    let mut result = try_connect(&client, settings, first, deadline).await;
    if settings.protocol == Protocol::Auto && matches!(&result, Err(e) if refuses_version(e)) {
        if let Err(Failure::Paho(e)) = &result {
            trace(format!(
                "{} refused MQTT 5 ({e:?}); reconnecting with MQTT 3.1.1",
                settings.display
            ));
        }
        result = try_connect(&client, settings, mqtt::MQTT_VERSION_3_1_1, deadline).await;
    }
    let version = match result {
        Ok(v) => v,
        Err(e) => {
            if let Failure::Paho(pe) = &e {
                trace(format!("connect failed: {pe:?}"));
            }
            return Err(connect_error(e, settings));
        }
    };
    trace(format!(
        "CONNACK: connected with MQTT {}",
        version_name(version)
    ));
    Ok(Session {
        client,
        events,
        v5: version == mqtt::MQTT_VERSION_5,
        display: settings.display.clone(),
        debug,
    })
}

fn version_name(v: u32) -> &'static str {
    if v == mqtt::MQTT_VERSION_5 {
        "5"
    } else {
        "3.1.1"
    }
}

enum Failure {
    Paho(mqtt::Error),
    Deadline,
}

async fn try_connect(
    client: &mqtt::AsyncClient,
    s: &ConnectionSettings,
    version: u32,
    deadline: Option<Instant>,
) -> std::result::Result<u32, Failure> {
    let mut b = mqtt::ConnectOptionsBuilder::with_mqtt_version(version);
    b.keep_alive_interval(s.keepalive);
    if version == mqtt::MQTT_VERSION_5 {
        b.clean_start(true);
    } else {
        b.clean_session(true);
    }
    if let Some(user) = &s.username {
        b.user_name(user);
    }
    if let Some(pass) = &s.password {
        b.password(pass.as_str());
    }
    if let Some(tls) = &s.tls {
        let mut ssl = mqtt::SslOptionsBuilder::new();
        if let Some(p) = &tls.cafile {
            ssl.trust_store(p).map_err(Failure::Paho)?;
        }
        if let Some(p) = &tls.capath {
            ssl.ca_path(p).map_err(Failure::Paho)?;
        }
        if let Some(p) = &tls.cert {
            ssl.key_store(p).map_err(Failure::Paho)?;
        }
        if let Some(p) = &tls.key {
            ssl.private_key(p).map_err(Failure::Paho)?;
        }
        if let Some(v) = &tls.version {
            ssl.ssl_version(match v.as_str() {
                "tlsv1.2" => mqtt::SslVersion::Tls_1_2,
                _ => mqtt::SslVersion::Default,
            });
        }
        if let Some(alpn) = &tls.alpn {
            ssl.alpn_protos(&[alpn.as_str()]);
        }
        // Paho's default checks the chain but not the host name; --insecure
        // turns off both, nothing turns off only one.
        ssl.enable_server_cert_auth(!tls.insecure);
        ssl.verify(!tls.insecure);
        b.ssl_options(ssl.finalize());
    }
    if let Some(d) = deadline {
        // Paho counts whole seconds; the tokio deadline below is exact.
        b.connect_timeout(d.saturating_duration_since(Instant::now()) + Duration::from_secs(1));
    }
    let token = client.connect(b.finalize());
    let rsp = match deadline {
        Some(d) => tokio::time::timeout_at(d, token)
            .await
            .map_err(|_| Failure::Deadline)?,
        None => token.await,
    }
    .map_err(Failure::Paho)?;
    Ok(rsp
        .connect_response()
        .map(|c| c.mqtt_version)
        .unwrap_or(version))
}

/// Might the broker have refused MQTT 5? A 3.1.1-only broker answers a v5
/// CONNECT with a 3.1.1 CONNACK, return code 1 (nats-server does), which
/// Paho C reads as a v5 reason code below 0x80 and reports as a bare
/// `Failure`; older brokers just close the socket. Refused TCP, a v5
/// reason code and the deadline are answers, not version trouble; anything
/// else is worth one 3.1.1 attempt, whose error (with its real CONNACK code)
/// is then the one reported.
fn refuses_version(f: &Failure) -> bool {
    match f {
        Failure::Deadline => false,
        Failure::Paho(e) => match e {
            mqtt::Error::ReasonCode(rc, _) => *rc == mqtt::ReasonCode::UnsupportedProtocolVersion,
            mqtt::Error::TcpTlsConnectFailure | mqtt::Error::TcpConnectTimeout => false,
            _ => true,
        },
    }
}

fn connect_error(f: Failure, s: &ConnectionSettings) -> Error {
    let at = &s.display;
    let e = match f {
        Failure::Deadline => {
            return Error::Timeout(format!("no connection to {at} within the deadline"));
        }
        Failure::Paho(e) => e,
    };
    use mqtt::ConnectReturnCode as Rc;
    use mqtt::ReasonCode as R;
    match e {
        mqtt::Error::ConnectReturn(rc) => {
            let why = format!("{at} refused the connection: {rc} (CONNACK {})", rc as u8);
            match rc {
                Rc::BadUserNameOrPassword | Rc::NotAuthorized | Rc::IdentifierRejected => {
                    Error::Refused(why)
                }
                Rc::UnacceptableProtocolVersion => Error::Connect(format!(
                    "{at} does not speak this MQTT version (CONNACK 1); try -V 311"
                )),
                _ => Error::Connect(why),
            }
        }
        mqtt::Error::ReasonCode(rc, _) => {
            let why = format!(
                "{at} refused the connection: {rc} (reason 0x{:02x})",
                rc as u32
            );
            match rc {
                R::UnsupportedProtocolVersion => Error::Connect(format!(
                    "{at} does not speak MQTT 5 (reason 0x84); try -V 311"
                )),
                R::ServerUnavailable | R::ServerBusy | R::UseAnotherServer | R::ServerMoved => {
                    Error::Connect(why)
                }
                _ => Error::Refused(why),
            }
        }
        other => {
            let detail = match &other {
                mqtt::Error::TcpTlsConnectFailure if s.tls.is_some() => {
                    "TCP/TLS connect failure (refused, unreachable, or the TLS handshake or certificate check failed)".to_string()
                }
                mqtt::Error::TcpTlsConnectFailure => "connection refused or unreachable".into(),
                mqtt::Error::Failure if s.tls.is_some() => {
                    "connection failed (TLS handshake or certificate check?)".into()
                }
                mqtt::Error::Failure => "connection failed".into(),
                o => o.to_string(),
            };
            Error::Connect(format!("cannot connect to {at}: {detail}"))
        }
    }
}

impl Session {
    /// Subscribes and waits for the SUBACK; a refused filter is
    /// `Error::Refused` (exit 4), as mosquitto_rr never reported it.
    /// `retained`: whether the broker should send retained messages (MQTT 5
    /// retain handling; on 3.1.1 the caller drops them).
    pub async fn subscribe(
        &self,
        filters: &[String],
        qos: i32,
        retained: bool,
        deadline: Option<Instant>,
    ) -> Result<()> {
        self.debug(|| format!("SUBSCRIBE {} (QoS {qos})", filters.join(" ")));
        let qoss = vec![qos; filters.len()];
        let token = if self.v5 {
            let handling = if retained {
                mqtt::RetainHandling::SendRetainedOnSubscribe
            } else {
                mqtt::RetainHandling::DontSendRetained
            };
            let opts = vec![mqtt::SubscribeOptions::with_retain_handling(handling); filters.len()];
            self.client
                .subscribe_many_with_options(filters, &qoss, &opts, None)
        } else {
            self.client.subscribe_many(filters, &qoss)
        };
        let what = || format!("SUBACK for {}", filters.join(" "));
        let rsp = self
            .within(deadline, token, what)
            .await
            .map_err(|e| match e {
                Error::Refused(why) => Error::Refused(format!(
                    "{} refused the subscription to {}: {why}",
                    self.display,
                    filters.join(" "),
                )),
                other => other,
            })?;
        // With several filters Paho reports success with per-filter codes.
        let codes = rsp
            .subscribe_many_response()
            .or_else(|| rsp.subscribe_response().map(|c| vec![c]))
            .unwrap_or_default();
        if let Some((filter, code)) = filters.iter().zip(&codes).find(|(_, c)| **c >= 0x80) {
            return Err(Error::Refused(format!(
                "{} refused the subscription to {filter}: {}",
                self.display,
                suback_reason(*code)
            )));
        }
        self.debug(|| format!("SUBACK {codes:?}"));
        Ok(())
    }

    /// Awaits a Paho token before the deadline, mapping its failure: a
    /// broker "no" becomes `Refused(reason)` for the caller to put in
    /// context, a lost connection says so.
    pub async fn within<T, F>(
        &self,
        deadline: Option<Instant>,
        token: F,
        what: impl Fn() -> String,
    ) -> Result<T>
    where
        F: std::future::Future<Output = mqtt::Result<T>>,
    {
        let result = match deadline {
            Some(d) => tokio::time::timeout_at(d, token)
                .await
                .map_err(|_| Error::Timeout(format!("timed out waiting for {}", what())))?,
            None => token.await,
        };
        result.map_err(|e| match e {
            mqtt::Error::ReasonCode(rc, _) => {
                Error::Refused(format!("{rc} (reason 0x{:02x})", rc as u32))
            }
            mqtt::Error::Failure if !self.client.is_connected() => self.lost(),
            // 3.1.1 has a single failure code, 0x80, in SUBACK.
            mqtt::Error::Failure => Error::Refused("failure (0x80)".into()),
            mqtt::Error::Disconnected => self.lost(),
            other => Error::Runtime(format!("{} while waiting for {}", other, what())),
        })
    }

    /// The error for a connection that went away.
    pub fn lost(&self) -> Error {
        Error::Runtime(format!("lost the connection to {}", self.display))
    }
}

fn suback_reason(code: i32) -> String {
    match code {
        0x80 => "unspecified error (0x80)".into(),
        0x83 => "implementation specific error (0x83)".into(),
        0x87 => "not authorized (0x87)".into(),
        0x8F => "topic filter invalid (0x8f)".into(),
        0x91 => "packet identifier in use (0x91)".into(),
        0x97 => "quota exceeded (0x97)".into(),
        0x9E => "shared subscriptions not supported (0x9e)".into(),
        0xA1 => "subscription identifiers not supported (0xa1)".into(),
        0xA2 => "wildcard subscriptions not supported (0xa2)".into(),
        c => format!("reason 0x{c:02x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suback_failures_are_named() {
        assert_eq!(suback_reason(0x87), "not authorized (0x87)");
        assert_eq!(suback_reason(0x80), "unspecified error (0x80)");
        assert_eq!(suback_reason(0xAB), "reason 0xab");
    }
}

/// A message as the rest of mqrr sees it: no Paho types beyond this file
/// and `request.rs`.
#[derive(Debug, Clone)]
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retained: bool,
    /// MQTT 5 Correlation Data.
    pub correlation: Option<Vec<u8>>,
    /// MQTT 5 Response Topic.
    pub response_topic: Option<String>,
}

/// What happened on the connection.
#[derive(Debug)]
pub enum Incoming {
    Message(Received),
    /// The connection went away (broker gone, or it sent DISCONNECT).
    Lost,
    /// A connect completed.
    Connected,
}

impl Session {
    /// The next thing that happens on the connection.
    pub async fn next(&self) -> Incoming {
        match self.events.recv().await {
            Ok(mqtt::Event::Message(m)) => {
                let props = m.properties();
                Incoming::Message(Received {
                    topic: m.topic().to_string(),
                    payload: m.payload().to_vec(),
                    retained: m.retained(),
                    correlation: props.get_binary(mqtt::PropertyCode::CorrelationData),
                    response_topic: props.get_string(mqtt::PropertyCode::ResponseTopic),
                })
            }
            Ok(mqtt::Event::Connected) => Incoming::Connected,
            Ok(mqtt::Event::ConnectionLost)
            | Ok(mqtt::Event::Disconnected { .. })
            | Ok(mqtt::Event::Shutdown)
            | Err(_) => Incoming::Lost,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.client.is_connected()
    }

    /// One connect attempt with the options of the first connection (the
    /// protocol version it settled on included).
    pub async fn reconnect(&self) -> std::result::Result<(), String> {
        self.client
            .reconnect()
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// The retained messages on `filters`, as far as they arrive within
    /// `bound` (they come right after the SUBACK when they exist).
    pub async fn retained(&self, filters: &[String], bound: Duration) -> Vec<Received> {
        let deadline = Instant::now() + bound;
        let mut found = Vec::new();
        if self
            .subscribe(filters, 0, true, Some(deadline))
            .await
            .is_err()
        {
            return found;
        }
        while found.len() < filters.len() {
            match tokio::time::timeout_at(deadline, self.next()).await {
                Ok(Incoming::Message(m)) if m.retained => found.push(m),
                Ok(Incoming::Message(_)) | Ok(Incoming::Connected) => {}
                Ok(Incoming::Lost) | Err(_) => break,
            }
        }
        found
    }

    /// Something that can publish replies from another task.
    pub fn replier(&self) -> Replier {
        Replier {
            client: (*self.client).clone(),
            v5: self.v5,
        }
    }
}

/// Publishes replies; cheap to clone into each `serve` job.
#[derive(Clone)]
pub struct Replier {
    client: mqtt::AsyncClient,
    v5: bool,
}

impl Replier {
    /// Publishes `payload` on `topic`, with `correlation` as MQTT 5
    /// Correlation Data, and waits (at most `bound`) for the broker to take it.
    pub async fn reply(
        &self,
        topic: &str,
        payload: Vec<u8>,
        qos: i32,
        correlation: Option<Vec<u8>>,
        bound: Duration,
    ) -> std::result::Result<(), String> {
        let mut props = mqtt::Properties::new();
        if let (true, Some(c)) = (self.v5, correlation) {
            props
                .push_binary(mqtt::PropertyCode::CorrelationData, c)
                .map_err(|e| format!("correlation data: {e}"))?;
        }
        let message = mqtt::MessageBuilder::new()
            .topic(topic)
            .payload(payload)
            .qos(qos)
            .properties(props)
            .finalize();
        match tokio::time::timeout(bound, self.client.publish(message)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("not acknowledged in time".into()),
        }
    }
}
