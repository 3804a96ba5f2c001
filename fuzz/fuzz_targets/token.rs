//! The Cumulocity JWT (`Token::decode` and every `-o` form it prints) and
//! the `--cache` file reader (`c8y_token::parse_cache`).
//!
//! Input: 8 bytes of "now" (seconds, signed, little-endian), then the JWT,
//! NUL, and the cache file's bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mqrr::cli::TokenOutput;
use mqrr::commands::c8y_token::{Token, parse_cache};
use mqrr_fuzz::{parts, text, time};

fuzz_target!(|data: &[u8]| {
    let Some((now, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let now = time(i64::from_le_bytes(*now), 0);
    let [jwt, cache] = parts::<2>(rest);
    if let Ok(token) = Token::decode(&text(jwt)) {
        let _ = token.expires_in(now);
        for form in [
            TokenOutput::Token,
            TokenOutput::Env,
            TokenOutput::Json,
            TokenOutput::Header,
            TokenOutput::Claims,
        ] {
            let out = token.render(form, now);
            if form == TokenOutput::Json || form == TokenOutput::Claims {
                assert!(
                    serde_json::from_str::<serde_json::Value>(&out).is_ok(),
                    "{form:?}: {out}"
                );
            }
        }
    }
    let _ = parse_cache(cache, "localhost:1883", "c8y/s/uat");
});
