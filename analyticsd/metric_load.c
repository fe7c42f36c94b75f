/*
 * metric_load.c -- what upstream promised and never built: acute:chronic
 * workload ratios, the performance-management chart, sleep debt, calendar
 * window averages and the HRV4Training-style ln(RMSSD) baseline.  Sources
 * and formulas are in analyticsd.h next to each prototype.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"

#include "analyticsd/metric.h"

static double
load_at(const double *load, size_t i)
{
	return isfinite(load[i]) ? load[i] : 0;
}

/* Sum of load[lo..hi] inclusive, missing days as zero. */
static double
load_sum(const double *load, size_t lo, size_t hi)
{
	double	s = 0;
	size_t	i;

	for (i = lo; i <= hi; i++)
		s += load_at(load, i);
	return s;
}

int
load_acwr_rolling(const double *load, size_t ndays, bool uncoupled,
    double *out)
{
	double	acute, chronic;
	size_t	t;

	if (out == NULL || (load == NULL && ndays > 0))
		return PF_ERR_INVALID;
	for (t = 0; t < ndays; t++) {
		out[t] = NAN;
		if (t + 1 < LOAD_CHRONIC_DAYS)
			continue;
		acute = load_sum(load, t + 1 - LOAD_ACUTE_DAYS, t) /
		    LOAD_ACUTE_DAYS;
		if (uncoupled)
			chronic = load_sum(load, t + 1 - LOAD_CHRONIC_DAYS,
			    t - LOAD_ACUTE_DAYS) /
			    (LOAD_CHRONIC_DAYS - LOAD_ACUTE_DAYS);
		else
			chronic = load_sum(load, t + 1 - LOAD_CHRONIC_DAYS, t) /
			    LOAD_CHRONIC_DAYS;
		if (chronic > 0)
			out[t] = acute / chronic;
	}
	return PF_OK;
}

int
load_acwr_ewma(const double *load, size_t ndays, double *out)
{
	const double	la = 2.0 / (LOAD_ACUTE_DAYS + 1);
	const double	lc = 2.0 / (LOAD_CHRONIC_DAYS + 1);
	double		ea = 0, ec = 0, x;
	size_t		t;

	if (out == NULL || (load == NULL && ndays > 0))
		return PF_ERR_INVALID;
	for (t = 0; t < ndays; t++) {
		x = load_at(load, t);
		ea = la * x + (1 - la) * ea;
		ec = lc * x + (1 - lc) * ec;
		out[t] = t + 1 >= LOAD_CHRONIC_DAYS && ec > 0 ? ea / ec : NAN;
	}
	return PF_OK;
}

void
load_pmc_defaults(struct pmc_params *p)
{
	p->ctl_days = LOAD_CTL_DAYS;
	p->atl_days = LOAD_ATL_DAYS;
	p->ctl0 = 0;
	p->atl0 = 0;
}

int
load_pmc(const double *load, size_t ndays, const struct pmc_params *p,
    double *ctl, double *atl, double *tsb)
{
	struct pmc_params	def;
	double			lte, ste, c, a, x;
	size_t			t;

	if (ctl == NULL || atl == NULL || tsb == NULL ||
	    (load == NULL && ndays > 0))
		return PF_ERR_INVALID;
	if (p == NULL) {
		load_pmc_defaults(&def);
		p = &def;
	}
	if (!(p->ctl_days > 0) || !(p->atl_days > 0) || !isfinite(p->ctl0) ||
	    !isfinite(p->atl0))
		return PF_ERR_INVALID;
	lte = exp(-1 / p->ctl_days);
	ste = exp(-1 / p->atl_days);
	c = p->ctl0;
	a = p->atl0;
	for (t = 0; t < ndays; t++) {
		x = load_at(load, t);
		/*
		 * Form on day t is yesterday's fitness minus yesterday's
		 * fatigue: what Golden Cheetah and TrainingPeaks show on t.
		 */
		tsb[t] = c - a;
		/* Golden Cheetah PMCData.cpp, term for term */
		c = x * (1 - lte) + c * lte;
		a = x * (1 - ste) + a * ste;
		ctl[t] = c;
		atl[t] = a;
	}
	return PF_OK;
}

int
load_sleep_debt(const double *sleep_s, size_t ndays, double goal_s,
    size_t window, double *debt_s)
{
	double	d;
	size_t	t, i, lo, nights;

	if (debt_s == NULL || (sleep_s == NULL && ndays > 0) ||
	    !(goal_s > 0) || !isfinite(goal_s) || window == 0)
		return PF_ERR_INVALID;
	for (t = 0; t < ndays; t++) {
		lo = t + 1 >= window ? t + 1 - window : 0;
		d = 0;
		nights = 0;
		for (i = lo; i <= t; i++) {
			if (!isfinite(sleep_s[i]) || sleep_s[i] < 0)
				continue;
			d += goal_s - sleep_s[i];
			nights++;
		}
		debt_s[t] = nights == 0 ? NAN : d > 0 ? d : 0;
	}
	return PF_OK;
}

const char *
load_hrv_band_status_name(enum hrv_band_status s)
{
	switch (s) {
	case HRV_BAND_INSUFFICIENT:	return "insufficient";
	case HRV_BAND_CALIBRATING:	return "calibrating";
	case HRV_BAND_BELOW:		return "below";
	case HRV_BAND_WITHIN:		return "within";
	case HRV_BAND_ABOVE:		return "above";
	}
	return "insufficient";
}

/*
 * Mean and sample SD of the finite ln values in lnv[lo..hi].  Sums run on
 * deviations from the first value so a constant window gives exactly that
 * value and SD 0; a naive mean is off by an ulp and would put a flat week
 * "outside" its own zero-width band.
 */
static size_t
window_stats(const double *lnv, size_t lo, size_t hi, double *mean,
    double *sd)
{
	double	s = 0, ss = 0, ref = NAN, m;
	size_t	i, c = 0;

	*mean = *sd = NAN;
	for (i = lo; i <= hi; i++) {
		if (!isfinite(lnv[i]))
			continue;
		if (c == 0)
			ref = lnv[i];
		s += lnv[i] - ref;
		c++;
	}
	if (c == 0)
		return 0;
	m = s / (double)c;
	*mean = ref + m;
	if (c < 2)
		return c;
	for (i = lo; i <= hi; i++)
		if (isfinite(lnv[i]))
			ss += (lnv[i] - ref - m) * (lnv[i] - ref - m);
	*sd = sqrt(ss / (double)(c - 1));
	return c;
}

int
load_hrv_band(const double *rmssd, size_t ndays, double k,
    struct hrv_band_day *out)
{
	struct hrv_band_day	*o;
	double			*lnv, sd7;
	size_t			 t, c7, c60;

	if (out == NULL || (rmssd == NULL && ndays > 0) || !(k > 0) ||
	    !isfinite(k))
		return PF_ERR_INVALID;
	lnv = pf_xreallocarray(NULL, ndays ? ndays : 1, sizeof(*lnv));
	/* RMSSD <= 0 has no logarithm and is never a real reading */
	for (t = 0; t < ndays; t++)
		lnv[t] = isfinite(rmssd[t]) && rmssd[t] > 0 ?
		    log(rmssd[t]) : NAN;
	for (t = 0; t < ndays; t++) {
		o = &out[t];
		memset(o, 0, sizeof(*o));
		o->ln_rmssd = lnv[t];
		o->cv7_pct = o->band_lo = o->band_hi = NAN;
		c7 = window_stats(lnv, t + 1 >= LOAD_HRV_MEAN_DAYS ?
		    t + 1 - LOAD_HRV_MEAN_DAYS : 0, t, &o->mean7, &sd7);
		c60 = window_stats(lnv, t + 1 >= LOAD_HRV_BAND_DAYS ?
		    t + 1 - LOAD_HRV_BAND_DAYS : 0, t, &o->band_mean,
		    &o->band_sd);
		if (c7 < LOAD_HRV_MEAN_MIN) {
			o->mean7 = NAN;
			o->status = HRV_BAND_INSUFFICIENT;
		} else if (o->mean7 != 0)
			o->cv7_pct = 100 * sd7 / o->mean7;
		if (c60 < LOAD_HRV_BAND_MIN) {
			o->band_mean = o->band_sd = NAN;
			if (c7 >= LOAD_HRV_MEAN_MIN)
				o->status = HRV_BAND_CALIBRATING;
			continue;
		}
		o->band_lo = o->band_mean - k * o->band_sd;
		o->band_hi = o->band_mean + k * o->band_sd;
		if (c7 < LOAD_HRV_MEAN_MIN)
			continue;
		if (o->mean7 < o->band_lo)
			o->status = HRV_BAND_BELOW;
		else if (o->mean7 > o->band_hi)
			o->status = HRV_BAND_ABOVE;
		else
			o->status = HRV_BAND_WITHIN;
	}
	free(lnv);
	return PF_OK;
}

/* Sleep-timing consistency. */

#define DAY_MIN		1440
#define NOON_MIN	720

double
sleep_bedtime_minutes(int64_t start_utc_ms, int offset_min)
{
	int64_t	local_ms, m, min_of_day;

	local_ms = start_utc_ms + (int64_t)offset_min * 60000;
	m = local_ms / 60000;
	if (local_ms % 60000 < 0)
		m--;
	min_of_day = (m % DAY_MIN + DAY_MIN) % DAY_MIN;
	return (double)((min_of_day + NOON_MIN) % DAY_MIN);
}

int
sleep_bedtime_clock(double min_after_noon)
{
	if (!isfinite(min_after_noon))
		return -1;
	return (int)((lround(min_after_noon) + NOON_MIN) % DAY_MIN);
}

int
sleep_timing_sd(const double *bedtime, size_t ndays, size_t t, double *sd,
    double *mean)
{
	size_t	lo;
	int	r;

	if (sd == NULL)
		return PF_ERR_INVALID;
	*sd = NAN;
	if (mean != NULL)
		*mean = NAN;
	if (bedtime == NULL || t >= ndays)
		return PF_ERR_INVALID;
	lo = t + 1 >= SLEEP_TIMING_DAYS ? t + 1 - SLEEP_TIMING_DAYS : 0;
	if (stats_count(bedtime + lo, t + 1 - lo) < SLEEP_TIMING_MIN)
		return PF_ERR_RANGE;
	if ((r = stats_stdev(bedtime + lo, t + 1 - lo, sd)) != PF_OK)
		return r;
	if (mean != NULL)
		return stats_mean(bedtime + lo, t + 1 - lo, mean);
	return PF_OK;
}
