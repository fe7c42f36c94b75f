"""Apple Health pushes (Health Auto Export) through real apid and
PostgreSQL: every documented shape lands with its numbers, SI units,
times and offsets; resent windows change nothing; a corrupt body is
kept and replayable; unknown metrics are kept."""
import datetime as dt
import hashlib
import json
import os
import socket

import pytest

import harness
from fx_apid import MASTER, Apid, make_key, apid, users  # noqa: F401

FIX = os.path.join(os.path.dirname(__file__), "fixtures", "hae")
UTC = None  # timestamps are read back AT TIME ZONE 'UTC' (naive)


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def push(a, key, body, path="/api/v1/ingest", **kw):
    return a.post(path, key, bearer=True, data=body,
                  headers={"Content-Type": "application/json"}, **kw)


def t(s):
    return dt.datetime.fromisoformat(s)


def sample(db, metric, start_utc, source=""):
    rows = db.query(
        "SELECT value, unit, value_orig, unit_orig, vmin, vavg, vmax,"
        " utc_offset_min, end_at AT TIME ZONE 'UTC', extra, known"
        " FROM health_samples WHERE user_id = 'alice' AND metric = %s"
        " AND start_at = %s::timestamptz AND source = %s",
        (metric, start_utc + "+00", source))
    assert len(rows) == 1, (metric, start_utc, rows)
    keys = ("value", "unit", "value_orig", "unit_orig", "min", "avg", "max",
            "offset", "end", "extra", "known")
    return dict(zip(keys, rows[0]))


def approx(a, b):
    return a == pytest.approx(b, rel=1e-12, abs=1e-12)


def test_every_metric_shape_lands_exactly(apid, users, migrated):
    db = migrated
    r = push(apid, users["alice"], fixture("metrics.json"))
    assert r.status == 207, r.text
    j = r.json()
    assert j["processing_status"] == "partial_success"
    iid = j["ingestion_id"]
    m = j["metrics"]
    assert m["heart_rate"] == {"accepted": 2, "duplicate": 0, "rejected": 0}
    assert m["active_energy"] == {"accepted": 1, "duplicate": 0,
                                  "rejected": 3}
    assert m["sleep_analysis"]["accepted"] == 3    # 1 night + 2 stages
    assert j["unknown_metrics"] == {"mystery_metric": 2}
    errs = {(e["metric"], e["index"]): e["reason"] for e in j["errors"]}
    assert errs == {
        ("active_energy", 0): 'unparseable date: "not a date"',
        ("active_energy", 1): "missing date",
        ("active_energy", 2): "qty is not a number",
    }
    assert j["error_count"] == 3

    # heart rate: Min/Avg/Max in 1/s, as sent kept, +0100 kept
    s = sample(db, "heart_rate", "2025-03-01 06:00:00", "Apple Watch")
    assert s["unit"] == "1/s" and s["unit_orig"] == "count/min"
    assert approx(s["min"], 52 / 60) and approx(s["avg"], 55.4 / 60)
    assert approx(s["max"], 61 / 60)
    assert s["value_orig"] == 55.4 and s["offset"] == 60
    # HRV (SDNN) in seconds, its own metric
    s = sample(db, "heart_rate_variability", "2025-03-01 02:12:40",
               "Apple Watch")
    assert approx(s["value"], 0.0482) and s["unit"] == "s"
    assert s["value_orig"] == 48.2 and s["unit_orig"] == "ms"
    s = sample(db, "resting_heart_rate", "2025-03-01 00:00:00")
    assert s["offset"] == 0 and s["value_orig"] == 51
    # 12-hour clock and ISO forms
    s = sample(db, "step_count", "2025-03-01 13:15:00", "iPhone")
    assert s["value"] == 1200 and s["offset"] == -300
    s = sample(db, "step_count", "2025-03-02 01:15:00", "iPhone")
    assert s["value"] == 300
    s = sample(db, "step_count", "2025-03-01 04:00:00.25", "iPhone")
    assert s["value"] == 17 and s["offset"] == 330
    # blood pressure: systolic the value, diastolic beside it
    s = sample(db, "blood_pressure", "2025-03-01 07:00:00")
    assert approx(s["value"], 118 * 133.322387415) and s["unit"] == "Pa"
    assert s["extra"]["diastolic"] == 76
    assert approx(s["extra"]["diastolic_si"], 76 * 133.322387415)
    # unaggregated sleep stages
    s = sample(db, "sleep_analysis", "2025-03-02 22:10:00", "Apple Watch")
    assert s["value"] == 1800 and s["unit"] == "s"
    assert s["extra"] == {"value": "Core"}
    assert s["end"] == t("2025-03-02 22:40:00")
    # glucose with meal time, insulin with reason, handwashing value
    s = sample(db, "blood_glucose", "2025-03-01 11:30:00")
    assert approx(s["value"], 1.04) and s["unit"] == "kg/m^3"
    assert s["extra"] == {"mealTime": "After Meal"}
    s = sample(db, "insulin_delivery", "2025-03-01 11:00:00")
    assert s["value"] == 4.5 and s["unit"] == "IU"
    assert s["extra"] == {"reason": "Bolus"}
    s = sample(db, "handwashing", "2025-03-01 11:05:00")
    assert s["value"] == 21 and s["extra"] == {"value": "Complete"}
    s = sample(db, "sexual_activity", "2025-03-01 21:00:00")
    assert s["value"] == 1 and s["extra"]["Protection Used"] == 1
    s = sample(db, "body_temperature", "2025-03-01 06:30:00")
    assert approx(s["value"], 309.75) and s["unit"] == "K"
    s = sample(db, "weight_body_mass", "2025-03-01 06:35:00", "Scale")
    assert approx(s["value"], 165 * 0.45359237) and s["unit_orig"] == "lb"
    s = sample(db, "blood_oxygen_saturation", "2025-03-01 02:00:00")
    assert approx(s["value"], 0.97) and s["unit"] == "1"
    s = sample(db, "walking_running_distance", "2025-03-01 09:00:00")
    assert s["value"] == 1250 and s["unit"] == "m"
    # unknown metric: kept with its unit and every field
    s = sample(db, "mystery_metric", "2025-03-01 09:00:00")
    assert s["known"] is False and s["value"] == 3
    assert s["unit"] == "zorks" and s["extra"] == {"flavour": "odd"}
    s = sample(db, "mystery_metric", "2025-03-01 10:00:00")
    assert s["value"] is None and s["extra"] == {"shape": [1, 2]}

    # the aggregated night
    n = db.query(
        "SELECT total_sleep_s, asleep_s, core_s, deep_s, rem_s, awake_s,"
        " in_bed_s, sleep_start AT TIME ZONE 'UTC',"
        " sleep_end AT TIME ZONE 'UTC', in_bed_start AT TIME ZONE 'UTC',"
        " utc_offset_min, source, ingestion_id FROM health_sleep_nights"
        " WHERE user_id = 'alice' AND day = '2025-03-01'")
    assert len(n) == 1
    n = n[0]
    assert approx(n[0], 7.1 * 3600) and n[1] == 0
    assert approx(n[2], 3.9 * 3600) and approx(n[3], 1.2 * 3600)
    assert n[4] == 7200 and n[5] == 900 and approx(n[6], 7.6 * 3600)
    assert n[7] == t("2025-02-28 22:20:00")
    assert n[8] == t("2025-03-01 05:45:00")
    assert n[9] == t("2025-02-28 22:05:00")
    assert n[10] == 60 and n[11] == "Apple Watch" and n[12] == iid

    # nothing the body held beyond the 3 bad points is missing
    total = db.scalar("SELECT count(*) FROM health_samples"
                      " WHERE user_id = 'alice'")
    assert total == 21
    raw = db.query("SELECT status, error_count, payload_size,"
                   " payload_sha256 FROM raw_ingestions WHERE id = %s",
                   (iid,))[0]
    body = fixture("metrics.json")
    assert raw == ("partial_success", 3, len(body),
                   hashlib.sha256(body).hexdigest())


def test_resent_windows_do_not_duplicate(apid, users, migrated):
    db = migrated
    body = fixture("metrics.json")
    r1 = push(apid, users["alice"], body)
    assert r1.status == 207, r1.text
    before = db.query("SELECT metric, start_at, source, updated_at"
                      " FROM health_samples ORDER BY 1, 2, 3")
    # the identical body: 200, the first id, nothing done
    r2 = push(apid, users["alice"], body)
    assert r2.status == 200, r2.text
    assert r2.json()["ingestion_id"] == r1.json()["ingestion_id"]
    assert r2.json()["duplicate_payload"] is True
    # the same window in another body (HAE's "Default" resend)
    r3 = push(apid, users["alice"], body.replace(b"{", b"{ "), path="/api/v1/sync")
    assert r3.status == 207, r3.text
    j = r3.json()
    assert j["ingestion_id"] != r1.json()["ingestion_id"]
    assert j["metrics"]["heart_rate"] == {"accepted": 0, "duplicate": 2,
                                          "rejected": 0}
    assert j["metrics"]["sleep_analysis"]["duplicate"] == 3
    assert sum(v["accepted"] for v in j["metrics"].values()) == 0
    after = db.query("SELECT metric, start_at, source, updated_at"
                     " FROM health_samples ORDER BY 1, 2, 3")
    assert after == before
    assert db.scalar("SELECT count(*) FROM raw_ingestions") == 2
    # a changed value in an overlapping window is an update, not a row
    changed = body.replace(b'"qty": 48.2', b'"qty": 49.0')
    r4 = push(apid, users["alice"], changed)
    assert r4.json()["metrics"]["heart_rate_variability"]["accepted"] == 1
    assert db.scalar("SELECT value_orig FROM health_samples"
                     " WHERE metric = 'heart_rate_variability'") == 49.0
    assert db.scalar("SELECT count(*) FROM health_samples") == len(before)


def test_metrics_map_by_healthkit_identifier(apid, users, migrated):
    r = push(apid, users["alice"], fixture("metrics_map.json"))
    assert r.status == 200, r.text
    m = r.json()["metrics"]
    assert m["heart_rate"]["accepted"] == 1
    assert m["heart_rate_variability"]["accepted"] == 1
    assert r.json()["unknown_metrics"] == {
        "HKQuantityTypeIdentifierSomethingNew": 1}
    rows = migrated.query(
        "SELECT metric, value, unit, known, end_at AT TIME ZONE 'UTC'"
        " FROM health_samples ORDER BY metric")
    assert rows == [
        ("HKQuantityTypeIdentifierSomethingNew", 2.0, "count", False,
         t("2025-03-04 05:10:00")),
        ("heart_rate", pytest.approx(62 / 60), "1/s", True, None),
        ("heart_rate_variability", pytest.approx(0.0415), "s", True, None),
    ]


def test_workouts_v1_and_v2(apid, users, migrated):
    r = push(apid, users["alice"], fixture("workouts.json"))
    assert r.status == 207, r.text
    j = r.json()
    assert j["workouts"] == {"accepted": 2, "duplicate": 0, "rejected": 1}
    assert j["errors"] == [{"section": "workouts", "index": 2,
                            "reason": "missing or unparseable start"}]
    w = migrated.query(
        "SELECT format, name, start_at AT TIME ZONE 'UTC',"
        " end_at AT TIME ZONE 'UTC', utc_offset_min, duration_s, location,"
        " summary, heart_rate, hr_recovery, series, route, route_points,"
        " metadata FROM health_workouts WHERE workout_key = '6F1C0C2A-0001'")
    assert len(w) == 1
    (fmt, name, st, en, off, dur, loc, summ, hr, hrr, series, route, npts,
     meta) = w[0]
    assert (fmt, name, off, dur, loc) == (2, "Outdoor Run", 60, 2710,
                                          "Outdoor")
    assert st == t("2025-03-01 16:00:00") and en == t("2025-03-01 16:45:10")
    assert approx(summ["activeEnergyBurned"]["value"], 512 * 4184)
    assert summ["activeEnergyBurned"]["unit"] == "J"
    assert summ["distance"] == {"value": 8100.0, "unit": "m",
                                "value_orig": 8.1, "unit_orig": "km"}
    assert summ["elevationUp"]["value"] == 42
    assert len(hr) == 2 and hr[0]["t"] == 1740844800000
    assert approx(hr[0]["avg"], 121 / 60) and hr[0]["unit"] == "1/s"
    assert hr[0]["orig"]["Max"] == 135
    assert len(hrr) == 1
    assert series["stepCount"][0]["value"] == 160
    assert npts == 2 and route[0]["lat"] == 52.52
    assert route[0]["h_acc"] == 3.2 and route[1]["speed"] == 3.2
    assert route[0]["t"] == 1740844805000
    assert meta == {"metadata": {"weather": "sunny"}}
    v1 = migrated.query(
        "SELECT format, summary, route_points, route FROM health_workouts"
        " WHERE name = 'Walking'")[0]
    assert v1[0] == 1
    assert approx(v1[1]["distance"]["value"], 1.5 * 1609.344)
    assert approx(v1[1]["elevationUp"]["value"], 10 * 0.3048)
    assert approx(v1[1]["avgHeartRate"]["value"], 95 / 60)
    assert v1[2] == 1 and v1[3][0]["lon"] == 2.35
    # resent: duplicates
    r = push(apid, users["alice"], fixture("workouts.json") + b"\n")
    assert r.json()["workouts"] == {"accepted": 0, "duplicate": 2,
                                    "rejected": 1}


def test_ecg_events_and_unknown_arrays(apid, users, migrated):
    r = push(apid, users["alice"], fixture("others.json"))
    assert r.status == 200, r.text
    j = r.json()
    for k in ("ecg", "heartRateNotifications", "stateOfMind", "medications",
              "symptoms", "cycleTracking", "futureThing"):
        assert j[k] == {"accepted": 1, "duplicate": 0, "rejected": 0}, k
    e = migrated.query(
        "SELECT start_at AT TIME ZONE 'UTC', source, classification,"
        " severity, average_hr, sampling_hz, n_voltages, voltages_v,"
        " voltage_unit_orig, utc_offset_min FROM health_ecg")[0]
    assert e[:7] == (t("2025-03-01 08:00:00"), "Apple Watch",
                     "Sinus Rhythm", "None", 64, 512, 3)
    assert e[7] == [pytest.approx(120.5e-6), pytest.approx(-30e-6),
                    pytest.approx(0.25e-6)]
    assert e[8] == "µV" and e[9] == 60
    ev = dict((k, (key, d)) for k, key, d in migrated.query(
        "SELECT kind, event_key, data FROM health_events"))
    assert ev["stateOfMind"][0] == "SOM-1"
    assert ev["stateOfMind"][1]["labels"] == ["happy", "calm"]
    assert ev["medications"][0] == "Ibuprofen"
    assert ev["symptoms"][1]["severity"] == "moderate"
    assert ev["heartRateNotifications"][1]["threshold"] == 120
    assert ev["futureThing"][1]["anything"] is True


def test_corrupt_body_is_kept_and_replayable(apid, users, migrated,
                                             polarctl):
    db = migrated
    body = fixture("corrupt.json")
    r = push(apid, users["alice"], body)
    # the one whole point before the cut is stored; the rest is reported
    assert r.status == 207, r.text
    j = r.json()
    assert j["processing_status"] == "partial_success"
    assert "parse_error" in j
    iid = j["ingestion_id"]
    stored = db.query("SELECT string_agg(data, ''::bytea ORDER BY seq)"
                      " FROM raw_ingestion_chunks WHERE ingestion_id = %s",
                      (iid,))[0][0]
    assert bytes(stored) == body
    # nothing at all readable: error, 422, still kept
    r = push(apid, users["alice"], b"\x00\xffnot json")
    assert r.status == 422, r.text
    bad = r.json()["ingestion_id"]
    assert db.scalar("SELECT status FROM raw_ingestions WHERE id = %s",
                     (bad,)) == "error"
    # replay restores what was lost after the push
    db.execute("DELETE FROM health_samples")
    p = polarctl("ingest", "replay", str(iid), check=True)
    assert "replayed: partial_success, 1 samples stored" in p.stdout
    assert db.scalar("SELECT count(*) FROM health_samples") == 1
    assert db.scalar("SELECT replays FROM raw_ingestions WHERE id = %s",
                     (iid,)) == 1
    p = polarctl("ingest", "list", check=True)
    assert str(iid) in p.stdout and "error" in p.stdout
    p = polarctl("-j", "ingest", "show", str(bad), check=True)
    shown = json.loads(p.stdout)
    assert shown["status"] == "error" and shown["payload_size"] == 10
    p = polarctl("ingest", "replay", str(bad))
    assert p.returncode != 0


def test_a_replay_of_a_good_body_changes_nothing(apid, users, migrated,
                                                 polarctl):
    r = push(apid, users["alice"], fixture("workouts.json"))
    iid = r.json()["ingestion_id"]
    before = migrated.query("SELECT * FROM health_workouts ORDER BY 1, 2")
    p = polarctl("-j", "ingest", "replay", str(iid))
    assert json.loads(p.stdout)["workouts"]["duplicate"] == 2
    assert migrated.query("SELECT * FROM health_workouts"
                          " ORDER BY 1, 2") == before


def test_keys_and_limits(migrated, users, tmp_path):
    a = Apid(migrated, tmp_path, extra_conf="api_ingest_body_max_kb = 2048\n"
             "api_ingest_quota_kb_per_hour = 3000\n")
    try:
        body = fixture("metrics_map.json")
        assert push(a, None, body).status == 401
        r = push(a, users["service"], body)
        assert r.status == 403 and "user-scoped" in r.json()["detail"]
        assert push(a, MASTER, body).status == 403
        assert push(a, users["alice"], b"").status == 400
        # other routes keep their 64 KiB limit; ingest takes more
        big = b" " * (100 * 1024)
        r = a.post("/api/v1/users/alice/sync/trigger", users["alice"],
                   data=big)
        assert r.status == 413
        # 1.5 MB: spooled to disk by kore, read back in chunks
        pts = ",".join('{"date": "2025-04-01 %02d:%02d:%02d +0000",'
                       ' "qty": %d}' % (i // 3600, i // 60 % 60, i % 60, i)
                       for i in range(0, 86400, 4))
        doc = ('{"data": {"metrics": [{"name": "step_count", "units":'
               ' "count", "data": [' + pts + ']}]}}').encode()
        doc += b" " * (1536 * 1024 - len(doc))
        r = push(a, users["alice"], doc, timeout=60)
        assert r.status == 200, r.text
        assert r.json()["metrics"]["step_count"]["accepted"] == 21600
        assert migrated.scalar("SELECT chunks FROM raw_ingestions WHERE"
                               " id = %s", (r.json()["ingestion_id"],)) == 2
        # over the 2 MiB body limit: apid's JSON 413
        # (the headers alone: apid answers before reading the body)
        with socket.create_connection(("127.0.0.1", a.port)) as s:
            s.sendall(b"POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n"
                      b"Authorization: Bearer " + users["alice"].encode() +
                      b"\r\nContent-Length: %d\r\n\r\n" % (2048 * 1024 + 1))
            answer = harness.recv_all(s)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        assert b'"status_code":413' in answer
        # 3000 KiB an hour: this one passes the quota
        r = push(a, users["alice"], doc.replace(b"step_count", b"stepz"),
                 timeout=60)
        assert r.status == 429, r.text
        assert 0 < int(r.headers["retry-after"]) <= 3600
        assert r.json()["status_code"] == 429
    finally:
        print(a.proc.logtext()[-4000:])
        a.stop()


def test_health_reads(apid, users, migrated):
    push(apid, users["alice"], fixture("metrics.json"))
    push(apid, users["alice"], fixture("workouts.json"))
    k = users["alice"]
    r = apid.get("/api/v1/users/alice/health/metrics", k)
    assert r.status == 200, r.text
    names = {m["name"]: m for m in r.json()}
    assert names["heart_rate"]["count"] == 2
    assert names["mystery_metric"]["known"] is False
    r = apid.get("/api/v1/users/alice/health/metrics?name=heart_rate"
                 "&from=2025-03-01&to=2025-03-01", k)
    j = r.json()
    assert len(j["samples"]) == 2
    assert j["samples"][0]["start"].startswith("2025-03-01T06:00:00")
    assert j["samples"][0]["utc_offset_min"] == 60
    assert j["samples"][0]["max"] == pytest.approx(61 / 60)
    r = apid.get("/api/v1/users/alice/health/metrics?name=step_count"
                 "&from=2025-03-01&to=2025-03-01&agg=day", k)
    days = r.json()["days"]
    # local days: 8:15 PM -0500 is still March 1st where it was written
    assert days == [{"date": "2025-03-01", "count": 3, "sum": 1517,
                     "avg": pytest.approx(1517 / 3), "min": 17, "max": 1200,
                     "unit": "count"}]
    r = apid.get("/api/v1/users/alice/health/workouts?from=2025-02-01"
                 "&to=2025-03-31", k)
    assert r.status == 200, r.text
    assert [w["name"] for w in r.json()["workouts"]] == ["Walking",
                                                          "Outdoor Run"]
    assert apid.get("/api/v1/users/alice/health/metrics?agg=week",
                    k).status == 400
    assert apid.get("/api/v1/users/alice/health/metrics?from=2025-13-01",
                    k).status == 400
    assert apid.get("/api/v1/users/bob/health/metrics", k).status == 401
