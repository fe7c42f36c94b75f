/*
 * hrv_groups.c -- the nine "functional index" groups the HRV Metrics API
 * returns with each session: named sets of its metrics with a fixed
 * reading of what the set is about.  The groups and metric keys are that
 * API's, so its clients find what they expect; the interpretations are
 * ours and say what each metric set reflects, not a verdict (no norms are
 * applied to a single session).
 */
#include <stddef.h>
#include <string.h>

#include "common/err.h"
#include "common/hrv.h"

const struct pf_hrv_group pf_hrv_groups[] = {
	{ "Parasympathetic indicators",
	  "Beat-to-beat variability and high-frequency power: vagal "
	  "(rest-and-digest) activity; higher is more vagal influence.",
	  { "rmssd", "pnn50", "hfPower", NULL } },
	{ "Sympathetic influence",
	  "Low-frequency power and the LF/HF ratio rise with sympathetic "
	  "and baroreflex activity; read against RMSSD, as LF also carries "
	  "vagal power.",
	  { "lfPower", "lfHfRatio", "rmssd", NULL } },
	{ "Autonomic balance",
	  "Overall variability and the LF/HF ratio at the session's heart "
	  "rate: the balance of the two branches, best compared with the "
	  "same person's earlier sessions.",
	  { "sdnn", "lfHfRatio", "cv_rr", "mean_rr", NULL } },
	{ "Respiratory-linked",
	  "High-frequency power follows breathing (respiratory sinus "
	  "arrhythmia); its peak gives the breathing rate.",
	  { "hfPower", "breathingRate", NULL } },
	{ "General HRV capacity",
	  "Total and short-term variability: the heart's overall capacity "
	  "to adapt its rhythm.",
	  { "sdnn", "cv_rr", "rmssd", "pnn50", NULL } },
	{ "Signal Quality & Validity",
	  "How much of the recording was usable: beats, corrected "
	  "artifacts and motion; metrics of a poor recording are not "
	  "physiology.",
	  { "rr_count", "mean_rr", "motionArtifacts", "valid_rr_percentage",
	    "quality_score", "outlier_count", "filter_method", NULL } },
	{ "Cognitive / Mental Load",
	  "Mental effort raises heart rate and lowers vagal variability, "
	  "often with a higher LF/HF ratio.",
	  { "heartRate", "rmssd", "lfPower", "lfHfRatio", NULL } },
	{ "Fatigue / Exhaustion",
	  "Variability below one's own usual level at a similar heart rate "
	  "suggests incomplete recovery; check signal quality first.",
	  { "rmssd", "sdnn", "mean_rr", "quality_score", "rr_count", NULL } },
	{ "Circadian patterning",
	  "Heart rate, vagal power and breathing change over the day; "
	  "compare sessions taken at the same time and in the same state.",
	  { "mean_rr", "hfPower", "breathingRate", "heartRate", NULL } },
};

const size_t pf_hrv_ngroups = sizeof(pf_hrv_groups) /
    sizeof(pf_hrv_groups[0]);

/* That API's keys that are one double of the result, as-is. */
static const struct {
	const char *key;
	size_t	 off;
} direct[] = {
	{ "rmssd", offsetof(struct pf_hrv_result, rmssd) },
	{ "pnn50", offsetof(struct pf_hrv_result, pnn50) },
	{ "sdnn", offsetof(struct pf_hrv_result, sdnn) },
	{ "mean_rr", offsetof(struct pf_hrv_result, mean_rr) },
	{ "cv_rr", offsetof(struct pf_hrv_result, cv) },
	{ "heartRate", offsetof(struct pf_hrv_result, mean_hr) },
	{ "hfPower", offsetof(struct pf_hrv_result, welch.hf) },
	{ "lfPower", offsetof(struct pf_hrv_result, welch.lf) },
	{ "lfHfRatio", offsetof(struct pf_hrv_result, welch.lf_hf) },
	{ "breathingRate", offsetof(struct pf_hrv_result, welch.resp_rate) },
};

int
pf_hrv_compat_metric(const struct pf_hrv_result *r, const char *key,
    double *v)
{
	size_t	i;

	for (i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
		if (strcmp(key, direct[i].key) == 0) {
			memcpy(v, (const char *)r + direct[i].off, sizeof(*v));
			return PF_OK;
		}
	if (strcmp(key, "rr_count") == 0)
		*v = (double)r->n_nn;
	else if (strcmp(key, "outlier_count") == 0)
		*v = (double)r->n_corrected;
	else if (strcmp(key, "valid_rr_percentage") == 0)
		*v = 100.0 - r->corrected_pct;
	else if (strcmp(key, "quality_score") == 0)
		*v = 1.0 - r->corrected_pct / 100.0;
	else
		return PF_ERR_NOTFOUND;
	return PF_OK;
}
