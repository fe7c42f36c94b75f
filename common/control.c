/*
 * control.c -- the built-in control verbs and the dispatch to a daemon's
 * own table.
 */
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/config.h"
#include "common/control.h"
#include "common/daemon.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/msg.h"

/* Replies body (stolen; NULL: could not be built). */
static void
reply(struct pf_ipc_request *req, json_t *body)
{
	if (body == NULL) {
		pf_ipc_request_fail(req, PF_ERR_NOMEM,
		    "could not build the reply");
		return;
	}
	pf_ipc_request_reply(req, body);
	json_decref(body);
}

static bool
same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Adds uid unless it is there already. */
static int
allow_add(uid_t *uids, size_t *n, uid_t uid)
{
	size_t	i;

	for (i = 0; i < *n; i++)
		if (uids[i] == uid)
			return PF_OK;
	if (*n >= PF_IPC_ALLOW_MAX)
		return PF_ERR_RANGE;
	uids[(*n)++] = uid;
	return PF_OK;
}

/* A user name or a decimal uid; false if the system has no such name. */
static bool
user_uid(const char *name, uid_t *uid)
{
	struct passwd	*pw;
	char		*end;
	unsigned long	 v;

	if (name[0] >= '0' && name[0] <= '9') {
		errno = 0;
		v = strtoul(name, &end, 10);
		if (errno == 0 && *end == '\0' && v == (uid_t)v) {
			*uid = (uid_t)v;
			return true;
		}
	}
	if ((pw = getpwnam(name)) == NULL)
		return false;
	*uid = pw->pw_uid;
	return true;
}

int
pf_ctl_allow_resolve(const struct pf_config *cfg, uid_t *uids, size_t *n,
    char *err, size_t errlen)
{
	const char	*list = cfg->control_allow_users, *p = list;
	char		 name[64];
	size_t		 len;
	uid_t		 uid;

	*n = 0;
	(void)allow_add(uids, n, 0);
	(void)allow_add(uids, n, geteuid());
	while (p != NULL && *p != '\0') {
		p += strspn(p, ", \t");
		if ((len = strcspn(p, ", \t")) == 0)
			break;
		if (len >= sizeof(name)) {
			snprintf(err, errlen, "control_allow_users: a name is "
			    "longer than %zu characters", sizeof(name) - 1);
			return PF_ERR_INVALID;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		if (!user_uid(name, &uid)) {
			pf_log_info("control_allow_users: no user %s on this "
			    "system", name);
			continue;
		}
		if (allow_add(uids, n, uid) != PF_OK) {
			snprintf(err, errlen, "control_allow_users: more than "
			    "%d users", PF_IPC_ALLOW_MAX - 2);
			return PF_ERR_RANGE;
		}
	}
	return PF_OK;
}

int
pf_ctl_allow_apply(struct pf_daemon *d, char *err, size_t errlen)
{
	uid_t	uids[PF_IPC_ALLOW_MAX];
	size_t	n;
	int	r;

	if ((r = pf_ctl_allow_resolve(d->cfg, uids, &n, err, errlen)) != PF_OK)
		return r;
	return pf_ipc_server_allow(d->ctl, uids, n);
}

void
pf_ctl_verbose(struct pf_daemon *d, bool on)
{
	d->verbose = on;
	pf_daemon_log_apply(d);
	pf_log_info("log level set to %s",
	    pf_log_level_name(pf_log_get_level()));
}

int
pf_ctl_reload(struct pf_daemon *d, const struct pf_daemon_hooks *h,
    char *err, size_t errlen)
{
	struct pf_config	*ncfg;
	uid_t			 uids[PF_IPC_ALLOW_MAX];
	size_t			 n;
	int			 r;

	if ((r = pf_config_load(&ncfg, d->conf_path, err, errlen)) != PF_OK)
		goto out;
	if ((r = pf_ctl_allow_resolve(ncfg, uids, &n, err, errlen)) !=
	    PF_OK || (h->reload != NULL &&
	    (r = h->reload(ncfg, err, errlen)) != PF_OK)) {
		pf_config_free(ncfg);
		goto out;
	}
	/* the database connection and the sockets stay as they are */
	if (!same(ncfg->database_url, d->cfg->database_url) ||
	    !same(ncfg->rundir, d->cfg->rundir))
		pf_log_warnx("reload: database_url and rundir changes take "
		    "effect at restart");
	pf_config_free(d->cfg);
	d->cfg = ncfg;
	if (d->ctl != NULL)
		(void)pf_ipc_server_allow(d->ctl, uids, n);
	pf_daemon_log_apply(d);
	pf_log_info("configuration reloaded");
out:
	if (r != PF_OK)
		pf_log_warnx("reload: %s; keeping the old configuration", err);
	return r;
}

static void
do_status(struct pf_daemon *d, const struct pf_daemon_hooks *h,
    struct pf_ipc_request *req)
{
	(void)d;
	reply(req, h->status != NULL ? h->status() : json_object());
}

static void
do_log(struct pf_daemon *d, bool verbose, struct pf_ipc_request *req)
{
	pf_ctl_verbose(d, verbose);
	reply(req, json_pack("{s:s}", "level",
	    pf_log_level_name(pf_log_get_level())));
}

static void
do_verbose(struct pf_daemon *d, const struct pf_daemon_hooks *h,
    struct pf_ipc_request *req)
{
	(void)h;
	do_log(d, true, req);
}

static void
do_brief(struct pf_daemon *d, const struct pf_daemon_hooks *h,
    struct pf_ipc_request *req)
{
	(void)h;
	do_log(d, false, req);
}

static void
do_reload(struct pf_daemon *d, const struct pf_daemon_hooks *h,
    struct pf_ipc_request *req)
{
	char	err[512];

	if (pf_ctl_reload(d, h, err, sizeof(err)) != PF_OK) {
		pf_ipc_request_fail(req, PF_ERR_INVALID,
		    "could not reload configuration: %s", err);
		return;
	}
	reply(req, json_object());
}

static const struct builtin {
	const char	*type;
	void		(*fn)(struct pf_daemon *,
			    const struct pf_daemon_hooks *,
			    struct pf_ipc_request *);
} builtins[] = {
	{ PF_MSG_STATUS,	do_status },
	{ PF_MSG_LOG_VERBOSE,	do_verbose },
	{ PF_MSG_LOG_BRIEF,	do_brief },
	{ PF_MSG_RELOAD,	do_reload },
	{ NULL,			NULL }
};

void
pf_ctl_dispatch(struct pf_daemon *d, const struct pf_daemon_hooks *h,
    struct pf_ipc_request *req)
{
	const char			*type = pf_ipc_request_type(req);
	const struct builtin		*b;
	const struct pf_ctl_verb	*v;

	for (b = builtins; b->type != NULL; b++)
		if (strcmp(type, b->type) == 0) {
			b->fn(d, h, req);
			return;
		}
	for (v = h->verbs; v != NULL && v->type != NULL; v++)
		if (strcmp(type, v->type) == 0) {
			v->fn(req, pf_ipc_request_body(req));
			return;
		}
	pf_ipc_request_fail(req, PF_ERR_INVALID, "unknown request type %s",
	    type);
}

void
pf_ctl_handle(struct pf_daemon *d, const struct pf_daemon_hooks *h)
{
	struct pf_ipc_request	*req;

	while (pf_ipc_server_next(d->ctl, &req) == PF_OK)
		pf_ctl_dispatch(d, h, req);
}
