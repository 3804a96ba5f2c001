//! MQTT 5 properties as mqrr handles them (MQTT 5 §2.2.2.2): what a
//! property is called, its type, which packets may carry it, and the
//! outgoing property lists mqrr builds (`-D`, correlation data, will
//! properties). No Paho types: `paho.rs` turns these into Paho's lists.

use std::fmt;

/// The packets a user may attach properties to with `-D CMD NAME VALUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    Connect,
    Publish,
    Subscribe,
    Unsubscribe,
    Disconnect,
    Will,
}

impl Packet {
    /// mosquitto's `-D` command names.
    pub fn parse(s: &str) -> Option<Packet> {
        Some(match s {
            "connect" => Packet::Connect,
            "publish" => Packet::Publish,
            "subscribe" => Packet::Subscribe,
            "unsubscribe" => Packet::Unsubscribe,
            "disconnect" => Packet::Disconnect,
            "will" => Packet::Will,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Packet::Connect => "connect",
            Packet::Publish => "publish",
            Packet::Subscribe => "subscribe",
            Packet::Unsubscribe => "unsubscribe",
            Packet::Disconnect => "disconnect",
            Packet::Will => "will",
        }
    }
}

/// The wire type of a property's value (MQTT 5 §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Byte,
    TwoByte,
    FourByte,
    VarInt,
    String,
    Binary,
    Pair,
}

/// A property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Byte, Two Byte, Four Byte and Variable Byte Integers.
    Int(u32),
    String(String),
    Binary(Vec<u8>),
    Pair(String, String),
}

/// One property: its identifier (e.g. 0x09 for Correlation Data) and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub id: u8,
    pub value: Value,
}

/// Every property of MQTT 5 §2.2.2.2: identifier, kebab-case name (as
/// mosquitto's `-D` takes it), type, and the packets a client may send it
/// on (empty: only a server sends it).
pub const TABLE: &[(u8, &str, Kind, &[Packet])] = {
    use Kind::*;
    use Packet::*;
    &[
        (0x01, "payload-format-indicator", Byte, &[Publish, Will]),
        (0x02, "message-expiry-interval", FourByte, &[Publish, Will]),
        (0x03, "content-type", String, &[Publish, Will]),
        (0x08, "response-topic", String, &[Publish, Will]),
        (0x09, "correlation-data", Binary, &[Publish, Will]),
        (0x0B, "subscription-identifier", VarInt, &[Subscribe]),
        (
            0x11,
            "session-expiry-interval",
            FourByte,
            &[Connect, Disconnect],
        ),
        (0x12, "assigned-client-identifier", String, &[]),
        (0x13, "server-keep-alive", TwoByte, &[]),
        (0x15, "authentication-method", String, &[Connect]),
        (0x16, "authentication-data", Binary, &[Connect]),
        (0x17, "request-problem-information", Byte, &[Connect]),
        (0x18, "will-delay-interval", FourByte, &[Will]),
        (0x19, "request-response-information", Byte, &[Connect]),
        (0x1A, "response-information", String, &[]),
        (0x1C, "server-reference", String, &[]),
        (0x1F, "reason-string", String, &[Disconnect]),
        (0x21, "receive-maximum", TwoByte, &[Connect]),
        (0x22, "topic-alias-maximum", TwoByte, &[Connect]),
        (0x23, "topic-alias", TwoByte, &[Publish]),
        (0x24, "maximum-qos", Byte, &[]),
        (0x25, "retain-available", Byte, &[]),
        (
            0x26,
            "user-property",
            Pair,
            &[Connect, Publish, Subscribe, Unsubscribe, Disconnect, Will],
        ),
        (0x27, "maximum-packet-size", FourByte, &[Connect]),
        (0x28, "wildcard-subscription-available", Byte, &[]),
        (0x29, "subscription-identifier-available", Byte, &[]),
        (0x2A, "shared-subscription-available", Byte, &[]),
    ]
};

/// The kebab-case name of a property identifier, for messages.
pub fn name(id: u8) -> &'static str {
    TABLE
        .iter()
        .find(|p| p.0 == id)
        .map_or("unknown property", |p| p.1)
}

/// The wire type of a property identifier, `None` when MQTT 5 has no such
/// property.
pub fn kind(id: u8) -> Option<Kind> {
    TABLE.iter().find(|p| p.0 == id).map(|p| p.2)
}

pub mod id {
    pub const CORRELATION_DATA: u8 = 0x09;
    pub const RESPONSE_TOPIC: u8 = 0x08;
    pub const SUBSCRIPTION_IDENTIFIER: u8 = 0x0B;
    pub const SESSION_EXPIRY_INTERVAL: u8 = 0x11;
    pub const ASSIGNED_CLIENT_IDENTIFIER: u8 = 0x12;
    pub const SERVER_KEEP_ALIVE: u8 = 0x13;
    pub const REASON_STRING: u8 = 0x1F;
    pub const RECEIVE_MAXIMUM: u8 = 0x21;
    pub const MAXIMUM_QOS: u8 = 0x24;
    pub const RETAIN_AVAILABLE: u8 = 0x25;
    pub const USER_PROPERTY: u8 = 0x26;
    pub const MAXIMUM_PACKET_SIZE: u8 = 0x27;
    pub const WILDCARD_SUBSCRIPTION_AVAILABLE: u8 = 0x28;
    pub const SUBSCRIPTION_IDENTIFIER_AVAILABLE: u8 = 0x29;
    pub const SHARED_SUBSCRIPTION_AVAILABLE: u8 = 0x2A;
}

impl Property {
    pub fn string(id: u8, s: impl Into<String>) -> Property {
        Property {
            id,
            value: Value::String(s.into()),
        }
    }

    pub fn binary(id: u8, b: impl Into<Vec<u8>>) -> Property {
        Property {
            id,
            value: Value::Binary(b.into()),
        }
    }

    pub fn int(id: u8, v: u32) -> Property {
        Property {
            id,
            value: Value::Int(v),
        }
    }

    pub fn user(k: impl Into<String>, v: impl Into<String>) -> Property {
        Property {
            id: id::USER_PROPERTY,
            value: Value::Pair(k.into(), v.into()),
        }
    }

    /// Bytes this property takes on the wire (identifier included), for
    /// checking a packet against the broker's Maximum Packet Size.
    pub fn wire_len(&self) -> usize {
        1 + match &self.value {
            Value::Int(v) => match kind(self.id) {
                Some(Kind::Byte) => 1,
                Some(Kind::TwoByte) => 2,
                Some(Kind::VarInt) => var_int_len(*v as usize),
                _ => 4,
            },
            Value::String(s) => 2 + s.len(),
            Value::Binary(b) => 2 + b.len(),
            Value::Pair(k, v) => 4 + k.len() + v.len(),
        }
    }
}

/// Bytes of an MQTT Variable Byte Integer (MQTT 5 §1.5.5).
pub fn var_int_len(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Int(v) => write!(f, "{} {v}", name(self.id)),
            Value::String(s) => write!(f, "{} {s:?}", name(self.id)),
            Value::Binary(b) => write!(f, "{} ({} bytes)", name(self.id), b.len()),
            Value::Pair(k, v) => write!(f, "{} {k:?}={v:?}", name(self.id)),
        }
    }
}

/// The first value of `id` in `props`, as an integer.
pub fn find_int(props: &[Property], id: u8) -> Option<u32> {
    props
        .iter()
        .find(|p| p.id == id)
        .and_then(|p| match p.value {
            Value::Int(v) => Some(v),
            _ => None,
        })
}

/// The first value of `id` in `props`, as a string.
pub fn find_string(props: &[Property], id: u8) -> Option<&str> {
    props
        .iter()
        .find(|p| p.id == id)
        .and_then(|p| match &p.value {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_unique_ids_and_names() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                assert_ne!(a.0, b.0);
                assert_ne!(a.1, b.1);
            }
        }
    }

    #[test]
    fn wire_lengths() {
        assert_eq!(Property::binary(0x09, vec![0; 16]).wire_len(), 19);
        assert_eq!(Property::user("k", "vv").wire_len(), 8);
        assert_eq!(Property::int(0x0B, 200).wire_len(), 3);
        assert_eq!(Property::int(0x01, 1).wire_len(), 2);
        assert_eq!(Property::int(0x02, 1).wire_len(), 5);
    }
}
