//! Request mode against a real mosquitto: the round trip and its options.

mod common;

use common::*;

#[test]
fn echo_round_trip_prints_the_reply() {
    let broker = Broker::start();
    let _r = Responder::echo(broker.port, "req", "resp");
    mqrr()
        .args([
            "-p",
            &broker.port_arg(),
            "-t",
            "req",
            "-e",
            "resp",
            "-m",
            "hello",
        ])
        .assert()
        .success()
        .stdout("hello\n")
        .stderr("");
}
