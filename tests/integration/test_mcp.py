"""MCP at /mcp: real apid + PostgreSQL (+ analyticsd, syncd), driven by a
client written with the official MCP TypeScript SDK (tests/mcp), plus
raw HTTP for what a conforming client never sends."""
import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest

import harness
from fx_analyticsd import analyticsd  # noqa: F401
from fx_apid import MASTER, Apid, make_key
from fx_syncd import (polarsim, polarsim_factory,  # noqa: F401
                      syncd_factory, wait_for)
from test_apid import seed

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MCPDIR = os.path.join(TOP, "tests", "mcp")
UPSTREAM_TOOLS = [
    "get_health_insights", "get_sleep", "get_recovery", "get_activity",
    "get_exercises", "get_biosensing", "get_baselines", "get_patterns",
    "trigger_sync", "get_sync_status"]
OURS = ["get_hrv_band", "get_training_load", "get_sleep_debt",
        "get_recovery_score", "get_alerts"]
ORIGIN = "https://claude.ai"
CARD = "ui://polar-flow/insights-card.html"
EX_ID = "0b6c1e0e-8a43-4a8e-9f0e-0c2f6f1f0a11"
NOT_AUTH = "API key not authorized for this user"


@pytest.fixture(scope="module")
def node_modules():
    p = subprocess.run([os.path.join(harness.TOP, "tests", "npm-setup.sh"),
                        MCPDIR],
                       capture_output=True, text=True, timeout=600)
    if p.returncode == 77:
        pytest.skip(p.stderr.strip())
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.fixture
def mapid(migrated, tmp_path):
    a = Apid(migrated, tmp_path,
             extra_conf=f"mcp_allowed_origins = {ORIGIN}, http://localhost:6274/\n")
    try:
        yield a
    finally:
        a.stop()
        assert "sandbox violation" not in a.proc.logtext()


def run_client(node_modules, apid, key, steps, headers=None):
    h = dict(headers or {})
    if key is not None:
        h["X-API-Key"] = key
    plan = {"url": apid.url("/mcp"), "headers": h, "steps": steps}
    p = subprocess.run(["node", os.path.join(MCPDIR, "client.mjs"),
                        node_modules], input=json.dumps(plan),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def call(name, **args):
    return {"op": "call", "name": name, "arguments": args}


def seed_more(db, user):
    """The streams test_apid.seed leaves out, a few days each."""
    db.execute("INSERT INTO exercise (user_id, polar_exercise_id, id, "
               "start_time, duration_seconds, sport, distance_meters, "
               "calories, average_heart_rate, max_heart_rate, "
               "training_load, route) VALUES (%s, 'p1', %s, "
               "now() - interval '2 days', 3600, 'RUNNING', 10000, 600, "
               "150, 0, 80.5, '[{\"latitude\": 1, \"longitude\": 2}]'), "
               "(%s, 'p2', gen_random_uuid(), now() - interval '3 days', "
               "6000, 'CYCLING', NULL, 5, 120, 160, NULL, NULL)",
               (user, EX_ID, user))
    db.execute("INSERT INTO spo2 (user_id, test_time, blood_oxygen_percent,"
               " spo2_class, avg_heart_rate, hrv_ms) VALUES (%s, now() - "
               "interval '1 day', 97, 'NORMAL', 0, 45.5)", (user,))
    db.execute("INSERT INTO skin_temperature (user_id, sleep_date, "
               "temperature_celsius, deviation_from_baseline, is_elevated)"
               " VALUES (%s, current_date - 1, 33.1, 0.2, false)", (user,))
    db.execute("INSERT INTO physical_info (user_id, recorded_at, weight_kg,"
               " vo2_max, sleep_goal_seconds) VALUES (%s, now() - "
               "interval '5 days', 70.5, 52, 28800)", (user,))


@pytest.fixture
def world(migrated, polarctl, analyticsd):  # noqa: F811
    """alice with 40 days of data and analytics, bob with data 20-29
    days old only, carol with none; a key each and a service key."""
    for u in ("alice", "bob", "carol"):
        polarctl("user", "add", u, check=True)
    seed(migrated, "alice", days=40)
    seed_more(migrated, "alice")
    for i in range(20, 30):
        migrated.execute(
            "INSERT INTO sleep (user_id, date, sleep_score) VALUES "
            f"('bob', current_date - {i}, 60)")
    a = analyticsd().start()
    r = a.call({"v": 1, "type": "analytics.recompute", "user_id": "alice"},
               timeout=60)
    assert r and r.get("ok") is not False, r
    a.stop()
    return {u: make_key(migrated, polarctl, u)
            for u in ("alice", "bob", "carol")} | {
        "service": make_key(migrated, polarctl)}


def test_every_tool_through_the_sdk(node_modules, mapid, world):
    steps = [{"op": "list"}, {"op": "resources"}, {"op": "read", "uri": CARD},
             {"op": "ping"}]
    valid = [
        call("get_health_insights"), call("get_sleep"),
        call("get_sleep", days=5), call("get_recovery", days=7),
        call("get_activity", days=365), call("get_exercises"),
        call("get_exercises", exercise_id=EX_ID),
        call("get_biosensing", metric="spo2"),
        call("get_biosensing", metric="ecg"),
        call("get_biosensing", metric="body_temperature"),
        call("get_biosensing", metric="skin_temperature"),
        call("get_biosensing", metric="heart_rate", days=3),
        call("get_biosensing", metric="alertness"),
        call("get_biosensing", metric="bedtime"),
        call("get_baselines"), call("get_patterns"),
        call("get_sync_status"), call("get_hrv_band", days=60),
        call("get_training_load", days=60), call("get_sleep_debt"),
        call("get_recovery_score"), call("get_alerts", days=90),
        call("get_sleep", user_id="alice")]
    invalid = [
        call("get_sleep", days=0), call("get_sleep", days=366),
        call("get_sleep", days="x"), call("get_biosensing"),
        call("get_biosensing", metric="blood"),
        call("get_exercises", exercise_id="nope"),
        call("get_exercises",
             exercise_id="0b6c1e0e-8a43-4a8e-9f0e-000000000000"),
        call("get_sleep", user_id="bob"), call("get_sleep", bogus=1),
        call("get_sleep", user_id="../x"), call("no_such_tool"),
        {"op": "read", "uri": "ui://polar-flow/nope.html"}]
    rep = run_client(node_modules, mapid, world["alice"],
                     steps + valid + invalid)
    assert "connect_error" not in rep, rep
    srv = rep["server"]
    assert srv["version"]["name"] == "polar-flow-server"
    assert srv["version"]["title"] == "Polar Health Data"
    assert "get_health_insights" in srv["instructions"]
    assert srv["protocol"] == "2025-11-25"
    assert "tools" in srv["capabilities"] and "resources" in srv[
        "capabilities"]

    s = rep["steps"]
    tools = s[0]["result"]["tools"]
    names = [t["name"] for t in tools]
    assert names == UPSTREAM_TOOLS + OURS
    for t in tools:
        assert t["outputSchema"]["type"] == "object", t["name"]
        assert t["inputSchema"]["type"] == "object"
    ins = tools[0]
    assert ins["_meta"] == {"ui": {"resourceUri": CARD}}
    sleep = tools[1]["inputSchema"]["properties"]["days"]
    assert (sleep["minimum"], sleep["maximum"], sleep["default"]) == (
        1, 365, 30)
    bio = tools[5]["inputSchema"]
    assert bio["required"] == ["metric"]
    assert bio["properties"]["metric"]["enum"] == [
        "spo2", "ecg", "body_temperature", "skin_temperature",
        "heart_rate", "alertness", "bedtime"]

    res = s[1]["result"]["resources"]
    assert [r["uri"] for r in res] == [CARD]
    assert res[0]["mimeType"] == "text/html;profile=mcp-app"
    card = s[2]["result"]["contents"][0]
    assert card["mimeType"] == "text/html;profile=mcp-app"
    html = card["text"]
    assert "ui/initialize" in html and "ui/notifications/tool-result" in html
    assert "ui/notifications/size-changed" in html
    assert "--color-text-primary" in html
    # self-contained: nothing loaded from elsewhere
    assert "src=\"http" not in html and "href=\"http" not in html
    assert card["_meta"]["ui"]["prefersBorder"] is True
    assert s[3]["ok"]

    got = {}
    for step, out in zip(valid, s[4:4 + len(valid)]):
        what = (step["name"], json.dumps(step["arguments"]))
        assert out["ok"], (what, out)
        r = out["result"]
        assert r.get("isError") is not True, (what, r)
        assert out["schema_ok"] is True, (what, out["schema_errors"])
        assert json.loads(r["content"][0]["text"]) == r["structuredContent"]
        got.setdefault(step["name"], []).append(r["structuredContent"])

    # the tool's insights are REST's
    rest = mapid.get("/api/v1/users/alice/insights", world["alice"]).json()
    doc = got["get_health_insights"][0]
    assert doc["user_id"] == "alice" and doc["status"] in (
        "ready", "partial", "unavailable")
    assert doc == rest
    sl = got["get_sleep"]
    assert sl[0]["days"] == 30 and sl[0]["count"] == 31
    assert sl[1]["count"] == 6 and "hint" not in sl[1]
    r0 = sl[0]["records"][0]
    assert r0["total_sleep_hours"] == 7.5 and r0["heart_rate_avg_bpm"] == 55.5
    assert r0["interruptions_hours"] is None
    rec = got["get_recovery"][0]
    assert len(rec["nightly_recharge"]) == 8
    assert rec["cardio_load"][0]["cardio_load_ratio"] == 1.11
    assert rec["cardio_load"][0]["strain"] is None
    ex = got["get_exercises"]
    assert ex[0]["count"] == 2
    run = [e for e in ex[0]["records"] if e["id"] == EX_ID][0]
    assert run["calories"] == 600 and run["max_heart_rate_bpm"] is None
    bike = [e for e in ex[0]["records"] if e["id"] != EX_ID][0]
    assert bike["calories"] is None     # 5 kcal in 100 min: implausible
    assert ex[1]["id"] == EX_ID and ex[1]["route_point_count"] == 1
    bios = got["get_biosensing"]
    assert bios[0]["metric"] == "spo2" and bios[0]["count"] == 1
    assert bios[0]["records"][0]["avg_heart_rate_bpm"] is None
    assert bios[1]["count"] == 0, bios[1]
    assert bios[1]["hint"] == "No records exist for this user yet."
    assert bios[4]["metric"] == "heart_rate" and bios[4]["count"] == 4
    base = got["get_baselines"][0]
    assert base["physical_info"]["weight_kg"] == 70.5
    assert base["physical_info"]["sleep_goal_hours"] == 8.0
    assert base["count"] == len(base["baselines"]) > 0
    assert got["get_sync_status"][0]["last_sync"] is None
    assert got["get_sync_status"][0]["currently_syncing"] is False

    errs = s[4 + len(valid):]
    texts = []
    for step, out in zip(invalid[:-2], errs[:-2]):
        assert out["ok"], (step, out)
        r = out["result"]
        assert r["isError"] is True, (step, r)
        assert "structuredContent" not in r
        texts.append(r["content"][0]["text"])
    assert "between 1 and 365" in texts[0] and "between 1 and 365" in texts[1]
    assert "integer" in texts[2]
    assert "metric is required" in texts[3] and "one of spo2" in texts[4]
    assert texts[5] == "Exercise nope not found"
    assert texts[6] == ("Exercise 0b6c1e0e-8a43-4a8e-9f0e-000000000000 "
                        "not found")
    assert texts[7] == NOT_AUTH
    assert "unexpected argument 'bogus'" in texts[8]
    assert "user_id" in texts[9]
    assert errs[-2]["ok"] is False and errs[-2]["code"] == -32602
    assert "no_such_tool" in errs[-2]["error"]
    assert errs[-1]["ok"] is False and errs[-1]["code"] == -32002


def test_users_are_kept_apart(node_modules, mapid, world, migrated):
    st = [call("get_sleep", days=5), call("get_sleep", days=365),
          call("get_sleep", user_id="alice"),
          call("get_health_insights", user_id="alice"),
          call("get_baselines", user_id="alice"),
          call("trigger_sync", user_id="alice")]
    rep = run_client(node_modules, mapid, world["bob"], st)
    s = rep["steps"]
    stale = s[0]["result"]["structuredContent"]
    assert stale["count"] == 0 and stale["records"] == []
    assert stale["most_recent_record"] == migrated.scalar(
        "SELECT (current_date - 20)::text")
    assert stale["hint"].startswith(
        "No records in the requested window, but data exists up to ")
    assert "get_sync_status" in stale["hint"]
    assert s[1]["result"]["structuredContent"]["count"] == 10
    for out in s[2:]:
        assert out["result"]["isError"] is True
        assert out["result"]["content"][0]["text"] == NOT_AUTH

    # carol has no data at all
    rep = run_client(node_modules, mapid, world["carol"],
                     [call("get_activity"), call("get_recovery")])
    for out in rep["steps"]:
        sc = out["result"]["structuredContent"]
        assert sc["hint"] == "No records exist for this user yet."

    # a service key (and the master key) reads the connected user, or
    # the one asked for
    for key in (world["service"], MASTER):
        rep = run_client(node_modules, mapid, key, [
            call("get_sleep"), call("get_sleep", user_id="bob", days=365),
            call("get_sync_status", user_id="carol")])
        s = rep["steps"]
        assert s[0]["result"]["structuredContent"]["count"] == 31
        assert s[1]["result"]["structuredContent"]["count"] == 10
        assert s[2]["result"]["structuredContent"]["user_id"] == "carol"

    migrated.execute("UPDATE users SET is_active = false")
    rep = run_client(node_modules, mapid, world["service"],
                     [call("get_sleep")])
    r = rep["steps"][0]["result"]
    assert r["isError"] is True
    assert r["content"][0]["text"] == ("No connected Polar user on this "
                                       "server yet - complete the OAuth "
                                       "setup first")


def raw(apid, body, key=None, headers=None, method="POST"):
    h = {"Content-Type": "application/json",
         "Accept": "application/json, text/event-stream"}
    if key:
        h["X-API-Key"] = key
    h.update(headers or {})
    data = body if isinstance(body, bytes) or body is None else \
        json.dumps(body).encode()
    req = urllib.request.Request(apid.url("/mcp"), data=data, method=method,
                                 headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, \
                r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, \
            e.read()


PING = {"jsonrpc": "2.0", "id": 7, "method": "ping"}


def test_transport_contract(mapid, world):
    key = world["alice"]
    st, h, b = raw(mapid, PING, key)
    assert st == 200 and json.loads(b) == {"jsonrpc": "2.0", "id": 7,
                                           "result": {}}
    assert h["content-type"] == "application/json"
    assert "x-ratelimit-limit" not in h

    # auth first, in upstream's words, with a challenge
    st, h, b = raw(mapid, PING)
    assert st == 401 and json.loads(b) == {
        "error": "Missing API key. Use X-API-Key header."}
    assert h["www-authenticate"].startswith("Bearer")
    st, h, b = raw(mapid, PING, "pfk_" + "0" * 40)
    assert st == 401 and json.loads(b) == {"error": "Invalid API key"}
    assert "www-authenticate" in h
    st, _, _ = raw(mapid, PING, headers={"Authorization": "Bearer " + key})
    assert st == 200

    # DNS rebinding: a browser Origin must be on the list
    st, _, b = raw(mapid, PING, key, {"Origin": "https://evil.example"})
    assert st == 403
    st, _, _ = raw(mapid, PING, None, {"Origin": "https://evil.example"})
    assert st == 403
    for o in (ORIGIN, "HTTPS://CLAUDE.AI/", "http://localhost:6274"):
        st, h, _ = raw(mapid, PING, key, {"Origin": o})
        assert st == 200 and h["access-control-allow-origin"] == o, o
    st, h, _ = raw(mapid, None, None, {
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-api-key"},
        method="OPTIONS")
    assert st == 204 and h["access-control-allow-origin"] == ORIGIN
    assert "X-API-Key" in h["access-control-allow-headers"]
    st, h, _ = raw(mapid, None, None, {"Origin": "https://evil.example"},
                   method="OPTIONS")
    assert "access-control-allow-origin" not in h

    # JSON-RPC errors, never a 500
    st, _, b = raw(mapid, b"{not json", key)
    assert st == 400 and json.loads(b)["error"]["code"] == -32700
    assert json.loads(b)["id"] is None
    st, _, b = raw(mapid, [PING, PING], key)
    assert st == 400 and json.loads(b)["error"]["code"] == -32600
    for bad in ({"id": 1, "method": "ping"}, {"jsonrpc": "2.0", "id": 1},
                {"jsonrpc": "2.0", "id": None, "method": "ping"},
                {"jsonrpc": "2.0", "id": [1], "method": "ping"}, 42, "x"):
        st, _, b = raw(mapid, bad, key)
        assert st == 400 and json.loads(b)["error"]["code"] == -32600, bad
    st, _, b = raw(mapid, {"jsonrpc": "2.0", "id": "a", "method": "nope"},
                   key)
    assert st == 200 and json.loads(b) == {
        "jsonrpc": "2.0", "id": "a",
        "error": {"code": -32601, "message": "Method not found"}}
    for params in ([1], "x", {}, {"name": 5}):
        st, _, b = raw(mapid, {"jsonrpc": "2.0", "id": 1,
                               "method": "tools/call", "params": params},
                       key)
        assert st == 200 and json.loads(b)["error"]["code"] == -32602
    st, _, b = raw(mapid, {"jsonrpc": "2.0", "id": 1, "method":
                           "tools/call", "params": {"name": "get_sleep",
                                                    "arguments": [1]}}, key)
    assert json.loads(b)["result"]["isError"] is True

    # notifications and responses: 202, no body
    st, _, b = raw(mapid, {"jsonrpc": "2.0",
                           "method": "notifications/initialized"}, key)
    assert st == 202 and b == b""
    st, _, b = raw(mapid, {"jsonrpc": "2.0", "id": 3, "result": {}}, key)
    assert st == 202 and b == b""

    # version negotiation
    for asked, want in (("2025-06-18", "2025-06-18"),
                        ("2025-03-26", "2025-03-26"),
                        ("2024-11-05", "2024-11-05"),
                        ("2031-01-01", "2025-11-25")):
        st, _, b = raw(mapid, {"jsonrpc": "2.0", "id": 1,
                               "method": "initialize", "params": {
                                   "protocolVersion": asked,
                                   "capabilities": {}, "clientInfo": {
                                       "name": "t", "version": "1"}}}, key)
        assert json.loads(b)["result"]["protocolVersion"] == want
    st, _, b = raw(mapid, PING, key, {"MCP-Protocol-Version": "1999-01-01"})
    assert st == 400 and json.loads(b)["error"]["code"] == -32000
    st, _, _ = raw(mapid, PING, key, {"MCP-Protocol-Version": "2025-06-18"})
    assert st == 200

    # media types
    st, _, b = raw(mapid, PING, key, {"Content-Type": "text/plain"})
    assert st == 415
    st, _, b = raw(mapid, PING, key, {"Accept": "text/html"})
    assert st == 406

    # SSE framing for a client that accepts only text/event-stream
    st, h, b = raw(mapid, {"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                           "params": {"name": "get_activity",
                                      "arguments": {"days": 3}}},
                   key, {"Accept": "text/event-stream"})
    assert st == 200 and h["content-type"] == "text/event-stream"
    text = b.decode()
    assert text.startswith("event: message\ndata: ") and text.endswith(
        "\n\n")
    data = "".join(ln[6:] for ln in text.splitlines()
                   if ln.startswith("data: "))
    msg = json.loads(data)
    assert msg["id"] == 9
    assert msg["result"]["structuredContent"]["count"] == 4

    # no server stream, no session: GET and DELETE are 405 with Allow
    for m in ("GET", "DELETE"):
        st, h, _ = raw(mapid, None, key, method=m)
        assert st == 405 and "POST" in h["allow"], m


def test_rate_limit_contract(mapid, migrated, polarctl):
    polarctl("user", "add", "dora", check=True)
    key = make_key(migrated, polarctl, "dora", limit=3)
    for _ in range(3):
        assert raw(mapid, PING, key)[0] == 200
    st, h, b = raw(mapid, PING, key)
    assert st == 429
    after = int(h["retry-after"])
    assert 1 <= after <= 3600
    assert json.loads(b) == {
        "error": f"Rate limit exceeded. Retry after {after} seconds."}
    # REST shares the quota
    assert mapid.get("/api/v1/users/dora/sleep", key).status == 429


def test_trigger_sync(node_modules, mapid, migrated, polarctl,
                      syncd_factory, polarsim):  # noqa: F811
    polarctl("user", "add", "erin", check=True)
    erin = make_key(migrated, polarctl, "erin")
    rep = run_client(node_modules, mapid, erin, [call("trigger_sync")])
    r = rep["steps"][0]["result"]
    assert r["isError"] is True
    assert "polarflow-syncd" in r["content"][0]["text"]

    sd = syncd_factory(extra={"rundir": mapid.rundir})
    uid = sd.authorize(0)
    key = make_key(migrated, polarctl, uid)
    polarsim.fault("slow:/v3/exercises/*:1500")
    rep = run_client(node_modules, mapid, key, [
        {"op": "list"}, call("trigger_sync"), call("trigger_sync"),
        call("get_sync_status")])
    s = rep["steps"]
    first = s[1]["result"]["structuredContent"]
    assert first == {"status": "started", "user_id": uid, "message":
                     "Sync running in the background; poll "
                     "get_sync_status for the result."}
    assert s[1]["schema_ok"] and s[2]["schema_ok"] and s[3]["schema_ok"]
    assert s[2]["result"]["structuredContent"] == {
        "status": "already_running", "user_id": uid}
    st = s[3]["result"]["structuredContent"]
    assert st["currently_syncing"] is True
    assert st["last_sync"]["status"] == "started"
    wait_for(lambda: sd.status()["in_flight"] == [], 120, "sync end")
    polarsim.clear_faults()
    rep = run_client(node_modules, mapid, key, [call("get_sync_status")])
    st = rep["steps"][0]["result"]["structuredContent"]
    assert st["currently_syncing"] is False
    assert st["last_sync"]["status"] == "success"
    assert st["last_sync"]["completed_at"]
    # an inactive user is not synced
    migrated.execute("UPDATE users SET is_active = false WHERE user_id = "
                     "'erin'")
    rep = run_client(node_modules, mapid, MASTER,
                     [call("trigger_sync", user_id="erin")])
    r = rep["steps"][0]["result"]
    assert r["content"][0]["text"] == "No connected Polar user 'erin' to sync"
    harness  # noqa: B018
