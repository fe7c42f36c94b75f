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
#include "common/msg.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"

static bool	ctl_used;

/* The request of cc: apid sends only what the REST routes need. */
static json_t *
request(const struct ctl_call *cc)
{
	/* sync_logs tell REST-triggered syncs from the scheduler's */
	struct pf_msg_sync_trigger		st = { .user_id = cc->uid,
	    .days = cc->days, .wait = cc->wait,
	    .trigger = PF_MSG_TRIGGER_API };
	struct pf_msg_analytics_recompute	ar = { .user_id = cc->uid };
	struct pf_msg_user_delete		ud = { .user_id = cc->uid };
	struct pf_msg_oauth_exchange		oe = { .code = cc->code,
	    .redirect_uri = cc->redirect_uri };

	if (strcmp(cc->type, PF_MSG_SYNC_TRIGGER) == 0)
		return pf_msg_sync_trigger_pack(&st);
	if (strcmp(cc->type, PF_MSG_ANALYTICS_RECOMPUTE) == 0)
		return pf_msg_analytics_recompute_pack(&ar);
	if (strcmp(cc->type, PF_MSG_USER_DELETE) == 0)
		return pf_msg_user_delete_pack(&ud);
	if (strcmp(cc->type, PF_MSG_OAUTH_EXCHANGE) == 0 && cc->code != NULL)
		return pf_msg_oauth_exchange_pack(&oe);
	return pf_ipc_msg_new(cc->type);
}

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
	if ((req = request(cc)) == NULL)
		return;
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
