/*
 * stats.h -- polarflow-analyticsd's statistics primitives (stats.c), the
 * bottom of its pure computation layer; metric.h builds on them.  None of
 * these functions does I/O, reads a clock or keeps state; "today" is always
 * an argument.  The daemon (database reads, events, JSON) calls them.
 *
 * Conventions used by every function here and in metric.h:
 *
 *  - Days are int32_t day numbers: days since 1970-01-01 (UTC civil date),
 *    so "today - 90" is plain integer arithmetic.
 *  - A missing value is NaN.  Every non-finite double (NaN, +-Inf) in an
 *    input array is treated as missing and skipped; it never reaches a
 *    result.  Functions report how many values they used where it matters.
 *    Outputs use NaN for "null" (the JSON writer prints null).
 *  - int returns are PF_OK or a negative PF_ERR_* from common/err.h:
 *    PF_ERR_INVALID for NULL pointers or bad parameters, PF_ERR_RANGE when
 *    there are too few usable values for the result to exist (e.g. stdev of
 *    one sample, correlation of a constant series).  On error the output is
 *    set to NaN where that is meaningful; never left uninitialised.
 *  - Temporary memory comes from the pf_x* allocators (fatal on OOM, per the
 *    house policy), is freed before return, and no pointer is retained.
 *  - const char * results (names, messages) are static strings: borrowed,
 *    valid forever, never freed.
 *
 * Exactness: mean and stdev reproduce Python's statistics module, which
 * computes with exact fractions and rounds once.  Sums are carried in
 * binary128, which is exact whenever the data's significant bits fit in 113
 * bits (always for integer-valued metrics such as sleep score, HR and
 * RMSSD), so the stored numbers are bit-identical to upstream's.  Spearman
 * r and p agree with scipy to ~1e-12 relative.
 */
#ifndef PF_ANALYTICSD_STATS_H
#define PF_ANALYTICSD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One dated observation; value NaN = missing. */
struct dayval {
	int32_t	day;		/* days since 1970-01-01 */
	double	value;
};


/* Number of finite values in x[0..n). */
size_t	 stats_count(const double *x, size_t n);

/*
 * Arithmetic mean of the finite values, correctly rounded (as Python's
 * statistics.mean).  PF_ERR_RANGE if there are none.
 */
int	 stats_mean(const double *x, size_t n, double *mean);

/* Median: middle value, or the mean of the two middles (Python's formula). */
int	 stats_median(const double *x, size_t n, double *median);

/*
 * Sample standard deviation (n - 1 denominator), correctly rounded as
 * Python's statistics.stdev.  PF_ERR_RANGE with fewer than 2 values.
 */
int	 stats_stdev(const double *x, size_t n, double *sd);

/*
 * Quartiles q[0..2] = Q1, Q2, Q3 by Python's statistics.quantiles(n=4)
 * default method 'exclusive' (Python >= 3.10), same operation order so the
 * doubles are identical.  One value gives that value thrice; PF_ERR_RANGE
 * with none.
 */
int	 stats_quartiles(const double *x, size_t n, double q[3]);

int	 stats_minmax(const double *x, size_t n, double *min, double *max);

/*
 * Ranks (1-based) with ties given their average rank, as
 * scipy.stats.rankdata(method='average').  Non-finite values get a NaN rank
 * and are not counted.  ranks must hold n doubles; may not alias x.
 */
int	 stats_ranks(const double *x, size_t n, double *ranks);

/*
 * Spearman rho (Pearson r of average-tie ranks of the complete pairs) with
 * scipy's two-sided p: t = r*sqrt((m-2)/((1+r)(1-r))), p = 2*sf_t(|t|, m-2);
 * |r| = 1 gives p = 0.  PF_ERR_RANGE with fewer than 3 pairs or a constant
 * side; *r and *p are then NaN.  *used (may be NULL) gets the pair count m.
 */
int	 stats_spearman(const double *x, const double *y, size_t n, double *r,
	    double *p, size_t *used);

/*
 * Lay dated samples onto a dense daily array: out[d - first_day] = value
 * for first_day <= d < first_day + ndays; other days NaN.  Missing values
 * in s are ignored; when a day occurs twice with values the later element
 * of s wins (upstream builds a dict from date-ordered rows).
 */
int	 stats_densify(const struct dayval *s, size_t n, int32_t first_day,
	    size_t ndays, double *out);

#endif /* PF_ANALYTICSD_STATS_H */
