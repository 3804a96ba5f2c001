//! `mqrr c8y-token`: the Cumulocity JWT over a thin-edge.io bridge.
//!
//! An empty publish on `<prefix>/s/uat` makes Cumulocity answer
//! `71,<JWT>` on `<prefix>/s/dat`. There is no correlation on this path, so
//! freshness comes from refusing retained messages and accepting only `71,`
//! lines (an error such as `41,100,…` on the same topic is not a token).
//! Owns the topics, the JWT decoding, the output forms and the cache.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::cli::{C8yTokenArgs, Correlation, TokenOutput};
use crate::commands::request::{Next, exchange, with_session};
use crate::config::{ConnectionSettings, OutputStyle, Payload, RequestSettings};
use crate::error::{Error, Result};
use crate::mqtt::Session;
use crate::text::extract::Extractor;

/// Everything `c8y-token` runs on, checked.
pub struct Settings {
    pub conn: ConnectionSettings,
    pub request: RequestSettings,
    pub output: TokenOutput,
    pub min_valid: Option<Duration>,
    pub cache: Option<PathBuf>,
}

/// With `--cache` and no `--min-valid`: a cached token must stay valid this long.
const CACHE_MIN_VALID: Duration = Duration::from_secs(60);

impl Settings {
    pub fn from_args(args: &C8yTokenArgs) -> Result<Self> {
        let mut connection = args.connection.clone();
        // Command line, then the environment, then tedge.toml (spec §2).
        crate::config::apply_env(&mut connection, |name| std::env::var_os(name))?;
        // Where the prefix came from, for the error message if it is bad.
        let mut prefix = args.prefix.clone().map(|p| (p, "--prefix".to_string()));
        if !args.no_tedge_config {
            let path = crate::tedge::config_path();
            if let Some(tedge) = crate::tedge::load(&path)? {
                tedge.apply(&mut connection, &path)?;
                let from_file = format!("{}: c8y.bridge.topic_prefix", path.display());
                prefix = prefix.or(tedge.topic_prefix.map(|p| (p, from_file)));
            }
        }
        let (prefix, source) = prefix.unwrap_or_else(|| ("c8y".into(), "--prefix".into()));
        let conn = ConnectionSettings::from_args(&connection)?;
        let topic = format!("{prefix}/s/uat");
        let filter = format!("{prefix}/s/dat");
        if prefix.is_empty() || prefix.contains(['+', '#', '\0']) {
            return Err(Error::Usage(format!(
                "{source} {prefix:?}: a topic prefix must be non-empty, without wildcards"
            )));
        }
        crate::config::check_topic(&source, &topic)?;
        let request = RequestSettings {
            topic,
            filter,
            payload: Payload::Bytes(Vec::new()),
            // QoS 1 on s/uat is known to stall some bridges.
            qos: 0,
            subscribe_qos: 1,
            retain: false,
            timeout: (!args.timeout.is_zero()).then_some(args.timeout),
            resend: Some(args.resend),
            count: 1,
            retained: false,
            correlation: Correlation::Off,
            user_properties: Vec::new(),
            extractor: Extractor::default(),
            output: OutputStyle::default(),
            prefix: Some(b"71,".to_vec()),
        };
        Ok(Settings {
            conn,
            request,
            output: args.output,
            min_valid: args
                .min_valid
                .or(args.cache.as_ref().map(|_| CACHE_MIN_VALID)),
            cache: args.cache.clone(),
        })
    }
}

/// Serves from the cache when it can (no runtime, no connection), else asks
/// the bridge.
pub fn run(settings: &Settings, start: std::time::Instant) -> Result<()> {
    let min_valid = settings.min_valid.unwrap_or_default();
    if let Some(path) = &settings.cache {
        if let Some(token) = read_cache(path, &settings.conn.display, &settings.request.topic) {
            if token.expires_in(SystemTime::now()) >= secs(min_valid) {
                return print(&token, settings.output);
            }
        }
    }
    let runtime = crate::runtime()?;
    let jwt = runtime.block_on(fetch(settings, tokio::time::Instant::from_std(start)))?;
    let token = Token::decode(&jwt)?;
    let left = token.expires_in(SystemTime::now());
    if let Some(min) = settings.min_valid {
        if left < secs(min) {
            return Err(Error::Runtime(format!(
                "the token expires in {left}s, sooner than --min-valid {}",
                humantime::format_duration(min)
            )));
        }
    }
    if let Some(path) = &settings.cache {
        // A good token is still worth printing when it cannot be cached.
        if let Err(e) = write_cache(path, &settings.conn.display, &settings.request.topic, &jwt) {
            crate::error::warn(settings.conn.quiet, &e.to_string());
        }
    }
    print(&token, settings.output)
}

async fn fetch(settings: &Settings, start: Instant) -> Result<String> {
    let req = &settings.request;
    let deadline = req.timeout.map(|t| start + t);
    // The bridge-health read after a timeout comes out of the same -W.
    let health_wait = req
        .timeout
        .map_or(Duration::ZERO, |t| (t / 10).min(HEALTH_WAIT));
    let token_deadline = deadline.map(|d| d - health_wait);
    let mut jwt = None;
    let mut take = |_: &crate::message::Message, data: &[u8]| {
        jwt = Some(data.get(3..).unwrap_or_default().to_vec());
        Ok(Next::Stop)
    };
    with_session(&settings.conn, deadline, async |session| {
        match exchange(session, req, &[], token_deadline, &mut take).await {
            // Connected, but no token in time: say whether the bridge is up.
            Err(Error::Timeout(_)) => {
                let bridge = bridge_health(session, health_wait).await;
                Err(Error::Timeout(format!(
                    "no token on {} within {} (Cumulocity bridge: {bridge})",
                    req.filter,
                    crate::commands::request::human(req.timeout)
                )))
            }
            other => other,
        }
    })
    .await?;
    let jwt = jwt.unwrap_or_default();
    String::from_utf8(jwt)
        .map(|s| s.trim().to_string())
        .map_err(|_| Error::Runtime("malformed token: not UTF-8".into()))
}

/// Retained health of the bridge: the built-in bridge of tedge-mapper
/// (`{"status":"up"}`) or mosquitto's bridge (`1`/`0`).
const HEALTH_TOPICS: [&str; 2] = [
    "te/device/main/service/tedge-mapper-bridge-c8y/status/health",
    "te/device/main/service/mosquitto-c8y-bridge/status/health",
];

/// Longest wait for the retained health messages after a timeout (at most a
/// tenth of -W); they come right after the SUBACK when they exist at all.
const HEALTH_WAIT: Duration = Duration::from_millis(500);

async fn bridge_health(session: &Session, wait: Duration) -> &'static str {
    let states: Vec<Option<bool>> = session
        .retained(&HEALTH_TOPICS, wait)
        .await
        .iter()
        .filter(|m| HEALTH_TOPICS.contains(&m.topic.as_str()))
        .map(|m| crate::tedge::health_state(&m.payload))
        .collect();
    if states.contains(&Some(false)) {
        "down"
    } else if states.contains(&Some(true)) {
        "up"
    } else {
        "unknown"
    }
}

/// A decoded, unverified Cumulocity JWT.
#[derive(Debug, Clone)]
pub struct Token {
    pub jwt: String,
    pub claims: serde_json::Map<String, Value>,
}

impl Token {
    /// Decodes the payload part (base64url, padding optional). The signature
    /// is not checked: the device has no key to check it with.
    pub fn decode(jwt: &str) -> Result<Token> {
        let malformed = |why: &str| Error::Runtime(format!("malformed token: {why}"));
        let parts: Vec<&str> = jwt.split('.').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(malformed("a JWT has three dot-separated parts"));
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT
            .decode(parts[1])
            .map_err(|_| malformed("payload is not base64url"))?;
        let claims = match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => map,
            _ => return Err(malformed("payload is not a JSON object")),
        };
        Ok(Token {
            jwt: jwt.to_string(),
            claims,
        })
    }

    fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    fn time_claim(&self, name: &str) -> Option<i64> {
        let v = self.claims.get(name)?;
        v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
    }

    /// `https://<iss>` (Cumulocity puts a bare host in `iss`).
    pub fn url(&self) -> Option<String> {
        let iss = self.str_claim("iss")?;
        Some(if iss.contains("://") {
            iss.to_string()
        } else {
            format!("https://{iss}")
        })
    }

    /// Seconds until `exp`; a token without `exp` never expires, one
    /// already expired gives a negative number.
    pub fn expires_in(&self, now: SystemTime) -> i64 {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        self.time_claim("exp")
            .map_or(i64::MAX, |exp| exp.saturating_sub(now))
    }

    /// The text `-o FORM` prints, without the final newline.
    pub fn render(&self, form: TokenOutput, now: SystemTime) -> String {
        match form {
            TokenOutput::Token => self.jwt.clone(),
            TokenOutput::Header => format!("Authorization: Bearer {}", self.jwt),
            TokenOutput::Env => {
                let mut lines = vec![format!("export C8Y_TOKEN={}", sh_quote(&self.jwt))];
                if let Some(url) = self.url() {
                    lines.push(format!("export C8Y_URL={}", sh_quote(&url)));
                }
                if let Some(tenant) = self.str_claim("ten") {
                    lines.push(format!("export C8Y_TENANT={}", sh_quote(tenant)));
                }
                lines.join("\n")
            }
            TokenOutput::Json => {
                let time = |name| self.time_claim(name).and_then(rfc3339);
                let expires_in = self.time_claim("exp").map(|_| self.expires_in(now));
                json!({
                    "token": self.jwt,
                    "url": self.url(),
                    "tenant": self.str_claim("ten"),
                    "user": self.str_claim("sub"),
                    "issued_at": time("iat"),
                    "expires_at": time("exp"),
                    "expires_in_s": expires_in,
                })
                .to_string()
            }
            TokenOutput::Claims => serde_json::to_string_pretty(&self.claims).unwrap_or_default(),
        }
    }
}

/// Whole seconds as a signed count (durations are capped far below i64::MAX).
fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// RFC 3339 UTC, or `None` for a time RFC 3339 cannot write (before 1970
/// here, or after year 9999, where humantime's formatter would panic).
fn rfc3339(secs: i64) -> Option<String> {
    const YEAR_10000: u64 = 253_402_300_800;
    let secs = u64::try_from(secs).ok().filter(|&s| s < YEAR_10000)?;
    let t = UNIX_EPOCH.checked_add(Duration::from_secs(secs))?;
    Some(humantime::format_rfc3339_seconds(t).to_string())
}

/// Single-quotes for POSIX sh: safe for `eval` whatever the text holds.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn print(token: &Token, form: TokenOutput) -> Result<()> {
    let text = token.render(form, SystemTime::now());
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Runtime(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Marks a cache file as ours, for this broker and topic.
const CACHE_KIND: &str = "mqrr c8y-token cache v1";

/// The cached token, if the file is ours, for the same broker and prefix,
/// and decodes; anything else is ignored (and replaced on the next write).
/// A cache file is a JWT of a few KiB in JSON: reading stops at 64 KiB, and
/// a larger file is not ours (`--cache /dev/zero` must not read forever).
fn read_cache(path: &Path, broker: &str, topic: &str) -> Option<Token> {
    use std::io::Read;
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut text))
        .ok()?;
    parse_cache(&text, broker, topic)
}

/// The token in the text of a cache file, if it is ours, for `broker` and
/// `topic`, and decodes. Public for the fuzz targets (fuzz/): a cache file
/// is outside input (another program, or a disk error, may have written it).
pub fn parse_cache(text: &[u8], broker: &str, topic: &str) -> Option<Token> {
    let v: Value = serde_json::from_slice(text).ok()?;
    if v.get("kind")?.as_str()? != CACHE_KIND
        || v.get("broker")?.as_str()? != broker
        || v.get("topic")?.as_str()? != topic
    {
        return None;
    }
    Token::decode(v.get("token")?.as_str()?).ok()
}

/// Writes the cache atomically (temp file in the same directory, mode
/// 0600, renamed over the old one), so a reader never sees half a token
/// and no other user can read it.
fn write_cache(path: &Path, broker: &str, topic: &str, jwt: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let failed = |e: std::io::Error| Error::Runtime(format!("--cache {}: {e}", path.display()));
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Error::Runtime(format!("--cache {}: not a file name", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let body = json!({"kind": CACHE_KIND, "broker": broker, "topic": topic, "token": jwt});
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(body.to_string().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b64(r#"{"alg":"RS256"}"#), b64(claims))
    }

    #[test]
    fn decodes_cumulocity_claims() {
        let t = Token::decode(&jwt(
            r#"{"iss":"t1.example.com","ten":"t1","sub":"device_x","iat":1700000000,"exp":1700003600}"#,
        ))
        .unwrap();
        assert_eq!(t.url().as_deref(), Some("https://t1.example.com"));
        let now = UNIX_EPOCH + Duration::from_secs(1700000600);
        assert_eq!(t.expires_in(now), 3000);
        let j: Value = serde_json::from_str(&t.render(TokenOutput::Json, now)).unwrap();
        assert_eq!(j["tenant"], "t1");
        assert_eq!(j["user"], "device_x");
        assert_eq!(j["issued_at"], "2023-11-14T22:13:20Z");
        assert_eq!(j["expires_at"], "2023-11-14T23:13:20Z");
        assert_eq!(j["expires_in_s"], 3000);
    }

    #[test]
    fn absurd_times_render_as_null_not_a_panic() {
        let t = Token::decode(&jwt(r#"{"iat":-5,"exp":300000000000}"#)).unwrap();
        let j: Value =
            serde_json::from_str(&t.render(TokenOutput::Json, SystemTime::now())).unwrap();
        assert_eq!(j["issued_at"], Value::Null);
        assert_eq!(j["expires_at"], Value::Null);
        let t = Token::decode(&jwt(r#"{"exp":1e300}"#)).unwrap();
        let _ = t.render(TokenOutput::Json, SystemTime::now());
        let t = Token::decode(&jwt(r#"{"exp":-9223372036854775808}"#)).unwrap();
        let _ = t.render(TokenOutput::Json, UNIX_EPOCH + Duration::from_secs(1 << 40));
    }

    #[test]
    fn malformed_tokens_are_errors() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a..c",
            "a.!!!.c",
            &format!("a.{}.c", "bm90IGpzb24"),
        ] {
            let e = Token::decode(bad).unwrap_err();
            assert!(e.to_string().starts_with("malformed token"), "{bad}: {e}");
        }
    }

    #[test]
    fn env_output_quotes_for_eval() {
        let t = Token::decode(&jwt(r#"{"iss":"h'; rm -rf /; '","ten":"t"}"#)).unwrap();
        let env = t.render(TokenOutput::Env, SystemTime::now());
        assert!(
            env.contains(r"export C8Y_URL='https://h'\''; rm -rf /; '\'''"),
            "{env}"
        );
    }
}
