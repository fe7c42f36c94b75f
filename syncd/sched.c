/*
 * sched.c -- which user to sync next, and whether Polar's quota allows it.
 *
 * All schedule state is in the database (sync_state.next_due_at), so a
 * restart loses nothing.  Due users are taken never-synced and most stale
 * first, up to sync_max_concurrency at once.  A job is only admitted when
 * its estimated API calls fit in what is left of both quota windows after
 * the calls already promised to running jobs; otherwise the scheduler
 * waits for the window to reset.  A first sync reads up to a year of
 * history and is estimated accordingly (sync_estimate_calls); one larger
 * than a whole window starts on a fresh window, and while the quota is
 * still unknown one sync runs alone to learn it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"

#include "syncd.h"

#define TICK_MAX_MS	60000
#define DB_RETRY_MS	5000
#define QUOTA_RECHECK_MS 1000

static int64_t	 next_tick;
static bool	 startup_phase;
static bool	 quota_wait;
static int	 queue_len;
static bool	 force_all;	/* sync.trigger {all}: run even if disabled */

void
sched_init(void)
{
	next_tick = 0;
	startup_phase = env->cfg->sync_on_startup;
	quota_wait = false;
	queue_len = 0;
}

void
sched_poke(void)
{
	next_tick = 0;
}

int64_t
sched_next_deadline(void)
{
	if (!env->cfg->sync_enabled && !force_all)
		return INT64_MAX;
	return next_tick;
}

int
sched_request_all(void)
{
	int	 r;

	if ((r = store_mark_all_due(env->db)) != PF_OK)
		return r;
	force_all = true;
	next_tick = 0;
	return PF_OK;
}

int
sched_queue_len(void)
{
	return queue_len;
}

bool
sched_quota_wait(void)
{
	return quota_wait;
}

void
sched_run(int64_t now)
{
	struct due_user	 due[64];
	int64_t		 room, cap, due_ms, wall;
	int		 nfree, n = 0, i, est, r, lim, started = 0;

	if ((!env->cfg->sync_enabled && !force_all) || now < next_tick)
		return;
	nfree = env->cfg->sync_max_concurrency - (int)sync_inflight();
	if (nfree > 64)
		nfree = 64;
	quota_wait = false;
	if (nfree <= 0) {
		next_tick = now + TICK_MAX_MS;
		return;
	}
	lim = nfree + (int)sync_inflight();
	if (lim > 64)
		lim = 64;
	if ((r = store_due_users(env->db, lim, false, lease_owner(), due,
	    &n)) != PF_OK) {
		pf_log_warnx("could not read the sync schedule: %s",
		    pf_db_errmsg(env->db));
		next_tick = now + DB_RETRY_MS;
		return;
	}
	queue_len = n;
	room = fetch_quota_room(now) - sync_reserved();
	cap = fetch_quota_capacity();
	for (i = 0; i < n && started < nfree; i++) {
		if (sync_running(due[i].user_id))
			continue;
		est = sync_estimate_calls(due[i].never, 0);
		/* A sync bigger than a whole window waits for a fresh one. */
		if (cap > 0 && est > cap)
			est = (int)cap;
		/* Quota not known yet: one sync alone, to learn it. */
		if (!fetch_quota()->known && sync_inflight() == 0 &&
		    started == 0 && room > 0 && est > room)
			est = (int)room;
		if (room < est) {
			quota_wait = true;
			pf_log_debug("quota: %" PRId64 " calls left, next sync "
			    "needs about %d; waiting", room, est);
			break;
		}
		r = sync_start(due[i].user_id, force_all ? "manual" :
		    startup_phase ? "startup" : "scheduler", 0, NULL, NULL,
		    0);
		if (r == PF_OK) {
			room -= est;
			started++;
		}
		else if (r == PF_ERR_DB || r == PF_ERR_DB_CONN) {
			next_tick = now + DB_RETRY_MS;
			return;
		}
	}
	if (quota_wait) {
		next_tick = now + QUOTA_RECHECK_MS;
		return;
	}
	if (n < lim) {
		startup_phase = false;
		if (started == 0 && sync_inflight() == 0)
			force_all = false;
	}
	if ((int)sync_inflight() >= env->cfg->sync_max_concurrency) {
		next_tick = now + TICK_MAX_MS;
		return;
	}
	r = store_next_due_ms(env->db, lease_owner(), &due_ms);
	if (r == PF_OK) {
		wall = pf_time_now_ms();
		next_tick = now + (due_ms > wall ? due_ms - wall : 0);
		if (due_ms <= wall)
			next_tick = now + QUOTA_RECHECK_MS;
	} else
		next_tick = now + TICK_MAX_MS;
	if (next_tick > now + TICK_MAX_MS)
		next_tick = now + TICK_MAX_MS;
}
