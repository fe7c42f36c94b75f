/*
 * validate.c -- every check on client input: path segments, query values.
 *
 * Messages follow upstream's (pydantic) wording so clients that show them
 * keep reading the same text.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"

#include "apid/apid.h"

static const char *const metric_names[] = {
	"hrv_rmssd", "sleep_score", "resting_hr", "training_load",
	"training_load_ratio", NULL
};

static const char *const pattern_names[] = {
	"sleep_hrv_correlation", "overtraining_risk", "hrv_trend",
	"sleep_trend", "training_recovery_lag", "activity_sleep_correlation",
	"recovery_readiness", NULL
};

static bool
in_list(const char *const *list, const char *s, size_t len)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && memcmp(*list, s, len) == 0)
			return true;
	return false;
}

bool
validate_uuid(const char *s, size_t len)
{
	size_t	i;

	if (len != 36)
		return false;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

bool
validate_date(const char *s, size_t len, char out[11])
{
	int64_t	day;

	if (pf_time_parse_date(s, len, &day) != PF_OK)
		return false;
	return pf_time_format_date(day, out) == PF_OK;
}

bool
validate_finite(const char *s, size_t len, double *out)
{
	char	 buf[65], *end;
	double	 v;
	size_t	 i;

	if (len == 0 || len >= sizeof(buf))
		return false;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && strchr("+-.eE", s[i]) ==
		    NULL)
			return false;		/* no "nan", "inf", hex */
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (*end != '\0' || end == buf || errno == ERANGE || !isfinite(v))
		return false;
	*out = v;
	return true;
}

bool
validate_metric_name(const char *s, size_t len)
{
	return in_list(metric_names, s, len);
}

bool
validate_pattern_name(const char *s, size_t len)
{
	return in_list(pattern_names, s, len);
}

bool
validate_slug(const char *s, size_t len)
{
	size_t	i;

	if (len < 1 || len > 64)
		return false;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)
		    s[i]) && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
query_get(const char *qs, const char *name, char *buf, size_t buflen)
{
	size_t		 nlen = strlen(name), vlen, i, o;
	const char	*p, *end, *v;
	int		 found = 0;

	if (qs == NULL || buflen == 0)
		return 0;
	for (p = qs; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) < nlen + 1 || strncmp(p, name, nlen) != 0
		    || p[nlen] != '=')
			continue;
		/* Which of two values counts differs between clients. */
		if (found)
			return -2;
		found = 1;
		v = p + nlen + 1;
		vlen = (size_t)(end - v);
		for (i = 0, o = 0; i < vlen; i++) {
			int c = v[i];
			if (c == '+')
				c = ' ';
			else if (c == '%' && i + 2 < vlen &&
			    hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
				c = hexval(v[i + 1]) * 16 + hexval(v[i + 2]);
				i += 2;
			}
			/* "7%00" must not pass as "7". */
			if (iscntrl(c))
				return -1;
			if (o + 1 >= buflen)
				return -1;
			buf[o++] = (char)c;
		}
		buf[o] = '\0';
	}
	return found;
}

static void
verr(struct apid_verr *e, const char *key, const char *source,
    const char *msg)
{
	snprintf(e->message, sizeof(e->message), "%s", msg);
	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->source, sizeof(e->source), "%s", source);
}

int
validate_days(const char *qs, int def, int min, int max, int *out,
    struct apid_verr *e)
{
	char	 buf[32], msg[96], *end;
	long	 v;

	switch (query_get(qs, "days", buf, sizeof(buf))) {
	case 0:
		*out = def;
		return 0;
	case -1:
		goto notint;
	case -2:
		verr(e, "days", "query", "Parameter must be given only once");
		return -1;
	}
	errno = 0;
	v = strtol(buf, &end, 10);
	if (buf[0] == '\0' || *end != '\0' || errno == ERANGE ||
	    isspace((unsigned char)buf[0]))
		goto notint;
	if (v < min) {
		snprintf(msg, sizeof(msg),
		    "Input should be greater than or equal to %d", min);
		verr(e, "days", "query", msg);
		return -1;
	}
	if (v > max) {
		snprintf(msg, sizeof(msg),
		    "Input should be less than or equal to %d", max);
		verr(e, "days", "query", msg);
		return -1;
	}
	*out = (int)v;
	return 0;
notint:
	verr(e, "days", "query", "Input should be a valid integer, unable to "
	    "parse string as an integer");
	return -1;
}

#define NAMEIS(s)	(namelen == sizeof(s) - 1 && memcmp(name, s, namelen) == 0)

int
validate_capture(const char *name, size_t namelen, const struct apid_span *v,
    char *out, size_t outlen, struct apid_verr *e)
{
	char	key[40];
	double	d;

	snprintf(key, sizeof(key), "%.*s", (int)namelen, name);
	if (v->len >= outlen) {
		verr(e, key, "path", "Value is too long");
		return -1;
	}
	if (NAMEIS("user_id")) {
		if (!pf_user_id_validn(v->p, v->len)) {
			verr(e, key, "path", "String should match pattern "
			    "'^[a-zA-Z0-9_-]+$' and have 1 to 100 characters");
			return -1;
		}
	} else if (NAMEIS("sleep_date") || NAMEIS("target_date")) {
		if (outlen < 11 || !validate_date(v->p, v->len, out)) {
			verr(e, key, "path", "Input should be a valid date "
			    "in the format YYYY-MM-DD");
			return -1;
		}
		return 0;
	} else if (NAMEIS("exercise_id") || NAMEIS("ecg_id") ||
	    NAMEIS("session_id")) {
		if (!validate_uuid(v->p, v->len)) {
			verr(e, key, "path", "Input should be a valid UUID");
			return -1;
		}
	} else if (NAMEIS("metric_name")) {
		if (!validate_metric_name(v->p, v->len)) {
			verr(e, key, "path", "Input should be 'hrv_rmssd', "
			    "'sleep_score', 'resting_hr', 'training_load' or "
			    "'training_load_ratio'");
			return -1;
		}
	} else if (NAMEIS("pattern_name")) {
		if (!validate_pattern_name(v->p, v->len)) {
			verr(e, key, "path", "Input should be "
			    "'sleep_hrv_correlation', 'overtraining_risk', "
			    "'hrv_trend', 'sleep_trend', "
			    "'training_recovery_lag', "
			    "'activity_sleep_correlation' or "
			    "'recovery_readiness'");
			return -1;
		}
	} else if (NAMEIS("value")) {
		if (!validate_finite(v->p, v->len, &d))
			return -2;
		snprintf(out, outlen, "%.17g", d);
		return 0;
	} else if (NAMEIS("webhook_id")) {
		size_t	i;

		for (i = 0; i < v->len; i++)
			if (v->p[i] < '0' || v->p[i] > '9')
				break;
		if (v->len == 0 || v->len > 18 || i < v->len || v->p[0] == '0') {
			verr(e, key, "path", "Input should be a positive "
			    "integer");
			return -1;
		}
	} else if (NAMEIS("metric") || NAMEIS("kind")) {
		if (!validate_slug(v->p, v->len)) {
			verr(e, key, "path", "String should match pattern "
			    "'^[a-z0-9_.]{1,64}$'");
			return -1;
		}
	} else {
		verr(e, key, "path", "Unknown parameter");
		return -1;
	}
	memcpy(out, v->p, v->len);
	out[v->len] = '\0';
	return 0;
}

/* One optional query parameter of the health reads into buf ("" absent). */
static int
health_param(const char *qs, const char *name, char *buf, size_t len,
    struct apid_verr *e)
{
	switch (query_get(qs, name, buf, len)) {
	case 0:
		buf[0] = '\0';
		return 0;
	case -1:
		verr(e, name, "query", "Value too long or invalid");
		return -1;
	case -2:
		verr(e, name, "query", "Parameter must be given only once");
		return -1;
	}
	return 0;
}

int
validate_health_query(const char *qs, struct apid_health_q *q,
    struct apid_verr *e)
{
	char	tmp[16];
	size_t	i, n;

	if (health_param(qs, "name", q->name, sizeof(q->name), e) != 0)
		return -1;
	n = strlen(q->name);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)q->name[i]) &&
		    q->name[i] != '_' && q->name[i] != '-' &&
		    q->name[i] != '.') {
			verr(e, "name", "query", "A metric name is letters, "
			    "digits, '_', '-' and '.'");
			return -1;
		}
	if (health_param(qs, "from", tmp, sizeof(tmp), e) != 0)
		return -1;
	q->from[0] = '\0';
	if (tmp[0] != '\0' && !validate_date(tmp, strlen(tmp), q->from)) {
		verr(e, "from", "query", "Input should be a valid date "
		    "(YYYY-MM-DD)");
		return -1;
	}
	if (health_param(qs, "to", tmp, sizeof(tmp), e) != 0)
		return -1;
	q->to[0] = '\0';
	if (tmp[0] != '\0' && !validate_date(tmp, strlen(tmp), q->to)) {
		verr(e, "to", "query", "Input should be a valid date "
		    "(YYYY-MM-DD)");
		return -1;
	}
	if (health_param(qs, "agg", q->agg, sizeof(q->agg), e) != 0)
		return -1;
	if (q->agg[0] == '\0')
		snprintf(q->agg, sizeof(q->agg), "raw");
	if (strcmp(q->agg, "raw") != 0 && strcmp(q->agg, "day") != 0) {
		verr(e, "agg", "query", "Input should be 'raw' or 'day'");
		return -1;
	}
	return 0;
}
