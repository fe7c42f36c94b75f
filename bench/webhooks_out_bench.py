#!/usr/bin/env python3
"""webhooks_out_bench.py -- syncd's webhook sender on loopback.

10,000 events (BENCH_EVENTS) about 100 users (BENCH_HOOK_USERS) are
committed in one transaction and fanned out to 3 endpoints (an asyncio
receiver per endpoint, in a process of its own, keep-alive, answering 204
after checking the Standard Webhooks signature).  Prints the time from the
commit until every delivery is recorded as delivered, deliveries/s, the
receivers' counts (duplicates included) and syncd's peak RSS (VmHWM).
Environment: BENCH_EVENTS, BENCH_HOOK_USERS, BENCH_INFLIGHT, BUILD.
"""
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import syncd_bench as sb  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000"))
USERS = int(os.environ.get("BENCH_HOOK_USERS", "100"))
INFLIGHT = os.environ.get("BENCH_INFLIGHT", "16")
ENDPOINTS = 3


def receiver(port_q, count, bad, secrets):
    import asyncio

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                h = {}
                for line in head.split(b"\r\n")[1:]:
                    if b":" in line:
                        k, v = line.split(b":", 1)
                        h[k.strip().lower()] = v.strip()
                body = await reader.readexactly(
                    int(h.get(b"content-length", b"0")))
                port = writer.get_extra_info("sockname")[1]
                key = secrets[port]
                msg = h[b"webhook-id"] + b"." + h[b"webhook-timestamp"] + \
                    b"." + body
                want = base64.b64encode(hmac.new(key, msg, hashlib.sha256)
                                        .digest())
                if h[b"webhook-signature"] != b"v1," + want:
                    with bad.get_lock():
                        bad.value += 1
                with count.get_lock():
                    count.value += 1
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, KeyError):
            writer.close()

    async def main():
        servers = [await asyncio.start_server(handle, "127.0.0.1", 0)
                   for _ in range(ENDPOINTS)]
        port_q.put([s.sockets[0].getsockname()[1] for s in servers])
        secrets.update(port_q.get())    # {port: key bytes}
        port_q.put("ready")
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


def main():
    for b in ("bin/polarflow-syncd", "bin/polarctl", "tests/syncd-req"):
        if not os.access(os.path.join(sb.BUILD, b), os.X_OK):
            print(f"webhooks_out_bench: {sb.BUILD}/{b} not built, skipped")
            return 0
    work = tempfile.mkdtemp(prefix="whb.", dir="/tmp")
    os.chmod(work, 0o755)
    syncd = rcv = None
    pgdir = None
    try:
        pgdir, url, env = sb.bench_db(work)
        q = multiprocessing.Queue()
        count = multiprocessing.Value("l", 0)
        bad = multiprocessing.Value("l", 0)
        rcv = multiprocessing.Process(target=receiver, args=(
            q, count, bad, {}), daemon=True)
        rcv.start()
        ports = q.get(timeout=10)
        keys = {}
        for p in ports:
            out = subprocess.run(
                [os.path.join(sb.BUILD, "bin", "polarctl"), "-j", "webhook",
                 "add", f"http://127.0.0.1:{p}/hook"],
                env=dict(env, DATABASE_URL=url), check=True,
                capture_output=True, text=True).stdout
            keys[p] = base64.b64decode(json.loads(out)["secret"][6:])
        q.put(keys)
        assert q.get(timeout=10) == "ready"
        run = os.path.join(work, "run")
        conf = os.path.join(work, "polarflow.conf")
        with open(conf, "w") as f:
            for k, v in {"database_url": url, "encryption_key": sb.KEY,
                         "polar_client_id": "x", "polar_client_secret": "y",
                         "rundir": run, "sync_enabled": "false",
                         "webhook_allow_private": "true",
                         "webhook_max_inflight": INFLIGHT,
                         "log_level": "warning"}.items():
                f.write(f"{k} = '{v}'\n")
        syncd = subprocess.Popen(
            [os.path.join(sb.BUILD, "bin", "polarflow-syncd"), "-f", conf],
            env=env, stderr=open(os.path.join(work, "syncd.log"), "ab"))
        for _ in range(200):
            if sb.req(f"ipc://{run}/syncd.ctl", {"type": "status"}, 2):
                break
            time.sleep(0.05)
        rss0 = sb.rss_peak_kb(syncd.pid)
        pgs = sb.pg_pids(pgdir)
        cpu0 = (sb.cpu_s([syncd.pid]), sb.cpu_s(pgs), sb.cpu_s([rcv.pid]))
        t0 = time.monotonic()
        sb.psql(url, "SELECT count(pf_webhook_emit('data.changed', 'u' || "
                f"(i % {USERS}), jsonb_build_object('streams', "
                "jsonb_build_array('sleep'), 'i', i))) FROM "
                f"generate_series(1, {EVENTS}) i")
        t_commit = time.monotonic() - t0
        want = EVENTS * ENDPOINTS
        wall = sb.run_until(url, "SELECT count(*) FROM webhook_deliveries "
                            "WHERE state = 'delivered'", want, 600)
        rss = sb.rss_peak_kb(syncd.pid)
        cpu = (sb.cpu_s([syncd.pid]) - cpu0[0], sb.cpu_s(pgs) - cpu0[1],
               sb.cpu_s([rcv.pid]) - cpu0[2])
        load = os.getloadavg()[0]
        lat = sb.psql(url, "SELECT percentile_cont(ARRAY[0.5, 0.95]) "
                      "WITHIN GROUP (ORDER BY latency_ms) FROM "
                      "webhook_deliveries")
        print(f"events {EVENTS} x {ENDPOINTS} endpoints, {USERS} users, "
              f"max in flight {INFLIGHT}")
        print(f"  commit of the events: {t_commit:.2f} s")
        print(f"  all {want} delivered {wall:.2f} s after the commit "
              f"({want / wall:.0f} deliveries/s)")
        print(f"  received {count.value} (duplicates: "
              f"{count.value - want}), bad signatures {bad.value}")
        print(f"  request latency p50/p95 (ms): {lat}")
        print(f"  syncd peak RSS: {rss / 1024:.1f} MB (idle "
              f"{rss0 / 1024:.1f} MB)")
        print(f"  CPU s: syncd {cpu[0]:.2f}, PostgreSQL {cpu[1]:.2f}, "
              f"receivers {cpu[2]:.2f} (load average {load:.1f} on "
              f"{os.cpu_count()} CPUs)")
    finally:
        if syncd is not None:
            syncd.terminate()
            syncd.wait()
        if rcv is not None:
            rcv.kill()
        if pgdir is not None:
            subprocess.run([os.path.join(sb.TOP, "tests", "pgcluster.sh"),
                            "stop", pgdir], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
