/*
 * test_webhook.c -- a webhook subscription's URL, event list and secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/webhook.h"

static void
test_url(void **state)
{
	static const char *const good[] = { "https://app.example.com/hook",
	    "http://127.0.0.1:8080/x?y=1", "HTTPS://a.b", NULL };
	static const char *const bad[] = { "", "ftp://x/", "https://",
	    "https:///path", "https://user:pw@host/", "https://a b/",
	    "https://host/#frag", "https://h\xc3\xa9st/", "javascript:x",
	    NULL };
	char	 err[200], big[3000];
	size_t	 i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		assert_int_equal(pf_webhook_url_check(good[i], err,
		    sizeof(err)), PF_OK);
	for (i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		assert_int_equal(pf_webhook_url_check(bad[i], err,
		    sizeof(err)), PF_ERR_INVALID);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(pf_webhook_url_check(NULL, err, sizeof(err)),
	    PF_ERR_INVALID);
	memcpy(big, "https://h/", 10);
	memset(big + 10, 'a', sizeof(big) - 11);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(pf_webhook_url_check(big, err, sizeof(err)),
	    PF_ERR_INVALID);
}

static void
test_events(void **state)
{
	json_t	*a;
	char	 err[200];

	(void)state;
	assert_int_equal(pf_webhook_events_parse("", &a, err, sizeof(err)),
	    PF_OK);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	assert_int_equal(pf_webhook_events_parse("*", &a, err, sizeof(err)),
	    PF_OK);
	json_decref(a);
	assert_int_equal(pf_webhook_events_parse("data.changed,user.deleted",
	    &a, err, sizeof(err)), PF_OK);
	assert_int_equal(json_array_size(a), 2);
	assert_int_equal(pf_webhook_events_check(a, err, sizeof(err)), PF_OK);
	json_decref(a);
	assert_int_equal(pf_webhook_events_parse("data.changed,,x", &a, err,
	    sizeof(err)), PF_ERR_INVALID);
	assert_null(a);
	assert_int_equal(pf_webhook_events_parse("data.change", &a, err,
	    sizeof(err)), PF_ERR_INVALID);
	a = json_pack("[s,i]", "data.changed", 1);
	assert_int_equal(pf_webhook_events_check(a, err, sizeof(err)),
	    PF_ERR_INVALID);
	json_decref(a);
	a = json_object();
	assert_int_equal(pf_webhook_events_check(a, err, sizeof(err)),
	    PF_ERR_INVALID);
	json_decref(a);
}

static void
test_secret(void **state)
{
	char	 a[PF_WEBHOOK_SECRET_SIZE], b[PF_WEBHOOK_SECRET_SIZE];

	(void)state;
	assert_int_equal(pf_webhook_secret_new(a), PF_OK);
	assert_int_equal(pf_webhook_secret_new(b), PF_OK);
	assert_int_equal(strlen(a), PF_WEBHOOK_SECRET_SIZE - 1);
	assert_memory_equal(a, "whsec_", 6);
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
