"""apid with a real streaming replica (issue 19): pg_basebackup -R from
the test cluster and a standby started next to it.  GET data routes are
read on the replica; a replica whose replay lags past the bound, or that
is stopped, is bypassed and the primary answers; a key revoked on the
primary is refused at once (keys are always checked on the primary)."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import psycopg
import pytest

import harness
from fx_apid import Apid, make_key

U = "/api/v1/users"
REPLICA_PORT = 5433
BINDIR = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                        text=True).stdout.strip() or \
    "/usr/lib/postgresql/15/bin"


def as_owner(argv):
    if os.getuid() == 0:
        argv = ["runuser", "-u", "postgres", "--"] + argv
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


class Replica:
    """A hot standby of the test cluster in a directory of its own."""

    def __init__(self, pgdir):
        self.dir = tempfile.mkdtemp(prefix="pfrep.", dir="/tmp")
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        p = as_owner([os.path.join(BINDIR, "pg_basebackup"), "-D",
                      self.data, "-R", "-X", "stream", "-c", "fast",
                      "-h", pgdir, "-p", "5432", "-U", "postgres"])
        assert p.returncode == 0, p.stderr
        self.running = False

    def start(self):
        p = as_owner([os.path.join(BINDIR, "pg_ctl"), "-D", self.data,
                      "-l", os.path.join(self.dir, "server.log"), "-w",
                      "-t", "60", "-o",
                      f"-c listen_addresses= -k {self.dir} "
                      f"-p {REPLICA_PORT} -c hot_standby=on "
                      "-c max_connections=200", "start"])
        assert p.returncode == 0, p.stdout + p.stderr + self.log()
        self.running = True

    def stop(self):
        if self.running:
            as_owner([os.path.join(BINDIR, "pg_ctl"), "-D", self.data,
                      "-m", "fast", "-w", "-t", "30", "stop"])
        self.running = False

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()
        except OSError:
            return ""

    def url(self, dbname, user="postgres"):
        return (f"host={self.dir} port={REPLICA_PORT} user={user} "
                f"dbname={dbname}")

    def scalar(self, dbname, sql, params=None):
        with psycopg.connect(self.url(dbname), autocommit=True) as c:
            r = c.execute(sql, params).fetchall()
            return r[0][0] if r else None

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def replica(pgdir, migrated):
    r = Replica(pgdir)
    try:
        r.start()
        yield r
    finally:
        r.remove()


def seed(db, user):
    for i in range(3):
        db.execute("INSERT INTO sleep (user_id, date, sleep_score, "
                   "total_sleep_seconds) VALUES (%s, current_date - %s, "
                   "%s, 27000)", (user, i, 70 + i))


def metric(apid, name):
    m = re.search(rf"^{name} (\d+)$", apid.metrics(), re.M)
    return int(m.group(1)) if m else 0


def score_today(apid, key):
    r = apid.get(f"{U}/alice/sleep?days=1", key)
    assert r.status == 200, r.text()
    rows = r.json()
    return rows[0]["sleep_score"] if rows else None


def test_reads_on_replica_fallback_and_revoked_key(migrated, polarctl,
                                                   replica, tmp_path):
    polarctl("user", "add", "alice", check=True)
    key = make_key(migrated, polarctl, "alice")
    seed(migrated, "alice")
    name = migrated.name
    harness.wait_until(lambda: replica.scalar(
        name, "SELECT count(*) FROM sleep WHERE user_id = 'alice'") == 3,
        timeout=30, what="the replica replayed the seed")

    apid = Apid(migrated, tmp_path, extra_conf=(
        f"database_url_replica = '{replica.url(name, '_polarapi')}'\n"
        "database_replica_max_lag_ms = 2000\n"), workers=1)
    try:
        # reads are answered by the replica: apid counts them, and the
        # replica's own statistics see the scans of sleep
        scans0 = replica.scalar(name, "SELECT coalesce(seq_scan, 0) + "
                                "coalesce(idx_scan, 0) FROM "
                                "pg_stat_user_tables WHERE relname = "
                                "'sleep'")
        for _ in range(5):
            assert score_today(apid, key) == 70
        assert metric(apid, "apid_replica_reads_total") >= 5
        harness.wait_until(lambda: replica.scalar(
            name, "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) "
            "FROM pg_stat_user_tables WHERE relname = 'sleep'") > scans0,
            timeout=15, what="scans of sleep on the replica")

        # a replica that stops replaying falls behind the bound and is
        # bypassed: the primary's newer value is served
        replica.scalar(name, "SELECT pg_wal_replay_pause()")
        migrated.execute("UPDATE sleep SET sleep_score = 99 WHERE user_id "
                         "= 'alice' AND date = current_date")
        harness.wait_until(lambda: score_today(apid, key) == 99,
                           timeout=30, what="the primary answers")
        assert "replica bypassed: replay lag" in apid.proc.logtext()
        assert replica.scalar(name, "SELECT sleep_score FROM sleep WHERE "
                              "user_id = 'alice' AND date = "
                              "current_date") == 70
        replica.scalar(name, "SELECT pg_wal_replay_resume()")
        harness.wait_until(lambda: apid.proc.logtext().count(
            "reads go to the replica") >= 2, timeout=30,
            what="the replica is used again")
        # (a URL not in the response cache: the primary's answer is)
        reads = metric(apid, "apid_replica_reads_total")
        r = apid.get(f"{U}/alice/sleep?days=3", key)
        assert r.status == 200 and len(r.json()) == 3
        assert r.json()[0]["sleep_score"] == 99
        assert metric(apid, "apid_replica_reads_total") > reads

        # a key revoked on the primary is refused at once, replica or not
        other = make_key(migrated, polarctl)      # a service key
        assert apid.get(f"{U}/alice/sleep", other).status == 200
        t0 = time.monotonic()
        polarctl("key", "revoke", other[:12], check=True)
        harness.wait_until(lambda: apid.get(f"{U}/alice/sleep",
                                            other).status == 401,
                           timeout=5, what="the revoked key refused")
        print(f"revoked key refused after {time.monotonic() - t0:.3f} s")
        assert apid.get(f"{U}/alice/sleep", key).status == 200

        # the replica stops: every read is still answered, by the primary
        replica.stop()
        for _ in range(10):
            assert score_today(apid, key) == 99
        harness.wait_until(lambda: "replica bypassed" in
                           apid.proc.logtext().split(
                               "reads go to the replica")[-1],
                           timeout=15, what="the replica bypassed")
        migrated.execute("UPDATE sleep SET sleep_score = 42 WHERE user_id "
                         "= 'alice' AND date = current_date")
        assert score_today(apid, key) == 42
    finally:
        rc = apid.stop()
        assert rc in (0, -15, 143), apid.proc.logtext()
        assert "sandbox violation" not in apid.proc.logtext()
