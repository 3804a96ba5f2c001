//! Random broker behaviour for the chaos tests: a seeded generator of
//! packet sequences (valid, invalid, truncated, mis-sized, of any type)
//! that the fake broker plays at mqrr, and the bytes of each step.
//!
//! Shared by paho_random_packets.rs (a QoS 2 request, the driver that found
//! Paho C's double free) and broker_chaos.rs (request, `sub` and `serve`).

use std::time::Duration;

use super::fake_broker::*;

/// splitmix64: a seed gives the same sequence on every run and machine.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// What the broker does, one step at a time.
#[derive(Clone, Debug)]
pub enum Step {
    /// PUBACK/PUBREC/PUBREL/PUBCOMP; `id: None` is the id of the packet
    /// the script answers (the request, or the SUBSCRIBE).
    Ack {
        kind: u8,
        id: Option<u16>,
        reason: Option<u8>,
    },
    /// A PUBLISH to mqrr. `ours`: it carries the request's Correlation
    /// Data; `bad_props`: these bytes stand where the properties go (a
    /// property length that lies, an unknown identifier…).
    Publish {
        qos: u8,
        id: u16,
        retain: bool,
        ours: bool,
        topic: &'static [u8],
        bad_props: Option<Vec<u8>>,
    },
    /// Any packet type with a random body: a second CONNACK, an unasked
    /// SUBACK or UNSUBACK, PINGRESP, AUTH, the reserved types 0 and 15.
    Raw {
        first: u8,
        body: Vec<u8>,
    },
    Garbage(Vec<u8>),
    /// A valid step, cut after `keep` bytes.
    Truncated(Box<Step>, usize),
    /// A valid step whose remaining length is off by `delta`.
    BadLength(Box<Step>, i8),
    Disconnect(u8),
    Pause(u64),
    HalfClose,
    Close,
}

const REASONS: [u8; 8] = [0x00, 0x10, 0x80, 0x83, 0x87, 0x91, 0x92, 0x97];

/// One random step; `depth` > 0 inside `Truncated`/`BadLength` (no nesting
/// of those, no pauses or closes).
pub fn random_step(rng: &mut SplitMix64, depth: u32) -> Step {
    let ids = [None, None, None, Some(1), Some(2), Some(0), Some(0xFFFF)];
    match rng.below(if depth > 0 { 8 } else { 16 }) {
        0..=3 => {
            let (known, any) = (rng.pick(&REASONS), rng.next() as u8);
            Step::Ack {
                kind: rng.pick(&[PUBACK, PUBREC, PUBREL, PUBCOMP]),
                id: rng.pick(&ids),
                reason: rng.pick(&[None, Some(known), Some(any)]),
            }
        }
        4..=5 => Step::Publish {
            qos: rng.below(3) as u8,
            id: rng.pick(&[1, 2, 3, 0]),
            retain: rng.below(4) == 0,
            ours: rng.below(4) == 0,
            topic: rng.pick(&[&b"resp"[..], b"resp", b"other", b"re\0sp", b"\xff\xfe", b""]),
            bad_props: (rng.below(5) == 0).then(|| {
                rng.pick(&[
                    &[0x05, 0x7F, 0, 0, 0, 0][..],       // unknown property
                    &[0x20, 0x01, 0x00][..],             // length past the packet
                    &[0x03, 0x09, 0x00, 0x10][..],       // correlation data cut short
                    &[0x03, 0x01, 0x07, 0x01][..],       // payload format twice, bad value
                    &[0x04, 0x23, 0x00, 0x00, 0x26][..], // topic alias 0, cut user property
                    &[0xFF, 0xFF, 0xFF, 0xFF, 0x7F][..], // a five-byte varint
                ])
                .to_vec()
            }),
        },
        6 => {
            let n = 1 + rng.below(24) as usize;
            Step::Garbage(rng.bytes(n))
        }
        7 => {
            let kind = rng.pick(&[CONNACK, SUBACK, UNSUBACK, 13, 15, 0, PINGREQ, CONNECT]);
            let n = rng.below(8) as usize;
            Step::Raw {
                first: kind << 4 | rng.pick(&[0, 0, 0, 2, 0xF]),
                body: rng.bytes(n),
            }
        }
        8..=9 => Step::Truncated(
            Box::new(random_step(rng, depth + 1)),
            1 + rng.below(6) as usize,
        ),
        10 => Step::BadLength(
            Box::new(random_step(rng, depth + 1)),
            rng.pick(&[-2, -1, 1, 3, 100]),
        ),
        11 => Step::Disconnect(rng.pick(&REASONS)),
        12..=13 => Step::Pause(rng.below(30)),
        14 => Step::HalfClose,
        _ => Step::Close,
    }
}

/// 1 to 8 random steps for `seed`.
pub fn steps_for(seed: u64) -> Vec<Step> {
    let mut rng = SplitMix64(seed);
    (0..1 + rng.below(8))
        .map(|_| random_step(&mut rng, 0))
        .collect()
}

/// The bytes of a step (empty for pauses and closes). `id` stands in for
/// every ack without an id of its own; `correlation` is what `ours`
/// PUBLISHes carry.
pub fn encode(step: &Step, id: u16, correlation: &[u8]) -> Vec<u8> {
    match step {
        Step::Ack {
            kind,
            id: own,
            reason,
        } => ack(*kind, own.unwrap_or(id), reason.map(|r| (r, None))),
        Step::Publish {
            qos,
            id,
            retain,
            ours,
            topic,
            bad_props,
        } => {
            let mut p = Publish::new("", b"reply");
            p.topic = topic.to_vec();
            (p.qos, p.id, p.retain) = (*qos, *id, *retain);
            match bad_props {
                None => {
                    p.props = Some(if *ours {
                        Props::new().bytes(prop::CORRELATION_DATA, correlation)
                    } else {
                        Props::new()
                    });
                    p.encode()
                }
                Some(raw) => {
                    let first = PUBLISH << 4 | (qos & 3) << 1 | u8::from(*retain);
                    let mut body = lstr(topic);
                    if *qos > 0 {
                        body.extend(id.to_be_bytes());
                    }
                    body.extend(raw);
                    body.extend(b"reply");
                    packet(first, &body)
                }
            }
        }
        Step::Raw { first, body } => packet(*first, body),
        Step::Garbage(b) => b.clone(),
        Step::Truncated(inner, keep) => {
            let mut b = encode(inner, id, correlation);
            b.truncate((*keep).min(b.len().saturating_sub(1)).max(1));
            b
        }
        Step::BadLength(inner, delta) => {
            let mut b = encode(inner, id, correlation);
            if b.len() > 1 && b[1] < 0x80 {
                b[1] = (b[1] as i16 + *delta as i16).clamp(0, 127) as u8;
            }
            b
        }
        Step::Disconnect(r) => disconnect(*r, None),
        _ => Vec::new(),
    }
}

/// Plays `steps`; `id` and `correlation` as for `encode`.
pub fn play(c: &mut Conn, steps: &[Step], id: u16, correlation: &[u8]) {
    for step in steps {
        match step {
            Step::Pause(ms) => std::thread::sleep(Duration::from_millis(*ms)),
            Step::HalfClose => c.half_close(),
            Step::Close => c.close(),
            s => c.send(&format!("{s:?}"), &encode(s, id, correlation)),
        }
    }
}

/// The seeds a driver runs: the variable `var` as `N` or `A..B`, else
/// `default` (same form).
pub fn seed_range(var: &str, default: &str) -> std::ops::Range<u64> {
    let spec = std::env::var(var).unwrap_or_else(|_| default.into());
    let parse = |s: &str| {
        s.parse::<u64>()
            .unwrap_or_else(|_| panic!("{var}: {spec:?} is not N or A..B"))
    };
    match spec.split_once("..") {
        Some((a, b)) => parse(a)..parse(b),
        None => parse(&spec)..parse(&spec) + 1,
    }
}

/// Runs `one` for every seed of `seeds` on `MQRR_JOBS` threads (default
/// `jobs`). `one` says how a seed ended (`Ok`: a label to count) or what
/// went wrong (`Err`); the result is every failure, a paragraph each, and
/// how many seeds ended with each label.
pub fn run_seeds(
    seeds: std::ops::Range<u64>,
    jobs: usize,
    one: impl Fn(u64) -> Result<String, String> + Sync,
) -> (String, std::collections::BTreeMap<String, u64>) {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};
    let jobs = std::env::var("MQRR_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(jobs);
    let next = AtomicU64::new(seeds.start);
    let failures = Mutex::new(String::new());
    let tally = Mutex::new(std::collections::BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::SeqCst);
                    if seed >= seeds.end {
                        return;
                    }
                    let label = match one(seed) {
                        Ok(label) => label,
                        Err(why) => {
                            eprintln!("FAIL seed {seed}: {}", why.lines().next().unwrap_or(""));
                            let mut f = failures.lock().unwrap();
                            f.push_str(&format!("seed {seed}: {why}\n\n"));
                            "failed".to_string()
                        }
                    };
                    *tally.lock().unwrap().entry(label).or_insert(0) += 1;
                }
            });
        }
    });
    (failures.into_inner().unwrap(), tally.into_inner().unwrap())
}
