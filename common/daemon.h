/*
 * daemon.h -- the life cycle every polarflow daemon shares.
 *
 * Daemons stay in the foreground and log to stderr (systemd's journal
 * captures it).  Signals are turned into a readable file descriptor (the
 * self-pipe trick) so the single poll() loop of a daemon handles them like
 * any other event; systemd readiness goes through $NOTIFY_SOCKET
 * (sd_notify(3) protocol, no libsystemd needed).
 */
#ifndef PF_COMMON_DAEMON_H
#define PF_COMMON_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct pf_config;
struct pf_db;
struct pf_ipc_server;
struct pf_ctl_verb;
struct pollfd;

/*
 * What every daemon has, owned by the daemon's main.  prog and ctl_socket
 * are set by the daemon; the rest by pf_daemon_setup() (or by hand in tests).
 */
struct pf_daemon {
	const char		*prog;		/* "polarflow-syncd" */
	const char		*ctl_socket;	/* PF_SOCK_*_CTL in rundir */
	const char		*conf_path;	/* -f, or NULL: the default */
	struct pf_config	*cfg;		/* swapped by reload */
	struct pf_db		*db;
	struct pf_ipc_server	*ctl;
	int			 sigfd;
	bool			 verbose;	/* -v, SIGUSR1, log.verbose */
	bool			 quit;		/* SIGTERM: leave the loop */
	bool			 ctl_broken;	/* cannot listen: no WATCHDOG=1 */
	int64_t			 ctl_check_ms;	/* pf_ipc_server_check() due */
	int64_t			 started_ms;	/* wall clock, at READY */
};

/*
 * What a daemon plugs into the shared frame.  Every member may be NULL.
 */
struct pf_daemon_hooks {
	/*
	 * Checks what only this daemon needs from a new configuration and,
	 * when it returns PF_OK, adopts it: the swap that follows cannot
	 * fail.  On error it writes a sentence into err and changes nothing.
	 */
	int	(*reload)(const struct pf_config *ncfg, char *err,
		    size_t errlen);
	/* The body of the "status" reply, a new object. */
	json_t	*(*status)(void);
	/* The daemon's own control verbs, ended by { NULL, NULL }. */
	const struct pf_ctl_verb *verbs;

	/* The loop, once per turn, in this order: */
	/* Fills up to max extra descriptors to poll; returns how many. */
	int	(*pollfds)(struct pollfd *pfd, int max);
	/* When the loop must wake next (monotonic ms); INT64_MAX: never. */
	int64_t	(*deadline)(int64_t now_mono);
	/* After poll(): the extra descriptors with their revents. */
	void	(*pollin)(struct pollfd *pfd, int n);
	/* Last in every turn: timers and queued work. */
	void	(*tick)(int64_t now_mono);
};

#define PF_DAEMON_MAX_PFD	132	/* descriptors one poll() watches */
#define PF_DAEMON_MAX_SLEEP_MS	60000	/* the loop turns at least this often */

/*
 * Start-up shared by the daemons; every failure is fatal.  Parses
 * [-nv] [-f file] (usage names d->prog), loads the configuration, applies
 * the log settings, runs h->reload on it (the daemon's own checks), and
 * with -n stops there: "configuration OK" on stderr and exit 0.  Then
 * connects to the database and checks the schema, creates the rundir,
 * turns signals into d->sigfd and listens on d->ctl_socket (mode 0660)
 * for the peers control_allow_users allows.  d->prog and d->ctl_socket
 * must be set; everything else in *d is filled here.
 */
void	pf_daemon_setup(struct pf_daemon *d, const struct pf_daemon_hooks *h,
	    int argc, char *argv[]);

/*
 * Sends READY=1 and turns until SIGTERM/SIGINT: signals (HUP reloads,
 * USR1 toggles verbose), control requests (built-ins, then h->verbs),
 * the watchdog at half of $WATCHDOG_USEC, and the hooks.  Sends
 * STOPPING=1 before it returns.
 */
void	pf_daemon_loop(struct pf_daemon *d, const struct pf_daemon_hooks *h);

/*
 * Closes what pf_daemon_setup() opened: the control socket, nng (so close
 * the daemon's other sockets first), the database and the configuration.
 */
void	pf_daemon_teardown(struct pf_daemon *d);

/*
 * Applies cfg's log format and level, or debug while d->verbose.  Call it
 * after d->cfg or d->verbose changed.
 */
void	pf_daemon_log_apply(const struct pf_daemon *d);

/* Bits returned by pf_daemon_signals_take(). */
#define PF_SIG_TERM	0x01	/* SIGTERM or SIGINT: shut down */
#define PF_SIG_HUP	0x02	/* SIGHUP: reload the configuration */
#define PF_SIG_USR1	0x04	/* SIGUSR1: toggle verbose logging */

/*
 * Installs handlers for TERM, INT, HUP and USR1, ignores PIPE, and returns
 * a non-blocking fd that becomes readable when one arrives (for poll()).
 * Returns -1 with errno set on failure.  Call once, at start-up.
 */
int	pf_daemon_signals_init(void);
/* fn handles each of the n sigs (SA_RESTART); -1 with errno on failure. */
int	pf_daemon_signals_handle(const int *sigs, size_t n,
	    void (*fn)(int));

/* Drains the fd and returns the PF_SIG_* bits seen since the last call. */
int	pf_daemon_signals_take(void);

/*
 * Sends state (e.g. "READY=1", "STOPPING=1", "STATUS=...") to systemd
 * when $NOTIFY_SOCKET is set; a no-op otherwise.  Returns 0, or -1 when
 * the socket exists but could not be written.
 */
int	pf_daemon_notify(const char *state);

/*
 * How often to send "WATCHDOG=1", in milliseconds: half of systemd's
 * $WATCHDOG_USEC when the watchdog is on and meant for this process
 * ($WATCHDOG_PID unset or ours), else 0 (no watchdog).
 */
long	pf_daemon_watchdog_ms(void);

/*
 * Sends "WATCHDOG=1" when interval_ms has passed since the last ping;
 * now_ms is a monotonic clock.  Returns the milliseconds until the next
 * ping is due (for the poll() timeout), or -1 when there is no watchdog.
 */
long	pf_daemon_watchdog_tick(long interval_ms, long long now_ms);

/*
 * Creates dir (mode 0755) if missing, so sockets can be bound in it.
 * Returns 0 or -1 with errno set.
 */
int	pf_daemon_rundir(const char *dir);

#endif /* PF_COMMON_DAEMON_H */
