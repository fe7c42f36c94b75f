"""Polar's own RR intervals: an exercise synced with RR samples (sample
type 11) becomes an HRV session made by analyticsd after data.changed,
tagged with its sport; sessions of an older algorithm version are
analysed again by the recompute path (polarctl analytics recompute)."""
import pytest

import harness
from fx_analyticsd import analyticsd  # noqa: F401
from fx_syncd import *  # noqa: F401,F403
from fx_syncd import wait_for

ALGO = "SELECT max(algo_version) FROM hrv_sessions"


def rr_exercises(db, uid):
    return {r[0] for r in db.query(
        "SELECT 'polar:' || polar_exercise_id FROM exercise e, "
        "jsonb_array_elements(e.samples) s WHERE e.user_id = %s AND "
        "s->>'sample-type' = '11'", (uid,))}


def sessions(db, uid):
    return {r[0]: r[1:] for r in db.query(
        "SELECT recording_id, source, tags, algo_version, "
        "array_length(rr, 1), valid, metrics->>'rmssd' FROM hrv_sessions "
        "WHERE user_id = %s", (uid,))}


@pytest.fixture
def pair(analyticsd, syncd_factory):  # noqa: F811
    a = analyticsd().start()
    s = syncd_factory(extra={"rundir": a.rundir})
    return a, s


def test_exercise_with_rr_becomes_a_session(pair, migrated, polarsim):
    a, syncd = pair
    uid = syncd.authorize(1)
    polarsim.call("POST", "/_sim/users/1/exercise",
                  {"sport": "run", "intensity": "easy", "minutes": 20,
                   "rr": True})
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    want = rr_exercises(migrated, uid)
    assert want, "polarsim served no RR samples"
    wait_for(lambda: set(sessions(migrated, uid)) >= want, 120,
             "a session for every exercise with RR")
    got = sessions(migrated, uid)
    for rid in want:
        source, tags, algo, n, valid, rmssd = got[rid]
        assert source == "polar" and algo >= 1 and n >= 30
        assert tags and tags[0] in ("RUNNING", "CYCLING", "WALKING",
                                    "SWIMMING", "STRENGTH_TRAINING",
                                    "YOGA", "OTHER"), tags
        assert float(rmssd) > 0
    # the exercises' own sessions do not mark the user stale again
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM analytics_state WHERE user_id = %s AND "
        "data_changed_at <= analytics_run_at", (uid,)) == 1, 120,
        "the run done, the user not stale")

    # an older algorithm version is analysed again on recompute, posted
    # sessions included
    migrated.execute(
        "INSERT INTO hrv_sessions (user_id, recording_id, source, "
        "recorded_at, rr, nn, algo_version, metrics, compat, valid) "
        "SELECT user_id, 'posted-1', 'api', recorded_at, rr, nn, 0, "
        "'{}', '{}', true FROM hrv_sessions WHERE user_id = %s LIMIT 1",
        (uid,))
    migrated.execute("UPDATE hrv_sessions SET algo_version = 0, "
                     "metrics = '{}' WHERE user_id = %s", (uid,))
    rr = a.call({"v": 1, "type": "analytics.recompute", "user_id": uid})
    assert rr and rr.get("ok"), rr
    wait_for(lambda: migrated.scalar(
        "SELECT min(algo_version) FROM hrv_sessions WHERE user_id = %s",
        (uid,)) >= 1, 120, "sessions recomputed")
    assert migrated.scalar(
        "SELECT count(*) FROM hrv_sessions WHERE user_id = %s AND "
        "metrics = '{}'", (uid,)) == 0
    assert "HRV session" in a.log()
