//! `mqrr sub`: the mosquitto_sub of mqrr (spec §8), with mqrr's extraction
//! steps as filters and one deadline for the whole run.
//!
//! connect → SUBSCRIBE every `-t` in one packet and wait for the SUBACK (a
//! refused filter is exit 4 naming it) → UNSUBSCRIBE every `-U` → print
//! messages until `-C`, `-W`, a signal, the end of the retained messages
//! (`--retained-only`) or the reader going away → clean DISCONNECT.
//!
//! Each message passes the same steps as in mosquitto_sub's message
//! callback, in its order: `--retained-only` ends at the first live
//! message; `-R` drops retained ones; `-T` drops by topic; then mqrr's
//! `-j/-r/-f` (a message a step cannot apply to is not printed, counted or
//! cleared); `--remove-retained` clears; print; count.
//!
//! Messages are printed on Paho's receive thread as they arrive (a
//! `Tap`), the way mosquitto_sub prints from its message callback. Handing
//! each one to the main thread instead cost a copy, two allocations and
//! often a wake-up per message, and let an unbounded backlog build up
//! while draining a persistent session (measured: 26 MiB peak RSS for
//! 200,000 queued messages, 1.19x mosquitto_sub's CPU time; `scripts/bench
//! sub`). Printing where the message arrives also gives TCP's back-pressure:
//! a slow reader of stdout slows the broker down instead of filling memory.
//! The main thread keeps the deadline, the signals, the acknowledgements of
//! `--remove-retained` and the end of the run; the tap tells it through
//! `Shared` when it has something to do.
//!
//! On a regular file the output is written in blocks; on a pipe or a
//! terminal after every message, so `mqrr sub … | while read` works line by
//! line.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::cli::{Protocol, SubArgs};
use crate::config::{ConnectionSettings, OutputStyle, check_filter, extractor};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::mqtt::properties::{Packet, Property, id};
use crate::mqtt::session::trace;
use crate::mqtt::{Flow, Incoming, Outgoing, Session, Subscription, Tap, connect_tapped, topic};
use crate::signal::{Signals, until};
use crate::text::extract::Extractor;
use crate::text::output::Output;

use super::request::{DISCONNECT_BOUND, human};
/// Up to this `-C`, a persistent session is read one message at a time
/// (see `Settings::from_args`): a round trip each, 0.1 s for all of them
/// on a local broker.
const ONE_AT_A_TIME: u64 = 1000;
/// How long the clearing publishes of `--remove-retained` may take to be
/// acknowledged once the run is over (about a millisecond on a healthy
/// connection).
const CLEARS_BOUND: Duration = Duration::from_secs(5);

/// `sub`, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub conn: ConnectionSettings,
    /// `-t`, in the order given (one SUBSCRIBE packet).
    pub filters: Vec<String>,
    /// `-T`.
    pub filter_out: Vec<String>,
    /// `-U`.
    pub unsubscribe: Vec<String>,
    pub qos: u8,
    /// `-C`: exit 0 after this many printed messages.
    pub count: Option<u64>,
    /// `-W`, from the start of the process; `None`: no deadline.
    pub timeout: Option<Duration>,
    /// `--timeout-fails`: `-W` passing is exit 27 even without `-C`.
    pub timeout_fails: bool,
    /// `--random-filter`: print each message with this chance, 0–1.
    pub random_filter: Option<f64>,
    /// `-E`.
    pub exit_after_subscribe: bool,
    /// `-R`.
    pub no_retained: bool,
    /// `--retained-only`, with its settle time.
    pub retained_only: Option<Duration>,
    pub remove_retained: bool,
    pub retain_as_published: bool,
    pub extractor: Extractor,
    pub output: OutputStyle,
}

impl Settings {
    pub fn from_args(a: &SubArgs) -> Result<Self> {
        let mut conn = ConnectionSettings::new(&a.connection)?;
        for f in &a.topic {
            check_filter("-t", f)?;
        }
        for f in &a.filter_out {
            check_filter("-T", f)?;
        }
        for f in &a.unsubscribe {
            check_filter("-U", f)?;
        }
        if a.retain_as_published && conn.protocol == Protocol::V311 {
            return Err(Error::Usage(
                "--retain-as-published needs MQTT 5, but -V 311 was given".into(),
            ));
        }
        let extractor = extractor(&a.extraction)?;
        let output = OutputStyle::from_args(
            a.verbose,
            a.no_newline,
            a.printing.format.as_deref(),
            a.printing.pretty,
        )?;
        // A persistent session's queue read with -C: messages after the
        // N-th stay in the session (patches/0005 of paho-mqtt-sys), but the
        // N-th's PUBACK may wait behind a SUBSCRIBE still being written when
        // the DISCONNECT closes the socket, and the message comes again.
        // One message in flight at a time (MQTT 5 Receive Maximum 1) keeps
        // that window small.
        let persistent = !conn.clean || conn.session_expiry.is_some_and(|e| e > 0);
        let receive_maximum_given = conn
            .properties
            .connect
            .iter()
            .any(|p| p.id == id::RECEIVE_MAXIMUM);
        if a.count.is_some_and(|n| n <= ONE_AT_A_TIME)
            && a.qos > 0
            && persistent
            && !receive_maximum_given
        {
            conn.properties
                .add(Packet::Connect, Property::int(id::RECEIVE_MAXIMUM, 1));
        }
        Ok(Settings {
            conn,
            filters: a.topic.clone(),
            filter_out: a.filter_out.clone(),
            unsubscribe: a.unsubscribe.clone(),
            qos: a.qos,
            count: a.count,
            timeout: a.timeout.filter(|t| !t.is_zero()),
            timeout_fails: a.timeout_fails,
            random_filter: a.random_filter.map(|p| p / 100.0),
            exit_after_subscribe: a.exit_after_subscribe,
            no_retained: a.no_retained,
            retained_only: a.retained_only.then_some(a.settle),
            remove_retained: a.remove_retained,
            retain_as_published: a.retain_as_published,
            extractor,
            output,
        })
    }

    /// The subscriptions of `-t`. MQTT 5 carries `-R` as Retain Handling 2
    /// (the broker sends no retained messages) and `--retain-as-published`.
    fn subscriptions(&self) -> Vec<Subscription> {
        self.filters
            .iter()
            .map(|f| Subscription {
                filter: f.clone(),
                qos: self.qos,
                no_local: false,
                retain_as_published: self.retain_as_published,
                retain_handling: if self.no_retained { 2 } else { 0 },
            })
            .collect()
    }
}

/// Why the stream ended (other than an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// `-C` reached.
    Count,
    /// `-W` passed.
    Deadline,
    /// `--retained-only`: a live message came, or nothing within the settle time.
    RetainedDone,
    /// stdout was closed (`| head -1`).
    ReaderGone,
}

/// What the tap and the main thread share.
struct Shared {
    state: Mutex<State>,
    /// Set by the main thread once its DISCONNECT is out (from the start
    /// with -E): the tap drops whatever still arrives. An atomic, not in
    /// `state`, so that the main thread never waits for a tap that is
    /// blocked writing to a slow pipe.
    over: AtomicBool,
    /// The tap has set `stop`, queued clears or hit a write error.
    wake: Notify,
}

/// What the tap leaves for the main thread, under the lock.
struct State {
    output: Output,
    printed: u64,
    /// Why the tap stopped printing, once it did.
    stop: Option<Stop>,
    /// A write error other than a closed pipe (exit 1).
    error: Option<std::io::Error>,
    /// Topics of retained messages to clear (`--remove-retained`); the
    /// main thread publishes, since the tap may not call Paho.
    clears: Vec<String>,
    /// When the last retained message arrived (`--retained-only`).
    last_retained: Option<std::time::Instant>,
    /// xorshift64 state for `--random-filter`.
    dice: u64,
}

impl State {
    /// Counts a message for `-C`; true when that was the last one.
    fn count(&mut self, s: &Settings) -> bool {
        self.printed += 1;
        let last = s.count == Some(self.printed);
        if last {
            self.stop = Some(Stop::Count);
        }
        last
    }

    /// True with probability `chance` (0–1), for `--random-filter`.
    fn draw(&mut self, chance: f64) -> bool {
        let mut x = self.dice;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.dice = x;
        // The top 53 bits as a uniform float in [0, 1).
        ((x >> 11) as f64 / (1u64 << 53) as f64) < chance
    }
}

/// Runs `sub`; `start` is when the process started (`-W` counts from it).
///
/// Exit: 0 at `-C`, at `-W` without `-C`, after `-E`, at the end of
/// `--retained-only`, when the reader goes away, and on SIGINT/SIGTERM
/// without `-C` once subscribed; 27 (`Error::Timeout`) at `-W` with `-C`
/// not reached, or when the deadline passes before the SUBACK; 130/143 on a
/// signal otherwise; 4 for a refused subscription or clearing publish.
pub async fn run(s: &Settings, start: Instant) -> Result<()> {
    let deadline = s.timeout.map(|t| start + t);
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            output: Output::new(s.output.clone()),
            printed: 0,
            stop: None,
            error: None,
            clears: Vec::new(),
            last_retained: None,
            // xorshift needs a state other than zero.
            dice: crate::config::random_u64() | 1,
        }),
        // -E and a run with only -U print nothing, not even what arrives
        // before the SUBACK.
        over: AtomicBool::new(s.exit_after_subscribe || s.filters.is_empty()),
        wake: Notify::new(),
    });
    let tap = Printer {
        s: s.clone(),
        shared: shared.clone(),
    }
    .into_tap();

    let mut signals = Signals::new()?;
    let session = tokio::select! {
        r = connect_tapped(&s.conn, deadline, Some(tap)) => r?,
        sig = signals.recv() => return Err(Error::Interrupted(sig)),
    };
    let mut stream = Stream {
        s,
        session: &session,
        shared: &shared,
        clears: HashMap::new(),
        next_tag: 0,
        subscribed: false,
    };
    let result = tokio::select! {
        r = stream.run(deadline) => r,
        sig = signals.recv() => Err(Error::Interrupted(sig)),
    };
    let subscribed = stream.subscribed;
    // What arrives until the DISCONNECT is asked for is still printed (a
    // -C reached stops the tap by itself): Paho has acknowledged it, and a
    // persistent session would lose it unprinted. What arrives after is
    // neither delivered nor acknowledged (patches/0005 of paho-mqtt-sys).
    session.disconnect(DISCONNECT_BOUND).await;
    shared.over.store(true, Ordering::SeqCst);

    let (flushed, printed) = match shared.state.lock() {
        Ok(mut st) => (st.output.flush(), st.printed),
        Err(_) => (Ok(()), 0),
    };
    match result {
        // The user ended an open stream (spec §8), or -C was reached just
        // before the signal.
        Err(Error::Interrupted(_)) if subscribed && s.count.is_none_or(|n| printed >= n) => {}
        other => other?,
    }
    match flushed {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Runtime(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// The tap's side: mosquitto_sub's steps for each message, on Paho's
/// receive thread.
struct Printer {
    s: Settings,
    shared: Arc<Shared>,
}

impl Printer {
    fn into_tap(mut self) -> Tap {
        Box::new(move |m: &Message| self.message(m))
    }

    fn message(&mut self, m: &Message) -> Flow {
        if self.shared.over.load(Ordering::Relaxed) {
            return Flow::Continue;
        }
        let Ok(mut st) = self.shared.state.lock() else {
            return Flow::Continue;
        };
        if st.stop.is_some() {
            return Flow::Continue;
        }
        let wake = self.handle(m, &mut st);
        // Done: disconnect before Paho reads (and acknowledges) more from
        // a persistent session (see `Flow::Disconnect`), unless clears are
        // still to be published.
        let flow = if st.stop.is_some() && !self.s.remove_retained {
            Flow::Disconnect
        } else {
            Flow::Continue
        };
        drop(st);
        if wake {
            self.shared.wake.notify_one();
        }
        flow
    }

    /// One message, through mosquitto_sub's steps (see the module comment);
    /// whether the main thread has something to do now.
    fn handle(&self, m: &Message, st: &mut State) -> bool {
        let s = &self.s;
        let debug = s.conn.debug;
        let skip = |why: &str| {
            if debug {
                trace(&format!("skipping message on {}: {why}", m.topic));
            }
            false
        };
        if !s.filters.iter().any(|f| topic::matches(f, &m.topic)) {
            return skip(
                "no -t filter matches its topic (a subscription of an earlier session, or a broker bug)",
            );
        }
        if s.retained_only.is_some() {
            if !m.retain {
                if debug {
                    trace(&format!(
                        "--retained-only: a live message on {}; done",
                        m.topic
                    ));
                }
                st.stop = Some(Stop::RetainedDone);
                return true;
            }
            st.last_retained = Some(std::time::Instant::now());
        }
        if m.retain && s.no_retained {
            return skip("retained (-R)");
        }
        if s.filter_out.iter().any(|f| topic::matches(f, &m.topic)) {
            return skip("filtered out (-T)");
        }
        if debug {
            trace(&format!(
                "received PUBLISH on {} (QoS {}{}, {} bytes)",
                m.topic,
                m.qos,
                if m.retain { ", retained" } else { "" },
                m.payload.len()
            ));
        }
        let Some(data) = s.extractor.apply(&m.payload) else {
            return skip("no match (-j/-r/-f)");
        };
        let mut wake = false;
        if s.remove_retained && m.retain {
            st.clears.push(m.topic.clone());
            wake = true;
        }
        if let Some(chance) = s.random_filter
            && !st.draw(chance)
        {
            // Skipped but counted, as mosquitto_sub counts it.
            return st.count(s) || wake;
        }
        let mut written = st.output.message(m, &data);
        if written.is_ok() && st.output.is_live() {
            written = st.output.flush();
        }
        if let Err(e) = written {
            // Either way nothing more is printed.
            st.stop = Some(Stop::ReaderGone);
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                if debug {
                    trace("stdout closed; stopping");
                }
            } else {
                st.error = Some(e);
            }
            return true;
        }
        st.count(s) || wake
    }
}

/// The main thread's side of a run.
struct Stream<'a> {
    s: &'a Settings,
    session: &'a Session,
    shared: &'a Shared,
    /// Clearing publishes (`--remove-retained`) not yet acknowledged: tag → topic.
    clears: HashMap<u64, String>,
    next_tag: u64,
    /// Every SUBACK and UNSUBACK arrived.
    subscribed: bool,
}

impl Stream<'_> {
    async fn run(&mut self, deadline: Option<Instant>) -> Result<()> {
        let s = self.s;
        let stop = match self.subscribe(deadline).await? {
            // Printed enough before the SUBACK (a persistent session's queue).
            Some(stop) => Ok(stop),
            None if s.exit_after_subscribe || s.filters.is_empty() => return Ok(()),
            None => self.stream(deadline).await,
        };
        let stop = stop?;
        self.finish_clears(deadline).await?;
        match (stop, s.count) {
            (Stop::Deadline, Some(n)) => Err(Error::Timeout(format!(
                "received {} of {n} messages on {} within {}",
                self.printed(),
                s.filters.join(" "),
                human(s.timeout)
            ))),
            (Stop::Deadline, None) if s.timeout_fails => Err(Error::Timeout(format!(
                "received {} messages on {} within {}",
                self.printed(),
                s.filters.join(" "),
                human(s.timeout)
            ))),
            _ => Ok(()),
        }
    }

    /// SUBSCRIBE, then UNSUBSCRIBE, each waiting for its acknowledgement;
    /// or the tap's stop, when the messages a persistent session had queued
    /// (sent before the SUBACK) were enough.
    async fn subscribe(&mut self, deadline: Option<Instant>) -> Result<Option<Stop>> {
        let (s, session) = (self.s, self.session);
        let acknowledged = async {
            if !s.filters.is_empty() {
                session.subscribe(&s.subscriptions(), &[], deadline).await?;
            }
            if !s.unsubscribe.is_empty() {
                session.unsubscribe(&s.unsubscribe, &[], deadline).await?;
            }
            Ok::<_, Error>(())
        };
        tokio::pin!(acknowledged);
        loop {
            tokio::select! {
                r = &mut acknowledged => {
                    if let Err(e) = r {
                        // The tap stopped and disconnected before the SUBACK.
                        return self.tap_stop().map(Some).ok_or(e);
                    }
                    self.subscribed = true;
                    return Ok(None);
                }
                _ = self.shared.wake.notified() => {
                    if let Some(stop) = self.take_state()? {
                        return Ok(Some(stop));
                    }
                }
            }
        }
    }

    /// What the tap left: publishes the clears it asked for; its write
    /// error, or why it stopped.
    fn take_state(&mut self) -> Result<Option<Stop>> {
        let (clears, stop, error) = match self.shared.state.lock() {
            Ok(mut st) => (std::mem::take(&mut st.clears), st.stop, st.error.take()),
            Err(_) => return Err(Error::Runtime("the printer failed".into())),
        };
        for topic in clears {
            self.clear(&topic)?;
        }
        if let Some(e) = error {
            return Err(Error::Runtime(format!("writing to stdout: {e}")));
        }
        Ok(stop)
    }

    /// Why the tap stopped, if it did.
    fn tap_stop(&self) -> Option<Stop> {
        self.shared.state.lock().ok().and_then(|st| st.stop)
    }

    fn printed(&self) -> u64 {
        self.shared.state.lock().map_or(0, |st| st.printed)
    }

    /// Waits for the tap to stop, the deadline, or the end of the retained
    /// messages; publishes the clears the tap asks for meanwhile.
    async fn stream(&mut self, deadline: Option<Instant>) -> Result<Stop> {
        let session = self.session;
        let subacked = std::time::Instant::now();
        // --retained-only: done when nothing retained came for the settle
        // time, counted from the SUBACK or the last one.
        let settled = || {
            self.s.retained_only.map(|d| {
                let last = self
                    .shared
                    .state
                    .lock()
                    .ok()
                    .and_then(|st| st.last_retained)
                    .map_or(subacked, |t| t.max(subacked));
                Instant::from_std(last + d)
            })
        };
        // Clears asked for before the SUBACK.
        if let Some(stop) = self.take_state()? {
            return Ok(stop);
        }
        loop {
            let settle = settled();
            tokio::select! {
                _ = self.shared.wake.notified() => {
                    if let Some(stop) = self.take_state()? {
                        return Ok(stop);
                    }
                }
                incoming = session.next() => match incoming {
                    Incoming::Published { tag, result } => self.cleared(tag, result)?,
                    // The tap's own DISCONNECT, if it stopped.
                    Incoming::Lost(e) => return self.tap_stop().ok_or(e),
                    // Every message goes to the tap.
                    Incoming::Message(_) => {}
                },
                _ = until(deadline) => return Ok(Stop::Deadline),
                _ = until(settle) => {
                    // A retained message may have come while waiting.
                    if settled().is_some_and(|t| t <= Instant::now()) {
                        session.debug(|| "--retained-only: no more retained messages".into());
                        return Ok(Stop::RetainedDone);
                    }
                }
            }
        }
    }

    /// Clears the retained message on `topic`: an empty retained publish,
    /// QoS 1 (as mosquitto_sub) unless the broker takes only QoS 0.
    fn clear(&mut self, topic: &str) -> Result<()> {
        self.session
            .debug(|| format!("clearing the retained message on {topic}"));
        let message = Outgoing {
            topic,
            payload: &[],
            qos: self.session.limits.max_qos.min(1),
            retain: true,
            properties: &[],
        };
        self.session
            .publish(&message, "clearing message", self.next_tag)?;
        self.clears.insert(self.next_tag, topic.to_string());
        self.next_tag += 1;
        Ok(())
    }

    /// A clearing publish completed; a refused one is exit 4 naming the topic.
    fn cleared(
        &mut self,
        tag: u64,
        result: std::result::Result<(), crate::mqtt::Failed>,
    ) -> Result<()> {
        let topic = self.clears.remove(&tag).unwrap_or_default();
        result.map_err(|f| self.session.publish_error(f, &topic, "clearing message"))
    }

    /// Publishes the clears still asked for and waits until every one was
    /// acknowledged: the run is not done while a retained message it was
    /// asked to clear may remain.
    async fn finish_clears(&mut self, deadline: Option<Instant>) -> Result<()> {
        let asked = match self.shared.state.lock() {
            Ok(mut st) => std::mem::take(&mut st.clears),
            Err(_) => Vec::new(),
        };
        for topic in asked {
            self.clear(&topic)?;
        }
        if self.clears.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let bound = match deadline {
            Some(d) if d <= now => now + DISCONNECT_BOUND,
            Some(d) => d.min(now + CLEARS_BOUND),
            None => now + CLEARS_BOUND,
        };
        while !self.clears.is_empty() {
            match tokio::time::timeout_at(bound, self.session.next()).await {
                Ok(Incoming::Published { tag, result }) => self.cleared(tag, result)?,
                Ok(Incoming::Message(_)) => {}
                Ok(Incoming::Lost(e)) => return Err(e),
                Err(_) => {
                    return Err(Error::Runtime(format!(
                        "{} retained message(s) not confirmed cleared by {}",
                        self.clears.len(),
                        self.session.display
                    )));
                }
            }
        }
        Ok(())
    }
}
