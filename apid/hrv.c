/*
 * hrv.c -- the HRV session routes: apid's own under
 * /api/v1/users/{user_id}/hrv/sessions and the HRV Metrics API's under
 * /api/hrv (APID_R_NOUSER).
 *
 * A POST is analysed here, in the worker, before its one INSERT: the
 * analysis is pure and takes well under a millisecond for a 5-minute
 * recording, so asking analyticsd over REQ would cost more than it
 * saves, and the answer can carry the metrics it stored.  The workspace
 * is the worker's, sized once for hrv_max_beats (kore workers run one
 * request at a time on one thread).
 *
 * The HRV Metrics API names its users by e-mail, which is no user id of
 * ours: with a user's key every session is that user's (the e-mail kept
 * as client_user); with a service or master key its user_id must be one
 * of our user ids.  Its answers keep its shapes, errors included
 * ({"status": "error", "message": ...} beside apid's status_code and
 * detail), but with real HTTP status codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hrv.h"
#include "common/ident.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "apid/request.h"

#define LIST_LIMIT_DEF	50
#define LIST_LIMIT_MAX	500
#define PAGE_LIMIT_DEF	100
#define PAGE_LIMIT_MAX	1000
#define OFFSET_MAX	1000000

static void	*ws;
static size_t	 ws_size;

static bool
compat(const struct apid_route *rt)
{
	return (rt->flags & APID_R_NOUSER) != 0;
}

/* An error in the route's dialect; session_id (may be NULL) on a 409. */
static int
hrv_error(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt, int status, const char *detail,
    const char *session_id)
{
	json_t	*o;
	char	*b;
	int	 r;

	if (!compat(rt) && session_id == NULL)
		return respond_error(req, c, status, detail);
	o = json_pack("{s:i, s:s}", "status_code", status, "detail", detail);
	if (o == NULL)
		return respond_error(req, c, status, "Invalid request");
	if (compat(rt)) {
		json_object_set_new(o, "status", json_string("error"));
		json_object_set_new(o, "message", json_string(detail));
	}
	if (session_id != NULL)
		json_object_set_new(o, compat(rt) ? "data" : "extra",
		    json_pack("{s:s}", "session_id", session_id));
	b = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (b == NULL)
		return respond_error(req, c, status, "Invalid request");
	r = respond_json(req, c, status, b);
	free(b);
	return r;
}

static int
verror(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt, const char *key, const char *source,
    const char *msg)
{
	struct apid_verr	e;

	if (compat(rt))
		return hrv_error(req, c, rt, 400, msg, NULL);
	snprintf(e.key, sizeof(e.key), "%s", key);
	snprintf(e.source, sizeof(e.source), "%s", source);
	snprintf(e.message, sizeof(e.message), "%s", msg);
	return respond_verror(req, c, &e);
}

static void
bind_text(struct reqctx *c, int i, const char *s)
{
	snprintf(c->pbuf[i], sizeof(c->pbuf[i]), "%.127s", s);
	c->pv[i] = c->pbuf[i];
	if (c->nparams <= i)
		c->nparams = i + 1;
}

/* Takes s (heap) as parameter i. */
static void
bind_heap(struct reqctx *c, int i, char *s)
{
	free(c->pheap[i]);
	c->pheap[i] = s;
	c->pv[i] = s;
	if (c->nparams <= i)
		c->nparams = i + 1;
}

/* ?name= as an integer min..max (absent: def); -1 when it is not. */
static int
query_int(const char *qs, const char *name, int def, int min, int max,
    int *out)
{
	char	 buf[24], *end;
	long	 v;
	int	 r = query_get(qs, name, buf, sizeof(buf));

	if (r == 0) {
		*out = def;
		return 0;
	}
	if (r != 1 || buf[0] == '\0')
		return -1;
	v = strtol(buf, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/*
 * ?name= as a date or date-time into out (canonical UTC text, "" when
 * absent); a bare date is its midnight (UTC), or the next midnight when
 * end is set so that "to" includes its day.
 */
static int
query_time(const char *qs, const char *name, bool end, char *out,
    size_t outlen)
{
	char	 buf[64];
	int64_t	 ms, day;
	int	 r = query_get(qs, name, buf, sizeof(buf));

	out[0] = '\0';
	if (r == 0)
		return 0;
	if (r != 1)
		return -1;
	if (pf_time_parse_datetime(buf, strlen(buf), &ms, NULL, NULL) !=
	    PF_OK) {
		if (pf_time_parse_date(buf, strlen(buf), &day) != PF_OK)
			return -1;
		ms = (day + (end ? 1 : 0)) * PF_TIME_DAY_MS;
	}
	return pf_time_format_datetime(ms, 0, 0, out, outlen) == PF_OK ? 0 :
	    -1;
}

static int
list_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	const char	*qs = req->query_string;
	char		 tag[HRV_TAG_MAX + 2], t[40];
	int		 limit, offset, r;

	r = query_get(qs, "tag", tag, sizeof(tag));
	if (r < 0 || (r == 1 && (tag[0] == '\0' || strlen(tag) > HRV_TAG_MAX)))
		return verror(req, c, rt, "tag", "query", "tag must be given "
		    "once, 1 to 64 characters");
	bind_text(c, 1, r == 1 ? tag : "");
	if (query_time(qs, "from", false, t, sizeof(t)) != 0)
		return verror(req, c, rt, "from", "query", "from must be a "
		    "date (YYYY-MM-DD) or an ISO 8601 date-time");
	bind_text(c, 2, t);
	if (query_time(qs, "to", true, t, sizeof(t)) != 0)
		return verror(req, c, rt, "to", "query", "to must be a date "
		    "(YYYY-MM-DD) or an ISO 8601 date-time");
	bind_text(c, 3, t);
	if (query_int(qs, "limit", LIST_LIMIT_DEF, 1, LIST_LIMIT_MAX,
	    &limit) != 0)
		return verror(req, c, rt, "limit", "query", "limit must be "
		    "an integer from 1 to 500");
	if (query_int(qs, "offset", 0, 0, OFFSET_MAX, &offset) != 0)
		return verror(req, c, rt, "offset", "query", "offset must be "
		    "an integer from 0 to 1000000");
	snprintf(t, sizeof(t), "%d", limit);
	bind_text(c, 4, t);
	snprintf(t, sizeof(t), "%d", offset);
	bind_text(c, 5, t);
	return start_query(c, rt->sql);
}

/* The compatible routes' capture: $1, then the caller's user as $2. */
static int
compat_capture(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt, size_t max)
{
	char	text[HRV_CLIENT_USER_MAX + 1], msg[96];

	if (c->m.ncap != 1 ||
	    hrv_path_text(&c->m.cap[0], max, text, sizeof(text)) != 0) {
		snprintf(msg, sizeof(msg), "The path segment must be 1 to %zu "
		    "characters of text", max);
		return verror(req, c, rt, "path", "path", msg);
	}
	bind_heap(c, 0, pf_xstrdup(text));
	bind_text(c, 1, c->key_user);
	return -1;	/* not answered */
}

static int
page_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	const char	*qs = req->query_string;
	int		 skip, limit;

	if (compat_capture(req, c, rt, HRV_CLIENT_USER_MAX) != -1)
		return KORE_RESULT_OK;
	if (query_int(qs, "skip", 0, 0, OFFSET_MAX, &skip) != 0)
		return verror(req, c, rt, "skip", "query", "skip must be an "
		    "integer from 0 to 1000000");
	if (query_int(qs, "limit", PAGE_LIMIT_DEF, 1, PAGE_LIMIT_MAX,
	    &limit) != 0)
		return verror(req, c, rt, "limit", "query", "limit must be "
		    "an integer from 1 to 1000");
	snprintf(c->pbuf[2], sizeof(c->pbuf[2]), "%d", skip);
	snprintf(c->pbuf[3], sizeof(c->pbuf[3]), "%d", limit);
	c->pv[2] = c->pbuf[2];
	c->pv[3] = c->pbuf[3];
	c->nparams = 4;
	return start_query(c, rt->sql);
}

static int
one_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	char	flag[8];
	int	r;

	if (compat(rt)) {
		if (compat_capture(req, c, rt, HRV_RECID_MAX) != -1)
			return KORE_RESULT_OK;
		return start_query(c, rt->sql);
	}
	r = query_get(req->query_string, "rr", flag, sizeof(flag));
	if (r == 0)
		snprintf(flag, sizeof(flag), "false");
	else if (r != 1 || (strcmp(flag, "true") != 0 &&
	    strcmp(flag, "false") != 0))
		return verror(req, c, rt, "rr", "query", "rr must be true or "
		    "false");
	bind_text(c, 2, flag);
	return start_query(c, rt->sql);
}

/* The user of a compatible POST into c->pbuf[0], or answers and -1. */
static int
compat_user(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt, const struct hrv_body *hb)
{
	char	msg[400];

	if (c->key_user[0] != '\0') {
		bind_text(c, 0, c->key_user);
		return 0;
	}
	if (!pf_user_id_valid(hb->client_user)) {
		snprintf(msg, sizeof(msg), "user_id '%.100s' is not a user id "
		    "of this server; post with that user's API key to keep "
		    "an e-mail as user_id", hb->client_user);
		hrv_error(req, c, rt, 400, msg, NULL);
		return -1;
	}
	bind_text(c, 0, hb->client_user);
	return 0;
}

static int
post_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	struct pf_hrv_opts	 o;
	struct pf_hrv_result	 res;
	struct hrv_body		 hb;
	struct pf_buf		 body = PF_BUF_INIT, a = PF_BUF_INIT;
	char			 err[300];
	size_t			 need, max;
	int			 r;

	max = (size_t)env->cfg->hrv_max_beats;
	if (!req_body_read(req, &body, APID_BODY_MAX)) {
		pf_buf_free(&body);
		return hrv_error(req, c, rt, 413, "Request body too large",
		    NULL);
	}
	r = hrv_body_parse(body.p, body.len, compat(rt), max,
	    env->cfg->hrv_morning_tags, &hb, err, sizeof(err));
	pf_buf_free(&body);
	if (r != 0)
		return hrv_error(req, c, rt, 400, err, NULL);
	if (compat(rt) && compat_user(req, c, rt, &hb) != 0) {
		hrv_body_free(&hb);
		return KORE_RESULT_OK;
	}
	pf_hrv_opts_default(&o);
	o.max_corrected_pct = env->cfg->hrv_max_corrected_pct;
	need = pf_hrv_workspace_size(max, &o);
	if (ws == NULL || ws_size < need) {
		free(ws);
		ws = pf_xmalloc(need);
		ws_size = need;
	}
	if (pf_hrv_analyze(hb.rr, hb.n, &o, ws, ws_size, &res) != PF_OK) {
		hrv_body_free(&hb);
		return hrv_error(req, c, rt, 400, "The RR intervals could not "
		    "be analysed", NULL);
	}
	if (!compat(rt))
		c->pv[0] = c->pbuf[0];	/* the path's user, bound */
	bind_heap(c, 1, pf_xstrdup(hb.recording_id));
	bind_heap(c, 2, hb.meta);
	hb.meta = NULL;
	pf_hrv_pg_array(hb.rr, hb.n, &a);
	bind_heap(c, 3, a.p);
	pf_buf_init(&a);
	pf_hrv_pg_array(res.nn, res.n_nn, &a);
	bind_heap(c, 4, a.p);
	pf_buf_init(&a);
	pf_hrv_json_result(&res, o.artifact, hb.motion, &a);
	bind_heap(c, 5, a.p);
	c->nparams = 6;
	hrv_body_free(&hb);
	return start_query(c, rt->sql);
}

int
hrv_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	switch (rt->kind) {
	case APID_K_HRV_POST:
		return post_begin(req, c, rt);
	case APID_K_HRV_LIST:
		return list_begin(req, c, rt);
	case APID_K_HRV_PAGE:
		return page_begin(req, c, rt);
	case APID_K_HRV_ONE:
		return one_begin(req, c, rt);
	}
	return respond_error(req, c, 500, "Internal Server Error");
}

int
hrv_query_done(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	int	code = atoi(c->col[0]);
	size_t	n;

	switch (code) {
	case 200:
	case 201:
		n = minify_json(c->col[1], strlen(c->col[1]));
		/* The HRV Metrics API answered its POST with 200. */
		if (code == 201 && compat(rt))
			code = 200;
		return respond(req, c, code, "application/json", c->col[1],
		    n);
	case 409:
		return hrv_error(req, c, rt, 409, c->col[1],
		    c->col[2] != NULL && c->col[2][0] != '\0' ? c->col[2] :
		    NULL);
	default:
		return hrv_error(req, c, rt, code, c->col[1], NULL);
	}
}
