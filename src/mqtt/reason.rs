//! Reason codes in words: MQTT 5 §2.4 and the 3.1.1 CONNACK return codes
//! (MQTT 3.1.1 §3.2.2.3), so that every refusal or DISCONNECT reads
//! `session taken over (0x8E)` instead of a bare number.

/// The MQTT 5 name of a reason code, in lower case as mqrr prints it.
/// Codes below 0x80 depend on the packet; `disconnect` picks the
/// DISCONNECT reading of 0x00 and 0x04.
pub fn name(code: u8, disconnect: bool) -> &'static str {
    match code {
        0x00 if disconnect => "normal disconnection",
        0x00 => "success",
        0x01 => "granted QoS 1",
        0x02 => "granted QoS 2",
        0x04 if disconnect => "disconnect with will message",
        0x10 => "no matching subscribers",
        0x11 => "no subscription existed",
        0x18 => "continue authentication",
        0x19 => "re-authenticate",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8B => "server shutting down",
        0x8C => "bad authentication method",
        0x8D => "keep alive timeout",
        0x8E => "session taken over",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x92 => "packet identifier not found",
        0x93 => "receive maximum exceeded",
        0x94 => "topic alias invalid",
        0x95 => "packet too large",
        0x96 => "message rate too high",
        0x97 => "quota exceeded",
        0x98 => "administrative action",
        0x99 => "payload format invalid",
        0x9A => "retain not supported",
        0x9B => "QoS not supported",
        0x9C => "use another server",
        0x9D => "server moved",
        0x9E => "shared subscriptions not supported",
        0x9F => "connection rate exceeded",
        0xA0 => "maximum connect time",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "reason",
    }
}

/// `session taken over (0x8E)`, with the broker's Reason String after it
/// when it sent one.
pub fn describe(code: u8, disconnect: bool, reason_string: Option<&str>) -> String {
    let mut s = format!("{} (0x{code:02X})", name(code, disconnect));
    if let Some(r) = reason_string.filter(|r| !r.is_empty()) {
        s.push_str(": ");
        s.push_str(r);
    }
    s
}

/// The MQTT 3.1.1 CONNACK return codes (1–5) in words.
pub fn connack_v3(code: i32) -> String {
    let what = match code {
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "refused",
    };
    format!("{what} (CONNACK {code})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words_with_hex() {
        assert_eq!(describe(0x8E, true, None), "session taken over (0x8E)");
        assert_eq!(
            describe(0x87, false, Some("acl")),
            "not authorized (0x87): acl"
        );
        assert_eq!(describe(0x00, true, None), "normal disconnection (0x00)");
        assert_eq!(describe(0xAB, false, None), "reason (0xAB)");
        assert_eq!(connack_v3(5), "not authorized (CONNACK 5)");
    }
}
