/*
 * migrate.c -- "db migrate" and "db status".
 *
 * The migrations are compiled in (tools/gensql.sh), so a binary always
 * applies exactly the schema it was built against.  Each file runs in its
 * own transaction under a session advisory lock, and its SHA-256 is
 * recorded; a file whose text changed after it was applied is refused,
 * because migrations are forward-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "pf_schema.h"

#include "polarctl.h"

enum mstate { M_PENDING, M_APPLIED, M_CHANGED };

struct mrow {
	enum mstate	 state;
	char		 checksum[PF_CRYPTO_SHA256_HEX_SIZE];
	const char	*applied_at;	/* borrowed from the result */
};

static const char *const state_names[] = { "pending", "applied", "changed" };

/*
 * Compares the compiled-in migrations with schema_migrations.  rows[i]
 * describes pf_migrations[i]; *unknown counts applied versions this build
 * does not know (a newer polarctl migrated the database).
 */
static int
compare(PGresult *applied, struct mrow *rows, json_t *unknown)
{
	size_t		 i;
	int		 n, version, changed = 0;
	const char	*sum;

	for (i = 0; i < pf_migrations_count; i++) {
		rows[i].state = M_PENDING;
		rows[i].applied_at = NULL;
		pf_crypto_sha256_hex(pf_migrations[i].sql,
		    pf_migrations[i].len, rows[i].checksum);
	}
	for (n = 0; n < PQntuples(applied); n++) {
		if (pf_db_get_int(applied, n, 0, &version) != PF_OK)
			continue;
		sum = PQgetvalue(applied, n, 2);
		for (i = 0; i < pf_migrations_count; i++)
			if (pf_migrations[i].version == version)
				break;
		if (i == pf_migrations_count) {
			json_array_append_new(unknown, json_pack("{s:i, s:s}",
			    "version", version, "name",
			    PQgetvalue(applied, n, 1)));
			continue;
		}
		rows[i].applied_at = PQgetvalue(applied, n, 3);
		if (strcmp(sum, rows[i].checksum) == 0)
			rows[i].state = M_APPLIED;
		else {
			rows[i].state = M_CHANGED;
			changed++;
		}
	}
	return changed;
}

static int
load(struct ctl *ctl, struct pf_db **db, PGresult **applied,
    struct mrow **rows, json_t **unknown, int *changed)
{
	int	r;

	if ((r = ctl_db(ctl, db)) != PF_OK)
		return r;
	if ((r = store_migrate_lock(*db)) != PF_OK) {
		ctl_warnx("could not lock the migrations: %s",
		    pf_db_errmsg(*db));
		return r;
	}
	if ((r = store_migrations_applied(*db, applied)) != PF_OK) {
		ctl_warnx("could not read schema_migrations: %s",
		    pf_db_errmsg(*db));
		return r;
	}
	*rows = calloc(pf_migrations_count + 1, sizeof(**rows));
	*unknown = json_array();
	if (*rows == NULL || *unknown == NULL) {
		ctl_warnx("out of memory");
		return PF_ERR_NOMEM;
	}
	*changed = compare(*applied, *rows, *unknown);
	return PF_OK;
}

int
cmd_db_status(struct ctl *ctl, int argc, char **argv)
{
	static const struct out_col cols[] = {
		{ "version", "VERSION" }, { "name", "NAME" },
		{ "state", "STATE" }, { "applied_at", "APPLIED" },
		{ NULL, NULL },
	};
	struct pf_db	*db;
	PGresult	*applied = NULL;
	struct mrow	*rows = NULL;
	json_t		*unknown = NULL, *list = NULL, *doc = NULL;
	size_t		 i;
	int		 r, changed, current = 0, pending = 0;

	(void)argc;
	(void)argv;
	if ((r = load(ctl, &db, &applied, &rows, &unknown, &changed)) != PF_OK)
		goto out;
	list = json_array();
	for (i = 0; i < pf_migrations_count; i++) {
		json_array_append_new(list, json_pack("{s:i, s:s, s:s, s:s?, "
		    "s:s}", "version", pf_migrations[i].version, "name",
		    pf_migrations[i].name, "state", state_names[rows[i].state],
		    "applied_at", rows[i].applied_at, "checksum",
		    rows[i].checksum));
		if (rows[i].state == M_PENDING)
			pending++;
		else if (pf_migrations[i].version > current)
			current = pf_migrations[i].version;
	}
	if (ctl->json) {
		doc = json_pack("{s:i, s:i, s:i, s:i, s:O, s:O}",
		    "schema_version", current, "build_version",
		    PF_SCHEMA_VERSION, "pending", pending, "changed", changed,
		    "migrations", list, "unknown", unknown);
		out_json(doc);
	} else {
		out_table(list, cols);
		printf("\nschema version %d, this build %d: %d pending, "
		    "%d changed after being applied\n", current,
		    PF_SCHEMA_VERSION, pending, changed);
		for (i = 0; i < json_array_size(unknown); i++)
			printf("applied but unknown to this build: %s\n",
			    json_string_value(json_object_get(json_array_get(
			    unknown, i), "name")));
	}
	store_migrate_unlock(db);
	r = changed ? PF_ERR_INVALID : PF_OK;
out:
	json_decref(doc);
	json_decref(list);
	json_decref(unknown);
	free(rows);
	PQclear(applied);
	return r;
}

int
cmd_db_migrate(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*applied = NULL;
	struct mrow	*rows = NULL;
	json_t		*unknown = NULL, *done = NULL, *doc = NULL;
	size_t		 i;
	int		 r, changed;

	(void)argc;
	(void)argv;
	if ((r = load(ctl, &db, &applied, &rows, &unknown, &changed)) != PF_OK)
		goto out;
	if (changed) {
		for (i = 0; i < pf_migrations_count; i++)
			if (rows[i].state == M_CHANGED)
				ctl_warnx("migration %s was changed after it "
				    "was applied; migrations are forward-only: "
				    "add a new file instead",
				    pf_migrations[i].name);
		r = PF_ERR_INVALID;
		goto unlock;
	}
	done = json_array();
	for (i = 0; i < pf_migrations_count; i++) {
		if (rows[i].state != M_PENDING)
			continue;
		if (!ctl->json) {
			printf("applying %s ... ", pf_migrations[i].name);
			fflush(stdout);
		}
		r = store_migration_apply(db, pf_migrations[i].version,
		    pf_migrations[i].name, pf_migrations[i].sql,
		    rows[i].checksum, ctl->actor);
		if (r != PF_OK) {
			if (!ctl->json)
				printf("failed\n");
			ctl_warnx("migration %s failed: %s",
			    pf_migrations[i].name, pf_db_errmsg(db));
			goto unlock;
		}
		if (!ctl->json)
			printf("ok\n");
		json_array_append_new(done, json_string(
		    pf_migrations[i].name));
	}
	if (ctl->json) {
		doc = json_pack("{s:O, s:i}", "applied", done,
		    "schema_version", PF_SCHEMA_VERSION);
		out_json(doc);
	} else if (json_array_size(done) == 0)
		printf("schema is up to date (version %d)\n",
		    PF_SCHEMA_VERSION);
	else
		printf("schema is now at version %d\n", PF_SCHEMA_VERSION);
	r = PF_OK;
unlock:
	store_migrate_unlock(db);
out:
	json_decref(doc);
	json_decref(done);
	json_decref(unknown);
	free(rows);
	PQclear(applied);
	return r;
}
