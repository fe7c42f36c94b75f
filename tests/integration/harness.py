"""Shared helpers for the integration tests.

The tests drive the real binaries in $PF_BUILD/bin against a real,
throwaway PostgreSQL cluster.  tests/run.sh starts one cluster per run and
exports PF_TEST_PGDIR; run under plain pytest, conftest.py starts its own.
"""
import os
import subprocess
import time
import uuid

import psycopg

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("PF_BUILD", os.path.join(TOP, "build"))
BIN = os.path.join(BUILD, "bin")
PGCLUSTER = os.path.join(TOP, "tests", "pgcluster.sh")


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is not built; run make check-build")
    return path


class Database:
    """One fresh database inside the shared test cluster."""

    def __init__(self, pgdir):
        self.pgdir = pgdir
        self.name = "t_" + uuid.uuid4().hex[:12]
        self.admin_url = f"host={pgdir} port=5432 user=postgres dbname=postgres"
        self.url = f"host={pgdir} port=5432 user=postgres dbname={self.name}"
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql, params=None):
        with psycopg.connect(self.url, autocommit=True) as c:
            cur = c.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def execute(self, sql, params=None):
        with psycopg.connect(self.url, autocommit=True) as c:
            c.execute(sql, params)

    def scalar(self, sql, params=None):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


def clean_env(**extra):
    """The environment a test binary sees: no stray POLARFLOW_/upstream
    variables from the developer's shell, plus what the test sets."""
    drop = ("POLARFLOW_", "DATABASE_URL", "API_KEY", "LOG_LEVEL",
            "SYNC_", "ENCRYPTION_KEY", "DEPLOYMENT_MODE", "POLAR_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(argv, env=None, timeout=60, input=None):
    return subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=timeout, input=input)


def wait_until(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
