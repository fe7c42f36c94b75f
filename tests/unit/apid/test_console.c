/*
 * test_console.c -- apid/console_util.c: HTML escaping, form and cookie
 * values, names, and the client address behind trusted proxies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apid/console.h"

static void
test_console_esc(void **state)
{
	struct pf_buf	b;

	(void)state;
	pf_buf_init(&b);
	console_esc(&b, "<script>alert('x')</script> & \"q\"");
	pf_buf_add(&b, "", 1);
	assert_string_equal(b.p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
	    " &amp; &quot;q&quot;");
	pf_buf_free(&b);
}

static void
test_console_form(void **state)
{
	const char	*f = "_csrf=ab&name=a%40b.org&password=correct+horse%21"
			    "&empty=&bad=%zz&ctl=a%0Ab&trunc=%4";
	char		 out[16];

	(void)state;
	assert_true(console_form_get(f, strlen(f), "name", out, sizeof(out)));
	assert_string_equal(out, "a@b.org");
	assert_true(console_form_get(f, strlen(f), "password", out,
	    sizeof(out)));
	assert_string_equal(out, "correct horse!");
	assert_true(console_form_get(f, strlen(f), "empty", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_false(console_form_get(f, strlen(f), "nam", out, sizeof(out)));
	assert_false(console_form_get(f, strlen(f), "bad", out, sizeof(out)));
	assert_false(console_form_get(f, strlen(f), "ctl", out, sizeof(out)));
	assert_false(console_form_get(f, strlen(f), "trunc", out,
	    sizeof(out)));
	/* too long for out: refused, never cut */
	assert_false(console_form_get(f, strlen(f), "password", out, 8));
	assert_false(console_form_get(NULL, 0, "name", out, sizeof(out)));
}

static void
test_console_cookie(void **state)
{
	char	out[70];

	(void)state;
	assert_true(console_cookie_get("a=1; pf_session=abc; b=2",
	    "pf_session", out, sizeof(out)));
	assert_string_equal(out, "abc");
	assert_false(console_cookie_get("xpf_session=abc", "pf_session", out,
	    sizeof(out)));
	assert_false(console_cookie_get("pf_session=abcdef", "pf_session",
	    out, 4));
	assert_false(console_cookie_get(NULL, "pf_session", out, sizeof(out)));
	assert_true(console_hex_valid("00ff", 4));
	assert_false(console_hex_valid("00fF", 4));
	assert_false(console_hex_valid("00ff0", 4));
	assert_true(console_name_valid("admin@example.org"));
	assert_false(console_name_valid("bad name"));
	assert_false(console_name_valid(""));
}

static void
test_console_client_addr(void **state)
{
	char	out[64];

	(void)state;
	/* no trusted proxy: the header is never believed */
	console_client_addr("10.0.0.1", "1.2.3.4", "", out, sizeof(out));
	assert_string_equal(out, "10.0.0.1");
	/* a trusted peer: the right-most untrusted hop */
	console_client_addr("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2",
	    "10.0.0.0/8", out, sizeof(out));
	assert_string_equal(out, "1.2.3.4");
	/* an untrusted peer with the header: the peer */
	console_client_addr("9.9.9.9", "1.2.3.4", "10.0.0.0/8", out,
	    sizeof(out));
	assert_string_equal(out, "9.9.9.9");
	/* every hop trusted: the left-most */
	console_client_addr("127.0.0.1", "10.1.1.1, 10.2.2.2",
	    "127.0.0.1, 10.0.0.0/8", out, sizeof(out));
	assert_string_equal(out, "10.1.1.1");
	/* garbage ends the walk at the last good hop */
	console_client_addr("127.0.0.1", "evil, 1.2.3.4", "127.0.0.1", out,
	    sizeof(out));
	assert_string_equal(out, "1.2.3.4");
	console_client_addr("127.0.0.1", "not-an-address", "127.0.0.1", out,
	    sizeof(out));
	assert_string_equal(out, "127.0.0.1");
	/* IPv6 and CIDR edges */
	console_client_addr("::1", "2001:db8::7", "::1", out, sizeof(out));
	assert_string_equal(out, "2001:db8::7");
	console_client_addr("192.168.1.1", "1.2.3.4", "192.168.0.0/24", out,
	    sizeof(out));
	assert_string_equal(out, "192.168.1.1");
	console_client_addr("192.168.1.1", "1.2.3.4", "192.168.0.0/16, "
	    "bogus/99", out, sizeof(out));
	assert_string_equal(out, "1.2.3.4");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_esc),
		cmocka_unit_test(test_console_form),
		cmocka_unit_test(test_console_cookie),
		cmocka_unit_test(test_console_client_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
