/*
 * cmd_export.c -- "export": one user's data on standard output.
 *
 * Every stream is read through a cursor inside one read-only snapshot
 * (store_export_begin) and written row by row as it arrives, so memory
 * stays flat however long the history, and the export is consistent even
 * while syncd and analyticsd write.  Values are written from the server's
 * text, never through a C double, so numbers and jsonb come out exactly as
 * stored.  Times are RFC 3339 in UTC, like the rest of polarctl's output.
 *
 * JSON (the default, and what -j asks for):
 *	{"user_id":"...","exported_at":"...","days":N|null,"streams":{
 *	"sleep":[
 *	{"user_id":"...","date":"2026-01-05",...},
 *	...
 *	],
 *	...}}
 * one row per line, every column under its own name; integers, floats
 * and numerics are numbers (NaN and infinities, which JSON lacks, are
 * strings), booleans are booleans, json and jsonb columns are embedded
 * as JSON, NULL is null, everything else is a string.
 *
 * CSV (RFC 4180 with LF line ends): exactly one stream, a header row of
 * the column names, then the rows.  A field holding a comma, a quote, CR
 * or LF is quoted with its quotes doubled.  As in PostgreSQL's COPY CSV, a
 * NULL is an empty field and an empty string is "", so the two stay
 * apart; booleans are true/false and jsonb is its JSON text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/db.h"
#include "common/err.h"
#include "common/ident.h"

#include "polarctl.h"

#define DAYS_MAX	36500		/* a century */
#define USAGE		"usage: polarctl export <user_id> " \
			"[--format csv | json] [--stream stream] [--days n]"

enum fmt {
	FMT_JSON,
	FMT_CSV,
};

/* How a column is written, from its type OID. */
enum kind {
	K_STR,
	K_NUM,
	K_BOOL,
	K_JSON,
	K_TIME,
};

static enum kind
kind_of(Oid oid)
{
	switch (oid) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return K_NUM;
	case OID_BOOL:
		return K_BOOL;
	case OID_JSON:
	case OID_JSONB:
		return K_JSON;
	case OID_TIMESTAMPTZ:
		return K_TIME;
	}
	return K_STR;
}

/*
 * A timestamptz as RFC 3339.  The snapshot runs in UTC, so the server
 * writes "2026-01-05 23:11:00[.ffffff]+00"; anything else (infinity) is
 * kept as it is.
 */
static const char *
time_text(const char *s, char *buf, size_t len)
{
	size_t	n = strlen(s);

	if (n < 19 || n > len || s[10] != ' ' || strcmp(s + n - 3, "+00") != 0)
		return s;
	memcpy(buf, s, n - 3);
	buf[10] = 'T';
	buf[n - 3] = 'Z';
	buf[n - 2] = '\0';
	return buf;
}

/* The server writes finite numbers as JSON numbers; not NaN, Infinity. */
static bool
is_number(const char *s)
{
	if (*s == '-')
		s++;
	return *s >= '0' && *s <= '9';
}

/* jansson does the escaping; it refuses text that is not UTF-8. */
static int
put_string(FILE *fp, const char *s)
{
	json_t	*j;
	int	 r;

	if ((j = json_string(s)) == NULL)
		return PF_ERR_PARSE;
	r = json_dumpf(j, fp, JSON_ENCODE_ANY) == 0 ? PF_OK : PF_ERR_IO;
	json_decref(j);
	return r;
}

static int
put_row(FILE *fp, const PGresult *res, int row, const enum kind *kinds)
{
	const char	*v;
	char		 tbuf[64];
	int		 c, r = PF_OK;

	fputc('{', fp);
	for (c = 0; c < PQnfields(res) && r == PF_OK; c++) {
		if (c > 0)
			fputc(',', fp);
		if ((r = put_string(fp, PQfname(res, c))) != PF_OK)
			break;
		fputc(':', fp);
		if (PQgetisnull(res, row, c)) {
			fputs("null", fp);
			continue;
		}
		v = PQgetvalue(res, row, c);
		switch (kinds[c]) {
		case K_BOOL:
			fputs(v[0] == 't' ? "true" : "false", fp);
			break;
		case K_NUM:
			if (is_number(v))
				fputs(v, fp);
			else
				r = put_string(fp, v);
			break;
		case K_JSON:
			/* The server has checked it; jsonb's text is JSON. */
			fputs(v, fp);
			break;
		case K_TIME:
			r = put_string(fp, time_text(v, tbuf, sizeof(tbuf)));
			break;
		case K_STR:
			r = put_string(fp, v);
			break;
		}
	}
	fputc('}', fp);
	return r;
}

void
export_csv_field(FILE *fp, const char *s)
{
	if (s == NULL)
		return;
	if (*s != '\0' && strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
csv_header(FILE *fp, const PGresult *res)
{
	int	c;

	for (c = 0; c < PQnfields(res); c++) {
		if (c > 0)
			fputc(',', fp);
		export_csv_field(fp, PQfname(res, c));
	}
	fputc('\n', fp);
}

static void
csv_row(FILE *fp, const PGresult *res, int row, const enum kind *kinds)
{
	const char	*v;
	char		 tbuf[64];
	int		 c;

	for (c = 0; c < PQnfields(res); c++) {
		if (c > 0)
			fputc(',', fp);
		if (PQgetisnull(res, row, c))
			continue;
		v = PQgetvalue(res, row, c);
		if (kinds[c] == K_BOOL)
			v = v[0] == 't' ? "true" : "false";
		else if (kinds[c] == K_TIME)
			v = time_text(v, tbuf, sizeof(tbuf));
		export_csv_field(fp, v);
	}
	fputc('\n', fp);
}

/*
 * Writes stream i: in JSON its member of "streams" (first says whether a
 * comma goes before it), in CSV the header and the rows.
 */
static int
export_stream(struct pf_db *db, size_t i, const char *user_id,
    const char *days, enum fmt fmt, bool first, FILE *fp)
{
	const char	*name = store_export_stream(i);
	PGresult	*res = NULL;
	enum kind	*kinds = NULL;
	long long	 nrows = 0;
	int		 row, c, r;

	if ((r = store_export_open(db, i, user_id, days)) != PF_OK) {
		ctl_warnx("could not read %s: %s", name, pf_db_errmsg(db));
		return r;
	}
	if (fmt == FMT_JSON) {
		if (!first)
			fputs(",\n", fp);
		if ((r = put_string(fp, name)) != PF_OK)
			goto out;
		fputs(":[", fp);
	}
	for (;;) {
		if ((r = store_export_fetch(db, &res)) != PF_OK) {
			ctl_warnx("could not read %s: %s", name,
			    pf_db_errmsg(db));
			goto out;
		}
		/* Every batch has the same columns; the first names them. */
		if (kinds == NULL) {
			kinds = calloc((size_t)PQnfields(res) + 1,
			    sizeof(*kinds));
			if (kinds == NULL) {
				ctl_warnx("out of memory");
				r = PF_ERR_NOMEM;
				goto out;
			}
			for (c = 0; c < PQnfields(res); c++)
				kinds[c] = kind_of(PQftype(res, c));
			if (fmt == FMT_CSV)
				csv_header(fp, res);
		}
		if (PQntuples(res) == 0)
			break;
		for (row = 0; row < PQntuples(res); row++, nrows++) {
			if (fmt == FMT_CSV) {
				csv_row(fp, res, row, kinds);
				continue;
			}
			fputs(nrows > 0 ? ",\n" : "\n", fp);
			if ((r = put_row(fp, res, row, kinds)) != PF_OK) {
				if (r == PF_ERR_PARSE)
					ctl_warnx("%s row %lld is not valid "
					    "UTF-8", name, nrows + 1);
				goto out;
			}
		}
		PQclear(res);
		res = NULL;
		/* A closed pipe or a full disk: no point reading on. */
		if (ferror(fp)) {
			r = PF_ERR_IO;
			goto out;
		}
	}
	if (fmt == FMT_JSON)
		fputs(nrows > 0 ? "\n]" : "]", fp);
	if ((r = store_export_close(db)) != PF_OK)
		ctl_warnx("could not read %s: %s", name, pf_db_errmsg(db));
out:
	PQclear(res);
	free(kinds);
	return r;
}

/* "unknown stream" with the list of the valid ones. */
static int
find_stream(const char *name, size_t *out)
{
	const char	*s;
	size_t		 i;

	for (i = 0; (s = store_export_stream(i)) != NULL; i++) {
		if (strcmp(s, name) == 0) {
			*out = i;
			return PF_OK;
		}
	}
	fprintf(stderr, "polarctl: unknown stream \"%.64s\"; streams are:",
	    name);
	for (i = 0; (s = store_export_stream(i)) != NULL; i++)
		fprintf(stderr, "%s %s", i > 0 ? "," : "", s);
	fputc('\n', stderr);
	return PF_ERR_NOTFOUND;
}

int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*user = NULL;
	json_t		*details = NULL;
	const char	*format = NULL, *stream = NULL, *days_s = NULL;
	const char	*user_id;
	char		 days[16], exported_at[32], *end;
	enum fmt	 fmt;
	size_t		 i, one = 0;
	long		 n = 0;
	int		 r;

	if (ctl_opt(&argc, argv, "format", 0, &format) == PF_ERR_INVALID ||
	    ctl_opt(&argc, argv, "stream", 0, &stream) == PF_ERR_INVALID ||
	    ctl_opt(&argc, argv, "days", 0, &days_s) == PF_ERR_INVALID ||
	    argc != 1 || strncmp(argv[0], "--", 2) == 0) {
		ctl_warnx(USAGE);
		return PF_ERR_INVALID;
	}
	user_id = argv[0];
	if (!pf_user_id_valid(user_id)) {
		ctl_warnx("invalid user id \"%.100s\": 1-100 characters of "
		    "A-Z a-z 0-9 _ -", user_id);
		return PF_ERR_INVALID;
	}
	if (format == NULL || strcmp(format, "json") == 0)
		fmt = FMT_JSON;
	else if (strcmp(format, "csv") == 0)
		fmt = FMT_CSV;
	else {
		ctl_warnx("invalid --format \"%.32s\": csv or json", format);
		return PF_ERR_INVALID;
	}
	if (ctl->json && fmt == FMT_CSV) {
		ctl_warnx("-j asks for JSON but --format says csv");
		return PF_ERR_INVALID;
	}
	if (stream != NULL && find_stream(stream, &one) != PF_OK)
		return PF_ERR_INVALID;
	if (fmt == FMT_CSV && stream == NULL) {
		ctl_warnx("csv export needs --stream (one table per file)");
		return PF_ERR_INVALID;
	}
	if (days_s != NULL) {
		errno = 0;
		n = strtol(days_s, &end, 10);
		if (*days_s == '\0' || *end != '\0' || errno != 0 || n < 1 ||
		    n > DAYS_MAX) {
			ctl_warnx("invalid --days \"%.32s\": an integer from 1 "
			    "to %d", days_s, DAYS_MAX);
			return PF_ERR_INVALID;
		}
		snprintf(days, sizeof(days), "%ld", n);
	}

	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_export_begin(db, exported_at, sizeof(exported_at))) !=
	    PF_OK) {
		ctl_warnx("could not start the export: %s", pf_db_errmsg(db));
		return r;
	}
	if ((r = store_user_get(db, user_id, &user)) != PF_OK) {
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("no such user: %s", user_id);
		else
			ctl_warnx("could not read user %s: %s", user_id,
			    pf_db_errmsg(db));
		goto out;
	}
	if (fmt == FMT_JSON) {
		fputs("{\"user_id\":", stdout);
		put_string(stdout, user_id);	/* checked: A-Z a-z 0-9 _ - */
		printf(",\"exported_at\":\"%s\",\"days\":%s,\"streams\":{\n",
		    exported_at, days_s != NULL ? days : "null");
	}
	if (stream != NULL)
		r = export_stream(db, one, user_id, days_s != NULL ? days :
		    NULL, fmt, true, stdout);
	else
		for (i = 0; store_export_stream(i) != NULL && r == PF_OK; i++)
			r = export_stream(db, i, user_id, days_s != NULL ?
			    days : NULL, fmt, i == 0, stdout);
	if (r != PF_OK)
		goto out;
	if (fmt == FMT_JSON)
		fputs("\n}}\n", stdout);
	if ((r = pf_db_commit(db)) != PF_OK) {
		ctl_warnx("could not finish the export: %s", pf_db_errmsg(db));
		goto out;
	}
	/*
	 * Health data left the database: the audit log says who took what.
	 * Written after the read-only snapshot, so only a whole export counts.
	 */
	details = json_pack("{s:s, s:s, s:o}", "format",
	    fmt == FMT_CSV ? "csv" : "json", "stream", stream ? stream : "all",
	    "days", days_s != NULL ? json_integer(n) : json_null());
	if ((r = store_audit(db, ctl->actor, "user.export", user_id,
	    details)) != PF_OK)
		ctl_warnx("exported, but could not record it in the audit log: "
		    "%s", pf_db_errmsg(db));
out:
	if (r != PF_OK)
		pf_db_rollback(db);
	PQclear(user);
	json_decref(details);
	/* Half an export must not pass for a whole one. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (r == PF_OK || r == PF_ERR_IO)
			ctl_warnx("could not write the export: %s",
			    strerror(errno));
		if (r == PF_OK)
			r = PF_ERR_IO;
	}
	return r;
}
