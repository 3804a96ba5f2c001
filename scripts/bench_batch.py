#!/usr/bin/env python3
"""Batch requests (`mqrr -l`, spec §10) against shell loops of one-shots.

Run as `scripts/bench batch [ROUNDS]` (default 5). One private mosquitto
(benchlib, TCP_NODELAY on) and one `mqrr serve --echo` answer everything.
Each round runs, in alternating order:

  (a) `mqrr -l` with 10,000 request lines from a file, one process;
  (b) a bash `while read` loop of `mqrr -m LINE` one-shots over 100 lines;
  (c) the same loop with `mosquitto_rr -m LINE`.

(b) and (c) cover 500 lines over all rounds; their time per request is
scaled to 10,000. Every output is checked against its input.

For (a) it reports requests/s and the latency of each request inside the
batch (publish to matching response, from mqrr's hidden `--batch-stats`
line), and where the CPU time went: mqrr (GNU time), the responder and
mosquitto (/proc/PID/stat before and after). With `perf` installed, one
more batch runs under `perf record` and the split of mqrr's samples by
thread (mqrr's own thread, Paho's MQTTAsync_send and MQTTAsync_rcv) and
by object is printed.

Then `mqrr serve -j N -- cat` (a command per request) answers a batch of
2,000 lines for N = 1, 4, 16.

It measures and reports; it never fails on a number.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import build_release, mosquitto, need  # noqa: E402

LINES = 10_000
LOOP_PER_ROUND = 100
CMD_LINES = 2_000
JOBS = (1, 4, 16)
ARGS = sys.argv[1:]
if len(ARGS) > 1 or not all(a.isdigit() for a in ARGS):
    sys.exit("usage: scripts/bench batch [ROUNDS]   (default 5 rounds)")
ROUNDS = int(ARGS[0]) if ARGS else 5
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of a running process, seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Rig:
    def __init__(self, mqrr, port, d):
        self.mqrr, self.port, self.d = mqrr, port, d
        self.broker_pid = None
        self.servers = []

    def conn(self):
        return ["-h", "127.0.0.1", "-p", str(self.port)]

    def serve(self, topic, *answer):
        p = subprocess.Popen([self.mqrr, "serve", "--quiet", *self.conn(), "-t", topic, *answer])
        self.servers.append(p)
        # Ready when it answers.
        end = time.monotonic() + 10
        while subprocess.run([self.mqrr, *self.conn(), "-t", topic, "-e", topic + "/resp", "-m", "x",
                              "-W", "1s"], capture_output=True).returncode != 0:
            if time.monotonic() > end:
                sys.exit(f"bench: serve on {topic} never answered")
        return p

    def stop(self):
        for p in self.servers:
            p.kill()
            p.wait()

    def batch(self, topic, path, extra=()):
        """One `mqrr -l` run: wall s, mqrr CPU s, stats dict, CPU s of the
        responder and of the broker during the run."""
        server = self.servers_by_topic[topic]
        s0, b0 = cpu_seconds(server.pid), cpu_seconds(self.broker_pid)
        with open(path, "rb") as stdin:
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "cpu-s %U %S", self.mqrr, *self.conn(), "-t", topic,
                                "-e", topic + "/resp", "-l", "--batch-stats", *extra],
                               stdin=stdin, capture_output=True)
            wall = time.perf_counter() - t0
        s1, b1 = cpu_seconds(server.pid), cpu_seconds(self.broker_pid)
        with open(path, "rb") as f:
            expected = f.read()
        if p.returncode != 0 or p.stdout != expected:
            sys.exit(f"bench: batch failed (exit {p.returncode}): {p.stderr.decode(errors='replace')[-500:]}")
        err = p.stderr.decode()
        user, sys_ = map(float, re.search(r"cpu-s ([\d.]+) ([\d.]+)", err).groups())
        stats = dict(re.findall(r"(p50|p90|p99|max) ([\d.]+)", err))
        return wall, user + sys_, {k: float(v) for k, v in stats.items()}, s1 - s0, b1 - b0

    def loop(self, tool, topic, path):
        """A bash loop of one-shots over the lines of `path`: wall s."""
        script = ('while IFS= read -r l; do "$0" -h 127.0.0.1 -p "$1" -t "$2" -e "$2/resp" -m "$l" -W 10'
                  ' || exit 1; done')
        with open(path, "rb") as stdin:
            t0 = time.perf_counter()
            p = subprocess.run(["bash", "-c", script, tool, str(self.port), topic], stdin=stdin,
                               capture_output=True)
            wall = time.perf_counter() - t0
        with open(path, "rb") as f:
            if p.returncode != 0 or p.stdout != f.read():
                sys.exit(f"bench: {tool} loop failed (exit {p.returncode}): {p.stderr[-300:]!r}")
        return wall


def perf_profile(rig, path):
    """mqrr's CPU samples during one batch, by thread and object."""
    data = os.path.join(rig.d, "perf.data")
    with open(path, "rb") as stdin:
        p = subprocess.run(["perf", "record", "-q", "-o", data, "--", rig.mqrr, *rig.conn(), "-t", "bench/req",
                            "-e", "bench/req/resp", "-l"], stdin=stdin, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    if p.returncode != 0:
        print(f"\n(perf record failed: {p.stderr.decode(errors='replace').strip()[:200]})")
        return
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "comm,dso", "--stdio",
                          "-g", "none"], capture_output=True, text=True).stdout
    rows = [l for l in out.splitlines() if l.strip() and not l.startswith("#")]
    print("\nperf: mqrr's CPU samples during one batch, by thread and object")
    for row in rows[:10]:
        print("  " + row.strip())


def main():
    need("mosquitto", "mosquitto_rr", "/usr/bin/time", "bash")
    mqrr = build_release()
    with tempfile.TemporaryDirectory() as d, mosquitto() as port:
        rig = Rig(mqrr, port, d)
        rig.broker_pid = broker_pid(port)
        try:
            run(rig, d)
        finally:
            rig.stop()


def run(rig, d):
    # Lines like the README's one-liner: {"id":"dev-00001"}.
    path = os.path.join(d, "lines")
    with open(path, "w") as f:
        f.writelines(f'{{"id":"dev-{i:05d}"}}\n' for i in range(1, LINES + 1))
    with open(path) as f:
        lines = f.readlines()
    slices = []
    for r in range(ROUNDS):
        s = os.path.join(d, f"slice{r}")
        with open(s, "w") as f:
            f.writelines(lines[r * LOOP_PER_ROUND:(r + 1) * LOOP_PER_ROUND])
        slices.append(s)

    echo = rig.serve("bench/req", "--echo")
    rig.servers_by_topic = {"bench/req": echo}
    a, b, c = [], [], []
    for r in range(ROUNDS):
        order = [("a", None), ("b", rig.mqrr), ("c", "mosquitto_rr")]
        if r % 2:
            order = order[::-1]
        for name, tool in order:
            if name == "a":
                a.append(rig.batch("bench/req", path))
            else:
                (b if name == "b" else c).append(rig.loop(tool, "bench/req", slices[r]))

    walls = [x[0] for x in a]
    wall = statistics.median(walls)
    per_b = statistics.median(b) / LOOP_PER_ROUND
    per_c = statistics.median(c) / LOOP_PER_ROUND
    med = lambda i, k: statistics.median(x[i][k] for x in a)
    print(f"\n{LINES} requests against `mqrr serve --echo` on one private mosquitto ({ROUNDS} rounds, medians)")
    print(f"  {'':34} {'wall for 10,000':>16} {'requests/s':>11} {'vs (c)':>8}")
    print(f"  {'(a) mqrr -l':34} {wall:>14.2f} s {LINES / wall:>11.0f} {per_c * LINES / wall:>7.0f}x")
    print(f"  {'(b) bash loop of mqrr one-shots':34} {per_b * LINES:>14.1f} s {1 / per_b:>11.0f}"
          f" {per_c / per_b:>7.2f}x")
    print(f"  {'(c) bash loop of mosquitto_rr':34} {per_c * LINES:>14.1f} s {1 / per_c:>11.0f} {1:>7.2f}x")
    print(f"  ((b) and (c): {ROUNDS * LOOP_PER_ROUND} lines each, {per_b * 1000:.2f} and {per_c * 1000:.2f} ms"
          f" per request, scaled to {LINES})")
    print(f"  latency of a request inside the batch (publish to its response): p50 {med(2, 'p50'):.2f} ms,"
          f" p90 {med(2, 'p90'):.2f} ms, p99 {med(2, 'p99'):.2f} ms, max {med(2, 'max'):.2f} ms")
    cpu = [statistics.median(x[i] for x in a) for i in (1, 3, 4)]
    total = sum(cpu)
    print(f"  CPU time of one batch: mqrr -l {cpu[0]:.2f} s, mqrr serve --echo {cpu[1]:.2f} s,"
          f" mosquitto {cpu[2]:.2f} s ({total / wall:.2f} cores busy on {os.cpu_count()} cores;"
          f" per request {cpu[0] / LINES * 1e6:.0f} / {cpu[1] / LINES * 1e6:.0f} /"
          f" {cpu[2] / LINES * 1e6:.0f} µs)")
    if shutil.which("perf"):
        perf_profile(rig, path)

    cmd_path = os.path.join(rig.d, "cmd-lines")
    with open(cmd_path, "w") as f:
        f.writelines(lines[:CMD_LINES])
    print(f"\n`mqrr serve -j N -- cat` answering a batch of {CMD_LINES} (one process per request)")
    print(f"  {'N':>4} {'wall':>8} {'requests/s':>11} {'p50':>9} {'p99':>9} {'serve CPU':>10}")
    for jobs in JOBS:
        topic = f"bench/cmd{jobs}"
        rig.servers_by_topic[topic] = rig.serve(topic, "-j", str(jobs), "--", "cat")
        w, _, stats, serve_cpu, _ = rig.batch(topic, cmd_path)
        print(f"  {jobs:>4} {w:>6.2f} s {CMD_LINES / w:>11.0f} {stats['p50']:>6.2f} ms {stats['p99']:>6.2f} ms"
              f" {serve_cpu:>8.2f} s")


def broker_pid(port):
    """The pid of the mosquitto whose config listens on `port`."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            if os.path.basename(argv[0]) != b"mosquitto" or b"-c" not in argv:
                continue
            with open(argv[argv.index(b"-c") + 1]) as f:
                if f"listener {port} " in f.read():
                    return int(pid)
        except (OSError, IndexError):
            continue
    sys.exit(f"bench: no mosquitto process listens on {port}")


if __name__ == "__main__":
    main()
