//! `mqrr pub` (spec §7) side by side with mosquitto_pub: the same command
//! line through both tools on one broker, a raw subscriber comparing what
//! arrives (payload bytes, QoS, retain flag, every MQTT 5 property), and the
//! exit statuses mqrr adds: 4 for a refused publish, 1 for a lost
//! connection saying how many messages it took, 27 for `-W`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;

const BOUND: Duration = Duration::from_secs(10);

/// `mqrr pub -h 127.0.0.1 -p PORT ARGS…`.
fn pub_cmd(port: u16, args: &[&str]) -> Command {
    let mut cmd = mqrr_std();
    cmd.arg("pub").args(broker_args(port)).args(args);
    cmd
}

/// `mosquitto_pub -h 127.0.0.1 -p PORT ARGS…`, with no options file.
fn mosquitto_pub_cmd(port: u16, args: &[&str]) -> Command {
    let mut cmd = Command::new("mosquitto_pub");
    cmd.args(broker_args(port))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent");
    cmd
}

/// Runs `cmd` with `stdin` as its input, to its end.
fn run_with_stdin(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut pipe = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // A writer thread: a big input must not deadlock against the output pipes.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    // A bound for a hang only: the 70,000-line run takes seconds.
    let out = wait_output(child, Duration::from_secs(60));
    writer.join().unwrap();
    out
}

/// Waits (bounded) for `child` to exit; kills it and fails on a hang.
fn wait_output(mut child: Child, bound: Duration) -> Output {
    let end = Instant::now() + bound;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > end {
            let _ = child.kill();
            panic!(
                "still running after {bound:?}: {:?}",
                child.wait_with_output()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

/// The messages both tools published with the same arguments and input, on
/// one broker, as a subscriber on `topic` saw them: (mqrr's, mosquitto_pub's).
fn side_by_side(args: &[&str], stdin: &[u8], expected: usize) -> (Vec<Seen>, Vec<Seen>) {
    let broker = Broker::start();
    let topic = args
        .iter()
        .position(|a| *a == "-t")
        .map(|i| args[i + 1])
        .expect("-t in args");
    let seen = Collector::start(broker.port, topic, true);
    let theirs = run_with_stdin(mosquitto_pub_cmd(broker.port, args), stdin);
    assert_eq!(
        theirs.status.code(),
        Some(0),
        "mosquitto_pub {args:?}: {}",
        describe(&theirs)
    );
    seen.wait_for(expected, BOUND);
    let ours = run_with_stdin(pub_cmd(broker.port, args), stdin);
    assert_eq!(
        ours.status.code(),
        Some(0),
        "mqrr pub {args:?}: {}",
        describe(&ours)
    );
    assert!(
        ours.stdout.is_empty() && ours.stderr.is_empty(),
        "{}",
        describe(&ours)
    );
    let all = seen.wait_for(2 * expected, BOUND);
    let (theirs, ours) = all.split_at(expected);
    (ours.to_vec(), theirs.to_vec())
}

/// Every byte value, NULs and newlines included.
fn binary() -> Vec<u8> {
    let mut data: Vec<u8> = (0..=255u8).collect();
    data.extend_from_slice(b"\0\0\r\n\xff\xfe end");
    data
}

#[test]
fn every_payload_option_publishes_what_mosquitto_pub_publishes() {
    let file = temp_file(&binary());
    let empty = temp_file(b"");
    let (file, empty) = (
        file.path().to_str().unwrap(),
        empty.path().to_str().unwrap(),
    );
    let lines = b"first\n\nthird with spaces  \ncrlf\r\n\xff\xfe binary\nlast without newline";
    let cases: &[(&[&str], &[u8], usize)] = &[
        (&["-t", "p/m", "-m", "hello world"], b"", 1),
        (&["-t", "p/m", "-m", ""], b"", 1),
        (&["-t", "p/n", "-n"], b"", 1),
        (&["-t", "p/f", "-f", file], b"", 1),
        (&["-t", "p/f", "-f", empty], b"", 1),
        (&["-t", "p/s", "-s"], &binary(), 1),
        (&["-t", "p/q", "-q", "1", "-m", "one"], b"", 1),
        (&["-t", "p/q", "-q", "2", "-m", "two"], b"", 1),
        (&["-t", "p/l", "-l"], lines, 6),
        (&["-t", "p/l", "-l", "-q", "1"], lines, 6),
        (&["-t", "p/l", "-l", "-q", "2"], lines, 6),
        (
            &["-t", "p/r", "--repeat", "3", "-q", "1", "-m", "again"],
            b"",
            3,
        ),
        (
            &[
                "-t",
                "p/d",
                "-m",
                "with properties",
                "-D",
                "publish",
                "content-type",
                "text/plain",
                "-D",
                "publish",
                "user-property",
                "k1",
                "v1",
                "-D",
                "publish",
                "message-expiry-interval",
                "60",
                "-D",
                "publish",
                "user-property",
                "k2",
                "v2",
                "-D",
                "publish",
                "payload-format-indicator",
                "1",
                "-D",
                "publish",
                "response-topic",
                "p/reply",
                "-D",
                "publish",
                "correlation-data",
                "c0ffee",
            ],
            b"",
            1,
        ),
    ];
    for (args, stdin, n) in cases {
        let (ours, theirs) = side_by_side(args, stdin, *n);
        assert_eq!(ours, theirs, "{args:?}");
    }
}

#[test]
fn the_properties_of_a_d_publish_arrive_in_order() {
    // The side-by-side case above compares with mosquitto_pub; this pins
    // that the comparison saw the properties at all.
    let (ours, _) = side_by_side(
        &[
            "-t",
            "p/d2",
            "-m",
            "x",
            "-D",
            "publish",
            "user-property",
            "a",
            "1",
            "-D",
            "publish",
            "user-property",
            "b",
            "2",
            "-D",
            "publish",
            "content-type",
            "c/t",
        ],
        b"",
        1,
    );
    assert_eq!(
        ours[0].properties,
        [
            (0x03, "c/t".to_string()),
            (0x26, "a=1".into()),
            (0x26, "b=2".into())
        ]
    );
}

/// What a new subscriber to `topic` is given as its retained message.
fn retained(port: u16, topic: &str) -> Seen {
    let c = Collector::start(port, topic, true);
    c.wait_for(1, BOUND)[0].clone()
}

#[test]
fn retained_messages_match_mosquitto_pub() {
    let broker = Broker::start();
    let port = broker.port;
    for args in [
        &["-t", "p/ret", "-r", "-m", "kept"][..],
        &["-t", "p/ret", "-r", "-q", "1", "-m", "kept"],
    ] {
        let out = mosquitto_pub_cmd(port, args).output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        let theirs = retained(port, "p/ret");
        clear_retained(port, "p/ret");
        let out = pub_cmd(port, args).output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        let ours = retained(port, "p/ret");
        assert!(ours.retained, "{ours:?}");
        assert_eq!(ours, theirs, "{args:?}");
        clear_retained(port, "p/ret");
    }
    // -n -r clears a retained message: a new subscriber gets the live
    // marker first, not "old".
    let out = pub_cmd(port, &["-t", "p/ret", "-r", "-m", "old"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let out = pub_cmd(port, &["-t", "p/ret", "-r", "-n"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let c = Collector::start(port, "p/ret", true);
    mosquitto_pub(port, "p/ret", "marker", false);
    c.wait_for(1, BOUND);
    assert_eq!(c.payloads(), ["marker"]);
}

/// A process with stdin piped and stderr collected by a thread, so the test
/// can feed it line by line and wait for `--debug` steps.
struct Piped {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Piped {
    fn spawn(mut cmd: Command) -> Piped {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take();
        let pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let buf = stderr.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut s = buf.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Piped {
            child,
            stdin,
            stderr,
            reader: Some(reader),
        }
    }

    fn write(&mut self, data: &[u8]) {
        let pipe = self.stdin.as_mut().expect("stdin still open");
        pipe.write_all(data).unwrap();
        pipe.flush().unwrap();
    }

    fn close(&mut self) {
        self.stdin = None;
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// How many `--debug` lines start with `step`.
    fn debug_count(&self, step: &str) -> usize {
        self.stderr()
            .lines()
            .filter_map(debug_message)
            .filter(|m| m.starts_with(step))
            .count()
    }

    #[track_caller]
    fn wait_for_debug(&self, step: &str, n: usize) {
        assert!(
            wait_until(BOUND, || self.debug_count(step) >= n),
            "no {n}× {step}: {}",
            self.stderr()
        );
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes stdin and waits (bounded) for the exit: its status and all
    /// of stderr.
    fn finish(mut self) -> (ExitStatus, String) {
        self.close();
        self.exit()
    }

    /// Waits (bounded) for the exit with stdin still open.
    fn exit(mut self) -> (ExitStatus, String) {
        let mut status = None;
        let exited = wait_until(BOUND, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        if !exited {
            let _ = self.child.kill();
            panic!("still running after {BOUND:?}: {}", self.stderr());
        }
        if let Some(r) = self.reader.take() {
            r.join().unwrap();
        }
        (status.unwrap(), self.stderr())
    }
}

impl Drop for Piped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn lines_go_out_as_they_are_written_not_at_the_end_of_stdin() {
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "p/slow", true);
    for (tool, qos) in [
        ("mosquitto_pub", "0"),
        ("mqrr", "0"),
        ("mqrr", "1"),
        ("mqrr", "2"),
    ] {
        let args = ["-t", "p/slow", "-l", "-q", qos];
        let mut run = Piped::spawn(match tool {
            "mqrr" => pub_cmd(broker.port, &args),
            _ => mosquitto_pub_cmd(broker.port, &args),
        });
        let before = seen.seen().len();
        for i in 1..=5 {
            run.write(format!("{tool} line {i}\n").as_bytes());
            // Each line reaches the subscriber while the producer still
            // holds stdin open and has not written the next one.
            let got = seen.wait_for(before + i, BOUND);
            assert_eq!(
                got.last().unwrap().payload,
                format!("{tool} line {i}").as_bytes(),
                "{tool} -q {qos}"
            );
        }
        let (status, stderr) = run.finish();
        assert_eq!(status.code(), Some(0), "{tool}: {stderr}");
        assert_eq!(seen.seen().len(), before + 5, "{tool} -q {qos}");
    }
}

#[test]
fn mqrr_sends_nul_bytes_in_a_line_where_mosquitto_pub_truncates() {
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "p/nul", true);
    let input = b"x\0y\nz\n";
    let out = run_with_stdin(pub_cmd(broker.port, &["-t", "p/nul", "-l"]), input);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let got = seen.wait_for(2, BOUND);
    assert_eq!(got[0].payload, b"x\0y");
    assert_eq!(got[1].payload, b"z");
    // mosquitto_pub 2.0 stops the line at the NUL and loses the newline
    // with it: one message "x" for both lines.
    let out = run_with_stdin(
        mosquitto_pub_cmd(broker.port, &["-t", "p/nul", "-l"]),
        input,
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let got = seen.wait_for(3, BOUND);
    assert_eq!(got[2].payload, b"x");
}

#[test]
fn an_empty_stdin_publishes_nothing_with_l_and_an_empty_message_with_s() {
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "p/empty", true);
    for cmd in [
        pub_cmd(broker.port, &["-t", "p/empty", "-l"]),
        mosquitto_pub_cmd(broker.port, &["-t", "p/empty", "-l"]),
    ] {
        let out = run_with_stdin(cmd, b"");
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    }
    // -s reads an empty stdin as an empty message (mosquitto_pub refuses
    // with "Zero length input", exit 1).
    let out = run_with_stdin(pub_cmd(broker.port, &["-t", "p/empty", "-s"]), b"");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let theirs = run_with_stdin(
        mosquitto_pub_cmd(broker.port, &["-t", "p/empty", "-s"]),
        b"",
    );
    assert_eq!(theirs.status.code(), Some(1), "{}", describe(&theirs));
    mosquitto_pub(broker.port, "p/empty", "marker", false);
    let got = seen.wait_for(2, BOUND);
    assert_eq!(got[0].payload, b"", "{got:?}");
    assert_eq!(got[1].payload, b"marker", "{got:?}");
}

#[test]
fn a_10_mb_line_arrives_whole_between_its_neighbours() {
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "p/big", true);
    let big: Vec<u8> = (0..10 * 1024 * 1024)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let mut input = b"before\n".to_vec();
    input.extend_from_slice(&big);
    input.extend_from_slice(b"\nafter\n");
    for qos in ["0", "1"] {
        let before = seen.seen().len();
        let out = run_with_stdin(
            pub_cmd(broker.port, &["-t", "p/big", "-l", "-q", qos]),
            &input,
        );
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let got = seen.wait_for(before + 3, BOUND);
        let got = &got[before..];
        assert_eq!(got[0].payload, b"before");
        assert!(
            got[1].payload == big,
            "the big line differs ({} bytes)",
            got[1].payload.len()
        );
        assert_eq!(got[2].payload, b"after");
    }
}

/// A broker whose dynamic security plugin lets anonymous clients subscribe
/// to anything and publish only on `allowed/#`: a publish elsewhere gets a
/// negative PUBACK/PUBREC (0x87) on MQTT 5.
fn broker_refusing_publishes() -> Broker {
    let dynsec = br#"{
  "defaultACLAccess": {"publishClientSend": false, "publishClientReceive": true,
                       "subscribe": true, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "publisher"}]}],
  "roles": [{"rolename": "publisher", "acls": [
    {"acltype": "publishClientSend", "topic": "allowed/#", "priority": 0, "allow": true}
  ]}],
  "anonymousGroup": "anonymous"
}"#;
    Broker::with_dynsec(dynsec)
}

#[test]
fn a_refused_publish_exits_4_naming_topic_and_reason_where_mosquitto_pub_warns() {
    let broker = broker_refusing_publishes();
    let port = broker.port;
    let at = format!("127.0.0.1:{port}");
    for qos in ["1", "2"] {
        let out = pub_cmd(port, &["-t", "denied/x", "-q", qos, "-m", "no"])
            .output()
            .unwrap();
        assert_failure(&out, 4, &["denied/x", "not authorized (0x87)", &at]);
        // mosquitto_pub 2.0 only warns and exits 0.
        let theirs = mosquitto_pub_cmd(port, &["-V", "5", "-t", "denied/x", "-q", qos, "-m", "no"])
            .output()
            .unwrap();
        assert_eq!(theirs.status.code(), Some(0), "{}", describe(&theirs));
        assert!(
            String::from_utf8_lossy(&theirs.stderr)
                .contains("Warning: Publish 1 failed: Not authorized."),
            "{}",
            describe(&theirs)
        );
    }
    // -l says which line; the control topic is allowed.
    let out = run_with_stdin(
        pub_cmd(port, &["-t", "denied/l", "-q", "1", "-l"]),
        b"a\nb\n",
    );
    assert_failure(&out, 4, &["line 1", "denied/l", "not authorized (0x87)"]);
    let out = run_with_stdin(
        pub_cmd(port, &["-t", "allowed/l", "-q", "1", "-l"]),
        b"a\nb\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn a_line_over_the_brokers_maximum_packet_size_exits_4_naming_the_line() {
    let broker = Broker::with_config("allow_anonymous true\nmax_packet_size 100\n");
    let mut input = b"short\n".to_vec();
    input.extend_from_slice(&[b'x'; 200]);
    input.push(b'\n');
    let out = run_with_stdin(pub_cmd(broker.port, &["-t", "p/max", "-l"]), &input);
    assert_failure(&out, 4, &["line 2", "accepts at most 100"]);
}

#[test]
fn the_will_fires_when_pub_l_is_killed_and_not_on_a_clean_exit() {
    let broker = Broker::start();
    let will = Collector::start(broker.port, "p/will", true);
    let seen = Collector::start(broker.port, "p/wl", true);
    for version in ["5", "311"] {
        let args = |payload: &'static str| {
            let mut a = vec!["--debug", "-t", "p/wl", "-l", "-q", "1", "-V", version];
            a.extend(["--will-topic", "p/will", "--will-payload", payload]);
            a
        };
        // Clean: end of stdin.
        let mut run = Piped::spawn(pub_cmd(broker.port, &args("clean")));
        run.write(b"one\n");
        run.wait_for_debug("message 1 acknowledged", 1);
        let (status, stderr) = run.finish();
        assert_eq!(status.code(), Some(0), "{stderr}");
        // Clean: a one-shot publish (its DISCONNECT goes right behind it).
        let out = pub_cmd(broker.port, &["-t", "p/wl", "-V", version, "-m", "three"])
            .args(["--will-topic", "p/will", "--will-payload", "clean"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        // Clean: SIGTERM while stdin is open.
        let run = Piped::spawn(pub_cmd(broker.port, &args("clean")));
        run.wait_for_debug("CONNACK", 1);
        send_signal(run.pid(), "TERM");
        let (status, stderr) = run.exit();
        assert_eq!(status.code(), Some(143), "{stderr}");
        // Killed: the broker publishes the will.
        let mut run = Piped::spawn(pub_cmd(broker.port, &args("killed")));
        run.write(b"two\n");
        run.wait_for_debug("message 1 acknowledged", 1);
        send_signal(run.pid(), "KILL");
        run.finish();
    }
    let got = will.wait_for(2, BOUND);
    assert_eq!(will.payloads(), ["killed", "killed"], "{got:?}");
    seen.wait_for(6, BOUND);
    assert_eq!(
        seen.payloads(),
        ["one", "three", "two", "one", "three", "two"]
    );
}

#[test]
fn a_producer_dying_mid_line_still_ends_cleanly() {
    // The producer writes two lines and half a third, then is killed: mqrr
    // sees the end of stdin, publishes all three and disconnects cleanly
    // (no Will), exit 0.
    let broker = Broker::start();
    let will = Collector::start(broker.port, "p/will", true);
    let seen = Collector::start(broker.port, "p/dying", true);
    let mqrr = assert_cmd::cargo::cargo_bin("mqrr");
    let script = format!(
        r#"sh -c 'printf "a\nb\npar"; kill -9 $$' | {} pub -p {} -t p/dying -l -q 1 \
           --will-topic p/will --will-payload unclean"#,
        mqrr.display(),
        broker.port
    );
    let out = wait_output(
        Command::new("sh")
            .args(["-c", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        BOUND,
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // (The shell reports the killed producer on stderr; mqrr says nothing.)
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("mqrr"),
        "{}",
        describe(&out)
    );
    seen.wait_for(3, BOUND);
    assert_eq!(seen.payloads(), ["a", "b", "par"]);
    // A marker on the will topic arrives alone: no will came before it.
    mosquitto_pub(broker.port, "p/will", "marker", false);
    will.wait_for(1, BOUND);
    assert_eq!(will.payloads(), ["marker"]);
}

#[test]
fn repeat_with_a_delay_spaces_the_messages_as_mosquitto_pub_does() {
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "p/rep", true);
    let args = [
        "-t",
        "p/rep",
        "--repeat",
        "3",
        "--repeat-delay",
        "0.3",
        "-q",
        "1",
        "-m",
        "r",
    ];
    for mut cmd in [
        mosquitto_pub_cmd(broker.port, &args),
        pub_cmd(broker.port, &args),
    ] {
        let started = Instant::now();
        let out = cmd.output().unwrap();
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        // Two gaps of 0.3 s between three messages.
        assert!(took >= Duration::from_millis(600), "{cmd:?} took {took:?}");
    }
    seen.wait_for(6, BOUND);
    assert_eq!(seen.payloads(), ["r"; 6]);
    // mqrr also takes humantime.
    let out = pub_cmd(
        broker.port,
        &[
            "-t",
            "p/rep",
            "--repeat",
            "2",
            "--repeat-delay",
            "10ms",
            "-n",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    seen.wait_for(8, BOUND);
}

#[test]
fn w_exits_27_when_stdin_never_ends() {
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "p/w", true);
    for (args, needle) in [
        (&["-l"][..], "stdin still open"),
        (&["-s"], "stdin still open"),
        (&["-l", "-q", "1"], "stdin still open after 2 lines"),
    ] {
        let mut cmd = pub_cmd(broker.port, &["-t", "p/w", "-W", "500ms"]);
        cmd.args(args);
        let mut run = Piped::spawn(cmd);
        if args.len() > 1 {
            run.write(b"1\n2\n");
        }
        let started = Instant::now();
        // stdin stays open: the deadline ends the run.
        let (status, stderr) = run.exit();
        let took = started.elapsed();
        assert_eq!(status.code(), Some(27), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(took < Duration::from_secs(3), "{args:?} took {took:?}");
    }
    // The two lines of the last run were published before the deadline.
    seen.wait_for(2, BOUND);
    assert_eq!(seen.payloads(), ["1", "2"]);
    // -W 0 is no deadline: the end of stdin ends the run.
    let out = run_with_stdin(
        pub_cmd(broker.port, &["-t", "p/w", "-W", "0", "-l"]),
        b"3\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn w_covers_connecting() {
    // A listener that never answers the CONNECT.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let out = pub_cmd(port, &["-t", "p/x", "-m", "x", "-W", "300ms"])
        .output()
        .unwrap();
    assert_failure(&out, 27, &[]);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_lost_connection_exits_1_saying_how_many_messages_were_unacknowledged() {
    let mut broker = Broker::start();
    let broker_pid = broker.pid().unwrap();
    let mut run = Piped::spawn(pub_cmd(
        broker.port,
        &["--debug", "-t", "p/lost", "-l", "-q", "1", "-M", "3"],
    ));
    run.wait_for_debug("CONNACK", 1);
    run.write(b"acked\n");
    run.wait_for_debug("message 1 acknowledged", 1);
    // A stopped broker takes the bytes (the kernel does) but answers nothing.
    send_signal(broker_pid, "STOP");
    run.write(b"1\n2\n3\n4\n5\n6\n7\n8\n");
    // -M 3: three are handed over, the other lines wait in stdin.
    run.wait_for_debug("PUBLISH", 4);
    broker.kill();
    let (status, stderr) = run.exit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("mqrr: ") && last.contains("with 3 of 4 messages unacknowledged"),
        "{stderr}"
    );
    assert_eq!(run_debug_count(&stderr, "PUBLISH"), 4, "{stderr}");
}

#[test]
fn the_brokers_receive_maximum_bounds_what_is_in_flight() {
    // mosquitto announces Receive Maximum 3 and answers a fourth QoS 2
    // message in flight with PUBREC 0x97 (quota exceeded), which would be
    // exit 4. A flood of lines goes through: mqrr hands Paho more than 3,
    // Paho never sends more than 3 before their PUBCOMPs.
    let broker = Broker::with_config("allow_anonymous true\nmax_inflight_messages 3\n");
    let seen = Collector::start(broker.port, "p/rm", true);
    let input: String = (0..300).map(|i| format!("{i}\n")).collect();
    let out = run_with_stdin(
        pub_cmd(broker.port, &["--debug", "-t", "p/rm", "-l", "-q", "2"]),
        input.as_bytes(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        stderr.lines().last().unwrap_or_default()
    );
    assert!(
        stderr.contains("3 in flight"),
        "{}",
        stderr.lines().take(4).collect::<Vec<_>>().join("\n")
    );
    let got = seen.wait_for(300, BOUND);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.payload, i.to_string().as_bytes(), "message {i}");
    }
}

fn run_debug_count(stderr: &str, step: &str) -> usize {
    stderr
        .lines()
        .filter_map(debug_message)
        .filter(|m| m.starts_with(step))
        .count()
}

#[test]
fn a_connection_lost_after_every_message_was_written_is_still_exit_1() {
    // QoS 0: everything was written, but the connection went before the
    // end of stdin, so no DISCONNECT could be sent.
    let mut broker = Broker::start();
    let mut run = Piped::spawn(pub_cmd(broker.port, &["--debug", "-t", "p/lost0", "-l"]));
    run.write(b"a\nb\n");
    run.wait_for_debug("message 2 written", 1);
    broker.kill();
    // stdin stays open: the loss alone ends the run.
    let (status, stderr) = run.exit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("lost the connection") && last.contains("after 2 messages"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_mosquitto_pub_also_rejects_exit_2_before_connecting() {
    // Nothing listens on the port: only a check before connecting gives
    // mqrr exit 2, and mosquitto_pub a message that is not about connecting.
    let port = free_port();
    let file = temp_file(b"x");
    let file = file.path().to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["-t", "a"], "required"),
        (&["-m", "x"], "--topic"),
        (&["-t", "a", "-m", "x", "-n"], "cannot be used with"),
        (&["-t", "a", "-l", "-s"], "cannot be used with"),
        (&["-t", "a", "-m", "x", "-f", file], "cannot be used with"),
        (&["-t", "a/+", "-m", "x"], "wildcards"),
        (&["-t", "a/#", "-m", "x"], "wildcards"),
        (&["-t", "a", "-q", "3", "-m", "x"], "QoS"),
        (&["-t", "a", "--repeat", "0", "-m", "x"], "--repeat"),
        (
            &["-t", "a", "--repeat-delay", "-1", "-m", "x"],
            "--repeat-delay",
        ),
        (&["-t", "a", "-f", "/nonexistent/file"], "/nonexistent/file"),
        (&["-t", "a", "-m", "x", "-k", "abc"], "--keepalive"),
    ];
    for (args, needle) in cases {
        let out = pub_cmd(port, args).output().unwrap();
        assert_failure_in(&format!("mqrr {args:?}: "), &out, 2, &[needle]);
        let theirs = mosquitto_pub_cmd(port, args).output().unwrap();
        let text = String::from_utf8_lossy(&theirs.stderr);
        assert!(
            !theirs.status.success()
                && text.starts_with("Error")
                && !text.contains("onnection refused"),
            "mosquitto_pub {args:?}: {}",
            describe(&theirs)
        );
    }
}

#[test]
fn usage_errors_only_mqrr_makes() {
    let port = free_port();
    let cases: &[(&[&str], &str)] = &[
        // mosquitto_pub ignores --repeat with -l; mqrr says so.
        (&["-t", "a", "-l", "--repeat", "2"], "cannot be used with"),
        (
            &["-t", "a", "-l", "--repeat-delay", "1"],
            "cannot be used with",
        ),
        // mosquitto_pub's -t '' is accepted, then fails at publish with exit 0.
        (&["-t", "", "-m", "x"], "empty topic"),
        (&["-t", "a", "-m", "x", "-W", "soon"], "--timeout"),
        (&["-t", "a", "-m", "x", "-M", "0"], "--max-inflight"),
    ];
    for (args, needle) in cases {
        let out = pub_cmd(port, args).output().unwrap();
        assert_failure_in(&format!("mqrr {args:?}: "), &out, 2, &[needle]);
    }
}

#[test]
fn a_fifo_is_read_under_the_deadline() {
    // mosquitto_pub 2.0 cannot read a FIFO with -f (it needs the size
    // first); mqrr reads it to the end.
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "p/fifo", true);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let path = fifo.clone();
    let writer = std::thread::spawn(move || std::fs::write(path, binary()).unwrap());
    let out = pub_cmd(
        broker.port,
        &["-t", "p/fifo", "-f", fifo.to_str().unwrap(), "-W", "5s"],
    )
    .output()
    .unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(seen.wait_for(1, BOUND)[0].payload, binary());
}

#[test]
fn more_lines_than_message_ids_all_arrive_in_order_at_qos_1() {
    // 70,000 QoS 1 messages reuse message ids (at most 65,535). mosquitto_pub
    // 2.0.11 ends at the end of stdin once the message id of the last line
    // is acknowledged, which after a wrap is an early line: it exits 0
    // having delivered about 4,500 of 70,000 lines.
    let broker = Broker::with_config("allow_anonymous true\nmax_queued_messages 1000000\n");
    let seen = Collector::start_qos(broker.port, "p/many", true, 1);
    let n = 70_000;
    let input: String = (0..n).map(|i| format!("{i}\n")).collect();
    let out = run_with_stdin(
        pub_cmd(broker.port, &["-t", "p/many", "-l", "-q", "1"]),
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let got = seen.wait_for(n, Duration::from_secs(60));
    assert_eq!(got.len(), n);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.payload, i.to_string().as_bytes(), "message {i}");
    }
}

#[test]
fn a_signal_ends_a_flood_with_a_clean_disconnect() {
    // stdin never runs dry and the window keeps completing: the signal
    // still gets through, and the DISCONNECT is clean (no Will).
    let broker = Broker::start();
    let will = Collector::start(broker.port, "p/will", true);
    let mut run = Piped::spawn(pub_cmd(
        broker.port,
        &[
            "--debug",
            "-t",
            "p/flood",
            "-l",
            "--will-topic",
            "p/will",
            "--will-payload",
            "unclean",
        ],
    ));
    let mut stdin = run.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let block = b"flood\n".repeat(1000);
        while stdin.write_all(&block).is_ok() {}
    });
    run.wait_for_debug("message 1000 written", 1);
    send_signal(run.pid(), "INT");
    let (status, stderr) = run.exit();
    writer.join().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "{}",
        stderr.lines().last().unwrap_or_default()
    );
    assert!(
        stderr.contains("DISCONNECT sent"),
        "{}",
        stderr.lines().last().unwrap_or_default()
    );
    mosquitto_pub(broker.port, "p/will", "marker", false);
    will.wait_for(1, BOUND);
    assert_eq!(will.payloads(), ["marker"]);
}
