//! A connected session as the commands see it: what the broker announced
//! in its CONNACK (and the checks that follow from it, spec §2), the events
//! of the connection, and the operations with their errors already in
//! mqrr's words (`Error`, exit status included).
//!
//! Nothing here waits on one thing while another could happen: a publish
//! returns at once and its acknowledgement arrives through `ack()`, so a
//! command's wait loop keeps reading responses whatever is in flight (spec
//! §3, "nothing blocks receiving").

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::paho::{self, Client, Event, Failed, Outcome, Subscription};
use super::properties::{ByPacket, Property, find_int, find_string, id, var_int_len};
use super::reason;
use crate::error::{Error, Result};
use crate::message::Message;

/// What the broker announced in its CONNACK (MQTT 5 §3.2.2.3). On MQTT
/// 3.1.1 nothing is announced and everything is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum QoS (0x24): 0, 1 or 2.
    pub max_qos: u8,
    /// Retain Available (0x25).
    pub retain: bool,
    /// Wildcard Subscription Available (0x28).
    pub wildcards: bool,
    /// Shared Subscription Available (0x2A).
    pub shared: bool,
    /// Subscription Identifiers Available (0x29).
    pub subscription_ids: bool,
    /// Maximum Packet Size (0x27), bytes; `None`: no limit beyond MQTT's.
    pub max_packet: Option<u32>,
    /// Receive Maximum (0x21): QoS 1/2 publishes the broker takes at once.
    pub receive_maximum: u16,
    /// Server Keep Alive (0x13), seconds; replaces `-k` (Paho applies it).
    pub keepalive: Option<u16>,
    /// Assigned Client Identifier (0x12).
    pub assigned_id: Option<String>,
    pub session_present: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_qos: 2,
            retain: true,
            wildcards: true,
            shared: true,
            subscription_ids: true,
            max_packet: None,
            receive_maximum: 65535,
            keepalive: None,
            assigned_id: None,
            session_present: false,
        }
    }
}

impl Limits {
    /// Reads a CONNACK's properties; absent properties keep MQTT's defaults.
    pub fn from_connack(props: &[Property], session_present: bool) -> Limits {
        let flag = |id, default| find_int(props, id).map_or(default, |v| v != 0);
        Limits {
            max_qos: find_int(props, id::MAXIMUM_QOS).map_or(2, |q| q.min(2) as u8),
            retain: flag(id::RETAIN_AVAILABLE, true),
            wildcards: flag(id::WILDCARD_SUBSCRIPTION_AVAILABLE, true),
            shared: flag(id::SHARED_SUBSCRIPTION_AVAILABLE, true),
            subscription_ids: flag(id::SUBSCRIPTION_IDENTIFIER_AVAILABLE, true),
            max_packet: find_int(props, id::MAXIMUM_PACKET_SIZE).filter(|&n| n > 0),
            receive_maximum: find_int(props, id::RECEIVE_MAXIMUM)
                .map_or(65535, |n| n.clamp(1, 65535) as u16),
            keepalive: find_int(props, id::SERVER_KEEP_ALIVE).map(|k| k as u16),
            assigned_id: find_string(props, id::ASSIGNED_CLIENT_IDENTIFIER).map(String::from),
            session_present,
        }
    }
}

/// A PUBLISH to send.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub topic: &'a str,
    pub payload: &'a [u8],
    pub qos: u8,
    pub retain: bool,
    pub properties: &'a [Property],
}

impl Outgoing<'_> {
    /// The size of the PUBLISH packet on the wire (MQTT 5 §3.3), for the
    /// broker's Maximum Packet Size.
    pub fn packet_len(&self, v5: bool) -> usize {
        let props: usize = self.properties.iter().map(Property::wire_len).sum();
        let remaining = 2
            + self.topic.len()
            + if self.qos > 0 { 2 } else { 0 }
            + if v5 { var_int_len(props) + props } else { 0 }
            + self.payload.len();
        1 + var_int_len(remaining) + remaining
    }
}

/// What happens on the connection, as commands handle it, in the order
/// Paho saw it.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// The PUBLISH queued under `tag` was written (QoS 0) or acknowledged
    /// (QoS 1/2), or failed: `Session::publish_error` words the failure.
    Published {
        tag: u64,
        result: std::result::Result<(), Failed>,
    },
    /// The connection is gone; the error says why, in mqrr's words.
    Lost(Error),
}

/// A connected client, never dropped (see `paho.rs`).
pub struct Session {
    pub(super) client: Client,
    /// Paho's callbacks deliver here. A tokio channel: its receiver waits
    /// on one atomic waker, where async-channel registered and dropped a
    /// listener under a lock that the delivering Paho thread contends for
    /// (measured: 6% of the CPU of a 200,000-line `pub -l`). It wakes one
    /// waiter: `next()` is awaited by one future at a time (every command
    /// has one loop that owns the session), so the lock is never contended.
    events: Mutex<mpsc::UnboundedReceiver<Event>>,
    /// The CONNECT this session was made with, for reconnecting.
    pub(super) connect: paho::ConnectOptions,
    /// True when MQTT 5 was negotiated.
    pub v5: bool,
    pub limits: Limits,
    /// `host:port` (or socket path) for messages.
    pub display: String,
    debug: bool,
    /// The reason of the broker's last DISCONNECT, reported with the loss.
    disconnected: Mutex<Option<String>>,
    /// The user's `-D` properties, added to every packet of their kind.
    extra: ByPacket,
}

/// `base` followed by the user's `-D` properties for that packet; borrowed
/// when there are none (the common case costs no allocation).
fn with_extra<'a>(base: &'a [Property], extra: &'a [Property]) -> std::borrow::Cow<'a, [Property]> {
    if extra.is_empty() {
        std::borrow::Cow::Borrowed(base)
    } else {
        std::borrow::Cow::Owned([base, extra].concat())
    }
}

/// When the process started, for the timestamps of `--debug` lines.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// One `--debug` line, stamped with milliseconds since start.
pub fn trace(msg: &str) {
    let ms = STARTED
        .get()
        .map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
    crate::error::stderr_line(format_args!(
        "mqrr: debug: {ms:8.3} ms {}",
        crate::error::sanitize(msg)
    ));
}

/// Waits for a completion until `deadline` (None: forever).
pub(super) async fn finish(
    completion: paho::Completion,
    deadline: Option<Instant>,
) -> Option<Outcome> {
    let lost = || Err(Failed::code(paho::rc::DISCONNECTED));
    match deadline {
        Some(d) => match tokio::time::timeout_at(d, completion).await {
            Ok(r) => Some(r.unwrap_or_else(|_| lost())),
            Err(_) => None,
        },
        None => Some(completion.await.unwrap_or_else(|_| lost())),
    }
}

impl Session {
    pub(super) fn new(
        client: Client,
        events: mpsc::UnboundedReceiver<Event>,
        connect: paho::ConnectOptions,
        limits: Limits,
        display: String,
        debug: bool,
        extra: ByPacket,
    ) -> Session {
        Session {
            v5: connect.version == 5,
            client,
            events: Mutex::new(events),
            connect,
            limits,
            display,
            debug,
            disconnected: Mutex::new(None),
            extra,
        }
    }

    pub fn debugging(&self) -> bool {
        self.debug
    }

    pub fn debug(&self, what: impl FnOnce() -> String) {
        if self.debug {
            trace(&what());
        }
    }

    pub fn is_connected(&self) -> bool {
        self.client.is_connected()
    }

    /// The next message, publish outcome, or the loss of the connection.
    /// PUBLISH packets mqrr cannot accept (a topic that is not UTF-8, say)
    /// are skipped with a `--debug` line, never handed on.
    pub async fn next(&self) -> Incoming {
        loop {
            let event = self.recv().await;
            if let Some(incoming) = self.translate(event) {
                return incoming;
            }
        }
    }

    /// The next event from Paho; `None` once its callbacks are gone.
    /// Cancel-safe.
    async fn recv(&self) -> Option<Event> {
        std::future::poll_fn(|cx| match self.events.lock() {
            Ok(mut events) => events.poll_recv(cx),
            Err(_) => std::task::Poll::Ready(None),
        })
        .await
    }

    /// What has already arrived, without waiting.
    pub fn try_next(&self) -> Option<Incoming> {
        loop {
            let event = self.events.lock().ok()?.try_recv();
            match event {
                Ok(event) => {
                    if let Some(incoming) = self.translate(Some(event)) {
                        return Some(incoming);
                    }
                }
                Err(mpsc::error::TryRecvError::Empty) => return None,
                Err(mpsc::error::TryRecvError::Disconnected) => return self.translate(None),
            }
        }
    }

    fn translate(&self, event: Option<Event>) -> Option<Incoming> {
        Some(match event {
            Some(Event::Message(m)) => Incoming::Message(m),
            Some(Event::Published { tag, outcome }) => Incoming::Published {
                tag,
                result: outcome.map(drop),
            },
            Some(Event::Malformed(why)) => {
                self.debug(|| format!("dropped: {why}"));
                return None;
            }
            Some(Event::Disconnected {
                reason,
                reason_string,
            }) => {
                let why = reason::describe(reason, true, reason_string.as_deref());
                self.debug(|| format!("DISCONNECT from the broker: {why}"));
                if let Ok(mut d) = self.disconnected.lock() {
                    *d = Some(why);
                }
                Incoming::Lost(self.lost())
            }
            Some(Event::Lost) | None => Incoming::Lost(self.lost()),
        })
    }

    /// The error for a connection that went away, with the broker's
    /// DISCONNECT reason when it gave one.
    pub fn lost(&self) -> Error {
        match self.disconnect_reason() {
            Some(why) => Error::Runtime(format!("{} closed the connection: {why}", self.display)),
            None => Error::Runtime(format!("lost the connection to {}", self.display)),
        }
    }

    /// The reason of the broker's DISCONNECT, if it sent one.
    pub fn disconnect_reason(&self) -> Option<String> {
        self.disconnected.lock().ok().and_then(|d| d.clone())
    }

    /// Forgets a DISCONNECT reason once the loss has been handled (serve
    /// reconnects).
    pub fn clear_disconnect_reason(&self) {
        if let Ok(mut d) = self.disconnected.lock() {
            *d = None;
        }
    }

    /// Checks what the broker announced before a filter is subscribed:
    /// wildcards and shared subscriptions must be available.
    pub fn check_filter(&self, filter: &str) -> Result<()> {
        let refused = |what: &str| {
            Err(Error::Refused(format!(
                "{} does not allow {what} (CONNACK); cannot subscribe to {filter}",
                self.display
            )))
        };
        if filter.starts_with("$share/") {
            if !self.limits.shared {
                return refused("shared subscriptions");
            }
        } else if filter.contains(['+', '#']) && !self.limits.wildcards {
            return refused("wildcard subscriptions");
        }
        Ok(())
    }

    /// Checks a PUBLISH against what the broker announced: Maximum QoS,
    /// Retain Available, Maximum Packet Size. `what` names it for the
    /// message ("request", "message").
    pub fn check_publish(&self, m: &Outgoing, what: &str) -> Result<()> {
        let at = &self.display;
        if m.qos > self.limits.max_qos {
            return Err(Error::Refused(format!(
                "{at} accepts at most QoS {} (CONNACK); cannot publish the {what} with QoS {}",
                self.limits.max_qos, m.qos
            )));
        }
        if m.retain && !self.limits.retain {
            return Err(Error::Refused(format!(
                "{at} does not retain messages (CONNACK); cannot publish the {what} retained"
            )));
        }
        if let Some(max) = self.limits.max_packet {
            let len = m.packet_len(self.v5);
            if len > max as usize {
                return Err(Error::Refused(format!(
                    "{what} is {len} bytes; {at} accepts at most {max}"
                )));
            }
        }
        Ok(())
    }

    /// Subscribes and waits for the SUBACK; a refused filter is
    /// `Error::Refused` (exit 4) naming it, also when only one of several
    /// is refused.
    pub async fn subscribe(
        &self,
        subs: &[Subscription],
        properties: &[Property],
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>> {
        let filters: Vec<&str> = subs.iter().map(|s| s.filter.as_str()).collect();
        for f in &filters {
            self.check_filter(f)?;
        }
        self.debug(|| {
            let opts: Vec<String> = subs
                .iter()
                .map(|s| {
                    format!(
                        "{} (QoS {}{}{}{})",
                        s.filter,
                        s.qos,
                        if s.no_local && self.v5 {
                            ", No Local"
                        } else {
                            ""
                        },
                        if s.retain_as_published { ", RAP" } else { "" },
                        match (self.v5, s.retain_handling) {
                            (true, 2) => ", no retained",
                            (true, 1) => ", retained if new",
                            _ => "",
                        }
                    )
                })
                .collect();
            format!("SUBSCRIBE {}", opts.join(" "))
        });
        let what = || format!("SUBACK for {}", filters.join(" "));
        let properties = with_extra(properties, &self.extra.subscribe);
        let completion = self
            .client
            .subscribe(self.v5, subs, &properties)
            .map_err(|f| self.failure(f, &what()))?;
        let done = match finish(completion, deadline).await {
            None => return Err(Error::Timeout(format!("timed out waiting for {}", what()))),
            Some(Ok(done)) => done,
            Some(Err(f)) => {
                // One filter refused: Paho reports a failure with its code.
                let code = f
                    .reason
                    .map(u32::from)
                    .or_else(|| (!self.v5 && f.code == 0x80).then_some(0x80));
                return Err(match code {
                    Some(c) => self.refused_subscription(filters[0], c as u8, f.reason_string),
                    None => self.failure(f, &what()),
                });
            }
        };
        self.debug(|| format!("SUBACK {:02X?}", done.reason_codes));
        let reason_string = find_string(&done.properties, id::REASON_STRING).map(String::from);
        if let Some((filter, code)) = filters
            .iter()
            .zip(&done.reason_codes)
            .find(|(_, c)| **c >= 0x80)
        {
            return Err(self.refused_subscription(filter, *code, reason_string));
        }
        Ok(done.reason_codes)
    }

    fn refused_subscription(&self, filter: &str, code: u8, reason_string: Option<String>) -> Error {
        let why = if self.v5 {
            reason::describe(code, false, reason_string.as_deref())
        } else {
            "failure (0x80)".to_string()
        };
        Error::Refused(format!(
            "{} refused the subscription to {filter}: {why}",
            self.display
        ))
    }

    /// Unsubscribes and waits for the UNSUBACK.
    pub async fn unsubscribe(
        &self,
        filters: &[String],
        properties: &[Property],
        deadline: Option<Instant>,
    ) -> Result<()> {
        self.debug(|| format!("UNSUBSCRIBE {}", filters.join(" ")));
        let what = || format!("UNSUBACK for {}", filters.join(" "));
        let properties = with_extra(properties, &self.extra.unsubscribe);
        let completion = self
            .client
            .unsubscribe(self.v5, filters, &properties)
            .map_err(|f| self.failure(f, &what()))?;
        match finish(completion, deadline).await {
            None => Err(Error::Timeout(format!("timed out waiting for {}", what()))),
            Some(Ok(done)) => {
                self.debug(|| format!("UNSUBACK {:02X?}", done.reason_codes));
                Ok(())
            }
            Some(Err(f)) => Err(self.failure(f, &what())),
        }
    }

    /// Queues a PUBLISH after checking it against the broker's limits; its
    /// outcome comes from `next()` as `Incoming::Published` with `tag`.
    /// Returns at once.
    pub fn publish(&self, m: &Outgoing, what: &str, tag: u64) -> Result<()> {
        self.send(m, what, Some(tag))
    }

    /// As `publish`, but a QoS 0 message reports no outcome: for the many
    /// messages nobody waits on being written (batch requests, serve's
    /// replies), where Paho's completion callback and the wake-up it costs
    /// were a fifth of the CPU time per message (measured, issue #14).
    /// Returns whether an `Incoming::Published` with `tag` will follow
    /// (QoS 1 and 2: their acknowledgement may refuse them); a lost
    /// connection is reported by `next()` either way.
    pub fn publish_unconfirmed(&self, m: &Outgoing, what: &str, tag: u64) -> Result<bool> {
        let confirmed = m.qos > 0;
        self.send(m, what, confirmed.then_some(tag))?;
        Ok(confirmed)
    }

    fn send(&self, m: &Outgoing, what: &str, tag: Option<u64>) -> Result<()> {
        let properties = with_extra(m.properties, &self.extra.publish);
        let m = &Outgoing {
            properties: &properties,
            ..*m
        };
        self.check_publish(m, what)?;
        self.debug(|| {
            format!(
                "PUBLISH {} (QoS {}{}, {} bytes)",
                m.topic,
                m.qos,
                if m.retain { ", retained" } else { "" },
                m.payload.len()
            )
        });
        self.client
            .publish(
                self.v5,
                m.topic,
                m.payload,
                m.qos,
                m.retain,
                m.properties,
                tag,
            )
            .map_err(|f| self.failure(f, &format!("publishing on {}", m.topic)))
    }

    /// The error for a publish the broker refused or could not take.
    pub fn publish_error(&self, f: Failed, topic: &str, what: &str) -> Error {
        match f.reason {
            Some(code) if code >= 0x80 => Error::Refused(format!(
                "{} refused to publish the {what} on {topic}: {}",
                self.display,
                reason::describe(code, false, f.reason_string.as_deref())
            )),
            _ => self.failure(f, &format!("the {what} on {topic}")),
        }
    }

    /// A library-level failure in mqrr's words.
    fn failure(&self, f: Failed, what: &str) -> Error {
        if f.code == paho::rc::DISCONNECTED || !self.client.is_connected() {
            return self.lost();
        }
        match f.reason {
            Some(code) if code >= 0x80 => Error::Refused(format!(
                "{} refused {what}: {}",
                self.display,
                reason::describe(code, false, f.reason_string.as_deref())
            )),
            // Paho's own words, where it has them (a malformed SUBACK).
            _ => match &f.message {
                Some(m) if f.code == paho::rc::FAILURE => {
                    Error::Runtime(format!("{}: {m} ({what})", self.display))
                }
                _ => Error::Runtime(format!("{} ({what})", f.paho_text())),
            },
        }
    }

    /// The retained messages on `filters`, as far as they arrive within
    /// `bound` (a broker sends them right after the SUBACK when they exist).
    pub async fn retained(&self, filters: &[&str], bound: Duration) -> Vec<Message> {
        let deadline = Instant::now() + bound;
        let subs: Vec<Subscription> = filters
            .iter()
            .map(|f| Subscription {
                filter: f.to_string(),
                qos: 0,
                no_local: false,
                retain_as_published: false,
                retain_handling: 0,
            })
            .collect();
        let mut found = Vec::new();
        if self.subscribe(&subs, &[], Some(deadline)).await.is_err() {
            return found;
        }
        while found.len() < filters.len() {
            match tokio::time::timeout_at(deadline, self.next()).await {
                Ok(Incoming::Message(m)) if m.retain => found.push(m),
                Ok(Incoming::Message(_)) | Ok(Incoming::Published { .. }) => {}
                Ok(Incoming::Lost(_)) | Err(_) => break,
            }
        }
        found
    }

    /// Sends DISCONNECT with reason 0 (normal: the broker must not publish a
    /// Will) and waits until Paho has written it, at most `bound` (it takes
    /// about 0.1 ms on a healthy connection). True when it was written.
    pub async fn disconnect(&self, bound: Duration) -> bool {
        let properties = &self.extra.disconnect;
        let started = self.client.tap_disconnected();
        if !started && !self.client.is_connected() {
            return false;
        }
        self.debug(|| {
            if started {
                "DISCONNECT (reason 0) started on the receive thread".into()
            } else {
                "sending DISCONNECT (reason 0)".into()
            }
        });
        let sent = match self.client.disconnect(self.v5, 0, properties) {
            Ok(c) => finish(c, Some(Instant::now() + bound)).await.is_some(),
            Err(_) => false,
        };
        self.debug(|| {
            format!(
                "DISCONNECT {}",
                if sent {
                    "sent"
                } else {
                    "not confirmed in time"
                }
            )
        });
        sent
    }
}
