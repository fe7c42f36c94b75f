#!/usr/bin/env python3
"""partition_bench.py -- what migration 0019 and the online split cost on
a database that already holds years of history (issue 19).

Applies the migrations before 0019 to a private cluster, fills
activity_samples and continuous_heart_rate with users x years of daily
rows (a day of samples as jsonb each), then times "polarctl db migrate"
(0019: rename, attach as the default partition, one validating scan) and
"polarctl db partitions --split" (one month per transaction), and the
longest single month.  It measures; it does not pass or fail.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apid_bench as ab  # noqa: E402

USERS = int(os.environ.get("PART_BENCH_USERS", "200"))
YEARS = int(os.environ.get("PART_BENCH_YEARS", "3"))


def main():
    work = tempfile.mkdtemp(prefix="pfpb.", dir="/tmp")
    os.chmod(work, 0o755)
    pg = os.path.join(work, "pg")
    try:
        url = ab.sh(os.path.join(ab.TOP, "tests", "pgcluster.sh"), "start",
                    pg).stdout.strip()
        sqldir = os.path.join(ab.TOP, "sql")
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("CREATE TABLE schema_migrations (version integer "
                      "PRIMARY KEY, name text NOT NULL, checksum char(64) "
                      "NOT NULL, applied_at timestamptz NOT NULL DEFAULT "
                      "now(), applied_by text NOT NULL DEFAULT "
                      "current_user, duration_ms integer)")
            for f in sorted(os.listdir(sqldir)):
                if not f[:4].isdigit() or int(f[:4]) >= 19:
                    continue
                with open(os.path.join(sqldir, f), "rb") as fh:
                    sql = fh.read()
                with c.transaction():
                    c.execute(sql.decode())
                    c.execute("INSERT INTO schema_migrations (version, "
                              "name, checksum) VALUES (%s, %s, %s)",
                              (int(f[:4]), f[:-4],
                               hashlib.sha256(sql).hexdigest()))
            t0 = time.monotonic()
            c.execute(f"""
INSERT INTO activity_samples (user_id, date, total_steps, sample_count,
    samples)
  SELECT 'u' || u, current_date - d, 8000, 96,
         (SELECT jsonb_agg(jsonb_build_object('steps', s, 'timestamp',
             lpad((s / 4)::text, 2, '0') || ':00')) FROM
             generate_series(0, 95) s)
  FROM generate_series(1, {USERS}) u,
       generate_series(0, {YEARS * 365 - 1}) d""")
            c.execute(f"""
INSERT INTO continuous_heart_rate (user_id, date, sample_count, hr_min,
    hr_max, hr_avg, samples)
  SELECT 'u' || u, current_date - d, 288, 50, 120, 65,
         (SELECT jsonb_agg(jsonb_build_object('heart_rate', 60 + s % 30,
             'sample_time', s)) FROM generate_series(0, 287) s)
  FROM generate_series(1, {USERS}) u,
       generate_series(0, {YEARS * 365 - 1}) d""")
            c.execute("VACUUM ANALYZE")
            rows = c.execute("SELECT (SELECT count(*) FROM "
                             "activity_samples) + (SELECT count(*) FROM "
                             "continuous_heart_rate)").fetchone()[0]
            size = c.execute("SELECT pg_size_pretty(pg_total_relation_size("
                             "'activity_samples') + pg_total_relation_size("
                             "'continuous_heart_rate'))").fetchone()[0]
        print(f"{USERS} users x {YEARS} years: {rows} rows, {size}, filled "
              f"in {time.monotonic() - t0:.1f} s")
        env = dict(os.environ, DATABASE_URL=url)
        pctl = os.path.join(ab.BUILD, "bin", "polarctl")
        t0 = time.monotonic()
        ab.sh(pctl, "db", "migrate", env=env)
        print(f"db migrate (0019): {time.monotonic() - t0:.2f} s")
        # one month at a time, timed, as "db partitions --split" does it
        worst = 0.0
        months = 0
        t0 = time.monotonic()
        with psycopg.connect(url, autocommit=True) as c:
            for t in ("activity_samples", "continuous_heart_rate"):
                while True:
                    t1 = time.monotonic()
                    n = c.execute("SELECT pf_history_split(%s)",
                                  (t,)).fetchone()[0]
                    if n == 0:
                        break
                    months += 1
                    worst = max(worst, time.monotonic() - t1)
        print(f"split: {months} months in {time.monotonic() - t0:.1f} s, "
              f"the longest month (one transaction) {worst * 1000:.0f} ms")
    finally:
        subprocess.run([os.path.join(ab.TOP, "tests", "pgcluster.sh"),
                        "stop", pg], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
