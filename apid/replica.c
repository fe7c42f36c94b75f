/*
 * replica.c -- reads from a streaming replica (database_url_replica).
 *
 * The route statements of GET data routes may run on the replica; keys,
 * quota leases, and every write stay on the primary ("db"), so a key
 * revoked on the primary is refused at once: its lookup never reads the
 * replica, and the primary's apid_keys notification drops it from every
 * instance's cache (listen.c).
 *
 * Each worker probes the replica every REPLICA_PROBE_MS on a connection
 * of its own: the replica is used only while the probe succeeds and its
 * replay lag is within database_replica_max_lag_ms.  The lag is zero when
 * everything received is replayed (an idle primary sends nothing, so the
 * age of the last replayed commit alone would call an idle replica
 * late), else the age of the last replayed commit.  A statement that
 * fails on the replica is run again on the primary, and the replica is
 * left alone until the next good probe.
 *
 * Responses read on the replica are not put in the response cache: a
 * data notification from the primary can arrive before the replica has
 * replayed the change, and the stale answer would then stay cached.
 *
 * The probe is a blocking call in the worker's loop: a sub-millisecond
 * query on a kept connection, with a 1 s statement timeout; while the
 * replica is down it is tried only every REPLICA_DOWN_MS, each attempt
 * bounded by the connect timeout apid sets (PGCONNECT_TIMEOUT).
 */
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include <libpq-fe.h>

#include "common/log.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"

#define REPLICA_PROBE_MS	500
#define REPLICA_DOWN_MS		2000

static PGconn	*probe;
static int64_t	 next_try_ms;	/* while down */
static bool	 was_ok;

static const char probe_sql[] =
    "SELECT CASE WHEN NOT pg_is_in_recovery() OR "
    "pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE coalesce((extract(epoch FROM now() - "
    "pg_last_xact_replay_timestamp()) * 1000)::bigint, 2147483647) END";

static void
replica_set(bool ok, const char *why)
{
	env->replica_ok = ok;
	if (ok != was_ok) {
		if (ok)
			pf_log_info("reads go to the replica");
		else
			pf_log_warnx("replica bypassed: %s", why);
	}
	was_ok = ok;
}

static void
probe_close(void)
{
	if (probe != NULL)
		PQfinish(probe);
	probe = NULL;
}

static void
probe_tick(void *arg, u_int64_t now)
{
	PGresult	*res;
	long long	 lag;
	char		 why[96];

	(void)arg;
	if (probe == NULL) {
		if ((int64_t)now < next_try_ms)
			return;
		probe = PQconnectdb(env->cfg->database_url_replica);
		if (PQstatus(probe) != CONNECTION_OK) {
			replica_set(false, PQerrorMessage(probe));
			probe_close();
			next_try_ms = (int64_t)now + REPLICA_DOWN_MS;
			return;
		}
		res = PQexec(probe, "SET statement_timeout = 1000");
		PQclear(res);
	}
	res = PQexec(probe, probe_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		replica_set(false, PQerrorMessage(probe));
		PQclear(res);
		probe_close();
		next_try_ms = (int64_t)now + REPLICA_DOWN_MS;
		return;
	}
	lag = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (lag > env->cfg->database_replica_max_lag_ms) {
		snprintf(why, sizeof(why), "replay lag %lld ms", lag);
		replica_set(false, why);
	} else
		replica_set(true, NULL);
}

void
replica_init(void)
{
	env->replica_ok = false;
	if (env->cfg->database_url_replica == NULL ||
	    env->cfg->database_url_replica[0] == '\0')
		return;
	probe_tick(NULL, kore_time_ms());
	kore_timer_add(probe_tick, REPLICA_PROBE_MS, NULL, 0);
}

void
replica_failed(const char *why)
{
	replica_set(false, why);
	probe_close();
	next_try_ms = (int64_t)kore_time_ms() + REPLICA_PROBE_MS;
}

void
replica_fini(void)
{
	probe_close();
}
