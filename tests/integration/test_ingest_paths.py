"""The two ways a batch of samples is stored (common/ingest.c): new data
copied straight into health_samples, data overlapping stored samples
staged and upserted.  Both must count and store the same: every sample
once, the last of repeated keys, a resent sample a duplicate; and two
pushes of one user at once must not race between the range check and
the copy."""
import json
import threading

from fx_apid import apid, users  # noqa: F401


def hr(day, hours, bpm=60, extra=None):
    pts = [{"date": f"2025-06-{day:02d} {h:02d}:00:00 +0000", "qty": bpm + h,
            "source": "Apple Watch"} for h in hours]
    ms = [{"name": "heart_rate", "units": "count/min", "data": pts}]
    if extra:
        ms.append(extra)
    return json.dumps({"data": {"metrics": ms}}).encode()


def push(a, key, body):
    r = a.post("/api/v1/ingest", key, bearer=True, data=body,
               headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status == 200, r.text
    return r.json()


def rows(db, day=None):
    q = ("SELECT count(*) FROM health_samples WHERE user_id = 'alice'"
         " AND metric = 'heart_rate'")
    if day is not None:
        q += f" AND start_at::date = '2025-06-{day:02d}'"
    return db.scalar(q)


def test_new_overlapping_and_repeated(apid, users, migrated):  # noqa: F811
    db, key = migrated, users["alice"]
    # new: copied straight in
    j = push(apid, key, hr(1, range(24)))
    assert j["metrics"]["heart_rate"] == {"accepted": 24, "duplicate": 0,
                                          "rejected": 0}
    # overlapping: 12 already stored (6 of them changed), 12 new
    body = json.loads(hr(1, range(12, 24)))
    for p in body["data"]["metrics"][0]["data"][:6]:
        p["qty"] += 1
    body["data"]["metrics"][0]["data"] += json.loads(
        hr(2, range(12)))["data"]["metrics"][0]["data"]
    j = push(apid, key, json.dumps(body).encode())
    assert j["metrics"]["heart_rate"] == {"accepted": 18, "duplicate": 6,
                                          "rejected": 0}
    assert rows(db, 1) == 24 and rows(db, 2) == 12
    v = db.scalar("SELECT value_orig FROM health_samples WHERE user_id ="
                  " 'alice' AND metric = 'heart_rate' AND start_at ="
                  " '2025-06-01 12:00:00+00'")
    assert v == 73
    # a new window with a repeated key: the last one is kept
    body = json.loads(hr(3, [5, 6]))
    body["data"]["metrics"][0]["data"].append(
        {"date": "2025-06-03 05:00:00 +0000", "qty": 99,
         "source": "Apple Watch"})
    j = push(apid, key, json.dumps(body).encode())
    assert rows(db, 3) == 2
    v = db.scalar("SELECT value_orig FROM health_samples WHERE user_id ="
                  " 'alice' AND start_at = '2025-06-03 05:00:00+00'")
    assert v == 99


def test_concurrent_pushes_of_one_window(apid, users, migrated):  # noqa: F811
    db, key = migrated, users["alice"]
    # two different bodies (a different extra metric) with the same
    # 2,000 new heart rate samples, sent at once
    hours = range(24)
    bodies = []
    for i in range(2):
        b = json.loads(hr(10, hours))
        for d in range(11, 11 + 80):
            b["data"]["metrics"][0]["data"] += [
                {"date": f"2025-{6 + d // 30:02d}-{d % 30 + 1:02d} "
                 f"{h:02d}:00:00 +0000", "qty": 60 + h,
                 "source": "Apple Watch"} for h in range(24)]
        b["data"]["metrics"].append(
            {"name": "step_count", "units": "count", "data": [
                {"date": "2025-06-10 10:00:00 +0000", "qty": 100 + i,
                 "source": "iPhone"}]})
        bodies.append(json.dumps(b).encode())
    out = [None, None]

    def go(i):
        out[i] = push(apid, key, bodies[i])
    th = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    n = 24 * 81
    got = [o["metrics"]["heart_rate"] for o in out]
    assert sorted(g["accepted"] for g in got) == [0, n], got
    assert sorted(g["duplicate"] for g in got) == [0, n], got
    assert rows(db) == n
