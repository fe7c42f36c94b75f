"""Fixtures for the polarflow-syncd integration tests: a real polarsim
(tests/polarsim/polarsim.py) and a real syncd binary against the per-test
database.  Import the fixtures into a test module with
``from fx_syncd import *  # noqa``."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

import harness

SIM = os.path.join(harness.TOP, "tests", "polarsim", "polarsim.py")
KEY = "qUq8zVxYl8x2pJp1k3Xcwq0Q2r1yL7Gm0o6wJbY4a1E="
REDIRECT = "http://localhost/cb"


class Polarsim:
    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [sys.executable, SIM, "--port", "0", "--quiet", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("polarsim listening on "):
            self.proc.kill()
            raise RuntimeError("polarsim did not start: " + line)
        self.url = line.split()[-1]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def fault(self, spec):
        return self.call("POST", "/_sim/faults", {"spec": spec})

    def clear_faults(self):
        return self.call("DELETE", "/_sim/faults")

    def patch(self, glob, **kw):
        """Rewrites the answers of paths matching glob (polarsim PATCHES)."""
        kw["glob"] = glob
        return self.call("POST", "/_sim/patches", kw)

    def clear_patches(self):
        return self.call("DELETE", "/_sim/patches")

    def stats(self):
        return self.call("GET", "/_sim/stats")

    def reset_stats(self):
        return self.call("DELETE", "/_sim/stats")

    def code(self, user):
        return self.call("POST", f"/_sim/users/{user}/code")["code"]

    def users(self):
        return self.call("GET", "/_sim/users")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def polarsim_factory():
    sims = []

    def make(*args):
        s = Polarsim(*args)
        sims.append(s)
        return s
    yield make
    for s in sims:
        s.stop()


@pytest.fixture
def polarsim(polarsim_factory):
    return polarsim_factory("--users", "3", "--days", "60", "--seed", "7")


nng_call = harness.nng_call
EventListener = harness.EventListener


class Syncd:
    def __init__(self, db, sim, workdir, extra=None, valgrind=False):
        self.db = db
        self.sim = sim
        self.dir = workdir
        # a test may put syncd's sockets where another daemon looks for them
        self.rundir = (extra or {}).get("rundir") or os.path.join(workdir,
                                                                  "run")
        self.conf = os.path.join(workdir, "polarflow.conf")
        self.ctl = f"ipc://{self.rundir}/syncd.ctl"
        self.events = f"ipc://{self.rundir}/events"
        self.valgrind = valgrind
        self.write_conf(extra or {})
        self.daemon = None
        self.last_log = ""
        self.env = {}       # e.g. CREDENTIALS_DIRECTORY, as systemd sets

    def write_conf(self, extra):
        conf = {
            "database_url": self.db.daemon_url("_polarsync"),
            "polar_client_id": "polarsim-client",
            "polar_client_secret": "polarsim-secret",
            "polar_api_url": self.sim.url,
            "polar_token_url": self.sim.url + "/v2/oauth2/token",
            "polar_auth_url": self.sim.url + "/oauth2/authorization",
            "encryption_key": KEY,
            "rundir": self.rundir,
            "sync_enabled": "false",
            "sync_on_startup": "false",
            "sync_http_timeout_seconds": "30",
            "log_level": "debug",
        }
        conf.update({k: str(v) for k, v in extra.items()})
        with open(self.conf, "w") as f:
            for k, v in conf.items():
                f.write(f"{k} = '{v}'\n")

    def start(self, wait=True):
        self.daemon = harness.Daemon(
            "polarflow-syncd", ["-f", self.conf],
            env=harness.clean_env(**self.env),
            logdir=self.dir, valgrind=self.valgrind)
        if wait:
            harness.wait_until(lambda: self.call({"type": "status"},
                                                 timeout=2) is not None
                               or not self.daemon.running(),
                               timeout=60, what="syncd control socket")
            assert self.daemon.running(), self.daemon.logtext()
        return self

    def call(self, msg, timeout=30):
        m = {"v": 1}
        m.update(msg)
        return nng_call(self.ctl, m, timeout=timeout)

    def status(self):
        return self.call({"type": "status"})

    def authorize(self, user=0):
        r = self.call({"type": "oauth.exchange",
                       "code": self.sim.code(user),
                       "redirect_uri": REDIRECT})
        assert r and r.get("ok"), r
        return r["polar_user_id"]

    def sync(self, user_id, timeout=120, **kw):
        msg = {"type": "sync.trigger", "user_id": user_id, "wait": True}
        msg.update(kw)
        r = self.call(msg, timeout=timeout)
        assert r is not None, "no reply:\n" + self.log()
        return r

    def log(self):
        return self.daemon.logtext() if self.daemon else self.last_log

    def stop(self):
        if self.daemon is None:
            return None
        rc = self.daemon.stop()
        self.last_log = self.daemon.logtext()
        self.daemon = None
        return rc

    def kill9(self):
        self.daemon.proc.kill()
        self.daemon.proc.wait()
        self.daemon.log.close()
        self.last_log = self.daemon.logtext()
        self.daemon = None


@pytest.fixture
def syncd_factory(migrated, polarsim):
    made = []
    dirs = []

    def make(sim=None, extra=None, start=True, valgrind=False):
        d = tempfile.mkdtemp(prefix="sd.", dir="/tmp")
        dirs.append(d)
        s = Syncd(migrated, sim or polarsim, d, extra, valgrind)
        made.append(s)
        if start:
            s.start()
        return s
    yield make
    for s in made:
        if s.daemon is not None:
            rc = s.stop()
            assert rc == 0, f"syncd exit status {rc}:\n" + s.log()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def syncd(syncd_factory):
    return syncd_factory()


def wait_for(pred, timeout=30, what="condition"):
    return harness.wait_until(pred, timeout=timeout, interval=0.1, what=what)


def elapsed(t0):
    return time.monotonic() - t0
