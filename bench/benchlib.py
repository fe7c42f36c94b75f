"""benchlib.py -- what the apid benches share: a private PostgreSQL
cluster with the schema migrated, polarflow-apid on a free port, its
workers' RSS, and wrk's report read into numbers.

    with benchlib.ApidStack("pfab.", max_connections=300,
                            seed=lambda url: ..., conf="...") as st:
        st.url, st.port, st.pid, st.work

The cluster (tests/pgcluster.sh: fsync off, as every bench here) and
apid are stopped and the work directory removed on leaving the block,
whatever happened in it.  keep_log, when given, is where apid's log is
copied first.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PF_BUILD", os.path.join(TOP, "build"))
PGCLUSTER = os.path.join(TOP, "tests", "pgcluster.sh")


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True,
                          **kw)


def psql(url, sql):
    sh("psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kb(parent):
    """VmRSS in kB of each child of parent (kore's workers), by pid."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                st = f.read()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{parent}$", st, re.M):
            m = re.search(r"^VmRSS:\s+(\d+)", st, re.M)
            out[int(pid)] = int(m.group(1)) if m else 0
    return out


def lat_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s)", s)
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 \
        if m.group(2) == "s" else v


def parse_wrk(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = lat_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = lat_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": bad,
            "errors": m.group(1) if m else ""}


def wrk(port, script, conns, seconds):
    """One wrk run (2 threads) with a Lua script; its report and the
    numbers read from it ("out" holds the script's own output)."""
    p = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{seconds}s",
                        "--latency", "-s", script,
                        f"http://127.0.0.1:{port}"],
                       capture_output=True, text=True)
    r = parse_wrk(p.stdout)
    r["out"] = p.stdout
    return r


class ApidStack:
    """A migrated private cluster and one polarflow-apid (2 workers, no
    rate limit) in a fresh work directory under /tmp."""

    def __init__(self, prefix, seed=None, conf="", max_connections=None,
                 keep_log=None):
        self.prefix = prefix
        self.seed = seed
        self.conf = conf
        self.max_connections = max_connections
        self.keep_log = keep_log
        self.work = self.pg = self.url = None
        self.port = self.proc = self.pid = None
        self.seed_s = 0.0

    def __enter__(self):
        self.work = tempfile.mkdtemp(prefix=self.prefix, dir="/tmp")
        os.chmod(self.work, 0o755)  # the postgres user must reach pg/
        self.pg = os.path.join(self.work, "pg")
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        t0 = time.monotonic()
        self.url = sh(PGCLUSTER, "start", self.pg).stdout.strip()
        if self.max_connections:
            sh("psql", self.url, "-c", "ALTER SYSTEM SET max_connections"
               f" = {self.max_connections}")
            sh(PGCLUSTER, "stop", self.pg)
            self.url = sh(PGCLUSTER, "start", self.pg).stdout.strip()
        sh(os.path.join(BUILD, "bin", "polarctl"), "db", "migrate",
           env=dict(os.environ, DATABASE_URL=self.url))
        if self.seed:
            self.seed(self.url)
        self.seed_s = time.monotonic() - t0
        self.port = free_port()
        conf = os.path.join(self.work, "polarflow.conf")
        with open(conf, "w") as f:
            f.write(f"rundir = {self.work}/run\napi_port = {self.port}\n"
                    "api_workers = 2\napi_rate_limit = 100000000\n"
                    "log_level = warning\n" + self.conf)
        with open(os.path.join(self.work, "apid.log"), "wb") as log:
            self.proc = subprocess.Popen(
                [os.path.join(BUILD, "bin", "polarflow-apid"), "-f", conf],
                env=dict(os.environ, DATABASE_URL=self.url), stdout=log,
                stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        for _ in range(100):
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/health", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("apid did not answer /health in 10 s; see "
                           f"{self.work}/apid.log")

    def metrics(self):
        with urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}/metrics") as m:
            return m.read().decode()

    def __exit__(self, *exc):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        subprocess.run([PGCLUSTER, "stop", self.pg], capture_output=True)
        if self.keep_log:
            shutil.copy(os.path.join(self.work, "apid.log"), self.keep_log)
        shutil.rmtree(self.work, ignore_errors=True)
        return False
