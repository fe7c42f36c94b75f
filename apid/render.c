/*
 * render.c -- upstream's error bodies.
 *
 * Error bodies are Litestar's: {"status_code": N, "detail": "..."} plus
 * "extra" when there is one.  They go through jansson so any text in them
 * (a path echoed in a validation message) is escaped correctly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/xmalloc.h"

#include "apid/apid.h"

char *
render_error(int status, const char *detail, const void *extra)
{
	json_t	*o;
	char	*s;

	o = json_object();
	json_object_set_new(o, "status_code", json_integer(status));
	json_object_set_new(o, "detail", json_string(detail));
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
