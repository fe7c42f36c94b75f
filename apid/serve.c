/*
 * serve.c -- the one kore handler: the request's state machine, routing,
 * validation, the asynchronous query and the dispatch by route kind.
 * Authentication is in auth.c, answers in respond.c, calls to the other
 * daemons in synctask.c; the request's state is in request.h.
 *
 * kore calls apid_serve() again whenever the request is woken (a pgsql
 * state change, a finished task); the handler then runs as far as it can
 * in a loop and returns KORE_RESULT_RETRY only when it really has to
 * wait: kore answers a RETRY by waiting in epoll for up to 100 ms, so a
 * RETRY after every step would add that much to every request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "apid/request.h"

enum { PG_WAIT, PG_DONE, PG_FAIL };

void
ctx_clear_cols(struct reqctx *c)
{
	int	i;

	for (i = 0; i < REQ_NCOL; i++) {
		free(c->col[i]);
		c->col[i] = NULL;
	}
	c->rows = 0;
}

static void
ctx_free(struct http_request *req)
{
	struct reqctx	*c = req->hdlr_extra;
	int		 i;

	if (c == NULL)
		return;
	if (c->sql_used)
		kore_pgsql_cleanup(&c->sql);
	call_free(c);
	mcp_free(c);
	oauth_free(c);
	ingest_free(c);
	console_free(c);
	ctx_clear_cols(c);
	for (i = 0; i < APID_MAX_PARAMS; i++)
		free(c->pheap[i]);
	explicit_bzero(c->newkey, sizeof(c->newkey));
	free(c);
	req->hdlr_extra = NULL;
}

static void
pg_start(struct http_request *req, struct reqctx *c)
{
	kore_pgsql_init(&c->sql);
	kore_pgsql_bind_request(&c->sql, req);
	c->sql_used = true;
	ctx_clear_cols(c);
}

/* No result, or a lost connection: worth one more try. */
static bool
pg_conn_lost(const char *sqlstate)
{
	return sqlstate[0] == '\0' ||
	    pf_db_sqlstate_err(sqlstate) == PF_ERR_DB_CONN;
}

/* The statement failed: note why, repair the connection; true to retry. */
static bool
pg_failed(struct reqctx *c)
{
	const char	*st;

	c->sqlstate[0] = '\0';
	if (c->sql.result != NULL && (st = PQresultErrorField(c->sql.result,
	    PG_DIAG_SQLSTATE)) != NULL)
		snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st);
	METRIC_INC(db_errors);
	if (c->sql.conn != NULL &&
	    PQstatus(c->sql.conn->db) == CONNECTION_BAD) {
		/*
		 * The server went away (restart): libpq closed the socket,
		 * so kore must not touch its epoll entry.  Reconnect this
		 * pooled connection in place.
		 */
		c->sql.flags &= ~KORE_PGSQL_SCHEDULED;
		PQreset(c->sql.conn->db);
	}
	pf_log_warnx("database error%s%s: %s", c->sqlstate[0] ? " " : "",
	    c->sqlstate, c->sql.error ? c->sql.error : "connection lost");
	kore_pgsql_cleanup(&c->sql);
	c->sql_used = false;
	if (c->on_replica) {
		/* whatever went wrong there, the primary answers */
		replica_failed(c->sqlstate[0] ? c->sqlstate :
		    "connection lost");
		c->on_replica = false;
		METRIC_INC(replica_fallbacks);
		return true;
	}
	if (c->retried || !pg_conn_lost(c->sqlstate))
		return false;
	c->retried = true;
	return true;
}

/* Keeps row 0's first REQ_NCOL columns in c->col. */
static void
pg_keep_row(struct reqctx *c)
{
	int	i, n;

	if (c->rows != 0)
		return;
	c->rows = kore_pgsql_ntuples(&c->sql);
	n = kore_pgsql_nfields(&c->sql);
	for (i = 0; c->rows > 0 && i < n && i < REQ_NCOL; i++)
		c->col[i] = pf_xstrdup(kore_pgsql_getvalue(&c->sql, 0, i));
}

/* Runs c->q; PG_DONE with c->rows/c->col filled from row 0. */
static int
pg_step(struct http_request *req, struct reqctx *c)
{
	if (!c->sql_used)
		pg_start(req, c);
	for (;;) {
		switch (c->sql.state) {
		case KORE_PGSQL_STATE_INIT:
			if (!kore_pgsql_setup(&c->sql, c->on_replica ?
			    "replica" : "db", KORE_PGSQL_ASYNC)) {
				if (c->sql.state == KORE_PGSQL_STATE_INIT)
					return PG_WAIT;		/* queued */
				break;
			}
			if (!kore_pgsql_query_param_fields(&c->sql, c->q, 0,
			    c->nparams, c->pv, NULL, NULL))
				break;
			return PG_WAIT;
		case KORE_PGSQL_STATE_WAIT:
			return PG_WAIT;
		case KORE_PGSQL_STATE_RESULT:
			pg_keep_row(c);
			kore_pgsql_continue(&c->sql);
			continue;
		case KORE_PGSQL_STATE_ERROR:
			break;
		case KORE_PGSQL_STATE_COMPLETE:
			kore_pgsql_cleanup(&c->sql);
			c->sql_used = false;
			if (c->on_replica)
				METRIC_INC(replica_reads);
			return PG_DONE;
		default:
			kore_pgsql_continue(&c->sql);
			continue;
		}
		if (!pg_failed(c))
			return PG_FAIL;
		pg_start(req, c);
	}
}

int
start_query(struct reqctx *c, const char *q)
{
	c->q = q;
	c->state = REQ_QUERY;
	return KORE_RESULT_RETRY;
}

static int
serve_static(struct http_request *req, struct reqctx *c, int kind)
{
	struct pf_buf	b;
	int		r;
	extern const char _binary_apid_openapi_json_start[];
	extern const char _binary_apid_openapi_json_end[];

	switch (kind) {
	case APID_K_HEALTH:
		return respond_json(req, c, 200, "{\"status\":\"ok\","
		    "\"version\":\"" APID_VERSION "\"}");
	case APID_K_METRICS:
		pf_buf_init(&b);
		metrics_render(env->metrics, &b);
		r = respond(req, c, 200, "text/plain; version=0.0.4", b.p,
		    b.len);
		pf_buf_free(&b);
		return r;
	case APID_K_OPENAPI:
		return respond(req, c, 200, "application/json",
		    _binary_apid_openapi_json_start,
		    (size_t)(_binary_apid_openapi_json_end -
		    _binary_apid_openapi_json_start));
	}
	return respond_error(req, c, 500, "Internal Server Error");
}

/*
 * Validates the path captures into c->pbuf/c->pv ($1..) and, for an
 * APID_R_DAYS route, "days" into c->days (bound next with
 * APID_R_BIND_DAYS).  Returns 0, or answers (400) and returns -1.
 */
static int
bind_params(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	struct apid_verr	e;
	int			i, r;

	c->nparams = 0;
	for (i = 0; i < c->m.ncap; i++) {
		r = validate_capture(c->m.capname[i], c->m.capnamelen[i],
		    &c->m.cap[i], c->pbuf[i], sizeof(c->pbuf[i]), &e);
		if (r == -2) {
			respond_error(req, c, 400,
			    "Invalid value: must be a finite number");
			return -1;
		}
		if (r != 0)
			goto verror;
		c->pv[c->nparams++] = c->pbuf[i];
	}
	if (c->m.ncap > 0)
		snprintf(c->uid, sizeof(c->uid), "%.100s", c->pbuf[0]);
	if (rt->flags & APID_R_BIND_CALLER) {
		snprintf(c->pbuf[c->nparams], sizeof(c->pbuf[0]), "%lld",
		    c->keyed ? (long long)c->key_id : 0LL);
		c->pv[c->nparams] = c->pbuf[c->nparams];
		c->nparams++;
		snprintf(c->pbuf[c->nparams], sizeof(c->pbuf[0]), "%d",
		    c->rl_remaining);
		c->pv[c->nparams] = c->pbuf[c->nparams];
		c->nparams++;
	}
	if (rt->flags & APID_R_HEALTH_Q) {
		struct apid_health_q	q;

		if (validate_health_query(req->query_string, &q, &e) != 0 ||
		    c->nparams + 4 > APID_MAX_PARAMS)
			goto verror;
		snprintf(c->pbuf[c->nparams], sizeof(c->pbuf[0]), "%s",
		    q.name);
		snprintf(c->pbuf[c->nparams + 1], sizeof(c->pbuf[0]), "%s",
		    q.from);
		snprintf(c->pbuf[c->nparams + 2], sizeof(c->pbuf[0]), "%s",
		    q.to);
		snprintf(c->pbuf[c->nparams + 3], sizeof(c->pbuf[0]), "%s",
		    q.agg);
		for (i = 0; i < 4; i++, c->nparams++)
			c->pv[c->nparams] = c->pbuf[c->nparams];
	}
	if (!(rt->flags & APID_R_DAYS))
		return 0;
	if (validate_days(req->query_string, rt->days_def, rt->days_min,
	    rt->days_max, &c->days, &e) != 0)
		goto verror;
	if (rt->flags & APID_R_BIND_DAYS) {
		snprintf(c->pbuf[c->nparams], sizeof(c->pbuf[0]), "%d",
		    c->days);
		c->pv[c->nparams] = c->pbuf[c->nparams];
		c->nparams++;
	}
	return 0;
verror:
	respond_verror(req, c, &e);
	return -1;
}

/* A new key, made here; the statement stores its hash and prefix. */
static int
key_regen_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	if (pf_crypto_api_key_new(c->newkey) != PF_OK)
		return respond_error(req, c, 500, "Internal Server Error");
	pf_crypto_sha256_hex(c->newkey, strlen(c->newkey), c->pbuf[1]);
	snprintf(c->pbuf[2], sizeof(c->pbuf[2]), "%.12s", c->newkey);
	c->pv[1] = c->pbuf[1];
	c->pv[2] = c->pbuf[2];
	c->nparams = 3;
	return start_query(c, rt->sql);
}

int
route_begin(struct http_request *req, struct reqctx *c)
{
	const struct apid_route	*rt = &apid_routes[c->route];

	/* The HRV Metrics API's routes name no user of ours. */
	if (rt->flags & APID_R_NOUSER)
		return hrv_begin(req, c, rt);
	/* Upstream's guard: a user-scoped key reads only its own user. */
	if (c->m.ncap > 0 && c->key_user[0] != '\0' &&
	    (strlen(c->key_user) != c->m.cap[0].len ||
	    memcmp(c->key_user, c->m.cap[0].p, c->m.cap[0].len) != 0))
		return respond_error(req, c, 401,
		    "API key not authorized for this user");
	if ((rt->flags & APID_R_SERVICE) && c->key_user[0] != '\0')
		return respond_error(req, c, 403, "A user's own API key cannot "
		    "do this; use a service key or the master key");
	if (bind_params(req, c, rt) != 0)
		return KORE_RESULT_OK;

	switch (rt->kind) {
	case APID_K_SQL:
	case APID_K_CSV:
		if (cache_begin(req, c, rt) == KORE_RESULT_OK)
			return KORE_RESULT_OK;
		/* reads only; the caller's key and quota stay on the primary */
		c->on_replica = env->replica_ok &&
		    strcmp(rt->method, "GET") == 0 &&
		    !(rt->flags & APID_R_BIND_CALLER);
		return start_query(c, rt->sql);
	case APID_K_SYNC:
	case APID_K_READY:
	case APID_K_USER_DELETE:
		return start_query(c, rt->sql);
	case APID_K_RECOMPUTE:
		return recompute_begin(req, c);
	case APID_K_KEY_REGEN:
		return key_regen_begin(req, c, rt);
	case APID_K_MCP:
		return mcp_begin(req, c);
	case APID_K_OAUTH_START:
	case APID_K_OAUTH_CALLBACK:
	case APID_K_OAUTH_EXCHANGE:
		return oauth_begin(req, c, rt->kind);
	case APID_K_HRV_POST:
	case APID_K_HRV_LIST:
	case APID_K_HRV_PAGE:
	case APID_K_HRV_ONE:
		return hrv_begin(req, c, rt);
	case APID_K_INGEST:
		return ingest_begin(req, c);
	case APID_K_WEBHOOK_ADD:
		return webhook_begin(req, c, rt);
	case APID_K_POLAR_HOOK:
		return polarhook_begin(req, c);
	case APID_K_CONSOLE:
		return console_begin(req, c);
	default:
		return serve_static(req, c, rt->kind);
	}
}

/* The route's statement answered 200 with its body in c->col[1]. */
static int
body_done(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	int	ctype = rt->kind == APID_K_CSV;
	size_t	n = strlen(c->col[1]);

	/* Compact JSON everywhere: PostgreSQL's json functions add blanks. */
	if (!ctype)
		n = minify_json(c->col[1], n);
	if (c->ckeylen > 0 && env->cache_on && !c->on_replica)
		cache_put(&env->cache, c->ckey, c->ckeylen, c->uid, ctype,
		    c->col[1], n);
	if (rt->flags & APID_R_DROP_KEYS)
		keys_drop_user(c->uid);
	return respond_body(req, c, rt, ctype, c->col[1], n);
}

static int
key_regen_done(struct http_request *req, struct reqctx *c)
{
	json_t	*o;
	char	*body;
	int	 r;

	keys_drop_user(c->uid);
	o = json_pack("{s:s, s:s}", "api_key", c->newkey, "message",
	    "Key regenerated successfully. Old key is now invalid.");
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	r = respond_json(req, c, 200, body);
	explicit_bzero(body, strlen(body));
	free(body);
	return r;
}

static int
query_done(struct http_request *req, struct reqctx *c)
{
	const struct apid_route	*rt = &apid_routes[c->route];
	int			 code;

	if (rt->kind == APID_K_READY)
		return ready_begin(req, c);
	if (rt->kind == APID_K_MCP)
		return mcp_query_done(req, c);
	if (c->oa != NULL)
		return oauth_query_done(req, c);
	if (rt->kind == APID_K_POLAR_HOOK)
		return polarhook_query_done(req, c);
	if (c->con != NULL)
		return console_query_done(req, c);
	if (c->rows < 1 || c->col[0] == NULL || c->col[1] == NULL)
		return respond_error(req, c, 500, "Internal Server Error");
	if (rt->kind >= APID_K_HRV_POST && rt->kind <= APID_K_HRV_ONE)
		return hrv_query_done(req, c, rt);
	code = atoi(c->col[0]);
	if (code != 200)
		return respond_error(req, c, code, c->col[1]);
	switch (rt->kind) {
	case APID_K_SYNC:
		return sync_trigger(req, c);
	case APID_K_USER_DELETE:
		return user_delete(req, c);
	case APID_K_KEY_REGEN:
		return key_regen_done(req, c);
	default:
		return body_done(req, c, rt);
	}
}

/* A new request: route, size check, then auth or straight on. */
static int
serve_begin(struct http_request *req, struct reqctx *c)
{
	c->t0_us = pf_time_mono_us();
	c->route = route_match(http_method_text(req->method), req->path,
	    &c->m);
	c->route = polarhook_route(http_method_text(req->method), req->path,
	    c->route);
	if (c->route == -1)
		return respond_error(req, c, 404, "Not Found");
	if (c->route == -2) {
		char	allow[48];

		(void)route_allow(req->path, allow, sizeof(allow));
		http_response_header(req, "allow", allow);
		if (req->method == HTTP_METHOD_OPTIONS) {
			if (strcmp(req->path, "/mcp") == 0)
				mcp_preflight(req);
			return respond(req, c, 204, "text/plain", NULL, 0);
		}
		return respond_error(req, c, 405, "Method Not Allowed");
	}
	/* content_length is only meaningful for body methods. */
	if ((req->method == HTTP_METHOD_POST ||
	    req->method == HTTP_METHOD_PUT ||
	    req->method == HTTP_METHOD_PATCH) &&
	    req->content_length > route_body_max(c->route))
		return respond_error(req, c, 413, "Request body too large");
	/* DNS rebinding: a browser's Origin is checked before the key. */
	if (apid_routes[c->route].kind == APID_K_MCP &&
	    mcp_origin_check(req, c) == KORE_RESULT_OK)
		return KORE_RESULT_OK;
	if (apid_routes[c->route].flags & APID_R_AUTH)
		return auth_begin(req, c);
	c->state = REQ_ROUTE;
	return route_begin(req, c);
}

/* REQ_LEASE / REQ_QUERY: OK answered, RETRY waiting or moved on. */
static int
serve_query(struct http_request *req, struct reqctx *c, bool *wait)
{
	*wait = false;
	switch (pg_step(req, c)) {
	case PG_WAIT:
		*wait = true;
		return KORE_RESULT_RETRY;
	case PG_FAIL:
		if (apid_routes[c->route].kind == APID_K_READY)
			return respond_error(req, c, 503,
			    "Database unreachable");
		if (apid_routes[c->route].kind == APID_K_MCP &&
		    c->state == REQ_QUERY)
			return mcp_dbfail(req, c);
		if (c->oa != NULL)
			return oauth_query_failed(req, c);
		if (c->con != NULL)
			return console_query_failed(req, c);
		return respond_dbfail(req, c);
	}
	return c->state == REQ_LEASE ? lease_done(req, c) :
	    query_done(req, c);
}

int
apid_serve(struct http_request *req)
{
	struct reqctx	*c = req->hdlr_extra;
	bool		 wait;
	int		 r;

	if (c == NULL) {
		/*
		 * Before any cached key or response is trusted: the event
		 * loop may not have turned since a commit a client already
		 * saw; later notifications reach the loop while we wait.
		 */
		listen_drain();
		/*
		 * The request is whole: kore's header timeout must stop here.
		 * kore 4.1 clears it once a body is read, but not for a POST
		 * with "Content-Length: 0", which a waiting sync trigger then
		 * lost to an empty 408 after 10 s.
		 */
		req->owner->http_timeout = 0;
		c = pf_xcalloc(1, sizeof(*c));
		req->hdlr_extra = c;
		req->onfree = ctx_free;
		if (serve_begin(req, c) == KORE_RESULT_OK)
			return KORE_RESULT_OK;
	}
	for (;;) {
		switch (c->state) {
		case REQ_LEASE:
		case REQ_QUERY:
			r = serve_query(req, c, &wait);
			if (wait)
				return KORE_RESULT_RETRY;
			break;
		case REQ_CALL:
			if (!call_finished(c)) {
				http_request_sleep(req);
				return KORE_RESULT_RETRY;
			}
			r = c->call_done(req, c);
			break;
		case REQ_INGEST:
			if (!ingest_finished(c)) {
				http_request_sleep(req);
				return KORE_RESULT_RETRY;
			}
			r = ingest_done(req, c);
			break;
		case REQ_CONSOLE:
			if (!console_task_finished(c)) {
				http_request_sleep(req);
				return KORE_RESULT_RETRY;
			}
			r = console_task_done(req, c);
			break;
		case REQ_DONE:
			return KORE_RESULT_OK;
		default:
			return respond_error(req, c, 500,
			    "Internal Server Error");
		}
		if (r == KORE_RESULT_OK)
			return r;
	}
}
