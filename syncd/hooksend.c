/*
 * hooksend.c -- the one sender of the webhooks out.
 *
 * Events and their delivery rows are written by pf_webhook_emit() in the
 * transaction of the change they report (any process); this file only
 * delivers them.  A delivery is pending until a subscriber answers 2xx
 * (at least once: a crash between the answer and the write of its result
 * sends it again, with the same webhook-id), retried with exponential
 * back-off and jitter for webhook_retry_hours, then failed.  Of the pending
 * deliveries of one subscription and one user only the oldest may go, so
 * a subscriber sees a user's events in order.  Results are written in
 * batches, one statement per loop turn.
 *
 * The sender is woken by NOTIFY pf_webhook (pf_webhook_emit sends it at
 * commit) on the loop's own database connection, and by its timers: the
 * next retry that falls due and a slow scan that covers a lost
 * notification (a reconnect drops LISTEN until it is issued again).
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "syncd.h"

#define HOOK_SCAN_IDLE_MS	5000	/* the scan without a notification */
#define HOOK_PRUNE_MS		(3600 * 1000)
#define HOOK_SECRET_MAX		64	/* key bytes */
#define HOOK_ERR_MAX		260
#define HOOK_READY_MAX		512	/* heads read by one scan */
#define HOOK_FLUSH_BATCH	128	/* results written at once */
#define HOOK_FLUSH_MS		200	/* the longest a result waits */

enum stmt { S_SCAN, S_FLUSH, S__COUNT };

struct result {
	int64_t		 id;
	long		 code;
	int64_t		 ms;
	int64_t		 delay;		/* -1: delivered */
	char		 err[HOOK_ERR_MAX];
};

struct item {
	int64_t		 id;
	int		 attempts;	/* before this one */
};

/* A due delivery read by scan(), not yet sent. */
struct ready {
	int64_t		 id;
	int		 attempts;
	char		*event_id, *url, *secret, *body;
};

static struct {
	bool		 on;
	PGconn		*conn;		/* the connection we LISTEN on */
	int		 pid;		/* its backend */
	bool		 wake;
	int64_t		 next_scan;	/* mono ms */
	int64_t		 next_prune;
	int64_t		*inflight;	/* delivery ids */
	size_t		 ninflight;
	struct ready	 ready[HOOK_READY_MAX];
	size_t		 nready, rhead;	/* h.ready[rhead..nready) to send */
	struct result	*res;		/* done, not yet written */
	size_t		 nres;
	size_t		 capres;
	int64_t		 first_res;	/* mono ms of res[0] */
	int64_t		 delivered, failed_attempts, refused;
	PGconn		*prep_conn;	/* where the statements are prepared */
	int		 prep_pid;
	unsigned	 prepared;	/* 1 << enum stmt */
} h;

/* ---------- pure helpers ---------- */

static bool
v4_private(uint32_t a)
{
	uint8_t	 b0 = a >> 24, b1 = (a >> 16) & 0xff;

	return b0 == 0 || b0 == 10 || b0 == 127 || b0 >= 224 ||
	    (b0 == 100 && (b1 & 0xc0) == 64) ||		/* 100.64/10 CGN */
	    (b0 == 169 && b1 == 254) ||
	    (b0 == 172 && (b1 & 0xf0) == 16) ||
	    (b0 == 192 && b1 == 168) ||
	    (b0 == 192 && b1 == 0 && ((a >> 8) & 0xff) == 0) ||
	    (b0 == 198 && (b1 & 0xfe) == 18);		/* benchmarking */
}

bool
hook_addr_private(const struct sockaddr *sa)
{
	const struct sockaddr_in	*s4;
	const struct sockaddr_in6	*s6;
	const uint8_t			*b;
	static const uint8_t		 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };
	static const uint8_t		 nat64[12] = { 0, 0x64, 0xff, 0x9b };
	size_t				 i;

	if (sa == NULL)
		return true;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return v4_private(ntohl(s4->sin_addr.s_addr));
	}
	if (sa->sa_family != AF_INET6)
		return true;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	b = s6->sin6_addr.s6_addr;
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
		return v4_private((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
		    (uint32_t)b[14] << 8 | b[15]);
	for (i = 0; i < 15 && b[i] == 0; i++)
		;
	if (i == 15 && (b[15] == 0 || b[15] == 1))	/* :: and ::1 */
		return true;
	return (b[0] & 0xfe) == 0xfc ||			/* fc00::/7 */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	    b[0] == 0xff;				/* multicast */
}

bool
hook_addr_allowed(const struct sockaddr *sa)
{
	if (env != NULL && env->cfg != NULL && env->cfg->webhook_allow_private)
		return true;
	if (!hook_addr_private(sa))
		return true;
	h.refused++;
	return false;
}

int
hook_sign(const char *secret, const char *id, int64_t ts, const char *body,
    size_t bodylen, char *out, size_t outlen)
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 key[HOOK_SECRET_MAX];
	unsigned char			 mac[crypto_auth_hmacsha256_BYTES];
	char				 tsbuf[24];
	size_t				 klen;
	const char			*b64;

	if (strncmp(secret, "whsec_", 6) != 0)
		return PF_ERR_INVALID;
	b64 = secret + 6;
	if (sodium_base642bin(key, sizeof(key), b64, strlen(b64), NULL,
	    &klen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || klen < 16)
		return PF_ERR_INVALID;
	if (outlen < 3 + sodium_base64_ENCODED_LEN(sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL))
		return PF_ERR_RANGE;
	snprintf(tsbuf, sizeof(tsbuf), "%" PRId64, ts);
	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)id,
	    strlen(id));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)tsbuf,
	    strlen(tsbuf));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body,
	    bodylen);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	memcpy(out, "v1,", 3);
	sodium_bin2base64(out + 3, outlen - 3, mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL);
	return PF_OK;
}

/* ---------- LISTEN ---------- */

/* (Re)issues LISTEN when the loop's connection is new. */
static void
listen_check(void)
{
	PGconn	*c = pf_db_conn(env->db);

	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		h.conn = NULL;
		return;
	}
	if (c == h.conn && PQbackendPID(c) == h.pid)
		return;
	if (pf_db_exec(env->db, NULL, "LISTEN pf_webhook", 0, NULL) !=
	    PF_OK) {
		h.conn = NULL;
		return;
	}
	h.conn = pf_db_conn(env->db);
	h.pid = PQbackendPID(h.conn);
	h.wake = true;	/* what was missed meanwhile */
}

static void
listen_drain(void)
{
	PGnotify	*n;

	if (h.conn == NULL || h.conn != pf_db_conn(env->db))
		return;
	PQconsumeInput(h.conn);
	while ((n = PQnotifies(h.conn)) != NULL) {
		h.wake = true;
		PQfreemem(n);
	}
}

int
hook_pollfds(struct pollfd *pfd, int max)
{
	int	 fd;

	if (!h.on || max < 1 || h.conn == NULL ||
	    h.conn != pf_db_conn(env->db) || (fd = PQsocket(h.conn)) < 0)
		return 0;
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

void
hook_poll_done(void)
{
	listen_drain();
}

/* ---------- delivery ---------- */

static void
inflight_del(int64_t id)
{
	size_t	 i;

	for (i = 0; i < h.ninflight; i++)
		if (h.inflight[i] == id) {
			h.inflight[i] = h.inflight[--h.ninflight];
			return;
		}
}

/* The wait before attempt n + 1: doubling, capped, half of it random. */
static int64_t
backoff_ms(int attempts)
{
	int64_t	 d = env->cfg->webhook_retry_initial_ms;
	int	 i;

	for (i = 1; i < attempts && d < env->cfg->webhook_retry_max_ms; i++)
		d *= 2;
	if (d > env->cfg->webhook_retry_max_ms)
		d = env->cfg->webhook_retry_max_ms;
	return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 + 1));
}

static void
sent(struct xfer *x, void *arg)
{
	struct item	*it = arg;
	struct result	*r;

	inflight_del(it->id);
	if (x->cancelled) {		/* shutting down: it stays pending */
		free(it);
		return;
	}
	if (h.nres == h.capres) {
		h.capres = h.capres ? h.capres * 2 : 64;
		h.res = pf_xreallocarray(h.res, h.capres, sizeof(*h.res));
	}
	if (h.nres == 0)
		h.first_res = pf_time_mono_ms();
	r = &h.res[h.nres++];
	memset(r, 0, sizeof(*r));
	r->id = it->id;
	r->code = x->status;
	r->ms = x->ms;
	if (x->err == PF_OK && x->status >= 200 && x->status <= 299) {
		r->delay = -1;
		h.delivered++;
	} else {
		r->delay = backoff_ms(it->attempts + 1);
		h.failed_attempts++;
		if (x->err != PF_OK)
			snprintf(r->err, sizeof(r->err), "%s", x->errmsg);
		else
			snprintf(r->err, sizeof(r->err), "HTTP %ld", x->status);
	}
	h.wake = true;		/* the user's next event may go */
	free(it);
}

static void
send_one(int64_t id, int attempts, const char *event_id, const char *url,
    const char *secret, const char *body)
{
	struct xfer	*x;
	struct item	*it;
	char		 sig[64];
	int64_t		 ts = pf_time_now_ms() / 1000;

	if (hook_sign(secret, event_id, ts, body, strlen(body), sig,
	    sizeof(sig)) != PF_OK) {
		pf_log_warnx("webhook delivery %" PRId64 ": the subscription's "
		    "secret is not valid", id);
		return;
	}
	it = pf_xcalloc(1, sizeof(*it));
	it->id = id;
	it->attempts = attempts;
	x = fetch_xfer_new(url, XA_BASIC, NULL, sent, it, NULL);
	x->hook = true;
	x->once = true;
	x->prio = 0;
	x->body = pf_xstrdup(body);
	x->ctype = "application/json";
	x->xhdrs = pf_xasprintf("webhook-id: %s\nwebhook-timestamp: %" PRId64
	    "\nwebhook-signature: %s\n", event_id, ts, sig);
	h.inflight[h.ninflight++] = id;
	fetch_submit(x);
}

static char *
int64_array(const int64_t *v, size_t n)
{
	size_t	 i, len = 3 + n * 21, off = 0;
	char	*s = pf_xmalloc(len);

	s[off++] = '{';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%" PRId64,
		    i ? "," : "", v[i]);
	s[off++] = '}';
	s[off] = '\0';
	return s;
}

/*
 * The two statements of every turn are prepared once per connection (a
 * reconnect is noticed by its backend pid): planning them cost more than
 * running them.
 */
static int
exec_prepared(enum stmt id, PGresult **out, const char *sql, int n,
    const char *const *params)
{
	static const char *const names[S__COUNT] = { "hook_scan",
	    "hook_flush" };
	PGconn		*conn = pf_db_conn(env->db);
	PGresult	*r;
	int		 rc;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return pf_db_exec(env->db, out, sql, n, params);
	if (conn != h.prep_conn || PQbackendPID(conn) != h.prep_pid) {
		h.prep_conn = conn;
		h.prep_pid = PQbackendPID(conn);
		h.prepared = 0;
	}
	if ((h.prepared & (1u << id)) == 0) {
		r = PQprepare(conn, names[id], sql, n, NULL);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!rc)	/* the plain way says why */
			return pf_db_exec(env->db, out, sql, n, params);
		h.prepared |= 1u << id;
	}
	r = PQexecPrepared(conn, names[id], n, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (out != NULL)
			*out = r;
		else
			PQclear(r);
		return PF_OK;
	}
	rc = PQstatus(conn) != CONNECTION_OK ? PF_ERR_DB_CONN :
	    pf_db_sqlstate_err(PQresultErrorField(r, PG_DIAG_SQLSTATE));
	pf_log_warnx("%s: %s", names[id], PQresultErrorMessage(r));
	h.prepared &= ~(1u << id);
	PQclear(r);
	return rc;
}

/*
 * Writes the results gathered since the last turn in one statement: each
 * delivery's row, then each subscription's health (a success clears it;
 * failing for webhook_disable_after_hours disables it).
 */
static int
flush(void)
{
	const char	*p[4];
	json_t		*a;
	int64_t		*ids;
	char		*txt, *idtxt, hrs[16], dis[16];
	size_t		 i;
	int		 r;

	if (h.nres == 0)
		return PF_OK;
	a = json_array();
	for (i = 0; i < h.nres; i++)
		json_array_append_new(a, json_pack("{s:I,s:I,s:I,s:I,s:s?}",
		    "id", (json_int_t)h.res[i].id, "code",
		    (json_int_t)h.res[i].code, "ms", (json_int_t)h.res[i].ms,
		    "delay", (json_int_t)h.res[i].delay, "err",
		    h.res[i].delay < 0 ? NULL : h.res[i].err));
	txt = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	/* the ids again, as an array: the planner probes the primary key */
	ids = pf_xreallocarray(NULL, h.nres, sizeof(*ids));
	snprintf(hrs, sizeof(hrs), "%d", env->cfg->webhook_retry_hours);
	snprintf(dis, sizeof(dis), "%d", env->cfg->webhook_disable_after_hours);
	for (i = 0; i < h.nres; i++)
		ids[i] = h.res[i].id;
	idtxt = int64_array(ids, h.nres);
	free(ids);
	p[0] = txt;
	p[1] = hrs;
	p[2] = dis;
	p[3] = idtxt;
	r = exec_prepared(S_FLUSH, NULL, "WITH r AS (SELECT * FROM "
	    "jsonb_to_recordset($1::jsonb) AS r (id bigint, code int, ms int, "
	    "delay bigint, err text)), "
	    "d AS (UPDATE webhook_deliveries d SET attempts = d.attempts + 1, "
	    " status_code = nullif(r.code, 0), latency_ms = r.ms, "
	    " error = r.err, last_attempt_at = now(), "
	    " state = CASE WHEN r.delay < 0 THEN 'delivered' "
	    " WHEN d.created_at < now() - make_interval(hours => $2::int) "
	    " THEN 'failed' ELSE 'pending' END, "
	    " next_attempt_at = CASE WHEN r.delay < 0 THEN d.next_attempt_at "
	    " ELSE now() + r.delay * interval '1 millisecond' END "
	    " FROM r WHERE d.id = r.id AND d.id = ANY ($4::bigint[]) "
	    /* a filter, not a reason to read the whole pending index */
	    " AND coalesce(d.state, '') = 'pending' "
	    " RETURNING d.subscription_id, r.delay < 0 AS ok), "
	    "g AS (SELECT subscription_id, bool_or(ok) AS ok, "
	    " count(*) FILTER (WHERE NOT ok) AS nfail FROM d GROUP BY 1) "
	    "UPDATE webhook_subscriptions s SET "
	    " failure_streak = CASE WHEN g.ok THEN 0 "
	    " ELSE s.failure_streak + g.nfail END, "
	    " failing_since = CASE WHEN g.ok THEN NULL "
	    " ELSE coalesce(s.failing_since, now()) END, "
	    " enabled = s.enabled AND (g.ok OR s.failing_since IS NULL OR "
	    " s.failing_since > now() - make_interval(hours => $3::int)), "
	    " disabled_at = CASE WHEN NOT g.ok AND s.failing_since <= now() - "
	    " make_interval(hours => $3::int) THEN now() ELSE s.disabled_at END, "
	    " disabled_reason = CASE WHEN NOT g.ok AND s.failing_since <= now() "
	    " - make_interval(hours => $3::int) THEN 'failing since ' || "
	    " s.failing_since::text ELSE s.disabled_reason END "
	    "FROM g WHERE s.id = g.subscription_id AND (NOT g.ok OR "
	    " s.failure_streak > 0 OR s.failing_since IS NOT NULL)", 4, p);
	free(txt);
	free(idtxt);
	if (r != PF_OK) {
		pf_log_warnx("could not record %zu webhook deliveries: %s "
		    "(they will be sent again)", h.nres, pf_db_errmsg(env->db));
		h.nres = 0;	/* still pending in the database */
		return r;
	}
	for (i = 0; i < h.nres; i++)
		if (h.res[i].delay >= 0)
			pf_log_debug("webhook delivery %" PRId64 " failed (%s), "
			    "next attempt in %" PRId64 " ms", h.res[i].id,
			    h.res[i].err, h.res[i].delay);
	h.nres = 0;
	return PF_OK;
}

/*
 * The head of each (subscription, user): its oldest pending delivery, found
 * with one index probe per pair (a loose index scan) rather than by reading
 * every pending row.  Only heads that are due and not in flight are kept,
 * in h.ready, soonest due first; the next due time is noted.  A scan runs
 * only once h.ready is empty, after the results were written, so a
 * user's next delivery is never read before the previous one is settled.
 */
static void
scan(int64_t now)
{
	const char	*p[2];
	PGresult	*res;
	struct ready	*r;
	char		*ids, lim[16];
	int64_t		 wait;
	int		 i, n;

	h.next_scan = now + HOOK_SCAN_IDLE_MS;
	ids = int64_array(h.inflight, h.ninflight);
	snprintf(lim, sizeof(lim), "%d", HOOK_READY_MAX + 1);
	p[0] = ids;
	p[1] = lim;
	if (exec_prepared(S_SCAN, &res, "WITH RECURSIVE g AS ("
	    " (SELECT subscription_id, subject, id FROM webhook_deliveries"
	    "  WHERE state = 'pending' ORDER BY subscription_id, subject, id"
	    "  LIMIT 1)"
	    " UNION ALL SELECT n.* FROM g, LATERAL (SELECT subscription_id,"
	    "  subject, id FROM webhook_deliveries d WHERE state = 'pending'"
	    "  AND (d.subscription_id, d.subject) > (g.subscription_id,"
	    "  g.subject) ORDER BY subscription_id, subject, id LIMIT 1) n) "
	    "SELECT d.id, d.attempts, o.event_id, s.url, s.secret, o.body, "
	    "greatest(0, ceil(extract(epoch FROM d.next_attempt_at - now()) * "
	    "1000))::bigint FROM g "
	    "JOIN webhook_deliveries d ON d.id = g.id "
	    "JOIN webhook_outbox o ON o.seq = d.seq "
	    "JOIN webhook_subscriptions s ON s.id = d.subscription_id "
	    "WHERE s.enabled AND d.id <> ALL ($1::bigint[]) "
	    "ORDER BY d.next_attempt_at, d.id LIMIT $2::int", 2, p) != PF_OK) {
		pf_log_warnx("could not read the webhook deliveries: %s",
		    pf_db_errmsg(env->db));
		free(ids);
		return;
	}
	free(ids);
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (pf_db_get_int64(res, i, 6, &wait) != PF_OK)
			continue;
		if (wait > 0 || h.nready == HOOK_READY_MAX) {
			if (now + wait < h.next_scan)
				h.next_scan = now + wait;
			break;
		}
		r = &h.ready[h.nready];
		if (pf_db_get_int64(res, i, 0, &r->id) != PF_OK ||
		    pf_db_get_int(res, i, 1, &r->attempts) != PF_OK)
			continue;
		r->event_id = pf_xstrdup(PQgetvalue(res, i, 2));
		r->url = pf_xstrdup(PQgetvalue(res, i, 3));
		r->secret = pf_xstrdup(PQgetvalue(res, i, 4));
		r->body = pf_xstrdup(PQgetvalue(res, i, 5));
		h.nready++;
	}
	PQclear(res);
	h.rhead = 0;
}

static void
ready_free(struct ready *r)
{
	free(r->event_id);
	free(r->url);
	if (r->secret != NULL)
		sodium_memzero(r->secret, strlen(r->secret));
	free(r->secret);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Sends from h.ready while there is room. */
static void
dispatch(void)
{
	struct ready	*r;

	while (h.rhead < h.nready &&
	    (int)h.ninflight < env->cfg->webhook_max_inflight) {
		r = &h.ready[h.rhead++];
		send_one(r->id, r->attempts, r->event_id, r->url, r->secret,
		    r->body);
		ready_free(r);
	}
	if (h.rhead == h.nready)
		h.rhead = h.nready = 0;
}

/* Delivered events a week old go, with their delivery log. */
static void
prune(void)
{
	if (pf_db_exec(env->db, NULL, "DELETE FROM webhook_outbox o WHERE "
	    "created_at < now() - interval '7 days' AND NOT EXISTS (SELECT 1 "
	    "FROM webhook_deliveries d WHERE d.seq = o.seq AND "
	    "d.state = 'pending')", 0, NULL) != PF_OK)
		pf_log_warnx("could not prune the webhook outbox: %s",
		    pf_db_errmsg(env->db));
}

/*
 * Results are written in batches: when many are waiting, when they are
 * needed (nothing left to send: the next scan must see them), or when the
 * oldest has waited HOOK_FLUSH_MS.  One statement per result would cost
 * more than the deliveries.
 */
static bool
flush_due(int64_t now)
{
	return h.nres > 0 && (h.nres >= HOOK_FLUSH_BATCH || h.nready == 0 ||
	    now >= h.first_res + HOOK_FLUSH_MS);
}

void
hook_init(void)
{
	memset(&h, 0, sizeof(h));
	h.inflight = pf_xreallocarray(NULL, 32, sizeof(*h.inflight));
	h.on = true;
	h.wake = true;
	listen_check();
}

void
hook_fini(void)
{
	if (h.on)
		flush();
	while (h.rhead < h.nready)
		ready_free(&h.ready[h.rhead++]);
	free(h.inflight);
	free(h.res);
	memset(&h, 0, sizeof(h));
}

int64_t
hook_next_deadline(void)
{
	if (!h.on)
		return INT64_MAX;
	if (h.nres > 0 && h.nready == 0)
		return 0;
	if (h.nres > 0 && h.first_res + HOOK_FLUSH_MS < h.next_scan)
		return h.first_res + HOOK_FLUSH_MS;
	if ((h.nready > 0 &&
	    (int)h.ninflight < env->cfg->webhook_max_inflight))
		return 0;
	if (h.wake && h.nready == 0)
		return 0;
	return h.next_scan;
}

void
hook_run(int64_t now)
{
	if (!h.on)
		return;
	listen_check();
	listen_drain();
	if (flush_due(now) && flush() != PF_OK)
		return;
	if (now >= h.next_prune) {
		h.next_prune = now + HOOK_PRUNE_MS;
		prune();
	}
	if (h.nready == 0 && (h.wake || now >= h.next_scan)) {
		h.wake = false;
		scan(now);
	}
	dispatch();
}

json_t *
hook_status(void)
{
	return json_pack("{s:b,s:I,s:I,s:I,s:I}", "listening", h.conn != NULL,
	    "inflight", (json_int_t)h.ninflight,
	    "delivered", (json_int_t)h.delivered,
	    "failed_attempts", (json_int_t)h.failed_attempts,
	    "refused", (json_int_t)h.refused);
}
