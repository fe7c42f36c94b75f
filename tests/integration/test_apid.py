"""polarflow-apid through real HTTP: kore + apid.so + PostgreSQL."""
import concurrent.futures
import json
import os
import re
import time

import harness
from fx_apid import MASTER, Apid, apid, make_key, users  # noqa: F401
from fx_syncd import (polarsim, polarsim_factory,  # noqa: F401
                      syncd_factory, wait_for)

U = "/api/v1/users"


def seed(db, user, days=10, base=0):
    """days of sleep/recharge/activity/cardio/HR rows ending today."""
    for i in range(days):
        d = f"current_date - {i}"
        db.execute(
            "INSERT INTO sleep (user_id, date, sleep_score, "
            "total_sleep_seconds, light_sleep_seconds, deep_sleep_seconds, "
            "rem_sleep_seconds, heart_rate_avg, hypnogram, "
            "heart_rate_samples) VALUES "
            f"(%s, {d}, %s, 27000, 14400, 5400, 7200, 55.5, "
            "'[[\"23:50\", 2], [\"00:00\", 1]]', "
            "'[[\"23:55\", 58], [\"00:05\", 0], [\"00:10\", 61]]')",
            (user, 70 + base + i))
        db.execute(
            "INSERT INTO nightly_recharge (user_id, date, hrv_avg, "
            f"ans_charge, heart_rate_avg) VALUES (%s, {d}, %s, 3.5, 52)",
            (user, 40.0 + base + i))
        db.execute(
            "INSERT INTO activity (user_id, date, steps, distance_meters, "
            "calories_active, calories_total, active_time_seconds, "
            f"activity_score) VALUES (%s, {d}, %s, 8123.456, 0, 2200, 5430,"
            " 80)", (user, 10000 + base + i))
        db.execute(
            "INSERT INTO cardio_load (user_id, date, cardio_load, strain, "
            "tolerance, cardio_load_ratio, cardio_load_status) VALUES "
            f"(%s, {d}, 100.456, 0, 90.1, 1.1149, 'PRODUCTIVE, ok')",
            (user,))
        db.execute(
            "INSERT INTO continuous_heart_rate (user_id, date, sample_count,"
            f" hr_min, hr_avg, hr_max, samples) VALUES (%s, {d}, 2, 50, 60,"
            " 70, '[{\"heart_rate\": 50, \"sample_time\": \"00:00:00\"}]')",
            (user,))


# ------------------------------------------------------------ basics ----

def test_health_headers_and_unknown_routes(apid):
    r = apid.get("/health")
    assert r.status == 200
    assert r.json() == {"status": "ok", "version": "0.1.0"}
    for h in ("x-content-type-options", "x-frame-options",
              "content-security-policy", "referrer-policy",
              "permissions-policy"):
        assert h in r.headers, h
    assert "strict-transport-security" not in r.headers
    r = apid.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["strict-transport-security"] == "max-age=15768000"
    r = apid.get("/nope")
    assert r.status == 404 and r.json() == {"status_code": 404,
                                            "detail": "Not Found"}
    r = apid.post("/health")
    assert r.status == 405 and r.json()["status_code"] == 405
    assert "x-frame-options" in r.headers


def test_oversize_body_is_refused(apid, users):
    r = apid.post(f"{U}/alice/sync/trigger", users["alice"],
                  data=b"x" * 100000)
    assert r.status == 413
    assert r.json()["status_code"] == 413


def test_ready_reports_each_part(apid):
    r = apid.get("/ready")
    doc = r.json()
    assert r.status == 200, doc
    assert doc["database"] == "ok" and doc["schema"]["ok"] is True
    assert doc["schema"]["current"] == doc["schema"]["required"] >= 4
    assert doc["syncd"] == "down"


# -------------------------------------------------------------- auth ----

def test_auth_errors_match_upstream(apid, users):
    r = apid.get(f"{U}/alice/sleep")
    assert (r.status, r.json()["detail"]) == (
        401, "Missing API key. Use X-API-Key header.")
    r = apid.get(f"{U}/alice/sleep", "pfk_" + "0" * 40)
    assert (r.status, r.json()["detail"]) == (401, "Invalid API key")
    r = apid.get(f"{U}/alice/sleep", users["bob"])
    assert (r.status, r.json()) == (401, {
        "status_code": 401, "detail": "API key not authorized for this user"})
    r = apid.get(f"{U}/alice/sleep", users["alice"], bearer=True)
    assert r.status == 200 and r.json() == []
    assert r.headers["x-ratelimit-limit"] == "1000"
    # master key: any user, no rate-limit headers
    r = apid.get(f"{U}/bob/sleep", MASTER)
    assert r.status == 200 and "x-ratelimit-limit" not in r.headers
    # service key: any user
    assert apid.get(f"{U}/bob/sleep", users["service"]).status == 200
    assert apid.get(f"{U}/alice/sleep", users["service"]).status == 200


def test_one_users_key_never_reads_another_user(apid, users, migrated):
    seed(migrated, "bob", days=3)
    doc = apid.get("/schema/openapi.json").json()
    checked = 0
    for path, ops in doc["paths"].items():
        if not path.startswith(U + "/{user_id}"):
            continue
        for method in ops:
            p = (path.replace("{user_id}", "bob")
                 .replace("{sleep_date}", "2026-01-02")
                 .replace("{target_date}", "2026-01-02")
                 .replace("{exercise_id}", "0" * 8 + "-0000-0000-0000-"
                          + "0" * 12)
                 .replace("{ecg_id}", "0" * 8 + "-0000-0000-0000-" + "0" * 12)
                 .replace("{metric_name}", "hrv_rmssd")
                 .replace("{value}", "40").replace("{pattern_name}",
                                                   "hrv_trend")
                 .replace("{metric}", "x").replace("{kind}", "x"))
            r = apid.request(method.upper(), p, users["alice"])
            assert r.status == 401, (method, p, r.status, r.body)
            assert b"bob" not in r.body or b"not authorized" in r.body
            checked += 1
    assert checked >= 45
    # and bob's own key still works (nothing was revoked on the way)
    assert len(apid.get(f"{U}/bob/sleep", users["bob"]).json()) == 3


# ------------------------------------------------------ rate limiting ---

def test_rate_limit_counts_down_then_429(apid, migrated, polarctl):
    polarctl("user", "add", "carol", check=True)
    key = make_key(migrated, polarctl, "carol", limit=5)
    seen = []
    for _ in range(5):
        r = apid.get(f"{U}/carol/sleep", key)
        assert r.status == 200
        seen.append(int(r.headers["x-ratelimit-remaining"]))
        reset = int(r.headers["x-ratelimit-reset"])
        assert r.headers["x-ratelimit-limit"] == "5"
    assert seen == [4, 3, 2, 1, 0]
    assert reset % 3600 == 0 and 0 < reset - time.time() <= 3600
    r = apid.get(f"{U}/carol/sleep", key)
    assert r.status == 429
    ra = int(r.headers["retry-after"])
    assert 1 <= ra <= 3600
    assert r.json() == {
        "status_code": 429,
        "detail": f"Rate limit exceeded. Retry after {ra} seconds.",
        "extra": {"Retry-After": str(ra)}}
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert "apid_ratelimit_rejections_total 1" in apid.metrics()


def test_rate_limit_is_exact_across_workers_and_instances(
        apid, migrated, polarctl, tmp_path):
    polarctl("user", "add", "dave", check=True)
    key = make_key(migrated, polarctl, "dave", limit=40)
    second = Apid(migrated, tmp_path)
    try:
        def hit(i):
            a = apid if i % 2 else second
            return a.get(f"{U}/dave/sleep", key).status
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            statuses = list(ex.map(hit, range(120)))
    finally:
        second.stop()
    assert statuses.count(200) == 40, statuses
    assert statuses.count(429) == 80
    assert migrated.scalar(
        "SELECT sum(requests) FROM api_rate_windows w JOIN api_keys k "
        "ON k.id = w.key_id WHERE k.user_id = 'dave'") == 40


# --------------------------------------------------------- validation ---

def test_validation_errors(apid, users):
    k = users["alice"]
    r = apid.get(f"{U}/alice/sleep?days=0", k)
    assert r.status == 400
    assert r.json() == {
        "status_code": 400,
        "detail": "Validation failed for GET /api/v1/users/alice/sleep?days=0",
        "extra": [{"message": "Input should be greater than or equal to 1",
                   "key": "days", "source": "query"}]}
    r = apid.get(f"{U}/alice/sleep?days=366", k)
    assert r.json()["extra"][0]["message"] == \
        "Input should be less than or equal to 365"
    r = apid.get(f"{U}/alice/sleepwise/alertness?days=31", k)
    assert r.status == 400
    assert apid.get(f"{U}/alice/sleepwise/alertness?days=30", k).status == 200
    r = apid.get(f"{U}/alice/sleep?days=abc", k)
    assert r.status == 400 and "valid integer" in r.json()["extra"][0][
        "message"]
    # impossible but well-formed date: 400, not 500
    for d in ("2026-02-30", "2026-13-45", "2026-1-01"):
        r = apid.get(f"{U}/alice/sleep/{d}", k)
        assert r.status == 400, d
        assert r.json()["extra"][0]["key"] == "sleep_date"
    assert apid.get(f"{U}/alice/sleep/2024-02-29", k).status == 200
    # user id format (master key: the scope check cannot answer first)
    r = apid.get(f"{U}/{'x' * 101}/sleep", MASTER)
    assert r.status == 400 and r.json()["extra"][0]["key"] == "user_id"
    r = apid.get(f"{U}/bad%20id/sleep", MASTER)
    assert r.status == 400
    # unknown query parameters are ignored
    assert apid.get(f"{U}/alice/sleep?foo=1&days=3&bar", k).status == 200
    # finite numbers only
    for v in ("nan", "inf", "1e999", "abc"):
        r = apid.get(f"{U}/alice/baselines/check/hrv_rmssd/{v}", k)
        assert (r.status, r.json()["detail"]) == (
            400, "Invalid value: must be a finite number"), v
    r = apid.get(f"{U}/alice/baselines/steps", k)
    assert r.status == 400
    r = apid.get(f"{U}/alice/patterns/nope", k)
    assert r.status == 400
    r = apid.get(f"{U}/alice/exercises/not-a-uuid", k)
    assert r.status == 400


# ------------------------------------------------------------- data -----

def test_sleep_and_activity_shapes(apid, users, migrated):
    seed(migrated, "alice", days=10)
    seed(migrated, "bob", days=10, base=5)
    k = users["alice"]
    rows = apid.get(f"{U}/alice/sleep", k).json()
    assert len(rows) == 8                       # days=7 -> 8 calendar days
    assert rows[0]["sleep_score"] == 70          # newest first
    assert rows[1]["sleep_score"] == 71
    assert rows[0]["total_sleep_hours"] == 7.5
    assert rows[0]["deep_sleep_hours"] == 1.5
    assert rows[0]["heart_rate_avg"] == 55.5
    assert set(rows[0]) == {"date", "sleep_score", "total_sleep_hours",
                            "light_sleep_hours", "deep_sleep_hours",
                            "rem_sleep_hours", "hrv_avg", "heart_rate_avg",
                            "breathing_rate_avg", "skin_temperature_avg"}
    assert len(apid.get(f"{U}/alice/sleep?days=2", k).json()) == 3
    day = rows[0]["date"]
    one = apid.get(f"{U}/alice/sleep/{day}", k).json()
    assert one["date"] == day
    # series are stored as [time, value] pairs and answered as upstream's
    # time -> value objects, in time order across midnight
    assert list(one["hypnogram"].items()) == [("23:50", 2), ("00:00", 1)]
    assert list(one["heart_rate_samples"].items()) == [
        ("23:55", 58), ("00:05", 0), ("00:10", 61)]
    assert apid.get(f"{U}/alice/sleep/2001-01-01", k).json() is None

    act = apid.get(f"{U}/alice/activity", k).json()
    assert len(act) == 10
    assert act[0]["distance_km"] == 8.12 and act[0]["active_minutes"] == 90.5
    assert act[0]["steps"] == 10000
    r = apid.get(f"{U}/alice/activity/2001-01-01", k)
    assert (r.status, r.json()["detail"]) == (
        404, "No activity data for 2001-01-01")
    a1 = apid.get(f"{U}/alice/activity/{day}", k).json()
    assert a1["distance_meters"] == 8123.456

    cl = apid.get(f"{U}/alice/cardio-load", k).json()
    assert cl[0]["strain"] is None and cl[0]["cardio_load"] == 100.46
    assert cl[0]["cardio_load_ratio"] == 1.11
    rc = apid.get(f"{U}/alice/recharge", k).json()
    assert rc[0]["hrv_avg"] == 40.0 and rc[0]["ans_charge"] == 3.5

    hr = apid.get(f"{U}/alice/heart-rate/{day}/samples", k).json()
    assert hr["samples"] == [{"heart_rate": 50, "sample_time": "00:00:00"}]
    r = apid.get(f"{U}/alice/heart-rate/2001-01-01/samples", k)
    assert r.json()["detail"] == "No heart rate data for 2001-01-01"

    s = apid.get(f"{U}/alice/export/summary?days=4", k).json()
    assert s["record_counts"] == {"sleep": 5, "activity": 5, "recharge": 5,
                                  "cardio_load": 5, "heart_rate": 5,
                                  "exercises": 0}
    assert s["total_records"] == 25 and s["days"] == 4


def test_exercises_and_biosensing(apid, users, migrated):
    migrated.execute(
        "INSERT INTO exercise (user_id, polar_exercise_id, id, start_time,"
        " duration_seconds, sport, distance_meters, calories, samples, route,"
        " heart_rate_zones) VALUES ('alice', 'p1', "
        "'11111111-2222-3333-4444-555555555555', now() - interval '1 day',"
        " 3723, 'RUNNING', 10234.5, 600, '[{\"sample_type\": 0}]', NULL,"
        " '[{\"index\": 1}]')")
    migrated.execute(
        "INSERT INTO ecg (user_id, test_time, id, avg_heart_rate, "
        "sample_count, samples) VALUES ('alice', now(), "
        "'21111111-2222-3333-4444-555555555555', 61, 2, "
        "'[{\"time_ms\": 0, \"amplitude_mv\": 0.1}]')")
    migrated.execute(
        "INSERT INTO skin_temperature (user_id, sleep_date, "
        "temperature_celsius, is_elevated) VALUES ('alice', current_date, "
        "33.1, true)")
    k = users["alice"]
    ex = apid.get(f"{U}/alice/exercises", k).json()
    assert len(ex) == 1
    assert ex[0]["duration_minutes"] == 62.1 and ex[0]["distance_km"] == 10.23
    eid = ex[0]["id"]
    d = apid.get(f"{U}/alice/exercises/{eid}", k).json()
    assert d["has_samples"] is True and d["has_route_data"] is False
    assert d["heart_rate_zones"] == [{"index": 1}]
    s = apid.get(f"{U}/alice/exercises/{eid}/samples", k).json()
    assert s["samples"] == [{"sample_type": 0}] and s["exercise_id"] == eid
    r = apid.get(f"{U}/alice/exercises/{eid}/route", k)
    assert (r.status, r.json()["detail"]) == (
        404, f"Exercise {eid} has no route data")
    # bob cannot see alice's exercise even with its id (service key)
    r = apid.get(f"{U}/bob/exercises/{eid}", users["service"])
    assert r.status == 404
    ecg = apid.get(f"{U}/alice/ecg", k).json()
    assert ecg[0]["has_samples"] is True
    e1 = apid.get(f"{U}/alice/ecg/{ecg[0]['id']}", k).json()
    assert e1["samples"] == [{"time_ms": 0, "amplitude_mv": 0.1}]
    sk = apid.get(f"{U}/alice/temperature/skin", k).json()
    assert sk == [{"sleep_date": sk[0]["sleep_date"],
                   "temperature_celsius": 33.1,
                   "deviation_from_baseline": None, "is_elevated": 1}]
    assert apid.get(f"{U}/alice/physical-info", k).json() is None


def test_csv_exports(apid, users, migrated):
    seed(migrated, "alice", days=3)
    r = apid.get(f"{U}/alice/export/cardio-load.csv?days=2", users["alice"])
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == \
        "attachment; filename=cardio_load_2days.csv"
    lines = r.text.split("\r\n")
    assert lines[0] == "date,strain,tolerance,cardio_load,load_ratio,status"
    assert lines[-1] == "" and len(lines) == 5
    # ascending; strain 0 -> empty; quoted status with a comma
    f = lines[1].split(",", 5)
    assert f[1:5] == ["", "90.1", "100.456", "1.11"]
    assert f[5] == '"PRODUCTIVE, ok"'
    assert lines[1] < lines[3]
    r = apid.get(f"{U}/alice/export/sleep.csv", users["alice"])
    lines = r.text.split("\r\n")
    assert lines[0] == ("date,sleep_score,total_hours,deep_hours,"
                        "light_hours,rem_hours,hrv_avg,heart_rate_avg,"
                        "breathing_rate_avg")
    # Python's csv writes round(4.0, 2) as 4.0
    assert lines[1].split(",")[1:6] == ["72", "7.5", "1.5", "4.0", "2.0"]
    r = apid.get(f"{U}/alice/export/activity.csv", users["alice"])
    assert r.text.split("\r\n")[1].split(",")[2] == ""   # calories 0
    r = apid.get(f"{U}/alice/export/recharge.csv", users["alice"])
    assert r.text.startswith(
        "date,hrv_avg,ans_charge,status,breathing_rate,heart_rate_avg\r\n")


# ---------------------------------------------------------- analytics ---

def test_baselines_anomalies_patterns_insights(apid, users, migrated):
    seed(migrated, "alice", days=3)
    # rows as analyticsd writes them, bounds included (q +- 1.5 / 3 IQR)
    migrated.execute(
        "INSERT INTO user_baselines (user_id, metric_name, baseline_value,"
        " baseline_7d, median_value, q1, q3, sample_count, status, iqr,"
        " lower_bound, upper_bound, critical_lower_bound,"
        " critical_upper_bound) VALUES "
        "('alice', 'hrv_rmssd', 60, 61, 60, 55, 65, 30, 'ready', 10, 40, 80,"
        " 25, 95),"
        "('alice', 'sleep_score', 71, 71, 71, 69, 73, 30, 'ready', 4, 63, 79,"
        " 57, 85)")
    migrated.execute(
        "INSERT INTO pattern_analyses (user_id, pattern_type, pattern_name,"
        " score, significance, details) VALUES ('alice', 'trend', "
        "'hrv_trend', -12.5, 'high', '{\"direction\": \"declining\"}')")
    k = users["alice"]
    bl = apid.get(f"{U}/alice/baselines", k).json()
    assert [b["metric_name"] for b in bl] == ["hrv_rmssd", "sleep_score"]
    assert bl[0]["iqr"] == 10 and bl[0]["lower_bound"] == 40
    assert bl[0]["upper_bound"] == 80 and bl[0]["median"] == 60
    one = apid.get(f"{U}/alice/baselines/hrv_rmssd", k).json()
    assert one["q3"] == 65
    assert apid.get(f"{U}/alice/baselines/resting_hr", k).json() is None
    c = apid.get(f"{U}/alice/baselines/check/hrv_rmssd/50", k).json()
    assert c["is_anomaly"] is False and c["severity"] is None
    c = apid.get(f"{U}/alice/baselines/check/hrv_rmssd/39.5", k).json()
    assert (c["is_anomaly"], c["severity"]) == (True, "warning")
    c = apid.get(f"{U}/alice/baselines/check/hrv_rmssd/24", k).json()
    assert c["severity"] == "critical" and c["baseline"] == 60
    c = apid.get(f"{U}/alice/baselines/check/resting_hr/24", k).json()
    assert c == {"is_anomaly": False, "reason": "No baseline data available",
                 "status": "insufficient"}
    # anomalies and status are analyticsd's documents; none computed yet
    an = apid.get(f"{U}/alice/anomalies", k).json()
    assert an == {"user_id": "alice", "anomaly_count": 0, "anomalies": []}
    migrated.execute(
        "INSERT INTO analytics_documents (user_id, kind, payload) VALUES "
        "('alice', 'anomalies', '{\"user_id\": \"alice\", \"anomaly_count\":"
        " 1, \"anomalies\": [{\"metric_name\": \"hrv_rmssd\", "
        "\"current_value\": 30.0, \"baseline_value\": 60.0, \"median_value\":"
        " 60.0, \"lower_bound\": 40.0, \"upper_bound\": 80.0, \"direction\":"
        " \"below\", \"severity\": \"warning\", \"deviation_percent\":"
        " -50.0}]}')")
    # the cached answer goes as soon as the change notification arrives
    harness.wait_until(lambda: apid.get(f"{U}/alice/anomalies", k).json()[
        "anomaly_count"] == 1, timeout=2, what="cache invalidation")
    r = apid.get(f"{U}/alice/anomalies", k)
    assert r.text == (
        '{"user_id":"alice","anomaly_count":1,"anomalies":[{"metric_name":'
        '"hrv_rmssd","current_value":30.0,"baseline_value":60.0,'
        '"median_value":60.0,"lower_bound":40.0,"upper_bound":80.0,'
        '"direction":"below","severity":"warning","deviation_percent":'
        '-50.0}]}')
    pats = apid.get(f"{U}/alice/patterns", k).json()
    assert pats[0]["pattern_name"] == "hrv_trend"
    assert apid.get(f"{U}/alice/patterns/hrv_trend", k).json()["score"] == \
        -12.5
    r = apid.get(f"{U}/alice/patterns/sleep_trend", k)
    assert (r.status, r.json()["detail"]) == (
        404, "Pattern 'sleep_trend' not found for user")
    r = apid.get(f"{U}/alice/analytics/status", k)
    assert (r.status, r.json()["detail"]) == (
        404, "No status document for user alice")   # analyticsd never ran
    migrated.execute(
        "INSERT INTO analytics_documents (user_id, kind, payload) VALUES "
        "('alice', 'status', '{\"user_id\": \"alice\", \"data_days\": "
        "{\"sleep\": 3, \"recharge\": 3, \"activity\": 3, \"cardio_load\":"
        " 3}, \"min_data_days\": 3, \"unlock_progress\": {\"trend_analysis\":"
        " {\"unlocked\": false, \"days_required\": 14, \"days_remaining\":"
        " 11, \"progress_percent\": 21.4}, \"basic_stats\": {\"unlocked\":"
        " false, \"days_required\": 7, \"days_remaining\": 4,"
        " \"progress_percent\": 42.9}}, \"recommendations\": [\"Keep "
        "syncing! 4 more days until basic statistics unlock.\"]}')")
    harness.wait_until(lambda: apid.get(
        f"{U}/alice/analytics/status", k).status == 200, timeout=2,
        what="cache invalidation")
    st = apid.get(f"{U}/alice/analytics/status", k).json()
    assert st["data_days"] == {"sleep": 3, "recharge": 3, "activity": 3,
                               "cardio_load": 3}
    # features in the order they unlock, whatever the stored order
    assert list(st["unlock_progress"]) == ["basic_stats", "trend_analysis"]
    assert st["features_available"] == {"basic_stats": False,
                                        "trend_analysis": False}
    assert st["unlock_progress"]["basic_stats"] == {
        "unlocked": False, "days_required": 7, "days_remaining": 4,
        "progress_percent": 42.9}
    assert st["recommendations"] == [
        "Keep syncing! 4 more days until basic statistics unlock."]
    ins = apid.get(f"{U}/alice/insights", k).json()
    assert ins["status"] == "unavailable" and ins["user_id"] == "alice"
    migrated.execute(
        "INSERT INTO analytics_documents (user_id, kind, payload) VALUES "
        "('alice', 'insights', '{\"user_id\": \"alice\", \"status\": "
        "\"ready\"}')")
    # the cached "unavailable" goes when PostgreSQL's notification lands:
    # milliseconds after the commit, not necessarily before the next read
    harness.wait_until(lambda: apid.get(f"{U}/alice/insights", k).json()[
        "status"] == "ready", timeout=2, what="cache invalidation")
    migrated.execute(
        "INSERT INTO analytics_daily (user_id, metric_name, day, value) "
        "VALUES ('alice', 'sleep_debt', current_date, 1.5)")
    d = apid.get(f"{U}/alice/analytics/daily/sleep_debt", k).json()
    assert len(d) == 1 and d[0]["value"] == 1.5


def test_recompute_and_sync_need_their_daemons(apid, users):
    # "not running" is the refused dial, answered at once; a call that
    # waited for its timeout would say "did not answer in time"
    r = apid.post(f"{U}/alice/sync/trigger", users["alice"])
    assert (r.status, r.json()["detail"]) == (503, "Sync service "
        "(polarflow-syncd) is not running; sync cannot be triggered now")
    r = apid.post(f"{U}/alice/baselines/calculate", users["alice"])
    assert (r.status, r.json()["detail"]) == (503, "Analytics service "
        "(polarflow-analyticsd) is not running; try again later")
    r = apid.post(f"{U}/nobody/sync/trigger", MASTER)
    assert (r.status, r.json()["detail"]) == (404, "User nobody not found")


def test_sync_trigger_goes_through_the_real_syncd(apid, migrated, polarctl,
                                                  syncd_factory, polarsim):
    sd = syncd_factory(extra={"rundir": apid.rundir})
    uid = sd.authorize(0)
    key = make_key(migrated, polarctl, uid)
    assert apid.get("/ready").json()["syncd"] == "ok"
    # slow Polar down so the first sync is still running for the second call
    polarsim.fault("slow:/v3/exercises/*:1500")
    async_ = {"Prefer": "respond-async"}
    r = apid.post(f"{U}/{uid}/sync/trigger?days=5", key, headers=async_)
    assert r.status == 202, r.text
    assert r.json()["status"] == "started" and r.json()["user_id"] == uid
    hdrs = {h.lower(): v for h, v in r.headers.items()}
    assert hdrs["preference-applied"] == "respond-async"
    loc = hdrs["location"]
    assert loc == f"{U}/{uid}/sync/status"
    st = apid.get(loc, key).json()
    assert st["status"] == "started" and st["trigger"] == "api", st
    started = st["sync_id"]
    r = apid.post(f"{U}/{uid}/sync/trigger", key)
    assert (r.status, r.json()["detail"]) == (
        409, "A sync is already running for this user")
    # the refusal did not wait for the running sync
    assert [j["user_id"] for j in sd.status()["in_flight"]] == [uid]
    assert apid.post(f"{U}/{uid}/sync/trigger?days=0", key).status == 400
    wait_for(lambda: apid.get(loc, key).json()["status"] != "started", 120,
             "sync end, polled at the 202's Location")
    st = apid.get(loc, key).json()
    assert st["sync_id"] == started and st["status"] == "success", st
    assert st["completed_at"] and st["records_synced"]["sleep"] >= 0
    assert apid.get(f"{U}/nobody/sync/status", MASTER).status == 404
    wait_for(lambda: sd.status()["in_flight"] == [], 120, "sync end")
    polarsim.clear_faults()
    # upstream's way: the answer waits for the sync and carries its counts;
    # meanwhile the worker serves other requests (the wait is a kore task)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        fut = ex.submit(apid.post, f"{U}/{uid}/sync/trigger?days=3", key,
                        timeout=120)
        wait_for(lambda: sd.status()["in_flight"] != [] or fut.done(), 30,
                 "second sync")
        for _ in range(8):
            assert apid.get("/health").status == 200
        r = fut.result()
    assert r.status == 200, r.text
    doc = r.json()
    assert doc["status"] == "success" and doc["user_id"] == uid
    assert doc["errors"] is None
    assert list(doc["records"]) == [
        "sleep", "recharge", "activity", "exercises", "cardio_load",
        "sleepwise_alertness", "sleepwise_bedtime", "activity_samples",
        "continuous_hr", "spo2", "ecg", "body_temperature",
        "skin_temperature", "physical_info"]
    assert doc["total_records"] == sum(doc["records"].values()) > 0
    assert doc["records"]["sleep"] > 0 and doc["api_calls"] > 0
    log = migrated.query("SELECT trigger, days_requested, status FROM "
                         "sync_logs WHERE user_id = %s ORDER BY id", (uid,))
    assert log == [("api", 5, "success"), ("api", 3, "success")], log
    assert migrated.query("SELECT count(*) FROM sleep WHERE user_id = %s",
                          (uid,))[0][0] > 0
    # a user syncd has no Polar token for is a 404 from syncd, passed on
    polarctl("user", "add", "tokenless", check=True)
    r = apid.post(f"{U}/tokenless/sync/trigger", MASTER)
    assert r.status == 404 and "no Polar token" in r.json()["detail"]
    # syncd gone: 503 at once, and /ready says so
    assert sd.stop() == 0
    r = apid.post(f"{U}/{uid}/sync/trigger", key)
    assert r.status == 503 and "polarflow-syncd" in r.json()["detail"]
    assert "is not running" in r.json()["detail"]      # refused at once
    assert apid.get("/ready").json()["syncd"] != "ok"


# --------------------------------------------------------------- keys ---

def test_key_regenerate_revoke_info_status(apid, users, migrated):
    k = users["alice"]
    info = apid.get(f"{U}/alice/api-key/info", k).json()
    assert info["key_prefix"] == k[:12] and info["is_active"] is True
    assert info["rate_limit_requests"] == 1000
    st = apid.get(f"{U}/alice/status", k).json()
    assert st == {"polar_user_id": "alice", "is_active": True,
                  "last_synced_at": None, "has_api_key": True,
                  "api_key_prefix": k[:12]}
    assert apid.get(f"{U}/ghost/status", MASTER).json()["detail"] == \
        "User ghost not found"
    assert apid.get(f"{U}/ghost/api-key/info", MASTER).json() is None
    # warm every worker's cache with the old key
    for _ in range(6):
        assert apid.get(f"{U}/alice/sleep", k).status == 200
    r = apid.post(f"{U}/alice/api-key/regenerate", k).json()
    new = r["api_key"]
    assert r["message"] == \
        "Key regenerated successfully. Old key is now invalid."
    assert new.startswith("pfk_") and len(new) == 44 and new != k
    for _ in range(6):
        assert apid.get(f"{U}/alice/sleep", k).status == 401
        assert apid.get(f"{U}/alice/sleep", new).status == 200
    r = apid.post(f"{U}/alice/api-key/revoke", new)
    assert r.json()["message"] == "API key revoked successfully"
    # compact JSON, as every other answer: no blank outside a string
    assert not re.search(rb"\s", re.sub(rb'"(?:[^"\\]|\\.)*"', b"", r.body)), \
        r.body
    for _ in range(6):
        assert apid.get(f"{U}/alice/sleep", new).status == 401
    r = apid.post(f"{U}/alice/api-key/revoke", MASTER)
    assert (r.status, r.json()["detail"]) == (
        404, "No active API key found for user alice")
    assert migrated.scalar("SELECT count(*) FROM audit_log WHERE action IN "
                           "('key.regenerate', 'key.revoke')") == 2


STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def stamps(doc, key=""):
    """(key, value) of every instant in an answer; Polar's own sample
    series are data, not our timestamps, and are skipped."""
    if key in ("samples", "route", "hypnogram"):
        return
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from stamps(v, k)
    elif isinstance(doc, list):
        for v in doc:
            yield from stamps(v, key)
    elif isinstance(doc, str) and re.match(r"^\d{4}-\d{2}-\d{2}T", doc):
        yield key, doc


def test_every_instant_is_rfc3339_utc_with_milliseconds(apid, users,
                                                        migrated):
    # stored with an offset, on a whole second, and with microseconds
    t = "'2026-01-01T23:10:00+02:00'"
    tz = "now() - interval '1 hour 0.123456 second'"
    for sql in (
            "INSERT INTO sleep (user_id, date, sleep_start_time, "
            f"sleep_end_time) VALUES ('alice', current_date, {t}, {tz})",
            "INSERT INTO physical_info (user_id, recorded_at) VALUES "
            f"('alice', {t})",
            "INSERT INTO exercise (user_id, polar_exercise_id, start_time, "
            f"samples) VALUES ('alice', 'p1', {tz}, '[1]')",
            "INSERT INTO sleepwise_alertness (user_id, period_start_time, "
            f"period_end_time) VALUES ('alice', {tz}, {tz})",
            "INSERT INTO sleepwise_bedtime (user_id, period_start_time, "
            "preferred_sleep_start, sleep_gate_end) VALUES "
            f"('alice', {tz}, {t}, {tz})",
            f"INSERT INTO spo2 (user_id, test_time) VALUES ('alice', {tz})",
            "INSERT INTO ecg (user_id, test_time) VALUES ('alice', now())",
            "INSERT INTO body_temperature (user_id, start_time, end_time) "
            f"VALUES ('alice', {tz}, {tz})",
            "INSERT INTO sync_logs (user_id, trigger, status, started_at, "
            f"completed_at) VALUES ('alice', 'api', 'success', {t}, {tz})",
            "UPDATE users SET last_synced_at = "
            f"{tz} WHERE user_id = 'alice'",
            "INSERT INTO analytics_alerts (user_id, metric_name, day, "
            "severity, value) VALUES ('alice', 'hrv', current_date, "
            "'warning', 1)"):
        migrated.execute(sql)
    k = users["alice"]
    eid = apid.get(f"{U}/alice/exercises", k).json()[0]["id"]
    ecg = apid.get(f"{U}/alice/ecg", k).json()[0]["id"]
    seen = {}
    for path in ("sleep/" + migrated.scalar("SELECT current_date::text"),
                 "physical-info", "exercises", f"exercises/{eid}",
                 f"exercises/{eid}/samples", "sleepwise/alertness",
                 "sleepwise/bedtime", "spo2", "ecg", f"ecg/{ecg}",
                 "temperature/body", "sync/status", "status",
                 "api-key/info", "analytics/alerts", "insights"):
        r = apid.get(f"{U}/alice/{path}", k)
        assert r.status == 200, (path, r.body)
        for key, v in stamps(r.json()):
            assert STAMP.match(v), (path, key, v)
            seen[key] = v
    assert seen["sleep_start_time"] == "2026-01-01T21:10:00.000Z"
    assert seen["recorded_at"] == "2026-01-01T21:10:00.000Z"
    assert seen["preferred_sleep_start"] == "2026-01-01T21:10:00.000Z"
    for key in ("sleep_end_time", "start_time", "period_start_time",
                "period_end_time", "sleep_gate_end", "test_time",
                "end_time", "completed_at", "started_at", "last_synced_at",
                "created_at", "last_used_at", "first_seen_at",
                "last_seen_at", "generated_at"):
        assert key in seen, key


def test_export_holds_every_row_of_the_user_and_no_secret(apid, users,
                                                         migrated):
    seed(migrated, "alice", days=3)
    seed(migrated, "bob", days=2)
    migrated.execute("UPDATE users SET access_token_enc = 'v1:sealed' "
                     "WHERE user_id = 'alice'")
    r = apid.get(f"{U}/alice/export", users["alice"])
    assert r.status == 200, r.body
    doc = r.json()
    assert doc["user_id"] == "alice" and STAMP.match(doc["exported_at"])
    t = doc["tables"]
    assert len(t["sleep"]) == 3 and len(t["activity"]) == 3
    assert {row["user_id"] for rows in t.values() for row in rows} == \
        {"alice"}
    assert t["users"][0]["user_id"] == "alice"
    # neither the sealed token nor a key hash leaves the database
    assert b"v1:sealed" not in r.body and b"key_hash" not in r.body
    assert "access_token_enc" not in t["users"][0]
    assert apid.get(f"{U}/alice/export", users["bob"]).status == 401
    r = apid.get(f"{U}/ghost/export", MASTER)
    assert (r.status, r.json()["detail"]) == (404, "User ghost not found")


# ---------------------------------------------- metrics and the spec ----

def test_openapi_lists_exactly_the_served_routes(apid):
    doc = apid.get("/schema/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    spec = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    import re
    served = set(re.findall(
        r'apid_requests_total\{method="(\w+)",route="([^"]+)"',
        apid.metrics()))
    # the SaaS OAuth bridge is served but kept out, as upstream's was;
    # so are the receiver of Polar's webhook (for Polar, not for clients)
    # and the admin console
    hidden = {("GET", "/oauth/start"), ("GET", "/oauth/callback"),
              ("POST", "/oauth/exchange"), ("POST", "/polar/webhook"),
              ("GET", "/admin"), ("POST", "/admin")}
    assert hidden <= served
    assert spec == served - hidden


def test_metrics_count_requests(apid, users):
    apid.get(f"{U}/alice/sleep", users["alice"])
    apid.get(f"{U}/alice/sleep?days=0", users["alice"])
    m = apid.metrics()
    assert ('apid_requests_total{method="GET",route="/api/v1/users/'
            '{user_id}/sleep",status="200"} 1') in m
    assert ('route="/api/v1/users/{user_id}/sleep",status="400"} 1') in m
    assert "apid_request_duration_seconds_count" in m
    assert "apid_db_errors_total 0" in m
    log = apid.proc.logtext()
    lines = [json.loads(x) for x in log.splitlines()
             if x.startswith("{") and '"msg":"request"' in x]
    assert any(x["status"] == 400 and x["route"].endswith("/sleep")
               for x in lines)
    assert users["alice"] not in log


# ------------------------------------------- database failure modes -----

def test_statement_timeout_does_not_block_the_worker(migrated, tmp_path,
                                                      users):
    import psycopg
    def waiting():      # apid's query queued behind the lock
        return migrated.scalar(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND "
            "relation = 'sleep'::regclass")

    a = Apid(migrated, tmp_path,
             extra_conf="database_statement_timeout_ms = 1500\n", workers=1)
    try:
        assert a.get(f"{U}/alice/sleep", users["alice"]).status == 200
        with psycopg.connect(migrated.url) as c:
            c.execute("LOCK TABLE sleep IN ACCESS EXCLUSIVE MODE")
            with concurrent.futures.ThreadPoolExecutor(2) as ex:
                # days=9: not in the response cache
                slow = ex.submit(a.get, f"{U}/alice/sleep?days=9",
                                 users["alice"])
                harness.wait_until(lambda: waiting() == 1, timeout=10,
                                   interval=0.01, what="a blocked query")
                assert a.get("/health").status == 200
                # answered by the one worker while its query still waits
                assert waiting() == 1 and not slow.done()
                r = slow.result()
            c.rollback()
        assert r.status == 503
        assert r.json()["detail"] == "Database query timed out"
        assert a.get(f"{U}/alice/sleep", users["alice"]).status == 200
    finally:
        a.stop()


def test_recovers_after_postgresql_restart(tmp_path):
    import shutil
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix="pfr.", dir="/tmp")
    env = dict(os.environ, PGPORT_TEST="5433")
    subprocess.run([harness.PGCLUSTER, "start", d], check=True,
                   capture_output=True, env=env)
    try:
        db = harness.Database.__new__(harness.Database)
        db.pgdir, db.name = d, "postgres"
        db.url = f"host={d} port=5433 user=postgres dbname=postgres"
        db.admin_url = db.url
        p = harness.run([harness.binary("polarctl"), "db", "migrate"],
                        env=harness.clean_env(DATABASE_URL=db.url))
        assert p.returncode == 0, p.stderr
        db.execute("INSERT INTO users (user_id) VALUES ('rita')")
        a = Apid(db, tmp_path)
        try:
            for _ in range(10):
                assert a.get(f"{U}/rita/sleep", MASTER).status == 200
            subprocess.run([harness.PGCLUSTER, "stop", d], check=True,
                           capture_output=True, env=env)
            # not cached; a connection failure, not a statement timeout
            r = a.get(f"{U}/rita/sleep?days=11", MASTER)
            assert r.status == 503, r.body
            assert r.json()["detail"] == "Database unavailable"
            subprocess.run([harness.PGCLUSTER, "start", d], check=True,
                           capture_output=True, env=env)
            # every pooled connection is stale now; each must recover
            statuses = [a.get(f"{U}/rita/sleep", MASTER).status
                        for _ in range(40)]
            assert statuses.count(200) == 40, statuses
            assert a.proc.running()
            assert "sandbox violation" not in a.proc.logtext()
        finally:
            a.stop()
    finally:
        subprocess.run([harness.PGCLUSTER, "stop", d], capture_output=True,
                       env=env)
        shutil.rmtree(d, ignore_errors=True)


def test_key_revoked_by_another_process_stops_at_once(apid, users, migrated,
                                                      polarctl):
    k = users["alice"]
    for _ in range(8):          # every worker caches the key (60 s TTL)
        assert apid.get(f"{U}/alice/sleep", k).status == 200
    kid = migrated.scalar("SELECT id FROM api_keys WHERE user_id = 'alice'")
    polarctl("key", "revoke", str(kid), check=True)
    # NOTIFY apid_keys, not the 60 s TTL of the cached key
    harness.wait_until(lambda: apid.get(f"{U}/alice/sleep", k).status == 401,
                       timeout=10, interval=0.02, what="revocation")
    for _ in range(8):
        assert apid.get(f"{U}/alice/sleep", k).status == 401
    # a new limit set in SQL is picked up at once too
    for _ in range(4):
        assert apid.get(f"{U}/bob/sleep", users["bob"]).status == 200
    migrated.execute("UPDATE api_keys SET rate_limit_requests = 3 "
                     "WHERE user_id = 'bob'")
    # Each try spends a token: without the notification a worker would
    # keep serving its lease (1/16 of what is left, here 62 tokens) for
    # the 60 s its key stays cached, so a few tries must do.
    got = []
    harness.wait_until(lambda: got.append(apid.get(
        f"{U}/bob/sleep", users["bob"])) or got[-1].status != 200,
        timeout=2, interval=0.2, what="the new limit")
    assert len(got) <= 10, len(got)
    assert got[-1].status == 429 and got[-1].headers[
        "x-ratelimit-limit"] == "3"


def test_response_cache_follows_the_data(apid, users, migrated):
    seed(migrated, "alice", days=2)
    seed(migrated, "bob", days=2)
    k = users["alice"]
    first = apid.get(f"{U}/alice/sleep", k).json()
    for _ in range(6):
        assert apid.get(f"{U}/alice/sleep", k).json() == first
    m = apid.metrics()
    hits = int(re.search(r'apid_cache_requests_total\{result="hit"\} (\d+)',
                         m).group(1))
    assert hits >= 4
    # a change made by anyone else (here: SQL) reaches the next answers
    migrated.execute("UPDATE sleep SET sleep_score = 99 WHERE user_id = "
                     "'alice' AND date = current_date")
    harness.wait_until(lambda: apid.get(f"{U}/alice/sleep", k).json()[0][
        "sleep_score"] == 99, timeout=10, interval=0.01, what="invalidation")
    for _ in range(6):
        assert apid.get(f"{U}/alice/sleep", k).json()[0]["sleep_score"] == 99
    # deletes too; bob's cached answers are untouched by alice's changes
    bob = apid.get(f"{U}/bob/sleep", users["bob"]).json()
    migrated.execute("DELETE FROM sleep WHERE user_id = 'alice'")
    harness.wait_until(lambda: apid.get(f"{U}/alice/sleep", k).json() == [],
                       timeout=2, interval=0.01, what="delete invalidation")
    assert apid.get(f"{U}/bob/sleep", users["bob"]).json() == bob
    # analytics tables notify as well
    assert apid.get(f"{U}/alice/insights", k).json()["status"] == \
        "unavailable"
    migrated.execute(
        "INSERT INTO analytics_documents (user_id, kind, payload) VALUES "
        "('alice', 'insights', '{\"status\": \"ready\"}')")
    harness.wait_until(lambda: apid.get(f"{U}/alice/insights", k).json()[
        "status"] == "ready", timeout=2, interval=0.01, what="insights")


def test_key_info_agrees_with_the_rate_limit_headers(apid, users):
    # Workers spend leased quota without writing it back: the stored
    # window ran tens of requests ahead of the headers, and last_used_at
    # moved only once per lease.
    import datetime
    k = users["alice"]
    for _ in range(40):
        assert apid.get(f"{U}/alice/sleep", k).status == 200
    for _ in range(5):
        before = datetime.datetime.now(datetime.timezone.utc)
        r = apid.get(f"{U}/alice/api-key/info", k)
        hdrs = {h.lower(): v for h, v in r.headers.items()}
        info = r.json()
        assert info["rate_limit_remaining"] == \
            int(hdrs["x-ratelimit-remaining"]), (info, hdrs)
        used = datetime.datetime.fromisoformat(
            info["last_used_at"].replace("Z", "+00:00"))
        assert abs((used - before).total_seconds()) < 5, (used, before)
