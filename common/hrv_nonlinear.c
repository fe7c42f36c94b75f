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

/*
 * Sample entropy (Richman & Moorman: the first n - m templates of lengths
 * m and m + 1, self-matches excluded) and approximate entropy (Pincus:
 * all n - m + 1 and n - m templates, self-matches included), Chebyshev
 * distance r.  Both count template pairs (i, i + d); along each lag d a
 * run of consecutive element matches of length >= m ending at k is a
 * template match at k - m + 1, so each element pair is compared once.
 * cm and cm1 (n each) receive ApEn's per-template counts.
 */
static void
entropies(const double *x, size_t n, size_t m, double r, double *cm,
    double *cm1, double *sampen, double *apen)
{
	double	a = 0.0, b = 0.0, pm = 0.0, pm1 = 0.0;
	size_t	d, k, run, i, nt = n - m + 1;

	for (i = 0; i < n; i++) {
		cm[i] = 1.0;
		cm1[i] = 1.0;
	}
	for (d = 1; d < n; d++) {
		run = 0;
		for (k = 0; k + d < n; k++) {
			run = fabs(x[k] - x[k + d]) <= r ? run + 1 : 0;
			if (run < m)
				continue;
			i = k + 1 - m;	/* templates i and i + d match */
			cm[i] += 1.0;
			cm[i + d] += 1.0;
			/* both among the first n - m? */
			if (i + d + m < n)
				b += 1.0;
			if (run > m) {	/* and one longer from i - 1 */
				cm1[i - 1] += 1.0;
				cm1[i - 1 + d] += 1.0;
				a += 1.0;
			}
		}
	}
	*sampen = a > 0.0 && b > 0.0 ? -log(a / b) : NAN;
	for (i = 0; i < nt; i++)
		pm += log(cm[i] / (double)nt);
	for (i = 0; i + 1 < nt; i++)
		pm1 += log(cm1[i] / (double)(nt - 1));
	*apen = pm / (double)nt - pm1 / (double)(nt - 1);
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
		ly = fluct(y, n, s);
		if (!(ly > 0.0))	/* a straight line: no scaling to fit */
			return NAN;
		ly = log10(ly);
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
		entropies(nn, n, m, rr, w->sc[1], w->sc[2], &r->sampen,
		    &r->apen);
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
	if (n >= 2 * DFA2_HI && r->sdnn > 0.0)
		r->dfa_a2 = dfa(y, n, DFA2_LO, DFA2_HI);
	if (isnan(r->dfa_a1))
		r->warnings |= PF_HRV_W_NO_DFA1;
	if (isnan(r->dfa_a2))
		r->warnings |= PF_HRV_W_NO_DFA2;
}
