/*
 * hae_point.c -- the shapes of HAE's metric points, normalised (hae.h).
 *
 * The common point is {date, qty, source?}; the exceptions are heart
 * rate (Min/Avg/Max), blood pressure (systolic/diastolic), sleep in its
 * aggregated (one night: hours per stage, start and end times) and
 * unaggregated (one stage: startDate/endDate/value) forms, blood glucose
 * (mealTime), insulin (reason), handwashing and toothbrushing (value)
 * and sexual activity (counts per kind).  Whatever a point carries
 * beyond the fields read here goes into the sample's extra object, so
 * nothing sent is lost; a metric not in the documented list is stored
 * the same way, with known = false.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hae.h"
#include "common/hae_impl.h"

static void
item_error(const struct pf_hae_sink *sink, const char *section,
    const char *metric, int index, const char *fmt, const char *arg)
{
	char	why[160];

	snprintf(why, sizeof(why), fmt, arg ? arg : "");
	if (sink->error)
		sink->error(sink->arg, section, metric, index, why);
}

/* The first date-bearing member of pt among keys; its key, or NULL. */
static const char *
find_date(const json_t *pt, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (json_object_get(pt, *keys) != NULL)
			return *keys;
	return NULL;
}

/* The date under key as an instant, or an item error (-1). */
static int
point_date(const struct pf_hae_sink *sink, const char *section,
    const char *metric, int index, const json_t *pt, const char *key,
    int64_t *ms, int *off, bool *has_off)
{
	const json_t	*v = json_object_get(pt, key);
	char		 shown[48];

	if (!json_is_string(v)) {
		item_error(sink, section, metric, index, "%s is not a date "
		    "string", key);
		return -1;
	}
	if (pf_hae_item_date(pt, key, ms, off, has_off) == 0)
		return 0;
	snprintf(shown, sizeof(shown), "%s", json_string_value(v));
	{
		char	why[120];

		snprintf(why, sizeof(why), "unparseable %s: \"%s\"", key,
		    shown);
		if (sink->error)
			sink->error(sink->arg, section, metric, index, why);
	}
	return -1;
}

/*
 * A number member: 1 found (finite), 0 absent or null, -1 present but
 * not a number (an item error).
 */
static int
num_member(const json_t *pt, const char *key, double *out)
{
	const json_t	*v = json_object_get(pt, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return isfinite(*out) ? 1 : -1;
}

/* pt without the members read (keys), as compact JSON text, or NULL. */
static char *
extra_of(const json_t *pt, const char *const *keys)
{
	json_t		*copy;
	const char	*k, *const *kk;
	json_t		*v;
	char		*s = NULL;
	bool		 more = false;

	/* the common case, nothing beyond the fields read: no copy */
	json_object_foreach((json_t *)pt, k, v) {
		for (kk = keys; *kk != NULL && strcmp(*kk, k) != 0; kk++)
			;
		if (*kk == NULL) {
			more = true;
			break;
		}
	}
	if (!more)
		return NULL;
	copy = json_copy((json_t *)pt);
	for (; *keys != NULL; keys++)
		json_object_del(copy, *keys);
	if (json_object_size(copy) > 0)
		s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	return s;
}

static double
si(double v, double f, double off)
{
	return v * f + off;
}

/* Aggregated sleep: one night. */
static int
night(const struct pf_hae_sink *sink, const char *units, json_t *pt,
    int index)
{
	static const char *const read[] = { "date", "totalSleep", "asleep",
	    "core", "deep", "rem", "awake", "inBed", "sleepStart",
	    "sleepEnd", "inBedStart", "inBedEnd", "source", "units", NULL };
	static const char *const tkeys[4] = { "sleepStart", "sleepEnd",
	    "inBedStart", "inBedEnd" };
	struct pf_hae_night	 n;
	const char		*d, *si_unit;
	double			*slot[7], f, off;
	const char		*hkeys[7] = { "totalSleep", "asleep", "core",
	    "deep", "rem", "awake", "inBed" };
	char			*extra;
	int			 i, r;
	bool			 ho;

	memset(&n, 0, sizeof(n));
	slot[0] = &n.total_sleep_s; slot[1] = &n.asleep_s;
	slot[2] = &n.core_s; slot[3] = &n.deep_s; slot[4] = &n.rem_s;
	slot[5] = &n.awake_s; slot[6] = &n.in_bed_s;
	if ((d = pf_hae_item_str(pt, "date")) == NULL) {
		item_error(sink, "metrics", "sleep_analysis", index,
		    "missing date%s", NULL);
		return 0;
	}
	if (pf_hae_parse_day(d, strlen(d), &n.day) != 0) {
		item_error(sink, "metrics", "sleep_analysis", index,
		    "unparseable date: \"%.40s\"", d);
		return 0;
	}
	if (pf_hae_item_str(pt, "units") != NULL)
		units = pf_hae_item_str(pt, "units");
	/* HAE sends the stages in hours ("hr"). */
	if (!pf_hae_unit_si(units ? units : "hr", &si_unit, &f, &off) ||
	    strcmp(si_unit, "s") != 0) {
		f = 3600;
		off = 0;
	}
	for (i = 0; i < 7; i++) {
		double	v;

		*slot[i] = NAN;
		if ((r = num_member(pt, hkeys[i], &v)) < 0) {
			item_error(sink, "metrics", "sleep_analysis", index,
			    "%s is not a number", hkeys[i]);
			return 0;
		}
		if (r > 0)
			*slot[i] = si(v, f, off);
	}
	for (i = 0; i < 4; i++) {
		int	o;

		if (json_object_get(pt, tkeys[i]) == NULL ||
		    json_is_null(json_object_get(pt, tkeys[i])))
			continue;
		if (point_date(sink, "metrics", "sleep_analysis", index, pt,
		    tkeys[i], &n.t_ms[i], &o, &ho) != 0)
			return 0;
		n.has[i] = true;
		if (!n.has_offset && ho) {
			n.has_offset = true;
			n.offset_min = o;
		}
	}
	n.source = pf_hae_item_str(pt, "source");
	if (n.source == NULL)
		n.source = "";
	extra = extra_of(pt, read);
	n.extra = extra;
	r = sink->night ? sink->night(sink->arg, &n) : 0;
	free(extra);
	return r;
}

/* Members of the common shapes that are read into the sample's fields. */
static const char *const read_common[] = { "date", "startDate", "endDate",
    "start", "end", "qty", "source", "units", "Min", "Avg", "Max", NULL };

int
pf_hae_point(const struct pf_hae_sink *sink, const char *metric,
    const char *units, json_t *pt, int index)
{
	static const char *const start_keys[] = { "date", "startDate",
	    "start", NULL };
	static const char *const end_keys[] = { "endDate", "end", NULL };
	struct pf_hae_sample	 s;
	const char		*k, *si_unit;
	double			 f = 1, off = 0, q, mma[3];
	char			*extra = NULL;
	int			 r, i;
	bool			 unit_ok;

	if (strcmp(metric, "sleep_analysis") == 0 &&
	    (json_object_get(pt, "totalSleep") != NULL ||
	    json_object_get(pt, "sleepStart") != NULL ||
	    json_object_get(pt, "inBed") != NULL ||
	    json_object_get(pt, "asleep") != NULL))
		return night(sink, units, pt, index);

	if (strlen(metric) > PF_HAE_NAME_MAX) {
		item_error(sink, "metrics", NULL, index, "metric name longer "
		    "than 128 bytes%s", NULL);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.metric = metric;
	s.known = pf_hae_metric_known(metric);
	if ((k = find_date(pt, start_keys)) == NULL) {
		item_error(sink, "metrics", metric, index, "missing date%s",
		    NULL);
		return 0;
	}
	if (point_date(sink, "metrics", metric, index, pt, k, &s.start_ms,
	    &s.offset_min, &s.has_offset) != 0)
		return 0;
	if ((k = find_date(pt, end_keys)) != NULL) {
		int	o;
		bool	ho;

		if (point_date(sink, "metrics", metric, index, pt, k,
		    &s.end_ms, &o, &ho) != 0)
			return 0;
		s.has_end = true;
	}
	s.source = pf_hae_item_str(pt, "source");
	if (s.source == NULL)
		s.source = "";
	if (pf_hae_item_str(pt, "units") != NULL)
		units = pf_hae_item_str(pt, "units");
	s.unit_orig = units ? units : "";
	unit_ok = pf_hae_unit_si(units, &si_unit, &f, &off);
	s.unit = unit_ok ? si_unit : s.unit_orig;

	/* heart rate's Min/Avg/Max, wherever they come */
	for (i = 0; i < 3; i++) {
		static const char *const mk[3] = { "Min", "Avg", "Max" };

		mma[i] = NAN;
		if ((r = num_member(pt, mk[i], &mma[i])) < 0) {
			item_error(sink, "metrics", metric, index,
			    "%s is not a number", mk[i]);
			return 0;
		}
		if (r > 0)
			s.has_mma = true;
	}
	if (s.has_mma) {
		s.vmin = isfinite(mma[0]) ? si(mma[0], f, off) : NAN;
		s.vavg = isfinite(mma[1]) ? si(mma[1], f, off) : NAN;
		s.vmax = isfinite(mma[2]) ? si(mma[2], f, off) : NAN;
	}

	if ((r = num_member(pt, "qty", &q)) < 0) {
		item_error(sink, "metrics", metric, index,
		    "qty is not a number%s", NULL);
		return 0;
	}
	if (r > 0) {
		s.has_value = true;
		s.value_orig = q;
	} else if (strcmp(metric, "blood_pressure") == 0) {
		/* the systolic value is the sample's, diastolic in extra */
		if ((r = num_member(pt, "systolic", &q)) <= 0 ||
		    num_member(pt, "diastolic", &mma[0]) <= 0) {
			item_error(sink, "metrics", metric, index,
			    "systolic and diastolic must be numbers%s", NULL);
			return 0;
		}
		s.has_value = true;
		s.value_orig = q;
	} else if (strcmp(metric, "sexual_activity") == 0) {
		static const char *const kinds[] = { "Unspecified",
		    "Protection Used", "Protection Not Used" };
		double	sum = 0, v;
		bool	any = false;

		for (i = 0; i < 3; i++)
			if (num_member(pt, kinds[i], &v) > 0) {
				sum += v;
				any = true;
			}
		if (any) {
			s.has_value = true;
			s.value_orig = sum;
		}
	} else if (s.has_mma && isfinite(mma[1])) {
		s.has_value = true;
		s.value_orig = mma[1];
	}
	if (s.has_value)
		s.value = unit_ok ? si(s.value_orig, f, off) : s.value_orig;
	if (!s.has_value && !s.has_mma && s.known &&
	    strcmp(metric, "sleep_analysis") != 0) {
		item_error(sink, "metrics", metric, index, "no value (qty)%s",
		    NULL);
		return 0;
	}
	if (strcmp(metric, "blood_pressure") == 0 && json_object_get(pt,
	    "diastolic") != NULL) {
		json_t	*x = json_copy(pt);
		double	 d = json_number_value(json_object_get(pt,
		    "diastolic"));

		/* the diastolic value in SI beside the one sent */
		json_object_set_new(x, "diastolic_si", json_real(unit_ok ?
		    si(d, f, off) : d));
		extra = extra_of(x, read_common);
		json_decref(x);
	} else
		extra = extra_of(pt, read_common);
	s.extra = extra;
	r = sink->sample ? sink->sample(sink->arg, &s) : 0;
	free(extra);
	return r;
}

int
pf_hae_item(const struct pf_hae_sink *sink, const char *section,
    json_t *item, int index)
{
	if (strcmp(section, "workouts") == 0)
		return sink->workout ? sink->workout(sink->arg, item, index) :
		    0;
	if (strcmp(section, "ecg") == 0)
		return sink->ecg ? sink->ecg(sink->arg, item, index) : 0;
	return sink->event ? sink->event(sink->arg, section, item, index) : 0;
}
