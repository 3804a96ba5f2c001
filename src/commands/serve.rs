//! `mqrr serve`: the responder half of request/response.
//!
//! Subscribes to the request filters and answers each request on its
//! Response Topic (or `--reply-topic`), copying the Correlation Data, with
//! the request payload, a fixed text, or a command's stdout. Meant to run
//! for weeks: a lost connection is retried with capped backoff and the
//! filters are subscribed again; a request that cannot be answered costs one
//! stderr line, never the server.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;

use crate::cli::ServeArgs;
use crate::config::{ConnectionSettings, check_filter, check_topic};
use crate::error::{Error, Result, warn};
use crate::mqtt::connect::{Incoming, Received, Session, connect};
use crate::signal::Signals;

/// First wait before reconnecting, doubled after each failed attempt.
/// Paho's own automatic reconnect counts whole seconds with jitter, which
/// made a server come back 3.0 s after a broker restart (measured, issue
/// #4); retrying ourselves from 100 ms brings that down to about 0.1 s.
const RECONNECT_FIRST: Duration = Duration::from_millis(100);
/// Longest wait between reconnect attempts (spec §5).
const RECONNECT_CAP: Duration = Duration::from_secs(30);
/// How long a reply's PUBACK or a resubscription may take.
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
    pub qos: i32,
    pub reply_topic: Option<String>,
    pub count: Option<u64>,
    pub jobs: usize,
    pub exec_timeout: Duration,
    pub answer: Answer,
}

impl Settings {
    pub fn from_args(a: &ServeArgs) -> Result<Self> {
        let conn = ConnectionSettings::from_args(&a.connection)?;
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
            qos: i32::from(a.qos),
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
    let session = tokio::select! {
        r = connect(&s.conn, None) => r?,
        _ = signals.recv() => return Ok(()),
    };
    let result = tokio::select! {
        r = serve(&session, s) => r,
        _ = signals.recv() => Ok(()),
    };
    session.disconnect().await;
    result
}

async fn serve(session: &Session, s: &Settings) -> Result<()> {
    session.subscribe(&s.filters, s.qos, false, None).await?;
    session.debug(|| format!("serving {}", s.filters.join(" ")));
    let mut jobs: JoinSet<bool> = JoinSet::new();
    let mut replied = 0u64;
    loop {
        tokio::select! {
            incoming = session.next(), if jobs.len() < s.jobs => match incoming {
                Incoming::Message(request) => {
                    // A retained request is an old one; answering it on every
                    // reconnect would repeat its side effects.
                    if request.retained {
                        continue;
                    }
                    if let Some(job) = plan(session, s, request) {
                        jobs.spawn(job);
                    }
                }
                // A broker's DISCONNECT may be followed by a connection-lost
                // event for the same loss: reconnect once.
                Incoming::Lost if !session.is_connected() => reconnect(session, s).await?,
                Incoming::Lost | Incoming::Connected => {}
            },
            Some(done) = jobs.join_next() => {
                if let Ok(true) = done {
                    replied += 1;
                    if s.count.is_some_and(|n| replied >= n) {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Reconnects with doubling waits (capped at 30 s) until connected and
/// subscribed again: the sessions are clean, so the broker forgot the
/// subscriptions. Only a broker refusing them ends the server (exit 4).
async fn reconnect(session: &Session, s: &Settings) -> Result<()> {
    let lost = std::time::Instant::now();
    s.warn(&format!(
        "lost the connection to {}; reconnecting",
        session.display
    ));
    let mut wait = RECONNECT_FIRST;
    loop {
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(RECONNECT_CAP);
        if !session.is_connected() {
            if let Err(e) = session.reconnect().await {
                session.debug(|| format!("reconnect failed: {e}; next try in {wait:?}"));
                continue;
            }
        }
        let deadline = tokio::time::Instant::now() + BROKER_BOUND;
        match session
            .subscribe(&s.filters, s.qos, false, Some(deadline))
            .await
        {
            Ok(()) => break,
            Err(e @ Error::Refused(_)) => return Err(e),
            Err(e) => {
                session.debug(|| format!("subscribing again failed: {e}; next try in {wait:?}"))
            }
        }
    }
    s.warn(&format!(
        "reconnected to {} after {} ms; serving again",
        session.display,
        lost.elapsed().as_millis()
    ));
    Ok(())
}

/// Works out where and what to answer; `None` (with a warning) when the
/// request cannot be answered.
fn plan(
    session: &Session,
    s: &Settings,
    request: Received,
) -> Option<impl std::future::Future<Output = bool> + Send + 'static> {
    let Some(reply_topic) = request.response_topic.or_else(|| s.reply_topic.clone()) else {
        s.warn(&format!(
            "request on {} has no Response Topic; skipped (give --reply-topic for MQTT 3.1.1 requesters)",
            request.topic
        ));
        return None;
    };
    session.debug(|| {
        format!(
            "request on {} ({} bytes), replying on {reply_topic}",
            request.topic,
            request.payload.len()
        )
    });
    let replier = session.replier();
    let (answer, quiet, qos, timeout) = (s.answer.clone(), s.conn.quiet, s.qos, s.exec_timeout);
    let (topic, payload, correlation) = (request.topic, request.payload, request.correlation);
    Some(async move {
        let body = match answer {
            Answer::Echo => payload,
            Answer::Fixed(text) => text,
            Answer::Command(argv) => {
                let env = [
                    ("MQRR_TOPIC", topic.clone()),
                    ("MQRR_RESPONSE_TOPIC", reply_topic.clone()),
                    (
                        "MQRR_CORRELATION_DATA",
                        hex(correlation.as_deref().unwrap_or_default()),
                    ),
                ];
                match run_command(&argv, payload, &env, timeout).await {
                    Ok(out) => out,
                    Err(why) => {
                        warn(quiet, &format!("request on {topic}: {why}; no reply sent"));
                        return false;
                    }
                }
            }
        };
        match replier
            .reply(&reply_topic, body, qos, correlation, BROKER_BOUND)
            .await
        {
            Ok(()) => true,
            Err(why) => {
                warn(quiet, &format!("reply on {reply_topic} not sent: {why}"));
                false
            }
        }
    })
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
