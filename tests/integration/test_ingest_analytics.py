"""Apple Health pushes feeding the analytics, through real apid,
analyticsd and PostgreSQL: a push that stores steps, active energy,
resting HR, HRV or sleep marks its user and wakes analyticsd; Apple fills
the days Polar has no value for, the preferred source
(analytics_preferred_source) wins a day both have, every day says where
its inputs came from, and Apple's HRV (SDNN) stays apart from Polar's
RMSSD."""
import datetime as dt
import json

import harness
from fx_analyticsd import (Analyticsd, analyticsd, baseline,  # noqa: F401
                           day, run_count, seed)
from fx_apid import apid, users  # noqa: F401


def stamp(d, hh=8, off="+0000"):
    return f"{d.isoformat()} {hh:02d}:00:00 {off}"


def body(days):
    """An HAE body for the given days (date objects)."""
    steps, kcal, rhr, hrv, sleep = [], [], [], [], []
    for i, d in enumerate(days):
        # the Watch and the iPhone count the same steps: the larger wins
        steps += [{"date": stamp(d, 9), "qty": 1000 + i, "source": "iPhone"},
                  {"date": stamp(d, 15), "qty": 2000, "source": "iPhone"},
                  {"date": stamp(d, 9), "qty": 2500, "source":
                   "Apple Watch"}]
        kcal.append({"date": stamp(d, 12), "qty": 400 + i,
                     "source": "Apple Watch"})
        rhr.append({"date": stamp(d, 0), "qty": 55 + i,
                    "source": "Apple Watch"})
        hrv += [{"date": stamp(d, 3), "qty": 40 + i, "source": "Apple Watch"},
                {"date": stamp(d, 5), "qty": 50 + i, "source":
                 "Apple Watch"}]
        prev = d - dt.timedelta(days=1)
        sleep.append({"date": d.isoformat(), "totalSleep": 7 + i / 10,
                      "asleep": 0, "core": 4, "deep": 1, "rem": 2,
                      "sleepStart": f"{prev.isoformat()} 23:00:00 +0000",
                      "sleepEnd": f"{d.isoformat()} 06:30:00 +0000",
                      "inBed": 8, "source": "Apple Watch"})
    return json.dumps({"data": {"metrics": [
        {"name": "step_count", "units": "count", "data": steps},
        {"name": "active_energy", "units": "kcal", "data": kcal},
        {"name": "resting_heart_rate", "units": "count/min", "data": rhr},
        {"name": "heart_rate_variability", "units": "ms", "data": hrv},
        {"name": "sleep_analysis", "units": "hr", "data": sleep},
    ]}}).encode()


def push(a, key, b):
    r = a.post("/api/v1/ingest", key, bearer=True, data=b,
               headers={"Content-Type": "application/json"})
    assert r.status == 200, r.text
    return r.json()


def daily(db, user, metric):
    rows = db.query(
        "SELECT day, value, details FROM analytics_daily WHERE user_id = %s"
        " AND metric_name = %s ORDER BY day", (user, metric))
    return {r[0]: (r[1], r[2]) for r in rows}


def changed_at(db, user):
    return db.scalar("SELECT data_changed_at FROM analytics_state "
                     "WHERE user_id = %s", (user,))


def test_apple_push_feeds_analytics(apid, users, migrated, seed,  # noqa: F811
                                    tmp_path):
    db = migrated
    d3, d2, d1 = day(-3), day(-2), day(-1)
    # Polar has d2 only: steps 8000, nightly recharge resting HR 48
    seed.activity("alice", [(d2, 8000, 300)])
    seed.recharge("alice", [(d2, 60.0, 48.0, 3.0)])
    ad = Analyticsd(migrated, tmp_path)
    ad.rundir = apid.rundir         # apid wakes it over its socket
    ad.start()
    try:
        harness.wait_until(lambda: run_count(db, "alice") >= 1,
                           what="the start-up run for Polar data")
        n0 = run_count(db, "alice")

        # a push of analytics inputs: marked and woken (no reconcile)
        j = push(apid, users["alice"], body([d3, d2, d1]))
        assert j["metrics"]["step_count"]["accepted"] == 9
        harness.wait_until(lambda: run_count(db, "alice") > n0,
                           what="a run woken by the push")
        harness.wait_until(lambda: daily(db, "alice", "hrv_sdnn"),
                           what="hrv_sdnn rows")

        src = daily(db, "alice", "input_sources")
        # Polar preferred: d2 keeps Polar's steps and resting HR, Apple
        # fills the rest
        assert src[d2][1]["steps"] == "polar"
        assert src[d2][1]["resting_hr"] == "polar"
        assert src[d2][1]["sleep_total"] == "apple"
        assert src[d2][1]["active_calories"] == "polar"
        assert src[d3][1] == {"steps": "apple", "resting_hr": "apple",
                              "sleep_total": "apple",
                              "active_calories": "apple"}
        assert src[d3][0] == 4 and src[d2][0] == 1
        # steps: the larger source per day (iPhone 3000 + i, not 5500)
        b = baseline(db, "alice", "steps")
        assert b["n"] == 3 and b["max"] == 8000 and b["min"] == 3000
        b = baseline(db, "alice", "resting_hr")
        assert b["n"] == 3 and b["min"] == 48 and b["max"] == 57
        b = baseline(db, "alice", "active_calories")
        assert b["n"] == 3 and b["max"] == 402
        assert abs(b["min"] - 300) < 1e-9
        # HRV: SDNN by day in ms, apart from RMSSD (Polar's d2 only)
        sd = daily(db, "alice", "hrv_sdnn")
        assert abs(sd[d3][0] - 45) < 1e-9 and abs(sd[d1][0] - 47) < 1e-9
        assert sd[d1][1]["measure"] == "sdnn"
        assert abs(sd[d1][1]["mean_7d"] - 46) < 1e-9
        b = baseline(db, "alice", "hrv_rmssd")
        assert b["n"] == 1 and b["max"] == 60

        # the same body again changes nothing and marks nothing
        t0 = changed_at(db, "alice")
        j = push(apid, users["alice"], body([d3, d2, d1]))
        assert j.get("duplicate_payload") is True
        # new samples of a metric the analytics do not read: no mark
        j = push(apid, users["alice"], json.dumps({"data": {"metrics": [
            {"name": "heart_rate", "units": "count/min", "data": [
                {"date": stamp(d1, 10), "Min": 50, "Avg": 60, "Max": 70,
                 "source": "Apple Watch"}]}]}}).encode())
        assert j["metrics"]["heart_rate"]["accepted"] == 1
        assert changed_at(db, "alice") == t0
    finally:
        ad.stop()
        ad.cleanup()

    # Apple preferred: d2 takes Apple's values
    ad2 = Analyticsd(migrated, tmp_path, extra_env={
        "POLARFLOW_ANALYTICS_PREFERRED_SOURCE": "apple"})
    ad2.start()
    try:
        n1 = run_count(db, "alice")
        r = ad2.call({"v": 1, "type": "analytics.recompute",
                      "user_id": "alice", "full": True})
        assert r is not None, "analyticsd did not answer"
        harness.wait_until(lambda: run_count(db, "alice") > n1,
                           what="the recompute")
        src = daily(db, "alice", "input_sources")
        assert src[d2][1]["steps"] == "apple"
        assert src[d2][1]["resting_hr"] == "apple"
        b = baseline(db, "alice", "steps")
        assert b["max"] == 3002 and b["min"] == 3000
    finally:
        ad2.stop()
        ad2.cleanup()


def test_polar_only_user_has_no_apple_rows(migrated, users, seed,  # noqa: F811
                                           analyticsd):
    db = migrated
    seed.activity("bob", [(day(-2), 8000, 300), (day(-1), 9000, 310)])
    analyticsd().start()
    harness.wait_until(lambda: run_count(db, "bob") >= 1, what="a run")
    assert daily(db, "bob", "input_sources") == {}
    assert daily(db, "bob", "hrv_sdnn") == {}
