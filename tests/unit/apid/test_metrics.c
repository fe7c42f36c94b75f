/*
 * test_metrics.c -- apid/metrics.c: the Prometheus text.
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
test_metrics_text(void **state)
{
	struct apid_metrics	*m = calloc(1, sizeof(*m));
	struct pf_buf		 b;

	(void)state;
	metrics_observe(m, 4, 200, 800);
	metrics_observe(m, 4, 200, 3000);
	metrics_observe(m, 4, 418, 10);
	metrics_observe(m, -1, 404, 10);
	pf_buf_init(&b);
	metrics_render(m, &b);
	assert_non_null(strstr(b.p, "route=\"/api/v1/users/{user_id}/sleep\","
	    "status=\"200\"} 2\n"));
	assert_non_null(strstr(b.p, "status=\"other\"} 1\n"));
	assert_non_null(strstr(b.p, "route=\"unmatched\",status=\"404\"} 1"));
	assert_non_null(strstr(b.p, "_bucket{le=\"0.001\"} 3\n"));
	assert_non_null(strstr(b.p, "_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(b.p, "apid_request_duration_seconds_count 4\n"));
	/* every route is listed, used or not */
	assert_non_null(strstr(b.p, "route=\"/api/v1/users/{user_id}/status\""));
	pf_buf_free(&b);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_text),
	};

	return cmocka_run_group_tests_name("apid_metrics", tests, NULL, NULL);
}
