#!/usr/bin/env python3
"""End-to-end tests of the aftomato console in a real terminal.

Each test runs the console inside a private tmux server (its own socket, a
fixed window size), drives it with send-keys, reads the screen with
capture-pane and records every byte the console writes to its pty with
pipe-pane. The console runs with isolated XDG_* directories: on the embedded
default (the demo build-scripts repository) or with a configuration whose
local profile points at tests/ui/fixtures/scripts.

Waiting is always "poll the screen until the expected text shows, with a
timeout"; a sleep is never an assertion. Usage:

    e2e.py --aftomato BUILD/aftomato --tmp DIR TEST [TEST...]
    e2e.py --list
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "scripts")
TIMEOUT = float(os.environ.get("AFT_E2E_TIMEOUT", "60"))


class Failure(Exception):
    pass


class Console:
    """One console in a private tmux server."""

    count = 0

    def __init__(self, aftomato, tmp, name, cols=120, rows=40, config=None, env=None,
                 reuse_dirs=None):
        self.aftomato = aftomato
        self.name = name
        self.dir = reuse_dirs or os.path.join(tmp, name)
        if not reuse_dirs:
            shutil.rmtree(self.dir, ignore_errors=True)
            os.makedirs(self.dir)
        Console.count += 1
        self.sock = os.path.join(self.dir, "tmux-%d-%d.sock" % (os.getpid(), Console.count))
        self.raw = os.path.join(self.dir, "pty-%d.raw" % int(time.time() * 1000))
        self.go = os.path.join(self.dir, "go")
        self.pid_file = os.path.join(self.dir, "console.pid")
        for f in (self.go, self.pid_file):
            if os.path.exists(f):
                os.unlink(f)
        self.xdg = {
            "XDG_DATA_HOME": os.path.join(self.dir, "data"),
            "XDG_CONFIG_HOME": os.path.join(self.dir, "config"),
            "XDG_STATE_HOME": os.path.join(self.dir, "state"),
            "XDG_CACHE_HOME": os.path.join(self.dir, "cache"),
        }
        for d in self.xdg.values():
            os.makedirs(d, exist_ok=True)
        if config is not None:
            os.makedirs(os.path.join(self.xdg["XDG_CONFIG_HOME"], "aftomato"), exist_ok=True)
            with open(os.path.join(self.xdg["XDG_CONFIG_HOME"], "aftomato", "config.yaml"),
                      "w") as f:
                f.write(config)
        envs = dict(self.xdg)
        envs.update({"HOME": self.dir, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                     "USER": "e2e", "TMPDIR": self.dir})
        envs.update(env or {})
        for k in ("AFTOMATO_CONFIG", "AFTOMATO_PROFILE", "NO_COLOR"):
            if k not in (env or {}):
                envs[k] = None
        exports = " ".join(
            ("%s=%s" % (k, shquote(v))) for k, v in sorted(envs.items()) if v is not None)
        unsets = " ".join("-u %s" % k for k, v in sorted(envs.items()) if v is None)
        # Wait for the pty recorder before starting; afterwards report how the
        # console ended and the terminal modes it left behind. The console runs
        # in the foreground of the pane's terminal, as under a login shell.
        inner = ("env %s %s %s; echo \"EXIT=$?\"; stty -a | tr '\\n' ' '; echo; "
                 "echo STTY-DONE; sleep 600" % (unsets, exports, shquote(aftomato)))
        script = ("while [ ! -e %s ]; do sleep 0.02; done; echo $$ > %s; exec bash -c %s"
                  % (shquote(self.go), shquote(self.pid_file), shquote(inner)))
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", str(cols),
                  "-y", str(rows), script)
        self.tmux("set-option", "-g", "status", "off")
        self.tmux("set-option", "-g", "window-size", "manual")
        self.tmux("resize-window", "-t", "e2e", "-x", str(cols), "-y", str(rows))
        self.tmux("pipe-pane", "-O", "-t", "e2e", "cat >> %s" % shquote(self.raw))
        time.sleep(0.05)
        open(self.go, "w").close()

    def tmux(self, *args, check=True):
        r = subprocess.run(["tmux", "-S", self.sock] + list(args), capture_output=True,
                           text=True)
        if check and r.returncode != 0:
            raise Failure("tmux %s: %s" % (" ".join(args[:3]), r.stderr.strip()))
        return r.stdout

    def screen(self, escapes=False):
        args = ["capture-pane", "-p", "-t", "e2e"]
        if escapes:
            args.append("-e")
        return self.tmux(*args)

    def keys(self, *keys):
        """tmux key names (Enter, Escape, Tab, C-c, Up, ...)."""
        self.tmux("send-keys", "-t", "e2e", *keys)

    def type(self, text):
        self.tmux("send-keys", "-t", "e2e", "-l", "--", text)

    def wait(self, pattern, timeout=TIMEOUT, gone=False, what=None):
        """Polls the screen until pattern (a regex) shows (or is gone)."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        s = ""
        while time.monotonic() < deadline:
            s = self.screen()
            if bool(rx.search(s)) != gone:
                # a capture may catch a frame half written: the screen must
                # read the same a moment later
                time.sleep(0.06)
                again = self.screen()
                if again == s:
                    return s
                continue
            time.sleep(0.05)
        raise Failure("timed out after %.0fs waiting for %s%r; screen:\n%s" % (
            timeout, "the end of " if gone else "", what or pattern, s))

    def resize(self, cols, rows):
        self.tmux("resize-window", "-t", "e2e", "-x", str(cols), "-y", str(rows))

    def console_pid(self):
        """The console process (the shell's child running aftomato)."""
        with open(self.pid_file) as f:
            sh = int(f.read().strip())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = subprocess.run(["pgrep", "-P", str(sh), "-x", "aftomato"],
                               capture_output=True, text=True)
            if r.stdout.strip():
                return int(r.stdout.split()[0])
            time.sleep(0.05)
        raise Failure("no console process under %d" % sh)

    def raw_bytes(self):
        try:
            with open(self.raw, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def wait_exit(self, timeout=TIMEOUT):
        s = self.wait(r"STTY-DONE", timeout=timeout, what="the console to exit")
        m = re.search(r"EXIT=(\d+)", s)
        if not m:
            raise Failure("no exit status on screen:\n" + s)
        return int(m.group(1)), s

    def close(self):
        self.tmux("kill-server", check=False)


def shquote(s):
    return "'" + str(s).replace("'", "'\\''") + "'"


def check(cond, msg, screen=None):
    if not cond:
        raise Failure(msg + ("\nscreen:\n" + screen if screen else ""))


def fixture_config():
    return ("profiles:\n  local:\n    build_scripts: %s\n" % FIXTURES)


def restored(con, status_expected=None, alt_screen=True):
    """The console exited and left the terminal as it found it."""
    rc, s = con.wait_exit()
    if status_expected is not None:
        check(rc == status_expected, "exit status %d, expected %d" % (rc, status_expected), s)
    stty = s[s.index("EXIT="):]
    for mode in ("icanon", "echo", "isig", "icrnl", "opost"):
        check(re.search(r"(^|\s)%s(\s|$)" % mode, stty) is not None,
              "terminal mode %s not restored" % mode, s)
    raw = con.raw_bytes()
    end = raw.rfind(b"EXIT=")
    check(end >= 0, "the pty recording lacks the exit line")
    tail = raw[max(0, end - 1500):end]
    # leaves the alternate screen and shows the cursor again (terminfo of
    # tmux's TERM; a VT100 has neither)
    if alt_screen:
        check(b"\x1b[?1049l" in tail, "the alternate screen was not left: %r" % tail)
        check(b"\x1b[?25h" in tail or b"\x1b[34h" in tail,
              "the cursor was not shown: %r" % tail)
    return rc


# --- tests ---------------------------------------------------------------------------


def test_basic(aft, tmp):
    """Embedded default: start a build with keys and watch it live, retrigger,
    artifacts and the pager, split logs, help, theme, resize, quit."""
    con = Console(aft, tmp, "basic")
    try:
        con.wait(r"Projects\s+4", what="the projects list")
        con.wait(r"demo/hello")
        # select demo/hello, start a build with b (project, then branch)
        con.type("/hello")
        con.keys("Enter")
        con.wait(r"Builds\s+demo/hello")
        con.type("b")
        con.wait(r"^project: demo/hello", what="the project question")
        con.keys("Enter")
        con.wait(r"^branch: main", what="the branch question")
        con.keys("Enter")
        # its log opens, following, and lines appear while it runs
        s = con.wait(r"\[step 0[1-3]/20\] hello from demo/hello", what="the first log lines")
        check(re.search(r"Log .*demo/hello main (running|queued)", s) is not None,
              "the log pane does not show a running build", s)
        s = con.wait(r"\[step 0[6-9]/20\]", what="more lines, live")
        check("running" in s, "the build should still be running", s)
        check("[32m" not in s, "SGR shown as text", s)
        s = con.wait(r"Log .*demo/hello main succeeded", what="the build to succeed")
        con.wait(r"\[step 20/20\]")
        con.wait(r"done")
        # the builds list shows it with its result
        con.keys("Tab")  # log -> projects
        con.keys("Tab")  # projects -> builds
        s = con.wait(r"\S+ [0-9a-f]{8} main +ok ", what="the finished build in the list")
        first_id = re.search(r"([0-9a-f]{8}) main +ok ", s).group(1)
        # retrigger it: a new build, its log in the focused pane
        con.type("r")
        s = con.wait(r"retrigger(ed|ing) " + first_id[:8] + r"|Log .*demo/hello main",
                     what="the retrigger")
        s = con.wait(r"Log \S+ (?!%s)[0-9a-f]{8} demo/hello main" % first_id,
                     what="the new build's log")
        con.wait(r"\[step 0[1-9]/20\]")
        # split: the first build's log in a second pane
        con.keys("Tab", "Tab")  # -> projects -> builds
        con.wait(r"Builds\s+demo/hello\s+2")
        con.type("G")
        con.type("s")
        s = con.wait(r"Log \S+ %s demo/hello" % first_id, what="the split pane")
        check(len(re.findall(r"Log \S+ [0-9a-f]{8} demo/hello", s)) == 2,
              "two log panes expected", s)
        # artifacts of the first build: a directory, then a file in the pager
        con.keys("Tab", "Tab")  # split pane -> projects -> builds
        con.type("a")
        con.wait(r"Artifacts .*%s" % first_id, what="the artifacts view")
        con.wait(r"reports/")
        con.type("gj")
        con.keys("Enter")
        con.wait(r"summary\.txt +\d+ B", what="the file in reports/")
        con.keys("Enter")
        s = con.wait(r"File reports/summary\.txt", what="the pager")
        con.wait(r"result: ok")
        con.wait(r"build: %s" % first_id)
        # copy its location (OSC 52 to the terminal clipboard, shown in the bar)
        con.type("y")
        s = con.wait(r"copied /\S+/reports/summary\.txt")
        # help, generated from the keymap of the focused view
        con.keys("Tab", "Tab")  # pager -> projects -> artifacts
        con.type("q")  # artifacts -> builds
        con.wait(r"Builds\s+demo/hello", what="the builds list")
        con.type("?")
        s = con.wait(r"Help: builds")
        for text in ("retrigger the selected build", "cancel the selected build",
                     "open the command line"):
            check(text in s or text[:30] in s, "help lacks " + text, s)
        con.keys("Escape")
        con.wait(r"Help: builds", gone=True)
        # themes switch live: the colours of the status bar change
        before = con.screen(escapes=True).splitlines()[-1]
        con.type(":the")
        con.keys("Tab")  # completes the command
        con.wait(r"^:theme\s*$", what="the completed command")
        con.type("li")
        con.keys("Tab")  # completes the theme name
        con.wait(r"^:theme light", what="the completed theme")
        con.keys("Enter")
        con.wait(r"theme light")
        after = con.screen(escapes=True).splitlines()[-1]
        check(before != after, "the theme did not change the status bar's colours")
        con.type(":theme no-such-theme")
        con.keys("Enter")
        con.wait(r"no-such-theme")
        # resize: down to 20x5, below it, and back, without garbage
        con.resize(20, 5)
        s = con.wait(r"\A Builds  demo/hel", what="the builds pane at 20x5")
        check(len(s.rstrip("\n").splitlines()) <= 5, "taller than 5 rows", s)
        check(max(len(l) for l in s.splitlines()) <= 20, "wider than 20 columns", s)
        check("Projects" not in s, "the projects column does not fit at 20x5", s)
        con.resize(15, 4)
        s = con.wait(r"\Aneed 20x5\s*\Z", what="only the size notice")
        con.resize(120, 40)
        s = con.wait(r"\A Projects .*Builds  demo/hello", what="the full screen again")
        check("need 20x5" not in s, "the notice stayed after growing", s)
        check(s.rstrip("\n").splitlines()[-1].strip() != "", "no status bar", s)
        # quit: q from the list; the terminal is restored
        con.keys("Escape")
        con.type("q")
        restored(con, 0)
    finally:
        con.close()


def test_search_filter(aft, tmp):
    """A long log: search finds a line far above the tail; n, filter."""
    con = Console(aft, tmp, "search", config=fixture_config())
    try:
        con.wait(r"e2e/long")
        con.type(":build e2e/long main")
        con.keys("Enter")
        s = con.wait(r"long log done", what="the end of the long log")
        con.wait(r"Log .*e2e/long main succeeded")
        check("needle-04242" not in s, "the needle should be far above the tail", s)
        con.type("/needle-0424")
        con.keys("Enter")
        s = con.wait(r"needle-04242 is the line to find", what="the search result")
        check("long log done" not in s, "the view did not move to the match", s)
        con.wait(r"1 of 1|1/1", what="the match counter")
        # back to the bottom, then filter to matching lines with context
        con.type("G")
        con.wait(r"long log done")
        con.type("&")
        con.wait(r"^& ")
        con.type("-C 1 needle")
        con.keys("Enter")
        s = con.wait(r"filler line 04241[^\n]*\n[^\n]*needle-04242[^\n]*\n[^\n]*filler line 04243",
                     what="the filtered lines with context")
        check("filler line 04240" not in s, "context larger than asked", s)
        con.type("&")
        con.keys("Enter")
        con.wait(r"needle-04242", gone=True, what="the filter cleared")
        con.type("Q")
        restored(con, 0)
    finally:
        con.close()


def test_cancel_and_restart(aft, tmp):
    """A running build survives the console; the next console shows it
    running and cancels it (with a confirmation)."""
    con = Console(aft, tmp, "cancel", config=fixture_config())
    try:
        con.wait(r"e2e/slow")
        con.type(":build e2e/slow main")
        con.keys("Enter")
        con.wait(r"slow tick 3\b", what="the slow build's log")
        con.type("Q")
        restored(con, 0)
    finally:
        con.close()
    con = Console(aft, tmp, "cancel", config=fixture_config(),
                  reuse_dirs=os.path.join(tmp, "cancel"))
    try:
        con.wait(r"1 running", what="the build still running")
        # the command line's history survived the restart
        con.type(":")
        con.keys("Up")
        con.wait(r"^:build e2e/slow main", what="the previous console's command in history")
        con.keys("Escape")
        con.wait(r"^:build", gone=True)
        con.type("R")
        s = con.wait(r"Running .*1 running")
        con.wait(r"e2e/slow +main +running")
        con.keys("Enter")
        con.wait(r"slow tick \d+", what="its live log")
        con.type("c")
        con.wait(r"cancel running build [0-9a-f]{8} of e2e/slow \(main\)\? y/n")
        con.type("y")
        con.wait(r"Log .*e2e/slow main cancelled", what="the build cancelled")
        con.wait(r"0 running, 0 queued")
        # Ctrl-C quits and restores the terminal
        con.keys("C-c")
        restored(con)
    finally:
        con.close()


# The sequences of the hostile log (their text shows inert on screen, so only
# the escape forms are checked; ncurses itself never sends these).
HOSTILE_RAW = [b"\x1b]0;", b"\x1b]2;", b"\x1b]52;", b"\x1bP", b"\x1b\\", b"\x1b[99;99H",
               b"\x1b[6n", b"\x1b[5n", b"\x07", b"\xc2\x9b", b"\x9b31m"]


def test_hostile(aft, tmp):
    """Escape sequences in a log show inert; none reaches the terminal."""
    con = Console(aft, tmp, "hostile", config=fixture_config())
    try:
        con.wait(r"e2e/hostile")
        con.type(":build e2e/hostile main")
        con.keys("Enter")
        s = con.wait(r"hostile done", what="the hostile log")
        con.wait(r"Log .*e2e/hostile main succeeded")
        s = con.screen()
        for text in ("PWNED-TITLE", "PWNED-TWO", "SGFja2VkIQ==", "99;99H", "+q544e",
                     "still red is fine"):
            check(text in s, "%r not shown inert on screen" % text, s)
        for line in ("title: ", "clipboard: ", "cursor: ", "dcs: ", "erase: "):
            check(line in s, "the line %r was damaged" % line, s)
        title = con.tmux("display-message", "-p", "-t", "e2e", "#{pane_title}")
        check("PWNED" not in title, "the pane title was changed: " + title)
        con.type("Q")
        restored(con, 0)
        raw = con.raw_bytes()
        for bad in HOSTILE_RAW:
            check(bad not in raw, "the console wrote %r to the terminal" % bad)
    finally:
        con.close()


def test_signals(aft, tmp):
    """SIGTERM, a crash (SIGSEGV) and SIGHUP: the terminal is restored (or
    the console at least exits when its terminal is gone)."""
    for sig, name in ((signal.SIGTERM, "term"), (signal.SIGSEGV, "segv")):
        con = Console(aft, tmp, "sig-" + name)
        try:
            con.wait(r"Projects\s+4")
            os.kill(con.console_pid(), sig)
            rc = restored(con)
            if sig == signal.SIGSEGV:
                check(rc == 128 + signal.SIGSEGV, "a crash should end with SIGSEGV, got %d" % rc)
        finally:
            con.close()
    con = Console(aft, tmp, "sig-hup")
    try:
        con.wait(r"Projects\s+4")
        pid = con.console_pid()
        os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and os.path.exists("/proc/%d" % pid):
            time.sleep(0.05)
        check(not os.path.exists("/proc/%d" % pid), "the console ignored SIGHUP")
    finally:
        con.close()


def test_plain(aft, tmp):
    """NO_COLOR and TERM=dumb: readable, without colours."""
    for name, env in (("nocolor", {"NO_COLOR": "1"}), ("dumb", {"TERM": "dumb"})):
        con = Console(aft, tmp, "plain-" + name, env=env)
        try:
            con.wait(r"Projects\s+4")
            con.wait(r"demo/hello")
            con.type("jj")
            s = con.wait(r"Builds\s+demo/flood")
            esc = con.screen(escapes=True)
            colours = re.findall(r"\x1b\[[0-9;]*(?:3[0-7]|4[0-7]|9[0-7]|38;5;\d+|48;5;\d+)[;m]",
                                 esc)
            check(not colours, "%s: colours on screen: %r" % (name, colours[:5]), s)
            # the selection still shows (reverse video or the like)
            check("\x1b[" in esc, "%s: no attributes at all" % name, s)
            con.type("Q")
            restored(con, 0, alt_screen=name != "dumb")
        finally:
            con.close()


def test_frames(aft, tmp):
    """A frame reaches the terminal in one write(2), not one per changed run
    of cells (each write wakes the terminal, or sshd, and costs latency)."""
    con = Console(aft, tmp, "frames", config=fixture_config())
    trace = os.path.join(con.dir, "strace.out")
    tracer = None
    try:
        con.wait(r"e2e/slow")
        con.type(":build e2e/slow main")
        con.keys("Enter")
        # the pane is full and scrolls: each frame changes many runs of cells
        con.wait(r"slow tick 30\b", what="the slow build's log")
        pid = con.console_pid()
        # The UI thread only (the process's main thread): its writes and polls.
        tracer = subprocess.Popen(["strace", "-q", "-e", "trace=write,poll", "-o", trace,
                                   "-p", str(pid)], stderr=subprocess.DEVNULL)
        con.wait(r"slow tick 38\b", what="more of the log")
        con.type("j")  # a key's frame too
        con.wait(r"slow tick 42\b", what="more of the log")
    finally:
        if tracer:
            tracer.terminate()
            tracer.wait()
        con.type("Q")
        con.close()
    # Writes to the terminal between two polls of the loop: the frame, and at
    # most the cursor's visibility next to it.
    frames, worst, run = 0, 0, 0
    with open(trace) as f:
        for line in f:
            if line.startswith("poll("):
                if run:
                    frames += 1
                    worst = max(worst, run)
                run = 0
            elif line.startswith("write(1,"):
                run += 1
    check(frames >= 10, "only %d frames seen while the log grew" % frames)
    check(worst <= 2, "a frame took %d writes to the terminal" % worst)


TESTS = {
    "basic": test_basic,
    "search": test_search_filter,
    "cancel": test_cancel_and_restart,
    "hostile": test_hostile,
    "signals": test_signals,
    "plain": test_plain,
    "frames": test_frames,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aftomato")
    ap.add_argument("--tmp", default="/tmp/aftomato-e2e")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("tests", nargs="*")
    a = ap.parse_args()
    if a.list:
        print("\n".join(TESTS))
        return 0
    if not shutil.which("tmux"):
        print("tmux is not installed", file=sys.stderr)
        return 1
    os.makedirs(a.tmp, exist_ok=True)
    failed = 0
    for name in a.tests or list(TESTS):
        t0 = time.monotonic()
        try:
            TESTS[name](os.path.abspath(a.aftomato), os.path.abspath(a.tmp))
            print("PASS %s (%.1fs)" % (name, time.monotonic() - t0))
        except Failure as e:
            failed += 1
            tb = traceback.extract_tb(e.__traceback__)
            where = ", ".join("%s:%d" % (f.name, f.lineno) for f in tb if f.name.startswith("test_"))
            print("FAIL %s (at %s): %s" % (name, where, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
