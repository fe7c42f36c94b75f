import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


@pytest.fixture(scope="session")
def pgdir():
    """The shared cluster: tests/run.sh's, or one of our own."""
    existing = os.environ.get("PF_TEST_PGDIR")
    if existing:
        yield existing
        return
    d = tempfile.mkdtemp(prefix="pfpy.", dir="/tmp")
    subprocess.run([harness.PGCLUSTER, "start", d], check=True,
                   capture_output=True)
    try:
        yield d
    finally:
        subprocess.run([harness.PGCLUSTER, "stop", d], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def db(pgdir):
    """A fresh, empty database per test."""
    d = harness.Database(pgdir)
    try:
        yield d
    finally:
        d.drop()


class Polarctl:
    def __init__(self, db, tmp_path):
        self.db = db
        self.tmp = tmp_path
        self.path = harness.binary("polarctl")

    def __call__(self, *args, env=None, input=None, check=None):
        e = harness.clean_env(DATABASE_URL=self.db.url)
        if env:
            e.update(env)
        p = harness.run([self.path, *args], env=e, input=input)
        if check is True:
            assert p.returncode == 0, (p.stdout, p.stderr)
        elif check is False:
            assert p.returncode == 1, (p.stdout, p.stderr)
        return p


@pytest.fixture
def polarctl(db, tmp_path):
    return Polarctl(db, tmp_path)


@pytest.fixture
def migrated(db, polarctl):
    polarctl("db", "migrate", check=True)
    db.make_roles()
    return db


def pytest_configure(config):
    """Under pytest-xdist (tests/run.sh), the workers share one cluster,
    and the first migration in it creates the cluster-wide group and
    login roles: two workers doing that at once race on the catalogue.
    The controller makes them once, before any worker starts; a worker,
    or a run with its own cluster, has nothing to do."""
    pgdir = os.environ.get("PF_TEST_PGDIR")
    if hasattr(config, "workerinput") or not pgdir:
        return
    if config.getoption("numprocesses", default=None) in (None, 0):
        return
    d = harness.Database(pgdir)
    try:
        p = harness.run([harness.binary("polarctl"), "db", "migrate"],
                        env=harness.clean_env(DATABASE_URL=d.url))
        if p.returncode != 0:
            raise pytest.UsageError("priming the test cluster: polarctl "
                                    f"db migrate failed: {p.stderr}")
        d.make_roles()
    finally:
        d.drop()
