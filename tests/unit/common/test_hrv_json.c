/*
 * test_hrv_json.c -- common/hrv_json.c: a result as stored JSON (valid
 * JSON, undefined metrics null, the compatible keys and groups), the
 * float8[] literal, validity and the morning tag list.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/hrv.h"

#define N	120

static struct pf_hrv_result	res;
static void			*ws;

static int
setup(void **state)
{
	struct pf_hrv_opts	o;
	double			rr[N];
	size_t			i, sz;

	(void)state;
	for (i = 0; i < N; i++)
		rr[i] = 900 + 30 * sin(2 * M_PI * (double)i / 4.4);
	rr[50] -= 300;
	rr[51] += 300;
	pf_hrv_opts_default(&o);
	sz = pf_hrv_workspace_size(N, &o);
	ws = malloc(sz);
	return pf_hrv_analyze(rr, N, &o, ws, sz, &res);
}

static int
teardown(void **state)
{
	(void)state;
	free(ws);
	return 0;
}

static json_t *
load(const struct pf_buf *b)
{
	json_error_t	 e;
	json_t		*j = json_loadb(b->p, b->len, 0, &e);

	if (j == NULL) {
		print_error("%s: %s\n", e.text, b->p);
		fail();
	}
	return j;
}

static void
test_result_document(void **state)
{
	struct pf_buf	 b = PF_BUF_INIT;
	json_t		*j, *m, *c;

	(void)state;
	pf_hrv_json_result(&res, PF_HRV_ART_AUTO, false, &b);
	j = load(&b);
	assert_int_equal(json_integer_value(json_object_get(j,
	    "algo_version")), PF_HRV_ALGO_VERSION);
	m = json_object_get(j, "metrics");
	assert_true(fabs(json_number_value(json_object_get(m, "rmssd")) -
	    res.rmssd) < 1e-9 * res.rmssd);
	/* 2 minutes: no DFA alpha2 (needs 128 beats): null, and warned */
	assert_true(json_is_null(json_object_get(m, "dfa_a2")));
	assert_non_null(strstr(b.p, "\"no_dfa_alpha2\""));
	assert_true(json_array_size(json_object_get(m, "corrected")) >= 1);
	c = json_object_get(json_object_get(j, "compat"), "metrics");
	assert_int_equal(json_integer_value(json_object_get(c, "rr_count")),
	    (json_int_t)res.n_nn);
	assert_true(json_is_false(json_object_get(c, "motionArtifacts")));
	assert_string_equal(json_string_value(json_object_get(c,
	    "filter_method")), "auto");
	assert_int_equal(json_object_size(json_object_get(json_object_get(j,
	    "compat"), "indexes")), pf_hrv_ngroups);
	assert_true(json_is_true(json_object_get(j, "valid")));
	json_decref(j);
	pf_buf_free(&b);

	pf_hrv_json_result(&res, PF_HRV_ART_AUTO, true, &b);
	j = load(&b);
	assert_true(json_is_false(json_object_get(j, "valid")));
	assert_non_null(strstr(json_string_value(json_object_get(j,
	    "reason")), "motion"));
	json_decref(j);
	pf_buf_free(&b);
}

static void
test_pg_array_and_tags(void **state)
{
	struct pf_buf	b = PF_BUF_INIT;
	double		x[3] = { 800, 812.25, 0.1 };

	(void)state;
	pf_hrv_pg_array(x, 3, &b);
	assert_string_equal(b.p, "{800,812.25,0.10000000000000001}");
	pf_buf_free(&b);
	assert_true(pf_hrv_tag_listed("wake check", "Rest, Wake Check ,x"));
	assert_true(pf_hrv_tag_listed("REST", "Rest,Wake Check"));
	assert_false(pf_hrv_tag_listed("Wake", "Rest,Wake Check"));
	assert_false(pf_hrv_tag_listed("Rest", ""));
	assert_string_equal(pf_hrv_quality_label(0.99), "excellent");
	assert_string_equal(pf_hrv_quality_label(0.9), "acceptable");
	assert_string_equal(pf_hrv_quality_label(0.7), "borderline");
	assert_string_equal(pf_hrv_quality_label(0.6), "poor");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_document),
		cmocka_unit_test(test_pg_array_and_tags),
	};

	return cmocka_run_group_tests_name("common_hrv_json", tests, setup,
	    teardown);
}
