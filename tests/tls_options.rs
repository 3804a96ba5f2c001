//! The TLS options of spec §2 that only matter in a handshake (issue #13):
//! `--ciphers` and `--tls-use-os-certs`, side by side with mosquitto_pub
//! 2.0.11 on the same private mosquitto, with the same arguments, and a
//! paho subscriber on its plain listener seeing what arrived.
//!
//! Cipher lists only apply up to TLS 1.2 (OpenSSL takes TLS 1.3 suites from
//! elsewhere), and mosquitto 2.0.11's `tls_version tlsv1.2` still lets a
//! listener speak 1.3 (it means "1.2 or later"), so the broker's OpenSSL is
//! capped at TLS 1.2 through `OPENSSL_CONF`. Its certificate has an ECDSA
//! key, so an ECDHE-RSA suite has nothing to sign with.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::*;

/// OpenSSL's configuration for the broker: nothing above TLS 1.2.
const TLS12_ONLY: &str = "openssl_conf = openssl_init\n\
    [openssl_init]\nssl_conf = ssl_sect\n\
    [ssl_sect]\nsystem_default = system_default_sect\n\
    [system_default_sect]\nMaxProtocol = TLSv1.2\n";

/// A broker with a plain listener (`broker.port`) and a TLS one (the
/// returned port) serving `certs`' `localhost` certificate, capped at
/// TLS 1.2 when `tls12` says so.
fn tls_broker(certs: &Path, tls12: bool) -> (Broker, u16) {
    test_ca(certs);
    let conf = certs.join("openssl.cnf");
    std::fs::write(&conf, TLS12_ONLY).unwrap();
    let tls_port = free_port();
    let config = format!(
        "allow_anonymous true\nuser root\nlistener {tls_port} 127.0.0.1\ncafile {d}/ca.pem\n\
         certfile {d}/server.pem\nkeyfile {d}/server.key\ntls_version tlsv1.2\n",
        d = certs.display()
    );
    let env: &[(&str, &str)] = if tls12 {
        &[("OPENSSL_CONF", conf.to_str().unwrap())]
    } else {
        &[]
    };
    let broker = Broker::with_env(&[], &config, env);
    assert!(
        listening(tls_port, Duration::from_secs(10)),
        "no TLS listener on {tls_port}"
    );
    (broker, tls_port)
}

/// `mosquitto_pub ARGS` with an empty home (no options file of the
/// machine takes part) and `env` added.
fn mosquitto_pub_run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new("mosquitto_pub")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("mosquitto_pub (apt-get install mosquitto-clients)")
}

/// `mqrr pub ARGS` with `env` added.
fn mqrr_pub(args: &[&str], env: &[(&str, &str)]) -> Output {
    mqrr()
        .arg("pub")
        .envs(env.iter().copied())
        .args(args)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap()
}

/// One `pub --cafile CA --ciphers LIST -t TOPIC` through mqrr and then
/// mosquitto_pub on `port`, each sending its tool's name and `tag`.
fn both_publish_with_ciphers(
    port: &str,
    ca: &str,
    list: &str,
    topic: &str,
    tag: &str,
) -> (Output, Output) {
    let run = |tool: &str| {
        let payload = format!("{tool} {tag}");
        let args = [
            "-h",
            "localhost",
            "-p",
            port,
            "--cafile",
            ca,
            "--ciphers",
            list,
            "-t",
            topic,
            "-m",
            &payload,
        ];
        match tool {
            "mqrr" => mqrr_pub(&args, &[]),
            _ => mosquitto_pub_run(&args, &[]),
        }
    };
    (run("mqrr"), run("mosquitto_pub"))
}

/// The payloads `seen` got since the first `from`, up to an end mark
/// published now on the plain listener (everything the finished runs sent
/// has arrived when it has), sorted: which of two runs came first is not
/// the question. `from` is then where the next call starts.
fn arrived(seen: &Collector, port: u16, from: &mut usize) -> Vec<String> {
    let mark = format!("end {from}");
    mosquitto_pub(port, "tls/end", &mark, false);
    let at = |all: &[Seen]| all.iter().position(|m| m.payload == mark.as_bytes());
    assert!(
        wait_until(Duration::from_secs(10), || at(&seen.seen()).is_some()),
        "{mark} never arrived: {:?}",
        seen.payloads()
    );
    let all = seen.seen();
    let end = at(&all).unwrap_or_default();
    let mut payloads: Vec<String> = all
        .get(*from..end)
        .unwrap_or_default()
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    payloads.sort();
    *from = end + 1;
    payloads
}

#[test]
fn ciphers_choose_the_tls12_suite_as_mosquitto_pub_s_do() {
    let certs = tempfile::tempdir().unwrap();
    let (broker, tls_port) = tls_broker(certs.path(), true);
    let seen = Collector::start(broker.port, "tls/#", true);
    let ca = certs.path().join("ca.pem");
    let (ca, p) = (ca.to_str().unwrap(), tls_port.to_string());
    // (cipher list, connects): the ECDSA suite the certificate can serve,
    // the same with an unknown name beside it (OpenSSL skips it in a list),
    // and an RSA suite, for which the broker has no certificate.
    let cases = [
        ("ECDHE-ECDSA-AES128-GCM-SHA256", true),
        ("ECDHE-ECDSA-AES128-GCM-SHA256:NOPE", true),
        ("ECDHE-RSA-AES128-GCM-SHA256", false),
    ];
    let mut from = 0;
    for (list, ok) in cases {
        let (mqrr_out, mosq_out) = both_publish_with_ciphers(&p, ca, list, "tls/c", list);
        if ok {
            assert_prints(mqrr_out, "");
            assert!(mosq_out.status.success(), "{list}: {}", describe(&mosq_out));
        } else {
            assert_failure_in(&format!("{list}: "), &mqrr_out, 3, &["cannot connect"]);
            assert!(
                !mosq_out.status.success(),
                "{list}: {}",
                describe(&mosq_out)
            );
        }
        let expected: Vec<String> = if ok {
            vec![format!("mosquitto_pub {list}"), format!("mqrr {list}")]
        } else {
            Vec::new()
        };
        assert_eq!(arrived(&seen, broker.port, &mut from), expected, "{list}");
    }
}

#[test]
fn an_unknown_cipher_name_fails_at_connect_exit_3_not_as_a_usage_error() {
    // mqrr passes the list to OpenSSL as it is (it does not know OpenSSL's
    // names); OpenSSL refuses a list with no cipher it knows when the
    // connection is made. mosquitto_pub: exit 1, "Unable to connect (A TLS
    // error occurred.)".
    let certs = tempfile::tempdir().unwrap();
    let (broker, tls_port) = tls_broker(certs.path(), true);
    let seen = Collector::start(broker.port, "tls/#", true);
    let ca = certs.path().join("ca.pem");
    let (ca, p) = (ca.to_str().unwrap(), tls_port.to_string());
    let args = [
        "-h",
        "localhost",
        "-p",
        &p,
        "--cafile",
        ca,
        "--ciphers",
        "NOPE",
        "-t",
        "tls/n",
        "-m",
        "never",
    ];
    let out = mqrr_pub(&args, &[]);
    assert_failure(&out, 3, &["cannot connect", &format!("localhost:{p}")]);
    let mosq = mosquitto_pub_run(&args, &[]);
    assert_eq!(mosq.status.code(), Some(1), "{}", describe(&mosq));
    assert!(
        String::from_utf8_lossy(&mosq.stderr).contains("A TLS error occurred"),
        "{}",
        describe(&mosq)
    );
    assert_eq!(arrived(&seen, broker.port, &mut 0), Vec::<String>::new());
}

#[test]
fn tls_use_os_certs_trusts_ssl_cert_file_as_mosquitto_pub_does() {
    let certs = tempfile::tempdir().unwrap();
    let (broker, tls_port) = tls_broker(certs.path(), false);
    let seen = Collector::start(broker.port, "tls/#", true);
    // Another CA, which did not sign the broker's certificate.
    let other = tempfile::tempdir().unwrap();
    test_ca(other.path());
    let p = tls_port.to_string();
    let mut from = 0;
    for (ca_dir, ok) in [(certs.path(), true), (other.path(), false)] {
        let ca = ca_dir.join("ca.pem");
        let env = [("SSL_CERT_FILE", ca.to_str().unwrap())];
        let run = |tool: &str| {
            let payload = format!("{tool} {ok}");
            let args = [
                "-h",
                "localhost",
                "-p",
                &p,
                "--tls-use-os-certs",
                "-t",
                "tls/os",
                "-m",
                &payload,
            ];
            match tool {
                "mqrr" => mqrr_pub(&args, &env),
                _ => mosquitto_pub_run(&args, &env),
            }
        };
        let (mqrr_out, mosq_out) = (run("mqrr"), run("mosquitto_pub"));
        let expected: Vec<String> = if ok {
            assert_prints(mqrr_out, "");
            assert_eq!(mosq_out.status.code(), Some(0), "{}", describe(&mosq_out));
            vec![format!("mosquitto_pub {ok}"), format!("mqrr {ok}")]
        } else {
            // mosquitto_pub: exit 1 or 8 (as the handshake fails before or
            // after its CONNECT is written), "A TLS error occurred".
            assert_failure(&mqrr_out, 3, &["cannot connect"]);
            assert!(
                matches!(mosq_out.status.code(), Some(1 | 8))
                    && String::from_utf8_lossy(&mosq_out.stderr).contains("A TLS error occurred"),
                "{}",
                describe(&mosq_out)
            );
            Vec::new()
        };
        assert_eq!(
            arrived(&seen, broker.port, &mut from),
            expected,
            "SSL_CERT_FILE {ca:?}"
        );
    }
}

#[test]
fn a_cipher_list_does_not_limit_a_tls13_handshake_on_either() {
    // The same RSA-only list against a listener that may speak TLS 1.3:
    // OpenSSL takes TLS 1.3 suites from its own list, so both connect.
    let certs = tempfile::tempdir().unwrap();
    let (broker, tls_port) = tls_broker(certs.path(), false);
    let seen = Collector::start(broker.port, "tls/#", true);
    let ca = certs.path().join("ca.pem");
    let (ca, p) = (ca.to_str().unwrap(), tls_port.to_string());
    let list = "ECDHE-RSA-AES128-GCM-SHA256";
    let (mqrr_out, mosq_out) = both_publish_with_ciphers(&p, ca, list, "tls/13", "1.3");
    assert_prints(mqrr_out, "");
    assert!(mosq_out.status.success(), "{}", describe(&mosq_out));
    assert_eq!(
        arrived(&seen, broker.port, &mut 0),
        ["mosquitto_pub 1.3", "mqrr 1.3"]
    );
}
