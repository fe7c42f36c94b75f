/*
 * control.h -- the control socket of a daemon: the built-in verbs every
 * daemon answers, and the table through which it adds its own.
 *
 * Built-ins (msg.h):
 *
 *	status		the daemon's status hook, as the reply body
 *	log.verbose	debug logging until log.brief; replies {"level"}
 *	log.brief	back to the configured log_level; replies {"level"}
 *	reload		re-reads the configuration (pf_ctl_reload)
 *
 * A type that is neither a built-in nor in the daemon's table gets an
 * "invalid" error reply.
 */
#ifndef PF_COMMON_CONTROL_H
#define PF_COMMON_CONTROL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct pf_config;
struct pf_daemon;
struct pf_daemon_hooks;
struct pf_ipc_request;

/*
 * One verb: fn answers req (pf_ipc_request_reply or _fail), now or later
 * (a deferred reply keeps req).  body is the request, borrowed from req.
 */
struct pf_ctl_verb {
	const char	*type;
	void		(*fn)(struct pf_ipc_request *req, const json_t *body);
};

/* Answers every request waiting on d->ctl. */
void	pf_ctl_handle(struct pf_daemon *d, const struct pf_daemon_hooks *h);

/* Answers req: a built-in, else a verb of h, else an error reply. */
void	pf_ctl_dispatch(struct pf_daemon *d, const struct pf_daemon_hooks *h,
	    struct pf_ipc_request *req);

/*
 * Reload, for the verb and for SIGHUP: loads d->conf_path, runs h->reload,
 * swaps d->cfg and re-applies the log settings; warns about keys that only
 * a restart changes.  PF_OK, or an enum pf_err with a sentence in err (the
 * old configuration is kept, and the failure is logged).
 */
int	pf_ctl_reload(struct pf_daemon *d, const struct pf_daemon_hooks *h,
	    char *err, size_t errlen);

/*
 * The peers d->ctl answers: root, the daemon's own effective uid, and
 * the users named by cfg->control_allow_users (user names or numeric
 * uids, separated by commas or blanks).  A name unknown to the system is
 * skipped (logged): it allows nobody.  Writes at most PF_IPC_ALLOW_MAX
 * uids into uids and their count into *n; PF_ERR_INVALID or PF_ERR_RANGE
 * with a sentence in err for a malformed or too long list.
 */
int	pf_ctl_allow_resolve(const struct pf_config *cfg, uid_t *uids,
	    size_t *n, char *err, size_t errlen);

/* Resolves d->cfg's list and applies it to d->ctl. */
int	pf_ctl_allow_apply(struct pf_daemon *d, char *err, size_t errlen);

/* Turns verbose logging on or off (log.verbose/brief, SIGUSR1). */
void	pf_ctl_verbose(struct pf_daemon *d, bool on);

#endif /* PF_COMMON_CONTROL_H */
