"""polarflow-syncd against polarsim and a real PostgreSQL."""
import harness
from fx_syncd import *  # noqa: F401,F403
from fx_syncd import wait_for

STREAMS = ["sleep", "nightly_recharge", "activity", "activity_samples",
           "exercise", "cardio_load", "sleepwise_alertness",
           "sleepwise_bedtime", "continuous_heart_rate", "spo2", "ecg",
           "body_temperature", "skin_temperature", "physical_info"]


def test_full_sync_lands_every_stream(syncd, migrated):
    uid = syncd.authorize(0)
    r = syncd.sync(uid)
    assert r["ok"] and r["status"] == "success", r
    for s in STREAMS:
        n = migrated.scalar(f"SELECT count(*) FROM {s} WHERE user_id = %s",
                            (uid,))
        assert n > 0, (s, r)
        assert r["records"][s] == n or s == "physical_info", (s, r)
