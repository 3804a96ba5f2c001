//! `man/mqrr.1` and `completions/*` are generated from the clap definitions
//! and committed, so packagers need no Rust toolchain to ship them. This file
//! is the generator and the guard in one: `MQRR_REGENERATE=1 cargo test --test
//! generated` rewrites them, a plain `cargo test` fails while they are stale.
//!
//! The man page takes its option lists from clap (via `clap_mangen`); the
//! sections clap knows nothing about (exit status, environment, files,
//! examples, differences from mosquitto_rr) are written here.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use clap::{Arg, Args, CommandFactory};
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};
use mqrr::cli::{Cli, Connection};

const REGENERATE: &str = "MQRR_REGENERATE=1 cargo test --test generated";

const COMPLETIONS: [(&str, Shell); 5] = [
    ("completions/mqrr.bash", Shell::Bash),
    ("completions/_mqrr", Shell::Zsh),
    ("completions/mqrr.fish", Shell::Fish),
    ("completions/mqrr.elv", Shell::Elvish),
    ("completions/_mqrr.ps1", Shell::PowerShell),
];

/// Every generated file: its path in the repository and its content.
fn generated() -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![("man/mqrr.1", man_page().into_bytes())];
    for (path, shell) in COMPLETIONS {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "mqrr", &mut script);
        files.push((path, script));
    }
    files
}

#[test]
fn generated_files_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let regenerate = std::env::var_os("MQRR_REGENERATE").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (rel, content) in generated() {
        let path = root.join(rel);
        let current = std::fs::read(&path).ok();
        if current.as_deref() == Some(content.as_slice()) {
            continue;
        }
        if regenerate {
            let dir = path.parent().expect("generated paths have a directory");
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
            std::fs::write(&path, &content)
                .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            eprintln!("wrote {rel}");
        } else {
            stale.push(if current.is_none() {
                format!("{rel} (missing)")
            } else {
                rel.to_string()
            });
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale: {}\nrun `{REGENERATE}` and commit the result",
        stale.join(", ")
    );
}

#[test]
fn man_page_documents_every_long_option_of_every_command() {
    let man = ManText::new(&man_page());
    let top_sections: Vec<&str> = man
        .sections
        .iter()
        .map(|(title, _)| title.as_str())
        .filter(|t| t.ends_with("OPTIONS") && !t.starts_with("OPTIONS FOR"))
        .collect();
    assert!(
        top_sections.contains(&"CONNECTION OPTIONS"),
        "no CONNECTION OPTIONS in {top_sections:?}"
    );

    let top = long_options_in_help(&[]);
    assert!(
        top.len() > 20,
        "too few options parsed from --help: {top:?}"
    );
    for opt in &top {
        assert!(
            man.documents(&top_sections, opt),
            "`mqrr {opt}` is in --help but not among the options of the man page"
        );
    }

    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|name| name != "help")
        .collect();
    assert!(subcommands.len() >= 2, "subcommands: {subcommands:?}");
    for sub in &subcommands {
        let own = format!("OPTIONS FOR mqrr {sub}");
        let allowed = ["OPTIONS", "CONNECTION OPTIONS", own.as_str()];
        let opts = long_options_in_help(&[sub]);
        assert!(
            opts.len() > 5,
            "too few options parsed from `mqrr {sub} --help`"
        );
        for opt in &opts {
            assert!(
                man.documents(&allowed, opt),
                "`mqrr {sub} {opt}` is in --help but not in the man page sections {allowed:?}"
            );
        }
    }
}

#[test]
fn subcommands_keep_their_own_description() {
    // With `#[command(defer = true)]` a subcommand's arguments are added
    // after its own attributes, so a doc comment on a struct it flattens in
    // (the connection group) replaces the subcommand's description in
    // `mqrr SUB --help`, while `mqrr --help` still lists the right one.
    let text = |s: Option<&clap::builder::StyledStr>| s.map(ToString::to_string);
    for declared in Cli::command().get_subcommands() {
        let mut built = declared.clone();
        built.build();
        let name = declared.get_name();
        assert_eq!(
            text(built.get_about()),
            text(declared.get_about()),
            "`mqrr {name} --help` shows another description than `mqrr --help` lists"
        );
        assert_eq!(
            text(built.get_long_about()),
            text(declared.get_long_about()),
            "`mqrr {name} --help` shows another long description than declared"
        );
    }
}

/// The long options that `mqrr [ARGS] --help` lists (the lines that
/// introduce an option, not mentions in the descriptions).
fn long_options_in_help(args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_mqrr"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "200")
        .output()
        .expect("running mqrr --help");
    assert!(out.status.success(), "mqrr {args:?} --help failed: {out:?}");
    let help = String::from_utf8(out.stdout).expect("--help is UTF-8");
    let option_line = regex::Regex::new(r"^\s*(?:-\S, )?--([a-z0-9][a-z0-9-]*)").unwrap();
    help.lines()
        .filter_map(|line| option_line.captures(line))
        .map(|c| format!("--{}", &c[1]))
        .collect()
}

/// The man page as plain text, split into sections, remembering which lines
/// introduce an option (the tag line after `.TP`).
struct ManText {
    sections: Vec<(String, Vec<String>)>,
}

impl ManText {
    fn new(roff: &str) -> Self {
        let plain = |s: &str| {
            s.replace(r"\-", "-")
                .replace(r"\fB", "")
                .replace(r"\fI", "")
                .replace(r"\fR", "")
                .replace(r"\&", "")
                .replace(r"\*(Aq", "'")
        };
        let mut sections: Vec<(String, Vec<String>)> = Vec::new();
        let mut lines = roff.lines();
        while let Some(line) = lines.next() {
            if let Some(title) = line.strip_prefix(".SH ") {
                sections.push((title.trim_matches('"').to_string(), Vec::new()));
            } else if line == ".TP" {
                if let (Some(tag), Some((_, tags))) = (lines.next(), sections.last_mut()) {
                    tags.push(plain(tag));
                }
            }
        }
        Self { sections }
    }

    /// Whether one of these sections has an item tagged with `opt`.
    fn documents(&self, sections: &[&str], opt: &str) -> bool {
        self.sections
            .iter()
            .filter(|(title, _)| sections.contains(&title.as_str()))
            .flat_map(|(_, tags)| tags)
            .any(|tag| {
                tag.match_indices(opt).any(|(i, _)| {
                    !tag[i + opt.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
                })
            })
    }
}

// ---------------------------------------------------------------------------
// The man page

fn man_page() -> String {
    // `mqrr help` is clap's alias of --help, not worth a section.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let man = Man::new(cmd.clone()).title(cmd.get_name().to_uppercase());
    let subcommands: Vec<clap::Command> = cmd.get_subcommands().cloned().collect();

    let mut page = part(|w| man.render_title(w));
    page += &without_preamble(part(|w| man.render_name_section(w)));
    page += &synopsis(&cmd, &subcommands);
    page += &without_preamble(part(|w| man.render_description_section(w)));
    page += &roff(description());

    // Options of the request mode, grouped by their clap help heading. The
    // flattened connection group lends its heading to --help and --version
    // too; they get a section of their own.
    let general = |a: &Arg| matches!(a.get_id().as_str(), "help" | "version");
    page += &options_section(&cmd, "OPTIONS", &[], general);
    let mut headings: Vec<&str> = Vec::new();
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !general(a))
    {
        if let Some(h) = arg.get_help_heading().filter(|h| !headings.contains(h)) {
            headings.push(h);
        }
    }
    for heading in headings {
        let title = format!("{} OPTIONS", heading.to_uppercase());
        page += &options_section(&cmd, &title, heading_intro(heading), |a| {
            !general(a) && a.get_help_heading() == Some(heading)
        });
    }

    page += &roff(commands(&subcommands));
    let connection = connection_ids();
    for sub in &subcommands {
        let title = format!("OPTIONS FOR mqrr {}", sub.get_name());
        let intro = format!(
            "mqrr {} takes the CONNECTION OPTIONS and --help, and:",
            sub.get_name()
        );
        page += &options_section(sub, &title, &[&intro], |a| {
            !connection.contains(&a.get_id().to_string())
        });
    }

    page += &roff(exit_status());
    page += &roff(environment());
    page += &roff(files());
    page += &roff(examples());
    page += &roff(differences());
    page += &roff(personalities());
    page += &roff(see_also());
    ascii(&page)
}

/// groff reads Latin-1 unless told otherwise (man-db runs preconv, plain
/// `groff -man` does not): spell every other character as a `\[uXXXX]` escape.
fn ascii(page: &str) -> String {
    page.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\[u{:04X}]", u32::from(c))
            }
        })
        .collect()
}

/// Renders one part of the page with a `Man` method.
fn part(render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    render(&mut buf).expect("rendering to memory");
    String::from_utf8(buf).expect("roff is UTF-8")
}

/// Every rendered part starts with the same apostrophe preamble; the page
/// needs it once.
fn without_preamble(part: String) -> String {
    let preamble = Roff::new().render();
    part.strip_prefix(&preamble)
        .map(str::to_string)
        .unwrap_or(part)
}

fn roff(doc: Roff) -> String {
    without_preamble(doc.render())
}

/// The ids of the connection options, which every subcommand flattens in.
fn connection_ids() -> Vec<String> {
    Connection::augment_args(clap::Command::new("connection"))
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect()
}

/// A section of the options of `cmd` that `keep` selects, as clap_mangen
/// renders them, under our own title and intro.
fn options_section(
    cmd: &clap::Command,
    title: &str,
    intro: &[&str],
    keep: impl Fn(&Arg) -> bool,
) -> String {
    let cmd = cmd.clone().mut_args(|a| {
        if keep(&a) {
            a.help_heading(None)
        } else {
            a.hide(true)
        }
    });
    let rendered = without_preamble(part(|w| Man::new(cmd).render_options_section(w)));
    if rendered.is_empty() {
        return rendered;
    }
    let items = rendered
        .strip_prefix(".SH OPTIONS\n")
        .unwrap_or_else(|| panic!("clap_mangen renders no plain OPTIONS section:\n{rendered}"));
    let mut head = Roff::new();
    head.control("SH", [title]);
    for p in intro {
        head.control("PP", []).text([roman(*p)]);
    }
    roff(head) + items
}

/// One line per form of the command, from clap's own usage.
fn synopsis(cmd: &clap::Command, subcommands: &[clap::Command]) -> String {
    let mut doc = Roff::new();
    doc.control("SH", ["SYNOPSIS"]);
    let mut first = true;
    for c in std::iter::once(cmd).chain(subcommands) {
        let name = c.get_bin_name().unwrap_or(c.get_name()).to_string();
        let usage = c.clone().render_usage().to_string();
        let usage = usage.strip_prefix("Usage:").unwrap_or(&usage);
        for form in usage.lines().map(str::trim) {
            if form.is_empty() || form.ends_with("<COMMAND>") {
                continue;
            }
            if !first {
                doc.control("br", []);
            }
            first = false;
            let rest = form.strip_prefix(name.as_str()).unwrap_or(form);
            doc.text([bold(name.as_str()), roman(rest)]);
        }
    }
    roff(doc)
}

fn description() -> Roff {
    let mut doc = Roff::new();
    for p in [
        "In request mode mqrr connects, subscribes to the response filter and waits for the \
         broker to grant the subscription, publishes the request (an empty payload unless \
         -m, -n, -s or --file says otherwise), waits for the first fresh response that \
         passes every match step, prints it, and disconnects cleanly.",
        "Never an answer: mqrr's own request (when the response filter matches the request \
         topic, MQTT 5 subscribes with No Local and on 3.1.1 the copy of each request is \
         dropped once); anything that arrived before the request was written; a message \
         whose topic the filter does not match; a retained message unless --retained; \
         someone else's correlation data (--correlation). While mqrr waits, nothing stops it \
         from reading responses, and -W is kept.",
        "What the broker announced in its CONNACK is checked before anything is sent: a -q \
         above its Maximum QoS, --retain where it does not retain, a request over its \
         Maximum Packet Size, a filter it does not allow end with exit 4 naming the limit. \
         A DISCONNECT from the broker is reported with its reason (session taken over \
         (0x8E)).",
        "stdout carries data only: the response, or the field extracted from it. Every \
         diagnostic goes to stderr as one line starting with mqrr: and naming what failed.",
        "mqrr c8y-token fetches a Cumulocity token over a thin-edge.io bridge; mqrr tedge-cmd \
         runs a thin-edge.io command and follows it to its end; mqrr serve is the other half \
         of the pattern, answering requests. See COMMANDS.",
    ] {
        doc.control("PP", []).text([roman(p)]);
    }
    doc
}

fn heading_intro(heading: &str) -> &'static [&'static str] {
    match heading {
        "Connection" => &[
            "Every command takes these. A value comes from the command line, else the \
             environment (MQRR_*), else an options file (-o), else tedge.toml (the \
             thin-edge.io presets), else the default; a lower level never conflicts with a \
             higher one, and the broker's address is taken whole from the highest level \
             that gives any of it. User and password in a URL are percent-decoded.",
        ],
        "Match and extract" => &[
            "A message on the response filter is a match when it passes every step given; the \
             steps run in this order, each on the output of the one before: -j, then -r, then \
             -f. A step that cannot apply (not JSON, no such pointer, no regex match) means \
             no match: mqrr keeps waiting. Without any step the payload is printed byte for \
             byte, binary included.",
        ],
        _ => &[],
    }
}

fn commands(subcommands: &[clap::Command]) -> Roff {
    let mut doc = Roff::new();
    doc.control("SH", ["COMMANDS"]);
    // The description as declared on the subcommand: building a deferred
    // subcommand can replace it (see `subcommands_keep_their_own_description`).
    let declared = Cli::command();
    for sub in subcommands {
        let name = sub.get_bin_name().unwrap_or(sub.get_name());
        doc.control("TP", []).text([bold(name)]);
        let sub = declared
            .find_subcommand(sub.get_name())
            .expect("the same subcommands");
        let about = sub
            .get_long_about()
            .or(sub.get_about())
            .map(|a| a.to_string())
            .unwrap_or_default();
        let mut paragraphs: Vec<String> = about
            .split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect();
        paragraphs.extend(command_notes(sub.get_name()).iter().map(|s| s.to_string()));
        for (i, p) in paragraphs.iter().enumerate() {
            if i > 0 {
                doc.control("IP", []);
            }
            doc.text([roman(p.as_str())]);
        }
    }
    doc
}

fn command_notes(name: &str) -> &'static [&'static str] {
    match name {
        "c8y-token" => &[
            "It publishes an empty message on PREFIX/s/uat (QoS 0) and waits for a 71,<JWT> \
             reply on PREFIX/s/dat (QoS 1, retained messages ignored), publishing again every \
             --resend. Connection defaults come from tedge.toml (see FILES). When no token \
             arrives in time, the message says whether the Cumulocity bridge reports itself \
             up or down.",
        ],
        "serve" => &[
            "The reply goes to the request's Response Topic (MQTT 5), else to --reply-topic, \
             else the request is skipped with a warning; Correlation Data is copied back. The \
             reply is the request payload (--echo), a fixed text (--reply) or the stdout of \
             the command after --, which runs without a shell with the request payload on \
             its stdin and MQRR_TOPIC, MQRR_RESPONSE_TOPIC and MQRR_CORRELATION_DATA (hex) in \
             its environment. A command that fails or outlives --exec-timeout sends no reply.",
            "mqrr serve never answers its own replies: MQTT 5 subscribes with No Local, and a \
             message on the --reply-topic it answers on is not a request.",
            "mqrr serve reconnects with backoff when the broker goes away and subscribes \
             again; the backoff keeps growing while connections are lost soon after they are \
             made (another client with the same client id). SIGINT and SIGTERM disconnect \
             cleanly and exit 0.",
        ],
        "tedge-cmd" => &[
            "It subscribes to the command topic ROOT/ENTITY/cmd/CMD_TYPE/ID (QoS 1, No Local), \
             publishes the command retained with QoS 1 (-m, --file or -s: a JSON object, \
             \"status\":\"init\" added when missing; default {\"status\":\"init\"}), and \
             follows the status the agent publishes on the same topic. ROOT and ENTITY come \
             from tedge.toml (mqtt.topic_root, mqtt.device_topic_id; see FILES), else te and \
             device/main//; --device NAME is device/NAME//, --service NAME \
             device/main/service/NAME (a service of --device when given), --entity any \
             four-level entity topic id. ID is --cmd-id, else mqrr- and a random suffix.",
            "successful: the final payload (or what -j, -r, -f and -F make of it) on stdout, \
             exit 0. failed: the payload as it came on stdout, one stderr line with its \
             reason, exit 5. No final status within -W (default 10m): exit 27, naming the last \
             status and the retained health of the entity's tedge-agent \
             (ROOT/device/NAME/service/tedge-agent/status/health). In every case, and on \
             SIGINT or SIGTERM, the command topic is then cleared with an empty retained \
             message, unless --keep.",
            "Each status change is one stderr line (mqrr: restart: executing (3.2 s)); on a \
             terminal it is one line, redrawn in place with the elapsed time. --quiet shows \
             none. --list prints the command types the entity declares (its retained \
             capability messages on ROOT/ENTITY/cmd/+), one per line, or with -o json one \
             JSON object of their payloads.",
        ],
        _ => &[],
    }
}

/// A tagged paragraph: `.TP`, the tag, the body.
fn item(doc: &mut Roff, tag: impl Into<Vec<Inline>>, body: &str) {
    doc.control("TP", []).text(tag).text([roman(body)]);
}

fn exit_status() -> Roff {
    let mut doc = Roff::new();
    doc.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in [
        (
            "0",
            "The response arrived (all -C N of them; with -C 0, at least one before the \
             deadline). --help and --version exit 0 too.",
        ),
        (
            "1",
            "Any other runtime failure: connection lost while waiting, an I/O error, a \
             malformed token.",
        ),
        (
            "2",
            "Usage: a bad option or value, regex, field list, JSON pointer, duration or topic, \
             conflicting options, a broken tedge.toml.",
        ),
        (
            "3",
            "Could not connect: DNS, TCP refused or unreachable, TLS handshake or certificate \
             verification.",
        ),
        (
            "4",
            "The broker refused: bad credentials, not authorized, subscription or publish \
             denied.",
        ),
        (
            "5",
            "The other side answered failed: the mqrr tedge-cmd command ended in status \
             failed.",
        ),
        (
            "27",
            "Timed out (-W), the code mosquitto_rr -W and mosquitto_sub -W use.",
        ),
        (
            "130, 143",
            "Interrupted by SIGINT or SIGTERM, after a clean DISCONNECT. (mqrr serve exits 0.)",
        ),
    ] {
        item(&mut doc, [bold(code)], meaning);
    }
    doc
}

fn environment() -> Roff {
    let mut doc = Roff::new();
    doc.control("SH", ["ENVIRONMENT"]);
    for (var, meaning) in [
        ("MQRR_HOST", "Broker host, as -h."),
        ("MQRR_PORT", "Broker port, as -p."),
        ("MQRR_URL", "Broker URL, as -L."),
        ("MQRR_USERNAME", "User name, as -u."),
        (
            "MQRR_PASSWORD",
            "Password, as -P; better than -P, which other users can see in the process list.",
        ),
        (
            "TEDGE_CONFIG_DIR",
            "Directory of thin-edge.io's tedge.toml, read by mqrr c8y-token and mqrr \
             tedge-cmd [default: /etc/tedge].",
        ),
    ] {
        item(&mut doc, [bold(var)], meaning);
    }
    doc.control("PP", []).text([roman(
        "Command-line options win over these. mqrr serve sets MQRR_TOPIC, MQRR_RESPONSE_TOPIC \
         and MQRR_CORRELATION_DATA for the command it runs.",
    )]);
    doc
}

fn files() -> Roff {
    let mut doc = Roff::new();
    doc.control("SH", ["FILES"]);
    item(
        &mut doc,
        [
            italic("$TEDGE_CONFIG_DIR/tedge.toml"),
            roman(", "),
            italic("/etc/tedge/tedge.toml"),
        ],
        "thin-edge.io's configuration. mqrr c8y-token and mqrr tedge-cmd take their \
         connection defaults from these keys: mqtt.client.host, mqtt.client.port, \
         mqtt.client.auth.ca_file, mqtt.client.auth.ca_dir, mqtt.client.auth.cert_file, \
         mqtt.client.auth.key_file, mqtt.client.auth.username and \
         mqtt.client.auth.password_file; c8y-token its topic prefix from \
         c8y.bridge.topic_prefix, tedge-cmd its topic root and entity from mqtt.topic_root \
         and mqtt.device_topic_id. Options and MQRR_* variables win; --no-tedge-config ignores \
         the file. A missing file is fine; a broken one is a usage error (exit 2) naming the \
         file and the key.",
    );
    item(
        &mut doc,
        [italic("PATH"), roman(" of "), bold("--cache")],
        "The token cache of mqrr c8y-token, written atomically with mode 0600. A corrupt or \
         foreign cache is ignored and replaced.",
    );
    doc
}

fn examples() -> Roff {
    let mut doc = Roff::new();
    doc.control("SH", ["EXAMPLES"]);
    for (what, command) in [
        (
            "Ask a service for a reading and print one value of its JSON answer \
             ({\"data\":[{\"value\":21.5}],\"status\":\"ok\"} prints 21.5):",
            "mqrr -t svc/sensor/req -e svc/sensor/res -m '{\"id\":\"t1\"}' -j /data/0/value",
        ),
        (
            "Print the second and third fields of a semicolon-separated answer, giving up \
             after 2.5 seconds:",
            "mqrr -t svc/csv/req -e svc/csv/res -f 2,3 -d ';' -W 2.5",
        ),
        (
            "Fetch the Cumulocity token with the general tool (empty request, everything \
             after 71,):",
            "mqrr -t c8y/s/uat -e c8y/s/dat -f 2-",
        ),
        (
            "Call the Cumulocity REST API with the token:",
            "eval \"$(mqrr c8y-token -o env)\"\n\
             curl -H \"$(mqrr c8y-token -o header)\" \"$C8Y_URL/inventory/managedObjects\"",
        ),
        (
            "Restart the device through thin-edge.io, then list the software of a child \
             device:",
            "mqrr tedge-cmd restart -W 5m\n\
             mqrr tedge-cmd software_list --device child01 -j /currentSoftwareList",
        ),
        (
            "Answer every request on svc/+/req with the output of a program (the request \
             payload is its stdin):",
            "mqrr serve -t 'svc/+/req' -- /usr/local/bin/handler",
        ),
        (
            "Collect every answer that arrives within 5 seconds, with its topic:",
            "mqrr -t 'svc/all/ping' -e 'svc/+/pong' -C 0 -W 5 -v",
        ),
    ] {
        doc.control("PP", []).text([roman(what)]);
        doc.control("PP", []).control("RS", ["4"]).control("nf", []);
        doc.text([roman(command)]);
        doc.control("fi", []).control("RE", []);
    }
    doc
}

fn differences() -> Roff {
    let mut doc = Roff::new();
    doc.control("SH", ["DIFFERENCES FROM MOSQUITTO_RR"]);
    for p in [
        "Correlation: with MQTT 5 each request carries a random Correlation Data (and a \
         Response Topic when the filter has no wildcard); a response with someone else's \
         correlation data is not ours (see --correlation).",
        "Retained messages are never taken as the response unless --retained is given: a \
         stale retained reply is not an answer.",
        "-s and --file really send the bytes, binary included (mosquitto_rr 2.0 sends an \
         empty payload for both).",
        "mqrr always ends with a clean DISCONNECT (reason 0), so the broker publishes no Will.",
        "A subscription the broker refuses is an error, exit 4, before anything is published.",
        "-W takes fractions and humantime durations (2.5, 500ms, 1m30s) and counts from the \
         start, connecting included.",
        "-f and -d cut fields from the response, as cut(1) does; mosquitto's -f FILE is \
         --file here.",
        "-V defaults to auto: MQTT 5, falling back once to 3.1.1 when the broker refuses it.",
        "TLS verifies the broker's host name as well as its certificate, unless --insecure.",
        "--help and --version are long options only, since -h is the host and -V the \
         protocol version.",
    ] {
        doc.control("IP", ["\\(bu", "2"]).text([roman(p)]);
    }
    doc
}

/// Spec §11: mqrr run as mosquitto_pub, mosquitto_sub or mosquitto_rr, and
/// every difference from mosquitto 2.0 that remains then.
fn personalities() -> Roff {
    let mut doc = Roff::new();
    doc.control(
        "SH",
        ["RUNNING AS MOSQUITTO_PUB, MOSQUITTO_SUB OR MOSQUITTO_RR"],
    );
    for p in [
        "Run under the name mosquitto_pub, mosquitto_sub or mosquitto_rr (a symbolic link to \
         mqrr), mqrr reads that tool's mosquitto 2.0 command line, its default options file \
         ($XDG_CONFIG_HOME/mosquitto_pub, else ~/.config/mosquitto_pub; _sub, _rr likewise) \
         and mosquitto 2.1's -o FILE, and keeps its defaults: MQTT 5 for mosquitto_rr, 3.1.1 \
         for mosquitto_pub and mosquitto_sub, the broker on localhost, TLS on port 8883, no \
         deadline unless -W, exit 27 on -W and exit 1 on a usage error, --help or --version. \
         The Debian package installs the three links in /usr/lib/mqrr/mosquitto, which a user \
         may put first on PATH; nothing of mosquitto-clients is replaced. Elsewhere: \
         ln -s \"$(command -v mqrr)\" ~/.local/bin/mosquitto_rr.",
        "What stays mqrr's, and so differs from mosquitto 2.0:",
    ] {
        doc.control("PP", []).text([roman(p)]);
    }
    for p in [
        "mosquitto_rr: each MQTT 5 request carries its own Correlation Data and someone \
         else's reply is dropped (-D publish correlation-data sends yours, unchecked, as \
         mosquitto_rr does); a retained message, the tool's own request and anything that \
         arrived before the request was sent are never the answer; -s and -f FILE send their \
         bytes (mosquitto_rr 2.0 sends an empty payload); -e may be a wildcard filter.",
        "Every exit follows a clean DISCONNECT (reason 0), so the broker publishes no Will \
         (mosquitto_rr never disconnects; mosquitto_sub disconnects with reason 4 on -W and \
         signals).",
        "Exit status: 0, 1 (usage) and 27 as mosquitto; 3 could not connect (mosquitto: 1, or \
         8 for TLS); 4 the broker refused the connection, a subscription or a publish \
         (mosquitto: the CONNACK code, or 0 for a refused SUBSCRIBE or PUBLISH); 1 the \
         connection was lost (mosquitto: 7, and mosquitto_sub reconnects forever); 130/143 \
         on SIGINT/SIGTERM, or 0 for mosquitto_sub without -C (mosquitto_pub and \
         mosquitto_rr die of the signal; mosquitto_sub exits 0).",
        "Diagnostics are one stderr line starting with the tool's name and naming what \
         failed; a usage error is one line, Error: ..., without the usage text; -d writes \
         mqrr's trace to stderr (mosquitto: stdout). --help lists the tool's options in \
         mqrr's words.",
        "An empty payload prints an empty line (TOPIC and a space with -v); mosquitto prints \
         nothing (TOPIC (null) with -v).",
        "The default client id is mqrr- and 12 hex digits (mosquitto: assigned by the \
         broker); -I PREFIX adds a random suffix (mosquitto: the process id).",
        "Numbers must be numbers (mosquitto reads -q abc as 0 and -p 1883abc as 1883). -W \
         takes fractions and durations (1.5, 500ms) and counts from the start, connecting \
         included.",
        "mosquitto_sub: --random-filter P prints P % of the messages (2.0.11 prints P/10 %); \
         --retained-only ends 100 ms after the last retained message when no live one \
         comes; --remove-retained with -C ends; output to a regular file is written in \
         blocks; -F's times are UTC, its JSON (%j, %J) is mosquitto 2.1's, and 2.1's %.2:x, \
         %d and %f are accepted; -U needs no -t (as 2.1).",
        "mosquitto_pub: an empty -t is a usage error (mosquitto: exit 0); -s with empty stdin \
         sends an empty message (mosquitto refuses it); -f reads FIFOs and devices too; -l \
         sends a NUL inside a line.",
        "Options files: a # after blanks starts a comment, -D works, a payload option of the \
         command line replaces the file's, lines may be 64 KiB. -D names are checked per \
         packet before connecting; -D with -V 311 is a usage error.",
        "--insecure skips the certificate check as well as the host name check (as 2.1). \
         MQRR_USERNAME and MQRR_PASSWORD still apply when -u and -P are not given; \
         MQRR_HOST, MQRR_PORT and MQRR_URL do not.",
        "Not supported (exit 1, saying why): -A and --proxy (Paho C cannot bind a local \
         address or use a SOCKS proxy), --tls-engine, --tls-engine-kpass-sha1 and --keyform \
         engine (no OpenSSL engines), --tls-version other than tlsv1.2 (Paho C cannot pin a \
         version). -M only bounds mosquitto_pub.",
    ] {
        doc.control("IP", ["\\(bu", "2"]).text([roman(p)]);
    }
    doc
}

fn see_also() -> Roff {
    let mut doc = Roff::new();
    doc.control("SH", ["SEE ALSO"]);
    doc.text([roman(
        "mosquitto_rr(1), mosquitto_sub(1), mosquitto_pub(1), cut(1), jq(1), tedge(1)",
    )]);
    doc
}
