/*
 * guard.c -- a worker that lost its main thread ends as a whole.
 *
 * kore's seccomp filter kills the thread that makes a system call the
 * filter does not allow, not the process.  When that thread is a
 * worker's main thread while its task and nng threads live on, the
 * worker is left a zombie that kore's parent never reaps: it accepts
 * nothing, is never restarted, and the API hangs.  One small thread per
 * worker watches the main thread and, once it is dead, ends the process,
 * so that kore starts a new worker as for any other crash.
 *
 * The guard uses only what the filter allows every thread (openat, read,
 * close, poll, write for the log, exit_group).  It reads /proc through a
 * descriptor kore's parent opened before the workers were forked, so it
 * works as well in a worker that chrooted (api_chroot) to where no /proc
 * is; that descriptor lets a worker see only what its own user may.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>

#include "common/log.h"

#include "apid/apid_kore.h"

#define GUARD_EVERY_MS	200

static int	guard_proc = -1;	/* /proc, opened by the parent */
static char	guard_stat[64];		/* self/task/<main>/stat */

/* Whether the main thread has died: its task is a zombie or gone. */
static bool
main_dead(void)
{
	char	 buf[512], *p;
	ssize_t	 n;
	int	 fd;

	if ((fd = openat(guard_proc, guard_stat, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n == 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, the state follows ")" */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return false;
	return p[2] == 'Z' || p[2] == 'X';
}

static void *
guard_main(void *arg)
{
	(void)arg;
	for (;;) {
		(void)poll(NULL, 0, GUARD_EVERY_MS);
		if (main_dead()) {
			pf_log_warnx("worker %d lost its main thread (a system "
			    "call the sandbox forbids?); ending it so that "
			    "kore starts another", (int)getpid());
			_exit(1);
		}
	}
	return NULL;
}

void
guard_prepare(void)
{
	if ((guard_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		pf_log_warn("/proc: workers will run without a guard");
}

void
guard_start(void)
{
	pthread_attr_t	attr;
	pthread_t	tid;
	int		rv;

	if (guard_proc == -1)
		return;
	/* The worker's main thread leads its thread group: tid == pid. */
	snprintf(guard_stat, sizeof(guard_stat), "self/task/%d/stat",
	    (int)getpid());
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if ((rv = pthread_create(&tid, &attr, guard_main, NULL)) != 0)
		pf_log_warnx("worker %d: no guard thread: %s", (int)getpid(),
		    strerror(rv));
	pthread_attr_destroy(&attr);
}
