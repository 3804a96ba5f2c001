//! How messages are written to stdout: raw bytes, `TOPIC PAYLOAD` with
//! `-v`, a `-F` format string, a newline after each unless `-N`. stdout
//! carries data only.
//!
//! One buffer, reused for every message: a message is rendered straight
//! into it (no allocation per message once it has grown), and it goes to
//! the file descriptor with one `write` when it is flushed. std's `Stdout`
//! is line-buffered whatever stdout is, which costs one `write` per line on
//! a file; `sub` draining a queue of 200,000 messages into a file wants
//! blocks (spec §8), while `sub … | while read` wants every line at once.
//! `live` tells the caller which: a regular file is written in blocks,
//! anything else (a pipe, a terminal, a socket) as soon as the caller has
//! nothing more to print.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::time::SystemTime;

use crate::config::OutputStyle;
use crate::message::Message;

/// Bytes buffered before a write when stdout is a regular file: a write
/// per 160 messages of 100 bytes, from a buffer of four pages (peak RSS
/// counts every page it touches: 64 KiB measured about 0.1 MiB more in
/// `scripts/bench sub`, for no measurable gain in speed).
const BLOCK: usize = 16 * 1024;

pub struct Output {
    style: OutputStyle,
    /// A duplicate of fd 1; `None` when stdout is closed (output is then
    /// discarded, as std's `Stdout` does).
    out: Option<File>,
    buf: Vec<u8>,
    live: bool,
}

impl Output {
    pub fn new(style: OutputStyle) -> Self {
        let out = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(File::from);
        let live = !out
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .is_some_and(|m| m.file_type().is_file());
        Output {
            style,
            out,
            buf: Vec::with_capacity(if live { 4096 } else { BLOCK + 4096 }),
            live,
        }
    }

    /// Whether someone may be reading as it is written (stdout is not a
    /// regular file): the caller then flushes whenever it would wait.
    pub fn is_live(&self) -> bool {
        self.live
    }

    /// Renders one message into the buffer: `data` is the payload, or what
    /// the extraction steps left of it (`%p` in a format). Writes the
    /// buffer out when it holds a block; a closed pipe comes back as
    /// `ErrorKind::BrokenPipe` for the caller to end quietly.
    pub fn message(&mut self, msg: &Message, data: &[u8]) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        self.render(msg, data, &mut buf);
        self.buf = buf;
        if self.buf.len() >= BLOCK {
            self.flush()?;
        }
        Ok(())
    }

    /// Appends what is printed for one message to `buf`: a batch (`-l`)
    /// renders each response when it arrives and prints it later, in input
    /// order.
    pub fn render(&self, msg: &Message, data: &[u8], buf: &mut Vec<u8>) {
        if let Some(template) = &self.style.format {
            template.render(msg, data, SystemTime::now(), self.style.pretty, buf);
        } else {
            if self.style.verbose {
                buf.extend_from_slice(msg.topic.as_bytes());
                buf.push(b' ');
            }
            buf.extend_from_slice(data);
        }
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

    /// Writes rendered bytes at once (one write for many lines).
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.flush()?;
        match &mut self.out {
            Some(f) => f.write_all(bytes),
            None => Ok(()),
        }
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = match &mut self.out {
            Some(f) => f.write_all(&self.buf),
            None => Ok(()),
        };
        self.buf.clear();
        result
    }

    /// Writes one message and flushes it (request mode: each response is
    /// printed as it arrives).
    pub fn write(&mut self, msg: &Message, data: &[u8]) -> io::Result<()> {
        self.message(msg, data)?;
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::format::Template;

    fn msg(topic: &str, payload: &[u8]) -> Message {
        Message {
            topic: topic.into(),
            payload: payload.to_vec(),
            ..Default::default()
        }
    }

    /// An Output that keeps what it renders (no stdout).
    fn rendered(style: OutputStyle, messages: &[Message]) -> Vec<u8> {
        let mut o = Output {
            style,
            out: None,
            buf: Vec::new(),
            live: true,
        };
        for m in messages {
            o.message(m, &m.payload).unwrap();
        }
        o.buf
    }

    #[test]
    fn plain_verbose_and_no_newline() {
        let ms = [msg("a/b", b"x"), msg("a/c", b"")];
        let style = |verbose, newline| OutputStyle {
            verbose,
            newline,
            ..Default::default()
        };
        // An empty payload is an empty line: one line per message.
        assert_eq!(rendered(style(false, true), &ms), b"x\n\n");
        assert_eq!(rendered(style(true, true), &ms), b"a/b x\na/c \n");
        assert_eq!(rendered(style(false, false), &ms), b"x");
        assert_eq!(rendered(style(true, false), &ms), b"a/b xa/c ");
    }

    #[test]
    fn a_format_wins_over_verbose() {
        let style = OutputStyle {
            verbose: true,
            newline: true,
            format: Some(Template::parse("%t=%p|%l").unwrap()),
            pretty: false,
        };
        assert_eq!(rendered(style, &[msg("t", b"\x00\xff")]), b"t=\x00\xff|2\n");
    }
}
