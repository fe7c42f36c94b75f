/*
 * test_validate.c -- apid/validate.c: ids, dates, numbers, query strings, "days" and path captures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apid/apid.h"

static void
test_validate_ids(void **state)
{
	(void)state;
	assert_true(validate_uuid("11111111-2222-3333-4444-55555555aaaa", 36));
	assert_false(validate_uuid("11111111-2222-3333-4444-55555555aaa", 35));
	assert_false(validate_uuid("11111111x2222-3333-4444-55555555aaaa", 36));
	assert_true(validate_metric_name("training_load_ratio", 19));
	assert_false(validate_metric_name("training_load_rati", 18));
	assert_true(validate_pattern_name("hrv_trend", 9));
	assert_false(validate_pattern_name("steps", 5));
	assert_true(validate_slug("sleep_debt", 10));
	assert_false(validate_slug("Sleep", 5));
}

static void
test_validate_dates_and_numbers(void **state)
{
	char	out[11];
	double	d;

	(void)state;
	assert_true(validate_date("2024-02-29", 10, out));
	assert_string_equal(out, "2024-02-29");
	assert_false(validate_date("2026-02-30", 10, out));
	assert_false(validate_date("2026-13-45", 10, out));
	assert_false(validate_date("2026-1-01", 9, out));
	assert_false(validate_date("2026-01-01x", 11, out));
	assert_true(validate_finite("-1.5e2", 6, &d));
	assert_true(d == -150.0);
	assert_false(validate_finite("nan", 3, &d));
	assert_false(validate_finite("inf", 3, &d));
	assert_false(validate_finite("1e999", 5, &d));
	assert_false(validate_finite("0x10", 4, &d));
	assert_false(validate_finite("", 0, &d));
	assert_false(validate_finite("1.5.5", 5, &d));
}

static void
test_query_and_days(void **state)
{
	char			buf[16];
	int			days;
	struct apid_verr	e;

	(void)state;
	assert_int_equal(query_get("a=1&days=30", "days", buf,
	    sizeof(buf)), 1);
	assert_string_equal(buf, "30");
	/* Given twice, or with a control character: refused. */
	assert_int_equal(query_get("a=1&days=30&days=2", "days", buf,
	    sizeof(buf)), -2);
	assert_int_equal(query_get("days=7%00", "days", buf, sizeof(buf)),
	    -1);
	assert_int_equal(query_get("days=7%0a", "days", buf, sizeof(buf)),
	    -1);
	assert_int_equal(validate_days("days=7&days=7", 7, 1, 365, &days,
	    &e), -1);
	assert_string_equal(e.message, "Parameter must be given only once");
	assert_int_equal(query_get("xdays=3", "days", buf, sizeof(buf)), 0);
	assert_int_equal(query_get(NULL, "days", buf, sizeof(buf)), 0);
	assert_int_equal(query_get("days=%33%30", "days", buf, sizeof(buf)),
	    1);
	assert_string_equal(buf, "30");
	assert_int_equal(query_get("days=12345678901234567890", "days", buf,
	    sizeof(buf)), -1);

	assert_int_equal(validate_days(NULL, 7, 1, 365, &days, &e), 0);
	assert_int_equal(days, 7);
	assert_int_equal(validate_days("foo&days=365", 7, 1, 365, &days, &e),
	    0);
	assert_int_equal(days, 365);
	assert_int_equal(validate_days("days=0", 7, 1, 365, &days, &e), -1);
	assert_string_equal(e.message,
	    "Input should be greater than or equal to 1");
	assert_string_equal(e.key, "days");
	assert_string_equal(e.source, "query");
	assert_int_equal(validate_days("days=31", 7, 1, 30, &days, &e), -1);
	assert_string_equal(e.message,
	    "Input should be less than or equal to 30");
	assert_int_equal(validate_days("days=", 7, 1, 30, &days, &e), -1);
	assert_int_equal(validate_days("days=3x", 7, 1, 30, &days, &e), -1);
	assert_int_equal(validate_days("days=%20%33", 7, 1, 30, &days, &e),
	    -1);
	assert_int_equal(validate_days("days=99999999999999999", 7, 1, 30,
	    &days, &e), -1);
	assert_non_null(strstr(e.message, "less than or equal to 30"));
	assert_int_equal(validate_days("days=9999999999999999999999", 7, 1,
	    30, &days, &e), -1);
	assert_non_null(strstr(e.message, "valid integer"));
	assert_int_equal(validate_days("days=-3", 7, 1, 30, &days, &e), -1);
	assert_non_null(strstr(e.message, "greater than or equal to 1"));
}

static void
test_validate_capture(void **state)
{
	struct apid_verr	e;
	struct apid_span	v;
	char			out[64];

	(void)state;
	v.p = "2026-02-30";
	v.len = 10;
	assert_int_equal(validate_capture("target_date", 11, &v, out,
	    sizeof(out), &e), -1);
	assert_string_equal(e.key, "target_date");
	assert_string_equal(e.source, "path");
	v.p = "nan";
	v.len = 3;
	assert_int_equal(validate_capture("value", 5, &v, out, sizeof(out),
	    &e), -2);
	v.p = "40.25";
	v.len = 5;
	assert_int_equal(validate_capture("value", 5, &v, out, sizeof(out),
	    &e), 0);
	assert_true(strtod(out, NULL) == 40.25);
	v.p = "bob";
	v.len = 3;
	assert_int_equal(validate_capture("user_id", 7, &v, out, sizeof(out),
	    &e), 0);
	assert_string_equal(out, "bob");
	assert_int_equal(validate_capture("surprise", 8, &v, out, sizeof(out),
	    &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_ids),
		cmocka_unit_test(test_validate_dates_and_numbers),
		cmocka_unit_test(test_query_and_days),
		cmocka_unit_test(test_validate_capture),
	};

	return cmocka_run_group_tests_name("apid_validate", tests, NULL, NULL);
}
