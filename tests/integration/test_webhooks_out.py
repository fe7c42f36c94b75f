"""Signed webhooks out: events written in the transaction of their change
(sql/0018 pf_webhook_emit), delivered by syncd (syncd/hooksend.c) with the
Standard Webhooks signature, at least once, in order per user, through a
receiver that is down, failing, hanging, and a syncd killed with -9."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

import harness
from fx_analyticsd import analyticsd, day, seed  # noqa: F401
from fx_apid import MASTER, apid, make_key  # noqa: F401
from fx_syncd import polarsim, polarsim_factory, syncd_factory  # noqa: F401

FAST = {"webhook_allow_private": "true", "webhook_retry_initial_ms": "100",
        "webhook_retry_max_ms": "400", "webhook_timeout_seconds": "1"}


RUN_START = int(time.time())


def verify(secret, headers, body):
    """The Standard Webhooks check a receiver library does."""
    key = base64.b64decode(secret[len("whsec_"):])
    msg = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode()
    want = base64.b64encode(hmac.new(key, msg + body,
                                     hashlib.sha256).digest()).decode()
    sigs = [s.split(",", 1)[1] for s in headers["webhook-signature"].split()
            if s.startswith("v1,")]
    # the timestamp is the attempt's own: made during this test run, not
    # in the future (a bound on the clock, not on how long anything took)
    ts = int(headers["webhook-timestamp"])
    return any(hmac.compare_digest(want, s) for s in sigs) and \
        RUN_START <= ts <= time.time() + 1


class Receiver:
    """A subscriber on loopback: mode "ok", "500" or "hang"; down()/up()."""

    def __init__(self):
        self.mode = "ok"
        self.got = []           # (headers, body) answered 200
        self.attempts = 0
        self.lock = threading.Lock()
        self.port = None
        self.srv = None
        self.up()

    def up(self):
        rcv = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rcv.lock:
                    rcv.attempts += 1
                    mode = rcv.mode
                if mode == "hang":
                    time.sleep(2.5)
                    return
                if mode == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                with rcv.lock:
                    rcv.got.append(({k.lower(): v for k, v in
                                     self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

        class S(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.srv = S(("127.0.0.1", self.port or 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def down(self):
        self.srv.shutdown()
        self.srv.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def ids(self):
        with self.lock:
            return [h["webhook-id"] for h, _ in self.got]

    def events(self):
        with self.lock:
            return [json.loads(b) for _, b in self.got]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.down()


def ctl(db, *args, conf=None, check=True):
    argv = [harness.binary("polarctl"), "-j"]
    if conf:
        argv += ["-f", conf]
    p = harness.run(argv + list(args),
                    env=harness.clean_env(DATABASE_URL=db.url))
    if check:
        assert p.returncode == 0, (p.stdout, p.stderr)
    return p


def add_hook(db, url, *extra):
    return json.loads(ctl(db, "webhook", "add", url, *extra).stdout)


def outbox(db):
    return [r[0] for r in db.query(
        "SELECT event_id FROM webhook_outbox ORDER BY seq")]


def settled(db):
    return db.scalar("SELECT count(*) FROM webhook_deliveries "
                     "WHERE state = 'pending'") == 0


def test_sync_events_arrive_signed_in_order(migrated, polarsim,
                                            syncd_factory, receiver):
    hook = add_hook(migrated, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["events"] == []
    sd = syncd_factory(extra=FAST)
    uid = sd.authorize(0)
    assert sd.sync(uid)["ok"]
    ids = outbox(migrated)
    assert ids, "a sync that wrote rows made no data.changed event"
    harness.wait_until(lambda: len(set(receiver.ids())) == len(ids),
                       timeout=30, what="every event delivered")
    # in commit order; a repeat (an answer slower than the timeout) only
    # ever comes again with the same id
    assert list(dict.fromkeys(receiver.ids())) == ids
    for h, body in receiver.got:
        assert verify(hook["secret"], h, body), h
        assert h["content-type"] == "application/json"
    evs = receiver.events()
    streams = set()
    for e in evs:
        assert e["type"] == "data.changed" and e["user_id"] == uid
        assert e["id"].startswith("evt_") and e["time"].endswith("Z")
        assert e["data"]["rows"] > 0 and e["data"]["from"] <= \
            e["data"]["to"]
        streams.update(e["data"]["streams"])
    assert "sleep" in streams
    # the delivery log, in polarctl
    rows = json.loads(ctl(migrated, "webhook", "deliveries").stdout)
    assert len(rows) == len(ids)
    assert all(r["state"] == "delivered" and r["status_code"] == 204 and
               r["attempts"] >= 1 and r["latency_ms"] is not None
               for r in rows), rows
    # a repeat sync that changes nothing says nothing
    n = len(ids)
    assert sd.sync(uid)["ok"]
    assert len(outbox(migrated)) == n
    st = sd.status()
    assert st["webhooks"]["listening"] is True, st


def test_nothing_is_kept_without_subscribers_and_filters_apply(
        migrated, polarsim, syncd_factory, receiver):
    sd = syncd_factory(extra=FAST)
    uid = sd.authorize(0)
    assert sd.sync(uid)["ok"]
    assert outbox(migrated) == []
    add_hook(migrated, receiver.url, "--events", "user.deleted")
    lst = json.loads(ctl(migrated, "webhook", "list").stdout)
    assert lst[0]["events"] == ["user.deleted"] and lst[0]["pending"] == 0
    p = ctl(migrated, "webhook", "add", receiver.url, "--events",
            "data.changed,nope", check=False)
    assert p.returncode != 0 and 'unknown event type "nope"' in p.stderr
    p = ctl(migrated, "webhook", "add", "ftp://x/", check=False)
    assert p.returncode != 0 and "https://" in p.stderr
    assert sd.sync(uid, days=60)["ok"]
    assert outbox(migrated) == []       # data.changed is filtered out
    p = ctl(migrated, "user", "delete", "--no-polar", uid)
    assert p.returncode == 0, p.stderr
    harness.wait_until(lambda: len(receiver.got) >= 1, timeout=20,
                       what="user.deleted")
    e = receiver.events()[0]
    assert e["type"] == "user.deleted" and e["user_id"] == uid
    assert e["data"]["tables"]["users"] == 1


def test_faults_lose_nothing(migrated, polarsim, syncd_factory, receiver):
    """500s, a receiver that is gone, one that hangs past the timeout:
    every event arrives once it recovers, repeats carry the same id."""
    hook = add_hook(migrated, receiver.url)
    sd = syncd_factory(extra=FAST)
    users = [sd.authorize(i) for i in range(3)]
    receiver.mode = "500"
    assert sd.sync(users[0])["ok"]
    harness.wait_until(lambda: receiver.attempts >= 6, timeout=20,
                       what="retries against 500s")
    receiver.down()
    assert sd.sync(users[1])["ok"]
    time.sleep(1)
    receiver.up()
    receiver.mode = "hang"
    assert sd.sync(users[2])["ok"]
    harness.wait_until(lambda: "Timeout was reached" in json.dumps(
        json.loads(ctl(migrated, "webhook", "deliveries").stdout)),
        timeout=20, what="a timed-out attempt logged")
    # the log keeps each delivery's last attempt: users[0]'s went on
    # failing (500, then refused connections, then timeouts)
    rows = json.loads(ctl(migrated, "webhook", "deliveries", "--limit",
                          "10000").stdout)
    assert max(r["attempts"] for r in rows if r["user_id"] == users[0]) >= 3
    receiver.mode = "ok"
    ids = outbox(migrated)
    harness.wait_until(lambda: settled(migrated), timeout=60,
                       what="every delivery settled")
    got = receiver.ids()
    assert set(got) == set(ids)
    assert migrated.scalar("SELECT count(*) FROM webhook_deliveries "
                           "WHERE state <> 'delivered'") == 0
    # per user, the order of the commits
    seq = {e: i for i, e in enumerate(ids)}
    by_user = {}
    for e in receiver.events():
        by_user.setdefault(e["user_id"], []).append(seq[e["id"]])
    for u, order in by_user.items():
        first = [o for i, o in enumerate(order) if o not in order[:i]]
        assert first == sorted(first), (u, order)
    for h, body in receiver.got:
        assert verify(hook["secret"], h, body)
    lst = json.loads(ctl(migrated, "webhook", "list").stdout)
    assert lst[0]["failure_streak"] == 0 and lst[0]["enabled"] is True


def test_kill9_between_commit_and_delivery(migrated, polarsim,
                                           syncd_factory, receiver):
    add_hook(migrated, receiver.url)
    sd = syncd_factory(extra=FAST)
    uid = sd.authorize(0)
    receiver.mode = "hang"
    assert sd.sync(uid)["ok"]
    ids = outbox(migrated)
    assert ids
    harness.wait_until(lambda: receiver.attempts >= 1, timeout=10,
                       what="a delivery in flight")
    sd.kill9()
    assert not settled(migrated)
    receiver.mode = "ok"
    sd.start()
    harness.wait_until(lambda: settled(migrated), timeout=60,
                       what="every delivery settled after the restart")
    assert set(receiver.ids()) == set(ids)


def test_private_addresses_are_refused_unless_allowed(
        migrated, polarsim, syncd_factory, receiver):
    add_hook(migrated, receiver.url)
    sd = syncd_factory(extra={k: v for k, v in FAST.items()
                              if k != "webhook_allow_private"})
    uid = sd.authorize(0)
    assert sd.sync(uid)["ok"]
    harness.wait_until(lambda: any(
        r["error"] and "address not allowed" in r["error"] for r in
        json.loads(ctl(migrated, "webhook", "deliveries").stdout)),
        timeout=20, what="a refused delivery")
    assert receiver.attempts == 0
    # "localhost" resolves to loopback: refused after resolution too
    migrated.execute("UPDATE webhook_subscriptions SET url = %s",
                     (f"http://localhost:{receiver.port}/hook",))
    time.sleep(1)
    assert receiver.attempts == 0
    assert sd.status()["webhooks"]["refused"] > 0


def test_polarctl_test_remove_and_auto_disable(migrated, polarsim,
                                               syncd_factory, receiver):
    sd = syncd_factory(extra=dict(FAST, webhook_disable_after_hours="1"))
    hook = add_hook(migrated, receiver.url, "--description", "saas")
    p = ctl(migrated, "webhook", "test", str(hook["id"]), conf=sd.conf)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["state"] == "delivered" and out["type"] == "webhook.test"
    h, body = receiver.got[-1]
    assert verify(hook["secret"], h, body)
    # failing for longer than webhook_disable_after_hours: disabled
    receiver.mode = "500"
    migrated.execute("UPDATE webhook_subscriptions SET failing_since = "
                     "now() - interval '2 hours', failure_streak = 50")
    p = ctl(migrated, "webhook", "test", str(hook["id"]), conf=sd.conf,
            check=False)
    assert p.returncode != 0
    harness.wait_until(lambda: migrated.scalar(
        "SELECT NOT enabled FROM webhook_subscriptions"), timeout=10,
        what="the subscription disabled")
    lst = json.loads(ctl(migrated, "webhook", "list").stdout)
    assert lst[0]["disabled_reason"].startswith("failing since")
    p = ctl(migrated, "webhook", "remove", str(hook["id"]))
    p = ctl(migrated, "webhook", "remove", str(hook["id"]), check=False)
    assert p.returncode != 0 and "no webhook" in p.stderr
    assert migrated.scalar("SELECT count(*) FROM webhook_deliveries") == 0
    p = ctl(migrated, "webhook", "remove", "x", check=False)
    assert p.returncode != 0 and "invalid webhook id" in p.stderr


def test_reauth_and_failed_sync_events(migrated, polarsim, syncd_factory,
                                       receiver):
    sd = syncd_factory(extra=FAST)
    uid = sd.authorize(0)
    add_hook(migrated, receiver.url, "--events",
             "user.reauth_required,sync.failed")
    polarsim.fault("revoked")   # every call answers 401
    sd.sync(uid)
    harness.wait_until(lambda: len(set(receiver.ids())) == 2, timeout=20,
                       what="reauth and sync.failed")
    types = sorted({e["type"] for e in receiver.events()})
    assert types == ["sync.failed", "user.reauth_required"], types
    # the flag is already up: no second reauth event
    sd.sync(uid)
    time.sleep(0.5)
    assert len({e["id"] for e in receiver.events()
                if e["type"] == "user.reauth_required"}) == 1


def test_analytics_updated_comes_from_analyticsd(
        migrated, polarsim, syncd_factory, receiver, analyticsd, seed):
    add_hook(migrated, receiver.url, "--events", "analytics.updated")
    seed.sleep("bob", [(day(-i), 70 + i % 10) for i in range(20)],
               total=27000, start_hour=22.5)
    a = analyticsd()
    a.start()
    syncd_factory(extra=FAST)
    harness.wait_until(lambda: len(receiver.got) >= 1, timeout=30,
                       what="analytics.updated")
    e = receiver.events()[0]
    assert e["type"] == "analytics.updated" and e["user_id"] == "bob"
    assert "computed_at" in e["data"]
    assert a.stop() == 0


def test_api_routes_for_service_keys(migrated, polarsim, syncd_factory,
                                     receiver, apid, polarctl):
    svc, other = make_key(migrated, polarctl), make_key(migrated, polarctl)
    polarctl("user", "add", "u1", check=True)
    own = make_key(migrated, polarctl, "u1")

    def post(key, body):
        return apid.post("/api/v1/webhooks", key, data=json.dumps(
            body).encode(), headers={"Content-Type": "application/json"})
    r = post(svc, {"url": receiver.url, "events": ["user.deleted"],
                   "description": "saas"})
    assert r.status == 200, r.body
    hook = r.json()
    assert hook["secret"].startswith("whsec_") and hook["enabled"] is True
    assert hook["events"] == ["user.deleted"]
    # bad input: the error envelope, nothing stored
    for body, msg in [({"url": "ftp://x"}, "https://"),
                      ({"url": receiver.url, "events": ["x"]},
                       "unknown event type"),
                      ({"url": receiver.url, "extra": 1}, "Unknown member"),
                      ({"url": receiver.url, "description": "d" * 201},
                       "description"),
                      ([], "JSON object")]:
        r = post(svc, body)
        assert r.status == 400 and msg in r.json()["detail"], (body, r.body)
    r = apid.post("/api/v1/webhooks", svc, data=b"x" * 20000)
    assert r.status == 413
    # a user's own key may not
    assert post(own, {"url": receiver.url}).status == 403
    assert apid.get("/api/v1/webhooks", own).status == 403
    # each service key sees its own; the master key all
    assert [h["id"] for h in apid.get("/api/v1/webhooks", svc).json()] == \
        [hook["id"]]
    assert apid.get("/api/v1/webhooks", other).json() == []
    assert len(apid.get("/api/v1/webhooks", MASTER).json()) == 1
    assert "secret" not in apid.get("/api/v1/webhooks", svc).json()[0]
    path = f"/api/v1/webhooks/{hook['id']}"
    assert apid.request("DELETE", path, other).status == 404
    assert apid.get("/api/v1/webhooks/0/deliveries", svc).status == 400
    # a delivery, in the log
    sd = syncd_factory(extra=FAST)
    assert polarctl("user", "delete", "--no-polar", "u1").returncode == 0
    harness.wait_until(lambda: len(receiver.got) >= 1, timeout=20,
                       what="user.deleted")
    h, body = receiver.got[0]
    assert verify(hook["secret"], h, body)
    harness.wait_until(lambda: apid.get(path + "/deliveries", svc).json()
                       and apid.get(path + "/deliveries", svc).json()[0][
                           "state"] == "delivered", timeout=10,
                       what="the delivery logged")
    d = apid.get(path + "/deliveries", svc).json()[0]
    assert d["type"] == "user.deleted" and d["user_id"] == "u1"
    assert d["status_code"] == 204 and d["attempts"] >= 1
    r = apid.request("DELETE", path, svc)
    assert r.status == 200 and r.json() == {"deleted": True,
                                            "id": hook["id"]}
    assert apid.request("DELETE", path, svc).status == 404
    assert apid.get(path + "/deliveries", svc).status == 404
    assert sd.stop() == 0


PHP = shutil.which("php")


@pytest.mark.skipif(PHP is None, reason="php-cli is not installed")
def test_php_receiver_verifies_and_sees_user_deleted(
        migrated, polarsim, syncd_factory, tmp_path):
    """tests/saas/webhook_receiver.php under php -S: it verifies each
    signature itself and records what it accepted."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    log = tmp_path / "events.jsonl"
    hook = add_hook(migrated, f"http://127.0.0.1:{port}/webhook")
    env = dict(os.environ, PF_WEBHOOK_SECRET=hook["secret"],
               PF_WEBHOOK_LOG=str(log))
    php = subprocess.Popen(
        [PHP, "-S", f"127.0.0.1:{port}",
         os.path.join(harness.TOP, "tests", "saas", "webhook_receiver.php")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        harness.wait_until(lambda: _connects(port), timeout=10,
                           what="php -S")
        sd = syncd_factory(extra=FAST)
        uid = sd.authorize(0)
        assert sd.sync(uid)["ok"]
        p = ctl(migrated, "user", "delete", uid, conf=sd.conf)
        assert p.returncode == 0, p.stderr

        def lines():
            if not log.exists():
                return []
            return [json.loads(x) for x in log.read_text().splitlines()]
        harness.wait_until(lambda: any(e["type"] == "user.deleted"
                                       for e in lines()),
                           timeout=30, what="user.deleted at the PHP side")
        evs = lines()
        # the deletion took the user's earlier events with it: what is
        # left of them is the user.deleted event, which the receiver got
        left = outbox(migrated)
        assert len(left) == 1 and left[0] in {e["id"] for e in evs}
        assert migrated.scalar("SELECT type FROM webhook_outbox WHERE "
                               "subject = %s", (uid,)) == "user.deleted"
        assert all(e["verified"] for e in evs)
        assert [e["type"] for e in evs][-1] == "user.deleted"
        # a forged request is refused by the PHP receiver
        import urllib.request
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhook", data=b'{"type":"x"}',
            headers={"webhook-id": "evt_x", "webhook-timestamp":
                     str(int(time.time())), "webhook-signature": "v1,AAAA"})
        try:
            urllib.request.urlopen(req, timeout=5)
            assert False, "forged webhook accepted"
        except urllib.error.HTTPError as e:
            assert e.code == 401
    finally:
        php.kill()
        php.wait()


def _connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
