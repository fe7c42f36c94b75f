/*
 * Expected values were computed with Debian 12's /usr/bin/python3 (3.11.2)
 * and python3-scipy 1.10.1, e.g.
 *	python3 -c "import statistics as s; print(repr(s.stdev([...])))"
 *	python3 -c "import scipy.stats as ss; r = ss.spearmanr(x, y);
 *	    print(repr(r.correlation), repr(r.pvalue))"
 * and pasted as literals; the tests do not need Python at run time.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "common/err.h"

#include "analyticsd/stats.h"
#include "tests/unit/testutil.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Bit-for-bit equality, with both numbers printed when it fails. */
static const double d1[] = { 45.3, 38.1, 52.7, 41.0, 47.9, 39.4, 50.2,
    44.8, 36.5, 48.6 };

static void
test_descriptive_python(void **state)
{
	double	v, q[3];

	(void)state;
	assert_int_equal(stats_mean(d1, NELEM(d1), &v), PF_OK);
	assert_double_exact(v, 44.45);
	assert_int_equal(stats_median(d1, NELEM(d1), &v), PF_OK);
	assert_double_exact(v, 45.05);
	assert_int_equal(stats_stdev(d1, NELEM(d1), &v), PF_OK);
	assert_double_exact(v, 5.497726802961385);
	/* statistics.quantiles(d1, n=4) */
	assert_int_equal(stats_quartiles(d1, NELEM(d1), q), PF_OK);
	assert_double_exact(q[0], 39.074999999999996);
	assert_double_exact(q[1], 45.05);
	assert_double_exact(q[2], 49.0);
}

static void
test_mean_exact_rounding(void **state)
{
	double	x[11], v;
	size_t	i;

	(void)state;
	/* naive sum/len gives 0.1545454545454545; Python rounds once */
	for (i = 0; i < 10; i++)
		x[i] = 0.1;
	x[10] = 0.7;
	assert_int_equal(stats_mean(x, 11, &v), PF_OK);
	assert_double_exact(v, 0.15454545454545454);
	assert_int_equal(stats_stdev(x, 11, &v), PF_OK);
	assert_double_exact(v, 0.18090680674665816);
}

static void
test_quartiles_small(void **state)
{
	const double	d2[] = { 3, 1, 4, 1, 5 }, d3[] = { 7, 2 }, one[] = { 4.2 };
	double		q[3], v;

	(void)state;
	/* quantiles([3,1,4,1,5], n=4) = [1.0, 3.0, 4.5] */
	assert_int_equal(stats_quartiles(d2, 5, q), PF_OK);
	assert_double_exact(q[0], 1.0);
	assert_double_exact(q[1], 3.0);
	assert_double_exact(q[2], 4.5);
	assert_int_equal(stats_stdev(d2, 5, &v), PF_OK);
	assert_double_exact(v, 1.7888543819998317);
	assert_int_equal(stats_median(d2, 5, &v), PF_OK);
	assert_double_exact(v, 3.0);
	/* quantiles([7.0, 2.0], n=4) = [0.75, 4.5, 8.25] (clamped j) */
	assert_int_equal(stats_quartiles(d3, 2, q), PF_OK);
	assert_double_exact(q[0], 0.75);
	assert_double_exact(q[1], 4.5);
	assert_double_exact(q[2], 8.25);
	assert_int_equal(stats_quartiles(one, 1, q), PF_OK);
	assert_double_exact(q[0], 4.2);
	assert_double_exact(q[2], 4.2);
}

static void
test_empty_one_constant_nan(void **state)
{
	const double	nan3[] = { NAN, NAN, INFINITY };
	const double	one[] = { NAN, 5.0, NAN };
	const double	cst[] = { 3, 3, 3, 3 };
	double		v, lo, hi, q[3];

	(void)state;
	assert_int_equal(stats_mean(NULL, 0, &v), PF_ERR_RANGE);
	assert_true(isnan(v));
	assert_int_equal(stats_mean(NULL, 3, &v), PF_ERR_INVALID);
	assert_int_equal(stats_mean(d1, 3, NULL), PF_ERR_INVALID);
	assert_int_equal(stats_mean(nan3, 3, &v), PF_ERR_RANGE);
	assert_int_equal(stats_median(nan3, 3, &v), PF_ERR_RANGE);
	assert_int_equal(stats_quartiles(nan3, 3, q), PF_ERR_RANGE);
	assert_true(isnan(q[0]) && isnan(q[2]));
	assert_int_equal(stats_minmax(nan3, 3, &lo, &hi), PF_ERR_RANGE);
	assert_int_equal(stats_count(nan3, 3), 0);

	assert_int_equal(stats_mean(one, 3, &v), PF_OK);
	assert_double_exact(v, 5.0);
	assert_int_equal(stats_median(one, 3, &v), PF_OK);
	assert_double_exact(v, 5.0);
	assert_int_equal(stats_stdev(one, 3, &v), PF_ERR_RANGE);
	assert_true(isnan(v));
	assert_int_equal(stats_minmax(one, 3, &lo, &hi), PF_OK);
	assert_double_exact(lo, 5.0);
	assert_double_exact(hi, 5.0);

	assert_int_equal(stats_stdev(cst, 4, &v), PF_OK);
	assert_double_exact(v, 0.0);
	assert_int_equal(stats_quartiles(cst, 4, q), PF_OK);
	assert_double_exact(q[0], 3.0);
	assert_double_exact(q[2], 3.0);
}

static void
test_nan_skipped_not_poisoning(void **state)
{
	double	x[12], v, w;
	size_t	i;

	(void)state;
	for (i = 0; i < 10; i++)
		x[i] = d1[i];
	x[10] = NAN;
	x[11] = -INFINITY;
	assert_int_equal(stats_count(x, 12), 10);
	assert_int_equal(stats_mean(x, 12, &v), PF_OK);
	assert_double_exact(v, 44.45);
	assert_int_equal(stats_stdev(x, 12, &w), PF_OK);
	assert_double_exact(w, 5.497726802961385);
	assert_int_equal(stats_minmax(x, 12, &v, &w), PF_OK);
	assert_double_exact(v, 36.5);
	assert_double_exact(w, 52.7);
}

static void
test_ranks_average_ties(void **state)
{
	const double	x[] = { 10, 20, 20, 30, 40, NAN, 40, 40, 50 };
	const double	want[] = { 1, 2.5, 2.5, 4, 6, NAN, 6, 6, 8 };
	double		r[NELEM(x)];
	size_t		i;

	(void)state;
	assert_int_equal(stats_ranks(x, NELEM(x), r), PF_OK);
	for (i = 0; i < NELEM(x); i++) {
		if (isnan(want[i]))
			assert_true(isnan(r[i]));
		else
			assert_double_exact(r[i], want[i]);
	}
}

static void
test_spearman_scipy(void **state)
{
	const double	x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	const double	y[] = { 2, 1, 4, 3, 7, 5, 6, 9, 8, 12, 10, 11 };
	const double	x2[] = { 10, 20, 20, 30, 40, 40, 40, 50 };
	const double	y2[] = { 3, 5, 4, 4, 8, 9, 7, 6 };
	double		r, p;
	size_t		m;

	(void)state;
	assert_int_equal(stats_spearman(x, y, NELEM(x), &r, &p, &m), PF_OK);
	assert_int_equal(m, 12);
	assert_double_rel(r, 0.9370629370629372, 1e-14);
	assert_double_rel(p, 6.99316495321054e-06, 1e-10);
	/* ties on both sides */
	assert_int_equal(stats_spearman(x2, y2, NELEM(x2), &r, &p, NULL),
	    PF_OK);
	assert_double_rel(r, 0.7718402554281193, 1e-14);
	assert_double_rel(p, 0.02484396962442816, 1e-10);
}

static void
test_spearman_scipy_30(void **state)
{
	const double	a[] = { 64, 59, 68, 73, 79, 71, 66, 64, 76, 83, 72,
	    60, 62, 83, 72, 56, 69, 61, 65, 66, 64, 74, 69, 65, 73, 77, 57,
	    68, 62, 69 };
	const double	b[] = { 30, 37, 39, 39, 36, 38, 32, 30, 43, 37, 48,
	    41, 26, 46, 34, 36, 40, 25, 37, 37, 44, 34, 44, 32, 39, 37, 45,
	    43, 52, 44 };
	double		r, p;

	(void)state;
	assert_int_equal(stats_spearman(a, b, NELEM(a), &r, &p, NULL), PF_OK);
	assert_double_rel(r, 0.16998468794158172, 1e-13);
	assert_double_rel(p, 0.3691624383877017, 1e-10);
}

static void
test_spearman_degenerate(void **state)
{
	const double	x[] = { 1, 2, 3, 4, 5 };
	const double	c[] = { 7, 7, 7, 7, 7 };
	const double	rev[] = { 9, 8, 7, 6, 5 };
	const double	hole[] = { NAN, 2, NAN, 4, NAN };
	double		r, p;
	size_t		m;

	(void)state;
	assert_int_equal(stats_spearman(x, c, 5, &r, &p, NULL), PF_ERR_RANGE);
	assert_true(isnan(r) && isnan(p));
	/* scipy: -0.9999999999999999, p 1.4042654220543672e-24 */
	assert_int_equal(stats_spearman(x, rev, 5, &r, &p, NULL), PF_OK);
	assert_true(r <= -0.9999999999999997);
	assert_true(p < 1e-20);
	assert_int_equal(stats_spearman(x, hole, 5, &r, &p, &m),
	    PF_ERR_RANGE);
	assert_int_equal(m, 2);
	assert_int_equal(stats_spearman(NULL, NULL, 0, &r, &p, &m),
	    PF_ERR_RANGE);
}

static void
test_densify(void **state)
{
	const struct dayval	s[] = { { 100, 1 }, { 102, 3 }, { 102, 4 },
	    { 103, NAN }, { 99, 7 }, { 105, 9 }, { 101, 2 }, { 101, NAN } };
	double			out[5];

	(void)state;
	assert_int_equal(stats_densify(s, NELEM(s), 100, 5, out), PF_OK);
	assert_double_exact(out[0], 1);
	assert_double_exact(out[1], 2);		/* NaN row does not mask */
	assert_double_exact(out[2], 4);		/* later row wins */
	assert_true(isnan(out[3]));
	assert_true(isnan(out[4]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptive_python),
		cmocka_unit_test(test_mean_exact_rounding),
		cmocka_unit_test(test_quartiles_small),
		cmocka_unit_test(test_empty_one_constant_nan),
		cmocka_unit_test(test_nan_skipped_not_poisoning),
		cmocka_unit_test(test_ranks_average_ties),
		cmocka_unit_test(test_spearman_scipy),
		cmocka_unit_test(test_spearman_scipy_30),
		cmocka_unit_test(test_spearman_degenerate),
		cmocka_unit_test(test_densify),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
