/*
 * store.c -- every SQL statement polarflow-syncd runs.
 *
 * Stream rows arrive as JSON objects keyed by column name (transform.c)
 * and are turned into records by jsonb_populate_record, so a row and its
 * statement can never disagree on column order.  Each upsert reports
 * whether the row was new or really different (the whole row compared
 * without created_at/updated_at), which drives the data.changed event.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "syncd.h"

/*
 * One statement per stream upserts a batch of its rows given as a JSON
 * array ($2), or one row as its object (a long row is not copied into an
 * array first): one plan and one firing of the change-tracking triggers
 * per batch instead of per row.  A key repeated in the batch keeps its last
 * row, as row-by-row upserts would have (and a later batch of the same
 * transaction overwrites an earlier one).  All CTEs read the snapshot from
 * before the insert.
 *
 * A new row is first merged with the stored one (m) by the stream's rule
 * for poorer versions (keep_sql): a column Polar now leaves empty keeps
 * its stored value, and a sample series shorter than the stored one keeps
 * the stored series together with the columns computed from it.  A stored
 * row the merge changes is copied whole into replaced_rows ($3 the
 * stream) before it is overwritten.  The statement answers, per surviving
 * row (1-based position in the array), whether it is new or differs from
 * the stored one in any column syncd writes, and whether any of its
 * columns was kept from the stored version.
 *
 * %1$s table, %2$s conflict columns after user_id, %3$s the same
 * excluded.-qualified, %4$s every other column syncd writes, %5$s the
 * same o.-qualified, %6$s their merge expressions, %7$s the test that
 * some column was kept.
 */
static const char UPSERT_FMT[] =
    "WITH r AS (SELECT DISTINCT ON (%2$s) x.* FROM "
    "(SELECT $2::jsonb AS j) p, jsonb_populate_recordset(NULL::%1$s, "
    "CASE jsonb_typeof(p.j) WHEN 'object' THEN jsonb_build_array(p.j) "
    "ELSE p.j END) WITH ORDINALITY AS x ORDER BY %2$s, ordinality DESC), "
    "o AS (SELECT * FROM %1$s WHERE user_id = $1::text AND (%2$s) IN "
    "(SELECT %2$s FROM r)), "
    "m AS (SELECT r.ordinality, %2$s, %6$s, o.user_id IS NOT NULL AS had, "
    "ROW(%5$s) AS ov, CASE WHEN o.user_id IS NOT NULL THEN to_jsonb(o) "
    "END AS oj, coalesce((%7$s), false) AS kept "
    "FROM r LEFT JOIN o USING (%2$s)), "
    "h AS (INSERT INTO replaced_rows (user_id, stream, version) "
    "SELECT $1::text, $3::text, oj FROM m WHERE had AND "
    "ov IS DISTINCT FROM ROW(%4$s)), "
    "up AS (INSERT INTO %1$s AS t (user_id, %2$s, %4$s) "
    "SELECT $1::text, %2$s, %4$s FROM m "
    "ON CONFLICT (user_id, %2$s) DO UPDATE SET (%4$s"
    ", updated_at) = (SELECT %4$s, now() FROM m WHERE "
    "(%2$s) = (%3$s))) "
    "SELECT ordinality, NOT had OR ov IS DISTINCT FROM ROW(%4$s), kept "
    "FROM m";

#define UPSERT_SQL_MAX	32768

/* Appends ", " (unless first), pre and len bytes of s; false if too long. */
static bool
list_add(char *buf, size_t size, const char *pre, const char *s,
    size_t len)
{
	size_t	 at = strlen(buf);
	int	 n;

	n = snprintf(buf + at, size - at, "%s%s%.*s", at ? ", " : "", pre,
	    (int)len, s);
	return n >= 0 && (size_t)n < size - at;
}

/* Appends sep (unless buf is empty) and the formatted text. */
static bool
buf_addf(char *buf, size_t size, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool
buf_addf(char *buf, size_t size, const char *sep, const char *fmt, ...)
{
	size_t	 at = strlen(buf);
	va_list	 ap;
	int	 n;

	n = snprintf(buf + at, size - at, "%s", at ? sep : "");
	if (n < 0 || (size_t)n >= size - at)
		return false;
	at += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, size - at, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size - at;
}

/* The first column of the group of groups[] holding col into lead. */
static bool
group_lead(const char *const *groups, const char *col, char *lead,
    size_t size)
{
	const char *const	*g;
	const char		*p, *c;
	size_t			 len = 0;

	for (g = groups; g != NULL && *g != NULL; g++) {
		if (!stream_list_has(*g, col))
			continue;
		p = *g;
		if ((c = stream_list_next(&p, &len)) == NULL)
			return false;
		snprintf(lead, size, "%.*s", (int)len, c);
		return true;
	}
	return false;
}

/*
 * The series group of stream st that col belongs to: its first column
 * (the series whose length decides) into lead, and whether only an empty
 * series is poorer; false if col is in none.
 */
static bool
series_lead(const struct stream_def *def, const char *col, char *lead,
    size_t size, bool *changes)
{
	*changes = false;
	if (group_lead(def->series, col, lead, size))
		return true;
	*changes = true;
	return group_lead(def->series_changes, col, lead, size);
}

/*
 * The upsert of stream st, built on first use from streams[] into a
 * static buffer.  Every name in it is a compile-time constant of
 * stream.c, never input, so the statement is as fixed as a literal.
 */
static const char *
upsert_sql(enum stream st)
{
	static char		 sql[ST__COUNT][UPSERT_SQL_MAX];
	const struct stream_def	*def = &streams[st];
	const struct field	*fd;
	const char		*p, *k;
	char			 cols[UPSERT_SQL_MAX / 8], ocols[UPSERT_SQL_MAX / 8],
				 merge[UPSERT_SQL_MAX / 4], kept[UPSERT_SQL_MAX / 4],
				 xkey[256], lead[64], poorer[200];
	size_t			 len;
	bool			 ok = true, changes;
	int			 n;

	if (sql[st][0] != '\0')
		return sql[st];
	cols[0] = ocols[0] = merge[0] = kept[0] = xkey[0] = '\0';
	for (fd = def->fields; fd->col != NULL; fd++) {
		if (stream_list_has(def->conflict, fd->col))
			continue;
		ok = ok && buf_addf(cols, sizeof(cols), ", ", "%s", fd->col) &&
		    buf_addf(ocols, sizeof(ocols), ", ", "o.%s", fd->col);
		if (!series_lead(def, fd->col, lead, sizeof(lead), &changes)) {
			ok = ok && buf_addf(merge, sizeof(merge), ", ",
			    "coalesce(r.%1$s, o.%1$s) AS %1$s", fd->col) &&
			    buf_addf(kept, sizeof(kept), " OR ",
			    "(r.%1$s IS NULL AND o.%1$s IS NOT NULL)", fd->col);
			continue;
		}
		snprintf(poorer, sizeof(poorer), changes ?
		    "(pf_series_len(r.%1$s) = 0 AND pf_series_len(o.%1$s) > 0)" :
		    "pf_series_len(r.%1$s) < pf_series_len(o.%1$s)", lead);
		ok = ok && buf_addf(merge, sizeof(merge), ", ", "CASE WHEN %s "
		    "THEN o.%s ELSE r.%s END AS %s", poorer, fd->col, fd->col,
		    fd->col);
		if (strcmp(lead, fd->col) == 0)
			ok = ok && buf_addf(kept, sizeof(kept), " OR ", "%s",
			    poorer);
	}
	/* raw is what Polar sent last; the versions before are history */
	ok = ok && buf_addf(cols, sizeof(cols), ", ", "raw") &&
	    buf_addf(ocols, sizeof(ocols), ", ", "o.raw") &&
	    buf_addf(merge, sizeof(merge), ", ", "r.raw AS raw");
	p = def->conflict;
	while ((k = stream_list_next(&p, &len)) != NULL)
		ok = ok && list_add(xkey, sizeof(xkey), "excluded.", k, len);
	n = snprintf(sql[st], sizeof(sql[st]), UPSERT_FMT, def->table,
	    def->conflict, xkey, cols, ocols, merge, kept[0] ? kept : "false");
	if (!ok || n < 0 || (size_t)n >= sizeof(sql[st]))
		pf_fatalx("%s: %s: statement too long", __func__, def->name);
	return sql[st];
}

void
store_init(void)
{
	int	 st;

	for (st = 0; st < ST__COUNT; st++)
		(void)upsert_sql((enum stream)st);
}

static const char SQL_CURSOR_OK[] =
    "INSERT INTO sync_cursors AS c (user_id, stream, last_success_at, "
    "last_attempt_at, covered_until, last_error, consecutive_failures) "
    "VALUES ($1, $2, now(), now(), $3::date, NULL, 0) "
    "ON CONFLICT (user_id, stream) DO UPDATE SET last_success_at = now(), "
    "last_attempt_at = now(), covered_until = "
    "greatest(excluded.covered_until, c.covered_until), last_error = NULL, "
    "consecutive_failures = 0, updated_at = now()";

static const char SQL_CURSOR_ERR[] =
    "INSERT INTO sync_cursors AS c (user_id, stream, last_attempt_at, "
    "last_error, consecutive_failures) VALUES ($1, $2, now(), $3, 1) "
    "ON CONFLICT (user_id, stream) DO UPDATE SET last_attempt_at = now(), "
    "last_error = $3, consecutive_failures = c.consecutive_failures + 1, "
    "updated_at = now()";

static void
fmt_day(int64_t day, char buf[PF_TIME_DATE_LEN])
{
	if (pf_time_format_date(day, buf) != PF_OK)
		buf[0] = '\0';
}

struct upsert_arg {
	enum stream		 st;
	const char		*user_id;
	const struct rowset	*rs;
	int64_t			 covered;
	int			 changed;
	int			 kept;
	int64_t			 first, last;
};

/*
 * A batch's JSON text is held twice while it is sent (here and in
 * libpq's buffer): a stream of long sample series goes in batches of
 * about this many bytes, all in the stream's one transaction.
 */
#define UPSERT_BATCH_BYTES	(512 * 1024)

/*
 * rs->row[from..) as one JSON array of at most UPSERT_BATCH_BYTES (one row
 * at least); *to is one past the last row taken.  Caller frees.
 */
static char *
rows_array(const struct rowset *rs, size_t from, size_t *to)
{
	size_t	 i, len = 3, n;
	char	*buf, *p;

	for (i = from; i < rs->n; i++) {
		n = strlen(rs->row[i]) + 1;
		if (i > from && len + n > UPSERT_BATCH_BYTES)
			break;
		len += n;
	}
	*to = i;
	p = buf = pf_xmalloc(len);
	*p++ = '[';
	for (i = from; i < *to; i++) {
		if (i > from)
			*p++ = ',';
		p = stpcpy(p, rs->row[i]);	/* sized above */
	}
	*p++ = ']';
	*p = '\0';
	return buf;
}

static int
upsert_batch(struct pf_db *db, struct upsert_arg *a, size_t from, size_t *to)
{
	const char	*params[3];
	char		*rows;
	PGresult	*res = NULL;
	int64_t		 ord;
	size_t		 row;
	int		 i, r;

	params[0] = a->user_id;
	rows = NULL;
	if (a->rs->n - from == 1 || strlen(a->rs->row[from]) + 3 >
	    UPSERT_BATCH_BYTES) {
		params[1] = a->rs->row[from];	/* alone: as it is */
		*to = from + 1;
	} else
		params[1] = rows = rows_array(a->rs, from, to);
	params[2] = stream_name(a->st);
	if ((r = pf_db_exec(db, &res, upsert_sql(a->st), 3, params)) != PF_OK)
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		if (pf_db_get_int64(res, i, 0, &ord) != PF_OK || ord < 1 ||
		    (uint64_t)ord > *to - from) {
			r = PF_ERR_PROTO;	/* broken invariant */
			goto out;
		}
		if (PQgetvalue(res, i, 2)[0] == 't')
			a->kept++;
		if (PQgetvalue(res, i, 1)[0] != 't')
			continue;
		row = from + (size_t)ord - 1;
		a->changed++;
		if (a->rs->day[row] < a->first)
			a->first = a->rs->day[row];
		if (a->rs->day[row] > a->last)
			a->last = a->rs->day[row];
	}
out:
	PQclear(res);
	free(rows);
	return r;
}

/*
 * data.changed for the webhooks out, in the transaction of the rows it
 * reports: it exists exactly when they do.
 */
static int
emit_changed(struct pf_db *db, const struct upsert_arg *a)
{
	const char	*params[5];
	char		 first[PF_TIME_DATE_LEN], last[PF_TIME_DATE_LEN], n[16];

	fmt_day(a->first, first);
	fmt_day(a->last, last);
	snprintf(n, sizeof(n), "%d", a->changed);
	params[0] = a->user_id;
	params[1] = stream_name(a->st);
	params[2] = first[0] != '\0' ? first : NULL;
	params[3] = last[0] != '\0' ? last : NULL;
	params[4] = n;
	return pf_db_exec(db, NULL, "SELECT pf_webhook_emit('data.changed', "
	    "$1, jsonb_build_object('streams', jsonb_build_array($2::text), "
	    "'from', $3::text, 'to', $4::text, 'rows', $5::integer))", 5,
	    params);
}

static int
upsert_tx(struct pf_db *db, void *p)
{
	struct upsert_arg	*a = p;
	const char		*params[3];
	char			 day[PF_TIME_DATE_LEN];
	size_t			 from, to;
	int			 r;

	a->changed = 0;
	a->kept = 0;
	a->first = INT64_MAX;
	a->last = INT64_MIN;
	for (from = 0; from < a->rs->n; from = to)
		if ((r = upsert_batch(db, a, from, &to)) != PF_OK)
			return r;
	params[0] = a->user_id;
	params[1] = stream_name(a->st);
	params[2] = NULL;
	if (a->covered >= 0) {
		fmt_day(a->covered, day);
		if (day[0] != '\0')
			params[2] = day;
	}
	if ((r = pf_db_exec(db, NULL, SQL_CURSOR_OK, 3, params)) != PF_OK)
		return r;
	return a->changed > 0 ? emit_changed(db, a) : PF_OK;
}

int
store_upsert(struct pf_db *db, enum stream st, const char *user_id,
    const struct rowset *rs, int64_t covered_day, int *changed, int *kept,
    int64_t *first_day, int64_t *last_day)
{
	struct upsert_arg	 a;
	int			 r;

	memset(&a, 0, sizeof(a));
	a.st = st;
	a.user_id = user_id;
	a.rs = rs;
	a.covered = covered_day;
	if ((r = pf_db_tx_run(db, upsert_tx, &a, 2)) != PF_OK)
		return r;
	*changed = a.changed;
	*kept = a.kept;
	*first_day = a.first;
	*last_day = a.last;
	return PF_OK;
}

int
store_cursor_error(struct pf_db *db, const char *user_id, enum stream st,
    const char *error)
{
	const char	*p[3] = { user_id, stream_name(st), error };

	return pf_db_exec(db, NULL, SQL_CURSOR_ERR, 3, p);
}

/*
 * Syncs cut by a crash: their rows are closed as interrupted and their
 * users made due at once, so the work resumes as soon as syncd runs
 * rather than one interval later.
 */
int
store_startup_cleanup(struct pf_db *db)
{
	/* Not the syncs of users another instance holds a lease on. */
	return pf_db_exec(db, NULL, "WITH c AS (UPDATE sync_logs SET "
	    "status = 'failed', completed_at = now(), duration_ms = "
	    "(extract(epoch FROM now() - started_at) * 1000)::integer, "
	    "error_type = 'interrupted', "
	    "error_message = 'syncd stopped during the sync' "
	    "WHERE status = 'started' AND user_id NOT IN (SELECT user_id "
	    "FROM sync_state WHERE lease_owner IS NOT NULL AND "
	    "lease_until > now()) RETURNING user_id) "
	    "UPDATE sync_state SET next_due_at = now(), updated_at = now() "
	    "WHERE user_id IN (SELECT user_id FROM c) AND next_due_at > now()",
	    0, NULL);
}

/* Monthly partitions of the history tables, sql/0019; *made the new ones. */
int
store_history_ahead(struct pf_db *db, int months, int *made)
{
	PGresult	*res = NULL;
	char		 m[16];
	const char	*p[1] = { m };
	int		 r;

	snprintf(m, sizeof(m), "%d", months);
	*made = 0;
	r = pf_db_exec_one(db, &res, "SELECT pf_history_ahead($1::int)", 1, p);
	if (r == PF_OK)
		r = pf_db_get_int(res, 0, 0, made);
	PQclear(res);
	return r;
}

int
store_log_close(struct pf_db *db, const char *user_id, int64_t log_id,
    const char *status, int64_t duration_ms, const char *error_type,
    const char *error_message)
{
	char		 id[24], dur[24];
	const char	*p[6];
	int		 r;

	snprintf(id, sizeof(id), "%" PRId64, log_id);
	snprintf(dur, sizeof(dur), "%" PRId64, duration_ms);
	p[0] = user_id;
	p[1] = id;
	p[2] = status;
	p[3] = dur;
	p[4] = error_type;
	p[5] = error_message;
	if ((r = pf_db_exec(db, NULL, "UPDATE sync_logs SET status = $3, "
	    "completed_at = now(), duration_ms = $4::integer, "
	    "error_type = $5, error_message = $6 "
	    "WHERE user_id = $1 AND id = $2::bigint AND status = 'started'",
	    6, p)) != PF_OK)
		return r;
	return pf_db_exec(db, NULL, "UPDATE sync_state SET next_due_at = now(), "
	    "updated_at = now() WHERE user_id = $1 AND next_due_at > now()",
	    1, p);
}

/* A user no other instance holds a live lease on (s: sync_state). */
#define NOT_LEASED_ELSEWHERE \
    "(s.lease_owner IS NULL OR s.lease_owner = $3 OR " \
    "s.lease_until <= now())"

int
store_due_users(struct pf_db *db, int limit, bool all, const char *owner,
    struct due_user *out, int *n)
{
	char		 lim[16];
	const char	*p[3];
	PGresult	*res;
	int		 i, r;

	snprintf(lim, sizeof(lim), "%d", limit);
	p[0] = lim;
	p[1] = all ? "true" : "false";
	p[2] = owner;
	if ((r = pf_db_exec(db, &res, "SELECT u.user_id, "
	    "u.last_synced_at IS NULL FROM users u "
	    "LEFT JOIN sync_state s USING (user_id) "
	    "WHERE u.is_active AND u.access_token_enc IS NOT NULL "
	    "AND NOT u.needs_reauth AND " NOT_LEASED_ELSEWHERE " "
	    "AND ($2::boolean OR s.next_due_at IS NULL "
	    "OR s.next_due_at <= now()) "
	    "ORDER BY u.last_synced_at NULLS FIRST, s.next_due_at NULLS FIRST, "
	    "u.user_id LIMIT $1::integer", 3, p)) != PF_OK)
		return r;
	*n = 0;
	for (i = 0; i < PQntuples(res) && i < limit; i++) {
		snprintf(out[*n].user_id, sizeof(out[*n].user_id), "%s",
		    PQgetvalue(res, i, 0));
		out[*n].never = PQgetvalue(res, i, 1)[0] == 't';
		(*n)++;
	}
	PQclear(res);
	return PF_OK;
}

int
store_next_due_ms(struct pf_db *db, const char *owner, int64_t *out)
{
	PGresult	*res;
	const char	*p[1] = { owner };
	int		 r;

	/* A user leased elsewhere is due here only when the lease ends. */
	if ((r = pf_db_exec_one(db, &res, "SELECT (extract(epoch FROM "
	    "min(CASE WHEN s.lease_owner IS NOT NULL AND s.lease_owner <> $1 "
	    "AND s.lease_until > now() THEN greatest(coalesce(s.next_due_at, "
	    "now()), s.lease_until) ELSE coalesce(s.next_due_at, now()) END))"
	    " * 1000)::bigint "
	    "FROM users u LEFT JOIN sync_state s USING (user_id) "
	    "WHERE u.is_active AND u.access_token_enc IS NOT NULL "
	    "AND NOT u.needs_reauth", 1, p)) != PF_OK)
		return r;
	r = pf_db_get_int64(res, 0, 0, out);
	PQclear(res);
	return r == PF_ERR_NULL ? PF_ERR_NOTFOUND : r;
}

int
store_lease_take(struct pf_db *db, const char *user_id, const char *owner,
    int secs)
{
	char		 sec[16];
	const char	*p[3];
	PGresult	*res;
	int		 r;

	snprintf(sec, sizeof(sec), "%d", secs);
	p[0] = user_id;
	p[1] = owner;
	p[2] = sec;
	/*
	 * ON CONFLICT re-reads the row it locked, so of two instances
	 * racing for one user the second sees the first's live lease.
	 */
	if ((r = pf_db_exec(db, &res, "INSERT INTO sync_state AS s (user_id, "
	    "lease_owner, lease_until) VALUES ($1, $2, now() + "
	    "make_interval(secs => $3::integer)) ON CONFLICT (user_id) DO "
	    "UPDATE SET lease_owner = excluded.lease_owner, lease_until = "
	    "excluded.lease_until WHERE s.lease_owner IS NULL OR "
	    "s.lease_owner = $2 OR s.lease_until <= now() RETURNING 1",
	    3, p)) != PF_OK)
		return r;
	r = PQntuples(res) == 1 ? PF_OK : PF_ERR_BUSY;
	PQclear(res);
	if (r != PF_OK)
		return r;
	/* Ours now: a sync still open is an earlier holder's, cut short. */
	return pf_db_exec(db, NULL, "UPDATE sync_logs SET status = 'failed', "
	    "completed_at = now(), duration_ms = (extract(epoch FROM now() - "
	    "started_at) * 1000)::integer, error_type = 'interrupted', "
	    "error_message = 'the syncd instance syncing this user stopped "
	    "or lost its lease' WHERE user_id = $1 AND status = 'started'",
	    1, p);
}

int
store_lease_renew(struct pf_db *db, const char *owner, int secs,
    json_t **held)
{
	char		 sec[16];
	const char	*p[2];
	PGresult	*res;
	int		 i, r;

	snprintf(sec, sizeof(sec), "%d", secs);
	p[0] = owner;
	p[1] = sec;
	if ((r = pf_db_exec(db, &res, "UPDATE sync_state SET lease_until = "
	    "now() + make_interval(secs => $2::integer) WHERE lease_owner = $1 "
	    "RETURNING user_id", 2, p)) != PF_OK)
		return r;
	*held = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(*held, json_string(PQgetvalue(res, i,
		    0)));
	PQclear(res);
	return PF_OK;
}

int
store_lease_release(struct pf_db *db, const char *user_id, const char *owner)
{
	const char	*p[2] = { user_id, owner };

	return pf_db_exec(db, NULL, "UPDATE sync_state SET lease_owner = NULL, "
	    "lease_until = NULL WHERE user_id = $1 AND lease_owner = $2", 2, p);
}

int
store_lease_drop_all(struct pf_db *db, const char *owner)
{
	const char	*p[1] = { owner };

	return pf_db_exec(db, NULL, "UPDATE sync_state SET lease_owner = NULL, "
	    "lease_until = NULL WHERE lease_owner = $1", 1, p);
}

int
store_mark_all_due(struct pf_db *db)
{
	return pf_db_exec(db, NULL, "UPDATE sync_state SET next_due_at = now(), "
	    "updated_at = now() WHERE next_due_at > now()", 0, NULL);
}

int
store_user_erase(struct pf_db *db, const char *user_id, json_t **counts)
{
	const char	*p[1] = { user_id };
	PGresult	*res;
	int		 r;

	*counts = NULL;
	/* One statement, one transaction: the erasure and its event. */
	if ((r = pf_db_exec_one(db, &res, "WITH d AS MATERIALIZED (SELECT "
	    "pf_user_delete($1, 'syncd') AS c) SELECT c, CASE WHEN c IS NOT "
	    "NULL THEN pf_webhook_emit('user.deleted', $1, jsonb_build_object("
	    "'tables', c)) END FROM d", 1, p)) != PF_OK)
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
store_user_token(struct pf_db *db, const char *user_id, char **sealed,
    bool *active, bool *reauth, char *reason, size_t rlen)
{
	const char	*p[1] = { user_id };
	const char	*s;
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec(db, &res, "SELECT access_token_enc, is_active, "
	    "needs_reauth, coalesce(reauth_reason, '') FROM users "
	    "WHERE user_id = $1", 1, p)) != PF_OK)
		return r;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return PF_ERR_NOTFOUND;
	}
	s = pf_db_get_str(res, 0, 0);
	*sealed = s ? pf_xstrdup(s) : NULL;
	pf_db_get_bool(res, 0, 1, active);
	pf_db_get_bool(res, 0, 2, reauth);
	snprintf(reason, rlen, "%s", PQgetvalue(res, 0, 3));
	PQclear(res);
	return PF_OK;
}

int
store_user_flags(struct pf_db *db, const char *user_id, int reauth,
    const char *reason, int consent_missing)
{
	const char	*p[4];

	p[0] = user_id;
	p[1] = reauth < 0 ? NULL : reauth ? "true" : "false";
	p[2] = reason;
	p[3] = consent_missing < 0 ? NULL : consent_missing ? "true" : "false";
	/* user.reauth_required when the flag goes up, in the same statement */
	return pf_db_exec(db, NULL, "WITH u AS (UPDATE users u SET "
	    "needs_reauth = coalesce($2::boolean, u.needs_reauth), "
	    "reauth_reason = CASE WHEN $2::boolean THEN $3 "
	    "WHEN NOT $2::boolean THEN NULL ELSE u.reauth_reason END, "
	    "consent_missing = coalesce($4::boolean, u.consent_missing), "
	    "updated_at = now() FROM (SELECT needs_reauth AS was FROM users "
	    "WHERE user_id = $1) o WHERE u.user_id = $1 AND "
	    "(u.needs_reauth IS DISTINCT FROM coalesce($2::boolean, "
	    "u.needs_reauth) OR u.consent_missing IS DISTINCT FROM "
	    "coalesce($4::boolean, u.consent_missing)) "
	    "RETURNING u.user_id, o.was, u.needs_reauth, u.reauth_reason) "
	    "SELECT pf_webhook_emit('user.reauth_required', user_id, "
	    "jsonb_build_object('reason', reauth_reason)) FROM u "
	    "WHERE needs_reauth AND NOT was", 4, p);
}

int
store_cursors_load(struct pf_db *db, const char *user_id,
    int64_t cursor_day[ST__COUNT], int64_t *phys_last_ms)
{
	const char	*p[1] = { user_id };
	PGresult	*res;
	enum stream	 st;
	int64_t		 v;
	int		 i, r;

	for (i = 0; i < ST__COUNT; i++)
		cursor_day[i] = -1;
	*phys_last_ms = 0;
	if ((r = pf_db_exec(db, &res, "SELECT stream, "
	    "covered_until - DATE '1970-01-01', "
	    "(extract(epoch FROM last_success_at) * 1000)::bigint "
	    "FROM sync_cursors WHERE user_id = $1", 1, p)) != PF_OK)
		return r;
	for (i = 0; i < PQntuples(res); i++) {
		if (stream_from_name(PQgetvalue(res, i, 0), &st) != PF_OK)
			continue;
		if (pf_db_get_int64(res, i, 1, &v) == PF_OK)
			cursor_day[st] = v;
		if (st == ST_PHYSICAL && pf_db_get_int64(res, i, 2, &v) ==
		    PF_OK)
			*phys_last_ms = v;
	}
	PQclear(res);
	return PF_OK;
}

/*
 * Every stream that carries an offset says where the user was that day;
 * a night's own offset first, then the day's exercises, SleepWise and
 * biosensing tests.
 */
int
store_day_offsets(struct pf_db *db, const char *user_id,
    struct day_offsets *out)
{
	const char	*p[1] = { user_id };
	PGresult	*res;
	int64_t		 v;
	int		 i, r, n, o;

	memset(out, 0, sizeof(*out));
	if ((r = pf_db_exec(db, &res, "SELECT DISTINCT ON (day) "
	    "day - DATE '1970-01-01', off FROM ("
	    "SELECT date AS day, sleep_start_offset_minutes AS off, 1 AS pri "
	    "FROM sleep WHERE user_id = $1 AND "
	    "sleep_start_offset_minutes IS NOT NULL "
	    "UNION ALL SELECT date, offset_minutes, 2 FROM activity "
	    "WHERE user_id = $1 AND offset_minutes IS NOT NULL "
	    "UNION ALL SELECT (start_time AT TIME ZONE 'UTC' + make_interval("
	    "mins => start_offset_minutes))::date, start_offset_minutes, 3 "
	    "FROM exercise WHERE user_id = $1 AND "
	    "start_offset_minutes IS NOT NULL "
	    "UNION ALL SELECT (period_start_time AT TIME ZONE 'UTC' + "
	    "make_interval(mins => sleep_timezone_offset_minutes))::date, "
	    "sleep_timezone_offset_minutes, 4 FROM sleepwise_alertness "
	    "WHERE user_id = $1 AND sleep_timezone_offset_minutes IS NOT NULL "
	    "UNION ALL SELECT (test_time AT TIME ZONE 'UTC' + make_interval("
	    "mins => timezone_offset_minutes))::date, timezone_offset_minutes, "
	    "5 FROM spo2 WHERE user_id = $1 AND "
	    "timezone_offset_minutes IS NOT NULL) s ORDER BY day, pri", 1,
	    p)) != PF_OK)
		return r;
	n = PQntuples(res);
	out->day = pf_xreallocarray(NULL, n ? (size_t)n : 1, sizeof(int64_t));
	out->off = pf_xreallocarray(NULL, n ? (size_t)n : 1, sizeof(int));
	for (i = 0; i < n; i++) {
		if (pf_db_get_int64(res, i, 0, &v) != PF_OK ||
		    pf_db_get_int(res, i, 1, &o) != PF_OK)
			continue;
		out->day[out->n] = v;
		out->off[out->n] = o;
		out->n++;
	}
	PQclear(res);
	return PF_OK;
}

int
store_known_exercises(struct pf_db *db, const char *user_id, char ***ids,
    size_t *n)
{
	const char	*p[1] = { user_id };
	PGresult	*res;
	char		**v;
	int		 i, r;

	if ((r = pf_db_exec(db, &res, "SELECT polar_exercise_id FROM exercise "
	    "WHERE user_id = $1 AND start_time > now() - interval '60 days'",
	    1, p)) != PF_OK)
		return r;
	v = pf_xcalloc((size_t)PQntuples(res) + 1, sizeof(*v));
	for (i = 0; i < PQntuples(res); i++)
		v[i] = pf_xstrdup(PQgetvalue(res, i, 0));
	*ids = v;
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return PF_OK;
}

int
store_log_start(struct pf_db *db, struct job *job)
{
	char		 days[16];
	const char	*p[3];
	PGresult	*res;
	int		 r;

	snprintf(days, sizeof(days), "%d", job->days);
	p[0] = job->user_id;
	p[1] = job->trigger;
	p[2] = job->days > 0 ? days : NULL;
	if ((r = pf_db_exec_one(db, &res, "INSERT INTO sync_logs (user_id, "
	    "trigger, days_requested) VALUES ($1, $2, $3::integer) "
	    "RETURNING id, sync_id::text", 3, p)) != PF_OK)
		return r;
	pf_db_get_int64(res, 0, 0, &job->log_id);
	snprintf(job->sync_id, sizeof(job->sync_id), "%s",
	    PQgetvalue(res, 0, 1));
	PQclear(res);
	return pf_db_exec(db, NULL, "INSERT INTO sync_state (user_id, "
	    "last_started_at) VALUES ($1, now()) ON CONFLICT (user_id) "
	    "DO UPDATE SET last_started_at = now(), updated_at = now()", 1, p);
}

static char *
dump_or_null(const json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT) : NULL;
}

int
store_log_finish(struct pf_db *db, struct job *job, const char *status,
    const json_t *records, const json_t *sstat, const char *error_type,
    const char *error_message, const json_t *error_details,
    const json_t *skipped, const json_t *degraded, int64_t first_day,
    int64_t last_day, const struct quota *q)
{
	char		 id[24], dur[24], calls[16], fd[PF_TIME_DATE_LEN],
			 ld[PF_TIME_DATE_LEN], u15[24], l15[24], u24[24],
			 l24[24];
	char		*rec, *ss, *det, *sk, *dg, *dr;
	const char	*p[19];
	int		 r;

	snprintf(id, sizeof(id), "%" PRId64, job->log_id);
	snprintf(dur, sizeof(dur), "%" PRId64,
	    pf_time_mono_ms() - job->started_mono);
	snprintf(calls, sizeof(calls), "%d", job->calls);
	fmt_day(first_day, fd);
	fmt_day(last_day, ld);
	snprintf(u15, sizeof(u15), "%" PRId64, q->usage_15m);
	snprintf(l15, sizeof(l15), "%" PRId64, q->limit_15m);
	snprintf(u24, sizeof(u24), "%" PRId64, q->usage_24h);
	snprintf(l24, sizeof(l24), "%" PRId64, q->limit_24h);
	rec = dump_or_null(records);
	ss = dump_or_null(sstat);
	det = dump_or_null(error_details);
	sk = dump_or_null(skipped);
	dg = dump_or_null(degraded);
	dr = dump_or_null(job->dropped);
	p[0] = job->user_id;
	p[1] = id;
	p[2] = status;
	p[3] = dur;
	p[4] = rec ? rec : "{}";
	p[5] = ss ? ss : "{}";
	p[6] = calls;
	p[7] = error_type;
	p[8] = error_message;
	p[9] = det;
	p[10] = first_day == INT64_MAX || fd[0] == '\0' ? NULL : fd;
	p[11] = last_day == INT64_MIN || ld[0] == '\0' ? NULL : ld;
	p[12] = q->known ? u15 : NULL;
	p[13] = q->known ? l15 : NULL;
	p[14] = q->known ? u24 : NULL;
	p[15] = q->known ? l24 : NULL;
	p[16] = sk ? sk : "{}";
	p[17] = dg ? dg : "{}";
	p[18] = dr ? dr : "[]";
	/* sync.failed in the statement that records the failure */
	r = pf_db_exec(db, NULL, "WITH l AS (UPDATE sync_logs SET status = $3, "
	    "completed_at = now(), duration_ms = $4::integer, "
	    "records_synced = $5::jsonb, stream_status = $6::jsonb, "
	    "api_calls_made = $7::integer, error_type = $8, "
	    "error_message = $9, error_details = $10::jsonb, "
	    "first_day = $11::date, last_day = $12::date, "
	    "rate_limit_usage_15m = $13::integer, "
	    "rate_limit_limit_15m = $14::integer, "
	    "rate_limit_usage_24h = $15::integer, "
	    "rate_limit_limit_24h = $16::integer, "
	    "records_skipped = $17::jsonb, records_degraded = $18::jsonb, "
	    "dropped = $19::jsonb "
	    "WHERE user_id = $1 AND id = $2::bigint RETURNING id, user_id, "
	    "status, error_type, error_message, stream_status) "
	    "SELECT pf_webhook_emit('sync.failed', user_id, "
	    "jsonb_build_object('sync_log_id', id, 'error_type', error_type, "
	    "'error', error_message, 'streams', stream_status)) FROM l "
	    "WHERE status = 'failed'", 19, p);
	free(dr);
	free(sk);
	free(dg);
	free(rec);
	free(ss);
	free(det);
	return r;
}

int
store_state_finish(struct pf_db *db, const char *user_id, const char *status,
    int interval_min, bool ok)
{
	char		 iv[16];
	const char	*p[4];
	int		 r;

	snprintf(iv, sizeof(iv), "%d", interval_min);
	p[0] = user_id;
	p[1] = status;
	p[2] = iv;
	p[3] = ok ? "true" : "false";
	/* A failing user backs off 1, 2, 4 ... minutes, capped by interval. */
	if ((r = pf_db_exec(db, NULL, "INSERT INTO sync_state AS s (user_id, "
	    "next_due_at, last_finished_at, last_status, consecutive_failures) "
	    "VALUES ($1, now() + CASE WHEN $4::boolean THEN "
	    "make_interval(mins => $3::integer) ELSE least(make_interval(mins "
	    "=> $3::integer), interval '1 minute') END, now(), $2, "
	    "CASE WHEN $4::boolean THEN 0 ELSE 1 END) "
	    "ON CONFLICT (user_id) DO UPDATE SET next_due_at = now() + "
	    "CASE WHEN $4::boolean THEN make_interval(mins => $3::integer) "
	    "ELSE least(make_interval(mins => $3::integer), interval "
	    "'1 minute' * power(2, least(s.consecutive_failures, 10))) END, "
	    "last_finished_at = now(), last_status = $2, "
	    "consecutive_failures = CASE WHEN $4::boolean THEN 0 "
	    "ELSE s.consecutive_failures + 1 END, updated_at = now()",
	    4, p)) != PF_OK)
		return r;
	if (!ok)
		return PF_OK;
	return pf_db_exec(db, NULL, "UPDATE users SET last_synced_at = now() "
	    "WHERE user_id = $1", 1, p);
}

int
store_user_save(struct pf_db *db, const char *user_id, const char *member_id,
    const char *sealed_token, int64_t expires_in_s)
{
	char		 exp[24];
	const char	*p[4];
	int		 r;

	snprintf(exp, sizeof(exp), "%" PRId64, expires_in_s);
	p[0] = user_id;
	p[1] = member_id;
	p[2] = sealed_token;
	p[3] = expires_in_s > 0 ? exp : NULL;
	if ((r = pf_db_exec(db, NULL, "INSERT INTO users AS u (user_id, "
	    "polar_member_id, access_token_enc, token_expires_at, "
	    "registered_at) VALUES ($1, $2, $3, now() + make_interval(secs => "
	    "$4::double precision), now()) ON CONFLICT (user_id) DO UPDATE SET "
	    "polar_member_id = excluded.polar_member_id, access_token_enc = "
	    "excluded.access_token_enc, token_expires_at = "
	    "excluded.token_expires_at, registered_at = now(), is_active = "
	    "true, needs_reauth = false, reauth_reason = NULL, "
	    "consent_missing = false, updated_at = now()", 4, p)) != PF_OK)
		return r;
	return pf_db_exec(db, NULL, "INSERT INTO sync_state (user_id, "
	    "next_due_at) VALUES ($1, now()) ON CONFLICT (user_id) DO UPDATE "
	    "SET next_due_at = now(), consecutive_failures = 0, "
	    "updated_at = now()", 1, p);
}

int
store_status_users(struct pf_db *db, json_t *out)
{
	PGresult	*res;
	json_t		*doc;
	const char	*s;
	int		 r;

	if ((r = pf_db_exec_one(db, &res, "SELECT json_build_object("
	    "'users', count(*) FILTER (WHERE u.is_active AND "
	    "u.access_token_enc IS NOT NULL), "
	    "'due', count(*) FILTER (WHERE u.is_active AND "
	    "u.access_token_enc IS NOT NULL AND NOT u.needs_reauth AND "
	    "(s.next_due_at IS NULL OR s.next_due_at <= now())), "
	    "'needs_reauth', coalesce(json_agg(u.user_id ORDER BY u.user_id) "
	    "FILTER (WHERE u.needs_reauth), '[]'), "
	    "'consent_missing', coalesce(json_agg(u.user_id ORDER BY "
	    "u.user_id) FILTER (WHERE u.consent_missing), '[]'), "
	    "'never_synced', count(*) FILTER (WHERE u.is_active AND "
	    "u.access_token_enc IS NOT NULL AND u.last_synced_at IS NULL), "
	    "'oldest_sync', min(u.last_synced_at))::text "
	    "FROM users u LEFT JOIN sync_state s USING (user_id)", 0, NULL)) !=
	    PF_OK)
		return r;
	s = PQgetvalue(res, 0, 0);
	doc = json_loads(s, 0, NULL);
	PQclear(res);
	if (doc == NULL)
		return PF_ERR_PROTO;
	json_object_update(out, doc);
	json_decref(doc);
	return PF_OK;
}

int
store_client_secret(struct pf_db *db, char **sealed)
{
	PGresult	*res;
	const char	*s;
	int		 r;

	*sealed = NULL;
	if ((r = pf_db_exec(db, &res, "SELECT polar_client_secret_enc FROM "
	    "app_settings WHERE id = 1", 0, NULL)) != PF_OK)
		return r;
	if (PQntuples(res) == 1 && (s = pf_db_get_str(res, 0, 0)) != NULL)
		*sealed = pf_xstrdup(s);
	PQclear(res);
	return *sealed ? PF_OK : PF_ERR_NOTFOUND;
}

/*
 * Polar's webhook (polarhook.c): the registration, and the deliveries
 * apid queued.
 */
int
store_polarhook_get(struct pf_db *db, PGresult **res)
{
	return pf_db_exec(db, res, "SELECT polar_id, url, events::text,"
	    " secret_enc, to_char(created_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM polar_webhook WHERE id = 1",
	    0, NULL);
}

int
store_polarhook_save(struct pf_db *db, const char *polar_id, const char *url,
    const char *events, const char *sealed)
{
	const char	*p[4] = { polar_id, url, events, sealed };

	return pf_db_exec(db, NULL, "WITH s AS (INSERT INTO polar_webhook"
	    " (id, polar_id, url, events, secret_enc) VALUES (1, $1, $2,"
	    " $3::jsonb, $4) ON CONFLICT (id) DO UPDATE SET polar_id ="
	    " excluded.polar_id, url = excluded.url, events = excluded.events,"
	    " secret_enc = excluded.secret_enc, created_at = now(),"
	    " updated_at = now() RETURNING 1)"
	    " INSERT INTO audit_log (actor, action, details)"
	    " SELECT 'syncd', 'polar_webhook.create', json_build_object("
	    "'polar_id', $1::text, 'url', $2::text, 'events', $3::jsonb)"
	    " FROM s", 4, p);
}

int
store_polarhook_delete(struct pf_db *db, const char *polar_id)
{
	const char	*p[1] = { polar_id };

	return pf_db_exec(db, NULL, "WITH d AS (DELETE FROM polar_webhook"
	    " RETURNING polar_id, url)"
	    " INSERT INTO audit_log (actor, action, details)"
	    " SELECT 'syncd', 'polar_webhook.delete', json_build_object("
	    "'polar_id', coalesce((SELECT polar_id FROM d), $1::text),"
	    " 'url', (SELECT url FROM d))", 1, p);
}

int
store_polarhook_counts(struct pf_db *db, json_t *out)
{
	PGresult	*res;
	int		 i, r;
	int64_t		 n;

	if ((r = pf_db_exec(db, &res, "SELECT status, count(*) FROM"
	    " polar_webhook_events GROUP BY status ORDER BY status", 0,
	    NULL)) != PF_OK)
		return r;
	for (i = 0; i < PQntuples(res); i++)
		if (pf_db_get_int64(res, i, 1, &n) == PF_OK)
			json_object_set_new(out, PQgetvalue(res, i, 0),
			    json_integer(n));
	PQclear(res);
	return PF_OK;
}

/*
 * Up to limit deliveries to handle, oldest first: queued ones, and ones
 * a syncd that died was handling five minutes ago.  -> id, event,
 * polar user ('' none), body, signature.
 */
int
store_polarhook_claim(struct pf_db *db, int limit, PGresult **res)
{
	char		 n[16];
	const char	*p[1] = { n };

	snprintf(n, sizeof(n), "%d", limit);
	return pf_db_exec(db, res, "WITH c AS (SELECT id FROM"
	    " polar_webhook_events WHERE status = 'queued' OR (status ="
	    " 'working' AND claimed_at < now() - interval '5 minutes')"
	    " ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED),"
	    " u AS (UPDATE polar_webhook_events e SET status = 'working',"
	    " claimed_at = now(), attempts = attempts + 1 FROM c"
	    " WHERE e.id = c.id RETURNING e.id, e.event,"
	    " coalesce(e.polar_user_id, ''), e.body, e.signature)"
	    " SELECT * FROM u ORDER BY id", 1, p);
}

/*
 * Closes delivery id with status; a non-empty action is also written to
 * the audit log.  A handled delivery keeps only its digest (replays are
 * still recognised); a refused one keeps its body for whoever looks.
 */
int
store_polarhook_finish(struct pf_db *db, int64_t id, const char *status,
    const char *user_id, const char *sync_id, const char *note,
    const char *action)
{
	char		 ids[24];
	const char	*p[6] = { ids, status, user_id ? user_id : "",
	    sync_id ? sync_id : "", note ? note : "", action ? action : "" };

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	return pf_db_exec(db, NULL, "WITH u AS (UPDATE polar_webhook_events"
	    " SET status = $2, processed_at = now(), matched_user ="
	    " nullif($3::text, ''), sync_id = nullif($4::text, ''), note ="
	    " nullif($5::text, ''), body = CASE WHEN $2 IN ('synced', 'ping')"
	    " THEN '' ELSE body END WHERE id = $1::bigint"
	    " RETURNING event, polar_user_id)"
	    " INSERT INTO audit_log (actor, action, user_id, details)"
	    " SELECT 'syncd:polar-webhook', $6, nullif($3::text, ''),"
	    " json_build_object('delivery', $1::bigint, 'event', u.event,"
	    " 'polar_user_id', u.polar_user_id, 'reason', nullif($5::text, ''))"
	    " FROM u WHERE $6::text <> ''", 6, p);
}

int
store_polarhook_requeue(struct pf_db *db, int64_t id)
{
	char		 ids[24];
	const char	*p[1] = { ids };

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	return pf_db_exec(db, NULL, "UPDATE polar_webhook_events SET status ="
	    " 'queued', claimed_at = NULL WHERE id = $1::bigint", 1, p);
}

/* Handled deliveries are kept a week: long enough to know a replay. */
int
store_polarhook_prune(struct pf_db *db)
{
	return pf_db_exec(db, NULL, "DELETE FROM polar_webhook_events"
	    " WHERE received_at < now() - interval '7 days'"
	    " AND status NOT IN ('queued', 'working')", 0, NULL);
}

/* Our user for Polar's user id (the bridge keeps it as both). */
int
store_polarhook_user(struct pf_db *db, const char *polar_user, char *out,
    size_t len)
{
	PGresult	*res;
	const char	*p[1] = { polar_user };
	int		 r;

	if ((r = pf_db_exec(db, &res, "SELECT user_id FROM users WHERE"
	    " polar_member_id = $1 OR user_id = $1"
	    " ORDER BY polar_member_id = $1 DESC NULLS LAST LIMIT 1", 1, p)) !=
	    PF_OK)
		return r;
	r = PQntuples(res) == 1 ? PF_OK : PF_ERR_NOTFOUND;
	if (r == PF_OK)
		snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}
