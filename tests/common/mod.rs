//! Real parts for the integration tests: a mosquitto (or nats-server) on a
//! free port that dies with its owner, a paho responder, `mqrr()`, and the
//! checks every test file makes of a run (`assert_prints`,
//! `assert_exit_line`, `assert_failure`).
//!
//! Every wait here is a condition polled with a bound, never a fixed nap.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use assert_cmd::assert::{Assert, OutputAssertExt};
use paho_mqtt as mqtt;

pub mod chaos;
pub mod fake_broker;
pub mod proxy;

/// Variables that would change what mqrr connects to; no test inherits them.
const AMBIENT_ENV: [&str; 6] = [
    "MQRR_HOST",
    "MQRR_PORT",
    "MQRR_URL",
    "MQRR_USERNAME",
    "MQRR_PASSWORD",
    "TEDGE_CONFIG_DIR",
];

/// The mqrr binary under test.
pub fn mqrr() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("mqrr").expect("mqrr binary");
    for var in AMBIENT_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// The mqrr binary as a std Command, for processes the test must signal or
/// run many of at once.
pub fn mqrr_std() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("mqrr"));
    for var in AMBIENT_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// A port nobody listens on right now (never 1883).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().unwrap().port()
}

/// Polls until something accepts TCP connections on 127.0.0.1:`port`, or
/// `bound` passes.
pub fn listening(port: u16, bound: Duration) -> bool {
    wait_until(bound, || TcpStream::connect(("127.0.0.1", port)).is_ok())
}

/// Polls `cond` every few milliseconds until it holds or `bound` passes.
pub fn wait_until(bound: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + bound;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

fn sbin(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    PathBuf::from(name)
}

/// Starts the server `program` (`mosquitto`, `nats-server`: the Debian
/// package has the same name) with `-c conf` and `env` added to its
/// environment, its output thrown away.
fn start_server(program: &str, conf: &Path, env: &[(String, String)]) -> Child {
    Command::new(sbin(program))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("-c")
        .arg(conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {program} (apt-get install {program}): {e}"))
}

/// A mosquitto on 127.0.0.1 and a free port, killed on Drop.
pub struct Broker {
    pub port: u16,
    pub dir: tempfile::TempDir,
    extra: String,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Broker {
    /// Anonymous, plain TCP.
    pub fn start() -> Broker {
        Broker::with_config("allow_anonymous true\n")
    }

    /// `extra` is appended to the listener line; `{dir}` in it is replaced
    /// with the broker's temp directory (for ACL, password, cert files).
    pub fn with_config(extra: &str) -> Broker {
        Broker::with_files(&[], extra)
    }

    /// Like `with_config`, but first writes `files` (name, content) into the
    /// broker's directory, for configs that name them (`{dir}/acl`).
    pub fn with_files(files: &[(&str, &[u8])], extra: &str) -> Broker {
        Broker::with_env(files, extra, &[])
    }

    /// A broker whose access rules come from mosquitto 2.0's dynamic
    /// security plugin, configured by `dynsec` (its JSON file). The plugin,
    /// not `acl_file`, is what refuses a SUBSCRIBE or answers a PUBLISH
    /// with a negative PUBACK.
    pub fn with_dynsec(dynsec: &[u8]) -> Broker {
        let plugin = [
            "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
            "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
            "/usr/lib/mosquitto_dynamic_security.so",
            "/usr/local/lib/mosquitto_dynamic_security.so",
        ]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("mosquitto_dynamic_security.so (ships with mosquitto 2.0)");
        Broker::with_files(
            &[("dynsec.json", dynsec)],
            &format!(
                "user root\nallow_anonymous true\nplugin {plugin}\n\
                 plugin_opt_config_file {{dir}}/dynsec.json\n"
            ),
        )
    }

    /// Like `with_files`, with `env` (`{dir}` replaced as in `extra`) added
    /// to mosquitto's environment: `OPENSSL_CONF` caps what its TLS
    /// listeners speak where mosquitto's own options cannot.
    pub fn with_env(files: &[(&str, &[u8])], extra: &str, env: &[(&str, &str)]) -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        let d = dir.path().to_str().unwrap();
        let extra = extra.replace("{dir}", d);
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.replace("{dir}", d)))
            .collect();
        let mut b = Broker {
            port: free_port(),
            dir,
            extra,
            env,
            child: None,
        };
        b.spawn();
        b
    }

    /// A broker that refuses anonymous clients and knows `users` (name,
    /// password), from a password file made with mosquitto_passwd.
    pub fn with_passwords(users: &[(&str, &str)]) -> Broker {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("passwd");
        for (i, (user, pass)) in users.iter().enumerate() {
            let mut cmd = Command::new("mosquitto_passwd");
            cmd.arg("-b");
            if i == 0 {
                cmd.arg("-c");
            }
            let status = cmd
                .arg(&file)
                .args([user, pass])
                .status()
                .expect("mosquitto_passwd (apt-get install mosquitto)");
            assert!(status.success(), "mosquitto_passwd failed");
        }
        let passwd = std::fs::read(&file).unwrap();
        Broker::with_files(
            &[("passwd", &passwd)],
            // `user root`: mosquitto drops to user mosquitto otherwise, which
            // cannot read a root-owned 0700 temp dir.
            "user root\nallow_anonymous false\npassword_file {dir}/passwd\n",
        )
    }

    /// A broker that logs every client's connect and disconnect to `{dir}/log`
    /// (see `log`). Run as root, mosquitto drops to its own user and can no
    /// longer open a file in our temp directory; `user root` keeps it (and is
    /// ignored when not root).
    pub fn logging() -> Broker {
        Broker::with_config(
            "allow_anonymous true\nuser root\nlog_dest file {dir}/log\nlog_type all\nconnection_messages true\n",
        )
    }

    /// What a `logging` broker has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("log")).unwrap_or_default()
    }

    /// A file in the broker's directory (its path, whether or not it exists).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file into the broker's directory (before or after start).
    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    fn spawn(&mut self) {
        let conf = self.dir.path().join("mosquitto.conf");
        let text = format!(
            "listener {} 127.0.0.1\n{}\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n",
            self.port, self.extra
        );
        std::fs::write(&conf, text).unwrap();
        self.child = Some(start_server("mosquitto", &conf, &self.env));
        let port = self.port;
        assert!(
            listening(port, Duration::from_secs(10)),
            "mosquitto did not listen on {port}"
        );
    }

    /// Kills the broker (SIGKILL) and waits until the port is closed.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the broker again on the same port with the same config.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn port_arg(&self) -> String {
        self.port.to_string()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// nats-server with MQTT on (3.1.1 only: it refuses MQTT 5).
pub struct Nats {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl Nats {
    pub fn start() -> Nats {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("nats.conf");
        std::fs::write(
            &conf,
            format!(
                "server_name: mqrr_test\nlisten: 127.0.0.1:{}\njetstream {{ store_dir: \"{}\" }}\nmqtt {{ listen: \"127.0.0.1:{port}\" }}\n",
                free_port(),
                dir.path().join("js").display()
            ),
        )
        .unwrap();
        let child = start_server("nats-server", &conf, &[]);
        assert!(
            listening(port, Duration::from_secs(15)),
            "nats-server did not listen on {port}"
        );
        Nats { port, dir, child }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test CA, and a `localhost` certificate it signed (ECDSA P-256 keys,
/// rcgen's default), in `dir`: `ca.pem`, `server.pem`, `server.key`.
pub fn test_ca(dir: &Path) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mqrr test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
}

/// A request as the responder saw it.
pub struct Request<'a> {
    pub topic: &'a str,
    pub payload: &'a [u8],
    pub msg: &'a mqtt::Message,
}

/// What a responder sends back for one request.
pub struct Reply {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retained: bool,
    pub qos: i32,
    /// `None`: copy the request's correlation data (if any).
    pub correlation: Option<Vec<u8>>,
}

impl Reply {
    pub fn to(topic: &str, payload: impl Into<Vec<u8>>) -> Reply {
        Reply {
            topic: topic.to_string(),
            payload: payload.into(),
            retained: false,
            qos: 0,
            correlation: None,
        }
    }
}

/// A paho client in a thread that answers each request on `filter` with
/// the replies `handler` returns. Subscribed (SUBACK received) when
/// `start` returns.
pub struct Responder {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pub seen: Arc<std::sync::atomic::AtomicUsize>,
}

impl Responder {
    pub fn start<F>(port: u16, filter: &str, v5: bool, handler: F) -> Responder
    where
        F: Fn(&Request) -> Vec<Reply> + Send + 'static,
    {
        Responder::start_as(port, filter, v5, None, handler)
    }

    /// As `start`, logging in with `credentials` (user, password) when the
    /// broker refuses anonymous clients.
    pub fn start_as<F>(
        port: u16,
        filter: &str,
        v5: bool,
        credentials: Option<(&str, &str)>,
        handler: F,
    ) -> Responder
    where
        F: Fn(&Request) -> Vec<Reply> + Send + 'static,
    {
        let version = if v5 {
            mqtt::MQTT_VERSION_5
        } else {
            mqtt::MQTT_VERSION_3_1_1
        };
        let client = mqtt::Client::new(
            mqtt::CreateOptionsBuilder::new()
                .server_uri(format!("tcp://127.0.0.1:{port}"))
                .client_id(format!("responder-{}", free_port()))
                .mqtt_version(version)
                .persistence(None)
                .finalize(),
        )
        .expect("responder client");
        let rx = client.start_consuming();
        let mut opts = mqtt::ConnectOptionsBuilder::with_mqtt_version(version);
        // One of the two only: paho's clean_session() resets the version to
        // its 3.1.1 default, and a "v5" responder would speak 3.1.1.
        if v5 {
            opts.clean_start(true);
        } else {
            opts.clean_session(true);
        }
        if let Some((user, pass)) = credentials {
            opts.user_name(user).password(pass);
        }
        let opts = opts.finalize();
        client.connect(opts).expect("responder connect");
        client.subscribe(filter, 2).expect("responder subscribe");
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let Ok(Some(msg)) = rx.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                seen2.fetch_add(1, Ordering::SeqCst);
                let req = Request {
                    topic: msg.topic(),
                    payload: msg.payload(),
                    msg: &msg,
                };
                for reply in handler(&req) {
                    let mut props = mqtt::Properties::new();
                    let corr = reply.correlation.clone().or_else(|| {
                        msg.properties()
                            .get_binary(mqtt::PropertyCode::CorrelationData)
                    });
                    if let (true, Some(c)) = (v5, corr) {
                        props
                            .push_binary(mqtt::PropertyCode::CorrelationData, c)
                            .unwrap();
                    }
                    let m = mqtt::MessageBuilder::new()
                        .topic(&reply.topic)
                        .payload(reply.payload)
                        .qos(reply.qos)
                        .retained(reply.retained)
                        .properties(props)
                        .finalize();
                    let _ = client.publish(m);
                }
            }
            let _ = client.disconnect(None);
            // Paho's destructor joins its threads for ~1 s; a test helper
            // need not pay that.
            std::mem::forget(client);
        });
        Responder {
            stop,
            thread: Some(thread),
            seen,
        }
    }

    /// Echoes each request's payload to `reply_topic` (or its Response Topic).
    pub fn echo(port: u16, filter: &str, reply_topic: &str) -> Responder {
        Responder::echo_with(port, filter, reply_topic, None)
    }

    /// As `echo`, logging in with `user` and `pass`.
    pub fn echo_as(
        port: u16,
        filter: &str,
        reply_topic: &str,
        user: &str,
        pass: &str,
    ) -> Responder {
        Responder::echo_with(port, filter, reply_topic, Some((user, pass)))
    }

    fn echo_with(
        port: u16,
        filter: &str,
        reply_topic: &str,
        credentials: Option<(&str, &str)>,
    ) -> Responder {
        let reply_topic = reply_topic.to_string();
        Responder::start_as(port, filter, true, credentials, move |req| {
            let topic = req
                .msg
                .properties()
                .get_string(mqtt::PropertyCode::ResponseTopic)
                .unwrap_or_else(|| reply_topic.clone());
            vec![Reply::to(&topic, req.payload.to_vec())]
        })
    }

    pub fn requests_seen(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A message as a `Collector` saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: i32,
    pub retained: bool,
    pub correlation: Option<Vec<u8>>,
    pub response_topic: Option<String>,
    /// Every MQTT 5 property, `(identifier, value as text)`, in order.
    pub properties: Vec<(u8, String)>,
}

/// A paho client subscribed to a filter (SUBACK received when `start`
/// returns) that records every message it gets, for tests that check what
/// reached the broker.
pub struct Collector {
    /// Never dropped: Paho's destructor joins its threads for ~1 s.
    client: std::mem::ManuallyDrop<mqtt::Client>,
    seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl Collector {
    pub fn start(port: u16, filter: &str, v5: bool) -> Collector {
        Collector::start_qos(port, filter, v5, 2)
    }

    pub fn start_qos(port: u16, filter: &str, v5: bool, qos: i32) -> Collector {
        let version = if v5 {
            mqtt::MQTT_VERSION_5
        } else {
            mqtt::MQTT_VERSION_3_1_1
        };
        let client = mqtt::Client::new(
            mqtt::CreateOptionsBuilder::new()
                .server_uri(format!("tcp://127.0.0.1:{port}"))
                .client_id(format!("collector-{}", free_port()))
                .mqtt_version(version)
                .persistence(None)
                .max_buffered_messages(1_000_000)
                .finalize(),
        )
        .expect("collector client");
        let rx = client.start_consuming();
        let mut opts = mqtt::ConnectOptionsBuilder::with_mqtt_version(version);
        if v5 {
            opts.clean_start(true);
        } else {
            opts.clean_session(true);
        }
        client.connect(opts.finalize()).expect("collector connect");
        client.subscribe(filter, qos).expect("collector subscribe");
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let Ok(Some(m)) = rx.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                let props = m.properties();
                let mut properties = Vec::new();
                for code in [1u8, 2, 3, 8, 9, 0x0B, 0x23, 0x26] {
                    let Ok(code) = mqtt::PropertyCode::try_from(code as u32) else {
                        continue;
                    };
                    for p in props.iter(code) {
                        let text = p
                            .get_string_pair()
                            .map(|(k, v)| format!("{k}={v}"))
                            .or_else(|| p.get_string())
                            .or_else(|| p.get_binary().map(|b| format!("{b:02x?}")))
                            .or_else(|| p.get_int().map(|i| i.to_string()))
                            .unwrap_or_default();
                        properties.push((code as u8, text));
                    }
                }
                seen2.lock().unwrap().push(Seen {
                    topic: m.topic().to_string(),
                    payload: m.payload().to_vec(),
                    qos: m.qos() as i32,
                    retained: m.retained(),
                    correlation: props.get_binary(mqtt::PropertyCode::CorrelationData),
                    response_topic: props.get_string(mqtt::PropertyCode::ResponseTopic),
                    properties,
                });
            }
        });
        Collector {
            client: std::mem::ManuallyDrop::new(client),
            seen,
            thread: Some(thread),
            stop,
        }
    }

    /// Everything seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The payloads seen so far, as text.
    pub fn payloads(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
            .collect()
    }

    /// Waits (bounded) until at least `n` messages arrived; returns them.
    #[track_caller]
    pub fn wait_for(&self, n: usize, bound: Duration) -> Vec<Seen> {
        let ok = wait_until(bound, || self.seen.lock().unwrap().len() >= n);
        let seen = self.seen();
        assert!(ok, "expected {n} messages, got {}: {seen:?}", seen.len());
        seen
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = self.client.disconnect(None);
    }
}

/// `-h 127.0.0.1 -p PORT`: the test broker, in the words of mqrr and of the
/// mosquitto clients alike.
pub fn broker_args(port: u16) -> [String; 4] {
    [
        "-h".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.to_string(),
    ]
}

/// `mqrr -h 127.0.0.1 -p PORT -t TOPIC -e RESPONSE -m MSG -W TIMEOUT`.
pub fn request(
    port: u16,
    topic: &str,
    response: &str,
    msg: &str,
    timeout: &str,
) -> assert_cmd::Command {
    let mut cmd = mqrr();
    cmd.args(broker_args(port))
        .args(["-t", topic, "-e", response, "-m", msg, "-W", timeout]);
    cmd
}

/// Publishes with mosquitto_pub (a real third-party peer).
pub fn mosquitto_pub(port: u16, topic: &str, payload: &str, retained: bool) {
    let mut cmd = Command::new("mosquitto_pub");
    cmd.args(broker_args(port))
        .args(["-t", topic, "-m", payload]);
    if retained {
        cmd.arg("-r");
    }
    let status = cmd
        .status()
        .expect("mosquitto_pub (apt-get install mosquitto-clients)");
    assert!(status.success(), "mosquitto_pub failed");
}

/// Clears a retained message.
pub fn clear_retained(port: u16, topic: &str) {
    let status = Command::new("mosquitto_pub")
        .args(broker_args(port))
        .args(["-t", topic, "-r", "-n"])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Sends a signal (`TERM`, `INT`) with kill(1): the crate denies unsafe
/// code, tests included.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill(1)");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Writes `data` to a new temp file and returns it (kept alive by the handle).
pub fn temp_file(data: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(data).unwrap();
    f.flush().unwrap();
    f
}

/// Starts `cmd` with stdin closed and stdout and stderr piped back.
pub fn spawn_piped(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mqrr")
}

/// Runs `cmd` to its end: its output and how long it took.
pub fn run_timed(cmd: &mut assert_cmd::Command) -> (Output, Duration) {
    let started = Instant::now();
    let out = cmd.output().expect("run mqrr");
    (out, started.elapsed())
}

/// What the `assert_*` helpers take: a command still to run (owned or
/// borrowed), or the output of one that ran.
pub trait IntoAssert {
    fn into_assert(self) -> Assert;
}

impl IntoAssert for assert_cmd::Command {
    #[track_caller]
    fn into_assert(mut self) -> Assert {
        self.assert()
    }
}

impl IntoAssert for &mut assert_cmd::Command {
    #[track_caller]
    fn into_assert(self) -> Assert {
        self.assert()
    }
}

impl IntoAssert for Output {
    #[track_caller]
    fn into_assert(self) -> Assert {
        self.assert()
    }
}

/// Asserts a clean success: exit 0, exactly `stdout`, nothing on stderr.
#[track_caller]
pub fn assert_prints(run: impl IntoAssert, stdout: &str) -> Assert {
    run.into_assert()
        .code(0)
        .stdout(stdout.to_string())
        .stderr("")
}

/// Asserts exit `code`, nothing on stdout and exactly `line` on stderr.
#[track_caller]
pub fn assert_exit_line(run: impl IntoAssert, code: i32, line: &str) -> Assert {
    run.into_assert()
        .code(code)
        .stdout("")
        .stderr(line.to_string())
}

/// Text of a run for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts a failed run: exit `code`, nothing on stdout, one `mqrr: ` line
/// on stderr containing each of `needles`, and no panic.
#[track_caller]
pub fn assert_failure(out: &Output, code: i32, needles: &[&str]) {
    assert_failure_in("", out, code, needles);
}

/// As `assert_failure`, each message opening with `case` (which row of a
/// table failed).
#[track_caller]
pub fn assert_failure_in(case: &str, out: &Output, code: i32, needles: &[&str]) {
    let all = format!("{case}{}", describe(out));
    assert_eq!(out.status.code(), Some(code), "{all}");
    assert!(out.stdout.is_empty(), "stdout not empty: {all}");
    let stderr =
        std::str::from_utf8(&out.stderr).unwrap_or_else(|_| panic!("stderr is not UTF-8: {all}"));
    assert_eq!(stderr.lines().count(), 1, "not one stderr line: {all}");
    assert!(stderr.starts_with("mqrr: "), "{all}");
    assert!(stderr.ends_with('\n'), "{all}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}: {all}");
    }
    assert_no_panic(out);
}

/// Asserts that no output of a run mentions a panic.
pub fn assert_no_panic(output: &Output) {
    let all = [&output.stdout[..], &output.stderr[..]].concat();
    let text = String::from_utf8_lossy(&all);
    assert!(!text.contains("panicked"), "panic in output: {text}");
    assert!(!text.contains("RUST_BACKTRACE"), "panic in output: {text}");
}

/// An mqrr process started with `--debug`, whose stderr is collected by a
/// thread so the test can wait for a protocol step (e.g. the SUBACK) before
/// it breaks something.
pub struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    stdout: Arc<Mutex<Vec<u8>>>,
}

pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Running {
    /// `--debug` goes after a subcommand name, if `args` starts with one.
    pub fn spawn(args: &[impl AsRef<OsStr>]) -> Running {
        let subcommands = ["serve", "pub", "sub", "c8y-token", "tedge-cmd"];
        let split = match args.first() {
            Some(a) if subcommands.iter().any(|s| a.as_ref() == OsStr::new(s)) => 1,
            _ => 0,
        };
        let mut cmd = mqrr_std();
        cmd.args(&args[..split]).arg("--debug").args(&args[split..]);
        Running::spawn_exactly(&mut cmd)
    }

    /// As `spawn`, for a subcommand: `--debug` goes after its name
    /// (`mqrr SUBCOMMAND --debug ARGS`).
    pub fn spawn_sub(sub: &str, args: &[impl AsRef<OsStr>]) -> Running {
        Running::spawn_exactly(mqrr_std().args([sub, "--debug"]).args(args))
    }

    /// As `spawn_sub`, then waits (bounded) until the trace reaches `step`.
    pub fn spawn_sub_until(step: &str, sub: &str, args: &[impl AsRef<OsStr>]) -> Running {
        let run = Running::spawn_sub(sub, args);
        assert!(
            run.wait_for_debug(step, Duration::from_secs(10)),
            "no {step}: {}",
            run.stderr_text()
        );
        run
    }

    fn spawn_exactly(cmd: &mut Command) -> Running {
        let mut child = spawn_piped(cmd);
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (err_pipe, mut out_pipe) = (child.stderr.take().unwrap(), child.stdout.take().unwrap());
        let err_buf = stderr.clone();
        let out_buf = stdout.clone();
        let readers = vec![
            std::thread::spawn(move || {
                for line in BufReader::new(err_pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut s = err_buf.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            }),
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = out_pipe.read_to_end(&mut buf);
                *out_buf.lock().unwrap() = buf;
            }),
        ];
        Running {
            child,
            stderr,
            readers,
            stdout,
        }
    }

    /// As `spawn`, then waits (bounded) until the trace reaches `step`.
    pub fn spawn_until(step: &str, args: &[impl AsRef<OsStr>]) -> Running {
        let run = Running::spawn(args);
        assert!(
            run.wait_for_debug(step, Duration::from_secs(10)),
            "no {step}: {}",
            run.stderr_text()
        );
        run
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) until the `--debug` trace has a line for `step`
    /// (e.g. "SUBACK"), with or without a timestamp before it.
    pub fn wait_for_debug(&self, step: &str, bound: Duration) -> bool {
        wait_until(bound, || {
            self.stderr_text()
                .lines()
                .filter_map(debug_message)
                .any(|m| m.starts_with(step))
        })
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (bounded) for the exit; kills and fails on a hang.
    pub fn finish(mut self, bound: Duration) -> Finished {
        let mut status = None;
        let exited = wait_until(bound, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!(
                "mqrr still running after {bound:?}; stderr so far:\n{}",
                self.stderr_text()
            );
        }
        for r in self.readers.drain(..) {
            r.join().unwrap();
        }
        let stdout = std::mem::take(&mut *self.stdout.lock().unwrap());
        let stderr = std::mem::take(&mut *self.stderr.lock().unwrap());
        Finished {
            status: status.unwrap(),
            stdout,
            stderr,
        }
    }

    /// Does `act` (kills the broker, sends a signal), then `finish`es; also
    /// returns the time from `act` to the exit.
    pub fn finish_after(self, act: impl FnOnce(), bound: Duration) -> (Finished, Duration) {
        let started = Instant::now();
        act();
        let out = self.finish(bound);
        (out, started.elapsed())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed assertion must not leave mqrr running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The message of a `--debug` line, without the prefix and the optional
/// `12.345 ms` timestamp.
pub fn debug_message(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("mqrr: debug:")?.trim_start();
    let mut words = rest.splitn(3, ' ').filter(|w| !w.is_empty());
    match (words.next(), words.next()) {
        (Some(n), Some("ms")) if n.parse::<f64>().is_ok() => {
            Some(rest.split_once(" ms ").map_or("", |(_, m)| m.trim_start()))
        }
        _ => Some(rest),
    }
}
