"""polarctl export: one user's data as JSON or CSV, against a real
PostgreSQL."""
import csv
import io
import json
import re
import subprocess

import harness

STREAMS = [
    "sleep", "nightly_recharge", "activity", "activity_samples", "exercise",
    "cardio_load", "sleepwise_alertness", "sleepwise_bedtime",
    "continuous_heart_rate", "spo2", "ecg", "body_temperature",
    "skin_temperature", "physical_info", "user_baselines",
    "pattern_analyses", "analytics_alerts", "analytics_daily",
    "analytics_documents",
]

# "today" as the export sees it: the snapshot runs in UTC
TODAY = "(now() AT TIME ZONE 'UTC')::date"

# a value RFC 4180 must quote: comma, quote, CR, LF
TRICKY = 'Polar "Vantage", v2\r\nline two\rcr'


def add_users(db, polarctl, *uids):
    for uid in uids:
        polarctl("user", "add", uid, check=True)


def seed(db):
    """u1 and u2 with rows in several streams; u1 also has a Polar token
    and an API key that must never show up."""
    db.execute("UPDATE users SET access_token_enc = 'SEALED-SECRET-TOKEN' "
               "WHERE user_id = 'u1'")
    for uid, score in (("u1", 81), ("u2", 55)):
        # inserted newest first: the export must sort them
        db.execute(
            f"INSERT INTO sleep (user_id, date, sleep_score, hrv_avg, "
            f"continuity, hypnogram, device_id) VALUES "
            f"(%s, {TODAY} - 1, %s, 41.25, NULL, "
            f"'{{\"00:00\": 1, \"00:30\": [2, 3.50], \"n\": null}}', %s), "
            f"(%s, {TODAY} - 3, 70, NULL, 2.5, NULL, NULL)",
            (uid, score, TRICKY, uid))
        db.execute(
            f"INSERT INTO activity (user_id, date, steps, distance_meters, "
            f"start_time) VALUES (%s, {TODAY} - 2, 12345, 9876.5, "
            f"'2026-01-05 23:11:00.25+02')", (uid,))
    db.execute(f"INSERT INTO skin_temperature (user_id, sleep_date, "
               f"is_elevated, temperature_celsius) VALUES "
               f"('u1', {TODAY} - 1, true, 34.1)")
    db.execute(f"INSERT INTO analytics_alerts (user_id, metric_name, day, "
               f"severity, value) VALUES ('u1', 'hrv_rmssd', {TODAY} - 1, "
               f"'warning', 17.5), ('u1', 'hr', {TODAY} - 1, 'critical', "
               f"70)")


def export_json(polarctl, *args):
    p = polarctl(*args, check=True)
    assert p.stderr == ""
    return json.loads(p.stdout)


def test_json_export_types_order_and_isolation(migrated, polarctl):
    add_users(migrated, polarctl, "u1", "u2")
    seed(migrated)
    polarctl("key", "create", "--user", "u1", check=True)
    p = polarctl("export", "u1", check=True)
    assert "u2" not in p.stdout
    assert "SEALED-SECRET-TOKEN" not in p.stdout
    assert "pfk_" not in p.stdout and "key_hash" not in p.stdout
    doc = json.loads(p.stdout)
    assert doc["user_id"] == "u1" and doc["days"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                        doc["exported_at"])
    assert list(doc["streams"]) == STREAMS
    for name, rows in doc["streams"].items():
        assert all(r["user_id"] == "u1" for r in rows), name

    sleep = doc["streams"]["sleep"]
    assert len(sleep) == 2
    assert sleep[0]["date"] < sleep[1]["date"]          # day order
    new = sleep[1]
    # jsonb embedded as JSON, not as a string; its own nulls kept
    assert new["hypnogram"] == {"00:00": 1, "00:30": [2, 3.5], "n": None}
    assert new["sleep_score"] == 81 and isinstance(new["sleep_score"], int)
    assert new["hrv_avg"] == 41.25
    assert new["continuity"] is None                    # SQL NULL
    assert new["device_id"] == TRICKY
    assert sleep[0]["hypnogram"] is None and sleep[0]["continuity"] == 2.5
    # every column of the table is there
    cols = [r[0] for r in migrated.query(
        "SELECT column_name FROM information_schema.columns WHERE "
        "table_name = 'sleep' ORDER BY ordinal_position")]
    assert list(new) == cols

    act = doc["streams"]["activity"]
    assert len(act) == 1 and act[0]["steps"] == 12345
    assert act[0]["distance_meters"] == 9876.5
    assert act[0]["start_time"] == "2026-01-05T21:11:00.25Z"    # UTC
    assert doc["streams"]["skin_temperature"][0]["is_elevated"] is True
    # tables without an id: day, then the rest of the key
    assert [a["metric_name"] for a in
            doc["streams"]["analytics_alerts"]] == ["hr", "hrv_rmssd"]
    assert doc["streams"]["exercise"] == []

    # -j asks for the same JSON; so does --format json
    for args in (("-j", "export", "u1"),
                 ("export", "u1", "--format", "json"),
                 ("-j", "export", "--format=json", "u1")):
        again = export_json(polarctl, *args)
        again["exported_at"] = doc["exported_at"]
        assert again == doc, args

    one = export_json(polarctl, "export", "u1", "--stream", "sleep")
    assert list(one["streams"]) == ["sleep"]
    assert one["streams"]["sleep"] == sleep
    other = export_json(polarctl, "export", "u2", "--stream", "sleep")
    assert [r["sleep_score"] for r in other["streams"]["sleep"]] == [70, 55]


def expected_csv_rows(db, table, uid):
    """The rows as the export must write them, computed by PostgreSQL."""
    cols = db.query("SELECT column_name, data_type FROM "
                    "information_schema.columns WHERE table_name = %s "
                    "ORDER BY ordinal_position", (table,))
    exprs = []
    for name, typ in cols:
        if typ == "timestamp with time zone":
            exprs.append(f"(to_json({name} AT TIME ZONE 'UTC') #>> '{{}}')"
                         f" || 'Z'")
        else:
            exprs.append(f"{name}::text")
    rows = db.query(f"SELECT {', '.join(exprs)} FROM {table} "
                    f"WHERE user_id = %s ORDER BY date, id", (uid,))
    return [c for c, _ in cols], [["" if v is None else v for v in r]
                                  for r in rows]


def run_raw(db, *args):
    """polarctl with its output as bytes: text mode would turn the CR
    inside a quoted field into LF."""
    return subprocess.run(
        [harness.binary("polarctl"), *args], capture_output=True,
        env=harness.clean_env(DATABASE_URL=db.url), timeout=60)


def test_csv_export_round_trips(migrated, polarctl):
    add_users(migrated, polarctl, "u1", "u2")
    seed(migrated)
    migrated.execute(f"INSERT INTO sleep (user_id, date, device_id) VALUES "
                     f"('u1', {TODAY} - 5, '')")
    p = run_raw(migrated, "export", "u1", "--stream", "sleep",
                "--format", "csv")
    assert p.returncode == 0 and p.stderr == b""
    text = p.stdout.decode()
    header, want = expected_csv_rows(migrated, "sleep", "u1")
    got = list(csv.reader(io.StringIO(text, newline="")))
    assert got[0] == header
    assert got[1:] == want
    assert any(TRICKY in r for r in got)
    assert any('{"n": null' in v for r in got for v in r)      # jsonb text
    # LF line ends outside quoted fields; the quoted field keeps its CRLF
    assert text.endswith("\n") and not text.endswith("\r\n")
    assert text.count("\n") == len(got) + TRICKY.count("\n")
    assert '"Polar ""Vantage"", v2\r\nline two\rcr"' in text
    # NULL is an empty field, an empty string is "" (as COPY CSV)
    assert ',"",' in text
    assert "u2" not in text
    # an empty stream is its header alone
    p = run_raw(migrated, "export", "u1", "--stream", "exercise",
                "--format", "csv")
    assert p.returncode == 0
    assert p.stdout.decode().count("\n") == 1
    assert p.stdout.decode().startswith("user_id,polar_exercise_id,")


def test_days_limits_rows(migrated, polarctl):
    add_users(migrated, polarctl, "u1")
    for back in (0, 2, 10, 40):
        migrated.execute(f"INSERT INTO sleep (user_id, date, sleep_score) "
                         f"VALUES ('u1', {TODAY} - {back}, {back})")
    for back in (1, 5, 50):
        migrated.execute(
            "INSERT INTO exercise (user_id, polar_exercise_id, start_time) "
            "VALUES ('u1', %s, date_trunc('day', now() AT TIME ZONE 'UTC') "
            f"AT TIME ZONE 'UTC' - interval '{back} days' "
            "+ interval '12 hours')", (f"ex{back}",))

    def scores(days, stream="sleep", key="sleep_score"):
        doc = export_json(polarctl, "export", "u1", "--days", str(days))
        assert doc["days"] == days
        return [r[key] for r in doc["streams"][stream]]

    assert scores(1) == [0]
    assert scores(7) == [2, 0]
    assert scores(10) == [10, 2, 0]             # today - 10 is inside
    assert scores(36500) == [40, 10, 2, 0]
    assert scores(7, "exercise", "polar_exercise_id") == ["ex5", "ex1"]
    assert scores(60, "exercise", "polar_exercise_id") == \
        ["ex50", "ex5", "ex1"]
    p = run_raw(migrated, "export", "u1", "--stream", "sleep", "--format",
                "csv", "--days", "3")
    rows = list(csv.DictReader(io.StringIO(p.stdout.decode(), newline="")))
    assert [r["sleep_score"] for r in rows] == ["2", "0"]
    # every whole export is in the audit log, with what was taken
    audit = migrated.query(
        "SELECT action, user_id, details FROM audit_log "
        "WHERE action = 'user.export' ORDER BY id")
    assert len(audit) == 7
    assert audit[0][:2] == ("user.export", "u1")
    last = audit[-1][2]
    last = json.loads(last) if isinstance(last, str) else last
    assert last == {"format": "csv", "stream": "sleep", "days": 3}


def test_bad_requests_fail_cleanly(migrated, polarctl):
    add_users(migrated, polarctl, "u1")
    cases = [
        (["export", "u1", "--stream", "nope"],
         'polarctl: unknown stream "nope"; streams are: sleep, '
         'nightly_recharge, '),
        (["export", "u1", "--format", "csv"],
         "polarctl: csv export needs --stream (one table per file)"),
        (["export", "ghost"], "polarctl: no such user: ghost"),
        (["export", "a b"], "polarctl: invalid user id"),
        (["export", "u1", "--format", "xml"],
         'polarctl: invalid --format "xml": csv or json'),
        (["-j", "export", "u1", "--stream", "sleep", "--format", "csv"],
         "polarctl: -j asks for JSON but --format says csv"),
        (["export"], "polarctl: usage: polarctl export <user_id> "
         "[--format csv | json] [--stream stream] [--days n]"),
        (["export", "u1", "--bogus"], "polarctl: usage: polarctl export"),
        (["export", "u1", "u2"], "polarctl: usage: polarctl export"),
        (["export", "u1", "--days"],
         "polarctl: option --days needs a value"),
    ]
    for bad in ("0", "-1", "36501", "7x", "", "99999999999999999999"):
        cases.append((["export", "u1", "--days", bad],
                      f'polarctl: invalid --days "{bad}": an integer from 1 '
                      "to 36500"))
    for args, msg in cases:
        p = polarctl(*args, check=False)
        assert p.stderr.startswith(msg), (args, p.stderr)
        assert p.stdout == "", args
    # refused exports took nothing and are not recorded as taken
    assert migrated.query("SELECT count(*) FROM audit_log "
                          "WHERE action = 'user.export'")[0][0] == 0
    p = polarctl("export", "u1", "--stream", "nope", check=False)
    for s in STREAMS:
        assert s in p.stderr
    assert "export <user_id> [--format csv | json]" in \
        polarctl("help", check=True).stdout
