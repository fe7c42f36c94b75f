/* test_buf.c -- common/buf.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"

static void
test_add_grows_and_terminates(void **state)
{
	struct pf_buf	b = PF_BUF_INIT;
	char		big[3000];
	size_t		i;

	(void)state;
	pf_buf_add(&b, "", 0);
	assert_non_null(b.p);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	pf_buf_adds(&b, "ab");
	pf_buf_add(&b, "c\0d", 3);	/* NULs are bytes like any other */
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.p, "abc\0d", 6);
	memset(big, 'x', sizeof(big));
	for (i = 0; i < 10; i++)
		pf_buf_add(&b, big, sizeof(big));
	assert_int_equal(b.len, 5 + 10 * sizeof(big));
	assert_true(b.cap > b.len);
	assert_int_equal(b.p[b.len], '\0');
	assert_int_equal(b.p[b.len - 1], 'x');
	pf_buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

static void
test_addf_small_and_large(void **state)
{
	struct pf_buf	b;
	char		big[2000];

	(void)state;
	pf_buf_init(&b);
	pf_buf_addf(&b, "%d-%s", 42, "x");
	assert_string_equal(b.p, "42-x");
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* beyond the stack buffer of addf: formatted a second time */
	pf_buf_addf(&b, "[%s]", big);
	assert_int_equal(b.len, 4 + 2 + sizeof(big) - 1);
	assert_int_equal(b.p[4], '[');
	assert_int_equal(b.p[b.len - 1], ']');
	pf_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_grows_and_terminates),
		cmocka_unit_test(test_addf_small_and_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
