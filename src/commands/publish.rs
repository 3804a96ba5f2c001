//! `mqrr pub` (spec §7): publish a message N times, or each line of stdin as
//! it is read, over one connection, and exit 0 only when every message was
//! written (QoS 0) or acknowledged (QoS 1/2) and the clean DISCONNECT went
//! out.
//!
//! Flow control: at most a window of publishes is outstanding at once, the
//! broker's Receive Maximum for QoS 1/2 (MQTT 5 §4.9), and never more than
//! `MAX_WINDOW` messages or `MAX_WINDOW_BYTES` of payload. When the window
//! is full the loop waits for acknowledgements, the deadline, the loss of
//! the connection and signals at once; stdin is read by a thread into a
//! small bounded channel, so a producer faster than the broker is held back
//! by the pipe, not buffered in memory.

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

/// Most publishes outstanding at once. Paho C refuses a publish while 100
/// of them wait in its command queue (`maxBufferedMessages`, error -12);
/// outstanding publishes include the queued ones, so the window stays
/// below that whatever the broker's Receive Maximum.
const MAX_WINDOW: usize = 64;
/// Most payload bytes outstanding at once (Paho holds a copy of each until
/// it completes); one message larger than this still goes, alone.
const MAX_WINDOW_BYTES: usize = 8 * 1024 * 1024;
/// Payloads from this size on count towards `MAX_WINDOW_BYTES`.
const TRACKED: usize = 4096;
/// How much of stdin one read takes.
const CHUNK: usize = 64 * 1024;
/// Chunks read ahead of the publisher: a bound on memory, not on speed.
const CHUNKS_AHEAD: usize = 4;
/// How often Paho's writer is woken while QoS 0 publishes wait to be
/// written (see `Session::wake_writer`).
const NUDGE: Duration = Duration::from_millis(1);

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
                let mut flow = Flow::new(session, s, deadline);
                flow.repeat(&payload).await?;
                Ok(flow.summary())
            })
            .await
        }
        Source::Lines => {
            with_session(&s.conn, deadline, async |session| {
                let mut flow = Flow::new(session, s, deadline);
                flow.lines(&mut Lines::spawn()).await?;
                Ok(flow.summary())
            })
            .await
        }
    }
}

/// Connects, runs `body`, and disconnects cleanly whatever `body` returned;
/// SIGINT/SIGTERM end it as `Error::Interrupted`. Unlike a request, success
/// needs the DISCONNECT to have been written (spec §7): a connection lost
/// after the last acknowledgement still fires the Will.
async fn with_session(
    conn: &ConnectionSettings,
    deadline: Option<Instant>,
    body: impl AsyncFnOnce(&Session) -> Result<String>,
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
    let sent = session.disconnect(DISCONNECT_BOUND).await;
    let summary = result?;
    if sent {
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
    /// Keeps Paho's writer going while QoS 0 publishes wait to be written.
    nudge: tokio::time::Interval,
    /// `completed` at the last nudge tick: Paho's writer is woken only
    /// when nothing completed for a whole tick.
    completed_at_tick: u64,
}

impl<'a> Flow<'a> {
    fn new(session: &'a Session, s: &'a Settings, deadline: Option<Instant>) -> Flow<'a> {
        let mut window = MAX_WINDOW;
        if s.qos > 0 {
            window = window.min(usize::from(session.limits.receive_maximum));
            if let Some(m) = s.max_inflight {
                window = window.min(usize::from(m));
            }
        }
        let mut nudge = tokio::time::interval(NUDGE);
        nudge.set_missed_tick_behavior(MissedTickBehavior::Delay);
        session.debug(|| format!("publishing with up to {window} messages outstanding"));
        Flow {
            session,
            s,
            deadline,
            window: window.max(1),
            sizes: HashMap::new(),
            bytes: 0,
            published: 0,
            completed: 0,
            nudge,
            completed_at_tick: 0,
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
        // Small payloads do not matter for the byte bound (the window
        // holds at most 64 of them); not tracking them saves a hash-map
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

    /// A nudge tick: wakes Paho's writer when no publish completed since
    /// the last tick (a partly written packet waits for it), and only then:
    /// waking it on every tick cost 7,000 wake-ups of its thread in a
    /// 200,000-line run.
    fn nudged(&mut self) {
        if self.completed == self.completed_at_tick {
            self.session.wake_writer();
        }
        self.completed_at_tick = self.completed;
    }

    /// Whether the `-W` deadline has passed.
    fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Handles one event of the session: one already there, else the next
    /// one (or the deadline).
    async fn wait(
        &mut self,
        what: &impl Fn(u64) -> String,
        idle: &dyn Fn() -> String,
    ) -> Result<()> {
        // Yields now and then (signals are answered) also when events keep
        // coming faster than they are handled.
        tokio::task::coop::consume_budget().await;
        if self.past_deadline() {
            return Err(self.timed_out(idle));
        }
        // What is already there is taken without a select: each select
        // that another branch wins registers and drops a listener on the
        // event channel, which the Paho thread delivering to it contends
        // for (measured: the largest cost of our own in a 200,000-line run).
        if let Some(incoming) = self.session.try_next() {
            return self.handle(incoming, what);
        }
        let nudging = self.s.qos == 0 && self.outstanding() > 0;
        tokio::select! {
            incoming = self.session.next() => self.handle(incoming, what),
            _ = until(self.deadline) => Err(self.timed_out(idle)),
            _ = self.nudge.tick(), if nudging => {
                self.nudged();
                Ok(())
            }
        }
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
    async fn repeat(&mut self, payload: &[u8]) -> Result<()> {
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
        self.drain(&what, &|| published(total.into())).await
    }

    /// `-l`: each line as soon as it is read, in order, while the window
    /// has room; at the end of stdin, waits for the last completions.
    async fn lines(&mut self, input: &mut Lines) -> Result<()> {
        let what = |tag: u64| format!("message from line {}", tag + 1);
        loop {
            tokio::task::coop::consume_budget().await;
            let lines = self.published;
            let idle = || format!("stdin still open after {}", count(lines, "line"));
            if self.past_deadline() {
                return Err(self.timed_out(idle));
            }
            // Everything that can be done without waiting first (see
            // `wait`): completions that arrived, lines that were read.
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
            if busy {
                continue;
            }
            let nudging = self.s.qos == 0 && self.outstanding() > 0;
            let reading = !self.full();
            tokio::select! {
                incoming = self.session.next() => self.handle(incoming, what)?,
                () = input.fill(), if reading => {}
                _ = until(self.deadline) => return Err(self.timed_out(idle)),
                _ = self.nudge.tick(), if nudging => self.nudged(),
            }
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
