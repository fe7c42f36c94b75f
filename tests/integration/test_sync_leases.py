"""Several polarflow-syncd instances on one database: each user is synced
by one instance at a time (its lease in sync_state), and the users of an
instance killed with kill -9 are taken over by another within one lease
period, with the killed sync closed as interrupted."""
import re

import pytest

from fx_syncd import *  # noqa: F401,F403
from fx_syncd import wait_for

NUSERS = 6


@pytest.fixture
def sim(polarsim_factory):
    # Polar's app quota is a separate matter (not these instances' to
    # share here): large enough never to be reached
    return polarsim_factory("--users", str(NUSERS), "--days", "30",
                            "--seed", "11", "--rate-limit-15m", "1000000",
                            "--rate-limit-24h", "10000000")


def authorize_all(syncd_factory, sim):
    """Connects every polarsim user through one syncd, then stops it."""
    s = syncd_factory(sim=sim)
    ids = [s.authorize(i) for i in range(NUSERS)]
    assert s.stop() == 0, s.log()
    # slow answers keep syncs running long enough to overlap in time
    sim.fault("slow:/v3/*:150")
    return ids


def instances(syncd_factory, sim, n, **extra):
    conf = {"sync_enabled": "true", "sync_on_startup": "true",
            "sync_max_concurrency": "2", "sync_lease_seconds": "5"}
    conf.update(extra)
    return [syncd_factory(sim=sim, extra=conf) for _ in range(n)]


def overlapping(db):
    """Pairs of syncs of one user whose run times overlap."""
    return db.query(
        "SELECT a.user_id, a.id, b.id FROM sync_logs a JOIN sync_logs b "
        "ON a.user_id = b.user_id AND a.id < b.id AND "
        "tstzrange(a.started_at, coalesce(a.completed_at, 'infinity')) && "
        "tstzrange(b.started_at, coalesce(b.completed_at, 'infinity'))")


def synced(db, ids):
    """Users with a successful sync."""
    rows = db.query("SELECT DISTINCT user_id FROM sync_logs WHERE "
                    "status = 'success'")
    return {r[0] for r in rows} & set(ids)


def started_by(s):
    return set(re.findall(r"user (\S+): sync \S+ started", s.log()))


def test_two_instances_share_the_users(migrated, syncd_factory, sim):
    ids = authorize_all(syncd_factory, sim)
    a, b = instances(syncd_factory, sim, 2)
    try:
        wait_for(lambda: synced(migrated, ids) == set(ids), timeout=240,
                 what="every user synced once")
    except AssertionError:
        print(migrated.query("SELECT user_id, status, error_type, "
                             "error_message FROM sync_logs"))
        print(migrated.query("SELECT * FROM sync_state"))
        print(a.log()[-3000:])
        print(b.log()[-3000:])
        raise
    assert overlapping(migrated) == []
    # both took part, and no user was started by both
    sa, sb = started_by(a), started_by(b)
    assert sa and sb, (sa, sb)
    assert not (sa & sb), sa & sb
    # leases are given back when the syncs end
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM sync_state WHERE lease_owner IS NOT NULL")
        == 0, timeout=60, what="leases released")
    # a manual sync of a user leased elsewhere is refused as running
    sim.fault("slow:/v3/*:400")
    r = b.call({"type": "sync.trigger", "user_id": ids[0]})
    assert r and r.get("ok") is not False, r
    wait_for(lambda: migrated.scalar(
        "SELECT lease_owner FROM sync_state WHERE user_id = %s",
        (ids[0],)) is not None, what="b's lease on the user")
    r = a.call({"type": "sync.trigger", "user_id": ids[0]})
    assert r and "already running" in r.get("error", ""), r
    assert "another syncd instance" in r["error"]


def test_kill9_instance_is_taken_over(migrated, syncd_factory, sim):
    ids = authorize_all(syncd_factory, sim)
    sim.fault("slow:/v3/*:300")
    a, b = instances(syncd_factory, sim, 2)
    # a holds a user mid-sync (an instance is its host and run directory)
    mine = "%:" + a.rundir
    wait_for(lambda: migrated.scalar(
        "SELECT count(*) FROM sync_state WHERE lease_owner LIKE %s",
        (mine,)) > 0, timeout=60, what="a lease held by a")
    held = {r[0] for r in migrated.query(
        "SELECT user_id FROM sync_state WHERE lease_owner LIKE %s",
        (mine,))}
    a.kill9()
    sim.clear_faults()
    # b takes a's users over once their leases expire, and syncs them all
    wait_for(lambda: synced(migrated, ids) == set(ids), timeout=240,
             what="every user synced after the kill")
    assert overlapping(migrated) == []
    interrupted = {r[0] for r in migrated.query(
        "SELECT user_id FROM sync_logs WHERE error_type = 'interrupted'")}
    assert held & interrupted, (held, interrupted)
    assert migrated.scalar("SELECT count(*) FROM sync_logs WHERE "
                           "status = 'started'") == 0
    assert held <= started_by(b), (held, started_by(b))
    # what a wrote before it died is still there once, with b's on top
    for u in ids:
        assert migrated.scalar("SELECT count(*) FROM sleep WHERE "
                               "user_id = %s", (u,)) > 0, u
    assert migrated.scalar(
        "SELECT count(*) FROM (SELECT user_id, date FROM sleep GROUP BY 1, 2 "
        "HAVING count(*) > 1) d") == 0
