//! The connection options of spec §2 that every subcommand shares: `-D`
//! properties checked per packet, the Last Will, persistent sessions,
//! TLS-PSK, and the mosquitto options Paho C cannot serve (exit 2 naming
//! them). Real mosquitto and a raw subscriber see what was sent.

mod common;

use std::time::Duration;

use common::*;

fn base(port: u16) -> assert_cmd::Command {
    let mut cmd = mqrr();
    cmd.args(["-p", &port.to_string(), "-t", "co/req", "-e", "co/resp"])
        .timeout(Duration::from_secs(10));
    cmd
}

#[test]
fn publish_properties_reach_subscribers_in_order() {
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "co/req", true);
    let out = base(broker.port)
        .args(["-m", "x", "-W", "300ms"])
        .args(["-D", "publish", "content-type", "text/plain"])
        .args(["-D", "publish", "user-property", "k1", "v1"])
        .args(["-D", "publish", "message-expiry-interval", "60"])
        .args(["-D", "publish", "user-property", "k2", "v2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(27), "{}", describe(&out));
    let m = &seen.wait_for(1, Duration::from_secs(5))[0];
    let user: Vec<&str> = m
        .properties
        .iter()
        .filter(|(id, _)| *id == 0x26)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(user, ["k1=v1", "k2=v2"], "{m:?}");
    assert!(m.properties.contains(&(0x03, "text/plain".into())), "{m:?}");
    assert!(m.properties.contains(&(0x02, "60".into())), "{m:?}");
    // mqrr's own properties are still there.
    assert_eq!(m.response_topic.as_deref(), Some("co/resp"));
    assert!(m.correlation.is_some());
}

#[test]
fn bad_property_specs_are_usage_errors_before_connecting() {
    // The port is closed: only a check before connecting exits 2.
    let port = free_port();
    let cases: &[(&[&str], &str)] = &[
        (
            &["-D", "publish", "session-expiry-interval", "5"],
            "not allowed on PUBLISH",
        ),
        (
            &["-D", "connect", "content-type", "x"],
            "not allowed on CONNECT",
        ),
        (
            &["-D", "subscribe", "subscription-identifier", "0"],
            "subscription-identifier",
        ),
        (
            &["-D", "publish", "payload-format-indicator", "2"],
            "payload-format-indicator",
        ),
        (
            &["-D", "publish", "no-such", "1"],
            "no such MQTT 5 property",
        ),
        (&["-D", "pub", "content-type", "x"], "not a packet"),
        (
            &["-D", "publish", "content-type", "x", "-V", "311"],
            "needs MQTT 5",
        ),
        (&["-D", "will", "content-type", "x"], "--will-topic"),
        (&["-x", "60", "-V", "311"], "needs MQTT 5"),
        (&["-c"], "-i"),
        (&["-A", "127.0.0.1"], "-A is not supported"),
        (
            &["--proxy", "socks5h://localhost:1080"],
            "--proxy is not supported",
        ),
        (&["--tls-engine", "pkcs11"], "--tls-engine is not supported"),
        (&["--keyform", "engine"], "not supported"),
        (&["--tls-version", "tlsv1.3"], "tlsv1.3 is not supported"),
        (&["--psk", "zz", "--psk-identity", "me"], "--psk"),
    ];
    for (extra, needle) in cases {
        let out = base(port).args(["-W", "2s"]).args(*extra).output().unwrap();
        assert_failure_in(&format!("{extra:?}: "), &out, 2, &[needle]);
    }
}

#[test]
fn accepted_no_ops_do_not_change_the_exchange() {
    let broker = Broker::start();
    let _r = Responder::echo(broker.port, "co/req", "co/resp");
    assert_prints(
        base(broker.port).args(["-m", "hi", "-W", "5s", "--nodelay", "--keyform", "pem"]),
        "hi\n",
    );
}

#[test]
fn the_will_fires_when_mqrr_is_killed_and_not_on_a_clean_exit() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let will = Collector::start(broker.port, "co/will", true);
    for version in ["5", "311"] {
        // A clean exit (timeout) sends DISCONNECT 0: no will.
        let out = base(broker.port)
            .args(["-W", "200ms", "-V", version])
            .args(["--will-topic", "co/will", "--will-payload", "clean"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(27), "{}", describe(&out));
        // Killed while waiting: the broker publishes the will.
        let run = Running::spawn_until(
            "SUBACK",
            &[
                "-p",
                &port,
                "-t",
                "co/req",
                "-e",
                "co/resp",
                "-W",
                "30s",
                "-V",
                version,
                "--will-topic",
                "co/will",
                "--will-payload",
                "killed",
                "--will-qos",
                "1",
            ],
        );
        let pid = run.pid();
        run.finish_after(|| send_signal(pid, "KILL"), Duration::from_secs(10));
    }
    let seen = will.wait_for(2, Duration::from_secs(10));
    assert_eq!(will.payloads(), ["killed", "killed"], "{seen:?}");
    assert_eq!(seen[0].qos, 1);
}

#[test]
fn will_properties_go_with_the_will() {
    let broker = Broker::start();
    let port = broker.port.to_string();
    let will = Collector::start(broker.port, "co/will2", true);
    let run = Running::spawn_until(
        "SUBACK",
        &[
            "-p",
            &port,
            "-t",
            "co/req",
            "-e",
            "co/resp",
            "-W",
            "30s",
            "--will-topic",
            "co/will2",
            "--will-payload",
            "w",
            "-D",
            "will",
            "content-type",
            "application/x-will",
            "-D",
            "will",
            "user-property",
            "why",
            "killed",
        ],
    );
    let pid = run.pid();
    run.finish_after(|| send_signal(pid, "KILL"), Duration::from_secs(10));
    let m = &will.wait_for(1, Duration::from_secs(10))[0];
    assert_eq!(m.payload, b"w");
    assert!(
        m.properties.contains(&(0x03, "application/x-will".into())),
        "{m:?}"
    );
    assert!(m.properties.contains(&(0x26, "why=killed".into())), "{m:?}");
}

#[test]
fn tls_psk_connects_with_the_right_key_and_fails_with_a_wrong_one() {
    let broker = Broker::with_files(
        &[("psk", b"me:0123456789abcdef\n" as &[u8])],
        "allow_anonymous true\npsk_hint mqrr-test\npsk_file {dir}/psk\nuse_identity_as_username false\n",
    );
    let run = |key: &str| {
        base(broker.port)
            .args(["-W", "500ms", "--psk", key, "--psk-identity", "me"])
            .output()
            .unwrap()
    };
    // Connected: nobody answers, so the deadline ends it.
    let out = run("0123456789abcdef");
    assert_failure(&out, 27, &["no response on co/resp"]);
    let out = run("00112233");
    assert_failure(&out, 3, &["cannot connect"]);
}
