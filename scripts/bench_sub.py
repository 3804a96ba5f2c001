#!/usr/bin/env python3
"""Throughput of `mqrr sub` against mosquitto_sub on the same private broker.

Two scenarios, each in three output modes (plain, -v, -F '%j'), with stdout
on a regular file:

- queued: N QoS 1 messages of ~100 bytes wait in a persistent session
  (`-c -i ID`, filled by mosquitto_pub -l while the session is offline);
  the subscriber drains them (`-C N`).
- live: a subscriber is connected (its SUBSCRIBE seen in the broker's log)
  and mosquitto_pub -l floods N QoS 0 messages at it; the time runs from
  the first publish to the subscriber's exit at `-C N`.

mqrr and mosquitto_sub run interleaved, alternating which goes first, for
ROUNDS rounds; both speak MQTT 5 (mosquitto_sub -V 5; mqrr's -V auto
settles on 5). Reported per mode: median messages/s (N / wall time), the
median of the pairwise rate ratios, median CPU time (user + sys) per
message, and median peak RSS (GNU time). It measures; it never fails on a
number. Every run's output is checked for N lines.

Usage: scripts/bench sub [ROUNDS [N]]     (default 3 rounds, N = 200000)
       MQRR_SUB_ARGS='-D connect receive-maximum 100' scripts/bench sub
                                         (extra arguments for mqrr, to try things)
"""

import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ARGS = sys.argv[1:]
if len(ARGS) > 2 or not all(a.isdigit() for a in ARGS):
    sys.exit("usage: scripts/bench sub [ROUNDS [N]]")
ROUNDS = int(ARGS[0]) if ARGS else 3
N = int(ARGS[1]) if len(ARGS) > 1 else 200_000
EXTRA = shlex.split(os.environ.get("MQRR_SUB_ARGS", ""))
# mosquitto_pub -l disconnects once the message whose packet id equals the
# last one's is acknowledged; ids wrap at 65535, so a longer input loses its
# tail (mosquitto 2.0.11). Fill in chunks below that.
CHUNK = 50_000
MODES = (("plain", []), ("-v", ["-v"]), ("-F %j", ["-F", "%j"]))
TOPIC_Q, TOPIC_L = "bench/queued", "bench/live"


def write_chunks(d):
    """N lines of 100 bytes (with the newline), numbered, in files of CHUNK lines."""
    paths = []
    for start in range(0, N, CHUNK):
        path = os.path.join(d, f"chunk{start}")
        with open(path, "w") as f:
            for i in range(start, min(N, start + CHUNK)):
                f.write(f"{i:08d} {'x' * 90}\n")
        paths.append(path)
    return paths


def publish(port, topic, qos, chunks):
    for path in chunks:
        with open(path, "rb") as f:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", str(qos),
                            "-t", topic, "-l"], stdin=f, check=True)


def client_argv(client, mqrr, port):
    if client == "mqrr":
        return [mqrr, "sub", "-h", "127.0.0.1", "-p", str(port), *EXTRA]
    return ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-V", "5"]


def check(name, p, out_path, what):
    if p.returncode != 0:
        sys.exit(f"bench: {name} {what} failed (exit {p.returncode}): {p.stderr[-300:]!r}")
    with open(out_path, "rb") as f:
        lines = sum(1 for _ in f)
    if lines != N:
        sys.exit(f"bench: {name} {what} printed {lines} lines, not {N}")


def queued(client, mqrr, port, flags, chunks, d):
    """Fill the offline persistent session, then drain it; (wall, rss, cpu)."""
    sid = f"bench-{client}"
    publish(port, TOPIC_Q, 1, chunks)
    out = os.path.join(d, f"out-{client}")
    with open(out, "wb") as f:
        wall, rss, p = timed(client_argv(client, mqrr, port)
                             + ["-c", "-i", sid, "-q", "1", "-t", TOPIC_Q, "-C", str(N), *flags], f)
    check(client, p, out, "queued")
    return wall, rss, p.cpu


def live(client, mqrr, port, flags, chunks, d, log):
    """A connected subscriber, flooded with QoS 0; (wall from the first publish, rss, cpu)."""
    sid = f"live-{client}-{time.monotonic_ns()}"
    out = os.path.join(d, f"out-{client}")
    argv = ["/usr/bin/time", "-f", "peak-rss-kib %M cpu %U %S",
            *client_argv(client, mqrr, port), "-i", sid, "-t", TOPIC_L, "-C", str(N), "-W", "120", *flags]
    with open(out, "wb") as f:
        proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.PIPE)
        end = time.monotonic() + 10
        # mosquitto logs "<id> <qos> <filter>" once it has the subscription.
        while f"{sid} 0 {TOPIC_L}" not in read(log):
            if time.monotonic() > end or proc.poll() is not None:
                proc.kill()
                sys.exit(f"bench: {client} did not subscribe")
            time.sleep(0.005)
        t0 = time.perf_counter()
        publish(port, TOPIC_L, 0, chunks)
        _, err = proc.communicate()
        wall = time.perf_counter() - t0
    p = parse_time(subprocess.CompletedProcess(argv, proc.returncode, b"", err))
    check(client, p, out, "live")
    return wall, p.rss, p.cpu


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def parse_time(p):
    """Peak RSS (KiB) and CPU seconds from GNU time's last line."""
    lines = p.stderr.decode(errors="replace").splitlines()
    p.rss, p.cpu = 0, 0.0
    for line in reversed(lines):
        if line.startswith("peak-rss-kib "):
            w = line.split()
            p.rss, p.cpu = int(w[1]), float(w[3]) + float(w[4])
            p.stderr = "\n".join(lines[:-1]).encode()
            break
    return p


def timed(argv, stdout):
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "peak-rss-kib %M cpu %U %S", *argv],
                       stdout=stdout, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    p = parse_time(p)
    return wall, p.rss, p


def report(title, results):
    print(f"\n{title} ({ROUNDS} interleaved rounds, N = {N}, stdout to a file)")
    print(f"  {'mode':8} {'client':14} {'msgs/s':>10} {'ratio':>7} {'CPU µs/msg':>11} {'peak RSS':>10} {'RSS ratio':>9}")
    for mode, _ in MODES:
        r = results[mode]
        rates = {c: [N / w for w, _, _ in r[c]] for c in r}
        ratios = [a / b for a, b in zip(rates["mqrr"], rates["mosquitto_sub"])]
        rss = {c: statistics.median(x for _, x, _ in r[c]) for c in r}
        for c in ("mqrr", "mosquitto_sub"):
            cpu = statistics.median(x for _, _, x in r[c]) / N * 1e6
            ratio = f"{statistics.median(ratios):.2f}x" if c == "mqrr" else ""
            rr = f"{rss['mqrr'] / rss['mosquitto_sub']:.2f}x" if c == "mqrr" else ""
            print(f"  {mode:8} {c:14} {statistics.median(rates[c]):>10.0f} {ratio:>7} {cpu:>11.2f}"
                  f" {rss[c] / 1024:>6.2f} MiB {rr:>9}")


def main():
    benchlib.need("mosquitto", "mosquitto_sub", "mosquitto_pub", "/usr/bin/time")
    mqrr = benchlib.build_release()
    print(f"mqrr: {mqrr}{' ' + ' '.join(EXTRA) if EXTRA else ''}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as d:
        chunks = write_chunks(d)
        log = os.path.join(d, "broker.log")
        # The default max_queued_messages (1000) would drop most of the queue.
        extra = (f"max_queued_messages {N * 2}\nmax_queued_bytes 0\n"
                 f"log_dest file {log}\nlog_type subscribe\n")
        with benchlib.mosquitto(extra) as port:
            for client in ("mqrr", "mosquitto_sub"):  # the persistent sessions
                subprocess.run(client_argv(client, mqrr, port)
                               + ["-c", "-i", f"bench-{client}", "-q", "1", "-t", TOPIC_Q, "-E"], check=True)
            results = {"queued": {m: {"mqrr": [], "mosquitto_sub": []} for m, _ in MODES},
                       "live": {m: {"mqrr": [], "mosquitto_sub": []} for m, _ in MODES}}
            for rnd in range(ROUNDS):
                order = ("mqrr", "mosquitto_sub") if rnd % 2 == 0 else ("mosquitto_sub", "mqrr")
                for mode, flags in MODES:
                    for client in order:
                        results["queued"][mode][client].append(queued(client, mqrr, port, flags, chunks, d))
                        results["live"][mode][client].append(live(client, mqrr, port, flags, chunks, d, log))
                print(f"round {rnd + 1} of {ROUNDS} done (load average {os.getloadavg()[0]:.1f})",
                      file=sys.stderr)
    report("Draining a persistent session's queue (QoS 1)", results["queued"])
    report("Live flood (QoS 0)", results["live"])


if __name__ == "__main__":
    main()
