//! Batch requests (spec §10): `mqrr -t T -e R -l` sends one request per
//! stdin line over one connection and prints one result per line.
//!
//! It is request mode's exchange generalised: subscribe once (the same
//! subscription, `request::subscribe_responses`), then for each line
//! publish a request and keep it outstanding until its response is matched
//! or its own `-W` (counted from its publish) runs out. Responses are
//! filtered by the same functions as in request mode (`may_answer`,
//! `is_own_request`, `extract`); what differs is which request a response
//! answers. On MQTT 5 each request carries its own Correlation Data (a
//! random prefix for the run, then the line number), so up to `--inflight`
//! requests (never more than the broker's Receive Maximum) can be
//! outstanding and answered in any order. On MQTT 3.1.1, or with
//! `--correlation off`, nothing says which request a response answers, so
//! the next line is sent only once the previous one is answered or timed
//! out.
//!
//! Results are rendered when they arrive and printed in input order, an
//! unanswered request as an empty line, so line N of the output belongs to
//! line N of the input. stdin is read by a thread as it arrives; output is
//! written when nothing more is ready, so a slow producer sees its answers
//! at once and a fast one gets them in large writes.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::{Correlation, RequestArgs};
use crate::commands::request::{
    extract, human, is_own_request, may_answer, request_properties, response_topic, skip,
    subscribe_responses, with_session,
};
use crate::config::{ConnectionSettings, RequestSettings, random_u64};
use crate::error::{Error, Result, warn};
use crate::message::Message;
use crate::mqtt::{Incoming, Outgoing, Session};
use crate::signal::until;
use crate::text::output::Output;

/// Chunks of lines read ahead of the requests being sent, and the most
/// lines in one chunk.
const CHUNK_QUEUE: usize = 16;
const CHUNK_LINES: usize = 256;
/// stdin's read buffer.
const READ_BUFFER: usize = 64 * 1024;
/// The longest line: MQTT's largest payload (a PUBLISH is at most 256 MiB).
const MAX_LINE: u64 = 268_435_455;
/// Results held for input order (answered, behind a line still waiting):
/// no more lines are sent while this many lines or bytes are held, so a
/// request that hangs until its `-W` cannot make memory grow without bound.
const HELD_LINES: usize = 65_536;
const HELD_BYTES: usize = 64 * 1024 * 1024;
/// Line numbers named in the closing timeout line, at most.
const NAMED_LINES: usize = 5;

/// The batch options (`-l`, `--inflight`, `--unordered`), checked; the
/// request itself is the request mode's `RequestSettings`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Requests outstanding at once on MQTT 5, before the broker's Receive
    /// Maximum lowers it.
    pub inflight: u16,
    /// Print results as they come, not in input order.
    pub unordered: bool,
    /// Print the rate and latency percentiles at the end (hidden option).
    pub stats: bool,
}

impl Settings {
    /// `-l` conflicts with a payload option, `-C` (one result per line is
    /// the point) and `--resend` (each request has its own `-W`; rerun the
    /// lines the closing stderr line names) in clap already.
    pub fn from_args(r: &RequestArgs) -> Settings {
        Settings {
            inflight: r.inflight.max(1),
            unordered: r.unordered,
            stats: r.batch_stats,
        }
    }
}

/// Runs a batch; `start` is when the process started (`-W` bounds the
/// connecting and subscribing from there, then each request from its
/// publish).
pub async fn run(
    conn: &ConnectionSettings,
    req: &RequestSettings,
    settings: &Settings,
    start: Instant,
) -> Result<()> {
    let deadline = req.timeout.map(|t| start + t);
    let mut lines = read_lines();
    let mut batch = Batch::new(req, settings, Output::new(req.output.clone()));
    let result = with_session(conn, deadline, async |session| {
        batch.run(session, &mut lines, deadline).await
    })
    .await;
    batch.finish(result, conn.quiet)
}

/// Lines of stdin (without their `\n`) read together, or why reading
/// stopped.
type Lines = std::result::Result<Vec<Vec<u8>>, String>;

/// Reads stdin on a thread, line by line, as it arrives. Only the `\n` is
/// removed (as `mosquitto_pub -l`): an empty line is an empty request, a
/// last line without `\n` is a request, bytes are sent as they are. Lines
/// already in the buffer travel together (one wake-up for hundreds of lines
/// of a file, one per line of a slow producer). The thread may stay
/// blocked in a read; the process exits without it.
fn read_lines() -> mpsc::Receiver<Lines> {
    let (tx, rx) = mpsc::channel(CHUNK_QUEUE);
    std::thread::spawn(move || {
        use std::io::{BufRead, Read};
        let mut stdin = std::io::BufReader::with_capacity(READ_BUFFER, std::io::stdin());
        loop {
            let mut chunk = Vec::new();
            let end = loop {
                let mut line = Vec::new();
                match (&mut stdin).take(MAX_LINE + 1).read_until(b'\n', &mut line) {
                    Ok(0) => break Some(None),
                    Ok(_) if line.last() == Some(&b'\n') => {
                        line.pop();
                        chunk.push(line);
                    }
                    Ok(n) if n as u64 > MAX_LINE => {
                        break Some(Some(
                            "a line of stdin is larger than MQTT's 256 MiB limit".to_string(),
                        ));
                    }
                    Ok(_) => chunk.push(line),
                    Err(e) => break Some(Some(format!("reading stdin: {e}"))),
                }
                // Only what can be had without waiting joins this chunk.
                if chunk.len() >= CHUNK_LINES || !stdin.buffer().contains(&b'\n') {
                    break None;
                }
            };
            if !chunk.is_empty() && tx.blocking_send(Ok(chunk)).is_err() {
                return;
            }
            match end {
                None => {}
                Some(None) => return,
                Some(Some(e)) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    rx
}

/// Where one input line stands.
enum Slot {
    /// Published, waiting for its response.
    Waiting(Waiting),
    /// Answered, rendered, held until the lines before it are printed.
    Answered(Vec<u8>),
    /// No response within `-W`, or refused by the broker: an empty line.
    Unanswered,
    /// Printed (or, with `--unordered`, nothing left to print).
    Done,
}

struct Waiting {
    /// `-W` after the publish; `None` with `-W 0`.
    deadline: Option<Instant>,
    published: Instant,
    /// Whether the request was handed to the network (QoS 0: Paho wrote
    /// it; QoS 1/2 count from the publish call, as in request mode). Without
    /// correlation, nothing received before that can answer it.
    written: bool,
    /// The payload, while its copy may still come back (filter matching the
    /// topic on MQTT 3.1.1, or a broker ignoring No Local).
    echo: Option<Vec<u8>>,
}

/// The state of a run. It lives outside the session's future, so that a
/// signal or a lost connection still prints what was answered.
struct Batch<'a> {
    req: &'a RequestSettings,
    settings: &'a Settings,
    output: Output,
    /// Lines `base..base + slots.len()`, in input order (0-based).
    slots: VecDeque<Slot>,
    base: u64,
    /// Lines published so far (the next line's number).
    sent: u64,
    /// Lines that may still be waiting, in publish order: with one `-W`
    /// for all, the first one still waiting has the earliest deadline.
    order: VecDeque<u64>,
    outstanding: usize,
    /// Requests outstanding at once: `--inflight` capped by Receive
    /// Maximum when correlated, else 1.
    limit: usize,
    /// Requests carry Correlation Data and responses are matched by it.
    correlated: bool,
    /// The Correlation Data of line N is this prefix, then N (8 bytes each).
    prefix: [u8; 8],
    /// The Response Topic every request carries (MQTT 5, filter without
    /// wildcards), to recognise our own requests.
    response_topic: Option<String>,
    /// Whether the response filter matches the request topic.
    echoes: bool,
    /// Bytes rendered and not yet written.
    out: Vec<u8>,
    /// Bytes held in `Slot::Answered`.
    held: usize,
    /// Lines read and not yet sent.
    pending: VecDeque<Vec<u8>>,
    /// stdin ended (or failed): no more lines after `pending`.
    input_done: bool,
    input_error: Option<String>,
    /// stdout was closed: the run ends quietly.
    reader_gone: bool,
    timed_out: Vec<u64>,
    /// Lines whose request the broker refused, and the first refusal.
    refused: Vec<u64>,
    first_refusal: Option<Error>,
    /// Responses without Correlation Data skipped because several requests
    /// were outstanding (MQTT 5, `--correlation auto`).
    ambiguous: usize,
    /// For `--batch-stats`: when the first request went out, and each
    /// answered request's latency.
    first_publish: Option<Instant>,
    latencies: Vec<Duration>,
}

impl<'a> Batch<'a> {
    fn new(req: &'a RequestSettings, settings: &'a Settings, output: Output) -> Batch<'a> {
        Batch {
            req,
            settings,
            output,
            slots: VecDeque::new(),
            base: 0,
            sent: 0,
            order: VecDeque::new(),
            outstanding: 0,
            limit: 1,
            correlated: false,
            prefix: random_u64().to_be_bytes(),
            response_topic: None,
            echoes: false,
            out: Vec::new(),
            held: 0,
            pending: VecDeque::new(),
            input_done: false,
            input_error: None,
            reader_gone: false,
            timed_out: Vec::new(),
            refused: Vec::new(),
            first_refusal: None,
            ambiguous: 0,
            first_publish: None,
            latencies: Vec::new(),
        }
    }

    async fn run(
        &mut self,
        session: &Session,
        lines: &mut mpsc::Receiver<Lines>,
        deadline: Option<Instant>,
    ) -> Result<()> {
        // A batch matches answers by their correlation data, which a
        // retained message from before cannot carry: none is kept.
        self.echoes = subscribe_responses(session, self.req, deadline)
            .await?
            .echoes;
        self.correlated = session.v5 && self.req.correlation != Correlation::Off;
        if self.correlated {
            let most = usize::from(session.limits.receive_maximum);
            self.limit = usize::from(self.settings.inflight).min(most);
            session.debug(|| {
                format!(
                    "batch: up to {} requests outstanding (--inflight {}, Receive Maximum {most})",
                    self.limit, self.settings.inflight
                )
            });
        } else {
            session.debug(|| {
                let why = if session.v5 {
                    "--correlation off"
                } else {
                    "MQTT 3.1.1"
                };
                format!("batch: one request at a time ({why}: no correlation data)")
            });
        }
        if session.v5 {
            self.response_topic =
                response_topic(&request_properties(self.req, None)).map(String::from);
        }
        loop {
            self.expire(Instant::now());
            self.send_pending(session)?;
            self.advance();
            self.write_out()?;
            let finished = self.input_done && self.pending.is_empty() && self.outstanding == 0;
            if self.reader_gone || finished {
                return Ok(());
            }
            let wants_lines = !self.input_done && self.pending.is_empty() && self.can_send();
            tokio::select! {
                incoming = session.next() => self.on_incoming(session, incoming)?,
                lines = lines.recv(), if wants_lines => self.on_lines(lines),
                _ = until(self.next_deadline()) => {}
            }
            // Whatever else is ready now goes into the same write.
            while let Some(incoming) = session.try_next() {
                self.on_incoming(session, incoming)?;
            }
        }
    }

    /// Whether another request may go out now.
    fn can_send(&self) -> bool {
        self.outstanding < self.limit && self.slots.len() < HELD_LINES && self.held < HELD_BYTES
    }

    /// Sends read lines while there is room for them.
    fn send_pending(&mut self, session: &Session) -> Result<()> {
        while self.can_send() {
            let Some(payload) = self.pending.pop_front() else {
                break;
            };
            self.send(session, payload)?;
        }
        Ok(())
    }

    fn on_lines(&mut self, lines: Option<Lines>) {
        match lines {
            Some(Ok(lines)) => self.pending.extend(lines),
            Some(Err(e)) => {
                self.input_error = Some(e);
                self.input_done = true;
            }
            None => self.input_done = true,
        }
    }

    /// The Correlation Data of line `n`.
    fn correlation(&self, n: u64) -> [u8; 16] {
        let mut c = [0; 16];
        c[..8].copy_from_slice(&self.prefix);
        c[8..].copy_from_slice(&n.to_be_bytes());
        c
    }

    /// The line whose Correlation Data this is, if it is ours.
    fn line_of(&self, correlation: &[u8]) -> Option<u64> {
        let (prefix, n) = correlation.split_at_checked(8)?;
        if prefix != self.prefix {
            return None;
        }
        Some(u64::from_be_bytes(n.try_into().ok()?))
    }

    fn send(&mut self, session: &Session, payload: Vec<u8>) -> Result<()> {
        let n = self.sent;
        let correlation = self.correlated.then(|| self.correlation(n));
        let properties = if session.v5 {
            request_properties(self.req, correlation.as_ref().map(|c| &c[..]))
        } else {
            Vec::new()
        };
        let message = Outgoing {
            topic: &self.req.topic,
            payload: &payload,
            qos: self.req.qos,
            retain: self.req.retain,
            properties: &properties,
        };
        // With correlation nothing waits for a request to be written (a
        // response carrying its Correlation Data cannot come before it).
        let published = if self.correlated {
            session.publish_unconfirmed(&message, "request", n)
        } else {
            session.publish(&message, "request", n).map(|()| true)
        };
        self.sent += 1;
        match published {
            Ok(_) => {}
            // Too large for the broker's Maximum Packet Size: this line
            // fails, the others go on.
            Err(e @ Error::Refused(_)) => {
                self.slots.push_back(Slot::Unanswered);
                self.refuse(n, e);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        self.first_publish.get_or_insert(now);
        self.slots.push_back(Slot::Waiting(Waiting {
            deadline: self.req.timeout.map(|t| now + t),
            published: now,
            written: self.req.qos > 0,
            echo: self.echoes.then_some(payload),
        }));
        self.order.push_back(n);
        self.outstanding += 1;
        Ok(())
    }

    /// Records that the broker refused line `n`'s request (it prints as an
    /// unanswered line; the first refusal is the closing stderr line).
    fn refuse(&mut self, n: u64, e: Error) {
        self.refused.push(n);
        self.first_refusal.get_or_insert(match e {
            Error::Refused(m) => Error::Refused(format!("line {}: {m}", n + 1)),
            other => other,
        });
    }

    fn slot(&mut self, n: u64) -> Option<&mut Slot> {
        self.slots.get_mut(index(self.base, n)?)
    }

    fn waiting(&mut self, n: u64) -> Option<&mut Waiting> {
        match self.slot(n)? {
            Slot::Waiting(w) => Some(w),
            _ => None,
        }
    }

    /// The line that has waited longest (the earliest deadline).
    fn oldest_waiting(&mut self) -> Option<u64> {
        while let Some(&n) = self.order.front() {
            if self.waiting(n).is_some() {
                return Some(n);
            }
            self.order.pop_front();
        }
        None
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        let n = self.oldest_waiting()?;
        self.waiting(n)?.deadline
    }

    /// Gives up on every request whose `-W` has passed.
    fn expire(&mut self, now: Instant) {
        while let Some(n) = self.oldest_waiting() {
            match self.waiting(n).and_then(|w| w.deadline) {
                Some(d) if d <= now => {}
                _ => return,
            }
            if let Some(slot) = self.slot(n) {
                *slot = Slot::Unanswered;
            }
            self.outstanding -= 1;
            self.timed_out.push(n);
        }
    }

    fn on_incoming(&mut self, session: &Session, incoming: Incoming) -> Result<()> {
        match incoming {
            Incoming::Message(m) => self.on_message(session, &m),
            Incoming::Published {
                tag,
                result: Ok(()),
            } => {
                session.debug(|| {
                    let done = if self.req.qos == 0 {
                        "written"
                    } else {
                        "acknowledged"
                    };
                    format!("request {} {done}", tag + 1)
                });
                if let Some(w) = self.waiting(tag) {
                    w.written = true;
                }
                Ok(())
            }
            Incoming::Published {
                tag,
                result: Err(f),
            } => match session.publish_error(f, &self.req.topic, "request") {
                // A PUBACK/PUBREC with a reason code ≥ 0x80 refuses this
                // request only.
                e @ Error::Refused(_) => {
                    if let Some(slot) = self.slot(tag) {
                        if matches!(slot, Slot::Waiting(_)) {
                            *slot = Slot::Unanswered;
                            self.outstanding -= 1;
                        }
                    }
                    self.refuse(tag, e);
                    Ok(())
                }
                e => Err(e),
            },
            Incoming::Lost(e) => Err(e),
        }
    }

    /// Which waiting line `m` answers, if any.
    fn answers(&mut self, session: &Session, m: &Message) -> Option<u64> {
        if !self.correlated {
            // One request at a time: a response answers it, if there is one.
            return match self.oldest_waiting() {
                Some(n) => Some(n),
                None => skip(session, m, "no request is outstanding"),
            };
        }
        match m.properties.correlation.as_deref() {
            Some(c) => match self.line_of(c) {
                Some(n) if self.waiting(n).is_some() => Some(n),
                Some(n) if n < self.sent => skip(
                    session,
                    m,
                    &format!("line {} was answered or timed out already", n + 1),
                ),
                _ => skip(session, m, "someone else's correlation data"),
            },
            None if self.req.correlation == Correlation::Strict => {
                skip(session, m, "no correlation data")
            }
            // `auto` accepts a response without Correlation Data, as in
            // request mode, as long as it can only answer one request.
            None if self.outstanding == 1 => self.oldest_waiting(),
            None => {
                self.ambiguous += 1;
                let why = format!(
                    "no correlation data, and {} requests are outstanding",
                    self.outstanding
                );
                skip(session, m, &why)
            }
        }
    }

    fn on_message(&mut self, session: &Session, m: &Message) -> Result<()> {
        if !may_answer(session, self.req, m) {
            return Ok(());
        }
        let Some(n) = self.answers(session, m) else {
            return Ok(());
        };
        let correlation = self.correlated.then(|| self.correlation(n));
        let (req, correlated) = (self.req, self.correlated);
        let Some(Slot::Waiting(w)) = index(self.base, n).and_then(|i| self.slots.get_mut(i)) else {
            return Ok(());
        };
        if let Some(payload) = &w.echo {
            let ours = correlation.as_ref().map(|c| &c[..]);
            let topic = self.response_topic.as_deref();
            if is_own_request(m, &req.topic, payload, ours, topic) {
                w.echo = None;
                session.debug(|| format!("dropped mqrr's own request on {}", m.topic));
                return Ok(());
            }
        }
        if !correlated && !w.written {
            let _: Option<()> = skip(session, m, "it came before the request was written");
            return Ok(());
        }
        let published = w.published;
        let Some(data) = extract(session, req, m) else {
            return Ok(());
        };
        self.outstanding -= 1;
        if self.settings.stats {
            self.latencies.push(published.elapsed());
        }
        // Printed at once when nothing before it is still to print.
        let now = self.settings.unordered || n == self.base;
        let slot = if now {
            self.output.render(m, &data, &mut self.out);
            Slot::Done
        } else {
            let mut rendered = Vec::new();
            self.output.render(m, &data, &mut rendered);
            self.held += rendered.len();
            Slot::Answered(rendered)
        };
        if let Some(s) = self.slot(n) {
            *s = slot;
        }
        Ok(())
    }

    /// Moves what is ready at the front, in input order, to the output.
    fn advance(&mut self) {
        while let Some(front) = self.slots.front_mut() {
            match front {
                Slot::Waiting(_) => break,
                Slot::Answered(rendered) => {
                    self.held -= rendered.len();
                    self.out.append(rendered);
                }
                Slot::Unanswered if !self.settings.unordered => {
                    self.output.render_unanswered(&mut self.out);
                }
                Slot::Unanswered | Slot::Done => {}
            }
            self.slots.pop_front();
            self.base += 1;
        }
    }

    /// Writes what was rendered; a closed stdout ends the run quietly.
    fn write_out(&mut self) -> Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        match self.output.write_raw(&self.out) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => self.reader_gone = true,
            Err(e) => return Err(Error::Runtime(format!("writing to stdout: {e}"))),
        }
        self.out.clear();
        Ok(())
    }

    /// Prints what is left and turns the run's outcome into the exit
    /// status: the run's own error first (a signal, a lost connection),
    /// then a stdin error, then requests the broker refused (exit 4), then
    /// requests without a response (exit 27); one stderr line says it all.
    fn finish(mut self, result: Result<()>, quiet: bool) -> Result<()> {
        if self.reader_gone {
            return Ok(());
        }
        if result.is_err() {
            // Stopped early: every answered line is printed, in input order,
            // a line still waiting before it as an empty line.
            let last = self
                .slots
                .iter()
                .rposition(|s| matches!(s, Slot::Answered(_)));
            for slot in self.slots.iter_mut().take(last.map_or(0, |i| i + 1)) {
                if matches!(slot, Slot::Waiting(_)) {
                    *slot = Slot::Unanswered;
                }
            }
        }
        self.advance();
        self.write_out()?;
        if self.reader_gone {
            return Ok(());
        }
        if self.settings.stats {
            warn(quiet, &self.stats());
        }
        result?;
        if let Some(e) = self.input_error.take() {
            return Err(Error::Runtime(e));
        }
        let timeouts = (!self.timed_out.is_empty()).then(|| {
            let mut msg = format!(
                "no response on {} within {} for {}",
                self.req.filter,
                human(self.req.timeout),
                self.count(&self.timed_out)
            );
            if self.ambiguous > 0 {
                msg.push_str(&format!(
                    "; {} without correlation data could not be matched \
                     (a responder that does not copy it needs --correlation off)",
                    plural(self.ambiguous, "response")
                ));
            }
            msg
        });
        match (self.first_refusal.take(), timeouts) {
            (Some(e), timeouts) => {
                let mut msg = format!("{e}; refused {}", self.count(&self.refused));
                if let Some(t) = timeouts {
                    msg.push_str(&format!("; {t}"));
                }
                Err(Error::Refused(msg))
            }
            (None, Some(t)) => Err(Error::Timeout(t)),
            (None, None) => Ok(()),
        }
    }

    /// `3 of 100 requests (lines 4, 17, 52)`: how many of the lines sent
    /// `lines` are, naming the first few.
    fn count(&self, lines: &[u64]) -> String {
        let mut named: Vec<String> = lines
            .iter()
            .take(NAMED_LINES)
            .map(|n| (n + 1).to_string())
            .collect();
        if lines.len() > NAMED_LINES {
            named.push("…".into());
        }
        format!(
            "{} of {} ({} {})",
            lines.len(),
            plural(self.sent as usize, "request"),
            if lines.len() == 1 { "line" } else { "lines" },
            named.join(", ")
        )
    }

    /// The `--batch-stats` line: rate and latency percentiles.
    fn stats(&mut self) -> String {
        let elapsed = self
            .first_publish
            .map_or(Duration::ZERO, |t| t.elapsed())
            .as_secs_f64();
        self.latencies.sort_unstable();
        let pct = |p: usize| {
            let l = &self.latencies;
            let i = l.len().saturating_sub(1) * p / 100;
            l.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        format!(
            "batch stats: {} requests, {} answered in {:.3} s ({:.0}/s); latency ms p50 {:.3} p90 {:.3} p99 {:.3} max {:.3}; outstanding limit {}",
            self.sent,
            self.latencies.len(),
            elapsed,
            if elapsed > 0.0 {
                self.latencies.len() as f64 / elapsed
            } else {
                0.0
            },
            pct(50),
            pct(90),
            pct(99),
            pct(100),
            self.limit
        )
    }
}

/// `1 request`, `2 requests`.
fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Where line `n` is in slots that start at line `base`.
fn index(base: u64, n: u64) -> Option<usize> {
    usize::try_from(n.checked_sub(base)?).ok()
}
