/*
 * metric_recovery.c -- readiness: a weighted composite of HRV against its
 * normal band, sleep, ANS charge and load with every input exposed, and a
 * reproduction of upstream's admin-dashboard heuristic
 * (_calculate_recovery_status).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xmalloc.h"

#include "analyticsd/metric.h"

#define STALE_DAYS	2

static const char *const component_names[RECOVERY_NCOMPONENTS] = {
	[RECOVERY_HRV] = "hrv",
	[RECOVERY_SLEEP] = "sleep",
	[RECOVERY_ANS] = "ans",
	[RECOVERY_LOAD] = "load",
};

const char *
recovery_component_name(enum recovery_component c)
{
	if ((unsigned)c >= RECOVERY_NCOMPONENTS)
		return NULL;
	return component_names[c];
}

void
recovery_weights_default(struct recovery_weights *w)
{
	w->w[RECOVERY_HRV] = 0.40;
	w->w[RECOVERY_SLEEP] = 0.25;
	w->w[RECOVERY_ANS] = 0.20;
	w->w[RECOVERY_LOAD] = 0.15;
}

static double
clamp100(double v)
{
	return v < 0 ? 0 : v > 100 ? 100 : v;
}

/* Upstream's level cut-offs, shared by both scores. */
static const char *
level_of(double score)
{
	if (score >= 80)
		return "excellent";
	if (score >= 65)
		return "good";
	if (score >= 45)
		return "fair";
	return "poor";
}

static double
load_subscore(double acwr)
{
	if (acwr > 1.3)
		return clamp100(100 - (acwr - 1.3) / 0.7 * 100);
	if (acwr < 0.8)
		return clamp100(100 - (0.8 - acwr) / 0.8 * 50);
	return 100;
}

int
recovery_compute(const struct recovery_inputs *in,
    const struct recovery_weights *w, struct recovery_score *out)
{
	struct recovery_weights	 def;
	struct recovery_part	*pt;
	double			 total = 0, avail = 0, z;
	size_t			 c;

	if (in == NULL || out == NULL)
		return PF_ERR_INVALID;
	if (w == NULL) {
		recovery_weights_default(&def);
		w = &def;
	}
	for (c = 0; c < RECOVERY_NCOMPONENTS; c++)
		if (!isfinite(w->w[c]) || w->w[c] < 0)
			return PF_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	out->score = NAN;
	for (c = 0; c < RECOVERY_NCOMPONENTS; c++) {
		out->part[c].weight = w->w[c];
		out->part[c].input = out->part[c].subscore = NAN;
		total += w->w[c];
	}
	if (!(total > 0))
		return PF_ERR_INVALID;

	pt = &out->part[RECOVERY_HRV];
	/* a zero SD band (identical nights) cannot place today; skip it */
	if (isfinite(in->ln_rmssd) && isfinite(in->band_mean) &&
	    isfinite(in->band_sd) && in->band_sd > 0) {
		z = (in->ln_rmssd - in->band_mean) / in->band_sd;
		pt->available = true;
		pt->input = z;
		pt->subscore = clamp100(75 + 25 * z);
	}
	pt = &out->part[RECOVERY_SLEEP];
	if (isfinite(in->sleep_score)) {
		pt->available = true;
		pt->input = in->sleep_score;
		pt->subscore = clamp100(in->sleep_score);
	}
	pt = &out->part[RECOVERY_ANS];
	if (isfinite(in->ans_charge)) {
		pt->available = true;
		pt->input = in->ans_charge;
		pt->subscore = clamp100((in->ans_charge + 10) * 5);
	}
	pt = &out->part[RECOVERY_LOAD];
	if (isfinite(in->acwr) && in->acwr >= 0) {
		pt->available = true;
		pt->input = in->acwr;
		pt->subscore = load_subscore(in->acwr);
	}

	for (c = 0; c < RECOVERY_NCOMPONENTS; c++) {
		if (out->part[c].available && out->part[c].weight > 0) {
			avail += out->part[c].weight;
			out->ncomponents++;
		}
	}
	out->coverage = avail / total;
	if (out->ncomponents == 0)
		return PF_ERR_RANGE;
	out->score = 0;
	for (c = 0; c < RECOVERY_NCOMPONENTS; c++) {
		pt = &out->part[c];
		if (!pt->available || pt->weight == 0)
			continue;
		pt->effective = pt->weight / avail;
		out->score += pt->effective * pt->subscore;
	}
	out->level = level_of(out->score);
	return PF_OK;
}

static void
add_rec(struct recovery_admin_status *out, const char *msg)
{
	if (out->nrecommendations < RECOVERY_ADMIN_MAXRECS)
		out->recommendations[out->nrecommendations++] = msg;
}

int
recovery_admin_status(const struct recovery_admin_inputs *in,
    struct recovery_admin_status *out)
{
	double	factors[3], sum = 0, v, r;
	size_t	nf = 0, i;
	int32_t	cutoff;
	bool	recharge;

	if (in == NULL || out == NULL)
		return PF_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	cutoff = in->today - STALE_DAYS;

	/* "if sleep and sleep.sleep_score": 0 counts as absent */
	v = in->sleep_score;
	if (in->sleep_day >= cutoff && isfinite(v) && v != 0) {
		if (v >= 85)
			add_rec(out, "Excellent sleep! You're well-rested for "
			    "intense training.");
		else if (v >= 50 && v < 70)
			add_rec(out, "Sleep was fair. Consider a lighter "
			    "workout today.");
		else if (v < 50)
			add_rec(out, "Poor sleep. Prioritize recovery over "
			    "training.");
		factors[nf++] = v;
	}

	/* upstream tests ans_charge "is not None": 0 is a real charge */
	recharge = in->recharge_day >= cutoff;
	if (recharge && isfinite(in->ans_charge)) {
		v = clamp100((in->ans_charge + 10) * 5);
		if (v >= 70)
			add_rec(out, "ANS recovery is excellent. Your body is "
			    "ready for stress.");
		else if (v >= 30 && v < 50)
			add_rec(out, "ANS recovery is moderate. Keep intensity "
			    "manageable.");
		else if (v < 30)
			add_rec(out, "ANS shows fatigue. Focus on active "
			    "recovery today.");
		factors[nf++] = v;
	}
	if (recharge && isfinite(in->hrv_avg) && in->hrv_avg != 0 &&
	    in->hrv_avg < 25)
		add_rec(out, "Low HRV detected. Your body may be under stress.");

	/*
	 * A ratio <= 0 is absent: Polar's -1.0 means "unavailable", which
	 * upstream, testing the ratio for truthiness, scores as a very low
	 * load (40) with advice to train more.
	 */
	r = in->load_ratio;
	if (in->cardio_day >= cutoff && isfinite(r) && r > 0) {
		if (r >= 1.5) {
			v = 20;
			add_rec(out, "High training load! Take a recovery day "
			    "to avoid overtraining.");
		} else if (r >= 1.2) {
			v = 40;
			add_rec(out, "Training load elevated. Consider reducing "
			    "intensity.");
		} else if (r >= 0.8)
			v = 80;
		else if (r >= 0.5) {
			v = 60;
			add_rec(out, "Training load is low. You can push harder "
			    "if you feel good.");
		} else {
			v = 40;
			add_rec(out, "Very low training load. Consider "
			    "increasing activity to maintain fitness.");
		}
		factors[nf++] = v;
	}

	/* Python: sum(factors) / len(factors), left to right */
	for (i = 0; i < nf; i++)
		sum += factors[i];
	out->score = nf ? sum / (double)nf : 50;
	/* Python's round() is round-half-even, which is rint's default */
	out->readiness_score = (int)rint(out->score);
	out->readiness = level_of(out->score);
	if (out->score >= 80)
		out->training_advice = "Great day for high-intensity training, "
		    "intervals, or competition.";
	else if (out->score >= 65)
		out->training_advice = "Good for moderate training. Tempo "
		    "runs, strength work, or steady-state cardio.";
	else if (out->score >= 45)
		out->training_advice = "Best for easy training. Light jog, "
		    "mobility work, or skill practice.";
	else
		out->training_advice = "Recovery day recommended. Gentle "
		    "stretching, walking, or complete rest.";
	if (out->nrecommendations == 0)
		add_rec(out, "All metrics look normal. Train as planned!");
	out->has_data = nf > 0;
	return PF_OK;
}

/* Resting heart rate from continuous HR. */

static int
hr_sample_cmp(const void *a, const void *b)
{
	const struct hr_sample *x = a, *y = b;

	return (x->t_s > y->t_s) - (x->t_s < y->t_s);
}

int
rhr_daily(const struct hr_sample *s, size_t n, double *rhr)
{
	struct hr_sample	*v;
	double			 sum, best, m;
	size_t			 nv, i, lo, cnt;

	if (rhr == NULL)
		return PF_ERR_INVALID;
	*rhr = NAN;
	if (s == NULL && n > 0)
		return PF_ERR_INVALID;
	if (n == 0)
		return PF_ERR_RANGE;
	v = pf_xreallocarray(NULL, n, sizeof(*v));
	for (i = nv = 0; i < n; i++)
		if (isfinite(s[i].bpm) && s[i].bpm > 0)
			v[nv++] = s[i];
	qsort(v, nv, sizeof(*v), hr_sample_cmp);

	/* Two pointers: window [v[lo].t_s, v[lo].t_s + RHR_WINDOW_S). */
	best = INFINITY;
	sum = 0;
	cnt = 0;
	for (lo = 0, i = 0; lo < nv; lo++) {
		while (i < nv && v[i].t_s < v[lo].t_s + RHR_WINDOW_S) {
			sum += v[i].bpm;
			cnt++;
			i++;
		}
		if (cnt >= RHR_MIN_SAMPLES) {
			m = sum / (double)cnt;
			if (m < best)
				best = m;
		}
		sum -= v[lo].bpm;
		cnt--;
	}
	free(v);
	if (!isfinite(best))
		return PF_ERR_RANGE;
	*rhr = best;
	return PF_OK;
}
