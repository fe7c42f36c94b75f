#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/hrv.h"
#include "tests/unit/testutil.h"

#ifndef M_PI
#define M_PI	3.14159265358979323846
#endif

#define N	400

struct fx {
	struct pf_hrv_opts o;
	void	*ws;
	size_t	 wsz;
	double	 rr[2 * N];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	pf_hrv_opts_default(&f->o);
	f->wsz = pf_hrv_workspace_size(2 * N, &f->o);
	if (f->wsz == 0 || (f->ws = malloc(f->wsz)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	free(f->ws);
	free(f);
	return 0;
}

/* RR modulated at 0.1 Hz (amplitude lf) and 0.25 Hz (hf) of its own
 * time, with a deterministic jitter of amplitude jit. */
static void
modulated(double *rr, size_t n, double lf, double hf, double jit)
{
	double	t = 0.0;
	size_t	i;

	for (i = 0; i < n; i++) {
		rr[i] = 900.0 + lf * sin(2.0 * M_PI * 0.1 * t) +
		    hf * sin(2.0 * M_PI * 0.25 * t) +
		    jit * sin((double)i * 12.9898);
		t += rr[i] / 1000.0;
	}
}

static void
test_defaults_and_workspace(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_opts o;

	assert_int_equal(f->o.artifact, PF_HRV_ART_AUTO);
	assert_double_exact(f->o.lambda, 500.0);
	assert_double_exact(f->o.resample_hz, 4.0);
	assert_double_exact(f->o.max_corrected_pct, 5.0);
	/* grows with the session, refuses what it cannot size */
	assert_true(pf_hrv_workspace_size(100, &f->o) <
	    pf_hrv_workspace_size(1000, &f->o));
	assert_int_equal(pf_hrv_workspace_size(0, &f->o), 0);
	o = f->o;
	o.resample_hz = 0.5;
	assert_int_equal(pf_hrv_workspace_size(100, &o), 0);
	o = f->o;
	o.welch_overlap = 1.0;
	assert_int_equal(pf_hrv_workspace_size(100, &o), 0);
	o = f->o;
	o.entropy_m = 0;
	assert_int_equal(pf_hrv_workspace_size(100, &o), 0);
}

static void
test_bad_input_refused(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_result r;
	size_t	i;

	for (i = 0; i < 40; i++)
		f->rr[i] = 800.0;
	assert_int_equal(pf_hrv_analyze(f->rr, PF_HRV_MIN_BEATS - 1, &f->o,
	    f->ws, f->wsz, &r), PF_ERR_INVALID);
	f->rr[7] = 199.0;
	assert_int_equal(pf_hrv_check_rr(f->rr, 40), 7);
	assert_int_equal(pf_hrv_analyze(f->rr, 40, &f->o, f->ws, f->wsz, &r),
	    PF_ERR_INVALID);
	f->rr[7] = 3001.0;
	assert_int_equal(pf_hrv_check_rr(f->rr, 40), 7);
	f->rr[7] = NAN;
	assert_int_equal(pf_hrv_check_rr(f->rr, 40), 7);
	f->rr[7] = 200.0;
	f->rr[8] = 3000.0;
	assert_int_equal(pf_hrv_check_rr(f->rr, 40), 40);
	/* a workspace one byte short is refused, not overrun */
	assert_int_equal(pf_hrv_analyze(f->rr, 40, &f->o, f->ws,
	    pf_hrv_workspace_size(40, &f->o) - 1, &r), PF_ERR_INVALID);
	assert_int_equal(pf_hrv_analyze(f->rr, 40, &f->o, f->ws,
	    pf_hrv_workspace_size(40, &f->o), &r), PF_OK);
}

/* 800, 900, 800, ...: every metric follows by hand. */
static void
test_alternating_series_by_hand(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_result r;
	size_t	i, n = 100;

	for (i = 0; i < n; i++)
		f->rr[i] = i % 2 ? 900.0 : 800.0;
	f->o.artifact = PF_HRV_ART_NONE;
	assert_int_equal(pf_hrv_analyze(f->rr, n, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_int_equal(r.algo_version, PF_HRV_ALGO_VERSION);
	assert_int_equal(r.n_nn, n);
	assert_double_rel(r.mean_rr, 850.0, 1e-15);
	/* 50 at +-50 ms: sample variance 2500 n / (n - 1) */
	assert_double_rel(r.sdnn, sqrt(2500.0 * 100.0 / 99.0), 1e-14);
	assert_double_rel(r.rmssd, 100.0, 1e-15);
	assert_int_equal(r.nn50, n - 1);
	assert_double_rel(r.pnn50, 100.0, 1e-15);	/* of n - 1 diffs */
	assert_double_rel(r.mean_hr, (75.0 + 60000.0 / 900.0) / 2.0, 1e-14);
	/* SDSD of +-100 alternating over 99 differences */
	assert_double_rel(r.sd1, sqrt(r.sdsd * r.sdsd / 2.0), 1e-15);
	/* two histogram bins of 50: index n / 50 */
	assert_double_rel(r.hti, 2.0, 1e-15);
	/* SI: AMo 50 %, Mo 0.85 s, MxDMn 0.1 s */
	assert_double_rel(r.si, 50.0 / (2.0 * 0.85 * 0.1), 1e-14);
	/* all of the variance is at 1 / (2 * 0.85 s) = 0.588 Hz, above HF:
	 * what reaches the bands is leakage */
	assert_true(r.welch.total < 0.01 * r.sdnn * r.sdnn);
	assert_true(r.lomb.total < 0.01 * r.sdnn * r.sdnn);
}

static void
test_modulation_lands_in_its_bands(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_result r;

	modulated(f->rr, N, 40.0, 25.0, 3.0);
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_int_equal(r.n_corrected, 0);
	assert_int_equal(r.warnings, 0);
	assert_double_near(r.welch.lf_peak, 0.1, 4.0 / 1024.0);
	assert_double_near(r.welch.hf_peak, 0.25, 4.0 / 1024.0);
	assert_double_near(r.lomb.lf_peak, 0.1, 1.0 / r.duration_s);
	assert_double_near(r.lomb.hf_peak, 0.25, 1.0 / r.duration_s);
	/* a sinusoid of amplitude A has power A^2 / 2 */
	assert_double_rel(r.welch.lf, 800.0, 0.1);
	assert_double_rel(r.welch.hf, 312.5, 0.1);
	assert_double_rel(r.lomb.lf, 800.0, 0.1);
	assert_double_rel(r.lomb.hf, 312.5, 0.1);
	assert_double_near(r.welch.resp_rate, 15.0, 0.25);
	assert_double_rel(r.welch.lf_nu + r.welch.hf_nu, 100.0, 1e-12);
	assert_double_rel(r.welch.vlf_rel + r.welch.lf_rel + r.welch.hf_rel,
	    100.0, 1e-12);
	assert_double_rel(r.welch.lf_log, log(r.welch.lf), 1e-15);
	/* only HF: the LF band holds next to nothing */
	modulated(f->rr, N, 0.0, 25.0, 3.0);
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_true(r.welch.lf_hf < 0.1);
	assert_true(r.lomb.lf_hf < 0.1);
	assert_true(isfinite(r.sampen) && r.sampen > 0.0);
	assert_true(isfinite(r.apen) && r.apen > 0.0);
}

static void
test_artifacts_found_and_corrected(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_result r;
	double	clean[N], total = 0.0;
	size_t	i, n = N;

	modulated(clean, N, 40.0, 25.0, 3.0);
	memcpy(f->rr, clean, sizeof(clean));
	f->rr[100] = clean[100] * 0.65;		/* premature beat */
	f->rr[101] = clean[101] * 1.35;		/* its compensatory pause */
	f->rr[200] = clean[200] + clean[201];	/* a missed R peak */
	memmove(f->rr + 201, clean + 202, (N - 202) * sizeof(double));
	n--;
	/* an extra R peak at 40 % of interval 299 (now at 298) */
	memmove(f->rr + 299, f->rr + 298, (n - 298) * sizeof(double));
	f->rr[298] = clean[299] * 0.4;
	f->rr[299] = clean[299] * 0.6;
	n++;
	for (i = 0; i < n; i++)
		total += f->rr[i];
	assert_int_equal(pf_hrv_analyze(f->rr, n, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_int_equal(r.beat_class[101], PF_HRV_BEAT_ECTOPIC);
	assert_int_equal(r.beat_class[200], PF_HRV_BEAT_MISSED);
	assert_int_equal(r.beat_class[298], PF_HRV_BEAT_EXTRA);
	assert_int_equal(r.n_corrected, 3);
	assert_double_rel(r.corrected_pct, 300.0 / (double)n, 1e-15);
	assert_int_equal(r.n_nn, N);
	for (i = 0; i < N; i++)
		assert_double_near(r.nn[i], clean[i], 40.0);
	/* no beat is dropped: the recording keeps its length */
	assert_double_rel(r.duration_s * 1000.0, total, 1e-12);
	assert_false(r.warnings & PF_HRV_W_ARTIFACTS);

	/* the same by threshold: a long interval at 0.25 s, not at 0.45 */
	memcpy(f->rr, clean, sizeof(clean));
	f->rr[150] += 300.0;
	f->o.artifact = PF_HRV_ART_THRESHOLD;
	f->o.level = PF_HRV_LEVEL_MEDIUM;
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_int_equal(r.beat_class[150], PF_HRV_BEAT_LONGSHORT);
	assert_int_equal(r.n_corrected, 1);
	assert_double_near(r.nn[150], clean[150], 40.0);
	f->o.level = PF_HRV_LEVEL_VERY_LOW;
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_int_equal(r.n_corrected, 0);
	/* and the limit: flagged above max_corrected_pct */
	f->o.level = PF_HRV_LEVEL_MEDIUM;
	f->o.max_corrected_pct = 0.2;
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_true(r.warnings & PF_HRV_W_ARTIFACTS);
}

static void
test_short_and_flat_recordings(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_result r;
	size_t	i;

	modulated(f->rr, 50, 40.0, 25.0, 3.0);	/* 45 s */
	assert_int_equal(pf_hrv_analyze(f->rr, 50, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_true(r.warnings & PF_HRV_W_SHORT_HF);
	assert_true(r.warnings & PF_HRV_W_SHORT_LF);
	assert_true(r.warnings & PF_HRV_W_SHORT_VLF);
	assert_true(r.warnings & PF_HRV_W_NO_DFA2);
	assert_false(r.warnings & PF_HRV_W_NO_DFA1);
	assert_true(isnan(r.dfa_a2));
	assert_true(isfinite(r.dfa_a1));

	for (i = 0; i < 60; i++)
		f->rr[i] = 1000.0;
	assert_int_equal(pf_hrv_analyze(f->rr, 60, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_true(r.warnings & PF_HRV_W_FLAT);
	assert_double_exact(r.sdnn, 0.0);
	assert_double_exact(r.rmssd, 0.0);
	assert_double_exact(r.mean_hr, 60.0);
	assert_true(isnan(r.si));
	assert_true(isnan(r.sampen));
	assert_true(isnan(r.dfa_a1));
}

/* The workspace carries nothing from one session to the next. */
static void
test_workspace_reuse_is_stateless(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_result a, b;
	double	other[N];
	size_t	i;

	modulated(f->rr, N, 40.0, 25.0, 3.0);
	f->rr[200] *= 2.0;
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz, &a),
	    PF_OK);
	for (i = 0; i < N; i++)
		other[i] = 600.0 + (double)(i % 7) * 30.0;
	assert_int_equal(pf_hrv_analyze(other, N, &f->o, f->ws, f->wsz, &b),
	    PF_OK);
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz, &b),
	    PF_OK);
	assert_int_equal(a.n_nn, b.n_nn);
	assert_double_exact(a.rmssd, b.rmssd);
	assert_double_exact(a.welch.hf, b.welch.hf);
	assert_double_exact(a.lomb.lf, b.lomb.lf);
	assert_double_exact(a.sampen, b.sampen);
	assert_double_exact(a.dfa_a2, b.dfa_a2);
	assert_double_exact(a.pns, b.pns);
}

static void
test_indexes_move_the_right_way(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_result calm, tense;
	size_t	i;
	double	t = 0.0;

	/* slow, variable heart vs fast, rigid heart */
	for (i = 0; i < N; i++) {
		f->rr[i] = 1100.0 + 60.0 * sin(2.0 * M_PI * 0.25 * t);
		t += f->rr[i] / 1000.0;
	}
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz,
	    &calm), PF_OK);
	t = 0.0;
	for (i = 0; i < N; i++) {
		f->rr[i] = 600.0 + 5.0 * sin(2.0 * M_PI * 0.25 * t);
		t += f->rr[i] / 1000.0;
	}
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz,
	    &tense), PF_OK);
	assert_true(calm.pns > 0.0 && tense.pns < 0.0);
	assert_true(tense.sns > calm.sns && tense.sns > 0.0);
	assert_true(tense.si > calm.si);
	assert_string_equal(pf_hrv_beat_name(PF_HRV_BEAT_MISSED), "missed");
	assert_string_equal(pf_hrv_artifact_name(PF_HRV_ART_AUTO), "auto");
}

static void
test_functional_groups(void **state)
{
	struct fx *f = *state;
	struct pf_hrv_result r;
	double	v;
	size_t	g, nk;

	modulated(f->rr, N, 40.0, 25.0, 3.0);
	f->rr[200] *= 2.0;
	assert_int_equal(pf_hrv_analyze(f->rr, N, &f->o, f->ws, f->wsz, &r),
	    PF_OK);
	assert_int_equal(pf_hrv_ngroups, 9);
	for (g = 0; g < pf_hrv_ngroups; g++) {
		assert_non_null(pf_hrv_groups[g].name);
		assert_true(strlen(pf_hrv_groups[g].interpretation) > 20);
		for (nk = 0; pf_hrv_groups[g].metrics[nk] != NULL; nk++) {
			const char *key = pf_hrv_groups[g].metrics[nk];

			if (strcmp(key, "motionArtifacts") == 0 ||
			    strcmp(key, "filter_method") == 0) {
				assert_int_equal(pf_hrv_compat_metric(&r, key,
				    &v), PF_ERR_NOTFOUND);
				continue;
			}
			assert_int_equal(pf_hrv_compat_metric(&r, key, &v),
			    PF_OK);
			assert_true(isfinite(v));
		}
		assert_true(nk >= 2);
	}
	assert_int_equal(pf_hrv_compat_metric(&r, "hfPower", &v), PF_OK);
	assert_double_exact(v, r.welch.hf);
	assert_int_equal(pf_hrv_compat_metric(&r, "rr_count", &v), PF_OK);
	assert_double_exact(v, (double)r.n_nn);
	assert_int_equal(pf_hrv_compat_metric(&r, "outlier_count", &v), PF_OK);
	assert_double_exact(v, 1.0);	/* the missed beat */
	assert_int_equal(pf_hrv_compat_metric(&r, "nope", &v),
	    PF_ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_workspace,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alternating_series_by_hand,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_modulation_lands_in_its_bands, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_artifacts_found_and_corrected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_and_flat_recordings,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_workspace_reuse_is_stateless, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_indexes_move_the_right_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_functional_groups,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
