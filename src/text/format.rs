//! `-F FORMAT` (spec §9): mosquitto_sub's "OUTPUT FORMAT" language, so a
//! script written against `mosquitto_sub -F` prints the same bytes here.
//!
//! The reference is mosquitto 2.1's `client/sub_client_output.c` (checked
//! against the output of mosquitto_sub 2.0.11): every specifier, flag and
//! quirk is kept, including the odd ones a script may already depend on.
//! What mosquitto leaves to the platform is pinned down here instead: times
//! are UTC, `@X` is glibc's strftime in the C locale, and `%j`/`%J` always
//! print valid JSON. A format string is parsed once at start-up into
//! tokens; each message is rendered by walking them into the caller's
//! reused buffer, with no allocation per specifier.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_core::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::message::{Message, Properties};

/// Largest field width or precision accepted. mosquitto reads them into a
/// C `int` with no limit; a larger one is far more likely a typo than a
/// column layout, and would make every message that many bytes.
const MAX_WIDTH: usize = 65_535;

/// The characters mosquitto 2.1 accepts after the precision as the `%x`
/// group separator (`%.2:x`); the default is a space.
const HEX_SEPARATORS: &[u8] = b"!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~ ";

/// The `@X` conversions that depend on the time, glibc's set in the C
/// locale. Any other `@X` is fixed text, resolved when parsing.
const TIME_CONVERSIONS: &[u8] = b"aAbBcCdDeFgGhHIjklmMpPrRsSTuUVwWxXyYzZ";

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A parsed `-F` format string.
///
/// Specifiers (spec §9, `man mosquitto_sub` "OUTPUT FORMAT"):
///
/// - message: `%t` topic, `%p` payload, `%x`/`%X` payload in lower/upper
///   case hex, `%l` payload length in bytes, `%m` packet id, `%q` QoS,
///   `%r` retain flag (`0`/`1`), `%%` a `%`;
/// - MQTT 5 properties: `%A` topic alias, `%C` content type, `%D`
///   correlation data (raw bytes), `%E` message expiry interval (seconds),
///   `%F` payload format indicator, `%P` user properties (`name:value`
///   separated by spaces), `%R` response topic, `%S` the first
///   subscription identifier;
/// - time of receipt, always UTC: `%I` ISO 8601 to the second
///   (`2026-11-30T09:10:13+0000`), `%U` Unix time with nanoseconds
///   (`1796029813.123456789`), `@X` glibc's `strftime` `%X` in the C
///   locale (`@z` is `+0000`, `@Z` is `UTC`), `@N` nanoseconds (9 digits),
///   `@@` an `@`;
/// - `%j` the message as one JSON object with the payload as a string,
///   `%J` the same with the payload embedded as JSON (see [`Template::render`]);
/// - `%d`/`%f` (mosquitto 2.1): a payload of exactly 8/4 bytes read as a
///   little-endian IEEE 754 double/float, printed like C's `%f` (6
///   decimals unless `.N`); any other length prints nothing;
/// - escapes `\\ \0 \a \e \n \r \t \v`.
///
/// Between `%` and the letter: `-` left-aligns, `0` pads with zeros,
/// digits set a minimum width, `.N` a maximum width (`%t %C %R %I`), the
/// hex group size in digits (`%x %X`: `%.4x` on `mes` is `6d65 73`) or the
/// decimals (`%d %f`), then an optional group separator from
/// `!"#$&'()*+,-./:;<=>?@[\]^_`{|}~` (`%.2:x` is `6d:65:73`).
///
/// mosquitto's quirks are kept byte for byte: a width also truncates `%p`
/// and `%x` (to that many bytes), `%-p` without a width appends one space
/// per payload byte, an absent property pads with the `0` flag even when
/// left-aligned, `%R` absent prints nothing (not even padding), and
/// `%D %P %q %r %U %j %J` ignore width and precision. Where mosquitto 2.1
/// differs from 2.0.11 this follows 2.1: `%x` widths count digits, not
/// half the bytes; `%.N:x` groups; `%d %f`; `%05C` absent pads with zeros;
/// `%j`'s `tst`, `retain` and `user-properties` (see [`Template::render`]).
///
/// Departures from mosquitto, each where it prints something unusable:
/// times are UTC whatever `TZ` says (mosquitto uses local time; the same
/// bytes on a UTC host); `%E` above 2³¹−1 prints unsigned (mosquitto
/// prints it negative); `%j`/`%J` never print invalid JSON (see
/// [`Template::render`]); a width or precision above 65535 is refused.
#[derive(Debug, Clone)]
pub struct Template {
    tokens: Vec<Token>,
    /// Every literal byte of the format (escapes resolved); `Token::Text`
    /// points into it, so rendering text is one copy per run.
    text: Vec<u8>,
    /// Whether any token needs the receive time (computed once per render).
    uses_clock: bool,
}

/// Flags, width and precision of one `%` specifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spec {
    left: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
    separator: u8,
}

impl Spec {
    fn pad_byte(self) -> u8 {
        if self.zero { b'0' } else { b' ' }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `text[start..end]`.
    Text(usize, usize),
    Topic(Spec),
    Payload(Spec),
    Hex(Spec, bool),
    Length(Spec),
    Mid(Spec),
    Qos,
    Retain,
    TopicAlias(Spec),
    ContentType(Spec),
    Correlation,
    Expiry(Spec),
    PayloadFormat(Spec),
    UserProperties,
    ResponseTopic(Spec),
    SubscriptionId(Spec),
    Iso8601(Spec),
    UnixTime,
    Json {
        embed: bool,
    },
    Float {
        double: bool,
        spec: Spec,
    },
    /// One of `TIME_CONVERSIONS`.
    Time(u8),
    Nanos,
}

impl Template {
    /// Parses `format` once, at start-up (spec §9).
    ///
    /// An unknown specifier or escape, or one cut off by the end of the
    /// string, is `Err` with one line naming it (`unknown format specifier
    /// '%y'`), for the caller to report as a usage error (exit 2). The
    /// message has no `mqrr:` or `-F` prefix.
    pub fn parse(format: &str) -> Result<Template, String> {
        let bytes = format.as_bytes();
        let mut t = Template {
            tokens: Vec::new(),
            text: Vec::new(),
            uses_clock: false,
        };
        let mut i = 0;
        while let Some(&c) = bytes.get(i) {
            match c {
                b'%' => i = t.parse_percent(format, i)?,
                b'@' => i = t.parse_at(format, i)?,
                b'\\' => i = t.parse_escape(format, i)?,
                _ => {
                    let rest = bytes.get(i..).unwrap_or_default();
                    let run = rest
                        .iter()
                        .position(|&c| matches!(c, b'%' | b'@' | b'\\'))
                        .unwrap_or(rest.len());
                    t.push_text(rest.get(..run).unwrap_or_default());
                    i += run;
                }
            }
        }
        Ok(t)
    }

    /// Renders one message, appending to `out` (the caller clears and
    /// reuses it).
    ///
    /// `payload` is what `%p %x %X %l %d %f %j %J` show: the extracted text
    /// when `-j/-r/-f` applied, else `msg.payload`. `now` is the receive
    /// time, printed in UTC. `pretty` is `--pretty`: `%j`/`%J` are then
    /// laid out as cJSON's `cJSON_Print` does (a tab per level, `":\t"`).
    ///
    /// `%j`/`%J` print one JSON object, `{"tst", "topic", "qos", "retain",
    /// "payloadlen", "mid" (QoS > 0), "properties" (when any), "payload"}`,
    /// as mosquitto 2.1: `tst` is `2026-11-30T09:10:13.123456+0000`,
    /// `retain` a boolean, `user-properties` an array of one-pair objects
    /// (keeping order and duplicates), `subscription-identifier` a number
    /// (an array when the broker sent several). An empty payload is
    /// `"payload":null`. `%J` embeds a payload that is valid JSON (compacted
    /// or re-indented, numbers and strings kept as sent); any other payload
    /// is shown as `%j` shows it, never as invalid JSON. A payload that is
    /// not UTF-8 is never dropped or mangled: it is given as
    /// `"payload_base64":"…"` (standard alphabet, padded) instead of
    /// `"payload"`, and correlation data that is not UTF-8 as
    /// `"correlation-data-base64"` inside `"properties"`.
    pub fn render(
        &self,
        msg: &Message,
        payload: &[u8],
        now: SystemTime,
        pretty: bool,
        out: &mut Vec<u8>,
    ) {
        let clock = if self.uses_clock {
            Clock::at(now)
        } else {
            Clock::default()
        };
        let props = &msg.properties;
        for token in &self.tokens {
            match *token {
                Token::Text(start, end) => {
                    out.extend_from_slice(self.text.get(start..end).unwrap_or_default())
                }
                Token::Topic(spec) => string(out, msg.topic.as_bytes(), spec),
                Token::Payload(spec) => raw_payload(out, payload, spec),
                Token::Hex(spec, upper) => hex(out, payload, spec, upper),
                Token::Length(spec) => int(out, payload.len() as u64, spec),
                Token::Mid(spec) => int(out, msg.mid.into(), spec),
                Token::Qos => push_uint(out, msg.qos.into()),
                Token::Retain => out.push(if msg.retain { b'1' } else { b'0' }),
                Token::TopicAlias(spec) => {
                    optional_int(out, props.topic_alias.map(u64::from), spec)
                }
                Token::ContentType(spec) => match &props.content_type {
                    Some(s) => string(out, s.as_bytes(), spec),
                    None => fill(out, spec.pad_byte(), spec.width),
                },
                Token::Correlation => {
                    out.extend_from_slice(props.correlation.as_deref().unwrap_or_default())
                }
                // Unsigned: mosquitto casts to int and prints an expiry
                // above 2^31-1 as a negative number.
                Token::Expiry(spec) => optional_int(out, props.message_expiry.map(u64::from), spec),
                Token::PayloadFormat(spec) => {
                    optional_int(out, props.payload_format.map(u64::from), spec)
                }
                Token::UserProperties => {
                    for (n, (name, value)) in props.user.iter().enumerate() {
                        if n > 0 {
                            out.push(b' ');
                        }
                        out.extend_from_slice(name.as_bytes());
                        out.push(b':');
                        out.extend_from_slice(value.as_bytes());
                    }
                }
                Token::ResponseTopic(spec) => {
                    // mosquitto prints nothing at all for an absent response
                    // topic, not even the padding the other properties get.
                    if let Some(s) = &props.response_topic {
                        string(out, s.as_bytes(), spec);
                    }
                }
                Token::SubscriptionId(spec) => optional_int(
                    out,
                    props.subscription_ids.first().copied().map(u64::from),
                    spec,
                ),
                Token::Iso8601(spec) => {
                    let start = out.len();
                    clock.iso8601(out);
                    truncate_and_pad(out, start, spec);
                }
                Token::UnixTime => {
                    push_int(out, clock.secs);
                    out.push(b'.');
                    push_padded(out, clock.nanos.into(), 9);
                }
                Token::Json { embed } => json(out, msg, payload, &clock, embed, pretty),
                Token::Float { double, spec } => float(out, payload, double, spec),
                Token::Time(conversion) => clock.strftime(out, conversion),
                Token::Nanos => push_padded(out, clock.nanos.into(), 9),
            }
        }
    }

    fn push_token(&mut self, token: Token) {
        if matches!(
            token,
            Token::Iso8601(_)
                | Token::UnixTime
                | Token::Json { .. }
                | Token::Time(_)
                | Token::Nanos
        ) {
            self.uses_clock = true;
        }
        self.tokens.push(token);
    }

    /// Appends literal bytes, merging with the text token before it.
    fn push_text(&mut self, bytes: &[u8]) {
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        let end = self.text.len();
        match self.tokens.last_mut() {
            Some(Token::Text(_, last_end)) if *last_end == start => *last_end = end,
            _ => self.tokens.push(Token::Text(start, end)),
        }
    }

    /// Parses the `%` sequence at `start` (mosquitto 2.1's grammar:
    /// `%[-][0][WIDTH][.[PRECISION]][SEPARATOR]LETTER`); returns the index
    /// after it.
    fn parse_percent(&mut self, format: &str, start: usize) -> Result<usize, String> {
        let bytes = format.as_bytes();
        let mut spec = Spec {
            left: false,
            zero: false,
            width: 0,
            precision: None,
            separator: b' ',
        };
        let mut i = start + 1;
        if bytes.get(i) == Some(&b'-') {
            spec.left = true;
            i += 1;
        }
        if bytes.get(i) == Some(&b'0') {
            spec.zero = true;
            i += 1;
        }
        (spec.width, i) = number(bytes, i)?;
        if bytes.get(i) == Some(&b'.') {
            let precision;
            (precision, i) = number(bytes, i + 1)?;
            spec.precision = Some(precision);
        }
        if let Some(&c) = bytes.get(i).filter(|c| HEX_SEPARATORS.contains(c)) {
            spec.separator = c;
            i += 1;
        }
        // Everything up to `i` is ASCII, so `i` is a char boundary.
        let Some(letter) = format.get(i..).and_then(|s| s.chars().next()) else {
            return Err(format!(
                "incomplete format specifier '{}' at the end of the format",
                format.get(start..).unwrap_or("%")
            ));
        };
        let token = match letter {
            '%' => {
                self.push_text(b"%");
                return Ok(i + 1);
            }
            't' => Token::Topic(spec),
            'p' => Token::Payload(spec),
            'x' => Token::Hex(spec, false),
            'X' => Token::Hex(spec, true),
            'l' => Token::Length(spec),
            'm' => Token::Mid(spec),
            'q' => Token::Qos,
            'r' => Token::Retain,
            'A' => Token::TopicAlias(spec),
            'C' => Token::ContentType(spec),
            'D' => Token::Correlation,
            'E' => Token::Expiry(spec),
            'F' => Token::PayloadFormat(spec),
            'P' => Token::UserProperties,
            'R' => Token::ResponseTopic(spec),
            'S' => Token::SubscriptionId(spec),
            'I' => Token::Iso8601(spec),
            'U' => Token::UnixTime,
            'j' => Token::Json { embed: false },
            'J' => Token::Json { embed: true },
            'd' => Token::Float { double: true, spec },
            'f' => Token::Float {
                double: false,
                spec,
            },
            _ => {
                let end = i + letter.len_utf8();
                return Err(format!(
                    "unknown format specifier '{}'",
                    format.get(start..end).unwrap_or("%")
                ));
            }
        };
        self.push_token(token);
        Ok(i + 1)
    }

    /// Parses the `@` sequence at `start`. mosquitto hands `%` and the one
    /// character after `@` to strftime; what glibc prints for a character
    /// that is not a time conversion does not depend on the time, so it
    /// becomes text here.
    fn parse_at(&mut self, format: &str, start: usize) -> Result<usize, String> {
        let Some(&c) = format.as_bytes().get(start + 1) else {
            return Err(
                "incomplete time specifier '@' at the end of the format (write '@@' for an @)"
                    .to_string(),
            );
        };
        match c {
            b'@' => self.push_text(b"@"),
            b'N' => self.push_token(Token::Nanos),
            b'%' => self.push_text(b"%"),
            b'n' => self.push_text(b"\n"),
            b't' => self.push_text(b"\t"),
            _ if TIME_CONVERSIONS.contains(&c) => self.push_token(Token::Time(c)),
            // glibc reads a digit as a field width, finds no conversion
            // after it and copies `%N` padded to that width.
            b'3'..=b'9' => {
                for _ in 0..(c - b'2') {
                    self.push_text(b" ");
                }
                self.push_text(&[b'%', c]);
            }
            _ if c.is_ascii() => self.push_text(&[b'%', c]),
            // strftime sees only the first byte of a multi-byte character
            // and copies it after the `%`; the rest follows as text.
            _ => {
                self.push_text(b"%");
                return Ok(start + 1);
            }
        }
        Ok(start + 2)
    }

    /// Parses the `\` escape at `start`.
    fn parse_escape(&mut self, format: &str, start: usize) -> Result<usize, String> {
        let byte = match format.get(start + 1..).and_then(|s| s.chars().next()) {
            None => {
                return Err(
                    "incomplete escape '\\' at the end of the format (write '\\\\' for a \\)"
                        .to_string(),
                );
            }
            Some('\\') => b'\\',
            Some('0') => 0,
            Some('a') => 0x07,
            Some('e') => 0x1b,
            Some('n') => b'\n',
            Some('r') => b'\r',
            Some('t') => b'\t',
            Some('v') => 0x0b,
            Some(other) => return Err(format!("unknown escape '\\{other}'")),
        };
        self.push_text(&[byte]);
        Ok(start + 2)
    }
}

/// Reads the decimal digits at `i` (none is 0); returns the value and the
/// index after them.
fn number(bytes: &[u8], mut i: usize) -> Result<(usize, usize), String> {
    let start = i;
    let mut value: usize = 0;
    while let Some(&c) = bytes.get(i).filter(|c| c.is_ascii_digit()) {
        value = value
            .saturating_mul(10)
            .saturating_add(usize::from(c - b'0'));
        i += 1;
    }
    if value > MAX_WIDTH {
        let digits = String::from_utf8_lossy(bytes.get(start..i).unwrap_or_default());
        return Err(format!(
            "width or precision {digits} in the format is too large (at most {MAX_WIDTH})"
        ));
    }
    Ok((value, i))
}

fn fill(out: &mut Vec<u8>, byte: u8, count: usize) {
    out.resize(out.len() + count, byte);
}

/// The decimal digits of `n`, written at the end of `buf`.
fn digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    // u64::MAX has 20 digits, so `i` never goes below 0.
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

fn push_uint(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0; 20];
    out.extend_from_slice(digits(n, &mut buf));
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_uint(out, n.unsigned_abs());
}

/// `n` with leading zeros to at least `width` digits.
fn push_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = [0; 20];
    let d = digits(n, &mut buf);
    fill(out, b'0', width.saturating_sub(d.len()));
    out.extend_from_slice(d);
}

/// An integer as C's `%d`, `%-*d` or `%0*d`.
fn int(out: &mut Vec<u8>, n: u64, spec: Spec) {
    let mut buf = [0; 20];
    let d = digits(n, &mut buf);
    let pad = spec.width.saturating_sub(d.len());
    if spec.left {
        out.extend_from_slice(d);
        fill(out, b' ', pad);
    } else {
        fill(out, spec.pad_byte(), pad);
        out.extend_from_slice(d);
    }
}

/// A numeric property: its value, or `width` pad bytes when absent.
fn optional_int(out: &mut Vec<u8>, n: Option<u64>, spec: Spec) {
    match n {
        Some(n) => int(out, n, spec),
        None => fill(out, spec.pad_byte(), spec.width),
    }
}

/// A string as C's `%*.*s`: precision cuts (in bytes), width pads with
/// spaces (the `0` flag does not apply).
fn string(out: &mut Vec<u8>, s: &[u8], spec: Spec) {
    let shown = match spec.precision {
        Some(p) => s.get(..p).unwrap_or(s),
        None => s,
    };
    let pad = spec.width.saturating_sub(shown.len());
    if !spec.left {
        fill(out, b' ', pad);
    }
    out.extend_from_slice(shown);
    if spec.left {
        fill(out, b' ', pad);
    }
}

/// [`string`] for text already written to `out[start..]`.
fn truncate_and_pad(out: &mut Vec<u8>, start: usize, spec: Spec) {
    if let Some(p) = spec.precision {
        out.truncate(start.saturating_add(p));
    }
    let pad = spec.width.saturating_sub(out.len().saturating_sub(start));
    fill(out, b' ', pad);
    if !spec.left {
        if let Some(field) = out.get_mut(start..) {
            field.rotate_right(pad);
        }
    }
}

/// `%p`: the width is both the minimum and the maximum number of bytes.
/// Left-aligned, mosquitto pads with `printf("%*s", width - shown, "")`,
/// which without a width is a negative width: one space per byte.
fn raw_payload(out: &mut Vec<u8>, payload: &[u8], spec: Spec) {
    let shown = if spec.width > 0 {
        payload.get(..spec.width).unwrap_or(payload)
    } else {
        payload
    };
    if !spec.left {
        fill(out, spec.pad_byte(), spec.width.saturating_sub(shown.len()));
    }
    out.extend_from_slice(shown);
    if spec.left {
        let trailing = if spec.width > 0 {
            spec.width - shown.len()
        } else {
            payload.len()
        };
        fill(out, b' ', trailing);
    }
}

/// `%x`/`%X` as mosquitto 2.1: a width keeps at most that many bytes and
/// pads to that many digits; a precision N puts the separator after every
/// N digits, padding included; left-aligned, the padding is the absolute
/// difference (see [`raw_payload`]).
fn hex(out: &mut Vec<u8>, payload: &[u8], spec: Spec, upper: bool) {
    let table = if upper { HEX_UPPER } else { HEX_LOWER };
    let shown = if spec.width > 0 {
        payload.get(..spec.width).unwrap_or(payload)
    } else {
        payload
    };
    let digit_count = shown.len().saturating_mul(2);
    let group = spec.precision.unwrap_or(0);
    // Position of the next digit (padding counts), for the separators.
    let mut pos = 0usize;
    let separate = |out: &mut Vec<u8>, pos: usize| {
        if group > 0 && pos % group == group - 1 {
            out.push(spec.separator);
        }
    };
    if !spec.left && spec.width > digit_count {
        for _ in 0..spec.width - digit_count {
            out.push(spec.pad_byte());
            separate(out, pos);
            pos += 1;
        }
    }
    if group == 0 {
        out.reserve(digit_count);
        for &b in shown {
            out.push(table[usize::from(b >> 4)]);
            out.push(table[usize::from(b & 0x0f)]);
        }
    } else {
        let last = shown.len().saturating_sub(1);
        for (n, &b) in shown.iter().enumerate() {
            out.push(table[usize::from(b >> 4)]);
            separate(out, pos);
            pos += 1;
            out.push(table[usize::from(b & 0x0f)]);
            if n < last {
                separate(out, pos);
                pos += 1;
            }
        }
    }
    if spec.left {
        let trailing = if spec.width > 0 {
            spec.width.abs_diff(digit_count)
        } else {
            payload.len()
        };
        fill(out, b' ', trailing);
    }
}

/// `%d`/`%f` (mosquitto 2.1): C's `%.*f`, with `-`, `0` and width as C.
fn float(out: &mut Vec<u8>, payload: &[u8], double: bool, spec: Spec) {
    let value = if double {
        <[u8; 8]>::try_from(payload).ok().map(f64::from_le_bytes)
    } else {
        <[u8; 4]>::try_from(payload)
            .ok()
            .map(|b| f64::from(f32::from_le_bytes(b)))
    };
    let Some(v) = value else {
        // mosquitto prints nothing here (and a line on stderr).
        return;
    };
    if !v.is_finite() {
        // glibc's spelling; the `0` flag does not apply.
        let word: &[u8] = match (v.is_nan(), v.is_sign_negative()) {
            (true, false) => b"nan",
            (true, true) => b"-nan",
            (false, false) => b"inf",
            (false, true) => b"-inf",
        };
        let spec = Spec {
            precision: None,
            ..spec
        };
        string(out, word, spec);
        return;
    }
    let (w, p) = (spec.width, spec.precision.unwrap_or(6));
    // Rust's `{:.N}` rounds the exact binary value half to even, as glibc
    // does, and `0` pads after the sign as C does. Writing to a Vec cannot
    // fail.
    let _ = if spec.left {
        write!(out, "{v:<w$.p$}")
    } else if spec.zero {
        write!(out, "{v:0w$.p$}")
    } else {
        write!(out, "{v:>w$.p$}")
    };
}

/// The receive time, broken down in UTC.
#[derive(Debug, Clone, Copy, Default)]
struct Clock {
    /// Seconds since the Unix epoch (negative before it).
    secs: i64,
    /// 0..1_000_000_000, counted forward from `secs`.
    nanos: u32,
    year: i64,
    /// 1..=12.
    month: u8,
    /// 1..=31.
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    /// 0 = Sunday.
    weekday: u8,
    /// 0 = 1 January.
    yday: u16,
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

impl Clock {
    fn at(t: SystemTime) -> Clock {
        let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            ),
            Err(e) => {
                let d = e.duration();
                let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                match d.subsec_nanos() {
                    0 => (-s, 0),
                    n => (-s - 1, 1_000_000_000 - n),
                }
            }
        };
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days, on 400-year eras from 0000-03-01.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // Days before each month in a common year.
        const BEFORE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let leap_day = i64::from(month > 2 && is_leap(year));
        let yday = BEFORE.get((month - 1) as usize).copied().unwrap_or(0) + day - 1 + leap_day;
        Clock {
            secs,
            nanos,
            year,
            month: month as u8,
            day: day as u8,
            hour: (of_day / 3_600) as u8,
            minute: (of_day / 60 % 60) as u8,
            second: (of_day % 60) as u8,
            weekday: (days + 4).rem_euclid(7) as u8,
            yday: yday as u16,
        }
    }

    /// `%FT%T%z`, what mosquitto prints for `%I`.
    fn iso8601(&self, out: &mut Vec<u8>) {
        self.strftime(out, b'F');
        out.push(b'T');
        self.strftime(out, b'T');
        self.strftime(out, b'z');
    }

    /// `2026-11-30T09:10:13.123456+0000`, `%j`'s `tst` (mosquitto 2.1).
    fn json_timestamp(&self, out: &mut Vec<u8>) {
        self.strftime(out, b'F');
        out.push(b'T');
        self.strftime(out, b'T');
        out.push(b'.');
        push_padded(out, (self.nanos / 1_000).into(), 6);
        self.strftime(out, b'z');
    }

    /// The ISO 8601 week-based year and week number, as glibc computes
    /// them for `%G %g %V`.
    fn iso_week(&self) -> (i64, i64) {
        // Days since the Monday of ISO week 1 (the week with 4 January).
        fn week_days(yday: i64, wday: i64) -> i64 {
            yday - (yday - wday + 4 + 378) % 7 + 3
        }
        let (yday, wday) = (i64::from(self.yday), i64::from(self.weekday));
        let year_len = |y: i64| 365 + i64::from(is_leap(y));
        let mut year = self.year;
        let mut days = week_days(yday, wday);
        if days < 0 {
            year -= 1;
            days = week_days(yday + year_len(year), wday);
        } else {
            let next = week_days(yday - year_len(year), wday);
            if next >= 0 {
                year += 1;
                days = next;
            }
        }
        (year, days / 7 + 1)
    }

    /// glibc's `strftime` conversion `c` (one of `TIME_CONVERSIONS`) in the
    /// C locale and UTC.
    fn strftime(&self, out: &mut Vec<u8>, c: u8) {
        let two = |out: &mut Vec<u8>, n: u8| push_padded(out, n.into(), 2);
        let space_two = |out: &mut Vec<u8>, n: u8| {
            if n < 10 {
                out.push(b' ');
            }
            push_uint(out, n.into());
        };
        let hour12 = match self.hour % 12 {
            0 => 12,
            h => h,
        };
        let weekday = WEEKDAYS
            .get(usize::from(self.weekday))
            .copied()
            .unwrap_or("");
        let month = MONTHS
            .get(usize::from(self.month).wrapping_sub(1))
            .copied()
            .unwrap_or("");
        match c {
            b'a' => out.extend_from_slice(weekday.as_bytes().get(..3).unwrap_or_default()),
            b'A' => out.extend_from_slice(weekday.as_bytes()),
            b'b' | b'h' => out.extend_from_slice(month.as_bytes().get(..3).unwrap_or_default()),
            b'B' => out.extend_from_slice(month.as_bytes()),
            b'c' => self.composite(out, b"a b e H:M:S Y"),
            b'C' => push_int(out, self.year.div_euclid(100)),
            b'd' => two(out, self.day),
            b'D' | b'x' => self.composite(out, b"m/d/y"),
            b'e' => space_two(out, self.day),
            b'F' => self.composite(out, b"Y-m-d"),
            b'g' => two(out, self.iso_week().0.rem_euclid(100) as u8),
            b'G' => push_int(out, self.iso_week().0),
            b'H' => two(out, self.hour),
            b'I' => two(out, hour12),
            b'j' => push_padded(out, u64::from(self.yday) + 1, 3),
            b'k' => space_two(out, self.hour),
            b'l' => space_two(out, hour12),
            b'm' => two(out, self.month),
            b'M' => two(out, self.minute),
            b'p' => out.extend_from_slice(if self.hour < 12 { b"AM" } else { b"PM" }),
            b'P' => out.extend_from_slice(if self.hour < 12 { b"am" } else { b"pm" }),
            b'r' => self.composite(out, b"I:M:S p"),
            b'R' => self.composite(out, b"H:M"),
            b's' => push_int(out, self.secs),
            b'S' => two(out, self.second),
            b'T' | b'X' => self.composite(out, b"H:M:S"),
            b'u' => push_uint(
                out,
                if self.weekday == 0 {
                    7
                } else {
                    self.weekday.into()
                },
            ),
            b'U' => two(out, ((self.yday + 7 - u16::from(self.weekday)) / 7) as u8),
            b'V' => two(out, self.iso_week().1 as u8),
            b'w' => push_uint(out, self.weekday.into()),
            b'W' => two(
                out,
                ((self.yday + 7 - (u16::from(self.weekday) + 6) % 7) / 7) as u8,
            ),
            b'y' => two(out, self.year.rem_euclid(100) as u8),
            b'Y' => push_int(out, self.year),
            b'z' => out.extend_from_slice(b"+0000"),
            b'Z' => out.extend_from_slice(b"UTC"),
            _ => {}
        }
    }

    /// A conversion made of others: letters are conversions, anything
    /// else is copied.
    fn composite(&self, out: &mut Vec<u8>, pattern: &[u8]) {
        for &c in pattern {
            if c.is_ascii_alphabetic() {
                self.strftime(out, c);
            } else {
                out.push(c);
            }
        }
    }
}

/// Writes JSON the way cJSON lays it out, compact or `--pretty`
/// (`cJSON_Print`: a newline and a tab per level inside objects, `":\t"`
/// after keys, `", "` between array elements).
struct JsonOut<'a> {
    out: &'a mut Vec<u8>,
    pretty: bool,
    /// Containers open (objects and arrays both count, as in cJSON).
    depth: usize,
}

impl JsonOut<'_> {
    fn tabs(&mut self, n: usize) {
        fill(self.out, b'\t', n);
    }

    fn open_object(&mut self) {
        self.out.push(b'{');
        if self.pretty {
            self.out.push(b'\n');
        }
        self.depth += 1;
    }

    /// Starts the member `name`; `first` is whether it is the object's first.
    fn key(&mut self, first: &mut bool, name: &str) {
        if !*first {
            self.out.push(b',');
            if self.pretty {
                self.out.push(b'\n');
            }
        }
        *first = false;
        if self.pretty {
            self.tabs(self.depth);
        }
        json_string(self.out, name.as_bytes());
        self.out.push(b':');
        if self.pretty {
            self.out.push(b'\t');
        }
    }

    fn close_object(&mut self, empty: bool) {
        self.depth = self.depth.saturating_sub(1);
        if self.pretty {
            if !empty {
                self.out.push(b'\n');
            }
            self.tabs(self.depth);
        }
        self.out.push(b'}');
    }

    fn open_array(&mut self) {
        self.out.push(b'[');
        self.depth += 1;
    }

    fn element(&mut self, first: &mut bool) {
        if !*first {
            self.out.push(b',');
            if self.pretty {
                self.out.push(b' ');
            }
        }
        *first = false;
    }

    fn close_array(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.out.push(b']');
    }

    /// Text as a JSON string when it is UTF-8, else base64 under
    /// `base64_name`.
    fn text_or_base64(&mut self, first: &mut bool, name: &str, base64_name: &str, bytes: &[u8]) {
        if std::str::from_utf8(bytes).is_ok() {
            self.key(first, name);
            json_string(self.out, bytes);
        } else {
            self.key(first, base64_name);
            self.out.push(b'"');
            base64_into(self.out, bytes);
            self.out.push(b'"');
        }
    }

    fn properties(&mut self, p: &Properties) {
        let mut first = true;
        self.open_object();
        match p.subscription_ids.as_slice() {
            [] => {}
            [id] => {
                self.key(&mut first, "subscription-identifier");
                push_uint(self.out, (*id).into());
            }
            ids => {
                self.key(&mut first, "subscription-identifier");
                self.open_array();
                let mut first_id = true;
                for id in ids {
                    self.element(&mut first_id);
                    push_uint(self.out, (*id).into());
                }
                self.close_array();
            }
        }
        if let Some(s) = &p.content_type {
            self.key(&mut first, "content-type");
            json_string(self.out, s.as_bytes());
        }
        if !p.user.is_empty() {
            self.key(&mut first, "user-properties");
            self.open_array();
            let mut first_pair = true;
            for (name, value) in &p.user {
                self.element(&mut first_pair);
                self.open_object();
                let mut first_member = true;
                self.key(&mut first_member, name);
                json_string(self.out, value.as_bytes());
                self.close_object(false);
            }
            self.close_array();
        }
        if let Some(c) = &p.correlation {
            self.text_or_base64(&mut first, "correlation-data", "correlation-data-base64", c);
        }
        if let Some(s) = &p.response_topic {
            self.key(&mut first, "response-topic");
            json_string(self.out, s.as_bytes());
        }
        if let Some(n) = p.payload_format {
            self.key(&mut first, "payload-format-indicator");
            push_uint(self.out, n.into());
        }
        if let Some(n) = p.message_expiry {
            self.key(&mut first, "message-expiry-interval");
            push_uint(self.out, n.into());
        }
        if let Some(n) = p.topic_alias {
            self.key(&mut first, "topic-alias");
            push_uint(self.out, n.into());
        }
        self.close_object(first);
    }

    /// Copies `json` (already checked by [`is_json`]) in this writer's
    /// layout. Strings and numbers are copied as they are; only the
    /// whitespace between tokens changes. No stack is kept: a string is a
    /// key exactly when a `:` follows it, which also tells a `,` in an
    /// object from one in an array.
    fn embed(&mut self, json: &[u8]) {
        let mut i = 0;
        let mut previous = 0u8;
        while let Some(&c) = json.get(i) {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'"' => {
                    let end = string_end(json, i);
                    if self.pretty && next_token(json, end) == Some(b':') {
                        self.tabs(self.depth);
                    }
                    self.out
                        .extend_from_slice(json.get(i..end).unwrap_or_default());
                    i = end;
                }
                b'{' => {
                    self.open_object();
                    i += 1;
                }
                b'}' => {
                    self.close_object(previous == b'{');
                    i += 1;
                }
                b'[' => {
                    self.open_array();
                    i += 1;
                }
                b']' => {
                    self.close_array();
                    i += 1;
                }
                b':' => {
                    self.out.push(b':');
                    if self.pretty {
                        self.out.push(b'\t');
                    }
                    i += 1;
                }
                b',' => {
                    self.out.push(b',');
                    if self.pretty {
                        let key_follows = next_token_at(json, i + 1).is_some_and(|start| {
                            json.get(start) == Some(&b'"')
                                && next_token(json, string_end(json, start)) == Some(b':')
                        });
                        self.out.push(if key_follows { b'\n' } else { b' ' });
                    }
                    i += 1;
                }
                _ => {
                    // A number or a literal: up to the next delimiter.
                    let rest = json.get(i..).unwrap_or_default();
                    let len = rest
                        .iter()
                        .position(|&c| {
                            matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b':')
                        })
                        .unwrap_or(rest.len())
                        .max(1);
                    self.out
                        .extend_from_slice(rest.get(..len).unwrap_or_default());
                    i += len;
                }
            }
            previous = c;
        }
    }
}

/// The index just after the string that starts (with `"`) at `start`.
fn string_end(json: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&c) = json.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    json.len()
}

/// The index of the first byte at or after `i` that is not whitespace.
fn next_token_at(json: &[u8], i: usize) -> Option<usize> {
    json.get(i..)?
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .map(|p| i + p)
}

fn next_token(json: &[u8], i: usize) -> Option<u8> {
    json.get(next_token_at(json, i)?).copied()
}

/// `bytes` (UTF-8) as a JSON string, escaped as cJSON does: `"` and `\`,
/// the short forms `\b \f \n \r \t`, other control characters as `\u00XX`.
fn json_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(run_start..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX_LOWER[usize::from(b >> 4)]);
            out.push(HEX_LOWER[usize::from(b & 0x0f)]);
        } else {
            out.extend_from_slice(escape);
        }
        run_start = i + 1;
    }
    out.extend_from_slice(bytes.get(run_start..).unwrap_or_default());
    out.push(b'"');
}

/// Standard base64 with padding, encoded in place at the end of `out`.
fn base64_into(out: &mut Vec<u8>, bytes: &[u8]) {
    let engine = base64::engine::general_purpose::STANDARD;
    let start = out.len();
    let Some(len) = base64::encoded_len(bytes.len(), true) else {
        return;
    };
    out.resize(start + len, 0);
    match out.get_mut(start..) {
        Some(tail) => match engine.encode_slice(bytes, tail) {
            Ok(written) => out.truncate(start + written),
            Err(_) => out.truncate(start),
        },
        None => out.truncate(start),
    }
}

/// Whether `bytes` is one JSON value that `serde_json::Value` would accept
/// (UTF-8, no lone surrogate escapes, numbers in f64 range, nesting within
/// serde_json's limit), checked without building it.
fn is_json(bytes: &[u8]) -> bool {
    /// Accepts any JSON value, keeping nothing.
    struct Any;
    impl<'de> Deserialize<'de> for Any {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Any, D::Error> {
            d.deserialize_any(AnyVisitor)
        }
    }
    struct AnyVisitor;
    impl<'de> Visitor<'de> for AnyVisitor {
        type Value = Any;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Any, E> {
            Ok(Any)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Any, E> {
            Ok(Any)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Any, E> {
            Ok(Any)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Any, E> {
            Ok(Any)
        }
        fn visit_str<E>(self, _: &str) -> Result<Any, E> {
            Ok(Any)
        }
        fn visit_unit<E>(self) -> Result<Any, E> {
            Ok(Any)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Any, A::Error> {
            while seq.next_element::<Any>()?.is_some() {}
            Ok(Any)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Any, A::Error> {
            while map.next_entry::<Any, Any>()?.is_some() {}
            Ok(Any)
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => serde_json::from_str::<Any>(s).is_ok(),
        Err(_) => false,
    }
}

/// `%j` (`embed` false) and `%J` (true): see [`Template::render`].
fn json(
    out: &mut Vec<u8>,
    msg: &Message,
    payload: &[u8],
    clock: &Clock,
    embed: bool,
    pretty: bool,
) {
    let mut j = JsonOut {
        out,
        pretty,
        depth: 0,
    };
    let mut first = true;
    j.open_object();
    j.key(&mut first, "tst");
    j.out.push(b'"');
    clock.json_timestamp(j.out);
    j.out.push(b'"');
    j.key(&mut first, "topic");
    json_string(j.out, msg.topic.as_bytes());
    j.key(&mut first, "qos");
    push_uint(j.out, msg.qos.into());
    j.key(&mut first, "retain");
    j.out
        .extend_from_slice(if msg.retain { b"true" } else { b"false" });
    j.key(&mut first, "payloadlen");
    push_uint(j.out, payload.len() as u64);
    if msg.qos > 0 {
        j.key(&mut first, "mid");
        push_uint(j.out, msg.mid.into());
    }
    let p = &msg.properties;
    if p.payload_format.is_some()
        || p.message_expiry.is_some()
        || p.topic_alias.is_some()
        || p.response_topic.is_some()
        || p.correlation.is_some()
        || !p.user.is_empty()
        || !p.subscription_ids.is_empty()
        || p.content_type.is_some()
    {
        j.key(&mut first, "properties");
        j.properties(p);
    }
    if payload.is_empty() {
        // mosquitto's libmosquitto hands over no payload at all: null.
        j.key(&mut first, "payload");
        j.out.extend_from_slice(b"null");
    } else if embed && is_json(payload) {
        j.key(&mut first, "payload");
        j.embed(payload);
    } else {
        j.text_or_base64(&mut first, "payload", "payload_base64", payload);
    }
    j.close_object(false);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// 2026-11-30T09:10:13.123456789Z, a Monday.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::new(1_796_029_813, 123_456_789)
    }

    fn msg(topic: &str, payload: &[u8]) -> Message {
        Message {
            topic: topic.to_string(),
            payload: payload.to_vec(),
            ..Message::default()
        }
    }

    /// The MQTT 5 properties of the mosquitto_pub run recorded in
    /// /work/notes/format-observed.md.
    fn v5(payload: &[u8]) -> Message {
        let mut m = msg("a/b", payload);
        m.properties = Properties {
            payload_format: Some(1),
            message_expiry: Some(60),
            topic_alias: None,
            response_topic: Some("r/t".into()),
            correlation: Some(b"abc".to_vec()),
            user: vec![("k1".into(), "v1".into()), ("k1".into(), "v2".into())],
            subscription_ids: vec![5],
            content_type: Some("text/plain".into()),
        };
        m
    }

    fn render_at(format: &str, m: &Message, when: SystemTime, pretty: bool) -> Vec<u8> {
        let t = Template::parse(format).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let mut out = Vec::new();
        t.render(m, &m.payload, when, pretty, &mut out);
        out
    }

    fn render(format: &str, m: &Message) -> Vec<u8> {
        render_at(format, m, now(), false)
    }

    fn text(format: &str, m: &Message) -> String {
        String::from_utf8(render(format, m)).unwrap()
    }

    fn parse_err(format: &str) -> String {
        match Template::parse(format) {
            Ok(t) => panic!("{format:?} parsed as {t:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn literal_text_and_escapes() {
        let m = msg("a/b", b"mes");
        assert_eq!(
            render(r"x \\ \0 \a \e \n \r \t \v y", &m),
            b"x \\ \0 \x07 \x1b \n \r \t \x0b y"
        );
        assert_eq!(text("100%% @@home", &m), "100% @home");
        assert_eq!(text("é%tü", &m), "éa/bü");
        assert_eq!(text("", &m), "");
    }

    #[test]
    fn render_appends_to_the_buffer() {
        let t = Template::parse("%p").unwrap();
        let m = msg("a", b"x");
        let mut out = b"kept ".to_vec();
        t.render(&m, &m.payload, now(), false, &mut out);
        assert_eq!(out, b"kept x");
    }

    #[test]
    fn message_fields() {
        let m = msg("a/b", b"mes");
        assert_eq!(text("%t|%p|%l|%q|%r|%m", &m), "a/b|mes|3|0|0|0");
        let mut q2 = msg("a/b", b"x");
        q2.qos = 2;
        q2.mid = 1;
        q2.retain = true;
        assert_eq!(text("%q %m %r", &q2), "2 1 1");
        // Width does not apply to %q, %r or %%.
        assert_eq!(text("[%3q][%3r][%5m][%5%]", &m), "[0][0][    0][%]");
    }

    #[test]
    fn payload_is_the_text_given_not_the_message_payload() {
        let t = Template::parse("%p %l %x").unwrap();
        let m = msg("a", b"{\"v\":\"hello\"}");
        let mut out = Vec::new();
        t.render(&m, b"hello", now(), false, &mut out);
        assert_eq!(out, b"hello 5 68656c6c6f");
    }

    #[test]
    fn topic_width_and_precision() {
        let m = msg("a/b", b"mes");
        assert_eq!(
            text(
                "[%t][%10t][%-10t][%.2t][%5.1t][%-5.1t][%010t][%-t][%.0t][%.t]",
                &m
            ),
            "[a/b][       a/b][a/b       ][a/][    a][a    ][       a/b][a/b][][]"
        );
    }

    #[test]
    fn payload_width_truncates_and_pads_as_mosquitto() {
        let m = msg("a/b", b"mes");
        assert_eq!(
            text("[%10p][%-10p][%-p][%2p][%.2p][%010p]", &m),
            "[       mes][mes       ][mes   ][me][mes][0000000mes]"
        );
        assert_eq!(text("%-0p", &m), "mes   ");
        assert_eq!(text("%-05p|%-05l", &m), "mes  |3    ");
        assert_eq!(text("%05.3p", &m), "00mes");
        // Binary bytes pass through untouched.
        assert_eq!(render("%p", &msg("a", b"\0\xff")), b"\0\xff");
    }

    #[test]
    fn length_and_mid_width() {
        let m = msg("a/b", b"mes");
        assert_eq!(
            text("[%5l][%-5l][%05l][%-05l][%l]", &m),
            "[    3][3    ][00003][3    ][3]"
        );
        let mut big = msg("a", b"");
        big.qos = 1;
        big.mid = 65535;
        assert_eq!(text("%3m|%07m", &big), "65535|0065535");
    }

    #[test]
    fn hex_plain_and_upper() {
        let m = msg("a/b", b"mes");
        assert_eq!(text("%x %X", &m), "6d6573 6D6573");
        assert_eq!(text("%x", &msg("a", b"\0\x7f\x80\xff")), "007f80ff");
        assert_eq!(text("[%x]", &msg("a", b"")), "[]");
    }

    #[test]
    fn hex_width_as_mosquitto_2_1() {
        let m = msg("a/b", b"mes");
        for (format, want) in [
            ("%10x", "    6d6573"),
            ("%-10x", "6d6573    "),
            ("%010x", "00006d6573"),
            ("%5X", "6D6573"),
            ("%4x", "6d6573"),
            ("%3x", "6d6573"),
            // A width below the byte count keeps that many bytes.
            ("%2x", "6d65"),
            // Left-aligned past the width: mosquitto's negative padding.
            ("%-2x", "6d65  "),
            ("%-x", "6d6573   "),
        ] {
            assert_eq!(text(format, &m), want, "{format}");
        }
    }

    #[test]
    fn hex_groups_and_separators() {
        let m = msg("a/b", b"mes");
        for (format, want) in [
            ("%.2x", "6d 65 73"),
            ("%.4x", "6d65 73"),
            ("%.2:x", "6d:65:73"),
            ("%.2X", "6D 65 73"),
            ("%.1-x", "6-d-6-5-7-3"),
            ("%.6x", "6d6573"),
            ("%.0x", "6d6573"),
            ("%.x", "6d6573"),
            // The padding takes part in the grouping.
            ("%10.4x", "     6d65 73"),
            ("%-10.2,x", "6d,65,73    "),
        ] {
            assert_eq!(text(format, &m), want, "{format}");
        }
        assert_eq!(text("%08.2:x", &msg("a", b"ab")), "00:00:61:62");
        // A separator on another specifier is accepted and ignored.
        assert_eq!(text("%:p|%--p|%5@t", &m), "mes|mes   |  a/b");
    }

    fn absent() -> Message {
        msg("a/b", b"mes")
    }

    #[test]
    fn v5_properties_present() {
        assert_eq!(
            text("[%A][%C][%D][%E][%F][%P][%R][%S]", &v5(b"mes")),
            "[][text/plain][abc][60][1][k1:v1 k1:v2][r/t][5]"
        );
        assert_eq!(
            text(
                "[%5A][%-12C][%5D][%05E][%-5F][%.1P][%10.2R][%05S][%.3C]",
                &v5(b"mes")
            ),
            "[     ][text/plain  ][abc][00060][1    ][k1:v1 k1:v2][        r/][00005][tex]"
        );
        let mut m = v5(b"mes");
        m.properties.topic_alias = Some(7);
        m.properties.subscription_ids = vec![9, 5];
        m.properties.message_expiry = Some(u32::MAX);
        assert_eq!(text("%A %-3A| %03A %S %E", &m), "7 7  | 007 9 4294967295");
    }

    #[test]
    fn v5_properties_absent() {
        let m = absent();
        assert_eq!(
            text("[%A][%C][%D][%E][%F][%P][%R][%S]", &m),
            "[][][][][][][][]"
        );
        assert_eq!(
            text("[%5A][%5C][%5D][%5E][%5F][%5P][%5R][%5S]", &m),
            "[     ][     ][][     ][     ][][][     ]"
        );
        // mosquitto 2.1 pads an absent property with the `0` flag, even
        // left-aligned (2.0.11 pads %C with spaces).
        assert_eq!(
            text(
                "[%05A][%05C][%05D][%05E][%05F][%05P][%05R][%05S][%-05S]",
                &m
            ),
            "[00000][00000][][00000][00000][][][00000][00000]"
        );
    }

    #[test]
    fn correlation_data_is_raw_bytes() {
        let mut m = absent();
        m.properties.correlation = Some(vec![0, 0xff, b'x']);
        assert_eq!(render("[%D]", &m), b"[\0\xffx]");
    }

    #[test]
    fn time_helpers() {
        let m = absent();
        assert_eq!(text("%I", &m), "2026-11-30T09:10:13+0000");
        assert_eq!(
            text("[%30I][%-26I][%.10I]", &m),
            "[      2026-11-30T09:10:13+0000][2026-11-30T09:10:13+0000  ][2026-11-30]"
        );
        assert_eq!(text("%U", &m), "1796029813.123456789");
        assert_eq!(text("%20U", &m), "1796029813.123456789");
        assert_eq!(text("@N @s", &m), "123456789 1796029813");
        assert_eq!(
            text("@Y-@m-@dT@H:@M:@S@z @Z", &m),
            "2026-11-30T09:10:13+0000 UTC"
        );
        let early = UNIX_EPOCH + Duration::new(0, 5);
        assert_eq!(
            render_at("%U @N %I", &m, early, false),
            b"0.000000005 000000005 1970-01-01T00:00:00+0000"
        );
    }

    #[test]
    fn time_before_the_epoch_counts_back() {
        let m = absent();
        let before = UNIX_EPOCH - Duration::new(1, 500_000_000);
        assert_eq!(
            render_at("%U|%I", &m, before, false),
            b"-2.500000000|1969-12-31T23:59:58+0000"
        );
        // The extremes of SystemTime render without overflow.
        for t in [
            UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2),
            UNIX_EPOCH - Duration::from_secs(i64::MAX as u64 / 2),
        ] {
            let _ = render_at("%I %U %j @c@G@V@g@C@y", &m, t, true);
        }
    }

    /// glibc's strftime (Python's time.strftime on time.gmtime, TZ=UTC),
    /// `%Z` as mosquitto_sub prints it here (`UTC`, where Python says GMT).
    const GLIBC: &[(i64, &str)] = &[
        (
            0,
            "Thu|Thursday|Jan|January|Thu Jan  1 00:00:00 1970|19|01|01/01/70| 1|1970-01-01|70|1970|Jan|00|12|001| 0|12|01|00|AM|am|12:00:00 AM|00:00|0|00|00:00:00|4|00|01|4|00|01/01/70|00:00:00|70|1970|+0000|UTC",
        ),
        (
            -1,
            "Wed|Wednesday|Dec|December|Wed Dec 31 23:59:59 1969|19|31|12/31/69|31|1969-12-31|70|1970|Dec|23|11|365|23|11|12|59|PM|pm|11:59:59 PM|23:59|-1|59|23:59:59|3|52|01|3|52|12/31/69|23:59:59|69|1969|+0000|UTC",
        ),
        (
            951_782_400,
            "Tue|Tuesday|Feb|February|Tue Feb 29 00:00:00 2000|20|29|02/29/00|29|2000-02-29|00|2000|Feb|00|12|060| 0|12|02|00|AM|am|12:00:00 AM|00:00|951782400|00|00:00:00|2|09|09|2|09|02/29/00|00:00:00|00|2000|+0000|UTC",
        ),
        (
            1_796_029_813,
            "Mon|Monday|Nov|November|Mon Nov 30 09:10:13 2026|20|30|11/30/26|30|2026-11-30|26|2026|Nov|09|09|334| 9| 9|11|10|AM|am|09:10:13 AM|09:10|1796029813|13|09:10:13|1|48|49|1|48|11/30/26|09:10:13|26|2026|+0000|UTC",
        ),
        (
            1_609_459_199,
            "Thu|Thursday|Dec|December|Thu Dec 31 23:59:59 2020|20|31|12/31/20|31|2020-12-31|20|2020|Dec|23|11|366|23|11|12|59|PM|pm|11:59:59 PM|23:59|1609459199|59|23:59:59|4|52|53|4|52|12/31/20|23:59:59|20|2020|+0000|UTC",
        ),
        (
            1_609_459_200,
            "Fri|Friday|Jan|January|Fri Jan  1 00:00:00 2021|20|01|01/01/21| 1|2021-01-01|20|2020|Jan|00|12|001| 0|12|01|00|AM|am|12:00:00 AM|00:00|1609459200|00|00:00:00|5|00|53|5|00|01/01/21|00:00:00|21|2021|+0000|UTC",
        ),
        (
            1_230_768_000,
            "Thu|Thursday|Jan|January|Thu Jan  1 00:00:00 2009|20|01|01/01/09| 1|2009-01-01|09|2009|Jan|00|12|001| 0|12|01|00|AM|am|12:00:00 AM|00:00|1230768000|00|00:00:00|4|00|01|4|00|01/01/09|00:00:00|09|2009|+0000|UTC",
        ),
        (
            1_262_304_000,
            "Fri|Friday|Jan|January|Fri Jan  1 00:00:00 2010|20|01|01/01/10| 1|2010-01-01|09|2009|Jan|00|12|001| 0|12|01|00|AM|am|12:00:00 AM|00:00|1262304000|00|00:00:00|5|00|53|5|00|01/01/10|00:00:00|10|2010|+0000|UTC",
        ),
        (
            1_293_753_600,
            "Fri|Friday|Dec|December|Fri Dec 31 00:00:00 2010|20|31|12/31/10|31|2010-12-31|10|2010|Dec|00|12|365| 0|12|12|00|AM|am|12:00:00 AM|00:00|1293753600|00|00:00:00|5|52|52|5|52|12/31/10|00:00:00|10|2010|+0000|UTC",
        ),
        (
            1_104_537_600,
            "Sat|Saturday|Jan|January|Sat Jan  1 00:00:00 2005|20|01|01/01/05| 1|2005-01-01|04|2004|Jan|00|12|001| 0|12|01|00|AM|am|12:00:00 AM|00:00|1104537600|00|00:00:00|6|00|53|6|00|01/01/05|00:00:00|05|2005|+0000|UTC",
        ),
        (
            1_136_073_600,
            "Sun|Sunday|Jan|January|Sun Jan  1 00:00:00 2006|20|01|01/01/06| 1|2006-01-01|05|2005|Jan|00|12|001| 0|12|01|00|AM|am|12:00:00 AM|00:00|1136073600|00|00:00:00|7|01|52|0|00|01/01/06|00:00:00|06|2006|+0000|UTC",
        ),
        (
            4_102_444_800,
            "Fri|Friday|Jan|January|Fri Jan  1 00:00:00 2100|21|01|01/01/00| 1|2100-01-01|99|2099|Jan|00|12|001| 0|12|01|00|AM|am|12:00:00 AM|00:00|4102444800|00|00:00:00|5|00|53|5|00|01/01/00|00:00:00|00|2100|+0000|UTC",
        ),
        (
            253_402_300_799,
            "Fri|Friday|Dec|December|Fri Dec 31 23:59:59 9999|99|31|12/31/99|31|9999-12-31|99|9999|Dec|23|11|365|23|11|12|59|PM|pm|11:59:59 PM|23:59|253402300799|59|23:59:59|5|52|52|5|52|12/31/99|23:59:59|99|9999|+0000|UTC",
        ),
        (
            54_000,
            "Thu|Thursday|Jan|January|Thu Jan  1 15:00:00 1970|19|01|01/01/70| 1|1970-01-01|70|1970|Jan|15|03|001|15| 3|01|00|PM|pm|03:00:00 PM|15:00|54000|00|15:00:00|4|00|01|4|00|01/01/70|15:00:00|70|1970|+0000|UTC",
        ),
    ];

    #[test]
    fn every_time_conversion_matches_glibc() {
        let format: String = TIME_CONVERSIONS
            .iter()
            .map(|&c| format!("@{}", c as char))
            .collect::<Vec<_>>()
            .join("|");
        let m = absent();
        for &(secs, want) in GLIBC {
            let when = if secs >= 0 {
                UNIX_EPOCH + Duration::from_secs(secs as u64)
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            };
            let got = render_at(&format, &m, when, false);
            assert_eq!(String::from_utf8(got).unwrap(), want, "at {secs}");
        }
    }

    #[test]
    fn at_sequences_that_are_not_time_conversions() {
        // What glibc's strftime makes of them (observed via mosquitto_sub).
        let m = absent();
        for (format, want) in [
            ("@q", "%q"),
            ("@E", "%E"),
            ("@O", "%O"),
            ("@+", "%+"),
            ("@0|@1|@2", "%0|%1|%2"),
            ("@3", " %3"),
            ("@9", "       %9"),
            ("@%", "%"),
            ("@n@t", "\n\t"),
            ("@ ", "% "),
            ("@\\", "%\\"),
            ("@é", "%é"),
        ] {
            assert_eq!(text(format, &m), want, "{format}");
        }
    }

    fn float_msg(bytes: &[u8]) -> Message {
        msg("f", bytes)
    }

    #[test]
    fn floats_as_c_printf() {
        let f = float_msg(&1.5f32.to_le_bytes());
        assert_eq!(
            text("%f|%.2f|%8.2f|%-8.2f|%08.2f|%.f", &f),
            "1.500000|1.50|    1.50|1.50    |00001.50|2"
        );
        let d = float_msg(&(-1.5f64).to_le_bytes());
        assert_eq!(
            text("%d|%08.2d|%.0d|%-08.1d|", &d),
            "-1.500000|-0001.50|-2|-1.5    |"
        );
        let d = float_msg(&0.1f64.to_le_bytes());
        assert_eq!(text("%.20d", &d), "0.10000000000000000555");
        // Ties round to even, as glibc.
        assert_eq!(text("%.0d", &float_msg(&2.5f64.to_le_bytes())), "2");
    }

    #[test]
    fn floats_of_the_wrong_size_print_nothing() {
        assert_eq!(text("[%f][%d]", &float_msg(b"abc")), "[][]");
        assert_eq!(text("[%d]", &float_msg(&1.5f32.to_le_bytes())), "[]");
        assert_eq!(text("[%f]", &float_msg(&1.5f64.to_le_bytes())), "[]");
    }

    #[test]
    fn floats_not_finite_use_glibc_words() {
        assert_eq!(text("%f", &float_msg(&f32::NAN.to_le_bytes())), "nan");
        assert_eq!(text("%f", &float_msg(&(-f32::NAN).to_le_bytes())), "-nan");
        assert_eq!(
            text("[%06d][%-6d]", &float_msg(&f64::NEG_INFINITY.to_le_bytes())),
            "[  -inf][-inf  ]"
        );
        assert_eq!(
            text("%.2d", &float_msg(&f64::INFINITY.to_le_bytes())),
            "inf"
        );
    }

    fn parse_json(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
    }

    #[test]
    fn json_plain_message_matches_mosquitto_2_1() {
        let m = msg("a/b", b"mes");
        assert_eq!(
            text("%j", &m),
            r#"{"tst":"2026-11-30T09:10:13.123456+0000","topic":"a/b","qos":0,"retain":false,"payloadlen":3,"payload":"mes"}"#
        );
        let mut q1 = msg("a/\"q\"\\", b"a\"b\\c/d\te\x01");
        q1.qos = 1;
        q1.mid = 7;
        q1.retain = true;
        assert_eq!(
            text("%j", &q1),
            r#"{"tst":"2026-11-30T09:10:13.123456+0000","topic":"a/\"q\"\\","qos":1,"retain":true,"payloadlen":10,"mid":7,"payload":"a\"b\\c/d\te\u0001"}"#
        );
        let v = parse_json(&render("%j", &q1));
        assert_eq!(v["payload"], "a\"b\\c/d\te\u{1}");
        assert_eq!(v["topic"], "a/\"q\"\\");
    }

    #[test]
    fn json_empty_payload_is_null() {
        let m = msg("a/b", b"");
        for format in ["%j", "%J"] {
            let v = parse_json(&render(format, &m));
            assert_eq!(v["payload"], serde_json::Value::Null, "{format}");
            assert_eq!(v["payloadlen"], 0);
        }
    }

    #[test]
    fn json_binary_payload_is_base64_under_its_own_key() {
        let m = msg("a/b", b"a\0b\xffc");
        for format in ["%j", "%J"] {
            let v = parse_json(&render(format, &m));
            assert_eq!(v.get("payload"), None, "{format}");
            assert_eq!(v["payload_base64"], "YQBi/2M=", "{format}");
            assert_eq!(v["payloadlen"], 5);
        }
        // A NUL in UTF-8 text is text (mosquitto cuts the string there).
        let v = parse_json(&render("%j", &msg("a", b"a\0b")));
        assert_eq!(v["payload"], "a\u{0}b");
    }

    #[test]
    fn json_properties() {
        let m = v5(b"mes");
        assert_eq!(
            text("%j", &m),
            concat!(
                r#"{"tst":"2026-11-30T09:10:13.123456+0000","topic":"a/b","qos":0,"retain":false,"payloadlen":3,"#,
                r#""properties":{"subscription-identifier":5,"content-type":"text/plain","user-properties":[{"k1":"v1"},{"k1":"v2"}],"#,
                r#""correlation-data":"abc","response-topic":"r/t","payload-format-indicator":1,"message-expiry-interval":60},"#,
                r#""payload":"mes"}"#
            )
        );
        let mut m = v5(b"mes");
        m.properties.correlation = Some(vec![0xde, 0xad, 0xbe, 0xef]);
        m.properties.subscription_ids = vec![1, 2];
        m.properties.topic_alias = Some(3);
        let v = parse_json(&render("%j", &m));
        let p = &v["properties"];
        assert_eq!(p["correlation-data-base64"], "3q2+7w==");
        assert_eq!(p.get("correlation-data"), None);
        assert_eq!(p["subscription-identifier"], serde_json::json!([1, 2]));
        assert_eq!(p["topic-alias"], 3);
    }

    #[test]
    fn json_embeds_a_json_payload_compactly() {
        let m = msg(
            "a/b",
            br#" {"a": [1, 2.0, 1e3, {"b":null}], "c":{}, "d":[], "e":"\u00e9\/", "f": "x, y: z"} "#,
        );
        assert_eq!(
            text("%J", &m),
            concat!(
                r#"{"tst":"2026-11-30T09:10:13.123456+0000","topic":"a/b","qos":0,"retain":false,"payloadlen":82,"#,
                r#""payload":{"a":[1,2.0,1e3,{"b":null}],"c":{},"d":[],"e":"\u00e9\/","f":"x, y: z"}}"#
            )
        );
        let v = parse_json(&render("%J", &m));
        assert_eq!(v["payload"]["a"][2], 1000.0);
        let scalar = msg("a/b", b" 12 ");
        assert_eq!(parse_json(&render("%J", &scalar))["payload"], 12);
    }

    #[test]
    fn json_pretty_is_laid_out_as_cjson() {
        // mosquitto_sub 2.0.11 --pretty, with 2.1's tst and retain, and
        // the payload's numbers and escapes as sent.
        let m = msg(
            "a/b",
            br#"{"a": [1, 2.0, 1e3, {"b":null}], "c":{}, "d":[], "e":"\u00e9\/", "f":{"g":[[]]}}"#,
        );
        assert_eq!(
            String::from_utf8(render_at("%J", &m, now(), true)).unwrap(),
            "{\n\t\"tst\":\t\"2026-11-30T09:10:13.123456+0000\",\n\t\"topic\":\t\"a/b\",\n\t\"qos\":\t0,\n\t\"retain\":\tfalse,\n\t\"payloadlen\":\t80,\n\t\"payload\":\t{\n\t\t\"a\":\t[1, 2.0, 1e3, {\n\t\t\t\t\"b\":\tnull\n\t\t\t}],\n\t\t\"c\":\t{\n\t\t},\n\t\t\"d\":\t[],\n\t\t\"e\":\t\"\\u00e9\\/\",\n\t\t\"f\":\t{\n\t\t\t\"g\":\t[[]]\n\t\t}\n\t}\n}"
        );
        assert_eq!(
            String::from_utf8(render_at("%j", &v5(b"mes"), now(), true)).unwrap(),
            "{\n\t\"tst\":\t\"2026-11-30T09:10:13.123456+0000\",\n\t\"topic\":\t\"a/b\",\n\t\"qos\":\t0,\n\t\"retain\":\tfalse,\n\t\"payloadlen\":\t3,\n\t\"properties\":\t{\n\t\t\"subscription-identifier\":\t5,\n\t\t\"content-type\":\t\"text/plain\",\n\t\t\"user-properties\":\t[{\n\t\t\t\t\"k1\":\t\"v1\"\n\t\t\t}, {\n\t\t\t\t\"k1\":\t\"v2\"\n\t\t\t}],\n\t\t\"correlation-data\":\t\"abc\",\n\t\t\"response-topic\":\t\"r/t\",\n\t\t\"payload-format-indicator\":\t1,\n\t\t\"message-expiry-interval\":\t60\n\t},\n\t\"payload\":\t\"mes\"\n}"
        );
    }

    #[test]
    fn json_pretty_arrays_of_strings_and_objects_with_string_values() {
        let m = msg("t", br#"{"k":["a","b"],"o":{"x":"y","z":"w"},"e":{}}"#);
        let out = render_at("%J", &m, now(), true);
        let want = "{\n\t\t\"k\":\t[\"a\", \"b\"],\n\t\t\"o\":\t{\n\t\t\t\"x\":\t\"y\",\n\t\t\t\"z\":\t\"w\"\n\t\t},\n\t\t\"e\":\t{\n\t\t}\n\t}";
        let s = String::from_utf8(out).unwrap();
        assert!(s.ends_with(&format!("\"payload\":\t{want}\n}}")), "{s}");
    }

    #[test]
    fn json_uppercase_falls_back_when_the_payload_is_not_json() {
        for payload in [
            &b"not json"[..],
            b"{\"a\":1",
            b"{\"a\":1}x",
            b"\"\\ud800\"",
            b"1e400",
            b"[1,]",
        ] {
            let m = msg("a/b", payload);
            for pretty in [false, true] {
                let v = parse_json(&render_at("%J", &m, now(), pretty));
                assert_eq!(
                    v["payload"],
                    std::str::from_utf8(payload).unwrap(),
                    "{payload:?}"
                );
            }
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let v = parse_json(&render("%J", &msg("a", deep.as_bytes())));
        assert_eq!(v["payload"], deep.as_str());
    }

    #[test]
    fn json_twice_in_one_format() {
        let m = msg("a/b", b"\"s\"");
        let out = text("%J|%j", &m);
        let (a, b) = out.split_once('|').unwrap();
        assert_eq!(parse_json(a.as_bytes())["payload"], "s");
        assert_eq!(parse_json(b.as_bytes())["payload"], "\"s\"");
    }

    #[test]
    fn parse_errors_name_the_sequence() {
        for (format, want) in [
            ("%y", "unknown format specifier '%y'"),
            ("a%-5.2y", "unknown format specifier '%-5.2y'"),
            ("%0-5p", "unknown format specifier '%0-5'"),
            ("%é", "unknown format specifier '%é'"),
            (
                "abc%",
                "incomplete format specifier '%' at the end of the format",
            ),
            ("%5", "incomplete format specifier '%5'"),
            ("%-", "incomplete format specifier '%-'"),
            ("%0", "incomplete format specifier '%0'"),
            ("%.", "incomplete format specifier '%.'"),
            ("%.2:", "incomplete format specifier '%.2:'"),
            ("a@", "incomplete time specifier '@'"),
            ("a\\", "incomplete escape '\\'"),
            ("\\q", "unknown escape '\\q'"),
            ("\\é", "unknown escape '\\é'"),
            (
                "%99999999999999999999999p",
                "width or precision 99999999999999999999999",
            ),
            ("%.65536x", "width or precision 65536"),
        ] {
            let e = parse_err(format);
            assert!(e.starts_with(want), "{format:?}: {e}");
            assert!(!e.contains('\n'));
        }
        assert!(Template::parse("%65535.65535x").is_ok());
    }

    #[test]
    fn every_documented_specifier_parses() {
        for c in "%AClmpqrRStxXIjJUDEFPdf".chars() {
            assert!(Template::parse(&format!("%{c}")).is_ok(), "%{c}");
        }
        for c in TIME_CONVERSIONS.iter().chain(b"N@") {
            assert!(Template::parse(&format!("@{}", *c as char)).is_ok());
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn any_format_parses_or_errs_and_renders(
                format in "[%@\\\\a-zA-Z0-9.:;, !\\-é]{0,24}",
                payload in proptest::collection::vec(any::<u8>(), 0..24),
                pretty in any::<bool>(),
            ) {
                if let Ok(t) = Template::parse(&format) {
                    let mut m = v5(&payload);
                    m.properties.correlation = Some(payload.clone());
                    let mut out = Vec::new();
                    t.render(&m, &payload, now(), pretty, &mut out);
                }
            }

            #[test]
            fn json_output_always_parses(
                payload in proptest::collection::vec(any::<u8>(), 0..48),
                text_payload in "[\\[\\]{}\":,0-9a-z\\\\ .eE+-]{0,32}",
                pretty in any::<bool>(),
            ) {
                for p in [payload.as_slice(), text_payload.as_bytes()] {
                    let m = msg("t/\u{1}\"", p);
                    for format in ["%j", "%J"] {
                        let out = render_at(format, &m, now(), pretty);
                        let v: serde_json::Value = serde_json::from_slice(&out)
                            .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&out))))?;
                        prop_assert_eq!(v["payloadlen"].as_u64(), Some(p.len() as u64));
                    }
                }
            }

            #[test]
            fn embedded_json_keeps_its_value(
                value in proptest::arbitrary::any::<u32>().prop_map(|n| n % 5),
                pretty in any::<bool>(),
            ) {
                let doc = match value {
                    0 => r#"{"a":{"b":[1,{"c":"d"},[]],"e":{}},"f":[{"g":null}, "h,i:j"]}"#,
                    1 => r#"[ { } , [ ] , "x" , { "y" : [ true , false ] } ]"#,
                    2 => r#""just a string""#,
                    3 => r#"{"":"","\"k\"":"\"v\""}"#,
                    _ => "-0.5e-3",
                };
                let out = render_at("%J", &msg("t", doc.as_bytes()), now(), pretty);
                let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
                let want: serde_json::Value = serde_json::from_str(doc).unwrap();
                prop_assert_eq!(&v["payload"], &want);
            }
        }
    }
}
