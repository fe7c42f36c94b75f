/*
 * Every upstream branch, constant and string of services/pattern.py, plus
 * the three new patterns.  Correlation fixtures are closed-form in k (days
 * before today); r and p were computed from the same formulas with
 * /usr/bin/python3 and python3-scipy 1.10.1:
 *	S = [60 + (7k % 25) for k in range(30)]
 *	H = [30 + (7k % 25) + (5k % 9) ...]
 *	r = scipy.stats.spearmanr(S, H); print(repr(r.correlation),
 *	    repr(r.pvalue))
 * Trend percentages: ((r - o)/o)*100 printed with f"{t:+.1f}".
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"

#include "analyticsd/metric.h"
#include "tests/unit/testutil.h"

#define TODAY	20000

enum hrv_shape { H_POS, H_NEG, H_MED, H_WEAK, H_NEGLIGIBLE, H_CONST };

static double
hrv_of(enum hrv_shape sh, int k)
{
	switch (sh) {
	case H_POS:		return 30 + (k * 7) % 25 + (k * 5) % 9;
	case H_NEG:		return 80 - (k * 7) % 25 - (k * 13) % 19;
	case H_MED:		return 30 + (k * 7) % 25 + (k * 18) % 25;
	case H_WEAK:		return 30 + (k * 7) % 25 + (k * 22) % 31;
	case H_NEGLIGIBLE:	return 30 + (k * 11) % 17;
	case H_CONST:		return 42;
	}
	return NAN;
}

static void
corr_run(enum hrv_shape sh, int n, struct pattern *p)
{
	struct dayval	sleep[40], hrv[40];
	int		k;

	for (k = 0; k < n; k++) {
		sleep[k].day = TODAY - k;
		sleep[k].value = 60 + (k * 7) % 25;
		hrv[k].day = TODAY - k;
		hrv[k].value = hrv_of(sh, k);
	}
	assert_int_equal(pattern_sleep_hrv_correlation(sleep, (size_t)n, hrv,
	    (size_t)n, TODAY, p), PF_OK);
	assert_string_equal(p->name, "sleep_hrv_correlation");
	assert_string_equal(p->type, "correlation");
}

static void
test_corr_high_positive(void **state)
{
	struct pattern	p;

	(void)state;
	corr_run(H_POS, 30, &p);
	assert_string_equal(pattern_significance_name(p.significance), "high");
	assert_double_rel(p.r, 0.9605790645879732, 1e-13);
	assert_double_rel(p.p, 4.2102151782528514e-17, 1e-9);
	assert_double_exact(p.score, p.r);
	assert_double_exact(p.confidence, 1 - p.p);
	assert_int_equal(p.sample_count, 30);
	assert_string_equal(p.strength, "strong");
	assert_string_equal(p.direction, "positive");
	assert_string_equal(p.interpretation, "Strong positive correlation "
	    "between sleep quality and HRV. Better sleep is associated with "
	    "higher HRV.");
	assert_string_equal(p.reason, "");
}

static void
test_corr_high_negative(void **state)
{
	struct pattern	p;

	(void)state;
	corr_run(H_NEG, 30, &p);
	assert_int_equal(p.significance, PATTERN_HIGH);
	assert_double_rel(p.r, -0.8390293243135467, 1e-13);
	assert_double_rel(p.p, 6.974318386731946e-09, 1e-9);
	assert_string_equal(p.direction, "negative");
	assert_string_equal(p.interpretation, "Strong negative correlation "
	    "between sleep quality and HRV. This inverse relationship is "
	    "unusual and may warrant investigation.");
}

static void
test_corr_medium_weak_negligible(void **state)
{
	struct pattern	p;

	(void)state;
	corr_run(H_MED, 30, &p);
	assert_string_equal(pattern_significance_name(p.significance),
	    "medium");
	assert_double_rel(p.r, 0.4325302363363879, 1e-13);
	assert_double_rel(p.p, 0.01697769536888059, 1e-9);
	assert_string_equal(p.interpretation, "Moderate positive correlation "
	    "between sleep quality and HRV. Better sleep is associated with "
	    "higher HRV.");

	corr_run(H_WEAK, 30, &p);
	assert_string_equal(pattern_significance_name(p.significance), "low");
	assert_double_rel(p.r, 0.2409239669988609, 1e-13);
	assert_double_rel(p.p, 0.19966261276034275, 1e-9);
	assert_string_equal(p.strength, "weak");
	assert_string_equal(p.interpretation,
	    "Weak positive correlation between sleep quality and HRV");

	corr_run(H_NEGLIGIBLE, 30, &p);
	assert_double_rel(p.r, 0.08470801405751797, 1e-13);
	assert_double_rel(p.p, 0.6562823804900035, 1e-9);
	assert_string_equal(p.interpretation,
	    "Negligible positive correlation between sleep quality and HRV");
}

static void
test_corr_insufficient(void **state)
{
	struct pattern	p;
	struct dayval	sleep[25], hrv[25];
	int		k;

	(void)state;
	corr_run(H_POS, 20, &p);
	assert_int_equal(p.significance, PATTERN_INSUFFICIENT);
	assert_string_equal(pattern_significance_name(p.significance),
	    "insufficient");
	assert_int_equal(p.sample_count, 20);
	assert_string_equal(p.reason, "Insufficient data: 20 samples, need 21");
	assert_true(isnan(p.score) && isnan(p.confidence));

	corr_run(H_CONST, 30, &p);
	assert_int_equal(p.significance, PATTERN_INSUFFICIENT);
	assert_int_equal(p.sample_count, 30);
	assert_string_equal(p.reason,
	    "Could not compute correlation - data may lack variance");

	/* only common, in-window, non-missing days count */
	for (k = 0; k < 25; k++) {
		sleep[k].day = TODAY - k;
		sleep[k].value = 60 + k;
		hrv[k].day = TODAY - k - (k >= 22 ? 100 : 0);
		hrv[k].value = k == 3 || k == 4 ? NAN : 40 + k % 5;
	}
	assert_int_equal(pattern_sleep_hrv_correlation(sleep, 25, hrv, 25,
	    TODAY, &p), PF_OK);
	assert_string_equal(p.reason, "Insufficient data: 20 samples, need 21");
}

static void
test_corr_empty_and_dup(void **state)
{
	struct pattern	p;

	(void)state;
	assert_int_equal(pattern_sleep_hrv_correlation(NULL, 0, NULL, 0,
	    TODAY, &p), PF_OK);
	assert_string_equal(p.reason, "Insufficient data: 0 samples, need 21");
	assert_int_equal(pattern_sleep_hrv_correlation(NULL, 3, NULL, 0,
	    TODAY, &p), PF_ERR_INVALID);
	assert_int_equal(pattern_sleep_hrv_correlation(NULL, 0, NULL, 0,
	    TODAY, NULL), PF_ERR_INVALID);
}

/* A series of one metric: older (k = 8..30) at `older`, recent at `recent`. */
static size_t
trend_series(struct dayval *s, double recent, double older, int nrecent,
    int nolder)
{
	size_t	n = 0;
	int	k;

	for (k = 0; k < nrecent; k++, n++) {
		s[n].day = TODAY - k;
		s[n].value = recent;
	}
	for (k = 0; k < nolder; k++, n++) {
		s[n].day = TODAY - 8 - k;
		s[n].value = older;
	}
	return n;
}

static void
test_metric_trend_rules(void **state)
{
	struct dayval	s[64];
	double		t;
	size_t		n;

	(void)state;
	n = trend_series(s, 35, 40, 8, 23);
	assert_int_equal(pattern_metric_trend(s, n, TODAY, &t), PF_OK);
	assert_double_exact(t, -12.5);
	/* today - 7 is recent, today - 8 older, today - 31 outside */
	n = trend_series(s, 35, 40, 3, 7);
	s[n].day = TODAY - 7;
	s[n++].value = 35;
	s[n].day = TODAY - 31;
	s[n++].value = 1000;
	assert_int_equal(pattern_metric_trend(s, n, TODAY, &t), PF_OK);
	assert_double_exact(t, -12.5);
	/* fewer than 3 recent, fewer than 7 older, < 7 rows: None */
	n = trend_series(s, 35, 40, 2, 20);
	assert_int_equal(pattern_metric_trend(s, n, TODAY, &t), PF_ERR_RANGE);
	assert_true(isnan(t));
	n = trend_series(s, 35, 40, 8, 6);
	assert_int_equal(pattern_metric_trend(s, n, TODAY, &t), PF_ERR_RANGE);
	n = trend_series(s, 35, 40, 3, 3);
	assert_int_equal(pattern_metric_trend(s, n, TODAY, &t), PF_ERR_RANGE);
	/* older mean 0: None, not a division by zero */
	n = trend_series(s, 35, 0, 8, 10);
	assert_int_equal(pattern_metric_trend(s, n, TODAY, &t), PF_ERR_RANGE);
	/* missing values are not rows */
	n = trend_series(s, 35, 40, 8, 10);
	s[0].value = NAN;
	s[1].value = NAN;
	assert_int_equal(pattern_metric_trend(s, n, TODAY, &t), PF_OK);
	assert_double_exact(t, -12.5);
	assert_int_equal(pattern_metric_trend(NULL, 0, TODAY, &t),
	    PF_ERR_RANGE);
}

static void
test_trend_patterns(void **state)
{
	struct dayval	s[64];
	struct pattern	p;
	size_t		n;

	(void)state;
	n = trend_series(s, 35, 40, 8, 23);
	assert_int_equal(pattern_trend(PATTERN_TREND_HRV, s, n, TODAY, &p),
	    PF_OK);
	assert_string_equal(p.name, "hrv_trend");
	assert_string_equal(p.type, "trend");
	assert_string_equal(pattern_significance_name(p.significance), "high");
	assert_string_equal(p.direction, "declining");
	assert_double_exact(p.score, -12.5);
	assert_double_exact(p.trend_pct, -12.5);
	assert_double_exact(p.confidence, 0.8);
	assert_int_equal(p.sample_count, 7);
	assert_string_equal(p.interpretation,
	    "HRV is declining (-12.5% from baseline)");

	n = trend_series(s, 38, 40, 8, 23);
	assert_int_equal(pattern_trend(PATTERN_TREND_HRV, s, n, TODAY, &p),
	    PF_OK);
	assert_int_equal(p.significance, PATTERN_MEDIUM);

	n = trend_series(s, 84, 80, 8, 23);
	assert_int_equal(pattern_trend(PATTERN_TREND_SLEEP, s, n, TODAY, &p),
	    PF_OK);
	assert_string_equal(p.name, "sleep_trend");
	assert_int_equal(p.significance, PATTERN_MEDIUM);
	assert_string_equal(p.interpretation,
	    "SLEEP is improving (+5.0% from baseline)");

	n = trend_series(s, 40, 40, 8, 23);
	assert_int_equal(pattern_trend(PATTERN_TREND_HRV, s, n, TODAY, &p),
	    PF_OK);
	assert_int_equal(p.significance, PATTERN_LOW);
	assert_string_equal(p.interpretation,
	    "HRV is stable (+0.0% from baseline)");

	n = trend_series(s, 40, 40, 1, 23);
	assert_int_equal(pattern_trend(PATTERN_TREND_SLEEP, s, n, TODAY, &p),
	    PF_OK);
	assert_int_equal(p.significance, PATTERN_INSUFFICIENT);
	assert_string_equal(p.reason, "Insufficient data for trend analysis");
	assert_int_equal(p.sample_count, 0);
	assert_true(isnan(p.score) && isnan(p.confidence));

	assert_int_equal(pattern_trend(PATTERN_TREND_RESTING_HR, s, n, TODAY,
	    &p), PF_ERR_INVALID);
}

struct ot_fixture {
	struct dayval	hrv[40], sleep[40], rhr[40], ratio[4];
	size_t		nhrv, nsleep, nrhr, nratio;
};

static void
ot_run(struct ot_fixture *f, struct pattern *p)
{
	struct overtraining_inputs	in = {
		.today = TODAY,
		.hrv = f->hrv, .nhrv = f->nhrv,
		.sleep = f->sleep, .nsleep = f->nsleep,
		.resting_hr = f->rhr, .nresting_hr = f->nrhr,
		.load_ratio = f->ratio, .nload_ratio = f->nratio,
	};

	assert_int_equal(pattern_overtraining_risk(&in, p), PF_OK);
	assert_string_equal(p->name, "overtraining_risk");
	assert_string_equal(p->type, "composite");
}

static void
set_ratio(struct ot_fixture *f, double r)
{
	/* -1 sentinel on the newest day must be skipped */
	f->ratio[0].day = TODAY;
	f->ratio[0].value = -1;
	f->ratio[1].day = TODAY - 1;
	f->ratio[1].value = r;
	f->nratio = 2;
}

static void
test_overtraining_all_high(void **state)
{
	struct ot_fixture	f;
	struct pattern		p;

	(void)state;
	f.nhrv = trend_series(f.hrv, 35, 40, 8, 23);
	f.nsleep = trend_series(f.sleep, 70, 80, 8, 23);
	f.nrhr = trend_series(f.rhr, 64, 60, 8, 23);
	set_ratio(&f, 1.6);
	ot_run(&f, &p);
	assert_int_equal(p.risk_score, 100);
	assert_double_exact(p.score, 100);
	assert_int_equal(p.metrics_checked, 4);
	assert_double_exact(p.confidence, 1.0);
	assert_int_equal(p.sample_count, 4);
	assert_string_equal(pattern_significance_name(p.significance), "high");
	assert_int_equal(p.nfactors, 4);
	assert_string_equal(p.factors[0],
	    "HRV declining significantly (-12.5%)");
	assert_string_equal(p.factors[1], "Sleep quality declining (-12.5%)");
	assert_string_equal(p.factors[2], "Resting heart rate elevated (+6.7%)");
	assert_string_equal(p.factors[3], "Training load ratio high (1.60)");
	assert_int_equal(p.nrecommendations, 3);
	assert_string_equal(p.recommendations[0], "Consider taking a rest day "
	    "or reducing training intensity significantly");
	assert_string_equal(p.recommendations[1],
	    "Prioritize sleep quality and duration");
	assert_string_equal(p.recommendations[2], "Monitor symptoms of "
	    "overtraining (fatigue, mood changes, decreased performance)");
}

static void
test_overtraining_moderate(void **state)
{
	struct ot_fixture	f;
	struct pattern		p;

	(void)state;
	/* 15 + 15 + 15 + 15 = 60: high, the >= 50 advice */
	f.nhrv = trend_series(f.hrv, 37, 40, 8, 23);
	f.nsleep = trend_series(f.sleep, 74, 80, 8, 23);
	f.nrhr = trend_series(f.rhr, 62, 60, 8, 23);
	set_ratio(&f, 1.4);
	ot_run(&f, &p);
	assert_int_equal(p.risk_score, 60);
	assert_int_equal(p.significance, PATTERN_HIGH);
	assert_string_equal(p.factors[0], "HRV declining moderately (-7.5%)");
	assert_string_equal(p.factors[1],
	    "Sleep quality declining slightly (-7.5%)");
	assert_string_equal(p.factors[2],
	    "Resting heart rate slightly elevated (+3.3%)");
	assert_string_equal(p.factors[3], "Training load ratio elevated (1.40)");
	assert_int_equal(p.nrecommendations, 3);
	assert_string_equal(p.recommendations[0],
	    "Reduce training intensity for the next few days");
	assert_string_equal(p.recommendations[1],
	    "Focus on recovery activities (light stretching, walking)");
	assert_string_equal(p.recommendations[2],
	    "Ensure adequate sleep (7-9 hours)");

	/* exactly 25: medium */
	f.nhrv = trend_series(f.hrv, 35, 40, 8, 23);
	f.nsleep = trend_series(f.sleep, 80, 80, 8, 23);
	f.nrhr = 0;
	f.nratio = 0;
	ot_run(&f, &p);
	assert_int_equal(p.risk_score, 25);
	assert_int_equal(p.metrics_checked, 2);
	assert_double_exact(p.confidence, 0.5);
	assert_string_equal(pattern_significance_name(p.significance),
	    "medium");
	assert_int_equal(p.nrecommendations, 2);
	assert_string_equal(p.recommendations[0],
	    "Monitor your body's response to training");
	assert_string_equal(p.recommendations[1],
	    "Consider adding an extra recovery day this week");
}

static void
test_overtraining_low_and_insufficient(void **state)
{
	struct ot_fixture	f;
	struct pattern		p;

	(void)state;
	/* rhr +5.0% is not > 5 but is > 2: 15, low */
	f.nhrv = trend_series(f.hrv, 40, 40, 8, 23);
	f.nsleep = 0;
	f.nrhr = trend_series(f.rhr, 63, 60, 8, 23);
	set_ratio(&f, 1.3);	/* not > 1.3 */
	ot_run(&f, &p);
	assert_int_equal(p.risk_score, 15);
	assert_int_equal(p.metrics_checked, 3);
	assert_double_exact(p.confidence, 0.75);
	assert_string_equal(pattern_significance_name(p.significance), "low");
	assert_int_equal(p.nfactors, 1);
	assert_string_equal(p.factors[0],
	    "Resting heart rate slightly elevated (+5.0%)");
	assert_string_equal(p.recommendations[0],
	    "Training load appears manageable");
	assert_string_equal(p.recommendations[1],
	    "Continue current training while monitoring recovery metrics");

	/* one metric: insufficient, but score and advice still stored */
	f.nhrv = 0;
	f.nrhr = 0;
	set_ratio(&f, 1.6);
	ot_run(&f, &p);
	assert_int_equal(p.significance, PATTERN_INSUFFICIENT);
	assert_int_equal(p.metrics_checked, 1);
	assert_double_exact(p.score, 25);
	assert_double_exact(p.confidence, 0.25);

	/* nothing at all */
	f.nratio = 0;
	ot_run(&f, &p);
	assert_int_equal(p.significance, PATTERN_INSUFFICIENT);
	assert_double_exact(p.confidence, 0.0);
	assert_double_exact(p.score, 0.0);
	assert_int_equal(p.sample_count, 0);
	assert_int_equal(pattern_overtraining_risk(NULL, &p), PF_ERR_INVALID);
}

static void
lag_fixture(double *load, double *hrv, size_t n)
{
	size_t	t;

	for (t = 0; t < n; t++)
		load[t] = (double)((t * 37) % 100);
	for (t = 0; t < n; t++)
		hrv[t] = t < 2 ? 55 :
		    60 - 0.3 * load[t - 2] + (double)((t * 13) % 7);
}

static void
test_training_recovery_lag(void **state)
{
	double		load[60], hrv[60];
	struct pattern	p;

	(void)state;
	lag_fixture(load, hrv, 60);
	assert_int_equal(pattern_training_recovery_lag(load, hrv, 60, 3, &p),
	    PF_OK);
	assert_string_equal(p.name, "training_recovery_lag");
	assert_string_equal(p.type, "correlation");
	assert_int_equal(p.lag_days, 2);
	assert_int_equal(p.sample_count, 58);
	assert_double_rel(p.lag_r[1], 0.34471069549970784, 1e-13);
	assert_double_rel(p.lag_p[1], 0.00750404540663515, 1e-9);
	assert_double_rel(p.lag_r[2], -0.9637023593466426, 1e-13);
	assert_double_rel(p.lag_r[3], 0.4200155561317086, 1e-13);
	assert_int_equal(p.lag_n[3], 57);
	assert_double_rel(p.r, -0.9637023593466426, 1e-13);
	/* Bonferroni over 3 lags */
	assert_double_rel(p.p, 2.518990034821159e-33, 1e-8);
	assert_int_equal(p.significance, PATTERN_HIGH);
	assert_string_equal(p.interpretation, "Strong negative correlation "
	    "between training load and HRV 2 days later. Hard sessions "
	    "suppress HRV for about 2 days.");

	/* too short, bad lag, missing load days drop pairs */
	assert_int_equal(pattern_training_recovery_lag(load, hrv, 20, 3, &p),
	    PF_OK);
	assert_int_equal(p.significance, PATTERN_INSUFFICIENT);
	assert_string_equal(p.reason, "Insufficient data: 19 samples, need 21");
	assert_int_equal(pattern_training_recovery_lag(load, hrv, 60, 0, &p),
	    PF_ERR_INVALID);
	assert_int_equal(pattern_training_recovery_lag(load, hrv, 60,
	    PATTERN_MAX_LAG + 1, &p), PF_ERR_INVALID);
	assert_int_equal(pattern_training_recovery_lag(load, hrv, 1, 3, &p),
	    PF_OK);
	assert_string_equal(p.reason, "Insufficient data: 0 samples, need 21");
}

static void
test_training_recovery_lag_flat(void **state)
{
	double		load[40], hrv[40];
	struct pattern	p;
	size_t		t;

	(void)state;
	for (t = 0; t < 40; t++) {
		load[t] = 0;
		hrv[t] = 40 + (double)(t % 3);
	}
	assert_int_equal(pattern_training_recovery_lag(load, hrv, 40, 3, &p),
	    PF_OK);
	assert_int_equal(p.significance, PATTERN_INSUFFICIENT);
	assert_string_equal(p.reason,
	    "Could not compute correlation - data may lack variance");
}

static void
test_activity_sleep(void **state)
{
	double		act[60], sl[60];
	struct pattern	p;
	size_t		t;

	(void)state;
	for (t = 0; t < 60; t++)
		act[t] = 5000 + (double)((t * 1234) % 8000);
	for (t = 0; t < 60; t++)
		sl[t] = t < 1 ? 70 :
		    60 + act[t - 1] / 400 + (double)((t * 3) % 5);
	assert_int_equal(pattern_activity_sleep_correlation(act, sl, 60, &p),
	    PF_OK);
	assert_string_equal(p.name, "activity_sleep_correlation");
	assert_int_equal(p.sample_count, 59);
	assert_double_rel(p.r, 0.9738749269433081, 1e-13);
	assert_double_rel(p.p, 2.1674246590838772e-38, 1e-8);
	assert_string_equal(p.interpretation, "Strong positive correlation "
	    "between daily activity and next-night sleep quality. More active "
	    "days are followed by better sleep.");
	for (t = 0; t < 60; t++)
		sl[t] = 140 - sl[t];
	assert_int_equal(pattern_activity_sleep_correlation(act, sl, 60, &p),
	    PF_OK);
	assert_string_equal(p.direction, "negative");
	assert_non_null(strstr(p.interpretation, "poorer sleep"));
	assert_int_equal(pattern_activity_sleep_correlation(act, sl, 15, &p),
	    PF_OK);
	assert_string_equal(p.reason, "Insufficient data: 14 samples, need 21");
	for (t = 0; t < 60; t++)
		sl[t] = 75;
	assert_int_equal(pattern_activity_sleep_correlation(act, sl, 60, &p),
	    PF_OK);
	assert_string_equal(p.reason,
	    "Could not compute correlation - data may lack variance");
}

static void
test_recovery_readiness(void **state)
{
	struct recovery_inputs	in = { .ln_rmssd = NAN, .band_mean = NAN,
	    .band_sd = NAN, .sleep_score = 50, .ans_charge = NAN,
	    .acwr = NAN };
	struct recovery_score	rs;
	struct pattern		p;

	(void)state;
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_int_equal(pattern_recovery_readiness(&rs, &p), PF_OK);
	assert_string_equal(p.name, "recovery_readiness");
	assert_int_equal(p.significance, PATTERN_INSUFFICIENT);
	assert_string_equal(p.reason,
	    "Insufficient data: 1 of 4 readiness inputs, need 2");

	/* sleep 50 (w .25) + ANS -4 -> 30 (w .20): (12.5 + 6)/.45 */
	in.ans_charge = -4;
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_int_equal(pattern_recovery_readiness(&rs, &p), PF_OK);
	assert_double_rel(p.score, (0.25 * 50 + 0.20 * 30) / 0.45, 1e-15);
	assert_int_equal(p.significance, PATTERN_HIGH);
	assert_double_rel(p.confidence, 0.45, 1e-15);
	assert_int_equal(p.sample_count, 2);
	assert_int_equal(p.nfactors, 2);
	assert_string_equal(p.factors[0], "sleep 50/100 (weight 56%)");
	assert_string_equal(p.factors[1], "ans 30/100 (weight 44%)");
	assert_string_equal(p.interpretation, "Readiness 41/100 (poor)");

	in.sleep_score = 90;
	in.ans_charge = 4;
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_int_equal(pattern_recovery_readiness(&rs, &p), PF_OK);
	assert_string_equal(pattern_significance_name(p.significance), "low");
	in.sleep_score = 60;
	in.ans_charge = 1;
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_int_equal(pattern_recovery_readiness(&rs, &p), PF_OK);
	assert_int_equal(p.significance, PATTERN_MEDIUM);
	assert_int_equal(pattern_recovery_readiness(NULL, &p), PF_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corr_high_positive),
		cmocka_unit_test(test_corr_high_negative),
		cmocka_unit_test(test_corr_medium_weak_negligible),
		cmocka_unit_test(test_corr_insufficient),
		cmocka_unit_test(test_corr_empty_and_dup),
		cmocka_unit_test(test_metric_trend_rules),
		cmocka_unit_test(test_trend_patterns),
		cmocka_unit_test(test_overtraining_all_high),
		cmocka_unit_test(test_overtraining_moderate),
		cmocka_unit_test(test_overtraining_low_and_insufficient),
		cmocka_unit_test(test_training_recovery_lag),
		cmocka_unit_test(test_training_recovery_lag_flat),
		cmocka_unit_test(test_activity_sleep),
		cmocka_unit_test(test_recovery_readiness),
	};

	return cmocka_run_group_tests_name("metric_pattern", tests, NULL,
	    NULL);
}
