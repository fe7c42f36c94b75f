/*
 * test_mcp.c -- apid/mcp_tools.c and apid/mcp_proto.c: the tool table,
 * the result notation, argument checks and binding, and the transport's
 * pure checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/buf.h"

#include "apid/apid.h"

static void
test_every_shape_parses(void **state)
{
	json_t	*l, *t, *out;
	size_t	 i;

	(void)state;
	for (i = 0; i < mcp_ntools; i++) {
		out = mcp_shape_schema(mcp_tools[i].shape);
		assert_non_null(out);
		assert_string_equal(json_string_value(json_object_get(out,
		    "type")), "object");
		json_decref(out);
	}
	l = mcp_tools_list();
	assert_non_null(l);
	assert_int_equal(json_array_size(json_object_get(l, "tools")),
	    mcp_ntools);
	t = json_array_get(json_object_get(l, "tools"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")),
	    "get_health_insights");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(t, "_meta"), "ui"), "resourceUri")), MCP_CARD_URI);
	json_decref(l);
}

static void
test_shape_notation(void **state)
{
	json_t	*s, *p;
	char	*txt;

	(void)state;
	s = mcp_shape_schema("a!:i b:s c?:[d!:n] e:{f:b}|g!:s");
	assert_non_null(s);
	txt = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(txt, "{\"anyOf\":[{\"properties\":{\"a\":{\"type\":"
	    "\"integer\"},\"b\":{\"type\":[\"string\",\"null\"]},\"c\":{"
	    "\"items\":{\"properties\":{\"d\":{\"type\":\"number\"}},"
	    "\"required\":[\"d\"],\"type\":\"object\"},\"type\":[\"array\","
	    "\"null\"]},\"e\":{\"properties\":{\"f\":{\"type\":[\"boolean\","
	    "\"null\"]}},\"required\":[\"f\"],\"type\":[\"object\",\"null\"]}},"
	    "\"required\":[\"a\",\"b\",\"e\"],\"type\":\"object\"},{"
	    "\"properties\":{\"g\":{\"type\":\"string\"}},\"required\":[\"g\"],"
	    "\"type\":\"object\"}],\"type\":\"object\"}");
	free(txt);
	json_decref(s);
	assert_null(mcp_shape_schema("a:q"));
	assert_null(mcp_shape_schema("a"));
	assert_null(mcp_shape_schema("a:[b:s"));
	p = mcp_shape_schema("x!:*");
	assert_non_null(p);
	json_decref(p);
}

static int
args_of(const char *tool, const char *js, struct mcp_args *a, char *err)
{
	json_t	*v = js ? json_loads(js, JSON_DECODE_ANY, NULL) : NULL;
	int	 r, t = mcp_tool_find(tool);

	assert_true(t >= 0);
	r = mcp_tool_args(t, v, a, err, 256);
	json_decref(v);
	return r;
}

static void
test_arguments(void **state)
{
	struct mcp_args	a;
	char		err[256], buf[MCP_NPARAMS][128];
	const char	*pv[MCP_NPARAMS];

	(void)state;
	assert_int_equal(mcp_tool_find("nope"), -1);
	assert_int_equal(args_of("get_sleep", NULL, &a, err), 0);
	assert_int_equal(a.days, 30);
	assert_ptr_equal(a.sql, store_sql_mcp_sleep);
	assert_int_equal(args_of("get_sleep", "{\"days\": 365.0, \"user_id\":"
	    " \"bob\"}", &a, err), 0);
	assert_int_equal(a.days, 365);
	assert_string_equal(a.user_id, "bob");
	assert_int_equal(mcp_tool_bind(mcp_tool_find("get_sleep"), &a, "bob",
	    buf, pv), 2);
	assert_string_equal(pv[0], "bob");
	assert_string_equal(pv[1], "365");
	assert_int_equal(args_of("get_sleep", "{\"days\": 0}", &a, err), -1);
	assert_non_null(strstr(err, "between 1 and 365"));
	assert_int_equal(args_of("get_sleep", "{\"days\": 366}", &a, err), -1);
	assert_int_equal(args_of("get_sleep", "{\"days\": 1.5}", &a, err), -1);
	assert_int_equal(args_of("get_sleep", "{\"days\": \"7\"}", &a, err),
	    -1);
	assert_int_equal(args_of("get_sleep", "{\"user_id\": \"a/b\"}", &a,
	    err), -1);
	assert_int_equal(args_of("get_sleep", "{\"metric\": \"spo2\"}", &a,
	    err), -1);
	assert_non_null(strstr(err, "unexpected argument 'metric'"));
	assert_int_equal(args_of("get_sleep", "[]", &a, err), -1);
	/* upstream's days is only on the windowed tools */
	assert_int_equal(args_of("get_baselines", "{\"days\": 3}", &a, err),
	    -1);

	assert_int_equal(args_of("get_biosensing", "{}", &a, err), -1);
	assert_non_null(strstr(err, "metric is required"));
	assert_int_equal(args_of("get_biosensing", "{\"metric\": \"x\"}", &a,
	    err), -1);
	assert_int_equal(args_of("get_biosensing", "{\"metric\": \"ecg\"}",
	    &a, err), 0);
	assert_ptr_equal(a.sql, store_sql_mcp_ecg);

	assert_int_equal(args_of("get_exercises", "{\"exercise_id\": \"x'1\"}",
	    &a, err), -1);
	assert_string_equal(err, "Exercise x'1 not found");
	assert_int_equal(args_of("get_exercises", "{\"exercise_id\": "
	    "\"0b6c1e0e-8a43-4a8e-9f0e-0c2f6f1f0a11\"}", &a, err), 0);
	assert_ptr_equal(a.sql, store_sql_mcp_exercise);
	assert_int_equal(mcp_tool_bind(mcp_tool_find("get_exercises"), &a,
	    "al", buf, pv), 2);
	assert_string_equal(pv[1], "0b6c1e0e-8a43-4a8e-9f0e-0c2f6f1f0a11");

	assert_int_equal(args_of("get_training_load", "{\"days\": 9}", &a,
	    err), 0);
	assert_int_equal(mcp_tool_bind(mcp_tool_find("get_training_load"), &a,
	    "al", buf, pv), 3);
	assert_string_equal(pv[1], "9");
	assert_string_equal(pv[2], "training_load");
	assert_int_equal(args_of("get_health_insights", "{}", &a, err), 0);
	assert_int_equal(mcp_tool_bind(mcp_tool_find("get_health_insights"),
	    &a, "al", buf, pv), 1);
}

static void
test_transport_checks(void **state)
{
	struct pf_buf	b;
	char		*e;

	(void)state;
	assert_true(mcp_version_known("2025-11-25"));
	assert_true(mcp_version_known("2024-11-05"));
	assert_false(mcp_version_known("2024-10-07"));
	assert_string_equal(mcp_version_pick("2025-03-26"), "2025-03-26");
	assert_string_equal(mcp_version_pick("2099-01-01"), MCP_VERSION_LATEST);
	assert_string_equal(mcp_version_pick(NULL), MCP_VERSION_LATEST);

	assert_int_equal(mcp_accept(NULL), 0);
	assert_int_equal(mcp_accept("application/json, text/event-stream"), 0);
	assert_int_equal(mcp_accept("*/*"), 0);
	assert_int_equal(mcp_accept("text/event-stream"), 1);
	assert_int_equal(mcp_accept("text/event-stream;q=1, text/html"), 1);
	assert_int_equal(mcp_accept("text/html"), -1);
	assert_int_equal(mcp_accept("application/jsonx"), -1);

	assert_true(mcp_json_ctype("application/json"));
	assert_true(mcp_json_ctype("Application/JSON; charset=utf-8"));
	assert_false(mcp_json_ctype("application/jsonl"));
	assert_false(mcp_json_ctype(NULL));

	assert_true(mcp_origin_allowed("https://claude.ai",
	    "http://x, HTTPS://Claude.ai/"));
	assert_false(mcp_origin_allowed("https://claude.ai.evil",
	    "https://claude.ai"));
	assert_false(mcp_origin_allowed("https://claude.ai", ""));
	assert_false(mcp_origin_allowed("https://claude.ai", NULL));
	assert_false(mcp_origin_allowed("null", "https://claude.ai"));
	assert_true(mcp_origin_allowed("null", "*"));
	assert_false(mcp_origin_allowed("", "*"));

	e = mcp_error_body("7", -32601, "Method \"x\" not found");
	assert_string_equal(e, "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":"
	    "{\"code\":-32601,\"message\":\"Method \\\"x\\\" not found\"}}");
	free(e);
	e = mcp_error_body(NULL, -32700, "Parse error");
	assert_non_null(strstr(e, "\"id\":null"));
	free(e);

	pf_buf_init(&b);
	mcp_sse_frame(&b, "{\"a\":1}\n{}", 10);
	pf_buf_add(&b, "", 1);
	assert_string_equal(b.p, "event: message\ndata: {\"a\":1}\n"
	    "data: {}\n\n");
	pf_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_shape_parses),
		cmocka_unit_test(test_shape_notation),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_transport_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
