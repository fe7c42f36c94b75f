/*
 * analyticsd.c -- polarflow-analyticsd: main and the hooks of the shared
 * daemon loop (common/daemon.h).
 *
 * Start-up: the common part, the event sockets, READY=1, then a reconcile
 * at once.  Each turn: events wake poll(); queued users are run a few at a
 * time; the reconcile repeats every analytics_reconcile_seconds and just
 * after local midnight, when documents that depend on the date go stale.
 */
#include <poll.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/daemon.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/time.h"

#include "pf_schema.h"

#include "analyticsd/analyticsd.h"

/* Users run per loop iteration before the sockets are polled again. */
#define RUNS_PER_WAKE	8

static int64_t	next_reconcile;	/* monotonic ms */
static int64_t	today;		/* local day of the last turn */

static void
open_events(void)
{
	char	url[256];
	int	r;

	if (pf_ipc_url(url, sizeof(url), env->cfg->rundir,
	    PF_SOCK_ANALYTICSD_EVENTS) != PF_OK ||
	    (r = pf_ipc_pub_open(&analyticsd->pub, url, 0660)) != PF_OK)
		pf_fatalx("could not publish on %s/%s", env->cfg->rundir,
		    PF_SOCK_ANALYTICSD_EVENTS);
	if (pf_ipc_url(url, sizeof(url), env->cfg->rundir,
	    PF_SOCK_SYNCD_EVENTS) != PF_OK ||
	    (r = pf_ipc_sub_open(&analyticsd->sub, url)) != PF_OK)
		pf_fatalx("could not subscribe to %s/%s", env->cfg->rundir,
		    PF_SOCK_SYNCD_EVENTS);
}

static void
reconcile(int64_t now)
{
	int	n;

	if ((n = jobs_reconcile(now)) < 0)
		pf_log_warnx("could not reconcile: %s: %s", pf_strerror(n),
		    pf_db_errmsg(env->db));
	else if (n > 0)
		pf_log_info("reconcile queued %d user%s", n, n == 1 ? "" : "s");
	next_reconcile = now +
	    (int64_t)env->cfg->analytics_reconcile_seconds * 1000;
}

static int
pollfds(struct pollfd *pfd, int max)
{
	(void)max;
	pfd[0].fd = pf_ipc_sub_fd(analyticsd->sub);
	pfd[0].events = POLLIN;
	return 1;
}

static int64_t
deadline(int64_t now)
{
	int64_t	wall = pf_time_now_ms(), dl = next_reconcile, t;

	/* Documents depend on the date: reconcile just after midnight. */
	if ((t = now + (today + 1) * PF_TIME_DAY_MS - wall + 1000) < dl)
		dl = t;
	if ((t = jobs_next_timeout(now)) >= 0 && now + t < dl)
		dl = now + t;
	return dl;
}

static void
pollin(struct pollfd *pfd, int n)
{
	if (n > 0 && (pfd[0].revents & POLLIN))
		ctl_events();
}

static void
tick(int64_t now)
{
	int64_t	day = pf_time_local_day(pf_time_now_ms(), 0);

	if (day != today) {
		today = day;
		next_reconcile = now;
	}
	if (now >= next_reconcile)
		reconcile(now);
	(void)jobs_run_due(pf_time_mono_ms(), RUNS_PER_WAKE);
}

static const struct pf_daemon_hooks hooks = {
	.status = ctl_status,
	.verbs = ctl_verbs,
	.pollfds = pollfds,
	.deadline = deadline,
	.pollin = pollin,
	.tick = tick,
};

int
main(int argc, char *argv[])
{
	struct pf_daemon	d = { .prog = "polarflow-analyticsd",
	    .ctl_socket = PF_SOCK_ANALYTICSD_CTL };
	struct analyticsd	ad;

	memset(&ad, 0, sizeof(ad));
	env = &d;
	analyticsd = &ad;
	pf_daemon_setup(env, &hooks, argc, argv);
	jobs_init();
	open_events();
	/* the same start-up line as polarflow-syncd's */
	pf_log_info("started (schema %d, reconcile every %d s, rundir %s)",
	    PF_SCHEMA_VERSION, env->cfg->analytics_reconcile_seconds,
	    env->cfg->rundir);
	today = pf_time_local_day(pf_time_now_ms(), 0);
	reconcile(pf_time_mono_ms());

	pf_daemon_loop(env, &hooks);

	jobs_cleanup();
	pf_ipc_sub_close(analyticsd->sub);
	pf_ipc_pub_close(analyticsd->pub);
	pf_daemon_teardown(env);
	return 0;
}
