"""apid's kore workers stay up: large documents read again and again do
not trip the sandbox, and a worker that dies is replaced."""
import json
import os
import signal

import harness
from fx_apid import apid, users  # noqa: F401
from fx_syncd import polarsim, polarsim_factory, syncd_factory  # noqa: F401

U = "/api/v1/users"
EX = "11111111-2222-3333-4444-555555555555"
ECG = "21111111-2222-3333-4444-555555555555"


def workers(apid):
    """The pids of kore's workers (the children of kore's parent)."""
    with open(f"/proc/{apid.proc.proc.pid}/task/{apid.proc.proc.pid}"
              "/children") as f:
        return sorted(int(p) for p in f.read().split())


def big_documents(db):
    # ~250 KB of samples, ~150 KB of route, ~200 KB of ECG waveform: libpq
    # grows its input buffer with realloc(), which glibc does with mremap.
    samples = [{"sample_type": 0, "recording_rate": 1,
                "samples": ",".join(str(100 + i % 80)
                                    for i in range(60000))}]
    route = [{"latitude": 60.0 + i / 1e5, "longitude": 24.0 + i / 1e5,
              "time": f"PT{i}S", "altitude": 10.5} for i in range(2500)]
    wave = [{"time_ms": i * 7, "amplitude_mv": round((i % 100) / 1000, 3)}
            for i in range(7000)]
    db.execute(
        "INSERT INTO exercise (user_id, polar_exercise_id, id, start_time,"
        " duration_seconds, sport, samples, route) VALUES ('alice', 'p1',"
        f" '{EX}', now() - interval '1 day', 3600, 'RUNNING', %s, %s)",
        (json.dumps(samples), json.dumps(route)))
    db.execute(
        "INSERT INTO ecg (user_id, test_time, id, avg_heart_rate,"
        f" sample_count, samples) VALUES ('alice', now(), '{ECG}', 61,"
        " 7000, %s)", (json.dumps(wave),))


def test_large_documents_do_not_kill_workers(apid, users, migrated):
    big_documents(migrated)
    k = users["alice"]
    before = workers(apid)
    paths = [f"{U}/alice/exercises/{EX}/samples",
             f"{U}/alice/exercises/{EX}/route",
             f"{U}/alice/ecg/{ECG}", f"{U}/alice/exercises?days=30"]
    sizes = {}
    for i in range(25):
        for p in paths:
            # a fresh response each time for some: the cache would
            # otherwise answer all but the first read of each worker
            q = p + ("&" if "?" in p else "?") + f"n={i}" if i % 2 else p
            r = apid.get(q, k, timeout=30)
            assert r.status in (200, 422), (q, r.status, r.body[:200])
            if r.status == 200:
                sizes.setdefault(p, len(r.body))
                assert len(r.body) == sizes[p], p
    assert sizes[paths[0]] > 200_000 and sizes[paths[2]] > 100_000, sizes
    assert workers(apid) == before, apid.proc.logtext()[-2000:]
    assert "lost its main thread" not in apid.proc.logtext()
    assert apid.get("/health").status == 200


def test_a_killed_worker_is_replaced(apid, users):
    before = workers(apid)
    assert len(before) == 2
    os.kill(before[0], signal.SIGKILL)
    harness.wait_until(lambda: len(workers(apid)) == 2 and
                       workers(apid) != before, timeout=30,
                       what="kore to start a new worker")
    # every worker answers again: many requests spread over both
    for _ in range(20):
        assert apid.get("/health").status == 200
    assert apid.get(f"{U}/alice/sleep", users["alice"]).status == 200


def test_sighup_leaves_the_workers_serving(apid, users):
    # kore's own SIGHUP reloads apid.so under the running workers, which
    # then crash in a loop; apid offers no reload and says so.
    before = workers(apid)
    os.kill(apid.proc.proc.pid, signal.SIGHUP)
    harness.wait_until(lambda: "SIGHUP ignored" in apid.proc.logtext(),
                       timeout=30, what="apid to log the SIGHUP")
    for _ in range(20):
        assert apid.get("/health").status == 200
        assert apid.get(f"{U}/alice/sleep", users["alice"]).status == 200
    assert workers(apid) == before, apid.proc.logtext()[-2000:]
    assert "exited" not in apid.proc.logtext()


def test_a_sync_trigger_may_wait_longer_than_kores_header_timeout(
        apid, migrated, polarctl, syncd_factory, polarsim):
    # kore's header timeout (10 s) kept running for a POST with an empty
    # body and answered an empty 408 while the sync went on.
    from fx_apid import make_key
    sd = syncd_factory(extra={"rundir": apid.rundir})
    uid = sd.authorize(0)
    key = make_key(migrated, polarctl, uid)
    # every exercise detail 4 s late (syncd's HTTP timeout here is 5 s):
    # the sync takes well over 10 s
    polarsim.fault("slow:/v3/exercises/*:4000")
    r = apid.post(f"{U}/{uid}/sync/trigger", key, timeout=300)
    assert r.status == 200, (r.status, r.body[:200])
    doc = r.json()
    assert doc["user_id"] == uid and doc["status"] in ("success", "partial")
    assert doc["duration_ms"] > 10000, doc
