/*
 * metric_pattern.c -- pattern detection: upstream's four patterns
 * (services/pattern.py) reproduced with their constants and strings, and
 * the three upstream listed but never built.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"

#include "analyticsd/metric.h"

#define P_HIGH		0.01
#define P_MEDIUM	0.05
#define R_NOTABLE	0.3	/* |r| above which the interpretation adds advice */

static const char *const rec_75[] = {
	"Consider taking a rest day or reducing training intensity "
	    "significantly",
	"Prioritize sleep quality and duration",
	"Monitor symptoms of overtraining (fatigue, mood changes, decreased "
	    "performance)",
};
static const char *const rec_50[] = {
	"Reduce training intensity for the next few days",
	"Focus on recovery activities (light stretching, walking)",
	"Ensure adequate sleep (7-9 hours)",
};
static const char *const rec_25[] = {
	"Monitor your body's response to training",
	"Consider adding an extra recovery day this week",
};
static const char *const rec_low[] = {
	"Training load appears manageable",
	"Continue current training while monitoring recovery metrics",
};

const char *
pattern_significance_name(enum pattern_significance s)
{
	switch (s) {
	case PATTERN_HIGH:		return "high";
	case PATTERN_MEDIUM:		return "medium";
	case PATTERN_LOW:		return "low";
	case PATTERN_INSUFFICIENT:	return "insufficient";
	}
	return "insufficient";
}

static void
pattern_init(struct pattern *p, const char *name, const char *type)
{
	size_t	i;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->type = type;
	p->significance = PATTERN_INSUFFICIENT;
	p->score = p->confidence = NAN;
	p->r = p->p = p->trend_pct = NAN;
	for (i = 0; i <= PATTERN_MAX_LAG; i++)
		p->lag_r[i] = p->lag_p[i] = NAN;
}

static enum pattern_significance
p_tier(double p)
{
	if (p < P_HIGH)
		return PATTERN_HIGH;
	if (p < P_MEDIUM)
		return PATTERN_MEDIUM;
	return PATTERN_LOW;
}

/* Upstream's strength words; index 0 is the capitalised form. */
static const char *
strength_word(double r, bool cap)
{
	double	a = fabs(r);

	if (a >= 0.7)
		return cap ? "Strong" : "strong";
	if (a >= 0.4)
		return cap ? "Moderate" : "moderate";
	if (a >= 0.2)
		return cap ? "Weak" : "weak";
	return cap ? "Negligible" : "negligible";
}

/* Fills the shared correlation fields from r, p and the pair count. */
static void
set_correlation(struct pattern *out, double r, double p, size_t n)
{
	out->significance = p_tier(p);
	out->r = r;
	out->p = p;
	out->score = r;
	out->confidence = 1 - p;
	out->sample_count = n;
	out->strength = strength_word(r, false);
	out->direction = r > 0 ? "positive" : "negative";
}

static void
set_insufficient_n(struct pattern *out, size_t n)
{
	out->sample_count = n;
	snprintf(out->reason, sizeof(out->reason),
	    "Insufficient data: %zu samples, need %d", n,
	    PATTERN_MIN_CORRELATION);
}

static void
set_no_variance(struct pattern *out, size_t n)
{
	out->sample_count = n;
	snprintf(out->reason, sizeof(out->reason),
	    "Could not compute correlation - data may lack variance");
}

int
pattern_metric_trend(const struct dayval *s, size_t n, int32_t today,
    double *pct)
{
	double	*recent, *older, rm, om;
	size_t	 i, nr = 0, no = 0;
	int	 rc = PF_ERR_RANGE;

	if (pct == NULL || (s == NULL && n > 0))
		return PF_ERR_INVALID;
	*pct = NAN;
	recent = pf_xreallocarray(NULL, n ? n : 1, sizeof(*recent));
	older = pf_xreallocarray(NULL, n ? n : 1, sizeof(*older));
	for (i = 0; i < n; i++) {
		if (!isfinite(s[i].value) ||
		    s[i].day < today - PATTERN_TREND_DAYS)
			continue;
		if (s[i].day >= today - PATTERN_TREND_RECENT_DAYS)
			recent[nr++] = s[i].value;
		else
			older[no++] = s[i].value;
	}
	if (nr + no < PATTERN_MIN_TREND || nr < PATTERN_TREND_MIN_RECENT ||
	    no < PATTERN_MIN_TREND)
		goto out;
	(void)stats_mean(recent, nr, &rm);
	(void)stats_mean(older, no, &om);
	if (om == 0)
		goto out;
	*pct = (rm - om) / om * 100;
	rc = PF_OK;
out:
	free(recent);
	free(older);
	return rc;
}

/*
 * Upstream builds {date: value} dicts from date-ordered rows, so for a
 * repeated day the last row wins; a stable sort by day then keeping the
 * last of each run does the same.
 */
struct drow {
	int32_t	day;
	size_t	idx;
	double	value;
};

static int
cmp_drow(const void *a, const void *b)
{
	const struct drow	*x = a, *y = b;

	if (x->day != y->day)
		return (x->day > y->day) - (x->day < y->day);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static size_t
day_dict(const struct dayval *s, size_t n, int32_t since, struct drow **out)
{
	struct drow	*d;
	size_t		 i, k = 0, u = 0;

	d = pf_xreallocarray(NULL, n ? n : 1, sizeof(*d));
	for (i = 0; i < n; i++) {
		if (!isfinite(s[i].value) || s[i].day < since)
			continue;
		d[k].day = s[i].day;
		d[k].idx = i;
		d[k].value = s[i].value;
		k++;
	}
	qsort(d, k, sizeof(*d), cmp_drow);
	for (i = 0; i < k; i++) {
		if (i + 1 < k && d[i + 1].day == d[i].day)
			continue;
		d[u++] = d[i];
	}
	*out = d;
	return u;
}

int
pattern_sleep_hrv_correlation(const struct dayval *sleep, size_t nsleep,
    const struct dayval *hrv, size_t nhrv, int32_t today,
    struct pattern *out)
{
	struct drow	*ds, *dh;
	double		*a, *b, r, p;
	size_t		 ns, nh, i = 0, j = 0, m = 0;
	int32_t		 since = today - PATTERN_CORRELATION_DAYS;

	if (out == NULL || (sleep == NULL && nsleep > 0) ||
	    (hrv == NULL && nhrv > 0))
		return PF_ERR_INVALID;
	pattern_init(out, "sleep_hrv_correlation", "correlation");
	ns = day_dict(sleep, nsleep, since, &ds);
	nh = day_dict(hrv, nhrv, since, &dh);
	a = pf_xreallocarray(NULL, ns ? ns : 1, sizeof(*a));
	b = pf_xreallocarray(NULL, ns ? ns : 1, sizeof(*b));
	while (i < ns && j < nh) {
		if (ds[i].day < dh[j].day)
			i++;
		else if (ds[i].day > dh[j].day)
			j++;
		else {
			a[m] = ds[i++].value;
			b[m++] = dh[j++].value;
		}
	}
	free(ds);
	free(dh);
	if (m < PATTERN_MIN_CORRELATION)
		set_insufficient_n(out, m);
	else if (stats_spearman(a, b, m, &r, &p, NULL) != PF_OK)
		set_no_variance(out, m);
	else {
		set_correlation(out, r, p, m);
		snprintf(out->interpretation, sizeof(out->interpretation),
		    "%s %s correlation between sleep quality and HRV%s",
		    strength_word(r, true), out->direction,
		    r > R_NOTABLE && p < P_MEDIUM ?
		    ". Better sleep is associated with higher HRV." :
		    r < -R_NOTABLE && p < P_MEDIUM ?
		    ". This inverse relationship is unusual and may warrant "
		    "investigation." : "");
	}
	free(a);
	free(b);
	return PF_OK;
}

int
pattern_trend(enum pattern_trend_metric m, const struct dayval *s, size_t n,
    int32_t today, struct pattern *out)
{
	const char	*label;
	double		 t, a;

	if (out == NULL || (s == NULL && n > 0))
		return PF_ERR_INVALID;
	switch (m) {
	case PATTERN_TREND_HRV:
		pattern_init(out, "hrv_trend", "trend");
		label = "HRV";
		break;
	case PATTERN_TREND_SLEEP:
		pattern_init(out, "sleep_trend", "trend");
		label = "SLEEP";
		break;
	default:
		return PF_ERR_INVALID;
	}
	if (pattern_metric_trend(s, n, today, &t) != PF_OK) {
		snprintf(out->reason, sizeof(out->reason),
		    "Insufficient data for trend analysis");
		return PF_OK;
	}
	a = fabs(t);
	out->significance = a >= 10 ? PATTERN_HIGH :
	    a >= 5 ? PATTERN_MEDIUM : PATTERN_LOW;
	out->direction = t > 0 ? "improving" : t < 0 ? "declining" : "stable";
	out->score = t;
	out->trend_pct = t;
	out->confidence = 0.8;
	/* upstream stores the window length, not the row count */
	out->sample_count = 7;
	snprintf(out->interpretation, sizeof(out->interpretation),
	    "%s is %s (%+.1f%% from baseline)", label, out->direction, t);
	return PF_OK;
}

static void
add_factor(struct pattern *out, int points, const char *fmt, double v)
{
	if (out->nfactors >= PATTERN_MAX_FACTORS)
		return;
	out->risk_score += points;
	snprintf(out->factors[out->nfactors], sizeof(out->factors[0]), fmt, v);
	out->nfactors++;
}

int
pattern_overtraining_risk(const struct overtraining_inputs *in,
    struct pattern *out)
{
	double	t, ratio;
	int	score;

	if (out == NULL || in == NULL)
		return PF_ERR_INVALID;
	if ((in->hrv == NULL && in->nhrv > 0) ||
	    (in->sleep == NULL && in->nsleep > 0) ||
	    (in->resting_hr == NULL && in->nresting_hr > 0) ||
	    (in->load_ratio == NULL && in->nload_ratio > 0))
		return PF_ERR_INVALID;
	pattern_init(out, "overtraining_risk", "composite");

	if (pattern_metric_trend(in->hrv, in->nhrv, in->today, &t) == PF_OK) {
		out->metrics_checked++;
		if (t < -10)
			add_factor(out, 25,
			    "HRV declining significantly (%.1f%%)", t);
		else if (t < -5)
			add_factor(out, 15,
			    "HRV declining moderately (%.1f%%)", t);
	}
	if (pattern_metric_trend(in->sleep, in->nsleep, in->today, &t) ==
	    PF_OK) {
		out->metrics_checked++;
		if (t < -10)
			add_factor(out, 25, "Sleep quality declining (%.1f%%)",
			    t);
		else if (t < -5)
			add_factor(out, 15,
			    "Sleep quality declining slightly (%.1f%%)", t);
	}
	if (pattern_metric_trend(in->resting_hr, in->nresting_hr, in->today,
	    &t) == PF_OK) {
		out->metrics_checked++;
		if (t > 5)
			add_factor(out, 25,
			    "Resting heart rate elevated (%+.1f%%)", t);
		else if (t > 2)
			add_factor(out, 15,
			    "Resting heart rate slightly elevated (%+.1f%%)", t);
	}
	if (baseline_latest(BASELINE_TRAINING_LOAD_RATIO, in->load_ratio,
	    in->nload_ratio, &ratio, NULL) == PF_OK) {
		out->metrics_checked++;
		if (ratio > 1.5)
			add_factor(out, 25, "Training load ratio high (%.2f)",
			    ratio);
		else if (ratio > 1.3)
			add_factor(out, 15,
			    "Training load ratio elevated (%.2f)", ratio);
	}

	score = out->risk_score;
	if (out->metrics_checked < 2)
		out->significance = PATTERN_INSUFFICIENT;
	else if (score >= 50)
		out->significance = PATTERN_HIGH;
	else if (score >= 25)
		out->significance = PATTERN_MEDIUM;
	else
		out->significance = PATTERN_LOW;
	out->score = score;
	out->confidence = (double)out->metrics_checked / 4;
	out->sample_count = out->metrics_checked;
	if (score >= 75) {
		out->recommendations = rec_75;
		out->nrecommendations = 3;
	} else if (score >= 50) {
		out->recommendations = rec_50;
		out->nrecommendations = 3;
	} else if (score >= 25) {
		out->recommendations = rec_25;
		out->nrecommendations = 2;
	} else {
		out->recommendations = rec_low;
		out->nrecommendations = 2;
	}
	return PF_OK;
}

/* Spearman of x[t] against y[t + lag] over the dense arrays. */
static int
lagged_spearman(const double *x, const double *y, size_t ndays, size_t lag,
    double *r, double *p, size_t *used)
{
	if (lag >= ndays) {
		*r = *p = NAN;
		*used = 0;
		return PF_ERR_RANGE;
	}
	return stats_spearman(x, y + lag, ndays - lag, r, p, used);
}

int
pattern_training_recovery_lag(const double *load, const double *hrv,
    size_t ndays, int max_lag, struct pattern *out)
{
	double	r, p, best_r = NAN, best_p = NAN;
	size_t	m, maxn = 0, best_n = 0;
	int	lag, best = 0, tested = 0;

	if (out == NULL || ((load == NULL || hrv == NULL) && ndays > 0) ||
	    max_lag < 1 || max_lag > PATTERN_MAX_LAG)
		return PF_ERR_INVALID;
	pattern_init(out, "training_recovery_lag", "correlation");
	for (lag = 1; lag <= max_lag; lag++) {
		if (lagged_spearman(load, hrv, ndays, (size_t)lag, &r, &p,
		    &m) != PF_OK) {
			out->lag_n[lag] = m;
			if (m > maxn)
				maxn = m;
			continue;
		}
		out->lag_r[lag] = r;
		out->lag_p[lag] = p;
		out->lag_n[lag] = m;
		if (m > maxn)
			maxn = m;
		if (m < PATTERN_MIN_CORRELATION)
			continue;
		tested++;
		if (best == 0 || r < best_r) {
			best = lag;
			best_r = r;
			best_p = p;
			best_n = m;
		}
	}
	if (best == 0) {
		if (maxn < PATTERN_MIN_CORRELATION)
			set_insufficient_n(out, maxn);
		else
			set_no_variance(out, maxn);
		return PF_OK;
	}
	/* Bonferroni: the best of `tested` lags was picked after looking. */
	best_p *= tested;
	if (best_p > 1)
		best_p = 1;
	set_correlation(out, best_r, best_p, best_n);
	out->lag_days = best;
	if (best_r < -R_NOTABLE && best_p < P_MEDIUM)
		snprintf(out->interpretation, sizeof(out->interpretation),
		    "%s negative correlation between training load and HRV "
		    "%d day%s later. Hard sessions suppress HRV for about %d "
		    "day%s.", strength_word(best_r, true), best,
		    best == 1 ? "" : "s", best, best == 1 ? "" : "s");
	else
		snprintf(out->interpretation, sizeof(out->interpretation),
		    "%s %s correlation between training load and HRV %d "
		    "day%s later", strength_word(best_r, true), out->direction,
		    best, best == 1 ? "" : "s");
	return PF_OK;
}

int
pattern_activity_sleep_correlation(const double *activity,
    const double *sleep, size_t ndays, struct pattern *out)
{
	double	r, p;
	size_t	m;
	int	rc;

	if (out == NULL || ((activity == NULL || sleep == NULL) && ndays > 0))
		return PF_ERR_INVALID;
	pattern_init(out, "activity_sleep_correlation", "correlation");
	rc = lagged_spearman(activity, sleep, ndays, 1, &r, &p, &m);
	if (m < PATTERN_MIN_CORRELATION) {
		set_insufficient_n(out, m);
		return PF_OK;
	}
	if (rc != PF_OK) {
		set_no_variance(out, m);
		return PF_OK;
	}
	set_correlation(out, r, p, m);
	snprintf(out->interpretation, sizeof(out->interpretation),
	    "%s %s correlation between daily activity and next-night sleep "
	    "quality%s", strength_word(r, true), out->direction,
	    r > R_NOTABLE && p < P_MEDIUM ?
	    ". More active days are followed by better sleep." :
	    r < -R_NOTABLE && p < P_MEDIUM ?
	    ". More active days are followed by poorer sleep; consider "
	    "earlier or lighter sessions." : "");
	return PF_OK;
}

int
pattern_recovery_readiness(const struct recovery_score *rs,
    struct pattern *out)
{
	size_t	c;

	if (out == NULL || rs == NULL)
		return PF_ERR_INVALID;
	pattern_init(out, "recovery_readiness", "composite");
	out->metrics_checked = rs->ncomponents;
	out->sample_count = rs->ncomponents;
	if (rs->ncomponents < 2 || !isfinite(rs->score)) {
		snprintf(out->reason, sizeof(out->reason),
		    "Insufficient data: %zu of %d readiness inputs, need 2",
		    rs->ncomponents, RECOVERY_NCOMPONENTS);
		return PF_OK;
	}
	out->score = rs->score;
	out->confidence = rs->coverage;
	out->significance = rs->score < 45 ? PATTERN_HIGH :
	    rs->score < 65 ? PATTERN_MEDIUM : PATTERN_LOW;
	for (c = 0; c < RECOVERY_NCOMPONENTS; c++) {
		if (!rs->part[c].available ||
		    out->nfactors >= PATTERN_MAX_FACTORS)
			continue;
		snprintf(out->factors[out->nfactors], sizeof(out->factors[0]),
		    "%s %.0f/100 (weight %.0f%%)", recovery_component_name(c),
		    rs->part[c].subscore, rs->part[c].effective * 100);
		out->nfactors++;
	}
	snprintf(out->interpretation, sizeof(out->interpretation),
	    "Readiness %.0f/100 (%s)", rs->score, rs->level);
	return PF_OK;
}
