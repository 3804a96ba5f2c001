//! `-j POINTER -r REGEX -f LIST -d DELIM` as one pipeline: checked by
//! `RequestSettings::from_args` as the command line is, then applied to a
//! payload of arbitrary bytes.
//!
//! Input: a byte whose bits 0, 1, 2 turn -j, -r, -f on, then pointer, regex,
//! field list and delimiter separated by NUL, then the payload.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mqrr::cli::{Extraction, RequestArgs};
use mqrr::config::RequestSettings;
use mqrr_fuzz::{parts, text};

fuzz_target!(|data: &[u8]| {
    let Some((&steps, rest)) = data.split_first() else {
        return;
    };
    let [json, regex, fields, delimiter, payload] = parts::<5>(rest);
    // A regex of thousands of characters is still the user's own; it only
    // makes each run slow to compile.
    if regex.len() > 1000 {
        return;
    }
    let on = |bit: u8, b: &[u8]| (steps & bit != 0).then(|| text(b));
    let args = RequestArgs {
        topic: Some("req".into()),
        response_topic: Some("resp".into()),
        extraction: Extraction {
            json: on(1, json),
            regex: on(2, regex),
            fields: on(4, fields),
            delimiter: if delimiter.is_empty() && steps & 8 == 0 {
                ",".into()
            } else {
                text(delimiter)
            },
        },
        ..Default::default()
    };
    let Ok(settings) = RequestSettings::from_args(&args) else {
        return;
    };
    let x = &settings.extractor;
    let out = x.apply(payload);
    if x.json.is_none() && x.regex.is_none() {
        assert!(out.is_some(), "-f alone always matches");
    }
});
