/*
 * cmd_key.c -- "key create|list|revoke|regenerate".
 *
 * A key is "pfk_" + 40 hex digits.  Only its SHA-256 is stored; the key
 * itself is printed once, at creation or regeneration, and never again.
 * A user-scoped key reads one user's data; a key without --user is a
 * service key that may read any user (for trusted back-ends).  Like
 * upstream, a user has at most one active key: regenerate it instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ident.h"

#include "polarctl.h"

#define KEY_PREFIX_LEN	12	/* "pfk_" + 8 hex, shown in listings */
#define KEY_NAME_MAX	100

static const struct out_col key_cols[] = {
	{ "id", "ID" }, { "key_prefix", "PREFIX" }, { "user_id", "USER" },
	{ "name", "NAME" }, { "is_active", "ACTIVE" },
	{ "rate_limit_requests", "LIMIT/H" }, { "created_at", "CREATED" },
	{ "last_used_at", "LAST USED" }, { NULL, NULL },
};

/* A fresh key, its hash and its display prefix. */
static int
key_new(char key[PF_CRYPTO_API_KEY_SIZE],
    char hash[PF_CRYPTO_SHA256_HEX_SIZE], char prefix[KEY_PREFIX_LEN + 1])
{
	int	r;

	if ((r = pf_crypto_api_key_new(key)) != PF_OK)
		return r;
	pf_crypto_sha256_hex(key, strlen(key), hash);
	memcpy(prefix, key, KEY_PREFIX_LEN);
	prefix[KEY_PREFIX_LEN] = '\0';
	return PF_OK;
}

static void
print_new_key(struct ctl *ctl, struct pf_db *db, int64_t id, const char *key)
{
	PGresult	*res;
	json_t		*rows, *obj;

	if (store_key_get(db, id, &res) != PF_OK) {
		ctl_warnx("could not read key %" PRId64 " back: %s", id,
		    pf_db_errmsg(db));
		printf("%s\n", key);
		return;
	}
	rows = out_rows(res);
	PQclear(res);
	obj = json_array_get(rows, 0);
	json_object_set_new(obj, "key", json_string(key));
	if (ctl->json)
		out_json(obj);
	else {
		printf("%s\n\n", key);
		printf("id %" PRId64 ", %s, %d requests/hour.\n", id,
		    json_is_string(json_object_get(obj, "user_id")) ?
		    "user key" : "service key",
		    (int)json_integer_value(json_object_get(obj,
		    "rate_limit_requests")));
		printf("This is the only time the key is shown: store it "
		    "now.\n");
	}
	json_decref(rows);
}

/* What a key command's transaction works on. */
struct key_tx {
	struct ctl	*ctl;
	const char	*user, *name;	/* create */
	int		 limit;		/* create */
	const char	*hash, *prefix;	/* create, regenerate */
	int64_t		 id;		/* in: revoke, regenerate; out: create */
};

static int
create_tx(struct pf_db *db, void *arg)
{
	struct key_tx	*t = arg;
	int64_t		 existing;
	json_t		*details;
	int		 r;

	if (t->user != NULL) {
		r = store_key_active_for_user(db, t->user, &existing);
		if (r == PF_OK) {
			ctl_warnx("user %s already has an active key (id %"
			    PRId64 "); use \"polarctl key regenerate %" PRId64
			    "\"", t->user, existing, existing);
			return PF_ERR_EXISTS;
		}
		if (r != PF_ERR_NOTFOUND)
			return r;
	}
	r = store_key_insert(db, t->hash, t->prefix, t->name, t->user,
	    t->limit, &t->id);
	if (r == PF_ERR_DB && strcmp(pf_db_sqlstate(db), "23503") == 0) {
		ctl_warnx("no such user: %s (add it with \"polarctl user add "
		    "%s\")", t->user, t->user);
		return PF_ERR_NOTFOUND;
	}
	if (r != PF_OK)
		return r;
	details = json_pack("{s:I, s:s}", "key_id", (json_int_t)t->id,
	    "key_prefix", t->prefix);
	r = store_audit(db, t->ctl->actor, "key.create", t->user, details);
	json_decref(details);
	return r;
}

int
cmd_key_create(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	struct key_tx	 t;
	const char	*user = NULL, *name = "", *limit_s = NULL;
	char		 key[PF_CRYPTO_API_KEY_SIZE];
	char		 hash[PF_CRYPTO_SHA256_HEX_SIZE];
	char		 prefix[KEY_PREFIX_LEN + 1];
	char		*end;
	long		 limit;
	int		 r;

	if (ctl_opt(&argc, argv, "user", 'u', &user) == PF_ERR_INVALID ||
	    ctl_opt(&argc, argv, "name", 'n', &name) == PF_ERR_INVALID ||
	    ctl_opt(&argc, argv, "rate-limit", 'r', &limit_s) ==
	    PF_ERR_INVALID || argc != 0) {
		ctl_warnx("usage: polarctl key create [--user user_id] "
		    "[--name name] [--rate-limit n]");
		return PF_ERR_INVALID;
	}
	limit = ctl->cfg->api_rate_limit;
	if (limit_s != NULL) {
		errno = 0;
		limit = strtol(limit_s, &end, 10);
		if (*limit_s == '\0' || *end != '\0' || errno != 0 ||
		    limit < 1 || limit > 100000000) {
			ctl_warnx("invalid --rate-limit \"%.32s\": an integer "
			    "from 1 to 100000000", limit_s);
			return PF_ERR_INVALID;
		}
	}
	if (user != NULL && !pf_user_id_valid(user)) {
		ctl_warnx("invalid user id \"%.100s\"", user);
		return PF_ERR_INVALID;
	}
	if (strlen(name) > KEY_NAME_MAX) {
		ctl_warnx("--name is longer than %d characters", KEY_NAME_MAX);
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = key_new(key, hash, prefix)) != PF_OK) {
		ctl_warnx("could not generate a key: %s", pf_strerror(r));
		return r;
	}
	t = (struct key_tx){ .ctl = ctl, .user = user, .name = name,
	    .limit = (int)limit, .hash = hash, .prefix = prefix };
	if ((r = ctl_tx(db, create_tx, &t, "create a key")) != PF_OK)
		return r;
	print_new_key(ctl, db, t.id, key);
	return PF_OK;
}

int
cmd_key_list(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	const char	*user = NULL;
	PGresult	*res;
	int		 r;

	if (ctl_opt(&argc, argv, "user", 'u', &user) == PF_ERR_INVALID ||
	    argc != 0) {
		ctl_warnx("usage: polarctl key list [--user user_id]");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_key_list(db, user, &res)) != PF_OK) {
		ctl_warnx("could not list keys: %s", pf_db_errmsg(db));
		return r;
	}
	out_list(ctl, res, key_cols);
	return PF_OK;
}

/* Accepts a numeric id or a key prefix ("pfk_" + 8 hex). */
static int
key_ref(struct ctl *ctl, struct pf_db *db, const char *ref, int64_t *id)
{
	char		*end;
	long long	 v;
	int		 r;

	if (strncmp(ref, "pfk_", 4) == 0) {
		if (strlen(ref) < KEY_PREFIX_LEN) {
			ctl_warnx("key prefix \"%.60s\" is too short: give "
			    "pfk_ and 8 hex digits", ref);
			return PF_ERR_INVALID;
		}
		/* A whole key also works: its first 12 characters. */
		char prefix[KEY_PREFIX_LEN + 1];
		memcpy(prefix, ref, KEY_PREFIX_LEN);
		prefix[KEY_PREFIX_LEN] = '\0';
		r = store_key_find_prefix(db, prefix, id);
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("no key with prefix %s", prefix);
		else if (r == PF_ERR_EXISTS)
			ctl_warnx("several keys share prefix %s: use the id",
			    prefix);
		else if (r != PF_OK)
			ctl_warnx("could not look up the key: %s",
			    pf_db_errmsg(db));
		return r;
	}
	errno = 0;
	v = strtoll(ref, &end, 10);
	if (*ref == '\0' || *end != '\0' || errno != 0 || v < 1) {
		ctl_warnx("\"%.60s\" is neither a key id nor a key prefix",
		    ref);
		return PF_ERR_INVALID;
	}
	(void)ctl;
	*id = (int64_t)v;
	return PF_OK;
}

/* Revokes key t->id, or replaces it by t->hash when that is set. */
static int
change_tx(struct pf_db *db, void *arg)
{
	struct key_tx	*t = arg;
	json_t		*details;
	int		 r;

	if (t->hash != NULL)
		r = store_key_replace(db, t->id, t->hash, t->prefix);
	else
		r = store_key_revoke(db, t->id);
	if (r == PF_ERR_NOTFOUND) {
		ctl_warnx("no key with id %" PRId64, t->id);
		return r;
	}
	if (r != PF_OK)
		return r;
	if (t->hash != NULL)
		details = json_pack("{s:I, s:s}", "key_id", (json_int_t)t->id,
		    "key_prefix", t->prefix);
	else
		details = json_pack("{s:I}", "key_id", (json_int_t)t->id);
	r = store_audit(db, t->ctl->actor, t->hash != NULL ?
	    "key.regenerate" : "key.revoke", NULL, details);
	json_decref(details);
	return r;
}

int
cmd_key_revoke(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	int64_t		 id;
	json_t		*doc;
	int		 r;

	if (argc != 1) {
		ctl_warnx("usage: polarctl key revoke <id | prefix>");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK ||
	    (r = key_ref(ctl, db, argv[0], &id)) != PF_OK)
		return r;
	if ((r = ctl_tx(db, change_tx, &(struct key_tx){ .ctl = ctl,
	    .id = id }, "revoke key")) != PF_OK)
		return r;
	if (ctl->json) {
		doc = json_pack("{s:I, s:b}", "id", (json_int_t)id, "revoked",
		    1);
		out_json(doc);
		json_decref(doc);
	} else
		printf("key %" PRId64 " revoked\n", id);
	return PF_OK;
}

int
cmd_key_regenerate(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	char		 key[PF_CRYPTO_API_KEY_SIZE];
	char		 hash[PF_CRYPTO_SHA256_HEX_SIZE];
	char		 prefix[KEY_PREFIX_LEN + 1];
	int64_t		 id;
	int		 r;

	if (argc != 1) {
		ctl_warnx("usage: polarctl key regenerate <id | prefix>");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK ||
	    (r = key_ref(ctl, db, argv[0], &id)) != PF_OK)
		return r;
	if ((r = key_new(key, hash, prefix)) != PF_OK) {
		ctl_warnx("could not generate a key: %s", pf_strerror(r));
		return r;
	}
	if ((r = ctl_tx(db, change_tx, &(struct key_tx){ .ctl = ctl,
	    .id = id, .hash = hash, .prefix = prefix }, "regenerate key")) !=
	    PF_OK)
		return r;
	print_new_key(ctl, db, id, key);
	return PF_OK;
}
