/*
 * polarhook.c -- Polar's webhook deliveries (POST polar_webhook_path).
 *
 * Polar wants a 200 within seconds and deactivates a webhook that fails
 * for a week, so a delivery is answered as soon as it is stored: checked
 * for shape, kept with its raw body and signature header in
 * polar_webhook_events (one statement), syncd poked, 200.  syncd opens
 * the signature secret (sealed with the encryption key, which apid never
 * holds) and verifies, maps and syncs from the queue; a syncd that is
 * down finds the deliveries when it starts.  The signature is checked
 * here only for its form: a request without one is refused and audited
 * (Polar signs every delivery, even PING), one whose HMAC is wrong is
 * refused by syncd and audited there.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include "apid/request.h"

#define SIG_HEX		64	/* hex(HMAC-SHA256) */
#define EVENT_MAX	64

static int
hook_index(void)
{
	size_t	i;

	for (i = 0; i < apid_nroutes; i++)
		if (apid_routes[i].kind == APID_K_POLAR_HOOK)
			return (int)i;
	return -1;
}

int
polarhook_route(const char *method, const char *path, int route)
{
	const char	*p = env->cfg->polar_webhook_path;
	bool		 here = p != NULL && *p != '\0' && strcmp(path, p) == 0;

	if (here)
		return strcmp(method, "POST") == 0 ? hook_index() : -2;
	/* the table's default path, moved or turned off by the config */
	if (route >= 0 && apid_routes[route].kind == APID_K_POLAR_HOOK)
		return -1;
	return route;
}

static bool
event_ok(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n > EVENT_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) && s[i] != '_' &&
		    !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool
sig_ok(const char *s)
{
	size_t	i;

	if (strlen(s) != SIG_HEX)
		return false;
	for (i = 0; i < SIG_HEX; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Refused and audited: (401, reason) from the statement. */
static int
refuse(struct reqctx *c, const char *action, const char *reason,
    const char *event)
{
	snprintf(c->pbuf[0], sizeof(c->pbuf[0]), "%s", action);
	snprintf(c->pbuf[1], sizeof(c->pbuf[1]), "%s", reason);
	snprintf(c->pbuf[2], sizeof(c->pbuf[2]), "%s", event ? event : "");
	c->pv[0] = c->pbuf[0];
	c->pv[1] = c->pbuf[1];
	c->pv[2] = c->pbuf[2];
	c->nparams = 3;
	return start_query(c, store_sql_polarhook_refused);
}

int
polarhook_begin(struct http_request *req, struct reqctx *c)
{
	json_t		*doc = NULL, *uid;
	const char	*sig = NULL, *event;
	char		*body;
	ssize_t		 n;
	size_t		 len = 0;
	int		 r;

	body = pf_xmalloc(APID_HOOK_BODY_MAX + 1);
	while (len < APID_HOOK_BODY_MAX + 1 && (n = http_body_read(req,
	    body + len, APID_HOOK_BODY_MAX + 1 - len)) > 0)
		len += (size_t)n;
	body[len > APID_HOOK_BODY_MAX ? APID_HOOK_BODY_MAX : len] = '\0';
	if (len > APID_HOOK_BODY_MAX) {
		r = respond_error(req, c, 413, "Request body too large");
		goto out;
	}
	if (!http_request_header(req, "polar-webhook-signature", &sig) ||
	    !sig_ok(sig)) {
		pf_log_warnx("Polar webhook: a delivery without a valid "
		    "Polar-Webhook-Signature header; refused");
		r = refuse(c, "unsigned", sig == NULL ? "the "
		    "Polar-Webhook-Signature header is missing" : "the "
		    "Polar-Webhook-Signature header is not 64 hex digits",
		    NULL);
		goto out;
	}
	if (len == 0 || memchr(body, '\0', len) != NULL ||
	    pf_json_parse(body, len, 0, &doc, NULL, 0) != PF_OK ||
	    !json_is_object(doc)) {
		r = respond_error(req, c, 400, "Body must be a JSON object");
		goto out;
	}
	event = json_string_value(json_object_get(doc, "event"));
	if (event == NULL || !event_ok(event)) {
		r = respond_error(req, c, 400, "event must be an event type "
		    "such as EXERCISE or PING");
		goto out;
	}
	uid = json_object_get(doc, "user_id");
	if (uid != NULL && !json_is_null(uid) && (!json_is_integer(uid) ||
	    json_integer_value(uid) <= 0)) {
		r = respond_error(req, c, 400, "user_id must be a positive "
		    "integer");
		goto out;
	}
	if (uid == NULL && strcmp(event, "PING") != 0) {
		r = respond_error(req, c, 400, "user_id is required");
		goto out;
	}
	snprintf(c->pbuf[0], sizeof(c->pbuf[0]), "%s", event);
	if (json_is_integer(uid))
		snprintf(c->pbuf[1], sizeof(c->pbuf[1]),
		    "%" JSON_INTEGER_FORMAT, json_integer_value(uid));
	else
		c->pbuf[1][0] = '\0';
	snprintf(c->pbuf[3], sizeof(c->pbuf[3]), "%s", sig);
	free(c->pheap[2]);
	c->pheap[2] = body;		/* the raw bytes, as signed */
	body = NULL;
	c->pv[0] = c->pbuf[0];
	c->pv[1] = c->pbuf[1];
	c->pv[2] = c->pheap[2];
	c->pv[3] = c->pbuf[3];
	c->nparams = 4;
	r = start_query(c, store_sql_polarhook_queue);
out:
	json_decref(doc);
	free(body);
	return r;
}

static int
poked(struct http_request *req, struct reqctx *c)
{
	/* syncd down or slow: its sweep finds the delivery later */
	return respond_json(req, c, 200, "{\"status\":\"accepted\"}");
}

int
polarhook_query_done(struct http_request *req, struct reqctx *c)
{
	int	code;

	if (c->rows < 1 || c->col[0] == NULL || c->col[1] == NULL)
		return respond_error(req, c, 500, "Internal Server Error");
	code = atoi(c->col[0]);
	if (code != 200)
		return respond_error(req, c, code, c->col[1]);
	if (strcmp(c->col[1], "duplicate") == 0) {
		pf_log_warnx("Polar webhook: a delivery seen before (replay "
		    "or resend); not queued again");
		return respond_json(req, c, 200,
		    "{\"status\":\"duplicate\"}");
	}
	return polarhook_poke(req, c, poked);
}
