//! The fake broker (tests/common/fake_broker.rs) against clients we did not
//! write: Paho (the same C library mqrr uses), mosquitto_pub and
//! mosquitto_sub. If these pass, a failing mqrr test against the fake
//! broker is about mqrr, not about the helper.

mod common;

use std::process::Command;
use std::time::Duration;

use common::fake_broker::*;
use common::*;
use paho_mqtt as mqtt;

/// Where a packet the client sent, or bytes the broker sent, stand in the
/// transcript.
fn position(t: &[Event], what: impl Fn(&Event) -> bool) -> usize {
    t.iter()
        .position(what)
        .unwrap_or_else(|| panic!("not in the transcript: {t:#?}"))
}

fn client_sent(kind: u8) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Client(p) if p.kind == kind)
}

fn broker_sent(label: &'static str) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Broker(l, _) if l == label)
}

#[test]
fn paho_v5_client_reads_connack_properties_suback_codes_publish_and_disconnect() {
    let broker = FakeBroker::start(|c| {
        let connect = c.handshake(
            Props::new()
                .byte(prop::MAXIMUM_QOS, 1)
                .u16(prop::RECEIVE_MAXIMUM, 7)
                .u32(prop::MAXIMUM_PACKET_SIZE, 1000),
        );
        assert_eq!(connect.version, 5);
        assert_eq!(connect.client_id, "selftest");
        c.suback(&[1, 0x87]);
        let request = c.expect(PUBLISH);
        assert_eq!(request.qos(), 1);
        c.ack(PUBACK, request.id, 0);
        let mut reply = Publish::new("resp", b"pong");
        reply.qos = 1;
        reply.id = 42;
        reply.props = Some(Props::new().bytes(
            prop::CORRELATION_DATA,
            request.prop(prop::CORRELATION_DATA).unwrap(),
        ));
        c.publish(&reply);
        assert_eq!(c.expect(PUBACK).id, 42);
        c.disconnect(0x8E, Some("session taken over"));
        c.hold();
    });

    let mut client = mqtt::Client::new(
        mqtt::CreateOptionsBuilder::new()
            .server_uri(format!("tcp://127.0.0.1:{}", broker.port))
            .client_id("selftest")
            .mqtt_version(mqtt::MQTT_VERSION_5)
            .persistence(None)
            .finalize(),
    )
    .unwrap();
    let events = client.start_consuming_events(None);
    let rsp = client
        .connect(
            mqtt::ConnectOptionsBuilder::with_mqtt_version(mqtt::MQTT_VERSION_5)
                .clean_start(true)
                .finalize(),
        )
        .unwrap();
    let props = rsp.properties();
    assert_eq!(props.get_int(mqtt::PropertyCode::MaximumQos), Some(1));
    assert_eq!(props.get_int(mqtt::PropertyCode::ReceiveMaximum), Some(7));
    assert_eq!(
        props.get_int(mqtt::PropertyCode::MaximumPacketSize),
        Some(1000)
    );

    let rsp = client.subscribe_many(&["resp", "denied"], &[1, 1]).unwrap();
    assert_eq!(rsp.subscribe_many_response(), Some(vec![1, 0x87]));

    let mut props = mqtt::Properties::new();
    props
        .push_binary(mqtt::PropertyCode::CorrelationData, b"c0ffee".to_vec())
        .unwrap();
    client
        .publish(
            mqtt::MessageBuilder::new()
                .topic("req")
                .payload("ping")
                .qos(1)
                .properties(props)
                .finalize(),
        )
        .unwrap();

    let mut got = None;
    let mut reason = None;
    while reason.is_none() {
        match events.recv_timeout(Duration::from_secs(10)).expect("event") {
            mqtt::Event::Message(m) => got = Some(m),
            mqtt::Event::Disconnected { reason_code, props } => {
                reason = Some((
                    reason_code,
                    props.get_string(mqtt::PropertyCode::ReasonString),
                ))
            }
            _ => {}
        }
    }
    let got = got.expect("the reply");
    assert_eq!(got.payload(), b"pong");
    assert_eq!(
        got.properties()
            .get_binary(mqtt::PropertyCode::CorrelationData),
        Some(b"c0ffee".to_vec())
    );
    assert_eq!(
        reason,
        Some((
            mqtt::ReasonCode::SessionTakenOver,
            Some("session taken over".into())
        ))
    );

    let t = broker.finish(Duration::from_secs(10));
    assert!(
        position(&t, broker_sent("SUBACK")) < position(&t, client_sent(PUBLISH)),
        "{t:#?}"
    );
}

#[test]
fn mosquitto_pub_runs_a_whole_qos2_flow_on_mqtt5() {
    let broker = FakeBroker::start(|c| {
        c.handshake(Props::new());
        let p = c.expect(PUBLISH);
        assert_eq!(
            (p.qos(), &p.topic[..], &p.payload[..]),
            (2, &b"t/1"[..], &b"hello"[..])
        );
        assert_eq!(p.prop(prop::CONTENT_TYPE), Some(&b"text/plain"[..]));
        c.ack(PUBREC, p.id, 0);
        assert_eq!(c.expect(PUBREL).id, p.id);
        c.ack(PUBCOMP, p.id, 0);
        assert_eq!(c.expect(DISCONNECT).reason, 0);
    });
    let status = Command::new("mosquitto_pub")
        .args(broker_args(broker.port))
        .args(["-V", "5", "-q", "2", "-t", "t/1", "-m", "hello"])
        .args(["-D", "publish", "content-type", "text/plain"])
        .status()
        .expect("mosquitto_pub (apt-get install mosquitto-clients)");
    assert!(status.success());
    let t = broker.finish(Duration::from_secs(10));
    assert!(position(&t, broker_sent("ack 5 id 1")) < position(&t, client_sent(PUBREL)));
}

#[test]
fn mosquitto_sub_on_311_prints_a_publish_with_a_non_utf8_payload() {
    let broker = FakeBroker::start(|c| {
        let connect = c.handshake(Props::new());
        assert_eq!(connect.version, 4);
        assert_eq!(connect.connect_flags & 0x02, 0x02, "clean session");
        let sub = c.suback(&[0]);
        assert_eq!(sub.filters, vec![("a/#".to_string(), 0)]);
        c.publish(&Publish::new("a/b", b"\xff\x00x"));
        c.expect(DISCONNECT);
    });
    let out = Command::new("mosquitto_sub")
        .args(broker_args(broker.port))
        .args(["-V", "311", "-t", "a/#", "-C", "1", "-W", "10"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(out.stdout, b"\xff\x00x\n");
    broker.finish(Duration::from_secs(10));
}

#[test]
fn a_refusing_connack_reaches_mosquitto_sub_with_its_reason() {
    let broker = FakeBroker::start(|c| {
        c.expect(CONNECT);
        c.connack_v5(0x87, Props::new().bytes(prop::REASON_STRING, b"go away"));
        c.hold();
    });
    let out = Command::new("mosquitto_sub")
        .args(broker_args(broker.port))
        .args(["-V", "5", "-t", "x", "-W", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Not authorized"),
        "{}",
        describe(&out)
    );
    broker.finish(Duration::from_secs(10));
}

#[test]
#[should_panic(expected = "no client connected")]
fn a_script_whose_client_never_came_fails_the_test() {
    let _broker = FakeBroker::start(|c| {
        c.expect(CONNECT);
    });
}
