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
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PF_BUILD", os.path.join(TOP, "build"))
DUR = int(os.environ.get("HRV_BENCH_SECONDS", "10"))
USERS = 100
CONNS = 32
BEATS = 400


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True,
                          **kw)


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


def lat_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s)", s)
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 \
        if m.group(2) == "s" else v


def wrk(port, script):
    p = subprocess.run(["wrk", "-t2", f"-c{CONNS}", f"-d{DUR}s",
                        "--latency", "-s", script,
                        f"http://127.0.0.1:{port}"],
                       capture_output=True, text=True)
    out = p.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = lat_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = lat_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99,
            "non2xx": int(m.group(1)) if m else 0}


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


def main():
    work = tempfile.mkdtemp(prefix="pfhb.", dir="/tmp")
    os.chmod(work, 0o755)     # the postgres user must reach pg/
    pg = os.path.join(work, "pg")
    apid = None
    try:
        url = sh(os.path.join(TOP, "tests", "pgcluster.sh"), "start",
                 pg).stdout.strip()
        sh(os.path.join(BUILD, "bin", "polarctl"), "db", "migrate",
           env=dict(os.environ, DATABASE_URL=url))
        sh("psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", f"""
INSERT INTO users (user_id) SELECT 'h' || g FROM generate_series(1, {USERS}) g;
INSERT INTO api_keys (key_hash, key_prefix, user_id, rate_limit_requests)
  SELECT encode(sha256(convert_to(k, 'UTF8')), 'hex'), left(k, 12),
         'h' || g, 100000000
  FROM (SELECT g, 'pfk_' || left(lpad(to_hex(g * 7919 + 1), 40, '0'), 40) k
        FROM generate_series(1, {USERS}) g) s;
""")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        conf = os.path.join(work, "polarflow.conf")
        with open(conf, "w") as f:
            f.write(f"rundir = {work}/run\napi_port = {port}\n"
                    "api_workers = 2\napi_rate_limit = 100000000\n"
                    "log_level = warning\n")
        log = open(os.path.join(work, "apid.log"), "wb")
        apid = subprocess.Popen(
            [os.path.join(BUILD, "bin", "polarflow-apid"), "-f", conf],
            env=dict(os.environ, DATABASE_URL=url), stdout=log,
            stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health",
                                       timeout=1)
                break
            except OSError:
                time.sleep(0.1)
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
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as m:
            txt = m.read().decode()
        lq = re.search(r"apid_key_lease_queries_total (\d+)", txt).group(1)
        print(f"sessions stored: {n}; key lease queries: {lq}")
        print(json.dumps(results))
    finally:
        if apid is not None:
            apid.terminate()
            try:
                apid.wait(20)
            except subprocess.TimeoutExpired:
                apid.kill()
        subprocess.run([os.path.join(TOP, "tests", "pgcluster.sh"), "stop",
                        pg], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
