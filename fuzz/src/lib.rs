//! What the fuzz targets share: how one input is cut into the strings a
//! parser takes, and the table of command lines the `argv` and
//! `options_file` targets drive.
//!
//! Inputs are split at NUL bytes: no command-line argument can hold one, so
//! an argv input reads like `/proc/PID/cmdline`, and the seeds that
//! `fuzz/seed.py` extracts from the tests are easy to write.

use std::ffi::OsString;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use clap::error::ErrorKind;
use mqrr::cli::mosquitto::{Tool, Translated, translate};
use mqrr::cli::{Cli, Command};
use mqrr::commands::{c8y_token, publish, serve, subscribe, tedge_cmd};
use mqrr::config::{ConnectionSettings, RequestSettings};

/// The command lines the fuzzer drives: a name, and the words before the
/// fuzzed arguments (`argv[0]`, and the subcommand). The first byte of an
/// `argv` or `options_file` input picks a row (modulo the length).
///
/// Adding a subcommand or a personality is one row here, appended at the
/// end so that the existing corpus keeps its meaning, plus its arm in
/// [`check`] (the match there is exhaustive: a new `Command` variant does
/// not compile until it has one). A personality (`mosquitto_rr` as
/// `argv[0]`) also needs [`check_argv`] to dispatch on `argv[0]` the way
/// `src/main.rs` does.
pub const COMMANDS: &[(&str, &[&str])] = &[
    ("request", &["mqrr"]),
    ("c8y-token", &["mqrr", "c8y-token"]),
    ("serve", &["mqrr", "serve"]),
    ("pub", &["mqrr", "pub"]),
    ("sub", &["mqrr", "sub"]),
    ("tedge-cmd", &["mqrr", "tedge-cmd"]),
    ("mosquitto_pub", &["mosquitto_pub"]),
    ("mosquitto_sub", &["mosquitto_sub"]),
    ("mosquitto_rr", &["mosquitto_rr"]),
];

/// The row `selector` picks, and its words as an argv prefix.
pub fn command(selector: u8) -> (&'static str, Vec<OsString>) {
    let (name, words) = COMMANDS[usize::from(selector) % COMMANDS.len()];
    (name, words.iter().map(OsString::from).collect())
}

/// Splits `data` at NUL bytes into exactly `N` parts; the last one takes
/// the rest, NULs included; missing parts are empty.
pub fn parts<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&data[..0]; N];
    let mut rest = data;
    for (i, slot) in out.iter_mut().enumerate() {
        if i + 1 == N {
            *slot = rest;
            break;
        }
        match rest.iter().position(|&b| b == 0) {
            Some(at) => {
                *slot = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *slot = rest;
                rest = &rest[rest.len()..];
            }
        }
    }
    out
}

/// Bytes as text, the way a lossy reader would see them (clap takes only
/// UTF-8 arguments; the parsers behind it take `&str`).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A point in time from a signed second count and nanoseconds: any time a
/// `SystemTime` can hold, before the epoch included.
pub fn time(secs: i64, nanos: u32) -> SystemTime {
    let whole = Duration::from_secs(secs.unsigned_abs());
    let t = if secs >= 0 {
        UNIX_EPOCH.checked_add(whole)
    } else {
        UNIX_EPOCH.checked_sub(whole)
    };
    let t = t.unwrap_or(UNIX_EPOCH);
    t.checked_add(Duration::from_nanos(u64::from(nanos % 1_000_000_000)))
        .unwrap_or(t)
}

/// What `src/main.rs` does with a command line before `run`: the options
/// file read in, clap, then every settings builder (parse and check, no
/// network). Errors are expected; only a panic, a hang or a sanitizer
/// report is a finding.
pub fn check_argv(argv: Vec<OsString>) {
    check_argv_with(argv, None);
}

/// As [`check_argv`]; a personality (`argv[0]` `mosquitto_X`) reads `file`
/// as its default options file, with an otherwise empty environment.
pub fn check_argv_with(argv: Vec<OsString>, file: Option<&[u8]>) {
    let personality = argv.first().and_then(|a| Tool::from_argv0(a));
    let env = |name: &str| (name == "XDG_CONFIG_HOME").then(|| OsString::from("/fuzz"));
    let read = |_: &std::path::Path| file.map(<[u8]>::to_vec);
    let translated = match personality {
        Some(tool) => match translate(tool, argv.get(1..).unwrap_or_default(), &env, &read) {
            Ok(Translated::Run(args)) => Ok(args),
            Ok(Translated::Help(text)) => Err(text),
            Ok(Translated::Version(line)) => Err(line),
            Err(msg) => Err(msg),
        },
        None => mqrr::cli::with_options_file(argv).map_err(|e| {
            let _ = e.exit_code();
            e.to_string()
        }),
    };
    let args = match translated {
        Ok(args) => args,
        Err(text) => {
            let _ = text.len();
            return;
        }
    };
    match Cli::try_parse_from(args) {
        Ok(cli) => {
            let _ = mqrr::is_quiet(&cli);
            if let Err(e) = check(&cli) {
                let _ = e.message();
            }
        }
        Err(e) => {
            // main renders every clap error into one line.
            let _ = e.render().to_string();
            let _ = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
        }
    }
}

/// The settings each subcommand runs on, built as `mqrr::run` builds them,
/// without running anything.
pub fn check(cli: &Cli) -> mqrr::error::Result<()> {
    match &cli.command {
        None => {
            let conn = ConnectionSettings::new(&cli.connection)?;
            let req = RequestSettings::from_args(&cli.request)?;
            req.check_against(&conn)
        }
        Some(Command::C8yToken(args)) => c8y_token::Settings::from_args(args).map(drop),
        Some(Command::Serve(args)) => serve::Settings::from_args(args).map(drop),
        Some(Command::Pub(args)) => publish::Settings::from_args(args).map(drop),
        Some(Command::Sub(args)) => subscribe::Settings::from_args(args).map(drop),
        Some(Command::TedgeCmd(args)) => tedge_cmd::Settings::from_args(args).map(drop),
    }
}
