"""The HTTP surface at the byte level: what kore 4.1 alone answered with
an empty body or the wrong status, pipelining, request smuggling shapes.

Every refusal must be apid's JSON envelope ({"status_code", "detail"}) with
the right status, and the daemon must keep serving afterwards.
"""
import json
import socket

import pytest

import harness
from fx_apid import apid, users  # noqa: F401


def exchange(port, data, nresp=1, timeout=10):
    """Sends data as is; returns the first nresp parsed responses (and
    whether the server closed the connection after them)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    buf = b""
    out = []
    closed = False
    try:
        while len(out) < nresp:
            r = parse(buf)
            if r is not None:
                resp, buf = r
                out.append(resp)
                continue
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            buf += chunk
        if not closed:
            s.settimeout(0.2)
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
            except ConnectionResetError:
                closed = True
    finally:
        s.close()
    return out, closed


def parse(buf):
    """One response off the front of buf, or None if it is not whole."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1").split("\r\n")
    version, status, _ = (head[0] + " ").split(" ", 2)
    hdrs = {}
    for line in head[1:]:
        k, v = line.split(":", 1)
        assert k.lower() not in hdrs, f"header {k} twice: {head}"
        hdrs[k.lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    body_at = end + 4
    if len(buf) < body_at + n:
        return None
    return ({"status": int(status), "headers": hdrs,
             "body": buf[body_at:body_at + n], "version": version},
            buf[body_at + n:])


def one(apid, raw, **kw):
    out, closed = exchange(apid.port, raw, **kw)
    assert len(out) == 1, (raw[:200], out)
    return out[0], closed


def assert_envelope(resp, status):
    assert resp["status"] == status, resp
    assert resp["headers"]["content-type"] == "application/json", resp
    body = json.loads(resp["body"])
    assert body["status_code"] == status, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert resp["headers"].get("x-content-type-options") == "nosniff"
    return body


def still_serves(apid):
    assert apid.get("/health").status == 200


TRIGGER = "/api/v1/users/alice/sync/trigger"


def test_post_without_content_length_is_an_empty_body(apid):
    # curl -X POST sends no Content-Length: kore answered an empty 411.
    r, _ = one(apid, b"POST " + TRIGGER.encode() + b" HTTP/1.1\r\n"
               b"Host: x\r\n\r\n")
    body = assert_envelope(r, 401)
    assert "key" in body["detail"].lower()
    still_serves(apid)


def test_body_too_large_is_json_413(apid):
    r, closed = one(apid, b"POST " + TRIGGER.encode() + b" HTTP/1.1\r\n"
                    b"Host: x\r\nContent-Length: 2000000\r\n\r\n")
    assert_envelope(r, 413)
    assert closed
    still_serves(apid)


def test_long_query_is_json_414(apid):
    r, _ = one(apid, b"GET /health?x=" + b"a" * 3000 + b" HTTP/1.1\r\n"
               b"Host: x\r\n\r\n")
    assert_envelope(r, 414)
    # Longer than the whole header buffer: no reset, the same answer.
    r, _ = one(apid, b"GET /health?x=" + b"a" * 9000 + b" HTTP/1.1\r\n"
               b"Host: x\r\n\r\n")
    assert_envelope(r, 414)
    still_serves(apid)


def test_large_headers_are_json_431(apid):
    r, _ = one(apid, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " +
               b"b" * 9000 + b"\r\n\r\n")
    assert_envelope(r, 431)
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(30))
    r, _ = one(apid, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many +
               b"\r\n")
    assert_envelope(r, 431)
    still_serves(apid)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "TRACE", "DELETE"])
def test_unserved_methods_are_405_with_allow(apid, method):
    raw = (f"{method} /health HTTP/1.1\r\nHost: x\r\n"
           "Content-Length: 0\r\n\r\n").encode()
    r, _ = one(apid, raw)
    assert_envelope(r, 405)
    assert r["headers"]["allow"] == "GET, HEAD, OPTIONS"
    r, _ = one(apid, (f"{method} {TRIGGER} HTTP/1.1\r\nHost: x\r\n"
                      "Content-Length: 0\r\n\r\n").encode())
    assert_envelope(r, 405)
    assert r["headers"]["allow"] == "POST, OPTIONS"


def test_unserved_method_on_unknown_path_is_404(apid):
    r, _ = one(apid, b"PUT /nowhere HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: 0\r\n\r\n")
    assert_envelope(r, 404)
    assert "allow" not in r["headers"]


def test_unknown_method_is_501(apid):
    r, _ = one(apid, b"FROB /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_envelope(r, 501)
    still_serves(apid)


def test_options_lists_the_methods(apid):
    r, _ = one(apid, b"OPTIONS " + TRIGGER.encode() +
               b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r["status"] == 204, r
    assert r["headers"]["allow"] == "POST, OPTIONS"


def test_head_works_where_get_does(apid):
    g, _ = one(apid, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    s = socket.create_connection(("127.0.0.1", apid.port), timeout=10)
    s.sendall(b"HEAD /health HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n")
    buf = harness.recv_all(s)
    s.close()
    head, _, rest = buf.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), buf
    assert rest == b"", "HEAD carried a body"
    assert (b"content-length: %d" % len(g["body"])) in head.lower()


def test_empty_api_key_header_is_a_missing_key(apid, users):
    r, _ = one(apid, b"GET /api/v1/users/alice/sleep HTTP/1.1\r\n"
               b"Host: x\r\nX-API-Key:\r\n\r\n")
    assert_envelope(r, 401)
    r, _ = one(apid, b"GET /api/v1/users/alice/sleep HTTP/1.1\r\n"
               b"Host: x\r\nX-API-Key: \r\nX-Other: 1\r\n\r\n")
    assert_envelope(r, 401)


def test_pipelined_requests_are_answered_in_order(apid, users):
    key = users["alice"].encode()
    raw = (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /api/v1/users/alice/sleep?days=3 HTTP/1.1\r\nHost: x\r\n"
           b"X-API-Key: " + key + b"\r\n\r\n"
           b"POST " + TRIGGER.encode() + b"/nope HTTP/1.1\r\nHost: x\r\n"
           b"Content-Length: 5\r\n\r\nhello"
           b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    out, _ = exchange(apid.port, raw, nresp=5)
    assert [r["status"] for r in out] == [200, 404, 200, 404, 200], out
    assert json.loads(out[2]["body"]) == []
    # One packet: sent in a single write, also when split at odd places.
    for cut in (3, 40, len(raw) - 7):
        s = socket.create_connection(("127.0.0.1", apid.port), timeout=10)
        s.sendall(raw[:cut])
        s.sendall(raw[cut:])
        buf = b""
        got = []
        while len(got) < 5:
            r = parse(buf)
            if r:
                got.append(r[0])
                buf = r[1]
                continue
            chunk = s.recv(65536)
            assert chunk, got
            buf += chunk
        s.close()
        assert [r["status"] for r in got] == [200, 404, 200, 404, 200]


def test_two_content_lengths_are_refused(apid):
    r, closed = one(apid, b"POST " + TRIGGER.encode() + b" HTTP/1.1\r\n"
                    b"Host: x\r\nContent-Length: 0\r\n"
                    b"Content-Length: 5\r\n\r\nhello")
    assert_envelope(r, 400)
    assert closed
    r, _ = one(apid, b"POST " + TRIGGER.encode() + b" HTTP/1.1\r\n"
               b"Host: x\r\nContent-Length: 5\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert_envelope(r, 501)
    # A GET's body would be read as the next request: refused.
    r, closed = one(apid, b"GET /health HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: 38\r\n\r\n"
                    b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_envelope(r, 400)
    assert closed


@pytest.mark.parametrize("raw,status", [
    (b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /health HTTP/1.1\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\nHost: x\n\n", 400),
    (b"GET  /health HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET http://x/health HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9\r\n\r\n", 400),
])
def test_malformed_requests_are_json(apid, raw, status):
    r, _ = one(apid, raw)
    assert_envelope(r, status)
    still_serves(apid)


@pytest.mark.parametrize("qs", ["days=7%00", "days=7&days=30",
                                "days=7%00&x=1", "x=1&days=3&days=3"])
def test_nul_and_repeated_parameters_are_refused(apid, users, qs):
    r = apid.get("/api/v1/users/alice/sleep?" + qs, users["alice"])
    assert r.status == 400, (qs, r.status, r.body)
    body = r.json()
    assert body["extra"][0]["key"] == "days", body


def test_incomplete_request_times_out_with_json_408(apid):
    s = socket.create_connection(("127.0.0.1", apid.port), timeout=40)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    buf = b""
    while parse(buf) is None:
        chunk = s.recv(65536)
        assert chunk, buf
        buf += chunk
    s.close()
    resp, _ = parse(buf)
    assert_envelope(resp, 408)
    still_serves(apid)


def test_idle_keepalive_connection_gets_no_unsolicited_answer(apid):
    # kore's 10 s header timeout sent an empty 408 on a connection that
    # was merely idle between requests (keep-alive is 30 s).
    import time
    s = socket.create_connection(("127.0.0.1", apid.port), timeout=20)
    req = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    s.sendall(req)
    buf = b""
    while parse(buf) is None:
        buf += s.recv(65536)
    first, buf = parse(buf)
    assert first["status"] == 200 and buf == b""
    time.sleep(12)
    s.sendall(req)
    while parse(buf) is None:
        chunk = s.recv(65536)
        assert chunk, "closed while idle"
        buf += chunk
    second, _ = parse(buf)
    s.close()
    assert second["status"] == 200, second
