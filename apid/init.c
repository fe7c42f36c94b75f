/*
 * init.c -- kore hooks: configuration, the database pool, shared metrics,
 * the worker's seccomp allow-list and per-worker state.
 *
 * The launcher (launcher.c) renders kore's own configuration and passes
 * the polarflow.conf path in POLARFLOW_APID_CONFIG; everything apid needs
 * besides bind/workers comes from that file, read here in the parent
 * before the workers fork.
 */
#include <sys/mman.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>
#include <kore/hooks.h>
#include <kore/seccomp.h>
#include <kore/tasks.h>

#include "common/config.h"
#include "common/daemon.h"
#include "common/err.h"
#include "common/log.h"

#include "apid/apid.h"
#include "apid/console.h"
#include "apid/apid_kore.h"

/* Per worker: key rows and rendered responses (LRU beyond these). */
#define APID_KEYCACHE_SLOTS	4096
#define APID_CACHE_SLOTS	8192
#define APID_CACHE_BYTES	(10 * 1024 * 1024)
/* libpq's connect timeout, seconds, unless the environment sets one. */
#define APID_PGCONNECT_TIMEOUT	"5"

struct apid_env	*env;

/*
 * What the worker does beyond kore's own list.  A filter binds every
 * thread of the worker, so this covers kore's task threads too:
 * - libpq: newfstatat (~/.pgpass), socket/connect/getsockopt/...;
 * - kore tasks: socketpair for their channels, clone/clone3 for the
 *   threads;
 * - nng, which runs only in task threads (synctask.c: the worker's loop
 *   never calls it) but starts its own threads there: clone3/clone,
 *   set_robust_list, rseq, prctl; its poller: epoll_create1, eventfd2;
 *   its ipc transport: readv/writev, sendmsg/recvmsg, shutdown, pipe2;
 *   sched_getaffinity when it sizes its thread pool;
 * - gettid, for ASan builds;
 * - mremap: glibc's realloc() of a block above the mmap threshold, which
 *   libpq does when a large result (a 100-250 KB exercise or ECG
 *   document) grows its input buffer;
 * - dup, pread64: an Apple Health push that kore spooled to disk is read
 *   back by its ingest thread (ingest.c).
 * Without one of these the kernel kills the calling thread only: an nng
 * thread dies silently and its caller waits forever, and a dead main
 * thread leaves a zombie worker (guard.c ends it).  A new syscall is
 * found by running kore with "seccomp_tracing yes".
 */
KORE_SECCOMP_FILTER("apid",
	KORE_SYSCALL_ALLOW(clone3),
	KORE_SYSCALL_ALLOW(clone),
	KORE_SYSCALL_ALLOW(set_robust_list),
	KORE_SYSCALL_ALLOW(rseq),
	KORE_SYSCALL_ALLOW(prctl),
	KORE_SYSCALL_ALLOW(epoll_create1),
	KORE_SYSCALL_ALLOW(eventfd2),
	KORE_SYSCALL_ALLOW(readv),
	KORE_SYSCALL_ALLOW(writev),
	KORE_SYSCALL_ALLOW(sendmsg),
	KORE_SYSCALL_ALLOW(recvmsg),
	KORE_SYSCALL_ALLOW(shutdown),
	KORE_SYSCALL_ALLOW(pipe2),
	KORE_SYSCALL_ALLOW(socket),
	KORE_SYSCALL_ALLOW(connect),
	KORE_SYSCALL_ALLOW(getsockopt),
	KORE_SYSCALL_ALLOW(getsockname),
	KORE_SYSCALL_ALLOW(getpeername),
	KORE_SYSCALL_ALLOW(sched_getaffinity),
	KORE_SYSCALL_ALLOW(gettid),
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(uname),
	KORE_SYSCALL_ALLOW(poll),
	KORE_SYSCALL_ALLOW(socketpair),	/* kore task channels */
	KORE_SYSCALL_ALLOW(mremap),
	KORE_SYSCALL_ALLOW(dup),	/* ingest.c: its own handle on a */
	KORE_SYSCALL_ALLOW(pread64),	/* spooled body, read in chunks */
);

static void
log_sink(enum pf_log_level level, const char *line)
{
	(void)level;
	/* One write(2) per line keeps lines whole across workers. */
	dprintf(STDERR_FILENO, "%s\n", line);
}

/*
 * kore's parent answers SIGHUP by reloading the module in every worker,
 * under their running database, nng and cache state: the workers then
 * crash in a loop.  apid offers no reload (its unit has no ExecReload);
 * a stray SIGHUP is said and ignored.  Only write(2): a signal handler.
 */
static void
hup_said(int sig)
{
	static const char	msg[] = "polarflow-apid: SIGHUP ignored; "
	    "restart the service to apply configuration changes\n";
	int			saved = errno;
	ssize_t			n;

	(void)sig;
	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	errno = saved;
}

static void
ignore_hup(void)
{
	static const int	hup = SIGHUP;

	if (pf_daemon_signals_handle(&hup, 1, hup_said) == -1)
		fatal("sigaction: %s", strerror(errno));
}

void
kore_parent_configure(int argc, char **argv)
{
	struct pf_config	*cfg = NULL;
	const char		*path;
	char			 err[512], opts[256];

	(void)argc;
	(void)argv;
	path = getenv("POLARFLOW_APID_CONFIG");
	if (path != NULL && *path == '\0')
		path = NULL;
	pf_log_init("polarflow-apid", PF_LOG_INFO, PF_LOG_TEXT);
	if (pf_config_load(&cfg, path, err, sizeof(err)) != PF_OK)
		fatalx("%s", err);
	pf_log_set_level(cfg->log_level);
	pf_log_set_format(cfg->log_format);
	if (getenv("POLARFLOW_APID_VERBOSE") != NULL)
		pf_log_set_level(PF_LOG_DEBUG);
	pf_log_set_sink(log_sink);

	env = calloc(1, sizeof(*env));
	if (env == NULL)
		fatalx("out of memory");
	env->cfg = cfg;
	apid_ingest_body_max = (size_t)cfg->api_ingest_body_max_kb * 1024;
	env->metrics = mmap(NULL, sizeof(*env->metrics),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (env->metrics == MAP_FAILED)
		fatalx("could not map the metrics page");
	memset(env->metrics, 0, sizeof(*env->metrics));

	/*
	 * Connection options for every pooled connection: UTC dates, ISO
	 * output, the statement timeout.  libpq reads them from the
	 * environment the workers inherit.
	 */
	snprintf(opts, sizeof(opts), "-c statement_timeout=%d -c TimeZone=UTC "
	    "-c DateStyle=ISO,YMD -c extra_float_digits=1",
	    cfg->database_statement_timeout_ms);
	setenv("PGOPTIONS", opts, 1);
	setenv("PGAPPNAME", "polarflow-apid", 1);
	if (getenv("PGCONNECT_TIMEOUT") == NULL)
		setenv("PGCONNECT_TIMEOUT", APID_PGCONNECT_TIMEOUT, 1);
	pf_config_normalize_db_url(cfg->database_url);
	if (!kore_pgsql_register("db", cfg->database_url))
		fatalx("could not register the database");
	if (cfg->database_url_replica[0] != '\0' &&
	    !kore_pgsql_register("replica", cfg->database_url_replica))
		fatalx("could not register the replica");
	console_setup_announce(cfg->database_url);
	pf_log_info("starting: %zu routes, statement timeout %d ms",
	    apid_nroutes, cfg->database_statement_timeout_ms);
	/*
	 * kore has bound the listeners by now and forks the workers next;
	 * the launcher exec'd kore, so this is the unit's main process.
	 * There is no watchdog: kore's parent loop has no hook to ping from,
	 * and it restarts a worker that dies by itself.
	 */
	guard_prepare();
	(void)pf_daemon_notify("READY=1");
	ignore_hup();
}

void
kore_parent_teardown(void)
{
	(void)pf_daemon_notify("STOPPING=1");
}

void
kore_worker_configure(void)
{
	/*
	 * Every call to syncd/analyticsd runs in a task thread; kore's
	 * default of 2 would queue the third.  Waiting syncs, which hold
	 * their thread for the length of a sync, get threads of their own
	 * up to the same number (synctask.c).
	 */
	kore_task_threads = APID_TASK_THREADS;
	keycache_init(&env->keys, APID_KEYCACHE_SLOTS);
	cache_init(&env->cache, APID_CACHE_SLOTS, APID_CACHE_BYTES);
	auth_worker_init();
	listen_init();
	replica_init();
	drain_init();
	front_init();
	guard_start();
}

void
kore_worker_teardown(void)
{
	ctl_fini();
	listen_fini();
	replica_fini();
	keycache_free(&env->keys);
	cache_free(&env->cache);
}
