"""Fixtures: start polarsim as a subprocess on 127.0.0.1, port 0."""

import base64
import gzip
import http.client
import json
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit, parse_qs

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "polarsim.py")
# A copy of Polar's published OpenAPI document lives beside the tests, so
# they do not depend on anything outside the repository.
SPEC = os.environ.get("POLARSIM_SPEC") or os.path.join(
    HERE, "polar-accesslink-openapi.yml")
TODAY = "2026-11-23"
CLIENT = ("polarsim-client", "polarsim-secret")
BASIC = "Basic " + base64.b64encode(("%s:%s" % CLIENT).encode()).decode()


class Sim:
    def __init__(self, *extra):
        cmd = ["/usr/bin/python3", SIM, "--port", "0", "--users", "3", "--days", "120",
               "--seed", "7", "--today", TODAY] + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"polarsim listening on http://([\d.]+):(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            raise RuntimeError("polarsim failed to start: %r %s" % (line, self.proc.stderr.read()))
        self.host, self.port = m.group(1), int(m.group(2))
        self.url = "http://%s:%d" % (self.host, self.port)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def req(self, method, path, token=None, body=None, headers=None, timeout=10, raw=False):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            if r.getheader("Content-Encoding") == "gzip" and not raw:
                data = gzip.decompress(data)
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get(self, path, token, **kw):
        st, h, b = self.req("GET", path, token, **kw)
        return st, (json.loads(b) if b and h.get("content-type", "").startswith("application/json") else b)

    def ctl(self, method, path, body=None):
        st, h, b = self.req(method, "/_sim/" + path, body=json.dumps(body or {}))
        assert st == 200, (st, b)
        return json.loads(b)

    def token(self, user=0, register=True):
        return self.ctl("POST", "users/%s/token" % user, {"register": register})["access_token"]

    def oauth_code(self, user=0, redirect="http://localhost/cb", state="s1"):
        st, h, _ = self.req("GET", "/oauth2/authorization?response_type=code&client_id=%s&redirect_uri=%s"
                            "&state=%s&user=%s" % (CLIENT[0], redirect, state, user))
        assert st == 302
        q = parse_qs(urlsplit(h["location"]).query)
        assert q["state"] == [state]
        return q["code"][0]


@pytest.fixture(scope="session")
def sim():
    s = Sim()
    yield s
    s.close()


@pytest.fixture(scope="session")
def spec_sim():
    s = Sim("--variant", "spec")
    yield s
    s.close()


@pytest.fixture
def fresh_sim():
    s = Sim("--hang-seconds", "3")
    yield s
    s.close()


@pytest.fixture(scope="session")
def openapi():
    yaml = pytest.importorskip("yaml")
    with open(SPEC) as f:
        return yaml.safe_load(f)
