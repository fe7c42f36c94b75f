/*
 * cmd_setup.c -- "setup": what a production install needs before the
 * daemons can start, safe to run again after every upgrade.
 *
 *   1. the encryption key of the stored Polar tokens: when the
 *      configuration has none, a new key file (0640, group polarflow)
 *      and its encryption_key_file line in polarflow.conf;
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

#define SETUP_GROUP	"polarflow"	/* the daemons' group (sysusers.d) */

/* The units' system users and the group role each one joins. */
static const struct {
	const char	*login;
	const char	*group;
} setup_roles[] = {
	{ "_polarsync", "polarflow_sync" },
	{ "_polaranalytics", "polarflow_analytics" },
	{ "_polarapi", "polarflow_api" },
};

/* An existing key file must hold a key: never overwrite one. */
static int
key_file_check(const char *path)
{
	unsigned char	 key[PF_CRYPTO_KEYBYTES];
	char		 text[256];
	FILE		*fp;
	size_t		 n;
	int		 r;

	if ((fp = fopen(path, "r")) == NULL) {
		ctl_warnx("%s: %s", path, strerror(errno));
		return PF_ERR_IO;
	}
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	r = pf_crypto_key_parse(text, key);
	explicit_bzero(text, sizeof(text));
	explicit_bzero(key, sizeof(key));
	if (r != PF_OK)
		ctl_warnx("%s exists but holds no valid key; move it away or "
		    "name another with --key-file", path);
	return r;
}

static int
key_file_create(const char *path)
{
	char		 text[64];
	struct group	*gr;
	size_t		 len;
	int		 fd, r = PF_ERR_IO;

	if (pf_crypto_key_generate(text, sizeof(text)) != PF_OK) {
		ctl_warnx("could not generate a key");
		return PF_ERR_CRYPTO;
	}
	len = strlen(text);
	text[len++] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) == -1) {
		ctl_warnx("%s: %s", path, strerror(errno));
		goto out;
	}
	/* The daemons read it through their group, as polarflow.conf. */
	if (geteuid() == 0 && (gr = getgrnam(SETUP_GROUP)) != NULL &&
	    fchown(fd, 0, gr->gr_gid) == -1) {
		ctl_warnx("%s: chown: %s", path, strerror(errno));
		goto out_close;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		ctl_warnx("%s: %s", path, strerror(errno));
		goto out_close;
	}
	r = PF_OK;
out_close:
	if (close(fd) == -1 && r == PF_OK) {
		ctl_warnx("%s: %s", path, strerror(errno));
		r = PF_ERR_IO;
	}
	if (r != PF_OK)
		(void)unlink(path);
out:
	explicit_bzero(text, sizeof(text));
	return r;
}

static int
conf_append_key_file(const char *conf, const char *path)
{
	FILE	*fp;

	if ((fp = fopen(conf, "a")) == NULL) {
		ctl_warnx("%s: %s; add \"encryption_key_file = %s\" to it by "
		    "hand", conf, strerror(errno), path);
		return PF_ERR_IO;
	}
	fprintf(fp, "\n# added by polarctl setup\nencryption_key_file = %s\n",
	    path);
	if (fclose(fp) != 0) {
		ctl_warnx("%s: %s", conf, strerror(errno));
		return PF_ERR_IO;
	}
	return PF_OK;
}

static int
setup_key(struct ctl *ctl, const char *keyfile)
{
	const char	*conf = ctl->conf_path ? ctl->conf_path :
	    PF_CONFIG_PATH;
	char		 dir[PATH_MAX], path[PATH_MAX];
	struct stat	 st;
	int		 r;

	if (ctl->cfg->encryption_key[0] != '\0') {
		printf("encryption key: configured\n");
		return PF_OK;
	}
	if (keyfile == NULL) {
		snprintf(dir, sizeof(dir), "%s", conf);
		if ((size_t)snprintf(path, sizeof(path), "%s/encryption.key",
		    dirname(dir)) >= sizeof(path)) {
			ctl_warnx("%s: path too long", conf);
			return PF_ERR_INVALID;
		}
		keyfile = path;
	}
	if (stat(keyfile, &st) == 0) {
		if ((r = key_file_check(keyfile)) != PF_OK)
			return r;
		printf("encryption key: %s exists, kept\n", keyfile);
	} else {
		if ((r = key_file_create(keyfile)) != PF_OK)
			return r;
		printf("encryption key: %s created\n", keyfile);
	}
	if ((r = conf_append_key_file(conf, keyfile)) != PF_OK)
		return r;
	printf("encryption key: %s now names it\n", conf);
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
	const char	*keyfile = NULL;
	int		 r;

	if ((r = ctl_opt(&argc, argv, "key-file", 'k', &keyfile)) ==
	    PF_ERR_INVALID)
		return r;
	if (argc != 0) {
		ctl_warnx("usage: polarctl setup [--key-file path]");
		return PF_ERR_INVALID;
	}
	if (keyfile != NULL && keyfile[0] != '/') {
		ctl_warnx("--key-file must be an absolute path");
		return PF_ERR_INVALID;
	}
	if ((r = setup_key(ctl, keyfile)) != PF_OK)
		return r;
	if ((r = cmd_db_migrate(ctl, 0, NULL)) != PF_OK)
		return r;
	return setup_login_roles(ctl);
}
