#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"
#include "common/time.h"

/* Parses a literal that the test knows to be good. */
static json_t *
load(const char *s)
{
	json_t	*j = NULL;
	char	 err[PF_JSON_ERR_LEN];

	if (pf_json_parse(s, strlen(s), 0, &j, err, sizeof(err)) != PF_OK)
		fail_msg("fixture does not parse: %s", err);
	return j;
}

static int
parse(const char *s, unsigned int flags, char *err, size_t errlen)
{
	json_t	*j = NULL;
	int	 r;

	r = pf_json_parse(s, strlen(s), flags, &j, err, errlen);
	if (r == PF_OK)
		assert_non_null(j);
	else
		assert_null(j);
	json_decref(j);
	return r;
}

static void
test_parse_ok(void **state)
{
	json_t	*j = NULL;
	char	 err[PF_JSON_ERR_LEN] = "stale";
	char	*heap;

	(void)state;
	assert_int_equal(pf_json_parse("{}", 2, 0, &j, err, sizeof(err)),
	    PF_OK);
	assert_true(json_is_object(j));
	assert_string_equal(err, "");
	json_decref(j);
	assert_int_equal(pf_json_parse("[1, 2]", 6, 0, &j, NULL, 0), PF_OK);
	assert_true(json_is_array(j));
	json_decref(j);
	/* Exactly len bytes: what follows is not read. */
	assert_int_equal(pf_json_parse("{\"a\":1}garbage", 7, 0, &j, NULL, 0),
	    PF_OK);
	json_decref(j);
	/* No NUL after the buffer (ASan watches the edge). */
	heap = malloc(9);
	assert_non_null(heap);
	memcpy(heap, "{\"k\":[]}", 8);
	heap[8] = '}';
	assert_int_equal(pf_json_parse(heap, 8, 0, &j, NULL, 0), PF_OK);
	json_decref(j);
	assert_int_equal(pf_json_parse(heap, 7, 0, &j, NULL, 0), PF_ERR_PARSE);
	free(heap);
	/* Duplicates: last wins by default, refused on request. */
	j = load("{\"a\":1,\"a\":2}");
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 2);
	json_decref(j);
	assert_int_equal(parse("{\"a\":1,\"a\":2}", PF_JSON_REJECT_DUPLICATES,
	    err, sizeof(err)), PF_ERR_PARSE);
	assert_string_equal(err, "line 1 column 10: duplicate object key");
	/* Largest int64 values parse. */
	j = load("{\"max\":9223372036854775807,\"min\":-9223372036854775808}");
	json_decref(j);
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"{",
		"{\"a\":",
		"{\"a\":1",
		"[1, 2",
		"{\"a\":\"unterminated",
		"\"scalar\"",
		"42",
		"null",
		"{} x",
		"{}{}",
		"{\"a\":NaN}",
		"{\"a\":Infinity}",
		"{\"a\":-Infinity}",
		"{\"a\":1e400}",
		"{\"a\":-1e400}",
		"{\"a\":9223372036854775808}",
		"{\"a\":-9223372036854775809}",
		"{\"a\":\"x\\u0000y\"}",
		"{\"a\":01}",
		"{\"a\":.5}",
		"{\"a\":+1}",
		"{'a':1}",
		"{\"a\":1,}",
		"[1,]",
		"{\"a\" 1}",
		"{\"a\":tru}",
		"{\"a\":\"\\x\"}",
		"{\"a\":\"\xff\"}",
	};
	char	err[PF_JSON_ERR_LEN];
	json_t	*j = (json_t *)0x1;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i], 0, err, sizeof(err)) != PF_ERR_PARSE)
			fail_msg("\"%s\" parsed", bad[i]);
		if (strncmp(err, "line ", 5) != 0)
			fail_msg("\"%s\": errbuf \"%s\"", bad[i], err);
	}

	/* The message carries position and reason, never the input. */
	assert_int_equal(parse("{\"a\":", 0, err, sizeof(err)), PF_ERR_PARSE);
	assert_string_equal(err,
	    "line 1 column 5: unexpected token near end of file");
	assert_int_equal(parse("{\"token\":pfk_secret}", 0, err, sizeof(err)),
	    PF_ERR_PARSE);
	assert_null(strstr(err, "pfk_secret"));
	assert_string_equal(err, "line 1 column 12: invalid token");
	assert_int_equal(parse("{\n\"a\":\n1e400}", 0, err, sizeof(err)),
	    PF_ERR_PARSE);
	assert_string_equal(err, "line 3 column 5: real number overflow");
	assert_int_equal(parse("{\"a\":9223372036854775808}", 0, err,
	    sizeof(err)), PF_ERR_PARSE);
	assert_string_equal(err, "line 1 column 24: too big integer");
	/* A short errbuf is truncated, not overrun; NULL errbuf is fine. */
	assert_int_equal(parse("{", 0, err, 8), PF_ERR_PARSE);
	assert_string_equal(err, "line 1 ");
	assert_int_equal(parse("{", 0, NULL, 0), PF_ERR_PARSE);

	/* Caller errors; *out untouched. */
	assert_int_equal(pf_json_parse(NULL, 0, 0, &j, err, sizeof(err)),
	    PF_ERR_INVALID);
	assert_int_equal(pf_json_parse("{}", 2, 0, NULL, err, sizeof(err)),
	    PF_ERR_INVALID);
	assert_int_equal(pf_json_parse("{}", 2, 0x80, &j, err, sizeof(err)),
	    PF_ERR_INVALID);
	/* The size check comes before any read. */
	assert_int_equal(pf_json_parse("{}", (size_t)PF_JSON_MAX_LEN + 1, 0,
	    &j, err, sizeof(err)), PF_ERR_RANGE);
	assert_non_null(strstr(err, "too large"));
	assert_ptr_equal(j, (json_t *)0x1);
}

static const char *const doc =
    "{"
    "\"s\":\"hello\", \"empty\":\"\", \"n\":null, \"t\":true, \"f\":false,"
    "\"i\":42, \"neg\":-7, \"big\":3000000000, \"r\":72.0, \"half\":72.5,"
    "\"huge\":1e19, \"two63\":9223372036854775808.0,"
    "\"mtwo63\":-9223372036854775808.0,"
    "\"imax\":2147483647, \"imin\":-2147483648,"
    "\"iover\":2147483648, \"iunder\":-2147483649,"
    "\"max\":9223372036854775807, \"min\":-9223372036854775808,"
    "\"numstr\":\"72\", \"obj\":{\"x\":1}, \"arr\":[1,2], \"tiny\":1e-400,"
    "\"utf8\":\"h\xc3\xa4\xc3\xa4\""
    "}";

static void
test_missing_null_type(void **state)
{
	json_t		*j = load(doc), *v;
	const char	*s = "sentinel";
	int64_t		 i64 = 11;
	double		 d = 11;
	bool		 b = true;
	int		 i = 11;

	(void)state;
	/* Missing. */
	assert_int_equal(pf_json_get_str(j, "nope", &s), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_int64(j, "nope", &i64), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_int(j, "nope", &i), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_double(j, "nope", &d), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_bool(j, "nope", &b), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_object(j, "nope", &v), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_array(j, "nope", &v), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get(j, "nope", &v), PF_ERR_NOTFOUND);
	/* Null. */
	assert_int_equal(pf_json_get_str(j, "n", &s), PF_ERR_NULL);
	assert_int_equal(pf_json_get_int64(j, "n", &i64), PF_ERR_NULL);
	assert_int_equal(pf_json_get_int(j, "n", &i), PF_ERR_NULL);
	assert_int_equal(pf_json_get_double(j, "n", &d), PF_ERR_NULL);
	assert_int_equal(pf_json_get_bool(j, "n", &b), PF_ERR_NULL);
	assert_int_equal(pf_json_get_object(j, "n", &v), PF_ERR_NULL);
	assert_int_equal(pf_json_get_array(j, "n", &v), PF_ERR_NULL);
	assert_int_equal(pf_json_get(j, "n", &v), PF_ERR_NULL);
	/* Wrong type. */
	assert_int_equal(pf_json_get_str(j, "i", &s), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_str(j, "obj", &s), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_int64(j, "s", &i64), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_int64(j, "numstr", &i64), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_int64(j, "t", &i64), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_int(j, "numstr", &i), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_int(j, "arr", &i), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_double(j, "numstr", &d), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_double(j, "f", &d), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_bool(j, "i", &b), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_bool(j, "s", &b), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_object(j, "arr", &v), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_array(j, "obj", &v), PF_ERR_TYPE);
	/* Nothing was written by any failure. */
	assert_string_equal(s, "sentinel");
	assert_int_equal(i64, 11);
	assert_int_equal(i, 11);
	assert_true(d == 11);
	assert_true(b);
	json_decref(j);
}

static void
test_integers(void **state)
{
	json_t	*j = load(doc);
	int64_t	 i64 = 0;
	int	 i = 0;

	(void)state;
	assert_int_equal(pf_json_get_int(j, "i", &i), PF_OK);
	assert_int_equal(i, 42);
	assert_int_equal(pf_json_get_int(j, "neg", &i), PF_OK);
	assert_int_equal(i, -7);
	assert_int_equal(pf_json_get_int(j, "imax", &i), PF_OK);
	assert_int_equal(i, 2147483647);
	assert_int_equal(pf_json_get_int(j, "imin", &i), PF_OK);
	assert_int_equal(i, -2147483647 - 1);
	i = 5;
	assert_int_equal(pf_json_get_int(j, "big", &i), PF_ERR_RANGE);
	assert_int_equal(pf_json_get_int(j, "iover", &i), PF_ERR_RANGE);
	assert_int_equal(pf_json_get_int(j, "iunder", &i), PF_ERR_RANGE);
	assert_int_equal(pf_json_get_int(j, "max", &i), PF_ERR_RANGE);
	assert_int_equal(i, 5);

	assert_int_equal(pf_json_get_int64(j, "big", &i64), PF_OK);
	assert_int_equal(i64, INT64_C(3000000000));
	assert_int_equal(pf_json_get_int64(j, "max", &i64), PF_OK);
	assert_true(i64 == INT64_MAX);
	assert_int_equal(pf_json_get_int64(j, "min", &i64), PF_OK);
	assert_true(i64 == INT64_MIN);

	/* Integral reals are integers; fractions and overflow are not. */
	assert_int_equal(pf_json_get_int(j, "r", &i), PF_OK);
	assert_int_equal(i, 72);
	assert_int_equal(pf_json_get_int64(j, "r", &i64), PF_OK);
	assert_int_equal(i64, 72);
	assert_int_equal(pf_json_get_int(j, "half", &i), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_int64(j, "tiny", &i64), PF_OK);
	assert_int_equal(i64, 0);
	i64 = 9;
	assert_int_equal(pf_json_get_int64(j, "huge", &i64), PF_ERR_RANGE);
	assert_int_equal(pf_json_get_int64(j, "two63", &i64), PF_ERR_RANGE);
	assert_int_equal(pf_json_get_int(j, "huge", &i), PF_ERR_RANGE);
	assert_int_equal(i64, 9);
	assert_int_equal(pf_json_get_int64(j, "mtwo63", &i64), PF_OK);
	assert_true(i64 == INT64_MIN);
	json_decref(j);
}

static void
test_doubles_bools(void **state)
{
	json_t	*j = load(doc);
	double	 d = 0;
	bool	 b = false;

	(void)state;
	assert_int_equal(pf_json_get_double(j, "half", &d), PF_OK);
	assert_true(d == 72.5);
	assert_int_equal(pf_json_get_double(j, "i", &d), PF_OK);
	assert_true(d == 42.0);
	assert_int_equal(pf_json_get_double(j, "huge", &d), PF_OK);
	assert_true(d == 1e19);
	assert_int_equal(pf_json_get_double(j, "tiny", &d), PF_OK);
	assert_true(d == 0.0);
	assert_int_equal(pf_json_get_double(j, "max", &d), PF_OK);
	assert_true(d == 9223372036854775807.0);

	assert_int_equal(pf_json_get_bool(j, "t", &b), PF_OK);
	assert_true(b);
	assert_int_equal(pf_json_get_bool(j, "f", &b), PF_OK);
	assert_false(b);
	/* jansson cannot hold NaN or inf at all: json_real() refuses them. */
	assert_null(json_real(NAN));
	assert_null(json_real(INFINITY));
	json_decref(j);
}

static void
test_strings(void **state)
{
	json_t		*j = load(doc), *o;
	const char	*s = NULL;

	(void)state;
	assert_int_equal(pf_json_get_str(j, "s", &s), PF_OK);
	assert_string_equal(s, "hello");
	assert_int_equal(pf_json_get_str(j, "empty", &s), PF_OK);
	assert_string_equal(s, "");
	assert_int_equal(pf_json_get_strn(j, "s", 5, &s), PF_OK);
	assert_string_equal(s, "hello");
	s = "x";
	assert_int_equal(pf_json_get_strn(j, "s", 4, &s), PF_ERR_RANGE);
	assert_string_equal(s, "x");
	assert_int_equal(pf_json_get_strn(j, "empty", 0, &s), PF_OK);
	assert_string_equal(s, "");
	/* Limits are bytes: "hää" is 5 bytes of UTF-8. */
	assert_int_equal(pf_json_get_strn(j, "utf8", 4, &s), PF_ERR_RANGE);
	assert_int_equal(pf_json_get_strn(j, "utf8", 5, &s), PF_OK);
	json_decref(j);

	/* A string built in memory with a NUL byte is refused. */
	o = json_object();
	assert_non_null(o);
	assert_int_equal(json_object_set_new(o, "k", json_stringn("a\0b", 3)),
	    0);
	s = "x";
	assert_int_equal(pf_json_get_str(o, "k", &s), PF_ERR_INVALID);
	assert_string_equal(s, "x");
	json_decref(o);
}

static void
test_containers(void **state)
{
	json_t	*j = load(doc), *v = NULL;
	int	 i;

	(void)state;
	assert_int_equal(pf_json_get_object(j, "obj", &v), PF_OK);
	assert_int_equal(pf_json_get_int(v, "x", &i), PF_OK);
	assert_int_equal(i, 1);
	assert_int_equal(pf_json_get_array(j, "arr", &v), PF_OK);
	assert_int_equal(json_array_size(v), 2);
	assert_int_equal(pf_json_as_int(json_array_get(v, 1), &i), PF_OK);
	assert_int_equal(i, 2);
	assert_int_equal(pf_json_as_int(json_array_get(v, 2), &i),
	    PF_ERR_NOTFOUND);
	/* Getters need an object. */
	assert_int_equal(pf_json_get_int(v, "x", &i), PF_ERR_TYPE);
	assert_int_equal(pf_json_get(j, "s", &v), PF_OK);
	assert_true(json_is_string(v));
	json_decref(j);
}

static void
test_key_spellings(void **state)
{
	json_t		*j;
	const char	*s;
	int		 i;

	(void)state;
	j = load("{\"sleep-start-time\":\"kebab\", \"heart_rate\":61,"
	    "\"both_ways\":1, \"both-ways\":2, \"running-index\":55,"
	    "\"training_load_pro\":{\"cardio-load\":3, \"user-rpe\":\"X\"},"
	    "\"plain\":7}");
	assert_int_equal(pf_json_get_str(j, "sleep_start_time", &s), PF_OK);
	assert_string_equal(s, "kebab");
	assert_int_equal(pf_json_get_str(j, "sleep-start-time", &s), PF_OK);
	assert_int_equal(pf_json_get_int(j, "heart-rate", &i), PF_OK);
	assert_int_equal(i, 61);
	assert_int_equal(pf_json_get_int(j, "heart_rate", &i), PF_OK);
	assert_int_equal(pf_json_get_int(j, "running_index", &i), PF_OK);
	assert_int_equal(i, 55);
	/* The spelling asked for wins when both exist. */
	assert_int_equal(pf_json_get_int(j, "both_ways", &i), PF_OK);
	assert_int_equal(i, 1);
	assert_int_equal(pf_json_get_int(j, "both-ways", &i), PF_OK);
	assert_int_equal(i, 2);
	/* Paths, with spelling tolerance in every segment. */
	assert_int_equal(pf_json_get_int(j, "training_load_pro/cardio_load",
	    &i), PF_OK);
	assert_int_equal(i, 3);
	assert_int_equal(pf_json_get_str(j, "training-load-pro/user-rpe", &s),
	    PF_OK);
	assert_string_equal(s, "X");
	assert_int_equal(pf_json_get_int(j, "plain", &i), PF_OK);
	/* Only '_' and '-' are interchangeable. */
	assert_int_equal(pf_json_get_int(j, "heartrate", &i), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_int(j, "Heart_Rate", &i),
	    PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_int(j, "heart rate", &i),
	    PF_ERR_NOTFOUND);
	json_decref(j);
}

static void
test_paths(void **state)
{
	char	 longkey[PF_JSON_KEY_MAX + 1];
	json_t	*j, *v = NULL;
	int	 i = 3;

	(void)state;
	j = load("{\"a\":{\"b\":{\"c\":5}, \"n\":null, \"s\":\"x\"}}");
	assert_int_equal(pf_json_get_int(j, "a/b/c", &i), PF_OK);
	assert_int_equal(i, 5);
	assert_int_equal(pf_json_get_object(j, "a/b", &v), PF_OK);
	assert_int_equal(pf_json_get_int(j, "a/b/d", &i), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_int(j, "a/x/c", &i), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_int(j, "x/b/c", &i), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_get_int(j, "a/n/c", &i), PF_ERR_NULL);
	assert_int_equal(pf_json_get_int(j, "a/n", &i), PF_ERR_NULL);
	assert_int_equal(pf_json_get_int(j, "a/s/c", &i), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_int(j, "a/b/c/d", &i), PF_ERR_TYPE);
	/* Malformed paths are caller bugs, found before any lookup. */
	assert_int_equal(pf_json_get_int(j, "", &i), PF_ERR_INVALID);
	assert_int_equal(pf_json_get_int(j, "/a", &i), PF_ERR_INVALID);
	assert_int_equal(pf_json_get_int(j, "a/", &i), PF_ERR_INVALID);
	assert_int_equal(pf_json_get_int(j, "a//c", &i), PF_ERR_INVALID);
	assert_int_equal(pf_json_get_int(j, "x//c", &i), PF_ERR_INVALID);
	assert_int_equal(pf_json_get_int(j, NULL, &i), PF_ERR_INVALID);
	assert_int_equal(pf_json_get_int(NULL, "a", &i), PF_ERR_INVALID);
	assert_int_equal(pf_json_get_int(j, "a/b/c", NULL), PF_ERR_INVALID);
	assert_int_equal(pf_json_get(j, "a", NULL), PF_ERR_INVALID);
	memset(longkey, 'k', sizeof(longkey));
	longkey[PF_JSON_KEY_MAX] = '\0';
	assert_int_equal(pf_json_get_int(j, longkey, &i), PF_ERR_INVALID);
	longkey[PF_JSON_KEY_MAX - 1] = '\0';
	assert_int_equal(pf_json_get_int(j, longkey, &i), PF_ERR_NOTFOUND);
	assert_int_equal(i, 5);
	json_decref(j);
}

static void
test_lenient(void **state)
{
	static const struct {
		const char	*key;
		int		 r_int, v_int;
		int		 r_dbl;
		double		 v_dbl;
	} cases[] = {
		{ "zero", PF_OK, 0, PF_OK, 0 },
		{ "n72", PF_OK, 72, PF_OK, 72 },
		{ "neg", PF_OK, -3, PF_OK, -3 },
		{ "r72", PF_OK, 72, PF_OK, 72 },
		{ "frac", PF_ERR_TYPE, 0, PF_OK, -1.5 },
		{ "exp", PF_OK, 1000, PF_OK, 1000 },
		{ "na", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "empty", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "lead", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "trail", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "hex", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "plus", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "octal", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "minus", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "two", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "arr", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "nan", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "inf", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "long", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "e400", PF_ERR_RANGE, 0, PF_ERR_RANGE, 0 },
		{ "i3e9", PF_ERR_RANGE, 0, PF_OK, 3e9 },
		{ "i2e63", PF_ERR_RANGE, 0, PF_OK, 9223372036854775808.0 },
		{ "num", PF_OK, 5, PF_OK, 5 },
		{ "real", PF_ERR_TYPE, 0, PF_OK, 5.5 },
		{ "bool", PF_ERR_TYPE, 0, PF_ERR_TYPE, 0 },
		{ "null", PF_ERR_NULL, 0, PF_ERR_NULL, 0 },
		{ "missing", PF_ERR_NOTFOUND, 0, PF_ERR_NOTFOUND, 0 },
	};
	json_t	*j;
	int64_t	 i64;
	double	 d;
	size_t	 k;
	int	 i, r;

	(void)state;
	j = load("{\"zero\":\"0\", \"n72\":\"72\", \"neg\":\"-3\","
	    "\"r72\":\"72.0\", \"frac\":\"-1.5\", \"exp\":\"1e3\","
	    "\"na\":\"NOT_AVAILABLE\", \"empty\":\"\", \"lead\":\" 72\","
	    "\"trail\":\"72 \", \"hex\":\"0x10\", \"plus\":\"+1\","
	    "\"octal\":\"012\", \"minus\":\"-\", \"two\":\"1 2\","
	    "\"arr\":\"[1]\", \"nan\":\"NaN\", \"inf\":\"Infinity\","
	    "\"long\":\"1000000000000000000000000000000000000000000000000"
	    "0000000000000000\","
	    "\"e400\":\"1e400\", \"i3e9\":\"3000000000\","
	    "\"i2e63\":\"9223372036854775808\", \"num\":5, \"real\":5.5,"
	    "\"bool\":true, \"null\":null}");
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		i = -99;
		d = -99;
		r = pf_json_get_int_lenient(j, cases[k].key, &i);
		if (r != cases[k].r_int ||
		    (r == PF_OK && i != cases[k].v_int) ||
		    (r != PF_OK && i != -99))
			fail_msg("int %s: r %d v %d", cases[k].key, r, i);
		r = pf_json_get_double_lenient(j, cases[k].key, &d);
		if (r != cases[k].r_dbl ||
		    (r == PF_OK && d != cases[k].v_dbl) ||
		    (r != PF_OK && d != -99))
			fail_msg("double %s: r %d v %g", cases[k].key, r, d);
	}
	assert_int_equal(pf_json_get_int64_lenient(j, "i3e9", &i64), PF_OK);
	assert_int_equal(i64, INT64_C(3000000000));
	assert_int_equal(pf_json_get_int64_lenient(j, "i2e63", &i64),
	    PF_ERR_RANGE);
	/* The strict getters still refuse them. */
	assert_int_equal(pf_json_get_int(j, "n72", &i), PF_ERR_TYPE);
	assert_int_equal(pf_json_get_double(j, "frac", &d), PF_ERR_TYPE);
	json_decref(j);
}

static void
test_optional(void **state)
{
	json_t		*j = load(doc);
	const char	*s = "untouched";
	int64_t		 i64 = -1;
	double		 d = -1;
	bool		 b = false, present = true;
	int		 i = -1;

	(void)state;
	/* Missing and null: PF_OK, absent, out untouched. */
	assert_int_equal(pf_json_opt_int(j, "nope", &i, &present), PF_OK);
	assert_false(present);
	present = true;
	assert_int_equal(pf_json_opt_int(j, "n", &i, &present), PF_OK);
	assert_false(present);
	assert_int_equal(i, -1);
	present = true;
	assert_int_equal(pf_json_opt_int64(j, "n", &i64, &present), PF_OK);
	assert_false(present);
	present = true;
	assert_int_equal(pf_json_opt_double(j, "nope", &d, &present), PF_OK);
	assert_false(present);
	present = true;
	assert_int_equal(pf_json_opt_bool(j, "n", &b, &present), PF_OK);
	assert_false(present);
	present = true;
	assert_int_equal(pf_json_opt_strn(j, "n", 10, &s, &present), PF_OK);
	assert_false(present);
	assert_string_equal(s, "untouched");
	assert_int_equal(i64, -1);
	assert_true(d == -1);
	assert_false(b);

	/* Present. */
	assert_int_equal(pf_json_opt_int(j, "i", &i, &present), PF_OK);
	assert_true(present);
	assert_int_equal(i, 42);
	assert_int_equal(pf_json_opt_int64(j, "big", &i64, &present), PF_OK);
	assert_int_equal(i64, INT64_C(3000000000));
	assert_int_equal(pf_json_opt_double(j, "half", &d, &present), PF_OK);
	assert_true(d == 72.5);
	assert_int_equal(pf_json_opt_bool(j, "t", &b, &present), PF_OK);
	assert_true(b);
	assert_int_equal(pf_json_opt_strn(j, "s", 10, &s, &present), PF_OK);
	assert_string_equal(s, "hello");
	assert_true(present);

	/* Wrong type and range are still errors; nothing written. */
	present = false;
	i = -1;
	assert_int_equal(pf_json_opt_int(j, "s", &i, &present), PF_ERR_TYPE);
	assert_int_equal(pf_json_opt_int(j, "big", &i, &present),
	    PF_ERR_RANGE);
	assert_int_equal(pf_json_opt_strn(j, "s", 2, &s, &present),
	    PF_ERR_RANGE);
	assert_int_equal(pf_json_opt_bool(j, "i", &b, &present), PF_ERR_TYPE);
	assert_false(present);
	assert_int_equal(i, -1);
	/* Caller bugs are not "absent". */
	assert_int_equal(pf_json_opt_int(NULL, "i", &i, &present),
	    PF_ERR_INVALID);
	assert_int_equal(pf_json_opt_int(j, "", &i, &present),
	    PF_ERR_INVALID);
	assert_int_equal(pf_json_opt_int(j, "i", &i, NULL), PF_ERR_INVALID);
	json_decref(j);
}

static void
test_values(void **state)
{
	json_t		*j, *e;
	const char	*key, *s;
	int		 i, sum = 0, count = 0;
	double		 d;
	bool		 b;
	size_t		 idx;

	(void)state;
	assert_int_equal(pf_json_as_int(NULL, &i), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_as_strn(NULL, 1, &s), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_as_double_lenient(NULL, &d), PF_ERR_NOTFOUND);
	assert_int_equal(pf_json_as_bool(json_null(), &b), PF_ERR_NULL);
	assert_int_equal(pf_json_as_int(json_true(), NULL), PF_ERR_INVALID);

	/* A hypnogram-like map and an array with a null inside. */
	j = load("{\"hypnogram\":{\"23:40\":1,\"23:55\":2,\"00:10\":3},"
	    "\"rr\":[800,null,\"810\",790.0]}");
	json_object_foreach(json_object_get(j, "hypnogram"), key, e) {
		assert_int_equal(pf_time_parse_clock(key, strlen(key), &i),
		    PF_OK);
		assert_int_equal(pf_json_as_int(e, &i), PF_OK);
		sum += i;
	}
	assert_int_equal(sum, 6);
	json_array_foreach(json_object_get(j, "rr"), idx, e) {
		if (pf_json_as_int_lenient(e, &i) == PF_OK)
			count++;
		else
			assert_int_equal(pf_json_as_int_lenient(e, &i),
			    PF_ERR_NULL);
	}
	assert_int_equal(count, 3);
	json_decref(j);
}

/* A Polar exercise in the shape AccessLink sends, end to end with time. */
static void
test_polar_exercise(void **state)
{
	json_t		*ex, *zones, *z;
	const char	*s;
	int64_t		 ms, day;
	double		 dur, sec;
	bool		 has, present;
	int		 off, i;
	size_t		 idx;

	(void)state;
	ex = load("{\"id\":\"AbCdEf\", \"upload_time\":"
	    "\"2026-11-21T17:21:44.000Z\", \"start_time\":"
	    "\"2026-11-21T18:02:11\", \"start_time_utc_offset\":120,"
	    "\"duration\":\"PT52M13S\", \"calories\":512,"
	    "\"heart_rate\":{\"average\":141,\"maximum\":175},"
	    "\"running-index\":null,"
	    "\"training_load_pro\":{\"cardio-load\":41.5,"
	    "\"muscle-load\":\"NOT_AVAILABLE\"},"
	    "\"heart_rate_zones\":[{\"index\":1,\"lower-limit\":96,"
	    "\"upper-limit\":115,\"in-zone\":\"PT1M20S\"},"
	    "{\"index\":2,\"lower-limit\":115,\"upper-limit\":134,"
	    "\"in-zone\":\"PT4M5S\"}]}");

	assert_int_equal(pf_json_get_strn(ex, "start-time", 40, &s), PF_OK);
	assert_int_equal(pf_time_parse_datetime(s, strlen(s), &ms, &off, &has),
	    PF_OK);
	assert_false(has);
	assert_int_equal(pf_json_get_int(ex, "start-time-utc-offset", &off),
	    PF_OK);
	ms -= (int64_t)off * 60000;
	day = pf_time_local_day(ms, off);
	assert_int_equal(pf_time_format_date(day, (char[PF_TIME_DATE_LEN]){0}),
	    PF_OK);
	assert_int_equal(day, 20778);
	assert_int_equal(pf_json_get_str(ex, "duration", &s), PF_OK);
	assert_int_equal(pf_time_parse_duration(s, strlen(s), &dur), PF_OK);
	assert_true(dur == 3133);
	assert_int_equal(pf_json_get_int(ex, "heart-rate/average", &i), PF_OK);
	assert_int_equal(i, 141);
	assert_int_equal(pf_json_opt_int(ex, "running_index", &i, &present),
	    PF_OK);
	assert_false(present);
	assert_int_equal(pf_json_get_double(ex, "training_load_pro/cardio_load",
	    &sec), PF_OK);
	assert_true(sec == 41.5);
	assert_int_equal(pf_json_get_double_lenient(ex,
	    "training_load_pro/muscle_load", &sec), PF_ERR_TYPE);

	assert_int_equal(pf_json_get_array(ex, "heart_rate_zones", &zones),
	    PF_OK);
	dur = 0;
	json_array_foreach(zones, idx, z) {
		assert_int_equal(pf_json_get_int(z, "lower_limit", &i), PF_OK);
		assert_int_equal(pf_json_get_str(z, "in_zone", &s), PF_OK);
		assert_int_equal(pf_time_parse_duration(s, strlen(s), &sec),
		    PF_OK);
		dur += sec;
	}
	assert_true(dur == 80 + 245);
	json_decref(ex);
}

/*
 * Python-repr numbers, as
 *	python3 -c "import json; print(json.dumps([40.0, 0.1+0.2, 1e-05,
 *	1e16, -0.0, 1500.0, 0.0001, 2.5e-07, 1e22, 123456789012345680.0]))"
 * prints them; non-finite reals and pf_json_real(NaN) are null.
 */
static void
test_dumps_repr(void **state)
{
	const double	 v[] = { 40.0, 0.1 + 0.2, 1e-05, 1e16, -0.0, 1500.0,
	    0.0001, 2.5e-07, 1e22, 123456789012345680.0 };
	json_t		*a, *o;
	char		*s;
	size_t		 i;

	(void)state;
	a = json_array();
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		json_array_append_new(a, json_real(v[i]));
	json_array_append_new(a, pf_json_real(NAN));
	json_array_append_new(a, pf_json_real(INFINITY));
	json_array_append_new(a, pf_json_real(2.5));
	s = pf_json_dumps_repr(a);
	assert_string_equal(s, "[40.0,0.30000000000000004,1e-05,1e+16,-0.0,"
	    "1500.0,0.0001,2.5e-07,1e+22,1.2345678901234568e+17,null,null,"
	    "2.5]");
	free(s);
	json_decref(a);

	o = json_object();
	json_object_set_new(o, "a\"b", json_integer(3));
	json_object_set_new(o, "n", json_null());
	json_object_set_new(o, "t", json_true());
	json_object_set_new(o, "s", json_string("x\ny"));
	json_object_set_new(o, "e", json_array());
	json_object_set_new(o, "o", json_pack("{s:f}", "k", 0.5));
	s = pf_json_dumps_repr(o);
	assert_string_equal(s, "{\"a\\\"b\":3,\"n\":null,\"t\":true,"
	    "\"s\":\"x\\ny\",\"e\":[],\"o\":{\"k\":0.5}}");
	free(s);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_missing_null_type),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_doubles_bools),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_key_spellings),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_lenient),
		cmocka_unit_test(test_optional),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_polar_exercise),
		cmocka_unit_test(test_dumps_repr),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
