/*
 * ingest.c -- a parsed HAE body into the health_* tables (ingest.h).
 *
 * Samples go in batches: rows are written as COPY text into a buffer,
 * and at PF_INGEST_BATCH rows (or the end) one transaction stores them
 * one of two ways:
 *
 * - new data (no two equal keys in the batch, and the user has no
 *   sample of the batch's metrics in its time range): COPY straight
 *   into health_samples.  COPY inserts in multi-row batches, with none
 *   of the per-row speculative insertion of ON CONFLICT and no staging
 *   copy; it is most of a full-history export and of a daily push of
 *   new windows.
 * - otherwise (HAE resends overlapping windows): COPY into a temporary
 *   table and one upsert that keeps the last of equal keys and changes
 *   a stored row only when a value differs -- so a resent window counts
 *   as duplicates and writes nothing.
 *
 * The range check and the COPY are consistent because every batch
 * transaction of a user holds the user's advisory lock: no other ingest
 * can add a sample to the range between them.  The monthly partitions
 * a batch needs are made first, in their own statement (it locks the
 * parent table briefly).
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hae.h"
#include "common/ingest.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#define PF_INGEST_BATCH	50000
#define KEYSLOTS	131072		/* > 2 * PF_INGEST_BATCH, power of 2 */
#define NMONTHS		(12 * 301)	/* 1900-01 .. 2200-12 */

/* Months whose partition exists, for every run of this process. */
static pthread_mutex_t	months_mtx = PTHREAD_MUTEX_INITIALIZER;
static unsigned char	months_made[NMONTHS / 8 + 1];

/* The COPY rows' columns; seq numbers the staged rows in order. */
#define COLUMNS \
    "user_id, metric, start_at, source, end_at, utc_offset_min, value," \
    " unit, value_orig, unit_orig, vmin, vavg, vmax, extra, known," \
    " ingestion_id"

static const char sql_stage[] =
    "CREATE TEMP TABLE IF NOT EXISTS hae_stage2 ("
    " user_id text, metric text, start_at timestamptz, source text,"
    " end_at timestamptz, utc_offset_min smallint, value float8,"
    " unit text, value_orig float8, unit_orig text, vmin float8,"
    " vavg float8, vmax float8, extra jsonb, known boolean,"
    " ingestion_id bigint, seq bigserial) ON COMMIT DELETE ROWS";

static const char sql_copy[] =
    "COPY pg_temp.hae_stage2 (" COLUMNS ") FROM STDIN";

static const char sql_copy_direct[] =
    "COPY health_samples (" COLUMNS ") FROM STDIN";

/*
 * $1 user, $2 the batch's metrics, $3 and $4 its first and last start:
 * whether the user has any sample there (the primary key's range).
 */
static const char sql_overlap[] =
    "SELECT EXISTS (SELECT 1 FROM health_samples WHERE user_id = $1"
    " AND metric = ANY ($2::text[]) AND start_at >= $3::timestamptz"
    " AND start_at <= $4::timestamptz)";

static const char sql_ensure[] =
    "SELECT health_samples_ensure($1::timestamptz[])";

/*
 * The batch's transaction: the samples can always be derived again from
 * the raw body, committed (synchronously) before, so their commit need
 * not wait for the disk; the sort of a batch fits in memory.
 */
static const char sql_batch_tx[] =
    "SELECT set_config('synchronous_commit', 'off', true),"
    " set_config('work_mem', '64MB', true),"
    " pg_advisory_xact_lock(hashtextextended('health_samples:' || $1, 0))";

/*
 * Changed rows per metric.  A batch with equal
 * keys (the same sample twice in one body) keeps the last one, which
 * needs a sort; a batch without goes straight in.
 */
#define UPSERT(from) \
    "WITH s AS (" from ")," \
    " up AS (INSERT INTO health_samples AS h (user_id, metric, start_at," \
    "  source, end_at, utc_offset_min, value, unit, value_orig, unit_orig," \
    "  vmin, vavg, vmax, extra, known, ingestion_id)" \
    "  SELECT " COLUMNS " FROM s" \
    "  ON CONFLICT (user_id, metric, start_at, source) DO UPDATE SET" \
    "  end_at = EXCLUDED.end_at, utc_offset_min = EXCLUDED.utc_offset_min," \
    "  value = EXCLUDED.value, unit = EXCLUDED.unit," \
    "  value_orig = EXCLUDED.value_orig, unit_orig = EXCLUDED.unit_orig," \
    "  vmin = EXCLUDED.vmin, vavg = EXCLUDED.vavg, vmax = EXCLUDED.vmax," \
    "  extra = EXCLUDED.extra, known = EXCLUDED.known," \
    "  ingestion_id = EXCLUDED.ingestion_id, updated_at = now()" \
    "  WHERE (h.end_at, h.utc_offset_min, h.value, h.unit, h.value_orig," \
    "  h.unit_orig, h.vmin, h.vavg, h.vmax, h.extra, h.known)" \
    "  IS DISTINCT FROM (EXCLUDED.end_at, EXCLUDED.utc_offset_min," \
    "  EXCLUDED.value, EXCLUDED.unit, EXCLUDED.value_orig," \
    "  EXCLUDED.unit_orig, EXCLUDED.vmin, EXCLUDED.vavg, EXCLUDED.vmax," \
    "  EXCLUDED.extra, EXCLUDED.known)" \
    "  RETURNING h.metric)" \
    " SELECT metric, count(*) FROM up GROUP BY metric"
static const char sql_upsert_dedup[] = UPSERT(
    "SELECT DISTINCT ON (metric, start_at, source) * FROM"
    " pg_temp.hae_stage2 ORDER BY metric, start_at, source, seq DESC");
static const char sql_upsert[] = UPSERT("SELECT * FROM pg_temp.hae_stage2");

/* Each returns one row, (xmax = 0): true inserted, false updated. */
static const char sql_night[] =
    "INSERT INTO health_sleep_nights AS n (user_id, day, source,"
    " total_sleep_s, asleep_s, core_s, deep_s, rem_s, awake_s, in_bed_s,"
    " sleep_start, sleep_end, in_bed_start, in_bed_end, utc_offset_min,"
    " extra, ingestion_id)"
    " VALUES ($1, $2::date, $3, $4::float8, $5::float8, $6::float8,"
    " $7::float8, $8::float8, $9::float8, $10::float8,"
    " $11::timestamptz, $12::timestamptz, $13::timestamptz,"
    " $14::timestamptz, $15::smallint, $16::jsonb, $17::bigint)"
    " ON CONFLICT (user_id, day, source) DO UPDATE SET"
    " total_sleep_s = EXCLUDED.total_sleep_s, asleep_s = EXCLUDED.asleep_s,"
    " core_s = EXCLUDED.core_s, deep_s = EXCLUDED.deep_s,"
    " rem_s = EXCLUDED.rem_s, awake_s = EXCLUDED.awake_s,"
    " in_bed_s = EXCLUDED.in_bed_s, sleep_start = EXCLUDED.sleep_start,"
    " sleep_end = EXCLUDED.sleep_end, in_bed_start = EXCLUDED.in_bed_start,"
    " in_bed_end = EXCLUDED.in_bed_end,"
    " utc_offset_min = EXCLUDED.utc_offset_min, extra = EXCLUDED.extra,"
    " ingestion_id = EXCLUDED.ingestion_id, updated_at = now()"
    " WHERE (n.total_sleep_s, n.asleep_s, n.core_s, n.deep_s, n.rem_s,"
    " n.awake_s, n.in_bed_s, n.sleep_start, n.sleep_end, n.in_bed_start,"
    " n.in_bed_end, n.utc_offset_min, n.extra) IS DISTINCT FROM"
    " (EXCLUDED.total_sleep_s, EXCLUDED.asleep_s, EXCLUDED.core_s,"
    " EXCLUDED.deep_s, EXCLUDED.rem_s, EXCLUDED.awake_s,"
    " EXCLUDED.in_bed_s, EXCLUDED.sleep_start, EXCLUDED.sleep_end,"
    " EXCLUDED.in_bed_start, EXCLUDED.in_bed_end,"
    " EXCLUDED.utc_offset_min, EXCLUDED.extra)"
    " RETURNING (xmax = 0)";

static const char sql_workout[] =
    "INSERT INTO health_workouts AS w (user_id, workout_key, format, name,"
    " start_at, end_at, utc_offset_min, duration_s, location, summary,"
    " heart_rate, hr_recovery, series, route, route_points, metadata,"
    " ingestion_id)"
    " VALUES ($1, $2, $3::smallint, $4, $5::timestamptz, $6::timestamptz,"
    " $7::smallint, $8::float8, $9, $10::jsonb, $11::jsonb, $12::jsonb,"
    " $13::jsonb, $14::jsonb, $15::integer, $16::jsonb, $17::bigint)"
    " ON CONFLICT (user_id, workout_key) DO UPDATE SET"
    " format = EXCLUDED.format, name = EXCLUDED.name,"
    " start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at,"
    " utc_offset_min = EXCLUDED.utc_offset_min,"
    " duration_s = EXCLUDED.duration_s, location = EXCLUDED.location,"
    " summary = EXCLUDED.summary, heart_rate = EXCLUDED.heart_rate,"
    " hr_recovery = EXCLUDED.hr_recovery, series = EXCLUDED.series,"
    " route = EXCLUDED.route, route_points = EXCLUDED.route_points,"
    " metadata = EXCLUDED.metadata,"
    " ingestion_id = EXCLUDED.ingestion_id, updated_at = now()"
    " WHERE (w.format, w.name, w.start_at, w.end_at, w.utc_offset_min,"
    " w.duration_s, w.location, w.summary, w.heart_rate, w.hr_recovery,"
    " w.series, w.route, w.metadata) IS DISTINCT FROM"
    " (EXCLUDED.format, EXCLUDED.name, EXCLUDED.start_at, EXCLUDED.end_at,"
    " EXCLUDED.utc_offset_min, EXCLUDED.duration_s, EXCLUDED.location,"
    " EXCLUDED.summary, EXCLUDED.heart_rate, EXCLUDED.hr_recovery,"
    " EXCLUDED.series, EXCLUDED.route, EXCLUDED.metadata)"
    " RETURNING (xmax = 0)";

static const char sql_ecg[] =
    "INSERT INTO health_ecg AS e (user_id, start_at, source, end_at,"
    " utc_offset_min, classification, severity, average_hr, sampling_hz,"
    " n_voltages, voltages_v, voltage_unit_orig, extra, ingestion_id)"
    " VALUES ($1, $2::timestamptz, $3, $4::timestamptz, $5::smallint, $6,"
    " $7, $8::float8, $9::float8, $10::integer, $11::jsonb, $12,"
    " $13::jsonb, $14::bigint)"
    " ON CONFLICT (user_id, start_at, source) DO UPDATE SET"
    " end_at = EXCLUDED.end_at, utc_offset_min = EXCLUDED.utc_offset_min,"
    " classification = EXCLUDED.classification,"
    " severity = EXCLUDED.severity, average_hr = EXCLUDED.average_hr,"
    " sampling_hz = EXCLUDED.sampling_hz, n_voltages = EXCLUDED.n_voltages,"
    " voltages_v = EXCLUDED.voltages_v,"
    " voltage_unit_orig = EXCLUDED.voltage_unit_orig,"
    " extra = EXCLUDED.extra, ingestion_id = EXCLUDED.ingestion_id,"
    " updated_at = now()"
    " WHERE (e.end_at, e.utc_offset_min, e.classification, e.severity,"
    " e.average_hr, e.sampling_hz, e.n_voltages, e.voltages_v,"
    " e.voltage_unit_orig, e.extra) IS DISTINCT FROM"
    " (EXCLUDED.end_at, EXCLUDED.utc_offset_min, EXCLUDED.classification,"
    " EXCLUDED.severity, EXCLUDED.average_hr, EXCLUDED.sampling_hz,"
    " EXCLUDED.n_voltages, EXCLUDED.voltages_v,"
    " EXCLUDED.voltage_unit_orig, EXCLUDED.extra)"
    " RETURNING (xmax = 0)";

static const char sql_event[] =
    "INSERT INTO health_events AS v (user_id, kind, start_at, event_key,"
    " end_at, utc_offset_min, data, ingestion_id)"
    " VALUES ($1, $2, $3::timestamptz, $4, $5::timestamptz, $6::smallint,"
    " $7::jsonb, $8::bigint)"
    " ON CONFLICT (user_id, kind, start_at, event_key) DO UPDATE SET"
    " end_at = EXCLUDED.end_at, utc_offset_min = EXCLUDED.utc_offset_min,"
    " data = EXCLUDED.data, ingestion_id = EXCLUDED.ingestion_id,"
    " updated_at = now()"
    " WHERE (v.end_at, v.utc_offset_min, v.data) IS DISTINCT FROM"
    " (EXCLUDED.end_at, EXCLUDED.utc_offset_min, EXCLUDED.data)"
    " RETURNING (xmax = 0)";

/* The user's analytics inputs changed (sql/0020_apple_analytics.sql). */
static const char sql_mark[] =
    "SELECT health_mark_changed($1)";

/*
 * The metrics analyticsd reads (analyticsd/store.c): a push that stores
 * or changes one of them marks its user.
 */
static const char *const analytics_metrics[] = {
	"step_count", "active_energy", "resting_heart_rate",
	"heart_rate_variability", "sleep_analysis",
};

static const char sql_result[] =
    "UPDATE raw_ingestions SET status = $3, processed_at = now(),"
    " counts = $4::jsonb, errors = $5::jsonb, error_count = $6::integer,"
    " replays = replays + $7::integer"
    " WHERE user_id = $1 AND id = $2::bigint";

/* The date of the last instant ts_copy() wrote. */
struct day_cache {
	int64_t	day;
	char	text[12];	/* "YYYY-MM-DD " */
	bool	valid;
};

/* Counts of one metric or section. */
struct count {
	char		*section;
	char		*name;		/* metric, or NULL for a section */
	bool		 known;
	uint64_t	 staged;	/* samples waiting in the batch */
	uint64_t	 inflight;	/* ... in the batch being upserted */
	uint64_t	 accepted;
	uint64_t	 duplicate;
	uint64_t	 rejected;
};

struct pf_ingest {
	struct pf_db	*db;
	char		 uid[128];
	char		 idtext[24];
	struct pf_hae	*hae;
	int		 dberr;		/* first database error */
	char		 dbmsg[200];

	struct pf_buf	 copy;		/* the batch as COPY text */
	uint64_t	 batch_rows;
	uint64_t	 samples;	/* accepted + duplicate */
	unsigned char	 want[NMONTHS / 8 + 1];		/* in the batch */
	uint64_t	*keys;		/* the batch's key hashes */
	bool		 batch_dup;	/* two keys may be equal */
	int64_t		 batch_lo;	/* the batch's first and last start */
	int64_t		 batch_hi;
	bool		 pending;	/* a batch's upsert runs (flush) */
	bool		 direct;	/* ... or its COPY into health_samples */
	uint64_t	 ndirect;	/* batches copied straight in */
	char		 uidcopy[256];	/* uid as COPY text */
	struct day_cache dc_start;	/* ts_copy() of starts and ends */
	struct day_cache dc_end;

	struct count	*counts;
	size_t		 ncounts;
	size_t		 capcounts;
	struct count	*last;

	json_t		*errors;	/* kept */
	uint64_t	 nerrors;
	bool		 marked;	/* analytics inputs changed */
};

static struct count *
count_of(struct pf_ingest *g, const char *section, const char *name)
{
	struct count	*c;
	size_t		 i;

	if (g->last != NULL && strcmp(g->last->section, section) == 0 &&
	    (name == NULL ? g->last->name == NULL : g->last->name != NULL &&
	    strcmp(g->last->name, name) == 0))
		return g->last;
	for (i = 0; i < g->ncounts; i++) {
		c = &g->counts[i];
		if (strcmp(c->section, section) == 0 && (name == NULL ?
		    c->name == NULL : c->name != NULL &&
		    strcmp(c->name, name) == 0))
			return g->last = c;
	}
	if (g->ncounts == g->capcounts) {
		g->capcounts = g->capcounts ? g->capcounts * 2 : 32;
		g->counts = pf_xreallocarray(g->counts, g->capcounts,
		    sizeof(*g->counts));
	}
	c = &g->counts[g->ncounts++];
	memset(c, 0, sizeof(*c));
	c->section = pf_xstrdup(section);
	c->name = name ? pf_xstrdup(name) : NULL;
	c->known = name ? pf_hae_metric_known(name) : true;
	return g->last = c;
}

static void
on_error(void *arg, const char *section, const char *metric, int index,
    const char *reason)
{
	struct pf_ingest	*g = arg;
	json_t			*e;

	count_of(g, section, metric)->rejected++;
	g->nerrors++;
	if (json_array_size(g->errors) >= PF_INGEST_ERRORS_KEPT)
		return;
	e = json_pack("{s:s, s:i, s:s}", "section", section, "index", index,
	    "reason", reason);
	if (e == NULL)
		return;
	if (metric != NULL)
		json_object_set_new(e, "metric", json_string(metric));
	json_array_append_new(g->errors, e);
}

static void
db_failed(struct pf_ingest *g, int r)
{
	if (g->dberr != 0)
		return;
	g->dberr = r;
	snprintf(g->dbmsg, sizeof(g->dbmsg), "%s", pf_db_errmsg(g->db));
	pf_log_warnx("ingest %s: database error: %s", g->idtext, g->dbmsg);
}

/* COPY text: the escapes of the text format. */
static void
copy_str(struct pf_buf *b, const char *s)
{
	const char	*p;

	if (s == NULL) {
		pf_buf_add(b, "\\N", 2);
		return;
	}
	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '\\': pf_buf_add(b, "\\\\", 2); break;
		case '\t': pf_buf_add(b, "\\t", 2); break;
		case '\n': pf_buf_add(b, "\\n", 2); break;
		case '\r': pf_buf_add(b, "\\r", 2); break;
		default: pf_buf_add(b, p, 1); break;
		}
	}
}

static void
copy_num(struct pf_buf *b, bool has, double v)
{
	if (!has || !isfinite(v))
		pf_buf_add(b, "\\N", 2);
	else
		pf_buf_addf(b, "%.17g", v);
}

/*
 * An instant as COPY text, "YYYY-MM-DD HH:MM:SS.sss+00" (len >= 27):
 * every sample has one or two, so the date of the previous one is
 * kept rather than worked out again.  PF_ERR_RANGE outside the years
 * the partitions take.
 */
static int
ts_copy(struct day_cache *dc, int64_t ms, char *buf)
{
	struct pf_date	d;
	int64_t		day = ms >= 0 ? ms / PF_TIME_DAY_MS :
			    -((-ms + PF_TIME_DAY_MS - 1) / PF_TIME_DAY_MS);
	int64_t		r = ms - day * PF_TIME_DAY_MS;
	int		h, m, sec, milli;

	if (!dc->valid || dc->day != day) {
		if (pf_time_day_to_date(day, &d) != PF_OK || d.year < 1900 ||
		    d.year > 2200)
			return PF_ERR_RANGE;
		snprintf(dc->text, sizeof(dc->text), "%04d-%02d-%02d ",
		    d.year, d.month, d.day);
		dc->day = day;
		dc->valid = true;
	}
	milli = (int)(r % 1000);
	sec = (int)(r / 1000 % 60);
	m = (int)(r / 60000 % 60);
	h = (int)(r / 3600000);
	memcpy(buf, dc->text, 11);
	buf[11] = (char)('0' + h / 10); buf[12] = (char)('0' + h % 10);
	buf[13] = ':';
	buf[14] = (char)('0' + m / 10); buf[15] = (char)('0' + m % 10);
	buf[16] = ':';
	buf[17] = (char)('0' + sec / 10); buf[18] = (char)('0' + sec % 10);
	buf[19] = '.';
	buf[20] = (char)('0' + milli / 100);
	buf[21] = (char)('0' + milli / 10 % 10);
	buf[22] = (char)('0' + milli % 10);
	memcpy(buf + 23, "+00", 4);
	return PF_OK;
}

static int
month_index(int64_t ms)
{
	struct pf_date	d;
	int64_t		day = ms >= 0 ? ms / PF_TIME_DAY_MS :
			    -((-ms + PF_TIME_DAY_MS - 1) / PF_TIME_DAY_MS);

	if (pf_time_day_to_date(day, &d) != PF_OK || d.year < 1900 ||
	    d.year > 2200)
		return -1;
	return (d.year - 1900) * 12 + d.month - 1;
}

#define BIT_SET(a, i)	((a)[(i) / 8] |= (unsigned char)(1u << ((i) % 8)))
#define BIT_GET(a, i)	(((a)[(i) / 8] >> ((i) % 8)) & 1u)

/* The months of the batch that may have no partition yet. */
static int
ensure_months(struct pf_ingest *g)
{
	struct pf_buf	 arr = PF_BUF_INIT;
	const char	*pv[1];
	int		 i, n = 0, r = PF_OK;

	pf_buf_adds(&arr, "{");
	pthread_mutex_lock(&months_mtx);
	for (i = 0; i < NMONTHS; i++)
		if (BIT_GET(months_made, i))
			g->want[i / 8] &= (unsigned char)~(1u << (i % 8));
	pthread_mutex_unlock(&months_mtx);
	for (i = 0; i < NMONTHS; i++) {
		if (!BIT_GET(g->want, i))
			continue;
		pf_buf_addf(&arr, "%s\"%04d-%02d-01 00:00:00+00\"",
		    n ? "," : "", 1900 + i / 12, i % 12 + 1);
		n++;
	}
	pf_buf_adds(&arr, "}");
	if (n > 0) {
		pv[0] = arr.p;
		r = pf_db_exec(g->db, NULL, sql_ensure, 1, pv);
		if (r == PF_OK) {
			pthread_mutex_lock(&months_mtx);
			for (i = 0; i < NMONTHS; i++)
				if (BIT_GET(g->want, i))
					BIT_SET(months_made, i);
			pthread_mutex_unlock(&months_mtx);
		}
	}
	memset(g->want, 0, sizeof(g->want));
	pf_buf_free(&arr);
	return r;
}

/*
 * The batch in flight finishes: its upsert's answer gives the counts
 * (every sample a duplicate unless it changed a row), then its commit.
 */
static int
batch_wait(struct pf_ingest *g)
{
	PGconn		*conn = pf_db_conn(g->db);
	PGresult	*res;
	int		 r = PF_OK, i, n;
	size_t		 k;
	bool		 got = false;

	if (!g->pending)
		return g->dberr;
	g->pending = false;
	while ((res = PQgetResult(conn)) != NULL) {
		if (got || r != PF_OK) {
			PQclear(res);
			continue;
		}
		got = true;
		if (g->direct && PQresultStatus(res) == PGRES_COMMAND_OK) {
			/* new rows only: every one of them accepted */
			for (k = 0; k < g->ncounts; k++) {
				g->counts[k].accepted += g->counts[k].inflight;
				g->samples += g->counts[k].inflight;
			}
			PQclear(res);
			continue;
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			r = pf_db_sqlstate_err(PQresultErrorField(res,
			    PG_DIAG_SQLSTATE));
			snprintf(g->dbmsg, sizeof(g->dbmsg), "%s",
			    PQresultErrorMessage(res));
			PQclear(res);
			continue;
		}
		for (k = 0; k < g->ncounts; k++) {
			g->counts[k].duplicate += g->counts[k].inflight;
			g->samples += g->counts[k].inflight;
		}
		n = PQntuples(res);
		for (i = 0; i < n; i++) {
			struct count	*c = count_of(g, "metrics",
			    PQgetvalue(res, i, 0));
			uint64_t	 ch = strtoull(PQgetvalue(res, i, 1),
			    NULL, 10);

			if (ch > c->duplicate)
				ch = c->duplicate;
			c->duplicate -= ch;
			c->accepted += ch;
		}
		PQclear(res);
	}
	for (k = 0; k < g->ncounts; k++)
		g->counts[k].inflight = 0;
	if (r == PF_OK && !got)
		r = PF_ERR_DB_CONN;
	if (r == PF_OK)
		r = pf_db_commit(g->db);
	if (r != PF_OK) {
		(void)pf_db_rollback(g->db);
		db_failed(g, r);
	}
	return r;
}

/*
 * Whether the user has a sample of the batch's metrics within its time
 * range: 1 yes, 0 no, or a PF_ERR_*.
 */
static int
batch_overlaps(struct pf_ingest *g)
{
	struct pf_buf	 arr = PF_BUF_INIT;
	char		 lo[PF_TIME_DATETIME_LEN], hi[PF_TIME_DATETIME_LEN];
	const char	*pv[4] = { g->uid, NULL, lo, hi };
	const char	*p;
	PGresult	*res;
	size_t		 k;
	int		 r, n = 0;

	if (pf_time_format_datetime(g->batch_lo, 0, 0, lo, sizeof(lo)) !=
	    PF_OK || pf_time_format_datetime(g->batch_hi, 0, 0, hi,
	    sizeof(hi)) != PF_OK)
		return 1;	/* the upsert path takes anything */
	pf_buf_adds(&arr, "{");
	for (k = 0; k < g->ncounts; k++) {
		if (g->counts[k].staged == 0 || g->counts[k].name == NULL)
			continue;
		pf_buf_adds(&arr, n++ ? ",\"" : "\"");
		for (p = g->counts[k].name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				pf_buf_add(&arr, "\\", 1);
			pf_buf_add(&arr, p, 1);
		}
		pf_buf_adds(&arr, "\"");
	}
	pf_buf_adds(&arr, "}");
	pv[1] = arr.p;
	r = pf_db_exec(g->db, &res, sql_overlap, 4, pv);
	pf_buf_free(&arr);
	if (r != PF_OK)
		return r;
	r = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "f") == 0 ?
	    0 : 1;
	PQclear(res);
	return r;
}

/*
 * The batch into health_samples: copied straight in when it is new
 * data, else into the staging table and upserted.  The statement that
 * stores is left running -- the parse of the next batch goes on
 * meanwhile, on the other core -- until batch_wait() collects it,
 * before anything else is sent on the connection.
 */
static int
flush(struct pf_ingest *g)
{
	PGconn		*conn = pf_db_conn(g->db);
	PGresult	*res = NULL;
	const char	*pv[1] = { g->uid };
	int		 r;
	size_t		 k;

	if ((r = batch_wait(g)) != PF_OK || g->batch_rows == 0)
		goto reset;
	if ((r = ensure_months(g)) != PF_OK)
		goto out;
	if ((r = pf_db_begin(g->db)) != PF_OK ||
	    (r = pf_db_exec(g->db, NULL, sql_batch_tx, 1, pv)) != PF_OK)
		goto out;
	g->direct = false;
	if (!g->batch_dup) {
		if ((r = batch_overlaps(g)) < 0)
			goto out;
		g->direct = r == 0;
		r = PF_OK;
	}
	res = PQexec(conn, g->direct ? sql_copy_direct : sql_copy);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = pf_db_sqlstate_err(PQresultErrorField(res,
		    PG_DIAG_SQLSTATE));
		goto out;
	}
	PQclear(res);
	res = NULL;
	if (PQputCopyData(conn, g->copy.p, (int)g->copy.len) != 1 ||
	    PQputCopyEnd(conn, NULL) != 1) {
		r = PF_ERR_DB_CONN;
		goto out;
	}
	if (g->direct) {
		/* its result is collected by batch_wait() */
		g->ndirect++;
		goto sent;
	}
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		r = pf_db_sqlstate_err(PQresultErrorField(res,
		    PG_DIAG_SQLSTATE));
		snprintf(g->dbmsg, sizeof(g->dbmsg), "%s",
		    PQresultErrorMessage(res));
		goto out;
	}
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
	if (PQsendQueryParams(conn, g->batch_dup ? sql_upsert_dedup :
	    sql_upsert, 0, NULL, NULL, NULL, NULL, 0) != 1) {
		r = PF_ERR_DB_CONN;
		goto out;
	}
sent:
	g->pending = true;
	for (k = 0; k < g->ncounts; k++)
		g->counts[k].inflight = g->counts[k].staged;
out:
	PQclear(res);
	if (r != PF_OK) {
		(void)pf_db_rollback(g->db);
		db_failed(g, r);
	}
reset:
	for (k = 0; k < g->ncounts; k++)
		g->counts[k].staged = 0;
	g->copy.len = 0;
	g->batch_rows = 0;
	g->batch_dup = false;
	if (g->keys != NULL)
		memset(g->keys, 0, KEYSLOTS * sizeof(*g->keys));
	return r;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*c = p;

	while (n-- > 0)
		h = (h ^ *c++) * UINT64_C(0x100000001b3);
	return h;
}

/* Notes the sample's key; a possible repeat makes the batch sort. */
static void
key_seen(struct pf_ingest *g, const struct pf_hae_sample *s)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);
	size_t		i;

	if (g->batch_dup)
		return;
	if (g->keys == NULL)
		g->keys = pf_xcalloc(KEYSLOTS, sizeof(*g->keys));
	h = fnv(h, s->metric, strlen(s->metric) + 1);
	h = fnv(h, &s->start_ms, sizeof(s->start_ms));
	h = fnv(h, s->source, strlen(s->source) + 1);
	if (h == 0)
		h = 1;
	for (i = h & (KEYSLOTS - 1); g->keys[i] != 0;
	    i = (i + 1) & (KEYSLOTS - 1))
		if (g->keys[i] == h) {
			g->batch_dup = true;	/* or a collision: sort */
			return;
		}
	g->keys[i] = h;
}

static int
on_sample(void *arg, const struct pf_hae_sample *s)
{
	struct pf_ingest	*g = arg;
	struct pf_buf		*b = &g->copy;
	char			 ts[32], te[32];
	int			 m;

	if (g->dberr != 0)
		return -1;
	if ((m = month_index(s->start_ms)) < 0) {
		on_error(g, "metrics", s->metric, -1, "date out of range "
		    "(1900-2200)");
		return 0;
	}
	if (ts_copy(&g->dc_start, s->start_ms, ts) != PF_OK ||
	    (s->has_end && ts_copy(&g->dc_end, s->end_ms, te) != PF_OK)) {
		on_error(g, "metrics", s->metric, -1, "date out of range");
		return 0;
	}
	BIT_SET(g->want, m);
	key_seen(g, s);
	if (g->batch_rows == 0 || s->start_ms < g->batch_lo)
		g->batch_lo = s->start_ms;
	if (g->batch_rows == 0 || s->start_ms > g->batch_hi)
		g->batch_hi = s->start_ms;
	pf_buf_adds(b, g->uidcopy);
	pf_buf_add(b, "\t", 1);
	copy_str(b, s->metric);
	pf_buf_add(b, "\t", 1);
	pf_buf_adds(b, ts);
	pf_buf_add(b, "\t", 1);
	copy_str(b, s->source);
	pf_buf_add(b, "\t", 1);
	if (s->has_end)
		pf_buf_adds(b, te);
	else
		pf_buf_add(b, "\\N", 2);
	pf_buf_add(b, "\t", 1);
	if (s->has_offset)
		pf_buf_addf(b, "%d", s->offset_min);
	else
		pf_buf_add(b, "\\N", 2);
	pf_buf_add(b, "\t", 1);
	copy_num(b, s->has_value, s->value);
	pf_buf_add(b, "\t", 1);
	copy_str(b, s->unit && s->unit[0] ? s->unit : NULL);
	pf_buf_add(b, "\t", 1);
	copy_num(b, s->has_value, s->value_orig);
	pf_buf_add(b, "\t", 1);
	copy_str(b, s->unit_orig && s->unit_orig[0] ? s->unit_orig : NULL);
	pf_buf_add(b, "\t", 1);
	copy_num(b, s->has_mma, s->vmin);
	pf_buf_add(b, "\t", 1);
	copy_num(b, s->has_mma, s->vavg);
	pf_buf_add(b, "\t", 1);
	copy_num(b, s->has_mma, s->vmax);
	pf_buf_add(b, "\t", 1);
	copy_str(b, s->extra);
	pf_buf_adds(b, s->known ? "\tt\t" : "\tf\t");
	pf_buf_adds(b, g->idtext);
	pf_buf_add(b, "\n", 1);
	count_of(g, "metrics", s->metric)->staged++;
	if (++g->batch_rows >= PF_INGEST_BATCH && flush(g) != PF_OK)
		return -1;
	return 0;
}

/* An instant as timestamptz text. */
static void
ts_text(char *buf, size_t len, bool has, int64_t ms)
{
	buf[0] = '\0';
	if (has && pf_time_format_datetime(ms, 0, 0, buf, len) != PF_OK)
		buf[0] = '\0';
}

static void
num_text(char *buf, size_t len, double v)
{
	if (isfinite(v))
		snprintf(buf, len, "%.17g", v);
	else
		buf[0] = '\0';
}

/* Runs an upsert that answers (xmax = 0); counts it under c. */
static int
upsert_one(struct pf_ingest *g, struct count *c, const char *sql, int np,
    const char *const *pv)
{
	PGresult	*res;
	int		 r;

	if (g->dberr != 0 || batch_wait(g) != PF_OK)
		return -1;
	if ((r = pf_db_exec(g->db, &res, sql, np, pv)) != PF_OK) {
		db_failed(g, r);
		return -1;
	}
	if (PQntuples(res) > 0)
		c->accepted++;
	else
		c->duplicate++;
	PQclear(res);
	return 0;
}

#define NULLIFE(s)	((s)[0] ? (s) : NULL)

static int
on_night(void *arg, const struct pf_hae_night *n)
{
	struct pf_ingest	*g = arg;
	char			 day[PF_TIME_DATE_LEN], v[7][32], t[4][40];
	char			 off[16];
	const char		*pv[17];
	double			 vals[7] = { n->total_sleep_s, n->asleep_s,
	    n->core_s, n->deep_s, n->rem_s, n->awake_s, n->in_bed_s };
	int			 i;

	if (pf_time_format_date(n->day, day) != PF_OK) {
		on_error(g, "metrics", "sleep_analysis", -1, "date out of "
		    "range");
		return 0;
	}
	for (i = 0; i < 7; i++)
		num_text(v[i], sizeof(v[i]), vals[i]);
	for (i = 0; i < 4; i++)
		ts_text(t[i], sizeof(t[i]), n->has[i], n->t_ms[i]);
	snprintf(off, sizeof(off), "%d", n->offset_min);
	pv[0] = g->uid;
	pv[1] = day;
	pv[2] = n->source;
	for (i = 0; i < 7; i++)
		pv[3 + i] = NULLIFE(v[i]);
	for (i = 0; i < 4; i++)
		pv[10 + i] = NULLIFE(t[i]);
	pv[14] = n->has_offset ? off : NULL;
	pv[15] = n->extra;
	pv[16] = g->idtext;
	return upsert_one(g, count_of(g, "metrics", "sleep_analysis"),
	    sql_night, 17, pv);
}

/* A copy of a {date, Min, Avg, Max | qty, units} series, in SI. */
static json_t *
hr_series(struct pf_ingest *g, const json_t *arr, int wi, const char *what)
{
	json_t		*out = json_array(), *p;
	size_t		 j;
	char		 why[120];

	json_array_foreach(arr, j, p) {
		json_t		*o;
		int64_t		 ms;
		int		 off;
		bool		 ho;
		const char	*u = pf_hae_item_str(p, "units"), *si;
		double		 f, a, mn, av, mx, q;

		if (!json_is_object(p) || pf_hae_item_date(p, "date", &ms,
		    &off, &ho) != 0) {
			snprintf(why, sizeof(why), "%s[%zu]: missing or "
			    "unparseable date", what, j);
			on_error(g, "workouts", NULL, wi, why);
			continue;
		}
		if (!pf_hae_unit_si(u ? u : "count/min", &si, &f, &a)) {
			si = u;
			f = 1;
			a = 0;
		}
		mn = pf_hae_item_num(p, "Min");
		av = pf_hae_item_num(p, "Avg");
		mx = pf_hae_item_num(p, "Max");
		q = pf_hae_item_num(p, "qty");
		if (!isfinite(av) && isfinite(q))
			av = q;
		o = json_pack("{s:I, s:o, s:o, s:o, s:o, s:O}", "t",
		    (json_int_t)ms,
		    "min", isfinite(mn) ? json_real(mn * f + a) : json_null(),
		    "avg", isfinite(av) ? json_real(av * f + a) : json_null(),
		    "max", isfinite(mx) ? json_real(mx * f + a) : json_null(),
		    "unit", si ? json_string(si) : json_null(), "orig", p);
		if (o != NULL)
			json_array_append_new(out, o);
	}
	return out;
}

/* A copy of a route, v1 ({lat, lon}) or v2 ({latitude, longitude}). */
static json_t *
route_of(struct pf_ingest *g, const json_t *arr, int wi, int *npts)
{
	json_t		*out = json_array(), *p;
	size_t		 j;
	char		 why[120];

	*npts = 0;
	json_array_foreach(arr, j, p) {
		json_t		*o;
		int64_t		 ms;
		int		 off;
		bool		 ho;
		double		 lat, lon;
		const char	*tk;

		tk = json_object_get(p, "timestamp") ? "timestamp" : "date";
		lat = pf_hae_item_num(p, "latitude");
		lon = pf_hae_item_num(p, "longitude");
		if (!isfinite(lat))
			lat = pf_hae_item_num(p, "lat");
		if (!isfinite(lon))
			lon = pf_hae_item_num(p, "lon");
		if (!json_is_object(p) || pf_hae_item_date(p, tk, &ms, &off,
		    &ho) != 0 || !isfinite(lat) || !isfinite(lon) ||
		    fabs(lat) > 90 || fabs(lon) > 180) {
			snprintf(why, sizeof(why), "route[%zu]: missing or "
			    "unparseable timestamp or position", j);
			on_error(g, "workouts", NULL, wi, why);
			continue;
		}
		o = json_pack("{s:I, s:f, s:f}", "t", (json_int_t)ms, "lat",
		    lat, "lon", lon);
		if (o == NULL)
			continue;
#define OPT(k, n) do { double x_ = pf_hae_item_num(p, k); \
	if (isfinite(x_)) json_object_set_new(o, n, json_real(x_)); } while (0)
		OPT("altitude", "alt");
		OPT("speed", "speed");
		OPT("course", "course");
		OPT("horizontalAccuracy", "h_acc");
		OPT("verticalAccuracy", "v_acc");
		OPT("speedAccuracy", "speed_acc");
		OPT("courseAccuracy", "course_acc");
#undef OPT
		json_array_append_new(out, o);
		(*npts)++;
	}
	return out;
}

/* A time series [{date, qty, units, source}] in SI, or NULL if not one. */
static json_t *
qty_series(struct pf_ingest *g, const json_t *arr, int wi, const char *what)
{
	json_t		*out, *p;
	size_t		 j;
	char		 why[120];

	p = json_array_get(arr, 0);
	if (!json_is_object(p) || json_object_get(p, "qty") == NULL)
		return NULL;
	out = json_array();
	json_array_foreach(arr, j, p) {
		json_t		*q, *o;
		int64_t		 ms;
		int		 off;
		bool		 ho;

		if (!json_is_object(p) || pf_hae_item_date(p, "date", &ms,
		    &off, &ho) != 0 || (q = pf_hae_qty_si(p, NULL)) == NULL) {
			snprintf(why, sizeof(why), "%s[%zu]: missing or "
			    "unparseable date or qty", what, j);
			on_error(g, "workouts", NULL, wi, why);
			continue;
		}
		o = json_pack("{s:I}", "t", (json_int_t)ms);
		json_object_update(o, q);
		json_decref(q);
		if (pf_hae_item_str(p, "source"))
			json_object_set_new(o, "source", json_string(
			    pf_hae_item_str(p, "source")));
		json_array_append_new(out, o);
	}
	return out;
}

static char *
dump_or_null(json_t *v)
{
	char	*s = NULL;

	if (v != NULL && !(json_is_object(v) && json_object_size(v) == 0) &&
	    !(json_is_array(v) && json_array_size(v) == 0))
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	return s;
}

static int
on_workout(void *arg, json_t *w, int index)
{
	struct pf_ingest	*g = arg;
	struct count		*c = count_of(g, "workouts", NULL);
	json_t			*summary = json_object(), *series =
				    json_object(), *meta = json_object();
	json_t			*hr = NULL, *hrr = NULL, *route = NULL, *v;
	const char		*k, *name, *id;
	char			 key[256], st[40], en[40], off[16], dur[32];
	char			 fmt[4], npts[16], *s[7] = { 0 };
	const char		*pv[17];
	int64_t			 sms, ems;
	int			 o, eo, n = 0, r = 0, format;
	bool			 ho, eho, has_end;

	name = pf_hae_item_str(w, "name");
	id = pf_hae_item_str(w, "id");
	if (pf_hae_item_date(w, "start", &sms, &o, &ho) != 0) {
		on_error(g, "workouts", NULL, index, "missing or unparseable "
		    "start");
		goto out;
	}
	has_end = pf_hae_item_date(w, "end", &ems, &eo, &eho) == 0;
	if (!has_end && json_object_get(w, "end") != NULL) {
		on_error(g, "workouts", NULL, index, "unparseable end");
		goto out;
	}
	format = id != NULL || json_object_get(w, "activeEnergyBurned") ?
	    2 : 1;
	if (id != NULL)
		snprintf(key, sizeof(key), "%.200s", id);
	else
		snprintf(key, sizeof(key), "%.150s@%s", name ? name : "",
		    pf_hae_item_str(w, "start"));
	json_object_foreach(w, k, v) {
		json_t	*q;

		if (strcmp(k, "id") == 0 || strcmp(k, "name") == 0 ||
		    strcmp(k, "start") == 0 || strcmp(k, "end") == 0 ||
		    strcmp(k, "duration") == 0 || strcmp(k, "location") == 0)
			continue;
		if (strcmp(k, "heartRateData") == 0 && json_is_array(v)) {
			hr = hr_series(g, v, index, k);
			continue;
		}
		if (strcmp(k, "heartRateRecovery") == 0 && json_is_array(v)) {
			hrr = hr_series(g, v, index, k);
			continue;
		}
		if (strcmp(k, "route") == 0 && json_is_array(v)) {
			route = route_of(g, v, index, &n);
			continue;
		}
		if (strcmp(k, "elevation") == 0 && json_is_object(v)) {
			/* v1: {ascent, descent, units} */
			const char	*u = pf_hae_item_str(v, "units");

			if ((q = pf_hae_qty_si(json_object_get(v, "ascent"),
			    u)) != NULL)
				json_object_set_new(summary, "elevationUp", q);
			if ((q = pf_hae_qty_si(json_object_get(v, "descent"),
			    u)) != NULL)
				json_object_set_new(summary, "elevationDown",
				    q);
			continue;
		}
		if (json_is_object(v) && json_object_get(v, "qty") != NULL &&
		    (q = pf_hae_qty_si(v, NULL)) != NULL) {
			json_object_set_new(summary, k, q);
			continue;
		}
		if (json_is_array(v) && (q = qty_series(g, v, index, k)) !=
		    NULL) {
			json_object_set_new(series, k, q);
			continue;
		}
		json_object_set(meta, k, v);
	}
	ts_text(st, sizeof(st), true, sms);
	ts_text(en, sizeof(en), has_end, ems);
	snprintf(off, sizeof(off), "%d", o);
	num_text(dur, sizeof(dur), pf_hae_item_num(w, "duration"));
	if (dur[0] == '\0' && has_end)
		snprintf(dur, sizeof(dur), "%.3f", (double)(ems - sms) / 1000);
	snprintf(fmt, sizeof(fmt), "%d", format);
	snprintf(npts, sizeof(npts), "%d", n);
	s[0] = dump_or_null(summary);
	s[1] = dump_or_null(hr);
	s[2] = dump_or_null(hrr);
	s[3] = dump_or_null(series);
	s[4] = dump_or_null(route);
	s[5] = dump_or_null(meta);
	pv[0] = g->uid; pv[1] = key; pv[2] = fmt; pv[3] = name;
	pv[4] = st; pv[5] = NULLIFE(en); pv[6] = ho ? off : NULL;
	pv[7] = NULLIFE(dur); pv[8] = pf_hae_item_str(w, "location");
	pv[9] = s[0]; pv[10] = s[1]; pv[11] = s[2]; pv[12] = s[3];
	pv[13] = s[4]; pv[14] = npts; pv[15] = s[5]; pv[16] = g->idtext;
	r = upsert_one(g, c, sql_workout, 17, pv);
out:
	for (o = 0; o < 7; o++)
		free(s[o]);
	json_decref(summary);
	json_decref(series);
	json_decref(meta);
	json_decref(hr);
	json_decref(hrr);
	json_decref(route);
	return r;
}

static int
on_ecg(void *arg, json_t *e, int index)
{
	struct pf_ingest	*g = arg;
	static const char *const read[] = { "start", "end", "classification",
	    "severity", "averageHeartRate", "samplingFrequency",
	    "numberOfVoltageMeasurements", "voltageMeasurements", "source",
	    NULL };
	json_t			*volts = json_array(), *p, *extra;
	const char		*unit = NULL, *si, *src, *const *kk;
	char			 st[40], en[40], off[16], hr[32], hz[32];
	char			 nv[16], *vs = NULL, *xs = NULL;
	const char		*pv[14];
	int64_t			 sms, ems;
	int			 o, eo, r = 0;
	bool			 ho, eho, has_end;
	size_t			 j;
	double			 f = 1, a = 0;

	if (pf_hae_item_date(e, "start", &sms, &o, &ho) != 0) {
		on_error(g, "ecg", NULL, index, "missing or unparseable start");
		goto out;
	}
	has_end = pf_hae_item_date(e, "end", &ems, &eo, &eho) == 0;
	json_array_foreach(json_object_get(e, "voltageMeasurements"), j, p) {
		double	v = pf_hae_item_num(p, "voltage");

		if (unit == NULL && (unit = pf_hae_item_str(p, "units")) !=
		    NULL && !pf_hae_unit_si(unit, &si, &f, &a)) {
			f = 1;
			a = 0;
		}
		if (!isfinite(v) && json_is_number(p))
			v = json_number_value(p);
		json_array_append_new(volts, isfinite(v) ?
		    json_real(v * f + a) : json_null());
	}
	extra = json_copy(e);
	for (kk = read; *kk != NULL; kk++)
		json_object_del(extra, *kk);
	xs = dump_or_null(extra);
	json_decref(extra);
	vs = json_dumps(volts, JSON_COMPACT);
	src = pf_hae_item_str(e, "source");
	ts_text(st, sizeof(st), true, sms);
	ts_text(en, sizeof(en), has_end, ems);
	snprintf(off, sizeof(off), "%d", o);
	num_text(hr, sizeof(hr), pf_hae_item_num(e, "averageHeartRate"));
	num_text(hz, sizeof(hz), pf_hae_item_num(e, "samplingFrequency"));
	snprintf(nv, sizeof(nv), "%zu", json_array_size(volts));
	pv[0] = g->uid; pv[1] = st; pv[2] = src ? src : "";
	pv[3] = NULLIFE(en); pv[4] = ho ? off : NULL;
	pv[5] = pf_hae_item_str(e, "classification");
	pv[6] = pf_hae_item_str(e, "severity");
	pv[7] = NULLIFE(hr); pv[8] = NULLIFE(hz); pv[9] = nv; pv[10] = vs;
	pv[11] = unit; pv[12] = xs; pv[13] = g->idtext;
	r = upsert_one(g, count_of(g, "ecg", NULL), sql_ecg, 14, pv);
out:
	free(vs);
	free(xs);
	json_decref(volts);
	return r;
}

static int
on_event(void *arg, const char *kind, json_t *e, int index)
{
	struct pf_ingest	*g = arg;
	static const char *const starts[] = { "start", "date", "startDate",
	    "scheduledDate", "timestamp", NULL };
	static const char *const ends[] = { "end", "endDate", NULL };
	static const char *const keys[] = { "id", "name", "displayText",
	    "nickname", NULL };
	const char		*const *kk, *key = "";
	char			 st[40], en[40], off[16], *data;
	const char		*pv[8];
	int64_t			 sms = 0, ems = 0;
	int			 o = 0, eo, r;
	bool			 ho = false, eho, has_start = false;
	bool			 has_end = false;

	for (kk = starts; *kk != NULL && !has_start; kk++)
		if (json_object_get(e, *kk) != NULL) {
			if (pf_hae_item_date(e, *kk, &sms, &o, &ho) != 0) {
				char	why[80];

				snprintf(why, sizeof(why), "unparseable %s",
				    *kk);
				on_error(g, kind, NULL, index, why);
				return 0;
			}
			has_start = true;
		}
	if (!has_start) {
		on_error(g, kind, NULL, index, "no start date");
		return 0;
	}
	for (kk = ends; *kk != NULL && !has_end; kk++)
		if (json_object_get(e, *kk) != NULL)
			has_end = pf_hae_item_date(e, *kk, &ems, &eo,
			    &eho) == 0;
	for (kk = keys; *kk != NULL; kk++)
		if (pf_hae_item_str(e, *kk) != NULL) {
			key = pf_hae_item_str(e, *kk);
			break;
		}
	ts_text(st, sizeof(st), true, sms);
	ts_text(en, sizeof(en), has_end, ems);
	snprintf(off, sizeof(off), "%d", o);
	data = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
	pv[0] = g->uid; pv[1] = kind; pv[2] = st; pv[3] = key;
	pv[4] = NULLIFE(en); pv[5] = ho ? off : NULL; pv[6] = data;
	pv[7] = g->idtext;
	r = upsert_one(g, count_of(g, kind, NULL), sql_event, 8, pv);
	free(data);
	return r;
}

struct pf_ingest *
pf_ingest_new(struct pf_db *db, const char *uid, int64_t id)
{
	struct pf_ingest	*g;
	struct pf_hae_sink	 sink;
	struct pf_buf		 u = PF_BUF_INIT;
	int64_t			 now = pf_time_now_ms();
	int			 i, m;

	if (pf_db_exec(db, NULL, sql_stage, 0, NULL) != PF_OK)
		return NULL;
	g = pf_xcalloc(1, sizeof(*g));
	g->db = db;
	snprintf(g->uid, sizeof(g->uid), "%s", uid);
	snprintf(g->idtext, sizeof(g->idtext), "%" PRId64, id);
	copy_str(&u, uid);
	pf_buf_add(&u, "", 1);
	snprintf(g->uidcopy, sizeof(g->uidcopy), "%s", u.p);
	pf_buf_free(&u);
	g->errors = json_array();
	memset(&sink, 0, sizeof(sink));
	sink.arg = g;
	sink.sample = on_sample;
	sink.night = on_night;
	sink.workout = on_workout;
	sink.ecg = on_ecg;
	sink.event = on_event;
	sink.error = on_error;
	if ((g->hae = pf_hae_new(&sink)) == NULL) {
		pf_ingest_free(g);
		return NULL;
	}
	/* the partitions of this month and the next three, made ahead */
	if ((m = month_index(now)) >= 0)
		for (i = m; i < m + 4 && i < NMONTHS; i++)
			BIT_SET(g->want, i);
	return g;
}

int
pf_ingest_feed(struct pf_ingest *g, const void *buf, size_t len)
{
	if (g->dberr != 0)
		return g->dberr;
	(void)pf_hae_feed(g->hae, buf, len);	/* a parse error: finish */
	return g->dberr;
}

static json_t *
counts_json(struct pf_ingest *g, json_t **unknown)
{
	json_t	*o = json_object(), *metrics = json_object();
	size_t	 i;

	*unknown = json_object();
	for (i = 0; i < g->ncounts; i++) {
		struct count	*c = &g->counts[i];
		json_t		*e = json_pack("{s:I, s:I, s:I}", "accepted",
		    (json_int_t)c->accepted, "duplicate",
		    (json_int_t)c->duplicate, "rejected",
		    (json_int_t)c->rejected);

		if (c->name != NULL) {
			json_object_set_new(metrics, c->name, e);
			if (!c->known)
				json_object_set_new(*unknown, c->name,
				    json_integer((json_int_t)(c->accepted +
				    c->duplicate)));
		} else if (c->name == NULL && strcmp(c->section, "metrics"))
			json_object_set_new(o, c->section, e);
		else
			json_decref(e);
	}
	json_object_set_new(o, "metrics", metrics);
	return o;
}

/* Marks the user for analyticsd when an input it reads was stored. */
static int
mark_analytics(struct pf_ingest *g)
{
	const char	*pv[1] = { g->uid };
	size_t		 i, k;

	for (i = 0; i < g->ncounts && !g->marked; i++) {
		if (g->counts[i].accepted == 0 || g->counts[i].name == NULL ||
		    strcmp(g->counts[i].section, "metrics") != 0)
			continue;
		for (k = 0; k < sizeof(analytics_metrics) /
		    sizeof(analytics_metrics[0]); k++)
			if (strcmp(g->counts[i].name, analytics_metrics[k]) == 0)
				g->marked = true;
	}
	return g->marked ? pf_db_exec(g->db, NULL, sql_mark, 1, pv) : PF_OK;
}

int
pf_ingest_finish(struct pf_ingest *g, bool replay, json_t **report,
    int *http_status)
{
	json_t		*counts, *unknown, *rep, *shown;
	const char	*status, *parse_err = NULL;
	char		*cs = NULL, *es = NULL, nerr[24];
	const char	*pv[7];
	uint64_t	 stored = 0;
	size_t		 i;
	int		 r;

	*report = NULL;
	if (g->dberr == 0 && pf_hae_finish(g->hae) != 0 && g->dberr == 0)
		parse_err = pf_hae_errmsg(g->hae);
	if (g->dberr == 0 && flush(g) == PF_OK)
		(void)batch_wait(g);
	if (g->dberr != 0)
		return g->dberr;
	for (i = 0; i < g->ncounts; i++)
		stored += g->counts[i].accepted + g->counts[i].duplicate;
	if (parse_err != NULL && stored == 0)
		status = "error";
	else if (parse_err != NULL || g->nerrors > 0)
		status = stored > 0 || g->nerrors == 0 ? "partial_success" :
		    "error";
	else
		status = "processed";
	counts = counts_json(g, &unknown);
	if (parse_err != NULL)
		json_object_set_new(counts, "parse_error",
		    json_string(parse_err));
	json_object_set_new(counts, "unknown_metrics", unknown);
	json_object_set_new(counts, "sections",
	    json_integer(pf_hae_sections(g->hae)));
	if ((r = mark_analytics(g)) != PF_OK) {
		json_decref(counts);
		db_failed(g, r);
		return r;
	}
	cs = json_dumps(counts, JSON_COMPACT);
	es = json_dumps(g->errors, JSON_COMPACT);
	snprintf(nerr, sizeof(nerr), "%" PRIu64, g->nerrors);
	pv[0] = g->uid; pv[1] = g->idtext; pv[2] = status; pv[3] = cs;
	pv[4] = es; pv[5] = nerr; pv[6] = replay ? "1" : "0";
	r = pf_db_exec(g->db, NULL, sql_result, 7, pv);
	free(cs);
	free(es);
	if (r != PF_OK) {
		json_decref(counts);
		db_failed(g, r);
		return r;
	}
	shown = json_array();
	for (i = 0; i < json_array_size(g->errors) &&
	    i < PF_INGEST_ERRORS_SHOWN; i++)
		json_array_append(shown, json_array_get(g->errors, i));
	rep = json_pack("{s:I, s:s, s:o, s:I, s:o}", "ingestion_id",
	    (json_int_t)strtoll(g->idtext, NULL, 10), "processing_status",
	    status, "errors", shown, "error_count", (json_int_t)g->nerrors,
	    "samples_stored", json_integer((json_int_t)g->samples));
	json_object_update(rep, counts);
	json_decref(counts);
	*report = rep;
	*http_status = strcmp(status, "processed") == 0 ? 200 :
	    strcmp(status, "error") == 0 ? 422 : 207;
	return PF_OK;
}

void
pf_ingest_free(struct pf_ingest *g)
{
	size_t	i;

	if (g == NULL)
		return;
	if (g->pending) {
		PGresult	*res;

		while ((res = PQgetResult(pf_db_conn(g->db))) != NULL)
			PQclear(res);
	}
	if (pf_db_in_tx(g->db))
		(void)pf_db_rollback(g->db);
	pf_hae_free(g->hae);
	pf_buf_free(&g->copy);
	free(g->keys);
	for (i = 0; i < g->ncounts; i++) {
		free(g->counts[i].section);
		free(g->counts[i].name);
	}
	free(g->counts);
	json_decref(g->errors);
	free(g);
}

bool
pf_ingest_marked(const struct pf_ingest *g)
{
	return g->marked;
}

uint64_t
pf_ingest_samples(const struct pf_ingest *g)
{
	return g->samples;
}
