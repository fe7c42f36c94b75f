/*
 * test_hooksend.c -- the webhooks out: the Standard Webhooks signature
 * (the spec's own example) and which addresses count as private.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "syncd/syncd.h"

static void
test_sign(void **state)
{
	const char	*body = "{\"test\": 2432232314}";
	char		 sig[64];

	(void)state;
	assert_int_equal(hook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
	    sig, sizeof(sig)), PF_OK);
	assert_string_equal(sig,
	    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* not a secret: refused, nothing written past out */
	assert_int_equal(hook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "x", 1,
	    body, strlen(body), sig, sizeof(sig)), PF_ERR_INVALID);
	assert_int_equal(hook_sign("whsec_!!!!", "x", 1, body, strlen(body),
	    sig, sizeof(sig)), PF_ERR_INVALID);
	assert_int_equal(hook_sign("whsec_", "x", 1, body, strlen(body), sig,
	    sizeof(sig)), PF_ERR_INVALID);
	assert_int_equal(hook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	    "x", 1, body, strlen(body), sig, 10), PF_ERR_RANGE);
}

static bool
private4(const char *a)
{
	struct sockaddr_in	 s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return hook_addr_private((struct sockaddr *)&s);
}

static bool
private6(const char *a)
{
	struct sockaddr_in6	 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return hook_addr_private((struct sockaddr *)&s);
}

static void
test_private(void **state)
{
	static const char *const priv4[] = { "127.0.0.1", "10.1.2.3",
	    "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
	    "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
	    "198.18.0.1", "192.0.0.8", NULL };
	static const char *const pub4[] = { "8.8.8.8", "172.32.0.1",
	    "172.15.255.255", "100.128.0.1", "192.169.0.1", "1.1.1.1", NULL };
	static const char *const priv6[] = { "::1", "::", "fc00::1",
	    "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1",
	    "::ffff:10.0.0.1", "64:ff9b::a00:1", NULL };
	static const char *const pub6[] = { "2001:4860:4860::8888",
	    "::ffff:8.8.8.8", "2606:4700::1111", NULL };
	size_t	 i;

	(void)state;
	for (i = 0; priv4[i] != NULL; i++)
		assert_true(private4(priv4[i]));
	for (i = 0; pub4[i] != NULL; i++)
		assert_false(private4(pub4[i]));
	for (i = 0; priv6[i] != NULL; i++)
		assert_true(private6(priv6[i]));
	for (i = 0; pub6[i] != NULL; i++)
		assert_false(private6(pub6[i]));
	assert_true(hook_addr_private(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
