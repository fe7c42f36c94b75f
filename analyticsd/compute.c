/*
 * compute.c -- one user's raw series in, every derived number out.
 *
 * Calls the pure metric_*.c functions and shapes their results as rows
 * (baselines, patterns, alerts, daily series) and as the JSON documents
 * apid serves verbatim (analytics_documents; see store.c for the shapes).
 * No I/O and no clock: "today" and "now" come in struct user_input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "analyticsd/analyticsd.h"
#include "analyticsd/daemon.h"

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
}

void
result_init(struct result *res)
{
	memset(res, 0, sizeof(*res));
	res->docs = json_object();
}

void
result_cleanup(struct result *res)
{
	size_t	i;

	for (i = 0; i < res->ndaily; i++)
		json_decref(res->daily[i].details);
	free(res->daily);
	json_decref(res->docs);
	memset(res, 0, sizeof(*res));
}

/* JSON helpers: NaN becomes null, as upstream's None. */

static json_t *
jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
jstr(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

static json_t *
jday(int32_t day)
{
	char	buf[PF_TIME_DATE_LEN];

	if (day == AD_DAY_NONE || pf_time_format_date(day, buf) != PF_OK)
		return json_null();
	return json_string(buf);
}

void
compute_iso(int64_t ms, char buf[AD_ISO_LEN])
{
	if (pf_time_format_datetime(ms, 0, 0, buf, AD_ISO_LEN) != PF_OK)
		snprintf(buf, AD_ISO_LEN, "1970-01-01T00:00:00.000Z");
}

/*
 * Python's repr(float): the shortest digits that read back as v, in fixed
 * notation for exponents -4..15 (with ".0" on integers), else d.ddde+XX.
 */
static void
dtoa_short(double v, char *buf, size_t len)
{
	static const int	 precs[3] = { 15, 16, 17 };
	char			 tmp[40], *e, *m;
	int			 i, exp10, sig, dec;

	/*
	 * If some p <= 15 digits read back as v, the 15-digit rounding is
	 * those digits padded with zeros, so trying 15, 16, 17 is enough.
	 */
	for (i = 0; i < 3; i++) {
		snprintf(tmp, sizeof(tmp), "%.*e", precs[i] - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if ((e = strchr(tmp, 'e')) == NULL) {
		snprintf(buf, len, "%s", tmp);
		return;
	}
	exp10 = atoi(e + 1);
	for (m = e - 1; m > tmp && (*m == '0' || *m == '.'); m--)
		;
	for (sig = 0, e = tmp; e <= m; e++)
		if (*e >= '0' && *e <= '9')
			sig++;
	if (exp10 >= -4 && exp10 < 16) {
		dec = sig - 1 - exp10;
		snprintf(buf, len, "%.*f", dec < 1 ? 1 : dec, v);
	} else
		snprintf(buf, len, "%.*e", sig - 1, v);
}

static void
dump_rec(const json_t *v, char **buf, size_t *len, size_t *cap)
{
	char		 num[40], *s;
	const char	*key;
	json_t		*e;
	size_t		 i, n;

#define PUT(str, l) do {						\
	while (*len + (l) + 1 > *cap) {					\
		*cap = *cap ? *cap * 2 : 256;				\
		*buf = pf_xreallocarray(*buf, *cap, 1);			\
	}								\
	memcpy(*buf + *len, (str), (l));				\
	*len += (l);							\
	(*buf)[*len] = '\0';						\
} while (0)

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		PUT("{", 1);
		i = 0;
		json_object_foreach((json_t *)v, key, e) {
			if (i++ > 0)
				PUT(",", 1);
			{
				json_t	*k = json_string(key);

				s = json_dumps(k, JSON_ENCODE_ANY);
				json_decref(k);
			}
			PUT(s, strlen(s));
			free(s);
			PUT(":", 1);
			dump_rec(e, buf, len, cap);
		}
		PUT("}", 1);
		break;
	case JSON_ARRAY:
		PUT("[", 1);
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				PUT(",", 1);
			dump_rec(json_array_get(v, i), buf, len, cap);
		}
		PUT("]", 1);
		break;
	case JSON_REAL:
		if (!isfinite(json_real_value(v))) {
			PUT("null", 4);
			break;
		}
		dtoa_short(json_real_value(v), num, sizeof(num));
		PUT(num, strlen(num));
		break;
	default:
		s = json_dumps(v, JSON_ENCODE_ANY);
		if (s == NULL) {
			PUT("null", 4);
			break;
		}
		PUT(s, strlen(s));
		free(s);
		break;
	}
#undef PUT
}

char *
compute_dumps(const json_t *v)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;

	dump_rec(v, &buf, &len, &cap);
	return buf;
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
	    &in->steps, &in->cl_load, &in->ex_load, &in->chr_rhr };
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

/* Baselines and the anomaly scan (§3.1, §3.2). */
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

static json_t *
anomaly_json(const struct anomaly *a, bool insights)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, insights ? "metric" : "metric_name",
	    json_string(baseline_metric_name(a->metric)));
	json_object_set_new(o, "current_value", jnum(a->current));
	json_object_set_new(o, "baseline_value", jnum(a->baseline));
	if (!insights) {
		json_object_set_new(o, "median_value", jnum(a->median));
		json_object_set_new(o, "lower_bound", jnum(a->lower_bound));
		json_object_set_new(o, "upper_bound", jnum(a->upper_bound));
	}
	if (insights)
		json_object_set_new(o, "deviation_percent",
		    jnum(a->deviation_pct));
	json_object_set_new(o, "direction", json_string(a->direction));
	json_object_set_new(o, "severity",
	    json_string(anomaly_severity_name(a->severity)));
	if (!insights)
		json_object_set_new(o, "deviation_percent",
		    jnum(a->deviation_pct));
	return o;
}

json_t *
compute_pattern_details(const struct pattern *p)
{
	json_t	*o, *a;
	size_t	 i;
	int	 l;

	o = json_object();
	if (p->reason[0] != '\0') {
		json_object_set_new(o, "reason", json_string(p->reason));
		return o;
	}
	if (strcmp(p->type, "correlation") == 0) {
		json_object_set_new(o, "correlation_coefficient", jnum(p->r));
		json_object_set_new(o, "p_value", jnum(p->p));
		json_object_set_new(o, "strength", jstr(p->strength));
		json_object_set_new(o, "direction", jstr(p->direction));
		json_object_set_new(o, "interpretation",
		    jstr(p->interpretation));
		if (strcmp(p->name, "training_recovery_lag") == 0) {
			json_object_set_new(o, "lag_days",
			    json_integer(p->lag_days));
			a = json_array();
			for (l = 1; l <= PATTERN_MAX_LAG; l++) {
				json_t	*e = json_object();

				json_object_set_new(e, "lag_days",
				    json_integer(l));
				json_object_set_new(e, "r", jnum(p->lag_r[l]));
				json_object_set_new(e, "p_value",
				    jnum(p->lag_p[l]));
				json_object_set_new(e, "pairs",
				    json_integer((json_int_t)p->lag_n[l]));
				json_array_append_new(a, e);
			}
			json_object_set_new(o, "lags", a);
		}
	} else if (strcmp(p->type, "trend") == 0) {
		json_object_set_new(o, "trend_percent", jnum(p->trend_pct));
		json_object_set_new(o, "direction", jstr(p->direction));
		json_object_set_new(o, "interpretation",
		    jstr(p->interpretation));
	} else if (strcmp(p->name, "recovery_readiness") == 0) {
		json_object_set_new(o, "readiness_score", jnum(p->score));
		a = json_array();
		for (i = 0; i < p->nfactors; i++)
			json_array_append_new(a, json_string(p->factors[i]));
		json_object_set_new(o, "factors", a);
		json_object_set_new(o, "metrics_checked",
		    json_integer((json_int_t)p->metrics_checked));
		json_object_set_new(o, "interpretation",
		    jstr(p->interpretation));
	} else {
		json_object_set_new(o, "risk_score", json_integer(p->risk_score));
		a = json_array();
		for (i = 0; i < p->nfactors; i++)
			json_array_append_new(a, json_string(p->factors[i]));
		json_object_set_new(o, "risk_factors", a);
		json_object_set_new(o, "metrics_checked",
		    json_integer((json_int_t)p->metrics_checked));
		a = json_array();
		for (i = 0; i < p->nrecommendations; i++)
			json_array_append_new(a,
			    json_string(p->recommendations[i]));
		json_object_set_new(o, "recommendations", a);
	}
	return o;
}

/* The dense part: daily series, readiness of today. */
struct dense {
	int32_t			 first;
	size_t			 ndays;
	double			*hrv, *sleep, *rhr, *ans, *steps, *cal;
	double			*load_raw, *load, *cl_load, *sleep_total;
	double			*bedtime, *chr_rhr;
	double			*acwr, *acwr_unc, *acwr_ewma;
	double			*ctl, *atl, *tsb, *debt;
	struct hrv_band_day	*band;
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
recovery_json(const struct recovery_score *rs, const struct recovery_inputs
    *ri)
{
	json_t	*o, *c, *p;
	int	 i;

	o = json_object();
	json_object_set_new(o, "score", jnum(rs->score));
	json_object_set_new(o, "level", jstr(rs->level));
	json_object_set_new(o, "coverage", jnum(rs->coverage));
	c = json_object();
	for (i = 0; i < RECOVERY_NCOMPONENTS; i++) {
		p = json_object();
		json_object_set_new(p, "available",
		    json_boolean(rs->part[i].available));
		json_object_set_new(p, "input", jnum(rs->part[i].input));
		json_object_set_new(p, "subscore", jnum(rs->part[i].subscore));
		json_object_set_new(p, "weight", jnum(rs->part[i].weight));
		json_object_set_new(p, "effective_weight",
		    jnum(rs->part[i].effective));
		json_object_set_new(c,
		    recovery_component_name((enum recovery_component)i), p);
	}
	json_object_set_new(o, "components", c);
	p = json_object();
	json_object_set_new(p, "ln_rmssd", jnum(ri->ln_rmssd));
	json_object_set_new(p, "hrv_band_mean", jnum(ri->band_mean));
	json_object_set_new(p, "hrv_band_sd", jnum(ri->band_sd));
	json_object_set_new(p, "sleep_score", jnum(ri->sleep_score));
	json_object_set_new(p, "ans_charge", jnum(ri->ans_charge));
	json_object_set_new(p, "acwr", jnum(ri->acwr));
	json_object_set_new(o, "inputs", p);
	return o;
}

static json_t *
band_json(const struct hrv_band_day *b)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "ln_rmssd", jnum(b->ln_rmssd));
	json_object_set_new(o, "mean_7d", jnum(b->mean7));
	json_object_set_new(o, "cv_7d_pct", jnum(b->cv7_pct));
	json_object_set_new(o, "band_mean", jnum(b->band_mean));
	json_object_set_new(o, "band_sd", jnum(b->band_sd));
	json_object_set_new(o, "band_low", jnum(b->band_lo));
	json_object_set_new(o, "band_high", jnum(b->band_hi));
	json_object_set_new(o, "status",
	    json_string(load_hrv_band_status_name(b->status)));
	return o;
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
		json_object_set_new(o, k[i], jnum(m));
	}
	if (!any) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void
hhmm(double min_after_noon, char buf[8])
{
	long	m;

	if (!isfinite(min_after_noon)) {
		buf[0] = '\0';
		return;
	}
	m = (lround(min_after_noon) + 720) % 1440;
	snprintf(buf, 8, "%02ld:%02ld", m / 60, m % 60);
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
	char			 hm[8];
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
			    band_json(&d->band[t]));

		if (t < 27 && d->load[t] == 0 && d->ctl[t] == 0) {
			/* no training recorded yet */
		} else {
			o = json_object();
			json_object_set_new(o, "load", jnum(d->load_raw[t]));
			json_object_set_new(o, "acwr", jnum(d->acwr[t]));
			json_object_set_new(o, "acwr_uncoupled",
			    jnum(d->acwr_unc[t]));
			json_object_set_new(o, "acwr_ewma",
			    jnum(d->acwr_ewma[t]));
			json_object_set_new(o, "ctl", jnum(d->ctl[t]));
			json_object_set_new(o, "atl", jnum(d->atl[t]));
			json_object_set_new(o, "tsb", jnum(d->tsb[t]));
			daily_add(res, "training_load", day, d->load[t], o);
		}

		if (isfinite(d->debt[t])) {
			o = json_object();
			json_object_set_new(o, "goal_seconds", jnum(d->goal_s));
			json_object_set_new(o, "window_nights",
			    json_integer(LOAD_SLEEP_DEBT_DAYS));
			json_object_set_new(o, "debt_hours",
			    jnum(d->debt[t] / 3600));
			daily_add(res, "sleep_debt", day, d->debt[t], o);
		}

		if (sleep_timing_sd(d->bedtime, d->ndays, t, &sd, &mean) ==
		    PF_OK) {
			o = json_object();
			hhmm(mean, hm);
			json_object_set_new(o, "mean_bedtime", jstr(hm));
			json_object_set_new(o, "mean_minutes_after_noon",
			    jnum(mean));
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
			json_object_set_new(o, "baseline_14d", jnum(m7));
			daily_add(res, "resting_hr_continuous", day,
			    d->chr_rhr[t], o);
		}

		recovery_inputs_at(d, t, &ri);
		if (recovery_compute(&ri, w, &rs) == PF_OK) {
			o = json_object();
			json_object_set_new(o, "level", jstr(rs.level));
			json_object_set_new(o, "coverage", jnum(rs.coverage));
			for (i = 0; i < RECOVERY_NCOMPONENTS; i++)
				json_object_set_new(o, recovery_component_name(
				    (enum recovery_component)i),
				    rs.part[i].available ?
				    jnum(rs.part[i].subscore) : json_null());
			daily_add(res, "recovery", day, rs.score, o);
		}
	}
}

/* The newest value (>0 for positive-only metrics) as the insights see it. */
static double
current_of(const struct user_input *in, enum baseline_metric m)
{
	const struct series	*s = baseline_source(in, m);
	double			 v;

	if (baseline_latest(m, s->v, s->n, &v, NULL) != PF_OK)
		return NAN;
	return v;
}

static void
insight_baseline_of(const struct user_input *in, const struct result *res,
    enum baseline_metric m, struct insight_baseline *ib)
{
	const struct baseline	*b = &res->base[m];

	ib->present = true;
	ib->status = b->status;
	ib->current = current_of(in, m);
	ib->baseline = b->value;
	ib->pct = NAN;
	if (isfinite(ib->current) && ib->current != 0 &&
	    isfinite(b->value) && b->value != 0)
		ib->pct = ib->current / b->value * 100;
	ib->trend = baseline_trend(b, NULL);
}

static json_t *
insights_doc(const struct user_input *in, struct result *res, int age,
    const struct insight_readiness *rd)
{
	struct insight_inputs		 ii;
	struct insight_observation	 obs[INSIGHT_MAX_OBSERVATIONS];
	struct insight_suggestion	 sug[INSIGHT_MAX_SUGGESTIONS];
	struct insight_baseline		 ib;
	json_t				*doc, *o, *a, *e, *f;
	int32_t				 fresh, d1;
	size_t				 i, j, n;
	char				 iso[AD_ISO_LEN];

	doc = json_object();
	json_object_set_new(doc, "user_id", json_string(in->user_id));
	json_object_set_new(doc, "generated_at", json_string(res->computed_at));
	fresh = max_day(&in->sleep_score);
	d1 = max_day(&in->rc_hrv);
	if (d1 != AD_DAY_NONE && (fresh == AD_DAY_NONE || d1 > fresh))
		fresh = d1;
	if (fresh == AD_DAY_NONE)
		json_object_set_new(doc, "data_freshness", json_null());
	else {
		pf_time_format_datetime((int64_t)fresh * PF_TIME_DAY_MS, 0,
		    PF_TIME_FMT_NOMS, iso, sizeof(iso));
		json_object_set_new(doc, "data_freshness", json_string(iso));
	}
	json_object_set_new(doc, "data_age_days", json_integer(age));
	json_object_set_new(doc, "status", json_string(rd->status));

	o = json_object();
	for (i = 0; i < INSIGHT_NFEATURES; i++) {
		f = json_object();
		json_object_set_new(f, "available",
		    json_boolean(rd->feature[i].available));
		json_object_set_new(f, "message", jstr(rd->feature[i].message));
		json_object_set_new(f, "unlock_at_days",
		    json_integer(rd->feature[i].unlock_at_days));
		json_object_set_new(o, rd->feature[i].name, f);
	}
	json_object_set_new(doc, "feature_availability", o);
	if (rd->has_next) {
		o = json_object();
		json_object_set_new(o, "next_unlock",
		    json_string(rd->next_unlock));
		json_object_set_new(o, "days_until_next",
		    json_integer(rd->days_until_next));
		json_object_set_new(o, "percent_to_next",
		    jnum(rd->percent_to_next));
		json_object_set_new(doc, "unlock_progress", o);
	} else
		json_object_set_new(doc, "unlock_progress", json_null());

	o = json_object();
	json_object_set_new(o, "hrv", jnum(current_of(in, BASELINE_HRV_RMSSD)));
	json_object_set_new(o, "sleep_score",
	    jnum(current_of(in, BASELINE_SLEEP_SCORE)));
	json_object_set_new(o, "resting_hr",
	    jnum(current_of(in, BASELINE_RESTING_HR)));
	json_object_set_new(o, "training_load_ratio",
	    jnum(current_of(in, BASELINE_TRAINING_LOAD_RATIO)));
	json_object_set_new(doc, "current_metrics", o);

	o = json_object();
	for (i = 0; i < NUPSTREAM; i++) {
		insight_baseline_of(in, res, upstream_metrics[i], &ib);
		e = json_object();
		json_object_set_new(e, "current", jnum(ib.current));
		json_object_set_new(e, "baseline", jnum(ib.baseline));
		json_object_set_new(e, "baseline_7d",
		    jnum(res->base[upstream_metrics[i]].mean_7d));
		json_object_set_new(e, "baseline_30d",
		    jnum(res->base[upstream_metrics[i]].mean_30d));
		json_object_set_new(e, "percent_of_baseline", jnum(ib.pct));
		json_object_set_new(e, "trend", jstr(ib.trend));
		json_object_set_new(e, "trend_days", json_null());
		json_object_set_new(e, "status",
		    json_string(baseline_status_name(ib.status)));
		json_object_set_new(o,
		    baseline_metric_name(upstream_metrics[i]), e);
	}
	json_object_set_new(doc, "baselines", o);

	memset(&ii, 0, sizeof(ii));
	ii.data_age_days = age;
	if (age >= 21) {
		/* Upstream's four detectors only: the stored rows it reads. */
		ii.patterns = res->pat;
		ii.npatterns = 4;
		ii.anomalies = res->anom;
		ii.nanomalies = res->nanom;
	}
	insight_baseline_of(in, res, BASELINE_HRV_RMSSD, &ii.hrv);
	insight_baseline_of(in, res, BASELINE_SLEEP_SCORE, &ii.sleep);

	a = json_array();
	for (i = 0; i < ii.npatterns; i++) {
		const struct pattern *p = &res->pat[i];

		e = json_object();
		json_object_set_new(e, "name", json_string(p->name));
		json_object_set_new(e, "pattern_type", json_string(p->type));
		json_object_set_new(e, "score", jnum(p->score));
		json_object_set_new(e, "significance",
		    json_string(pattern_significance_name(p->significance)));
		f = json_array();
		for (j = 0; j < p->nfactors; j++)
			json_array_append_new(f, json_string(p->factors[j]));
		json_object_set_new(e, "factors", f);
		json_object_set_new(e, "interpretation",
		    p->reason[0] == '\0' ? jstr(p->interpretation) :
		    json_null());
		json_array_append_new(a, e);
	}
	json_object_set_new(doc, "patterns", a);

	a = json_array();
	for (i = 0; i < ii.nanomalies; i++)
		json_array_append_new(a, anomaly_json(&res->anom[i], true));
	json_object_set_new(doc, "anomalies", a);

	a = json_array();
	insight_observations(&ii, obs, &n);
	for (i = 0; i < n; i++) {
		e = json_object();
		json_object_set_new(e, "category", json_string(obs[i].category));
		json_object_set_new(e, "priority", json_string(obs[i].priority));
		json_object_set_new(e, "fact", json_string(obs[i].fact));
		json_object_set_new(e, "context", jstr(obs[i].context));
		json_object_set_new(e, "trend", jstr(obs[i].trend));
		json_array_append_new(a, e);
	}
	json_object_set_new(doc, "observations", a);

	a = json_array();
	insight_suggestions(&ii, sug, &n);
	for (i = 0; i < n; i++) {
		e = json_object();
		json_object_set_new(e, "action", json_string(sug[i].action));
		json_object_set_new(e, "description",
		    json_string(sug[i].description));
		json_object_set_new(e, "confidence", jnum(sug[i].confidence));
		json_object_set_new(e, "reason", json_string(sug[i].reason));
		json_array_append_new(a, e);
	}
	json_object_set_new(doc, "suggestions", a);
	return doc;
}

static json_t *
status_doc(const struct user_input *in)
{
	struct analytics_status	 st;
	json_t			*doc, *o, *f, *a;
	int			 dd[4], min, i;
	static const char	*names[4] = { "sleep", "recharge", "activity",
	    "cardio_load" };

	dd[0] = count_days_since(&in->sleep_score, in->today - 90);
	dd[1] = count_days_since(&in->rc_hrv, in->today - 90);
	dd[2] = count_days_since(&in->steps, in->today - 90);
	dd[3] = count_days_since(&in->cl_load, in->today - 90);
	min = dd[0];
	for (i = 1; i < 4; i++)
		if (dd[i] < min)
			min = dd[i];
	insight_analytics_status(min, &st);

	doc = json_object();
	json_object_set_new(doc, "user_id", json_string(in->user_id));
	o = json_object();
	for (i = 0; i < 4; i++)
		json_object_set_new(o, names[i], json_integer(dd[i]));
	json_object_set_new(doc, "data_days", o);
	json_object_set_new(doc, "min_data_days", json_integer(min));
	o = json_object();
	for (i = 0; i < ANALYTICS_NFEATURES; i++)
		json_object_set_new(o, st.feature[i].name,
		    json_boolean(st.feature[i].unlocked));
	json_object_set_new(doc, "features_available", o);
	o = json_object();
	for (i = 0; i < ANALYTICS_NFEATURES; i++) {
		f = json_object();
		json_object_set_new(f, "unlocked",
		    json_boolean(st.feature[i].unlocked));
		json_object_set_new(f, "days_required",
		    json_integer(st.feature[i].days_required));
		json_object_set_new(f, "days_remaining",
		    json_integer(st.feature[i].days_remaining));
		if (st.feature[i].unlocked)
			json_object_set_new(f, "progress_percent",
			    json_integer(100));
		else
			json_object_set_new(f, "progress_percent",
			    jnum(st.feature[i].progress_percent));
		json_object_set_new(o, st.feature[i].name, f);
	}
	json_object_set_new(doc, "unlock_progress", o);
	a = json_array();
	json_array_append_new(a, json_string(st.recommendation));
	json_object_set_new(doc, "recommendations", a);
	return doc;
}

static json_t *
recovery_doc(const struct user_input *in, const struct dense *d,
    const struct recovery_weights *w, struct recovery_score *rs)
{
	struct recovery_admin_inputs	 ai;
	struct recovery_admin_status	 as;
	struct recovery_inputs		 ri;
	json_t				*doc, *o, *a;
	size_t				 t = d->ndays - 1, i;
	double				 v;
	int32_t				 day;

	recovery_inputs_at(d, t, &ri);
	if (recovery_compute(&ri, w, rs) != PF_OK) {
		/* leaves score NaN, level NULL: "no data today" */
	}
	doc = recovery_json(rs, &ri);
	json_object_set_new(doc, "user_id", json_string(in->user_id));
	json_object_set_new(doc, "day", jday(in->today));
	o = json_object();
	for (i = 0; i < RECOVERY_NCOMPONENTS; i++)
		json_object_set_new(o,
		    recovery_component_name((enum recovery_component)i),
		    jnum(w->w[i]));
	json_object_set_new(doc, "weights", o);
	json_object_set_new(doc, "hrv_band", band_json(&d->band[t]));
	o = json_object();
	json_object_set_new(o, "load", jnum(d->load_raw[t]));
	json_object_set_new(o, "acwr", jnum(d->acwr[t]));
	json_object_set_new(o, "acwr_uncoupled", jnum(d->acwr_unc[t]));
	json_object_set_new(o, "acwr_ewma", jnum(d->acwr_ewma[t]));
	json_object_set_new(o, "ctl", jnum(d->ctl[t]));
	json_object_set_new(o, "atl", jnum(d->atl[t]));
	json_object_set_new(o, "tsb", jnum(d->tsb[t]));
	json_object_set_new(doc, "training_load", o);
	o = json_object();
	json_object_set_new(o, "debt_seconds", jnum(d->debt[t]));
	json_object_set_new(o, "goal_seconds", jnum(d->goal_s));
	json_object_set_new(o, "window_nights",
	    json_integer(LOAD_SLEEP_DEBT_DAYS));
	json_object_set_new(doc, "sleep_debt", o);

	/* Upstream's dashboard heuristic (§3.6), for clients that show it. */
	memset(&ai, 0, sizeof(ai));
	ai.today = in->today;
	ai.sleep_day = ai.recharge_day = ai.cardio_day = INT32_MIN / 2;
	ai.sleep_score = ai.ans_charge = ai.hrv_avg = ai.load_ratio = NAN;
	if (latest(&in->sleep_score, in->today - 7, &v, &day)) {
		ai.sleep_day = day;
		ai.sleep_score = v;
	}
	if (latest(&in->rc_hrv, INT32_MIN, &v, &day)) {
		size_t	k;

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
	recovery_admin_status(&ai, &as);
	o = json_object();
	json_object_set_new(o, "readiness", jstr(as.readiness));
	json_object_set_new(o, "readiness_score",
	    json_integer(as.readiness_score));
	a = json_array();
	for (i = 0; i < as.nrecommendations; i++)
		json_array_append_new(a, json_string(as.recommendations[i]));
	json_object_set_new(o, "recommendations", a);
	json_object_set_new(o, "training_advice", jstr(as.training_advice));
	json_object_set_new(o, "has_data", json_boolean(as.has_data));
	json_object_set_new(doc, "dashboard", o);
	json_object_set_new(doc, "computed_at", json_string(""));
	return doc;
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
	struct insight_readiness	 rd;
	struct recovery_weights		 w;
	struct recovery_score		 rs;
	struct dense			 d;
	json_t				*doc, *a;
	int32_t				 firsts[2];
	size_t				 nf = 0, off, i;
	int				 age;

	compute_iso(in->now_ms, res->computed_at);
	compute_baselines(in, res);

	dense_build(in, band_k, &d);
	recovery_weights_default(&w);

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

	doc = recovery_doc(in, &d, &w, &rs);
	json_object_set_new(doc, "computed_at",
	    json_string(res->computed_at));
	pattern_recovery_readiness(&rs, &res->pat[6]);
	res->npat = AD_NPATTERNS;
	for (i = 0; i < AD_NPATTERNS; i++)
		res->pat_metrics[i] = pm[i];
	json_object_set_new(res->docs, "recovery", doc);

	compute_daily(in, &d, &w, res);

	if ((firsts[nf] = min_day(&in->sleep_score)) != AD_DAY_NONE)
		nf++;
	if ((firsts[nf] = min_day(&in->rc_hrv)) != AD_DAY_NONE)
		nf++;
	age = insight_data_age_days(in->today, firsts, nf);
	insight_readiness(age, &rd);
	json_object_set_new(res->docs, "insights",
	    insights_doc(in, res, age, &rd));
	json_object_set_new(res->docs, "status", status_doc(in));

	doc = json_object();
	json_object_set_new(doc, "user_id", json_string(in->user_id));
	json_object_set_new(doc, "anomaly_count",
	    json_integer((json_int_t)res->nanom));
	a = json_array();
	for (i = 0; i < res->nanom; i++)
		json_array_append_new(a, anomaly_json(&res->anom[i], false));
	json_object_set_new(doc, "anomalies", a);
	json_object_set_new(res->docs, "anomalies", doc);

	dense_free(&d);
	return PF_OK;
}
