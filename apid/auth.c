/*
 * auth.c -- API keys: the raw key from the request, the master key, the
 * per-worker key cache and the quota lease statement (ratelimit.c), and
 * dropping a user's cached keys in every worker when they change.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/time.h"

#include <jansson.h>

#include "apid/request.h"

#define APID_MSG_KEYDROP	(KORE_MSG_APP_BASE + 1)
#define BEARER			"Bearer "

static void
keydrop_msg(struct kore_msg *msg, const void *data)
{
	char	uid[PF_USER_ID_MAX + 1];
	size_t	n = msg->length < PF_USER_ID_MAX ? msg->length : PF_USER_ID_MAX;

	memcpy(uid, data, n);
	uid[n] = '\0';
	keycache_drop_user(&env->keys, uid);
}

void
auth_worker_init(void)
{
	kore_msg_register(APID_MSG_KEYDROP, keydrop_msg);
}

void
keys_drop_user(const char *uid)
{
	keycache_drop_user(&env->keys, uid);
	kore_msg_send(KORE_MSG_WORKER_ALL, APID_MSG_KEYDROP, uid, strlen(uid));
}

/* X-API-Key, or "Authorization: Bearer <key>"; NULL when neither. */
static const char *
raw_key(struct http_request *req)
{
	const char	*h;

	if (http_request_header(req, "x-api-key", &h) && *h != '\0')
		return h;
	if (http_request_header(req, "authorization", &h) &&
	    strncasecmp(h, BEARER, strlen(BEARER)) == 0) {
		h += strlen(BEARER);
		while (*h == ' ')
			h++;
		if (*h != '\0')
			return h;
	}
	return NULL;
}

static bool
is_mcp(const struct reqctx *c)
{
	return c->route >= 0 && apid_routes[c->route].kind == APID_K_MCP;
}

/*
 * A refused key: REST's error envelope, or for /mcp upstream's
 * {"error": "..."} with the challenge RFC 6750 asks of a 401.
 */
static int
refuse(struct http_request *req, struct reqctx *c, int status,
    const char *msg)
{
	json_t	*o;
	char	*body;
	int	 r;

	if (!is_mcp(c))
		return respond_error(req, c, status, msg);
	if (status == 401)
		http_response_header(req, "www-authenticate",
		    "Bearer realm=\"polar-flow-server\"");
	o = json_pack("{s:s}", "error", msg);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	r = respond_json(req, c, status, body ? body : "{}");
	free(body);
	return r;
}

static void
ctx_key_from(struct reqctx *c, const struct apid_key *k)
{
	c->keyed = true;
	c->key_id = k->key_id;
	snprintf(c->key_user, sizeof(c->key_user), "%s", k->user_id);
	c->rl_limit = k->limit;
	c->rl_remaining = rl_remaining(k);
	c->rl_reset = (long)(k->window + RL_WINDOW_S);
}

static int
authorized(struct http_request *req, struct reqctx *c)
{
	c->state = REQ_ROUTE;
	return route_begin(req, c);
}

/* Parameters of the lease statement for the key hashed in c->hash. */
static void
lease_params(struct reqctx *c, const struct apid_key *k, int64_t now_s)
{
	int64_t	window = rl_window(now_s);
	int	want, i;

	if (k == NULL)
		want = 1;
	else if (k->lease > 0 && k->window == window)
		want = 0;
	else
		want = rl_want(k->limit, k->used_db);
	snprintf(c->pbuf[0], sizeof(c->pbuf[0]), "%s", c->hash);
	snprintf(c->pbuf[1], sizeof(c->pbuf[1]), "%" PRId64, window);
	snprintf(c->pbuf[2], sizeof(c->pbuf[2]), "%d", want);
	snprintf(c->pbuf[3], sizeof(c->pbuf[3]), "%d",
	    env->cfg->api_rate_limit);
	c->q = store_sql_lease;
	c->nparams = 4;
	for (i = 0; i < c->nparams; i++)
		c->pv[i] = c->pbuf[i];
}

int
auth_begin(struct http_request *req, struct reqctx *c)
{
	const char	*raw = raw_key(req);
	const char	*mk = env->cfg->api_key;
	struct apid_key	*k;
	int64_t		 now_s = pf_time_now_ms() / 1000;
	size_t		 len;

	if (raw == NULL)
		return refuse(req, c, 401,
		    "Missing API key. Use X-API-Key header.");
	len = strlen(raw);
	if (mk != NULL && *mk != '\0' &&
	    pf_crypto_ct_equal(raw, len, mk, strlen(mk))) {
		c->master = true;
		return authorized(req, c);
	}
	if (len > APID_KEY_LEN_MAX)
		return refuse(req, c, 401, "Invalid API key");
	pf_crypto_sha256_hex(raw, len, c->hash);
	k = keycache_find(&env->keys, c->hash);
	if (k != NULL && keycache_take(k, now_s, pf_time_mono_ms(),
	    env->key_ttl_ms)) {
		if (!k->valid)
			return refuse(req, c, 401, "Invalid API key");
		ctx_key_from(c, k);
		return authorized(req, c);
	}
	lease_params(c, k, now_s);
	c->state = REQ_LEASE;
	METRIC_INC(lease_queries);
	return KORE_RESULT_RETRY;	/* caller runs the state loop */
}

static int
ratelimited(struct http_request *req, struct reqctx *c,
    const struct apid_key *k, int64_t now_s)
{
	long	 after = rl_retry_after(k, now_s);
	char	*body, ra[24], msg[80];
	int	 r;

	ctx_key_from(c, k);
	METRIC_INC(ratelimited);
	snprintf(ra, sizeof(ra), "%ld", after);
	http_response_header(req, "retry-after", ra);
	if (is_mcp(c)) {
		snprintf(msg, sizeof(msg), "Rate limit exceeded. Retry after "
		    "%ld seconds.", after);
		return refuse(req, c, 429, msg);
	}
	body = render_ratelimited(after);
	r = respond_json(req, c, 429, body);
	free(body);
	return r;
}

int
lease_done(struct http_request *req, struct reqctx *c)
{
	struct apid_key	*k;
	int64_t		 now_s = pf_time_now_ms() / 1000;
	int64_t		 mono_ms = pf_time_mono_ms();

	k = keycache_put(&env->keys, c->hash);
	if (c->rows == 0) {
		k->valid = false;
		k->checked_ms = mono_ms;
		return refuse(req, c, 401, "Invalid API key");
	}
	k->valid = true;
	k->key_id = strtoll(c->col[0], NULL, 10);
	snprintf(k->user_id, sizeof(k->user_id), "%s", c->col[1]);
	keycache_lease(k, mono_ms, rl_window(now_s), atoi(c->col[2]),
	    atoi(c->col[3]), atoi(c->col[4]));
	ctx_clear_cols(c);
	if (k->lease <= 0)
		return ratelimited(req, c, k, now_s);
	k->lease--;
	ctx_key_from(c, k);
	return authorized(req, c);
}
