"""What the fuzz targets (fuzz/) found, checked through the real daemons."""
import json
import socket

from fx_apid import MASTER, apid  # noqa: F401  (fixture)

U = "/api/v1/users"


def raw_get(apid, target):
    """One GET with target sent as raw bytes; (status, body)."""
    s = socket.create_connection(("127.0.0.1", apid.port), timeout=10)
    try:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                  b"X-API-Key: " + MASTER.encode() + b"\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_validation_error_for_bytes_that_are_not_utf8(apid):  # noqa: F811
    # The path or query is echoed in "detail"; bytes that are not UTF-8
    # made the JSON text lose "detail" altogether.
    for target in (U.encode() + b"/ab\xa4\xa4cd/sleep",
                   U.encode() + b"/alice/sleep?days=\xff",
                   U.encode() + b"/alice/sleep?days=0&x=\xc3("):
        status, body = raw_get(apid, target)
        assert status == 400, (target, body)
        j = json.loads(body)
        assert j["status_code"] == 400, body
        assert j["detail"].startswith("Validation failed for GET /api/v1/"
                                      "users/"), body
        assert "\ufffd" in j["detail"], body
