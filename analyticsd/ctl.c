/*
 * ctl.c -- the verbs of analyticsd.ctl beyond the built-ins
 * (common/control.h), the body of its status reply, and the data.changed
 * subscriber.
 *
 * Verb: analytics.recompute {"user_id"} | {"all": true}.  A verb with bad
 * arguments gets an error reply; a malformed event is logged and dropped.
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
#include "common/msg.h"
#include "common/time.h"

#include "analyticsd/analyticsd.h"

/* Events handled per wake-up before jobs get a turn. */
#define EVENTS_PER_WAKE	256

json_t *
ctl_status(void)
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
	    json_integer(env->cfg->analytics_reconcile_seconds));
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
	struct pf_msg_analytics_recompute	 m;
	const char				*why;
	json_t					*reply;
	int					 n;

	if (pf_msg_analytics_recompute_unpack(body, &m, &why) != PF_OK) {
		pf_ipc_request_fail(req, PF_ERR_INVALID, "%s", why);
		return;
	}
	if (m.all) {
		if ((n = jobs_add_all(pf_time_mono_ms(), m.full)) < 0) {
			pf_ipc_request_fail(req, n, "could not list users");
			return;
		}
	} else {
		if (!jobs_add(m.user_id, JOB_REQUEST, m.full ? AD_DAY_ALL :
		    AD_DAY_NONE, pf_time_mono_ms())) {
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

const struct pf_ctl_verb ctl_verbs[] = {
	{ PF_MSG_ANALYTICS_RECOMPUTE,	do_recompute },
	{ NULL,				NULL }
};

int
ctl_event(const json_t *ev, int64_t now)
{
	struct pf_msg_data_changed	 dc;
	const char			*type;
	int32_t				 first;

	if (pf_ipc_msg_check(ev, &type) != PF_OK)
		goto bad;
	if (strcmp(type, PF_MSG_DATA_CHANGED) != 0) {
		pf_log_debug("ignoring event %s", type);
		return PF_OK;
	}
	if (pf_msg_data_changed_unpack(ev, &dc, NULL) != PF_OK)
		goto bad;
	first = dc.first_day == PF_MSG_DAY_NONE ? AD_DAY_NONE :
	    (int32_t)dc.first_day;
	if (!jobs_add(dc.user_id, JOB_EVENT, first, now))
		goto bad;
	jobs_count_event(true);
	pf_log_debug("data.changed for user %s queued", dc.user_id);
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
		r = pf_ipc_sub_recv(analyticsd->sub, &ev);
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
