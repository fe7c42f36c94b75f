/*
 * ctl.c -- apid's control calls to syncd and analyticsd (common/ipc).
 *
 * The dial is synchronous, so a daemon that is not running fails at once
 * instead of hanging the worker; a live daemon is waited for at most
 * timeout_ms.  ctl_sync_wait() may wait minutes and runs in a kore task
 * thread (serve.c), so it is given its own copy of everything it reads.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/msg.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"

static bool	ctl_used;

/* The request of type: apid sends only what the REST routes need. */
static json_t *
request(const char *type, const char *uid, int days, bool wait)
{
	/* sync_logs tell REST-triggered syncs from the scheduler's */
	struct pf_msg_sync_trigger		st = { .user_id = uid,
	    .days = days, .wait = wait, .trigger = PF_MSG_TRIGGER_API };
	struct pf_msg_analytics_recompute	ar = { .user_id = uid };

	if (strcmp(type, PF_MSG_SYNC_TRIGGER) == 0)
		return pf_msg_sync_trigger_pack(&st);
	if (strcmp(type, PF_MSG_ANALYTICS_RECOMPUTE) == 0)
		return pf_msg_analytics_recompute_pack(&ar);
	return pf_ipc_msg_new(type);
}

static int
call(const char *rundir, const char *daemon, const char *type,
    const char *uid, int days, bool wait, json_t **reply, int timeout_ms)
{
	char	 url[256], sock[64];
	json_t	*req;
	int	 r;

	*reply = NULL;
	snprintf(sock, sizeof(sock), "%s.ctl", daemon);
	if (pf_ipc_url(url, sizeof(url), rundir, sock) != PF_OK)
		return PF_ERR_INVALID;
	if ((req = request(type, uid, days, wait)) == NULL)
		return PF_ERR_INVALID;
	__atomic_store_n(&ctl_used, true, __ATOMIC_RELAXED);
	r = pf_ipc_call(url, req, reply, timeout_ms);
	json_decref(req);
	if (r != PF_OK)
		pf_log_debug("%s: %s", url, pf_strerror(r));
	return r;
}

int
ctl_call(const char *daemon, const char *type, const char *uid, int days,
    json_t **reply, int timeout_ms)
{
	return call(env->cfg->rundir, daemon, type, uid, days, false, reply,
	    timeout_ms);
}

int
ctl_sync_wait(const char *rundir, const char *uid, int days, json_t **reply)
{
	return call(rundir, "syncd", PF_MSG_SYNC_TRIGGER, uid, days, true,
	    reply, APID_SYNC_WAIT_MS);
}

void
ctl_fini(void)
{
	if (__atomic_load_n(&ctl_used, __ATOMIC_RELAXED))
		pf_ipc_fini();
}
