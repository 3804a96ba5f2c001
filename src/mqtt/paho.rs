//! The one file that calls Paho C (through `paho-mqtt-sys`) and the only
//! unsafe code in mqrr.
//!
//! mqrr owns the client's callbacks instead of going through the
//! `paho-mqtt` crate, because that crate's message callback unwraps the
//! topic as UTF-8 and as a C string: a broker that sends a non-UTF-8 or NUL
//! topic aborted the process (issue #11). Owning them also gives mqrr the
//! broker's DISCONNECT reason, the CONNACK properties, binary passwords,
//! and a payload handed to Paho without intermediate copies (a publish
//! costs our buffer plus Paho's one copy).
//!
//! Every operation registers a completion under a numeric id; the id, not
//! a pointer, is Paho's callback context, so a callback Paho calls twice or
//! never costs nothing worse than an ignored id or a leaked channel.
//! Callbacks never panic and never block: they copy what they need and
//! hand it to async channels.
//!
//! The client is never destroyed: `MQTTAsync_destroy` joins Paho's threads,
//! which takes about 1 s (issue #6); the process exits after the clean
//! DISCONNECT instead.

#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use paho_mqtt_sys as ffi;
use tokio::sync::{mpsc, oneshot};

use super::properties::{Kind, Property, Value, id, kind};
use crate::message::{Message, Properties as MessageProperties};

/// What Paho reports on the connection, in the order it happened.
#[derive(Debug)]
pub enum Event {
    Message(Message),
    /// A PUBLISH mqrr cannot accept (e.g. its topic is not valid UTF-8);
    /// dropped, with what was wrong.
    Malformed(String),
    /// The broker sent DISCONNECT (MQTT 5 §3.14) with this reason code.
    Disconnected {
        reason: u8,
        reason_string: Option<String>,
    },
    /// The connection went away; Paho gives no cause.
    Lost,
    /// A PUBLISH completed: written (QoS 0) or acknowledged (QoS 1/2), or
    /// refused. It comes through the same queue as the messages, so their
    /// order is the order in which Paho saw them.
    Published {
        tag: u64,
        outcome: Outcome,
    },
}

/// A completed operation: what the broker answered.
#[derive(Debug, Default, Clone)]
pub struct Done {
    /// One reason code per filter for SUBACK/UNSUBACK (on MQTT 3.1.1 the
    /// granted QoS or 0x80); the CONNACK or PUBACK reason otherwise.
    pub reason_codes: Vec<u8>,
    /// Properties of the CONNACK or SUBACK.
    pub properties: Vec<Property>,
    /// The protocol version a CONNECT settled on (Paho's 4 or 5).
    pub mqtt_version: i32,
    pub session_present: bool,
}

/// A failed operation.
#[derive(Debug, Clone)]
pub struct Failed {
    /// Paho C's return code: negative for library errors (`-3`
    /// disconnected…), `-1` when the broker answered with a reason code,
    /// or a 3.1.1 CONNACK return code / SUBACK 0x80.
    pub code: i32,
    /// The broker's MQTT 5 reason code, when it gave one.
    pub reason: Option<u8>,
    /// Paho's description, when it gave one.
    pub message: Option<String>,
    /// The MQTT 5 Reason String property, when the broker sent one.
    pub reason_string: Option<String>,
}

impl Failed {
    pub(super) fn code(code: i32) -> Failed {
        Failed {
            code,
            reason: None,
            message: None,
            reason_string: None,
        }
    }

    /// Paho C's own words for a (negative) return code.
    pub fn paho_text(&self) -> String {
        // SAFETY: MQTTAsync_strerror returns a static string or NULL.
        let p = unsafe { ffi::MQTTAsync_strerror(self.code) };
        if p.is_null() {
            format!("error {}", self.code)
        } else {
            // SAFETY: non-null, NUL-terminated static text.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    }
}

pub type Outcome = Result<Done, Failed>;
/// Resolves when the broker answered (or Paho gave up on) an operation.
pub type Completion = oneshot::Receiver<Outcome>;

/// Paho C's return codes mqrr tells apart.
pub mod rc {
    pub const FAILURE: i32 = -1;
    pub const DISCONNECTED: i32 = -3;
    pub const BAD_UTF8_STRING: i32 = -5;
}

/// What a completion callback must decode: the union member Paho filled.
#[derive(Clone, Copy)]
enum Expect {
    Connect,
    /// SUBSCRIBE or UNSUBSCRIBE with this many filters.
    Filters(usize),
    Other,
}

/// Where a completion goes: a one-off waiter, or the stream of publish
/// acknowledgements (many in flight, tagged by the caller).
enum Sink {
    Once(oneshot::Sender<Outcome>),
    Tagged(u64, &'static Shared),
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
static PENDING: Mutex<Option<HashMap<usize, (Expect, Sink)>>> = Mutex::new(None);

/// Registers a completion; its id travels as Paho's context pointer.
fn register(expect: Expect, sink: Sink) -> *mut c_void {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut map) = PENDING.lock() {
        map.get_or_insert_with(HashMap::new)
            .insert(id, (expect, sink));
    }
    id as *mut c_void
}

/// Takes a completion back: from a callback, or when Paho refused the call
/// outright and will never call back.
fn take(context: *mut c_void) -> Option<(Expect, Sink)> {
    let id = context as usize;
    PENDING.lock().ok()?.as_mut()?.remove(&id)
}

fn complete(context: *mut c_void, outcome: impl FnOnce(Expect) -> Outcome) {
    match take(context) {
        Some((expect, Sink::Once(tx))) => {
            let _ = tx.send(outcome(expect));
        }
        Some((expect, Sink::Tagged(tag, shared))) => {
            let outcome = outcome(expect);
            let _ = shared.events.send(Event::Published { tag, outcome });
        }
        None => {}
    }
}

/// Where the connection callbacks deliver; leaked once per client, since
/// the client lives as long as the process.
struct Shared {
    events: mpsc::UnboundedSender<Event>,
    /// When set, messages go here instead of `events`.
    tap: Option<Mutex<Tapped>>,
    /// The client, for the DISCONNECT a tap asks for.
    handle: Handle,
    /// The protocol of the last CONNECT: the callbacks Paho accepts depend on it.
    v5: AtomicBool,
    /// The user's `-D disconnect` properties.
    disconnect_properties: Vec<Property>,
    /// The DISCONNECT a tap started, for `Client::disconnect` to wait on.
    tap_disconnect: Mutex<Option<Completion>>,
}

/// Paho's client handle, shared with its own callbacks.
struct Handle(ffi::MQTTAsync);

// SAFETY: as for `Client`: Paho's API may be called from any thread, and
// the handle is never destroyed.
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

/// Handles each received message on Paho's receive thread, in the order
/// they arrive, instead of the event queue: `sub` prints from here (see
/// commands/subscribe.rs for why). It runs while Paho holds its client
/// lock, so it must never call Paho and never wait on anything that does;
/// it returns `Flow::Disconnect` to have the DISCONNECT sent from there.
pub type Tap = Box<dyn FnMut(&Message) -> Flow + Send>;

/// What a tap wants once it has handled a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// It wants nothing more: DISCONNECT (reason 0) now. From that call on
    /// Paho neither delivers nor acknowledges a PUBLISH (patches/0005 of
    /// paho-mqtt-sys), so what the broker sends meanwhile stays in a
    /// persistent session instead of being acknowledged and dropped.
    Disconnect,
}

/// A tap and the message it is handed, refilled for every PUBLISH: its
/// buffers are reused, so receiving allocates nothing once they have grown.
struct Tapped {
    tap: Tap,
    message: Message,
}

/// A payload buffer larger than this is freed after its message.
const LARGE_PAYLOAD: usize = 1 << 20;

/// Where a client's events arrive, in order (`Client::create`).
pub type Events = mpsc::UnboundedReceiver<Event>;

/// One Paho C asynchronous client.
pub struct Client {
    handle: ffi::MQTTAsync,
    shared: &'static Shared,
}

// SAFETY: Paho C's MQTTAsync API may be called from any thread; it locks
// internally. The handle is never destroyed, so it never dangles.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

/// Tells Paho not to initialise OpenSSL when a client is created. OpenSSL
/// ≥ 1.1 initialises itself on first use, so a plain TCP request never pays
/// for it (measured: 0.7 ms of a ~2 ms round trip, issue #6).
fn global_init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut opts = ffi::MQTTAsync_init_options {
            struct_id: [
                b'M' as c_char,
                b'Q' as c_char,
                b'T' as c_char,
                b'G' as c_char,
            ],
            struct_version: 0,
            do_openssl_init: 0,
        };
        // SAFETY: called once, before any client exists, with a valid
        // options struct that outlives the call.
        unsafe { ffi::MQTTAsync_global_init(&mut opts) };
    });
}

// OpenSSL's own entry point, from the libssl that paho-mqtt-sys links (the
// openssl-sys crate would link it a second time, dynamically by pkg-config:
// the binary then exported 5,000 OpenSSL symbols for a libssl.so it never
// loads, 0.5 MiB more peak RSS for every request).
unsafe extern "C" {
    fn OPENSSL_init_ssl(opts: u64, settings: *const c_void) -> c_int;
}

/// OpenSSL's `OPENSSL_INIT_LOAD_SSL_STRINGS` and `OPENSSL_INIT_NO_ATEXIT`
/// (OpenSSL ≥ 1.1.1b, `<openssl/ssl.h>`, `<openssl/crypto.h>`).
const OPENSSL_INIT_OPTIONS: u64 = 0x0020_0000 | 0x0008_0000;

/// Initialises OpenSSL once, without its cleanup at exit (see
/// `Client::create`).
fn openssl_init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: OPENSSL_init_ssl is thread-safe and takes a null settings
        // pointer for the defaults; it is called once, before Paho uses TLS.
        unsafe { OPENSSL_init_ssl(OPENSSL_INIT_OPTIONS, std::ptr::null()) };
    });
}

/// A C string for Paho, or `BAD_UTF8_STRING` when `s` holds a NUL (the
/// callers check topics and ids before; this keeps the FFI total).
fn c_string(s: &str) -> Result<CString, Failed> {
    CString::new(s).map_err(|_| Failed::code(rc::BAD_UTF8_STRING))
}

/// The TLS settings Paho takes (`MQTTAsync_SSLOptions`).
#[derive(Debug, Clone, Default)]
pub struct Tls {
    pub trust_store: Option<String>,
    pub ca_path: Option<String>,
    pub key_store: Option<String>,
    pub private_key: Option<String>,
    pub ciphers: Option<String>,
    /// TLS-PSK identity and key.
    pub psk: Option<(String, Vec<u8>)>,
    /// Check the chain (Paho's `enableServerCertAuth`) and the host name
    /// (Paho's `verify`).
    pub verify: bool,
    /// ALPN protocol names.
    pub alpn: Vec<String>,
}

/// A Last Will (MQTT 5 §3.1.2.5).
#[derive(Debug, Clone, Default)]
pub struct Will {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
    pub properties: Vec<Property>,
}

/// Everything one CONNECT needs.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// 4 (3.1.1) or 5.
    pub version: i32,
    pub keepalive_s: u16,
    /// Clean Start (5) / Clean Session (3.1.1).
    pub clean: bool,
    pub username: Option<String>,
    /// Binary-safe (MQTT 5 §3.1.3.5).
    pub password: Option<Vec<u8>>,
    /// Seconds Paho waits for the CONNACK; mqrr's own deadline is exact.
    pub timeout_s: i32,
    pub tls: Option<Tls>,
    pub will: Option<Will>,
    pub properties: Vec<Property>,
    pub http_proxy: Option<String>,
}

/// A subscription request: filter, maximum QoS and the MQTT 5 options.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub filter: String,
    pub qos: u8,
    pub no_local: bool,
    pub retain_as_published: bool,
    /// 0 send retained, 1 only for new subscriptions, 2 never (MQTT 5 §3.8.3.1).
    pub retain_handling: u8,
}

/// A Paho property list built from mqrr's, freed on drop.
struct CProperties(ffi::MQTTProperties);

impl CProperties {
    fn new(props: &[Property]) -> Result<CProperties, Failed> {
        let mut list = CProperties(ffi::MQTTProperties::default());
        for p in props {
            // Paho copies string and binary data in MQTTProperties_add,
            // so the borrowed pointers below only need to live for the call.
            let mut prop: ffi::MQTTProperty = unsafe { std::mem::zeroed() };
            prop.identifier = p.id as ffi::MQTTPropertyCodes;
            let len = |n: usize| c_int::try_from(n).map_err(|_| Failed::code(rc::FAILURE));
            match (&p.value, kind(p.id)) {
                (Value::Int(v), Some(Kind::Byte)) => prop.value.byte = *v as u8,
                (Value::Int(v), Some(Kind::TwoByte)) => prop.value.integer2 = *v as u16,
                (Value::Int(v), Some(Kind::FourByte | Kind::VarInt)) => {
                    prop.value.integer4 = *v;
                }
                (Value::String(s), Some(Kind::String)) => {
                    prop.value.__bindgen_anon_1.data = ffi::MQTTLenString {
                        len: len(s.len())?,
                        data: s.as_ptr() as *mut c_char,
                    };
                }
                (Value::Binary(b), Some(Kind::Binary)) => {
                    prop.value.__bindgen_anon_1.data = ffi::MQTTLenString {
                        len: len(b.len())?,
                        data: b.as_ptr() as *mut c_char,
                    };
                }
                (Value::Pair(k, v), Some(Kind::Pair)) => {
                    prop.value.__bindgen_anon_1.data = ffi::MQTTLenString {
                        len: len(k.len())?,
                        data: k.as_ptr() as *mut c_char,
                    };
                    prop.value.__bindgen_anon_1.value = ffi::MQTTLenString {
                        len: len(v.len())?,
                        data: v.as_ptr() as *mut c_char,
                    };
                }
                _ => return Err(Failed::code(rc::FAILURE)),
            }
            // SAFETY: `list.0` is an initialised property list; `prop` is a
            // valid property whose data Paho copies before returning.
            let rc = unsafe { ffi::MQTTProperties_add(&mut list.0, &prop) };
            if rc != 0 {
                return Err(Failed::code(rc));
            }
        }
        Ok(list)
    }
}

impl Drop for CProperties {
    fn drop(&mut self) {
        // SAFETY: a list built by MQTTProperties_add (or empty).
        unsafe { ffi::MQTTProperties_free(&mut self.0) };
    }
}

/// mqrr's copy of a property list Paho hands to a callback. Unknown
/// identifiers (which Paho would not have parsed) are skipped.
///
/// # Safety
/// `props` must point to a valid property list for the duration of the call.
unsafe fn read_properties(props: *const ffi::MQTTProperties) -> Vec<Property> {
    let mut out = Vec::new();
    // SAFETY: see the function's contract.
    let Some(props) = (unsafe { props.as_ref() }) else {
        return out;
    };
    if props.array.is_null() || props.count <= 0 {
        return out;
    }
    // SAFETY: Paho's list holds `count` initialised entries at `array`.
    let array = unsafe { std::slice::from_raw_parts(props.array, props.count as usize) };
    for p in array {
        let id = p.identifier as u8;
        // SAFETY: the union member read matches the property's type, as
        // Paho's parser filled it; string data is `len` readable bytes.
        let value = unsafe {
            match kind(id) {
                Some(Kind::Byte) => Value::Int(u32::from(p.value.byte)),
                Some(Kind::TwoByte) => Value::Int(u32::from(p.value.integer2)),
                Some(Kind::FourByte | Kind::VarInt) => Value::Int(p.value.integer4),
                Some(Kind::String) => Value::String(lossy(&p.value.__bindgen_anon_1.data)),
                Some(Kind::Binary) => Value::Binary(bytes(&p.value.__bindgen_anon_1.data).to_vec()),
                Some(Kind::Pair) => Value::Pair(
                    lossy(&p.value.__bindgen_anon_1.data),
                    lossy(&p.value.__bindgen_anon_1.value),
                ),
                None => continue,
            }
        };
        out.push(Property { id, value });
    }
    out
}

/// # Safety
/// `s.data` must point to `s.len` readable bytes, or be null.
unsafe fn bytes(s: &ffi::MQTTLenString) -> &[u8] {
    if s.data.is_null() || s.len <= 0 {
        return &[];
    }
    // SAFETY: see the function's contract.
    unsafe { std::slice::from_raw_parts(s.data as *const u8, s.len as usize) }
}

/// # Safety
/// As `bytes`.
unsafe fn lossy(s: &ffi::MQTTLenString) -> String {
    // SAFETY: forwarded contract.
    String::from_utf8_lossy(unsafe { bytes(s) }).into_owned()
}

/// # Safety
/// `p` must be null or a NUL-terminated string.
unsafe fn c_text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: see the function's contract.
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

fn reason_string(props: &[Property]) -> Option<String> {
    super::properties::find_string(props, id::REASON_STRING).map(str::to_string)
}

// --- Callbacks. Each runs on a Paho thread; none may panic or block. ---

unsafe extern "C" fn on_success(context: *mut c_void, data: *mut ffi::MQTTAsync_successData) {
    complete(context, |expect| {
        let mut done = Done::default();
        // SAFETY: Paho passes a valid success struct (or null) whose union
        // member matches the operation `expect` records.
        let Some(data) = (unsafe { data.as_ref() }) else {
            return Ok(done);
        };
        match expect {
            Expect::Connect => unsafe {
                done.mqtt_version = data.alt.connect.MQTTVersion;
                done.session_present = data.alt.connect.sessionPresent != 0;
            },
            Expect::Filters(n) => unsafe {
                if n == 1 {
                    done.reason_codes = vec![data.alt.qos as u8];
                } else if !data.alt.qosList.is_null() {
                    done.reason_codes = std::slice::from_raw_parts(data.alt.qosList, n)
                        .iter()
                        .map(|&q| q as u8)
                        .collect();
                }
            },
            Expect::Other => {}
        }
        Ok(done)
    });
}

unsafe extern "C" fn on_failure(context: *mut c_void, data: *mut ffi::MQTTAsync_failureData) {
    complete(context, |_| {
        // SAFETY: Paho passes a valid failure struct or null.
        let Some(data) = (unsafe { data.as_ref() }) else {
            return Err(Failed::code(rc::FAILURE));
        };
        Err(Failed {
            code: data.code,
            reason: None,
            // SAFETY: NUL-terminated text or null.
            message: unsafe { c_text(data.message) },
            reason_string: None,
        })
    });
}

unsafe extern "C" fn on_success5(context: *mut c_void, data: *mut ffi::MQTTAsync_successData5) {
    complete(context, |expect| {
        let mut done = Done::default();
        // SAFETY: as in `on_success`; for SUBACK/UNSUBACK with one filter
        // Paho leaves the array unset and puts the code in `reasonCode`.
        let Some(data) = (unsafe { data.as_ref() }) else {
            return Ok(done);
        };
        done.reason_codes = vec![data.reasonCode as u8];
        match expect {
            Expect::Connect => unsafe {
                done.mqtt_version = data.alt.connect.MQTTVersion;
                done.session_present = data.alt.connect.sessionPresent != 0;
                done.properties = read_properties(&data.properties);
            },
            Expect::Filters(_) => unsafe {
                let count = data.alt.sub.reasonCodeCount;
                if count > 1 && !data.alt.sub.reasonCodes.is_null() {
                    done.reason_codes =
                        std::slice::from_raw_parts(data.alt.sub.reasonCodes, count as usize)
                            .iter()
                            .map(|&c| c as u8)
                            .collect();
                }
                done.properties = read_properties(&data.properties);
            },
            Expect::Other => {}
        }
        Ok(done)
    });
}

unsafe extern "C" fn on_failure5(context: *mut c_void, data: *mut ffi::MQTTAsync_failureData5) {
    complete(context, |_| {
        // SAFETY: Paho passes a valid failure struct or null.
        let Some(data) = (unsafe { data.as_ref() }) else {
            return Err(Failed::code(rc::FAILURE));
        };
        // SAFETY: the struct's property list and text are valid for the call.
        let props = unsafe { read_properties(&data.properties) };
        let reason = data.reasonCode;
        Err(Failed {
            code: data.code,
            reason: (reason != 0).then_some(reason as u8),
            message: unsafe { c_text(data.message) },
            reason_string: reason_string(&props),
        })
    });
}

unsafe extern "C" fn on_message(
    context: *mut c_void,
    topic: *mut c_char,
    topic_len: c_int,
    mut message: *mut ffi::MQTTAsync_message,
) -> c_int {
    // SAFETY: `context` is the leaked `Shared` of this client.
    let shared = unsafe { &*(context as *const Shared) };
    // SAFETY: Paho passes the topic (NUL-terminated when `topic_len` is 0,
    // else exactly `topic_len` bytes that contain a NUL) and a message it
    // owns until MQTTAsync_freeMessage.
    let event = unsafe {
        let topic_bytes: &[u8] = if topic.is_null() {
            &[]
        } else if topic_len > 0 {
            std::slice::from_raw_parts(topic as *const u8, topic_len as usize)
        } else {
            CStr::from_ptr(topic).to_bytes()
        };
        match (message.as_ref(), &shared.tap) {
            (None, _) => Some(Event::Malformed("PUBLISH without a message".into())),
            (Some(m), None) => {
                let mut msg = Message::default();
                match fill(&mut msg, topic_bytes, m) {
                    Ok(()) => Some(Event::Message(msg)),
                    Err(why) => Some(Event::Malformed(why)),
                }
            }
            (Some(m), Some(tapped)) => match tapped.lock() {
                Ok(mut t) => {
                    let Tapped { tap, message } = &mut *t;
                    match fill(message, topic_bytes, m) {
                        Ok(()) => {
                            let flow = tap(message);
                            // One large message must not keep its buffer
                            // for the rest of a long run.
                            if message.payload.capacity() > LARGE_PAYLOAD {
                                message.payload = Vec::new();
                            }
                            if flow == Flow::Disconnect {
                                shared.disconnect_for_tap();
                            }
                            None
                        }
                        Err(why) => Some(Event::Malformed(why)),
                    }
                }
                // A tap that panicked: the process is aborting anyway.
                Err(_) => None,
            },
        }
    };
    if let Some(event) = event {
        let _ = shared.events.send(event);
    }
    // SAFETY: both were allocated by Paho for this call and are not used
    // after this point.
    unsafe {
        ffi::MQTTAsync_freeMessage(&mut message);
        ffi::MQTTAsync_free(topic as *mut c_void);
    }
    1
}

/// Copies a PUBLISH out of Paho's structures into `msg` (reusing its
/// buffers), or says why it is not one.
///
/// # Safety
/// `m` must be a valid message from Paho's message callback.
unsafe fn fill(msg: &mut Message, topic: &[u8], m: &ffi::MQTTAsync_message) -> Result<(), String> {
    match std::str::from_utf8(topic) {
        Ok("") => return Err("PUBLISH with an empty topic".into()),
        Ok(t) if t.contains(['\0', '+', '#']) => {
            return Err(format!(
                "PUBLISH with a topic no message may have ({})",
                crate::error::sanitize(t)
            ));
        }
        Ok(t) => {
            msg.topic.clear();
            msg.topic.push_str(t);
        }
        Err(_) => {
            return Err(format!(
                "PUBLISH whose topic is not UTF-8 ({})",
                String::from_utf8_lossy(topic)
            ));
        }
    };
    msg.payload.clear();
    if !m.payload.is_null() && m.payloadlen > 0 {
        // SAFETY: Paho's payload is `payloadlen` readable bytes.
        msg.payload.extend_from_slice(unsafe {
            std::slice::from_raw_parts(m.payload as *const u8, m.payloadlen as usize)
        });
    }
    let properties = &mut msg.properties;
    // Field by field, keeping the lists' buffers.
    let MessageProperties {
        payload_format,
        message_expiry,
        topic_alias,
        response_topic,
        correlation,
        user,
        subscription_ids,
        content_type,
    } = properties;
    (*payload_format, *message_expiry, *topic_alias) = (None, None, None);
    (*response_topic, *correlation, *content_type) = (None, None, None);
    user.clear();
    subscription_ids.clear();
    // SAFETY: the message's property list is valid while we hold `m`.
    for p in unsafe { read_properties(&m.properties) } {
        match (p.id, p.value) {
            (0x01, Value::Int(v)) => properties.payload_format = Some(v as u8),
            (0x02, Value::Int(v)) => properties.message_expiry = Some(v),
            (0x03, Value::String(s)) => properties.content_type = Some(s),
            (0x08, Value::String(s)) => properties.response_topic = Some(s),
            (0x09, Value::Binary(b)) => properties.correlation = Some(b),
            (0x0B, Value::Int(v)) => properties.subscription_ids.push(v),
            (0x23, Value::Int(v)) => properties.topic_alias = Some(v as u16),
            (0x26, Value::Pair(k, v)) => properties.user.push((k, v)),
            _ => {}
        }
    }
    msg.qos = m.qos.clamp(0, 2) as u8;
    msg.retain = m.retained != 0;
    msg.mid = m.msgid as u16;
    Ok(())
}

unsafe extern "C" fn on_connection_lost(context: *mut c_void, _cause: *mut c_char) {
    // SAFETY: `context` is the leaked `Shared` of this client.
    let shared = unsafe { &*(context as *const Shared) };
    let _ = shared.events.send(Event::Lost);
}

unsafe extern "C" fn on_disconnected(
    context: *mut c_void,
    props: *mut ffi::MQTTProperties,
    reason: ffi::MQTTReasonCodes,
) {
    // SAFETY: `context` is the leaked `Shared`; `props` is the DISCONNECT's
    // property list, valid for the call.
    let shared = unsafe { &*(context as *const Shared) };
    let props = unsafe { read_properties(props) };
    let _ = shared.events.send(Event::Disconnected {
        reason: reason as u8,
        reason_string: reason_string(&props),
    });
}

/// The response options of one operation, with the callbacks the
/// connection's protocol version requires (Paho refuses the other kind).
fn response_options(v5: bool, context: *mut c_void) -> ffi::MQTTAsync_responseOptions {
    let mut opts = ffi::MQTTAsync_responseOptions {
        context,
        ..Default::default()
    };
    if v5 {
        opts.onSuccess5 = Some(on_success5);
        opts.onFailure5 = Some(on_failure5);
    } else {
        opts.onSuccess = Some(on_success);
        opts.onFailure = Some(on_failure);
    }
    opts
}

/// Runs a Paho call that takes a registered context; when Paho refuses it
/// at once (it will then never call back), the registration is undone.
fn start(expect: Expect, call: impl FnOnce(*mut c_void) -> c_int) -> Result<Completion, Failed> {
    let (tx, rx) = oneshot::channel();
    start_into(expect, Sink::Once(tx), call)?;
    Ok(rx)
}

fn start_into(
    expect: Expect,
    sink: Sink,
    call: impl FnOnce(*mut c_void) -> c_int,
) -> Result<(), Failed> {
    let context = register(expect, sink);
    let rc = call(context);
    if rc != 0 {
        take(context);
        return Err(Failed::code(rc));
    }
    Ok(())
}

impl Client {
    /// Creates a client for `uri` (`tcp://`, `ssl://`, `ws://`, `wss://`,
    /// `unix://`) and `client_id`, with its event stream; received messages
    /// go to `tap` instead, when given (`disconnect_properties` go on the
    /// DISCONNECT it may ask for). Connects nothing.
    pub fn create(
        uri: &str,
        client_id: &str,
        tap: Option<Tap>,
        disconnect_properties: &[Property],
    ) -> Result<(Client, Events), Failed> {
        global_init();
        if uri.starts_with("ssl://") || uri.starts_with("wss://") {
            // OpenSSL as Paho would initialise it on first use, but without
            // its cleanup at exit: mqrr exits while Paho's threads may still
            // be in a TLS handshake (a deadline passed, or -V auto gave up
            // on MQTT 5), and the cleanup freed what they were using (a
            // signal at exit, 1 run in 300 of the random command lines).
            // Plain TCP never pays for it (issue #6).
            openssl_init();
        }
        let uri = c_string(uri)?;
        let id = c_string(client_id)?;
        let mut create = ffi::MQTTAsync_createOptions {
            // Lets one client speak either version: Paho refuses an MQTT 5
            // CONNECT from a client created for 3.1.1.
            MQTTVersion: ffi::MQTTVERSION_5 as c_int,
            // Paho's default of 100 also counts publishes waiting for an
            // in-flight slot while connected: past it MQTTAsync_sendMessage
            // fails (-12, MQTTASYNC_MAX_BUFFERED_MESSAGES). With mosquitto's
            // 20 in flight, `serve` under load lost replies that way (issue
            // #17). Nothing is buffered while disconnected
            // (sendWhileDisconnected is 0), so the count only bounds what
            // mqrr itself queued: `pub -l` hands it a window of at most
            // 1,024 (commands/publish.rs), since Paho scans its whole
            // queue for each command it sends.
            maxBufferedMessages: c_int::MAX,
            ..Default::default()
        };
        let mut handle: ffi::MQTTAsync = std::ptr::null_mut();
        // SAFETY: valid out-pointer and C strings (copied by Paho), no
        // persistence.
        let rc = unsafe {
            ffi::MQTTAsync_createWithOptions(
                &mut handle,
                uri.as_ptr(),
                id.as_ptr(),
                ffi::MQTTCLIENT_PERSISTENCE_NONE as c_int,
                std::ptr::null_mut(),
                &mut create,
            )
        };
        if rc != 0 || handle.is_null() {
            return Err(Failed::code(rc));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let tap = tap.map(|tap| {
            Mutex::new(Tapped {
                tap,
                message: Message::default(),
            })
        });
        let shared: &'static Shared = Box::leak(Box::new(Shared {
            events: tx,
            tap,
            handle: Handle(handle),
            v5: AtomicBool::new(true),
            disconnect_properties: disconnect_properties.to_vec(),
            tap_disconnect: Mutex::new(None),
        }));
        let context = shared as *const Shared as *mut c_void;
        // SAFETY: a live handle and callbacks with the signatures Paho
        // expects; `context` lives for the rest of the process.
        let rc = unsafe {
            let rc = ffi::MQTTAsync_setCallbacks(
                handle,
                context,
                Some(on_connection_lost),
                Some(on_message),
                None,
            );
            if rc == 0 {
                ffi::MQTTAsync_setDisconnected(handle, context, Some(on_disconnected))
            } else {
                rc
            }
        };
        if rc != 0 {
            return Err(Failed::code(rc));
        }
        Ok((Client { handle, shared }, rx))
    }

    /// Takes this client's tap back (leaving one that drops everything), for
    /// a new client that replaces this one before it ever connected (`-V
    /// auto` falling back to 3.1.1).
    pub fn take_tap(&self) -> Option<Tap> {
        let tapped = self.shared.tap.as_ref()?;
        let mut t = tapped.lock().ok()?;
        Some(std::mem::replace(&mut t.tap, Box::new(|_| Flow::Continue)))
    }

    /// Starts a CONNECT; the completion carries the CONNACK.
    pub fn connect(&self, o: &ConnectOptions) -> Result<Completion, Failed> {
        let v5 = o.version == ffi::MQTTVERSION_5 as i32;
        self.shared.v5.store(v5, Ordering::SeqCst);
        let username = o.username.as_deref().map(c_string).transpose()?;
        let tls = o.tls.as_ref().map(CTls::new).transpose()?;
        let will = o.will.as_ref().map(CWill::new).transpose()?;
        let connect_props = CProperties::new(&o.properties)?;
        let will_props = match &o.will {
            Some(w) if v5 => Some(CProperties::new(&w.properties)?),
            _ => None,
        };
        let proxy = o.http_proxy.as_deref().map(c_string).transpose()?;
        let password_len = o.password.as_ref().map(|p| p.len()).unwrap_or(0);
        let password_len = c_int::try_from(password_len).map_err(|_| Failed::code(rc::FAILURE))?;
        start(Expect::Connect, |context| {
            let mut opts = ffi::MQTTAsync_connectOptions {
                keepAliveInterval: c_int::from(o.keepalive_s),
                // Paho's default of 10 in flight is mqrr's to choose; the
                // broker's Receive Maximum lowers it (MQTTAsync_receiveThread).
                maxInflight: 65535,
                connectTimeout: o.timeout_s,
                MQTTVersion: o.version,
                context,
                ..Default::default()
            };
            if v5 {
                opts.cleansession = 0;
                opts.cleanstart = c_int::from(o.clean);
                opts.onSuccess5 = Some(on_success5);
                opts.onFailure5 = Some(on_failure5);
            } else {
                opts.cleansession = c_int::from(o.clean);
                opts.onSuccess = Some(on_success);
                opts.onFailure = Some(on_failure);
            }
            if let Some(u) = &username {
                opts.username = u.as_ptr();
            }
            if let Some(p) = &o.password {
                opts.binarypwd.len = password_len;
                opts.binarypwd.data = p.as_ptr() as *const c_void;
            }
            let mut tls = tls;
            if let Some(t) = tls.as_mut() {
                opts.ssl = &mut t.opts;
            }
            let mut will = will;
            if let Some(w) = will.as_mut() {
                opts.will = &mut w.opts;
            }
            let mut connect_props = connect_props;
            let mut will_props = will_props;
            if v5 {
                opts.connectProperties = &mut connect_props.0;
                if let Some(p) = will_props.as_mut() {
                    opts.willProperties = &mut p.0;
                }
            }
            if let Some(p) = &proxy {
                opts.httpProxy = p.as_ptr();
                opts.httpsProxy = p.as_ptr();
            }
            // SAFETY: every pointer in `opts` refers to data that lives
            // until this call returns; Paho copies all of it (strings,
            // password, will, TLS options, property lists).
            unsafe { ffi::MQTTAsync_connect(self.handle, &opts) }
        })
    }

    /// Starts a SUBSCRIBE; the completion carries one reason code per filter.
    pub fn subscribe(
        &self,
        v5: bool,
        subs: &[Subscription],
        props: &[Property],
    ) -> Result<Completion, Failed> {
        let filters = subs
            .iter()
            .map(|s| c_string(&s.filter))
            .collect::<Result<Vec<_>, _>>()?;
        let pointers: Vec<*mut c_char> = filters.iter().map(|f| f.as_ptr() as *mut _).collect();
        let qos: Vec<c_int> = subs.iter().map(|s| c_int::from(s.qos)).collect();
        let options: Vec<ffi::MQTTSubscribe_options> = subs
            .iter()
            .map(|s| ffi::MQTTSubscribe_options {
                noLocal: u8::from(s.no_local),
                retainAsPublished: u8::from(s.retain_as_published),
                retainHandling: s.retain_handling,
                ..Default::default()
            })
            .collect();
        let props = CProperties::new(if v5 { props } else { &[] })?;
        let count = c_int::try_from(subs.len()).map_err(|_| Failed::code(rc::FAILURE))?;
        start(Expect::Filters(subs.len()), |context| {
            let mut opts = response_options(v5, context);
            if v5 {
                opts.properties = props.0;
                if let Some(first) = options.first() {
                    opts.subscribeOptions = *first;
                }
                if options.len() > 1 {
                    opts.subscribeOptionsCount = count;
                    opts.subscribeOptionsList = options.as_ptr() as *mut _;
                }
            }
            // SAFETY: `count` filters, QoS values and options, alive for
            // the call; Paho copies them (and the property list).
            unsafe {
                ffi::MQTTAsync_subscribeMany(
                    self.handle,
                    count,
                    pointers.as_ptr(),
                    qos.as_ptr(),
                    &mut opts,
                )
            }
        })
    }

    /// Starts an UNSUBSCRIBE.
    pub fn unsubscribe(
        &self,
        v5: bool,
        filters: &[String],
        props: &[Property],
    ) -> Result<Completion, Failed> {
        let filters = filters
            .iter()
            .map(|f| c_string(f))
            .collect::<Result<Vec<_>, _>>()?;
        let pointers: Vec<*mut c_char> = filters.iter().map(|f| f.as_ptr() as *mut _).collect();
        let props = CProperties::new(if v5 { props } else { &[] })?;
        let count = c_int::try_from(filters.len()).map_err(|_| Failed::code(rc::FAILURE))?;
        start(Expect::Filters(filters.len()), |context| {
            let mut opts = response_options(v5, context);
            if v5 {
                opts.properties = props.0;
            }
            // SAFETY: `count` filters alive for the call; Paho copies them.
            unsafe {
                ffi::MQTTAsync_unsubscribeMany(self.handle, count, pointers.as_ptr(), &mut opts)
            }
        })
    }

    /// Queues a PUBLISH. Its outcome arrives as `Event::Published` with `tag` when
    /// the packet was written (QoS 0) or acknowledged (PUBACK, PUBCOMP); an
    /// MQTT 5 reason code ≥ 0x80 is a failure with that reason. With `tag`
    /// `None` no outcome is reported at all (for QoS 0 messages nobody waits
    /// on: a lost connection still arrives as `Event::Lost`). Paho copies the
    /// payload once; nothing else does.
    #[allow(clippy::too_many_arguments)]
    pub fn publish(
        &self,
        v5: bool,
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
        props: &[Property],
        tag: Option<u64>,
    ) -> Result<(), Failed> {
        let topic = c_string(topic)?;
        let len = c_int::try_from(payload.len()).map_err(|_| Failed::code(rc::FAILURE))?;
        let props = CProperties::new(if v5 { props } else { &[] })?;
        let send = |context: *mut c_void| {
            let mut opts = if context.is_null() {
                ffi::MQTTAsync_responseOptions::default()
            } else {
                response_options(v5, context)
            };
            let message = ffi::MQTTAsync_message {
                payloadlen: len,
                payload: payload.as_ptr() as *mut c_void,
                qos: c_int::from(qos),
                retained: c_int::from(retain),
                properties: props.0,
                ..Default::default()
            };
            // SAFETY: topic, payload and properties live for the call;
            // Paho copies all three before returning (MQTTAsync_send).
            unsafe { ffi::MQTTAsync_sendMessage(self.handle, topic.as_ptr(), &message, &mut opts) }
        };
        match tag {
            Some(tag) => start_into(Expect::Other, Sink::Tagged(tag, self.shared), send),
            None => match send(std::ptr::null_mut()) {
                0 => Ok(()),
                rc => Err(Failed::code(rc)),
            },
        }
    }

    /// Starts a DISCONNECT with `reason` and properties; resolves once
    /// written. When the tap has already started one, that one's.
    pub fn disconnect(
        &self,
        v5: bool,
        reason: u8,
        props: &[Property],
    ) -> Result<Completion, Failed> {
        if let Some(started) = self
            .shared
            .tap_disconnect
            .lock()
            .ok()
            .and_then(|mut d| d.take())
        {
            return Ok(started);
        }
        start_disconnect(self.handle, v5, reason, props)
    }

    /// Whether the tap asked for the DISCONNECT (and it was started).
    pub fn tap_disconnected(&self) -> bool {
        self.shared.tap_disconnect.lock().is_ok_and(|d| d.is_some())
    }

    pub fn is_connected(&self) -> bool {
        // SAFETY: a live handle.
        unsafe { ffi::MQTTAsync_isConnected(self.handle) != 0 }
    }
}

/// Starts a DISCONNECT; on Paho's own threads too (inside a callback),
/// which Paho allows: its API skips its lock there (MQTTAsync_inCallback).
fn start_disconnect(
    handle: ffi::MQTTAsync,
    v5: bool,
    reason: u8,
    props: &[Property],
) -> Result<Completion, Failed> {
    let props = CProperties::new(if v5 { props } else { &[] })?;
    start(Expect::Other, |context| {
        let mut opts = ffi::MQTTAsync_disconnectOptions {
            timeout: 0,
            context,
            ..Default::default()
        };
        if v5 {
            opts.properties = props.0;
            opts.reasonCode = reason as ffi::MQTTReasonCodes;
            opts.onSuccess5 = Some(on_success5);
            opts.onFailure5 = Some(on_failure5);
        } else {
            opts.onSuccess = Some(on_success);
            opts.onFailure = Some(on_failure);
        }
        // SAFETY: valid options; Paho copies the property list.
        unsafe { ffi::MQTTAsync_disconnect(handle, &opts) }
    })
}

impl Shared {
    /// The DISCONNECT a tap asked for, started on Paho's receive thread.
    fn disconnect_for_tap(&self) {
        let Ok(mut started) = self.tap_disconnect.lock() else {
            return;
        };
        if started.is_some() {
            return;
        }
        let v5 = self.v5.load(Ordering::SeqCst);
        if let Ok(c) = start_disconnect(self.handle.0, v5, 0, &self.disconnect_properties) {
            *started = Some(c);
        }
    }
}

/// Paho's TLS options with the C strings they point to.
struct CTls {
    opts: ffi::MQTTAsync_SSLOptions,
    _strings: Vec<CString>,
    _alpn: Vec<u8>,
}

impl CTls {
    fn new(t: &Tls) -> Result<CTls, Failed> {
        let mut strings = Vec::new();
        let mut keep = |s: &Option<String>| -> Result<*const c_char, Failed> {
            match s {
                None => Ok(std::ptr::null()),
                Some(s) => {
                    let c = c_string(s)?;
                    let p = c.as_ptr();
                    strings.push(c);
                    Ok(p)
                }
            }
        };
        let mut opts = ffi::MQTTAsync_SSLOptions {
            trustStore: keep(&t.trust_store)?,
            CApath: keep(&t.ca_path)?,
            keyStore: keep(&t.key_store)?,
            privateKey: keep(&t.private_key)?,
            enabledCipherSuites: keep(&t.ciphers)?,
            enableServerCertAuth: c_int::from(t.verify),
            verify: c_int::from(t.verify),
            ..Default::default()
        };
        if let Some((identity, key)) = &t.psk {
            // The callback reads these for the rest of the process: a
            // reconnect needs them again.
            let psk: &'static Psk = Box::leak(Box::new(Psk {
                identity: c_string(identity)?,
                key: key.clone(),
            }));
            opts.ssl_psk_cb = Some(on_psk);
            opts.ssl_psk_context = psk as *const Psk as *mut c_void;
            // A PSK handshake has no certificate to check.
            opts.enableServerCertAuth = 0;
            opts.verify = 0;
        }
        // ALPN in wire format (length-prefixed names). Paho copies it as a
        // C string, so it ends in a NUL that `protos_len` leaves out.
        let mut alpn = Vec::new();
        for name in &t.alpn {
            alpn.push(u8::try_from(name.len()).map_err(|_| Failed::code(rc::FAILURE))?);
            alpn.extend_from_slice(name.as_bytes());
        }
        if !alpn.is_empty() {
            opts.protos_len = alpn.len() as u32;
            alpn.push(0);
            opts.protos = alpn.as_ptr();
        }
        Ok(CTls {
            opts,
            _strings: strings,
            _alpn: alpn,
        })
    }
}

/// A TLS-PSK identity and key for `on_psk`.
struct Psk {
    identity: CString,
    key: Vec<u8>,
}

/// OpenSSL asks for the PSK identity and key (through Paho): copies them
/// into its buffers; 0 (no PSK) when they do not fit.
unsafe extern "C" fn on_psk(
    _hint: *const c_char,
    identity: *mut c_char,
    max_identity_len: std::os::raw::c_uint,
    psk: *mut std::os::raw::c_uchar,
    max_psk_len: std::os::raw::c_uint,
    context: *mut c_void,
) -> std::os::raw::c_uint {
    // SAFETY: `context` is the leaked `Psk`; OpenSSL's buffers hold
    // `max_*_len` bytes each.
    let Some(p) = (unsafe { (context as *const Psk).as_ref() }) else {
        return 0;
    };
    let id = p.identity.as_bytes_with_nul();
    if identity.is_null()
        || psk.is_null()
        || id.len() > max_identity_len as usize
        || p.key.len() > max_psk_len as usize
    {
        return 0;
    }
    unsafe {
        std::ptr::copy_nonoverlapping(id.as_ptr(), identity as *mut u8, id.len());
        std::ptr::copy_nonoverlapping(p.key.as_ptr(), psk, p.key.len());
    }
    p.key.len() as std::os::raw::c_uint
}

/// Paho's will options with the data they point to.
struct CWill {
    opts: ffi::MQTTAsync_willOptions,
    _topic: CString,
}

impl CWill {
    fn new(w: &Will) -> Result<CWill, Failed> {
        let topic = c_string(&w.topic)?;
        let mut opts = ffi::MQTTAsync_willOptions {
            topicName: topic.as_ptr(),
            qos: c_int::from(w.qos),
            retained: c_int::from(w.retain),
            ..Default::default()
        };
        opts.message = std::ptr::null();
        opts.payload.len =
            c_int::try_from(w.payload.len()).map_err(|_| Failed::code(rc::FAILURE))?;
        // Paho copies the payload in MQTTAsync_connect; an empty will still
        // needs a non-null pointer to be sent as empty.
        opts.payload.data = w.payload.as_ptr() as *const c_void;
        Ok(CWill {
            opts,
            _topic: topic,
        })
    }
}
