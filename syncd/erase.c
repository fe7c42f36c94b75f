/*
 * erase.c -- user.delete: deregister the user at Polar, then erase every
 * row of theirs (pf_user_delete, in one transaction).
 *
 * Polar comes first: once the rows are gone the token is gone too, and
 * the user would stay registered with this client for good.  A user whose
 * deregistration fails is erased all the same -- the person asked for it
 * -- and the reply and the log say what Polar answered.  A user with a
 * sync in flight is refused (the sync would write rows back); the caller
 * asks again when it has finished.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include "syncd.h"

struct erase {
	struct pf_ipc_request	*req;
	char			 user_id[PF_USER_ID_MAX + 1];
};

static void
erase_finish(struct erase *e, bool deregistered, const char *polar_error)
{
	json_t	*counts = NULL, *reply;
	int	 r;

	if (sync_running(e->user_id)) {
		pf_ipc_request_fail(e->req, PF_ERR_BUSY, "a sync of user %s "
		    "started meanwhile; ask again when it has finished",
		    e->user_id);
		goto out;
	}
	r = store_user_erase(env->db, e->user_id, &counts);
	if (r == PF_ERR_NOTFOUND) {
		pf_ipc_request_fail(e->req, r, "user %s not found",
		    e->user_id);
		goto out;
	}
	if (r != PF_OK) {
		pf_log_warnx("user %s: could not erase: %s", e->user_id,
		    pf_db_errmsg(env->db));
		pf_ipc_request_fail(e->req, r, "could not erase user %s: %s",
		    e->user_id, pf_strerror(r));
		goto out;
	}
	pf_log_info("user %s: erased%s", e->user_id, deregistered ?
	    ", deregistered at Polar" : "");
	reply = json_pack("{s:s, s:O, s:b}", "user_id", e->user_id, "rows",
	    counts, "polar_deregistered", deregistered);
	if (polar_error != NULL)
		json_object_set_new(reply, "polar_error",
		    json_string(polar_error));
	pf_ipc_request_reply(e->req, reply);
	json_decref(reply);
out:
	json_decref(counts);
	free(e);
}

static void
deregister_done(struct xfer *x, void *arg)
{
	struct erase	*e = arg;
	char		 why[300];

	if (x->cancelled) {
		pf_ipc_request_fail(e->req, PF_ERR_CLOSED, "syncd is stopping; "
		    "user %s was not erased", e->user_id);
		free(e);
		return;
	}
	/* 404: Polar does not know the user (any more): nothing to undo. */
	if (x->err == PF_OK && (x->status == 200 || x->status == 204 ||
	    x->status == 404)) {
		erase_finish(e, true, NULL);
		return;
	}
	if (x->err != PF_OK)
		snprintf(why, sizeof(why), "Polar unreachable: %s", x->errmsg);
	else
		snprintf(why, sizeof(why), "Polar answered HTTP %ld",
		    x->status);
	pf_log_warnx("user %s: deregistration at Polar failed (%s); erasing "
	    "the rows all the same", e->user_id, why);
	erase_finish(e, false, why);
}

void
erase_user(struct pf_ipc_request *req, const char *user_id)
{
	struct erase	*e;
	struct xfer	*x;
	char		*sealed = NULL, *plain = NULL, *url, reason[200];
	size_t		 plen = 0;
	bool		 active, reauth;
	int		 r;

	if (sync_running(user_id)) {
		pf_ipc_request_fail(req, PF_ERR_BUSY, "a sync of user %s is "
		    "running; ask again when it has finished", user_id);
		return;
	}
	e = pf_xcalloc(1, sizeof(*e));
	e->req = req;
	snprintf(e->user_id, sizeof(e->user_id), "%s", user_id);
	r = store_user_token(env->db, user_id, &sealed, &active, &reauth,
	    reason, sizeof(reason));
	if (r != PF_OK && r != PF_ERR_NOTFOUND) {
		pf_ipc_request_fail(req, r, "could not read user %s: %s",
		    user_id, pf_strerror(r));
		free(e);
		return;
	}
	if (sealed == NULL) {
		/* never connected (or only orphaned rows): nothing at Polar */
		erase_finish(e, false, "no Polar token stored");
		return;
	}
	r = pf_crypto_open(syncd->key, sealed, &plain, &plen);
	free(sealed);
	if (r != PF_OK) {
		erase_finish(e, false, "the stored token cannot be decrypted");
		return;
	}
	url = pf_xasprintf("%s/v3/users/%s", env->cfg->polar_api_url,
	    user_id);
	x = fetch_xfer_new(url, XA_BEARER, plain, deregister_done, e, NULL);
	x->method = "DELETE";
	free(url);
	pf_freezero(plain, plen + 1);
	fetch_submit(x);
}
