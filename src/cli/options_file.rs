//! Options files (`-o PATH`, spec §2): options read from a file, one per
//! line, as mosquitto's client config files have them, under the command
//! line.
//!
//! The file's options are put in front of the command line's and clap
//! parses them together; an option of the file that the command line also
//! gives (or one that conflicts with it) is left out, so the command line
//! wins and a lower level never conflicts with a higher one. Options that
//! may repeat (`-t` of `sub`, `-D`, `--user-property`) add up, as in
//! mosquitto.
//!
//! Line syntax (mosquitto's, verified against 2.0.11): the first word is the
//! option, the rest of the line after one space is its value, verbatim
//! (spaces and quotes kept); `-D` splits its value into words. A line whose
//! first non-blank character is `#` is a comment (mosquitto needs it in the
//! first column); blank lines are skipped; `\r\n` endings are fine.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use clap::{ArgAction, Command};

use crate::error::{Error, Result};

/// Lines longer than this are refused (mosquitto cuts them at 1023 bytes
/// and reads the rest as another line, which is never what was meant).
const MAX_LINE: usize = 64 * 1024;

/// Files larger than this are refused: an options file is a few lines, and
/// `-o /dev/zero` must end at once, not read until memory runs out
/// (issue #19).
const MAX_FILE: u64 = 1024 * 1024;

/// The options file named on the command line (`-o PATH`, `--options-file
/// PATH`, `--options-file=PATH`), if any. `short_o` says whether `-o` means
/// the options file for this command (`c8y-token` and `tedge-cmd` use it
/// for their output form). A second one is a usage error.
pub fn named(args: &[OsString], short_o: bool) -> Result<Option<PathBuf>> {
    let mut found = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            break;
        }
        let path =
            if a == "--options-file" || (short_o && a == "-o") {
                i += 1;
                Some(args.get(i).cloned().ok_or_else(|| {
                    Error::Usage(format!("{}: no file given", a.to_string_lossy()))
                })?)
            } else {
                a.to_str()
                    .and_then(|s| s.strip_prefix("--options-file="))
                    .map(OsString::from)
            };
        if let Some(p) = path {
            if found.is_some() {
                return Err(Error::Usage("only one options file can be given".into()));
            }
            found = Some(PathBuf::from(p));
        }
        i += 1;
    }
    Ok(found)
}

/// Removes the options-file arguments from `args` (the file is read here,
/// not by clap).
pub fn strip(args: &mut Vec<OsString>, short_o: bool) {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            break;
        }
        if a == "--options-file" || (short_o && a == "-o") {
            args.drain(i..(i + 2).min(args.len()));
        } else if a.to_str().is_some_and(|s| s.starts_with("--options-file=")) {
            args.remove(i);
        } else {
            i += 1;
        }
    }
}

/// One option of a file, as separate arguments, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOption {
    pub line: usize,
    pub args: Vec<OsString>,
}

/// Reads `path` into options (unchecked: `merge` checks them against the
/// command). A missing or unreadable file is a usage error naming it.
pub fn read(path: &Path) -> Result<Vec<FileOption>> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut text))
        .map_err(|e| Error::Usage(format!("options file {}: {e}", path.display())))?;
    if text.len() as u64 > MAX_FILE {
        return Err(Error::Usage(format!(
            "options file {}: larger than {} KiB",
            path.display(),
            MAX_FILE / 1024
        )));
    }
    parse(&text).map_err(|e| Error::Usage(format!("options file {}: {e}", path.display())))
}

/// The options of a file's text. Errors say which line.
pub fn parse(text: &[u8]) -> std::result::Result<Vec<FileOption>, String> {
    let mut out = Vec::new();
    for (n, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = n + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = std::str::from_utf8(line).map_err(|_| format!("line {line_no}: not UTF-8"))?;
        if line.len() > MAX_LINE {
            return Err(format!("line {line_no}: longer than {MAX_LINE} bytes"));
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (option, value) = match trimmed.split_once(' ') {
            Some((o, v)) => (o, Some(v)),
            None => (trimmed, None),
        };
        let (option, value) = match option.split_once('=') {
            Some((o, v)) if o.starts_with("--") && value.is_none() => (o, Some(v)),
            _ => (option, value),
        };
        if !option.starts_with('-') || option == "-" || option == "--" {
            return Err(format!("line {line_no}: {option:?} is not an option"));
        }
        let mut args = vec![OsString::from(option)];
        match value {
            // -D takes several words (mosquitto cannot read it from a file).
            Some(v) if option == "-D" || option == "--property" => {
                args.extend(v.split_whitespace().map(OsString::from));
            }
            Some(v) => args.push(OsString::from(v)),
            None => {}
        }
        out.push(FileOption {
            line: line_no,
            args,
        });
    }
    Ok(out)
}

/// Puts the file's options in front of the command line's (`cli`, the
/// arguments after the program and subcommand name), leaving out every
/// file option the command line gives too or conflicts with, and those
/// `from_env` names (arguments the environment sets: it ranks above the
/// file). `command` is the clap command that will parse the result.
pub fn merge(
    command: &Command,
    file: &[FileOption],
    cli: &[OsString],
    from_env: &[&str],
) -> Result<Vec<OsString>> {
    let mut given = given_on_command_line(command, cli);
    given.extend(from_env.iter().map(|s| s.to_string()));
    let mut out = Vec::new();
    for option in file {
        let flag = option.args[0].to_string_lossy();
        let Some(arg) = find(command, &flag) else {
            return Err(Error::Usage(format!(
                "options file, line {}: unknown option {flag}",
                option.line
            )));
        };
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        if takes_value && option.args.len() < 2 {
            return Err(Error::Usage(format!(
                "options file, line {}: {flag} needs a value",
                option.line
            )));
        }
        if !takes_value && option.args.len() > 1 {
            return Err(Error::Usage(format!(
                "options file, line {}: {flag} takes no value",
                option.line
            )));
        }
        let id = arg.get_id().as_str();
        let repeats = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        let overridden = (!repeats && given.iter().any(|g| g == id))
            || command
                .get_arg_conflicts_with(arg)
                .iter()
                .any(|c| given.iter().any(|g| g == c.get_id().as_str()))
            || given
                .iter()
                .filter_map(|g| command.get_arguments().find(|a| a.get_id() == g.as_str()))
                .any(|a| {
                    command
                        .get_arg_conflicts_with(a)
                        .iter()
                        .any(|c| c.get_id() == id)
                })
            || same_group(command, id, &given);
        if !overridden {
            out.extend(option.args.iter().cloned());
        }
    }
    out.extend(cli.iter().cloned());
    Ok(out)
}

/// The ids of the arguments the command line gives, found by parsing it on
/// its own with errors ignored (it may lack what the file supplies).
fn given_on_command_line(command: &Command, cli: &[OsString]) -> Vec<String> {
    let probe = command.clone().ignore_errors(true);
    let argv = std::iter::once(OsStr::new("mqrr").to_os_string()).chain(cli.iter().cloned());
    let Ok(matches) = probe.try_get_matches_from(argv) else {
        return Vec::new();
    };
    command
        .get_arguments()
        .map(|a| a.get_id().as_str())
        .filter(|id| {
            matches!(
                matches.value_source(id),
                Some(clap::parser::ValueSource::CommandLine)
            )
        })
        .map(String::from)
        .collect()
}

/// Whether `id` is in an argument group that a given argument is in too
/// (a group of alternatives, such as the payload options).
fn same_group(command: &Command, id: &str, given: &[String]) -> bool {
    command.get_groups().any(|g| {
        !g.clone().is_multiple()
            && g.get_args().any(|a| a.as_str() == id)
            && g.get_args().any(|a| given.iter().any(|x| x == a.as_str()))
    })
}

/// The argument `flag` (`-h`, `--host`) names.
fn find<'a>(command: &'a Command, flag: &str) -> Option<&'a clap::Arg> {
    if let Some(long) = flag.strip_prefix("--") {
        command.get_arguments().find(|a| {
            a.get_long() == Some(long) || a.get_all_aliases().is_some_and(|al| al.contains(&long))
        })
    } else {
        let mut chars = flag.strip_prefix('-')?.chars();
        let short = chars.next()?;
        if chars.next().is_some() {
            return None;
        }
        command
            .get_arguments()
            .find(|a| a.get_short() == Some(short))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn lines_are_options_with_the_rest_as_value() {
        let opts = parse(
            b"# a comment\n  # indented comment\n\n-h broker.local\r\n-m  two spaces \n--retained\n-D publish user-property k v\n--port=1884\n",
        )
        .unwrap();
        let args: Vec<Vec<OsString>> = opts.into_iter().map(|o| o.args).collect();
        assert_eq!(
            args,
            vec![
                os(&["-h", "broker.local"]),
                os(&["-m", " two spaces "]),
                os(&["--retained"]),
                os(&["-D", "publish", "user-property", "k", "v"]),
                os(&["--port", "1884"]),
            ]
        );
        assert!(parse(b"host x\n").unwrap_err().contains("line 1"));
        assert!(parse(b"\xff\n").is_err());
    }

    #[test]
    fn the_options_file_is_found_and_stripped() {
        let args = os(&["-t", "a", "-o", "f", "-e", "b"]);
        assert_eq!(named(&args, true).unwrap(), Some(PathBuf::from("f")));
        assert_eq!(named(&args, false).unwrap(), None);
        let mut a = args.clone();
        strip(&mut a, true);
        assert_eq!(a, os(&["-t", "a", "-e", "b"]));
        assert_eq!(
            named(&os(&["--options-file=g"]), false).unwrap(),
            Some(PathBuf::from("g"))
        );
        assert!(named(&os(&["-o", "f", "-o", "g"]), true).is_err());
        assert!(named(&os(&["-o"]), true).is_err());
        assert_eq!(named(&os(&["--", "-o", "x"]), true).unwrap(), None);
    }
}
