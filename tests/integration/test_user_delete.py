"""Erasing a user: syncd deregisters them at Polar with their token, then
every row of theirs goes in one transaction (pf_user_delete, tables found
from the catalog); polarctl user delete asks syncd, and erases the rows
alone only when told (--no-polar)."""
import json

import harness
from fx_apid import MASTER, apid, make_key  # noqa: F401
from fx_syncd import (polarsim, polarsim_factory,  # noqa: F401
                      syncd_factory)


def user_tables(db):
    return [r[0] for r in db.query(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'user_id'")]


def rows_of(db, uid):
    return {t: n for t in user_tables(db)
            if (n := db.scalar(f'SELECT count(*) FROM "{t}" '
                               "WHERE user_id = %s", (uid,)))}


def polarctl(db, sd, *args):
    """polarctl with syncd's configuration (its rundir, so its socket)."""
    return harness.run([harness.binary("polarctl"), "-j", "-f", sd.conf,
                        *args], env=harness.clean_env(DATABASE_URL=db.url))


def registered(sim, uid):
    return [u for u in sim.users() if str(u["user_id"]) == uid][0][
        "registered"]


def test_delete_deregisters_at_polar_then_erases_every_row(
        migrated, polarsim, syncd_factory):
    sd = syncd_factory()
    alice, bob = sd.authorize(0), sd.authorize(1)
    assert sd.sync(alice)["ok"] and sd.sync(bob)["ok"]
    assert registered(polarsim, alice)
    before = rows_of(migrated, alice)
    assert before.get("sleep", 0) > 0 and before["users"] == 1
    bob_before = rows_of(migrated, bob)
    p = polarctl(migrated, sd, "user", "delete", alice)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["polar_deregistered"] is True, out
    assert out["rows"]["users"] == 1 and out["rows"]["sleep"] == \
        before["sleep"]
    assert rows_of(migrated, alice) == {}
    assert not registered(polarsim, alice)
    # nobody else lost anything
    assert rows_of(migrated, bob) == bob_before
    # gone is gone: a second delete finds nothing
    p = polarctl(migrated, sd, "user", "delete", alice)
    assert p.returncode != 0 and f"user {alice} not found" in p.stderr


def test_a_failed_deregistration_still_erases_and_says_why(
        migrated, polarsim, syncd_factory):
    sd = syncd_factory()
    uid = sd.authorize(0)
    assert sd.sync(uid)["ok"]
    polarsim.fault(f"503:/v3/users/{uid}")
    r = sd.call({"type": "user.delete", "user_id": uid}, timeout=120)
    assert r["ok"] and r["polar_deregistered"] is False, r
    assert "503" in r["polar_error"], r
    assert rows_of(migrated, uid) == {}
    assert "deregistration at Polar failed" in sd.log()
    # bad input: a clear error, nothing erased
    r = sd.call({"type": "user.delete", "user_id": "../x"})
    assert r["ok"] is False and "user_id must be" in r["error"], r


def test_a_user_without_token_is_erased_without_asking_polar(
        migrated, polarsim, syncd_factory, polarctl):
    sd = syncd_factory()
    polarctl("user", "add", "local1", check=True)
    polarsim.reset_stats()
    r = sd.call({"type": "user.delete", "user_id": "local1"})
    assert r["ok"] and r["polar_deregistered"] is False
    assert r["polar_error"] == "no Polar token stored"
    assert polarsim.stats()["total"] == 0
    assert rows_of(migrated, "local1") == {}


def test_delete_route_through_apid_and_syncd(migrated, polarsim,
                                             syncd_factory, polarctl,
                                             apid):
    sd = syncd_factory(extra={"rundir": apid.rundir})
    uid = sd.authorize(0)
    assert sd.sync(uid)["ok"]
    own = make_key(migrated, polarctl, uid)
    service = make_key(migrated, polarctl)
    path = f"/api/v1/users/{uid}"
    assert apid.get(f"{path}/sleep?days=30", own).status == 200
    # the user's own key may not; nothing is deleted
    r = apid.request("DELETE", path, own)
    assert (r.status, r.json()["status_code"]) == (403, 403), r.body
    assert rows_of(migrated, uid)
    r = apid.request("DELETE", path, service)
    assert r.status == 200, r.body
    out = r.json()
    assert out["deleted"] is True and out["polar_deregistered"] is True
    assert out["user_id"] == uid and out["rows"]["users"] == 1
    assert rows_of(migrated, uid) == {}
    assert not registered(polarsim, uid)
    # the user's key is gone with them, at once
    assert apid.get(f"{path}/sleep?days=30", own).status == 401
    assert apid.request("DELETE", path, MASTER).status == 404
    # syncd down: 503, and nothing is deleted
    polarctl("user", "add", "later", check=True)
    assert sd.stop() == 0
    r = apid.request("DELETE", "/api/v1/users/later", MASTER)
    assert r.status == 503 and "nothing was deleted" in r.json()["detail"]
    assert rows_of(migrated, "later")["users"] == 1
