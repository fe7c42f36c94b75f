"""The monthly partitions of the history tables (sql/0019, issue 19):
a database with years of rows is migrated without losing one, the old
months are split out online by polarctl, new rows are routed to their
month, partitions exist ahead, and syncd's re-sync stays idempotent."""
import hashlib
import json
import os
from datetime import date

import psycopg

import harness
from fx_syncd import *  # noqa: F401,F403

TABLES = ["activity_samples", "continuous_heart_rate"]
SQL_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "sql")


def month_add(d, n):
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def apply_before(db, version):
    """Applies the migrations older than version as polarctl would
    (recorded with their checksums), so that polarctl applies the rest."""
    files = sorted(f for f in os.listdir(SQL_DIR)
                   if f[:4].isdigit() and f.endswith(".sql"))
    with psycopg.connect(db.url, autocommit=True) as c:
        c.execute("CREATE TABLE schema_migrations (version integer "
                  "PRIMARY KEY, name text NOT NULL, checksum char(64) NOT "
                  "NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                  "applied_by text NOT NULL DEFAULT current_user, "
                  "duration_ms integer)")
        for f in files:
            v = int(f[:4])
            if v >= version:
                continue
            with open(os.path.join(SQL_DIR, f), "rb") as fh:
                sql = fh.read()
            with c.transaction():
                c.execute(sql.decode())
                c.execute("INSERT INTO schema_migrations (version, name, "
                          "checksum) VALUES (%s, %s, %s)",
                          (v, f[:-4], hashlib.sha256(sql).hexdigest()))


def partitions(db, table):
    return {r[0]: r[1] for r in db.query(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass", (table,))}


def content(db, table):
    return db.query(f"SELECT user_id, date::text, (to_jsonb(t) - "
                    f"'user_id' - 'date' - 'updated_at')::text FROM {table} t "
                    f"ORDER BY 1, 2")


def test_years_of_rows_migrated_then_split_online(db, polarctl):
    apply_before(db, 19)
    db.execute("INSERT INTO users (user_id) VALUES ('u1'), ('u2')")
    # three years and a day ahead (a time zone east of UTC)
    db.execute("INSERT INTO activity_samples (user_id, date, total_steps, "
               "samples) SELECT u, d::date, 7, '[1, 2]' FROM unnest(ARRAY["
               "'u1', 'u2']) u, generate_series(now() - interval '3 years',"
               " now() + interval '1 day', interval '1 day') d")
    db.execute("INSERT INTO continuous_heart_rate (user_id, date, "
               "sample_count, samples) SELECT u, d::date, 3, '[60, 61]' "
               "FROM unnest(ARRAY['u1', 'u2']) u, generate_series(now() - "
               "interval '2 years', now(), interval '1 day') d")
    before = {t: content(db, t) for t in TABLES}
    p = polarctl("db", "migrate", check=True)
    assert "0019_partition_history" in p.stdout
    db.make_roles()

    today = date.today()
    first = today.replace(day=1)
    for t in TABLES:
        assert content(db, t) == before[t], t
        parts = partitions(db, t)
        assert parts[f"{t}_default"] == "DEFAULT"
        for k in range(4):          # this month and three ahead
            m = month_add(first, k)
            assert f"{t}_{m:%Y%m}" in parts, (t, m, parts)
        # the current month left the default partition at once
        assert db.scalar(f"SELECT count(*) FROM {t}_default WHERE "
                         f"date >= %s", (first,)) == 0
        assert db.scalar(f"SELECT relkind FROM pg_class WHERE relname = "
                         f"%s", (t,)) == "p"
        assert db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename "
                         "= %s AND indexdef LIKE '%%USING brin (date)%%'",
                         (t,)) == 1

    p = polarctl("-j", "db", "partitions", "--split", check=True)
    done = {r["table"]: r for r in json.loads(p.stdout)}
    assert done["activity_samples"]["months"] >= 36
    assert done["continuous_heart_rate"]["months"] >= 24
    for t in TABLES:
        assert content(db, t) == before[t], t
        assert db.scalar(f"SELECT count(*) FROM {t}_default") == 0
        months = db.scalar(f"SELECT count(DISTINCT date_trunc('month', "
                           f"date)) FROM {t}")
        # every month with rows has its own partition (+ the default)
        assert len(partitions(db, t)) >= months + 1
        wrong = db.scalar(
            f"SELECT count(*) FROM {t} WHERE tableoid::regclass::text <> "
            f"'{t}_' || to_char(date, 'YYYYMM')")
        assert wrong == 0, t
    # a second split finds nothing to move
    p = polarctl("-j", "db", "partitions", "--split", check=True)
    assert all(r["months"] == 0 for r in json.loads(p.stdout))

    # the sizes command lists every partition with its size
    p = polarctl("-j", "db", "partitions", check=True)
    rows = json.loads(p.stdout)
    names = {r["partition"] for r in rows}
    assert f"activity_samples_{today:%Y%m}" in names
    assert all(r["bytes"] > 0 for r in rows
               if r["partition"] == f"activity_samples_{today:%Y%m}")
    p = polarctl("db", "partitions", check=True)
    assert "PARTITION" in p.stdout and "SIZE" in p.stdout


def test_new_rows_routed_and_old_months_caught(migrated):
    today = date.today()
    migrated.execute("INSERT INTO users (user_id) VALUES ('u1')")
    migrated.execute("INSERT INTO activity_samples (user_id, date, "
                     "total_steps) VALUES ('u1', %s, 1), "
                     "('u1', '2003-02-03', 2)", (today,))
    where = dict(migrated.query(
        "SELECT date::text, tableoid::regclass::text FROM activity_samples"))
    assert where[str(today)] == f"activity_samples_{today:%Y%m}"
    # a month with no partition is never refused: the default takes it
    assert where["2003-02-03"] == "activity_samples_default"
    # the upsert's conflict target still works across partitions
    migrated.execute("INSERT INTO activity_samples (user_id, date, "
                     "total_steps) VALUES ('u1', '2003-02-03', 5) ON "
                     "CONFLICT (user_id, date) DO UPDATE SET total_steps "
                     "= excluded.total_steps")
    assert migrated.scalar("SELECT total_steps FROM activity_samples "
                           "WHERE date = '2003-02-03'") == 5
    assert migrated.scalar("SELECT pf_history_split('activity_samples')") \
        == 1
    assert migrated.scalar("SELECT tableoid::regclass::text FROM "
                           "activity_samples WHERE date = '2003-02-03'") \
        == "activity_samples_200302"


def test_syncd_makes_partitions_ahead_and_resync_is_idempotent(
        migrated, syncd):
    today = date.today()
    # a month that is missing is made again by syncd at start
    ahead = month_add(today.replace(day=1), 3)
    migrated.execute(f"DROP TABLE continuous_heart_rate_{ahead:%Y%m}")
    syncd.stop()
    syncd.start()
    harness.wait_until(lambda: f"continuous_heart_rate_{ahead:%Y%m}" in
                       partitions(migrated, "continuous_heart_rate"),
                       timeout=20, what="syncd made the partition ahead")

    uid = syncd.authorize(0)
    r = syncd.sync(uid)
    assert r["ok"], r
    for t in TABLES:
        assert r["records"][t] > 0, r
    snap = {t: content(migrated, t) for t in TABLES}
    # older months of the sync went to the default partition; split them
    # out, then a re-sync must find every row where it is
    for t in TABLES:
        while migrated.scalar("SELECT pf_history_split(%s)", (t,)) > 0:
            pass
        assert migrated.scalar(f"SELECT count(*) FROM {t}_default") == 0
    changed_at = migrated.scalar("SELECT data_changed_at FROM "
                                 "analytics_state WHERE user_id = %s", (uid,))
    r = syncd.sync(uid, days=28)       # re-read the whole window
    assert r["status"] == "success", r
    assert all(v == 0 for v in r["changed"].values()), r
    # moving rows between partitions is no change for analyticsd
    assert migrated.scalar("SELECT data_changed_at FROM analytics_state "
                           "WHERE user_id = %s", (uid,)) == changed_at
    for t in TABLES:
        assert content(migrated, t) == snap[t], t
        assert migrated.scalar(f"SELECT count(*) FROM {t} WHERE user_id "
                               f"= %s", (uid,)) == len(snap[t])


def test_split_is_online_for_the_recent_months(migrated):
    """While one month moves out of the default partition (its lock held
    by an open transaction), the recent months stay writable and
    readable: neither waits for the move."""
    today = date.today()
    migrated.execute("INSERT INTO users (user_id) VALUES ('u1')")
    migrated.execute("INSERT INTO activity_samples (user_id, date, "
                     "total_steps) SELECT 'u1', d::date, 1 FROM "
                     "generate_series('2004-01-01'::date, '2004-03-31', "
                     "interval '1 day') d")
    with psycopg.connect(migrated.url) as mover, \
            psycopg.connect(migrated.url, autocommit=True) as other:
        assert mover.execute("SELECT pf_history_split('activity_samples')"
                             ).fetchone()[0] == 31          # March 2004
        other.execute("SET lock_timeout = '5s'")
        other.execute("INSERT INTO activity_samples (user_id, date, "
                      "total_steps) VALUES ('u1', %s, 3) ON CONFLICT "
                      "(user_id, date) DO UPDATE SET total_steps = "
                      "excluded.total_steps", (today,))
        assert other.execute("SELECT total_steps FROM activity_samples "
                             "WHERE user_id = 'u1' AND date = %s",
                             (today,)).fetchone()[0] == 3
        mover.commit()
    assert migrated.scalar("SELECT count(*) FROM activity_samples_200403") \
        == 31
    assert migrated.scalar("SELECT count(*) FROM activity_samples") == 92
