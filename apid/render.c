/*
 * render.c -- upstream's error bodies.
 *
 * Error bodies are Litestar's: {"status_code": N, "detail": "..."} plus
 * "extra" when there is one.  They go through jansson so any text in them
 * (a path echoed in a validation message) is escaped correctly.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/xmalloc.h"

#include "apid/apid.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t		n, i;
	uint32_t	c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

char *
utf8_lossy(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct pf_buf		 b;
	size_t			 n;

	pf_buf_init(&b);
	while (*p != '\0') {
		if ((n = utf8_len(p)) == 0) {
			pf_buf_adds(&b, "\xef\xbf\xbd");	/* U+FFFD */
			p++;
			continue;
		}
		pf_buf_add(&b, p, n);
		p += n;
	}
	pf_buf_add(&b, "", 0);		/* "" has a buffer too */
	return b.p;
}

char *
render_error(int status, const char *detail, const void *extra)
{
	json_t	*o;
	char	*s, *text;

	o = json_object();
	json_object_set_new(o, "status_code", json_integer(status));
	/* detail may echo the client's path: bytes that are not UTF-8 */
	text = utf8_lossy(detail);
	json_object_set_new(o, "detail", json_string(text));
	free(text);
	if (extra != NULL)
		json_object_set(o, "extra", (json_t *)(uintptr_t)extra);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		return pf_xstrdup("{\"status_code\":500,"
		    "\"detail\":\"Internal Server Error\"}");
	return s;
}

char *
render_verror(const char *method, const char *path, const char *qs,
    const struct apid_verr *e)
{
	json_t	*extra, *item;
	char	*detail, *s;

	if (qs != NULL && *qs != '\0')
		detail = pf_xasprintf("Validation failed for %s %s?%s", method,
		    path, qs);
	else
		detail = pf_xasprintf("Validation failed for %s %s", method,
		    path);
	item = json_pack("{s:s, s:s, s:s}", "message", e->message, "key",
	    e->key, "source", e->source);
	extra = json_array();
	json_array_append_new(extra, item);
	s = render_error(400, detail, extra);
	json_decref(extra);
	free(detail);
	return s;
}

char *
render_ratelimited(long retry_after)
{
	char	 detail[96], secs[24];
	json_t	*extra;
	char	*s;

	snprintf(detail, sizeof(detail),
	    "Rate limit exceeded. Retry after %ld seconds.", retry_after);
	snprintf(secs, sizeof(secs), "%ld", retry_after);
	extra = json_pack("{s:s}", "Retry-After", secs);
	s = render_error(429, detail, extra);
	json_decref(extra);
	return s;
}
