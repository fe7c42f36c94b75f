/*
 * doc.c -- struct result in, the JSON documents apid serves out: one
 * function per response body, named for its route.  Key order and the
 * null rules (NaN and "" become null, as upstream's None) are part of the
 * API; the numbers are computed in compute.c.
 */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"
#include "common/time.h"

#include "analyticsd/analyticsd.h"

static const enum baseline_metric upstream_metrics[] = {
	BASELINE_HRV_RMSSD, BASELINE_SLEEP_SCORE, BASELINE_RESTING_HR,
	BASELINE_TRAINING_LOAD, BASELINE_TRAINING_LOAD_RATIO,
};
#define NUPSTREAM (sizeof(upstream_metrics) / sizeof(upstream_metrics[0]))

static json_t *
jday(int32_t day)
{
	char	buf[PF_TIME_DATE_LEN];

	if (day == AD_DAY_NONE || pf_time_format_date(day, buf) != PF_OK)
		return json_null();
	return json_string(buf);
}

/*
 * A field upstream types as an integer: an integer when v is whole, else
 * the real value (never silently rounded); null when missing.
 */
static json_t *
whole(double v)
{
	if (isfinite(v) && v == trunc(v) && fabs(v) < 9.0e15)
		return json_integer((json_int_t)v);
	return pf_json_real(v);
}

static json_t *
strings(const char *const *s, size_t n)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(s[i]));
	return a;
}

static json_t *
factors(const struct pattern *p)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; i < p->nfactors; i++)
		json_array_append_new(a, json_string(p->factors[i]));
	return a;
}

/* The anomaly as GET .../anomalies lists it, or as the insights do. */
static json_t *
anomaly_json(const struct anomaly *a, bool insights)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, insights ? "metric" : "metric_name",
	    json_string(baseline_metric_name(a->metric)));
	json_object_set_new(o, "current_value", pf_json_real(a->current));
	json_object_set_new(o, "baseline_value", pf_json_real(a->baseline));
	if (!insights) {
		json_object_set_new(o, "median_value",
		    pf_json_real(a->median));
		json_object_set_new(o, "lower_bound",
		    pf_json_real(a->lower_bound));
		json_object_set_new(o, "upper_bound",
		    pf_json_real(a->upper_bound));
	}
	if (insights)
		json_object_set_new(o, "deviation_percent",
		    pf_json_real(a->deviation_pct));
	json_object_set_new(o, "direction", json_string(a->direction));
	json_object_set_new(o, "severity",
	    json_string(anomaly_severity_name(a->severity)));
	if (!insights)
		json_object_set_new(o, "deviation_percent",
		    pf_json_real(a->deviation_pct));
	return o;
}

json_t *
doc_pattern_details(const struct pattern *p)
{
	json_t	*o, *a;
	int	 l;

	o = json_object();
	if (p->reason[0] != '\0') {
		json_object_set_new(o, "reason", json_string(p->reason));
		return o;
	}
	if (strcmp(p->type, "correlation") == 0) {
		json_object_set_new(o, "correlation_coefficient",
		    pf_json_real(p->r));
		json_object_set_new(o, "p_value", pf_json_real(p->p));
		json_object_set_new(o, "strength",
		    pf_json_str_or_null(p->strength));
		json_object_set_new(o, "direction",
		    pf_json_str_or_null(p->direction));
		json_object_set_new(o, "interpretation",
		    pf_json_str_or_null(p->interpretation));
		if (strcmp(p->name, "training_recovery_lag") == 0) {
			json_object_set_new(o, "lag_days",
			    json_integer(p->lag_days));
			a = json_array();
			for (l = 1; l <= PATTERN_MAX_LAG; l++) {
				json_t	*e = json_object();

				json_object_set_new(e, "lag_days",
				    json_integer(l));
				json_object_set_new(e, "r",
				    pf_json_real(p->lag_r[l]));
				json_object_set_new(e, "p_value",
				    pf_json_real(p->lag_p[l]));
				json_object_set_new(e, "pairs",
				    json_integer((json_int_t)p->lag_n[l]));
				json_array_append_new(a, e);
			}
			json_object_set_new(o, "lags", a);
		}
	} else if (strcmp(p->type, "trend") == 0) {
		json_object_set_new(o, "trend_percent",
		    pf_json_real(p->trend_pct));
		json_object_set_new(o, "direction",
		    pf_json_str_or_null(p->direction));
		json_object_set_new(o, "interpretation",
		    pf_json_str_or_null(p->interpretation));
	} else if (strcmp(p->name, "recovery_readiness") == 0) {
		json_object_set_new(o, "readiness_score",
		    pf_json_real(p->score));
		json_object_set_new(o, "factors",
		    factors(p));
		json_object_set_new(o, "metrics_checked",
		    json_integer((json_int_t)p->metrics_checked));
		json_object_set_new(o, "interpretation",
		    pf_json_str_or_null(p->interpretation));
	} else {
		json_object_set_new(o, "risk_score",
		    json_integer(p->risk_score));
		json_object_set_new(o, "risk_factors",
		    factors(p));
		json_object_set_new(o, "metrics_checked",
		    json_integer((json_int_t)p->metrics_checked));
		json_object_set_new(o, "recommendations",
		    strings(p->recommendations, p->nrecommendations));
	}
	return o;
}

json_t *
doc_hrv_band(const struct hrv_band_day *b)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "ln_rmssd", pf_json_real(b->ln_rmssd));
	json_object_set_new(o, "mean_7d", pf_json_real(b->mean7));
	json_object_set_new(o, "cv_7d_pct", pf_json_real(b->cv7_pct));
	json_object_set_new(o, "band_mean", pf_json_real(b->band_mean));
	json_object_set_new(o, "band_sd", pf_json_real(b->band_sd));
	json_object_set_new(o, "band_low", pf_json_real(b->band_lo));
	json_object_set_new(o, "band_high", pf_json_real(b->band_hi));
	json_object_set_new(o, "status",
	    json_string(load_hrv_band_status_name(b->status)));
	return o;
}

static json_t *
insights_features(const struct insight_readiness *rd)
{
	json_t	*o, *f;
	size_t	 i;

	o = json_object();
	for (i = 0; i < INSIGHT_NFEATURES; i++) {
		f = json_object();
		json_object_set_new(f, "available",
		    json_boolean(rd->feature[i].available));
		json_object_set_new(f, "message",
		    pf_json_str_or_null(rd->feature[i].message));
		json_object_set_new(f, "unlock_at_days",
		    json_integer(rd->feature[i].unlock_at_days));
		json_object_set_new(o, rd->feature[i].name, f);
	}
	return o;
}

static json_t *
insights_baselines(const struct result *res)
{
	const struct insight_baseline	*ib;
	enum baseline_metric		 m;
	json_t				*o, *e;
	size_t				 i;

	o = json_object();
	for (i = 0; i < NUPSTREAM; i++) {
		m = upstream_metrics[i];
		ib = &res->insights.base[m];
		e = json_object();
		json_object_set_new(e, "current", pf_json_real(ib->current));
		json_object_set_new(e, "baseline", pf_json_real(ib->baseline));
		json_object_set_new(e, "baseline_7d",
		    pf_json_real(res->base[m].mean_7d));
		json_object_set_new(e, "baseline_30d",
		    pf_json_real(res->base[m].mean_30d));
		json_object_set_new(e, "percent_of_baseline",
		    pf_json_real(ib->pct));
		json_object_set_new(e, "trend", pf_json_str_or_null(ib->trend));
		json_object_set_new(e, "trend_days", json_null());
		json_object_set_new(e, "status",
		    json_string(baseline_status_name(ib->status)));
		json_object_set_new(o, baseline_metric_name(m), e);
	}
	return o;
}

static json_t *
insights_patterns(const struct result *res)
{
	const struct pattern	*p;
	json_t			*a, *e;
	size_t			 i;

	/*
	 * Upstream lists its stored rows newest first, and stores them in
	 * the order it detects them: correlation, overtraining risk, HRV
	 * trend, sleep trend.  pat[] holds them in detection order.
	 */
	a = json_array();
	for (i = res->insights.npatterns; i-- > 0;) {
		p = &res->pat[i];
		e = json_object();
		json_object_set_new(e, "name", json_string(p->name));
		json_object_set_new(e, "pattern_type", json_string(p->type));
		json_object_set_new(e, "score", pf_json_real(p->score));
		json_object_set_new(e, "significance",
		    json_string(pattern_significance_name(p->significance)));
		json_object_set_new(e, "factors",
		    factors(p));
		json_object_set_new(e, "interpretation",
		    p->reason[0] == '\0' ?
		    pf_json_str_or_null(p->interpretation) : json_null());
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *
insights_texts(const struct insights_today *it)
{
	json_t	*a, *e;
	size_t	 i;

	a = json_array();
	for (i = 0; i < it->nobs; i++) {
		e = json_object();
		json_object_set_new(e, "category",
		    json_string(it->obs[i].category));
		json_object_set_new(e, "priority",
		    json_string(it->obs[i].priority));
		json_object_set_new(e, "fact", json_string(it->obs[i].fact));
		json_object_set_new(e, "context",
		    pf_json_str_or_null(it->obs[i].context));
		json_object_set_new(e, "trend",
		    pf_json_str_or_null(it->obs[i].trend));
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *
insights_suggestions(const struct insights_today *it)
{
	json_t	*a, *e;
	size_t	 i;

	a = json_array();
	for (i = 0; i < it->nsug; i++) {
		e = json_object();
		json_object_set_new(e, "action",
		    json_string(it->sug[i].action));
		json_object_set_new(e, "description",
		    json_string(it->sug[i].description));
		json_object_set_new(e, "confidence",
		    pf_json_real(it->sug[i].confidence));
		json_object_set_new(e, "reason",
		    json_string(it->sug[i].reason));
		json_array_append_new(a, e);
	}
	return a;
}

json_t *
doc_insights(const struct result *res)
{
	const struct insights_today	*it = &res->insights;
	const struct insight_readiness	*rd = &it->readiness;
	json_t				*doc, *o, *a;
	char				 iso[AD_ISO_LEN];
	size_t				 i;

	doc = json_object();
	json_object_set_new(doc, "user_id", json_string(res->user_id));
	json_object_set_new(doc, "generated_at",
	    json_string(res->computed_at));
	if (it->freshness_day == AD_DAY_NONE)
		json_object_set_new(doc, "data_freshness", json_null());
	else {
		pf_time_format_datetime((int64_t)it->freshness_day *
		    PF_TIME_DAY_MS, 0, PF_TIME_FMT_NOMS, iso, sizeof(iso));
		json_object_set_new(doc, "data_freshness", json_string(iso));
	}
	json_object_set_new(doc, "data_age_days", json_integer(it->age));
	json_object_set_new(doc, "status", json_string(rd->status));
	json_object_set_new(doc, "feature_availability",
	    insights_features(rd));
	if (rd->has_next) {
		o = json_object();
		json_object_set_new(o, "next_unlock",
		    json_string(rd->next_unlock));
		json_object_set_new(o, "days_until_next",
		    json_integer(rd->days_until_next));
		json_object_set_new(o, "percent_to_next",
		    pf_json_real(rd->percent_to_next));
		json_object_set_new(doc, "unlock_progress", o);
	} else
		json_object_set_new(doc, "unlock_progress", json_null());

	o = json_object();
	json_object_set_new(o, "hrv",
	    pf_json_real(it->current[BASELINE_HRV_RMSSD]));
	json_object_set_new(o, "sleep_score",
	    whole(it->current[BASELINE_SLEEP_SCORE]));
	json_object_set_new(o, "resting_hr",
	    whole(it->current[BASELINE_RESTING_HR]));
	json_object_set_new(o, "training_load_ratio",
	    pf_json_real(it->current[BASELINE_TRAINING_LOAD_RATIO]));
	json_object_set_new(doc, "current_metrics", o);
	json_object_set_new(doc, "baselines", insights_baselines(res));
	json_object_set_new(doc, "patterns", insights_patterns(res));
	a = json_array();
	for (i = 0; i < it->nanomalies; i++)
		json_array_append_new(a, anomaly_json(&res->anom[i], true));
	json_object_set_new(doc, "anomalies", a);
	json_object_set_new(doc, "observations", insights_texts(it));
	/* The morning HRV readings' own baseline and normal band. */
	json_object_set_new(doc, "hrv_morning",
	    doc_hrv_band(&res->recovery.morning));
	json_object_set_new(doc, "suggestions", insights_suggestions(it));
	return doc;
}

json_t *
doc_status(const struct result *res)
{
	static const char *const names[STATUS_NSOURCES] = {
		[STATUS_SLEEP] = "sleep", [STATUS_RECHARGE] = "recharge",
		[STATUS_ACTIVITY] = "activity",
		[STATUS_CARDIO_LOAD] = "cardio_load",
	};
	const struct analytics_feature_progress	*fp;
	json_t					*doc, *o, *f, *a;
	int					 i;

	doc = json_object();
	json_object_set_new(doc, "user_id", json_string(res->user_id));
	o = json_object();
	for (i = 0; i < STATUS_NSOURCES; i++)
		json_object_set_new(o, names[i],
		    json_integer(res->data_days[i]));
	json_object_set_new(doc, "data_days", o);
	json_object_set_new(doc, "min_data_days",
	    json_integer(res->status.min_data_days));
	o = json_object();
	for (i = 0; i < ANALYTICS_NFEATURES; i++)
		json_object_set_new(o, res->status.feature[i].name,
		    json_boolean(res->status.feature[i].unlocked));
	json_object_set_new(doc, "features_available", o);
	o = json_object();
	for (i = 0; i < ANALYTICS_NFEATURES; i++) {
		fp = &res->status.feature[i];
		f = json_object();
		json_object_set_new(f, "unlocked", json_boolean(fp->unlocked));
		json_object_set_new(f, "days_required",
		    json_integer(fp->days_required));
		json_object_set_new(f, "days_remaining",
		    json_integer(fp->days_remaining));
		json_object_set_new(f, "progress_percent", fp->unlocked ?
		    json_integer(100) : pf_json_real(fp->progress_percent));
		json_object_set_new(o, fp->name, f);
	}
	json_object_set_new(doc, "unlock_progress", o);
	a = json_array();
	json_array_append_new(a, json_string(res->status.recommendation));
	json_object_set_new(doc, "recommendations", a);
	return doc;
}

json_t *
doc_anomalies(const struct result *res)
{
	json_t	*doc, *a;
	size_t	 i;

	doc = json_object();
	json_object_set_new(doc, "user_id", json_string(res->user_id));
	json_object_set_new(doc, "anomaly_count",
	    json_integer((json_int_t)res->nanom));
	a = json_array();
	for (i = 0; i < res->nanom; i++)
		json_array_append_new(a, anomaly_json(&res->anom[i], false));
	json_object_set_new(doc, "anomalies", a);
	return doc;
}

static json_t *
recovery_components(const struct recovery_score *rs)
{
	json_t	*c, *p;
	int	 i;

	c = json_object();
	for (i = 0; i < RECOVERY_NCOMPONENTS; i++) {
		p = json_object();
		json_object_set_new(p, "available",
		    json_boolean(rs->part[i].available));
		json_object_set_new(p, "input", pf_json_real(rs->part[i].input));
		json_object_set_new(p, "subscore",
		    pf_json_real(rs->part[i].subscore));
		json_object_set_new(p, "weight",
		    pf_json_real(rs->part[i].weight));
		json_object_set_new(p, "effective_weight",
		    pf_json_real(rs->part[i].effective));
		json_object_set_new(c,
		    recovery_component_name((enum recovery_component)i), p);
	}
	return c;
}

static json_t *
recovery_inputs(const struct recovery_inputs *ri)
{
	json_t	*p;

	p = json_object();
	json_object_set_new(p, "ln_rmssd", pf_json_real(ri->ln_rmssd));
	json_object_set_new(p, "hrv_band_mean", pf_json_real(ri->band_mean));
	json_object_set_new(p, "hrv_band_sd", pf_json_real(ri->band_sd));
	json_object_set_new(p, "sleep_score", pf_json_real(ri->sleep_score));
	json_object_set_new(p, "ans_charge", pf_json_real(ri->ans_charge));
	json_object_set_new(p, "acwr", pf_json_real(ri->acwr));
	return p;
}

static json_t *
recovery_dashboard(const struct recovery_admin_status *as)
{
	json_t	*o;

	o = json_object();
	json_object_set_new(o, "readiness", pf_json_str_or_null(as->readiness));
	json_object_set_new(o, "readiness_score",
	    json_integer(as->readiness_score));
	json_object_set_new(o, "recommendations",
	    strings(as->recommendations, as->nrecommendations));
	json_object_set_new(o, "training_advice",
	    pf_json_str_or_null(as->training_advice));
	json_object_set_new(o, "has_data", json_boolean(as->has_data));
	return o;
}

json_t *
doc_recovery(const struct result *res)
{
	const struct recovery_today	*rt = &res->recovery;
	json_t				*doc, *o;
	int				 i;

	doc = json_object();
	json_object_set_new(doc, "score", pf_json_real(rt->score.score));
	json_object_set_new(doc, "level",
	    pf_json_str_or_null(rt->score.level));
	json_object_set_new(doc, "coverage", pf_json_real(rt->score.coverage));
	json_object_set_new(doc, "components",
	    recovery_components(&rt->score));
	json_object_set_new(doc, "inputs", recovery_inputs(&rt->in));
	json_object_set_new(doc, "user_id", json_string(res->user_id));
	json_object_set_new(doc, "day", jday(res->today));
	o = json_object();
	for (i = 0; i < RECOVERY_NCOMPONENTS; i++)
		json_object_set_new(o,
		    recovery_component_name((enum recovery_component)i),
		    pf_json_real(rt->weights.w[i]));
	json_object_set_new(doc, "weights", o);
	json_object_set_new(doc, "hrv_band", doc_hrv_band(&rt->band));
	json_object_set_new(doc, "hrv_morning_band",
	    doc_hrv_band(&rt->morning));
	o = json_object();
	json_object_set_new(o, "load", pf_json_real(rt->load));
	json_object_set_new(o, "acwr", pf_json_real(rt->acwr));
	json_object_set_new(o, "acwr_uncoupled",
	    pf_json_real(rt->acwr_uncoupled));
	json_object_set_new(o, "acwr_ewma", pf_json_real(rt->acwr_ewma));
	json_object_set_new(o, "ctl", pf_json_real(rt->ctl));
	json_object_set_new(o, "atl", pf_json_real(rt->atl));
	json_object_set_new(o, "tsb", pf_json_real(rt->tsb));
	json_object_set_new(doc, "training_load", o);
	o = json_object();
	json_object_set_new(o, "debt_seconds", pf_json_real(rt->debt_s));
	json_object_set_new(o, "goal_seconds", pf_json_real(rt->goal_s));
	json_object_set_new(o, "window_nights",
	    json_integer(LOAD_SLEEP_DEBT_DAYS));
	json_object_set_new(doc, "sleep_debt", o);
	json_object_set_new(doc, "dashboard", recovery_dashboard(&rt->admin));
	json_object_set_new(doc, "computed_at", json_string(res->computed_at));
	return doc;
}

json_t *
doc_all(const struct result *res)
{
	json_t	*docs;

	docs = json_object();
	json_object_set_new(docs, "recovery", doc_recovery(res));
	json_object_set_new(docs, "insights", doc_insights(res));
	json_object_set_new(docs, "status", doc_status(res));
	json_object_set_new(docs, "anomalies", doc_anomalies(res));
	return docs;
}

json_t *
doc_defaults(const struct result *res)
{
	json_t	*docs;

	docs = json_object();
	json_object_set_new(docs, "status", doc_status(res));
	return docs;
}
