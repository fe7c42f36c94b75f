/*
 * hrv_time.c -- the time-domain and histogram metrics of an NN series.
 */
#include <math.h>
#include <string.h>

#include "common/hrv.h"
#include "common/hrv_impl.h"

#define TRI_BIN	(1000.0 / 128.0)	/* ms: the Task Force's 1/128 s */
#define SI_BIN	50.0			/* ms: Baevsky's bins */

/* Counts nn into bins of width bw from 0 ms; returns the highest count
 * and its first bin in *mode, the occupied range in *lo, *hi. */
static double
histogram(const double *nn, size_t n, double bw, double *h, size_t *lo,
    size_t *hi, size_t *mode)
{
	size_t	i, b;

	memset(h, 0, PF_HRV_HBINS * sizeof(*h));
	*lo = PF_HRV_HBINS;
	*hi = 0;
	for (i = 0; i < n; i++) {
		b = (size_t)floor(nn[i] / bw);
		if (b >= PF_HRV_HBINS)
			b = PF_HRV_HBINS - 1;
		h[b] += 1.0;
		if (b < *lo)
			*lo = b;
		if (b > *hi)
			*hi = b;
	}
	*mode = *lo;
	for (b = *lo; b <= *hi; b++)
		if (h[b] > h[*mode])
			*mode = b;
	return h[*mode];
}

/*
 * TINN: the triangle with its apex on the mode bin (x, y) and corners j < x
 * and k > x (in bins) that fits the histogram best in least squares.  The
 * two sides are independent, so each corner is searched on its own; the
 * corners range over the occupied bins and the empty bin beyond each end.
 */
static double
tinn(const double *h, size_t lo, size_t hi, size_t x)
{
	double	y = h[x], e, q, best;
	size_t	j, k, b, bj = x, bk = x;

	best = INFINITY;
	for (j = lo > 0 ? lo - 1 : 0; j < x; j++) {
		e = 0.0;
		for (b = lo; b < x; b++) {
			q = b > j ? y * (double)(b - j) / (double)(x - j) : 0.0;
			e += (h[b] - q) * (h[b] - q);
		}
		if (e < best) {
			best = e;
			bj = j;
		}
	}
	best = INFINITY;
	for (k = x + 1; k <= hi + 1 && k < PF_HRV_HBINS; k++) {
		e = 0.0;
		for (b = x + 1; b <= hi; b++) {
			q = b < k ? y * (double)(k - b) / (double)(k - x) : 0.0;
			e += (h[b] - q) * (h[b] - q);
		}
		if (e < best) {
			best = e;
			bk = k;
		}
	}
	return (double)(bk - bj) * TRI_BIN;
}

void
pf_hrv_time(const double *nn, size_t n, const struct pf_hrv_opts *o,
    struct pf_hrv_ws *w, struct pf_hrv_result *r)
{
	double	*hr = w->sc[0], *d = w->sc[1];
	double	s, mn, mx, top, sumsq = 0.0;
	size_t	i, k, lo, hi, mode, nb;

	r->mean_rr = pf_hrv_mean(nn, n);
	r->sdnn = pf_hrv_sd(nn, n);
	r->cv = r->sdnn / r->mean_rr * 100.0;
	for (i = 0; i < n; i++)
		hr[i] = 60000.0 / nn[i];
	r->mean_hr = pf_hrv_mean(hr, n);
	r->sd_hr = pf_hrv_sd(hr, n);

	/* min/max of the moving average of nb instantaneous HRs */
	nb = (size_t)o->hr_avg_beats < n ? (size_t)o->hr_avg_beats : n;
	mn = INFINITY;
	mx = -INFINITY;
	for (i = 0; i + nb <= n; i++) {
		s = 0.0;
		for (k = 0; k < nb; k++)
			s += hr[i + k];
		s /= (double)nb;
		mn = fmin(mn, s);
		mx = fmax(mx, s);
	}
	r->min_hr = mn;
	r->max_hr = mx;

	r->nn50 = 0;
	for (i = 0; i + 1 < n; i++) {
		d[i] = nn[i + 1] - nn[i];
		sumsq += d[i] * d[i];
		if (fabs(d[i]) > 50.0)
			r->nn50++;
	}
	r->rmssd = sqrt(sumsq / (double)(n - 1));
	r->sdsd = pf_hrv_sd(d, n - 1);
	r->pnn50 = (double)r->nn50 / (double)(n - 1) * 100.0;

	top = histogram(nn, n, TRI_BIN, w->hist, &lo, &hi, &mode);
	r->hti = (double)n / top;
	r->tinn = tinn(w->hist, lo, hi, mode);

	top = histogram(nn, n, SI_BIN, w->hist, &lo, &hi, &mode);
	mn = nn[0];
	mx = nn[0];
	for (i = 1; i < n; i++) {
		mn = fmin(mn, nn[i]);
		mx = fmax(mx, nn[i]);
	}
	if (mx > mn) {
		r->si = (top / (double)n * 100.0) /
		    (2.0 * pf_hrv_median(nn, n, w->sc[2]) / 1000.0 *
		    (mx - mn) / 1000.0);
		r->si_sqrt = sqrt(r->si);
	} else {
		r->si = NAN;
		r->si_sqrt = NAN;
		r->warnings |= PF_HRV_W_FLAT;
	}
}
