//! `mqrr serve` against a real mosquitto: answer modes, correlation, failing
//! commands, concurrency, signals, broker restarts and bad input.
//!
//! Each test runs its own broker and its own server; every wait is a
//! condition polled with a bound.

mod common;

use std::io::Read;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use paho_mqtt as mqtt;

/// A running `mqrr serve`, subscribed when `start` returns, killed on Drop.
/// Its stderr is collected by a thread so a test can wait for a line.
struct Server {
    child: Child,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Server {
    /// `mqrr serve -h 127.0.0.1 -p PORT --debug ARGS...`, waited for until it
    /// reports that it is serving (SUBACK received).
    fn start(port: u16, args: &[&str]) -> Server {
        Server::start_with_env(port, &[], args)
    }

    /// As `start`, with extra environment variables for the server.
    fn start_with_env(port: u16, env: &[(&str, &str)], args: &[&str]) -> Server {
        let server = Server::spawn_with_env(port, env, args);
        server.assert_says("serving", Duration::from_secs(10));
        server
    }

    /// As `start_with_env`, without waiting for anything.
    fn spawn_with_env(port: u16, env: &[(&str, &str)], args: &[&str]) -> Server {
        let mut child = mqrr_std()
            .envs(env.iter().copied())
            .arg("serve")
            .args(broker_args(port))
            .arg("--debug")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mqrr serve");
        let mut pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Server {
            child,
            stderr,
            reader: Some(reader),
        }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// The stderr lines that are not `--debug` trace: the diagnostics a
    /// user without `--debug` would see.
    fn diagnostics(&self) -> Vec<String> {
        self.stderr()
            .lines()
            .filter(|l| !l.starts_with("mqrr: debug:"))
            .map(str::to_string)
            .collect()
    }

    /// The one diagnostic so far (fails unless there is exactly one).
    fn one_diagnostic(&self) -> String {
        let lines = self.diagnostics();
        assert_eq!(lines.len(), 1, "{lines:?}");
        lines.into_iter().next().unwrap()
    }

    fn wait_stderr(&self, bound: Duration, needle: &str) -> bool {
        wait_until(bound, || self.stderr().contains(needle))
    }

    /// Asserts that stderr says `needle` within `bound`.
    #[track_caller]
    fn assert_says(&self, needle: &str, bound: Duration) {
        assert!(
            self.wait_stderr(bound, needle),
            "no {needle:?} within {bound:?}; stderr:\n{}",
            self.stderr()
        );
    }

    /// Sends a signal (`TERM`, `INT`) with kill(1).
    fn signal(&self, name: &str) {
        send_signal(self.child.id(), name);
    }

    /// Waits at most `bound` for the server to exit by itself.
    fn wait_exit(&mut self, bound: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_until(bound, || {
            status = self.child.try_wait().expect("try_wait");
            status.is_some()
        });
        if status.is_some() {
            if let Some(r) = self.reader.take() {
                let _ = r.join();
            }
        }
        status
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// Asserts that a request got no reply: exit 27, nothing on stdout.
#[track_caller]
fn assert_unanswered(run: impl IntoAssert) {
    run.into_assert().code(27).stdout("");
}

/// What a paho MQTT 5 requester got back for one request.
struct Answered {
    payload: Vec<u8>,
    correlation: Option<Vec<u8>>,
}

/// Publishes one MQTT 5 request on `topic` with a Response Topic and (when
/// given) Correlation Data, and returns the first message on `response` (subscribed
/// before publishing), or panics after 5 s.
fn paho_request(
    port: u16,
    topic: &str,
    response: &str,
    payload: &[u8],
    corr: Option<&[u8]>,
) -> Answered {
    let client = mqtt::Client::new(
        mqtt::CreateOptionsBuilder::new()
            .server_uri(format!("tcp://127.0.0.1:{port}"))
            .client_id(format!("requester-{}", free_port()))
            .mqtt_version(mqtt::MQTT_VERSION_5)
            .persistence(None)
            .finalize(),
    )
    .expect("paho client");
    let rx = client.start_consuming();
    client
        .connect(
            mqtt::ConnectOptionsBuilder::with_mqtt_version(mqtt::MQTT_VERSION_5)
                .clean_start(true)
                .finalize(),
        )
        .expect("paho connect");
    client.subscribe(response, 1).expect("paho subscribe");
    let mut props = mqtt::Properties::new();
    props
        .push_string(mqtt::PropertyCode::ResponseTopic, response)
        .unwrap();
    if let Some(corr) = corr {
        props
            .push_binary(mqtt::PropertyCode::CorrelationData, corr.to_vec())
            .unwrap();
    }
    client
        .publish(
            mqtt::MessageBuilder::new()
                .topic(topic)
                .payload(payload)
                .qos(1)
                .properties(props)
                .finalize(),
        )
        .expect("paho publish");
    let msg = rx
        .recv_timeout(Duration::from_secs(5))
        .ok()
        .flatten()
        .expect("no reply within 5 s");
    let _ = client.disconnect(None);
    Answered {
        payload: msg.payload().to_vec(),
        correlation: msg
            .properties()
            .get_binary(mqtt::PropertyCode::CorrelationData),
    }
}

// --- answer modes --------------------------------------------------------

#[test]
fn mosquitto_rr_gets_its_payload_echoed() {
    let broker = Broker::start();
    let _server = Server::start(broker.port, &["-t", "svc/echo", "--echo"]);
    let out = std::process::Command::new("mosquitto_rr")
        .args(broker_args(broker.port))
        .args([
            "-t",
            "svc/echo",
            "-e",
            "svc/echo/reply",
            "-m",
            "x",
            "-W",
            "5",
        ])
        .output()
        .expect("mosquitto_rr (apt-get install mosquitto-clients)");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x\n");
}

#[test]
fn command_stdout_is_the_reply() {
    let broker = Broker::start();
    let _server = Server::start(broker.port, &["-t", "svc/upper", "--", "tr", "a-z", "A-Z"]);
    assert_prints(
        request(broker.port, "svc/upper", "svc/upper/r", "hello", "5s"),
        "HELLO\n",
    );
}

#[test]
fn requester_with_correlation_off_still_gets_an_answer() {
    // `--correlation off` drops the Correlation Data, not the Response Topic.
    let broker = Broker::start();
    let _server = Server::start(broker.port, &["-t", "svc/off", "--echo"]);
    assert_prints(
        request(broker.port, "svc/off", "svc/off/r", "plain", "5s").args(["--correlation", "off"]),
        "plain\n",
    );
}

#[test]
fn command_does_not_inherit_the_broker_password() {
    let broker = Broker::start();
    let env = [("MQRR_USERNAME", "svc"), ("MQRR_PASSWORD", "hunter2")];
    let script = r#"printf %s "${MQRR_PASSWORD-unset}""#;
    let _server = Server::start_with_env(
        broker.port,
        &env,
        &["-t", "svc/env", "--", "sh", "-c", script],
    );
    assert_prints(
        request(broker.port, "svc/env", "svc/env/r", "x", "5s"),
        "unset\n",
    );
}

#[test]
fn fixed_reply_ignores_the_payload() {
    let broker = Broker::start();
    let _server = Server::start(broker.port, &["-t", "svc/fixed", "--reply", "pong"]);
    assert_prints(
        request(broker.port, "svc/fixed", "svc/fixed/r", "ping", "5s"),
        "pong\n",
    );
    assert_prints(
        request(
            broker.port,
            "svc/fixed",
            "svc/fixed/r",
            "anything else",
            "5s",
        ),
        "pong\n",
    );
}

#[test]
fn every_filter_given_with_t_is_served() {
    let broker = Broker::start();
    let _server = Server::start(broker.port, &["-t", "svc/a", "-t", "svc/b/+", "--echo"]);
    assert_prints(request(broker.port, "svc/a", "r/a", "one", "5s"), "one\n");
    assert_prints(request(broker.port, "svc/b/x", "r/b", "two", "5s"), "two\n");
}

// --- MQTT 3.1.1 requesters -------------------------------------------------

#[test]
fn v311_requester_is_answered_on_reply_topic() {
    let broker = Broker::start();
    let _server = Server::start(
        broker.port,
        &["-t", "svc/old", "--reply-topic", "svc/old/r", "--echo"],
    );
    assert_prints(
        request(broker.port, "svc/old", "svc/old/r", "q", "5s").args(["-V", "311"]),
        "q\n",
    );
}

#[test]
fn v311_request_without_reply_topic_is_skipped_with_a_warning() {
    let broker = Broker::start();
    let mut server = Server::start(broker.port, &["-t", "svc/old", "--echo"]);
    assert_unanswered(request(broker.port, "svc/old", "svc/old/r", "q", "1s").args(["-V", "311"]));
    server.assert_says("no Response Topic", Duration::from_secs(5));
    let warning = server.one_diagnostic();
    assert!(warning.starts_with("mqrr: "), "{warning}");
    assert!(warning.contains("svc/old"), "{warning}");
    assert!(server.is_running(), "the server died on a skipped request");
    // An MQTT 5 requester is still answered.
    assert_prints(
        request(broker.port, "svc/old", "svc/old/r", "v5", "5s"),
        "v5\n",
    );
}

// --- correlation data and the command's environment ------------------------

/// A command printing `MQRR_TOPIC|MQRR_RESPONSE_TOPIC|MQRR_CORRELATION_DATA`.
const PRINT_ENV: &str =
    r#"printf '%s|%s|%s' "$MQRR_TOPIC" "$MQRR_RESPONSE_TOPIC" "$MQRR_CORRELATION_DATA""#;

#[test]
fn binary_correlation_data_is_copied_to_the_reply() {
    let broker = Broker::start();
    let _server = Server::start(broker.port, &["-t", "svc/corr", "--echo"]);
    let corr = [0u8, 255, 1, 254];
    let got = paho_request(broker.port, "svc/corr", "svc/corr/r", b"body", Some(&corr));
    assert_eq!(got.payload, b"body");
    assert_eq!(got.correlation.as_deref(), Some(&corr[..]));
}

#[test]
fn command_sees_correlation_data_as_hex() {
    let broker = Broker::start();
    let script = r#"printf %s "$MQRR_CORRELATION_DATA""#;
    let _server = Server::start(broker.port, &["-t", "svc/env", "--", "sh", "-c", script]);
    let corr = [0u8, 255, 1, 254];
    let got = paho_request(broker.port, "svc/env", "svc/env/r", b"", Some(&corr));
    assert_eq!(String::from_utf8_lossy(&got.payload), "00ff01fe");
    assert_eq!(got.correlation.as_deref(), Some(&corr[..]));
}

#[test]
fn command_sees_request_topic_and_response_topic() {
    let broker = Broker::start();
    let _server = Server::start(
        broker.port,
        &["-t", "svc/env/+", "--", "sh", "-c", PRINT_ENV],
    );
    let got = paho_request(
        broker.port,
        "svc/env/dev1",
        "answers/dev1",
        b"",
        Some(&[0xab]),
    );
    assert_eq!(
        String::from_utf8_lossy(&got.payload),
        "svc/env/dev1|answers/dev1|ab"
    );
    // Without correlation data the variable is empty, and the reply carries none.
    let got = paho_request(broker.port, "svc/env/dev2", "answers/dev2", b"", None);
    assert_eq!(
        String::from_utf8_lossy(&got.payload),
        "svc/env/dev2|answers/dev2|"
    );
    assert_eq!(got.correlation, None);
}

#[test]
fn command_sees_reply_topic_for_v311_requesters() {
    let broker = Broker::start();
    let _server = Server::start(
        broker.port,
        &[
            "-t",
            "svc/env",
            "--reply-topic",
            "svc/env/r",
            "--",
            "sh",
            "-c",
            PRINT_ENV,
        ],
    );
    assert_prints(
        request(broker.port, "svc/env", "svc/env/r", "", "5s").args(["-V", "311"]),
        "svc/env|svc/env/r|\n",
    );
}

// --- failing and slow commands ---------------------------------------------

#[test]
fn failing_command_sends_no_reply_and_the_server_keeps_serving() {
    let broker = Broker::start();
    let script = r#"if [ "$(cat)" = bad ]; then exit 3; fi; echo ok"#;
    let mut server = Server::start(broker.port, &["-t", "svc/check", "--", "sh", "-c", script]);
    assert_unanswered(request(
        broker.port,
        "svc/check",
        "svc/check/r",
        "bad",
        "1s",
    ));
    server.assert_says("no reply sent", Duration::from_secs(5));
    let line = server.one_diagnostic();
    assert!(line.starts_with("mqrr: "), "{line}");
    assert!(line.contains("svc/check"), "{line}");
    assert!(
        line.contains("exit status: 3"),
        "exit status not named: {line}"
    );
    assert!(server.is_running());
    assert_prints(
        request(broker.port, "svc/check", "svc/check/r", "good", "5s"),
        "ok\n",
    );
    assert_eq!(server.diagnostics().len(), 1, "{}", server.stderr());
}

#[test]
fn command_false_gets_one_stderr_line_per_request() {
    let broker = Broker::start();
    let mut server = Server::start(broker.port, &["-t", "svc/false", "--", "false"]);
    for n in 1..=2 {
        assert_unanswered(request(broker.port, "svc/false", "svc/false/r", "x", "1s"));
        assert!(
            wait_until(Duration::from_secs(5), || server.diagnostics().len() == n),
            "expected {n} stderr line(s):\n{}",
            server.stderr()
        );
        assert!(server.is_running(), "the server died after request {n}");
    }
    for line in server.diagnostics() {
        assert!(
            line.starts_with("mqrr: ") && line.contains("false") && line.contains("no reply"),
            "{line}"
        );
    }
}

#[test]
fn command_outliving_exec_timeout_is_abandoned() {
    let broker = Broker::start();
    let script = r#"if [ "$(cat)" = slow ]; then exec sleep 5; fi; echo fast"#;
    let mut server = Server::start(
        broker.port,
        &[
            "-t",
            "svc/slow",
            "--exec-timeout",
            "300ms",
            "--",
            "sh",
            "-c",
            script,
        ],
    );
    let asked = Instant::now();
    assert_unanswered(request(broker.port, "svc/slow", "svc/slow/r", "slow", "1s"));
    server.assert_says("exec-timeout", Duration::from_secs(3));
    // Abandoned at 300 ms, not after the command's 5 s.
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "{:?}",
        asked.elapsed()
    );
    let line = server.one_diagnostic();
    assert!(line.contains("300ms"), "{line}");
    assert!(server.is_running());
    assert_prints(
        request(broker.port, "svc/slow", "svc/slow/r", "quick", "5s"),
        "fast\n",
    );
}

#[test]
fn plain_sleep_past_exec_timeout_gets_no_reply() {
    let broker = Broker::start();
    let mut server = Server::start(
        broker.port,
        &[
            "-t",
            "svc/sleep",
            "--exec-timeout",
            "300ms",
            "--",
            "sleep",
            "5",
        ],
    );
    assert_unanswered(request(broker.port, "svc/sleep", "svc/sleep/r", "x", "1s"));
    server.assert_says("exec-timeout", Duration::from_secs(3));
    assert!(server.is_running());
}

// --- lifetime: -C, signals ---------------------------------------------------

#[test]
fn count_exits_zero_after_n_replies() {
    let broker = Broker::start();
    let mut server = Server::start(broker.port, &["-t", "svc/count", "-C", "2", "--echo"]);
    assert_prints(
        request(broker.port, "svc/count", "svc/count/r", "1", "5s"),
        "1\n",
    );
    assert!(server.is_running(), "exited after one reply of two");
    assert_prints(
        request(broker.port, "svc/count", "svc/count/r", "2", "5s"),
        "2\n",
    );
    let status = server
        .wait_exit(Duration::from_secs(5))
        .expect("the server did not exit after 2 replies");
    assert_eq!(status.code(), Some(0), "{}", server.stderr());
}

fn signal_exits_zero_after_clean_disconnect(sig: &str) {
    let broker = Broker::logging();
    let id = format!("serve-{sig}-{}", broker.port);
    let mut server = Server::start(broker.port, &["-i", &id, "-t", "svc/sig", "--echo"]);
    server.signal(sig);
    let status = server
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no exit within 5 s of SIG{sig}"));
    assert_eq!(status.code(), Some(0), "{}", server.stderr());
    assert!(server.diagnostics().is_empty(), "{}", server.stderr());
    let clean = format!("Client {id} disconnected.");
    assert!(
        wait_until(Duration::from_secs(5), || broker.log().contains(&clean)),
        "no clean DISCONNECT in the broker log:\n{}",
        broker.log()
    );
}

#[test]
fn sigterm_exits_zero_after_clean_disconnect() {
    signal_exits_zero_after_clean_disconnect("TERM");
}

#[test]
fn sigint_exits_zero_after_clean_disconnect() {
    signal_exits_zero_after_clean_disconnect("INT");
}

// --- concurrency ------------------------------------------------------------

/// Starts four requesters at once against a server answering with
/// `sleep 1; cat`, and returns how long until all four printed their own
/// payload.
fn four_concurrent_requests(jobs: &str) -> Duration {
    let broker = Broker::start();
    let _server = Server::start(
        broker.port,
        &[
            "-t",
            "svc/slow/+",
            "-j",
            jobs,
            "--",
            "sh",
            "-c",
            "sleep 1; cat",
        ],
    );
    let started = Instant::now();
    let children: Vec<(String, Child)> = (1..=4)
        .map(|n| {
            let payload = format!("payload-{n}");
            let (topic, reply) = (format!("svc/slow/{n}"), format!("reply/{n}"));
            let child = spawn_piped(
                mqrr_std()
                    .args(broker_args(broker.port))
                    .args(["-t", &topic, "-e", &reply, "-m", &payload, "-W", "10s"]),
            );
            (payload, child)
        })
        .collect();
    for (payload, child) in children {
        let out = child.wait_with_output().unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(0), "{payload}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{payload}\n"));
    }
    started.elapsed()
}

#[test]
fn jobs_4_answers_four_requests_at_once() {
    let took = four_concurrent_requests("4");
    eprintln!("-j 4, four 1 s requests: {took:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn jobs_1_answers_one_request_at_a_time() {
    let took = four_concurrent_requests("1");
    eprintln!("-j 1, four 1 s requests: {took:?}");
    assert!(took >= Duration::from_secs(4), "took {took:?}");
}

// --- no shell ------------------------------------------------------------------

#[test]
fn payload_reaches_the_command_verbatim_and_is_never_run() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("PWNED");
    let payload = format!(
        "$(touch {m}) `touch {m}`; touch {m} && echo \"$HOME\" '*'",
        m = marker.display()
    );
    for cmd in [&["cat"][..], &["sh", "-c", "cat"][..]] {
        let mut args = vec!["-t", "svc/inj", "--"];
        args.extend_from_slice(cmd);
        let server = Server::start(broker.port, &args);
        assert_prints(
            request(broker.port, "svc/inj", "svc/inj/r", &payload, "5s"),
            &format!("{payload}\n"),
        );
        drop(server);
    }
    assert!(!marker.exists(), "the payload was run by a shell");
}

// --- broker restarts ---------------------------------------------------------

#[test]
fn server_answers_again_after_the_broker_restarts() {
    let mut broker = Broker::start();
    let server = Server::start(broker.port, &["-t", "svc/up", "--echo"]);
    assert_prints(
        request(broker.port, "svc/up", "svc/up/r", "before", "5s"),
        "before\n",
    );

    broker.kill();
    server.assert_says("lost the connection", Duration::from_secs(10));
    broker.restart();
    let restarted = Instant::now();
    // The server says when it has subscribed again; from then on the same
    // process must answer, without being restarted.
    server.assert_says("serving again", Duration::from_secs(40));
    let back_after = restarted.elapsed();
    assert_prints(
        request(broker.port, "svc/up", "svc/up/r", "again", "5s"),
        "again\n",
    );
    let reconnected = server
        .stderr()
        .lines()
        .find(|l| l.contains("reconnected to"))
        .unwrap_or("(no reconnect line)")
        .to_string();
    eprintln!("serving again {back_after:?} after the broker restart; server said: {reconnected}");
}

#[test]
fn server_keeps_retrying_while_the_broker_stays_down() {
    let mut broker = Broker::start();
    let server = Server::start(broker.port, &["-t", "svc/retry", "--echo"]);
    broker.kill();
    // Server::start runs with --debug, which logs each failed attempt; two
    // of them mean the backoff loop is really retrying.
    assert!(
        wait_until(Duration::from_secs(20), || {
            server.stderr().matches("reconnect failed").count() >= 2
        }),
        "no repeated reconnect attempts:\n{}",
        server.stderr()
    );
    broker.restart();
    server.assert_says("serving again", Duration::from_secs(40));
    assert_prints(
        request(broker.port, "svc/retry", "svc/retry/r", "back", "5s"),
        "back\n",
    );
}

// --- connection failure and bad input ------------------------------------------

#[test]
fn first_connect_failing_is_exit_3_naming_host_and_port() {
    let port = free_port();
    let (out, took) = run_timed(
        mqrr()
            .arg("serve")
            .args(broker_args(port))
            .args(["-t", "svc/x", "--echo"])
            .timeout(Duration::from_secs(20)),
    );
    assert_failure(&out, 3, &[&format!("127.0.0.1:{port}")]);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// Runs `mqrr serve` against a port nobody listens on: exit 2 (not 3)
/// shows the input was refused before any connection attempt.
fn assert_usage_error(args: &[&str], needle: &str) {
    let out = mqrr()
        .arg("serve")
        .args(broker_args(free_port()))
        .args(args)
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_failure_in(&format!("{args:?}: "), &out, 2, &[needle]);
}

#[test]
fn no_answer_mode_is_a_usage_error() {
    assert_usage_error(&["-t", "svc/x"], "--echo");
}

#[test]
fn echo_and_reply_together_are_a_usage_error() {
    assert_usage_error(&["-t", "svc/x", "--echo", "--reply", "x"], "--reply");
}

#[test]
fn echo_and_a_command_together_are_a_usage_error() {
    assert_usage_error(&["-t", "svc/x", "--echo", "--", "cat"], "--echo");
}

#[test]
fn missing_command_is_a_usage_error() {
    assert_usage_error(&["-t", "svc/x", "--", "no-such-cmd-xyz"], "no-such-cmd-xyz");
}

#[test]
fn bad_filter_is_a_usage_error() {
    assert_usage_error(&["-t", "a/#/b", "--echo"], "a/#/b");
}

#[test]
fn wildcard_reply_topic_is_a_usage_error() {
    assert_usage_error(&["-t", "svc/x", "--reply-topic", "r/+", "--echo"], "r/+");
}

#[test]
fn zero_jobs_is_a_usage_error() {
    assert_usage_error(&["-t", "svc/x", "-j", "0", "--echo"], "0");
}

#[test]
fn zero_count_and_zero_exec_timeout_are_usage_errors() {
    assert_usage_error(&["-t", "svc/x", "-C", "0", "--echo"], "-C");
    assert_usage_error(
        &["-t", "svc/x", "--exec-timeout", "0", "--", "cat"],
        "--exec-timeout",
    );
}

#[test]
fn missing_topic_is_a_usage_error() {
    assert_usage_error(&["--echo"], "--topic");
}

// --- never its own replies (issue #11) -----------------------------------------

#[test]
fn a_server_never_answers_its_own_replies() {
    // `serve -t 'legacy/#' --reply-topic legacy/resp --echo`: the reply topic
    // is under the filter. Two requests must bring exactly two replies, in
    // order, with nothing between them (a storm would repeat the first).
    let broker = Broker::start();
    for (version, requester_v5) in [("311", false), ("5", false), ("5", true)] {
        let server = Server::start(
            broker.port,
            &[
                "-V",
                version,
                "-t",
                "legacy/#",
                "--reply-topic",
                "legacy/resp",
                "--echo",
            ],
        );
        let replies = Collector::start(broker.port, "legacy/resp", false);
        for n in ["one", "two"] {
            if requester_v5 {
                // An MQTT 5 requester naming the reply topic itself.
                request(broker.port, "legacy/req", "legacy/resp", n, "5s")
                    .assert()
                    .code(0);
            } else {
                mosquitto_pub(broker.port, "legacy/req", n, false);
            }
        }
        let seen = replies.wait_for(2, Duration::from_secs(10));
        assert_eq!(
            replies.payloads()[..2],
            ["one", "two"],
            "-V {version}, v5 requester {requester_v5}: {seen:?}"
        );
        // Nothing more came after the second: one more request shows
        // exactly one more reply, so a storm would have shown by now.
        mosquitto_pub(broker.port, "legacy/req", "three", false);
        replies.wait_for(3, Duration::from_secs(10));
        assert_eq!(replies.payloads(), ["one", "two", "three"]);
        drop(server);
    }
}

// --- another server with the same client id (issue #11) --------------------------

/// The waits a server announced in "reconnecting in …" lines, in order.
fn announced_waits(stderr: &str) -> Vec<Duration> {
    stderr
        .lines()
        .filter(|l| l.contains("client id same-id") && l.contains("reconnecting in"))
        .filter_map(|l| l.rsplit("reconnecting in ").next())
        .filter_map(|d| humantime::parse_duration(d.trim()).ok())
        .collect()
}

#[test]
fn two_servers_with_one_client_id_back_off_instead_of_flipping() {
    let broker = Broker::start();
    let a = Server::start(broker.port, &["-i", "same-id", "-t", "svc/a", "--echo"]);
    let b = Server::spawn_with_env(
        broker.port,
        &[],
        &["-i", "same-id", "-t", "svc/a", "--echo"],
    );
    // Each takes the session from the other; both must say so, once per
    // backoff step, and wait longer each time.
    assert!(
        wait_until(Duration::from_secs(20), || {
            announced_waits(&a.stderr()).len() >= 4 || announced_waits(&b.stderr()).len() >= 4
        }),
        "no repeated takeover lines:\nA:\n{}\nB:\n{}",
        a.stderr(),
        b.stderr()
    );
    for (name, server) in [("A", &a), ("B", &b)] {
        let waits = announced_waits(&server.stderr());
        assert!(
            waits.windows(2).all(|w| w[1] > w[0]),
            "{name}'s waits do not grow: {waits:?}\n{}",
            server.stderr()
        );
    }
}
