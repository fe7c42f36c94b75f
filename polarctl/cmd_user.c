/*
 * cmd_user.c -- "user add|list|show|delete".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/db.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/ipc.h"
#include "common/msg.h"

#include "polarctl.h"

/* Polar's answer (its own timeouts and retries) and the erasure. */
#define USER_DELETE_TIMEOUT_MS	120000

static int
need_user_arg(int argc, char **argv, const char *cmd)
{
	if (argc != 1) {
		ctl_warnx("usage: polarctl %s <user_id>", cmd);
		return PF_ERR_INVALID;
	}
	if (!pf_user_id_valid(argv[0])) {
		ctl_warnx("invalid user id \"%.100s\": 1-100 characters of "
		    "A-Z a-z 0-9 _ -", argv[0]);
		return PF_ERR_INVALID;
	}
	return PF_OK;
}

/* What a user command's transaction works on. */
struct user_tx {
	struct ctl	*ctl;
	const char	*user_id;
	json_t		*counts;	/* delete: rows removed per table */
	long long	 total;		/* delete: their sum */
};

static int
add_tx(struct pf_db *db, void *arg)
{
	struct user_tx	*t = arg;
	int		 r;

	if ((r = store_user_add(db, t->user_id)) == PF_ERR_EXISTS)
		ctl_warnx("user %s already exists", t->user_id);
	if (r != PF_OK)
		return r;
	return store_audit(db, t->ctl->actor, "user.add", t->user_id, NULL);
}

int
cmd_user_add(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	json_t		*doc;
	char		 what[128];
	int		 r;

	if ((r = need_user_arg(argc, argv, "user add")) != PF_OK)
		return r;
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	snprintf(what, sizeof(what), "add user %s", argv[0]);
	if ((r = ctl_tx(db, add_tx, &(struct user_tx){ .ctl = ctl,
	    .user_id = argv[0] }, what)) != PF_OK)
		return r;
	if (ctl->json) {
		doc = json_pack("{s:s, s:b}", "user_id", argv[0], "created",
		    1);
		out_json(doc);
		json_decref(doc);
	} else
		printf("user %s added\n", argv[0]);
	return PF_OK;
}

static const struct out_col user_cols[] = {
	{ "user_id", "USER" }, { "is_active", "ACTIVE" },
	{ "has_token", "TOKEN" }, { "needs_reauth", "REAUTH" },
	{ "active_keys", "KEYS" }, { "last_synced_at", "LAST SYNC" },
	{ "created_at", "CREATED" }, { NULL, NULL },
};

int
cmd_user_list(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*res;
	int		 r;

	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl user list");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_user_list(db, &res)) != PF_OK) {
		ctl_warnx("could not list users: %s", pf_db_errmsg(db));
		return r;
	}
	out_list(ctl, res, user_cols);
	return PF_OK;
}

int
cmd_user_show(struct ctl *ctl, int argc, char **argv)
{
	static const struct out_col cols[] = {
		{ "user_id", "user:" }, { "is_active", "active:" },
		{ "has_token", "polar token:" },
		{ "needs_reauth", "needs re-authorisation:" },
		{ "reauth_reason", "reason:" },
		{ "consent_missing", "consent missing:" },
		{ "active_keys", "active api keys:" },
		{ "last_synced_at", "last sync:" },
		{ "last_sync_status", "last sync status:" },
		{ "next_sync_due", "next sync due:" },
		{ "created_at", "created:" }, { NULL, NULL },
	};
	struct pf_db	*db;
	PGresult	*res = NULL, *counts = NULL;
	json_t		*rows = NULL, *user, *streams = NULL;
	const char	*k;
	json_t		*v;
	int		 r;

	if ((r = need_user_arg(argc, argv, "user show")) != PF_OK)
		return r;
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_user_get(db, argv[0], &res)) != PF_OK) {
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("no such user: %s", argv[0]);
		else
			ctl_warnx("could not read user %s: %s", argv[0],
			    pf_db_errmsg(db));
		goto out;
	}
	if ((r = store_user_stream_counts(db, argv[0], &counts)) != PF_OK) {
		ctl_warnx("could not count rows: %s", pf_db_errmsg(db));
		goto out;
	}
	rows = out_rows(res);
	user = json_array_get(rows, 0);
	streams = out_rows(counts);
	json_object_set(user, "streams", json_array_get(streams, 0));
	if (ctl->json)
		out_json(user);
	else {
		out_fields(user, cols);
		printf("rows:\n");
		json_object_foreach(json_array_get(streams, 0), k, v)
			printf("  %-24s %lld\n", k,
			    (long long)json_integer_value(v));
	}
out:
	json_decref(rows);
	json_decref(streams);
	PQclear(res);
	PQclear(counts);
	return r;
}

static int
delete_tx(struct pf_db *db, void *arg)
{
	struct user_tx	*t = arg;
	json_t		*v;
	const char	*k;
	int		 r;

	json_decref(t->counts);	/* a retried transaction starts over */
	t->total = 0;
	r = store_user_delete(db, t->user_id, t->ctl->actor, &t->counts);
	if (r == PF_ERR_NOTFOUND) {
		ctl_warnx("no such user: %s", t->user_id);
		return r;
	}
	if (r != PF_OK)
		return r;
	/* the function audits the erasure, without naming the user */
	json_object_foreach(t->counts, k, v)
		t->total += json_integer_value(v);
	return PF_OK;
}

/* Prints what was erased: rows per table, and Polar's part when known. */
static void
delete_report(struct ctl *ctl, const char *user_id, json_t *rows,
    const json_t *polar)
{
	json_t		*v, *doc;
	const char	*k, *perr;
	long long	 total = 0;

	json_object_foreach(rows, k, v)
		total += json_integer_value(v);
	if (ctl->json) {
		doc = json_pack("{s:s, s:b, s:O}", "user_id", user_id,
		    "deleted", 1, "rows", rows);
		if (polar != NULL)
			json_object_update(doc, (json_t *)polar);
		out_json(doc);
		json_decref(doc);
		return;
	}
	printf("user %s deleted (%lld rows):\n", user_id, total);
	json_object_foreach(rows, k, v)
		printf("  %-24s %lld\n", k, (long long)json_integer_value(v));
	if (polar == NULL)
		printf("not deregistered at Polar (--no-polar)\n");
	else if (json_is_true(json_object_get(polar, "polar_deregistered")))
		printf("deregistered at Polar\n");
	else {
		perr = json_string_value(json_object_get(polar, "polar_error"));
		printf("not deregistered at Polar: %s\n", perr ? perr : "?");
	}
}

/*
 * syncd deregisters the user at Polar with their token, then erases the
 * rows; with --no-polar (syncd down, or the registration already gone)
 * the rows are erased here and Polar is not told.
 */
int
cmd_user_delete(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db		*db;
	struct user_tx		 t = { .ctl = ctl };
	struct pf_msg_user_delete m;
	json_t			*msg, *reply = NULL, *polar;
	char			 what[128];
	bool			 no_polar = false;
	int			 i, r;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--no-polar") == 0) {
			no_polar = true;
			memmove(&argv[i], &argv[i + 1],
			    (size_t)(argc - i) * sizeof(*argv));
			argc--;
			break;
		}
	if ((r = need_user_arg(argc, argv, "user delete [--no-polar]")) !=
	    PF_OK)
		return r;
	if (!no_polar) {
		m.user_id = argv[0];
		msg = pf_msg_user_delete_pack(&m);
		r = ctl_call(ctl, "syncd", msg, &reply, USER_DELETE_TIMEOUT_MS,
		    true);
		json_decref(msg);
		if (r == PF_ERR_CLOSED) {
			ctl_warnx("syncd is not running, so user %s cannot be "
			    "deregistered at Polar; start it, or give "
			    "--no-polar to erase the rows only", argv[0]);
			return r;
		}
		if (r != PF_OK) {
			const char	*why = NULL;

			if (reply != NULL)
				pf_ipc_reply_error(reply, &why);
			ctl_warnx("%s", why ? why : pf_strerror(r));
			json_decref(reply);
			return r;
		}
		polar = json_pack("{s:O}", "polar_deregistered",
		    json_object_get(reply, "polar_deregistered"));
		if (json_object_get(reply, "polar_error") != NULL)
			json_object_set(polar, "polar_error",
			    json_object_get(reply, "polar_error"));
		delete_report(ctl, argv[0], json_object_get(reply, "rows"),
		    polar);
		json_decref(polar);
		json_decref(reply);
		return PF_OK;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	t.user_id = argv[0];
	snprintf(what, sizeof(what), "delete user %s", argv[0]);
	if ((r = ctl_tx(db, delete_tx, &t, what)) == PF_OK)
		delete_report(ctl, argv[0], t.counts, NULL);
	json_decref(t.counts);
	return r;
}
