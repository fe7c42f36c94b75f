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

#include "apid/apid.h"
#include "apid/apid_kore.h"

static bool	ctl_used;

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
	if ((req = pf_ipc_msg_new(type)) == NULL)
		return PF_ERR_INVALID;
	if (uid != NULL)
		json_object_set_new(req, "user_id", json_string(uid));
	if (days > 0)
		json_object_set_new(req, "days", json_integer(days));
	if (wait)
		json_object_set_new(req, "wait", json_true());
	/* sync_logs tell REST-triggered syncs from the scheduler's */
	if (strcmp(type, "sync.trigger") == 0)
		json_object_set_new(req, "trigger", json_string("api"));
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
	return call(rundir, "syncd", "sync.trigger", uid, days, true, reply,
	    APID_SYNC_WAIT_MS);
}

void
ctl_fini(void)
{
	if (__atomic_load_n(&ctl_used, __ATOMIC_RELAXED))
		pf_ipc_fini();
}
