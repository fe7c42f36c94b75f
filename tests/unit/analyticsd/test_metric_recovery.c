/*
 * The composite readiness score and upstream's admin
 * _calculate_recovery_status, every branch and string.
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

static const char *const ADV_EXCELLENT =
    "Great day for high-intensity training, intervals, or competition.";
static const char *const ADV_GOOD =
    "Good for moderate training. Tempo runs, strength work, or "
    "steady-state cardio.";
static const char *const ADV_FAIR =
    "Best for easy training. Light jog, mobility work, or skill practice.";
static const char *const ADV_POOR =
    "Recovery day recommended. Gentle stretching, walking, or complete "
    "rest.";

static struct recovery_inputs
no_inputs(void)
{
	struct recovery_inputs	in = { NAN, NAN, NAN, NAN, NAN, NAN };

	return in;
}

static void
test_composite_all(void **state)
{
	struct recovery_inputs	in = no_inputs();
	struct recovery_score	rs;
	size_t			c;

	(void)state;
	in.band_mean = 3.8;
	in.band_sd = 0.2;
	in.ln_rmssd = 4.0;		/* z = +1 -> 100 */
	in.sleep_score = 80;
	in.ans_charge = 2;		/* (2 + 10) * 5 = 60 */
	in.acwr = 1.0;			/* sweet spot -> 100 */
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_int_equal(rs.ncomponents, 4);
	assert_double_near(rs.coverage, 1, 1e-15);
	assert_double_near(rs.part[RECOVERY_HRV].input, 1.0, 1e-12);
	assert_double_near(rs.part[RECOVERY_HRV].subscore, 100, 1e-9);
	assert_double_near(rs.part[RECOVERY_ANS].subscore, 60, 1e-12);
	assert_double_near(rs.part[RECOVERY_LOAD].subscore, 100, 1e-12);
	for (c = 0; c < RECOVERY_NCOMPONENTS; c++)
		assert_double_near(rs.part[c].effective, rs.part[c].weight,
		    1e-15);
	/* .40*100 + .25*80 + .20*60 + .15*100 */
	assert_double_near(rs.score, 87, 1e-9);
	assert_string_equal(rs.level, "excellent");
	assert_string_equal(recovery_component_name(RECOVERY_HRV), "hrv");
	assert_string_equal(recovery_component_name(RECOVERY_LOAD), "load");
	assert_null(recovery_component_name(RECOVERY_NCOMPONENTS));
}

static void
test_composite_subscores(void **state)
{
	struct recovery_inputs	in = no_inputs();
	struct recovery_score	rs;

	(void)state;
	in.acwr = 1.65;			/* halfway from 1.3 to 2.0 */
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_int_equal(rs.ncomponents, 1);
	assert_double_near(rs.score, 50, 1e-9);
	assert_double_near(rs.part[RECOVERY_LOAD].effective, 1, 1e-15);
	assert_double_near(rs.coverage, 0.15, 1e-15);
	assert_string_equal(rs.level, "fair");
	in.acwr = 2.5;
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_double_near(rs.score, 0, 1e-12);
	assert_string_equal(rs.level, "poor");
	in.acwr = 0.4;
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_double_near(rs.score, 75, 1e-12);
	assert_string_equal(rs.level, "good");
	in.acwr = -1;			/* sentinel: not an input */
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_ERR_RANGE);
	assert_true(isnan(rs.score));
	assert_null(rs.level);

	in = no_inputs();
	in.band_mean = 3.8;
	in.band_sd = 0.2;
	in.ln_rmssd = 3.0;		/* z = -4 -> clamped 0 */
	in.ans_charge = 15;		/* clamped 100 */
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_double_near(rs.part[RECOVERY_HRV].subscore, 0, 1e-12);
	assert_double_near(rs.part[RECOVERY_ANS].subscore, 100, 1e-12);
	assert_double_near(rs.score, 0.2 / 0.6 * 100, 1e-9);
	in.band_sd = 0;			/* zero-width band cannot place a day */
	assert_int_equal(recovery_compute(&in, NULL, &rs), PF_OK);
	assert_false(rs.part[RECOVERY_HRV].available);
	assert_int_equal(rs.ncomponents, 1);
}

static void
test_composite_weights(void **state)
{
	struct recovery_inputs	in = no_inputs();
	struct recovery_weights	w;
	struct recovery_score	rs;

	(void)state;
	recovery_weights_default(&w);
	assert_double_near(w.w[RECOVERY_HRV], 0.40, 0);
	in.sleep_score = 70;
	in.ans_charge = 0;
	w.w[RECOVERY_ANS] = 0;		/* present but weighted out */
	assert_int_equal(recovery_compute(&in, &w, &rs), PF_OK);
	assert_int_equal(rs.ncomponents, 1);
	assert_double_near(rs.score, 70, 1e-12);
	w.w[RECOVERY_SLEEP] = -1;
	assert_int_equal(recovery_compute(&in, &w, &rs), PF_ERR_INVALID);
	w.w[RECOVERY_SLEEP] = NAN;
	assert_int_equal(recovery_compute(&in, &w, &rs), PF_ERR_INVALID);
	memset(&w, 0, sizeof(w));
	assert_int_equal(recovery_compute(&in, &w, &rs), PF_ERR_INVALID);
	assert_int_equal(recovery_compute(NULL, NULL, &rs), PF_ERR_INVALID);
}

static struct recovery_admin_inputs
admin_none(void)
{
	struct recovery_admin_inputs	in = {
		.today = TODAY,
		.sleep_day = TODAY, .sleep_score = NAN,
		.recharge_day = TODAY, .ans_charge = NAN, .hrv_avg = NAN,
		.cardio_day = TODAY, .load_ratio = NAN,
	};

	return in;
}

static void
test_admin_no_data(void **state)
{
	struct recovery_admin_inputs	in = admin_none();
	struct recovery_admin_status	st;

	(void)state;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_false(st.has_data);
	assert_int_equal(st.readiness_score, 50);
	assert_string_equal(st.readiness, "fair");
	assert_string_equal(st.training_advice, ADV_FAIR);
	assert_int_equal(st.nrecommendations, 1);
	assert_string_equal(st.recommendations[0],
	    "All metrics look normal. Train as planned!");
	/* a sleep score of 0 is falsy upstream: still no data */
	in.sleep_score = 0;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_false(st.has_data);
	assert_int_equal(recovery_admin_status(NULL, &st), PF_ERR_INVALID);
}

static void
test_admin_excellent(void **state)
{
	struct recovery_admin_inputs	in = admin_none();
	struct recovery_admin_status	st;

	(void)state;
	in.sleep_score = 90;
	in.ans_charge = 6;		/* 80 */
	in.hrv_avg = 40;
	in.load_ratio = 1.0;		/* 80, no advice */
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_true(st.has_data);
	assert_double_near(st.score, 250.0 / 3, 1e-12);
	assert_int_equal(st.readiness_score, 83);
	assert_string_equal(st.readiness, "excellent");
	assert_string_equal(st.training_advice, ADV_EXCELLENT);
	assert_int_equal(st.nrecommendations, 2);
	assert_string_equal(st.recommendations[0],
	    "Excellent sleep! You're well-rested for intense training.");
	assert_string_equal(st.recommendations[1],
	    "ANS recovery is excellent. Your body is ready for stress.");
}

static void
test_admin_fair_order(void **state)
{
	struct recovery_admin_inputs	in = admin_none();
	struct recovery_admin_status	st;

	(void)state;
	in.sleep_score = 60;
	in.ans_charge = -3;		/* 35 */
	in.hrv_avg = 20;
	in.load_ratio = 1.3;		/* 40 */
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_int_equal(st.readiness_score, 45);
	assert_string_equal(st.readiness, "fair");
	assert_int_equal(st.nrecommendations, 4);
	assert_string_equal(st.recommendations[0],
	    "Sleep was fair. Consider a lighter workout today.");
	assert_string_equal(st.recommendations[1],
	    "ANS recovery is moderate. Keep intensity manageable.");
	assert_string_equal(st.recommendations[2],
	    "Low HRV detected. Your body may be under stress.");
	assert_string_equal(st.recommendations[3],
	    "Training load elevated. Consider reducing intensity.");
}

static void
test_admin_poor(void **state)
{
	struct recovery_admin_inputs	in = admin_none();
	struct recovery_admin_status	st;

	(void)state;
	in.sleep_score = 40;
	in.ans_charge = -8;		/* 10 */
	in.load_ratio = 1.6;		/* 20 */
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_int_equal(st.readiness_score, 23);
	assert_string_equal(st.readiness, "poor");
	assert_string_equal(st.training_advice, ADV_POOR);
	assert_string_equal(st.recommendations[0],
	    "Poor sleep. Prioritize recovery over training.");
	assert_string_equal(st.recommendations[1],
	    "ANS shows fatigue. Focus on active recovery today.");
	assert_string_equal(st.recommendations[2],
	    "High training load! Take a recovery day to avoid overtraining.");
}

static void
test_admin_low_load_and_fix(void **state)
{
	struct recovery_admin_inputs	in = admin_none();
	struct recovery_admin_status	st;

	(void)state;
	in.load_ratio = 0.6;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_int_equal(st.readiness_score, 60);
	assert_string_equal(st.recommendations[0],
	    "Training load is low. You can push harder if you feel good.");
	in.load_ratio = 0.3;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_int_equal(st.readiness_score, 40);
	assert_string_equal(st.recommendations[0], "Very low training load. "
	    "Consider increasing activity to maintain fitness.");
	/* unlike upstream, the -1.0 sentinel is absent, not "very low load" (40) */
	in.load_ratio = -1;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_false(st.has_data);
	assert_int_equal(st.readiness_score, 50);
}

static void
test_admin_good_rounding_stale(void **state)
{
	struct recovery_admin_inputs	in = admin_none();
	struct recovery_admin_status	st;

	(void)state;
	/* ANS 0 is a value ("is not None"): factor 50, no advice */
	in.sleep_score = 80;
	in.ans_charge = 0;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_int_equal(st.readiness_score, 65);
	assert_string_equal(st.readiness, "good");
	assert_string_equal(st.training_advice, ADV_GOOD);
	assert_string_equal(st.recommendations[0],
	    "All metrics look normal. Train as planned!");
	/* Python round(60.5) == 60: half to even */
	in.sleep_score = 71;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_int_equal(st.readiness_score, 60);
	in.sleep_score = 73;		/* 61.5 -> 62 */
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_int_equal(st.readiness_score, 62);
	/* 48 h rule: two days old counts, three days old does not */
	in.sleep_day = TODAY - 2;
	in.recharge_day = TODAY - 3;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_int_equal(st.readiness_score, 73);
	in.sleep_day = TODAY - 3;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_false(st.has_data);
	/* hrv 0 is falsy: no "Low HRV" line */
	in.recharge_day = TODAY;
	in.ans_charge = NAN;
	in.hrv_avg = 0;
	assert_int_equal(recovery_admin_status(&in, &st), PF_OK);
	assert_string_equal(st.recommendations[0],
	    "All metrics look normal. Train as planned!");
}

/* Resting HR from continuous HR: lowest 30-minute window mean. */
static void
test_rhr_daily(void **state)
{
	/* 5-minute samples: 70s all day, a 30-minute dip 52..54 at 03:00. */
	struct hr_sample	s[288];
	struct hr_sample	few[2] = { { 0, 50 }, { 300, 51 } };
	struct hr_sample	gap[4] = { { 7200, 40 }, { 0, 60 }, { 300, 0 },
	    { 600, 62 } };
	double			r;
	size_t			i;

	(void)state;
	for (i = 0; i < 288; i++) {
		s[i].t_s = (int32_t)(i * 300);
		s[i].bpm = 70 + (double)(i % 5);
	}
	/* samples 36..41 = 03:00..03:25, one window of six */
	s[36].bpm = 52; s[37].bpm = 53; s[38].bpm = 54;
	s[39].bpm = 52; s[40].bpm = 53; s[41].bpm = 54;
	/* reversed order must not matter */
	for (i = 0; i < 144; i++) {
		struct hr_sample t = s[i];

		s[i] = s[287 - i];
		s[287 - i] = t;
	}
	assert_int_equal(rhr_daily(s, 288, &r), PF_OK);
	assert_true(r == 53.0);

	/* fewer than 3 valid samples in every window */
	assert_int_equal(rhr_daily(few, 2, &r), PF_ERR_RANGE);
	assert_true(isnan(r));
	/* zeros are "no reading": 60, 62 plus 40 two hours later */
	assert_int_equal(rhr_daily(gap, 4, &r), PF_ERR_RANGE);
	gap[2].bpm = 58;
	assert_int_equal(rhr_daily(gap, 4, &r), PF_OK);
	assert_true(r == 60.0);
	gap[1].bpm = NAN;
	assert_int_equal(rhr_daily(gap, 4, &r), PF_ERR_RANGE);
	assert_int_equal(rhr_daily(NULL, 0, &r), PF_ERR_RANGE);
	assert_int_equal(rhr_daily(NULL, 3, &r), PF_ERR_INVALID);
	assert_int_equal(rhr_daily(s, 3, NULL), PF_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_composite_all),
		cmocka_unit_test(test_composite_subscores),
		cmocka_unit_test(test_composite_weights),
		cmocka_unit_test(test_admin_no_data),
		cmocka_unit_test(test_admin_excellent),
		cmocka_unit_test(test_admin_fair_order),
		cmocka_unit_test(test_admin_poor),
		cmocka_unit_test(test_admin_low_load_and_fix),
		cmocka_unit_test(test_admin_good_rounding_stale),
		cmocka_unit_test(test_rhr_daily),
	};

	return cmocka_run_group_tests_name("metric_recovery", tests, NULL,
	    NULL);
}
