/*
 * test_route.c -- apid/route.c: the matcher and the route table, whose
 * rows carry their statement and their behaviour flags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apid/apid.h"

static int
find(const char *method, const char *path)
{
	struct apid_match	m;

	return route_match(method, path, &m);
}

static void
test_route_match(void **state)
{
	struct apid_match	m;
	int			i;

	(void)state;
	i = route_match("GET", "/api/v1/users/u-1/sleep/2026-01-02", &m);
	assert_true(i >= 0);
	assert_string_equal(apid_routes[i].path,
	    "/api/v1/users/{user_id}/sleep/{sleep_date}");
	assert_int_equal(m.ncap, 2);
	assert_int_equal(m.cap[0].len, 3);
	assert_memory_equal(m.cap[0].p, "u-1", 3);
	assert_memory_equal(m.capname[1], "sleep_date", m.capnamelen[1]);
	assert_int_equal(m.capnamelen[1], strlen("sleep_date"));

	assert_int_equal(find("GET", "/nope"), -1);
	/* HEAD is served wherever GET is. */
	assert_int_equal(find("HEAD", "/health"), find("GET", "/health"));
	assert_int_equal(find("HEAD", "/api/v1/users/u/sync/trigger"), -2);
	{
		char	allow[48];

		assert_int_equal(route_allow("/health", allow, sizeof(allow)),
		    1);
		assert_string_equal(allow, "GET, HEAD, OPTIONS");
		assert_true(route_allow("/api/v1/users/u/sync/trigger", allow,
		    sizeof(allow)) >= 1);
		assert_string_equal(allow, "POST, OPTIONS");
		assert_int_equal(route_allow("/api/v1/users/u/hrv/sessions/x",
		    allow, sizeof(allow)), 2);
		assert_string_equal(allow, "GET, HEAD, DELETE, OPTIONS");
		assert_int_equal(route_allow("/api/v1/users/u/hrv/sessions",
		    allow, sizeof(allow)), 2);
		assert_string_equal(allow, "GET, HEAD, POST, OPTIONS");
		assert_int_equal(route_allow("/nope", allow, sizeof(allow)), 0);
		/* a GET that changes state takes no HEAD */
		assert_int_equal(find("HEAD", "/oauth/start"), -2);
		assert_true(find("GET", "/oauth/start") >= 0);
		assert_int_equal(route_allow("/oauth/callback", allow,
		    sizeof(allow)), 1);
		assert_string_equal(allow, "GET, OPTIONS");
	}
	assert_int_equal(find("GET", "/api/v1/users//sleep"), -1);
	assert_int_equal(find("GET", "/api/v1/users/u/sleep/"), -1);
	assert_int_equal(find("GET", "/health/x"), -1);
	assert_int_equal(find("POST", "/health"), -2);
	assert_int_equal(find("DELETE", "/api/v1/users/u/sleep"), -2);
	/* literal segments win by order: calculate is POST, not a metric */
	i = find("POST", "/api/v1/users/u/baselines/calculate");
	assert_true(i >= 0);
	assert_int_equal(apid_routes[i].kind, APID_K_RECOMPUTE);
	i = find("GET", "/api/v1/users/u/baselines/check/hrv_rmssd/1.5");
	assert_true(i >= 0);
	assert_true(strstr(apid_routes[i].path, "/check/") != NULL);
}

#define U	"/api/v1/users/{user_id}"

/*
 * Which statement serves which route, written out apart from the table
 * so that a row pointing at its neighbour's statement fails.
 */
static const struct {
	const char	*method;
	const char	*path;
	const char	*sql;
} want_sql[] = {
	{ "GET", "/ready", store_sql_ready },
	{ "GET", U "/sleep", store_sql_sleep_list },
	{ "GET", U "/sleep/{sleep_date}", store_sql_sleep_day },
	{ "GET", U "/activity", store_sql_activity_list },
	{ "GET", U "/activity/{target_date}", store_sql_activity_day },
	{ "GET", U "/recharge", store_sql_recharge_list },
	{ "GET", U "/physical-info", store_sql_physical_info },
	{ "GET", U "/cardio-load", store_sql_cardio_list },
	{ "GET", U "/heart-rate", store_sql_hr_list },
	{ "GET", U "/heart-rate/{target_date}/samples", store_sql_hr_samples },
	{ "GET", U "/exercises", store_sql_exercise_list },
	{ "GET", U "/exercises/{exercise_id}", store_sql_exercise_one },
	{ "GET", U "/exercises/{exercise_id}/samples",
	    store_sql_exercise_samples },
	{ "GET", U "/exercises/{exercise_id}/route", store_sql_exercise_route },
	{ "GET", U "/sleepwise/alertness", store_sql_alertness_list },
	{ "GET", U "/sleepwise/bedtime", store_sql_bedtime_list },
	{ "GET", U "/activity-samples", store_sql_actsamples_list },
	{ "GET", U "/activity-samples/{target_date}", store_sql_actsamples_day },
	{ "GET", U "/spo2", store_sql_spo2_list },
	{ "GET", U "/ecg", store_sql_ecg_list },
	{ "GET", U "/ecg/{ecg_id}", store_sql_ecg_one },
	{ "GET", U "/temperature/body", store_sql_bodytemp_list },
	{ "GET", U "/temperature/skin", store_sql_skintemp_list },
	{ "GET", U "/export/summary", store_sql_export_summary },
	{ "GET", U "/export/sleep.csv", store_sql_csv_sleep },
	{ "GET", U "/export/activity.csv", store_sql_csv_activity },
	{ "GET", U "/export/recharge.csv", store_sql_csv_recharge },
	{ "GET", U "/export/cardio-load.csv", store_sql_csv_cardio },
	{ "POST", U "/sync/trigger", store_sql_sync_user },
	{ "GET", U "/baselines", store_sql_baselines },
	{ "POST", U "/baselines/calculate", store_sql_baselines_calculated },
	{ "GET", U "/baselines/check/{metric_name}/{value}",
	    store_sql_baseline_check },
	{ "GET", U "/baselines/{metric_name}", store_sql_baseline_one },
	{ "GET", U "/analytics/status", store_sql_analytics_status },
	{ "GET", U "/patterns", store_sql_patterns },
	{ "POST", U "/patterns/detect", store_sql_patterns_detected },
	{ "GET", U "/patterns/{pattern_name}", store_sql_pattern_one },
	{ "GET", U "/anomalies", store_sql_anomalies },
	{ "GET", U "/insights", store_sql_insights },
	{ "GET", U "/analytics/daily/{metric}", store_sql_daily },
	{ "GET", U "/analytics/alerts", store_sql_alerts },
	{ "GET", U "/analytics/documents/{kind}", store_sql_document },
	{ "POST", U "/api-key/regenerate", store_sql_key_regen },
	{ "POST", U "/api-key/revoke", store_sql_key_revoke },
	{ "GET", U "/api-key/info", store_sql_key_info },
	{ "GET", U "/sync/status", store_sql_sync_status },
	{ "GET", U "/status", store_sql_user_status },
	{ "DELETE", "/api/v1/users/{user_id}", store_sql_sync_user },
	{ "GET", U "/export", store_sql_user_export },
	{ "POST", U "/hrv/sessions", store_sql_hrv_post },
	{ "GET", U "/hrv/sessions", store_sql_hrv_list },
	{ "GET", U "/hrv/sessions/{session_id}", store_sql_hrv_one },
	{ "DELETE", U "/hrv/sessions/{session_id}", store_sql_hrv_delete },
	{ "POST", "/api/hrv/session", store_sql_hrv_compat_post },
	{ "GET", "/api/hrv/sessions/user/{hrv_user_id}",
	    store_sql_hrv_compat_user },
	{ "GET", "/api/hrv/sessions/tag/{tag_name}", store_sql_hrv_compat_tag },
	{ "GET", "/api/hrv/session/{recording_session_id}",
	    store_sql_hrv_compat_one },
	{ "GET", U "/health/metrics", store_sql_health_metrics },
	{ "GET", U "/health/workouts", store_sql_health_workouts },
	{ "POST", "/api/v1/webhooks", store_sql_webhook_add },
	{ "GET", "/api/v1/webhooks", store_sql_webhook_list },
	{ "DELETE", "/api/v1/webhooks/{webhook_id}", store_sql_webhook_delete },
	{ "GET", "/api/v1/webhooks/{webhook_id}/deliveries",
	    store_sql_webhook_deliveries },
};

static const char *
want_sql_of(const struct apid_route *r)
{
	size_t	i;

	for (i = 0; i < sizeof(want_sql) / sizeof(want_sql[0]); i++)
		if (strcmp(want_sql[i].method, r->method) == 0 &&
		    strcmp(want_sql[i].path, r->path) == 0)
			return want_sql[i].sql;
	return NULL;
}

/* The highest $n of a statement: the parameters it expects. */
static int
placeholders(const char *sql)
{
	const char	*p;
	int		 n, max = 0;

	for (p = strchr(sql, '$'); p != NULL; p = strchr(p + 1, '$'))
		if ((n = atoi(p + 1)) > max)
			max = n;
	return max;
}

static int
captures(const char *path)
{
	int	n = 0;

	for (; *path != '\0'; path++)
		n += *path == '{';
	return n;
}

/*
 * What serve.c binds: the captures, the calling key and its quota left,
 * "days", the new key's hash+prefix; hrv.c: a POST's five (the user,
 * then the recording id, metadata, series and result), a list's query,
 * the compatible routes' calling user and paging, the ?rr flag.
 * the health reads' name/from/to/agg, "days", the new key's hash+prefix.
 */
static int
bound(const struct apid_route *r)
{
	switch (r->kind) {
	case APID_K_HRV_POST:
	case APID_K_HRV_LIST:
		return 6;
	case APID_K_HRV_PAGE:
		return 4;
	case APID_K_WEBHOOK_ADD:	/* the caller, then the body's four */
		return 6;
	case APID_K_HRV_ONE:
		return (r->flags & APID_R_NOUSER) ? 2 : 3;
	}
	return captures(r->path) + ((r->flags & APID_R_BIND_DAYS) ? 1 : 0) +
	    ((r->flags & APID_R_HEALTH_Q) ? 4 : 0) +
	    ((r->flags & APID_R_BIND_CALLER) ? 2 : 0) +
	    (r->kind == APID_K_KEY_REGEN ? 2 : 0);
}

static void
test_route_table_is_consistent(void **state)
{
	size_t	i, j, nsql = 0;

	(void)state;
	assert_true(apid_nroutes <= APID_MAX_ROUTES);
	for (i = 0; i < apid_nroutes; i++) {
		const struct apid_route *r = &apid_routes[i];

		assert_ptr_equal(r->sql, want_sql_of(r));
		if (r->sql != NULL) {
			nsql++;
			assert_int_equal(placeholders(r->sql), bound(r));
		}
		assert_int_equal(r->csv_name != NULL, r->kind == APID_K_CSV);
		if (r->flags & APID_R_CACHE)
			assert_true(r->kind == APID_K_SQL ||
			    r->kind == APID_K_CSV);
		if (r->flags & APID_R_BIND_DAYS)
			assert_true(r->flags & APID_R_DAYS);
		if (r->flags & APID_R_DAYS) {
			assert_true(r->days_min >= 1);
			assert_true(r->days_min <= r->days_max);
			assert_true(r->days_def == 0 ||
			    (r->days_def >= r->days_min &&
			    r->days_def <= r->days_max));
		} else
			assert_int_equal(r->days_def, 0);
		if (strncmp(r->path, U "/", strlen(U "/")) == 0)
			assert_true(r->flags & APID_R_AUTH);
		for (j = 0; j < i; j++)
			assert_false(strcmp(r->path, apid_routes[j].path) == 0
			    && strcmp(r->method, apid_routes[j].method) == 0);
	}
	assert_int_equal(nsql, sizeof(want_sql) / sizeof(want_sql[0]));
}

/* The statements that bind captures plus days, counted on their own. */
static void
test_placeholders(void **state)
{
	(void)state;
	assert_int_equal(placeholders(store_sql_sleep_list), 2);
	assert_int_equal(placeholders(store_sql_sleep_day), 2);
	assert_int_equal(placeholders(store_sql_key_regen), 3);
	assert_int_equal(placeholders(store_sql_ready), 0);
	assert_int_equal(placeholders("SELECT $12, $3"), 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_match),
		cmocka_unit_test(test_route_table_is_consistent),
		cmocka_unit_test(test_placeholders),
	};

	return cmocka_run_group_tests_name("apid_route", tests, NULL, NULL);
}
