"""The SaaS OAuth bridge (/oauth/start, /oauth/callback, /oauth/exchange)
through real apid + syncd + polarsim + PostgreSQL: the whole flow, then
every way it can fail.  A failure after the state is known goes back to
the SaaS callback as error=..&status=failed; before that it is apid's
JSON error; never a 500, never an unconsumed state."""
import concurrent.futures
import http.client
import json
import os
import shutil
import subprocess
import urllib.parse

import pytest

import harness
from fx_apid import Apid
from fx_syncd import polarsim, polarsim_factory, syncd_factory  # noqa: F401

CB = "http://127.0.0.1:9/saas/cb"       # never contacted: Location only
ALLOWED = "https://app.example.com, http://127.0.0.1:9/"


def raw(port, method, path, body=None, headers=None):
    """One request, redirects not followed: (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, \
            r.read()
    finally:
        c.close()


def split(url):
    u = urllib.parse.urlsplit(url)
    return u, {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}


class Bridge:
    def __init__(self, db, apid, sim, sd):
        self.db, self.apid, self.sim, self.sd = db, apid, sim, sd

    def get(self, path):
        return raw(self.apid.port, "GET", path)

    def start(self, cb=CB, **extra):
        q = urllib.parse.urlencode(dict(callback_url=cb, **extra))
        st, h, b = self.get("/oauth/start?" + q)
        assert st == 302, (st, b)
        u, q = split(h["location"])
        assert self.sim.url.endswith(u.netloc)
        assert u.path == "/oauth2/authorization"
        assert q["client_id"] == "polarsim-client"
        assert q["response_type"] == "code"
        assert q["redirect_uri"] == \
            f"http://127.0.0.1:{self.apid.port}/oauth/callback"
        assert len(q["state"]) == 64
        return h["location"]

    def consent(self, auth_url, user=0, deny=False):
        """The user at Polar's page: polarsim redirects to our callback."""
        u = urllib.parse.urlsplit(auth_url)
        path = u.path + "?" + u.query + f"&user={user}"
        if deny:
            path += "&deny=1"
        st, h, b = raw(u.port, "GET", path)
        assert st == 302, (st, b)
        cb = urllib.parse.urlsplit(h["location"])
        assert cb.path == "/oauth/callback"
        return cb.path + "?" + cb.query

    def callback(self, path):
        st, h, b = self.get(path)
        assert st != 500 and st < 500 or st in (502, 503), (st, b)
        return st, h, b

    def back(self, path):
        """A callback that must send the browser back to the SaaS."""
        st, h, b = self.callback(path)
        assert st == 302, (st, b, self.apid.proc.logtext()[-2000:])
        u, q = split(h["location"])
        assert u.geturl().startswith(CB)
        return q

    def exchange(self, code, ctype="application/json", **extra):
        if ctype == "application/json":
            body = json.dumps(dict(code=code, **extra))
        else:
            body = urllib.parse.urlencode(dict(code=code, **extra))
        st, h, b = raw(self.apid.port, "POST", "/oauth/exchange", body,
                       {"Content-Type": ctype})
        return st, json.loads(b)

    def audits(self, action):
        return self.db.scalar("SELECT count(*) FROM audit_log "
                              "WHERE action = %s", (action,))

    def dangling(self):
        return self.db.scalar("SELECT count(*) FROM oauth_states "
                              "WHERE used_at IS NULL AND expires_at > now()")


@pytest.fixture
def bridge(migrated, tmp_path, syncd_factory, polarsim):  # noqa: F811
    a = Apid(migrated, tmp_path, extra_conf=(
        "polar_client_id = polarsim-client\n"
        f"polar_auth_url = {polarsim.url}/oauth2/authorization\n"
        f"oauth_allowed_callbacks = '{ALLOWED}'\n"))
    sd = syncd_factory(extra={"rundir": a.rundir})
    try:
        yield Bridge(migrated, a, polarsim, sd)
    finally:
        rc = a.stop()
        assert rc in (0, -15, 143), a.proc.logtext()


def connect(b, user=0, cb=CB, **extra):
    """The whole flow up to the SaaS callback: its query parameters."""
    return b.back(b.consent(b.start(cb, **extra), user))


def test_end_to_end(bridge):
    b = bridge
    q = connect(b)
    assert q["status"] == "connected"
    assert q["code"].startswith("temp_")
    uid = q["polar_user_id"]
    # the user exists with a sealed token, registered at Polar
    row = b.db.query("SELECT access_token_enc, registered_at FROM users "
                     "WHERE user_id = %s", (uid,))[0]
    assert row[0].startswith("v1:") and row[1] is not None
    # only hashes are stored
    assert b.db.scalar("SELECT count(*) FROM temp_auth_codes "
                       "WHERE code_hash = %s", (q["code"],)) == 0
    st, doc = b.exchange(q["code"])
    assert st == 201, doc
    assert set(doc) == {"api_key", "polar_user_id", "user_id", "expires_at"}
    assert doc["polar_user_id"] == uid and doc["expires_at"] is None
    key = doc["api_key"]
    r = b.apid.get(f"/api/v1/users/{uid}/status", key)
    assert r.status == 200, r.body
    # user-scoped: another user's data is refused
    assert b.apid.get("/api/v1/users/other/status", key).status == 401
    assert b.audits("oauth.connected") == 1
    assert b.audits("oauth.exchange") == 1
    # connecting again (409 at Polar: already registered) replaces the
    # bridge's key: the old one stops working, the new one works
    q2 = connect(b)
    assert q2["polar_user_id"] == uid
    st, doc2 = b.exchange(q2["code"], "application/x-www-form-urlencoded")
    assert st == 201, doc2
    assert b.apid.get(f"/api/v1/users/{uid}/status",
                      doc2["api_key"]).status == 200
    harness.wait_until(lambda: b.apid.get(f"/api/v1/users/{uid}/status",
                                          key).status == 401,
                       timeout=10, what="old bridge key revoked")
    assert b.dangling() == 0


def test_the_oauth_routes_stay_out_of_openapi(bridge):
    doc = json.loads(bridge.get("/schema/openapi.json")[2])
    assert not [p for p in doc["paths"] if p.startswith("/oauth")]


@pytest.mark.parametrize("cb,why", [
    ("https://evil.example.com/cb", "not registered"),
    ("https://app.example.com.evil.com/cb", "not registered"),
    ("https://sub.app.example.com/cb", "not registered"),
    ("http://app.example.com/cb", "must use https"),
    ("http://127.0.0.1:10/cb", "not registered"),
    ("javascript:alert(1)", "http(s) URL"),
    ("https://app.example.com/cb#frag", "fragment"),
    ("https://user@app.example.com/cb", "credentials"),
])
def test_callback_not_allowed(bridge, cb, why):
    st, h, body = bridge.get("/oauth/start?" +
                             urllib.parse.urlencode({"callback_url": cb}))
    assert st == 400, body
    assert why in json.loads(body)["detail"]
    assert "location" not in h
    assert bridge.db.scalar("SELECT count(*) FROM oauth_states") == 0


def test_start_refusals(bridge):
    b = bridge
    assert b.get("/oauth/start")[0] == 400
    assert b.get("/oauth/start?callback_url=")[0] == 400
    st, _, body = b.get("/oauth/start?callback_url=%s&callback_url=%s"
                        % (CB, CB))
    assert st == 400 and b"more than once" in body
    st, _, body = b.get("/oauth/start?" + urllib.parse.urlencode(
        {"callback_url": CB, "client_id": "x" * 300}))
    assert st == 400 and b"client_id" in body
    # apid's front door caps the request target (1998 bytes) below the
    # bridge's own 2048-byte cap on callback URLs: JSON 414
    st, _, body = b.get("/oauth/start?callback_url=https://app.example.com/"
                        + "a" * 2100)
    assert st == 414 and json.loads(body)["status_code"] == 414
    # an allowed https origin with any path and a query of its own
    loc = b.start("https://APP.example.com/a/b?tenant=7")
    assert loc
    assert b.get("/oauth/exchange")[0] == 405


def test_bad_and_unknown_state(bridge):
    b = bridge
    for q in ("", "?code=abc", "?code=abc&state=short",
              "?code=abc&state=" + "z" * 64,
              "?code=abc&state=" + "0" * 64):
        st, h, body = b.callback("/oauth/callback" + q)
        assert st == 401, (q, st, body)
        assert json.loads(body)["detail"] == \
            "Invalid OAuth state - possible CSRF attack"


def test_replayed_state(bridge):
    b = bridge
    path = b.consent(b.start())
    assert b.back(path)["status"] == "connected"
    q = b.back(path)
    assert q == {"error": "state_replayed", "status": "failed"}
    assert b.audits("oauth.state_replayed") == 1
    # the replay never reached Polar with the spent code
    assert b.sim.stats()["by_pattern"]["POST /v2/oauth2/token"] == 1


def test_head_spends_no_state(bridge):
    b = bridge
    path = b.consent(b.start())
    st, h, _ = raw(b.apid.port, "HEAD", path)
    assert st == 405 and h["allow"] == "GET, OPTIONS", (st, h)
    assert b.back(path)["status"] == "connected"


def test_racing_callbacks_spend_the_state_once(bridge):
    b = bridge
    path = b.consent(b.start())
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda _: b.back(path), range(4)))
    assert sorted(q["status"] for q in got) == \
        ["connected", "failed", "failed", "failed"]
    assert {q.get("error") for q in got} == {None, "state_replayed"}
    assert b.sim.stats()["by_pattern"]["POST /v2/oauth2/token"] == 1


def test_no_allow_list_refuses_every_callback(migrated, tmp_path, polarsim):
    a = Apid(migrated, tmp_path, extra_conf=(
        "polar_client_id = polarsim-client\n"))
    try:
        st, h, body = raw(a.port, "GET", "/oauth/start?callback_url=" +
                          urllib.parse.quote(CB, safe=""))
        assert st == 400 and "location" not in h
        assert "oauth_allowed_callbacks" in json.loads(body)["detail"]
    finally:
        a.stop()
    b = Apid(migrated, tmp_path, extra_conf=(
        f"oauth_allowed_callbacks = '{ALLOWED}'\n"))
    try:
        st, _, body = raw(b.port, "GET", "/oauth/start?callback_url=" + CB)
        assert st == 404
        assert json.loads(body)["detail"] == \
            "OAuth credentials not configured on server"
    finally:
        b.stop()


def test_expired_state(bridge):
    b = bridge
    path = b.consent(b.start())
    b.db.execute("UPDATE oauth_states SET expires_at = now() - "
                 "interval '1 second'")
    assert b.back(path) == {"error": "state_expired", "status": "failed"}
    assert b.audits("oauth.state_expired") == 1
    assert b.dangling() == 0
    assert b.db.scalar("SELECT count(*) FROM users") == 0
    # and the expired state cannot be tried again
    assert b.back(path)["error"] == "state_replayed"


def test_user_denies_at_polar(bridge):
    b = bridge
    path = b.consent(b.start(), deny=True)
    assert b.back(path) == {"error": "access_denied", "status": "failed"}
    assert b.dangling() == 0


def test_no_code_and_odd_errors(bridge):
    b = bridge
    for extra, want in (("", "no_code"), ("&code=", "no_code"),
                        ("&error=%3Cscript%3E", "authorization_failed")):
        auth = b.start()
        state = split(auth)[1]["state"]
        q = b.back(f"/oauth/callback?state={state}{extra}")
        assert q == {"error": want, "status": "failed"}, extra
    assert b.dangling() == 0


def test_polar_refuses_the_code(bridge):
    b = bridge
    state = split(b.start())[1]["state"]
    q = b.back(f"/oauth/callback?state={state}&code=deadbeef")
    assert q == {"error": "exchange_failed", "status": "failed"}
    assert b.dangling() == 0
    assert b.db.scalar("SELECT count(*) FROM users") == 0
    assert "Polar token exchange failed" in b.sd.log()


def test_polar_code_is_never_retried(bridge):
    """A real code whose exchange fails once is not presented again."""
    b = bridge
    path = b.consent(b.start())
    b.sim.reset_stats()
    b.sim.fault("503:/v2/oauth2/token:1:1")
    q = b.back(path)
    assert q == {"error": "exchange_failed", "status": "failed"}
    assert b.sim.stats()["by_pattern"]["POST /v2/oauth2/token"] == 1
    assert b.dangling() == 0


def test_polar_refuses_the_registration(bridge):
    b = bridge
    path = b.consent(b.start())
    b.sim.fault("403:/v3/users:1:1")
    q = b.back(path)
    assert q == {"error": "registration_failed", "status": "failed"}
    assert b.db.scalar("SELECT count(*) FROM users") == 0


def test_syncd_down(bridge):
    b = bridge
    path = b.consent(b.start())
    b.sd.stop()
    assert b.back(path) == {"error": "server_unavailable",
                            "status": "failed"}
    assert b.dangling() == 0


def test_callback_no_longer_allowed(bridge, tmp_path):
    """The allow-list is checked again on the way back."""
    b = bridge
    path = b.consent(b.start("https://app.example.com/cb"))
    b.db.execute("UPDATE oauth_states SET redirect_uri = "
                 "'https://evil.example.com/cb'")
    st, h, body = b.callback(path)
    assert st == 400 and "location" not in h, body
    assert b.dangling() == 0


def test_exchange_errors(bridge):
    b = bridge
    bad = {"detail": "Invalid or expired authorization code",
           "status_code": 401}
    # unknown, malformed, oversized
    for code in ("temp_" + "0" * 64, "nope", "x" * 1000, "a b"):
        st, doc = b.exchange(code)
        assert (st, doc) == (401, bad), code
    assert b.exchange("x" * 5000)[0] == 413
    # missing, wrong types, not JSON
    for body in (b"{}", b'{"code": 5}', b"[]", b"not json", b'{"code":""}'):
        st, h, out = raw(b.apid.port, "POST", "/oauth/exchange", body,
                         {"Content-Type": "application/json"})
        assert st == 422, (body, st, out)
    st, _, _ = raw(b.apid.port, "POST", "/oauth/exchange", b"",
                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 422
    # replayed
    q = connect(b)
    assert b.exchange(q["code"])[0] == 201
    assert b.exchange(q["code"]) == (401, bad)
    assert b.audits("oauth.code_replayed") == 1
    # expired
    q = connect(b)
    b.db.execute("UPDATE temp_auth_codes SET expires_at = now() - "
                 "interval '1 second' WHERE NOT is_used")
    assert b.exchange(q["code"]) == (401, bad)
    assert b.audits("oauth.code_expired") == 1
    # a code issued for a client_id needs it, and is spent by a wrong try
    q = connect(b, client_id="laravel")
    assert b.exchange(q["code"], client_id="other") == (401, bad)
    assert b.audits("oauth.code_client_mismatch") == 1
    assert b.exchange(q["code"], client_id="laravel") == (401, bad)
    q = connect(b, client_id="laravel")
    st, doc = b.exchange(q["code"], client_id="laravel")
    assert st == 201, doc
    assert b.db.scalar("SELECT count(*) FROM api_keys "
                       "WHERE name = 'OAuth bridge' AND is_active") == 1
    assert b.dangling() == 0


PHP = shutil.which("php")


def guzzle():
    return os.path.exists("/usr/share/php/GuzzleHttp/autoload.php")


@pytest.mark.skipif(PHP is None or not guzzle(),
                    reason="php-cli and php-guzzlehttp-guzzle are needed")
def test_php_guzzle_client(bridge, tmp_path):
    """A real SaaS client in PHP (Guzzle) does the SaaS's part."""
    b = bridge
    script = os.path.join(harness.TOP, "tests", "saas", "bridge.php")
    p = subprocess.run(
        [PHP, script, f"http://127.0.0.1:{b.apid.port}", CB],
        capture_output=True, text=True, timeout=300,
        env=harness.clean_env())
    assert p.returncode == 0, p.stdout + p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["status"] == "connected"
    assert out["key_prefix"].startswith("pfk_")
    assert out["sleep_nights"] > 0
    assert b.audits("oauth.exchange") == 1
