"""The systemd protocol as the units rely on it (Type=notify, WatchdogSec):
each daemon started with a $NOTIFY_SOCKET sends READY=1 once it is
configured and bound, WATCHDOG=1 at half of $WATCHDOG_USEC while its loop
turns, and STOPPING=1 on SIGTERM.  The socket is a plain datagram socket
standing in for systemd's."""
import os
import socket
import stat
import tempfile
import time

import pytest

import harness
from fx_apid import Apid
from fx_syncd import KEY


class NotifySocket:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sdn.", dir="/tmp")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.got = []

    def collect(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                msg = self.sock.recv(4096).decode()
                # stamped on arrival, not when the wait began
                self.got.append((time.monotonic(), msg))
            except socket.timeout:
                pass
        return [m for _, m in self.got]

    def wait_for(self, msg, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if msg in self.collect(0.2):
                return
        raise AssertionError(f"no {msg!r}; got {self.got}")

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


@pytest.fixture
def notify():
    n = NotifySocket()
    yield n
    n.close()


@pytest.mark.parametrize("name", ["polarflow-syncd", "polarflow-analyticsd"])
def test_ready_watchdog_stopping(name, migrated, notify, tmp_path):
    rundir = tempfile.mkdtemp(prefix="sdr.", dir="/tmp")
    env = harness.clean_env(
        DATABASE_URL=migrated.url, POLARFLOW_RUNDIR=rundir,
        ENCRYPTION_KEY=KEY, SYNC_ENABLED="false",
        NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="400000")
    d = harness.Daemon(name, [], env=env, logdir=tmp_path)
    try:
        notify.wait_for("READY=1")
        # READY means bound: the sockets exist, group-only like the unit's
        socks = [os.stat(os.path.join(rundir, f)) for f in os.listdir(rundir)]
        socks = [st for st in socks if stat.S_ISSOCK(st.st_mode)]
        assert len(socks) == 2
        assert all(stat.S_IMODE(st.st_mode) == 0o660 for st in socks)
        t0 = time.monotonic()
        notify.collect(1.5)
        pings = [t for t, m in notify.got if m == "WATCHDOG=1" and t >= t0]
        # every 200 ms while idle: 1.5 s gives 7 or so, never none
        assert len(pings) >= 4, notify.got
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert max(gaps) < 0.4, gaps
    finally:
        rc = d.stop()
    assert rc == 0, d.logtext()
    assert "STOPPING=1" in notify.collect(0.5), notify.got
    os.rmdir(rundir) if not os.listdir(rundir) else None


def test_watchdog_for_another_pid_is_ignored(migrated, notify, tmp_path):
    """systemd sets WATCHDOG_PID to the main process; a child that
    inherited the variables must not ping in its name."""
    rundir = tempfile.mkdtemp(prefix="sdr.", dir="/tmp")
    env = harness.clean_env(
        DATABASE_URL=migrated.url, POLARFLOW_RUNDIR=rundir,
        NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="200000",
        WATCHDOG_PID="1")
    d = harness.Daemon("polarflow-analyticsd", [], env=env, logdir=tmp_path)
    try:
        notify.wait_for("READY=1")
        assert "WATCHDOG=1" not in notify.collect(1.0), notify.got
    finally:
        assert d.stop() == 0, d.logtext()


def test_apid_ready_and_stopping(migrated, notify, tmp_path):
    a = Apid(migrated, tmp_path, env={"NOTIFY_SOCKET": notify.path})
    try:
        notify.wait_for("READY=1")
        assert a.get("/health").status == 200
    finally:
        rc = a.stop()
    assert rc in (0, -15, 143), a.proc.logtext()
    assert "STOPPING=1" in notify.collect(0.5), notify.got
