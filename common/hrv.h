/*
 * hrv.h -- heart rate variability from a series of RR intervals.
 *
 * One call, pf_hrv_analyze(), turns the RR intervals (milliseconds, as a
 * chest strap reports them) of one recording into every metric below.  It
 * is a pure function: no I/O, no global state, no allocation.  All the
 * memory it needs is one workspace the caller allocates once, sized by
 * pf_hrv_workspace_size() for the largest session it will analyse, and
 * reuses for every session.
 *
 * The pipeline and its definitions (so that a result can be reproduced
 * with any numerical package):
 *
 *   1. Artifacts.  PF_HRV_ART_AUTO is the Lipponen & Tarvainen (2019)
 *      classification of dRR patterns (constants alpha 5.2, c1 0.13,
 *      c2 0.17, 91-beat quartile-deviation window, 11-beat median).
 *      Corrections keep the time axis: an ectopic beat (the R peak between
 *      intervals i-1 and i misplaced) gets both intervals set to their
 *      mean; a missed beat splits interval i into two halves; an extra beat
 *      merges intervals i and i+1; a long or short interval is replaced by
 *      the mean of its nearest unflagged neighbours.  PF_HRV_ART_THRESHOLD
 *      flags an interval whose distance from the median of the 11 intervals
 *      centred on it exceeds the level's threshold (0.45, 0.35, 0.25, 0.15,
 *      0.05 s at 60 bpm, scaled by mean RR / 1000 ms) and replaces it like a
 *      long or short one.  Nothing is deleted.  The corrected series is the
 *      "NN" series of everything after.
 *   2. Time domain on NN: sample SD (n - 1); pNN50 = NN50 / (n - 1) * 100,
 *      the number of successive differences; SDSD is the sample SD of the
 *      differences; HR = 60000 / NN; min/max HR over a moving average of
 *      hr_avg_beats instantaneous HRs.  Histograms have bins [k*w, (k+1)*w)
 *      from 0 ms: HRV triangular index with w = 1000/128 ms is n / the
 *      highest bin; TINN is the base of the triangle fitted by least
 *      squares to that histogram, its corners searched among the bins next
 *      to the occupied range and the mode bin.  Baevsky SI = AMo / (2 Mo
 *      MxDMn) with AMo the highest 50 ms bin in % of n, Mo the median NN
 *      (s, as Kubios does) and MxDMn max - min (s).
 *   3. Spectra.  Welch: NN is resampled at resample_hz (natural cubic
 *      spline through (t_i, NN_i), t_i the cumulated NN, from t_0 to
 *      t_last), detrended by smoothness priors (z - (I + lambda^2 D2'D2)^-1
 *      z), then cut in periodic-Hann segments of welch_window_s (the whole
 *      series when shorter) overlapping by welch_overlap, each mean-removed
 *      and zero-padded to the next power of two; one-sided density in
 *      ms^2/Hz.  Lomb-Scargle: on (t_i, NN_i - mean NN) with no resampling
 *      and no detrending, frequencies k / T (T = t_last - t_0, k >= 1)
 *      below 0.4 Hz, scaled to a one-sided density as 2 P(f) T / n.  Band
 *      power is sum(PSD(f_k) * df) over lo <= f_k < hi: VLF [0.003, 0.04), LF
 *      [0.04, 0.15), HF [0.15, 0.4) Hz, total = VLF + LF + HF; logs are
 *      natural; relative is % of total; normalised is % of LF + HF.  Peaks
 *      are the highest bin of each band; the respiratory rate is the HF
 *      peak * 60.
 *   4. Nonlinear: SD1 = sqrt(SDSD^2 / 2), SD2 = sqrt(2 SDNN^2 - SDSD^2 / 2);
 *      SampEn (Richman & Moorman; n - m templates of both lengths, self
 *      matches excluded) and ApEn (Pincus; self matches included) with
 *      Chebyshev distance, m = entropy_m, r = entropy_r * SDNN; DFA on the
 *      integrated mean-removed NN, non-overlapping boxes from the start,
 *      each linearly detrended, alpha the least-squares slope of log10 F(n)
 *      over every integer n in 4..16 (alpha1) and 16..64 (alpha2).
 *   5. Indexes: PNS = mean of z(mean RR), z(RMSSD), z(SD1 % of mean RR);
 *      SNS = mean of z(mean HR), z(sqrt SI), z(SD2 % of mean RR), each z
 *      against the population norms in hrv_index.c.
 *
 * A metric that cannot be computed (too few beats, an empty band, no
 * entropy matches) is NaN and its reason is a warning bit: never a
 * made-up value.
 */
#ifndef PF_COMMON_HRV_H
#define PF_COMMON_HRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped whenever any result for the same input can change. */
#define PF_HRV_ALGO_VERSION	1

/* What pf_hrv_analyze() accepts. */
#define PF_HRV_MIN_BEATS	30
#define PF_HRV_RR_MIN_MS	200.0
#define PF_HRV_RR_MAX_MS	3000.0

enum pf_hrv_artifact_method {
	PF_HRV_ART_NONE = 0,
	PF_HRV_ART_AUTO,	/* Lipponen & Tarvainen 2019 */
	PF_HRV_ART_THRESHOLD	/* local median, threshold_level */
};

enum pf_hrv_level {
	PF_HRV_LEVEL_VERY_LOW = 0,	/* 0.45 s */
	PF_HRV_LEVEL_LOW,		/* 0.35 s */
	PF_HRV_LEVEL_MEDIUM,		/* 0.25 s */
	PF_HRV_LEVEL_STRONG,		/* 0.15 s */
	PF_HRV_LEVEL_VERY_STRONG	/* 0.05 s */
};

/* The class of an input interval after artifact detection. */
enum pf_hrv_beat {
	PF_HRV_BEAT_NORMAL = 0,
	PF_HRV_BEAT_ECTOPIC,
	PF_HRV_BEAT_MISSED,	/* interval split in two */
	PF_HRV_BEAT_EXTRA,	/* interval merged with the next */
	PF_HRV_BEAT_LONGSHORT,	/* interval replaced (also threshold hits) */
	PF_HRV_BEAT_NCLASSES
};

/* Warning bits of pf_hrv_result.warnings. */
#define PF_HRV_W_ARTIFACTS	0x0001	/* corrected_pct > max_corrected_pct */
#define PF_HRV_W_SHORT_HF	0x0002	/* under 60 s: HF unreliable */
#define PF_HRV_W_SHORT_LF	0x0004	/* under 120 s: LF unreliable */
#define PF_HRV_W_SHORT_VLF	0x0008	/* 300 s or less: VLF unreliable */
#define PF_HRV_W_NO_DFA1	0x0010	/* under 32 beats, or no fluctuation */
#define PF_HRV_W_NO_DFA2	0x0020	/* under 128 beats, or the same */
#define PF_HRV_W_NO_SAMPEN	0x0040	/* no template matches */
#define PF_HRV_W_FLAT	0x0080	/* SDNN 0: entropies, SI, spectra NaN */

struct pf_hrv_opts {
	enum pf_hrv_artifact_method artifact;
	enum pf_hrv_level level;	/* for PF_HRV_ART_THRESHOLD */
	double	max_corrected_pct;	/* above it: PF_HRV_W_ARTIFACTS */
	double	lambda;			/* smoothness priors */
	double	resample_hz;
	double	welch_window_s;
	double	welch_overlap;		/* 0 <= x < 1 */
	int	entropy_m;
	double	entropy_r;		/* times SDNN */
	int	hr_avg_beats;		/* min/max HR moving average */
};

struct pf_hrv_spectrum {
	double	vlf, lf, hf, total;		/* ms^2 */
	double	vlf_log, lf_log, hf_log;	/* ln(ms^2) */
	double	vlf_rel, lf_rel, hf_rel;	/* % of total */
	double	lf_nu, hf_nu;			/* % of LF + HF */
	double	lf_hf;
	double	vlf_peak, lf_peak, hf_peak;	/* Hz */
	double	resp_rate;			/* breaths/min, HF peak */
};

struct pf_hrv_result {
	int	algo_version;		/* PF_HRV_ALGO_VERSION */
	unsigned warnings;		/* PF_HRV_W_* */

	/* artifacts */
	size_t	n_input;
	size_t	n_nn;			/* after correction */
	size_t	n_class[PF_HRV_BEAT_NCLASSES];
	size_t	n_corrected;		/* input intervals not NORMAL */
	double	corrected_pct;		/* n_corrected / n_input * 100 */
	double	duration_s;		/* sum of NN */
	/*
	 * Into the workspace, valid until it is reused: the NN series
	 * (n_nn values) and the class of each input interval (n_input).
	 */
	const double *nn;
	const uint8_t *beat_class;

	/* time domain */
	double	mean_rr, sdnn, mean_hr, sd_hr, min_hr, max_hr;
	double	rmssd, sdsd, pnn50, cv;
	size_t	nn50;
	double	hti, tinn;
	double	si, si_sqrt;		/* Baevsky stress index */

	/* frequency domain */
	struct pf_hrv_spectrum welch, lomb;

	/* nonlinear */
	double	sd1, sd2, sd2_sd1;
	double	sampen, apen;
	double	dfa_a1, dfa_a2;

	/* indexes */
	double	pns, sns;
};

/* The defaults: AUTO correction, 5 %, lambda 500, 4 Hz, 256 s Welch
 * windows with 50 % overlap, m = 2, r = 0.2 SDNN, 5-beat HR average. */
void	pf_hrv_opts_default(struct pf_hrv_opts *o);

/*
 * Bytes of workspace for sessions of up to max_beats intervals with these
 * options; 0 when max_beats or the options are out of range (see
 * pf_hrv_analyze).  The workspace needs only malloc's alignment.
 */
size_t	pf_hrv_workspace_size(size_t max_beats, const struct pf_hrv_opts *o);

/*
 * The index of the first interval outside PF_HRV_RR_MIN_MS..MAX_MS or not
 * finite, or n when all are fine.
 */
size_t	pf_hrv_check_rr(const double *rr, size_t n);

/*
 * Analyses rr[0..n) into *out.  PF_ERR_INVALID when n < PF_HRV_MIN_BEATS,
 * an interval fails pf_hrv_check_rr(), the options are out of range
 * (resample_hz 1..16, lambda > 0, welch_window_s >= 10, entropy_m 1..4,
 * entropy_r > 0, hr_avg_beats >= 1), or ws_size is smaller than
 * pf_hrv_workspace_size(n, o).  *out is written only on PF_OK; its nn and
 * beat_class point into ws.
 */
int	pf_hrv_analyze(const double *rr, size_t n, const struct pf_hrv_opts *o,
	    void *ws, size_t ws_size, struct pf_hrv_result *out);

/*
 * The HRV Metrics API's nine "functional index" groups: each a name, our
 * interpretation text and its metric keys (NULL-terminated) in that API's
 * spelling.  Static, never freed.
 */
struct pf_hrv_group {
	const char	*name;
	const char	*interpretation;
	const char	*metrics[8];
};
extern const struct pf_hrv_group pf_hrv_groups[];
extern const size_t pf_hrv_ngroups;

/*
 * The value of that API's metric key in r (spectral ones from Welch;
 * heartRate the mean HR; rr_count the NN count; outlier_count the corrected
 * intervals; valid_rr_percentage 100 - corrected_pct; quality_score
 * 1 - corrected_pct / 100).  PF_ERR_NOTFOUND for a key that is no metric
 * of the analysis (motionArtifacts, filter_method: the session's own).
 */
int	pf_hrv_compat_metric(const struct pf_hrv_result *r, const char *key,
	    double *v);

/* Stable lower-case names for JSON keys and logs. */
const char	*pf_hrv_beat_name(enum pf_hrv_beat b);
const char	*pf_hrv_artifact_name(enum pf_hrv_artifact_method m);

/*
 * hrv_json.c -- a session's analysis as the JSON text both daemons store
 * (appended to b; b owns its bytes).  A metric that is NaN is null.
 *
 * pf_hrv_json_metrics: every metric, the warnings by name, the beat-class
 * counts and the corrected input intervals ({"index", "class"}).
 * pf_hrv_json_compat: {"metrics", "indexes", "quality"} in the HRV
 * Metrics API's keys (motion and the artifact method are the session's).
 * pf_hrv_json_result: {"algo_version", "valid", "reason", "metrics",
 * "compat"}, the document apid and analyticsd hand their INSERT.
 * pf_hrv_pg_array: x as a PostgreSQL float8[] literal, exact digits.
 */
struct pf_buf;
/*
 * The double-valued metrics by JSON key: pf_hrv_result_fields over
 * struct pf_hrv_result, pf_hrv_spectrum_fields over struct
 * pf_hrv_spectrum, each ending with a NULL key.
 */
struct pf_hrv_field {
	const char	*key;
	size_t		 off;
};
extern const struct pf_hrv_field pf_hrv_result_fields[];
extern const struct pf_hrv_field pf_hrv_spectrum_fields[];
void	pf_hrv_json_metrics(const struct pf_hrv_result *r,
	    enum pf_hrv_artifact_method m, struct pf_buf *b);
void	pf_hrv_json_compat(const struct pf_hrv_result *r,
	    enum pf_hrv_artifact_method m, bool motion, struct pf_buf *b);
void	pf_hrv_json_result(const struct pf_hrv_result *r,
	    enum pf_hrv_artifact_method m, bool motion, struct pf_buf *b);
void	pf_hrv_pg_array(const double *x, size_t n, struct pf_buf *b);
/*
 * Whether the session counts: no motion reported and no more corrected
 * beats than the limit.  reason (len bytes) gets why not, or "".
 */
bool	pf_hrv_validity(const struct pf_hrv_result *r, bool motion,
	    char *reason, size_t len);
/*
 * Whether tag is one of list's comma-separated tags (blanks around them
 * ignored, case ignored): hrv_morning_tags.
 */
bool	pf_hrv_tag_listed(const char *tag, const char *list);
/* The compatible API's label of a quality score (0..1). */
const char	*pf_hrv_quality_label(double score);

#endif /* PF_COMMON_HRV_H */
