//! `mqrr serve`: the responder half of request/response (spec §5).
//!
//! Subscribes to the request filters and answers each request on its
//! Response Topic (or `--reply-topic`), copying the Correlation Data, with
//! the request payload, a fixed text, or a command's stdout. Meant to run
//! for weeks: a lost connection is retried with a backoff that keeps
//! growing while connections keep being lost soon after they are made
//! (another server taking over the client id), and the filters are
//! subscribed again; a request that cannot be answered costs one stderr
//! line, never the server.
//!
//! The loop owns the session: commands run as tasks that only compute a
//! reply body; publishing and acknowledgements happen here, so nothing
//! waits on an acknowledgement while requests arrive.
//!
//! Scaling out (issue #17): with `--group` every server of the group
//! subscribes with `$share/GROUP/FILTER` and the broker hands each request
//! to one of them. A request is acknowledged by Paho the moment it arrives,
//! so it is this server's to answer from then on: a signal first
//! unsubscribes (the broker sends the rest of the group's requests
//! elsewhere), then answers what was received, then disconnects.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cli::ServeArgs;
use crate::config::{ConnectionSettings, check_filter, check_topic};
use crate::error::{Error, Result, warn};
use crate::message::Message;
use crate::mqtt::properties::{Property, id};
use crate::mqtt::{Incoming, Outgoing, Session, Subscription, connect, topic};
use crate::signal::Signals;

/// First wait before reconnecting, doubled after each failed attempt.
/// Paho's own automatic reconnect counts whole seconds with jitter, which
/// made a server come back 3.0 s after a broker restart (measured, issue
/// #4); retrying ourselves from 100 ms brings that down to about 0.1 s.
const RECONNECT_FIRST: Duration = Duration::from_millis(100);
/// Longest wait between reconnect attempts (spec §5).
const RECONNECT_CAP: Duration = Duration::from_secs(30);
/// A connection that lasted less than this before it was lost again does
/// not reset the backoff: two servers with one client id take the session
/// from each other right after each CONNACK (issue #11, about ten
/// reconnects a second before).
const STABLE: Duration = Duration::from_secs(10);
/// How long a CONNACK, a resubscription or the UNSUBACK of a stop may take.
const BROKER_BOUND: Duration = Duration::from_secs(10);
/// How long a stopping server waits for its replies' acknowledgements once
/// nothing else is left to do, counted from the last event.
const ACK_BOUND: Duration = Duration::from_secs(10);
/// The MQTT 5 User Property a reply carries when the server's own filters
/// match its topic. No Local keeps a server's own replies away, but a
/// shared subscription may not use it (MQTT 5 §3.8.3.1), and another server
/// of the group would take the reply for a request: a message with this
/// property never is one.
const REPLY_MARK: (&str, &str) = ("mqrr", "reply");

/// What a request is answered with.
#[derive(Debug, Clone)]
pub enum Answer {
    Echo,
    Fixed(Vec<u8>),
    Command(Vec<String>),
}

/// `serve`, checked.
pub struct Settings {
    pub conn: ConnectionSettings,
    pub filters: Vec<String>,
    /// `--group`: subscribe with `$share/GROUP/FILTER`.
    pub group: Option<String>,
    pub qos: u8,
    pub reply_topic: Option<String>,
    pub count: Option<u64>,
    pub jobs: usize,
    pub exec_timeout: Duration,
    pub answer: Answer,
}

impl Settings {
    pub fn from_args(a: &ServeArgs) -> Result<Self> {
        let mut conn = ConnectionSettings::new(&a.connection)?;
        // Announce MQTT 5's default Receive Maximum outright (unless -D
        // gives one): mosquitto takes a CONNECT without it as 20 in flight,
        // queues the rest and, past max_queued_messages (1000), drops QoS 1
        // requests under a burst (measured: 1872 of 10000 replies dropped
        // toward a Paho client that announced none). Paho acknowledges each
        // request on arrival, so the window is never what holds them back.
        if !conn
            .properties
            .connect
            .iter()
            .any(|p| p.id == id::RECEIVE_MAXIMUM)
        {
            conn.properties
                .connect
                .push(Property::int(id::RECEIVE_MAXIMUM, 65535));
        }
        for f in &a.topic {
            check_filter("-t", f)?;
        }
        if let Some(g) = &a.group {
            check_group(g)?;
            if let Some(f) = a.topic.iter().find(|f| topic::unshared(f) != f.as_str()) {
                return Err(Error::Usage(format!(
                    "-t {f} is a shared subscription already; --group {g} adds $share/{g}/ itself"
                )));
            }
        }
        if let Some(t) = &a.reply_topic {
            check_topic("--reply-topic", t)?;
        }
        let answer = if a.echo {
            Answer::Echo
        } else if let Some(text) = &a.reply {
            Answer::Fixed(text.clone().into_bytes())
        } else if !a.command.is_empty() {
            check_program(&a.command[0])?;
            Answer::Command(a.command.clone())
        } else {
            return Err(Error::Usage(
                "serve needs one of --echo, --reply TEXT or -- CMD [ARG...]".into(),
            ));
        };
        if a.count == Some(0) {
            return Err(Error::Usage("-C: 0 replies would exit at once".into()));
        }
        Ok(Settings {
            conn,
            filters: a.topic.clone(),
            group: a.group.clone(),
            qos: a.qos,
            reply_topic: a.reply_topic.clone(),
            count: a.count,
            jobs: a.jobs as usize,
            exec_timeout: a.exec_timeout,
            answer,
        })
    }

    fn warn(&self, msg: &str) {
        warn(self.conn.quiet, msg);
    }

    /// The filters as subscribed: `$share/GROUP/FILTER` with `--group`.
    fn subscribed_filters(&self) -> Vec<String> {
        self.filters
            .iter()
            .map(|f| match &self.group {
                Some(g) => format!("$share/{g}/{f}"),
                None => f.clone(),
            })
            .collect()
    }

    /// The request subscriptions. MQTT 5 subscribes with No Local where it
    /// may: a reply topic the filters match never brings the server its own
    /// replies. A shared subscription with No Local is a Protocol Error (MQTT
    /// 5 §3.8.3.1; mosquitto 2.0 lets it pass, others disconnect), so those
    /// rely on `REPLY_MARK`.
    fn subscriptions(&self) -> Vec<Subscription> {
        self.subscribed_filters()
            .into_iter()
            .map(|filter| Subscription {
                no_local: topic::unshared(&filter) == filter,
                filter,
                qos: self.qos,
                retain_as_published: false,
                // A retained request is an old one: answering it on every
                // reconnect would repeat its side effects.
                retain_handling: 2,
            })
            .collect()
    }

    /// Whether a reply on `topic` comes back as a message to this server
    /// or, through a shared subscription, to another of its group.
    fn comes_back(&self, topic: &str) -> bool {
        self.filters.iter().any(|f| topic::matches(f, topic))
    }
}

/// A share name (MQTT 5 §4.8.2): not empty, no `/`, `+` or `#`.
fn check_group(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['/', '+', '#', '\0']) {
        return Err(Error::Usage(format!(
            "--group {name:?}: a group name is not empty and has no '/', '+' or '#'"
        )));
    }
    Ok(())
}

/// A command that cannot be found is bad input, found before connecting.
fn check_program(program: &str) -> Result<()> {
    let runnable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    let found = if program.contains('/') {
        runnable(Path::new(program))
    } else {
        std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).any(|dir| runnable(&dir.join(program))))
            .unwrap_or(false)
    };
    if found {
        Ok(())
    } else {
        Err(Error::Usage(format!("command not found: {program}")))
    }
}

/// Serves until `-C` replies were sent or a signal arrives (exit 0 after a
/// clean DISCONNECT). Only the first connection failing is an error.
pub async fn run(s: &Settings) -> Result<()> {
    let mut signals = Signals::new()?;
    let mut session = tokio::select! {
        r = connect(&s.conn, None) => r?,
        _ = signals.recv() => return Ok(()),
    };
    let mut server = Server::new(s);
    let result = match server.serve(&mut session, &mut signals).await {
        Ok(Stop::Signal) => {
            server.stop(&session, &mut signals).await;
            Ok(())
        }
        Ok(Stop::Done) => Ok(()),
        Err(e) => Err(e),
    };
    // Unconfirmed QoS 0 replies are written before the DISCONNECT (Paho
    // sends in order); a server may take longer than a one-shot request to
    // get them out.
    session.disconnect(STOP_BOUND).await;
    result
}

/// How long the closing DISCONNECT of a server may take to be written.
const STOP_BOUND: Duration = Duration::from_secs(10);

/// A reply ready to publish: where, what, and for which request.
struct Reply {
    topic: String,
    body: Vec<u8>,
    correlation: Option<Vec<u8>>,
    /// The request's topic, for `--debug`.
    request_topic: String,
    /// How long the command ran (None: `--echo`, `--reply`).
    ran: Option<Duration>,
}

/// Why serving ended without an error.
enum Stop {
    /// `-C` replies were confirmed, or a signal came while nothing could be
    /// answered (before the first SUBACK, or while reconnecting).
    Done,
    /// SIGTERM or SIGINT while serving: stop taking requests, answer those
    /// taken (`Server::stop`).
    Signal,
}

/// What the loop owns besides the session: the commands running, the
/// replies not yet acknowledged, and how many were.
struct Server<'s> {
    s: &'s Settings,
    jobs: JoinSet<Option<Reply>>,
    /// Replies published and not yet acknowledged: tag → reply topic.
    unacked: HashMap<u64, String>,
    /// Replies waiting for a place among the unacknowledged (`publish`).
    waiting: VecDeque<Reply>,
    next_tag: u64,
    /// Replies acknowledged (QoS 1/2) or written (QoS 0), for `-C`.
    replied: u64,
}

impl<'s> Server<'s> {
    fn new(s: &'s Settings) -> Self {
        Server {
            s,
            jobs: JoinSet::new(),
            unacked: HashMap::new(),
            waiting: VecDeque::new(),
            next_tag: 0,
            replied: 0,
        }
    }

    /// Whether another request may start: `-j` bounds the commands running.
    /// Until one ends, requests wait in the session's queue.
    fn has_room(&self) -> bool {
        self.jobs.len() < self.s.jobs
    }

    /// Subscribes and answers requests, reconnecting whenever the
    /// connection is lost, until `-C` or a signal.
    async fn serve(&mut self, session: &mut Session, signals: &mut Signals) -> Result<Stop> {
        let subscriptions = self.s.subscriptions();
        tokio::select! {
            r = session.subscribe(&subscriptions, &[], None) => r?,
            _ = signals.recv() => return Ok(Stop::Done),
        };
        session.debug(|| format!("serving {}", self.s.subscribed_filters().join(" ")));
        let mut backoff = Backoff::new();
        loop {
            tokio::select! {
                incoming = session.next(), if self.has_room() => match incoming {
                    // A broker's DISCONNECT may be followed by a connection-lost
                    // event for the same loss: reconnect once.
                    Incoming::Lost(why) if !session.is_connected() => {
                        self.forget_unacked();
                        tokio::select! {
                            r = reconnect(session, self.s, &mut backoff, why) => r?,
                            // Nothing can be answered without a connection.
                            _ = signals.recv() => return Ok(Stop::Done),
                        }
                        self.flush(session);
                    }
                    Incoming::Lost(_) => {}
                    other => {
                        if self.handle(session, other) {
                            return Ok(Stop::Done);
                        }
                    }
                },
                Some(done) = self.jobs.join_next() => self.finished(session, done),
                _ = signals.recv() => return Ok(Stop::Signal),
            }
        }
    }

    /// The graceful stop (SIGTERM, SIGINT; spec §5, issue #17): unsubscribe,
    /// so that the broker hands new requests to the rest of the group;
    /// answer every request already received (each command still bounded
    /// by `--exec-timeout`, `-j` at a time); wait for the replies'
    /// acknowledgements (at most `ACK_BOUND` without progress); then the
    /// caller disconnects. A request the broker delivered was acknowledged
    /// by Paho on arrival and is nobody else's now, so stopping without
    /// answering it would lose it. A second signal, or losing the
    /// connection, ends the stop at once.
    async fn stop(&mut self, session: &Session, signals: &mut Signals) {
        session.debug(|| {
            format!(
                "stopping: unsubscribing, then answering the requests received ({} running)",
                self.jobs.len()
            )
        });
        let filters = self.s.subscribed_filters();
        let unsubscribe = session.unsubscribe(&filters, &[], Some(Instant::now() + BROKER_BOUND));
        tokio::pin!(unsubscribe);
        let mut unsubscribed = false;
        let mut progress = Instant::now();
        loop {
            if unsubscribed && self.jobs.is_empty() {
                // Paho hands each message over before it reads the next
                // packet, so everything the broker sent before its UNSUBACK
                // is in the queue by now.
                match session.try_next() {
                    Some(Incoming::Lost(_)) if !session.is_connected() => {
                        return self.abandon("the connection was lost while stopping");
                    }
                    Some(Incoming::Lost(_)) => continue,
                    Some(other) => {
                        if self.handle(session, other) {
                            return;
                        }
                        progress = Instant::now();
                        continue;
                    }
                    None if self.unacked.is_empty() => {
                        session.debug(|| "every request received was answered".into());
                        return;
                    }
                    None => {}
                }
            }
            tokio::select! {
                r = &mut unsubscribe, if !unsubscribed => {
                    unsubscribed = true;
                    if let Err(e) = r {
                        // Answering what arrives is all that is left to do.
                        session.debug(|| format!("unsubscribing failed: {e}"));
                    }
                }
                incoming = session.next(), if self.has_room() => match incoming {
                    Incoming::Lost(_) if !session.is_connected() => {
                        return self.abandon("the connection was lost while stopping");
                    }
                    Incoming::Lost(_) => {}
                    other => {
                        if self.handle(session, other) {
                            return;
                        }
                    }
                },
                Some(done) = self.jobs.join_next() => self.finished(session, done),
                _ = tokio::time::sleep_until(progress + ACK_BOUND), if unsubscribed && self.jobs.is_empty() => {
                    return self.abandon(&format!(
                        "no acknowledgement from {} for {}",
                        session.display,
                        humantime::format_duration(ACK_BOUND)
                    ));
                }
                _ = signals.recv() => return self.abandon("stopped by a second signal"),
            }
            progress = Instant::now();
        }
    }

    /// Ends a stop early: one line saying what was left undone, if anything.
    fn abandon(&mut self, why: &str) {
        let running = self.jobs.len() + self.waiting.len();
        let unconfirmed = self.unacked.len();
        if running + unconfirmed > 0 {
            self.s.warn(&format!(
                "{why}: {} left unanswered, {} unconfirmed",
                counted(running, "request", "requests"),
                counted(unconfirmed, "reply", "replies")
            ));
        }
        self.jobs.abort_all();
        self.waiting.clear();
        self.unacked.clear();
    }

    /// A request or an acknowledgement; true when `-C` replies were
    /// acknowledged.
    fn handle(&mut self, session: &Session, incoming: Incoming) -> bool {
        match incoming {
            Incoming::Message(request) => {
                self.take(session, request);
                false
            }
            Incoming::Published { tag, result } => self.acknowledged(session, tag, result),
            Incoming::Lost(_) => false,
        }
    }

    /// Answers a request at once (`--echo`, `--reply`) or starts its command.
    fn take(&mut self, session: &Session, request: Message) {
        match plan(session, self.s, request) {
            None => {}
            Some(Job::Ready(reply)) => self.publish(session, reply),
            Some(Job::Run(run)) => {
                let (quiet, timeout) = (self.s.conn.quiet, self.s.exec_timeout);
                self.jobs.spawn(run_job(run, timeout, quiet));
            }
        }
    }

    /// A command ended: publish its reply (a failed one was reported).
    fn finished(
        &mut self,
        session: &Session,
        done: std::result::Result<Option<Reply>, tokio::task::JoinError>,
    ) {
        if let Ok(Some(reply)) = done {
            self.publish(session, reply);
        }
    }

    /// Publishes a reply, or keeps it while as many replies as the broker's
    /// Receive Maximum await their acknowledgement. Paho C would queue
    /// them itself, but it finds each new packet id by walking its whole
    /// queue: with thousands of replies waiting (a flood of QoS 1
    /// requests, mosquitto's Receive Maximum of 20), each one cost about
    /// 120 µs of CPU, most of it there (measured with perf, issue #17).
    fn publish(&mut self, session: &Session, reply: Reply) {
        if self.unacked.len() < Self::window(session) {
            self.send(session, reply);
        } else {
            self.waiting.push_back(reply);
        }
    }

    /// How many replies may await their acknowledgement at once.
    fn window(session: &Session) -> usize {
        usize::from(session.limits.receive_maximum).max(1)
    }

    /// Publishes waiting replies while there is room.
    fn flush(&mut self, session: &Session) {
        while self.unacked.len() < Self::window(session) {
            let Some(reply) = self.waiting.pop_front() else {
                break;
            };
            self.send(session, reply);
        }
    }

    fn send(&mut self, session: &Session, reply: Reply) {
        let mut properties = Vec::new();
        if let Some(c) = &reply.correlation {
            properties.push(Property::binary(id::CORRELATION_DATA, c.clone()));
        }
        if self.s.comes_back(&reply.topic) {
            properties.push(Property::user(REPLY_MARK.0, REPLY_MARK.1));
        }
        session.debug(|| {
            format!(
                "reply to {} (correlation {}) on {}: {} bytes{}",
                reply.request_topic,
                correlation_text(reply.correlation.as_deref()),
                reply.topic,
                reply.body.len(),
                reply.ran.map_or(String::new(), |d| format!(
                    ", command ran {:.1} ms",
                    d.as_secs_f64() * 1000.0
                ))
            )
        });
        let message = Outgoing {
            topic: &reply.topic,
            payload: &reply.body,
            qos: self.s.qos,
            retain: false,
            properties: &properties,
        };
        let tag = self.next_tag;
        self.next_tag += 1;
        // Without -C, a QoS 0 reply is not confirmed one by one: Paho's
        // completion callback was a fifth of serve's CPU time per request
        // (issue #14). With -C every reply counts once written or
        // acknowledged: the server exits after the last one, which must not
        // be cut off (a 64 MiB reply takes a while).
        let sent = if self.s.count.is_some() {
            session.publish(&message, "reply", tag).map(|()| true)
        } else {
            session.publish_unconfirmed(&message, "reply", tag)
        };
        match sent {
            Ok(true) => {
                self.unacked.insert(tag, reply.topic);
            }
            Ok(false) => self.replied += 1,
            Err(e) => self
                .s
                .warn(&format!("reply on {} not sent: {e}", reply.topic)),
        }
    }

    /// A reply's outcome; true when `-C` replies were acknowledged.
    fn acknowledged(
        &mut self,
        session: &Session,
        tag: u64,
        result: std::result::Result<(), crate::mqtt::Failed>,
    ) -> bool {
        // An outcome for a reply already given up with the connection
        // (`forget_unacked`) was reported then.
        let Some(topic) = self.unacked.remove(&tag) else {
            return false;
        };
        self.flush(session);
        match result {
            Ok(()) => {
                self.replied += 1;
                self.s.count.is_some_and(|n| self.replied >= n)
            }
            Err(f) => {
                self.s.warn(&format!(
                    "reply not sent: {}",
                    session.publish_error(f, &topic, "reply")
                ));
                false
            }
        }
    }

    /// The connection is gone, and with it every acknowledgement still due.
    fn forget_unacked(&mut self) {
        match self.unacked.len() {
            0 => {}
            1 => {
                let topic = self.unacked.values().next().cloned().unwrap_or_default();
                self.s.warn(&format!(
                    "reply on {topic} not confirmed: the connection was lost"
                ));
            }
            n => self.s.warn(&format!(
                "{} not confirmed: the connection was lost",
                counted(n, "reply", "replies")
            )),
        }
        self.unacked.clear();
    }
}

/// The reconnect backoff: doubles after every failed attempt and after
/// every connection that did not last `STABLE`; starts over after one that
/// did (spec §5, takeover backoff).
struct Backoff {
    wait: Duration,
    connected_at: Instant,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff {
            wait: RECONNECT_FIRST,
            connected_at: Instant::now(),
        }
    }

    fn grow(&mut self) {
        self.wait = (self.wait * 2).min(RECONNECT_CAP);
    }
}

/// Reconnects, waiting the backoff before each attempt, until connected and
/// subscribed again: the sessions are clean, so the broker forgot the
/// subscriptions. Only a broker refusing them ends the server (exit 4).
async fn reconnect(
    session: &mut Session,
    s: &Settings,
    backoff: &mut Backoff,
    why: Error,
) -> Result<()> {
    let lost = std::time::Instant::now();
    let up_for = backoff.connected_at.elapsed();
    if up_for >= STABLE {
        backoff.wait = RECONNECT_FIRST;
    }
    let taken = session
        .disconnect_reason()
        .is_some_and(|r| r.contains("(0x8E)"));
    session.clear_disconnect_reason();
    let wait = humantime::format_duration(backoff.wait);
    let id = &s.conn.client_id;
    if taken {
        s.warn(&format!(
            "client id {id} is taken by another client ({why}); reconnecting in {wait}"
        ));
    } else if up_for < STABLE {
        // mosquitto 2.0 closes the taken-over connection without a
        // DISCONNECT: a loss right after connecting is the sign.
        s.warn(&format!(
            "{why} {} ms after connecting; is another client using client id {id}? reconnecting in {wait}",
            up_for.as_millis()
        ));
    } else {
        s.warn(&format!("{why}; reconnecting"));
    }
    loop {
        tokio::time::sleep(backoff.wait).await;
        if !session.is_connected() {
            if let Err(e) = session.reconnect(BROKER_BOUND).await {
                backoff.grow();
                session.debug(|| format!("reconnect failed: {e}; next try in {:?}", backoff.wait));
                continue;
            }
        }
        let deadline = Instant::now() + BROKER_BOUND;
        match session
            .subscribe(&s.subscriptions(), &[], Some(deadline))
            .await
        {
            Ok(_) => break,
            Err(e @ Error::Refused(_)) => return Err(e),
            Err(e) => {
                backoff.grow();
                session.debug(|| {
                    format!(
                        "subscribing again failed: {e}; next try in {:?}",
                        backoff.wait
                    )
                });
            }
        }
    }
    // Lost again soon after this, the next wait is longer.
    backoff.grow();
    backoff.connected_at = Instant::now();
    s.warn(&format!(
        "reconnected to {} after {} ms; serving again",
        session.display,
        lost.elapsed().as_millis()
    ));
    Ok(())
}

/// How a request will be answered.
enum Job {
    Ready(Reply),
    Run(CommandRun),
}

/// A command to run for one request.
struct CommandRun {
    argv: Vec<String>,
    request_topic: String,
    reply_topic: String,
    payload: Vec<u8>,
    correlation: Option<Vec<u8>>,
}

/// Works out where and what to answer; `None` (with a warning or a
/// `--debug` line) when the request cannot or must not be answered.
fn plan(session: &Session, s: &Settings, request: Message) -> Option<Job> {
    if !s.filters.iter().any(|f| topic::matches(f, &request.topic)) {
        session.debug(|| {
            format!(
                "skipping message on {}: no filter matches its topic (a broker bug)",
                request.topic
            )
        });
        return None;
    }
    // Retained requests are old ones (the broker should not even send them).
    if request.retain {
        session.debug(|| format!("skipping retained message on {}", request.topic));
        return None;
    }
    let props = request.properties;
    if props
        .user
        .iter()
        .any(|(k, v)| (k.as_str(), v.as_str()) == REPLY_MARK)
    {
        session.debug(|| {
            format!(
                "skipping message on {}: a server's reply, not a request",
                request.topic
            )
        });
        return None;
    }
    let (reply_topic, from_option) = match props.response_topic {
        Some(t) if !t.is_empty() && !t.contains(['+', '#']) => (t, false),
        Some(t) => {
            s.warn(&format!(
                "request on {} has Response Topic {t:?}, which no reply can be published on; skipped",
                request.topic
            ));
            return None;
        }
        None => match &s.reply_topic {
            Some(t) => (t.clone(), true),
            None => {
                s.warn(&format!(
                    "request on {} has no Response Topic; skipped (give --reply-topic for MQTT 3.1.1 requesters)",
                    request.topic
                ));
                return None;
            }
        },
    };
    // A message on the very topic --reply-topic answers on is a reply (ours
    // or another server's), never a request: answering it would start a
    // storm. MQTT 3.1.1 has no No Local to keep our own replies away.
    if from_option && request.topic == reply_topic {
        session.debug(|| {
            format!(
                "skipping message on {}: it is the reply topic",
                request.topic
            )
        });
        return None;
    }
    let correlation = props.correlation;
    session.debug(|| {
        format!(
            "request on {} ({} bytes, correlation {}), replying on {reply_topic}",
            request.topic,
            request.payload.len(),
            correlation_text(correlation.as_deref())
        )
    });
    let body = match &s.answer {
        Answer::Echo => request.payload,
        Answer::Fixed(text) => text.clone(),
        Answer::Command(argv) => {
            return Some(Job::Run(CommandRun {
                argv: argv.clone(),
                request_topic: request.topic,
                reply_topic,
                payload: request.payload,
                correlation,
            }));
        }
    };
    Some(Job::Ready(Reply {
        topic: reply_topic,
        body,
        correlation,
        request_topic: request.topic,
        ran: None,
    }))
}

/// Correlation Data for `--debug`: hex, or `none`.
fn correlation_text(c: Option<&[u8]>) -> String {
    c.map_or("none".to_string(), hex)
}

/// Runs a command for one request; `None` (with a stderr line) when it
/// fails or takes too long.
async fn run_job(run: CommandRun, timeout: Duration, quiet: bool) -> Option<Reply> {
    let CommandRun {
        argv,
        request_topic,
        reply_topic,
        payload,
        correlation,
    } = run;
    let env = [
        ("MQRR_TOPIC", request_topic.clone()),
        ("MQRR_RESPONSE_TOPIC", reply_topic.clone()),
        (
            "MQRR_CORRELATION_DATA",
            hex(correlation.as_deref().unwrap_or_default()),
        ),
    ];
    let started = std::time::Instant::now();
    match run_command(&argv, payload, &env, timeout).await {
        Ok(body) => Some(Reply {
            topic: reply_topic,
            body,
            correlation,
            request_topic,
            ran: Some(started.elapsed()),
        }),
        Err(why) => {
            warn(
                quiet,
                &format!("request on {request_topic}: {why}; no reply sent"),
            );
            None
        }
    }
}

/// Runs `argv` without a shell, the request payload on stdin; its stdout,
/// less one trailing newline (as `$(…)` would), is the reply.
async fn run_command(
    argv: &[String],
    payload: Vec<u8>,
    env: &[(&str, String)],
    timeout: Duration,
) -> std::result::Result<Vec<u8>, String> {
    let program = &argv[0];
    let mut child = tokio::process::Command::new(program)
        .args(&argv[1..])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        // The broker password is ours, not the command's (MQRR_URL may
        // carry one too).
        .env_remove("MQRR_PASSWORD")
        .env_remove("MQRR_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // Written alongside the read below, so a command that answers
        // before reading all of a large payload cannot deadlock us.
        tokio::spawn(async move {
            let _ = stdin.write_all(&payload).await;
        });
    }
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Err(format!("{program}: {e}")),
        // Dropping the future kills the child (kill_on_drop).
        Err(_) => {
            return Err(format!(
                "{program} ran longer than --exec-timeout {}",
                humantime::format_duration(timeout)
            ));
        }
    };
    if !output.status.success() {
        return Err(format!("{program} failed ({})", output.status));
    }
    let mut out = output.stdout;
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    Ok(out)
}

/// `1 reply`, `2 replies`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::properties::Value;
    use clap::Parser;

    /// `mqrr serve ARGS`, checked.
    fn settings(args: &[&str]) -> Result<Settings> {
        let argv = ["mqrr", "serve"].iter().chain(args);
        match crate::cli::Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(Some(crate::cli::Command::Serve(a))) => Settings::from_args(&a),
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn a_group_subscribes_shared_and_without_no_local() {
        let s = settings(&["--group", "g", "-t", "a/+", "-t", "b", "--echo"]).unwrap();
        let subs = s.subscriptions();
        let got: Vec<(&str, bool)> = subs
            .iter()
            .map(|s| (s.filter.as_str(), s.no_local))
            .collect();
        assert_eq!(got, [("$share/g/a/+", false), ("$share/g/b", false)]);
        let plain = settings(&["-t", "a/+", "-t", "$share/h/c", "--echo"]).unwrap();
        let got: Vec<(String, bool)> = plain
            .subscriptions()
            .into_iter()
            .map(|s| (s.filter, s.no_local))
            .collect();
        assert_eq!(
            got,
            [("a/+".to_string(), true), ("$share/h/c".to_string(), false)]
        );
    }

    #[test]
    fn replies_on_topics_the_filters_match_come_back() {
        let s = settings(&["--group", "g", "-t", "svc/#", "--echo"]).unwrap();
        assert!(s.comes_back("svc/resp/1"));
        assert!(!s.comes_back("other/resp"));
    }

    #[test]
    fn group_names_follow_mqtt() {
        for bad in ["", "a/b", "a+", "#"] {
            let e = settings(&["--group", bad, "-t", "x", "--echo"]).err();
            assert_eq!(e.map(|e| e.exit_code()), Some(2), "{bad:?}");
        }
        let e = settings(&["--group", "g", "-t", "$share/h/x", "--echo"]).err();
        assert_eq!(e.map(|e| e.exit_code()), Some(2));
    }

    #[test]
    fn receive_maximum_65535_is_announced_unless_given() {
        let receive_maximum = |s: &Settings| -> Vec<Value> {
            s.conn
                .properties
                .connect
                .iter()
                .filter(|p| p.id == id::RECEIVE_MAXIMUM)
                .map(|p| p.value.clone())
                .collect()
        };
        let s = settings(&["-t", "x", "--echo"]).unwrap();
        assert_eq!(receive_maximum(&s), [Value::Int(65535)]);
        let s = settings(&[
            "-t",
            "x",
            "--echo",
            "-D",
            "connect",
            "receive-maximum",
            "10",
        ])
        .unwrap();
        assert_eq!(receive_maximum(&s), [Value::Int(10)]);
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(counted(1, "reply", "replies"), "1 reply");
        assert_eq!(counted(0, "reply", "replies"), "0 replies");
        assert_eq!(counted(2, "request", "requests"), "2 requests");
    }

    #[test]
    fn hex_is_lowercase_pairs() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn missing_programs_are_usage_errors() {
        assert!(check_program("sh").is_ok());
        assert!(check_program("/bin/sh").is_ok());
        assert_eq!(
            check_program("no-such-program-mqrr")
                .unwrap_err()
                .exit_code(),
            2
        );
    }
}
