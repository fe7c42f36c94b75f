/*
 * syncd.c -- polarflow-syncd: start-up, the poll() loop, signals, reload.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/daemon.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "pf_schema.h"
#include "syncd.h"

#define MAX_PFD		(4 + 128)


static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-nv] [-f file]\n", SYNCD_PROG);
	exit(1);
}

static void
handle_ctl(void)
{
	struct pf_ipc_request	*req;

	while (pf_ipc_server_next(env->ctl, &req) == PF_OK)
		ctl_dispatch(req);
}

static void
loop(int sigfd)
{
	struct pollfd	 pfd[MAX_PFD];
	int64_t		 now, dl, t;
	int		 n, ncurl, sig, timeout;
	long		 wd_ms = pf_daemon_watchdog_ms(), wd_next;

	while (!env->quit) {
		n = 0;
		pfd[n].fd = sigfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = pf_ipc_server_fd(env->ctl);
		pfd[n++].events = POLLIN;
		ncurl = fetch_pollfds(pfd + n, MAX_PFD - n);
		now = pf_time_mono_ms();
		dl = fetch_next_deadline(now);
		if ((t = sched_next_deadline()) < dl)
			dl = t;
		if (dl == INT64_MAX || dl - now > 60000)
			timeout = 60000;
		else
			timeout = dl <= now ? 0 : (int)(dl - now);
		/* a loop that stops turning is what systemd's watchdog catches */
		if ((wd_next = pf_daemon_watchdog_tick(wd_ms, now)) >= 0 &&
		    wd_next < timeout)
			timeout = (int)wd_next;
		if (poll(pfd, (nfds_t)(n + ncurl), timeout) == -1) {
			if (errno == EINTR)
				continue;
			pf_fatal("poll");
		}
		if (pfd[0].revents & POLLIN) {
			sig = pf_daemon_signals_take();
			if (sig & PF_SIG_TERM) {
				pf_log_info("received termination signal");
				env->quit = true;
				break;
			}
			if (sig & PF_SIG_HUP)
				syncd_reload();
			if (sig & PF_SIG_USR1) {
				env->verbose = !env->verbose;
				syncd_apply_log(env->cfg);
			}
		}
		if (pfd[1].revents & POLLIN)
			handle_ctl();
		fetch_poll_done(pfd + 2, ncurl);
		fetch_run();
		sched_run(pf_time_mono_ms());
		fetch_run();
	}
}

int
main(int argc, char *argv[])
{
	struct syncd		 sd;
	struct pf_db_opts	 opts;
	char			 err[512], url[256];
	bool			 check = false;
	int			 ch, r, sigfd;

	/*
	 * Response bodies and parsed documents come and go in the hundreds
	 * of kilobytes: a fixed mmap threshold hands them back to the kernel
	 * on free instead of fragmenting the heap, which keeps the RSS flat.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_ARENA_MAX, 2);
	memset(&sd, 0, sizeof(sd));
	env = &sd;
	while ((ch = getopt(argc, argv, "f:nv")) != -1) {
		switch (ch) {
		case 'f':
			env->conf_path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			env->verbose = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	pf_log_init(SYNCD_PROG, PF_LOG_INFO, PF_LOG_TEXT);
	if (pf_config_load(&env->cfg, env->conf_path, err, sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
	syncd_apply_log(env->cfg);
	if (pf_crypto_init() != PF_OK)
		pf_fatalx("could not initialise libsodium");
	if (syncd_load_key(env->cfg, env->key, err, sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
	if (check) {
		fprintf(stderr, "configuration OK\n");
		pf_config_free(env->cfg);
		return 0;
	}

	pf_db_opts_default(&opts);
	opts.connect_attempts = env->cfg->database_connect_attempts;
	opts.statement_timeout_ms = env->cfg->database_statement_timeout_ms;
	opts.application_name = SYNCD_PROG;
	if (pf_db_connect(&env->db, env->cfg->database_url, &opts, err,
	    sizeof(err)) != PF_OK)
		pf_fatalx("could not connect to the database: %s", err);
	if (pf_db_schema_check(env->db, PF_SCHEMA_VERSION, err, sizeof(err)) !=
	    PF_OK)
		pf_fatalx("%s", err);
	syncd_load_client_secret();

	if (pf_daemon_rundir(env->cfg->rundir) == -1)
		pf_fatal("could not create %s", env->cfg->rundir);
	if (pf_ipc_url(url, sizeof(url), env->cfg->rundir, PF_SOCK_SYNCD_CTL) !=
	    PF_OK)
		pf_fatalx("rundir %s is too long for a socket path",
		    env->cfg->rundir);
	if ((r = pf_ipc_server_open(&env->ctl, url, 0660)) != PF_OK)
		pf_fatalx("could not listen on %s: %s", url, r == PF_ERR_BUSY ?
		    "another syncd is running" : pf_strerror(r));
	if (pf_ipc_url(url, sizeof(url), env->cfg->rundir, PF_SOCK_SYNCD_EVENTS) != PF_OK ||
	    (r = pf_ipc_pub_open(&env->pub, url, 0660)) != PF_OK)
		pf_fatalx("could not publish events on %s/events",
		    env->cfg->rundir);
	if ((sigfd = pf_daemon_signals_init()) == -1)
		pf_fatal("could not set up signals");
	if (fetch_init() != PF_OK)
		pf_fatalx("could not initialise libcurl");
	sync_init();
	sched_init();
	if (store_startup_cleanup(env->db) != PF_OK)
		pf_log_warnx("could not close interrupted sync logs: %s",
		    pf_db_errmsg(env->db));
	if (env->cfg->sync_enabled && env->cfg->sync_on_startup &&
	    store_mark_all_due(env->db) != PF_OK)
		pf_log_warnx("could not schedule the start-up sync: %s",
		    pf_db_errmsg(env->db));
	env->started_ms = pf_time_now_ms();
	pf_daemon_notify("READY=1");
	pf_log_info("started (schema %d, interval %d min, concurrency %d)",
	    PF_SCHEMA_VERSION, env->cfg->sync_interval_minutes,
	    env->cfg->sync_max_concurrency);

	loop(sigfd);

	pf_daemon_notify("STOPPING=1");
	sync_abort_all("syncd is shutting down");
	fetch_fini();
	pf_ipc_server_close(env->ctl);
	pf_ipc_pub_close(env->pub);
	pf_ipc_fini();
	pf_db_close(env->db);
	if (env->client_secret != NULL)
		pf_freezero(env->client_secret, strlen(env->client_secret));
	pf_config_free(env->cfg);
	pf_log_info("terminating");
	return 0;
}
