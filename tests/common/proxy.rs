//! A TCP proxy between mqrr and a real mosquitto that breaks the network on
//! command (issue #19): latency, a stalled direction, one byte at a time,
//! a cut in the middle of a packet, a half-close. Faults apply to every
//! connection, open or future, from the moment they are set.
//!
//! Each direction of a connection is two threads: a reader that takes
//! whatever arrives (stamped with its arrival time) and a writer that hands
//! it on when the faults allow. Delays here are the faults themselves; the
//! tests still wait on conditions only.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A direction of the proxied connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// mqrr → broker.
    Up,
    /// broker → mqrr.
    Down,
}

/// The faults of one direction.
#[derive(Debug, Clone, Default)]
struct Faults {
    /// Every byte is handed on this long after it arrived.
    latency: Duration,
    /// Nothing is handed on (it is kept, and flows again on `resume`).
    stalled: bool,
    /// One byte at a time, this far apart.
    drip: Option<Duration>,
    /// For this many next chunks (a packet each, as mosquitto and Paho
    /// write one per send): hand on half, then close both sides.
    cut_mid_packet: usize,
    /// End this direction with a FIN at once, dropping what was not handed
    /// on yet (the other direction keeps flowing).
    half_closed: bool,
}

/// A fault to set when a packet of some type is about to be handed on.
pub type Trigger = Box<dyn FnOnce(&Proxy) + Send>;

struct Shared {
    faults: Mutex<[Faults; 2]>,
    /// (direction, MQTT packet type, fault): fired once, before the first
    /// such packet is handed on, so that the packet itself still goes
    /// through as before but everything after it meets the fault (the
    /// other direction included: mqrr cannot react to a packet it has not
    /// received yet).
    triggers: Mutex<Vec<(Dir, u8, Trigger)>>,
    fired_at: Mutex<Option<Instant>>,
    changed: Condvar,
    /// Set by `cut`: every connection open now is closed.
    cut_generation: AtomicUsize,
    accepted: AtomicUsize,
    /// Bytes handed on per direction, over all connections.
    forwarded: [AtomicUsize; 2],
    stop: AtomicBool,
}

fn index(d: Dir) -> usize {
    match d {
        Dir::Up => 0,
        Dir::Down => 1,
    }
}

/// A proxy on 127.0.0.1 and a free port, forwarding to 127.0.0.1:`upstream`.
pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Proxy {
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            faults: Mutex::new([Faults::default(), Faults::default()]),
            triggers: Mutex::new(Vec::new()),
            fired_at: Mutex::new(None),
            changed: Condvar::new(),
            cut_generation: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
            forwarded: [AtomicUsize::new(0), AtomicUsize::new(0)],
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                s.accepted.fetch_add(1, Ordering::SeqCst);
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let generation = s.cut_generation.load(Ordering::SeqCst);
                pipe(&s, &client, &server, Dir::Up, generation, port);
                pipe(&s, &server, &client, Dir::Down, generation, port);
            }
        });
        Proxy { port, shared }
    }

    fn set(&self, d: Dir, change: impl FnOnce(&mut Faults)) {
        let mut f = self.shared.faults.lock().unwrap();
        change(&mut f[index(d)]);
        self.shared.changed.notify_all();
    }

    /// Delays every byte in both directions by `d`.
    pub fn latency(&self, d: Duration) {
        self.set(Dir::Up, |f| f.latency = d);
        self.set(Dir::Down, |f| f.latency = d);
    }

    /// Stops handing on anything in direction `d`.
    pub fn stall(&self, d: Dir) {
        self.set(d, |f| f.stalled = true);
    }

    pub fn resume(&self, d: Dir) {
        self.set(d, |f| f.stalled = false);
    }

    /// Hands on one byte at a time, `gap` apart, in direction `d`.
    pub fn drip(&self, d: Dir, gap: Duration) {
        self.set(d, |f| f.drip = Some(gap));
    }

    /// The next chunk in direction `d` goes only half through, then the
    /// connection is closed both ways: a packet cut in the middle.
    pub fn cut_mid_packet(&self, d: Dir) {
        self.cut_mid_packets(d, 1);
    }

    /// As `cut_mid_packet`, for the first chunk of each of the next
    /// `times` connections (or chunks).
    pub fn cut_mid_packets(&self, d: Dir, times: usize) {
        self.set(d, |f| f.cut_mid_packet = times);
    }

    /// Runs `fault` (e.g. `|p| p.stall(Dir::Down)`) just before the first
    /// packet of MQTT type `packet` (9: SUBACK, 3: PUBLISH, 2: CONNACK) is
    /// handed on in direction `d`. That packet goes through unchanged;
    /// what follows meets the fault.
    pub fn on_packet(&self, d: Dir, packet: u8, fault: impl FnOnce(&Proxy) + Send + 'static) {
        self.shared
            .triggers
            .lock()
            .unwrap()
            .push((d, packet, Box::new(fault)));
    }

    /// When the last trigger fired.
    pub fn fired_at(&self) -> Option<Instant> {
        *self.shared.fired_at.lock().unwrap()
    }

    /// Ends direction `d` with a FIN (`shutdown(Write)` towards its
    /// receiver); the other direction keeps flowing.
    pub fn half_close(&self, d: Dir) {
        self.set(d, |f| f.half_closed = true);
    }

    /// Closes every connection open now, both ways; later ones are fine.
    pub fn cut(&self) {
        self.shared.cut_generation.fetch_add(1, Ordering::SeqCst);
        self.shared.changed.notify_all();
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Bytes handed on in direction `d` so far.
    pub fn forwarded(&self, d: Dir) -> usize {
        self.shared.forwarded[index(d)].load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.cut();
        // Wake the accept loop so that it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// What a reader hands its writer: chunks stamped with their arrival, and
/// whether the sender closed its side.
type Queue = (Mutex<(VecDeque<(Instant, Vec<u8>)>, bool)>, Condvar);

/// Forwards `from` → `to` in direction `d` under the faults.
fn pipe(s: &Arc<Shared>, from: &TcpStream, to: &TcpStream, d: Dir, generation: usize, port: u16) {
    let queue: Arc<Queue> = Arc::new((Mutex::new((VecDeque::new(), false)), Condvar::new()));
    let (mut reader, q) = (from.try_clone().unwrap(), queue.clone());
    let shared = s.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) | Err(_) => 0,
                Ok(n) => n,
            };
            let (lock, cv) = &*q;
            let mut g = lock.lock().unwrap();
            if n == 0 {
                g.1 = true;
                cv.notify_all();
                // The writer may be waiting on the fault condvar.
                shared.changed.notify_all();
                return;
            }
            g.0.push_back((Instant::now(), buf[..n].to_vec()));
            cv.notify_all();
            shared.changed.notify_all();
        }
    });
    let (src, mut dst, s) = (
        from.try_clone().unwrap(),
        to.try_clone().unwrap(),
        s.clone(),
    );
    std::thread::spawn(move || {
        let close_both = |src: &TcpStream, dst: &TcpStream| {
            let _ = src.shutdown(Shutdown::Both);
            let _ = dst.shutdown(Shutdown::Both);
        };
        let cut = || s.cut_generation.load(Ordering::SeqCst) != generation;
        loop {
            // The next chunk, once there is one (or the reader ended).
            let chunk = {
                let (lock, cv) = &*queue;
                let mut g = lock.lock().unwrap();
                loop {
                    if cut() {
                        drop(g);
                        close_both(&src, &dst);
                        return;
                    }
                    if s.faults.lock().unwrap()[index(d)].half_closed {
                        drop(g);
                        let _ = dst.shutdown(Shutdown::Write);
                        return;
                    }
                    if let Some(c) = g.0.pop_front() {
                        break Some(c);
                    }
                    if g.1 {
                        break None;
                    }
                    g = cv.wait_timeout(g, Duration::from_millis(10)).unwrap().0;
                }
            };
            let Some((arrived, mut bytes)) = chunk else {
                // The sender closed its side: pass the FIN on.
                let _ = dst.shutdown(Shutdown::Write);
                return;
            };
            // Wait until the faults let it through.
            let faults = {
                let mut f = s.faults.lock().unwrap();
                loop {
                    if cut() {
                        drop(f);
                        close_both(&src, &dst);
                        return;
                    }
                    let mine = &f[index(d)];
                    let due = arrived + mine.latency;
                    let now = Instant::now();
                    if mine.half_closed {
                        break mine.clone();
                    }
                    if !mine.stalled && now >= due {
                        break mine.clone();
                    }
                    let wait = if mine.stalled {
                        Duration::from_millis(10)
                    } else {
                        due - now
                    };
                    f = s.changed.wait_timeout(f, wait).unwrap().0;
                }
            };
            if faults.half_closed {
                let _ = dst.shutdown(Shutdown::Write);
                return;
            }
            fire_triggers(&s, d, bytes.first().map_or(0, |b| b >> 4), port);
            if faults.cut_mid_packet > 0 {
                bytes.truncate((bytes.len() / 2).max(1));
                let _ = dst.write_all(&bytes);
                s.forwarded[index(d)].fetch_add(bytes.len(), Ordering::SeqCst);
                close_both(&src, &dst);
                s.faults.lock().unwrap()[index(d)].cut_mid_packet -= 1;
                return;
            }
            match faults.drip {
                None => {
                    if dst.write_all(&bytes).is_err() {
                        close_both(&src, &dst);
                        return;
                    }
                    s.forwarded[index(d)].fetch_add(bytes.len(), Ordering::SeqCst);
                }
                Some(gap) => {
                    for b in bytes {
                        if cut() || dst.write_all(&[b]).is_err() {
                            close_both(&src, &dst);
                            return;
                        }
                        s.forwarded[index(d)].fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(gap);
                    }
                }
            }
        }
    });
}

/// Runs the triggers waiting for a packet of type `packet` in direction `d`.
fn fire_triggers(s: &Arc<Shared>, d: Dir, packet: u8, port: u16) {
    let fired: Vec<Trigger> = {
        let mut t = s.triggers.lock().unwrap();
        let (now, later) = t
            .drain(..)
            .partition(|(dir, p, _)| *dir == d && *p == packet);
        *t = later;
        now.into_iter().map(|(_, _, f)| f).collect()
    };
    if fired.is_empty() {
        return;
    }
    let proxy = Proxy {
        port,
        shared: s.clone(),
    };
    for f in fired {
        f(&proxy);
    }
    *s.fired_at.lock().unwrap() = Some(Instant::now());
    // Not a real owner: dropping it must not stop the proxy.
    std::mem::forget(proxy);
}
