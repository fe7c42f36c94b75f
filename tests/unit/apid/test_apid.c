/*
 * test_apid.c -- the pure parts of apid: route matching, validation,
 * rate-limit arithmetic and the key cache, error bodies, metrics text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

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

static void
test_route_table_is_consistent(void **state)
{
	size_t	i, j;

	(void)state;
	assert_true(apid_nroutes <= APID_MAX_ROUTES);
	for (i = 0; i < apid_nroutes; i++) {
		const struct apid_route *r = &apid_routes[i];
		if (r->kind == APID_K_SQL || r->kind == APID_K_CSV ||
		    r->kind == APID_K_SYNC || r->kind == APID_K_RECOMPUTE ||
		    r->kind == APID_K_KEY_REGEN)
			assert_non_null(route_sql_of((int)i));
		else
			assert_null(route_sql_of((int)i));
		if (r->kind == APID_K_CSV)
			assert_non_null(r->csv_name);
		if (strncmp(r->path, "/api/v1/users/{user_id}/", 24) == 0)
			assert_true(r->flags & APID_R_AUTH);
		for (j = 0; j < i; j++)
			assert_false(strcmp(r->path, apid_routes[j].path) == 0
			    && strcmp(r->method, apid_routes[j].method) == 0);
	}
	assert_null(route_sql_of(-1));
	assert_null(route_sql_of((int)apid_nroutes));
}

static void
test_validate_ids(void **state)
{
	(void)state;
	assert_true(validate_uuid("11111111-2222-3333-4444-55555555aaaa", 36));
	assert_false(validate_uuid("11111111-2222-3333-4444-55555555aaa", 35));
	assert_false(validate_uuid("11111111x2222-3333-4444-55555555aaaa", 36));
	assert_true(validate_metric_name("training_load_ratio", 19));
	assert_false(validate_metric_name("training_load_rati", 18));
	assert_true(validate_pattern_name("hrv_trend", 9));
	assert_false(validate_pattern_name("steps", 5));
	assert_true(validate_slug("sleep_debt", 10));
	assert_false(validate_slug("Sleep", 5));
}

static void
test_validate_dates_and_numbers(void **state)
{
	char	out[11];
	double	d;

	(void)state;
	assert_true(validate_date("2024-02-29", 10, out));
	assert_string_equal(out, "2024-02-29");
	assert_false(validate_date("2026-02-30", 10, out));
	assert_false(validate_date("2026-13-45", 10, out));
	assert_false(validate_date("2026-1-01", 9, out));
	assert_false(validate_date("2026-01-01x", 11, out));
	assert_true(validate_finite("-1.5e2", 6, &d));
	assert_true(d == -150.0);
	assert_false(validate_finite("nan", 3, &d));
	assert_false(validate_finite("inf", 3, &d));
	assert_false(validate_finite("1e999", 5, &d));
	assert_false(validate_finite("0x10", 4, &d));
	assert_false(validate_finite("", 0, &d));
	assert_false(validate_finite("1.5.5", 5, &d));
}

static void
test_query_and_days(void **state)
{
	char			buf[16];
	int			days;
	struct apid_verr	e;

	(void)state;
	assert_int_equal(query_get("a=1&days=30&days=2", "days", buf,
	    sizeof(buf)), 1);
	assert_string_equal(buf, "30");
	assert_int_equal(query_get("xdays=3", "days", buf, sizeof(buf)), 0);
	assert_int_equal(query_get(NULL, "days", buf, sizeof(buf)), 0);
	assert_int_equal(query_get("days=%33%30", "days", buf, sizeof(buf)),
	    1);
	assert_string_equal(buf, "30");
	assert_int_equal(query_get("days=12345678901234567890", "days", buf,
	    sizeof(buf)), -1);

	assert_int_equal(validate_days(NULL, 7, 1, 365, &days, &e), 0);
	assert_int_equal(days, 7);
	assert_int_equal(validate_days("foo&days=365", 7, 1, 365, &days, &e),
	    0);
	assert_int_equal(days, 365);
	assert_int_equal(validate_days("days=0", 7, 1, 365, &days, &e), -1);
	assert_string_equal(e.message,
	    "Input should be greater than or equal to 1");
	assert_string_equal(e.key, "days");
	assert_string_equal(e.source, "query");
	assert_int_equal(validate_days("days=31", 7, 1, 30, &days, &e), -1);
	assert_string_equal(e.message,
	    "Input should be less than or equal to 30");
	assert_int_equal(validate_days("days=", 7, 1, 30, &days, &e), -1);
	assert_int_equal(validate_days("days=3x", 7, 1, 30, &days, &e), -1);
	assert_int_equal(validate_days("days=%20%33", 7, 1, 30, &days, &e),
	    -1);
	assert_int_equal(validate_days("days=99999999999999999", 7, 1, 30,
	    &days, &e), -1);
	assert_non_null(strstr(e.message, "less than or equal to 30"));
	assert_int_equal(validate_days("days=9999999999999999999999", 7, 1,
	    30, &days, &e), -1);
	assert_non_null(strstr(e.message, "valid integer"));
	assert_int_equal(validate_days("days=-3", 7, 1, 30, &days, &e), -1);
	assert_non_null(strstr(e.message, "greater than or equal to 1"));
}

static void
test_validate_capture(void **state)
{
	struct apid_verr	e;
	struct apid_span	v;
	char			out[64];

	(void)state;
	v.p = "2026-02-30";
	v.len = 10;
	assert_int_equal(validate_capture("target_date", 11, &v, out,
	    sizeof(out), &e), -1);
	assert_string_equal(e.key, "target_date");
	assert_string_equal(e.source, "path");
	v.p = "nan";
	v.len = 3;
	assert_int_equal(validate_capture("value", 5, &v, out, sizeof(out),
	    &e), -2);
	v.p = "40.25";
	v.len = 5;
	assert_int_equal(validate_capture("value", 5, &v, out, sizeof(out),
	    &e), 0);
	assert_true(strtod(out, NULL) == 40.25);
	v.p = "bob";
	v.len = 3;
	assert_int_equal(validate_capture("user_id", 7, &v, out, sizeof(out),
	    &e), 0);
	assert_string_equal(out, "bob");
	assert_int_equal(validate_capture("surprise", 8, &v, out, sizeof(out),
	    &e), -1);
}

static void
test_rate_limit_math(void **state)
{
	struct apid_key	k;

	(void)state;
	assert_int_equal(rl_window(7199), 3600);
	assert_int_equal(rl_window(7200), 7200);
	assert_int_equal(rl_window(-1), -3600);
	assert_int_equal(rl_want(5, 0), 1);		/* small: exact */
	assert_int_equal(rl_want(1000, 0), 62);
	assert_int_equal(rl_want(100000000, 0), 256);
	assert_int_equal(rl_want(1000, 990), 1);
	assert_int_equal(rl_want(1000, 1000), 1);
	assert_int_equal(rl_want(100, 20), 5);

	memset(&k, 0, sizeof(k));
	k.valid = true;
	keycache_lease(&k, 3600 * 1000, 3600, 10, 3, 3);
	assert_int_equal(k.lease, 3);
	assert_int_equal(rl_remaining(&k), 10);	/* 7 free + 3 here */
	assert_int_equal(keycache_take(&k, 3600 * 1000 + 5, APID_KEY_TTL_MS), 1);
	assert_int_equal(rl_remaining(&k), 9);
	assert_int_equal(keycache_take(&k, 3600 * 1000 + 6, APID_KEY_TTL_MS), 1);
	assert_int_equal(keycache_take(&k, 3600 * 1000 + 7, APID_KEY_TTL_MS), 1);
	assert_int_equal(keycache_take(&k, 3600 * 1000 + 8, APID_KEY_TTL_MS), 0);	/* dry */
	assert_int_equal(rl_remaining(&k), 7);
	/* stale row: ask again even with tokens left */
	keycache_lease(&k, 3600 * 1000 + 10, 3600, 10, 2, 5);
	assert_int_equal(keycache_take(&k, 3600 * 1000 + 10 + APID_KEY_TTL_MS, APID_KEY_TTL_MS),
	    0);
	/* a new window drops what is left of the old lease */
	keycache_lease(&k, 7200 * 1000, 7200, 10, 1, 1);
	assert_int_equal(k.lease, 1);
	assert_int_equal(rl_retry_after(&k, 7200 + 100), 3500);
	assert_int_equal(rl_retry_after(&k, 7200 + 3600), 1);
	/* a known bad key is answered from cache while fresh */
	memset(&k, 0, sizeof(k));
	k.checked_ms = 1000;
	assert_int_equal(keycache_take(&k, 1500, APID_KEY_TTL_MS), 1);
	assert_int_equal(keycache_take(&k, 1000 + APID_KEY_TTL_MS, APID_KEY_TTL_MS), 0);
}

static void
test_keycache(void **state)
{
	struct apid_keycache	c;
	struct apid_key		*a, *b;
	char			h[65];
	int			i;

	(void)state;
	keycache_init(&c, 16);
	memset(h, 'a', 64);
	h[64] = '\0';
	a = keycache_put(&c, h);
	a->key_id = 7;
	snprintf(a->user_id, sizeof(a->user_id), "alice");
	assert_ptr_equal(keycache_find(&c, h), a);
	/* fill far beyond the table: never crashes, evicts */
	for (i = 0; i < 200; i++) {
		snprintf(h, sizeof(h), "%064d", i);
		b = keycache_put(&c, h);
		assert_non_null(b);
		assert_string_equal(b->hash, h);
		assert_ptr_equal(keycache_find(&c, h), b);
	}
	snprintf(h, sizeof(h), "%064d", 199);
	b = keycache_find(&c, h);
	b->key_id = 9;
	keycache_drop_id(&c, 9);
	assert_null(keycache_find(&c, h));
	keycache_free(&c);
}

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

static void
test_metrics_text(void **state)
{
	struct apid_metrics	*m = calloc(1, sizeof(*m));
	struct sbuf		 b;

	(void)state;
	metrics_observe(m, 4, 200, 800);
	metrics_observe(m, 4, 200, 3000);
	metrics_observe(m, 4, 418, 10);
	metrics_observe(m, -1, 404, 10);
	sbuf_init(&b);
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
	sbuf_free(&b);
	free(m);
}

static void
test_cache(void **state)
{
	struct apid_cache		 c;
	const struct apid_centry	*e;
	char				 key[32], body[200];
	int				 i;

	(void)state;
	cache_init(&c, 64, 4000);
	cache_put(&c, "k1", 2, "alice", 0, "[1]", 3);
	cache_put(&c, "k2", 2, "bob", 1, "a,b", 3);
	e = cache_get(&c, "k1", 2);
	assert_non_null(e);
	assert_string_equal(e->body, "[1]");
	assert_int_equal(e->ctype, 0);
	assert_null(cache_get(&c, "k3", 2));
	cache_put(&c, "k1", 2, "alice", 0, "[1,2]", 5);	/* replace */
	assert_string_equal(cache_get(&c, "k1", 2)->body, "[1,2]");
	assert_int_equal(c.bytes, 2 + 5 + 2 + 3);
	cache_drop_user(&c, "alice");
	assert_null(cache_get(&c, "k1", 2));
	assert_non_null(cache_get(&c, "k2", 2));
	/* the byte budget holds; least recently used goes first */
	memset(body, 'x', sizeof(body));
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		cache_put(&c, key, strlen(key), "u", 0, body, sizeof(body));
		assert_true(c.bytes <= c.budget);
		assert_non_null(cache_get(&c, key, strlen(key)));
	}
	assert_null(cache_get(&c, "key0", 4));
	cache_put(&c, "huge", 4, "u", 0, body, 0);
	cache_flush(&c);
	assert_int_equal(c.bytes, 0);
	assert_null(cache_get(&c, "key99", 5));
	cache_free(&c);
}

static void
test_json_minify(void **state)
{
	char	s[] = "{\"a\" : [1, 2], \"b\" : \"x, y : \\\" z\"}";

	(void)state;
	{
	size_t	n = json_minify(s, strlen(s));

	assert_int_equal(n, strlen(s));
	assert_string_equal(s, "{\"a\":[1,2],\"b\":\"x, y : \\\" z\"}");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_match),
		cmocka_unit_test(test_route_table_is_consistent),
		cmocka_unit_test(test_validate_ids),
		cmocka_unit_test(test_validate_dates_and_numbers),
		cmocka_unit_test(test_query_and_days),
		cmocka_unit_test(test_validate_capture),
		cmocka_unit_test(test_rate_limit_math),
		cmocka_unit_test(test_keycache),
		cmocka_unit_test(test_error_bodies),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_json_minify),
	};

	return cmocka_run_group_tests_name("apid", tests, NULL, NULL);
}
