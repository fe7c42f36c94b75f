/*
 * polarhook.c -- the deliveries of Polar's partner webhook (its
 * registration is hookreg.c's).
 *
 * apid stores each POST as it came (raw body, signature
 * header) in polar_webhook_events and answers Polar at once, then pokes
 * us (polar.webhook.drain); a sweep every few seconds catches what
 * arrived while syncd was down or a poke that was lost.  Each delivery is verified here (HMAC-SHA256 of
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

/*
 * Look for deliveries at least this often.  apid's poke makes it sooner,
 * but a poke can be lost (apid does not wait for syncd's answer, and
 * syncd refuses a request whose sender is already gone): with a webhook
 * registered the indexed look for queued rows is cheap enough to make
 * often.
 */
#define SWEEP_MS	30000
#define SWEEP_ACTIVE_MS	2000
#define BUSY_RETRY_MS	2000		/* the user's sync is running: again */
#define DB_RETRY_MS	10000
#define BATCH		100
#define MAX_AGE_MS	(24LL * 3600 * 1000)	/* older: a replay */
#define PRUNE_MS	(3600LL * 1000)

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
polarhook_event_streams(const char *event)
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

	if (store_polarhook_get(env->db, &res) != PF_OK) {
		pf_log_warnx("could not read the Polar webhook: %s",
		    pf_db_errmsg(env->db));
		return;
	}
	active = PQntuples(res) == 1;
	loaded = true;
	PQclear(res);
}

void
polarhook_init(void)
{
	load_active();
	next_drain = 0;		/* what waited while we were down */
	next_prune = 0;
}

int
polarhook_poll_minutes(void)
{
	int	m = env->cfg->sync_interval_minutes;

	if (active && env->cfg->polar_webhook_poll_minutes > m)
		return env->cfg->polar_webhook_poll_minutes;
	return m;
}

void
polarhook_set_active(bool on)
{
	active = on;
	loaded = true;
}

json_t *
polarhook_event_list(void)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < NEVENTS; i++)
		json_array_append_new(a, json_string(event_map[i].event));
	return a;
}

int64_t
polarhook_next_deadline(void)
{
	return next_drain > next_prune ? next_prune : next_drain;
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
	if ((mask = polarhook_event_streams(event)) == 0) {
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
	r = store_polarhook_user(env->db, polar_user, user, sizeof(user));
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
		(void)store_polarhook_requeue(env->db, id);
		json_decref(doc);
		return;
	}
	batch_add(b, user, mask, id);
	json_decref(doc);
	return;
close:
	if (store_polarhook_finish(env->db, id, verdict, user, NULL, note,
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
			(void)store_polarhook_requeue(env->db, g->ids[i]);
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
		if (store_polarhook_finish(env->db, g->ids[i], verdict, g->user_id,
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
	if (store_polarhook_get(env->db, &hres) != PF_OK ||
	    store_polarhook_claim(env->db, BATCH, &res) != PF_OK) {
		next_drain = now + DB_RETRY_MS;
		goto out;
	}
	active = PQntuples(hres) == 1;
	loaded = true;
	if (active)
		next_drain = now + SWEEP_ACTIVE_MS;
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
polarhook_run(int64_t now)
{
	if (!loaded)
		load_active();
	if (now >= next_drain)
		drain(now);
	if (now >= next_prune) {
		next_prune = now + PRUNE_MS;
		if (store_polarhook_prune(env->db) != PF_OK)
			pf_log_warnx("could not prune old Polar webhook "
			    "deliveries: %s", pf_db_errmsg(env->db));
	}
}

/* apid queued a delivery: look now rather than at the next sweep. */
static void
polarhook_drain(struct pf_ipc_request *req, const json_t *body)
{
	json_t	*reply;

	(void)body;
	next_drain = 0;
	reply = json_pack("{s:b}", "queued", 1);
	pf_ipc_request_reply(req, reply);
	json_decref(reply);
}

static const struct pf_ctl_verb verbs[] = {
	{ PF_MSG_POLAR_HOOK_CREATE,	polarhook_create },
	{ PF_MSG_POLAR_HOOK_SHOW,	polarhook_show },
	{ PF_MSG_POLAR_HOOK_DELETE,	polarhook_delete },
	{ PF_MSG_POLAR_HOOK_DRAIN,	polarhook_drain },
};

void
polarhook_ctl(struct pf_ipc_request *req, const json_t *body)
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
