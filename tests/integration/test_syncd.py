"""polarflow-syncd against polarsim and a real PostgreSQL: streams, values,
idempotence, incremental sync, events, control socket, OAuth."""
import json
import os
import signal
import urllib.request
from datetime import timedelta

import pytest

import harness
from fx_syncd import *  # noqa: F401,F403
from fx_syncd import EventListener, Syncd, wait_for

STREAMS = ["sleep", "nightly_recharge", "activity", "activity_samples",
           "exercise", "cardio_load", "sleepwise_alertness",
           "sleepwise_bedtime", "continuous_heart_rate", "spo2", "ecg",
           "body_temperature", "skin_temperature", "physical_info"]


def polar_get(sim, token, path):
    req = urllib.request.Request(sim.url + path)
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


def sim_token(sim, user=0):
    return sim.call("POST", f"/_sim/users/{user}/token",
                    {"register": True})["access_token"]


def rows_snapshot(db, uid):
    """Every stream row of uid minus updated_at, for idempotence checks."""
    out = {}
    for s in STREAMS:
        out[s] = db.query(
            f"SELECT (to_jsonb(t) - 'updated_at')::text FROM {s} t "
            f"WHERE user_id = %s ORDER BY 1", (uid,))
    return out


# ------------------------------------------------------------ streams --

def test_full_sync_lands_every_stream_with_right_values(syncd, migrated,
                                                        polarsim):
    uid = syncd.authorize(0)
    r = syncd.sync(uid)
    assert r["ok"] and r["status"] == "success", r
    for s in STREAMS:
        n = migrated.scalar(f"SELECT count(*) FROM {s} WHERE user_id = %s",
                            (uid,))
        assert n > 0, (s, r)
        assert r["records"][s] == n, (s, r)

    # Compare with what Polar (the simulator) serves, field by field.
    tok = sim_token(polarsim)
    nights = polar_get(polarsim, tok, "/v3/users/sleep")["nights"]
    n = nights[-1]
    row = migrated.query(
        "SELECT sleep_score, light_sleep_seconds, deep_sleep_seconds, "
        "rem_sleep_seconds, interruptions_seconds, continuity, "
        "sleep_goal_seconds, sleep_charge, sleep_rating, "
        "hypnogram, raw->>'polar_user', device_id, "
        "to_char(sleep_start_time AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS') FROM sleep "
        "WHERE user_id = %s AND date = %s", (uid, n["date"]))[0]
    assert row[0] == n["sleep_score"]
    assert row[1:5] == (n["light_sleep"], n["deep_sleep"], n["rem_sleep"],
                        n["total_interruption_duration"])
    assert abs(row[5] - n["continuity"]) < 1e-9
    assert row[6] == n["sleep_goal"]
    assert row[7] == (None if n["sleep_charge"] <= 0 else n["sleep_charge"])
    assert row[8] == (None if n["sleep_rating"] == 0 else n["sleep_rating"])
    # [time, stage] pairs in Polar's (time) order
    assert row[9] == [list(p) for p in n["hypnogram"].items()]
    assert row[10] == n["polar_user"]          # kept in raw
    assert row[11] == n["device_id"]

    ex = polar_get(polarsim, tok, "/v3/exercises")
    e = ex[0]
    row = migrated.query(
        "SELECT sport, calories, average_heart_rate, max_heart_rate, "
        "start_offset_minutes, jsonb_array_length(heart_rate_zones), "
        "raw->>'upload_time', has_route FROM exercise "
        "WHERE user_id = %s AND polar_exercise_id = %s", (uid, e["id"]))[0]
    assert row[0] == e["sport"]
    assert row[1] == e.get("calories")
    assert row[2] == e["heart_rate"]["average"]
    assert row[3] == e["heart_rate"]["maximum"]
    assert row[4] == e["start_time_utc_offset"]
    assert row[5] >= 1
    assert row[6] == e["upload_time"]
    assert row[7] == e["has_route"]
    assert migrated.scalar("SELECT count(*) FROM exercise WHERE user_id = %s",
                           (uid,)) == len(ex)

    cl = polar_get(polarsim, tok, "/v3/users/cardio-load")[-1]
    row = migrated.query("SELECT cardio_load, strain, load_very_high, "
                         "cardio_load_status FROM cardio_load WHERE "
                         "user_id = %s AND date = %s", (uid, cl["date"]))[0]
    assert row[0] == (None if cl["cardio_load"] == -1 else cl["cardio_load"])
    assert row[2] == cl["cardio_load_level"]["very_high"]
    assert row[3] == cl["cardio_load_status"]

    # sync log and cursors
    log = migrated.query("SELECT status, trigger, api_calls_made, "
                         "records_synced, rate_limit_usage_15m, "
                         "rate_limit_limit_15m, duration_ms FROM sync_logs "
                         "WHERE user_id = %s", (uid,))
    assert len(log) == 1
    st, trig, calls, recs, u15, l15, dur = log[0]
    assert (st, trig) == ("success", "manual")
    assert calls == r["api_calls"] and calls >= 14 + len(ex)
    assert recs == r["records"]
    assert u15 and l15 and dur is not None
    assert migrated.scalar("SELECT count(*) FROM sync_cursors WHERE "
                           "user_id = %s", (uid,)) == 14


def test_resync_is_idempotent_and_announces_nothing(syncd, migrated,
                                                    polarsim):
    uid = syncd.authorize(1)
    assert syncd.sync(uid)["status"] == "success"
    before = rows_snapshot(migrated, uid)
    ts = migrated.scalar("SELECT max(updated_at) FROM sleep")
    changed_at = migrated.scalar("SELECT data_changed_at FROM "
                                 "analytics_state WHERE user_id = %s", (uid,))
    ev = EventListener(syncd.events)
    try:
        r = syncd.sync(uid, days=28)       # re-read the whole window
        assert r["status"] == "success", r
        assert r["streams"] == [], r
        assert all(v == 0 for v in r["changed"].values()), r
        assert rows_snapshot(migrated, uid) == before
        assert migrated.scalar("SELECT max(updated_at) FROM sleep") > ts
        assert migrated.scalar("SELECT data_changed_at FROM analytics_state "
                               "WHERE user_id = %s", (uid,)) == changed_at
        # a sync with a change announces it; events arrive in order, so
        # one from the resync would be in the list before this one
        polarsim.call("POST", "/_sim/users/1/exercise",
                      {"sport": "run", "intensity": "easy", "minutes": 30})
        r = syncd.sync(uid)
        assert "exercise" in r["streams"], r
        wait_for(lambda: ev.events() != [], 10, "data.changed")
        assert [(e["type"], e["sync_id"]) for e in ev.events()] == [
            ("data.changed", r["sync_id"])]
    finally:
        ev.close()


def test_routine_sync_uses_at_most_a_third_of_the_calls(syncd, migrated,
                                                        polarsim):
    uid = syncd.authorize(0)
    full = syncd.sync(uid)
    assert full["status"] == "success"
    polarsim.reset_stats()
    routine = syncd.sync(uid)
    assert routine["status"] == "success", routine
    assert routine["api_calls"] * 3 <= full["api_calls"], (routine, full)
    # the simulator agrees with our count
    assert polarsim.stats()["total"] == routine["api_calls"]
    assert "exercise" in routine["records"]


def pattern_calls(sim, pattern):
    return sim.stats()["by_pattern"].get("GET " + pattern, 0)


def test_first_sync_reads_the_whole_history_polar_keeps(
        polarsim_factory, syncd_factory, migrated):
    # 200 days of history: activity and cardio load go back a year at
    # Polar (activity in ranges of at most 28 days), the rest only 28 days
    sim = polarsim_factory("--users", "1", "--days", "200", "--seed", "11")
    sd = syncd_factory(sim=sim)
    uid = sd.authorize(0)
    today = migrated.scalar("SELECT (now() AT TIME ZONE 'UTC')::date")
    ev = EventListener(sd.events)
    try:
        sim.reset_stats()
        first = sd.sync(uid)
        assert first["status"] == "success", first
        wait_for(lambda: any(e.get("type") == "data.changed"
                             for e in ev.events()), 10, "data.changed")
        e = [e for e in ev.events() if e.get("type") == "data.changed"][0]
    finally:
        ev.close()
    st = sim.stats()
    assert st["total"] == first["api_calls"], (st, first)
    assert st["by_status"].get("400", 0) == 0, st

    # daily activity and its samples: 365 days in 14 ranges of <= 28 days
    assert pattern_calls(sim, "/v3/users/activities") == 14, st
    assert pattern_calls(sim, "/v3/users/activities/samples") == 14, st
    tok = sim_token(sim)
    served = []
    for k in range(14):
        a = today - timedelta(days=364 - 28 * k)
        b = min(a + timedelta(days=27), today)
        served += polar_get(sim, tok, f"/v3/users/activities?from={a}&to={b}")
    assert len(served) > 150
    got = migrated.query("SELECT date::text FROM activity WHERE user_id = %s "
                         "ORDER BY 1", (uid,))
    assert [g[0] for g in got] == sorted(x["start_time"][:10] for x in served)
    assert migrated.scalar("SELECT count(*) FROM activity WHERE user_id = %s "
                           "AND date < %s", (uid, today - timedelta(days=28))) \
        > 100
    assert migrated.scalar("SELECT count(*) FROM activity_samples WHERE "
                           "user_id = %s", (uid,)) == len(served)

    # cardio load: one /period/days/365 request, one row per day served
    assert pattern_calls(sim, "/v3/users/cardio-load/period/days/{days}") == 1
    cl = polar_get(sim, tok, "/v3/users/cardio-load/period/days/365")
    assert len(cl) == 365
    rows = dict(migrated.query("SELECT date::text, cardio_load_status FROM "
                               "cardio_load WHERE user_id = %s", (uid,)))
    assert rows == {x["date"]: x["cardio_load_status"] for x in cl}
    assert migrated.scalar(
        "SELECT count(*) FROM cardio_load WHERE user_id = %s AND date < %s "
        "AND cardio_load_status <> 'LOAD_STATUS_NOT_AVAILABLE'",
        (uid, today - timedelta(days=28))) > 100
    # the 28-day streams stay within Polar's window
    assert migrated.scalar("SELECT min(date) FROM sleep WHERE user_id = %s",
                           (uid,)) >= today - timedelta(days=28)
    assert migrated.scalar("SELECT count(DISTINCT date) FROM "
                           "continuous_heart_rate WHERE user_id = %s",
                           (uid,)) <= 28

    # data.changed covers the deep history
    oldest = migrated.scalar("SELECT least((SELECT min(date) FROM activity), "
                             "(SELECT min(date) FROM cardio_load))")
    assert e["first_day"] == str(oldest), e
    assert e["last_day"] <= str(today)

    # a routine sync after it stays as cheap as ever: one call per stream
    sim.reset_stats()
    routine = sd.sync(uid)
    assert routine["status"] == "success", routine
    st = sim.stats()
    assert st["total"] == routine["api_calls"], (st, routine)
    assert routine["api_calls"] <= 18, st
    assert pattern_calls(sim, "/v3/users/activities") == 1
    assert pattern_calls(sim, "/v3/users/activities/samples") == 1
    assert pattern_calls(sim, "/v3/users/cardio-load/period/days/{days}") == 0
    assert pattern_calls(sim, "/v3/users/cardio-load/date") == 1
    # and sync_logs records the calls really made
    logged = [r[0] for r in migrated.query(
        "SELECT api_calls_made FROM sync_logs WHERE user_id = %s "
        "ORDER BY started_at", (uid,))]
    assert logged == [first["api_calls"], routine["api_calls"]]


def test_manual_sync_with_days_reads_that_far_back(
        polarsim_factory, syncd_factory, migrated):
    sim = polarsim_factory("--users", "1", "--days", "120", "--seed", "4")
    sd = syncd_factory(sim=sim, extra={"sync_days_lookback": 7})
    uid = sd.authorize(0)
    today = migrated.scalar("SELECT (now() AT TIME ZONE 'UTC')::date")
    # a sync_days_lookback below 28 days shortens the first sync
    sim.reset_stats()
    r = sd.sync(uid)
    assert r["status"] == "success", r
    assert sim.stats()["total"] == r["api_calls"]
    assert migrated.scalar("SELECT min(date) FROM activity WHERE "
                           "user_id = %s", (uid,)) >= today - timedelta(days=6)
    assert migrated.scalar("SELECT count(*) FROM cardio_load WHERE "
                           "user_id = %s", (uid,)) == 7
    # days=100: activity in 4 ranges, cardio load in one request, the
    # 28-day streams capped at 28 days of continuous heart rate
    sim.reset_stats()
    r = sd.sync(uid, days=100)
    assert r["status"] == "success", r
    st = sim.stats()
    assert st["total"] == r["api_calls"], st
    assert st["by_status"].get("400", 0) == 0, st
    assert pattern_calls(sim, "/v3/users/activities") == 4
    assert pattern_calls(sim, "/v3/users/continuous-heart-rate/{date}") == 28
    assert migrated.scalar("SELECT min(date) FROM activity WHERE "
                           "user_id = %s", (uid,)) == today - timedelta(days=99)
    assert migrated.scalar("SELECT count(*) FROM cardio_load WHERE "
                           "user_id = %s", (uid,)) == 100
    assert r["changed"]["activity"] >= 90, r


def test_new_data_is_synced_and_only_changed_streams_announced(
        syncd, migrated, polarsim):
    uid = syncd.authorize(0)
    assert syncd.sync(uid)["status"] == "success"
    n_ex = migrated.scalar("SELECT count(*) FROM exercise")
    ev = EventListener(syncd.events)
    try:
        polarsim.call("POST", "/_sim/users/0/exercise",
                      {"sport": "run", "intensity": "tempo", "minutes": 45})
        r = syncd.sync(uid)
        assert r["status"] == "success", r
        wait_for(lambda: any(e.get("type") == "data.changed"
                             for e in ev.events()), 10, "data.changed")
        e = [e for e in ev.events() if e.get("type") == "data.changed"][0]
    finally:
        ev.close()
    assert migrated.scalar("SELECT count(*) FROM exercise") == n_ex + 1
    assert e["v"] == 1 and e["user_id"] == uid
    assert e["sync_id"] == r["sync_id"]
    assert "exercise" in e["streams"]
    assert sorted(e["streams"]) == sorted(r["streams"])
    assert set(e["streams"]) == {k for k, v in r["changed"].items() if v}
    for quiet in ("spo2", "ecg", "physical_info", "sleepwise_bedtime"):
        assert quiet not in e["streams"], e
    assert e["first_day"] <= e["last_day"]
    today = migrated.scalar("SELECT (now() AT TIME ZONE 'UTC')::date")
    assert e["last_day"] <= str(today)


def test_spec_variant_gives_the_same_rows_as_live(polarsim_factory,
                                                  syncd_factory, migrated):
    # same seed, the two shapes of the fields Polar's documentation and its
    # live answers disagree on
    live = polarsim_factory("--users", "1", "--days", "40", "--seed", "5",
                            "--variant", "live")
    spec = polarsim_factory("--users", "1", "--days", "40", "--seed", "5",
                            "--variant", "spec")
    got = {}
    for name, sim in (("live", live), ("spec", spec)):
        sd = syncd_factory(sim=sim)
        uid = sd.authorize(0)
        r = sd.sync(uid)
        assert r["status"] == "success", (name, r)
        got[name] = {
            "spo2": migrated.query("SELECT test_time, blood_oxygen_percent "
                                   "FROM spo2 WHERE user_id = %s ORDER BY 1",
                                   (uid,)),
            "ecg": migrated.query("SELECT test_time FROM ecg WHERE "
                                  "user_id = %s ORDER BY 1", (uid,)),
            "cardio": migrated.query("SELECT date, load_very_high FROM "
                                     "cardio_load WHERE user_id = %s "
                                     "ORDER BY 1", (uid,)),
            "stamps": migrated.query("SELECT date, jsonb_typeof(raw->"
                                     "'inactivity_stamps') FROM "
                                     "activity_samples WHERE user_id = %s "
                                     "ORDER BY 1", (uid,)),
        }
        sd.stop()
        migrated.execute("DELETE FROM users")
        for s in STREAMS:
            migrated.execute(f"DELETE FROM {s}")
        migrated.execute("DELETE FROM sync_cursors")
        migrated.execute("DELETE FROM sync_state")
    assert got["live"] == got["spec"]
    assert any(v is not None for _, v in got["spec"]["cardio"])
    assert got["spec"]["spo2"], "no spo2 rows"


# ------------------------------------------------------- control, oauth --

def test_token_is_sealed_and_never_logged(syncd, migrated, polarsim):
    uid = syncd.authorize(2)
    enc = migrated.scalar("SELECT access_token_enc FROM users WHERE "
                          "user_id = %s", (uid,))
    assert enc.startswith("v1:")
    tok = sim_token(polarsim, 2)     # a second token of the same user
    assert tok not in enc
    assert migrated.scalar("SELECT registered_at IS NOT NULL AND "
                           "polar_member_id = user_id FROM users WHERE "
                           "user_id = %s", (uid,))
    assert syncd.sync(uid)["status"] == "success"
    log = syncd.log()
    assert "polarsim-secret" not in log
    for t in migrated.query("SELECT access_token_enc FROM users"):
        assert t[0] not in log
    # Re-authorising an already registered user: 409 is fine.
    assert syncd.authorize(2) == uid
    assert migrated.scalar("SELECT count(*) FROM users") == 1


def test_oauth_errors(syncd, migrated):
    r = syncd.call({"type": "oauth.exchange", "code": "deadbeef" * 4})
    assert r["ok"] is False and "invalid_grant" in r["error"], r
    r = syncd.call({"type": "oauth.exchange"})
    assert r["ok"] is False and r["code"] == "invalid"
    assert migrated.scalar("SELECT count(*) FROM users") == 0


def test_control_verbs(syncd, migrated, polarsim):
    st = syncd.status()
    assert st["ok"] and st["in_flight"] == [] and st["users"] == 0
    assert st["quota"]["known"] is False
    for bad, code in (({"type": "sync.trigger"}, "invalid"),
                      ({"type": "sync.trigger", "user_id": "x;y"}, "invalid"),
                      ({"type": "sync.trigger", "user_id": "nobody"},
                       "notfound"),
                      ({"type": "sync.trigger", "user_id": "a", "days": 0},
                       "invalid"),
                      ({"type": "sync.trigger", "user_id": "a",
                        "trigger": "evil"}, "invalid"),
                      ({"type": "no.such.verb"}, "invalid")):
        r = syncd.call(bad)
        assert r["ok"] is False and r["code"] == code, (bad, r)
    syncd.write_conf({"log_level": "warning"})
    assert syncd.call({"type": "reload"})["ok"]
    r = syncd.call({"type": "log.verbose"})
    assert r["ok"] and r["level"] == "debug"
    # log.brief goes back to the configured level, whatever it is
    r = syncd.call({"type": "log.brief"})
    assert r["ok"] and r["level"] == "warning"
    syncd.write_conf({})
    assert syncd.call({"type": "reload"})["ok"]
    # malformed requests get an error reply and never crash the daemon
    for junk in ("not json", "[1,2]", '{"v":99,"type":"status"}',
                 '{"v":1,"type":"sync.trigger","user_id":["x"]}'):
        r = harness.nng_call(syncd.ctl, junk, timeout=10)
        assert r is not None and r["ok"] is False, (junk, r)
    assert syncd.daemon.running()
    assert syncd.status()["ok"]

    # a second trigger while one runs is refused as already running
    uid = syncd.authorize(0)
    polarsim.fault("slow:/v3/exercises/*:1500")
    r = syncd.call({"type": "sync.trigger", "user_id": uid})
    assert r["ok"] and r["started"], r
    r2 = syncd.call({"type": "sync.trigger", "user_id": uid})
    assert r2["ok"] is False and r2["code"] == "busy", r2
    assert "already running" in r2["error"]
    st = syncd.status()
    assert [j["user_id"] for j in st["in_flight"]] == [uid]
    wait_for(lambda: syncd.status()["in_flight"] == [], 120, "sync end")
    st = syncd.status()
    assert st["quota"]["known"] and st["quota"]["left_15m"] > 0
    assert st["syncs_done"] == 1


def test_reload_and_sighup(syncd, migrated):
    assert syncd.status()["interval_minutes"] == 60
    syncd.write_conf({"sync_interval_minutes": 15})
    r = syncd.call({"type": "reload"})
    assert r["ok"], r
    assert syncd.status()["interval_minutes"] == 15
    syncd.write_conf({"sync_interval_minutes": 20})
    syncd.daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: syncd.status()["interval_minutes"] == 20, 10, "SIGHUP")
    # a broken file is refused and the old configuration kept
    with open(syncd.conf, "a") as f:
        f.write("no_such_key = 1\n")
    r = syncd.call({"type": "reload"})
    assert r["ok"] is False
    assert syncd.status()["interval_minutes"] == 20
    assert "keeping the old configuration" in syncd.log()


# A REQ client for another uid: prints the reply, or "null" on no answer.
OTHER_UID_CLIENT = """
import ctypes, json, sys
lib = ctypes.CDLL("libnng.so.1")
s = ctypes.c_uint32()
lib.nng_req0_open(ctypes.byref(s))
lib.nng_socket_set_ms(s, b"recv-timeout", 5000)
reply = None
if lib.nng_dial(s, sys.argv[1].encode(), None, 0) == 0:
    msg = json.dumps({"v": 1, "type": "status"}).encode()
    buf, size = ctypes.c_void_p(), ctypes.c_size_t()
    if (lib.nng_send(s, msg, len(msg), 0) == 0 and
            lib.nng_recv(s, ctypes.byref(buf), ctypes.byref(size), 1) == 0):
        reply = json.loads(ctypes.string_at(buf, size.value))
print(json.dumps(reply))
"""


def call_as(user, url):
    p = subprocess.run(["runuser", "-u", user, "--", "python3", "-c",
                        OTHER_UID_CLIENT, url], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_control_socket_answers_only_allowed_uids(syncd_factory):
    """The socket file is opened up to everyone here, so only the peer
    check stands between another uid and the verbs."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a client as other users")
    sd = syncd_factory(extra={"control_allow_users": "daemon, 4242"})
    os.chmod(sd.dir, 0o711)
    os.chmod(sd.rundir, 0o711)
    os.chmod(sd.ctl[len("ipc://"):], 0o666)
    r = call_as("nobody", sd.ctl)
    assert r and r["ok"] is False and r["code"] == "denied", r
    assert "refused a request" in sd.log()
    r = call_as("daemon", sd.ctl)
    assert r and r["ok"] is True and r["type"] == "status", r
    assert sd.status()["ok"]          # root
    # reload drops a user from the set
    sd.write_conf({"control_allow_users": "4242"})
    assert sd.call({"type": "reload"})["ok"]
    r = call_as("daemon", sd.ctl)
    assert r and r["code"] == "denied", r
    assert sd.daemon.running()


def test_refuses_to_start_without_key_or_on_old_schema(db, polarsim,
                                                       tmp_path):
    d = str(tmp_path)
    sd = Syncd(db, polarsim, d, {"encryption_key": ""})
    p = harness.run([harness.binary("polarflow-syncd"), "-f", sd.conf],
                    env=harness.clean_env())
    assert p.returncode != 0
    assert "encryption_key is not set" in p.stderr
    sd.write_conf({})
    p = harness.run([harness.binary("polarflow-syncd"), "-n", "-f", sd.conf],
                    env=harness.clean_env())
    assert p.returncode == 0, p.stderr
    # db is not migrated: refuse, naming the fix
    p = harness.run([harness.binary("polarflow-syncd"), "-f", sd.conf],
                    env=harness.clean_env())
    assert p.returncode != 0
    assert "polarctl db migrate" in p.stderr
    p = harness.run([harness.binary("polarflow-syncd"), "-x"],
                    env=harness.clean_env())
    assert p.returncode == 1
    assert "usage: polarflow-syncd [-nv] [-f file]" in p.stderr


def test_trigger_all_and_polarctl_sync_now(syncd, migrated, polarctl):
    uids = [syncd.authorize(u) for u in range(2)]
    r = syncd.call({"type": "sync.trigger", "all": True})
    assert r["ok"] and r["all"], r
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM sync_logs WHERE status = 'success'") == 2,
        120, "both users synced")
    assert {t[0] for t in migrated.query("SELECT trigger FROM sync_logs")} \
        == {"manual"}
    # polarctl's "sync now <user>" waits for the per-stream counts
    p = polarctl("-j", "sync", "now", uids[0],
                 env={"POLARFLOW_RUNDIR": syncd.rundir})
    assert p.returncode == 0, (p.stdout, p.stderr)
    doc = json.loads(p.stdout)
    assert doc["status"] == "success" and doc["records"]["sleep"] > 0
    p = polarctl("-j", "show", "status", "syncd",
                 env={"POLARFLOW_RUNDIR": syncd.rundir})
    doc = json.loads(p.stdout)
    assert doc["syncd"]["running"] is True
    assert doc["syncd"]["syncs_done"] == 3
