"""What the fuzz targets (fuzz/) found, checked through the real daemons."""
import json
import socket

import harness

from fx_apid import MASTER, apid  # noqa: F401  (fixture)
from fx_syncd import *  # noqa: F401,F403
from fx_syncd import wait_for

U = "/api/v1/users"


def raw_get(apid, target):
    """One GET with target sent as raw bytes; (status, body)."""
    s = socket.create_connection(("127.0.0.1", apid.port), timeout=10)
    try:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                  b"X-API-Key: " + MASTER.encode() + b"\r\n"
                  b"Connection: close\r\n\r\n")
        data = harness.recv_all(s)
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_validation_error_for_bytes_that_are_not_utf8(apid):  # noqa: F811
    # The path or query was echoed in "detail"; bytes that are not UTF-8
    # made the JSON text lose "detail" altogether.  Such bytes are not a
    # valid request target at all: apid's front door refuses them before
    # validation (render.c's lossy copy stays for what gets through, see
    # tests/unit/apid/test_render.c), and the answer is still the envelope.
    for target in (U.encode() + b"/ab\xa4\xa4cd/sleep",
                   U.encode() + b"/alice/sleep?days=\xff",
                   U.encode() + b"/alice/sleep?days=0&x=\xc3("):
        status, body = raw_get(apid, target)
        assert status == 400, (target, body)
        j = json.loads(body)
        assert j["status_code"] == 400, body
        assert j["detail"] == "Malformed request target", body


DAY_S = 86400
HUGE = "99999999999999999"      # * 1000 overflows an int64


def test_a_huge_retry_after_pauses_for_a_day_at_most(syncd, polarsim):
    # Retry-After seconds were made milliseconds unchecked: a signed
    # overflow, and a pause of millions of years
    uid = syncd.authorize(0)
    polarsim.fault("429-burst:/v3/users/nightly-recharge*:1")
    polarsim.fault("header:/v3/users/nightly-recharge*:Retry-After=" + HUGE
                   + ":1")
    syncd.call({"type": "sync.trigger", "user_id": uid})
    wait_for(lambda: syncd.status()["quota"]["rate_limited"] == 1, 60,
             "the 429")
    q = syncd.status()["quota"]
    assert 0 < q["paused_s"] <= DAY_S, q


def test_huge_rate_limit_headers_are_not_believed(syncd, polarsim):
    # RateLimit-Reset seconds likewise; such headers are no quota picture
    uid = syncd.authorize(0)
    polarsim.fault("header:/v3/*:RateLimit-Reset=%s, %s" % (HUGE, HUGE))
    polarsim.fault("header:/v3/*:RateLimit-Usage=1, 1")
    assert syncd.sync(uid)["status"] == "success"
    q = syncd.status()["quota"]
    assert q["known"] is False or (q["reset_15m_s"] <= DAY_S and
                                   q["reset_24h_s"] <= DAY_S), q
