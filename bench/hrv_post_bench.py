#!/usr/bin/env python3
"""hrv_post_bench.py -- "make bench": POST of 5-minute HRV sessions (~400
RR intervals) to polarflow-apid, end to end.

Starts a private PostgreSQL cluster (tests/pgcluster.sh: fsync off, as
every bench here), 100 users with keys, polarflow-apid (kore, 2 workers),
and runs wrk (32 connections) posting sessions to apid's own route
(POST /api/v1/users/{u}/hrv/sessions, recording id made by the server)
and to the HRV Metrics API's (POST /api/hrv/session, a unique
recordingSessionId per request).  Each request is parsed, checked,
analysed by common/hrv in the worker and stored with its series and
results in one INSERT.  Prints req/s, latency and the non-2xx count; it
measures, it does not pass or fail on a number.
"""
import json
import math
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import psql, sh  # noqa: E402

DUR = int(os.environ.get("HRV_BENCH_SECONDS", "10"))
USERS = 100
CONNS = 32
BEATS = 400


def rr_series():
    # 5 minutes around 750 ms: respiration (0.25 Hz), Mayer waves
    # (0.1 Hz), a slow drift and two ectopic beats to correct.
    rr, t = [], 0.0
    for i in range(BEATS):
        v = 750 + 35 * math.sin(2 * math.pi * 0.25 * t) \
            + 20 * math.sin(2 * math.pi * 0.1 * t) + 15 * math.sin(t / 60)
        rr.append(round(v))
        t += v / 1000
    rr[120], rr[121] = rr[120] - 250, rr[121] + 250
    rr[300] = rr[300] + 400
    return rr


def wrk(port, script):
    r = benchlib.wrk(port, script, CONNS, DUR)
    del r["out"]
    return r


def cpu_s(pids):
    """utime + stime of the processes, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    t = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            t += int(st[11]) + int(st[12]) + int(st[13]) + int(st[14])
        except OSError:
            pass
    return t / tick


def tree(root):
    """root and every process below it."""
    kids = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        kids.setdefault(ppid, []).append(int(pid))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def lua(path, compat, rr, tag):
    users = ",\n".join(
        f'{{"h{g}","pfk_{("%040x" % (g * 7919 + 1))[:40]}"}}'
        for g in range(1, USERS + 1))
    rrs = ",".join(map(str, rr))
    if compat:
        body = ('\'{"user_id":"\' .. x[1] .. \'@example.org",'
                '"recordingSessionId":"\' .. id .. \'",'
                '"timestamp":"2026-03-25T06:10:00Z",'
                '"tags":["\' .. TAG .. \'"],'
                '"device_info":{"model":"Polar H10"},'
                f'"rrIntervals":[{rrs}]}}\'')
        path_expr = '"/api/hrv/session"'
    else:
        body = ('\'{"recorded_at":"2026-03-25T06:10:00Z",'
                '"tags":["\' .. TAG .. \'"],'
                f'"rr_intervals":[{rrs}]}}\'')
        path_expr = '"/api/v1/users/" .. x[1] .. "/hrv/sessions"'
    with open(path, "w") as f:
        f.write(f"local u = {{\n{users}\n}}\n"
                f"local n = 0\nlocal TAG = '{tag}'\n"
                # unique per wrk run: the warm-up's ids are not reused
                "local RUN = tostring(os.time())\n"
                "local threads = 0\n"
                "setup = function(thread)\n"
                "  threads = threads + 1\n"
                "  thread:set('tid', threads)\nend\n"
                "request = function()\n"
                "  n = n + 1\n"
                "  local x = u[math.random(#u)]\n"
                "  local id = 'b' .. RUN .. '-' .. tostring(tid) .. '-' ..\n"
                "    tostring(n)\n"
                f"  local body = {body}\n"
                f"  return wrk.format('POST', {path_expr},\n"
                "    {['X-API-Key'] = x[2],\n"
                "     ['Content-Type'] = 'application/json'}, body)\n"
                "end\n")


def seed(url):
    psql(url, f"""
INSERT INTO users (user_id) SELECT 'h' || g FROM generate_series(1, {USERS}) g;
INSERT INTO api_keys (key_hash, key_prefix, user_id, rate_limit_requests)
  SELECT encode(sha256(convert_to(k, 'UTF8')), 'hex'), left(k, 12),
         'h' || g, 100000000
  FROM (SELECT g, 'pfk_' || left(lpad(to_hex(g * 7919 + 1), 40, '0'), 40) k
        FROM generate_series(1, {USERS}) g) s;
""")


def main():
    with benchlib.ApidStack("pfhb.", seed=seed) as st:
        run(st)


def run(st):
    work, pg, port, url, apid = st.work, st.pg, st.port, st.url, st.proc
    rr = rr_series()
    with open(os.path.join(pg, "data", "postmaster.pid")) as f:
        postmaster = int(f.readline())
    results = {}
    # "Sleep" feeds no analytics; "Rest", a morning tag, marks the
    # user for analyticsd in the same transaction (and so NOTIFYs).
    for name, compat, tag in (("native", False, "Sleep"),
                              ("compat", True, "Sleep"),
                              ("native", False, "Rest")):
        script = os.path.join(work, f"{name}.lua")
        lua(script, compat, rr, tag)
        # a short warm-up: connections, caches, plans
        subprocess.run(["wrk", "-t2", f"-c{CONNS}", "-d2s", "-s",
                        script, f"http://127.0.0.1:{port}"],
                       capture_output=True)
        # CPU per request, apid's and PostgreSQL's: what 2 dedicated
        # cores could serve, whatever else shares this machine now
        a0, p0 = cpu_s(tree(apid.pid)), cpu_s(tree(postmaster))
        r = wrk(port, script)
        a1, p1 = cpu_s(tree(apid.pid)), cpu_s(tree(postmaster))
        n = r["rps"] * DUR
        r["apid_cpu_ms"] = (a1 - a0) * 1000 / n
        r["pg_cpu_ms"] = (p1 - p0) * 1000 / n
        r["capacity_2cores"] = 2000 / (r["apid_cpu_ms"] +
                                       r["pg_cpu_ms"])
        results[f"{name}_{tag}"] = r
        print(f"POST {BEATS}-beat sessions ({name} route, {tag}): "
              f"{r['rps']:.0f} req/s, p50 {r['p50']:.2f} ms, "
              f"p99 {r['p99']:.2f} ms, non-2xx {r['non2xx']}; CPU "
              f"per request: apid {r['apid_cpu_ms']:.2f} ms, "
              f"PostgreSQL {r['pg_cpu_ms']:.2f} ms -> "
              f"{r['capacity_2cores']:.0f} req/s on 2 idle cores; "
              f"load average {os.getloadavg()[0]:.1f}")
    n = sh("psql", "-At", url, "-c",
           "SELECT count(*) FROM hrv_sessions").stdout.strip()
    lq = re.search(r"apid_key_lease_queries_total (\d+)",
                   st.metrics()).group(1)
    print(f"sessions stored: {n}; key lease queries: {lq}")
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
