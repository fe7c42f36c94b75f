/*
 * syncd.c -- polarflow-syncd: main and the hooks of the shared daemon
 * loop (common/daemon.h): libcurl's descriptors and timers, the scheduler.
 */
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>

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

static int64_t
deadline(int64_t now)
{
	int64_t	dl = fetch_next_deadline(now), t = sched_next_deadline();
	int64_t	rc = sync_next_deadline();

	if (rc < dl)
		dl = rc;
	return t < dl ? t : dl;
}

static void
tick(int64_t now)
{
	fetch_run();
	sync_recover(now);
	sched_run(now);
	fetch_run();
}

static const struct pf_daemon_hooks hooks = {
	.reload = syncd_reload,
	.status = ctl_status,
	.verbs = ctl_verbs,
	.pollfds = fetch_pollfds,
	.deadline = deadline,
	.pollin = fetch_poll_done,
	.tick = tick,
};

int
main(int argc, char *argv[])
{
	struct pf_daemon	 d = { .prog = SYNCD_PROG,
	    .ctl_socket = PF_SOCK_SYNCD_CTL };
	struct syncd		 sd;
	char			 url[256];

	/*
	 * Response bodies and parsed documents come and go in the hundreds
	 * of kilobytes: a fixed mmap threshold hands them back to the kernel
	 * on free instead of fragmenting the heap, which keeps the RSS flat.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_ARENA_MAX, 2);
	memset(&sd, 0, sizeof(sd));
	env = &d;
	syncd = &sd;
	if (pf_crypto_init() != PF_OK)
		pf_fatalx("could not initialise libsodium");
	pf_daemon_setup(env, &hooks, argc, argv);
	syncd_load_client_secret(env->cfg);
	if (pf_ipc_url(url, sizeof(url), env->cfg->rundir,
	    PF_SOCK_SYNCD_EVENTS) != PF_OK ||
	    pf_ipc_pub_open(&syncd->pub, url, 0660) != PF_OK)
		pf_fatalx("could not publish events on %s/%s",
		    env->cfg->rundir, PF_SOCK_SYNCD_EVENTS);
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
	pf_log_info("started (schema %d, interval %d min, concurrency %d)",
	    PF_SCHEMA_VERSION, env->cfg->sync_interval_minutes,
	    env->cfg->sync_max_concurrency);

	pf_daemon_loop(env, &hooks);

	sync_abort_all("syncd is shutting down");
	sync_fini();
	fetch_fini();
	pf_ipc_pub_close(syncd->pub);
	if (syncd->client_secret != NULL)
		pf_freezero(syncd->client_secret, strlen(syncd->client_secret));
	pf_daemon_teardown(env);
	return 0;
}
