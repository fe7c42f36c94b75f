/*
 * test_hash.c -- common/hash.c: FNV-1a 64 against published vectors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "common/hash.h"

static void
test_fnv1a64_vectors(void **state)
{
	(void)state;
	assert_true(pf_hash64("", 0) == 0xcbf29ce484222325ULL);
	assert_true(pf_hash64("a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(pf_hash64("foobar", 6) == 0x85944171f73967e8ULL);
}

static void
test_length_not_terminator(void **state)
{
	(void)state;
	/* bytes after len are not read; a NUL inside len is hashed */
	assert_true(pf_hash64("foobarXYZ", 6) == pf_hash64("foobar", 6));
	assert_true(pf_hash64("a\0b", 3) != pf_hash64("a", 1));
	assert_true(pf_hash64("ab", 2) != pf_hash64("ba", 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnv1a64_vectors),
		cmocka_unit_test(test_length_not_terminator),
	};

	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
