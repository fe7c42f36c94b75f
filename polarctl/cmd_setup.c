/*
 * cmd_setup.c -- "setup": what a production install needs before the
 * daemons can start, safe to run again after every upgrade.
 *
 *   1. the credentials store (cmd_secret.c) and in it the encryption key
 *      of the stored Polar tokens, made when missing -- syncd's unit
 *      passes it to syncd alone, and polarflow.conf is not touched;
 *   2. the schema (db migrate), which also makes the group roles and
 *      their privileges;
 *   3. a login role for each daemon's system user in its group role, so
 *      that the units connect by peer authentication as installed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"

#include "polarctl.h"

/* The units' system users and the group role each one joins. */
static const struct {
	const char	*login;
	const char	*group;
} setup_roles[] = {
	{ "_polarsync", "polarflow_sync" },
	{ "_polaranalytics", "polarflow_analytics" },
	{ "_polarapi", "polarflow_api" },
};

static int
setup_key(struct ctl *ctl)
{
	char	path[PATH_MAX];
	bool	created;
	int	r;

	if ((r = secret_ensure_encryption_key(ctl, path, sizeof(path),
	    &created)) != PF_OK)
		return r;
	printf("encryption key: %s %s\n", path, created ? "created" :
	    "exists, kept");
	/* One set in polarflow.conf or the environment wins over the store. */
	if (ctl->cfg->encryption_key[0] != '\0')
		printf("encryption key: note: polarflow.conf or the "
		    "environment sets encryption_key, which wins over %s; "
		    "the shared file should hold no secret\n", path);
	return PF_OK;
}

static int
setup_login_roles(struct ctl *ctl)
{
	struct pf_db	*db;
	char		 how[16];
	size_t		 i;
	int		 r;

	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	for (i = 0; i < sizeof(setup_roles) / sizeof(setup_roles[0]); i++) {
		r = store_login_role(db, setup_roles[i].login,
		    setup_roles[i].group, how, sizeof(how));
		if (r != PF_OK) {
			ctl_warnx("could not set up role %s: %s",
			    setup_roles[i].login, pf_db_errmsg(db));
			return r;
		}
		printf("role %s (%s): %s\n", setup_roles[i].login,
		    setup_roles[i].group, how);
	}
	return PF_OK;
}

int
cmd_setup(struct ctl *ctl, int argc, char **argv)
{
	int	r;

	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl setup");
		return PF_ERR_INVALID;
	}
	if ((r = setup_key(ctl)) != PF_OK)
		return r;
	if ((r = cmd_db_migrate(ctl, 0, NULL)) != PF_OK)
		return r;
	return setup_login_roles(ctl);
}
