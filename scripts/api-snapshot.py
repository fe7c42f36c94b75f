#!/usr/bin/python3
"""api-snapshot.py -- every REST response of a checkout, on the demo data.

    scripts/api-snapshot.py CHECKOUT OUTDIR     record
    scripts/api-snapshot.py --diff OUTDIR_A OUTDIR_B

Record runs CHECKOUT's own "make run" script (scripts/run-demo.sh with its
build/, which must be built) in a private state directory on free ports --
PostgreSQL, polarsim's seeded demo user, a full first sync and analytics
run -- then asks every route of CHECKOUT's apid/openapi.json with the
demo user's key, in several variants (defaults, days=1/30/365, bad input,
unknown ids and users), and writes one file per request: status,
content type, body.  State-changing routes come last.  Values that differ
between any two runs of the same build (API keys and their prefixes, UUIDs,
wall-clock timestamps of the run itself, durations) are masked; /metrics is
left out (its counters are the run's own).

Two snapshots of the same day are byte-identical when the two builds
answer alike; --diff prints the files that differ and exits 1 if any do.
"""
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                  r"[0-9a-f]{12}")
KEY = re.compile(r"pfk_[0-9a-f]{8,40}")
MS = re.compile(r'"duration_ms":\s*\d+')
STAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?"
                   r"(?:Z|[+-]\d\d(?::?\d\d)?)?")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def mask(text, key, started):
    text = text.replace(key, "<key>") if key else text
    text = UUID.sub("<uuid>", text)
    text = KEY.sub("<key>", text)     # regenerated keys and key prefixes
    text = MS.sub('"duration_ms":<ms>', text)

    def stamp(m):
        s = m.group(0).replace(" ", "T").replace("Z", "+00:00")
        try:
            t = datetime.datetime.fromisoformat(s)
        except ValueError:
            return m.group(0)
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        # a time of this run (created_at, synced_at, computed_at ...)
        if abs(t.timestamp() - started) < 3 * 3600:
            return "<now>"
        return m.group(0)
    return STAMP.sub(stamp, text)


class Demo:
    def __init__(self, checkout):
        self.checkout = os.path.abspath(checkout)
        self.var = tempfile.mkdtemp(prefix="pfsnap.", dir="/tmp")
        self.port = free_port()
        env = dict(os.environ, POLARFLOW_VAR=self.var,
                   API_PORT=str(self.port), POLARSIM_PORT=str(free_port()))
        for k in ("DATABASE_URL", "POLAR_CLIENT_ID", "POLAR_CLIENT_SECRET"):
            env.pop(k, None)
        self.log = open(os.path.join(self.var, "demo.log"), "w+")
        self.proc = subprocess.Popen(
            ["sh", "scripts/run-demo.sh"], cwd=self.checkout, env=env,
            stdout=self.log, stderr=subprocess.STDOUT)
        self.user = self.key = None
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            self.log.seek(0)
            out = self.log.read()
            if "\nready:" in out:
                self.user = re.search(r"user:\s+(\S+)", out).group(1)
                self.key = re.search(r"API key:\s+(\S+)", out).group(1)
                break
            if self.proc.poll() is not None:
                raise SystemExit(f"run-demo.sh exited:\n{out}")
            time.sleep(0.5)
        else:
            raise SystemExit("run-demo.sh did not get ready in 15 min")
        self.db = f"host={self.var}/pg port=5432 user=postgres dbname=polarflow"

    def sql(self, q):
        out = subprocess.run(["psql", self.db, "-qtAc", q], check=True,
                             capture_output=True, text=True).stdout
        return out.strip().splitlines()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.var, ignore_errors=True)


def request(demo, method, path, key):
    req = urllib.request.Request(
        f"http://127.0.0.1:{demo.port}{path}", method=method,
        data=b"" if method == "POST" else None)
    if key:
        req.add_header("X-API-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("content-type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type"), e.read()
    except (TimeoutError, urllib.error.URLError) as e:
        return 0, None, f"no answer: {e}".encode()


def params(demo, spec):
    one = lambda q: (demo.sql(q) or ["none"])[0]  # noqa: E731
    u = demo.user.replace("'", "''")
    p = {
        "user_id": demo.user,
        "sleep_date": one(f"SELECT max(date) FROM sleep WHERE user_id='{u}'"),
        "target_date": one("SELECT max(date) FROM activity "
                           f"WHERE user_id='{u}'"),
        "exercise_id": one(f"SELECT id FROM exercise WHERE user_id='{u}' "
                           "ORDER BY start_time DESC LIMIT 1"),
        "ecg_id": one(f"SELECT id FROM ecg WHERE user_id='{u}' "
                      "ORDER BY test_time LIMIT 1"),
        "value": "50",
    }
    enums = {}
    for path, ops in spec["paths"].items():
        for op in ops.values():
            for prm in op.get("parameters", []):
                e = prm.get("schema", {}).get("enum")
                if e and prm.get("in") == "path":
                    enums[prm["name"]] = e
    return p, enums


def record(checkout, outdir):
    spec = json.load(open(os.path.join(checkout, "apid/openapi.json")))
    os.makedirs(outdir, exist_ok=True)
    started = time.time()
    demo = Demo(checkout)
    try:
        p, enums = params(demo, spec)
        reqs = []
        last = []
        for path, ops in spec["paths"].items():
            if path == "/metrics":
                continue
            for method in ops:
                if method not in ("get", "post"):
                    continue
                names = re.findall(r"{(\w+)}", path)
                fills = [{}]
                for n in names:
                    vals = enums.get(n) or [p.get(n, "x")]
                    if n == "metric_name" and not enums.get(n):
                        vals = ["hrv_rmssd", "sleep_score", "no_such"]
                    fills = [dict(f, **{n: v}) for f in fills for v in vals]
                for f in fills:
                    base = path
                    for n, v in f.items():
                        base = base.replace("{" + n + "}", str(v))
                    qs = [""]
                    if method == "get" and not names[1:] and \
                            "user_id" in names:
                        qs += ["?days=1", "?days=30", "?days=365",
                               "?days=0", "?days=abc"]
                    for q in qs:
                        item = (method.upper(), base + q, demo.key)
                        if method == "post" or "api-key" in path:
                            last.append(item)
                        else:
                            reqs.append(item)
                if "user_id" in names:
                    other = path.replace("{user_id}", "nobody")
                    for n in names[1:]:
                        other = other.replace("{" + n + "}", "x")
                    reqs.append((method.upper(), other, demo.key))
                    reqs.append((method.upper(), base, None))
        # the key routes change the key: revoke strictly last
        last.sort(key=lambda r: ("revoke" in r[1], "regenerate" in r[1]))
        for i, (m, path, key) in enumerate(reqs + last):
            st, ct, body = request(demo, m, path, key)
            text = body.decode("utf-8", "replace")
            shown = mask(path, demo.key, started)
            name = f"{i:03d}_{m}_{re.sub(r'[^A-Za-z0-9._=-]+', '_', shown)}"
            with open(os.path.join(outdir, name[:200]), "w") as f:
                f.write(f"{m} {shown}\n{st} {ct}\n")
                f.write(mask(text, demo.key, started) + "\n")
        print(f"api-snapshot: {len(reqs) + len(last)} responses in {outdir}")
    finally:
        demo.stop()


def diff(a, b):
    fa, fb = set(os.listdir(a)), set(os.listdir(b))
    bad = sorted(fa ^ fb)
    for f in sorted(fa & fb):
        if open(os.path.join(a, f), "rb").read() != \
                open(os.path.join(b, f), "rb").read():
            bad.append(f)
    for f in bad:
        print(f"differs: {f}")
    print(f"api-snapshot: {len(fa & fb) - len(bad) + len(fa ^ fb)} of "
          f"{len(fa | fb)} identical" if bad else
          f"api-snapshot: all {len(fa)} responses identical")
    return 1 if bad else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "--diff":
        return diff(argv[2], argv[3])
    if len(argv) == 3 and not argv[1].startswith("-"):
        record(argv[1], argv[2])
        return 0
    print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
