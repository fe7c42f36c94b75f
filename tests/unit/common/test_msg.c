#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/err.h"
#include "common/ipc.h"
#include "common/msg.h"

/* The wire text of msg, compact, keys in insertion order. */
static char *
wire(const json_t *msg)
{
	char	*s = json_dumps(msg, JSON_COMPACT);

	assert_non_null(s);
	return s;
}

static json_t *
parse(const char *text)
{
	json_t	*j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

static void
assert_wire(const json_t *msg, const char *expect)
{
	char	*s = wire(msg);

	assert_string_equal(s, expect);
	free(s);
}

/* unpack must refuse text with the sentence expected. */
#define EXPECT_INVALID(unpack, out, text, expected) do {		\
	json_t		*m_ = parse(text);				\
	const char	*why_ = NULL;					\
									\
	assert_int_equal(unpack(m_, &(out), &why_), PF_ERR_INVALID);	\
	assert_string_equal(why_, (expected));				\
	json_decref(m_);						\
} while (0)

static void
test_sync_trigger_round_trip(void **state)
{
	struct pf_msg_sync_trigger	 in = { .user_id = "u-1", .days = 7,
	    .wait = true, .trigger = PF_MSG_TRIGGER_API }, out;
	json_t				*m;
	const char			*type;

	(void)state;
	m = pf_msg_sync_trigger_pack(&in);
	assert_non_null(m);
	assert_int_equal(pf_ipc_msg_check(m, &type), PF_OK);
	assert_string_equal(type, PF_MSG_SYNC_TRIGGER);
	assert_wire(m, "{\"v\":1,\"type\":\"sync.trigger\",\"user_id\":\"u-1\","
	    "\"days\":7,\"wait\":true,\"trigger\":\"api\"}");
	assert_int_equal(pf_msg_sync_trigger_unpack(m, &out, NULL), PF_OK);
	assert_string_equal(out.user_id, "u-1");
	assert_false(out.all);
	assert_int_equal(out.days, 7);
	assert_true(out.wait);
	assert_string_equal(out.trigger, "api");
	json_decref(m);

	in = (struct pf_msg_sync_trigger){ .all = true };
	m = pf_msg_sync_trigger_pack(&in);
	assert_wire(m, "{\"v\":1,\"type\":\"sync.trigger\",\"all\":true}");
	assert_int_equal(pf_msg_sync_trigger_unpack(m, &out, NULL), PF_OK);
	assert_true(out.all);
	assert_null(out.user_id);
	json_decref(m);

	/* absent trigger: the sync log says manual */
	m = parse("{\"user_id\":\"x\"}");
	assert_int_equal(pf_msg_sync_trigger_unpack(m, &out, NULL), PF_OK);
	assert_string_equal(out.trigger, PF_MSG_TRIGGER_MANUAL);
	assert_int_equal(out.days, 0);
	assert_false(out.wait);
	json_decref(m);
}

static void
test_sync_trigger_malformed(void **state)
{
	struct pf_msg_sync_trigger	out;

	(void)state;
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{}",
	    "user_id must be 1-100 characters of [A-Za-z0-9_-]");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"all\":\"yes\"}",
	    "user_id must be 1-100 characters of [A-Za-z0-9_-]");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"user_id\":\"a b\"}",
	    "user_id must be 1-100 characters of [A-Za-z0-9_-]");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"user_id\":7}",
	    "user_id must be 1-100 characters of [A-Za-z0-9_-]");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"user_id\":\"a\",\"days\":0}",
	    "days must be an integer from 1 to 365");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"user_id\":\"a\",\"days\":366}",
	    "days must be an integer from 1 to 365");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"user_id\":\"a\",\"days\":\"3\"}",
	    "days must be an integer from 1 to 365");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"user_id\":\"a\",\"wait\":1}",
	    "wait must be boolean");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"user_id\":\"a\",\"trigger\":\"cron\"}",
	    "trigger must be manual, api, polarctl or webhook");
	EXPECT_INVALID(pf_msg_sync_trigger_unpack, out,
	    "{\"user_id\":\"a\",\"trigger\":null}",
	    "trigger must be manual, api, polarctl or webhook");
}

static void
test_oauth_exchange(void **state)
{
	struct pf_msg_oauth_exchange	 in = { .code = "abc",
	    .redirect_uri = "https://x/cb" }, out;
	json_t				*m;

	(void)state;
	m = pf_msg_oauth_exchange_pack(&in);
	assert_wire(m, "{\"v\":1,\"type\":\"oauth.exchange\",\"code\":\"abc\","
	    "\"redirect_uri\":\"https://x/cb\"}");
	assert_int_equal(pf_msg_oauth_exchange_unpack(m, &out, NULL), PF_OK);
	assert_string_equal(out.code, "abc");
	assert_string_equal(out.redirect_uri, "https://x/cb");
	json_decref(m);

	m = parse("{\"code\":\"c\",\"redirect_uri\":null}");
	assert_int_equal(pf_msg_oauth_exchange_unpack(m, &out, NULL), PF_OK);
	assert_null(out.redirect_uri);
	json_decref(m);
	EXPECT_INVALID(pf_msg_oauth_exchange_unpack, out,
	    "{\"code\":\"\"}",
	    "code is required");
	EXPECT_INVALID(pf_msg_oauth_exchange_unpack, out,
	    "{\"code\":\"c\",\"redirect_uri\":5}",
	    "redirect_uri must be a string");
}

static void
test_analytics_recompute(void **state)
{
	struct pf_msg_analytics_recompute	 in = { .user_id = "u" }, out;
	json_t					*m;

	(void)state;
	m = pf_msg_analytics_recompute_pack(&in);
	assert_wire(m, "{\"v\":1,\"type\":\"analytics.recompute\","
	    "\"user_id\":\"u\"}");
	assert_int_equal(pf_msg_analytics_recompute_unpack(m, &out, NULL),
	    PF_OK);
	assert_string_equal(out.user_id, "u");
	assert_false(out.all);
	assert_false(out.full);
	json_decref(m);
	in = (struct pf_msg_analytics_recompute){ .all = true, .full = true };
	m = pf_msg_analytics_recompute_pack(&in);
	assert_wire(m, "{\"v\":1,\"type\":\"analytics.recompute\","
	    "\"all\":true,\"full\":true}");
	assert_int_equal(pf_msg_analytics_recompute_unpack(m, &out, NULL),
	    PF_OK);
	assert_true(out.all);
	assert_true(out.full);
	json_decref(m);

	EXPECT_INVALID(pf_msg_analytics_recompute_unpack, out,
	    "{\"all\":null}",
	    "\"all\" must be a boolean");
	EXPECT_INVALID(pf_msg_analytics_recompute_unpack, out,
	    "{\"user_id\":\"u\",\"full\":1}",
	    "\"full\" must be a boolean");
	EXPECT_INVALID(pf_msg_analytics_recompute_unpack, out,
	    "{}",
	    "expected {\"user_id\": \"...\"} or "
	    "{\"all\": true}");
	EXPECT_INVALID(pf_msg_analytics_recompute_unpack, out,
	    "{\"user_id\":\"../x\"}",
	    "invalid user_id");
}

static void
test_data_changed(void **state)
{
	json_t				*streams =
	    parse("[\"sleep\",\"activity\"]");
	struct pf_msg_data_changed	 in = { .user_id = "u", .sync_id = "s1",
	    .streams = streams, .first_day = 20000, .last_day = 20001 }, out;
	json_t				*m;

	(void)state;
	m = pf_msg_data_changed_pack(&in);
	assert_wire(m, "{\"v\":1,\"type\":\"data.changed\",\"user_id\":\"u\","
	    "\"sync_id\":\"s1\",\"streams\":[\"sleep\",\"activity\"],"
	    "\"first_day\":\"2024-10-04\",\"last_day\":\"2024-10-05\"}");
	assert_int_equal(pf_msg_data_changed_unpack(m, &out, NULL), PF_OK);
	assert_string_equal(out.user_id, "u");
	assert_string_equal(out.sync_id, "s1");
	assert_true(json_equal((json_t *)out.streams, streams));
	assert_int_equal(out.first_day, 20000);
	assert_int_equal(out.last_day, 20001);
	json_decref(m);
	json_decref(streams);

	/* only user_id is required */
	m = parse("{\"user_id\":\"u\",\"first_day\":null}");
	assert_int_equal(pf_msg_data_changed_unpack(m, &out, NULL), PF_OK);
	assert_null(out.sync_id);
	assert_null(out.streams);
	assert_true(out.first_day == PF_MSG_DAY_NONE);
	assert_true(out.last_day == PF_MSG_DAY_NONE);
	json_decref(m);
}

static void
test_data_changed_malformed(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"user_id\":\"\"}",
		"{\"user_id\":\"a b\"}",
		"{\"user_id\":\"u\",\"sync_id\":3}",
		"{\"user_id\":\"u\",\"streams\":\"sleep\"}",
		"{\"user_id\":\"u\",\"streams\":[1]}",
		"{\"user_id\":\"u\",\"first_day\":\"2024-02-30\"}",
		"{\"user_id\":\"u\",\"last_day\":20000}",
		"{\"user_id\":\"u\",\"first_day\":\"2024-10-05\","
		    "\"last_day\":\"2024-10-04\"}",
		NULL
	};
	struct pf_msg_data_changed	 out;
	const char			*why;
	json_t				*m;
	size_t				 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		m = parse(bad[i]);
		why = NULL;
		assert_int_equal(pf_msg_data_changed_unpack(m, &out, &why),
		    PF_ERR_INVALID);
		assert_non_null(why);
		json_decref(m);
	}
}

static void
test_analytics_updated(void **state)
{
	struct pf_msg_analytics_updated	 in = { .user_id = "u",
	    .computed_at = "2024-10-05T06:00:00.000Z", .duration_ms = 12,
	    .anomaly_count = 3 }, out;
	const char			*why;
	json_t				*m;

	(void)state;
	m = pf_msg_analytics_updated_pack(&in);
	assert_wire(m, "{\"v\":1,\"type\":\"analytics.updated\",\"user_id\":"
	    "\"u\",\"computed_at\":\"2024-10-05T06:00:00.000Z\","
	    "\"duration_ms\":12,\"anomaly_count\":3}");
	assert_int_equal(pf_msg_analytics_updated_unpack(m, &out, NULL), PF_OK);
	assert_string_equal(out.computed_at, in.computed_at);
	assert_int_equal(out.duration_ms, 12);
	assert_int_equal(out.anomaly_count, 3);
	json_decref(m);
	m = parse("{\"user_id\":\"u\",\"computed_at\":\"x\"}");
	assert_int_equal(pf_msg_analytics_updated_unpack(m, &out, &why),
	    PF_ERR_INVALID);
	json_decref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_trigger_round_trip),
		cmocka_unit_test(test_sync_trigger_malformed),
		cmocka_unit_test(test_oauth_exchange),
		cmocka_unit_test(test_analytics_recompute),
		cmocka_unit_test(test_data_changed),
		cmocka_unit_test(test_data_changed_malformed),
		cmocka_unit_test(test_analytics_updated),
	};

	return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
