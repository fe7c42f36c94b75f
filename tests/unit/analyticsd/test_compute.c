/*
 * compute.c, doc.c and the event validation of ctl.c, without a database:
 * the documents and daily rows of one user, data.changed checks.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"

#include "analyticsd/analyticsd.h"

#define TODAY	20400

static void
fill_user(struct user_input *in, int ndays)
{
	int	i;

	memset(in, 0, sizeof(*in));
	snprintf(in->user_id, sizeof(in->user_id), "u1");
	in->today = TODAY;
	in->now_ms = (int64_t)TODAY * 86400000 + 3600000;
	in->sleep_goal_profile = NAN;
	in->dirty_from = AD_DAY_ALL;
	for (i = ndays - 1; i >= 0; i--) {
		int32_t	d = TODAY - i;

		series_push(&in->sleep_score, d, 70 + i % 9);
		series_push(&in->sleep_total, d, 25200 + 60 * (i % 7));
		series_push(&in->bedtime, d, 630 + 5 * (i % 4));
		series_push(&in->rc_hrv, d, 45 + i % 6);
		series_push(&in->rc_rhr, d, 52 + i % 3);
		series_push(&in->rc_ans, d, (i % 5) - 2);
		series_push(&in->steps, d, 8000 + 100 * (i % 11));
		series_push(&in->cal_active, d, 400 + i % 13);
		series_push(&in->cl_load, d, i % 3 ? 60 + i % 17 : NAN);
		series_push(&in->cl_ratio, d, 1.0 + (i % 4) / 10.0);
	}
}

static size_t
count_metric(const struct result *r, const char *m)
{
	size_t	i, n = 0;

	for (i = 0; i < r->ndaily; i++)
		if (strcmp(r->daily[i].metric, m) == 0)
			n++;
	return n;
}

static void
test_compute_user(void **state)
{
	struct user_input	 in;
	struct result		 res;
	json_t			*docs, *doc, *x;
	int			 i;

	(void)state;
	fill_user(&in, 60);
	result_init(&res);
	assert_int_equal(compute_user(&in, 1.0, &res), PF_OK);
	assert_int_equal(res.npat, AD_NPATTERNS);
	assert_string_equal(res.pat[0].name, "sleep_hrv_correlation");
	assert_string_equal(res.pat[1].name, "overtraining_risk");
	assert_string_equal(res.pat[6].name, "recovery_readiness");
	assert_int_equal(res.base[BASELINE_HRV_RMSSD].status, BASELINE_READY);
	assert_int_equal(res.base[BASELINE_TRAINING_LOAD].sample_count, 40);
	assert_string_equal(res.computed_at, "2025-11-08T01:00:00.000Z");

	/* every day from the first sample on */
	assert_int_equal(count_metric(&res, "rolling_means"), 60);
	assert_int_equal(count_metric(&res, "hrv_band"), 60);
	assert_int_equal(count_metric(&res, "sleep_debt"), 60);
	assert_int_equal(count_metric(&res, "sleep_consistency"), 56);
	assert_int_equal(count_metric(&res, "resting_hr_continuous"), 0);

	docs = doc_all(&res);
	doc = json_object_get(docs, "insights");
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc,
	    "data_age_days")), 60);
	assert_string_equal(json_string_value(json_object_get(doc, "status")),
	    "ready");
	assert_int_equal(json_array_size(json_object_get(doc, "patterns")), 4);
	x = json_object_get(json_object_get(doc, "baselines"), "resting_hr");
	assert_true(json_is_null(json_object_get(x, "trend_days")));
	doc = json_object_get(docs, "status");
	assert_int_equal(json_integer_value(json_object_get(doc,
	    "min_data_days")), 60);
	doc = json_object_get(docs, "recovery");
	assert_non_null(json_object_get(doc, "components"));
	assert_string_equal(json_string_value(json_object_get(doc, "day")),
	    "2025-11-08");
	x = json_object_get(doc, "weights");
	assert_true(json_real_value(json_object_get(x, "hrv")) == 0.40);
	assert_non_null(json_object_get(docs, "anomalies"));
	json_decref(docs);
	result_cleanup(&res);

	/* only the dirty days are rewritten */
	in.dirty_from = TODAY - 1;
	result_init(&res);
	assert_int_equal(compute_user(&in, 1.0, &res), PF_OK);
	assert_int_equal(count_metric(&res, "rolling_means"), 2);
	for (i = 0; i < (int)res.ndaily; i++)
		assert_true(res.daily[i].day >= TODAY - 1);
	result_cleanup(&res);
	user_input_cleanup(&in);

	/* a user without data: documents, no rows, nothing NaN in JSON */
	fill_user(&in, 0);
	result_init(&res);
	assert_int_equal(compute_user(&in, 0.5, &res), PF_OK);
	assert_int_equal(res.ndaily, 0);
	assert_int_equal(res.base[BASELINE_STEPS].status,
	    BASELINE_INSUFFICIENT);
	docs = doc_all(&res);
	doc = json_object_get(docs, "insights");
	assert_true(json_is_null(json_object_get(doc, "data_freshness")));
	assert_string_equal(json_string_value(json_object_get(doc, "status")),
	    "unavailable");
	json_decref(docs);
	result_cleanup(&res);
	user_input_cleanup(&in);

	/* the documents of no user: the status of a user without data */
	result_init(&res);
	compute_defaults(TODAY, &res);
	docs = doc_defaults(&res);
	assert_int_equal(json_object_size(docs), 1);
	doc = json_object_get(docs, "status");
	assert_string_equal(json_string_value(json_object_get(doc, "user_id")),
	    "");
	assert_int_equal(json_integer_value(json_object_get(doc,
	    "min_data_days")), 0);
	x = json_object_get(json_object_get(doc, "unlock_progress"),
	    "basic_stats");
	assert_int_equal(json_integer_value(json_object_get(x,
	    "days_remaining")), UNLOCK_BASIC_DAYS);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(doc, "recommendations"), 0)),
	    "Keep syncing! 7 more days until basic statistics unlock.");
	json_decref(docs);
	result_cleanup(&res);
}

static void
check_event(const char *text, int want)
{
	json_t	*ev;

	assert_int_equal(pf_json_parse(text, strlen(text), 0, &ev, NULL, 0),
	    PF_OK);
	assert_int_equal(ctl_event(ev, 0), want);
	json_decref(ev);
}

static void
test_event_validation(void **state)
{
	int64_t	acc, drop;

	(void)state;
	jobs_init();
	check_event("{\"v\":1,\"type\":\"data.changed\",\"user_id\":\"u-1\","
	    "\"sync_id\":\"s\",\"streams\":[\"sleep\"],\"first_day\":"
	    "\"2026-01-01\",\"last_day\":\"2026-01-02\"}", PF_OK);
	check_event("{\"v\":1,\"type\":\"data.changed\",\"user_id\":\"u-1\"}",
	    PF_OK);
	assert_int_equal(jobs_queued(), 1);	/* coalesced */
	check_event("{\"v\":1,\"type\":\"sync.done\"}", PF_OK);
	check_event("{\"v\":1,\"type\":\"data.changed\",\"user_id\":\"a b\"}",
	    PF_ERR_PROTO);
	check_event("{\"v\":1,\"type\":\"data.changed\",\"user_id\":1}",
	    PF_ERR_PROTO);
	check_event("{\"v\":1,\"type\":\"data.changed\"}", PF_ERR_PROTO);
	check_event("{\"v\":2,\"type\":\"data.changed\",\"user_id\":\"x\"}",
	    PF_ERR_PROTO);
	check_event("{\"v\":1,\"type\":\"data.changed\",\"user_id\":\"x\","
	    "\"streams\":[1]}", PF_ERR_PROTO);
	check_event("{\"v\":1,\"type\":\"data.changed\",\"user_id\":\"x\","
	    "\"first_day\":\"2026-02-30\"}", PF_ERR_PROTO);
	check_event("{\"v\":1,\"type\":\"data.changed\",\"user_id\":\"x\","
	    "\"first_day\":\"2026-02-03\",\"last_day\":\"2026-02-01\"}",
	    PF_ERR_PROTO);
	check_event("{\"v\":1,\"type\":\"data.changed\",\"user_id\":\"x\","
	    "\"sync_id\":5}", PF_ERR_PROTO);
	assert_int_equal(jobs_queued(), 1);
	jobs_event_counts(&acc, &drop);
	assert_int_equal(acc, 2);
	assert_int_equal(drop, 8);
	assert_true(jobs_next_timeout(0) > 0);	/* coalescing window */
	assert_int_equal(jobs_next_timeout(AD_COALESCE_MS), 0);
	jobs_cleanup();
	assert_int_equal(jobs_next_timeout(0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute_user),
		cmocka_unit_test(test_event_validation),
	};

	return cmocka_run_group_tests_name("compute", tests, NULL, NULL);
}
