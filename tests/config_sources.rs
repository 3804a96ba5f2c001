//! Where a value comes from (spec §2, issue #11): command line >
//! environment > file > default, with no conflicts across levels, and URL
//! credentials percent-decoded so any password can be written.

mod common;

use std::time::Duration;

use common::*;

fn echo_broker() -> (Broker, Responder) {
    let broker = Broker::start();
    let r = Responder::echo(broker.port, "src/req", "src/resp");
    (broker, r)
}

fn ask() -> assert_cmd::Command {
    let mut cmd = mqrr();
    cmd.args(["-t", "src/req", "-e", "src/resp", "-m", "hi", "-W", "5s"])
        .timeout(Duration::from_secs(10));
    cmd
}

#[test]
fn a_url_on_the_command_line_wins_over_host_and_port_in_the_environment() {
    let (broker, _r) = echo_broker();
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    assert_prints(
        ask()
            .args(["-L", &url])
            .env("MQRR_HOST", "nowhere.invalid")
            .env("MQRR_PORT", "1"),
        "hi\n",
    );
}

#[test]
fn host_and_port_on_the_command_line_win_over_a_url_in_the_environment() {
    let (broker, _r) = echo_broker();
    let port = broker.port.to_string();
    assert_prints(
        ask()
            .args(["-h", "127.0.0.1", "-p", &port])
            .env("MQRR_URL", "mqtt://nowhere.invalid:1"),
        "hi\n",
    );
    // -p alone still takes the host from MQRR_HOST, never from MQRR_URL.
    assert_prints(
        ask()
            .args(["-p", &port])
            .env("MQRR_HOST", "127.0.0.1")
            .env("MQRR_URL", "mqtt://nowhere.invalid:1"),
        "hi\n",
    );
}

#[test]
fn a_unix_socket_on_the_command_line_wins_over_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("m.sock");
    let broker = Broker::with_config(&format!(
        "allow_anonymous true\nlistener 0 {}\nuser root\n",
        sock.display()
    ));
    let _r = Responder::echo(broker.port, "src/req", "src/resp");
    assert!(wait_until(Duration::from_secs(5), || sock.exists()));
    assert_prints(
        ask()
            .arg("--unix")
            .arg(&sock)
            .env("MQRR_URL", "mqtt://nowhere.invalid:1")
            .env("MQRR_HOST", "nowhere.invalid"),
        "hi\n",
    );
}

#[test]
fn the_environment_alone_is_used_when_the_command_line_says_nothing() {
    let (broker, _r) = echo_broker();
    assert_prints(
        ask().env("MQRR_URL", format!("mqtt://127.0.0.1:{}", broker.port)),
        "hi\n",
    );
    assert_prints(
        ask()
            .env("MQRR_HOST", "127.0.0.1")
            .env("MQRR_PORT", broker.port.to_string()),
        "hi\n",
    );
}

#[test]
fn conflicts_within_one_level_are_still_usage_errors() {
    let out = ask()
        .env("MQRR_URL", "mqtt://127.0.0.1:1")
        .env("MQRR_HOST", "127.0.0.1")
        .output()
        .unwrap();
    assert_failure(&out, 2, &["MQRR_URL", "MQRR_HOST"]);
    let out = ask()
        .args(["-L", "mqtt://127.0.0.1:1", "-h", "127.0.0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let out = ask().env("MQRR_PORT", "x").output().unwrap();
    assert_failure(&out, 2, &["MQRR_PORT"]);
}

/// A broker that knows `user` with `password`.
fn broker_for(user: &str, password: &str) -> (Broker, Responder) {
    let broker = Broker::with_passwords(&[(user, password), ("responder", "resp-pass")]);
    let r = Responder::echo_as(broker.port, "src/req", "src/resp", "responder", "resp-pass");
    (broker, r)
}

#[test]
fn url_credentials_are_percent_decoded() {
    let password = "p@ss:w/rd %41?#";
    let (broker, _r) = broker_for("us er", password);
    let url = format!(
        "mqtt://us%20er:p%40ss%3Aw%2Frd%20%2541%3F%23@127.0.0.1:{}",
        broker.port
    );
    assert_prints(ask().args(["-L", &url]), "hi\n");
    // Taken literally, the encoded form is the wrong password: exit 4, and
    // neither form is ever printed.
    let literal = format!("mqtt://us%20er:p%2540ss@127.0.0.1:{}", broker.port);
    let out = ask().args(["-L", &literal, "--debug"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    let all = describe(&out);
    assert!(!all.contains("p%40ss") && !all.contains("p@ss"), "{all}");
}

#[test]
fn a_user_name_that_is_not_utf8_once_decoded_is_a_usage_error() {
    let out = ask()
        .args(["-L", "mqtt://%FF%FE:x@127.0.0.1:1"])
        .output()
        .unwrap();
    assert_failure(&out, 2, &["--url", "UTF-8"]);
}

#[test]
fn credentials_from_the_command_line_url_win_over_the_environment() {
    let (broker, _r) = broker_for("alice", "right");
    let url = format!("mqtt://alice:right@127.0.0.1:{}", broker.port);
    assert_prints(
        ask()
            .args(["-L", &url])
            .env("MQRR_USERNAME", "mallory")
            .env("MQRR_PASSWORD", "wrong"),
        "hi\n",
    );
    // -u on the command line replaces the environment URL's pair; the
    // password then comes from MQRR_PASSWORD.
    assert_prints(
        ask()
            .args(["-u", "alice"])
            .env(
                "MQRR_URL",
                format!("mqtt://bob:nope@127.0.0.1:{}", broker.port),
            )
            .env("MQRR_PASSWORD", "right"),
        "hi\n",
    );
}
