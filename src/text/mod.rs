//! Bytes in, bytes out: extraction, `-F` format strings and output, pure
//! and unit-tested; no network types here.

pub mod extract;
pub mod format;
pub mod output;
