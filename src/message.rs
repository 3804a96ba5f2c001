//! A received PUBLISH as the rest of mqrr sees it: plain data, no Paho
//! types, so that commands and text code (extraction, `-F`) never touch the
//! network layer.

/// The MQTT 5 properties a PUBLISH can carry (MQTT 5 §3.3.2.3), as the
/// broker sent them. Strings a broker sent as invalid UTF-8 are decoded
/// lossily; nothing here is ever trusted for control flow except
/// `correlation` (compared byte for byte) and `response_topic` (checked as
/// a topic before use).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    /// Payload Format Indicator (0x01): 0 bytes, 1 UTF-8.
    pub payload_format: Option<u8>,
    /// Message Expiry Interval (0x02), seconds.
    pub message_expiry: Option<u32>,
    /// Topic Alias (0x23).
    pub topic_alias: Option<u16>,
    /// Response Topic (0x08).
    pub response_topic: Option<String>,
    /// Correlation Data (0x09), binary.
    pub correlation: Option<Vec<u8>>,
    /// User Property (0x26) pairs, in the order received.
    pub user: Vec<(String, String)>,
    /// Subscription Identifier (0x0B) values, in the order received.
    pub subscription_ids: Vec<u32>,
    /// Content Type (0x03).
    pub content_type: Option<String>,
}

/// One application message received from the broker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Always valid UTF-8 without NUL: a PUBLISH whose topic is not is
    /// dropped where it arrives (MQTT 5 §1.5.4), never handed on.
    pub topic: String,
    pub payload: Vec<u8>,
    /// 0, 1 or 2.
    pub qos: u8,
    /// The RETAIN flag as delivered.
    pub retain: bool,
    /// Packet Identifier (0 for QoS 0).
    pub mid: u16,
    pub properties: Properties,
}
