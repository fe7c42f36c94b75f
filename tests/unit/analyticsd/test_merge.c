/*
 * merge_source(): Apple Health values beside Polar's, one per day.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analyticsd/analyticsd.h"

static void
fill(struct series *s, const int32_t *days, const double *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		series_push(s, days[i], v[i]);
}

static void
check(const struct series *s, const int32_t *days, const double *v,
    size_t n)
{
	size_t	i;

	assert_int_equal(s->n, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(s->v[i].day, days[i]);
		assert_true(s->v[i].value == v[i]);
	}
}

/* Polar on 11 and 13 (13 NULL), Apple on 10, 11, 13, unsorted. */
static const int32_t	pd[] = { 13, 11 };
static const double	pv[] = { NAN, 8000 };
static const int32_t	ad[] = { 11, 13, 10 };
static const double	av[] = { 3001, 3002, 3000 };

static void
test_prefer_polar(void **state)
{
	struct series	p = { 0 }, a = { 0 }, from = { 0 };
	const int32_t	wd[] = { 10, 11, 13 }, fd[] = { 10, 13 };
	const double	wv[] = { 3000, 8000, 3002 }, fv[] = { 1, 1 };

	(void)state;
	fill(&p, pd, pv, 2);
	fill(&a, ad, av, 3);
	merge_source(&p, &a, false, &from);
	check(&p, wd, wv, 3);
	check(&from, fd, fv, 2);
	free(p.v); free(a.v); free(from.v);
}

static void
test_prefer_apple(void **state)
{
	struct series	p = { 0 }, a = { 0 }, from = { 0 };
	const int32_t	wd[] = { 10, 11, 13 };
	const double	wv[] = { 3000, 3001, 3002 }, fv[] = { 1, 1, 1 };

	(void)state;
	fill(&p, pd, pv, 2);
	fill(&a, ad, av, 3);
	merge_source(&p, &a, true, &from);
	check(&p, wd, wv, 3);
	check(&from, wd, fv, 3);
	free(p.v); free(a.v); free(from.v);
}

/* No Apple values: Polar's series is left exactly as read. */
static void
test_polar_only(void **state)
{
	struct series	p = { 0 }, a = { 0 }, from = { 0 };

	(void)state;
	fill(&p, pd, pv, 2);
	merge_source(&p, &a, true, &from);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.v[0].day, 13);
	assert_true(isnan(p.v[0].value));
	assert_int_equal(from.n, 0);
	merge_source(&a, &p, false, NULL);	/* Apple only, no record */
	assert_int_equal(a.n, 1);
	assert_int_equal(a.v[0].day, 11);
	free(p.v); free(a.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefer_polar),
		cmocka_unit_test(test_prefer_apple),
		cmocka_unit_test(test_polar_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
