"""Shared helpers for the integration tests.

The tests drive the real binaries in $PF_BUILD/bin against a real,
throwaway PostgreSQL cluster.  tests/run.sh starts one cluster per run and
exports PF_TEST_PGDIR; run under plain pytest, conftest.py starts its own.
"""
import os
import subprocess
import time
import uuid

import psycopg

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PF_BUILD", os.path.join(TOP, "build"))
BIN = os.path.join(BUILD, "bin")
PGCLUSTER = os.path.join(TOP, "tests", "pgcluster.sh")


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is not built; run make check-build")
    return path


class Database:
    """One fresh database inside the shared test cluster."""

    def __init__(self, pgdir):
        self.pgdir = pgdir
        self.name = "t_" + uuid.uuid4().hex[:12]
        self.admin_url = f"host={pgdir} port=5432 user=postgres dbname=postgres"
        self.url = f"host={pgdir} port=5432 user=postgres dbname={self.name}"
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql, params=None):
        with psycopg.connect(self.url, autocommit=True) as c:
            cur = c.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def execute(self, sql, params=None):
        with psycopg.connect(self.url, autocommit=True) as c:
            c.execute(sql, params)

    def scalar(self, sql, params=None):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


def clean_env(**extra):
    """The environment a test binary sees: no stray POLARFLOW_/upstream
    variables from the developer's shell, plus what the test sets."""
    drop = ("POLARFLOW_", "DATABASE_URL", "API_KEY", "LOG_LEVEL",
            "SYNC_", "ENCRYPTION_KEY", "DEPLOYMENT_MODE", "POLAR_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(argv, env=None, timeout=60, input=None):
    return subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=timeout, input=input)


def wait_until(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def nng_call(url, msg, timeout=5):
    """One REQ/REP round trip through nngcat (Debian nng-utils); returns
    the decoded JSON reply, or None when nothing answered."""
    import json
    p = subprocess.run(["nngcat", "--req0", "--dial", url, "--raw",
                        "--recv-timeout", str(timeout), "--count", "1",
                        "--data", json.dumps(msg)],
                       capture_output=True, timeout=timeout + 5)
    if not p.stdout:
        return None
    return json.loads(p.stdout.decode())


class EventListener:
    """Collects PUB events in the background with nngcat --sub0."""

    def __init__(self, url):
        self.proc = subprocess.Popen(
            ["nngcat", "--sub0", "--dial", url, "--subscribe", "",
             "--ascii"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.lines = []
        import threading
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode(errors="replace").strip())

    def events(self):
        import json
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def close(self):
        self.proc.kill()
        self.proc.wait()


class Daemon:
    """A real daemon binary in the foreground, its stderr captured to a
    log file; stop() sends SIGTERM and checks for a clean exit."""

    def __init__(self, name, args=(), env=None, logdir="/tmp",
                 valgrind=False):
        import os as _os
        self.name = name
        self.logpath = _os.path.join(str(logdir), name + ".log")
        self.log = open(self.logpath, "wb")
        argv = [binary(name), *args]
        if valgrind or _os.environ.get("POLARFLOW_VALGRIND") == "1":
            argv = ["valgrind", "--error-exitcode=99", "--leak-check=full",
                    "--errors-for-leak-kinds=definite", "-q"] + argv
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def logtext(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout=15):
        import signal as _signal
        if self.proc.poll() is None:
            self.proc.send_signal(_signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} ignored SIGTERM:\n"
                                     + self.logtext())
        self.log.close()
        return self.proc.returncode
