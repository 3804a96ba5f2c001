//! Options files (`-o PATH`): `cli::options_file::parse` on any bytes,
//! then merged under an empty command line of one of the commands
//! (`mqrr_fuzz::COMMANDS`), parsed by clap and checked as `main` would;
//! for a mosquitto personality, the bytes are its default options file.
//!
//! Input: one byte picking the command, then the file's bytes.

#![no_main]

use clap::CommandFactory;
use libfuzzer_sys::fuzz_target;
use mqrr::cli::Cli;
use mqrr::cli::mosquitto::Tool;
use mqrr::cli::options_file::{merge, parse};
use mqrr_fuzz::{check_argv, check_argv_with, command};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let (_, mut argv) = command(selector);
    if argv.first().and_then(|a| Tool::from_argv0(a)).is_some() {
        check_argv_with(argv, Some(file));
        return;
    }
    let Ok(options) = parse(file) else {
        return;
    };
    let mut cli = Cli::command();
    cli.build();
    let target = match argv.get(1).and_then(|s| s.to_str()) {
        Some(sub) => match cli.find_subcommand(sub) {
            Some(c) => c.clone(),
            None => return,
        },
        None => cli,
    };
    let Ok(args) = merge(&target, &options, &[], &[]) else {
        return;
    };
    argv.extend(args);
    check_argv(argv);
});
