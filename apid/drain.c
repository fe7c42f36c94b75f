/*
 * drain.c -- a worker told to stop finishes the requests it has first.
 *
 * kore 4.1's worker leaves its loop on the first SIGTERM, SIGQUIT or
 * SIGINT and closes every connection, so a request in flight (a query,
 * a waiting sync) got a reset.  apid's worker takes those signals
 * itself: it stops taking new connections, answers the requests it has
 * with "connection: close", and only then lets kore's loop end, or when
 * APID_DRAIN_MS have passed (the unit's stop timeout is longer).
 *
 * Stopping accepting: a worker takes kore's accept lock only while it has
 * fewer than worker_max_connections connections, and gives it back and
 * stops watching the listeners once it has as many; a limit of 0 does
 * both for good.  A single worker never uses the lock (it holds it for
 * ever), so it stops watching the listeners itself.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "common/daemon.h"
#include "common/log.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"

#define DRAIN_TICK_MS	100

static volatile sig_atomic_t	drain_asked;
static bool			draining;
static bool			accept_off;
static u_int64_t		drain_start;

static void
drain_signal(int sig)
{
	(void)sig;
	drain_asked = 1;
}

/* Ends kore's loop at its next turn, as its own signal handler would. */
static void
drain_done(void)
{
	sig_recv = SIGQUIT;
}

static void
drain_tick(void *arg, u_int64_t now)
{
	(void)arg;
	if (!drain_asked)
		return;
	if (!draining) {
		draining = true;
		drain_start = now;
		worker_max_connections = 0;
		pf_log_info("worker %d stopping: %u request(s) in flight",
		    (int)getpid(), http_request_count);
	} else if (!accept_off) {
		/*
		 * A turn of kore's loop has passed since the limit dropped:
		 * a worker that still holds the lock is the only one.
		 */
		if (worker->has_lock)
			kore_platform_disable_accept();
		accept_off = true;
	}
	if (http_request_count == 0) {
		drain_done();
		return;
	}
	if (now - drain_start >= APID_DRAIN_MS) {
		pf_log_warnx("worker %d stopping with %u request(s) unanswered "
		    "after %d ms", (int)getpid(), http_request_count,
		    APID_DRAIN_MS);
		drain_done();
	}
}

bool
drain_active(void)
{
	return draining;
}

void
drain_init(void)
{
	static const int	sigs[] = { SIGTERM, SIGQUIT, SIGINT };

	if (pf_daemon_signals_handle(sigs, sizeof(sigs) / sizeof(sigs[0]),
	    drain_signal) == -1)
		fatal("sigaction: %s", strerror(errno));
	kore_timer_add(drain_tick, DRAIN_TICK_MS, NULL, 0);
}
