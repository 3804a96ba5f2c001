//! `-W`, `--resend`, `--exec-timeout` values: `cli::parse_duration`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mqrr::cli::{MAX_DURATION, parse_duration};

fuzz_target!(|data: &[u8]| {
    let s = mqrr_fuzz::text(data);
    if let Ok(d) = parse_duration(&s) {
        assert!(d <= MAX_DURATION, "{s:?} gave {d:?}");
        // What the timeout messages print.
        let _ = humantime::format_duration(d).to_string();
    }
});
