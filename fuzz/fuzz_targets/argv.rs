//! Whole command lines through every subcommand (the rows of
//! `mqrr_fuzz::COMMANDS`): the options file, clap, and the settings
//! builders, as `src/main.rs` runs them before connecting. Nothing here
//! reaches the network.
//!
//! Input: one byte picking the row, then the arguments separated by NUL.

#![no_main]

use std::ffi::OsString;

use libfuzzer_sys::fuzz_target;
use mqrr_fuzz::{check_argv, command};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (_, mut argv) = command(selector);
    if !rest.is_empty() {
        argv.extend(
            rest.split(|&b| b == 0)
                .map(|a| OsString::from(String::from_utf8_lossy(a).into_owned())),
        );
    }
    check_argv(argv);
});
