/*
 * test_polarhook.c -- which streams each of Polar's webhook events names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"

#include "syncd/syncd.h"

#define B(st)	(1u << (st))

static void
test_event_streams(void **state)
{
	(void)state;
	assert_int_equal(polarhook_event_streams("EXERCISE"), B(ST_EXERCISE));
	assert_int_equal(polarhook_event_streams("SLEEP"), B(ST_SLEEP) |
	    B(ST_RECHARGE) | B(ST_SKIN_TEMP));
	assert_int_equal(polarhook_event_streams("CONTINUOUS_HEART_RATE"),
	    B(ST_CHR));
	assert_int_equal(polarhook_event_streams("ACTIVITY_SUMMARY"),
	    B(ST_ACTIVITY) | B(ST_ACTIVITY_SAMPLES));
	assert_int_equal(polarhook_event_streams("SLEEP_WISE_CIRCADIAN_BEDTIME"),
	    B(ST_BEDTIME));
	assert_int_equal(polarhook_event_streams("SLEEP_WISE_ALERTNESS"),
	    B(ST_ALERTNESS));
	assert_int_equal(polarhook_event_streams("PHYSICAL_INFORMATION"),
	    B(ST_PHYSICAL));
	/* PING and what Polar may add later name nothing */
	assert_int_equal(polarhook_event_streams("PING"), 0);
	assert_int_equal(polarhook_event_streams("sleep"), 0);
	assert_int_equal(polarhook_event_streams(""), 0);
	assert_int_equal(polarhook_event_streams("SLEEPX"), 0);
}

/* Every stream is named by some event, but the ones Polar never
 * announces (cardio load, biosensing): those wait for the poll. */
static void
test_coverage(void **state)
{
	const char	*ev[] = { "EXERCISE", "SLEEP", "CONTINUOUS_HEART_RATE",
	    "ACTIVITY_SUMMARY", "SLEEP_WISE_CIRCADIAN_BEDTIME",
	    "SLEEP_WISE_ALERTNESS", "PHYSICAL_INFORMATION" };
	unsigned	 all = 0;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		all |= polarhook_event_streams(ev[i]);
	assert_int_equal(all & (B(ST_CARDIO_LOAD) | B(ST_SPO2) | B(ST_ECG) |
	    B(ST_BODY_TEMP)), 0);
	assert_int_equal(all | B(ST_CARDIO_LOAD) | B(ST_SPO2) | B(ST_ECG) |
	    B(ST_BODY_TEMP), (1u << ST__COUNT) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_streams),
		cmocka_unit_test(test_coverage),
	};

	return cmocka_run_group_tests_name("polarhook", tests, NULL, NULL);
}
