//! What a broker sends that no conforming broker would (issue #11), from
//! the scripted fake broker: a message before the request was written,
//! acknowledgements withheld while replies arrive, topics that are not
//! UTF-8 or not ours, CONNACK limits mosquitto cannot announce, DISCONNECT
//! with a reason. mqrr must end with a documented exit status and one
//! stderr line, or skip the message, never abort.

mod common;

use std::time::Duration;

use common::fake_broker::*;
use common::*;

/// `mqrr -h 127.0.0.1 -p PORT -t req -e resp` and `extra`.
fn ask(port: u16, extra: &[&str]) -> std::process::Output {
    mqrr()
        .args(broker_args(port))
        .args(["-t", "req", "-e", "resp"])
        .args(extra)
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap()
}

/// A SUBACK for `s` granting `code`, as bytes (to send with something else).
fn suback_bytes(c: &Conn, s: &Packet, code: u8) -> Vec<u8> {
    let mut body = s.id.to_be_bytes().to_vec();
    if c.v5 {
        body.extend(Props::new().encode());
    }
    body.push(code);
    packet(SUBACK << 4, &body)
}

/// A reply on `topic` carrying the request's correlation data (MQTT 5).
fn reply_to(c: &Conn, req: &Packet, topic: &[u8], payload: &[u8]) -> Publish {
    let mut p = Publish::new("", payload);
    p.topic = topic.to_vec();
    if c.v5 {
        let mut props = Props::new();
        if let Some(corr) = req.prop(prop::CORRELATION_DATA) {
            props = props.bytes(prop::CORRELATION_DATA, corr);
        }
        p.props = Some(props);
    }
    p
}

// ---- a message that cannot be a reply -----------------------------------------

#[test]
fn a_message_that_arrives_with_the_suback_is_not_the_answer() {
    // The SUBACK and a message on the response topic in one write: the
    // message was sent before mqrr could have published. A QoS 0 request
    // counts as sent once Paho has written all of it; a 16 MiB request
    // makes that take long enough for the test to be about mqrr's rule, not
    // about which of Paho's threads the scheduler runs first.
    let request = temp_file(&vec![b'r'; 16 << 20]);
    for version in ["5", "311"] {
        let broker = FakeBroker::start(|c| {
            c.handshake(Props::new());
            let s = c.expect(SUBSCRIBE);
            let mut bytes = suback_bytes(c, &s, 0);
            let mut stray = Publish::new("resp", b"stale");
            stray.props = c.v5.then(Props::new);
            bytes.extend(stray.encode());
            c.send("SUBACK and a stray PUBLISH", &bytes);
            c.expect(PUBLISH);
            c.hold();
        });
        let out = mqrr()
            .args(broker_args(broker.port))
            .args([
                "-t", "req", "-e", "resp", "-V", version, "-W", "2s", "--file",
            ])
            .arg(request.path())
            .timeout(Duration::from_secs(15))
            .output()
            .unwrap();
        assert_failure_in(
            &format!("-V {version}: "),
            &out,
            27,
            &["no response on resp"],
        );
    }
}

#[test]
fn a_message_that_arrives_before_the_suback_is_not_the_answer() {
    // Delivered before the subscription was even confirmed.
    for version in ["5", "311"] {
        let broker = FakeBroker::start(|c| {
            c.handshake(Props::new());
            let s = c.expect(SUBSCRIBE);
            let mut stray = Publish::new("resp", b"stale");
            stray.props = c.v5.then(Props::new);
            let mut bytes = stray.encode();
            bytes.extend(suback_bytes(c, &s, 0));
            c.send("a stray PUBLISH and the SUBACK", &bytes);
            c.expect(PUBLISH);
            c.hold();
        });
        let out = ask(broker.port, &["-V", version, "-W", "700ms"]);
        assert_failure_in(
            &format!("-V {version}: "),
            &out,
            27,
            &["no response on resp"],
        );
    }
}

#[test]
fn the_answer_that_follows_a_stray_message_is_printed() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new());
        let s = c.expect(SUBSCRIBE);
        let mut bytes = suback_bytes(c, &s, 0);
        let mut stray = Publish::new("resp", b"stale");
        stray.props = c.v5.then(Props::new);
        bytes.extend(stray.encode());
        c.send("SUBACK and a stray PUBLISH", &bytes);
        let req = c.expect(PUBLISH);
        let reply = reply_to(c, &req, b"resp", b"fresh");
        c.publish(&reply);
        c.hold();
    });
    assert_prints(ask(broker.port, &["-W", "5s"]), "fresh\n");
}

// ---- nothing blocks receiving --------------------------------------------------

#[test]
fn replies_are_read_while_a_resend_waits_for_its_acknowledgement() {
    // `-q 1 --resend 200ms -C 2 -W 1s` against a broker that never
    // acknowledges: both replies must be printed, well inside -W.
    for qos in ["1", "2"] {
        let broker = FakeBroker::start(|c| {
            c.handshake(Props::new());
            let s = c.expect(SUBSCRIBE);
            let granted = s.filters[0].1 & 3;
            c.suback_to(&s, &[granted]);
            let first = c.expect(PUBLISH);
            c.publish(&reply_to(c, &first, b"resp", b"one"));
            // The resend comes while the first PUBLISH is unacknowledged.
            let second = c.expect(PUBLISH);
            c.publish(&reply_to(c, &second, b"resp", b"two"));
            c.hold();
        });
        let (out, took) = run_timed(
            mqrr()
                .args(broker_args(broker.port))
                .args(["-t", "req", "-e", "resp", "-q", qos, "--resend", "200ms"])
                .args(["-C", "2", "-W", "1s"])
                .timeout(Duration::from_secs(10)),
        );
        assert_prints(out, "one\ntwo\n");
        assert!(took < Duration::from_secs(1), "QoS {qos}: took {took:?}");
    }
}

// ---- broker input that must not abort -----------------------------------------

#[test]
fn topics_that_are_not_utf8_nul_empty_or_wildcards_are_skipped() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new());
        c.suback(&[0]);
        let req = c.expect(PUBLISH);
        for topic in [&b"resp\xff"[..], b"re\0sp", b"", b"resp/#", b"+", b"other"] {
            c.publish(&reply_to(c, &req, topic, b"wrong"));
        }
        c.publish(&reply_to(c, &req, b"resp", b"right"));
        c.hold();
    });
    let out = ask(broker.port, &["-W", "5s", "--debug"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(out.stdout, b"right\n");
    assert_no_panic(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not UTF-8"), "{stderr}");
    assert!(stderr.contains("does not match"), "{stderr}");
}

#[test]
fn serve_skips_a_request_whose_topic_is_not_utf8_and_keeps_serving() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new());
        c.suback(&[0]);
        let mut bad = Publish::new("", b"x");
        bad.topic = b"svc/\xfe".to_vec();
        bad.props = Some(Props::new().bytes(prop::RESPONSE_TOPIC, b"out"));
        c.publish(&bad);
        let mut good = Publish::new("svc/a", b"hello");
        good.props = Some(Props::new().bytes(prop::RESPONSE_TOPIC, b"out"));
        c.publish(&good);
        let reply = c.expect(PUBLISH);
        assert_eq!(reply.topic, b"out");
        assert_eq!(reply.payload, b"hello");
        c.hold();
    });
    let out = mqrr()
        .args(["serve", "-V", "5", "-C", "1", "-t", "svc/#", "--echo"])
        .args(broker_args(broker.port))
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_no_panic(&out);
    broker.finish(Duration::from_secs(5));
}

#[test]
fn garbage_after_the_request_ends_with_one_line_not_an_abort() {
    for garbage in [
        &b"\xf0\x00"[..],            // a reserved packet type
        b"\x30\xff\xff\xff\xff\x01", // a remaining length over 4 bytes
        b"\x32\x05\x00\x04re",       // a PUBLISH cut short, then EOF
    ] {
        let g = garbage.to_vec();
        let broker = FakeBroker::start(move |c| {
            c.handshake(Props::new());
            c.suback(&[0]);
            c.expect(PUBLISH);
            c.send("garbage", &g);
            c.close();
        });
        let out = ask(broker.port, &["-W", "5s"]);
        assert_failure_in(&format!("{garbage:02x?}: "), &out, 1, &["127.0.0.1"]);
    }
}

#[test]
fn a_suback_without_a_return_code_per_filter_ends_with_one_line() {
    // Paho C read such a SUBACK's one return code as the pointer to a list
    // of them on MQTT 3.1.1 (found by broker_chaos.rs; patch 0003). A
    // SUBACK without any is a malformed packet: Paho drops the connection.
    let mismatch: &[&str] = &["SUBACK", "return codes", "a b"];
    let lost: &[&str] = &["lost the connection to 127.0.0.1"];
    for (version, codes, says) in [
        ("311", &[1u8][..], mismatch),
        ("311", &[], lost),
        ("5", &[1], mismatch),
        ("5", &[1, 1, 1], mismatch),
    ] {
        let sent = codes.to_vec();
        let broker = FakeBroker::start(move |c| {
            c.handshake(Props::new());
            c.suback(&sent);
            c.hold();
        });
        let out = mqrr()
            .arg("sub")
            .args(broker_args(broker.port))
            .args(["-V", version, "-t", "a", "-t", "b", "-W", "5s"])
            .timeout(Duration::from_secs(15))
            .output()
            .unwrap();
        assert_failure_in(&format!("-V {version}, SUBACK {codes:?}: "), &out, 1, says);
    }
}

// ---- what the broker announced -------------------------------------------------

#[test]
fn a_wildcard_filter_where_wildcards_are_unavailable_is_refused_before_subscribing() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new().byte(prop::WILDCARD_SUBSCRIPTION_AVAILABLE, 0));
        // mqrr must not subscribe: the next thing is its DISCONNECT.
        assert_eq!(c.next().map(|p| p.kind), Some(DISCONNECT));
    });
    let out = mqrr()
        .args(broker_args(broker.port))
        .args(["-t", "req", "-e", "resp/+", "-W", "5s"])
        .output()
        .unwrap();
    assert_failure(&out, 4, &["wildcard subscriptions", "resp/+"]);
    broker.finish(Duration::from_secs(5));
}

#[test]
fn qos_above_an_announced_maximum_of_1_is_refused() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new().byte(prop::MAXIMUM_QOS, 1));
        c.suback(&[1]);
        assert_eq!(c.next().map(|p| p.kind), Some(DISCONNECT));
    });
    let out = ask(broker.port, &["-q", "2", "-W", "5s"]);
    assert_failure(&out, 4, &["accepts at most QoS 1"]);
    broker.finish(Duration::from_secs(5));
}

#[test]
fn a_disconnect_from_the_broker_is_named_with_its_reason() {
    for (code, why, words) in [
        (
            0x8E_u8,
            Some("another client"),
            "session taken over (0x8E): another client",
        ),
        (0x8B, None, "server shutting down (0x8B)"),
        (0x98, Some("kicked"), "administrative action (0x98): kicked"),
    ] {
        let broker = FakeBroker::start(move |c| {
            c.handshake(Props::new());
            c.suback(&[0]);
            c.expect(PUBLISH);
            c.disconnect(code, why);
            c.hold();
        });
        let out = ask(broker.port, &["-W", "5s"]);
        assert_failure_in(
            &format!("{code:#x}: "),
            &out,
            1,
            &["closed the connection", words],
        );
    }
}

#[test]
fn serve_says_the_client_id_is_taken_on_a_session_takeover() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new());
        c.suback(&[0]);
        c.disconnect(0x8E, None);
        c.accept();
        c.handshake(Props::new());
        c.suback(&[0]);
        // SIGTERM: serve stops taking requests first.
        c.unsuback();
        c.hold();
    });
    let run = Running::spawn(&[
        "serve",
        "-h",
        "127.0.0.1",
        "-p",
        &broker.port.to_string(),
        "-i",
        "shared-id",
        "-t",
        "svc/x",
        "--echo",
    ]);
    assert!(
        run.wait_for_debug("SUBACK", Duration::from_secs(10)),
        "{}",
        run.stderr_text()
    );
    assert!(
        wait_until(Duration::from_secs(10), || run
            .stderr_text()
            .contains("serving again")),
        "{}",
        run.stderr_text()
    );
    let stderr = run.stderr_text();
    assert!(
        stderr.contains("client id shared-id is taken by another client")
            && stderr.contains("session taken over (0x8E)")
            && stderr.contains("reconnecting in 100ms"),
        "{stderr}"
    );
    let pid = run.pid();
    let (out, _) = run.finish_after(|| send_signal(pid, "TERM"), Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
}

#[test]
fn auto_falls_back_to_311_when_an_mqtt5_connect_is_never_answered() {
    // amqtt with a password never answers an MQTT 5 CONNECT (issue #18).
    let broker = FakeBroker::start(|c| {
        assert_eq!(c.expect(CONNECT).version, 5);
        // Silence, then the 3.1.1 attempt on a new connection.
        c.accept_keeping();
        let connect = c.handshake(Props::new());
        assert_eq!(connect.version, 4);
        c.suback(&[0]);
        let req = c.expect(PUBLISH);
        c.publish(&reply_to(c, &req, b"resp", b"over 3.1.1"));
        c.hold();
    });
    let (out, took) = run_timed(
        mqrr()
            .args(broker_args(broker.port))
            .args(["-t", "req", "-e", "resp", "-W", "4s"])
            .timeout(Duration::from_secs(15)),
    );
    assert_prints(out, "over 3.1.1\n");
    // The MQTT 5 attempt had half of -W.
    assert!(took >= Duration::from_secs(2), "{took:?}");
}
