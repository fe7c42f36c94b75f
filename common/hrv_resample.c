/*
 * hrv_resample.c -- the evenly sampled, detrended NN series the Welch
 * spectrum needs: a natural cubic spline through the beats, sampled at
 * resample_hz, minus its smoothness-priors trend.
 *
 * The smoothness-priors trend (Tarvainen et al. 2002) is the solution of
 * (I + lambda^2 D2'D2) trend = z, D2 the second-difference matrix: a
 * time-varying high-pass whose cut-off (about 0.035 Hz at lambda 500 and
 * 4 Hz) keeps VLF drift out of LF.  The matrix is symmetric, positive
 * definite and pentadiagonal, so a banded LDL' factorisation solves it in
 * linear time and memory.
 */
#include <math.h>

#include "common/hrv.h"
#include "common/hrv_impl.h"

/* Second derivatives m of the natural spline through (x_i, y_i). */
static void
spline(const double *x, const double *y, size_t n, double *m, double *c)
{
	double	h0, h1, piv;
	size_t	i;

	m[0] = 0.0;
	m[n - 1] = 0.0;
	if (n < 3)
		return;
	/* tridiagonal Thomas forward sweep; c holds the super-diagonal */
	c[0] = 0.0;
	for (i = 1; i + 1 < n; i++) {
		h0 = x[i] - x[i - 1];
		h1 = x[i + 1] - x[i];
		piv = 2.0 * (h0 + h1) - h0 * c[i - 1];
		c[i] = h1 / piv;
		m[i] = (6.0 * ((y[i + 1] - y[i]) / h1 -
		    (y[i] - y[i - 1]) / h0) - h0 * m[i - 1]) / piv;
	}
	for (i = n - 2; i > 0; i--)
		m[i] -= c[i] * m[i + 1];
}

static double
spline_at(const double *x, const double *y, const double *m, size_t n,
    size_t *k, double v)
{
	double	h, a, b;
	size_t	i;

	while (*k + 2 < n && x[*k + 1] < v)
		(*k)++;
	i = *k;
	h = x[i + 1] - x[i];
	a = (x[i + 1] - v) / h;
	b = (v - x[i]) / h;
	return a * y[i] + b * y[i + 1] + ((a * a * a - a) * m[i] +
	    (b * b * b - b) * m[i + 1]) * h * h / 6.0;
}

/* z -= the smoothness-priors trend of z[0..n). */
static void
detrend(double *z, size_t n, double lambda, double *dg, double *l1,
    double *l2, double *v)
{
	double	l2sq = lambda * lambda;
	size_t	i;

	if (n < 3)
		return;
	/* A = I + l^2 D'D: D'D's diagonals by the rows of D that cover i */
	for (i = 0; i < n; i++) {
		dg[i] = 0.0;
		l1[i] = 0.0;
		l2[i] = 0.0;
	}
	for (i = 0; i + 2 < n; i++) {
		/* row i of D is (1, -2, 1) at columns i, i+1, i+2 */
		dg[i] += 1.0;
		dg[i + 1] += 4.0;
		dg[i + 2] += 1.0;
		l1[i + 1] += -2.0;	/* (i+1, i) */
		l1[i + 2] += -2.0;	/* (i+2, i+1) */
		l2[i + 2] += 1.0;	/* (i+2, i) */
	}
	for (i = 0; i < n; i++) {
		dg[i] = 1.0 + l2sq * dg[i];
		l1[i] *= l2sq;
		l2[i] *= l2sq;
	}
	/* LDL': l1[i] = L(i, i-1), l2[i] = L(i, i-2), dg[i] = D(i) */
	for (i = 0; i < n; i++) {
		if (i >= 2) {
			l2[i] /= dg[i - 2];
			dg[i] -= l2[i] * l2[i] * dg[i - 2];
		}
		if (i >= 1) {
			if (i >= 2)
				l1[i] -= l2[i] * l1[i - 1] * dg[i - 2];
			l1[i] /= dg[i - 1];
			dg[i] -= l1[i] * l1[i] * dg[i - 1];
		}
	}
	for (i = 0; i < n; i++) {
		v[i] = z[i];
		if (i >= 1)
			v[i] -= l1[i] * v[i - 1];
		if (i >= 2)
			v[i] -= l2[i] * v[i - 2];
	}
	for (i = 0; i < n; i++)
		v[i] /= dg[i];
	for (i = n; i-- > 0;) {
		if (i + 1 < n)
			v[i] -= l1[i + 1] * v[i + 1];
		if (i + 2 < n)
			v[i] -= l2[i + 2] * v[i + 2];
	}
	for (i = 0; i < n; i++)
		z[i] -= v[i];
}

size_t
pf_hrv_resample(const double *nn, size_t n, const struct pf_hrv_opts *o,
    struct pf_hrv_ws *w)
{
	double	*t = w->t, *m = w->sc[3], *c = w->sc[4];
	double	acc = 0.0, t0;
	size_t	i, k = 0, ns;

	for (i = 0; i < n; i++) {
		acc += nn[i] / 1000.0;
		t[i] = acc;
	}
	spline(t, nn, n, m, c);
	t0 = t[0];
	ns = (size_t)floor((t[n - 1] - t0) * o->resample_hz) + 1;
	if (ns > w->scap)
		ns = w->scap;
	for (i = 0; i < ns; i++)
		w->x[i] = spline_at(t, nn, m, n, &k,
		    t0 + (double)i / o->resample_hz);
	detrend(w->x, ns, o->lambda, w->band[0], w->band[1], w->band[2],
	    w->band[3]);
	return ns;
}
