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

#include "analyticsd/analyticsd.h"

#define TODAY	20000

#define assert_double_exact(a, b) do {					\
	double _a = (a), _b = (b);					\
	if (!(_a == _b)) {						\
		print_error("%.17g != %.17g\n", _a, _b);		\
		fail();							\
	}								\
} while (0)

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_age),
		cmocka_unit_test(test_readiness),
		cmocka_unit_test(test_analytics_status),
	};

	return cmocka_run_group_tests_name("metric_insight", tests, NULL,
	    NULL);
}
