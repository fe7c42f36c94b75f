/*
 * oauth.c -- the SaaS OAuth bridge: how a SaaS backend onboards a user
 * without ever seeing their Polar token.
 *
 *   GET  /oauth/start?callback_url=..[&client_id=..]
 *	a single-use state (stored hashed, 10 minutes), then 302 to Polar's
 *	authorization page;
 *   GET  /oauth/callback?code=..&state=..  (Polar sends the browser here)
 *	the state is consumed, syncd exchanges the code, registers the user
 *	and seals the token, a single-use temporary code is stored hashed
 *	(5 minutes), then 302 to the SaaS callback with ?code=..;
 *   POST /oauth/exchange {"code"[, "client_id"]}  (the SaaS backend)
 *	spends the code and answers a new user-scoped API key, once.
 *
 * The key is made only at the exchange, so no usable key is ever at rest
 * between the callback and the exchange.  Every failure after the state
 * is known goes back to the caller's callback as error=..&status=failed
 * (the callback is checked against oauth_allowed_callbacks again first);
 * before that, or when it is no longer allowed, the answer is apid's JSON
 * error.  The routes stay out of openapi.json, as upstream's did.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/json.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/xmalloc.h"

#include "apid/request.h"

#define OAUTH_SECRET_BYTES	32	/* state and temporary code */
#define OAUTH_TEMP_PREFIX	"temp_"
#define OAUTH_TEMP_MAX		128	/* longer: not one of ours */
#define OAUTH_ERROR_MAX		64	/* Polar's error= we pass on */

enum oa_step { OA_START, OA_STATE, OA_CODE, OA_EXCHANGE };

struct oauth_ctx {
	enum oa_step	 step;
	char		 hash[PF_CRYPTO_SHA256_HEX_SIZE];
	char		 secret[sizeof(OAUTH_TEMP_PREFIX) +
			    2 * OAUTH_SECRET_BYTES];	/* state / code */
	char		 callback[OAUTH_CALLBACK_MAX + 1];
	char		 client_id[OAUTH_CLIENT_ID_MAX + 1];
	char		 code[PF_MSG_CODE_MAX + 1];	/* Polar's */
	char		 redirect[PF_MSG_REDIRECT_MAX + 1];
	char		 user_id[PF_USER_ID_MAX + 1];
	char		 limit[16];
};

void
oauth_free(struct reqctx *c)
{
	if (c->oa == NULL)
		return;
	explicit_bzero(c->oa, sizeof(*c->oa));
	free(c->oa);
	c->oa = NULL;
}

/* 302 to url (NUL-terminated in b); takes b. */
static int
redirect(struct http_request *req, struct reqctx *c, struct pf_buf *b)
{
	int	r;

	http_response_header(req, "location", b->p);
	r = respond(req, c, 302, "text/plain", NULL, 0);
	pf_buf_free(b);
	return r;
}

/*
 * Back to the caller's callback with error=why, when it is still allowed;
 * otherwise the JSON error (status, detail).
 */
static int
fail_back(struct http_request *req, struct reqctx *c, const char *why,
    int status, const char *detail)
{
	struct oauth_ctx	*oa = c->oa;
	struct pf_buf		 b = PF_BUF_INIT;
	char			 reason[160];

	pf_log_warnx("oauth: %s", why);
	if (oa->callback[0] == '\0' || oauth_callback_check(oa->callback,
	    env->cfg->oauth_allowed_callbacks, reason, sizeof(reason)) != 0)
		return respond_error(req, c, status, detail);
	pf_buf_adds(&b, oa->callback);
	oauth_url_param(&b, "error", why);
	oauth_url_param(&b, "status", "failed");
	return redirect(req, c, &b);
}

/*
 * The redirect URI given to Polar: base_url's, else the Host this request
 * came to (a loopback set-up without base_url).  Polar accepts only the
 * URI registered with the client, so a forged Host gains nothing.
 */
static bool
polar_redirect(struct http_request *req, char *out, size_t outlen)
{
	const char	*base = env->cfg->base_url, *host;
	size_t		 n;

	if (base != NULL && *base != '\0') {
		n = strlen(base);
		while (n > 0 && base[n - 1] == '/')
			n--;
		return (size_t)snprintf(out, outlen, "%.*s/oauth/callback",
		    (int)n, base) < outlen;
	}
	if (!http_request_header(req, "host", &host) || *host == '\0' ||
	    strlen(host) > 255 || host[strspn(host,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]")] != '\0')
		return false;
	return (size_t)snprintf(out, outlen, "http://%s/oauth/callback",
	    host) < outlen;
}

/* Printable ASCII only, no blanks. */
static bool
token_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

/* A fresh random secret with prefix in oa->secret, its hash in oa->hash. */
static int
new_secret(struct oauth_ctx *oa, const char *prefix)
{
	char	hex[2 * OAUTH_SECRET_BYTES + 1];

	if (pf_crypto_random_hex(OAUTH_SECRET_BYTES, hex, sizeof(hex)) !=
	    PF_OK)
		return -1;
	snprintf(oa->secret, sizeof(oa->secret), "%s%s", prefix, hex);
	pf_crypto_sha256_hex(oa->secret, strlen(oa->secret), oa->hash);
	explicit_bzero(hex, sizeof(hex));
	return 0;
}

static int
start_begin(struct http_request *req, struct reqctx *c)
{
	struct oauth_ctx	*oa = c->oa;
	char			 why[160], msg[200];
	int			 r;

	if (env->cfg->polar_client_id == NULL ||
	    *env->cfg->polar_client_id == '\0')
		return respond_error(req, c, 404,
		    "OAuth credentials not configured on server");
	r = query_get(req->query_string, "callback_url", oa->callback,
	    sizeof(oa->callback));
	if (r == 0 || (r == 1 && oa->callback[0] == '\0'))
		return respond_error(req, c, 400, "callback_url is required");
	if (r < 0) {
		oa->callback[0] = '\0';
		return respond_error(req, c, 400, r == -2 ?
		    "Invalid callback_url: given more than once" :
		    "Invalid callback_url: longer than 2048 bytes or "
		    "contains a control character");
	}
	if (oauth_callback_check(oa->callback,
	    env->cfg->oauth_allowed_callbacks, why, sizeof(why)) != 0) {
		snprintf(msg, sizeof(msg), "Invalid callback_url: %s", why);
		return respond_error(req, c, 400, msg);
	}
	r = query_get(req->query_string, "client_id", oa->client_id,
	    sizeof(oa->client_id));
	if (r < 0 || (r == 1 && !token_ok(oa->client_id)))
		return respond_error(req, c, 400, "Invalid client_id: at most "
		    "255 printable characters, given once");
	if (!polar_redirect(req, oa->redirect, sizeof(oa->redirect)))
		return respond_error(req, c, 400, "No usable Host header "
		    "(set base_url)");
	if (new_secret(oa, "") != 0)
		return respond_error(req, c, 503, "No randomness available");
	c->pv[0] = oa->hash;
	c->pv[1] = oa->callback;
	c->pv[2] = oa->client_id;
	c->nparams = 3;
	oa->step = OA_START;
	return start_query(c, store_sql_oauth_state_new);
}

static int
start_done(struct http_request *req, struct reqctx *c)
{
	struct oauth_ctx	*oa = c->oa;
	struct pf_buf		 b = PF_BUF_INIT;

	pf_buf_adds(&b, env->cfg->polar_auth_url);
	oauth_url_param(&b, "client_id", env->cfg->polar_client_id);
	oauth_url_param(&b, "response_type", "code");
	oauth_url_param(&b, "redirect_uri", oa->redirect);
	oauth_url_param(&b, "state", oa->secret);
	return redirect(req, c, &b);
}

static int
callback_begin(struct http_request *req, struct reqctx *c)
{
	struct oauth_ctx	*oa = c->oa;

	if (query_get(req->query_string, "state", oa->secret,
	    sizeof(oa->secret)) != 1 || strlen(oa->secret) !=
	    2 * OAUTH_SECRET_BYTES || strspn(oa->secret,
	    "0123456789abcdef") != 2 * OAUTH_SECRET_BYTES) {
		pf_log_warnx("oauth: callback without a well-formed state");
		return respond_error(req, c, 401,
		    "Invalid OAuth state - possible CSRF attack");
	}
	pf_crypto_sha256_hex(oa->secret, strlen(oa->secret), oa->hash);
	c->pv[0] = oa->hash;
	c->nparams = 1;
	oa->step = OA_STATE;
	return start_query(c, store_sql_oauth_state_take);
}

/* syncd's refusal as the error= the SaaS gets (the detail is logged). */
static const char *
exchange_error(const struct ctl_call *cc)
{
	const char	*code;

	if (cc->rc == PF_ERR_CLOSED)
		return "server_unavailable";
	if (cc->rc == PF_ERR_TIMEOUT)
		return "server_timeout";
	if (cc->rc != PF_OK)
		return "server_error";
	if (!json_is_false(json_object_get(cc->reply, "ok")))
		return NULL;
	code = json_string_value(json_object_get(cc->reply, "code"));
	if (code == NULL)
		return "server_error";
	if (strcmp(code, "invalid") == 0)
		return "exchange_failed";	/* Polar refused the code */
	if (strcmp(code, "proto") == 0)
		return "registration_failed";
	if (strcmp(code, "io") == 0)
		return "polar_unreachable";
	return "server_error";
}

static int
exchange_done(struct http_request *req, struct reqctx *c)
{
	struct oauth_ctx	*oa = c->oa;
	const struct ctl_call	*cc = call_result(c);
	const char		*err, *uid, *msg;

	if ((err = exchange_error(cc)) != NULL) {
		msg = cc->reply ? json_string_value(json_object_get(cc->reply,
		    "error")) : NULL;
		pf_log_warnx("oauth: syncd: %s", msg ? msg :
		    pf_strerror(cc->rc));
		return fail_back(req, c, err, 502, "Polar authorization "
		    "failed");
	}
	uid = json_string_value(json_object_get(cc->reply, "user_id"));
	if (uid == NULL || !pf_user_id_valid(uid))
		return fail_back(req, c, "server_error", 502,
		    "Bad answer from the sync service");
	snprintf(oa->user_id, sizeof(oa->user_id), "%s", uid);
	if (new_secret(oa, OAUTH_TEMP_PREFIX) != 0)
		return fail_back(req, c, "server_error", 503,
		    "No randomness available");
	c->pv[0] = oa->hash;
	c->pv[1] = oa->user_id;
	c->pv[2] = oa->client_id;
	c->nparams = 3;
	oa->step = OA_CODE;
	return start_query(c, store_sql_oauth_code_new);
}

/* Polar's error= passed on when it is a plain OAuth error name. */
static const char *
polar_error(const char *e)
{
	size_t	n = strlen(e);

	if (n == 0 || n > OAUTH_ERROR_MAX ||
	    strspn(e, "abcdefghijklmnopqrstuvwxyz_") != n)
		return "authorization_failed";
	return e;
}

static int
state_done(struct http_request *req, struct reqctx *c)
{
	struct oauth_ctx	*oa = c->oa;
	char			 why[160], err[OAUTH_ERROR_MAX + 2];
	int			 r;

	if (atoi(c->col[0]) != 200) {
		pf_log_warnx("oauth: callback with an unknown state");
		return respond_error(req, c, 401,
		    "Invalid OAuth state - possible CSRF attack");
	}
	snprintf(oa->callback, sizeof(oa->callback), "%s",
	    c->col[2] ? c->col[2] : "");
	snprintf(oa->client_id, sizeof(oa->client_id), "%s",
	    c->col[3] ? c->col[3] : "");
	if (oauth_callback_check(oa->callback,
	    env->cfg->oauth_allowed_callbacks, why, sizeof(why)) != 0) {
		pf_log_warnx("oauth: callback no longer allowed: %s", why);
		return respond_error(req, c, 400,
		    "callback_url is no longer allowed on this server");
	}
	if (strcmp(c->col[1], "ok") != 0)
		return fail_back(req, c, c->col[1], 401,
		    "Invalid OAuth state");
	r = query_get(req->query_string, "error", err, sizeof(err));
	if (r != 0)
		return fail_back(req, c, r == 1 ? polar_error(err) :
		    "authorization_failed", 401, "Polar authorization failed");
	r = query_get(req->query_string, "code", oa->code, sizeof(oa->code));
	if (r != 1 || oa->code[0] == '\0' || !token_ok(oa->code))
		return fail_back(req, c, "no_code", 401,
		    "Polar sent no usable code");
	if (!polar_redirect(req, oa->redirect, sizeof(oa->redirect)))
		return fail_back(req, c, "server_error", 400,
		    "No usable Host header (set base_url)");
	return oauth_exchange_call(req, c, oa->code, oa->redirect,
	    exchange_done);
}

static int
code_done(struct http_request *req, struct reqctx *c)
{
	struct oauth_ctx	*oa = c->oa;
	struct pf_buf		 b = PF_BUF_INIT;

	pf_log_info("oauth: user %s connected", oa->user_id);
	pf_buf_adds(&b, oa->callback);
	oauth_url_param(&b, "code", oa->secret);
	oauth_url_param(&b, "polar_user_id", oa->user_id);
	oauth_url_param(&b, "status", "connected");
	return redirect(req, c, &b);
}

/*
 * The exchange's body: JSON {"code", "client_id"?} or the same as a form.
 * Returns 0, or answers and returns -1.
 */
static int
exchange_body(struct http_request *req, struct reqctx *c, char *code,
    size_t codelen)
{
	struct oauth_ctx	*oa = c->oa;
	json_t			*doc = NULL;
	const char		*ct, *v;
	char			 body[4096];
	ssize_t			 n;
	size_t			 len = 0;
	int			 r = -1, rc;

	while (len < sizeof(body) - 1 && (n = http_body_read(req, body + len,
	    sizeof(body) - 1 - len)) > 0)
		len += (size_t)n;
	body[len] = '\0';
	if (len == sizeof(body) - 1) {
		respond_error(req, c, 413, "Request body too large");
		goto out;
	}
	if (http_request_header(req, "content-type", &ct) &&
	    strstr(ct, "json") != NULL) {
		if (pf_json_parse(body, len, 0, &doc, NULL, 0) != PF_OK ||
		    !json_is_object(doc)) {
			respond_error(req, c, 422, "Body must be a JSON object");
			goto out;
		}
		v = json_string_value(json_object_get(doc, "code"));
		if (v == NULL || *v == '\0') {
			respond_error(req, c, 422, "code is required");
			goto out;
		}
		snprintf(code, codelen, "%.*s", (int)(codelen - 1), v);
		if (strlen(v) >= codelen)
			code[0] = '\1';		/* too long: refused below */
		v = json_string_value(json_object_get(doc, "client_id"));
		if (json_object_get(doc, "client_id") != NULL &&
		    !json_is_null(json_object_get(doc, "client_id")) &&
		    (v == NULL || strlen(v) > OAUTH_CLIENT_ID_MAX)) {
			respond_error(req, c, 422, "client_id must be a string "
			    "of at most 255 characters");
			goto out;
		}
		snprintf(oa->client_id, sizeof(oa->client_id), "%s",
		    v ? v : "");
	} else {
		rc = query_get(body, "code", code, codelen);
		if (rc == 0 || (rc == 1 && code[0] == '\0')) {
			respond_error(req, c, 422, "code is required");
			goto out;
		}
		if (rc < 0)
			code[0] = '\1';
		if (query_get(body, "client_id", oa->client_id,
		    sizeof(oa->client_id)) < 0) {
			respond_error(req, c, 422, "client_id must be a string "
			    "of at most 255 characters");
			goto out;
		}
	}
	r = 0;
out:
	json_decref(doc);
	explicit_bzero(body, sizeof(body));
	return r;
}

static int
exchange_begin(struct http_request *req, struct reqctx *c)
{
	struct oauth_ctx	*oa = c->oa;
	char			 code[OAUTH_TEMP_MAX + 1];

	if (exchange_body(req, c, code, sizeof(code)) != 0)
		return KORE_RESULT_OK;
	/* Not one of ours: still hashed, so it is refused like any other. */
	if (!token_ok(code))
		snprintf(code, sizeof(code), "-");
	pf_crypto_sha256_hex(code, strlen(code), oa->hash);
	explicit_bzero(code, sizeof(code));
	if (pf_crypto_api_key_new(c->newkey) != PF_OK)
		return respond_error(req, c, 503, "No randomness available");
	pf_crypto_sha256_hex(c->newkey, strlen(c->newkey), c->pbuf[0]);
	snprintf(c->pbuf[1], sizeof(c->pbuf[1]), "%.12s", c->newkey);
	snprintf(oa->limit, sizeof(oa->limit), "%d", env->cfg->api_rate_limit);
	c->pv[0] = oa->hash;
	c->pv[1] = oa->client_id;
	c->pv[2] = c->pbuf[0];
	c->pv[3] = c->pbuf[1];
	c->pv[4] = oa->limit;
	c->nparams = 5;
	oa->step = OA_EXCHANGE;
	return start_query(c, store_sql_oauth_exchange);
}

/* Upstream's answer, plus user_id: the key is shown this once. */
static int
exchange_answer(struct http_request *req, struct reqctx *c)
{
	json_t	*o;
	char	*body;
	int	 r;

	if (atoi(c->col[0]) != 200) {
		pf_log_warnx("oauth: exchange refused: %s",
		    c->col[2] ? c->col[2] : "?");
		return respond_error(req, c, 401,
		    "Invalid or expired authorization code");
	}
	keys_drop_user(c->col[1]);
	o = json_pack("{s:s, s:s, s:s, s:n}", "api_key", c->newkey,
	    "polar_user_id", c->col[1], "user_id", c->col[1], "expires_at");
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return respond_error(req, c, 500, "Internal Server Error");
	r = respond_json(req, c, 201, body);
	explicit_bzero(body, strlen(body));
	free(body);
	return r;
}

int
oauth_begin(struct http_request *req, struct reqctx *c, int kind)
{
	c->oa = pf_xcalloc(1, sizeof(*c->oa));
	switch (kind) {
	case APID_K_OAUTH_START:
		return start_begin(req, c);
	case APID_K_OAUTH_CALLBACK:
		return callback_begin(req, c);
	default:
		return exchange_begin(req, c);
	}
}

int
oauth_query_done(struct http_request *req, struct reqctx *c)
{
	if (c->rows < 1 || c->col[0] == NULL || c->col[1] == NULL)
		return oauth_query_failed(req, c);
	switch (c->oa->step) {
	case OA_START:
		return start_done(req, c);
	case OA_STATE:
		return state_done(req, c);
	case OA_CODE:
		return code_done(req, c);
	default:
		return exchange_answer(req, c);
	}
}

/*
 * A statement failed (503, never 500: nothing the caller sent is at
 * fault).  Once the state is consumed the caller is sent back with
 * error=server_error rather than left on a JSON page.
 */
int
oauth_query_failed(struct http_request *req, struct reqctx *c)
{
	if (c->oa->step == OA_CODE)
		return fail_back(req, c, "server_error", 503,
		    "Database unavailable");
	return respond_error(req, c, 503, "Database unavailable");
}
