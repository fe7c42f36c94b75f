/*
 * json.h -- strict, typed access to jansson documents from outside.
 *
 * Every getter tells apart the answers a transformer has to treat
 * differently:
 *   PF_OK            the value exists and has the wanted type and range;
 *   PF_ERR_NOTFOUND  the key is absent;
 *   PF_ERR_NULL      the key is present with JSON null;
 *   PF_ERR_TYPE      the value has another JSON type (a number sent as a
 *                    string, "72", is a type error except in the _lenient
 *                    getters);
 *   PF_ERR_RANGE     a number that does not fit the C type, a string
 *                    longer than the caller's limit;
 *   PF_ERR_INVALID   a caller bug (NULL argument, empty path segment,
 *                    segment too long), or a string holding a NUL byte.
 * Out-parameters are written only on PF_OK.  Nothing here logs.
 *
 * Keys.  Every key argument is a path of one or more object keys separated
 * by '/' ("training_load_pro/cardio-load"); Polar's keys never contain '/'.
 * Polar mixes snake_case and kebab-case for the same field (start_time and
 * start-time, heart_rate and heart-rate), so each path segment is looked up
 * first as written, then with every '_' replaced by '-', then with every '-'
 * replaced by '_'; the first match wins.  An intermediate segment that is
 * null gives PF_ERR_NULL, one that is not an object PF_ERR_TYPE.  A segment
 * may be at most PF_JSON_KEY_MAX - 1 bytes.  obj itself must be an
 * object (PF_ERR_TYPE otherwise).
 *
 * Numbers.  The integer getters take a JSON integer, or a JSON real whose
 * value is integral and in range (72.0 gives 72; 72.5 is PF_ERR_TYPE).
 * The double getter takes integers too (converted, exact below 2^53) and
 * rejects non-finite values with PF_ERR_RANGE.  jansson itself refuses
 * integers beyond int64 and reals that overflow a double at parse time, so
 * a document holding 9223372036854775808 or 1e400 fails pf_json_parse().
 *
 * Ownership.  Every const char * and json_t * handed out is borrowed from
 * the document: valid while the caller holds its reference to the root
 * (json_decref) and the object is not modified.  Nothing here takes or
 * drops a reference.
 */
#ifndef PF_COMMON_JSON_H
#define PF_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Largest document pf_json_parse() accepts, in bytes. */
#define PF_JSON_MAX_LEN		(64 * 1024 * 1024)
/* Size of the buffer a path segment must fit in, NUL included. */
#define PF_JSON_KEY_MAX		128
/* A good size for pf_json_parse()'s errbuf. */
#define PF_JSON_ERR_LEN		256

/* pf_json_parse() flags. */
#define PF_JSON_REJECT_DUPLICATES 0x01	/* duplicate keys: PF_ERR_PARSE */
#define PF_JSON_ALLOW_NUL	0x02	/* strings may hold \u0000 */

/*
 * Parses exactly len bytes of buf (no NUL needed) into a new document,
 * which must be an object or an array.  On PF_OK *out is a new reference:
 * the caller json_decref()s it.  By default a duplicate key keeps the last
 * value (jansson's behaviour; Polar has not been seen to send any);
 * PF_JSON_REJECT_DUPLICATES refuses them, for client input.  Strings may
 * not contain \u0000 unless PF_JSON_ALLOW_NUL (the getters still refuse
 * such a string as PF_ERR_INVALID).  Nesting is limited by jansson's compiled-in 2048
 * levels.
 *
 * Returns PF_ERR_PARSE for malformed, truncated or empty text, a scalar at
 * the top level, trailing bytes, a too-big number or a nesting overflow;
 * PF_ERR_RANGE if len > PF_JSON_MAX_LEN; PF_ERR_NOMEM; PF_ERR_INVALID for
 * a NULL buf or out or unknown flags.  On error errbuf (may be NULL) gets
 * "line L column C: reason"; the reason never quotes the input, so the
 * text is safe to log even when the body held a token.
 */
int	pf_json_parse(const char *buf, size_t len, unsigned int flags,
	    json_t **out, char *errbuf, size_t errlen);

/*
 * Finds key (a path, see above) in obj: *out is the borrowed value, which
 * is never JSON null (that is PF_ERR_NULL).  The building block of the
 * getters; use it to test presence or to reach a value of any type.
 */
int	pf_json_get(const json_t *obj, const char *key, json_t **out);

/*
 * Typed getters.  Strings are borrowed and NUL-terminated; a string
 * holding a NUL byte is PF_ERR_INVALID.  pf_json_get_str() sets no length
 * limit and is meant for values that are bounded some other way (CSV
 * sample data, an id checked next); anything stored or echoed uses
 * pf_json_get_strn(), which returns PF_ERR_RANGE when the string is longer
 * than maxlen bytes.
 */
int	pf_json_get_str(const json_t *obj, const char *key, const char **out);
int	pf_json_get_strn(const json_t *obj, const char *key, size_t maxlen,
	    const char **out);
int	pf_json_get_int64(const json_t *obj, const char *key, int64_t *out);
int	pf_json_get_int(const json_t *obj, const char *key, int *out);
int	pf_json_get_double(const json_t *obj, const char *key, double *out);
int	pf_json_get_bool(const json_t *obj, const char *key, bool *out);
/* Borrowed container; *out is a JSON object / array respectively. */
int	pf_json_get_object(const json_t *obj, const char *key, json_t **out);
int	pf_json_get_array(const json_t *obj, const char *key, json_t **out);

/*
 * Lenient numbers: as the strict getters, but a JSON string whose whole
 * text is a JSON number ("0", "-1.5", "72.0"; no spaces, at most 64 bytes)
 * is accepted too.  Polar sends exercise "sample-type": "0" and sometimes
 * strings in training_load_pro.  Any other string ("NOT_AVAILABLE", "")
 * is PF_ERR_TYPE.
 */
int	pf_json_get_int64_lenient(const json_t *obj, const char *key,
	    int64_t *out);
int	pf_json_get_int_lenient(const json_t *obj, const char *key,
	    int *out);
int	pf_json_get_double_lenient(const json_t *obj, const char *key,
	    double *out);

/*
 * Optional fields, for nullable columns: missing or null returns PF_OK
 * with *present = false and *out untouched; a value of the right type
 * returns PF_OK with *present = true and *out set; every other error is
 * returned as by the getters, with neither out-parameter written.
 */
int	pf_json_opt_strn(const json_t *obj, const char *key, size_t maxlen,
	    const char **out, bool *present);
int	pf_json_opt_int64(const json_t *obj, const char *key, int64_t *out,
	    bool *present);
int	pf_json_opt_int(const json_t *obj, const char *key, int *out,
	    bool *present);
int	pf_json_opt_double(const json_t *obj, const char *key, double *out,
	    bool *present);
int	pf_json_opt_bool(const json_t *obj, const char *key, bool *out,
	    bool *present);

/*
 * The same conversions for a value already in hand (an array element, a
 * json_object_foreach value such as a hypnogram entry).  A NULL v is
 * PF_ERR_NOTFOUND, so json_array_get() past the end reads as absent; JSON
 * null is PF_ERR_NULL.
 */
int	pf_json_as_strn(const json_t *v, size_t maxlen, const char **out);
int	pf_json_as_int64(const json_t *v, int64_t *out);
int	pf_json_as_int(const json_t *v, int *out);
int	pf_json_as_double(const json_t *v, double *out);
int	pf_json_as_bool(const json_t *v, bool *out);
int	pf_json_as_int64_lenient(const json_t *v, int64_t *out);
int	pf_json_as_int_lenient(const json_t *v, int *out);
int	pf_json_as_double_lenient(const json_t *v, double *out);

/*
 * Writing.  pf_json_real() is json_real(v) for a finite v and JSON null
 * for NaN and infinities (a missing number).  pf_json_dumps_repr()
 * serialises v compactly with every real as its shortest round-trip
 * decimal, written as Python's repr() writes a float (65.4, 75.0, 1e-05,
 * 1e+16), so stored documents read byte for byte as upstream's; non-finite
 * reals become null.  Returns a string the caller frees.
 * pf_json_str_or_null() is json_string(s), or null for NULL and "" (an
 * unset text field).
 */
json_t	*pf_json_real(double v);
json_t	*pf_json_str_or_null(const char *s);
char	*pf_json_dumps_repr(const json_t *v);

#endif /* PF_COMMON_JSON_H */
