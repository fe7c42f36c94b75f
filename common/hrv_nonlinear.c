/*
 * hrv_nonlinear.c -- Poincare descriptors, sample and approximate
 * entropy, detrended fluctuation analysis of an NN series.
 */
#include <math.h>

#include "common/hrv.h"
#include "common/hrv_impl.h"

#define DFA1_LO	4
#define DFA1_HI	16
#define DFA2_LO	16
#define DFA2_HI	64

/* Do templates of length m at i and j match within r (Chebyshev)? */
static int
match(const double *x, size_t i, size_t j, size_t m, double r)
{
	size_t	k;

	for (k = 0; k < m; k++)
		if (fabs(x[i + k] - x[j + k]) > r)
			return 0;
	return 1;
}

/* Richman & Moorman: the first n - m templates of lengths m and m + 1,
 * self-matches excluded. */
static double
sampen(const double *x, size_t n, size_t m, double r)
{
	double	a = 0.0, b = 0.0;
	size_t	i, j;

	for (i = 0; i + m < n; i++)
		for (j = i + 1; j + m < n; j++)
			if (match(x, i, j, m, r)) {
				b += 1.0;
				if (fabs(x[i + m] - x[j + m]) <= r)
					a += 1.0;
			}
	return a > 0.0 && b > 0.0 ? -log(a / b) : NAN;
}

/* Pincus: phi(m) = mean of ln(matches / templates), self-matches
 * included, over all n - m + 1 templates. */
static double
phi(const double *x, size_t n, size_t m, double r, double *cnt)
{
	size_t	i, j, nt = n - m + 1;
	double	s = 0.0;

	for (i = 0; i < nt; i++)
		cnt[i] = 1.0;
	for (i = 0; i < nt; i++)
		for (j = i + 1; j < nt; j++)
			if (match(x, i, j, m, r)) {
				cnt[i] += 1.0;
				cnt[j] += 1.0;
			}
	for (i = 0; i < nt; i++)
		s += log(cnt[i] / (double)nt);
	return s / (double)nt;
}

/* F(s): RMS of the integrated series y about each box's least-squares
 * line, boxes of s points from the start. */
static double
fluct(const double *y, size_t n, size_t s)
{
	double	xm = ((double)s - 1.0) / 2.0, sxx = 0.0, sum = 0.0, ym, sxy,
		b, e;
	size_t	nb = n / s, box, k;
	const double *p;

	for (k = 0; k < s; k++)
		sxx += ((double)k - xm) * ((double)k - xm);
	for (box = 0; box < nb; box++) {
		p = y + box * s;
		ym = pf_hrv_mean(p, s);
		sxy = 0.0;
		for (k = 0; k < s; k++)
			sxy += ((double)k - xm) * (p[k] - ym);
		b = sxy / sxx;
		for (k = 0; k < s; k++) {
			e = p[k] - ym - b * ((double)k - xm);
			sum += e * e;
		}
	}
	return sqrt(sum / (double)(nb * s));
}

/* The least-squares slope of log10 F(s) on log10 s, s = lo..hi. */
static double
dfa(const double *y, size_t n, size_t lo, size_t hi)
{
	double	sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, lx, ly, k;
	size_t	s;

	for (s = lo; s <= hi; s++) {
		lx = log10((double)s);
		ly = log10(fluct(y, n, s));
		sx += lx;
		sy += ly;
		sxx += lx * lx;
		sxy += lx * ly;
	}
	k = (double)(hi - lo + 1);
	return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

void
pf_hrv_nonlinear(const double *nn, size_t n, const struct pf_hrv_opts *o,
    struct pf_hrv_ws *w, struct pf_hrv_result *r)
{
	double	*y = w->sc[0], mean, acc = 0.0, rr;
	size_t	i, m = (size_t)o->entropy_m;

	r->sd1 = sqrt(r->sdsd * r->sdsd / 2.0);
	r->sd2 = sqrt(2.0 * r->sdnn * r->sdnn - r->sdsd * r->sdsd / 2.0);
	r->sd2_sd1 = r->sd2 / r->sd1;

	rr = o->entropy_r * r->sdnn;
	if (rr > 0.0) {
		r->sampen = sampen(nn, n, m, rr);
		r->apen = phi(nn, n, m, rr, w->sc[1]) -
		    phi(nn, n, m + 1, rr, w->sc[1]);
	} else {
		r->sampen = NAN;
		r->apen = NAN;
		r->warnings |= PF_HRV_W_FLAT;
	}
	if (isnan(r->sampen))
		r->warnings |= PF_HRV_W_NO_SAMPEN;

	mean = pf_hrv_mean(nn, n);
	for (i = 0; i < n; i++) {
		acc += nn[i] - mean;
		y[i] = acc;
	}
	r->dfa_a1 = NAN;
	r->dfa_a2 = NAN;
	if (n >= 2 * DFA1_HI && r->sdnn > 0.0)
		r->dfa_a1 = dfa(y, n, DFA1_LO, DFA1_HI);
	else
		r->warnings |= PF_HRV_W_NO_DFA1;
	if (n >= 2 * DFA2_HI && r->sdnn > 0.0)
		r->dfa_a2 = dfa(y, n, DFA2_LO, DFA2_HI);
	else
		r->warnings |= PF_HRV_W_NO_DFA2;
}
