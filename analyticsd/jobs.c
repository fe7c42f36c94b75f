/*
 * jobs.c -- the queue of users to recompute.
 *
 * One entry per user: a burst of data.changed events for the same user
 * within AD_COALESCE_MS is served by one run, and a user already queued is
 * never queued twice (the earliest changed day is kept).  Runs happen one
 * at a time from the poll loop, a few per iteration so the control socket
 * stays responsive during a full recompute.
 */
#include <sys/queue.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "analyticsd/analyticsd.h"

/* Back-off after a failed run, so a broken user does not spin. */
#define RETRY_MS	5000
#define MAX_ATTEMPTS	3

struct job {
	TAILQ_ENTRY(job)	 entry;
	struct job		*hnext;		/* hash chain */
	char			 user_id[PF_USER_ID_MAX + 1];
	enum job_reason		 why;
	int32_t			 first_day;
	int64_t			 due_ms;	/* monotonic */
	int64_t			 queued_ms;
	int			 attempts;
};

TAILQ_HEAD(jobq, job);

/* The process environment; set by main. */
struct pf_daemon *env;
struct analyticsd *analyticsd;

/* Users queued, by id, so a reconcile of many users stays linear. */
#define NBUCKETS	4096

static struct jobq	 queue = TAILQ_HEAD_INITIALIZER(queue);
static struct job	*buckets[NBUCKETS];
static size_t		 nqueued;
static bool		 running;
static int64_t		 total_runs, total_errors;
static int64_t		 ev_accepted, ev_dropped;
static struct job_run	 last[AD_LAST_RUNS];
static size_t		 nlast, last_head;

static unsigned int
hash(const char *s)
{
	return (unsigned int)(pf_hash64(s, strlen(s)) % NBUCKETS);
}

static struct job *
lookup(const char *user_id)
{
	struct job	*j;

	for (j = buckets[hash(user_id)]; j != NULL; j = j->hnext)
		if (strcmp(j->user_id, user_id) == 0)
			return j;
	return NULL;
}

static void
enqueue(struct job *j)
{
	unsigned int	h = hash(j->user_id);

	j->hnext = buckets[h];
	buckets[h] = j;
	TAILQ_INSERT_TAIL(&queue, j, entry);
	nqueued++;
}

static void
dequeue(struct job *j)
{
	struct job	**pp;

	for (pp = &buckets[hash(j->user_id)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == j) {
			*pp = j->hnext;
			break;
		}
	TAILQ_REMOVE(&queue, j, entry);
	nqueued--;
}

void
jobs_init(void)
{
	TAILQ_INIT(&queue);
	memset(buckets, 0, sizeof(buckets));
	nqueued = 0;
}

void
jobs_cleanup(void)
{
	struct job	*j;

	while ((j = TAILQ_FIRST(&queue)) != NULL) {
		dequeue(j);
		free(j);
	}
}

bool
jobs_add(const char *user_id, enum job_reason why, int32_t first_day,
    int64_t now)
{
	struct job	*j;

	if (!pf_user_id_valid(user_id))
		return false;
	if ((j = lookup(user_id)) != NULL) {
		/* NONE: ask the database; a day: no later than it. */
		if (j->first_day == AD_DAY_NONE || (first_day != AD_DAY_NONE &&
		    first_day < j->first_day))
			j->first_day = first_day;
		if (why != JOB_EVENT && j->due_ms > now)
			j->due_ms = now;
		pf_log_debug("user %s already queued, coalesced", user_id);
		return true;
	}
	j = pf_xcalloc(1, sizeof(*j));
	snprintf(j->user_id, sizeof(j->user_id), "%s", user_id);
	j->why = why;
	j->first_day = first_day;
	j->queued_ms = now;
	j->due_ms = why == JOB_EVENT ? now + AD_COALESCE_MS : now;
	enqueue(j);
	return true;
}

int
jobs_next_timeout(int64_t now)
{
	struct job	*j;
	int64_t		 best = -1;

	TAILQ_FOREACH(j, &queue, entry)
		if (best < 0 || j->due_ms < best)
			best = j->due_ms;
	if (best < 0)
		return -1;
	return best <= now ? 0 : (int)(best - now);
}

static void
record(const char *user_id, int64_t dur, int err)
{
	struct job_run	*r = &last[last_head];

	snprintf(r->user_id, sizeof(r->user_id), "%s", user_id);
	r->finished_ms = pf_time_now_ms();
	r->duration_ms = dur;
	r->error = err;
	last_head = (last_head + 1) % AD_LAST_RUNS;
	if (nlast < AD_LAST_RUNS)
		nlast++;
	total_runs++;
	if (err != PF_OK)
		total_errors++;
}

static void
publish_updated(const struct user_input *in, const struct result *res,
    int64_t dur)
{
	struct pf_msg_analytics_updated	 m = { .user_id = in->user_id,
	    .computed_at = res->computed_at, .duration_ms = dur,
	    .anomaly_count = (int64_t)res->nanom };
	json_t				*ev;

	if (analyticsd->pub == NULL)
		return;
	if ((ev = pf_msg_analytics_updated_pack(&m)) == NULL)
		return;
	if (pf_ipc_publish(analyticsd->pub, ev) != PF_OK)
		pf_log_warnx("could not publish analytics.updated for user %s",
		    in->user_id);
	json_decref(ev);
}

static int
run_one(struct job *j)
{
	struct user_input	in;
	struct result		res;
	int64_t			t0, t1, t2, dur;
	int32_t			today;
	bool			stale = false;
	int			rc, made;

	t0 = pf_time_mono_ms();
	today = (int32_t)pf_time_local_day(pf_time_now_ms(), 0);
	result_init(&res);
	/*
	 * HRV sessions first, so that the load sees them; a failure there
	 * costs the sessions, not the rest of the user's analytics.
	 */
	if ((rc = hrv_refresh_user(env->db, j->user_id, &made)) != PF_OK)
		pf_log_warnx("user %s: HRV sessions not refreshed: %s",
		    j->user_id, pf_strerror(rc));
	rc = store_load(env->db, j->user_id, today, j->first_day, &in);
	t1 = pf_time_mono_ms();
	if (rc == PF_OK)
		rc = compute_user(&in, env->cfg->analytics_hrv_band_sd, &res);
	t2 = pf_time_mono_ms();
	dur = t2 - t0;
	if (rc == PF_OK)
		rc = store_write(env->db, &in, &res, dur, &stale);
	dur = pf_time_mono_ms() - t0;
	if (rc == PF_OK) {
		pf_log_debug("user %s recomputed in %lld ms (load %lld, "
		    "compute %lld, write %lld; %zu daily rows)", j->user_id,
		    (long long)dur, (long long)(t1 - t0), (long long)(t2 - t1),
		    (long long)(pf_time_mono_ms() - t2), res.ndaily);
		publish_updated(&in, &res, dur);
		if (stale)
			jobs_add(j->user_id, JOB_RECONCILE, AD_DAY_NONE,
			    pf_time_mono_ms());
	} else {
		pf_log_warnx("could not recompute user %s: %s%s%s",
		    j->user_id, pf_strerror(rc), *pf_db_errmsg(env->db) ?
		    ": " : "", pf_db_errmsg(env->db));
		store_fail(env->db, j->user_id, pf_strerror(rc));
	}
	record(j->user_id, dur, rc);
	user_input_cleanup(&in);
	result_cleanup(&res);
	return rc;
}

int
jobs_run_due(int64_t now, int max)
{
	struct job	*j, *next;
	int		 n = 0, rc;

	for (j = TAILQ_FIRST(&queue); j != NULL && n < max; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (j->due_ms > now)
			continue;
		dequeue(j);
		running = true;
		rc = run_one(j);
		running = false;
		n++;
		if ((rc == PF_ERR_DB_CONN || rc == PF_ERR_TIMEOUT ||
		    rc == PF_ERR_DB_RETRY) && ++j->attempts < MAX_ATTEMPTS) {
			if (lookup(j->user_id) != NULL)
				free(j);	/* queued again meanwhile */
			else {
				j->due_ms = pf_time_mono_ms() + RETRY_MS;
				enqueue(j);
			}
		} else
			free(j);
		/* The list may have changed under run_one (re-queue). */
		next = TAILQ_FIRST(&queue);
	}
	return n;
}

struct add_ctx {
	enum job_reason	why;
	int32_t		first_day;
	int64_t		now;
	int		n;
};

static void
add_cb(const char *user_id, void *arg)
{
	struct add_ctx	*c = arg;

	if (jobs_add(user_id, c->why, c->first_day, c->now))
		c->n++;
}

int
jobs_reconcile(int64_t now)
{
	struct add_ctx	c = { JOB_RECONCILE, AD_DAY_NONE, now, 0 };
	int32_t		today;
	int		rc;

	if ((rc = store_stale_users(env->db, false, add_cb, &c)) < 0)
		return rc;
	today = (int32_t)pf_time_local_day(pf_time_now_ms(), 0);
	c.why = JOB_DAYCHANGE;
	c.first_day = today - 1;
	if ((rc = store_outdated_users(env->db, today, add_cb, &c)) < 0)
		return rc;
	return c.n;
}

int
jobs_add_all(int64_t now, bool full)
{
	struct add_ctx	c = { JOB_REQUEST, full ? AD_DAY_ALL : AD_DAY_NONE,
	    now, 0 };
	int		rc;

	if ((rc = store_stale_users(env->db, true, add_cb, &c)) < 0)
		return rc;
	return c.n;
}

size_t
jobs_queued(void)
{
	return nqueued;
}

bool
jobs_in_flight(void)
{
	return running;
}

int64_t
jobs_total_runs(void)
{
	return total_runs;
}

int64_t
jobs_total_errors(void)
{
	return total_errors;
}

size_t
jobs_last_runs(struct job_run *out, size_t max)
{
	size_t	i, n = nlast < max ? nlast : max;

	for (i = 0; i < n; i++)
		out[i] = last[(last_head + AD_LAST_RUNS - 1 - i) %
		    AD_LAST_RUNS];
	return n;
}

void
jobs_count_event(bool accepted)
{
	if (accepted)
		ev_accepted++;
	else
		ev_dropped++;
}

void
jobs_event_counts(int64_t *accepted, int64_t *dropped)
{
	*accepted = ev_accepted;
	*dropped = ev_dropped;
}
