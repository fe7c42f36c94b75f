"""The partner webhook: /v3/webhooks (Basic auth, one per client, PING on
create) and the signed deliveries polarsim sends when data changes."""

import hashlib
import hmac
import http.server
import json
import threading

import pytest

from conftest import BASIC


class Receiver:
    """A webhook endpoint on loopback that keeps what it was sent."""

    def __init__(self, status=200):
        got = self.got = []
        self.status = status
        rx = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                got.append((dict(self.headers), self.rfile.read(n)))
                self.send_response(rx.status)
                self.end_headers()

            def log_message(self, *a):
                pass
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/hook" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def rx():
    r = Receiver()
    yield r
    r.close()


def hooks(s, method, path="", body=None, auth=BASIC):
    h = {"Authorization": auth} if auth else {}
    st, _, b = s.req(method, "/v3/webhooks" + path, body=body, headers=h)
    return st, json.loads(b) if b else None


def valid(secret, headers, body):
    want = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, headers["Polar-Webhook-Signature"])


def test_create_get_patch_delete(fresh_sim, rx):
    s = fresh_sim
    assert hooks(s, "POST", body={"events": ["SLEEP"], "url": rx.url},
                 auth=None)[0] == 401
    st, b = hooks(s, "POST", body={"events": ["SLEEP", "EXERCISE"],
                                   "url": rx.url})
    assert st == 201
    w = b["data"]
    assert w["url"] == rx.url and w["events"] == ["SLEEP", "EXERCISE"]
    secret = w["signature_secret_key"]
    # the ping came first, signed with the new secret
    hd, body = rx.got[0]
    assert json.loads(body)["event"] == "PING"
    assert hd["Polar-Webhook-Event"] == "PING" and valid(secret, hd, body)
    # one per client; the secret is never shown again
    assert hooks(s, "POST", body={"events": ["SLEEP"], "url": rx.url})[0] \
        == 409
    st, b = hooks(s, "GET")
    assert st == 200 and b["data"][0]["id"] == w["id"]
    assert "signature_secret_key" not in b["data"][0]
    assert b["data"][0]["active"] is True
    st, b = hooks(s, "PATCH", "/" + w["id"], body={"events": ["SLEEP"]})
    assert st == 200 and b["data"][0]["events"] == ["SLEEP"]
    assert hooks(s, "POST", "/deactivate")[0] == 200
    assert hooks(s, "GET")[1]["data"][0]["active"] is False
    assert hooks(s, "DELETE", "/nope")[0] == 404
    assert hooks(s, "DELETE", "/" + w["id"])[0] == 204
    assert hooks(s, "GET")[1]["data"] == []
    assert hooks(s, "POST", "/activate")[0] == 204


def test_create_needs_a_ping_answered(fresh_sim):
    bad = Receiver(status=500)
    try:
        st, b = hooks(fresh_sim, "POST", body={"events": ["SLEEP"],
                                               "url": bad.url})
        assert st == 400 and "Ping" in b["message"]
    finally:
        bad.close()
    st, _ = hooks(fresh_sim, "POST", body={"events": ["NAPS"],
                                           "url": "http://x/"})
    assert st == 400
    assert hooks(fresh_sim, "GET")[1]["data"] == []


def test_new_data_is_announced_signed(fresh_sim, rx):
    s = fresh_sim
    s.token(user=0)                     # registered: Polar knows the user
    st, b = hooks(s, "POST", body={"events": ["SLEEP", "EXERCISE"],
                                   "url": rx.url})
    secret = b["data"]["signature_secret_key"]
    s.ctl("POST", "users/0/night", {})
    s.ctl("POST", "users/0/exercise", {"sport": "run"})
    s.ctl("POST", "users/0/physical-info", {"present": True})
    log = None
    for _ in range(100):
        log = s.ctl("GET", "webhooks")
        if log["sent"] >= 2:
            break
        threading.Event().wait(0.05)
    events = sorted(json.loads(b)["event"] for _, b in rx.got[1:])
    # PHYSICAL_INFORMATION was not subscribed
    assert events == ["EXERCISE", "SLEEP"]
    uid = s.ctl("GET", "users")[0]["user_id"]
    for hd, body in rx.got[1:]:
        o = json.loads(body)
        assert valid(secret, hd, body) and o["user_id"] == uid
        assert hd["Polar-Webhook-Event"] == o["event"]
        assert o["timestamp"].endswith("Z") and o["url"].startswith("https")
        if o["event"] == "SLEEP":
            assert o["date"] == s.ctl("GET", "state")["today"]
        else:
            assert o["entity_id"]
    assert log["failed"] == 0
    # a deliberately bad signature, on request
    r = s.ctl("POST", "webhooks/send",
              {"user": 0, "event": "SLEEP", "bad_signature": True})
    assert r["status"] == 200
    hd, body = rx.got[-1]
    assert not valid(secret, hd, body)
