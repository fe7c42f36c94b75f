/*
 * hrv_index.c -- the parasympathetic (PNS) and sympathetic (SNS) indexes:
 * how far a recording's vagal and sympathetic markers sit from a resting
 * adult population, in standard deviations of that population, averaged.
 * 0 is the population mean; +1 one SD more active than it.
 */
#include <math.h>

#include "common/hrv.h"
#include "common/hrv_impl.h"

/* Resting short-term adult norms (mean, SD) the indexes are scored
 * against.  SD1 and SD2 are in % of mean RR so that they do not count
 * heart rate twice.  Changing a norm changes every index: bump
 * PF_HRV_ALGO_VERSION with it. */
static const double MEAN_RR[2] = { 926.0, 90.0 };	/* ms */
static const double RMSSD[2] = { 42.0, 15.0 };		/* ms */
static const double SD1_PCT[2] = { 3.12, 1.14 };	/* % */
static const double MEAN_HR[2] = { 66.0, 6.0 };		/* 1/min */
static const double SI_SQRT[2] = { 10.0, 3.0 };
static const double SD2_PCT[2] = { 6.64, 2.42 };	/* % */

static double
z(double v, const double norm[2])
{
	return (v - norm[0]) / norm[1];
}

void
pf_hrv_indexes(struct pf_hrv_result *r)
{
	r->pns = (z(r->mean_rr, MEAN_RR) + z(r->rmssd, RMSSD) +
	    z(r->sd1 / r->mean_rr * 100.0, SD1_PCT)) / 3.0;
	r->sns = (z(r->mean_hr, MEAN_HR) + z(r->si_sqrt, SI_SQRT) +
	    z(r->sd2 / r->mean_rr * 100.0, SD2_PCT)) / 3.0;
}
