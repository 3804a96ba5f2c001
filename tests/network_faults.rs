//! The network breaking between mqrr and a real mosquitto (issue #19), through
//! the fault proxy of `common::proxy`: latency, a stalled direction, one byte
//! at a time, a packet cut in the middle, a half-close.
//!
//! Request mode must keep `-W` to within 50 ms whatever the network does.
//! The deadline counts from mqrr's own start, so the time is measured from
//! just before the spawn to the reaped exit; that span also holds the cost
//! of starting and reaping a process, which is not mqrr's. It is bounded by
//! the cheapest of five `mqrr --version` runs just before (`spawn_cost`):
//! the test asserts `elapsed - spawn_cost <= W + 50 ms`, and `elapsed >= W`
//! (no early exit either). A run over the bound is tried again, three runs
//! in all, since scheduling alone can cost tens of milliseconds on a busy
//! 2-core machine; a real overrun shows in every run.
//!
//! A connection that breaks must end the run at once (exit 1, or 3 before
//! the CONNACK) naming the broker; a silent broker is found by the
//! keepalive within 1.5 keepalives; `serve` reconnects after a cut.

mod common;

use std::time::Duration;

use common::proxy::{Dir, Proxy};
use common::*;

/// What mqrr may take past its deadline: the issue's bound.
const SLACK: Duration = Duration::from_millis(50);

/// The cost of starting and reaping an mqrr that does nothing: the cheapest
/// of five `mqrr --version` runs.
fn spawn_cost() -> Duration {
    (0..5)
        .map(|_| {
            let (out, took) = run_timed(mqrr().arg("--version"));
            assert!(out.status.success());
            took
        })
        .min()
        .unwrap()
}

/// `-h 127.0.0.1 -p PORT -t net/req -e net/resp -W WAIT`.
fn req_args(port: u16, wait: &str) -> Vec<String> {
    [
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-t",
        "net/req",
        "-e",
        "net/resp",
        "-W",
        wait,
    ]
    .map(String::from)
    .to_vec()
}

/// One request through a fresh proxy to `broker` with `-W 1s`, `setup`
/// setting its faults first; asserts exit 27 with one `mqrr:` line at the
/// end of the trace, no earlier than the deadline and no later than
/// `SLACK` after it once the spawn cost is taken off. A run over the bound
/// is tried again, up to three times in all: on a loaded 2-core machine the
/// scheduler alone can hold a process for tens of milliseconds, while a
/// real overrun (a wait for a DISCONNECT, a blocked write) shows in every
/// run. Returns the proxy of the run that passed.
fn request_keeps_the_deadline(
    fault: &str,
    broker: &Broker,
    extra: &[&str],
    setup: impl Fn(&Proxy),
) -> Proxy {
    let w = Duration::from_secs(1);
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let proxy = Proxy::start(broker.port);
        setup(&proxy);
        let spawn = spawn_cost();
        let (out, elapsed) = run_timed(
            mqrr()
                .args(req_args(proxy.port, "1s"))
                .arg("--debug")
                .args(extra)
                .timeout(Duration::from_secs(10)),
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let all = format!(
            "{fault}: exit {:?} after {elapsed:?} (spawn {spawn:?})\n{stderr}",
            out.status.code()
        );
        assert_eq!(out.status.code(), Some(27), "{all}");
        assert!(out.stdout.is_empty(), "{all}");
        let line = stderr.lines().last().unwrap_or_default();
        assert!(line.starts_with("mqrr: "), "{all}");
        assert!(!stderr.contains("panicked"), "{all}");
        assert!(elapsed >= w, "exited before the deadline: {all}");
        let late = elapsed.saturating_sub(spawn).saturating_sub(w);
        eprintln!("{fault}: exit 27 {late:?} after the deadline (spawn cost {spawn:?} taken off)");
        if late <= SLACK {
            return proxy;
        }
        attempts.push(all);
    }
    panic!(
        "more than {SLACK:?} past the deadline in every run:\n{}",
        attempts.join("\n")
    );
}

// ---------------------------------------------------------------------------
// -W holds whatever the network does.

/// SUBACK's MQTT packet type: faults set when it passes meet the request
/// and the response, never the subscription.
const SUBACK: u8 = 9;

#[test]
fn latency_past_the_deadline_exits_27_within_50ms_of_it() {
    let broker = Broker::start();
    // 400 ms each way: CONNACK after 0.8 s, the SUBACK would come at 1.6 s.
    // -V 5: with -V auto the MQTT 5 attempt gets only half of -W, so a
    // CONNACK at 0.8 s would bring the 3.1.1 fallback (a second connection).
    let proxy = request_keeps_the_deadline("latency 400 ms", &broker, &["-V", "5"], |p| {
        p.latency(Duration::from_millis(400))
    });
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn broker_stalled_before_connack_exits_27_within_50ms_of_the_deadline() {
    let broker = Broker::start();
    let proxy = request_keeps_the_deadline("no CONNACK", &broker, &[], |p| p.stall(Dir::Down));
    assert!(
        proxy.forwarded(Dir::Up) > 0,
        "CONNECT never reached the broker"
    );
}

#[test]
fn mqrr_stalled_before_connect_exits_27_within_50ms_of_the_deadline() {
    let broker = Broker::start();
    request_keeps_the_deadline("CONNECT held", &broker, &[], |p| p.stall(Dir::Up));
}

#[test]
fn broker_stalled_after_suback_exits_27_within_50ms_of_the_deadline() {
    let broker = Broker::start();
    let responder = Responder::echo(broker.port, "net/req", "net/resp");
    request_keeps_the_deadline("no response delivered", &broker, &[], |p| {
        p.on_packet(Dir::Down, SUBACK, |p| p.stall(Dir::Down))
    });
    assert!(
        responder.requests_seen() > 0,
        "the request never got through"
    );
}

#[test]
fn request_stalled_on_its_way_exits_27_within_50ms_of_the_deadline() {
    let broker = Broker::start();
    let collector = Collector::start(broker.port, "net/req", true);
    // The request and the closing DISCONNECT stay in the proxy.
    request_keeps_the_deadline("request held", &broker, &[], |p| {
        p.on_packet(Dir::Down, SUBACK, |p| p.stall(Dir::Up))
    });
    assert!(
        collector.seen().is_empty(),
        "the stalled request got through"
    );
}

#[test]
fn response_dripping_one_byte_at_a_time_exits_27_within_50ms_of_the_deadline() {
    let broker = Broker::start();
    // 2000 bytes at 5 ms each take 10 s: the deadline falls in the middle
    // of the response packet.
    let _responder = Responder::start(broker.port, "net/req", true, |_| {
        vec![Reply::to("net/resp", vec![b'x'; 2000])]
    });
    let proxy = request_keeps_the_deadline("response dripped", &broker, &[], |p| {
        p.on_packet(Dir::Down, SUBACK, |p| {
            p.drip(Dir::Down, Duration::from_millis(5))
        })
    });
    assert!(
        proxy.forwarded(Dir::Down) > 20,
        "the response never started"
    );
}

#[test]
fn connection_dripping_from_the_start_exits_27_within_50ms_of_the_deadline() {
    let broker = Broker::start();
    // Both ways from the first byte: CONNECT, CONNACK, SUBSCRIBE... at
    // 20 ms a byte do not fit in the second.
    request_keeps_the_deadline("every byte dripped", &broker, &[], |p| {
        p.drip(Dir::Up, Duration::from_millis(20));
        p.drip(Dir::Down, Duration::from_millis(20));
    });
}

#[test]
fn request_dripping_one_byte_at_a_time_exits_27_within_50ms_of_the_deadline() {
    let broker = Broker::start();
    // A 4000-byte request at 5 ms a byte is still being written when the
    // deadline comes, with the DISCONNECT queued behind it.
    let payload = "r".repeat(4000);
    request_keeps_the_deadline("request dripped", &broker, &["-m", &payload], |p| {
        p.on_packet(Dir::Down, SUBACK, |p| {
            p.drip(Dir::Up, Duration::from_millis(5))
        })
    });
}

// ---------------------------------------------------------------------------
// A connection that breaks is reported at once, naming the broker.

/// Asserts a run that lost its connection: exit 1, one `mqrr:` line saying
/// so and naming 127.0.0.1:`port`, and well before its 10 s deadline.
#[track_caller]
fn assert_lost(fault: &str, out: &Finished, after: Duration, port: u16) {
    let all = format!(
        "{fault}: exit {:?} {after:?} after the fault\n{}",
        out.status.code(),
        out.stderr
    );
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(out.stdout.is_empty(), "{all}");
    let line = out.stderr.lines().last().unwrap_or_default();
    assert!(line.starts_with("mqrr: "), "{all}");
    assert!(line.contains("lost the connection"), "{all}");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{all}");
    assert!(!out.stderr.contains("panicked"), "{all}");
    assert!(after < Duration::from_secs(2), "{all}");
}

/// A request through `proxy` with `-W 10s` and `--debug`, to its end;
/// returns how long after the proxy's trigger fired it ended.
fn request_broken(proxy: &Proxy, extra: &[&str]) -> (Finished, Duration) {
    let mut args = req_args(proxy.port, "10s");
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = Running::spawn(&args).finish(Duration::from_secs(15));
    let fired = proxy.fired_at().expect("the fault was never set");
    (out, fired.elapsed())
}

#[test]
fn response_cut_in_the_middle_exits_1_at_once_naming_the_broker() {
    let broker = Broker::start();
    let _responder = Responder::start(broker.port, "net/req", true, |_| {
        vec![Reply::to("net/resp", vec![b'y'; 1000])]
    });
    let proxy = Proxy::start(broker.port);
    proxy.on_packet(Dir::Down, SUBACK, |p| p.cut_mid_packet(Dir::Down));
    let (out, after) = request_broken(&proxy, &[]);
    assert_lost("response cut", &out, after, proxy.port);
    // Half of the 1000-byte payload got through, and none of it was printed.
    assert!(proxy.forwarded(Dir::Down) > 500);
}

#[test]
fn connack_cut_in_the_middle_exits_3_naming_the_broker() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    proxy.cut_mid_packet(Dir::Down);
    let (out, elapsed) = run_timed(
        mqrr()
            .args(req_args(proxy.port, "10s"))
            .args(["-V", "5"])
            .timeout(Duration::from_secs(15)),
    );
    assert_failure(&out, 3, &[&format!("127.0.0.1:{}", proxy.port)]);
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

/// With `-V auto` a connection closed before the CONNACK may be a broker
/// that does not speak MQTT 5 (mosquitto 1.x closes it that way): mqrr
/// tries 3.1.1 once, and when that breaks too, exits 3.
#[test]
fn connack_cut_twice_with_protocol_auto_exits_3_after_the_fallback() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    proxy.cut_mid_packets(Dir::Down, 2);
    let (out, elapsed) = run_timed(
        mqrr()
            .args(req_args(proxy.port, "10s"))
            .timeout(Duration::from_secs(15)),
    );
    assert_failure(&out, 3, &[&format!("127.0.0.1:{}", proxy.port)]);
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert_eq!(proxy.connections(), 2);
}

#[test]
fn broker_half_closing_exits_1_at_once_naming_the_broker() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    proxy.on_packet(Dir::Down, SUBACK, |p| p.half_close(Dir::Down));
    let (out, after) = request_broken(&proxy, &[]);
    assert_lost("FIN from the broker's side", &out, after, proxy.port);
}

#[test]
fn mqrr_half_closed_towards_the_broker_exits_1_at_once_naming_it() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    // mosquitto reads the FIN as the client gone and closes its side.
    proxy.on_packet(Dir::Down, SUBACK, |p| p.half_close(Dir::Up));
    let (out, after) = request_broken(&proxy, &[]);
    assert_lost("FIN towards the broker", &out, after, proxy.port);
}

#[test]
fn connection_cut_while_waiting_exits_1_at_once_naming_the_broker() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    proxy.on_packet(Dir::Down, SUBACK, |p| p.cut());
    let (out, after) = request_broken(&proxy, &[]);
    assert_lost("connection cut", &out, after, proxy.port);
}

// ---------------------------------------------------------------------------
// A broker that stops answering is noticed by the keepalive.

/// `-k 2 -W 30s` through `proxy`, whose broker goes silent right after the
/// SUBACK (the proxy hands mqrr nothing more): the run, and how long after
/// the silence began it ended. `sub` prepends the subcommand.
fn stalled_after_suback(proxy: &Proxy, sub: &[&str]) -> (Finished, Duration, String) {
    proxy.on_packet(Dir::Down, SUBACK, |p| p.stall(Dir::Down));
    let mut args: Vec<String> = sub.iter().map(|s| s.to_string()).collect();
    args.extend(req_args(proxy.port, "30s"));
    if !sub.is_empty() {
        // sub takes filters, not a request.
        args.retain(|a| !["-e", "net/resp", "-W", "30s"].contains(&a.as_str()));
    }
    args.extend(["-k", "2"].map(String::from));
    let out = Running::spawn(&args).finish(Duration::from_secs(20));
    let after = proxy.fired_at().expect("no SUBACK").elapsed();
    let all = format!(
        "exit {:?} {after:?} after the broker fell silent\n{}",
        out.status.code(),
        out.stderr
    );
    assert_eq!(out.status.code(), Some(1), "{all}");
    let line = out.stderr.lines().last().unwrap_or_default();
    assert!(line.contains(&format!("127.0.0.1:{}", proxy.port)), "{all}");
    assert!(!out.stderr.contains("panicked"), "{all}");
    (out, after, all)
}

/// Paho C as released sent a PINGREQ one keepalive into the silence and
/// gave up 1.5 keepalives after that: 2.5 keepalives (5 s for `-k 2`),
/// plus up to a second. mqrr's Paho pings after half a keepalive of
/// silence and closes within 1.5 (vendor/paho-mqtt-sys/patches/0004-…),
/// the bound MQTT 5 §3.1.2.10 gives a server to call a client gone.
#[test]
fn request_notices_a_stalled_broker_within_one_and_a_half_keepalives() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    let (_, after, all) = stalled_after_suback(&proxy, &[]);
    eprintln!("noticed {after:?} after the broker fell silent (-k 2)");
    assert!(after <= Duration::from_secs(3), "{all}");
}

#[test]
fn sub_notices_a_stalled_broker_within_one_and_a_half_keepalives() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    let (_, after, all) = stalled_after_suback(&proxy, &["sub"]);
    eprintln!("noticed {after:?} after the broker fell silent (-k 2)");
    assert!(after <= Duration::from_secs(3), "{all}");
}

/// The earlier PINGREQ is answered by a live broker: an idle connection
/// with `-k 1` stays up well past 1.5 keepalives.
#[test]
fn an_idle_connection_to_a_live_broker_outlives_its_keepalive() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let out = mqrr()
        .args([
            "sub",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "idle",
            "-k",
            "1",
        ])
        .args(["-W", "4s"])
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));
}

// ---------------------------------------------------------------------------
// serve comes back.

#[test]
fn serve_reconnects_after_the_connection_is_cut_and_answers_again() {
    let broker = Broker::start();
    let proxy = Proxy::start(broker.port);
    let port = proxy.port.to_string();
    let run = Running::spawn_until(
        "serving",
        &[
            "serve",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "net/svc",
            "--echo",
        ],
    );
    // Requests go straight to the broker: only the server's link breaks.
    assert_prints(
        request(broker.port, "net/svc", "net/svc/r", "before", "5s"),
        "before\n",
    );
    proxy.cut();
    assert!(
        wait_until(Duration::from_secs(30), || run
            .stderr_text()
            .contains("serving again")),
        "no reconnect:\n{}",
        run.stderr_text()
    );
    assert_eq!(proxy.connections(), 2, "{}", run.stderr_text());
    assert_prints(
        request(broker.port, "net/svc", "net/svc/r", "after", "5s"),
        "after\n",
    );
    let text = run.stderr_text();
    assert!(text.contains("lost the connection"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    let said: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("mqrr: debug:"))
        .collect();
    eprintln!("serve said:\n{}", said.join("\n"));
}
