"""tests/run.sh itself: the gate of "make check" must fail when a test
fails, whatever tools the machine lacks.

Each case runs the real run.sh on a small fake build tree (cmocka binaries
compiled here) or a small pytest file, with PATH cut down to the tools
run.sh is documented to need, so that a missing tool (bc, col, ...) cannot
turn a failure into a pass.
"""
import os
import re
import subprocess
import textwrap

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN = os.path.join(TOP, "tests", "run.sh")
# What run.sh may call; nothing else is on PATH while it runs here.
TOOLS = ("sh", "sed", "grep", "tee", "cat", "find", "sort", "tail",
         "mktemp", "rm", "dirname")

CMOCKA_MAIN = """
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

static void ok(void **state) { (void)state; assert_int_equal(1, 1); }
static void bad(void **state) { (void)state; BODY; }

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(ok), cmocka_unit_test(bad),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
"""


@pytest.fixture
def tree(tmp_path, pgdir):
    """A build tree whose tests/unit holds the binaries a case compiles,
    and a bin directory with only run.sh's tools."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in TOOLS:
        path = subprocess.run(["sh", "-c", f"command -v {tool}"],
                              capture_output=True, text=True,
                              check=True).stdout.strip()
        os.symlink(path, bindir / tool)
    (tmp_path / "build" / "tests" / "unit" / "x").mkdir(parents=True)
    # The session's cluster is handed down: run.sh has nothing to start.
    (tmp_path / "pgdir").write_text(pgdir)
    return tmp_path


def cmocka_bin(tree, name, body):
    src = tree / f"{name}.c"
    src.write_text(CMOCKA_MAIN.replace("BODY", body))
    out = tree / "build" / "tests" / "unit" / "x" / name
    subprocess.run(["cc", "-o", str(out), str(src), "-lcmocka"], check=True)


def run(tree, *args):
    pgdir = (tree / "pgdir").read_text()
    env = dict(os.environ, PATH=str(tree / "bin"),
               BUILD=str(tree / "build"), SANITIZE="0", PF_TEST_PGDIR=pgdir,
               PF_TEST_DATABASE_URL=f"host={pgdir} port=5432 user=postgres "
               "dbname=postgres")
    r = subprocess.run([RUN, *args], env=env, capture_output=True,
                       text=True, timeout=300)
    return r.returncode, r.stdout + r.stderr


def closing(out):
    m = re.findall(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", out,
                   re.M)
    assert m, out
    return tuple(int(x) for x in m[-1])


def test_passing_unit_binaries_pass(tree):
    cmocka_bin(tree, "test_good", "assert_true(1)")
    rc, out = run(tree, "unit")
    assert rc == 0, out
    assert "unit: 2 passed, 0 failed, 0 skipped" in out
    assert closing(out) == (2, 0, 0)


def test_failing_cmocka_test_fails_the_run(tree):
    cmocka_bin(tree, "test_good", "assert_true(1)")
    cmocka_bin(tree, "test_fail", "assert_int_equal(1, 2)")
    rc, out = run(tree, "unit")
    assert rc != 0, out
    assert "unit: 3 passed, 1 failed, 0 skipped" in out
    assert "failing runners: x/test_fail" in out


def test_crashing_cmocka_binary_fails_the_run(tree):
    # abort() is not among the signals cmocka turns into a failed test: the
    # binary dies mid-run and never prints its summary.
    cmocka_bin(tree, "test_good", "assert_true(1)")
    cmocka_bin(tree, "test_crash", "abort()")
    rc, out = run(tree, "unit")
    assert rc != 0, out
    assert "test_crash exited with status" in out
    assert "unit: 2 passed, 1 failed, 0 skipped" in out
    assert "failing runners: x/test_crash" in out


def write_pytest(tree, body):
    f = tree / "test_sample.py"
    f.write_text(textwrap.dedent(body))
    return str(f)


def test_passing_pytest_passes(tree):
    f = write_pytest(tree, """
        import pytest
        def test_a(): assert True
        def test_b(): assert True
        @pytest.mark.skip(reason="shown as skipped")
        def test_c(): assert False
    """)
    rc, out = run(tree, "integration", f)
    assert rc == 0, out
    assert "integration: 2 passed, 0 failed, 1 skipped" in out
    assert closing(out) == (2, 0, 1)


def test_failing_pytest_test_fails_the_run(tree):
    f = write_pytest(tree, """
        def test_a(): assert True
        def test_b(): assert 1 == 2
    """)
    rc, out = run(tree, "integration", f)
    assert rc != 0, out
    assert "integration: 1 passed, 1 failed, 0 skipped" in out
    assert "failing runners: pytest" in out


def test_pytest_error_and_empty_collection_fail_the_run(tree):
    f = write_pytest(tree, """
        import pytest
        @pytest.fixture
        def broken(): raise RuntimeError("fixture")
        def test_a(broken): pass
    """)
    rc, out = run(tree, "integration", f)
    assert rc != 0, out
    assert "integration: 0 passed, 1 failed, 0 skipped" in out
    empty = write_pytest(tree, "x = 1\n")
    rc, out = run(tree, "integration", empty)
    assert rc != 0, out
    assert "pytest exited with status 5" in out
