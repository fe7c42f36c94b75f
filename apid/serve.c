/*
 * serve.c -- the one kore handler: routing, authentication, rate
 * limiting, validation, the asynchronous query and the response.
 *
 * A request is a small state machine kept in req->hdlr_extra.  kore
 * calls apid_serve() again whenever the request is woken (a pgsql state
 * change); the handler then runs as far as it can in a loop and returns
 * KORE_RESULT_RETRY only when it really has to wait (stack-notes 3.6: a
 * RETRY after every step costs a 100 ms epoll wait).
 */
#include <sys/time.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>
#include <kore/tasks.h>

#include <jansson.h>

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/xmalloc.h"
#include "pf_schema.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"

#define APID_MSG_KEYDROP	(KORE_MSG_APP_BASE + 1)
#define NCOL			5

enum { ST_START, ST_LEASE, ST_ROUTE, ST_QUERY, ST_SYNC, ST_DONE };

/*
 * A sync trigger answered when the sync is over, as upstream does: the
 * wait runs in a kore task thread so the worker keeps serving.  The task
 * owns nothing of the request; it fills rc/reply, which the worker reads
 * only once the task has finished.
 */
struct sync_job {
	struct kore_task	 task;		/* first: the entry gets it */
	char			 rundir[256];
	char			 uid[PF_USER_ID_MAX + 1];
	int			 days;
	int			 rc;
	json_t			*reply;
};
enum { PG_WAIT, PG_DONE, PG_FAIL };

struct reqctx {
	int			 route;
	struct apid_match	 m;
	int			 state;
	uint64_t		 t0_us;

	struct kore_pgsql	 sql;
	bool			 sql_used;
	bool			 retried;
	const char		*q;
	int			 nparams;
	const char		*pv[APID_MAX_PARAMS];
	char			 pbuf[APID_MAX_PARAMS][128];
	int			 rows;
	char			*col[NCOL];
	char			 sqlstate[6];

	bool			 keyed;		/* a database key */
	bool			 master;
	char			 hash[PF_CRYPTO_SHA256_HEX_SIZE];
	int64_t			 key_id;
	char			 key_user[PF_USER_ID_MAX + 1];
	int			 rl_limit;
	int			 rl_remaining;
	long			 rl_reset;
	char			 newkey[PF_CRYPTO_API_KEY_SIZE];
	char			 uid[PF_USER_ID_MAX + 1];
	char			 ckey[512];
	size_t			 ckeylen;	/* 0: not cacheable */
	struct sync_job		*sj;
};

static uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
keydrop_msg(struct kore_msg *msg, const void *data)
{
	char	uid[PF_USER_ID_MAX + 1];
	size_t	i, n = msg->length < PF_USER_ID_MAX ? msg->length :
		    PF_USER_ID_MAX;

	memcpy(uid, data, n);
	uid[n] = '\0';
	for (i = 0; i < env->keys.nslot; i++)
		if (env->keys.slot[i].used &&
		    strcmp(env->keys.slot[i].user_id, uid) == 0)
			memset(&env->keys.slot[i], 0, sizeof(env->keys.slot[i]));
}

void
serve_worker_init(void)
{
	kore_msg_register(APID_MSG_KEYDROP, keydrop_msg);
}

/* Forget a user's keys here and in every other worker of this instance. */
static void
keys_drop_user(const char *uid)
{
	struct kore_msg	m;

	memset(&m, 0, sizeof(m));
	m.length = strlen(uid);
	keydrop_msg(&m, uid);
	kore_msg_send(KORE_MSG_WORKER_ALL, APID_MSG_KEYDROP, uid, strlen(uid));
}

static void
ctx_clear_cols(struct reqctx *c)
{
	int	i;

	for (i = 0; i < NCOL; i++) {
		free(c->col[i]);
		c->col[i] = NULL;
	}
	c->rows = 0;
}

static void
ctx_free(struct http_request *req)
{
	struct reqctx	*c = req->hdlr_extra;

	if (c == NULL)
		return;
	if (c->sql_used)
		kore_pgsql_cleanup(&c->sql);
	if (c->sj != NULL) {
		/* kore frees a request only once its tasks have finished */
		if (kore_task_finished(&c->sj->task)) {
			kore_task_destroy(&c->sj->task);
			json_decref(c->sj->reply);
			free(c->sj);
		} else
			pf_log_warnx("request freed with its sync task running");
		c->sj = NULL;
	}
	ctx_clear_cols(c);
	explicit_bzero(c->newkey, sizeof(c->newkey));
	free(c);
	req->hdlr_extra = NULL;
}

static void
access_log(struct http_request *req, struct reqctx *c, int status,
    uint64_t dur_us)
{
	json_t	*o;
	char	*s, ts[32];
	time_t	 t = time(NULL);
	struct tm tm;

	if (pf_log_get_level() > PF_LOG_INFO)
		return;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:I}",
	    "ts", ts, "level", "info", "prog", "polarflow-apid",
	    "pid", (int)getpid(), "msg", "request",
	    "method", http_method_text(req->method), "path", req->path,
	    "status", status, "duration_us", (json_int_t)dur_us);
	if (o == NULL)
		return;
	if (c->route >= 0)
		json_object_set_new(o, "route",
		    json_string(apid_routes[c->route].path));
	if (c->keyed)
		json_object_set_new(o, "key_id", json_integer(c->key_id));
	else if (c->master)
		json_object_set_new(o, "key_id", json_string("master"));
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		dprintf(STDERR_FILENO, "%s\n", s);
		free(s);
	}
	json_decref(o);
}

static int
respond(struct http_request *req, struct reqctx *c, int status,
    const char *ctype, const char *body, size_t len)
{
	const char	*proto;
	char		 num[32];
	uint64_t	 dur;

	http_response_header(req, "content-type", ctype);
	http_response_header(req, "cache-control", "no-store");
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response_header(req, "x-frame-options", "DENY");
	http_response_header(req, "referrer-policy", "same-origin");
	http_response_header(req, "content-security-policy",
	    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
	http_response_header(req, "permissions-policy",
	    "camera=(), microphone=(), geolocation=()");
	if (http_request_header(req, "x-forwarded-proto", &proto) &&
	    strcasecmp(proto, "https") == 0)
		http_response_header(req, "strict-transport-security",
		    "max-age=15768000");
	if (c->keyed) {
		snprintf(num, sizeof(num), "%d", c->rl_limit);
		http_response_header(req, "x-ratelimit-limit", num);
		snprintf(num, sizeof(num), "%d", c->rl_remaining);
		http_response_header(req, "x-ratelimit-remaining", num);
		snprintf(num, sizeof(num), "%ld", c->rl_reset);
		http_response_header(req, "x-ratelimit-reset", num);
	}
	http_response(req, status, body, len);
	c->state = ST_DONE;
	dur = now_us() - c->t0_us;
	metrics_observe(env->metrics, c->route, status, dur);
	access_log(req, c, status, dur);
	return KORE_RESULT_OK;
}

static int
respond_json(struct http_request *req, struct reqctx *c, int status,
    const char *body)
{
	return respond(req, c, status, "application/json", body,
	    strlen(body));
}

static int
respond_error(struct http_request *req, struct reqctx *c, int status,
    const char *detail)
{
	char	*b = render_error(status, detail, NULL);
	int	 r = respond_json(req, c, status, b);

	free(b);
	return r;
}

/* Runs c->q; PG_DONE with c->rows/c->col filled from row 0. */
static int
pg_step(struct http_request *req, struct reqctx *c)
{
	const char	*st;
	int		 i, n;

	if (!c->sql_used) {
		kore_pgsql_init(&c->sql);
		kore_pgsql_bind_request(&c->sql, req);
		c->sql_used = true;
		ctx_clear_cols(c);
	}
	for (;;) {
		switch (c->sql.state) {
		case KORE_PGSQL_STATE_INIT:
			if (!kore_pgsql_setup(&c->sql, "db", KORE_PGSQL_ASYNC)) {
				if (c->sql.state == KORE_PGSQL_STATE_INIT)
					return PG_WAIT;		/* queued */
				goto fail;
			}
			if (!kore_pgsql_query_param_fields(&c->sql, c->q, 0,
			    c->nparams, c->pv, NULL, NULL))
				goto fail;
			return PG_WAIT;
		case KORE_PGSQL_STATE_WAIT:
			return PG_WAIT;
		case KORE_PGSQL_STATE_RESULT:
			if (c->rows == 0) {
				c->rows = kore_pgsql_ntuples(&c->sql);
				n = kore_pgsql_nfields(&c->sql);
				for (i = 0; c->rows > 0 && i < n && i < NCOL;
				    i++)
					c->col[i] = pf_xstrdup(
					    kore_pgsql_getvalue(&c->sql, 0, i));
			}
			kore_pgsql_continue(&c->sql);
			continue;
		case KORE_PGSQL_STATE_ERROR:
			goto fail;
		case KORE_PGSQL_STATE_COMPLETE:
			kore_pgsql_cleanup(&c->sql);
			c->sql_used = false;
			return PG_DONE;
		default:
			kore_pgsql_continue(&c->sql);
			continue;
		}
fail:
		c->sqlstate[0] = '\0';
		if (c->sql.result != NULL &&
		    (st = PQresultErrorField(c->sql.result,
		    PG_DIAG_SQLSTATE)) != NULL)
			snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st);
		__atomic_fetch_add(&env->metrics->db_errors, 1,
		    __ATOMIC_RELAXED);
		if (c->sql.conn != NULL &&
		    PQstatus(c->sql.conn->db) == CONNECTION_BAD) {
			/*
			 * The server went away (restart): libpq closed the
			 * socket, so kore must not touch its epoll entry.
			 * Reconnect this pooled connection in place.
			 */
			c->sql.flags &= ~KORE_PGSQL_SCHEDULED;
			PQreset(c->sql.conn->db);
		}
		pf_log_warnx("database error%s%s: %s",
		    c->sqlstate[0] ? " " : "", c->sqlstate,
		    c->sql.error ? c->sql.error : "connection lost");
		kore_pgsql_cleanup(&c->sql);
		c->sql_used = false;
		if (!c->retried && (c->sqlstate[0] == '\0' ||
		    strncmp(c->sqlstate, "08", 2) == 0 ||
		    strncmp(c->sqlstate, "57P0", 4) == 0)) {
			c->retried = true;
			kore_pgsql_init(&c->sql);
			kore_pgsql_bind_request(&c->sql, req);
			c->sql_used = true;
			ctx_clear_cols(c);
			continue;
		}
		return PG_FAIL;
	}
}

static int
respond_dbfail(struct http_request *req, struct reqctx *c)
{
	if (strcmp(c->sqlstate, "57014") == 0)
		return respond_error(req, c, 503,
		    "Database query timed out");
	if (c->sqlstate[0] == '\0' || strncmp(c->sqlstate, "08", 2) == 0 ||
	    strncmp(c->sqlstate, "57P0", 4) == 0)
		return respond_error(req, c, 503, "Database unavailable");
	return respond_error(req, c, 500, "Internal Server Error");
}

static const char *
raw_key(struct http_request *req)
{
	const char	*h;

	if (http_request_header(req, "x-api-key", &h) && *h != '\0')
		return h;
	if (http_request_header(req, "authorization", &h) &&
	    strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		if (*h != '\0')
			return h;
	}
	return NULL;
}

static void
ctx_key_from(struct reqctx *c, const struct apid_key *k, int64_t now_s)
{
	(void)now_s;
	c->keyed = true;
	c->key_id = k->key_id;
	snprintf(c->key_user, sizeof(c->key_user), "%s", k->user_id);
	c->rl_limit = k->limit;
	c->rl_remaining = rl_remaining(k);
	c->rl_reset = (long)(k->window + 3600);
}

static int	route_begin(struct http_request *, struct reqctx *);

/* Returns OK when answered, RETRY to wait, or continues into ST_ROUTE. */
static int
auth_begin(struct http_request *req, struct reqctx *c)
{
	const char	*raw = raw_key(req);
	const char	*mk = env->cfg->api_key;
	struct apid_key	*k;
	int64_t		 now_ms = (int64_t)(now_us() / 1000);
	size_t		 len;

	if (raw == NULL)
		return respond_error(req, c, 401,
		    "Missing API key. Use X-API-Key header.");
	len = strlen(raw);
	if (mk != NULL && *mk != '\0' &&
	    pf_crypto_ct_equal(raw, len, mk, strlen(mk))) {
		c->master = true;
		c->state = ST_ROUTE;
		return route_begin(req, c);
	}
	if (len > 256)
		return respond_error(req, c, 401, "Invalid API key");
	pf_crypto_sha256_hex(raw, len, c->hash);
	k = keycache_find(&env->keys, c->hash);
	if (k != NULL && keycache_take(k, now_ms, env->key_ttl_ms)) {
		if (!k->valid)
			return respond_error(req, c, 401, "Invalid API key");
		ctx_key_from(c, k, now_ms / 1000);
		c->state = ST_ROUTE;
		return route_begin(req, c);
	}
	snprintf(c->pbuf[0], sizeof(c->pbuf[0]), "%s", c->hash);
	snprintf(c->pbuf[1], sizeof(c->pbuf[1]), "%" PRId64,
	    rl_window(now_ms / 1000));
	snprintf(c->pbuf[2], sizeof(c->pbuf[2]), "%d",
	    k == NULL ? 1 : (k->lease > 0 && k->window ==
	    rl_window(now_ms / 1000)) ? 0 : rl_want(k->limit, k->used_db));
	snprintf(c->pbuf[3], sizeof(c->pbuf[3]), "%d",
	    env->cfg->api_rate_limit);
	c->q = store_sql_lease;
	c->nparams = 4;
	for (int i = 0; i < 4; i++)
		c->pv[i] = c->pbuf[i];
	c->state = ST_LEASE;
	__atomic_fetch_add(&env->metrics->lease_queries, 1, __ATOMIC_RELAXED);
	return KORE_RESULT_RETRY;	/* caller runs the state loop */
}

static int
lease_done(struct http_request *req, struct reqctx *c)
{
	struct apid_key	*k;
	int64_t		 now_ms = (int64_t)(now_us() / 1000);
	int64_t		 window = rl_window(now_ms / 1000);
	char		*body;
	int		 r;

	k = keycache_put(&env->keys, c->hash);
	if (c->rows == 0) {
		k->valid = false;
		k->checked_ms = now_ms;
		return respond_error(req, c, 401, "Invalid API key");
	}
	k->valid = true;
	k->key_id = strtoll(c->col[0], NULL, 10);
	snprintf(k->user_id, sizeof(k->user_id), "%s", c->col[1]);
	keycache_lease(k, now_ms, window, atoi(c->col[2]), atoi(c->col[3]),
	    atoi(c->col[4]));
	ctx_clear_cols(c);
	if (k->lease <= 0) {
		ctx_key_from(c, k, now_ms / 1000);
		__atomic_fetch_add(&env->metrics->ratelimited, 1,
		    __ATOMIC_RELAXED);
		body = render_ratelimited(rl_retry_after(k, now_ms / 1000));
		char ra[24];
		snprintf(ra, sizeof(ra), "%ld",
		    rl_retry_after(k, now_ms / 1000));
		http_response_header(req, "retry-after", ra);
		r = respond_json(req, c, 429, body);
		free(body);
		return r;
	}
	k->lease--;
	ctx_key_from(c, k, now_ms / 1000);
	c->state = ST_ROUTE;
	return route_begin(req, c);
}

static int
start_query(struct reqctx *c, const char *q)
{
	c->q = q;
	c->state = ST_QUERY;
	return KORE_RESULT_RETRY;
}

static int
serve_static(struct http_request *req, struct reqctx *c, int kind)
{
	struct sbuf	b;
	int		r;
	extern const char _binary_apid_openapi_json_start[];
	extern const char _binary_apid_openapi_json_end[];

	switch (kind) {
	case APID_K_HEALTH:
		return respond_json(req, c, 200, "{\"status\":\"ok\","
		    "\"version\":\"" APID_VERSION "\"}");
	case APID_K_METRICS:
		sbuf_init(&b);
		metrics_render(env->metrics, &b);
		r = respond(req, c, 200, "text/plain; version=0.0.4", b.p,
		    b.len);
		sbuf_free(&b);
		return r;
	case APID_K_OPENAPI:
		return respond(req, c, 200, "application/json",
		    _binary_apid_openapi_json_start,
		    (size_t)(_binary_apid_openapi_json_end -
		    _binary_apid_openapi_json_start));
	case APID_K_READY:
		c->nparams = 0;
		return start_query(c, store_sql_ready);
	}
	return respond_error(req, c, 500, "Internal Server Error");
}

static int
respond_body(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt, int ctype, const char *body, size_t len)
{
	char	disp[128];

	if (ctype == 1) {
		snprintf(disp, sizeof(disp),
		    "attachment; filename=%.20s_%.8sdays.csv", rt->csv_name,
		    c->pbuf[1]);
		http_response_header(req, "content-disposition", disp);
		return respond(req, c, 200, "text/csv; charset=utf-8", body,
		    len);
	}
	return respond(req, c, 200, "application/json", body, len);
}

/*
 * Answers from the response cache when it can (OK), or prepares the key
 * under which query_done() stores the answer (RETRY).
 */
static int
cache_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	const struct apid_centry	*e;
	char				 today[16];
	time_t				 t = time(NULL);
	struct tm			 tm;
	int				 i, n;

	c->ckeylen = 0;
	/* Key and user rows change without an apid_data notification. */
	if (!env->cache_on || strstr(rt->path, "/api-key/") != NULL ||
	    strcmp(rt->path, "/api/v1/users/{user_id}/status") == 0)
		return KORE_RESULT_RETRY;
	gmtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	n = snprintf(c->ckey, sizeof(c->ckey), "%d|%s", c->route, today);
	for (i = 0; i < c->nparams && n > 0 && (size_t)n < sizeof(c->ckey);
	    i++)
		n += snprintf(c->ckey + n, sizeof(c->ckey) - (size_t)n, "|%s",
		    c->pv[i]);
	if (n <= 0 || (size_t)n >= sizeof(c->ckey))
		return KORE_RESULT_RETRY;
	c->ckeylen = (size_t)n;
	if ((e = cache_get(&env->cache, c->ckey, c->ckeylen)) == NULL) {
		__atomic_fetch_add(&env->metrics->cache_misses, 1,
		    __ATOMIC_RELAXED);
		return KORE_RESULT_RETRY;
	}
	__atomic_fetch_add(&env->metrics->cache_hits, 1, __ATOMIC_RELAXED);
	return respond_body(req, c, rt, e->ctype, e->body, e->len);
}

static int
route_begin(struct http_request *req, struct reqctx *c)
{
	const struct apid_route	*rt = &apid_routes[c->route];
	struct apid_verr	 e;
	char			*body;
	int			 i, days, r;

	/* Upstream's guard: a user-scoped key reads only its own user. */
	if (c->m.ncap > 0 && c->key_user[0] != '\0' &&
	    (strlen(c->key_user) != c->m.cap[0].len ||
	    memcmp(c->key_user, c->m.cap[0].p, c->m.cap[0].len) != 0))
		return respond_error(req, c, 401,
		    "API key not authorized for this user");

	c->nparams = 0;
	for (i = 0; i < c->m.ncap; i++) {
		r = validate_capture(c->m.capname[i], c->m.capnamelen[i],
		    &c->m.cap[i], c->pbuf[i], sizeof(c->pbuf[i]), &e);
		if (r == -2)
			return respond_error(req, c, 400,
			    "Invalid value: must be a finite number");
		if (r != 0)
			goto verror;
		c->pv[c->nparams++] = c->pbuf[i];
	}
	if (c->m.ncap > 0)
		snprintf(c->uid, sizeof(c->uid), "%.100s", c->pbuf[0]);
	if (rt->days_def > 0 || rt->kind == APID_K_SYNC) {
		if (validate_days(req->query_string, rt->days_def,
		    rt->days_min, rt->days_max, &days, &e) != 0)
			goto verror;
		snprintf(c->pbuf[c->nparams], sizeof(c->pbuf[0]), "%d", days);
		c->pv[c->nparams] = c->pbuf[c->nparams];
		if (rt->days_def > 0)
			c->nparams++;
	}

	switch (rt->kind) {
	case APID_K_SQL:
	case APID_K_CSV:
		if (cache_begin(req, c, rt) == KORE_RESULT_OK)
			return KORE_RESULT_OK;
		return start_query(c, route_sql_of(c->route));
	case APID_K_SYNC:
		return start_query(c, route_sql_of(c->route));
	case APID_K_RECOMPUTE: {
		json_t		*reply = NULL;
		const char	*msg = NULL;

		r = ctl_call("analyticsd", PF_MSG_ANALYTICS_RECOMPUTE, c->uid,
		    0, &reply, APID_SYNC_TIMEOUT_MS);
		if (r == PF_ERR_CLOSED || r == PF_ERR_TIMEOUT) {
			json_decref(reply);
			return respond_error(req, c, 503, r == PF_ERR_CLOSED ?
			    "Analytics service (polarflow-analyticsd) is not "
			    "running; try again later" :
			    "Analytics service (polarflow-analyticsd) did not "
			    "answer in time");
		}
		if (r == PF_OK && json_is_false(json_object_get(reply,
		    "ok"))) {
			msg = json_string_value(json_object_get(reply,
			    "error"));
			body = render_error(502, msg ? msg :
			    "analytics recompute failed", NULL);
			json_decref(reply);
			r = respond_json(req, c, 502, body);
			free(body);
			return r;
		}
		json_decref(reply);
		if (r != PF_OK)
			return respond_error(req, c, 502,
			    "Bad answer from the analytics service");
		return start_query(c, route_sql_of(c->route));
	}
	case APID_K_KEY_REGEN:
		if (pf_crypto_api_key_new(c->newkey) != PF_OK)
			return respond_error(req, c, 500,
			    "Internal Server Error");
		pf_crypto_sha256_hex(c->newkey, strlen(c->newkey), c->pbuf[1]);
		snprintf(c->pbuf[2], sizeof(c->pbuf[2]), "%.12s", c->newkey);
		c->pv[1] = c->pbuf[1];
		c->pv[2] = c->pbuf[2];
		c->nparams = 3;
		return start_query(c, route_sql_of(c->route));
	default:
		return serve_static(req, c, rt->kind);
	}

verror:
	body = render_verror(http_method_text(req->method), req->path,
	    req->query_string, &e);
	r = respond_json(req, c, 400, body);
	free(body);
	return r;
}

/* syncd's refusals, in upstream's words, answered; -1 for a usable reply. */
static int
sync_refused(struct http_request *req, struct reqctx *c, int r, json_t *reply)
{
	const char	*msg, *code;

	if (r == PF_ERR_CLOSED)
		return respond_error(req, c, 503, "Sync service "
		    "(polarflow-syncd) is not running; sync cannot be "
		    "triggered now");
	if (r == PF_ERR_TIMEOUT)
		return respond_error(req, c, 503, "Sync service "
		    "(polarflow-syncd) did not answer in time");
	if (r != PF_OK)
		return respond_error(req, c, 502,
		    "Bad answer from the sync service");
	if (!json_is_false(json_object_get(reply, "ok")))
		return -1;
	msg = json_string_value(json_object_get(reply, "error"));
	code = json_string_value(json_object_get(reply, "code"));
	if (code != NULL && strcmp(code, "busy") == 0)
		return respond_error(req, c, 409,
		    "A sync is already running for this user");
	if (code != NULL && strcmp(code, "notfound") == 0)
		return respond_error(req, c, 404, msg ? msg :
		    "User not found");
	return respond_error(req, c, 502, msg ? msg : "sync trigger failed");
}

/* Upstream's names for the "records" keys, in its order. */
static const struct {
	const char	*stream;	/* syncd's */
	const char	*key;		/* upstream's */
} sync_keys[] = {
	{ "sleep", "sleep" }, { "nightly_recharge", "recharge" },
	{ "activity", "activity" }, { "exercise", "exercises" },
	{ "cardio_load", "cardio_load" },
	{ "sleepwise_alertness", "sleepwise_alertness" },
	{ "sleepwise_bedtime", "sleepwise_bedtime" },
	{ "activity_samples", "activity_samples" },
	{ "continuous_heart_rate", "continuous_hr" }, { "spo2", "spo2" },
	{ "ecg", "ecg" }, { "body_temperature", "body_temperature" },
	{ "skin_temperature", "skin_temperature" },
	{ "physical_info", "physical_info" },
};

/* A borrowed member of obj, or null. */
static json_t *
field_or_null(const json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	return v != NULL ? v : json_null();
}

/*
 * Upstream's answer: {status: success|partial, user_id, records{14},
 * errors|null, total_records}, plus sync_id, api_calls and duration_ms.
 * Upstream says "partial" for any error, even when everything failed.
 */
static int
sync_answer(struct http_request *req, struct reqctx *c, const json_t *reply)
{
	json_t		*out, *records, *errors, *in_rec, *in_err, *v;
	const char	*status;
	json_int_t	 n, total = 0;
	size_t		 i;
	char		*body;
	int		 r;

	in_rec = json_object_get(reply, "records");
	in_err = json_object_get(reply, "errors");
	records = json_object();
	errors = json_object();
	for (i = 0; i < sizeof(sync_keys) / sizeof(sync_keys[0]); i++) {
		v = json_object_get(in_rec, sync_keys[i].stream);
		n = json_is_integer(v) ? json_integer_value(v) : 0;
		total += n;
		json_object_set_new(records, sync_keys[i].key, json_integer(n));
		v = json_object_get(in_err, sync_keys[i].stream);
		if (json_is_string(v))
			json_object_set(errors, sync_keys[i].key, v);
	}
	status = json_string_value(json_object_get(reply, "status"));
	if (status == NULL || strcmp(status, "success") != 0 ||
	    json_object_size(errors) > 0)
		status = "partial";
	if (json_object_size(errors) == 0) {
		json_decref(errors);
		errors = json_null();		/* upstream's "no errors" */
	}
	out = json_pack("{s:s, s:s, s:o, s:o, s:I, s:O, s:O, s:O}",
	    "status", status, "user_id", c->uid, "records", records,
	    "errors", errors, "total_records", total,
	    "sync_id", field_or_null(reply, "sync_id"),
	    "api_calls", field_or_null(reply, "api_calls"),
	    "duration_ms", field_or_null(reply, "duration_ms"));
	body = out ? json_dumps(out, JSON_COMPACT) : NULL;
	r = body ? respond_json(req, c, 200, body) :
	    respond_error(req, c, 500, "Internal Server Error");
	free(body);
	json_decref(out);
	return r;
}

/* Runs in a task thread: the whole sync, waited for. */
static int
sync_task(struct kore_task *t)
{
	struct sync_job	*sj = (struct sync_job *)t;

	sj->rc = ctl_sync_wait(sj->rundir, sj->uid, sj->days, &sj->reply);
	return KORE_RESULT_OK;
}

static int
sync_done(struct http_request *req, struct reqctx *c)
{
	struct sync_job	*sj = c->sj;
	int		 r;

	if ((r = sync_refused(req, c, sj->rc, sj->reply)) != -1)
		return r;
	return sync_answer(req, c, sj->reply);
}

/*
 * "Prefer: respond-async" (RFC 7240) gets 202 as soon as syncd has
 * started the sync; without it the answer waits for the sync, as
 * upstream's did, in a task so no worker is held.
 */
static bool
prefer_async(struct http_request *req)
{
	const char	*h;

	return http_request_header(req, "prefer", &h) &&
	    strcasestr(h, "respond-async") != NULL;
}

static int
sync_trigger(struct http_request *req, struct reqctx *c)
{
	json_t		*reply = NULL, *out;
	char		*body;
	int		 r, days;

	days = atoi(c->pbuf[1]);	/* 0: absent, syncd's default */
	if (!prefer_async(req)) {
		c->sj = pf_xcalloc(1, sizeof(*c->sj));
		snprintf(c->sj->rundir, sizeof(c->sj->rundir), "%s",
		    env->cfg->rundir);
		snprintf(c->sj->uid, sizeof(c->sj->uid), "%s", c->uid);
		c->sj->days = days;
		kore_task_create(&c->sj->task, sync_task);
		kore_task_bind_request(&c->sj->task, req);
		kore_task_run(&c->sj->task);
		c->state = ST_SYNC;
		return KORE_RESULT_RETRY;
	}
	r = ctl_call("syncd", PF_MSG_SYNC_TRIGGER, c->uid, days, &reply,
	    APID_SYNC_TIMEOUT_MS);
	if ((r = sync_refused(req, c, r, reply)) != -1) {
		json_decref(reply);
		return r;
	}
	out = json_deep_copy(reply);
	json_object_del(out, "v");
	json_object_del(out, "type");
	json_object_del(out, "ok");
	if (json_object_get(out, "status") == NULL)
		json_object_set_new(out, "status", json_string("started"));
	json_object_set_new(out, "user_id", json_string(c->uid));
	body = json_dumps(out, JSON_COMPACT);
	r = respond_json(req, c, 202, body ? body : "{}");
	free(body);
	json_decref(out);
	json_decref(reply);
	return r;
}

static int
query_done(struct http_request *req, struct reqctx *c)
{
	const struct apid_route	*rt = &apid_routes[c->route];
	char			*body;
	int			 code, r;
	size_t			 n;
	json_t			*o;

	if (rt->kind == APID_K_READY) {
		int ver = c->rows > 0 && c->col[1] ? atoi(c->col[1]) : 0;
		json_t *rep = NULL;
		int sr = ctl_call("syncd", PF_MSG_STATUS, NULL, 0, &rep, 500);
		json_decref(rep);
		o = json_pack("{s:s, s:s, s:{s:i, s:i, s:b}, s:s}",
		    "status", ver >= PF_SCHEMA_VERSION ? "ready" : "not_ready",
		    "database", "ok", "schema", "current", ver, "required",
		    PF_SCHEMA_VERSION, "ok", ver >= PF_SCHEMA_VERSION,
		    "syncd", sr == PF_OK ? "ok" : "down");
		body = json_dumps(o, JSON_COMPACT);
		r = respond_json(req, c, ver >= PF_SCHEMA_VERSION ? 200 : 503,
		    body);
		free(body);
		json_decref(o);
		return r;
	}
	if (c->rows < 1 || c->col[0] == NULL || c->col[1] == NULL)
		return respond_error(req, c, 500, "Internal Server Error");
	code = atoi(c->col[0]);
	if (code != 200)
		return respond_error(req, c, code, c->col[1]);
	switch (rt->kind) {
	case APID_K_CSV:
	case APID_K_SQL:
		if (strstr(rt->path, "/api-key/revoke") != NULL)
			break;
		n = strlen(c->col[1]);
		if (rt->kind == APID_K_SQL)
			n = json_minify(c->col[1], n);
		if (c->ckeylen > 0 && env->cache_on)
			cache_put(&env->cache, c->ckey, c->ckeylen, c->uid,
			    rt->kind == APID_K_CSV, c->col[1], n);
		return respond_body(req, c, rt, rt->kind == APID_K_CSV,
		    c->col[1], n);
	case APID_K_SYNC:
		return sync_trigger(req, c);
	case APID_K_KEY_REGEN:
		keys_drop_user(c->uid);
		o = json_pack("{s:s, s:s}", "api_key", c->newkey, "message",
		    "Key regenerated successfully. Old key is now invalid.");
		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		r = respond_json(req, c, 200, body);
		explicit_bzero(body, strlen(body));
		free(body);
		return r;
	default:
		break;
	}
	if (strstr(rt->path, "/api-key/revoke") != NULL)
		keys_drop_user(c->uid);
	return respond_json(req, c, 200, c->col[1]);
}

int
apid_serve(struct http_request *req)
{
	struct reqctx	*c = req->hdlr_extra;
	int		 r;

	if (c == NULL) {
		/*
		 * Before any cached key or response is trusted: the event
		 * loop may not have turned since a commit a client already
		 * saw; later notifications reach the loop while we wait.
		 */
		listen_drain();
		c = pf_xcalloc(1, sizeof(*c));
		req->hdlr_extra = c;
		req->onfree = ctx_free;
		c->t0_us = now_us();
		c->route = route_match(http_method_text(req->method),
		    req->path, &c->m);
		if (c->route == -1)
			return respond_error(req, c, 404, "Not Found");
		if (c->route == -2)
			return respond_error(req, c, 405,
			    "Method Not Allowed");
		/* content_length is only meaningful for body methods. */
		if ((req->method == HTTP_METHOD_POST ||
		    req->method == HTTP_METHOD_PUT ||
		    req->method == HTTP_METHOD_PATCH) &&
		    req->content_length > APID_BODY_MAX)
			return respond_error(req, c, 413,
			    "Request body too large");
		if (apid_routes[c->route].flags & APID_R_AUTH)
			r = auth_begin(req, c);
		else {
			c->state = ST_ROUTE;
			r = route_begin(req, c);
		}
		if (r == KORE_RESULT_OK)
			return r;
	}
	for (;;) {
		switch (c->state) {
		case ST_LEASE:
			switch (pg_step(req, c)) {
			case PG_WAIT:
				return KORE_RESULT_RETRY;
			case PG_FAIL:
				return respond_dbfail(req, c);
			}
			r = lease_done(req, c);
			break;
		case ST_QUERY:
			switch (pg_step(req, c)) {
			case PG_WAIT:
				return KORE_RESULT_RETRY;
			case PG_FAIL:
				if (apid_routes[c->route].kind ==
				    APID_K_READY) {
					return respond_error(req, c, 503,
					    "Database unreachable");
				}
				return respond_dbfail(req, c);
			}
			return query_done(req, c);
		case ST_SYNC:
			if (!kore_task_finished(&c->sj->task)) {
				http_request_sleep(req);
				return KORE_RESULT_RETRY;
			}
			return sync_done(req, c);
		case ST_DONE:
			return KORE_RESULT_OK;
		default:
			return respond_error(req, c, 500,
			    "Internal Server Error");
		}
		if (r == KORE_RESULT_OK)
			return r;
	}
}
