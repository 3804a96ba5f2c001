//! Parse, run, turn the outcome into one stderr line and an exit status.

use std::process::exit;

use clap::Parser;
use clap::error::ErrorKind;

use mqrr::cli::Cli;
use mqrr::error::exit as status;

fn main() {
    let start = std::time::Instant::now();
    let args = match mqrr::cli::with_options_file(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(e) => {
            let quiet = std::env::args_os().any(|a| a == "--quiet");
            mqrr::error::warn(quiet, &e.to_string());
            exit(e.exit_code());
        }
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            exit(status::OK);
        }
        Err(e) => {
            let quiet = std::env::args_os().any(|a| a == "--quiet");
            mqrr::error::warn(quiet, &clap_error_line(&e));
            exit(status::USAGE);
        }
    };
    let quiet = mqrr::is_quiet(&cli);
    let code = match mqrr::run(cli, start) {
        Ok(()) => status::OK,
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
