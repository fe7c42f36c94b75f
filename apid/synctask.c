/*
 * synctask.c -- apid's calls to syncd and analyticsd, each run in a kore
 * task thread so that no worker ever waits on nng: a sync trigger (202 as
 * soon as syncd started it with "Prefer: respond-async", otherwise the
 * answer when the sync is over, as upstream's), analytics.recompute
 * before the baselines/patterns answer, and /ready's question whether
 * syncd runs.
 *
 * The task owns nothing of the request: it works on its own copy of what
 * it sends (struct ctl_call) and fills rc/reply, which the worker reads
 * only once the task has finished.  kore frees a request only once its
 * tasks have finished.
 *
 * kore's task pool hands tasks to its threads in turn, each thread
 * running its own queue in order, so a call queued on a thread that
 * waits for a sync would wait for the whole sync.  A waiting sync
 * therefore gets a thread of its own (up to APID_TASK_THREADS at once,
 * beyond that it queues in the pool), and the pool runs only calls of a
 * few seconds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include <jansson.h>

#include "common/err.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/xmalloc.h"
#include "pf_schema.h"

#include "apid/request.h"

struct call_job {
	struct kore_task	task;	/* first: the entry gets it */
	struct ctl_call		call;
	bool			own;	/* on a thread of its own */
};

static int	own_threads;	/* this worker's jobs on their own thread */

static int
call_task(struct kore_task *t)
{
	ctl_run(&((struct call_job *)t)->call);
	return KORE_RESULT_OK;
}

/* A call for c's user, to be completed by the caller, then call_run(). */
static struct ctl_call *
call_new(struct reqctx *c, const char *daemon, const char *type,
    int timeout_ms)
{
	struct ctl_call	*cc;

	c->job = pf_xcalloc(1, sizeof(*c->job));
	cc = &c->job->call;
	snprintf(cc->rundir, sizeof(cc->rundir), "%s", env->cfg->rundir);
	snprintf(cc->uid, sizeof(cc->uid), "%s", c->uid);
	cc->daemon = daemon;
	cc->type = type;
	cc->timeout_ms = timeout_ms;
	return &c->job->call;
}

/* What a pool thread does with a task, on a thread of its own. */
static void *
own_thread(void *arg)
{
	struct kore_task	*t = arg;

	kore_task_set_state(t, KORE_TASK_STATE_RUNNING);
	kore_task_set_result(t, t->entry(t));
	kore_task_finish(t);	/* the worker hears it on the task's channel */
	return NULL;
}

/*
 * Runs the task on a new detached thread; false when none can start.
 * Counted until task_own_release().
 */
bool
task_own_start(struct kore_task *t)
{
	pthread_attr_t	attr;
	pthread_t	tid;
	bool		ok;

	if (own_threads >= APID_TASK_THREADS ||
	    pthread_attr_init(&attr) != 0)
		return false;
	kore_platform_schedule_read(t->fds[0], t);
	ok = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0
	    && pthread_create(&tid, &attr, own_thread, t) == 0;
	pthread_attr_destroy(&attr);
	if (!ok)
		kore_platform_disable_read(t->fds[0]);
	else
		own_threads++;
	return ok;
}

void
task_own_release(void)
{
	own_threads--;
}

/*
 * Starts the task, on a thread of its own when it may take long; done
 * runs in the worker once it has finished.
 */
static int
call_run(struct http_request *req, struct reqctx *c, bool long_wait,
    call_done_fn done)
{
	struct call_job	*j = c->job;

	kore_task_create(&j->task, call_task);
	kore_task_bind_request(&j->task, req);
	if (long_wait && task_own_start(&j->task))
		j->own = true;
	else
		kore_task_run(&j->task);
	c->call_done = done;
	c->state = REQ_CALL;
	return KORE_RESULT_RETRY;
}

bool
call_finished(struct reqctx *c)
{
	return kore_task_finished(&c->job->task);
}

const struct ctl_call *
call_result(const struct reqctx *c)
{
	return &c->job->call;
}

void
call_free(struct reqctx *c)
{
	if (c->job == NULL)
		return;
	if (kore_task_finished(&c->job->task)) {
		if (c->job->own)
			task_own_release();
		kore_task_destroy(&c->job->task);
		json_decref(c->job->call.reply);
		free(c->job->call.code);
		free(c->job->call.redirect_uri);
		free(c->job);
	} else
		pf_log_warnx("request freed with its task running");
	c->job = NULL;
}

/* syncd's refusals, in upstream's words, answered; -1 for a usable reply. */
static int
sync_refused(struct http_request *req, struct reqctx *c, int r,
    const json_t *reply)
{
	const char	*msg, *code;

	if (r == PF_ERR_CLOSED)
		return respond_error(req, c, 503, "Sync service "
		    "(polarflow-syncd) is not running; sync cannot be "
		    "triggered now");
	if (r == PF_ERR_TIMEOUT)
		return respond_error(req, c, 503, "Sync service "
		    "(polarflow-syncd) did not answer in time");
	if (r != PF_OK)
		return respond_error(req, c, 502,
		    "Bad answer from the sync service");
	if (!json_is_false(json_object_get(reply, "ok")))
		return -1;
	msg = json_string_value(json_object_get(reply, "error"));
	code = json_string_value(json_object_get(reply, "code"));
	if (code != NULL && strcmp(code, "busy") == 0)
		return respond_error(req, c, 409,
		    "A sync is already running for this user");
	if (code != NULL && strcmp(code, "notfound") == 0)
		return respond_error(req, c, 404, msg ? msg :
		    "User not found");
	return respond_error(req, c, 502, msg ? msg : "sync trigger failed");
}

/* Upstream's names for the "records" keys, in its order. */
static const struct {
	const char	*stream;	/* syncd's */
	const char	*key;		/* upstream's */
} sync_keys[] = {
	{ "sleep", "sleep" }, { "nightly_recharge", "recharge" },
	{ "activity", "activity" }, { "exercise", "exercises" },
	{ "cardio_load", "cardio_load" },
	{ "sleepwise_alertness", "sleepwise_alertness" },
	{ "sleepwise_bedtime", "sleepwise_bedtime" },
	{ "activity_samples", "activity_samples" },
	{ "continuous_heart_rate", "continuous_hr" }, { "spo2", "spo2" },
	{ "ecg", "ecg" }, { "body_temperature", "body_temperature" },
	{ "skin_temperature", "skin_temperature" },
	{ "physical_info", "physical_info" },
};

/* A borrowed member of obj, or null. */
static json_t *
field_or_null(const json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	return v != NULL ? v : json_null();
}

/* Answers with out serialised (NULL: 500); takes out. */
static int
respond_doc(struct http_request *req, struct reqctx *c, int status,
    json_t *out)
{
	char	*body = out ? json_dumps(out, JSON_COMPACT) : NULL;
	int	 r;

	r = body ? respond_json(req, c, status, body) :
	    respond_error(req, c, 500, "Internal Server Error");
	free(body);
	json_decref(out);
	return r;
}

/*
 * Upstream's answer: {status: success|partial, user_id, records{14},
 * errors|null, total_records}, plus sync_id, api_calls and duration_ms.
 * Upstream says "partial" for any error, even when everything failed.
 */
static int
sync_answer(struct http_request *req, struct reqctx *c, const json_t *reply)
{
	json_t		*records, *errors, *in_rec, *in_err, *v;
	const char	*status;
	json_int_t	 n, total = 0;
	size_t		 i;

	in_rec = json_object_get(reply, "records");
	in_err = json_object_get(reply, "errors");
	records = json_object();
	errors = json_object();
	for (i = 0; i < sizeof(sync_keys) / sizeof(sync_keys[0]); i++) {
		v = json_object_get(in_rec, sync_keys[i].stream);
		n = json_is_integer(v) ? json_integer_value(v) : 0;
		total += n;
		json_object_set_new(records, sync_keys[i].key, json_integer(n));
		v = json_object_get(in_err, sync_keys[i].stream);
		if (json_is_string(v))
			json_object_set(errors, sync_keys[i].key, v);
	}
	status = json_string_value(json_object_get(reply, "status"));
	if (status == NULL || strcmp(status, "success") != 0 ||
	    json_object_size(errors) > 0)
		status = "partial";
	if (json_object_size(errors) == 0) {
		json_decref(errors);
		errors = json_null();		/* upstream's "no errors" */
	}
	return respond_doc(req, c, 200, json_pack(
	    "{s:s, s:s, s:o, s:o, s:I, s:O, s:O, s:O}",
	    "status", status, "user_id", c->uid, "records", records,
	    "errors", errors, "total_records", total,
	    "sync_id", field_or_null(reply, "sync_id"),
	    "api_calls", field_or_null(reply, "api_calls"),
	    "duration_ms", field_or_null(reply, "duration_ms")));
}

/* The whole sync was waited for. */
static int
sync_done(struct http_request *req, struct reqctx *c)
{
	const struct ctl_call	*cc = &c->job->call;
	int			 r;

	if ((r = sync_refused(req, c, cc->rc, cc->reply)) != -1)
		return r;
	return sync_answer(req, c, cc->reply);
}

/* syncd has started the sync: 202 with its reply, minus the envelope. */
static int
sync_started(struct http_request *req, struct reqctx *c)
{
	const struct ctl_call	*cc = &c->job->call;
	json_t			*out;
	char			*body, loc[160];
	int			 r;

	if ((r = sync_refused(req, c, cc->rc, cc->reply)) != -1)
		return r;
	out = json_deep_copy(cc->reply);
	json_object_del(out, "v");
	json_object_del(out, "type");
	json_object_del(out, "ok");
	if (json_object_get(out, "status") == NULL)
		json_object_set_new(out, "status", json_string("started"));
	json_object_set_new(out, "user_id", json_string(c->uid));
	body = json_dumps(out, JSON_COMPACT);
	snprintf(loc, sizeof(loc), "/api/v1/users/%s/sync/status", c->uid);
	http_response_header(req, "location", loc);
	http_response_header(req, "preference-applied", "respond-async");
	r = respond_json(req, c, 202, body ? body : "{}");
	free(body);
	json_decref(out);
	return r;
}

/*
 * "Prefer: respond-async" (RFC 7240) gets 202 as soon as syncd has
 * started the sync; without it the answer waits for the sync, as
 * upstream's did.
 */
static bool
prefer_async(struct http_request *req)
{
	const char	*h;

	return http_request_header(req, "prefer", &h) &&
	    strcasestr(h, "respond-async") != NULL;
}

int
sync_trigger(struct http_request *req, struct reqctx *c)
{
	struct ctl_call	*cc;

	if (prefer_async(req)) {
		cc = call_new(c, "syncd", PF_MSG_SYNC_TRIGGER, APID_SYNC_TIMEOUT_MS);
		cc->days = c->days;
		return call_run(req, c, false, sync_started);
	}
	cc = call_new(c, "syncd", PF_MSG_SYNC_TRIGGER, APID_SYNC_WAIT_MS);
	cc->days = c->days;
	cc->wait = true;
	return call_run(req, c, true, sync_done);
}

/* syncd's answer to user.delete: {user_id, rows, polar_deregistered...}. */
static int
user_deleted(struct http_request *req, struct reqctx *c)
{
	const struct ctl_call	*cc = &c->job->call;
	const char		*msg, *code;
	json_t			*out;

	if (cc->rc == PF_ERR_CLOSED)
		return respond_error(req, c, 503, "Sync service "
		    "(polarflow-syncd) is not running, so the user cannot be "
		    "deregistered at Polar now; nothing was deleted");
	if (cc->rc == PF_ERR_TIMEOUT)
		return respond_error(req, c, 503, "Sync service "
		    "(polarflow-syncd) did not answer in time; ask "
		    "GET /api/v1/users/{user_id}/status whether the user is "
		    "gone");
	if (cc->rc != PF_OK)
		return respond_error(req, c, 502,
		    "Bad answer from the sync service");
	if (json_is_false(json_object_get(cc->reply, "ok"))) {
		msg = json_string_value(json_object_get(cc->reply, "error"));
		code = json_string_value(json_object_get(cc->reply, "code"));
		if (code != NULL && strcmp(code, "busy") == 0)
			return respond_error(req, c, 409, msg ? msg :
			    "A sync of this user is running");
		if (code != NULL && strcmp(code, "notfound") == 0)
			return respond_error(req, c, 404, msg ? msg :
			    "User not found");
		return respond_error(req, c, 502, msg ? msg :
		    "user deletion failed");
	}
	keys_drop_user(c->uid);
	out = json_deep_copy(cc->reply);
	json_object_del(out, "v");
	json_object_del(out, "type");
	json_object_del(out, "ok");
	json_object_set_new(out, "deleted", json_true());
	return respond_doc(req, c, 200, out);
}

int
user_delete(struct http_request *req, struct reqctx *c)
{
	call_new(c, "syncd", PF_MSG_USER_DELETE, APID_USER_DELETE_MS);
	return call_run(req, c, true, user_deleted);
}

static int
recompute_done(struct http_request *req, struct reqctx *c)
{
	const struct ctl_call	*cc = &c->job->call;
	const char		*msg;

	if (cc->rc == PF_ERR_CLOSED)
		return respond_error(req, c, 503, "Analytics service "
		    "(polarflow-analyticsd) is not running; try again later");
	if (cc->rc == PF_ERR_TIMEOUT)
		return respond_error(req, c, 503, "Analytics service "
		    "(polarflow-analyticsd) did not answer in time");
	if (cc->rc == PF_OK && json_is_false(json_object_get(cc->reply,
	    "ok"))) {
		msg = json_string_value(json_object_get(cc->reply, "error"));
		return respond_error(req, c, 502, msg ? msg :
		    "analytics recompute failed");
	}
	if (cc->rc != PF_OK)
		return respond_error(req, c, 502,
		    "Bad answer from the analytics service");
	return start_query(c, apid_routes[c->route].sql);
}

int
recompute_begin(struct http_request *req, struct reqctx *c)
{
	call_new(c, "analyticsd", PF_MSG_ANALYTICS_RECOMPUTE, APID_SYNC_TIMEOUT_MS);
	return call_run(req, c, false, recompute_done);
}

/* The schema version read by store_sql_ready is in c->col[1]. */
static int
ready_done(struct http_request *req, struct reqctx *c)
{
	int	ver = c->rows > 0 && c->col[1] ? atoi(c->col[1]) : 0;
	bool	ok = ver >= PF_SCHEMA_VERSION;

	return respond_doc(req, c, ok ? 200 : 503, json_pack(
	    "{s:s, s:s, s:{s:i, s:i, s:b}, s:s}",
	    "status", ok ? "ready" : "not_ready", "database", "ok",
	    "schema", "current", ver, "required", PF_SCHEMA_VERSION,
	    "ok", ok, "syncd", c->job->call.rc == PF_OK ? "ok" : "down"));
}

int
ready_begin(struct http_request *req, struct reqctx *c)
{
	call_new(c, "syncd", PF_MSG_STATUS, APID_READY_TIMEOUT_MS);
	return call_run(req, c, false, ready_done);
}

int
mcp_sync_call(struct http_request *req, struct reqctx *c, call_done_fn done)
{
	call_new(c, "syncd", PF_MSG_SYNC_TRIGGER, APID_SYNC_TIMEOUT_MS);
	return call_run(req, c, false, done);
}

/*
 * Polar's code to syncd, which exchanges it (once: a code presented
 * twice revokes the grant), registers the user and stores the sealed
 * token.  Two Polar calls of up to sync_http_timeout_seconds each, so
 * the call waits on a thread of its own.
 */
int
oauth_exchange_call(struct http_request *req, struct reqctx *c,
    const char *code, const char *redirect_uri, call_done_fn done)
{
	struct ctl_call	*cc;

	cc = call_new(c, "syncd", PF_MSG_OAUTH_EXCHANGE,
	    2 * env->cfg->sync_http_timeout_seconds * 1000 + 5000);
	cc->code = pf_xstrdup(code);
	cc->redirect_uri = pf_xstrdup(redirect_uri);
	return call_run(req, c, true, done);
}

/* Best effort: syncd sweeps the queue anyway, this only saves the wait. */
int
polarhook_poke(struct http_request *req, struct reqctx *c, call_done_fn done)
{
	call_new(c, "syncd", PF_MSG_POLAR_HOOK_DRAIN, APID_HOOK_POKE_MS);
	return call_run(req, c, false, done);
}
