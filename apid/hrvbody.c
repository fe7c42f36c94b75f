/*
 * hrvbody.c -- the body of a posted HRV session, checked field by field.
 *
 * Two spellings of one session: apid's own (snake_case) and the HRV
 * Metrics API's (recordingSessionId, rrIntervals, ...), so that its iOS
 * app can post to us unchanged.  Every refusal names the field and the
 * rule it broke; nothing is replaced by a default that could pass for
 * data (an unparseable timestamp is an error, never "now").
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hrv.h"
#include "common/json.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "apid/apid.h"

struct names {
	const char	*recording_id;
	const char	*recorded_at;
	const char	*rr;
	const char	*tags;
	const char	*device;
	const char	*heart_rate;
	const char	*motion;
	const char	*user;	/* NULL: the path names the user */
};

static const struct names native_names = {
	"recording_id", "recorded_at", "rr_intervals", "tags", "device",
	"heart_rate", "motion_artifacts", NULL
};
static const struct names compat_names = {
	"recordingSessionId", "timestamp", "rrIntervals", "tags",
	"device_info", "heartRate", "motionArtifacts", "user_id"
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Printable text without control bytes: what is echoed and stored. */
static bool
clean_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A string field of 1..max bytes of clean text, or absent (*out NULL). */
static int
get_text(const json_t *o, const char *key, size_t max, bool required,
    const char **out, char *err, size_t errlen)
{
	int	r = pf_json_get_strn(o, key, max, out);

	if (r == PF_OK && **out != '\0' && clean_text(*out))
		return 0;
	*out = NULL;
	if ((r == PF_ERR_NOTFOUND || r == PF_ERR_NULL) && !required)
		return 0;
	if (r == PF_ERR_NOTFOUND || r == PF_ERR_NULL)
		return fail(err, errlen, "%s is required", key);
	if (r == PF_ERR_TYPE)
		return fail(err, errlen, "%s must be a string", key);
	return fail(err, errlen, "%s must be 1 to %zu characters of text "
	    "without control characters", key, max);
}

static int
get_rr(const json_t *o, const char *key, size_t max_beats,
    struct hrv_body *out, char *err, size_t errlen)
{
	json_t	*a, *v;
	size_t	 i, n;
	double	 d;

	switch (pf_json_get_array(o, key, &a)) {
	case PF_OK:
		break;
	case PF_ERR_NOTFOUND:
	case PF_ERR_NULL:
		return fail(err, errlen, "%s is required: the RR intervals "
		    "in milliseconds", key);
	default:
		return fail(err, errlen, "%s must be an array of numbers "
		    "(milliseconds)", key);
	}
	n = json_array_size(a);
	if (n < PF_HRV_MIN_BEATS)
		return fail(err, errlen, "%s has %zu intervals; at least %d "
		    "are needed", key, n, PF_HRV_MIN_BEATS);
	if (n > max_beats)
		return fail(err, errlen, "%s has %zu intervals; at most %zu "
		    "are accepted", key, n, max_beats);
	out->rr = pf_xreallocarray(NULL, n, sizeof(double));
	json_array_foreach(a, i, v) {
		if (!json_is_number(v))
			return fail(err, errlen, "%s[%zu] is not a number",
			    key, i);
		d = json_number_value(v);
		if (!isfinite(d) || d < PF_HRV_RR_MIN_MS ||
		    d > PF_HRV_RR_MAX_MS)
			return fail(err, errlen, "%s[%zu] = %.6g ms is outside "
			    "%.0f-%.0f ms", key, i, d, PF_HRV_RR_MIN_MS,
			    PF_HRV_RR_MAX_MS);
		out->rr[i] = d;
	}
	out->n = n;
	return 0;
}

static int
get_time(const json_t *o, const char *key, struct hrv_body *out, char *err,
    size_t errlen)
{
	const char	*s;
	int64_t		 ms;
	int		 r, off = 0;

	if ((r = pf_json_get_strn(o, key, 64, &s)) != PF_OK) {
		if (r == PF_ERR_NOTFOUND || r == PF_ERR_NULL)
			return fail(err, errlen, "%s is required: when the "
			    "recording started (ISO 8601)", key);
		return fail(err, errlen, "%s must be an ISO 8601 date-time "
		    "string", key);
	}
	/* Without a zone the time is taken as UTC, as the peer did. */
	if (!clean_text(s) ||
	    pf_time_parse_datetime(s, strlen(s), &ms, &off, NULL) != PF_OK ||
	    pf_time_format_datetime(ms, 0, 0, out->recorded_at,
	    sizeof(out->recorded_at)) != PF_OK)
		return fail(err, errlen, "%s is not an ISO 8601 date-time "
		    "(like 2025-03-25T23:10:00Z)", key);
	out->utc_offset = off;
	return 0;
}

/* tags: an array of 0..HRV_NTAGS_MAX strings, into meta as a JSON array. */
static int
get_tags(const json_t *o, const char *key, const char *feed_tags,
    struct hrv_body *out, json_t *meta, char *err, size_t errlen)
{
	json_t		*a, *v, *tags = json_array();
	const char	*s;
	size_t		 i;
	int		 r;

	json_object_set_new(meta, "tags", tags);
	r = pf_json_get_array(o, key, &a);
	if (r == PF_ERR_NOTFOUND || r == PF_ERR_NULL)
		return 0;
	if (r != PF_OK)
		return fail(err, errlen, "%s must be an array of strings", key);
	if (json_array_size(a) > HRV_NTAGS_MAX)
		return fail(err, errlen, "%s has %zu entries; at most %d are "
		    "accepted", key, json_array_size(a), HRV_NTAGS_MAX);
	json_array_foreach(a, i, v) {
		if (pf_json_as_strn(v, HRV_TAG_MAX, &s) != PF_OK ||
		    *s == '\0' || !clean_text(s))
			return fail(err, errlen, "%s[%zu] must be a string of "
			    "1 to %d characters", key, i, HRV_TAG_MAX);
		json_array_append_new(tags, json_string(s));
		if (feed_tags != NULL && pf_hrv_tag_listed(s, feed_tags))
			out->feeds = true;
	}
	return 0;
}

/* device: an object of at most 8 short strings. */
static int
get_device(const json_t *o, const char *key, json_t *meta, char *err,
    size_t errlen)
{
	json_t		*d, *v, *dev = json_object();
	const char	*k, *s;
	int		 r;

	json_object_set_new(meta, "device", dev);
	r = pf_json_get_object(o, key, &d);
	if (r == PF_ERR_NOTFOUND || r == PF_ERR_NULL)
		return 0;
	if (r != PF_OK)
		return fail(err, errlen, "%s must be an object of strings "
		    "(model, firmwareVersion)", key);
	if (json_object_size(d) > 8)
		return fail(err, errlen, "%s has more than 8 fields", key);
	json_object_foreach(d, k, v) {
		if (strlen(k) > 64 || !clean_text(k))
			return fail(err, errlen, "%s has a field name longer "
			    "than 64 characters", key);
		if (json_is_null(v))
			continue;
		if (pf_json_as_strn(v, 100, &s) != PF_OK || !clean_text(s))
			return fail(err, errlen, "%s.%s must be a string of at "
			    "most 100 characters", key, k);
		json_object_set_new(dev, k, json_string(s));
	}
	return 0;
}

static int
parse(const json_t *o, const struct names *nm, size_t max_beats,
    const char *feed_tags, struct hrv_body *out, json_t *meta, char *err,
    size_t errlen)
{
	const char	*s;
	int		 r;
	bool		 has;

	if (get_text(o, nm->recording_id, HRV_RECID_MAX, nm->user != NULL,
	    &s, err, errlen) != 0)
		return -1;
	if (s != NULL)
		snprintf(out->recording_id, sizeof(out->recording_id), "%s", s);
	if (nm->user != NULL) {
		if (get_text(o, nm->user, HRV_CLIENT_USER_MAX, true, &s, err,
		    errlen) != 0)
			return -1;
		snprintf(out->client_user, sizeof(out->client_user), "%s", s);
	}
	if (get_time(o, nm->recorded_at, out, err, errlen) != 0 ||
	    get_rr(o, nm->rr, max_beats, out, err, errlen) != 0 ||
	    get_tags(o, nm->tags, feed_tags, out, meta, err, errlen) != 0 ||
	    get_device(o, nm->device, meta, err, errlen) != 0)
		return -1;
	r = pf_json_opt_int(o, nm->heart_rate, &out->heart_rate, &has);
	if (r != PF_OK || (has && (out->heart_rate < 20 ||
	    out->heart_rate > 300)))
		return fail(err, errlen, "%s must be a whole number of beats "
		    "per minute, 20-300", nm->heart_rate);
	if (!has)
		out->heart_rate = -1;
	if (pf_json_opt_bool(o, nm->motion, &out->motion, &has) != PF_OK)
		return fail(err, errlen, "%s must be true or false",
		    nm->motion);
	return 0;
}

int
hrv_body_parse(const char *buf, size_t len, bool compat, size_t max_beats,
    const char *feed_tags, struct hrv_body *out, char *err, size_t errlen)
{
	json_t	*o = NULL, *meta = NULL;
	char	 perr[PF_JSON_ERR_LEN];
	int	 rc = -1;

	memset(out, 0, sizeof(*out));
	out->heart_rate = -1;
	if (len == 0) {
		fail(err, errlen, "The request body is empty: a JSON object "
		    "is expected");
		goto out;
	}
	if (pf_json_parse(buf, len, PF_JSON_REJECT_DUPLICATES, &o, perr,
	    sizeof(perr)) != PF_OK) {
		fail(err, errlen, "The request body is not valid JSON: %s",
		    perr);
		goto out;
	}
	if (!json_is_object(o)) {
		fail(err, errlen, "The request body must be a JSON object");
		goto out;
	}
	meta = json_object();
	if (parse(o, compat ? &compat_names : &native_names, max_beats,
	    feed_tags, out, meta, err, errlen) != 0)
		goto out;
	json_object_set_new(meta, "recorded_at",
	    json_string(out->recorded_at));
	json_object_set_new(meta, "utc_offset", json_integer(out->utc_offset));
	if (out->client_user[0] != '\0')
		json_object_set_new(meta, "client_user",
		    json_string(out->client_user));
	if (out->heart_rate >= 0)
		json_object_set_new(meta, "heart_rate",
		    json_integer(out->heart_rate));
	json_object_set_new(meta, "motion", json_boolean(out->motion));
	json_object_set_new(meta, "feeds", json_boolean(out->feeds));
	out->meta = json_dumps(meta, JSON_COMPACT);
	if (out->meta == NULL) {
		fail(err, errlen, "The request body could not be stored");
		goto out;
	}
	rc = 0;
out:
	json_decref(meta);
	json_decref(o);
	if (rc != 0)
		hrv_body_free(out);
	return rc;
}

void
hrv_body_free(struct hrv_body *b)
{
	free(b->rr);
	free(b->meta);
	b->rr = NULL;
	b->meta = NULL;
	b->n = 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hrv_path_text(const struct apid_span *v, size_t max, char *out,
    size_t outlen)
{
	size_t	i, o = 0;
	int	hi, lo;
	char	ch;

	for (i = 0; i < v->len; i++) {
		ch = v->p[i];
		if (ch == '%') {
			if (i + 2 >= v->len)
				return -1;
			if ((hi = hexval(v->p[i + 1])) < 0 ||
			    (lo = hexval(v->p[i + 2])) < 0)
				return -1;
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		if ((unsigned char)ch < 0x20 || ch == 0x7f || o >= max ||
		    o + 1 >= outlen)
			return -1;
		out[o++] = ch;
	}
	if (o == 0)
		return -1;
	out[o] = '\0';
	return 0;
}
