//! What the thin-edge.io presets (`c8y-token`, `tedge-cmd`) share:
//! `tedge.toml` as connection and topic defaults, and how a thin-edge
//! service reports its health.
//!
//! On a thin-edge device the local broker may need TLS or credentials; the
//! user should not have to repeat what tedge already knows. Flags (and
//! `MQRR_*` variables) win over the file; a missing file is normal, a
//! broken one is a usage error naming the file and the key.

use std::path::{Path, PathBuf};

use crate::cli::Connection;
use crate::error::{Error, Result};

/// What mqrr takes from tedge.toml.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TedgeConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub ca_file: Option<PathBuf>,
    pub ca_dir: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub topic_prefix: Option<String>,
    /// `mqtt.topic_root`: the first level of every thin-edge topic (`te`).
    pub topic_root: Option<String>,
    /// `mqtt.device_topic_id`: this device's entity (`device/main//`).
    pub device_topic_id: Option<String>,
}

/// `$TEDGE_CONFIG_DIR/tedge.toml`, else `/etc/tedge/tedge.toml`.
pub fn config_path() -> PathBuf {
    let dir = std::env::var_os("TEDGE_CONFIG_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/tedge"));
    dir.join("tedge.toml")
}

/// Larger files are refused (thin-edge's own is a few KiB): a tedge.toml
/// that is a link to /dev/zero must not read forever.
const MAX_FILE: u64 = 1024 * 1024;

/// Reads the file; `Ok(None)` when there is none.
pub fn load(path: &Path) -> Result<Option<TedgeConfig>> {
    use std::io::Read;
    let mut text = String::new();
    match std::fs::File::open(path).and_then(|f| f.take(MAX_FILE + 1).read_to_string(&mut text)) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Usage(format!("{}: {e}", path.display()))),
    }
    if text.len() as u64 > MAX_FILE {
        return Err(Error::Usage(format!(
            "{}: larger than {} KiB",
            path.display(),
            MAX_FILE / 1024
        )));
    }
    parse(&text)
        .map(Some)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

/// The settings mqrr takes from the text of a tedge.toml. `Err` is one
/// line naming the key (`mqtt.client.port: not a port number`) or the TOML
/// error, without the file name (`load` adds it). Public for the fuzz
/// targets (fuzz/), which feed it arbitrary text.
pub fn parse(text: &str) -> std::result::Result<TedgeConfig, String> {
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        e.message()
            .lines()
            .next()
            .unwrap_or("not valid TOML")
            .to_string()
    })?;
    let string = |key: &str| -> std::result::Result<Option<String>, String> {
        match lookup(&doc, key)? {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{key}: expected a string")),
        }
    };
    let path = |key: &str| string(key).map(|s| s.map(PathBuf::from));
    let port = match lookup(&doc, "mqtt.client.port")? {
        None => None,
        Some(toml::Value::Integer(p)) => Some(
            u16::try_from(*p)
                .ok()
                .filter(|&p| p != 0)
                .ok_or("mqtt.client.port: not a port number")?,
        ),
        Some(_) => return Err("mqtt.client.port: expected an integer".into()),
    };
    Ok(TedgeConfig {
        host: string("mqtt.client.host")?,
        port,
        ca_file: path("mqtt.client.auth.ca_file")?,
        ca_dir: path("mqtt.client.auth.ca_dir")?,
        cert_file: path("mqtt.client.auth.cert_file")?,
        key_file: path("mqtt.client.auth.key_file")?,
        username: string("mqtt.client.auth.username")?,
        password_file: path("mqtt.client.auth.password_file")?,
        topic_prefix: string("c8y.bridge.topic_prefix")?,
        topic_root: string("mqtt.topic_root")?,
        device_topic_id: string("mqtt.device_topic_id")?,
    })
}

/// A dotted key, whether the file wrote it as tables or dotted keys; a
/// non-table on the way (`c8y.bridge = 5`) is an error naming it.
fn lookup<'a>(
    doc: &'a toml::Table,
    key: &str,
) -> std::result::Result<Option<&'a toml::Value>, String> {
    let mut table = doc;
    let mut path = Vec::new();
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(*part);
        let Some(value) = table.get(*part) else {
            return Ok(None);
        };
        if i == parts.len() - 1 {
            return Ok(Some(value));
        }
        table = value
            .as_table()
            .ok_or_else(|| format!("{}: expected a table", path.join(".")))?;
    }
    Ok(None)
}

impl TedgeConfig {
    /// Fills what the user left unset. Where the broker comes from a flag
    /// (`-L`, `--unix`), none of the file's connection settings apply. A
    /// file the config names but that cannot be read is reported against
    /// `file` and its key, not a flag the user never gave.
    pub fn apply(&self, c: &mut Connection, file: &Path) -> Result<()> {
        if c.url.is_some() || c.unix.is_some() {
            return Ok(());
        }
        let broken =
            |key: &str, why: String| Error::Usage(format!("{}: {key}: {why}", file.display()));
        let readable = |key: &str, path: &Option<PathBuf>| match path {
            Some(p) => {
                crate::config::readable(p).map_err(|e| broken(key, format!("{}: {e}", p.display())))
            }
            None => Ok(()),
        };
        fill(&mut c.host, &self.host);
        fill(&mut c.port, &self.port);
        if c.cafile.is_none() && c.capath.is_none() {
            readable("mqtt.client.auth.ca_file", &self.ca_file)?;
            fill(&mut c.cafile, &self.ca_file);
            fill(&mut c.capath, &self.ca_dir);
        }
        if c.cert.is_none() && c.key.is_none() {
            readable("mqtt.client.auth.cert_file", &self.cert_file)?;
            readable("mqtt.client.auth.key_file", &self.key_file)?;
            fill(&mut c.cert, &self.cert_file);
            fill(&mut c.key, &self.key_file);
        }
        if c.username.is_none() && c.password.is_none() && c.password_file.is_none() {
            if self.password_file.is_some() && self.username.is_none() {
                return Err(broken(
                    "mqtt.client.auth.password_file",
                    "needs mqtt.client.auth.username".into(),
                ));
            }
            readable("mqtt.client.auth.password_file", &self.password_file)?;
            fill(&mut c.username, &self.username);
            fill(&mut c.password_file, &self.password_file);
        }
        Ok(())
    }
}

/// A thin-edge health message: `{"status":"up"}` / `{"status":"down"}`
/// (tedge services, their Last Will says down), or `1` / `0` (mosquitto's
/// bridge). `None` when it says neither.
pub fn health_state(payload: &[u8]) -> Option<bool> {
    match payload.trim_ascii() {
        b"1" => return Some(true),
        b"0" => return Some(false),
        _ => {}
    }
    let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
    match v.get("status")?.as_str()? {
        "up" => Some(true),
        "down" => Some(false),
        _ => None,
    }
}

fn fill<T: Clone>(slot: &mut Option<T>, default: &Option<T>) {
    if slot.is_none() {
        *slot = default.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tables_and_dotted_keys() {
        let c = parse(
            "[mqtt.client]\nhost = \"broker.local\"\nport = 8883\n\
             [mqtt.client.auth]\nca_file = \"/etc/ca.pem\"\n\
             [c8y]\nbridge.topic_prefix = \"c8y-2\"\n",
        )
        .unwrap();
        assert_eq!(c.host.as_deref(), Some("broker.local"));
        assert_eq!(c.port, Some(8883));
        assert_eq!(c.ca_file, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(c.topic_prefix.as_deref(), Some("c8y-2"));
        assert_eq!(c.topic_root, None);
        let c = parse("[mqtt]\ntopic_root = \"edge\"\ndevice_topic_id = \"device/child01//\"\n")
            .unwrap();
        assert_eq!(c.topic_root.as_deref(), Some("edge"));
        assert_eq!(c.device_topic_id.as_deref(), Some("device/child01//"));
    }

    #[test]
    fn health_payloads() {
        assert_eq!(health_state(br#"{"status":"up","pid":1}"#), Some(true));
        assert_eq!(health_state(br#"{"status":"down"}"#), Some(false));
        assert_eq!(health_state(b"1"), Some(true));
        assert_eq!(health_state(b"0"), Some(false));
        assert_eq!(health_state(b"?"), None);
        assert_eq!(health_state(br#"{"status":5}"#), None);
    }

    #[test]
    fn broken_files_name_the_key() {
        assert_eq!(
            parse("[mqtt.client]\nport = \"x\"\n").unwrap_err(),
            "mqtt.client.port: expected an integer"
        );
        assert_eq!(
            parse("[mqtt.client]\nport = 70000\n").unwrap_err(),
            "mqtt.client.port: not a port number"
        );
        assert!(parse("[mqtt\n").is_err());
        assert_eq!(
            parse("[c8y]\nbridge = 5\n").unwrap_err(),
            "c8y.bridge: expected a table"
        );
    }

    #[test]
    fn flags_win() {
        let t = TedgeConfig {
            host: Some("tedge-host".into()),
            port: Some(1884),
            ..Default::default()
        };
        let mut c = Connection {
            port: Some(9999),
            ..Default::default()
        };
        t.apply(&mut c, Path::new("tedge.toml")).unwrap();
        assert_eq!(c.host.as_deref(), Some("tedge-host"));
        assert_eq!(c.port, Some(9999));
    }

    #[test]
    fn a_broker_given_by_flag_takes_nothing_from_the_file() {
        let t = TedgeConfig {
            host: Some("tedge-host".into()),
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        };
        let mut c = Connection {
            unix: Some("/run/mqtt.sock".into()),
            ..Default::default()
        };
        t.apply(&mut c, Path::new("tedge.toml")).unwrap();
        assert_eq!(c.host, None);
        assert_eq!(c.cafile, None);
    }

    #[test]
    fn unreadable_files_are_blamed_on_the_config_key() {
        let t = TedgeConfig {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        };
        let e = t
            .apply(
                &mut Connection::default(),
                Path::new("/etc/tedge/tedge.toml"),
            )
            .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "/etc/tedge/tedge.toml: mqtt.client.auth.ca_file: /nonexistent/ca.pem:"
            ),
            "{e}"
        );
        let t = TedgeConfig {
            password_file: Some("/etc/passwd".into()),
            ..Default::default()
        };
        let e = t
            .apply(&mut Connection::default(), Path::new("tedge.toml"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "tedge.toml: mqtt.client.auth.password_file: needs mqtt.client.auth.username"
        );
    }
}
