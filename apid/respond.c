/*
 * respond.c -- every answer apid sends: the common headers, the rate
 * limit headers, the metrics and the access log line, and the response
 * cache in front of the data routes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"

#include "apid/request.h"

const struct apid_header apid_security_headers[] = {
	{ "cache-control", "no-store" },
	{ "x-content-type-options", "nosniff" },
	{ "x-frame-options", "DENY" },
	{ "referrer-policy", "same-origin" },
	{ "content-security-policy",
	    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'" },
	{ "permissions-policy", "camera=(), microphone=(), geolocation=()" },
	{ NULL, NULL },
};

/* One line per request, in the configured log format. */
void
apid_log_request(const char *method, const char *path, int status,
    int64_t dur_us, const struct reqctx *c)
{
	json_t	*o;
	char	*p;

	if (pf_log_get_level() > PF_LOG_INFO)
		return;
	/* A path need not be UTF-8; the log line must still be written. */
	p = utf8_lossy(path);
	o = json_pack("{s:s, s:s, s:i, s:I}", "method", method, "path", p,
	    "status", status, "duration_us", (json_int_t)dur_us);
	free(p);
	if (o == NULL)
		return;
	if (c != NULL && c->route >= 0)
		json_object_set_new(o, "route",
		    json_string(apid_routes[c->route].path));
	if (c != NULL && c->keyed)
		json_object_set_new(o, "key_id", json_integer(c->key_id));
	else if (c != NULL && c->master)
		json_object_set_new(o, "key_id", json_string("master"));
	pf_log_fields(PF_LOG_INFO, "request", o);
	json_decref(o);
}

static void
security_headers(struct http_request *req)
{
	const char	*proto;
	size_t		 i;

	for (i = 0; apid_security_headers[i].name != NULL; i++)
		http_response_header(req, apid_security_headers[i].name,
		    apid_security_headers[i].value);
	if (http_request_header(req, "x-forwarded-proto", &proto) &&
	    strcasecmp(proto, "https") == 0)
		http_response_header(req, "strict-transport-security",
		    "max-age=15768000");
}

static void
ratelimit_headers(struct http_request *req, const struct reqctx *c)
{
	char	num[32];

	snprintf(num, sizeof(num), "%d", c->rl_limit);
	http_response_header(req, "x-ratelimit-limit", num);
	snprintf(num, sizeof(num), "%d", c->rl_remaining);
	http_response_header(req, "x-ratelimit-remaining", num);
	snprintf(num, sizeof(num), "%ld", c->rl_reset);
	http_response_header(req, "x-ratelimit-reset", num);
}

int
respond(struct http_request *req, struct reqctx *c, int status,
    const char *ctype, const char *body, size_t len)
{
	http_response_header(req, "content-type", ctype);
	security_headers(req);
	/* Upstream sends the quota headers on REST answers only. */
	if (c->keyed && (c->route < 0 ||
	    apid_routes[c->route].kind != APID_K_MCP))
		ratelimit_headers(req, c);
	return respond_send(req, c, status, body, len);
}

int
respond_send(struct http_request *req, struct reqctx *c, int status,
    const void *body, size_t len)
{
	int64_t	dur;

	/* A stopping worker: "connection: close", then the socket closes. */
	if (drain_active())
		req->owner->flags |= CONN_CLOSE_EMPTY;
	http_response(req, status, body, len);
	c->state = REQ_DONE;
	dur = pf_time_mono_us() - c->t0_us;
	metrics_observe(env->metrics, c->route, status, (uint64_t)dur);
	apid_log_request(http_method_text(req->method), req->path, status,
	    dur, c);
	return KORE_RESULT_OK;
}

int
respond_json(struct http_request *req, struct reqctx *c, int status,
    const char *body)
{
	return respond(req, c, status, "application/json", body,
	    strlen(body));
}

int
respond_error(struct http_request *req, struct reqctx *c, int status,
    const char *detail)
{
	char	*b = render_error(status, detail, NULL);
	int	 r = respond_json(req, c, status, b);

	free(b);
	return r;
}

int
respond_verror(struct http_request *req, struct reqctx *c,
    const struct apid_verr *e)
{
	char	*b = render_verror(http_method_text(req->method), req->path,
		    req->query_string, e);
	int	 r = respond_json(req, c, 400, b);

	free(b);
	return r;
}

int
respond_dbfail(struct http_request *req, struct reqctx *c)
{
	switch (pf_db_sqlstate_err(c->sqlstate)) {
	case PF_ERR_TIMEOUT:
		return respond_error(req, c, 503,
		    "Database query timed out");
	case PF_ERR_DB_CONN:
		return respond_error(req, c, 503, "Database unavailable");
	}
	if (c->sqlstate[0] == '\0')	/* no result: the connection broke */
		return respond_error(req, c, 503, "Database unavailable");
	return respond_error(req, c, 500, "Internal Server Error");
}

int
respond_body(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt, int ctype, const char *body, size_t len)
{
	char	disp[128];

	if (ctype == 1) {
		snprintf(disp, sizeof(disp),
		    "attachment; filename=%.20s_%ddays.csv", rt->csv_name,
		    c->days);
		http_response_header(req, "content-disposition", disp);
		return respond(req, c, 200, "text/csv; charset=utf-8", body,
		    len);
	}
	return respond(req, c, 200, "application/json", body, len);
}

bool
cache_key(struct reqctx *c, const char *tag)
{
	char		today[16];
	time_t		t = time(NULL);
	struct tm	tm;
	int		i, n;

	gmtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	n = snprintf(c->ckey, sizeof(c->ckey), "%s|%s", tag, today);
	for (i = 0; i < c->nparams && n > 0 && (size_t)n < sizeof(c->ckey);
	    i++)
		n += snprintf(c->ckey + n, sizeof(c->ckey) - (size_t)n, "|%s",
		    c->pv[i]);
	if (n <= 0 || (size_t)n >= sizeof(c->ckey))
		return false;
	c->ckeylen = (size_t)n;
	return true;
}

int
cache_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	const struct apid_centry	*e;
	char				 tag[16];

	c->ckeylen = 0;
	snprintf(tag, sizeof(tag), "%d", c->route);
	if (!env->cache_on || !(rt->flags & APID_R_CACHE) ||
	    !cache_key(c, tag))
		return KORE_RESULT_RETRY;
	if ((e = cache_get(&env->cache, c->ckey, c->ckeylen)) == NULL) {
		METRIC_INC(cache_misses);
		return KORE_RESULT_RETRY;
	}
	METRIC_INC(cache_hits);
	return respond_body(req, c, rt, e->ctype, e->body, e->len);
}
