//! The one error type, and the only place exit codes are decided.
//!
//! Each variant is one row of the exit-status table in the spec (§3); its
//! Display is the single line printed after `mqrr: `.

use std::fmt;

/// Exit statuses a script can rely on (spec §3).
pub mod exit {
    pub const OK: i32 = 0;
    pub const RUNTIME: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const CONNECT: i32 = 3;
    pub const REFUSED: i32 = 4;
    /// The other side answered "failed" (a `tedge-cmd` command ended so).
    pub const FAILED: i32 = 5;
    /// The same code as `mosquitto_rr -W` and `mosquitto_sub -W`.
    pub const TIMEOUT: i32 = 27;
    pub const SIGINT: i32 = 130;
    pub const SIGTERM: i32 = 143;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// Bad option, value or combination: found before touching the network.
    Usage(String),
    /// DNS, TCP, TLS: the broker could not be reached.
    Connect(String),
    /// The broker answered no: credentials, authorization, SUBACK or PUBACK failure.
    Refused(String),
    /// The other side answered "failed": a thin-edge.io command ended in
    /// status `failed` (the line gives its `reason`).
    Failed(String),
    /// The deadline passed.
    Timeout(String),
    /// Anything else that went wrong at run time.
    Runtime(String),
    /// Stopped by a signal after a clean disconnect; prints nothing.
    Interrupted(Signal),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Connect(_) => exit::CONNECT,
            Error::Refused(_) => exit::REFUSED,
            Error::Failed(_) => exit::FAILED,
            Error::Timeout(_) => exit::TIMEOUT,
            Error::Runtime(_) => exit::RUNTIME,
            Error::Interrupted(Signal::Interrupt) => exit::SIGINT,
            Error::Interrupted(Signal::Terminate) => exit::SIGTERM,
        }
    }

    /// The line to print, or `None` when the exit status says it all.
    pub fn message(&self) -> Option<String> {
        match self {
            Error::Interrupted(_) => None,
            other => Some(other.to_string()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m)
            | Error::Connect(m)
            | Error::Refused(m)
            | Error::Failed(m)
            | Error::Timeout(m)
            | Error::Runtime(m) => f.write_str(m),
            Error::Interrupted(Signal::Interrupt) => f.write_str("interrupted"),
            Error::Interrupted(Signal::Terminate) => f.write_str("terminated"),
        }
    }
}

impl std::error::Error for Error {}

/// The name diagnostics start with: `mqrr`, or the mosquitto tool mqrr
/// stands in for (spec §11). Set once, at start.
pub static PROGRAM: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// Prints one diagnostic line, `mqrr: …`, unless `--quiet`.
pub fn warn(quiet: bool, msg: &str) {
    if !quiet {
        stderr_line(format_args!(
            "{}: {}",
            PROGRAM.get().unwrap_or(&"mqrr"),
            sanitize(msg)
        ));
    }
}

/// Writes one line to stderr. Unlike `eprintln!`, a closed or full stderr
/// is ignored rather than a panic: the exit status still tells.
pub fn stderr_line(line: std::fmt::Arguments) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Escapes control characters so that a topic or payload echoed in a
/// diagnostic cannot move the cursor or recolour the user's terminal, and the
/// message stays on one line.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_the_spec_table() {
        let cases = [
            (Error::Usage(String::new()), 2),
            (Error::Connect(String::new()), 3),
            (Error::Refused(String::new()), 4),
            (Error::Failed(String::new()), 5),
            (Error::Timeout(String::new()), 27),
            (Error::Runtime(String::new()), 1),
            (Error::Interrupted(Signal::Interrupt), 130),
            (Error::Interrupted(Signal::Terminate), 143),
        ];
        for (err, code) in cases {
            assert_eq!(err.exit_code(), code, "{err:?}");
        }
    }

    #[test]
    fn interrupted_prints_nothing() {
        assert_eq!(Error::Interrupted(Signal::Terminate).message(), None);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            sanitize("no response on a/\x1b[31mred\n"),
            "no response on a/\\u{1b}[31mred\\n"
        );
    }
}
