#!/usr/bin/env python3
"""replica_bench.py -- polarflow-apid reading on a streaming replica
against reading on the primary (issue 19).

Seeds users x days into a private cluster (apid_bench.py's seed), makes a
hot standby of it (pg_basebackup -R), then runs wrk (64 connections,
random users with their keys) against /sleep?days=N, N random in 1..365
so that the response cache, which never keeps answers read on the
replica, hardly helps the primary either, for the same apid
configuration twice: database_url alone, then with database_url_replica.
Prints req/s, p50/p99 and the ratio replica/primary, and the replica's
read count from apid's metrics.  Both clusters share this machine's
cores with apid and wrk, so the ratio is what it shows here, not on two
machines.  It measures; it does not pass or fail on a number.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

os.environ.setdefault("APID_BENCH_USERS", "300")
os.environ.setdefault("APID_BENCH_DAYS", "365")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apid_bench as ab  # noqa: E402

REPLICA_PORT = 5433


def as_owner(*argv):
    if os.getuid() == 0:
        argv = ("runuser", "-u", "postgres", "--") + argv
    return ab.sh(*argv)


def start_apid(work, name, url, replica_url):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    conf = os.path.join(work, f"{name}.conf")
    with open(conf, "w") as f:
        f.write(f"rundir = {work}/run-{name}\napi_port = {port}\n"
                "api_workers = 2\napi_rate_limit = 100000000\n"
                "log_level = warning\n")
        if replica_url:
            f.write(f"database_url_replica = '{replica_url}'\n")
    log = open(os.path.join(work, f"{name}.log"), "wb")
    p = subprocess.Popen([os.path.join(ab.BUILD, "bin", "polarflow-apid"),
                          "-f", conf], env=dict(os.environ, DATABASE_URL=url),
                         stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health",
                                   timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return p, port


def stop(p):
    p.terminate()
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()


def metric(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as m:
        txt = m.read().decode()
    m = re.search(rf"^{name} (\d+)$", txt, re.M)
    return int(m.group(1)) if m else 0


def main():
    work = tempfile.mkdtemp(prefix="pfrb.", dir="/tmp")
    os.chmod(work, 0o755)
    pg = os.path.join(work, "pg")
    rep = os.path.join(work, "rep")
    procs = []
    try:
        url = ab.sh(os.path.join(ab.TOP, "tests", "pgcluster.sh"), "start",
                    pg).stdout.strip()
        ab.sh(os.path.join(ab.BUILD, "bin", "polarctl"), "db", "migrate",
              env=dict(os.environ, DATABASE_URL=url))
        ab.seed(url)
        os.mkdir(rep)
        if os.getuid() == 0:
            shutil.chown(rep, "postgres", "postgres")
        as_owner(os.path.join(ab.PGBIN, "pg_basebackup"), "-D",
                 f"{rep}/data", "-R", "-X", "stream", "-c", "fast", "-h",
                 pg, "-p", "5432", "-U", "postgres")
        as_owner(os.path.join(ab.PGBIN, "pg_ctl"), "-D", f"{rep}/data",
                 "-l", f"{rep}/server.log", "-w", "-o",
                 f"-c listen_addresses= -k {rep} -p {REPLICA_PORT} "
                 "-c hot_standby=on -c max_connections=200", "start")
        rep_url = url.replace(f"host={pg}", f"host={rep}").replace(
            "port=5432", f"port={REPLICA_PORT}")
        print(f"seeded {ab.USERS} users x {ab.DAYS} days; standby up")

        lua = os.path.join(work, "users.lua")
        with open(lua, "w") as f:
            f.write("local u = {\n")
            for uid, k in ab.keys():
                f.write(f'{{"{uid}","{k}"}},\n')
            f.write("}\nrequest = function()\n"
                    "  local x = u[math.random(#u)]\n"
                    '  return wrk.format("GET", "/api/v1/users/" .. x[1] '
                    '.. "/sleep?days=" .. math.random(365), '
                    '{["X-API-Key"] = x[2]})\nend\n')
        res = {}
        for name, r_url in (("primary", None), ("replica", rep_url)):
            p, port = start_apid(work, name, url, r_url)
            procs.append(p)
            subprocess.run(["wrk", "-t2", "-c64", "-d2s", "-s", lua,
                            f"http://127.0.0.1:{port}"], capture_output=True)
            r = ab.wrk(port, lua)
            r["replica_reads"] = metric(port, "apid_replica_reads_total")
            r["replica_fallbacks"] = metric(port,
                                            "apid_replica_fallbacks_total")
            res[name] = r
            print(f"{name}: {r['rps']:.0f} req/s, p50 {r['p50']:.2f} ms, "
                  f"p99 {r['p99']:.2f} ms, non-2xx {r['non2xx']}, replica "
                  f"reads {r['replica_reads']}, fallbacks "
                  f"{r['replica_fallbacks']}")
            stop(p)
            procs.remove(p)
        ratio = res["replica"]["rps"] / res["primary"]["rps"] * 100
        print(f"/sleep?days=1..365 on the replica: {ratio:.0f} % of the "
              f"primary's throughput")
        print(json.dumps(res))
    finally:
        for p in procs:
            stop(p)
        if os.path.exists(f"{rep}/data"):
            subprocess.run(["runuser", "-u", "postgres", "--",
                            os.path.join(ab.PGBIN, "pg_ctl"), "-D",
                            f"{rep}/data", "-m", "fast", "stop"]
                           if os.getuid() == 0 else
                           [os.path.join(ab.PGBIN, "pg_ctl"), "-D",
                            f"{rep}/data", "-m", "fast", "stop"],
                           capture_output=True)
        subprocess.run([os.path.join(ab.TOP, "tests", "pgcluster.sh"),
                        "stop", pg], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
