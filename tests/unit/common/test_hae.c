#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "common/hae.h"

/* 2025-03-01T06:00:00Z */
#define T0	INT64_C(1740808800000)

static int
pd(const char *s, int64_t *ms, int *off, bool *has)
{
	return pf_hae_parse_date(s, strlen(s), ms, off, has);
}

static void
test_dates(void **state)
{
	int64_t	ms;
	int	off;
	bool	has;

	(void)state;
	assert_int_equal(pd("2025-03-01 07:00:00 +0100", &ms, &off, &has), 0);
	assert_true(ms == T0 && off == 60 && has);
	assert_int_equal(pd("2025-03-01T06:00:00Z", &ms, &off, &has), 0);
	assert_true(ms == T0 && off == 0 && has);
	assert_int_equal(pd("2025-03-01T07:00:00.500+01:00", &ms, &off, &has),
	    0);
	assert_true(ms == T0 + 500 && off == 60);
	/* 12-hour clocks: 12 AM is midnight, 12 PM noon */
	assert_int_equal(pd("2025-03-01 1:00:00 AM -0500", &ms, &off, &has),
	    0);
	assert_true(ms == T0 && off == -300);
	assert_int_equal(pd("2025-03-01 12:00:00 AM +0000", &ms, &off, &has),
	    0);
	assert_true(ms == T0 - 6 * 3600000);
	assert_int_equal(pd("2025-03-01 12:30:00 pm +0000", &ms, &off, &has),
	    0);
	assert_true(ms == T0 + 6 * 3600000 + 30 * 60000);
	/* no zone: UTC, said so */
	assert_int_equal(pd("2025-03-01 06:00:00", &ms, &off, &has), 0);
	assert_true(ms == T0 && !has);
	/* never "now": every malformed form fails */
	assert_int_equal(pd("2025-03-01", &ms, &off, &has), -1);
	assert_int_equal(pd("yesterday", &ms, &off, &has), -1);
	assert_int_equal(pd("2025-02-30 07:00:00 +0100", &ms, &off, &has), -1);
	assert_int_equal(pd("2025-03-01 13:00:00 PM +0000", &ms, &off, &has),
	    -1);
	assert_int_equal(pd("2025-03-01 07:00:00 +2500", &ms, &off, &has), -1);
	assert_int_equal(pd("", &ms, &off, &has), -1);
}

static void
test_units(void **state)
{
	const char	*si;
	double		 f, off;

	(void)state;
	assert_true(pf_hae_unit_si("count/min", &si, &f, &off));
	assert_string_equal(si, "1/s");
	assert_true(fabs(f - 1.0 / 60) < 1e-15);
	assert_true(pf_hae_unit_si("degF", &si, &f, &off));
	assert_true(fabs(212 * f + off - 373.15) < 1e-9);
	assert_true(pf_hae_unit_si("lb", &si, &f, &off));
	assert_string_equal(si, "kg");
	assert_false(pf_hae_unit_si("zorks", &si, &f, &off));
	assert_null(si);
	assert_false(pf_hae_unit_si(NULL, &si, &f, &off));
	assert_string_equal(pf_hae_hk_name(
	    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN"),
	    "heart_rate_variability");
	assert_null(pf_hae_hk_name("HKQuantityTypeIdentifierNope"));
	assert_true(pf_hae_metric_known("blood_glucose"));
	assert_false(pf_hae_metric_known("mystery"));
}

/* What the sink saw. */
struct seen {
	int	samples, nights, workouts, ecgs, events, errors;
	double	last_value, last_avg;
	char	last_metric[64], last_extra[128], last_reason[128];
	char	last_kind[32];
	int	last_index;
};

static int
on_sample(void *arg, const struct pf_hae_sample *s)
{
	struct seen	*w = arg;

	w->samples++;
	w->last_value = s->has_value ? s->value : NAN;
	w->last_avg = s->has_mma ? s->vavg : NAN;
	snprintf(w->last_metric, sizeof(w->last_metric), "%s", s->metric);
	snprintf(w->last_extra, sizeof(w->last_extra), "%s",
	    s->extra ? s->extra : "");
	return 0;
}

static int
on_night(void *arg, const struct pf_hae_night *n)
{
	struct seen	*w = arg;

	w->nights++;
	w->last_value = n->deep_s;
	return 0;
}

static int
on_workout(void *arg, json_t *item, int index)
{
	(void)item;
	(void)index;
	((struct seen *)arg)->workouts++;
	return 0;
}

static int
on_ecg(void *arg, json_t *item, int index)
{
	(void)item;
	(void)index;
	((struct seen *)arg)->ecgs++;
	return 0;
}

static int
on_event(void *arg, const char *kind, json_t *item, int index)
{
	struct seen	*w = arg;

	(void)item;
	(void)index;
	w->events++;
	snprintf(w->last_kind, sizeof(w->last_kind), "%s", kind);
	return 0;
}

static void
on_error(void *arg, const char *section, const char *metric, int index,
    const char *reason)
{
	struct seen	*w = arg;

	(void)section;
	(void)metric;
	w->errors++;
	w->last_index = index;
	snprintf(w->last_reason, sizeof(w->last_reason), "%s", reason);
}

/* Parses body fed in pieces of step bytes. */
static int
parse(const char *body, size_t step, struct seen *w)
{
	struct pf_hae_sink	 sink = { w, on_sample, on_night, on_workout,
	    on_ecg, on_event, on_error };
	struct pf_hae		*h;
	size_t			 len = strlen(body), off;
	int			 r = 0;

	memset(w, 0, sizeof(*w));
	h = pf_hae_new(&sink);
	assert_non_null(h);
	for (off = 0; off < len && r == 0; off += step)
		r = pf_hae_feed(h, body + off, len - off < step ? len - off :
		    step);
	if (r == 0)
		r = pf_hae_finish(h);
	pf_hae_free(h);
	return r;
}

static const char body[] =
    "{\"data\": {\"metrics\": ["
    "{\"name\": \"heart_rate\", \"units\": \"count/min\", \"data\": ["
    " {\"date\": \"2025-03-01 07:00:00 +0100\", \"Min\": 50, \"Avg\": 60,"
    "  \"Max\": 70, \"source\": \"Watch\"}]},"
    "{\"data\": [{\"date\": \"2025-03-01 07:00:00 +0100\", \"qty\": 3,"
    "  \"mealTime\": \"Before Meal\"}], \"units\": \"mg/dL\","
    " \"name\": \"blood_glucose\"},"
    "{\"name\": \"sleep_analysis\", \"units\": \"hr\", \"data\": ["
    " {\"date\": \"2025-03-01\", \"deep\": 1.5, \"totalSleep\": 7}]},"
    "{\"name\": \"step_count\", \"units\": \"count\", \"data\": ["
    " {\"date\": \"garbage\", \"qty\": 1}, {\"date\": "
    "  \"2025-03-01 07:00:00 +0100\", \"qty\": \"x\"}]}],"
    " \"ignored\": {\"deep\": [[[1]]]},"
    " \"workouts\": [{\"name\": \"Run\"}],"
    " \"ecg\": [{\"start\": \"x\"}],"
    " \"stateOfMind\": [{\"start\": \"y\"}, 5]}}";

static void
test_stream_any_split(void **state)
{
	struct seen	w;
	size_t		step;

	(void)state;
	/* byte by byte, odd pieces and whole: the same items */
	for (step = 1; step <= sizeof(body); step += step < 8 ? 1 : 97) {
		assert_int_equal(parse(body, step, &w), 0);
		assert_int_equal(w.samples, 2);
		assert_int_equal(w.nights, 1);
		assert_int_equal(w.workouts, 1);
		assert_int_equal(w.ecgs, 1);
		assert_int_equal(w.events, 1);
		assert_string_equal(w.last_kind, "stateOfMind");
		/* two bad points, one item that is not an object */
		assert_int_equal(w.errors, 3);
	}
	assert_true(fabs(w.last_value - 1.5 * 3600) < 1e-9);
}

static void
test_points_before_name_and_extras(void **state)
{
	struct seen	w;

	(void)state;
	assert_int_equal(parse("{\"data\": {\"metrics\": [{\"data\": ["
	    "{\"date\": \"2025-03-01T06:00:00Z\", \"qty\": 104, \"mealTime\":"
	    " \"After Meal\"}], \"units\": \"mg/dL\", \"name\":"
	    " \"blood_glucose\"}]}}", 4096, &w), 0);
	assert_int_equal(w.samples, 1);
	assert_string_equal(w.last_metric, "blood_glucose");
	assert_true(fabs(w.last_value - 1.04) < 1e-12);
	assert_string_equal(w.last_extra, "{\"mealTime\":\"After Meal\"}");
	assert_int_equal(parse("{\"data\": {\"metrics\": [{\"name\":"
	    " \"heart_rate\", \"units\": \"count/min\", \"data\": ["
	    "{\"date\": \"2025-03-01T06:00:00Z\", \"Min\": 60, \"Avg\": 90,"
	    " \"Max\": 120}]}]}}", 7, &w), 0);
	assert_true(fabs(w.last_avg - 1.5) < 1e-12);
	assert_true(fabs(w.last_value - 1.5) < 1e-12);
	assert_string_equal(w.last_extra, "");
}

static void
test_bad_bodies(void **state)
{
	struct seen	w;

	(void)state;
	assert_int_equal(parse("{\"data\": {\"metrics\": [", 3, &w), -1);
	assert_int_equal(parse("not json", 3, &w), -1);
	assert_int_equal(parse("", 3, &w), -1);	/* no JSON at all */
	assert_int_equal(w.samples + w.errors, 0);
	assert_int_equal(parse("[1, 2, {\"data\": 3}]", 2, &w), 0);
	assert_int_equal(w.samples + w.errors, 0);
	assert_int_equal(parse("{\"data\": {\"metrics\": [{\"name\": \"x\","
	    " \"data\": [{\"qty\": 1}]}]}}", 5, &w), 0);
	assert_int_equal(w.errors, 1);
	assert_string_equal(w.last_reason, "missing date");
	assert_int_equal(w.last_index, 0);
	/* names are bounded: a longer one is an error, never stored */
	{
		char	big[600];

		snprintf(big, sizeof(big), "{\"data\": {\"metrics\": [{"
		    "\"name\": \"%0200d\", \"data\": [{\"date\":"
		    " \"2025-03-01T06:00:00Z\", \"qty\": 1}]}], \"%0200d\":"
		    " [{}]}}", 0, 0);
		assert_int_equal(parse(big, 64, &w), 0);
		assert_int_equal(w.samples + w.events, 0);
		assert_int_equal(w.errors, 2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_stream_any_split),
		cmocka_unit_test(test_points_before_name_and_extras),
		cmocka_unit_test(test_bad_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
