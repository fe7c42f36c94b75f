"""Fixtures and helpers for the polarflow-analyticsd integration tests.

`analyticsd` starts the real daemon against the test's migrated database
with a private, short rundir; `seed` writes raw stream rows the way syncd
would; `Publisher` sends data.changed events through a real PUB socket, as
syncd does.
"""
import datetime
import json
import shutil
import tempfile

import pytest

import harness

TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def day(offset):
    """TODAY + offset (offset <= 0 for the past)."""
    return TODAY + datetime.timedelta(days=offset)


nng_req = harness.nng_call
_lib = harness.nng_lib
_Sock = harness.NngSocket


# one nng client for all tests: harness's, through libnng
Publisher = harness.Publisher


class Analyticsd:
    def __init__(self, db, logdir, reconcile=3600, extra_env=None,
                 valgrind=False):
        self.db = db
        self.logdir = logdir
        self.rundir = tempfile.mkdtemp(prefix="ad.", dir="/tmp")
        self.reconcile = reconcile
        self.extra_env = extra_env or {}
        self.valgrind = valgrind
        self.proc = None
        self.nstart = 0

    @property
    def ctl_url(self):
        return f"ipc://{self.rundir}/analyticsd.ctl"

    @property
    def events_url(self):
        return f"ipc://{self.rundir}/events"

    @property
    def updates_url(self):
        return f"ipc://{self.rundir}/analytics-events"

    def env(self):
        e = harness.clean_env(
            DATABASE_URL=self.db.daemon_url("_polaranalytics"),
            POLARFLOW_RUNDIR=self.rundir,
            POLARFLOW_ANALYTICS_RECONCILE_SECONDS=self.reconcile)
        e.update(self.extra_env)
        return e

    def start(self, args=("-v",), wait=True):
        self.nstart += 1
        self.proc = harness.Daemon(
            "polarflow-analyticsd", list(args), env=self.env(),
            logdir=f"{self.logdir}", valgrind=self.valgrind)
        # one log per start
        if wait:
            t = 60 if self.valgrind else 10
            harness.wait_until(lambda: self.call({"v": 1, "type": "status"})
                               is not None, timeout=t, what="control socket")
        return self

    def call(self, msg, timeout=5):
        return nng_req(self.ctl_url, msg, timeout=timeout)

    def status(self):
        return self.call({"v": 1, "type": "status"})

    def stop(self):
        rc = self.proc.stop(timeout=60 if self.valgrind else 15)
        return rc

    def running(self):
        return self.proc is not None and self.proc.running()

    def log(self):
        return self.proc.logtext()

    def cleanup(self):
        if self.proc is not None and self.proc.running():
            self.proc.proc.kill()
            self.proc.proc.wait()
        shutil.rmtree(self.rundir, ignore_errors=True)


@pytest.fixture
def analyticsd(migrated, tmp_path):
    made = []

    def make(**kw):
        a = Analyticsd(migrated, tmp_path, **kw)
        made.append(a)
        return a
    yield make
    for a in made:
        a.cleanup()


def data_changed(user, streams=("sleep",), first=None, last=None):
    return {"v": 1, "type": "data.changed", "user_id": user,
            "sync_id": "sync-1", "streams": list(streams),
            "first_day": str(first or day(-30)),
            "last_day": str(last or day(0))}


class Seeder:
    """Writes raw rows; values None are SQL NULL."""

    def __init__(self, db):
        self.db = db

    def _rows(self, sql, rows):
        import psycopg
        with psycopg.connect(self.db.url, autocommit=True) as c:
            with c.cursor() as cur:
                cur.executemany(sql, rows)

    def sleep(self, user, days_scores, total=None, start_hour=None):
        rows = []
        for d, score in days_scores:
            start = None
            if start_hour is not None:
                h = start_hour(d) if callable(start_hour) else start_hour
                start = (datetime.datetime.combine(
                    d - datetime.timedelta(days=1), datetime.time(0),
                    tzinfo=datetime.timezone.utc)
                    + datetime.timedelta(hours=h))
            tot = total(d) if callable(total) else total
            rows.append((user, d, score, tot, start))
        self._rows(
            "INSERT INTO sleep (user_id, date, sleep_score, "
            "total_sleep_seconds, sleep_start_time, "
            "sleep_start_offset_minutes) VALUES (%s, %s, %s, %s, %s, 0) "
            "ON CONFLICT (user_id, date) DO UPDATE SET "
            "sleep_score = excluded.sleep_score, updated_at = now()", rows)

    def recharge(self, user, rows):
        """rows: (day, hrv_avg, heart_rate_avg, ans_charge)"""
        self._rows(
            "INSERT INTO nightly_recharge (user_id, date, hrv_avg, "
            "heart_rate_avg, ans_charge) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (user_id, date) DO UPDATE SET "
            "hrv_avg = excluded.hrv_avg, heart_rate_avg = "
            "excluded.heart_rate_avg, ans_charge = excluded.ans_charge, "
            "updated_at = now()", [(user, *r) for r in rows])

    def activity(self, user, rows):
        """rows: (day, steps, calories_active)"""
        self._rows(
            "INSERT INTO activity (user_id, date, steps, calories_active) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (user_id, date) DO UPDATE "
            "SET steps = excluded.steps, updated_at = now()",
            [(user, *r) for r in rows])

    def cardio(self, user, rows):
        """rows: (day, cardio_load, cardio_load_ratio)"""
        self._rows(
            "INSERT INTO cardio_load (user_id, date, cardio_load, "
            "cardio_load_ratio) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (user_id, date) DO UPDATE SET "
            "cardio_load = excluded.cardio_load, cardio_load_ratio = "
            "excluded.cardio_load_ratio, updated_at = now()",
            [(user, *r) for r in rows])

    def continuous_hr(self, user, d, samples):
        """samples: [(seconds since midnight, bpm)]"""
        js = json.dumps([{"heart_rate": b, "sample_time":
                          "%02d:%02d:%02d" % (t // 3600, t // 60 % 60,
                                              t % 60)}
                         for t, b in samples])
        self._rows(
            "INSERT INTO continuous_heart_rate (user_id, date, "
            "sample_count, samples) VALUES (%s, %s, %s, %s::jsonb)",
            [(user, d, len(samples), js)])


@pytest.fixture
def seed(migrated):
    return Seeder(migrated)


def document(db, user, kind):
    v = db.scalar("SELECT payload FROM analytics_documents "
                  "WHERE user_id = %s AND kind = %s", (user, kind))
    return v


def baseline(db, user, metric):
    rows = db.query(
        "SELECT baseline_value, baseline_7d, baseline_30d, baseline_90d, "
        "std_dev, median_value, q1, q3, min_value, max_value, sample_count, "
        "status, data_start_date, data_end_date FROM user_baselines "
        "WHERE user_id = %s AND metric_name = %s", (user, metric))
    if not rows:
        return None
    keys = ("value", "b7", "b30", "b90", "sd", "median", "q1", "q3", "min",
            "max", "n", "status", "start", "end")
    return dict(zip(keys, rows[0]))


def pattern(db, user, name):
    rows = db.query(
        "SELECT significance, score, confidence, sample_count, details, "
        "metrics_involved, analysis_window_days FROM pattern_analyses "
        "WHERE user_id = %s AND pattern_name = %s", (user, name))
    if not rows:
        return None
    keys = ("significance", "score", "confidence", "n", "details",
            "metrics", "window")
    return dict(zip(keys, rows[0]))


def run_count(db, user):
    return db.scalar("SELECT run_count FROM analytics_state "
                     "WHERE user_id = %s", (user,)) or 0


def wait_runs(db, user, n, timeout=10):
    harness.wait_until(lambda: run_count(db, user) >= n, timeout=timeout,
                       what=f"{n} analytics runs for {user}")


UpdateListener = harness.EventListener
