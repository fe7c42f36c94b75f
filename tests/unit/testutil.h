/*
 * testutil.h -- assertions the cmocka unit tests share.  Include after
 * <cmocka.h> (and <math.h>).  Doubles print with 17 digits, so a failure
 * shows the values that differ in their last bit.
 */
#ifndef PF_TESTUTIL_H
#define PF_TESTUTIL_H

/* a == b exactly (bit-identical results, not "close enough"). */
#define assert_double_exact(a, b) do {					\
	double _a = (a), _b = (b);					\
	if (!(_a == _b)) {						\
		print_error("%.17g != %.17g\n", _a, _b);		\
		fail();							\
	}								\
} while (0)

/* |a - b| <= tol * |b|: agreement with a reference to tol relative. */
#define assert_double_rel(a, b, tol) do {				\
	double _a = (a), _b = (b);					\
	if (!(fabs(_a - _b) <= (tol) * fabs(_b))) {			\
		print_error("%.17g !~ %.17g\n", _a, _b);		\
		fail();							\
	}								\
} while (0)

/* |a - b| <= eps: agreement to an absolute tolerance. */
#define assert_double_near(a, b, eps) do {				\
	double _a = (a), _b = (b);					\
	if (!(fabs(_a - _b) <= (eps))) {				\
		print_error("%.17g !~ %.17g\n", _a, _b);		\
		fail();							\
	}								\
} while (0)

#endif /* PF_TESTUTIL_H */
