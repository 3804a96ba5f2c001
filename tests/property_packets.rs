//! `-D` properties on the packets other than PUBLISH (issue #13): CONNECT,
//! SUBSCRIBE, UNSUBSCRIBE and the final DISCONNECT carry what the command
//! line gave them, and only their own. Checked on the packets the scripted
//! fake broker received: a real broker keeps these properties to itself.

mod common;

use std::process::Output;
use std::time::Duration;

use common::fake_broker::*;
use common::*;

/// Every value of property `id` in `p`, raw (User Properties as
/// `key=value`, numbers as their big-endian bytes).
fn all(p: &Packet, id: u8) -> Vec<Vec<u8>> {
    p.props
        .iter()
        .filter(|(i, _)| *i == id)
        .map(|(_, v)| v.clone())
        .collect()
}

/// The packets the client sent, from a finished script's transcript.
fn sent(events: Vec<Event>) -> Vec<Packet> {
    events
        .into_iter()
        .filter_map(|e| match e {
            Event::Client(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// The one packet of `kind` in `packets`.
#[track_caller]
fn only(packets: &[Packet], kind: u8) -> &Packet {
    let of_kind: Vec<&Packet> = packets.iter().filter(|p| p.kind == kind).collect();
    assert_eq!(of_kind.len(), 1, "one packet of type {kind}: {packets:?}");
    of_kind[0]
}

/// `mqrr ARGS` against the fake broker on `port`, to its end.
fn run(port: u16, args: &[&str]) -> Output {
    mqrr()
        .arg(args[0])
        .args(broker_args(port))
        .args(&args[1..])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap()
}

#[test]
fn connect_and_disconnect_properties_reach_the_broker_on_their_packets() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new());
        c.expect(PUBLISH);
        c.expect(DISCONNECT);
    });
    let out = run(
        broker.port,
        &[
            "pub",
            "-t",
            "t",
            "-m",
            "x",
            "-D",
            "connect",
            "user-property",
            "ck",
            "cv",
            "-D",
            "connect",
            "session-expiry-interval",
            "60",
            "-D",
            "disconnect",
            "user-property",
            "dk",
            "dv",
            "-D",
            "disconnect",
            "reason-string",
            "all done",
        ],
    );
    assert_prints(out, "");
    let packets = sent(broker.finish(STEP_BOUND));
    let connect = only(&packets, CONNECT);
    assert_eq!(connect.version, 5, "-D implies MQTT 5: {connect:?}");
    assert_eq!(
        all(connect, prop::USER_PROPERTY),
        [b"ck=cv".to_vec()],
        "{connect:?}"
    );
    assert_eq!(
        all(connect, prop::SESSION_EXPIRY),
        [60u32.to_be_bytes().to_vec()],
        "{connect:?}"
    );
    let disconnect = only(&packets, DISCONNECT);
    assert_eq!(disconnect.reason, 0, "a clean DISCONNECT: {disconnect:?}");
    assert_eq!(
        all(disconnect, prop::USER_PROPERTY),
        [b"dk=dv".to_vec()],
        "{disconnect:?}"
    );
    assert_eq!(
        all(disconnect, prop::REASON_STRING),
        [b"all done".to_vec()],
        "{disconnect:?}"
    );
    // Each property went on its own packet only.
    let publish = only(&packets, PUBLISH);
    assert_eq!(all(publish, prop::USER_PROPERTY), Vec::<Vec<u8>>::new());
}

#[test]
fn subscribe_and_unsubscribe_properties_reach_the_broker_on_their_packets() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new());
        c.suback(&[0]);
        c.unsuback();
        c.expect(DISCONNECT);
    });
    let out = run(
        broker.port,
        &[
            "sub",
            "-t",
            "p/sub",
            "-U",
            "p/old",
            "-E",
            "-D",
            "subscribe",
            "user-property",
            "sk",
            "sv",
            "-D",
            "unsubscribe",
            "user-property",
            "uk",
            "uv",
            "-D",
            "unsubscribe",
            "user-property",
            "uk",
            "uv2",
        ],
    );
    assert_prints(out, "");
    let packets = sent(broker.finish(STEP_BOUND));
    assert_eq!(only(&packets, CONNECT).version, 5, "{packets:?}");
    let subscribe = only(&packets, SUBSCRIBE);
    assert_eq!(subscribe.filters.len(), 1, "{subscribe:?}");
    assert_eq!(subscribe.filters[0].0, "p/sub", "{subscribe:?}");
    assert_eq!(
        all(subscribe, prop::USER_PROPERTY),
        [b"sk=sv".to_vec()],
        "{subscribe:?}"
    );
    let unsubscribe = only(&packets, UNSUBSCRIBE);
    assert_eq!(
        unsubscribe.filters,
        [("p/old".to_string(), 0)],
        "{unsubscribe:?}"
    );
    // Repeated, in the order given.
    assert_eq!(
        all(unsubscribe, prop::USER_PROPERTY),
        [b"uk=uv".to_vec(), b"uk=uv2".to_vec()],
        "{unsubscribe:?}"
    );
    for p in [CONNECT, DISCONNECT] {
        let p = only(&packets, p);
        assert_eq!(all(p, prop::USER_PROPERTY), Vec::<Vec<u8>>::new(), "{p:?}");
    }
}

#[test]
fn a_request_s_subscribe_and_disconnect_carry_their_properties() {
    // The request mode: SUBSCRIBE to -e, PUBLISH, nobody answers, -W ends
    // it (27) with a clean DISCONNECT.
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new());
        c.suback(&[1]);
        c.expect(PUBLISH);
        // Whatever comes before the DISCONNECT (an UNSUBSCRIBE, acks).
        while let Some(p) = c.next() {
            match p.kind {
                UNSUBSCRIBE => {
                    // MQTT 5: id, no properties, success for the one filter.
                    let [hi, lo] = p.id.to_be_bytes();
                    c.send("UNSUBACK", &packet(UNSUBACK << 4, &[hi, lo, 0, 0]));
                }
                DISCONNECT => break,
                _ => {}
            }
        }
    });
    let out = mqrr()
        .args(broker_args(broker.port))
        .args(["-t", "req", "-e", "resp", "-m", "x", "-W", "300ms"])
        .args(["-D", "subscribe", "user-property", "sk", "sv"])
        .args(["-D", "disconnect", "reason-string", "gave up"])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_failure(&out, 27, &["no response on resp"]);
    let packets = sent(broker.finish(STEP_BOUND));
    let subscribe = only(&packets, SUBSCRIBE);
    assert_eq!(subscribe.filters[0].0, "resp", "{subscribe:?}");
    assert_eq!(
        all(subscribe, prop::USER_PROPERTY),
        [b"sk=sv".to_vec()],
        "{subscribe:?}"
    );
    let publish = only(&packets, PUBLISH);
    assert_eq!(all(publish, prop::USER_PROPERTY), Vec::<Vec<u8>>::new());
    let disconnect = only(&packets, DISCONNECT);
    assert_eq!(disconnect.reason, 0, "{disconnect:?}");
    assert_eq!(
        all(disconnect, prop::REASON_STRING),
        [b"gave up".to_vec()],
        "{disconnect:?}"
    );
}
