"""The schema's rules, checked on a migrated database: every key of user
data starts with a NOT NULL user_id, upserts are idempotent, and every
column syncd's stream table writes exists."""
import os

import pytest

import psycopg

import harness


NOT_USER_DATA = {"api_keys", "audit_log", "temp_auth_codes"}


def test_every_user_key_starts_with_user_id(migrated):
    rows = migrated.query("""
        SELECT c.conrelid::regclass::text, c.conname,
               (SELECT attname FROM pg_attribute
                 WHERE attrelid = c.conrelid AND attnum = c.conkey[1])
          FROM pg_constraint c
         WHERE c.contype IN ('p', 'u')
           AND c.connamespace = 'public'::regnamespace
           AND EXISTS (SELECT 1 FROM information_schema.columns
                        WHERE table_schema = 'public'
                          AND table_name = c.conrelid::regclass::text
                          AND column_name = 'user_id')""")
    checked = 0
    for table, name, first in rows:
        if table in NOT_USER_DATA:
            continue
        assert first == "user_id", f"{table}.{name} starts with {first}"
        checked += 1
    assert checked >= 25


def test_user_data_tables_have_not_null_user_id(migrated):
    rows = migrated.query("""
        SELECT table_name, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' AND column_name = 'user_id'""")
    for table, nullable in rows:
        if table in NOT_USER_DATA:
            continue
        assert nullable == "NO", table


@pytest.mark.parametrize("table,key,value", [
    ("spo2", "test_time", "2026-01-01T08:00:00Z"),
    ("ecg", "test_time", "2026-01-01T08:00:00Z"),
    ("skin_temperature", "sleep_date", "2026-01-01"),
])
def test_biosensing_upserts_work(migrated, table, key, value):
    """Upstream's ON CONFLICT on these tables failed: no unique key."""
    sql = (f"INSERT INTO {table} (user_id, {key}) VALUES ('u', %s) "
           f"ON CONFLICT (user_id, {key}) DO UPDATE SET updated_at = now()")
    migrated.execute(sql, (value,))
    migrated.execute(sql, (value,))
    assert migrated.scalar(f"SELECT count(*) FROM {table}") == 1


def test_body_temperature_key(migrated):
    sql = ("INSERT INTO body_temperature (user_id, start_time, "
           "measurement_type, sensor_location) VALUES ('u', %s, %s, %s) "
           "ON CONFLICT (user_id, start_time, measurement_type, "
           "sensor_location) DO UPDATE SET updated_at = now()")
    migrated.execute(sql, ("2026-01-01T21:00:00", "TM_SKIN_TEMPERATURE",
                           "SL_DISTAL"))
    migrated.execute(sql, ("2026-01-01T21:00:00", "TM_SKIN_TEMPERATURE",
                           "SL_DISTAL"))
    migrated.execute(sql, ("2026-01-01T21:00:00", "TM_CORE_TEMPERATURE",
                           "SL_DISTAL"))
    assert migrated.scalar("SELECT count(*) FROM body_temperature") == 2


def test_data_changes_mark_user_stale_but_noop_resync_does_not(migrated):
    upsert = ("INSERT INTO nightly_recharge (user_id, date, hrv_avg) "
              "VALUES ('u', '2026-01-01', %s) ON CONFLICT (user_id, date) "
              "DO UPDATE SET hrv_avg = excluded.hrv_avg, updated_at = now()")
    migrated.execute(upsert, (50.0,))
    assert migrated.scalar("SELECT count(*) FROM analytics_state "
                           "WHERE user_id = 'u'") == 1
    migrated.execute("UPDATE analytics_state SET analytics_run_at = now(), "
                     "data_changed_at = now() - interval '1 hour'")
    migrated.execute(upsert, (50.0,))           # same data again
    assert migrated.scalar("SELECT data_changed_at < analytics_run_at "
                           "FROM analytics_state") is True
    migrated.execute(upsert, (51.5,))           # real change
    assert migrated.scalar("SELECT data_changed_at > analytics_run_at "
                           "FROM analytics_state") is True


def test_user_id_format_is_enforced(migrated):
    with pytest.raises(psycopg.errors.CheckViolation):
        migrated.execute("INSERT INTO users (user_id) VALUES ('a b')")


def test_every_stream_column_exists(migrated):
    """Each column syncd's stream table writes is in the schema."""
    out = harness.run([os.path.join(harness.BUILD, "tests", "unit", "syncd",
                                    "test_stream"), "columns"])
    assert out.returncode == 0, out.stderr
    wanted = {tuple(line.split("\t")) for line in out.stdout.splitlines()}
    have = set(migrated.query("""
        SELECT table_name::text, column_name::text
          FROM information_schema.columns
         WHERE table_schema = 'public'"""))
    assert len({t for t, _ in wanted}) == 14
    assert sorted(wanted - have) == []
