/*
 * store.c -- all SQL of polarflow-analyticsd.
 *
 * Reads: a user's raw streams in one REPEATABLE READ, READ ONLY snapshot.
 * Writes: every result of one run in one transaction, so apid never sees a
 * half-updated user.  What apid reads (SELECT, no computation needed):
 *
 *  user_baselines     one row per (user, metric): upstream's columns for
 *                     hrv_rmssd, sleep_score, resting_hr, training_load,
 *                     training_load_ratio, plus steps and active_calories.
 *                     iqr/lower_bound/upper_bound are derived at read time
 *                     (q3 - q1, q1 - 1.5 iqr, q3 + 1.5 iqr), as upstream.
 *  pattern_analyses   one row per pattern; details jsonb exactly as
 *                     upstream's (sleep_hrv_correlation, overtraining_risk,
 *                     hrv_trend, sleep_trend) plus training_recovery_lag,
 *                     activity_sleep_correlation, recovery_readiness.
 *  analytics_alerts   (metric, day) flagged by the anomaly scan; first_seen_at,
 *                     last_seen_at, cleared_at (set when no longer flagged);
 *                     direction "above" / "below" (upstream's words).
 *  analytics_daily    metric_name per day:
 *                       rolling_means     value null; details {<metric>:
 *                                         {mean_7d, mean_30d, mean_90d}}
 *                       hrv_band          value = 7-day mean ln RMSSD
 *                       training_load     value = load (0 = rest); details
 *                                         {load, acwr, acwr_uncoupled,
 *                                         acwr_ewma, ctl, atl, tsb}
 *                       sleep_debt        value = seconds
 *                       sleep_consistency value = SD of bedtimes, minutes
 *                       resting_hr_continuous value = bpm
 *                       recovery          value = score 0..100
 *  analytics_documents payload jsonb per kind:
 *                       insights   GET /users/{uid}/insights body (§2.7)
 *                       status     GET /users/{uid}/analytics/status (§2.5)
 *                       anomalies  GET /users/{uid}/anomalies (§2.6)
 *                       recovery   today's readiness score, its inputs,
 *                                  weights, HRV band, load, sleep debt and
 *                                  upstream's dashboard status
 *                     Documents that depend on the date are rewritten when
 *                     the UTC day changes (reconcile).
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

#include "common/db.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "analyticsd/analyticsd.h"
#include "analyticsd/daemon.h"

/*
 * Rows stamped up to this long before the previous run started count as
 * changed since: a writer's transaction stamps updated_at when it starts
 * and may commit after our snapshot.
 */
#define DIRTY_MARGIN	"1 minute"
#define SINCE		"(SELECT since FROM t)"

static const char q_snapshot[] =
    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/* The change stamp seen, the previous snapshot's time, this one's. */
static const char q_changed[] =
    "SELECT coalesce(data_changed_at, '-infinity')::text, "
    "analytics_started_at::text, now()::text "
    "FROM analytics_state WHERE user_id = $1";

/*
 * $2: the previous run's start; rows updated since (less a margin for
 * writers that committed late) count as changed.
 */
static const char q_dirty[] =
    "WITH t (since) AS (SELECT $2::timestamptz - interval '" DIRTY_MARGIN "') "
    "SELECT min(d) - DATE '1970-01-01' FROM ("
    " SELECT min(date) FROM sleep WHERE user_id = $1 AND updated_at >= " SINCE
    " UNION ALL SELECT min(date) FROM nightly_recharge"
    "  WHERE user_id = $1 AND updated_at >= " SINCE
    " UNION ALL SELECT min(date) FROM activity"
    "  WHERE user_id = $1 AND updated_at >= " SINCE
    " UNION ALL SELECT min(date) FROM cardio_load"
    "  WHERE user_id = $1 AND updated_at >= " SINCE
    " UNION ALL SELECT min(date) FROM continuous_heart_rate"
    "  WHERE user_id = $1 AND updated_at >= " SINCE
    " UNION ALL SELECT min((start_time AT TIME ZONE 'UTC')::date - 1)"
    "  FROM exercise WHERE user_id = $1 AND updated_at >= " SINCE
    ") AS c (d)";

static const char q_sleep[] =
    "SELECT date - DATE '1970-01-01', sleep_score, total_sleep_seconds, "
    "sleep_goal_seconds, "
    "(extract(epoch FROM sleep_start_time) * 1000)::bigint, "
    "coalesce(sleep_start_offset_minutes, 0) "
    "FROM sleep WHERE user_id = $1 ORDER BY date";

static const char q_recharge[] =
    "SELECT date - DATE '1970-01-01', hrv_avg, heart_rate_avg, ans_charge "
    "FROM nightly_recharge WHERE user_id = $1 ORDER BY date";

static const char q_activity[] =
    "SELECT date - DATE '1970-01-01', steps, calories_active "
    "FROM activity WHERE user_id = $1 ORDER BY date";

static const char q_cardio[] =
    "SELECT date - DATE '1970-01-01', cardio_load, cardio_load_ratio "
    "FROM cardio_load WHERE user_id = $1 ORDER BY date";

/* Sessions are dated by their local start day. */
static const char q_exercise[] =
    "SELECT ((start_time AT TIME ZONE 'UTC') + make_interval(mins => "
    "coalesce(start_offset_minutes, 0)))::date - DATE '1970-01-01' AS d, "
    "sum(training_load) FROM exercise "
    "WHERE user_id = $1 AND training_load IS NOT NULL AND training_load >= 0 "
    "GROUP BY d ORDER BY d";

/*
 * Resting HR per day: Polar's estimate, else the value computed on an
 * earlier run for a day before $3 (unchanged since), else the samples, for
 * the days that matter (>= $2) -- so samples are parsed once per change.
 */
static const char q_chr[] =
    "SELECT c.date - DATE '1970-01-01', "
    "coalesce(c.resting_hr_estimate::float8, a.value), "
    "CASE WHEN c.resting_hr_estimate IS NULL AND a.value IS NULL AND "
    "c.date >= DATE '1970-01-01' + $2::int THEN c.samples END "
    "FROM continuous_heart_rate c LEFT JOIN analytics_daily a "
    "ON a.user_id = c.user_id AND a.metric_name = 'resting_hr_continuous' "
    "AND a.day = c.date AND a.day < DATE '1970-01-01' + $3::int "
    "WHERE c.user_id = $1 ORDER BY c.date";

static const char q_goal[] =
    "SELECT sleep_goal_seconds FROM physical_info "
    "WHERE user_id = $1 AND sleep_goal_seconds > 0 "
    "ORDER BY recorded_at DESC LIMIT 1";

/* $2: [{m, v, b7, b30, b90, sd, med, q1, q3, lo, hi, n, st, d0, d1}] */
static const char q_baseline[] =
    "INSERT INTO user_baselines AS u (user_id, metric_name, baseline_value, "
    "baseline_7d, baseline_30d, baseline_90d, std_dev, median_value, q1, q3, "
    "min_value, max_value, sample_count, status, data_start_date, "
    "data_end_date, calculated_at, updated_at) "
    "SELECT $1, x.m, x.v, x.b7, x.b30, x.b90, x.sd, x.med, x.q1, x.q3, x.lo, "
    "x.hi, x.n, x.st, DATE '1970-01-01' + x.d0, DATE '1970-01-01' + x.d1, "
    "$3, now() FROM jsonb_to_recordset($2::jsonb) AS x (m text, v float8, "
    "b7 float8, b30 float8, b90 float8, sd float8, med float8, q1 float8, "
    "q3 float8, lo float8, hi float8, n int, st text, d0 int, d1 int) "
    "ON CONFLICT (user_id, metric_name) DO UPDATE SET "
    "baseline_value = excluded.baseline_value, "
    "baseline_7d = excluded.baseline_7d, "
    "baseline_30d = excluded.baseline_30d, "
    "baseline_90d = excluded.baseline_90d, std_dev = excluded.std_dev, "
    "median_value = excluded.median_value, q1 = excluded.q1, "
    "q3 = excluded.q3, min_value = excluded.min_value, "
    "max_value = excluded.max_value, sample_count = excluded.sample_count, "
    "status = excluded.status, data_start_date = excluded.data_start_date, "
    "data_end_date = excluded.data_end_date, "
    "calculated_at = excluded.calculated_at, updated_at = now()";

/* $2: [{t, name, mi, score, conf, sig, det, n}] */
static const char q_pattern[] =
    "INSERT INTO pattern_analyses (user_id, pattern_type, pattern_name, "
    "metrics_involved, analysis_window_days, score, confidence, "
    "significance, details, sample_count, analyzed_at, updated_at) "
    "SELECT $1, x.t, x.name, x.mi, 30, x.score, x.conf, x.sig, x.det, x.n, "
    "$3, now() FROM jsonb_to_recordset($2::jsonb) AS x (t text, name text, "
    "mi jsonb, score float8, conf float8, sig text, det jsonb, n int) "
    "ON CONFLICT (user_id, pattern_type, pattern_name) DO UPDATE SET "
    "metrics_involved = excluded.metrics_involved, score = excluded.score, "
    "confidence = excluded.confidence, "
    "significance = excluded.significance, details = excluded.details, "
    "sample_count = excluded.sample_count, "
    "analyzed_at = excluded.analyzed_at, updated_at = now()";

static const char q_alert[] =
    "INSERT INTO analytics_alerts (user_id, metric_name, day, severity, "
    "value, lower_bound, upper_bound, direction, first_seen_at, "
    "last_seen_at) VALUES ($1, $2, DATE '1970-01-01' + $3::int, $4, $5, $6, "
    "$7, $8, $9, $9) ON CONFLICT (user_id, metric_name, day) DO UPDATE SET "
    "severity = excluded.severity, value = excluded.value, "
    "lower_bound = excluded.lower_bound, upper_bound = excluded.upper_bound, "
    "direction = excluded.direction, last_seen_at = excluded.last_seen_at, "
    "cleared_at = NULL";

/* $2: "metric/day" of every alert still flagged. */
static const char q_alert_clear[] =
    "UPDATE analytics_alerts SET cleared_at = $3 "
    "WHERE user_id = $1 AND cleared_at IS NULL "
    "AND metric_name || '/' || (day - DATE '1970-01-01') <> ALL ($2::text[])";

static const char q_daily_del[] =
    "DELETE FROM analytics_daily WHERE user_id = $1 "
    "AND day >= DATE '1970-01-01' + $2::int";

/*
 * Daily rows go in with COPY after the DELETE above: a year of series is
 * thousands of rows, and COPY is several times cheaper than INSERT.
 */
static const char q_daily_copy[] =
    "COPY analytics_daily (user_id, metric_name, day, value, details, "
    "computed_at) FROM STDIN";

/* $2: {kind: payload} */
static const char q_document[] =
    "INSERT INTO analytics_documents (user_id, kind, payload, computed_at) "
    "SELECT $1, d.key, d.value, $3 FROM jsonb_each($2::jsonb) AS d "
    "ON CONFLICT (user_id, kind) DO UPDATE "
    "SET payload = excluded.payload, computed_at = excluded.computed_at";

/*
 * analytics_started_at: the time of this run's read snapshot, from which
 * the next run looks for changed rows.
 */
static const char q_state_done[] =
    "UPDATE analytics_state SET analytics_run_at = $2::timestamptz, "
    "analytics_started_at = $4::timestamptz, last_duration_ms = $3, "
    "last_error = NULL, run_count = run_count + 1 "
    "WHERE user_id = $1 RETURNING data_changed_at > $2::timestamptz";

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

/* Parameter text for a double: exact, NULL for NaN. */
static const char *
pdbl(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		return NULL;
	snprintf(buf, len, "%.17g", v);
	return buf;
}

static double
cell(const PGresult *res, int row, int col)
{
	double	v;

	if (pf_db_get_double(res, row, col, &v) != PF_OK)
		return NAN;
	return v;
}

static int
query_user(struct pf_db *db, PGresult **res, const char *sql,
    const char *user_id)
{
	const char	*p[1] = { user_id };

	return pf_db_exec(db, res, sql, 1, p);
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

static int
load_series(struct pf_db *db, const char *uid, struct user_input *in)
{
	PGresult	*r = NULL;
	char		 buf[32], dbuf[32];
	const char	*p[3];
	int64_t		 ms;
	int		 i, n, day, off, rc;
	double		 v;

	if ((rc = query_user(db, &r, q_sleep, uid)) != PF_OK)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		if (pf_db_get_int(r, i, 0, &day) != PF_OK)
			continue;
		series_push(&in->sleep_score, day, cell(r, i, 1));
		series_push(&in->sleep_total, day, cell(r, i, 2));
		if (isfinite(v = cell(r, i, 3)))
			series_push(&in->sleep_goal, day, v);
		if (pf_db_get_int64(r, i, 4, &ms) == PF_OK &&
		    pf_db_get_int(r, i, 5, &off) == PF_OK)
			series_push(&in->bedtime, day,
			    sleep_bedtime_minutes(ms, off));
	}
	PQclear(r);

	if ((rc = query_user(db, &r, q_recharge, uid)) != PF_OK)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		if (pf_db_get_int(r, i, 0, &day) != PF_OK)
			continue;
		series_push(&in->rc_hrv, day, cell(r, i, 1));
		series_push(&in->rc_rhr, day, cell(r, i, 2));
		series_push(&in->rc_ans, day, cell(r, i, 3));
	}
	PQclear(r);

	if ((rc = query_user(db, &r, q_activity, uid)) != PF_OK)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		if (pf_db_get_int(r, i, 0, &day) != PF_OK)
			continue;
		series_push(&in->steps, day, cell(r, i, 1));
		series_push(&in->cal_active, day, cell(r, i, 2));
	}
	PQclear(r);

	if ((rc = query_user(db, &r, q_cardio, uid)) != PF_OK)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		if (pf_db_get_int(r, i, 0, &day) != PF_OK)
			continue;
		series_push(&in->cl_load, day, cell(r, i, 1));
		series_push(&in->cl_ratio, day, cell(r, i, 2));
	}
	PQclear(r);

	if ((rc = query_user(db, &r, q_exercise, uid)) != PF_OK)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++)
		if (pf_db_get_int(r, i, 0, &day) == PF_OK)
			series_push(&in->ex_load, day, cell(r, i, 1));
	PQclear(r);

	snprintf(buf, sizeof(buf), "%d", (int)(in->today - BASELINE_WINDOW_DAYS));
	snprintf(dbuf, sizeof(dbuf), "%d", in->dirty_from == AD_DAY_NONE ?
	    AD_DAY_ALL : (int)in->dirty_from);
	p[0] = uid;
	p[1] = buf;
	p[2] = dbuf;
	if ((rc = pf_db_exec(db, &r, q_chr, 3, p)) != PF_OK)
		return rc;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		if (pf_db_get_int(r, i, 0, &day) != PF_OK)
			continue;
		v = cell(r, i, 1);
		if (!isfinite(v) || v <= 0)
			v = chr_from_samples(pf_db_get_str(r, i, 2));
		if (isfinite(v))
			series_push(&in->chr_rhr, day, v);
	}
	PQclear(r);

	if ((rc = query_user(db, &r, q_goal, uid)) != PF_OK)
		return rc;
	if (PQntuples(r) == 1)
		in->sleep_goal_profile = cell(r, 0, 0);
	PQclear(r);
	return PF_OK;
}

int
store_load(struct pf_db *db, const char *user_id, int32_t today,
    int32_t dirty_from, struct user_input *in)
{
	PGresult	*r = NULL;
	const char	*p[2];
	char		*since = NULL;
	int		 rc, d;

	memset(in, 0, sizeof(*in));
	snprintf(in->user_id, sizeof(in->user_id), "%s", user_id);
	in->today = today;
	in->now_ms = pf_time_now_ms();
	in->sleep_goal_profile = NAN;
	in->dirty_from = dirty_from;

	if ((rc = pf_db_begin(db)) != PF_OK)
		goto out;
	if ((rc = pf_db_exec(db, NULL, q_snapshot, 0, NULL)) != PF_OK)
		goto fail;
	if ((rc = query_user(db, &r, q_changed, user_id)) != PF_OK)
		goto fail;
	snprintf(in->data_changed_at, sizeof(in->data_changed_at), "%s",
	    PQntuples(r) == 1 && pf_db_get_str(r, 0, 0) != NULL ?
	    pf_db_get_str(r, 0, 0) : "-infinity");
	if (PQntuples(r) == 1 && pf_db_get_str(r, 0, 1) != NULL)
		since = pf_xasprintf("%s", pf_db_get_str(r, 0, 1));
	if (PQntuples(r) == 1 && pf_db_get_str(r, 0, 2) != NULL)
		snprintf(in->snapshot_at, sizeof(in->snapshot_at), "%s",
		    pf_db_get_str(r, 0, 2));
	PQclear(r);

	if (since == NULL) {
		/* Never run: everything is new. */
		in->dirty_from = AD_DAY_ALL;
	} else {
		p[0] = user_id;
		p[1] = since;
		rc = pf_db_exec(db, &r, q_dirty, 2, p);
		if (rc != PF_OK)
			goto fail;
		if (pf_db_get_int(r, 0, 0, &d) == PF_OK &&
		    (in->dirty_from == AD_DAY_NONE || d < in->dirty_from))
			in->dirty_from = d;
		else if (in->dirty_from == AD_DAY_NONE)
			in->dirty_from = today - 1;
		PQclear(r);
	}

	if ((rc = load_series(db, user_id, in)) != PF_OK)
		goto fail;
	rc = pf_db_commit(db);
	goto out;
fail:
	pf_db_rollback(db);
out:
	free(since);
	return rc;
}

struct write_ctx {
	const struct user_input	*in;
	const struct result	*res;
	int64_t			 duration_ms;
	bool			 still_stale;
};

static json_t *
jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* One statement: $1 user, $2 JSON text, $3 computed_at. */
static int
exec_json(struct pf_db *db, const char *sql, const struct write_ctx *w,
    json_t *arg)
{
	const char	*p[3];
	char		*text;
	int		 rc;

	text = compute_dumps(arg);
	p[0] = w->in->user_id;
	p[1] = text;
	p[2] = w->res->computed_at;
	rc = pf_db_exec(db, NULL, sql, 3, p);
	free(text);
	return rc;
}

static int
write_baselines(struct pf_db *db, const struct write_ctx *w)
{
	const struct baseline	*b;
	json_t			*arr, *o;
	int			 m, rc;

	arr = json_array();
	for (m = 0; m < BASELINE_NMETRICS; m++) {
		b = &w->res->base[m];
		o = json_object();
		json_object_set_new(o, "m",
		    json_string(baseline_metric_name(b->metric)));
		json_object_set_new(o, "v", json_real(isfinite(b->value) ?
		    b->value : 0.0));
		json_object_set_new(o, "b7", jnum(b->mean_7d));
		json_object_set_new(o, "b30", jnum(b->mean_30d));
		json_object_set_new(o, "b90", jnum(b->mean_90d));
		json_object_set_new(o, "sd", jnum(b->std_dev));
		json_object_set_new(o, "med", jnum(b->median));
		json_object_set_new(o, "q1", jnum(b->q1));
		json_object_set_new(o, "q3", jnum(b->q3));
		json_object_set_new(o, "lo", jnum(b->min));
		json_object_set_new(o, "hi", jnum(b->max));
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
	rc = exec_json(db, q_baseline, w, arr);
	json_decref(arr);
	return rc;
}

static int
write_patterns(struct pf_db *db, const struct write_ctx *w)
{
	const struct pattern	*pt;
	json_t			*arr, *o, *mi;
	size_t			 i;
	int			 rc;

	arr = json_array();
	for (i = 0; i < w->res->npat; i++) {
		pt = &w->res->pat[i];
		o = json_object();
		json_object_set_new(o, "t", json_string(pt->type));
		json_object_set_new(o, "name", json_string(pt->name));
		mi = json_loads(w->res->pat_metrics[i], 0, NULL);
		json_object_set_new(o, "mi", mi != NULL ? mi : json_array());
		json_object_set_new(o, "score", jnum(pt->score));
		json_object_set_new(o, "conf", jnum(pt->confidence));
		json_object_set_new(o, "sig",
		    json_string(pattern_significance_name(pt->significance)));
		json_object_set_new(o, "det", compute_pattern_details(pt));
		json_object_set_new(o, "n",
		    json_integer((json_int_t)pt->sample_count));
		json_array_append_new(arr, o);
	}
	rc = exec_json(db, q_pattern, w, arr);
	json_decref(arr);
	return rc;
}

static int
write_alerts(struct pf_db *db, const struct write_ctx *w)
{
	const struct anomaly	*a;
	char			 day[16], v[3][32], *keys, *k;
	const char		*p[9];
	size_t			 i, len;
	int			 rc;

	len = 3 + w->res->nanom * 48;
	keys = pf_xmalloc(len);
	strcpy(keys, "{");
	for (i = 0; i < w->res->nanom; i++) {
		a = &w->res->anom[i];
		snprintf(day, sizeof(day), "%d", (int)w->res->anom_day[i]);
		p[0] = w->in->user_id;
		p[1] = baseline_metric_name(a->metric);
		p[2] = day;
		p[3] = anomaly_severity_name(a->severity);
		p[4] = pdbl(v[0], sizeof(v[0]), a->current);
		p[5] = pdbl(v[1], sizeof(v[1]), a->lower_bound);
		p[6] = pdbl(v[2], sizeof(v[2]), a->upper_bound);
		p[7] = a->direction;
		p[8] = w->res->computed_at;
		if ((rc = pf_db_exec(db, NULL, q_alert, 9, p)) != PF_OK) {
			free(keys);
			return rc;
		}
		k = keys + strlen(keys);
		snprintf(k, len - (size_t)(k - keys), "%s%s/%s",
		    i > 0 ? "," : "", p[1], day);
	}
	strcat(keys, "}");
	p[0] = w->in->user_id;
	p[1] = keys;
	p[2] = w->res->computed_at;
	rc = pf_db_exec(db, NULL, q_alert_clear, 3, p);
	free(keys);
	return rc;
}

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
buf_put(struct buf *b, const char *s, size_t n)
{
	while (b->len + n + 1 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 65536;
		b->p = pf_xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* COPY text format: backslash, tab, newline and CR escaped. */
static void
buf_put_copy(struct buf *b, const char *s)
{
	const char	*q;

	for (q = s; *s != '\0'; s++) {
		const char *e = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" :
		    *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;

		if (e == NULL)
			continue;
		buf_put(b, q, (size_t)(s - q));
		buf_put(b, e, 2);
		q = s + 1;
	}
	buf_put(b, q, (size_t)(s - q));
}

static int
copy_end(struct pf_db *db, PGconn *conn, int rc)
{
	PGresult	*r;

	if (PQputCopyEnd(conn, rc == PF_OK ? NULL : "aborted") != 1)
		rc = PF_ERR_DB_CONN;
	while ((r = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == PF_OK) {
			pf_log_warnx("could not copy daily rows: %s",
			    PQresultErrorMessage(r));
			rc = PF_ERR_DB;
		}
		PQclear(r);
	}
	(void)db;
	return rc;
}

static int
write_daily(struct pf_db *db, const struct write_ctx *w)
{
	const struct daily_row	*d;
	struct buf		 b = { NULL, 0, 0 };
	PGconn			*conn;
	PGresult		*r;
	char			 from[16], date[PF_TIME_DATE_LEN], num[40];
	char			*text;
	const char		*p[2];
	size_t			 i;
	int			 rc;

	snprintf(from, sizeof(from), "%d", w->in->dirty_from == AD_DAY_NONE ?
	    AD_DAY_ALL : (int)w->in->dirty_from);
	p[0] = w->in->user_id;
	p[1] = from;
	if ((rc = pf_db_exec(db, NULL, q_daily_del, 2, p)) != PF_OK)
		return rc;
	if (w->res->ndaily == 0)
		return PF_OK;

	for (i = 0; i < w->res->ndaily; i++) {
		d = &w->res->daily[i];
		if (pf_time_format_date(d->day, date) != PF_OK)
			continue;
		buf_put_copy(&b, w->in->user_id);
		buf_put(&b, "\t", 1);
		buf_put_copy(&b, d->metric);
		buf_put(&b, "\t", 1);
		buf_put(&b, date, strlen(date));
		buf_put(&b, "\t", 1);
		if (isfinite(d->value)) {
			snprintf(num, sizeof(num), "%.17g", d->value);
			buf_put(&b, num, strlen(num));
		} else
			buf_put(&b, "\\N", 2);
		buf_put(&b, "\t", 1);
		if (d->details != NULL) {
			text = compute_dumps(d->details);
			buf_put_copy(&b, text);
			free(text);
		} else
			buf_put(&b, "\\N", 2);
		buf_put(&b, "\t", 1);
		buf_put(&b, w->res->computed_at, strlen(w->res->computed_at));
		buf_put(&b, "\n", 1);
	}

	conn = pf_db_conn(db);
	r = PQexec(conn, q_daily_copy);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		pf_log_warnx("could not start copy of daily rows: %s",
		    PQresultErrorMessage(r));
		PQclear(r);
		free(b.p);
		return PQstatus(conn) == CONNECTION_OK ? PF_ERR_DB :
		    PF_ERR_DB_CONN;
	}
	PQclear(r);
	rc = PF_OK;
	if (b.len > 0 && PQputCopyData(conn, b.p, (int)b.len) != 1)
		rc = PF_ERR_DB_CONN;
	free(b.p);
	return copy_end(db, conn, rc);
}

static int
write_documents(struct pf_db *db, const struct write_ctx *w)
{
	return exec_json(db, q_document, w, w->res->docs);
}

static int
write_tx(struct pf_db *db, void *arg)
{
	struct write_ctx	*w = arg;
	PGresult		*r = NULL;
	const char		*p[4];
	char			 dur[24];
	bool			 stale = false;
	int			 rc;

	if ((rc = write_baselines(db, w)) != PF_OK ||
	    (rc = write_patterns(db, w)) != PF_OK ||
	    (rc = write_alerts(db, w)) != PF_OK ||
	    (rc = write_daily(db, w)) != PF_OK ||
	    (rc = write_documents(db, w)) != PF_OK)
		return rc;
	snprintf(dur, sizeof(dur), "%lld", (long long)w->duration_ms);
	p[0] = w->in->user_id;
	p[1] = w->in->data_changed_at;
	p[2] = dur;
	p[3] = w->in->snapshot_at[0] != '\0' ? w->in->snapshot_at : NULL;
	if ((rc = pf_db_exec(db, &r, q_state_done, 4, p)) != PF_OK)
		return rc;
	if (PQntuples(r) == 1)
		pf_db_get_bool(r, 0, 0, &stale);
	PQclear(r);
	w->still_stale = stale;
	return PF_OK;
}

int
store_write(struct pf_db *db, const struct user_input *in,
    const struct result *res, int64_t duration_ms, bool *still_stale)
{
	struct write_ctx	w = { in, res, duration_ms, false };
	int			rc;

	rc = pf_db_tx_run(db, write_tx, &w, 3);
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

int
store_outdated_users(struct pf_db *db, int32_t today,
    void (*fn)(const char *user_id, void *arg), void *arg)
{
	PGresult	*r = NULL;
	char		 buf[16];
	const char	*p[1] = { buf };
	int		 rc;

	snprintf(buf, sizeof(buf), "%d", (int)today);
	if ((rc = pf_db_exec(db, &r, q_outdated, 1, p)) != PF_OK)
		return rc;
	rc = each_user(r, fn, arg);
	PQclear(r);
	return rc;
}
