/*
 * hookreg.c -- the registration of Polar's partner webhook:
 * polar.webhook.create / show / delete, made at Polar with the client
 * credentials (Basic).  Polar shows the signature secret once, in the
 * answer to the create; it is kept sealed with the encryption key, like
 * the users' tokens, so only syncd can open it (polarhook.c verifies the
 * deliveries with it).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include "syncd.h"

#define URL_MAX		1024
#define EVENTS_MAX	16	/* more than Polar has: each is checked */

struct call {
	struct pf_ipc_request	*req;
	char			*url;		/* create: ours */
	char			*polar_id;	/* delete */
	json_t			*events;	/* create */
};

static void
call_free(struct call *c)
{
	free(c->url);
	free(c->polar_id);
	json_decref(c->events);
	free(c);
}

/* A Basic-auth call to /v3/webhooks<suffix>; NULL when unconfigured. */
static struct xfer *
polarhook_xfer(struct pf_ipc_request *req, const char *suffix, xfer_done_fn done,
    struct call *c)
{
	struct xfer	*x;
	char		*url, *basic;
	const char	*secret = syncd->client_secret;

	if (*env->cfg->polar_client_id == '\0' || secret == NULL ||
	    *secret == '\0') {
		pf_ipc_request_fail(req, PF_ERR_INVALID, "polar_client_id and "
		    "polar_client_secret are not configured");
		return NULL;
	}
	url = pf_xasprintf("%s/v3/webhooks%s", env->cfg->polar_api_url,
	    suffix);
	basic = pf_xasprintf("%s:%s", env->cfg->polar_client_id, secret);
	x = fetch_xfer_new(url, XA_BASIC, basic, done, c, NULL);
	pf_freezero(basic, strlen(basic));
	free(url);
	return x;
}

/* Polar's refusal in words; buf gets it. */
static const char *
polar_failed(const struct xfer *x, char *buf, size_t len)
{
	json_t		*doc = NULL;
	const char	*m = NULL;

	if (x->err != PF_OK) {
		snprintf(buf, len, "Polar unreachable: %s", x->errmsg);
		return buf;
	}
	if (x->resp_len > 0 && pf_json_parse(x->resp, x->resp_len, 0, &doc,
	    NULL, 0) == PF_OK && json_is_object(doc))
		m = json_string_value(json_object_get(doc, "message"));
	snprintf(buf, len, "Polar answered HTTP %ld%s%.200s", x->status,
	    m ? ": " : "", m ? m : "");
	json_decref(doc);
	return buf;
}

static void
create_done(struct xfer *x, void *arg)
{
	struct call	*c = arg;
	json_t		*doc = NULL, *data, *reply, *ev;
	const char	*id, *key;
	char		*sealed = NULL, *evtext = NULL, why[300];
	int		 r;

	if (x->cancelled) {
		pf_ipc_request_fail(c->req, PF_ERR_CLOSED, "syncd is stopping");
		goto out;
	}
	if (x->err != PF_OK || (x->status != 200 && x->status != 201)) {
		if (x->err == PF_OK && x->status == 409)
			pf_ipc_request_fail(c->req, PF_ERR_BUSY, "Polar has a "
			    "webhook for this client already; delete it first "
			    "(polarctl polar webhook delete)");
		else
			pf_ipc_request_fail(c->req, PF_ERR_PROTO, "%s",
			    polar_failed(x, why, sizeof(why)));
		goto out;
	}
	if (pf_json_parse(x->resp, x->resp_len, 0, &doc, NULL, 0) != PF_OK ||
	    !json_is_object(data = json_object_get(doc, "data")) ||
	    (id = json_string_value(json_object_get(data, "id"))) == NULL ||
	    *id == '\0' || strlen(id) > 200 ||
	    (key = json_string_value(json_object_get(data,
	    "signature_secret_key"))) == NULL || *key == '\0' ||
	    strlen(key) > 512) {
		pf_ipc_request_fail(c->req, PF_ERR_PROTO, "malformed answer "
		    "from Polar to the webhook create; the webhook may exist "
		    "there without its secret: delete it and create it again");
		goto out;
	}
	ev = json_object_get(data, "events");
	evtext = json_dumps(json_is_array(ev) ? ev : c->events, JSON_COMPACT);
	if ((r = pf_crypto_seal(syncd->key, key, strlen(key), &sealed)) !=
	    PF_OK || (r = store_polarhook_save(env->db, id, c->url, evtext,
	    sealed)) != PF_OK) {
		pf_log_warnx("Polar webhook %s: could not store its secret: %s",
		    id, r == PF_OK ? "" : pf_db_errmsg(env->db));
		pf_ipc_request_fail(c->req, r, "Polar made webhook %s but its "
		    "secret could not be stored (%s); delete it and create it "
		    "again", id, pf_strerror(r));
		goto out;
	}
	polarhook_set_active(true);
	pf_log_info("Polar webhook %s created for %s", id, c->url);
	reply = json_pack("{s:s,s:s,s:O,s:b}", "id", id, "url", c->url,
	    "events", json_is_array(ev) ? ev : c->events, "secret_stored", 1);
	pf_ipc_request_reply(c->req, reply);
	json_decref(reply);
out:
	free(sealed);
	free(evtext);
	json_decref(doc);
	call_free(c);
}

static bool
url_ok(const char *u)
{
	size_t	n = strlen(u), i;

	if (n == 0 || n > URL_MAX || (strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "http://", 7) != 0))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
			return false;
	return true;
}

void
polarhook_create(struct pf_ipc_request *req, const json_t *body)
{
	struct call	*c;
	struct xfer	*x;
	const char	*url = json_string_value(json_object_get(body, "url"));
	json_t		*ev = json_object_get(body, "events"), *v, *req_body;
	size_t		 i;

	if (url == NULL || !url_ok(url)) {
		pf_ipc_request_fail(req, PF_ERR_INVALID, "url must be an "
		    "http(s) URL of at most %d bytes: where Polar reaches "
		    "apid's polar_webhook_path", URL_MAX);
		return;
	}
	if (ev != NULL && !json_is_null(ev)) {
		if (!json_is_array(ev) || json_array_size(ev) == 0 ||
		    json_array_size(ev) > EVENTS_MAX) {
			pf_ipc_request_fail(req, PF_ERR_INVALID,
			    "events must be a non-empty list of event types");
			return;
		}
		json_array_foreach(ev, i, v)
			if (!json_is_string(v) ||
			    polarhook_event_streams(json_string_value(v)) == 0) {
				pf_ipc_request_fail(req, PF_ERR_INVALID,
				    "unknown event type %.64s",
				    json_is_string(v) ? json_string_value(v) :
				    "(not a string)");
				return;
			}
	}
	c = pf_xcalloc(1, sizeof(*c));
	c->req = req;
	c->url = pf_xstrdup(url);
	if (ev != NULL && json_is_array(ev))
		c->events = json_deep_copy(ev);
	else
		c->events = polarhook_event_list();
	if ((x = polarhook_xfer(req, "", create_done, c)) == NULL) {
		call_free(c);
		return;
	}
	req_body = json_pack("{s:O,s:s}", "events", c->events, "url", url);
	x->body = json_dumps(req_body, JSON_COMPACT);
	json_decref(req_body);
	x->ctype = "application/json";
	/* a repeat would find the first one and get 409 */
	x->once = true;
	fetch_submit(x);
}

static void
show_done(struct xfer *x, void *arg)
{
	struct call	*c = arg;
	PGresult	*res = NULL;
	json_t		*reply, *doc = NULL, *local, *counts, *ev;
	char		 why[300];

	if (x->cancelled) {
		pf_ipc_request_fail(c->req, PF_ERR_CLOSED, "syncd is stopping");
		call_free(c);
		return;
	}
	reply = json_object();
	if (x->err == PF_OK && x->status == 200 && pf_json_parse(x->resp,
	    x->resp_len, 0, &doc, NULL, 0) == PF_OK && json_is_object(doc))
		json_object_set(reply, "polar", json_is_array(json_object_get(
		    doc, "data")) ? json_object_get(doc, "data") : doc);
	else if (x->err == PF_OK && (x->status == 204 || x->status == 404))
		json_object_set_new(reply, "polar", json_array());
	else
		json_object_set_new(reply, "polar_error", json_string(
		    polar_failed(x, why, sizeof(why))));
	local = json_null();
	if (store_polarhook_get(env->db, &res) == PF_OK && PQntuples(res) == 1) {
		ev = NULL;
		(void)pf_json_parse(PQgetvalue(res, 0, 2),
		    (size_t)PQgetlength(res, 0, 2), 0, &ev, NULL, 0);
		local = json_pack("{s:s,s:s,s:o,s:b,s:s}", "id",
		    PQgetvalue(res, 0, 0), "url", PQgetvalue(res, 0, 1),
		    "events", ev ? ev : json_array(), "secret_stored",
		    !PQgetisnull(res, 0, 3), "created_at",
		    PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	json_object_set_new(reply, "stored", local ? local : json_null());
	counts = json_object();
	(void)store_polarhook_counts(env->db, counts);
	json_object_set_new(reply, "deliveries", counts);
	json_object_set_new(reply, "poll_interval_minutes",
	    json_integer(polarhook_poll_minutes()));
	pf_ipc_request_reply(c->req, reply);
	json_decref(reply);
	json_decref(doc);
	call_free(c);
}

void
polarhook_show(struct pf_ipc_request *req, const json_t *body)
{
	struct call	*c;
	struct xfer	*x;

	(void)body;
	c = pf_xcalloc(1, sizeof(*c));
	c->req = req;
	if ((x = polarhook_xfer(req, "", show_done, c)) == NULL) {
		call_free(c);
		return;
	}
	fetch_submit(x);
}

static void
delete_done(struct xfer *x, void *arg)
{
	struct call	*c = arg;
	json_t		*reply;
	char		 why[300];
	bool		 gone;

	if (x->cancelled) {
		pf_ipc_request_fail(c->req, PF_ERR_CLOSED, "syncd is stopping");
		goto out;
	}
	/* 404: Polar has none by that id (deleted there already). */
	gone = x->err == PF_OK && (x->status == 200 || x->status == 204 ||
	    x->status == 404);
	if (!gone) {
		pf_ipc_request_fail(c->req, PF_ERR_PROTO, "%s; the webhook is "
		    "kept", polar_failed(x, why, sizeof(why)));
		goto out;
	}
	if (store_polarhook_delete(env->db, c->polar_id) != PF_OK) {
		pf_ipc_request_fail(c->req, PF_ERR_DB, "deleted at Polar, but "
		    "not here: %s", pf_db_errmsg(env->db));
		goto out;
	}
	polarhook_set_active(false);
	pf_log_info("Polar webhook %s deleted", c->polar_id);
	reply = json_pack("{s:s,s:b}", "id", c->polar_id, "deleted", 1);
	pf_ipc_request_reply(c->req, reply);
	json_decref(reply);
out:
	call_free(c);
}

/* Polar's answer to GET: the id of its webhook, to delete it. */
static void
find_done(struct xfer *x, void *arg)
{
	struct call	*c = arg;
	struct xfer	*y;
	json_t		*doc = NULL, *data, *w;
	const char	*id = NULL;
	char		*suffix, *esc, why[300];

	if (x->cancelled) {
		pf_ipc_request_fail(c->req, PF_ERR_CLOSED, "syncd is stopping");
		call_free(c);
		return;
	}
	if (x->err == PF_OK && x->status == 200 && pf_json_parse(x->resp,
	    x->resp_len, 0, &doc, NULL, 0) == PF_OK) {
		data = json_object_get(doc, "data");
		w = json_is_array(data) ? json_array_get(data, 0) : data;
		id = json_string_value(json_object_get(w, "id"));
	}
	if (id == NULL || *id == '\0' || strlen(id) > 200) {
		if (x->err == PF_OK && (x->status == 200 || x->status == 204 ||
		    x->status == 404))
			pf_ipc_request_fail(c->req, PF_ERR_NOTFOUND,
			    "no Polar webhook to delete");
		else
			pf_ipc_request_fail(c->req, PF_ERR_PROTO, "%s",
			    polar_failed(x, why, sizeof(why)));
		json_decref(doc);
		call_free(c);
		return;
	}
	c->polar_id = pf_xstrdup(id);
	json_decref(doc);
	esc = curl_easy_escape(NULL, c->polar_id, 0);
	suffix = pf_xasprintf("/%s", esc ? esc : "");
	curl_free(esc);
	y = polarhook_xfer(c->req, suffix, delete_done, c);
	free(suffix);
	if (y == NULL) {
		call_free(c);
		return;
	}
	y->method = "DELETE";
	fetch_submit(y);
}

void
polarhook_delete(struct pf_ipc_request *req, const json_t *body)
{
	struct call	*c;
	struct xfer	*x;

	(void)body;
	c = pf_xcalloc(1, sizeof(*c));
	c->req = req;
	/* Polar's own list names the id, whatever we stored. */
	if ((x = polarhook_xfer(req, "", find_done, c)) == NULL) {
		call_free(c);
		return;
	}
	fetch_submit(x);
}
