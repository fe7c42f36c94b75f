/*
 * ctl.c -- the verbs of syncd.ctl beyond the built-ins (common/control.h),
 * and the body of its status reply.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/time.h"

#include "syncd.h"

json_t *
ctl_status(void)
{
	const struct quota	*q = fetch_quota();
	json_t			*r, *qo;
	int64_t			 now = pf_time_mono_ms();

	r = json_object();
	if (store_status_users(env->db, r) != PF_OK)
		json_object_set_new(r, "database", json_string("unavailable"));
	json_object_set_new(r, "webhooks", hook_status());
	qo = json_pack("{s:b,s:I,s:I}", "known", q->known, "api_calls",
	    (json_int_t)q->calls, "rate_limited", (json_int_t)q->rate_limited);
	if (q->known) {
		json_object_set_new(qo, "usage_15m", json_integer(q->usage_15m));
		json_object_set_new(qo, "limit_15m", json_integer(q->limit_15m));
		json_object_set_new(qo, "left_15m",
		    json_integer(q->limit_15m - q->usage_15m));
		json_object_set_new(qo, "reset_15m_s", json_integer(
		    q->reset_15m_at > now ? (q->reset_15m_at - now) / 1000 : 0));
		json_object_set_new(qo, "usage_24h", json_integer(q->usage_24h));
		json_object_set_new(qo, "limit_24h", json_integer(q->limit_24h));
		json_object_set_new(qo, "left_24h",
		    json_integer(q->limit_24h - q->usage_24h));
		json_object_set_new(qo, "reset_24h_s", json_integer(
		    q->reset_24h_at > now ? (q->reset_24h_at - now) / 1000 : 0));
	}
	json_object_set_new(qo, "paused_s", json_integer(q->paused_until > now ?
	    (q->paused_until - now + 999) / 1000 : 0));
	json_object_set_new(qo, "waiting", json_boolean(sched_quota_wait()));
	json_object_set_new(r, "quota", qo);
	json_object_set_new(r, "in_flight", sync_inflight_json());
	json_object_set_new(r, "queue", json_integer(sched_queue_len()));
	json_object_set_new(r, "http", json_pack("{s:I,s:I}", "active",
	    (json_int_t)fetch_inflight(), "queued", (json_int_t)fetch_queued()));
	/* big responses being parsed or written off the loop */
	json_object_set_new(r, "worker", json_pack("{s:I}", "items",
	    (json_int_t)worker_queued()));
	json_object_set_new(r, "syncs_done", json_integer(syncd->syncs_done));
	json_object_set_new(r, "syncs_failed",
	    json_integer(syncd->syncs_failed));
	json_object_set_new(r, "sync_enabled",
	    json_boolean(env->cfg->sync_enabled));
	json_object_set_new(r, "interval_minutes",
	    json_integer(env->cfg->sync_interval_minutes));
	json_object_set_new(r, "uptime_s",
	    json_integer((pf_time_now_ms() - env->started_ms) / 1000));
	return r;
}

static void
ctl_trigger(struct pf_ipc_request *req, const json_t *body)
{
	struct pf_msg_sync_trigger	 m;
	const char			*why, *uid;
	json_t				*reply;
	char				 reason[200];
	int				 r;

	if (pf_msg_sync_trigger_unpack(body, &m, &why) != PF_OK) {
		pf_ipc_request_fail(req, PF_ERR_INVALID, "%s", why);
		return;
	}
	uid = m.user_id;
	if (m.all) {
		if ((r = sched_request_all()) != PF_OK) {
			pf_ipc_request_fail(req, r, "could not schedule: %s",
			    pf_strerror(r));
			return;
		}
		reply = json_pack("{s:b}", "all", 1);
		pf_ipc_request_reply(req, reply);
		json_decref(reply);
		return;
	}
	r = sync_start(uid, m.trigger, m.days, m.wait ? req : NULL, reason,
	    sizeof(reason));
	switch (r) {
	case PF_OK:
		break;
	case PF_ERR_BUSY:
		pf_ipc_request_fail(req, PF_ERR_BUSY,
		    "a sync is already running for user %s (in this or "
		    "another syncd instance)", uid);
		return;
	case PF_ERR_NOTFOUND:
		pf_ipc_request_fail(req, PF_ERR_NOTFOUND,
		    "user %s is unknown, inactive or has no Polar token", uid);
		return;
	case PF_ERR_DENIED:
		pf_ipc_request_fail(req, PF_ERR_DENIED, "user %s must authorise "
		    "with Polar again (%s); syncs resume once it has", uid,
		    reason);
		return;
	case PF_ERR_CRYPTO:
		pf_ipc_request_fail(req, PF_ERR_CRYPTO, "the stored token of user "
		    "%s cannot be decrypted; the user must authorise again",
		    uid);
		return;
	default:
		pf_ipc_request_fail(req, r, "could not start the sync: %s",
		    pf_strerror(r));
		return;
	}
	if (m.wait)
		return;		/* replied by job_finish */
	reply = json_pack("{s:s,s:b}", "user_id", uid, "started", 1);
	pf_ipc_request_reply(req, reply);
	json_decref(reply);
}

static void
ctl_oauth(struct pf_ipc_request *req, const json_t *body)
{
	struct pf_msg_oauth_exchange	 m;
	const char			*why;

	if (pf_msg_oauth_exchange_unpack(body, &m, &why) != PF_OK) {
		pf_ipc_request_fail(req, PF_ERR_INVALID, "%s", why);
		return;
	}
	oauth_exchange(req, m.code, m.redirect_uri);
}

static void
ctl_user_delete(struct pf_ipc_request *req, const json_t *body)
{
	struct pf_msg_user_delete	 m;
	const char			*why;

	if (pf_msg_user_delete_unpack(body, &m, &why) != PF_OK) {
		pf_ipc_request_fail(req, PF_ERR_INVALID, "%s", why);
		return;
	}
	erase_user(req, m.user_id);
}

const struct pf_ctl_verb ctl_verbs[] = {
	{ PF_MSG_SYNC_TRIGGER,		ctl_trigger },
	{ PF_MSG_OAUTH_EXCHANGE,	ctl_oauth },
	{ PF_MSG_USER_DELETE,		ctl_user_delete },
	{ PF_MSG_POLAR_HOOK_CREATE,	polarhook_ctl },
	{ PF_MSG_POLAR_HOOK_SHOW,	polarhook_ctl },
	{ PF_MSG_POLAR_HOOK_DELETE,	polarhook_ctl },
	{ PF_MSG_POLAR_HOOK_DRAIN,	polarhook_ctl },
	{ NULL,				NULL }
};
