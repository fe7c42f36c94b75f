/*
 * transform.c -- Polar AccessLink JSON to table rows.
 *
 * Pure functions: a parsed response body in, JSON row objects out (column
 * name -> value, see store.c).  A record is mapped by its stream's
 * fields[] (stream.c), one generic conversion per field kind; then the
 * stream's derive hook, if any, computes the columns that are not copied.
 * A field with a wrong type, an impossible date, an out-of-range number,
 * an unknown enum value or a \u0000 is left out (NULL), and a sample
 * series loses only its bad entries; the record is skipped whole only
 * when what identifies it -- a required field, its day, its offset or a
 * key column -- is bad, so no wrong value is ever written and no valid
 * one is lost.  Every field dropped and record skipped is logged with
 * user and stream and listed in the rowset (dropped).  Absent
 * fields, JSON null and Polar's "no data" sentinels become SQL NULL (the
 * key is left out of the row).  Every record keeps its full object in
 * "raw", minus the long series that have columns of their own.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "syncd.h"

void
rowset_init(struct rowset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void
rowset_cleanup(struct rowset *rs)
{
	size_t	 i;

	for (i = 0; i < rs->n; i++)
		free(rs->row[i]);
	free(rs->row);
	free(rs->day);
	json_decref(rs->dropped);
	memset(rs, 0, sizeof(*rs));
}

void
rowset_take(struct rowset *dst, struct rowset *src)
{
	size_t	 i;

	if (dst->n + src->n > dst->cap) {
		dst->cap = dst->n + src->n;
		dst->row = pf_xreallocarray(dst->row, dst->cap, sizeof(char *));
		dst->day = pf_xreallocarray(dst->day, dst->cap,
		    sizeof(int64_t));
	}
	for (i = 0; i < src->n; i++) {
		dst->row[dst->n] = src->row[i];
		dst->day[dst->n++] = src->day[i];
	}
	src->n = 0;
	dst->skipped += src->skipped;
	if (src->dropped != NULL) {
		if (dst->dropped == NULL)
			dst->dropped = json_array();
		json_array_extend(dst->dropped, src->dropped);
	}
	rowset_cleanup(src);
}

size_t
rowset_bytes(const struct rowset *rs)
{
	size_t	 i, n = 0;

	for (i = 0; i < rs->n; i++)
		n += strlen(rs->row[i]);
	return n;
}

static void
rowset_add(struct rowset *rs, char *text, int64_t day)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->row = pf_xreallocarray(rs->row, rs->cap, sizeof(char *));
		rs->day = pf_xreallocarray(rs->day, rs->cap, sizeof(int64_t));
	}
	rs->row[rs->n] = text;
	rs->day[rs->n] = day;
	rs->n++;
}

/* One record being converted. */
struct rec {
	const json_t	*src;
	json_t		*row;
	int64_t		 day;		/* the local day the row belongs to */
	int64_t		 ms;		/* the F_DAY instant, UTC ms */
	int		 off;		/* the F_OFFSET field, else 0 */
	bool		 has_off;	/* the record gave its offset */
	const struct day_offsets *known;	/* for local times, or NULL */
	int64_t		 now_ms;
	const struct stream_def	*def;
	const struct field *cur;	/* the field being mapped, if any */
	json_t		*drops;		/* [{field, reason}], owned */
	const struct body *body;	/* its cut arrays, or NULL */
	/* columns whose array is still in the body's text (bigbody.c) */
	struct lazy {
		const char	 *col;
		const struct cut *cut;
	}		 lazy[4];
	size_t		 nlazy;
	char		 err[160];
};

static bool
rec_ok(const struct rec *r)
{
	return r->err[0] == '\0';
}

/* Notes that key was left out of the record, and why. */
static void
rec_drop(struct rec *r, const char *key, const char *why)
{
	if (r->drops == NULL)
		r->drops = json_array();
	json_array_append_new(r->drops, json_pack("{s:s,s:s}", "field", key,
	    "reason", why));
}

/*
 * A bad value: the field being mapped is left out, unless the record
 * cannot be told apart or placed without it (required, its day, its
 * offset, a key column) -- then, as for a derive hook's finding, the
 * whole record is skipped.
 */
static void
rec_fail(struct rec *r, const char *key, const char *why)
{
	const struct field	*fd = r->cur;

	if (!rec_ok(r))
		return;
	if (fd != NULL && !(fd->flags & (F_REQ | F_DAY | F_OFFSET)) &&
	    !stream_key_has(r->def, fd->col)) {
		rec_drop(r, key, why);
		return;
	}
	snprintf(r->err, sizeof(r->err), "%s: %s", key, why);
}

/*
 * Common prologue of the getters: PF_OK with the value, PF_ERR_NOTFOUND
 * when the field is absent or null (an error already recorded when F_REQ).
 */
static int
field_check(struct rec *r, const char *key, int rv, unsigned flags)
{
	if (!rec_ok(r))
		return PF_ERR_INVALID;
	switch (rv) {
	case PF_OK:
		return PF_OK;
	case PF_ERR_NOTFOUND:
	case PF_ERR_NULL:
		if (flags & F_REQ)
			rec_fail(r, key, "missing");
		return PF_ERR_NOTFOUND;
	case PF_ERR_TYPE:
		rec_fail(r, key, "wrong type");
		return PF_ERR_TYPE;
	case PF_ERR_RANGE:
		rec_fail(r, key, "out of range");
		return PF_ERR_RANGE;
	default:
		rec_fail(r, key, "invalid");
		return PF_ERR_INVALID;
	}
}

static bool
num_sentinel(double v, unsigned flags)
{
	if ((flags & F_ZERO_NULL) && v == 0)
		return true;
	if ((flags & F_NEG_NULL) && v < 0)
		return true;
	if ((flags & F_M1_NULL) && v == -1)
		return true;
	return false;
}

/* Polar ids: letters, digits, '-' and '_' (they become URL segments). */
static bool
ident_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* FK_INT, FK_DBL: min..max inclusive, after the "no data" sentinels. */
static bool
f_num(struct rec *r, const struct field *fd)
{
	int64_t	 i = 0;
	double	 v = 0;
	bool	 out;
	int	 rv;

	if (fd->kind == FK_INT) {
		rv = pf_json_get_int64(r->src, fd->key, &i);
		v = (double)i;
	} else
		rv = pf_json_get_double(r->src, fd->key, &v);
	if (field_check(r, fd->key, rv, fd->flags) != PF_OK)
		return false;
	if (num_sentinel(v, fd->flags)) {
		if (fd->flags & F_REQ)
			rec_fail(r, fd->key, "no value");
		return false;
	}
	if (fd->kind == FK_INT)
		out = i < (int64_t)fd->min || i > (int64_t)fd->max;
	else
		out = v < fd->min || v > fd->max;
	if (out) {
		rec_fail(r, fd->key, "out of range");
		return false;
	}
	if (fd->kind == FK_INT) {
		json_object_set_new(r->row, fd->col, json_integer(i));
		if (fd->flags & F_OFFSET) {
			r->off = (int)i;
			r->has_off = true;
		}
	} else
		json_object_set_new(r->row, fd->col, json_real(v));
	return true;
}

static bool
f_str(struct rec *r, const struct field *fd)
{
	const char	*s;

	if (field_check(r, fd->key, pf_json_get_strn(r->src, fd->key,
	    (size_t)fd->max, &s), fd->flags) != PF_OK)
		return false;
	if ((fd->flags & F_EMPTY_NULL) && *s == '\0') {
		if (fd->flags & F_REQ)
			rec_fail(r, fd->key, "empty");
		return false;
	}
	if ((fd->flags & F_IDENT) && !ident_ok(s)) {
		rec_fail(r, fd->key, "bad characters");
		return false;
	}
	json_object_set_new(r->row, fd->col, json_string(s));
	return true;
}

static bool
f_bool(struct rec *r, const struct field *fd)
{
	bool	 b = false;
	int	 rv;

	rv = field_check(r, fd->key, pf_json_get_bool(r->src, fd->key, &b),
	    fd->flags);
	if (rv == PF_ERR_NOTFOUND && (fd->flags & F_DEFAULT))
		b = false;
	else if (rv != PF_OK)
		return false;
	json_object_set_new(r->row, fd->col, json_boolean(b));
	return true;
}

/* The value must be one of fd->values. */
static bool
f_enum(struct rec *r, const struct field *fd)
{
	const char	*s;
	size_t		 i;
	int		 rv;

	rv = field_check(r, fd->key, pf_json_get_strn(r->src, fd->key, 80,
	    &s), fd->flags);
	if (rv == PF_ERR_NOTFOUND && (fd->flags & F_DEFAULT))
		s = "";
	else if (rv != PF_OK)
		return false;
	else {
		for (i = 0; fd->values[i] != NULL; i++)
			if (strcmp(fd->values[i], s) == 0)
				break;
		if (fd->values[i] == NULL) {
			rec_fail(r, fd->key, "unknown enum value");
			return false;
		}
	}
	json_object_set_new(r->row, fd->col, json_string(s));
	return true;
}

/*
 * "YYYY-MM-DD", or the date part of a date-time when lenient: the date
 * as written, which is the local day whatever offset follows it (a day
 * starting at 00:00+02:00 is that day, not the previous one in UTC).
 */
static bool
f_date(struct rec *r, const struct field *fd)
{
	const char	*s;
	char		 buf[PF_TIME_DATE_LEN];
	int64_t		 day, ms;
	size_t		 len;

	if (field_check(r, fd->key, pf_json_get_strn(r->src, fd->key, 40, &s),
	    fd->flags) != PF_OK)
		return false;
	len = strlen(s);
	if (pf_time_parse_date(s, len, &day) != PF_OK &&
	    (!(fd->flags & F_LENIENT) || pf_time_parse_datetime(s, len, &ms,
	    NULL, NULL) != PF_OK || pf_time_parse_date(s, PF_TIME_DATE_LEN - 1,
	    &day) != PF_OK)) {
		rec_fail(r, fd->key, "impossible or malformed date");
		return false;
	}
	if (pf_time_format_date(day, buf) != PF_OK) {
		rec_fail(r, fd->key, "date out of range");
		return false;
	}
	json_object_set_new(r->row, fd->col, json_string(buf));
	if (fd->flags & F_DAY)
		r->day = day;
	return true;
}

static bool
put_instant(struct rec *r, const char *col, const char *key, int64_t ms,
    int off)
{
	char	 buf[PF_TIME_DATETIME_LEN];

	if (pf_time_format_datetime(ms, off, 0, buf, sizeof(buf)) != PF_OK) {
		rec_fail(r, key, "time out of range");
		return false;
	}
	json_object_set_new(r->row, col, json_string(buf));
	return true;
}

/* The instant for F_DAY: the row's day is local at the record's offset. */
static void
set_day(struct rec *r, const struct field *fd, int64_t ms)
{
	if (fd->flags & F_DAY) {
		r->day = pf_time_local_day(ms, r->off);
		r->ms = ms;
	}
}

/*
 * A date-time.  With a zone it is taken as is.  Without one it is UTC,
 * unless it is local wall time (F_LOCAL): then it is at the record's own
 * offset, else at the offset Polar gave elsewhere for that day (known),
 * else -- none known -- UTC, and the record says so.  *ms is UTC, *off
 * the offset used.
 */
static bool
time_at(struct rec *r, const struct field *fd, int64_t *ms, int *off)
{
	const char	*s;
	int64_t		 day;
	bool		 has;

	if (field_check(r, fd->key, pf_json_get_strn(r->src, fd->key, 40, &s),
	    fd->flags) != PF_OK)
		return false;
	if (pf_time_parse_datetime(s, strlen(s), ms, off, &has) != PF_OK) {
		rec_fail(r, fd->key, "impossible or malformed date-time");
		return false;
	}
	if (has)
		return true;
	*off = 0;
	if ((fd->flags & F_LOCAL) && r->has_off)
		*off = r->off;
	else if ((fd->flags & F_LOCAL) && (pf_time_parse_date(s,
	    PF_TIME_DATE_LEN - 1, &day) != PF_OK ||
	    !day_offsets_find(r->known, day, off))) {
		*off = 0;
		if (fd->kind == FK_TIME)
			rec_drop(r, fd->key, "no UTC offset known for its day: "
			    "taken as UTC");
	}
	*ms -= (int64_t)*off * 60000;
	return true;
}

static bool
f_time(struct rec *r, const struct field *fd)
{
	int64_t	 ms;
	int	 off;

	if (!time_at(r, fd, &ms, &off) || !put_instant(r, fd->col, fd->key,
	    ms, off))
		return false;
	set_day(r, fd, ms);
	return true;
}

static bool
f_zone(struct rec *r, const struct field *fd)
{
	int64_t	 ms;
	int	 off;

	if (!time_at(r, fd, &ms, &off))
		return false;
	json_object_set_new(r->row, fd->col, json_integer(off));
	return true;
}

/* Seconds since 1970; the bound keeps the conversion to ms in range. */
static bool
f_epoch(struct rec *r, const struct field *fd)
{
	int64_t	 v;

	if (field_check(r, fd->key, pf_json_get_int64(r->src, fd->key, &v),
	    fd->flags) != PF_OK)
		return false;
	if (v < 1 || v > INT64_MAX / 2) {
		rec_fail(r, fd->key, "out of range");
		return false;
	}
	v = pf_time_epoch_to_ms(v);
	if (!put_instant(r, fd->col, fd->key, v, r->off))
		return false;
	set_day(r, fd, v);
	return true;
}

static bool
f_duration(struct rec *r, const struct field *fd)
{
	const char	*s;
	double		 sec;

	if (field_check(r, fd->key, pf_json_get_strn(r->src, fd->key, 40, &s),
	    fd->flags) != PF_OK)
		return false;
	if (pf_time_parse_duration(s, strlen(s), &sec) != PF_OK ||
	    sec > 366.0 * 86400) {
		rec_fail(r, fd->key, "malformed duration");
		return false;
	}
	json_object_set_new(r->row, fd->col, fd->flags & F_ROUND ?
	    json_integer((json_int_t)llround(sec)) : json_real(sec));
	return true;
}

/* An object or array kept as jsonb. */
static json_t *
f_json(struct rec *r, const struct field *fd)
{
	json_t	*v;
	int	 rv;

	size_t	 i;

	rv = fd->kind == FK_OBJECT ? pf_json_get_object(r->src, fd->key, &v) :
	    pf_json_get_array(r->src, fd->key, &v);
	if (field_check(r, fd->key, rv, fd->flags) != PF_OK)
		return NULL;
	/* an array cut out of a big body is read from its text later */
	for (i = 0; r->body != NULL && i < r->body->ncut; i++) {
		if (r->body->cut[i].arr != v)
			continue;
		if (r->nlazy == sizeof(r->lazy) / sizeof(r->lazy[0])) {
			rec_fail(r, fd->key, "too many long series");
			return NULL;
		}
		r->lazy[r->nlazy].col = fd->col;
		r->lazy[r->nlazy++].cut = &r->body->cut[i];
		return NULL;
	}
	return v;
}

/*
 * The elements of a series column, one at a time, whether the array is
 * in the row or still in the body's text: at most one element read from
 * the text is held at a time.
 */
struct series {
	const json_t	*arr;
	const struct cut *cut;
	size_t		 i, n;
	const char	*p;		/* the next element's text */
	json_t		*cur;		/* owned */
	struct rec	*notes;		/* where to note scrubbed strings */
};

/* false when the row has no such column. */
static bool
series_open(struct rec *r, const char *col, struct series *s)
{
	size_t	 i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < r->nlazy; i++)
		if (strcmp(r->lazy[i].col, col) == 0) {
			s->cut = r->lazy[i].cut;
			s->n = s->cut->n;
			s->p = s->cut->text + 1;
			return true;
		}
	if ((s->arr = json_object_get(r->row, col)) == NULL ||
	    !json_is_array(s->arr))
		return false;
	s->n = json_array_size(s->arr);
	return true;
}

static void	 scrub_nul(json_t *, const char *, struct rec *);

/* The next element (borrowed until the next call), NULL at the end. */
static const json_t *
series_next(struct series *s)
{
	const char	*e, *end;
	json_error_t	 jerr;

	if (s->i == s->n)
		return NULL;
	if (s->arr != NULL)
		return json_array_get(s->arr, s->i++);
	json_decref(s->cur);
	s->cur = NULL;
	end = s->cut->text + s->cut->len;
	/* body_parse() found n valid elements here */
	while (s->p < end && strchr(" \t\r\n,", *s->p) != NULL)
		s->p++;
	e = body_skip_value(s->p, end);
	if (e == NULL || (s->cur = json_loadb(s->p, (size_t)(e - s->p),
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr)) == NULL)
		pf_fatalx("%s: out of memory", __func__);
	s->p = e;
	s->i++;
	if (s->cut->nul && json_is_string(s->cur) &&
	    transform_has_nul(s->cur)) {
		if (s->notes != NULL)
			rec_drop(s->notes, s->cut->path, "contains U+0000");
		json_decref(s->cur);
		s->cur = json_null();
	} else if (s->cut->nul) {
		if (s->notes != NULL)
			scrub_nul(s->cur, s->cut->path, s->notes);
		else {
			struct rec	 quiet;

			memset(&quiet, 0, sizeof(quiet));
			scrub_nul(s->cur, s->cut->path, &quiet);
			json_decref(quiet.drops);
		}
	}
	return s->cur;
}

static void
series_close(struct series *s)
{
	json_decref(s->cur);
	s->cur = NULL;
}

/*
 * An "HH:MM" -> number object (hypnogram, HR/HRV/breathing samples):
 * keys must be clock times, values numbers in min..max.
 */
static bool
clock_entry_ok(const struct field *fd, const char *k, const json_t *v)
{
	double	 d;
	int	 sec;

	return pf_time_parse_clock(k, strlen(k), &sec) == PF_OK &&
	    pf_json_as_double(v, &d) == PF_OK && d >= fd->min && d <= fd->max;
}

/*
 * The series as [time, value] pairs in the order Polar sent them, which is
 * time order: a jsonb object would sort its keys and put a night's
 * "00:05" before its "23:55".  A bad entry (key not a clock time, value
 * not a number in range) is dropped alone: the series keeps every good
 * sample.  Returns a new reference.
 */
static json_t *
f_clockmap(struct rec *r, const struct field *fd)
{
	json_t		*m, *v, *out;
	const char	*k;
	char		 why[64];
	size_t		 bad = 0;

	if (field_check(r, fd->key, pf_json_get_object(r->src, fd->key, &m),
	    fd->flags) != PF_OK)
		return NULL;
	if ((out = json_array()) == NULL)
		pf_fatalx("%s: out of memory", __func__);
	json_object_foreach(m, k, v) {
		if (!clock_entry_ok(fd, k, v)) {
			bad++;
			continue;
		}
		if (json_array_append_new(out, json_pack("[sO]", k, v)) != 0)
			pf_fatalx("%s: out of memory", __func__);
	}
	if (bad > 0) {
		snprintf(why, sizeof(why), "%zu bad entr%s dropped", bad,
		    bad == 1 ? "y" : "ies");
		rec_drop(r, fd->key, why);
	}
	return out;
}

/* Converts one field by its kind into its column, if present and valid. */
static void
field_apply(struct rec *r, const struct field *fd)
{
	json_t	*v = NULL;

	switch (fd->kind) {
	case FK_INT:
	case FK_DBL:
		f_num(r, fd);
		break;
	case FK_STR:
		f_str(r, fd);
		break;
	case FK_BOOL:
		f_bool(r, fd);
		break;
	case FK_ENUM:
		f_enum(r, fd);
		break;
	case FK_DATE:
		f_date(r, fd);
		break;
	case FK_TIME:
		f_time(r, fd);
		break;
	case FK_ZONE:
		f_zone(r, fd);
		break;
	case FK_EPOCH:
		f_epoch(r, fd);
		break;
	case FK_DURATION:
		f_duration(r, fd);
		break;
	case FK_OBJECT:
	case FK_ARRAY:
		if ((v = f_json(r, fd)) != NULL)
			json_incref(v);
		break;
	case FK_CLOCKMAP:
		v = f_clockmap(r, fd);
		break;
	case FK_DERIVED:
		break;
	}
	if (v != NULL)
		json_object_set_new(r->row, fd->col, v);
}

static void
fields_apply(struct rec *r, const struct field *fields)
{
	const struct field	*fd;

	for (fd = fields; fd->col != NULL; fd++) {
		r->cur = fd;
		field_apply(r, fd);
	}
	r->cur = NULL;
}

/* "raw": the record minus keys that have series columns of their own. */
static void
put_raw(struct rec *r, const char *const *drop)
{
	json_t	*raw;
	size_t	 i;

	raw = json_copy((json_t *)r->src);
	if (raw == NULL)
		pf_fatalx("%s: out of memory", __func__);
	for (i = 0; drop != NULL && drop[i] != NULL; i++)
		json_object_del(raw, drop[i]);
	json_object_set_new(r->row, "raw", raw);
}

/* A number the fields put into the row. */
static bool
row_num(const struct rec *r, const char *col, double *out)
{
	json_t	*v = json_object_get(r->row, col);

	if (v == NULL || !json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* Minimum, maximum and sum of a sample series. */
struct span {
	size_t	 n;
	double	 min, max, sum;
};

static void
span_add(struct span *s, double v)
{
	if (s->n == 0 || v < s->min)
		s->min = v;
	if (s->n == 0 || v > s->max)
		s->max = v;
	s->sum += v;
	s->n++;
}

/* Total sleep counts the unrecognised stage when Polar reports it. */
void
derive_sleep(struct rec *r)
{
	struct span	 hr = { 0, 0, 0, 0 };
	json_t		*v;
	size_t		 i;
	double		 l, d, rem, u = 0, bpm;

	if (row_num(r, "light_sleep_seconds", &l) &&
	    row_num(r, "deep_sleep_seconds", &d) &&
	    row_num(r, "rem_sleep_seconds", &rem)) {
		(void)row_num(r, "unrecognized_sleep_seconds", &u);
		json_object_set_new(r->row, "total_sleep_seconds",
		    json_integer((json_int_t)(l + d + rem + u)));
	}
	/* [time, bpm] pairs (f_clockmap) */
	json_array_foreach(json_object_get(r->row, "heart_rate_samples"), i,
	    v) {
		if (pf_json_as_double(json_array_get(v, 1), &bpm) != PF_OK ||
		    bpm <= 0)
			continue;	/* 0 = no signal */
		span_add(&hr, bpm);
	}
	if (hr.n > 0) {
		json_object_set_new(r->row, "heart_rate_avg",
		    json_real(round(hr.sum / (double)hr.n * 10) / 10));
		json_object_set_new(r->row, "heart_rate_min",
		    json_integer((json_int_t)hr.min));
		json_object_set_new(r->row, "heart_rate_max",
		    json_integer((json_int_t)hr.max));
	}
}

/* Day boundaries in local time: only stored when start_time is zoned. */
void
derive_activity(struct rec *r)
{
	static const struct field zoned[] = {
		{ "start_time", "start_time", FK_TIME, 0, 0, 0, NULL },
		{ "end_time", "end_time", FK_TIME, 0, 0, 0, NULL },
		{ "offset_minutes", "start_time", FK_ZONE, 0, 0, 0, NULL },
		{ NULL, NULL, FK_DERIVED, 0, 0, 0, NULL }
	};
	const char	*s;
	int64_t		 ms;
	int		 off;
	bool		 has;
	double		 pct;

	if (pf_json_get_strn(r->src, "start_time", 40, &s) == PF_OK &&
	    pf_time_parse_datetime(s, strlen(s), &ms, &off, &has) == PF_OK &&
	    has)
		fields_apply(r, zoned);
	if (row_num(r, "daily_activity_percent", &pct))
		json_object_set_new(r->row, "activity_score",
		    json_integer((json_int_t)llround(pct)));
}

/* The step series sits in a "steps" object; zones under "samples". */
void
derive_activity_samples(struct rec *r)
{
	static const struct field steps[] = {
		{ "total_steps", "total_steps", FK_INT, 0, 0, 1000000, NULL },
		{ "interval_ms", "interval_ms", FK_INT, 0, 1, 86400000, NULL },
		{ "samples", "samples", FK_ARRAY, 0, 0, 0, NULL },
		{ NULL, NULL, FK_DERIVED, 0, 0, 0, NULL }
	};
	json_t		*obj, *arr, *it;
	struct rec	 sub;
	struct series	 ss;
	const json_t	*cit;
	int64_t		 v;
	const char	*s;

	json_object_set_new(r->row, "sample_count", json_integer(0));
	if (pf_json_get_object(r->src, "steps", &obj) == PF_OK) {
		sub = *r;
		sub.src = obj;
		fields_apply(&sub, steps);
		r->drops = sub.drops;
		memcpy(r->lazy, sub.lazy, sizeof(r->lazy));
		r->nlazy = sub.nlazy;
		if (series_open(r, "samples", &ss)) {
			while ((cit = series_next(&ss)) != NULL) {
				if (pf_json_get_int64(cit, "steps", &v) !=
				    PF_OK || v < 0 || pf_json_get_strn(cit,
				    "timestamp", 40, &s) != PF_OK) {
					rec_fail(&sub, "steps/samples",
					    "bad sample");
					break;
				}
			}
			series_close(&ss);
			json_object_set_new(r->row, "sample_count",
			    json_integer((json_int_t)ss.n));
		}
		if (!rec_ok(&sub)) {
			memcpy(r->err, sub.err, sizeof(r->err));
			return;
		}
	} else if (json_object_get(r->src, "steps") != NULL &&
	    !json_is_null(json_object_get(r->src, "steps"))) {
		rec_fail(r, "steps", "wrong type");
		return;
	}
	if (pf_json_get_object(r->src, "activity_zones", &it) == PF_OK &&
	    pf_json_get_array(it, "samples", &arr) == PF_OK)
		json_object_set(r->row, "zone_samples", arr);
	/* inactivity_stamps comes as an array or as {"samples": [...]}. */
	if ((it = json_object_get(r->src, "inactivity_stamps")) != NULL &&
	    json_is_object(it) && (arr = json_object_get(it, "samples")) !=
	    NULL && json_is_array(arr))
		json_object_set(json_object_get(r->row, "raw"),
		    "inactivity_stamps", arr);
}

/* stop_time: start plus duration, at the start's offset. */
void
derive_exercise(struct rec *r)
{
	double	 dur;

	if (row_num(r, "duration_seconds", &dur))
		put_instant(r, "stop_time", "duration",
		    r->ms + (int64_t)llround(dur * 1000), r->off);
}

/* Without an available load, Polar's 0 means "no data" too. */
void
derive_cardio(struct rec *r)
{
	static const char *const na_zero[] = { "strain", "tolerance",
	    "load_very_low", "load_low", "load_medium", "load_high",
	    "load_very_high", NULL };
	json_t	*st = json_object_get(r->row, "cardio_load_status");
	double	 v;
	size_t	 i;

	if (st == NULL || strcmp(json_string_value(st),
	    "LOAD_STATUS_NOT_AVAILABLE") != 0)
		return;
	for (i = 0; na_zero[i] != NULL; i++)
		if (row_num(r, na_zero[i], &v) && v == 0)
			json_object_del(r->row, na_zero[i]);
}

/* Heart rate 0 is "no signal": counted as a sample, not in the stats. */
void
derive_chr(struct rec *r)
{
	struct span	 hr = { 0, 0, 0, 0 };
	struct series	 ss;
	const json_t	*it;
	const char	*s;
	int64_t		 v;
	int		 sec;

	if (!series_open(r, "samples", &ss)) {
		json_object_set_new(r->row, "sample_count", json_integer(0));
		return;
	}
	while ((it = series_next(&ss)) != NULL) {
		if (pf_json_get_int64(it, "heart_rate", &v) != PF_OK ||
		    v > 300 || pf_json_get_strn(it, "sample_time", 16, &s) !=
		    PF_OK || pf_time_parse_clock(s, strlen(s), &sec) != PF_OK) {
			series_close(&ss);
			rec_fail(r, "heart_rate_samples", "bad sample");
			return;
		}
		if (v > 0)
			span_add(&hr, (double)v);
	}
	series_close(&ss);
	json_object_set_new(r->row, "sample_count", json_integer(
	    (json_int_t)ss.n));
	if (hr.n > 0) {
		json_object_set_new(r->row, "hr_min",
		    json_integer((json_int_t)hr.min));
		json_object_set_new(r->row, "hr_max",
		    json_integer((json_int_t)hr.max));
		json_object_set_new(r->row, "hr_avg",
		    json_integer((json_int_t)llround(hr.sum / (double)hr.n)));
	}
}

/* The recording's length is its last sample's offset. */
void
derive_ecg(struct rec *r)
{
	struct series	 ss;
	const json_t	*it;
	int64_t		 dt, maxdt = -1;
	double		 mv;
	bool		 has;

	has = series_open(r, "samples", &ss);
	json_object_set_new(r->row, "sample_count",
	    json_integer((json_int_t)ss.n));
	if (!has)
		return;
	while ((it = series_next(&ss)) != NULL) {
		if (pf_json_get_int64(it, "recording_time_delta_ms", &dt) !=
		    PF_OK || dt < 0 || pf_json_get_double(it, "amplitude_mv",
		    &mv) != PF_OK) {
			series_close(&ss);
			rec_fail(r, "samples", "bad sample");
			return;
		}
		if (dt > maxdt)
			maxdt = dt;
	}
	series_close(&ss);
	if (maxdt >= 0)
		json_object_set_new(r->row, "duration_seconds",
		    json_real((double)maxdt / 1000.0));
}

/* Every sample must be a plausible reading (0..60 C) with its offset. */
void
derive_body_temp(struct rec *r)
{
	struct span	 t = { 0, 0, 0, 0 };
	struct series	 ss;
	const json_t	*it;
	int64_t		 dt;
	double		 c;

	if (series_open(r, "samples", &ss)) {
		while ((it = series_next(&ss)) != NULL) {
			if (pf_json_get_double(it, "temperature_celsius", &c) !=
			    PF_OK || c < 0 || c > 60 || pf_json_get_int64(it,
			    "recording_time_delta_milliseconds", &dt) !=
			    PF_OK || dt < 0) {
				series_close(&ss);
				rec_fail(r, "samples", "bad sample");
				return;
			}
			span_add(&t, c);
		}
		series_close(&ss);
	}
	if (t.n > 0) {
		json_object_set_new(r->row, "temp_min", json_real(t.min));
		json_object_set_new(r->row, "temp_max", json_real(t.max));
		json_object_set_new(r->row, "temp_avg",
		    json_real(round(t.sum / (double)t.n * 1000) / 1000));
	}
	json_object_set_new(r->row, "sample_count",
	    json_integer((json_int_t)t.n));
}

/* More than half a degree above the baseline counts as elevated. */
void
derive_skin_temp(struct rec *r)
{
	double	 dev;

	if (row_num(r, "deviation_from_baseline", &dev))
		json_object_set_new(r->row, "is_elevated",
		    json_boolean(dev > 0.5));
}

static bool
present(const json_t *obj, const char *key)
{
	const json_t	*v = json_object_get(obj, key);

	return v != NULL && !json_is_null(v);
}

/*
 * A snapshot is keyed by Polar's modified (else created) time; with
 * neither, by today's UTC midnight, so a re-sync on the same day stays
 * idempotent.
 */
void
derive_physical(struct rec *r)
{
	static const struct field when[] = {
		{ "recorded_at", "modified", FK_TIME, F_DAY, 0, 0, NULL },
		{ "recorded_at", "created", FK_TIME, F_DAY, 0, 0, NULL },
	};
	int64_t	 ms;

	if (present(r->src, "modified"))
		f_time(r, &when[0]);
	else if (present(r->src, "created"))
		f_time(r, &when[1]);
	else {
		ms = pf_time_local_day(r->now_ms, 0) * PF_TIME_DAY_MS;
		if (put_instant(r, "recorded_at", "recorded_at", ms, 0))
			r->day = pf_time_local_day(ms, 0);
	}
}

/* The records of one response: the array to iterate, or one object. */
static int
records_of(const struct stream_def *def, const json_t *doc, json_t **arr,
    bool *single)
{
	*single = false;
	if (def->records == NULL) {
		*single = json_is_object(doc);
		return *single ? PF_OK : PF_ERR_PROTO;
	}
	if (*def->records == '\0') {
		*arr = (json_t *)doc;
		return json_is_array(doc) ? PF_OK : PF_ERR_PROTO;
	}
	if (json_is_object(doc) && pf_json_get_array(doc, def->records, arr) ==
	    PF_OK)
		return PF_OK;
	return PF_ERR_PROTO;
}

bool
transform_has_nul(const json_t *v)
{
	const char	*k;
	json_t		*it;
	size_t		 i;

	if (json_is_string(v))
		return strlen(json_string_value(v)) != json_string_length(v);
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, it)
			if (transform_has_nul(it))
				return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, it)
			if (transform_has_nul(it))
				return true;
	}
	return false;
}

/* Drops every string with U+0000 from v (a copy), noting each in r. */
static void
scrub_nul(json_t *v, const char *key, struct rec *r)
{
	const char	*k;
	json_t		*it, *tmp;
	size_t		 i;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, it) {
			if (json_is_string(it) && transform_has_nul(it)) {
				rec_drop(r, k, "contains U+0000");
				json_object_del(v, k);
			} else
				scrub_nul(it, k, r);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, it) {
			if (json_is_string(it) && transform_has_nul(it)) {
				rec_drop(r, key, "contains U+0000");
				json_array_set_new(v, i, json_null());
			} else
				scrub_nul(it, key, r);
		}
	}
}

/*
 * Logs and lists what record i lost: the fields in r->drops, or the whole
 * record when it was skipped for r->err.
 */
static void
note_drops(struct rowset *out, const struct stream_def *def,
    const char *user_id, size_t i, struct rec *r)
{
	json_t		*d;
	size_t		 k;
	char		 day[PF_TIME_DATE_LEN];
	bool		 dated;

	if (out->dropped == NULL)
		out->dropped = json_array();
	dated = rec_ok(r) && pf_time_format_date(r->day, day) == PF_OK;
	if (!rec_ok(r)) {
		pf_log_warnx("user %s stream %s: record %zu skipped: %s",
		    user_id, def->name, i, r->err);
		json_array_append_new(out->dropped, json_pack("{s:I,s:b,s:s}",
		    "record", (json_int_t)i, "skipped", 1, "reason", r->err));
	}
	json_array_foreach(r->drops, k, d) {
		if (rec_ok(r))
			pf_log_warnx("user %s stream %s: record %zu kept without "
			    "%s: %s", user_id, def->name, i,
			    json_string_value(json_object_get(d, "field")),
			    json_string_value(json_object_get(d, "reason")));
		json_object_set_new(d, "record", json_integer((json_int_t)i));
		if (dated)
			json_object_set_new(d, "date", json_string(day));
		json_array_append(out->dropped, d);
	}
}

void
day_offsets_free(struct day_offsets *o)
{
	free(o->day);
	free(o->off);
	memset(o, 0, sizeof(*o));
}

bool
day_offsets_find(const struct day_offsets *o, int64_t day, int *off)
{
	size_t	 lo, hi, mid;
	int64_t	 d;
	int	 k;

	if (o == NULL)
		return false;
	/* a trip changes the offset within a day: its own day first */
	for (k = 0; k < 3; k++) {
		d = day + (k == 0 ? 0 : k == 1 ? -1 : 1);
		lo = 0;
		hi = o->n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (o->day[mid] < d)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < o->n && o->day[lo] == d) {
			*off = o->off[lo];
			return true;
		}
	}
	return false;
}

int
transform(enum stream st, const json_t *doc, const char *user_id,
    int64_t now_ms, struct rowset *out)
{
	return transform_at(st, doc, user_id, now_ms, NULL, out);
}

/*
 * The row's text: the columns in r->row, then those whose array is still
 * in the body's text, each written as it was sent (re-written only where
 * a \u0000 string had to go).  Caller frees.
 */
static char *
row_text(struct rec *r)
{
	struct pf_buf	 b = PF_BUF_INIT;
	struct series	 ss;
	const json_t	*it;
	char		*text, *el;
	size_t		 i, len;

	/*
	 * 15 significant digits print every decimal Polar sends (at most
	 * 10 or so digits) back exactly as sent, so the jsonb columns hold
	 * Polar's numbers and not their binary neighbours
	 * ("60.166444899999997").
	 */
	text = json_dumps(r->row, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (text == NULL)
		pf_fatalx("%s: out of memory", __func__);
	if (r->nlazy == 0)
		return text;
	len = strlen(text);
	pf_buf_add(&b, text, len - 1);		/* without its '}' */
	free(text);
	for (i = 0; i < r->nlazy; i++) {
		pf_buf_addf(&b, "%s\"%s\":", b.len > 1 ? "," : "",
		    r->lazy[i].col);
		if (!r->lazy[i].cut->nul) {
			pf_buf_add(&b, r->lazy[i].cut->text,
			    r->lazy[i].cut->len);
			continue;
		}
		series_open(r, r->lazy[i].col, &ss);
		ss.notes = r;
		pf_buf_add(&b, "[", 1);
		while ((it = series_next(&ss)) != NULL) {
			if ((el = json_dumps(it, JSON_COMPACT | JSON_ENCODE_ANY |
			    JSON_REAL_PRECISION(15))) == NULL)
				pf_fatalx("%s: out of memory", __func__);
			if (ss.i > 1)
				pf_buf_add(&b, ",", 1);
			pf_buf_adds(&b, el);
			free(el);
		}
		series_close(&ss);
		pf_buf_add(&b, "]", 1);
	}
	pf_buf_add(&b, "}", 2);			/* with its NUL */
	return b.p;
}

int
transform_at(enum stream st, const json_t *doc, const char *user_id,
    int64_t now_ms, const struct day_offsets *known, struct rowset *out)
{
	struct body	 b;

	memset(&b, 0, sizeof(b));
	b.doc = (json_t *)doc;
	return transform_body(st, &b, user_id, now_ms, known, out);
}

int
transform_body(enum stream st, const struct body *body, const char *user_id,
    int64_t now_ms, const struct day_offsets *known, struct rowset *out)
{
	const json_t		*doc = body->doc;
	const struct stream_def	*def;
	json_t			*arr = NULL, *it, *copy;
	struct rec		 r;
	bool			 single;
	size_t			 i, n;
	char			*text;

	if ((int)st < 0 || st >= ST__COUNT || doc == NULL)
		return PF_ERR_PROTO;
	def = &streams[st];
	if (records_of(def, doc, &arr, &single) != PF_OK)
		return PF_ERR_PROTO;
	n = single ? 1 : json_array_size(arr);
	for (i = 0; i < n; i++) {
		it = single ? (json_t *)doc : json_array_get(arr, i);
		memset(&r, 0, sizeof(r));
		if (!json_is_object(it)) {
			snprintf(r.err, sizeof(r.err), "not an object");
			note_drops(out, def, user_id, i, &r);
			out->skipped++;
			continue;
		}
		copy = NULL;
		if (transform_has_nul(it)) {
			if ((copy = json_deep_copy(it)) == NULL)
				pf_fatalx("%s: out of memory", __func__);
			scrub_nul(copy, def->name, &r);
			it = copy;
		}
		r.src = it;
		r.body = body;
		r.def = def;
		r.known = known;
		r.now_ms = now_ms;
		if ((r.row = json_object()) == NULL)
			pf_fatalx("%s: out of memory", __func__);
		fields_apply(&r, def->fields);
		if (rec_ok(&r))
			put_raw(&r, def->raw_drop);
		if (rec_ok(&r) && def->derive != NULL)
			def->derive(&r);
		text = rec_ok(&r) ? row_text(&r) : NULL;
		if (r.drops != NULL || !rec_ok(&r))
			note_drops(out, def, user_id, i, &r);
		json_decref(r.drops);
		json_decref(copy);
		json_decref(r.row);
		if (!rec_ok(&r)) {
			out->skipped++;
			continue;
		}
		rowset_add(out, text, r.day);
	}
	return PF_OK;
}

int
transform_exercise_ids(const json_t *doc, const char *user_id,
    const char ***ids, size_t *n)
{
	const char	**v;
	json_t		 *it;
	const char	 *id;
	size_t		  i, k = 0;

	if (!json_is_array(doc))
		return PF_ERR_PROTO;
	v = pf_xcalloc(json_array_size(doc) + 1, sizeof(*v));
	json_array_foreach(doc, i, it) {
		if (!json_is_object(it) || pf_json_get_strn(it, "id", 64,
		    &id) != PF_OK || *id == '\0' || !ident_ok(id)) {
			pf_log_warnx("user %s stream exercise: list entry %zu "
			    "skipped: bad id", user_id, i);
			continue;
		}
		v[k++] = id;
	}
	*ids = v;
	*n = k;
	return PF_OK;
}

/* The length of the valid UTF-8 sequence at p (n bytes left), 0 if none. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xBF;
	size_t		 len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		len = 3;
		if (p[0] == 0xE0)
			lo = 0xA0;
		else if (p[0] == 0xED)
			hi = 0x9F;	/* no surrogates */
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		len = 4;
		if (p[0] == 0xF0)
			lo = 0x90;
		else if (p[0] == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return len;
}

size_t
transform_utf8_fix(const char *buf, size_t len, char **out, size_t *outlen)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 i = 0, k, bad = 0, at = 0;
	char			*o;

	*out = NULL;
	*outlen = 0;
	while (i < len) {
		if ((k = utf8_seq(p + i, len - i)) == 0) {
			bad++;
			k = 1;
		}
		i += k;
	}
	if (bad == 0)
		return 0;
	o = pf_xmalloc(len + 2 * bad + 1);
	for (i = 0; i < len; i += k) {
		if ((k = utf8_seq(p + i, len - i)) == 0) {
			memcpy(o + at, "\xEF\xBF\xBD", 3);	/* U+FFFD */
			at += 3;
			k = 1;
			continue;
		}
		memcpy(o + at, buf + i, k);
		at += k;
	}
	o[at] = '\0';
	*out = o;
	*outlen = at;
	return bad;
}

int
transform_pair(const char *s, int64_t *a, int64_t *b)
{
	char		*end;
	long long	 x, y;

	if (s == NULL)
		return PF_ERR_PARSE;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return PF_ERR_PARSE;
	x = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != ',')
		return PF_ERR_PARSE;
	s = end + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return PF_ERR_PARSE;
	y = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	/*
	 * Polar's counts and seconds stay far below 2^31; a larger number
	 * (strtoll's saturated LLONG_MAX too) is no rate-limit value, and
	 * seconds that large would overflow once made milliseconds.
	 */
	if (*end != '\0' || x < 0 || y < 0 || x > INT32_MAX || y > INT32_MAX)
		return PF_ERR_PARSE;
	*a = x;
	*b = y;
	return PF_OK;
}
