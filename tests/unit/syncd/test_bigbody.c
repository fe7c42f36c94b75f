/*
 * test_bigbody.c -- a big body read with its long arrays cut out of the
 * text gives exactly the rows, notes and failures of the whole tree.
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

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"

#include "syncd/syncd.h"

#define NOW_MS	INT64_C(1795392000000)	/* 2026-11-23T00:00:00Z */
#define MANY	40000			/* samples: well over 1 MB */

static void
sink(enum pf_log_level level, const char *line)
{
	(void)level;
	(void)line;
}

/* n samples made by fmt(i), as a JSON array, appended to b. */
static void
add_series(struct pf_buf *b, size_t n, const char *(*fmt)(size_t, char *))
{
	char	 el[256];
	size_t	 i;

	pf_buf_adds(b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			pf_buf_adds(b, ", ");
		pf_buf_adds(b, fmt(i, el));
	}
	pf_buf_adds(b, "]");
}

static const char *
hr_sample(size_t i, char *el)
{
	snprintf(el, 256, "{\"heart_rate\": %zu, \"sample_time\": "
	    "\"%02zu:%02zu:%02zu\"}", 40 + i % 90, i / 3600 % 24, i / 60 % 60,
	    i % 60);
	return el;
}

static const char *
hr_sample_nul(size_t i, char *el)
{
	hr_sample(i, el);
	if (i == 7)
		strcpy(el + strlen(el) - 1, ", \"note\": \"a\\u0000b\"}");
	return el;
}

static const char *
hr_sample_bad(size_t i, char *el)
{
	return i == MANY / 2 ? "{\"heart_rate\": \"x\", \"sample_time\": "
	    "\"01:00:00\"}" : hr_sample(i, el);
}

static const char *
ex_sample(size_t i, char *el)
{
	snprintf(el, 256, "{\"recording-rate\": 1, \"sample-type\": \"%zu\", "
	    "\"data\": \"%zu,%zu,%zu\"}", i % 10, i, i + 1, i + 2);
	return el;
}

static const char *
route_point(size_t i, char *el)
{
	snprintf(el, 256, "{\"latitude\": 60.%06zu, \"longitude\": 24.5, "
	    "\"time\": \"PT%zuS\", \"satellites\": 7}", i, i);
	return el;
}

static const char *
step_sample(size_t i, char *el)
{
	snprintf(el, 256, "{\"steps\": %zu, \"timestamp\": "
	    "\"2026-11-22T%02zu:%02zu:00\"}", i % 100, i / 60 % 24, i % 60);
	return el;
}

static const char *
ecg_sample(size_t i, char *el)
{
	snprintf(el, 256, "{\"recording_time_delta_ms\": %zu, "
	    "\"amplitude_mv\": 0.%03zu}", i * 8, i % 1000);
	return el;
}

/*
 * body_parse() + transform_body() against the whole tree: the same rows
 * (as JSON), the same notes, the same skipped count.  Returns the number
 * of arrays cut.
 */
static size_t
same_rows(enum stream st, const char *text, size_t len)
{
	struct rowset	 a, b;
	struct body	 big;
	json_t		*doc = NULL, *ra, *rb;
	char		 err[PF_JSON_ERR_LEN];
	size_t		 i, ncut;

	assert_true(len >= SYNCD_BIG_BODY);
	assert_int_equal(pf_json_parse(text, len, PF_JSON_ALLOW_NUL, &doc,
	    err, sizeof(err)), PF_OK);
	rowset_init(&a);
	assert_int_equal(transform(st, doc, "u1", NOW_MS, &a), PF_OK);
	json_decref(doc);
	assert_int_equal(body_parse(st, text, len, &big, err, sizeof(err)),
	    PF_OK);
	ncut = big.ncut;
	rowset_init(&b);
	assert_int_equal(transform_body(st, &big, "u1", NOW_MS, NULL, &b),
	    PF_OK);
	body_free(&big);
	assert_int_equal(a.n, b.n);
	assert_int_equal(a.skipped, b.skipped);
	for (i = 0; i < a.n; i++) {
		assert_int_equal(a.day[i], b.day[i]);
		ra = json_loads(a.row[i], 0, NULL);
		rb = json_loads(b.row[i], 0, NULL);
		assert_non_null(ra);
		assert_non_null(rb);
		assert_true(json_equal(ra, rb));
		json_decref(ra);
		json_decref(rb);
	}
	assert_int_equal(json_array_size(a.dropped),
	    json_array_size(b.dropped));
	if (a.dropped != NULL)
		assert_true(json_equal(a.dropped, b.dropped));
	rowset_cleanup(&a);
	rowset_cleanup(&b);
	return ncut;
}

static void
chr_day(struct pf_buf *b, const char *(*fmt)(size_t, char *))
{
	pf_buf_init(b);
	pf_buf_adds(b, "{\"polar_user\": \"https://x/1\", \"date\": "
	    "\"2026-11-22\", \"heart_rate_samples\": ");
	add_series(b, MANY, fmt);
	pf_buf_adds(b, "}");
}

static void
test_chr(void **state)
{
	struct pf_buf	 b;

	(void)state;
	chr_day(&b, hr_sample);
	assert_int_equal(same_rows(ST_CHR, b.p, b.len), 1);
	pf_buf_free(&b);
	/* a string with U+0000 goes alone, and is noted */
	chr_day(&b, hr_sample_nul);
	assert_int_equal(same_rows(ST_CHR, b.p, b.len), 1);
	pf_buf_free(&b);
	/* one bad sample skips the day, as on the whole tree */
	chr_day(&b, hr_sample_bad);
	assert_int_equal(same_rows(ST_CHR, b.p, b.len), 1);
	pf_buf_free(&b);
}

static void
test_chr_stored_as_sent(void **state)
{
	struct pf_buf	 b;
	struct rowset	 rs;
	struct body	 big;
	json_t		*row;
	char		 err[PF_JSON_ERR_LEN];

	(void)state;
	chr_day(&b, hr_sample);
	assert_int_equal(body_parse(ST_CHR, b.p, b.len, &big, err,
	    sizeof(err)), PF_OK);
	assert_int_equal(big.ncut, 1);
	assert_int_equal(big.cut[0].n, MANY);
	/* the skeleton holds an empty array in its place */
	assert_int_equal(json_array_size(json_object_get(big.doc,
	    "heart_rate_samples")), 0);
	rowset_init(&rs);
	assert_int_equal(transform_body(ST_CHR, &big, "u1", NOW_MS, NULL, &rs),
	    PF_OK);
	assert_int_equal(rs.n, 1);
	assert_non_null(strstr(rs.row[0], big.cut[0].text));
	row = json_loads(rs.row[0], 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(row,
	    "sample_count")), MANY);
	assert_int_equal(json_array_size(json_object_get(row, "samples")),
	    MANY);
	json_decref(row);
	rowset_cleanup(&rs);
	body_free(&big);
	pf_buf_free(&b);
}

static void
test_malformed_element_fails_the_body(void **state)
{
	struct pf_buf	 b;
	struct body	 big;
	char		 err[PF_JSON_ERR_LEN], *p;

	(void)state;
	chr_day(&b, hr_sample);
	p = strstr(b.p + b.len / 2, "\"heart_rate\": ");
	assert_non_null(p);
	memcpy(p, "\"heart_rate\":,", 14);
	assert_int_equal(body_parse(ST_CHR, b.p, b.len, &big, err,
	    sizeof(err)), PF_ERR_PARSE);
	assert_true(err[0] != '\0');
	pf_buf_free(&b);
	/* an array that does not close */
	chr_day(&b, hr_sample);
	b.p[b.len - 2] = ' ';
	assert_int_equal(body_parse(ST_CHR, b.p, b.len, &big, err,
	    sizeof(err)), PF_ERR_PARSE);
	pf_buf_free(&b);
}

static void
test_duplicate_key_is_left_whole(void **state)
{
	struct pf_buf	 b;

	(void)state;
	pf_buf_init(&b);
	pf_buf_adds(&b, "{\"date\": \"2026-11-22\", \"heart_rate_samples\": ");
	add_series(&b, MANY, hr_sample);
	pf_buf_adds(&b, ", \"heart_rate_samples\": ");
	add_series(&b, MANY / 2, hr_sample);
	pf_buf_adds(&b, "}");
	/* jansson keeps the last: nothing is cut, the rows are the same */
	assert_int_equal(same_rows(ST_CHR, b.p, b.len), 0);
	pf_buf_free(&b);
}

static void
test_exercise_activity_ecg(void **state)
{
	struct pf_buf	 b;

	(void)state;
	pf_buf_init(&b);
	pf_buf_adds(&b, "{\"id\": \"ex1\", \"start_time\": "
	    "\"2026-11-22T07:00:00\", \"start_time_utc_offset\": 120, "
	    "\"duration\": \"PT1H\", \"sport\": \"RUNNING\", \"samples\": ");
	add_series(&b, MANY / 2, ex_sample);
	pf_buf_adds(&b, ", \"route\": ");
	add_series(&b, MANY / 2, route_point);
	pf_buf_adds(&b, "}");
	assert_int_equal(same_rows(ST_EXERCISE, b.p, b.len), 2);
	pf_buf_free(&b);

	pf_buf_init(&b);
	pf_buf_adds(&b, "[{\"date\": \"2026-11-21\", \"steps\": "
	    "{\"total_steps\": 5, \"interval_ms\": 60000, \"samples\": "
	    "[{\"steps\": 5, \"timestamp\": \"2026-11-21T00:00:00\"}]}}, "
	    "{\"date\": \"2026-11-22\", \"steps\": {\"total_steps\": 9, "
	    "\"interval_ms\": 60000, \"samples\": ");
	add_series(&b, MANY, step_sample);
	pf_buf_adds(&b, "}}]");
	assert_int_equal(same_rows(ST_ACTIVITY_SAMPLES, b.p, b.len), 1);
	pf_buf_free(&b);

	pf_buf_init(&b);
	pf_buf_adds(&b, "[{\"test_time\": 1795300000, \"time_zone_offset\": "
	    "120, \"average_heart_rate_bpm\": 61, \"samples\": ");
	add_series(&b, MANY, ecg_sample);
	pf_buf_adds(&b, "}]");
	assert_int_equal(same_rows(ST_ECG, b.p, b.len), 1);
	pf_buf_free(&b);
}

/* A list of many records, each with its own array of some kilobytes. */
static void
test_many_medium_records(void **state)
{
	struct pf_buf	 b;
	char		 day[128];
	size_t		 i;

	(void)state;
	pf_buf_init(&b);
	pf_buf_adds(&b, "[");
	for (i = 0; i < 150; i++) {
		snprintf(day, sizeof(day), "%s{\"date\": \"2026-%02zu-%02zu\", "
		    "\"steps\": {\"interval_ms\": 60000, \"samples\": ",
		    i ? ", " : "", 1 + i / 28, 1 + i % 28);
		pf_buf_adds(&b, day);
		add_series(&b, 200, step_sample);
		pf_buf_adds(&b, "}}");
	}
	pf_buf_adds(&b, "]");
	assert_int_equal(same_rows(ST_ACTIVITY_SAMPLES, b.p, b.len), 150);
	pf_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chr),
		cmocka_unit_test(test_chr_stored_as_sent),
		cmocka_unit_test(test_malformed_element_fails_the_body),
		cmocka_unit_test(test_duplicate_key_is_left_whole),
		cmocka_unit_test(test_exercise_activity_ecg),
		cmocka_unit_test(test_many_medium_records),
	};

	pf_log_set_sink(sink);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
