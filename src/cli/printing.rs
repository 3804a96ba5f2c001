//! `-F` and `--pretty`, shared by request mode and `sub`: mosquitto_sub's
//! format strings (spec §9; the parser and renderer are text/format.rs).

use clap::Args;

// How each message is printed, when not as its payload. (A plain comment:
// clap would take a doc comment here for the about text of the
// subcommands that flatten it.)
#[derive(Args, Debug, Clone, Default)]
pub struct Printing {
    /// Print each message through this format, as mosquitto_sub -F (request mode: each response)
    ///
    /// Message: %t topic, %p payload (the extracted text with -j/-r/-f),
    /// %x/%X payload in hex, %l length, %m message id, %q QoS, %r retain
    /// flag, %% a %. MQTT 5 properties: %A topic alias, %C content type,
    /// %D correlation data, %E message expiry, %F payload format indicator,
    /// %P user properties (name:value, space separated), %R response topic,
    /// %S subscription identifier. Time of receipt (UTC): %I ISO 8601, %U
    /// Unix time with nanoseconds, @X strftime's %X (@Y, @m, @d, @H…), @N
    /// nanoseconds, @@ an @. JSON: %j the message with the payload as a
    /// string (a payload that is not UTF-8 as "payload_base64"), %J with the
    /// payload embedded as JSON. %d/%f: an 8/4-byte payload as a
    /// little-endian double/float. Between % and the letter: - left-align,
    /// 0 pad with zeros, a minimum width, .N a maximum width (for %x/%X:
    /// groups of N hex digits, with an optional separator, %.2:x). Escapes:
    /// \\ \0 \a \e \n \r \t \v.
    #[arg(short = 'F', long, value_name = "FORMAT", help_heading = "Output")]
    pub format: Option<String>,

    /// Lay out %j and %J over several lines
    #[arg(long, help_heading = "Output")]
    pub pretty: bool,
}
