/*
 * test_cmd_export.c -- the CSV fields of "polarctl export": RFC 4180
 * quoting, and NULL kept apart from the empty string as COPY CSV does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "polarctl/polarctl.h"

/* The field as written; the caller frees it. */
static char *
field(const char *s)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	export_csv_field(fp, s);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
check(const char *in, const char *want)
{
	char	*got = field(in);

	assert_string_equal(got, want);
	free(got);
}

static void
test_csv_field(void **state)
{
	(void)state;
	check(NULL, "");
	check("", "\"\"");
	check("plain", "plain");
	check("2026-01-05T23:11:00Z", "2026-01-05T23:11:00Z");
	check("a,b", "\"a,b\"");
	check("say \"hi\"", "\"say \"\"hi\"\"\"");
	check("\"", "\"\"\"\"");
	check("two\nlines", "\"two\nlines\"");
	check("cr\r", "\"cr\r\"");
	/* jsonb text: quoted because of its quotes and commas */
	check("{\"a\": 1, \"b\": [2]}", "\"{\"\"a\"\": 1, \"\"b\"\": [2]}\"");
	/* nothing else is special: spaces, tabs, semicolons, UTF-8 */
	check(" x\t;y\xc3\xa9 ", " x\t;y\xc3\xa9 ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
