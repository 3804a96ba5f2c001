//! `mqrr sub` side by side with mosquitto_sub 2.0: for each option both
//! have, the two run on the same broker, get the same messages, and must
//! print the same bytes. Where the spec names a difference, the test pins
//! mqrr's side and says which difference it is.
//!
//! Both clients are told the protocol (`-V 5` or `-V 311`): mosquitto_sub
//! defaults to 3.1.1, mqrr to auto (MQTT 5).

mod common;
mod sub_support;

use std::time::Duration;

use common::*;
use sub_support::*;

const VERSIONS: [&str; 2] = ["5", "311"];

/// Retained messages published before the subscribers come, and live ones
/// after: QoS 0/1/2, text, binary, a newline inside, JSON.
fn retained() -> Vec<Pub> {
    vec![
        Pub::new("s/r1", "kept one").retained(),
        Pub::new("s/r2", "kept two").qos(1).retained(),
    ]
}

fn live() -> Vec<Pub> {
    vec![
        Pub::new("s/a", "hello"),
        Pub::new("s/b", "second\nline").qos(1),
        Pub::new("s/c", b"a\x00b\xff\"c".to_vec()).qos(2),
        Pub::new("s/d/e", r#"{"temperature":{"value":21.5}}"#).qos(1),
    ]
}

#[track_caller]
fn assert_same(mosq: &Ended, mqrr: &Ended, what: &str) {
    assert_eq!(
        mosq.code(),
        Some(0),
        "{what}: mosquitto_sub failed: {}",
        mosq.stderr
    );
    assert_eq!(mqrr.code(), Some(0), "{what}: mqrr failed: {}", mqrr.stderr);
    assert_eq!(mqrr.stderr, "", "{what}");
    assert_eq!(
        String::from_utf8_lossy(&mqrr.stdout),
        String::from_utf8_lossy(&mosq.stdout),
        "{what}: stdout differs (left mqrr, right mosquitto_sub)"
    );
    assert!(!mosq.stdout.is_empty(), "{what}: nothing printed");
}

#[test]
fn plain_verbose_and_no_newline_print_what_mosquitto_sub_prints() {
    let broker = broker();
    publish(broker.port, &retained());
    for v in VERSIONS {
        for mode in [&[][..], &["-v"], &["-N"], &["-v", "-N"]] {
            let args = [&["-V", v, "-t", "s/#", "-C", "6", "-W", "10"][..], mode].concat();
            let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "s/#", &live());
            assert_same(&mosq, &mqrr, &format!("-V {v} {mode:?}"));
        }
    }
}

#[test]
fn count_includes_retained_messages_as_mosquitto_sub_does() {
    let broker = broker();
    publish(broker.port, &retained());
    for v in VERSIONS {
        let args = ["-V", v, "-t", "s/#", "-C", "3", "-v", "-W", "10"];
        let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "s/#", &live());
        assert_same(&mosq, &mqrr, &format!("-V {v}"));
        assert_eq!(mqrr.text(), "s/r1 kept one\ns/r2 kept two\ns/a hello\n");
    }
}

#[test]
fn dash_r_leaves_out_retained_messages_and_does_not_count_them() {
    let broker = broker();
    publish(broker.port, &retained());
    for v in VERSIONS {
        let args = ["-V", v, "-t", "s/#", "-R", "-C", "2", "-v", "-W", "10"];
        let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "s/#", &live());
        assert_same(&mosq, &mqrr, &format!("-V {v}"));
        assert_eq!(mqrr.text(), "s/a hello\ns/b second\nline\n");
    }
}

#[test]
fn dash_t_filters_out_without_counting() {
    let broker = broker();
    publish(broker.port, &retained());
    for v in VERSIONS {
        let args = [
            "-V", v, "-t", "s/#", "-T", "s/r1", "-T", "s/+/e", "-T", "s/b", "-C", "3", "-v", "-W",
            "10",
        ];
        let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "s/#", &live());
        assert_same(&mosq, &mqrr, &format!("-V {v}"));
        assert_eq!(
            mqrr.text(),
            "s/r2 kept two\ns/a hello\ns/c a\0b\u{fffd}\"c\n"
        );
    }
}

#[test]
fn several_filters_and_qos_levels_match_mosquitto_sub() {
    let broker = broker();
    publish(broker.port, &retained());
    for v in VERSIONS {
        for qos in ["0", "1", "2"] {
            let args = [
                "-V",
                v,
                "-q",
                qos,
                "-t",
                "s/a",
                "-t",
                "s/+/e",
                "-t",
                "s/b",
                "-C",
                "3",
                "-F",
                "%q %r %t %p",
                "-W",
                "10",
            ];
            let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "s/+/e", &live());
            assert_same(&mosq, &mqrr, &format!("-V {v} -q {qos}"));
        }
    }
}

#[test]
fn retain_as_published_keeps_the_flag_of_live_messages() {
    let broker = broker();
    let live = [
        Pub::new("rap/a", "published retained").retained(),
        Pub::new("rap/b", "plain"),
    ];
    for rap in [&["--retain-as-published"][..], &[]] {
        let args = [
            &[
                "-V", "5", "-t", "rap/#", "-C", "2", "-F", "%r %t %p", "-W", "10",
            ][..],
            rap,
        ]
        .concat();
        let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "rap/#", &live);
        assert_same(&mosq, &mqrr, &format!("{rap:?}"));
        let flag = if rap.is_empty() { 0 } else { 1 };
        assert_eq!(
            mqrr.text(),
            format!("{flag} rap/a published retained\n0 rap/b plain\n")
        );
        clear_retained(broker.port, "rap/a");
    }
}

#[test]
fn retained_only_prints_the_retained_messages_and_ends_at_a_live_one() {
    let broker = broker();
    publish(broker.port, &retained());
    for v in VERSIONS {
        // mosquitto_sub waits for a live message to end; mqrr also ends
        // when nothing retained came for --settle (100 ms).
        let args = ["-V", v, "-t", "s/#", "--retained-only", "-v", "-W", "10"];
        let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "s/#", &live());
        assert_same(&mosq, &mqrr, &format!("-V {v}"));
        assert_eq!(mqrr.text(), "s/r1 kept one\ns/r2 kept two\n");
    }
}

#[test]
fn remove_retained_clears_what_it_prints_as_mosquitto_sub_does() {
    let broker = broker();
    let kept = [
        Pub::new("rm/a", "one").retained(),
        Pub::new("rm/b", "two").qos(1).retained(),
        Pub::new("rm/keep", "protected by -T").retained(),
    ];
    let mut outputs = Vec::new();
    // One after the other: each clears, and the other would print the
    // echoes of its clearing publishes.
    for client in ["mosquitto_sub", "mqrr"] {
        publish(broker.port, &kept);
        let id = format!("{client}-rm");
        let args = [
            "-V",
            "5",
            "-t",
            "rm/#",
            "-T",
            "rm/keep",
            "--remove-retained",
            "-F",
            "%t [%p] %r",
            "-W",
            "1",
        ];
        let sub = if client == "mqrr" {
            Sub::mqrr(broker.port, &id, &args)
        } else {
            Sub::mosquitto(broker.port, &id, &args)
        };
        let out = sub.finish(Duration::from_secs(10));
        // -W without -C: mosquitto_sub exits 27 ("Timed out"), mqrr 0 (spec §8).
        let expected_code = if client == "mqrr" { 0 } else { 27 };
        assert_eq!(out.code(), Some(expected_code), "{client}: {}", out.stderr);
        // A retained-only look afterwards: only the protected topic is left.
        let left = mqrr()
            .args(["sub", "-h", "127.0.0.1", "-p", &broker.port_arg()])
            .args(["-t", "rm/#", "--retained-only", "-v", "-W", "5"])
            .output()
            .unwrap();
        assert_prints(left, "rm/keep protected by -T\n");
        outputs.push(out.text());
    }
    // The retained messages, then the broker's echo of each clearing
    // publish (a live, empty message).
    let expected = "rm/a [one] 1\nrm/b [two] 1\nrm/a [] 0\nrm/b [] 0\n";
    assert_eq!(outputs[0], expected, "mosquitto_sub");
    assert_eq!(outputs[1], expected, "mqrr");
}

#[test]
fn dash_e_exits_once_subscribed_and_leaves_a_session_behind() {
    let broker = broker();
    let mut ids = Vec::new();
    for client in ["mosquitto_sub", "mqrr"] {
        let id = format!("{client}-e");
        // -x: a session that expires a minute after the client leaves.
        let create = ["-V", "5", "-c", "-x", "60", "-q", "1", "-t", "e/x", "-E"];
        let sub = if client == "mqrr" {
            Sub::mqrr(broker.port, &id, &create)
        } else {
            Sub::mosquitto(broker.port, &id, &create)
        };
        let out = sub.finish(Duration::from_secs(10));
        assert_eq!(out.code(), Some(0), "{client}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{client}: {}", out.text());
        ids.push(id);
    }
    // While both are away: the sessions keep what arrives.
    publish(broker.port, &[Pub::new("e/x", "while away").qos(1)]);
    let back = [
        "-V", "5", "-c", "-x", "60", "-q", "1", "-t", "e/x", "-C", "1", "-W", "10", "-v",
    ];
    let mosq = Sub::mosquitto(broker.port, &ids[0], &back).finish(Duration::from_secs(15));
    let mqrr = Sub::mqrr(broker.port, &ids[1], &back).finish(Duration::from_secs(15));
    assert_same(&mosq, &mqrr, "-c after -E");
    assert_eq!(mqrr.text(), "e/x while away\n");
}

#[test]
fn dash_u_removes_a_subscription_of_a_persistent_session() {
    let broker = broker();
    let mut printed = Vec::new();
    for (client, unsubscribe) in [("mosquitto_sub", true), ("mqrr", true), ("mqrr", false)] {
        let id = format!("{client}-u-{unsubscribe}");
        let run = |args: &[&str]| {
            let sub = if client == "mqrr" {
                Sub::mqrr(broker.port, &id, args)
            } else {
                Sub::mosquitto(broker.port, &id, args)
            };
            sub.finish(Duration::from_secs(10))
        };
        let created = run(&["-V", "5", "-c", "-q", "1", "-t", "u/old", "-E"]);
        assert_eq!(created.code(), Some(0), "{}", created.stderr);
        if unsubscribe {
            // mosquitto_sub 2.0 needs a -t; the same for both.
            let u = run(&["-V", "5", "-c", "-t", "u/other", "-U", "u/old", "-E"]);
            assert_eq!(u.code(), Some(0), "{client} -U: {}", u.stderr);
        }
        publish(broker.port, &[Pub::new("u/old", "queued?").qos(1)]);
        let back = run(&["-V", "5", "-c", "-q", "1", "-t", "u/old", "-v", "-W", "1"]);
        printed.push(back.text());
    }
    assert_eq!(printed[0], "", "mosquitto_sub after -U");
    assert_eq!(printed[1], "", "mqrr after -U");
    // The control: without -U the session kept the message.
    assert_eq!(printed[2], "u/old queued?\n");
}

#[test]
fn dash_w_without_count_is_a_success_for_mqrr() {
    // Spec §8: 27 only when -C was given and not reached; mosquitto_sub
    // says "Timed out" and exits 27 whenever -W ends the run.
    let broker = broker();
    publish(broker.port, &retained());
    let args = ["-V", "5", "-t", "s/#", "-v", "-W", "1"];
    let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "s/#", &live()[..1]);
    assert_eq!(mosq.code(), Some(27));
    assert_eq!(mosq.stderr, "Timed out\n");
    assert_eq!(mqrr.code(), Some(0), "{}", mqrr.stderr);
    assert_eq!(mqrr.stderr, "");
    assert_eq!(mqrr.stdout, mosq.stdout);
    assert_eq!(mqrr.text(), "s/r1 kept one\ns/r2 kept two\ns/a hello\n");
}

#[test]
fn empty_payloads_print_an_empty_line() {
    // A difference: mosquitto_sub prints nothing at all for an empty
    // payload (and "TOPIC (null)" with -v), so `| while read` misses it and
    // -v's second word is the text "(null)". mqrr prints one line per
    // message: an empty line, "TOPIC " with -v.
    let broker = broker();
    let msgs = [
        Pub::new("z/a", ""),
        Pub::new("z/b", "hi"),
        Pub::new("z/c", "").qos(1),
    ];
    for v in VERSIONS {
        let cases: [(&[&str], &str, &str); 4] = [
            (&[], "hi\n", "\nhi\n\n"),
            (
                &["-v"],
                "z/a (null)\nz/b hi\nz/c (null)\n",
                "z/a \nz/b hi\nz/c \n",
            ),
            (&["-N"], "hi", "hi"),
            (&["-F", "[%p]"], "[]\n[hi]\n[]\n", "[]\n[hi]\n[]\n"),
        ];
        for (mode, mosquitto_prints, mqrr_prints) in cases {
            let args = [&["-V", v, "-t", "z/#", "-C", "3", "-W", "10"][..], mode].concat();
            let (mosq, mqrr) = side_by_side(&broker, &args, &[], &[], "z/#", &msgs);
            assert_eq!(
                mosq.text(),
                mosquitto_prints,
                "mosquitto_sub -V {v} {mode:?}"
            );
            assert_eq!(mqrr.text(), mqrr_prints, "mqrr -V {v} {mode:?}");
            assert_eq!(mqrr.code(), Some(0));
        }
    }
}
