/*
 * json.c -- typed getters over jansson that keep missing, null, wrong type
 * and out of range apart.
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/xmalloc.h"

/* Longest string the lenient getters will read as a number. */
#define NUMSTR_MAX	64

int
pf_json_parse(const char *buf, size_t len, unsigned int flags, json_t **out,
    char *errbuf, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*root;
	char		*near;
	size_t		 jflags = 0;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (buf == NULL || out == NULL ||
	    (flags & ~(unsigned int)(PF_JSON_REJECT_DUPLICATES |
	    PF_JSON_ALLOW_NUL)))
		return PF_ERR_INVALID;
	if (len > PF_JSON_MAX_LEN) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen,
			    "document too large: %zu bytes, limit %d", len,
			    PF_JSON_MAX_LEN);
		return PF_ERR_RANGE;
	}
	if (flags & PF_JSON_REJECT_DUPLICATES)
		jflags |= JSON_REJECT_DUPLICATES;
	if (flags & PF_JSON_ALLOW_NUL)
		jflags |= JSON_ALLOW_NUL;

	if ((root = json_loadb(buf, len, jflags, &jerr)) == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return PF_ERR_NOMEM;
		if (errbuf != NULL && errlen > 0) {
			/*
			 * jansson appends " near '<token>'": drop it so no
			 * input (a token, personal data) reaches a log.
			 */
			jerr.text[JSON_ERROR_TEXT_LENGTH - 1] = '\0';
			if ((near = strstr(jerr.text, " near '")) != NULL)
				*near = '\0';
			snprintf(errbuf, errlen, "line %d column %d: %s",
			    jerr.line, jerr.column, jerr.text);
		}
		return PF_ERR_PARSE;
	}
	*out = root;
	return PF_OK;
}

/* One path segment, trying the key as written, then kebab, then snake. */
static json_t *
lookup_any(const json_t *obj, const char *seg, size_t seglen)
{
	char	 alt[PF_JSON_KEY_MAX];
	json_t	*v;
	size_t	 i;
	bool	 changed;

	if ((v = json_object_getn(obj, seg, seglen)) != NULL)
		return v;
	memcpy(alt, seg, seglen);
	for (changed = false, i = 0; i < seglen; i++)
		if (alt[i] == '_') {
			alt[i] = '-';
			changed = true;
		}
	if (changed && (v = json_object_getn(obj, alt, seglen)) != NULL)
		return v;
	memcpy(alt, seg, seglen);
	for (changed = false, i = 0; i < seglen; i++)
		if (alt[i] == '-') {
			alt[i] = '_';
			changed = true;
		}
	if (changed && (v = json_object_getn(obj, alt, seglen)) != NULL)
		return v;
	return NULL;
}

/* Every segment of a path is non-empty and fits PF_JSON_KEY_MAX. */
static bool
path_ok(const char *key)
{
	size_t	seglen = 0;

	for (;; key++) {
		if (*key == '/' || *key == '\0') {
			if (seglen == 0 || seglen >= PF_JSON_KEY_MAX)
				return false;
			if (*key == '\0')
				return true;
			seglen = 0;
		} else
			seglen++;
	}
}

int
pf_json_get(const json_t *obj, const char *key, json_t **out)
{
	const char	*seg, *slash;
	json_t		*v = NULL;
	size_t		 seglen;

	if (obj == NULL || key == NULL || out == NULL || !path_ok(key))
		return PF_ERR_INVALID;
	for (seg = key; seg != NULL; seg = slash != NULL ? slash + 1 : NULL) {
		slash = strchr(seg, '/');
		seglen = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		if (v != NULL)
			obj = v;
		if (json_is_null(obj))
			return PF_ERR_NULL;
		if (!json_is_object(obj))
			return PF_ERR_TYPE;
		if ((v = lookup_any(obj, seg, seglen)) == NULL)
			return PF_ERR_NOTFOUND;
	}
	if (json_is_null(v))
		return PF_ERR_NULL;
	*out = v;
	return PF_OK;
}

/* NULL and JSON null, common to every value converter. */
static int
present(const json_t *v)
{
	if (v == NULL)
		return PF_ERR_NOTFOUND;
	if (json_is_null(v))
		return PF_ERR_NULL;
	return PF_OK;
}

static int
num_int64(const json_t *v, int64_t *out)
{
	double	d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return PF_OK;
	}
	if (!json_is_real(v))
		return PF_ERR_TYPE;
	d = json_real_value(v);
	if (!isfinite(d))
		return PF_ERR_RANGE;
	if (d != trunc(d))
		return PF_ERR_TYPE;
	/* -2^63 is exact in a double; 2^63 is the first value past the top. */
	if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
		return PF_ERR_RANGE;
	*out = (int64_t)d;
	return PF_OK;
}

static int
num_double(const json_t *v, double *out)
{
	double	d;

	if (json_is_integer(v)) {
		*out = (double)json_integer_value(v);
		return PF_OK;
	}
	if (!json_is_real(v))
		return PF_ERR_TYPE;
	d = json_real_value(v);
	if (!isfinite(d))
		return PF_ERR_RANGE;
	*out = d;
	return PF_OK;
}

/*
 * A JSON string whose text is exactly a JSON number, decoded by jansson so
 * the grammar is the same as for real numbers.  *num is a new reference.
 */
static int
numstr(const json_t *v, size_t jflags, json_t **num)
{
	json_error_t	 jerr;
	const char	*s = json_string_value(v);
	size_t		 len = json_string_length(v);
	json_t		*n;

	if (len == 0 || len > NUMSTR_MAX ||
	    !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) ||
	    !(s[len - 1] >= '0' && s[len - 1] <= '9'))
		return PF_ERR_TYPE;
	if ((n = json_loadb(s, len, JSON_DECODE_ANY | jflags, &jerr)) == NULL) {
		switch (json_error_code(&jerr)) {
		case json_error_numeric_overflow:
			return PF_ERR_RANGE;
		case json_error_out_of_memory:
			return PF_ERR_NOMEM;
		default:
			return PF_ERR_TYPE;
		}
	}
	if (!json_is_number(n)) {
		json_decref(n);
		return PF_ERR_TYPE;
	}
	*num = n;
	return PF_OK;
}

int
pf_json_as_strn(const json_t *v, size_t maxlen, const char **out)
{
	const char	*s;
	size_t		 len;
	int		 r;

	if (out == NULL)
		return PF_ERR_INVALID;
	if ((r = present(v)) != PF_OK)
		return r;
	if (!json_is_string(v))
		return PF_ERR_TYPE;
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len)
		return PF_ERR_INVALID;
	if (len > maxlen)
		return PF_ERR_RANGE;
	*out = s;
	return PF_OK;
}

int
pf_json_as_int64(const json_t *v, int64_t *out)
{
	int	r;

	if (out == NULL)
		return PF_ERR_INVALID;
	if ((r = present(v)) != PF_OK)
		return r;
	return num_int64(v, out);
}

static int
narrow_int(int64_t w, int *out)
{
	if (w < INT_MIN || w > INT_MAX)
		return PF_ERR_RANGE;
	*out = (int)w;
	return PF_OK;
}

int
pf_json_as_int(const json_t *v, int *out)
{
	int64_t	w;
	int	r;

	if (out == NULL)
		return PF_ERR_INVALID;
	if ((r = pf_json_as_int64(v, &w)) != PF_OK)
		return r;
	return narrow_int(w, out);
}

int
pf_json_as_double(const json_t *v, double *out)
{
	int	r;

	if (out == NULL)
		return PF_ERR_INVALID;
	if ((r = present(v)) != PF_OK)
		return r;
	return num_double(v, out);
}

int
pf_json_as_bool(const json_t *v, bool *out)
{
	int	r;

	if (out == NULL)
		return PF_ERR_INVALID;
	if ((r = present(v)) != PF_OK)
		return r;
	if (!json_is_boolean(v))
		return PF_ERR_TYPE;
	*out = json_is_true(v);
	return PF_OK;
}

int
pf_json_as_int64_lenient(const json_t *v, int64_t *out)
{
	json_t	*n;
	int	 r;

	if (out == NULL)
		return PF_ERR_INVALID;
	if ((r = present(v)) != PF_OK)
		return r;
	if (!json_is_string(v))
		return num_int64(v, out);
	if ((r = numstr(v, 0, &n)) != PF_OK)
		return r;
	r = num_int64(n, out);
	json_decref(n);
	return r;
}

int
pf_json_as_int_lenient(const json_t *v, int *out)
{
	int64_t	w;
	int	r;

	if (out == NULL)
		return PF_ERR_INVALID;
	if ((r = pf_json_as_int64_lenient(v, &w)) != PF_OK)
		return r;
	return narrow_int(w, out);
}

int
pf_json_as_double_lenient(const json_t *v, double *out)
{
	json_t	*n;
	int	 r;

	if (out == NULL)
		return PF_ERR_INVALID;
	if ((r = present(v)) != PF_OK)
		return r;
	if (!json_is_string(v))
		return num_double(v, out);
	/* As a real, so "9223372036854775808" is a double, not an overflow. */
	if ((r = numstr(v, JSON_DECODE_INT_AS_REAL, &n)) != PF_OK)
		return r;
	r = num_double(n, out);
	json_decref(n);
	return r;
}

int
pf_json_get_str(const json_t *obj, const char *key, const char **out)
{
	return pf_json_get_strn(obj, key, SIZE_MAX, out);
}

int
pf_json_get_strn(const json_t *obj, const char *key, size_t maxlen,
    const char **out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	return pf_json_as_strn(v, maxlen, out);
}

int
pf_json_get_int64(const json_t *obj, const char *key, int64_t *out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	return pf_json_as_int64(v, out);
}

int
pf_json_get_int(const json_t *obj, const char *key, int *out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	return pf_json_as_int(v, out);
}

int
pf_json_get_double(const json_t *obj, const char *key, double *out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	return pf_json_as_double(v, out);
}

int
pf_json_get_bool(const json_t *obj, const char *key, bool *out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	return pf_json_as_bool(v, out);
}

int
pf_json_get_object(const json_t *obj, const char *key, json_t **out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	if (!json_is_object(v))
		return PF_ERR_TYPE;
	*out = v;
	return PF_OK;
}

int
pf_json_get_array(const json_t *obj, const char *key, json_t **out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	if (!json_is_array(v))
		return PF_ERR_TYPE;
	*out = v;
	return PF_OK;
}

int
pf_json_get_int64_lenient(const json_t *obj, const char *key, int64_t *out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	return pf_json_as_int64_lenient(v, out);
}

int
pf_json_get_int_lenient(const json_t *obj, const char *key, int *out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	return pf_json_as_int_lenient(v, out);
}

int
pf_json_get_double_lenient(const json_t *obj, const char *key, double *out)
{
	json_t	*v;
	int	 r;

	if ((r = pf_json_get(obj, key, &v)) != PF_OK)
		return r;
	return pf_json_as_double_lenient(v, out);
}

/* Maps absent (missing or null) to PF_OK with *present = false. */
static int
opt_result(int r, bool *present_out)
{
	if (r == PF_ERR_NOTFOUND || r == PF_ERR_NULL) {
		*present_out = false;
		return PF_OK;
	}
	if (r == PF_OK)
		*present_out = true;
	return r;
}

int
pf_json_opt_strn(const json_t *obj, const char *key, size_t maxlen,
    const char **out, bool *present_out)
{
	const char	*s;
	int		 r;

	if (out == NULL || present_out == NULL)
		return PF_ERR_INVALID;
	if ((r = opt_result(pf_json_get_strn(obj, key, maxlen, &s),
	    present_out)) == PF_OK && *present_out)
		*out = s;
	return r;
}

int
pf_json_opt_int64(const json_t *obj, const char *key, int64_t *out,
    bool *present_out)
{
	int64_t	v;
	int	r;

	if (out == NULL || present_out == NULL)
		return PF_ERR_INVALID;
	if ((r = opt_result(pf_json_get_int64(obj, key, &v),
	    present_out)) == PF_OK && *present_out)
		*out = v;
	return r;
}

int
pf_json_opt_int(const json_t *obj, const char *key, int *out,
    bool *present_out)
{
	int	v, r;

	if (out == NULL || present_out == NULL)
		return PF_ERR_INVALID;
	if ((r = opt_result(pf_json_get_int(obj, key, &v),
	    present_out)) == PF_OK && *present_out)
		*out = v;
	return r;
}

int
pf_json_opt_double(const json_t *obj, const char *key, double *out,
    bool *present_out)
{
	double	v;
	int	r;

	if (out == NULL || present_out == NULL)
		return PF_ERR_INVALID;
	if ((r = opt_result(pf_json_get_double(obj, key, &v),
	    present_out)) == PF_OK && *present_out)
		*out = v;
	return r;
}

int
pf_json_opt_bool(const json_t *obj, const char *key, bool *out,
    bool *present_out)
{
	bool	v;
	int	r;

	if (out == NULL || present_out == NULL)
		return PF_ERR_INVALID;
	if ((r = opt_result(pf_json_get_bool(obj, key, &v),
	    present_out)) == PF_OK && *present_out)
		*out = v;
	return r;
}

json_t *
pf_json_real(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *
pf_json_str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

/*
 * The shortest digits that read back as v, in fixed notation for decimal
 * exponents -4..15 (with ".0" on integers), else d.ddde+XX: Python's
 * repr(float).
 */
static void
dtoa_repr(double v, char *buf, size_t len)
{
	static const int	 precs[3] = { 15, 16, 17 };
	char			 tmp[40], *e, *m;
	int			 i, exp10, sig, dec;

	/*
	 * If some p <= 15 digits read back as v, the 15-digit rounding is
	 * those digits padded with zeros, so trying 15, 16, 17 is enough.
	 */
	for (i = 0; i < 3; i++) {
		snprintf(tmp, sizeof(tmp), "%.*e", precs[i] - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if ((e = strchr(tmp, 'e')) == NULL) {
		snprintf(buf, len, "%s", tmp);
		return;
	}
	exp10 = atoi(e + 1);
	for (m = e - 1; m > tmp && (*m == '0' || *m == '.'); m--)
		;
	for (sig = 0, e = tmp; e <= m; e++)
		if (*e >= '0' && *e <= '9')
			sig++;
	if (exp10 >= -4 && exp10 < 16) {
		dec = sig - 1 - exp10;
		snprintf(buf, len, "%.*f", dec < 1 ? 1 : dec, v);
	} else
		snprintf(buf, len, "%.*e", sig - 1, v);
}

/* jansson's own encoding of a scalar (strings escaped as it escapes). */
static void
dump_scalar(struct pf_buf *b, const json_t *v)
{
	char	*s;

	if ((s = json_dumps(v, JSON_ENCODE_ANY)) == NULL) {
		pf_buf_add(b, "null", 4);
		return;
	}
	pf_buf_add(b, s, strlen(s));
	free(s);
}

static void
dump_rec(struct pf_buf *b, const json_t *v)
{
	char		 num[40];
	const char	*key;
	json_t		*e, *k;
	size_t		 i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		pf_buf_add(b, "{", 1);
		i = 0;
		json_object_foreach((json_t *)v, key, e) {
			if (i++ > 0)
				pf_buf_add(b, ",", 1);
			k = json_string(key);
			dump_scalar(b, k);
			json_decref(k);
			pf_buf_add(b, ":", 1);
			dump_rec(b, e);
		}
		pf_buf_add(b, "}", 1);
		break;
	case JSON_ARRAY:
		pf_buf_add(b, "[", 1);
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				pf_buf_add(b, ",", 1);
			dump_rec(b, json_array_get(v, i));
		}
		pf_buf_add(b, "]", 1);
		break;
	case JSON_REAL:
		if (!isfinite(json_real_value(v))) {
			pf_buf_add(b, "null", 4);
			break;
		}
		dtoa_repr(json_real_value(v), num, sizeof(num));
		pf_buf_add(b, num, strlen(num));
		break;
	default:
		dump_scalar(b, v);
		break;
	}
}

char *
pf_json_dumps_repr(const json_t *v)
{
	struct pf_buf	b = PF_BUF_INIT;

	dump_rec(&b, v);
	return b.p;
}
