"""polarflow-analyticsd life cycle: start-up, events, reconcile, control
socket, bad input, signals -- the real daemon against real PostgreSQL."""
import os
import re
import signal
import subprocess
import time

import pytest

import harness
from fx_analyticsd import (analyticsd, seed, day,  # noqa: F401
                           data_changed, baseline, run_count, wait_runs, UpdateListener,
                           Publisher,
                           document, Analyticsd, TODAY)


def fill(seed, user, n=30, hrv=50, start=-29):
    seed.sleep(user, [(day(start + i), 70 + i % 10) for i in range(n)],
               total=27000, start_hour=22.5)
    seed.recharge(user, [(day(start + i), hrv + i % 7, 55 + i % 3,
                          (i % 9) - 4) for i in range(n)])


def test_usage_and_config_check(db, tmp_path):
    exe = harness.binary("polarflow-analyticsd")
    p = harness.run([exe, "-x"], env=harness.clean_env())
    assert p.returncode == 1
    usage = p.stderr.strip().splitlines()[-1]
    assert usage == "usage: polarflow-analyticsd [-nv] [-f file]"
    # usage() is the SYNOPSIS of the man page, word for word
    page = subprocess.run(
        "mandoc -Tascii man/polarflow-analyticsd.8 | col -b", shell=True,
        cwd=harness.TOP, capture_output=True, text=True).stdout
    syn = page.split("SYNOPSIS")[1].split("DESCRIPTION")[0]
    assert "usage: " + " ".join(syn.split()) == usage
    p = harness.run([exe, "-n"], env=harness.clean_env(
        DATABASE_URL=db.url))
    assert p.returncode == 0 and "configuration OK" in p.stderr
    conf = tmp_path / "bad.conf"
    conf.write_text("analytics_reconcile_seconds = 1\n")
    p = harness.run([exe, "-n", "-f", str(conf)], env=harness.clean_env())
    assert p.returncode == 1
    assert "bad.conf:1" in p.stderr


def test_refuses_unmigrated_schema(db, tmp_path):
    a = Analyticsd(db, tmp_path)
    try:
        a.start(wait=False)
        a.proc.proc.wait(10)
        assert a.proc.proc.returncode != 0
        assert "polarctl db migrate" in a.log()
    finally:
        a.cleanup()


def test_event_updates_results(analyticsd, seed, migrated):
    a = analyticsd().start()
    listener = UpdateListener(a.updates_url)
    try:
        # Nothing but the event can trigger a run: the start-up reconcile
        # runs in the loop turn that first answered the status, so it is
        # over when a second status is answered; the next is an hour away.
        assert a.status()["ok"]
        assert run_count(migrated, "alice") == 0
        fill(seed, "alice")
        pub = Publisher(a.events_url)
        pub.send(data_changed("alice"))
        harness.wait_until(lambda: run_count(migrated, "alice") >= 1,
                           timeout=5, what="run after data.changed")
        b = baseline(migrated, "alice", "hrv_rmssd")
        assert b["status"] == "ready" and b["n"] == 30
        assert document(migrated, "alice", "insights")["status"] == "ready"
        harness.wait_until(lambda: any(
            e.get("type") == "analytics.updated" and
            e.get("user_id") == "alice" for e in listener.events()),
            timeout=3, what="analytics.updated event")
        ev = [e for e in listener.events() if e["type"] ==
              "analytics.updated"][0]
        assert ev["v"] == 1 and "computed_at" in ev
        pub.send(data_changed("alice"))
        wait_runs(migrated, "alice", 2, timeout=3)
        pub.close()
        st = a.status()
        assert st["ok"] and st["stale_users"] == 0
        assert st["events"]["accepted"] >= 1
    finally:
        listener.close()
    assert a.stop() == 0
    assert "terminating" in a.log()


def test_restart_recomputes_without_event(analyticsd, seed, migrated):
    a = analyticsd()
    a.start()
    fill(seed, "bob", n=10)
    # no event: the daemon is stopped before it would see anything
    assert a.stop() == 0
    assert run_count(migrated, "bob") == 0
    fill(seed, "bob", n=25, hrv=60)
    a.start()
    wait_runs(migrated, "bob", 1, timeout=5)
    b = baseline(migrated, "bob", "hrv_rmssd")
    assert b["n"] == 25 and b["status"] == "ready"
    st = a.status()
    assert st["stale_users"] == 0
    assert st["last_runs"][0]["user_id"] == "bob"
    assert st["last_runs"][0]["ok"] is True
    assert a.stop() == 0


def test_kill_mid_life_loses_nothing(analyticsd, seed, migrated):
    a = analyticsd().start()
    fill(seed, "carol", n=8)
    a.proc.proc.send_signal(signal.SIGKILL)
    a.proc.proc.wait()
    seed.recharge("carol", [(day(0), 99, 50, 1)])
    a.start()
    wait_runs(migrated, "carol", 1)
    assert baseline(migrated, "carol", "hrv_rmssd")["max"] == 99
    assert a.stop() == 0


def test_periodic_reconcile_and_day_change(analyticsd, seed, migrated):
    a = analyticsd(reconcile=5).start()
    fill(seed, "dave", n=10)
    wait_runs(migrated, "dave", 1, timeout=8)
    n = run_count(migrated, "dave")
    # Documents computed "yesterday" are refreshed by the reconcile.
    migrated.execute("UPDATE analytics_documents SET computed_at = "
                     "computed_at - interval '1 day' WHERE user_id = 'dave'")
    wait_runs(migrated, "dave", n + 1, timeout=8)
    assert migrated.scalar(
        "SELECT count(*) FROM analytics_documents WHERE user_id = 'dave' "
        "AND computed_at < now() - interval '1 hour'") == 0
    assert a.stop() == 0


def test_bad_events_never_crash(analyticsd, seed, migrated):
    a = analyticsd().start()
    bad = [
        "not json at all",
        "[1,2,3]",
        '{"v":2,"type":"data.changed","user_id":"x"}',
        '{"type":"data.changed","user_id":"x"}',
        '{"v":1,"type":"data.changed"}',
        '{"v":1,"type":"data.changed","user_id":"bad id; drop"}',
        '{"v":1,"type":"data.changed","user_id":7}',
        '{"v":1,"type":"data.changed","user_id":"x","streams":"sleep"}',
        '{"v":1,"type":"data.changed","user_id":"x","streams":[1]}',
        '{"v":1,"type":"data.changed","user_id":"x","first_day":"2026-13-45"}',
        '{"v":1,"type":"data.changed","user_id":"x",'
        '"first_day":"2026-02-02","last_day":"2026-01-01"}',
        '{"v":1,"type":"data.changed","user_id":"' + "a" * 101 + '"}',
        "",
    ]
    pub = Publisher(a.events_url)
    for m in bad:
        pub.send(m)
    harness.wait_until(lambda: a.status()["events"]["dropped"] ==
                       len(bad), timeout=5, what="all bad events dropped")
    assert a.running()
    st = a.status()
    assert st["events"]["accepted"] == 0
    assert "dropping malformed data.changed event" in a.log()
    # a valid event still works afterwards
    fill(seed, "erin", n=5)
    pub.send(data_changed("erin"))
    wait_runs(migrated, "erin", 1, timeout=5)
    pub.close()
    assert a.stop() == 0


def test_control_verbs(analyticsd, seed, migrated):
    a = analyticsd().start(args=())
    fill(seed, "fred", n=12)
    fill(seed, "gina", n=3)
    st = a.status()
    assert st["ok"] and st["type"] == "status"
    assert st["stale_users"] == 2 and st["queue"] == 0
    assert set(st) >= {"queue", "in_flight", "runs", "errors", "last_runs",
                       "events", "stale_users"}
    r = a.call({"v": 1, "type": "analytics.recompute", "user_id": "fred"})
    assert r["ok"] and r["queued"] == 1
    wait_runs(migrated, "fred", 1)
    r = a.call({"v": 1, "type": "analytics.recompute", "all": True})
    assert r["ok"] and r["queued"] == 2
    wait_runs(migrated, "gina", 1)
    wait_runs(migrated, "fred", 2)
    for bad in ({"v": 1, "type": "analytics.recompute"},
                {"v": 1, "type": "analytics.recompute", "user_id": 5},
                {"v": 1, "type": "analytics.recompute", "user_id": "a b"},
                {"v": 1, "type": "analytics.recompute", "all": "yes"},
                {"v": 1, "type": "no.such.verb"}):
        r = a.call(bad)
        assert r["ok"] is False and r["type"] == "error", bad
        assert r["code"] == "invalid"
    r = a.call({"v": 9, "type": "status"})
    assert r["ok"] is False and r["code"] == "version"
    r = a.call(b"\x00\xff garbage")
    assert r["ok"] is False and r["code"] == "proto"
    r = a.call(b"")
    assert r["ok"] is False
    # log.verbose turns on debug lines, log.brief turns them off
    assert "debug:" not in a.log()
    assert a.call({"v": 1, "type": "log.verbose"})["ok"]
    a.call({"v": 1, "type": "analytics.recompute", "user_id": "gina"})
    harness.wait_until(lambda: "debug: user gina recomputed" in a.log(),
                       what="debug line")
    assert a.call({"v": 1, "type": "log.brief"})["ok"]
    assert a.call({"v": 1, "type": "reload"})["ok"]
    a.proc.proc.send_signal(signal.SIGHUP)
    harness.wait_until(lambda: a.log().count("configuration reloaded") >= 2,
                       what="SIGHUP reload")
    st = a.status()
    assert st["runs"] >= 4 and st["errors"] == 0
    # the same verbs through polarctl
    env = harness.clean_env(DATABASE_URL=migrated.url,
                            POLARFLOW_RUNDIR=a.rundir)
    pc = harness.binary("polarctl")
    p = harness.run([pc, "-j", "show", "status", "analyticsd"], env=env)
    assert p.returncode == 0, p.stderr
    assert "stale_users" in p.stdout
    p = harness.run([pc, "analytics", "recompute", "fred"], env=env)
    assert p.returncode == 0 and "queued: 1" in p.stdout, p.stderr
    wait_runs(migrated, "fred", 3)
    assert a.stop() == 0


def test_sigterm_exits_promptly_while_busy(analyticsd, seed, migrated):
    a = analyticsd().start()
    for u in range(20):
        fill(seed, f"busy{u}", n=40)
    a.call({"v": 1, "type": "analytics.recompute", "all": True})
    assert a.stop() == 0
    # it stopped between runs, not after draining the queue of 20
    ran = migrated.scalar("SELECT count(*) FROM analytics_state WHERE "
                          "user_id LIKE 'busy%' AND run_count > 0")
    assert ran < 20, ran


@pytest.mark.skipif(os.environ.get("SANITIZE") == "1",
                    reason="valgrind cannot run an ASan binary")
def test_valgrind_clean(migrated, seed, tmp_path):
    """One full life under valgrind: start, reconcile, event, control
    verbs, bad input, SIGTERM; exit status 99 would mean a report."""
    a = Analyticsd(migrated, tmp_path, valgrind=True)
    try:
        fill(seed, "val", n=30)
        a.start()
        wait_runs(migrated, "val", 1, timeout=60)
        a.call({"v": 1, "type": "analytics.recompute", "user_id": "val"},
               timeout=20)
        a.call({"v": 1, "type": "frob"}, timeout=20)
        pub = Publisher(a.events_url)
        pub.send("garbage")
        pub.send(data_changed("val"))
        wait_runs(migrated, "val", 3, timeout=60)
        pub.close()
        rc = a.stop()
        assert rc == 0, a.log()
    finally:
        a.cleanup()
