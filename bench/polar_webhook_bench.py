#!/usr/bin/env python3
"""polar_webhook_bench.py -- Polar webhooks in, end to end on loopback.

polarflow-apid and polarflow-syncd against polarsim and a throwaway
PostgreSQL.  N users (default 20) are connected and fully synced, the
partner webhook is registered (polar.webhook.create), then:

* latency: new data at polarsim (a night, an exercise) makes it post a
  signed event to apid; from apid's insert of the delivery to the commit
  of the sync it caused (both the database's clock), p50/p95, first one
  event at a time, then a burst of one event per user at once;
* Polar calls: what a routine poll of every stream costs, what the sync
  of each event type costs, and from those the calls per user-day with
  polling alone (sync_interval_minutes, default 60) and with webhooks
  (a day's events plus the stretched safety-net poll,
  polar_webhook_poll_minutes, default 360).

It measures; it does not pass or fail on a number.  Environment:
BENCH_USERS, BENCH_EVENTS, BUILD.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from syncd_bench import BUILD, KEY, bench_db, pct, req  # noqa
from syncd_bench import sim_post, start_sim  # noqa

USERS = int(os.environ.get("BENCH_USERS", "20"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "40"))
POLL_MIN = 60
HOOK_POLL_MIN = 360
# A user's day as Polar announces it: one night, a few activity
# summaries as the watch syncs, one continuous-HR day, one exercise.
DAY = {"SLEEP": 1, "ACTIVITY_SUMMARY": 4, "CONTINUOUS_HEART_RATE": 1,
       "EXERCISE": 1}


def sim_get(url, path):
    with urllib.request.urlopen(url + path, timeout=30) as f:
        return json.loads(f.read())


def sql(conn, q, *a):
    return conn.execute(q, a).fetchone()[0]


def wait(conn, q, want, timeout=120):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if int(sql(conn, q)) >= want:
            return
        time.sleep(0.02)
    rows = conn.execute("SELECT status, note, count(*) FROM "
                        "polar_webhook_events GROUP BY 1, 2").fetchall()
    raise SystemExit(f"polar_webhook_bench: timed out waiting for {q} "
                     f"({want}); deliveries {rows}")


DONE = ("SELECT count(*) FROM polar_webhook_events e JOIN sync_logs l"
        " ON l.sync_id::text = e.sync_id WHERE e.status = 'synced'"
        " AND l.status <> 'started'")
LAT = ("SELECT extract(epoch FROM l.completed_at - e.received_at) * 1000"
       " FROM polar_webhook_events e JOIN sync_logs l"
       " ON l.sync_id::text = e.sync_id WHERE e.status = 'synced'"
       " AND e.id > %s ORDER BY e.id")


def calls(simurl, fn):
    sim_post(simurl, "/_sim/stats/reset")
    fn()
    st = sim_get(simurl, "/_sim/stats")
    return sum(v for k, v in st["by_pattern"].items()
               if "webhooks" not in k)


def main():
    for b in ("bin/polarflow-syncd", "bin/polarflow-apid", "tests/syncd-req"):
        if not os.access(os.path.join(BUILD, b), os.X_OK):
            print(f"polar_webhook_bench: {BUILD}/{b} not built, skipped")
            return 0
    import psycopg
    work = tempfile.mkdtemp(prefix="pwb.", dir="/tmp")
    os.chmod(work, 0o755)
    procs = []
    try:
        pgdir, url, env = bench_db(work)
        sim, simurl = start_sim("--users", str(USERS), "--days", "30",
                                "--seed", "11", "--rate-limit-15m",
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
                    "encryption_key": KEY, "sync_enabled": "false",
                    "sync_interval_minutes": POLL_MIN,
                    "polar_webhook_poll_minutes": HOOK_POLL_MIN}.items():
                f.write(f"{k} = '{v}'\n")
        log = open(os.path.join(work, "daemons.log"), "ab")
        procs.append(subprocess.Popen(
            [os.path.join(BUILD, "bin", "polarflow-syncd"), "-f", conf],
            env=env, stderr=log))
        procs.append(subprocess.Popen(
            [os.path.join(BUILD, "bin", "polarflow-apid"), "-f", conf],
            env=env, stdout=log, stderr=log))
        ctl = f"ipc://{run}/syncd.ctl"
        for _ in range(200):
            try:
                if req(ctl, {"type": "status"}, 2):
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/health", timeout=1)
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise SystemExit("polar_webhook_bench: daemons did not start")
        uids = []
        for i in range(USERS):
            code = sim_post(simurl, f"/_sim/users/{i}/code")["code"]
            r = req(ctl, {"v": 1, "type": "oauth.exchange", "code": code,
                          "redirect_uri": "http://localhost/cb"}, 60)
            assert r and r.get("ok"), r
            uids.append(r["polar_user_id"])
            r = req(ctl, {"v": 1, "type": "sync.trigger",
                          "user_id": uids[-1], "wait": True}, 300)
            assert r and r.get("ok"), r
        r = req(ctl, {"v": 1, "type": "polar.webhook.create",
                      "url": f"http://127.0.0.1:{port}/polar/webhook"}, 60)
        assert r and r.get("ok"), r
        conn = psycopg.connect(url, autocommit=True)
        wait(conn, "SELECT count(*) FROM polar_webhook_events"
             " WHERE status = 'ping'", 1)

        # one event at a time
        base = sql(conn, "SELECT coalesce(max(id), 0) FROM "
                   "polar_webhook_events")
        done0 = int(sql(conn, DONE))
        for k in range(EVENTS):
            u = k % USERS
            if k % 2 == 0:
                sim_post(simurl, f"/_sim/users/{u}/night", {})
            else:
                sim_post(simurl, f"/_sim/users/{u}/exercise",
                         {"sport": "run", "minutes": 30})
            wait(conn, DONE, done0 + k + 1)
        lat = [float(r[0]) for r in conn.execute(LAT % base).fetchall()]
        print(f"{EVENTS} events one at a time ({USERS} users): received -> "
              f"rows committed p50 {pct(lat, 50):.0f} ms, "
              f"p95 {pct(lat, 95):.0f} ms, max {max(lat):.0f} ms")

        # a burst: every user at once.  Polar's timestamps have whole
        # seconds: the same event of a user within one second is the same
        # bytes, which apid takes for a replay.
        time.sleep(1.1)
        base = sql(conn, "SELECT coalesce(max(id), 0) FROM "
                   "polar_webhook_events")
        done0 = int(sql(conn, DONE))
        t0 = time.monotonic()
        for u in range(USERS):
            sim_post(simurl, f"/_sim/users/{u}/night", {})
        wait(conn, DONE, done0 + USERS)
        wall = time.monotonic() - t0
        lat = [float(r[0]) for r in conn.execute(LAT % base).fetchall()]
        print(f"burst of {USERS} events (one per user): received -> rows "
              f"committed p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f}"
              f" ms; all in {wall:.2f} s")
        wh = sim_get(simurl, "/_sim/webhooks")
        ms = [d["ms"] for d in wh["deliveries"]]
        print(f"apid's answer as polarsim saw it (its sender threads "
              f"included): p50 {pct(ms, 50):.1f} ms, p95 "
              f"{pct(ms, 95):.1f} ms over {len(ms)} deliveries "
              f"({wh['failed']} not 200: "
              f"{[d['status'] for d in wh['deliveries'] if d['status'] != 200]})")

        # apid alone: signed deliveries straight from here, one at a time
        # (for a Polar user who is not ours: syncd refuses them cheaply)
        import hashlib
        import hmac
        import http.client
        secret = wh["webhook"]["secret"].encode()
        ms = []
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for k in range(200):
            body = json.dumps({"event": "EXERCISE", "user_id": 999000 + k,
                               "entity_id": "b%d" % k,
                               "timestamp": time.strftime(
                                   "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                              ).encode()
            sig = hmac.new(secret, body, hashlib.sha256).hexdigest()
            t0 = time.monotonic()
            c.request("POST", "/polar/webhook", body=body, headers={
                "Content-Type": "application/json",
                "Polar-Webhook-Signature": sig})
            r = c.getresponse()
            r.read()
            ms.append((time.monotonic() - t0) * 1000)
            assert r.status == 200, r.status
        c.close()
        print(f"apid alone, 200 deliveries one at a time: p50 "
              f"{pct(ms, 50):.1f} ms, p95 {pct(ms, 95):.1f} ms")

        # Polar calls
        poll = calls(simurl, lambda: req(ctl, {
            "v": 1, "type": "sync.trigger", "user_id": uids[0],
            "wait": True}, 300))
        per_event = {}
        for ev in DAY:
            extra = {"entity_id": "x"} if ev == "EXERCISE" else {
                "date": time.strftime("%Y-%m-%d", time.gmtime())}

            def one(ev=ev, extra=extra):
                d0 = int(sql(conn, DONE))
                sim_post(simurl, "/_sim/webhooks/send",
                         dict(user=0, event=ev, **extra))
                wait(conn, DONE, d0 + 1)
            per_event[ev] = calls(simurl, one)
        polling = poll * 1440 / POLL_MIN
        hooked = sum(n * per_event[e] for e, n in DAY.items()) + \
            poll * 1440 / HOOK_POLL_MIN
        print(f"Polar calls: routine poll {poll}, per event " +
              ", ".join(f"{e} {n}" for e, n in per_event.items()))
        print(f"Polar calls per user-day: polling every {POLL_MIN} min "
              f"{polling:.0f}; webhooks ({sum(DAY.values())} events/day) + "
              f"poll every {HOOK_POLL_MIN} min {hooked:.0f}; saved "
              f"{polling - hooked:.0f} ({100 * (polling - hooked) / polling:.0f}"
              f" %)")
        conn.close()
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
