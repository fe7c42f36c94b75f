#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <locale.h>
#include <string.h>
#include <cmocka.h>

#include "common/ident.h"

static void
test_valid(void **state)
{
	char	big[PF_USER_ID_MAX + 2];

	(void)state;
	assert_true(pf_user_id_valid("abc_DEF-9"));
	assert_true(pf_user_id_valid("a"));
	assert_true(pf_user_id_valid("-_"));
	memset(big, 'a', sizeof(big));
	big[PF_USER_ID_MAX] = '\0';
	assert_true(pf_user_id_valid(big));
	assert_true(pf_user_id_validn(big, PF_USER_ID_MAX));
}

static void
test_invalid(void **state)
{
	char	big[PF_USER_ID_MAX + 2];

	(void)state;
	assert_false(pf_user_id_valid(NULL));
	assert_false(pf_user_id_valid(""));
	assert_false(pf_user_id_valid("a b"));
	assert_false(pf_user_id_valid("a/b"));
	assert_false(pf_user_id_valid("a.b"));
	assert_false(pf_user_id_valid("\xc3\xa9t\xc3\xa9"));
	assert_false(pf_user_id_validn("ab", 0));
	assert_false(pf_user_id_validn("a\0b", 3));
	memset(big, 'a', sizeof(big));
	big[PF_USER_ID_MAX + 1] = '\0';
	assert_false(pf_user_id_valid(big));
	assert_false(pf_user_id_validn(big, PF_USER_ID_MAX + 1));
}

/* Latin-1 letters are alphanumeric to isalnum() in such a locale. */
static void
test_locale_independent(void **state)
{
	(void)state;
	(void)setlocale(LC_ALL, "C.UTF-8");
	(void)setlocale(LC_ALL, "en_US.ISO-8859-1");
	assert_false(pf_user_id_valid("\xe9t\xe9"));
	assert_false(pf_user_id_validn("\xb5", 1));
	(void)setlocale(LC_ALL, "C");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_locale_independent),
	};

	return cmocka_run_group_tests_name("ident", tests, NULL, NULL);
}
