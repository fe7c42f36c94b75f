"""Shared helpers for the integration tests.

The tests drive the real binaries in $PF_BUILD/bin against a real,
throwaway PostgreSQL cluster.  tests/run.sh starts one cluster per run and
exports PF_TEST_PGDIR; run under plain pytest, conftest.py starts its own.
"""
import ctypes
import json
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

    # The daemons' login roles (polarctl setup makes them; sql/0007 gives
    # their group roles the privileges).  Once the schema is migrated,
    # every daemon a test starts connects as its own role, so the whole
    # suite shows that each role may do what its daemon does.
    DAEMON_ROLES = {"_polarsync": "polarflow_sync",
                    "_polaranalytics": "polarflow_analytics",
                    "_polarapi": "polarflow_api"}

    def make_roles(self):
        for login, group in self.DAEMON_ROLES.items():
            self.execute("SELECT pf_login_role(%s, %s)", (login, group))
        self.roles = True

    def daemon_url(self, role):
        """The URL a daemon connects with: its own role once the roles
        exist, the superuser's before (unmigrated databases)."""
        if getattr(self, "roles", False):
            return self.url.replace("user=postgres", f"user={role}")
        return self.url

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
            "SYNC_", "ENCRYPTION_KEY", "DEPLOYMENT_MODE", "POLAR_",
            "CREDENTIALS_DIRECTORY")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def recv_all(sock):
    """Everything sock receives until the peer closes."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


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


# nng through ctypes, the tests' one way of speaking nng: nngcat 1.5
# sometimes exits with "Cannot set recv timeout" before the reply arrives,
# a request such as oauth.exchange cannot simply be retried, and nngcat
# cannot say when a subscriber is connected.  libnng itself is exact.
_nng = None


class NngSocket(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32)]


def nng_lib():
    global _nng
    if _nng is None:
        _nng = ctypes.CDLL("libnng.so.1")
        _nng.nng_strerror.restype = ctypes.c_char_p
    return _nng


def nng_call(url, msg, timeout=5):
    """One REQ/REP round trip; msg is a dict or raw bytes/str.  Returns the
    decoded JSON reply, or None when nothing answered in time."""
    lib = nng_lib()
    s = NngSocket()
    if lib.nng_req0_open(ctypes.byref(s)) != 0:
        raise RuntimeError("nng_req0_open")
    try:
        lib.nng_socket_set_ms(s, b"recv-timeout", int(timeout * 1000))
        # REQ re-sends after 60 s without an answer by default: a slow
        # sync.trigger with wait (valgrind, a loaded machine) would then be
        # answered "busy" by its own copy
        lib.nng_socket_set_ms(s, b"req:resend-time",
                              int(timeout * 1000) + 1000)
        if lib.nng_dial(s, url.encode(), None, 0) != 0:
            return None
        data = _encode(msg)
        if lib.nng_send(s, data, len(data), 0) != 0:
            return None
        buf = ctypes.c_void_p()
        size = ctypes.c_size_t()
        if lib.nng_recv(s, ctypes.byref(buf), ctypes.byref(size),
                        NNG_FLAG_ALLOC) != 0:
            return None
        out = ctypes.string_at(buf, size.value)
        lib.nng_free(buf, size)
        return json.loads(out.decode())
    finally:
        lib.nng_close(s)


NNG_FLAG_ALLOC = 1
NNG_PIPE_EV_ADD_POST = 1


class NngPipe(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32)]


_PIPE_CB = ctypes.CFUNCTYPE(None, NngPipe, ctypes.c_int, ctypes.c_void_p)


def _encode(msg):
    data = msg if isinstance(msg, (bytes, str)) else json.dumps(msg)
    return data.encode() if isinstance(data, str) else data


class Publisher:
    """A PUB socket bound at url, where a daemon's SUB dials (as syncd's
    events socket is).  PUB drops what it sends while nobody is connected,
    so send() first waits until a subscriber's pipe is attached.  Close it
    once the effect of the last message was seen: close drops what is
    still queued."""

    def __init__(self, url, timeout=10):
        self.lib = nng_lib()
        self.s = NngSocket()
        self.timeout = timeout
        self.peers = 0
        if self.lib.nng_pub0_open(ctypes.byref(self.s)) != 0:
            raise RuntimeError("nng_pub0_open")

        def added(pipe, ev, arg):
            self.peers += 1
        self._cb = _PIPE_CB(added)      # kept: libnng holds the pointer
        self.lib.nng_pipe_notify(self.s, NNG_PIPE_EV_ADD_POST, self._cb,
                                 None)
        rv = self.lib.nng_listen(self.s, url.encode(), None, 0)
        if rv != 0:
            raise RuntimeError(self.lib.nng_strerror(rv).decode())

    def send(self, msg):
        """Sends msg (dict, str or bytes); returns the monotonic time of
        the send."""
        wait_until(lambda: self.peers > 0, timeout=self.timeout,
                   interval=0.01, what="a subscriber")
        data = _encode(msg)
        t = time.monotonic()
        if self.lib.nng_send(self.s, data, len(data), 0) != 0:
            raise RuntimeError("nng_send")
        return t

    def close(self):
        self.lib.nng_close(self.s)


class EventListener:
    """Collects the events a daemon publishes at url, in a background
    thread reading a SUB socket.  It returns once the dial is connected:
    an event published after that is received."""

    def __init__(self, url, timeout=10):
        import threading
        self.lib = nng_lib()
        self.s = NngSocket()
        if self.lib.nng_sub0_open(ctypes.byref(self.s)) != 0:
            raise RuntimeError("nng_sub0_open")
        self.lib.nng_socket_set(self.s, b"sub:subscribe", b"", 0)
        self.lib.nng_socket_set_ms(self.s, b"recv-timeout", 100)
        # a synchronous dial returns when connected, fails while the
        # daemon has not bound the socket yet
        wait_until(lambda: self.lib.nng_dial(self.s, url.encode(), None,
                                             0) == 0,
                   timeout=timeout, what=f"a connection to {url}")
        self.lines = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        buf = ctypes.c_void_p()
        size = ctypes.c_size_t()
        while not self._stop.is_set():
            if self.lib.nng_recv(self.s, ctypes.byref(buf),
                                 ctypes.byref(size), NNG_FLAG_ALLOC) != 0:
                continue
            self.lines.append(ctypes.string_at(buf, size.value).decode(
                errors="replace"))
            self.lib.nng_free(buf, size)

    def events(self):
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def close(self):
        self._stop.set()
        self._t.join()
        self.lib.nng_close(self.s)


class Daemon:
    """A real daemon binary in the foreground, its stderr captured to a
    log file; stop() sends SIGTERM and checks for a clean exit."""

    def __init__(self, name, args=(), env=None, logdir="/tmp",
                 valgrind=False, path=None):
        import os as _os
        self.name = name
        self.logpath = _os.path.join(str(logdir), name + ".log")
        self.log = open(self.logpath, "wb")
        argv = [path or binary(name), *args]
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
