#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/control.h"
#include "common/daemon.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/time.h"

#include "pf_schema.h"

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
pf_daemon_signals_handle(const int *sigs, size_t n, void (*fn)(int))
{
	struct sigaction	sa;
	size_t			i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < n; i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
	return 0;
}

int
pf_daemon_signals_init(void)
{
	static const int	sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

	if (sig_pipe[0] != -1)
		return sig_pipe[0];
	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	if (pf_daemon_signals_handle(sigs, sizeof(sigs) / sizeof(sigs[0]),
	    on_signal) == -1)
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

void
pf_daemon_log_apply(const struct pf_daemon *d)
{
	pf_log_set_format(d->cfg->log_format);
	pf_log_set_level(d->verbose ? PF_LOG_DEBUG : d->cfg->log_level);
}

static void __attribute__((noreturn))
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-nv] [-f file]\n", prog);
	exit(1);
}

static void
connect_db(struct pf_daemon *d)
{
	struct pf_db_opts	opts;
	char			err[512];

	pf_db_opts_default(&opts);
	opts.connect_attempts = d->cfg->database_connect_attempts;
	opts.statement_timeout_ms = d->cfg->database_statement_timeout_ms;
	opts.application_name = d->prog;
	if (pf_db_connect(&d->db, d->cfg->database_url, &opts, err,
	    sizeof(err)) != PF_OK)
		pf_fatalx("could not connect to the database: %s", err);
	if (pf_db_schema_check(d->db, PF_SCHEMA_VERSION, err, sizeof(err)) !=
	    PF_OK)
		pf_fatalx("%s", err);
}

static void
open_ctl(struct pf_daemon *d)
{
	char	url[256], err[256];
	int	r;

	if (pf_daemon_rundir(d->cfg->rundir) == -1)
		pf_fatal("could not create %s", d->cfg->rundir);
	if (pf_ipc_url(url, sizeof(url), d->cfg->rundir, d->ctl_socket) !=
	    PF_OK)
		pf_fatalx("rundir %s is too long for a socket path",
		    d->cfg->rundir);
	/* the group lets apid and polarctl reach the file; uids are checked */
	if ((r = pf_ipc_server_open(&d->ctl, url, 0660)) != PF_OK)
		pf_fatalx("could not listen on %s: %s%s", url,
		    r == PF_ERR_BUSY ? "another is running: " : "",
		    r == PF_ERR_BUSY ? d->prog : pf_strerror(r));
	if (pf_ctl_allow_apply(d, err, sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
}

void
pf_daemon_setup(struct pf_daemon *d, const struct pf_daemon_hooks *h,
    int argc, char *argv[])
{
	char	err[512];
	bool	check = false;
	int	ch;

	while ((ch = getopt(argc, argv, "f:nv")) != -1) {
		switch (ch) {
		case 'f':
			d->conf_path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			d->verbose = true;
			break;
		default:
			usage(d->prog);
		}
	}
	if (optind != argc)
		usage(d->prog);

	pf_log_init(d->prog, PF_LOG_INFO, PF_LOG_TEXT);
	if (pf_config_load(&d->cfg, d->conf_path, err, sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
	pf_daemon_log_apply(d);
	if (h->reload != NULL && h->reload(d->cfg, err, sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
	if (check) {
		fprintf(stderr, "configuration OK\n");
		pf_config_free(d->cfg);
		exit(0);
	}
	connect_db(d);
	if ((d->sigfd = pf_daemon_signals_init()) == -1)
		pf_fatal("could not set up signals");
	open_ctl(d);
}

static void
take_signals(struct pf_daemon *d, const struct pf_daemon_hooks *h)
{
	char	err[512];
	int	sig = pf_daemon_signals_take();

	if (sig & PF_SIG_TERM) {
		pf_log_info("received termination signal");
		d->quit = true;
		return;
	}
	if (sig & PF_SIG_HUP)
		(void)pf_ctl_reload(d, h, err, sizeof(err));
	if (sig & PF_SIG_USR1)
		pf_ctl_verbose(d, !d->verbose);
}

/* Keeps the control socket taking connections (see pf_ipc_server_check). */
static void
ctl_check(struct pf_daemon *d)
{
	int64_t	now = pf_time_mono_ms();

	if (now >= d->ctl_check_ms)
		d->ctl_broken = pf_ipc_server_check(d->ctl, now,
		    &d->ctl_check_ms) != PF_OK;
}

/*
 * Until the nearest of the hook's deadline, the control socket's check,
 * the watchdog and a minute.
 */
static int
poll_timeout(const struct pf_daemon *d, const struct pf_daemon_hooks *h,
    long wd_ms)
{
	int64_t	now = pf_time_mono_ms();
	int64_t	dl = h->deadline != NULL ? h->deadline(now) : INT64_MAX;
	long	wd_next;
	int	timeout;

	if (d->ctl_check_ms < dl)
		dl = d->ctl_check_ms;
	/* a socket nobody can reach is a daemon systemd should restart */
	if (d->ctl_broken)
		wd_ms = 0;
	if (dl == INT64_MAX || dl - now > PF_DAEMON_MAX_SLEEP_MS)
		timeout = PF_DAEMON_MAX_SLEEP_MS;
	else
		timeout = dl <= now ? 0 : (int)(dl - now);
	/* a loop that stops turning is what systemd's watchdog catches */
	if ((wd_next = pf_daemon_watchdog_tick(wd_ms, now)) >= 0 &&
	    wd_next < timeout)
		timeout = (int)wd_next;
	return timeout;
}

void
pf_daemon_loop(struct pf_daemon *d, const struct pf_daemon_hooks *h)
{
	struct pollfd	pfd[PF_DAEMON_MAX_PFD];
	long		wd_ms = pf_daemon_watchdog_ms();
	int		n, i, timeout;

	d->started_ms = pf_time_now_ms();
	pf_daemon_notify("READY=1");
	while (!d->quit) {
		pfd[0].fd = d->sigfd;
		pfd[1].fd = pf_ipc_server_fd(d->ctl);
		n = h->pollfds != NULL ?
		    h->pollfds(pfd + 2, PF_DAEMON_MAX_PFD - 2) : 0;
		for (i = 0; i < 2; i++)
			pfd[i].events = POLLIN;
		for (i = 0; i < 2 + n; i++)
			pfd[i].revents = 0;
		ctl_check(d);
		timeout = poll_timeout(d, h, wd_ms);
		if (poll(pfd, (nfds_t)(2 + n), timeout) == -1) {
			if (errno == EINTR)
				continue;
			pf_fatal("poll");
		}
		take_signals(d, h);
		if (d->quit)
			break;
		if (pfd[1].revents & POLLIN)
			pf_ctl_handle(d, h);
		if (h->pollin != NULL)
			h->pollin(pfd + 2, n);
		if (h->tick != NULL)
			h->tick(pf_time_mono_ms());
	}
	pf_daemon_notify("STOPPING=1");
}

void
pf_daemon_teardown(struct pf_daemon *d)
{
	pf_ipc_server_close(d->ctl);
	d->ctl = NULL;
	pf_ipc_fini();
	pf_db_close(d->db);
	d->db = NULL;
	pf_config_free(d->cfg);
	d->cfg = NULL;
	pf_log_info("terminating");
}
