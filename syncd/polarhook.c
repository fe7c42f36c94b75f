/*
 * polarhook.c -- Polar's partner webhook.
 *
 * The registration: polar.webhook.create / show / delete, made at Polar
 * with the client credentials (Basic).  Polar shows the signature secret
 * once, in the answer to the create; it is kept sealed with the
 * encryption key, like the users' tokens, so only syncd can open it.
 *
 * The deliveries: apid stores each POST as it came (raw body, signature
 * header) in polar_webhook_events and answers Polar at once, then pokes
 * us (polar.webhook.drain); a sweep every SWEEP_MS catches what arrived
 * while syncd was down.  Each delivery is verified here (HMAC-SHA256 of
 * the raw body, compared in constant time), mapped to its user and to
 * the streams its event names, and the deliveries of one user become one
 * sync of those streams.  Bad signatures, stale timestamps and unknown
 * users are audited and never synced.
 */
#include <inttypes.h>
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
#include "common/ident.h"
#include "common/json.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "syncd.h"

#define SWEEP_MS	30000		/* look for deliveries at least this often */
#define BUSY_RETRY_MS	2000		/* the user's sync is running: again */
#define DB_RETRY_MS	10000
#define BATCH		100
#define MAX_AGE_MS	(24LL * 3600 * 1000)	/* older: a replay */
#define PRUNE_MS	(3600LL * 1000)
#define URL_MAX		1024

static const struct {
	const char	*event;
	unsigned	 streams;
} event_map[] = {
	{ "EXERCISE",			1u << ST_EXERCISE },
	/* a night brings its recharge and skin temperature with it */
	{ "SLEEP",			(1u << ST_SLEEP) | (1u << ST_RECHARGE) |
					(1u << ST_SKIN_TEMP) },
	{ "CONTINUOUS_HEART_RATE",	1u << ST_CHR },
	{ "ACTIVITY_SUMMARY",		(1u << ST_ACTIVITY) |
					(1u << ST_ACTIVITY_SAMPLES) },
	{ "SLEEP_WISE_CIRCADIAN_BEDTIME", 1u << ST_BEDTIME },
	{ "SLEEP_WISE_ALERTNESS",	1u << ST_ALERTNESS },
	{ "PHYSICAL_INFORMATION",	1u << ST_PHYSICAL },
};
#define NEVENTS	(sizeof(event_map) / sizeof(event_map[0]))

static bool	 active;		/* a webhook is registered */
static bool	 loaded;
static int64_t	 next_drain;		/* mono ms */
static int64_t	 next_prune;

unsigned
hook_event_streams(const char *event)
{
	size_t	i;

	for (i = 0; i < NEVENTS; i++)
		if (strcmp(event_map[i].event, event) == 0)
			return event_map[i].streams;
	return 0;
}

static void
load_active(void)
{
	PGresult	*res = NULL;

	if (store_hook_get(env->db, &res) != PF_OK) {
		pf_log_warnx("could not read the Polar webhook: %s",
		    pf_db_errmsg(env->db));
		return;
	}
	active = PQntuples(res) == 1;
	loaded = true;
	PQclear(res);
}

void
hook_init(void)
{
	load_active();
	next_drain = 0;		/* what waited while we were down */
	next_prune = 0;
}

int
hook_poll_minutes(void)
{
	int	m = env->cfg->sync_interval_minutes;

	if (active && env->cfg->polar_webhook_poll_minutes > m)
		return env->cfg->polar_webhook_poll_minutes;
	return m;
}

int64_t
hook_next_deadline(void)
{
	return next_drain > next_prune ? next_prune : next_drain;
}

/* ---- the registration -------------------------------------------- */

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
hook_xfer(struct pf_ipc_request *req, const char *suffix, xfer_done_fn done,
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
	    PF_OK || (r = store_hook_save(env->db, id, c->url, evtext,
	    sealed)) != PF_OK) {
		pf_log_warnx("Polar webhook %s: could not store its secret: %s",
		    id, r == PF_OK ? "" : pf_db_errmsg(env->db));
		pf_ipc_request_fail(c->req, r, "Polar made webhook %s but its "
		    "secret could not be stored (%s); delete it and create it "
		    "again", id, pf_strerror(r));
		goto out;
	}
	active = true;
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

static void
hook_create(struct pf_ipc_request *req, const json_t *body)
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
		    json_array_size(ev) > NEVENTS) {
			pf_ipc_request_fail(req, PF_ERR_INVALID,
			    "events must be a non-empty list of event types");
			return;
		}
		json_array_foreach(ev, i, v)
			if (!json_is_string(v) ||
			    hook_event_streams(json_string_value(v)) == 0) {
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
	else {
		c->events = json_array();
		for (i = 0; i < NEVENTS; i++)
			json_array_append_new(c->events,
			    json_string(event_map[i].event));
	}
	if ((x = hook_xfer(req, "", create_done, c)) == NULL) {
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
	if (store_hook_get(env->db, &res) == PF_OK && PQntuples(res) == 1) {
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
	(void)store_hook_counts(env->db, counts);
	json_object_set_new(reply, "deliveries", counts);
	json_object_set_new(reply, "poll_interval_minutes",
	    json_integer(hook_poll_minutes()));
	pf_ipc_request_reply(c->req, reply);
	json_decref(reply);
	json_decref(doc);
	call_free(c);
}

static void
hook_show(struct pf_ipc_request *req, const json_t *body)
{
	struct call	*c;
	struct xfer	*x;

	(void)body;
	c = pf_xcalloc(1, sizeof(*c));
	c->req = req;
	if ((x = hook_xfer(req, "", show_done, c)) == NULL) {
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
	if (store_hook_delete(env->db, c->polar_id) != PF_OK) {
		pf_ipc_request_fail(c->req, PF_ERR_DB, "deleted at Polar, but "
		    "not here: %s", pf_db_errmsg(env->db));
		goto out;
	}
	active = false;
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
	y = hook_xfer(c->req, suffix, delete_done, c);
	free(suffix);
	if (y == NULL) {
		call_free(c);
		return;
	}
	y->method = "DELETE";
	fetch_submit(y);
}

static void
hook_delete(struct pf_ipc_request *req, const json_t *body)
{
	struct call	*c;
	struct xfer	*x;

	(void)body;
	c = pf_xcalloc(1, sizeof(*c));
	c->req = req;
	/* Polar's own list names the id, whatever we stored. */
	if ((x = hook_xfer(req, "", find_done, c)) == NULL) {
		call_free(c);
		return;
	}
	fetch_submit(x);
}

/* ---- the deliveries ---------------------------------------------- */

struct group {
	char		 user_id[PF_USER_ID_MAX + 1];
	unsigned	 mask;
	int64_t		*ids;
	size_t		 n;
};

struct batch {
	struct group	*g;
	size_t		 n;
};

static void
batch_add(struct batch *b, const char *user_id, unsigned mask, int64_t id)
{
	struct group	*g = NULL;
	size_t		 i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->g[i].user_id, user_id) == 0)
			g = &b->g[i];
	if (g == NULL) {
		b->g = pf_xreallocarray(b->g, b->n + 1, sizeof(*b->g));
		g = &b->g[b->n++];
		memset(g, 0, sizeof(*g));
		snprintf(g->user_id, sizeof(g->user_id), "%s", user_id);
	}
	g->mask |= mask;
	g->ids = pf_xreallocarray(g->ids, g->n + 1, sizeof(*g->ids));
	g->ids[g->n++] = id;
}

/*
 * One delivery: verified, dated, mapped.  Adds it to b when it names a
 * user's streams; otherwise closes it with its verdict.
 */
static void
one(struct batch *b, const char *secret, size_t slen, int64_t id,
    const char *event, const char *body, size_t blen, const char *sig,
    int64_t now_ms)
{
	json_t		*doc = NULL;
	const char	*ts, *verdict = NULL, *action = NULL, *note = NULL;
	char		 polar_user[32], user[PF_USER_ID_MAX + 1];
	json_int_t	 pu;
	int64_t		 t;
	unsigned	 mask;
	bool		 ping = strcmp(event, "PING") == 0, sig_ok;
	int		 r;

	user[0] = '\0';
	sig_ok = secret != NULL && pf_crypto_hmac_sha256_hex_ok(secret, slen,
	    body, blen, sig, strlen(sig));
	if (pf_json_parse(body, blen, 0, &doc, NULL, 0) != PF_OK ||
	    !json_is_object(doc)) {
		verdict = "ignored";
		note = "the body is not a JSON object";
		action = sig_ok ? NULL : "polar_webhook.bad_signature";
		goto close;
	}
	/*
	 * Polar pings the URL before it answers the create, so before its
	 * secret is known here: a ping is never acted on, and one that
	 * cannot be verified is only noted.
	 */
	if (ping) {
		verdict = "ping";
		note = sig_ok ? NULL : "signature not verified";
		pf_log_info("Polar webhook: PING (delivery %" PRId64 ")%s", id,
		    sig_ok ? "" : ", signature not verified");
		goto close;
	}
	if (!sig_ok) {
		verdict = "bad_signature";
		note = secret == NULL ? "no webhook secret is stored" :
		    "the signature does not match the body";
		action = "polar_webhook.bad_signature";
		pf_log_warnx("Polar webhook delivery %" PRId64 " (%s): %s; "
		    "not synced", id, event, note);
		goto close;
	}
	ts = json_string_value(json_object_get(doc, "timestamp"));
	if (ts != NULL && pf_time_parse_datetime(ts, strlen(ts), &t, NULL,
	    NULL) == PF_OK && t < now_ms - MAX_AGE_MS) {
		verdict = "stale";
		note = "sent more than a day ago: a replay";
		action = "polar_webhook.stale";
		pf_log_warnx("Polar webhook delivery %" PRId64 ": timestamp %s "
		    "is more than a day old; not synced", id, ts);
		goto close;
	}
	if ((mask = hook_event_streams(event)) == 0) {
		verdict = "ignored";
		note = "an event type this version does not sync";
		goto close;
	}
	if (!json_is_integer(json_object_get(doc, "user_id")) ||
	    (pu = json_integer_value(json_object_get(doc, "user_id"))) <= 0) {
		verdict = "ignored";
		note = "no user_id";
		action = "polar_webhook.malformed";
		goto close;
	}
	snprintf(polar_user, sizeof(polar_user), "%" JSON_INTEGER_FORMAT, pu);
	r = store_hook_user(env->db, polar_user, user, sizeof(user));
	if (r == PF_ERR_NOTFOUND) {
		verdict = "unknown_user";
		note = "no user of ours has this Polar user id";
		action = "polar_webhook.unknown_user";
		pf_log_warnx("Polar webhook delivery %" PRId64 " (%s) for "
		    "Polar user %s, who is not ours; not synced", id, event,
		    polar_user);
		goto close;
	}
	if (r != PF_OK) {
		(void)store_hook_requeue(env->db, id);
		json_decref(doc);
		return;
	}
	batch_add(b, user, mask, id);
	json_decref(doc);
	return;
close:
	if (store_hook_finish(env->db, id, verdict, user, NULL, note,
	    action) != PF_OK)
		pf_log_warnx("Polar webhook delivery %" PRId64 ": could not "
		    "record it: %s", id, pf_db_errmsg(env->db));
	json_decref(doc);
}

/* Every delivery of g: one sync of the streams they name. */
static void
start_group(const struct group *g, int64_t now)
{
	char		 sync_id[40], why[200];
	const char	*verdict = "synced", *action = NULL;
	size_t		 i;
	int		 r;

	sync_id[0] = why[0] = '\0';
	r = sync_start_mask(g->user_id, PF_MSG_TRIGGER_WEBHOOK, g->mask,
	    sync_id, sizeof(sync_id), why, sizeof(why));
	switch (r) {
	case PF_OK:
		pf_log_info("user %s: sync %s for %zu Polar webhook "
		    "deliveries", g->user_id, sync_id, g->n);
		break;
	case PF_ERR_BUSY:
	default:
		/* a running sync may have passed the stream already */
		for (i = 0; i < g->n; i++)
			(void)store_hook_requeue(env->db, g->ids[i]);
		if (next_drain > now + BUSY_RETRY_MS)
			next_drain = now + (r == PF_ERR_BUSY ? BUSY_RETRY_MS :
			    DB_RETRY_MS);
		return;
	case PF_ERR_NOTFOUND:
		verdict = "unknown_user";
		snprintf(why, sizeof(why), "the user is inactive or has no "
		    "Polar token");
		action = "polar_webhook.unknown_user";
		break;
	case PF_ERR_DENIED:
	case PF_ERR_CRYPTO:
		verdict = "refused";
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "the user must authorise "
			    "again");
		break;
	}
	for (i = 0; i < g->n; i++)
		if (store_hook_finish(env->db, g->ids[i], verdict, g->user_id,
		    sync_id, why[0] ? why : NULL, action) != PF_OK)
			pf_log_warnx("Polar webhook delivery %" PRId64 ": could "
			    "not record it: %s", g->ids[i],
			    pf_db_errmsg(env->db));
}

static void
drain(int64_t now)
{
	PGresult	*res = NULL, *hres = NULL;
	struct batch	 b = { NULL, 0 };
	char		*secret = NULL;
	size_t		 slen = 0, i;
	int		 n, k;

	next_drain = now + SWEEP_MS;
	/* another instance, or polarctl, may have made or deleted it */
	if (store_hook_get(env->db, &hres) != PF_OK ||
	    store_hook_claim(env->db, BATCH, &res) != PF_OK) {
		next_drain = now + DB_RETRY_MS;
		goto out;
	}
	active = PQntuples(hres) == 1;
	loaded = true;
	if ((n = PQntuples(res)) == 0)
		goto out;
	if (PQntuples(hres) == 1 && !PQgetisnull(hres, 0, 3) &&
	    pf_crypto_open(syncd->key, PQgetvalue(hres, 0, 3), &secret,
	    &slen) != PF_OK) {
		pf_log_warnx("the Polar webhook secret cannot be decrypted; "
		    "deliveries are refused until the webhook is made again");
		secret = NULL;
	}
	for (k = 0; k < n; k++) {
		int64_t	id;

		if (pf_db_get_int64(res, k, 0, &id) != PF_OK)
			continue;
		one(&b, secret, slen, id, PQgetvalue(res, k, 1),
		    PQgetvalue(res, k, 3), (size_t)PQgetlength(res, k, 3),
		    PQgetvalue(res, k, 4), pf_time_now_ms());
	}
	for (i = 0; i < b.n; i++) {
		start_group(&b.g[i], now);
		free(b.g[i].ids);
	}
	free(b.g);
	if (n == BATCH)
		next_drain = now;	/* more are waiting */
out:
	if (secret != NULL)
		pf_freezero(secret, slen + 1);
	PQclear(hres);
	PQclear(res);
}

void
hook_run(int64_t now)
{
	if (!loaded)
		load_active();
	if (now >= next_drain)
		drain(now);
	if (now >= next_prune) {
		next_prune = now + PRUNE_MS;
		if (store_hook_prune(env->db) != PF_OK)
			pf_log_warnx("could not prune old Polar webhook "
			    "deliveries: %s", pf_db_errmsg(env->db));
	}
}

/* apid queued a delivery: look now rather than at the next sweep. */
static void
hook_drain(struct pf_ipc_request *req, const json_t *body)
{
	json_t	*reply;

	(void)body;
	next_drain = 0;
	reply = json_pack("{s:b}", "queued", 1);
	pf_ipc_request_reply(req, reply);
	json_decref(reply);
}

static const struct pf_ctl_verb verbs[] = {
	{ PF_MSG_POLAR_HOOK_CREATE,	hook_create },
	{ PF_MSG_POLAR_HOOK_SHOW,	hook_show },
	{ PF_MSG_POLAR_HOOK_DELETE,	hook_delete },
	{ PF_MSG_POLAR_HOOK_DRAIN,	hook_drain },
};

void
hook_ctl(struct pf_ipc_request *req, const json_t *body)
{
	const char	*type = json_string_value(json_object_get(body, "type"));
	size_t		 i;

	for (i = 0; type != NULL && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].type, type) == 0) {
			verbs[i].fn(req, body);
			return;
		}
	pf_ipc_request_fail(req, PF_ERR_INVALID, "unknown verb");
}
