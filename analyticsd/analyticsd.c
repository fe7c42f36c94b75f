/*
 * analyticsd.c -- polarflow-analyticsd: main, start-up and the poll loop.
 *
 * Start-up: configuration, logging, database, schema check, rundir,
 * sockets, READY=1, then a reconcile at once.  The loop is single-threaded:
 * signals, control requests and events wake poll(); queued users are run a
 * few at a time between wake-ups; the reconcile repeats every
 * analytics_reconcile_seconds.
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
#include "analyticsd/daemon.h"

/* Users run per loop iteration before the sockets are polled again. */
#define RUNS_PER_WAKE	8

/* env is defined in jobs.c so the unit tests can link the I/O files. */

extern char *__progname;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-nv] [-f file]\n", __progname);
	exit(1);
}

static void
socket_url(char *url, size_t sz, const char *name)
{
	if (pf_ipc_url(url, sz, env->conf->rundir, name) != PF_OK)
		pf_fatalx("rundir %s is too long for a socket path",
		    env->conf->rundir);
}

/*
 * 0660 like syncd's: apid and polarctl reach the control socket through
 * the shared group, nobody else does.
 */
static void
open_sockets(void)
{
	char	url[256];
	int	r;

	socket_url(url, sizeof(url), PF_SOCK_ANALYTICSD_CTL);
	if ((r = pf_ipc_server_open(&env->ctl, url, 0660)) != PF_OK)
		pf_fatalx("could not bind %s: %s", url, pf_strerror(r));
	socket_url(url, sizeof(url), PF_SOCK_ANALYTICSD_EVENTS);
	if ((r = pf_ipc_pub_open(&env->pub, url, 0660)) != PF_OK)
		pf_fatalx("could not bind %s: %s", url, pf_strerror(r));
	socket_url(url, sizeof(url), PF_SOCK_SYNCD_EVENTS);
	if ((r = pf_ipc_sub_open(&env->sub, url)) != PF_OK)
		pf_fatalx("could not subscribe to %s: %s", url,
		    pf_strerror(r));
}

static void
reconcile(void)
{
	int	n;

	if ((n = jobs_reconcile(pf_time_mono_ms())) < 0)
		pf_log_warnx("could not reconcile: %s: %s", pf_strerror(n),
		    pf_db_errmsg(env->db));
	else if (n > 0)
		pf_log_info("reconcile queued %d user%s", n, n == 1 ? "" : "s");
}

static void
loop(void)
{
	struct pollfd	pfd[3];
	int64_t		now, next_reconcile, wall, day, to_midnight;
	int		timeout, t, sig, n;
	char		err[256];
	long		wd_ms = pf_daemon_watchdog_ms(), wd_next;

	next_reconcile = pf_time_mono_ms() +
	    (int64_t)env->conf->analytics_reconcile_seconds * 1000;
	day = pf_time_local_day(pf_time_now_ms(), 0);
	for (;;) {
		now = pf_time_mono_ms();
		timeout = (int)(next_reconcile > now ? next_reconcile - now : 0);
		/* Documents depend on the date: reconcile just after midnight. */
		wall = pf_time_now_ms();
		to_midnight = (pf_time_local_day(wall, 0) + 1) * PF_TIME_DAY_MS -
		    wall + 1000;
		if (to_midnight < timeout)
			timeout = (int)to_midnight;
		if ((t = jobs_next_timeout(now)) >= 0 && t < timeout)
			timeout = t;
		/* a loop that stops turning is what systemd's watchdog catches */
		if ((wd_next = pf_daemon_watchdog_tick(wd_ms, now)) >= 0 &&
		    wd_next < timeout)
			timeout = (int)wd_next;
		pfd[0].fd = env->sigfd;
		pfd[1].fd = pf_ipc_server_fd(env->ctl);
		pfd[2].fd = pf_ipc_sub_fd(env->sub);
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, timeout) == -1 && errno != EINTR)
			pf_fatal("poll");

		sig = pf_daemon_signals_take();
		if (sig & PF_SIG_TERM)
			break;
		if (sig & PF_SIG_HUP) {
			if (ctl_reload(err, sizeof(err)) != PF_OK)
				pf_log_warnx("could not reload configuration:"
				    " %s", err);
		}
		if (sig & PF_SIG_USR1) {
			env->verbose = !env->verbose;
			pf_log_set_level(env->verbose ? PF_LOG_DEBUG :
			    env->conf->log_level);
		}
		if (pfd[1].revents & POLLIN)
			ctl_dispatch();
		if (pfd[2].revents & POLLIN)
			ctl_events();

		now = pf_time_mono_ms();
		if (pf_time_local_day(pf_time_now_ms(), 0) != day) {
			day = pf_time_local_day(pf_time_now_ms(), 0);
			next_reconcile = now;
		}
		if (now >= next_reconcile) {
			reconcile();
			next_reconcile = now +
			    (int64_t)env->conf->analytics_reconcile_seconds *
			    1000;
		}
		n = jobs_run_due(pf_time_mono_ms(), RUNS_PER_WAKE);
		(void)n;
	}
}

int
main(int argc, char *argv[])
{
	struct analyticsd	 ad;
	struct pf_db_opts	 opts;
	const char		*conf_path = NULL;
	char			 err[512];
	int			 ch, noaction = 0, verbose = 0, r;

	while ((ch = getopt(argc, argv, "f:nv")) != -1) {
		switch (ch) {
		case 'f':
			conf_path = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	memset(&ad, 0, sizeof(ad));
	env = &ad;
	env->conf_path = conf_path;
	env->verbose = verbose;
	pf_log_init("polarflow-analyticsd", PF_LOG_INFO, PF_LOG_TEXT);
	if (pf_config_load(&env->conf, conf_path, err, sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
	pf_log_set_format(env->conf->log_format);
	pf_log_set_level(verbose ? PF_LOG_DEBUG : env->conf->log_level);
	if (noaction) {
		fprintf(stderr, "configuration OK\n");
		pf_config_free(env->conf);
		return 0;
	}

	pf_db_opts_default(&opts);
	opts.connect_attempts = env->conf->database_connect_attempts;
	opts.statement_timeout_ms = env->conf->database_statement_timeout_ms;
	opts.application_name = "polarflow-analyticsd";
	if ((r = pf_db_connect(&env->db, env->conf->database_url, &opts, err,
	    sizeof(err))) != PF_OK)
		pf_fatalx("could not connect to the database: %s", err);
	if (pf_db_schema_check(env->db, PF_SCHEMA_VERSION, err,
	    sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
	if (pf_daemon_rundir(env->conf->rundir) == -1)
		pf_fatal("could not create %s", env->conf->rundir);
	if ((env->sigfd = pf_daemon_signals_init()) == -1)
		pf_fatal("could not set up signals");
	jobs_init();
	open_sockets();
	pf_daemon_notify("READY=1");
	pf_log_info("started, rundir %s, reconcile every %d s",
	    env->conf->rundir, env->conf->analytics_reconcile_seconds);

	reconcile();
	loop();

	pf_daemon_notify("STOPPING=1");
	pf_log_info("terminating");
	jobs_cleanup();
	pf_ipc_sub_close(env->sub);
	pf_ipc_pub_close(env->pub);
	pf_ipc_server_close(env->ctl);
	pf_ipc_fini();
	pf_db_close(env->db);
	pf_config_free(env->conf);
	return 0;
}
