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

#include "analyticsd/analyticsd.h"

static const struct {
	const char	*name;
	int		 days;
} unlocks[INSIGHT_NFEATURES] = {
	[INSIGHT_BASELINES_7D] = { "baselines_7d", 7 },
	[INSIGHT_BASELINES_30D] = { "baselines_30d", 30 },
	[INSIGHT_PATTERNS] = { "patterns", 21 },
	[INSIGHT_ANOMALY_DETECTION] = { "anomaly_detection", 21 },
	[INSIGHT_ML_PREDICTIONS] = { "ml_predictions", 60 },
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
	[ANALYTICS_BASIC_STATS] = { "basic_stats", 7 },
	[ANALYTICS_TREND_ANALYSIS] = { "trend_analysis", 14 },
	[ANALYTICS_PERSONALIZED_BASELINES] = { "personalized_baselines", 21 },
	[ANALYTICS_PREDICTIVE_MODELS] = { "predictive_models", 30 },
	[ANALYTICS_ADVANCED_ML] = { "advanced_ml", 60 },
	[ANALYTICS_LONG_TERM_PATTERNS] = { "long_term_patterns", 90 },
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
	out->status = age < 7 ? "unavailable" : age < 21 ? "partial" : "ready";
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
	if (min_days < 7)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Keep syncing! %d more days until basic statistics unlock.",
		    7 - min_days);
	else if (min_days < 14)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Trend analysis unlocks in %d days. Keep wearing your "
		    "device!", 14 - min_days);
	else if (min_days < 21)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Personalized baselines unlock in %d days. This enables "
		    "accurate anomaly detection.", 21 - min_days);
	else if (min_days < 30)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Predictive models unlock in %d days. Soon we can forecast "
		    "recovery and readiness!", 30 - min_days);
	else if (min_days < 60)
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Great progress! Advanced ML features unlock after 60 days "
		    "of data.");
	else
		snprintf(out->recommendation, sizeof(out->recommendation),
		    "Excellent! All features are unlocked. Full analytics "
		    "suite available.");
	return PF_OK;
}
