"""The admin console under /admin: real apid + PostgreSQL with demo data,
driven in Debian's chromium by tests/console/console.mjs (playwright-core,
axe-core), plus raw HTTP for headers and what a browser never sends."""
import json
import os
import re
import shutil
import subprocess
import urllib.request

import pytest

from fx_analyticsd import analyticsd  # noqa: F401
from fx_apid import Apid
from test_apid import seed

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CDIR = os.path.join(TOP, "tests", "console")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def node_modules():
    p = subprocess.run([os.path.join(TOP, "tests", "npm-setup.sh"),
                        CDIR],
                       capture_output=True, text=True, timeout=600)
    if p.returncode == 77:
        pytest.skip(p.stderr.strip())
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.fixture
def capi(migrated, tmp_path):
    # 127.0.0.1 is the trusted proxy: the throttle test speaks for
    # another client through X-Forwarded-For.
    a = Apid(migrated, tmp_path, extra_conf="api_trusted_proxies = "
             "127.0.0.1, ::1\n")
    try:
        yield a
    finally:
        a.stop()
        assert "sandbox violation" not in a.proc.logtext()


@pytest.fixture
def demo(migrated, polarctl, analyticsd):  # noqa: F811
    """alice with 120 days of data and analytics, bob with none."""
    for u in ("alice", "bob"):
        polarctl("user", "add", u, check=True)
    seed(migrated, "alice", days=120)
    for i in range(120):
        # a realistic night-to-night HRV, for the band
        migrated.execute(
            "UPDATE nightly_recharge SET hrv_avg = 45 + 8 * sin(%s / 3.0)"
            " WHERE user_id = 'alice' AND date = current_date - %s",
            (i, i))
    a = analyticsd().start()
    r = a.call({"v": 1, "type": "analytics.recompute", "user_id": "alice"},
               timeout=60)
    assert r and r.get("ok") is not False, r
    a.stop()


def setup_token(polarctl):
    p = polarctl("admin", "setup-token", check=True)
    tok = p.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", tok), tok
    return tok


def test_console_in_a_browser(node_modules, capi, demo, polarctl):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium is not installed")
    tok = setup_token(polarctl)
    # apid announced the same token at start
    assert tok in capi.proc.logtext()
    build = os.environ.get("BUILD", "build")
    plan = {"base": capi.url("").rstrip("/"), "token": tok,
            "admin": "admin@example.org", "password": PASSWORD,
            "user": "alice", "chromium": CHROMIUM,
            "api_probe": "/api/v1/users/alice/status",
            "shots": os.path.join(TOP, build, "screenshots")}
    p = subprocess.run(["node", os.path.join(CDIR, "console.mjs"),
                        node_modules], input=json.dumps(plan),
                       capture_output=True, text=True, timeout=300)
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        raise AssertionError(p.stdout + p.stderr) from None
    assert rep["ok"], rep.get("error", "") + "\n" + p.stderr + \
        "\nchecks passed: " + json.dumps(rep["checks"], indent=1) + \
        "\napid:\n" + "\n".join(
            ln for ln in capi.proc.logtext().splitlines()
            if '"request"' in ln or "console" in ln)[-6000:]
    assert set(rep["pages"]) == {"setup", "login", "users", "dashboard",
                                 "keys"}
    assert len(rep["shots"]) >= 10
    # once an admin exists there is no setup token any more
    polarctl("admin", "setup-token", check=False)
    assert migrated_count(capi.db, "console_setup") == 0


def migrated_count(db, table):
    return db.query(f"SELECT count(*) FROM {table}")[0][0]


def raw(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {},
                                 method="POST" if data is not None else "GET")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    op = urllib.request.build_opener(NoRedirect)
    try:
        with op.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_headers_assets_and_refusals(capi):
    st, h, body = raw(capi.url("/admin"))
    assert st == 303 and h["location"] == "/admin/setup"
    st, h, body = raw(capi.url("/admin/setup"))
    assert st == 200
    csp = h["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "style-src 'self'" in csp
    assert h["cache-control"] == "no-store"
    assert h["x-frame-options"] == "DENY"
    page = body.decode()
    assert "<script>" not in page and " style=" not in page
    assert "pf_presession=" in h["set-cookie"]
    assert "HttpOnly" in h["set-cookie"] and "SameSite=Strict" in \
        h["set-cookie"] and "Secure" not in h["set-cookie"]
    # assets: embedded, hashed in the URL, cached for a year, ETag
    urls = re.findall(r'(/admin/static/[^"?]+)\?v=([0-9a-f]{16})', page)
    assert {u.rsplit("/", 1)[1] for u, _ in urls} >= {
        "console.css", "htmx.min.js", "console.js"}
    for u, v in urls:
        st, h, body = raw(capi.url(u))
        assert st == 200 and len(body) > 100
        assert "max-age=31536000" in h["cache-control"]
        assert h["etag"] == f'"{v}"'
        st, h, _ = raw(capi.url(u), headers={"If-None-Match": f'"{v}"'})
        assert st == 304
    assert raw(capi.url("/admin/static/nope.js"))[0] == 404
    assert raw(capi.url("/admin/static/../../etc/passwd"))[0] == 404
    assert raw(capi.url("/admin/nope"))[0] == 404
    # no session: pages redirect, the JSON says 401
    st, h, _ = raw(capi.url("/admin/users"))
    assert st == 303 and h["location"] == "/admin/setup"
    st, h, body = raw(capi.url("/admin/api/hrv?user=alice"))
    assert st == 401 and json.loads(body)["detail"]
    # a POST without the pre-session token is refused
    st, _, body = raw(capi.url("/admin/login"),
                      data=b"name=a&password=b")
    assert st == 403
    # the console stays out of openapi.json
    assert "/admin" not in capi.get("/schema/openapi.json").text


def test_secure_cookie_behind_tls(migrated, tmp_path):
    a = Apid(migrated, tmp_path,
             extra_conf="api_console_secure_cookies = true\n")
    try:
        st, h, _ = raw(a.url("/admin/setup"))
        assert "Secure" in h["set-cookie"]
        assert "strict-transport-security" in h
    finally:
        a.stop()


def test_polarctl_admin(migrated, polarctl, capi):
    tok = setup_token(polarctl)
    assert setup_token(polarctl) == tok          # stable until used
    polarctl("admin", "add", "bad name", input="x" * 10, check=False)
    polarctl("admin", "add", "ops", input="short\n", check=False)
    polarctl("admin", "add", "ops", input=PASSWORD + "\n", check=True)
    assert migrated_count(migrated, "console_setup") == 0
    polarctl("admin", "setup-token", check=False)
    polarctl("admin", "add", "ops", input=PASSWORD + "\n", check=False)
    h = migrated.query("SELECT password_hash FROM console_admins "
                       "WHERE name = 'ops'")[0][0]
    assert h.startswith("$argon2id$")
    out = polarctl("-j", "admin", "list", check=True).stdout
    assert json.loads(out)[0]["name"] == "ops"
    polarctl("admin", "passwd", "ops", input="another password\n",
             check=True)
    assert migrated.query("SELECT password_hash FROM console_admins "
                          "WHERE name = 'ops'")[0][0] != h
    polarctl("admin", "passwd", "nobody", input=PASSWORD + "\n",
             check=False)
    polarctl("admin", "remove", "ops", check=True)
    polarctl("admin", "remove", "ops", check=False)
