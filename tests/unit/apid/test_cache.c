/*
 * test_cache.c -- apid/cache.c: the response cache and the JSON minifier.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apid/apid.h"

static void
test_cache(void **state)
{
	struct apid_cache		 c;
	const struct apid_centry	*e;
	char				 key[32], body[200];
	int				 i;

	(void)state;
	cache_init(&c, 64, 4000);
	cache_put(&c, "k1", 2, "alice", 0, "[1]", 3);
	cache_put(&c, "k2", 2, "bob", 1, "a,b", 3);
	e = cache_get(&c, "k1", 2);
	assert_non_null(e);
	assert_string_equal(e->body, "[1]");
	assert_int_equal(e->ctype, 0);
	assert_null(cache_get(&c, "k3", 2));
	cache_put(&c, "k1", 2, "alice", 0, "[1,2]", 5);	/* replace */
	assert_string_equal(cache_get(&c, "k1", 2)->body, "[1,2]");
	assert_int_equal(c.bytes, 2 + 5 + 2 + 3);
	cache_drop_user(&c, "alice");
	assert_null(cache_get(&c, "k1", 2));
	assert_non_null(cache_get(&c, "k2", 2));
	/* the byte budget holds; least recently used goes first */
	memset(body, 'x', sizeof(body));
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		cache_put(&c, key, strlen(key), "u", 0, body, sizeof(body));
		assert_true(c.bytes <= c.budget);
		assert_non_null(cache_get(&c, key, strlen(key)));
	}
	assert_null(cache_get(&c, "key0", 4));
	cache_put(&c, "huge", 4, "u", 0, body, 0);
	cache_flush(&c);
	assert_int_equal(c.bytes, 0);
	assert_null(cache_get(&c, "key99", 5));
	cache_free(&c);
}

static void
test_minify_json(void **state)
{
	char	s[] = "{\"a\" : [1, 2], \"b\" : \"x, y : \\\" z\"}";

	size_t	n;

	(void)state;
	n = minify_json(s, strlen(s));
	assert_int_equal(n, strlen(s));
	assert_string_equal(s, "{\"a\":[1,2],\"b\":\"x, y : \\\" z\"}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_minify_json),
	};

	return cmocka_run_group_tests_name("apid_cache", tests, NULL, NULL);
}
