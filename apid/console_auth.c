/*
 * console_auth.c -- the console's first-run setup, login and logout: the
 * throttle, the pre-session CSRF token of their forms, session ids made
 * and rotated, and Argon2id on a kore task thread (at the interactive
 * limits a hash takes 64 MiB and tenths of a second, which the worker's
 * event loop must not wait for).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/crypto.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include "apid/console_int.h"
#include "apid/request.h"

static int	setup_hashed(struct http_request *, struct reqctx *,
		    struct console_ctx *);
static int	login_verified(struct http_request *, struct reqctx *,
		    struct console_ctx *);

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

void
console_pw_free(struct console_ctx *cc)
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
con_page_root(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	if (!cc->has_admin)
		return console_redirect(req, c, "/admin/setup");
	return console_redirect(req, c, cc->authed ? "/admin/users" : "/admin/login");
}

/* The pre-session token of a login or setup form, made when missing. */
static void
console_pre_session(struct http_request *req, struct console_ctx *cc)
{
	if (cc->pre[0] != '\0')
		return;
	if (pf_crypto_random_hex(CONSOLE_TOKEN_HEX / 2, cc->pre,
	    sizeof(cc->pre)) != PF_OK)
		cc->pre[0] = '\0';
	console_set_cookie(req, CONSOLE_PRE_COOKIE, cc->pre, 3600);
}

static int
show_setup(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc, int status, const char *err)
{
	struct console_view	v;
	struct pf_buf		b;

	console_pre_session(req, cc);
	console_view_of(cc, &v, "setup");
	v.admin = NULL;
	pf_buf_init(&b);
	page_setup(&b, &v, err, cc->name);
	return console_html(req, c, status, &b);
}

static int
show_login(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc, int status, const char *err)
{
	struct console_view	v;
	struct pf_buf		b;

	console_pre_session(req, cc);
	console_view_of(cc, &v, "login");
	v.admin = NULL;
	pf_buf_init(&b);
	page_login(&b, &v, err, cc->name);
	return console_html(req, c, status, &b);
}

static int
throttled(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	return console_message(req, c, cc, 429, "Too many attempts",
	    "Too many failed attempts from your address. Please try again "
	    "in 15 minutes.");
}

int
con_setup_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	if (cc->has_admin)
		return console_redirect(req, c, "/admin/login");
	return show_setup(req, c, cc, 200, NULL);
}

/* A new session id and CSRF token; binds the id's hash and the token. */
static bool
console_new_session(struct reqctx *c, struct console_ctx *cc)
{
	char	hash[PF_CRYPTO_SHA256_HEX_SIZE];

	if (pf_crypto_random_hex(CONSOLE_SESSION_BYTES, cc->newsid,
	    sizeof(cc->newsid)) != PF_OK ||
	    pf_crypto_random_hex(CONSOLE_TOKEN_HEX / 2, cc->newcsrf,
	    sizeof(cc->newcsrf)) != PF_OK)
		return false;
	pf_crypto_sha256_hex(cc->newsid, strlen(cc->newsid), hash);
	console_bind(c, hash);
	console_bind(c, cc->newcsrf);
	return true;
}

int
con_setup_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	char	token[80], pass[CONSOLE_PASSWORD_MAX + 1];
	char	pass2[CONSOLE_PASSWORD_MAX + 1];
	int	r;

	if (cc->has_admin)
		return console_redirect(req, c, "/admin/login");
	if (cc->failures >= CONSOLE_FAIL_MAX)
		return throttled(req, c, cc);
	if (!console_csrf_ok(req, cc, cc->pre))
		return show_setup(req, c, cc, 403, "The form expired; please "
		    "try again.");
	if (!console_form(cc, "token", token, sizeof(token)))
		token[0] = '\0';
	if (!console_form(cc, "name", cc->name, sizeof(cc->name)) ||
	    !console_name_valid(cc->name)) {
		cc->name[0] = '\0';
		return show_setup(req, c, cc, 200, "The name must be 1 to 64 "
		    "letters, digits or . _ @ + -");
	}
	if (!console_form(cc, "password", pass, sizeof(pass)) ||
	    strlen(pass) < CONSOLE_PASSWORD_MIN)
		return show_setup(req, c, cc, 200, "The password must have at "
		    "least 8 characters.");
	if (!console_form(cc, "password2", pass2, sizeof(pass2)) ||
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
		return console_message(req, c, cc, 500, "Error",
		    "The password could not be hashed.");
	snprintf(cc->pwhash, sizeof(cc->pwhash), "%s", cc->pw->hash);
	console_pw_free(cc);
	if (!console_form(cc, "token", token, sizeof(token)))
		token[0] = '\0';
	c->nparams = 0;
	console_bind(c, token);
	console_bind(c, cc->name);
	console_bind(c, cc->pwhash);
	if (!console_new_session(c, cc))
		return console_message(req, c, cc, 500, "Error", "No randomness.");
	console_bind(c, cc->addr);
	return console_run(c, cc, CS_SETUP, store_sql_console_setup);
}

static int
signed_in(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	console_set_cookie(req, CONSOLE_COOKIE, cc->newsid,
	    CONSOLE_SESSION_HOURS * 3600);
	console_set_cookie(req, CONSOLE_PRE_COOKIE, "", 0);
	pf_log_info("console: %s signed in from %s", cc->name, cc->addr);
	return console_redirect(req, c, "/admin");
}

int
con_setup_done(struct http_request *req, struct reqctx *c,
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

int
con_login_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	if (!cc->has_admin)
		return console_redirect(req, c, "/admin/setup");
	if (cc->authed)
		return console_redirect(req, c, "/admin");
	return show_login(req, c, cc, 200, NULL);
}

int
con_login_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	if (cc->failures >= CONSOLE_FAIL_MAX)
		return throttled(req, c, cc);
	if (!console_csrf_ok(req, cc, cc->pre))
		return show_login(req, c, cc, 403, "The form expired; please "
		    "try again.");
	if (!console_form(cc, "name", cc->name, sizeof(cc->name)) ||
	    !console_name_valid(cc->name))
		cc->name[0] = '\0';
	console_bind(c, cc->name);
	return console_run(c, cc, CS_HASH, store_sql_console_admin_hash);
}

int
con_login_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	switch (cc->step) {
	case CS_HASH: {
		char		 pass[CONSOLE_PASSWORD_MAX + 1];
		const char	*hash = c->rows > 0 && c->col[0] != NULL &&
				    c->col[0][0] != '\0' && cc->name[0] != '\0' ?
				    c->col[0] : dummy_hash;
		int		 r;

		if (!console_form(cc, "password", pass, sizeof(pass)))
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

	console_pw_free(cc);
	c->nparams = 0;
	if (!ok) {
		console_bind(c, cc->addr);
		return console_run(c, cc, CS_FAIL, store_sql_console_fail);
	}
	if (!console_new_session(c, cc))
		return console_message(req, c, cc, 500, "Error", "No randomness.");
	console_bind(c, cc->name);
	console_bind(c, cc->sid_hash);
	console_bind(c, cc->addr);
	return console_run(c, cc, CS_LOGIN, store_sql_console_login);
}

int
con_logout_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	(void)req;
	console_bind(c, cc->sid_hash);
	return console_run(c, cc, CS_LOGOUT, store_sql_console_logout);
}

int
con_logout_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	(void)cc;
	console_set_cookie(req, CONSOLE_COOKIE, "", 0);
	return console_redirect(req, c, "/admin/login");
}

