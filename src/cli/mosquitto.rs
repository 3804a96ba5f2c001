//! The mosquitto personalities (spec §11): run as `mosquitto_pub`,
//! `mosquitto_sub` or `mosquitto_rr` (a link to the binary), mqrr reads that
//! tool's 2.0 command line and turns it into its own, which clap then
//! parses as usual.
//!
//! The reading follows mosquitto's client parser (verified against 2.0.11,
//! /work/notes of issue #15): one left-to-right pass, exact option names,
//! no bundling and no `--opt=value`; an option of another tool is unknown;
//! the default options file (`$XDG_CONFIG_HOME/mosquitto_X`, else
//! `~/.config/mosquitto_X`) or 2.1's `-o FILE` comes first, then the
//! command line, which wins. The defaults a script may depend on are
//! mosquitto's: MQTT 5 for rr, 3.1.1 for pub and sub, no deadline unless
//! `-W`. mqrr's fixes stay on (correlation data, stale and own-request
//! rejection, real `-s`/`-f` payloads, clean DISCONNECT, exit 4 on
//! refusals).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Which mosquitto client mqrr stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Pub,
    Sub,
    Rr,
}

impl Tool {
    /// The tool `argv[0]` names, if it names one (`/usr/lib/mqrr/mosquitto/mosquitto_rr`).
    pub fn from_argv0(argv0: &OsStr) -> Option<Tool> {
        match Path::new(argv0).file_name()?.to_str()? {
            "mosquitto_pub" => Some(Tool::Pub),
            "mosquitto_sub" => Some(Tool::Sub),
            "mosquitto_rr" => Some(Tool::Rr),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tool::Pub => "mosquitto_pub",
            Tool::Sub => "mosquitto_sub",
            Tool::Rr => "mosquitto_rr",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Tool::Pub => P,
            Tool::Sub => S,
            Tool::Rr => R,
        }
    }
}

const P: u8 = 1;
const S: u8 = 2;
const R: u8 = 4;
const ALL: u8 = P | S | R;

/// What an option does when translated.
#[derive(Clone, Copy)]
enum To {
    /// The same option in mqrr, under this name.
    Same(&'static str),
    /// The same option for pub and sub, this one for rr; an empty name
    /// drops it (rr's `-R`: mqrr never takes a retained answer anyway).
    RrAs(&'static str, &'static str),
    /// Needs its own handling below.
    Special,
}

/// mosquitto 2.0's client options: names, whether they take a value (and
/// how many), the tools that have them, and their mqrr form.
const OPTIONS: &[(&str, &str, usize, u8, To)] = &[
    ("-A", "", 1, ALL, To::Same("-A")),
    ("", "--cafile", 1, ALL, To::Same("--cafile")),
    ("", "--capath", 1, ALL, To::Same("--capath")),
    ("", "--cert", 1, ALL, To::Same("--cert")),
    ("", "--key", 1, ALL, To::Same("--key")),
    ("", "--keyform", 1, ALL, To::Same("--keyform")),
    ("", "--ciphers", 1, ALL, To::Same("--ciphers")),
    ("", "--tls-version", 1, ALL, To::Same("--tls-version")),
    ("", "--tls-alpn", 1, ALL, To::Same("--tls-alpn")),
    ("", "--tls-engine", 1, ALL, To::Same("--tls-engine")),
    (
        "",
        "--tls-engine-kpass-sha1",
        1,
        ALL,
        To::Same("--tls-engine-kpass-sha1"),
    ),
    (
        "",
        "--tls-use-os-certs",
        0,
        ALL,
        To::Same("--tls-use-os-certs"),
    ),
    ("", "--insecure", 0, ALL, To::Same("--insecure")),
    ("", "--psk", 1, ALL, To::Same("--psk")),
    ("", "--psk-identity", 1, ALL, To::Same("--psk-identity")),
    ("", "--proxy", 1, ALL, To::Same("--proxy")),
    ("-C", "", 1, S, To::Special),
    (
        "-c",
        "--disable-clean-session",
        0,
        ALL,
        To::Same("--disable-clean-session"),
    ),
    ("-d", "--debug", 0, ALL, To::Same("--debug")),
    ("-D", "--property", 3, ALL, To::Special),
    ("-e", "", 1, R, To::Same("--response-topic")),
    ("-E", "", 0, S, To::Same("-E")),
    ("-f", "--file", 1, P | R, To::Same("--file")),
    ("-F", "", 1, S | R, To::Same("--format")),
    ("", "--help", 0, ALL, To::Special),
    ("-h", "--host", 1, ALL, To::Same("--host")),
    ("-i", "--id", 1, ALL, To::Same("--id")),
    ("-I", "--id-prefix", 1, ALL, To::Same("--id-prefix")),
    ("-k", "--keepalive", 1, ALL, To::Special),
    ("-L", "--url", 1, ALL, To::Same("--url")),
    ("-l", "--stdin-line", 0, P, To::Same("--stdin-line")),
    ("-m", "--message", 1, P | R, To::Same("--message")),
    ("-M", "", 1, ALL, To::Special),
    ("-n", "--null-message", 0, P | R, To::Same("--null-message")),
    ("-N", "", 0, S | R, To::Same("-N")),
    ("", "--nodelay", 0, ALL, To::Same("--nodelay")),
    ("-o", "", 1, ALL, To::Special),
    ("-p", "--port", 1, ALL, To::Same("--port")),
    ("-P", "--pw", 1, ALL, To::Same("--password")),
    ("", "--pretty", 0, S | R, To::Same("--pretty")),
    ("-q", "--qos", 1, ALL, To::Same("--qos")),
    ("", "--quiet", 0, ALL, To::Same("--quiet")),
    ("-r", "--retain", 0, P, To::Same("--retain")),
    ("-R", "", 0, S | R, To::RrAs("-R", "")),
    ("", "--random-filter", 1, S, To::Same("--random-filter")),
    ("", "--remove-retained", 0, S, To::Same("--remove-retained")),
    ("", "--repeat", 1, P, To::Same("--repeat")),
    ("", "--repeat-delay", 1, P, To::Same("--repeat-delay")),
    (
        "",
        "--retain-as-published",
        0,
        S | R,
        To::RrAs("--retain-as-published", ""),
    ),
    ("", "--retained-only", 0, S, To::Same("--retained-only")),
    (
        "-s",
        "--stdin-file",
        0,
        P | R,
        To::RrAs("--stdin-file", "--stdin"),
    ),
    ("-t", "--topic", 1, ALL, To::Same("--topic")),
    ("-T", "--filter-out", 1, S, To::Same("--filter-out")),
    ("-U", "--unsubscribe", 1, S, To::Same("--unsubscribe")),
    ("-u", "--username", 1, ALL, To::Same("--username")),
    ("", "--unix", 1, ALL, To::Same("--unix")),
    ("-V", "--protocol-version", 1, ALL, To::Special),
    ("-v", "--verbose", 0, S | R, To::Same("--verbose")),
    ("", "--version", 0, ALL, To::Special),
    ("-W", "", 1, S | R, To::Special),
    ("", "--will-topic", 1, ALL, To::Same("--will-topic")),
    ("", "--will-payload", 1, ALL, To::Same("--will-payload")),
    ("", "--will-qos", 1, ALL, To::Same("--will-qos")),
    ("", "--will-retain", 0, ALL, To::Same("--will-retain")),
    ("", "--ws", 0, ALL, To::Special),
    ("-x", "", 1, ALL, To::Same("--session-expiry")),
];

/// What a personality's command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Translated {
    /// Run mqrr with these arguments (`argv[0]` included).
    Run(Vec<OsString>),
    /// `--help`: print this and exit with mosquitto's status (1).
    Help(String),
    /// `--version`: print this and exit with mosquitto's status (1).
    Version(String),
}

/// One option as read: its table row and its values.
struct Given {
    row: usize,
    values: Vec<OsString>,
}

/// Reads one command line (or one options file's options) the way
/// mosquitto's parser does. Errors are mosquitto's, in mqrr's words.
fn read(tool: Tool, args: &[OsString]) -> Result<Vec<Given>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        let row = OPTIONS
            .iter()
            .position(|(short, long, _, tools, _)| {
                (!short.is_empty() && *short == arg || !long.is_empty() && *long == arg)
                    && tools & tool.bit() != 0
            })
            .ok_or_else(|| format!("Unknown option '{arg}'."))?;
        let (_, _, mut takes, _, _) = OPTIONS[row];
        // -D CMD user-property NAME VALUE takes one more.
        if takes == 3 && args.get(i + 2).is_some_and(|n| n == "user-property") {
            takes = 4;
        }
        let values: Vec<OsString> = args.iter().skip(i + 1).take(takes).cloned().collect();
        if values.len() < takes {
            return Err(format!(
                "{arg} argument given but not enough values specified."
            ));
        }
        out.push(Given { row, values });
        i += 1 + takes;
    }
    Ok(out)
}

/// The options file mosquitto reads for `tool`: 2.1's `-o FILE` when given,
/// else `$XDG_CONFIG_HOME/mosquitto_X` if XDG_CONFIG_HOME is set (even
/// empty: mosquitto does not fall back then), else `~/.config/mosquitto_X`.
fn options_file(
    tool: Tool,
    given: &[Given],
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Option<PathBuf> {
    if let Some(g) = given.iter().find(|g| OPTIONS[g.row].0 == "-o") {
        return g.values.first().map(PathBuf::from);
    }
    if let Some(dir) = env("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(dir).join(tool.name()));
    }
    env("HOME").map(|h| PathBuf::from(h).join(".config").join(tool.name()))
}

/// Turns a mosquitto command line (`args`, without `argv[0]`) into mqrr's.
/// `env` looks up environment variables (XDG_CONFIG_HOME, HOME); `read_file`
/// reads an options file (`None`: there is none, as mosquitto ignores a
/// missing file). Errors are the one-line usage message to print after
/// `Error: `.
pub fn translate(
    tool: Tool,
    args: &[OsString],
    env: &dyn Fn(&str) -> Option<OsString>,
    read_file: &dyn Fn(&Path) -> Option<Vec<u8>>,
) -> Result<Translated, String> {
    let cli = read(tool, args)?;
    for g in &cli {
        match OPTIONS[g.row].1 {
            "--help" => return Ok(Translated::Help(help(tool))),
            "--version" => {
                return Ok(Translated::Version(format!(
                    "{} version 2.0.11 compatible (mqrr {})",
                    tool.name(),
                    env!("CARGO_PKG_VERSION")
                )));
            }
            _ => {}
        }
    }
    if cli.iter().filter(|g| OPTIONS[g.row].0 == "-o").count() > 1 {
        return Err("Duplicate -o argument given.".into());
    }
    let file = match options_file(tool, &cli, env).and_then(|p| read_file(&p).map(|t| (p, t))) {
        None => Vec::new(),
        Some((path, text)) => {
            let lines = super::options_file::parse(&text)
                .map_err(|e| format!("options file {}: {e}", path.display()))?;
            let words: Vec<OsString> = lines.into_iter().flat_map(|l| l.args).collect();
            read(tool, &words)
                .map_err(|e| format!("{e} (in {})", path.display()))?
                .into_iter()
                .filter(|g| OPTIONS[g.row].0 != "-o")
                .collect()
        }
    };
    // The command line wins: a scalar option it gives replaces the file's,
    // repeatable ones add up (mosquitto), and a payload option replaces the
    // file's payload option.
    let repeatable = |row: usize| matches!(OPTIONS[row].0, "-t" | "-T" | "-U" | "-D");
    let payload = |row: usize| matches!(OPTIONS[row].0, "-m" | "-f" | "-s" | "-l" | "-n");
    let cli_has = |pred: &dyn Fn(usize) -> bool| cli.iter().any(|g| pred(g.row));
    let mut all: Vec<&Given> = file
        .iter()
        .filter(|f| {
            repeatable(f.row) || !(cli_has(&|r| r == f.row) || payload(f.row) && cli_has(&payload))
        })
        .collect();
    all.extend(cli.iter());
    emit(tool, &all)
}

/// mqrr's command line for what was given.
fn emit(tool: Tool, given: &[&Given]) -> Result<Translated, String> {
    let mut out: Vec<OsString> = vec![OsString::from("mqrr")];
    match tool {
        Tool::Pub => out.push("pub".into()),
        Tool::Sub => out.push("sub".into()),
        Tool::Rr => {}
    }
    let mut version = None;
    let mut timeout = None;
    let mut ws = false;
    let mut properties = false;
    for g in given {
        let (short, long, _, _, to) = OPTIONS[g.row];
        let name = if short.is_empty() { long } else { short };
        let value = || g.values[0].to_string_lossy().into_owned();
        match to {
            To::Same(opt) => push(&mut out, opt, &g.values),
            To::RrAs(other, rr) => {
                let opt = if tool == Tool::Rr { rr } else { other };
                if !opt.is_empty() {
                    push(&mut out, opt, &g.values);
                }
            }
            To::Special => match name {
                "-D" => {
                    properties = true;
                    out.push("-D".into());
                    out.extend(g.values.iter().cloned());
                }
                "-V" => {
                    version = Some(match value().as_str() {
                        "31" | "mqttv31" => "31",
                        "311" | "mqttv311" => "311",
                        "5" | "mqttv5" => "5",
                        _ => return Err("Invalid protocol version argument given.".into()),
                    });
                }
                "-k" => {
                    let k = value();
                    match k.parse::<u32>() {
                        Ok(5..=65535) => push(&mut out, "--keepalive", &[k.into()]),
                        _ => {
                            return Err(
                                "Invalid keepalive given, it must be between 5 and 65535 inclusive."
                                    .into(),
                            );
                        }
                    }
                }
                "-C" => {
                    let c = value();
                    match c.parse::<u64>() {
                        Ok(n) if n >= 1 => push(&mut out, "--count", &[c.into()]),
                        _ => return Err(format!("Invalid message count \"{c}\".")),
                    }
                }
                "-W" => {
                    let w = value();
                    match w.parse::<f64>() {
                        Ok(s) if s >= 1.0 && s.is_finite() => timeout = Some(w),
                        _ => return Err(format!("Invalid timeout \"{w}\".")),
                    }
                }
                // mosquitto's in-flight limit; only pub has a use for it.
                "-M" => {
                    let m = value();
                    match m.parse::<u16>() {
                        Ok(n) if n >= 1 => {
                            if tool == Tool::Pub {
                                push(&mut out, "--max-inflight", &[m.into()]);
                            }
                        }
                        _ => return Err(format!("Invalid max inflight \"{m}\".")),
                    }
                }
                "--ws" => ws = true,
                _ => {}
            },
        }
    }
    // MQTT 5 for rr, 3.1.1 for pub and sub; -D asks for MQTT 5 (mosquitto
    // switches to it on -D).
    let version = version.unwrap_or(match tool {
        Tool::Rr => "5",
        _ if properties => "5",
        _ => "311",
    });
    push(&mut out, "--protocol", &[version.into()]);
    match (tool, timeout) {
        (_, Some(w)) => {
            push(&mut out, "--timeout", &[w.into()]);
            // mosquitto_sub exits 27 on -W even without -C.
            if tool == Tool::Sub {
                out.push("--timeout-fails".into());
            }
        }
        // No deadline unless -W (mqrr's request mode has one by default).
        (Tool::Rr, None) => push(&mut out, "--timeout", &["0".into()]),
        _ => {}
    }
    if ws {
        websockets(&mut out)?;
    }
    Ok(Translated::Run(out))
}

/// Adds an option: a long option with one value as `--name=VALUE`, so a
/// value that starts with `-` (a payload, a topic) is never read as an
/// option, as mosquitto never does.
fn push(out: &mut Vec<OsString>, opt: &str, values: &[OsString]) {
    match values {
        [value] if opt.starts_with("--") => {
            let mut arg = OsString::from(opt);
            arg.push("=");
            arg.push(value);
            out.push(arg);
        }
        _ => {
            out.push(opt.into());
            out.extend(values.iter().cloned());
        }
    }
}

/// 2.1's `--ws`: the broker's address as a `ws://` (or `wss://` with TLS)
/// URL, from `-h` and `-p` (default localhost, 8080 as mosquitto 2.1's
/// websockets examples use no default: it keeps 1883/8883).
fn websockets(out: &mut Vec<OsString>) -> Result<(), String> {
    let has = |out: &[OsString], prefix: &str| {
        out.iter().any(|a| {
            a.to_str()
                .is_some_and(|a| a == prefix || a.starts_with(&format!("{prefix}=")))
        })
    };
    let take = |out: &mut Vec<OsString>, flag: &str| -> Option<String> {
        let prefix = format!("{flag}=");
        let at = out
            .iter()
            .rposition(|a| a.to_str().is_some_and(|a| a.starts_with(&prefix)))?;
        let arg = out.remove(at);
        // Every earlier copy was overridden by this one.
        out.retain(|a| !a.to_str().is_some_and(|a| a.starts_with(&prefix)));
        arg.to_str().map(|a| a[prefix.len()..].to_string())
    };
    if has(out, "--url") || has(out, "--unix") {
        return Err("--ws cannot be combined with -L or --unix.".into());
    }
    let tls = ["--cafile", "--capath", "--tls-use-os-certs", "--cert"]
        .iter()
        .any(|o| has(out, o));
    let host = take(out, "--host").unwrap_or_else(|| "localhost".into());
    let port = take(out, "--port").unwrap_or_else(|| if tls { "8883" } else { "1883" }.into());
    push(
        out,
        "--url",
        &[format!("{}://{host}:{port}", if tls { "wss" } else { "ws" }).into()],
    );
    Ok(())
}

/// `--help` for a personality: the options this tool takes, mosquitto's
/// letters, in mqrr's words.
fn help(tool: Tool) -> String {
    let mut options: Vec<String> = OPTIONS
        .iter()
        .filter(|(_, _, _, tools, _)| tools & tool.bit() != 0)
        .map(|(short, long, takes, _, _)| {
            let names = [*short, *long]
                .iter()
                .filter(|n| !n.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            match takes {
                0 => names,
                3 => format!("{names} CMD NAME VALUE"),
                _ => format!("{names} VALUE"),
            }
        })
        .collect();
    options.sort_by_key(|o| o.trim_start_matches('-').to_lowercase());
    format!(
        "{name}: mqrr standing in for mosquitto's {name} 2.0.\n\
         It takes {name}'s command line; `man mqrr` lists what it does differently\n\
         (correlation data, stale and own replies rejected, real -s/-f payloads,\n\
         clean DISCONNECT, exit 4 when the broker refuses).\n\n\
         Options:\n  {}\n",
        options.join("\n  "),
        name = tool.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    fn run(tool: Tool, args: &[&str]) -> Result<Vec<String>, String> {
        run_with(tool, args, &[], None)
    }

    fn run_with(
        tool: Tool,
        args: &[&str],
        env: &[(&str, &str)],
        file: Option<&str>,
    ) -> Result<Vec<String>, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| {
            env.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| OsString::from(v))
        };
        let read = move |_: &Path| file.map(|f| f.as_bytes().to_vec());
        match translate(tool, &os(args), &lookup, &read)? {
            Translated::Run(v) => Ok(v.iter().map(|a| a.to_string_lossy().into_owned()).collect()),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn argv0_names_the_tool() {
        assert_eq!(
            Tool::from_argv0(OsStr::new("/usr/lib/mqrr/mosquitto/mosquitto_rr")),
            Some(Tool::Rr)
        );
        assert_eq!(
            Tool::from_argv0(OsStr::new("mosquitto_sub")),
            Some(Tool::Sub)
        );
        assert_eq!(Tool::from_argv0(OsStr::new("mqrr")), None);
    }

    #[test]
    fn rr_gets_mqtt5_no_deadline_and_its_file_option() {
        assert_eq!(
            run(Tool::Rr, &["-t", "a", "-e", "b", "-f", "req.bin"]).unwrap(),
            [
                "mqrr",
                "--topic=a",
                "--response-topic=b",
                "--file=req.bin",
                "--protocol=5",
                "--timeout=0"
            ]
        );
        assert_eq!(
            run(
                Tool::Rr,
                &["-t", "a", "-e", "b", "-m", "", "-W", "3", "-V", "mqttv311"]
            )
            .unwrap(),
            [
                "mqrr",
                "--topic=a",
                "--response-topic=b",
                "--message=",
                "--protocol=311",
                "--timeout=3"
            ]
        );
    }

    #[test]
    fn pub_and_sub_default_to_311_and_d_switches_to_5() {
        assert_eq!(
            run(Tool::Pub, &["-t", "a", "-m", "x", "--pw", "s", "-u", "u"]).unwrap(),
            [
                "mqrr",
                "pub",
                "--topic=a",
                "--message=x",
                "--password=s",
                "--username=u",
                "--protocol=311"
            ]
        );
        assert_eq!(
            run(
                Tool::Pub,
                &["-t", "a", "-n", "-D", "publish", "user-property", "k", "v"]
            )
            .unwrap(),
            [
                "mqrr",
                "pub",
                "--topic=a",
                "--null-message",
                "-D",
                "publish",
                "user-property",
                "k",
                "v",
                "--protocol=5"
            ]
        );
        assert_eq!(
            run(Tool::Sub, &["-t", "a", "-t", "b", "-W", "2"]).unwrap(),
            [
                "mqrr",
                "sub",
                "--topic=a",
                "--topic=b",
                "--protocol=311",
                "--timeout=2",
                "--timeout-fails"
            ]
        );
    }

    #[test]
    fn mosquitto_s_usage_errors() {
        for (tool, args, msg) in [
            (Tool::Pub, &["--bogus"][..], "Unknown option '--bogus'."),
            (Tool::Pub, &["-W", "3"], "Unknown option '-W'."),
            (Tool::Rr, &["-l"], "Unknown option '-l'."),
            (Tool::Sub, &["-m", "x"], "Unknown option '-m'."),
            (
                Tool::Pub,
                &["-t"],
                "-t argument given but not enough values specified.",
            ),
            (Tool::Sub, &["-C", "0"], "Invalid message count \"0\"."),
            (Tool::Sub, &["-W", "0"], "Invalid timeout \"0\"."),
            (
                Tool::Pub,
                &["-V", "4"],
                "Invalid protocol version argument given.",
            ),
            (
                Tool::Pub,
                &["-k", "4"],
                "Invalid keepalive given, it must be between 5 and 65535 inclusive.",
            ),
            (
                Tool::Pub,
                &["--password", "x"],
                "Unknown option '--password'.",
            ),
            (
                Tool::Pub,
                &["-D", "publish", "user-property", "k"],
                "-D argument given but not enough values specified.",
            ),
            (
                Tool::Pub,
                &["-o", "a", "-o", "b"],
                "Duplicate -o argument given.",
            ),
        ] {
            assert_eq!(run(tool, args).unwrap_err(), msg, "{args:?}");
        }
    }

    #[test]
    fn the_options_file_comes_first_and_the_command_line_wins() {
        let file = "-h broker\n-p 1884\n-t from/file\n-m file\n";
        let got = run_with(
            Tool::Pub,
            &["-p", "1999", "-s"],
            &[("XDG_CONFIG_HOME", "/x")],
            Some(file),
        )
        .unwrap();
        assert_eq!(
            got,
            [
                "mqrr",
                "pub",
                "--host=broker",
                "--topic=from/file",
                "--port=1999",
                "--stdin-file",
                "--protocol=311"
            ]
        );
        // sub's topics add up.
        let got = run_with(
            Tool::Sub,
            &["-t", "cli"],
            &[("HOME", "/h")],
            Some("-t file\n"),
        )
        .unwrap();
        assert_eq!(
            got,
            [
                "mqrr",
                "sub",
                "--topic=file",
                "--topic=cli",
                "--protocol=311"
            ]
        );
        // A bad line is mosquitto's error, saying where.
        let e = run_with(Tool::Pub, &[], &[("HOME", "/h")], Some("-t a\n--nope\n")).unwrap_err();
        assert!(e.starts_with("Unknown option '--nope'."), "{e}");
    }

    #[test]
    fn the_default_options_file_is_under_xdg_config_home_else_home() {
        let path = |env: &[(&str, &str)], args: &[&str]| {
            let env: Vec<(String, String)> = env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let lookup = move |k: &str| {
                env.iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| OsString::from(v))
            };
            let given = read(Tool::Rr, &os(args)).unwrap();
            options_file(Tool::Rr, &given, &lookup)
        };
        assert_eq!(
            path(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")], &[]),
            Some(PathBuf::from("/x/mosquitto_rr"))
        );
        assert_eq!(
            path(&[("HOME", "/h")], &[]),
            Some(PathBuf::from("/h/.config/mosquitto_rr"))
        );
        assert_eq!(
            path(&[("XDG_CONFIG_HOME", "")], &[]),
            Some(PathBuf::from("mosquitto_rr"))
        );
        assert_eq!(
            path(&[("HOME", "/h")], &["-o", "/o"]),
            Some(PathBuf::from("/o"))
        );
        assert_eq!(path(&[], &[]), None);
    }

    #[test]
    fn websockets_turn_host_and_port_into_a_url() {
        assert_eq!(
            run(
                Tool::Rr,
                &["--ws", "-h", "b", "-p", "9001", "-t", "a", "-e", "r"]
            )
            .unwrap(),
            [
                "mqrr",
                "--topic=a",
                "--response-topic=r",
                "--protocol=5",
                "--timeout=0",
                "--url=ws://b:9001"
            ]
        );
    }

    #[test]
    fn help_and_version_are_their_own_outcomes() {
        let lookup = |_: &str| None;
        let read = |_: &Path| None;
        assert!(
            matches!(translate(Tool::Pub, &os(&["--help"]), &lookup, &read), Ok(Translated::Help(h)) if h.contains("--repeat-delay"))
        );
        assert!(
            matches!(translate(Tool::Sub, &os(&["--version"]), &lookup, &read), Ok(Translated::Version(v)) if v.starts_with("mosquitto_sub version 2.0.11"))
        );
    }
}
