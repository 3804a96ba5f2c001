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
    ("-h", "--host", 1, ALL, To::Special),
    ("-i", "--id", 1, ALL, To::Same("--id")),
    ("-I", "--id-prefix", 1, ALL, To::Same("--id-prefix")),
    ("-k", "--keepalive", 1, ALL, To::Special),
    ("-L", "--url", 1, ALL, To::Special),
    ("-l", "--stdin-line", 0, P, To::Same("--stdin-line")),
    ("-m", "--message", 1, P | R, To::Same("--message")),
    ("-M", "", 1, ALL, To::Special),
    ("-n", "--null-message", 0, P | R, To::Same("--null-message")),
    ("-N", "", 0, S | R, To::Same("-N")),
    ("", "--nodelay", 0, ALL, To::Same("--nodelay")),
    ("-o", "", 1, ALL, To::Special),
    ("-p", "--port", 1, ALL, To::Special),
    ("-P", "--pw", 1, ALL, To::Same("--password")),
    ("", "--pretty", 0, S | R, To::Same("--pretty")),
    ("-q", "--qos", 1, ALL, To::Same("--qos")),
    ("", "--quiet", 0, ALL, To::Same("--quiet")),
    ("-r", "--retain", 0, P, To::Same("--retain")),
    ("-R", "", 0, S | R, To::RrAs("-R", "")),
    ("", "--random-filter", 1, S, To::Same("--random-filter")),
    ("", "--remove-retained", 0, S, To::Same("--remove-retained")),
    ("", "--repeat", 1, P, To::Special),
    ("", "--repeat-delay", 1, P, To::Special),
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
    ("", "--unix", 1, ALL, To::Special),
    ("-V", "--protocol-version", 1, ALL, To::Special),
    ("-v", "--verbose", 0, S | R, To::Same("--verbose")),
    ("", "--version", 0, ALL, To::Special),
    ("-W", "", 1, S | R, To::Special),
    ("", "--will-topic", 1, ALL, To::Same("--will-topic")),
    ("", "--will-payload", 1, ALL, To::Same("--will-payload")),
    ("", "--will-qos", 1, ALL, To::Same("--will-qos")),
    ("", "--will-retain", 0, ALL, To::Same("--will-retain")),
    ("", "--ws", 0, ALL, To::Special),
    ("-x", "", 1, ALL, To::Special),
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
        // mosquitto prints its help or version as soon as it reads the
        // option: what follows is never looked at.
        if matches!(OPTIONS[row].1, "--help" | "--version") {
            break;
        }
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
    if let Some(done) = help_or_version(tool, &cli) {
        return Ok(done);
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
    if let Some(done) = help_or_version(tool, &file) {
        return Ok(done);
    }
    // The file comes first and the command line after it, so the command
    // line wins wherever the last option wins (below); a payload option of
    // the command line replaces the file's payload option.
    let payload = |row: usize| matches!(OPTIONS[row].0, "-m" | "-f" | "-s" | "-l" | "-n");
    let cli_payload = cli.iter().any(|g| payload(g.row));
    let mut all: Vec<Given> = file
        .into_iter()
        .filter(|f| !(payload(f.row) && cli_payload))
        .collect();
    all.extend(cli);
    emit(tool, all)
}

/// `--help` or `--version`, if given: mosquitto's clients print them and
/// stop, whatever else the command line says.
fn help_or_version(tool: Tool, given: &[Given]) -> Option<Translated> {
    given.iter().find_map(|g| match OPTIONS[g.row].1 {
        "--help" => Some(Translated::Help(help(tool))),
        "--version" => Some(Translated::Version(format!(
            "{} version 2.0.11 compatible (mqrr {})",
            tool.name(),
            env!("CARGO_PKG_VERSION")
        ))),
        _ => None,
    })
}

/// Where the broker is, read the way mosquitto reads it: `-h`, `-p`,
/// `--unix` and `-L` each set part of it, in order, the last one winning;
/// port 0 means a unix socket named by the host (mosquitto's `--unix` is
/// host PATH, port 0).
#[derive(Default)]
struct Address {
    host: Option<OsString>,
    port: Option<OsString>,
}

/// mqrr's command line for what was given (the options file's options
/// first, then the command line's).
fn emit(tool: Tool, given: Vec<Given>) -> Result<Translated, String> {
    let given = expand_urls(given)?;
    if given.iter().filter(|g| is_payload(g.row)).count() > 1 {
        return Err("Only one type of message can be sent at once.".into());
    }
    // One pass in order for what mosquitto reads in order: where the
    // broker is, the protocol (-D switches to MQTT 5 where it stands, a
    // later -V switches back), the deadline, websockets.
    let mut address = Address::default();
    let mut version = None;
    let mut timeout = None;
    let mut ws = false;
    for g in &given {
        let value = || g.values.first().cloned().unwrap_or_default();
        match name(g.row) {
            "-h" => address.host = Some(value()),
            "-p" => address.port = Some(value()),
            "--unix" => {
                address.host = Some(value());
                address.port = Some("0".into());
            }
            "-D" => version = Some("5"),
            "-V" => {
                version = Some(match value().to_string_lossy().as_ref() {
                    "31" | "mqttv31" => "31",
                    "311" | "mqttv311" => "311",
                    "5" | "mqttv5" => "5",
                    _ => return Err("Invalid protocol version argument given.".into()),
                });
            }
            "-W" => {
                let w = value().to_string_lossy().into_owned();
                match w.parse::<f64>() {
                    Ok(s) if s >= 1.0 && s.is_finite() => timeout = Some(w),
                    _ => return Err(format!("Invalid timeout \"{w}\".")),
                }
            }
            "--ws" => ws = true,
            _ => {}
        }
    }
    // MQTT 5 for rr, 3.1.1 for pub and sub.
    let version = version.unwrap_or(match tool {
        Tool::Rr => "5",
        _ => "311",
    });
    let given = last_wins(tool, given);
    // mosquitto refuses an empty client id (libmosquitto's check).
    if given
        .iter()
        .any(|g| name(g.row) == "-i" && g.values.first().is_some_and(|v| v.is_empty()))
    {
        return Err(match tool {
            Tool::Pub => "Invalid id (-i is empty).".into(),
            _ => "Invalid id and/or clean_session (-i is empty).".into(),
        });
    }
    let stdin_lines = given.iter().any(|g| name(g.row) == "-l");

    let mut out: Vec<OsString> = vec![OsString::from("mqrr")];
    match tool {
        Tool::Pub => out.push("pub".into()),
        Tool::Sub => out.push("sub".into()),
        Tool::Rr => {}
    }
    for g in &given {
        let (_, _, _, _, to) = OPTIONS[g.row];
        let value = || g.values[0].to_string_lossy().into_owned();
        match to {
            To::Same(opt) => push(&mut out, opt, &g.values),
            To::RrAs(other, rr) => {
                let opt = if tool == Tool::Rr { rr } else { other };
                if !opt.is_empty() {
                    push(&mut out, opt, &g.values);
                }
            }
            To::Special => match name(g.row) {
                "-D" => {
                    // mosquitto reads the packet and the property name in
                    // any case (-D Publish Content-Type).
                    let mut values = g.values.clone();
                    for word in values.iter_mut().take(2) {
                        *word = word.to_ascii_lowercase();
                    }
                    if tool == Tool::Rr && values[0] == "publish" {
                        match values[1].to_str() {
                            // mosquitto_rr sends -e as the Response Topic.
                            Some("response-topic") => {
                                return Err("Duplicate response topic: mosquitto_rr sends -e as \
                                            the response topic (-D publish response-topic)."
                                    .into());
                            }
                            // The user's own Correlation Data, sent as given
                            // and not checked, as mosquitto_rr does; mqrr's
                            // would be a second one.
                            Some("correlation-data") => out.push("--correlation=off".into()),
                            _ => {}
                        }
                    }
                    out.push("-D".into());
                    out.extend(values);
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
                // mosquitto 2.0 ignores the session expiry interval on MQTT
                // 3.1 and 3.1.1 (pub and sub's default); mqrr would refuse it.
                "-x" if version == "5" => push(&mut out, "--session-expiry", &g.values),
                // mosquitto_pub ignores --repeat with -l.
                "--repeat" | "--repeat-delay" if !stdin_lines => {
                    push(&mut out, name(g.row), &g.values)
                }
                _ => {}
            },
        }
    }
    check_required(tool, &given)?;
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
    let mut tls = out.iter().any(|a| {
        a.to_str().is_some_and(|a| {
            ["--cafile=", "--capath=", "--cert=", "--psk="]
                .iter()
                .any(|o| a.starts_with(o))
                || a == "--tls-use-os-certs"
        })
    });
    // mosquitto speaks TLS to port 8883 (with the system's certificates
    // when no other TLS option says whom to trust).
    if !tls && address.port.as_ref().is_some_and(|p| p == "8883") {
        out.push("--tls-use-os-certs".into());
        tls = true;
    }
    // The default address is mosquitto's, localhost, not whatever MQRR_HOST
    // or MQRR_URL say: a mosquitto script does not follow mqrr's settings.
    if address.host.is_none() {
        address.host = Some("localhost".into());
    }
    if ws {
        out.push(websockets(address, tls)?);
    } else {
        match address {
            Address {
                host,
                port: Some(p),
            } if p == "0" => push(&mut out, "--unix", &[host.unwrap_or("localhost".into())]),
            Address { host, port } => {
                if let Some(h) = host {
                    push(&mut out, "--host", &[h]);
                }
                if let Some(p) = port {
                    push(&mut out, "--port", &[p]);
                }
            }
        }
    }
    Ok(Translated::Run(out))
}

/// The name mosquitto knows an option's row by: the short one if it has one.
fn name(row: usize) -> &'static str {
    let (short, long, _, _, _) = OPTIONS[row];
    if short.is_empty() { long } else { short }
}

fn row_of(option: &str) -> usize {
    OPTIONS
        .iter()
        .position(|(short, long, ..)| *short == option || *long == option)
        .unwrap_or(0)
}

fn is_payload(row: usize) -> bool {
    matches!(name(row), "-m" | "-f" | "-s" | "-l" | "-n")
}

/// mosquitto keeps the last value of an option given more than once
/// (`-h a -h b` connects to b) and a flag given twice is a flag; clap
/// refuses both, so only the last of each stays, where it was. What may
/// repeat stays whole: `-D`, and sub's `-t`, `-T`, `-U`.
fn last_wins(tool: Tool, given: Vec<Given>) -> Vec<Given> {
    let repeats = |row: usize| match name(row) {
        "-D" => true,
        "-t" | "-T" | "-U" => tool == Tool::Sub,
        _ => false,
    };
    let keep: Vec<bool> = given
        .iter()
        .enumerate()
        .map(|(i, g)| repeats(g.row) || !given.iter().skip(i + 1).any(|l| l.row == g.row))
        .collect();
    given
        .into_iter()
        .zip(keep)
        .filter_map(|(g, k)| k.then_some(g))
        .collect()
}

/// What mosquitto_pub and mosquitto_rr refuse to run without.
fn check_required(tool: Tool, given: &[Given]) -> Result<(), String> {
    let has = |option: &str| given.iter().any(|g| name(g.row) == option);
    let payload = given.iter().any(|g| is_payload(g.row));
    match tool {
        Tool::Pub if !has("-t") || !payload => {
            Err("Both topic and message must be supplied (-t and one of -m, -f, -s, -l, -n).".into())
        }
        Tool::Rr if !has("-t") || !has("-e") || !payload => Err(
            "All of topic, message, and response topic must be supplied (-t, -e and one of -m, -f, -s, -n)."
                .into(),
        ),
        _ => Ok(()),
    }
}

/// Replaces each `-L URL` with what mosquitto reads from it, where it
/// stands: `mqtt://[USER[:PASSWORD]@]HOST[:PORT]/TOPIC` sets the host, the
/// port (1883, or 8883 for `mqtts://`, which also turns TLS on with the
/// system's certificates), the user and password if given (literally, as
/// mosquitto does not percent-decode them) and the topic (sub: one more
/// topic). 2.1's `ws://` and `wss://` add websockets.
fn expand_urls(given: Vec<Given>) -> Result<Vec<Given>, String> {
    let mut out = Vec::with_capacity(given.len());
    for g in given {
        if name(g.row) != "-L" {
            out.push(g);
            continue;
        }
        let url = g.values.first().cloned().unwrap_or_default();
        let url = url
            .to_str()
            .ok_or("Malformed UTF-8 in -L argument.")?
            .to_string();
        let lower = url.to_ascii_lowercase();
        let scheme = ["mqtt://", "mqtts://", "ws://", "wss://"]
            .into_iter()
            .find(|s| lower.starts_with(s))
            .ok_or("unsupported URL scheme (-L takes mqtt://, mqtts://, ws:// or wss://).")?;
        let tls = scheme.starts_with("mqtts") || scheme.starts_with("wss");
        let rest = &url[scheme.len()..];
        let (authority, topic) = rest
            .split_once('/')
            .ok_or("Invalid URL for -L argument specified - topic missing.")?;
        let (userinfo, hostport) = match authority.split_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = match hostport.split_once(':') {
            Some((h, p)) => (h, p),
            None => (hostport, if tls { "8883" } else { "1883" }),
        };
        let mut set = |option: &str, value: &str| {
            out.push(Given {
                row: row_of(option),
                values: vec![value.into()],
            })
        };
        set("-h", host);
        set("-p", port);
        if let Some(userinfo) = userinfo {
            match userinfo.split_once(':') {
                Some((user, password)) => {
                    set("-u", user);
                    set("-P", password);
                }
                None => set("-u", userinfo),
            }
        }
        set("-t", topic);
        let mut flag = |option: &str| {
            out.push(Given {
                row: row_of(option),
                values: Vec::new(),
            })
        };
        if scheme.starts_with("ws") {
            flag("--ws");
        }
        if tls {
            flag("--tls-use-os-certs");
        }
    }
    Ok(out)
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
/// URL, from `-h` and `-p` (default localhost; 1883, or 8883 with TLS, as
/// mosquitto 2.1 keeps the MQTT ports for websockets).
fn websockets(address: Address, tls: bool) -> Result<OsString, String> {
    if address.port.as_ref().is_some_and(|p| p == "0") {
        return Err("--ws cannot be combined with --unix.".into());
    }
    let host = address.host.unwrap_or_else(|| "localhost".into());
    let port = address
        .port
        .unwrap_or_else(|| if tls { "8883" } else { "1883" }.into());
    let mut url = OsString::from(format!("--url={}://", if tls { "wss" } else { "ws" }));
    url.push(host);
    url.push(":");
    url.push(port);
    Ok(url)
}

/// A usage message in the tool's words: each of mqrr's option names it
/// quotes (clap's `'--qos <QOS>'`, `--response-topic <FILTER>`) becomes the
/// name the user gave it in mosquitto's command line (`-q`, `-e`), so the
/// line names the option as it was typed.
pub fn in_tool_words(tool: Tool, msg: &str) -> String {
    let mqrr_name = |row: usize| -> Option<&'static str> {
        match OPTIONS[row].4 {
            To::Same(opt) => Some(opt),
            To::RrAs(other, rr) => Some(if tool == Tool::Rr { rr } else { other }),
            To::Special => match name(row) {
                "-C" => Some("--count"),
                "-W" => Some("--timeout"),
                "-M" => Some("--max-inflight"),
                "-k" => Some("--keepalive"),
                "-V" => Some("--protocol"),
                "-x" => Some("--session-expiry"),
                "-D" => Some("--property"),
                "-h" => Some("--host"),
                "-p" => Some("--port"),
                _ => None,
            },
        }
    };
    let lookup = |word: &str| {
        (0..OPTIONS.len())
            .filter(|&row| OPTIONS[row].3 & tool.bit() != 0)
            .find(|&row| mqrr_name(row) == Some(word))
            .map(name)
    };
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(at) = rest.find("--") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let starts_word = !out
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '-');
        let len = 2 + from[2..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(from.len() - 2);
        let (word, after) = from.split_at(len);
        match lookup(word).filter(|_| starts_word) {
            Some(mosquitto) => {
                out.push_str(mosquitto);
                // clap's value placeholder: `--qos <QOS>`.
                rest = match after.strip_prefix(" <").and_then(|a| a.split_once('>')) {
                    Some((_, tail)) => tail,
                    None => after,
                };
            }
            None => {
                out.push_str(word);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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
                "--timeout=0",
                "--host=localhost"
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
                "--timeout=3",
                "--host=localhost"
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
                "--protocol=311",
                "--host=localhost"
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
                "--protocol=5",
                "--host=localhost"
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
                "--timeout-fails",
                "--host=localhost"
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
                "--topic=from/file",
                "--stdin-file",
                "--protocol=311",
                "--host=broker",
                "--port=1999"
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
                "--protocol=311",
                "--host=localhost"
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
                &["--ws", "-h", "b", "-p", "9001", "-t", "a", "-e", "r", "-n"]
            )
            .unwrap(),
            [
                "mqrr",
                "--topic=a",
                "--response-topic=r",
                "--null-message",
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
        // They end the parse where they stand, as in mosquitto.
        assert!(matches!(
            translate(
                Tool::Rr,
                &os(&["-q", "1", "--help", "--bogus"]),
                &lookup,
                &read
            ),
            Ok(Translated::Help(_))
        ));
        assert_eq!(
            translate(Tool::Rr, &os(&["--bogus", "--help"]), &lookup, &read),
            Err("Unknown option '--bogus'.".to_string())
        );
    }

    #[test]
    fn the_last_of_an_option_given_twice_wins_as_in_mosquitto() {
        assert_eq!(
            run(
                Tool::Pub,
                &[
                    "-h", "a", "-p", "1", "-t", "x", "-q", "1", "-r", "-m", "m", "-h", "b", "-p",
                    "2", "-t", "y", "-q", "2", "-r", "-i", "i1", "-i", "i2", "-V", "5", "-V",
                    "311"
                ]
            )
            .unwrap(),
            [
                "mqrr",
                "pub",
                "--message=m",
                "--topic=y",
                "--qos=2",
                "--retain",
                "--id=i2",
                "--protocol=311",
                "--host=b",
                "--port=2"
            ]
        );
        // sub's topics, -T, -U and everyone's -D add up.
        assert_eq!(
            run(
                Tool::Sub,
                &[
                    "-t", "a", "-t", "b", "-T", "c", "-T", "d", "-v", "-v", "-C", "1", "-C", "2"
                ]
            )
            .unwrap(),
            [
                "mqrr",
                "sub",
                "--topic=a",
                "--topic=b",
                "--filter-out=c",
                "--filter-out=d",
                "--verbose",
                "--count=2",
                "--protocol=311",
                "--host=localhost"
            ]
        );
        // Two payload options are mosquitto's error, even the same twice.
        assert_eq!(
            run(Tool::Pub, &["-t", "x", "-m", "a", "-m", "b"]).unwrap_err(),
            "Only one type of message can be sent at once."
        );
    }

    #[test]
    fn what_mosquitto_ignores_is_left_out() {
        // -x on MQTT 3.1.1 (pub and sub's default), --repeat with -l.
        assert_eq!(
            run(
                Tool::Pub,
                &[
                    "-t",
                    "x",
                    "-l",
                    "-x",
                    "60",
                    "--repeat",
                    "3",
                    "--repeat-delay",
                    "1"
                ]
            )
            .unwrap(),
            [
                "mqrr",
                "pub",
                "--topic=x",
                "--stdin-line",
                "--protocol=311",
                "--host=localhost"
            ]
        );
        assert_eq!(
            run(Tool::Pub, &["-t", "x", "-n", "-x", "60", "-V", "5"]).unwrap(),
            [
                "mqrr",
                "pub",
                "--topic=x",
                "--null-message",
                "--session-expiry=60",
                "--protocol=5",
                "--host=localhost"
            ]
        );
    }

    #[test]
    fn pub_and_rr_need_a_topic_and_a_message() {
        for (tool, args) in [
            (Tool::Pub, &["-t", "x"][..]),
            (Tool::Pub, &["-m", "x"]),
            (Tool::Rr, &["-t", "x", "-e", "y"]),
            (Tool::Rr, &["-t", "x", "-m", "y"]),
            (Tool::Rr, &["-e", "x", "-m", "y"]),
        ] {
            let e = run(tool, args).unwrap_err();
            assert!(e.contains("must be supplied"), "{args:?}: {e}");
        }
        assert!(run(Tool::Rr, &["-t", "x", "-e", "y", "-m", ""]).is_ok());
        assert!(run(Tool::Sub, &["-U", "x"]).is_ok());
    }

    #[test]
    fn a_url_sets_host_port_credentials_and_topic_where_it_stands() {
        assert_eq!(
            run(
                Tool::Pub,
                &["-L", "mqtt://u:p%40ss@b:1884/a/b c", "-m", "x"]
            )
            .unwrap(),
            [
                "mqrr",
                "pub",
                "--username=u",
                "--password=p%40ss",
                "--topic=a/b c",
                "--message=x",
                "--protocol=311",
                "--host=b",
                "--port=1884"
            ]
        );
        // Later options win over the URL, the URL over earlier ones; the
        // port is the scheme's when the URL has none.
        assert_eq!(
            run(
                Tool::Rr,
                &["-p", "9", "-L", "mqtts://b/t", "-t", "u", "-e", "r", "-n"]
            )
            .unwrap(),
            [
                "mqrr",
                "--tls-use-os-certs",
                "--topic=u",
                "--response-topic=r",
                "--null-message",
                "--protocol=5",
                "--timeout=0",
                "--host=b",
                "--port=8883"
            ]
        );
        assert_eq!(
            run(Tool::Sub, &["-t", "a", "-L", "mqtt://b:1/c", "-p", "2"]).unwrap(),
            [
                "mqrr",
                "sub",
                "--topic=a",
                "--topic=c",
                "--protocol=311",
                "--host=b",
                "--port=2"
            ]
        );
        assert_eq!(
            run(Tool::Sub, &["-L", "mqtt://b"]).unwrap_err(),
            "Invalid URL for -L argument specified - topic missing."
        );
        assert!(
            run(Tool::Sub, &["-L", "unix:///s/t"])
                .unwrap_err()
                .starts_with("unsupported URL scheme")
        );
    }

    #[test]
    fn unix_sockets_are_port_0_as_in_mosquitto() {
        assert_eq!(
            run(Tool::Sub, &["-h", "x", "--unix", "/run/m.sock", "-t", "a"]).unwrap(),
            [
                "mqrr",
                "sub",
                "--topic=a",
                "--protocol=311",
                "--unix=/run/m.sock"
            ]
        );
        assert_eq!(
            run(
                Tool::Sub,
                &["--unix", "/run/m.sock", "-h", "h", "-p", "5", "-t", "a"]
            )
            .unwrap(),
            [
                "mqrr",
                "sub",
                "--topic=a",
                "--protocol=311",
                "--host=h",
                "--port=5"
            ]
        );
        assert_eq!(
            run(Tool::Sub, &["-h", "/s", "-p", "0", "-t", "a"]).unwrap(),
            ["mqrr", "sub", "--topic=a", "--protocol=311", "--unix=/s"]
        );
    }

    #[test]
    fn an_empty_client_id_is_refused() {
        assert!(
            run(Tool::Pub, &["-t", "x", "-n", "-i", ""])
                .unwrap_err()
                .starts_with("Invalid id")
        );
    }

    #[test]
    fn usage_messages_name_the_options_as_the_tool_spells_them() {
        assert_eq!(
            in_tool_words(
                Tool::Rr,
                "invalid value '3' for '--qos <QOS>': QoS must be 0, 1 or 2"
            ),
            "invalid value '3' for '-q': QoS must be 0, 1 or 2"
        );
        assert_eq!(
            in_tool_words(
                Tool::Sub,
                "the argument '--id <ID>' cannot be used with '--id-prefix <PREFIX>'"
            ),
            "the argument '-i' cannot be used with '-I'"
        );
        assert_eq!(
            in_tool_words(
                Tool::Rr,
                "the argument '--stdin' cannot be used with '--file <PATH>'"
            ),
            "the argument '-s' cannot be used with '-f'"
        );
        assert_eq!(
            in_tool_words(Tool::Pub, "--will-topic w/#: wildcards, --cafile, x--qos"),
            "--will-topic w/#: wildcards, --cafile, x--qos"
        );
        assert_eq!(
            in_tool_words(Tool::Pub, "invalid value 'x' for '--session-expiry <SECS>'"),
            "invalid value 'x' for '-x'"
        );
    }

    #[test]
    fn port_8883_speaks_tls_as_in_mosquitto() {
        let got = run(Tool::Pub, &["-p", "8883", "-t", "a", "-n"]).unwrap();
        assert!(got.contains(&"--tls-use-os-certs".to_string()), "{got:?}");
        let got = run(
            Tool::Pub,
            &["-L", "mqtt://b:8883/a", "-n", "--cafile", "ca.pem"],
        )
        .unwrap();
        assert!(!got.contains(&"--tls-use-os-certs".to_string()), "{got:?}");
        let got = run(Tool::Pub, &["-p", "1884", "-t", "a", "-n"]).unwrap();
        assert!(!got.iter().any(|a| a.starts_with("--tls")), "{got:?}");
    }

    #[test]
    fn rr_s_own_response_topic_and_correlation_data_properties() {
        assert!(
            run(
                Tool::Rr,
                &[
                    "-t",
                    "a",
                    "-e",
                    "b",
                    "-n",
                    "-D",
                    "publish",
                    "response-topic",
                    "c"
                ]
            )
            .unwrap_err()
            .starts_with("Duplicate response topic")
        );
        let got = run(
            Tool::Rr,
            &[
                "-t",
                "a",
                "-e",
                "b",
                "-n",
                "-D",
                "Publish",
                "Correlation-Data",
                "xY",
            ],
        )
        .unwrap();
        assert_eq!(
            got[4..8],
            ["--correlation=off", "-D", "publish", "correlation-data"]
        );
        assert_eq!(got[8], "xY");
    }
}
