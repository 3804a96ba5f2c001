#!/usr/bin/env python3
"""Requests per second and latency of `mqrr serve --echo` (issue #17), run
as `scripts/bench serve [REQUESTS] [ROUNDS] [--profile]`.

The load generator is mosquitto's own tools: `mosquitto_pub -V 5 -l -D
publish response-topic bench/resp` reads one request per stdin line (the
payload is the time the line was written, in ns) and `mosquitto_sub -V 5 -F
'%U %p'` on bench/resp prints each reply with the time it arrived. Python
only writes the lines and reads the replies afterwards. Four setups run
interleaved, each once per round, against one private mosquitto:

* `mosquitto alone`: the ceiling. The publisher writes straight to bench/resp;
  every request is one message through the broker (one hop), where a served
  request is two (request in and out, reply in and out).
* `sub | pub -l relay`: `mosquitto_sub -t bench/req | mosquitto_pub -l -t
  bench/resp`, mosquitto's tools as an echo responder (no correlation): the
  mosquitto tool to compare with.
* `serve --echo`: one `mqrr serve`.
* `serve --group` x2: two `mqrr serve --group bench` sharing the requests.

Per setup: `flood` sends REQUESTS (default 50,000) lines as fast as they can
be written, at QoS 0 and at QoS 1 (`-q` of every tool), and reports replies per
second from the first line written to the last reply; `paced` sends 5,000
requests/s for 3 s at QoS 0 and reports the latency (reply arrival minus the
payload's send time) p50/p99. The CPU time each process used during the flood
(utime + stime from /proc/PID/stat) is given per request, so the cost of
serve can be set against the broker's for the same requests. mosquitto runs
with `max_queued_messages 0`: with its default (1000) a flood makes it drop
QoS 0 messages queued for a slow reader, and a count would be short. At QoS 1
a flood is at most 60,000 lines: `mosquitto_pub -l` 2.0.11 queues every line
at once and stops when "the last" packet id is acknowledged, so past 65,535
queued ids it quits early (100,000 lines: 34,467 arrived, verified).
`--profile` adds one `perf record -g` of a serve flood (and one of the broker)
and prints where the time went.

It measures and reports; it never fails on a number.
"""

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import build_release, free_port, need, wait_listening  # noqa: E402

ARGS = [a for a in sys.argv[1:] if a != "--profile"]
PROFILE = "--profile" in sys.argv[1:]
if len(ARGS) > 2 or not all(a.isdigit() for a in ARGS):
    sys.exit("usage: scripts/bench serve [REQUESTS] [ROUNDS] [--profile]   (default 50000 requests, 3 rounds)")
REQUESTS = int(ARGS[0]) if ARGS else 50_000
QOS1_MAX = 60_000
ROUNDS = int(ARGS[1]) if len(ARGS) > 1 else 3
PACED_RATE, PACED_SECONDS = 5_000, 3
TICK = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def broker():
    """A private mosquitto on a free port: yields (port, Popen)."""
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        conf = os.path.join(d, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"user root\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n"
                    f"max_queued_messages 0\nlistener {port} 127.0.0.1\n")
        proc = subprocess.Popen(["mosquitto", "-c", conf], stderr=subprocess.DEVNULL)
        try:
            wait_listening(port)
            yield port, proc
        finally:
            proc.kill()
            proc.wait()


def cpu_seconds(pid):
    """utime + stime of a process so far, in seconds (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def host(port):
    return ["-h", "127.0.0.1", "-p", str(port)]


class Setup:
    """The responder(s) between bench/req and bench/resp, started and
    checked answering; `pids` are what its CPU time is counted over."""

    def __init__(self, name, mqrr, port, qos):
        self.name, self.procs, self.port = name, [], port
        self.topic = "bench/req"
        q = ["-q", str(qos)]
        if name == "mosquitto alone":
            self.topic = "bench/resp"
        elif name == "sub | pub -l relay":
            sub = subprocess.Popen(["mosquitto_sub", *host(port), "-V", "5", *q, "-t", "bench/req", "-F", "%p"],
                                   stdout=subprocess.PIPE)
            pub = subprocess.Popen(["mosquitto_pub", *host(port), "-V", "5", *q, "-t", "bench/resp", "-l"],
                                   stdin=sub.stdout)
            sub.stdout.close()
            self.procs = [sub, pub]
            self.ready("bench/req")
        else:
            members = 2 if "group" in name else 1
            for k in range(members):
                # bench/ready/K is this member's alone: a reply to a request
                # there shows that this member has subscribed.
                group = ["--group", "bench"] if members > 1 else []
                self.procs.append(subprocess.Popen(
                    [mqrr, "serve", *host(port), "--quiet", *q, *group, "-t", "bench/req",
                     "-t", f"bench/ready/{k}", "--echo"]))
                self.ready(f"bench/ready/{k}")

    def ready(self, topic, bound=10.0):
        end = time.monotonic() + bound
        while time.monotonic() < end:
            p = subprocess.run(["mosquitto_rr", *host(self.port), "-V", "5", "-t", topic, "-e", "bench/resp",
                                "-m", "probe", "-W", "1"], capture_output=True)
            if p.returncode == 0:
                return
        sys.exit(f"bench: {self.name} never answered on {topic}")

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class Collector:
    """`mosquitto_sub -F '%U %p'` on bench/resp: every reply with its arrival
    time. Subscribed when the constructor returns."""

    def __init__(self, port, qos):
        self.proc = subprocess.Popen(["mosquitto_sub", *host(port), "-V", "5", "-q", str(qos), "-t", "bench/resp",
                                      "-F", "%U %p"], stdout=subprocess.PIPE, bufsize=1 << 20)
        self.lines, self.count = [], 0
        self.first = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        # Probe until the subscriber shows a message: then it is subscribed.
        end = time.monotonic() + 10
        while not self.first.wait(0.05):
            subprocess.run(["mosquitto_pub", *host(port), "-t", "bench/resp", "-m", "0 probe"])
            if time.monotonic() > end:
                sys.exit("bench: the reply collector never subscribed")

    def _read(self):
        for line in self.proc.stdout:
            self.first.set()
            if not line.endswith(b"probe\n"):
                self.lines.append(line)
                self.count += 1

    def wait_for(self, n, bound):
        end = time.monotonic() + bound
        while self.count < n and time.monotonic() < end:
            time.sleep(0.01)
        return self.count

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.reader.join()

    def times(self):
        """(arrival, sent) in seconds for each reply."""
        out = []
        for line in self.lines:
            arrived, _, payload = line.decode().partition(" ")
            out.append((float(arrived), int(payload) / 1e9))
        return out


def send(port, setup, qos, lines_at):
    """Feeds `mosquitto_pub -l` the lines `lines_at()` yields (each written
    when yielded); returns the publisher."""
    pub = subprocess.Popen(["mosquitto_pub", *host(port), "-V", "5", "-q", str(qos), "-t", setup.topic, "-l",
                            "-D", "publish", "response-topic", "bench/resp"], stdin=subprocess.PIPE)
    for chunk in lines_at():
        pub.stdin.write(chunk)
        pub.stdin.flush()
    pub.stdin.close()
    return pub


def flood_size(qos):
    return REQUESTS if qos == 0 else min(REQUESTS, QOS1_MAX)


def flood(port, broker_pid, setup, qos):
    """`flood_size(qos)` requests as fast as they can be written: (replies/s,
    CPU s per request by process, replies received)."""
    n = flood_size(qos)
    col = Collector(port, qos)
    counted = {"broker": [broker_pid], setup.name: setup.pids}
    before = {k: sum(map(cpu_seconds, pids)) for k, pids in counted.items()}
    t0 = time.time()

    def lines():
        stamp = str(time.time_ns()).encode() + b"\n"
        for start in range(0, n, 10_000):
            yield stamp * min(10_000, n - start)

    pub = send(port, setup, qos, lines)
    pub_pid = pub.pid
    got = col.wait_for(n, 120)
    # The load generator's own CPU, read before it exits.
    load_cpu = cpu_seconds(pub_pid) + cpu_seconds(col.proc.pid)
    after = {k: sum(map(cpu_seconds, pids)) for k, pids in counted.items()}
    pub.wait()
    col.stop()
    last = max((a for a, _ in col.times()), default=t0)
    rate = got / (last - t0) if last > t0 else 0.0
    cpu = {k: (after[k] - before[k]) / max(got, 1) for k in counted}
    cpu["load (pub+sub)"] = load_cpu / max(got, 1)
    return rate, cpu, got


def paced(port, setup):
    """PACED_RATE requests/s for PACED_SECONDS at QoS 0: latencies in s."""
    col = Collector(port, 0)
    n = PACED_RATE * PACED_SECONDS

    def lines():
        start = time.monotonic()
        sent = 0
        while sent < n:
            due = min(n, int((time.monotonic() - start) * PACED_RATE) + 1)
            if due > sent:
                yield (str(time.time_ns()) + "\n").encode() * (due - sent)
                sent = due
            else:
                time.sleep(0.0005)

    pub = send(port, setup, 0, lines)
    col.wait_for(n, 30)
    pub.wait()
    col.stop()
    return [a - s for a, s in col.times()]


def perf_profile(pid, data):
    """Starts `perf record -g` on pid; returns the Popen."""
    return subprocess.Popen(["perf", "record", "-g", "-o", data, "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def perf_summary(data, title):
    print(f"\n{title}")
    for sort, limit in (("comm,dso", 8), ("sym", 15)):
        out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                              "--sort", sort], capture_output=True, text=True).stdout
        rows = [l for l in out.splitlines() if l.strip() and not l.startswith("#")][:limit]
        print("\n".join("  " + r.strip() for r in rows))


SETUPS = ("mosquitto alone", "sub | pub -l relay", "serve --echo", "serve --group x2")


def main():
    need("mosquitto", "mosquitto_pub", "mosquitto_sub", "mosquitto_rr")
    if PROFILE:
        need("perf")
    mqrr = build_release()
    cores = os.cpu_count()
    print(f"serve throughput: {REQUESTS} requests per flood, {ROUNDS} rounds, {cores} cores; "
          f"load: mosquitto_pub -l (MQTT 5, Response Topic) -> setup -> mosquitto_sub")
    results = {(s, q): [] for s in SETUPS for q in (0, 1)}
    latency = {s: [] for s in SETUPS}
    with broker() as (port, bproc):
        for r in range(ROUNDS):
            order = SETUPS if r % 2 == 0 else tuple(reversed(SETUPS))
            for qos in (0, 1):
                for name in order:
                    setup = Setup(name, mqrr, port, qos)
                    try:
                        run = flood(port, bproc.pid, setup, qos)
                    finally:
                        setup.stop()
                    results[(name, qos)].append(run)
                    print(f"  round {r + 1}, QoS {qos}, {name}: {run[0]:.0f} replies/s", file=sys.stderr, flush=True)
            for name in order:
                setup = Setup(name, mqrr, port, 0)
                try:
                    latency[name] += paced(port, setup)
                finally:
                    setup.stop()

        for qos in (0, 1):
            print(f"\nflood of {flood_size(qos)}, QoS {qos} (median of {ROUNDS}; CPU per request in µs,"
                  f" from /proc/PID/stat)")
            print(f"  {'setup':22} {'replies/s':>10} {'vs alone':>9} {'lost':>6} {'broker':>8} {'responder':>10}"
                  f" {'load gen':>9}")
            alone = statistics.median(r[0] for r in results[("mosquitto alone", qos)])
            for name in SETUPS:
                runs = results[(name, qos)]
                rate = statistics.median(r[0] for r in runs)
                lost = max(flood_size(qos) - r[2] for r in runs)
                b = statistics.median(r[1]["broker"] for r in runs) * 1e6
                resp = statistics.median(r[1][name] for r in runs) * 1e6
                load = statistics.median(r[1]["load (pub+sub)"] for r in runs) * 1e6
                resp_text = "-" if name == "mosquitto alone" else f"{resp:.1f}"
                print(f"  {name:22} {rate:>10.0f} {rate / alone:>9.2f} {lost:>6} {b:>8.1f} {resp_text:>10}"
                      f" {load:>9.1f}")

        print(f"\nlatency at {PACED_RATE} requests/s, QoS 0 ({ROUNDS} x {PACED_SECONDS} s): ms")
        print(f"  {'setup':22} {'p50':>7} {'p99':>7} {'max':>7} {'replies':>8}")
        for name in SETUPS:
            lat = sorted(latency[name])
            if not lat:
                continue
            q = statistics.quantiles(lat, n=100, method="inclusive")
            print(f"  {name:22} {q[49] * 1000:>7.2f} {q[98] * 1000:>7.2f} {lat[-1] * 1000:>7.2f} {len(lat):>8}")

        if PROFILE:
            with tempfile.TemporaryDirectory() as d:
                setup = Setup("serve --echo", mqrr, port, 0)
                try:
                    serve_perf = perf_profile(setup.pids[0], os.path.join(d, "serve.data"))
                    broker_perf = perf_profile(bproc.pid, os.path.join(d, "broker.data"))
                    time.sleep(0.5)  # perf attaching; not a race the numbers depend on
                    flood(port, bproc.pid, setup, 0)
                    for p in (serve_perf, broker_perf):
                        p.send_signal(2)
                        p.wait()
                finally:
                    setup.stop()
                perf_summary(os.path.join(d, "serve.data"), "perf: mqrr serve --echo during a QoS 0 flood")
                perf_summary(os.path.join(d, "broker.data"), "perf: mosquitto during the same flood")


if __name__ == "__main__":
    main()
