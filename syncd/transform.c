/*
 * transform.c -- Polar AccessLink JSON to table rows.
 *
 * Pure functions: a parsed response body in, JSON row objects out (column
 * name -> value, see store.c).  Each record is checked field by field; a
 * record with a wrongly typed field, an impossible date, an out-of-range
 * number or an unknown enum value is logged with user and stream and
 * skipped whole, so no wrong value is ever written.  Absent fields, JSON
 * null and Polar's "no data" sentinels become SQL NULL (the key is left
 * out of the row).  Every record keeps its full object in "raw", minus the
 * long series that have columns of their own.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "syncd.h"

static const char *const stream_names[ST__COUNT] = {
	[ST_SLEEP] = "sleep",
	[ST_RECHARGE] = "nightly_recharge",
	[ST_ACTIVITY] = "activity",
	[ST_ACTIVITY_SAMPLES] = "activity_samples",
	[ST_EXERCISE] = "exercise",
	[ST_CARDIO_LOAD] = "cardio_load",
	[ST_ALERTNESS] = "sleepwise_alertness",
	[ST_BEDTIME] = "sleepwise_bedtime",
	[ST_CHR] = "continuous_heart_rate",
	[ST_SPO2] = "spo2",
	[ST_ECG] = "ecg",
	[ST_BODY_TEMP] = "body_temperature",
	[ST_SKIN_TEMP] = "skin_temperature",
	[ST_PHYSICAL] = "physical_info",
};

const char *
stream_name(enum stream st)
{
	if ((int)st < 0 || st >= ST__COUNT)
		return "unknown";
	return stream_names[st];
}

int
stream_from_name(const char *name, enum stream *out)
{
	int	 i;

	for (i = 0; i < ST__COUNT; i++)
		if (strcmp(stream_names[i], name) == 0) {
			*out = (enum stream)i;
			return PF_OK;
		}
	return PF_ERR_NOTFOUND;
}

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
	memset(rs, 0, sizeof(*rs));
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

/* Field flags. */
#define F_REQ		0x01	/* absent or null: skip the record */
#define F_ZERO_NULL	0x02	/* 0 means "no data" */
#define F_NEG_NULL	0x04	/* any negative value means "no data" */
#define F_M1_NULL	0x08	/* exactly -1 means "no data" */
#define F_LENIENT	0x10	/* numbers may come as strings */
#define F_EMPTY_NULL	0x20	/* "" means "no data" */

/* One record being converted. */
struct rec {
	const json_t	*src;
	json_t		*row;
	char		 err[160];
};

static bool
rec_ok(const struct rec *r)
{
	return r->err[0] == '\0';
}

static void
rec_fail(struct rec *r, const char *key, const char *why)
{
	if (rec_ok(r))
		snprintf(r->err, sizeof(r->err), "%s: %s", key, why);
}

/*
 * Common prologue of the getters: PF_OK with the value, PF_ERR_NOTFOUND
 * when the field is absent or null (an error already recorded when F_REQ).
 */
static int
field_check(struct rec *r, const char *key, int rv, int flags)
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
num_sentinel(double v, int flags)
{
	if ((flags & F_ZERO_NULL) && v == 0)
		return true;
	if ((flags & F_NEG_NULL) && v < 0)
		return true;
	if ((flags & F_M1_NULL) && v == -1)
		return true;
	return false;
}

/* Integer field into column col; lo..hi inclusive.  Returns presence. */
static bool
f_int(struct rec *r, const char *col, const char *key, int flags,
    int64_t lo, int64_t hi, int64_t *out)
{
	int64_t	 v;
	int	 rv;

	if (flags & F_LENIENT)
		rv = pf_json_get_int64_lenient(r->src, key, &v);
	else
		rv = pf_json_get_int64(r->src, key, &v);
	if (field_check(r, key, rv, flags) != PF_OK)
		return false;
	if (num_sentinel((double)v, flags)) {
		if (flags & F_REQ)
			rec_fail(r, key, "no value");
		return false;
	}
	if (v < lo || v > hi) {
		rec_fail(r, key, "out of range");
		return false;
	}
	if (col != NULL)
		json_object_set_new(r->row, col, json_integer(v));
	if (out != NULL)
		*out = v;
	return true;
}

static bool
f_dbl(struct rec *r, const char *col, const char *key, int flags,
    double lo, double hi, double *out)
{
	double	 v;
	int	 rv;

	if (flags & F_LENIENT)
		rv = pf_json_get_double_lenient(r->src, key, &v);
	else
		rv = pf_json_get_double(r->src, key, &v);
	if (field_check(r, key, rv, flags) != PF_OK)
		return false;
	if (num_sentinel(v, flags)) {
		if (flags & F_REQ)
			rec_fail(r, key, "no value");
		return false;
	}
	if (v < lo || v > hi) {
		rec_fail(r, key, "out of range");
		return false;
	}
	if (col != NULL)
		json_object_set_new(r->row, col, json_real(v));
	if (out != NULL)
		*out = v;
	return true;
}

static const char *
f_str(struct rec *r, const char *col, const char *key, int flags,
    size_t maxlen)
{
	const char	*s;

	if (field_check(r, key, pf_json_get_strn(r->src, key, maxlen, &s),
	    flags) != PF_OK)
		return NULL;
	if ((flags & F_EMPTY_NULL) && *s == '\0') {
		if (flags & F_REQ)
			rec_fail(r, key, "empty");
		return NULL;
	}
	if (col != NULL)
		json_object_set_new(r->row, col, json_string(s));
	return s;
}

static bool
f_bool(struct rec *r, const char *col, const char *key, int flags)
{
	bool	 b;

	if (field_check(r, key, pf_json_get_bool(r->src, key, &b), flags) !=
	    PF_OK)
		return false;
	json_object_set_new(r->row, col, json_boolean(b));
	return true;
}

/* An enum: the value must be one of allowed (NULL-terminated). */
static const char *
f_enum(struct rec *r, const char *col, const char *key, int flags,
    const char *const *allowed)
{
	const char	*s;
	size_t		 i;

	if (field_check(r, key, pf_json_get_strn(r->src, key, 80, &s),
	    flags) != PF_OK)
		return NULL;
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(allowed[i], s) == 0) {
			if (col != NULL)
				json_object_set_new(r->row, col,
				    json_string(s));
			return s;
		}
	rec_fail(r, key, "unknown enum value");
	return NULL;
}

/* "YYYY-MM-DD", or the date part of a date-time when lenient. */
static bool
f_date(struct rec *r, const char *col, const char *key, int flags,
    int64_t *out)
{
	const char	*s;
	char		 buf[PF_TIME_DATE_LEN];
	int64_t		 day, ms;
	size_t		 len;

	if (field_check(r, key, pf_json_get_strn(r->src, key, 40, &s),
	    flags) != PF_OK)
		return false;
	len = strlen(s);
	if (pf_time_parse_date(s, len, &day) != PF_OK) {
		if (!(flags & F_LENIENT) || pf_time_parse_datetime(s, len,
		    &ms, NULL, NULL) != PF_OK) {
			rec_fail(r, key, "impossible or malformed date");
			return false;
		}
		day = pf_time_local_day(ms, 0);
	}
	if (pf_time_format_date(day, buf) != PF_OK) {
		rec_fail(r, key, "date out of range");
		return false;
	}
	if (col != NULL)
		json_object_set_new(r->row, col, json_string(buf));
	if (out != NULL)
		*out = day;
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
	if (col != NULL)
		json_object_set_new(r->row, col, json_string(buf));
	return true;
}

/*
 * A date-time.  With a zone it is taken as is; without one it is wall time
 * at naive_off minutes east of UTC (0 for Polar's zone-less UTC fields).
 * *out_ms is UTC, *out_off the offset used.
 */
static bool
f_time(struct rec *r, const char *col, const char *key, int flags,
    int naive_off, int64_t *out_ms, int *out_off)
{
	const char	*s;
	int64_t		 ms;
	int		 off;
	bool		 has;

	if (field_check(r, key, pf_json_get_strn(r->src, key, 40, &s),
	    flags) != PF_OK)
		return false;
	if (pf_time_parse_datetime(s, strlen(s), &ms, &off, &has) != PF_OK) {
		rec_fail(r, key, "impossible or malformed date-time");
		return false;
	}
	if (!has) {
		off = naive_off;
		ms -= (int64_t)naive_off * 60000;
	}
	if (!put_instant(r, col, key, ms, off))
		return false;
	if (out_ms != NULL)
		*out_ms = ms;
	if (out_off != NULL)
		*out_off = off;
	return true;
}

static bool
f_duration(struct rec *r, const char *col, const char *key, int flags,
    bool as_int, double *out)
{
	const char	*s;
	double		 sec;

	if (field_check(r, key, pf_json_get_strn(r->src, key, 40, &s),
	    flags) != PF_OK)
		return false;
	if (pf_time_parse_duration(s, strlen(s), &sec) != PF_OK ||
	    sec > 366.0 * 86400) {
		rec_fail(r, key, "malformed duration");
		return false;
	}
	if (col != NULL)
		json_object_set_new(r->row, col, as_int ?
		    json_integer((json_int_t)llround(sec)) : json_real(sec));
	if (out != NULL)
		*out = sec;
	return true;
}

/* An object or array kept as jsonb. */
static const json_t *
f_json(struct rec *r, const char *col, const char *key, int flags,
    bool want_array)
{
	json_t	*v;
	int	 rv;

	rv = want_array ? pf_json_get_array(r->src, key, &v) :
	    pf_json_get_object(r->src, key, &v);
	if (field_check(r, key, rv, flags) != PF_OK)
		return NULL;
	if (col != NULL)
		json_object_set(r->row, col, v);
	return v;
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

static const char *const E_CARDIO_STATUS[] = {
	"LOAD_STATUS_NOT_AVAILABLE", "DETRAINING", "MAINTAINING",
	"PRODUCTIVE", "OVERREACHING", "RECOVERY_AFTER_OVERREACHING",
	"PRODUCTIVE_DROPPED_FROM_OVERREACHING",
	"PRODUCTIVE_ALMOST_OVERREACHING", "UNRECOGNIZED", NULL };
static const char *const E_GRADE_TYPE[] = {
	"GRADE_TYPE_UNKNOWN", "GRADE_TYPE_PRIMARY", "GRADE_TYPE_ADDITIONAL",
	NULL };
static const char *const E_GRADE_CLASS[] = {
	"GRADE_CLASSIFICATION_UNKNOWN", "GRADE_CLASSIFICATION_WEAK",
	"GRADE_CLASSIFICATION_FAIR", "GRADE_CLASSIFICATION_STRONG",
	"GRADE_CLASSIFICATION_EXCELLENT", NULL };
static const char *const E_VALIDITY[] = {
	"VALIDITY_UNKNOWN", "VALIDITY_RESET", "VALIDITY_NOT_VALID",
	"VALIDITY_ESTIMATE", "VALIDITY_VALID", NULL };
static const char *const E_INERTIA[] = {
	"SLEEP_INERTIA_UNKNOWN", "SLEEP_INERTIA_NO_INERTIA",
	"SLEEP_INERTIA_MILD", "SLEEP_INERTIA_MODERATE",
	"SLEEP_INERTIA_HEAVY", NULL };
static const char *const E_SLEEP_TYPE[] = {
	"SLEEP_TYPE_UNKNOWN", "SLEEP_TYPE_PRIMARY", "SLEEP_TYPE_SECONDARY",
	"SLEEP_TYPE_ARTIFICIAL", NULL };
static const char *const E_ALERT_RESULT[] = {
	"ALERTNESS_TYPE_UNKNOWN", "ALERTNESS_TYPE_PREDICTION",
	"ALERTNESS_TYPE_HISTORY", NULL };
static const char *const E_BED_QUALITY[] = {
	"CIRCADIAN_BEDTIME_QUALITY_UNKNOWN", "CIRCADIAN_BEDTIME_QUALITY_WEAK",
	"CIRCADIAN_BEDTIME_QUALITY_COMPROMISED",
	"CIRCADIAN_BEDTIME_QUALITY_CLEARLY_RECOGNIZABLE", NULL };
static const char *const E_BED_RESULT[] = {
	"CIRCADIAN_BEDTIME_TYPE_UNKNOWN", "CIRCADIAN_BEDTIME_TYPE_PREDICTION",
	"CIRCADIAN_BEDTIME_TYPE_HISTORY", NULL };
static const char *const E_SPO2_STATUS[] = {
	"SPO2_TEST_PASSED", "SPO2_TEST_INCONCLUSIVE_TOO_LOW_QUALITY_IN_SAMPLES",
	"SPO2_TEST_INCONCLUSIVE_TOO_LOW_OVERALL_QUALITY",
	"SPO2_TEST_INCONCLUSIVE_TOO_MANY_MISSING_SAMPLES", NULL };
static const char *const E_SPO2_CLASS[] = {
	"SPO2_CLASS_UNKNOWN", "SPO2_CLASS_VERY_LOW", "SPO2_CLASS_LOW",
	"SPO2_CLASS_NORMAL", NULL };
static const char *const E_DEVIATION[] = {
	"DEVIATION_NO_BASELINE", "DEVIATION_BELOW_USUAL", "DEVIATION_USUAL",
	"DEVIATION_ABOVE_USUAL", NULL };
static const char *const E_HRV_LEVEL[] = {
	"ECG_HRV_LEVEL_NO_BASELINE", "ECG_HRV_LEVEL_BELOW_USUAL",
	"ECG_HRV_LEVEL_USUAL", "ECG_HRV_LEVEL_ABOVE_USUAL", NULL };
static const char *const E_MEASUREMENT[] = {
	"TM_UNKNOWN", "TM_SKIN_TEMPERATURE", "TM_CORE_TEMPERATURE", NULL };
static const char *const E_LOCATION[] = {
	"SL_UNKNOWN", "SL_DISTAL", "SL_PROXIMAL", NULL };
static const char *const E_GENDER[] = { "MALE", "FEMALE", NULL };
static const char *const E_WEIGHT_SOURCE[] = {
	"SOURCE_DEFAULT", "SOURCE_ESTIMATE", "SOURCE_USER", "SOURCE_MEASURED",
	"SOURCE_KEEP", NULL };
static const char *const E_BACKGROUND[] = {
	"OCCASIONAL", "REGULAR", "FREQUENT", "HEAVY", "SEMI_PRO", "PRO",
	NULL };
static const char *const E_TYPICAL_DAY[] = {
	"MOSTLY_SITTING", "MOSTLY_STANDING", "MOSTLY_MOVING", NULL };

#define I32	INT64_C(2147483647)
#define DAYSEC	INT64_C(86400)

/*
 * An "HH:MM" -> number object (hypnogram, HR/HRV/breathing samples):
 * keys must be clock times, values numbers in lo..hi.  Kept as is.
 */
static const json_t *
f_clockmap(struct rec *r, const char *col, const char *key, double lo,
    double hi)
{
	const json_t	*m;
	const char	*k;
	json_t		*v;
	double		 d;
	int		 sec;

	if ((m = f_json(r, NULL, key, 0, false)) == NULL)
		return NULL;
	json_object_foreach((json_t *)m, k, v) {
		if (pf_time_parse_clock(k, strlen(k), &sec) != PF_OK) {
			rec_fail(r, key, "bad time key");
			return NULL;
		}
		if (pf_json_as_double(v, &d) != PF_OK || d < lo || d > hi) {
			rec_fail(r, key, "bad sample value");
			return NULL;
		}
	}
	json_object_set(r->row, col, (json_t *)m);
	return m;
}

static void
tf_sleep(struct rec *r, int64_t *day)
{
	static const char *const drop[] = { "hypnogram", "heart_rate_samples",
	    NULL };
	const json_t	*hr;
	const char	*k;
	json_t		*v;
	int64_t		 l = 0, d = 0, rem = 0, u = 0, ms;
	bool		 hl, hd, hrm, hu;
	double		 bpm, sum = 0, mn = 0, mx = 0;
	int		 n = 0, off;

	f_date(r, "date", "date", F_REQ, day);
	if (f_time(r, "sleep_start_time", "sleep_start_time", 0, 0, &ms, &off))
		json_object_set_new(r->row, "sleep_start_offset_minutes",
		    json_integer(off));
	if (f_time(r, "sleep_end_time", "sleep_end_time", 0, 0, &ms, &off))
		json_object_set_new(r->row, "sleep_end_offset_minutes",
		    json_integer(off));
	f_str(r, "device_id", "device_id", F_EMPTY_NULL, 100);
	hl = f_int(r, "light_sleep_seconds", "light_sleep", 0, 0, DAYSEC, &l);
	hd = f_int(r, "deep_sleep_seconds", "deep_sleep", 0, 0, DAYSEC, &d);
	hrm = f_int(r, "rem_sleep_seconds", "rem_sleep", 0, 0, DAYSEC, &rem);
	hu = f_int(r, "unrecognized_sleep_seconds", "unrecognized_sleep_stage",
	    0, 0, DAYSEC, &u);
	if (hl && hd && hrm)
		json_object_set_new(r->row, "total_sleep_seconds",
		    json_integer(l + d + rem + (hu ? u : 0)));
	f_int(r, "interruptions_seconds", "total_interruption_duration", 0, 0,
	    DAYSEC, NULL);
	f_int(r, "short_interruption_seconds", "short_interruption_duration",
	    0, 0, DAYSEC, NULL);
	f_int(r, "long_interruption_seconds", "long_interruption_duration", 0,
	    0, DAYSEC, NULL);
	f_int(r, "sleep_score", "sleep_score", F_ZERO_NULL, 1, 100, NULL);
	f_int(r, "sleep_rating", "sleep_rating", F_ZERO_NULL, 1, 5, NULL);
	f_int(r, "sleep_charge", "sleep_charge", F_NEG_NULL | F_ZERO_NULL, 1,
	    5, NULL);
	f_int(r, "sleep_goal_seconds", "sleep_goal", F_ZERO_NULL, 0, DAYSEC,
	    NULL);
	f_int(r, "sleep_cycles", "sleep_cycles", 0, 0, 100, NULL);
	f_dbl(r, "continuity", "continuity", F_ZERO_NULL, 1, 5, NULL);
	f_int(r, "continuity_class", "continuity_class", F_ZERO_NULL, 1, 5,
	    NULL);
	f_dbl(r, "group_duration_score", "group_duration_score", F_ZERO_NULL,
	    0, 100, NULL);
	f_dbl(r, "group_solidity_score", "group_solidity_score", F_ZERO_NULL,
	    0, 100, NULL);
	f_dbl(r, "group_regeneration_score", "group_regeneration_score",
	    F_ZERO_NULL, 0, 100, NULL);
	f_clockmap(r, "hypnogram", "hypnogram", 0, 5);
	hr = f_clockmap(r, "heart_rate_samples", "heart_rate_samples", 0, 300);
	if (hr != NULL && rec_ok(r)) {
		json_object_foreach((json_t *)hr, k, v) {
			if (pf_json_as_double(v, &bpm) != PF_OK || bpm <= 0)
				continue;	/* 0 = no signal */
			if (n == 0 || bpm < mn)
				mn = bpm;
			if (n == 0 || bpm > mx)
				mx = bpm;
			sum += bpm;
			n++;
		}
		if (n > 0) {
			json_object_set_new(r->row, "heart_rate_avg",
			    json_real(round(sum / n * 10) / 10));
			json_object_set_new(r->row, "heart_rate_min",
			    json_integer((json_int_t)mn));
			json_object_set_new(r->row, "heart_rate_max",
			    json_integer((json_int_t)mx));
		}
	}
	put_raw(r, drop);
}

static void
tf_recharge(struct rec *r, int64_t *day)
{
	static const char *const drop[] = { "hrv_samples", "breathing_samples",
	    NULL };

	f_date(r, "date", "date", F_REQ, day);
	f_dbl(r, "heart_rate_avg", "heart_rate_avg", F_ZERO_NULL, 1, 300,
	    NULL);
	f_dbl(r, "beat_to_beat_avg", "beat_to_beat_avg", F_ZERO_NULL, 1,
	    10000, NULL);
	if (f_dbl(r, "hrv_avg", "heart_rate_variability_avg", F_ZERO_NULL, 0,
	    1000, NULL))
		json_object_set(r->row, "heart_rate_variability_avg",
		    json_object_get(r->row, "hrv_avg"));
	f_dbl(r, "breathing_rate_avg", "breathing_rate_avg", F_ZERO_NULL, 0,
	    100, NULL);
	f_int(r, "nightly_recharge_status", "nightly_recharge_status",
	    F_ZERO_NULL, 1, 6, NULL);
	f_dbl(r, "ans_charge", "ans_charge", 0, -10, 10, NULL);
	f_int(r, "ans_charge_status", "ans_charge_status", F_ZERO_NULL, 1, 5,
	    NULL);
	f_clockmap(r, "hrv_samples", "hrv_samples", 0, 1000);
	f_clockmap(r, "breathing_samples", "breathing_samples", 0, 100);
	put_raw(r, drop);
}

static void
tf_activity(struct rec *r, int64_t *day)
{
	const char	*s;
	int64_t		 ms;
	int		 off;
	bool		 has;
	double		 pct;

	f_date(r, "date", "start_time", F_REQ | F_LENIENT, day);
	/* Day boundaries in local time: only stored when zoned. */
	if ((s = f_str(r, NULL, "start_time", 0, 40)) != NULL &&
	    pf_time_parse_datetime(s, strlen(s), &ms, &off, &has) == PF_OK &&
	    has) {
		f_time(r, "start_time", "start_time", 0, 0, NULL, NULL);
		f_time(r, "end_time", "end_time", 0, 0, NULL, NULL);
		json_object_set_new(r->row, "offset_minutes", json_integer(off));
	}
	f_int(r, "steps", "steps", 0, 0, 1000000, NULL);
	f_dbl(r, "distance_meters", "distance_from_steps", 0, 0, 1e6, NULL);
	f_int(r, "calories_active", "active_calories", 0, 0, 100000, NULL);
	f_int(r, "calories_total", "calories", 0, 0, 100000, NULL);
	f_duration(r, "active_time_seconds", "active_duration", 0, true, NULL);
	f_duration(r, "inactive_time_seconds", "inactive_duration", 0, true,
	    NULL);
	if (f_dbl(r, "daily_activity_percent", "daily_activity", 0, 0, 10000,
	    &pct))
		json_object_set_new(r->row, "activity_score",
		    json_integer((json_int_t)llround(pct)));
	f_int(r, "inactivity_alerts", "inactivity_alert_count", 0, 0, 10000,
	    NULL);
	put_raw(r, NULL);
}

static void
tf_activity_samples(struct rec *r, int64_t *day)
{
	static const char *const drop[] = { "steps", "activity_zones", NULL };
	json_t		*steps, *arr, *it;
	struct rec	 sub;
	size_t		 i;
	int64_t		 v;
	const char	*s;

	f_date(r, "date", "date", F_REQ, day);
	if (!rec_ok(r))
		return;
	json_object_set_new(r->row, "sample_count", json_integer(0));
	if (pf_json_get_object(r->src, "steps", &steps) == PF_OK) {
		sub = *r;
		sub.src = steps;
		sub.err[0] = '\0';
		f_int(&sub, "total_steps", "total_steps", 0, 0, 1000000, NULL);
		f_int(&sub, "interval_ms", "interval_ms", 0, 1, DAYSEC * 1000,
		    NULL);
		if ((arr = (json_t *)f_json(&sub, "samples", "samples", 0,
		    true)) != NULL) {
			json_array_foreach(arr, i, it) {
				if (pf_json_get_int64(it, "steps", &v) !=
				    PF_OK || v < 0 || pf_json_get_strn(it,
				    "timestamp", 40, &s) != PF_OK) {
					rec_fail(&sub, "steps/samples",
					    "bad sample");
					break;
				}
			}
			json_object_set_new(r->row, "sample_count",
			    json_integer((json_int_t)json_array_size(arr)));
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
	put_raw(r, drop);
	/* inactivity_stamps comes as an array or as {"samples": [...]}. */
	if ((it = json_object_get(r->src, "inactivity_stamps")) != NULL &&
	    json_is_object(it) && (arr = json_object_get(it, "samples")) !=
	    NULL && json_is_array(arr))
		json_object_set(json_object_get(r->row, "raw"),
		    "inactivity_stamps", arr);
}

static void
tf_exercise(struct rec *r, int64_t *day)
{
	static const char *const drop[] = { "samples", "route",
	    "heart_rate_zones", NULL };
	const char	*id;
	int64_t		 off = 0, start;
	double		 dur;
	bool		 hasoff;
	size_t		 i;

	id = f_str(r, "polar_exercise_id", "id", F_REQ, 64);
	if (id != NULL)
		for (i = 0; id[i] != '\0'; i++)
			if (!((id[i] >= 'A' && id[i] <= 'Z') ||
			    (id[i] >= 'a' && id[i] <= 'z') ||
			    (id[i] >= '0' && id[i] <= '9') || id[i] == '-' ||
			    id[i] == '_')) {
				rec_fail(r, "id", "bad characters");
				break;
			}
	hasoff = f_int(r, "start_offset_minutes", "start_time_utc_offset", 0,
	    -PF_TIME_OFFSET_MAX, PF_TIME_OFFSET_MAX, &off);
	if (!f_time(r, "start_time", "start_time", F_REQ, (int)off, &start,
	    NULL))
		return;
	(void)hasoff;
	*day = pf_time_local_day(start, (int)off);
	if (f_duration(r, "duration_seconds", "duration", 0, false, &dur))
		put_instant(r, "stop_time", "duration",
		    start + (int64_t)llround(dur * 1000), (int)off);
	f_str(r, "device", "device", 0, 200);
	f_str(r, "device_id", "device_id", F_EMPTY_NULL, 100);
	f_str(r, "sport", "sport", 0, 100);
	f_str(r, "detailed_sport_info", "detailed_sport_info", 0, 200);
	f_dbl(r, "distance_meters", "distance", F_NEG_NULL, 0, 1e7, NULL);
	f_int(r, "average_heart_rate", "heart_rate/average", F_ZERO_NULL |
	    F_NEG_NULL, 1, 300, NULL);
	f_int(r, "max_heart_rate", "heart_rate/maximum", F_ZERO_NULL |
	    F_NEG_NULL, 1, 300, NULL);
	f_int(r, "calories", "calories", F_NEG_NULL, 0, 100000, NULL);
	f_dbl(r, "training_load", "training_load", F_NEG_NULL, 0, 100000,
	    NULL);
	f_int(r, "running_index", "running-index", F_ZERO_NULL | F_NEG_NULL,
	    1, 200, NULL);
	f_int(r, "fat_percentage", "fat_percentage", F_NEG_NULL, 0, 100, NULL);
	f_int(r, "carbohydrate_percentage", "carbohydrate_percentage",
	    F_NEG_NULL, 0, 100, NULL);
	f_int(r, "protein_percentage", "protein_percentage", F_NEG_NULL, 0,
	    100, NULL);
	if (!f_bool(r, "has_route", "has_route", 0) && rec_ok(r))
		json_object_set_new(r->row, "has_route", json_false());
	f_json(r, "training_load_pro", "training_load_pro", 0, false);
	f_json(r, "heart_rate_zones", "heart_rate_zones", 0, true);
	f_json(r, "samples", "samples", 0, true);
	f_json(r, "route", "route", 0, true);
	put_raw(r, drop);
}

static void
tf_cardio(struct rec *r, int64_t *day)
{
	static const char *const lv[5][2] = {
	    { "load_very_low", "cardio_load_level/very_low" },
	    { "load_low", "cardio_load_level/low" },
	    { "load_medium", "cardio_load_level/medium" },
	    { "load_high", "cardio_load_level/high" },
	    { "load_very_high", "cardio_load_level/very_high" } };
	const char	*st;
	int		 i, na;

	f_date(r, "date", "date", F_REQ, day);
	st = f_enum(r, "cardio_load_status", "cardio_load_status", 0,
	    E_CARDIO_STATUS);
	na = st != NULL && strcmp(st, "LOAD_STATUS_NOT_AVAILABLE") == 0 ?
	    F_ZERO_NULL : 0;
	f_dbl(r, "cardio_load", "cardio_load", F_M1_NULL, 0, 1e5, NULL);
	f_dbl(r, "cardio_load_ratio", "cardio_load_ratio", F_M1_NULL, 0, 100,
	    NULL);
	f_dbl(r, "strain", "strain", na | F_M1_NULL, 0, 1e5, NULL);
	f_dbl(r, "tolerance", "tolerance", F_M1_NULL | na, 0, 1e5, NULL);
	for (i = 0; i < 5; i++)
		f_dbl(r, lv[i][0], lv[i][1], na | F_M1_NULL, 0, 1e5, NULL);
	put_raw(r, NULL);
}

static void
tf_alertness(struct rec *r, int64_t *day)
{
	static const char *const drop[] = { "hourly_data", NULL };
	int64_t		 off = 0, ms;

	f_int(r, "sleep_timezone_offset_minutes",
	    "sleep_timezone_offset_minutes", 0, -PF_TIME_OFFSET_MAX,
	    PF_TIME_OFFSET_MAX, &off);
	if (f_time(r, "period_start_time", "period_start_time", F_REQ, 0, &ms,
	    NULL))
		*day = pf_time_local_day(ms, (int)off);
	f_time(r, "period_end_time", "period_end_time", 0, 0, NULL, NULL);
	f_time(r, "sleep_period_start_time", "sleep_period_start_time", 0, 0,
	    NULL, NULL);
	f_time(r, "sleep_period_end_time", "sleep_period_end_time", 0, 0,
	    NULL, NULL);
	f_dbl(r, "grade", "grade", 0, 0, 100, NULL);
	f_int(r, "grade_validity_seconds", "grade_validity_seconds", 0, 0,
	    I32, NULL);
	f_enum(r, "grade_type", "grade_type", 0, E_GRADE_TYPE);
	f_enum(r, "grade_classification", "grade_classification", 0,
	    E_GRADE_CLASS);
	f_enum(r, "validity", "validity", 0, E_VALIDITY);
	f_enum(r, "sleep_inertia", "sleep_inertia", 0, E_INERTIA);
	f_enum(r, "sleep_type", "sleep_type", 0, E_SLEEP_TYPE);
	f_enum(r, "result_type", "result_type", 0, E_ALERT_RESULT);
	f_json(r, "hourly_data", "hourly_data", 0, true);
	put_raw(r, drop);
}

static void
tf_bedtime(struct rec *r, int64_t *day)
{
	int64_t		 off = 0, ms;

	f_int(r, "sleep_timezone_offset_minutes",
	    "sleep_timezone_offset_minutes", 0, -PF_TIME_OFFSET_MAX,
	    PF_TIME_OFFSET_MAX, &off);
	if (f_time(r, "period_start_time", "period_start_time", F_REQ, 0, &ms,
	    NULL))
		*day = pf_time_local_day(ms, (int)off);
	f_time(r, "period_end_time", "period_end_time", 0, 0, NULL, NULL);
	f_time(r, "preferred_sleep_start", "preferred_sleep_period_start_time",
	    0, 0, NULL, NULL);
	f_time(r, "preferred_sleep_end", "preferred_sleep_period_end_time", 0,
	    0, NULL, NULL);
	f_time(r, "sleep_gate_start", "sleep_gate_start_time", 0, 0, NULL,
	    NULL);
	f_time(r, "sleep_gate_end", "sleep_gate_end_time", 0, 0, NULL, NULL);
	f_enum(r, "validity", "validity", 0, E_VALIDITY);
	f_enum(r, "quality", "quality", 0, E_BED_QUALITY);
	f_enum(r, "result_type", "result_type", 0, E_BED_RESULT);
	put_raw(r, NULL);
}

static void
tf_chr(struct rec *r, int64_t *day)
{
	static const char *const drop[] = { "heart_rate_samples", NULL };
	json_t		*arr, *it;
	const char	*s;
	size_t		 i;
	int64_t		 hr, mn = 0, mx = 0, sum = 0, n = 0;
	int		 sec;

	f_date(r, "date", "date", F_REQ, day);
	if ((arr = (json_t *)f_json(r, "samples", "heart_rate_samples", 0,
	    true)) == NULL) {
		json_object_set_new(r->row, "sample_count", json_integer(0));
		put_raw(r, drop);
		return;
	}
	json_array_foreach(arr, i, it) {
		if (pf_json_get_int64(it, "heart_rate", &hr) != PF_OK ||
		    hr > 300 || pf_json_get_strn(it, "sample_time", 16, &s) !=
		    PF_OK || pf_time_parse_clock(s, strlen(s), &sec) != PF_OK) {
			rec_fail(r, "heart_rate_samples", "bad sample");
			return;
		}
		if (hr <= 0)
			continue;
		if (n == 0 || hr < mn)
			mn = hr;
		if (n == 0 || hr > mx)
			mx = hr;
		sum += hr;
		n++;
	}
	json_object_set_new(r->row, "sample_count",
	    json_integer((json_int_t)json_array_size(arr)));
	if (n > 0) {
		json_object_set_new(r->row, "hr_min", json_integer(mn));
		json_object_set_new(r->row, "hr_max", json_integer(mx));
		json_object_set_new(r->row, "hr_avg",
		    json_integer((json_int_t)llround((double)sum / n)));
	}
	put_raw(r, drop);
}

static bool
f_epoch(struct rec *r, const char *col, const char *key, int off,
    int64_t *out)
{
	int64_t	 v;

	if (!f_int(r, NULL, key, F_REQ, 1, INT64_MAX / 2, &v))
		return false;
	v = pf_time_epoch_to_ms(v);
	if (!put_instant(r, col, key, v, off))
		return false;
	*out = v;
	return true;
}

static void
tf_spo2(struct rec *r, int64_t *day)
{
	int64_t	 off = 0, ms;

	f_int(r, "timezone_offset_minutes", "time_zone_offset", 0,
	    -PF_TIME_OFFSET_MAX, PF_TIME_OFFSET_MAX, &off);
	if (f_epoch(r, "test_time", "test_time", (int)off, &ms))
		*day = pf_time_local_day(ms, (int)off);
	f_str(r, "device_id", "source_device_id", F_EMPTY_NULL, 100);
	f_enum(r, "test_status", "test_status", 0, E_SPO2_STATUS);
	f_int(r, "blood_oxygen_percent", "blood_oxygen_percent", F_ZERO_NULL,
	    1, 100, NULL);
	f_enum(r, "spo2_class", "spo2_class", 0, E_SPO2_CLASS);
	f_enum(r, "spo2_deviation", "spo2_value_deviation_from_baseline", 0,
	    E_DEVIATION);
	f_dbl(r, "quality_percent", "spo2_quality_average_percent", 0, 0, 100,
	    NULL);
	f_int(r, "avg_heart_rate", "average_heart_rate_bpm", F_ZERO_NULL, 1,
	    300, NULL);
	f_dbl(r, "hrv_ms", "heart_rate_variability_ms", F_ZERO_NULL, 0, 10000,
	    NULL);
	f_enum(r, "hrv_deviation", "spo2_hrv_deviation_from_baseline", 0,
	    E_DEVIATION);
	f_dbl(r, "altitude_meters", "altitude_meters", 0, -1000, 10000, NULL);
	put_raw(r, NULL);
}

static void
tf_ecg(struct rec *r, int64_t *day)
{
	static const char *const drop[] = { "samples", "quality_measurements",
	    NULL };
	json_t		*arr, *it;
	int64_t		 off = 0, ms, dt, maxdt = -1;
	double		 mv;
	size_t		 i;

	f_int(r, "timezone_offset_minutes", "time_zone_offset", 0,
	    -PF_TIME_OFFSET_MAX, PF_TIME_OFFSET_MAX, &off);
	if (f_epoch(r, "test_time", "test_time", (int)off, &ms))
		*day = pf_time_local_day(ms, (int)off);
	f_str(r, "device_id", "source_device_id", F_EMPTY_NULL, 100);
	f_int(r, "avg_heart_rate", "average_heart_rate_bpm", F_ZERO_NULL, 1,
	    300, NULL);
	f_dbl(r, "hrv_ms", "heart_rate_variability_ms", F_ZERO_NULL, 0, 10000,
	    NULL);
	f_enum(r, "hrv_level", "heart_rate_variability_level", 0, E_HRV_LEVEL);
	f_dbl(r, "rri_ms", "rri_ms", F_ZERO_NULL, 0, 10000, NULL);
	f_dbl(r, "ptt_systolic_ms", "pulse_transit_time_systolic_ms",
	    F_ZERO_NULL, 0, 10000, NULL);
	f_dbl(r, "ptt_diastolic_ms", "pulse_transit_time_diastolic_ms",
	    F_ZERO_NULL, 0, 10000, NULL);
	f_dbl(r, "ptt_quality_index", "pulse_transit_time_quality_index", 0,
	    0, 100, NULL);
	f_json(r, "quality", "quality_measurements", 0, true);
	arr = (json_t *)f_json(r, "samples", "samples", 0, true);
	json_object_set_new(r->row, "sample_count",
	    json_integer(arr ? (json_int_t)json_array_size(arr) : 0));
	if (arr != NULL && rec_ok(r)) {
		json_array_foreach(arr, i, it) {
			if (pf_json_get_int64(it, "recording_time_delta_ms",
			    &dt) != PF_OK || dt < 0 || pf_json_get_double(it,
			    "amplitude_mv", &mv) != PF_OK) {
				rec_fail(r, "samples", "bad sample");
				return;
			}
			if (dt > maxdt)
				maxdt = dt;
		}
		if (maxdt >= 0)
			json_object_set_new(r->row, "duration_seconds",
			    json_real((double)maxdt / 1000.0));
	}
	put_raw(r, drop);
}

static void
tf_body_temp(struct rec *r, int64_t *day)
{
	static const char *const drop[] = { "samples", NULL };
	json_t		*arr, *it;
	int64_t		 ms, dt;
	double		 t, mn = 0, mx = 0, sum = 0;
	size_t		 i, n = 0;

	if (f_time(r, "start_time", "start_time", F_REQ, 0, &ms, NULL))
		*day = pf_time_local_day(ms, 0);
	f_time(r, "end_time", "end_time", 0, 0, NULL, NULL);
	f_time(r, "modified_time", "modified_time", 0, 0, NULL, NULL);
	f_str(r, "device_id", "source_device_id", F_EMPTY_NULL, 100);
	if (f_enum(r, "measurement_type", "measurement_type", 0,
	    E_MEASUREMENT) == NULL && rec_ok(r))
		json_object_set_new(r->row, "measurement_type", json_string(""));
	if (f_enum(r, "sensor_location", "sensor_location", 0, E_LOCATION) ==
	    NULL && rec_ok(r))
		json_object_set_new(r->row, "sensor_location", json_string(""));
	arr = (json_t *)f_json(r, "samples", "samples", 0, true);
	if (arr != NULL && rec_ok(r)) {
		json_array_foreach(arr, i, it) {
			if (pf_json_get_double(it, "temperature_celsius", &t) !=
			    PF_OK || t < 0 || t > 60 || pf_json_get_int64(it,
			    "recording_time_delta_milliseconds", &dt) !=
			    PF_OK || dt < 0) {
				rec_fail(r, "samples", "bad sample");
				return;
			}
			if (n == 0 || t < mn)
				mn = t;
			if (n == 0 || t > mx)
				mx = t;
			sum += t;
			n++;
		}
		if (n > 0) {
			json_object_set_new(r->row, "temp_min", json_real(mn));
			json_object_set_new(r->row, "temp_max", json_real(mx));
			json_object_set_new(r->row, "temp_avg",
			    json_real(round(sum / (double)n * 1000) / 1000));
		}
	}
	json_object_set_new(r->row, "sample_count", json_integer((json_int_t)n));
	put_raw(r, drop);
}

static void
tf_skin_temp(struct rec *r, int64_t *day)
{
	double	 dev;

	f_date(r, "sleep_date", "sleep_date", F_REQ, day);
	f_dbl(r, "temperature_celsius", "sleep_time_skin_temperature_celsius",
	    F_ZERO_NULL, 0, 60, NULL);
	if (f_dbl(r, "deviation_from_baseline",
	    "deviation_from_baseline_celsius", 0, -30, 30, &dev))
		json_object_set_new(r->row, "is_elevated",
		    json_boolean(dev > 0.5));
	put_raw(r, NULL);
}

static void
tf_physical(struct rec *r, int64_t *day, int64_t now_ms)
{
	int64_t	 ms;
	double	 sec;

	/*
	 * A snapshot is keyed by Polar's modified (else created) time; with
	 * neither, by today's UTC midnight, so a re-sync on the same day
	 * stays idempotent.
	 */
	if (json_object_get(r->src, "modified") != NULL &&
	    !json_is_null(json_object_get(r->src, "modified")))
		f_time(r, "recorded_at", "modified", 0, 0, &ms, NULL);
	else if (json_object_get(r->src, "created") != NULL &&
	    !json_is_null(json_object_get(r->src, "created")))
		f_time(r, "recorded_at", "created", 0, 0, &ms, NULL);
	else {
		ms = pf_time_local_day(now_ms, 0) * PF_TIME_DAY_MS;
		put_instant(r, "recorded_at", "recorded_at", ms, 0);
	}
	if (!rec_ok(r))
		return;
	*day = pf_time_local_day(ms, 0);
	f_dbl(r, "weight_kg", "weight", F_ZERO_NULL | F_NEG_NULL, 1, 700,
	    NULL);
	f_dbl(r, "height_cm", "height", F_ZERO_NULL | F_NEG_NULL, 20, 300,
	    NULL);
	f_date(r, "birthday", "birthday", 0, NULL);
	f_enum(r, "gender", "gender", 0, E_GENDER);
	f_int(r, "maximum_heart_rate", "maximum_heart_rate", F_ZERO_NULL |
	    F_NEG_NULL, 1, 300, NULL);
	f_int(r, "resting_heart_rate", "resting_heart_rate", F_ZERO_NULL |
	    F_NEG_NULL, 1, 300, NULL);
	f_int(r, "aerobic_threshold", "aerobic_threshold", F_ZERO_NULL |
	    F_NEG_NULL, 1, 300, NULL);
	f_int(r, "anaerobic_threshold", "anaerobic_threshold", F_ZERO_NULL |
	    F_NEG_NULL, 1, 300, NULL);
	f_int(r, "vo2_max", "vo2_max", F_ZERO_NULL | F_NEG_NULL, 1, 150, NULL);
	f_enum(r, "weight_source", "weight_source", 0, E_WEIGHT_SOURCE);
	f_enum(r, "training_background", "training_background", 0,
	    E_BACKGROUND);
	f_enum(r, "typical_day", "typical_day", 0, E_TYPICAL_DAY);
	if (f_duration(r, NULL, "sleep_goal", 0, false, &sec))
		json_object_set_new(r->row, "sleep_goal_seconds",
		    json_integer((json_int_t)llround(sec)));
	put_raw(r, NULL);
}

/* The records of one response: the array to iterate, or one object. */
static int
records_of(enum stream st, const json_t *doc, json_t **arr, bool *single)
{
	*single = false;
	switch (st) {
	case ST_SLEEP:
		if (json_is_object(doc) && pf_json_get_array(doc, "nights",
		    arr) == PF_OK)
			return PF_OK;
		break;
	case ST_RECHARGE:
		if (json_is_object(doc) && pf_json_get_array(doc, "recharges",
		    arr) == PF_OK)
			return PF_OK;
		break;
	case ST_EXERCISE:
	case ST_PHYSICAL:
	case ST_CHR:
		if (json_is_object(doc)) {
			*single = true;
			return PF_OK;
		}
		break;
	default:
		if (json_is_array(doc)) {
			*arr = (json_t *)doc;
			return PF_OK;
		}
		break;
	}
	return PF_ERR_PROTO;
}

int
transform(enum stream st, const json_t *doc, const char *user_id,
    int64_t now_ms, struct rowset *out)
{
	json_t		*arr = NULL, *it;
	struct rec	 r;
	bool		 single;
	size_t		 i, n;
	int64_t		 day;
	char		*text;

	if (doc == NULL || records_of(st, doc, &arr, &single) != PF_OK)
		return PF_ERR_PROTO;
	n = single ? 1 : json_array_size(arr);
	for (i = 0; i < n; i++) {
		it = single ? (json_t *)doc : json_array_get(arr, i);
		memset(&r, 0, sizeof(r));
		day = 0;
		if (!json_is_object(it)) {
			pf_log_warnx("user %s stream %s: record %zu skipped: "
			    "not an object", user_id, stream_name(st), i);
			out->skipped++;
			continue;
		}
		r.src = it;
		if ((r.row = json_object()) == NULL)
			pf_fatalx("%s: out of memory", __func__);
		switch (st) {
		case ST_SLEEP:		tf_sleep(&r, &day); break;
		case ST_RECHARGE:	tf_recharge(&r, &day); break;
		case ST_ACTIVITY:	tf_activity(&r, &day); break;
		case ST_ACTIVITY_SAMPLES: tf_activity_samples(&r, &day); break;
		case ST_EXERCISE:	tf_exercise(&r, &day); break;
		case ST_CARDIO_LOAD:	tf_cardio(&r, &day); break;
		case ST_ALERTNESS:	tf_alertness(&r, &day); break;
		case ST_BEDTIME:	tf_bedtime(&r, &day); break;
		case ST_CHR:		tf_chr(&r, &day); break;
		case ST_SPO2:		tf_spo2(&r, &day); break;
		case ST_ECG:		tf_ecg(&r, &day); break;
		case ST_BODY_TEMP:	tf_body_temp(&r, &day); break;
		case ST_SKIN_TEMP:	tf_skin_temp(&r, &day); break;
		case ST_PHYSICAL:	tf_physical(&r, &day, now_ms); break;
		default:
			rec_fail(&r, "stream", "unknown");
			break;
		}
		if (!rec_ok(&r)) {
			pf_log_warnx("user %s stream %s: record %zu skipped: %s",
			    user_id, stream_name(st), i, r.err);
			out->skipped++;
			json_decref(r.row);
			continue;
		}
		/*
		 * 15 significant digits print every decimal Polar sends
		 * (at most 10 or so digits) back exactly as sent, so the
		 * jsonb columns hold Polar's numbers and not their binary
		 * neighbours ("60.166444899999997").
		 */
		text = json_dumps(r.row, JSON_COMPACT | JSON_REAL_PRECISION(15));
		json_decref(r.row);
		if (text == NULL)
			pf_fatalx("%s: out of memory", __func__);
		rowset_add(out, text, day);
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
	size_t		  i, k = 0, j;
	bool		  ok;

	if (!json_is_array(doc))
		return PF_ERR_PROTO;
	v = pf_xcalloc(json_array_size(doc) + 1, sizeof(*v));
	json_array_foreach(doc, i, it) {
		ok = json_is_object(it) && pf_json_get_strn(it, "id", 64, &id) ==
		    PF_OK && *id != '\0';
		for (j = 0; ok && id[j] != '\0'; j++)
			if (!((id[j] >= 'A' && id[j] <= 'Z') ||
			    (id[j] >= 'a' && id[j] <= 'z') ||
			    (id[j] >= '0' && id[j] <= '9') || id[j] == '-' ||
			    id[j] == '_'))
				ok = false;
		if (!ok) {
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
	if (*end != '\0' || x < 0 || y < 0)
		return PF_ERR_PARSE;
	*a = x;
	*b = y;
	return PF_OK;
}
