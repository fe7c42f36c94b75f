"""GET .../analytics/status, .../anomalies and .../baselines* serve what
polarflow-analyticsd stored: the answers are value for value those of the
statements apid ran before analyticsd stored these numbers (kept below as
the reference: they derived the unlock thresholds, recommendation texts,
IQR bounds and severities in SQL), on users from no data to 100 days."""
import datetime
import json
import re

import psycopg
from psycopg import pq

import harness
from fx_analyticsd import analyticsd, seed, day, wait_runs  # noqa: F401
from fx_apid import MASTER, apid  # noqa: F401

U = "/api/v1/users"

# The reference: apid/store.c before the stored bounds and documents.
OLD_STATUS = (
    "WITH d AS (SELECT (SELECT count(DISTINCT date) FROM sleep WHERE us"
    "er_id = $1  AND date >= current_date - 90) s, (SELECT count(DISTIN"
    "CT date) FROM nightly_recharge WHERE user_id = $1  AND date >= cur"
    "rent_date - 90) r, (SELECT count(DISTINCT date) FROM activity WHER"
    "E user_id = $1  AND date >= current_date - 90) a, (SELECT count(DI"
    "STINCT date) FROM cardio_load WHERE user_id = $1  AND date >= curr"
    "ent_date - 90) c), m AS (SELECT *, LEAST(s, r, a, c) mn FROM d), t"
    "(name, req, ord) AS (VALUES ('basic_stats', 7, 1),  ('trend_analys"
    "is', 14, 2), ('personalized_baselines', 21, 3),  ('predictive_mode"
    "ls', 30, 4), ('advanced_ml', 60, 5),  ('long_term_patterns', 90, 6"
    ")) SELECT 200, json_build_object('user_id', $1::text, 'data_days',"
    " json_build_object('sleep', s, 'recharge', r,  'activity', a, 'car"
    "dio_load', c), 'min_data_days', mn, 'features_available', (SELECT "
    "json_object_agg(name, mn >= req  ORDER BY ord) FROM t), 'unlock_pr"
    "ogress', (SELECT json_object_agg(name, CASE WHEN mn >= req  THEN j"
    "son_build_object('unlocked', true, 'days_required', req,  'days_re"
    "maining', 0, 'progress_percent', 100)  ELSE json_build_object('unl"
    "ocked', false, 'days_required', req,  'days_remaining', req - mn, "
    "'progress_percent',  round(mn * 100.0 / req, 1)::float8) END ORDER"
    " BY ord) FROM t), 'recommendations', json_build_array(CASE  WHEN m"
    "n < 7 THEN 'Keep syncing! ' || (7 - mn) ||  ' more days until basi"
    "c statistics unlock.'  WHEN mn < 14 THEN 'Trend analysis unlocks i"
    "n ' || (14 - mn) ||  ' days. Keep wearing your device!'  WHEN mn <"
    " 21 THEN 'Personalized baselines unlock in ' || (21 - mn)  || ' da"
    "ys. This enables accurate anomaly detection.'  WHEN mn < 30 THEN '"
    "Predictive models unlock in ' || (30 - mn) ||  ' days. Soon we can"
    " forecast recovery and readiness!'  WHEN mn < 60 THEN 'Great progr"
    "ess! Advanced ML features unlock after 60 days of data.'  ELSE 'Ex"
    "cellent! All features are unlocked. Full analytics suite available"
    ".' END))::text FROM m"
)

OLD_ANOMALIES = (
    "WITH cur(metric_name, v) AS (VALUES ('hrv_rmssd', (SELECT hrv_avg "
    "FROM nightly_recharge WHERE user_id = $1  AND nullif(hrv_avg, 0) I"
    "S NOT NULL ORDER BY date DESC LIMIT 1)), ('sleep_score', (SELECT s"
    "leep_score::float8 FROM sleep  WHERE user_id = $1 AND nullif(sleep"
    "_score, 0) IS NOT NULL  ORDER BY date DESC LIMIT 1)), ('resting_hr"
    "', (SELECT heart_rate_avg FROM nightly_recharge  WHERE user_id = $"
    "1 AND nullif(heart_rate_avg, 0) IS NOT NULL  ORDER BY date DESC LI"
    "MIT 1)), ('training_load', (SELECT cardio_load FROM cardio_load  W"
    "HERE user_id = $1 AND cardio_load > 0 ORDER BY date DESC LIMIT 1))"
    ", ('training_load_ratio', (SELECT cardio_load_ratio FROM cardio_lo"
    "ad  WHERE user_id = $1 AND cardio_load_ratio > 0  ORDER BY date DE"
    "SC LIMIT 1))), a AS (SELECT b.metric_name, c.v, b.baseline_value, "
    "b.median_value,  b.q1 - 1.5 * (b.q3 - b.q1) lo, b.q3 + 1.5 * (b.q3"
    " - b.q1) hi,  CASE WHEN c.v < b.q1 - 3 * (b.q3 - b.q1) OR   c.v > "
    "b.q3 + 3 * (b.q3 - b.q1) THEN 'critical'   WHEN c.v < b.q1 - 1.5 *"
    " (b.q3 - b.q1) OR   c.v > b.q3 + 1.5 * (b.q3 - b.q1) THEN 'warning"
    "' END sev  FROM user_baselines b JOIN cur c USING (metric_name)  W"
    "HERE b.user_id = $1 AND b.q1 IS NOT NULL AND b.q3 IS NOT NULL  AND"
    " c.v IS NOT NULL) SELECT 200, json_build_object('user_id', $1::tex"
    "t, 'anomaly_count', (SELECT count(*) FROM a WHERE sev IS NOT NULL)"
    ", 'anomalies', coalesce((SELECT json_agg(json_build_object(  'metr"
    "ic_name', metric_name, 'current_value', v,  'baseline_value', base"
    "line_value, 'median_value', median_value,  'lower_bound', lo, 'upp"
    "er_bound', hi,  'direction', CASE WHEN v > baseline_value THEN 'ab"
    "ove'  ELSE 'below' END, 'severity', sev,  'deviation_percent', (v "
    "- baseline_value) /  nullif(baseline_value, 0) * 100)  ORDER BY ar"
    "ray_position(ARRAY['hrv_rmssd', 'sleep_score',  'resting_hr', 'tra"
    "ining_load', 'training_load_ratio'], metric_name))  FROM a WHERE s"
    "ev IS NOT NULL), '[]'))::text"
)

OLD_BASELINES = (
    "SELECT 200, coalesce(json_agg(json_build_object('metric_name', met"
    "ric_name, 'baseline_value', baseline_value, 'baseline_7d', baselin"
    "e_7d, 'baseline_30d', baseline_30d, 'baseline_90d', baseline_90d, "
    "'median', median_value, 'q1', q1, 'q3', q3, 'iqr', q3 - q1, 'std_d"
    "ev', std_dev, 'min', min_value, 'max', max_value, 'lower_bound', q"
    "1 - 1.5 * (q3 - q1), 'upper_bound', q3 + 1.5 * (q3 - q1), 'sample_"
    "count', sample_count, 'status', status, 'data_start_date', data_st"
    "art_date, 'data_end_date', data_end_date, 'calculated_at', calcula"
    "ted_at) ORDER BY array_position(ARRAY['hrv_rmssd', 'sleep_score', "
    "'resting_hr', 'training_load', 'training_load_ratio'], metric_name"
    "), metric_name), '[]')::text FROM user_baselines WHERE user_id = $"
    "1"
)

OLD_BASELINE_ONE = (
    "SELECT 200, coalesce((SELECT json_build_object('metric_name', metr"
    "ic_name, 'baseline_value', baseline_value, 'baseline_7d', baseline"
    "_7d, 'baseline_30d', baseline_30d, 'baseline_90d', baseline_90d, '"
    "median', median_value, 'q1', q1, 'q3', q3, 'iqr', q3 - q1, 'std_de"
    "v', std_dev, 'min', min_value, 'max', max_value, 'lower_bound', q1"
    " - 1.5 * (q3 - q1), 'upper_bound', q3 + 1.5 * (q3 - q1), 'sample_c"
    "ount', sample_count, 'status', status, 'data_start_date', data_sta"
    "rt_date, 'data_end_date', data_end_date, 'calculated_at', calculat"
    "ed_at) FROM user_baselines WHERE user_id = $1 AND metric_name = $2"
    ")::text, 'null')"
)

OLD_BASELINE_CHECK = (
    "WITH b AS (SELECT *, q3 - q1 AS iqr FROM user_baselines WHERE user"
    "_id = $1 AND metric_name = $2), v AS (SELECT $3::float8 x) SELECT "
    "200, coalesce((SELECT json_build_object('value', x, 'metric_name',"
    " metric_name, 'is_anomaly', q1 IS NOT NULL AND (x < q1 - 1.5 * iqr"
    " OR   x > q3 + 1.5 * iqr), 'severity', CASE WHEN q1 IS NULL THEN N"
    "ULL   WHEN x < q1 - 3 * iqr OR x > q3 + 3 * iqr THEN 'critical'   "
    "WHEN x < q1 - 1.5 * iqr OR x > q3 + 1.5 * iqr THEN 'warning' END, "
    "'baseline', baseline_value, 'baseline_7d', baseline_7d, 'lower_bou"
    "nd', q1 - 1.5 * iqr, 'upper_bound', q3 + 1.5 * iqr, 'status', stat"
    "us) FROM b, v)::text, '{\"is_anomaly\":false,\"reason\":\"No baseline d"
    "ata available\",\"status\":\"insufficient\"}')"
)

# 0005 adds a column named iqr, which the old "SELECT *, q3 - q1 AS iqr"
# would make ambiguous: the same columns, listed.
OLD_BASELINE_CHECK = OLD_BASELINE_CHECK.replace(
    "SELECT *, q3 - q1 AS iqr FROM user_baselines",
    "SELECT metric_name, baseline_value, baseline_7d, q1, q3, status,"
    " q3 - q1 AS iqr FROM user_baselines")

METRICS = ("hrv_rmssd", "sleep_score", "resting_hr", "training_load",
           "training_load_ratio")


def minify(s):
    """What apid does to a JSON body: blanks outside strings dropped."""
    out, instr, esc = [], False, False
    for ch in s:
        if instr:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                instr = False
        elif ch == '"':
            instr = True
        elif ch in " \n\t\r":
            continue
        out.append(ch)
    return "".join(out)


def old(db, sql, *params):
    """One reference statement as apid ran it: text parameters, UTC."""
    with psycopg.connect(db.url, autocommit=True) as c:
        c.execute("SET TimeZone = 'UTC'")
        r = c.pgconn.exec_params(sql.encode(),
                                 [str(p).encode() for p in params])
        assert r.status == pq.ExecStatus.TUPLES_OK, r.error_message
        return int(r.get_value(0, 0)), minify(r.get_value(0, 1).decode())


def body(apid, path):
    r = apid.get(path, MASTER)
    return r.status, r.body.decode()


def numbers(x):
    """A decoded body with every number a float: upstream's float fields
    are served as 29.0 where the reference SQL printed 29 (the types are
    checked in test_analyticsd_upstream.py); booleans stay booleans."""
    if isinstance(x, dict):
        return {k: numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [numbers(v) for v in x]
    if isinstance(x, int) and not isinstance(x, bool):
        return float(x)
    if isinstance(x, str) and INSTANT.match(x):
        return datetime.datetime.fromisoformat(x)
    return x


# apid answers instants as RFC 3339 UTC with milliseconds; the reference
# SQL prints PostgreSQL's own form: the same instant either way
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def same(a, b):
    """(status, body) pairs equal, numbers and instants compared by
    value."""
    return a[0] == b[0] and numbers(json.loads(a[1])) == \
        numbers(json.loads(b[1]))


def days(n, f, start=0):
    """n rows (day, f(i)...) from day start backwards."""
    rows = []
    for i in range(n):
        v = f(i)
        rows.append((day(start - i),) + (v if isinstance(v, tuple) else (v,)))
    return rows


def seed_users(seed):
    """Users from no data to 100 days; return the ids with data."""
    # one day, seven days, and 25/10/3/0 days per table
    for u, n in (("one", 1), ("seven", 7)):
        seed.sleep(u, days(n, lambda i: 70 + i))
        seed.recharge(u, [(d, 45.0 + v, 52, 1.5)
                          for d, v in days(n, lambda i: i)])
        seed.activity(u, days(n, lambda i: (9000 + i, 400)))
        seed.cardio(u, [(d, 50 + v, 1.0) for d, v in days(n, lambda i: i)])
    seed.sleep("sparse", days(25, lambda i: 60 + i % 9))
    seed.recharge("sparse", [(d, 40.0 + v, 55, 0)
                             for d, v in days(10, lambda i: i % 4)])
    seed.activity("sparse", days(3, lambda i: (7000, 300)))
    # 40 days, today's HRV far below and resting HR above the baseline;
    # zero and NULL loads and a NULL HRV are not the newest values
    seed.sleep("many", days(40, lambda i: 75 + (i * 7) % 11))
    seed.recharge("many", [(d, (22.5 if i == 0 else
                                None if i == 1 else 50 + (i * 13) % 9),
                            70 if i == 0 else 50 + i % 3, i % 7 - 3)
                           for i, (d, _) in enumerate(days(40, int))])
    seed.activity("many", days(40, lambda i: (8000 + 37 * i, 350)))
    seed.cardio("many", [(d, (0 if i == 0 else None if i == 2 else
                              40 + (i * 17) % 23),
                          (None if i == 0 else 0.8 + (i % 5) / 10))
                         for i, (d, _) in enumerate(days(40, int))])
    # 100 days, every table; a critical HRV today, a sleep score of 100
    seed.sleep("crit", days(100, lambda i: 100 if i == 0 else
                            60 + (i * 37) % 23))
    seed.recharge("crit", [(d, (120.0 if i == 0 else
                                40 + (i * 37) % 23 + (i % 3) * 0.5),
                            55 + i % 4, 2)
                           for i, (d, _) in enumerate(days(100, int))])
    seed.activity("crit", days(100, lambda i: (10000 - i, 500)))
    seed.cardio("crit", [(d, 80.25 + (i % 9), 1.1149 + (i % 4) / 100)
                         for i, (d, _) in enumerate(days(100, int))])
    # 30 days ending last week: data that has aged
    seed.sleep("past", days(30, lambda i: 70, start=-8))
    seed.recharge("past", [(d, 50.0, 50, 0)
                           for d, _ in days(30, int, start=-8)])
    seed.activity("past", days(30, lambda i: (5000, 100), start=-8))
    seed.cardio("past", [(d, 30.5, 0.9) for d, _ in days(30, int, start=-8)])
    return ["one", "seven", "sparse", "many", "crit", "past"]


def check_values(db, user, metric):
    """Values around every bound of a stored baseline, and fixed ones."""
    q = db.query("SELECT q1, q3 FROM user_baselines WHERE user_id = %s"
                 " AND metric_name = %s", (user, metric))
    vals = ["0", "55", "-3.5", "1e300"]
    if q and q[0][0] is not None:
        q1, q3 = q[0]
        iqr = q3 - q1
        for b in (q1 - 1.5 * iqr, q3 + 1.5 * iqr, q1 - 3 * iqr,
                  q3 + 3 * iqr):
            vals += [repr(b), repr(b - 0.01), repr(b + 0.01)]
    return vals


def compare_user(db, apid, user):
    assert same(body(apid, f"{U}/{user}/analytics/status"),
                old(db, OLD_STATUS, user)), user
    assert same(body(apid, f"{U}/{user}/anomalies"),
                old(db, OLD_ANOMALIES, user)), user
    assert same(body(apid, f"{U}/{user}/baselines"),
                old(db, OLD_BASELINES, user)), user
    for m in METRICS:
        assert same(body(apid, f"{U}/{user}/baselines/{m}"),
                    old(db, OLD_BASELINE_ONE, user, m)), (user, m)
        for v in check_values(db, user, m):
            assert same(body(apid, f"{U}/{user}/baselines/check/{m}/{v}"),
                        old(db, OLD_BASELINE_CHECK, user, m, v)), \
                (user, m, v)


def test_stored_answers_match_the_sql_they_replace(analyticsd, seed,
                                                   migrated, apid):
    users = seed_users(seed)
    a = analyticsd().start()
    for u in users:
        wait_runs(migrated, u, 1)
    assert a.stop() == 0
    for u in users + ["nodata"]:
        compare_user(migrated, apid, u)
    # the stored numbers really are what is served: an anomaly today
    an = apid.get(f"{U}/crit/anomalies", MASTER).json()
    assert [(x["metric_name"], x["severity"]) for x in an["anomalies"]][
        :1] == [("hrv_rmssd", "critical")]
    st = apid.get(f"{U}/seven/analytics/status", MASTER).json()
    assert st["features_available"]["basic_stats"] is True
    assert st["recommendations"] == [
        "Trend analysis unlocks in 7 days. Keep wearing your device!"]


def test_user_not_yet_computed(analyticsd, seed, migrated, apid):
    """Until analyticsd has run for a user, the status is that of a user
    without data and there are no anomalies or baselines, whatever rows
    have arrived: apid computes nothing itself any more."""
    a = analyticsd().start()
    harness.wait_until(lambda: migrated.scalar(
        "SELECT count(*) FROM analytics_documents WHERE user_id = ''") == 1,
        timeout=10, what="the documents of no user")
    assert a.stop() == 0
    seed.sleep("late", days(9, lambda i: 70))
    seed.recharge("late", [(d, 50.0, 50, 0) for d, _ in days(9, int)])
    st = body(apid, f"{U}/late/analytics/status")
    assert same(st, old(migrated, OLD_STATUS, "nobody-at-all")[:1] + (
        old(migrated, OLD_STATUS, "nobody-at-all")[1].replace(
            '"nobody-at-all"', '"late"'),))
    assert same(body(apid, f"{U}/late/anomalies"),
                old(migrated, OLD_ANOMALIES, "late"))
    assert body(apid, f"{U}/late/baselines") == (200, "[]")
    # once it has run, the numbers are the user's
    a = analyticsd().start()
    wait_runs(migrated, "late", 1)
    assert a.stop() == 0
    harness.wait_until(lambda: same(body(apid, f"{U}/late/analytics/status"),
                                    old(migrated, OLD_STATUS, "late")),
                       timeout=2,
                       what="cache invalidation")
    compare_user(migrated, apid, "late")
