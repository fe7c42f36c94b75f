#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/err.h"
#include "common/log.h"

static char	captured[8192];
static int	lines;

static void
capture(enum pf_log_level level, const char *line)
{
	(void)level;
	snprintf(captured, sizeof(captured), "%s", line);
	lines++;
}

static int
setup(void **state)
{
	(void)state;
	captured[0] = '\0';
	lines = 0;
	pf_log_init("test_log", PF_LOG_INFO, PF_LOG_TEXT);
	pf_log_set_sink(capture);
	return 0;
}

static void
test_levels_filter(void **state)
{
	(void)state;
	pf_log_debug("hidden %d", 1);
	assert_int_equal(lines, 0);
	pf_log_info("shown %d", 2);
	assert_int_equal(lines, 1);
	assert_non_null(strstr(captured, "test_log["));
	assert_non_null(strstr(captured, "info: shown 2"));
	pf_log_set_level(PF_LOG_DEBUG);
	pf_log_debug("now visible");
	assert_int_equal(lines, 2);
}

static void
test_level_parse(void **state)
{
	enum pf_log_level	l;

	(void)state;
	assert_int_equal(pf_log_level_parse("DEBUG", &l), PF_OK);
	assert_int_equal(l, PF_LOG_DEBUG);
	assert_int_equal(pf_log_level_parse("warn", &l), PF_OK);
	assert_int_equal(l, PF_LOG_WARNING);
	assert_int_equal(pf_log_level_parse("WARNING", &l), PF_OK);
	assert_int_equal(pf_log_level_parse("loud", &l), PF_ERR_INVALID);
	assert_int_equal(pf_log_level_parse("", &l), PF_ERR_INVALID);
}

static void
test_json_lines(void **state)
{
	json_t		*obj;
	json_error_t	 jerr;

	(void)state;
	pf_log_set_format(PF_LOG_JSON);
	pf_log_warnx("quote \" and newline \n inside");
	obj = json_loads(captured, 0, &jerr);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "level")),
	    "warning");
	assert_string_equal(json_string_value(json_object_get(obj, "prog")),
	    "test_log");
	assert_string_equal(json_string_value(json_object_get(obj, "msg")),
	    "quote \" and newline \n inside");
	assert_true(json_is_integer(json_object_get(obj, "pid")));
	json_decref(obj);
}

static void
test_secrets_scrubbed(void **state)
{
	(void)state;
	pf_log_info("key pfk_0123456789abcdef0123456789abcdef01234567 used");
	assert_null(strstr(captured, "0123456789abcdef"));
	assert_non_null(strstr(captured, "pfk_***"));
	pf_log_info("connect host=/tmp password=hunter2 dbname=x");
	assert_null(strstr(captured, "hunter2"));
	assert_non_null(strstr(captured, "dbname=x"));
	pf_log_info("connect postgresql://polar:s3cret@db:5432/polar");
	assert_null(strstr(captured, "s3cret"));
	assert_non_null(strstr(captured, "postgresql://polar:***@db"));
	pf_log_info("header Authorization: Bearer abc.def-ghi_jkl");
	assert_null(strstr(captured, "abc.def"));
	pf_log_info("password='quoted secret' next");
	assert_null(strstr(captured, "quoted secret"));
	assert_non_null(strstr(captured, "next"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_levels_filter, setup),
		cmocka_unit_test_setup(test_level_parse, setup),
		cmocka_unit_test_setup(test_json_lines, setup),
		cmocka_unit_test_setup(test_secrets_scrubbed, setup),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
