//! `-L URL` (and `MQRR_URL`): `ConnectionSettings::from_args` with a URL,
//! userinfo percent-decoding included, and optionally `-u`.
//!
//! Input: the URL, then NUL and a user name (none when absent or empty).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mqrr::cli::Connection;
use mqrr::config::ConnectionSettings;
use mqrr_fuzz::{parts, text};

fuzz_target!(|data: &[u8]| {
    let [url, user] = parts::<2>(data);
    let c = Connection {
        url: Some(text(url)),
        username: (!user.is_empty()).then(|| text(user)),
        ..Default::default()
    };
    if let Ok(s) = ConnectionSettings::from_args(&c) {
        assert!(
            ["tcp://", "ssl://", "ws://", "wss://", "unix://"]
                .iter()
                .any(|p| s.uri.starts_with(p)),
            "{:?}",
            s.uri
        );
        assert!(s.password.is_none() || s.username.is_some());
    }
});
