//! A seeded random driver: after CONNACK and SUBACK, the fake broker answers
//! mqrr's MQTT 5 QoS 2 request with a random sequence of valid, invalid and
//! truncated packets, and mqrr must end with an exit status, never an
//! abort, a signal, a panic or a hang past `-W`.
//!
//! It found a double free in the bundled Paho C 1.3.16, about 1 seed in 29:
//! `MQTTAsync_cycle` completes a publish command for an ack that does not end
//! its flow (a PUBCOMP before the PUBREC, say) and frees the topic and
//! payload that the outbound message still holds; closing the session frees
//! them again. mqrr builds Paho C with a fix
//! (vendor/paho-mqtt-sys/patches/0001-…); the reduced sequences run in every
//! test run (`minimal_sequences_end_cleanly`), the random run by hand:
//!
//! ```sh
//! cargo build   # the tests run target/debug/mqrr
//! MQRR_SEEDS=0..600 MQRR_JOBS=4 cargo test --test paho_random_packets random -- --ignored --nocapture
//! MQRR_SEEDS=78 cargo test …               # one seed, with mqrr's --debug trace
//! MQRR_SEEDS=78 MQRR_REDUCE=1 cargo test … # and its minimal sequence
//! MQRR_SEEDS=78 MQRR_WRAP="valgrind -q" cargo test …  # under valgrind
//! MQRR_WRAP="gdb -q -batch -ex run -ex bt --args" …   # or with a backtrace
//! cargo test --test paho_random_packets minimal -- --ignored --nocapture
//! ```

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::chaos::*;
use common::fake_broker::*;
use common::*;

/// How mqrr is run and when the broker plays its steps.
#[derive(Clone, Copy, Debug)]
struct Setup {
    /// `-V`: "5" or "311".
    version: &'static str,
    /// `-q`, and the QoS the SUBACK grants.
    qos: u8,
    /// Play the steps between SUBSCRIBE and SUBACK (ids then default to the
    /// SUBSCRIBE's) instead of after the request.
    before_suback: bool,
}

/// What the random driver runs: the reported case, a MQTT 5 QoS 2 request.
const V5_QOS2: Setup = Setup {
    version: "5",
    qos: 2,
    before_suback: false,
};

fn run_seed(steps: &[Step], debug: bool) -> Result<(), String> {
    run(steps, V5_QOS2, debug)
}

/// Runs the script for `steps` against one mqrr request. The result is
/// `Err(why)` when mqrr crashed, panicked or hung.
fn run(steps: &[Step], setup: Setup, debug: bool) -> Result<(), String> {
    let script = steps.to_vec();
    let broker = FakeBroker::start(move |c| {
        c.handshake(Props::new());
        let sub = c.expect(SUBSCRIBE);
        if setup.before_suback {
            play(c, &script, sub.id, &[]);
            c.suback_to(&sub, &[setup.qos]);
        } else {
            c.suback_to(&sub, &[setup.qos]);
            let req = c.expect(PUBLISH);
            let corr = req.prop(prop::CORRELATION_DATA).unwrap_or_default();
            play(c, &script, req.id, corr);
        }
        c.hold();
    });
    // MQRR_WRAP="valgrind -q" (or a gdb command line) runs mqrr under it.
    let wrap = std::env::var("MQRR_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut cmd = match words.next() {
        Some(tool) => {
            let mut c = std::process::Command::new(tool);
            c.args(words).arg(assert_cmd::cargo::cargo_bin("mqrr"));
            c
        }
        None => mqrr_std(),
    };
    let qos = setup.qos.to_string();
    cmd.args(broker_args(broker.port)).args([
        "-V",
        setup.version,
        "-q",
        &qos,
        "-t",
        "req",
        "-e",
        "resp",
        "-m",
        "hi",
        "-W",
        "3",
    ]);
    if debug {
        cmd.arg("--debug");
    }
    let mut child = spawn_piped(&mut cmd);
    let started = Instant::now();
    let mut status = None;
    let bound = Duration::from_secs(if wrap.is_empty() { 8 } else { 60 });
    let exited = wait_until(bound, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    if !exited {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    let elapsed = started.elapsed();
    let _ = broker.try_finish(Duration::from_secs(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = if stderr.contains("== Invalid ") {
        Some("valgrind found an invalid access or free".into())
    } else if !exited {
        Some(format!("hung: still running after {elapsed:?}"))
    } else if out.status.code().is_none() {
        Some(format!("killed by a signal: {:?}", out.status))
    } else if out.status.code() == Some(134) {
        Some("exit 134 (abort)".into())
    } else if ["double free", "free():", "malloc", "corrupted", "panicked"]
        .iter()
        .any(|w| stderr.contains(w))
    {
        Some("crash text on stderr".into())
    } else {
        None
    };
    match why {
        Some(why) => Err(format!("{why}\n{}", describe(&out))),
        None if debug => {
            eprintln!("{}", describe(&out));
            Ok(())
        }
        None => Ok(()),
    }
}

/// Drops steps (and unwraps truncated or mis-sized packets) while the run
/// still fails the same way in one of `tries` runs: a failing seed's
/// minimal sequence.
fn reduce(mut steps: Vec<Step>, tries: usize) -> Vec<Step> {
    let class = |r: Result<(), String>| r.err().map(|e| e.lines().next().unwrap().to_string());
    let want = (0..tries).find_map(|_| class(run_seed(&steps, false)));
    let Some(want) = want else { return steps };
    let fails = |c: &[Step]| (0..tries).any(|_| class(run_seed(c, false)).as_ref() == Some(&want));
    'outer: loop {
        for i in 0..steps.len() {
            let mut candidates = vec![steps.clone()];
            candidates[0].remove(i);
            if let Step::Truncated(inner, _) | Step::BadLength(inner, _) = &steps[i] {
                let mut unwrapped = steps.clone();
                unwrapped[i] = (**inner).clone();
                candidates.push(unwrapped);
            }
            if let Some(c) = candidates.into_iter().find(|c| fails(c)) {
                steps = c;
                continue 'outer;
            }
        }
        return steps;
    }
}

#[test]
#[ignore = "600 seeds take minutes; run by hand (see the module doc)"]
fn random_packets_after_a_qos2_request_never_crash_mqrr() {
    let seeds = seed_range("MQRR_SEEDS", "0..200");
    let single = seeds.end - seeds.start == 1;
    let (failures, _) = run_seeds(seeds, 2, |seed| {
        let steps = steps_for(seed);
        if single {
            eprintln!("seed {seed}: {steps:?}");
        }
        if single && std::env::var("MQRR_REDUCE").is_ok() {
            eprintln!("minimal: {:?}", reduce(steps.clone(), 3));
        }
        run_seed(&steps, single)
            .map(|()| String::new())
            .map_err(|why| format!("{steps:?}\n  {why}"))
    });
    assert!(failures.is_empty(), "{failures}");
}

/// An ack of `kind` for the request (or, before SUBACK, the SUBSCRIBE).
fn ack_of(kind: u8, reason: Option<u8>) -> Step {
    Step::Ack {
        kind,
        id: None,
        reason,
    }
}

/// A QoS 2 PUBLISH to mqrr on a topic it does not wait for.
fn inbound_qos2(id: u16) -> Step {
    Step::Publish {
        qos: 2,
        id,
        retain: false,
        ours: false,
        topic: b"other",
        bad_props: None,
    }
}

/// The minimal sequences behind the crash and its relatives, each run a few
/// times (vendor/paho-mqtt-sys/patches/0001-…). Every one must end cleanly.
#[test]
fn minimal_sequences_end_cleanly() {
    let v311 = Setup {
        version: "311",
        ..V5_QOS2
    };
    let qos1 = Setup { qos: 1, ..V5_QOS2 };
    let early = Setup {
        before_suback: true,
        ..V5_QOS2
    };
    let cases: Vec<(&str, Setup, Vec<Step>)> = vec![
        (
            "PUBCOMP before PUBREC, then EOF",
            V5_QOS2,
            vec![ack_of(PUBCOMP, Some(0)), Step::HalfClose],
        ),
        (
            "PUBCOMP (error) before PUBREC, then EOF",
            V5_QOS2,
            vec![ack_of(PUBCOMP, Some(0x92)), Step::HalfClose],
        ),
        (
            "PUBCOMP before PUBREC, then the full flow",
            V5_QOS2,
            vec![
                ack_of(PUBCOMP, Some(0)),
                ack_of(PUBREC, Some(0)),
                ack_of(PUBCOMP, Some(0)),
            ],
        ),
        (
            "PUBREC, then PUBREC with an error, then EOF",
            V5_QOS2,
            vec![
                ack_of(PUBREC, Some(0)),
                ack_of(PUBREC, Some(0x80)),
                Step::HalfClose,
            ],
        ),
        (
            "3.1.1: PUBCOMP before PUBREC, then EOF",
            v311,
            vec![ack_of(PUBCOMP, None), Step::HalfClose],
        ),
        (
            "QoS 1: PUBCOMP instead of PUBACK, then EOF",
            qos1,
            vec![ack_of(PUBCOMP, Some(0)), Step::HalfClose],
        ),
        (
            "QoS 1: PUBREC with an error instead of PUBACK, then EOF",
            qos1,
            vec![ack_of(PUBREC, Some(0x80)), Step::HalfClose],
        ),
        (
            "PUBACK with the SUBSCRIBE's id before SUBACK",
            early,
            vec![ack_of(PUBACK, Some(0))],
        ),
        (
            "PUBREC with an error, then PUBCOMP, then EOF",
            V5_QOS2,
            vec![
                ack_of(PUBREC, Some(0x80)),
                ack_of(PUBCOMP, Some(0)),
                Step::HalfClose,
            ],
        ),
        (
            "PUBREL without PUBREC, then EOF",
            V5_QOS2,
            vec![ack_of(PUBREL, Some(0)), Step::HalfClose],
        ),
        (
            "the whole flow, then a late PUBCOMP",
            V5_QOS2,
            vec![
                ack_of(PUBREC, Some(0)),
                ack_of(PUBCOMP, Some(0)),
                ack_of(PUBCOMP, Some(0)),
                Step::HalfClose,
            ],
        ),
        (
            "a QoS 2 PUBLISH twice with one id, then PUBREL, then EOF",
            V5_QOS2,
            vec![
                inbound_qos2(7),
                inbound_qos2(7),
                Step::Ack {
                    kind: PUBREL,
                    id: Some(7),
                    reason: Some(0),
                },
                Step::HalfClose,
            ],
        ),
        (
            "PUBACK for the QoS 2 request",
            V5_QOS2,
            vec![ack_of(PUBACK, Some(0))],
        ),
    ];
    let mut failed = String::new();
    for (name, setup, steps) in &cases {
        let results: Vec<_> = (0..3).map(|_| run(steps, *setup, false)).collect();
        let bad = results.iter().filter(|r| r.is_err()).count();
        eprintln!("{bad}/3 crashed: {name}");
        if let Some(Err(why)) = results.into_iter().find(|r| r.is_err()) {
            let _ = writeln!(failed, "{name}: {why}\n");
        }
    }
    assert!(failed.is_empty(), "{failed}");
}
