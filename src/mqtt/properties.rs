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

/// The properties given with `-D`, by packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByPacket {
    pub connect: Vec<Property>,
    pub publish: Vec<Property>,
    pub subscribe: Vec<Property>,
    pub unsubscribe: Vec<Property>,
    pub disconnect: Vec<Property>,
    pub will: Vec<Property>,
}

impl ByPacket {
    pub fn is_empty(&self) -> bool {
        self.connect.is_empty()
            && self.publish.is_empty()
            && self.subscribe.is_empty()
            && self.unsubscribe.is_empty()
            && self.disconnect.is_empty()
            && self.will.is_empty()
    }

    pub fn add(&mut self, packet: Packet, p: Property) {
        match packet {
            Packet::Connect => self.connect.push(p),
            Packet::Publish => self.publish.push(p),
            Packet::Subscribe => self.subscribe.push(p),
            Packet::Unsubscribe => self.unsubscribe.push(p),
            Packet::Disconnect => self.disconnect.push(p),
            Packet::Will => self.will.push(p),
        }
    }
}

/// One `-D CMD NAME VALUE` (`-D CMD user-property KEY VALUE`), checked as
/// mosquitto checks it: a known packet, a property MQTT 5 allows a client
/// to send on it, a value of the property's type. Errors are one line.
pub fn parse_spec(values: &[String]) -> Result<(Packet, Property), String> {
    let [cmd, name, rest @ ..] = values else {
        return Err("-D needs CMD NAME VALUE".into());
    };
    let packet = Packet::parse(cmd).ok_or_else(|| {
        format!(
            "-D {cmd}: not a packet (connect, publish, subscribe, unsubscribe, disconnect or will)"
        )
    })?;
    let Some(&(id, name, kind, packets)) = TABLE.iter().find(|p| p.1 == name) else {
        return Err(format!("-D {cmd} {name}: no such MQTT 5 property"));
    };
    if !packets.contains(&packet) {
        return Err(format!(
            "-D {cmd} {name}: not allowed on {} packets",
            cmd.to_uppercase()
        ));
    }
    let one = |rest: &[String]| -> Result<String, String> {
        match rest {
            [v] => Ok(v.clone()),
            _ => Err(format!("-D {cmd} {name} takes one value")),
        }
    };
    let int = |max: u32, min: u32| -> Result<u32, String> {
        let v = one(rest)?;
        match v.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!(
                "-D {cmd} {name} {v:?}: expected a number from {min} to {max}"
            )),
        }
    };
    let string = |v: String| -> Result<String, String> {
        if v.contains('\0') || v.len() > 65535 {
            Err(format!("-D {cmd} {name}: not a valid MQTT string"))
        } else {
            Ok(v)
        }
    };
    let value = match (kind, id) {
        (Kind::Pair, _) => match rest {
            [k, v] => Value::Pair(string(k.clone())?, string(v.clone())?),
            _ => return Err(format!("-D {cmd} {name} takes NAME VALUE")),
        },
        // A boolean or an indicator: 0 or 1.
        (Kind::Byte, _) => Value::Int(int(1, 0)?),
        // Receive Maximum and Topic Alias 0 are protocol errors.
        (Kind::TwoByte, 0x21 | 0x23) => Value::Int(int(65535, 1)?),
        (Kind::TwoByte, _) => Value::Int(int(65535, 0)?),
        (Kind::FourByte, 0x27) => Value::Int(int(u32::MAX, 1)?),
        (Kind::FourByte, _) => Value::Int(int(u32::MAX, 0)?),
        (Kind::VarInt, _) => Value::Int(int(268_435_455, 1)?),
        (Kind::String, _) => Value::String(string(one(rest)?)?),
        (Kind::Binary, _) => {
            let v = one(rest)?;
            if v.len() > 65535 {
                return Err(format!("-D {cmd} {name}: longer than 65535 bytes"));
            }
            Value::Binary(v.into_bytes())
        }
    };
    Ok((packet, Property { id, value }))
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

    fn spec(args: &[&str]) -> Result<(Packet, Property), String> {
        parse_spec(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn property_specs_are_checked_per_packet() {
        assert_eq!(
            spec(&["publish", "content-type", "text/plain"]).unwrap(),
            (Packet::Publish, Property::string(0x03, "text/plain"))
        );
        assert_eq!(
            spec(&["connect", "user-property", "k", "v"]).unwrap(),
            (Packet::Connect, Property::user("k", "v"))
        );
        assert_eq!(
            spec(&["subscribe", "subscription-identifier", "7"]).unwrap(),
            (Packet::Subscribe, Property::int(0x0B, 7))
        );
        assert_eq!(
            spec(&["connect", "session-expiry-interval", "4294967295"])
                .unwrap()
                .1,
            Property::int(0x11, u32::MAX)
        );
        for bad in [
            &["publish", "session-expiry-interval", "5"][..],
            &["connect", "content-type", "x"],
            &["subscribe", "subscription-identifier", "0"],
            &["subscribe", "subscription-identifier", "268435456"],
            &["publish", "payload-format-indicator", "2"],
            &["connect", "receive-maximum", "0"],
            &["connect", "receive-maximum", "65536"],
            &["publish", "user-property", "k"],
            &["publish", "content-type", "a", "b"],
            &["publish", "no-such-property", "1"],
            &["pubilsh", "content-type", "x"],
            &["connect", "maximum-qos", "1"],
            &["publish", "content-type"],
        ] {
            assert!(spec(bad).is_err(), "{bad:?} accepted");
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
