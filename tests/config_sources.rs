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

// ---- options files (-o) ------------------------------------------------------

fn options_file(lines: &str) -> tempfile::NamedTempFile {
    temp_file(lines.as_bytes())
}

#[test]
fn an_options_file_supplies_what_the_command_line_leaves_out() {
    let (broker, _r) = echo_broker();
    let file = options_file(&format!(
        "# broker and topics\n-h 127.0.0.1\r\n-p {}\n  # indented comment\n\n-t src/req\n-e src/resp\n-m from  the file\n",
        broker.port
    ));
    // The value is the rest of the line, spaces and all.
    assert_prints(
        mqrr().arg("-o").arg(file.path()).args(["-W", "5s"]),
        "from  the file\n",
    );
    assert_prints(
        mqrr()
            .arg("--options-file")
            .arg(file.path())
            .args(["-W", "5s"]),
        "from  the file\n",
    );
}

#[test]
fn the_command_line_wins_over_the_options_file_without_conflicts() {
    let (broker, _r) = echo_broker();
    let file =
        options_file("-L mqtt://nowhere.invalid:1\n-t src/req\n-e src/resp\n-m file\n-W 1\n");
    let port = broker.port.to_string();
    // -h/-p replace the file's -L; -s replaces the file's -m; -W the file's.
    assert_prints(
        mqrr()
            .arg("-o")
            .arg(file.path())
            .args(["-h", "127.0.0.1", "-p", &port, "-s", "-W", "5s"])
            .write_stdin("stdin"),
        "stdin\n",
    );
}

#[test]
fn the_environment_ranks_above_the_options_file() {
    let (broker, _r) = echo_broker();
    let file = options_file("-h nowhere.invalid\n-p 1\n-t src/req\n-e src/resp\n-m hi\n-W 5s\n");
    assert_prints(
        mqrr()
            .arg("-o")
            .arg(file.path())
            .env("MQRR_URL", format!("mqtt://127.0.0.1:{}", broker.port)),
        "hi\n",
    );
}

#[test]
fn repeatable_options_add_up_across_the_file_and_the_command_line() {
    let broker = Broker::start();
    let seen = Collector::start(broker.port, "src/req", true);
    let file = options_file(&format!(
        "-p {}\n--user-property from=file\n-D publish content-type text/x-file\n",
        broker.port
    ));
    let out = mqrr()
        .arg("-o")
        .arg(file.path())
        .args(["-t", "src/req", "-e", "src/resp", "-W", "300ms"])
        .args(["--user-property", "from=cli"])
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
    assert_eq!(user, ["from=file", "from=cli"], "{m:?}");
    assert!(
        m.properties.contains(&(0x03, "text/x-file".into())),
        "{m:?}"
    );
}

#[test]
fn bad_options_files_are_usage_errors_naming_file_or_line() {
    let missing = mqrr()
        .args(["-o", "/nonexistent/mqrr-options", "-t", "a", "-e", "b"])
        .output()
        .unwrap();
    assert_failure(&missing, 2, &["/nonexistent/mqrr-options"]);
    for (text, needle) in [
        (
            "-t a\n--no-such-option x\n",
            "line 2: unknown option --no-such-option",
        ),
        ("-t a\n-e b\n-W\n", "line 3: -W needs a value"),
        ("-t a\n--retained yes\n", "--retained takes no value"),
        ("host localhost\n", "line 1"),
    ] {
        let file = options_file(text);
        let out = mqrr().arg("-o").arg(file.path()).output().unwrap();
        assert_failure_in(&format!("{text:?}: "), &out, 2, &[needle]);
    }
    let twice = mqrr()
        .args(["-o", "a", "-o", "b", "-t", "a", "-e", "b"])
        .output()
        .unwrap();
    assert_failure(&twice, 2, &["only one options file"]);
}
