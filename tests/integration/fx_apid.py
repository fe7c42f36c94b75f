"""Fixtures for the apid tests: a real kore + apid.so on a free port
against the per-test database, plus small HTTP helpers (urllib only)."""
import json
import os
import re
import shutil
import socket
import tempfile
import urllib.error
import urllib.request

import pytest

import harness

MASTER = "master-" + "k" * 24


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode()


class Apid:
    """One polarflow-apid (kore) process."""

    def __init__(self, db, workdir, extra_conf="", env=None, workers=2):
        self.db = db
        self.port = free_port()
        # ipc:// paths must stay under 107 bytes: keep rundir short.
        self.rundir = tempfile.mkdtemp(prefix="pfa.", dir="/tmp")
        self.conf = os.path.join(str(workdir), f"apid{self.port}.conf")
        with open(self.conf, "w") as f:
            f.write(f"rundir = {self.rundir}\n"
                    f"api_port = {self.port}\n"
                    f"api_workers = {workers}\n"
                    f"api_key = {MASTER}\n"
                    "log_format = json\n" + extra_conf)
        e = harness.clean_env(DATABASE_URL=db.daemon_url("_polarapi"))
        # Under SANITIZE=1 apid.so is built without sanitizers (kore
        # lacks the ASan runtime; apid/apid.mk).  PF_APID_PRELOAD is for a
        # manual run of a hand-built ASan module: serving works, kore's
        # shutdown then deadlocks in exit handlers.
        if os.environ.get("PF_APID_PRELOAD"):
            e["LD_PRELOAD"] = os.environ["PF_APID_PRELOAD"]
            e["ASAN_OPTIONS"] = "detect_leaks=0:halt_on_error=1"
        if env:
            e.update(env)
        self.proc = harness.Daemon("polarflow-apid", ["-f", self.conf],
                                   env=e, logdir=workdir)
        self.proc.logpath  # noqa: B018
        harness.wait_until(self._up, timeout=15, what="apid /health")

    def _up(self):
        if not self.proc.running():
            raise AssertionError("apid exited:\n" + self.proc.logtext())
        try:
            return self.get("/health").status == 200
        except OSError:
            return False

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method, path, key=None, headers=None, data=None,
                bearer=False, timeout=10):
        h = dict(headers or {})
        if key is not None:
            if bearer:
                h["Authorization"] = "Bearer " + key
            else:
                h["X-API-Key"] = key
        if data is None and method == "POST":
            data = b""
        req = urllib.request.Request(self.url(path), method=method,
                                     headers=h, data=data)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Resp(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Resp(e.code, dict(e.headers), e.read())

    def get(self, path, key=None, **kw):
        return self.request("GET", path, key, **kw)

    def post(self, path, key=None, **kw):
        return self.request("POST", path, key, **kw)

    def metrics(self):
        return self.get("/metrics").text

    def stop(self):
        rc = self.proc.stop(timeout=20)
        shutil.rmtree(self.rundir, ignore_errors=True)
        return rc


def make_key(db, polarctl, user=None, limit=None):
    args = ["key", "create"]
    if user:
        args += ["--user", user]
    if limit:
        args += ["--rate-limit", str(limit)]
    p = polarctl(*args, check=True)
    m = re.search(r"pfk_[0-9a-f]{40}", p.stdout + p.stderr)
    assert m, p.stdout + p.stderr
    return m.group(0)


@pytest.fixture
def apid(migrated, tmp_path):
    a = Apid(migrated, tmp_path)
    try:
        yield a
    finally:
        rc = a.stop()
        assert rc == 0 or rc == -15 or rc == 143, a.proc.logtext()
        assert "sandbox violation" not in a.proc.logtext()


@pytest.fixture
def users(migrated, polarctl):
    """Two users with a key each, and a service key."""
    for u in ("alice", "bob"):
        polarctl("user", "add", u, check=True)
    return {
        "alice": make_key(migrated, polarctl, "alice"),
        "bob": make_key(migrated, polarctl, "bob"),
        "service": make_key(migrated, polarctl),
    }
