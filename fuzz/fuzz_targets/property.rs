//! `-D CMD NAME VALUE`: `mqtt::properties::parse_spec` on any words.
//!
//! Input: the words separated by NUL.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mqrr::mqtt::properties::parse_spec;

fuzz_target!(|data: &[u8]| {
    let words: Vec<String> = data.split(|&b| b == 0).map(mqrr_fuzz::text).collect();
    if let Ok((_, p)) = parse_spec(&words) {
        let _ = p.to_string();
        assert!(p.wire_len() > 0);
    }
});
