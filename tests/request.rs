//! Request mode against a real mosquitto: the round trip and its options.
//!
//! Every test starts its own broker (and responder) so that no test sees
//! another's messages; topics are unique per test anyway, to make a stray
//! message obvious in a debug trace.

mod common;

use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use paho_mqtt as mqtt;

/// What a test responder records of each request it saw.
type Log<T> = Arc<Mutex<Vec<T>>>;

fn log<T>() -> Log<T> {
    Arc::new(Mutex::new(Vec::new()))
}

fn taken<T: Clone>(log: &Log<T>) -> Vec<T> {
    log.lock().unwrap().clone()
}

/// An MQTT 5 responder on `topic` that records `what` of each request and
/// answers it with `reply`.
fn recording<T: Send + 'static>(
    port: u16,
    topic: &str,
    what: impl Fn(&Request) -> T + Send + 'static,
    reply: impl Fn(&Request) -> Vec<Reply> + Send + 'static,
) -> (Responder, Log<T>) {
    let log = log();
    let seen = log.clone();
    let r = Responder::start(port, topic, true, move |req| {
        seen.lock().unwrap().push(what(req));
        reply(req)
    });
    (r, log)
}

/// An MQTT 5 responder answering every request on `topic` with each of
/// `payloads`, in order, on `resp` (correlation data copied back).
fn replying(port: u16, topic: &str, resp: &str, payloads: &[&[u8]]) -> Responder {
    let resp = resp.to_string();
    let payloads: Vec<Vec<u8>> = payloads.iter().map(|p| p.to_vec()).collect();
    Responder::start(port, topic, true, move |_| {
        payloads
            .iter()
            .map(|p| Reply::to(&resp, p.clone()))
            .collect()
    })
}

/// An MQTT 5 responder that echoes each request on `resp` and records its
/// payload.
fn recording_echo(port: u16, topic: &str, resp: &str) -> (Responder, Log<Vec<u8>>) {
    let resp = resp.to_string();
    recording(
        port,
        topic,
        |req| req.payload.to_vec(),
        move |req| vec![Reply::to(&resp, req.payload.to_vec())],
    )
}

/// `mqrr -p PORT -t NAME/req -e NAME/resp`: a request on topics of the
/// test's own.
fn rr(port: u16, name: &str) -> assert_cmd::Command {
    let (topic, resp) = (format!("{name}/req"), format!("{name}/resp"));
    let mut cmd = mqrr();
    cmd.args(["-p", &port.to_string(), "-t", &topic, "-e", &resp]);
    cmd
}

/// Runs mqrr against a fresh broker whose responder answers with
/// `payloads`, adding `extra` to `-p PORT -t ex/req -e ex/resp -W 5s`.
fn extract(payloads: &[&[u8]], extra: &[&str]) -> Output {
    let broker = Broker::start();
    let _r = replying(broker.port, "ex/req", "ex/resp", payloads);
    rr(broker.port, "ex")
        .args(["-W", "5s"])
        .args(extra)
        .output()
        .unwrap()
}

/// Asserts how a run that nobody answered ends: exit 27 and the one line
/// `mqrr: no response on RESP within WAIT`.
#[track_caller]
fn assert_no_response(run: impl IntoAssert, resp: &str, wait: &str) {
    assert_exit_line(
        run,
        27,
        &format!("mqrr: no response on {resp} within {wait}\n"),
    );
}

/// Asserts that `took` is in `min..max`.
#[track_caller]
fn assert_took(took: Duration, min: Duration, max: Duration) {
    assert!(took >= min, "gave up early: {took:?}");
    assert!(took < max, "too slow: {took:?}");
}

// ---- round trip ----------------------------------------------------------

#[test]
fn echo_round_trip_prints_the_reply() {
    let broker = Broker::start();
    let _r = Responder::echo(broker.port, "req", "resp");
    assert_prints(
        mqrr()
            .args(["-p", &broker.port_arg()])
            .args(["-t", "req", "-e", "resp", "-m", "hello"]),
        "hello\n",
    );
}

#[test]
fn c8y_token_line_prints_the_token_and_sends_an_empty_request() {
    let broker = Broker::start();
    let (_r, requests) = recording(
        broker.port,
        "c8y/s/uat",
        |req| req.payload.to_vec(),
        |_| vec![Reply::to("c8y/s/dat", "71,aaa.bbb.ccc")],
    );
    assert_prints(
        mqrr()
            .args(["-t", "c8y/s/uat", "-e", "c8y/s/dat", "-f", "2-"])
            .args(["-p", &broker.port_arg()]),
        "aaa.bbb.ccc\n",
    );
    assert_eq!(taken(&requests), vec![Vec::<u8>::new()]);
}

#[test]
fn mqtt5_request_carries_the_response_topic_and_correlation_data() {
    let broker = Broker::start();
    let (_r, props) = recording(
        broker.port,
        "rt/req",
        |req| {
            let p = req.msg.properties();
            (
                p.get_string(mqtt::PropertyCode::ResponseTopic),
                p.get_binary(mqtt::PropertyCode::CorrelationData),
            )
        },
        |_| vec![Reply::to("rt/resp", "ok")],
    );
    assert_prints(rr(broker.port, "rt"), "ok\n");
    let props = taken(&props);
    assert_eq!(props.len(), 1);
    assert_eq!(props[0].0.as_deref(), Some("rt/resp"));
    let correlation = props[0].1.clone().expect("correlation data");
    assert!(!correlation.is_empty());
}

// ---- extraction ----------------------------------------------------------

#[test]
fn json_pointer_to_a_string_prints_it_raw() {
    let out = extract(
        &[br#"{"data":[{"value":"x y"}]}"#],
        &["-j", "/data/0/value"],
    );
    assert_prints(out, "x y\n");
}

#[test]
fn json_pointer_to_an_object_prints_compact_json() {
    let out = extract(
        &[br#"{ "data" : { "a" : 1, "b" : [ true, null, "s" ] } }"#],
        &["-j", "/data"],
    );
    assert_prints(out, "{\"a\":1,\"b\":[true,null,\"s\"]}\n");
}

#[test]
fn json_pointer_to_an_object_keeps_the_key_order() {
    let out = extract(&[br#"{"data":{"z":1,"a":2}}"#], &["-j", "/data"]);
    assert_prints(out, "{\"z\":1,\"a\":2}\n");
}

#[test]
fn json_pointer_skips_non_json_and_missing_pointers() {
    let out = extract(
        &[b"not json", br#"{"other":1}"#, br#"{"value":7}"#],
        &["-j", "/value"],
    );
    assert_prints(out, "7\n");
}

#[test]
fn regex_with_a_group_prints_group_one() {
    assert_prints(extract(&[b"temp=21C"], &["-r", r"temp=(\d+)"]), "21\n");
}

#[test]
fn regex_without_a_group_prints_the_whole_match() {
    assert_prints(extract(&[b"temp=21C"], &["-r", r"\d+C"]), "21C\n");
}

#[test]
fn regex_skips_messages_that_do_not_match() {
    let out = extract(&[b"status=busy", b"temp=21C"], &["-r", r"temp=(\d+)"]);
    assert_prints(out, "21\n");
}

#[test]
fn regex_matches_a_non_utf8_payload() {
    let out = extract(&[b"\xff\xfe id=42 \x00"], &["-r", r"id=(\d+)"]);
    assert_prints(out, "42\n");
}

#[test]
fn fields_single_field() {
    assert_prints(extract(&[b"a,b,c,d"], &["-f", "2"]), "b\n");
}

#[test]
fn fields_open_ended_range_from_n() {
    assert_prints(extract(&[b"a,b,c,d"], &["-f", "2-"]), "b,c,d\n");
}

#[test]
fn fields_range_up_to_m() {
    assert_prints(extract(&[b"a,b,c,d"], &["--fields=-2"]), "a,b\n");
}

#[test]
fn fields_range_up_to_m_as_a_separate_argument() {
    assert_prints(extract(&[b"a,b,c,d"], &["-f", "-2"]), "a,b\n");
}

#[test]
fn fields_list_prints_in_input_order() {
    assert_prints(extract(&[b"a,b,c,d"], &["-f", "4,1,2-3"]), "a,b,c,d\n");
    assert_prints(extract(&[b"a,b,c,d"], &["-f", "3,1"]), "a,c\n");
}

#[test]
fn fields_with_another_delimiter() {
    assert_prints(extract(&[b"a:b,c:d"], &["-f", "2", "-d", ":"]), "b,c\n");
}

#[test]
fn fields_cut_each_line_of_a_multi_line_payload() {
    let out = extract(&[b"a,b,c\nd,e,f\ng,h,i"], &["-f", "2"]);
    assert_prints(out, "b\ne\nh\n");
}

#[test]
fn fields_line_without_delimiter_prints_whole() {
    assert_prints(extract(&[b"plain text"], &["-f", "2"]), "plain text\n");
}

#[test]
fn json_then_regex_then_fields_run_in_that_order() {
    // Any other order fails: the regex does not match the raw JSON's
    // field 2, and the fields of the regex input are not `b`.
    let out = extract(
        &[br#"{"line":"id v=a;b;c"}"#],
        &["-f", "2", "-d", ";", "-r", "v=(.*)", "-j", "/line"],
    );
    assert_prints(out, "b\n");
}

// ---- deadline ------------------------------------------------------------

#[test]
fn no_response_times_out_with_27_within_the_deadline() {
    let broker = Broker::start();
    let (out, took) = run_timed(rr(broker.port, "to").args(["-W", "500ms"]));
    assert_no_response(out, "to/resp", "500ms");
    assert_took(took, Duration::from_millis(500), Duration::from_secs(3));
}

#[test]
fn timeout_in_plain_seconds_is_seconds() {
    let broker = Broker::start();
    let (out, took) = run_timed(rr(broker.port, "tos").args(["-W", "2"]));
    assert_no_response(out, "tos/resp", "2s");
    assert_took(took, Duration::from_secs(2), Duration::from_secs(5));
}

// ---- retained ------------------------------------------------------------

/// Proves with mosquitto_sub that the broker holds `payload` retained on
/// `topic`, so that a test ignoring it does not pass by accident.
fn assert_retained(port: u16, topic: &str, payload: &str) {
    let out = std::process::Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic])
        .args(["-C", "1", "-W", "5"])
        .output()
        .expect("mosquitto_sub (apt-get install mosquitto-clients)");
    assert_eq!(out.stdout, format!("{payload}\n").as_bytes(), "{out:?}");
}

fn stale_retained_is_ignored(version: &str) {
    let broker = Broker::start();
    mosquitto_pub(broker.port, "ret/resp", "stale", true);
    assert_retained(broker.port, "ret/resp", "stale");
    assert_no_response(
        rr(broker.port, "ret").args(["-V", version, "-W", "500ms"]),
        "ret/resp",
        "500ms",
    );
}

fn live_reply_wins_over_retained(version: &str) {
    let broker = Broker::start();
    mosquitto_pub(broker.port, "retl/resp", "stale", true);
    let _r = replying(broker.port, "retl/req", "retl/resp", &[b"live"]);
    assert_prints(
        rr(broker.port, "retl").args(["-V", version, "-W", "5s"]),
        "live\n",
    );
}

fn retained_flag_accepts_retained(version: &str) {
    let broker = Broker::start();
    mosquitto_pub(broker.port, "reta/resp", "stale", true);
    assert_prints(
        rr(broker.port, "reta").args(["-V", version, "-W", "5s", "--retained"]),
        "stale\n",
    );
}

#[test]
fn stale_retained_response_is_ignored_on_mqtt5() {
    stale_retained_is_ignored("5");
}

#[test]
fn stale_retained_response_is_ignored_on_mqtt311() {
    stale_retained_is_ignored("311");
}

#[test]
fn live_reply_is_printed_not_the_retained_one_on_mqtt5() {
    live_reply_wins_over_retained("5");
}

#[test]
fn live_reply_is_printed_not_the_retained_one_on_mqtt311() {
    live_reply_wins_over_retained("311");
}

#[test]
fn retained_option_accepts_a_retained_response_on_mqtt5() {
    retained_flag_accepts_retained("5");
}

#[test]
fn retained_option_accepts_a_retained_response_on_mqtt311() {
    retained_flag_accepts_retained("311");
}

// ---- payloads ------------------------------------------------------------

fn all_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

/// Asserts that all 256 byte values went out as the one request and came
/// back on stdout unchanged.
fn assert_all_bytes_round_trip(out: &Output, requests: &Log<Vec<u8>>) {
    assert_no_panic(out);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, all_bytes());
    assert_eq!(out.stderr, b"");
    assert_eq!(taken(requests), vec![all_bytes()]);
}

#[test]
fn stdin_payload_is_sent_and_printed_byte_exact() {
    let broker = Broker::start();
    let (_r, requests) = recording_echo(broker.port, "bin/req", "bin/resp");
    let out = rr(broker.port, "bin")
        .args(["-s", "-N"])
        .write_stdin(all_bytes())
        .output()
        .unwrap();
    assert_all_bytes_round_trip(&out, &requests);
}

#[test]
fn file_payload_is_sent_and_printed_byte_exact() {
    let broker = Broker::start();
    let (_r, requests) = recording_echo(broker.port, "binf/req", "binf/resp");
    let file = temp_file(&all_bytes());
    let out = rr(broker.port, "binf")
        .arg("--file")
        .arg(file.path())
        .arg("-N")
        .output()
        .unwrap();
    assert_all_bytes_round_trip(&out, &requests);
}

// ---- response filter and output -----------------------------------------

#[test]
fn wildcard_response_filter_matches_and_verbose_prints_the_topic() {
    let broker = Broker::start();
    let (_r, response_topics) = recording(
        broker.port,
        "wc/req",
        |req| {
            req.msg
                .properties()
                .get_string(mqtt::PropertyCode::ResponseTopic)
        },
        |req| vec![Reply::to("resp/x", req.payload.to_vec())],
    );
    assert_prints(
        mqrr()
            .args(["-p", &broker.port_arg(), "-t", "wc/req", "-e", "resp/+"])
            .args(["-m", "payload", "-v"]),
        "resp/x payload\n",
    );
    // A filter is no topic to reply on.
    assert_eq!(taken(&response_topics), vec![None]);
}

#[test]
fn count_three_prints_three_responses_and_stops() {
    let out = extract(&[b"one", b"two", b"three", b"four"], &["-C", "3"]);
    assert_prints(out, "one\ntwo\nthree\n");
}

#[test]
fn count_zero_collects_until_the_deadline_and_succeeds() {
    let broker = Broker::start();
    let _r = replying(broker.port, "c0/req", "c0/resp", &[b"one", b"two"]);
    let (out, took) = run_timed(rr(broker.port, "c0").args(["-C", "0", "-W", "1s"]));
    assert_prints(out, "one\ntwo\n");
    assert_took(took, Duration::from_secs(1), Duration::from_secs(4));
}

#[test]
fn count_zero_without_any_response_times_out() {
    let broker = Broker::start();
    assert_no_response(
        rr(broker.port, "c0n").args(["-C", "0", "-W", "500ms"]),
        "c0n/resp",
        "500ms",
    );
}

// ---- correlation ---------------------------------------------------------

/// A reply on `topic` carrying someone else's correlation data.
fn foreign_reply(topic: &str, payload: &str) -> Reply {
    let mut foreign = Reply::to(topic, payload);
    foreign.correlation = Some(b"someone-else".to_vec());
    foreign
}

#[test]
fn reply_with_foreign_correlation_data_is_dropped() {
    let broker = Broker::start();
    let _r = Responder::start(broker.port, "cor/req", true, |_| {
        vec![
            foreign_reply("cor/resp", "foreign"),
            Reply::to("cor/resp", "ours"),
        ]
    });
    assert_prints(
        rr(broker.port, "cor").args(["-V", "5", "-W", "5s"]),
        "ours\n",
    );
}

/// A 3.1.1 responder: its replies carry no correlation data at all.
fn uncorrelated(port: u16, topic: &str, resp: &str) -> Responder {
    let resp = resp.to_string();
    Responder::start(port, topic, false, move |_| {
        vec![Reply::to(&resp, "uncorrelated")]
    })
}

#[test]
fn strict_correlation_ignores_a_reply_without_correlation_data() {
    let broker = Broker::start();
    let r = uncorrelated(broker.port, "cs/req", "cs/resp");
    assert_no_response(
        rr(broker.port, "cs").args(["-V", "5", "-W", "500ms", "--correlation", "strict"]),
        "cs/resp",
        "500ms",
    );
    assert_eq!(r.requests_seen(), 1);
}

#[test]
fn auto_correlation_accepts_a_reply_without_correlation_data() {
    let broker = Broker::start();
    let _r = uncorrelated(broker.port, "ca/req", "ca/resp");
    assert_prints(
        rr(broker.port, "ca").args(["-V", "5", "-W", "5s"]),
        "uncorrelated\n",
    );
}

#[test]
fn correlation_off_accepts_foreign_correlation_data() {
    let broker = Broker::start();
    let (_r, correlations) = recording(
        broker.port,
        "co/req",
        |req| {
            req.msg
                .properties()
                .get_binary(mqtt::PropertyCode::CorrelationData)
        },
        |_| vec![foreign_reply("co/resp", "foreign")],
    );
    assert_prints(
        rr(broker.port, "co").args(["-V", "5", "-W", "5s", "--correlation", "off"]),
        "foreign\n",
    );
    // off sends none, too.
    assert_eq!(taken(&correlations), vec![None]);
}

// ---- resend, QoS ---------------------------------------------------------

#[test]
fn resend_publishes_again_until_answered() {
    let broker = Broker::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let calls2 = calls.clone();
    let r = Responder::start(broker.port, "rs/req", true, move |_| {
        if calls2.fetch_add(1, Ordering::SeqCst) == 0 {
            vec![] // the first request goes unanswered
        } else {
            vec![Reply::to("rs/resp", "second time")]
        }
    });
    assert_prints(
        rr(broker.port, "rs").args(["--resend", "200ms", "-W", "5s"]),
        "second time\n",
    );
    assert!(r.requests_seen() >= 2, "seen {}", r.requests_seen());
}

fn qos_round_trip(qos: &str, expect: mqtt::QoS) {
    let broker = Broker::start();
    let (_r, qoss) = recording(
        broker.port,
        "qos/req",
        |req| req.msg.qos(),
        |req| vec![Reply::to("qos/resp", req.payload.to_vec())],
    );
    assert_prints(
        rr(broker.port, "qos").args(["-q", qos, "-m", "hi", "-W", "5s"]),
        "hi\n",
    );
    // The responder subscribed with QoS 2, so it gets the request's own QoS.
    assert_eq!(taken(&qoss), vec![expect]);
}

#[test]
fn qos1_round_trip() {
    qos_round_trip("1", mqtt::QoS::AtLeastOnce);
}

#[test]
fn qos2_round_trip() {
    qos_round_trip("2", mqtt::QoS::ExactlyOnce);
}

// ---- connection ----------------------------------------------------------

#[test]
fn no_broker_exits_3_fast_naming_host_and_port() {
    let port = free_port();
    let (out, took) = run_timed(&mut rr(port, "nb"));
    assert_failure(&out, 3, &[&format!("localhost:{port}")]);
    assert!(took < Duration::from_secs(1), "too slow: {took:?}");
}

#[test]
fn auto_protocol_falls_back_to_311_on_nats() {
    let nats = Nats::start();
    let _r = Responder::start(nats.port, "nats/req", false, |_| {
        vec![Reply::to("nats/resp", "from nats")]
    });
    assert_prints(
        rr(nats.port, "nats").args(["-V", "auto", "-W", "10s"]),
        "from nats\n",
    );
}

#[test]
fn mqtt5_only_against_nats_cannot_connect() {
    let nats = Nats::start();
    let out = rr(nats.port, "nats5")
        .args(["-V", "5", "-W", "10s"])
        .output()
        .unwrap();
    assert_failure(&out, 3, &[&format!("localhost:{}", nats.port)]);
}

#[test]
fn user_properties_reach_the_responder() {
    let broker = Broker::start();
    let (_r, pairs) = recording(
        broker.port,
        "up/req",
        |req| {
            req.msg
                .properties()
                .iter(mqtt::PropertyCode::UserProperty)
                .filter_map(|p| p.get_string_pair())
                .collect::<Vec<_>>()
        },
        |_| vec![Reply::to("up/resp", "ok")],
    );
    assert_prints(
        rr(broker.port, "up").args(["--user-property", "k=v", "--user-property", "team=edge=ops"]),
        "ok\n",
    );
    assert_eq!(
        taken(&pairs).concat(),
        vec![
            ("k".to_string(), "v".to_string()),
            ("team".to_string(), "edge=ops".to_string()),
        ]
    );
}

// ---- usage ---------------------------------------------------------------

/// Bad input dies with exit 2 before any connect: the port has no broker,
/// so a connect attempt would show as exit 3.
#[test]
fn bad_input_is_a_usage_error_before_any_network() {
    let port = free_port().to_string();
    let url = format!("mqtt://localhost:{port}");
    let p: &[&str] = &["-p", &port];
    let te: &[&str] = &["-p", &port, "-t", "a", "-e", "b"];
    // (extra args, a word the message must name)
    let cases: Vec<(Vec<&str>, &str)> = vec![
        ([p, &["-t", "a/+", "-e", "b"]].concat(), "a/+"),
        ([p, &["-t", "", "-e", "b"]].concat(), "-t"),
        ([p, &["-t", "a", "-e", "a/#/b"]].concat(), "a/#/b"),
        ([te, &["-q", "3"]].concat(), "qos"),
        ([te, &["-W", "abc"]].concat(), "abc"),
        ([te, &["-W", "-1"]].concat(), "-1"),
        ([te, &["--timeout=-1"]].concat(), "-1"),
        ([te, &["--resend", "0"]].concat(), "--resend"),
        ([te, &["-f", "0"]].concat(), "-f"),
        ([te, &["-f", "3-1"]].concat(), "3-1"),
        ([te, &["-f", ""]].concat(), "-f"),
        ([te, &["-f", "1", "-d", ""]].concat(), "-d"),
        ([te, &["-r", "("]].concat(), "-r"),
        ([te, &["-j", "abc"]].concat(), "abc"),
        ([te, &["-m", "x", "-s"]].concat(), "stdin"),
        (
            [te, &["-m", "x", "--file", "/etc/hostname"]].concat(),
            "file",
        ),
        ([te, &["--file", "/nonexistent"]].concat(), "/nonexistent"),
        ([te, &["-V", "4"]].concat(), "4"),
        (vec!["-p", "0", "-t", "a", "-e", "b"], "port"),
        (vec!["-p", "70000", "-t", "a", "-e", "b"], "70000"),
        (vec!["--url", "http://x", "-t", "a", "-e", "b"], "url"),
        (
            vec!["-L", &url, "-h", "localhost", "-t", "a", "-e", "b"],
            "url",
        ),
        ([p, &["-e", "b"]].concat(), ""),
        ([p, &["-t", "a"]].concat(), ""),
        ([te, &["--bogus"]].concat(), "--bogus"),
        ([te, &["-C", "abc"]].concat(), "abc"),
        ([te, &["--correlation", "maybe"]].concat(), "maybe"),
        ([te, &["--user-property", "novalue"]].concat(), "novalue"),
        ([te, &["--cafile", "/nonexistent"]].concat(), "/nonexistent"),
        (
            [te, &["-u", "u", "--password-file", "/nonexistent"]].concat(),
            "/nonexistent",
        ),
    ];
    for (args, names) in cases {
        let out = mqrr().args(&args).write_stdin("").output().unwrap();
        assert_failure_in(&format!("{args:?}: "), &out, 2, &[names]);
    }
}

#[test]
fn missing_required_option_is_named() {
    let port = free_port().to_string();
    for (args, names) in [(["-e", "b"], "--topic"), (["-t", "a"], "--response-topic")] {
        let out = mqrr().args(["-p", &port]).args(args).output().unwrap();
        assert_failure_in(&format!("{args:?}: "), &out, 2, &[names]);
    }
}

#[test]
fn help_prints_usage_on_stdout() {
    let out = mqrr().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Usage: mqrr"), "{stdout}");
    assert!(stdout.contains("--response-topic"), "{stdout}");
    assert_eq!(out.stderr, b"");
}

#[test]
fn version_prints_name_and_version_on_stdout() {
    mqrr()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(format!("mqrr {}\n", env!("CARGO_PKG_VERSION")))
        .stderr("");
}

// ---- other transports ----------------------------------------------------

#[test]
fn unix_socket_and_unix_url_reach_the_broker() {
    let broker =
        Broker::with_config("allow_anonymous true\nuser root\nlistener 0 {dir}/mqtt.sock\n");
    let _r = Responder::echo(broker.port, "ux/req", "ux/resp");
    let sock = broker.dir.path().join("mqtt.sock");
    assert!(wait_until(Duration::from_secs(5), || sock.exists()));
    let ux = ["-t", "ux/req", "-e", "ux/resp"];
    assert_prints(
        mqrr()
            .args(["--unix", sock.to_str().unwrap()])
            .args(ux)
            .args(["-m", "by-path"]),
        "by-path\n",
    );
    assert_prints(
        mqrr()
            .args(["-L", &format!("unix://{}", sock.display())])
            .args(ux)
            .args(["-m", "by-url"]),
        "by-url\n",
    );
}

#[test]
fn websocket_url_reaches_the_broker() {
    let ws = free_port();
    let broker = Broker::with_config(&format!(
        "allow_anonymous true\nlistener {ws} 127.0.0.1\nprotocol websockets\n"
    ));
    let _r = Responder::echo(broker.port, "ws/req", "ws/resp");
    assert!(listening(ws, Duration::from_secs(5)));
    assert_prints(
        mqrr()
            .args(["-L", &format!("ws://127.0.0.1:{ws}/mqtt")])
            .args(["-t", "ws/req", "-e", "ws/resp", "-m", "over-ws"]),
        "over-ws\n",
    );
}

#[test]
fn non_utf8_arguments_are_a_usage_error_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"\xff\xfe");
    for args in [
        vec![bad],
        vec!["-t".as_ref(), bad, "-e".as_ref(), "r".as_ref()],
        vec!["--quiet".as_ref(), bad],
    ] {
        let out = mqrr().args(&args).output().unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn stdin_that_never_ends_is_cut_off_by_the_deadline() {
    // The writer end stays open (held by this test) and never writes.
    let port = free_port().to_string();
    let mut child = mqrr_std()
        .args(["-p", &port, "-t", "a", "-e", "b", "-s", "-W", "500ms"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin = child.stdin.take();
    let started = std::time::Instant::now();
    assert!(wait_until(Duration::from_secs(5), || {
        child.try_wait().unwrap().is_some()
    }));
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    // The exit status was reaped above; wait_with_output returns it again.
    let out = child.wait_with_output().unwrap();
    assert_exit_line(
        out,
        27,
        "mqrr: stdin still open after 500ms (-s reads it to the end)\n",
    );
}
