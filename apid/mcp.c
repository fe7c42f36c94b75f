/*
 * mcp.c -- MCP over Streamable HTTP at POST /mcp: stateless, one JSON-RPC
 * message per request, answered as JSON or, for a client that accepts
 * only text/event-stream, as one SSE event.  There is no session and no
 * server-initiated stream, so GET and DELETE /mcp are 405 (route.c).
 *
 * serve.c checks the Origin (mcp_origin_check) and auth.c the API key
 * before anything here runs, as upstream checks the key before parsing.
 * A tools/call then runs through the request's state machine like a REST
 * route: maybe a statement that finds the connected user, then the
 * tool's statement (or the call to syncd), its body cached per worker as
 * the REST answers are.  A tool's result is the statement's JSON as
 * structuredContent, and the same text as its text content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include "apid/request.h"

#define JSONRPC_PARSE		-32700
#define JSONRPC_INVALID		-32600
#define JSONRPC_NOMETHOD	-32601
#define JSONRPC_PARAMS		-32602
#define JSONRPC_INTERNAL	-32603
#define MCP_NORESOURCE		-32002
#define MCP_BAD_REQUEST		-32000	/* the SDK's transport-level code */

#define MCP_CARD_MIME		"text/html;profile=mcp-app"

enum mcp_phase { MCP_P_USER = 1, MCP_P_TOOL, MCP_P_SYNC };

struct mcp_req {
	bool		 sse;
	char		*id;		/* the request's id as JSON text */
	int		 tool;
	int		 phase;
	struct mcp_args	 args;
};

static const char instructions[] =
	"Polar health data (sleep, recovery, activity, training, "
	"biosensing) kept by a self-hosted polar-flow-server, with "
	"personal baselines and analytics.  Start with get_health_insights "
	"for today at a glance, then the specific tools for details.  "
	"Dates are ISO 8601 (YYYY-MM-DD); a missing date means the device "
	"was not worn that day.  `days` counts back from today (1-365, "
	"default 30).  If data looks old, check get_sync_status and "
	"trigger_sync.";

static char	*tools_list_json;	/* per worker, built once */

void
mcp_free(struct reqctx *c)
{
	struct mcp_req	*m = c->mcp;

	if (m == NULL)
		return;
	free(m->id);
	free(m);
	c->mcp = NULL;
}

/* Sends one JSON-RPC message body: JSON, or SSE when asked for. */
static int
mcp_send(struct http_request *req, struct reqctx *c, int status,
    const char *body)
{
	struct pf_buf	b;
	int		r;

	if (c->mcp == NULL || !c->mcp->sse || status != 200)
		return respond_json(req, c, status, body);
	pf_buf_init(&b);
	mcp_sse_frame(&b, body, strlen(body));
	r = respond(req, c, 200, "text/event-stream", b.p, b.len);
	pf_buf_free(&b);
	return r;
}

static int
mcp_error(struct http_request *req, struct reqctx *c, int status, int code,
    const char *message)
{
	char	*b = mcp_error_body(c->mcp ? c->mcp->id : NULL, code, message);
	int	 r;

	if (b == NULL)
		return respond_error(req, c, 500, "Internal Server Error");
	r = mcp_send(req, c, status, b);
	free(b);
	return r;
}

/* {"jsonrpc":"2.0","id":..,"result":<result text>} */
static int
mcp_result(struct http_request *req, struct reqctx *c, const char *result,
    size_t len)
{
	struct pf_buf	b;
	int		r;

	pf_buf_init(&b);
	pf_buf_adds(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
	pf_buf_adds(&b, c->mcp->id);
	pf_buf_adds(&b, ",\"result\":");
	pf_buf_add(&b, result, len);
	pf_buf_add(&b, "}", 2);		/* with the NUL */
	r = mcp_send(req, c, 200, b.p);
	pf_buf_free(&b);
	return r;
}

static int
mcp_result_json(struct http_request *req, struct reqctx *c, json_t *res)
{
	char	*s = res ? json_dumps(res, JSON_COMPACT) : NULL;
	int	 r;

	json_decref(res);
	if (s == NULL)
		return mcp_error(req, c, 200, JSONRPC_INTERNAL,
		    "Internal error");
	r = mcp_result(req, c, s, strlen(s));
	free(s);
	return r;
}

/* A tool's result: structured (doc is JSON text) or an error text. */
static int
tool_result(struct http_request *req, struct reqctx *c, const char *doc,
    size_t len, const char *errtext)
{
	struct pf_buf	 b;
	json_t		*t;
	char		*esc;
	int		 r;

	t = errtext ? json_string(errtext) : json_stringn(doc, len);
	esc = t ? json_dumps(t, JSON_ENCODE_ANY) : NULL;
	json_decref(t);
	if (esc == NULL)
		return mcp_error(req, c, 200, JSONRPC_INTERNAL,
		    "Internal error");
	pf_buf_init(&b);
	pf_buf_adds(&b, "{\"content\":[{\"type\":\"text\",\"text\":");
	pf_buf_adds(&b, esc);
	pf_buf_adds(&b, "}],");
	if (errtext == NULL) {
		pf_buf_adds(&b, "\"structuredContent\":");
		pf_buf_add(&b, doc, len);
		pf_buf_adds(&b, ",\"isError\":false}");
	} else
		pf_buf_adds(&b, "\"isError\":true}");
	free(esc);
	r = mcp_result(req, c, b.p, b.len);
	pf_buf_free(&b);
	return r;
}

static int
tool_error(struct http_request *req, struct reqctx *c, const char *text)
{
	return tool_result(req, c, NULL, 0, text);
}

/* ---- methods ---- */

static int
m_initialize(struct http_request *req, struct reqctx *c, json_t *params)
{
	const char	*asked = json_string_value(json_object_get(params,
			    "protocolVersion"));

	return mcp_result_json(req, c, json_pack(
	    "{s:s, s:{s:{s:b}, s:{s:b, s:b}}, s:{s:s, s:s, s:s}, s:s}",
	    "protocolVersion", mcp_version_pick(asked),
	    "capabilities", "tools", "listChanged", 0,
	    "resources", "subscribe", 0, "listChanged", 0,
	    "serverInfo", "name", "polar-flow-server", "title",
	    "Polar Health Data", "version", APID_VERSION,
	    "instructions", instructions));
}

static int
m_tools_list(struct http_request *req, struct reqctx *c)
{
	json_t	*l;

	if (tools_list_json == NULL) {
		if ((l = mcp_tools_list()) == NULL)
			return mcp_error(req, c, 200, JSONRPC_INTERNAL,
			    "Internal error: bad tool table");
		tools_list_json = json_dumps(l, JSON_COMPACT);
		json_decref(l);
		if (tools_list_json == NULL)
			return mcp_error(req, c, 200, JSONRPC_INTERNAL,
			    "Internal error");
	}
	return mcp_result(req, c, tools_list_json, strlen(tools_list_json));
}

static json_t *
card_meta(void)
{
	json_t		*ui = json_pack("{s:b}", "prefersBorder", 1);
	const char	*base = env->cfg->base_url;
	char		 url[512], hex[PF_CRYPTO_SHA256_HEX_SIZE], dom[80];

	/* Hosts that sandbox apps per origin derive it from the server. */
	if (base != NULL && *base != '\0') {
		snprintf(url, sizeof(url), "%s/mcp", base);
		pf_crypto_sha256_hex(url, strlen(url), hex);
		snprintf(dom, sizeof(dom), "%.32s.claudemcpcontent.com", hex);
		json_object_set_new(ui, "domain", json_string(dom));
	}
	return json_pack("{s:o}", "ui", ui);
}

static int
m_resources_list(struct http_request *req, struct reqctx *c)
{
	return mcp_result_json(req, c, json_pack(
	    "{s:[{s:s, s:s, s:s, s:s, s:s, s:o}]}", "resources",
	    "uri", MCP_CARD_URI, "name", "insights-card", "title",
	    "Today at a glance", "description", "The card that shows "
	    "get_health_insights' result.", "mimeType", MCP_CARD_MIME,
	    "_meta", card_meta()));
}

static int
m_resources_read(struct http_request *req, struct reqctx *c,
    json_t *params)
{
	const char	*uri;

	uri = json_string_value(json_object_get(params, "uri"));

	if (uri == NULL)
		return mcp_error(req, c, 200, JSONRPC_PARAMS,
		    "Invalid params: uri is required");
	if (strcmp(uri, MCP_CARD_URI) != 0)
		return mcp_error(req, c, 200, MCP_NORESOURCE,
		    "Resource not found");
	return mcp_result_json(req, c, json_pack(
	    "{s:[{s:s, s:s, s:s, s:o}]}", "contents", "uri", MCP_CARD_URI,
	    "mimeType", MCP_CARD_MIME, "text", mcp_card_html,
	    "_meta", card_meta()));
}

/* The tool's cache key: its statement too, as one tool picks among several. */
static bool
tool_cache_key(struct reqctx *c)
{
	char	tag[96];

	snprintf(tag, sizeof(tag), "mcp|%s|%p", mcp_tools[c->mcp->tool].name,
	    (const void *)c->mcp->args.sql);
	return cache_key(c, tag);
}

/* The user is known: run the tool. */
static int
tool_run(struct http_request *req, struct reqctx *c, const char *uid)
{
	struct mcp_req			*m = c->mcp;
	const struct mcp_tool		*t = &mcp_tools[m->tool];
	const struct apid_centry	*e;

	snprintf(c->uid, sizeof(c->uid), "%s", uid);
	ctx_clear_cols(c);
	c->nparams = mcp_tool_bind(m->tool, &m->args, uid, c->pbuf, c->pv);
	c->ckeylen = 0;
	if (t->kind == MCP_T_SYNC) {
		m->phase = MCP_P_SYNC;
		return start_query(c, m->args.sql);
	}
	m->phase = MCP_P_TOOL;
	if (t->cache && env->cache_on && tool_cache_key(c)) {
		if ((e = cache_get(&env->cache, c->ckey, c->ckeylen)) != NULL) {
			METRIC_INC(cache_hits);
			return tool_result(req, c, e->body, e->len, NULL);
		}
		METRIC_INC(cache_misses);
	}
	return start_query(c, m->args.sql);
}

static int
m_tools_call(struct http_request *req, struct reqctx *c, json_t *params)
{
	struct mcp_req	*m = c->mcp;
	const char	*name;
	char		 err[256];

	name = json_string_value(json_object_get(params, "name"));
	if (name == NULL)
		return mcp_error(req, c, 200, JSONRPC_PARAMS,
		    "Invalid params: name is required");
	if ((m->tool = mcp_tool_find(name)) < 0) {
		snprintf(err, sizeof(err), "Tool %.100s not found", name);
		return mcp_error(req, c, 200, JSONRPC_PARAMS, err);
	}
	if (mcp_tool_args(m->tool, json_object_get(params, "arguments"),
	    &m->args, err, sizeof(err)) != 0)
		return tool_error(req, c, err);

	/* Upstream's rule: a user's own key means that user, only. */
	if (c->key_user[0] != '\0') {
		if (m->args.user_id[0] != '\0' &&
		    strcmp(m->args.user_id, c->key_user) != 0)
			return tool_error(req, c,
			    "API key not authorized for this user");
		return tool_run(req, c, c->key_user);
	}
	if (m->args.user_id[0] != '\0')
		return tool_run(req, c, m->args.user_id);
	m->phase = MCP_P_USER;
	c->nparams = 0;
	return start_query(c, store_sql_mcp_first_user);
}

/* syncd's answer to trigger_sync. */
static int
sync_done(struct http_request *req, struct reqctx *c)
{
	const struct ctl_call	*cc = call_result(c);
	const char		*code, *msg;
	json_t			*out;
	char			*s;
	int			 r;

	if (cc->rc == PF_ERR_CLOSED)
		return tool_error(req, c, "Sync service (polarflow-syncd) is "
		    "not running; sync cannot be triggered now");
	if (cc->rc == PF_ERR_TIMEOUT)
		return tool_error(req, c, "Sync service (polarflow-syncd) did "
		    "not answer in time");
	if (cc->rc != PF_OK)
		return tool_error(req, c, "Bad answer from the sync service");
	code = json_string_value(json_object_get(cc->reply, "code"));
	msg = json_string_value(json_object_get(cc->reply, "error"));
	if (json_is_false(json_object_get(cc->reply, "ok"))) {
		if (code != NULL && strcmp(code, "busy") == 0)
			out = json_pack("{s:s, s:s}", "status",
			    "already_running", "user_id", c->uid);
		else if (code != NULL && strcmp(code, "notfound") == 0) {
			char	e[200];

			snprintf(e, sizeof(e), "No connected Polar user '%s' "
			    "to sync", c->uid);
			return tool_error(req, c, e);
		} else
			return tool_error(req, c, msg ? msg :
			    "sync trigger failed");
	} else
		out = json_pack("{s:s, s:s, s:s}", "status", "started",
		    "user_id", c->uid, "message", "Sync running in the "
		    "background; poll get_sync_status for the result.");
	s = out ? json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	r = s ? tool_result(req, c, s, strlen(s), NULL) :
	    mcp_error(req, c, 200, JSONRPC_INTERNAL, "Internal error");
	free(s);
	return r;
}

int
mcp_query_done(struct http_request *req, struct reqctx *c)
{
	struct mcp_req	*m = c->mcp;
	size_t		 n;
	char		 uid[PF_USER_ID_MAX + 1];

	if (m == NULL)
		return mcp_error(req, c, 200, JSONRPC_INTERNAL,
		    "Internal error");
	if (m->phase == MCP_P_USER) {
		if (c->rows < 1 || c->col[0] == NULL)
			return tool_error(req, c, "No connected Polar user on "
			    "this server yet - complete the OAuth setup "
			    "first");
		snprintf(uid, sizeof(uid), "%s", c->col[0]);
		return tool_run(req, c, uid);
	}
	if (c->rows < 1 || c->col[0] == NULL || c->col[1] == NULL)
		return mcp_error(req, c, 200, JSONRPC_INTERNAL,
		    "Internal error");
	if (atoi(c->col[0]) != 200)
		return tool_error(req, c, c->col[1]);
	if (m->phase == MCP_P_SYNC)
		return mcp_sync_call(req, c, sync_done);
	n = minify_json(c->col[1], strlen(c->col[1]));
	if (c->ckeylen > 0 && env->cache_on)
		cache_put(&env->cache, c->ckey, c->ckeylen, c->uid, 0,
		    c->col[1], n);
	return tool_result(req, c, c->col[1], n, NULL);
}

int
mcp_dbfail(struct http_request *req, struct reqctx *c)
{
	return mcp_error(req, c, 200, JSONRPC_INTERNAL,
	    "Internal error: the database is unavailable; try again later");
}

/* ---- transport ---- */

/*
 * A browser page on an allowed origin may read the answer (CORS); true
 * when the request's Origin is allowed.
 */
static bool
cors(struct http_request *req, const char *origin, bool preflight)
{
	if (!mcp_origin_allowed(origin, env->cfg->mcp_allowed_origins))
		return false;
	http_response_header(req, "access-control-allow-origin", origin);
	http_response_header(req, "vary", "Origin");
	if (preflight) {
		http_response_header(req, "access-control-allow-methods",
		    "POST, OPTIONS");
		http_response_header(req, "access-control-allow-headers",
		    "Content-Type, Accept, Authorization, X-API-Key, "
		    "MCP-Protocol-Version");
		http_response_header(req, "access-control-max-age", "600");
	} else
		http_response_header(req, "access-control-expose-headers",
		    "WWW-Authenticate, Retry-After");
	return true;
}

void
mcp_preflight(struct http_request *req)
{
	const char	*origin;

	if (http_request_header(req, "origin", &origin))
		(void)cors(req, origin, true);
}

int
mcp_origin_check(struct http_request *req, struct reqctx *c)
{
	const char	*origin;
	char		 body[] = "{\"error\":\"Origin not allowed\"}";

	if (!http_request_header(req, "origin", &origin))
		return KORE_RESULT_RETRY;	/* not a browser */
	if (cors(req, origin, false))
		return KORE_RESULT_RETRY;
	return respond_json(req, c, 403, body);
}

/* The body as one JSON value, or NULL with the error answered. */
static json_t *
read_message(struct http_request *req, struct reqctx *c)
{
	char		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	json_t		*msg;
	json_error_t	 je;

	buf = pf_xmalloc(APID_BODY_MAX + 1);
	while (len <= APID_BODY_MAX && (n = http_body_read(req, buf + len,
	    APID_BODY_MAX + 1 - len)) > 0)
		len += (size_t)n;
	if (len > APID_BODY_MAX) {
		free(buf);
		mcp_error(req, c, 413, MCP_BAD_REQUEST,
		    "Request body too large");
		return NULL;
	}
	msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &je);
	free(buf);
	if (msg == NULL)
		mcp_error(req, c, 400, JSONRPC_PARSE, "Parse error: Invalid "
		    "JSON");
	return msg;
}

static int
dispatch(struct http_request *req, struct reqctx *c, const char *method,
    json_t *params)
{
	if (strcmp(method, "initialize") == 0)
		return m_initialize(req, c, params);
	if (strcmp(method, "ping") == 0)
		return mcp_result(req, c, "{}", 2);
	if (strcmp(method, "tools/list") == 0)
		return m_tools_list(req, c);
	if (strcmp(method, "tools/call") == 0)
		return m_tools_call(req, c, params);
	if (strcmp(method, "resources/list") == 0)
		return m_resources_list(req, c);
	if (strcmp(method, "resources/templates/list") == 0)
		return mcp_result(req, c, "{\"resourceTemplates\":[]}", 23);
	if (strcmp(method, "resources/read") == 0)
		return m_resources_read(req, c, params);
	return mcp_error(req, c, 200, JSONRPC_NOMETHOD, "Method not found");
}

int
mcp_begin(struct http_request *req, struct reqctx *c)
{
	const char	*h, *method;
	json_t		*msg, *id, *params;
	int		 accept, r;

	c->mcp = pf_xcalloc(1, sizeof(*c->mcp));
	accept = mcp_accept(http_request_header(req, "accept", &h) ? h :
	    NULL);
	if (accept < 0)
		return mcp_error(req, c, 406, MCP_BAD_REQUEST, "Not "
		    "Acceptable: Client must accept application/json or "
		    "text/event-stream");
	c->mcp->sse = accept == 1;
	if (!http_request_header(req, "content-type", &h) ||
	    !mcp_json_ctype(h))
		return mcp_error(req, c, 415, MCP_BAD_REQUEST, "Unsupported "
		    "Media Type: Content-Type must be application/json");
	if (http_request_header(req, "mcp-protocol-version", &h) &&
	    !mcp_version_known(h))
		return mcp_error(req, c, 400, MCP_BAD_REQUEST, "Bad Request: "
		    "Unsupported protocol version (supported versions: "
		    MCP_VERSION_LATEST ", 2025-06-18, 2025-03-26, "
		    "2024-11-05)");
	if ((msg = read_message(req, c)) == NULL)
		return KORE_RESULT_OK;
	if (json_is_array(msg)) {
		json_decref(msg);
		return mcp_error(req, c, 400, JSONRPC_INVALID, "Invalid "
		    "Request: batches are not supported (MCP "
		    MCP_VERSION_LATEST " sends one message per request)");
	}
	if (!json_is_object(msg) || !json_is_string(json_object_get(msg,
	    "jsonrpc")) || strcmp(json_string_value(json_object_get(msg,
	    "jsonrpc")), "2.0") != 0) {
		json_decref(msg);
		return mcp_error(req, c, 400, JSONRPC_INVALID,
		    "Invalid Request: not a JSON-RPC 2.0 message");
	}
	id = json_object_get(msg, "id");
	method = json_string_value(json_object_get(msg, "method"));
	if (method == NULL) {
		/* A response to us (we never ask), or garbage. */
		r = id != NULL && (json_object_get(msg, "result") != NULL ||
		    json_object_get(msg, "error") != NULL);
		json_decref(msg);
		if (r)
			return respond(req, c, 202, "application/json", NULL,
			    0);
		return mcp_error(req, c, 400, JSONRPC_INVALID,
		    "Invalid Request: method is required");
	}
	if (id == NULL) {		/* a notification: nothing to answer */
		json_decref(msg);
		return respond(req, c, 202, "application/json", NULL, 0);
	}
	if (!json_is_string(id) && !json_is_integer(id)) {
		json_decref(msg);
		return mcp_error(req, c, 400, JSONRPC_INVALID,
		    "Invalid Request: id must be a string or an integer");
	}
	c->mcp->id = json_dumps(id, JSON_ENCODE_ANY);
	params = json_object_get(msg, "params");
	if (params != NULL && !json_is_object(params))
		r = mcp_error(req, c, 200, JSONRPC_PARAMS,
		    "Invalid params: params must be an object");
	else
		r = dispatch(req, c, method, params);
	json_decref(msg);
	return r;
}
