/*
 * hrv_impl.h -- the stages of pf_hrv_analyze(), shared by common/hrv*.c
 * only.  Each stage reads the NN series and fills its part of the result;
 * the arrays they work in are carved out of the caller's workspace by
 * hrv.c, sized for the worst case of the session's length.
 */
#ifndef PF_COMMON_HRV_IMPL_H
#define PF_COMMON_HRV_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "common/hrv.h"

/* Bins of 1000/128 ms up to PF_HRV_RR_MAX_MS twice (a merged interval). */
#define PF_HRV_HBINS	800

struct pf_hrv_ws {
	size_t	 cap;		/* input intervals it was sized for */
	size_t	 scap;		/* resampled points */
	size_t	 fcap;		/* FFT length */
	size_t	 kcap;		/* Lomb-Scargle frequencies */
	double	*nn;		/* 2 cap */
	double	*t;		/* 2 cap */
	double	*sc[5];		/* 2 cap each: per-stage scratch */
	double	*win;		/* the artifact quartile window */
	double	*x;		/* scap: resampled, then detrended */
	double	*band[4];	/* scap each: spline and detrending */
	double	*re, *im;	/* fcap */
	double	*hann;		/* fcap */
	double	*psd;		/* fcap / 2 + 1 */
	double	*lpsd;		/* kcap */
	double	*hist;		/* PF_HRV_HBINS */
	uint8_t	*cls;		/* cap */
};

/* Artifact detection and correction: fills ws->nn, ws->cls and the
 * artifact fields of r. */
void	pf_hrv_artifacts(const double *rr, size_t n,
	    const struct pf_hrv_opts *o, struct pf_hrv_ws *w,
	    struct pf_hrv_result *r);

/* Time domain, histogram metrics and Baevsky SI of nn[0..n). */
void	pf_hrv_time(const double *nn, size_t n, const struct pf_hrv_opts *o,
	    struct pf_hrv_ws *w, struct pf_hrv_result *r);

/* Welch and Lomb-Scargle spectra and their band metrics. */
void	pf_hrv_freq(const double *nn, size_t n, const struct pf_hrv_opts *o,
	    struct pf_hrv_ws *w, struct pf_hrv_result *r);

/* Poincare, entropies, DFA; needs r's time domain. */
void	pf_hrv_nonlinear(const double *nn, size_t n,
	    const struct pf_hrv_opts *o, struct pf_hrv_ws *w,
	    struct pf_hrv_result *r);

/* PNS and SNS indexes from the metrics already in r. */
void	pf_hrv_indexes(struct pf_hrv_result *r);

/* Shared numerics. */
double	pf_hrv_mean(const double *x, size_t n);
double	pf_hrv_sd(const double *x, size_t n);	/* sample, n - 1 */
/* The median of x[0..n) using tmp[0..n) (x untouched). */
double	pf_hrv_median(const double *x, size_t n, double *tmp);

/* NN resampled at o->resample_hz and detrended into w->x; returns the
 * number of points. */
size_t	pf_hrv_resample(const double *nn, size_t n,
	    const struct pf_hrv_opts *o, struct pf_hrv_ws *w);

#endif /* PF_COMMON_HRV_IMPL_H */
