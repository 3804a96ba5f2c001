#!/usr/bin/env python3
"""`mqrr pub` against `mosquitto_pub` on the same private broker, interleaved.

Two measurements (run as `scripts/bench pub [ROUNDS] [PAIRS]`):

* `-l` throughput: 200,000 stdin lines at QoS 0 and 60,000 at QoS 1 (from
  a file, so the producer is never the limit), each tool once per round, in
  alternating order. The clock runs from starting the publisher until a
  subscriber has every message. The subscriber is a raw MQTT 3.1.1 socket
  in this process that subscribes at QoS 0: every delivery is then a
  PUBLISH of the same size (the lines have the same length), so it counts
  bytes and checks each packet afterwards, at no cost per message while
  the clock runs. mosquitto's max_queued_messages is raised so that it
  drops nothing for the subscriber. Peak RSS of the publisher comes from
  GNU time.
* one-shot `pub -m x` against `mosquitto_pub -m x`: PAIRS interleaved
  pairs of wall times from spawn to exit, and the median peak RSS of 50 runs
  of each under GNU time.

Both tools run with their defaults: mosquitto_pub speaks MQTT 3.1.1 with at
most 20 messages in flight, mqrr MQTT 5 with the broker's Receive Maximum
(mosquitto announces 20). It measures and reports; it never fails on a
number.
"""

import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import build_release, mosquitto, need, timed  # noqa: E402

LINES = 200_000
# mosquitto_pub 2.0.11 cannot send more QoS 1 lines than there are message
# ids: after 65,535 it exits 0 as soon as the id of its last line is
# acknowledged, which is an early line's (see tests/publish.rs), having
# delivered a fraction of its input. At QoS 1 both tools get fewer lines.
LINES_QOS1 = 60_000
ARGS = sys.argv[1:]
if len(ARGS) > 2 or not all(a.isdigit() for a in ARGS):
    sys.exit("usage: scripts/bench pub [ROUNDS] [PAIRS]   (default 5 rounds, 300 pairs; 0 rounds: one-shot only)")
ROUNDS = int(ARGS[0]) if ARGS else 5
PAIRS = int(ARGS[1]) if len(ARGS) > 1 else 300


def mqtt_string(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def packet(kind, body):
    """An MQTT packet: fixed header byte, remaining length, body."""
    n, length = len(body), bytearray()
    while True:
        n, digit = divmod(n, 128)
        length.append(digit | (0x80 if n else 0))
        if not n:
            return bytes([kind]) + bytes(length) + body


class Subscriber:
    """A raw MQTT 3.1.1 subscriber on `topic` at QoS 0 that waits until
    `count` PUBLISH packets of `size` bytes each have arrived."""

    def __init__(self, port, topic, count, size):
        self.topic, self.count, self.size = topic, count, size
        self.expected = count * size
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client_id = f"bench-sub-{os.getpid()}-{time.monotonic_ns()}"
        # CONNECT: MQTT 3.1.1, clean session, keepalive 0 (no PINGs).
        self.sock.sendall(packet(0x10, mqtt_string("MQTT") + bytes([4, 0x02, 0, 0]) + mqtt_string(client_id)))
        self.buf = bytearray()
        self._read_exactly(4)  # CONNACK
        if self.buf[:2] != b"\x20\x02" or self.buf[3] != 0:
            sys.exit(f"bench: subscriber not accepted: {bytes(self.buf)!r}")
        self.buf.clear()
        self.sock.sendall(packet(0x82, struct.pack("!H", 1) + mqtt_string(topic) + b"\x00"))
        self._read_exactly(5)  # SUBACK
        if self.buf[0] != 0x90 or self.buf[4] != 0:
            sys.exit(f"bench: subscription refused: {bytes(self.buf)!r}")
        self.buf.clear()
        self.done_at = None
        self.thread = threading.Thread(target=self._collect, daemon=True)
        self.thread.start()

    def _read_exactly(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                sys.exit("bench: the broker closed the subscriber's connection")
            self.buf += chunk

    def _collect(self):
        view = bytearray(1 << 20)
        while len(self.buf) < self.expected:
            n = self.sock.recv_into(view)
            if not n:
                return
            self.buf += view[:n]
        self.done_at = time.perf_counter()

    def wait(self, bound=120.0):
        """Seconds at which the last message arrived (perf_counter), after
        checking every packet: same topic, QoS 0, the expected size."""
        self.thread.join(bound)
        self.sock.close()
        if self.done_at is None:
            sys.exit(f"bench: the subscriber got {len(self.buf)} of {self.expected} bytes")
        head = packet(0x30, mqtt_string(self.topic) + b"x" * (self.size - 4 - len(self.topic)))[:4 + len(self.topic)]
        for at in range(0, self.expected, self.size):
            if self.buf[at:at + len(head)] != head:
                sys.exit(f"bench: unexpected packet at byte {at}: {bytes(self.buf[at:at + 16])!r}")
        return self.done_at


def lines_file(d, n):
    path = os.path.join(d, f"lines{n}")
    with open(path, "w") as f:
        for i in range(n):
            f.write(f"line {i:08d}\n")  # 13 bytes, the same for every line
    return path, 13


def throughput(port, d, mqrr):
    tools = {
        "mqrr": lambda topic, qos: [mqrr, "pub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-q", qos, "-l"],
        "mosquitto_pub": lambda topic, qos: ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", topic,
                                             "-q", qos, "-l"],
    }
    for qos in ("0", "1"):
        lines = LINES if qos == "0" else LINES_QOS1
        path, payload = lines_file(d, lines)
        rates = {name: [] for name in tools}
        rss = {name: [] for name in tools}
        ratios = []
        for rnd in range(ROUNDS + 1):  # round 0 warms up and is not counted
            order = list(tools) if rnd % 2 else list(reversed(tools))
            got = {}
            for name in order:
                topic = f"bench/pub/{qos}/{rnd}/{name}"
                size = 2 + 2 + len(topic) + payload
                sub = Subscriber(port, topic, lines, size)
                with open(path, "rb") as stdin:
                    t0 = time.perf_counter()
                    _, peak, p = timed(tools[name](topic, qos), stdin=stdin)
                if p.returncode != 0:
                    sys.exit(f"bench: {name} exited {p.returncode}: {p.stderr.decode(errors='replace')[-500:]}")
                got[name] = lines / (sub.wait() - t0)
                if rnd:
                    rates[name].append(got[name])
                    rss[name].append(peak)
            if rnd:
                ratios.append(got["mqrr"] / got["mosquitto_pub"])
        print(f"\n`-l` with {lines} lines at QoS {qos}, until the subscriber has them all ({ROUNDS} rounds)")
        print(f"  {'':14} {'median msg/s':>13} {'min':>10} {'max':>10} {'peak RSS':>10}")
        for name in tools:
            r = rates[name]
            print(f"  {name:14} {statistics.median(r):>13,.0f} {min(r):>10,.0f} {max(r):>10,.0f}"
                  f" {statistics.median(rss[name]) / 1024:>7.2f} MiB")
        print(f"  median of per-round ratios mqrr/mosquitto_pub (msg/s): {statistics.median(ratios):.2f}")
        print(f"  peak RSS ratio (medians): {statistics.median(rss['mqrr']) / statistics.median(rss['mosquitto_pub']):.2f}")


def one_shot(port, mqrr):
    argv = {
        "mqrr": [mqrr, "pub", "-h", "127.0.0.1", "-p", str(port), "-t", "bench/one", "-m", "x"],
        "mosquitto_pub": ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", "bench/one", "-m", "x"],
    }

    def once(a):
        t0 = time.perf_counter()
        p = subprocess.run(a, capture_output=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"bench: {a[0]} exited {p.returncode}: {p.stderr!r}")
        return wall

    for _ in range(20):  # warm caches and the broker
        once(argv["mqrr"])
        once(argv["mosquitto_pub"])
    walls = {"mqrr": [], "mosquitto_pub": []}
    ratios = []
    for _ in range(PAIRS):
        a, b = once(argv["mqrr"]), once(argv["mosquitto_pub"])
        walls["mqrr"].append(a)
        walls["mosquitto_pub"].append(b)
        ratios.append(a / b)
    rss = {name: statistics.median(timed(a)[1] for _ in range(50)) for name, a in argv.items()}
    ms = lambda v: f"{v * 1000:.2f} ms"
    print(f"\none-shot `pub -m x` ({PAIRS} interleaved pairs)")
    print(f"  {'':14} {'median':>10} {'p90':>10} {'max':>10} {'peak RSS':>10}")
    for name, w in walls.items():
        p90 = statistics.quantiles(w, n=10, method="inclusive")[-1]
        print(f"  {name:14} {ms(statistics.median(w)):>10} {ms(p90):>10} {ms(max(w)):>10}"
              f" {rss[name] / 1024:>7.2f} MiB")
    print(f"  median of pairwise wall-time ratios mqrr/mosquitto_pub: {statistics.median(ratios):.2f}")
    print(f"  peak RSS ratio (medians of 50): {rss['mqrr'] / rss['mosquitto_pub']:.2f}")


def main():
    need("mosquitto", "mosquitto_pub", "/usr/bin/time")
    mqrr = build_release()
    with tempfile.TemporaryDirectory() as d, \
            mosquitto("max_queued_messages 1000000\n") as port:
        print(f"mqrr: {mqrr}")
        if ROUNDS:
            throughput(port, d, mqrr)
        one_shot(port, mqrr)


if __name__ == "__main__":
    main()
