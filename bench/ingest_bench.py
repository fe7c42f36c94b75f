#!/usr/bin/env python3
"""ingest_bench.py -- "make bench" for Apple Health pushes (apid).

Starts a private PostgreSQL cluster and polarflow-apid (2 workers), then
pushes Health Auto Export bodies through POST /api/v1/ingest:

  daily push   INGEST_BENCH_PUSHES (20) bodies of 5,000 samples each
               (heart rate Min/Avg/Max, steps, energy; new windows each
               time): latency per push, p50 and p95
  throughput   one body of INGEST_BENCH_SAMPLES (1,000,000) samples:
               samples stored per second, end to end (raw body stored,
               parsed, upserted); then the same window resent one second
               later (every sample overlaps stored ones: the upsert path)
               On a shared machine the wall clock measures the other
               tenants too, so each also prints the CPU time apid and
               PostgreSQL spent on it, and samples per CPU second.
  big export   a generated full-history export of INGEST_BENCH_MB (200)
               MB, streamed from disk: the growth of apid's worker RSS
               (sampled every 20 ms) over its value before, and whether
               the rows stored equal the samples sent

It measures; it does not pass or fail on a number.
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("PF_BUILD", os.path.join(TOP, "build"))
PUSHES = int(os.environ.get("INGEST_BENCH_PUSHES", "20"))
SAMPLES = int(os.environ.get("INGEST_BENCH_SAMPLES", "1000000"))
BIG_MB = int(os.environ.get("INGEST_BENCH_MB", "200"))
KEY = "pfk_" + "ab" * 20
DAY0 = 1735689600          # 2025-01-01T00:00:00Z


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True,
                          **kw)


def stamp(t):
    return time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(t))


def write_body(f, n, t0):
    """n samples from t0 on, one a second, in three metrics; returns n."""
    per = n // 3
    rest = n - 3 * per
    f.write(b'{"data": {"metrics": [')
    metrics = [("heart_rate", "count/min", per + rest),
               ("step_count", "count", per), ("active_energy", "kcal", per)]
    for mi, (name, unit, k) in enumerate(metrics):
        f.write(b'%s{"name": "%s", "units": "%s", "data": [' % (
            b"," if mi else b"", name.encode(), unit.encode()))
        buf = []
        for i in range(k):
            d = stamp(t0 + i)
            if name == "heart_rate":
                buf.append('{"date": "%s", "Min": %d, "Avg": %d.5, '
                           '"Max": %d, "source": "Apple Watch"}'
                           % (d, 50 + i % 40, 55 + i % 40, 60 + i % 40))
            else:
                buf.append('{"date": "%s", "qty": %d.25, "source": '
                           '"iPhone"}' % (d, i % 100))
            if len(buf) == 5000:
                f.write((("," if i >= 5000 else "") + ",".join(buf))
                        .encode())
                buf = []
        if buf:
            f.write((("," if k > len(buf) else "") + ",".join(buf))
                    .encode())
        f.write(b"]}")
    f.write(b"]}}")
    return n


def body_bytes(n, t0):
    import io
    b = io.BytesIO()
    write_body(b, n, t0)
    return b.getvalue()


def push(port, body, length=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    c.request("POST", "/api/v1/ingest", body=body, headers={
        "Authorization": "Bearer " + KEY,
        "Content-Type": "application/json",
        "Content-Length": str(length if length is not None else
                              len(body))})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data)


def cpu_seconds(pids):
    t = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        t += int(st[11]) + int(st[12])
    return t / os.sysconf("SC_CLK_TCK")


def children(parent):
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(st[1]) == parent:
            out.append(int(p))
    return out


def workers(parent):
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                st = f.read()
        except OSError:
            continue
        if f"\nPPid:\t{parent}\n" in st:
            for line in st.splitlines():
                if line.startswith("VmRSS:"):
                    out[int(pid)] = int(line.split()[1])
    return out


def main():
    work = tempfile.mkdtemp(prefix="pfib.", dir="/var/tmp")
    os.chmod(work, 0o755)
    pg = os.path.join(work, "pg")
    apid = None
    try:
        url = sh(os.path.join(TOP, "tests", "pgcluster.sh"), "start",
                 pg).stdout.strip()
        sh(os.path.join(BUILD, "bin", "polarctl"), "db", "migrate",
           env=dict(os.environ, DATABASE_URL=url))
        sh("psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
           "INSERT INTO users (user_id) VALUES ('bench');"
           "INSERT INTO api_keys (key_hash, key_prefix, user_id,"
           " rate_limit_requests) VALUES (encode(sha256(convert_to("
           f"'{KEY}', 'UTF8')), 'hex'), left('{KEY}', 12), 'bench',"
           " 100000000)")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        conf = os.path.join(work, "polarflow.conf")
        with open(conf, "w") as f:
            f.write(f"rundir = {work}/run\napi_port = {port}\n"
                    "api_workers = 2\napi_rate_limit = 100000000\n"
                    "api_ingest_body_max_kb = 4194304\n"
                    "api_ingest_quota_kb_per_hour = 0\n"
                    f"api_ingest_spool_dir = {work}\n"
                    "log_level = %s\n" % os.environ.get(
                        "INGEST_BENCH_LOG_LEVEL", "warning"))
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

        # a typical daily push: 5,000 samples, a new window each time
        lat = []
        for i in range(PUSHES):
            body = body_bytes(5000, DAY0 + i * 86400)
            t = time.monotonic()
            st, rep = push(port, body)
            lat.append((time.monotonic() - t) * 1000)
            assert st == 200 and rep["samples_stored"] == 5000, rep
        lat.sort()
        p50 = lat[len(lat) // 2]
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        print(f"daily push (5,000 samples, {len(body)} bytes): "
              f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {lat[-1]:.1f} ms "
              f"over {PUSHES} pushes")

        # throughput into PostgreSQL, end to end: new, then resent
        with open(os.path.join(pg, "data", "postmaster.pid")) as f:
            postmaster = int(f.readline())
        thr = {}
        for what, t0 in (("new", DAY0 + 400 * 86400),
                         ("resent", DAY0 + 400 * 86400 + 1)):
            body = body_bytes(SAMPLES, t0)
            procs = children(apid.pid) + children(postmaster)
            c0 = cpu_seconds(procs)
            t = time.monotonic()
            st, rep = push(port, body)
            dur = time.monotonic() - t
            cpu = cpu_seconds(procs) - c0
            thr[what] = rep['samples_stored'] / dur
            print(f"throughput ({what}): {SAMPLES} samples "
                  f"({len(body) / 1e6:.0f} MB) in {dur:.2f} s = "
                  f"{rep['samples_stored'] / dur:,.0f} samples/s (status "
                  f"{st}, {rep['samples_stored']} stored); CPU "
                  f"{cpu:.2f} s = {SAMPLES / max(cpu, 1e-9):,.0f} "
                  f"samples per CPU second")
            del body

        # a full-history export from disk, apid's RSS watched
        path = os.path.join(work, "export.json")
        n = BIG_MB * 1000000 // 80
        with open(path, "wb") as f:
            n = write_body(f, n, DAY0 - 3 * 365 * 86400)
        size = os.path.getsize(path)
        base = workers(apid.pid)
        peak = dict(base)
        done = threading.Event()

        def watch():
            while not done.is_set():
                for p, v in workers(apid.pid).items():
                    peak[p] = max(peak.get(p, 0), v)
                time.sleep(0.02)
        th = threading.Thread(target=watch)
        th.start()
        t = time.monotonic()
        with open(path, "rb") as f:
            st, rep = push(port, f, size)
        dur = time.monotonic() - t
        done.set()
        th.join()
        rows = int(sh("psql", "-At", url, "-c",
                      "SELECT count(*) FROM health_samples WHERE "
                      f"ingestion_id = {rep['ingestion_id']}").stdout)
        growth = max(peak.get(p, 0) - base.get(p, 0) for p in peak)
        print(f"big export: {size / 1e6:.0f} MB, {n} samples in "
              f"{dur:.1f} s ({n / dur:,.0f} samples/s), status {st}; "
              f"rows stored {rows} ({'all' if rows == n else 'MISSING'}); "
              f"worker RSS before "
              f"{', '.join(f'{v / 1024:.1f}' for v in base.values())} MB, "
              f"peak {', '.join(f'{v / 1024:.1f}' for v in peak.values())}"
              f" MB: growth {growth / 1024:.1f} MB")
        print(json.dumps({"push_p50_ms": p50, "push_p95_ms": p95,
                          "samples_per_s_new": thr["new"],
                          "samples_per_s_resent": thr["resent"],
                          "big_rss_growth_mb": growth / 1024,
                          "big_rows_ok": rows == n}))
    finally:
        if apid is not None:
            apid.terminate()
            try:
                apid.wait(20)
            except subprocess.TimeoutExpired:
                apid.kill()
        subprocess.run([os.path.join(TOP, "tests", "pgcluster.sh"), "stop",
                        pg], capture_output=True)
        if os.environ.get("INGEST_BENCH_LOG"):
            shutil.copy(os.path.join(work, "apid.log"),
                        os.environ["INGEST_BENCH_LOG"])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
