//! `-f LIST` with `-d DELIM` on arbitrary bytes: `FieldList` as `cut`.
//!
//! Input: field list, delimiter and payload separated by NUL (the payload
//! may hold NULs).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mqrr::text::extract::FieldList;
use mqrr_fuzz::{parts, text};

fuzz_target!(|data: &[u8]| {
    let [list, delimiter, payload] = parts::<3>(data);
    let Ok(list) = FieldList::parse(&text(list)) else {
        return;
    };
    let out = list.apply(payload, delimiter);
    // cut never adds bytes, and each line stays a line.
    assert!(out.len() <= payload.len());
    let lines = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count();
    assert_eq!(lines(&out), lines(payload));
});
