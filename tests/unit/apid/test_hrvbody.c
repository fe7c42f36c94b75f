/*
 * test_hrvbody.c -- apid/hrvbody.c: a posted HRV session's body in both
 * spellings, and every refusal naming its field and rule; path captures
 * as text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"

#include "apid/apid.h"

/* A body with n intervals of 800 ms and extra fields (JSON text). */
static char *
body(const char *rrkey, int n, const char *extra)
{
	struct pf_buf	b = PF_BUF_INIT;
	int		i;

	pf_buf_addf(&b, "{\"%s\":[", rrkey);
	for (i = 0; i < n; i++)
		pf_buf_addf(&b, "%s%d", i ? "," : "", 800 + i % 7);
	pf_buf_addf(&b, "]%s}", extra);
	return b.p;
}

static int
parse(const char *s, bool compat, size_t max, struct hrv_body *hb,
    char *err, size_t errlen)
{
	return hrv_body_parse(s, strlen(s), compat, max, "Rest, wake check",
	    hb, err, errlen);
}

static void
test_native_ok(void **state)
{
	struct hrv_body	 hb;
	char		 err[300];
	char		*s = body("rr_intervals", 40,
		    ",\"recorded_at\":\"2025-03-26T06:30:00+02:00\","
		    "\"recording_id\":\"n-1\",\"tags\":[\"Rest\",\"AM\"],"
		    "\"device\":{\"model\":\"H10\"},\"heart_rate\":61,"
		    "\"motion_artifacts\":false");

	(void)state;
	assert_int_equal(parse(s, false, 100, &hb, err, sizeof(err)), 0);
	assert_int_equal(hb.n, 40);
	assert_true(hb.rr[1] == 801.0);
	assert_string_equal(hb.recording_id, "n-1");
	assert_string_equal(hb.recorded_at, "2025-03-26T04:30:00.000Z");
	assert_int_equal(hb.heart_rate, 61);
	assert_false(hb.motion);
	assert_true(hb.feeds);	/* "Rest" is a morning tag */
	assert_non_null(strstr(hb.meta, "\"tags\":[\"Rest\",\"AM\"]"));
	assert_non_null(strstr(hb.meta, "\"device\":{\"model\":\"H10\"}"));
	assert_null(strstr(hb.meta, "client_user"));
	hrv_body_free(&hb);
	free(s);
}

static void
test_compat_ok(void **state)
{
	struct hrv_body	 hb;
	char		 err[300];
	char		*s = body("rrIntervals", 50,
		    ",\"timestamp\":\"2025-03-25T23:10:00\","
		    "\"recordingSessionId\":\"s-1\",\"user_id\":\"a@b.c\","
		    "\"heartRate\":null,\"motionArtifacts\":true");

	(void)state;
	assert_int_equal(parse(s, true, 100, &hb, err, sizeof(err)), 0);
	assert_string_equal(hb.client_user, "a@b.c");
	/* no zone: UTC */
	assert_string_equal(hb.recorded_at, "2025-03-25T23:10:00.000Z");
	assert_int_equal(hb.heart_rate, -1);
	assert_true(hb.motion);
	assert_false(hb.feeds);
	assert_non_null(strstr(hb.meta, "\"client_user\":\"a@b.c\""));
	hrv_body_free(&hb);
	free(s);
}

struct bad {
	const char	*extra;
	int		 n;
	const char	*want;
};

static void
test_refusals(void **state)
{
	static const struct bad bads[] = {
		{ "", 40, "recorded_at is required" },
		{ ",\"recorded_at\":\"now\"", 40, "recorded_at is not an ISO" },
		{ ",\"recorded_at\":17", 40, "must be an ISO 8601 date-time" },
		{ ",\"recorded_at\":\"2025-01-01T00:00:00Z\"", 29,
		    "has 29 intervals; at least 30 are needed" },
		{ ",\"recorded_at\":\"2025-01-01T00:00:00Z\"", 101,
		    "has 101 intervals; at most 100 are accepted" },
		{ ",\"recorded_at\":\"2025-01-01T00:00:00Z\",\"tags\":[1]", 40,
		    "tags[0] must be a string" },
		{ ",\"recorded_at\":\"2025-01-01T00:00:00Z\","
		  "\"heart_rate\":400", 40, "heart_rate must be a whole" },
		{ ",\"recorded_at\":\"2025-01-01T00:00:00Z\","
		  "\"recording_id\":\"\"", 40,
		  "recording_id must be 1 to 200" },
		{ ",\"recorded_at\":\"2025-01-01T00:00:00Z\","
		  "\"recording_id\":\"a\\nb\"", 40, "without control" },
	};
	struct hrv_body	hb;
	char		err[300], *s;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		s = body("rr_intervals", bads[i].n, bads[i].extra);
		err[0] = '\0';
		assert_int_equal(parse(s, false, 100, &hb, err, sizeof(err)),
		    -1);
		if (strstr(err, bads[i].want) == NULL) {
			print_error("%zu: \"%s\" lacks \"%s\"\n", i, err,
			    bads[i].want);
			fail();
		}
		free(s);
	}
	assert_int_equal(parse("{\"rr_intervals\":[800,150,800],"
	    "\"recorded_at\":\"2025-01-01T00:00:00Z\"}", false, 100, &hb, err,
	    sizeof(err)), -1);	/* too few is checked first */
	assert_non_null(strstr(err, "at least 30"));
	s = body("rr_intervals", 40, ",\"x\":1");
	/* "802,803" -> "802 803" */
	s[strlen("{\"rr_intervals\":[800,801,802")] = ' ';
	assert_int_equal(parse(s, false, 100, &hb, err, sizeof(err)), -1);
	free(s);
	assert_int_equal(parse("{\"rr_intervals\":[800,801]", false, 100,
	    &hb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not valid JSON"));
	assert_int_equal(parse("[]", false, 100, &hb, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "must be a JSON object"));
	assert_int_equal(hrv_body_parse("", 0, true, 100, NULL, &hb, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	/* compat: its own names */
	s = body("rrIntervals", 40, ",\"timestamp\":\"2025-01-01T00:00:00Z\"");
	assert_int_equal(parse(s, true, 100, &hb, err, sizeof(err)), -1);
	assert_string_equal(err, "recordingSessionId is required");
	free(s);
}

static void
test_out_of_range_values(void **state)
{
	struct hrv_body	 hb;
	char		 err[300];
	char		*s = body("rr_intervals", 40,
		    ",\"recorded_at\":\"2025-01-01T00:00:00Z\"");
	char		*p = strstr(s, "803");

	(void)state;
	memcpy(p, "199", 3);
	assert_int_equal(parse(s, false, 100, &hb, err, sizeof(err)), -1);
	assert_string_equal(err, "rr_intervals[3] = 199 ms is outside "
	    "200-3000 ms");
	memcpy(p, "\"3\"", 3);
	assert_int_equal(parse(s, false, 100, &hb, err, sizeof(err)), -1);
	assert_string_equal(err, "rr_intervals[3] is not a number");
	memcpy(p, "200", 3);
	assert_int_equal(parse(s, false, 100, &hb, err, sizeof(err)), 0);
	hrv_body_free(&hb);
	free(s);
}

static void
test_path_text(void **state)
{
	char			out[16];
	struct apid_span	v;

	(void)state;
	v.p = "Wake%20Check";
	v.len = strlen(v.p);
	assert_int_equal(hrv_path_text(&v, 15, out, sizeof(out)), 0);
	assert_string_equal(out, "Wake Check");
	v.p = "a%0Ab";
	v.len = strlen(v.p);
	assert_int_equal(hrv_path_text(&v, 15, out, sizeof(out)), -1);
	v.p = "a%2";
	v.len = strlen(v.p);
	assert_int_equal(hrv_path_text(&v, 15, out, sizeof(out)), -1);
	v.p = "0123456789abcdefg";
	v.len = strlen(v.p);
	assert_int_equal(hrv_path_text(&v, 15, out, sizeof(out)), -1);
	v.len = 0;
	assert_int_equal(hrv_path_text(&v, 15, out, sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_ok),
		cmocka_unit_test(test_compat_ok),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_out_of_range_values),
		cmocka_unit_test(test_path_text),
	};

	return cmocka_run_group_tests_name("apid_hrvbody", tests, NULL, NULL);
}
