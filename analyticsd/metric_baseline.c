/*
 * metric_baseline.c -- upstream-compatible personal baselines and the IQR
 * anomaly test (upstream services/baseline.py, models/baseline.py and
 * AnomalyService), as functions over (day, value) arrays.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"

#include "analyticsd/metric.h"

static const char *const metric_names[BASELINE_NMETRICS] = {
	[BASELINE_HRV_RMSSD] = "hrv_rmssd",
	[BASELINE_SLEEP_SCORE] = "sleep_score",
	[BASELINE_RESTING_HR] = "resting_hr",
	[BASELINE_TRAINING_LOAD] = "training_load",
	[BASELINE_TRAINING_LOAD_RATIO] = "training_load_ratio",
	[BASELINE_ACTIVE_CALORIES] = "active_calories",
	[BASELINE_STEPS] = "steps",
};

const char *
baseline_metric_name(enum baseline_metric m)
{
	if ((unsigned)m >= BASELINE_NMETRICS)
		return NULL;
	return metric_names[m];
}

const char *
baseline_status_name(enum baseline_status s)
{
	switch (s) {
	case BASELINE_READY:		return "ready";
	case BASELINE_PARTIAL:		return "partial";
	case BASELINE_INSUFFICIENT:	return "insufficient";
	}
	return "insufficient";
}

const char *
anomaly_severity_name(enum anomaly_severity s)
{
	switch (s) {
	case ANOMALY_WARNING:	return "warning";
	case ANOMALY_CRITICAL:	return "critical";
	case ANOMALY_NONE:	return "none";
	}
	return "none";
}

bool
baseline_metric_positive_only(enum baseline_metric m)
{
	return m == BASELINE_TRAINING_LOAD || m == BASELINE_TRAINING_LOAD_RATIO;
}

bool
baseline_metric_lower_is_better(enum baseline_metric m)
{
	return m == BASELINE_RESTING_HR;
}

static bool
usable(enum baseline_metric m, double v)
{
	if (!isfinite(v))
		return false;
	return !baseline_metric_positive_only(m) || v > 0;
}

struct row {
	int32_t	day;
	size_t	idx;
	double	value;
};

/* Newest first; equal days keep input order (the sort must be stable). */
static int
cmp_row_newest(const void *a, const void *b)
{
	const struct row	*x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static void
baseline_clear(struct baseline *b, enum baseline_metric m)
{
	memset(b, 0, sizeof(*b));
	b->metric = m;
	b->status = BASELINE_INSUFFICIENT;
	b->value = 0.0;
	b->median = b->q1 = b->q3 = b->std_dev = NAN;
	b->min = b->max = NAN;
	b->mean_7d = b->mean_30d = b->mean_90d = NAN;
}

int
baseline_compute(enum baseline_metric m, const struct dayval *s, size_t n,
    int32_t today, struct baseline *out)
{
	struct row	*rows;
	double		*v, q[3];
	size_t		 i, k = 0;
	int32_t		 since = today - BASELINE_WINDOW_DAYS;

	if (out == NULL || (unsigned)m >= BASELINE_NMETRICS ||
	    (s == NULL && n > 0))
		return PF_ERR_INVALID;
	baseline_clear(out, m);

	rows = pf_xreallocarray(NULL, n ? n : 1, sizeof(*rows));
	for (i = 0; i < n; i++) {
		if (s[i].day < since || !usable(m, s[i].value))
			continue;
		rows[k].day = s[i].day;
		rows[k].idx = i;
		rows[k].value = s[i].value;
		k++;
	}
	qsort(rows, k, sizeof(*rows), cmp_row_newest);
	v = pf_xreallocarray(NULL, k ? k : 1, sizeof(*v));
	for (i = 0; i < k; i++)
		v[i] = rows[i].value;

	out->sample_count = k;
	if (k >= BASELINE_MIN_READY)
		out->status = BASELINE_READY;
	else if (k >= BASELINE_MIN_PARTIAL)
		out->status = BASELINE_PARTIAL;
	if (k > 0) {
		(void)stats_mean(v, k, &out->value);
		(void)stats_minmax(v, k, &out->min, &out->max);
		/* newest first, so the range ends are the last and first rows */
		out->has_range = true;
		out->start_day = rows[k - 1].day;
		out->end_day = rows[0].day;
	}
	if (k >= BASELINE_MIN_PARTIAL) {
		(void)stats_median(v, k, &out->median);
		(void)stats_quartiles(v, k, q);
		out->q1 = q[0];
		out->q3 = q[2];
		(void)stats_stdev(v, k, &out->std_dev);
		(void)stats_mean(v, 7, &out->mean_7d);
		if (k >= 30)
			(void)stats_mean(v, 30, &out->mean_30d);
		if (k >= 90)
			(void)stats_mean(v, 90, &out->mean_90d);
	}
	free(v);
	free(rows);
	return PF_OK;
}

int
baseline_bounds(const struct baseline *b, double k, double *lower,
    double *upper)
{
	double	iqr;

	if (b == NULL || lower == NULL || upper == NULL)
		return PF_ERR_INVALID;
	*lower = *upper = NAN;
	if (!isfinite(b->q1) || !isfinite(b->q3))
		return PF_ERR_RANGE;
	iqr = b->q3 - b->q1;
	*lower = b->q1 - k * iqr;
	*upper = b->q3 + k * iqr;
	return PF_OK;
}

int
baseline_classify(const struct baseline *b, double value,
    struct anomaly *out)
{
	double	lo, hi, xlo, xhi, base;

	if (b == NULL || out == NULL)
		return PF_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	out->metric = b->metric;
	out->severity = ANOMALY_NONE;
	out->current = value;
	out->baseline = b->value;
	out->median = b->median;
	out->deviation_pct = NAN;
	(void)baseline_bounds(b, BASELINE_WARNING_IQR, &out->lower_bound,
	    &out->upper_bound);

	base = isfinite(b->value) ? b->value : 0;
	out->direction = value > base ? "above" : "below";
	/*
	 * No deviation from a zero baseline, everywhere (upstream divides
	 * unguarded in the insights, where a zero baseline is a 500).
	 */
	if (isfinite(b->value) && b->value != 0 && isfinite(value))
		out->deviation_pct = (value - b->value) / b->value * 100;

	if (!isfinite(value) ||
	    baseline_bounds(b, BASELINE_WARNING_IQR, &lo, &hi) != PF_OK)
		return PF_OK;
	(void)baseline_bounds(b, BASELINE_CRITICAL_IQR, &xlo, &xhi);
	if (value < xlo || value > xhi)
		out->severity = ANOMALY_CRITICAL;
	else if (value < lo || value > hi)
		out->severity = ANOMALY_WARNING;
	return PF_OK;
}

int
baseline_latest(enum baseline_metric m, const struct dayval *s, size_t n,
    double *value, int32_t *day)
{
	size_t	i, best = n;

	if (value == NULL || (unsigned)m >= BASELINE_NMETRICS ||
	    (s == NULL && n > 0))
		return PF_ERR_INVALID;
	*value = NAN;
	for (i = 0; i < n; i++) {
		if (!usable(m, s[i].value))
			continue;
		if (best == n || s[i].day >= s[best].day)
			best = i;
	}
	/* upstream's "if value:" drops a newest value of 0 without fallback */
	if (best == n || s[best].value == 0)
		return PF_ERR_NOTFOUND;
	*value = s[best].value;
	if (day != NULL)
		*day = s[best].day;
	return PF_OK;
}

int
baseline_current(enum baseline_metric m, const struct dayval *s, size_t n,
    double *value)
{
	size_t	i, best = n;
	double	v;

	if (value == NULL || (unsigned)m >= BASELINE_NMETRICS ||
	    (s == NULL && n > 0))
		return PF_ERR_INVALID;
	*value = NAN;
	for (i = 0; i < n; i++) {
		v = s[i].value;
		/* a rest day's load of 0 is a value; below 0 is Polar's -1 */
		if (!isfinite(v) || (m == BASELINE_TRAINING_LOAD ? v < 0 :
		    !usable(m, v)))
			continue;
		if (best == n || s[i].day >= s[best].day)
			best = i;
	}
	if (best == n)
		return PF_ERR_NOTFOUND;
	*value = s[best].value;
	return PF_OK;
}

const char *
baseline_trend(const struct baseline *b, double *delta_pct)
{
	double	d;
	bool	invert;

	if (delta_pct != NULL)
		*delta_pct = NAN;
	/*
	 * No trend against a 30-day mean of 0 (upstream raises
	 * ZeroDivisionError).
	 */
	if (b == NULL || !isfinite(b->mean_7d) || !isfinite(b->mean_30d) ||
	    b->mean_30d == 0)
		return NULL;
	d = (b->mean_7d - b->mean_30d) / b->mean_30d * 100;
	if (delta_pct != NULL)
		*delta_pct = d;
	/* A rising resting HR is a decline, not an improvement. */
	invert = baseline_metric_lower_is_better(b->metric);
	if (d > BASELINE_TREND_PCT)
		return invert ? "declining" : "improving";
	if (d < -BASELINE_TREND_PCT)
		return invert ? "improving" : "declining";
	return "stable";
}
