/*
 * bigbody.c -- a response too big to hold as one jansson tree.
 *
 * A parsed sample costs jansson about ten times its text, so a 30 MB day
 * of continuous heart rate would cost hundreds of megabytes.  Instead,
 * the long sample arrays of a big body's records (streams[].big) are cut
 * out of the text: jansson parses the small rest (the skeleton), where
 * each cut array stands as an empty one, and transform.c reads the cut
 * elements one at a time from the body's own text and writes them into
 * the row as they were sent.  Every element is checked here to be valid
 * JSON, so a malformed body still fails as a whole, as before.
 *
 * The scanner below only finds where values begin and end (strings,
 * escapes, nesting); jansson judges every byte of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"
#include "common/xmalloc.h"

#include "syncd.h"

/*
 * Arrays from this size on are cut (in bodies of SYNCD_BIG_BODY or more):
 * a day of activity steps is about 70 KB.
 */
#define BIG_ARRAY	(8 * 1024)

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* Past the string at p ('"'), NULL if it does not end. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			if (++p == end)
				return NULL;
		} else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

const char *
body_skip_value(const char *p, const char *end)
{
	size_t	 depth = 0;

	if (p >= end)
		return NULL;
	if (*p != '{' && *p != '[' && *p != '"') {
		while (p < end && strchr(",]}: \t\r\n", *p) == NULL)
			p++;
		return p;
	}
	while (p < end) {
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end)) == NULL)
				return NULL;
			if (depth == 0)
				return p;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth-- == 0)
				return NULL;
			if (depth == 0)
				return p + 1;
			break;
		}
		p++;
	}
	return NULL;
}

/* Does the raw key text k (len bytes) name seg ('_' and '-' alike)? */
static bool
key_is(const char *k, size_t len, const char *seg, size_t seglen)
{
	size_t	 i;

	if (len != seglen)
		return false;
	for (i = 0; i < len; i++)
		if (k[i] != seg[i] && !((k[i] == '_' || k[i] == '-') &&
		    (seg[i] == '_' || seg[i] == '-')))
			return false;
	return true;
}

struct scan {
	const char	*buf, *end;
	struct body	*b;
	size_t		 cap;		/* of b->cut */
	const char *const *big;
	size_t		 record;
	char		 err[PF_JSON_ERR_LEN];
};

/*
 * The members of the object at p: calls back for the value of the one
 * member named seg, unless seg is named more than once (jansson keeps
 * the last; the object is then left whole).  0, or -1 on bad structure.
 */
static int
member(struct scan *s, const char *p, const char *seg, size_t seglen,
    const char **val)
{
	const char	*k, *v;
	size_t		 seen = 0, klen;

	*val = NULL;
	p = skip_ws(p + 1, s->end);
	if (p < s->end && *p == '}')
		return 0;
	for (;;) {
		if (p >= s->end || *p != '"')
			return -1;
		k = p + 1;
		if ((p = skip_string(p, s->end)) == NULL)
			return -1;
		klen = (size_t)(p - 1 - k);
		p = skip_ws(p, s->end);
		if (p >= s->end || *p != ':')
			return -1;
		v = skip_ws(p + 1, s->end);
		if ((p = body_skip_value(v, s->end)) == NULL)
			return -1;
		/* a key written with escapes is left to jansson */
		if (key_is(k, klen, seg, seglen) &&
		    memchr(k, '\\', klen) == NULL) {
			*val = v;
			seen++;
		}
		p = skip_ws(p, s->end);
		if (p < s->end && *p == ',') {
			p = skip_ws(p + 1, s->end);
			continue;
		}
		if (p < s->end && *p == '}')
			break;
		return -1;
	}
	if (seen > 1)
		*val = NULL;
	return 0;
}

/* Checks every element of the array at p (its text: len) and counts them. */
static int
check_array(struct scan *s, struct cut *c)
{
	const char	*p = c->text + 1, *end = c->text + c->len, *e;
	json_error_t	 jerr;
	json_t		*v;

	p = skip_ws(p, end);
	if (p < end && *p == ']')
		return 0;
	for (;;) {
		e = body_skip_value(p, end);
		if (e == NULL || e == p)
			goto bad;
		v = json_loadb(p, (size_t)(e - p), JSON_DECODE_ANY |
		    JSON_ALLOW_NUL, &jerr);
		if (v == NULL) {
			snprintf(s->err, sizeof(s->err), "byte %zu: %s",
			    (size_t)(p - s->buf) + (size_t)jerr.position,
			    jerr.text);
			return -1;
		}
		if (transform_has_nul(v))
			c->nul = true;
		json_decref(v);
		c->n++;
		p = skip_ws(e, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p == end - 1 && *p == ']')
			return 0;
		goto bad;
	}
bad:
	snprintf(s->err, sizeof(s->err), "byte %zu: malformed array",
	    (size_t)(p - s->buf));
	return -1;
}

/* Cuts the big arrays of the record object at p. */
static int
record(struct scan *s, const char *p)
{
	const char *const	*path;
	const char		*v, *seg, *slash, *e;
	struct cut		*c;
	size_t			 len;

	if (*p != '{')
		return 0;
	for (path = s->big; *path != NULL; path++) {
		/* down the path's objects to the array it names */
		for (v = p, seg = *path; v != NULL; seg = slash + 1) {
			slash = strchr(seg, '/');
			len = slash ? (size_t)(slash - seg) : strlen(seg);
			if (*v != '{')
				v = NULL;
			else if (member(s, v, seg, len, &v) != 0)
				return -1;
			if (slash == NULL)
				break;
		}
		if (v == NULL || *v != '[' || (e = body_skip_value(v, s->end)) ==
		    NULL || (size_t)(e - v) < BIG_ARRAY)
			continue;
		if (s->b->ncut == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 16;
			s->b->cut = pf_xreallocarray(s->b->cut, s->cap,
			    sizeof(*s->b->cut));
		}
		c = &s->b->cut[s->b->ncut];
		memset(c, 0, sizeof(*c));
		c->text = v;
		c->len = (size_t)(e - v);
		c->record = s->record;
		c->path = *path;
		if (check_array(s, c) != 0)
			return -1;
		s->b->ncut++;
	}
	return 0;
}

/* Finds the records of the body (as transform.c's records_of does). */
static int
scan_records(struct scan *s, const struct stream_def *def)
{
	const char	*p = skip_ws(s->buf, s->end), *e;

	if (def->records == NULL)
		return record(s, p);
	if (*def->records != '\0') {
		if (p >= s->end || *p != '{' ||
		    member(s, p, def->records, strlen(def->records), &p) != 0)
			return -1;
		if (p == NULL)
			return 0;
	}
	if (p >= s->end || *p != '[')
		return 0;
	p = skip_ws(p + 1, s->end);
	for (s->record = 0; p < s->end && *p != ']'; s->record++) {
		if ((e = body_skip_value(p, s->end)) == NULL)
			return -1;
		if (record(s, p) != 0)
			return -1;
		p = skip_ws(e, s->end);
		if (p < s->end && *p == ',')
			p = skip_ws(p + 1, s->end);
	}
	return 0;
}

static int
cut_order(const void *a, const void *b)
{
	const struct cut	*x = a, *y = b;

	return x->text < y->text ? -1 : x->text > y->text;
}

/* The skeleton's empty stand-in of cut c, NULL if it is not there. */
static const json_t *
stand_in(const struct stream_def *def, const json_t *doc, const struct cut *c)
{
	const json_t	*rec = doc, *arr;
	json_t		*v;

	if (def->records != NULL) {
		arr = doc;
		if (*def->records != '\0' && pf_json_get_array(doc,
		    def->records, &v) == PF_OK)
			arr = v;
		rec = json_array_get(arr, c->record);
	}
	if (rec == NULL || pf_json_get_array(rec, c->path, &v) != PF_OK ||
	    json_array_size(v) != 0)
		return NULL;
	return v;
}

int
body_parse(enum stream st, const char *buf, size_t len, struct body *b,
    char *err, size_t errlen)
{
	const struct stream_def	*def = &streams[st];
	struct scan		 s;
	char			*skel = NULL, *q;
	const char		*p;
	size_t			 i, k;
	int			 r;

	memset(b, 0, sizeof(*b));
	if (len < SYNCD_BIG_BODY || def->big == NULL)
		return pf_json_parse(buf, len, PF_JSON_ALLOW_NUL, &b->doc, err,
		    errlen);
	memset(&s, 0, sizeof(s));
	s.buf = buf;
	s.end = buf + len;
	s.b = b;
	s.big = def->big;
	if (scan_records(&s, def) != 0 && s.err[0] != '\0') {
		snprintf(err, errlen, "%s", s.err);
		body_free(b);
		return PF_ERR_PARSE;
	}
	/* bad structure elsewhere: jansson says where, below */
	if (b->ncut > 0)
		qsort(b->cut, b->ncut, sizeof(*b->cut), cut_order);
	for (i = 1, k = 0; i < b->ncut; i++)	/* nested paths: outermost */
		if (b->cut[i].text >= b->cut[k].text + b->cut[k].len)
			b->cut[++k] = b->cut[i];
	b->ncut = b->ncut ? k + 1 : 0;
	q = skel = pf_xmalloc(len + 1);
	for (p = buf, i = 0; i < b->ncut; i++) {
		memcpy(q, p, (size_t)(b->cut[i].text - p));
		q += b->cut[i].text - p;
		q = stpcpy(q, "[]");
		p = b->cut[i].text + b->cut[i].len;
	}
	memcpy(q, p, (size_t)(s.end - p));
	q += s.end - p;
	r = pf_json_parse(skel, (size_t)(q - skel), PF_JSON_ALLOW_NUL, &b->doc,
	    err, errlen);
	free(skel);
	if (r != PF_OK) {
		body_free(b);
		return r;
	}
	for (i = 0; i < b->ncut; i++) {
		b->cut[i].arr = stand_in(def, b->doc, &b->cut[i]);
		for (k = 0; k < i && b->cut[i].arr != NULL; k++)
			if (b->cut[k].arr == b->cut[i].arr)
				b->cut[i].arr = NULL;
		/*
		 * A stand-in jansson would not show where the scanner put
		 * it (keys spelt two ways): nothing may be lost, so the
		 * body is parsed whole after all.
		 */
		if (b->cut[i].arr == NULL) {
			body_free(b);
			return pf_json_parse(buf, len, PF_JSON_ALLOW_NUL,
			    &b->doc, err, errlen);
		}
	}
	return PF_OK;
}

void
body_free(struct body *b)
{
	json_decref(b->doc);
	free(b->cut);
	memset(b, 0, sizeof(*b));
}
