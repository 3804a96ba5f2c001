//! `tedge.toml` (thin-edge.io's config, read by `c8y-token`):
//! `tedge::parse` on any text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mqrr::tedge::parse(&mqrr_fuzz::text(data));
});
