/*
 * console.c -- the admin console's flow: every /admin request but the
 * static assets first reads its state (does an admin exist, the session
 * behind the cookie, the client's recent failed logins) in one statement,
 * then the page's handler answers or runs the page's statement.
 *
 * Sessions are server-side rows keyed by the SHA-256 of a random id that
 * only the cookie holds (HttpOnly, SameSite=Strict, Secure when
 * api_console_secure_cookies); a login makes a new id and deletes the
 * old one.  Every POST carries a CSRF token (form field _csrf or header
 * X-CSRF-Token): the session's, or before a session (login, setup) the
 * one of a pre-session cookie (double submit).  A client address with
 * CONSOLE_FAIL_MAX failures in the window is refused before its password
 * is even looked at.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/crypto.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "apid/console_int.h"
#include "apid/request.h"

static const struct cpage pages[] = {
	{ "GET", "/admin", 0, con_page_root, NULL },
	{ "GET", "/admin/setup", 0, con_setup_get, NULL },
	{ "POST", "/admin/setup", 0, con_setup_post, con_setup_done },
	{ "GET", "/admin/login", 0, con_login_get, NULL },
	{ "POST", "/admin/login", 0, con_login_post, con_login_done },
	{ "POST", "/admin/logout", 1, con_logout_post, con_logout_done },
	{ "GET", "/admin/users", 1, con_users_get, con_users_done },
	{ "GET", "/admin/dashboard", 1, con_dash_get, con_dash_done },
	{ "GET", "/admin/api/hrv", 2, con_hrv_get, con_hrv_done },
	{ "GET", "/admin/keys", 1, con_keys_get, con_keys_done },
	{ "POST", "/admin/keys", 1, con_key_new_post, con_key_action_done },
	{ "POST", "/admin/keys/revoke", 1, con_key_revoke_post, con_key_action_done },
};

/* The console's own headers: a strict CSP, everything from apid. */
static const struct apid_header console_headers[] = {
	{ "x-content-type-options", "nosniff" },
	{ "x-frame-options", "DENY" },
	{ "referrer-policy", "same-origin" },
	{ "content-security-policy",
	    "default-src 'none'; script-src 'self'; style-src 'self'; "
	    "img-src 'self'; connect-src 'self'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'" },
	{ "permissions-policy", "camera=(), microphone=(), geolocation=()" },
	{ "cross-origin-opener-policy", "same-origin" },
	{ NULL, NULL },
};

int
console_respond(struct http_request *req, struct reqctx *c, int status,
    const char *ctype, const char *cache, const char *body, size_t len)
{
	size_t	i;

	http_response_header(req, "content-type", ctype);
	http_response_header(req, "cache-control", cache);
	for (i = 0; console_headers[i].name != NULL; i++)
		http_response_header(req, console_headers[i].name,
		    console_headers[i].value);
	if (env->cfg->api_console_secure_cookies)
		http_response_header(req, "strict-transport-security",
		    "max-age=15768000");
	return respond_send(req, c, status, body, len);
}

int
console_html(struct http_request *req, struct reqctx *c, int status,
    struct pf_buf *b)
{
	int	r;

	r = console_respond(req, c, status, "text/html; charset=utf-8",
	    "no-store", b->p, b->len);
	pf_buf_free(b);
	return r;
}

int
console_json(struct http_request *req, struct reqctx *c, int status,
    const char *body)
{
	return console_respond(req, c, status, "application/json",
	    "no-store", body, strlen(body));
}

int
console_redirect(struct http_request *req, struct reqctx *c, const char *to)
{
	http_response_header(req, "location", to);
	return console_respond(req, c, 303, "text/plain", "no-store", NULL,
	    0);
}

void
console_view_of(const struct console_ctx *cc, struct console_view *v,
    const char *nav)
{
	v->admin = cc->authed ? cc->admin : NULL;
	v->csrf = cc->authed ? cc->csrf : cc->pre;
	v->nav = nav;
}

int
console_message(struct http_request *req, struct reqctx *c, struct console_ctx *cc,
    int status, const char *title, const char *text)
{
	struct console_view	v;
	struct pf_buf		b;

	console_view_of(cc, &v, "");
	pf_buf_init(&b);
	page_message(&b, &v, title, text);
	return console_html(req, c, status, &b);
}

void
console_set_cookie(struct http_request *req, const char *name, const char *value,
    int max_age)
{
	char	buf[256];

	snprintf(buf, sizeof(buf), "%s=%s; Path=/admin; Max-Age=%d; HttpOnly;"
	    " SameSite=Strict%s", name, value, max_age,
	    env->cfg->api_console_secure_cookies ? "; Secure" : "");
	http_response_header(req, "set-cookie", buf);
}

/* Binds the next parameter (copied; long ones on the heap). */
void
console_bind(struct reqctx *c, const char *v)
{
	int	i = c->nparams++;

	if (strlen(v) < sizeof(c->pbuf[i])) {
		snprintf(c->pbuf[i], sizeof(c->pbuf[i]), "%s", v);
		c->pv[i] = c->pbuf[i];
	} else {
		free(c->pheap[i]);
		c->pheap[i] = pf_xstrdup(v);
		c->pv[i] = c->pheap[i];
	}
}

int
console_run(struct reqctx *c, struct console_ctx *cc, enum cstep step,
    const char *sql)
{
	cc->step = step;
	return start_query(c, sql);
}

const char *
console_header(struct http_request *req, const char *name)
{
	const char	*v;

	return http_request_header(req, name, &v) ? v : NULL;
}

bool
console_form(struct console_ctx *cc, const char *name, char *out, size_t len)
{
	return console_form_get(cc->body.p, cc->body.len, name, out, len);
}

bool
console_query(struct http_request *req, const char *name, char *out, size_t len)
{
	const char	*q = req->query_string;

	return q != NULL && console_form_get(q, strlen(q), name, out, len);
}

/* The request's CSRF token against want (the session's or pre-session). */
bool
console_csrf_ok(struct http_request *req, struct console_ctx *cc, const char *want)
{
	char		 got[CONSOLE_TOKEN_HEX + 1];
	const char	*h = console_header(req, "x-csrf-token");

	if (h != NULL)
		snprintf(got, sizeof(got), "%s", h);
	else if (!console_form(cc, "_csrf", got, sizeof(got)))
		return false;
	return want[0] != '\0' && console_hex_valid(want, CONSOLE_TOKEN_HEX) &&
	    pf_crypto_ct_equal(got, strlen(got), want, strlen(want));
}

/*
 * A browser's Origin, when sent, names this host, or base_url's origin
 * (a proxy in front may pass another Host).
 */
static bool
origin_ok(struct http_request *req)
{
	const char	*o = console_header(req, "origin"), *h = console_header(req, "host"), *p;
	const char	*base = env->cfg->base_url, *bp;
	size_t		 n;

	if (o == NULL)
		return true;
	if ((p = strstr(o, "://")) == NULL)
		return false;
	if (h != NULL && strcasecmp(p + 3, h) == 0)
		return true;
	if (base == NULL || (bp = strstr(base, "://")) == NULL)
		return false;
	n = (size_t)(bp + 3 - base) + strcspn(bp + 3, "/");
	return strlen(o) == n && strncasecmp(o, base, n) == 0;
}

static void
peer_text(struct http_request *req, char *out, size_t len)
{
	struct connection	*conn = req->owner;

	out[0] = '\0';
	if (conn->family == AF_INET)
		inet_ntop(AF_INET, &conn->addr.ipv4.sin_addr, out, len);
	else if (conn->family == AF_INET6)
		inet_ntop(AF_INET6, &conn->addr.ipv6.sin6_addr, out, len);
	if (out[0] == '\0')
		snprintf(out, len, "local");
}

int
console_begin(struct http_request *req, struct reqctx *c)
{
	struct console_ctx	*cc;
	const char		*method = http_method_text(req->method);
	const char		*ck;
	char			 peer[INET6_ADDRSTRLEN + 1];
	char			 sid[CONSOLE_TOKEN_HEX + 1];
	size_t			 i;

	if (strncmp(req->path, "/admin/static/", 14) == 0 &&
	    req->method == HTTP_METHOD_GET)
		return console_static(req, c, req->path + 14);
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	cc = pf_xcalloc(1, sizeof(*cc));
	c->con = cc;
	pf_buf_init(&cc->body);
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(pages[i].method, method) == 0 &&
		    strcmp(pages[i].path, req->path) == 0)
			cc->page = &pages[i];
	if (cc->page == NULL)
		return console_message(req, c, cc, 404, "Not found",
		    "There is no such page.");
	if (req->method == HTTP_METHOD_POST) {
		if (!origin_ok(req))
			return console_message(req, c, cc, 403, "Forbidden",
			    "This request came from another site.");
		if (!req_body_read(req, &cc->body, APID_BODY_MAX))
			return console_message(req, c, cc, 413, "Too large",
			    "The form is too large.");
	}
	peer_text(req, peer, sizeof(peer));
	console_client_addr(peer, console_header(req, "x-forwarded-for"),
	    env->cfg->api_trusted_proxies, cc->addr, sizeof(cc->addr));
	ck = console_header(req, "cookie");
	if (console_cookie_get(ck, CONSOLE_COOKIE, sid, sizeof(sid)) &&
	    console_hex_valid(sid, CONSOLE_TOKEN_HEX))
		pf_crypto_sha256_hex(sid, strlen(sid), cc->sid_hash);
	if (!console_cookie_get(ck, CONSOLE_PRE_COOKIE, cc->pre,
	    sizeof(cc->pre)) || !console_hex_valid(cc->pre, CONSOLE_TOKEN_HEX))
		cc->pre[0] = '\0';
	c->nparams = 0;
	console_bind(c, cc->sid_hash);
	console_bind(c, cc->addr);
	return console_run(c, cc, CS_STATE, store_sql_console_state);
}

static int
state_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	if (c->rows < 1)
		return console_message(req, c, cc, 500, "Error", "No state.");
	cc->has_admin = c->col[0] != NULL && c->col[0][0] == 't';
	cc->authed = c->col[1] != NULL && c->col[1][0] != '\0';
	if (cc->authed) {
		snprintf(cc->admin, sizeof(cc->admin), "%s", c->col[2]);
		snprintf(cc->csrf, sizeof(cc->csrf), "%s", c->col[3]);
	}
	cc->failures = c->col[4] != NULL ? atoi(c->col[4]) : 0;
	if (cc->page->auth && !cc->authed) {
		if (cc->page->auth == 2)
			return console_json(req, c, 401,
			    "{\"detail\":\"Not signed in\"}");
		return console_redirect(req, c, cc->has_admin ? "/admin/login" :
		    "/admin/setup");
	}
	if (cc->page->auth && req->method == HTTP_METHOD_POST &&
	    !console_csrf_ok(req, cc, cc->csrf))
		return console_message(req, c, cc, 403, "Forbidden",
		    "The form's security token is missing or wrong; reload "
		    "the page and try again.");
	c->nparams = 0;
	return cc->page->begin(req, c, cc);
}

int
console_query_done(struct http_request *req, struct reqctx *c)
{
	struct console_ctx	*cc = c->con;

	switch (cc->step) {
	case CS_STATE:
		return state_done(req, c, cc);
	case CS_HASH:
	case CS_LOGIN:
	case CS_FAIL:
		return con_login_done(req, c, cc);
	default:
		return cc->page->done(req, c, cc);
	}
}

int
console_query_failed(struct http_request *req, struct reqctx *c)
{
	struct console_ctx	*cc = c->con;

	if (cc->page != NULL && cc->page->auth == 2)
		return console_json(req, c, 503,
		    "{\"detail\":\"Database unavailable\"}");
	return console_message(req, c, cc, 503, "Unavailable",
	    "The database cannot be reached; try again shortly.");
}

void
console_free(struct reqctx *c)
{
	struct console_ctx	*cc = c->con;

	if (cc == NULL)
		return;
	console_pw_free(cc);		/* a running task keeps its job (leaked) */
	pf_buf_free(&cc->body);
	sodium_memzero(cc, sizeof(*cc));
	free(cc);
	c->con = NULL;
}

