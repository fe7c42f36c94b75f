#!/usr/bin/env python3
"""syncd_bigbody.py -- polarflow-syncd with one huge response.

One user, a few days of data; polarsim grows one day of continuous heart
rate to BENCH_BODY_MB (default 30) MB of JSON.  A full sync of the user
runs while the control socket is asked for "status" every 50 ms.  Prints
the body size, syncd's peak RSS (VmHWM) before and after the sync, the
growth as a multiple of the body, the slowest control-socket answer
during the sync and the sync's duration.  Environment: BENCH_BODY_MB,
BUILD.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import syncd_bench
from syncd_bench import psql, req, rss_peak_kb as hwm_kb

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PF_BUILD") or os.path.join(
    TOP, os.environ.get("BUILD", "build"))
MB = float(os.environ.get("BENCH_BODY_MB", "30"))


def sim(url, path, body=None, method="POST"):
    r = urllib.request.Request(url + path, method=method,
                               data=json.dumps(body or {}).encode())
    with urllib.request.urlopen(r, timeout=120) as f:
        return json.loads(f.read() or b"null")


def main():
    for b in ("bin/polarflow-syncd", "bin/polarctl", "tests/syncd-req"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            print(f"syncd_bigbody: {BUILD}/{b} not built, skipped")
            return 0
    work = tempfile.mkdtemp(prefix="sdbb.", dir="/tmp")
    os.chmod(work, 0o755)
    simp = syncd = None
    try:
        pgdir, url, env = syncd_bench.bench_db(work)
        simp, simurl = syncd_bench.start_sim(
            "--users", "1", "--days", "3", "--seed", "5", "--no-gzip")
        run = os.path.join(work, "run")
        conf = os.path.join(work, "polarflow.conf")
        with open(conf, "w") as f:
            for k, v in {
                    "database_url": url,
                    "polar_client_id": "polarsim-client",
                    "polar_client_secret": "polarsim-secret",
                    "polar_api_url": simurl,
                    "polar_token_url": simurl + "/v2/oauth2/token",
                    "encryption_key": syncd_bench.KEY, "rundir": run,
                    "sync_enabled": "false",
                    "sync_http_timeout_seconds": "300",
                    "log_level": "warning"}.items():
                f.write(f"{k} = '{v}'\n")
        syncd = subprocess.Popen([os.path.join(BUILD, "bin",
                                               "polarflow-syncd"), "-f", conf],
                                 env=env, stderr=open(os.path.join(
                                     work, "syncd.log"), "ab"))
        ctl = f"ipc://{run}/syncd.ctl"
        for _ in range(200):
            if req(ctl, {"type": "status"}, 2):
                break
            time.sleep(0.05)
        code = sim(simurl, "/_sim/users/0/code")["code"]
        uid = req(ctl, {"type": "oauth.exchange", "code": code})[
            "polar_user_id"]
        # a first, ordinary sync: the baseline peak
        req(ctl, {"type": "sync.trigger", "user_id": uid, "wait": True}, 300)
        base = hwm_kb(syncd.pid)
        today = sim(simurl, "/_sim/state", method="GET")["today"]
        sim(simurl, "/_sim/patches", {
            "glob": f"/v3/users/continuous-heart-rate/{today}",
            "grow": {"key": "heart_rate_samples",
                     "bytes": int(MB * 1024 * 1024)}})
        t0 = time.monotonic()
        assert req(ctl, {"type": "sync.trigger", "user_id": uid})["ok"]
        worst = 0.0
        while True:
            t = time.monotonic()
            st = req(ctl, {"type": "status"}, 120)
            worst = max(worst, time.monotonic() - t)
            if st and st.get("in_flight") == []:
                break
            time.sleep(0.05)
        took = time.monotonic() - t0
        peak = hwm_kb(syncd.pid)
        body = int(psql(url, "SELECT octet_length(samples::text) FROM "
                        "continuous_heart_rate ORDER BY octet_length("
                        "samples::text) DESC NULLS LAST LIMIT 1"))
        status = psql(url, "SELECT status || ' ' || coalesce(error_message, "
                      "'') FROM sync_logs ORDER BY id DESC LIMIT 1")
        print(f"body (stored series)  {body / 1048576:8.1f} MB")
        print(f"syncd peak RSS        {base / 1024:8.1f} MB before, "
              f"{peak / 1024:.1f} MB after")
        print(f"growth                {(peak - base) * 1024 / body:8.2f} x "
              "the body")
        print(f"slowest status reply  {worst * 1000:8.0f} ms while syncing")
        print(f"sync                  {took:8.1f} s ({status})")
        return 0
    finally:
        if syncd is not None:
            syncd.terminate()
            syncd.wait()
        if simp is not None:
            simp.kill()
            simp.wait()
        subprocess.run([os.path.join(TOP, "tests", "pgcluster.sh"), "stop",
                        pgdir], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
