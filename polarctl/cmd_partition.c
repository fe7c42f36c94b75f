/*
 * cmd_partition.c -- "db partitions": the monthly partitions of the
 * history tables and their sizes, and with --split the online part of
 * sql/0019: the months still in a table's default partition are moved to
 * partitions of their own, one month per transaction, so that syncd and
 * the readers wait at most for one month's move at a time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/db.h"
#include "common/err.h"

#include "polarctl.h"

static const char *const history_tables[] = { "activity_samples",
    "continuous_heart_rate", "health_samples", NULL };

static const struct out_col part_cols[] = {
	{ "table", "TABLE" }, { "partition", "PARTITION" },
	{ "bound", "BOUND" }, { "rows", "ROWS~" }, { "size", "SIZE" },
	{ NULL, NULL },
};

static const struct out_col split_cols[] = {
	{ "table", "TABLE" }, { "months", "MONTHS" }, { "rows", "ROWS" },
	{ NULL, NULL },
};

/* Moves every month out of one table's default partition. */
static int
split_table(struct pf_db *db, const char *table, json_t *done)
{
	int64_t	 moved, rows = 0;
	int	 months = 0, r;

	for (;;) {
		if ((r = store_partition_split(db, table, &moved)) != PF_OK) {
			ctl_warnx("could not split %s: %s", table,
			    pf_db_errmsg(db));
			return r;
		}
		if (moved <= 0)
			break;
		months++;
		rows += moved;
	}
	json_array_append_new(done, json_pack("{s:s, s:i, s:I}", "table",
	    table, "months", months, "rows", (json_int_t)rows));
	return PF_OK;
}

int
cmd_db_partitions(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*res = NULL;
	json_t		*rows = NULL, *done = NULL;
	bool		 split = false;
	size_t		 i;
	int		 r;

	if (argc == 1 && strcmp(argv[0], "--split") == 0)
		split = true;
	else if (argc != 0) {
		ctl_warnx("usage: polarctl db partitions [--split]");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if (split) {
		if ((done = json_array()) == NULL) {
			r = PF_ERR_NOMEM;
			goto out;
		}
		for (i = 0; history_tables[i] != NULL; i++)
			if ((r = split_table(db, history_tables[i], done)) !=
			    PF_OK)
				goto out;
		if (ctl->json)
			out_json(done);
		else
			out_table(done, split_cols);
		r = PF_OK;
		goto out;
	}
	if ((r = store_partition_list(db, &res)) != PF_OK) {
		ctl_warnx("could not list the partitions: %s",
		    pf_db_errmsg(db));
		goto out;
	}
	rows = out_rows(res);
	if (ctl->json)
		out_json(rows);
	else
		out_table(rows, part_cols);
	r = PF_OK;
out:
	PQclear(res);
	json_decref(rows);
	json_decref(done);
	return r;
}
