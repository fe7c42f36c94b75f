/*
 * hrv.c -- pf_hrv_analyze(): checks the input, lays out the workspace and
 * runs the stages in order (artifacts, time domain, spectra, nonlinear,
 * indexes).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hrv.h"
#include "common/hrv_impl.h"

void
pf_hrv_opts_default(struct pf_hrv_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->artifact = PF_HRV_ART_AUTO;
	o->level = PF_HRV_LEVEL_MEDIUM;
	o->max_corrected_pct = 5.0;
	o->lambda = 500.0;
	o->resample_hz = 4.0;
	o->welch_window_s = 256.0;
	o->welch_overlap = 0.5;
	o->entropy_m = 2;
	o->entropy_r = 0.2;
	o->hr_avg_beats = 5;
}

static int
opts_ok(const struct pf_hrv_opts *o)
{
	return (o->artifact == PF_HRV_ART_NONE ||
	    o->artifact == PF_HRV_ART_AUTO ||
	    o->artifact == PF_HRV_ART_THRESHOLD) &&
	    o->level >= PF_HRV_LEVEL_VERY_LOW &&
	    o->level <= PF_HRV_LEVEL_VERY_STRONG &&
	    o->resample_hz >= 1.0 && o->resample_hz <= 16.0 &&
	    o->lambda > 0.0 && o->lambda < 1e6 &&
	    o->welch_window_s >= 10.0 && o->welch_window_s <= 3600.0 &&
	    o->welch_overlap >= 0.0 && o->welch_overlap < 1.0 &&
	    o->entropy_m >= 1 && o->entropy_m <= 4 &&
	    o->entropy_r > 0.0 && o->hr_avg_beats >= 1 &&
	    !isnan(o->max_corrected_pct);
}

static size_t
pow2_at_least(size_t n)
{
	size_t	p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * The workspace's layout for cap intervals: every array's offset, then
 * the total.  With base NULL only the total is computed.  A corrected
 * series is at most 2 cap intervals (every one split) and lasts at most
 * cap * PF_HRV_RR_MAX_MS: splits, merges and ectopic pairs keep the sum,
 * and a replaced interval is the mean of two accepted ones.
 */
static size_t
layout(size_t cap, const struct pf_hrv_opts *o, unsigned char *base,
    struct pf_hrv_ws *w)
{
	size_t	off = 0, i, dur_s, seg;
	struct pf_hrv_ws l;

	memset(&l, 0, sizeof(l));
	dur_s = (size_t)((double)cap * PF_HRV_RR_MAX_MS / 1000.0) + 1;
	l.cap = cap;
	l.scap = (size_t)ceil((double)dur_s * o->resample_hz) + 2;
	seg = (size_t)lround(o->welch_window_s * o->resample_hz);
	l.fcap = pow2_at_least(seg < l.scap ? seg : l.scap);
	l.kcap = dur_s / 2 + 2;
#define CARVE(p, count, type) do {					\
	(p) = base != NULL ? (type *)(void *)(base + off) : NULL;	\
	off += ((count) * sizeof(type) + 15) & ~(size_t)15;		\
} while (0)
	CARVE(l.nn, 2 * cap, double);
	CARVE(l.t, 2 * cap, double);
	for (i = 0; i < 5; i++)
		CARVE(l.sc[i], 2 * cap, double);
	CARVE(l.win, 128, double);
	CARVE(l.x, l.scap, double);
	for (i = 0; i < 4; i++)
		CARVE(l.band[i], l.scap, double);
	CARVE(l.re, l.fcap, double);
	CARVE(l.im, l.fcap, double);
	CARVE(l.hann, l.fcap, double);
	CARVE(l.psd, l.fcap / 2 + 1, double);
	CARVE(l.lpsd, l.kcap, double);
	CARVE(l.hist, PF_HRV_HBINS, double);
	CARVE(l.cls, cap, uint8_t);
#undef CARVE
	if (w != NULL)
		*w = l;
	return off;
}

size_t
pf_hrv_workspace_size(size_t max_beats, const struct pf_hrv_opts *o)
{
	if (o == NULL || max_beats == 0 || !opts_ok(o) ||
	    max_beats > SIZE_MAX / 1024)
		return 0;
	return layout(max_beats, o, NULL, NULL);
}

size_t
pf_hrv_check_rr(const double *rr, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!(rr[i] >= PF_HRV_RR_MIN_MS && rr[i] <= PF_HRV_RR_MAX_MS))
			return i;	/* NaN fails both comparisons */
	return n;
}

int
pf_hrv_analyze(const double *rr, size_t n, const struct pf_hrv_opts *o,
    void *ws, size_t ws_size, struct pf_hrv_result *out)
{
	struct pf_hrv_ws w;
	struct pf_hrv_result r;

	if (rr == NULL || o == NULL || ws == NULL || out == NULL ||
	    n < PF_HRV_MIN_BEATS || pf_hrv_check_rr(rr, n) != n ||
	    pf_hrv_workspace_size(n, o) == 0 ||
	    ws_size < pf_hrv_workspace_size(n, o))
		return PF_ERR_INVALID;
	layout(n, o, ws, &w);
	memset(&r, 0, sizeof(r));
	r.algo_version = PF_HRV_ALGO_VERSION;
	pf_hrv_artifacts(rr, n, o, &w, &r);
	pf_hrv_time(w.nn, r.n_nn, o, &w, &r);
	pf_hrv_freq(w.nn, r.n_nn, o, &w, &r);
	pf_hrv_nonlinear(w.nn, r.n_nn, o, &w, &r);
	pf_hrv_indexes(&r);
	*out = r;
	return PF_OK;
}

const char *
pf_hrv_beat_name(enum pf_hrv_beat b)
{
	static const char *const names[PF_HRV_BEAT_NCLASSES] = {
		"normal", "ectopic", "missed", "extra", "longshort"
	};

	return (unsigned)b < PF_HRV_BEAT_NCLASSES ? names[b] : "unknown";
}

const char *
pf_hrv_artifact_name(enum pf_hrv_artifact_method m)
{
	switch (m) {
	case PF_HRV_ART_NONE:
		return "none";
	case PF_HRV_ART_AUTO:
		return "auto";
	case PF_HRV_ART_THRESHOLD:
		return "threshold";
	}
	return "unknown";
}

double
pf_hrv_mean(const double *x, size_t n)
{
	double	s = 0.0;
	size_t	i;

	for (i = 0; i < n; i++)
		s += x[i];
	return n > 0 ? s / (double)n : NAN;
}

double
pf_hrv_sd(const double *x, size_t n)
{
	double	m, s = 0.0;
	size_t	i;

	if (n < 2)
		return NAN;
	m = pf_hrv_mean(x, n);
	for (i = 0; i < n; i++)
		s += (x[i] - m) * (x[i] - m);
	return sqrt(s / (double)(n - 1));
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
pf_hrv_median(const double *x, size_t n, double *tmp)
{
	if (n == 0)
		return NAN;
	memcpy(tmp, x, n * sizeof(*x));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2.0;
}
