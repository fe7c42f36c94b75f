/*
 * Load, PMC, sleep debt and the ln(RMSSD) band, checked
 * against hand computations.  PMC literals:
 *	python3 -c "import math; l=math.exp(-1/42); s=math.exp(-1/7);
 *	    print(repr(100*(1-l)), repr(100*(1-s)))"
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
test_pmc_hand(void **state)
{
	const double		load[] = { 100, 0, NAN };
	double			ctl[3], atl[3], tsb[3];
	struct pmc_params	p;

	(void)state;
	assert_int_equal(load_pmc(load, 3, NULL, ctl, atl, tsb), PF_OK);
	/* day 0: 100*(1 - e^-1/42), 100*(1 - e^-1/7) */
	assert_double_near(ctl[0], 2.3528313347756735, 1e-13);
	assert_double_near(atl[0], 13.312210024981841, 1e-13);
	/* form going into day 0: the seeds' */
	assert_double_exact(tsb[0], 0);
	/* day 1: pure decay by e^-1/42 and e^-1/7; form is day 0's */
	assert_double_near(ctl[1], 2.2974731818766507, 1e-13);
	assert_double_near(atl[1], 11.54006066748957, 1e-13);
	assert_double_near(tsb[1], -10.959378690206167, 1e-13);
	assert_double_near(tsb[2], -9.242587485612919, 1e-13);
	/* a missing day is a rest day */
	assert_double_near(ctl[2], ctl[1] * exp(-1.0 / 42), 1e-13);

	/* seeds and custom constants: steady state stays put */
	load_pmc_defaults(&p);
	assert_double_exact(p.ctl_days, 42);
	assert_double_exact(p.atl_days, 7);
	p.ctl0 = 50;
	p.atl0 = 50;
	{
		const double	flat[] = { 50, 50 };

		assert_int_equal(load_pmc(flat, 2, &p, ctl, atl, tsb), PF_OK);
		assert_double_near(ctl[1], 50, 1e-12);
		assert_double_near(atl[1], 50, 1e-12);
		assert_double_near(tsb[1], 0, 1e-12);
	}
	p.ctl_days = 0;
	assert_int_equal(load_pmc(load, 3, &p, ctl, atl, tsb), PF_ERR_INVALID);
	assert_int_equal(load_pmc(NULL, 0, NULL, ctl, atl, tsb), PF_OK);
}

static void
test_acwr_rolling(void **state)
{
	double	load[40], out[40];
	size_t	t;

	(void)state;
	for (t = 0; t < 28; t++)
		load[t] = 10;
	for (t = 28; t < 35; t++)
		load[t] = 40;
	assert_int_equal(load_acwr_rolling(load, 35, false, out), PF_OK);
	assert_true(isnan(out[26]));		/* 28-day warm-up */
	assert_double_exact(out[27], 1.0);
	/* acute 40, chronic (21*10 + 7*40)/28 = 17.5 */
	assert_double_near(out[34], 40 / 17.5, 1e-15);
	assert_int_equal(load_acwr_rolling(load, 35, true, out), PF_OK);
	assert_double_near(out[34], 4.0, 1e-15);	/* 40 / 10 */

	/* no chronic load: NaN, not a division by zero; NaN load = 0 */
	for (t = 0; t < 40; t++)
		load[t] = t == 5 ? NAN : 0;
	assert_int_equal(load_acwr_rolling(load, 40, false, out), PF_OK);
	for (t = 0; t < 40; t++)
		assert_true(isnan(out[t]));
	load[39] = 28;
	assert_int_equal(load_acwr_rolling(load, 40, false, out), PF_OK);
	assert_double_near(out[39], (28.0 / 7) / (28.0 / 28), 1e-15);
}

static void
test_acwr_ewma(void **state)
{
	double	load[30], out[30], la = 0.25, lc = 2.0 / 29;
	size_t	t;

	(void)state;
	for (t = 0; t < 30; t++)
		load[t] = 100;
	assert_int_equal(load_acwr_ewma(load, 30, out), PF_OK);
	assert_true(isnan(out[26]));
	/* E_t = L (1 - (1 - lambda)^(t+1)) from E_-1 = 0 */
	assert_double_near(out[27], (1 - pow(1 - la, 28)) /
	    (1 - pow(1 - lc, 28)), 1e-12);
	assert_double_near(out[29], (1 - pow(1 - la, 30)) /
	    (1 - pow(1 - lc, 30)), 1e-12);
	for (t = 0; t < 30; t++)
		load[t] = NAN;
	assert_int_equal(load_acwr_ewma(load, 30, out), PF_OK);
	assert_true(isnan(out[29]));
	assert_int_equal(load_acwr_ewma(NULL, 3, out), PF_ERR_INVALID);
}

static void
test_sleep_debt(void **state)
{
	const double	s[] = { 7 * 3600, 6 * 3600, NAN, 9 * 3600 };
	const double	gone[] = { NAN, NAN };
	double		d[4];

	(void)state;
	assert_int_equal(load_sleep_debt(s, 4, 8 * 3600, 3, d), PF_OK);
	assert_double_exact(d[0], 3600);
	assert_double_exact(d[1], 3 * 3600);
	assert_double_exact(d[2], 3 * 3600);	/* missing night: no change */
	assert_double_exact(d[3], 3600);	/* 2h debt - 1h surplus */
	assert_int_equal(load_sleep_debt(s + 3, 1, 8 * 3600, 3, d), PF_OK);
	assert_double_exact(d[0], 0);		/* surplus floors at 0 */
	assert_int_equal(load_sleep_debt(gone, 2, 8 * 3600, 3, d), PF_OK);
	assert_true(isnan(d[0]) && isnan(d[1]));
	assert_int_equal(load_sleep_debt(s, 4, 0, 3, d), PF_ERR_INVALID);
	assert_int_equal(load_sleep_debt(s, 4, NAN, 3, d), PF_ERR_INVALID);
	assert_int_equal(load_sleep_debt(s, 4, 8 * 3600, 0, d),
	    PF_ERR_INVALID);
}

static void
test_hrv_band(void **state)
{
	double			r[27], mean7, sd7, sd60;
	struct hrv_band_day	o[27];
	size_t			t;

	(void)state;
	/* ln values alternate 3, 4 for 20 days, then 2 for 7 days */
	for (t = 0; t < 20; t++)
		r[t] = exp(t % 2 == 0 ? 3.0 : 4.0);
	for (t = 20; t < 27; t++)
		r[t] = exp(2.0);
	r[5] = 0;		/* <= 0 is missing, never log()ed */
	r[6] = NAN;
	assert_int_equal(load_hrv_band(r, 27, 0.5, o), PF_OK);
	assert_int_equal(o[1].status, HRV_BAND_INSUFFICIENT);
	assert_true(isnan(o[1].mean7) && isnan(o[1].cv7_pct));
	assert_int_equal(o[2].status, HRV_BAND_CALIBRATING);
	assert_true(isnan(o[2].band_lo));
	assert_true(isnan(o[5].ln_rmssd) && isnan(o[6].ln_rmssd));
	/* day 14 has 13 valid days (5 and 6 missing): still calibrating */
	assert_int_equal(o[14].status, HRV_BAND_CALIBRATING);
	assert_int_equal(o[15].status, HRV_BAND_WITHIN);

	/* day 19: week 13..19 = 4,3,4,3,4,3,4; band over 18 valid days */
	mean7 = 25.0 / 7;
	sd7 = sqrt((4 * pow(4 - mean7, 2) + 3 * pow(3 - mean7, 2)) / 6);
	assert_double_near(o[19].ln_rmssd, 4, 1e-14);
	assert_double_near(o[19].mean7, mean7, 1e-14);
	assert_double_near(o[19].cv7_pct, 100 * sd7 / mean7, 1e-12);
	/* 18 valid: nine 3s and nine 4s (day 6 was a 3... and 5 a 4) */
	sd60 = sqrt(18 * 0.25 / 17);
	assert_double_near(o[19].band_mean, 3.5, 1e-14);
	assert_double_near(o[19].band_sd, sd60, 1e-14);
	assert_double_near(o[19].band_lo, 3.5 - 0.5 * sd60, 1e-14);
	assert_double_near(o[19].band_hi, 3.5 + 0.5 * sd60, 1e-14);
	assert_int_equal(o[19].status, HRV_BAND_WITHIN);
	assert_string_equal(load_hrv_band_status_name(o[19].status),
	    "within");
	/* a week at ln 2 drags the 7-day mean below the band */
	assert_double_near(o[26].mean7, 2, 1e-14);
	assert_double_near(o[26].cv7_pct, 0, 1e-12);
	assert_int_equal(o[26].status, HRV_BAND_BELOW);
	assert_string_equal(load_hrv_band_status_name(o[26].status), "below");

	assert_int_equal(load_hrv_band(r, 27, 0, o), PF_ERR_INVALID);
	assert_int_equal(load_hrv_band(r, 27, NAN, o), PF_ERR_INVALID);
	assert_string_equal(load_hrv_band_status_name(HRV_BAND_ABOVE),
	    "above");
}

static void
test_hrv_band_above_and_constant(void **state)
{
	double			r[30];
	struct hrv_band_day	o[30];
	size_t			t;

	(void)state;
	for (t = 0; t < 30; t++)
		r[t] = 50;
	assert_int_equal(load_hrv_band(r, 30, 1.0, o), PF_OK);
	/* zero SD: band collapses onto the mean, which is within it */
	assert_double_exact(o[29].band_sd, 0);
	assert_double_exact(o[29].mean7, o[29].band_mean);
	assert_double_exact(o[29].cv7_pct, 0);
	assert_int_equal(o[29].status, HRV_BAND_WITHIN);
	for (t = 23; t < 30; t++)
		r[t] = 90;
	assert_int_equal(load_hrv_band(r, 30, 1.0, o), PF_OK);
	assert_int_equal(o[29].status, HRV_BAND_ABOVE);
	assert_int_equal(load_hrv_band(NULL, 0, 1.0, o), PF_OK);
}

/* Bedtimes on a clock that does not wrap at midnight. */
static void
test_sleep_bedtime(void **state)
{
	const int64_t	day_ms = 86400000, min_ms = 60000;
	int64_t		d = (int64_t)20000 * day_ms;

	(void)state;
	assert_true(sleep_bedtime_minutes(d + 22 * 60 * min_ms + 30 * min_ms,
	    0) == 630);
	assert_true(sleep_bedtime_minutes(d + 30 * min_ms, 0) == 750);
	/* and back: 630 after noon is 22:30, 750 is 00:30, 1439.6 is 12:00 */
	assert_int_equal(sleep_bedtime_clock(630), 22 * 60 + 30);
	assert_int_equal(sleep_bedtime_clock(750), 30);
	assert_int_equal(sleep_bedtime_clock(1439.6), 12 * 60);
	assert_int_equal(sleep_bedtime_clock(0.4), 12 * 60);
	assert_int_equal(sleep_bedtime_clock(NAN), -1);
	assert_true(sleep_bedtime_minutes(d + 12 * 60 * min_ms, 0) == 0);
	assert_true(sleep_bedtime_minutes(d + 11 * 60 * min_ms +
	    59 * min_ms, 0) == 1439);
	/* 21:30 UTC is 23:30 at +02:00, and 16:30 at -05:00 */
	assert_true(sleep_bedtime_minutes(d + 21 * 60 * min_ms + 30 * min_ms,
	    120) == 690);
	assert_true(sleep_bedtime_minutes(d + 21 * 60 * min_ms + 30 * min_ms,
	    -300) == 270);
	/* before 1970: floor, not truncation */
	assert_true(sleep_bedtime_minutes(-1, 0) == 719);
	assert_true(sleep_bedtime_minutes(-day_ms + 23 * 60 * min_ms, 0) ==
	    660);
}

/*
 * SD of bedtimes over the 14 nights ending at t, needs 5.
 *	python3 -c "import statistics as s; x=[600,630,660,690,720];
 *	print(s.stdev(x), s.mean(x))"  ->  47.43416490252569 660
 */
static void
test_sleep_timing_sd(void **state)
{
	double	b[20], sd, mean;
	size_t	i;

	(void)state;
	for (i = 0; i < 20; i++)
		b[i] = NAN;
	b[3] = 600; b[5] = 630; b[8] = 660; b[9] = 690;
	assert_int_equal(sleep_timing_sd(b, 20, 10, &sd, &mean), PF_ERR_RANGE);
	assert_true(isnan(sd) && isnan(mean));
	b[10] = 720;
	assert_int_equal(sleep_timing_sd(b, 20, 10, &sd, &mean), PF_OK);
	assert_true(sd == 47.43416490252569);
	assert_true(mean == 660);
	/* t = 17: window 4..17 drops night 3 -> 4 nights */
	assert_int_equal(sleep_timing_sd(b, 20, 17, &sd, NULL), PF_ERR_RANGE);
	/* constant bedtime: SD 0 */
	for (i = 0; i < 20; i++)
		b[i] = 700;
	assert_int_equal(sleep_timing_sd(b, 20, 19, &sd, &mean), PF_OK);
	assert_true(sd == 0 && mean == 700);
	assert_int_equal(sleep_timing_sd(b, 20, 20, &sd, NULL),
	    PF_ERR_INVALID);
	assert_int_equal(sleep_timing_sd(NULL, 20, 1, &sd, NULL),
	    PF_ERR_INVALID);
	assert_int_equal(sleep_timing_sd(b, 20, 1, NULL, NULL),
	    PF_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pmc_hand),
		cmocka_unit_test(test_acwr_rolling),
		cmocka_unit_test(test_acwr_ewma),
		cmocka_unit_test(test_sleep_debt),
		cmocka_unit_test(test_hrv_band),
		cmocka_unit_test(test_hrv_band_above_and_constant),
		cmocka_unit_test(test_sleep_bedtime),
		cmocka_unit_test(test_sleep_timing_sd),
	};

	return cmocka_run_group_tests_name("metric_load", tests, NULL, NULL);
}
