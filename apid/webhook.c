/*
 * webhook.c -- POST /api/v1/webhooks: a subscription to the webhooks out,
 * made with a service key (or the master key).  The body is
 * {"url": "...", "events": ["data.changed", ...], "description": "..."};
 * the signing secret is made here and returned once.  The listing,
 * removal and delivery log are plain statements (store.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/webhook.h"
#include "common/xmalloc.h"

#include "apid/request.h"

#define HOOK_BODY_MAX	(16 * 1024)

/* Takes s (heap) as parameter i. */
static void
bind_heap(struct reqctx *c, int i, char *s)
{
	free(c->pheap[i]);
	c->pheap[i] = s;
	c->pv[i] = s;
	if (c->nparams <= i)
		c->nparams = i + 1;
}

int
webhook_begin(struct http_request *req, struct reqctx *c,
    const struct apid_route *rt)
{
	struct pf_buf	 body = PF_BUF_INIT;
	json_t		*doc, *ev, *v;
	json_error_t	 jerr;
	const char	*url, *desc = "", *k;
	char		 err[256], secret[PF_WEBHOOK_SECRET_SIZE];
	int		 r;

	if (!req_body_read(req, &body, HOOK_BODY_MAX)) {
		pf_buf_free(&body);
		return respond_error(req, c, 413, "Request body too large");
	}
	doc = json_loadb(body.p ? body.p : "", body.len, JSON_REJECT_DUPLICATES,
	    &jerr);
	pf_buf_free(&body);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return respond_error(req, c, 400, "The body must be a JSON "
		    "object with url, and optionally events and description");
	}
	json_object_foreach(doc, k, v)
		if (strcmp(k, "url") != 0 && strcmp(k, "events") != 0 &&
		    strcmp(k, "description") != 0) {
			json_decref(doc);
			return respond_error(req, c, 400, "Unknown member in "
			    "the body (url, events, description)");
		}
	url = json_string_value(json_object_get(doc, "url"));
	r = pf_webhook_url_check(url, err, sizeof(err));
	if (r == 0 && (v = json_object_get(doc, "description")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) >
		    PF_WEBHOOK_DESC_MAX) {
			snprintf(err, sizeof(err), "description must be a "
			    "string of at most %d bytes", PF_WEBHOOK_DESC_MAX);
			r = -1;
		} else
			desc = json_string_value(v);
	}
	if ((ev = json_object_get(doc, "events")) == NULL)
		ev = json_array();
	else
		json_incref(ev);
	if (r == 0)
		r = pf_webhook_events_check(ev, err, sizeof(err));
	if (r != 0) {
		json_decref(ev);
		json_decref(doc);
		return respond_error(req, c, 400, err);
	}
	if (pf_webhook_secret_new(secret) != 0) {
		json_decref(ev);
		json_decref(doc);
		return respond_error(req, c, 500, "Internal Server Error");
	}
	/* $1, $2: the caller (APID_R_BIND_CALLER) */
	bind_heap(c, 2, pf_xstrdup(url));
	bind_heap(c, 3, pf_xstrdup(secret));
	bind_heap(c, 4, json_dumps(ev, JSON_COMPACT));
	bind_heap(c, 5, pf_xstrdup(desc));
	explicit_bzero(secret, sizeof(secret));
	json_decref(ev);
	json_decref(doc);
	return start_query(c, rt->sql);
}
