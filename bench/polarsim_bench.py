#!/usr/bin/env python3
"""Throughput of tests/polarsim: small authenticated GETs over keep-alive.

Starts the simulator on 127.0.0.1 (port 0), gets a token through its control
API, drives it with wrk when installed (and with a Python http.client
keep-alive client in any case), prints requests/s, and stops the simulator.

    /usr/bin/python3 bench/polarsim_bench.py [--seconds 5] [--connections 16]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "..", "tests", "polarsim", "polarsim.py")
PATHS = ["/v3/users/physical-info", "/v3/users/sleep/{d}", "/v3/users/cardio-load/{d}",
         "/v3/users/nightly-recharge/{d}"]


def start_sim():
    p = subprocess.Popen([sys.executable, SIM, "--port", "0", "--users", "3", "--days", "120",
                          "--today", "2026-11-23", "--register-all",
                          "--rate-limit-15m", "1000000000", "--rate-limit-24h", "1000000000"],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"http://([\d.]+):(\d+)", line)
    if not m:
        p.kill()
        raise SystemExit("simulator did not start: %r" % line)
    return p, m.group(1), int(m.group(2))


def control(host, port, method, path, body=None):
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request(method, path, body=json.dumps(body or {}))
    r = c.getresponse()
    data = json.loads(r.read())
    c.close()
    return data


def py_client(host, port, token, seconds, nthreads):
    counts = [0] * nthreads
    errors = [0] * nthreads
    stop = time.monotonic() + seconds

    def worker(i):
        c = http.client.HTTPConnection(host, port, timeout=10)
        hdr = {"Authorization": "Bearer " + token, "Accept": "application/json"}
        path = PATHS[0]
        n = e = 0
        while time.monotonic() < stop:
            c.request("GET", path, headers=hdr)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                e += 1
            n += 1
        c.close()
        counts[i], errors[i] = n, e
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(nthreads)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    el = time.monotonic() - t0
    return sum(counts) / el, sum(counts), sum(errors)


def wrk(host, port, token, seconds, conns):
    exe = shutil.which("wrk")
    if not exe:
        return None
    out = subprocess.run([exe, "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency",
                          "-H", "Authorization: Bearer " + token, "-H", "Accept: application/json",
                          "http://%s:%d%s" % (host, port, PATHS[0])],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return (float(m.group(1)) if m else None), out, int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=8, help="Python client threads")
    a = ap.parse_args()
    p, host, port = start_sim()
    try:
        tok = control(host, port, "POST", "/_sim/users/0/token", {"register": True})["access_token"]
        # warm the response cache
        py_client(host, port, tok, 0.3, 1)
        w = wrk(host, port, tok, a.seconds, a.connections)
        if w is not None:
            rps, out, non2xx = w
            print("wrk -t2 -c%d GET %s: %.0f requests/s (non-2xx: %d)" % (a.connections, PATHS[0], rps or 0, non2xx))
        rps, n, err = py_client(host, port, tok, a.seconds, a.threads)
        print("python http.client x%d keep-alive GET %s: %.0f requests/s (%d requests, %d errors)"
              % (a.threads, PATHS[0], rps, n, err))
        best = max(rps, (w[0] or 0) if w else 0)
        print("polarsim throughput: %.0f requests/s" % best)
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


if __name__ == "__main__":
    main()
