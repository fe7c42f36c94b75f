"""polarflow-syncd never loses what Polar sent: single-use codes, poorer
versions, misdated days, salvaged records, offsets, interrupted syncs.
polarsim serves each variant (its PATCHES rewrite the answers)."""
import json
import re

from fx_syncd import *  # noqa: F401,F403
from fx_syncd import wait_for


def path_calls(sim, path):
    return sum(n for p, n in sim.stats()["by_path"].items()
               if p.split(" ", 1)[-1] == path)


def row(db, table, where, params):
    r = db.query(f"SELECT to_jsonb(t) FROM {table} t WHERE {where}", params)
    return r[0][0] if r else None


# ------------------------------------------------------------ item 3 --

def test_token_exchange_is_never_retried(syncd, polarsim, migrated):
    # a 5xx may come after Polar spent the code; a second try with the
    # same code would revoke the user's grant
    polarsim.reset_stats()
    polarsim.fault("503:/v2/oauth2/token::1")
    r = syncd.call({"type": "oauth.exchange", "code": polarsim.code(0),
                    "redirect_uri": "http://localhost/cb"})
    assert r["ok"] is False and "HTTP 503" in r["error"], r
    assert path_calls(polarsim, "/v2/oauth2/token") == 1
    assert migrated.scalar("SELECT count(*) FROM users") == 0
    assert re.search(r"warning: oauth\.exchange: Polar token exchange "
                     r"failed: HTTP 503", syncd.log()), syncd.log()
    # a refused code is logged at warning level with Polar's reason too
    r = syncd.call({"type": "oauth.exchange", "code": "deadbeef" * 4})
    assert r["ok"] is False
    assert re.search(r"warning: oauth\.exchange: .*HTTP 400: "
                     r"invalid_grant", syncd.log())
    # the user authorises again with a fresh code
    assert syncd.authorize(0)


# ------------------------------------------------------------ item 1 --

def two_nights(db, uid):
    return [d for (d,) in db.query(
        "SELECT date::text FROM sleep WHERE user_id = %s AND "
        "pf_series_len(hypnogram) > 0 AND "
        "pf_series_len(heart_rate_samples) > 0 AND "
        "sleep_score IS NOT NULL ORDER BY date DESC LIMIT 2", (uid,))]


def test_poorer_versions_never_replace_richer_rows(syncd, polarsim,
                                                   migrated):
    uid = syncd.authorize(0)
    assert syncd.sync(uid)["status"] == "success"
    empty_hr, bare = two_nights(migrated, uid)
    chr_day = migrated.scalar(
        "SELECT date::text FROM continuous_heart_rate WHERE user_id = %s "
        "AND sample_count > 0 ORDER BY date DESC LIMIT 1", (uid,))
    before = {d: row(migrated, "sleep", "user_id = %s AND date = %s",
                     (uid, d)) for d in (empty_hr, bare)}
    chr_before = row(migrated, "continuous_heart_rate",
                     "user_id = %s AND date = %s", (uid, chr_day))
    # a night whose heart-rate samples and hypnogram come back empty, a
    # night with only its date, a day of continuous HR without samples
    polarsim.patch("/v3/users/sleep", where={"date": empty_hr},
                   set={"heart_rate_samples": {}, "hypnogram": {}})
    polarsim.patch("/v3/users/sleep", where={"date": bare},
                   delete=[k for k in before[bare]["raw"]
                           if k != "date"] + ["hypnogram",
                                              "heart_rate_samples"])
    polarsim.patch(f"/v3/users/continuous-heart-rate/{chr_day}",
                   set={"heart_rate_samples": []})
    r = syncd.sync(uid, days=28)
    assert r["status"] == "partial", r
    assert r["degraded"] == {"sleep": 2, "continuous_heart_rate": 1}, r
    assert r["errors"] == {}, r
    for d in (empty_hr, bare):
        now = row(migrated, "sleep", "user_id = %s AND date = %s", (uid, d))
        for k, v in before[d].items():
            if k not in ("raw", "updated_at"):
                assert now[k] == v, (d, k, now[k], v)
    now = row(migrated, "continuous_heart_rate", "user_id = %s AND date = %s",
              (uid, chr_day))
    for k in ("samples", "sample_count", "hr_min", "hr_max", "hr_avg"):
        assert now[k] == chr_before[k], k
    log = migrated.query("SELECT status, error_type, records_degraded "
                         "FROM sync_logs WHERE user_id = %s ORDER BY id "
                         "DESC LIMIT 1", (uid,))[0]
    assert log[0] == "partial" and log[1] == "incomplete_data"
    assert log[2] == {"sleep": 2, "continuous_heart_rate": 1}
    # the version a row had before any change (here: the bare night's
    # raw) is kept whole; the night whose series were kept did not change
    kept = [v for (v,) in migrated.query(
        "SELECT version FROM replaced_rows WHERE user_id = %s AND "
        "stream = 'sleep'", (uid,))]
    assert [v["date"] for v in kept] == [bare]
    assert kept[0]["raw"] == before[bare]["raw"]
    assert kept[0]["sleep_score"] == before[bare]["sleep_score"]
    assert "came back poorer than stored" in syncd.log()


def test_genuine_corrections_still_apply(syncd, polarsim, migrated):
    uid = syncd.authorize(0)
    assert syncd.sync(uid)["status"] == "success"
    night, _ = two_nights(migrated, uid)
    old = row(migrated, "sleep", "user_id = %s AND date = %s", (uid, night))
    score = 1 if old["sleep_score"] != 1 else 2
    hyp = dict(old["hypnogram"])                 # [time, value] pairs
    k0 = sorted(hyp)[0]
    hyp[k0] = 5 if hyp[k0] != 5 else 4           # same length, other stage
    hr = dict(old["heart_rate_samples"])
    hr["11:11"] = 77                             # one sample more
    polarsim.patch("/v3/users/sleep", where={"date": night},
                   set={"sleep_score": score, "hypnogram": hyp,
                        "heart_rate_samples": hr})
    r = syncd.sync(uid, days=28)
    assert r["status"] == "success", r
    assert r["degraded"] == {} and r["changed"]["sleep"] == 1, r
    new = row(migrated, "sleep", "user_id = %s AND date = %s", (uid, night))
    assert new["sleep_score"] == score
    assert new["hypnogram"] == [list(p) for p in hyp.items()]
    assert dict(new["heart_rate_samples"])["11:11"] == 77
    hist = migrated.query("SELECT version FROM replaced_rows WHERE "
                          "user_id = %s", (uid,))
    assert len(hist) == 1
    assert hist[0][0]["sleep_score"] == old["sleep_score"]
    assert hist[0][0]["hypnogram"] == old["hypnogram"]
    # the same answer again changes nothing and keeps no new version
    r = syncd.sync(uid, days=28)
    assert r["status"] == "success" and r["changed"]["sleep"] == 0, r
    assert migrated.scalar("SELECT count(*) FROM replaced_rows") == 1


# ------------------------------------------------------------ item 2 --

def test_zoned_activity_start_is_the_written_day(syncd_factory,
                                                 polarsim_factory, migrated):
    sim = polarsim_factory("--users", "1", "--days", "40", "--seed", "7",
                           "--quirk", "activity_start=zoned")
    sd = syncd_factory(sim=sim)
    uid = sd.authorize(0)        # user 0 lives at UTC+2
    assert sd.sync(uid)["status"] == "success"
    rows = migrated.query("SELECT date::text, raw->>'start_time', steps, "
                          "offset_minutes FROM activity WHERE user_id = %s",
                          (uid,))
    assert rows and all(r[1].endswith("T00:00:00+02:00") for r in rows)
    for d, start, _, off in rows:
        assert start[:10] == d, (d, start)
        assert off == 120
    # the next sync finds the same days and adds none
    n = len(rows)
    assert sd.sync(uid, days=28)["status"] == "success"
    assert migrated.scalar("SELECT count(*) FROM activity WHERE "
                           "user_id = %s", (uid,)) == n
    assert migrated.scalar("SELECT count(*) FROM activity a JOIN "
                           "activity_samples s USING (user_id, date) "
                           "WHERE a.user_id = %s", (uid,)) == n


def test_migration_repairs_misdated_activity(db, polarctl):
    polarctl("db", "migrate", check=True)
    # back to the schema before 0006, with the rows earlier syncs wrote
    db.execute("DROP TABLE replaced_rows; DROP FUNCTION pf_series_len; "
               "ALTER TABLE sync_logs DROP COLUMN records_skipped, "
               "DROP COLUMN records_degraded, DROP COLUMN dropped; "
               "DELETE FROM schema_migrations WHERE version = 6")
    ins = ("INSERT INTO activity (user_id, date, steps, raw) VALUES "
           "(%s, %s, %s, %s::jsonb)")
    z = lambda d: json.dumps({"start_time": d + "T00:00:00+02:00"})
    # a misdated day next to its right twin (steps counted twice) ...
    db.execute(ins, ("u1", "2026-03-01", 9000, z("2026-03-02")))
    db.execute(ins, ("u1", "2026-03-02", 9100, z("2026-03-02")))
    # ... a misdated day alone, a right one, and zone-less and bare dates
    db.execute(ins, ("u1", "2026-03-04", 7000, z("2026-03-05")))
    db.execute(ins, ("u1", "2026-03-06", 6000, z("2026-03-06")))
    db.execute(ins, ("u1", "2026-03-07", 5000,
                     json.dumps({"start_time": "2026-03-07T00:00:00"})))
    db.execute(ins, ("u1", "2026-03-08", 4000,
                     json.dumps({"start_time": "2026-03-08"})))
    db.execute(ins, ("u2", "2026-03-01", 3000, z("2026-03-02")))
    polarctl("db", "migrate", check=True)
    got = db.query("SELECT user_id, date::text, steps FROM activity "
                   "ORDER BY 1, 2")
    assert got == [("u1", "2026-03-02", 9100), ("u1", "2026-03-05", 7000),
                   ("u1", "2026-03-06", 6000), ("u1", "2026-03-07", 5000),
                   ("u1", "2026-03-08", 4000), ("u2", "2026-03-02", 3000)]
    # the duplicate that went is kept whole
    kept = db.query("SELECT user_id, stream, version FROM replaced_rows")
    assert len(kept) == 1 and kept[0][:2] == ("u1", "activity")
    assert kept[0][2]["date"] == "2026-03-01"
    assert kept[0][2]["steps"] == 9000


# ------------------------------------------------------------ item 4 --

def test_one_bad_field_never_drops_the_record(syncd, polarsim, migrated,
                                              polarctl):
    uid = syncd.authorize(0)
    # a clean first sync picks the records to spoil; then they go again
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    nights = [d for (d,) in migrated.query(
        "SELECT date::text FROM sleep WHERE user_id = %s AND "
        "pf_series_len(hypnogram) > 0 ORDER BY date DESC LIMIT 2", (uid,))]
    ex = migrated.scalar("SELECT polar_exercise_id FROM exercise WHERE "
                         "user_id = %s LIMIT 1", (uid,))
    skin = migrated.query("SELECT sleep_date::text FROM skin_temperature "
                          "WHERE user_id = %s ORDER BY 1", (uid,))
    migrated.execute("DELETE FROM sleep; DELETE FROM exercise; "
                     "DELETE FROM skin_temperature; DELETE FROM sync_logs")
    polarsim.patch("/v3/users/sleep", where={"date": nights[0]},
                   set={"hypnogram": {"00:10": 2, "00:40": 3,
                                      "bogus": 1}})
    polarsim.patch("/v3/users/sleep", where={"date": nights[1]},
                   set={"device_id": "D" * 101})
    polarsim.patch(f"/v3/exercises/{ex}",
                   set={"detailed_sport_info": "RUN\u0000NING"})
    # one invalid UTF-8 byte in one record of a list
    body = json.dumps([
        {"sleep_date": d, "sleep_time_skin_temperature_celsius": 33.5,
         "deviation_from_baseline_celsius": 0.1, "note": "@@"}
        for (d,) in skin]).encode().replace(b"@@", b"caf\xe9", 1)
    polarsim.patch("/v3/users/biosensing/skintemperature",
                   body_hex=body.hex())
    r = syncd.sync(uid)
    assert r["status"] == "partial" and r["errors"] == {}, r
    n0 = row(migrated, "sleep", "user_id = %s AND date = %s",
             (uid, nights[0]))
    assert n0["hypnogram"] == [["00:10", 2], ["00:40", 3]]
    n1 = row(migrated, "sleep", "user_id = %s AND date = %s",
             (uid, nights[1]))
    assert n1 is not None and n1["device_id"] is None
    assert n1["sleep_score"] is not None
    e = row(migrated, "exercise", "user_id = %s AND polar_exercise_id = %s",
            (uid, ex))
    assert e is not None and e["detailed_sport_info"] is None
    assert e["sport"] is not None
    assert migrated.scalar("SELECT count(*) FROM skin_temperature WHERE "
                           "user_id = %s", (uid,)) == len(skin) > 0
    assert migrated.scalar("SELECT count(*) FROM skin_temperature WHERE "
                           "raw->>'note' = 'caf\ufffd'") == 1
    # what was dropped, and why, is in the reply and the sync log
    got = {(d["stream"], d.get("date"), d["field"]): d["reason"]
           for d in r["dropped"]}
    assert got[("sleep", nights[0], "hypnogram")] == "1 bad entry dropped"
    assert got[("sleep", nights[1], "device_id")] == "out of range"
    assert any(k[0] == "exercise" and k[2] == "detailed_sport_info" and
               v == "contains U+0000" for k, v in got.items())
    assert any(k[0] == "skin_temperature" and "UTF-8" in v
               for k, v in got.items())
    logged = migrated.scalar("SELECT dropped FROM sync_logs WHERE "
                             "user_id = %s", (uid,))
    assert logged == r["dropped"]
    # and polarctl shows it
    p = polarctl("sync", "now", uid, env={"POLARFLOW_RUNDIR": syncd.rundir})
    assert p.returncode == 0, p.stderr
    assert "dropped:" in p.stdout and "bad entry dropped" in p.stdout


# ------------------------------------------------------------ item 8 --

def test_404_is_no_data_only_where_polar_says_so(syncd, polarsim, migrated):
    uid = syncd.authorize(0)
    assert syncd.sync(uid)["status"] == "success"
    before = {t: migrated.scalar(f"SELECT count(*) FROM {t} WHERE "
                                 "user_id = %s", (uid,))
              for t in ("sleep", "spo2", "continuous_heart_rate")}
    assert all(before.values()), before
    # list endpoints do not document 404: an error, rows and cursor kept
    polarsim.patch("/v3/users/sleep", status=404)
    polarsim.patch("/v3/users/biosensing/spo2", status=404)
    # one day of continuous HR does: "no data" for that day
    day = migrated.scalar("SELECT max(date)::text FROM continuous_heart_rate "
                          "WHERE user_id = %s", (uid,))
    polarsim.patch(f"/v3/users/continuous-heart-rate/{day}", status=404)
    r = syncd.sync(uid, days=3)
    assert r["status"] == "partial", r
    assert set(r["errors"]) == {"sleep", "spo2"}, r
    assert "404" in r["errors"]["sleep"]
    for t, n in before.items():
        assert migrated.scalar(f"SELECT count(*) FROM {t} WHERE "
                               "user_id = %s", (uid,)) == n, t
    assert "404" in migrated.scalar(
        "SELECT last_error FROM sync_cursors WHERE user_id = %s AND "
        "stream = 'sleep'", (uid,))


# ------------------------------------------------------------ item 7 --

SCHED = {"sync_enabled": "true", "sync_on_startup": "false",
         "sync_interval_minutes": "240"}


def last_log(db, uid):
    r = db.query("SELECT id, status, trigger, error_type, error_message "
                 "FROM sync_logs WHERE user_id = %s ORDER BY id DESC "
                 "LIMIT 1", (uid,))
    return r[0] if r else None


def slow_manual_sync(syncd_factory, polarsim, migrated, ms):
    """A scheduled syncd whose user had its first sync, running a slow
    manual one: (syncd, user id, that sync's log id)."""
    sd = syncd_factory(extra=SCHED)
    uid = sd.authorize(0)
    wait_for(lambda: (last_log(migrated, uid) or [0, ""])[1] == "success",
             120, "first scheduled sync")
    polarsim.fault(f"slow:/v3/exercises/*:{ms}")
    assert sd.call({"type": "sync.trigger", "user_id": uid, "days": 28})["ok"]
    wait_for(lambda: last_log(migrated, uid)[1] == "started", 30, "started")
    return sd, uid, last_log(migrated, uid)[0]


def test_sync_cut_by_a_crash_resumes_at_restart(syncd_factory, polarsim,
                                                migrated):
    # a manual sync cut by kill -9: routine syncs are 4 hours apart
    sd, uid, cut = slow_manual_sync(syncd_factory, polarsim, migrated, 700)
    sd.kill9()
    polarsim.clear_faults()
    sd.start()
    assert migrated.scalar("SELECT status || ':' || error_type FROM "
                           "sync_logs WHERE id = %s", (cut,)) == \
        "failed:interrupted"
    # the scheduler takes the user up again at once
    wait_for(lambda: last_log(migrated, uid)[0] > cut and
             last_log(migrated, uid)[1] == "success", 120, "resumed sync")
    assert last_log(migrated, uid)[2] == "scheduler"


def set_connections(db, allow):
    import psycopg
    with psycopg.connect(db.admin_url, autocommit=True) as c:
        c.execute(f'ALTER DATABASE "{db.name}" ALLOW_CONNECTIONS '
                  f'{"true" if allow else "false"}')
        if not allow:
            c.execute("SELECT pg_terminate_backend(pid) FROM "
                      "pg_stat_activity WHERE datname = %s AND "
                      "application_name = 'polarflow-syncd'", (db.name,))


def test_database_outage_closes_the_log_and_resumes(syncd_factory, polarsim,
                                                    migrated):
    sd, uid, cut = slow_manual_sync(syncd_factory, polarsim, migrated, 500)
    set_connections(migrated, False)
    try:
        # the sync ends while the database is away
        wait_for(lambda: sd.status()["in_flight"] == [], 60, "sync end")
        polarsim.clear_faults()
    finally:
        set_connections(migrated, True)
    # its log row is closed truthfully, and the user synced again soon
    wait_for(lambda: migrated.scalar("SELECT status FROM sync_logs WHERE "
                                     "id = %s", (cut,)) != "started",
             60, "log row closed")
    row = migrated.query("SELECT status, error_message FROM sync_logs "
                         "WHERE id = %s", (cut,))[0]
    assert row[0] in ("failed", "partial"), row
    assert "database was unavailable" in row[1]
    wait_for(lambda: last_log(migrated, uid)[0] > cut and
             last_log(migrated, uid)[1] == "success", 120, "resumed sync")
    assert sd.daemon.running()


# ------------------------------------------------------------ item 5 --

def test_local_time_without_offset_takes_the_days_offset(syncd, polarsim,
                                                         migrated):
    uid = syncd.authorize(0)                     # lives at UTC+2
    assert syncd.sync(uid)["status"] == "success"
    night, other = two_nights(migrated, uid)
    old = {d: row(migrated, "sleep", "user_id = %s AND date = %s", (uid, d))
           for d in (night, other)}
    raw = old[night]["raw"]
    assert raw["sleep_start_time"].endswith("+02:00")
    # the night comes back with local times and no offset
    polarsim.patch("/v3/users/sleep", where={"date": night},
                   set={"sleep_start_time": raw["sleep_start_time"][:-6],
                        "sleep_end_time": raw["sleep_end_time"][:-6]})
    r = syncd.sync(uid, days=28)
    assert r["status"] == "success", r
    new = row(migrated, "sleep", "user_id = %s AND date = %s", (uid, night))
    for k in ("sleep_start_time", "sleep_end_time",
              "sleep_start_offset_minutes", "sleep_end_offset_minutes"):
        assert new[k] == old[night][k], (k, new[k], old[night][k])
    assert new["sleep_start_offset_minutes"] == 120


def test_local_time_without_any_known_offset_is_utc_and_noted(
        syncd, polarsim, migrated):
    # nothing else tells the user's offset: no stored rows, no SleepWise,
    # biosensing or exercises, activity without offsets
    for glob in ("/v3/users/sleepwise/*", "/v3/users/biosensing/*"):
        polarsim.patch(glob, status=204)
    polarsim.patch("/v3/exercises", body="[]")
    uid = syncd.authorize(0)
    polarsim.patch("/v3/users/sleep",
                   set={"sleep_start_time": "2026-01-01T23:30:00"})
    r = syncd.sync(uid)
    assert r["status"] == "partial", r
    notes = [d for d in r["dropped"] if d["stream"] == "sleep"]
    assert notes and all(d["field"] == "sleep_start_time" and
                         "taken as UTC" in d["reason"] for d in notes)
    assert migrated.scalar("SELECT count(*) FROM sleep WHERE user_id = %s "
                           "AND sleep_start_offset_minutes = 0 AND "
                           "sleep_start_time = '2026-01-01T23:30:00Z'",
                           (uid,)) == len(notes)


# ----------------------------------------------------------- item 5b --

def clock_object(db, table, col, uid, day):
    """The series as the REST API shows it: its JSON text, keys in order."""
    text = db.scalar(f"SELECT pf_clock_object({col})::text FROM {table} "
                     "WHERE user_id = %s AND date = %s", (uid, day))
    return list(json.loads(text).items())


def test_series_keep_their_time_order_across_midnight(syncd, polarsim,
                                                      migrated):
    uid = syncd.authorize(0)
    # Polar sends a night in time order: evening first, then past midnight
    hyp = {"23:40": 2, "23:52": 3, "00:05": 4, "01:30": 1, "06:55": 0}
    hr = {"23:45": 63, "23:55": 58, "00:00": 57, "00:05": 0, "06:50": 60}
    hrv = {"23:43": 41, "00:13": 44, "05:43": 39}
    br = {"23:42": 13.9, "00:12": 14.2, "05:42": 13.5}
    polarsim.patch("/v3/users/sleep",
                   set={"hypnogram": hyp, "heart_rate_samples": hr})
    polarsim.patch("/v3/users/nightly-recharge",
                   set={"hrv_samples": hrv, "breathing_samples": br})
    r = syncd.sync(uid)
    assert r["status"] == "success", r
    night, _ = two_nights(migrated, uid)
    s = row(migrated, "sleep", "user_id = %s AND date = %s", (uid, night))
    n = row(migrated, "nightly_recharge", "user_id = %s AND date = %s",
            (uid, night))
    pairs = lambda m: [list(p) for p in m.items()]
    assert s["hypnogram"] == pairs(hyp)
    assert s["heart_rate_samples"] == pairs(hr)
    assert n["hrv_samples"] == pairs(hrv)
    assert n["breathing_samples"] == pairs(br)
    # the API's time -> value objects come out in the same order
    assert clock_object(migrated, "sleep", "hypnogram", uid,
                        night) == list(hyp.items())
    assert clock_object(migrated, "sleep", "heart_rate_samples", uid,
                        night) == list(hr.items())
    assert s["heart_rate_min"] == 57 and s["heart_rate_max"] == 63


def test_migration_puts_stored_series_in_time_order(db, polarctl):
    polarctl("db", "migrate", check=True)
    # back to the schema before 0009, with series stored as objects
    db.execute("DROP FUNCTION pf_clock_pairs; DROP FUNCTION pf_clock_object; "
               "DROP FUNCTION pf_local_clock; "
               "DELETE FROM schema_migrations WHERE version = 9")
    hyp = {"22:10": 2, "23:50": 3, "00:20": 4, "05:00": 1}
    db.execute("INSERT INTO sleep (user_id, date, sleep_start_time, "
               "sleep_start_offset_minutes, hypnogram, heart_rate_samples) "
               "VALUES ('u1', '2026-03-02', '2026-03-01T20:10:00Z', 120, "
               "%s::jsonb, %s::jsonb), ('u1', '2026-03-03', NULL, NULL, "
               "%s::jsonb, NULL)",
               (json.dumps(hyp), json.dumps({"23:00": 60, "01:00": 55}),
                json.dumps({"13:00": 1, "23:00": 2, "02:00": 3})))
    db.execute("INSERT INTO nightly_recharge (user_id, date, hrv_samples, "
               "breathing_samples) VALUES ('u1', '2026-03-02', %s::jsonb, "
               "'[]'), ('u1', '2026-03-04', %s::jsonb, NULL)",
               (json.dumps({"00:10": 40, "22:15": 42}),
                json.dumps({"11:00": 40, "12:30": 41})))
    polarctl("db", "migrate", check=True)
    got = dict(db.query("SELECT date::text, hypnogram FROM sleep "
                        "ORDER BY date"))
    # the night starts at 22:10 local (20:10 UTC at +02:00)
    assert got["2026-03-02"] == [[k, v] for k, v in hyp.items()]
    # without a start, noon divides the evening from the morning
    assert got["2026-03-03"] == [["13:00", 1], ["23:00", 2], ["02:00", 3]]
    assert db.scalar("SELECT heart_rate_samples FROM sleep WHERE date = "
                     "'2026-03-02'") == [["23:00", 60], ["01:00", 55]]
    rch = dict(db.query("SELECT date::text, hrv_samples FROM "
                        "nightly_recharge ORDER BY date"))
    assert rch["2026-03-02"] == [["22:15", 42], ["00:10", 40]]
    assert rch["2026-03-04"] == [["12:30", 41], ["11:00", 40]]
