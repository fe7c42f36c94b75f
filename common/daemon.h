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
