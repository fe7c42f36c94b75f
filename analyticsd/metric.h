/*
 * metric.h -- polarflow-analyticsd's metrics: the metric_*.c functions
 * that turn arrays of samples into baselines, anomalies, patterns,
 * training-load series, readiness scores and the insights' texts.  Pure,
 * with the conventions of stats.h (day numbers, NaN = missing, PF_ERR_*
 * returns, static strings).
 */
#ifndef PF_ANALYTICSD_METRIC_H
#define PF_ANALYTICSD_METRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyticsd/stats.h"

/* metric_baseline.c */

/* Upstream constants (services/baseline.py). */
#define BASELINE_WINDOW_DAYS	90	/* date >= today - 90 */
#define BASELINE_MIN_READY	21	/* samples, not days */
#define BASELINE_MIN_PARTIAL	7
#define BASELINE_WARNING_IQR	1.5
#define BASELINE_CRITICAL_IQR	3.0
#define BASELINE_TREND_PCT	5.0	/* 7d vs 30d mean, insights */

enum baseline_metric {
	BASELINE_HRV_RMSSD = 0,
	BASELINE_SLEEP_SCORE,
	BASELINE_RESTING_HR,
	BASELINE_TRAINING_LOAD,
	BASELINE_TRAINING_LOAD_RATIO,
	/* upstream's enum lists these but never computes them */
	BASELINE_ACTIVE_CALORIES,
	BASELINE_STEPS,
	BASELINE_NMETRICS
};

enum baseline_status {
	BASELINE_INSUFFICIENT = 0,
	BASELINE_PARTIAL,
	BASELINE_READY
};

/*
 * One row of user_baselines.  NaN = NULL.  When n < 7 only value (mean, or
 * 0.0 with no samples, as upstream), min, max and the day range are set.
 */
struct baseline {
	enum baseline_metric	 metric;
	enum baseline_status	 status;
	size_t			 sample_count;
	double			 value;		/* mean of all samples */
	double			 median;
	double			 q1;
	double			 q3;
	double			 std_dev;
	double			 min;
	double			 max;
	double			 mean_7d;	/* newest 7 samples */
	double			 mean_30d;	/* newest 30, if n >= 30 */
	double			 mean_90d;	/* newest 90, if n >= 90 */
	bool			 has_range;
	int32_t			 start_day;	/* min(day) */
	int32_t			 end_day;	/* max(day) */
};

enum anomaly_severity {
	ANOMALY_NONE = 0,
	ANOMALY_WARNING,
	ANOMALY_CRITICAL
};

/* One entry of the anomaly scan (upstream AnomalyService). */
struct anomaly {
	enum baseline_metric	 metric;
	enum anomaly_severity	 severity;
	double			 current;
	double			 baseline;	/* struct baseline.value */
	double			 median;
	double			 lower_bound;	/* q1 - 1.5*iqr */
	double			 upper_bound;	/* q3 + 1.5*iqr */
	const char		*direction;	/* "above" | "below" */
	double			 deviation_pct;	/* NaN if baseline 0 */
};

/* "hrv_rmssd", "sleep_score", ...; NULL for an unknown value. */
const char	*baseline_metric_name(enum baseline_metric m);
/* "insufficient", "partial", "ready". */
const char	*baseline_status_name(enum baseline_status s);
/* "none", "warning", "critical". */
const char	*anomaly_severity_name(enum anomaly_severity s);

/*
 * True for metrics whose upstream source query keeps only values > 0
 * (training_load, training_load_ratio: drops Polar's -1 sentinel and 0).
 */
bool	 baseline_metric_positive_only(enum baseline_metric m);

/* True where a rising value is bad news (resting_hr). */
bool	 baseline_metric_lower_is_better(enum baseline_metric m);

/*
 * Upstream baseline over samples s[0..n) in any order: keeps day >= today -
 * 90, finite values (and > 0 for positive-only metrics), orders newest
 * first (stable for equal days), then mean/median/exclusive quartiles/
 * sample stdev/min/max and the newest-7/30/90-sample means, status by
 * sample count (>= 21 ready, >= 7 partial).
 */
int	 baseline_compute(enum baseline_metric m, const struct dayval *s,
	    size_t n, int32_t today, struct baseline *out);

/*
 * IQR bounds of a baseline: lower = q1 - k*iqr, upper = q3 + k*iqr.
 * PF_ERR_RANGE (NaN bounds) when q1/q3 are NULL.
 */
int	 baseline_bounds(const struct baseline *b, double k, double *lower,
	    double *upper);

/*
 * Classify value against b: critical outside 3*IQR, warning outside
 * 1.5*IQR, strict inequalities; ANOMALY_NONE when q1/q3 are NULL or value
 * is missing.  Fills every field of out.
 */
int	 baseline_classify(const struct baseline *b, double value,
	    struct anomaly *out);

/*
 * The anomaly scan's "current value": the newest sample with a non-NULL
 * value (and > 0 for positive-only metrics), over all history.  As upstream
 * (Python truthiness) a newest value of exactly 0 means "no current value";
 * it does not fall back to an older row.  PF_ERR_NOTFOUND if none.
 * day may be NULL.
 */
int	 baseline_latest(enum baseline_metric m, const struct dayval *s,
	    size_t n, double *value, int32_t *day);

/*
 * The insights' "current" value of a metric: the newest sample with a
 * finite value, over all history; 0 counts (a rest day's training load is
 * today's value), Polar's negative sentinels and the ratio's values <= 0
 * do not.  PF_ERR_NOTFOUND if none.
 */
int	 baseline_current(enum baseline_metric m, const struct dayval *s,
	    size_t n, double *value);

/*
 * Insights' baseline trend from the stored 7d and 30d means:
 * d = (b7 - b30)/b30*100; d > 5 "improving", d < -5 "declining", else
 * "stable"; NULL when either mean is NULL or b30 is 0.  *delta_pct (may be
 * NULL) gets d (NaN when NULL is returned).
 *
 * For lower-is-better metrics the labels are swapped (upstream reads a
 * rising resting HR as "improving"), so a resting HR 7-day mean more than
 * 5% above its 30-day mean is "declining".
 */
const char	*baseline_trend(const struct baseline *b, double *delta_pct);

/* metric_pattern.c */

/* Upstream constants (services/pattern.py). */
#define PATTERN_MIN_CORRELATION		21
#define PATTERN_MIN_TREND		7
#define PATTERN_CORRELATION_DAYS	90	/* date >= today - 90 */
#define PATTERN_TREND_DAYS		30	/* date >= today - 30 */
#define PATTERN_TREND_RECENT_DAYS	7	/* recent: date >= today - 7 */
#define PATTERN_TREND_MIN_RECENT	3
#define PATTERN_MAX_FACTORS		4
#define PATTERN_MAX_LAG			7

enum pattern_significance {
	PATTERN_INSUFFICIENT = 0,
	PATTERN_LOW,
	PATTERN_MEDIUM,
	PATTERN_HIGH
};

enum pattern_trend_metric {
	PATTERN_TREND_HRV = 0,		/* recharge hrv_avg */
	PATTERN_TREND_SLEEP,		/* sleep_score */
	PATTERN_TREND_RESTING_HR	/* recharge heart_rate_avg */
};

/*
 * One row of pattern_analyses.  The common part is always set; the detail
 * fields used by each pattern are listed with it, the others are NaN / 0 /
 * NULL.  score and confidence are NaN for JSON null.  reason is non-empty
 * exactly when details is {"reason": ...}.
 */
struct pattern {
	const char			*name;		/* pattern_name */
	const char			*type;		/* pattern_type */
	enum pattern_significance	 significance;
	double				 score;
	double				 confidence;
	size_t				 sample_count;
	char				 reason[96];
	char				 interpretation[192];

	/* correlation: sleep_hrv_correlation, activity_sleep_correlation,
	 * training_recovery_lag */
	double				 r;		/* correlation_coefficient */
	double				 p;		/* p_value */
	const char			*strength;
	const char			*direction;	/* also trends */
	int				 lag_days;	/* training_recovery_lag */
	double				 lag_r[PATTERN_MAX_LAG + 1];
	double				 lag_p[PATTERN_MAX_LAG + 1];
	size_t				 lag_n[PATTERN_MAX_LAG + 1];

	/* trend: hrv_trend, sleep_trend */
	double				 trend_pct;	/* trend_percent */

	/* composite: overtraining_risk, recovery_readiness */
	int				 risk_score;
	size_t				 metrics_checked;
	char				 factors[PATTERN_MAX_FACTORS][80];
	size_t				 nfactors;
	const char * const		*recommendations;
	size_t				 nrecommendations;
};

/* "insufficient", "low", "medium", "high". */
const char	*pattern_significance_name(enum pattern_significance s);

/*
 * Upstream _get_metric_trend: rows with day >= today - 30; need >= 7;
 * recent = day >= today - 7 (8 calendar days), older = the rest; need >= 3
 * recent and >= 7 older and an older mean != 0.  *pct =
 * (mean(recent) - mean(older))/mean(older)*100.  PF_ERR_RANGE ("None")
 * otherwise, *pct NaN.
 */
int	 pattern_metric_trend(const struct dayval *s, size_t n, int32_t today,
	    double *pct);

/*
 * sleep_hrv_correlation: Spearman over the days (>= today - 90) present in
 * both series, thresholds, strings and significance exactly as upstream.
 */
int	 pattern_sleep_hrv_correlation(const struct dayval *sleep,
	    size_t nsleep, const struct dayval *hrv, size_t nhrv, int32_t today,
	    struct pattern *out);

/* hrv_trend / sleep_trend (PATTERN_TREND_HRV / _SLEEP only). */
int	 pattern_trend(enum pattern_trend_metric m, const struct dayval *s,
	    size_t n, int32_t today, struct pattern *out);

/* Inputs of overtraining_risk: the three trend series and cardio-load ratio. */
struct overtraining_inputs {
	int32_t			 today;
	const struct dayval	*hrv;		/* recharge hrv_avg */
	size_t			 nhrv;
	const struct dayval	*sleep;		/* sleep_score */
	size_t			 nsleep;
	const struct dayval	*resting_hr;	/* recharge heart_rate_avg */
	size_t			 nresting_hr;
	const struct dayval	*load_ratio;	/* cardio_load_ratio */
	size_t			 nload_ratio;
};

/* overtraining_risk: 25/15-point factors, exactly as upstream. */
int	 pattern_overtraining_risk(const struct overtraining_inputs *in,
	    struct pattern *out);

/*
 * training_recovery_lag.  load[] and hrv[] are dense daily arrays on
 * the same first day (stats_densify); load NaN = no data, pair dropped.
 * For each lag L in 1..max_lag (max_lag <= PATTERN_MAX_LAG) Spearman of
 * load[t] vs hrv[t+L] (Polar dates a night by the day you wake, so L = 1 is
 * the night after the session).  The reported lag is the one with the most
 * negative r among lags with >= 21 pairs; its p is Bonferroni-adjusted
 * (p * number of lags tested, capped at 1) because we picked the best of
 * several.  Significance tiers as sleep_hrv_correlation.
 */
int	 pattern_training_recovery_lag(const double *load, const double *hrv,
	    size_t ndays, int max_lag, struct pattern *out);

/*
 * activity_sleep_correlation.  Spearman of activity[t] (steps or
 * active calories, dense daily) vs sleep[t + 1] (sleep score of the night
 * that ends the next morning); >= 21 pairs; tiers and strength words as
 * sleep_hrv_correlation.
 */
int	 pattern_activity_sleep_correlation(const double *activity,
	    const double *sleep, size_t ndays, struct pattern *out);

struct recovery_score;

/*
 * recovery_readiness: the composite readiness score as a pattern.
 * score = readiness 0..100, confidence = share of the weight whose inputs
 * were present, sample_count = components used.  Insufficient with fewer
 * than 2 components; else high when score < 45 (poor: act on it), medium
 * when < 65 (fair), low otherwise -- the same orientation as
 * overtraining_risk, where high means "needs attention".
 */
int	 pattern_recovery_readiness(const struct recovery_score *rs,
	    struct pattern *out);

/* metric_load.c */

#define LOAD_ACUTE_DAYS		7
#define LOAD_CHRONIC_DAYS	28
#define LOAD_CTL_DAYS		42.0
#define LOAD_ATL_DAYS		7.0
#define LOAD_HRV_BAND_DAYS	60
#define LOAD_HRV_BAND_MIN	14	/* valid days, else "calibrating" */
#define LOAD_HRV_MEAN_DAYS	7
#define LOAD_HRV_MEAN_MIN	3	/* Plews 2014: >= 3 valid days/week */
#define LOAD_SLEEP_DEBT_DAYS	14

/*
 * Load arrays are dense daily (index i = first_day + i).  A missing day
 * (NaN) counts as zero load -- no recorded training -- which is what the
 * Polar strain/tolerance and PMC models assume.
 */

/*
 * Rolling ACWR.  Coupled: mean(load[t-6..t]) / mean(load[t-27..t]).
 * Uncoupled: mean(load[t-6..t]) / mean(load[t-27..t-7]).  out[t] is NaN for
 * t < 27 (28-day warm-up) and where the chronic mean is 0.
 */
int	 load_acwr_rolling(const double *load, size_t ndays, bool uncoupled,
	    double *out);

/*
 * EWMA ACWR (Williams et al. 2017): E_t = lambda*load_t + (1-lambda)*E_t-1,
 * lambda_a = 2/(7+1), lambda_c = 2/(28+1), E_-1 = 0; out[t] = Ea/Ec, NaN
 * for t < 27 and where Ec is 0.
 */
int	 load_acwr_ewma(const double *load, size_t ndays, double *out);

struct pmc_params {
	double	ctl_days;	/* time constant, LOAD_CTL_DAYS */
	double	atl_days;	/* LOAD_ATL_DAYS */
	double	ctl0;		/* CTL before day 0 (seed), usually 0 */
	double	atl0;
};

/* Fill p with 42/7 and zero seeds. */
void	 load_pmc_defaults(struct pmc_params *p);

/*
 * Performance-management chart, Golden Cheetah's recurrence:
 *	lte = exp(-1/ctl_days), ste = exp(-1/atl_days)
 *	CTL_t = load_t * (1 - lte) + CTL_t-1 * lte
 *	ATL_t = load_t * (1 - ste) + ATL_t-1 * ste
 *	TSB_t = CTL_t-1 - ATL_t-1
 * with CTL_-1 = ctl0, ATL_-1 = atl0.  TSB_t is the form going into day t
 * (before its training), the value Golden Cheetah and TrainingPeaks show
 * on day t.  p NULL = defaults.
 */
int	 load_pmc(const double *load, size_t ndays, const struct pmc_params *p,
	    double *ctl, double *atl, double *tsb);

/*
 * Sleep debt over a trailing window of `window` nights:
 *	debt_t = max(0, sum over valid nights in window of (goal - sleep))
 * in seconds.  Surplus nights repay debt within the window; missing nights
 * (NaN) count neither way (not as zero sleep).  NaN when the window holds
 * no valid night.  goal_s > 0.
 */
int	 load_sleep_debt(const double *sleep_s, size_t ndays, double goal_s,
	    size_t window, double *debt_s);

enum hrv_band_status {
	HRV_BAND_INSUFFICIENT = 0,	/* < 3 valid days in the last 7 */
	HRV_BAND_CALIBRATING,		/* < 14 valid days in the last 60 */
	HRV_BAND_BELOW,
	HRV_BAND_WITHIN,
	HRV_BAND_ABOVE
};

/* HRV4Training-style baseline for one day t.  NaN = not computable. */
struct hrv_band_day {
	double			ln_rmssd;	/* ln(rmssd[t]) */
	double			mean7;		/* mean ln, days t-6..t, >= 3 */
	double			cv7_pct;	/* 100*SD/mean of ln, t-6..t */
	double			band_mean;	/* mean ln, days t-59..t, >= 14 */
	double			band_sd;	/* sample SD of the same */
	double			band_lo;	/* band_mean - k*band_sd */
	double			band_hi;
	enum hrv_band_status	status;		/* mean7 vs band */
};

/*
 * For every day of rmssd[0..ndays) (ms; <= 0 or NaN = missing) fill out[t].
 * k > 0 is the band half-width in SDs (analytics_hrv_band_sd; 0.5..1.0 usual).
 * The 60-day band includes the current week, as HRV4Training does.
 */
int	 load_hrv_band(const double *rmssd, size_t ndays, double k,
	    struct hrv_band_day *out);
const char	*load_hrv_band_status_name(enum hrv_band_status s);

/* metric_recovery.c */

enum recovery_component {
	RECOVERY_HRV = 0,
	RECOVERY_SLEEP,
	RECOVERY_ANS,
	RECOVERY_LOAD,
	RECOVERY_NCOMPONENTS
};

/* Inputs of the composite score; NaN = not available. */
struct recovery_inputs {
	double	ln_rmssd;	/* today's ln(RMSSD) */
	double	band_mean;	/* 60-day mean of ln(RMSSD) */
	double	band_sd;	/* 60-day SD of ln(RMSSD) */
	double	sleep_score;	/* 0..100 */
	double	ans_charge;	/* Polar ANS charge, -10..+10 */
	double	acwr;		/* acute:chronic load ratio */
};

/* Default weights: HRV .40, sleep .25, ANS .20, load .15. */
struct recovery_weights {
	double	w[RECOVERY_NCOMPONENTS];
};

struct recovery_part {
	bool	available;
	double	input;		/* the raw input (z-score for HRV) */
	double	subscore;	/* 0..100 */
	double	weight;		/* configured weight */
	double	effective;	/* weight / sum of available weights */
};

struct recovery_score {
	struct recovery_part	 part[RECOVERY_NCOMPONENTS];
	size_t			 ncomponents;	/* available parts */
	double			 coverage;	/* available weight / total */
	double			 score;		/* 0..100, NaN if none */
	const char		*level;		/* excellent/good/fair/poor */
};

void	 recovery_weights_default(struct recovery_weights *w);
/* "hrv", "sleep", "ans", "load". */
const char	*recovery_component_name(enum recovery_component c);

/*
 * Composite readiness: sum(effective_i * subscore_i) over available parts.
 *	HRV:   z = (ln_rmssd - band_mean)/band_sd; 75 + 25*z, clamped 0..100
 *	       (at your normal = 75, +1 SD = 100, -3 SD = 0)
 *	sleep: sleep_score clamped 0..100
 *	ANS:   (ans_charge + 10) * 5 clamped 0..100 (upstream's mapping)
 *	load:  100 for 0.8 <= acwr <= 1.3; linear to 0 at 2.0 above; linear
 *	       to 50 at 0 below (detraining matters less than a spike)
 * level: >= 80 excellent, >= 65 good, >= 45 fair, else poor (upstream's
 * cut-offs).  w NULL = defaults.  PF_ERR_RANGE (score NaN, level NULL)
 * when no input is available.
 */
int	 recovery_compute(const struct recovery_inputs *in,
	    const struct recovery_weights *w, struct recovery_score *out);

/*
 * Upstream's admin dashboard _calculate_recovery_status.  Each *_day is the
 * date of the row the value came from; a value is ignored when it is NaN
 * or its day < today - 2 (48 h staleness rule).
 */
struct recovery_admin_inputs {
	int32_t	today;
	int32_t	sleep_day;
	double	sleep_score;
	int32_t	recharge_day;
	double	ans_charge;
	double	hrv_avg;
	int32_t	cardio_day;
	double	load_ratio;	/* cardio_load_ratio */
};

#define RECOVERY_ADMIN_MAXRECS	5

struct recovery_admin_status {
	const char	*readiness;		/* excellent/good/fair/poor */
	double		 score;			/* unrounded mean of factors */
	int		 readiness_score;	/* round-half-even(score) */
	const char	*recommendations[RECOVERY_ADMIN_MAXRECS];
	size_t		 nrecommendations;
	const char	*training_advice;
	bool		 has_data;		/* any factor present */
};

int	 recovery_admin_status(const struct recovery_admin_inputs *in,
	    struct recovery_admin_status *out);

/* metric_insight.c */

/*
 * Days of data at which features unlock (upstream's thresholds), for the
 * insights (readiness, onboarding texts, which patterns and anomalies are
 * shown) and for the analytics status alike.
 */
#define UNLOCK_BASIC_DAYS	7	/* 7-day baselines, basic stats */
#define UNLOCK_TREND_DAYS	14
#define UNLOCK_PATTERNS_DAYS	21	/* patterns, anomaly detection */
#define UNLOCK_PREDICTIVE_DAYS	30	/* 30-day baselines, predictive */
#define UNLOCK_ML_DAYS		60
#define UNLOCK_LONG_TERM_DAYS	90

/* Upstream services/insights.py UNLOCK_THRESHOLDS, in dict order. */
enum insight_feature {
	INSIGHT_BASELINES_7D = 0,	/* UNLOCK_BASIC_DAYS */
	INSIGHT_BASELINES_30D,		/* UNLOCK_PREDICTIVE_DAYS */
	INSIGHT_PATTERNS,		/* UNLOCK_PATTERNS_DAYS */
	INSIGHT_ANOMALY_DETECTION,	/* UNLOCK_PATTERNS_DAYS */
	INSIGHT_ML_PREDICTIONS,		/* UNLOCK_ML_DAYS */
	INSIGHT_NFEATURES
};

struct insight_feature_status {
	const char	*name;		/* "baselines_7d", ... */
	bool		 available;	/* data_age >= unlock_at_days */
	int		 unlock_at_days;
	char		 message[32];	/* "Unlocks in N days", "" if available */
};

struct insight_readiness {
	int				data_age_days;
	const char			*status;	/* unavailable/partial/ready */
	struct insight_feature_status	 feature[INSIGHT_NFEATURES];
	bool				 has_next;	/* unlock_progress != null */
	const char			*next_unlock;
	int				 days_until_next;
	double				 percent_to_next;
};

/*
 * data_age_days = today - min(first_days) + 1 (span since the earliest
 * sleep / recharge record; gaps are not subtracted), 0 when n is 0.
 */
int	 insight_data_age_days(int32_t today, const int32_t *first_days,
	    size_t n);

/*
 * Status (< 7 unavailable, < 21 partial, else ready), feature availability
 * and unlock progress: the first threshold above data_age in ascending
 * order, ties in dict order (baselines_7d, patterns, anomaly_detection,
 * baselines_30d, ml_predictions); percent = min(age/threshold*100, 99.9).
 */
int	 insight_readiness(int data_age_days, struct insight_readiness *out);

/* api/baselines.py FEATURE_THRESHOLDS, in dict order. */
enum analytics_feature {
	ANALYTICS_BASIC_STATS = 0,		/* UNLOCK_BASIC_DAYS */
	ANALYTICS_TREND_ANALYSIS,		/* UNLOCK_TREND_DAYS */
	ANALYTICS_PERSONALIZED_BASELINES,	/* UNLOCK_PATTERNS_DAYS */
	ANALYTICS_PREDICTIVE_MODELS,		/* UNLOCK_PREDICTIVE_DAYS */
	ANALYTICS_ADVANCED_ML,			/* UNLOCK_ML_DAYS */
	ANALYTICS_LONG_TERM_PATTERNS,		/* UNLOCK_LONG_TERM_DAYS */
	ANALYTICS_NFEATURES
};

/* Data days count the distinct dates with day >= today - this. */
#define ANALYTICS_STATUS_WINDOW_DAYS	90

struct analytics_feature_progress {
	const char	*name;
	bool		 unlocked;
	int		 days_required;
	int		 days_remaining;
	double		 progress_percent;	/* round(min/th*100, 1) or 100 */
};

struct analytics_status {
	int					min_data_days;
	struct analytics_feature_progress	feature[ANALYTICS_NFEATURES];
	char					recommendation[128];
};

/*
 * min_data_days = min over sleep, recharge, activity and cardio_load of
 * the distinct dates in the last ANALYTICS_STATUS_WINDOW_DAYS (counted by
 * the caller), so a user without cardio load stays at 0.  Exactly one
 * recommendation.
 */
int	 insight_analytics_status(int min_data_days,
	    struct analytics_status *out);

/*
 * Insights observations and suggestions (upstream services/insights.py).
 * The caller assembles the inputs from the stored baselines,
 * anomalies and patterns; everything here is string formatting and rules.
 */
#define INSIGHT_MAX_OBSERVATIONS	32
#define INSIGHT_MAX_SUGGESTIONS		4

/* One baseline as the insights document sees it (hrv_rmssd, sleep_score). */
struct insight_baseline {
	bool			 present;	/* a stored baseline row exists */
	enum baseline_status	 status;
	double			 current;	/* NaN = null */
	double			 baseline;	/* baseline_value */
	double			 pct;		/* percent_of_baseline, NaN = null */
	const char		*trend;		/* baseline_trend(), may be NULL */
};

struct insight_inputs {
	int			 data_age_days;
	/* Already gated by the caller: empty when data_age < 21. */
	const struct anomaly	*anomalies;
	size_t			 nanomalies;
	const struct pattern	*patterns;
	size_t			 npatterns;
	struct insight_baseline	 hrv;
	struct insight_baseline	 sleep;
};

struct insight_observation {
	const char	*category;	/* onboarding/recovery/sleep/training/... */
	const char	*priority;	/* critical/high/medium/low/info/positive */
	char		 fact[128];
	char		 context[192];	/* "" = null */
	const char	*trend;		/* may be NULL */
};

struct insight_suggestion {
	const char	*action;
	const char	*description;
	double		 confidence;
	char		 reason[128];
};

/* Upper-case display name, '_' -> ' ' ("HRV RMSSD"); buf of len bytes. */
void	 insight_metric_display(const char *metric, char *buf, size_t len);

/*
 * Observations in generation order, then stable-sorted by priority
 * (critical, high, medium, low, info, positive).  *n gets the count (at
 * most INSIGHT_MAX_OBSERVATIONS; extra ones are dropped).
 * An anomaly without a deviation (its baseline is 0) gets a context
 * without the " (+N%)" part, where upstream fails.
 */
int	 insight_observations(const struct insight_inputs *in,
	    struct insight_observation *out, size_t *n);

/* Suggestions, in upstream's order; *n gets the count. */
int	 insight_suggestions(const struct insight_inputs *in,
	    struct insight_suggestion *out, size_t *n);

/* metric_recovery.c: resting heart rate from continuous HR */

#define RHR_WINDOW_S		1800	/* 30-minute windows */
#define RHR_MIN_SAMPLES		3	/* samples in a window */
#define RHR_BASELINE_DAYS	14	/* days of the daily rows' baseline */

/* One continuous-HR sample: seconds since local midnight, bpm (0 = none). */
struct hr_sample {
	int32_t	t_s;
	double	bpm;
};

/*
 * A day's resting HR: the lowest mean heart rate over any 30-minute window
 * [t, t + 1800 s) that starts at a sample and holds at least 3 valid
 * samples (bpm > 0 and finite).  Samples may come in any order (they are
 * sorted in a copy).  PF_ERR_RANGE (NaN) when no window qualifies.
 */
int	 rhr_daily(const struct hr_sample *s, size_t n, double *rhr);

/* metric_load.c: sleep-timing consistency */

#define SLEEP_TIMING_DAYS	14	/* trailing nights */
#define SLEEP_TIMING_MIN	5	/* nights needed */

/*
 * Bedtime on a clock that does not wrap at midnight: minutes after local
 * noon of the sleep start (22:30 -> 630, 00:30 -> 750), 0..1439.
 */
double	 sleep_bedtime_minutes(int64_t start_utc_ms, int offset_min);
/*
 * Back to the clock: minutes after local midnight (0..1439) of a bedtime
 * in minutes after noon, rounded to the minute; -1 if not finite.
 */
int	 sleep_bedtime_clock(double min_after_noon);

/*
 * Sleep-timing consistency for day t of a dense daily bedtime array (from
 * sleep_bedtime_minutes, NaN = no night): sample SD, in minutes, of the
 * bedtimes of nights t-13..t; *mean gets their mean (may be NULL).  NaN
 * (PF_ERR_RANGE) with fewer than SLEEP_TIMING_MIN nights.
 */
int	 sleep_timing_sd(const double *bedtime, size_t ndays, size_t t,
	    double *sd, double *mean);

#endif /* PF_ANALYTICSD_METRIC_H */
