"""`make run`, headless: scripts/run-demo.sh brings up its own PostgreSQL
cluster, polarsim, syncd, analyticsd and apid, authorises the demo user
through the OAuth code exchange, syncs, waits for analytics and prints
curl commands and a polarctl command.  The test runs those commands, stops
the demo the way Ctrl-C does, and runs it again on the same state."""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

import harness
from fx_apid import free_port

SCRIPT = os.path.join(harness.TOP, "scripts", "run-demo.sh")


class Demo:
    def __init__(self, var, api_port, sim_port):
        env = harness.clean_env(
            BUILD=os.path.basename(harness.BUILD), POLARFLOW_VAR=var,
            API_PORT=str(api_port), POLARSIM_PORT=str(sim_port),
            POLARSIM_DAYS="182")
        env.pop("DATABASE_URL", None)
        self.proc = subprocess.Popen(
            ["sh", SCRIPT], cwd=harness.TOP, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.lines = []
        self.ready = threading.Event()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("ready: "):
                self.ready.set()

    def output(self):
        return "\n".join(self.lines)

    def wait_ready(self, timeout):
        t0 = time.monotonic()
        while not self.ready.wait(0.2):
            assert self.proc.poll() is None, \
                "run-demo.sh exited:\n" + self.output()
            assert time.monotonic() - t0 < timeout, \
                "not ready in time:\n" + self.output()
        return time.monotonic() - t0

    def interrupt(self):
        """Ctrl-C: SIGINT to the whole foreground process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(60)
        finally:
            self._t.join(5)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def processes_using(var):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if var in cmd:
            out.append(f"{pid}: {cmd}")
    return out


TOUR_PAIR = re.compile(r'"(\w+)":(-?[0-9][0-9.eE+-]*|null|true|false)')


def check_readme_tour(var, key, uid, api_port):
    """scripts/readme-tour.sh shows the API's own numbers: every
    "name":value it prints is in the answer of the command above it."""
    env = harness.clean_env(POLARFLOW_VAR=var)
    t = subprocess.run(["sh", os.path.join(harness.TOP, "scripts",
                                           "readme-tour.sh")],
                       cwd=harness.TOP, env=env, capture_output=True,
                       text=True, timeout=60)
    assert t.returncode == 0, t.stderr
    blocks = t.stdout.split("$ curl ")[1:]
    assert len(blocks) >= 3, t.stdout
    for b in blocks:
        cmd, shown = b.split("\n", 1)
        path = re.search(r'"\$API/users/\$U/([^"]+)"', cmd).group(1)
        r = subprocess.run(
            ["curl", "-s", "-H", f"X-API-Key: {key}",
             f"http://127.0.0.1:{api_port}/api/v1/users/{uid}/{path}"],
            capture_output=True, text=True, timeout=30)
        body = r.stdout
        pairs = TOUR_PAIR.findall(shown)
        assert pairs, shown
        for name, value in pairs:
            assert re.search(r'"%s":\s*%s[,}\]]' % (
                re.escape(name), re.escape(value)), body), \
                (path, name, value, body[:2000])


@pytest.fixture
def demo_var():
    var = tempfile.mkdtemp(prefix="pfd.", dir="/tmp")
    yield var
    # a failed test must not leave a cluster running
    subprocess.run([harness.PGCLUSTER, "stop", os.path.join(var, "pg")],
                   capture_output=True)
    shutil.rmtree(var, ignore_errors=True)


def test_make_run_path_end_to_end(demo_var):
    api_port, sim_port = free_port(), free_port()
    d = Demo(demo_var, api_port, sim_port)
    try:
        d.wait_ready(600)
        out = d.output()
        key = re.search(r"API key:\s+(pfk_[0-9a-f]{40})", out).group(1)
        uid = re.search(r"user:\s+(\S+)", out).group(1)
        # the console, with its setup token while no admin exists
        tok = re.search(r"console:\s+http://127\.0\.0\.1:\d+/admin\s+"
                        r"\(setup token: ([0-9a-f]{64})\)", out)
        assert tok, out
        curls = [ln.strip() for ln in d.lines
                 if ln.strip().startswith("curl ")]
        assert len(curls) == 3, out
        # the polarctl line works as printed: the config names the database
        ctl = [ln.strip() for ln in d.lines if "polarctl -f " in ln]
        assert len(ctl) == 1, out
        p = subprocess.run(shlex.split(ctl[0]), cwd=harness.TOP,
                           env=harness.clean_env(), capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        # a normal run says nothing alarming
        for noise in ("already running", "Error", "error"):
            assert noise not in out, out
        docs = []
        for c in curls:
            assert key in c and f"/users/{uid}/" in c
            p = subprocess.run(shlex.split(c), capture_output=True,
                               text=True, timeout=30)
            assert p.returncode == 0, p.stderr
            docs.append(json.loads(p.stdout))
        sleep, baselines, insights = docs
        # real numbers: a week of nights with scores and durations
        assert isinstance(sleep, list) and len(sleep) >= 5, sleep
        assert all(isinstance(n.get("sleep_score"), (int, float))
                   for n in sleep if n.get("sleep_score") is not None)
        assert any(n.get("sleep_score") for n in sleep)
        assert baselines, baselines
        assert any(isinstance(b.get("baseline_value"), (int, float))
                   for b in (baselines if isinstance(baselines, list)
                             else baselines.get("baselines", []))), baselines
        assert insights.get("user_id") == uid, insights
        check_readme_tour(demo_var, key, uid, api_port)
        # the demo stays up until interrupted
        assert d.proc.poll() is None
    except BaseException:
        d.kill()
        raise
    rc = d.interrupt()
    # Ctrl-C is the documented way to stop: a clean stop, exit 0
    assert rc == 0, d.output()
    assert "stopping PostgreSQL" in d.output()
    assert "run: stopped" in d.output()
    assert "a process exited" not in d.output()
    harness.wait_until(lambda: not processes_using(demo_var), timeout=15,
                       what="every demo process gone")

    # the second run reuses the cluster, the token and the data: no new
    # authorisation, the same user, and it gets to "ready" again
    d2 = Demo(demo_var, api_port, sim_port)
    try:
        d2.wait_ready(300)
        out2 = d2.output()
        assert "authorising" not in out2, out2
        assert re.search(r"user:\s+(\S+)", out2).group(1) == uid
        key2 = re.search(r"API key:\s+(pfk_[0-9a-f]{40})", out2).group(1)
        assert key2 == key      # kept: the last printed key still works
        r = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
             f"X-API-Key: {key}",
             f"http://127.0.0.1:{api_port}/api/v1/users/{uid}/sleep"],
            capture_output=True, text=True, timeout=30)
        assert r.stdout == "200"
        assert "already running" not in out2 and "Error" not in out2, out2
    except BaseException:
        d2.kill()
        raise
    assert d2.interrupt() == 0, d2.output()
    harness.wait_until(lambda: not processes_using(demo_var), timeout=15,
                       what="every demo process gone")
