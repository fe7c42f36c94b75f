/*
 * metric_insight.c -- readiness and feature unlocks (upstream
 * services/insights.py and api/baselines.py), as structs; the JSON is
 * assembled by the caller.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#include "analyticsd/metric.h"

static const struct {
	const char	*name;
	int		 days;
} unlocks[INSIGHT_NFEATURES] = {
	[INSIGHT_BASELINES_7D] = { "baselines_7d", UNLOCK_BASIC_DAYS },
	[INSIGHT_BASELINES_30D] = { "baselines_30d", UNLOCK_PREDICTIVE_DAYS },
	[INSIGHT_PATTERNS] = { "patterns", UNLOCK_PATTERNS_DAYS },
	[INSIGHT_ANOMALY_DETECTION] = { "anomaly_detection",
	    UNLOCK_PATTERNS_DAYS },
	[INSIGHT_ML_PREDICTIONS] = { "ml_predictions", UNLOCK_ML_DAYS },
};

/* Python's sorted(..., key=threshold) is stable: ties keep dict order. */
static const enum insight_feature unlock_order[INSIGHT_NFEATURES] = {
	INSIGHT_BASELINES_7D, INSIGHT_PATTERNS, INSIGHT_ANOMALY_DETECTION,
	INSIGHT_BASELINES_30D, INSIGHT_ML_PREDICTIONS,
};

static const struct {
	const char	*name;
	int		 days;
} analytics[ANALYTICS_NFEATURES] = {
	[ANALYTICS_BASIC_STATS] = { "basic_stats", UNLOCK_BASIC_DAYS },
	[ANALYTICS_TREND_ANALYSIS] = { "trend_analysis",
	    UNLOCK_TREND_DAYS },
	[ANALYTICS_PERSONALIZED_BASELINES] = { "personalized_baselines",
	    UNLOCK_PATTERNS_DAYS },
	[ANALYTICS_PREDICTIVE_MODELS] = { "predictive_models",
	    UNLOCK_PREDICTIVE_DAYS },
	[ANALYTICS_ADVANCED_ML] = { "advanced_ml", UNLOCK_ML_DAYS },
	[ANALYTICS_LONG_TERM_PATTERNS] = { "long_term_patterns",
	    UNLOCK_LONG_TERM_DAYS },
};

int
insight_data_age_days(int32_t today, const int32_t *first_days, size_t n)
{
	int32_t	first;
	size_t	i;

	if (first_days == NULL || n == 0)
		return 0;
	first = first_days[0];
	for (i = 1; i < n; i++)
		if (first_days[i] < first)
			first = first_days[i];
	return (int)(today - first) + 1;
}

int
insight_readiness(int age, struct insight_readiness *out)
{
	struct insight_feature_status	*f;
	size_t				 i;
	int				 th;

	if (out == NULL)
		return PF_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	out->data_age_days = age;
	out->status = age < UNLOCK_BASIC_DAYS ? "unavailable" :
	    age < UNLOCK_PATTERNS_DAYS ? "partial" : "ready";
	for (i = 0; i < INSIGHT_NFEATURES; i++) {
		f = &out->feature[i];
		f->name = unlocks[i].name;
		f->unlock_at_days = unlocks[i].days;
		f->available = age >= unlocks[i].days;
		if (!f->available)
			snprintf(f->message, sizeof(f->message),
			    "Unlocks in %d days", unlocks[i].days - age);
	}
	for (i = 0; i < INSIGHT_NFEATURES; i++) {
		th = unlocks[unlock_order[i]].days;
		if (age >= th)
			continue;
		out->has_next = true;
		out->next_unlock = unlocks[unlock_order[i]].name;
		out->days_until_next = th - age;
		out->percent_to_next = (double)age / th * 100;
		if (out->percent_to_next > 99.9)
			out->percent_to_next = 99.9;
		break;
	}
	return PF_OK;
}

/* Python's round(x, 1): correctly rounded decimal, as printf's %.1f. */
static double
round1(double x)
{
	char	buf[64];

	snprintf(buf, sizeof(buf), "%.1f", x);
	return strtod(buf, NULL);
}

int
insight_analytics_status(int min_days, struct analytics_status *out)
{
	struct analytics_feature_progress	*f;
	size_t					 i;

	if (out == NULL)
		return PF_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	out->min_data_days = min_days;
	for (i = 0; i < ANALYTICS_NFEATURES; i++) {
		f = &out->feature[i];
		f->name = analytics[i].name;
		f->days_required = analytics[i].days;
		f->unlocked = min_days >= analytics[i].days;
		if (f->unlocked) {
			f->days_remaining = 0;
			f->progress_percent = 100;
		} else {
			f->days_remaining = analytics[i].days - min_days;
			f->progress_percent = round1((double)min_days /
			    analytics[i].days * 100);
		}
	}
	if (min_days < UNLOCK_BASIC_DAYS)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Keep syncing! %d more days until basic statistics unlock.",
		    UNLOCK_BASIC_DAYS - min_days);
	else if (min_days < UNLOCK_TREND_DAYS)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Trend analysis unlocks in %d days. Keep wearing your "
		    "device!", UNLOCK_TREND_DAYS - min_days);
	else if (min_days < UNLOCK_PATTERNS_DAYS)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Personalized baselines unlock in %d days. This enables "
		    "accurate anomaly detection.",
		    UNLOCK_PATTERNS_DAYS - min_days);
	else if (min_days < UNLOCK_PREDICTIVE_DAYS)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Predictive models unlock in %d days. Soon we can forecast "
		    "recovery and readiness!", UNLOCK_PREDICTIVE_DAYS - min_days);
	else if (min_days < UNLOCK_ML_DAYS)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Great progress! Advanced ML features unlock after %d days "
		    "of data.", UNLOCK_ML_DAYS);
	else
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Excellent! All features are unlocked. Full analytics "
		    "suite available.");
	return PF_OK;
}

/* Observations and suggestions (services/insights.py). */

static int
priority_rank(const char *p)
{
	static const char *const order[] = { "critical", "high", "medium",
	    "low", "info", "positive" };
	size_t	i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(p, order[i]) == 0)
			return (int)i;
	return (int)(sizeof(order) / sizeof(order[0]));
}

void
insight_metric_display(const char *metric, char *buf, size_t len)
{
	size_t	i;

	if (buf == NULL || len == 0)
		return;
	for (i = 0; metric != NULL && metric[i] != '\0' && i + 1 < len; i++)
		buf[i] = metric[i] == '_' ? ' ' :
		    (metric[i] >= 'a' && metric[i] <= 'z') ?
		    (char)(metric[i] - 'a' + 'A') : metric[i];
	buf[i] = '\0';
}

/* Python truthiness of an optional float: present and not 0. */
static bool
truthy(double v)
{
	return isfinite(v) && v != 0;
}

static struct insight_observation *
obs_add(struct insight_observation *out, size_t *n, const char *category,
    const char *priority, const char *trend)
{
	struct insight_observation *o;

	if (*n >= INSIGHT_MAX_OBSERVATIONS)
		return NULL;
	o = &out[(*n)++];
	memset(o, 0, sizeof(*o));
	o->category = category;
	o->priority = priority;
	o->trend = trend;
	return o;
}

static const struct pattern *
find_pattern(const struct insight_inputs *in, const char *name)
{
	size_t	i;

	for (i = 0; i < in->npatterns; i++)
		if (in->patterns[i].name != NULL &&
		    strcmp(in->patterns[i].name, name) == 0 &&
		    in->patterns[i].significance != PATTERN_INSUFFICIENT)
			return &in->patterns[i];
	return NULL;
}

int
insight_observations(const struct insight_inputs *in,
    struct insight_observation *out, size_t *n)
{
	struct insight_observation	*o, tmp;
	const struct anomaly		*a;
	const struct pattern		*p;
	char				 disp[64];
	int				 age;
	size_t				 i, j, k;

	if (in == NULL || out == NULL || n == NULL ||
	    (in->anomalies == NULL && in->nanomalies > 0) ||
	    (in->patterns == NULL && in->npatterns > 0))
		return PF_ERR_INVALID;
	*n = 0;
	age = in->data_age_days;

	if (age < UNLOCK_BASIC_DAYS) {
		if ((o = obs_add(out, n, "onboarding", "info", NULL)) != NULL) {
			snprintf(o->fact, sizeof(o->fact),
			    "Building your personal baselines (%d/%d days)", age,
			    UNLOCK_BASIC_DAYS);
			snprintf(o->context, sizeof(o->context),
			    "Keep wearing your device. Basic insights unlock "
			    "in %d days.", UNLOCK_BASIC_DAYS - age);
		}
	} else if (age < UNLOCK_PATTERNS_DAYS) {
		if ((o = obs_add(out, n, "onboarding", "info", NULL)) != NULL) {
			snprintf(o->fact, sizeof(o->fact),
			    "Your baselines are being established (%d days of "
			    "data)", age);
			snprintf(o->context, sizeof(o->context),
			    "Pattern detection unlocks in %d days. Accuracy "
			    "improves over time.", UNLOCK_PATTERNS_DAYS - age);
		}
	}

	for (i = 0; i < in->nanomalies; i++) {
		a = &in->anomalies[i];
		if (a->severity == ANOMALY_NONE)
			continue;
		insight_metric_display(baseline_metric_name(a->metric), disp,
		    sizeof(disp));
		o = obs_add(out, n, "anomaly", a->severity == ANOMALY_CRITICAL ?
		    "critical" : "high", "anomalous");
		if (o == NULL)
			break;
		snprintf(o->fact, sizeof(o->fact), "%s is %s%s normal range",
		    disp, a->severity == ANOMALY_CRITICAL ? "significantly " :
		    "", a->direction);
		if (isfinite(a->deviation_pct))
			snprintf(o->context, sizeof(o->context),
			    "Current: %.1f, Baseline: %.1f (%+.0f%%)",
			    a->current, a->baseline, a->deviation_pct);
		else
			snprintf(o->context, sizeof(o->context),
			    "Current: %.1f, Baseline: %.1f", a->current,
			    a->baseline);
	}

	if (in->hrv.present && truthy(in->hrv.pct) &&
	    in->hrv.status != BASELINE_INSUFFICIENT) {
		if (in->hrv.pct < 85) {
			o = obs_add(out, n, "recovery", "high", in->hrv.trend);
			if (o != NULL) {
				snprintf(o->fact, sizeof(o->fact),
				    "HRV is %.0f%% below personal baseline",
				    100 - in->hrv.pct);
				if (truthy(in->hrv.current) &&
				    truthy(in->hrv.baseline))
					snprintf(o->context,
					    sizeof(o->context), "Current: "
					    "%.0fms, Baseline: %.0fms",
					    in->hrv.current, in->hrv.baseline);
			}
		} else if (in->hrv.pct > 110) {
			o = obs_add(out, n, "recovery", "positive",
			    "improving");
			if (o != NULL) {
				snprintf(o->fact, sizeof(o->fact),
				    "HRV is %.0f%% above baseline - "
				    "excellent recovery", in->hrv.pct - 100);
				snprintf(o->context, sizeof(o->context),
				    "Body is well-recovered and ready for "
				    "training");
			}
		}
	}

	/*
	 * Upstream's "declining with trend_days >= 3" branch can never fire
	 * (trend_days is always null); only the percentage rule remains.
	 */
	if (in->sleep.present && truthy(in->sleep.pct) &&
	    in->sleep.status != BASELINE_INSUFFICIENT && in->sleep.pct < 85) {
		o = obs_add(out, n, "sleep", "medium", in->sleep.trend);
		if (o != NULL) {
			snprintf(o->fact, sizeof(o->fact),
			    "Sleep score is %.0f%% below your average",
			    100 - in->sleep.pct);
			snprintf(o->context, sizeof(o->context),
			    "Current: %.0f, Baseline: %.0f", in->sleep.current,
			    in->sleep.baseline);
		}
	}

	for (i = 0; i < in->npatterns; i++) {
		p = &in->patterns[i];
		if (p->significance == PATTERN_INSUFFICIENT || p->name == NULL)
			continue;
		if (strcmp(p->name, "overtraining_risk") == 0 &&
		    isfinite(p->score) && p->score >= 25) {
			o = obs_add(out, n, "training", p->score >= 50 ?
			    "high" : "medium", p->score >= 50 ? "declining" :
			    "stable");
			if (o == NULL)
				break;
			snprintf(o->fact, sizeof(o->fact), p->score >= 50 ?
			    "Overtraining risk is elevated (%.0f/100)" :
			    "Moderate overtraining indicators detected "
			    "(%.0f/100)", p->score);
			k = 0;
			for (j = 0; j < p->nfactors; j++) {
				int	w;

				w = snprintf(o->context + k,
				    sizeof(o->context) - k, "%s%s",
				    j > 0 ? ", " : "", p->factors[j]);
				if (w < 0 || (size_t)w >= sizeof(o->context) - k)
					break;
				k += (size_t)w;
			}
		} else if (strcmp(p->name, "sleep_hrv_correlation") == 0 &&
		    p->significance == PATTERN_HIGH && isfinite(p->score) &&
		    p->score > 0.5) {
			o = obs_add(out, n, "recovery", "info", NULL);
			if (o == NULL)
				break;
			snprintf(o->fact, sizeof(o->fact), "Strong connection "
			    "between your sleep quality and HRV detected");
			snprintf(o->context, sizeof(o->context), "Better sleep "
			    "directly improves your recovery metrics");
		}
	}

	/* Stable insertion sort by priority, as Python's sorted(). */
	for (i = 1; i < *n; i++) {
		tmp = out[i];
		for (j = i; j > 0 && priority_rank(out[j - 1].priority) >
		    priority_rank(tmp.priority); j--)
			out[j] = out[j - 1];
		out[j] = tmp;
	}
	return PF_OK;
}

int
insight_suggestions(const struct insight_inputs *in,
    struct insight_suggestion *out, size_t *n)
{
	struct insight_suggestion	*s;
	const struct pattern		*p;
	size_t				 i;

	if (in == NULL || out == NULL || n == NULL ||
	    (in->anomalies == NULL && in->nanomalies > 0) ||
	    (in->patterns == NULL && in->npatterns > 0))
		return PF_ERR_INVALID;
	*n = 0;

	p = find_pattern(in, "overtraining_risk");
	if (p != NULL && isfinite(p->score) && p->score >= 25) {
		s = &out[(*n)++];
		memset(s, 0, sizeof(*s));
		if (p->score >= 50) {
			s->action = "rest_day";
			s->description = "Take a rest day or do light recovery "
			    "activity";
			s->confidence = fmin(p->score / 100, 0.95);
			snprintf(s->reason, sizeof(s->reason), "Elevated "
			    "overtraining risk score indicates need for "
			    "recovery");
		} else {
			s->action = "reduce_intensity";
			s->description = "Consider reducing training intensity";
			s->confidence = fmin(p->score / 100, 0.8);
			snprintf(s->reason, sizeof(s->reason), "Moderate "
			    "overtraining risk detected");
		}
	}

	if (in->hrv.present && truthy(in->hrv.pct) && in->hrv.pct < 85) {
		s = &out[(*n)++];
		memset(s, 0, sizeof(*s));
		s->action = "prioritize_recovery";
		s->description = "Prioritize sleep and recovery today";
		s->confidence = 0.85;
		snprintf(s->reason, sizeof(s->reason),
		    "HRV is %.0f%% below baseline", 100 - in->hrv.pct);
	}

	for (i = 0; i < in->nanomalies; i++) {
		if (in->anomalies[i].severity != ANOMALY_CRITICAL)
			continue;
		s = &out[(*n)++];
		memset(s, 0, sizeof(*s));
		s->action = "monitor_closely";
		s->description = "Monitor your metrics closely today";
		s->confidence = 0.9;
		snprintf(s->reason, sizeof(s->reason),
		    "Critical anomaly detected in %s",
		    baseline_metric_name(in->anomalies[i].metric));
		break;
	}

	if (*n == 0 && in->hrv.present && truthy(in->hrv.pct) &&
	    in->hrv.pct >= 100) {
		s = &out[(*n)++];
		memset(s, 0, sizeof(*s));
		s->action = "train_normally";
		s->description = "Body is well-recovered, train as planned";
		s->confidence = 0.85;
		snprintf(s->reason, sizeof(s->reason),
		    "HRV at or above baseline indicates good recovery");
	}
	return PF_OK;
}
