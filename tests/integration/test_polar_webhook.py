"""Polar webhooks in, through real apid + syncd + polarsim + PostgreSQL:
polarctl polar webhook create/show/delete (the secret stored sealed),
a signed event -> that user's affected stream synced, and every delivery
that must not sync: bad signature, replay, stale, unknown user, unsigned.
"""
import hashlib
import hmac
import json
import os
import time

import pytest

import harness
from fx_apid import Apid
from fx_syncd import polarsim, polarsim_factory, syncd_factory  # noqa: F401

PATH = "/hooks/polar"


class Hook:
    def __init__(self, db, apid, sim, sd, polarctl):
        self.db, self.apid, self.sim, self.sd = db, apid, sim, sd
        self.pc = polarctl

    def ctl(self, *args, check=True):
        p = self.pc("-f", self.sd.conf, *args)
        if check:
            assert p.returncode == 0, (p.stdout, p.stderr, self.sd.log()[-3000:])
        return p

    def create(self):
        return self.ctl("polar", "webhook", "create", "--url",
                        self.apid.url(PATH))

    def post(self, body, sig=None, event=None):
        h = {"Content-Type": "application/json"}
        if sig is not None:
            h["Polar-Webhook-Signature"] = sig
        if event is not None:
            h["Polar-Webhook-Event"] = event
        return self.apid.post(PATH, headers=h, data=body)

    def secret(self):
        return self.sim.call("GET", "/_sim/webhooks")["webhook"]["secret"]

    def sign(self, body):
        return hmac.new(self.secret().encode(), body,
                        hashlib.sha256).hexdigest()

    def send(self, **kw):
        return self.sim.call("POST", "/_sim/webhooks/send", kw)

    def deliveries(self, status=None):
        if status is None:
            return self.db.query("SELECT event, status FROM "
                                 "polar_webhook_events ORDER BY id")
        return self.db.scalar("SELECT count(*) FROM polar_webhook_events "
                              "WHERE status = %s", (status,))

    def audits(self, action):
        return self.db.scalar("SELECT count(*) FROM audit_log WHERE "
                              "action = %s", (action,))

    def webhook_syncs(self):
        return self.db.scalar("SELECT count(*) FROM sync_logs WHERE "
                              "trigger = 'webhook'")

    def wait_status(self, status, n=1):
        harness.wait_until(lambda: self.deliveries(status) >= n,
                           timeout=30, what=f"{n} delivery {status}: "
                           f"{self.deliveries()}")


@pytest.fixture
def hook(migrated, tmp_path, syncd_factory, polarsim, polarctl):  # noqa: F811
    a = Apid(migrated, tmp_path, extra_conf=f"polar_webhook_path = {PATH}\n")
    sd = syncd_factory(extra={"rundir": a.rundir})
    try:
        yield Hook(migrated, a, polarsim, sd, polarctl)
    finally:
        rc = a.stop()
        assert rc in (0, -15, 143), a.proc.logtext()


def test_create_show_delete(hook):
    h = hook
    p = h.create()
    assert "created" in p.stdout
    w = h.sim.call("GET", "/_sim/webhooks")["webhook"]
    assert w["url"] == h.apid.url(PATH) and w["active"]
    # Polar pinged the URL before it answered; the ping is never acted on
    h.wait_status("ping")
    row = h.db.query("SELECT polar_id, url, secret_enc, events FROM "
                     "polar_webhook")
    assert len(row) == 1
    polar_id, url, sealed, events = row[0]
    assert polar_id == w["id"] and url == w["url"]
    assert sealed.startswith("v1:") and w["secret"] not in sealed
    assert "SLEEP" in events and "EXERCISE" in events
    assert h.audits("polar_webhook.create") == 1

    show = json.loads(h.ctl("-j", "polar", "webhook", "show").stdout)
    assert show["stored"]["id"] == w["id"]
    assert show["stored"]["secret_stored"] is True
    assert show["polar"][0]["id"] == w["id"]
    assert show["deliveries"]["ping"] == 1
    assert show["poll_interval_minutes"] >= 360
    assert "secret" not in json.dumps(show["polar"])

    # one webhook per client: Polar says 409, polarctl says what to do
    p = h.ctl("polar", "webhook", "create", "--url", h.apid.url(PATH),
              check=False)
    assert p.returncode != 0 and "delete it first" in p.stderr

    p = h.ctl("polar", "webhook", "delete")
    assert w["id"] in p.stdout
    assert h.sim.call("GET", "/_sim/webhooks")["webhook"] is None
    assert h.db.scalar("SELECT count(*) FROM polar_webhook") == 0
    assert h.audits("polar_webhook.delete") == 1
    p = h.ctl("polar", "webhook", "delete", check=False)
    assert p.returncode != 0 and "no Polar webhook" in p.stderr


def test_create_refuses_bad_input(hook):
    p = hook.ctl("polar", "webhook", "create", "--url", "ftp://x/y",
                 check=False)
    assert p.returncode != 0 and "url must be" in p.stderr
    p = hook.ctl("polar", "webhook", "create", "--url", hook.apid.url(PATH),
                 "--events", "SLEEP,NAPS", check=False)
    assert p.returncode != 0 and "NAPS" in p.stderr
    assert hook.sim.call("GET", "/_sim/webhooks")["webhook"] is None


def test_signed_event_syncs_that_stream(hook):
    h = hook
    uid = h.sd.authorize(0)
    h.create()
    assert h.db.scalar("SELECT count(*) FROM sleep WHERE user_id = %s",
                       (uid,)) == 0
    # new night at Polar: polarsim posts a signed SLEEP event to apid
    h.sim.call("POST", "/_sim/users/0/night", {})
    h.wait_status("synced")
    harness.wait_until(lambda: h.db.scalar(
        "SELECT count(*) FROM sync_logs WHERE trigger = 'webhook' AND "
        "status <> 'started'") == 1, timeout=60, what="webhook sync done")
    assert h.db.scalar("SELECT count(*) FROM sleep WHERE user_id = %s",
                       (uid,)) > 0
    # just the streams a night brings; the others wait for their event
    assert h.db.scalar("SELECT count(*) FROM exercise WHERE user_id = %s",
                       (uid,)) == 0
    assert h.db.scalar("SELECT count(*) FROM continuous_heart_rate WHERE "
                       "user_id = %s", (uid,)) == 0
    st = h.db.scalar("SELECT stream_status FROM sync_logs WHERE "
                     "trigger = 'webhook'")
    assert st["exercise"] == "skipped" and st["sleep"] != "skipped"
    # the delivery keeps its digest, not its body
    assert h.db.scalar("SELECT body FROM polar_webhook_events WHERE "
                       "status = 'synced'") == ""

    # an exercise: the exercise stream
    h.sim.call("POST", "/_sim/users/0/exercise", {"sport": "run"})
    h.wait_status("synced", 2)
    harness.wait_until(lambda: h.db.scalar(
        "SELECT count(*) FROM exercise WHERE user_id = %s", (uid,)) > 0,
        timeout=60, what="exercise rows")


def test_bad_signature_is_refused_and_audited(hook):
    h = hook
    h.sd.authorize(0)
    h.create()
    r = h.send(user=0, event="SLEEP", date="2026-01-01", bad_signature=True)
    assert r["status"] == 200          # answered at once, judged by syncd
    h.wait_status("bad_signature")
    assert h.audits("polar_webhook.bad_signature") == 1
    assert h.webhook_syncs() == 0
    # a signature that is not even hex never reaches the queue
    body = b'{"event":"SLEEP","user_id":1,"date":"2026-01-01"}'
    r = h.post(body, sig="zz" * 32)
    assert r.status == 401 and "64 hex" in r.json()["detail"]
    r = h.post(body)
    assert r.status == 401 and "missing" in r.json()["detail"]
    assert h.audits("polar_webhook.unsigned") == 2
    assert h.webhook_syncs() == 0
    assert "not synced" in h.sd.log()


def test_replayed_and_stale_are_refused(hook):
    h = hook
    uid = h.sd.authorize(0)
    h.create()
    r = h.send(user=0, event="SLEEP", date="2026-01-01")
    assert r["status"] == 200
    h.wait_status("synced")
    body, sig = r["body"].encode(), r["signature"]
    # the same bytes again (an attacker's replay, or Polar resending)
    again = h.post(body, sig=sig, event="SLEEP")
    assert again.status == 200 and again.json()["status"] == "duplicate"
    assert h.audits("polar_webhook.replayed") == 1
    # a captured delivery from two days ago, correctly signed
    old = json.dumps({"event": "SLEEP", "user_id": int(uid),
                      "date": "2026-01-01",
                      "timestamp": "2020-01-01T00:00:00Z"}).encode()
    assert h.post(old, sig=h.sign(old)).status == 200
    h.wait_status("stale")
    assert h.audits("polar_webhook.stale") == 1
    harness.wait_until(lambda: h.db.scalar(
        "SELECT count(*) FROM sync_logs WHERE status <> 'started'") >= 1,
        timeout=60, what="the one sync")
    assert h.webhook_syncs() == 1


def test_unknown_user_is_refused_and_audited(hook):
    h = hook
    h.sd.authorize(0)
    h.create()
    users = h.sim.users()
    h.send(user=1, event="EXERCISE", entity_id="abc")
    h.wait_status("unknown_user")
    assert h.audits("polar_webhook.unknown_user") == 1
    row = h.db.query("SELECT details->>'polar_user_id' FROM audit_log "
                     "WHERE action = 'polar_webhook.unknown_user'")
    assert row[0][0] == str(users[1]["user_id"])
    assert h.webhook_syncs() == 0


def test_malformed_deliveries_get_clear_errors(hook):
    h = hook
    sig = "ab" * 32
    for body, word in ((b"[1]", "JSON object"), (b"{", "JSON object"),
                       (b'{"event":"sleep","user_id":1}', "event"),
                       (b'{"event":"SLEEP","user_id":"x"}', "user_id"),
                       (b'{"event":"SLEEP"}', "user_id")):
        r = h.post(body, sig=sig)
        assert r.status == 400 and word in r.json()["detail"], (body, r.text)
    r = h.post(b"{" + b" " * 20000 + b"}", sig=sig)
    assert r.status == 413
    # the default path is not served when another is configured
    assert h.apid.post("/polar/webhook", data=b"{}").status == 404
    assert h.apid.get(PATH).status == 405
    assert h.deliveries() == []


def test_deliveries_wait_for_a_stopped_syncd(hook):
    h = hook
    uid = h.sd.authorize(0)
    h.create()
    h.wait_status("ping")
    h.sd.stop()
    # apid answers Polar by itself: stored, with no syncd to hand it to
    r = h.send(user=0, event="SLEEP", date="2026-01-01")
    assert r["status"] == 200
    assert h.deliveries("queued") == 1
    h.sd.start()
    h.wait_status("synced")
    harness.wait_until(lambda: h.db.scalar(
        "SELECT count(*) FROM sleep WHERE user_id = %s", (uid,)) > 0,
        timeout=60, what="sleep rows")


def test_key_rotation_reseals_the_webhook_secret(migrated, tmp_path,
                                                 syncd_factory,  # noqa: F811
                                                 polarsim,  # noqa: F811
                                                 polarctl):
    a = Apid(migrated, tmp_path, extra_conf=f"polar_webhook_path = {PATH}\n")
    try:
        sd = syncd_factory(extra={"encryption_key": "", "rundir": a.rundir},
                           start=False)
        store = os.path.join(sd.dir, "credentials", "syncd")
        p = polarctl("-f", sd.conf, "setup")
        assert p.returncode == 0, p.stdout + p.stderr
        sd.env = {"CREDENTIALS_DIRECTORY": store}
        sd.start()
        h = Hook(migrated, a, polarsim, sd, polarctl)
        uid = sd.authorize()
        h.create()
        sealed = migrated.scalar("SELECT secret_enc FROM polar_webhook")
        assert sd.stop() == 0
        p = polarctl("-f", sd.conf, "secret", "rotate", "encryption_key")
        assert p.returncode == 0, p.stderr
        assert "2 sealed values re-sealed" in p.stdout, p.stdout
        assert migrated.scalar("SELECT secret_enc FROM polar_webhook") != \
            sealed
        sd.start()
        # syncd opens the re-sealed secret and verifies with it
        h.send(user=0, event="SLEEP", date="2026-01-01")
        h.wait_status("synced")
        assert h.deliveries("bad_signature") == 0
        assert migrated.scalar("SELECT matched_user FROM "
                               "polar_webhook_events WHERE status = "
                               "'synced'") == uid
    finally:
        rc = a.stop()
        assert rc in (0, -15, 143), a.proc.logtext()
