"""apid's start and stop: it refuses an unmigrated database, and SIGTERM
lets the requests in flight finish before the workers end."""
import concurrent.futures
import os
import shutil
import signal
import tempfile

import pytest

import harness
from fx_apid import Apid, free_port, users  # noqa: F401

U = "/api/v1/users"


@pytest.mark.parametrize("older", [False, True])
def test_refuses_an_unmigrated_database(db, tmp_path, older):
    if older:
        # migrated, then the newest migration forgotten: one behind
        p = harness.run([harness.binary("polarctl"), "db", "migrate"],
                        env=harness.clean_env(DATABASE_URL=db.url))
        assert p.returncode == 0, p.stderr
        db.execute("DELETE FROM schema_migrations WHERE version = "
                   "(SELECT max(version) FROM schema_migrations)")
    rundir = tempfile.mkdtemp(prefix="pfa.", dir="/tmp")
    try:
        conf = tmp_path / "apid.conf"
        conf.write_text(f"rundir = {rundir}\napi_port = {free_port()}\n")
        p = harness.run([harness.binary("polarflow-apid"), "-f", str(conf)],
                        env=harness.clean_env(DATABASE_URL=db.url),
                        timeout=60)
        assert p.returncode != 0, p.stdout + p.stderr
        assert "database schema is version" in p.stderr, p.stderr
        assert "polarctl db migrate" in p.stderr, p.stderr
        # it stopped before kore: nothing was bound or written
        assert not os.path.exists(os.path.join(rundir, "apid.pid"))
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


def test_privilege_separation_settings_are_checked(tmp_path):
    """api_user/api_chroot (kore's own privilege separation, which
    scripts/check-boot.sh shows at work under the installed unit): a
    chroot needs the user to drop to and an absolute path, and a user to
    drop to needs apid started as root."""
    conf = tmp_path / "apid.conf"
    apid = harness.binary("polarflow-apid")
    conf.write_text("api_chroot = /run/x\n")
    p = harness.run([apid, "-n", "-f", str(conf)], env=harness.clean_env())
    assert p.returncode != 0 and "needs api_user" in p.stderr, p.stderr
    conf.write_text("api_user = nobody\napi_chroot = run/x\n")
    p = harness.run([apid, "-n", "-f", str(conf)], env=harness.clean_env())
    assert p.returncode != 0 and "absolute path" in p.stderr, p.stderr
    conf.write_text("api_user = nobody\napi_chroot = /run/x\n")
    p = harness.run([apid, "-n", "-f", str(conf)], env=harness.clean_env())
    if os.geteuid() == 0:
        assert p.returncode == 0, p.stderr
        # pytest's tmp_path is root's alone: a file nobody can read
        with tempfile.NamedTemporaryFile("w", dir="/tmp", suffix=".conf") \
                as f:
            f.write(conf.read_text())
            f.flush()
            os.chmod(f.name, 0o644)
            p = harness.run(["setpriv", "--reuid=nobody", "--regid=nogroup",
                             "--clear-groups", apid, "-n", "-f", f.name],
                            env=harness.clean_env())
    assert p.returncode != 0, p.stdout
    assert "api_user needs apid to be started as root" in p.stderr, p.stderr


def blocked_queries(db):
    return db.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                     "relation = 'sleep'::regclass")


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_requests_in_flight_finish(migrated, tmp_path, users,
                                                workers):
    import psycopg
    a = Apid(migrated, tmp_path, workers=workers)
    try:
        k = users["alice"]
        assert a.get(f"{U}/alice/sleep", k).status == 200
        with psycopg.connect(migrated.url) as c:
            c.execute("LOCK TABLE sleep IN ACCESS EXCLUSIVE MODE")
            with concurrent.futures.ThreadPoolExecutor(2) as ex:
                # days=9 and 10: not in the response cache
                slow = [ex.submit(a.get, f"{U}/alice/sleep?days={d}", k,
                                  timeout=30) for d in (9, 10)]
                harness.wait_until(lambda: blocked_queries(migrated) == 2,
                                   timeout=15, interval=0.02,
                                   what="two blocked queries")
                a.proc.proc.send_signal(signal.SIGTERM)
                harness.wait_until(
                    lambda: "stopping: " in a.proc.logtext(), timeout=10,
                    what="the workers draining")
                assert not any(f.done() for f in slow)
                c.rollback()
                got = [f.result() for f in slow]
        for r in got:
            assert r.status == 200, (r.status, r.body)
            hdrs = {k.lower(): v for k, v in r.headers.items()}
            assert hdrs.get("connection") == "close", hdrs
            assert r.json() == []
        assert a.proc.proc.wait(timeout=20) == 0, a.proc.logtext()
        assert "unanswered" not in a.proc.logtext()
    finally:
        a.stop()
