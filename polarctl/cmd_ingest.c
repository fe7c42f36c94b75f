/*
 * cmd_ingest.c -- "ingest list|show|replay": the stored Apple Health
 * pushes (raw_ingestions).
 *
 * replay runs the same parse-and-store code as a push (common/ingest.c)
 * on the stored chunks, one at a time: after a parser fix it restores
 * what a push missed, and since every write is an idempotent upsert a
 * replay of a body already processed changes nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/db.h"
#include "common/err.h"
#include "common/ingest.h"

#include "polarctl.h"

static const struct out_col list_cols[] = {
	{ "id", "ID" }, { "user_id", "USER" }, { "received_at", "RECEIVED" },
	{ "payload_size", "BYTES" }, { "status", "STATUS" },
	{ "error_count", "ERRORS" }, { "replays", "REPLAYS" },
	{ NULL, NULL },
};

static const struct out_col show_cols[] = {
	{ "id", "id" }, { "user_id", "user" }, { "received_at", "received" },
	{ "payload_size", "bytes" }, { "payload_sha256", "sha256" },
	{ "content_type", "content type" }, { "chunks", "chunks" },
	{ "status", "status" }, { "processed_at", "processed" },
	{ "replays", "replays" }, { "error_count", "errors" },
	{ "counts", "counts" }, { "errors", "first errors" },
	{ NULL, NULL },
};

static int
ingest_id(const char *s, int64_t *id)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 1) {
		ctl_warnx("not an ingestion id: %.60s", s);
		return PF_ERR_INVALID;
	}
	*id = v;
	return PF_OK;
}

int
cmd_ingest_list(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	const char	*user = NULL, *status = NULL, *limit = "50";
	PGresult	*res;
	int		 r;

	if (ctl_opt(&argc, argv, "user", 'u', &user) == PF_ERR_INVALID ||
	    ctl_opt(&argc, argv, "status", 's', &status) == PF_ERR_INVALID ||
	    ctl_opt(&argc, argv, "limit", 'n', &limit) == PF_ERR_INVALID ||
	    argc != 0 || atoi(limit) < 1) {
		ctl_warnx("usage: polarctl ingest list [--user user_id] "
		    "[--status status] [--limit n]");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_ingest_list(db, user, status, atoi(limit), &res)) !=
	    PF_OK) {
		ctl_warnx("could not list ingestions: %s", pf_db_errmsg(db));
		return r;
	}
	out_list(ctl, res, list_cols);
	return PF_OK;
}

int
cmd_ingest_show(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*res;
	json_t		*rows;
	int64_t		 id;
	int		 r;

	if (argc != 1) {
		ctl_warnx("usage: polarctl ingest show <id>");
		return PF_ERR_INVALID;
	}
	if ((r = ingest_id(argv[0], &id)) != PF_OK)
		return r;
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_ingest_get(db, id, &res)) != PF_OK) {
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("no ingestion %" PRId64, id);
		else
			ctl_warnx("could not read ingestion %" PRId64 ": %s",
			    id, pf_db_errmsg(db));
		return r;
	}
	rows = out_rows(res);
	PQclear(res);
	if (ctl->json)
		out_json(json_array_get(rows, 0));
	else
		out_fields(json_array_get(rows, 0), show_cols);
	json_decref(rows);
	return PF_OK;
}

int
cmd_ingest_replay(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db		*db;
	struct pf_ingest	*g = NULL;
	PGresult		*res = NULL;
	json_t			*report = NULL;
	char			 uid[256];
	int64_t			 id;
	int			 r, seq, status;

	if (argc != 1) {
		ctl_warnx("usage: polarctl ingest replay <id>");
		return PF_ERR_INVALID;
	}
	if ((r = ingest_id(argv[0], &id)) != PF_OK)
		return r;
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_ingest_user(db, id, uid, sizeof(uid))) != PF_OK) {
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("no ingestion %" PRId64, id);
		else
			ctl_warnx("could not read ingestion %" PRId64 ": %s",
			    id, pf_db_errmsg(db));
		return r;
	}
	(void)pf_db_exec(db, NULL, "SET TimeZone = 'UTC'", 0, NULL);
	if ((g = pf_ingest_new(db, uid, id)) == NULL) {
		ctl_warnx("could not start the replay: %s", pf_db_errmsg(db));
		return PF_ERR_DB;
	}
	for (seq = 0;; seq++) {
		if ((r = pf_ingest_raw_read(db, uid, id, seq, &res)) < 0) {
			ctl_warnx("could not read chunk %d: %s", seq,
			    pf_db_errmsg(db));
			goto out;
		}
		if (r == 0)
			break;
		r = pf_ingest_feed(g, PQgetvalue(res, 0, 0),
		    (size_t)PQgetlength(res, 0, 0));
		PQclear(res);
		res = NULL;
		if (r != PF_OK) {
			ctl_warnx("replay stopped: %s", pf_db_errmsg(db));
			goto out;
		}
	}
	if ((r = pf_ingest_finish(g, true, &report, &status)) != PF_OK) {
		ctl_warnx("replay failed: %s", pf_db_errmsg(db));
		goto out;
	}
	if (ctl->json)
		out_json(report);
	else
		printf("ingestion %" PRId64 " replayed: %s, %" JSON_INTEGER_FORMAT
		    " samples stored, %" JSON_INTEGER_FORMAT " item errors\n",
		    id, json_string_value(json_object_get(report,
		    "processing_status")), json_integer_value(
		    json_object_get(report, "samples_stored")),
		    json_integer_value(json_object_get(report,
		    "error_count")));
	r = status == 422 ? PF_ERR_PARSE : PF_OK;
out:
	PQclear(res);
	json_decref(report);
	pf_ingest_free(g);
	return r;
}
