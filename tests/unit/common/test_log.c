#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
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

/* JOURNAL_STREAM naming stderr (or not), then a fresh init */
static void
journal_env(int match)
{
	struct stat	st;
	char		v[64];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + (match ? 0 : 1));
	setenv("JOURNAL_STREAM", v, 1);
	pf_log_init("test_log", PF_LOG_DEBUG, PF_LOG_TEXT);
}

static void
test_journald_prefix(void **state)
{
	(void)state;
	journal_env(1);
	pf_log_info("started");
	assert_string_equal(captured, "<6>info: started");
	pf_log_warnx("slow");
	assert_string_equal(captured, "<4>warning: slow");
	pf_log_error("broken");
	assert_string_equal(captured, "<3>error: broken");
	pf_log_debug("detail");
	assert_string_equal(captured, "<7>debug: detail");
	/* another stream (a pipe or file the service redirected to) */
	journal_env(0);
	pf_log_info("started");
	assert_non_null(strstr(captured, "test_log["));
	setenv("JOURNAL_STREAM", "garbage", 1);
	pf_log_init("test_log", PF_LOG_INFO, PF_LOG_TEXT);
	pf_log_info("started");
	assert_non_null(strstr(captured, "test_log["));
	unsetenv("JOURNAL_STREAM");
}

static void
test_fields(void **state)
{
	json_t	*f, *o;

	(void)state;
	f = json_pack("{s:s, s:i}", "path", "/x", "status", 200);
	pf_log_fields(PF_LOG_INFO, "request", f);
	assert_non_null(strstr(captured, "info: request path=/x status=200"));
	pf_log_set_format(PF_LOG_JSON);
	pf_log_fields(PF_LOG_INFO, "request", f);
	o = json_loads(captured, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "msg")),
	    "request");
	assert_int_equal(json_integer_value(json_object_get(o, "status")),
	    200);
	assert_non_null(json_object_get(o, "ts"));
	json_decref(o);
	/* below the level: nothing */
	lines = 0;
	pf_log_fields(PF_LOG_DEBUG, "request", f);
	assert_int_equal(lines, 0);
	json_decref(f);
	pf_log_set_format(PF_LOG_TEXT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_levels_filter, setup),
		cmocka_unit_test_setup(test_level_parse, setup),
		cmocka_unit_test_setup(test_json_lines, setup),
		cmocka_unit_test_setup(test_secrets_scrubbed, setup),
		cmocka_unit_test_setup(test_journald_prefix, setup),
		cmocka_unit_test_setup(test_fields, setup),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
