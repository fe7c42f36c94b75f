/*
 * stats.c -- statistics primitives for analyticsd.
 *
 * Descriptive statistics reproduce Python's statistics module bit for bit
 * (upstream stores those doubles and clients compare them), correlation
 * reproduces scipy.stats.spearmanr.  Non-finite inputs are missing values
 * and are skipped everywhere.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"

#include "analyticsd/stats.h"

/*
 * binary128 gives 113 significant bits: sums of a few hundred doubles of
 * similar magnitude are exact, so one final rounding matches Python's
 * exact-fraction arithmetic.
 */
typedef _Float128 quad;

#define BETA_EPS	1e-16
#define BETA_FPMIN	1e-300
#define BETA_MAXIT	10000

size_t
stats_count(const double *x, size_t n)
{
	size_t	i, c = 0;

	if (x == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (isfinite(x[i]))
			c++;
	return c;
}

/* Copies the finite values of x into a fresh array; caller frees. */
static double *
finite_copy(const double *x, size_t n, size_t *m)
{
	double	*v;
	size_t	 i, k = 0;

	v = pf_xreallocarray(NULL, n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++)
		if (isfinite(x[i]))
			v[k++] = x[i];
	*m = k;
	return v;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double *
sorted_copy(const double *x, size_t n, size_t *m)
{
	double	*v;

	v = finite_copy(x, n, m);
	qsort(v, *m, sizeof(*v), cmp_double);
	return v;
}

int
stats_mean(const double *x, size_t n, double *mean)
{
	quad	s = 0;
	size_t	i, m = 0;

	if (mean == NULL)
		return PF_ERR_INVALID;
	*mean = NAN;
	if (x == NULL && n > 0)
		return PF_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		s += (quad)x[i];
		m++;
	}
	if (m == 0)
		return PF_ERR_RANGE;
	*mean = (double)(s / (quad)m);
	return PF_OK;
}

int
stats_median(const double *x, size_t n, double *median)
{
	double	*v;
	size_t	 m;

	if (median == NULL)
		return PF_ERR_INVALID;
	*median = NAN;
	if (x == NULL && n > 0)
		return PF_ERR_INVALID;
	v = sorted_copy(x, n, &m);
	if (m == 0) {
		free(v);
		return PF_ERR_RANGE;
	}
	if (m % 2 == 1)
		*median = v[m / 2];
	else
		*median = (v[m / 2 - 1] + v[m / 2]) / 2;
	free(v);
	return PF_OK;
}

/*
 * Correctly rounded sqrt of a binary128 value: the double sqrt of the
 * rounded argument can land one ulp off, so step to whichever neighbour
 * has v between the squares of its rounding midpoints.
 */
static double
sqrt_q(quad v)
{
	double	s, up, dn;
	quad	mid;

	if (v <= 0)
		return 0.0;
	s = sqrt((double)v);
	for (;;) {
		up = nextafter(s, INFINITY);
		mid = ((quad)s + (quad)up) / 2;
		if (mid * mid < v) {
			s = up;
			continue;
		}
		dn = nextafter(s, 0.0);
		mid = ((quad)s + (quad)dn) / 2;
		if (mid * mid > v) {
			s = dn;
			continue;
		}
		break;
	}
	return s;
}

int
stats_stdev(const double *x, size_t n, double *sd)
{
	quad	sx = 0, sxx = 0, q;
	size_t	i, m = 0;

	if (sd == NULL)
		return PF_ERR_INVALID;
	*sd = NAN;
	if (x == NULL && n > 0)
		return PF_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		q = (quad)x[i];
		sx += q;
		sxx += q * q;
		m++;
	}
	if (m < 2)
		return PF_ERR_RANGE;
	/* Python 3.12 _ss: ssd = (sxx*n - sx^2)/n, var = ssd/(n-1). */
	q = (sxx * (quad)m - sx * sx) / ((quad)m * (quad)(m - 1));
	*sd = sqrt_q(q);
	return PF_OK;
}

int
stats_quartiles(const double *x, size_t n, double q[3])
{
	double		*v;
	size_t		 ld;
	long long	 m, i, j, delta;

	if (q == NULL)
		return PF_ERR_INVALID;
	q[0] = q[1] = q[2] = NAN;
	if (x == NULL && n > 0)
		return PF_ERR_INVALID;
	v = sorted_copy(x, n, &ld);
	if (ld == 0) {
		free(v);
		return PF_ERR_RANGE;
	}
	if (ld == 1) {
		q[0] = q[1] = q[2] = v[0];
		free(v);
		return PF_OK;
	}
	/* delta goes negative when j is clamped up to 1; keep it signed */
	m = (long long)ld + 1;
	for (i = 1; i <= 3; i++) {
		j = i * m / 4;
		if (j < 1)
			j = 1;
		if (j > (long long)ld - 1)
			j = (long long)ld - 1;
		delta = i * m - j * 4;
		q[i - 1] = (v[j - 1] * (double)(4 - delta) +
		    v[j] * (double)delta) / 4;
	}
	free(v);
	return PF_OK;
}

int
stats_minmax(const double *x, size_t n, double *min, double *max)
{
	size_t	i;
	bool	any = false;
	double	lo = NAN, hi = NAN;

	if (min == NULL || max == NULL || (x == NULL && n > 0))
		return PF_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		if (!any || x[i] < lo)
			lo = x[i];
		if (!any || x[i] > hi)
			hi = x[i];
		any = true;
	}
	*min = lo;
	*max = hi;
	return any ? PF_OK : PF_ERR_RANGE;
}

struct idxval {
	double	v;
	size_t	i;
};

static int
cmp_idxval(const void *a, const void *b)
{
	const struct idxval	*x = a, *y = b;

	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return (x->i > y->i) - (x->i < y->i);
}

int
stats_ranks(const double *x, size_t n, double *ranks)
{
	struct idxval	*iv;
	size_t		 i, j, k, m = 0;
	double		 r;

	if (ranks == NULL || (x == NULL && n > 0))
		return PF_ERR_INVALID;
	iv = pf_xreallocarray(NULL, n ? n : 1, sizeof(*iv));
	for (i = 0; i < n; i++) {
		ranks[i] = NAN;
		if (isfinite(x[i])) {
			iv[m].v = x[i];
			iv[m].i = i;
			m++;
		}
	}
	qsort(iv, m, sizeof(*iv), cmp_idxval);
	for (i = 0; i < m; i = j) {
		for (j = i + 1; j < m && iv[j].v == iv[i].v; j++)
			;
		/* positions i..j-1 share ranks i+1..j; their mean */
		r = (double)(i + 1 + j) / 2;
		for (k = i; k < j; k++)
			ranks[iv[k].i] = r;
	}
	free(iv);
	return PF_OK;
}

/* Pearson r over m complete pairs already compacted into a and b. */
static int
pearson_dense(const double *a, const double *b, size_t m, double *r)
{
	double	ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0, da, db, d;
	size_t	i;

	*r = NAN;
	if (m < 2)
		return PF_ERR_RANGE;
	for (i = 0; i < m; i++) {
		ma += a[i];
		mb += b[i];
	}
	ma /= (double)m;
	mb /= (double)m;
	for (i = 0; i < m; i++) {
		da = a[i] - ma;
		db = b[i] - mb;
		sab += da * db;
		saa += da * da;
		sbb += db * db;
	}
	if (saa == 0 || sbb == 0)
		return PF_ERR_RANGE;
	/* numpy.corrcoef's operation order, to stay within an ulp of scipy */
	d = sab / (double)(m - 1);
	d /= sqrt(saa / (double)(m - 1));
	d /= sqrt(sbb / (double)(m - 1));
	/* numpy.corrcoef clips rounding overshoot the same way */
	if (d > 1)
		d = 1;
	if (d < -1)
		d = -1;
	*r = d;
	return PF_OK;
}

/* Compacts the pairs where both sides are finite; caller frees *a, *b. */
static size_t
pairs_copy(const double *x, const double *y, size_t n, double **a,
    double **b)
{
	size_t	i, m = 0;

	*a = pf_xreallocarray(NULL, n ? n : 1, sizeof(**a));
	*b = pf_xreallocarray(NULL, n ? n : 1, sizeof(**b));
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		(*a)[m] = x[i];
		(*b)[m] = y[i];
		m++;
	}
	return m;
}

/* Continued fraction for I_x(a,b) (Numerical Recipes betacf, Lentz). */
static double
betacf(double a, double b, double x)
{
	double	qab = a + b, qap = a + 1, qam = a - 1;
	double	c = 1, d, h, aa, del;
	int	m, m2;

	d = 1 - qab * x / qap;
	if (fabs(d) < BETA_FPMIN)
		d = BETA_FPMIN;
	d = 1 / d;
	h = d;
	for (m = 1; m <= BETA_MAXIT; m++) {
		m2 = 2 * m;
		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1 + aa * d;
		if (fabs(d) < BETA_FPMIN)
			d = BETA_FPMIN;
		c = 1 + aa / c;
		if (fabs(c) < BETA_FPMIN)
			c = BETA_FPMIN;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d;
		if (fabs(d) < BETA_FPMIN)
			d = BETA_FPMIN;
		c = 1 + aa / c;
		if (fabs(c) < BETA_FPMIN)
			c = BETA_FPMIN;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < BETA_EPS)
			break;
	}
	return h;
}

/*
 * I_x(a,b) with y = 1 - x passed separately: near x = 1 the caller can
 * often form y without cancellation (t-test: y = t^2/(df+t^2)).
 */
static double
betai_xy(double a, double b, double x, double y)
{
	double	lbt;

	if (!(a > 0) || !(b > 0) || !(x >= 0) || !(y >= 0) || x > 1 || y > 1)
		return NAN;
	if (x == 0)
		return 0;
	if (y == 0)
		return 1;
	lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y);
	if (x < (a + 1) / (a + b + 2))
		return exp(lbt) * betacf(a, b, x) / a;
	return 1 - exp(lbt) * betacf(b, a, y) / b;
}

int
stats_spearman(const double *x, const double *y, size_t n, double *r,
    double *p, size_t *used)
{
	double	*a, *b, *ra, *rb, rho, df, t, tt;
	size_t	 m;
	int	 rc;

	if (r == NULL || p == NULL)
		return PF_ERR_INVALID;
	*r = *p = NAN;
	if (used != NULL)
		*used = 0;
	if ((x == NULL || y == NULL) && n > 0)
		return PF_ERR_INVALID;
	m = pairs_copy(x, y, n, &a, &b);
	if (used != NULL)
		*used = m;
	if (m < 3) {
		free(a);
		free(b);
		return PF_ERR_RANGE;
	}
	ra = pf_xreallocarray(NULL, m, sizeof(*ra));
	rb = pf_xreallocarray(NULL, m, sizeof(*rb));
	(void)stats_ranks(a, m, ra);
	(void)stats_ranks(b, m, rb);
	rc = pearson_dense(ra, rb, m, &rho);
	free(a);
	free(b);
	free(ra);
	free(rb);
	if (rc != PF_OK)
		return rc;
	*r = rho;
	if (rho == 1 || rho == -1) {
		*p = 0;
		return PF_OK;
	}
	df = (double)(m - 2);
	t = rho * sqrt(df / ((rho + 1) * (1 - rho)));
	tt = t * t;
	/* two-sided: 2 * sf(|t|) = I_{df/(df+t^2)}(df/2, 1/2) */
	*p = betai_xy(df / 2, 0.5, df / (df + tt), tt / (df + tt));
	return PF_OK;
}

int
stats_densify(const struct dayval *s, size_t n, int32_t first_day,
    size_t ndays, double *out)
{
	size_t	i;
	int64_t	off;

	if (out == NULL || (s == NULL && n > 0))
		return PF_ERR_INVALID;
	for (i = 0; i < ndays; i++)
		out[i] = NAN;
	for (i = 0; i < n; i++) {
		off = (int64_t)s[i].day - first_day;
		/* a missing value is no row at all: it must not mask one */
		if (off < 0 || (uint64_t)off >= ndays || !isfinite(s[i].value))
			continue;
		out[off] = s[i].value;
	}
	return PF_OK;
}
