/*
 * store.c -- every SQL statement polarctl runs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/db.h"
#include "common/err.h"

#include "polarctl.h"

/* Arbitrary but fixed: every polarctl serialises migrations on it. */
#define MIGRATE_LOCK_ID	"7308613594628145152"

int
store_migrate_lock(struct pf_db *db)
{
	const char	*p[1] = { MIGRATE_LOCK_ID };
	int		 r;

	if ((r = pf_db_exec(db, NULL, "SELECT pg_advisory_lock($1::bigint)",
	    1, p)) != PF_OK)
		return r;
	return pf_db_exec(db, NULL,
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " checksum char(64) NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now(),"
	    " applied_by text NOT NULL DEFAULT current_user,"
	    " duration_ms integer)", 0, NULL);
}

int
store_migrate_unlock(struct pf_db *db)
{
	const char	*p[1] = { MIGRATE_LOCK_ID };

	return pf_db_exec(db, NULL, "SELECT pg_advisory_unlock($1::bigint)",
	    1, p);
}

int
store_migrations_applied(struct pf_db *db, PGresult **res)
{
	return pf_db_exec(db, res, "SELECT version, name, checksum, "
	    "to_char(applied_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by "
	    "FROM schema_migrations ORDER BY version", 0, NULL);
}

int
store_partition_list(struct pf_db *db, PGresult **res)
{
	return pf_db_exec(db, res, "SELECT p.relname AS table, "
	    "c.relname AS partition, pg_get_expr(c.relpartbound, c.oid) "
	    "AS bound, greatest(c.reltuples, 0)::bigint AS rows, "
	    "pg_total_relation_size(c.oid) AS bytes, "
	    "pg_size_pretty(pg_total_relation_size(c.oid)) AS size "
	    "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
	    "JOIN pg_class p ON p.oid = i.inhparent "
	    "WHERE p.relkind = 'p' AND p.relnamespace = "
	    "'public'::regnamespace ORDER BY p.relname, c.relname", 0, NULL);
}

int
store_partition_split(struct pf_db *db, const char *table, int64_t *moved)
{
	PGresult	*res = NULL;
	const char	*p[1] = { table };
	int		 r;

	*moved = 0;
	r = pf_db_exec_one(db, &res, "SELECT pf_history_split($1)", 1, p);
	if (r == PF_OK)
		r = pf_db_get_int64(res, 0, 0, moved);
	PQclear(res);
	return r;
}

int
store_migration_apply(struct pf_db *db, int version, const char *name,
    const char *sql, const char *checksum, const char *actor)
{
	char		 ver[16];
	const char	*p[4] = { ver, name, checksum, actor };
	int		 r;

	snprintf(ver, sizeof(ver), "%d", version);
	if ((r = pf_db_begin(db)) != PF_OK)
		return r;
	if ((r = pf_db_exec_script(db, sql)) != PF_OK)
		goto out;
	r = pf_db_exec(db, NULL, "INSERT INTO schema_migrations (version, "
	    "name, checksum, applied_by, duration_ms) VALUES ($1::int, $2, $3, "
	    "$4, (extract(epoch FROM clock_timestamp() - now()) * 1000)::int)",
	    4, p);
	if (r != PF_OK)
		goto out;
	return pf_db_commit(db);
out:
	pf_db_rollback(db);
	return r;
}

int
store_audit(struct pf_db *db, const char *actor, const char *action,
    const char *user_id, const json_t *details)
{
	char		*text;
	const char	*p[4];
	int		 r;

	text = details ? json_dumps(details, JSON_COMPACT) : NULL;
	p[0] = actor;
	p[1] = action;
	p[2] = user_id;
	p[3] = text ? text : "{}";
	r = pf_db_exec(db, NULL, "INSERT INTO audit_log (actor, action, "
	    "user_id, details) VALUES ($1, $2, $3, $4::jsonb)", 4, p);
	free(text);
	return r;
}

int
store_status_counts(struct pf_db *db, PGresult **res)
{
	return pf_db_exec_one(db, res, "SELECT "
	    "(SELECT count(*) FROM users WHERE is_active) AS active_users, "
	    "(SELECT count(*) FROM users WHERE needs_reauth) "
	    "AS users_needing_reauth, "
	    "(SELECT count(*) FROM analytics_state WHERE data_changed_at > "
	    "coalesce(analytics_run_at, '-infinity')) AS stale_users, "
	    "(SELECT count(*) FROM api_keys WHERE is_active) AS active_keys, "
	    "(SELECT to_char(max(completed_at) AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM sync_logs) AS last_sync",
	    0, NULL);
}

int
store_user_add(struct pf_db *db, const char *user_id)
{
	const char	*p[1] = { user_id };
	int		 r;

	if ((r = pf_db_exec(db, NULL, "INSERT INTO users (user_id) "
	    "VALUES ($1)", 1, p)) != PF_OK)
		return r;
	/* Due at once: syncd picks a new user up on its next pass. */
	return pf_db_exec(db, NULL, "INSERT INTO sync_state (user_id) "
	    "VALUES ($1) ON CONFLICT (user_id) DO UPDATE SET "
	    "next_due_at = now(), updated_at = now()", 1, p);
}

#define USER_COLS \
	"u.user_id, u.is_active, u.needs_reauth, u.consent_missing, " \
	"u.access_token_enc IS NOT NULL AS has_token, " \
	"to_char(u.last_synced_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_synced_at, " \
	"to_char(u.created_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at, " \
	"(SELECT count(*) FROM api_keys k WHERE k.user_id = u.user_id " \
	"AND k.is_active) AS active_keys "

int
store_user_list(struct pf_db *db, PGresult **res)
{
	return pf_db_exec(db, res, "SELECT " USER_COLS
	    "FROM users u ORDER BY u.user_id", 0, NULL);
}

int
store_user_get(struct pf_db *db, const char *user_id, PGresult **res)
{
	const char	*p[1] = { user_id };

	return pf_db_exec_one(db, res, "SELECT " USER_COLS ", "
	    "u.reauth_reason, "
	    "to_char(s.next_due_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS next_sync_due, "
	    "s.last_status AS last_sync_status "
	    "FROM users u LEFT JOIN sync_state s ON s.user_id = u.user_id "
	    "WHERE u.user_id = $1", 1, p);
}

int
store_user_stream_counts(struct pf_db *db, const char *user_id,
    PGresult **res)
{
	const char	*p[1] = { user_id };

	return pf_db_exec_one(db, res, "SELECT "
	    "(SELECT count(*) FROM sleep WHERE user_id = $1) AS sleep, "
	    "(SELECT count(*) FROM nightly_recharge WHERE user_id = $1) "
	    "AS nightly_recharge, "
	    "(SELECT count(*) FROM activity WHERE user_id = $1) AS activity, "
	    "(SELECT count(*) FROM activity_samples WHERE user_id = $1) "
	    "AS activity_samples, "
	    "(SELECT count(*) FROM exercise WHERE user_id = $1) AS exercise, "
	    "(SELECT count(*) FROM cardio_load WHERE user_id = $1) "
	    "AS cardio_load, "
	    "(SELECT count(*) FROM sleepwise_alertness WHERE user_id = $1) "
	    "AS sleepwise_alertness, "
	    "(SELECT count(*) FROM sleepwise_bedtime WHERE user_id = $1) "
	    "AS sleepwise_bedtime, "
	    "(SELECT count(*) FROM continuous_heart_rate WHERE user_id = $1) "
	    "AS continuous_heart_rate, "
	    "(SELECT count(*) FROM spo2 WHERE user_id = $1) AS spo2, "
	    "(SELECT count(*) FROM ecg WHERE user_id = $1) AS ecg, "
	    "(SELECT count(*) FROM body_temperature WHERE user_id = $1) "
	    "AS body_temperature, "
	    "(SELECT count(*) FROM skin_temperature WHERE user_id = $1) "
	    "AS skin_temperature, "
	    "(SELECT count(*) FROM physical_info WHERE user_id = $1) "
	    "AS physical_info", 1, p);
}

/*
 * Every row of the user, in every table (pf_user_delete finds them from
 * the catalog), in the caller's transaction; *counts is owned by the
 * caller: {"table": rows} of the tables that had rows.  PF_ERR_NOTFOUND
 * when no table had one.
 */
int
store_user_delete(struct pf_db *db, const char *user_id, const char *actor,
    json_t **counts)
{
	const char	*p[2] = { user_id, actor };
	PGresult	*res;
	int		 r;

	*counts = NULL;
	/* One statement, one transaction: the erasure and its event. */
	if ((r = pf_db_exec_one(db, &res, "WITH d AS MATERIALIZED (SELECT "
	    "pf_user_delete($1, $2) AS c) SELECT c, CASE WHEN c IS NOT NULL "
	    "THEN pf_webhook_emit('user.deleted', $1, jsonb_build_object("
	    "'tables', c)) END FROM d", 2, p)) != PF_OK)
		return r;
	if (PQgetisnull(res, 0, 0))
		r = PF_ERR_NOTFOUND;
	else if ((*counts = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) ==
	    NULL)
		r = PF_ERR_PARSE;
	PQclear(res);
	return r;
}

int
store_key_insert(struct pf_db *db, const char *hash, const char *prefix,
    const char *name, const char *user_id, int rate_limit, int64_t *id)
{
	char		 rl[16];
	const char	*p[5] = { hash, prefix, name, user_id, rl };
	PGresult	*res;
	int		 r;

	snprintf(rl, sizeof(rl), "%d", rate_limit);
	if ((r = pf_db_exec_one(db, &res, "INSERT INTO api_keys (key_hash, "
	    "key_prefix, name, user_id, rate_limit_requests) VALUES ($1, $2, "
	    "$3, $4, $5::int) RETURNING id", 5, p)) != PF_OK)
		return r;
	r = pf_db_get_int64(res, 0, 0, id);
	PQclear(res);
	return r;
}

int
store_key_active_for_user(struct pf_db *db, const char *user_id, int64_t *id)
{
	const char	*p[1] = { user_id };
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec(db, &res, "SELECT id FROM api_keys WHERE "
	    "user_id = $1 AND is_active ORDER BY id LIMIT 1", 1, p)) != PF_OK)
		return r;
	r = PQntuples(res) == 1 ? pf_db_get_int64(res, 0, 0, id) :
	    PF_ERR_NOTFOUND;
	PQclear(res);
	return r;
}

#define KEY_COLS \
	"id, key_prefix, name, user_id, is_active, rate_limit_requests, " \
	"to_char(created_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at, " \
	"to_char(last_used_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_used_at, " \
	"to_char(revoked_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS revoked_at "

int
store_key_list(struct pf_db *db, const char *user_id, PGresult **res)
{
	const char	*p[1] = { user_id };

	return pf_db_exec(db, res, "SELECT " KEY_COLS "FROM api_keys "
	    "WHERE $1::text IS NULL OR user_id = $1 ORDER BY id", 1, p);
}

int
store_key_get(struct pf_db *db, int64_t id, PGresult **res)
{
	char		 ids[24];
	const char	*p[1] = { ids };

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	return pf_db_exec_one(db, res, "SELECT " KEY_COLS "FROM api_keys "
	    "WHERE id = $1::bigint", 1, p);
}

int
store_key_find_prefix(struct pf_db *db, const char *prefix, int64_t *id)
{
	const char	*p[1] = { prefix };
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec(db, &res, "SELECT id FROM api_keys WHERE "
	    "key_prefix = $1 ORDER BY id LIMIT 2", 1, p)) != PF_OK)
		return r;
	if (PQntuples(res) == 1)
		r = pf_db_get_int64(res, 0, 0, id);
	else
		r = PQntuples(res) == 0 ? PF_ERR_NOTFOUND : PF_ERR_EXISTS;
	PQclear(res);
	return r;
}

int
store_key_revoke(struct pf_db *db, int64_t id)
{
	char		 ids[24];
	const char	*p[1] = { ids };
	PGresult	*res;
	int		 r;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if ((r = pf_db_exec(db, &res, "UPDATE api_keys SET is_active = false, "
	    "revoked_at = coalesce(revoked_at, now()) WHERE id = $1::bigint",
	    1, p)) != PF_OK)
		return r;
	r = strcmp(PQcmdTuples(res), "1") == 0 ? PF_OK : PF_ERR_NOTFOUND;
	PQclear(res);
	return r;
}

/* Regeneration keeps the row (and its id) and resets its history. */
int
store_key_replace(struct pf_db *db, int64_t id, const char *hash,
    const char *prefix)
{
	char		 ids[24];
	const char	*p[3] = { ids, hash, prefix };
	PGresult	*res;
	int		 r;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if ((r = pf_db_exec(db, &res, "UPDATE api_keys SET key_hash = $2, "
	    "key_prefix = $3, is_active = true, revoked_at = NULL, "
	    "created_at = now(), last_used_at = NULL WHERE id = $1::bigint",
	    3, p)) != PF_OK)
		return r;
	r = strcmp(PQcmdTuples(res), "1") == 0 ? PF_OK : PF_ERR_NOTFOUND;
	PQclear(res);
	if (r == PF_OK)
		r = pf_db_exec(db, NULL, "DELETE FROM api_rate_windows WHERE "
		    "key_id = $1::bigint", 1, p);
	return r;
}

/*
 * "export": one fixed statement per stream, looked up by index (see
 * store_export_stream), so no table name ever comes from the command line.
 * A stream is a table of user rows; secrets (users, api_keys), sync
 * bookkeeping and the audit log are not streams.  SELECT * so that a
 * column a later migration adds is exported too.  $1 is the user, $2 the
 * window in days or NULL for all history: rows dated today - $2 or later
 * (UTC), the window the REST API's "days" uses.  Rows come ordered by
 * their date or time, then id (the rest of the primary key where a table
 * has no id), so two exports of the same data are byte-identical.
 * Adding a stream is adding a line here.
 */
#define EXPORT(table, day, order) \
	"DECLARE pf_export NO SCROLL CURSOR FOR SELECT * FROM " table \
	" WHERE user_id = $1 AND ($2::int IS NULL OR " day \
	" >= current_date - $2::int) ORDER BY " order

static const struct {
	const char	*name;
	const char	*sql;
} export_streams[] = {
	{ "sleep", EXPORT("sleep", "date", "date, id") },
	{ "nightly_recharge", EXPORT("nightly_recharge", "date", "date, id") },
	{ "activity", EXPORT("activity", "date", "date, id") },
	{ "activity_samples", EXPORT("activity_samples", "date", "date, id") },
	{ "exercise", EXPORT("exercise", "start_time", "start_time, id") },
	{ "cardio_load", EXPORT("cardio_load", "date", "date, id") },
	{ "sleepwise_alertness", EXPORT("sleepwise_alertness",
	    "period_start_time", "period_start_time, id") },
	{ "sleepwise_bedtime", EXPORT("sleepwise_bedtime",
	    "period_start_time", "period_start_time, id") },
	{ "continuous_heart_rate", EXPORT("continuous_heart_rate", "date",
	    "date, id") },
	{ "spo2", EXPORT("spo2", "test_time", "test_time, id") },
	{ "ecg", EXPORT("ecg", "test_time", "test_time, id") },
	{ "body_temperature", EXPORT("body_temperature", "start_time",
	    "start_time, id") },
	{ "skin_temperature", EXPORT("skin_temperature", "sleep_date",
	    "sleep_date, id") },
	{ "physical_info", EXPORT("physical_info", "recorded_at",
	    "recorded_at, id") },
	{ "user_baselines", EXPORT("user_baselines", "calculated_at",
	    "calculated_at, id") },
	{ "pattern_analyses", EXPORT("pattern_analyses", "analyzed_at",
	    "analyzed_at, id") },
	{ "analytics_alerts", EXPORT("analytics_alerts", "day",
	    "day, metric_name") },
	{ "analytics_daily", EXPORT("analytics_daily", "day",
	    "day, metric_name") },
	{ "analytics_documents", EXPORT("analytics_documents", "computed_at",
	    "computed_at, kind") },
#undef EXPORT
};
#define NEXPORT	(sizeof(export_streams) / sizeof(export_streams[0]))

/* The name of stream i, NULL past the last one. */
const char *
store_export_stream(size_t i)
{
	return i < NEXPORT ? export_streams[i].name : NULL;
}

/*
 * Opens the export's transaction: one snapshot for every stream, so an
 * export taken while syncd writes is still consistent, and fixed output
 * settings so the text of a value does not depend on the server's or the
 * role's defaults (UTC times, ISO dates, shortest exact floats).
 * exported_at gets the snapshot's time.  The caller ends it with
 * pf_db_commit() or pf_db_rollback().
 */
int
store_export_begin(struct pf_db *db, char *exported_at, size_t len)
{
	PGresult	*res;
	int		 r;

	if ((r = pf_db_begin(db)) != PF_OK)
		return r;
	if ((r = pf_db_exec(db, NULL, "SET TRANSACTION ISOLATION LEVEL "
	    "REPEATABLE READ, READ ONLY", 0, NULL)) != PF_OK)
		goto fail;
	if ((r = pf_db_exec_one(db, &res, "SELECT "
	    "set_config('TimeZone', 'UTC', true), "
	    "set_config('DateStyle', 'ISO, YMD', true), "
	    "set_config('extra_float_digits', '1', true), "
	    "to_char(now() AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", 0, NULL)) != PF_OK)
		goto fail;
	snprintf(exported_at, len, "%s", PQgetvalue(res, 0, 3));
	PQclear(res);
	return PF_OK;
fail:
	pf_db_rollback(db);
	return r;
}

/* Declares the cursor pf_export over one stream of one user. */
int
store_export_open(struct pf_db *db, size_t stream, const char *user_id,
    const char *days)
{
	const char	*p[2] = { user_id, days };

	if (stream >= NEXPORT)
		return PF_ERR_INVALID;
	return pf_db_exec(db, NULL, export_streams[stream].sql, 2, p);
}

/*
 * The next rows of the cursor; none when it is exhausted.  Batches keep
 * memory flat however long the history: a row can carry a whole ECG
 * waveform or exercise route, so they are small.
 */
int
store_export_fetch(struct pf_db *db, PGresult **res)
{
	return pf_db_exec(db, res, "FETCH 100 FROM pf_export", 0, NULL);
}

int
store_export_close(struct pf_db *db)
{
	return pf_db_exec(db, NULL, "CLOSE pf_export", 0, NULL);
}

/*
 * Every column that holds a pf_crypto_seal() value, with the statements
 * that read it (rows locked) and write it back.  A new sealed column is
 * one more row here, and key rotation covers it.
 */
static const struct {
	const char	*what;
	const char	*select;	/* -> id, sealed */
	const char	*update;	/* $1 id, $2 sealed */
} sealed_cols[] = {
	{ "user", "SELECT user_id, access_token_enc FROM users WHERE "
	    "access_token_enc IS NOT NULL ORDER BY user_id FOR UPDATE",
	    "UPDATE users SET access_token_enc = $2 WHERE user_id = $1" },
	{ "app_settings", "SELECT id::text, polar_client_secret_enc FROM "
	    "app_settings WHERE polar_client_secret_enc IS NOT NULL FOR UPDATE",
	    "UPDATE app_settings SET polar_client_secret_enc = $2, "
	    "updated_at = now() WHERE id = $1::int" },
	{ "polar_webhook", "SELECT id::text, secret_enc FROM polar_webhook "
	    "WHERE secret_enc IS NOT NULL FOR UPDATE",
	    "UPDATE polar_webhook SET secret_enc = $2, updated_at = now() "
	    "WHERE id = $1::int" },
};

int
store_sealed_each(struct pf_db *db, int (*fn)(void *, const char *,
    const char *, const char *, char **), void *arg)
{
	PGresult	*res = NULL;
	const char	*p[2];
	char		*out;
	size_t		 c;
	int		 i, r = PF_OK;

	for (c = 0; c < sizeof(sealed_cols) / sizeof(sealed_cols[0]); c++) {
		if ((r = pf_db_exec(db, &res, sealed_cols[c].select, 0,
		    NULL)) != PF_OK)
			return r;
		for (i = 0; i < PQntuples(res) && r == PF_OK; i++) {
			out = NULL;
			p[0] = PQgetvalue(res, i, 0);
			r = fn(arg, sealed_cols[c].what, p[0],
			    PQgetvalue(res, i, 1), &out);
			if (r == PF_OK && out != NULL) {
				p[1] = out;
				r = pf_db_exec(db, NULL, sealed_cols[c].update,
				    2, p);
			}
			free(out);
		}
		PQclear(res);
		if (r != PF_OK)
			return r;
	}
	return PF_OK;
}

/*
 * A login role for a daemon's system user in its group role (sql/0007):
 * *how is "created", "joined" or "present".
 */
int
store_login_role(struct pf_db *db, const char *login, const char *group,
    char *how, size_t howlen)
{
	PGresult	*res;
	const char	*p[2] = { login, group };
	int		 r;

	r = pf_db_exec_one(db, &res, "SELECT pf_login_role($1, $2)", 2, p);
	if (r != PF_OK)
		return r;
	snprintf(how, howlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return PF_OK;
}

/* Apple Health pushes (cmd_ingest.c); the ingest's own statements are in
 * common/ingest*.c, shared with apid. */
#define INGEST_COLS \
    "id, user_id, received_at, payload_size, payload_sha256, content_type," \
    " chunks, status, processed_at, replays, error_count "

int
store_ingest_list(struct pf_db *db, const char *user_id, const char *status,
    int limit, PGresult **res)
{
	char		 lim[16];
	const char	*p[3] = { user_id, status, lim };

	snprintf(lim, sizeof(lim), "%d", limit);
	return pf_db_exec(db, res, "SELECT " INGEST_COLS
	    "FROM raw_ingestions WHERE ($1::text IS NULL OR user_id = $1)"
	    " AND ($2::text IS NULL OR status = $2)"
	    " ORDER BY id DESC LIMIT $3::int", 3, p);
}

int
store_ingest_get(struct pf_db *db, int64_t id, PGresult **res)
{
	char		 ids[24];
	const char	*p[1] = { ids };
	int		 r;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if ((r = pf_db_exec(db, res, "SELECT " INGEST_COLS ", counts,"
	    " errors FROM raw_ingestions WHERE id = $1::bigint", 1, p)) !=
	    PF_OK)
		return r;
	if (PQntuples(*res) != 1) {
		PQclear(*res);
		*res = NULL;
		return PF_ERR_NOTFOUND;
	}
	return PF_OK;
}

int
store_ingest_user(struct pf_db *db, int64_t id, char *uid, size_t len)
{
	char		 ids[24];
	const char	*p[1] = { ids };
	PGresult	*res;
	int		 r;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if ((r = pf_db_exec(db, &res, "SELECT user_id FROM raw_ingestions"
	    " WHERE id = $1::bigint", 1, p)) != PF_OK)
		return r;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return PF_ERR_NOTFOUND;
	}
	snprintf(uid, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return PF_OK;
}

/* ---------- webhooks out ---------- */

#define HOOK_COLS "id, url, to_json(events) AS events, description, " \
    "owner_key_id, enabled, " \
    "disabled_at, disabled_reason, failing_since, failure_streak, " \
    "created_at "

int
store_webhook_add(struct pf_db *db, const char *url, const char *secret,
    const char *events, const char *desc, int64_t *id)
{
	const char	*p[4] = { url, secret, events, desc };
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec_one(db, &res, "INSERT INTO webhook_subscriptions "
	    "(url, secret, events, description) SELECT $1, $2, "
	    "coalesce(array_agg(e), '{}'), $4 FROM "
	    "jsonb_array_elements_text($3::jsonb) e RETURNING id", 4, p)) !=
	    PF_OK)
		return r;
	r = pf_db_get_int64(res, 0, 0, id);
	PQclear(res);
	return r;
}

int
store_webhook_list(struct pf_db *db, PGresult **res)
{
	return pf_db_exec(db, res, "SELECT " HOOK_COLS ", (SELECT count(*) "
	    "FROM webhook_deliveries d WHERE d.subscription_id = s.id AND "
	    "d.state = 'pending') AS pending FROM webhook_subscriptions s "
	    "ORDER BY id", 0, NULL);
}

int
store_webhook_remove(struct pf_db *db, int64_t id)
{
	char		 ids[24];
	const char	*p[1] = { ids };
	PGresult	*res;
	int		 r;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if ((r = pf_db_exec(db, &res, "DELETE FROM webhook_subscriptions "
	    "WHERE id = $1::bigint RETURNING id", 1, p)) != PF_OK)
		return r;
	r = PQntuples(res) == 1 ? PF_OK : PF_ERR_NOTFOUND;
	PQclear(res);
	return r;
}

/*
 * A "webhook.test" event for subscription id alone (enabled or not: a test
 * is how an administrator checks a repaired endpoint); *delivery is its
 * delivery row.
 */
int
store_webhook_test(struct pf_db *db, int64_t id, int64_t *delivery)
{
	char		 ids[24];
	const char	*p[1] = { ids };
	PGresult	*res;
	int		 r;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if ((r = pf_db_exec(db, &res, "WITH s AS (SELECT id FROM "
	    "webhook_subscriptions WHERE id = $1::bigint), "
	    "e AS (SELECT 'evt_' || replace(gen_random_uuid()::text, '-', '') "
	    " AS eid), "
	    "o AS (INSERT INTO webhook_outbox (event_id, type, subject, body) "
	    " SELECT eid, 'webhook.test', NULL, jsonb_build_object('id', eid, "
	    " 'type', 'webhook.test', 'user_id', NULL, 'time', "
	    " to_char(now() AT TIME ZONE 'UTC', "
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'data', "
	    " jsonb_build_object('subscription_id', $1::bigint))::text "
	    " FROM e, s RETURNING seq), "
	    "d AS (INSERT INTO webhook_deliveries (subscription_id, seq) "
	    " SELECT s.id, o.seq FROM s, o RETURNING id) "
	    "SELECT id, pg_notify('pf_webhook', '') FROM d", 1, p)) != PF_OK)
		return r;
	if (PQntuples(res) != 1)
		r = PF_ERR_NOTFOUND;
	else
		r = pf_db_get_int64(res, 0, 0, delivery);
	PQclear(res);
	return r;
}

#define DELIVERY_COLS "d.id, d.subscription_id, o.event_id, o.type, " \
    "o.subject AS user_id, d.state, d.attempts, d.status_code, " \
    "d.latency_ms, d.error, d.next_attempt_at, d.last_attempt_at, " \
    "d.created_at "

int
store_webhook_delivery(struct pf_db *db, int64_t id, PGresult **res)
{
	char		 ids[24];
	const char	*p[1] = { ids };

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	return pf_db_exec_one(db, res, "SELECT " DELIVERY_COLS "FROM "
	    "webhook_deliveries d JOIN webhook_outbox o ON o.seq = d.seq "
	    "WHERE d.id = $1::bigint", 1, p);
}

int
store_webhook_deliveries(struct pf_db *db, int64_t sub, int limit,
    PGresult **res)
{
	char		 ids[24], lim[16];
	const char	*p[2] = { ids, lim };

	snprintf(ids, sizeof(ids), "%" PRId64, sub);
	snprintf(lim, sizeof(lim), "%d", limit);
	return pf_db_exec(db, res, "SELECT " DELIVERY_COLS "FROM "
	    "webhook_deliveries d JOIN webhook_outbox o ON o.seq = d.seq "
	    "WHERE $1::bigint < 1 OR d.subscription_id = $1::bigint "
	    "ORDER BY d.id DESC LIMIT $2::int", 2, p);
}

/*
 * The admin console's administrators (cmd_admin.c).  A new password or
 * a removal ends the admin's sessions; the setup token is made ($1) when
 * missing and no admin exists, else the stored one, else no row.
 */
int
store_admin_add(struct pf_db *db, const char *name, const char *hash,
    bool *added)
{
	const char	*p[2] = { name, hash };
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec(db, &res, "INSERT INTO console_admins (name, "
	    "password_hash) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING "
	    "RETURNING id", 2, p)) != PF_OK)
		return r;
	*added = PQntuples(res) == 1;
	PQclear(res);
	return PF_OK;
}

int
store_admin_passwd(struct pf_db *db, const char *name, const char *hash,
    bool *found)
{
	const char	*p[2] = { name, hash };
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec(db, &res, "WITH a AS (UPDATE console_admins SET "
	    "password_hash = $2, password_changed_at = now() WHERE name = $1 "
	    "RETURNING id), s AS (DELETE FROM console_sessions c USING a "
	    "WHERE c.admin_id = a.id) SELECT id FROM a", 2, p)) != PF_OK)
		return r;
	*found = PQntuples(res) == 1;
	PQclear(res);
	return PF_OK;
}

int
store_admin_remove(struct pf_db *db, const char *name, bool *found)
{
	const char	*p[1] = { name };
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec(db, &res, "DELETE FROM console_admins "
	    "WHERE name = $1 RETURNING id", 1, p)) != PF_OK)
		return r;
	*found = PQntuples(res) == 1;
	PQclear(res);
	return PF_OK;
}

int
store_admin_list(struct pf_db *db, PGresult **res)
{
	return pf_db_exec(db, res, "SELECT a.id, a.name, "
	    "a.created_at, a.password_changed_at, (SELECT count(*) FROM "
	    "console_sessions s WHERE s.admin_id = a.id AND s.expires_at > "
	    "now()) AS sessions FROM console_admins a ORDER BY a.id", 0,
	    NULL);
}

int
store_admin_setup_token(struct pf_db *db, const char *fresh, PGresult **res)
{
	const char	*p[1] = { fresh };

	return pf_db_exec(db, res, "WITH i AS (INSERT INTO console_setup "
	    "(id, token) SELECT 1, $1 WHERE NOT EXISTS (SELECT 1 FROM "
	    "console_admins) ON CONFLICT (id) DO NOTHING RETURNING token) "
	    "SELECT token FROM i UNION ALL SELECT token FROM console_setup "
	    "WHERE NOT EXISTS (SELECT 1 FROM console_admins) LIMIT 1", 1, p);
}
