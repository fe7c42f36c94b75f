/*
 * console_int.h -- what the kore side of the console shares between its
 * files: console.c (the flow: session, CSRF, throttle, statements),
 * console_pages.c (HTML) and console_static.c (embedded assets).
 */
#ifndef PF_APID_CONSOLE_INT_H
#define PF_APID_CONSOLE_INT_H

#include <jansson.h>

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

#endif /* PF_APID_CONSOLE_INT_H */
