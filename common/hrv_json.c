/*
 * hrv_json.c -- one analysed session as the JSON apid and analyticsd
 * store: the document of every metric, the HRV Metrics API's view (its
 * metric keys, quality fields and nine index groups), the session's
 * validity, and the RR arrays as PostgreSQL array literals.  Both daemons
 * write sessions, so the text is made in one place and a stored row reads
 * the same whoever made it.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hrv.h"

#define SF(f)	{ #f, offsetof(struct pf_hrv_spectrum, f) }
const struct pf_hrv_field pf_hrv_spectrum_fields[] = {
	SF(vlf), SF(lf), SF(hf), SF(total), SF(vlf_log), SF(lf_log),
	SF(hf_log), SF(vlf_rel), SF(lf_rel), SF(hf_rel), SF(lf_nu), SF(hf_nu),
	SF(lf_hf), SF(vlf_peak), SF(lf_peak), SF(hf_peak), SF(resp_rate),
	{ NULL, 0 }
};
#undef SF

#define RF(f)	{ #f, offsetof(struct pf_hrv_result, f) }
const struct pf_hrv_field pf_hrv_result_fields[] = {
	RF(corrected_pct), RF(duration_s), RF(mean_rr), RF(sdnn), RF(mean_hr),
	RF(sd_hr), RF(min_hr), RF(max_hr), RF(rmssd), RF(sdsd), RF(pnn50),
	RF(cv), RF(hti), RF(tinn), RF(si), RF(si_sqrt), RF(sd1), RF(sd2),
	RF(sd2_sd1), RF(sampen), RF(apen), RF(dfa_a1), RF(dfa_a2), RF(pns),
	RF(sns),
	{ NULL, 0 }
};
#undef RF

static const struct {
	unsigned	 bit;
	const char	*name;
} warning_names[] = {
	{ PF_HRV_W_ARTIFACTS, "artifacts" },
	{ PF_HRV_W_SHORT_HF, "short_for_hf" },
	{ PF_HRV_W_SHORT_LF, "short_for_lf" },
	{ PF_HRV_W_SHORT_VLF, "short_for_vlf" },
	{ PF_HRV_W_NO_DFA1, "no_dfa_alpha1" },
	{ PF_HRV_W_NO_DFA2, "no_dfa_alpha2" },
	{ PF_HRV_W_NO_SAMPEN, "no_sample_entropy" },
	{ PF_HRV_W_FLAT, "flat" },
};

/* The compatible API's metric keys, in its order; the first ten are what
 * its session detail shows. */
static const char *const compat_keys[] = {
	"mean_rr", "sdnn", "rmssd", "pnn50", "cv_rr", "rr_count", "lfPower",
	"hfPower", "lfHfRatio", "breathingRate", "heartRate",
	"valid_rr_percentage", "quality_score", "outlier_count",
};

/* A number, or null when undefined (JSON has no NaN). */
static void
num(struct pf_buf *b, double v)
{
	if (isfinite(v))
		pf_buf_addf(b, "%.15g", v);
	else
		pf_buf_adds(b, "null");
}

/* A JSON string of static text or checked input (no control bytes). */
static void
str(struct pf_buf *b, const char *s)
{
	pf_buf_adds(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			pf_buf_add(b, "\\", 1);
		if ((unsigned char)*s < 0x20)
			pf_buf_addf(b, "\\u%04x", (unsigned char)*s);
		else
			pf_buf_add(b, s, 1);
	}
	pf_buf_adds(b, "\"");
}

static void
fields(struct pf_buf *b, const void *base, const struct pf_hrv_field *f)
{
	double	v;
	size_t	i;

	for (i = 0; f[i].key != NULL; i++) {
		memcpy(&v, (const char *)base + f[i].off, sizeof(v));
		pf_buf_addf(b, "%s\"%s\":", i ? "," : "", f[i].key);
		num(b, v);
	}
}

const char *
pf_hrv_quality_label(double score)
{
	if (score > 0.95)
		return "excellent";
	if (score > 0.80)
		return "acceptable";
	if (score > 0.60)
		return "borderline";
	return "poor";
}

bool
pf_hrv_validity(const struct pf_hrv_result *r, bool motion, char *reason,
    size_t len)
{
	int	n = 0;

	reason[0] = '\0';
	if (motion)
		n += snprintf(reason, len, "motion artifacts reported by the "
		    "recording device");
	if ((r->warnings & PF_HRV_W_ARTIFACTS) && (size_t)n < len)
		snprintf(reason + n, len - (size_t)n, "%s%.1f %% of the beats "
		    "needed correction, more than the configured limit",
		    n ? " + " : "", r->corrected_pct);
	return reason[0] == '\0';
}

void
pf_hrv_json_metrics(const struct pf_hrv_result *r,
    enum pf_hrv_artifact_method m, struct pf_buf *b)
{
	size_t	i;
	bool	first = true;

	pf_buf_addf(b, "{\"algo_version\":%d,\"artifact_method\":",
	    r->algo_version);
	str(b, pf_hrv_artifact_name(m));
	pf_buf_adds(b, ",\"warnings\":[");
	for (i = 0; i < sizeof(warning_names) / sizeof(warning_names[0]);
	    i++) {
		if (!(r->warnings & warning_names[i].bit))
			continue;
		pf_buf_addf(b, "%s\"%s\"", first ? "" : ",",
		    warning_names[i].name);
		first = false;
	}
	pf_buf_addf(b, "],\"n_input\":%zu,\"n_nn\":%zu,\"n_corrected\":%zu,"
	    "\"nn50\":%zu,\"beat_classes\":{", r->n_input, r->n_nn,
	    r->n_corrected, r->nn50);
	for (i = 1; i < PF_HRV_BEAT_NCLASSES; i++)
		pf_buf_addf(b, "%s\"%s\":%zu", i > 1 ? "," : "",
		    pf_hrv_beat_name((enum pf_hrv_beat)i), r->n_class[i]);
	pf_buf_adds(b, "},");
	fields(b, r, pf_hrv_result_fields);
	pf_buf_adds(b, ",\"ln_rmssd\":");
	num(b, r->rmssd > 0 ? log(r->rmssd) : NAN);
	pf_buf_adds(b, ",\"welch\":{");
	fields(b, &r->welch, pf_hrv_spectrum_fields);
	pf_buf_adds(b, "},\"lomb\":{");
	fields(b, &r->lomb, pf_hrv_spectrum_fields);
	/* Which input intervals were corrected, and how. */
	pf_buf_adds(b, "},\"corrected\":[");
	first = true;
	for (i = 0; i < r->n_input; i++) {
		if (r->beat_class[i] == PF_HRV_BEAT_NORMAL)
			continue;
		pf_buf_addf(b, "%s{\"index\":%zu,\"class\":\"%s\"}",
		    first ? "" : ",", i,
		    pf_hrv_beat_name((enum pf_hrv_beat)r->beat_class[i]));
		first = false;
	}
	pf_buf_adds(b, "]}");
}

/* A compatible metric key's value: the analysis', or the session's own. */
static void
compat_value(struct pf_buf *b, const struct pf_hrv_result *r,
    const char *key, enum pf_hrv_artifact_method m, bool motion)
{
	double	v;

	if (strcmp(key, "motionArtifacts") == 0)
		pf_buf_adds(b, motion ? "true" : "false");
	else if (strcmp(key, "filter_method") == 0)
		str(b, pf_hrv_artifact_name(m));
	else if (pf_hrv_compat_metric(r, key, &v) == PF_OK) {
		if (strcmp(key, "rr_count") == 0 ||
		    strcmp(key, "outlier_count") == 0)
			pf_buf_addf(b, "%.0f", v);
		else
			num(b, v);
	} else
		pf_buf_adds(b, "null");
}

void
pf_hrv_json_compat(const struct pf_hrv_result *r,
    enum pf_hrv_artifact_method m, bool motion, struct pf_buf *b)
{
	size_t	i, k;
	double	q = 1.0 - r->corrected_pct / 100.0;

	pf_buf_adds(b, "{\"metrics\":{");
	for (i = 0; i < sizeof(compat_keys) / sizeof(compat_keys[0]); i++) {
		pf_buf_addf(b, "%s\"%s\":", i ? "," : "", compat_keys[i]);
		compat_value(b, r, compat_keys[i], m, motion);
	}
	pf_buf_adds(b, ",\"motionArtifacts\":");
	compat_value(b, r, "motionArtifacts", m, motion);
	pf_buf_adds(b, ",\"filter_method\":");
	compat_value(b, r, "filter_method", m, motion);
	pf_buf_adds(b, "},\"indexes\":{");
	for (i = 0; i < pf_hrv_ngroups; i++) {
		str(b, pf_hrv_groups[i].name);
		pf_buf_adds(b, ":{");
		for (k = 0; pf_hrv_groups[i].metrics[k] != NULL; k++) {
			pf_buf_addf(b, "\"%s\":", pf_hrv_groups[i].metrics[k]);
			compat_value(b, r, pf_hrv_groups[i].metrics[k], m,
			    motion);
			pf_buf_adds(b, ",");
		}
		pf_buf_adds(b, "\"Interpretation\":");
		str(b, pf_hrv_groups[i].interpretation);
		pf_buf_addf(b, "}%s", i + 1 < pf_hrv_ngroups ? "," : "");
	}
	pf_buf_adds(b, "},\"quality\":{\"quality_score\":");
	num(b, q);
	pf_buf_adds(b, ",\"quality_label\":");
	str(b, pf_hrv_quality_label(q));
	pf_buf_adds(b, ",\"filter_method\":");
	str(b, pf_hrv_artifact_name(m));
	pf_buf_addf(b, ",\"outlier_count\":%zu,\"valid_rr_percentage\":",
	    r->n_corrected);
	num(b, 100.0 - r->corrected_pct);
	pf_buf_adds(b, "}}");
}

void
pf_hrv_pg_array(const double *x, size_t n, struct pf_buf *b)
{
	size_t	i;

	pf_buf_adds(b, "{");
	for (i = 0; i < n; i++)
		pf_buf_addf(b, "%s%.17g", i ? "," : "", x[i]);
	pf_buf_adds(b, "}");
}

void
pf_hrv_json_result(const struct pf_hrv_result *r,
    enum pf_hrv_artifact_method m, bool motion, struct pf_buf *b)
{
	char	reason[200];
	bool	valid = pf_hrv_validity(r, motion, reason, sizeof(reason));

	pf_buf_addf(b, "{\"algo_version\":%d,\"valid\":%s,\"reason\":",
	    r->algo_version, valid ? "true" : "false");
	if (valid)
		pf_buf_adds(b, "null");
	else
		str(b, reason);
	pf_buf_adds(b, ",\"metrics\":");
	pf_hrv_json_metrics(r, m, b);
	pf_buf_adds(b, ",\"compat\":");
	pf_hrv_json_compat(r, m, motion, b);
	pf_buf_adds(b, "}");
}

bool
pf_hrv_tag_listed(const char *tag, const char *list)
{
	const char	*p = list, *e;
	size_t		 n, tl = strlen(tag);

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && n == tl && strncasecmp(p, tag, n) == 0)
			return true;
		p = e;
	}
	return false;
}
