//! What the broker announced is honoured before anything is sent (spec §2,
//! issue #11): Maximum QoS, Retain Available, Maximum Packet Size from a
//! real mosquitto's config; exit 4 with one line naming the limit and the
//! value, and nothing published.

mod common;

use std::time::Duration;

use common::*;

/// A mosquitto with `limits` in its config and a collector on `#`.
fn limited(limits: &str) -> (Broker, Collector) {
    let broker = Broker::with_config(&format!("allow_anonymous true\n{limits}\n"));
    let seen = Collector::start(broker.port, "#", false);
    (broker, seen)
}

/// `mqrr -p PORT -t lim/req -e lim/resp` and `extra`, which must give `-W`.
fn run(port: u16, extra: &[&str]) -> std::process::Output {
    mqrr()
        .args(["-p", &port.to_string(), "-t", "lim/req", "-e", "lim/resp"])
        .args(extra)
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap()
}

#[test]
fn qos_above_the_brokers_maximum_is_refused_before_publishing() {
    let (broker, seen) = limited("max_qos 0");
    for q in ["1", "2"] {
        let out = run(broker.port, &["-q", q, "-V", "5", "-W", "3s"]);
        let port = broker.port.to_string();
        assert_failure(
            &out,
            4,
            &[
                &format!("127.0.0.1:{port}").replace("127.0.0.1", "localhost"),
                "accepts at most QoS 0",
                &format!("QoS {q}"),
            ],
        );
    }
    // QoS 0 is still fine, and nothing was published before it.
    let out = run(broker.port, &["-q", "0", "-W", "300ms"]);
    assert_eq!(out.status.code(), Some(27));
    let seen = seen.wait_for(1, Duration::from_secs(5));
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].qos, 0);
}

#[test]
fn a_request_larger_than_the_maximum_packet_size_is_refused_naming_both_sizes() {
    let (broker, seen) = limited("max_packet_size 1000");
    let big = "x".repeat(2000);
    let out = run(broker.port, &["-m", &big, "-W", "3s"]);
    assert_failure(
        &out,
        4,
        &["request is ", " bytes; ", "accepts at most 1000"],
    );
    let line = String::from_utf8_lossy(&out.stderr).into_owned();
    let size: usize = line
        .split("request is ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {line}"));
    // 2000 bytes of payload, the topic, the properties, the headers.
    assert!((2000..2100).contains(&size), "{line}");
    // One that fits goes out.
    let out = run(broker.port, &["-m", &"y".repeat(500), "-W", "300ms"]);
    assert_eq!(out.status.code(), Some(27), "{}", describe(&out));
    let seen = seen.wait_for(1, Duration::from_secs(5));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].payload.len(), 500);
}

#[test]
fn a_retained_request_where_retain_is_not_available_is_refused() {
    let (broker, seen) = limited("retain_available false");
    let out = run(broker.port, &["--retain", "-m", "keep", "-W", "3s"]);
    assert_failure(&out, 4, &["does not retain messages", "retained"]);
    let out = run(broker.port, &["-m", "plain", "-W", "300ms"]);
    assert_eq!(out.status.code(), Some(27));
    let seen = seen.wait_for(1, Duration::from_secs(5));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].payload, b"plain");
}

#[test]
fn a_retained_request_is_published_retained() {
    let broker = Broker::start();
    let out = run(broker.port, &["--retain", "-m", "kept", "-W", "300ms"]);
    assert_eq!(out.status.code(), Some(27));
    // A subscriber that comes later gets it as a retained message.
    let later = Collector::start(broker.port, "lim/req", true);
    let seen = later.wait_for(1, Duration::from_secs(5));
    assert_eq!(seen[0].payload, b"kept");
    assert!(seen[0].retained);
    clear_retained(broker.port, "lim/req");
}
