"""polarctl setup, and what each daemon's database role may do.

The whole suite runs the daemons on their own roles (harness.Database.
daemon_url); these tests show the forbidden statements failing and a
production-like first setup."""
import json
import os
import stat

import psycopg
import pytest

import harness
from fx_syncd import polarsim, polarsim_factory, syncd_factory  # noqa: F401

ROLES = {"_polarsync": "polarflow_sync",
         "_polaranalytics": "polarflow_analytics",
         "_polarapi": "polarflow_api"}


def run_setup(db, conf, *args):
    return harness.run([harness.binary("polarctl"), "-f", str(conf),
                        "setup", *args],
                       env=harness.clean_env(DATABASE_URL=db.url))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_setup_makes_key_schema_and_roles_once(db, tmp_path):
    conf = tmp_path / "polarflow.conf"
    conf.write_text("log_level = info\n")
    p = run_setup(db, conf)
    assert p.returncode == 0, p.stdout + p.stderr
    store = tmp_path / "credentials"
    key = store / "syncd" / "encryption_key"
    assert f"encryption key: {key} created" in p.stdout, p.stdout
    assert mode(key) == 0o600
    for d in (store, store / "syncd", store / "apid"):
        assert mode(d) == 0o700, d
    # the shared file holds no secret and names none
    assert conf.read_text() == "log_level = info\n"
    for login, group in ROLES.items():
        assert f"role {login} ({group}): " in p.stdout, p.stdout
        assert db.scalar("SELECT pg_has_role(%s, %s, 'MEMBER')",
                         (login, group))
    assert db.scalar("SELECT max(version) FROM schema_migrations") >= 7
    before = key.read_bytes()
    # again: nothing changes, nothing is overwritten
    p = run_setup(db, conf)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"encryption key: {key} exists, kept" in p.stdout
    assert key.read_bytes() == before
    assert all(f"role {login} ({group}): present" in p.stdout
               for login, group in ROLES.items()), p.stdout


def test_setup_refuses_a_store_key_that_is_no_key(db, tmp_path):
    conf = tmp_path / "polarflow.conf"
    conf.write_text("")
    key = tmp_path / "credentials" / "syncd" / "encryption_key"
    key.parent.mkdir(parents=True)
    key.write_text("not a key\n")
    p = run_setup(db, conf)
    assert p.returncode != 0
    assert "holds no valid key" in p.stderr, p.stderr
    assert key.read_text() == "not a key\n"
    p = run_setup(db, conf, "extra")
    assert p.returncode != 0 and "usage: polarctl setup" in p.stderr


def secret(db, conf, *args, input=None):
    return harness.run([harness.binary("polarctl"), "-f", str(conf),
                        "secret", *args],
                       env=harness.clean_env(DATABASE_URL=db.url),
                       input=input)


def test_secret_set_list_and_api_key_rotation(db, tmp_path):
    conf = tmp_path / "polarflow.conf"
    conf.write_text("")
    assert run_setup(db, conf).returncode == 0
    store = tmp_path / "credentials"
    p = secret(db, conf, "set", "encryption_key", input="0" * 64)
    assert p.returncode != 0 and "secret rotate encryption_key" in p.stderr
    p = secret(db, conf, "set", "polar_client_secret", input="has blank\n")
    assert p.returncode != 0 and "without blanks" in p.stderr
    p = secret(db, conf, "set", "polar_client_secret", input="s3cret\n")
    assert p.returncode == 0, p.stderr
    f = store / "syncd" / "polar_client_secret"
    assert f.read_text() == "s3cret\n" and mode(f) == 0o600
    p = secret(db, conf, "set", "nope", input="x")
    assert p.returncode != 0 and 'unknown secret "nope"' in p.stderr
    p = secret(db, conf, "rotate", "polar_client_secret")
    assert p.returncode != 0 and "comes from Polar" in p.stderr
    p = secret(db, conf, "rotate", "api_key")
    assert p.returncode == 0, p.stderr
    printed = p.stdout.split("\n")[0].split(": ")[1]
    assert (store / "apid" / "api_key").read_text() == printed + "\n"
    assert len(printed) == 64
    p = harness.run([harness.binary("polarctl"), "-j", "-f", str(conf),
                     "secret", "list"], env=harness.clean_env())
    assert p.returncode == 0, p.stderr
    rows = {r["name"]: r for r in json.loads(p.stdout)}
    assert {n: r["state"] for n, r in rows.items()} == {
        "encryption_key": "present", "polar_client_secret": "present",
        "api_key": "present"}
    assert rows["api_key"]["daemon"] == "apid"
    assert rows["encryption_key"]["mode"] == "0600"
    # no value is ever printed by list
    assert printed not in p.stdout and "s3cret" not in p.stdout


def test_encryption_key_rotation_reseals_every_token(db, polarctl, tmp_path,
                                                     syncd_factory):
    sd = syncd_factory(extra={"encryption_key": ""}, start=False)
    conf = sd.conf
    store = os.path.join(sd.dir, "credentials", "syncd")
    key = os.path.join(store, "encryption_key")
    assert run_setup(db, conf).returncode == 0
    # as the unit does: the key reaches syncd only as a credential
    sd.env = {"CREDENTIALS_DIRECTORY": store}
    sd.start()
    uid = sd.authorize()
    assert sd.sync(uid)["ok"], sd.log()
    sealed = db.scalar("SELECT access_token_enc FROM users "
                       "WHERE user_id = %s", (uid,))
    old = open(key).read()
    p = secret(db, conf, "rotate", "encryption_key")
    assert p.returncode != 0 and "syncd is running" in p.stderr
    assert open(key).read() == old
    assert sd.stop() == 0
    p = secret(db, conf, "rotate", "encryption_key")
    assert p.returncode == 0, p.stderr
    assert "1 sealed value re-sealed" in p.stdout, p.stdout
    new = open(key).read()
    assert new != old and mode(key) == 0o600
    assert not os.path.exists(key + ".new")
    assert db.scalar("SELECT access_token_enc FROM users WHERE user_id = "
                     "%s", (uid,)) != sealed
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = "
                     "'secret.rotate'") == 1
    sd.start()
    assert sd.sync(uid)["ok"], sd.log()
    assert sd.stop() == 0
    # a crash after the commit, before the rename: the old key in place,
    # the new one beside it, the database already on the new one
    assert secret(db, conf, "rotate", "encryption_key").returncode == 0
    newest = open(key).read()
    os.rename(key, key + ".new")
    with open(key, "w") as f:
        f.write(new)
    os.chmod(key, 0o600)
    p = secret(db, conf, "rotate", "encryption_key")
    assert p.returncode == 0, p.stderr
    assert "finished an interrupted rotation" in p.stdout, p.stdout
    assert open(key).read() == newest
    sd.start()
    assert sd.sync(uid)["ok"], sd.log()


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
