/*
 * output.c -- what polarctl prints: aligned columns for people, JSON (-j)
 * for scripts.  Both come from the same json_t so they never disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/xmalloc.h"

#include "polarctl.h"

void
out_json(const json_t *v)
{
	char	*s;

	s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	if (s == NULL) {
		ctl_warnx("could not encode JSON output");
		return;
	}
	printf("%s\n", s);
	free(s);
}

static json_t *
cell(const PGresult *res, int row, int col)
{
	const char	*s;
	json_t		*j;

	if (PQgetisnull(res, row, col))
		return json_null();
	s = PQgetvalue(res, row, col);
	switch (PQftype(res, col)) {
	case OID_BOOL:
		return json_boolean(s[0] == 't');
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return json_integer(strtoll(s, NULL, 10));
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return json_real(strtod(s, NULL));
	case OID_JSON:
	case OID_JSONB:
		if ((j = json_loads(s, JSON_DECODE_ANY, NULL)) != NULL)
			return j;
		break;
	}
	return json_string(s);
}

/* Rows of res as an array of objects keyed by column name; caller owns. */
json_t *
out_rows(const PGresult *res)
{
	json_t	*rows, *obj;
	int	 r, c;

	rows = json_array();
	for (r = 0; r < PQntuples(res); r++) {
		obj = json_object();
		for (c = 0; c < PQnfields(res); c++)
			json_object_set_new(obj, PQfname(res, c),
			    cell(res, r, c));
		json_array_append_new(rows, obj);
	}
	return rows;
}

void
out_list(const struct ctl *ctl, PGresult *res, const struct out_col *cols)
{
	json_t	*rows = out_rows(res);

	PQclear(res);
	if (ctl->json)
		out_json(rows);
	else
		out_table(rows, cols);
	json_decref(rows);
}

/* Scalar as text for a column; caller frees. */
static char *
text_of(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return pf_xstrdup("-");
	if (json_is_string(v))
		return pf_xstrdup(json_string_value(v));
	if (json_is_true(v))
		return pf_xstrdup("yes");
	if (json_is_false(v))
		return pf_xstrdup("no");
	if (json_is_integer(v))
		return pf_xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return pf_xasprintf("%g", json_real_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

void
out_table(const json_t *rows, const struct out_col *cols)
{
	size_t		 ncols = 0, i, row;
	size_t		*width;
	char		*s;
	const json_t	*obj;

	while (cols[ncols].key != NULL)
		ncols++;
	width = pf_xcalloc(ncols, sizeof(*width));
	for (i = 0; i < ncols; i++)
		width[i] = strlen(cols[i].title);
	json_array_foreach(rows, row, obj) {
		for (i = 0; i < ncols; i++) {
			s = text_of(json_object_get(obj, cols[i].key));
			if (strlen(s) > width[i])
				width[i] = strlen(s);
			free(s);
		}
	}
	for (i = 0; i < ncols; i++)
		printf("%-*s%s", i + 1 < ncols ? (int)width[i] : 0,
		    cols[i].title, i + 1 < ncols ? "  " : "\n");
	json_array_foreach(rows, row, obj) {
		for (i = 0; i < ncols; i++) {
			s = text_of(json_object_get(obj, cols[i].key));
			printf("%-*s%s", i + 1 < ncols ? (int)width[i] : 0, s,
			    i + 1 < ncols ? "  " : "\n");
			free(s);
		}
	}
	free(width);
}

void
out_fields(const json_t *obj, const struct out_col *cols)
{
	size_t	 i, w = 0;
	char	*s;

	for (i = 0; cols[i].key != NULL; i++)
		if (strlen(cols[i].title) > w)
			w = strlen(cols[i].title);
	for (i = 0; cols[i].key != NULL; i++) {
		s = text_of(json_object_get(obj, cols[i].key));
		printf("%-*s  %s\n", (int)w + 1, cols[i].title, s);
		free(s);
	}
}
