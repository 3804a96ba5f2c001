//! What is never an answer (spec §3, issue #11): mqrr's own request, a
//! message that came before the request was written, a message on a topic
//! the filter does not match, and what a broker sends that is no PUBLISH
//! at all. Real mosquitto where it can produce the case; the scripted fake
//! broker where no conforming broker can.

mod common;

use std::process::Output;
use std::time::Duration;

use common::*;

/// `mqrr -p PORT -t TOPIC -e FILTER -m MSG -W WAIT` plus `extra`.
fn ask(port: u16, topic: &str, filter: &str, msg: &str, wait: &str, extra: &[&str]) -> Output {
    mqrr()
        .args(["-p", &port.to_string(), "-t", topic, "-e", filter])
        .args(["-m", msg, "-W", wait])
        .args(extra)
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap()
}

// ---- its own request -------------------------------------------------------

#[test]
fn own_request_is_not_the_answer_when_the_filter_matches_the_request_topic() {
    let broker = Broker::start();
    // Nobody answers: whatever mqrr prints would be its own request.
    let cases: &[(&str, &str, &[&str])] = &[
        ("dev/x/cmd", "dev/x/+", &[]),
        ("dev/x/cmd", "dev/x/+", &["-V", "311"]),
        (
            "dev/x/cmd",
            "dev/x/+",
            &["-V", "5", "--correlation", "strict"],
        ),
        ("dev/x/cmd", "dev/#", &["--correlation", "off"]),
        ("a", "a", &[]),
        ("a", "a", &["-V", "311"]),
        ("a", "#", &["-q", "1"]),
        ("a", "a", &["-q", "2", "-V", "311"]),
    ];
    for (topic, filter, extra) in cases {
        let out = ask(broker.port, topic, filter, "REQ", "700ms", extra);
        assert_failure_in(
            &format!("-t {topic} -e {filter} {extra:?}: "),
            &out,
            27,
            &[&format!("no response on {filter}")],
        );
    }
}

#[test]
fn collecting_with_c0_never_counts_its_own_requests_or_resends() {
    let broker = Broker::start();
    for extra in [&["-V", "5"][..], &["-V", "311"]] {
        let out = ask(
            broker.port,
            "own/c0",
            "own/#",
            "REQ",
            "800ms",
            &[&["-C", "0", "--resend", "100ms"][..], extra].concat(),
        );
        assert_failure_in(&format!("{extra:?}: "), &out, 27, &["no response on own/#"]);
    }
}

#[test]
fn the_real_answer_is_printed_when_the_filter_also_matches_the_request() {
    let broker = Broker::start();
    for v5 in [true, false] {
        let _r = Responder::start(broker.port, "dev/y/cmd", v5, |_| {
            vec![Reply::to("dev/y/resp", b"ANSWER".to_vec())]
        });
        let version = if v5 { "5" } else { "311" };
        let out = ask(
            broker.port,
            "dev/y/cmd",
            "dev/y/+",
            "REQ",
            "5s",
            &["-V", version],
        );
        assert_prints(out, "ANSWER\n");
    }
}

#[test]
fn an_echo_of_the_same_bytes_on_the_same_topic_is_taken_after_dropping_ours_once() {
    // `-t a -e a` with a responder that publishes the request's own bytes
    // back on the same topic: the first copy is mqrr's own request, the
    // second one is the responder's answer.
    let broker = Broker::start();
    let _r = Responder::start(broker.port, "same/t", false, |req| {
        // The responder sees its own echo too; answer requests only once.
        if req.msg.retained() || req.payload.ends_with(b"!") {
            return vec![];
        }
        vec![Reply::to("same/t", [req.payload, b"!"].concat())]
    });
    let out = ask(broker.port, "same/t", "same/t", "REQ", "5s", &["-V", "311"]);
    assert_prints(out, "REQ!\n");
}
