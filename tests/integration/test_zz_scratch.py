import re
from test_console import capi, raw, setup_token, PASSWORD  # noqa
import urllib.parse

def test_scratch(capi, polarctl):
    tok = setup_token(polarctl)
    st, h, body = raw(capi.url("/admin/setup"))
    pre = re.search(r"pf_presession=([0-9a-f]+)", h["set-cookie"]).group(1)
    g = urllib.parse.urlencode({"_csrf": pre, "token": "0"*64, "name": "admin@example.org", "password": PASSWORD, "password2": PASSWORD}).encode()
    st, h, body = raw(capi.url("/admin/setup"), data=g, headers={"Cookie": "pf_presession=" + pre, "Content-Type": "application/x-www-form-urlencoded"})
    print("first", st)
    f = urllib.parse.urlencode({"_csrf": pre, "token": tok, "name": "admin@example.org", "password": PASSWORD, "password2": PASSWORD}).encode()
    st, h, body = raw(capi.url("/admin/setup"), data=f, headers={"Cookie": "pf_presession=" + pre, "Content-Type": "application/x-www-form-urlencoded"})
    print(st, dict(h), body.decode()[-800:])
    print(capi.proc.logtext()[-3000:])
    assert 0
