/*
 * lease.c -- which users this syncd instance may sync, when several share
 * one database.
 *
 * The lease rows are in sync_state (store.c).  An instance is known by
 * its host and run directory, which two instances on one host cannot
 * share (their control sockets live there), and which stay the same when
 * it restarts: the leases of its previous life are its own, dropped at
 * start (lease_recover) so that a sync cut by a crash resumes at once
 * rather than a lease period later.  Renewal runs on the loop every
 * third of the lease period, which leaves two renewals of slack before
 * another instance may take a user over; a renewal that finds a lease
 * gone means this instance stalled longer than that, and the other
 * instance's sync wins: ours is aborted, its rows so far kept (every
 * write is an idempotent upsert).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"

#include "syncd.h"

#define LEASE_DB_RETRY_MS	2000

static char	 owner[200];
static int64_t	 renew_at;	/* mono ms; INT64_MAX: no lease held */
static size_t	 nheld;

void
lease_init(void)
{
	char	host[64];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, sizeof(owner), "%s:%s", host, env->cfg->rundir);
	renew_at = INT64_MAX;
	nheld = 0;
}

void
lease_recover(void)
{
	if (store_lease_drop_all(env->db, owner) != PF_OK)
		pf_log_warnx("could not drop the sync leases of this instance's "
		    "previous run: %s", pf_db_errmsg(env->db));
}

const char *
lease_owner(void)
{
	return owner;
}

static int64_t
period_ms(void)
{
	return (int64_t)env->cfg->sync_lease_seconds * 1000;
}

int
lease_take(const char *user_id)
{
	int	 r;

	if ((r = store_lease_take(env->db, user_id, owner,
	    env->cfg->sync_lease_seconds)) != PF_OK)
		return r;
	if (nheld++ == 0)
		renew_at = pf_time_mono_ms() + period_ms() / 3;
	return PF_OK;
}

void
lease_release(const char *user_id)
{
	/* Left in place, it only expires: another instance waits longer. */
	if (store_lease_release(env->db, user_id, owner) != PF_OK)
		pf_log_warnx("user %s: could not release the sync lease: %s",
		    user_id, pf_db_errmsg(env->db));
	if (nheld > 0 && --nheld == 0)
		renew_at = INT64_MAX;
}

int64_t
lease_next_deadline(void)
{
	return renew_at;
}

void
lease_run(int64_t now)
{
	json_t		*held = NULL, *running, *u;
	const char	*id;
	size_t		 i, j;

	if (now < renew_at)
		return;
	if (store_lease_renew(env->db, owner, env->cfg->sync_lease_seconds,
	    &held) != PF_OK) {
		pf_log_warnx("could not renew sync leases: %s",
		    pf_db_errmsg(env->db));
		renew_at = now + LEASE_DB_RETRY_MS;
		return;
	}
	renew_at = now + period_ms() / 3;
	if ((running = sync_inflight_json()) == NULL) {
		json_decref(held);
		return;
	}
	json_array_foreach(running, i, u) {
		if ((id = json_string_value(json_object_get(u, "user_id"))) ==
		    NULL)
			continue;
		for (j = 0; j < json_array_size(held); j++)
			if (strcmp(json_string_value(json_array_get(held, j)),
			    id) == 0)
				break;
		if (j < json_array_size(held))
			continue;
		pf_log_warnx("user %s: this instance lost its sync lease "
		    "(stalled past %d s?); another instance syncs the user, "
		    "this sync stops", id, env->cfg->sync_lease_seconds);
		sync_abort_user(id, "the sync lease was taken over by another "
		    "syncd instance");
	}
	json_decref(running);
	json_decref(held);
}
