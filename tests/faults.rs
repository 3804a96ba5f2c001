//! Faults and hostile conditions against real brokers: lost connections,
//! silent servers, refused credentials and ACLs, TLS verification, signals,
//! load, huge payloads, closed stdout and garbage command lines. Each test
//! checks the exit status a script sees *and* the one stderr line.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;

// ---------------------------------------------------------------------------
// Helpers local to this file.

/// The last line of stderr: with `--debug` the error line comes after the trace.
fn last_line(stderr: &str) -> &str {
    stderr.lines().last().unwrap_or("")
}

/// `-h HOST -p PORT -t req -e resp -W WAIT`: the request most tests here send.
fn req_args(host: &str, port: u16, wait: &str) -> Vec<String> {
    [
        "-h",
        host,
        "-p",
        &port.to_string(),
        "-t",
        "req",
        "-e",
        "resp",
        "-W",
        wait,
    ]
    .map(String::from)
    .to_vec()
}

/// Asserts how a `--debug` run ends on a signal: exit `code` within 2 s of
/// the signal, nothing on stdout, and no error line (only the trace).
fn assert_signal_exit(out: &Finished, code: i32, elapsed: Duration) {
    assert_eq!(out.status.code(), Some(code), "{}", out.stderr);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert!(out.stdout.is_empty());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    // Exit status says it all: no error line, only the trace.
    assert!(
        out.stderr.lines().all(|l| l.starts_with("mqrr: debug: ")),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------
// 1–3: the connection goes away, never answers, or never was.

#[test]
fn broker_killed_while_waiting_exits_1_quickly_naming_the_broker() {
    let mut broker = Broker::start();
    let port = broker.port;
    let run = Running::spawn_until("SUBACK", &req_args("127.0.0.1", port, "20s"));
    let (out, elapsed) = run.finish_after(|| broker.kill(), Duration::from_secs(15));
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(out.stdout.is_empty());
    let line = last_line(&out.stderr);
    assert!(line.starts_with("mqrr: "), "{}", out.stderr);
    assert!(line.contains("lost the connection"), "{}", out.stderr);
    assert!(
        line.contains(&format!("127.0.0.1:{port}")),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// Accepts TCP connections and holds them open without a byte of MQTT.
struct SilentServer {
    port: u16,
    _thread: JoinHandle<()>,
}

impl SilentServer {
    fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming() {
                match conn {
                    Ok(c) => held.push(c),
                    Err(_) => break,
                }
            }
        });
        SilentServer {
            port,
            _thread: thread,
        }
    }
}

/// A request to `host` on a server that accepts and never says a word:
/// exit 27 naming `host:port`, at the 1 s deadline and not much later.
fn silent_server_times_out_at_the_deadline(host: &str, extra: &[&str]) {
    let server = SilentServer::start();
    let port = server.port;
    let (out, elapsed) = run_timed(
        mqrr()
            .args(req_args(host, port, "1s"))
            .args(extra)
            .timeout(Duration::from_secs(10)),
    );
    assert_failure(&out, 27, &[&format!("{host}:{port}")]);
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "took {elapsed:?}"
    );
}

#[test]
fn server_that_never_sends_connack_times_out_with_27_at_the_deadline() {
    silent_server_times_out_at_the_deadline("127.0.0.1", &[]);
}

#[test]
fn server_that_never_answers_the_tls_handshake_times_out_with_27() {
    let ca = temp_file(Ca::new("mqrr test CA").pem().as_bytes());
    silent_server_times_out_at_the_deadline(
        "localhost",
        &["--cafile", ca.path().to_str().unwrap()],
    );
}

#[test]
fn sigint_while_waiting_for_connack_exits_130_promptly() {
    let server = SilentServer::start();
    let run = Running::spawn_until("connecting to", &req_args("127.0.0.1", server.port, "20s"));
    let pid = run.pid();
    let (out, elapsed) = run.finish_after(|| send_signal(pid, "INT"), Duration::from_secs(10));
    assert_signal_exit(&out, 130, elapsed);
}

#[test]
fn no_broker_listening_exits_3_fast_naming_host_and_port() {
    for host in ["127.0.0.1", "localhost"] {
        let port = free_port().to_string();
        let (out, elapsed) = run_timed(
            mqrr()
                .args(["-h", host, "-p", &port, "-t", "req", "-e", "resp"])
                .timeout(Duration::from_secs(10)),
        );
        assert_failure(&out, 3, &[&format!("{host}:{port}")]);
        assert!(elapsed < Duration::from_secs(1), "{host}: took {elapsed:?}");
    }
}

// ---------------------------------------------------------------------------
// 4–5: the broker says no.

const WRONG_PASSWORD: &str = "Wr0ng-Pa55word-7d1c";
const RIGHT_PASSWORD: &str = "s3cret-R1ght-Pa55-42e0";

/// A mosquitto that refuses anonymous clients and knows alice and responder.
fn broker_with_passwords() -> Broker {
    Broker::with_passwords(&[("alice", RIGHT_PASSWORD), ("responder", "resp-pass")])
}

#[test]
fn wrong_password_exits_4_and_never_echoes_the_password() {
    let broker = broker_with_passwords();
    let port = broker.port_arg();
    let base = req_args("127.0.0.1", broker.port, "5s");
    // (extra arguments, whether the wrong password comes from MQRR_PASSWORD)
    let cases: Vec<(Vec<&str>, bool)> = vec![
        (vec!["-u", "alice", "-P", WRONG_PASSWORD], false),
        (vec!["-u", "alice", "-P", WRONG_PASSWORD, "--debug"], false),
        (
            vec!["-u", "alice", "-P", WRONG_PASSWORD, "-V", "311"],
            false,
        ),
        (
            vec!["-u", "alice", "-P", WRONG_PASSWORD, "-V", "311", "--debug"],
            false,
        ),
        (vec!["-u", "alice"], true),
        (vec!["-u", "alice", "--debug"], true),
        (
            vec!["-u", "mallory", "-P", WRONG_PASSWORD, "--debug"],
            false,
        ),
    ];
    for (extra, from_env) in cases {
        let mut cmd = mqrr();
        cmd.args(&base)
            .args(&extra)
            .timeout(Duration::from_secs(10));
        if from_env {
            cmd.env("MQRR_PASSWORD", WRONG_PASSWORD);
        }
        let out = cmd.output().unwrap();
        let all = describe(&out);
        assert_eq!(out.status.code(), Some(4), "{extra:?}: {all}");
        assert!(out.stdout.is_empty(), "{extra:?}: {all}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = last_line(&stderr);
        assert!(line.starts_with("mqrr: "), "{extra:?}: {all}");
        assert!(
            line.contains(&format!("127.0.0.1:{port}")),
            "{extra:?}: {all}"
        );
        // mosquitto 2.0 answers MQTT 5 with 0x87 "not authorized", 3.1.1
        // with CONNACK 4 "bad user name or password".
        let lower = line.to_lowercase();
        assert!(
            lower.contains("password") || lower.contains("not authorized"),
            "{extra:?}: {all}"
        );
        assert!(!all.contains(WRONG_PASSWORD), "password leaked: {all}");
        assert_no_panic(&out);
    }

    // From a file: the file's content is the secret now.
    let file = temp_file(format!("{WRONG_PASSWORD}\n").as_bytes());
    let out = mqrr()
        .args(&base)
        .args(["-u", "alice", "--debug", "--password-file"])
        .arg(file.path())
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    assert!(!describe(&out).contains(WRONG_PASSWORD));

    // In a URL, on the command line or in MQRR_URL.
    let url = format!("mqtt://alice:{WRONG_PASSWORD}@127.0.0.1:{port}");
    for via_env in [false, true] {
        let mut cmd = mqrr();
        cmd.args(["-t", "req", "-e", "resp", "-W", "5s", "--debug"]);
        if via_env {
            cmd.env("MQRR_URL", &url);
        } else {
            cmd.args(["-L", &url]);
        }
        let out = cmd.timeout(Duration::from_secs(10)).output().unwrap();
        let all = describe(&out);
        assert_eq!(out.status.code(), Some(4), "{all}");
        assert!(!all.contains(WRONG_PASSWORD), "password leaked: {all}");
        assert!(last_line(&String::from_utf8_lossy(&out.stderr)).contains(&port));
    }
}

#[test]
fn right_password_from_flag_env_or_file_gets_the_reply() {
    let broker = broker_with_passwords();
    let _r = Responder::echo_as(broker.port, "req", "resp", "responder", "resp-pass");
    let file = temp_file(format!("{RIGHT_PASSWORD}\nsecond line ignored\n").as_bytes());
    let file_path = file.path().to_str().unwrap().to_string();
    let base = req_args("127.0.0.1", broker.port, "10s");
    let ways: Vec<(&str, Vec<&str>, Option<&str>)> = vec![
        ("-P", vec!["-P", RIGHT_PASSWORD, "-m", "via-flag"], None),
        ("MQRR_PASSWORD", vec!["-m", "via-env"], Some(RIGHT_PASSWORD)),
        (
            "--password-file",
            vec!["--password-file", &file_path, "-m", "via-file"],
            None,
        ),
    ];
    for (how, extra, env) in ways {
        let mut cmd = mqrr();
        cmd.args(&base)
            .args(["-u", "alice", "--debug"])
            .args(&extra)
            .timeout(Duration::from_secs(15));
        if let Some(v) = env {
            cmd.env("MQRR_PASSWORD", v);
        }
        let out = cmd.output().unwrap();
        let all = describe(&out);
        assert_eq!(out.status.code(), Some(0), "{how}: {all}");
        let want = format!("{}\n", extra[extra.len() - 1]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{how}: {all}");
        assert!(
            !all.contains(RIGHT_PASSWORD),
            "{how}: password leaked: {all}"
        );
    }
}

/// Anonymous clients may read `resp` and read and write `allowed`; nothing
/// else.
fn broker_with_acl() -> Broker {
    Broker::with_files(
        &[(
            "acl",
            b"topic read resp\ntopic readwrite allowed\n" as &[u8],
        )],
        "user root\nallow_anonymous true\nacl_file {dir}/acl\n",
    )
}

#[test]
fn publish_denied_by_acl_at_qos1_on_mqtt5_exits_4_fast_naming_the_topic() {
    let broker = broker_with_acl();
    let port = broker.port;
    let (out, elapsed) = run_timed(
        request(port, "req", "resp", "x", "10s")
            .args(["-V", "5", "-q", "1"])
            .timeout(Duration::from_secs(15)),
    );
    assert_failure(&out, 4, &["req", &format!("127.0.0.1:{port}")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("publish"), "{stderr}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

/// mosquitto 2.0's acl_file never refuses a SUBSCRIBE (it filters on
/// delivery), so a refused subscription needs the dynamic security plugin:
/// anonymous clients may subscribe to `resp` only.
fn broker_refusing_subscriptions() -> Broker {
    let dynsec = br#"{
  "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true,
                       "subscribe": false, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "requester"}]}],
  "roles": [{"rolename": "requester", "acls": [
    {"acltype": "subscribePattern", "topic": "resp", "priority": 0, "allow": true}
  ]}],
  "anonymousGroup": "anonymous"
}"#;
    Broker::with_dynsec(dynsec)
}

#[test]
fn subscription_denied_exits_4_on_mqtt5_and_311() {
    let broker = broker_refusing_subscriptions();
    let port = broker.port;
    for (version, code) in [("5", "0x87"), ("311", "0x80"), ("auto", "0x87")] {
        let (out, elapsed) = run_timed(
            mqrr()
                .args(broker_args(port))
                .args(["-V", version, "-t", "req", "-e", "secret", "-W", "10s"])
                .timeout(Duration::from_secs(15)),
        );
        assert_failure(
            &out,
            4,
            &["subscription", "secret", code, &format!("127.0.0.1:{port}")],
        );
        assert!(
            elapsed < Duration::from_secs(2),
            "-V {version}: {elapsed:?}"
        );
    }
    // The control: the allowed filter subscribes and then waits for a reply.
    let out = mqrr()
        .args(req_args("127.0.0.1", port, "300ms"))
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    assert_failure(&out, 27, &["resp"]);
}

// ---------------------------------------------------------------------------
// 6: TLS.

/// A test CA that signs leaf certificates.
struct Ca {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        Ca {
            issuer: rcgen::CertifiedIssuer::self_signed(params, key).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// (certificate PEM, private key PEM) for `cn`, valid for `names`.
    fn leaf(&self, cn: &str, names: &[&str]) -> (String, String) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// A mosquitto whose main listener speaks TLS with a `localhost`-only
/// certificate from `ca`, plus a plain listener for its echo responder on
/// `req`.
struct TlsBroker {
    port: u16,
    echo: Responder,
    files: tempfile::TempDir,
    _broker: Broker,
}

impl TlsBroker {
    fn start(ca: &Ca, require_client_cert: bool) -> TlsBroker {
        let files = tempfile::tempdir().unwrap();
        let (cert, key) = ca.leaf("localhost", &["localhost"]);
        std::fs::write(files.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(files.path().join("server.pem"), cert).unwrap();
        std::fs::write(files.path().join("server.key"), key).unwrap();
        let plain = free_port();
        let d = files.path().display();
        let broker = Broker::with_config(&format!(
            "user root\nallow_anonymous true\ncafile {d}/ca.pem\ncertfile {d}/server.pem\n\
             keyfile {d}/server.key\nrequire_certificate {require_client_cert}\n\
             listener {plain} 127.0.0.1\n"
        ));
        assert!(
            listening(plain, Duration::from_secs(10)),
            "nothing listens on {plain}"
        );
        TlsBroker {
            port: broker.port,
            echo: Responder::echo(plain, "req", "resp"),
            files,
            _broker: broker,
        }
    }

    fn file(&self, name: &str) -> String {
        self.files.path().join(name).to_str().unwrap().to_string()
    }

    fn write(&self, name: &str, content: &str) -> String {
        std::fs::write(self.files.path().join(name), content).unwrap();
        self.file(name)
    }
}

/// `mqrr -h HOST -p PORT`, the request of the TLS tests, then `extra`.
fn tls_request(host: &str, port: u16, extra: &[&str]) -> std::process::Output {
    tls_run(&["-h", host, "-p", &port.to_string()], extra)
}

/// The request of the TLS tests to the broker named by `to` (`-L URL`, or
/// `-h HOST -p PORT`), then `extra`.
fn tls_run(to: &[&str], extra: &[&str]) -> std::process::Output {
    mqrr()
        .args(to)
        .args(["-t", "req", "-e", "resp", "-m", "over-tls", "-W", "5s"])
        .args(extra)
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap()
}

fn assert_reply(out: &std::process::Output, want: &str) {
    assert_eq!(out.status.code(), Some(0), "{}", describe(out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        want,
        "{}",
        describe(out)
    );
    assert_no_panic(out);
}

#[test]
fn tls_with_the_right_ca_and_host_name_works() {
    let ca = Ca::new("mqrr test CA");
    let tls = TlsBroker::start(&ca, false);
    let cafile = tls.file("ca.pem");
    let out = tls_request("localhost", tls.port, &["--cafile", &cafile]);
    assert_reply(&out, "over-tls\n");
}

#[test]
fn tls_host_name_mismatch_exits_3_unless_insecure() {
    let ca = Ca::new("mqrr test CA");
    let tls = TlsBroker::start(&ca, false);
    let cafile = tls.file("ca.pem");
    let port = tls.port;
    let out = tls_request("127.0.0.1", port, &["--cafile", &cafile]);
    assert_failure(&out, 3, &[&format!("127.0.0.1:{port}")]);
    assert_eq!(
        tls.echo.requests_seen(),
        0,
        "request went out over an unverified link"
    );

    let out = tls_request("127.0.0.1", port, &["--cafile", &cafile, "--insecure"]);
    assert_reply(&out, "over-tls\n");
}

#[test]
fn tls_with_an_untrusted_ca_exits_3_unless_insecure() {
    let ca = Ca::new("mqrr test CA");
    let tls = TlsBroker::start(&ca, false);
    let other = tls.write("other-ca.pem", &Ca::new("someone else's CA").pem());
    let port = tls.port;
    let out = tls_request("localhost", port, &["--cafile", &other]);
    assert_failure(&out, 3, &[&format!("localhost:{port}")]);

    let out = tls_request("localhost", port, &["--cafile", &other, "--insecure"]);
    assert_reply(&out, "over-tls\n");

    // Without --cafile an mqtts:// URL trusts the system store, which has
    // never heard of the test CA.
    let url = format!("mqtts://localhost:{port}");
    let out = tls_run(&["-L", &url], &[]);
    assert_failure(&out, 3, &[&format!("localhost:{port}")]);
    let out = tls_run(&["-L", &url], &["--insecure"]);
    assert_reply(&out, "over-tls\n");
}

#[test]
fn tls_broker_requiring_a_client_cert_refuses_without_one_and_accepts_ours() {
    let ca = Ca::new("mqrr test CA");
    let tls = TlsBroker::start(&ca, true);
    let cafile = tls.file("ca.pem");
    let port = tls.port;

    let out = tls_request("localhost", port, &["--cafile", &cafile]);
    assert_failure(&out, 3, &[&format!("localhost:{port}")]);

    // A certificate from another CA is refused too.
    let stranger = Ca::new("stranger CA");
    let (cert, key) = stranger.leaf("mallory", &[]);
    let (cert, key) = (tls.write("bad.pem", &cert), tls.write("bad.key", &key));
    let out = tls_request(
        "localhost",
        port,
        &["--cafile", &cafile, "--cert", &cert, "--key", &key],
    );
    assert_failure(&out, 3, &[&format!("localhost:{port}")]);

    let (cert, key) = ca.leaf("mqrr client", &[]);
    let (cert, key) = (
        tls.write("client.pem", &cert),
        tls.write("client.key", &key),
    );
    let out = tls_request(
        "localhost",
        port,
        &["--cafile", &cafile, "--cert", &cert, "--key", &key],
    );
    assert_reply(&out, "over-tls\n");
}

// ---------------------------------------------------------------------------
// 7: signals end the wait with a clean DISCONNECT.

fn signal_ends_wait_cleanly(signal: &str, code: i32) {
    let broker = Broker::logging();
    let id = format!("mqrr-sig{signal}-{}", free_port());
    let mut args = req_args("127.0.0.1", broker.port, "20s");
    args.extend(["-i".to_string(), id.clone()]);
    let run = Running::spawn_until("SUBACK", &args);
    let pid = run.pid();
    let (out, elapsed) = run.finish_after(|| send_signal(pid, signal), Duration::from_secs(10));
    assert_signal_exit(&out, code, elapsed);

    // mosquitto 2.0.11 logs "Received DISCONNECT from ID" then "Client ID
    // disconnected." for a DISCONNECT packet; a dropped socket is "Client
    // ID closed its connection.", keep-alive expiry "has exceeded timeout".
    let gone = wait_until(Duration::from_secs(5), || {
        let log = broker.log();
        log.contains(&format!("Client {id} disconnected"))
            || log.contains(&format!("Client {id} closed its connection"))
            || log.contains(&format!("Client {id} has exceeded timeout"))
    });
    let log = broker.log();
    assert!(gone, "broker never saw {id} go: {log}");
    assert!(
        log.contains(&format!("Received DISCONNECT from {id}")),
        "no DISCONNECT packet: {log}"
    );
    assert!(log.contains(&format!("Client {id} disconnected.")), "{log}");
    assert!(
        !log.contains(&format!("Client {id} closed its connection")),
        "{log}"
    );
}

#[test]
fn sigint_while_waiting_exits_130_after_a_clean_disconnect() {
    signal_ends_wait_cleanly("INT", 130);
}

#[test]
fn sigterm_while_waiting_exits_143_after_a_clean_disconnect() {
    signal_ends_wait_cleanly("TERM", 143);
}

// ---------------------------------------------------------------------------
// 8–10: load.

#[test]
fn fifty_concurrent_requests_on_shared_topics_each_get_their_own_reply() {
    const N: usize = 50;
    let broker = Broker::start();
    // Hold every reply until all N requests are in, then answer newest
    // first: each mqrr is waiting while 49 replies for others go by.
    let held = Mutex::new(Vec::new());
    let _r = Responder::start(broker.port, "req", true, move |req| {
        let props = req.msg.properties();
        let mut held = held.lock().unwrap();
        held.push(Reply {
            correlation: props.get_binary(paho_mqtt::PropertyCode::CorrelationData),
            ..Reply::to(
                &props
                    .get_string(paho_mqtt::PropertyCode::ResponseTopic)
                    .unwrap_or_else(|| "resp".into()),
                req.payload.to_vec(),
            )
        });
        if held.len() < N {
            return Vec::new();
        }
        held.drain(..).rev().collect()
    });
    let children: Vec<(usize, std::process::Child)> = (0..N)
        .map(|n| {
            let child = spawn_piped(
                mqrr_std()
                    .args(["-V", "5"])
                    .args(req_args("127.0.0.1", broker.port, "30s"))
                    .args(["-m", &format!("msg-{n}")]),
            );
            (n, child)
        })
        .collect();
    for (n, child) in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "msg-{n}: {}", describe(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("msg-{n}\n"),
            "msg-{n}: {}",
            describe(&out)
        );
        assert!(out.stderr.is_empty(), "msg-{n}: {}", describe(&out));
    }
}

/// Deterministic bytes covering every value, no compressible runs.
fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = SplitMix64(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn sixteen_mib_binary_payload_round_trips_byte_exact() {
    let broker = Broker::start();
    let _r = Responder::echo(broker.port, "req", "resp");
    let payload = pseudo_random_bytes(16 * 1024 * 1024, 0x5eed);
    let file = temp_file(&payload);
    let out = mqrr()
        .args(req_args("127.0.0.1", broker.port, "60s"))
        .args(["-N", "--file"])
        .arg(file.path())
        .timeout(Duration::from_secs(90))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), payload.len());
    assert!(out.stdout == payload, "payload changed in transit");
    assert!(out.stderr.is_empty());
}

#[test]
fn twenty_thousand_non_matching_messages_then_the_match_in_bounded_memory() {
    const NOISE: usize = 20_000;
    // Each noise message is 2 KiB: 40 MiB in all, so keeping them would
    // break the 64 MiB bound below. mosquitto drops messages beyond 1000
    // queued for a slow client (a debug build on a loaded machine is one);
    // then fewer than NOISE would reach mqrr.
    let broker = Broker::with_config("allow_anonymous true\nmax_queued_messages 100000\n");
    let _r = Responder::start(broker.port, "req", true, |req| {
        let topic = req
            .msg
            .properties()
            .get_string(paho_mqtt::PropertyCode::ResponseTopic)
            .unwrap_or_else(|| "resp".into());
        let filler = "x".repeat(2048);
        let mut replies: Vec<Reply> = (0..NOISE)
            .map(|i| Reply::to(&topic, format!("noise-{i:05}-{filler}")))
            .collect();
        replies.push(Reply::to(&topic, "match-ok"));
        replies
    });
    assert!(Path::new("/usr/bin/time").exists(), "apt-get install time");
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "maxrss-kib=%M"])
        .arg(assert_cmd::cargo::cargo_bin("mqrr"))
        .args(req_args("127.0.0.1", broker.port, "60s"))
        .args(["-r", "^match", "--debug"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "match\n");
    // The trace proves the noise really went through the matcher.
    let skipped = stderr.lines().filter(|l| l.ends_with(": no match")).count();
    assert_eq!(skipped, NOISE, "non-matching messages seen");
    let rss_kib: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss-kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS from /usr/bin/time: {stderr}"));
    assert!(rss_kib < 64 * 1024, "peak RSS {rss_kib} KiB");
}

// ---------------------------------------------------------------------------
// 11–12: hostile surroundings.

#[test]
fn stdout_closed_early_ends_quietly() {
    let broker = Broker::start();
    let _r = Responder::echo(broker.port, "req", "resp");
    // 1 MiB: more than a pipe holds, so the write meets the closed pipe.
    let file = temp_file(&pseudo_random_bytes(1024 * 1024, 7));
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"{ "$@"; echo "mqrr-status=$?" >&2; } | head -c0"#)
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("mqrr"))
        .args(req_args("127.0.0.1", broker.port, "10s"))
        .arg("--file")
        .arg(file.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_panic(&out);
    assert_eq!(stderr.trim_end(), "mqrr-status=0", "{stderr}");

    // The same with mqrr's own status visible: the closed pipe is not an error.
    let mut child = spawn_piped(
        mqrr_std()
            .args(req_args("127.0.0.1", broker.port, "10s"))
            .arg("--file")
            .arg(file.path()),
    );
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));
}

#[test]
fn stderr_nobody_reads_never_panics() {
    // Each diagnostic path meets a pipe whose reader is gone (EPIPE):
    // a usage error, a timeout, --debug lines, a mosquitto personality's
    // usage error. The exit status is what it would have been.
    let broker = Broker::start();
    let port = broker.port.to_string();
    let dir = tempfile::tempdir().unwrap();
    let rr = dir.path().join("mosquitto_rr");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("mqrr"), &rr).unwrap();
    let cases: [(Vec<&str>, i32); 4] = [
        (vec!["--no-such-option"], 2),
        (
            vec!["-p", &port, "-t", "req", "-e", "resp", "-W", "200ms"],
            27,
        ),
        (
            vec![
                "-p", &port, "-t", "req", "-e", "resp", "-W", "200ms", "--debug",
            ],
            27,
        ),
        (
            vec![
                "sub", "-p", &port, "-t", "a", "-W", "200ms", "-C", "1", "--debug",
            ],
            27,
        ),
    ];
    for (args, code) in cases {
        let mut cmd = mqrr_std();
        cmd.args(&args).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
    let mut child = std::process::Command::new(&rr)
        .arg("--no-such-option")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

/// splitmix64: a fixed seed gives the same "random" command lines each run.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// One random command line. Half are garbage (any flag, any value, stray
/// words); half are well-formed options picked at most once each with
/// plausible values, so the fuzz also gets past parsing into the connect
/// code. Hosts stay on this machine.
fn random_args(rng: &mut SplitMix64, files: &[String]) -> Vec<String> {
    if rng.below(2) == 0 {
        garbage_args(rng, files)
    } else {
        plausible_args(rng, files)
    }
}

fn garbage_args(rng: &mut SplitMix64, files: &[String]) -> Vec<String> {
    const FLAGS_WITH_VALUE: &[&str] = &[
        "-t",
        "-e",
        "-m",
        "-q",
        "-W",
        "--resend",
        "-C",
        "-V",
        "-j",
        "-r",
        "-f",
        "-d",
        "-u",
        "-P",
        "-i",
        "-I",
        "-k",
        "--correlation",
        "--user-property",
        "--tls-version",
        "--tls-alpn",
        "--topic",
        "--response-topic",
        "--json",
        "--regex",
        "--fields",
        "--delimiter",
        "--timeout",
        "--count",
        "--protocol",
        "--keepalive",
        "--message",
        "--id",
    ];
    const FLAGS_WITH_PATH: &[&str] = &[
        "--file",
        "--password-file",
        "--cafile",
        "--capath",
        "--cert",
        "--key",
        "--unix",
    ];
    const SWITCHES: &[&str] = &[
        "-n",
        "-N",
        "-v",
        "--retained",
        "--insecure",
        "--debug",
        "--quiet",
        "--verbose",
        "--null-message",
        "-s",
        "--stdin",
        "--help",
        "--version",
        "-h",
        "-p",
        "-L",
        "--",
        "-",
        "-x",
        "--nope",
        "-WW",
        "-qq",
    ];
    let mut args: Vec<String> = Vec::new();
    for _ in 0..rng.below(9) {
        match rng.below(10) {
            0..=4 => {
                args.push(rng.pick(FLAGS_WITH_VALUE).into());
                let v = if rng.below(4) == 0 {
                    "x".repeat(rng.below(70_000))
                } else {
                    rng.pick(GARBAGE).into()
                };
                args.push(v);
            }
            5 => {
                args.push(rng.pick(FLAGS_WITH_PATH).into());
                args.push(files[rng.below(files.len())].clone());
            }
            6..=7 => args.push(rng.pick(SWITCHES).into()),
            8 => args.push(rng.pick(GARBAGE).into()),
            _ => {
                args.push(rng.pick(&["-h", "--host"]).into());
                args.push(
                    rng.pick(&["127.0.0.1", "localhost", "::1", "[::1]", ""])
                        .into(),
                );
            }
        }
    }
    if rng.below(3) != 0 {
        args.extend(["-t".into(), "req".into(), "-e".into(), "resp".into()]);
    }
    args
}

const GARBAGE: &[&str] = &[
    "",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "5",
    "311",
    "3.1.1",
    "mqttv5",
    "auto",
    "4",
    "500ms",
    "1m30s",
    "300ms",
    "NaN",
    "inf",
    "1e300",
    "18446744073709551616",
    "65535",
    "65536",
    "a/b",
    "a/+",
    "#",
    "+/#",
    "a/#/b",
    "résumé/ü",
    "🦀",
    "x=y",
    "=",
    "k=",
    "/data/0",
    "~2",
    "/a~",
    "(",
    "[",
    "^match",
    "(?P<x>",
    "\\",
    "1-",
    "-3",
    "2-1",
    "1,,2",
    "a-b",
    ",",
    "::",
    "strict",
    "off",
    "tlsv1.2",
    "tlsv1.3",
    "tlsv9",
    "%s%n",
    "\u{7}\u{1b}[31m",
    "-",
    "--",
    "127.0.0.1",
    "localhost",
    "mqtt://127.0.0.1",
    "unix:///nonexistent/socket",
    "ws://127.0.0.1:1/x",
    "http://x",
    "mqtt://:0",
];

fn plausible_args(rng: &mut SplitMix64, files: &[String]) -> Vec<String> {
    // Mostly a valid value, now and then a bad one: one bad value per
    // command line is enough to stop it at the usage check.
    fn choose<'a>(rng: &mut SplitMix64, good: &[&'a str], bad: &[&'a str]) -> &'a str {
        if bad.is_empty() || rng.below(8) != 0 {
            rng.pick(good)
        } else {
            rng.pick(bad)
        }
    }
    let file = |rng: &mut SplitMix64| {
        let i = if rng.below(8) != 0 {
            0
        } else {
            rng.below(files.len())
        };
        files[i].clone()
    };
    let mut args: Vec<String> = vec!["-t".into(), "req".into(), "-e".into()];
    args.push(rng.pick(&["resp", "resp/+", "#", "a/b/#", "résumé"]).into());
    let mut push = |a: &[&str]| args.extend(a.iter().map(|s| s.to_string()));
    for group in 0..22 {
        if rng.below(4) != 0 {
            continue;
        }
        match group {
            0 => push(&[
                "-h",
                choose(rng, &["127.0.0.1", "localhost", "::1"], &["[::1]", ""]),
            ]),
            1 => push(&["-q", choose(rng, &["0", "1", "2"], &["3"])]),
            2 => push(&[
                "-V",
                choose(rng, &["5", "311", "auto", "mqttv311", "3.1.1"], &["4"]),
            ]),
            3 => match rng.below(4) {
                0 => push(&["-m", rng.pick(GARBAGE)]),
                1 => push(&["-n"]),
                2 => push(&["-s"]),
                _ => push(&["--file", &file(rng)]),
            },
            4 => push(&[
                "-r",
                choose(rng, &["^match", "(\\d+)", "x"], &["(", "a{99999999}"]),
            ]),
            5 => push(&["-j", choose(rng, &["/data/0", "", "/a~1b"], &["~", "x"])]),
            6 => push(&["-f", choose(rng, &["2-", "1,3", "-2"], &["0", "3-1"])]),
            7 => push(&["-d", choose(rng, &[",", "::", " "], &[""])]),
            8 => push(&["--resend", choose(rng, &["100ms", "1"], &["0", "junk"])]),
            9 => push(&["-C", choose(rng, &["0", "1", "3"], &["4294967296"])]),
            10 => push(&["--retained"]),
            11 => push(&["--correlation", rng.pick(&["auto", "strict", "off"])]),
            12 => push(&[
                "--user-property",
                choose(rng, &["a=b", "k="], &["=v", "noequals"]),
            ]),
            13 => match rng.below(2) {
                0 => push(&["-u", "bob", "-P", rng.pick(&["pw", "", "🦀"])]),
                _ => push(&["-u", "bob", "--password-file", &file(rng)]),
            },
            14 => push(&["-i", choose(rng, &["fixed-id", "🦀", "a b"], &[""])]),
            15 => push(&["--cafile", &file(rng)]),
            16 => push(&["--cert", &file(rng), "--key", &file(rng)]),
            17 => push(&["--insecure"]),
            18 => push(&[rng.pick(&["-N", "-v", "--debug", "--quiet"])]),
            19 => push(&["-k", choose(rng, &["0", "1", "65535"], &["65536"])]),
            20 => push(&["--tls-alpn", rng.pick(&["mqtt", "x-amzn-mqtt-ca", ""])]),
            _ => push(&["--tls-version", rng.pick(&["tlsv1.2", "tlsv1.3"])]),
        }
    }
    args
}

#[test]
fn hundreds_of_random_command_lines_never_panic_or_hang() {
    const CASES: usize = 300;
    const THREADS: usize = 6;
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("text");
    std::fs::write(&text, "hello\n").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let files: Vec<String> = [
        text.to_str().unwrap(),
        empty.to_str().unwrap(),
        dir.path().to_str().unwrap(),
        "/nonexistent/file",
        "",
        "/dev/null",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();

    let mut rng = SplitMix64(0x6d71_7272_0000_0012);
    let nobody = free_port().to_string();
    // A third of the cases meet a server that accepts and never answers,
    // so the CONNACK (and TLS handshake) waits are fuzzed too: exit 27.
    let silent = SilentServer::start();
    let silent = silent.port.to_string();
    let cases: Vec<Vec<String>> = (0..CASES)
        .map(|_| {
            let mut args = Vec::new();
            // Sometimes a subcommand; `serve` has no -W, so it only meets
            // the closed port, where its first connect fails at once.
            let sub = match rng.below(10) {
                0 => Some(rng.pick(&["serve", "c8y-token", "help", "frobnicate"])),
                _ => None,
            };
            args.extend(sub.map(String::from));
            let port = if sub != Some("serve") && rng.below(3) == 0 {
                &silent
            } else {
                &nobody
            };
            args.extend(["-p".to_string(), port.clone()]);
            if sub != Some("serve") {
                args.extend(["-W".to_string(), "300ms".to_string()]);
            }
            args.extend(random_args(&mut rng, &files));
            args
        })
        .collect();
    let cases = Arc::new(Mutex::new(cases.into_iter().enumerate()));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (cases, failures) = (cases.clone(), failures.clone());
            let tedge = dir.path().join("no-tedge");
            std::thread::spawn(move || {
                loop {
                    let Some((i, args)) = cases.lock().unwrap().next() else {
                        break;
                    };
                    if let Some(why) = run_one(&args, &tedge) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("case {i} {args:?}: {why}"));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {CASES} failed:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| f.chars().take(600).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Runs one fuzz case; `Some(reason)` when it broke a rule.
fn run_one(args: &[String], tedge: &Path) -> Option<String> {
    let started = Instant::now();
    let mut child = spawn_piped(mqrr_std().args(args).env("TEDGE_CONFIG_DIR", tedge));
    let (mut so, mut se) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let mut status = None;
    let done = wait_until(Duration::from_secs(5), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    if !done {
        let _ = child.kill();
        let _ = child.wait();
        return Some(format!("still running after {:?}", started.elapsed()));
    }
    let out = std::process::Output {
        status: status.unwrap(),
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    };
    let text = describe(&out);
    if text.contains("panicked") || text.contains("RUST_BACKTRACE") {
        return Some(format!("panic: {text}"));
    }
    let help = args
        .iter()
        .any(|a| a == "--help" || a == "--version" || a == "help");
    let code = out.status.code();
    if let (Some(0), true) = (code, help) {
        // --help/--version print and exit 0 when they win the parse.
        return None;
    }
    if !matches!(code, Some(1 | 2 | 3 | 27)) {
        return Some(format!("unexpected exit: {text}"));
    }
    if !out.stdout.is_empty() {
        return Some(format!("stdout on failure: {text}"));
    }
    // One `mqrr: ` line, unless --quiet or --debug changes the count.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let quiet_or_debug = args.iter().any(|a| a == "--quiet" || a == "--debug");
    if !quiet_or_debug && (stderr.lines().count() != 1 || !stderr.starts_with("mqrr: ")) {
        return Some(format!("not one `mqrr: ` line: {text}"));
    }
    None
}

// ---------------------------------------------------------------------------
// Deadlines that are what they say, big payloads in proportion (issue #11).

#[test]
fn a_payload_file_that_is_a_fifo_is_read_under_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("req.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    // Nobody ever writes: the deadline, not the FIFO, ends the run.
    let port = free_port().to_string();
    let (out, took) = run_timed(
        mqrr()
            .args(["-p", &port, "-t", "a", "-e", "b", "-W", "500ms", "--file"])
            .arg(&fifo)
            .timeout(Duration::from_secs(10)),
    );
    assert_failure(&out, 27, &["--file", "still open after 500ms"]);
    assert!(took < Duration::from_secs(3), "{took:?}");

    // With a writer, what it writes is the request.
    let broker = Broker::start();
    let _r = Responder::echo(broker.port, "req", "resp");
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        std::fs::write(writer_path, b"from the fifo").unwrap();
    });
    let out = mqrr()
        .args(req_args("127.0.0.1", broker.port, "10s"))
        .arg("--file")
        .arg(&fifo)
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap();
    writer.join().unwrap();
    assert_prints(out, "from the fifo\n");
}

#[test]
fn w0_waits_for_the_connack_past_paho_s_hidden_30_s() {
    // A server that accepts TCP and never answers: with -W 0 mqrr must
    // still be waiting after Paho's old default of 30 s.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    // -V 5: with -V auto the MQTT 5 attempt gives way to 3.1.1 after 3 s
    // (a fresh connection, which then waits without a deadline too).
    let run = Running::spawn(&[
        "-p",
        &port.to_string(),
        "-t",
        "a",
        "-e",
        "b",
        "-W",
        "0",
        "-V",
        "5",
    ]);
    let mut conn = silent.accept().unwrap().0;
    let started = Instant::now();
    let mut buf = [0u8; 64];
    conn.set_read_timeout(Some(Duration::from_secs(33)))
        .unwrap();
    // Its CONNECT arrives, then nothing; a read error or EOF before 33 s
    // means mqrr gave up.
    let _ = conn.read(&mut buf);
    let n = conn.read(&mut buf);
    assert!(
        matches!(n, Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut),
        "mqrr closed the connection after {:?} ({n:?}): {}",
        started.elapsed(),
        run.stderr_text()
    );
    let pid = run.pid();
    let (out, _) = run.finish_after(|| send_signal(pid, "INT"), Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(130), "{}", out.stderr);
}

/// Peak RSS (KiB) of `args` run under GNU time.
fn peak_rss_kib(args: &[std::ffi::OsString]) -> (u64, std::process::Output) {
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("peak-rss-kib %M")
        .arg(assert_cmd::cargo::cargo_bin("mqrr"))
        .args(args)
        .env_remove("MQRR_HOST")
        .output()
        .expect("/usr/bin/time (apt-get install time)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    (kib, out)
}

#[test]
fn a_64_mib_request_peaks_at_about_twice_its_size() {
    let broker = Broker::start();
    let payload = pseudo_random_bytes(64 << 20, 0xb16);
    let file = temp_file(&payload);
    let mut args: Vec<std::ffi::OsString> = req_args("127.0.0.1", broker.port, "5s")
        .into_iter()
        .map(Into::into)
        .collect();
    args.extend(["-q".into(), "1".into(), "--file".into(), file.path().into()]);
    let (kib, out) = peak_rss_kib(&args);
    // Nobody answers; what matters is that the request was sent whole.
    assert_eq!(out.status.code(), Some(27), "{}", describe(&out));
    let payload_kib = (64 << 20) / 1024;
    // Our buffer and Paho's one copy, plus the process itself.
    assert!(
        kib < payload_kib * 2 + 16 * 1024,
        "peak RSS {kib} KiB for a {payload_kib} KiB request"
    );
}

#[test]
fn serve_echoes_a_32_mib_request_in_time() {
    // It used to fail with "not acknowledged in time": Paho C wrote a large
    // packet one socket buffer per second (about 8 s for 32 MiB, twice:
    // request and reply). The debug build takes about 2.7 s now.
    let broker = Broker::start();
    let port = broker.port.to_string();
    let server = Running::spawn(&["serve", "-p", &port, "-t", "big/req", "--echo", "-C", "1"]);
    assert!(
        server.wait_for_debug("serving", Duration::from_secs(10)),
        "{}",
        server.stderr_text()
    );
    let payload = pseudo_random_bytes(32 << 20, 0xec40);
    let file = temp_file(&payload);
    let out = mqrr()
        .args([
            "-p", &port, "-t", "big/req", "-e", "big/resp", "-N", "-W", "10s", "--file",
        ])
        .arg(file.path())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout == payload, "the reply differs from the request");
    let served = server.finish(Duration::from_secs(10));
    assert_eq!(served.status.code(), Some(0), "{}", served.stderr);
}
