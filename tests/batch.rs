//! Batch requests (`mqrr -l`, spec §10) against real brokers and peers:
//! input order whatever order responses come in, line alignment with
//! unanswered requests, one at a time on MQTT 3.1.1, the broker's Receive
//! Maximum, a slow producer, a closed stdout, signals, and 10,000 requests
//! against `mqrr serve --echo`.
//!
//! Each test has its own broker; every wait is a condition with a bound.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use assert_cmd::assert::OutputAssertExt;
use common::*;
use paho_mqtt as mqtt;

/// `mqrr -p PORT -t NAME/req -e NAME/resp -l`.
fn batch(port: u16, name: &str) -> assert_cmd::Command {
    let mut cmd = mqrr();
    cmd.args(["-p", &port.to_string()])
        .args(["-t", &format!("{name}/req"), "-e", &format!("{name}/resp")])
        .arg("-l");
    cmd
}

/// The reply a responder sends for `req`: `payload` on the request's
/// Response Topic (else `fallback`), with the request's Correlation Data.
/// Set explicitly, so the reply can be sent while answering another request.
fn reply_to(req: &Request, fallback: &str, payload: impl Into<Vec<u8>>) -> Reply {
    let props = req.msg.properties();
    Reply {
        correlation: props.get_binary(mqtt::PropertyCode::CorrelationData),
        ..Reply::to(
            &props
                .get_string(mqtt::PropertyCode::ResponseTopic)
                .unwrap_or_else(|| fallback.to_string()),
            payload,
        )
    }
}

/// An MQTT 5 responder on `topic` that holds every request until it has
/// `n`, then answers them all, newest first (echoing each payload).
fn answering_reversed(port: u16, topic: &str, n: usize) -> Responder {
    let held = Mutex::new(Vec::new());
    Responder::start(port, topic, true, move |req| {
        let mut held = held.lock().unwrap();
        held.push(reply_to(req, "", req.payload.to_vec()));
        if held.len() < n {
            return Vec::new();
        }
        held.drain(..).rev().collect()
    })
}

/// A responder that never answers and records when each request arrived.
fn silent(port: u16, topic: &str, v5: bool) -> (Responder, Arc<Mutex<Vec<Instant>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let log = arrivals.clone();
    let r = Responder::start(port, topic, v5, move |_| {
        log.lock().unwrap().push(Instant::now());
        Vec::new()
    });
    (r, arrivals)
}

/// Lines `1..=n`, each on its own line.
fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("{i}\n")).collect()
}

// ---- order and alignment -------------------------------------------------

#[test]
fn results_come_out_in_input_order_when_responses_arrive_reversed() {
    let broker = Broker::start();
    let _r = answering_reversed(broker.port, "rev/req", 8);
    let input = numbered(8);
    let out = batch(broker.port, "rev")
        .args(["-W", "10s"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_prints(out, &input);
}

/// As `answering_reversed`, but answers the `n` held requests in a shuffled
/// order: a fixed permutation from a small LCG, so a failure repeats. `n`
/// stays within mosquitto's Receive Maximum (20), which bounds what a batch
/// has outstanding.
fn answering_shuffled(port: u16, topic: &str, n: usize, seed: u64) -> Responder {
    let held = Mutex::new(Vec::new());
    Responder::start(port, topic, true, move |req| {
        let mut held = held.lock().unwrap();
        held.push(reply_to(req, "", req.payload.to_vec()));
        if held.len() < n {
            return Vec::new();
        }
        let mut replies: Vec<Reply> = held.drain(..).collect();
        let mut state = seed;
        for i in (1..replies.len()).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            replies.swap(i, (state >> 33) as usize % (i + 1));
        }
        replies
    })
}

#[test]
fn shuffled_responses_come_out_in_input_order_through_a_format() {
    let broker = Broker::start();
    let _r = answering_shuffled(broker.port, "shuf/req", 16, 7);
    let input = numbered(16);
    let out = batch(broker.port, "shuf")
        .args(["-W", "10s", "-F", "%t:%p"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    let expected: String = (1..=16).map(|i| format!("shuf/resp:{i}\n")).collect();
    assert_prints(out, &expected);
}

#[test]
fn unordered_prints_responses_as_they_arrive() {
    let broker = Broker::start();
    let _r = answering_reversed(broker.port, "unord/req", 8);
    let out = batch(broker.port, "unord")
        .args(["-W", "10s", "--unordered"])
        .write_stdin(numbered(8))
        .output()
        .unwrap();
    let reversed: String = (1..=8).rev().map(|i| format!("{i}\n")).collect();
    assert_prints(out, &reversed);
}

#[test]
fn unanswered_lines_print_empty_and_the_rest_stay_aligned() {
    // The README's one-liner: device ids in, firmware versions out. "skip"
    // is never answered; "old" is answered without the pointer -j needs,
    // which is not a match: both print an empty line.
    let broker = Broker::start();
    let _r = Responder::start(broker.port, "inv/get", true, |req| {
        let id: serde_json::Value = match serde_json::from_slice(req.payload) {
            Ok(v) => v,
            Err(_) => return Vec::new(),
        };
        let id = id["id"].as_str().unwrap_or_default().to_string();
        let answer = match id.as_str() {
            "old" => serde_json::json!({ "id": id }),
            _ => serde_json::json!({ "id": id, "fw": format!("1.{id}") }),
        };
        vec![reply_to(req, "", answer.to_string())]
    });
    let input = "{\"id\":\"a\"}\nskip\n{\"id\":\"c\"}\n{\"id\":\"old\"}\n{\"id\":\"e\"}\n";
    let out = mqrr()
        .args(["-p", &broker.port_arg(), "-t", "inv/get", "-e", "inv/reply"])
        .args(["-l", "-j", "/fw", "-W", "500ms"])
        .write_stdin(input)
        .output()
        .unwrap();
    out.assert()
        .code(27)
        .stdout("1.a\n\n1.c\n\n1.e\n")
        .stderr("mqrr: no response on inv/reply within 500ms for 2 of 5 requests (lines 2, 4)\n");
}

#[test]
fn more_than_five_timeouts_name_the_first_five_lines() {
    let broker = Broker::start();
    let (_r, _) = silent(broker.port, "many/req", true);
    let out = batch(broker.port, "many")
        .args(["-W", "200ms"])
        .write_stdin(numbered(7))
        .output()
        .unwrap();
    out.assert().code(27).stdout("\n".repeat(7)).stderr(
        "mqrr: no response on many/resp within 200ms for 7 of 7 requests \
             (lines 1, 2, 3, 4, 5, …)\n",
    );
}

#[test]
fn a_duplicate_answer_is_printed_once() {
    let broker = Broker::start();
    let _r = Responder::start(broker.port, "dup/req", true, |req| {
        let r = || reply_to(req, "", req.payload.to_vec());
        vec![r(), r()]
    });
    let input = numbered(20);
    assert_prints(
        batch(broker.port, "dup")
            .args(["-W", "10s"])
            .write_stdin(input.clone()),
        &input,
    );
}

#[test]
fn empty_input_prints_nothing_and_exits_0() {
    let broker = Broker::start();
    assert_prints(batch(broker.port, "empty").write_stdin(""), "");
}

#[test]
fn lines_are_sent_as_they_are_without_their_newline() {
    // An empty line is an empty request; CRLF keeps its \r (as
    // mosquitto_pub -l); the last line needs no newline.
    let broker = Broker::start();
    let requests = Collector::start(broker.port, "raw/req", true);
    let _r = Responder::echo(broker.port, "raw/req", "raw/resp");
    let out = batch(broker.port, "raw")
        .args(["-W", "10s"])
        .write_stdin(&b"a\n\nc\r\n\xff\x00d"[..])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(out.stdout, b"a\n\nc\r\n\xff\x00d\n");
    let seen = requests.wait_for(4, Duration::from_secs(10));
    let payloads: Vec<&[u8]> = seen.iter().map(|m| &m.payload[..]).collect();
    assert_eq!(payloads, [&b"a"[..], b"", b"c\r", b"\xff\x00d"]);
}

#[test]
fn a_response_with_someone_elses_correlation_data_answers_nothing() {
    let broker = Broker::start();
    let _r = Responder::start(broker.port, "foreign/req", true, |req| {
        let foreign = Reply {
            correlation: Some(b"not-mqrr".to_vec()),
            ..reply_to(req, "", "foreign")
        };
        vec![foreign, reply_to(req, "", req.payload.to_vec())]
    });
    let input = numbered(5);
    assert_prints(
        batch(broker.port, "foreign")
            .args(["-W", "10s"])
            .write_stdin(input.clone()),
        &input,
    );
}

/// An MQTT 3.1.1 responder on mosquitto: its replies carry no Correlation
/// Data, whatever the requester speaks.
fn uncorrelated(port: u16, name: &str) -> Responder {
    let resp = format!("{name}/resp");
    Responder::start(port, &format!("{name}/req"), false, move |req| {
        vec![Reply::to(&resp, req.payload.to_ascii_uppercase())]
    })
}

#[test]
fn responses_without_correlation_data_need_correlation_off_when_several_are_outstanding() {
    let broker = Broker::start();
    let _r = uncorrelated(broker.port, "nocorr");
    // One request outstanding: a response without correlation data can
    // only answer it (--correlation auto, as in request mode).
    assert_prints(
        batch(broker.port, "nocorr")
            .args(["-W", "10s"])
            .write_stdin(
                "a
",
            ),
        "A
",
    );
    // Three sent at once: which one a response answers is anyone's guess.
    let out = batch(broker.port, "nocorr")
        .args(["-W", "500ms"])
        .write_stdin("a\nb\nc\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(27), "{}", describe(&out));
    assert_eq!(out.stdout, b"\n\n\n");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("3 responses without correlation data could not be matched")
            && stderr.contains("--correlation off"),
        "{stderr}"
    );
    // One at a time, they are matched in order.
    assert_prints(
        batch(broker.port, "nocorr")
            .args(["-W", "10s", "--correlation", "off"])
            .write_stdin("a\nb\nc\n"),
        "A\nB\nC\n",
    );
}

#[test]
fn a_line_the_broker_cannot_take_prints_empty_and_exits_4_naming_it() {
    // Maximum Packet Size 200 (announced in CONNACK): line 2 does not fit.
    // The other lines are answered; one stderr line names the refusal.
    let broker = Broker::with_config("allow_anonymous true\nmax_packet_size 200\n");
    let _r = Responder::echo(broker.port, "big/req", "big/resp");
    let input = format!("one\n{}\nthree\n", "x".repeat(300));
    let out = batch(broker.port, "big")
        .args(["-W", "10s"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    assert_eq!(out.stdout, b"one\n\nthree\n", "{}", describe(&out));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("mqrr: line 2: request is ")
            && stderr.contains("accepts at most 200; refused 1 of 3 requests (line 2)\n"),
        "{stderr}"
    );
}

#[test]
fn requests_the_broker_refuses_to_take_print_empty_and_exit_4() {
    // An ACL without write access to the request topic: mosquitto answers
    // each QoS 1 PUBLISH with PUBACK 0x87 (not authorized).
    let broker = Broker::with_files(
        &[("acl", b"topic read acl/resp\n")],
        "allow_anonymous true\nacl_file {dir}/acl\n",
    );
    let out = batch(broker.port, "acl")
        .args(["-W", "10s", "-q", "1"])
        .write_stdin("a\nb\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    assert_eq!(out.stdout, b"\n\n", "{}", describe(&out));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("mqrr: line 1: ")
            && stderr.contains("not authorized")
            && stderr.contains("; refused 2 of 2 requests (lines 1, 2)\n"),
        "{stderr}"
    );
}

// ---- how many at once ----------------------------------------------------

/// Runs a batch of `lines` requests nobody answers, with `-W 1s`, and
/// returns when each reached the responder and mqrr's stderr.
fn unanswered_batch(
    broker: &Broker,
    name: &str,
    lines: usize,
    args: &[&str],
) -> (Vec<Instant>, String) {
    let (_r, arrivals) = silent(broker.port, &format!("{name}/req"), true);
    let out = batch(broker.port, name)
        .args(["--debug", "-W", "1s"])
        .args(args)
        .write_stdin(numbered(lines))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(27), "{}", describe(&out));
    assert_eq!(out.stdout, "\n".repeat(lines).as_bytes());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let arrived = wait_until(Duration::from_secs(10), || {
        arrivals.lock().unwrap().len() == lines
    });
    assert!(arrived, "not every request arrived: {stderr}");
    let arrivals = arrivals.lock().unwrap().clone();
    (arrivals, stderr)
}

/// Asserts that request `limit + 1` reached the responder only after the
/// first one timed out: until then `limit` were outstanding, unanswered.
#[track_caller]
fn assert_waited_for_a_timeout(arrivals: &[Instant], limit: usize, stderr: &str) {
    let gap = arrivals[limit] - arrivals[0];
    assert!(
        gap >= Duration::from_millis(500),
        "request {} came {gap:?} after the first: more than {limit} outstanding\n{stderr}",
        limit + 1
    );
}

#[test]
fn mqtt5_batch_keeps_no_more_outstanding_than_the_brokers_receive_maximum() {
    // mosquitto announces max_inflight_messages as its Receive Maximum.
    let broker = Broker::with_config("allow_anonymous true\nmax_inflight_messages 5\n");
    let (arrivals, stderr) = unanswered_batch(&broker, "rm", 8, &["--inflight", "64"]);
    assert!(stderr.contains("(Receive Maximum 5)"), "{stderr}");
    assert!(
        stderr.contains("batch: up to 5 requests outstanding (--inflight 64, Receive Maximum 5)"),
        "{stderr}"
    );
    assert_waited_for_a_timeout(&arrivals, 5, &stderr);
}

#[test]
fn inflight_below_the_receive_maximum_is_the_limit() {
    let broker = Broker::start();
    let (arrivals, stderr) = unanswered_batch(&broker, "inf", 4, &["--inflight", "2"]);
    assert_waited_for_a_timeout(&arrivals, 2, &stderr);
}

#[test]
fn mqtt311_sends_one_request_at_a_time_in_order_on_nats() {
    // nats-server speaks only MQTT 3.1.1: no correlation data, so the next
    // line goes out only once the previous one is answered or timed out.
    let nats = Nats::start();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let log = arrivals.clone();
    let _r = Responder::start(nats.port, "seq/req", false, move |req| {
        log.lock().unwrap().push(Instant::now());
        match req.payload {
            b"skip" => Vec::new(),
            p => vec![Reply::to("seq/resp", p.to_ascii_uppercase())],
        }
    });
    let out = batch(nats.port, "seq")
        .args(["-W", "1s"])
        .write_stdin("skip\nb\nc\nd\n")
        .output()
        .unwrap();
    out.assert()
        .code(27)
        .stdout("\nB\nC\nD\n")
        .stderr("mqrr: no response on seq/resp within 1s for 1 of 4 requests (line 1)\n");
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 4);
    assert_waited_for_a_timeout(&arrivals, 1, "");
}

#[test]
fn correlation_off_sends_one_request_at_a_time_on_mqtt5() {
    let broker = Broker::start();
    let (arrivals, stderr) = unanswered_batch(&broker, "off", 3, &["--correlation", "off"]);
    assert!(
        stderr.contains("batch: one request at a time (--correlation off: no correlation data)"),
        "{stderr}"
    );
    assert_waited_for_a_timeout(&arrivals, 1, &stderr);
}

#[test]
fn own_requests_are_never_answers_when_the_filter_matches_the_topic() {
    // -e own/# matches -t own/req: MQTT 5 subscribes with No Local, MQTT
    // 3.1.1 drops the echo of each request it published.
    for version in ["5", "311"] {
        let broker = Broker::start();
        let _r = Responder::start(broker.port, "own/req", version == "5", |req| {
            vec![reply_to(req, "own/resp", req.payload.to_ascii_uppercase())]
        });
        let out = mqrr()
            .args(["-p", &broker.port_arg(), "-V", version])
            .args(["-t", "own/req", "-e", "own/#", "-l", "-W", "10s"])
            .write_stdin("a\nb\nc\n")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "-V {version}: {}",
            describe(&out)
        );
        assert_eq!(out.stdout, b"A\nB\nC\n", "-V {version}: {}", describe(&out));
    }
}

// ---- live input and output -----------------------------------------------

/// A batch whose stdin the test writes line by line and whose stdout it
/// reads line by line.
struct Live {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Live {
    fn spawn(args: &[&str]) -> Live {
        let mut child = mqrr_std()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mqrr");
        let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let (tx, lines) = mpsc::channel();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let readers = vec![
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }),
            std::thread::spawn(move || {
                let mut text = String::new();
                let mut err = BufReader::new(err);
                while err.read_line(&mut text).is_ok_and(|n| n > 0) {
                    sink.lock().unwrap().push_str(&text);
                    text.clear();
                }
            }),
        ];
        Live {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
            readers,
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    #[track_caller]
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("no output line ({e}); stderr: {}", self.stderr()))
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (bounded) until the `--debug` trace has a line for `step`.
    fn wait_for_debug(&self, step: &str) -> bool {
        wait_until(Duration::from_secs(10), || {
            self.stderr()
                .lines()
                .filter_map(debug_message)
                .any(|m| m.starts_with(step))
        })
    }

    /// Closes stdin and waits (bounded) for the exit: the status, the
    /// output lines not read yet, stderr.
    fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        self.stdin = None;
        let mut status = None;
        let exited = wait_until(Duration::from_secs(10), || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        assert!(exited, "mqrr still running; stderr: {}", self.stderr());
        for r in self.readers.drain(..) {
            r.join().unwrap();
        }
        let rest = self.lines.try_iter().collect();
        (status.unwrap(), rest, self.stderr())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_slow_producer_gets_each_answer_before_it_writes_the_next_line() {
    let broker = Broker::start();
    let _r = Responder::echo(broker.port, "slow/req", "slow/resp");
    let port = broker.port_arg();
    let mut run = Live::spawn(&[
        "-p",
        &port,
        "-t",
        "slow/req",
        "-e",
        "slow/resp",
        "-l",
        "-W",
        "10s",
    ]);
    for line in ["one", "two", "three"] {
        run.send(line);
        assert_eq!(run.next_line(), line);
    }
    let (status, rest, stderr) = run.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(rest.is_empty() && stderr.is_empty(), "{rest:?} {stderr}");
}

#[test]
fn sigint_prints_what_was_answered_and_disconnects_cleanly() {
    // Line 1 is never answered, line 2 is: held for input order until the
    // signal, then printed after an empty line 1.
    let broker = Broker::logging();
    let _r = Responder::start(broker.port, "int/req", true, |req| match req.payload {
        b"hang" => Vec::new(),
        p => vec![reply_to(req, "", p.to_vec())],
    });
    let id = format!("mqrr-batch-int-{}", free_port());
    let port = broker.port_arg();
    let mut run = Live::spawn(&[
        "--debug", "-i", &id, "-p", &port, "-t", "int/req", "-e", "int/resp", "-l", "-W", "30s",
    ]);
    run.send("hang");
    run.send("two");
    assert!(run.wait_for_debug("received PUBLISH"), "{}", run.stderr());
    send_signal(run.child.id(), "INT");
    let (status, lines, stderr) = run.finish();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(lines, ["", "two"], "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let log_has = |s: &str| wait_until(Duration::from_secs(5), || broker.log().contains(s));
    assert!(
        log_has(&format!("Received DISCONNECT from {id}")),
        "{}",
        broker.log()
    );
}

#[test]
fn a_lost_connection_ends_the_batch_with_what_was_answered() {
    let mut broker = Broker::start();
    let _r = Responder::start(broker.port, "lost/req", true, |req| match req.payload {
        b"hang" => Vec::new(),
        p => vec![reply_to(req, "", p.to_vec())],
    });
    let port = broker.port_arg();
    let mut run = Live::spawn(&[
        "--debug",
        "-p",
        &port,
        "-t",
        "lost/req",
        "-e",
        "lost/resp",
        "-l",
        "-W",
        "30s",
    ]);
    run.send("one");
    run.send("hang");
    assert_eq!(run.next_line(), "one");
    broker.kill();
    let (status, rest, stderr) = run.finish();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(rest.is_empty(), "{rest:?}");
    let diagnostics: Vec<&str> = stderr
        .lines()
        .filter(|l| debug_message(l).is_none())
        .collect();
    assert_eq!(diagnostics.len(), 1, "{stderr}");
    assert!(
        diagnostics[0].contains(&format!("connection to localhost:{port}")),
        "{stderr}"
    );
}

#[test]
fn a_closed_stdout_ends_the_batch_quietly() {
    // 1000 answers of 1000 bytes overflow the pipe once the reader is gone.
    let broker = Broker::start();
    let _r = Responder::echo(broker.port, "head/req", "head/resp");
    let line = "x".repeat(1000);
    let input = temp_file(format!("{line}\n").repeat(1000).as_bytes());
    let mut child = mqrr_std()
        .args([
            "-p",
            &broker.port_arg(),
            "-t",
            "head/req",
            "-e",
            "head/resp",
            "-l",
        ])
        .stdin(std::fs::File::open(input.path()).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first.trim_end(), line);
    drop(stdout);
    let mut status = None;
    let exited = wait_until(Duration::from_secs(10), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(exited, "still running after stdout closed: {stderr}");
    assert_eq!(status.unwrap().code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

// ---- against mqrr serve --------------------------------------------------

/// `mqrr serve --echo` on `filter`, subscribed when `start` returns.
struct EchoServer {
    child: Child,
    ready: Arc<AtomicBool>,
}

impl EchoServer {
    fn start(port: u16, filter: &str) -> EchoServer {
        let mut child = mqrr_std()
            .arg("serve")
            .args(["-p", &port.to_string(), "-t", filter, "--echo", "--debug"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let ready = Arc::new(AtomicBool::new(false));
        let seen = ready.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if debug_message(&line).is_some_and(|m| m.starts_with("serving")) {
                    seen.store(true, Ordering::SeqCst);
                }
            }
        });
        let server = EchoServer { child, ready };
        assert!(
            wait_until(Duration::from_secs(10), || server
                .ready
                .load(Ordering::SeqCst)),
            "serve never subscribed"
        );
        server
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ten_thousand_requests_against_serve_echo_are_each_answered_once() {
    let broker = Broker::start();
    let requests = Collector::start(broker.port, "tk/req", true);
    let _server = EchoServer::start(broker.port, "tk/req");
    let input = numbered(10_000);
    let out = batch(broker.port, "tk")
        .args(["-W", "10s"])
        .write_stdin(input.clone())
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(
        out.stdout == input.as_bytes(),
        "output differs from the input"
    );
    // Each line went out exactly once.
    let seen = requests.wait_for(10_000, Duration::from_secs(30));
    let mut payloads: Vec<usize> = seen
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).parse().unwrap())
        .collect();
    payloads.sort_unstable();
    assert_eq!(payloads, (1..=10_000).collect::<Vec<_>>());
}

// ---- usage ---------------------------------------------------------------

#[test]
fn options_that_make_no_sense_with_lines_are_usage_errors() {
    // Nothing listens on the port: a usage error comes before any network.
    let port = free_port().to_string();
    for (args, needles) in [
        (&["-l", "-C", "2"][..], &["--lines", "--count"][..]),
        (&["-l", "--resend", "1s"], &["--lines", "--resend"]),
        (&["-l", "-m", "x"], &["--lines", "--message"]),
        (&["-l", "-s"], &["--lines", "--stdin"]),
        (&["--inflight", "5"], &["--lines"]),
        (&["--unordered"], &["--lines"]),
        (&["-l", "--inflight", "0"], &["--inflight"]),
    ] {
        let out = mqrr()
            .args(["-p", &port, "-t", "u/req", "-e", "u/resp"])
            .args(args)
            .write_stdin("x\n")
            .output()
            .unwrap();
        assert_failure_in(&format!("{args:?}: "), &out, 2, needles);
    }
}
