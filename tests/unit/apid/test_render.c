/*
 * test_render.c -- apid/render.c: error, validation-error and 429 bodies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "apid/apid.h"

static void
test_error_bodies(void **state)
{
	struct apid_verr	e = { "Input should be x", "days", "query" };
	char			*s;
	json_t			*j;

	(void)state;
	s = render_error(404, "No \"x\" here", NULL);
	assert_string_equal(s,
	    "{\"status_code\":404,\"detail\":\"No \\\"x\\\" here\"}");
	free(s);
	s = render_verror("GET", "/a", "days=0", &e);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    "Validation failed for GET /a?days=0");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "extra"), 0), "key")), "days");
	json_decref(j);
	free(s);
	s = render_ratelimited(42);
	assert_string_equal(s, "{\"status_code\":429,\"detail\":\"Rate limit "
	    "exceeded. Retry after 42 seconds.\",\"extra\":{\"Retry-After\":"
	    "\"42\"}}");
	free(s);
}

/* The echoed path may hold any bytes; the body stays JSON with detail. */
static void
test_not_utf8(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "", "" },
		{ "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		    "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "\xa4x", "\xef\xbf\xbdx" },		/* lone continuation */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80z",			/* > U+10FFFF */
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz" },
		{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" },	/* cut short */
	};
	struct apid_verr	 e = { "m", "user_id", "path" };
	size_t			 i;
	char			*s;
	json_t			*j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = utf8_lossy(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	s = render_verror("GET", "/api/v1/users/\xa4/sleep", "days=\xff", &e);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    "Validation failed for GET /api/v1/users/\xef\xbf\xbd/sleep?"
	    "days=\xef\xbf\xbd");
	json_decref(j);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_bodies),
		cmocka_unit_test(test_not_utf8),
	};

	return cmocka_run_group_tests_name("apid_render", tests, NULL, NULL);
}
