#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"

static void
test_every_code_has_text(void **state)
{
	int	e;

	(void)state;
	for (e = PF_ERR_DENIED; e <= PF_OK; e++)
		assert_string_not_equal(pf_strerror(e), "unknown error");
	assert_string_equal(pf_strerror(1), "unknown error");
	assert_string_equal(pf_strerror(-1000), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_has_text),
	};

	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
