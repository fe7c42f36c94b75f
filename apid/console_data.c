/*
 * console_data.c -- the console's signed-in pages: users, a user's
 * dashboard and its chart data, API keys (made and revoked through htmx).
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

/* Row 0's column i as JSON; NULL when it is not. */
json_t *
console_col_json(struct reqctx *c, int i)
{
	if (c->rows < 1 || c->col[i] == NULL)
		return NULL;
	return json_loads(c->col[i], 0, NULL);
}

int
con_users_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	(void)req;
	return console_run(c, cc, CS_PAGE, store_sql_console_users);
}

int
con_users_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	struct console_view	v;
	struct pf_buf		b;
	json_t			*users = console_col_json(c, 0);

	if (users == NULL)
		return console_message(req, c, cc, 500, "Error", "No users.");
	console_view_of(cc, &v, "users");
	pf_buf_init(&b);
	page_users(&b, &v, users);
	json_decref(users);
	return console_html(req, c, 200, &b);
}

/* ?user= into out; false (answered 400 page) when missing or invalid. */
static bool
user_arg(struct http_request *req, char *out, size_t len)
{
	return console_query(req, "user", out, len) && pf_user_id_valid(out);
}

int
con_dash_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	char	uid[PF_USER_ID_MAX + 1];

	if (!user_arg(req, uid, sizeof(uid)))
		return console_redirect(req, c, "/admin/users");
	console_bind(c, uid);
	return console_run(c, cc, CS_PAGE, store_sql_console_tiles);
}

int
con_dash_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	struct console_view	v;
	struct pf_buf		b;
	json_t			*tiles;

	if (c->rows < 1)
		return console_message(req, c, cc, 404, "Not found",
		    "There is no such user.");
	if ((tiles = console_col_json(c, 0)) == NULL)
		return console_message(req, c, cc, 500, "Error", "No data.");
	console_view_of(cc, &v, "users");
	pf_buf_init(&b);
	page_dashboard(&b, &v, tiles);
	json_decref(tiles);
	return console_html(req, c, 200, &b);
}

/* GET /admin/api/hrv?user=&days= (1..365): analyticsd's daily band. */
int
con_hrv_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	char	uid[PF_USER_ID_MAX + 1], days[8], *e;
	long	n = 90;

	if (!user_arg(req, uid, sizeof(uid)))
		return console_json(req, c, 400, "{\"detail\":\"Invalid user\"}");
	if (console_query(req, "days", days, sizeof(days))) {
		n = strtol(days, &e, 10);
		if (*days == '\0' || *e != '\0' || n < 1 || n > 365)
			return console_json(req, c, 400,
			    "{\"detail\":\"days must be 1 to 365\"}");
	}
	snprintf(days, sizeof(days), "%ld", n);
	console_bind(c, uid);
	console_bind(c, "hrv_band");
	console_bind(c, days);
	return console_run(c, cc, CS_PAGE, store_sql_daily);
}

int
con_hrv_done(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	(void)cc;
	if (c->rows < 1 || c->col[1] == NULL)
		return console_json(req, c, 500, "{\"detail\":\"No data\"}");
	return console_json(req, c, 200, c->col[1]);
}

int
con_keys_get(struct http_request *req, struct reqctx *c, struct console_ctx *cc)
{
	(void)req;
	return console_run(c, cc, CS_PAGE, store_sql_console_keys);
}

int
con_keys_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	struct console_view	v;
	struct pf_buf		b;
	json_t			*keys = console_col_json(c, 0), *users = console_col_json(c, 1);
	bool			 part = cc->step == CS_ACTION &&
				    console_header(req, "hx-request") != NULL;

	if (keys == NULL || users == NULL) {
		json_decref(keys);
		json_decref(users);
		return console_message(req, c, cc, 500, "Error", "No keys.");
	}
	console_view_of(cc, &v, "keys");
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
	return console_html(req, c, 200, &b);
}

int
con_key_new_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	char	uid[PF_USER_ID_MAX + 1], name[101], hash[PF_CRYPTO_SHA256_HEX_SIZE];
	char	prefix[13];

	if (!console_form(cc, "user_id", uid, sizeof(uid)) ||
	    (uid[0] != '\0' && !pf_user_id_valid(uid)))
		return console_message(req, c, cc, 400, "Invalid user",
		    "The user id is not valid.");
	if (!console_form(cc, "name", name, sizeof(name)))
		name[0] = '\0';
	if (pf_crypto_api_key_new(cc->newkey) != PF_OK)
		return console_message(req, c, cc, 500, "Error", "No randomness.");
	pf_crypto_sha256_hex(cc->newkey, strlen(cc->newkey), hash);
	snprintf(prefix, sizeof(prefix), "%.12s", cc->newkey);
	console_bind(c, uid);
	console_bind(c, hash);
	console_bind(c, prefix);
	console_bind(c, name);
	console_bind(c, cc->admin);
	cc->ok = true;
	(void)req;
	return console_run(c, cc, CS_ACTION, store_sql_console_key_new);
}

int
con_key_revoke_post(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	char	id[24], *e;
	long long n;

	if (!console_form(cc, "id", id, sizeof(id)) ||
	    (n = strtoll(id, &e, 10)) <= 0 || *e != '\0')
		return console_message(req, c, cc, 400, "Invalid key",
		    "The key id is not valid.");
	console_bind(c, id);
	console_bind(c, cc->admin);
	cc->ok = false;
	return console_run(c, cc, CS_ACTION, store_sql_console_key_revoke);
}

/* A key made or revoked: the notice, then the keys again. */
int
con_key_action_done(struct http_request *req, struct reqctx *c,
    struct console_ctx *cc)
{
	int	code;

	if (cc->step == CS_PAGE) {
		cc->step = CS_ACTION;
		return con_keys_done(req, c, cc);
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
