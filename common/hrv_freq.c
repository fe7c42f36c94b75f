/*
 * hrv_freq.c -- Welch and Lomb-Scargle spectra of the NN series and the
 * Task Force band metrics of each.
 */
#include <math.h>

#include "common/hrv.h"
#include "common/hrv_impl.h"

#ifndef M_PI
#define M_PI	3.14159265358979323846
#endif

/* Half-open bands: a bin on an edge belongs to the band above it. */
#define VLF_LO	0.003
#define LF_LO	0.04
#define HF_LO	0.15
#define HF_HI	0.4

/* Task Force: about ten cycles of a band's lower edge, 5 min for VLF. */
#define HF_MIN_S	60.0
#define LF_MIN_S	120.0
#define VLF_MIN_S	300.0

/* In-place iterative radix-2 FFT; n a power of two. */
static void
fft(double *re, double *im, size_t n)
{
	double	tr, ti, wr, wi, cr, ci, a, t, *hr, *hi;
	size_t	i, j, k, len, half;

	for (i = 1, j = 0; i < n; i++) {
		k = n >> 1;
		while (j & k) {
			j ^= k;
			k >>= 1;
		}
		j |= k;
		if (i < j) {
			t = re[i]; re[i] = re[j]; re[j] = t;
			t = im[i]; im[i] = im[j]; im[j] = t;
		}
	}
	for (len = 2; len <= n; len <<= 1) {
		half = len >> 1;
		a = -2.0 * M_PI / (double)len;
		wr = cos(a);
		wi = sin(a);
		for (i = 0; i < n; i += len) {
			cr = 1.0;
			ci = 0.0;
			hr = re + i + half;
			hi = im + i + half;
			for (k = 0; k < half; k++) {
				tr = hr[k] * cr - hi[k] * ci;
				ti = hr[k] * ci + hi[k] * cr;
				hr[k] = re[i + k] - tr;
				hi[k] = im[i + k] - ti;
				re[i + k] += tr;
				im[i + k] += ti;
				t = cr * wr - ci * wi;
				ci = cr * wi + ci * wr;
				cr = t;
			}
		}
	}
}

/*
 * Band metrics of psd[k] at frequencies f0 + k df, k < nk.  A band with no
 * bin has NaN power and peak.
 */
static void
bands(const double *psd, size_t nk, double f0, double df,
    struct pf_hrv_spectrum *s)
{
	static const double edge[4] = { VLF_LO, LF_LO, HF_LO, HF_HI };
	double	pw[3] = { 0.0, 0.0, 0.0 }, pk[3], top[3], f;
	size_t	k, b, cnt[3] = { 0, 0, 0 };

	for (b = 0; b < 3; b++) {
		pk[b] = NAN;
		top[b] = -1.0;
	}
	for (k = 0; k < nk; k++) {
		f = f0 + (double)k * df;
		for (b = 0; b < 3; b++) {
			if (f < edge[b] || f >= edge[b + 1])
				continue;
			pw[b] += psd[k] * df;
			cnt[b]++;
			if (psd[k] > top[b]) {
				top[b] = psd[k];
				pk[b] = f;
			}
		}
	}
	for (b = 0; b < 3; b++)
		if (cnt[b] == 0)
			pw[b] = NAN;
	s->vlf = pw[0];
	s->lf = pw[1];
	s->hf = pw[2];
	s->total = pw[0] + pw[1] + pw[2];
	s->vlf_log = log(s->vlf);
	s->lf_log = log(s->lf);
	s->hf_log = log(s->hf);
	s->vlf_rel = s->vlf / s->total * 100.0;
	s->lf_rel = s->lf / s->total * 100.0;
	s->hf_rel = s->hf / s->total * 100.0;
	s->lf_nu = s->lf / (s->lf + s->hf) * 100.0;
	s->hf_nu = s->hf / (s->lf + s->hf) * 100.0;
	s->lf_hf = s->lf / s->hf;
	s->vlf_peak = pk[0];
	s->lf_peak = pk[1];
	s->hf_peak = pk[2];
	s->resp_rate = pk[2] * 60.0;
}

static void
welch(size_t ns, const struct pf_hrv_opts *o, struct pf_hrv_ws *w,
    struct pf_hrv_spectrum *s)
{
	double	*x = w->x, *re = w->re, *im = w->im, *psd = w->psd,
		*hann = w->hann;
	double	fs = o->resample_hz, mean, wsum = 0.0, scale;
	size_t	seg, step, nseg, nfft, i, k, start;

	seg = (size_t)lround(o->welch_window_s * fs);
	if (seg > ns)
		seg = ns;
	step = seg - (size_t)floor((double)seg * o->welch_overlap);
	nseg = (ns - seg) / step + 1;
	for (nfft = 1; nfft < seg; nfft <<= 1)
		;
	for (k = 0; k <= nfft / 2; k++)
		psd[k] = 0.0;
	for (i = 0; i < seg; i++) {
		/* periodic Hann, the usual window for spectral estimates */
		hann[i] = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)seg);
		wsum += hann[i] * hann[i];
	}
	for (start = 0; start + seg <= ns && nseg > 0; start += step) {
		mean = pf_hrv_mean(x + start, seg);
		for (i = 0; i < nfft; i++) {
			re[i] = i < seg ? (x[start + i] - mean) * hann[i] : 0.0;
			im[i] = 0.0;
		}
		fft(re, im, nfft);
		for (k = 0; k <= nfft / 2; k++)
			psd[k] += re[k] * re[k] + im[k] * im[k];
	}
	scale = 1.0 / (fs * wsum * (double)nseg);
	for (k = 0; k <= nfft / 2; k++)
		psd[k] *= (k == 0 || k == nfft / 2 ? 1.0 : 2.0) * scale;
	bands(psd, nfft / 2 + 1, 0.0, fs / (double)nfft, s);
}

/*
 * Lomb-Scargle on the beat times.  cos and sin of w t_i for successive
 * frequencies come from rotating the previous ones by dw t_i, and every
 * sum the periodogram needs is taken in the same pass: the shift tau that
 * makes the sine and cosine terms orthogonal (tan 2 w tau = S2 / C2) is
 * applied to the sums afterwards, so each frequency costs one pass over
 * the beats.  Resampling-free, so uneven beats need no interpolation.
 */
static void
lomb(const double *nn, size_t n, struct pf_hrv_ws *w,
    struct pf_hrv_spectrum *s)
{
	double	*t = w->t, *c = w->sc[0], *sn = w->sc[1], *rc = w->sc[2],
		*rs = w->sc[3], *y = w->sc[4], *psd = w->lpsd;
	double	mean, span, df, yc, ys, cc, ss, cs, c2, s2, nrm, ct, st, u,
		ycp, ysp, ccp, ssp;
	size_t	i, k, nk;

	mean = pf_hrv_mean(nn, n);
	span = t[n - 1] - t[0];
	df = 1.0 / span;
	/* frequencies k df, k >= 1, below HF's upper edge */
	for (nk = 0; (double)(nk + 1) * df < HF_HI && nk < w->kcap; nk++)
		;
	for (i = 0; i < n; i++) {
		y[i] = nn[i] - mean;
		c[i] = 1.0;
		sn[i] = 0.0;
		rc[i] = cos(2.0 * M_PI * df * t[i]);
		rs[i] = sin(2.0 * M_PI * df * t[i]);
	}
	for (k = 0; k < nk; k++) {
		yc = ys = cc = ss = cs = 0.0;
		for (i = 0; i < n; i++) {
			u = c[i] * rc[i] - sn[i] * rs[i];
			sn[i] = sn[i] * rc[i] + c[i] * rs[i];
			c[i] = u;
			yc += y[i] * c[i];
			ys += y[i] * sn[i];
			cc += c[i] * c[i];
			ss += sn[i] * sn[i];
			cs += c[i] * sn[i];
		}
		/* cos and sin of w tau: half the angle of (C2, S2) */
		c2 = cc - ss;
		s2 = 2.0 * cs;
		nrm = hypot(c2, s2);
		if (nrm > 0.0) {
			ct = sqrt((1.0 + c2 / nrm) / 2.0);
			st = copysign(sqrt((1.0 - c2 / nrm) / 2.0), s2);
		} else {
			ct = 1.0;
			st = 0.0;
		}
		ycp = ct * yc + st * ys;
		ysp = ct * ys - st * yc;
		ccp = ct * ct * cc + 2.0 * ct * st * cs + st * st * ss;
		ssp = ct * ct * ss - 2.0 * ct * st * cs + st * st * cc;
		u = 0.5 * ((ccp > 0.0 ? ycp * ycp / ccp : 0.0) +
		    (ssp > 0.0 ? ysp * ysp / ssp : 0.0));
		psd[k] = 2.0 * u * span / (double)n;
	}
	bands(psd, nk, df, df, s);
}

void
pf_hrv_freq(const double *nn, size_t n, const struct pf_hrv_opts *o,
    struct pf_hrv_ws *w, struct pf_hrv_result *r)
{
	size_t	ns;

	if (r->duration_s < HF_MIN_S)
		r->warnings |= PF_HRV_W_SHORT_HF;
	if (r->duration_s < LF_MIN_S)
		r->warnings |= PF_HRV_W_SHORT_LF;
	if (r->duration_s <= VLF_MIN_S)
		r->warnings |= PF_HRV_W_SHORT_VLF;
	/* also leaves the beat times in w->t for Lomb-Scargle */
	ns = pf_hrv_resample(nn, n, o, w);
	welch(ns, o, w, &r->welch);
	lomb(nn, n, w, &r->lomb);
}
