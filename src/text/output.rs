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
        let mut buf = Vec::with_capacity(topic.len() + data.len() + 2);
        self.render(topic, data, &mut buf);
        self.write_raw(&buf)
    }

    /// Appends what `write` would print for one response to `buf`: a batch
    /// (`-l`) renders each response when it arrives and prints it later,
    /// in input order.
    pub fn render(&self, topic: &str, data: &[u8], buf: &mut Vec<u8>) {
        if self.style.verbose {
            buf.extend_from_slice(topic.as_bytes());
            buf.push(b' ');
        }
        buf.extend_from_slice(data);
        if self.style.newline {
            buf.push(b'\n');
        }
    }

    /// What a batch prints for a request nobody answered: an empty line
    /// (nothing with `-N`), so line N of the output stays line N's answer.
    pub fn render_unanswered(&self, buf: &mut Vec<u8>) {
        if self.style.newline {
            buf.push(b'\n');
        }
    }

    /// Writes rendered bytes and flushes (one write for many lines).
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut out = self.out.lock();
        out.write_all(bytes)?;
        out.flush()
    }
}
