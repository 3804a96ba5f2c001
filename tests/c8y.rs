//! `mqrr c8y-token` against a real mosquitto and a fake Cumulocity bridge:
//! a responder on `<prefix>/s/uat` that answers `71,<JWT>` on `<prefix>/s/dat`.
//!
//! Every run passes `--no-tedge-config` or points `TEDGE_CONFIG_DIR` at a
//! temp dir, so the machine's /etc/tedge never matters.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{Value, json};

use common::*;

const ISS: &str = "t12345.eu-latest.cumulocity.com";
const URL: &str = "https://t12345.eu-latest.cumulocity.com";

const HEALTH_MAPPER: &str = "te/device/main/service/tedge-mapper-bridge-c8y/status/health";
const HEALTH_MOSQUITTO: &str = "te/device/main/service/mosquitto-c8y-bridge/status/health";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims as Cumulocity issues them, issued 10 s ago, valid `valid_s` more.
fn claims_for(iss: &str, valid_s: i64, jti: &str) -> Value {
    let t = now();
    json!({
        "iss": iss,
        "ten": "t12345",
        "sub": "device_abc",
        "iat": t - 10,
        "exp": t + valid_s,
        "jti": jti,
        "tci": "0fd1fa4c-7e2b-4bd2-9c0c-7d1d1a6a7b3e",
    })
}

fn claims(valid_s: i64) -> Value {
    claims_for(ISS, valid_s, "3f2a9e55-1b7c-4a1e-8f3d-2c6b9d0e4a71")
}

/// A JWT with `claims` as its payload and a dummy signature (never checked).
fn jwt(claims: &Value) -> String {
    format!(
        "{}.{}.c2ln",
        b64(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    )
}

/// A request as the fake bridge saw it.
#[derive(Debug, Clone)]
struct Seen {
    topic: String,
    payload: Vec<u8>,
    qos: i32,
    retained: bool,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A fake bridge on `<prefix>/s/uat` answering each request with `replies`
/// on `<prefix>/s/dat`; it records what it saw.
fn bridge(port: u16, prefix: &str, v5: bool, replies: &[&str]) -> (Responder, Log) {
    let log: Log = Arc::default();
    let log2 = log.clone();
    let dat = format!("{prefix}/s/dat");
    let replies: Vec<String> = replies.iter().map(|s| s.to_string()).collect();
    let r = Responder::start(port, &format!("{prefix}/s/uat"), v5, move |req| {
        log2.lock().unwrap().push(Seen {
            topic: req.topic.to_string(),
            payload: req.payload.to_vec(),
            qos: req.msg.qos() as i32,
            retained: req.msg.retained(),
        });
        replies
            .iter()
            .map(|p| Reply::to(&dat, p.as_bytes()))
            .collect()
    });
    (r, log)
}

/// The usual fake bridge: v5, prefix `c8y`, one `71,<jwt>` per request.
fn token_bridge(port: u16, jwt: &str) -> Responder {
    bridge(port, "c8y", true, &[&format!("71,{jwt}")]).0
}

/// A fresh broker with the usual fake bridge handing out a token with
/// `claims`: (broker, token, bridge).
fn broker_with_token(claims: &Value) -> (Broker, String, Responder) {
    let broker = Broker::start();
    let token = jwt(claims);
    let bridge = token_bridge(broker.port, &token);
    (broker, token, bridge)
}

/// `mqrr c8y-token --no-tedge-config -h 127.0.0.1 -p PORT`.
fn c8y(port: u16) -> assert_cmd::Command {
    let mut cmd = mqrr();
    cmd.args(["c8y-token", "--no-tedge-config"])
        .args(broker_args(port));
    cmd
}

/// `mqrr c8y-token` reading tedge.toml from `dir` (no connection flags).
fn c8y_tedge(dir: &Path) -> assert_cmd::Command {
    let mut cmd = mqrr();
    cmd.env("TEDGE_CONFIG_DIR", dir).arg("c8y-token");
    cmd
}

/// Asserts a clean success that prints `token` and nothing else.
#[track_caller]
fn assert_prints_token(run: impl IntoAssert, token: &str) {
    assert_prints(run, &format!("{token}\n"));
}

/// Asserts exit 0 with nothing on stderr; returns stdout.
#[track_caller]
fn success_stdout(run: impl IntoAssert) -> String {
    let out = run.into_assert().success().stderr("").get_output().clone();
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Runs `c8y-token -W 1s` with `extra` where no token comes: exit 27,
/// nothing on stdout, no panic. Returns stderr.
fn times_out(port: u16, extra: &[&str]) -> String {
    let out = c8y(port)
        .args(extra)
        .args(["-W", "1s"])
        .assert()
        .code(27)
        .stdout("")
        .get_output()
        .clone();
    assert_no_panic(&out);
    String::from_utf8(out.stderr).expect("stderr is UTF-8")
}

/// `secs` since the epoch as RFC 3339 UTC (`2024-01-02T03:04:05Z`), computed
/// here rather than with the crate mqrr uses, so the two can disagree.
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Evaluates `-o env` output in sh and returns `$C8Y_TOKEN|$C8Y_URL|$C8Y_TENANT`.
fn eval_env(output: &str) -> String {
    let file = temp_file(output.as_bytes());
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"eval "$(cat "$1")"; printf %s "$C8Y_TOKEN|$C8Y_URL|$C8Y_TENANT""#)
        .arg("sh")
        .arg(file.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "sh failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn write_tedge_toml(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("tedge.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// A tedge.toml naming 127.0.0.1:`port` and the bridge prefix `edge`.
fn write_edge_tedge_toml(dir: &Path, port: u16) {
    write_tedge_toml(
        dir,
        &format!(
            "[mqtt.client]\nhost = \"127.0.0.1\"\nport = {port}\n\n[c8y.bridge]\ntopic_prefix = \"edge\"\n"
        ),
    );
}

/// A `--cache` file in a temp dir of its own, not yet written.
struct Cache {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Cache {
    fn new() -> Cache {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.cache");
        Cache { dir, path }
    }

    /// `--cache PATH`.
    fn args(&self) -> [&str; 2] {
        ["--cache", self.path.to_str().unwrap()]
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.path).expect("cache file written")
    }
}

/// With the broker on `port` gone, asserts that `--cache` with `extra` is
/// skipped: the run goes on to connect and fails with exit 3.
fn assert_cache_skipped(port: u16, cache: &Cache, extra: &[&str]) {
    c8y(port)
        .args(cache.args())
        .args(extra)
        .args(["-W", "5s"])
        .assert()
        .code(3)
        .stdout("");
}

/// Publishes a retained token of an earlier request on `c8y/s/dat`.
fn publish_stale_retained_token(port: u16) {
    let old = jwt(&claims_for(ISS, 3600, "old"));
    mosquitto_pub(port, "c8y/s/dat", &format!("71,{old}"), true);
}

// ---------------------------------------------------------------- output forms

#[test]
fn default_output_is_the_raw_token() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    assert_prints_token(c8y(broker.port), &token);
}

#[test]
fn output_token_prints_the_raw_token() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    assert_prints_token(c8y(broker.port).args(["-o", "token"]), &token);
}

#[test]
fn output_header_prints_an_authorization_header() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    assert_prints(
        c8y(broker.port).args(["-o", "header"]),
        &format!("Authorization: Bearer {token}\n"),
    );
}

#[test]
fn output_json_has_token_url_tenant_user_and_times() {
    let c = claims(3600);
    let (broker, token, _bridge) = broker_with_token(&c);
    let text = success_stdout(c8y(broker.port).args(["-o", "json"]));
    assert!(
        text.ends_with('\n') && text.lines().count() == 1,
        "{text:?}"
    );
    let j: Value = serde_json::from_str(&text).expect("stdout is JSON");
    let obj = j.as_object().expect("a JSON object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "expires_at",
            "expires_in_s",
            "issued_at",
            "tenant",
            "token",
            "url",
            "user"
        ]
    );
    assert_eq!(j["token"], token);
    assert_eq!(j["url"], URL);
    assert_eq!(j["tenant"], "t12345");
    assert_eq!(j["user"], "device_abc");
    assert_eq!(j["issued_at"], rfc3339(c["iat"].as_i64().unwrap()));
    assert_eq!(j["expires_at"], rfc3339(c["exp"].as_i64().unwrap()));
    let left = j["expires_in_s"]
        .as_i64()
        .expect("expires_in_s is an integer");
    assert!((3590..=3600).contains(&left), "expires_in_s = {left}");
}

#[test]
fn output_claims_prints_the_decoded_payload_pretty() {
    let c = claims(3600);
    let (broker, _token, _bridge) = broker_with_token(&c);
    let text = success_stdout(c8y(broker.port).args(["-o", "claims"]));
    let parsed: Value = serde_json::from_str(&text).expect("stdout is JSON");
    assert_eq!(parsed, c);
    assert_eq!(
        text,
        format!("{}\n", serde_json::to_string_pretty(&c).unwrap())
    );
}

#[test]
fn output_env_evaluates_in_sh() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    let text = success_stdout(c8y(broker.port).args(["-o", "env"]));
    assert_eq!(
        text,
        format!("export C8Y_TOKEN='{token}'\nexport C8Y_URL='{URL}'\nexport C8Y_TENANT='t12345'\n")
    );
    assert_eq!(eval_env(&text), format!("{token}|{URL}|t12345"));
}

#[test]
fn output_env_quotes_a_hostile_issuer_for_eval() {
    let iss = "t1'; echo INJECTED; x='$(id)`id`\\";
    let (broker, token, _bridge) = broker_with_token(&claims_for(iss, 3600, "q"));
    let text = success_stdout(c8y(broker.port).args(["-o", "env"]));
    assert_eq!(eval_env(&text), format!("{token}|https://{iss}|t12345"));
}

// ---------------------------------------------------------------- the request

#[test]
fn request_is_an_empty_qos0_publish_on_s_uat() {
    let broker = Broker::start();
    let token = jwt(&claims(3600));
    let (_bridge, log) = bridge(broker.port, "c8y", true, &[&format!("71,{token}")]);
    assert_prints_token(c8y(broker.port), &token);
    let seen = log.lock().unwrap().clone();
    assert!(!seen.is_empty(), "the bridge saw no request");
    for s in &seen {
        assert_eq!(s.topic, "c8y/s/uat");
        assert_eq!(s.payload, b"", "request payload must be empty");
        assert_eq!(s.qos, 0, "request must be published at QoS 0");
        assert!(!s.retained, "request must not be retained");
    }
}

#[test]
fn custom_prefix_uses_its_own_topics() {
    let broker = Broker::start();
    let token = jwt(&claims(3600));
    let other = jwt(&claims_for(ISS, 3600, "wrong-prefix"));
    let (_right, log) = bridge(broker.port, "c8y-2", true, &[&format!("71,{token}")]);
    let (_wrong, wrong_log) = bridge(broker.port, "c8y", true, &[&format!("71,{other}")]);
    assert_prints_token(c8y(broker.port).args(["--prefix", "c8y-2"]), &token);
    assert!(log.lock().unwrap().iter().all(|s| s.topic == "c8y-2/s/uat"));
    assert!(!log.lock().unwrap().is_empty());
    assert!(
        wrong_log.lock().unwrap().is_empty(),
        "published on c8y/s/uat"
    );
}

// ---------------------------------------------------------------- freshness

#[test]
fn retained_stale_token_is_ignored_without_a_bridge() {
    let broker = Broker::start();
    publish_stale_retained_token(broker.port);
    times_out(broker.port, &[]);
}

#[test]
fn retained_stale_token_is_ignored_without_a_bridge_on_mqtt311() {
    let broker = Broker::start();
    publish_stale_retained_token(broker.port);
    times_out(broker.port, &["-V", "311"]);
}

#[test]
fn retained_stale_token_is_ignored_and_the_fresh_one_printed() {
    let broker = Broker::start();
    let fresh = jwt(&claims_for(ISS, 3600, "fresh"));
    publish_stale_retained_token(broker.port);
    let _bridge = token_bridge(broker.port, &fresh);
    assert_prints_token(c8y(broker.port), &fresh);
}

#[test]
fn error_line_before_the_token_is_skipped() {
    let broker = Broker::start();
    let token = jwt(&claims(3600));
    let (_bridge, _log) = bridge(
        broker.port,
        "c8y",
        true,
        &["41,100,Bad request", &format!("71,{token}")],
    );
    assert_prints_token(c8y(broker.port), &token);
}

#[test]
fn resend_repeats_the_request_until_answered() {
    let broker = Broker::start();
    let token = jwt(&claims(3600));
    let count = Arc::new(AtomicUsize::new(0));
    let count2 = count.clone();
    let reply = format!("71,{token}");
    let bridge = Responder::start(broker.port, "c8y/s/uat", true, move |_| {
        if count2.fetch_add(1, Ordering::SeqCst) == 0 {
            Vec::new() // the first request gets lost
        } else {
            vec![Reply::to("c8y/s/dat", reply.as_bytes())]
        }
    });
    let started = Instant::now();
    assert_prints_token(c8y(broker.port).args(["--resend", "300ms"]), &token);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}: the default 10s resend, not 300ms?",
        started.elapsed()
    );
    assert!(
        bridge.requests_seen() >= 2,
        "seen {}",
        bridge.requests_seen()
    );
}

#[test]
fn trailing_newline_after_the_token_is_not_printed() {
    let broker = Broker::start();
    let token = jwt(&claims(3600));
    let (_bridge, _log) = bridge(broker.port, "c8y", true, &[&format!("71,{token}\r\n")]);
    assert_prints_token(c8y(broker.port), &token);
}

#[test]
fn wildcard_prefix_is_a_usage_error_before_connecting() {
    // Nobody listens on the port: exit 2, not 3, proves no connection was tried.
    let out = c8y(free_port())
        .args(["--prefix", "c8y/#"])
        .output()
        .unwrap();
    assert_failure(&out, 2, &["prefix"]);
}

#[test]
fn zero_resend_is_a_usage_error() {
    c8y(free_port())
        .args(["--resend", "0"])
        .assert()
        .code(2)
        .stdout("");
}

// ---------------------------------------------------------------- token checks

#[test]
fn malformed_token_is_exit_1() {
    let broker = Broker::start();
    let (_bridge, _log) = bridge(broker.port, "c8y", true, &["71,not-a-jwt"]);
    let out = c8y(broker.port).output().unwrap();
    assert_failure(&out, 1, &["malformed token"]);
}

#[test]
fn min_valid_longer_than_the_token_fails() {
    let (broker, _token, _bridge) = broker_with_token(&claims(3600));
    let out = c8y(broker.port)
        .args(["--min-valid", "2h"])
        .output()
        .unwrap();
    assert_failure(&out, 1, &[]);
}

#[test]
fn min_valid_shorter_than_the_token_succeeds() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    assert_prints_token(c8y(broker.port).args(["--min-valid", "10m"]), &token);
}

// ---------------------------------------------------------------- cache

#[test]
fn cache_is_written_0600_and_reused_without_a_broker() {
    use std::os::unix::fs::PermissionsExt;
    let (mut broker, token, bridge) = broker_with_token(&claims(3600));
    let cache = Cache::new();
    assert_prints_token(c8y(broker.port).args(cache.args()), &token);
    let meta = std::fs::metadata(&cache.path).expect("cache file written");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(cache.read().contains(&token));
    // No stray temp files left beside it.
    let names: Vec<_> = std::fs::read_dir(cache.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["token.cache"]);

    drop(bridge);
    broker.kill();
    assert_prints_token(c8y(broker.port).args(cache.args()), &token);
}

#[test]
fn cache_expiring_within_min_valid_is_not_used() {
    let (mut broker, token, bridge) = broker_with_token(&claims(3600));
    let cache = Cache::new();
    assert_prints_token(c8y(broker.port).args(cache.args()), &token);
    drop(bridge);
    broker.kill();
    assert_cache_skipped(broker.port, &cache, &["--min-valid", "2h"]);
}

#[test]
fn cache_default_min_valid_is_60s() {
    let (mut broker, token, bridge) = broker_with_token(&claims(30));
    let cache = Cache::new();
    // --min-valid 0 lets the short token into the cache.
    assert_prints_token(
        c8y(broker.port)
            .args(cache.args())
            .args(["--min-valid", "0s"]),
        &token,
    );
    assert!(cache.path.exists());
    drop(bridge);
    broker.kill();
    // Without --min-valid, caching wants 60 s left: the cache is skipped.
    assert_cache_skipped(broker.port, &cache, &[]);
}

#[test]
fn corrupt_cache_is_ignored_and_replaced() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    let cache = Cache::new();
    std::fs::write(&cache.path, b"\x00\xff\xfegarbage{\"token\":\n\x1b[31m").unwrap();
    assert_prints_token(c8y(broker.port).args(cache.args()), &token);
    let text = cache.read();
    assert!(text.contains(&token), "{text:?}");
}

#[test]
fn cache_for_another_broker_is_not_used() {
    let (a, token_a, _bridge_a) = broker_with_token(&claims_for(ISS, 3600, "broker-a"));
    let (b, token_b, _bridge_b) = broker_with_token(&claims_for(ISS, 3600, "broker-b"));
    let cache = Cache::new();
    assert_prints_token(c8y(a.port).args(cache.args()), &token_a);
    assert_prints_token(c8y(b.port).args(cache.args()), &token_b);
    assert!(cache.read().contains(&token_b));
}

#[test]
fn foreign_json_cache_is_ignored_and_replaced() {
    let stale = jwt(&claims_for(ISS, 3600, "foreign"));
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    let cache = Cache::new();
    std::fs::write(&cache.path, json!({ "token": stale }).to_string()).unwrap();
    assert_prints_token(c8y(broker.port).args(cache.args()), &token);
    let text = cache.read();
    assert!(text.contains(&token) && !text.contains(&stale), "{text:?}");
}

// ---------------------------------------------------------------- tedge.toml

#[test]
fn tedge_toml_supplies_host_port_and_prefix() {
    let broker = Broker::start();
    let token = jwt(&claims(3600));
    let (_bridge, log) = bridge(broker.port, "edge", true, &[&format!("71,{token}")]);
    let dir = tempfile::tempdir().unwrap();
    write_edge_tedge_toml(dir.path(), broker.port);
    assert_prints_token(c8y_tedge(dir.path()), &token);
    let seen = log.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|s| s.topic == "edge/s/uat"), "{seen:?}");
}

#[test]
fn port_flag_wins_over_tedge_toml() {
    let broker = Broker::start();
    let token = jwt(&claims(3600));
    let (_bridge, _log) = bridge(broker.port, "edge", true, &[&format!("71,{token}")]);
    let dir = tempfile::tempdir().unwrap();
    write_edge_tedge_toml(dir.path(), free_port());
    assert_prints_token(
        c8y_tedge(dir.path()).args(["-p", &broker.port_arg(), "-W", "10s"]),
        &token,
    );
}

#[test]
fn no_tedge_config_ignores_tedge_toml() {
    let (broker, token, _c8y) = broker_with_token(&claims(3600));
    let other = jwt(&claims_for(ISS, 3600, "from-edge-prefix"));
    let (_edge, edge_log) = bridge(broker.port, "edge", true, &[&format!("71,{other}")]);
    let dir = tempfile::tempdir().unwrap();
    // Wrong port and another prefix: both must be ignored.
    write_edge_tedge_toml(dir.path(), free_port());
    assert_prints_token(c8y(broker.port).env("TEDGE_CONFIG_DIR", dir.path()), &token);
    assert!(edge_log.lock().unwrap().is_empty());
}

#[test]
fn no_tedge_config_ignores_a_broken_tedge_toml() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    let dir = tempfile::tempdir().unwrap();
    write_tedge_toml(dir.path(), "[mqtt.client\nport = \n");
    assert_prints_token(c8y(broker.port).env("TEDGE_CONFIG_DIR", dir.path()), &token);
}

#[test]
fn missing_tedge_toml_is_fine() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    let dir = tempfile::tempdir().unwrap();
    assert_prints_token(c8y_tedge(dir.path()).args(broker_args(broker.port)), &token);
}

/// Runs `c8y-token` with a tedge.toml of `text` (and a closed port, named
/// on the command line); returns its output and the file's path.
fn with_bad_tedge_toml(text: &str) -> (std::process::Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_tedge_toml(dir.path(), text);
    let out = c8y_tedge(dir.path())
        .args(broker_args(free_port()))
        .output()
        .unwrap();
    (out, path.to_str().unwrap().to_string())
}

#[test]
fn invalid_tedge_toml_is_a_usage_error_naming_the_file() {
    let (out, path) = with_bad_tedge_toml("[mqtt.client\nhost = \"x\"\n");
    assert_failure(&out, 2, &[&path]);
}

#[test]
fn wrongly_typed_tedge_port_is_a_usage_error_naming_file_and_key() {
    let (out, path) = with_bad_tedge_toml("[mqtt.client]\nport = \"x\"\n");
    assert_failure(&out, 2, &[&path, "mqtt.client.port"]);
}

// ---------------------------------------------------------------- timeouts

#[test]
fn timeout_reports_the_mapper_bridge_down() {
    let broker = Broker::start();
    mosquitto_pub(broker.port, HEALTH_MAPPER, r#"{"status":"down"}"#, true);
    assert_eq!(
        times_out(broker.port, &[]),
        "mqrr: no token on c8y/s/dat within 1s (Cumulocity bridge: down)\n"
    );
}

#[test]
fn timeout_reports_the_mosquitto_bridge_up() {
    let broker = Broker::start();
    mosquitto_pub(broker.port, HEALTH_MOSQUITTO, "1", true);
    assert_eq!(
        times_out(broker.port, &[]),
        "mqrr: no token on c8y/s/dat within 1s (Cumulocity bridge: up)\n"
    );
}

#[test]
fn timeout_reports_unknown_bridge_health() {
    let broker = Broker::start();
    let started = Instant::now();
    assert_eq!(
        times_out(broker.port, &[]),
        "mqrr: no token on c8y/s/dat within 1s (Cumulocity bridge: unknown)\n"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn timeout_names_the_custom_prefix() {
    let broker = Broker::start();
    assert_eq!(
        times_out(broker.port, &["--prefix", "c8y-2"]),
        "mqrr: no token on c8y-2/s/dat within 1s (Cumulocity bridge: unknown)\n"
    );
}

// ---------------------------------------------------------------- connection

#[test]
fn works_over_mqtt311() {
    let broker = Broker::start();
    let token = jwt(&claims(3600));
    let (_bridge, log) = bridge(broker.port, "c8y", false, &[&format!("71,{token}")]);
    assert_prints_token(c8y(broker.port).args(["-V", "311"]), &token);
    assert!(log.lock().unwrap().iter().all(|s| s.qos == 0));
}

#[test]
fn connection_refused_is_exit_3() {
    let port = free_port();
    let out = c8y(port).args(["-W", "5s"]).output().unwrap();
    assert_failure(&out, 3, &[&port.to_string()]);
}

/// A broker that wants user `dev` with password `s3cret`.
fn password_broker() -> Broker {
    Broker::with_passwords(&[("dev", "s3cret")])
}

/// The usual fake bridge handing out `token`, logged in as `dev`.
fn dev_token_bridge(port: u16, token: &str) -> Responder {
    let reply = format!("71,{token}");
    Responder::start_as(
        port,
        "c8y/s/uat",
        true,
        Some(("dev", "s3cret")),
        move |_| vec![Reply::to("c8y/s/dat", reply.as_bytes())],
    )
}

#[test]
fn username_and_password_file_authenticate() {
    let broker = password_broker();
    let token = jwt(&claims(3600));
    let _bridge = dev_token_bridge(broker.port, &token);
    let pw = temp_file(b"s3cret\n");
    assert_prints_token(
        c8y(broker.port).args(["-u", "dev", "--password-file", pw.path().to_str().unwrap()]),
        &token,
    );
}

#[test]
fn wrong_password_is_exit_4_and_never_echoed() {
    let broker = password_broker();
    let pw = temp_file(b"hunter2-wrong\n");
    let out = c8y(broker.port)
        .args(["-u", "dev", "--password-file", pw.path().to_str().unwrap()])
        .args(["-W", "5s"])
        .output()
        .unwrap();
    assert_failure(&out, 4, &[]);
    assert!(!describe(&out).contains("hunter2"), "{}", describe(&out));
}

#[test]
fn tedge_toml_supplies_username_and_password_file() {
    let broker = password_broker();
    let token = jwt(&claims(3600));
    let _bridge = dev_token_bridge(broker.port, &token);
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret\n").unwrap();
    write_tedge_toml(
        dir.path(),
        &format!(
            "[mqtt.client]\nhost = \"127.0.0.1\"\nport = {}\n[mqtt.client.auth]\nusername = \"dev\"\npassword_file = \"{}\"\n",
            broker.port,
            pw.display()
        ),
    );
    assert_prints_token(c8y_tedge(dir.path()), &token);
}

#[test]
fn rfc3339_helper_is_right() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
}

#[test]
fn the_bridge_health_read_stays_inside_the_deadline() {
    let broker = Broker::start();
    let started = std::time::Instant::now();
    let stderr = times_out(broker.port, &[]);
    let took = started.elapsed();
    assert!(stderr.contains("(Cumulocity bridge: unknown)"), "{stderr}");
    // -W 1s covers the health read too (it gets a tenth of -W).
    assert!(
        took < std::time::Duration::from_millis(1400),
        "took {took:?}"
    );
}

#[test]
fn a_cache_that_cannot_be_written_still_prints_the_token() {
    let (broker, token, _bridge) = broker_with_token(&claims(3600));
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("no-such-dir").join("token");
    let out = c8y(broker.port)
        .arg("--cache")
        .arg(&cache)
        .assert()
        .code(0)
        .stdout(format!("{token}\n"))
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("mqrr: --cache "), "{stderr}");
    assert!(!cache.exists());
}
