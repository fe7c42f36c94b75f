/*
 * console_static.c -- the console's assets, embedded in the module (the
 * workers run chrooted, with no file to read).  A page names each asset
 * with its content hash in the query (?v=), so the answer may be kept for
 * a year; the ETag is the same hash.
 */
#include <stdio.h>
#include <string.h>

#include "apid/console_int.h"
#include "apid/request.h"

static const struct console_asset *
find(const char *name)
{
	size_t	i;

	for (i = 0; i < console_nassets; i++)
		if (strcmp(console_assets[i].name, name) == 0)
			return &console_assets[i];
	return NULL;
}

void
console_asset_url(struct pf_buf *b, const char *name)
{
	const struct console_asset	*a = find(name);

	pf_buf_addf(b, "/admin/static/%s?v=%s", name, a != NULL ? a->hash :
	    "0");
}

int
console_static(struct http_request *req, struct reqctx *c, const char *name)
{
	const struct console_asset	*a = find(name);
	const char			*inm;
	char				 etag[40];

	if (a == NULL)
		return console_respond(req, c, 404, "text/plain", "no-store",
		    "Not Found", 9);
	snprintf(etag, sizeof(etag), "\"%s\"", a->hash);
	http_response_header(req, "etag", etag);
	if (http_request_header(req, "if-none-match", &inm) &&
	    strcmp(inm, etag) == 0)
		return console_respond(req, c, 304, a->ctype,
		    "public, max-age=31536000, immutable", NULL, 0);
	return console_respond(req, c, 200, a->ctype,
	    "public, max-age=31536000, immutable", (const char *)a->data,
	    a->len);
}
