/*
 * bench_hrv.c -- the time pf_hrv_analyze() takes for a 5-minute session
 * (400 beats with respiratory and baroreflex modulation, three artifacts),
 * every metric with the default options, the workspace allocated once as a
 * server would.  Prints the best of several rounds in wall-clock time and
 * in the process's CPU time: on a shared machine the wall clock also
 * counts the time other processes held the CPU.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/err.h"
#include "common/hrv.h"

#define BEATS	400
#define ROUNDS	7
#define PER	300

static double
now_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(void)
{
	struct pf_hrv_opts o;
	struct pf_hrv_result r;
	double	rr[BEATS], t = 0.0, wall = INFINITY, cpu = INFINITY, w0, c0;
	size_t	i, wsz;
	void	*ws;
	int	k, j;

	for (i = 0; i < BEATS; i++) {
		/* deterministic jitter: no libc RNG differences */
		rr[i] = 900.0 + 40.0 * sin(2.0 * M_PI * 0.1 * t) +
		    25.0 * sin(2.0 * M_PI * 0.25 * t) +
		    5.0 * sin((double)i * 12.9898);
		t += rr[i] / 1000.0;
	}
	rr[100] *= 0.65;	/* ectopic */
	rr[101] *= 1.35;
	rr[200] *= 2.0;		/* missed */
	rr[300] *= 0.4;		/* extra */
	pf_hrv_opts_default(&o);
	wsz = pf_hrv_workspace_size(BEATS, &o);
	if (wsz == 0 || (ws = malloc(wsz)) == NULL)
		return 1;
	for (k = 0; k < ROUNDS; k++) {
		w0 = now_us(CLOCK_MONOTONIC);
		c0 = now_us(CLOCK_PROCESS_CPUTIME_ID);
		for (j = 0; j < PER; j++)
			if (pf_hrv_analyze(rr, BEATS, &o, ws, wsz, &r) != PF_OK)
				return 1;
		wall = fmin(wall, (now_us(CLOCK_MONOTONIC) - w0) / PER);
		cpu = fmin(cpu, (now_us(CLOCK_PROCESS_CPUTIME_ID) - c0) / PER);
	}
	printf("hrv: %d beats (%.0f s), %zu corrected, workspace %zu bytes: "
	    "%.1f us/session CPU, %.1f us wall (best of %d x %d)\n", BEATS,
	    r.duration_s, r.n_corrected, wsz, cpu, wall, ROUNDS, PER);
	free(ws);
	return 0;
}
