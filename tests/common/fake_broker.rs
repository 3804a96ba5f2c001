//! A scripted fake MQTT broker, for faults a conforming broker cannot
//! produce: odd CONNACK properties, refused subscriptions, withheld or
//! stray acknowledgements, malformed and truncated packets, non-UTF-8
//! topics, DISCONNECT with a reason, a socket closed half way.
//!
//! A test hands `FakeBroker::start` a script, a closure that gets a `Conn`
//! for the first client that connects and says, step by step, what to read
//! and what to send. A reader thread decodes everything the client sends as
//! it arrives, so the transcript (`FakeBroker::transcript`) holds the real
//! order of both directions ("the request came after the SUBACK").
//!
//! Every wait is bounded (`STEP_BOUND`). A step that never happens panics in
//! the script thread; the owner re-raises that panic in the test when it is
//! dropped or `finish`ed, so a script that did not run to its end fails the
//! test loudly.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a script step waits for the client before it fails.
pub const STEP_BOUND: Duration = Duration::from_secs(10);

// Packet types (the high nibble of the first byte).
pub const CONNECT: u8 = 1;
pub const CONNACK: u8 = 2;
pub const PUBLISH: u8 = 3;
pub const PUBACK: u8 = 4;
pub const PUBREC: u8 = 5;
pub const PUBREL: u8 = 6;
pub const PUBCOMP: u8 = 7;
pub const SUBSCRIBE: u8 = 8;
pub const SUBACK: u8 = 9;
pub const UNSUBSCRIBE: u8 = 10;
pub const UNSUBACK: u8 = 11;
pub const PINGREQ: u8 = 12;
pub const DISCONNECT: u8 = 14;

/// MQTT 5 property identifiers this helper knows by name.
pub mod prop {
    pub const MESSAGE_EXPIRY: u8 = 0x02;
    pub const CONTENT_TYPE: u8 = 0x03;
    pub const RESPONSE_TOPIC: u8 = 0x08;
    pub const CORRELATION_DATA: u8 = 0x09;
    pub const SESSION_EXPIRY: u8 = 0x11;
    pub const ASSIGNED_CLIENT_ID: u8 = 0x12;
    pub const SERVER_KEEP_ALIVE: u8 = 0x13;
    pub const REASON_STRING: u8 = 0x1F;
    pub const RECEIVE_MAXIMUM: u8 = 0x21;
    pub const TOPIC_ALIAS_MAXIMUM: u8 = 0x22;
    pub const MAXIMUM_QOS: u8 = 0x24;
    pub const RETAIN_AVAILABLE: u8 = 0x25;
    pub const USER_PROPERTY: u8 = 0x26;
    pub const MAXIMUM_PACKET_SIZE: u8 = 0x27;
    pub const WILDCARD_SUBSCRIPTION_AVAILABLE: u8 = 0x28;
    pub const SHARED_SUBSCRIPTION_AVAILABLE: u8 = 0x2A;
}

// ---------------------------------------------------------------------------
// Encoding: every byte this helper writes is built here.

/// An MQTT variable byte integer.
pub fn varint(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            return out;
        }
    }
}

/// A two-byte length, then the bytes (UTF-8 string or binary data; any
/// bytes, so a test can send a non-UTF-8 or NUL topic).
pub fn lstr(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A fixed header (`first` byte, remaining length) and `body`.
pub fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    out.extend(varint(body.len()));
    out.extend_from_slice(body);
    out
}

/// MQTT 5 properties, built in order: `Props::new().byte(prop::MAXIMUM_QOS, 1)`.
#[derive(Clone, Debug, Default)]
pub struct Props(Vec<u8>);

impl Props {
    pub fn new() -> Props {
        Props::default()
    }
    pub fn byte(mut self, id: u8, v: u8) -> Props {
        self.0.extend([id, v]);
        self
    }
    pub fn u16(mut self, id: u8, v: u16) -> Props {
        self.0.push(id);
        self.0.extend(v.to_be_bytes());
        self
    }
    pub fn u32(mut self, id: u8, v: u32) -> Props {
        self.0.push(id);
        self.0.extend(v.to_be_bytes());
        self
    }
    /// A UTF-8 string or binary data property.
    pub fn bytes(mut self, id: u8, v: &[u8]) -> Props {
        self.0.push(id);
        self.0.extend(lstr(v));
        self
    }
    pub fn pair(mut self, id: u8, k: &str, v: &str) -> Props {
        self.0.push(id);
        self.0.extend(lstr(k.as_bytes()));
        self.0.extend(lstr(v.as_bytes()));
        self
    }
    /// The property length, then the properties.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = varint(self.0.len());
        out.extend_from_slice(&self.0);
        out
    }
}

/// A PUBLISH the broker sends, built from parts.
#[derive(Clone, Debug, Default)]
pub struct Publish {
    pub topic: Vec<u8>,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    /// Written for QoS 1 and 2 only.
    pub id: u16,
    /// `Some` on MQTT 5 (even if empty), `None` on 3.1.1.
    pub props: Option<Props>,
}

impl Publish {
    pub fn new(topic: &str, payload: &[u8]) -> Publish {
        Publish {
            topic: topic.as_bytes().to_vec(),
            payload: payload.to_vec(),
            ..Publish::default()
        }
    }
    pub fn encode(&self) -> Vec<u8> {
        let first =
            PUBLISH << 4 | u8::from(self.dup) << 3 | (self.qos & 3) << 1 | u8::from(self.retain);
        let mut body = lstr(&self.topic);
        if self.qos > 0 {
            body.extend(self.id.to_be_bytes());
        }
        if let Some(p) = &self.props {
            body.extend(p.encode());
        }
        body.extend_from_slice(&self.payload);
        packet(first, &body)
    }
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP for `id`. `v5_reason`: `None` is the
/// 3.1.1 (and MQTT 5 short) form; `Some((code, reason string))` adds the
/// reason code and, when given, a Reason String.
pub fn ack(kind: u8, id: u16, v5_reason: Option<(u8, Option<&str>)>) -> Vec<u8> {
    let flags = if kind == PUBREL { 2 } else { 0 };
    let mut body = id.to_be_bytes().to_vec();
    if let Some((code, why)) = v5_reason {
        body.push(code);
        let mut props = Props::new();
        if let Some(why) = why {
            props = props.bytes(prop::REASON_STRING, why.as_bytes());
        }
        body.extend(props.encode());
    }
    packet(kind << 4 | flags, &body)
}

/// A DISCONNECT with a reason code and an optional Reason String (MQTT 5).
pub fn disconnect(reason: u8, why: Option<&str>) -> Vec<u8> {
    let mut props = Props::new();
    if let Some(why) = why {
        props = props.bytes(prop::REASON_STRING, why.as_bytes());
    }
    let mut body = vec![reason];
    body.extend(props.encode());
    packet(DISCONNECT << 4, &body)
}

// ---------------------------------------------------------------------------
// Decoding: only as far as the tests look.

/// A packet the client sent.
#[derive(Clone, Debug, Default)]
pub struct Packet {
    pub kind: u8,
    pub flags: u8,
    /// The bytes after the fixed header.
    pub body: Vec<u8>,
    /// CONNECT: the protocol level (4 or 5).
    pub version: u8,
    /// CONNECT: the client id.
    pub client_id: String,
    /// CONNECT: the connect flags; PUBLISH: unused.
    pub connect_flags: u8,
    pub keepalive: u16,
    /// PUBLISH, SUBSCRIBE, acks: the packet id (0 when none).
    pub id: u16,
    /// PUBLISH: the topic; SUBSCRIBE: (filter, options) per entry.
    pub topic: Vec<u8>,
    pub filters: Vec<(String, u8)>,
    /// Acks and DISCONNECT on MQTT 5: the reason code (0 when absent).
    pub reason: u8,
    /// MQTT 5: (identifier, raw value; strings and binary without their length).
    pub props: Vec<(u8, Vec<u8>)>,
    pub payload: Vec<u8>,
}

impl Packet {
    pub fn qos(&self) -> u8 {
        (self.flags >> 1) & 3
    }
    /// The first property `id`, if the packet has it.
    pub fn prop(&self, id: u8) -> Option<&[u8]> {
        self.props
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| v.as_slice())
    }
}

/// Reads bytes off the front of a packet body; any shortfall is `None`.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        (self.0.len() >= n).then(|| {
            let (head, tail) = self.0.split_at(n);
            self.0 = tail;
            head
        })
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn lstr(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n as usize)
    }
    fn varint(&mut self) -> Option<usize> {
        let mut n = 0;
        for shift in (0..28).step_by(7) {
            let b = self.u8()?;
            n |= ((b & 0x7F) as usize) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }
    fn props(&mut self) -> Option<Vec<(u8, Vec<u8>)>> {
        let len = self.varint()?;
        let mut c = Cursor(self.take(len)?);
        let mut out = Vec::new();
        while let Some(id) = c.u8() {
            let value = match id {
                0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => c.take(1)?.to_vec(),
                0x13 | 0x21 | 0x22 | 0x23 => c.take(2)?.to_vec(),
                0x02 | 0x11 | 0x18 | 0x27 => c.take(4)?.to_vec(),
                0x0B => varint(c.varint()?),
                // A User Property as `key=value`.
                0x26 => [c.lstr()?, b"=", c.lstr()?].concat(),
                _ => c.lstr()?.to_vec(),
            };
            out.push((id, value));
        }
        Some(out)
    }
}

/// Decodes `body` of a packet whose first byte is `first`; `v5` says
/// whether the connection speaks MQTT 5 (decides properties).
fn decode(first: u8, body: Vec<u8>, v5: bool) -> Packet {
    let mut p = Packet {
        kind: first >> 4,
        flags: first & 0x0F,
        ..Packet::default()
    };
    let mut c = Cursor(&body);
    let _ = (|| -> Option<()> {
        match p.kind {
            CONNECT => {
                c.lstr()?; // "MQTT"
                p.version = c.u8()?;
                p.connect_flags = c.u8()?;
                p.keepalive = c.u16()?;
                if p.version == 5 {
                    p.props = c.props()?;
                }
                p.client_id = String::from_utf8_lossy(c.lstr()?).into_owned();
            }
            PUBLISH => {
                p.topic = c.lstr()?.to_vec();
                if p.qos() > 0 {
                    p.id = c.u16()?;
                }
                if v5 {
                    p.props = c.props()?;
                }
                p.payload = c.0.to_vec();
            }
            SUBSCRIBE | UNSUBSCRIBE => {
                p.id = c.u16()?;
                if v5 {
                    p.props = c.props()?;
                }
                while !c.0.is_empty() {
                    let f = String::from_utf8_lossy(c.lstr()?).into_owned();
                    let opts = if p.kind == SUBSCRIBE { c.u8()? } else { 0 };
                    p.filters.push((f, opts));
                }
            }
            PUBACK | PUBREC | PUBREL | PUBCOMP => {
                p.id = c.u16()?;
                p.reason = c.u8().unwrap_or(0);
                p.props = c.props().unwrap_or_default();
            }
            DISCONNECT => {
                p.reason = c.u8().unwrap_or(0);
                p.props = c.props().unwrap_or_default();
            }
            _ => {}
        }
        Some(())
    })();
    p.body = body;
    p
}

// ---------------------------------------------------------------------------
// The broker.

/// One line of the transcript, in the order things happened on the wire.
#[derive(Clone, Debug)]
pub enum Event {
    /// The client sent this packet.
    Client(Packet),
    /// The script sent these bytes; the label says what they were meant as.
    Broker(String, Vec<u8>),
    /// A new connection was accepted.
    Accepted,
    /// The client closed its side (or the socket broke).
    ClientClosed,
}

struct Shared {
    stop: AtomicBool,
    transcript: Mutex<Vec<Event>>,
    stream: Mutex<Option<TcpStream>>,
}

/// The owner: a listener on 127.0.0.1 and the thread running the script.
pub struct FakeBroker {
    pub port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl FakeBroker {
    /// Listens on a free port and runs `script` on the first connection
    /// (waiting at most `STEP_BOUND` for it).
    pub fn start<F>(script: F) -> FakeBroker
    where
        F: FnOnce(&mut Conn) + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake broker");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            transcript: Mutex::new(Vec::new()),
            stream: Mutex::new(None),
        });
        let mut conn = Conn {
            listener,
            kept: Vec::new(),
            shared: shared.clone(),
            packets: None,
            v5: false,
        };
        let thread = std::thread::Builder::new()
            .name(format!("fake-broker-{port}"))
            .spawn(move || {
                conn.accept();
                script(&mut conn);
                conn.drop_connection();
            })
            .unwrap();
        FakeBroker {
            port,
            shared,
            thread: Some(thread),
        }
    }

    /// Everything sent both ways so far, in order.
    pub fn transcript(&self) -> Vec<Event> {
        self.shared.transcript.lock().unwrap().clone()
    }

    /// The packets the client sent so far.
    pub fn received(&self) -> Vec<Packet> {
        self.transcript()
            .into_iter()
            .filter_map(|e| match e {
                Event::Client(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// Waits (bounded) for the script to end, re-raising its panic, and
    /// returns the transcript. A script still running after `bound` fails.
    pub fn finish(self, bound: Duration) -> Vec<Event> {
        self.try_finish(bound).unwrap_or_else(|e| panic!("{e}"))
    }

    /// As `finish`, but a script that failed or overran is an `Err` with
    /// its message, for drivers that expect some scripts to fail.
    pub fn try_finish(mut self, bound: Duration) -> Result<Vec<Event>, String> {
        let t = self.thread.take().unwrap();
        let ended = super::wait_until(bound, || t.is_finished());
        self.stop();
        let result = t.join();
        if !ended {
            return Err(format!("fake broker script still running after {bound:?}"));
        }
        result.map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })?;
        Ok(self.transcript())
    }

    fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(s) = self.shared.stream.lock().unwrap().as_ref() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for FakeBroker {
    fn drop(&mut self) {
        let Some(t) = self.thread.take() else { return };
        self.stop();
        let result = t.join();
        if let (Err(e), false) = (result, std::thread::panicking()) {
            std::panic::resume_unwind(e);
        }
    }
}

/// The script's side of one client connection.
pub struct Conn {
    listener: TcpListener,
    /// Connections left open on purpose (`accept_keeping`).
    kept: Vec<TcpStream>,
    shared: Arc<Shared>,
    packets: Option<(Receiver<Packet>, JoinHandle<()>)>,
    /// Whether the client's CONNECT said MQTT 5.
    pub v5: bool,
}

impl Conn {
    fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    fn log(&self, e: Event) {
        self.shared.transcript.lock().unwrap().push(e);
    }

    /// Waits (bounded) for the next connection and starts reading it;
    /// a reconnecting client (`-V auto` falling back) needs this again.
    pub fn accept(&mut self) {
        self.drop_connection();
        let end = Instant::now() + STEP_BOUND;
        let stream = loop {
            match self.listener.accept() {
                Ok((s, _)) => break s,
                Err(_) if Instant::now() < end && !self.stopped() => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => panic!("fake broker: no client connected within {STEP_BOUND:?} ({e})"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        let _ = stream.set_nodelay(true);
        let (tx, rx) = channel();
        let reader = stream.try_clone().unwrap();
        let shared = self.shared.clone();
        *self.shared.stream.lock().unwrap() = Some(stream);
        self.log(Event::Accepted);
        let thread = std::thread::spawn(move || read_packets(reader, &shared, &tx));
        self.packets = Some((rx, thread));
    }

    /// As `accept`, but leaves the current connection open and silent (a
    /// broker that never answers a CONNECT while the client tries again).
    pub fn accept_keeping(&mut self) {
        if let Some(s) = self.shared.stream.lock().unwrap().take() {
            self.kept.push(s);
        }
        self.packets = None;
        self.accept();
    }

    /// Closes the socket (if open) and waits for its reader.
    fn drop_connection(&mut self) {
        if let Some(s) = self.shared.stream.lock().unwrap().take() {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some((_, t)) = self.packets.take() {
            let _ = t.join();
        }
    }

    /// The next packet the client sends, whatever it is; `None` when it
    /// closed the connection. Panics after `STEP_BOUND`.
    pub fn next(&mut self) -> Option<Packet> {
        let (rx, _) = self.packets.as_ref().expect("no connection");
        let end = Instant::now() + STEP_BOUND;
        loop {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(p) => {
                    if p.kind == CONNECT {
                        self.v5 = p.version == 5;
                    }
                    return Some(p);
                }
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) if Instant::now() < end && !self.stopped() => {}
                Err(_) if self.stopped() => {
                    panic!("fake broker: the test ended while waiting for a packet")
                }
                Err(_) => panic!("fake broker: the client sent nothing within {STEP_BOUND:?}"),
            }
        }
    }

    /// The next packet, which must be of `kind` (PINGREQs are skipped).
    pub fn expect(&mut self, kind: u8) -> Packet {
        loop {
            match self.next() {
                Some(p) if p.kind == PINGREQ && kind != PINGREQ => continue,
                Some(p) if p.kind == kind => return p,
                Some(p) => panic!("fake broker: expected packet type {kind}, got {p:?}"),
                None => panic!("fake broker: expected packet type {kind}, the client closed"),
            }
        }
    }

    /// Reads and records whatever the client sends until it closes the
    /// connection or the owner stops the broker (withholding every answer).
    pub fn hold(&mut self) {
        let Some((rx, _)) = self.packets.as_ref() else {
            return;
        };
        while !self.stopped() {
            if let Err(RecvTimeoutError::Disconnected) = rx.recv_timeout(Duration::from_millis(20))
            {
                return;
            }
        }
    }

    /// Sends raw bytes; `what` labels them in the transcript. A write to a
    /// client that already went away is recorded and otherwise ignored.
    pub fn send(&mut self, what: &str, bytes: &[u8]) {
        self.log(Event::Broker(what.to_string(), bytes.to_vec()));
        if let Some(s) = self.shared.stream.lock().unwrap().as_mut() {
            let _ = s.write_all(bytes);
        }
    }

    /// Reads the CONNECT and answers success, in the client's protocol
    /// (`props` only on MQTT 5).
    pub fn handshake(&mut self, props: Props) -> Packet {
        let c = self.expect(CONNECT);
        if self.v5 {
            self.connack_v5(0, props);
        } else {
            self.connack_311(0);
        }
        c
    }

    /// A MQTT 5 CONNACK: `reason` 0 is success, ≥ 0x80 a refusal.
    pub fn connack_v5(&mut self, reason: u8, props: Props) {
        let mut body = vec![0, reason];
        body.extend(props.encode());
        self.send("CONNACK", &packet(CONNACK << 4, &body));
    }

    /// A 3.1.1 CONNACK with return code `rc`.
    pub fn connack_311(&mut self, rc: u8) {
        self.send("CONNACK", &packet(CONNACK << 4, &[0, rc]));
    }

    /// Reads a SUBSCRIBE and answers it with `codes` (one per filter; a
    /// QoS granted or a refusal ≥ 0x80). Returns the SUBSCRIBE.
    pub fn suback(&mut self, codes: &[u8]) -> Packet {
        let s = self.expect(SUBSCRIBE);
        self.suback_to(&s, codes);
        s
    }

    /// Answers the SUBSCRIBE `s`, read earlier, with `codes`.
    pub fn suback_to(&mut self, s: &Packet, codes: &[u8]) {
        let mut body = s.id.to_be_bytes().to_vec();
        if self.v5 {
            body.extend(Props::new().encode());
        }
        body.extend_from_slice(codes);
        self.send("SUBACK", &packet(SUBACK << 4, &body));
    }

    /// Reads an UNSUBSCRIBE and answers it: success for each filter.
    pub fn unsuback(&mut self) -> Packet {
        let u = self.expect(UNSUBSCRIBE);
        let mut body = u.id.to_be_bytes().to_vec();
        if self.v5 {
            body.extend(Props::new().encode());
            body.extend(std::iter::repeat_n(0u8, u.filters.len().max(1)));
        }
        self.send("UNSUBACK", &packet(UNSUBACK << 4, &body));
        u
    }

    /// PUBACK, PUBREC, PUBREL or PUBCOMP for `id`, with `reason` on MQTT 5.
    pub fn ack(&mut self, kind: u8, id: u16, reason: u8) {
        let v5 = self.v5.then_some((reason, None));
        self.send(&format!("ack {kind} id {id}"), &ack(kind, id, v5));
    }

    pub fn publish(&mut self, p: &Publish) {
        self.send("PUBLISH", &p.encode());
    }

    /// A MQTT 5 DISCONNECT with `reason` and an optional Reason String.
    pub fn disconnect(&mut self, reason: u8, why: Option<&str>) {
        self.send("DISCONNECT", &disconnect(reason, why));
    }

    /// Shuts down our sending side only; the client's packets still arrive.
    pub fn half_close(&mut self) {
        self.log(Event::Broker("half close".into(), Vec::new()));
        if let Some(s) = self.shared.stream.lock().unwrap().as_ref() {
            let _ = s.shutdown(Shutdown::Write);
        }
    }

    /// Closes the connection both ways.
    pub fn close(&mut self) {
        self.log(Event::Broker("close".into(), Vec::new()));
        self.drop_connection();
    }
}

/// The reader thread: decodes packets as they arrive, records each in the
/// transcript and hands it to the script, until EOF or a broken packet.
fn read_packets(mut s: TcpStream, shared: &Shared, tx: &Sender<Packet>) {
    let mut v5 = false;
    let mut one = [0u8; 1];
    loop {
        let mut read = |buf: &mut [u8]| s.read_exact(buf).is_ok();
        if !read(&mut one) {
            break;
        }
        let first = one[0];
        let (mut len, mut shift) = (0usize, 0);
        loop {
            if shift > 21 || !read(&mut one) {
                shared.transcript.lock().unwrap().push(Event::ClientClosed);
                return;
            }
            len |= ((one[0] & 0x7F) as usize) << shift;
            shift += 7;
            if one[0] & 0x80 == 0 {
                break;
            }
        }
        let mut body = vec![0; len];
        if !read(&mut body) {
            break;
        }
        let p = decode(first, body, v5);
        if p.kind == CONNECT {
            v5 = p.version == 5;
        }
        shared
            .transcript
            .lock()
            .unwrap()
            .push(Event::Client(p.clone()));
        if tx.send(p).is_err() {
            break;
        }
    }
    shared.transcript.lock().unwrap().push(Event::ClientClosed);
}
