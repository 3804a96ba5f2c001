"""Shared parts of the throughput benchmarks (scripts/bench_MODE.py): a
release build, free ports, a private mosquitto, GNU time, and the rule that
mqrr and the mosquitto tool always run in the same session, interleaved.

The benchmarks measure and report; none of them fails on a number.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["PATH"] += ":/usr/sbin"


def need(*tools):
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} missing (scripts/test installs it)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, bound=10.0):
    end = time.monotonic() + bound
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.01)
    sys.exit(f"bench: nothing listens on {port}")


def build_release():
    """`cargo build --release`; the path of the mqrr binary."""
    out = subprocess.run(
        ["cargo", "build", "--release", "--locked", "--quiet", "--message-format=json-render-diagnostics"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["name"] == "mqrr":
            return msg["executable"]
    sys.exit("bench: cargo built no mqrr executable")


@contextlib.contextmanager
def mosquitto(extra=""):
    """A private mosquitto on a free loopback port; yields the port.
    `extra` is appended to its config (e.g. `max_queued_messages 1000000`:
    the default of 1000 drops messages queued for a slow subscriber)."""
    need("mosquitto")
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        conf = os.path.join(d, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"user root\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n"
                    f"listener {port} 127.0.0.1\n{extra}\n")
        proc = subprocess.Popen(["mosquitto", "-c", conf], stderr=subprocess.DEVNULL)
        try:
            wait_listening(port)
            yield port
        finally:
            proc.kill()
            proc.wait()


def timed(argv, **kw):
    """Runs argv under GNU time: (wall seconds, peak RSS KiB, CompletedProcess)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "peak-rss-kib %M", *argv], capture_output=True, **kw)
    wall = time.perf_counter() - t0
    lines = p.stderr.decode(errors="replace").splitlines()
    rss = next((int(l.split()[-1]) for l in reversed(lines) if l.startswith("peak-rss-kib ")), 0)
    return wall, rss, p
