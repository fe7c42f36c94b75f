#!/usr/bin/env python3
"""syncd_bench.py -- polarflow-syncd against polarsim on loopback.

N users (default 200) with 28 days of every stream: authorise them all
through oauth.exchange, then let the scheduler run a full sync of
everyone, then a routine (incremental) sync of everyone.  Prints total wall
time, rows/s, API calls per user (full and routine), per-user sync latency
p50/p95 (sync_logs.duration_ms) and syncd's peak RSS (VmHWM).

The simulator's rate limit is lifted for the measurement (Polar's real
15-minute quota for 200 users, 4500 calls, would stretch a full sync of
everyone over several windows; the budget logic is covered by the
integration tests).  Environment: BENCH_USERS, BENCH_CONCURRENCY, BUILD.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PF_BUILD") or os.path.join(
    TOP, os.environ.get("BUILD", "build"))
PORT = str(5600 + os.getpid() % 300)
USERS = int(os.environ.get("BENCH_USERS", "200"))
CONC = int(os.environ.get("BENCH_CONCURRENCY", "4"))
KEY = "qUq8zVxYl8x2pJp1k3Xcwq0Q2r1yL7Gm0o6wJbY4a1E="
STREAMS = ["sleep", "nightly_recharge", "activity", "activity_samples",
           "exercise", "cardio_load", "sleepwise_alertness",
           "sleepwise_bedtime", "continuous_heart_rate", "spo2", "ecg",
           "body_temperature", "skin_temperature", "physical_info"]


def psql(url, sql):
    p = subprocess.run(["psql", "-X", "-qAt", "-d", url, "-c", sql],
                       capture_output=True, text=True, check=True)
    return p.stdout.strip()


def req(ctl, msg, timeout=30):
    p = subprocess.run([os.path.join(BUILD, "tests", "syncd-req"), ctl,
                        json.dumps(msg), str(timeout * 1000)],
                       capture_output=True, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else None


def sim_post(url, path, body=None):
    import urllib.request
    r = urllib.request.Request(url + path, method="POST",
                               data=json.dumps(body or {}).encode())
    with urllib.request.urlopen(r, timeout=30) as f:
        return json.loads(f.read() or b"null")


def pct(v, p):
    v = sorted(v)
    k = (len(v) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def rss_peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cpu_s(pids):
    """utime + stime of the given processes, in seconds."""
    tot = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            tot += int(parts[11]) + int(parts[12])
        except (OSError, IndexError, ValueError):
            pass
    return tot / os.sysconf("SC_CLK_TCK")


def pg_pids(pgdir):
    out = subprocess.run(["pgrep", "-f", pgdir], capture_output=True,
                         text=True).stdout.split()
    kids = []
    for p in out:
        kids += subprocess.run(["pgrep", "-P", p], capture_output=True,
                               text=True).stdout.split()
    return [int(p) for p in out + kids]


def run_until(url, pred_sql, want, timeout):
    # One connection for the whole wait: a psql per poll (a process and a
    # backend fork five times a second) took 12 % of the CPU being measured.
    import psycopg
    t0 = time.monotonic()
    with psycopg.connect(url, autocommit=True) as c:
        while time.monotonic() - t0 < timeout:
            if int(c.execute(pred_sql).fetchone()[0]) >= want:
                return time.monotonic() - t0
            time.sleep(0.2)
    raise SystemExit(f"syncd_bench: timed out waiting for: {pred_sql}")


def bench_db(work):
    """A throwaway PostgreSQL in work/pg with a migrated database "bench":
    (pgdir, its URL, the environment the programs run with)."""
    pgdir = os.path.join(work, "pg")
    os.environ["PGPORT_TEST"] = PORT
    subprocess.run([os.path.join(TOP, "tests", "pgcluster.sh"), "start",
                    pgdir], check=True, capture_output=True)
    admin = f"host={pgdir} port={PORT} user=postgres dbname=postgres"
    psql(admin, "CREATE DATABASE bench")
    url = f"host={pgdir} port={PORT} user=postgres dbname=bench"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("POLARFLOW_", "DATABASE_URL", "SYNC_",
                                "ENCRYPTION_KEY", "POLAR_"))}
    subprocess.run([os.path.join(BUILD, "bin", "polarctl"), "db",
                    "migrate"], env=dict(env, DATABASE_URL=url),
                   check=True, capture_output=True)
    return pgdir, url, env


def start_sim(*args):
    """polarsim on a free port with args: (process, its URL)."""
    p = subprocess.Popen(
        [sys.executable, os.path.join(TOP, "tests", "polarsim",
                                      "polarsim.py"),
         "--port", "0", "--quiet", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return p, p.stdout.readline().split()[-1]


def main():
    for b in ("bin/polarflow-syncd", "bin/polarctl", "tests/syncd-req"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            print(f"syncd_bench: {BUILD}/{b} not built, skipped")
            return 0
    work = tempfile.mkdtemp(prefix="sdb.", dir="/tmp")
    os.chmod(work, 0o755)
    sim = syncd = None
    try:
        pgdir, url, env = bench_db(work)
        sim, simurl = start_sim(
            "--users", str(USERS), "--days", "28", "--seed", "11",
            "--rate-limit-15m", "10000000", "--rate-limit-24h", "100000000")
        run = os.path.join(work, "run")
        conf = os.path.join(work, "polarflow.conf")

        def write_conf(enabled):
            with open(conf, "w") as f:
                for k, v in {
                        "database_url": url,
                        "polar_client_id": "polarsim-client",
                        "polar_client_secret": "polarsim-secret",
                        "polar_api_url": simurl,
                        "polar_token_url": simurl + "/v2/oauth2/token",
                        "encryption_key": KEY, "rundir": run,
                        "sync_enabled": enabled,
                        "sync_max_concurrency": str(CONC),
                        "log_level": "warning"}.items():
                    f.write(f"{k} = '{v}'\n")

        def start():
            p = subprocess.Popen([os.path.join(BUILD, "bin",
                                               "polarflow-syncd"), "-f", conf],
                                 env=env, stderr=open(os.path.join(
                                     work, "syncd.log"), "ab"))
            for _ in range(200):
                if req(f"ipc://{run}/syncd.ctl", {"type": "status"}, 2):
                    return p
                time.sleep(0.05)
            raise SystemExit("syncd_bench: syncd did not start")

        ctl = f"ipc://{run}/syncd.ctl"
        write_conf("false")
        syncd = start()
        for u in range(USERS):
            code = sim_post(simurl, f"/_sim/users/{u}/code")["code"]
            r = req(ctl, {"type": "oauth.exchange", "code": code})
            if not r or not r.get("ok"):
                raise SystemExit(f"syncd_bench: oauth.exchange failed: {r}")
        syncd.terminate()
        syncd.wait()

        write_conf("true")
        sim_cpu0 = cpu_s([sim.pid])
        t0 = time.monotonic()
        syncd = start()
        pgs = pg_pids(pgdir)
        pg_cpu0 = cpu_s(pgs)
        run_until(url, "SELECT count(*) FROM sync_logs WHERE status "
                  "<> 'started'", USERS, 3600)
        wall = time.monotonic() - t0
        rows = sum(int(psql(url, f"SELECT count(*) FROM {s}"))
                   for s in STREAMS)
        lat = [int(x) for x in psql(url, "SELECT duration_ms FROM sync_logs"
                                    ).split()]
        full_calls = float(psql(url, "SELECT avg(api_calls_made) FROM "
                                "sync_logs"))
        ok = int(psql(url, "SELECT count(*) FROM sync_logs WHERE "
                      "status = 'success'"))
        cpu_sd = cpu_s([syncd.pid])
        cpu_sim = cpu_s([sim.pid]) - sim_cpu0
        cpu_pg = cpu_s(pg_pids(pgdir)) - pg_cpu0

        t1 = time.monotonic()
        req(ctl, {"type": "sync.trigger", "all": True})
        run_until(url, "SELECT count(*) FROM sync_logs WHERE status "
                  "<> 'started'", 2 * USERS, 3600)
        wall2 = time.monotonic() - t1
        inc = psql(url, "SELECT avg(api_calls_made), percentile_cont(0.5) "
                   "WITHIN GROUP (ORDER BY duration_ms), percentile_cont("
                   "0.95) WITHIN GROUP (ORDER BY duration_ms) FROM (SELECT "
                   "* FROM sync_logs ORDER BY id DESC LIMIT %d) l" % USERS)
        inc_calls, inc_p50, inc_p95 = (float(x) for x in inc.split("|"))
        peak = rss_peak_kb(syncd.pid)
        syncd.terminate()
        rc = syncd.wait()

        print(f"syncd_bench: {USERS} users x 28 days, every stream, "
              f"concurrency {CONC}, polarsim on loopback")
        print(f"  full sync of everyone: wall {wall:.1f} s, {ok}/{USERS} "
              f"success, {rows} rows, {rows / wall:.0f} rows/s")
        print(f"  API calls per user: full {full_calls:.1f}, routine "
              f"{inc_calls:.1f} (ratio {inc_calls / full_calls:.2f}, "
              f"target <= 0.33)")
        print(f"  per-user full sync latency: p50 {pct(lat, 50):.0f} ms, "
              f"p95 {pct(lat, 95):.0f} ms (target p95 < 1000 ms)")
        print(f"  CPU per full user sync: syncd {cpu_sd / USERS * 1000:.0f}"
              f" ms, PostgreSQL {cpu_pg / USERS * 1000:.0f} ms, polarsim "
              f"{cpu_sim / USERS * 1000:.0f} ms ({os.cpu_count()} CPUs "
              f"shared by all three)")
        print(f"  routine sync of everyone: wall {wall2:.1f} s, latency "
              f"p50 {inc_p50:.0f} ms, p95 {inc_p95:.0f} ms")
        print(f"  syncd peak RSS: {peak / 1024:.1f} MB (target < 32 MB); "
              f"exit status {rc}")
        return 0
    finally:
        for p in (syncd, sim):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run([os.path.join(TOP, "tests", "pgcluster.sh"), "stop",
                        pgdir], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
