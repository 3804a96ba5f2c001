//! `-F FORMAT` (`text::format`): any template, parsed once, rendered twice
//! into one reused buffer against a message with any topic, payload and
//! MQTT 5 properties, at any time. `%j` and `%J` must always print valid
//! JSON, and `%J` must embed a JSON payload as the same value.
//!
//! Input: template, NUL, topic, NUL, then a length byte N, N bytes that
//! `arbitrary` turns into QoS, flags, properties and the time, and the
//! payload (the rest).

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use mqrr::message::{Message, Properties};
use mqrr::text::format::Template;
use mqrr_fuzz::{parts, text, time};
use serde_json::Value;

#[derive(Arbitrary, Debug, Default)]
struct Fields {
    qos: u8,
    retain: bool,
    mid: u16,
    payload_format: Option<u8>,
    message_expiry: Option<u32>,
    topic_alias: Option<u16>,
    response_topic: Option<String>,
    correlation: Option<Vec<u8>>,
    user: Vec<(String, String)>,
    subscription_ids: Vec<u32>,
    content_type: Option<String>,
    secs: i64,
    nanos: u32,
    pretty: bool,
}

fuzz_target!(|data: &[u8]| {
    let [format, topic, rest] = parts::<3>(data);
    let Ok(template) = Template::parse(&text(format)) else {
        return;
    };
    let (&len, rest) = rest.split_first().unwrap_or((&0, &[]));
    let (head, payload) = rest.split_at(usize::from(len).min(rest.len()));
    let f = Fields::arbitrary(&mut Unstructured::new(head)).unwrap_or_default();
    let msg = Message {
        // A topic is never empty of meaning here: the session drops one
        // that is not UTF-8 or holds NUL before anything prints it.
        topic: text(topic).replace('\0', ""),
        payload: payload.to_vec(),
        qos: f.qos % 3,
        retain: f.retain,
        mid: f.mid,
        properties: Properties {
            payload_format: f.payload_format,
            message_expiry: f.message_expiry,
            topic_alias: f.topic_alias,
            response_topic: f.response_topic,
            correlation: f.correlation,
            user: f.user,
            subscription_ids: f.subscription_ids,
            content_type: f.content_type,
        },
    };
    let now = time(f.secs, f.nanos);

    let mut out = Vec::new();
    template.render(&msg, &msg.payload, now, f.pretty, &mut out);
    let first = out.len();
    template.render(&msg, &msg.payload, now, f.pretty, &mut out);
    assert_eq!(
        out[..first],
        out[first..],
        "a reused buffer changed the output"
    );

    let as_json: Option<Value> = serde_json::from_slice(&msg.payload).ok();
    for (spec, pretty) in [("%j", false), ("%j", true), ("%J", false), ("%J", true)] {
        let t = Template::parse(spec).expect("a valid format");
        out.clear();
        t.render(&msg, &msg.payload, now, pretty, &mut out);
        let v: Value = match serde_json::from_slice(&out) {
            Ok(v) => v,
            // serde_json stops at 128 levels; a payload that deep,
            // embedded one level down, is valid JSON it will not read.
            Err(e) if e.to_string().contains("recursion limit") => continue,
            Err(e) => panic!(
                "{spec} printed invalid JSON ({e}): {}",
                String::from_utf8_lossy(&out)
            ),
        };
        if let (true, Some(payload)) = (spec == "%J", &as_json) {
            assert_eq!(v.get("payload"), Some(payload), "%J changed the payload");
        }
    }
});
