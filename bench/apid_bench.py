#!/usr/bin/env python3
"""apid_bench.py -- "make bench" for polarflow-apid.

Seeds 1,000 users x 365 days into a private PostgreSQL cluster, starts
polarflow-apid (kore, 2 workers) and runs wrk (64 connections, random
users with valid user keys) against /sleep?days=30, /baselines and
/insights.  In the same run it measures two limits per route:

  kore      wrk against /health, a constant response from the same module
  pgbench   the route's own SQL (bench/apid_sql) at the same concurrency

and prints req/s, p50/p99 latency, non-2xx count, the RSS of each kore
worker and the ratio of each route to both limits.  It measures; it does
not pass or fail on a number.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (BUILD, ApidStack, parse_wrk, psql,  # noqa: E402
                      rss_kb, sh)

USERS = int(os.environ.get("APID_BENCH_USERS", "1000"))
DAYS = int(os.environ.get("APID_BENCH_DAYS", "365"))
DUR = int(os.environ.get("APID_BENCH_SECONDS", "10"))
CONNS = 64
PGBIN = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                       text=True).stdout.strip() or \
    "/usr/lib/postgresql/15/bin"

ROUTES = [
    ("/sleep?days=30", "/api/v1/users/{user_id}/sleep", "30"),
    ("/baselines", "/api/v1/users/{user_id}/baselines", None),
    ("/insights", "/api/v1/users/{user_id}/insights", None),
]


def seed(url):
    psql(url, f"""
INSERT INTO users (user_id) SELECT 'b' || g FROM generate_series(1, {USERS}) g;
INSERT INTO api_keys (key_hash, key_prefix, user_id, rate_limit_requests)
  SELECT encode(sha256(convert_to(k, 'UTF8')), 'hex'), left(k, 12),
         'b' || g, 100000000
  FROM (SELECT g, 'pfk_' || left(md5('k' || g) || md5('x' || g), 40) k
        FROM generate_series(1, {USERS}) g) s;
INSERT INTO sleep (user_id, date, sleep_score, total_sleep_seconds,
    light_sleep_seconds, deep_sleep_seconds, rem_sleep_seconds, hrv_avg,
    heart_rate_avg, breathing_rate_avg)
  SELECT 'b' || u, current_date - d, 60 + (u + d) % 30, 25000 + d * 7,
         14000, 5000, 6000, 30 + d % 20, 50 + d % 10, 14.5
  FROM generate_series(1, {USERS}) u, generate_series(0, {DAYS - 1}) d;
INSERT INTO nightly_recharge (user_id, date, hrv_avg, heart_rate_avg,
    ans_charge)
  SELECT 'b' || u, current_date - d, 30 + d % 20, 50 + d % 10, (d % 20) - 10
  FROM generate_series(1, {USERS}) u, generate_series(0, {DAYS - 1}) d;
INSERT INTO activity (user_id, date, steps, distance_meters, calories_total)
  SELECT 'b' || u, current_date - d, 8000 + d, 6000.5, 2300
  FROM generate_series(1, {USERS}) u, generate_series(0, {DAYS - 1}) d;
INSERT INTO cardio_load (user_id, date, cardio_load, cardio_load_ratio,
    strain, tolerance)
  SELECT 'b' || u, current_date - d, 80 + d % 40, 1.0 + (d % 5) / 10.0,
         90, 85
  FROM generate_series(1, {USERS}) u, generate_series(0, {DAYS - 1}) d;
INSERT INTO user_baselines (user_id, metric_name, baseline_value,
    baseline_7d, baseline_30d, baseline_90d, median_value, q1, q3,
    std_dev, min_value, max_value, sample_count, status, data_start_date,
    data_end_date, iqr, lower_bound, upper_bound, critical_lower_bound,
    critical_upper_bound)
  SELECT 'b' || u, m, 40, 41, 40.5, 40.2, 40, 35, 45, 5, 20, 60, 90,
         'ready', current_date - 89, current_date, 10, 20, 60, 5, 75
  FROM generate_series(1, {USERS}) u,
       unnest(ARRAY['hrv_rmssd', 'sleep_score', 'resting_hr',
                    'training_load', 'training_load_ratio']) m;
INSERT INTO analytics_documents (user_id, kind, payload)
  SELECT 'b' || u, 'insights', jsonb_build_object('user_id', 'b' || u,
    'status', 'ready', 'data_age_days', 365, 'observations',
    jsonb_build_array(jsonb_build_object('category', 'recovery',
      'priority', 'high', 'fact', 'HRV is 12% below personal baseline')),
    'suggestions', '[]'::jsonb)
  FROM generate_series(1, {USERS}) u;
ANALYZE;
""")


def keys():
    import hashlib
    out = []
    for g in range(1, USERS + 1):
        k = "pfk_" + (hashlib.md5(f"k{g}".encode()).hexdigest()
                      + hashlib.md5(f"x{g}".encode()).hexdigest())[:40]
        out.append((f"b{g}", k))
    return out


def server_hist(port):
    """apid's own latency histogram (cumulative bucket counts by le, in
    ms): request arrival to response queued, without the client's side."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as m:
        txt = m.read().decode()
    h = {}
    for le, n in re.findall(
            r'apid_request_duration_seconds_bucket\{le="([^"]+)"\} (\d+)',
            txt):
        h[float("inf") if le == "+Inf" else float(le) * 1000] = int(n)
    return h


def hist_p99(a, b):
    """The bucket bound below which 99 % of the requests between the two
    readings fell."""
    d = {le: b[le] - a.get(le, 0) for le in b}
    total = d.get(float("inf"), 0)
    for le in sorted(d):
        if total and d[le] >= 0.99 * total:
            return le
    return float("nan")


def wrk(port, script):
    return parse_wrk(subprocess.run(
        ["wrk", "-t2", f"-c{CONNS}", f"-d{DUR}s", "--latency", "-s", script,
         f"http://127.0.0.1:{port}"], capture_output=True, text=True).stdout)


def pgbench(url, sql, days):
    stmt = sql.replace("$1", "('b' || :u::text)")
    if days:
        stmt = stmt.replace("$2", days)
    d = tempfile.mkdtemp(prefix="pfb.")
    f = os.path.join(d, "q.sql")
    with open(f, "w") as fp:
        fp.write(f"\\set u random(1, {USERS})\n{stmt};\n")
    env = dict(os.environ, PGOPTIONS="-c TimeZone=UTC -c DateStyle=ISO,YMD")
    p = subprocess.run([os.path.join(PGBIN, "pgbench"), "-n", "-M",
                        "simple", f"-c{CONNS}", "-j2", f"-T{DUR}", "-f", f,
                        url], capture_output=True, text=True, env=env)
    shutil.rmtree(d)
    m = re.search(r"tps = ([\d.]+)", p.stdout)
    if not m:
        print("pgbench failed:", p.stdout[-500:], p.stderr[-1500:],
              file=sys.stderr)
        return float("nan")
    return float(m.group(1))


def main():
    with ApidStack("pfab.", seed=seed, max_connections=300) as st:
        print(f"seeded {USERS} users x {DAYS} days in {st.seed_s:.1f} s")
        run(st)


def run(st):
    work, port, url = st.work, st.port, st.url
    ks = keys()
    lua = os.path.join(work, "users.lua")
    results = {}
    const_script = os.path.join(work, "const.lua")
    with open(const_script, "w") as f:
        f.write('request = function() return wrk.format("GET", '
                '"/health") end\n')
    kore = wrk(port, const_script)
    print(f"kore constant (/health): {kore['rps']:.0f} req/s, "
          f"p50 {kore['p50']:.2f} ms, p99 {kore['p99']:.2f} ms")
    for suffix, tmpl, days in ROUTES:
        with open(lua, "w") as f:
            f.write("local u = {\n")
            for uid, k in ks:
                f.write(f'{{"{uid}","{k}"}},\n')
            f.write("}\nrequest = function()\n"
                    "  local x = u[math.random(#u)]\n"
                    f'  return wrk.format("GET", "/api/v1/users/" .. '
                    f'x[1] .. "{suffix}", {{["X-API-Key"] = x[2]}})\n'
                    "end\n")
        # a short warm-up fills the key caches
        subprocess.run(["wrk", "-t2", "-c64", "-d2s", "-s", lua,
                        f"http://127.0.0.1:{port}"],
                       capture_output=True)
        before = server_hist(port)
        r = wrk(port, lua)
        r["server_p99"] = hist_p99(before, server_hist(port))
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/metrics") as m:
            txt = m.read().decode()
        r["cache_hits"] = int(re.search(r'result="hit"\} (\d+)',
                                        txt).group(1))
        sql = sh(os.path.join(BUILD, "bench", "apid_sql"), "GET",
                 tmpl).stdout.strip()
        pgl = pgbench(url, sql, days)
        r["pgbench"] = pgl
        r["rss"] = rss_kb(st.pid)
        results[suffix] = r
        print(f"{suffix}: {r['rps']:.0f} req/s, p50 {r['p50']:.2f} ms, "
              f"p99 {r['p99']:.2f} ms (in apid: <= "
              f"{r['server_p99']:g} ms), non-2xx {r['non2xx']}"
              f"{', socket errors ' + r['errors'] if r['errors'] else ''}"
              f"; pgbench {pgl:.0f} tps -> {r['rps'] / pgl * 100:.0f} % "
              f"of pgbench, {r['rps'] / kore['rps'] * 100:.0f} % of kore"
              f"; worker RSS "
              f"{', '.join(f'{v / 1024:.1f} MB' for v in r['rss'].values())}")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as m:
        txt = m.read().decode()
    lq = re.search(r"apid_key_lease_queries_total (\d+)", txt).group(1)
    hits = re.search(r'result="hit"\} (\d+)', txt).group(1)
    miss = re.search(r'result="miss"\} (\d+)', txt).group(1)
    print(f"over the whole run: {lq} key lease queries, response cache "
          f"{hits} hits / {miss} misses")
    print(json.dumps({"kore": kore, "routes": results}))


if __name__ == "__main__":
    main()
