#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/daemon.h"

static int			 sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t	 sig_pending;

static void
on_signal(int sig)
{
	int	saved = errno;
	char	c = 0;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		sig_pending |= PF_SIG_TERM;
		break;
	case SIGHUP:
		sig_pending |= PF_SIG_HUP;
		break;
	case SIGUSR1:
		sig_pending |= PF_SIG_USR1;
		break;
	}
	if (sig_pipe[1] != -1)
		(void)write(sig_pipe[1], &c, 1);
	errno = saved;
}

int
pf_daemon_signals_init(void)
{
	struct sigaction	sa;
	static const int	sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	size_t			i;

	if (sig_pipe[0] != -1)
		return sig_pipe[0];
	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return sig_pipe[0];
}

int
pf_daemon_signals_take(void)
{
	char	buf[64];
	int	bits;

	while (sig_pipe[0] != -1 && read(sig_pipe[0], buf, sizeof(buf)) > 0)
		;
	bits = sig_pending;
	sig_pending = 0;
	return bits;
}

int
pf_daemon_notify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 len;
	socklen_t		 slen;
	int			 fd, r;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path))
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract namespace */
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, slen) == -1 ? -1 : 0;
	close(fd);
	return r;
}

/* A positive decimal integer from the environment, or -1. */
static long long
env_positive(const char *name)
{
	const char	*s = getenv(name);
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' || v <= 0 ? -1 : v;
}

long
pf_daemon_watchdog_ms(void)
{
	const char	*pid = getenv("WATCHDOG_PID");
	long long	 v;

	/* systemd names the process the watchdog is for, when it does */
	if (pid != NULL && *pid != '\0' &&
	    env_positive("WATCHDOG_PID") != (long long)getpid())
		return 0;
	if ((v = env_positive("WATCHDOG_USEC")) < 0)
		return 0;
	v /= 2000;		/* half the timeout, in ms */
	return v < 1 ? 1 : (v > 3600000 ? 3600000 : (long)v);
}

long
pf_daemon_watchdog_tick(long interval_ms, long long now_ms)
{
	static long long	last = -1;

	if (interval_ms <= 0)
		return -1;
	if (last < 0 || now_ms - last >= interval_ms) {
		(void)pf_daemon_notify("WATCHDOG=1");
		last = now_ms;
	}
	return (long)(last + interval_ms - now_ms);
}

int
pf_daemon_rundir(const char *dir)
{
	struct stat	st;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return -1;
	if (stat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}
