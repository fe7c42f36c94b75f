"""Upstream polar-flow-server parity: every constant and message string of
baselines, anomalies, patterns, analytics status and insights, on fixtures
built to hit each branch.  Expected numbers come from Python's statistics
module (what upstream uses), computed here independently of the daemon."""
import statistics

import pytest

from fx_analyticsd import (analyticsd, seed, day, baseline,  # noqa: F401
                           pattern, document, wait_runs)
from fx_apid import MASTER, apid  # noqa: F401


def run_all(analyticsd, db, users):
    a = analyticsd().start()
    for u in users:
        wait_runs(db, u, 1)
    assert a.stop() == 0
    return a


def api(apid, user, path):
    """GET /api/v1/users/<user>/<path> with the master key, decoded."""
    r = apid.get(f"/api/v1/users/{user}/{path}", key=MASTER)
    assert r.status == 200, r.text
    return r.json()


def newest_first(rows):
    return [v for d, v in sorted(rows, key=lambda r: r[0], reverse=True)]


def test_baseline_statuses_and_statistics(analyticsd, seed, migrated):
    # ready: 100 days, of which days -90..0 are in the window
    ready = [(day(-i), 40 + (i * 37) % 23 + (i % 3) * 0.5) for i in range(100)]
    seed.recharge("ready", [(d, v, 50 + (i % 5), 0)
                            for i, (d, v) in enumerate(ready)])
    partial = [(day(-i), 70 + (i * 7) % 11) for i in range(10)]
    seed.sleep("partial", partial)
    few = [(day(-i), 60 + i) for i in range(5)]
    seed.sleep("few", few)
    # training load: 0 and NULL (Polar's -1) are not samples
    seed.cardio("load", [(day(-i), (0 if i % 4 == 0 else 20 + i), 1.1)
                         for i in range(12)] + [(day(-20), None, None)])
    run_all(analyticsd, migrated, ["ready", "partial", "few", "load"])

    vals = newest_first([r for r in ready if r[0] >= day(-90)])
    b = baseline(migrated, "ready", "hrv_rmssd")
    assert b["status"] == "ready" and b["n"] == 91
    assert b["value"] == statistics.mean(vals)
    assert b["median"] == statistics.median(vals)
    q = statistics.quantiles(vals, n=4)          # method='exclusive'
    assert (b["q1"], b["q3"]) == (q[0], q[2])
    assert b["sd"] == statistics.stdev(vals)
    assert b["b7"] == statistics.mean(vals[:7])
    assert b["b30"] == statistics.mean(vals[:30])
    assert b["b90"] == statistics.mean(vals[:90])
    assert (b["min"], b["max"]) == (min(vals), max(vals))
    assert (b["start"], b["end"]) == (day(-90), day(0))

    b = baseline(migrated, "partial", "sleep_score")
    v = newest_first(partial)
    assert b["status"] == "partial" and b["n"] == 10
    assert b["b7"] == statistics.mean(v[:7])
    assert b["b30"] is None and b["b90"] is None

    b = baseline(migrated, "few", "sleep_score")
    assert b["status"] == "insufficient" and b["n"] == 5
    assert b["value"] == statistics.mean(v for _, v in few)
    assert b["median"] is None and b["q1"] is None and b["sd"] is None
    assert (b["min"], b["max"]) == (60, 64)
    # no samples at all: 0.0, as upstream
    b = baseline(migrated, "few", "hrv_rmssd")
    assert b["status"] == "insufficient" and b["value"] == 0.0
    assert b["n"] == 0 and b["start"] is None

    b = baseline(migrated, "load", "training_load")
    assert b["n"] == 9           # 12 rows, three zeros, one NULL
    assert b["status"] == "partial"
    names = {r[0] for r in migrated.query(
        "SELECT metric_name FROM user_baselines WHERE user_id = 'load'")}
    assert names == {"hrv_rmssd", "sleep_score", "resting_hr",
                     "training_load", "training_load_ratio", "steps",
                     "active_calories"}


def hrv_rows(values, rhr=55):
    """values newest first -> recharge rows"""
    return [(day(-i), v, rhr, 0) for i, v in enumerate(values)]


def test_anomalies_alerts_and_insight_texts(analyticsd, seed, migrated):
    base = [50 + (i % 5) for i in range(1, 30)]
    # critical: far below (q1 - 3 iqr)
    seed.recharge("crit", hrv_rows([10] + base))
    seed.sleep("crit", [(day(-i), 80) for i in range(30)])
    a = analyticsd().start()
    wait_runs(migrated, "crit", 1)

    vals = [10] + base
    q = statistics.quantiles(vals, n=4)
    iqr = q[2] - q[0]
    mean = statistics.mean(vals)
    rows = migrated.query(
        "SELECT metric_name, day, severity, value, lower_bound, upper_bound, "
        "direction, cleared_at FROM analytics_alerts WHERE user_id='crit'")
    assert rows == [("hrv_rmssd", day(0), "critical", 10.0,
                     q[0] - 1.5 * iqr, q[2] + 1.5 * iqr, "below", None)]
    an = document(migrated, "crit", "anomalies")
    assert an["anomaly_count"] == 1
    x = an["anomalies"][0]
    assert x["metric_name"] == "hrv_rmssd" and x["severity"] == "critical"
    assert x["direction"] == "below" and x["baseline_value"] == mean
    assert x["median_value"] == statistics.median(vals)
    assert x["deviation_percent"] == (10 - mean) / mean * 100

    ins = document(migrated, "crit", "insights")
    pct = 10 / mean * 100
    obs = ins["observations"]
    assert obs[0] == {
        "category": "anomaly", "priority": "critical",
        "fact": "HRV RMSSD is significantly below normal range",
        "context": "Current: %.1f, Baseline: %.1f (%+.0f%%)" % (
            10, mean, (10 - mean) / mean * 100),
        "trend": "anomalous"}
    assert obs[1]["fact"] == "HRV is %.0f%% below personal baseline" % (
        100 - pct)
    assert obs[1]["context"] == "Current: %.0fms, Baseline: %.0fms" % (
        10, mean)
    assert obs[1]["priority"] == "high" and obs[1]["category"] == "recovery"
    # HRV's fall also trips the overtraining trend factor
    sug = ins["suggestions"]
    assert [x["action"] for x in sug] == ["reduce_intensity",
                                          "prioritize_recovery",
                                          "monitor_closely"]
    assert sug[1:] == [
        {"action": "prioritize_recovery",
         "description": "Prioritize sleep and recovery today",
         "confidence": 0.85,
         "reason": "HRV is %.0f%% below baseline" % (100 - pct)},
        {"action": "monitor_closely",
         "description": "Monitor your metrics closely today",
         "confidence": 0.9,
         "reason": "Critical anomaly detected in hrv_rmssd"}]
    assert ins["anomalies"][0]["metric"] == "hrv_rmssd"
    assert ins["current_metrics"]["hrv"] == 10.0
    assert ins["baselines"]["hrv_rmssd"]["percent_of_baseline"] == pct

    # back to normal: the alert is cleared, not deleted
    seed.recharge("crit", [(day(0), 52, 55, 0)])
    a.call({"v": 1, "type": "analytics.recompute", "user_id": "crit"})
    wait_runs(migrated, "crit", 2)
    rows = migrated.query("SELECT severity, cleared_at IS NOT NULL, "
                          "first_seen_at <= last_seen_at FROM "
                          "analytics_alerts WHERE user_id = 'crit'")
    assert rows == [("critical", True, True)]
    assert document(migrated, "crit", "anomalies")["anomaly_count"] == 0
    assert a.stop() == 0


def test_warning_resting_hr_above(analyticsd, seed, migrated, apid):
    rhr = [50 + (i % 4) for i in range(1, 30)]
    vals = [57] + rhr
    q = statistics.quantiles(vals, n=4)
    iqr = q[2] - q[0]
    assert q[2] + 1.5 * iqr < 57 <= q[2] + 3 * iqr
    seed.recharge("warn", [(day(-i), 60, v, 0) for i, v in enumerate(vals)])
    run_all(analyticsd, migrated, ["warn"])
    ins = api(apid, "warn", "insights")
    o = [x for x in ins["observations"] if x["trend"] == "anomalous"]
    # upstream files every anomaly under its own category
    assert o == [{"category": "anomaly", "priority": "high",
                  "fact": "RESTING HR is above normal range",
                  "context": "Current: 57.0, Baseline: %.1f (%+.0f%%)" % (
                      statistics.mean(vals), (57 - statistics.mean(vals))
                      / statistics.mean(vals) * 100),
                  "trend": "anomalous"}]
    assert ins["anomalies"][0]["severity"] == "warning"


def test_sleep_hrv_correlation_branches(analyticsd, seed, migrated):
    seed.sleep("c_few", [(day(-i), 70 + i) for i in range(5)])
    seed.recharge("c_few", [(day(-i), 40 + i, 50, 0) for i in range(5)])
    # strong positive: HRV rises with sleep score
    seed.sleep("c_pos", [(day(-i), 60 + (i * 7) % 30) for i in range(30)])
    seed.recharge("c_pos", [(day(-i), 30 + (i * 7) % 30 + (i % 2) * 0.1,
                             50, 0) for i in range(30)])
    seed.sleep("c_flat", [(day(-i), 75) for i in range(25)])
    seed.recharge("c_flat", [(day(-i), 40 + i, 50, 0) for i in range(25)])
    run_all(analyticsd, migrated, ["c_few", "c_pos", "c_flat"])

    p = pattern(migrated, "c_few", "sleep_hrv_correlation")
    assert p["significance"] == "insufficient" and p["n"] == 5
    assert p["details"] == {"reason": "Insufficient data: 5 samples, need 21"}
    assert p["score"] is None and p["confidence"] is None
    assert p["metrics"] == ["sleep_score", "hrv_rmssd"] and p["window"] == 30

    p = pattern(migrated, "c_pos", "sleep_hrv_correlation")
    d = p["details"]
    assert p["significance"] == "high" and p["n"] == 30
    assert d["strength"] == "strong" and d["direction"] == "positive"
    assert d["interpretation"] == ("Strong positive correlation between sleep "
                                   "quality and HRV. Better sleep is "
                                   "associated with higher HRV.")
    assert p["score"] == d["correlation_coefficient"]
    assert p["confidence"] == 1 - d["p_value"]
    assert d["p_value"] < 0.01
    ins = document(migrated, "c_pos", "insights")
    assert {"category": "recovery", "priority": "info",
            "fact": "Strong connection between your sleep quality and HRV "
                    "detected",
            "context": "Better sleep directly improves your recovery metrics",
            "trend": None} in ins["observations"]

    p = pattern(migrated, "c_flat", "sleep_hrv_correlation")
    assert p["significance"] == "insufficient"
    assert p["details"] == {"reason": "Could not compute correlation - data "
                                      "may lack variance"}


def test_trends_and_overtraining(analyticsd, seed, migrated):
    # HRV: recent (days 0..-7) 40, older (-8..-30) 50 -> -20 %
    # sleep: recent 66, older 75 -> -12 %; resting HR: 53 vs 50 -> +6 %
    def rec(i, a, b):
        return a if i <= 7 else b
    seed.recharge("ot", [(day(-i), rec(i, 40, 50), rec(i, 53, 50), 0)
                         for i in range(31)])
    seed.sleep("ot", [(day(-i), rec(i, 66, 75)) for i in range(31)])
    seed.cardio("ot", [(day(-i), 100, 1.6 if i == 0 else 1.0)
                       for i in range(5)])
    # moderate: only the load ratio elevated (1.4 -> +15), HRV -6 % (+15)
    seed.recharge("mod", [(day(-i), rec(i, 47, 50), 50, 0)
                          for i in range(31)])
    seed.sleep("mod", [(day(-i), 80) for i in range(31)])
    seed.cardio("mod", [(day(0), 100, 1.4)])
    seed.sleep("tr_few", [(day(-i), 80) for i in range(5)])
    run_all(analyticsd, migrated, ["ot", "mod", "tr_few"])

    p = pattern(migrated, "ot", "hrv_trend")
    assert p["significance"] == "high" and p["score"] == -20.0
    assert p["confidence"] == 0.8 and p["n"] == 7
    assert p["details"] == {"trend_percent": -20.0, "direction": "declining",
                            "interpretation": "HRV is declining (-20.0% "
                                              "from baseline)"}
    assert p["metrics"] == ["hrv"]
    p = pattern(migrated, "ot", "sleep_trend")
    assert p["details"]["interpretation"] == \
        "SLEEP is declining (-12.0% from baseline)"
    p = pattern(migrated, "tr_few", "sleep_trend")
    assert p["significance"] == "insufficient" and p["n"] == 0
    assert p["details"] == {"reason": "Insufficient data for trend analysis"}

    p = pattern(migrated, "ot", "overtraining_risk")
    assert p["significance"] == "high" and p["score"] == 100
    assert p["confidence"] == 1.0 and p["n"] == 4
    assert p["metrics"] == ["hrv_rmssd", "sleep_score", "resting_hr",
                            "training_load_ratio"]
    assert p["details"] == {
        "risk_score": 100,
        "risk_factors": ["HRV declining significantly (-20.0%)",
                         "Sleep quality declining (-12.0%)",
                         "Resting heart rate elevated (+6.0%)",
                         "Training load ratio high (1.60)"],
        "metrics_checked": 4,
        "recommendations": [
            "Consider taking a rest day or reducing training intensity "
            "significantly",
            "Prioritize sleep quality and duration",
            "Monitor symptoms of overtraining (fatigue, mood changes, "
            "decreased performance)"]}
    ins = document(migrated, "ot", "insights")
    o = [x for x in ins["observations"] if x["category"] == "training"]
    assert o == [{"category": "training", "priority": "high",
                  "fact": "Overtraining risk is elevated (100/100)",
                  "context": ", ".join(p["details"]["risk_factors"]),
                  "trend": "declining"}]
    assert ins["suggestions"][0] == {
        "action": "rest_day",
        "description": "Take a rest day or do light recovery activity",
        "confidence": 0.95,
        "reason": "Elevated overtraining risk score indicates need for "
                  "recovery"}
    pats = {x["name"]: x for x in ins["patterns"]}
    assert pats["overtraining_risk"]["factors"] == \
        p["details"]["risk_factors"]
    assert pats["overtraining_risk"]["interpretation"] is None

    p = pattern(migrated, "mod", "overtraining_risk")
    assert p["details"]["risk_factors"] == [
        "HRV declining moderately (-6.0%)",
        "Training load ratio elevated (1.40)"]
    assert p["score"] == 30 and p["significance"] == "medium"
    assert p["details"]["recommendations"] == [
        "Monitor your body's response to training",
        "Consider adding an extra recovery day this week"]
    ins = document(migrated, "mod", "insights")
    o = [x for x in ins["observations"] if x["category"] == "training"]
    assert o[0]["fact"] == "Moderate overtraining indicators detected " \
                           "(30/100)"
    assert o[0]["priority"] == "medium" and o[0]["trend"] == "stable"
    assert ins["suggestions"][0] == {
        "action": "reduce_intensity",
        "description": "Consider reducing training intensity",
        "confidence": 0.3, "reason": "Moderate overtraining risk detected"}


@pytest.mark.parametrize("age,fact,context", [
    (3, "Building your personal baselines (3/7 days)",
     "Keep wearing your device. Basic insights unlock in 4 days."),
    (10, "Your baselines are being established (10 days of data)",
     "Pattern detection unlocks in 11 days. Accuracy improves over time."),
])
def test_insights_onboarding(analyticsd, seed, migrated, age, fact, context):
    seed.sleep("new", [(day(-age + 1), 70)])
    seed.recharge("new", [(day(-i), 50, 50, 0) for i in range(2)])
    run_all(analyticsd, migrated, ["new"])
    ins = document(migrated, "new", "insights")
    assert ins["data_age_days"] == age
    assert ins["status"] == ("unavailable" if age < 7 else "partial")
    assert ins["observations"][0] == {"category": "onboarding",
                                      "priority": "info", "fact": fact,
                                      "context": context, "trend": None}
    assert ins["patterns"] == [] and ins["anomalies"] == []
    fa = ins["feature_availability"]
    assert fa["patterns"] == {"available": False,
                              "message": f"Unlocks in {21 - age} days",
                              "unlock_at_days": 21}
    assert fa["baselines_7d"]["available"] == (age >= 7)
    nxt = "baselines_7d" if age < 7 else "patterns"
    th = 7 if age < 7 else 21
    assert ins["unlock_progress"] == {"next_unlock": nxt,
                                      "days_until_next": th - age,
                                      "percent_to_next": age / th * 100}
    assert ins["data_freshness"] == f"{day(0)}T00:00:00Z"


def test_insights_hrv_above_baseline(analyticsd, seed, migrated):
    vals = [70] + [50 + (i % 3) for i in range(1, 30)]
    seed.recharge("up", hrv_rows(vals))
    run_all(analyticsd, migrated, ["up"])
    ins = document(migrated, "up", "insights")
    pct = 70 / statistics.mean(vals) * 100
    assert {"category": "recovery", "priority": "positive",
            "fact": "HRV is %.0f%% above baseline - excellent recovery" % (
                pct - 100),
            "context": "Body is well-recovered and ready for training",
            "trend": "improving"} in ins["observations"]
    # the anomaly suggestion wins over train_normally when critical
    acts = [s["action"] for s in ins["suggestions"]]
    assert "train_normally" in acts or "monitor_closely" in acts


def test_train_normally(analyticsd, seed, migrated):
    vals = [53] + [50 + (i % 5) for i in range(1, 30)]
    seed.recharge("ok", hrv_rows(vals))
    run_all(analyticsd, migrated, ["ok"])
    ins = document(migrated, "ok", "insights")
    assert ins["suggestions"] == [{
        "action": "train_normally",
        "description": "Body is well-recovered, train as planned",
        "confidence": 0.85,
        "reason": "HRV at or above baseline indicates good recovery"}]


@pytest.mark.parametrize("ndays,rec", [
    (5, "Keep syncing! 2 more days until basic statistics unlock."),
    (10, "Trend analysis unlocks in 4 days. Keep wearing your device!"),
    (15, "Personalized baselines unlock in 6 days. This enables accurate "
         "anomaly detection."),
    (25, "Predictive models unlock in 5 days. Soon we can forecast recovery "
         "and readiness!"),
    (45, "Great progress! Advanced ML features unlock after 60 days of "
         "data."),
    (95, "Excellent! All features are unlocked. Full analytics suite "
         "available."),
])
def test_analytics_status_recommendations(analyticsd, seed, migrated, ndays,
                                          rec):
    seed.sleep("s", [(day(-i), 70) for i in range(ndays)])
    seed.recharge("s", [(day(-i), 50, 50, 0) for i in range(ndays)])
    seed.activity("s", [(day(-i), 5000, 300) for i in range(ndays)])
    seed.cardio("s", [(day(-i), 50, 1.0) for i in range(ndays)])
    run_all(analyticsd, migrated, ["s"])
    st = document(migrated, "s", "status")
    n = min(ndays, 91)
    assert st["data_days"] == {"sleep": n, "recharge": n, "activity": n,
                               "cardio_load": n}
    assert st["min_data_days"] == n
    assert st["recommendations"] == [rec]
    up = st["unlock_progress"]["trend_analysis"]
    if n >= 14:
        assert up == {"unlocked": True, "days_required": 14,
                      "days_remaining": 0, "progress_percent": 100}
    else:
        assert up == {"unlocked": False, "days_required": 14,
                      "days_remaining": 14 - n,
                      "progress_percent": round(n / 14 * 100, 1)}
    assert st["features_available"]["basic_stats"] == (n >= 7)


def test_status_without_cardio_stays_at_zero(analyticsd, seed, migrated):
    seed.sleep("nc", [(day(-i), 70) for i in range(30)])
    seed.recharge("nc", [(day(-i), 50, 50, 0) for i in range(30)])
    run_all(analyticsd, migrated, ["nc"])
    st = document(migrated, "nc", "status")
    assert st["min_data_days"] == 0
    assert st["recommendations"] == [
        "Keep syncing! 7 more days until basic statistics unlock."]


def test_training_load_current_is_todays_rest_day(analyticsd, seed,
                                                  migrated, apid):
    # 30 days of load, today a rest day (0); for "skip", today's row is
    # missing (NULL, as syncd stores Polar's -1) and yesterday's counts
    loads = [0] + [60 + (i * 13) % 40 for i in range(1, 30)]
    seed.cardio("rest", [(day(-i), v, 1.0) for i, v in enumerate(loads)])
    seed.cardio("skip", [(day(-i), None if i == 0 else v, 1.0)
                         for i, v in enumerate(loads)])
    for u in ("rest", "skip"):
        seed.sleep(u, [(day(-i), 80) for i in range(30)])
    run_all(analyticsd, migrated, ["rest", "skip"])

    def recompute(rows):
        """upstream: the newest row's value; we skip only NULL rows"""
        vals = [v for d, v in sorted(rows, reverse=True) if v is not None]
        return float(vals[0])
    b = api(apid, "rest", "insights")["baselines"]["training_load"]
    cur = recompute([(day(-i), v) for i, v in enumerate(loads)])
    assert cur == 0.0
    assert b["current"] == cur and isinstance(b["current"], float)
    # upstream: percent only when current and baseline are truthy
    assert b["percent_of_baseline"] is None
    b = api(apid, "skip", "insights")["baselines"]["training_load"]
    cur = recompute([(day(-i), None if i == 0 else v)
                     for i, v in enumerate(loads)])
    assert b["current"] == cur == float(loads[1])
    base = statistics.mean(v for v in loads if v > 0)
    assert b["percent_of_baseline"] == cur / base * 100
    # the anomaly scan still wants the newest value > 0 (none here: the
    # values are spread, none outside the bounds)
    assert api(apid, "rest", "anomalies")["anomaly_count"] == 0


def check_types(doc, shape, where=""):
    """shape: the upstream type of each field (float, int, str, bool, or
    a nested shape; [shape] for a list of them); None is always allowed,
    as upstream's optional fields."""
    if isinstance(shape, list):
        assert isinstance(doc, list), where
        for i, x in enumerate(doc):
            check_types(x, shape[0], f"{where}[{i}]")
        return
    if isinstance(shape, dict):
        assert isinstance(doc, dict), where
        for k, t in shape.items():
            assert k in doc, f"{where}.{k} missing"
            check_types(doc[k], t, f"{where}.{k}")
        return
    if doc is None:
        return
    if shape is int:
        assert type(doc) is int, f"{where}: {doc!r} is not an integer"
    else:
        assert type(doc) is shape, f"{where}: {doc!r} is not {shape}"


F = float
BASELINE_CMP = {"current": F, "baseline": F, "baseline_7d": F,
                "baseline_30d": F, "percent_of_baseline": F, "trend": str,
                "trend_days": int, "status": str}
INSIGHTS = {
    "user_id": str, "data_age_days": int, "status": str,
    "unlock_progress": {"next_unlock": str, "days_until_next": int,
                        "percent_to_next": F},
    "current_metrics": {"hrv": F, "sleep_score": int, "resting_hr": int,
                        "training_load_ratio": F},
    "baselines": {m: BASELINE_CMP for m in (
        "hrv_rmssd", "sleep_score", "resting_hr", "training_load",
        "training_load_ratio")},
    "patterns": [{"name": str, "pattern_type": str, "score": F,
                  "significance": str, "factors": [str]}],
    "anomalies": [{"metric": str, "current_value": F, "baseline_value": F,
                   "deviation_percent": F, "direction": str,
                   "severity": str}],
    "suggestions": [{"action": str, "confidence": F}],
}
ANOMALIES = {"user_id": str, "anomaly_count": int, "anomalies": [{
    "metric_name": str, "current_value": F, "baseline_value": F,
    "median_value": F, "lower_bound": F, "upper_bound": F,
    "direction": str, "severity": str, "deviation_percent": F}]}
BASELINE = {"metric_name": str, **{k: F for k in (
    "baseline_value", "baseline_7d", "baseline_30d", "baseline_90d",
    "median", "q1", "q3", "iqr", "std_dev", "min", "max", "lower_bound",
    "upper_bound")}, "sample_count": int, "status": str}
PATTERN = {"pattern_type": str, "pattern_name": str, "score": F,
           "confidence": F, "significance": str, "sample_count": int}
RECHARGE = {"date": str, "hrv_avg": F, "ans_charge": F,
            "breathing_rate_avg": F, "heart_rate_avg": F}
SLEEP = {"date": str, "sleep_score": int, "total_sleep_hours": F,
         "light_sleep_hours": F, "deep_sleep_hours": F,
         "rem_sleep_hours": F}


def test_float_fields_are_json_floats(analyticsd, seed, migrated, apid):
    # whole numbers everywhere: every mean, bound and score is integral,
    # which is where a float used to come out as 29
    seed.sleep("ints", [(day(-i), 80) for i in range(40)], total=25200)
    seed.recharge("ints", [(day(-i), 30 if i == 0 else 50, 50, 0)
                           for i in range(40)])
    seed.cardio("ints", [(day(-i), 100, 2.0 if i == 0 else 1.0)
                         for i in range(40)])
    seed.activity("ints", [(day(-i), 8000, 400) for i in range(40)])
    run_all(analyticsd, migrated, ["ints"])

    ins = api(apid, "ints", "insights")
    check_types(ins, INSIGHTS, "insights")
    assert ins["current_metrics"]["sleep_score"] == 80
    assert ins["baselines"]["sleep_score"]["baseline"] == 80.0
    assert ins["anomalies"] and ins["patterns"]
    an = api(apid, "ints", "anomalies")
    check_types(an, ANOMALIES, "anomalies")
    assert {a["metric_name"]: a["current_value"]
            for a in an["anomalies"]}["hrv_rmssd"] == 30.0
    bl = api(apid, "ints", "baselines")
    check_types(bl, [BASELINE], "baselines")
    sl = [b for b in bl if b["metric_name"] == "sleep_score"][0]
    assert (sl["baseline_value"], sl["iqr"]) == (80.0, 0.0)
    check_types(api(apid, "ints", "baselines/sleep_score"), BASELINE,
                "baseline")
    pats = api(apid, "ints", "patterns")
    check_types(pats, [PATTERN], "patterns")
    ot = [p for p in pats if p["pattern_name"] == "overtraining_risk"][0]
    assert ot["score"] == float(ot["details"]["risk_score"])
    check_types(api(apid, "ints", "sleep?days=7"), [SLEEP], "sleep")
    assert api(apid, "ints", "sleep?days=7")[0]["total_sleep_hours"] == 7.0
    check_types(api(apid, "ints", "recharge?days=7"), [RECHARGE],
                "recharge")
    assert api(apid, "ints", "recharge?days=7")[0]["hrv_avg"] == 30.0
    chk = api(apid, "ints", "baselines/check/sleep_score/80")
    check_types(chk, {"value": F, "baseline": F, "baseline_7d": F,
                      "lower_bound": F, "upper_bound": F}, "check")

    # analytics/status: 100 (an integer) once unlocked, else round(x, 1)
    st = api(apid, "ints", "analytics/status")
    assert st["min_data_days"] == 40
    for name, u in st["unlock_progress"].items():
        if u["unlocked"]:
            assert type(u["progress_percent"]) is int, name
        else:
            assert u["progress_percent"] == round(
                st["min_data_days"] / u["days_required"] * 100, 1)
            assert type(u["progress_percent"]) is float, name


def test_insights_patterns_in_upstream_order(analyticsd, seed, migrated,
                                             apid):
    # upstream stores its four rows in detection order and lists them
    # newest first
    seed.sleep("ord", [(day(-i), 70 + i % 9) for i in range(30)])
    seed.recharge("ord", [(day(-i), 40 + i % 7, 50, 0) for i in range(30)])
    run_all(analyticsd, migrated, ["ord"])
    ins = api(apid, "ord", "insights")
    detected = ["sleep_hrv_correlation", "overtraining_risk", "hrv_trend",
                "sleep_trend"]
    assert [p["name"] for p in ins["patterns"]] == detected[::-1]
