//! `mqrr pub` (spec §7): publish a message N times, or each line of stdin as
//! it is read, over one connection, and exit 0 only when every message was
//! written (QoS 0) or acknowledged (QoS 1/2) and the clean DISCONNECT went
//! out.
//!
//! Flow control. Paho C takes each publish as a command for its sending
//! thread and completes it there (QoS 0: written) or on its receiving thread
//! (QoS 1/2: acknowledged). Handing it the next line only when the previous
//! one completed made three threads wake each other for every line, at two
//! to three times mosquitto_pub's CPU. So a window of publishes is handed
//! over at once: at QoS 0 up to `MAX_WINDOW`; at QoS 1/2 the broker's
//! Receive Maximum plus `QUEUED` more, which Paho keeps in its queue and
//! sends as acknowledgements free places (it never has more than Receive
//! Maximum in flight, MQTT 5 §4.9); `-M N` hands over N at most, no more.
//! Never more than `MAX_WINDOW_BYTES` of payload either. While the window is
//! full the loop does not wake for each completion: it looks every
//! millisecond, takes what completed and refills the window in one go.
//! While it has room it waits for whatever comes first: a line, a
//! completion, the deadline (and signals, around it). stdin is read by a
//! thread into a small bounded channel, so a producer faster than the broker
//! is held back by the pipe, not buffered in memory.

use std::collections::HashMap;
use std::io::Read;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::request::{DISCONNECT_BOUND, human, read_payload};
use crate::cli::PubArgs;
use crate::config::{ConnectionSettings, Payload, check_payload_size, check_topic};
use crate::error::{Error, Result};
use crate::mqtt::{Failed, Incoming, Outgoing, Session, connect};
use crate::signal::{Signals, until};

/// Most publishes outstanding at once: 5 ms of a fast broker at QoS 0,
/// well over the millisecond between two looks at a full window. (Paho's
/// `maxBufferedMessages`, see `paho.rs`, is above it.)
const MAX_WINDOW: usize = 1024;
/// Publishes handed to Paho at QoS 1/2 beyond the broker's Receive Maximum:
/// they wait in Paho's queue, and each acknowledgement lets Paho send the
/// next without waking mqrr. More is not better: Paho scans its queue from
/// the start for every command it sends (measured: 1,000 queued cost more
/// CPU than 100).
const QUEUED: usize = 100;
/// Most payload bytes outstanding at once (Paho holds a copy of each until
/// it completes); one message larger than this still goes, alone.
const MAX_WINDOW_BYTES: usize = 8 * 1024 * 1024;
/// Payloads from this size on count towards `MAX_WINDOW_BYTES`.
const TRACKED: usize = 4096;
/// A QoS 0 message up to this size is written whole at once on a
/// connection with nothing else outstanding (far below a socket buffer):
/// its DISCONNECT may follow it without waiting (see `Flow::repeat`).
const WRITTEN_AT_ONCE: usize = 4096;
/// How much of stdin one read takes.
const CHUNK: usize = 64 * 1024;
/// Chunks read ahead of the publisher: a bound on memory, not on speed.
const CHUNKS_AHEAD: usize = 4;
/// How often a full window is looked at.
const TICK: Duration = Duration::from_millis(1);

/// What is published.
#[derive(Debug, Clone)]
pub enum Source {
    /// One payload (`-m`, `-n`, `-f`, `-s`), `--repeat` times.
    Once(Payload),
    /// `-l`: each line of stdin.
    Lines,
}

/// `pub`, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub conn: ConnectionSettings,
    pub topic: String,
    pub source: Source,
    pub qos: u8,
    pub retain: bool,
    /// How many times the payload is published (`--repeat`, at least 1).
    pub repeat: u32,
    /// Wait after each repeated message completed, before the next.
    pub repeat_delay: Duration,
    /// `-M`: QoS 1/2 messages in flight at most.
    pub max_inflight: Option<u16>,
    /// `None`: no deadline.
    pub timeout: Option<Duration>,
}

impl Settings {
    pub fn from_args(a: &PubArgs) -> Result<Self> {
        let conn = ConnectionSettings::new(&a.connection)?;
        let topic = a.topic.clone().unwrap_or_default();
        check_topic("-t", &topic)?;
        let source = if let Some(m) = &a.message {
            Source::Once(Payload::Bytes(m.clone().into_bytes()))
        } else if let Some(path) = &a.file {
            Source::Once(Payload::file("-f", path)?)
        } else if a.stdin_file {
            Source::Once(Payload::Stdin)
        } else if a.stdin_line {
            Source::Lines
        } else {
            Source::Once(Payload::Bytes(Vec::new()))
        };
        if let Source::Once(Payload::Bytes(b)) = &source {
            check_payload_size(b.len())?;
        }
        Ok(Settings {
            conn,
            topic,
            source,
            qos: a.qos,
            retain: a.retain,
            repeat: a.repeat.unwrap_or(1),
            repeat_delay: a.repeat_delay.unwrap_or_default(),
            max_inflight: a.max_inflight,
            timeout: a.timeout.filter(|t| !t.is_zero()),
        })
    }
}

/// Runs `pub`; `start` is when the process started (the `-W` deadline
/// counts from there).
pub async fn run(s: &Settings, start: Instant) -> Result<()> {
    let deadline = s.timeout.map(|t| start + t);
    match &s.source {
        Source::Once(source) => {
            // Read before connecting, as mosquitto_pub does: a connection
            // waiting on a slow stdin would only idle.
            let payload = read_payload(source, deadline, s.timeout).await?;
            with_session(&s.conn, deadline, async |session| {
                Flow::new(session, s, deadline).repeat(&payload).await
            })
            .await
        }
        Source::Lines => {
            with_session(&s.conn, deadline, async |session| {
                let mut flow = Flow::new(session, s, deadline);
                flow.lines(&mut Lines::spawn()).await?;
                Ok(End::Completed(flow.summary()))
            })
            .await
        }
    }
}

/// How a run that went well ended.
enum End {
    /// Every message completed; the DISCONNECT is still to be sent. The
    /// text says what completed, for an error about the DISCONNECT.
    Completed(String),
    /// The DISCONNECT went out right behind the last message.
    Disconnected,
}

/// Connects, runs `body`, and disconnects cleanly whatever `body` returned;
/// SIGINT/SIGTERM end it as `Error::Interrupted`. Unlike a request, success
/// needs the DISCONNECT to have been written (spec §7): a connection lost
/// after the last acknowledgement still fires the Will. (Its first half is
/// request's `with_session`: sharing it through one more async function
/// measured 3.28 against 3.24 MiB peak RSS on the one-shot request.)
async fn with_session(
    conn: &ConnectionSettings,
    deadline: Option<Instant>,
    body: impl AsyncFnOnce(&Session) -> Result<End>,
) -> Result<()> {
    let mut signals = Signals::new()?;
    let session = tokio::select! {
        s = connect(conn, deadline) => s?,
        sig = signals.recv() => return Err(Error::Interrupted(sig)),
    };
    let result = tokio::select! {
        r = body(&session) => r,
        sig = signals.recv() => Err(Error::Interrupted(sig)),
    };
    match result {
        Ok(End::Disconnected) => Ok(()),
        Ok(End::Completed(summary)) => disconnect(&session, &summary).await,
        Err(e) => {
            session.disconnect(DISCONNECT_BOUND).await;
            Err(e)
        }
    }
}

/// Sends the clean DISCONNECT; an error when it was not written. `summary`
/// says what completed before.
async fn disconnect(session: &Session, summary: &str) -> Result<()> {
    if session.disconnect(DISCONNECT_BOUND).await {
        Ok(())
    } else if session.is_connected() {
        Err(Error::Runtime(format!(
            "the DISCONNECT to {} was not written within {} ({summary})",
            session.display,
            human(Some(DISCONNECT_BOUND))
        )))
    } else {
        Err(Error::Runtime(format!(
            "{} before the DISCONNECT ({summary})",
            session.lost()
        )))
    }
}

/// `n` and the noun, in the plural unless `n` is 1.
fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The publishing half: the window of outstanding publishes and what the
/// broker answered.
struct Flow<'a> {
    session: &'a Session,
    s: &'a Settings,
    deadline: Option<Instant>,
    /// Publishes outstanding at most (see the module comment).
    window: usize,
    /// Payload bytes of each outstanding publish, by tag.
    sizes: HashMap<u64, usize>,
    bytes: usize,
    /// Publishes handed to Paho; the next tag.
    published: u64,
    /// Publishes written (QoS 0) or acknowledged (QoS 1/2).
    completed: u64,
    /// Looks at a full window.
    tick: tokio::time::Interval,
}

impl<'a> Flow<'a> {
    fn new(session: &'a Session, s: &'a Settings, deadline: Option<Instant>) -> Flow<'a> {
        let in_flight = usize::from(session.limits.receive_maximum);
        let window = match (s.qos, s.max_inflight) {
            (0, _) => MAX_WINDOW,
            (_, Some(m)) => usize::from(m).min(in_flight).min(MAX_WINDOW),
            (_, None) => (in_flight + QUEUED).min(MAX_WINDOW),
        };
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        session.debug(|| {
            if s.qos == 0 {
                format!("publishing with up to {window} messages outstanding")
            } else {
                format!(
                    "publishing with up to {window} messages outstanding, {} in flight",
                    window.min(in_flight)
                )
            }
        });
        Flow {
            session,
            s,
            deadline,
            window: window.max(1),
            sizes: HashMap::new(),
            bytes: 0,
            published: 0,
            completed: 0,
            tick,
        }
    }

    fn outstanding(&self) -> u64 {
        self.published - self.completed
    }

    fn full(&self) -> bool {
        let n = self.outstanding();
        n >= self.window as u64 || (n > 0 && self.bytes >= MAX_WINDOW_BYTES)
    }

    /// What completes a publish at this QoS, for messages.
    fn done_word(&self) -> &'static str {
        if self.s.qos == 0 {
            "written"
        } else {
            "acknowledged"
        }
    }

    /// What went well, for a message about what went wrong after it.
    fn summary(&self) -> String {
        match self.published {
            0 => "no message was published".to_string(),
            1 => format!("the message was {}", self.done_word()),
            n => format!("all {n} messages were {}", self.done_word()),
        }
    }

    /// Hands one message to Paho.
    fn publish(&mut self, payload: &[u8]) -> Result<()> {
        let m = Outgoing {
            topic: &self.s.topic,
            payload,
            qos: self.s.qos,
            retain: self.s.retain,
            properties: &[],
        };
        let tag = self.published;
        self.session.publish(&m, "message", tag)?;
        self.published += 1;
        // Small payloads hardly matter for the byte bound (a full window
        // of them is under 4 MiB); not tracking them saves a hash-map
        // insert and removal per line.
        if payload.len() >= TRACKED {
            self.bytes += payload.len();
            self.sizes.insert(tag, payload.len());
        }
        Ok(())
    }

    /// One event of the session: a completion frees its place in the
    /// window; a refusal, a failure or the loss of the connection ends the
    /// run. `what(tag)` names a message for the error.
    fn handle(&mut self, incoming: Incoming, what: impl Fn(u64) -> String) -> Result<()> {
        match incoming {
            Incoming::Published { tag, result } => {
                if !self.sizes.is_empty() {
                    if let Some(len) = self.sizes.remove(&tag) {
                        self.bytes -= len;
                    }
                }
                match result {
                    Ok(()) => {
                        self.completed += 1;
                        let done = self.done_word();
                        self.session.debug(|| format!("message {} {done}", tag + 1));
                        Ok(())
                    }
                    Err(f) => Err(self.failed(f, &what(tag))),
                }
            }
            Incoming::Lost(e) => Err(self.lost(e)),
            // A persistent session (-c) may still hold subscriptions.
            Incoming::Message(m) => {
                self.session
                    .debug(|| format!("ignored a message on {}", m.topic));
                Ok(())
            }
        }
    }

    /// A publish that failed: refused by the broker (exit 4), or lost with
    /// the connection (exit 1, counting what was outstanding).
    fn failed(&self, f: Failed, what: &str) -> Error {
        let refused = f.reason.is_some_and(|r| r >= 0x80);
        if !refused && !self.session.is_connected() {
            return self.lost(self.session.lost());
        }
        self.session.publish_error(f, &self.s.topic, what)
    }

    /// The loss of the connection, saying how many messages it took.
    fn lost(&self, e: Error) -> Error {
        let n = self.outstanding();
        let what = if n == 0 {
            format!("after {}", count(self.published, "message"))
        } else {
            let not = if self.s.qos == 0 {
                "unwritten"
            } else {
                "unacknowledged"
            };
            format!("with {n} of {} {not}", count(self.published, "message"))
        };
        match e {
            Error::Runtime(m) => Error::Runtime(format!("{m} {what}")),
            other => other,
        }
    }

    /// The `-W` error while messages are outstanding (or `idle` when none is).
    fn timed_out(&self, idle: impl FnOnce() -> String) -> Error {
        let n = self.outstanding();
        let why = if n == 0 {
            idle()
        } else {
            format!(
                "{n} of {} not {}",
                count(self.published, "message"),
                self.done_word()
            )
        };
        Error::Timeout(format!("timed out after {}: {why}", human(self.s.timeout)))
    }

    /// Whether the `-W` deadline has passed.
    fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Handles one event of the session, or waits: see `pause`.
    async fn wait(
        &mut self,
        what: &impl Fn(u64) -> String,
        idle: &dyn Fn() -> String,
    ) -> Result<()> {
        if let Some(incoming) = self.session.try_next() {
            return self.handle(incoming, what);
        }
        self.pause(None, what, idle).await
    }

    /// Waits when there is nothing to do. With a full window, until the
    /// next tick: what completed meanwhile is taken all at once afterwards.
    /// Otherwise for the first of a completion (or any event), more of
    /// `input`, or a tick. The deadline ends either wait. Also yields to the
    /// runtime now and then, so that signals are answered when events never
    /// run out.
    async fn pause(
        &mut self,
        input: Option<&mut Lines>,
        what: &impl Fn(u64) -> String,
        idle: &dyn Fn() -> String,
    ) -> Result<()> {
        tokio::task::coop::consume_budget().await;
        if self.past_deadline() {
            return Err(self.timed_out(idle));
        }
        if self.full() {
            tokio::select! {
                _ = until(self.deadline) => return Err(self.timed_out(idle)),
                _ = self.tick.tick() => {}
            }
            return Ok(());
        }
        match input {
            Some(input) if !input.eof => tokio::select! {
                incoming = self.session.next() => self.handle(incoming, what)?,
                () = input.fill() => {}
                _ = until(self.deadline) => return Err(self.timed_out(idle)),
            },
            _ => tokio::select! {
                incoming = self.session.next() => self.handle(incoming, what)?,
                _ = until(self.deadline) => return Err(self.timed_out(idle)),
            },
        }
        Ok(())
    }

    /// Waits until every publish completed.
    async fn drain(
        &mut self,
        what: &impl Fn(u64) -> String,
        idle: &dyn Fn() -> String,
    ) -> Result<()> {
        while self.outstanding() > 0 {
            self.wait(what, idle).await?;
        }
        Ok(())
    }

    /// `-m`, `-n`, `-f`, `-s`: the payload `repeat` times. Without a delay
    /// the repeats fill the window; with one, each waits until the previous
    /// message completed and the delay passed (mosquitto_pub 2.0).
    async fn repeat(&mut self, payload: &[u8]) -> Result<End> {
        let total = self.s.repeat;
        let what = |tag: u64| {
            if total == 1 {
                "message".to_string()
            } else {
                format!("message ({} of {total})", tag + 1)
            }
        };
        let published = |n: u64| format!("{n} of {} published", count(total.into(), "message"));
        for i in 0..u64::from(total) {
            let idle = || published(i);
            if i > 0 && !self.s.repeat_delay.is_zero() {
                self.drain(&what, &idle).await?;
                let next = Instant::now() + self.s.repeat_delay;
                while Instant::now() < next {
                    tokio::select! {
                        _ = tokio::time::sleep_until(next) => {}
                        r = self.wait(&what, &idle) => r?,
                    }
                }
            }
            while self.full() {
                self.wait(&what, &idle).await?;
            }
            self.publish(payload)?;
        }
        let idle = || published(total.into());
        // QoS 0, one small message left: the DISCONNECT goes right behind
        // it instead of after its completion came back, one wake-up of
        // Paho's sending thread and of ours less (a one-shot `pub -m x` is
        // mostly such wake-ups). Paho writes its commands in order and
        // reports the publish written before it takes the DISCONNECT, so
        // the outcome is already queued when the DISCONNECT is confirmed.
        // (A large one may be written in parts, which Paho would not wait
        // for: hence `WRITTEN_AT_ONCE`.)
        if self.s.qos == 0 && self.outstanding() == 1 && payload.len() <= WRITTEN_AT_ONCE {
            disconnect(self.session, "the message was just published").await?;
            while let Some(incoming) = self.session.try_next() {
                self.handle(incoming, what)?;
            }
            if self.outstanding() > 0 {
                return Err(Error::Runtime(format!(
                    "the DISCONNECT to {} went out before the message was confirmed written",
                    self.session.display
                )));
            }
            return Ok(End::Disconnected);
        }
        self.drain(&what, &idle).await?;
        Ok(End::Completed(self.summary()))
    }

    /// `-l`: each line as soon as it is read, in order, while the window
    /// has room; at the end of stdin, waits for the last completions.
    async fn lines(&mut self, input: &mut Lines) -> Result<()> {
        let what = |tag: u64| format!("message from line {}", tag + 1);
        loop {
            // Everything that can be done without waiting first: a select
            // that another branch wins registers and drops a waker on the
            // event channel for nothing.
            let mut busy = false;
            while let Some(incoming) = self.session.try_next() {
                self.handle(incoming, what)?;
                busy = true;
            }
            while !self.full() {
                let Some(line) = input.next_line()? else {
                    if input.try_fill() {
                        busy = true;
                        continue;
                    }
                    break;
                };
                let line_no = self.published + 1;
                self.publish(line).map_err(|e| match e {
                    Error::Refused(m) => Error::Refused(format!("line {line_no}: {m}")),
                    other => other,
                })?;
                busy = true;
            }
            if input.finished() {
                break;
            }
            let lines = self.published;
            let idle = || format!("stdin still open after {}", count(lines, "line"));
            if busy {
                // Busy all the time is possible: yield now and then, and
                // keep the deadline.
                tokio::task::coop::consume_budget().await;
                if self.past_deadline() {
                    return Err(self.timed_out(idle));
                }
                continue;
            }
            self.pause(Some(input), &what, &idle).await?;
        }
        let lines = self.published;
        self.drain(&what, &|| {
            format!("stdin ended after {}", count(lines, "line"))
        })
        .await?;
        input.error()
    }
}

/// stdin as lines, read by a thread in chunks as they arrive: a slow
/// producer's line is published as soon as its newline is read, a fast
/// producer's lines are cut from 64 KiB reads without a copy per line.
struct Lines {
    chunks: mpsc::Receiver<std::io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    /// Where the next line starts in `buf`.
    start: usize,
    /// `buf[start..scanned]` holds no newline.
    scanned: usize,
    eof: bool,
    /// A read error, reported once what was read before it is published.
    error: Option<std::io::Error>,
    /// Lines handed out so far, for messages.
    taken: u64,
}

impl Lines {
    /// Starts the reader thread. A stdin that never ends keeps it blocked;
    /// the process exits without waiting for it.
    fn spawn() -> Lines {
        let (tx, chunks) = mpsc::channel(CHUNKS_AHEAD);
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = vec![0u8; CHUNK];
            loop {
                let chunk = match stdin.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => Ok(buf.get(..n).unwrap_or_default().to_vec()),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = chunk.is_err();
                if tx.blocking_send(chunk).is_err() || failed {
                    return;
                }
            }
        });
        Lines::new(chunks)
    }

    /// Lines from the chunks a reader sends; the reader dropping its end is
    /// the end of the input.
    fn new(chunks: mpsc::Receiver<std::io::Result<Vec<u8>>>) -> Lines {
        Lines {
            chunks,
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            eof: false,
            error: None,
            taken: 0,
        }
    }

    /// The next complete line without its newline; at the end of stdin also
    /// a last line that has none. `\r` and NUL bytes are payload.
    fn next_line(&mut self) -> Result<Option<&[u8]>> {
        let rest = self.buf.get(self.scanned..).unwrap_or_default();
        let end = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => self.scanned + i,
            None => {
                self.scanned = self.buf.len();
                let partial = self.buf.len() - self.start;
                if check_payload_size(partial).is_err() {
                    return Err(Error::Runtime(format!(
                        "stdin line {} is larger than MQTT's 256 MiB limit",
                        self.taken + 1
                    )));
                }
                if !self.eof || partial == 0 {
                    return Ok(None);
                }
                self.buf.len()
            }
        };
        let start = self.start;
        self.start = (end + 1).min(self.buf.len());
        self.scanned = self.start;
        self.taken += 1;
        Ok(self.buf.get(start..end))
    }

    /// Whether every line was handed out.
    fn finished(&self) -> bool {
        self.eof && self.start >= self.buf.len()
    }

    /// Waits for more of stdin (cancel-safe: nothing is lost when another
    /// branch of a select wins).
    async fn fill(&mut self) {
        let chunk = self.chunks.recv().await;
        self.accept(chunk);
    }

    /// Takes more of stdin if the reader has some ready; true when it did
    /// (or stdin ended).
    fn try_fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        match self.chunks.try_recv() {
            Ok(chunk) => self.accept(Some(chunk)),
            Err(mpsc::error::TryRecvError::Empty) => return false,
            Err(mpsc::error::TryRecvError::Disconnected) => self.accept(None),
        }
        true
    }

    /// Appends a chunk from the reader; `None` is the end of stdin.
    fn accept(&mut self, chunk: Option<std::io::Result<Vec<u8>>>) {
        if self.eof {
            return;
        }
        // What was handed out is published (Paho copied it): keep only
        // the partial line.
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        match chunk {
            Some(Ok(chunk)) if self.buf.is_empty() => self.buf = chunk,
            Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
            Some(Err(e)) => {
                self.error = Some(e);
                self.eof = true;
            }
            None => self.eof = true,
        }
    }

    /// The read error that ended stdin early, if one did.
    fn error(&mut self) -> Result<()> {
        match self.error.take() {
            None => Ok(()),
            Some(e) => Err(Error::Runtime(format!(
                "reading stdin after line {}: {e}",
                self.taken
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line `Lines` cuts from `chunks`, taking chunks only when no
    /// whole line is left, as the publisher does.
    fn cut(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let (tx, rx) = mpsc::channel(chunks.len().max(1));
        for c in chunks {
            tx.try_send(Ok(c.to_vec())).unwrap();
        }
        drop(tx);
        let mut lines = Lines::new(rx);
        let mut out = Vec::new();
        loop {
            while let Some(line) = lines.next_line().unwrap() {
                out.push(line.to_vec());
            }
            if lines.finished() || !lines.try_fill() {
                break;
            }
        }
        assert!(lines.finished());
        // Once the input ended there is nothing more to take (a `true` here
        // once made the publisher spin).
        assert!(!lines.try_fill());
        out
    }

    #[test]
    fn lines_are_cut_at_newlines_only() {
        assert_eq!(
            cut(&[b"a\nb", b"c\n\nd\r\n", b"x\0y\n\xff"]),
            [&b"a"[..], b"bc", b"", b"d\r", b"x\0y", b"\xff"]
        );
    }

    #[test]
    fn a_line_may_span_many_chunks() {
        assert_eq!(cut(&[b"lo", b"n", b"g\nshort\n"]), [&b"long"[..], b"short"]);
    }

    #[test]
    fn the_end_of_input_is_not_a_line() {
        assert_eq!(cut(&[b"a\n"]), [b"a"]);
        assert!(cut(&[]).is_empty());
        assert!(cut(&[b""]).is_empty());
        assert_eq!(cut(&[b"\n"]), [b""]);
    }

    #[test]
    fn a_read_error_ends_the_input_after_what_was_read() {
        let (tx, rx) = mpsc::channel(2);
        tx.try_send(Ok(b"a\nb".to_vec())).unwrap();
        tx.try_send(Err(std::io::Error::other("gone"))).unwrap();
        let mut lines = Lines::new(rx);
        assert!(lines.try_fill());
        assert_eq!(lines.next_line().unwrap(), Some(&b"a"[..]));
        assert_eq!(lines.next_line().unwrap(), None);
        assert!(lines.try_fill());
        assert_eq!(lines.next_line().unwrap(), Some(&b"b"[..]));
        assert!(lines.finished());
        let e = lines.error().unwrap_err();
        assert!(e.to_string().contains("after line 2: gone"), "{e}");
    }
}
