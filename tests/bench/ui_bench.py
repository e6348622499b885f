#!/usr/bin/python3
"""Console benchmarks (issue 3), run by hand, never in ctest:

  tests/bench/ui_bench.py [--aftomato BUILD/aftomato] [--seconds 10] [--builds 10000]

Through a pty of 200x50 (the script is the terminal: it reads everything the
console writes and keeps a screen with pyte, Debian's python3-pyte):

1. startup: with N builds in the store (SQLite of the embedded default), the
   time from exec to the first full screen (projects, the newest builds and
   the status bar drawn);
2. flood: a build writes its log as fast as it can for S seconds while its log
   pane follows it: bytes the console writes to the terminal per second, the
   log's ingest rate (bytes and lines per second reaching the log store and
   shown: the pane's line count must match the log's), CPU of the console
   process (UI thread and worker separately), and keystroke-to-screen latency
   (keys on the `:` prompt, timed from the write to the read of the bytes that
   make the screen show it);
3. baseline in the same run: `cat` of the same log to the same pty.

Targets (issue 3): <= 200 KB/s to the terminal whatever the log rate; p99
latency <= 50 ms; startup <= 50 ms.
"""

import argparse
import collections
import fcntl
import os
import pty
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import uuid

try:
    import pyte
except ImportError:
    sys.exit("needs python3-pyte (apt-get install python3-pyte)")

COLS, ROWS = 200, 50
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Term:
    """A pty with a process on it. One thread only reads the pty and stamps
    each chunk with the time it was read (so the console never waits for the
    emulator); another feeds the chunks to a pyte screen and checks waiting
    predicates, crediting each with the read time of the chunk that made it
    hold."""

    def __init__(self, argv, env, emulate=True):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.emulate = emulate
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Condition()
        self.chunks = collections.deque()
        self.bytes = 0
        self.samples = []  # (t, cumulative bytes)
        self.waiters = []  # [predicate, t_key, result list]
        self.done = False
        self.fed_all = False
        self.th = threading.Thread(target=self._read, daemon=True)
        self.th.start()
        self.th2 = threading.Thread(target=self._feed, daemon=True)
        self.th2.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                data = b""
            t = time.monotonic()
            with self.lock:
                if not data:
                    self.done = True
                    self.lock.notify_all()
                    return
                self.bytes += len(data)
                self.samples.append((t, self.bytes))
                if self.emulate:
                    self.chunks.append((t, data))
                self.lock.notify_all()

    def _feed(self):
        while True:
            with self.lock:
                while not self.chunks and not self.done:
                    self.lock.wait(0.1)
                if not self.chunks and self.done:
                    self.fed_all = True
                    self.lock.notify_all()
                    return
                t, data = self.chunks.popleft()
                self.stream.feed(data)
                for w in list(self.waiters):
                    if w[0](self):
                        w[2].append(t)
                        self.waiters.remove(w)
                self.lock.notify_all()

    def line(self, y):
        return self.screen.display[y]

    def text(self):
        return "\n".join(self.screen.display)

    def expect(self, pred, timeout=30.0):
        """Waits until pred(self) holds; returns the read time that made it hold."""
        res = []
        with self.lock:
            if pred(self):
                return time.monotonic()
            w = [pred, time.monotonic(), res]
            self.waiters.append(w)
            deadline = time.monotonic() + timeout
            while not res and time.monotonic() < deadline and not self.done:
                self.lock.wait(0.05)
            if not res:
                if w in self.waiters:
                    self.waiters.remove(w)
                raise TimeoutError("screen never matched; screen:\n" + self.text())
        return res[0]

    def key(self, data, pred, timeout=10.0):
        """Writes a key and returns the seconds until the screen shows pred."""
        res = []
        with self.lock:
            t0 = time.monotonic()
            self.waiters.append([pred, t0, res])
            os.write(self.master, data)
            deadline = t0 + timeout
            while not res and time.monotonic() < deadline:
                self.lock.wait(0.01)
        if not res:
            raise TimeoutError("key %r never showed; screen:\n%s" % (data, self.text()))
        return res[0] - t0

    def cpu_ticks(self):
        """utime + stime of every thread, by thread name."""
        out = {}
        base = "/proc/%d/task" % self.proc.pid
        for tid in os.listdir(base):
            try:
                with open("%s/%s/stat" % (base, tid)) as f:
                    st = f.read()
            except OSError:
                continue
            name = st[st.index("(") + 1:st.rindex(")")]
            fields = st[st.rindex(")") + 2:].split()
            ticks = int(fields[11]) + int(fields[12])
            key = "ui" if int(tid) == self.proc.pid else "worker+%s" % name
            out[key] = out.get(key, 0) + ticks
        return out

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.th.join(5)
        os.close(self.master)


def env_for(t):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("AFTOMATO_") and k not in ("NO_COLOR",)}
    e.update({"HOME": t, "XDG_DATA_HOME": t + "/data", "XDG_CONFIG_HOME": t + "/config",
              "XDG_STATE_HOME": t + "/state", "TERM": "xterm-256color", "LANG": "C.UTF-8",
              "LC_ALL": "C.UTF-8", "TMPDIR": t, "USER": "bench"})
    return e


def setup_repo(t, seconds):
    repo = os.path.join(t, "repo")
    for key, script in (
            ("bench/flood",
             "#!/bin/sh\n# as fast as the machine allows for %d s\n"
             "timeout %d seq -f 'bench flood line %%.0f: the quick brown fox jumps over the "
             "lazy dog while the log keeps growing' 1 1e15 || true\necho 'flood done'\n"
             % (seconds, seconds)),
            ("bench/quiet", "#!/bin/sh\necho quiet\n")):
        d = os.path.join(repo, key)
        os.makedirs(d)
        with open(os.path.join(d, "build.sh"), "w") as f:
            f.write(script)
        os.chmod(os.path.join(d, "build.sh"), 0o755)
    os.makedirs(os.path.join(t, "config", "aftomato"))
    with open(os.path.join(t, "config", "aftomato", "config.yaml"), "w") as f:
        f.write("profiles:\n  local:\n    build_scripts: %s\n" % repo)


def seed_builds(aft, t, n):
    """n finished builds of bench/flood, written straight into the store."""
    env = env_for(t)
    subprocess.run([aft, "builds", "bench/flood"], env=env, capture_output=True, check=True)
    db = os.path.join(t, "data", "aftomato", "builds.db")
    con = sqlite3.connect(db)
    now = int(time.time())
    rows = []
    for i in range(n):
        bid = str(uuid.uuid4())
        st = "succeeded" if i % 7 else "failed"
        rows.append((bid, "bench/flood", now - 3600 - i * 60, "main", 0, st, 0 if i % 7 else 1,
                     42, "bench/flood/%s.log.gz" % bid, "bench/flood/%s/" % bid, "seed@bench",
                     None, "local", "local:bench", None))
    con.executemany("INSERT INTO builds (buildID, projectKey, buildTime, branch, isBuilding, "
                    "status, buildResult, buildElapsedTime, logKey, artifactsPrefix, "
                    "triggeredBy, retriggerOf, executor, jobName, statusMessage) VALUES "
                    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()
    return rows[0][0]


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def bench_startup(aft, t, newest, runs=7):
    """Seconds from exec to the first byte and to the first full screen."""
    times, first = [], []
    for _ in range(runs):
        term = Term([aft], env_for(t))
        short = newest[:8]
        try:
            t_full = term.expect(lambda s: short in s.text() and "Projects" in s.line(0)
                                 and "running" in s.line(ROWS - 1))
            times.append(t_full - term.t_start)
            first.append(term.samples[0][0] - term.t_start)
        finally:
            os.write(term.master, b"Q")
            term.close()
    return times, first


def bench_exec(aft, t, runs=7):
    """The same binary's headless start (`aftomato projects`): process start,
    shared libraries, configuration and worker start-up, no console."""
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run([aft, "projects"], env=env_for(t), capture_output=True, check=True)
        times.append(time.monotonic() - t0)
    return times


def prompt_line(s):
    return s.line(ROWS - 1)


def bench_flood(aft, t, seconds):
    term = Term([aft], env_for(t))
    res = {}
    try:
        term.expect(lambda s: "Projects" in s.line(0) and "running" in s.line(ROWS - 1))
        os.write(term.master, b":build bench/flood main\r")
        term.expect(lambda s: "bench flood line" in s.text())
        t0 = time.monotonic()
        b0 = term.bytes
        c0 = term.cpu_ticks()
        lat = []
        # keystrokes on the prompt while the log floods
        while time.monotonic() - t0 < seconds - 0.5:
            for k, want in ((b":", ":"), (b"h", ":h"), (b"\x7f", ":")):
                v = term.key(k, lambda s, w=want: prompt_line(s).rstrip() == w)
                lat.append(v)
                if os.environ.get("UI_BENCH_VERBOSE") and v > 0.010:
                    print("  slow key %r: %.1f ms at %.2f s" % (k, 1000 * v,
                                                               time.monotonic() - t0))
            term.key(b"\x1b", lambda s: not prompt_line(s).startswith(":"))
            time.sleep(0.15)
        t1 = time.monotonic()
        b1 = term.bytes
        c1 = term.cpu_ticks()
        # the end of the flood reaches the screen; the pane counts every line
        t_end = term.expect(lambda s: "flood done" in s.text(), timeout=120)
        term.expect(lambda s: "succeeded" in s.text(), timeout=120)
        time.sleep(0.5)
        title = [l for l in term.screen.display if " Log " in l or l.startswith(" Log")]
        res.update(window_s=t1 - t0, term_bytes=b1 - b0, cpu=(c0, c1), latency=lat,
                   end_shown_s=t_end - t0, title=title[0] if title else "")
    finally:
        os.write(term.master, b"Q")
        term.close()
    return res


def log_of_last_build(aft, t):
    env = env_for(t)
    out = subprocess.run([aft, "builds", "bench/flood", "--limit", "1", "--json"], env=env,
                         capture_output=True, text=True, check=True).stdout
    import json
    recs = json.loads(out)
    rec = recs[0] if isinstance(recs, list) else recs
    path = os.path.join(t, "flood.log")
    with open(path, "wb") as f:
        subprocess.run([aft, "logs", rec["buildID"]], env=env, stdout=f, check=True)
    return path, rec


def bench_cat(path):
    term = Term(["cat", path], dict(os.environ, TERM="xterm-256color"), emulate=False)
    t0 = term.t_start
    term.proc.wait()
    with term.lock:
        while not term.done:
            term.lock.wait(0.1)
    t1 = term.samples[-1][0] if term.samples else time.monotonic()
    n = term.bytes
    term.close()
    return n, t1 - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aftomato", default=os.path.join(TOP, "build", "aftomato"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--builds", type=int, default=10000)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    aft = os.path.abspath(a.aftomato)
    t = tempfile.mkdtemp(prefix="aftomato-uibench.")
    hz = os.sysconf("SC_CLK_TCK")
    try:
        setup_repo(t, a.seconds)
        newest = seed_builds(aft, t, a.builds)
        st, first = bench_startup(aft, t, newest)
        ex = bench_exec(aft, t)
        print("startup to first full screen, %d builds in the store: median %.1f ms, "
              "max %.1f ms (target <= 50 ms); first frame after %.1f ms" % (
                  a.builds, 1000 * pct(st, 50), 1000 * max(st), 1000 * pct(first, 50)))
        print("  of which process start (`aftomato projects`, no console): median %.1f ms" % (
            1000 * pct(ex, 50)))
        r = bench_flood(aft, t, a.seconds)
        path, rec = log_of_last_build(aft, t)
        log_bytes = os.path.getsize(path)
        with open(path, "rb") as f:
            log_lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        elapsed = max(1, rec.get("buildElapsedTime") or a.seconds)
        tb = r["term_bytes"] / r["window_s"]
        c0, c1 = r["cpu"]
        cpu = {k: (c1.get(k, 0) - c0.get(k, 0)) / hz / r["window_s"] for k in c1}
        lat = r["latency"]
        print("flood: %d s build, log %.1f MB, %d lines: ingest %.1f MB/s, %.0f lines/s" % (
            elapsed, log_bytes / 1e6, log_lines, log_bytes / 1e6 / elapsed,
            log_lines / elapsed))
        print("  written to the terminal: %.1f KB/s over %.1f s (target <= 200 KB/s)" % (
            tb / 1000, r["window_s"]))
        print("  CPU of the console: %.0f%% total (%s)" % (
            100 * sum(cpu.values()), ", ".join("%s %.0f%%" % (k, 100 * v)
                                              for k, v in sorted(cpu.items()) if v > 0.005)))
        print("  keystroke to screen: n=%d median %.1f ms, p99 %.1f ms, max %.1f ms "
              "(target p99 <= 50 ms)" % (len(lat), 1000 * pct(lat, 50), 1000 * pct(lat, 99),
                                         1000 * max(lat)))
        print("  end of the flood on screen %.2f s after the window started; pane: %s" % (
            r["end_shown_s"], r["title"].strip()[:150]))
        shown = r["title"].replace(",", "")
        import re
        m = re.search(r"(\d+) lines", shown)
        if m:
            print("  lines counted by the pane: %s of %d (%s)" % (
                m.group(1), log_lines, "all" if int(m.group(1)) == log_lines else "MISMATCH"))
        n, secs = bench_cat(path)
        print("baseline: cat of the same log to the same pty: %.1f MB in %.2f s = %.1f MB/s "
              "to the terminal" % (n / 1e6, secs, n / 1e6 / secs))
        print("ratio: the console wrote %.5f of the bytes cat writes per second (%.0fx less), "
              "while showing the same log live" % (tb / (n / secs), (n / secs) / max(tb, 1)))
    finally:
        if a.keep:
            print("kept", t)
        else:
            subprocess.run(["pkill", "-f", t], capture_output=True)
            shutil.rmtree(t, ignore_errors=True)


if __name__ == "__main__":
    main()
