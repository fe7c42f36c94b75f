"""polarflow-syncd under Polar faults, quota pressure, kill -9, SIGTERM,
a database that goes away, and the scheduler."""
import os
import re
import signal
import time

import pytest

from fx_syncd import *  # noqa: F401,F403
from fx_syncd import wait_for

STREAMS = ["sleep", "nightly_recharge", "activity", "activity_samples",
           "exercise", "cardio_load", "sleepwise_alertness",
           "sleepwise_bedtime", "continuous_heart_rate", "spo2", "ecg",
           "body_temperature", "skin_temperature", "physical_info"]


def counts(db, uid):
    return {s: db.scalar(f"SELECT count(*) FROM {s} WHERE user_id = %s",
                         (uid,)) for s in STREAMS}


def path_calls(sim, prefix):
    return sum(n for p, n in sim.stats()["by_path"].items()
               if p.split(" ", 1)[-1] == prefix)


def test_transient_5xx_and_timeouts_are_retried(syncd_factory, polarsim,
                                                migrated):
    sd = syncd_factory(extra={"sync_http_timeout_seconds": 2})
    uid = sd.authorize(0)
    polarsim.reset_stats()
    polarsim.fault("503:/v3/users/sleep:1:2")
    # a first sync reads a year of cardio load in one /period/days/365
    polarsim.fault("500:/v3/users/cardio-load/period/days/*:1:1")
    polarsim.fault("timeout:/v3/users/biosensing/ecg*::1")
    r = sd.sync(uid)
    assert r["status"] == "success", r
    assert path_calls(polarsim, "/v3/users/sleep") == 3
    assert path_calls(polarsim,
                      "/v3/users/cardio-load/period/days/365") == 2
    assert counts(migrated, uid)["ecg"] > 0
    assert r["api_calls"] >= 14


def test_persistent_failure_of_one_stream_is_partial(syncd, polarsim,
                                                     migrated):
    uid = syncd.authorize(0)
    polarsim.fault("500:/v3/users/nightly-recharge*")
    polarsim.fault("malformed:/v3/users/cardio-load*")
    polarsim.fault("truncated:/v3/users/biosensing/spo2*")
    r = syncd.sync(uid)
    assert r["status"] == "partial", r
    assert set(r["errors"]) == {"nightly_recharge", "cardio_load", "spo2"}
    assert "malformed" in r["errors"]["cardio_load"]
    c = counts(migrated, uid)
    for s in STREAMS:
        if s in r["errors"]:
            assert c[s] == 0, s
        else:
            assert c[s] > 0, s
    row = migrated.query("SELECT status, error_type, error_message, "
                         "error_details, stream_status FROM sync_logs")[0]
    assert row[0] == "partial" and row[1] == "api_error"
    assert "cardio_load" in row[2] and "nightly_recharge" in row[2]
    assert set(row[3]["errors"]) == set(r["errors"])
    assert row[4]["cardio_load"] == "failed" and row[4]["sleep"] == "ok"
    log = syncd.log()
    assert f"user {uid} stream cardio_load: malformed response" in log
    err = migrated.scalar("SELECT last_error FROM sync_cursors WHERE "
                          "user_id = %s AND stream = 'cardio_load'", (uid,))
    assert "malformed" in err
    # the faults gone, the next sync completes the missing streams
    polarsim.clear_faults()
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    assert all(v > 0 for v in counts(migrated, uid).values())


def test_odd_shapes_never_crash_or_write_wrong_values(syncd, polarsim,
                                                      migrated):
    uid = syncd.authorize(0)
    polarsim.fault("extra-fields")
    polarsim.fault("missing-fields")
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    assert syncd.daemon.running()
    # unknown keys are kept in raw
    assert migrated.scalar("SELECT count(*) FROM sleep WHERE user_id = %s "
                           "AND raw::text <> '{}'", (uid,)) > 0
    assert migrated.scalar("SELECT count(*) FROM exercise WHERE "
                           "user_id = %s", (uid,)) > 0


def test_one_bad_range_keeps_the_whole_deep_stream_out(syncd, polarsim,
                                                       migrated):
    # a first sync reads activity in 14 ranges; one malformed answer must
    # leave the stream (rows and cursor) untouched, the others commit
    uid = syncd.authorize(0)
    polarsim.fault("malformed:/v3/users/activities:1:1")
    r = syncd.sync(uid)
    assert r["status"] == "partial", r
    assert set(r["errors"]) == {"activity"}, r
    c = counts(migrated, uid)
    assert c["activity"] == 0
    assert c["activity_samples"] > 28
    assert migrated.scalar("SELECT covered_until FROM sync_cursors WHERE "
                           "user_id = %s AND stream = 'activity'",
                           (uid,)) is None
    # the next sync reads the whole history of that stream again
    polarsim.clear_faults()
    polarsim.reset_stats()
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    assert path_calls(polarsim, "/v3/users/activities") == 14
    assert counts(migrated, uid)["activity"] == c["activity_samples"]


def test_401_marks_user_for_reauthorisation(syncd, polarsim, migrated):
    uid = syncd.authorize(0)
    polarsim.call("POST", "/_sim/revoke", {"user": 0})
    r = syncd.sync(uid)
    assert r["status"] == "failed", r
    assert migrated.scalar("SELECT needs_reauth FROM users WHERE "
                           "user_id = %s", (uid,)) is True
    assert migrated.scalar("SELECT error_type FROM sync_logs") == \
        "token_invalid"
    # the rest of the user's requests were not sent after the 401
    assert r["api_calls"] < 14
    st = syncd.status()
    assert st["needs_reauth"] == [uid]
    # a manual trigger is refused with the reason, as the scheduler skips
    # the user: it would only spend calls on 401s
    polarsim.reset_stats()
    r = syncd.call({"type": "sync.trigger", "user_id": uid})
    assert r["ok"] is False and r["code"] == "denied", r
    assert "must authorise with Polar again" in r["error"]
    assert "Polar rejected the access token (401)" in r["error"]
    assert polarsim.stats()["total"] == 0
    assert migrated.scalar("SELECT count(*) FROM sync_logs") == 1
    # authorising again clears the flag
    syncd.authorize(0)
    assert syncd.status()["needs_reauth"] == []
    assert syncd.sync(uid)["status"] == "success"


def test_403_reports_missing_consent(syncd, polarsim, migrated):
    uid = syncd.authorize(1)
    polarsim.fault("403:/v3/users/sleep*")
    r = syncd.sync(uid)
    assert r["status"] == "partial", r
    assert "consent" in r["errors"]["sleep"]
    assert migrated.scalar("SELECT consent_missing FROM users") is True
    assert syncd.status()["consent_missing"] == [uid]
    assert migrated.scalar("SELECT error_type FROM sync_logs") == \
        "consent_missing"
    polarsim.clear_faults()
    assert syncd.sync(uid)["status"] == "success"
    assert migrated.scalar("SELECT consent_missing FROM users") is False


def test_429_backs_off_then_succeeds(syncd, polarsim, migrated):
    uid = syncd.authorize(0)
    polarsim.reset_stats()
    polarsim.fault("429-burst:/v3/users/nightly-recharge*:2")
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    assert path_calls(polarsim, "/v3/users/nightly-recharge") == 3
    # each 429 paused all requests (1 s, doubling while only 429s come
    # back; another stream's answer in between starts again at 1 s)
    pauses = re.findall(r"polar rate limit hit, pausing requests for (\d+) s",
                        syncd.log())
    assert len(pauses) == 2 and all(p in ("1", "2") for p in pauses), pauses
    assert syncd.status()["quota"]["rate_limited"] == 2
    assert "polar rate limit hit" in syncd.log()


def test_quota_budget_holds_syncs_back_instead_of_hitting_429(
        polarsim_factory, syncd_factory, migrated):
    sim = polarsim_factory("--users", "3", "--days", "40", "--seed", "3",
                           "--rate-limit-15m", "150")
    sd = syncd_factory(sim=sim, extra={"sync_enabled": "true",
                                       "sync_max_concurrency": 3})
    for u in range(3):
        sd.authorize(u)
    # one user's first sync reads a year of activity (14 + 14 ranges) and
    # is ~90 calls: the second must wait for the window, and nothing may be
    # answered 429
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM sync_logs WHERE status <> 'started'") >= 1,
        60, "first sync")
    wait_for(lambda: sd.status()["quota"]["waiting"] is True, 30,
             "the quota to hold the next sync back")
    st = sd.status()
    assert st["quota"]["usage_15m"] <= 150
    assert sim.stats()["by_status"].get("429", 0) == 0
    assert migrated.scalar("SELECT count(*) FROM sync_logs") == 1


def test_kill9_mid_sync_then_restart_loses_nothing(syncd_factory, polarsim,
                                                   migrated):
    sd = syncd_factory()
    uid = sd.authorize(0)
    polarsim.fault("slow:/v3/exercises/*:700")
    r = sd.call({"type": "sync.trigger", "user_id": uid})
    assert r["ok"], r
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM exercise") >= 2, 60, "some exercises")
    sd.kill9()
    # each stream is old-or-new: exercise rows are whole
    assert migrated.scalar("SELECT count(*) FROM exercise WHERE "
                           "samples IS NULL AND raw IS NULL") == 0
    assert migrated.scalar("SELECT status FROM sync_logs") == "started"
    polarsim.clear_faults()
    sd.start()
    assert migrated.scalar("SELECT status || ':' || error_type FROM "
                           "sync_logs") == "failed:interrupted"
    r = sd.sync(uid)
    assert r["status"] == "success", r
    c = counts(migrated, uid)
    assert all(v > 0 for v in c.values()), c
    tok = polarsim.call("POST", "/_sim/users/0/token",
                        {"register": True})["access_token"]
    import urllib.request
    import json as _json
    req = urllib.request.Request(polarsim.url + "/v3/exercises")
    req.add_header("Authorization", "Bearer " + tok)
    with urllib.request.urlopen(req) as resp:
        assert c["exercise"] == len(_json.loads(resp.read()))


def test_sigterm_mid_sync_exits_promptly(syncd_factory, polarsim, migrated):
    sd = syncd_factory()
    uid = sd.authorize(0)
    polarsim.fault("slow:/v3/exercises/*:3000")
    assert sd.call({"type": "sync.trigger", "user_id": uid})["ok"]
    wait_for(lambda: sd.status()["http"]["active"] > 0, 10, "transfers")
    rc = sd.stop()
    assert rc == 0, sd.log()[-4000:]
    # it abandoned the slow transfers instead of waiting for them
    row = migrated.query("SELECT status, error_message FROM sync_logs")[0]
    assert row[0] in ("failed", "partial") and "shutting down" in row[1]


def test_database_going_away_fails_cleanly_then_recovers(syncd, polarsim,
                                                         migrated):
    uid = syncd.authorize(0)
    polarsim.fault("slow:/v3/exercises/*:300")
    assert syncd.call({"type": "sync.trigger", "user_id": uid})["ok"]
    wait_for(lambda: migrated.scalar("SELECT count(*) FROM exercise") >= 1,
             60, "first exercise")
    migrated.execute("SELECT pg_terminate_backend(pid) FROM "
                     "pg_stat_activity WHERE application_name = "
                     "'polarflow-syncd'")
    wait_for(lambda: syncd.status()["in_flight"] == [], 60, "sync end")
    assert syncd.daemon.running()
    polarsim.clear_faults()
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    assert all(v > 0 for v in counts(migrated, uid).values())


def test_scheduler_syncs_everyone_and_survives_restart(syncd_factory,
                                                       polarsim, migrated):
    sd = syncd_factory(extra={"sync_enabled": "true"})
    uids = [sd.authorize(u) for u in range(3)]
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM sync_logs WHERE status = 'success'") == 3,
        120, "three scheduled syncs")
    rows = migrated.query("SELECT user_id, trigger FROM sync_logs")
    assert sorted(u for u, _ in rows) == sorted(uids)
    assert {t for _, t in rows} == {"scheduler"}
    due = migrated.query("SELECT next_due_at - last_finished_at FROM "
                         "sync_state")
    assert all(55 * 60 < d[0].total_seconds() <= 60 * 60 + 5 for d in due)
    # restart: the schedule is in the database, nobody is re-synced early
    sd.stop()
    sd.start()
    # Nothing to wait for: the test is that no sync starts.  3 s is many
    # scheduler turns, and the daemon would start an overdue sync at once.
    time.sleep(3)
    assert migrated.scalar("SELECT count(*) FROM sync_logs") == 3
    assert sd.status()["queue"] == 0
    # sync_on_startup runs everyone once with trigger "startup"
    sd.stop()
    sd.write_conf({"sync_enabled": "true", "sync_on_startup": "true"})
    sd.start()
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM sync_logs WHERE trigger = 'startup' AND "
        "status = 'success'") == 3, 120, "start-up syncs")


def test_most_stale_first(syncd_factory, polarsim, migrated):
    sd = syncd_factory(extra={"sync_enabled": "true",
                              "sync_max_concurrency": 1})
    sd.stop()
    # three users: never synced, synced long ago, synced recently
    for i, (u, last) in enumerate((("a1", None), ("b2", "5 days"),
                                   ("c3", "2 hours"))):
        migrated.execute("INSERT INTO users (user_id, access_token_enc, "
                         "last_synced_at) VALUES (%s, 'v1:bad', "
                         "now() - %s::interval)", (u, last))
    sd.start()
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM users WHERE needs_reauth") == 3, 30,
        "all three attempted")
    # undecryptable tokens are flagged, and never logged
    assert "v1:bad" not in sd.log()
    order = [ln.split("user ")[1].split(":")[0] for ln in
             sd.log().splitlines() if "cannot be decrypted" in ln]
    assert order == ["a1", "b2", "c3"], order


@pytest.mark.skipif(os.environ.get("SANITIZE") == "1",
                    reason="ASan binaries do not run under valgrind")
def test_valgrind_clean_full_sync(polarsim_factory, syncd_factory, migrated):
    sim = polarsim_factory("--users", "1", "--days", "30", "--seed", "9")
    sd = syncd_factory(sim=sim, start=False, valgrind=True)
    sd.start()
    uid = sd.authorize(0)
    r = sd.sync(uid, timeout=300)
    assert r["status"] == "success", r
    sim.fault("500:/v3/users/sleep*")
    sim.fault("malformed:/v3/users/cardio-load*")
    r = sd.sync(uid, timeout=300)
    assert r["status"] == "partial", r
    sd.daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in sd.log(), 60, "the reload")
    rc = sd.stop()
    assert rc == 0, sd.log()[-3000:]


def test_a_slow_user_does_not_stall_the_others(syncd, polarsim, migrated):
    slow = syncd.authorize(0)
    fast = syncd.authorize(1)
    tok = polarsim.call("POST", "/_sim/users/0/token",
                        {"register": True})["access_token"]
    import json as _json
    import urllib.request
    req = urllib.request.Request(polarsim.url + "/v3/exercises")
    req.add_header("Authorization", "Bearer " + tok)
    with urllib.request.urlopen(req) as resp:
        ids = [e["id"] for e in _json.loads(resp.read())]
    # 20 s per detail: the fast user's whole first sync (about 90 calls,
    # a few seconds under ASan) must finish well inside one of them
    for i in ids:
        polarsim.fault(f"slow:/v3/exercises/{i}:20000")
    assert syncd.call({"type": "sync.trigger", "user_id": slow})["ok"]
    wait_for(lambda: syncd.status()["http"]["active"] > 0, 10,
             "the slow user's transfers")
    r = syncd.sync(fast)
    assert r["status"] == "success", r
    # the fast user finished while the slow one is still in flight
    assert [j["user_id"] for j in syncd.status()["in_flight"]] == [slow]
    polarsim.clear_faults()
    wait_for(lambda: syncd.status()["in_flight"] == [], 120, "slow user")
