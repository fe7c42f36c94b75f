/*
 * compute.c -- one user's raw series in, every derived number out.
 *
 * Calls the pure metric_*.c functions and keeps their results in struct
 * result: the rows (baselines, patterns, alerts, daily series) and the
 * numbers the documents are made of (doc.c renders those).  No I/O and no
 * clock: "today" and "now" come in struct user_input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/time.h"
#include "common/json.h"
#include "common/xmalloc.h"

#include "analyticsd/analyticsd.h"

/* Longest history laid onto dense arrays (ten years). */
#define MAX_DAYS		3660
#define DEFAULT_SLEEP_GOAL_S	28800.0		/* 8 h */
#define PATTERN_DENSE_DAYS	91		/* today-90 .. today */

static const enum baseline_metric upstream_metrics[] = {
	BASELINE_HRV_RMSSD, BASELINE_SLEEP_SCORE, BASELINE_RESTING_HR,
	BASELINE_TRAINING_LOAD, BASELINE_TRAINING_LOAD_RATIO,
};
#define NUPSTREAM (sizeof(upstream_metrics) / sizeof(upstream_metrics[0]))

void
series_push(struct series *s, int32_t day, double value)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = pf_xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n].day = day;
	s->v[s->n].value = value;
	s->n++;
}

static void
series_free(struct series *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void
user_input_cleanup(struct user_input *in)
{
	series_free(&in->sleep_score);
	series_free(&in->sleep_total);
	series_free(&in->sleep_goal);
	series_free(&in->bedtime);
	series_free(&in->rc_hrv);
	series_free(&in->rc_rhr);
	series_free(&in->rc_ans);
	series_free(&in->steps);
	series_free(&in->cal_active);
	series_free(&in->cl_load);
	series_free(&in->cl_ratio);
	series_free(&in->ex_load);
	series_free(&in->chr_rhr);
	series_free(&in->hrv_morning);
	series_free(&in->ap_steps);
	series_free(&in->ap_cal);
	series_free(&in->ap_rhr);
	series_free(&in->ap_sleep);
	series_free(&in->ap_sdnn);
}

void
result_init(struct result *res)
{
	struct hrv_band_day	*m = &res->recovery.morning;

	memset(res, 0, sizeof(*res));
	/* No morning reading (documents of a user never run, or none). */
	m->ln_rmssd = m->mean7 = m->cv7_pct = NAN;
	m->band_mean = m->band_sd = m->band_lo = m->band_hi = NAN;
	m->status = HRV_BAND_INSUFFICIENT;
}

void
result_cleanup(struct result *res)
{
	size_t	i;

	for (i = 0; i < res->ndaily; i++)
		json_decref(res->daily[i].details);
	free(res->daily);
	memset(res, 0, sizeof(*res));
}

void
compute_iso(int64_t ms, char buf[AD_ISO_LEN])
{
	if (pf_time_format_datetime(ms, 0, 0, buf, AD_ISO_LEN) != PF_OK)
		snprintf(buf, AD_ISO_LEN, "1970-01-01T00:00:00.000Z");
}

/* Dense arrays. */

static double *
dense(const struct series *s, int32_t first, size_t ndays)
{
	double	*out;

	out = pf_xreallocarray(NULL, ndays ? ndays : 1, sizeof(*out));
	if (stats_densify(s->v, s->n, first, ndays, out) != PF_OK) {
		size_t	i;

		for (i = 0; i < ndays; i++)
			out[i] = NAN;
	}
	return out;
}

static void
daily_add(struct result *res, const char *metric, int32_t day, double value,
    json_t *details)
{
	struct daily_row	*r;

	if (res->ndaily == res->daily_cap) {
		res->daily_cap = res->daily_cap ? res->daily_cap * 2 : 256;
		res->daily = pf_xreallocarray(res->daily, res->daily_cap,
		    sizeof(*res->daily));
	}
	r = &res->daily[res->ndaily++];
	r->metric = metric;
	r->day = day;
	r->value = value;
	r->details = details;
}

static int32_t
first_day_of(const struct user_input *in)
{
	const struct series *all[] = { &in->sleep_score, &in->rc_hrv,
	    &in->steps, &in->cl_load, &in->ex_load, &in->chr_rhr,
	    &in->hrv_morning, &in->ap_sleep, &in->ap_sdnn };
	int32_t	first = in->today;
	size_t	i, j;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		for (j = 0; j < all[i]->n; j++)
			if (all[i]->v[j].day < first)
				first = all[i]->v[j].day;
	if (in->today - first >= MAX_DAYS)
		first = in->today - MAX_DAYS + 1;
	return first;
}

/* Latest row (by day) of s with a finite value; false if none. */
static bool
latest(const struct series *s, int32_t since, double *v, int32_t *day)
{
	int32_t	best = INT32_MIN;
	bool	found = false;
	size_t	i;

	for (i = 0; i < s->n; i++) {
		if (!isfinite(s->v[i].value) || s->v[i].day < since)
			continue;
		if (!found || s->v[i].day >= best) {
			*v = s->v[i].value;
			best = s->v[i].day;
			found = true;
		}
	}
	if (found)
		*day = best;
	return found;
}

static int32_t
min_day(const struct series *s)
{
	int32_t	d = AD_DAY_NONE;
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (d == AD_DAY_NONE || s->v[i].day < d)
			d = s->v[i].day;
	return d;
}

static int32_t
max_day(const struct series *s)
{
	int32_t	d = AD_DAY_NONE;
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (d == AD_DAY_NONE || s->v[i].day > d)
			d = s->v[i].day;
	return d;
}

static int
count_days_since(const struct series *s, int32_t since)
{
	int	n = 0;
	size_t	i;

	/* One row per (user, date) in every source table. */
	for (i = 0; i < s->n; i++)
		if (s->v[i].day >= since)
			n++;
	return n;
}

static const struct series *
baseline_source(const struct user_input *in, enum baseline_metric m)
{
	switch (m) {
	case BASELINE_HRV_RMSSD:		return &in->rc_hrv;
	case BASELINE_SLEEP_SCORE:		return &in->sleep_score;
	case BASELINE_RESTING_HR:		return &in->rc_rhr;
	case BASELINE_TRAINING_LOAD:		return &in->cl_load;
	case BASELINE_TRAINING_LOAD_RATIO:	return &in->cl_ratio;
	case BASELINE_ACTIVE_CALORIES:		return &in->cal_active;
	case BASELINE_STEPS:			return &in->steps;
	default:				return &in->steps;
	}
}

/* Baselines and the anomaly scan: the newest value of each upstream metric. */
static void
compute_baselines(const struct user_input *in, struct result *res)
{
	const struct series	*s;
	struct anomaly		 a;
	double			 v;
	int32_t			 day;
	size_t			 i;
	int			 m;

	for (m = 0; m < BASELINE_NMETRICS; m++) {
		s = baseline_source(in, (enum baseline_metric)m);
		baseline_compute((enum baseline_metric)m, s->v, s->n, in->today,
		    &res->base[m]);
	}
	for (i = 0; i < NUPSTREAM; i++) {
		m = (int)upstream_metrics[i];
		s = baseline_source(in, (enum baseline_metric)m);
		if (baseline_latest((enum baseline_metric)m, s->v, s->n, &v,
		    &day) != PF_OK)
			continue;
		if (baseline_classify(&res->base[m], v, &a) != PF_OK ||
		    a.severity == ANOMALY_NONE)
			continue;
		res->anom[res->nanom] = a;
		res->anom_day[res->nanom] = day;
		res->nanom++;
	}
}

/* The dense part: daily series, readiness of today. */
struct dense {
	int32_t			 first;
	size_t			 ndays;
	double			*hrv, *sleep, *rhr, *ans, *steps, *cal;
	double			*load_raw, *load, *cl_load, *sleep_total;
	double			*bedtime, *chr_rhr, *morning;
	double			*sdnn;		/* Apple's HRV */
	double			*src[4];	/* 1: the day's from Apple */
	double			*acwr, *acwr_unc, *acwr_ewma;
	double			*ctl, *atl, *tsb, *debt;
	struct hrv_band_day	*band;
	struct hrv_band_day	*mband;		/* morning readings' */
	double			 goal_s;
};

static void
dense_free(struct dense *d)
{
	free(d->hrv); free(d->sleep); free(d->rhr); free(d->ans);
	free(d->steps); free(d->cal); free(d->load_raw); free(d->load);
	free(d->cl_load); free(d->sleep_total); free(d->bedtime);
	free(d->chr_rhr); free(d->acwr); free(d->acwr_unc);
	free(d->acwr_ewma); free(d->ctl); free(d->atl); free(d->tsb);
	free(d->debt); free(d->band);
	free(d->morning); free(d->mband);
	free(d->sdnn);
	for (size_t i = 0; i < sizeof(d->src) / sizeof(d->src[0]); i++)
		free(d->src[i]);
}

static double *
darray(size_t n)
{
	return pf_xreallocarray(NULL, n ? n : 1, sizeof(double));
}

static void
dense_build(const struct user_input *in, double band_k, struct dense *d)
{
	double	*ex, v;
	int32_t	 day;
	size_t	 i, n;

	memset(d, 0, sizeof(*d));
	d->first = first_day_of(in);
	n = d->ndays = (size_t)(in->today - d->first + 1);
	d->hrv = dense(&in->rc_hrv, d->first, n);
	d->sleep = dense(&in->sleep_score, d->first, n);
	d->rhr = dense(&in->rc_rhr, d->first, n);
	d->ans = dense(&in->rc_ans, d->first, n);
	d->steps = dense(&in->steps, d->first, n);
	d->cal = dense(&in->cal_active, d->first, n);
	d->cl_load = dense(&in->cl_load, d->first, n);
	d->sleep_total = dense(&in->sleep_total, d->first, n);
	d->bedtime = dense(&in->bedtime, d->first, n);
	d->chr_rhr = dense(&in->chr_rhr, d->first, n);
	d->morning = dense(&in->hrv_morning, d->first, n);
	d->sdnn = dense(&in->ap_sdnn, d->first, n);
	d->src[0] = dense(&in->ap_steps, d->first, n);
	d->src[1] = dense(&in->ap_cal, d->first, n);
	d->src[2] = dense(&in->ap_rhr, d->first, n);
	d->src[3] = dense(&in->ap_sleep, d->first, n);
	ex = dense(&in->ex_load, d->first, n);

	/*
	 * Daily load: Polar's cardio load of the day (the sum of its
	 * sessions' loads) when present, else the sum of the day's exercise
	 * training loads.  load_raw keeps "no record" as NaN (correlations);
	 * load counts it as rest (ACWR, PMC).
	 */
	d->load_raw = darray(n);
	d->load = darray(n);
	for (i = 0; i < n; i++) {
		v = isfinite(d->cl_load[i]) && d->cl_load[i] >= 0 ?
		    d->cl_load[i] : ex[i];
		d->load_raw[i] = v;
		d->load[i] = isfinite(v) ? v : 0;
	}
	free(ex);

	d->acwr = darray(n);
	d->acwr_unc = darray(n);
	d->acwr_ewma = darray(n);
	d->ctl = darray(n);
	d->atl = darray(n);
	d->tsb = darray(n);
	d->debt = darray(n);
	d->band = pf_xreallocarray(NULL, n ? n : 1, sizeof(*d->band));
	load_acwr_rolling(d->load, n, false, d->acwr);
	load_acwr_rolling(d->load, n, true, d->acwr_unc);
	load_acwr_ewma(d->load, n, d->acwr_ewma);
	load_pmc(d->load, n, NULL, d->ctl, d->atl, d->tsb);
	load_hrv_band(d->hrv, n, band_k, d->band);
	/* The same method on the morning readings, a series of its own. */
	d->mband = pf_xreallocarray(NULL, n ? n : 1, sizeof(*d->mband));
	load_hrv_band(d->morning, n, band_k, d->mband);

	d->goal_s = DEFAULT_SLEEP_GOAL_S;
	if (latest(&in->sleep_goal, INT32_MIN, &v, &day) && v > 0)
		d->goal_s = v;
	else if (isfinite(in->sleep_goal_profile) &&
	    in->sleep_goal_profile > 0)
		d->goal_s = in->sleep_goal_profile;
	load_sleep_debt(d->sleep_total, n, d->goal_s, LOAD_SLEEP_DEBT_DAYS,
	    d->debt);
}

static void
recovery_inputs_at(const struct dense *d, size_t t, struct recovery_inputs *ri)
{
	ri->ln_rmssd = d->band[t].ln_rmssd;
	ri->band_mean = d->band[t].band_mean;
	ri->band_sd = d->band[t].band_sd;
	ri->sleep_score = d->sleep[t];
	ri->ans_charge = d->ans[t];
	ri->acwr = d->acwr[t];
}

static json_t *
means_json(const double *x, size_t n, size_t t, double *m7out)
{
	static const size_t	 w[3] = { 7, 30, 90 };
	static const char	*k[3] = { "mean_7d", "mean_30d", "mean_90d" };
	json_t			*o;
	double			 m;
	size_t			 i, lo;
	bool			 any = false;

	(void)n;
	o = json_object();
	for (i = 0; i < 3; i++) {
		lo = t + 1 >= w[i] ? t + 1 - w[i] : 0;
		if (stats_mean(x + lo, t + 1 - lo, &m) != PF_OK)
			m = NAN;
		else
			any = true;
		if (i == 0 && m7out != NULL)
			*m7out = m;
		json_object_set_new(o, k[i], pf_json_real(m));
	}
	if (!any) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void
hhmm(double min_after_noon, char buf[16])
{
	int	m;

	if ((m = sleep_bedtime_clock(min_after_noon)) < 0) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, 16, "%02d:%02d", m / 60, m % 60);
}

/*
 * A user with Apple Health data: which source each merged input of the
 * day came from ("input_sources", merge.c), and Apple's HRV, SDNN, as a
 * series of its own ("hrv_sdnn") with its 7-day mean: SDNN over a short
 * recording is not comparable to RMSSD, so it never feeds the RMSSD band.
 */
static void
apple_daily(const struct dense *d, size_t t, int32_t day,
    struct result *res)
{
	static const char *const names[4] = { "steps", "active_calories",
	    "resting_hr", "sleep_total" };
	const double	*val[4] = { d->steps, d->cal, d->rhr,
	    d->sleep_total };
	json_t		*o;
	double		 m7;
	size_t		 i, lo, napple = 0;

	o = json_object();
	for (i = 0; i < 4; i++) {
		if (!isfinite(val[i][t]))
			continue;
		if (isfinite(d->src[i][t]))
			napple++;
		json_object_set_new(o, names[i], json_string(
		    isfinite(d->src[i][t]) ? "apple" : "polar"));
	}
	if (json_object_size(o) > 0)
		daily_add(res, "input_sources", day, (double)napple, o);
	else
		json_decref(o);

	if (isfinite(d->sdnn[t])) {
		lo = t + 1 >= 7 ? t + 1 - 7 : 0;
		if (stats_mean(d->sdnn + lo, t + 1 - lo, &m7) != PF_OK)
			m7 = NAN;
		o = json_object();
		json_object_set_new(o, "source", json_string("apple"));
		json_object_set_new(o, "measure", json_string("sdnn"));
		json_object_set_new(o, "unit", json_string("ms"));
		json_object_set_new(o, "mean_7d", pf_json_real(m7));
		daily_add(res, "hrv_sdnn", day, d->sdnn[t], o);
	}
}

/* analytics_daily rows from the dirty day on. */
static void
compute_daily(const struct user_input *in, const struct dense *d,
    const struct recovery_weights *w, struct result *res)
{
	struct {
		const char	*name;
		const double	*x;
	} core[] = {
		{ "hrv_rmssd", d->hrv }, { "sleep_score", d->sleep },
		{ "resting_hr", d->rhr }, { "training_load", d->load_raw },
		{ "steps", d->steps }, { "active_calories", d->cal },
		{ "resting_hr_continuous", d->chr_rhr },
	};
	struct recovery_inputs	 ri;
	struct recovery_score	 rs;
	json_t			*o, *m;
	double			 sd, mean, m7;
	char			 hm[16];
	size_t			 t, t0, i;
	int32_t			 day;
	bool			 any;

	t0 = 0;
	if (in->dirty_from != AD_DAY_NONE && in->dirty_from > d->first)
		t0 = (size_t)(in->dirty_from - d->first);
	for (t = t0; t < d->ndays; t++) {
		day = d->first + (int32_t)t;

		o = json_object();
		any = false;
		for (i = 0; i < sizeof(core) / sizeof(core[0]); i++) {
			if ((m = means_json(core[i].x, d->ndays, t, NULL)) ==
			    NULL)
				continue;
			json_object_set_new(o, core[i].name, m);
			any = true;
		}
		if (any)
			daily_add(res, "rolling_means", day, NAN, o);
		else
			json_decref(o);

		if (isfinite(d->band[t].ln_rmssd) || isfinite(d->band[t].mean7))
			daily_add(res, "hrv_band", day, d->band[t].mean7,
			    doc_hrv_band(&d->band[t]));
		if (isfinite(d->mband[t].ln_rmssd) ||
		    isfinite(d->mband[t].mean7))
			daily_add(res, "hrv_morning_band", day,
			    d->mband[t].mean7, doc_hrv_band(&d->mband[t]));

		if (t < 27 && d->load[t] == 0 && d->ctl[t] == 0) {
			/* no training recorded yet */
		} else {
			o = json_object();
			json_object_set_new(o, "load", pf_json_real(d->load_raw[t]));
			json_object_set_new(o, "acwr", pf_json_real(d->acwr[t]));
			json_object_set_new(o, "acwr_uncoupled",
			    pf_json_real(d->acwr_unc[t]));
			json_object_set_new(o, "acwr_ewma",
			    pf_json_real(d->acwr_ewma[t]));
			json_object_set_new(o, "ctl", pf_json_real(d->ctl[t]));
			json_object_set_new(o, "atl", pf_json_real(d->atl[t]));
			json_object_set_new(o, "tsb", pf_json_real(d->tsb[t]));
			daily_add(res, "training_load", day, d->load[t], o);
		}

		if (isfinite(d->debt[t])) {
			o = json_object();
			json_object_set_new(o, "goal_seconds", pf_json_real(d->goal_s));
			json_object_set_new(o, "window_nights",
			    json_integer(LOAD_SLEEP_DEBT_DAYS));
			json_object_set_new(o, "debt_hours",
			    pf_json_real(d->debt[t] / 3600));
			daily_add(res, "sleep_debt", day, d->debt[t], o);
		}

		if (sleep_timing_sd(d->bedtime, d->ndays, t, &sd, &mean) ==
		    PF_OK) {
			o = json_object();
			hhmm(mean, hm);
			json_object_set_new(o, "mean_bedtime", pf_json_str_or_null(hm));
			json_object_set_new(o, "mean_minutes_after_noon",
			    pf_json_real(mean));
			json_object_set_new(o, "window_nights",
			    json_integer(SLEEP_TIMING_DAYS));
			daily_add(res, "sleep_consistency", day, sd, o);
		}

		if (isfinite(d->chr_rhr[t])) {
			size_t	lo = t + 1 >= RHR_BASELINE_DAYS ?
			    t + 1 - RHR_BASELINE_DAYS : 0;

			o = json_object();
			if (stats_mean(d->chr_rhr + lo, t + 1 - lo, &m7) !=
			    PF_OK)
				m7 = NAN;
			json_object_set_new(o, "baseline_14d", pf_json_real(m7));
			daily_add(res, "resting_hr_continuous", day,
			    d->chr_rhr[t], o);
		}

		if (in->has_apple)
			apple_daily(d, t, day, res);

		recovery_inputs_at(d, t, &ri);
		if (recovery_compute(&ri, w, &rs) == PF_OK) {
			o = json_object();
			json_object_set_new(o, "level", pf_json_str_or_null(rs.level));
			json_object_set_new(o, "coverage", pf_json_real(rs.coverage));
			for (i = 0; i < RECOVERY_NCOMPONENTS; i++)
				json_object_set_new(o, recovery_component_name(
				    (enum recovery_component)i),
				    rs.part[i].available ?
				    pf_json_real(rs.part[i].subscore) : json_null());
			daily_add(res, "recovery", day, rs.score, o);
		}
	}
}

/* The newest value as the insights see it (NaN for none). */
static double
current_of(const struct user_input *in, enum baseline_metric m)
{
	const struct series	*s = baseline_source(in, m);
	double			 v;

	if (baseline_current(m, s->v, s->n, &v) != PF_OK)
		return NAN;
	return v;
}

static void
insight_baseline_of(const struct result *res, enum baseline_metric m,
    struct insight_baseline *ib)
{
	const struct baseline	*b = &res->base[m];

	ib->present = true;
	ib->status = b->status;
	ib->current = res->insights.current[m];
	ib->baseline = b->value;
	ib->pct = NAN;
	if (isfinite(ib->current) && ib->current != 0 &&
	    isfinite(b->value) && b->value != 0)
		ib->pct = ib->current / b->value * 100;
	ib->trend = baseline_trend(b, NULL);
}

/* Readiness, unlocks, observations and suggestions of the insights. */
static void
compute_insights(const struct user_input *in, struct result *res)
{
	struct insights_today	*it = &res->insights;
	struct insight_inputs	 ii;
	int32_t			 firsts[2], d1;
	size_t			 nf = 0;
	int			 m;

	if ((firsts[nf] = min_day(&in->sleep_score)) != AD_DAY_NONE)
		nf++;
	if ((firsts[nf] = min_day(&in->rc_hrv)) != AD_DAY_NONE)
		nf++;
	it->age = insight_data_age_days(in->today, firsts, nf);
	insight_readiness(it->age, &it->readiness);
	it->freshness_day = max_day(&in->sleep_score);
	d1 = max_day(&in->rc_hrv);
	if (d1 != AD_DAY_NONE && (it->freshness_day == AD_DAY_NONE ||
	    d1 > it->freshness_day))
		it->freshness_day = d1;
	for (m = 0; m < BASELINE_NMETRICS; m++)
		it->current[m] = current_of(in, (enum baseline_metric)m);
	for (m = 0; m < BASELINE_NMETRICS; m++)
		insight_baseline_of(res, (enum baseline_metric)m,
		    &it->base[m]);

	memset(&ii, 0, sizeof(ii));
	ii.data_age_days = it->age;
	if (it->age >= UNLOCK_PATTERNS_DAYS) {
		/* Only upstream's detectors: the stored rows it reads. */
		ii.patterns = res->pat;
		ii.npatterns = AD_UPSTREAM_PATTERNS;
		ii.anomalies = res->anom;
		ii.nanomalies = res->nanom;
	}
	ii.hrv = it->base[BASELINE_HRV_RMSSD];
	ii.sleep = it->base[BASELINE_SLEEP_SCORE];
	it->npatterns = ii.npatterns;
	it->nanomalies = ii.nanomalies;
	insight_observations(&ii, it->obs, &it->nobs);
	insight_suggestions(&ii, it->sug, &it->nsug);
}

void
compute_status(const struct user_input *in, struct result *res)
{
	const struct series *src[STATUS_NSOURCES] = {
		[STATUS_SLEEP] = &in->sleep_score,
		[STATUS_RECHARGE] = &in->rc_hrv,
		[STATUS_ACTIVITY] = &in->steps,
		[STATUS_CARDIO_LOAD] = &in->cl_load,
	};
	int	min = 0, i;

	for (i = 0; i < STATUS_NSOURCES; i++) {
		res->data_days[i] = count_days_since(src[i],
		    in->today - ANALYTICS_STATUS_WINDOW_DAYS);
		if (i == 0 || res->data_days[i] < min)
			min = res->data_days[i];
	}
	insight_analytics_status(min, &res->status);
}

void
compute_defaults(int32_t today, struct result *res)
{
	struct user_input	in;

	memset(&in, 0, sizeof(in));
	in.today = today;
	res->today = today;
	compute_status(&in, res);
}

/* Today's readiness, its inputs, and upstream's dashboard heuristic. */
static void
compute_recovery(const struct user_input *in, const struct dense *d,
    struct result *res)
{
	struct recovery_today		*rt = &res->recovery;
	struct recovery_admin_inputs	 ai;
	size_t				 t = d->ndays - 1, k;
	double				 v;
	int32_t				 day;

	recovery_weights_default(&rt->weights);
	recovery_inputs_at(d, t, &rt->in);
	if (recovery_compute(&rt->in, &rt->weights, &rt->score) != PF_OK) {
		/* leaves score NaN, level NULL: "no data today" */
	}
	rt->band = d->band[t];
	rt->morning = d->mband[t];
	rt->load = d->load_raw[t];
	rt->acwr = d->acwr[t];
	rt->acwr_uncoupled = d->acwr_unc[t];
	rt->acwr_ewma = d->acwr_ewma[t];
	rt->ctl = d->ctl[t];
	rt->atl = d->atl[t];
	rt->tsb = d->tsb[t];
	rt->debt_s = d->debt[t];
	rt->goal_s = d->goal_s;

	memset(&ai, 0, sizeof(ai));
	ai.today = in->today;
	ai.sleep_day = ai.recharge_day = ai.cardio_day = INT32_MIN / 2;
	ai.sleep_score = ai.ans_charge = ai.hrv_avg = ai.load_ratio = NAN;
	if (latest(&in->sleep_score, in->today - 7, &v, &day)) {
		ai.sleep_day = day;
		ai.sleep_score = v;
	}
	if (latest(&in->rc_hrv, INT32_MIN, &v, &day)) {
		ai.recharge_day = day;
		ai.hrv_avg = v;
		for (k = 0; k < in->rc_ans.n; k++)
			if (in->rc_ans.v[k].day == day)
				ai.ans_charge = in->rc_ans.v[k].value;
	}
	if (latest(&in->cl_ratio, INT32_MIN, &v, &day)) {
		ai.cardio_day = day;
		ai.load_ratio = v;
	}
	recovery_admin_status(&ai, &rt->admin);
}

int
compute_user(const struct user_input *in, double band_k, struct result *res)
{
	static const char *const pm[AD_NPATTERNS] = {
		"[\"sleep_score\", \"hrv_rmssd\"]",
		"[\"hrv_rmssd\", \"sleep_score\", \"resting_hr\", "
		    "\"training_load_ratio\"]",
		"[\"hrv\"]",
		"[\"sleep\"]",
		"[\"training_load\", \"hrv_rmssd\"]",
		"[\"steps\", \"sleep_score\"]",
		"[\"hrv_rmssd\", \"sleep_score\", \"ans_charge\", "
		    "\"training_load\"]",
	};
	struct overtraining_inputs	 oi;
	struct dense			 d;
	size_t				 off, i;

	snprintf(res->user_id, sizeof(res->user_id), "%s", in->user_id);
	res->today = in->today;
	compute_iso(in->now_ms, res->computed_at);
	compute_baselines(in, res);

	dense_build(in, band_k, &d);

	/* Patterns, upstream's four first, in detect_all_patterns order. */
	pattern_sleep_hrv_correlation(in->sleep_score.v, in->sleep_score.n,
	    in->rc_hrv.v, in->rc_hrv.n, in->today, &res->pat[0]);
	memset(&oi, 0, sizeof(oi));
	oi.today = in->today;
	oi.hrv = in->rc_hrv.v;
	oi.nhrv = in->rc_hrv.n;
	oi.sleep = in->sleep_score.v;
	oi.nsleep = in->sleep_score.n;
	oi.resting_hr = in->rc_rhr.v;
	oi.nresting_hr = in->rc_rhr.n;
	oi.load_ratio = in->cl_ratio.v;
	oi.nload_ratio = in->cl_ratio.n;
	pattern_overtraining_risk(&oi, &res->pat[1]);
	pattern_trend(PATTERN_TREND_HRV, in->rc_hrv.v, in->rc_hrv.n, in->today,
	    &res->pat[2]);
	pattern_trend(PATTERN_TREND_SLEEP, in->sleep_score.v,
	    in->sleep_score.n, in->today, &res->pat[3]);
	off = d.ndays > PATTERN_DENSE_DAYS ? d.ndays - PATTERN_DENSE_DAYS : 0;
	pattern_training_recovery_lag(d.load_raw + off, d.hrv + off,
	    d.ndays - off, PATTERN_MAX_LAG, &res->pat[4]);
	pattern_activity_sleep_correlation(d.steps + off, d.sleep + off,
	    d.ndays - off, &res->pat[5]);

	compute_recovery(in, &d, res);
	pattern_recovery_readiness(&res->recovery.score, &res->pat[6]);
	res->npat = AD_NPATTERNS;
	for (i = 0; i < AD_NPATTERNS; i++)
		res->pat_metrics[i] = pm[i];

	compute_daily(in, &d, &res->recovery.weights, res);
	compute_insights(in, res);
	compute_status(in, res);

	dense_free(&d);
	return PF_OK;
}
