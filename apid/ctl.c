/*
 * ctl.c -- apid's control calls to syncd and analyticsd (common/ipc).
 *
 * The dial is synchronous, so a daemon that is not running fails at once
 * instead of hanging the worker; a live daemon is waited for at most
 * timeout_ms.
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

int
ctl_call(const char *daemon, const char *type, const char *uid, int days,
    json_t **reply, int timeout_ms)
{
	char	 url[256], sock[64];
	json_t	*req;
	int	 r;

	*reply = NULL;
	snprintf(sock, sizeof(sock), "%s.ctl", daemon);
	if (pf_ipc_url(url, sizeof(url), env->cfg->rundir, sock) != PF_OK)
		return PF_ERR_INVALID;
	if ((req = pf_ipc_msg_new(type)) == NULL)
		return PF_ERR_INVALID;
	if (uid != NULL)
		json_object_set_new(req, "user_id", json_string(uid));
	if (days > 0)
		json_object_set_new(req, "days", json_integer(days));
	/* sync_logs tell REST-triggered syncs from the scheduler's */
	if (strcmp(type, "sync.trigger") == 0)
		json_object_set_new(req, "trigger", json_string("api"));
	ctl_used = true;
	r = pf_ipc_call(url, req, reply, timeout_ms);
	json_decref(req);
	if (r != PF_OK)
		pf_log_debug("%s: %s", url, pf_strerror(r));
	return r;
}

void
ctl_fini(void)
{
	if (ctl_used)
		pf_ipc_fini();
}
