/*
 * hrv_artifact.c -- finds ectopic, missed, extra, long and short beats in
 * an RR series and writes the corrected (NN) series.
 *
 * The automatic method classifies each interval by the pattern of its
 * successive differences against thresholds that adapt to the recording
 * (Lipponen & Tarvainen 2019): a normal rhythm's dRR stays inside a band
 * a robust spread wide, and each artifact leaves its own signature in the
 * two neighbouring dRRs.  Corrections move beats, never drop them, so the
 * series keeps its time axis for the spectra.
 */
#include <math.h>
#include <string.h>

#include "common/hrv.h"
#include "common/hrv_impl.h"

#define ALPHA	5.2	/* threshold: 99.95 % of normal dRR inside */
#define C1	0.13	/* slope of the ectopic boundary */
#define C2	0.17	/* and its intercept */
#define QD_HALF	45	/* 91-interval window of the quartile deviation */
#define MED_HALF 5	/* 11-interval median */

static const double level_s[] = { 0.45, 0.35, 0.25, 0.15, 0.05 };

/* Inserts v into the sorted s[0..*m). */
static void
sorted_add(double *s, size_t *m, double v)
{
	size_t	i = *m;

	while (i > 0 && s[i - 1] > v) {
		s[i] = s[i - 1];
		i--;
	}
	s[i] = v;
	(*m)++;
}

/* Removes one v from the sorted s[0..*m). */
static void
sorted_del(double *s, size_t *m, double v)
{
	size_t	i;

	for (i = 0; i < *m && s[i] != v; i++)
		;
	if (i == *m)
		return;
	memmove(s + i, s + i + 1, (*m - i - 1) * sizeof(*s));
	(*m)--;
}

/* The q-quantile of sorted s[0..m), linear between order statistics. */
static double
quantile(const double *s, size_t m, double q)
{
	double	pos = q * (double)(m - 1);
	size_t	lo = (size_t)pos;

	if (lo + 1 >= m)
		return s[m - 1];
	return s[lo] + (s[lo + 1] - s[lo]) * (pos - (double)lo);
}

/*
 * th[i] = ALPHA * quartile deviation of |x| over the 91 values centred
 * on i (fewer at the ends).
 */
static void
qd_threshold(const double *x, size_t n, double *win, double *th)
{
	size_t	i, m = 0;

	for (i = 0; i < n && i <= QD_HALF; i++)
		sorted_add(win, &m, fabs(x[i]));
	for (i = 0; i < n; i++) {
		if (i > 0 && i + QD_HALF < n)
			sorted_add(win, &m, fabs(x[i + QD_HALF]));
		if (i > QD_HALF)
			sorted_del(win, &m, fabs(x[i - QD_HALF - 1]));
		th[i] = ALPHA * (quantile(win, m, 0.75) -
		    quantile(win, m, 0.25)) / 2.0;
	}
}

/* med[i] = the median of the 11 intervals centred on i. */
static void
median11(const double *rr, size_t n, double *med)
{
	double	s[2 * MED_HALF + 1];
	size_t	i, j, lo, hi, m;

	for (i = 0; i < n; i++) {
		lo = i >= MED_HALF ? i - MED_HALF : 0;
		hi = i + MED_HALF < n ? i + MED_HALF : n - 1;
		m = 0;
		for (j = lo; j <= hi; j++)
			sorted_add(s, &m, rr[j]);
		med[i] = m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2.0;
	}
}

/* x / threshold; a window of equal values has no spread and no outlier. */
static double
ratio(double a, double b)
{
	return b > 0.0 ? a / b : 0.0;
}

/* d[i] with the series mirrored at both ends (d[-1] = d[1]). */
static double
refl(const double *d, size_t n, long i)
{
	if (i < 0)
		i = -i;
	if (i >= (long)n)
		i = 2 * ((long)n - 1) - i;
	return d[i];
}

static void
classify_auto(const double *rr, size_t n, struct pf_hrv_ws *w, uint8_t *cls)
{
	double	*d = w->sc[0], *mr = w->sc[1], *th2 = w->sc[2],
		*med = w->sc[3], *th1 = w->sc[4];
	double	s12, s22, a, b, sum = 0.0;
	size_t	i, j, k, cand[2], nc;
	int	eq3, eq4, eq5;

	for (i = 1; i < n; i++) {
		d[i] = rr[i] - rr[i - 1];
		sum += d[i];
	}
	d[0] = sum / (double)(n - 1);
	qd_threshold(d, n, w->win, th1);
	for (i = 0; i < n; i++)
		d[i] = ratio(d[i], th1[i]);
	median11(rr, n, med);
	for (i = 0; i < n; i++) {
		mr[i] = rr[i] - med[i];
		if (mr[i] < 0.0)
			mr[i] *= 2.0;	/* short beats weigh double */
	}
	qd_threshold(mr, n, w->win, th2);
	for (i = 0; i < n; i++)
		mr[i] = ratio(mr[i], th2[i]);

	for (i = 0; i + 2 < n; i++) {
		if (fabs(d[i]) <= 1.0)
			continue;
		s12 = d[i] > 0.0 ?
		    fmax(refl(d, n, (long)i - 1), d[i + 1]) :
		    fmin(refl(d, n, (long)i - 1), d[i + 1]);
		if ((d[i] > 1.0 && s12 < -C1 * d[i] - C2) ||
		    (d[i] < -1.0 && s12 > -C1 * d[i] + C2)) {
			cls[i] = PF_HRV_BEAT_ECTOPIC;
			/* the short-long pair is one ectopic beat */
			if (i > 0 && cls[i - 1] == PF_HRV_BEAT_LONGSHORT)
				cls[i - 1] = PF_HRV_BEAT_NORMAL;
			continue;
		}
		nc = 0;
		cand[nc++] = i;
		if (fabs(d[i + 1]) < fabs(d[i + 2]))
			cand[nc++] = i + 1;
		for (k = 0; k < nc; k++) {
			j = cand[k];
			if (cls[j] != PF_HRV_BEAT_NORMAL)
				continue;
			a = refl(d, n, (long)j + 1);
			b = refl(d, n, (long)j + 2);
			s22 = d[j] >= 0.0 ? fmin(a, b) : fmax(a, b);
			eq3 = d[j] > 1.0 && s22 < -1.0;
			eq4 = fabs(mr[j]) > 3.0;
			eq5 = d[j] < -1.0 && s22 > 1.0;
			if (!eq3 && !eq4 && !eq5)
				continue;
			if (eq5 && j + 1 < n &&
			    fabs(rr[j] + rr[j + 1] - med[j]) < th2[j])
				cls[j] = PF_HRV_BEAT_EXTRA;
			else if (eq3 && fabs(rr[j] / 2.0 - med[j]) < th2[j])
				cls[j] = PF_HRV_BEAT_MISSED;
			else
				cls[j] = PF_HRV_BEAT_LONGSHORT;
		}
	}
}

static void
classify_threshold(const double *rr, size_t n, enum pf_hrv_level level,
    struct pf_hrv_ws *w, uint8_t *cls)
{
	double	*med = w->sc[3];
	double	thr = level_s[level] * pf_hrv_mean(rr, n);
	size_t	i;

	median11(rr, n, med);
	for (i = 0; i < n; i++)
		if (fabs(rr[i] - med[i]) > thr)
			cls[i] = PF_HRV_BEAT_LONGSHORT;
}

/* The mean of the nearest normal intervals either side of i. */
static double
neighbours(const double *rr, size_t n, const uint8_t *cls, size_t i)
{
	size_t	l = i, r = i + 1;
	int	hl = 0, hr = 0;

	while (l > 0 && !hl)
		hl = cls[--l] == PF_HRV_BEAT_NORMAL;
	while (r < n && !hr)
		hr = cls[r++] == PF_HRV_BEAT_NORMAL;
	if (hl && hr)
		return (rr[l] + rr[r - 1]) / 2.0;
	if (hl)
		return rr[l];
	if (hr)
		return rr[r - 1];
	return rr[i];
}

void
pf_hrv_artifacts(const double *rr, size_t n, const struct pf_hrv_opts *o,
    struct pf_hrv_ws *w, struct pf_hrv_result *r)
{
	uint8_t	*cls = w->cls;
	double	*nn = w->nn, v;
	size_t	i, m = 0;

	memset(cls, PF_HRV_BEAT_NORMAL, n);
	if (o->artifact == PF_HRV_ART_AUTO)
		classify_auto(rr, n, w, cls);
	else if (o->artifact == PF_HRV_ART_THRESHOLD)
		classify_threshold(rr, n, o->level, w, cls);

	for (i = 0; i < n; i++) {
		r->n_class[cls[i]]++;
		if (cls[i] == PF_HRV_BEAT_EXTRA && i + 1 < n) {
			nn[m++] = rr[i] + rr[i + 1];
			i++;	/* the next interval is absorbed */
		} else if (cls[i] == PF_HRV_BEAT_MISSED) {
			nn[m++] = rr[i] / 2.0;
			nn[m++] = rr[i] / 2.0;
		} else if (cls[i] == PF_HRV_BEAT_NORMAL && i + 1 < n &&
		    cls[i + 1] == PF_HRV_BEAT_ECTOPIC) {
			/* the R peak between them goes to the middle */
			v = (rr[i] + rr[i + 1]) / 2.0;
			nn[m++] = v;
			nn[m++] = v;
			r->n_class[cls[++i]]++;
		} else if (cls[i] != PF_HRV_BEAT_NORMAL) {
			nn[m++] = neighbours(rr, n, cls, i);
		} else {
			nn[m++] = rr[i];
		}
	}
	r->n_input = n;
	r->n_nn = m;
	for (i = PF_HRV_BEAT_NORMAL + 1; i < PF_HRV_BEAT_NCLASSES; i++)
		r->n_corrected += r->n_class[i];
	r->corrected_pct = (double)r->n_corrected / (double)n * 100.0;
	if (r->corrected_pct > o->max_corrected_pct)
		r->warnings |= PF_HRV_W_ARTIFACTS;
	r->nn = nn;
	r->beat_class = cls;
	r->duration_s = 0.0;
	for (i = 0; i < m; i++)
		r->duration_s += nn[i] / 1000.0;
}
