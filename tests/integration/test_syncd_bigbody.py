"""polarflow-syncd with big responses (issue 12 item 6): what polarsim
served is stored whole, and the control socket answers while a big stream
is being written."""
import json
import urllib.request

import psycopg

from fx_syncd import *  # noqa: F401,F403
from fx_syncd import wait_for

MB = 1024 * 1024


def polar_get(sim, path):
    token = sim.call("POST", "/_sim/users/0/token",
                     {"register": True})["access_token"]
    req = urllib.request.Request(sim.url + path)
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def grow_today(polarsim, mb):
    today = polarsim.call("GET", "/_sim/state")["today"]
    polarsim.patch(f"/v3/users/continuous-heart-rate/{today}",
                   grow={"key": "heart_rate_samples", "bytes": int(mb * MB)})
    return today


def test_big_bodies_are_stored_whole(syncd, polarsim, migrated):
    uid = syncd.authorize(0)
    today = grow_today(polarsim, 3)
    polarsim.patch("/v3/exercises/*", grow={"key": "samples",
                                            "bytes": 2 * MB})
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    served = polar_get(polarsim, f"/v3/users/continuous-heart-rate/{today}")
    assert len(json.dumps(served)) > 3 * MB
    samples, count = migrated.query(
        "SELECT samples, sample_count FROM continuous_heart_rate WHERE "
        "user_id = %s AND date = %s", (uid, today))[0]
    assert count == len(served["heart_rate_samples"]) > 0
    assert samples == served["heart_rate_samples"]
    ids = [i for (i,) in migrated.query(
        "SELECT polar_exercise_id FROM exercise WHERE user_id = %s",
        (uid,))]
    assert ids and r["records"]["exercise"] == len(ids)
    for i in ids:
        ex = polar_get(polarsim,
                       f"/v3/exercises/{i}?samples=true&zones=true"
                       "&route=true")
        got = migrated.scalar("SELECT samples FROM exercise WHERE "
                              "user_id = %s AND polar_exercise_id = %s",
                              (uid, i))
        assert got == ex["samples"], i
    # the same answers again change nothing
    r = syncd.sync(uid)
    assert r["status"] == "success" and r["changed"][
        "continuous_heart_rate"] == 0, r


def test_bad_samples_in_a_big_body_cost_only_their_record(syncd, polarsim,
                                                          migrated):
    uid = syncd.authorize(0)
    today = polarsim.call("GET", "/_sim/state")["today"]
    # a sample with U+0000 in a string of its own: the string goes
    polarsim.patch(f"/v3/users/continuous-heart-rate/{today}",
                   set={"heart_rate_samples": [
                       {"heart_rate": 61, "sample_time": "00:00:05",
                        "note": "a\u0000b"}]},
                   grow={"key": "heart_rate_samples", "bytes": 2 * MB})
    r = syncd.sync(uid)
    assert r["status"] == "partial", r
    assert any(d["field"] == "note" and "U+0000" in d["reason"]
               for d in r["dropped"]), r["dropped"]
    samples = migrated.scalar(
        "SELECT samples FROM continuous_heart_rate WHERE user_id = %s AND "
        "date = %s", (uid, today))
    assert len(samples) > 1000
    assert samples[0] == {"heart_rate": 61, "sample_time": "00:00:05"}
    # a bad sample skips that day alone, as in a small body
    polarsim.clear_patches()
    polarsim.patch(f"/v3/users/continuous-heart-rate/{today}",
                   set={"heart_rate_samples": [
                       {"heart_rate": "x", "sample_time": "00:00:05"}]},
                   grow={"key": "heart_rate_samples", "bytes": 2 * MB})
    r = syncd.sync(uid, days=3)
    assert r["status"] == "partial" and r["errors"] == {}, r
    assert any(d.get("skipped") and "bad sample" in d["reason"]
               for d in r["dropped"]), r["dropped"]
    assert r["records"]["continuous_heart_rate"] > 0


def test_status_answers_while_a_big_stream_is_written(syncd, polarsim,
                                                      migrated):
    uid = syncd.authorize(0)
    assert syncd.sync(uid)["status"] == "success"
    grow_today(polarsim, 3)
    # hold the write: the table is locked until the test lets it go
    hold = psycopg.connect(migrated.url)
    try:
        hold.execute("LOCK TABLE continuous_heart_rate IN EXCLUSIVE MODE")
        assert syncd.call({"type": "sync.trigger", "user_id": uid})["ok"]
        wait_for(lambda: migrated.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
            "'Lock' AND query LIKE '%%continuous_heart_rate%%' AND "
            "pid <> pg_backend_pid()") == 1, timeout=120,
            what="the big write waiting for the lock")
        # the write is stuck in PostgreSQL; the loop is not
        for _ in range(3):
            st = syncd.call({"type": "status"}, timeout=10)
            assert st is not None, syncd.log()
            assert st["worker"]["items"] == 1, st
            assert [j["user_id"] for j in st["in_flight"]] == [uid], st
    finally:
        hold.rollback()
        hold.close()
    wait_for(lambda: syncd.status()["in_flight"] == [], timeout=300,
             what="the sync to end")
    log = migrated.query("SELECT status FROM sync_logs WHERE user_id = %s "
                         "ORDER BY id DESC LIMIT 1", (uid,))[0]
    assert log[0] == "success"
    assert migrated.scalar(
        "SELECT max(sample_count) FROM continuous_heart_rate WHERE "
        "user_id = %s", (uid,)) > 10000
