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
/// How long a CONNACK or a resubscription may take.
const BROKER_BOUND: Duration = Duration::from_secs(10);

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
    pub qos: u8,
    pub reply_topic: Option<String>,
    pub count: Option<u64>,
    pub jobs: usize,
    pub exec_timeout: Duration,
    pub answer: Answer,
}

impl Settings {
    pub fn from_args(a: &ServeArgs) -> Result<Self> {
        let conn = ConnectionSettings::new(&a.connection)?;
        for f in &a.topic {
            check_filter("-t", f)?;
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

    /// The request subscriptions. MQTT 5 subscribes with No Local: a reply
    /// topic the filters match never brings the server its own replies.
    fn subscriptions(&self) -> Vec<Subscription> {
        self.filters
            .iter()
            .map(|f| Subscription {
                filter: f.clone(),
                qos: self.qos,
                no_local: true,
                retain_as_published: false,
                // A retained request is an old one: answering it on every
                // reconnect would repeat its side effects.
                retain_handling: 2,
            })
            .collect()
    }
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
    let result = tokio::select! {
        r = serve(&mut session, s) => r,
        _ = signals.recv() => Ok(()),
    };
    session
        .disconnect(crate::commands::request::DISCONNECT_BOUND)
        .await;
    result
}

/// A reply ready to publish: where, what, and the request's correlation.
struct Reply {
    topic: String,
    body: Vec<u8>,
    correlation: Option<Vec<u8>>,
}

async fn serve(session: &mut Session, s: &Settings) -> Result<()> {
    session.subscribe(&s.subscriptions(), &[], None).await?;
    session.debug(|| format!("serving {}", s.filters.join(" ")));
    let mut jobs: JoinSet<Option<Reply>> = JoinSet::new();
    let mut replied = 0u64;
    let mut next_tag = 0u64;
    // Replies published and not yet acknowledged: tag → reply topic.
    let mut unacked: std::collections::HashMap<u64, String> = Default::default();
    let mut backoff = Backoff::new();
    loop {
        tokio::select! {
            incoming = session.next(), if jobs.len() < s.jobs => match incoming {
                Incoming::Message(request) => {
                    let Some((reply_topic, job)) = plan(session, s, request) else {
                        continue;
                    };
                    match job {
                        Job::Ready(reply) => {
                            if publish(session, s, reply, &mut next_tag, &mut unacked)
                                && counted(&mut replied, s)
                            {
                                return Ok(());
                            }
                        }
                        Job::Run(run) => {
                            let (quiet, timeout) = (s.conn.quiet, s.exec_timeout);
                            let debug = session.debugging();
                            jobs.spawn(run_job(run, reply_topic, timeout, quiet, debug));
                        }
                    }
                }
                Incoming::Published { tag, result } => {
                    let topic = unacked.remove(&tag).unwrap_or_default();
                    match result {
                        Ok(()) => {
                            if counted(&mut replied, s) {
                                return Ok(());
                            }
                        }
                        Err(f) => s.warn(&format!(
                            "reply not sent: {}",
                            session.publish_error(f, &topic, "reply")
                        )),
                    }
                }
                // A broker's DISCONNECT may be followed by a connection-lost
                // event for the same loss: reconnect once.
                Incoming::Lost(why) if !session.is_connected() => {
                    for (_, topic) in unacked.drain() {
                        s.warn(&format!("reply on {topic} not confirmed: the connection was lost"));
                    }
                    reconnect(session, s, &mut backoff, why).await?;
                }
                Incoming::Lost(_) => {}
            },
            Some(done) = jobs.join_next() => {
                if let Ok(Some(reply)) = done {
                    if publish(session, s, reply, &mut next_tag, &mut unacked)
                        && counted(&mut replied, s)
                    {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Counts a reply sent; true once `-C` replies were.
fn counted(replied: &mut u64, s: &Settings) -> bool {
    *replied += 1;
    s.count.is_some_and(|n| *replied >= n)
}

/// Publishes a reply. Returns true when it counts as sent already: without
/// `-C`, a QoS 0 reply is not confirmed one by one (`publish_unconfirmed`,
/// a fifth of serve's CPU time per request, issue #14). With `-C` every
/// reply counts once written or acknowledged: the server exits after the
/// last one, which must not be cut off (a 64 MiB reply takes a while).
fn publish(
    session: &Session,
    s: &Settings,
    reply: Reply,
    next_tag: &mut u64,
    unacked: &mut std::collections::HashMap<u64, String>,
) -> bool {
    let mut properties = Vec::new();
    if let Some(c) = reply.correlation {
        properties.push(Property::binary(id::CORRELATION_DATA, c));
    }
    let message = Outgoing {
        topic: &reply.topic,
        payload: &reply.body,
        qos: s.qos,
        retain: false,
        properties: &properties,
    };
    let tag = *next_tag;
    *next_tag += 1;
    let sent = if s.count.is_some() {
        session.publish(&message, "reply", tag).map(|()| true)
    } else {
        session.publish_unconfirmed(&message, "reply", tag)
    };
    match sent {
        Ok(true) => {
            unacked.insert(tag, reply.topic);
            false
        }
        Ok(false) => true,
        Err(e) => {
            s.warn(&format!("reply on {} not sent: {e}", reply.topic));
            false
        }
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
    payload: Vec<u8>,
    correlation: Option<Vec<u8>>,
    started: std::time::Instant,
}

/// Works out where and what to answer; `None` (with a warning or a
/// `--debug` line) when the request cannot or must not be answered.
fn plan(session: &Session, s: &Settings, request: Message) -> Option<(String, Job)> {
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
            correlation.as_deref().map_or("none".to_string(), hex)
        )
    });
    let job = match &s.answer {
        Answer::Echo => Job::Ready(Reply {
            topic: reply_topic.clone(),
            body: request.payload,
            correlation,
        }),
        Answer::Fixed(text) => Job::Ready(Reply {
            topic: reply_topic.clone(),
            body: text.clone(),
            correlation,
        }),
        Answer::Command(argv) => Job::Run(CommandRun {
            argv: argv.clone(),
            request_topic: request.topic,
            payload: request.payload,
            correlation,
            started: std::time::Instant::now(),
        }),
    };
    Some((reply_topic, job))
}

/// Runs a command for one request; `None` (with a stderr line) when it
/// fails or takes too long.
async fn run_job(
    run: CommandRun,
    reply_topic: String,
    timeout: Duration,
    quiet: bool,
    debug: bool,
) -> Option<Reply> {
    let CommandRun {
        argv,
        request_topic,
        payload,
        correlation,
        started,
    } = run;
    let env = [
        ("MQRR_TOPIC", request_topic.clone()),
        ("MQRR_RESPONSE_TOPIC", reply_topic.clone()),
        (
            "MQRR_CORRELATION_DATA",
            hex(correlation.as_deref().unwrap_or_default()),
        ),
    ];
    match run_command(&argv, payload, &env, timeout).await {
        Ok(body) => {
            if debug {
                crate::mqtt::session::trace(&format!(
                    "{} ran {} ms, reply of {} bytes on {reply_topic}",
                    argv[0],
                    started.elapsed().as_millis(),
                    body.len()
                ));
            }
            Some(Reply {
                topic: reply_topic,
                body,
                correlation,
            })
        }
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
