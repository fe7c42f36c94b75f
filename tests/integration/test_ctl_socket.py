"""The control sockets of syncd and analyticsd survive whatever a client
does: a bare connect() and close() (which stops nng 1.5.2's listener for
good), a second daemon refused at start-up, garbage, half a message and
many clients at once.  Each case ends with the daemon answering again."""
import os
import socket
import threading

import pytest

import harness
from fx_analyticsd import *  # noqa: F401,F403
from fx_syncd import *  # noqa: F401,F403

# nng 1.5.2 never frees the pipes its stopped listener was holding when
# the daemon listens again; LeakSanitizer reports them (inside libnng) at
# exit.  A few KB per incident, so the cases run without sanitizers only.
pytestmark = pytest.mark.skipif(
    os.environ.get("SANITIZE") == "1",
    reason="nng 1.5.2 leaks the pipes of the listener it stopped")

# The SP handshake of a REQ peer (protocol 48), as nng's ipc transport
# expects it first on a connection.
HELLO = bytes([0, ord("S"), ord("P"), 0, 0, 48, 0, 0])


def path(url):
    return url[len("ipc://"):]


def raw(url, send=b"", keep=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path(url))
    if send:
        s.sendall(send)
    if keep:
        return s
    s.close()
    return None


def answers(call):
    r = call({"v": 1, "type": "status"}, timeout=1)
    return r is not None and r.get("ok") is True


def survives_connect_close(url, call, log):
    assert answers(call)
    # A connect() and close() breaks nng 1.5.2's listener when the close
    # lands inside its half of the handshake: most tries do.  Stop at the
    # first that does (the daemon no longer answers) ...
    for _ in range(20):
        raw(url)
        raw(url, HELLO[:3])             # half a handshake
        if not answers(call):
            break
    # ... and before the fix the socket stayed silent from here on.
    harness.wait_until(lambda: answers(call), timeout=60,
                       what="the control socket to answer again")


def survives_abuse(url, call):
    # Garbage after a good handshake, closed at once: the close may again
    # land inside nng's half of the handshake, so wait for the socket.
    raw(url, HELLO + b"\x00" * 8 + b"garbage" * 100)
    harness.wait_until(lambda: answers(call), timeout=60,
                       what="the control socket after garbage")
    # Half a message, and a length prefix promising more than will ever
    # come, both kept open (their handshakes done) while 16 clients ask.
    held = []
    for tail in (b"\x00\x00\x00\x00\x00\x00\x01\x00{\"v\":", b"\xff" * 8):
        s = raw(url, HELLO, keep=True)
        assert s.recv(8) == HELLO[:5] + bytes([49, 0, 0])   # REP's answer
        s.sendall(tail)
        held.append(s)
    try:
        results = []

        def client():
            results.append(call({"v": 1, "type": "status"}, timeout=30))
        threads = [threading.Thread(target=client) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(r is not None and r.get("ok") for r in results), results
    finally:
        for s in held:
            s.close()
    assert answers(call)


def test_syncd_control_socket_survives_connect_close(syncd_factory):
    sd = syncd_factory()
    survives_connect_close(sd.ctl, sd.call, sd.log)
    survives_abuse(sd.ctl, sd.call)
    assert sd.daemon.running()


def test_analyticsd_control_socket_survives_connect_close(analyticsd):
    ad = analyticsd().start()
    survives_connect_close(ad.ctl_url, ad.call, ad.log)
    survives_abuse(ad.ctl_url, ad.call)
    assert ad.running()


def test_second_syncd_does_not_silence_the_first(syncd_factory, tmp_path):
    sd = syncd_factory()
    assert answers(sd.call)
    second = harness.Daemon("polarflow-syncd", ["-f", sd.conf],
                            env=harness.clean_env(), logdir=tmp_path)
    harness.wait_until(lambda: not second.running(), timeout=60,
                       what="the second syncd to give up")
    assert second.proc.returncode != 0
    assert "syncd.ctl" in second.logtext(), second.logtext()
    harness.wait_until(lambda: answers(sd.call), timeout=60,
                       what="the first syncd to answer again")
