/*
 * ctl.c -- apid's control calls to syncd and analyticsd (nng REQ).
 *
 * common/ipc.c (pf_ipc_call) is meant to be the only user of nng; until
 * it is on main this file speaks the same envelope itself: a JSON object
 * with "v" and "type", one request and one reply, the dial synchronous so
 * a daemon that is not running fails at once (ECONNREFUSED/ENOENT) instead
 * of hanging the worker.  A live daemon is waited for at most timeout_ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <jansson.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "common/err.h"
#include "common/log.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"

static bool	ctl_used;

int
ctl_call(const char *daemon, const char *type, const char *uid, int days,
    json_t **reply, int timeout_ms)
{
	nng_socket	 s;
	char		 url[256], *txt = NULL, *buf = NULL;
	size_t		 sz = 0;
	json_t		*req, *rep;
	json_error_t	 jerr;
	int		 rv, r = PF_ERR_PROTO;

	*reply = NULL;
	if ((size_t)snprintf(url, sizeof(url), "ipc://%s/%s.ctl",
	    env->cfg->rundir, daemon) >= sizeof(url))
		return PF_ERR_INVALID;
	ctl_used = true;
	if (nng_req0_open(&s) != 0)
		return PF_ERR_IO;
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
	if ((rv = nng_dial(s, url, NULL, 0)) != 0) {
		nng_close(s);
		pf_log_debug("%s: %s", url, nng_strerror(rv));
		return PF_ERR_CLOSED;
	}
	req = json_pack("{s:i, s:s}", "v", 1, "type", type);
	if (uid != NULL)
		json_object_set_new(req, "user_id", json_string(uid));
	if (days > 0)
		json_object_set_new(req, "days", json_integer(days));
	txt = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (txt == NULL) {
		nng_close(s);
		return PF_ERR_NOMEM;
	}
	if ((rv = nng_send(s, txt, strlen(txt), 0)) != 0) {
		r = rv == NNG_ETIMEDOUT ? PF_ERR_TIMEOUT : PF_ERR_CLOSED;
		goto out;
	}
	if ((rv = nng_recv(s, &buf, &sz, NNG_FLAG_ALLOC)) != 0) {
		r = rv == NNG_ETIMEDOUT ? PF_ERR_TIMEOUT : PF_ERR_CLOSED;
		goto out;
	}
	rep = json_loadb(buf, sz, 0, &jerr);
	nng_free(buf, sz);
	if (rep == NULL || !json_is_object(rep) ||
	    json_integer_value(json_object_get(rep, "v")) != 1 ||
	    !json_is_string(json_object_get(rep, "type"))) {
		json_decref(rep);
		r = PF_ERR_PROTO;
		goto out;
	}
	*reply = rep;
	r = PF_OK;
out:
	free(txt);
	nng_close(s);
	return r;
}

void
ctl_fini(void)
{
	if (ctl_used)
		nng_fini();
}
