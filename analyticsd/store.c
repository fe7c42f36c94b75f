/*
 * store.c -- all SQL of polarflow-analyticsd.
 *
 * Reads: a user's raw streams with one statement (one snapshot).
 * Writes: every result of one run with one statement (plus a COPY of the
 * daily rows in the same transaction for big rewrites), so apid never sees
 * a half-updated user.  Both are prepared once per connection.  apid only
 * SELECTs what is written here: user_baselines (with the anomaly bounds),
 * pattern_analyses, analytics_alerts, analytics_daily and
 * analytics_documents.  Their shapes (the daily rows' details, the
 * documents) are described once, under WHAT IS STORED in
 * man/polarflow-analyticsd.8.
 *
 * analytics_state: analytics_run_at is set to the data_changed_at seen by
 * the read snapshot, so a change committed during the run leaves the user
 * stale and it is run again; analytics_started_at to the time of that
 * snapshot, from which the next run looks for changed rows (less a margin)
 * to know from which day the daily series must be rewritten.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "analyticsd/analyticsd.h"

/*
 * Rows stamped up to this long before the previous run started count as
 * changed since: a writer's transaction stamps updated_at when it starts
 * and may commit after our snapshot.
 */
#define DIRTY_MARGIN	"1 minute"
#define SINCE		"(SELECT since FROM t)"

/*
 * Everything one run reads, in one statement (one snapshot, one round
 * trip).  $1 user, $2 1 to rewrite every day ("full"), $3 today.  Rows by
 * k, with g = the row was updated since the previous run's snapshot (less
 * DIRTY_MARGIN for writers that committed late; always true when the user
 * never ran):
 *
 *	0  state: t1 = data_changed_at seen, t2 = now() (the snapshot's
 *	   time), g = never ran
 *	2  sleep: a score, b total seconds, c goal seconds, e start (epoch
 *	   ms), f start offset (minutes)
 *	3  nightly recharge: a hrv_avg, b heart_rate_avg, c ans_charge
 *	4  activity: a steps, b calories_active
 *	5  cardio load: a cardio_load, b cardio_load_ratio
 *	6  exercise: a sum of training_load, by local start day
 *	7  continuous HR: a resting HR (Polar's estimate, else the value an
 *	   earlier run computed, when the row has not changed since), t1 the
 *	   samples when that is missing and the day is within the last 90
 *	8  physical info: a the newest sleep goal
 *	9  HRV sessions with a morning tag ($4, hrv_morning_tags): a the
 *	   geometric mean RMSSD of the day's valid ones, by local day
 *	10-13 Apple Health samples (health_samples) by local day, in Polar's
 *	   units: 10 steps, 11 active energy (kcal), both summed per source;
 *	   12 resting HR (bpm), 13 HRV SDNN (ms), both averaged per source;
 *	   a the largest source's value (Watch and iPhone count the same
 *	   steps: adding them would count them twice)
 *	14 Apple Health sleep nights: a total sleep seconds (the longest
 *	   source's), e its start (epoch ms), f its offset
 */
static const char q_load[] =
    "WITH st AS (SELECT data_changed_at, analytics_started_at "
    " FROM analytics_state WHERE user_id = $1), "
    "t AS (SELECT coalesce((SELECT analytics_started_at FROM st) - "
    " interval '" DIRTY_MARGIN "', 'infinity') AS since, "
    " $2::int = 1 OR (SELECT analytics_started_at FROM st) IS NULL AS everything) "
    "SELECT 0 AS k, NULL::int AS d, NULL::float8 AS a, "
    " NULL::float8 AS b, NULL::float8 AS c, NULL::bigint AS e, NULL::int AS f, "
    " coalesce((SELECT data_changed_at FROM st), '-infinity')::text AS t1, "
    " now()::text AS t2, (SELECT everything FROM t) AS g "
    "UNION ALL SELECT 2, date - DATE '1970-01-01', sleep_score, "
    " total_sleep_seconds, sleep_goal_seconds, "
    " (extract(epoch FROM sleep_start_time) * 1000)::bigint, "
    " coalesce(sleep_start_offset_minutes, 0), NULL, NULL, "
    " updated_at >= " SINCE " FROM sleep WHERE user_id = $1 "
    "UNION ALL SELECT 3, date - DATE '1970-01-01', hrv_avg, heart_rate_avg, "
    " ans_charge, NULL, NULL, NULL, NULL, updated_at >= " SINCE
    " FROM nightly_recharge WHERE user_id = $1 "
    "UNION ALL SELECT 4, date - DATE '1970-01-01', steps, calories_active, "
    " NULL, NULL, NULL, NULL, NULL, updated_at >= " SINCE
    " FROM activity WHERE user_id = $1 "
    "UNION ALL SELECT 5, date - DATE '1970-01-01', cardio_load, "
    " cardio_load_ratio, NULL, NULL, NULL, NULL, NULL, "
    " updated_at >= " SINCE " FROM cardio_load WHERE user_id = $1 "
    "UNION ALL SELECT 6, x.d, x.s, NULL, NULL, NULL, NULL, NULL, NULL, x.g "
    " FROM (SELECT ((start_time AT TIME ZONE 'UTC') + make_interval(mins => "
    " coalesce(start_offset_minutes, 0)))::date - DATE '1970-01-01' AS d, "
    " sum(training_load) AS s, bool_or(updated_at >= " SINCE ") AS g "
    " FROM exercise WHERE user_id = $1 AND training_load >= 0 "
    " GROUP BY 1) AS x "
    "UNION ALL SELECT 7, c.date - DATE '1970-01-01', "
    " coalesce(c.resting_hr_estimate::float8, a.value), NULL, NULL, NULL, "
    " NULL, CASE WHEN c.resting_hr_estimate IS NULL AND a.value IS NULL AND "
    " c.date >= DATE '1970-01-01' + $3::int - 90 THEN c.samples::text END, "
    " NULL, c.updated_at >= " SINCE
    " FROM continuous_heart_rate c LEFT JOIN analytics_daily a "
    " ON a.user_id = c.user_id AND a.metric_name = 'resting_hr_continuous' "
    " AND a.day = c.date AND NOT (SELECT everything FROM t) "
    " AND c.updated_at < " SINCE
    " WHERE c.user_id = $1 "
    "UNION ALL (SELECT 8, NULL, sleep_goal_seconds, NULL, NULL, NULL, NULL, "
    " NULL, NULL, NULL FROM physical_info WHERE user_id = $1 "
    " AND sleep_goal_seconds > 0 ORDER BY recorded_at DESC LIMIT 1) "
    "UNION ALL SELECT 9, x.d, exp(x.l), NULL, NULL, NULL, NULL, NULL, NULL, "
    " x.g FROM (SELECT ((recorded_at AT TIME ZONE 'UTC') + make_interval("
    " mins => utc_offset_minutes))::date - DATE '1970-01-01' AS d, "
    " avg(ln(rmssd)) AS l, bool_or(updated_at >= " SINCE ") AS g "
    " FROM hrv_sessions WHERE user_id = $1 AND valid AND rmssd > 0 "
    " AND EXISTS (SELECT 1 FROM unnest(tags) AS tg WHERE lower(tg) = "
    " ANY (SELECT btrim(x) FROM unnest(string_to_array(lower($4::text), "
    " ',')) AS x)) GROUP BY 1) AS x "
    "UNION ALL SELECT y.k, y.d, max(y.v), NULL, NULL, NULL, NULL, NULL, NULL, "
    " bool_or(y.g) FROM (SELECT CASE metric WHEN 'step_count' THEN 10 "
    " WHEN 'active_energy' THEN 11 WHEN 'resting_heart_rate' THEN 12 "
    " ELSE 13 END AS k, ((start_at AT TIME ZONE 'UTC') + make_interval("
    " mins => coalesce(utc_offset_min, 0)))::date - DATE '1970-01-01' AS d, "
    " CASE WHEN metric IN ('step_count', 'active_energy') THEN sum(v) "
    " ELSE avg(v) END AS v, bool_or(updated_at >= " SINCE ") AS g "
    " FROM (SELECT metric, start_at, utc_offset_min, source, updated_at, "
    " CASE WHEN metric = 'step_count' THEN value "
    " WHEN metric = 'active_energy' AND unit = 'J' THEN value / 4184 "
    " WHEN metric = 'resting_heart_rate' AND unit = '1/s' THEN value * 60 "
    " WHEN metric = 'heart_rate_variability' AND unit = 's' "
    " THEN value * 1000 END AS v FROM health_samples WHERE user_id = $1 "
    " AND metric IN ('step_count', 'active_energy', 'resting_heart_rate', "
    " 'heart_rate_variability')) AS s WHERE v IS NOT NULL "
    " GROUP BY metric, 2, source) AS y GROUP BY y.k, y.d "
    "UNION ALL (SELECT DISTINCT ON (day) 14, day - DATE '1970-01-01', "
    " coalesce(total_sleep_s, asleep_s), NULL, NULL, "
    " (extract(epoch FROM sleep_start) * 1000)::bigint, "
    " coalesce(utc_offset_min, 0), NULL, NULL, "
    " bool_or(updated_at >= " SINCE ") OVER (PARTITION BY day) "
    " FROM health_sleep_nights WHERE user_id = $1 "
    " AND coalesce(total_sleep_s, asleep_s) > 0 "
    " ORDER BY day, coalesce(total_sleep_s, asleep_s) DESC)";

/*
 * Every result of a run in one statement: data-modifying CTEs run exactly
 * once whether read or not, and one statement is one atomic snapshot.
 * $1 user, $2 computed_at, $3 baselines [{m, v, b7, b30, b90, sd, med,
 * q1, q3, lo, hi, n, st, d0, d1, iqr, wlo, whi, clo, chi}] (lo/hi the
 * minimum and maximum, wlo/whi and clo/chi the warning and critical
 * bounds), $4 patterns [{t, name, mi, score, conf, sig, det, n}], $5
 * alerts [{m, d, sev, v, lo, hi, dir}], $6 daily rows [{m, d, v, j}], $7
 * the first rewritten day, $8 documents {kind: payload}, $9
 * data_changed_at seen, $10 duration, $11 snapshot time.
 * Alerts no longer flagged are cleared; daily rows from $7 on that are not
 * in $6 are deleted (all of them when $6 is empty and COPY follows).
 * Returns whether the user changed again meanwhile.
 */
#define REC_DAY(x)	"DATE '1970-01-01' + " x
static const char q_write[] =
    "WITH b AS (INSERT INTO user_baselines AS u (user_id, metric_name, "
    " baseline_value, baseline_7d, baseline_30d, baseline_90d, std_dev, "
    " median_value, q1, q3, min_value, max_value, sample_count, status, "
    " data_start_date, data_end_date, iqr, lower_bound, upper_bound, "
    " critical_lower_bound, critical_upper_bound, calculated_at, "
    " updated_at) "
    " SELECT $1, x.m, x.v, x.b7, x.b30, x.b90, x.sd, x.med, x.q1, x.q3, x.lo, "
    " x.hi, x.n, x.st, " REC_DAY("x.d0") ", " REC_DAY("x.d1") ", x.iqr, "
    " x.wlo, x.whi, x.clo, x.chi, $2, now() "
    " FROM jsonb_to_recordset($3::jsonb) AS x (m text, v float8, b7 float8, "
    " b30 float8, b90 float8, sd float8, med float8, q1 float8, q3 float8, "
    " lo float8, hi float8, n int, st text, d0 int, d1 int, iqr float8, "
    " wlo float8, whi float8, clo float8, chi float8) "
    " ON CONFLICT (user_id, metric_name) DO UPDATE SET "
    " baseline_value = excluded.baseline_value, "
    " baseline_7d = excluded.baseline_7d, "
    " baseline_30d = excluded.baseline_30d, "
    " baseline_90d = excluded.baseline_90d, std_dev = excluded.std_dev, "
    " median_value = excluded.median_value, q1 = excluded.q1, "
    " q3 = excluded.q3, min_value = excluded.min_value, "
    " max_value = excluded.max_value, sample_count = excluded.sample_count, "
    " status = excluded.status, data_start_date = excluded.data_start_date, "
    " data_end_date = excluded.data_end_date, iqr = excluded.iqr, "
    " lower_bound = excluded.lower_bound, "
    " upper_bound = excluded.upper_bound, "
    " critical_lower_bound = excluded.critical_lower_bound, "
    " critical_upper_bound = excluded.critical_upper_bound, "
    " calculated_at = excluded.calculated_at, updated_at = now()), "
    "p AS (INSERT INTO pattern_analyses (user_id, pattern_type, "
    " pattern_name, metrics_involved, analysis_window_days, score, "
    " confidence, significance, details, sample_count, analyzed_at, "
    " updated_at) "
    " SELECT $1, x.t, x.name, x.mi, 30, x.score, x.conf, x.sig, x.det, x.n, "
    " $2, now() FROM jsonb_to_recordset($4::jsonb) AS x (t text, name text, "
    " mi jsonb, score float8, conf float8, sig text, det jsonb, n int) "
    " ON CONFLICT (user_id, pattern_type, pattern_name) DO UPDATE SET "
    " metrics_involved = excluded.metrics_involved, score = excluded.score, "
    " confidence = excluded.confidence, "
    " significance = excluded.significance, details = excluded.details, "
    " sample_count = excluded.sample_count, "
    " analyzed_at = excluded.analyzed_at, updated_at = now()), "
    "al AS (SELECT x.* FROM jsonb_to_recordset($5::jsonb) AS x (m text, "
    " d int, sev text, v float8, lo float8, hi float8, dir text)), "
    "a AS (INSERT INTO analytics_alerts (user_id, metric_name, day, "
    " severity, value, lower_bound, upper_bound, direction, first_seen_at, "
    " last_seen_at) SELECT $1, al.m, " REC_DAY("al.d") ", al.sev, al.v, "
    " al.lo, al.hi, al.dir, $2, $2 FROM al "
    " ON CONFLICT (user_id, metric_name, day) DO UPDATE SET "
    " severity = excluded.severity, value = excluded.value, "
    " lower_bound = excluded.lower_bound, "
    " upper_bound = excluded.upper_bound, direction = excluded.direction, "
    " last_seen_at = excluded.last_seen_at, cleared_at = NULL), "
    "ac AS (UPDATE analytics_alerts AS t SET cleared_at = $2 "
    " WHERE t.user_id = $1 AND t.cleared_at IS NULL AND NOT EXISTS ("
    " SELECT 1 FROM al WHERE al.m = t.metric_name "
    " AND " REC_DAY("al.d") " = t.day)), "
    "dl AS (SELECT x.* FROM jsonb_to_recordset($6::jsonb) AS x (m text, "
    " d int, v float8, j jsonb)), "
    "dd AS (DELETE FROM analytics_daily AS t WHERE t.user_id = $1 "
    " AND t.day >= " REC_DAY("$7::int") " AND NOT EXISTS ("
    " SELECT 1 FROM dl WHERE dl.m = t.metric_name "
    " AND " REC_DAY("dl.d") " = t.day)), "
    "di AS (INSERT INTO analytics_daily (user_id, metric_name, day, value, "
    " details, computed_at) SELECT $1, dl.m, " REC_DAY("dl.d") ", dl.v, "
    " dl.j, $2 FROM dl ON CONFLICT (user_id, metric_name, day) DO UPDATE "
    " SET value = excluded.value, details = excluded.details, "
    " computed_at = excluded.computed_at), "
    "doc AS (INSERT INTO analytics_documents (user_id, kind, payload, "
    " computed_at) SELECT $1, d.key, d.value, $2 "
    " FROM jsonb_each($8::jsonb) AS d ON CONFLICT (user_id, kind) DO UPDATE "
    " SET payload = excluded.payload, computed_at = excluded.computed_at), "
    "st AS (UPDATE analytics_state SET analytics_run_at = $9::timestamptz, "
    " analytics_started_at = $11::timestamptz, last_duration_ms = $10, "
    " last_error = NULL, run_count = run_count + 1 "
    " WHERE user_id = $1 RETURNING data_changed_at > $9::timestamptz AS s) "
    /* analytics.updated for the webhooks out, in this very write */
    "SELECT s, pf_webhook_emit('analytics.updated', $1, jsonb_build_object("
    " 'from', CASE WHEN $7::int > -1000000 THEN (DATE '1970-01-01' + "
    " $7::int)::text END, 'computed_at', $2::text)) FROM st";

/*
 * A big rewrite (a new user, "full") streams its daily rows with COPY
 * after q_write has deleted the old ones, in the same transaction: a year
 * of series is thousands of rows and COPY is several times cheaper.
 */
#define COPY_MIN_ROWS	200
static const char q_daily_copy[] =
    "COPY analytics_daily (user_id, metric_name, day, value, details, "
    "computed_at) FROM STDIN";

static const char q_state_fail[] =
    "UPDATE analytics_state SET last_error = $2 WHERE user_id = $1";

static const char q_stale[] =
    "SELECT user_id FROM analytics_state "
    "WHERE data_changed_at > coalesce(analytics_run_at, '-infinity') "
    "ORDER BY data_changed_at";

static const char q_all[] =
    "SELECT user_id FROM analytics_state ORDER BY user_id";

static const char q_stale_count[] =
    "SELECT count(*) FROM analytics_state "
    "WHERE data_changed_at > coalesce(analytics_run_at, '-infinity')";

static const char q_outdated[] =
    "SELECT user_id FROM analytics_documents WHERE kind = 'insights' "
    "AND (computed_at AT TIME ZONE 'UTC')::date < DATE '1970-01-01' + $1::int";

/*
 * The documents of no user in particular (user_id '', which no user can
 * have): what apid serves for a user analyticsd has not run for.  A row is
 * rewritten only when its payload changed, so a reconcile pass that finds
 * them current writes nothing.
 */
static const char q_defaults[] =
    "INSERT INTO analytics_documents AS t (user_id, kind, payload, "
    " computed_at) SELECT '', d.key, d.value, now() "
    " FROM jsonb_each($1::jsonb) AS d ON CONFLICT (user_id, kind) DO UPDATE "
    " SET payload = excluded.payload, computed_at = excluded.computed_at "
    " WHERE t.payload IS DISTINCT FROM excluded.payload";

/*
 * The statements of every run are prepared once per connection: planning
 * the load statement alone costs more than executing it.  A new
 * connection (pf_db reconnects by itself) is noticed by its backend pid.
 */
enum stmt {
	S_LOAD = 0, S_WRITE, S_NSTMTS
};

static const struct {
	const char	*name;
	const char	*sql;
} stmts[S_NSTMTS] = {
	[S_LOAD] = { "ad_load", q_load },
	[S_WRITE] = { "ad_write", q_write },
};

static PGconn	*prep_conn;
static int	 prep_pid;
static unsigned	 prep_done;

static int
exec_stmt(struct pf_db *db, enum stmt id, PGresult **out, int nparams,
    const char *const *params)
{
	PGconn		*conn = pf_db_conn(db);
	PGresult	*r;
	const char	*state;
	int		 rc;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return pf_db_exec(db, out, stmts[id].sql, nparams, params);
	if (conn != prep_conn || PQbackendPID(conn) != prep_pid) {
		prep_conn = conn;
		prep_pid = PQbackendPID(conn);
		prep_done = 0;
	}
	if ((prep_done & (1u << id)) == 0) {
		r = PQprepare(conn, stmts[id].name, stmts[id].sql, nparams,
		    NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			pf_log_warnx("could not prepare %s: %s", stmts[id].name,
			    PQresultErrorMessage(r));
			rc = PQstatus(conn) != CONNECTION_OK ? PF_ERR_DB_CONN :
			    pf_db_sqlstate_err(state);
			PQclear(r);
			return rc;
		}
		PQclear(r);
		prep_done |= 1u << id;
	}
	r = PQexecPrepared(conn, stmts[id].name, nparams, params, NULL, NULL,
	    0);
	if (PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (out != NULL)
			*out = r;
		else
			PQclear(r);
		return PF_OK;
	}
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (PQstatus(conn) != CONNECTION_OK)
		rc = PF_ERR_DB_CONN;
	else
		rc = pf_db_sqlstate_err(state);
	if (state != NULL && strcmp(state, "26000") == 0)
		prep_done = 0;
	pf_log_warnx("%s failed: %s", stmts[id].name, PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

static double
cell(const PGresult *res, int row, int col)
{
	double	v;

	if (pf_db_get_double(res, row, col, &v) != PF_OK)
		return NAN;
	return v;
}

/* One day of continuous HR samples -> resting HR (NaN when none). */
static double
chr_from_samples(const char *text)
{
	struct hr_sample	*s;
	json_t			*doc, *e;
	const char		*t;
	double			 bpm, rhr = NAN;
	size_t			 i, n, k = 0;
	int			 sec;

	if (text == NULL || pf_json_parse(text, strlen(text), 0, &doc, NULL,
	    0) != PF_OK)
		return NAN;
	if (!json_is_array(doc)) {
		json_decref(doc);
		return NAN;
	}
	n = json_array_size(doc);
	s = pf_xreallocarray(NULL, n ? n : 1, sizeof(*s));
	for (i = 0; i < n; i++) {
		e = json_array_get(doc, i);
		if (!json_is_object(e) ||
		    pf_json_get_double(e, "heart_rate", &bpm) != PF_OK ||
		    pf_json_get_str(e, "sample_time", &t) != PF_OK ||
		    pf_time_parse_clock(t, strlen(t), &sec) != PF_OK)
			continue;
		s[k].t_s = sec;
		s[k].bpm = bpm;
		k++;
	}
	rhr_daily(s, k, &rhr);
	free(s);
	json_decref(doc);
	return rhr;
}

int
store_load(struct pf_db *db, const char *user_id, int32_t today,
    int32_t dirty_from, struct user_input *in)
{
	PGresult	*r = NULL;
	const char	*p[4];
	char		 tbuf[16];
	int64_t		 ms;
	int		 rc, i, n, k, day, off;
	int32_t		 changed = INT32_MAX;
	double		 a, b, c;
	bool		 g, everything = false, prefer_apple;
	struct series	 ap[5];	/* steps, kcal, resting HR, sleep, bedtime */

	memset(in, 0, sizeof(*in));
	memset(ap, 0, sizeof(ap));
	snprintf(in->user_id, sizeof(in->user_id), "%s", user_id);
	in->today = today;
	in->now_ms = pf_time_now_ms();
	in->sleep_goal_profile = NAN;
	snprintf(in->data_changed_at, sizeof(in->data_changed_at), "-infinity");

	snprintf(tbuf, sizeof(tbuf), "%d", (int)today);
	p[0] = user_id;
	p[1] = dirty_from == AD_DAY_ALL ? "1" : "0";
	p[2] = tbuf;
	p[3] = env->cfg->hrv_morning_tags;
	if ((rc = exec_stmt(db, S_LOAD, &r, 4, p)) != PF_OK)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		if (pf_db_get_int(r, i, 0, &k) != PF_OK)
			continue;
		g = false;
		pf_db_get_bool(r, i, 9, &g);
		if (k == 0) {
			everything = g;
			if (pf_db_get_str(r, i, 7) != NULL)
				snprintf(in->data_changed_at,
				    sizeof(in->data_changed_at), "%s",
				    pf_db_get_str(r, i, 7));
			if (pf_db_get_str(r, i, 8) != NULL)
				snprintf(in->snapshot_at,
				    sizeof(in->snapshot_at), "%s",
				    pf_db_get_str(r, i, 8));
			continue;
		}
		if (k == 8) {
			in->sleep_goal_profile = cell(r, i, 2);
			continue;
		}
		if (pf_db_get_int(r, i, 1, &day) != PF_OK)
			continue;
		/* a session dated by its local day may be UTC's day before */
		if (g && (k == 6 ? day - 1 : day) < changed)
			changed = k == 6 ? day - 1 : day;
		a = cell(r, i, 2);
		b = cell(r, i, 3);
		c = cell(r, i, 4);
		switch (k) {
		case 2:
			series_push(&in->sleep_score, day, a);
			series_push(&in->sleep_total, day, b);
			if (isfinite(c))
				series_push(&in->sleep_goal, day, c);
			if (pf_db_get_int64(r, i, 5, &ms) == PF_OK &&
			    pf_db_get_int(r, i, 6, &off) == PF_OK)
				series_push(&in->bedtime, day,
				    sleep_bedtime_minutes(ms, off));
			break;
		case 3:
			series_push(&in->rc_hrv, day, a);
			series_push(&in->rc_rhr, day, b);
			series_push(&in->rc_ans, day, c);
			break;
		case 4:
			series_push(&in->steps, day, a);
			series_push(&in->cal_active, day, b);
			break;
		case 5:
			series_push(&in->cl_load, day, a);
			series_push(&in->cl_ratio, day, b);
			break;
		case 6:
			series_push(&in->ex_load, day, a);
			break;
		case 9:
			series_push(&in->hrv_morning, day, a);
			break;
		case 10:
		case 11:
		case 12:
			series_push(&ap[k - 10], day, a);
			break;
		case 13:
			series_push(&in->ap_sdnn, day, a);
			break;
		case 14:
			series_push(&ap[3], day, a);
			if (pf_db_get_int64(r, i, 5, &ms) == PF_OK &&
			    pf_db_get_int(r, i, 6, &off) == PF_OK)
				series_push(&ap[4], day,
				    sleep_bedtime_minutes(ms, off));
			break;
		case 7:
			if (!isfinite(a) || a <= 0)
				a = chr_from_samples(pf_db_get_str(r, i, 7));
			if (isfinite(a))
				series_push(&in->chr_rhr, day, a);
			break;
		default:
			break;
		}
	}
	PQclear(r);

	/* Apple Health's values beside Polar's (merge.c) */
	prefer_apple = strcmp(env->cfg->analytics_preferred_source,
	    "apple") == 0;
	for (i = 0; i < 5; i++)
		if (ap[i].n > 0)
			in->has_apple = true;
	if (in->ap_sdnn.n > 0)
		in->has_apple = true;
	merge_source(&in->steps, &ap[0], prefer_apple, &in->ap_steps);
	merge_source(&in->cal_active, &ap[1], prefer_apple, &in->ap_cal);
	merge_source(&in->rc_rhr, &ap[2], prefer_apple, &in->ap_rhr);
	merge_source(&in->chr_rhr, &ap[2], prefer_apple, NULL);
	merge_source(&in->sleep_total, &ap[3], prefer_apple, &in->ap_sleep);
	merge_source(&in->bedtime, &ap[4], prefer_apple, NULL);
	for (i = 0; i < 5; i++)
		free(ap[i].v);

	/*
	 * The first day whose daily rows are rewritten: every day for a new
	 * user or "full"; else the earliest changed row's or the job's own
	 * day; else yesterday (today's rows move on with the date).
	 */
	if (everything)
		in->dirty_from = AD_DAY_ALL;
	else {
		in->dirty_from = dirty_from == AD_DAY_NONE ? INT32_MAX :
		    dirty_from;
		if (changed < in->dirty_from)
			in->dirty_from = changed;
		if (in->dirty_from == INT32_MAX)
			in->dirty_from = today - 1;
	}
	return PF_OK;
}

struct write_ctx {
	const struct user_input	*in;
	const struct result	*res;
	int64_t			 duration_ms;
	bool			 still_stale;
};

static json_t *
baselines_json(const struct result *res)
{
	const struct baseline	*b;
	json_t			*arr, *o;
	double			 lo, hi, clo, chi;
	int			 m;

	arr = json_array();
	for (m = 0; m < BASELINE_NMETRICS; m++) {
		b = &res->base[m];
		o = json_object();
		json_object_set_new(o, "m",
		    json_string(baseline_metric_name(b->metric)));
		json_object_set_new(o, "v", json_real(isfinite(b->value) ?
		    b->value : 0.0));
		json_object_set_new(o, "b7", pf_json_real(b->mean_7d));
		json_object_set_new(o, "b30", pf_json_real(b->mean_30d));
		json_object_set_new(o, "b90", pf_json_real(b->mean_90d));
		json_object_set_new(o, "sd", pf_json_real(b->std_dev));
		json_object_set_new(o, "med", pf_json_real(b->median));
		json_object_set_new(o, "q1", pf_json_real(b->q1));
		json_object_set_new(o, "q3", pf_json_real(b->q3));
		json_object_set_new(o, "lo", pf_json_real(b->min));
		json_object_set_new(o, "hi", pf_json_real(b->max));
		(void)baseline_bounds(b, BASELINE_WARNING_IQR, &lo, &hi);
		(void)baseline_bounds(b, BASELINE_CRITICAL_IQR, &clo, &chi);
		json_object_set_new(o, "iqr", pf_json_real(b->q3 - b->q1));
		json_object_set_new(o, "wlo", pf_json_real(lo));
		json_object_set_new(o, "whi", pf_json_real(hi));
		json_object_set_new(o, "clo", pf_json_real(clo));
		json_object_set_new(o, "chi", pf_json_real(chi));
		json_object_set_new(o, "n",
		    json_integer((json_int_t)b->sample_count));
		json_object_set_new(o, "st",
		    json_string(baseline_status_name(b->status)));
		json_object_set_new(o, "d0", b->has_range ?
		    json_integer(b->start_day) : json_null());
		json_object_set_new(o, "d1", b->has_range ?
		    json_integer(b->end_day) : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
patterns_json(const struct result *res)
{
	const struct pattern	*pt;
	json_t			*arr, *o, *mi;
	size_t			 i;

	arr = json_array();
	for (i = 0; i < res->npat; i++) {
		pt = &res->pat[i];
		o = json_object();
		json_object_set_new(o, "t", json_string(pt->type));
		json_object_set_new(o, "name", json_string(pt->name));
		mi = json_loads(res->pat_metrics[i], 0, NULL);
		json_object_set_new(o, "mi", mi != NULL ? mi : json_array());
		json_object_set_new(o, "score", pf_json_real(pt->score));
		json_object_set_new(o, "conf", pf_json_real(pt->confidence));
		json_object_set_new(o, "sig",
		    json_string(pattern_significance_name(pt->significance)));
		json_object_set_new(o, "det", doc_pattern_details(pt));
		json_object_set_new(o, "n",
		    json_integer((json_int_t)pt->sample_count));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
alerts_json(const struct result *res)
{
	const struct anomaly	*a;
	json_t			*arr, *o;
	size_t			 i;

	arr = json_array();
	for (i = 0; i < res->nanom; i++) {
		a = &res->anom[i];
		o = json_object();
		json_object_set_new(o, "m",
		    json_string(baseline_metric_name(a->metric)));
		json_object_set_new(o, "d", json_integer(res->anom_day[i]));
		json_object_set_new(o, "sev",
		    json_string(anomaly_severity_name(a->severity)));
		json_object_set_new(o, "v", pf_json_real(a->current));
		json_object_set_new(o, "lo", pf_json_real(a->lower_bound));
		json_object_set_new(o, "hi", pf_json_real(a->upper_bound));
		json_object_set_new(o, "dir", json_string(a->direction));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
daily_json(const struct result *res)
{
	const struct daily_row	*d;
	json_t			*arr, *o;
	size_t			 i;

	arr = json_array();
	for (i = 0; i < res->ndaily; i++) {
		d = &res->daily[i];
		o = json_object();
		json_object_set_new(o, "m", json_string(d->metric));
		json_object_set_new(o, "d", json_integer(d->day));
		json_object_set_new(o, "v", pf_json_real(d->value));
		json_object_set(o, "j", d->details != NULL ? d->details :
		    json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

/* COPY text format: backslash, tab, newline and CR escaped. */
static void
buf_put_copy(struct pf_buf *b, const char *s)
{
	const char	*q;

	for (q = s; *s != '\0'; s++) {
		const char *e = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" :
		    *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;

		if (e == NULL)
			continue;
		pf_buf_add(b, q, (size_t)(s - q));
		pf_buf_add(b, e, 2);
		q = s + 1;
	}
	pf_buf_add(b, q, (size_t)(s - q));
}

static int
copy_daily(struct pf_db *db, const struct write_ctx *w)
{
	const struct daily_row	*d;
	struct pf_buf		 b = PF_BUF_INIT;
	PGconn			*conn;
	PGresult		*r;
	char			 date[PF_TIME_DATE_LEN], num[40], *text;
	size_t			 i;
	int			 rc = PF_OK;

	for (i = 0; i < w->res->ndaily; i++) {
		d = &w->res->daily[i];
		if (pf_time_format_date(d->day, date) != PF_OK)
			continue;
		buf_put_copy(&b, w->in->user_id);
		pf_buf_add(&b, "\t", 1);
		buf_put_copy(&b, d->metric);
		pf_buf_add(&b, "\t", 1);
		pf_buf_add(&b, date, strlen(date));
		pf_buf_add(&b, "\t", 1);
		if (isfinite(d->value)) {
			snprintf(num, sizeof(num), "%.17g", d->value);
			pf_buf_add(&b, num, strlen(num));
		} else
			pf_buf_add(&b, "\\N", 2);
		pf_buf_add(&b, "\t", 1);
		if (d->details != NULL) {
			text = pf_json_dumps_repr(d->details);
			buf_put_copy(&b, text);
			free(text);
		} else
			pf_buf_add(&b, "\\N", 2);
		pf_buf_add(&b, "\t", 1);
		pf_buf_add(&b, w->res->computed_at, strlen(w->res->computed_at));
		pf_buf_add(&b, "\n", 1);
	}
	conn = pf_db_conn(db);
	r = PQexec(conn, q_daily_copy);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		pf_log_warnx("could not copy daily rows: %s",
		    PQresultErrorMessage(r));
		PQclear(r);
		pf_buf_free(&b);
		return PQstatus(conn) == CONNECTION_OK ? PF_ERR_DB :
		    PF_ERR_DB_CONN;
	}
	PQclear(r);
	if (b.len > 0 && PQputCopyData(conn, b.p, (int)b.len) != 1)
		rc = PF_ERR_DB_CONN;
	pf_buf_free(&b);
	if (PQputCopyEnd(conn, rc == PF_OK ? NULL : "aborted") != 1)
		rc = PF_ERR_DB_CONN;
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == PF_OK) {
			pf_log_warnx("could not copy daily rows: %s",
			    PQresultErrorMessage(r));
			rc = PQstatus(conn) == CONNECTION_OK ? PF_ERR_DB :
			    PF_ERR_DB_CONN;
		}
		PQclear(r);
	}
	return rc;
}

static int
write_all(struct pf_db *db, struct write_ctx *w, bool copy)
{
	PGresult	*r = NULL;
	json_t		*j[5];
	char		*t[5], dur[24], from[16];
	const char	*p[11];
	bool		 stale = false;
	int		 rc, i;

	j[0] = baselines_json(w->res);
	j[1] = patterns_json(w->res);
	j[2] = alerts_json(w->res);
	j[3] = copy ? json_array() : daily_json(w->res);
	j[4] = doc_all(w->res);
	for (i = 0; i < 5; i++) {
		t[i] = pf_json_dumps_repr(j[i]);
		json_decref(j[i]);
	}
	snprintf(dur, sizeof(dur), "%lld", (long long)w->duration_ms);
	snprintf(from, sizeof(from), "%d", w->in->dirty_from == AD_DAY_NONE ?
	    AD_DAY_ALL : (int)w->in->dirty_from);
	p[0] = w->in->user_id;
	p[1] = w->res->computed_at;
	p[2] = t[0];
	p[3] = t[1];
	p[4] = t[2];
	p[5] = t[3];
	p[6] = from;
	p[7] = t[4];
	p[8] = w->in->data_changed_at;
	p[9] = dur;
	p[10] = w->in->snapshot_at[0] != '\0' ? w->in->snapshot_at : NULL;
	rc = exec_stmt(db, S_WRITE, &r, 11, p);
	for (i = 0; i < 5; i++)
		free(t[i]);
	if (rc != PF_OK)
		return rc;
	if (PQntuples(r) == 1)
		pf_db_get_bool(r, 0, 0, &stale);
	PQclear(r);
	w->still_stale = stale;
	if (copy)
		rc = copy_daily(db, w);
	return rc;
}

static int
write_tx(struct pf_db *db, void *arg)
{
	return write_all(db, arg, true);
}

int
store_write(struct pf_db *db, const struct user_input *in,
    const struct result *res, int64_t duration_ms, bool *still_stale)
{
	struct write_ctx	w = { in, res, duration_ms, false };
	int			rc, attempt;

	if (res->ndaily >= COPY_MIN_ROWS)
		rc = pf_db_tx_run(db, write_tx, &w, 3);
	else {
		/* One statement is its own transaction. */
		for (attempt = 0; attempt < 3; attempt++) {
			rc = write_all(db, &w, false);
			if (rc != PF_ERR_DB_RETRY && rc != PF_ERR_DB_CONN)
				break;
		}
	}
	if (still_stale != NULL)
		*still_stale = rc == PF_OK && w.still_stale;
	return rc;
}

int
store_fail(struct pf_db *db, const char *user_id, const char *msg)
{
	const char	*p[2] = { user_id, msg };

	return pf_db_exec(db, NULL, q_state_fail, 2, p);
}

static int
each_user(PGresult *r, void (*fn)(const char *, void *), void *arg)
{
	int	i, n = PQntuples(r);

	for (i = 0; i < n; i++)
		if (pf_db_get_str(r, i, 0) != NULL)
			fn(pf_db_get_str(r, i, 0), arg);
	return n;
}

int
store_stale_users(struct pf_db *db, bool all,
    void (*fn)(const char *user_id, void *arg), void *arg)
{
	PGresult	*r = NULL;
	int		 rc;

	if ((rc = pf_db_exec(db, &r, all ? q_all : q_stale, 0, NULL)) != PF_OK)
		return rc;
	rc = each_user(r, fn, arg);
	PQclear(r);
	return rc;
}

int
store_stale_count(struct pf_db *db, int64_t *count)
{
	PGresult	*r = NULL;
	int		 rc;

	if ((rc = pf_db_exec_one(db, &r, q_stale_count, 0, NULL)) != PF_OK)
		return rc;
	rc = pf_db_get_int64(r, 0, 0, count);
	PQclear(r);
	return rc;
}

/*
 * The documents of no user, as of today: what a user analyticsd has not
 * run for is served (only when they changed: see q_defaults).
 */
static int
write_defaults(struct pf_db *db, int32_t today)
{
	struct result	 res;
	json_t		*docs;
	const char	*p[1];
	char		*text;
	int		 rc;

	result_init(&res);
	compute_defaults(today, &res);
	docs = doc_defaults(&res);
	text = pf_json_dumps_repr(docs);
	json_decref(docs);
	result_cleanup(&res);
	p[0] = text;
	rc = pf_db_exec(db, NULL, q_defaults, 1, p);
	free(text);
	return rc;
}

int
store_outdated_users(struct pf_db *db, int32_t today,
    void (*fn)(const char *user_id, void *arg), void *arg)
{
	PGresult	*r = NULL;
	char		 buf[16];
	const char	*p[1] = { buf };
	int		 rc;

	if ((rc = write_defaults(db, today)) != PF_OK)
		return rc;
	snprintf(buf, sizeof(buf), "%d", (int)today);
	if ((rc = pf_db_exec(db, &r, q_outdated, 1, p)) != PF_OK)
		return rc;
	rc = each_user(r, fn, arg);
	PQclear(r);
	return rc;
}


/*
 * HRV sessions (hrv.c).  What a run must (re)analyse for user $1 before
 * it loads the user's series: Polar exercises with RR samples (sample
 * type 11) that have no session, an older one than the exercise, or one
 * from an older algorithm version than $2; and posted sessions of an
 * older version.  Columns: source, recording id, start time, tag (the
 * sport), device, the RR text (Polar's CSV, or a float8[] literal), the
 * session id (posted ones), motion reported, the start's UTC offset.
 */
static const char q_hrv_todo[] =
    "SELECT 'polar', 'polar:' || e.polar_exercise_id, e.start_time::text,"
    " coalesce(e.sport, e.detailed_sport_info, 'EXERCISE'),"
    " coalesce(e.device, ''), t.s->>'data', NULL::text, false,"
    " coalesce(e.start_offset_minutes, 0)"
    " FROM exercise e CROSS JOIN LATERAL (SELECT x FROM"
    " jsonb_array_elements(CASE WHEN jsonb_typeof(e.samples) = 'array'"
    " THEN e.samples ELSE '[]' END) AS x WHERE coalesce(x->>'sample-type',"
    " x->>'sample_type') = '11' AND jsonb_typeof(x->'data') = 'string'"
    " LIMIT 1) AS t(s)"
    " LEFT JOIN hrv_sessions h ON h.user_id = e.user_id"
    " AND h.recording_id = 'polar:' || e.polar_exercise_id"
    " WHERE e.user_id = $1 AND (h.id IS NULL OR h.algo_version < $2::int"
    " OR h.updated_at < e.updated_at) "
    "UNION ALL SELECT 'api', recording_id, recorded_at::text, NULL, NULL,"
    " rr::text, id::text, motion_artifacts, utc_offset_minutes"
    " FROM hrv_sessions"
    " WHERE user_id = $1 AND source = 'api' AND algo_version < $2::int";

/*
 * A session made from a Polar exercise, or its new analysis: $1 user,
 * $2 recording id, $3 start, $4 tag, $5 device model, $6 RR, $7 NN
 * (float8[] literals), $8 pf_hrv_json_result()'s document, $9 the
 * start's UTC offset (minutes).
 */
static const char q_hrv_polar[] =
    "INSERT INTO hrv_sessions AS h (user_id, recording_id, source,"
    " recorded_at, utc_offset_minutes, tags, device, rr, nn, algo_version,"
    " metrics, compat, rmssd, valid, reason)"
    " SELECT $1, $2, 'polar', $3::timestamptz, $9::int, ARRAY[$4::text],"
    " CASE WHEN $5 = '' THEN '{}'::jsonb ELSE jsonb_build_object('model',"
    " $5::text) END, $6::float8[], $7::float8[], (r->>'algo_version')::int,"
    " r->'metrics', r->'compat', (r->'metrics'->>'rmssd')::float8,"
    " (r->>'valid')::boolean, r->>'reason' FROM (SELECT $8::jsonb AS r) p"
    " ON CONFLICT (user_id, recording_id) DO UPDATE SET"
    " recorded_at = excluded.recorded_at,"
    " utc_offset_minutes = excluded.utc_offset_minutes, tags = excluded.tags,"
    " device = excluded.device, rr = excluded.rr, nn = excluded.nn,"
    " algo_version = excluded.algo_version, metrics = excluded.metrics,"
    " compat = excluded.compat, rmssd = excluded.rmssd,"
    " valid = excluded.valid, reason = excluded.reason,"
    " computed_at = now(), updated_at = now()";

/* A posted session's new analysis: $1 user, $2 id, $3 NN, $4 result. */
static const char q_hrv_recompute[] =
    "UPDATE hrv_sessions SET nn = $3::float8[],"
    " algo_version = (r->>'algo_version')::int, metrics = r->'metrics',"
    " compat = r->'compat', rmssd = (r->'metrics'->>'rmssd')::float8,"
    " valid = (r->>'valid')::boolean, reason = r->>'reason',"
    " computed_at = now(), updated_at = now()"
    " FROM (SELECT $4::jsonb AS r) p WHERE user_id = $1 AND id = $2::uuid";

int
store_hrv_todo(struct pf_db *db, const char *user_id, int algo_version,
    PGresult **out)
{
	char		 v[16];
	const char	*p[2] = { user_id, v };

	snprintf(v, sizeof(v), "%d", algo_version);
	return pf_db_exec(db, out, q_hrv_todo, 2, p);
}

int
store_hrv_put(struct pf_db *db, const struct hrv_put *s)
{
	const char	*p[9];

	if (s->session_id != NULL) {
		p[0] = s->user_id;
		p[1] = s->session_id;
		p[2] = s->nn;
		p[3] = s->result;
		return pf_db_exec(db, NULL, q_hrv_recompute, 4, p);
	}
	p[0] = s->user_id;
	p[1] = s->recording_id;
	p[2] = s->start;
	p[3] = s->tag;
	p[4] = s->device;
	p[5] = s->rr;
	p[6] = s->nn;
	p[7] = s->result;
	p[8] = s->offset;
	return pf_db_exec(db, NULL, q_hrv_polar, 9, p);
}
