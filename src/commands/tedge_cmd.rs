//! `mqrr tedge-cmd`: thin-edge.io's command API in one line (spec §12).
//!
//! A thin-edge.io command is a retained request on
//! `<root>/<entity>/cmd/<type>/<id>`: the requester publishes a JSON object
//! with `"status":"init"`, the entity's agent publishes each next state
//! retained on the same topic (`executing`, states of its own workflow, and
//! finally `successful`, or `failed` with a `reason`), and the requester
//! clears the topic with an empty retained message. An entity declares the
//! command types it supports with retained capability messages on
//! `<root>/<entity>/cmd/<type>`. (thin-edge.io reference, "Device
//! Management API", and its restart, software_list and config_snapshot
//! pages.)
//!
//! The exchange itself is request mode's (`request::exchange`): subscribe
//! to the command topic, publish the request retained, never take mqrr's
//! own request back for a status (No Local on MQTT 5, its echo dropped once
//! on 3.1.1) nor anything retained from before. This file owns the rest:
//! the entity and topic, the payload check, following the status with
//! progress on stderr, the outcome and its exit status, clearing the
//! command, the agent's health on timeout, and `--list`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::cli::{Correlation, ListOutput, TedgeCmdArgs};
use crate::commands::request::{DISCONNECT_BOUND, Next, exchange, human, read_payload};
use crate::config::{
    ConnectionSettings, OutputStyle, Payload, RequestSettings, check_topic, random_u64,
};
use crate::error::{Error, Result, sanitize, warn};
use crate::message::Message;
use crate::mqtt::{Incoming, Outgoing, Session, Subscription, connect, topic};
use crate::signal::Signals;
use crate::text::extract::Extractor;
use crate::text::format::Template;

/// thin-edge.io's defaults for `mqtt.topic_root` and `mqtt.device_topic_id`.
const DEFAULT_ROOT: &str = "te";
const DEFAULT_ENTITY: &str = "device/main//";

/// The request when no payload option is given.
const INIT: &[u8] = br#"{"status":"init"}"#;

/// Longest wait for the agent's retained health after a timeout (at most a
/// tenth of -W, taken out of it); it comes right after the SUBACK when it
/// exists at all.
const HEALTH_WAIT: Duration = Duration::from_millis(500);

/// How long clearing the command may take once the outcome is known (an
/// acknowledged publish; about a millisecond on a healthy connection).
const CLEAR_BOUND: Duration = Duration::from_secs(1);

/// The tag of the clearing publish (the request's are 0, 1, …).
const CLEAR_TAG: u64 = u64::MAX;

/// How often the progress line on a terminal is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// Everything `tedge-cmd` runs on, checked.
pub struct Settings {
    pub conn: ConnectionSettings,
    /// `<root>/<entity>`: every topic of the target starts so.
    pub base: String,
    /// `<root>/<device>/service/tedge-agent/status/health`: the health of
    /// the agent of the entity's device.
    pub health_topic: String,
    /// `-W`; `None`: wait forever.
    pub timeout: Option<Duration>,
    pub action: Action,
}

pub enum Action {
    /// `--list`: the capability messages.
    List(ListOutput),
    /// Run one command.
    Run(Box<CommandSettings>),
}

/// One command to run, checked.
pub struct CommandSettings {
    pub cmd_type: String,
    /// The request: topic and response filter are both the command topic;
    /// retained, QoS 1; the payload is the command's JSON object (checked
    /// here, or at run time when it comes from stdin or a special file).
    pub request: RequestSettings,
    pub keep: bool,
    /// `-j/-r/-f`, applied to the successful command's payload.
    pub extractor: Extractor,
    /// The extraction options as given, for the message when they find nothing.
    pub extraction: String,
    pub format: Option<Template>,
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

impl Settings {
    /// The command line with the environment and tedge.toml under it (spec
    /// §2), checked: every bad value is `Error::Usage` (exit 2) naming the
    /// option or the tedge.toml key, before any network activity. A payload
    /// from stdin or a special file is checked when read, still before
    /// connecting.
    pub fn from_args(args: &TedgeCmdArgs) -> Result<Self> {
        // Checked here: clap drops a `requires` whose target conflicts
        // with an argument given (CMD_TYPE and --list do).
        if args.output.is_some() && !args.list {
            return Err(usage("-o/--output is what --list prints: it needs --list"));
        }
        let mut connection = args.connection.clone();
        // Command line, then the environment, then tedge.toml (spec §2).
        crate::config::apply_env(&mut connection, |name| std::env::var_os(name))?;
        // Each default with where it came from, for the error message.
        let mut root = (DEFAULT_ROOT.to_string(), String::from("mqtt.topic_root"));
        let mut own = (DEFAULT_ENTITY.to_string(), String::from("--entity"));
        if !args.no_tedge_config {
            let path = crate::tedge::config_path();
            if let Some(tedge) = crate::tedge::load(&path)? {
                tedge.apply(&mut connection, &path)?;
                let from = |key: &str| format!("{}: {key}", path.display());
                if let Some(r) = tedge.topic_root {
                    root = (r, from("mqtt.topic_root"));
                }
                if let Some(e) = tedge.device_topic_id {
                    own = (e, from("mqtt.device_topic_id"));
                }
            }
        }
        let conn = ConnectionSettings::from_args(&connection)?;
        let (root, root_source) = root;
        if root.is_empty() || root.contains(['+', '#', '\0']) {
            return Err(usage(format!(
                "{root_source} {root:?}: a topic root must be non-empty, without wildcards"
            )));
        }
        let entity = entity(args, &own)?;
        let base = format!("{root}/{entity}");
        let health_topic = format!(
            "{root}/{}/service/tedge-agent/status/health",
            device(&entity)
        );
        let timeout = (!args.timeout.is_zero()).then_some(args.timeout);
        if args.list {
            check_topic("--entity", &base)?;
            return Ok(Settings {
                conn,
                base,
                health_topic,
                timeout,
                action: Action::List(args.output.unwrap_or_default()),
            });
        }
        let cmd_type = args.cmd_type.clone().unwrap_or_default();
        check_level("CMD_TYPE", &cmd_type)?;
        let id = match &args.cmd_id {
            Some(id) => id.clone(),
            None => format!("mqrr-{:012x}", random_u64() & 0xffff_ffff_ffff),
        };
        check_level("--cmd-id", &id)?;
        let topic = format!("{base}/cmd/{cmd_type}/{id}");
        check_topic("--cmd-id", &topic)?;

        let payload = if let Some(m) = &args.message {
            Payload::Bytes(command_payload("-m", m.as_bytes())?)
        } else if let Some(path) = &args.file {
            match Payload::file("--file", path)? {
                Payload::Bytes(b) => Payload::Bytes(command_payload("--file", &b)?),
                special => special,
            }
        } else if args.stdin {
            Payload::Stdin
        } else {
            Payload::Bytes(INIT.to_vec())
        };
        let extractor = crate::config::extractor(&args.extraction)?;
        let extraction = [
            ("-j", &args.extraction.json),
            ("-r", &args.extraction.regex),
            ("-f", &args.extraction.fields),
        ]
        .iter()
        .filter_map(|(option, value)| value.as_ref().map(|v| format!("{option} {v}")))
        .collect::<Vec<_>>()
        .join(" ");
        let format = args
            .format
            .as_deref()
            .map(Template::parse)
            .transpose()
            .map_err(|e| usage(format!("-F: {e}")))?;
        let request = RequestSettings {
            topic: topic.clone(),
            filter: topic,
            payload,
            qos: 1,
            subscribe_qos: 1,
            retain: true,
            timeout,
            resend: None,
            // Every status update goes to the handler, which stops at the
            // final one; none is "the" response.
            count: 0,
            retained: false,
            // A thin-edge agent copies no correlation data.
            correlation: Correlation::Off,
            user_properties: Vec::new(),
            extractor: Extractor::default(),
            output: OutputStyle::default(),
            prefix: None,
        };
        Ok(Settings {
            conn,
            base,
            health_topic,
            timeout,
            action: Action::Run(Box::new(CommandSettings {
                cmd_type,
                request,
                keep: args.keep,
                extractor,
                extraction,
                format,
            })),
        })
    }
}

/// The target entity: `--entity`, `--device`/`--service`, or this device's
/// own (`own`: tedge.toml's `mqtt.device_topic_id` or `device/main//`, with
/// where it came from).
fn entity(args: &TedgeCmdArgs, own: &(String, String)) -> Result<String> {
    if let Some(e) = &args.entity {
        check_entity("--entity", e)?;
        return Ok(e.clone());
    }
    let (own, source) = own;
    let device = match &args.device {
        Some(name) => {
            check_level("--device", name)?;
            format!("device/{name}")
        }
        None => {
            check_entity(source, own)?;
            device(own).to_string()
        }
    };
    Ok(match (&args.service, &args.device) {
        (Some(name), _) => {
            check_level("--service", name)?;
            format!("{device}/service/{name}")
        }
        (None, Some(_)) => format!("{device}//"),
        (None, None) => own.clone(),
    })
}

/// An entity topic id has four levels (`device/main//`,
/// `device/child01/service/app`); thin-edge's own subscriptions
/// (`te/+/+/+/+/cmd/+/+`) count on it.
fn check_entity(source: &str, id: &str) -> Result<()> {
    if id.split('/').count() != 4 || id.contains(['+', '#', '\0']) {
        return Err(usage(format!(
            "{source} {id:?}: an entity topic id has four levels, e.g. device/main// or device/main/service/NAME"
        )));
    }
    Ok(())
}

/// One topic level given by the user: a name, a command type or id.
fn check_level(what: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['/', '+', '#', '\0']) {
        return Err(usage(format!(
            "{what} {name:?}: must be one non-empty topic level, without '/', '+' or '#'"
        )));
    }
    Ok(())
}

/// The device part of an entity (`device/child01` of
/// `device/child01/service/app`): where its agent reports its health.
fn device(entity: &str) -> &str {
    match entity.match_indices('/').nth(1) {
        Some((at, _)) => &entity[..at],
        None => entity,
    }
}

/// The request to publish: a JSON object, with `"status":"init"` first when
/// it had no status. Given with a status, that status must be `init`
/// (thin-edge.io: a new command is created in the init state); the bytes
/// are then sent as given.
pub fn command_payload(option: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        usage(format!(
            "{option}: not JSON ({e}); a command is a JSON object"
        ))
    })?;
    let Value::Object(fields) = value else {
        return Err(usage(format!(
            "{option}: a command is a JSON object, not {}",
            kind(&value)
        )));
    };
    match fields.get("status") {
        None => {
            let mut with_status = Map::new();
            with_status.insert("status".into(), Value::String("init".into()));
            with_status.extend(fields);
            Ok(Value::Object(with_status).to_string().into_bytes())
        }
        Some(Value::String(s)) if s == "init" => Ok(bytes.to_vec()),
        Some(other) => Err(usage(format!(
            "{option}: a new command has \"status\":\"init\", not {other}"
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What a message on the command topic says.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    /// An empty payload: someone cleared the command.
    Cleared,
    /// A JSON object with a string `status`, and its `reason` if any.
    Status {
        status: String,
        reason: Option<String>,
    },
    /// Anything else: not a command state, ignored.
    Unknown,
}

impl State {
    /// Reads a message on the command topic; never fails (a payload that
    /// is not a command state is `Unknown`, and is ignored, as thin-edge.io
    /// asks of a requester).
    pub fn of(payload: &[u8]) -> State {
        if payload.is_empty() {
            return State::Cleared;
        }
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(payload) else {
            return State::Unknown;
        };
        match fields.get("status") {
            Some(Value::String(status)) => State::Status {
                status: status.clone(),
                reason: match fields.get("reason") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(r)) => Some(r.clone()),
                    Some(other) => Some(other.to_string()),
                },
            },
            _ => State::Unknown,
        }
    }
}

/// How a command ended.
enum Outcome {
    Successful(Message),
    Failed(Message, Option<String>),
    /// Someone else cleared the command before it ended.
    Cleared,
}

/// Runs `--list` or the command; `start` is when the process started (the
/// `-W` deadline and the elapsed times count from there).
pub async fn run(settings: &Settings, start: std::time::Instant) -> Result<()> {
    let deadline = settings.timeout.map(|t| Instant::from_std(start) + t);
    match &settings.action {
        Action::List(form) => list(settings, *form, deadline).await,
        Action::Run(cmd) => follow(settings, cmd, start, deadline).await,
    }
}

/// Publishes the command and follows it to its end (spec §12's order).
async fn follow(
    settings: &Settings,
    cmd: &CommandSettings,
    start: std::time::Instant,
    deadline: Option<Instant>,
) -> Result<()> {
    let req = &cmd.request;
    let read = read_payload(&req.payload, deadline, req.timeout).await?;
    let payload: Cow<[u8]> = match &req.payload {
        Payload::Bytes(_) => read,
        Payload::Stdin => Cow::Owned(command_payload("-s", &read)?),
        Payload::File(_) => Cow::Owned(command_payload("--file", &read)?),
    };
    // The health read after a timeout comes out of the same -W.
    let health_wait = req
        .timeout
        .map_or(Duration::ZERO, |t| (t / 10).min(HEALTH_WAIT));
    let follow_deadline = deadline.map(|d| d - health_wait);
    let conn = &settings.conn;
    let mut progress = Progress::new(&cmd.cmd_type, start, Mode::choose(conn));

    let mut signals = Signals::new()?;
    let session = tokio::select! {
        s = connect(conn, deadline) => s?,
        sig = signals.recv() => return Err(Error::Interrupted(sig)),
    };
    let ended = {
        let progress = RefCell::new(&mut progress);
        tokio::select! {
            r = outcome(&session, req, &payload, follow_deadline, &progress) => r,
            never = redraw(&progress) => match never {},
            sig = signals.recv() => Err(Error::Interrupted(sig)),
        }
    };
    progress.end();
    let result = match ended {
        Ok(Some(Outcome::Successful(m))) => {
            progress.finish("successful");
            let printed = print_successful(cmd, &m);
            clear(&session, cmd, conn.quiet).await;
            printed
        }
        Ok(Some(Outcome::Failed(m, reason))) => {
            let failed = Error::Failed(format!(
                "{}: failed ({}){}",
                cmd.cmd_type,
                progress.elapsed(),
                match reason {
                    Some(r) => format!(": {r}"),
                    None => ", without a reason".into(),
                }
            ));
            // As it came: -j/-r/-f/-F describe the successful result.
            let printed = print(&m.payload);
            clear(&session, cmd, conn.quiet).await;
            printed.and(Err(failed))
        }
        Ok(Some(Outcome::Cleared)) => Err(Error::Runtime(format!(
            "{}: the command on {} was cleared by another client before it ended (last status: {})",
            cmd.cmd_type, req.topic, progress.status
        ))),
        // The deadline passed: say where the command was, and whether its
        // agent is alive.
        Ok(None) | Err(Error::Timeout(_)) => {
            let agent = agent_health(&session, &settings.health_topic, health_wait).await;
            clear(&session, cmd, conn.quiet).await;
            Err(Error::Timeout(format!(
                "{}: no final status on {} within {} (last status: {}; tedge-agent: {agent})",
                cmd.cmd_type,
                req.topic,
                human(req.timeout),
                progress.status
            )))
        }
        // Stopped by the user: the command is abandoned, and cleared so
        // that an agent that has not picked it up yet never runs it.
        Err(e @ Error::Interrupted(_)) => {
            clear(&session, cmd, conn.quiet).await;
            Err(e)
        }
        // The connection is gone, or the broker refused: nothing to clear.
        Err(e) => Err(e),
    };
    session.disconnect(DISCONNECT_BOUND).await;
    result
}

/// Subscribes, publishes the request and follows its status until a final
/// one (`Some`), or the deadline (`None`; also `Err(Timeout)`).
async fn outcome(
    session: &Session,
    req: &RequestSettings,
    payload: &[u8],
    deadline: Option<Instant>,
    progress: &RefCell<&mut Progress>,
) -> Result<Option<Outcome>> {
    let mut outcome = None;
    let mut step = |m: &Message, _: &[u8]| {
        let state = State::of(&m.payload);
        session.debug(|| match &state {
            State::Cleared => format!("{}: cleared (an empty payload)", m.topic),
            State::Unknown => format!("{}: no JSON object with a status, ignored", m.topic),
            State::Status { status, .. } => format!("{}: status {status}", m.topic),
        });
        match state {
            State::Unknown => return Ok(Next::Continue),
            State::Cleared => outcome = Some(Outcome::Cleared),
            State::Status { status, reason } => match status.as_str() {
                "successful" => outcome = Some(Outcome::Successful(m.clone())),
                "failed" => outcome = Some(Outcome::Failed(m.clone(), reason)),
                // The state mqrr created the command in: never a change
                // (whoever publishes it again).
                "init" => return Ok(Next::Continue),
                // `executing`, or a state of the agent's own workflow.
                other => {
                    progress.borrow_mut().change(other);
                    return Ok(Next::Continue);
                }
            },
        }
        Ok(Next::Stop)
    };
    exchange(session, req, payload, deadline, &mut step).await?;
    Ok(outcome)
}

/// Prints the successful command: its extraction, through `-F` if given.
/// An extraction that finds nothing is exit 1: the command is over, there
/// is nothing left to wait for.
fn print_successful(cmd: &CommandSettings, m: &Message) -> Result<()> {
    let Some(data) = cmd.extractor.apply(&m.payload) else {
        return Err(Error::Runtime(format!(
            "{}: successful, but {} found nothing in its payload",
            cmd.cmd_type, cmd.extraction
        )));
    };
    match &cmd.format {
        Some(template) => {
            let mut out = Vec::new();
            template.render(m, &data, SystemTime::now(), false, &mut out);
            print(&out)
        }
        None => print(&data),
    }
}

/// Writes `data` and a newline to stdout; a reader that went away is not
/// an error.
fn print(data: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(data)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Runtime(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Clears the command (an empty retained publish, QoS 1) unless `--keep`,
/// and waits for the broker's acknowledgement, at most `CLEAR_BOUND`. A
/// command that cannot be cleared costs one warning line; the outcome
/// stands.
async fn clear(session: &Session, cmd: &CommandSettings, quiet: bool) {
    if cmd.keep {
        return;
    }
    let topic = &cmd.request.topic;
    let failed = |why: String| {
        warn(
            quiet,
            &format!("could not clear the command on {topic}: {why}"),
        )
    };
    let empty = Outgoing {
        topic,
        payload: &[],
        qos: 1,
        retain: true,
        properties: &[],
    };
    if let Err(e) = session.publish(&empty, "empty retained message", CLEAR_TAG) {
        return failed(e.to_string());
    }
    let end = Instant::now() + CLEAR_BOUND;
    loop {
        match tokio::time::timeout_at(end, session.next()).await {
            Ok(Incoming::Published {
                tag: CLEAR_TAG,
                result,
            }) => {
                if let Err(f) = result {
                    failed(
                        session
                            .publish_error(f, topic, "empty retained message")
                            .to_string(),
                    );
                } else {
                    session.debug(|| format!("cleared {topic}"));
                }
                return;
            }
            // Late status updates, the request's acknowledgement.
            Ok(Incoming::Message(_) | Incoming::Published { .. }) => {}
            Ok(Incoming::Lost(e)) => return failed(e.to_string()),
            Err(_) => {
                return failed(format!(
                    "no acknowledgement within {}",
                    humantime::format_duration(CLEAR_BOUND)
                ));
            }
        }
    }
}

/// The retained health of the entity's tedge-agent: `up`, `down` or
/// `unknown` (no retained health message within `wait`).
async fn agent_health(session: &Session, health: &str, wait: Duration) -> &'static str {
    let found = session.retained(&[health], wait).await;
    match found
        .iter()
        .find(|m| m.topic == health)
        .and_then(|m| crate::tedge::health_state(&m.payload))
    {
        Some(true) => "up",
        Some(false) => "down",
        None => "unknown",
    }
}

/// `--list`: the retained capability messages on `<base>/cmd/+`.
async fn list(settings: &Settings, form: ListOutput, deadline: Option<Instant>) -> Result<()> {
    let filter = format!("{}/cmd/+", settings.base);
    let found = crate::commands::request::with_session(&settings.conn, deadline, async |session| {
        retained_on(session, &filter, deadline).await
    })
    .await?;
    if found.is_empty() {
        warn(
            settings.conn.quiet,
            &format!("no command types on {filter} (no retained capability message)"),
        );
    }
    let text = match form {
        ListOutput::Types => found.keys().map(|t| format!("{t}\n")).collect::<String>(),
        ListOutput::Json => {
            let mut all = Map::new();
            for (cmd_type, payload) in found {
                let value = serde_json::from_slice(&payload)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&payload).into()));
                all.insert(cmd_type, value);
            }
            format!("{}\n", Value::Object(all))
        }
    };
    if text.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Runtime(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Every retained message on `filter` (non-empty; a capability is removed
/// with an empty one), by its last topic level, sorted.
///
/// No settle time: mosquitto queues a subscription's retained messages
/// right behind its SUBACK, so the UNSUBACK of an UNSUBSCRIBE sent after
/// the SUBACK comes behind them, and Paho calls back in packet order. Once
/// the UNSUBACK is in, every retained message is in the event queue.
async fn retained_on(
    session: &Session,
    filter: &str,
    deadline: Option<Instant>,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let subscription = Subscription {
        filter: filter.to_string(),
        qos: 0,
        no_local: false,
        retain_as_published: false,
        retain_handling: 0,
    };
    session.subscribe(&[subscription], &[], deadline).await?;
    session
        .unsubscribe(&[filter.to_string()], &[], deadline)
        .await?;
    let mut found = BTreeMap::new();
    while let Some(incoming) = session.try_next() {
        match incoming {
            Incoming::Message(m) if m.retain && topic::matches(filter, &m.topic) => {
                if let Some(last) = m.topic.rsplit('/').next() {
                    if !m.payload.is_empty() {
                        found.insert(last.to_string(), m.payload);
                    }
                }
            }
            Incoming::Lost(e) => return Err(e),
            _ => {}
        }
    }
    Ok(found)
}

/// How progress is shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `--quiet`.
    Off,
    /// One line per status change (stderr is not a terminal, or `--debug`
    /// writes its own lines).
    Lines,
    /// One line on a terminal, redrawn in place with the elapsed time.
    Live,
}

impl Mode {
    fn choose(conn: &ConnectionSettings) -> Mode {
        if conn.quiet {
            Mode::Off
        } else if conn.debug || !std::io::stderr().is_terminal() {
            Mode::Lines
        } else {
            Mode::Live
        }
    }
}

/// The command's last status as shown on stderr: `mqrr: restart:
/// executing (3.2 s)`, the time counted from the start of mqrr.
struct Progress {
    cmd_type: String,
    /// The last status seen; starts as `init`, the one mqrr sent.
    status: String,
    start: std::time::Instant,
    mode: Mode,
    /// Whether the live line is on the screen.
    drawn: bool,
}

impl Progress {
    fn new(cmd_type: &str, start: std::time::Instant, mode: Mode) -> Progress {
        Progress {
            cmd_type: sanitize(cmd_type),
            status: "init".into(),
            start,
            mode,
            drawn: false,
        }
    }

    fn elapsed(&self) -> String {
        format!("{:.1} s", self.start.elapsed().as_secs_f64())
    }

    fn line(&self) -> String {
        format!(
            "mqrr: {}: {} ({})",
            self.cmd_type,
            self.status,
            self.elapsed()
        )
    }

    /// A status from the agent; shown when it differs from the last one.
    fn change(&mut self, status: &str) {
        let status = sanitize(status);
        if status == self.status {
            return;
        }
        self.status = status;
        match self.mode {
            Mode::Off => {}
            Mode::Lines => crate::error::stderr_line(format_args!("{}", self.line())),
            Mode::Live => self.draw(),
        }
    }

    fn draw(&mut self) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}\x1b[K", self.line()).and_then(|()| err.flush());
        self.drawn = true;
    }

    /// Takes the live line off the screen, so that what follows starts on
    /// a clean line.
    fn end(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K").and_then(|()| err.flush());
            self.drawn = false;
        }
    }

    /// The final status, as a line that stays.
    fn finish(&mut self, status: &str) {
        self.status = status.into();
        if self.mode != Mode::Off {
            self.end();
            crate::error::stderr_line(format_args!("{}", self.line()));
        }
    }
}

/// Redraws the live line every `REDRAW_EVERY`, from the start; never ends.
/// Without a terminal it waits forever.
async fn redraw(progress: &RefCell<&mut Progress>) -> Infallible {
    if progress.borrow().mode != Mode::Live {
        return std::future::pending().await;
    }
    let mut every = tokio::time::interval(REDRAW_EVERY);
    loop {
        every.tick().await;
        progress.borrow_mut().draw();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_init_is_added_first_when_missing() {
        assert_eq!(
            command_payload("-m", br#"{"type":"mosquitto"}"#).unwrap(),
            br#"{"status":"init","type":"mosquitto"}"#
        );
        assert_eq!(command_payload("-m", b"{}").unwrap(), INIT);
        // Given as init: sent byte for byte.
        let given = br#"{ "type": "x", "status": "init" }"#;
        assert_eq!(command_payload("-m", given).unwrap(), given);
    }

    #[test]
    fn a_command_is_a_json_object_starting_in_init() {
        for (bad, why) in [
            (&b"restart"[..], "not JSON"),
            (b"", "not JSON"),
            (b"[1]", "not an array"),
            (b"\"x\"", "not a string"),
            (br#"{"status":"successful"}"#, "not \"successful\""),
            (br#"{"status":1}"#, "not 1"),
        ] {
            let e = command_payload("-m", bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            assert!(e.to_string().contains(why), "{bad:?}: {e}");
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }

    #[test]
    fn states() {
        assert_eq!(State::of(b""), State::Cleared);
        assert_eq!(State::of(b"nope"), State::Unknown);
        assert_eq!(State::of(br#"{"status":5}"#), State::Unknown);
        assert_eq!(State::of(b"[]"), State::Unknown);
        assert_eq!(
            State::of(br#"{"status":"failed","reason":"disk full"}"#),
            State::Status {
                status: "failed".into(),
                reason: Some("disk full".into())
            }
        );
        assert_eq!(
            State::of(br#"{"status":"failed","reason":{"code":3}}"#),
            State::Status {
                status: "failed".into(),
                reason: Some(r#"{"code":3}"#.into())
            }
        );
    }

    #[test]
    fn deadline_defaults_to_ten_minutes() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["mqrr", "tedge-cmd", "restart"]).unwrap();
        let Some(crate::cli::Command::TedgeCmd(args)) = cli.command else {
            panic!("not tedge-cmd");
        };
        assert_eq!(args.timeout, Duration::from_secs(600));
        assert!(!args.keep && !args.list);
    }

    #[test]
    fn device_of_an_entity() {
        assert_eq!(device("device/main//"), "device/main");
        assert_eq!(device("device/child01/service/app"), "device/child01");
        assert_eq!(device("factory1/shop1/plc1/sensor1"), "factory1/shop1");
    }

    #[test]
    fn levels_and_entities() {
        assert!(check_level("--device", "child01").is_ok());
        for bad in ["", "a/b", "+", "#", "a\0"] {
            assert!(check_level("--device", bad).is_err(), "{bad:?}");
        }
        assert!(check_entity("--entity", "device/main//").is_ok());
        assert!(check_entity("--entity", "a/b/c/d").is_ok());
        for bad in ["device/main", "device/main///", "device/+//", "a/b/c/#"] {
            assert!(check_entity("--entity", bad).is_err(), "{bad:?}");
        }
    }
}
