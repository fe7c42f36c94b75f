/*
 * oauth.c -- oauth.exchange: Polar's authorization code for a token, then
 * user registration (POST /v3/users, 409 = already registered).  The
 * token is sealed before it reaches the database and never leaves syncd.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include "syncd.h"

struct oauth {
	struct pf_ipc_request	*req;
	char			*token;
	char			 user_id[32];
	int64_t			 expires_in;
};

static void
oauth_free(struct oauth *o)
{
	if (o->token != NULL)
		pf_freezero(o->token, strlen(o->token));
	free(o);
}

/*
 * A failed exchange is logged as a warning as well as answered: the
 * caller may be a browser redirect nobody watches, and the code is spent.
 */
static void
exchange_failed(struct oauth *o, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
exchange_failed(struct oauth *o, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[300];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pf_log_warnx("oauth.exchange: %s", msg);
	pf_ipc_request_fail(o->req, code, "%s", msg);
}

static void
register_done(struct xfer *x, void *arg)
{
	struct oauth	*o = arg;
	json_t		*reply;
	char		*sealed = NULL;
	int		 r;

	if (x->cancelled) {
		pf_ipc_request_fail(o->req, PF_ERR_CLOSED, "syncd is stopping");
		oauth_free(o);
		return;
	}
	if (x->err != PF_OK || (x->status != 200 && x->status != 201 &&
	    x->status != 204 && x->status != 409)) {
		if (x->status == 403)
			exchange_failed(o, PF_ERR_PROTO, "Polar refused the "
			    "registration (403): the user has not accepted the "
			    "required consents");
		else
			exchange_failed(o, PF_ERR_PROTO, "Polar user "
			    "registration failed: %s", x->err ? x->errmsg :
			    x->status == 401 ? "token rejected (401)" :
			    "unexpected HTTP status");
		oauth_free(o);
		return;
	}
	if ((r = pf_crypto_seal(syncd->key, o->token, strlen(o->token),
	    &sealed)) != PF_OK ||
	    (r = store_user_save(env->db, o->user_id, o->user_id, sealed,
	    o->expires_in)) != PF_OK) {
		pf_log_warnx("user %s: could not store the token: %s",
		    o->user_id, r == PF_ERR_CRYPTO ? "sealing failed" :
		    pf_db_errmsg(env->db));
		pf_ipc_request_fail(o->req, r, "could not store the token");
		free(sealed);
		oauth_free(o);
		return;
	}
	free(sealed);
	pf_log_info("user %s: authorised with Polar%s", o->user_id,
	    x->status == 409 ? " (already registered)" : "");
	reply = json_pack("{s:s,s:s,s:b}", "user_id", o->user_id,
	    "polar_user_id", o->user_id, "registered", 1);
	pf_ipc_request_reply(o->req, reply);
	json_decref(reply);
	sched_poke();
	oauth_free(o);
}

static void
token_done(struct xfer *x, void *arg)
{
	struct oauth	*o = arg;
	struct xfer	*reg;
	json_t		*doc = NULL, *body;
	const char	*tok, *ecode = NULL;
	char		*url, *text;
	int64_t		 uid, exp;
	bool		 present;

	if (x->cancelled) {
		pf_ipc_request_fail(o->req, PF_ERR_CLOSED, "syncd is stopping");
		goto out;
	}
	if (x->err != PF_OK) {
		exchange_failed(o, PF_ERR_IO, "Polar token endpoint "
		    "unreachable: %s", x->errmsg);
		goto out;
	}
	if (x->resp != NULL)
		pf_json_parse(x->resp, x->resp_len, 0, &doc, NULL, 0);
	if (x->status != 200) {
		if (doc != NULL && json_is_object(doc))
			pf_json_get_strn(doc, "error", 64, &ecode);
		exchange_failed(o, PF_ERR_INVALID, "Polar token exchange "
		    "failed: HTTP %ld%s%s", x->status, ecode ? ": " : "",
		    ecode ? ecode : "");
		goto out;
	}
	if (doc == NULL || !json_is_object(doc) ||
	    pf_json_get_strn(doc, "access_token", 1024, &tok) != PF_OK ||
	    *tok == '\0' ||
	    (pf_json_get_int64_lenient(doc, "x_user_id", &uid) != PF_OK) ||
	    uid <= 0 || pf_json_opt_int64(doc, "expires_in", &exp, &present) !=
	    PF_OK) {
		exchange_failed(o, PF_ERR_PROTO,
		    "malformed token response from Polar");
		goto out;
	}
	o->token = pf_xstrdup(tok);
	snprintf(o->user_id, sizeof(o->user_id), "%" PRId64, uid);
	o->expires_in = present ? exp : 0;
	url = pf_xasprintf("%s/v3/users", env->cfg->polar_api_url);
	reg = fetch_xfer_new(url, XA_BEARER, o->token, register_done, o,
	    NULL);
	free(url);
	body = json_pack("{s:s}", "member-id", o->user_id);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	reg->body = text;
	reg->ctype = "application/json";
	fetch_submit(reg);
	json_decref(doc);
	return;
out:
	json_decref(doc);
	oauth_free(o);
}

void
oauth_exchange(struct pf_ipc_request *req, const char *code,
    const char *redirect_uri)
{
	struct oauth	*o;
	struct xfer	*x;
	char		*ec, *er = NULL, *basic;
	const char	*secret = syncd->client_secret;

	if (env->cfg->polar_client_id == NULL ||
	    *env->cfg->polar_client_id == '\0' || secret == NULL ||
	    *secret == '\0') {
		pf_ipc_request_fail(req, PF_ERR_INVALID, "polar_client_id and "
		    "polar_client_secret are not configured");
		return;
	}
	o = pf_xcalloc(1, sizeof(*o));
	o->req = req;
	ec = curl_easy_escape(NULL, code, 0);
	if (redirect_uri != NULL)
		er = curl_easy_escape(NULL, redirect_uri, 0);
	basic = pf_xasprintf("%s:%s", env->cfg->polar_client_id, secret);
	x = fetch_xfer_new(env->cfg->polar_token_url, XA_BASIC, basic,
	    token_done, o, NULL);
	pf_freezero(basic, strlen(basic));
	/*
	 * Polar's authorization codes are single-use and presenting one
	 * twice revokes the grant, so a failed exchange is never retried:
	 * the user authorises again instead.
	 */
	x->once = true;
	x->body = pf_xasprintf("grant_type=authorization_code&code=%s%s%s",
	    ec ? ec : "", er ? "&redirect_uri=" : "", er ? er : "");
	x->ctype = "application/x-www-form-urlencoded";
	curl_free(ec);
	curl_free(er);
	fetch_submit(x);
}
