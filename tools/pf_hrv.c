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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hrv.h"

#define MAX_BEATS	100000


/* ,"key":value for each double field of the struct at base; null when
 * the metric is undefined. */
static void
fields(const void *base, const struct pf_hrv_field *f)
{
	double	v;
	size_t	i;

	for (i = 0; f[i].key != NULL; i++) {
		memcpy(&v, (const char *)base + f[i].off, sizeof(v));
		if (isfinite(v))
			printf(",\"%s\":%.17g", f[i].key, v);
		else
			printf(",\"%s\":null", f[i].key);
	}
}

static void
spectrum(const char *name, const struct pf_hrv_spectrum *s)
{
	printf(",\"%s\":{\"method\":\"%s\"", name, name);
	fields(s, pf_hrv_spectrum_fields);
	printf("}");
}

static void
print(const struct pf_hrv_result *r)
{
	size_t	i;

	printf("{\"algo_version\":%d,\"warnings\":%u", r->algo_version,
	    r->warnings);
	printf(",\"n_input\":%zu,\"n_nn\":%zu,\"n_corrected\":%zu"
	    ",\"nn50\":%zu", r->n_input, r->n_nn, r->n_corrected, r->nn50);
	for (i = 0; i < PF_HRV_BEAT_NCLASSES; i++)
		printf(",\"n_%s\":%zu", pf_hrv_beat_name(i), r->n_class[i]);
	fields(r, pf_hrv_result_fields);
	spectrum("welch", &r->welch);
	spectrum("lomb", &r->lomb);
	printf(",\"nn\":[");
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
