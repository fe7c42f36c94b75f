/*
 * ctl.c -- the control socket (REP) and the data.changed subscriber.
 *
 * Verbs: status, analytics.recompute {"user_id"} | {"all": true},
 * log.verbose, log.brief, reload.  Anything else, or a verb with bad
 * arguments, gets an error reply; a malformed event is logged and dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"

#include "analyticsd/analyticsd.h"
#include "analyticsd/daemon.h"

/* Events handled per wake-up before jobs get a turn. */
#define EVENTS_PER_WAKE	256

static json_t *
status_reply(void)
{
	struct job_run	 runs[AD_LAST_RUNS];
	json_t		*o, *a, *e;
	char		 iso[AD_ISO_LEN];
	int64_t		 stale = -1, acc, drop;
	size_t		 i, n;

	o = json_object();
	json_object_set_new(o, "queue", json_integer((json_int_t)jobs_queued()));
	json_object_set_new(o, "in_flight", json_integer(jobs_in_flight()));
	json_object_set_new(o, "runs", json_integer(jobs_total_runs()));
	json_object_set_new(o, "errors", json_integer(jobs_total_errors()));
	if (store_stale_count(env->db, &stale) == PF_OK)
		json_object_set_new(o, "stale_users", json_integer(stale));
	else
		json_object_set_new(o, "stale_users", json_null());
	jobs_event_counts(&acc, &drop);
	e = json_object();
	json_object_set_new(e, "accepted", json_integer(acc));
	json_object_set_new(e, "dropped", json_integer(drop));
	json_object_set_new(o, "events", e);
	json_object_set_new(o, "reconcile_seconds",
	    json_integer(env->conf->analytics_reconcile_seconds));
	a = json_array();
	n = jobs_last_runs(runs, AD_LAST_RUNS);
	for (i = 0; i < n; i++) {
		e = json_object();
		json_object_set_new(e, "user_id", json_string(runs[i].user_id));
		compute_iso(runs[i].finished_ms, iso);
		json_object_set_new(e, "finished_at", json_string(iso));
		json_object_set_new(e, "duration_ms",
		    json_integer(runs[i].duration_ms));
		json_object_set_new(e, "ok", json_boolean(runs[i].error ==
		    PF_OK));
		if (runs[i].error != PF_OK)
			json_object_set_new(e, "error",
			    json_string(pf_strerror(runs[i].error)));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "last_runs", a);
	return o;
}

static void
do_recompute(struct pf_ipc_request *req, const json_t *body)
{
	const char	*uid;
	json_t		*reply;
	bool		 all = false, full = false;
	int		 r, n;

	r = pf_json_get_bool(body, "all", &all);
	if (r != PF_OK && r != PF_ERR_NOTFOUND) {
		pf_ipc_request_fail(req, PF_ERR_INVALID,
		    "\"all\" must be a boolean");
		return;
	}
	r = pf_json_get_bool(body, "full", &full);
	if (r != PF_OK && r != PF_ERR_NOTFOUND) {
		pf_ipc_request_fail(req, PF_ERR_INVALID,
		    "\"full\" must be a boolean");
		return;
	}
	if (all) {
		if ((n = jobs_add_all(pf_time_mono_ms(), full)) < 0) {
			pf_ipc_request_fail(req, n, "could not list users");
			return;
		}
	} else {
		if (pf_json_get_strn(body, "user_id", PF_USER_ID_MAX,
		    &uid) != PF_OK) {
			pf_ipc_request_fail(req, PF_ERR_INVALID,
			    "expected {\"user_id\": \"...\"} or "
			    "{\"all\": true}");
			return;
		}
		if (!jobs_add(uid, JOB_REQUEST, full ? AD_DAY_ALL : AD_DAY_NONE,
		    pf_time_mono_ms())) {
			pf_ipc_request_fail(req, PF_ERR_INVALID,
			    "invalid user_id");
			return;
		}
		n = 1;
	}
	pf_log_info("recompute requested for %d user%s", n, n == 1 ? "" : "s");
	reply = json_object();
	json_object_set_new(reply, "queued", json_integer(n));
	pf_ipc_request_reply(req, reply);
	json_decref(reply);
}

int
ctl_reload(char *err, size_t errlen)
{
	struct pf_config	*nc;
	int			 r;

	if ((r = pf_config_load(&nc, env->conf_path, err, errlen)) != PF_OK)
		return r;
	if (strcmp(nc->database_url, env->conf->database_url) != 0 ||
	    strcmp(nc->rundir, env->conf->rundir) != 0)
		pf_log_warnx("database_url and rundir changes take effect "
		    "at restart");
	pf_config_free(env->conf);
	env->conf = nc;
	pf_log_set_format(nc->log_format);
	pf_log_set_level(env->verbose > 0 ? PF_LOG_DEBUG : nc->log_level);
	pf_log_info("configuration reloaded");
	return PF_OK;
}

static void
handle(struct pf_ipc_request *req)
{
	const char	*type = pf_ipc_request_type(req);
	const json_t	*body = pf_ipc_request_body(req);
	json_t		*reply;
	char		 err[256];

	if (strcmp(type, "status") == 0) {
		reply = status_reply();
		pf_ipc_request_reply(req, reply);
		json_decref(reply);
	} else if (strcmp(type, "analytics.recompute") == 0) {
		do_recompute(req, body);
	} else if (strcmp(type, "log.verbose") == 0 ||
	    strcmp(type, "log.brief") == 0) {
		env->verbose = type[4] == 'v';
		pf_log_set_level(env->verbose ? PF_LOG_DEBUG :
		    env->conf->log_level);
		pf_log_info("logging %s", env->verbose ? "verbose" : "brief");
		reply = json_object();
		pf_ipc_request_reply(req, reply);
		json_decref(reply);
	} else if (strcmp(type, "reload") == 0) {
		if (ctl_reload(err, sizeof(err)) != PF_OK) {
			pf_log_warnx("could not reload configuration: %s", err);
			pf_ipc_request_fail(req, PF_ERR_INVALID,
			    "could not reload configuration: %s", err);
			return;
		}
		reply = json_object();
		pf_ipc_request_reply(req, reply);
		json_decref(reply);
	} else
		pf_ipc_request_fail(req, PF_ERR_INVALID, "unknown request %s",
		    type);
}

void
ctl_dispatch(void)
{
	struct pf_ipc_request	*req;

	while (pf_ipc_server_next(env->ctl, &req) == PF_OK)
		handle(req);
}

/* "YYYY-MM-DD" or absent/null; PF_ERR_PROTO otherwise. */
static int
opt_day(const json_t *ev, const char *key, int32_t *day)
{
	const char	*s;
	int64_t		 d;
	int		 r;

	*day = AD_DAY_NONE;
	r = pf_json_get_strn(ev, key, 10, &s);
	if (r == PF_ERR_NOTFOUND || r == PF_ERR_NULL)
		return PF_OK;
	if (r != PF_OK || pf_time_parse_date(s, strlen(s), &d) != PF_OK)
		return PF_ERR_PROTO;
	*day = (int32_t)d;
	return PF_OK;
}

int
ctl_event(const json_t *ev, int64_t now)
{
	const char	*type, *uid, *sid;
	json_t		*streams;
	int32_t		 first, lastd;
	size_t		 i;
	int		 r;

	if (pf_ipc_msg_check(ev, &type) != PF_OK)
		goto bad;
	if (strcmp(type, "data.changed") != 0) {
		pf_log_debug("ignoring event %s", type);
		return PF_OK;
	}
	if (pf_json_get_strn(ev, "user_id", PF_USER_ID_MAX, &uid) != PF_OK)
		goto bad;
	r = pf_json_get_strn(ev, "sync_id", 64, &sid);
	if (r != PF_OK && r != PF_ERR_NOTFOUND && r != PF_ERR_NULL)
		goto bad;
	r = pf_json_get_array(ev, "streams", &streams);
	if (r == PF_OK) {
		for (i = 0; i < json_array_size(streams); i++)
			if (!json_is_string(json_array_get(streams, i)))
				goto bad;
	} else if (r != PF_ERR_NOTFOUND && r != PF_ERR_NULL)
		goto bad;
	if (opt_day(ev, "first_day", &first) != PF_OK ||
	    opt_day(ev, "last_day", &lastd) != PF_OK)
		goto bad;
	if (first != AD_DAY_NONE && lastd != AD_DAY_NONE && first > lastd)
		goto bad;
	if (!jobs_add(uid, JOB_EVENT, first, now))
		goto bad;
	jobs_count_event(true);
	pf_log_debug("data.changed for user %s queued", uid);
	return PF_OK;
bad:
	jobs_count_event(false);
	pf_log_warnx("dropping malformed data.changed event");
	return PF_ERR_PROTO;
}

void
ctl_events(void)
{
	json_t	*ev;
	int	 r, n = 0;

	while (n++ < EVENTS_PER_WAKE) {
		r = pf_ipc_sub_recv(env->sub, &ev);
		if (r == PF_ERR_NOTFOUND)
			break;
		if (r != PF_OK) {
			jobs_count_event(false);
			continue;
		}
		ctl_event(ev, pf_time_mono_ms());
		json_decref(ev);
	}
}
