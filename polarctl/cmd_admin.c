/*
 * cmd_admin.c -- "admin add|passwd|remove|list|setup-token": the
 * administrators of the console apid serves under /admin.
 *
 * Passwords are stored as libsodium crypto_pwhash_str strings (Argon2id,
 * the interactive limits).  A password is read from the terminal with
 * echo off (asked twice), or as one line from standard input when that is
 * not a terminal (scripts).  A new password or a removal ends the
 * administrator's sessions.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"

#include "polarctl.h"

#define ADMIN_NAME_MAX	64
#define ADMIN_PASS_MIN	8
#define ADMIN_PASS_MAX	256

static const struct out_col admin_cols[] = {
	{ "id", "ID" }, { "name", "NAME" }, { "created_at", "CREATED" },
	{ "password_changed_at", "PASSWORD CHANGED" },
	{ "sessions", "SESSIONS" }, { NULL, NULL },
};

static bool
name_valid(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > ADMIN_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("._@+-", s[i]) == NULL)
			return false;
	return true;
}

/* One line of fp into buf without its newline; false at EOF/too long. */
static bool
read_line(FILE *fp, char *buf, size_t len)
{
	size_t	n;

	if (fgets(buf, (int)len, fp) == NULL)
		return false;
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == len - 1)
		return false;
	buf[n] = '\0';
	return true;
}

static bool
ask(const char *prompt, char *buf, size_t len)
{
	struct termios	old, quiet;
	bool		ok;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return false;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return false;
	ok = read_line(stdin, buf, len);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return ok;
}

/* The new password's hash into out; PF_OK or an explained error. */
static int
password_hash(char out[crypto_pwhash_STRBYTES])
{
	char	p1[ADMIN_PASS_MAX + 2], p2[ADMIN_PASS_MAX + 2];
	int	r = PF_ERR_INVALID;

	if (isatty(STDIN_FILENO)) {
		if (!ask("Password: ", p1, sizeof(p1)) ||
		    !ask("Password again: ", p2, sizeof(p2))) {
			ctl_warnx("no password read");
			goto out;
		}
		if (strcmp(p1, p2) != 0) {
			ctl_warnx("the passwords do not match");
			goto out;
		}
	} else if (!read_line(stdin, p1, sizeof(p1))) {
		ctl_warnx("no password on standard input (one line, at most "
		    "%d bytes)", ADMIN_PASS_MAX);
		goto out;
	}
	if (strlen(p1) < ADMIN_PASS_MIN) {
		ctl_warnx("the password must have at least %d characters",
		    ADMIN_PASS_MIN);
		goto out;
	}
	if (sodium_init() < 0 || crypto_pwhash_str(out, p1, strlen(p1),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		ctl_warnx("could not hash the password (out of memory?)");
		r = PF_ERR_INTERNAL;
		goto out;
	}
	r = PF_OK;
out:
	sodium_memzero(p1, sizeof(p1));
	sodium_memzero(p2, sizeof(p2));
	return r;
}

static int
name_arg(int argc, char **argv, const char *cmd)
{
	if (argc != 1) {
		ctl_warnx("usage: polarctl admin %s <name>", cmd);
		return PF_ERR_INVALID;
	}
	if (!name_valid(argv[0])) {
		ctl_warnx("invalid name: 1 to %d letters, digits or . _ @ + -",
		    ADMIN_NAME_MAX);
		return PF_ERR_INVALID;
	}
	return PF_OK;
}

static void
audit(struct ctl *ctl, struct pf_db *db, const char *action,
    const char *name)
{
	json_t	*d = json_pack("{s:s}", "admin", name);

	if (store_audit(db, ctl->actor, action, NULL, d) != PF_OK)
		ctl_warnx("audit log: %s", pf_db_errmsg(db));
	json_decref(d);
}

int
cmd_admin_add(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	char		 hash[crypto_pwhash_STRBYTES];
	bool		 added;
	int		 r;

	if ((r = name_arg(argc, argv, "add")) != PF_OK ||
	    (r = ctl_db(ctl, &db)) != PF_OK ||
	    (r = password_hash(hash)) != PF_OK)
		return r;
	if ((r = store_admin_add(db, argv[0], hash, &added)) != PF_OK) {
		ctl_warnx("could not add the administrator: %s",
		    pf_db_errmsg(db));
		return r;
	}
	if (!added) {
		ctl_warnx("administrator %s exists already (admin passwd "
		    "changes a password)", argv[0]);
		return PF_ERR_EXISTS;
	}
	audit(ctl, db, "admin.add", argv[0]);
	printf("administrator %s added\n", argv[0]);
	return PF_OK;
}

int
cmd_admin_passwd(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	char		 hash[crypto_pwhash_STRBYTES];
	bool		 found;
	int		 r;

	if ((r = name_arg(argc, argv, "passwd")) != PF_OK ||
	    (r = ctl_db(ctl, &db)) != PF_OK ||
	    (r = password_hash(hash)) != PF_OK)
		return r;
	if ((r = store_admin_passwd(db, argv[0], hash, &found)) != PF_OK) {
		ctl_warnx("could not change the password: %s",
		    pf_db_errmsg(db));
		return r;
	}
	if (!found) {
		ctl_warnx("no administrator %s", argv[0]);
		return PF_ERR_NOTFOUND;
	}
	audit(ctl, db, "admin.passwd", argv[0]);
	printf("password of %s changed; their sessions ended\n", argv[0]);
	return PF_OK;
}

int
cmd_admin_remove(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	bool		 found;
	int		 r;

	if ((r = name_arg(argc, argv, "remove")) != PF_OK ||
	    (r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_admin_remove(db, argv[0], &found)) != PF_OK) {
		ctl_warnx("could not remove the administrator: %s",
		    pf_db_errmsg(db));
		return r;
	}
	if (!found) {
		ctl_warnx("no administrator %s", argv[0]);
		return PF_ERR_NOTFOUND;
	}
	audit(ctl, db, "admin.remove", argv[0]);
	printf("administrator %s removed\n", argv[0]);
	return PF_OK;
}

int
cmd_admin_list(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*res;
	json_t		*rows;
	int		 r;

	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl admin list");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_admin_list(db, &res)) != PF_OK) {
		ctl_warnx("could not list administrators: %s",
		    pf_db_errmsg(db));
		return r;
	}
	rows = out_rows(res);
	PQclear(res);
	if (ctl->json)
		out_json(rows);
	else
		out_table(rows, admin_cols);
	json_decref(rows);
	return PF_OK;
}

int
cmd_admin_setup_token(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*res;
	char		 fresh[65];
	int		 r;

	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl admin setup-token");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = pf_crypto_random_hex(32, fresh, sizeof(fresh))) != PF_OK)
		return r;
	if ((r = store_admin_setup_token(db, fresh, &res)) != PF_OK) {
		ctl_warnx("could not read the setup token: %s",
		    pf_db_errmsg(db));
		return r;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		ctl_warnx("an administrator exists: no setup token (admin add "
		    "makes another)");
		return PF_ERR_NOTFOUND;
	}
	printf("%s\n", PQgetvalue(res, 0, 0));
	PQclear(res);
	return PF_OK;
}
