/*
 * ctl.c -- apid's control calls to syncd and analyticsd (common/ipc).
 *
 * Every call runs in a kore task thread (synctask.c), never in the
 * worker's loop, and works on its own copy of everything it reads.  The
 * dial is synchronous, so a daemon that is not running fails at once; a
 * live daemon is waited for at most timeout_ms.
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

void
ctl_run(struct ctl_call *cc)
{
	char	 url[256], sock[64];
	json_t	*req;

	cc->reply = NULL;
	cc->rc = PF_ERR_INVALID;
	snprintf(sock, sizeof(sock), "%s.ctl", cc->daemon);
	if (pf_ipc_url(url, sizeof(url), cc->rundir, sock) != PF_OK)
		return;
	if ((req = pf_ipc_msg_new(cc->type)) == NULL)
		return;
	if (cc->uid[0] != '\0')
		json_object_set_new(req, "user_id", json_string(cc->uid));
	if (cc->days > 0)
		json_object_set_new(req, "days", json_integer(cc->days));
	if (cc->wait)
		json_object_set_new(req, "wait", json_true());
	/* sync_logs tell REST-triggered syncs from the scheduler's */
	if (strcmp(cc->type, "sync.trigger") == 0)
		json_object_set_new(req, "trigger", json_string("api"));
	__atomic_store_n(&ctl_used, true, __ATOMIC_RELAXED);
	cc->rc = pf_ipc_call(url, req, &cc->reply, cc->timeout_ms);
	json_decref(req);
	if (cc->rc != PF_OK)
		pf_log_debug("%s: %s", url, pf_strerror(cc->rc));
}

void
ctl_fini(void)
{
	if (__atomic_load_n(&ctl_used, __ATOMIC_RELAXED))
		pf_ipc_fini();
}
