//! Parse, run, turn the outcome into one stderr line and an exit status.

use std::io::Write;
use std::process::exit;

use clap::Parser;
use clap::error::ErrorKind;

use mqrr::cli::Cli;
use mqrr::cli::mosquitto::{Tool, Translated, translate};
use mqrr::error::exit as status;

fn main() {
    let start = std::time::Instant::now();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let quiet = argv.iter().any(|a| a == "--quiet");
    // Run as mosquitto_pub, _sub or _rr: that tool's command line (spec §11).
    let personality = argv.first().and_then(|a| Tool::from_argv0(a));
    let args = match personality {
        Some(tool) => {
            let _ = mqrr::error::PROGRAM.set(tool.name());
            match translate(
                tool,
                argv.get(1..).unwrap_or_default(),
                &env,
                &read_options_file,
            ) {
                Ok(Translated::Run(args)) => args,
                // mosquitto's clients exit 1 after --help and --version.
                Ok(Translated::Help(text)) => {
                    let _ = std::io::stdout().write_all(text.as_bytes());
                    exit(1);
                }
                Ok(Translated::Version(line)) => {
                    let _ = writeln!(std::io::stdout(), "{line}");
                    exit(1);
                }
                Err(msg) => usage_error(Some(tool), quiet, &msg),
            }
        }
        None => match mqrr::cli::with_options_file(argv) {
            Ok(args) => args,
            Err(e) => usage_error(None, quiet, &e.to_string()),
        },
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            exit(status::OK);
        }
        Err(e) => usage_error(
            personality,
            quiet,
            &in_tool_words(personality, &clap_error_line(&e)),
        ),
    };
    let quiet = mqrr::is_quiet(&cli);
    let code = match mqrr::run(cli, start) {
        Ok(()) => status::OK,
        Err(e) if matches!(e, mqrr::error::Error::Usage(_)) => usage_error(
            personality,
            quiet,
            &in_tool_words(personality, &e.to_string()),
        ),
        Err(e) => {
            if let Some(line) = e.message() {
                mqrr::error::warn(quiet, &line);
            }
            e.exit_code()
        }
    };
    // Exit without unwinding: see connect::Session for why the client is
    // never dropped.
    exit(code);
}

/// A usage error: `mqrr: …` and exit 2, or as a mosquitto personality
/// mosquitto's `Error: …` and exit 1 (spec §11).
fn usage_error(personality: Option<Tool>, quiet: bool, msg: &str) -> ! {
    match personality {
        // mosquitto prints its usage errors even with --quiet.
        Some(_) => {
            mqrr::error::stderr_line(format_args!("Error: {}", mqrr::error::sanitize(msg)));
            exit(1)
        }
        None => {
            mqrr::error::warn(quiet, msg);
            exit(status::USAGE)
        }
    }
}

/// mqrr's usage message (clap's, or a check's) as a personality says it:
/// with the option names the user typed (`-q`, not `--qos <QOS>`).
fn in_tool_words(personality: Option<Tool>, msg: &str) -> String {
    match personality {
        Some(tool) => mqrr::cli::mosquitto::in_tool_words(tool, msg),
        None => msg.to_string(),
    }
}

fn env(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name)
}

/// A personality's options file, if it exists (mosquitto ignores a missing
/// one); at most 1 MiB is read.
fn read_options_file(path: &std::path::Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_end(&mut text)
        .ok()?;
    Some(text)
}

/// clap's usage errors span several lines; a script wants one. When the
/// first line ends in a colon ("the following required arguments were not
/// provided:"), the indented lines under it are what it is about.
fn clap_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("invalid command line");
    let mut line = first.strip_prefix("error: ").unwrap_or(first).to_string();
    if line.ends_with(':') {
        let items: Vec<&str> = lines
            .take_while(|l| l.starts_with(' '))
            .map(str::trim)
            .collect();
        line = format!("{} {}", line, items.join(", "));
    }
    line
}
