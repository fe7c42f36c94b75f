"""OAuth, auth/registration, no-data semantics, windows, rate limits, control."""

import base64
import json
import subprocess
import time

from conftest import BASIC, CLIENT, SIM, Sim, TODAY

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def token_req(s, body, auth=BASIC):
    h = dict(FORM)
    if auth:
        h["Authorization"] = auth
    st, hd, b = s.req("POST", "/v2/oauth2/token", body=body, headers=h)
    return st, json.loads(b) if b else None


# ---- OAuth2 -----------------------------------------------------------------

def test_oauth_happy_path_then_register(fresh_sim):
    s = fresh_sim
    code = s.oauth_code(user=1)
    assert len(code) == 32 and int(code, 16) >= 0
    st, tok = token_req(s, "grant_type=authorization_code&code=%s&redirect_uri=http://localhost/cb" % code)
    assert st == 200
    assert set(tok) == {"access_token", "token_type", "expires_in", "x_user_id"}
    assert tok["token_type"] == "bearer" and isinstance(tok["x_user_id"], int) and tok["expires_in"] > 3e7
    users = s.ctl("GET", "users")
    assert tok["x_user_id"] == users[1]["user_id"]
    t = tok["access_token"]
    assert s.req("GET", "/v3/users/sleep", t)[0] == 403          # not registered yet
    assert s.req("GET", "/v3/users/%d" % tok["x_user_id"], t)[0] == 204
    st, h, b = s.req("POST", "/v3/users", t, {"member-id": str(tok["x_user_id"])})
    assert st == 201 and json.loads(b)["polar-user-id"] == tok["x_user_id"]
    assert s.req("POST", "/v3/users", t, {"member-id": str(tok["x_user_id"])})[0] == 409
    st, body = s.get("/v3/users/sleep", t)
    assert st == 200 and len(body["nights"]) >= 20
    st, user = s.get("/v3/users/%d" % tok["x_user_id"], t)
    assert st == 200 and user["member-id"] == str(tok["x_user_id"])


def test_oauth_errors(fresh_sim):
    s = fresh_sim
    code = s.oauth_code()
    ok = "grant_type=authorization_code&code=%s&redirect_uri=http://localhost/cb" % code
    bad = "Basic " + base64.b64encode(b"polarsim-client:wrong").decode()
    assert token_req(s, ok, auth=None) == (401, {"error": "invalid_client"})
    assert token_req(s, ok, auth=bad) == (401, {"error": "invalid_client"})
    # credentials in the form body are not accepted (Polar wants Basic)
    assert token_req(s, ok + "&client_id=%s&client_secret=%s" % CLIENT, auth=None)[0] == 401
    assert token_req(s, "code=%s" % code) == (400, {"error": "invalid_request"})
    assert token_req(s, "grant_type=refresh_token&refresh_token=x") == (400, {"error": "unsupported_grant_type"})
    assert token_req(s, "grant_type=authorization_code") == (400, {"error": "invalid_request"})
    assert token_req(s, "grant_type=authorization_code&code=deadbeef") == (400, {"error": "invalid_grant"})
    assert token_req(s, "grant_type=authorization_code&code=%s&redirect_uri=http://evil/" % code) == \
        (400, {"error": "invalid_grant"})
    st, tok = token_req(s, ok)
    assert st == 200
    t = tok["access_token"]
    s.ctl("POST", "users/0/register")
    assert s.req("GET", "/v3/users/physical-info", t)[0] == 200
    # second use of a code: denied, and every token issued from it is revoked
    assert token_req(s, ok) == (400, {"error": "invalid_grant"})
    assert s.req("GET", "/v3/users/physical-info", t)[0] == 401


def test_authorize_errors(sim):
    base = "/oauth2/authorization?client_id=polarsim-client&redirect_uri=http://localhost/cb&state=q"
    st, h, _ = sim.req("GET", base + "&response_type=token")
    assert st == 302 and "error=unsupported_response_type" in h["location"] and "state=q" in h["location"]
    st, h, _ = sim.req("GET", base + "&response_type=code&deny=1")
    assert "error=access_denied" in h["location"]
    st, h, _ = sim.req("GET", base + "&response_type=code&scope=bogus")
    assert "error=invalid_scope" in h["location"]
    st, h, _ = sim.req("GET", "/oauth2/authorization?client_id=nope&response_type=code&redirect_uri=http://x/")
    assert st == 400


# ---- auth and registration ----------------------------------------------------

def test_401_and_403(sim):
    assert sim.req("GET", "/v3/users/sleep")[0] == 401
    assert sim.req("GET", "/v3/users/sleep", "0" * 32)[0] == 401
    assert sim.req("GET", "/v3/notifications")[0] == 401
    assert sim.req("GET", "/v3/notifications", headers={"Authorization": BASIC})[0] in (200, 204)
    u = sim.ctl("POST", "users", {"token": True})
    t = u["access_token"]
    for p in ("/v3/users/sleep", "/v3/exercises", "/v3/users/activities", "/v3/users/biosensing/ecg"):
        assert sim.req("GET", p, t)[0] == 403
    assert sim.req("POST", "/v3/users", t, {})[0] == 400
    assert sim.req("POST", "/v3/users", t, {"member-id": "dup-%d" % u["user_id"]})[0] == 201
    other = sim.ctl("POST", "users", {"token": True})
    # duplicate member-id within the client
    assert sim.req("POST", "/v3/users", other["access_token"], {"member-id": "dup-%d" % u["user_id"]})[0] == 409
    sim.ctl("POST", "users/%d/consents" % u["index"], {"ok": False})
    assert sim.req("GET", "/v3/users/sleep", t)[0] == 403
    sim.ctl("POST", "users/%d/consents" % u["index"], {"ok": True})
    assert sim.req("GET", "/v3/users/sleep", t)[0] == 200
    assert sim.req("GET", "/v3/users/%d" % other["user_id"], t)[0] == 403
    assert sim.req("DELETE", "/v3/users/%d" % u["user_id"], t)[0] == 204
    assert sim.req("GET", "/v3/users/sleep", t)[0] == 401


# ---- no-data semantics and windows ----------------------------------------------

def test_no_data_signals(sim):
    t = sim.token(0)
    st, av = sim.get("/v3/users/sleep/available", t)
    have = {a["date"] for a in av["available"]}
    old = "2026-01-10"                          # before the 120-day history
    assert sim.req("GET", "/v3/users/sleep/" + old, t)[0] == 404
    assert sim.req("GET", "/v3/users/nightly-recharge/" + old, t)[0] == 404
    assert sim.req("GET", "/v3/users/continuous-heart-rate/" + old, t)[0] == 404
    assert sim.req("GET", "/v3/users/activities/" + old, t)[0] == 204
    assert sim.req("GET", "/v3/users/activities/samples/" + old, t)[0] == 204
    assert sim.req("GET", "/v3/exercises/NoSuchId1", t)[0] == 404
    assert sim.req("GET", "/v3/exercises/NoSuchId1/fit", t)[0] == 404
    st, body = sim.get("/v3/users/activities?from=2026-01-01&to=2026-01-20", t)
    assert st == 200 and body == []
    st, cl = sim.get("/v3/users/cardio-load/date?from=2026-01-01&to=2026-01-03", t)
    assert [c["cardio_load_status"] for c in cl] == ["LOAD_STATUS_NOT_AVAILABLE"] * 3
    assert cl[0]["cardio_load"] == -1.0 and cl[0]["tolerance"] == -1.0 and cl[0]["strain"] == 0.0
    assert sim.req("GET", "/v3/users/biosensing/ecg?from=2026-01-01&to=2026-01-20", t)[0] == 204
    assert sim.req("GET", "/v3/users/sleepwise/alertness/date?from=2026-01-01&to=2026-01-20", t)[0] == 204
    # user 2 wears a device without biosensing: always 204
    t2 = sim.token(2)
    for k in ("spo2", "ecg", "bodytemperature", "skintemperature", "skincontacts"):
        assert sim.req("GET", "/v3/users/biosensing/" + k, t2)[0] == 204
    # a user without physical info
    u = sim.ctl("POST", "users", {"token": True, "register": True, "physical_info": False})
    assert sim.req("GET", "/v3/users/physical-info", u["access_token"])[0] == 404
    # a user whose device has no SleepWise (index 3: Pacer Pro) gets 204
    while u["index"] % 4 != 3:
        u = sim.ctl("POST", "users", {"token": True, "register": True})
    assert sim.req("GET", "/v3/users/sleepwise/alertness", u["access_token"])[0] == 204


def test_range_rules(sim):
    t = sim.token(0)
    bad = ["/v3/users/activities?from=2026-10-01&to=2026-11-23",      # > 28 days
           "/v3/users/activities?from=2025-11-01&to=2025-11-10",      # > 365 days old
           "/v3/users/activities?from=2026-11-10&to=2026-11-01",
           "/v3/users/activities?from=2026-13-01&to=2026-13-02",
           "/v3/users/activities/2025-11-01",
           "/v3/users/activities/samples?from=2026-10-01&to=2026-11-23",
           "/v3/users/sleep/2026-1-5", "/v3/users/nightly-recharge/yesterday",
           "/v3/users/continuous-heart-rate/2026-02-30",
           "/v3/users/continuous-heart-rate?from=2026-11-01",
           "/v3/users/cardio-load/date?from=2026-11-01",
           "/v3/users/cardio-load/period/days/0",
           "/v3/users/sleepwise/alertness/date",
           "/v3/users/sleepwise/alertness/date?from=2026-09-01&to=2026-11-01",
           "/v3/users/biosensing/spo2?from=2026-11-01",
           "/v3/users/biosensing/spo2?from=2026-09-01&to=2026-11-01"]
    for p in bad:
        assert sim.req("GET", p, t)[0] == 400, p
    st, a = sim.get("/v3/users/activities", t)
    assert st == 200 and len(a) >= 26 and a[-1]["start_time"].startswith(TODAY)
    st, a = sim.get("/v3/users/activities?from=2026-10-26&to=2026-11-23", t)
    assert st == 200
    # aliases: trailing slashes and ignored sleep from/to
    assert sim.req("GET", "/v3/users/cardio-load/", t)[0] == 200
    assert sim.req("GET", "/v3/users/activities/?from=2026-11-20&to=2026-11-22", t)[0] == 200
    st, n1 = sim.get("/v3/users/sleep?from=2026-11-20&to=2026-11-23", t)
    st, n2 = sim.get("/v3/users/sleep", t)
    assert n1 == n2
    st, cl = sim.get("/v3/users/cardio-load", t)
    assert [c["date"] for c in cl][-1] == TODAY and len(cl) == 28
    st, cl = sim.get("/v3/users/cardio-load/2026-11-20", t)
    assert isinstance(cl, list) and len(cl) == 1


def test_exercise_flags_and_files(sim):
    t = sim.token(1)
    st, exs = sim.get("/v3/exercises", t)
    assert st == 200 and len(exs) >= 8
    assert all(e["upload_time"] >= "2026-10-24" for e in exs)
    for e in exs:
        assert not {"samples", "heart_rate_zones", "route"} & set(e)
    run = next(e for e in exs if e["has_route"])
    st, d = sim.get("/v3/exercises/%s?zones=true" % run["id"], t)
    assert set(d) - set(run) == {"heart_rate_zones"}
    st, d = sim.get("/v3/exercises/%s?samples=true&zones=true&route=true" % run["id"], t)
    assert [z["index"] for z in d["heart_rate_zones"]] == [1, 2, 3, 4, 5]
    types = {s["sample-type"]: s for s in d["samples"]}
    hr = [int(x) for x in types["0"]["data"].split(",")]
    assert len(hr) > 600 and max(hr) == d["heart_rate"]["maximum"]
    assert abs(sum(hr) / len(hr) - d["heart_rate"]["average"]) < 1.5
    assert len(d["route"]) == len(hr) and d["route"][0]["time"] == "PT1.012S"
    if "11" in types:
        assert types["11"]["recording-rate"] is None
    assert sim.req("GET", "/v3/exercises/%s/fit" % run["id"], t)[2][8:12] == b".FIT"
    st, h, tcx = sim.req("GET", "/v3/exercises/%s/tcx" % run["id"], t, headers={"Accept-Encoding": "gzip"})
    assert h["content-type"] == "application/vnd.garmin.tcx+xml" and h["content-encoding"] == "gzip"
    assert b"<TrainingCenterDatabase" in tcx
    st, h, gpx = sim.req("GET", "/v3/exercises/%s/gpx" % run["id"], t)
    assert h["content-type"] == "application/gpx+xml" and gpx.count(b"<trkpt") == len(d["route"])


def test_data_looks_like_an_athlete(sim):
    t = sim.token(0)
    st, nights = sim.get("/v3/users/sleep", t)
    for n in nights["nights"]:
        from datetime import datetime
        span = (datetime.fromisoformat(n["sleep_end_time"]) - datetime.fromisoformat(n["sleep_start_time"]))
        parts = n["light_sleep"] + n["deep_sleep"] + n["rem_sleep"] + n["unrecognized_sleep_stage"] + \
            n["total_interruption_duration"]
        assert parts == span.total_seconds()
        assert n["total_interruption_duration"] == n["short_interruption_duration"] + n["long_interruption_duration"]
        assert 5 * 3600 < span.total_seconds() < 11 * 3600
        assert set(n["hypnogram"].values()) <= {0, 1, 2, 3, 4, 5}
    st, rc = sim.get("/v3/users/nightly-recharge", t)
    hrv = [r["heart_rate_variability_avg"] for r in rc["recharges"]]
    assert 15 < min(hrv) and max(hrv) < 150 and max(hrv) - min(hrv) >= 5
    st, a = sim.get("/v3/users/activities/samples?from=2026-11-20&to=2026-11-23", t)
    for day in a:
        assert day["steps"]["samples"][0]["timestamp"].endswith("T00:00")
        vals = [x["steps"] for x in day["steps"]["samples"]]
        assert all(x != y for x, y in zip(vals, vals[1:]))    # repeats dropped
    st, c = sim.get("/v3/users/continuous-heart-rate/2026-11-22", t)
    assert 250 < len(c["heart_rate_samples"]) < 2000


def test_determinism_same_seed_same_bytes(sim):
    other = Sim()
    try:
        t1, t2 = sim.token(0), other.token(0)
        for p in ("/v3/users/sleep", "/v3/users/nightly-recharge", "/v3/exercises",
                  "/v3/users/activities/samples/2026-11-21", "/v3/users/biosensing/ecg",
                  "/v3/users/continuous-heart-rate/2026-11-20", "/v3/users/cardio-load"):
            assert sim.req("GET", p, t1)[2] == other.req("GET", p, t2)[2], p
    finally:
        other.close()
    diff = Sim("--seed", "8")
    try:
        assert diff.req("GET", "/v3/users/sleep", diff.token(0))[2] != sim.req("GET", "/v3/users/sleep", t1)[2]
    finally:
        diff.close()


# ---- rate limits ---------------------------------------------------------------

def test_rate_limit_headers_and_429(fresh_sim):
    s = fresh_sim
    t = s.token(0)
    st, h, _ = s.req("GET", "/v3/users/sleep", t)
    assert h["ratelimit-limit"] == "520, 5100"              # 500+20*1, 5000+100*1
    u15, u24 = [int(x) for x in h["ratelimit-usage"].split(",")]
    r15, r24 = [int(x) for x in h["ratelimit-reset"].split(",")]
    assert u15 == u24 >= 1 and 0 < r15 <= 900 and 0 < r24 <= 86400
    for p, tok in (("/v3/nope", t), ("/v3/users/sleep", None), ("/v3/users/sleep/2026-01-01", t)):
        assert "ratelimit-usage" in s.req("GET", p, tok)[1]
    s.ctl("POST", "ratelimit", {"limit_15m": 5, "reset": True})
    codes = [s.req("GET", "/v3/users/physical-info", t)[0] for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2
    st, h, b = s.req("GET", "/v3/users/physical-info", t)
    assert st == 429 and h["ratelimit-usage"].startswith("8, ") and "retry-after" not in h
    s.ctl("POST", "ratelimit", {"retry_after": True})
    assert "retry-after" in s.req("GET", "/v3/users/physical-info", t)[1]
    # the oauth and control endpoints are not rate limited
    assert s.req("GET", "/_sim/health")[0] == 200
    s.ctl("POST", "ratelimit", {"limit_15m": None, "limit_24h": 3, "reset": True})
    codes = [s.req("GET", "/v3/users/physical-info", t)[0] for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_rate_limit_cli_override():
    s = Sim("--rate-limit-15m", "2", "--register-all")
    try:
        t = s.token(0)
        assert [s.req("GET", "/v3/users/sleep", t)[0] for _ in range(3)] == [200, 200, 429]
        assert s.req("GET", "/v3/users/sleep", t)[1]["ratelimit-limit"] == "2, 5300"
    finally:
        s.close()


# ---- control surface ---------------------------------------------------------------

def test_control_new_data_and_counts(fresh_sim):
    s = fresh_sim
    t = s.token(0)
    s.ctl("DELETE", "stats")
    st, exs = s.get("/v3/exercises", t)
    new = s.ctl("POST", "users/0/exercise", {"sport": "bike", "minutes": 30})
    st, exs2 = s.get("/v3/exercises", t)
    assert [e["id"] for e in exs2] == [e["id"] for e in exs] + [new["id"]]
    assert s.req("GET", "/v3/exercises/%s?samples=true" % new["id"], t)[0] == 200
    # notifications show the new exercise (uploaded after registration)
    st, n = s.get("/v3/notifications", None, headers={"Authorization": BASIC})
    assert st == 200 and n["available-user-data"][0]["data-type"] == "EXERCISE"
    # force a night on a date where the device recorded none
    st, av = s.get("/v3/users/sleep/available", t)
    have = {a["date"] for a in av["available"]}
    from datetime import date, timedelta
    missing = [str(date(2026, 11, 23) - timedelta(days=k)) for k in range(60)
               if str(date(2026, 11, 23) - timedelta(days=k)) not in have and k < 28]
    target = missing[0] if missing else "2026-11-23"
    r = s.ctl("POST", "users/0/night", {"date": target})
    assert r["sleep"]["date"] == target
    assert s.req("GET", "/v3/users/sleep/" + target, t)[0] == 200
    stats = s.ctl("GET", "stats")
    assert stats["by_pattern"]["GET /v3/exercises"] == 2
    assert stats["by_pattern"]["GET /v3/exercises/{id}"] == 1
    assert stats["total"] >= 5
    # advancing today makes a new day appear
    st, a1 = s.get("/v3/users/activities", t)
    s.ctl("POST", "today", {"advance": 1})
    st, a2 = s.get("/v3/users/activities", t)
    assert a2[-1]["start_time"].startswith("2026-11-24") and a1[-1] != a2[-1]
    s.ctl("POST", "revoke", {"user": 0})
    assert s.req("GET", "/v3/users/sleep", t)[0] == 401
    assert s.ctl("POST", "stats/reset")["total"] == 0


def test_help_is_a_manpage():
    out = subprocess.run(["/usr/bin/python3", SIM, "--help"], capture_output=True, text=True, timeout=10).stdout
    for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENDPOINTS", "CONTROL", "FAULTS", "EXAMPLES"):
        assert "\n%s\n" % sec in "\n" + out, sec


def test_startup_is_fast():
    t0 = time.monotonic()
    s = Sim()
    try:
        assert time.monotonic() - t0 < 2.0
        t = s.token(0)
        t1 = time.monotonic()
        for p in ("/v3/users/sleep", "/v3/users/nightly-recharge", "/v3/users/activities", "/v3/exercises",
                  "/v3/users/cardio-load"):
            assert s.req("GET", p, t)[0] == 200
        assert time.monotonic() - t1 < 2.0
    finally:
        s.close()
