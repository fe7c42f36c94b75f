/*
 * test_fetch.c -- the quota picture from Polar's rate-limit headers and
 * the pause after a 429.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "syncd/syncd.h"

static void
test_quota(void **state)
{
	struct quota	 q;
	int64_t		 pause;

	(void)state;
	memset(&q, 0, sizeof(q));
	quota_update(&q, "10, 20", "520, 5100", "600, 80000", 1000);
	assert_true(q.known);
	assert_int_equal(q.usage_15m, 10);
	assert_int_equal(q.limit_24h, 5100);
	assert_int_equal(q.reset_15m_at, 1000 + 600000);
	/* malformed headers leave the picture alone */
	quota_update(&q, "x", "520, 5100", "600, 80000", 2000);
	assert_int_equal(q.usage_15m, 10);
	/* 15-min window exhausted: wait for its reset */
	quota_update(&q, "520, 600", "520, 5100", "300, 80000", 0);
	pause = quota_pause_429(&q, -1, 0);
	assert_int_equal(pause, 300000);
	/* 24-h window exhausted wins */
	quota_update(&q, "520, 5100", "520, 5100", "300, 80000", 0);
	pause = quota_pause_429(&q, -1, 0);
	assert_int_equal(pause, 80000000);
	/* quota left: Retry-After, else 1, 2, 4 ... s */
	memset(&q, 0, sizeof(q));
	quota_update(&q, "5, 5", "520, 5100", "300, 80000", 0);
	assert_int_equal(quota_pause_429(&q, 7, 0), 7000);
	q.backoff_429 = 0;
	assert_int_equal(quota_pause_429(&q, -1, 0), 1000);
	assert_int_equal(quota_pause_429(&q, -1, 0), 2000);
	assert_int_equal(quota_pause_429(&q, -1, 0), 4000);
	/* numbers no rate limit has: ignored, and no pause beyond a day */
	memset(&q, 0, sizeof(q));
	quota_update(&q, "5, 5", "520, 5100",
	    "99999999999999999, 99999999999999999", 0);
	assert_false(q.known);
	quota_update(&q, "5, 5", "520, 5100", "2147483648, 1", 0);
	assert_false(q.known);
	assert_int_equal(quota_pause_429(&q, INT64_MAX, 0), 86400000);
	assert_int_equal(quota_pause_429(&q, 86401, 0), 86400000);
	quota_update(&q, "520, 5100", "520, 5100", "1, 2147483647", 0);
	assert_true(q.known);
	assert_int_equal(quota_pause_429(&q, -1, 0), 86400000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quota),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
