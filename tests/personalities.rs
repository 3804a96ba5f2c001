//! The mosquitto personalities (spec §11) side by side with mosquitto
//! 2.0.11: each case runs the same argument list through the real
//! `/usr/bin/mosquitto_X` and through mqrr invoked under that name (a link
//! in a temp dir), on the same private broker, with the same traffic, and
//! compares stdout, the exit status and what the broker saw (the CONNECT's
//! protocol, clean flag, keepalive and user; what was published). Usage
//! errors: both exit 1 and say which option.
//!
//! Where mqrr deliberately differs (its fixes, spec §11, and the README's
//! differences table) the test pins mqrr's side and mosquitto's, with a
//! comment naming the difference.
//!
//! Every tool runs with HOME and XDG_CONFIG_HOME pointed at empty temp
//! directories, so no options file of the machine takes part.

mod common;
mod sub_support;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use common::*;
use paho_mqtt as mqtt;
use sub_support::{Pub, publish};

const BOUND: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// The two sides
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    Pub,
    Sub,
    Rr,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Pub => "mosquitto_pub",
            Tool::Sub => "mosquitto_sub",
            Tool::Rr => "mosquitto_rr",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Mosquitto,
    Mqrr,
}

const SIDES: [Side; 2] = [Side::Mosquitto, Side::Mqrr];

/// mqrr under the three names (links in a temp dir), and an empty home.
struct Links {
    bin: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Links {
    fn new() -> Links {
        let bin = tempfile::tempdir().unwrap();
        let mqrr = assert_cmd::cargo::cargo_bin("mqrr");
        for tool in [Tool::Pub, Tool::Sub, Tool::Rr] {
            std::os::unix::fs::symlink(&mqrr, bin.path().join(tool.name())).unwrap();
        }
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join("xdg")).unwrap();
        Links { bin, home }
    }

    fn program(&self, side: Side, tool: Tool) -> PathBuf {
        match side {
            Side::Mosquitto => PathBuf::from("/usr/bin").join(tool.name()),
            Side::Mqrr => self.bin.path().join(tool.name()),
        }
    }

    /// The tool on `side`, with the empty home and nothing of MQRR_* set.
    fn command(&self, side: Side, tool: Tool) -> Command {
        let mut cmd = Command::new(self.program(side, tool));
        cmd.env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("xdg"))
            .env("TZ", "UTC");
        for var in [
            "MQRR_HOST",
            "MQRR_PORT",
            "MQRR_URL",
            "MQRR_USERNAME",
            "MQRR_PASSWORD",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }
}

/// A tool running with stdin fed and stdout and stderr collected.
struct Running {
    child: Child,
    readers: Vec<JoinHandle<Vec<u8>>>,
}

/// How a run ended.
#[derive(Debug)]
struct Ran {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    pid: u32,
}

impl Ran {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

impl Running {
    fn start(cmd: &mut Command, stdin: &[u8]) -> Running {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        let mut input = child.stdin.take().unwrap();
        let data = stdin.to_vec();
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let readers = vec![
            std::thread::spawn(move || {
                // A tool that does not read stdin closes it: not an error.
                let _ = input.write_all(&data);
                Vec::new()
            }),
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = out.read_to_end(&mut buf);
                buf
            }),
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = err.read_to_end(&mut buf);
                buf
            }),
        ];
        Running { child, readers }
    }

    /// Waits (bounded) for the exit; kills and fails on a hang.
    #[track_caller]
    fn finish(mut self, what: &str) -> Ran {
        let mut status = None;
        let exited = wait_until(BOUND, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let mut outputs = self.readers.drain(..).map(|r| r.join().unwrap());
        let (_, stdout, stderr) = (
            outputs.next().unwrap(),
            outputs.next().unwrap(),
            outputs.next().unwrap(),
        );
        let stderr = String::from_utf8_lossy(&stderr).into_owned();
        assert!(
            exited,
            "{what}: still running after {BOUND:?}; stdout {:?}, stderr {stderr}",
            String::from_utf8_lossy(&stdout)
        );
        assert!(!stderr.contains("panicked"), "{what}: panic: {stderr}");
        Ran {
            code: status.unwrap().code(),
            stdout,
            stderr,
            pid: self.child.id(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `-h 127.0.0.1 -p PORT` and the case's arguments with `{port}` and
/// `{id}` (a client id of this side and case) filled in.
fn args_for(port: u16, side: Side, case: usize, args: &[&str]) -> Vec<String> {
    let id = format!("{}-{case}-{}", side_tag(side), free_port());
    broker_args(port)
        .into_iter()
        .chain(
            args.iter()
                .map(|a| a.replace("{port}", &port.to_string()).replace("{id}", &id)),
        )
        .collect()
}

fn side_tag(side: Side) -> &'static str {
    match side {
        Side::Mosquitto => "mosq",
        Side::Mqrr => "mqrr",
    }
}

// ---------------------------------------------------------------------------
// What the broker saw
// ---------------------------------------------------------------------------

/// Who connected, as the broker logged it: `(client id, "(p5, c1, k60)")`.
type Connects = Vec<(String, String)>;

/// One side's run of a case and the connections it made.
type SideRun = (Ran, Connects);

fn log_len(broker: &Broker) -> usize {
    broker.log().len()
}

/// The clients that connected since `from` (a log length), as
/// `(client id, "(p5, c1, k60, u'bob')")`, leaving out the tests' own
/// helpers (publishers, recorders, responders).
fn connects(broker: &Broker, from: usize) -> Connects {
    let log = broker.log();
    log.get(from..)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split_once(" as ")
                .filter(|_| l.contains("New client connected"))
        })
        .filter_map(|(_, rest)| rest.split_once(' '))
        .map(|(id, params)| (id.to_string(), params.trim_end_matches('.').to_string()))
        .filter(|(id, _)| {
            !["publisher-", "recorder-", "responder-", "probe-"]
                .iter()
                .any(|p| id.starts_with(p))
        })
        .collect()
}

/// Waits (bounded) until `n` subscriptions to `filter` were logged since
/// `from` (mosquitto logs `ID QOS FILTER` for each).
fn wait_subscriptions(broker: &Broker, from: usize, filter: &str, n: usize) -> bool {
    let count = || {
        let log = broker.log();
        log.get(from..)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                let words: Vec<&str> = l.split(' ').collect();
                words.len() == 4 && words[2].parse::<u8>().is_ok() && words[3] == filter
            })
            .count()
    };
    wait_until(Duration::from_secs(10), || count() >= n)
}

/// A message as a recorder saw it: everything a publisher decides.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rec {
    topic: String,
    payload: Vec<u8>,
    qos: i32,
    retain: bool,
    properties: Vec<String>,
}

/// A paho MQTT 5 client subscribed to a filter with Retain As Published
/// (so `-r` shows), recording every message, with probes to know when
/// everything sent before has arrived.
struct Recorder {
    client: std::mem::ManuallyDrop<mqtt::Client>,
    seen: Arc<Mutex<Vec<Rec>>>,
    port: u16,
    probes: usize,
    filter_root: String,
}

impl Recorder {
    /// Records `ROOT/#`; subscribed when it returns.
    fn start(port: u16, root: &str) -> Recorder {
        let client = mqtt::Client::new(
            mqtt::CreateOptionsBuilder::new()
                .server_uri(format!("tcp://127.0.0.1:{port}"))
                .client_id(format!("recorder-{}", free_port()))
                .mqtt_version(mqtt::MQTT_VERSION_5)
                .persistence(None)
                .finalize(),
        )
        .unwrap();
        let rx = client.start_consuming();
        client
            .connect(
                mqtt::ConnectOptionsBuilder::with_mqtt_version(mqtt::MQTT_VERSION_5)
                    .clean_start(true)
                    .finalize(),
            )
            .unwrap();
        client
            .subscribe_with_options(
                format!("{root}/#"),
                2,
                mqtt::SubscribeOptions::with_retain_as_published(),
                None,
            )
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            for m in rx.iter().flatten() {
                let props = m.properties();
                let mut properties = Vec::new();
                use mqtt::PropertyCode as C;
                if let Some(v) = props.get_string(C::ContentType) {
                    properties.push(format!("content-type={v}"));
                }
                if let Some(v) = props.get_string(C::ResponseTopic) {
                    properties.push(format!("response-topic={v}"));
                }
                if let Some(v) = props.get_binary(C::CorrelationData) {
                    properties.push(format!("correlation-data={}", String::from_utf8_lossy(&v)));
                }
                if let Some(v) = props.get_int(C::PayloadFormatIndicator) {
                    properties.push(format!("payload-format-indicator={v}"));
                }
                // The broker counts the expiry down: within a second.
                if let Some(v) = props.get_int(C::MessageExpiryInterval) {
                    properties.push(format!("message-expiry-interval≈{}", (v + 1) / 10));
                }
                for p in props.iter(C::UserProperty) {
                    if let Some((k, v)) = p.get_string_pair() {
                        properties.push(format!("user-property={k}:{v}"));
                    }
                }
                sink.lock().unwrap().push(Rec {
                    topic: m.topic().to_string(),
                    payload: m.payload().to_vec(),
                    qos: m.qos() as i32,
                    retain: m.retained(),
                    properties,
                });
            }
        });
        Recorder {
            client: std::mem::ManuallyDrop::new(client),
            seen,
            port,
            probes: 0,
            filter_root: root.to_string(),
        }
    }

    /// Everything recorded since the last call, up to a probe published
    /// now (the broker forwards in order, so what a finished run sent has
    /// arrived when the probe has).
    #[track_caller]
    fn take(&mut self) -> Vec<Rec> {
        self.probes += 1;
        let probe = format!("{}/probe", self.filter_root);
        let mark = format!("probe {}", self.probes);
        publish(self.port, &[Pub::new(&probe, mark.clone()).qos(1)]);
        let arrived = || {
            self.seen
                .lock()
                .unwrap()
                .iter()
                .any(|r| r.topic == probe && r.payload == mark.as_bytes())
        };
        assert!(wait_until(BOUND, arrived), "probe {mark} never arrived");
        let mut seen = self.seen.lock().unwrap();
        let at = seen
            .iter()
            .position(|r| r.topic == probe && r.payload == mark.as_bytes())
            .unwrap();
        let taken: Vec<Rec> = seen.drain(..=at).collect();
        taken[..at].to_vec()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.client.disconnect(None);
    }
}

// ---------------------------------------------------------------------------
// mosquitto_rr
// ---------------------------------------------------------------------------

/// What the test responder answers: the request as it saw it.
fn describe(req: &Request) -> String {
    use mqtt::PropertyCode as C;
    let props = req.msg.properties();
    let mut text = format!(
        "req={};q={}",
        String::from_utf8_lossy(req.payload),
        req.msg.qos()
    );
    if let Some(ct) = props.get_string(C::ContentType) {
        text.push_str(&format!(";ct={ct}"));
    }
    for p in props.iter(C::UserProperty) {
        if let Some((k, v)) = p.get_string_pair() {
            text.push_str(&format!(";up={k}:{v}"));
        }
    }
    text
}

/// Answers each request on `rq/…` on its Response Topic (MQTT 5), else
/// on `rs/…`, at QoS 2, with `describe`.
fn rr_responder(port: u16) -> Responder {
    Responder::start(port, "rq/#", true, |req| {
        let topic = req
            .msg
            .properties()
            .get_string(mqtt::PropertyCode::ResponseTopic)
            .unwrap_or_else(|| req.topic.replacen("rq/", "rs/", 1));
        let mut reply = Reply::to(&topic, describe(req));
        reply.qos = 2;
        vec![reply]
    })
}

/// Runs `args` through mosquitto_rr and then mqrr on `broker`; returns
/// each side's run and the connects the broker logged for it.
fn rr_both(
    links: &Links,
    broker: &Broker,
    case: usize,
    args: &[&str],
    stdin: &[u8],
) -> Vec<SideRun> {
    SIDES
        .iter()
        .map(|&side| {
            let from = log_len(broker);
            let ran = Running::start(
                links
                    .command(side, Tool::Rr)
                    .args(args_for(broker.port, side, case, args)),
                stdin,
            )
            .finish(&format!("{side:?} {args:?}"));
            (ran, connects(broker, from))
        })
        .collect()
}

/// Asserts what every side-by-side case must show: the same exit status
/// and stdout, and the same CONNECT (protocol, clean flag, keepalive,
/// user) at the broker.
#[track_caller]
fn assert_same(what: &str, mosq: &SideRun, mqrr: &SideRun) {
    let ((m, mc), (q, qc)) = (mosq, mqrr);
    assert_eq!(
        q.code, m.code,
        "{what}: exit status (left mqrr, right mosquitto)\nmqrr: {q:?}\nmosquitto: {m:?}"
    );
    assert_eq!(
        q.stdout.escape_ascii().to_string(),
        m.stdout.escape_ascii().to_string(),
        "{what}: stdout (left mqrr, right mosquitto); mqrr stderr: {}",
        q.stderr
    );
    let params = |c: &[(String, String)]| c.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>();
    assert_eq!(
        params(qc),
        params(mc),
        "{what}: CONNECT (left mqrr, right mosquitto)"
    );
    assert_eq!(mc.len(), 1, "{what}: one connection each: {mc:?}");
}

#[test]
fn mosquitto_rr_options_print_what_mosquitto_rr_prints() {
    let broker = Broker::logging();
    let _responder = rr_responder(broker.port);
    let links = Links::new();
    let url = "mqtt://127.0.0.1:{port}/rq/a";
    #[rustfmt::skip]
    let cases: &[&[&str]] = &[
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-q", "1", "-F", "%q %p"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-q", "2", "-F", "%q %p"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-v"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-N"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-v", "-N"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "-dash", "-F", "%t|%p|%l|%q|%r|%x|%X|%%|@@"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-F", "[%-12p|%5l|%.4t|%05l]\\t."],
        &["-t", "rq/a", "-e", "rs/a", "-n", "-F", "[%p]"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "", "-F", "[%p]"],
        // The protocol, every spelling (mosquitto_rr's default is MQTT 5).
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-V", "5"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-V", "mqttv5"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-V", "311"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-V", "mqttv311"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-V", "31"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-V", "mqttv31"],
        // -D: the request's properties reach the responder; names in any case.
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-D", "publish", "user-property", "k", "v",
          "-D", "publish", "content-type", "text/x"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-D", "Publish", "Content-Type", "Text/X"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-D", "connect", "user-property", "a", "b",
          "-D", "subscribe", "user-property", "c", "d"],
        // mosquitto_rr sends these bytes as Correlation Data and checks nothing.
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-D", "publish", "correlation-data", "abc"],
        // Session, id, keepalive.
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-x", "30"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-c", "-i", "{id}"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-i", "{id}"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "--id", "{id}"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-I", "pfx-"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "--id-prefix", "pfx-"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-k", "30"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "--keepalive", "7"],
        // No effect in mosquitto_rr 2.0; mqrr never takes a retained answer.
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-R"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "--retain-as-published"],
        // A deadline that is not reached; one that is.
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-W", "10"],
        &["-t", "nobody/a", "-e", "nobody/b", "-m", "hello", "-W", "1"],
        // The last of an option given twice wins.
        &["-t", "rq/x", "-t", "rq/a", "-e", "rs/a", "-m", "hello", "-q", "2", "-q", "1", "-F", "%q %p"],
        &["-t", "rq/a", "-e", "rs/a", "-m", "hello", "-v", "-v", "-k", "10", "-k", "20"],
        // -L: host, port and the request topic from a URL.
        &["-L", url, "-e", "rs/a", "-m", "via url"],
        &["-h", "nowhere.invalid", "-L", url, "-e", "rs/a", "-m", "url wins"],
        &["--quiet", "--nodelay", "-t", "rq/a", "-e", "rs/a", "--message", "long forms"],
        &["--will-topic", "rq/will", "--will-payload", "w", "--will-qos", "1",
          "-t", "rq/a", "-e", "rs/a", "-m", "hello"],
    ];
    for (i, args) in cases.iter().enumerate() {
        let what = format!("mosquitto_rr {args:?}");
        let runs = rr_both(&links, &broker, i, args, b"");
        assert_same(&what, &runs[0], &runs[1]);
        let mosq = &runs[0].0;
        // A case must show something: an answer, or the timeout.
        assert!(
            !mosq.stdout.is_empty() || mosq.code == Some(27),
            "{what}: mosquitto_rr printed nothing: {mosq:?}"
        );
        // The client id where the case gives one; -I: mosquitto adds its
        // pid, mqrr a random suffix (see the differences).
        let ids: Vec<&str> = runs.iter().map(|r| r.1[0].0.as_str()).collect();
        if args.contains(&"{id}") {
            assert!(
                ids[0].starts_with("mosq-") && ids[1].starts_with("mqrr-"),
                "{what}: {ids:?}"
            );
        }
        if args.contains(&"-I") || args.contains(&"--id-prefix") {
            assert_eq!(ids[0], format!("pfx-{}", mosq.pid), "{what}");
            assert!(ids[1].starts_with("pfx-"), "{what}: {ids:?}");
        }
    }
}

#[test]
fn mosquitto_rr_waits_for_its_answer_without_a_deadline_unless_w() {
    // mqrr's request mode gives up after 10 s by default; mosquitto_rr
    // (and mqrr as mosquitto_rr) waits as long as it takes.
    let broker = Broker::logging();
    let links = Links::new();
    let from = log_len(&broker);
    let running: Vec<Running> = SIDES
        .iter()
        .map(|&side| {
            Running::start(
                links.command(side, Tool::Rr).args(args_for(
                    broker.port,
                    side,
                    0,
                    &["-t", "late/req", "-e", "late/resp", "-m", "x"],
                )),
                b"",
            )
        })
        .collect();
    assert!(
        wait_subscriptions(&broker, from, "late/resp", 2),
        "{}",
        broker.log()
    );
    let mut running = running;
    let ended_early = wait_until(Duration::from_secs(11), || {
        running
            .iter_mut()
            .any(|r| r.child.try_wait().unwrap().is_some())
    });
    assert!(!ended_early, "one gave up before the answer came");
    // One answer serves both: mosquitto_rr takes any message on -e, and
    // carries no correlation data for mqrr to compare.
    publish(broker.port, &[Pub::new("late/resp", "late but there")]);
    for (r, side) in running.into_iter().zip(SIDES) {
        let ran = r.finish(&format!("{side:?}"));
        assert_eq!(
            (ran.code, ran.text()),
            (Some(0), "late but there\n".into()),
            "{side:?}: {ran:?}"
        );
    }
}

#[test]
fn the_thin_edge_token_line_works_unchanged_through_the_link() {
    // thin-edge.io's documented line, word for word. The broker's address
    // comes from mosquitto_rr's default options file, as on a device whose
    // broker is not on localhost:1883 (never used by tests).
    let broker = Broker::start();
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ0LmV4YW1wbGUuY29tIiwidGVuIjoidDEifQ.c2ln";
    let _cumulocity = Responder::start(broker.port, "c8y/s/uat", false, move |_| {
        vec![Reply::to("c8y/s/dat", format!("71,{jwt}"))]
    });
    let links = Links::new();
    std::fs::write(
        links.home.path().join("xdg/mosquitto_rr"),
        format!("-h 127.0.0.1\n-p {}\n", broker.port),
    )
    .unwrap();
    let line = "mosquitto_rr -t c8y/s/uat -e c8y/s/dat -m '' | cut -d, -f2-";
    for side in SIDES {
        let dir = match side {
            Side::Mosquitto => PathBuf::from("/usr/bin"),
            Side::Mqrr => links.bin.path().to_path_buf(),
        };
        let path = format!(
            "{}:{}",
            dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("sh");
        cmd.args(["-c", line])
            .env("PATH", path)
            .env("HOME", links.home.path())
            .env("XDG_CONFIG_HOME", links.home.path().join("xdg"));
        let ran = Running::start(&mut cmd, b"").finish(&format!("{side:?}: {line}"));
        assert_eq!(ran.code, Some(0), "{side:?}: {ran:?}");
        assert_eq!(ran.text(), format!("{jwt}\n"), "{side:?}: {}", ran.stderr);
        assert_eq!(ran.stderr, "", "{side:?}");
    }
}

// ---------------------------------------------------------------------------
// mosquitto_pub
// ---------------------------------------------------------------------------

/// Runs `args` (with `stdin`) through mosquitto_pub and then mqrr on
/// `broker`; returns each side's run, its connects and what `recorder`
/// received from it.
fn pub_both(
    links: &Links,
    broker: &Broker,
    recorder: &mut Recorder,
    case: usize,
    args: &[&str],
    stdin: &[u8],
) -> Vec<(SideRun, Vec<Rec>)> {
    SIDES
        .iter()
        .map(|&side| {
            let from = log_len(broker);
            let ran = Running::start(
                links
                    .command(side, Tool::Pub)
                    .args(args_for(broker.port, side, case, args)),
                stdin,
            )
            .finish(&format!("{side:?} {args:?}"));
            let connects = connects(broker, from);
            ((ran, connects), recorder.take())
        })
        .collect()
}

#[test]
fn mosquitto_pub_options_publish_what_mosquitto_pub_publishes() {
    let broker = Broker::logging();
    let mut recorder = Recorder::start(broker.port, "pb");
    let links = Links::new();
    let bin = temp_file(b"bin\x00ary\n\xff\xfe end");
    let bin = bin.path().to_str().unwrap().to_string();
    let empty = temp_file(b"");
    let empty = empty.path().to_str().unwrap().to_string();
    let lines: &[u8] = b"a\nb\r\n\n-c with spaces \nlast without newline";
    let many: Vec<u8> = (0..50)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .collect();
    let binary: &[u8] = b"\x00\x01stdin\xff\n";
    let url = "mqtt://127.0.0.1:{port}/pb/url";
    #[rustfmt::skip]
    let cases: &[(&[&str], &[u8])] = &[
        (&["-t", "pb/m", "-m", "hello"], b""),
        (&["-t", "pb/q", "-m", "hello", "-q", "1"], b""),
        (&["-t", "pb/q", "-m", "hello", "-q", "2"], b""),
        (&["-t", "pb/q", "-m", "hello", "--qos", "1", "--retain"], b""),
        (&["-t", "pb/r", "-m", "kept", "-r", "-q", "1"], b""),
        (&["-t", "pb/r", "-n", "-r"], b""),
        (&["-t", "pb/f", "-f", &bin], b""),
        (&["-t", "pb/f", "--file", &empty, "-q", "2"], b""),
        (&["-t", "pb/s", "-s"], binary),
        (&["-t", "pb/s", "--stdin-file", "-q", "1"], binary),
        (&["-t", "pb/l", "-l"], lines),
        (&["-t", "pb/l", "--stdin-line", "-q", "2"], lines),
        (&["-t", "pb/l", "-l", "-q", "1", "-M", "2"], &many),
        (&["-t", "pb/n", "-n"], b""),
        (&["-t", "pb/n", "--null-message", "-q", "1"], b""),
        (&["-t", "pb/e", "-m", ""], b""),
        (&["-t", "pb/dash", "-m", "-x"], b""),
        (&["--topic", "pb/long", "--message", "two  spaces "], b""),
        (&["-t", "pb/rep", "-m", "again", "--repeat", "3"], b""),
        (&["-t", "pb/rep", "-m", "again", "--repeat", "3", "--repeat-delay", "0.05", "-q", "1"], b""),
        // mosquitto_pub ignores --repeat with -l.
        (&["-t", "pb/rep", "-l", "--repeat", "3"], b"x\ny\n"),
        (&[
            "-t", "pb/d", "-m", "props",
            "-D", "publish", "user-property", "k", "v",
            "-D", "publish", "user-property", "k", "v2",
            "-D", "publish", "content-type", "text/x",
            "-D", "publish", "message-expiry-interval", "300",
            "-D", "publish", "payload-format-indicator", "1",
            "-D", "publish", "response-topic", "r/t",
            "-D", "publish", "correlation-data", "abc",
        ], b""),
        (&["-t", "pb/d", "-m", "props", "--property", "connect", "user-property", "a", "b"], b""),
        // Packet and property names in any case.
        (&["-t", "pb/d", "-m", "props", "-D", "Publish", "Content-Type", "Text/X"], b""),
        // The protocol, every spelling (mosquitto_pub's default is 3.1.1).
        (&["-t", "pb/v", "-m", "v", "-V", "5"], b""),
        (&["-t", "pb/v", "-m", "v", "-V", "mqttv5", "-q", "2"], b""),
        (&["-t", "pb/v", "-m", "v", "-V", "311"], b""),
        (&["-t", "pb/v", "-m", "v", "-V", "mqttv311"], b""),
        (&["-t", "pb/v", "-m", "v", "-V", "31", "-q", "1"], b""),
        (&["-t", "pb/v", "-m", "v", "--protocol-version", "mqttv31"], b""),
        // -x is ignored on MQTT 3.1.1, used on 5.
        (&["-t", "pb/x", "-m", "x", "-x", "60"], b""),
        (&["-t", "pb/x", "-m", "x", "-x", "60", "-V", "5"], b""),
        (&["-t", "pb/c", "-m", "c", "-c", "-i", "{id}", "-q", "1"], b""),
        (&["-t", "pb/c", "-m", "c", "-c", "-i", "{id}", "-V", "5", "-x", "10"], b""),
        (&["-t", "pb/k", "-m", "k", "-k", "30", "-i", "{id}"], b""),
        (&["-t", "pb/k", "-m", "k", "-I", "pfx-"], b""),
        (&["-t", "pb/k", "-m", "k", "--id-prefix", "pfx-", "-q", "1"], b""),
        // A clean exit: the Will is not published (recorded) by either.
        (&["-t", "pb/w", "-m", "w", "--will-topic", "pb/will", "--will-payload", "never", "--will-retain"], b""),
        (&["-L", url, "-m", "u"], b""),
        (&["-L", url, "-t", "pb/after-url", "-m", "u"], b""),
        (&["-t", "pb/before-url", "-L", url, "-m", "u"], b""),
        // The last of an option given twice wins.
        (&["-t", "pb/x", "-t", "pb/last", "-m", "a", "-q", "2", "-q", "1", "-r", "-r"], b""),
        (&["--quiet", "--nodelay", "-t", "pb/quiet", "-m", "q"], b""),
    ];
    for (i, (args, stdin)) in cases.iter().enumerate() {
        let what = format!("mosquitto_pub {args:?}");
        let runs = pub_both(&links, &broker, &mut recorder, i, args, stdin);
        let ((mosq, mosq_sent), (mqrr, mqrr_sent)) = (&runs[0], &runs[1]);
        assert_same(&what, mosq, mqrr);
        assert_eq!(mosq.0.code, Some(0), "{what}: {:?}", mosq.0);
        assert_eq!(mqrr.0.stderr, "", "{what}");
        assert!(!mosq_sent.is_empty(), "{what}: mosquitto_pub sent nothing");
        assert_eq!(
            mqrr_sent, mosq_sent,
            "{what}: published (left mqrr, right mosquitto)"
        );
        // -I: mosquitto adds its pid, mqrr a random suffix (see the
        // differences).
        if args.contains(&"-I") || args.contains(&"--id-prefix") {
            assert_eq!(mosq.1[0].0, format!("pfx-{}", mosq.0.pid), "{what}");
            assert!(mqrr.1[0].0.starts_with("pfx-"), "{what}: {:?}", mqrr.1);
            assert_ne!(mqrr.1[0].0, mosq.1[0].0, "{what}");
        }
    }
}

// ---------------------------------------------------------------------------
// mosquitto_sub
// ---------------------------------------------------------------------------

/// Retained before the subscribers come.
fn sub_retained() -> Vec<Pub> {
    vec![
        Pub::new("s/r1", "kept one").retained(),
        Pub::new("s/r2", "kept two").qos(1).retained(),
    ]
}

/// Published once both are subscribed: QoS 0/1/2, a newline inside, binary,
/// JSON with every MQTT 5 property.
fn sub_live() -> Vec<Pub> {
    let props = sub_support::Props {
        content_type: Some("application/json".into()),
        user: vec![("k1".into(), "v1".into()), ("k1".into(), "v2".into())],
        correlation: Some(b"abc".to_vec()),
        response_topic: Some("r/t".into()),
        expiry: Some(600),
        payload_format: Some(1),
    };
    vec![
        Pub::new("s/a", "hello"),
        Pub::new("s/b", "second\nline").qos(1),
        Pub::new("s/c", b"a\x00b\xff\"c".to_vec()).qos(2),
        Pub::new("s/d/e", r#"{"temperature":{"value":21.5}}"#)
            .qos(1)
            .props(props),
    ]
}

/// Starts both sides with `args`, waits until both subscribed to `filter`
/// (or `n` subscriptions were made, for cases that subscribe more), then
/// publishes `live`, and returns both runs with their connects.
fn sub_both(
    links: &Links,
    broker: &Broker,
    case: usize,
    args: &[&str],
    filter: &str,
    live: &[Pub],
) -> Vec<SideRun> {
    let from = log_len(broker);
    let running: Vec<Running> = SIDES
        .iter()
        .map(|&side| {
            Running::start(
                links
                    .command(side, Tool::Sub)
                    .args(args_for(broker.port, side, case, args)),
                b"",
            )
        })
        .collect();
    if !wait_subscriptions(broker, from, filter, 2) {
        let ended: Vec<Ran> = running
            .into_iter()
            .map(|mut r| {
                let _ = r.child.kill();
                r.finish("killed")
            })
            .collect();
        panic!(
            "{args:?}: not both subscribed to {filter}: {ended:?}\nbroker log:\n{}",
            broker.log().get(from..).unwrap_or_default()
        );
    }
    publish(broker.port, live);
    let runs: Vec<Ran> = running
        .into_iter()
        .zip(SIDES)
        .map(|(r, side)| r.finish(&format!("{side:?} {args:?}")))
        .collect();
    let all = connects(broker, from);
    // Which connection was whose: mosquitto's ids are broker-assigned
    // (auto-…), mosq-… (MQTT 3.1), or the case's; mqrr's start mqrr-.
    let is_mqrr = |id: &str| {
        id.starts_with("mqrr-") || (id.starts_with("pfx-") && id != format!("pfx-{}", runs[0].pid))
    };
    let (q, m): (Vec<_>, Vec<_>) = all.into_iter().partition(|(id, _)| is_mqrr(id));
    runs.into_iter().zip([m, q]).collect()
}

#[test]
fn mosquitto_sub_options_print_what_mosquitto_sub_prints() {
    let broker = Broker::logging();
    publish(broker.port, &sub_retained());
    let links = Links::new();
    let url = "mqtt://127.0.0.1:{port}/s/#";
    #[rustfmt::skip]
    let cases: &[(&[&str], &str)] = &[
        (&["-t", "s/#", "-C", "6"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v"], "s/#"),
        (&["-t", "s/#", "-C", "6", "--verbose", "-N"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-N"], "s/#"),
        // -F: a spread of specifiers, flags, widths and escapes.
        (&["-t", "s/#", "-C", "6", "-F", "%t|%p|%l|%q|%r|%x|%X"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-q", "2", "-F", "%q %m %t"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-F", "[%-8t|%8l|%.3p|%08l|%%|@@|\\t|\\\\|\\n]"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-V", "5", "-F", "%t C=%C P=%P R=%R E=%E F=%F D=%D"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-D", "subscribe", "subscription-identifier", "7", "-F", "%S %t"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-V", "5", "--retain-as-published", "-F", "%r %t"], "s/#"),
        // QoS of the subscription.
        (&["-t", "s/#", "-C", "6", "-q", "1", "-F", "%q %t"], "s/#"),
        (&["-t", "s/#", "-C", "6", "--qos", "2", "-F", "%q %t"], "s/#"),
        // Which messages are printed and counted.
        (&["-t", "s/#", "-R", "-C", "4", "-v"], "s/#"),
        (&["-t", "s/#", "-R", "-C", "4", "-v", "-V", "5"], "s/#"),
        (&["-t", "s/#", "-T", "s/r1", "-T", "s/+/e", "-C", "3", "-v"], "s/#"),
        (&["-t", "s/#", "--filter-out", "s/b", "-C", "5", "-v"], "s/#"),
        (&["-t", "s/a", "-t", "s/+/e", "--topic", "s/r2", "-C", "3", "-v"], "s/r2"),
        (&["-t", "s/#", "-C", "3", "-v"], "s/#"),
        (&["-t", "s/#", "--retained-only", "-v"], "s/#"),
        (&["-t", "s/r1", "-W", "2", "-v"], "s/r1"),
        (&["-t", "none/#", "-E"], "none/#"),
        (&["-t", "s/#", "-U", "other/#", "-C", "6", "-v"], "s/#"),
        // The protocol, every spelling (mosquitto_sub's default is 3.1.1).
        (&["-t", "s/#", "-C", "6", "-v", "-V", "5"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-V", "mqttv5"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-V", "311"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-V", "mqttv311"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-V", "31"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-V", "mqttv31"], "s/#"),
        // Connection: id, keepalive, session (-x ignored on 3.1.1).
        (&["-t", "s/#", "-C", "6", "-v", "-i", "{id}", "-k", "20"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-I", "pfx-"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "--id-prefix", "pfx-"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-x", "60"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-x", "60", "-V", "5"], "s/#"),
        (&["-t", "s/#", "-C", "6", "-v", "-c", "-i", "{id}"], "s/#"),
        (&["-L", url, "-C", "6", "-v"], "s/#"),
        (&["-t", "s/a", "-L", url, "-C", "6", "-v"], "s/#"),
        // The last of an option given twice wins.
        (&["-t", "s/#", "-C", "1", "-C", "6", "-v", "-v", "-F", "%p", "-F", "%t"], "s/#"),
        (&["--quiet", "--nodelay", "-t", "s/#", "-C", "6", "-v", "--pretty"], "s/#"),
    ];
    for (i, (args, filter)) in cases.iter().enumerate() {
        let what = format!("mosquitto_sub {args:?}");
        let runs = sub_both(&links, &broker, i, args, filter, &sub_live());
        assert_same(&what, &runs[0], &runs[1]);
        let mosq = &runs[0].0;
        assert!(
            !mosq.stdout.is_empty() || args.contains(&"-E"),
            "{what}: mosquitto_sub printed nothing: {mosq:?}"
        );
        assert!(
            matches!(mosq.code, Some(0 | 27)),
            "{what}: mosquitto_sub failed: {mosq:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Sequences: persistent sessions (-c -i -x -E -U -q) and --remove-retained
// ---------------------------------------------------------------------------

/// Runs one tool on one side to its end.
fn run_one(links: &Links, side: Side, tool: Tool, port: u16, args: &[String], stdin: &[u8]) -> Ran {
    Running::start(
        links.command(side, tool).args(broker_args(port)).args(args),
        stdin,
    )
    .finish(&format!("{side:?} {} {args:?}", tool.name()))
}

fn strings(args: &[&str], id: &str) -> Vec<String> {
    args.iter().map(|a| a.replace("{id}", id)).collect()
}

#[test]
fn mosquitto_sub_persistent_sessions_queue_and_unsubscribe_as_mosquitto_sub_does() {
    let broker = Broker::logging();
    let links = Links::new();
    for version in [&["-V", "311"][..], &["-V", "5", "-x", "60"]] {
        let mut printed = Vec::new();
        for side in SIDES {
            let id = format!("{}-persist-{}", side_tag(side), free_port());
            let run = |args: &[&str]| {
                let args = [strings(args, &id), strings(version, &id)].concat();
                run_one(&links, side, Tool::Sub, broker.port, &args, b"")
            };
            // Create the session (-E: exit once subscribed), go away, let a
            // message be queued, come back for it.
            let created = run(&["-c", "-i", "{id}", "-q", "1", "-t", "ps/#", "-E"]);
            assert_eq!(created.code, Some(0), "{side:?}: {created:?}");
            publish(broker.port, &[Pub::new("ps/a", "queued").qos(1)]);
            let queued = run(&["-c", "-i", "{id}", "-q", "1", "-t", "ps/#", "-C", "1", "-v"]);
            // Unsubscribe from the session (sub 2.0 needs a -t as well).
            let dropped = run(&["-c", "-i", "{id}", "-t", "other/x", "-U", "ps/#", "-E"]);
            assert_eq!(dropped.code, Some(0), "{side:?}: {dropped:?}");
            publish(broker.port, &[Pub::new("ps/b", "not for us").qos(1)]);
            let after = run(&[
                "-c", "-i", "{id}", "-q", "1", "-t", "other/x", "-W", "1", "-v",
            ]);
            printed.push((queued.code, queued.text(), after.code, after.text()));
        }
        assert_eq!(
            printed[0],
            (Some(0), "ps/a queued\n".into(), Some(27), String::new()),
            "mosquitto_sub {version:?}"
        );
        assert_eq!(
            printed[1], printed[0],
            "{version:?} (left mqrr, right mosquitto_sub)"
        );
    }
}

#[test]
fn mosquitto_sub_remove_retained_clears_what_it_prints() {
    let broker = Broker::logging();
    let links = Links::new();
    let mut recorder = Recorder::start(broker.port, "rm");
    let kept = [
        Pub::new("rm/a", "one").retained(),
        Pub::new("rm/b", "two").qos(1).retained(),
        Pub::new("rm/keep", "protected by -T").retained(),
    ];
    let mut results = Vec::new();
    for side in SIDES {
        publish(broker.port, &kept);
        recorder.take();
        // mosquitto_sub --remove-retained with -C never ends (its clearing
        // publishes keep it from disconnecting): -W ends both. The clearing
        // publishes come back as live empty messages; -F prints them alike.
        let args: Vec<String> = [
            "-t",
            "rm/#",
            "-T",
            "rm/keep",
            "--remove-retained",
            "-F",
            "%t:%p:%r",
            "-W",
            "2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let ran = run_one(&links, side, Tool::Sub, broker.port, &args, b"");
        // What is retained now: a fresh subscription gets it.
        let mut fresh = Recorder::start(broker.port, "rm");
        let left: Vec<String> = fresh
            .take()
            .iter()
            .map(|r| format!("{} {}", r.topic, String::from_utf8_lossy(&r.payload)))
            .collect();
        results.push((ran.code, ran.text(), left));
    }
    assert_eq!(
        results[0],
        (
            Some(27),
            "rm/a:one:1\nrm/b:two:1\nrm/a::0\nrm/b::0\n".into(),
            vec!["rm/keep protected by -T".to_string()]
        ),
        "mosquitto_sub"
    );
    assert_eq!(results[1], results[0], "left mqrr, right mosquitto_sub");
}

// ---------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------

#[test]
fn credentials_from_u_p_pw_and_the_url_log_in_as_with_mosquitto() {
    let broker = Broker::with_passwords(&[("bob", "s3cret"), ("al", "p%40ss")]);
    let _responder =
        Responder::start_as(broker.port, "rq/#", true, Some(("bob", "s3cret")), |req| {
            let topic = req
                .msg
                .properties()
                .get_string(mqtt::PropertyCode::ResponseTopic)
                .unwrap_or_else(|| req.topic.replacen("rq/", "rs/", 1));
            vec![Reply::to(&topic, describe(req))]
        });
    let links = Links::new();
    let url = format!("mqtt://al:p%40ss@127.0.0.1:{}/rq/url", broker.port);
    let cases: Vec<(Tool, Vec<&str>)> = vec![
        (
            Tool::Rr,
            vec![
                "-u", "bob", "-P", "s3cret", "-t", "rq/a", "-e", "rs/a", "-m", "x",
            ],
        ),
        (
            Tool::Rr,
            vec![
                "--username",
                "bob",
                "--pw",
                "s3cret",
                "-t",
                "rq/a",
                "-e",
                "rs/a",
                "-m",
                "x",
                "-V",
                "311",
            ],
        ),
        // mosquitto takes the URL's password literally: al's password is
        // the 6 characters p%40ss.
        (Tool::Rr, vec!["-L", &url, "-e", "rs/url", "-m", "x"]),
        (
            Tool::Pub,
            vec![
                "-u", "bob", "-P", "s3cret", "-t", "pb/a", "-m", "x", "-q", "1",
            ],
        ),
        (
            Tool::Sub,
            vec!["-u", "bob", "--pw", "s3cret", "-t", "rs/none", "-E"],
        ),
    ];
    for (tool, args) in &cases {
        let what = format!("{} {args:?}", tool.name());
        let runs: Vec<Ran> = SIDES
            .iter()
            .map(|&side| {
                let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
                run_one(&links, side, *tool, broker.port, &args, b"")
            })
            .collect();
        assert_eq!(runs[0].code, Some(0), "{what}: mosquitto: {:?}", runs[0]);
        assert_eq!(runs[1].code, Some(0), "{what}: mqrr: {:?}", runs[1]);
        assert_eq!(runs[1].stdout, runs[0].stdout, "{what}");
    }
    // A wrong password: mosquitto exits with the CONNACK code (MQTT 5 0x87
    // = 135 for rr, 3.1.1's 5 for pub); mqrr exits 4, refused (spec §3).
    for (tool, args, mosquitto_code) in [
        (
            Tool::Rr,
            vec![
                "-u", "bob", "-P", "wrong", "-t", "rq/a", "-e", "rs/a", "-m", "x",
            ],
            135,
        ),
        (
            Tool::Pub,
            vec!["-u", "bob", "-P", "wrong", "-t", "pb/a", "-m", "x"],
            5,
        ),
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mosq = run_one(&links, Side::Mosquitto, tool, broker.port, &args, b"");
        let mqrr = run_one(&links, Side::Mqrr, tool, broker.port, &args, b"");
        assert_eq!(mosq.code, Some(mosquitto_code), "{mosq:?}");
        assert_eq!(mqrr.code, Some(4), "{mqrr:?}");
        assert!(
            mqrr.stderr.starts_with(&format!("{}: ", tool.name())),
            "{mqrr:?}"
        );
        assert_eq!(mqrr.stderr.lines().count(), 1, "{mqrr:?}");
    }
}

// ---------------------------------------------------------------------------
// Where mqrr differs on purpose (spec §11, the README's differences table):
// each test pins both sides.
// ---------------------------------------------------------------------------

/// Reply payloads, each with the Correlation Data to send (`None`: the
/// request's).
type Replies = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Answers requests on `ROOT/…` on their Response Topic (else on
/// `REPLYROOT/…`) with what `replies` makes of the request.
fn responder_on(
    port: u16,
    root: &'static str,
    reply_root: &'static str,
    replies: fn(&Request) -> Replies,
) -> Responder {
    Responder::start(port, &format!("{root}/#"), true, move |req| {
        let topic = req
            .msg
            .properties()
            .get_string(mqtt::PropertyCode::ResponseTopic)
            .unwrap_or_else(|| req.topic.replacen(root, reply_root, 1));
        replies(req)
            .into_iter()
            .map(|(payload, correlation)| {
                let mut r = Reply::to(&topic, payload);
                r.correlation = correlation;
                r
            })
            .collect()
    })
}

#[test]
fn mosquitto_rr_keeps_mqrr_s_fixes() {
    let broker = Broker::logging();
    let links = Links::new();
    let _plain = rr_responder(broker.port);
    // Someone else's reply (another Correlation Data) comes first.
    let _crowded = responder_on(broker.port, "rqo", "rso", |req| {
        vec![
            (b"someone else's".to_vec(), Some(b"not-yours".to_vec())),
            (describe(req).into_bytes(), None),
        ]
    });
    let _empty = responder_on(broker.port, "rqe", "rse", |_| vec![(Vec::new(), None)]);
    let _own = Responder::start(broker.port, "own/x", true, |req| {
        if req.payload == b"answer" {
            return Vec::new();
        }
        vec![Reply::to("own/x", "answer")]
    });
    let file = temp_file(b"from a file");
    let file = file.path().to_str().unwrap();
    // (args, stdin, mosquitto's (exit, stdout), mqrr's, the difference)
    type Pinned<'a> = (
        &'a [&'a str],
        &'a [u8],
        (i32, &'a str),
        (i32, &'a str),
        &'a str,
    );
    let pinned: &[Pinned] = &[
        (
            &["-t", "rqo/c", "-e", "rso/c", "-m", "mine"],
            b"",
            (0, "someone else's\n"),
            (0, "req=mine;q=0\n"),
            "correlation: mosquitto_rr takes any message on -e; mqrr sends \
             Correlation Data and drops someone else's",
        ),
        (
            &["-t", "own/x", "-e", "own/x", "-m", "myrequest"],
            b"",
            (0, "myrequest\n"),
            (0, "answer\n"),
            "own request: mosquitto_rr prints its own request when -e matches -t; \
             mqrr subscribes with No Local",
        ),
        (
            &["-t", "own/x", "-e", "own/x", "-m", "myrequest", "-V", "311"],
            b"",
            (0, "myrequest\n"),
            (0, "answer\n"),
            "own request on MQTT 3.1.1: mqrr drops the echo of what it published",
        ),
        (
            &["-t", "rq/f", "-e", "rs/f", "-f", file],
            b"",
            (0, "req=;q=0\n"),
            (0, "req=from a file;q=0\n"),
            "-f: mosquitto_rr 2.0 sends an empty payload; mqrr sends the file",
        ),
        (
            &["-t", "rq/s", "-e", "rs/s", "-s"],
            b"from stdin\x00\xff",
            (0, "req=;q=0\n"),
            (0, "req=from stdin\0\u{fffd};q=0\n"),
            "-s: mosquitto_rr 2.0 sends an empty payload; mqrr sends stdin",
        ),
        (
            &["-t", "rqe/x", "-e", "rse/x", "-m", "x"],
            b"",
            (0, ""),
            (0, "\n"),
            "empty response: mosquitto prints nothing; mqrr an empty line",
        ),
        (
            &["-t", "rqe/x", "-e", "rse/x", "-m", "x", "-v"],
            b"",
            (0, "rse/x (null)\n"),
            (0, "rse/x \n"),
            "empty response with -v: mosquitto prints (null); mqrr nothing",
        ),
        (
            &["-t", "rq/w", "-e", "rs/+", "-m", "x"],
            b"",
            (1, ""),
            (0, "req=x;q=0\n"),
            "a wildcard response filter: mosquitto_rr refuses it; mqrr takes it \
             (and sends no Response Topic)",
        ),
    ];
    for (i, (args, stdin, (mosq_code, mosq_out), (mqrr_code, mqrr_out), why)) in
        pinned.iter().enumerate()
    {
        let runs = rr_both(&links, &broker, i, args, stdin);
        let (mosq, mqrr) = (&runs[0].0, &runs[1].0);
        assert_eq!(
            (mosq.code, mosq.text()),
            (Some(*mosq_code), mosq_out.to_string()),
            "mosquitto_rr {args:?} ({why}): {mosq:?}"
        );
        assert_eq!(
            (mqrr.code, mqrr.text()),
            (Some(*mqrr_code), mqrr_out.to_string()),
            "mqrr as mosquitto_rr {args:?} ({why}): {mqrr:?}"
        );
    }

    // A stale retained message on -e: mosquitto_rr prints it as the
    // answer; mqrr ignores retained messages.
    publish(broker.port, &[Pub::new("rs/stale", "stale").retained()]);
    let runs = rr_both(
        &links,
        &broker,
        90,
        &["-t", "rq/stale", "-e", "rs/stale", "-m", "fresh"],
        b"",
    );
    assert_eq!(runs[0].0.text(), "stale\n", "mosquitto_rr: {:?}", runs[0].0);
    assert_eq!(runs[1].0.text(), "req=fresh;q=0\n", "mqrr: {:?}", runs[1].0);

    // A clean DISCONNECT: mosquitto_rr just closes the connection after the
    // answer, so the broker publishes its Will; mqrr never fires it.
    let mut wills = Recorder::start(broker.port, "will");
    let from = log_len(&broker);
    let runs = rr_both(
        &links,
        &broker,
        91,
        &[
            "-t",
            "rq/a",
            "-e",
            "rs/a",
            "-m",
            "x",
            "-i",
            "{id}",
            "--will-topic",
            "will/rr",
            "--will-payload",
            "{id}",
        ],
        b"",
    );
    let (mosq_id, mqrr_id) = (&runs[0].1[0].0, &runs[1].1[0].0);
    let fired: Vec<String> = wills
        .take()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.payload).into_owned())
        .collect();
    assert_eq!(fired, std::slice::from_ref(mosq_id), "the Wills published");
    let log = broker.log();
    let log = log.get(from..).unwrap_or_default();
    assert!(
        log.contains(&format!("Received DISCONNECT from {mqrr_id}")),
        "{log}"
    );
    assert!(
        !log.contains(&format!("Received DISCONNECT from {mosq_id}")),
        "{log}"
    );

    // -d: mosquitto's debug lines go to stdout, among the data; mqrr's to
    // stderr, so stdout carries the answer only.
    let runs = rr_both(
        &links,
        &broker,
        92,
        &["-t", "rq/a", "-e", "rs/a", "-m", "x", "-d"],
        b"",
    );
    assert!(
        runs[0].0.text().contains("sending CONNECT"),
        "{:?}",
        runs[0].0
    );
    assert_eq!(runs[1].0.text(), "req=x;q=0\n", "{:?}", runs[1].0);
    assert!(runs[1].0.stderr.contains("CONNACK"), "{:?}", runs[1].0);

    // -W: both exit 27; mqrr's diagnostic is one line naming the tool.
    let runs = rr_both(
        &links,
        &broker,
        93,
        &["-t", "nobody/a", "-e", "nobody/b", "-m", "x", "-W", "1"],
        b"",
    );
    assert_eq!(runs[0].0.stderr, "Timed out\n");
    assert_eq!(runs[1].0.code, Some(27));
    assert!(
        runs[1].0.stderr.starts_with("mosquitto_rr: "),
        "{:?}",
        runs[1].0
    );
    assert_eq!(runs[1].0.stderr.lines().count(), 1, "{:?}", runs[1].0);
}

/// mosquitto 2.0's dynamic security plugin: anonymous clients may
/// subscribe to `ok/#` only, and not publish on `ok/denied/#`.
fn broker_with_acl() -> Broker {
    let dynsec = br#"{
  "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true,
                       "subscribe": false, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "r"}]}],
  "roles": [{"rolename": "r", "acls": [
    {"acltype": "subscribePattern", "topic": "ok/#", "priority": 0, "allow": true},
    {"acltype": "publishClientSend", "topic": "ok/denied/#", "priority": 0, "allow": false}
  ]}],
  "anonymousGroup": "anonymous"
}"#;
    Broker::with_dynsec(dynsec)
}

#[test]
fn refusals_exit_4_where_mosquitto_exits_0() {
    let broker = broker_with_acl();
    let links = Links::new();
    let cases: &[(Tool, &[&str], &str)] = &[
        (
            Tool::Rr,
            &["-t", "ok/req", "-e", "denied/resp", "-m", "x", "-W", "5"],
            "denied/resp",
        ),
        (
            Tool::Sub,
            &["-t", "denied/x", "-C", "1", "-W", "5"],
            "denied/x",
        ),
        (Tool::Sub, &["-t", "denied/x", "-E", "-V", "5"], "denied/x"),
        (
            Tool::Pub,
            &["-t", "ok/denied/x", "-m", "x", "-q", "1", "-V", "5"],
            "ok/denied/x",
        ),
    ];
    for (tool, args, named) in cases {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mosq = run_one(&links, Side::Mosquitto, *tool, broker.port, &args, b"");
        let mqrr = run_one(&links, Side::Mqrr, *tool, broker.port, &args, b"");
        assert_eq!(mosq.code, Some(0), "{} {args:?}: {mosq:?}", tool.name());
        assert!(
            !mosq.stderr.is_empty(),
            "mosquitto says something: {mosq:?}"
        );
        assert_eq!(mqrr.code, Some(4), "{} {args:?}: {mqrr:?}", tool.name());
        assert!(
            mqrr.stderr.starts_with(&format!("{}: ", tool.name())),
            "{mqrr:?}"
        );
        assert!(mqrr.stderr.contains(named), "{mqrr:?}");
        assert_eq!(mqrr.stderr.lines().count(), 1, "{mqrr:?}");
        assert!(mqrr.stdout.is_empty(), "{mqrr:?}");
    }
}

#[test]
fn mosquitto_sub_and_pub_differences_are_pinned() {
    let broker = Broker::logging();
    let links = Links::new();
    publish(broker.port, &sub_retained());

    // An empty payload: mosquitto_sub prints nothing (and "(null)" with
    // -v); mqrr prints an empty line (and "TOPIC "), so a reading loop
    // sees every message.
    let empty = [Pub::new("z/a", ""), Pub::new("z/b", "after")];
    for (args, mosq_out, mqrr_out) in [
        (&["-t", "z/#", "-C", "2"][..], "after\n", "\nafter\n"),
        (
            &["-t", "z/#", "-C", "2", "-v"],
            "z/a (null)\nz/b after\n",
            "z/a \nz/b after\n",
        ),
        (&["-t", "z/#", "-C", "2", "-N"], "after", "after"),
    ] {
        let runs = sub_both(&links, &broker, 0, args, "z/#", &empty);
        assert_eq!(
            (runs[0].0.code, runs[0].0.text().as_str()),
            (Some(0), mosq_out),
            "{args:?}"
        );
        assert_eq!(
            (runs[1].0.code, runs[1].0.text().as_str()),
            (Some(0), mqrr_out),
            "{args:?}"
        );
    }

    // --random-filter P: mqrr prints P % of the messages; mosquitto_sub
    // 2.0.11 prints P/10 % (it scales the chance by ten); 1000 prints all
    // in both.
    let many: Vec<Pub> = (0..40).map(|i| Pub::new("rf/x", format!("{i}"))).collect();
    let runs = sub_both(
        &links,
        &broker,
        1,
        &["-t", "rf/#", "-C", "40", "--random-filter", "100"],
        "rf/#",
        &many,
    );
    assert_eq!(
        runs[1].0.text().lines().count(),
        40,
        "mqrr: {:?}",
        runs[1].0
    );
    assert!(
        runs[0].0.text().lines().count() < 40,
        "mosquitto_sub: {:?}",
        runs[0].0
    );
    let runs = sub_both(
        &links,
        &broker,
        2,
        &["-t", "rf/#", "-C", "40", "--random-filter", "1000"],
        "rf/#",
        &many,
    );
    assert_same("--random-filter 1000", &runs[0], &runs[1]);
    assert_eq!(runs[1].0.text().lines().count(), 40);

    // --retained-only and no live message: mosquitto_sub waits for one
    // (here until -W: 27); mqrr ends once nothing retained came for 100 ms.
    let args: Vec<String> = ["-t", "s/#", "--retained-only", "-v", "-W", "3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mosq = run_one(&links, Side::Mosquitto, Tool::Sub, broker.port, &args, b"");
    let mqrr = run_one(&links, Side::Mqrr, Tool::Sub, broker.port, &args, b"");
    assert_eq!(
        (mosq.code, mosq.text()),
        (Some(27), "s/r1 kept one\ns/r2 kept two\n".into())
    );
    assert_eq!(
        (mqrr.code, mqrr.text()),
        (Some(0), "s/r1 kept one\ns/r2 kept two\n".into())
    );

    // mosquitto 2.1's forms, which 2.0.11 refuses: -U alone, -F's hex groups.
    for args in [
        &["-U", "s/#", "-E"][..],
        &["-t", "s/r1", "-C", "1", "-F", "%.2:x"],
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mosq = run_one(&links, Side::Mosquitto, Tool::Sub, broker.port, &args, b"");
        let mqrr = run_one(&links, Side::Mqrr, Tool::Sub, broker.port, &args, b"");
        assert_eq!(mosq.code, Some(1), "{args:?}: {mosq:?}");
        assert_eq!(mqrr.code, Some(0), "{args:?}: {mqrr:?}");
    }
    let args: Vec<String> = ["-t", "s/r1", "-C", "1", "-F", "%.2:x"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mqrr = run_one(&links, Side::Mqrr, Tool::Sub, broker.port, &args, b"");
    assert_eq!(mqrr.text(), "6b:65:70:74:20:6f:6e:65\n");

    // pub: an empty topic is mosquitto_pub's runtime error with exit 0;
    // mqrr refuses it before connecting, exit 1.
    let args: Vec<String> = ["-t", "", "-m", "x"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mosq = run_one(&links, Side::Mosquitto, Tool::Pub, broker.port, &args, b"");
    let mqrr = run_one(&links, Side::Mqrr, Tool::Pub, broker.port, &args, b"");
    assert_eq!(mosq.code, Some(0), "{mosq:?}");
    assert!(mosq.stderr.contains("Invalid input"), "{mosq:?}");
    assert_eq!(mqrr.code, Some(1), "{mqrr:?}");
    assert!(mqrr.stderr.starts_with("Error: -t"), "{mqrr:?}");

    // pub -d: mosquitto's debug lines on stdout, mqrr's on stderr.
    let args: Vec<String> = ["-t", "pb/d", "-m", "x", "-d"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mosq = run_one(&links, Side::Mosquitto, Tool::Pub, broker.port, &args, b"");
    let mqrr = run_one(&links, Side::Mqrr, Tool::Pub, broker.port, &args, b"");
    assert!(mosq.text().contains("sending PUBLISH"), "{mosq:?}");
    assert_eq!(
        (mqrr.code, mqrr.text()),
        (Some(0), String::new()),
        "{mqrr:?}"
    );
    assert!(mqrr.stderr.contains("debug"), "{mqrr:?}");

    // Nobody listening: mosquitto exits 1, mqrr 3 (could not connect),
    // with one line naming the address.
    let closed = free_port();
    for tool in [Tool::Pub, Tool::Sub, Tool::Rr] {
        let args: Vec<String> = ["-t", "c/x", "-e", "c/y", "-m", "x"]
            .iter()
            .map(|s| s.to_string())
            .filter(|a| tool == Tool::Rr || !["-e", "c/y"].contains(&a.as_str()))
            .filter(|a| tool != Tool::Sub || !["-m", "x"].contains(&a.as_str()))
            .collect();
        let mosq = run_one(&links, Side::Mosquitto, tool, closed, &args, b"");
        let mqrr = run_one(&links, Side::Mqrr, tool, closed, &args, b"");
        assert_eq!(mosq.code, Some(1), "{} {args:?}: {mosq:?}", tool.name());
        assert_eq!(mqrr.code, Some(3), "{} {args:?}: {mqrr:?}", tool.name());
        assert!(
            mqrr.stderr.starts_with(&format!("{}: ", tool.name())),
            "{mqrr:?}"
        );
        assert!(
            mqrr.stderr.contains(&format!("127.0.0.1:{closed}")),
            "{mqrr:?}"
        );
    }
}

#[test]
fn bind_address_and_socks_proxy_are_not_supported_under_the_mosquitto_names() {
    // mosquitto's clients bind to -A's address and go through a SOCKS5
    // proxy; Paho C can do neither, so mqrr says so (exit 1, one line, as
    // a usage error of the tool) and connects nowhere. mosquitto_pub's
    // side, for the record: -A works.
    let broker = Broker::logging();
    let links = Links::new();
    let mut recorder = Recorder::start(broker.port, "na");
    let args: Vec<String> = ["-A", "127.0.0.1", "-t", "na/a", "-m", "bound"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mosq = run_one(&links, Side::Mosquitto, Tool::Pub, broker.port, &args, b"");
    assert_eq!(mosq.code, Some(0), "{mosq:?}");
    let sent: Vec<Vec<u8>> = recorder.take().into_iter().map(|r| r.payload).collect();
    assert_eq!(sent, [b"bound".to_vec()]);
    for (option, value) in [("-A", "127.0.0.1"), ("--proxy", "socks5h://x")] {
        for tool in [Tool::Pub, Tool::Sub, Tool::Rr] {
            let mut args = vec![option, value, "-t", "na/b"];
            if tool != Tool::Sub {
                args.extend(["-m", "never"]);
            }
            if tool == Tool::Rr {
                args.extend(["-e", "na/c"]);
            }
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            let from = log_len(&broker);
            let mqrr = run_one(&links, Side::Mqrr, tool, broker.port, &args, b"");
            let what = format!("{} {args:?}", tool.name());
            assert_eq!(mqrr.code, Some(1), "{what}: {mqrr:?}");
            assert!(mqrr.stdout.is_empty(), "{what}: {mqrr:?}");
            assert_eq!(mqrr.stderr.lines().count(), 1, "{what}: {mqrr:?}");
            assert!(
                mqrr.stderr
                    .starts_with(&format!("Error: {option} is not supported")),
                "{what}: {mqrr:?}"
            );
            assert_eq!(connects(&broker, from), Connects::new(), "{what}");
        }
    }
    assert_eq!(recorder.take(), Vec::<Rec>::new(), "published nothing");
}

// ---------------------------------------------------------------------------
// Options files
// ---------------------------------------------------------------------------

#[test]
fn options_files_are_read_from_xdg_config_home_else_home_and_the_command_line_wins() {
    let broker = Broker::logging();
    let _responder = rr_responder(broker.port);
    let mut recorder = Recorder::start(broker.port, "of");
    publish(broker.port, &[Pub::new("of/r1", "kept").retained()]);
    recorder.take();
    let links = Links::new();
    let xdg = links.home.path().join("xdg");
    let dot_config = links.home.path().join(".config");
    std::fs::create_dir_all(&dot_config).unwrap();
    let port = broker.port;

    struct Setup {
        what: &'static str,
        tool: Tool,
        /// (file name under XDG_CONFIG_HOME or under ~/.config, content)
        xdg: Option<String>,
        home: Option<String>,
        /// XDG_CONFIG_HOME left unset.
        no_xdg: bool,
        args: Vec<String>,
        stdin: &'static [u8],
    }
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let setups = vec![
        Setup {
            what: "rr: the address and QoS from the file, comments, blank lines",
            tool: Tool::Rr,
            xdg: Some(format!("# the broker\n-h 127.0.0.1\n\n-p {port}\n-q 1\n")),
            home: None,
            no_xdg: false,
            args: s(&["-t", "rq/a", "-e", "rs/a", "-m", "hi", "-F", "%q %p"]),
            stdin: b"",
        },
        Setup {
            what: "pub: ~/.config when XDG_CONFIG_HOME is unset; CRLF; the value is the rest of the line, spaces kept",
            tool: Tool::Pub,
            xdg: None,
            home: Some(format!(
                "-h 127.0.0.1\r\n-p {port}\r\n-m  two  spaces \r\n--retain\r\n"
            )),
            no_xdg: true,
            args: s(&["-t", "of/home"]),
            stdin: b"",
        },
        Setup {
            what: "pub: XDG_CONFIG_HOME set, no file there: ~/.config is not read",
            tool: Tool::Pub,
            xdg: None,
            home: Some("--bogus\n".into()),
            no_xdg: false,
            args: s(&[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-t",
                "of/xdg",
                "-m",
                "x",
            ]),
            stdin: b"",
        },
        Setup {
            what: "pub: the command line wins over the file",
            tool: Tool::Pub,
            xdg: Some("-h 127.0.0.1\n-p 1\n-t of/file\n-q 2\n".into()),
            home: None,
            no_xdg: false,
            args: s(&[
                "-p",
                &port.to_string(),
                "-t",
                "of/cli",
                "-m",
                "x",
                "-q",
                "1",
            ]),
            stdin: b"",
        },
        Setup {
            what: "sub: topics of the file and the command line add up",
            tool: Tool::Sub,
            xdg: Some(format!("-h 127.0.0.1\n-p {port}\n-t of/r1\n-v\n")),
            home: None,
            no_xdg: false,
            args: s(&["-t", "rs/none", "-C", "1"]),
            stdin: b"",
        },
    ];
    for setup in &setups {
        let mut results = Vec::new();
        for side in SIDES {
            let _ = std::fs::remove_file(xdg.join(setup.tool.name()));
            let _ = std::fs::remove_file(dot_config.join(setup.tool.name()));
            if let Some(text) = &setup.xdg {
                std::fs::write(xdg.join(setup.tool.name()), text).unwrap();
            }
            if let Some(text) = &setup.home {
                std::fs::write(dot_config.join(setup.tool.name()), text).unwrap();
            }
            let mut cmd = links.command(side, setup.tool);
            if setup.no_xdg {
                cmd.env_remove("XDG_CONFIG_HOME");
            }
            let ran = Running::start(cmd.args(&setup.args), setup.stdin).finish(setup.what);
            results.push((ran.code, ran.text(), recorder.take()));
        }
        assert_eq!(
            results[0].0,
            Some(0),
            "{}: mosquitto: {:?}",
            setup.what,
            results[0]
        );
        assert_eq!(
            results[1], results[0],
            "{} (left mqrr, right mosquitto)",
            setup.what
        );
        assert!(
            !results[0].1.is_empty() || !results[0].2.is_empty(),
            "{}: nothing happened",
            setup.what
        );
    }
    // A bad line: mosquitto's usage error (exit 1) for both, without
    // connecting.
    std::fs::write(xdg.join("mosquitto_pub"), format!("-p {port}\n-q 5\n")).unwrap();
    for side in SIDES {
        let ran = Running::start(
            links
                .command(side, Tool::Pub)
                .args(["-h", "127.0.0.1", "-t", "of/bad", "-m", "x"]),
            b"",
        )
        .finish("bad line");
        assert_eq!(ran.code, Some(1), "{side:?}: {ran:?}");
        assert!(ran.stderr.starts_with("Error: "), "{side:?}: {ran:?}");
    }
    assert!(recorder.take().is_empty());

    // 2.1's -o FILE (2.0.11 has no -o): mqrr reads FILE and not the
    // default file; mosquitto 2.0.11 reads the same text as its default.
    let named = links.home.path().join("named.conf");
    std::fs::write(&named, format!("-h 127.0.0.1\n-p {port}\n-t of/named\n")).unwrap();
    std::fs::write(xdg.join("mosquitto_pub"), "--bogus\n").unwrap();
    let mqrr = Running::start(
        links
            .command(Side::Mqrr, Tool::Pub)
            .args(["-o", named.to_str().unwrap(), "-m", "via -o"]),
        b"",
    )
    .finish("mqrr -o");
    let by_o = recorder.take();
    std::fs::copy(&named, xdg.join("mosquitto_pub")).unwrap();
    let mosq = Running::start(
        links
            .command(Side::Mosquitto, Tool::Pub)
            .args(["-m", "via -o"]),
        b"",
    )
    .finish("mosquitto default file");
    let by_default = recorder.take();
    assert_eq!(
        (mqrr.code, mosq.code),
        (Some(0), Some(0)),
        "{mqrr:?} {mosq:?}"
    );
    assert_eq!(by_o, by_default);
    assert_eq!(by_o.len(), 1);
    let mosq = Running::start(
        links
            .command(Side::Mosquitto, Tool::Pub)
            .args(["-o", named.to_str().unwrap(), "-m", "x"]),
        b"",
    )
    .finish("mosquitto -o");
    assert_eq!(mosq.code, Some(1), "mosquitto 2.0.11 has no -o: {mosq:?}");
}

// ---------------------------------------------------------------------------
// Usage errors, --help, --version
// ---------------------------------------------------------------------------

#[test]
fn bad_command_lines_exit_1_naming_the_option_on_both() {
    let links = Links::new();
    // Nobody listens here: a case that got past the parser would fail
    // differently (mqrr exit 3).
    let closed = free_port();
    #[rustfmt::skip]
    let cases: &[(Tool, &[&str], &str, &str)] = &[
        // (tool, args, in mosquitto's stderr, in mqrr's one line)
        (Tool::Pub, &["-t", "a", "-m", "x", "--bogus"], "'--bogus'", "'--bogus'"),
        (Tool::Sub, &["-t", "a", "--bogus"], "'--bogus'", "'--bogus'"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "--bogus"], "'--bogus'", "'--bogus'"),
        (Tool::Pub, &["-t", "a", "-m", "x", "extra"], "'extra'", "'extra'"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--"], "'--'", "'--'"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-rq", "1"], "'-rq'", "'-rq'"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--password", "p"], "'--password'", "'--password'"),
        // An option of another tool.
        (Tool::Pub, &["-t", "a", "-m", "x", "-W", "3"], "'-W'", "'-W'"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-e", "r"], "'-e'", "'-e'"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-C", "1"], "'-C'", "'-C'"),
        (Tool::Sub, &["-t", "a", "-m", "x"], "'-m'", "'-m'"),
        (Tool::Sub, &["-t", "a", "-r"], "'-r'", "'-r'"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-l"], "'-l'", "'-l'"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-r"], "'-r'", "'-r'"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-C", "2"], "'-C'", "'-C'"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-E"], "'-E'", "'-E'"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-T", "c"], "'-T'", "'-T'"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "--retained-only"], "'--retained-only'", "'--retained-only'"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "--repeat", "2"], "'--repeat'", "'--repeat'"),
        // A value missing at the end.
        (Tool::Pub, &["-m", "x", "-t"], "-t", "-t"),
        (Tool::Rr, &["-t", "a", "-m", "x", "-e"], "-e", "-e"),
        (Tool::Sub, &["-t", "a", "-F"], "-F", "-F"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-D", "publish", "user-property", "k"], "--property", "-D"),
        // Bad values.
        (Tool::Pub, &["-t", "a", "-m", "x", "-q", "3"], "QoS", "-q"),
        (Tool::Sub, &["-t", "a", "-q", "-1"], "QoS", "-q"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "--qos", "7"], "QoS", "-q"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-V", "4"], "protocol version", "protocol version"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-V", "3.1.1"], "protocol version", "protocol version"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-V", "MQTTV5"], "protocol version", "protocol version"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-k", "4"], "keepalive", "keepalive"),
        (Tool::Sub, &["-t", "a", "-k", "65536"], "keepalive", "keepalive"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-p", "70000"], "port", "-p"),
        (Tool::Sub, &["-t", "a", "-C", "0"], "message count", "message count"),
        (Tool::Sub, &["-t", "a", "-W", "0"], "timeout", "timeout"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-W", "abc"], "timeout", "timeout"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-V", "5", "-x", "abc"], "session-expiry", "-x"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-M", "0"], "inflight", "inflight"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--repeat", "0"], "--repeat", "--repeat"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--repeat-delay", "-1"], "--repeat-delay", "--repeat-delay"),
        (Tool::Sub, &["-t", "a", "--random-filter", "0"], "--random-filter", "--random-filter"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--will-topic", "w", "--will-qos", "3"], "will QoS", "--will-qos"),
        // Topics with wildcards where a topic is published on, bad filters.
        (Tool::Pub, &["-t", "a/#", "-m", "x"], "a/#", "a/#"),
        (Tool::Pub, &["-t", "a/+/b", "-m", "x"], "a/+/b", "a/+/b"),
        (Tool::Rr, &["-t", "a/+", "-e", "b", "-m", "x"], "a/+", "a/+"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--will-topic", "w/#"], "w/#", "w/#"),
        (Tool::Sub, &["-t", "a/#/b"], "a/#/b", "a/#/b"),
        (Tool::Sub, &["-t", "a", "-T", "a#"], "a#", "a#"),
        (Tool::Sub, &["-t", "a", "-U", "a#"], "a#", "a#"),
        // Options that do not go together, or are missing.
        (Tool::Pub, &["-t", "a", "-m", "x", "-i", "a", "-I", "b"], "-i and -I", "-i"),
        (Tool::Sub, &["-t", "a", "-I", "b", "-i", "a"], "-i and -I", "-I"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-n"], "Only one type of message", "Only one type of message"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-m", "y"], "Only one type of message", "Only one type of message"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-s"], "Only one type of message", "Only one type of message"),
        (Tool::Pub, &["-t", "a"], "Both topic and message", "Both topic and message"),
        (Tool::Pub, &["-m", "x"], "Both topic and message", "Both topic and message"),
        (Tool::Rr, &["-t", "a", "-e", "b"], "topic, message, and response topic", "topic, message, and response topic"),
        (Tool::Rr, &["-t", "a", "-m", "x"], "topic, message, and response topic", "topic, message, and response topic"),
        (Tool::Sub, &["-v"], "topic", "-t"),
        (Tool::Sub, &["-t", "a", "-R", "--retained-only"], "'-R' and '--retained-only'", "'-R'"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-c"], "-c", "-c"),
        (Tool::Sub, &["-t", "a", "-c", "-V", "5"], "client id", "-c"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--will-payload", "p"], "will topic", "--will-topic"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--will-retain"], "will topic", "--will-topic"),
        (Tool::Pub, &["-t", "a", "-m", "x", "--cert", "c.pem"], "keyfile", "--key"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-i", ""], "Invalid id", "-i"),
        // -D.
        (Tool::Pub, &["-t", "a", "-m", "x", "-D", "bogus", "content-type", "x"], "Invalid command", "bogus"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-D", "publish", "bogus-prop", "x"], "property name", "bogus-prop"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-D", "connect", "content-type", "x"], "not allowed for connect", "content-type"),
        (Tool::Pub, &["-t", "a", "-m", "x", "-D", "publish", "payload-format-indicator", "256"], "out of range", "payload-format-indicator"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-D", "publish", "response-topic", "c"], "Duplicate response topic", "Duplicate response topic"),
        // -F.
        (Tool::Sub, &["-t", "a", "-F", "%z"], "'z'", "%z"),
        (Tool::Sub, &["-t", "a", "-F", "%"], "Incomplete format specifier", "-F"),
        (Tool::Sub, &["-t", "a", "-F", "\\q"], "'q'", "\\q"),
        (Tool::Rr, &["-t", "a", "-e", "b", "-m", "x", "-F", "%z"], "'z'", "%z"),
        // -L.
        (Tool::Pub, &["-L", "mqtt://127.0.0.1", "-m", "x"], "topic missing", "topic missing"),
        (Tool::Pub, &["-L", "unix:///run/s/t", "-m", "x"], "URL scheme", "URL scheme"),
        // mosquitto prints its parse errors even with --quiet.
        (Tool::Pub, &["--quiet", "-t", "a", "-m", "x", "-q", "3"], "QoS", "-q"),
    ];
    for (tool, args, mosq_needle, mqrr_needle) in cases {
        let what = format!("{} {args:?}", tool.name());
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mosq = run_one(&links, Side::Mosquitto, *tool, closed, &args, b"");
        let mqrr = run_one(&links, Side::Mqrr, *tool, closed, &args, b"");
        assert_eq!(mosq.code, Some(1), "{what}: mosquitto: {mosq:?}");
        assert!(
            mosq.stderr.contains(mosq_needle),
            "{what}: mosquitto lacks {mosq_needle:?}: {mosq:?}"
        );
        assert_eq!(mqrr.code, Some(1), "{what}: mqrr: {mqrr:?}");
        assert!(mqrr.stdout.is_empty(), "{what}: {mqrr:?}");
        assert!(mqrr.stderr.starts_with("Error: "), "{what}: {mqrr:?}");
        assert_eq!(mqrr.stderr.lines().count(), 1, "{what}: one line: {mqrr:?}");
        assert!(
            mqrr.stderr.contains(mqrr_needle),
            "{what}: mqrr lacks {mqrr_needle:?}: {mqrr:?}"
        );
    }
}

#[test]
fn help_and_version_exit_1_on_stdout_as_mosquitto_s_do() {
    let links = Links::new();
    for tool in [Tool::Pub, Tool::Sub, Tool::Rr] {
        for (flag, starts) in [
            ("--help", tool.name().to_string()),
            ("--version", format!("{} version 2.0.11", tool.name())),
        ] {
            for side in SIDES {
                // Later errors are not seen: --help and --version end the parse.
                let ran = Running::start(
                    links.command(side, tool).args(["-q", "1", flag, "--bogus"]),
                    b"",
                )
                .finish(flag);
                assert_eq!(
                    ran.code,
                    Some(1),
                    "{side:?} {} {flag}: {ran:?}",
                    tool.name()
                );
                assert!(
                    ran.text().starts_with(&starts),
                    "{side:?} {} {flag}: {ran:?}",
                    tool.name()
                );
                assert_eq!(ran.stderr, "", "{side:?} {} {flag}", tool.name());
            }
        }
    }
    // mqrr's --help lists each option of the tool, and only those.
    let help =
        Running::start(links.command(Side::Mqrr, Tool::Rr).arg("--help"), b"").finish("help");
    for option in ["-e", "-f, --file", "-W", "-F", "--pw"] {
        assert!(help.text().contains(option), "{option}: {}", help.text());
    }
    assert!(!help.text().contains("--retained-only"), "{}", help.text());
}

// ---------------------------------------------------------------------------
// The address: mosquitto's defaults, not mqrr's environment; TLS on 8883
// ---------------------------------------------------------------------------

#[test]
fn mqrr_s_environment_does_not_redirect_a_mosquitto_command_line() {
    let broker = Broker::logging();
    let mut recorder = Recorder::start(broker.port, "env");
    let links = Links::new();
    // No -h: mosquitto's default host, localhost, whatever MQRR_HOST or
    // MQRR_URL say.
    let port = broker.port.to_string();
    for side in SIDES {
        let ran = Running::start(
            links
                .command(side, Tool::Pub)
                .env("MQRR_HOST", "nowhere.invalid")
                .env("MQRR_URL", "mqtt://nowhere.invalid:1")
                .args(["-p", &port, "-t", "env/x", "-m", side_tag(side)]),
            b"",
        )
        .finish("MQRR_HOST set");
        assert_eq!(ran.code, Some(0), "{side:?}: {ran:?}");
        let sent: Vec<Vec<u8>> = recorder.take().into_iter().map(|r| r.payload).collect();
        assert_eq!(sent, [side_tag(side).as_bytes().to_vec()], "{side:?}");
    }
}

#[test]
fn tls_options_connect_as_with_mosquitto_and_port_8883_speaks_tls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    test_ca(d);
    let tls = |port: u16| {
        format!(
            "listener {port} 127.0.0.1\ncafile {d}/ca.pem\ncertfile {d}/server.pem\n\
             keyfile {d}/server.key\n",
            d = d.display()
        )
    };
    // mosquitto turns TLS on for port 8883 (with the system's trust store
    // when no --cafile says whom to trust): that needs that very port, and
    // the test says so when another process holds it. The system store is
    // this test's CA, through OpenSSL's SSL_CERT_FILE (both use OpenSSL).
    let on_8883 = std::net::TcpListener::bind("127.0.0.1:8883").is_ok();
    if !on_8883 {
        eprintln!("port 8883 is in use: skipping the TLS-on-8883 cases");
    }
    let tls_port = free_port();
    let broker = Broker::with_config(&format!(
        "allow_anonymous true\nuser root\n{}{}",
        tls(tls_port),
        if on_8883 { tls(8883) } else { String::new() }
    ));
    assert!(
        listening(tls_port, Duration::from_secs(10)),
        "no TLS listener"
    );
    let mut recorder = Recorder::start(broker.port, "tls");
    let links = Links::new();
    let ca = d.join("ca.pem");
    let ca = ca.to_str().unwrap();
    let p = tls_port.to_string();
    // --capath: a directory of hashed names (`openssl rehash`), which both
    // need; the same certificate under its own name only is not found.
    let (hashed, unhashed) = (d.join("hashed"), d.join("unhashed"));
    for dir in [&hashed, &unhashed] {
        std::fs::create_dir(dir).unwrap();
        std::fs::copy(d.join("ca.pem"), dir.join("ca.pem")).unwrap();
    }
    let rehash = Command::new("openssl")
        .arg("rehash")
        .arg(&hashed)
        .status()
        .expect("openssl rehash");
    assert!(rehash.success(), "openssl rehash {hashed:?}");
    let (hashed, unhashed) = (hashed.to_str().unwrap(), unhashed.to_str().unwrap());
    #[rustfmt::skip]
    let mut cases: Vec<(Vec<&str>, bool)> = vec![
        (vec!["--cafile", ca, "-h", "localhost", "-p", &p, "-t", "tls/a", "-m", "x"], true),
        (vec!["--capath", hashed, "-h", "localhost", "-p", &p, "-t", "tls/h", "-m", "x"], true),
        (vec!["--capath", unhashed, "-h", "localhost", "-p", &p, "-t", "tls/i", "-m", "x"], false),
        // The system store, which SSL_CERT_FILE makes this test's CA.
        (vec!["--tls-use-os-certs", "-h", "localhost", "-p", &p, "-t", "tls/j", "-m", "x"], true),
        // mosquitto offers no ALPN: the protocol offered changes nothing
        // (that it is offered: tls_alpn_is_offered_in_the_handshake_…).
        (vec!["--cafile", ca, "--tls-alpn", "x-amzn-mqtt-ca", "-h", "localhost", "-p", &p, "-t", "tls/k", "-m", "x"], true),
        (vec!["--cafile", ca, "--tls-version", "tlsv1.2", "-h", "localhost", "-p", &p, "-t", "tls/b", "-m", "x"], true),
        // The certificate names localhost, not 127.0.0.1: both refuse,
        // unless --insecure.
        (vec!["--cafile", ca, "-h", "127.0.0.1", "-p", &p, "-t", "tls/c", "-m", "x"], false),
        (vec!["--cafile", ca, "--insecure", "-h", "127.0.0.1", "-p", &p, "-t", "tls/d", "-m", "x"], true),
        // A TLS port spoken to without TLS fails on both.
        (vec!["-h", "localhost", "-p", &p, "-t", "tls/e", "-m", "x"], false),
    ];
    if on_8883 {
        cases.push((
            vec!["-h", "localhost", "-p", "8883", "-t", "tls/f", "-m", "x"],
            true,
        ));
        cases.push((vec!["-L", "mqtt://localhost:8883/tls/g", "-m", "x"], true));
    }
    for (args, ok) in &cases {
        let mut sent = Vec::new();
        for side in SIDES {
            let ran = Running::start(
                links
                    .command(side, Tool::Pub)
                    .env("SSL_CERT_FILE", ca)
                    .args(args),
                b"",
            )
            .finish("TLS");
            if *ok {
                assert_eq!(ran.code, Some(0), "{side:?} {args:?}: {ran:?}");
            } else {
                // mosquitto: 8 (TLS) or 7 (lost); mqrr: 3, could not connect.
                assert_ne!(ran.code, Some(0), "{side:?} {args:?}: {ran:?}");
                if side == Side::Mqrr {
                    assert_eq!(ran.code, Some(3), "{args:?}: {ran:?}");
                }
            }
            sent.push(recorder.take());
        }
        assert_eq!(sent[0].len(), usize::from(*ok), "{args:?}: {sent:?}");
        assert_eq!(sent[1], sent[0], "{args:?} (left mqrr, right mosquitto)");
    }
}

#[test]
fn unix_sockets_by_unix_or_port_0_as_in_mosquitto() {
    let broker = Broker::with_config(
        "allow_anonymous true\nuser root\nlog_dest file {dir}/log\nlog_type all\nlistener 0 {dir}/mqtt.sock\n",
    );
    let sock = broker.path("mqtt.sock");
    assert!(
        wait_until(Duration::from_secs(10), || sock.exists()),
        "no {sock:?}"
    );
    let sock = sock.to_str().unwrap();
    let mut recorder = Recorder::start(broker.port, "ux");
    let links = Links::new();
    for args in [
        &["--unix", sock, "-t", "ux/a", "-m", "unix"][..],
        &["-h", sock, "-p", "0", "-t", "ux/b", "-m", "port 0"],
        &[
            "-h",
            "nowhere.invalid",
            "--unix",
            sock,
            "-t",
            "ux/c",
            "-m",
            "last wins",
        ],
    ] {
        let mut sent = Vec::new();
        for side in SIDES {
            let ran = Running::start(links.command(side, Tool::Pub).args(args), b"").finish("unix");
            assert_eq!(ran.code, Some(0), "{side:?} {args:?}: {ran:?}");
            sent.push(recorder.take());
        }
        assert_eq!(sent[0].len(), 1, "{args:?}: {sent:?}");
        assert_eq!(sent[1], sent[0], "{args:?} (left mqrr, right mosquitto)");
    }
}

/// `openssl s_server` on a free port with `dir`'s `localhost` certificate,
/// accepting one client and selecting the ALPN protocol `alpn` (a client
/// offering only others fails its handshake), its output collected as it
/// comes. Listening when it returns; killed on drop.
struct TlsServer {
    port: u16,
    child: Child,
    output: Arc<Mutex<String>>,
}

impl TlsServer {
    fn start(dir: &std::path::Path, alpn: &str) -> TlsServer {
        let port = free_port();
        let mut child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", &port.to_string(), "-naccept", "1", "-alpn", alpn])
            .arg("-cert")
            .arg(dir.join("server.pem"))
            .arg("-key")
            .arg(dir.join("server.key"))
            // Kept open: at end of input s_server ends the connection.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl s_server");
        let output = Arc::new(Mutex::new(String::new()));
        let pipes: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for mut pipe in pipes {
            let sink = output.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let server = TlsServer {
            port,
            child,
            output,
        };
        // s_server says ACCEPT once it listens (a probe would be its one
        // client).
        assert!(
            server.wait_for("ACCEPT"),
            "s_server did not listen: {}",
            server.text()
        );
        server
    }

    fn text(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    fn wait_for(&self, needle: &str) -> bool {
        wait_until(Duration::from_secs(10), || self.text().contains(needle))
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tls_alpn_is_offered_in_the_handshake_as_mosquitto_offers_it() {
    let dir = tempfile::tempdir().unwrap();
    test_ca(dir.path());
    let ca = dir.path().join("ca.pem");
    let links = Links::new();
    let offered = "ALPN protocols advertised by the client: x-amzn-mqtt-ca";
    for side in SIDES {
        // The server's protocol: the handshake completes (the client then
        // waits for a CONNACK that s_server will not send).
        let server = TlsServer::start(dir.path(), "x-amzn-mqtt-ca");
        let mut client = Running::start(
            links
                .command(side, Tool::Pub)
                .arg("--cafile")
                .arg(&ca)
                .args(["--tls-alpn", "x-amzn-mqtt-ca", "-h", "localhost", "-p"])
                .arg(server.port.to_string())
                .args(["-t", "alpn/a", "-m", "x"]),
            b"",
        );
        assert!(
            server.wait_for("ALPN protocols selected: x-amzn-mqtt-ca"),
            "{side:?}: {}",
            server.text()
        );
        assert!(
            server.text().contains(offered),
            "{side:?}: {}",
            server.text()
        );
        let _ = client.child.kill();
        let _ = client.finish("alpn: accepted, killed");

        // Another protocol: the server refuses the handshake, and both fail
        // (mosquitto_pub 1 or 8, "A TLS error occurred"; mqrr 3).
        let server = TlsServer::start(dir.path(), "mqtt");
        let ran = Running::start(
            links
                .command(side, Tool::Pub)
                .arg("--cafile")
                .arg(&ca)
                .args(["--tls-alpn", "x-amzn-mqtt-ca", "-h", "localhost", "-p"])
                .arg(server.port.to_string())
                .args(["-t", "alpn/b", "-m", "x"]),
            b"",
        )
        .finish("alpn: refused");
        match side {
            // 1 or 8: whether the handshake failed within mosquitto_connect
            // or in its loop is a matter of timing.
            Side::Mosquitto => assert!(
                matches!(ran.code, Some(1 | 8)) && ran.stderr.contains("A TLS error occurred"),
                "{ran:?}"
            ),
            Side::Mqrr => assert_eq!(ran.code, Some(3), "{ran:?}"),
        }
        assert!(server.wait_for(offered), "{side:?}: {}", server.text());
        assert!(
            server.text().contains("no application protocol"),
            "{side:?}: {}",
            server.text()
        );
    }
}

#[test]
fn tls_psk_connects_and_publishes_as_with_mosquitto() {
    // A PSK listener beside the plain one the recorder uses. OpenSSL does
    // PSK on TLS 1.3 as well: no cipher list is needed on either side.
    let psk_port = free_port();
    let broker = Broker::with_files(
        &[("psk", b"me:0123456789abcdef\n" as &[u8])],
        &format!(
            "allow_anonymous true\nuser root\nlistener {psk_port} 127.0.0.1\npsk_hint mqrr-test\npsk_file {{dir}}/psk\n\
             use_identity_as_username false\n"
        ),
    );
    assert!(
        listening(psk_port, Duration::from_secs(10)),
        "no PSK listener"
    );
    let mut recorder = Recorder::start(broker.port, "psk");
    let links = Links::new();
    let p = psk_port.to_string();
    for (key, ok) in [("0123456789abcdef", true), ("00112233", false)] {
        let mut sent = Vec::new();
        for side in SIDES {
            let args = [
                "-h",
                "127.0.0.1",
                "-p",
                &p,
                "--psk",
                key,
                "--psk-identity",
                "me",
                "-t",
                "psk/a",
                "-m",
                key,
            ];
            let ran = Running::start(links.command(side, Tool::Pub).args(args), b"").finish("psk");
            // A wrong key: mosquitto_pub 8 (TLS error; 1 when the handshake
            // fails within mosquitto_connect), mqrr 3 (could not connect,
            // spec §11).
            let expected: &[i32] = match (ok, side) {
                (true, _) => &[0],
                (false, Side::Mosquitto) => &[8, 1],
                (false, Side::Mqrr) => &[3],
            };
            assert!(
                ran.code.is_some_and(|c| expected.contains(&c)),
                "{side:?} --psk {key}: {ran:?}"
            );
            sent.push(recorder.take());
        }
        assert_eq!(sent[0].len(), usize::from(ok), "--psk {key}: {sent:?}");
        assert_eq!(sent[1], sent[0], "--psk {key} (left mqrr, right mosquitto)");
    }
}
