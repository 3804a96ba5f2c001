//! How a response is written to stdout: raw bytes, `TOPIC PAYLOAD` with
//! `-v`, a newline after each unless `-N`. stdout carries data only.

use std::io::{self, Write};

use crate::config::OutputStyle;

pub struct Output {
    style: OutputStyle,
    out: io::Stdout,
}

impl Output {
    pub fn new(style: OutputStyle) -> Self {
        Output {
            style,
            out: io::stdout(),
        }
    }

    /// Writes one response and flushes, so `-C 0` streams. A closed pipe
    /// comes back as `ErrorKind::BrokenPipe` for the caller to end quietly.
    pub fn write(&mut self, topic: &str, data: &[u8]) -> io::Result<()> {
        let mut out = self.out.lock();
        if self.style.verbose {
            out.write_all(topic.as_bytes())?;
            out.write_all(b" ")?;
        }
        out.write_all(data)?;
        if self.style.newline {
            out.write_all(b"\n")?;
        }
        out.flush()
    }
}
