#!/usr/bin/env python3
"""oauth_bench.py -- the SaaS OAuth bridge end to end on loopback.

polarflow-apid (2 workers) and polarflow-syncd against polarsim and a
throwaway PostgreSQL: N users (default 100) each connected through the
bridge the way a browser and a SaaS backend do it -- /oauth/start, Polar's
consent page (polarsim), /oauth/callback (syncd exchanges the code and
registers the user), /oauth/exchange -- by C concurrent clients (default
4).  Prints connects/s and p50/p95 of each leg and of the whole flow.  It
measures; it does not pass or fail on a number.  Environment:
BENCH_USERS, BENCH_CONCURRENCY, BUILD.
"""
import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from syncd_bench import BUILD, KEY, bench_db, pct, req, start_sim  # noqa

USERS = int(os.environ.get("BENCH_USERS", "100"))
CONC = int(os.environ.get("BENCH_CONCURRENCY", "4"))
CB = "http://127.0.0.1:9/saas/cb"


def get(port, path, method="GET", body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.getheader("location"), r.read()
    finally:
        c.close()


def connect(apid_port, sim_port, user):
    """One user through the bridge: the seconds of each leg."""
    t = [time.monotonic()]
    st, loc, _ = get(apid_port, "/oauth/start?callback_url=" +
                     urllib.parse.quote(CB, safe=""))
    assert st == 302, st
    t.append(time.monotonic())
    u = urllib.parse.urlsplit(loc)
    st, loc, _ = get(sim_port, f"{u.path}?{u.query}&user={user}")
    assert st == 302, st
    t.append(time.monotonic())
    u = urllib.parse.urlsplit(loc)
    st, loc, body = get(apid_port, f"{u.path}?{u.query}")
    assert st == 302 and "status=connected" in loc, (st, loc, body)
    t.append(time.monotonic())
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)["code"][0]
    st, _, body = get(apid_port, "/oauth/exchange", "POST",
                      json.dumps({"code": code}),
                      {"Content-Type": "application/json"})
    assert st == 201, (st, body)
    t.append(time.monotonic())
    return [b - a for a, b in zip(t, t[1:])] + [t[-1] - t[0]]


def main():
    for b in ("bin/polarflow-syncd", "bin/polarflow-apid", "bin/polarctl"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            print(f"oauth_bench: {BUILD}/{b} not built, skipped")
            return 0
    work = tempfile.mkdtemp(prefix="oab.", dir="/tmp")
    os.chmod(work, 0o755)
    procs = []
    try:
        pgdir, url, env = bench_db(work)
        sim, simurl = start_sim("--users", str(USERS), "--days", "7",
                                "--seed", "5", "--rate-limit-15m",
                                "10000000", "--rate-limit-24h", "100000000")
        procs.append(sim)
        run = os.path.join(work, "run")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        conf = os.path.join(work, "polarflow.conf")
        with open(conf, "w") as f:
            for k, v in {
                    "database_url": url, "rundir": run, "api_port": port,
                    "api_workers": 2, "log_level": "warning",
                    "polar_client_id": "polarsim-client",
                    "polar_client_secret": "polarsim-secret",
                    "polar_api_url": simurl,
                    "polar_token_url": simurl + "/v2/oauth2/token",
                    "polar_auth_url": simurl + "/oauth2/authorization",
                    "oauth_allowed_callbacks": "http://127.0.0.1:9",
                    "encryption_key": KEY, "sync_enabled": "false"}.items():
                f.write(f"{k} = '{v}'\n")
        log = open(os.path.join(work, "daemons.log"), "ab")
        procs.append(subprocess.Popen(
            [os.path.join(BUILD, "bin", "polarflow-syncd"), "-f", conf],
            env=env, stderr=log))
        procs.append(subprocess.Popen(
            [os.path.join(BUILD, "bin", "polarflow-apid"), "-f", conf],
            env=env, stdout=log, stderr=log))
        for _ in range(200):
            try:
                if req(f"ipc://{run}/syncd.ctl", {"type": "status"}, 2):
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/health", timeout=1)
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise SystemExit("oauth_bench: daemons did not start")
        sim_port = urllib.parse.urlsplit(simurl).port
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(CONC) as ex:
            legs = list(ex.map(lambda u: connect(port, sim_port, u),
                               range(USERS)))
        wall = time.monotonic() - t0
        print(f"{USERS} users connected through the bridge by {CONC} "
              f"clients in {wall:.2f} s ({USERS / wall:.1f} connects/s)")
        for i, name in enumerate(("start", "polar consent (polarsim)",
                                  "callback (exchange+register)",
                                  "exchange (key)", "whole flow")):
            v = sorted(x[i] * 1000 for x in legs)
            print(f"  {name:30s} p50 {pct(v, 50):7.1f} ms   "
                  f"p95 {pct(v, 95):7.1f} ms")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run([os.path.join(os.path.dirname(__file__), "..",
                                     "tests", "pgcluster.sh"), "stop",
                        os.path.join(work, "pg")], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
