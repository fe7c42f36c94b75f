/*
 * cmd_secret.c -- "secret": the credentials store, one directory per
 * daemon beside polarflow.conf, holding each secret only the daemon that
 * needs it may read.
 *
 *	<confdir>/credentials/syncd/encryption_key
 *	<confdir>/credentials/syncd/polar_client_secret
 *	<confdir>/credentials/apid/api_key
 *
 * Directories 0700 and files 0600, owned by root: no daemon user reads
 * them directly.  Each unit passes its own directory to its daemon with
 * LoadCredential=polarflow:<dir>, so systemd copies the files into a place
 * only that unit's user can read, and the shared polarflow.conf holds no
 * secret and names none.  Files are replaced by rename(2), so a crash
 * leaves the old secret or the new one, never half of one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/msg.h"
#include "common/xmalloc.h"

#include "polarctl.h"

#define SECRET_MAX	4096	/* longer than any key or client secret */

enum secret_kind {
	S_KEY,		/* an encryption key: pf_crypto_key_parse() */
	S_TEXT,		/* printable, no blanks */
};

static const struct secret {
	const char		*name;		/* polarflow.conf's key */
	const char		*daemon;	/* the directory: who reads it */
	enum secret_kind	 kind;
	const char		*what;
} secrets[] = {
	{ "encryption_key", "syncd", S_KEY,
	    "seals the stored Polar tokens" },
	{ "polar_client_secret", "syncd", S_TEXT,
	    "Polar AccessLink client secret" },
	{ "api_key", "apid", S_TEXT, "apid's master API key" },
};
#define NSECRETS	(sizeof(secrets) / sizeof(secrets[0]))

static const struct secret *
secret_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NSECRETS; i++)
		if (strcmp(secrets[i].name, name) == 0)
			return &secrets[i];
	ctl_warnx("unknown secret \"%s\" (encryption_key, "
	    "polar_client_secret or api_key)", name);
	return NULL;
}

/* <confdir>/credentials, or with daemon: <confdir>/credentials/<daemon> */
static int
store_dir(struct ctl *ctl, const char *daemon, char *buf, size_t len)
{
	char	conf[PATH_MAX];
	int	n;

	snprintf(conf, sizeof(conf), "%s", ctl->conf_path ? ctl->conf_path :
	    PF_CONFIG_PATH);
	n = snprintf(buf, len, "%s/credentials%s%s", dirname(conf),
	    daemon ? "/" : "", daemon ? daemon : "");
	if (n < 0 || (size_t)n >= len) {
		ctl_warnx("%s: path too long", conf);
		return PF_ERR_RANGE;
	}
	return PF_OK;
}

static int
secret_path(struct ctl *ctl, const struct secret *s, char *buf, size_t len)
{
	char	dir[PATH_MAX];
	int	n, r;

	if ((r = store_dir(ctl, s->daemon, dir, sizeof(dir))) != PF_OK)
		return r;
	n = snprintf(buf, len, "%s/%s", dir, s->name);
	if (n < 0 || (size_t)n >= len) {
		ctl_warnx("%s: path too long", dir);
		return PF_ERR_RANGE;
	}
	return PF_OK;
}

static int
mkdir_private(const char *path)
{
	struct stat	st;

	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		ctl_warnx("%s: %s", path, strerror(errno));
		return PF_ERR_IO;
	}
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		ctl_warnx("%s: not a directory", path);
		return PF_ERR_IO;
	}
	/* An existing directory anyone else may read is tightened. */
	if ((st.st_mode & 077) != 0 && chmod(path, 0700) == -1) {
		ctl_warnx("%s: chmod: %s", path, strerror(errno));
		return PF_ERR_IO;
	}
	return PF_OK;
}

int
secret_store_prepare(struct ctl *ctl)
{
	static const char *const daemons[] = { NULL, "syncd", "apid" };
	char	dir[PATH_MAX];
	size_t	i;
	int	r;

	for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		if ((r = store_dir(ctl, daemons[i], dir, sizeof(dir))) !=
		    PF_OK || (r = mkdir_private(dir)) != PF_OK)
			return r;
	}
	return PF_OK;
}

/* Checks a value as the daemon that reads it will. */
static int
secret_valid(const struct secret *s, const char *v)
{
	unsigned char	key[PF_CRYPTO_KEYBYTES];
	const char	*p;
	int		 r;

	if (s->kind == S_KEY) {
		r = pf_crypto_key_parse(v, key);
		explicit_bzero(key, sizeof(key));
		if (r != PF_OK)
			ctl_warnx("%s: not a key (64 hex digits or base64 of "
			    "32 bytes)", s->name);
		return r;
	}
	if (*v == '\0' || strlen(v) >= SECRET_MAX) {
		ctl_warnx("%s: empty or longer than %d bytes", s->name,
		    SECRET_MAX - 1);
		return PF_ERR_INVALID;
	}
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			ctl_warnx("%s: only printable characters without "
			    "blanks", s->name);
			return PF_ERR_INVALID;
		}
	return PF_OK;
}

/*
 * Reads a secret file into buf (NUL-terminated, trailing whitespace cut).
 * PF_ERR_NOTFOUND when there is none.
 */
static int
secret_read_file(const char *path, char *buf, size_t len)
{
	FILE	*fp;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return PF_ERR_NOTFOUND;
		ctl_warnx("%s: %s", path, strerror(errno));
		return PF_ERR_IO;
	}
	n = fread(buf, 1, len - 1, fp);
	fclose(fp);
	if (n == len - 1) {
		ctl_warnx("%s: longer than %zu bytes", path, len - 2);
		return PF_ERR_RANGE;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return PF_OK;
}

/* Writes path.new (0600), fsynced; the caller renames it into place. */
static int
secret_write_new(const char *path, const char *value)
{
	char	tmp[PATH_MAX + 8];
	size_t	len = strlen(value);
	int	fd, r = PF_ERR_IO;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		ctl_warnx("%s: %s", tmp, strerror(errno));
		return PF_ERR_IO;
	}
	if (write(fd, value, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) == -1)
		ctl_warnx("%s: %s", tmp, strerror(errno));
	else
		r = PF_OK;
	if (close(fd) == -1 && r == PF_OK) {
		ctl_warnx("%s: %s", tmp, strerror(errno));
		r = PF_ERR_IO;
	}
	if (r != PF_OK)
		(void)unlink(tmp);
	return r;
}

/* Moves path.new over path and makes the rename durable. */
static int
secret_commit(const char *path)
{
	char	tmp[PATH_MAX + 8], dir[PATH_MAX];
	int	fd;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (rename(tmp, path) == -1) {
		ctl_warnx("rename %s: %s", tmp, strerror(errno));
		return PF_ERR_IO;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)fsync(fd);
		close(fd);
	}
	return PF_OK;
}

static int
secret_store(const char *path, const char *value)
{
	int	r;

	if ((r = secret_write_new(path, value)) != PF_OK)
		return r;
	return secret_commit(path);
}

/*
 * setup's part: the encryption key exists in the store (created when
 * missing, checked when present).  *created tells which.
 */
int
secret_ensure_encryption_key(struct ctl *ctl, char *path, size_t len,
    bool *created)
{
	const struct secret	*s = &secrets[0];
	char			 text[SECRET_MAX];
	int			 r;

	*created = false;
	if ((r = secret_store_prepare(ctl)) != PF_OK ||
	    (r = secret_path(ctl, s, path, len)) != PF_OK)
		return r;
	r = secret_read_file(path, text, sizeof(text));
	if (r == PF_OK) {
		r = secret_valid(s, text);
		if (r != PF_OK)
			ctl_warnx("%s exists but holds no valid key; move it "
			    "away and run setup again", path);
		goto out;
	}
	if (r != PF_ERR_NOTFOUND)
		goto out;
	if (pf_crypto_key_generate(text, sizeof(text)) != PF_OK) {
		ctl_warnx("could not generate a key");
		r = PF_ERR_CRYPTO;
		goto out;
	}
	if ((r = secret_store(path, text)) == PF_OK)
		*created = true;
out:
	explicit_bzero(text, sizeof(text));
	return r;
}

int
cmd_secret_list(struct ctl *ctl, int argc, char **argv)
{
	char		 path[PATH_MAX], text[SECRET_MAX];
	struct stat	 st;
	json_t		*rows, *row;
	const char	*state;
	size_t		 i;
	int		 r;

	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl secret list");
		return PF_ERR_INVALID;
	}
	rows = json_array();
	for (i = 0; i < NSECRETS; i++) {
		if ((r = secret_path(ctl, &secrets[i], path, sizeof(path))) !=
		    PF_OK) {
			json_decref(rows);
			return r;
		}
		r = secret_read_file(path, text, sizeof(text));
		if (r == PF_ERR_NOTFOUND)
			state = "absent";
		else if (r != PF_OK)
			state = "unreadable";
		else if (secret_valid(&secrets[i], text) != PF_OK)
			state = "invalid";
		else
			state = "present";
		explicit_bzero(text, sizeof(text));
		row = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name",
		    secrets[i].name, "daemon", secrets[i].daemon, "state", state,
		    "path", path, "purpose", secrets[i].what);
		if (stat(path, &st) == 0)
			json_object_set_new(row, "mode", json_sprintf("%04o",
			    (unsigned)(st.st_mode & 07777)));
		else
			json_object_set_new(row, "mode", json_null());
		json_array_append_new(rows, row);
	}
	if (ctl->json)
		out_json(rows);
	else
		out_table(rows, (const struct out_col[]){
		    { "name", "NAME" }, { "daemon", "DAEMON" },
		    { "state", "STATE" }, { "mode", "MODE" },
		    { "path", "PATH" }, { NULL, NULL } });
	json_decref(rows);
	return PF_OK;
}

/* The value from a file, or the first line of standard input. */
static int
secret_input(const char *file, char *buf, size_t len)
{
	size_t	n;
	int	r;

	if (file != NULL && strcmp(file, "-") != 0) {
		r = secret_read_file(file, buf, len);
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("%s: no such file", file);
		return r;
	}
	if (fgets(buf, (int)len, stdin) == NULL) {
		ctl_warnx("no value on standard input");
		return PF_ERR_INVALID;
	}
	n = strlen(buf);
	if (n == len - 1 && buf[n - 1] != '\n') {
		ctl_warnx("value longer than %zu bytes", len - 2);
		return PF_ERR_RANGE;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return PF_OK;
}

int
cmd_secret_set(struct ctl *ctl, int argc, char **argv)
{
	const struct secret	*s;
	char			 path[PATH_MAX], value[SECRET_MAX];
	struct stat		 st;
	int			 r;

	if (argc < 1 || argc > 2) {
		ctl_warnx("usage: polarctl secret set name [file | -]");
		return PF_ERR_INVALID;
	}
	if ((s = secret_find(argv[0])) == NULL)
		return PF_ERR_INVALID;
	if ((r = secret_store_prepare(ctl)) != PF_OK ||
	    (r = secret_path(ctl, s, path, sizeof(path))) != PF_OK)
		return r;
	/* A new encryption key would orphan every sealed token. */
	if (s->kind == S_KEY && stat(path, &st) == 0) {
		ctl_warnx("%s exists; \"polarctl secret rotate %s\" replaces "
		    "it and re-seals what it sealed", path, s->name);
		return PF_ERR_EXISTS;
	}
	if ((r = secret_input(argc == 2 ? argv[1] : NULL, value,
	    sizeof(value))) != PF_OK)
		goto out;
	if ((r = secret_valid(s, value)) != PF_OK)
		goto out;
	if ((r = secret_store(path, value)) != PF_OK)
		goto out;
	printf("%s: stored in %s; restart polarflow-%s to use it\n", s->name,
	    path, s->daemon);
out:
	explicit_bzero(value, sizeof(value));
	return r;
}

struct reseal {
	unsigned char	 old[PF_CRYPTO_KEYBYTES];
	unsigned char	 new[PF_CRYPTO_KEYBYTES];
	int		 count;
	const char	*actor;
};

/* store_sealed_each's callback: one sealed value, opened and sealed again. */
static int
reseal_one(void *arg, const char *what, const char *id, const char *sealed,
    char **out)
{
	struct reseal	*rs = arg;
	char		*plain = NULL;
	size_t		 len = 0;
	int		 r;

	if ((r = pf_crypto_open(rs->old, sealed, &plain, &len)) != PF_OK) {
		ctl_warnx("%s %s: its sealed value does not open with the "
		    "current key (%s); nothing was changed", what, id,
		    pf_strerror(r));
		return r;
	}
	r = pf_crypto_seal(rs->new, plain, len, out);
	pf_freezero(plain, len + 1);
	if (r == PF_OK)
		rs->count++;
	return r;
}

static int
reseal_tx(struct pf_db *db, void *arg)
{
	struct reseal	*rs = arg;
	json_t		*details;
	int		 r;

	rs->count = 0;
	if ((r = store_sealed_each(db, reseal_one, rs)) != PF_OK)
		return r;
	details = json_pack("{s:s, s:i}", "secret", "encryption_key",
	    "resealed", rs->count);
	r = store_audit(db, rs->actor, "secret.rotate", NULL, details);
	json_decref(details);
	return r;
}

/* Only checks that every sealed value opens with rs->new. */
static int
opens_with_new(void *arg, const char *what, const char *id,
    const char *sealed, char **out)
{
	struct reseal	*rs = arg;
	char		*plain = NULL;
	size_t		 len = 0;

	(void)what;
	(void)id;
	*out = NULL;
	if (pf_crypto_open(rs->new, sealed, &plain, &len) != PF_OK)
		return PF_ERR_CRYPTO;
	pf_freezero(plain, len + 1);
	rs->count++;
	return PF_OK;
}

static int
check_tx(struct pf_db *db, void *arg)
{
	return store_sealed_each(db, opens_with_new, arg);
}

/*
 * A rotation re-seals every sealed value in one transaction, then moves
 * the new key into place.  A crash between the two leaves key.new beside
 * the key while the database already holds values sealed with it: the
 * next rotate notices (the new key opens them all) and only finishes the
 * move; otherwise key.new is a leftover from before the commit and is
 * replaced.
 */
static int
rotate_encryption_key(struct ctl *ctl, const char *path)
{
	struct reseal	 rs;
	struct pf_db	*db;
	char		 text[SECRET_MAX], newpath[PATH_MAX + 8];
	json_t		*msg, *reply = NULL;
	int		 r;

	memset(&rs, 0, sizeof(rs));
	rs.actor = ctl->actor;
	/* syncd holds the key in memory: it must not run on the old one. */
	msg = pf_ipc_msg_new(PF_MSG_STATUS);
	r = ctl_call(ctl, "syncd", msg, &reply, 2000, true);
	json_decref(msg);
	json_decref(reply);
	if (r == PF_OK) {
		ctl_warnx("polarflow-syncd is running; stop it first "
		    "(systemctl stop polarflow-syncd), rotate, then start it");
		return PF_ERR_BUSY;
	}
	if ((r = secret_read_file(path, text, sizeof(text))) != PF_OK) {
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("%s: no encryption key to rotate (polarctl "
			    "setup creates one)", path);
		goto out;
	}
	if (pf_crypto_key_parse(text, rs.old) != PF_OK) {
		ctl_warnx("%s holds no valid key", path);
		r = PF_ERR_INVALID;
		goto out;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		goto out;
	snprintf(newpath, sizeof(newpath), "%s.new", path);
	if (secret_read_file(newpath, text, sizeof(text)) == PF_OK &&
	    pf_crypto_key_parse(text, rs.new) == PF_OK &&
	    pf_db_tx_run(db, check_tx, &rs, 1) == PF_OK && rs.count > 0) {
		if ((r = secret_commit(path)) == PF_OK)
			printf("encryption_key: finished an interrupted "
			    "rotation (%d sealed value%s already on the new "
			    "key); start polarflow-syncd\n", rs.count,
			    rs.count == 1 ? "" : "s");
		goto out;
	}
	if ((r = pf_crypto_key_generate(text, sizeof(text))) != PF_OK ||
	    (r = pf_crypto_key_parse(text, rs.new)) != PF_OK ||
	    (r = secret_write_new(path, text)) != PF_OK)
		goto out;
	if ((r = ctl_tx(db, reseal_tx, &rs, "re-seal the stored secrets")) !=
	    PF_OK) {
		(void)unlink(newpath);
		goto out;
	}
	if ((r = secret_commit(path)) != PF_OK) {
		ctl_warnx("the database now uses the key in %s: move it to %s "
		    "by hand", newpath, path);
		goto out;
	}
	printf("encryption_key: rotated; %d sealed value%s re-sealed; start "
	    "polarflow-syncd\n", rs.count, rs.count == 1 ? "" : "s");
out:
	explicit_bzero(text, sizeof(text));
	explicit_bzero(&rs, sizeof(rs));
	return r;
}

/* A new master key, printed once: apid reads it at its next start. */
static int
rotate_api_key(const char *path)
{
	char	key[PF_CRYPTO_KEYBYTES * 2 + 1];
	int	r;

	if ((r = pf_crypto_random_hex(PF_CRYPTO_KEYBYTES, key,
	    sizeof(key))) != PF_OK) {
		ctl_warnx("could not generate a key");
		return r;
	}
	if ((r = secret_store(path, key)) == PF_OK)
		printf("api_key: %s\nstored in %s; restart polarflow-apid "
		    "(the old master key works until then)\n", key, path);
	explicit_bzero(key, sizeof(key));
	return r;
}

int
cmd_secret_rotate(struct ctl *ctl, int argc, char **argv)
{
	const struct secret	*s;
	char			 path[PATH_MAX];
	int			 r;

	if (argc != 1) {
		ctl_warnx("usage: polarctl secret rotate encryption_key | "
		    "api_key");
		return PF_ERR_INVALID;
	}
	if ((s = secret_find(argv[0])) == NULL)
		return PF_ERR_INVALID;
	if ((r = secret_store_prepare(ctl)) != PF_OK ||
	    (r = secret_path(ctl, s, path, sizeof(path))) != PF_OK)
		return r;
	if (strcmp(s->name, "encryption_key") == 0)
		return rotate_encryption_key(ctl, path);
	if (strcmp(s->name, "api_key") == 0)
		return rotate_api_key(path);
	ctl_warnx("%s comes from Polar: store the new one with \"polarctl "
	    "secret set %s\"", s->name, s->name);
	return PF_ERR_INVALID;
}
