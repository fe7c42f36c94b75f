"""apid/openapi.json is what apid/gen_openapi.py writes from the route
table ("make openapi"): a route added to the table without documentation,
or a hand edit of the JSON, fails here."""
import os
import subprocess
import sys

from harness import BUILD, TOP


def test_checked_in_openapi_is_generated(tmp_path):
    tool = os.path.join(BUILD, "tools", "apid_routes")
    assert os.access(tool, os.X_OK), f"{tool} is not built"
    out = tmp_path / "openapi.json"
    subprocess.run([sys.executable, os.path.join(TOP, "apid",
                    "gen_openapi.py"), tool, str(out)], check=True)
    with open(os.path.join(TOP, "apid", "openapi.json")) as f:
        assert out.read_text() == f.read(), \
            "apid/openapi.json is stale: run make openapi"


def test_generator_refuses_an_undocumented_route(tmp_path):
    fake = tmp_path / "routes"
    fake.write_text("#!/bin/sh\nprintf 'GET\\t/nope\\t0\\t0\\t0\\n'\n")
    fake.chmod(0o755)
    r = subprocess.run([sys.executable, os.path.join(TOP, "apid",
                        "gen_openapi.py"), str(fake),
                        str(tmp_path / "o.json")], capture_output=True,
                       text=True)
    assert r.returncode != 0
    assert "/nope" in r.stderr
