//! What the `sub` test files share: a broker that logs subscriptions (so a
//! test knows when a subscriber is ready, whichever client it is), a
//! subscriber process whose stdout is collected, and one publisher
//! connection that sends a whole list of messages in order.

#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use paho_mqtt as mqtt;

use crate::common::{Broker, broker_args, mqrr_std, wait_until};

/// A broker that logs every subscription to `{dir}/log`.
pub fn broker() -> Broker {
    Broker::logging()
}

/// mosquitto 2.0's acl_file never refuses a SUBSCRIBE (it filters on
/// delivery), so a refused subscription needs the dynamic security plugin:
/// anonymous clients may subscribe to `ok/#` only.
pub fn broker_refusing_subscriptions() -> Broker {
    let dynsec = br#"{
  "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true,
                       "subscribe": false, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "subscriber"}]}],
  "roles": [{"rolename": "subscriber", "acls": [
    {"acltype": "subscribePattern", "topic": "ok/#", "priority": 0, "allow": true}
  ]}],
  "anonymousGroup": "anonymous"
}"#;
    Broker::with_dynsec(dynsec)
}

/// Waits (bounded) until `broker` logged that client `id` subscribed to
/// `filter` (mosquitto logs `ID QOS FILTER` for each).
#[track_caller]
pub fn wait_subscribed(broker: &Broker, id: &str, filter: &str) {
    let ok = wait_until(Duration::from_secs(10), || {
        broker.log().lines().any(|l| {
            let mut words = l.split(' ').skip(1);
            words.next() == Some(id)
                && words.next().is_some_and(|q| q.parse::<u8>().is_ok())
                && words.next() == Some(filter)
        })
    });
    assert!(
        ok,
        "{id} never subscribed to {filter}; broker log:\n{}",
        broker.log()
    );
}

/// A subscriber process (mqrr or mosquitto_sub) with stdout and stderr
/// collected by threads.
pub struct Sub {
    pub child: Child,
    /// What it printed so far.
    stdout: Arc<Mutex<Vec<u8>>>,
    out: Option<JoinHandle<()>>,
    err: Option<JoinHandle<Vec<u8>>>,
}

/// How a subscriber process ended.
#[derive(Debug)]
pub struct Ended {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Ended {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

impl Sub {
    pub fn spawn(cmd: &mut Command) -> Sub {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn subscriber");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (mut pipe, sink) = (child.stdout.take().unwrap(), stdout.clone());
        let out = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let mut pipe = child.stderr.take().unwrap();
        let err = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        });
        Sub {
            child,
            stdout,
            out: Some(out),
            err: Some(err),
        }
    }

    /// `mqrr sub` on the test broker as client `id`, with `args`.
    pub fn mqrr(port: u16, id: &str, args: &[&str]) -> Sub {
        Sub::spawn(
            mqrr_std()
                .arg("sub")
                .args(broker_args(port))
                .args(["-i", id])
                .args(args),
        )
    }

    /// `mosquitto_sub` 2.0 on the test broker as client `id`, with `args`.
    pub fn mosquitto(port: u16, id: &str, args: &[&str]) -> Sub {
        Sub::spawn(
            Command::new("mosquitto_sub")
                .args(broker_args(port))
                .args(["-i", id])
                .args(args),
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) until stdout so far is `expected`.
    #[track_caller]
    pub fn wait_printed(&self, expected: &str) {
        let ok = wait_until(Duration::from_secs(10), || {
            *self.stdout.lock().unwrap() == expected.as_bytes()
        });
        assert!(
            ok,
            "printed {:?}, not {expected:?}",
            String::from_utf8_lossy(&self.stdout.lock().unwrap())
        );
    }

    /// Waits (bounded) for the exit; kills and fails on a hang.
    #[track_caller]
    pub fn finish(mut self, bound: Duration) -> Ended {
        let mut status = None;
        let exited = wait_until(bound, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.out.take().unwrap().join().unwrap();
        let stdout = std::mem::take(&mut *self.stdout.lock().unwrap());
        let stderr =
            String::from_utf8_lossy(&self.err.take().unwrap().join().unwrap()).into_owned();
        assert!(
            exited,
            "subscriber still running after {bound:?}; stdout {:?}, stderr {stderr}",
            String::from_utf8_lossy(&stdout)
        );
        assert!(!stderr.contains("panicked"), "panic: {stderr}");
        Ended {
            status: status.unwrap(),
            stdout,
            stderr,
        }
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message to publish.
#[derive(Debug, Clone)]
pub struct Pub {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: i32,
    pub retain: bool,
    pub props: Props,
}

/// MQTT 5 properties of a published message.
#[derive(Debug, Clone, Default)]
pub struct Props {
    pub content_type: Option<String>,
    pub user: Vec<(String, String)>,
    pub correlation: Option<Vec<u8>>,
    pub response_topic: Option<String>,
    pub expiry: Option<i32>,
    pub payload_format: Option<i32>,
}

impl Props {
    /// The set recorded in /work/notes/format-observed.md ("P").
    pub fn full() -> Props {
        Props {
            content_type: Some("text/plain".into()),
            user: vec![("k1".into(), "v1".into()), ("k1".into(), "v2".into())],
            correlation: Some(b"abc".to_vec()),
            response_topic: Some("r/t".into()),
            expiry: Some(60),
            payload_format: Some(1),
        }
    }
}

impl Pub {
    pub fn new(topic: &str, payload: impl Into<Vec<u8>>) -> Pub {
        Pub {
            topic: topic.into(),
            payload: payload.into(),
            qos: 0,
            retain: false,
            props: Props::default(),
        }
    }

    pub fn qos(mut self, qos: i32) -> Pub {
        self.qos = qos;
        self
    }

    pub fn retained(mut self) -> Pub {
        self.retain = true;
        self
    }

    pub fn props(mut self, props: Props) -> Pub {
        self.props = props;
        self
    }
}

/// Publishes `msgs` in order over one MQTT 5 connection (the broker then
/// forwards them in that order), each QoS 1/2 one acknowledged before the
/// next is sent, and disconnects cleanly.
pub fn publish(port: u16, msgs: &[Pub]) {
    let client = mqtt::Client::new(
        mqtt::CreateOptionsBuilder::new()
            .server_uri(format!("tcp://127.0.0.1:{port}"))
            .client_id(format!("publisher-{}", crate::common::free_port()))
            .mqtt_version(mqtt::MQTT_VERSION_5)
            .persistence(None)
            .finalize(),
    )
    .expect("publisher client");
    client
        .connect(
            mqtt::ConnectOptionsBuilder::with_mqtt_version(mqtt::MQTT_VERSION_5)
                .clean_start(true)
                .finalize(),
        )
        .expect("publisher connect");
    for m in msgs {
        let mut props = mqtt::Properties::new();
        use mqtt::PropertyCode as P;
        let p = &m.props;
        if let Some(v) = &p.content_type {
            props.push_string(P::ContentType, v).unwrap();
        }
        for (k, v) in &p.user {
            props.push_string_pair(P::UserProperty, k, v).unwrap();
        }
        if let Some(v) = &p.correlation {
            props.push_binary(P::CorrelationData, v.clone()).unwrap();
        }
        if let Some(v) = &p.response_topic {
            props.push_string(P::ResponseTopic, v).unwrap();
        }
        if let Some(v) = p.expiry {
            props.push_int(P::MessageExpiryInterval, v).unwrap();
        }
        if let Some(v) = p.payload_format {
            props.push_int(P::PayloadFormatIndicator, v).unwrap();
        }
        let msg = mqtt::MessageBuilder::new()
            .topic(&m.topic)
            .payload(m.payload.clone())
            .qos(m.qos)
            .retained(m.retain)
            .properties(props)
            .finalize();
        client.publish(msg).expect("publish");
    }
    client.disconnect(None).expect("publisher disconnect");
    // Paho's destructor joins its threads for ~1 s.
    std::mem::forget(client);
}

/// Runs mosquitto_sub and `mqrr sub` side by side on `broker`: both with
/// `args` (and `mosq_extra`/`mqrr_extra` for what each spells differently),
/// waits until both subscribed to `filter`, publishes `live`, and returns
/// (mosquitto_sub, mqrr) once both ended (each needs its own `-C`/`-W`).
pub fn side_by_side(
    broker: &Broker,
    args: &[&str],
    mosq_extra: &[&str],
    mqrr_extra: &[&str],
    filter: &str,
    live: &[Pub],
) -> (Ended, Ended) {
    let tag = crate::common::free_port();
    let (mid, qid) = (format!("mosq-{tag}"), format!("mqrr-{tag}"));
    let mosq = Sub::mosquitto(broker.port, &mid, &[args, mosq_extra].concat());
    let mqrr = Sub::mqrr(broker.port, &qid, &[args, mqrr_extra].concat());
    wait_subscribed(broker, &mid, filter);
    wait_subscribed(broker, &qid, filter);
    publish(broker.port, live);
    let bound = Duration::from_secs(15);
    (mosq.finish(bound), mqrr.finish(bound))
}
