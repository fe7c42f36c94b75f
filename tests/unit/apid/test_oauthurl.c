/*
 * test_oauthurl.c -- apid/oauthurl.c: the OAuth bridge's callback
 * allow-list and the parameters it adds to a URL.
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

static const char allowed[] = " https://app.example.com/, "
    "https://b.example.com:8443\thttp://localhost:3000 http://[::1]:80";

static int
check(const char *url, const char *want)
{
	char	why[160] = "";
	int	r = oauth_callback_check(url, allowed, why, sizeof(why));

	if (want != NULL && strstr(why, want) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", url, why, want);
	return r;
}

static void
test_allowed(void **state)
{
	(void)state;
	assert_int_equal(check("https://app.example.com/cb", NULL), 0);
	assert_int_equal(check("HTTPS://APP.example.COM", NULL), 0);
	assert_int_equal(check("https://app.example.com?x=1", NULL), 0);
	assert_int_equal(check("https://b.example.com:8443/a/b?c=d", NULL), 0);
	assert_int_equal(check("http://localhost:3000/cb", NULL), 0);
	assert_int_equal(check("http://[::1]:80/cb", NULL), 0);
}

static void
test_refused(void **state)
{
	char	big[2100];

	(void)state;
	assert_int_equal(check("https://evil.com/cb", "not registered"), -1);
	assert_int_equal(check("https://app.example.com.evil.com/",
	    "not registered"), -1);
	assert_int_equal(check("https://x.app.example.com/", "not registered"),
	    -1);
	assert_int_equal(check("https://b.example.com/", "not registered"), -1);
	assert_int_equal(check("https://app.example.com:443/",
	    "not registered"), -1);
	assert_int_equal(check("http://app.example.com/", "https"), -1);
	assert_int_equal(check("http://localhost:3001/", "not registered"), -1);
	assert_int_equal(check("ftp://app.example.com/", "http(s)"), -1);
	assert_int_equal(check("//app.example.com/", "http(s)"), -1);
	assert_int_equal(check("https://app.example.com/#x", "fragment"), -1);
	assert_int_equal(check("https://a@app.example.com/", "credentials"),
	    -1);
	assert_int_equal(check("https://app.example.com/ x", "space"), -1);
	assert_int_equal(check("https://app.example.com/\r\nX: y", "control"),
	    -1);
	assert_int_equal(check("https:///cb", "host"), -1);
	assert_int_equal(check("https://app.example.com:0/", "host"), -1);
	assert_int_equal(check("https://app.example.com:99999/", "host"), -1);
	assert_int_equal(check("https://app_example.com/", "host"), -1);
	assert_int_equal(check("", "2048"), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "https://app.example.com/", 24);
	assert_int_equal(check(big, "2048"), -1);
}

static void
test_empty_list(void **state)
{
	char	why[160];

	(void)state;
	assert_int_equal(oauth_callback_check("https://app.example.com/", "",
	    why, sizeof(why)), -1);
	assert_non_null(strstr(why, "oauth_allowed_callbacks"));
	assert_int_equal(oauth_callback_check("https://app.example.com/",
	    " , ", why, sizeof(why)), -1);
}

static void
test_params(void **state)
{
	struct pf_buf	b = PF_BUF_INIT;

	(void)state;
	pf_buf_adds(&b, "https://a.example/cb");
	oauth_url_param(&b, "code", "temp_1");
	oauth_url_param(&b, "x", "a b&c=d/é");
	assert_string_equal(b.p,
	    "https://a.example/cb?code=temp_1&x=a%20b%26c%3Dd%2F%C3%A9");
	pf_buf_free(&b);
	pf_buf_adds(&b, "https://a.example/cb?t=1");
	oauth_url_param(&b, "error", "no_code");
	assert_string_equal(b.p, "https://a.example/cb?t=1&error=no_code");
	pf_buf_free(&b);
	pf_buf_adds(&b, "https://a.example/cb?");
	oauth_url_param(&b, "s", "1");
	assert_string_equal(b.p, "https://a.example/cb?s=1");
	pf_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
