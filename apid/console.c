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

enum cstep {
	CS_STATE,	/* store_sql_console_state */
	CS_PAGE,	/* the page's own statement */
	CS_HASH,	/* login: the admin's password hash */
	CS_LOGIN,	/* login: the new session */
	CS_FAIL,	/* login: a failure noted */
	CS_SETUP,	/* setup: the admin and session */
	CS_ACTION,	/* a key made or revoked */
	CS_LOGOUT,
};

struct console_ctx;
/*
 * Argon2id runs on a kore task thread: at the interactive limits a hash
 * takes 64 MiB and tenths of a second, which the worker's event loop
 * must not wait for.
 */
enum { PW_HASH, PW_VERIFY };
struct pw_job {
	struct kore_task	task;	/* first: the entry gets it */
	int			op;
	int			rc;	/* 0: hashed / the password matches */
	char			pass[CONSOLE_PASSWORD_MAX + 1];
	char			hash[crypto_pwhash_STRBYTES];
};
typedef int	(*page_fn)(struct http_request *, struct reqctx *,
		    struct console_ctx *);

struct cpage {
	const char	*method;
	const char	*path;
	int		 auth;		/* 1: a session, 2: ... and JSON 401 */
	page_fn		 begin;		/* once the state is known */
	page_fn		 done;		/* its statement answered */
};

struct console_ctx {
	enum cstep		 step;
	const struct cpage	*page;
	char			 addr[CONSOLE_ADDR_MAX];
	char			 sid_hash[PF_CRYPTO_SHA256_HEX_SIZE];
	char			 pre[CONSOLE_TOKEN_HEX + 1];	/* pre-session */
	bool			 pre_new;
	bool			 has_admin;
	bool			 authed;
	char			 admin[CONSOLE_NAME_MAX + 1];
	char			 csrf[CONSOLE_TOKEN_HEX + 1];
	int			 failures;
	struct pf_buf		 body;
	char			 name[CONSOLE_NAME_MAX + 1];
	char			 newsid[CONSOLE_TOKEN_HEX + 1];
	char			 newcsrf[CONSOLE_TOKEN_HEX + 1];
	char			 pwhash[crypto_pwhash_STRBYTES];
	char			 newkey[PF_CRYPTO_API_KEY_SIZE];
	char			 notice[160];
	bool			 ok;
	struct pw_job		*pw;		/* REQ_CONSOLE */
	page_fn			 pw_done;	/* runs once it finished */
};

static int	page_root(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	setup_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	setup_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	setup_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	login_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	login_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	login_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	setup_hashed(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	login_verified(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	logout_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	logout_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	users_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	users_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	dash_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	dash_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	hrv_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	hrv_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	keys_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	keys_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	key_new_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	key_revoke_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	key_action_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);

static const struct cpage pages[] = {
	{ "GET", "/admin", 0, page_root, NULL },
	{ "GET", "/admin/setup", 0, setup_get, NULL },
	{ "POST", "/admin/setup", 0, setup_post, setup_done },
	{ "GET", "/admin/login", 0, login_get, NULL },
	{ "POST", "/admin/login", 0, login_post, login_done },
	{ "POST", "/admin/logout", 1, logout_post, logout_done },
	{ "GET", "/admin/users", 1, users_get, users_done },
	{ "GET", "/admin/dashboard", 1, dash_get, dash_done },
	{ "GET", "/admin/api/hrv", 2, hrv_get, hrv_done },
	{ "GET", "/admin/keys", 1, keys_get, keys_done },
	{ "POST", "/admin/keys", 1, key_new_post, key_action_done },
	{ "POST", "/admin/keys/revoke", 1, key_revoke_post, key_action_done },
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

/*
 * An unknown name is checked against this hash (of a random password no
 * one kept), so that it costs the time of a wrong password.
 */
static const char dummy_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$"
    "9vxrKnZ3Qxq3ANPBBQlzYw$BHR7EACFskdYY3ndz/YZwg1EGPG+0XDHrN34VYh3oUY";

static int
pw_task(struct kore_task *t)
{
	struct pw_job	*j = (struct pw_job *)t;

	if (j->op == PW_HASH)
		j->rc = crypto_pwhash_str(j->hash, j->pass, strlen(j->pass),
		    crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	else
		j->rc = crypto_pwhash_str_verify(j->hash, j->pass,
		    strlen(j->pass));
	sodium_memzero(j->pass, sizeof(j->pass));
	return KORE_RESULT_OK;
}

/* Runs op on a task thread; done runs when it has finished. */
static int
pw_start(struct http_request *req, struct reqctx *c, struct console_ctx *cc,
    int op, const char *pass, const char *hash, page_fn done)
{
	struct pw_job	*j;

	j = pf_xcalloc(1, sizeof(*j));
	j->op = op;
	snprintf(j->pass, sizeof(j->pass), "%s", pass);
	if (hash != NULL)
		snprintf(j->hash, sizeof(j->hash), "%s", hash);
	cc->pw = j;
	cc->pw_done = done;
	kore_task_create(&j->task, pw_task);
	kore_task_bind_request(&j->task, req);
	kore_task_run(&j->task);
	c->state = REQ_CONSOLE;
	return KORE_RESULT_RETRY;
}

bool
console_task_finished(struct reqctx *c)
{
	return kore_task_finished(&c->con->pw->task);
}

static void
pw_free(struct console_ctx *cc)
{
	if (cc->pw == NULL)
		return;
	if (!kore_task_finished(&cc->pw->task)) {
		pf_log_warnx("request freed with its password check running");
		cc->pw = NULL;
		return;
	}
	kore_task_destroy(&cc->pw->task);
	sodium_memzero(cc->pw, sizeof(*cc->pw));
	free(cc->pw);
	cc->pw = NULL;
}

int
console_task_done(struct http_request *req, struct reqctx *c)
{
	struct console_ctx	*cc = c->con;

	c->state = REQ_ROUTE;
	return cc->pw_done(req, c, cc);
}

int
console_respond(struct http_request *req, struct reqctx *c, int status,
    const char *ctype, const char *cache, const char *body, size_t len)
{
	int64_t	dur;
	size_t	i;

	http_response_header(req, "content-type", ctype);
	http_response_header(req, "cache-control", cache);
	for (i = 0; console_headers[i].name != NULL; i++)
		http_response_header(req, console_headers[i].name,
		    console_headers[i].value);
	if (env->cfg->api_console_secure_cookies)
		http_response_header(req, "strict-transport-security",
		    "max-age=15768000");
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

static int
send_html(struct http_request *req, struct reqctx *c, int status,
    struct pf_buf *b)
{
	int	r;

	r = console_respond(req, c, status, "text/html; charset=utf-8",
	    "no-store", b->p, b->len);
	pf_buf_free(b);
	return r;
}

static int
send_json(struct http_request *req, struct reqctx *c, int status,
    const char *body)
{
	return console_respond(req, c, status, "application/json",
	    "no-store", body, strlen(body));
}

static int
redirect(struct http_request *req, struct reqctx *c, const char *to)
{
	http_response_header(req, "location", to);
	return console_respond(req, c, 303, "text/plain", "no-store", NULL,
	    0);
}

static void
view_of(const struct console_ctx *cc, struct console_view *v,
    const char *nav)
{
	v->admin = cc->authed ? cc->admin : NULL;
	v->csrf = cc->authed ? cc->csrf : cc->pre;
	v->nav = nav;
}

static int
message(struct http_request *req, struct reqctx *c, struct console_ctx *cc,
    int status, const char *title, const char *text)
{
	struct console_view	v;
	struct pf_buf		b;

	view_of(cc, &v, "");
	pf_buf_init(&b);
	page_message(&b, &v, title, text);
	return send_html(req, c, status, &b);
}

static void
set_cookie(struct http_request *req, const char *name, const char *value,
    int max_age)
{
	char	buf[256];

	snprintf(buf, sizeof(buf), "%s=%s; Path=/admin; Max-Age=%d; HttpOnly;"
	    " SameSite=Strict%s", name, value, max_age,
	    env->cfg->api_console_secure_cookies ? "; Secure" : "");
	http_response_header(req, "set-cookie", buf);
}

/* Binds the next parameter (copied; long ones on the heap). */
static void
pbind(struct reqctx *c, const char *v)
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

static int
run(struct reqctx *c, struct console_ctx *cc, enum cstep step,
    const char *sql)
{
	cc->step = step;
	return start_query(c, sql);
}

static const char *
header(struct http_request *req, const char *name)
{
	const char	*v;

	return http_request_header(req, name, &v) ? v : NULL;
}

static bool
form(struct console_ctx *cc, const char *name, char *out, size_t len)
{
	return console_form_get(cc->body.p, cc->body.len, name, out, len);
}

static bool
query(struct http_request *req, const char *name, char *out, size_t len)
{
	const char	*q = req->query_string;

	return q != NULL && console_form_get(q, strlen(q), name, out, len);
}

/* The request's CSRF token against want (the session's or pre-session). */
static bool
csrf_ok(struct http_request *req, struct console_ctx *cc, const char *want)
{
	char		 got[CONSOLE_TOKEN_HEX + 1];
	const char	*h = header(req, "x-csrf-token");

	if (h != NULL)
		snprintf(got, sizeof(got), "%s", h);
	else if (!form(cc, "_csrf", got, sizeof(got)))
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
	const char	*o = header(req, "origin"), *h = header(req, "host"), *p;
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

static bool
read_body(struct http_request *req, struct pf_buf *b)
{
	char	chunk[4096];
	ssize_t	n;

	if (req->http_body == NULL && req->http_body_fd == -1)
		return true;
	if (http_body_rewind(req) != KORE_RESULT_OK)
		return false;
	for (;;) {
		n = http_body_read(req, chunk, sizeof(chunk));
		if (n < 0)
			return false;
		if (n == 0)
			return true;
		if (b->len + (size_t)n > APID_BODY_MAX)
			return false;
		pf_buf_add(b, chunk, (size_t)n);
	}
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
		return message(req, c, cc, 404, "Not found",
		    "There is no such page.");
	if (req->method == HTTP_METHOD_POST) {
		if (!origin_ok(req))
			return message(req, c, cc, 403, "Forbidden",
			    "This request came from another site.");
		if (!read_body(req, &cc->body))
			return message(req, c, cc, 413, "Too large",
			    "The form is too large.");
	}
	peer_text(req, peer, sizeof(peer));
	console_client_addr(peer, header(req, "x-forwarded-for"),
	    env->cfg->api_trusted_proxies, cc->addr, sizeof(cc->addr));
	ck = header(req, "cookie");
	if (console_cookie_get(ck, CONSOLE_COOKIE, sid, sizeof(sid)) &&
	    console_hex_valid(sid, CONSOLE_TOKEN_HEX))
		pf_crypto_sha256_hex(sid, strlen(sid), cc->sid_hash);
	if (!console_cookie_get(ck, CONSOLE_PRE_COOKIE, cc->pre,
	    sizeof(cc->pre)) || !console_hex_valid(cc->pre, CONSOLE_TOKEN_HEX))
		cc->pre[0] = '\0';
	c->nparams = 0;
	pbind(c, cc->sid_hash);
	pbind(c, cc->addr);
	return run(c, cc, CS_STATE, store_sql_console_state);
}

static int
state_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	if (c->rows < 1)
		return message(req, c, cc, 500, "Error", "No state.");
	cc->has_admin = c->col[0] != NULL && c->col[0][0] == 't';
	cc->authed = c->col[1] != NULL && c->col[1][0] != '\0';
	if (cc->authed) {
		snprintf(cc->admin, sizeof(cc->admin), "%s", c->col[2]);
		snprintf(cc->csrf, sizeof(cc->csrf), "%s", c->col[3]);
	}
	cc->failures = c->col[4] != NULL ? atoi(c->col[4]) : 0;
	if (cc->page->auth && !cc->authed) {
		if (cc->page->auth == 2)
			return send_json(req, c, 401,
			    "{\"detail\":\"Not signed in\"}");
		return redirect(req, c, cc->has_admin ? "/admin/login" :
		    "/admin/setup");
	}
	if (cc->page->auth && req->method == HTTP_METHOD_POST &&
	    !csrf_ok(req, cc, cc->csrf))
		return message(req, c, cc, 403, "Forbidden",
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
		return login_done(req, c, cc);
	default:
		return cc->page->done(req, c, cc);
	}
}

int
console_query_failed(struct http_request *req, struct reqctx *c)
{
	struct console_ctx	*cc = c->con;

	if (cc->page != NULL && cc->page->auth == 2)
		return send_json(req, c, 503,
		    "{\"detail\":\"Database unavailable\"}");
	return message(req, c, cc, 503, "Unavailable",
	    "The database cannot be reached; try again shortly.");
}

void
console_free(struct reqctx *c)
{
	struct console_ctx	*cc = c->con;

	if (cc == NULL)
		return;
	pw_free(cc);		/* a running task keeps its job (leaked) */
	pf_buf_free(&cc->body);
	sodium_memzero(cc, sizeof(*cc));
	free(cc);
	c->con = NULL;
}

static int
page_root(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	if (!cc->has_admin)
		return redirect(req, c, "/admin/setup");
	return redirect(req, c, cc->authed ? "/admin/users" : "/admin/login");
}

/* The pre-session token of a login or setup form, made when missing. */
static void
pre_session(struct http_request *req, struct console_ctx *cc)
{
	if (cc->pre[0] != '\0')
		return;
	if (pf_crypto_random_hex(CONSOLE_TOKEN_HEX / 2, cc->pre,
	    sizeof(cc->pre)) != PF_OK)
		cc->pre[0] = '\0';
	set_cookie(req, CONSOLE_PRE_COOKIE, cc->pre, 3600);
}

static int
show_setup(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc, int status, const char *err)
{
	struct console_view	v;
	struct pf_buf		b;

	pre_session(req, cc);
	view_of(cc, &v, "setup");
	v.admin = NULL;
	pf_buf_init(&b);
	page_setup(&b, &v, err, cc->name);
	return send_html(req, c, status, &b);
}

static int
show_login(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc, int status, const char *err)
{
	struct console_view	v;
	struct pf_buf		b;

	pre_session(req, cc);
	view_of(cc, &v, "login");
	v.admin = NULL;
	pf_buf_init(&b);
	page_login(&b, &v, err, cc->name);
	return send_html(req, c, status, &b);
}

static int
throttled(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	return message(req, c, cc, 429, "Too many attempts",
	    "Too many failed attempts from your address. Please try again "
	    "in 15 minutes.");
}

static int
setup_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	if (cc->has_admin)
		return redirect(req, c, "/admin/login");
	return show_setup(req, c, cc, 200, NULL);
}

/* A new session id and CSRF token; binds the id's hash and the token. */
static bool
new_session(struct reqctx *c, struct console_ctx *cc)
{
	char	hash[PF_CRYPTO_SHA256_HEX_SIZE];

	if (pf_crypto_random_hex(CONSOLE_SESSION_BYTES, cc->newsid,
	    sizeof(cc->newsid)) != PF_OK ||
	    pf_crypto_random_hex(CONSOLE_TOKEN_HEX / 2, cc->newcsrf,
	    sizeof(cc->newcsrf)) != PF_OK)
		return false;
	pf_crypto_sha256_hex(cc->newsid, strlen(cc->newsid), hash);
	pbind(c, hash);
	pbind(c, cc->newcsrf);
	return true;
}

static int
setup_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	char	token[80], pass[CONSOLE_PASSWORD_MAX + 1];
	char	pass2[CONSOLE_PASSWORD_MAX + 1];
	int	r;

	if (cc->has_admin)
		return redirect(req, c, "/admin/login");
	if (cc->failures >= CONSOLE_FAIL_MAX)
		return throttled(req, c, cc);
	if (!csrf_ok(req, cc, cc->pre))
		return show_setup(req, c, cc, 403, "The form expired; please "
		    "try again.");
	if (!form(cc, "token", token, sizeof(token)))
		token[0] = '\0';
	if (!form(cc, "name", cc->name, sizeof(cc->name)) ||
	    !console_name_valid(cc->name)) {
		cc->name[0] = '\0';
		return show_setup(req, c, cc, 200, "The name must be 1 to 64 "
		    "letters, digits or . _ @ + -");
	}
	if (!form(cc, "password", pass, sizeof(pass)) ||
	    strlen(pass) < CONSOLE_PASSWORD_MIN)
		return show_setup(req, c, cc, 200, "The password must have at "
		    "least 8 characters.");
	if (!form(cc, "password2", pass2, sizeof(pass2)) ||
	    strcmp(pass, pass2) != 0) {
		sodium_memzero(pass, sizeof(pass));
		return show_setup(req, c, cc, 200, "The passwords do not "
		    "match.");
	}
	(void)token;
	r = pw_start(req, c, cc, PW_HASH, pass, NULL, setup_hashed);
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(pass2, sizeof(pass2));
	return r;
}

static int
setup_hashed(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	char	token[80];

	if (cc->pw->rc != 0)
		return message(req, c, cc, 500, "Error",
		    "The password could not be hashed.");
	snprintf(cc->pwhash, sizeof(cc->pwhash), "%s", cc->pw->hash);
	pw_free(cc);
	if (!form(cc, "token", token, sizeof(token)))
		token[0] = '\0';
	c->nparams = 0;
	pbind(c, token);
	pbind(c, cc->name);
	pbind(c, cc->pwhash);
	if (!new_session(c, cc))
		return message(req, c, cc, 500, "Error", "No randomness.");
	pbind(c, cc->addr);
	return run(c, cc, CS_SETUP, store_sql_console_setup);
}

static int
signed_in(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	set_cookie(req, CONSOLE_COOKIE, cc->newsid,
	    CONSOLE_SESSION_HOURS * 3600);
	set_cookie(req, CONSOLE_PRE_COOKIE, "", 0);
	pf_log_info("console: %s signed in from %s", cc->name, cc->addr);
	return redirect(req, c, "/admin");
}

static int
setup_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	if (c->rows > 0 && c->col[0] != NULL && atoi(c->col[0]) == 1) {
		pf_log_warnx("console: first administrator %s created from %s",
		    cc->name, cc->addr);
		return signed_in(req, c, cc);
	}
	return show_setup(req, c, cc, 200, "Invalid setup token: apid's log "
	    "shows it at start, and \"polarctl admin setup-token\" prints it.");
}

static int
login_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	if (!cc->has_admin)
		return redirect(req, c, "/admin/setup");
	if (cc->authed)
		return redirect(req, c, "/admin");
	return show_login(req, c, cc, 200, NULL);
}

static int
login_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	if (cc->failures >= CONSOLE_FAIL_MAX)
		return throttled(req, c, cc);
	if (!csrf_ok(req, cc, cc->pre))
		return show_login(req, c, cc, 403, "The form expired; please "
		    "try again.");
	if (!form(cc, "name", cc->name, sizeof(cc->name)) ||
	    !console_name_valid(cc->name))
		cc->name[0] = '\0';
	pbind(c, cc->name);
	return run(c, cc, CS_HASH, store_sql_console_admin_hash);
}

static int
login_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	switch (cc->step) {
	case CS_HASH: {
		char		 pass[CONSOLE_PASSWORD_MAX + 1];
		const char	*hash = c->rows > 0 && c->col[0] != NULL &&
				    c->col[0][0] != '\0' && cc->name[0] != '\0' ?
				    c->col[0] : dummy_hash;
		int		 r;

		if (!form(cc, "password", pass, sizeof(pass)))
			pass[0] = '\0';
		cc->ok = hash != dummy_hash;
		r = pw_start(req, c, cc, PW_VERIFY, pass, hash,
		    login_verified);
		sodium_memzero(pass, sizeof(pass));
		return r;
	}
	case CS_LOGIN:
		if (c->rows > 0 && c->col[0] != NULL && atoi(c->col[0]) == 1)
			return signed_in(req, c, cc);
		/* FALLTHROUGH */
	default:
		pf_log_warnx("console: failed login from %s", cc->addr);
		return show_login(req, c, cc, 200, "Invalid name or password.");
	}
}

static int
login_verified(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	bool	ok = cc->ok && cc->pw->rc == 0;

	pw_free(cc);
	c->nparams = 0;
	if (!ok) {
		pbind(c, cc->addr);
		return run(c, cc, CS_FAIL, store_sql_console_fail);
	}
	if (!new_session(c, cc))
		return message(req, c, cc, 500, "Error", "No randomness.");
	pbind(c, cc->name);
	pbind(c, cc->sid_hash);
	pbind(c, cc->addr);
	return run(c, cc, CS_LOGIN, store_sql_console_login);
}

static int
logout_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	(void)req;
	pbind(c, cc->sid_hash);
	return run(c, cc, CS_LOGOUT, store_sql_console_logout);
}

static int
logout_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	(void)cc;
	set_cookie(req, CONSOLE_COOKIE, "", 0);
	return redirect(req, c, "/admin/login");
}

/* Row 0's column i as JSON; NULL when it is not. */
static json_t *
col_json(struct reqctx *c, int i)
{
	if (c->rows < 1 || c->col[i] == NULL)
		return NULL;
	return json_loads(c->col[i], 0, NULL);
}

static int
users_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	(void)req;
	return run(c, cc, CS_PAGE, store_sql_console_users);
}

static int
users_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	struct console_view	v;
	struct pf_buf		b;
	json_t			*users = col_json(c, 0);

	if (users == NULL)
		return message(req, c, cc, 500, "Error", "No users.");
	view_of(cc, &v, "users");
	pf_buf_init(&b);
	page_users(&b, &v, users);
	json_decref(users);
	return send_html(req, c, 200, &b);
}

/* ?user= into out; false (answered 400 page) when missing or invalid. */
static bool
user_arg(struct http_request *req, char *out, size_t len)
{
	return query(req, "user", out, len) && pf_user_id_valid(out);
}

static int
dash_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	char	uid[PF_USER_ID_MAX + 1];

	if (!user_arg(req, uid, sizeof(uid)))
		return redirect(req, c, "/admin/users");
	pbind(c, uid);
	return run(c, cc, CS_PAGE, store_sql_console_tiles);
}

static int
dash_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	struct console_view	v;
	struct pf_buf		b;
	json_t			*tiles;

	if (c->rows < 1)
		return message(req, c, cc, 404, "Not found",
		    "There is no such user.");
	if ((tiles = col_json(c, 0)) == NULL)
		return message(req, c, cc, 500, "Error", "No data.");
	view_of(cc, &v, "users");
	pf_buf_init(&b);
	page_dashboard(&b, &v, tiles);
	json_decref(tiles);
	return send_html(req, c, 200, &b);
}

/* GET /admin/api/hrv?user=&days= (1..365): analyticsd's daily band. */
static int
hrv_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	char	uid[PF_USER_ID_MAX + 1], days[8], *e;
	long	n = 90;

	if (!user_arg(req, uid, sizeof(uid)))
		return send_json(req, c, 400, "{\"detail\":\"Invalid user\"}");
	if (query(req, "days", days, sizeof(days))) {
		n = strtol(days, &e, 10);
		if (*days == '\0' || *e != '\0' || n < 1 || n > 365)
			return send_json(req, c, 400,
			    "{\"detail\":\"days must be 1 to 365\"}");
	}
	snprintf(days, sizeof(days), "%ld", n);
	pbind(c, uid);
	pbind(c, "hrv_band");
	pbind(c, days);
	return run(c, cc, CS_PAGE, store_sql_daily);
}

static int
hrv_done(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	(void)cc;
	if (c->rows < 1 || c->col[1] == NULL)
		return send_json(req, c, 500, "{\"detail\":\"No data\"}");
	return send_json(req, c, 200, c->col[1]);
}

static int
keys_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	(void)req;
	return run(c, cc, CS_PAGE, store_sql_console_keys);
}

static int
keys_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	struct console_view	v;
	struct pf_buf		b;
	json_t			*keys = col_json(c, 0), *users = col_json(c, 1);
	bool			 part = cc->step == CS_ACTION &&
				    header(req, "hx-request") != NULL;

	if (keys == NULL || users == NULL) {
		json_decref(keys);
		json_decref(users);
		return message(req, c, cc, 500, "Error", "No keys.");
	}
	view_of(cc, &v, "keys");
	pf_buf_init(&b);
	if (part)
		part_keys(&b, &v, keys, cc->notice,
		    cc->newkey[0] ? cc->newkey : NULL);
	else
		page_keys(&b, &v, keys, users, cc->notice,
		    cc->newkey[0] ? cc->newkey : NULL);
	json_decref(keys);
	json_decref(users);
	explicit_bzero(cc->newkey, sizeof(cc->newkey));
	return send_html(req, c, 200, &b);
}

static int
key_new_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	char	uid[PF_USER_ID_MAX + 1], name[101], hash[PF_CRYPTO_SHA256_HEX_SIZE];
	char	prefix[13];

	if (!form(cc, "user_id", uid, sizeof(uid)) ||
	    (uid[0] != '\0' && !pf_user_id_valid(uid)))
		return message(req, c, cc, 400, "Invalid user",
		    "The user id is not valid.");
	if (!form(cc, "name", name, sizeof(name)))
		name[0] = '\0';
	if (pf_crypto_api_key_new(cc->newkey) != PF_OK)
		return message(req, c, cc, 500, "Error", "No randomness.");
	pf_crypto_sha256_hex(cc->newkey, strlen(cc->newkey), hash);
	snprintf(prefix, sizeof(prefix), "%.12s", cc->newkey);
	pbind(c, uid);
	pbind(c, hash);
	pbind(c, prefix);
	pbind(c, name);
	pbind(c, cc->admin);
	cc->ok = true;
	(void)req;
	return run(c, cc, CS_ACTION, store_sql_console_key_new);
}

static int
key_revoke_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	char	id[24], *e;
	long long n;

	if (!form(cc, "id", id, sizeof(id)) ||
	    (n = strtoll(id, &e, 10)) <= 0 || *e != '\0')
		return message(req, c, cc, 400, "Invalid key",
		    "The key id is not valid.");
	pbind(c, id);
	pbind(c, cc->admin);
	cc->ok = false;
	return run(c, cc, CS_ACTION, store_sql_console_key_revoke);
}

/* A key made or revoked: the notice, then the keys again. */
static int
key_action_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	int	code;

	if (cc->step == CS_PAGE) {
		cc->step = CS_ACTION;
		return keys_done(req, c, cc);
	}
	code = c->rows > 0 && c->col[0] != NULL ? atoi(c->col[0]) : 500;
	if (cc->ok) {		/* a new key */
		if (code == 200)
			snprintf(cc->notice, sizeof(cc->notice), "New key %s "
			    "made. Copy it now: it is shown only once.",
			    c->col[1]);
		else {
			explicit_bzero(cc->newkey, sizeof(cc->newkey));
			snprintf(cc->notice, sizeof(cc->notice), "%s",
			    code == 409 ? "That user has an active key "
			    "already; revoke it first." : "No such user.");
		}
	} else if (code == 200) {
		if (c->col[1] != NULL && c->col[1][0] != '\0')
			keys_drop_user(c->col[1]);
		snprintf(cc->notice, sizeof(cc->notice), "Key revoked.");
	} else
		snprintf(cc->notice, sizeof(cc->notice), "No such active key.");
	c->nparams = 0;
	cc->step = CS_PAGE;
	return start_query(c, store_sql_console_keys);
}
