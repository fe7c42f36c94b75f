/*
 * pf_hrv.c -- analyses one recording's RR intervals (milliseconds, one a
 * line on standard input) with common/hrv.c and prints every metric, the
 * corrected series and the class of each input interval as one JSON
 * object.  A metric that could not be computed is null.
 *
 *   pf_hrv [-a auto|threshold|none] [-l 0..4] [-w welch_window_s]
 *
 * tests/integration/test_hrv_reference.py checks its numbers against an
 * independent implementation.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hrv.h"

#define MAX_BEATS	100000

static void
num(const char *key, double v, int comma)
{
	if (isfinite(v))
		printf("\"%s\":%.17g%s", key, v, comma ? "," : "");
	else
		printf("\"%s\":null%s", key, comma ? "," : "");
}

static void
spectrum(const char *name, const struct pf_hrv_spectrum *s)
{
	printf("\"%s\":{", name);
	num("vlf", s->vlf, 1);
	num("lf", s->lf, 1);
	num("hf", s->hf, 1);
	num("total", s->total, 1);
	num("vlf_log", s->vlf_log, 1);
	num("lf_log", s->lf_log, 1);
	num("hf_log", s->hf_log, 1);
	num("vlf_rel", s->vlf_rel, 1);
	num("lf_rel", s->lf_rel, 1);
	num("hf_rel", s->hf_rel, 1);
	num("lf_nu", s->lf_nu, 1);
	num("hf_nu", s->hf_nu, 1);
	num("lf_hf", s->lf_hf, 1);
	num("vlf_peak", s->vlf_peak, 1);
	num("lf_peak", s->lf_peak, 1);
	num("hf_peak", s->hf_peak, 1);
	num("resp_rate", s->resp_rate, 0);
	printf("},");
}

static void
print(const struct pf_hrv_result *r)
{
	size_t	i;

	printf("{\"algo_version\":%d,\"warnings\":%u,", r->algo_version,
	    r->warnings);
	printf("\"n_input\":%zu,\"n_nn\":%zu,\"n_corrected\":%zu,", r->n_input,
	    r->n_nn, r->n_corrected);
	for (i = 0; i < PF_HRV_BEAT_NCLASSES; i++)
		printf("\"n_%s\":%zu,", pf_hrv_beat_name(i), r->n_class[i]);
	num("corrected_pct", r->corrected_pct, 1);
	num("duration_s", r->duration_s, 1);
	num("mean_rr", r->mean_rr, 1);
	num("sdnn", r->sdnn, 1);
	num("mean_hr", r->mean_hr, 1);
	num("sd_hr", r->sd_hr, 1);
	num("min_hr", r->min_hr, 1);
	num("max_hr", r->max_hr, 1);
	num("rmssd", r->rmssd, 1);
	num("sdsd", r->sdsd, 1);
	printf("\"nn50\":%zu,", r->nn50);
	num("pnn50", r->pnn50, 1);
	num("cv", r->cv, 1);
	num("hti", r->hti, 1);
	num("tinn", r->tinn, 1);
	num("si", r->si, 1);
	num("si_sqrt", r->si_sqrt, 1);
	spectrum("welch", &r->welch);
	spectrum("lomb", &r->lomb);
	num("sd1", r->sd1, 1);
	num("sd2", r->sd2, 1);
	num("sd2_sd1", r->sd2_sd1, 1);
	num("sampen", r->sampen, 1);
	num("apen", r->apen, 1);
	num("dfa_a1", r->dfa_a1, 1);
	num("dfa_a2", r->dfa_a2, 1);
	num("pns", r->pns, 1);
	num("sns", r->sns, 1);
	printf("\"nn\":[");
	for (i = 0; i < r->n_nn; i++)
		printf("%s%.17g", i ? "," : "", r->nn[i]);
	printf("],\"class\":[");
	for (i = 0; i < r->n_input; i++)
		printf("%s\"%s\"", i ? "," : "",
		    pf_hrv_beat_name(r->beat_class[i]));
	printf("]}\n");
}

static void
usage(void)
{
	fprintf(stderr, "usage: pf_hrv [-a auto|threshold|none] [-l level] "
	    "[-w welch_window_s]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct pf_hrv_opts o;
	struct pf_hrv_result r;
	static double rr[MAX_BEATS];
	size_t	n = 0, wsz;
	void	*ws = NULL;
	char	line[128], *end;
	int	c, rc = 1, err;

	pf_hrv_opts_default(&o);
	while ((c = getopt(argc, argv, "a:l:w:")) != -1) {
		switch (c) {
		case 'a':
			if (strcmp(optarg, "auto") == 0)
				o.artifact = PF_HRV_ART_AUTO;
			else if (strcmp(optarg, "threshold") == 0)
				o.artifact = PF_HRV_ART_THRESHOLD;
			else if (strcmp(optarg, "none") == 0)
				o.artifact = PF_HRV_ART_NONE;
			else
				usage();
			break;
		case 'l':
			o.level = (enum pf_hrv_level)atoi(optarg);
			break;
		case 'w':
			o.welch_window_s = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (line[0] == '\n')
			continue;
		if (n == MAX_BEATS) {
			fprintf(stderr, "pf_hrv: more than %d intervals\n",
			    MAX_BEATS);
			goto out;
		}
		errno = 0;
		rr[n] = strtod(line, &end);
		if (end == line || errno != 0) {
			fprintf(stderr, "pf_hrv: not a number: %s", line);
			goto out;
		}
		n++;
	}
	wsz = pf_hrv_workspace_size(n > 0 ? n : 1, &o);
	if (wsz == 0 || (ws = malloc(wsz)) == NULL) {
		fprintf(stderr, "pf_hrv: bad options or out of memory\n");
		goto out;
	}
	if ((err = pf_hrv_analyze(rr, n, &o, ws, wsz, &r)) != PF_OK) {
		fprintf(stderr, "pf_hrv: %s (at least %d intervals of "
		    "%g..%g ms)\n", pf_strerror(err), PF_HRV_MIN_BEATS,
		    PF_HRV_RR_MIN_MS, PF_HRV_RR_MAX_MS);
		goto out;
	}
	print(&r);
	rc = 0;
out:
	free(ws);
	return rc;
}
