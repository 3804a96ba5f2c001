//! `mqrr tedge-cmd` against a real mosquitto and a scripted fake
//! tedge-agent: a Paho client subscribed to `<root>/+/+/+/+/cmd/+/+` that
//! walks each new command (`"status":"init"`) through the states its
//! script gives, each published retained on the command topic, as
//! thin-edge.io's agent does.
//!
//! Every run passes `--no-tedge-config` or points `TEDGE_CONFIG_DIR` at a
//! temp dir, so the machine's /etc/tedge never matters.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use paho_mqtt as mqtt;
use serde_json::{Value, json};

use common::*;

/// What the fake agent does with a new command.
#[derive(Debug, Clone)]
enum Script {
    /// init → executing → successful, with these fields added.
    Succeed(Value),
    /// init → executing → failed with this reason.
    Fail(&'static str),
    /// Never answers.
    Silent,
    /// Publishes these statuses in order; `""` publishes an empty payload
    /// (clears the command).
    Steps(Vec<&'static str>),
}

/// A command as the fake agent received it.
#[derive(Debug, Clone)]
struct Received {
    topic: String,
    payload: Value,
    qos: i32,
}

/// The fake tedge-agent: answers new commands on `<root>/+/+/+/+/cmd/+/+`
/// with the states `script(topic)` gives.
struct FakeAgent {
    client: std::mem::ManuallyDrop<mqtt::Client>,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeAgent {
    fn start(port: u16, v5: bool, script: impl Fn(&str) -> Script + Send + 'static) -> FakeAgent {
        FakeAgent::start_on(port, "te", v5, script)
    }

    fn start_on(
        port: u16,
        root: &str,
        v5: bool,
        script: impl Fn(&str) -> Script + Send + 'static,
    ) -> FakeAgent {
        let version = if v5 {
            mqtt::MQTT_VERSION_5
        } else {
            mqtt::MQTT_VERSION_3_1_1
        };
        let client = mqtt::Client::new(
            mqtt::CreateOptionsBuilder::new()
                .server_uri(format!("tcp://127.0.0.1:{port}"))
                .client_id(format!("fake-tedge-agent-{}", free_port()))
                .mqtt_version(version)
                .persistence(None)
                .finalize(),
        )
        .expect("fake agent client");
        let rx = client.start_consuming();
        let mut opts = mqtt::ConnectOptionsBuilder::with_mqtt_version(version);
        if v5 {
            opts.clean_start(true);
        } else {
            opts.clean_session(true);
        }
        client.connect(opts.finalize()).expect("fake agent connect");
        client
            .subscribe(&format!("{root}/+/+/+/+/cmd/+/+"), 1)
            .expect("fake agent subscribe");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (received2, stop2, publisher) = (received.clone(), stop.clone(), client.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let Ok(Some(m)) = rx.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                // Its own updates, clears and markers come back too: only
                // a new command is acted on.
                let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(m.payload())
                else {
                    continue;
                };
                if request.get("status") != Some(&json!("init")) {
                    continue;
                }
                received2.lock().unwrap().push(Received {
                    topic: m.topic().to_string(),
                    payload: Value::Object(request.clone()),
                    qos: m.qos() as i32,
                });
                let state = |status: &str, extra: &Value| {
                    if status.is_empty() {
                        return Vec::new();
                    }
                    let mut s = request.clone();
                    s.insert("status".into(), json!(status));
                    if let Value::Object(extra) = extra {
                        s.extend(extra.clone());
                    }
                    Value::Object(s).to_string().into_bytes()
                };
                let states = match script(m.topic()) {
                    Script::Succeed(extra) => vec![
                        state("executing", &Value::Null),
                        state("successful", &extra),
                    ],
                    Script::Fail(reason) => vec![
                        state("executing", &Value::Null),
                        state("failed", &json!({ "reason": reason })),
                    ],
                    Script::Silent => Vec::new(),
                    Script::Steps(steps) => steps.iter().map(|s| state(s, &Value::Null)).collect(),
                };
                for payload in states {
                    let m = mqtt::MessageBuilder::new()
                        .topic(m.topic())
                        .payload(payload)
                        .qos(1)
                        .retained(true)
                        .finalize();
                    let _ = publisher.publish(m);
                }
            }
        });
        FakeAgent {
            client: std::mem::ManuallyDrop::new(client),
            received,
            stop,
            thread: Some(thread),
        }
    }

    /// Every command received so far.
    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The one command received; fails unless exactly one came.
    #[track_caller]
    fn only_command(&self) -> Received {
        let all = self.received();
        assert_eq!(all.len(), 1, "commands received: {all:?}");
        all[0].clone()
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = self.client.disconnect(None);
    }
}

/// The usual agent: every command succeeds with `extra` added.
fn succeeding_agent(port: u16, extra: Value) -> FakeAgent {
    FakeAgent::start(port, true, move |_| Script::Succeed(extra.clone()))
}

/// `mqrr tedge-cmd --no-tedge-config -h 127.0.0.1 -p PORT`.
fn tedge_cmd(port: u16) -> assert_cmd::Command {
    let mut cmd = mqrr();
    cmd.args(["tedge-cmd", "--no-tedge-config"])
        .args(broker_args(port));
    cmd
}

/// The retained messages on `topic` right now: a fresh subscriber, then a
/// non-retained marker published by another client after its SUBACK. The
/// broker sends the retained messages before the marker, so whatever came
/// before it is all there is.
fn retained_on(port: u16, topic: &str) -> Vec<Seen> {
    let c = Collector::start(port, topic, true);
    mosquitto_pub(port, topic, "marker", false);
    let ok = wait_until(Duration::from_secs(10), || {
        c.payloads().iter().any(|p| p == "marker")
    });
    assert!(ok, "the marker never came back on {topic}");
    let seen = c.seen();
    let before: Vec<Seen> = seen
        .iter()
        .take_while(|m| m.payload != b"marker")
        .cloned()
        .collect();
    assert!(before.iter().all(|m| m.retained), "{before:?}");
    before
}

/// Asserts that nothing is retained on `topic`: the command was cleared.
#[track_caller]
fn assert_cleared(port: u16, topic: &str) {
    let left = retained_on(port, topic);
    assert!(left.is_empty(), "still retained on {topic}: {left:?}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// The `mqrr: ` lines of stderr.
fn stderr_lines(out: &std::process::Output) -> Vec<String> {
    text(&out.stderr).lines().map(String::from).collect()
}

/// The status of each progress line (`mqrr: TYPE: STATUS (1.2 s)`), in order.
fn progress(out: &std::process::Output, cmd_type: &str) -> Vec<String> {
    let prefix = format!("mqrr: {cmd_type}: ");
    stderr_lines(out)
        .iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| {
            let (status, time) = rest.rsplit_once(" (")?;
            let secs = time.strip_suffix(" s)")?;
            secs.parse::<f64>().ok().map(|_| status.to_string())
        })
        .collect()
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(bytes)))
}

// ------------------------------------------------------------ the command

#[test]
fn restart_walks_init_executing_successful_and_prints_the_final_payload() {
    let broker = Broker::start();
    let agent = succeeding_agent(broker.port, json!({}));
    let out = tedge_cmd(broker.port).arg("restart").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(json_of(&out.stdout), json!({"status": "successful"}));
    assert_eq!(progress(&out, "restart"), ["executing", "successful"]);
    assert_eq!(stderr_lines(&out).len(), 2, "{}", describe(&out));
    assert_no_panic(&out);
    let cmd = agent.only_command();
    assert_eq!(cmd.payload, json!({"status": "init"}));
    assert_eq!(cmd.qos, 1);
    let id = cmd
        .topic
        .strip_prefix("te/device/main///cmd/restart/mqrr-")
        .unwrap_or_else(|| panic!("topic {}", cmd.topic));
    assert!(
        id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_cleared(broker.port, &cmd.topic);
}

#[test]
fn request_is_published_retained_with_qos_1() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, true, |_| Script::Silent);
    let topic = "te/device/main///cmd/restart/kept";
    let out = tedge_cmd(broker.port)
        .args(["restart", "--cmd-id", "kept", "--keep", "-W", "1s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(27), "{}", describe(&out));
    let left = retained_on(broker.port, topic);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].payload, br#"{"status":"init"}"#);
    assert_eq!(left[0].qos, 1);
}

#[test]
fn failed_command_exits_5_with_its_payload_and_one_line_with_the_reason() {
    let broker = Broker::start();
    let agent = FakeAgent::start(broker.port, true, |_| Script::Fail("disk full"));
    let out = tedge_cmd(broker.port)
        .arg("software_update")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", describe(&out));
    assert_eq!(
        json_of(&out.stdout),
        json!({"status": "failed", "reason": "disk full"})
    );
    let lines = stderr_lines(&out);
    assert_eq!(progress(&out, "software_update"), ["executing"]);
    assert_eq!(lines.len(), 2, "{}", describe(&out));
    let last = &lines[1];
    assert!(
        last.starts_with("mqrr: software_update: failed (") && last.ends_with(" s): disk full"),
        "{last}"
    );
    assert_no_panic(&out);
    assert_cleared(broker.port, &agent.only_command().topic);
}

#[test]
fn failed_command_without_a_reason_says_so() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, true, |_| Script::Steps(vec!["failed"]));
    let out = tedge_cmd(broker.port).arg("restart").output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", describe(&out));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{}", describe(&out));
    assert!(lines[0].ends_with(" s), without a reason"), "{}", lines[0]);
}

#[test]
fn silent_agent_times_out_with_exit_27_naming_the_last_status_and_the_agent_health() {
    let broker = Broker::start();
    mosquitto_pub(
        broker.port,
        "te/device/main/service/tedge-agent/status/health",
        r#"{"status":"down"}"#,
        true,
    );
    let agent = FakeAgent::start(broker.port, true, |_| Script::Steps(vec!["executing"]));
    // -W 5s: the health read gets its longest wait, 500 ms (a tenth of -W).
    let started = Instant::now();
    let out = tedge_cmd(broker.port)
        .args(["restart", "-W", "5s"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(27), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    let topic = agent.only_command().topic;
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 2, "{}", describe(&out));
    assert_eq!(
        lines[1],
        format!(
            "mqrr: restart: no final status on {topic} within 5s \
             (last status: executing; tedge-agent: down)"
        )
    );
    // The health read comes out of -W; clearing takes a PUBACK.
    assert!(took < Duration::from_millis(5500), "took {took:?}");
    assert_cleared(broker.port, &topic);
}

#[test]
fn timeout_before_the_agent_picks_the_command_up_says_init_and_health_up_or_unknown() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, true, |_| Script::Silent);
    let out = tedge_cmd(broker.port)
        .args(["restart", "-W", "1s"])
        .output()
        .unwrap();
    assert_failure(&out, 27, &["(last status: init; tedge-agent: unknown)"]);
    mosquitto_pub(
        broker.port,
        "te/device/main/service/tedge-agent/status/health",
        r#"{"status":"up","pid":42}"#,
        true,
    );
    let out = tedge_cmd(broker.port)
        .args(["restart", "-W", "5s"])
        .output()
        .unwrap();
    assert_failure(&out, 27, &["(last status: init; tedge-agent: up)"]);
}

#[test]
fn keep_leaves_the_final_state_retained() {
    let broker = Broker::start();
    let _agent = succeeding_agent(broker.port, json!({}));
    tedge_cmd(broker.port)
        .args(["restart", "--cmd-id", "r9", "--keep"])
        .assert()
        .code(0);
    let left = retained_on(broker.port, "te/device/main///cmd/restart/r9");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(json_of(&left[0].payload), json!({"status": "successful"}));
}

#[test]
fn cmd_id_sets_the_last_topic_level_and_id_stays_the_client_id() {
    let broker = Broker::logging();
    let agent = succeeding_agent(broker.port, json!({}));
    tedge_cmd(broker.port)
        .args(["restart", "--cmd-id", "r1", "-i", "my-client"])
        .assert()
        .code(0);
    assert_eq!(
        agent.only_command().topic,
        "te/device/main///cmd/restart/r1"
    );
    assert!(broker.log().contains("my-client"), "{}", broker.log());
}

#[test]
fn intermediate_states_are_one_line_each_and_repeats_are_not_changes() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, true, |_| {
        Script::Steps(vec![
            "init",
            "executing",
            "executing",
            "downloading",
            "restarting",
            "successful",
        ])
    });
    let out = tedge_cmd(broker.port)
        .arg("firmware_update")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(
        progress(&out, "firmware_update"),
        ["executing", "downloading", "restarting", "successful"]
    );
    assert_eq!(stderr_lines(&out).len(), 4, "{}", describe(&out));
}

#[test]
fn quiet_shows_no_progress_and_no_failure_line() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, true, |t| {
        if t.contains("/restart/") {
            Script::Succeed(json!({}))
        } else {
            Script::Fail("nope")
        }
    });
    let out = tedge_cmd(broker.port)
        .args(["restart", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));
    assert_eq!(json_of(&out.stdout), json!({"status": "successful"}));
    let out = tedge_cmd(broker.port)
        .args(["software_list", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));
}

#[test]
fn progress_on_a_terminal_is_one_line_redrawn_in_place() {
    let broker = Broker::start();
    let _agent = succeeding_agent(broker.port, json!({}));
    let bin = assert_cmd::cargo::cargo_bin("mqrr");
    // script(1) gives mqrr a terminal; stdout goes to /dev/null.
    let line = format!(
        "'{}' tedge-cmd --no-tedge-config -h 127.0.0.1 -p {} restart >/dev/null",
        bin.display(),
        broker.port
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("TEDGE_CONFIG_DIR")
        .output()
        .expect("script(1) (util-linux)");
    let tty = text(&out.stdout);
    assert!(out.status.success(), "{tty:?}");
    // Drawn from the start (the command is in init until the agent takes
    // it), each status over the last, then the final line kept.
    assert!(tty.starts_with("\rmqrr: restart: init ("), "{tty:?}");
    assert!(
        tty.contains("\x1b[K\rmqrr: restart: executing ("),
        "{tty:?}"
    );
    let last = tty.rsplit("\r\x1b[K").next().unwrap_or_default();
    assert!(
        last.starts_with("mqrr: restart: successful (") && last.ends_with(" s)\r\n"),
        "{tty:?}"
    );
    // Only the final line ends with a newline.
    assert_eq!(tty.matches('\n').count(), 1, "{tty:?}");
}

#[test]
fn successful_payload_goes_through_json_pointer_regex_and_format() {
    let broker = Broker::start();
    let modules = json!([{"name": "collectd", "version": "5.12"}]);
    let _agent = succeeding_agent(
        broker.port,
        json!({"currentSoftwareList": [{"type": "apt", "modules": modules}]}),
    );
    let out = tedge_cmd(broker.port)
        .args(["software_list", "-j", "/currentSoftwareList/0/modules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(json_of(&out.stdout), modules);
    let out = tedge_cmd(broker.port)
        .args([
            "software_list",
            "--cmd-id",
            "s1",
            "-j",
            "/currentSoftwareList/0/modules/0/version",
            "-r",
            r"^(\d+)\.",
            "-F",
            "%t %p",
        ])
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "te/device/main///cmd/software_list/s1 5\n",
        "{}",
        describe(&out)
    );
}

#[test]
fn extraction_that_finds_nothing_is_exit_1_and_the_command_is_still_cleared() {
    let broker = Broker::start();
    let agent = succeeding_agent(broker.port, json!({}));
    let out = tedge_cmd(broker.port)
        .args(["software_list", "-j", "/currentSoftwareList"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    let lines = stderr_lines(&out);
    assert_eq!(
        lines.last().map(String::as_str),
        Some(
            "mqrr: software_list: successful, but -j /currentSoftwareList found nothing in its payload"
        )
    );
    assert_cleared(broker.port, &agent.only_command().topic);
}

#[test]
fn failed_payload_is_printed_whole_whatever_the_extraction() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, true, |_| Script::Fail("Permission denied"));
    let out = tedge_cmd(broker.port)
        .args(["software_list", "-j", "/currentSoftwareList"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", describe(&out));
    assert_eq!(
        json_of(&out.stdout),
        json!({"status": "failed", "reason": "Permission denied"})
    );
}

#[test]
fn command_cleared_by_someone_else_is_exit_1() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, true, |_| Script::Steps(vec!["executing", ""]));
    let out = tedge_cmd(broker.port).arg("restart").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let last = stderr_lines(&out).pop().unwrap_or_default();
    assert!(
        last.contains("was cleared by another client before it ended (last status: executing)"),
        "{last}"
    );
}

// ------------------------------------------------------------ payloads

#[test]
fn message_gets_status_init_added_first() {
    let broker = Broker::start();
    let agent = succeeding_agent(
        broker.port,
        json!({"path": "/etc/mosquitto/mosquitto.conf"}),
    );
    let out = tedge_cmd(broker.port)
        .args([
            "config_snapshot",
            "-m",
            r#"{"type":"mosquitto"}"#,
            "-j",
            "/path",
        ])
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "/etc/mosquitto/mosquitto.conf\n",
        "{}",
        describe(&out)
    );
    let cmd = agent.only_command();
    assert_eq!(cmd.payload, json!({"status": "init", "type": "mosquitto"}));
}

#[test]
fn file_and_stdin_payloads_are_commands_too() {
    let broker = Broker::start();
    let agent = succeeding_agent(broker.port, json!({}));
    let file = temp_file(br#"{"status":"init","type":"tedge.toml"}"#);
    tedge_cmd(broker.port)
        .args(["config_snapshot", "--file"])
        .arg(file.path())
        .assert()
        .code(0);
    tedge_cmd(broker.port)
        .args(["config_snapshot", "-s"])
        .write_stdin(r#"{"type":"collectd"}"#)
        .assert()
        .code(0);
    let types: Vec<Value> = agent
        .received()
        .iter()
        .map(|r| r.payload["type"].clone())
        .collect();
    assert_eq!(types, [json!("tedge.toml"), json!("collectd")]);
    assert_eq!(agent.received()[1].payload["status"], "init");
}

#[test]
fn bad_commands_are_usage_errors_before_connecting() {
    // Nobody listens on this port: reaching the network would be exit 3.
    let port = free_port();
    let cases: &[(&[&str], &str)] = &[
        (&["restart", "-m", "reboot now"], "-m: not JSON"),
        (
            &["restart", "-m", "[1,2]"],
            "a command is a JSON object, not an array",
        ),
        (
            &["restart", "-m", r#"{"status":"successful"}"#],
            r#"a new command has "status":"init", not "successful""#,
        ),
        (
            &["re/start"],
            "CMD_TYPE \"re/start\": must be one non-empty topic level",
        ),
        (&["restart", "--device", "a/b"], "--device \"a/b\""),
        (&["restart", "--service", "+"], "--service \"+\""),
        (&["restart", "--cmd-id", "#"], "--cmd-id \"#\""),
        (
            &["restart", "--entity", "device/main"],
            "an entity topic id has four levels",
        ),
        (
            &["restart", "--entity", "device/x//", "--device", "y"],
            "cannot be used with",
        ),
        (&[], "CMD_TYPE"),
        (&["--list", "-m", "{}"], "cannot be used with"),
        (&["restart", "-o", "json"], "--list"),
        (&["restart", "-j", "no-slash"], "-j:"),
        (&["restart", "-F", "%y"], "-F:"),
    ];
    for (args, needle) in cases {
        let out = tedge_cmd(port).args(*args).output().unwrap();
        assert_failure_in(&format!("{args:?}: "), &out, 2, &[needle]);
    }
    let out = tedge_cmd(port)
        .args(["restart", "-s"])
        .write_stdin("[]")
        .output()
        .unwrap();
    assert_failure(&out, 2, &["-s: a command is a JSON object, not an array"]);
}

// ------------------------------------------------------------ targets

#[test]
fn device_option_targets_a_child_device() {
    let broker = Broker::start();
    let agent = FakeAgent::start(broker.port, true, |t| {
        if t.starts_with("te/device/child01///") {
            Script::Succeed(json!({}))
        } else {
            Script::Silent
        }
    });
    tedge_cmd(broker.port)
        .args(["restart", "--device", "child01", "--cmd-id", "c1"])
        .assert()
        .code(0);
    assert_eq!(
        agent.only_command().topic,
        "te/device/child01///cmd/restart/c1"
    );
}

#[test]
fn child_device_timeout_reads_the_child_agent_health() {
    let broker = Broker::start();
    mosquitto_pub(
        broker.port,
        "te/device/child01/service/tedge-agent/status/health",
        r#"{"status":"up"}"#,
        true,
    );
    mosquitto_pub(
        broker.port,
        "te/device/main/service/tedge-agent/status/health",
        r#"{"status":"down"}"#,
        true,
    );
    let out = tedge_cmd(broker.port)
        .args(["restart", "--device", "child01", "-W", "5s"])
        .output()
        .unwrap();
    assert_failure(
        &out,
        27,
        &["te/device/child01///cmd/restart/", "tedge-agent: up)"],
    );
}

#[test]
fn service_option_targets_a_service_of_the_main_or_a_child_device() {
    let broker = Broker::start();
    let agent = succeeding_agent(broker.port, json!({}));
    tedge_cmd(broker.port)
        .args(["restart", "--service", "app", "--cmd-id", "s1"])
        .assert()
        .code(0);
    tedge_cmd(broker.port)
        .args([
            "restart",
            "--device",
            "child01",
            "--service",
            "app",
            "--cmd-id",
            "s2",
        ])
        .assert()
        .code(0);
    let topics: Vec<String> = agent.received().into_iter().map(|r| r.topic).collect();
    assert_eq!(
        topics,
        [
            "te/device/main/service/app/cmd/restart/s1",
            "te/device/child01/service/app/cmd/restart/s2"
        ]
    );
}

#[test]
fn entity_option_takes_any_four_level_topic_id() {
    let broker = Broker::start();
    let agent = succeeding_agent(broker.port, json!({}));
    tedge_cmd(broker.port)
        .args([
            "restart",
            "--entity",
            "factory1/shop1/plc1/",
            "--cmd-id",
            "e1",
        ])
        .assert()
        .code(0);
    assert_eq!(
        agent.only_command().topic,
        "te/factory1/shop1/plc1//cmd/restart/e1"
    );
}

fn write_tedge_toml(dir: &Path, text: &str) {
    std::fs::write(dir.join("tedge.toml"), text).unwrap();
}

#[test]
fn tedge_toml_gives_the_broker_topic_root_and_device_topic_id() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    write_tedge_toml(
        dir.path(),
        &format!(
            "[mqtt]\ntopic_root = \"edge\"\ndevice_topic_id = \"device/gw1//\"\n\
             [mqtt.client]\nhost = \"127.0.0.1\"\nport = {}\n",
            broker.port
        ),
    );
    let agent = FakeAgent::start_on(broker.port, "edge", true, |t| {
        if t.contains("/log_upload/") {
            Script::Silent
        } else {
            Script::Succeed(json!({}))
        }
    });
    let tedge = |args: &[&str]| {
        let mut cmd = mqrr();
        cmd.env("TEDGE_CONFIG_DIR", dir.path())
            .arg("tedge-cmd")
            .args(args);
        cmd
    };
    tedge(&["restart", "--cmd-id", "t1"]).assert().code(0);
    // --service is a service of this device.
    tedge(&["restart", "--service", "app", "--cmd-id", "t2"])
        .assert()
        .code(0);
    let topics: Vec<String> = agent.received().into_iter().map(|r| r.topic).collect();
    assert_eq!(
        topics,
        [
            "edge/device/gw1///cmd/restart/t1",
            "edge/device/gw1/service/app/cmd/restart/t2"
        ]
    );
    // On timeout, the health of this device's agent under the same root.
    mosquitto_pub(
        broker.port,
        "edge/device/gw1/service/tedge-agent/status/health",
        r#"{"status":"down"}"#,
        true,
    );
    let out = tedge(&["log_upload", "-W", "5s"]).output().unwrap();
    assert_failure(
        &out,
        27,
        &["edge/device/gw1///cmd/log_upload/", "tedge-agent: down)"],
    );
    // The environment wins over the file, flags over both, and
    // --no-tedge-config ignores it.
    let wrong = free_port().to_string();
    write_tedge_toml(
        dir.path(),
        &format!(
            "[mqtt]\ntopic_root = \"edge\"\n[mqtt.client]\nhost = \"127.0.0.1\"\nport = {wrong}\n"
        ),
    );
    tedge(&["restart", "--cmd-id", "t3"])
        .env("MQRR_PORT", broker.port_arg())
        .assert()
        .code(0);
    assert_eq!(
        agent.received().last().map(|r| r.topic.clone()),
        Some("edge/device/main///cmd/restart/t3".into())
    );
    // A flag beats the environment.
    let out = tedge(&["restart", "-p", &wrong, "-W", "2s"])
        .env("MQRR_PORT", broker.port_arg())
        .output()
        .unwrap();
    assert_failure(&out, 3, &[&format!("127.0.0.1:{wrong}")]);
    tedge(&["restart", "-p", &broker.port_arg(), "--cmd-id", "t4"])
        .assert()
        .code(0);
    let out = tedge(&[
        "restart",
        "--no-tedge-config",
        "-p",
        &broker.port_arg(),
        "-W",
        "1s",
    ])
    .output()
    .unwrap();
    assert_failure(&out, 27, &["te/device/main///cmd/restart/"]);
}

#[test]
fn broken_device_topic_id_in_tedge_toml_is_a_usage_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write_tedge_toml(dir.path(), "[mqtt]\ndevice_topic_id = \"device/gw1\"\n");
    let out = mqrr()
        .env("TEDGE_CONFIG_DIR", dir.path())
        .args(["tedge-cmd", "restart", "-p", &free_port().to_string()])
        .output()
        .unwrap();
    assert_failure(
        &out,
        2,
        &["tedge.toml: mqtt.device_topic_id \"device/gw1\": an entity topic id has four levels"],
    );
    // Not used, not checked.
    let out = mqrr()
        .env("TEDGE_CONFIG_DIR", dir.path())
        .args([
            "tedge-cmd",
            "restart",
            "--device",
            "c",
            "-p",
            &free_port().to_string(),
        ])
        .output()
        .unwrap();
    assert_failure(&out, 3, &[]);
}

// ------------------------------------------------------------ freshness

#[test]
fn stale_retained_command_on_another_id_is_never_taken_for_ours() {
    let broker = Broker::start();
    mosquitto_pub(
        broker.port,
        "te/device/main///cmd/restart/someone-else",
        r#"{"status":"successful"}"#,
        true,
    );
    let _agent = FakeAgent::start(broker.port, true, |_| Script::Silent);
    for v in ["5", "311"] {
        let out = tedge_cmd(broker.port)
            .args(["restart", "-V", v, "-W", "1s"])
            .output()
            .unwrap();
        assert_failure_in(&format!("-V {v}: "), &out, 27, &["last status: init"]);
    }
    // Someone else's command is left alone.
    assert_eq!(
        retained_on(broker.port, "te/device/main///cmd/restart/someone-else").len(),
        1
    );
}

#[test]
fn stale_retained_state_on_our_own_id_is_never_taken_for_an_answer() {
    for v in ["5", "311"] {
        let broker = Broker::start();
        mosquitto_pub(
            broker.port,
            "te/device/main///cmd/restart/r1",
            r#"{"status":"successful"}"#,
            true,
        );
        let _agent = FakeAgent::start(broker.port, v == "5", |_| Script::Silent);
        let out = tedge_cmd(broker.port)
            .args(["restart", "--cmd-id", "r1", "-V", v, "-W", "1s"])
            .output()
            .unwrap();
        assert_failure_in(&format!("-V {v}: "), &out, 27, &["last status: init"]);
        assert_cleared(broker.port, "te/device/main///cmd/restart/r1");
    }
}

#[test]
fn own_init_request_is_never_a_status_change_nor_an_end() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, false, |_| Script::Silent);
    for v in ["5", "311"] {
        // --debug: the trace shows what happened to the echo; no progress
        // line may come out of mqrr's own request.
        let out = tedge_cmd(broker.port)
            .args(["restart", "-V", v, "-W", "1s", "--debug"])
            .output()
            .unwrap();
        let all = describe(&out);
        assert_eq!(out.status.code(), Some(27), "{all}");
        assert!(progress(&out, "restart").is_empty(), "{all}");
        let errors: Vec<String> = stderr_lines(&out)
            .into_iter()
            .filter(|l| !l.starts_with("mqrr: debug:"))
            .collect();
        assert_eq!(errors.len(), 1, "{all}");
        assert!(errors[0].contains("(last status: init;"), "{all}");
        if v == "311" {
            // No No Local on 3.1.1: the echo came, and was dropped once.
            assert!(
                text(&out.stderr).contains("dropped mqrr's own request"),
                "{all}"
            );
        }
    }
}

// ------------------------------------------------------------ signals

#[test]
fn sigint_clears_the_command_and_exits_130() {
    let broker = Broker::start();
    let _agent = FakeAgent::start(broker.port, true, |_| Script::Steps(vec!["executing"]));
    // Once the agent has taken the command: a state it publishes after the
    // clearing would be retained again.
    let run = Running::spawn_sub_until(
        "te/device/main///cmd/restart/int1: status executing",
        "tedge-cmd",
        &[
            "--no-tedge-config",
            "-h",
            "127.0.0.1",
            "-p",
            &broker.port_arg(),
            "restart",
            "--cmd-id",
            "int1",
        ],
    );
    let pid = run.pid();
    let (out, _) = run.finish_after(|| send_signal(pid, "INT"), Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(130), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cleared te/device/main///cmd/restart/int1"),
        "{}",
        out.stderr
    );
    assert_cleared(broker.port, "te/device/main///cmd/restart/int1");
}

// ------------------------------------------------------------ --list

/// Publishes `payload` retained on each topic, over one Paho connection.
fn publish_retained(port: u16, topics: &[String], payload: &[u8]) {
    let client = mqtt::Client::new(
        mqtt::CreateOptionsBuilder::new()
            .server_uri(format!("tcp://127.0.0.1:{port}"))
            .client_id(format!("declarer-{}", free_port()))
            .persistence(None)
            .finalize(),
    )
    .unwrap();
    client.connect(None).unwrap();
    for t in topics {
        let m = mqtt::MessageBuilder::new()
            .topic(t)
            .payload(payload)
            .qos(1)
            .retained(true)
            .finalize();
        client.publish(m).unwrap();
    }
    client.disconnect(None).unwrap();
    std::mem::forget(client);
}

/// Publishes the capability messages of an agent on `entity`.
fn declare(port: u16, entity: &str, caps: &[(&str, &str)]) {
    for (cmd_type, payload) in caps {
        mosquitto_pub(port, &format!("te/{entity}/cmd/{cmd_type}"), payload, true);
    }
}

#[test]
fn list_prints_the_command_types_of_the_entity_one_per_line() {
    let broker = Broker::start();
    declare(
        broker.port,
        "device/main//",
        &[
            ("software_update", r#"{"types":["apt"]}"#),
            ("restart", "{}"),
            ("config_snapshot", r#"{"types":["tedge.toml","mosquitto"]}"#),
        ],
    );
    declare(
        broker.port,
        "device/child01//",
        &[("log_upload", r#"{"types":["syslog"]}"#)],
    );
    // A running command is not a capability.
    mosquitto_pub(
        broker.port,
        "te/device/main///cmd/restart/r1",
        r#"{"status":"executing"}"#,
        true,
    );
    assert_prints(
        tedge_cmd(broker.port).arg("--list"),
        "config_snapshot\nrestart\nsoftware_update\n",
    );
    assert_prints(
        tedge_cmd(broker.port).args(["--list", "--device", "child01"]),
        "log_upload\n",
    );
    let out = tedge_cmd(broker.port)
        .args(["--list", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        json_of(&out.stdout),
        json!({
            "config_snapshot": {"types": ["tedge.toml", "mosquitto"]},
            "restart": {},
            "software_update": {"types": ["apt"]},
        }),
        "{}",
        describe(&out)
    );
}

#[test]
fn list_waits_for_every_retained_capability_without_a_settle_time() {
    let broker = Broker::start();
    let mut expected: Vec<String> = (0..200).map(|i| format!("op_{i:03}")).collect();
    let topics: Vec<String> = expected
        .iter()
        .map(|t| format!("te/device/main///cmd/{t}"))
        .collect();
    publish_retained(broker.port, &topics, b"{}");
    expected.sort();
    let started = Instant::now();
    let out = tedge_cmd(broker.port).arg("--list").output().unwrap();
    let took = started.elapsed();
    assert_eq!(
        text(&out.stdout),
        expected.join("\n") + "\n",
        "{}",
        describe(&out)
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn list_of_an_entity_without_capabilities_warns_and_exits_0() {
    let broker = Broker::start();
    assert_exit_line(
        tedge_cmd(broker.port).args(["--list", "--device", "nobody"]),
        0,
        "mqrr: no command types on te/device/nobody///cmd/+ (no retained capability message)\n",
    );
}

// ------------------------------------------------------------ the generic form

/// The README's request-mode equivalent of `tedge-cmd restart` (without
/// the clearing): works against the same agent.
#[test]
fn generic_request_mode_command_follows_a_thin_edge_command_too() {
    for v5 in [true, false] {
        let broker = Broker::start();
        let _agent = FakeAgent::start(broker.port, v5, |t| {
            if t.ends_with("/r1") {
                Script::Succeed(json!({}))
            } else {
                Script::Fail("nope")
            }
        });
        let version = if v5 { "5" } else { "311" };
        for (id, answer) in [("r1", "successful\n"), ("r2", "failed\n")] {
            let topic = format!("te/device/main///cmd/restart/{id}");
            assert_prints(
                mqrr()
                    .args(broker_args(broker.port))
                    .args(["-V", version, "-t", &topic, "-e", &topic, "--retain"])
                    .args(["-m", r#"{"status":"init"}"#, "-j", "/status"])
                    .args(["-r", "^(successful|failed)$"]),
                answer,
            );
        }
    }
}
