/*
 * listen.c -- one LISTEN connection per worker for key invalidation.
 *
 * sql/0004_apid.sql notifies channel "apid_keys" with the key id whenever
 * an api_keys row is updated or deleted, by anyone (polarctl, another
 * apid instance, an admin's psql).  The worker drops that key from its
 * cache at once, so a revoked key stops working immediately everywhere
 * while healthy keys are re-read only every APID_KEY_TTL_LONG_MS.  While
 * the LISTEN connection is down nothing can be trusted for long: the
 * cache is flushed and the short TTL applies until it is back.
 *
 * The same connection hears channel apid_data (a user's data changed)
 * and drops that user's cached responses (cache.c); the response cache
 * is off while the channel is down.
 */
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include <libpq-fe.h>

#include "common/log.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"

#define LISTEN_RETRY_MS	1000

struct listener_pg {
	struct kore_event	 evt;		/* must be first */
	PGconn			*conn;
};

static struct listener_pg	lst;

static void	listen_start(void);

static void
listen_retry(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	listen_start();
}

static void
listen_lost(const char *why)
{
	pf_log_warnx("key invalidation channel lost: %s", why);
	if (lst.conn != NULL) {
		PQfinish(lst.conn);	/* closing the fd drops it from epoll */
		lst.conn = NULL;
	}
	env->key_ttl_ms = APID_KEY_TTL_MS;
	keycache_flush(&env->keys);
	env->cache_on = false;
	cache_flush(&env->cache);
	kore_timer_add(listen_retry, LISTEN_RETRY_MS, NULL, 1);
}

static void
listen_handle(void *arg, int err)
{
	PGnotify	*n;

	(void)arg;
	if (err || !PQconsumeInput(lst.conn)) {
		listen_lost(PQerrorMessage(lst.conn));
		return;
	}
	while ((n = PQnotifies(lst.conn)) != NULL) {
		if (strcmp(n->relname, "apid_keys") == 0)
			keycache_drop_id(&env->keys,
			    strtoll(n->extra, NULL, 10));
		else
			cache_drop_user(&env->cache, n->extra);
		PQfreemem(n);
	}
	if (PQstatus(lst.conn) == CONNECTION_BAD)
		listen_lost("connection closed");
}

static void
listen_start(void)
{
	PGresult	*res;

	lst.conn = PQconnectdb(env->cfg->database_url);
	if (PQstatus(lst.conn) != CONNECTION_OK) {
		listen_lost(PQerrorMessage(lst.conn));
		return;
	}
	res = PQexec(lst.conn, "LISTEN apid_keys; LISTEN apid_data");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		listen_lost(PQerrorMessage(lst.conn));
		return;
	}
	PQclear(res);
	PQsetnonblocking(lst.conn, 1);
	lst.evt.type = KORE_TYPE_PGSQL_CONN + 100;
	lst.evt.flags = 0;
	lst.evt.handle = listen_handle;
	kore_platform_schedule_read(PQsocket(lst.conn), &lst);
	/* Changes missed while we were away: start from a clean cache. */
	keycache_flush(&env->keys);
	env->key_ttl_ms = APID_KEY_TTL_LONG_MS;
	cache_flush(&env->cache);
	env->cache_on = true;
}

/*
 * Reads notifications already on the socket (one non-blocking read),
 * far cheaper than serving what a commit already replaced.
 */
void
listen_drain(void)
{
	if (lst.conn != NULL)
		listen_handle(NULL, 0);
}

void
listen_init(void)
{
	env->key_ttl_ms = APID_KEY_TTL_MS;
	listen_start();
}

void
listen_fini(void)
{
	if (lst.conn != NULL)
		PQfinish(lst.conn);
	lst.conn = NULL;
}
