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

/* The loop's timers besides libcurl's: each part says when it is next due. */
static int64_t	(*const deadlines[])(void) = {
	sched_next_deadline, sync_next_deadline, part_next_deadline,
	hook_next_deadline, polarhook_next_deadline, lease_next_deadline,
};

static int64_t
deadline(int64_t now)
{
	int64_t	dl = fetch_next_deadline(now), t;
	size_t	i;

	for (i = 0; i < sizeof(deadlines) / sizeof(deadlines[0]); i++)
		if ((t = deadlines[i]()) < dl)
			dl = t;
	return dl;
}

static void
tick(int64_t now)
{
	fetch_run();
	sync_recover(now);
	lease_run(now);
	part_run(now);
	polarhook_run(now);
	sched_run(now);
	hook_run(now);
	fetch_run();
}

/*
 * The worker's eventfd first, then the webhook sender's database
 * connection (NOTIFY), then libcurl's sockets.
 */
static int	 npfd_hook;

static int
pollfds(struct pollfd *pfd, int max)
{
	int	 n = worker_pollfds(pfd, max);

	npfd_hook = hook_pollfds(pfd + n, max - n);
	n += npfd_hook;
	return n + fetch_pollfds(pfd + n, max - n);
}

static void
pollin(struct pollfd *pfd, int n)
{
	int	 k = n > 0 && worker_fd() >= 0 && pfd[0].fd == worker_fd();

	if (k == 1 && pfd[0].revents != 0)
		worker_poll_done();
	if (npfd_hook > 0 && k < n) {
		if (pfd[k].revents != 0)
			hook_poll_done();
		k++;
	}
	fetch_poll_done(pfd + k, n - k);
}

static const struct pf_daemon_hooks hooks = {
	.reload = syncd_reload,
	.status = ctl_status,
	.verbs = ctl_verbs,
	.pollfds = pollfds,
	.deadline = deadline,
	.pollin = pollin,
	.tick = tick,
};

/*
 * The worker writes responses of tens of megabytes, which take
 * PostgreSQL tens of seconds: its statements may run ten times longer
 * than the loop's.
 */
static void
start_worker(void)
{
	struct pf_db_opts	 o;
	int64_t			 t;

	pf_db_opts_default(&o);
	o.connect_attempts = env->cfg->database_connect_attempts;
	t = (int64_t)env->cfg->database_statement_timeout_ms * 10;
	o.statement_timeout_ms = t > 3600000 ? 3600000 : (int)t;
	o.application_name = SYNCD_PROG;
	store_init();
	if (worker_init(env->cfg->database_url, &o) != PF_OK)
		pf_fatalx("could not start the worker thread");
}

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
	lease_init();
	start_worker();
	lease_recover();
	polarhook_init();
	if (store_startup_cleanup(env->db) != PF_OK)
		pf_log_warnx("could not close interrupted sync logs: %s",
		    pf_db_errmsg(env->db));
	if (env->cfg->sync_enabled && env->cfg->sync_on_startup &&
	    store_mark_all_due(env->db) != PF_OK)
		pf_log_warnx("could not schedule the start-up sync: %s",
		    pf_db_errmsg(env->db));
	hook_init();
	pf_log_info("started (schema %d, interval %d min, concurrency %d, "
	    "instance %s)", PF_SCHEMA_VERSION, env->cfg->sync_interval_minutes,
	    env->cfg->sync_max_concurrency, lease_owner());

	pf_daemon_loop(env, &hooks);

	worker_fini();
	sync_abort_all("syncd is shutting down");
	sync_fini();
	fetch_fini();
	hook_fini();
	pf_ipc_pub_close(syncd->pub);
	if (syncd->client_secret != NULL)
		pf_freezero(syncd->client_secret, strlen(syncd->client_secret));
	pf_daemon_teardown(env);
	return 0;
}
