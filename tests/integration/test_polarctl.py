"""polarctl against a real PostgreSQL: schema, users, API keys, config."""
import concurrent.futures
import hashlib
import json
import re

import harness
from fx_apid import apid, free_port  # noqa: F401  (fixture)


# ---------------------------------------------------------------- db ----

def test_migrate_creates_schema_then_is_a_no_op(db, polarctl):
    p = polarctl("db", "migrate", check=True)
    assert "applying 0001_init ... ok" in p.stdout
    tables = {r[0] for r in db.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    for t in ("users", "api_keys", "sleep", "nightly_recharge", "activity",
              "activity_samples", "exercise", "cardio_load",
              "sleepwise_alertness", "sleepwise_bedtime",
              "continuous_heart_rate", "spo2", "ecg", "body_temperature",
              "skin_temperature", "physical_info", "sync_logs",
              "user_baselines", "pattern_analyses", "analytics_state",
              "app_settings", "audit_log", "schema_migrations"):
        assert t in tables, t
    before = db.query("SELECT version, checksum, applied_at "
                      "FROM schema_migrations ORDER BY version")
    p = polarctl("db", "migrate", check=True)
    assert "schema is up to date" in p.stdout
    assert "applying" not in p.stdout
    assert db.query("SELECT version, checksum, applied_at "
                    "FROM schema_migrations ORDER BY version") == before


def test_status_lists_pending_then_applied(db, polarctl):
    p = polarctl("db", "status", check=True)
    assert re.search(r"^1\s+0001_init\s+pending", p.stdout, re.M)
    doc = json.loads(polarctl("-j", "db", "status", check=True).stdout)
    assert doc["schema_version"] == 0
    assert doc["pending"] == len(doc["migrations"]) >= 1
    polarctl("db", "migrate", check=True)
    doc = json.loads(polarctl("-j", "db", "status", check=True).stdout)
    assert doc["pending"] == 0 and doc["changed"] == 0
    assert doc["schema_version"] == doc["build_version"]
    m = doc["migrations"][0]
    assert m["state"] == "applied"
    assert re.fullmatch(r"[0-9a-f]{64}", m["checksum"])
    assert m["applied_at"].endswith("Z")


def test_changed_applied_migration_is_refused(migrated, polarctl):
    migrated.execute("UPDATE schema_migrations SET checksum = repeat('0', 64) "
                     "WHERE version = 1")
    p = polarctl("db", "migrate", check=False)
    assert "0001_init was changed after it was applied" in p.stderr
    p = polarctl("db", "status", check=False)
    assert re.search(r"0001_init\s+changed", p.stdout)


def test_concurrent_migrations_apply_once(db, polarctl):
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda _: polarctl("db", "migrate"), range(4)))
    assert all(r.returncode == 0 for r in results), \
        [(r.stdout, r.stderr) for r in results]
    assert sum("applying 0001_init" in r.stdout for r in results) == 1
    assert db.scalar("SELECT count(*) FROM schema_migrations") >= 1


def test_unreachable_database_fails_fast(polarctl):
    p = polarctl("db", "status", env={
        "DATABASE_URL": "host=/nonexistent/pf user=x password=hunter2"},
        check=False)
    assert "could not connect to the database" in p.stderr
    # two attempts, not a daemon's patient back-off
    assert "(attempt 1/2, retrying in 500 ms)" in p.stderr, p.stderr
    assert "attempt 2/" not in p.stderr
    assert "hunter2" not in p.stderr + p.stdout


# -------------------------------------------------------------- users ---

def test_user_add_list_show(migrated, polarctl):
    assert "user 12345 added" in polarctl("user", "add", "12345",
                                          check=True).stdout
    p = polarctl("user", "add", "12345", check=False)
    assert "already exists" in p.stderr
    for bad in ("", "a b", "x" * 101, "../etc", "1;DROP"):
        p = polarctl("user", "add", bad, check=False)
        assert "invalid user id" in p.stderr or "usage" in p.stderr
    users = json.loads(polarctl("-j", "user", "list", check=True).stdout)
    assert [u["user_id"] for u in users] == ["12345"]
    assert users[0]["is_active"] is True and users[0]["active_keys"] == 0
    show = json.loads(polarctl("-j", "user", "show", "12345",
                               check=True).stdout)
    assert show["streams"]["sleep"] == 0
    assert show["next_sync_due"] is not None
    assert polarctl("user", "show", "nobody", check=False).stderr.strip() \
        == "polarctl: no such user: nobody"
    assert migrated.scalar("SELECT count(*) FROM audit_log "
                           "WHERE action = 'user.add'") == 1


def test_user_delete_removes_every_row(migrated, polarctl):
    polarctl("user", "add", "111", check=True)
    polarctl("user", "add", "222", check=True)
    polarctl("key", "create", "--user", "111", check=True)
    for uid in ("111", "222"):
        migrated.execute(
            "INSERT INTO sleep (user_id, date, sleep_score) "
            "VALUES (%s, '2026-01-01', 70)", (uid,))
        migrated.execute(
            "INSERT INTO exercise (user_id, polar_exercise_id, start_time) "
            "VALUES (%s, 'ex1', now())", (uid,))
        migrated.execute(
            "INSERT INTO spo2 (user_id, test_time) VALUES (%s, now())",
            (uid,))
        migrated.execute(
            "INSERT INTO user_baselines (user_id, metric_name, "
            "baseline_value, status) VALUES (%s, 'hrv_rmssd', 50, 'ready')",
            (uid,))
        migrated.execute(
            "INSERT INTO sync_logs (user_id, trigger) VALUES (%s, 'manual')",
            (uid,))
        migrated.execute(
            "INSERT INTO hrv_sessions (user_id, recording_id, source, "
            "recorded_at, rr, nn, algo_version, metrics, compat, valid, "
            "feeds_analytics) VALUES (%s, 'r1', 'api', now(), '{800}', "
            "'{800}', 1, '{}', '{}', true, true)", (uid,))
    # a table no list names: the catalog finds it
    migrated.execute("CREATE TABLE later_feature (user_id text, x int)")
    migrated.execute("INSERT INTO later_feature VALUES ('111', 1)")
    assert migrated.scalar("SELECT count(*) FROM audit_log WHERE "
                           "user_id = '111'") >= 1
    # without syncd the user cannot be deregistered at Polar: refused
    p = polarctl("user", "delete", "111", check=False)
    assert "syncd is not running" in p.stderr and "--no-polar" in p.stderr
    assert migrated.scalar("SELECT count(*) FROM sleep WHERE user_id = "
                           "'111'") == 1
    out = json.loads(polarctl("-j", "user", "delete", "--no-polar", "111",
                              check=True).stdout)
    assert out["rows"]["sleep"] == 1 and out["rows"]["users"] == 1
    assert out["rows"]["later_feature"] == 1
    assert out["rows"]["hrv_sessions"] == 1
    # every table, the audit log included: no row names the user
    tables = [r[0] for r in migrated.query(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'user_id'")]
    assert len(tables) >= 20
    for t in tables:
        assert migrated.scalar(f'SELECT count(*) FROM "{t}" '
                               "WHERE user_id = '111'") == 0, t
    # the erasure is audited, by the SHA-256 of the id only
    d = migrated.scalar("SELECT details FROM audit_log WHERE action = "
                        "'user.delete'")
    assert d["user_sha256"] == hashlib.sha256(b"111").hexdigest()
    assert d["rows"]["sleep"] == 1
    assert migrated.scalar("SELECT count(*) FROM sleep "
                           "WHERE user_id = '222'") == 1
    assert migrated.scalar("SELECT count(*) FROM users") == 1
    p = polarctl("user", "delete", "111", "--no-polar", check=False)
    assert "no such user" in p.stderr


# --------------------------------------------------------------- keys ---

KEY_RE = re.compile(r"^pfk_[0-9a-f]{40}$", re.M)


def test_key_create_shows_once_and_stores_only_the_hash(migrated, polarctl):
    polarctl("user", "add", "12345", check=True)
    p = polarctl("key", "create", "--user", "12345", check=True)
    keys = KEY_RE.findall(p.stdout)
    assert len(keys) == 1
    key = keys[0]
    row = migrated.query("SELECT key_hash, key_prefix, user_id "
                         "FROM api_keys")[0]
    assert row == (hashlib.sha256(key.encode()).hexdigest(), key[:12],
                   "12345")
    # the key itself is nowhere in the database
    dump = migrated.query("SELECT string_agg(t::text, '') FROM "
                          "(SELECT * FROM api_keys) t")[0][0]
    dump += migrated.query("SELECT string_agg(t::text, '') FROM "
                           "(SELECT * FROM audit_log) t")[0][0]
    assert key not in dump and key[12:] not in dump
    listing = polarctl("-j", "key", "list", check=True).stdout
    keys_json = json.loads(listing)
    assert keys_json[0]["key_prefix"] == key[:12]
    assert keys_json[0]["user_id"] == "12345"
    assert key not in listing and "key_hash" not in listing
    assert key not in polarctl("key", "list", check=True).stdout


def test_key_policies(migrated, polarctl):
    p = polarctl("key", "create", "--user", "nobody", check=False)
    assert "no such user: nobody" in p.stderr
    polarctl("user", "add", "u1", check=True)
    polarctl("key", "create", "--user", "u1", check=True)
    p = polarctl("key", "create", "--user", "u1", check=False)
    assert "already has an active key" in p.stderr
    svc = json.loads(polarctl("-j", "key", "create", "--name", "laravel",
                              "--rate-limit", "5000", check=True).stdout)
    assert svc["user_id"] is None and svc["rate_limit_requests"] == 5000
    assert KEY_RE.match(svc["key"])
    for bad in (["--rate-limit", "0"], ["--rate-limit", "12x"],
                ["--bogus"], ["--user"]):
        assert polarctl("key", "create", *bad).returncode == 1


def test_key_revoke_and_regenerate(migrated, polarctl):
    polarctl("user", "add", "u1", check=True)
    first = json.loads(polarctl("-j", "key", "create", "--user", "u1",
                                check=True).stdout)
    polarctl("key", "revoke", first["key_prefix"], check=True)
    assert migrated.scalar("SELECT is_active FROM api_keys WHERE id = %s",
                           (first["id"],)) is False
    # a revoked key no longer blocks a new one
    polarctl("key", "create", "--user", "u1", check=True)
    again = json.loads(polarctl("-j", "key", "regenerate", str(first["id"]),
                                check=True).stdout)
    assert again["id"] == first["id"] and again["key"] != first["key"]
    h = migrated.scalar("SELECT key_hash FROM api_keys WHERE id = %s",
                        (first["id"],))
    assert h == hashlib.sha256(again["key"].encode()).hexdigest()
    assert polarctl("key", "revoke", "999", check=False).stderr.strip() == \
        "polarctl: no key with id 999"
    assert "neither a key id" in polarctl("key", "revoke", "abc",
                                          check=False).stderr
    actions = [r[0] for r in migrated.query(
        "SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("key.revoke") == 1
    assert actions.count("key.regenerate") == 1


# ------------------------------------------------- config and commands --

def test_config_typo_fails_with_file_and_line(polarctl, tmp_path):
    conf = tmp_path / "polarflow.conf"
    conf.write_text("# demo\nsync_interval_minutes = 15\n"
                    "sync_intervall_minutes = 5\n")
    p = polarctl("-f", str(conf), "db", "status", check=False)
    assert p.stderr.strip() == (
        f"polarctl: {conf}:3: unknown key \"sync_intervall_minutes\" "
        "(did you mean \"sync_interval_minutes\"?)")
    p = polarctl("-n", "-f", str(conf), check=False)
    assert f"{conf}:3:" in p.stderr
    conf.write_text("sync_interval_minutes = 15\n")
    assert polarctl("-n", "-f", str(conf), check=True).stdout.strip() == \
        "configuration OK"


def test_env_overrides_and_show_config(polarctl, tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("sync_interval_minutes = 15\napi_key = topsecret\n")
    p = polarctl("-f", str(conf), "show", "config",
                 env={"SYNC_DAYS_LOOKBACK": "7"}, check=True)
    assert "sync_interval_minutes = 15" in p.stdout
    assert "sync_days_lookback = 7" in p.stdout
    assert "topsecret" not in p.stdout and "api_key = (set)" in p.stdout
    p = polarctl("show", "config", env={"SYNC_DAYS_LOOKBACK": "999"},
                 check=False)
    assert "environment SYNC_DAYS_LOOKBACK: sync_days_lookback: 999 is out" \
        in p.stderr


def test_commands_abbreviate_and_fail_cleanly(migrated, polarctl):
    polarctl("us", "ad", "777", check=True)
    # "a" is both "add" and "authorize": refused, never guessed
    p = polarctl("us", "a", "778", check=False)
    assert p.returncode == 1 and "ambiguous command" in p.stderr
    assert "777" in polarctl("u", "li", check=True).stdout
    assert "unknown command" in polarctl("frobnicate", check=False).stderr
    p = polarctl(check=False)
    assert p.stderr.startswith("usage: polarctl [-jn] [-f file] command")
    assert polarctl("-x", "db", "status", check=False).returncode == 1
    assert "user add" in polarctl("help", check=True).stdout


def test_daemons_down_are_reported_at_once(migrated, polarctl, tmp_path):
    env = {"POLARFLOW_RUNDIR": str(tmp_path),
           "API_PORT": str(free_port())}
    p = polarctl("-j", "show", "status", env=env, check=False)
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["syncd"] == {"running": False, "error": "not running"}
    assert doc["analyticsd"]["running"] is False
    assert doc["apid"]["running"] is False
    assert doc["apid"]["error"] == "not running"
    assert doc["database"]["schema_version"] >= 1
    for args in (["sync", "now", "u1"], ["analytics", "recompute", "all"],
                 ["log", "verbose"], ["reload", "syncd"]):
        p = polarctl(*args, env=env, check=False)
        # the refused dial, not a call that waited for its timeout
        assert "is not running" in p.stderr, args
    assert "usage" in polarctl("show", "status", "kore", env=env,
                               check=False).stderr


def test_status_asks_apid_its_readiness(apid, polarctl):
    env = {"POLARFLOW_RUNDIR": apid.rundir, "API_PORT": str(apid.port)}
    p = polarctl("-j", "show", "status", "apid", env=env, check=True)
    doc = json.loads(p.stdout)["apid"]
    assert doc["running"] is True and doc["http_status"] == 200
    assert doc["status"] == "ready" and doc["syncd"] == "down"
    assert doc["url"] == f"http://127.0.0.1:{apid.port}/ready"
    # the whole picture: apid up, the other daemons down -> exit 1
    p = polarctl("show", "status", env=env, check=False)
    assert p.returncode == 1
    assert "apid:\n  running: true\n" in p.stdout
    assert "syncd:\n  running: false\n" in p.stdout
