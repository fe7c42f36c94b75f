/*
 * test_window.c -- how far back each stream is read and what a sync is
 * expected to cost (Polar keeps activity 365 days, served in ranges of at
 * most 28, cardio load 365 days, everything else 28 days).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/config.h"

#include "syncd/syncd.h"

static void
test_stream_window(void **state)
{
	(void)state;
	/* a first sync: as far back as Polar keeps each stream */
	assert_int_equal(sync_stream_window(ST_ACTIVITY, 0, 28), 365);
	assert_int_equal(sync_stream_window(ST_ACTIVITY_SAMPLES, 0, 28), 365);
	assert_int_equal(sync_stream_window(ST_CARDIO_LOAD, 0, 28), 365);
	assert_int_equal(sync_stream_window(ST_CARDIO_LOAD, 0, 365), 365);
	assert_int_equal(sync_stream_window(ST_SLEEP, 0, 28), 28);
	assert_int_equal(sync_stream_window(ST_RECHARGE, 0, 365), 28);
	assert_int_equal(sync_stream_window(ST_CHR, 0, 28), 28);
	assert_int_equal(sync_stream_window(ST_SPO2, 0, 28), 28);
	assert_int_equal(sync_stream_window(ST_ALERTNESS, 0, 28), 28);
	/* sync_days_lookback below 28 shortens every stream */
	assert_int_equal(sync_stream_window(ST_ACTIVITY, 0, 7), 7);
	assert_int_equal(sync_stream_window(ST_SLEEP, 0, 7), 7);
	/* a manual window, capped per stream */
	assert_int_equal(sync_stream_window(ST_ACTIVITY, 100, 7), 100);
	assert_int_equal(sync_stream_window(ST_CARDIO_LOAD, 365, 28), 365);
	assert_int_equal(sync_stream_window(ST_SLEEP, 100, 28), 28);
	assert_int_equal(sync_stream_window(ST_CHR, 100, 28), 28);
	assert_int_equal(sync_stream_window(ST_CHR, 3, 28), 3);
	assert_int_equal(sync_stream_window(ST_ACTIVITY, 400, 28), 365);
}

static void
test_stream_calls(void **state)
{
	(void)state;
	assert_int_equal(sync_stream_calls(ST_ACTIVITY, 1), 1);
	assert_int_equal(sync_stream_calls(ST_ACTIVITY, 28), 1);
	assert_int_equal(sync_stream_calls(ST_ACTIVITY, 29), 2);
	assert_int_equal(sync_stream_calls(ST_ACTIVITY, 100), 4);
	assert_int_equal(sync_stream_calls(ST_ACTIVITY_SAMPLES, 365), 14);
	assert_int_equal(sync_stream_calls(ST_CARDIO_LOAD, 365), 1);
	assert_int_equal(sync_stream_calls(ST_CHR, 28), 28);
	assert_int_equal(sync_stream_calls(ST_CHR, 3), 3);
	assert_int_equal(sync_stream_calls(ST_SLEEP, 28), 1);
	assert_int_equal(sync_stream_calls(ST_SPO2, 0), 1);
}

static void
test_estimate(void **state)
{
	struct pf_config	 cfg;
	struct pf_daemon	 d;

	(void)state;
	/* no configuration: the default lookback */
	env = NULL;
	/*
	 * Routine: 11 lists, 3 CHR days, exercise list, physical info,
	 * 2 details -- what it always was.
	 */
	assert_int_equal(sync_estimate_calls(false, 0), 18);
	/*
	 * First sync: sleep, recharge, 14 + 14 activity ranges, cardio
	 * load, 2 SleepWise, 4 biosensing, 28 CHR days, exercise list,
	 * physical info, 12 details.
	 */
	assert_int_equal(sync_estimate_calls(true, 0), 79);
	/* days=28 costs what a first sync did before deep history */
	assert_int_equal(sync_estimate_calls(true, 28), 53);
	assert_int_equal(sync_estimate_calls(true, 100), 59);
	assert_int_equal(sync_estimate_calls(true, 7), 11 + 7 + 2 + 12);

	memset(&cfg, 0, sizeof(cfg));
	memset(&d, 0, sizeof(d));
	d.cfg = &cfg;
	env = &d;
	cfg.sync_days_lookback = 28;
	assert_int_equal(sync_estimate_calls(true, 0), 79);
	cfg.sync_days_lookback = 7;
	assert_int_equal(sync_estimate_calls(true, 0), 11 + 7 + 2 + 12);
	assert_int_equal(sync_estimate_calls(true, 365), 79);
	assert_int_equal(sync_estimate_calls(false, 0), 18);
	env = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_window),
		cmocka_unit_test(test_stream_calls),
		cmocka_unit_test(test_estimate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
