//! One request/response exchange: subscribe → publish → wait → disconnect.
//!
//! The deadline lives here: it starts when the process starts and covers
//! every step, connecting included. Nothing sleeps; every wait is a select
//! on the next event, the deadline, the resend timer and the signals.

use std::time::Duration;

use paho_mqtt as mqtt;
use tokio::time::Instant;

use crate::cli::Correlation;
use crate::config::{ConnectionSettings, RequestSettings, has_wildcard, random_u64};
use crate::error::{Error, Result};
use crate::mqtt::connect::{Session, connect};
use crate::signal::{Signals, until};
use crate::text::output::Output;

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
    let mut stdin_req;
    let req = if req.payload_from_stdin {
        stdin_req = req.clone();
        stdin_req.payload = read_stdin(deadline, req.timeout).await?;
        &stdin_req
    } else {
        req
    };
    let mut output = Output::new(req.output);
    let mut print = |topic: &str, data: &[u8]| match output.write(topic, data) {
        Ok(()) => Ok(Next::Continue),
        // The reader is gone (`| head -1`): nothing more to do.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Next::Stop),
        Err(e) => Err(Error::Runtime(format!("writing to stdout: {e}"))),
    };
    with_session(conn, deadline, async |session| {
        exchange(session, req, deadline, &mut print).await
    })
    .await
}

/// All of stdin, unless the deadline passes first. The read runs on its
/// own thread, which a blocked terminal or pipe may keep forever; the
/// process exits without waiting for it.
async fn read_stdin(deadline: Option<Instant>, timeout: Option<Duration>) -> Result<Vec<u8>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = Vec::new();
        let _ = tx.send(std::io::stdin().lock().read_to_end(&mut buf).map(|_| buf));
    });
    let read = async {
        match rx.await {
            Ok(Ok(buf)) => {
                crate::config::check_payload_size(buf.len())?;
                Ok(buf)
            }
            Ok(Err(e)) => Err(Error::Runtime(format!("reading stdin: {e}"))),
            Err(_) => Err(Error::Runtime("reading stdin: reader thread failed".into())),
        }
    };
    match deadline {
        Some(d) => tokio::time::timeout_at(d, read).await.map_err(|_| {
            Error::Timeout(format!(
                "stdin still open after {} (-s reads it to the end)",
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
    session.disconnect().await;
    result
}

/// The request as it goes on the wire; MQTT 5 properties only on MQTT 5.
fn request_message(
    session: &Session,
    req: &RequestSettings,
    correlation: Option<&[u8]>,
) -> Result<mqtt::Message> {
    let mut props = mqtt::Properties::new();
    if session.v5 {
        let bad = |e: mqtt::Error| Error::Usage(format!("request property: {e}"));
        if let Some(data) = correlation {
            props
                .push_binary(mqtt::PropertyCode::CorrelationData, data.to_vec())
                .map_err(bad)?;
        }
        // A responder needs somewhere to answer, correlation or not; a
        // filter with wildcards is not a topic it could publish on.
        if !has_wildcard(&req.filter) {
            props
                .push_string(mqtt::PropertyCode::ResponseTopic, &req.filter)
                .map_err(bad)?;
        }
        for (k, v) in &req.user_properties {
            props
                .push_string_pair(mqtt::PropertyCode::UserProperty, k, v)
                .map_err(bad)?;
        }
    }
    Ok(mqtt::MessageBuilder::new()
        .topic(&req.topic)
        .payload(req.payload.as_slice())
        .qos(req.qos)
        .properties(props)
        .finalize())
}

/// Subscribes, publishes, and hands each matching response to `handle`
/// until `req.count` were handled.
pub async fn exchange(
    session: &Session,
    req: &RequestSettings,
    deadline: Option<Instant>,
    handle: &mut dyn FnMut(&str, &[u8]) -> Result<Next>,
) -> Result<()> {
    if !session.v5 && req.correlation == Correlation::Strict {
        return Err(Error::Runtime(format!(
            "--correlation strict needs MQTT 5, but {} speaks only 3.1.1",
            session.display
        )));
    }
    session
        .subscribe(
            std::slice::from_ref(&req.filter),
            req.subscribe_qos,
            req.retained,
            deadline,
        )
        .await?;

    let correlation: Option<Vec<u8>> = (session.v5 && req.correlation != Correlation::Off)
        .then(|| [random_u64().to_be_bytes(), random_u64().to_be_bytes()].concat());
    let message = request_message(session, req, correlation.as_deref())?;
    publish(session, &message, deadline).await?;

    let mut received = 0u32;
    let mut resend = req.resend.map(|every| {
        let mut i = tokio::time::interval_at(Instant::now() + every, every);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    });
    loop {
        tokio::select! {
            event = session.events.recv() => match event {
                Ok(mqtt::Event::Message(msg)) => {
                    let Some(data) = response_data(session, req, correlation.as_deref(), &msg) else {
                        continue;
                    };
                    if let Next::Stop = handle(msg.topic(), &data)? {
                        return Ok(());
                    }
                    received += 1;
                    if req.count != 0 && received >= req.count {
                        return Ok(());
                    }
                }
                Ok(mqtt::Event::ConnectionLost) | Ok(mqtt::Event::Disconnected { .. }) | Err(_) => {
                    return Err(session.lost());
                }
                Ok(mqtt::Event::Connected) | Ok(mqtt::Event::Shutdown) => {}
            },
            _ = until(deadline) => {
                return if req.count == 0 && received > 0 {
                    Ok(())
                } else {
                    Err(Error::Timeout(no_response(req)))
                };
            }
            _ = tick(&mut resend) => {
                session.debug(|| format!("re-publishing the request on {}", req.topic));
                publish(session, &message, deadline).await?;
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

async fn publish(
    session: &Session,
    message: &mqtt::Message,
    deadline: Option<Instant>,
) -> Result<()> {
    session.debug(|| {
        format!(
            "PUBLISH {} (QoS {}, {} bytes)",
            message.topic(),
            message.qos(),
            message.payload().len()
        )
    });
    let token = session.client().publish(message.clone());
    if message.qos() == mqtt::QoS::AtMostOnce {
        // Nothing comes back for QoS 0; a failure shows as a lost connection.
        return Ok(());
    }
    let what = || format!("PUBACK for {}", message.topic());
    session
        .within(deadline, token, what)
        .await
        .map_err(|e| match e {
            Error::Refused(why) => Error::Refused(format!(
                "{} refused the publish to {}: {why}",
                session.display,
                message.topic()
            )),
            other => other,
        })
}

/// What to print for a message, or `None` when it is not our response.
fn response_data<'m>(
    session: &Session,
    req: &RequestSettings,
    ours: Option<&[u8]>,
    msg: &'m mqtt::Message,
) -> Option<std::borrow::Cow<'m, [u8]>> {
    let skip = |why: &str| {
        session.debug(|| format!("skipping message on {}: {why}", msg.topic()));
        None
    };
    if msg.retained() && !req.retained {
        return skip("retained");
    }
    if let Some(ours) = ours {
        match msg
            .properties()
            .get_binary(mqtt::PropertyCode::CorrelationData)
        {
            Some(theirs) if theirs != ours => return skip("someone else's correlation data"),
            None if req.correlation == Correlation::Strict => return skip("no correlation data"),
            _ => {}
        }
    }
    if let Some(prefix) = &req.prefix {
        if !msg.payload().starts_with(prefix) {
            return skip("payload does not start as expected");
        }
    }
    session.debug(|| {
        format!(
            "received PUBLISH on {} ({} bytes)",
            msg.topic(),
            msg.payload().len()
        )
    });
    match req.extractor.apply(msg.payload()) {
        Some(data) => Some(data),
        None => skip("no match"),
    }
}
