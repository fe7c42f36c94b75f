/*
 * console_int.h -- what the kore side of the console shares between its
 * files: console.c (the flow: the page table, the session state, CSRF,
 * answers), console_auth.c (setup, login, logout), console_data.c (the
 * signed-in pages), console_pages.c (HTML), console_static.c (assets).
 */
#ifndef PF_APID_CONSOLE_INT_H
#define PF_APID_CONSOLE_INT_H

#include <jansson.h>
#include <sodium.h>

#include "apid/console.h"
#include "apid/request.h"

/* What a page is rendered with: the signed-in admin, if any. */
struct console_view {
	const char	*admin;		/* NULL: nobody signed in */
	const char	*csrf;		/* the form token (session or pre-) */
	const char	*nav;		/* the current section, for aria */
};

/* console.c: answers with the console's headers; OK. */
int	console_respond(struct http_request *, struct reqctx *, int status,
	    const char *ctype, const char *cache, const char *body,
	    size_t len);

/* console_pages.c: whole pages and htmx partials, into b. */
void	page_setup(struct pf_buf *b, const struct console_view *v,
	    const char *err, const char *name);
void	page_login(struct pf_buf *b, const struct console_view *v,
	    const char *err, const char *name);
void	page_message(struct pf_buf *b, const struct console_view *v,
	    const char *title, const char *text);
void	page_users(struct pf_buf *b, const struct console_view *v,
	    json_t *users);
void	page_dashboard(struct pf_buf *b, const struct console_view *v,
	    json_t *tiles);
void	page_keys(struct pf_buf *b, const struct console_view *v,
	    json_t *keys, json_t *users, const char *notice,
	    const char *newkey);
/* The keys table's body and the notice, as htmx swaps them. */
void	part_keys(struct pf_buf *b, const struct console_view *v,
	    json_t *keys, const char *notice, const char *newkey);

/* build/gen/console_assets.c (tools/genassets.sh): the embedded files */
struct console_asset {
	const char		*name;
	const char		*ctype;
	const unsigned char	*data;
	size_t			 len;
	const char		*hash;	/* of the content: URL and ETag */
};
extern const struct console_asset	console_assets[];
extern const size_t			console_nassets;

/* console_static.c */
/* GET /admin/static/<name>: answers (OK). */
int	console_static(struct http_request *, struct reqctx *,
	    const char *name);
/* Appends the URL of asset name (with its content hash) to b. */
void	console_asset_url(struct pf_buf *b, const char *name);

/* A request's step: which statement's row comes next. */
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

/* console.c: the flow's helpers for console_auth.c and console_data.c */
int	console_html(struct http_request *, struct reqctx *, int status,
	    struct pf_buf *b);
int	console_json(struct http_request *, struct reqctx *, int status,
	    const char *body);
int	console_redirect(struct http_request *, struct reqctx *,
	    const char *to);
void	console_view_of(const struct console_ctx *, struct console_view *,
	    const char *nav);
int	console_message(struct http_request *, struct reqctx *,
	    struct console_ctx *, int status, const char *title,
	    const char *text);
void	console_set_cookie(struct http_request *, const char *name,
	    const char *value, int max_age);
/* Binds the next parameter (copied; long ones on the heap). */
void	console_bind(struct reqctx *, const char *v);
int	console_run(struct reqctx *, struct console_ctx *, enum cstep,
	    const char *sql);
const char *console_header(struct http_request *, const char *name);
bool	console_form(struct console_ctx *, const char *name, char *out,
	    size_t len);
bool	console_query(struct http_request *, const char *name, char *out,
	    size_t len);
bool	console_csrf_ok(struct http_request *, struct console_ctx *,
	    const char *want);
json_t	*console_col_json(struct reqctx *, int i);

/* console_auth.c: setup, login, logout and the password task */
void	console_pw_free(struct console_ctx *);

/* the pages (console_auth.c, console_data.c) */
int	con_page_root(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_setup_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_setup_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_setup_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_login_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_login_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_login_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_logout_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_logout_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_users_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_users_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_dash_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_dash_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_hrv_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_hrv_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_keys_get(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_keys_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_key_new_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_key_revoke_post(struct http_request *, struct reqctx *,
		    struct console_ctx *);
int	con_key_action_done(struct http_request *, struct reqctx *,
		    struct console_ctx *);

#endif /* PF_APID_CONSOLE_INT_H */
