//! Files and stdin that never end (`/dev/zero`) are read only as far as they
//! can matter, and a file that never opens (a FIFO nobody writes to) does
//! not hold the deadline (issue #19: found while fuzzing every parser of
//! outside input, which reaches these files through the command line).
//! Each end-less file used to be read until memory ran out; peak memory is
//! measured with GNU time.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

/// Runs mqrr with `args` (stdin from `stdin`) under GNU time: its output
/// and its peak RSS in KiB.
fn run_measured(args: &[&str], stdin: Stdio) -> (Output, u64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg(assert_cmd::cargo::cargo_bin("mqrr"))
        .args(args)
        .stdin(stdin);
    for var in [
        "MQRR_HOST",
        "MQRR_PORT",
        "MQRR_URL",
        "MQRR_USERNAME",
        "MQRR_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/time (apt-get install time)");
    let bounded = wait_until(Duration::from_secs(20), || {
        child.try_wait().unwrap().is_some()
    });
    if !bounded {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(bounded, "still running after 20 s: {}", describe(&out));
    let text = std::fs::read_to_string(report.path()).unwrap();
    let kib = text.lines().last().and_then(|l| l.trim().parse().ok());
    (
        out,
        kib.unwrap_or_else(|| panic!("no RSS from time: {text:?}")),
    )
}

/// Asserts a usage error (exit 2, one line with `needle`) that needed at
/// most `max_mib` of memory.
#[track_caller]
fn assert_refused(args: &[&str], stdin: Stdio, needle: &str, max_mib: u64) {
    let (out, kib) = run_measured(args, stdin);
    assert_failure(&out, 2, &[needle]);
    assert!(kib < max_mib * 1024, "{args:?}: peak RSS {kib} KiB");
}

#[test]
fn options_file_that_never_ends_is_refused_at_once() {
    assert_refused(
        &["-o", "/dev/zero", "-t", "a", "-e", "b"],
        Stdio::null(),
        "options file /dev/zero: larger than 1024 KiB",
        32,
    );
}

#[test]
fn password_file_that_never_ends_gives_one_overlong_password() {
    assert_refused(
        &[
            "--password-file",
            "/dev/zero",
            "-u",
            "u",
            "-t",
            "a",
            "-e",
            "b",
        ],
        Stdio::null(),
        "password longer than 65535 bytes",
        32,
    );
}

#[test]
fn payload_file_that_never_ends_stops_at_mqtts_limit() {
    // Reading stops one byte past MQTT's 256 MiB.
    assert_refused(
        &["--file", "/dev/zero", "-t", "a", "-e", "b", "-W", "20s"],
        Stdio::null(),
        "payload larger than MQTT's 256 MiB limit",
        300,
    );
}

#[test]
fn stdin_that_never_ends_stops_at_mqtts_limit() {
    let zero = std::fs::File::open("/dev/zero").unwrap();
    assert_refused(
        &["-s", "-t", "a", "-e", "b", "-W", "20s"],
        Stdio::from(zero),
        "payload larger than MQTT's 256 MiB limit",
        300,
    );
}

#[test]
fn token_cache_that_never_ends_is_ignored() {
    // Not ours, so ignored: the token is fetched, from a broker that is not
    // there (exit 3), without reading the "cache" first.
    let port = free_port().to_string();
    let (out, kib) = run_measured(
        &[
            "c8y-token",
            "--no-tedge-config",
            "--cache",
            "/dev/zero",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
        ],
        Stdio::null(),
    );
    assert_failure(&out, 3, &[&format!("127.0.0.1:{port}")]);
    assert!(kib < 32 * 1024, "peak RSS {kib} KiB");
}

/// `--cafile` (and `--cert`/`--key`) naming a FIFO with no writer: opening
/// it to check it blocked before the deadline could apply, forever. Now a
/// silent server still ends the run at `-W` with 27.
#[test]
fn certificate_file_that_is_a_fifo_does_not_hold_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ca.pem");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let fifo = fifo.to_str().unwrap();
    // Accepts and holds connections without a byte of MQTT (or TLS).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
        }
    });
    for files in [
        &["--cafile", fifo][..],
        &["--cert", fifo, "--key", fifo, "--insecure"][..],
    ] {
        let (out, elapsed) = run_timed(
            mqrr()
                .args(files)
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-t",
                    "a",
                    "-e",
                    "b",
                    "-W",
                    "1s",
                ])
                .timeout(Duration::from_secs(10)),
        );
        assert_failure_in(&format!("{files:?}: "), &out, 27, &[&port]);
        assert!(
            elapsed < Duration::from_secs(3),
            "{files:?}: took {elapsed:?}"
        );
    }
}
