//! Bytes in, bytes out: extraction and output, pure and unit-tested; no
//! network types here.

pub mod extract;
pub mod output;
