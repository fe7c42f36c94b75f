/*
 * sync.c -- one job per user sync: plan the requests, turn responses into
 * rows, commit them stream by stream, and account for the result.
 *
 * Every list response is committed in one transaction together with its
 * stream cursor, so a sync killed at any point leaves each stream either
 * as it was or fully updated.  A stream that needs several requests --
 * continuous heart rate (one per day), and daily activity and activity
 * samples beyond one 28-day range -- is committed once all its parts are
 * in; exercises are committed one exercise (one detail request) at a time.
 *
 * How far back a full sync reads each stream, and in how many requests,
 * is the stream's row in streams[] (stream.c).
 *
 * Failures are per stream: one failing stream never stops the others,
 * except a 401, which ends the user's sync and marks the user as needing
 * re-authorisation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "syncd.h"

enum req_kind {
	RK_LIST,
	RK_EX_LIST,
	RK_EX_DETAIL,
	RK_CHR_DAY,
	RK_PART,	/* one range of a list stream split in several */
};

/* Routine syncs fetch a couple of new exercises, first syncs a dozen. */
#define EST_DETAILS_FULL	12
#define EST_DETAILS_ROUTINE	2

struct req_ctx {
	struct job	*job;
	enum stream	 st;
	enum req_kind	 kind;
	int64_t		 day;
};

static struct jobq	 jobs = TAILQ_HEAD_INITIALIZER(jobs);
static size_t		 njobs;
static uint64_t		 job_seq;

/*
 * A log row the database refused to close (it went away at the end of
 * the sync): closed as soon as the database is back, and its user made
 * due at once, so the interrupted work resumes then and not an interval
 * later.
 */
struct unclosed {
	TAILQ_ENTRY(unclosed) entry;
	char		 user_id[PF_USER_ID_MAX + 1];
	int64_t		 log_id;
	int64_t		 duration_ms;
	const char	*status;	/* static */
	char		*error_type;
	char		*error_message;
};
static TAILQ_HEAD(, unclosed) unclosed = TAILQ_HEAD_INITIALIZER(unclosed);
static int64_t		 close_retry_at;

#define CLOSE_RETRY_MS	2000

static void	 job_finish(struct job *);
static int	 start_job(const char *, const char *, int, unsigned,
		    struct pf_ipc_request *, char *, size_t, char *, size_t);

void
sync_init(void)
{
	TAILQ_INIT(&jobs);
	TAILQ_INIT(&unclosed);
	njobs = 0;
}

static void
unclosed_free(struct unclosed *u)
{
	TAILQ_REMOVE(&unclosed, u, entry);
	free(u->error_type);
	free(u->error_message);
	free(u);
}

void
sync_fini(void)
{
	while (!TAILQ_EMPTY(&unclosed))
		unclosed_free(TAILQ_FIRST(&unclosed));
}

int64_t
sync_next_deadline(void)
{
	return TAILQ_EMPTY(&unclosed) ? INT64_MAX : close_retry_at;
}

void
sync_recover(int64_t now)
{
	struct unclosed	*u;

	if (TAILQ_EMPTY(&unclosed) || now < close_retry_at)
		return;
	while ((u = TAILQ_FIRST(&unclosed)) != NULL) {
		if (store_log_close(env->db, u->user_id, u->log_id, u->status,
		    u->duration_ms, u->error_type, u->error_message) != PF_OK) {
			close_retry_at = now + CLOSE_RETRY_MS;
			return;
		}
		pf_log_info("user %s: sync log %" PRId64 " closed (%s) after "
		    "the database came back; the user is due again",
		    u->user_id, u->log_id, u->status);
		unclosed_free(u);
	}
	sched_poke();
}

bool
sync_running(const char *user_id)
{
	struct job	*j;

	TAILQ_FOREACH(j, &jobs, entry)
		if (strcmp(j->user_id, user_id) == 0)
			return true;
	return false;
}

size_t
sync_inflight(void)
{
	return njobs;
}

int64_t
sync_reserved(void)
{
	struct job	*j;
	int64_t		 r = 0;

	TAILQ_FOREACH(j, &jobs, entry)
		if (j->est_calls > j->calls)
			r += j->est_calls - j->calls;
	return r;
}

/* Is st read by days, from its cursor (not by id or as a snapshot)? */
static bool
windowed(enum stream st)
{
	return streams[st].fetch == SF_LIST || streams[st].fetch == SF_PER_DAY;
}

int
sync_stream_window(enum stream st, int days, int lookback)
{
	int	 max = streams[st].history_days, w;

	/*
	 * A manual window, else Polar's whole window; a sync_days_lookback
	 * below the 28-day window shortens first syncs to it.
	 */
	if (days > 0)
		w = days;
	else if (lookback > 0 && lookback < SYNCD_POLAR_WINDOW)
		w = lookback;
	else
		w = max;
	return w > max ? max : w < 1 ? 1 : w;
}

int
sync_stream_calls(enum stream st, int64_t ndays)
{
	int	 per = streams[st].range_days;

	if (ndays < 1)
		ndays = 1;
	return per > 0 ? (int)((ndays + per - 1) / per) : 1;
}

int
sync_estimate_calls(bool full, int days)
{
	int	 lb = env != NULL && env->cfg != NULL ?
		    env->cfg->sync_days_lookback : 0;
	int	 n = 0, i;

	/*
	 * The list streams (several ranges for a deep activity history),
	 * one call per continuous-HR day, the exercise list, physical info
	 * and the exercise details.  A routine sync reads each stream from
	 * its cursor minus the overlap: one call each.
	 */
	for (i = 0; i < ST__COUNT; i++)
		if (windowed(i))
			n += sync_stream_calls(i, full ?
			    sync_stream_window(i, days, lb) :
			    SYNCD_OVERLAP_DAYS + 1);
	return n + 2 + (full ? EST_DETAILS_FULL : EST_DETAILS_ROUTINE);
}

json_t *
sync_inflight_json(void)
{
	struct job	*j;
	json_t		*a = json_array();

	TAILQ_FOREACH(j, &jobs, entry)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:i,s:i,s:I}",
		    "user_id", j->user_id, "sync_id", j->sync_id, "trigger",
		    j->trigger, "api_calls", j->calls, "pending", j->pending,
		    "running_ms", (json_int_t)(pf_time_mono_ms() -
		    j->started_mono)));
	return a;
}

static void
st_fail(struct job *job, enum stream st, int http, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
st_fail(struct job *job, enum stream st, int http, const char *fmt, ...)
{
	struct stream_result	*s = &job->st[st];
	va_list			 ap;
	char			 buf[300];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!s->failed) {
		s->failed = true;
		s->http_status = http;
		free(s->error);
		s->error = pf_xstrdup(buf);
		pf_log_warnx("user %s stream %s: %s", job->user_id,
		    stream_name(st), buf);
		if (env->db != NULL)
			store_cursor_error(env->db, job->user_id, st, buf);
	}
}

/* Adds one note (a new reference, stolen) of data not kept, for stream st. */
static void
job_note(struct job *job, enum stream st, json_t *note)
{
	if (json_array_size(job->dropped) >= SYNCD_MAX_DROPPED) {
		job->dropped_more++;
		json_decref(note);
		return;
	}
	json_object_set_new(note, "stream", json_string(stream_name(st)));
	json_array_append_new(job->dropped, note);
}

/* The notes of what rs did not keep, and its skipped records. */
static void
rows_noted(struct job *job, enum stream st, const struct rowset *rs)
{
	json_t	*d;
	size_t	 i;

	json_array_foreach(rs->dropped, i, d)
		job_note(job, st, json_copy(d));
	job->st[st].skipped += (int)rs->skipped;
}

/* What a write of nrows rows of st did (r: its result; err if it failed). */
static void
rows_written(struct job *job, enum stream st, size_t nrows, int r,
    const char *err, int changed, int kept, int64_t first, int64_t last,
    int64_t ms)
{
	struct stream_result	*s = &job->st[st];

	if (r != PF_OK) {
		job->db_failed = true;
		st_fail(job, st, 0, "database error: %.*s",
		    (int)strcspn(err, "\n"), err[0] ? err : pf_strerror(r));
		return;
	}
	pf_log_debug("user %s stream %s: %zu rows committed (%d changed) in "
	    "%" PRId64 " ms", job->user_id, stream_name(st), nrows, changed,
	    ms);
	if (kept > 0)
		pf_log_warnx("user %s stream %s: %d records came back poorer "
		    "than stored; the stored values were kept", job->user_id,
		    stream_name(st), kept);
	s->records += (int)nrows;
	s->changed += changed;
	s->kept += kept;
	if (changed > 0) {
		if (first < s->first_day)
			s->first_day = first;
		if (last > s->last_day)
			s->last_day = last;
	}
}

static void
commit_rows(struct job *job, enum stream st, struct rowset *rs,
    int64_t covered)
{
	int64_t	 first = 0, last = 0, t0 = pf_time_mono_ms();
	int	 changed = 0, kept = 0, r;

	rows_noted(job, st, rs);
	r = store_upsert(env->db, st, job->user_id, rs, covered, &changed,
	    &kept, &first, &last);
	rows_written(job, st, rs->n, r, r == PF_OK ? "" :
	    pf_db_errmsg(env->db), changed, kept, first, last,
	    pf_time_mono_ms() - t0);
}

static void	 req_done(struct xfer *, void *);
static void	 response_worked(struct work *);

/* A body with invalid UTF-8: noted, and read with U+FFFD in their place. */
static void
utf8_noted(struct job *job, enum stream st, size_t nbad)
{
	pf_log_warnx("user %s stream %s: %zu invalid UTF-8 bytes replaced by "
	    "U+FFFD", job->user_id, stream_name(st), nbad);
	job_note(job, st, json_pack("{s:s,s:s}", "field", "*", "reason",
	    "invalid UTF-8 replaced by U+FFFD"));
}

static void
submit(struct job *job, enum stream st, enum req_kind kind, int64_t day,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
submit(struct job *job, enum stream st, enum req_kind kind, int64_t day,
    const char *fmt, ...)
{
	struct req_ctx	*c;
	struct xfer	*x;
	va_list		 ap;
	char		 path[512], *url;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	url = pf_xasprintf("%s%s", env->cfg->polar_api_url, path);
	c = pf_xcalloc(1, sizeof(*c));
	c->job = job;
	c->st = st;
	c->kind = kind;
	c->day = day;
	x = fetch_xfer_new(url, XA_BEARER, job->token, req_done, c, job);
	x->prio = job->seq;
	free(url);
	job->pending++;
	job->st[st].pending++;
	fetch_submit(x);
}

static void
on_exercise_list(struct job *job, const json_t *doc)
{
	const char	**ids = NULL;
	char		**known = NULL;
	size_t		  n = 0, nk = 0, i, k;
	bool		  have;

	if (transform_exercise_ids(doc, job->user_id, &ids, &n) != PF_OK) {
		st_fail(job, ST_EXERCISE, 200, "unexpected response shape");
		return;
	}
	if (store_known_exercises(env->db, job->user_id, &known, &nk) !=
	    PF_OK) {
		job->db_failed = true;
		st_fail(job, ST_EXERCISE, 0, "database error: %.*s",
		    (int)strcspn(pf_db_errmsg(env->db), "\n"),
		    pf_db_errmsg(env->db));
		free(ids);
		return;
	}
	for (i = 0; i < n; i++) {
		have = false;
		for (k = 0; k < nk && !have; k++)
			have = strcmp(known[k], ids[i]) == 0;
		/* A manual sync with days re-reads details it already has. */
		if (have && job->days <= 0)
			continue;
		submit(job, ST_EXERCISE, RK_EX_DETAIL, -1,
		    "%s/%s?samples=true&zones=true&route=true",
		    streams[ST_EXERCISE].path, ids[i]);
	}
	if (n == 0)
		job->st[ST_EXERCISE].nodata = true;
	for (k = 0; k < nk; k++)
		free(known[k]);
	free(known);
	free(ids);
}

/* Status codes that mean "no data here" for a stream and request kind. */
static bool
is_nodata(const struct req_ctx *c, long status)
{
	if (status == 204)
		return true;
	if (status != 404)
		return false;
	return streams[c->st].nodata_404 || c->kind == RK_EX_DETAIL;
}

/* Does stream st hold local times Polar may send without an offset? */
static bool
has_local(enum stream st)
{
	const struct field	*fd;

	for (fd = streams[st].fields; fd->col != NULL; fd++)
		if (fd->flags & F_LOCAL)
			return true;
	return false;
}

static void
abort_job(struct job *job, const char *why)
{
	if (job->aborted)
		return;
	job->aborted = true;
	free(job->abort_reason);
	job->abort_reason = pf_xstrdup(why);
	fetch_cancel_owner(job);
	job->pending = 0;
}

/*
 * The response's body goes to the worker, which parses it, turns it into
 * rows and (for a list or an exercise) writes them; response_worked() takes
 * it from there, on the loop.
 */
static void
to_worker(struct job *job, struct req_ctx *c, struct xfer *x)
{
	struct work	*w = pf_xcalloc(1, sizeof(*w));

	w->st = c->st;
	snprintf(w->user_id, sizeof(w->user_id), "%s", job->user_id);
	w->body = x->resp;		/* taken from the transfer */
	w->len = x->resp_len;
	x->resp = NULL;
	x->resp_len = x->resp_cap = 0;
	w->offsets = has_local(c->st);
	w->commit = c->kind == RK_LIST || c->kind == RK_EX_DETAIL;
	w->covered = c->kind == RK_LIST ? job->to_day : -1;
	w->now_ms = pf_time_now_ms();
	rowset_init(&w->rows);
	w->done = response_worked;
	w->arg = c;
	job->working++;
	job->st[c->st].working++;
	worker_submit(w);
}

/*
 * Handles one answer; true when its body went to the worker, which then
 * owns c until response_worked().
 */
static bool
on_response(struct job *job, struct req_ctx *c, struct xfer *x)
{
	struct stream_result	*s = &job->st[c->st];
	struct day_offsets	 known = { 0, NULL, NULL };
	struct rowset		 rs;
	struct body		 body;
	char			 err[PF_JSON_ERR_LEN], *fixed = NULL;
	size_t			 flen, nbad;
	bool			 commit = false;
	int			 r;

	if (x->err != PF_OK) {
		st_fail(job, c->st, 0, "%s", x->errmsg);
		return false;
	}
	if (x->status == 401) {
		job->reauth = true;
		st_fail(job, c->st, 401, "401 Unauthorized: access token is "
		    "invalid or revoked; the user must authorise again");
		abort_job(job, "token rejected by Polar (401)");
		return false;
	}
	if (x->status == 403) {
		job->consent = true;
		st_fail(job, c->st, 403, "403 Forbidden: the Polar user has not "
		    "accepted the required data sharing consents");
		return false;
	}
	if (x->status == 429) {
		st_fail(job, c->st, 429, "429 Too Many Requests: Polar's rate "
		    "limit is exhausted");
		return false;
	}
	if (is_nodata(c, x->status)) {
		if (c->kind == RK_LIST) {
			s->nodata = true;
			rowset_init(&rs);
			commit_rows(job, c->st, &rs, job->to_day);
		}
		return false;
	}
	if (x->status != 200) {
		st_fail(job, c->st, (int)x->status, "API error %ld", x->status);
		return false;
	}
	/* Big bodies are parsed and written off the loop. */
	if (x->resp_len >= SYNCD_BIG_BODY && c->kind != RK_EX_LIST) {
		to_worker(job, c, x);
		return true;
	}
	/*
	 * An invalid UTF-8 byte would make the whole body unreadable: it
	 * becomes U+FFFD and the rest is kept.  A \u0000 is dropped with the
	 * string that holds it (transform.c), not with the body.
	 */
	if ((nbad = transform_utf8_fix(x->resp ? x->resp : "", x->resp_len,
	    &fixed, &flen)) > 0)
		utf8_noted(job, c->st, nbad);
	r = body_parse(c->st, fixed ? fixed : x->resp ? x->resp : "", fixed ?
	    flen : x->resp_len, &body, err, sizeof(err));
	if (r != PF_OK) {
		free(fixed);
		st_fail(job, c->st, 200, "malformed response: %s", err);
		return false;
	}
	/* Local times without an offset take the one known for their day. */
	if (c->kind != RK_EX_LIST && has_local(c->st) &&
	    store_day_offsets(env->db, job->user_id, &known) != PF_OK)
		pf_log_warnx("user %s: could not read the known UTC offsets: "
		    "%s", job->user_id, pf_db_errmsg(env->db));
	rowset_init(&rs);
	switch (c->kind) {
	case RK_EX_LIST:
		on_exercise_list(job, body.doc);
		break;
	case RK_CHR_DAY:
	case RK_PART:
		if (transform_body(c->st, &body, job->user_id, pf_time_now_ms(),
		    &known, &s->rows) != PF_OK)
			st_fail(job, c->st, 200, "unexpected response shape");
		break;
	case RK_LIST:
	case RK_EX_DETAIL:
		if (transform_body(c->st, &body, job->user_id, pf_time_now_ms(),
		    &known, &rs) != PF_OK)
			st_fail(job, c->st, 200, "unexpected response shape");
		else
			commit = true;
		break;
	}
	day_offsets_free(&known);
	/*
	 * The rows hold all that is kept of the body: it goes before they
	 * are written, so a big body and its rows are not both held while
	 * the database is sent a copy of the rows.
	 */
	body_free(&body);
	free(fixed);
	free(x->resp);
	x->resp = NULL;
	x->resp_len = x->resp_cap = 0;
	if (commit)
		commit_rows(job, c->st, &rs, c->kind == RK_LIST ?
		    job->to_day : -1);
	rowset_cleanup(&rs);
	return false;
}

static void
job_maybe_finish(struct job *job)
{
	if (job->pending <= 0 && job->working == 0)
		job_finish(job);
}

/* The end of a written batch the worker wrote (arg: its req_ctx). */
static void
rows_worked(struct work *w)
{
	struct req_ctx	*c = w->arg;
	struct job	*job = c->job;

	job->working--;
	job->st[c->st].working--;
	if (w->cancelled && !job->aborted)
		st_fail(job, c->st, 0, "not written: syncd is shutting down");
	else if (!job->aborted)
		rows_written(job, c->st, w->rows.n, w->db_rv, w->err,
		    w->changed, w->kept, w->first, w->last, w->ms);
	work_free(w);
	free(c);
	job_maybe_finish(job);
}

/*
 * After each answer of stream st: continuous HR days and the ranges of a
 * split list are committed together once all are in (and no part is
 * still with the worker), and not at all if one failed.  Frees c.
 */
static void
req_after(struct job *job, struct req_ctx *c)
{
	struct stream_result	*s = &job->st[c->st];
	struct req_ctx		*wc;
	struct work		*w;

	if (!job->aborted && (c->kind == RK_CHR_DAY || c->kind == RK_PART) &&
	    s->pending == 0 && s->working == 0 && !s->failed) {
		if (s->rows.n == 0)
			s->nodata = true;
		if (rowset_bytes(&s->rows) < SYNCD_BIG_BODY)
			commit_rows(job, c->st, &s->rows, job->to_day);
		else {
			/* long rows are written off the loop too */
			rows_noted(job, c->st, &s->rows);
			w = pf_xcalloc(1, sizeof(*w));
			w->st = c->st;
			snprintf(w->user_id, sizeof(w->user_id), "%s",
			    job->user_id);
			w->commit = true;
			w->covered = job->to_day;
			rowset_init(&w->rows);
			rowset_take(&w->rows, &s->rows);
			wc = pf_xcalloc(1, sizeof(*wc));
			*wc = *c;
			w->done = rows_worked;
			w->arg = wc;
			job->working++;
			s->working++;
			worker_submit(w);
		}
		rowset_cleanup(&s->rows);
	}
	free(c);
	job_maybe_finish(job);
}

/* The end of a response the worker parsed (and perhaps wrote). */
static void
response_worked(struct work *w)
{
	struct req_ctx		*c = w->arg;
	struct job		*job = c->job;
	struct stream_result	*s = &job->st[c->st];

	job->working--;
	s->working--;
	if (w->cancelled) {
		if (!job->aborted)
			st_fail(job, c->st, 0, "not read: syncd is shutting "
			    "down");
	} else if (!job->aborted) {
		if (w->utf8_bad > 0)
			utf8_noted(job, c->st, w->utf8_bad);
		if (w->parse_rv != PF_OK && w->err[0] != '\0')
			st_fail(job, c->st, 200, "malformed response: %s",
			    w->err);
		else if (w->parse_rv != PF_OK)
			st_fail(job, c->st, 200, "unexpected response shape");
		else if (w->commit) {
			rows_noted(job, c->st, &w->rows);
			rows_written(job, c->st, w->rows.n, w->db_rv, w->err,
			    w->changed, w->kept, w->first, w->last, w->ms);
		} else
			rowset_take(&s->rows, &w->rows);
	}
	work_free(w);
	req_after(job, c);
}

static void
req_done(struct xfer *x, void *arg)
{
	struct req_ctx		*c = arg;
	struct job		*job = c->job;
	struct stream_result	*s = &job->st[c->st];

	if (x->cancelled) {
		free(c);
		return;
	}
	job->calls++;
	s->calls++;
	s->pending--;
	job->pending--;
	if (!job->aborted && on_response(job, c, x))
		return;
	req_after(job, c);
}

/* The oldest day a sync of this job may ask for in stream st. */
static int64_t
stream_oldest(const struct job *job, enum stream st)
{
	return job->to_day - sync_stream_window(st, job->days,
	    env->cfg->sync_days_lookback) + 1;
}

static int64_t
stream_from(const struct job *job, enum stream st)
{
	int64_t	 oldest = stream_oldest(job, st);
	int64_t	 from;

	if (job->days > 0 || job->cursor_day[st] < 0)
		return oldest;
	from = job->cursor_day[st] - SYNCD_OVERLAP_DAYS;
	return from < oldest ? oldest : from > job->to_day ? job->to_day : from;
}

/* One list stream: one request, or ranges committed together. */
static void
plan_list(struct job *job, enum stream st)
{
	const struct stream_def	*def = &streams[st];
	char			 f[PF_TIME_DATE_LEN], t[PF_TIME_DATE_LEN];
	int64_t			 from, a, b, ndays;
	bool			 full;

	from = stream_from(job, st);
	full = from == stream_oldest(job, st);
	ndays = job->to_day - from + 1;
	pf_time_format_date(from, f);
	pf_time_format_date(job->to_day, t);
	if (def->period_days && (full || ndays > SYNCD_RANGE_DAYS))
		/* one request for up to a year */
		submit(job, st, RK_LIST, -1, "%s/period/days/%" PRId64,
		    def->path, ndays);
	else if (def->range == NULL || (full && strcmp(def->range, "/date") ==
	    0))
		submit(job, st, RK_LIST, -1, "%s", def->path);
	else if (sync_stream_calls(st, ndays) > 1) {
		for (a = from; a <= job->to_day; a = b + 1) {
			b = a + def->range_days - 1;
			if (b > job->to_day)
				b = job->to_day;
			pf_time_format_date(a, f);
			pf_time_format_date(b, t);
			submit(job, st, RK_PART, a, "%s%s?from=%s&to=%s",
			    def->path, def->range, f, t);
		}
	} else
		submit(job, st, RK_LIST, -1, "%s%s?from=%s&to=%s", def->path,
		    def->range, f, t);
}

static bool
wanted(const struct job *job, enum stream st)
{
	return job->mask == 0 || (job->mask & (1u << st)) != 0;
}

static void
plan(struct job *job)
{
	char		 f[PF_TIME_DATE_LEN];
	int64_t		 from, d;
	int		 i;

	for (i = 0; i < ST__COUNT; i++)
		if (!wanted(job, i))
			job->st[i].skipped_stream = true;
		else if (streams[i].fetch == SF_LIST)
			plan_list(job, i);
	if (wanted(job, ST_EXERCISE))
		submit(job, ST_EXERCISE, RK_EX_LIST, -1, "%s",
		    streams[ST_EXERCISE].path);
	from = stream_from(job, ST_CHR);
	for (d = job->to_day; wanted(job, ST_CHR) && d >= from; d--) {
		pf_time_format_date(d, f);
		submit(job, ST_CHR, RK_CHR_DAY, d, "%s/%s",
		    streams[ST_CHR].path, f);
	}
	/*
	 * Physical info changes rarely: refresh it a few times a day, or
	 * when Polar says it changed.
	 */
	if (!wanted(job, ST_PHYSICAL))
		return;
	if (job->days > 0 || job->full || job->mask != 0 ||
	    pf_time_now_ms() - job->phys_last_ms >= SYNCD_PHYS_REFRESH_MS)
		submit(job, ST_PHYSICAL, RK_LIST, -1, "%s",
		    streams[ST_PHYSICAL].path);
	else
		job->st[ST_PHYSICAL].skipped_stream = true;
}

static void
job_free(struct job *job)
{
	int	 i;

	for (i = 0; i < ST__COUNT; i++) {
		free(job->st[i].error);
		rowset_cleanup(&job->st[i].rows);
	}
	if (job->token != NULL)
		pf_freezero(job->token, strlen(job->token));
	free(job->abort_reason);
	json_decref(job->dropped);
	free(job);
}

int
sync_start(const char *user_id, const char *trigger, int days,
    struct pf_ipc_request *waiter, char *why, size_t whylen)
{
	return start_job(user_id, trigger, days, 0, waiter, NULL, 0, why,
	    whylen);
}

int
sync_start_mask(const char *user_id, const char *trigger, unsigned mask,
    char *sync_id, size_t idlen, char *why, size_t whylen)
{
	return start_job(user_id, trigger, 0, mask, NULL, sync_id, idlen, why,
	    whylen);
}

static int
start_job(const char *user_id, const char *trigger, int days, unsigned mask,
    struct pf_ipc_request *waiter, char *sync_id, size_t idlen, char *why,
    size_t whylen)
{
	struct job	*job;
	char		*sealed = NULL, *plain = NULL, reason[200];
	size_t		 plen;
	bool		 active = false, reauth = false;
	int		 i, r;

	if (sync_running(user_id))
		return PF_ERR_BUSY;
	if ((r = store_user_token(env->db, user_id, &sealed, &active,
	    &reauth, reason, sizeof(reason))) != PF_OK)
		return r;
	if (sealed == NULL || !active) {
		free(sealed);
		return PF_ERR_NOTFOUND;
	}
	/* Polar refused this token: a sync would only spend calls on 401s. */
	if (reauth) {
		if (why != NULL)
			snprintf(why, whylen, "%s", reason[0] ? reason :
			    "Polar rejected the access token");
		free(sealed);
		return PF_ERR_DENIED;
	}
	if ((r = pf_crypto_open(syncd->key, sealed, &plain, &plen)) != PF_OK) {
		pf_log_warnx("user %s: stored token cannot be decrypted (%s); "
		    "marking the user for re-authorisation", user_id,
		    pf_strerror(r));
		store_user_flags(env->db, user_id, 1,
		    "stored token cannot be decrypted", -1);
		free(sealed);
		return PF_ERR_CRYPTO;
	}
	free(sealed);
	/* Another syncd instance on this database may be syncing the user. */
	if ((r = lease_take(user_id)) != PF_OK) {
		pf_freezero(plain, plen + 1);
		return r;
	}
	job = pf_xcalloc(1, sizeof(*job));
	snprintf(job->user_id, sizeof(job->user_id), "%s", user_id);
	job->token = pf_xstrndup(plain, plen);
	pf_freezero(plain, plen + 1);
	job->trigger = trigger;
	job->days = days;
	job->mask = mask;
	job->dropped = json_array();
	job->started_mono = pf_time_mono_ms();
	job->started_ms = pf_time_now_ms();
	job->to_day = pf_time_local_day(job->started_ms, 0);
	for (i = 0; i < ST__COUNT; i++) {
		rowset_init(&job->st[i].rows);
		job->st[i].first_day = INT64_MAX;
		job->st[i].last_day = INT64_MIN;
	}
	if ((r = store_cursors_load(env->db, user_id, job->cursor_day,
	    &job->phys_last_ms)) != PF_OK ||
	    (r = store_log_start(env->db, job)) != PF_OK) {
		pf_log_warnx("user %s: could not start sync: %s", user_id,
		    pf_db_errmsg(env->db));
		job_free(job);
		lease_release(user_id);
		return r;
	}
	job->full = days > 0;
	for (i = 0; i < ST__COUNT; i++)
		if (windowed(i) && job->cursor_day[i] < 0 &&
		    (mask == 0 || (mask & (1u << i))))
			job->full = true;
	job->waiter = waiter;
	job->seq = ++job_seq;
	TAILQ_INSERT_TAIL(&jobs, job, entry);
	njobs++;
	pf_log_info("user %s: sync %s started (%s, %s)", user_id, job->sync_id,
	    trigger, job->full ? "full" : "incremental");
	plan(job);
	/* What plan() asked for, plus the usual exercise details. */
	job->est_calls = job->pending + (job->full ? EST_DETAILS_FULL :
	    EST_DETAILS_ROUTINE);
	if (sync_id != NULL)
		snprintf(sync_id, idlen, "%s", job->sync_id);
	return PF_OK;
}

static const char *
error_type_of(const struct job *job, int nfailed)
{
	int	 i;

	if (job->reauth)
		return "token_invalid";
	if (job->db_failed)
		return "database_error";
	if (job->consent)
		return "consent_missing";
	if (job->aborted)
		return "interrupted";
	for (i = 0; i < ST__COUNT; i++)
		if (job->st[i].failed && job->st[i].http_status == 429)
			return "rate_limited";
	return nfailed ? "api_error" : NULL;
}

static void
unclosed_add(const struct job *job, const char *status, const char *etype,
    const char *emsg)
{
	struct unclosed	*u;

	u = pf_xcalloc(1, sizeof(*u));
	snprintf(u->user_id, sizeof(u->user_id), "%s", job->user_id);
	u->log_id = job->log_id;
	u->duration_ms = pf_time_mono_ms() - job->started_mono;
	u->status = status;
	u->error_type = pf_xstrdup(etype ? etype : "database_error");
	u->error_message = pf_xasprintf("%s%sthe database was unavailable "
	    "when the sync ended", emsg ? emsg : "", emsg ? "; " : "");
	TAILQ_INSERT_TAIL(&unclosed, u, entry);
	close_retry_at = 0;
}

static void
job_finish(struct job *job)
{
	json_t		*records, *sstat, *errors, *changed, *touched, *reply,
			*details, *skipped, *degraded;
	const char	*status, *etype;
	char		*emsg = NULL, *tmp;
	int64_t		 first = INT64_MAX, last = INT64_MIN;
	int		 i, nfailed = 0, nrun = 0, total = 0, nlost = 0;
	struct stream_result *s;

	TAILQ_REMOVE(&jobs, job, entry);
	njobs--;
	records = json_object();
	sstat = json_object();
	errors = json_object();
	changed = json_object();
	skipped = json_object();
	degraded = json_object();
	touched = json_array();
	for (i = 0; i < ST__COUNT; i++) {
		s = &job->st[i];
		if (s->skipped_stream) {
			json_object_set_new(sstat, stream_name(i),
			    json_string("skipped"));
			continue;
		}
		nrun++;
		json_object_set_new(records, stream_name(i),
		    json_integer(s->records));
		json_object_set_new(changed, stream_name(i),
		    json_integer(s->changed));
		if (s->failed) {
			nfailed++;
			json_object_set_new(errors, stream_name(i),
			    json_string(s->error ? s->error : "failed"));
			json_object_set_new(sstat, stream_name(i),
			    json_string("failed"));
			tmp = pf_xasprintf("%s%s%s: %s", emsg ? emsg : "",
			    emsg ? "; " : "", stream_name(i), s->error ?
			    s->error : "failed");
			free(emsg);
			emsg = tmp;
		} else
			json_object_set_new(sstat, stream_name(i), json_string(
			    s->records == 0 && s->nodata ? "nodata" : "ok"));
		total += s->records;
		if (s->skipped > 0)
			json_object_set_new(skipped, stream_name(i),
			    json_integer(s->skipped));
		if (s->kept > 0)
			json_object_set_new(degraded, stream_name(i),
			    json_integer(s->kept));
		nlost += s->skipped + s->kept;
		if (s->changed > 0) {
			json_array_append_new(touched,
			    json_string(stream_name(i)));
			if (s->first_day < first)
				first = s->first_day;
			if (s->last_day > last)
				last = s->last_day;
		}
	}
	if (job->aborted && !job->reauth && nfailed == 0)
		nfailed = 1;
	nlost += (int)json_array_size(job->dropped) + job->dropped_more;
	if (job->dropped_more > 0)
		json_array_append_new(job->dropped, json_pack("{s:s,s:i}",
		    "reason", "more notes not listed", "count",
		    job->dropped_more));
	/* Data skipped, dropped or kept poorer than sent: not a success. */
	if (nfailed == 0)
		status = nlost > 0 ? "partial" : "success";
	else if (job->reauth || nfailed >= nrun || (total == 0 &&
	    json_array_size(touched) == 0 && nfailed == nrun))
		status = "failed";
	else
		status = "partial";
	etype = error_type_of(job, nfailed);
	if (etype == NULL && nlost > 0)
		etype = "incomplete_data";
	if (job->aborted && job->abort_reason && emsg == NULL)
		emsg = pf_xstrdup(job->abort_reason);
	if (emsg == NULL && nlost > 0)
		emsg = pf_xstrdup("some data was skipped, dropped or poorer "
		    "than stored (see records_skipped, records_degraded and "
		    "dropped)");
	if (emsg != NULL && strlen(emsg) > 1000)
		emsg[1000] = '\0';
	details = json_object_size(errors) ? json_pack("{s:O}", "errors",
	    errors) : NULL;
	if (store_log_finish(env->db, job, status, records, sstat, etype,
	    emsg, details, skipped, degraded, first, last, fetch_quota()) !=
	    PF_OK) {
		pf_log_warnx("user %s: could not record sync %s: %s; will "
		    "when the database is back", job->user_id, job->sync_id,
		    pf_db_errmsg(env->db));
		unclosed_add(job, status, etype, emsg);
	}
	json_decref(details);
	/* A sync of a few streams (a webhook's) is not the routine one. */
	if (job->mask == 0 && (!job->aborted || job->reauth))
		store_state_finish(env->db, job->user_id, status,
		    polarhook_poll_minutes(), strcmp(status, "failed") != 0);
	if (job->reauth)
		store_user_flags(env->db, job->user_id, 1,
		    "Polar rejected the access token (401)", -1);
	else if (job->consent)
		store_user_flags(env->db, job->user_id, -1, NULL, 1);
	else if (strcmp(status, "failed") != 0)
		store_user_flags(env->db, job->user_id, -1, NULL, 0);

	if (json_array_size(touched) > 0) {
		struct pf_msg_data_changed dc = { .user_id = job->user_id,
		    .sync_id = job->sync_id, .streams = touched,
		    .first_day = first, .last_day = last };

		syncd_publish(pf_msg_data_changed_pack(&dc));
	}
	pf_log_info("user %s: sync %s %s: %d records, %zu streams changed, "
	    "%d api calls, %" PRId64 " ms", job->user_id, job->sync_id, status,
	    total, json_array_size(touched), job->calls,
	    pf_time_mono_ms() - job->started_mono);
	if (job->waiter != NULL) {
		reply = json_pack("{s:s,s:s,s:s,s:O,s:O,s:O,s:O,s:O,s:O,s:O,"
		    "s:i,s:I}", "user_id", job->user_id, "sync_id",
		    job->sync_id, "status", status, "records", records,
		    "changed", changed, "streams", touched, "errors", errors,
		    "skipped", skipped, "degraded", degraded, "dropped",
		    job->dropped, "api_calls", job->calls,
		    "duration_ms", (json_int_t)(pf_time_mono_ms() -
		    job->started_mono));
		if (reply != NULL) {
			pf_ipc_request_reply(job->waiter, reply);
			json_decref(reply);
		} else
			pf_ipc_request_fail(job->waiter, PF_ERR_INTERNAL,
			    "could not build the reply");
		job->waiter = NULL;
	}
	syncd->syncs_done++;
	if (strcmp(status, "failed") == 0)
		syncd->syncs_failed++;
	json_decref(records);
	json_decref(sstat);
	json_decref(errors);
	json_decref(changed);
	json_decref(skipped);
	json_decref(degraded);
	json_decref(touched);
	free(emsg);
	lease_release(job->user_id);
	job_free(job);
	sched_poke();
}

void
sync_abort_user(const char *user_id, const char *why)
{
	struct job	*job;

	TAILQ_FOREACH(job, &jobs, entry)
		if (strcmp(job->user_id, user_id) == 0)
			break;
	if (job == NULL)
		return;
	abort_job(job, why);
	/* Batches in the worker's hands come back to the job first. */
	job_maybe_finish(job);
}

void
sync_abort_all(const char *why)
{
	struct job	*job;

	while ((job = TAILQ_FIRST(&jobs)) != NULL) {
		abort_job(job, why);
		job_finish(job);
	}
}
