"""The analytics upstream promised and never built, end to end: daily
series in analytics_daily and the recovery document, against formulas
recomputed here in plain Python from the same raw rows."""
import math
import statistics

import pytest

from fx_analyticsd import (analyticsd, seed, day, document,  # noqa: F401
                           wait_runs)

N = 45


def daily(db, user, metric):
    return {d: (v, det) for d, v, det in db.query(
        "SELECT day, value, details FROM analytics_daily WHERE user_id = %s "
        "AND metric_name = %s ORDER BY day", (user, metric))}


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


@pytest.fixture
def computed(analyticsd, seed, migrated):
    hrv = {day(-i): 40 + (i * 7) % 15 for i in range(N)}
    total = {day(-i): 25000 + (i * 1300) % 5000 for i in range(N)}
    bed_h = {day(-i): 22 + ((i * 5) % 6) * 0.25 for i in range(N)}
    load = {day(-i): float((i * 17) % 90) for i in range(N)}
    seed.recharge("ser", [(d, v, 50, (i % 9) - 4)
                          for i, (d, v) in enumerate(hrv.items())])
    seed.sleep("ser", [(d, 75) for d in hrv], total=lambda d: total[d],
               start_hour=lambda d: bed_h[d])
    seed.cardio("ser", [(d, v, 1.0) for d, v in load.items()])
    # continuous HR: one day, a 30-minute dip to 48..50 at 04:00
    samples = [(t, 70 + (t // 300) % 7) for t in range(0, 86400, 300)]
    samples = [(t, b if not 14400 <= t < 16200 else 48 + (t // 300) % 3)
               for t, b in samples]
    seed.continuous_hr("ser", day(-1), samples)
    a = analyticsd(extra_env={"POLARFLOW_ANALYTICS_HRV_BAND_SD": "0.5"})
    a.start()
    wait_runs(migrated, "ser", 1)
    return a, {"hrv": hrv, "total": total, "bed": bed_h, "load": load}


def test_hrv_band(computed, migrated):
    a, raw = computed
    rows = daily(migrated, "ser", "hrv_band")
    ln = {d: math.log(v) for d, v in raw["hrv"].items()}
    t = day(0)
    w7 = [ln[day(-i)] for i in range(7)]
    w60 = [ln[d] for d in ln if d > day(-60)]
    v, det = rows[t]
    assert v == approx(statistics.mean(w7))
    assert det["mean_7d"] == approx(statistics.mean(w7))
    assert det["band_mean"] == approx(statistics.mean(w60))
    assert det["band_sd"] == approx(statistics.stdev(w60))
    assert det["band_low"] == approx(statistics.mean(w60) -
                                     0.5 * statistics.stdev(w60))
    assert det["cv_7d_pct"] == approx(100 * statistics.stdev(w7) /
                                      statistics.mean(w7))
    assert det["status"] in ("below", "within", "above")
    # fewer than 14 valid days: calibrating
    assert rows[day(-N + 10)][1]["status"] == "calibrating"
    assert a.stop() == 0


def test_training_load_acwr_pmc(computed, migrated):
    a, raw = computed
    rows = daily(migrated, "ser", "training_load")
    first = day(-N + 1)
    loads = [raw["load"][day(-N + 1 + i)] for i in range(N)]
    ctl = atl = 0.0
    ea = ec = 0.0
    lte, ste = math.exp(-1 / 42), math.exp(-1 / 7)
    for i, x in enumerate(loads):
        # Golden Cheetah's and TrainingPeaks' form on day t: CTL(t-1) -
        # ATL(t-1), before day t's training
        tsb = ctl - atl
        ctl = x * (1 - lte) + ctl * lte
        atl = x * (1 - ste) + atl * ste
        ea = 2 / 8 * x + (1 - 2 / 8) * ea
        ec = 2 / 29 * x + (1 - 2 / 29) * ec
        d = day(-N + 1 + i)
        v, det = rows[d]
        assert v == x
        assert det["ctl"] == approx(ctl) and det["atl"] == approx(atl)
        assert det["tsb"] == approx(tsb)
        if i >= 27:
            assert det["acwr"] == approx(statistics.mean(loads[i - 6:i + 1])
                                         / statistics.mean(loads[i - 27:i + 1]))
            assert det["acwr_uncoupled"] == approx(
                statistics.mean(loads[i - 6:i + 1]) /
                statistics.mean(loads[i - 27:i - 6]))
            assert det["acwr_ewma"] == approx(ea / ec)
        else:
            assert det["acwr"] is None and det["acwr_ewma"] is None
    assert first in rows
    assert a.stop() == 0


def test_sleep_debt_and_consistency(computed, migrated):
    a, raw = computed
    debt = daily(migrated, "ser", "sleep_debt")
    nights = [raw["total"][day(-i)] for i in range(14)]
    want = max(0, sum(28800 - x for x in nights))
    v, det = debt[day(0)]
    assert v == want and det["goal_seconds"] == 28800.0
    assert det["window_nights"] == 14
    cons = daily(migrated, "ser", "sleep_consistency")
    # bedtime of the night ending on day d: minutes after noon
    beds = [(raw["bed"][day(-i)] - 12) * 60 for i in range(14)]
    v, det = cons[day(0)]
    assert v == approx(statistics.stdev(beds))
    assert det["mean_minutes_after_noon"] == approx(statistics.mean(beds))
    m = round(statistics.mean(beds)) + 720
    assert det["mean_bedtime"] == "%02d:%02d" % (m // 60 % 24, m % 60)
    assert a.stop() == 0


def test_resting_hr_from_continuous_hr(computed, migrated):
    a, raw = computed
    rows = daily(migrated, "ser", "resting_hr_continuous")
    # the lowest 30-minute window: the six dip samples 48, 49, 50, ...
    dip = [48 + (t // 300) % 3 for t in range(14400, 16200, 300)]
    assert rows[day(-1)][0] == approx(statistics.mean(dip))
    assert rows[day(-1)][1]["baseline_14d"] == approx(statistics.mean(dip))
    assert a.stop() == 0


def test_rolling_means_and_recovery(computed, migrated):
    a, raw = computed
    rows = daily(migrated, "ser", "rolling_means")
    v, det = rows[day(0)]
    assert v is None
    h = [raw["hrv"][day(-i)] for i in range(N)]
    assert det["hrv_rmssd"] == {"mean_7d": approx(statistics.mean(h[:7])),
                                "mean_30d": approx(statistics.mean(h[:30])),
                                "mean_90d": approx(statistics.mean(h))}
    assert det["training_load"]["mean_7d"] == approx(statistics.mean(
        raw["load"][day(-i)] for i in range(7)))

    doc = document(migrated, "ser", "recovery")
    assert doc["day"] == str(day(0))
    assert set(doc["components"]) == {"hrv", "sleep", "ans", "load"}
    assert doc["weights"] == {"hrv": 0.4, "sleep": 0.25, "ans": 0.2,
                              "load": 0.15}
    parts = doc["components"]
    avail = [p for p in parts.values() if p["available"]]
    assert sum(p["effective_weight"] for p in avail) == approx(1.0)
    assert doc["score"] == approx(sum(p["effective_weight"] * p["subscore"]
                                      for p in avail))
    assert parts["sleep"]["subscore"] == 75.0
    ans = doc["inputs"]["ans_charge"]
    assert parts["ans"]["subscore"] == approx(min(100, max(0, (ans + 10)
                                                           * 5)))
    lvl = doc["score"]
    assert doc["level"] == ("excellent" if lvl >= 80 else "good" if
                            lvl >= 65 else "fair" if lvl >= 45 else "poor")
    rec = daily(migrated, "ser", "recovery")
    assert rec[day(0)][0] == doc["score"]
    assert doc["dashboard"]["has_data"] is True
    assert a.stop() == 0


def test_old_day_change_rewrites_history(computed, migrated, seed):
    """A late correction of an old night rewrites the daily rows from that
    day on (the series are causal), not only today's."""
    a, raw = computed
    seed.recharge("ser", [(day(-20), 90, 50, 0)])
    a.call({"v": 1, "type": "analytics.recompute", "user_id": "ser"})
    wait_runs(migrated, "ser", 2)
    rows = daily(migrated, "ser", "hrv_band")
    assert rows[day(-20)][1]["ln_rmssd"] == approx(math.log(90))
    ln = {d: math.log(v) for d, v in raw["hrv"].items()}
    ln[day(-20)] = math.log(90)
    w7 = [ln[day(-17 - i)] for i in range(7)]
    assert rows[day(-17)][0] == approx(statistics.mean(w7))
    # rows before the change are still there
    assert day(-N + 1) in rows
    assert a.stop() == 0
