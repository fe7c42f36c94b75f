"""polarctl setup, and what each daemon's database role may do.

The whole suite runs the daemons on their own roles (harness.Database.
daemon_url); these tests show the forbidden statements failing and a
production-like first setup."""
import os
import stat

import psycopg
import pytest

import harness

ROLES = {"_polarsync": "polarflow_sync",
         "_polaranalytics": "polarflow_analytics",
         "_polarapi": "polarflow_api"}


def run_setup(db, conf, *args):
    return harness.run([harness.binary("polarctl"), "-f", str(conf),
                        "setup", *args],
                       env=harness.clean_env(DATABASE_URL=db.url))


def test_setup_makes_key_schema_and_roles_once(db, tmp_path):
    conf = tmp_path / "polarflow.conf"
    conf.write_text("log_level = info\n")
    p = run_setup(db, conf)
    assert p.returncode == 0, p.stdout + p.stderr
    key = tmp_path / "encryption.key"
    assert f"encryption key: {key} created" in p.stdout, p.stdout
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o640
    assert f"encryption_key_file = {key}" in conf.read_text()
    for login, group in ROLES.items():
        assert f"role {login} ({group}): " in p.stdout, p.stdout
        assert db.scalar("SELECT pg_has_role(%s, %s, 'MEMBER')",
                         (login, group))
    assert db.scalar("SELECT max(version) FROM schema_migrations") >= 7
    # the configuration now works as is: syncd's check of the key passes
    show = harness.run([harness.binary("polarctl"), "-f", str(conf), "show",
                        "config"], env=harness.clean_env(DATABASE_URL=db.url))
    assert show.returncode == 0, show.stderr
    assert "encryption_key" in show.stdout
    before = key.read_bytes()
    # again: nothing changes, nothing is overwritten
    p = run_setup(db, conf)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "encryption key: configured" in p.stdout
    assert key.read_bytes() == before
    assert conf.read_text().count("encryption_key_file") == 1
    assert all(f"role {login} ({group}): present" in p.stdout
               for login, group in ROLES.items()), p.stdout


def test_setup_keeps_an_existing_key_file_and_refuses_garbage(db, tmp_path):
    conf = tmp_path / "polarflow.conf"
    conf.write_text("")
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    p = run_setup(db, conf, "--key-file", str(bad))
    assert p.returncode != 0
    assert "holds no valid key" in p.stderr, p.stderr
    assert bad.read_text() == "not a key\n"
    assert "encryption_key_file" not in conf.read_text()
    p = run_setup(db, conf, "--key-file", "relative.key")
    assert p.returncode != 0 and "absolute path" in p.stderr


def as_role(db, role):
    return db.url.replace("user=postgres", f"user={role}")


def denied(url, sql):
    with psycopg.connect(url, autocommit=True) as c:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute(sql)


def allowed(url, sql):
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(sql)


@pytest.fixture
def with_roles(migrated):
    migrated.execute("INSERT INTO users (user_id, access_token_enc) "
                     "VALUES ('alice', 'sealed')")
    return migrated


def test_apid_role_reads_no_token_and_writes_only_its_tables(with_roles):
    url = as_role(with_roles, "_polarapi")
    denied(url, "SELECT access_token_enc FROM users")
    denied(url, "SELECT * FROM users")
    allowed(url, "SELECT user_id, is_active, last_synced_at FROM users")
    denied(url, "INSERT INTO sleep (user_id, date) VALUES ('alice', "
           "current_date)")
    denied(url, "UPDATE users SET is_active = false")
    denied(url, "DELETE FROM analytics_daily")
    denied(url, "SELECT * FROM sync_cursors")
    allowed(url, "SELECT * FROM sleep")
    allowed(url, "SELECT * FROM analytics_documents")
    allowed(url, "INSERT INTO audit_log (actor, action) VALUES ('t', 't')")
    denied(url, "SELECT * FROM audit_log")


def test_analyticsd_role_writes_only_analytics(with_roles):
    url = as_role(with_roles, "_polaranalytics")
    denied(url, "SELECT access_token_enc FROM users")
    denied(url, "INSERT INTO sleep (user_id, date) VALUES ('alice', "
           "current_date)")
    denied(url, "DELETE FROM activity")
    denied(url, "UPDATE api_keys SET is_active = false")
    allowed(url, "SELECT * FROM sleep")
    allowed(url, "INSERT INTO analytics_daily (user_id, metric_name, day, "
            "value) VALUES ('alice', 'x', current_date, 1)")


def test_syncd_role_writes_data_not_analytics_or_keys(with_roles):
    url = as_role(with_roles, "_polarsync")
    allowed(url, "SELECT access_token_enc FROM users")
    # a data change marks the user for analyticsd through the trigger,
    # which runs with its owner's rights
    allowed(url, "INSERT INTO sleep (user_id, date) VALUES ('alice', "
            "current_date)")
    assert with_roles.scalar("SELECT count(*) FROM analytics_state WHERE "
                             "user_id = 'alice'") == 1
    denied(url, "INSERT INTO analytics_daily (user_id, metric_name, day, "
           "value) VALUES ('alice', 'x', current_date, 1)")
    denied(url, "SELECT * FROM api_keys")
    denied(url, "DELETE FROM api_rate_windows")
