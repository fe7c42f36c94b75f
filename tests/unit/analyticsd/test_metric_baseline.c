/*
 * Expected numbers come from /usr/bin/python3 3.11 statistics, e.g.
 *	python3 -c "import statistics as s; v=[...]; print(repr(s.mean(v)),
 *	    s.quantiles(v, n=4), repr(s.stdev(v)))"
 * with the fixtures below rebuilt in Python (see each test).
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

/*
 * 95 days, k = days before today, value 30 + (7k mod 23) + (k mod 3)/2;
 * the 90-day window keeps k = 0..90 (91 samples).  Stored oldest first to
 * prove the function orders them itself.
 */
static size_t
fixture_95(struct dayval *s)
{
	size_t	i = 0;
	int	k;

	for (k = 94; k >= 0; k--, i++) {
		s[i].day = TODAY - k;
		s[i].value = 30 + (k * 7) % 23 + (k % 3) * 0.5;
	}
	return i;
}

static void
test_ready_full(void **state)
{
	struct dayval	s[95];
	struct baseline	b;
	size_t		n;

	(void)state;
	n = fixture_95(s);
	assert_int_equal(baseline_compute(BASELINE_HRV_RMSSD, s, n, TODAY, &b),
	    PF_OK);
	assert_int_equal(b.status, BASELINE_READY);
	assert_string_equal(baseline_status_name(b.status), "ready");
	assert_int_equal(b.sample_count, 91);
	assert_double_exact(b.value, 41.43956043956044);
	assert_double_exact(b.median, 41.0);
	assert_double_exact(b.q1, 35.5);
	assert_double_exact(b.q3, 47.0);
	assert_double_exact(b.std_dev, 6.666597984994198);
	assert_double_exact(b.mean_7d, 41.57142857142857);
	assert_double_exact(b.mean_30d, 41.53333333333333);
	assert_double_exact(b.mean_90d, 41.46666666666667);
	assert_double_exact(b.min, 30.0);
	assert_double_exact(b.max, 53.0);
	assert_true(b.has_range);
	assert_int_equal(b.start_day, TODAY - 90);
	assert_int_equal(b.end_day, TODAY);
}

/* p = [52.5, 48.0, 61.0, 44.5, 57.0, 49.5, 53.0, 60.5, 47.0, 55.5], newest first */
static const double partial_vals[] = { 52.5, 48.0, 61.0, 44.5, 57.0, 49.5,
    53.0, 60.5, 47.0, 55.5 };

static void
partial_fixture(struct baseline *b)
{
	struct dayval	s[12];
	size_t		i;

	for (i = 0; i < 10; i++) {
		s[i].day = TODAY - 2 * (int32_t)i;
		s[i].value = partial_vals[i];
	}
	/* missing values and out-of-window rows do not count */
	s[10].day = TODAY - 3;
	s[10].value = NAN;
	s[11].day = TODAY - 91;
	s[11].value = 1000;
	assert_int_equal(baseline_compute(BASELINE_SLEEP_SCORE, s, 12, TODAY,
	    b), PF_OK);
}

static void
test_partial(void **state)
{
	struct baseline	b;

	(void)state;
	partial_fixture(&b);
	assert_int_equal(b.status, BASELINE_PARTIAL);
	assert_int_equal(b.sample_count, 10);
	assert_double_exact(b.value, 52.85);
	assert_double_exact(b.median, 52.75);
	assert_double_exact(b.q1, 47.75);
	assert_double_exact(b.q3, 57.875);
	assert_double_exact(b.std_dev, 5.657099767352329);
	assert_double_exact(b.mean_7d, 52.214285714285715);
	assert_true(isnan(b.mean_30d));
	assert_true(isnan(b.mean_90d));
	assert_int_equal(b.start_day, TODAY - 18);
}

static void
test_insufficient_and_empty(void **state)
{
	struct dayval	s[6];
	struct baseline	b;
	size_t		i;

	(void)state;
	assert_int_equal(baseline_compute(BASELINE_RESTING_HR, NULL, 0, TODAY,
	    &b), PF_OK);
	assert_int_equal(b.status, BASELINE_INSUFFICIENT);
	assert_string_equal(baseline_status_name(b.status), "insufficient");
	assert_double_exact(b.value, 0.0);	/* upstream: 0.0 when empty */
	assert_false(b.has_range);
	assert_true(isnan(b.min) && isnan(b.median) && isnan(b.q1));

	for (i = 0; i < 6; i++) {
		s[i].day = TODAY - (int32_t)i;
		s[i].value = 50 + (double)i;
	}
	assert_int_equal(baseline_compute(BASELINE_RESTING_HR, s, 6, TODAY,
	    &b), PF_OK);
	assert_int_equal(b.status, BASELINE_INSUFFICIENT);
	assert_int_equal(b.sample_count, 6);
	assert_double_exact(b.value, 52.5);
	assert_double_exact(b.min, 50);
	assert_double_exact(b.max, 55);
	assert_true(b.has_range);
	assert_true(isnan(b.median) && isnan(b.std_dev) && isnan(b.mean_7d));

	/* boundary: 7 samples is partial, 21 is ready */
	{
		struct dayval	t[21];

		for (i = 0; i < 21; i++) {
			t[i].day = TODAY - (int32_t)i;
			t[i].value = 40;
		}
		assert_int_equal(baseline_compute(BASELINE_HRV_RMSSD, t, 7,
		    TODAY, &b), PF_OK);
		assert_int_equal(b.status, BASELINE_PARTIAL);
		assert_double_exact(b.std_dev, 0.0);	/* constant input */
		assert_int_equal(baseline_compute(BASELINE_HRV_RMSSD, t, 20,
		    TODAY, &b), PF_OK);
		assert_int_equal(b.status, BASELINE_PARTIAL);
		assert_int_equal(baseline_compute(BASELINE_HRV_RMSSD, t, 21,
		    TODAY, &b), PF_OK);
		assert_string_equal(baseline_status_name(b.status), "ready");
	}
	assert_int_equal(baseline_compute(BASELINE_NMETRICS, s, 6, TODAY, &b),
	    PF_ERR_INVALID);
	assert_int_equal(baseline_compute(BASELINE_HRV_RMSSD, NULL, 3, TODAY,
	    &b), PF_ERR_INVALID);
}

static void
test_positive_only_filter(void **state)
{
	const struct dayval	s[] = { { TODAY, -1.0 }, { TODAY - 1, 0 },
	    { TODAY - 2, 1.2 }, { TODAY - 3, 0.9 } };
	struct baseline		b;

	(void)state;
	assert_true(baseline_metric_positive_only(BASELINE_TRAINING_LOAD));
	assert_false(baseline_metric_positive_only(BASELINE_SLEEP_SCORE));
	assert_int_equal(baseline_compute(BASELINE_TRAINING_LOAD_RATIO, s, 4,
	    TODAY, &b), PF_OK);
	assert_int_equal(b.sample_count, 2);
	assert_int_equal(b.end_day, TODAY - 2);
	/* the same rows as hrv keep the -1 and the 0 */
	assert_int_equal(baseline_compute(BASELINE_HRV_RMSSD, s, 4, TODAY, &b),
	    PF_OK);
	assert_int_equal(b.sample_count, 4);
}

static void
test_newest_first_ties_stable(void **state)
{
	struct dayval	s[8];
	struct baseline	b;
	size_t		i;

	(void)state;
	/* two rows on the newest day: input order decides which is "newer" */
	s[0].day = TODAY;
	s[0].value = 100;
	s[1].day = TODAY;
	s[1].value = 0;
	for (i = 2; i < 8; i++) {
		s[i].day = TODAY - (int32_t)i;
		s[i].value = 10;
	}
	assert_int_equal(baseline_compute(BASELINE_SLEEP_SCORE, s, 8, TODAY,
	    &b), PF_OK);
	/* newest 7 = 100, 0, 10 x5 */
	assert_double_exact(b.mean_7d, 150.0 / 7);
}

static void
test_classify_branches(void **state)
{
	struct baseline	b;
	struct anomaly	a;
	double		lo, hi;

	(void)state;
	partial_fixture(&b);
	/* bounds from Python: q1 - 1.5 iqr etc. */
	assert_int_equal(baseline_bounds(&b, BASELINE_WARNING_IQR, &lo, &hi),
	    PF_OK);
	assert_double_exact(lo, 32.5625);
	assert_double_exact(hi, 73.0625);
	assert_int_equal(baseline_bounds(&b, BASELINE_CRITICAL_IQR, &lo, &hi),
	    PF_OK);
	assert_double_exact(lo, 17.375);
	assert_double_exact(hi, 88.25);

	assert_int_equal(baseline_classify(&b, 80.0, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_WARNING);
	assert_string_equal(anomaly_severity_name(a.severity), "warning");
	assert_string_equal(a.direction, "above");
	assert_double_exact(a.deviation_pct, 51.37180700094607);
	assert_double_exact(a.baseline, 52.85);
	assert_double_exact(a.median, 52.75);
	assert_double_exact(a.lower_bound, 32.5625);
	assert_double_exact(a.upper_bound, 73.0625);

	assert_int_equal(baseline_classify(&b, 90.0, &a), PF_OK);
	assert_string_equal(anomaly_severity_name(a.severity), "critical");
	/* strict inequalities: exactly on a bound is the milder class */
	assert_int_equal(baseline_classify(&b, 73.0625, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_NONE);
	assert_int_equal(baseline_classify(&b, 88.25, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_WARNING);
	assert_int_equal(baseline_classify(&b, 32.5625, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_NONE);
	assert_int_equal(baseline_classify(&b, 17.375, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_WARNING);
	assert_string_equal(a.direction, "below");
	assert_int_equal(baseline_classify(&b, 17.0, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_CRITICAL);
	assert_int_equal(baseline_classify(&b, 50.0, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_NONE);
	/* missing current value: no anomaly, no crash */
	assert_int_equal(baseline_classify(&b, NAN, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_NONE);
	assert_true(isnan(a.deviation_pct));
}

static void
test_classify_degenerate(void **state)
{
	struct baseline	b;
	struct anomaly	a;
	double		lo, hi;

	(void)state;
	/* insufficient baseline: no quartiles, never anomalous */
	assert_int_equal(baseline_compute(BASELINE_SLEEP_SCORE, NULL, 0,
	    TODAY, &b), PF_OK);
	assert_int_equal(baseline_bounds(&b, 1.5, &lo, &hi), PF_ERR_RANGE);
	assert_true(isnan(lo) && isnan(hi));
	assert_int_equal(baseline_classify(&b, 1e9, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_NONE);
	/*
	 * unlike upstream, a zero mean gives a null deviation instead of a division by
	 * zero (upstream's insights would answer 500).
	 */
	b.value = 0;
	b.q1 = -1;
	b.q3 = 1;
	assert_int_equal(baseline_classify(&b, 10, &a), PF_OK);
	assert_int_equal(a.severity, ANOMALY_CRITICAL);
	assert_true(isnan(a.deviation_pct));
	assert_string_equal(a.direction, "above");
	assert_int_equal(baseline_classify(NULL, 10, &a), PF_ERR_INVALID);
}

static void
test_latest_truthiness(void **state)
{
	const struct dayval	s[] = { { TODAY - 5, 40 }, { TODAY - 1, NAN },
	    { TODAY - 2, 38 } };
	const struct dayval	z[] = { { TODAY - 5, 40 }, { TODAY - 1, 0 } };
	const struct dayval	r[] = { { TODAY, -1 }, { TODAY - 3, 1.4 },
	    { TODAY - 9, 1.1 } };
	double			v;
	int32_t			d;

	(void)state;
	assert_int_equal(baseline_latest(BASELINE_HRV_RMSSD, s, 3, &v, &d),
	    PF_OK);
	assert_double_exact(v, 38);
	assert_int_equal(d, TODAY - 2);
	/* newest value 0 is "missing" in Python; no fallback to older */
	assert_int_equal(baseline_latest(BASELINE_HRV_RMSSD, z, 2, &v, NULL),
	    PF_ERR_NOTFOUND);
	assert_true(isnan(v));
	/* ratio: -1 sentinel skipped, falls back to the newest > 0 */
	assert_int_equal(baseline_latest(BASELINE_TRAINING_LOAD_RATIO, r, 3,
	    &v, &d), PF_OK);
	assert_double_exact(v, 1.4);
	assert_int_equal(baseline_latest(BASELINE_SLEEP_SCORE, NULL, 0, &v,
	    NULL), PF_ERR_NOTFOUND);
}

static void
test_trend_and_resting_hr_fix(void **state)
{
	struct baseline	b;
	double		d;

	(void)state;
	memset(&b, 0, sizeof(b));
	b.metric = BASELINE_HRV_RMSSD;
	b.mean_7d = 44;
	b.mean_30d = 40;
	assert_string_equal(baseline_trend(&b, &d), "improving");
	assert_double_exact(d, (44.0 - 40.0) / 40.0 * 100);
	b.mean_7d = 37.9;
	assert_string_equal(baseline_trend(&b, NULL), "declining");
	b.mean_7d = 42;		/* exactly +5%: not > 5 */
	assert_string_equal(baseline_trend(&b, &d), "stable");
	assert_double_exact(d, 5.0);

	/* resting HR up 10% is declining (upstream said improving) */
	b.metric = BASELINE_RESTING_HR;
	b.mean_7d = 66;
	b.mean_30d = 60;
	assert_string_equal(baseline_trend(&b, NULL), "declining");
	b.mean_7d = 54;
	assert_string_equal(baseline_trend(&b, NULL), "improving");
	b.mean_7d = 61;
	assert_string_equal(baseline_trend(&b, NULL), "stable");

	/* null when a mean is missing; null, not upstream's crash, on b30 = 0 */
	b.mean_30d = NAN;
	assert_null(baseline_trend(&b, &d));
	assert_true(isnan(d));
	b.mean_30d = 0;
	assert_null(baseline_trend(&b, &d));
	assert_null(baseline_trend(NULL, NULL));
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(baseline_metric_name(BASELINE_HRV_RMSSD),
	    "hrv_rmssd");
	assert_string_equal(baseline_metric_name(BASELINE_SLEEP_SCORE),
	    "sleep_score");
	assert_string_equal(baseline_metric_name(BASELINE_RESTING_HR),
	    "resting_hr");
	assert_string_equal(baseline_metric_name(BASELINE_TRAINING_LOAD),
	    "training_load");
	assert_string_equal(baseline_metric_name(BASELINE_TRAINING_LOAD_RATIO),
	    "training_load_ratio");
	assert_string_equal(baseline_metric_name(BASELINE_STEPS), "steps");
	assert_null(baseline_metric_name(BASELINE_NMETRICS));
	assert_string_equal(baseline_status_name(BASELINE_PARTIAL), "partial");
	assert_string_equal(anomaly_severity_name(ANOMALY_NONE), "none");
	assert_true(baseline_metric_lower_is_better(BASELINE_RESTING_HR));
	assert_false(baseline_metric_lower_is_better(BASELINE_HRV_RMSSD));
	assert_int_equal(BASELINE_WINDOW_DAYS, 90);
	assert_int_equal(BASELINE_MIN_READY, 21);
	assert_int_equal(BASELINE_MIN_PARTIAL, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_full),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_insufficient_and_empty),
		cmocka_unit_test(test_positive_only_filter),
		cmocka_unit_test(test_newest_first_ties_stable),
		cmocka_unit_test(test_classify_branches),
		cmocka_unit_test(test_classify_degenerate),
		cmocka_unit_test(test_latest_truthiness),
		cmocka_unit_test(test_trend_and_resting_hr_fix),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("metric_baseline", tests, NULL,
	    NULL);
}
