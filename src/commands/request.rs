//! One request/response exchange (spec §3): connect → subscribe and wait
//! for the SUBACK → publish → wait for a fresh, matching response → print
//! → clean DISCONNECT.
//!
//! The deadline lives here: it starts when the process starts and covers
//! every step, connecting and reading the payload included. Nothing sleeps
//! and nothing waits on one thing alone: the wait is a select on the
//! connection's events (responses and publish acknowledgements in the order
//! Paho saw them), the deadline, the resend timer and the signals.

use std::borrow::Cow;
use std::time::Duration;

use tokio::time::Instant;

use crate::cli::Correlation;
use crate::config::{ConnectionSettings, Payload, RequestSettings, has_wildcard, random_u64};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::mqtt::properties::{Property, id};
use crate::mqtt::{Incoming, Outgoing, Session, Subscription, connect, topic};
use crate::signal::{Signals, until};
use crate::text::output::Output;

/// How long the closing DISCONNECT may take once the outcome is known.
pub const DISCONNECT_BOUND: Duration = Duration::from_millis(250);

/// What a response handler wants next.
pub enum Next {
    /// Count this response and keep going until `-C` is reached.
    Continue,
    /// Stop now, successfully (the reader went away, or the caller has what it needs).
    Stop,
}

/// Runs the general request mode; `start` is when the process started.
pub async fn run(conn: &ConnectionSettings, req: &RequestSettings, start: Instant) -> Result<()> {
    let deadline = req.timeout.map(|t| start + t);
    let payload = read_payload(&req.payload, deadline, req.timeout).await?;
    let mut output = Output::new(req.output.clone());
    let mut print = |m: &Message, data: &[u8]| match output.write(m, data) {
        Ok(()) => Ok(Next::Continue),
        // The reader is gone (`| head -1`): nothing more to do.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Next::Stop),
        Err(e) => Err(Error::Runtime(format!("writing to stdout: {e}"))),
    };
    with_session(conn, deadline, async |session| {
        exchange(session, req, &payload, deadline, &mut print).await
    })
    .await
}

/// The request payload: given bytes as they are, stdin or a special file
/// read on a thread under the deadline. A blocked terminal, pipe or FIFO may
/// keep that thread forever; the process exits without waiting for it.
pub async fn read_payload(
    source: &Payload,
    deadline: Option<Instant>,
    timeout: Option<Duration>,
) -> Result<Cow<'_, [u8]>> {
    let (what, option, path) = match source {
        Payload::Bytes(b) => return Ok(Cow::Borrowed(b)),
        Payload::Stdin => ("stdin".to_string(), "-s", None),
        Payload::File(p) => (format!("--file {}", p.display()), "--file", Some(p.clone())),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = Vec::new();
        // One byte past MQTT's limit is enough to refuse it: `--file
        // /dev/zero` must not read until memory runs out (issue #19).
        let limit = crate::config::MAX_PAYLOAD as u64 + 1;
        let read = match path {
            None => std::io::stdin().lock().take(limit).read_to_end(&mut buf),
            Some(p) => std::fs::File::open(p).and_then(|f| f.take(limit).read_to_end(&mut buf)),
        };
        let _ = tx.send(read.map(|_| buf));
    });
    let read = async {
        match rx.await {
            Ok(Ok(buf)) => {
                crate::config::check_payload_size(buf.len())?;
                Ok(Cow::Owned(buf))
            }
            Ok(Err(e)) => Err(Error::Runtime(format!("reading {what}: {e}"))),
            Err(_) => Err(Error::Runtime(format!(
                "reading {what}: reader thread failed"
            ))),
        }
    };
    match deadline {
        Some(d) => tokio::time::timeout_at(d, read).await.map_err(|_| {
            Error::Timeout(format!(
                "{what} still open after {} ({option} reads it to the end)",
                human(timeout)
            ))
        })?,
        None => read.await,
    }
}

/// The timeout message for the response wait.
fn no_response(req: &RequestSettings) -> String {
    format!(
        "no response on {} within {}",
        req.filter,
        human(req.timeout)
    )
}

/// A `-W` value as the user would write it (`500ms`, `30s`).
pub fn human(timeout: Option<Duration>) -> String {
    humantime::format_duration(timeout.unwrap_or_default()).to_string()
}

/// Connects, runs `body`, and disconnects cleanly whatever `body` returned;
/// SIGINT/SIGTERM at any point end it as `Error::Interrupted`.
pub async fn with_session<T>(
    conn: &ConnectionSettings,
    deadline: Option<Instant>,
    body: impl AsyncFnOnce(&Session) -> Result<T>,
) -> Result<T> {
    let mut signals = Signals::new()?;
    let session = tokio::select! {
        s = connect(conn, deadline) => s?,
        sig = signals.recv() => return Err(Error::Interrupted(sig)),
    };
    let result = tokio::select! {
        r = body(&session) => r,
        sig = signals.recv() => Err(Error::Interrupted(sig)),
    };
    session.disconnect(DISCONNECT_BOUND).await;
    result
}

/// The MQTT 5 properties of the request: Correlation Data, a Response Topic
/// (a responder needs somewhere to answer, correlation or not; a filter
/// with wildcards is not a topic it could publish on), user properties.
pub fn request_properties(req: &RequestSettings, correlation: Option<&[u8]>) -> Vec<Property> {
    let mut props = Vec::new();
    if let Some(data) = correlation {
        props.push(Property::binary(id::CORRELATION_DATA, data));
    }
    if !has_wildcard(&req.filter) {
        props.push(Property::string(id::RESPONSE_TOPIC, &req.filter));
    }
    for (k, v) in &req.user_properties {
        props.push(Property::user(k, v));
    }
    props
}

/// What mqrr published, to recognise its own request coming back.
struct Sent<'a> {
    topic: &'a str,
    payload: &'a [u8],
    correlation: Option<&'a [u8]>,
    response_topic: Option<&'a str>,
    /// Copies published and not yet seen again.
    outstanding: usize,
}

impl Sent<'_> {
    /// Whether `m` is one of mqrr's own requests coming back; each copy
    /// published is dropped once (see `is_own_request`).
    fn take_echo(&mut self, m: &Message) -> bool {
        let echo = self.outstanding > 0
            && is_own_request(
                m,
                self.topic,
                self.payload,
                self.correlation,
                self.response_topic,
            );
        if echo {
            self.outstanding -= 1;
        }
        echo
    }
}

/// Whether `m` is a request mqrr published (`topic`, `payload`, the
/// correlation data and response topic it carried), delivered back because
/// the response filter matches the request topic. The caller drops each
/// copy it published once (spec §3): on MQTT 3.1.1, which has no No Local,
/// and on a broker that ignores No Local.
pub fn is_own_request(
    m: &Message,
    topic: &str,
    payload: &[u8],
    correlation: Option<&[u8]>,
    response_topic: Option<&str>,
) -> bool {
    m.topic == topic
        && m.payload == payload
        && m.properties.correlation.as_deref() == correlation
        && m.properties.response_topic.as_deref() == response_topic
}

/// The Response Topic among a request's properties, if it has one.
pub fn response_topic(properties: &[Property]) -> Option<&str> {
    properties.iter().find_map(|p| match &p.value {
        crate::mqtt::properties::Value::String(s) if p.id == id::RESPONSE_TOPIC => Some(s.as_str()),
        _ => None,
    })
}

/// What `subscribe_responses` found.
pub struct Subscribed {
    /// Whether the filter matches the request topic, i.e. whether mqrr's
    /// own requests may come back to it (`-t a -e a`): MQTT 5 then
    /// subscribes with No Local.
    pub echoes: bool,
    /// With `--retained`: the retained messages that arrived with the
    /// SUBACK (a retained message is from before any request by nature).
    pub retained: Vec<Message>,
}

/// The first half of every exchange (spec §3): subscribes to the response
/// filter and waits for the SUBACK, then drops whatever arrived meanwhile
/// (it came before any request, so it answers none), except retained
/// messages when `--retained` asks for them.
pub async fn subscribe_responses(
    session: &Session,
    req: &RequestSettings,
    deadline: Option<Instant>,
) -> Result<Subscribed> {
    if !session.v5 && req.correlation == Correlation::Strict {
        return Err(Error::Runtime(format!(
            "--correlation strict needs MQTT 5, but {} speaks only 3.1.1",
            session.display
        )));
    }
    // The filter may match the request topic (`-t a -e a`): MQTT 5 asks the
    // broker not to send mqrr its own publishes (No Local).
    let echoes = topic::matches(&req.filter, &req.topic);
    let subscription = Subscription {
        filter: req.filter.clone(),
        qos: req.subscribe_qos,
        no_local: echoes,
        retain_as_published: false,
        // MQTT 5: the broker should not send retained messages at all.
        retain_handling: if req.retained { 0 } else { 2 },
    };
    session.subscribe(&[subscription], &[], deadline).await?;
    // Whatever arrived between the SUBACK and now came before any request:
    // it cannot be an answer to one.
    let mut retained = Vec::new();
    while let Some(incoming) = session.try_next() {
        match incoming {
            Incoming::Message(m) if m.retain && req.retained => retained.push(m),
            Incoming::Message(m) => {
                session.debug(|| {
                    format!(
                        "dropped a message on {}: it came before the request",
                        m.topic
                    )
                });
            }
            Incoming::Lost(e) => return Err(e),
            Incoming::Published { .. } => {}
        }
    }
    Ok(Subscribed { echoes, retained })
}

/// Subscribes, publishes, and hands each matching response to `handle`
/// until `req.count` were handled.
pub async fn exchange(
    session: &Session,
    req: &RequestSettings,
    payload: &[u8],
    deadline: Option<Instant>,
    handle: &mut dyn FnMut(&Message, &[u8]) -> Result<Next>,
) -> Result<()> {
    let Subscribed { echoes, retained } = subscribe_responses(session, req, deadline).await?;

    let correlation: Option<Vec<u8>> = (session.v5 && req.correlation != Correlation::Off)
        .then(|| [random_u64().to_be_bytes(), random_u64().to_be_bytes()].concat());
    let properties = if session.v5 {
        request_properties(req, correlation.as_deref())
    } else {
        Vec::new()
    };
    let message = Outgoing {
        topic: &req.topic,
        payload,
        qos: req.qos,
        retain: req.retain,
        properties: &properties,
    };
    let mut sent = Sent {
        topic: &req.topic,
        payload,
        correlation: correlation.as_deref(),
        response_topic: response_topic(&properties),
        outstanding: 0,
    };
    session.publish(&message, "request", 0)?;
    sent.outstanding += usize::from(echoes);
    // A QoS 0 request is handed to the network when Paho has written it;
    // a message that arrives before that cannot be a reply. (QoS 1 and 2
    // have no such signal before the acknowledgement, which may come after
    // a reply: for them the publish call is the mark.)
    let mut written = req.qos > 0;

    // Counts a response and says whether that was the last one wanted.
    let received = std::cell::Cell::new(0u32);
    let mut answer = |m: &Message| -> Result<bool> {
        let Some(data) = response_data(session, req, correlation.as_deref(), m) else {
            return Ok(false);
        };
        if let Next::Stop = handle(m, &data)? {
            return Ok(true);
        }
        received.set(received.get() + 1);
        Ok(req.count != 0 && received.get() >= req.count)
    };
    // With --retained, what was retained when mqrr subscribed may answer.
    for m in &retained {
        if answer(m)? {
            return Ok(());
        }
    }
    let mut published = 1u64;
    let mut resend = req.resend.map(|every| {
        let mut i = tokio::time::interval_at(Instant::now() + every, every);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    });
    loop {
        tokio::select! {
            incoming = session.next() => match incoming {
                Incoming::Message(m) => {
                    if !(written || m.retain && req.retained) {
                        session.debug(|| format!("dropped a message on {}: it came before the request was written", m.topic));
                        continue;
                    }
                    if sent.take_echo(&m) {
                        session.debug(|| format!("dropped mqrr's own request on {}", m.topic));
                        continue;
                    }
                    if answer(&m)? {
                        return Ok(());
                    }
                }
                Incoming::Published { tag, result: Ok(()) } => {
                    written = true;
                    session.debug(|| format!(
                        "request {} {}",
                        tag + 1,
                        if req.qos == 0 { "written" } else { "acknowledged" }
                    ));
                }
                Incoming::Published { result: Err(f), .. } => {
                    return Err(session.publish_error(f, &req.topic, "request"));
                }
                Incoming::Lost(e) => return Err(e),
            },
            _ = until(deadline) => {
                return if req.count == 0 && received.get() > 0 {
                    Ok(())
                } else {
                    Err(Error::Timeout(no_response(req)))
                };
            }
            _ = tick(&mut resend) => {
                session.debug(|| format!("re-publishing the request on {}", req.topic));
                session.publish(&message, "request", published)?;
                published += 1;
                sent.outstanding += usize::from(echoes);
            }
        }
    }
}

/// The next resend tick, or never without `--resend`.
async fn tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// What to print for a message, or `None` when it is not our response.
fn response_data<'m>(
    session: &Session,
    req: &RequestSettings,
    ours: Option<&[u8]>,
    msg: &'m Message,
) -> Option<Cow<'m, [u8]>> {
    if !may_answer(session, req, msg) {
        return None;
    }
    if let Some(ours) = ours {
        match msg.properties.correlation.as_deref() {
            Some(theirs) if theirs != ours => {
                return skip(session, msg, "someone else's correlation data");
            }
            None if req.correlation == Correlation::Strict => {
                return skip(session, msg, "no correlation data");
            }
            _ => {}
        }
    }
    extract(session, req, msg)
}

/// `None`, saying under `--debug` why `msg` was skipped.
pub fn skip<T>(session: &Session, msg: &Message, why: &str) -> Option<T> {
    session.debug(|| format!("skipping message on {}: {why}", msg.topic));
    None
}

/// Whether `msg` can be an answer at all, whatever it answers: the response
/// filter matches its topic (a broker bug otherwise: mqrr checks it itself),
/// and it is not retained unless `--retained` (spec §3).
pub fn may_answer(session: &Session, req: &RequestSettings, msg: &Message) -> bool {
    let why = if !topic::matches(&req.filter, &msg.topic) {
        "the response filter does not match its topic (a broker bug)"
    } else if msg.retain && !req.retained {
        "retained"
    } else {
        return true;
    };
    skip::<()>(session, msg, why);
    false
}

/// The match and extract steps of spec §3 on a response (after the
/// preset's payload prefix): what to print, or `None` when a step cannot
/// apply and the response is not a match.
pub fn extract<'m>(
    session: &Session,
    req: &RequestSettings,
    msg: &'m Message,
) -> Option<Cow<'m, [u8]>> {
    if let Some(prefix) = &req.prefix {
        if !msg.payload.starts_with(prefix) {
            return skip(session, msg, "payload does not start as expected");
        }
    }
    session.debug(|| {
        format!(
            "received PUBLISH on {} ({} bytes)",
            msg.topic,
            msg.payload.len()
        )
    });
    match req.extractor.apply(&msg.payload) {
        Some(data) => Some(data),
        None => skip(session, msg, "no match"),
    }
}
