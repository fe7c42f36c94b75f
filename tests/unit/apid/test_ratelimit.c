/*
 * test_ratelimit.c -- apid/ratelimit.c: quota windows, leases and the key cache.
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
test_rate_limit_math(void **state)
{
	struct apid_key	k;

	(void)state;
	assert_int_equal(rl_window(7199), 3600);
	assert_int_equal(rl_window(7200), 7200);
	assert_int_equal(rl_window(-1), -3600);
	assert_int_equal(rl_want(5, 0), 1);		/* small: exact */
	assert_int_equal(rl_want(1000, 0), 62);
	assert_int_equal(rl_want(100000000, 0), 256);
	assert_int_equal(rl_want(1000, 990), 1);
	assert_int_equal(rl_want(1000, 1000), 1);
	assert_int_equal(rl_want(100, 20), 5);

	/* TTL on the monotonic clock (ms), windows on the wall clock (s) */
	memset(&k, 0, sizeof(k));
	k.valid = true;
	keycache_lease(&k, 50000, 3600, 10, 3, 3);
	assert_int_equal(k.lease, 3);
	assert_int_equal(rl_remaining(&k), 10);	/* 7 free + 3 here */
	assert_int_equal(keycache_take(&k, 3605, 50005, APID_KEY_TTL_MS), 1);
	assert_int_equal(rl_remaining(&k), 9);
	assert_int_equal(keycache_take(&k, 3606, 50006, APID_KEY_TTL_MS), 1);
	assert_int_equal(keycache_take(&k, 3607, 50007, APID_KEY_TTL_MS), 1);
	assert_int_equal(keycache_take(&k, 3608, 50008, APID_KEY_TTL_MS), 0);
	assert_int_equal(rl_remaining(&k), 7);			/* dry */
	/* stale row: ask again even with tokens left */
	keycache_lease(&k, 50010, 3600, 10, 2, 5);
	assert_int_equal(keycache_take(&k, 3610, 50010 + APID_KEY_TTL_MS,
	    APID_KEY_TTL_MS), 0);
	/* fresh row, but the wall-clock hour is over */
	assert_int_equal(keycache_take(&k, 7200, 50011, APID_KEY_TTL_MS), 0);
	/* a new window drops what is left of the old lease */
	keycache_lease(&k, 60000, 7200, 10, 1, 1);
	assert_int_equal(k.lease, 1);
	assert_int_equal(rl_retry_after(&k, 7200 + 100), 3500);
	assert_int_equal(rl_retry_after(&k, 7200 + RL_WINDOW_S), 1);
	/* a known bad key is answered from cache while fresh */
	memset(&k, 0, sizeof(k));
	k.checked_ms = 1000;
	assert_int_equal(keycache_take(&k, 0, 1500, APID_KEY_TTL_MS), 1);
	assert_int_equal(keycache_take(&k, 0, 1000 + APID_KEY_TTL_MS,
	    APID_KEY_TTL_MS), 0);
}

/* The entry of the key hashed to n ("%064d", as long as a real hash). */
static struct apid_key *
entry(struct apid_keycache *c, int n, bool put)
{
	char	h[65];

	snprintf(h, sizeof(h), "%064d", n);
	return put ? keycache_put(c, h) : keycache_find(c, h);
}

static void
put_user(struct apid_keycache *c, int n, const char *uid)
{
	struct apid_key	*k = entry(c, n, true);

	snprintf(k->user_id, sizeof(k->user_id), "%s", uid);
}

static void
test_keycache(void **state)
{
	struct apid_keycache	c;
	struct apid_key		*a, *b;
	char			h[65];
	int			i;

	(void)state;
	keycache_init(&c, 16);
	memset(h, 'a', 64);
	h[64] = '\0';
	a = keycache_put(&c, h);
	a->key_id = 7;
	snprintf(a->user_id, sizeof(a->user_id), "alice");
	assert_ptr_equal(keycache_find(&c, h), a);
	/* fill far beyond the table: never crashes, evicts */
	for (i = 0; i < 200; i++) {
		snprintf(h, sizeof(h), "%064d", i);
		b = keycache_put(&c, h);
		assert_non_null(b);
		assert_string_equal(b->hash, h);
		assert_ptr_equal(keycache_find(&c, h), b);
	}
	snprintf(h, sizeof(h), "%064d", 199);
	b = keycache_find(&c, h);
	b->key_id = 9;
	keycache_drop_id(&c, 9);
	assert_null(keycache_find(&c, h));
	/* a user's keys go together, others stay; flush drops all */
	keycache_flush(&c);
	put_user(&c, 1, "bob");
	put_user(&c, 2, "bob");
	put_user(&c, 3, "bobby");
	keycache_drop_user(&c, "bob");
	assert_null(entry(&c, 1, false));
	assert_null(entry(&c, 2, false));
	assert_non_null(entry(&c, 3, false));
	keycache_flush(&c);
	assert_null(entry(&c, 3, false));
	keycache_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_limit_math),
		cmocka_unit_test(test_keycache),
	};

	return cmocka_run_group_tests_name("apid_ratelimit", tests, NULL, NULL);
}
