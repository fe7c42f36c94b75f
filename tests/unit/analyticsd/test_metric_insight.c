/*
 * Readiness, unlocks and analytics status.  Percentages from
 *	python3 -c "print(5/7*100, round(5/14*100, 1))"
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

static void
test_data_age(void **state)
{
	const int32_t	first[] = { TODAY - 4, TODAY - 9 };

	(void)state;
	assert_int_equal(insight_data_age_days(TODAY, NULL, 0), 0);
	assert_int_equal(insight_data_age_days(TODAY, first, 1), 5);
	assert_int_equal(insight_data_age_days(TODAY, first, 2), 10);
	assert_int_equal(insight_data_age_days(TODAY, first + 1, 0), 0);
}

static void
test_readiness(void **state)
{
	struct insight_readiness	r;

	(void)state;
	assert_int_equal(insight_readiness(5, &r), PF_OK);
	assert_string_equal(r.status, "unavailable");
	assert_string_equal(r.feature[INSIGHT_BASELINES_7D].name,
	    "baselines_7d");
	assert_false(r.feature[INSIGHT_BASELINES_7D].available);
	assert_string_equal(r.feature[INSIGHT_BASELINES_7D].message,
	    "Unlocks in 2 days");
	assert_int_equal(r.feature[INSIGHT_ML_PREDICTIONS].unlock_at_days, 60);
	assert_true(r.has_next);
	assert_string_equal(r.next_unlock, "baselines_7d");
	assert_int_equal(r.days_until_next, 2);
	assert_double_exact(r.percent_to_next, 71.42857142857143);

	/* 20 days: partial; next is patterns (21) before anomaly (21) */
	assert_int_equal(insight_readiness(20, &r), PF_OK);
	assert_string_equal(r.status, "partial");
	assert_true(r.feature[INSIGHT_BASELINES_7D].available);
	assert_string_equal(r.feature[INSIGHT_BASELINES_7D].message, "");
	assert_int_equal(r.feature[INSIGHT_BASELINES_7D].unlock_at_days, 7);
	assert_string_equal(r.next_unlock, "patterns");
	assert_double_exact(r.percent_to_next, 95.23809523809523);

	/* 25: ready, next baselines_30d; 60: nothing left */
	assert_int_equal(insight_readiness(25, &r), PF_OK);
	assert_string_equal(r.status, "ready");
	assert_string_equal(r.next_unlock, "baselines_30d");
	assert_double_exact(r.percent_to_next, 83.33333333333334);
	assert_int_equal(insight_readiness(59, &r), PF_OK);
	assert_string_equal(r.next_unlock, "ml_predictions");
	assert_string_equal(r.feature[INSIGHT_ML_PREDICTIONS].message,
	    "Unlocks in 1 days");
	assert_int_equal(insight_readiness(60, &r), PF_OK);
	assert_false(r.has_next);
	assert_null(r.next_unlock);
	assert_int_equal(insight_readiness(0, NULL), PF_ERR_INVALID);
}

static void
test_analytics_status(void **state)
{
	struct analytics_status	s;

	(void)state;
	assert_int_equal(insight_analytics_status(5, &s), PF_OK);
	assert_string_equal(s.recommendation,
	    "Keep syncing! 2 more days until basic statistics unlock.");
	assert_string_equal(s.feature[ANALYTICS_BASIC_STATS].name,
	    "basic_stats");
	assert_false(s.feature[ANALYTICS_BASIC_STATS].unlocked);
	assert_int_equal(s.feature[ANALYTICS_BASIC_STATS].days_remaining, 2);
	assert_double_exact(s.feature[ANALYTICS_BASIC_STATS].progress_percent,
	    71.4);
	assert_double_exact(s.feature[ANALYTICS_TREND_ANALYSIS].progress_percent,
	    35.7);
	assert_double_exact(
	    s.feature[ANALYTICS_LONG_TERM_PATTERNS].progress_percent, 5.6);

	assert_int_equal(insight_analytics_status(13, &s), PF_OK);
	assert_true(s.feature[ANALYTICS_BASIC_STATS].unlocked);
	assert_int_equal(s.feature[ANALYTICS_BASIC_STATS].days_remaining, 0);
	assert_double_exact(s.feature[ANALYTICS_BASIC_STATS].progress_percent,
	    100);
	assert_double_exact(s.feature[ANALYTICS_TREND_ANALYSIS].progress_percent,
	    92.9);
	assert_string_equal(s.recommendation,
	    "Trend analysis unlocks in 1 days. Keep wearing your device!");
	assert_int_equal(insight_analytics_status(20, &s), PF_OK);
	assert_string_equal(s.recommendation, "Personalized baselines unlock "
	    "in 1 days. This enables accurate anomaly detection.");
	assert_int_equal(insight_analytics_status(25, &s), PF_OK);
	assert_string_equal(s.recommendation, "Predictive models unlock in 5 "
	    "days. Soon we can forecast recovery and readiness!");
	assert_double_exact(s.feature[ANALYTICS_PREDICTIVE_MODELS].
	    progress_percent, 83.3);
	assert_int_equal(insight_analytics_status(59, &s), PF_OK);
	assert_string_equal(s.recommendation, "Great progress! Advanced ML "
	    "features unlock after 60 days of data.");
	assert_double_exact(s.feature[ANALYTICS_ADVANCED_ML].progress_percent,
	    98.3);
	assert_int_equal(insight_analytics_status(60, &s), PF_OK);
	assert_string_equal(s.recommendation, "Excellent! All features are "
	    "unlocked. Full analytics suite available.");
	assert_false(s.feature[ANALYTICS_LONG_TERM_PATTERNS].unlocked);
	assert_int_equal(insight_analytics_status(90, &s), PF_OK);
	assert_true(s.feature[ANALYTICS_LONG_TERM_PATTERNS].unlocked);
	assert_int_equal(insight_analytics_status(0, NULL), PF_ERR_INVALID);
}

static void
base_init(struct insight_inputs *in, int age)
{
	memset(in, 0, sizeof(*in));
	in->data_age_days = age;
	in->hrv.current = in->hrv.baseline = in->hrv.pct = NAN;
	in->sleep.current = in->sleep.baseline = in->sleep.pct = NAN;
}

static void
test_display_name(void **state)
{
	char	buf[16];

	(void)state;
	insight_metric_display("hrv_rmssd", buf, sizeof(buf));
	assert_string_equal(buf, "HRV RMSSD");
	insight_metric_display("training_load_ratio", buf, 8);
	assert_string_equal(buf, "TRAININ");
	insight_metric_display(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void
test_observations_onboarding(void **state)
{
	struct insight_inputs		in;
	struct insight_observation	o[INSIGHT_MAX_OBSERVATIONS];
	size_t				n;

	(void)state;
	base_init(&in, 0);
	assert_int_equal(insight_observations(&in, o, &n), PF_OK);
	assert_int_equal(n, 1);
	assert_string_equal(o[0].fact,
	    "Building your personal baselines (0/7 days)");
	assert_string_equal(o[0].context,
	    "Keep wearing your device. Basic insights unlock in 7 days.");
	assert_string_equal(o[0].category, "onboarding");
	assert_string_equal(o[0].priority, "info");
	assert_null(o[0].trend);
	base_init(&in, 20);
	assert_int_equal(insight_observations(&in, o, &n), PF_OK);
	assert_string_equal(o[0].fact,
	    "Your baselines are being established (20 days of data)");
	assert_string_equal(o[0].context,
	    "Pattern detection unlocks in 1 days. Accuracy improves over "
	    "time.");
	base_init(&in, 21);
	assert_int_equal(insight_observations(&in, o, &n), PF_OK);
	assert_int_equal(n, 0);
	assert_int_equal(insight_observations(NULL, o, &n), PF_ERR_INVALID);
	in.nanomalies = 1;
	assert_int_equal(insight_observations(&in, o, &n), PF_ERR_INVALID);
}

/*
 * Priority sort is stable: the positive HRV line generated before the
 * medium sleep line ends up after it; critical anomalies come first.
 *	python3 -c "print('%+.0f' % -62.5, '%.0f' % (100 - 70/84*100),
 *	'%.0f' % 12.5)"  ->  -62 17 12   (halves round to even)
 */
static void
test_observations_rules_and_sort(void **state)
{
	struct insight_inputs		in;
	struct insight_observation	o[INSIGHT_MAX_OBSERVATIONS];
	struct anomaly			a[2];
	struct pattern			p[2];
	size_t				n;

	(void)state;
	base_init(&in, 40);
	memset(a, 0, sizeof(a));
	a[0].metric = BASELINE_SLEEP_SCORE;
	a[0].severity = ANOMALY_WARNING;
	a[0].direction = "below";
	a[0].current = 30;
	a[0].baseline = 80;
	a[0].deviation_pct = -62.5;
	a[1].metric = BASELINE_TRAINING_LOAD;
	a[1].severity = ANOMALY_CRITICAL;
	a[1].direction = "above";
	a[1].current = 300;
	a[1].baseline = 0;
	a[1].deviation_pct = NAN;	/* upstream fails here */
	in.anomalies = a;
	in.nanomalies = 2;
	in.hrv.present = true;
	in.hrv.status = BASELINE_READY;
	in.hrv.pct = 112.5;
	in.sleep.present = true;
	in.sleep.status = BASELINE_PARTIAL;
	in.sleep.current = 70;
	in.sleep.baseline = 84.0;
	in.sleep.pct = 70 / 84.0 * 100;
	in.sleep.trend = "declining";
	memset(p, 0, sizeof(p));
	p[0].name = "overtraining_risk";
	p[0].significance = PATTERN_MEDIUM;
	p[0].score = 40;
	snprintf(p[0].factors[0], sizeof(p[0].factors[0]), "A (1.0%%)");
	snprintf(p[0].factors[1], sizeof(p[0].factors[1]), "B");
	p[0].nfactors = 2;
	p[1].name = "sleep_hrv_correlation";
	p[1].significance = PATTERN_HIGH;
	p[1].score = 0.5;		/* not > 0.5: no line */
	in.patterns = p;
	in.npatterns = 2;

	assert_int_equal(insight_observations(&in, o, &n), PF_OK);
	assert_int_equal(n, 5);
	assert_string_equal(o[0].priority, "critical");
	assert_string_equal(o[0].fact,
	    "TRAINING LOAD is significantly above normal range");
	assert_string_equal(o[0].context, "Current: 300.0, Baseline: 0.0");
	assert_string_equal(o[0].category, "anomaly");
	assert_string_equal(o[1].priority, "high");
	assert_string_equal(o[1].fact, "SLEEP SCORE is below normal range");
	assert_string_equal(o[1].context,
	    "Current: 30.0, Baseline: 80.0 (-62%)");
	assert_string_equal(o[1].trend, "anomalous");
	assert_string_equal(o[2].priority, "medium");
	assert_string_equal(o[2].fact, "Sleep score is 17% below your average");
	assert_string_equal(o[2].context, "Current: 70, Baseline: 84");
	assert_string_equal(o[2].trend, "declining");
	assert_string_equal(o[3].priority, "medium");
	assert_string_equal(o[3].fact,
	    "Moderate overtraining indicators detected (40/100)");
	assert_string_equal(o[3].context, "A (1.0%), B");
	assert_string_equal(o[3].trend, "stable");
	assert_string_equal(o[4].priority, "positive");
	assert_string_equal(o[4].fact,
	    "HRV is 12% above baseline - excellent recovery");
	assert_string_equal(o[4].trend, "improving");

	/* insufficient baselines are not talked about */
	in.sleep.status = BASELINE_INSUFFICIENT;
	in.hrv.pct = 100;
	p[1].score = 0.51;
	assert_int_equal(insight_observations(&in, o, &n), PF_OK);
	assert_int_equal(n, 4);
	assert_string_equal(o[3].priority, "info");
	assert_string_equal(o[3].fact, "Strong connection between your sleep "
	    "quality and HRV detected");
}

static void
test_suggestions(void **state)
{
	struct insight_inputs		in;
	struct insight_suggestion	s[INSIGHT_MAX_SUGGESTIONS];
	struct anomaly			a[2];
	struct pattern			p;
	size_t				n;

	(void)state;
	base_init(&in, 40);
	assert_int_equal(insight_suggestions(&in, s, &n), PF_OK);
	assert_int_equal(n, 0);
	in.hrv.present = true;
	in.hrv.pct = 100;
	assert_int_equal(insight_suggestions(&in, s, &n), PF_OK);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].action, "train_normally");
	assert_string_equal(s[0].reason,
	    "HRV at or above baseline indicates good recovery");
	assert_true(s[0].confidence == 0.85);

	memset(&p, 0, sizeof(p));
	p.name = "overtraining_risk";
	p.significance = PATTERN_HIGH;
	p.score = 100;
	in.patterns = &p;
	in.npatterns = 1;
	memset(a, 0, sizeof(a));
	a[0].metric = BASELINE_RESTING_HR;
	a[0].severity = ANOMALY_WARNING;
	a[1].metric = BASELINE_HRV_RMSSD;
	a[1].severity = ANOMALY_CRITICAL;
	in.anomalies = a;
	in.nanomalies = 2;
	in.hrv.pct = 80;
	assert_int_equal(insight_suggestions(&in, s, &n), PF_OK);
	assert_int_equal(n, 3);
	assert_string_equal(s[0].action, "rest_day");
	assert_true(s[0].confidence == 0.95);
	assert_string_equal(s[1].action, "prioritize_recovery");
	assert_string_equal(s[1].reason, "HRV is 20% below baseline");
	assert_string_equal(s[2].action, "monitor_closely");
	assert_string_equal(s[2].reason,
	    "Critical anomaly detected in hrv_rmssd");
	p.score = 30;
	p.significance = PATTERN_MEDIUM;
	in.nanomalies = 1;
	in.hrv.pct = 90;
	assert_int_equal(insight_suggestions(&in, s, &n), PF_OK);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].action, "reduce_intensity");
	assert_true(s[0].confidence == 0.3);
	p.score = 90;
	assert_int_equal(insight_suggestions(&in, s, &n), PF_OK);
	assert_true(s[0].confidence == 0.9);
	/* an insufficient pattern is ignored */
	p.significance = PATTERN_INSUFFICIENT;
	assert_int_equal(insight_suggestions(&in, s, &n), PF_OK);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_age),
		cmocka_unit_test(test_readiness),
		cmocka_unit_test(test_analytics_status),
		cmocka_unit_test(test_display_name),
		cmocka_unit_test(test_observations_onboarding),
		cmocka_unit_test(test_observations_rules_and_sort),
		cmocka_unit_test(test_suggestions),
	};

	return cmocka_run_group_tests_name("metric_insight", tests, NULL,
	    NULL);
}
