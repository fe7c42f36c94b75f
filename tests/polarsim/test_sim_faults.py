"""Fault injection, from the command line and at run time."""

import http.client
import json
import socket
import time

import pytest

from conftest import Sim


def add(s, spec):
    return s.ctl("POST", "faults", {"spec": spec})


def test_5xx_with_count_and_probability(fresh_sim):
    s = fresh_sim
    t = s.token(0)
    add(s, "503:/v3/users/sleep*::2")
    assert [s.req("GET", "/v3/users/sleep", t)[0] for _ in range(3)] == [503, 503, 200]
    assert s.req("GET", "/v3/users/nightly-recharge", t)[0] == 200
    add(s, "5xx:/v3/users/activities*:0.5")
    codes = [s.req("GET", "/v3/users/activities", t)[0] for _ in range(40)]
    assert 5 < codes.count(500) < 35 and set(codes) == {200, 500}
    s.ctl("DELETE", "faults")
    assert s.req("GET", "/v3/users/activities", t)[0] == 200


def test_slow_and_timeout(fresh_sim):
    s = fresh_sim
    t = s.token(0)
    add(s, "slow:/v3/users/physical-info:300")
    t0 = time.monotonic()
    assert s.req("GET", "/v3/users/physical-info", t)[0] == 200
    assert time.monotonic() - t0 >= 0.3
    add(s, "timeout:/v3/users/sleep::1")
    with pytest.raises((socket.timeout, TimeoutError)):
        s.req("GET", "/v3/users/sleep", t, timeout=0.5)
    assert s.req("GET", "/v3/users/sleep", t)[0] == 200      # count was 1


def test_malformed_truncated(fresh_sim):
    s = fresh_sim
    t = s.token(0)
    add(s, "malformed:/v3/users/sleep::1")
    st, h, b = s.req("GET", "/v3/users/sleep", t)
    assert st == 200
    with pytest.raises(ValueError):
        json.loads(b)
    add(s, "truncated:/v3/users/sleep::1")
    with pytest.raises(http.client.IncompleteRead):
        s.req("GET", "/v3/users/sleep", t)
    st, h, b = s.req("GET", "/v3/users/sleep", t)
    assert st == 200 and json.loads(b)["nights"]


def test_extra_and_missing_fields(fresh_sim):
    s = fresh_sim
    t = s.token(0)
    st, base = s.get("/v3/exercises", t)
    add(s, "extra-fields:/v3/exercises::1")
    st, extra = s.get("/v3/exercises", t)
    assert all("x_sim_unexpected" in e for e in extra)
    assert all(set(b) < set(e) for b, e in zip(base, extra))
    add(s, "missing-fields:/v3/exercises::1")
    st, miss = s.get("/v3/exercises", t)
    assert all("device_id" not in e and "heart_rate" not in e and "id" in e for e in miss)


def test_revoked_403_and_429_burst(fresh_sim):
    s = fresh_sim
    t = s.token(0)
    add(s, "revoked:/v3/users/sleep:1:")
    assert s.req("GET", "/v3/users/sleep", t)[0] == 200
    assert s.req("GET", "/v3/users/sleep", t)[0] == 401
    assert s.req("GET", "/v3/users/nightly-recharge", t)[0] == 401
    s.ctl("DELETE", "faults")
    t = s.token(0)
    add(s, "403:/v3/exercises::1")
    assert s.req("GET", "/v3/exercises", t)[0] == 403
    add(s, "429-burst:*:3")
    codes = [s.req("GET", "/v3/users/sleep", t) for _ in range(4)]
    assert [c[0] for c in codes] == [429, 429, 429, 200]
    assert "ratelimit-reset" in codes[0][1]
    assert s.ctl("GET", "faults") == []


def test_header_fault_replaces_a_header(fresh_sim):
    s = fresh_sim
    t = s.token(0)
    add(s, "429-burst:/v3/users/sleep:1")
    add(s, "header:/v3/users/sleep:Retry-After=99999999999999999:1")
    add(s, "header:/v3/users/sleep:RateLimit-Reset=7, 8:2")
    st, h, _ = s.req("GET", "/v3/users/sleep", t)
    assert (st, h["retry-after"], h["ratelimit-reset"]) == (
        429, "99999999999999999", "7, 8")
    st, h, _ = s.req("GET", "/v3/users/sleep", t)
    assert (st, "retry-after" in h, h["ratelimit-reset"]) == (200, False, "7, 8")
    st, h, _ = s.req("GET", "/v3/users/sleep", t)
    assert st == 200 and h["ratelimit-reset"] != "7, 8"
    assert s.ctl("GET", "faults") == []
    with pytest.raises(AssertionError, match="400"):
        add(s, "header:*:no-equals-sign")


def test_fault_on_command_line_and_bad_spec():
    s = Sim("--fault", "502:/v3/users/cardio-load*", "--register-all")
    try:
        t = s.token(0)
        assert s.req("GET", "/v3/users/cardio-load", t)[0] == 502
        assert s.req("GET", "/v3/users/sleep", t)[0] == 200
        st, h, b = s.req("POST", "/_sim/faults", body=json.dumps({"spec": "bogus:*"}))
        assert st == 400
    finally:
        s.close()
    with pytest.raises(RuntimeError):
        Sim("--fault", "nope")
