/*
 * time.h -- calendar dates, ISO 8601 date-times and durations, clocks.
 *
 * Two representations are used everywhere:
 *   day number   int64_t days since 1970-01-01 (negative before), the
 *                proleptic Gregorian calendar, no time zone;
 *   instant      int64_t milliseconds since 1970-01-01T00:00:00Z, UTC.
 * Offsets are int minutes east of UTC (+120 is UTC+2), as Polar sends them:
 * utc_ms = local_ms - offset_min * 60000.
 *
 * Everything except pf_time_now_ms() and pf_time_mono_ms() is a pure
 * function: no global state, no TZ, no locale, no timegm(3)/mktime(3).
 * Calendar arithmetic follows Howard Hinnant's days_from_civil and
 * civil_from_days.
 *
 * Parsers take (s, len) and never read s[len] or beyond; s need not be
 * NUL-terminated and len may be strlen(s).  Out-parameters are written only
 * on PF_OK.  Error returns, common to every parser:
 *   PF_ERR_INVALID  s is NULL, or the text is well formed but names an
 *                   impossible value (2026-02-30, month 13, hour 24, offset
 *                   beyond +-18:00) or an unsupported one (durations in
 *                   years, months or weeks, negative durations);
 *   PF_ERR_PARSE    the text does not have the expected shape (wrong digit
 *                   count, bad separator, trailing bytes, empty);
 *   PF_ERR_RANGE    a year outside PF_TIME_YEAR_MIN..PF_TIME_YEAR_MAX or a
 *                   duration too large to represent.
 */
#ifndef PF_COMMON_TIME_H
#define PF_COMMON_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_TIME_YEAR_MIN	1900
#define PF_TIME_YEAR_MAX	9999
#define PF_TIME_DAY_MS		INT64_C(86400000)
/* Largest accepted UTC offset, in minutes either side (+-18:00). */
#define PF_TIME_OFFSET_MAX	(18 * 60)

/* "YYYY-MM-DD" plus NUL. */
#define PF_TIME_DATE_LEN	11
/* "YYYY-MM-DDTHH:MM:SS.sss+hh:mm" plus NUL: enough for every format. */
#define PF_TIME_DATETIME_LEN	30

struct pf_date {
	int	year;	/* PF_TIME_YEAR_MIN..PF_TIME_YEAR_MAX */
	int	month;	/* 1..12 */
	int	day;	/* 1..pf_time_days_in_month() */
};

/* Gregorian leap year predicate; any int year. */
bool	pf_time_is_leap(int year);

/* 28..31, or 0 when month is not 1..12. */
int	pf_time_days_in_month(int year, int month);

/*
 * Converts a calendar date to a day number.  PF_ERR_RANGE if the year is
 * outside PF_TIME_YEAR_MIN..PF_TIME_YEAR_MAX, PF_ERR_INVALID if the month or
 * day does not exist (2025-02-29).
 */
int	pf_time_date_to_day(const struct pf_date *date, int64_t *out_day);

/*
 * Converts a day number to a calendar date.  PF_ERR_RANGE if the date falls
 * outside the supported years.
 */
int	pf_time_day_to_date(int64_t day, struct pf_date *out);

/*
 * Parses exactly "YYYY-MM-DD" (four, two and two digits, '-' separators,
 * nothing before or after) into a day number.
 */
int	pf_time_parse_date(const char *s, size_t len, int64_t *out_day);

/*
 * Writes "YYYY-MM-DD" and a NUL into buf, which holds PF_TIME_DATE_LEN
 * bytes.  PF_ERR_RANGE (buf untouched) outside the supported years.
 */
int	pf_time_format_date(int64_t day, char buf[PF_TIME_DATE_LEN]);

/*
 * Parses an ISO 8601 / RFC 3339 date-time:
 *
 *	YYYY-MM-DD('T'|'t'|' ')HH:MM[:SS[.f]][zone]
 *	zone: 'Z' | 'z' | ('+'|'-')hh[[':']mm]
 *
 * f is 1..9 digits, truncated to milliseconds.  Seconds may be 60 (a leap
 * second); it is read as 59.999 so the instant sorts inside the right
 * minute.  "-00:00" is accepted as offset 0.  Hour 24 is rejected.
 *
 * With a zone, *out_ms is the UTC instant, *out_offset_min the zone's offset
 * and *out_has_offset true.  Without one the text is a wall-clock time of
 * unknown zone: *out_ms holds that wall time counted as if it were UTC,
 * *out_offset_min is 0 and *out_has_offset false; the caller applies the
 * offset it knows (Polar's start_time_utc_offset) with
 * utc = ms - offset * 60000.  out_offset_min and out_has_offset may be NULL.
 *
 * A bare date ("2026-09-08", seen in activity start_time) is PF_ERR_PARSE
 * here; callers that accept it fall back to pf_time_parse_date().
 */
int	pf_time_parse_datetime(const char *s, size_t len, int64_t *out_ms,
	    int *out_offset_min, bool *out_has_offset);

/*
 * Parses a time of day "HH:MM" or "HH:MM:SS" (Polar's hypnogram and sample
 * keys) into seconds since midnight, 0..86399.  Leap second 60 reads as 59.
 */
int	pf_time_parse_clock(const char *s, size_t len, int *out_sec);

/* Flags for pf_time_format_datetime(). */
#define PF_TIME_FMT_NOMS	0x01	/* omit ".sss" */
#define PF_TIME_FMT_NOZONE	0x02	/* omit the zone: local wall time */

/*
 * Formats the instant utc_ms as seen at offset_min, e.g.
 * "2026-01-05T23:11:00.000+02:00"; offset 0 is written "Z".  Milliseconds
 * are always three digits unless PF_TIME_FMT_NOMS; PF_TIME_FMT_NOZONE writes
 * the local wall time with no zone designator.  len counts the NUL;
 * PF_TIME_DATETIME_LEN always suffices.  Returns PF_ERR_INVALID for an
 * offset beyond +-PF_TIME_OFFSET_MAX or unknown flags, PF_ERR_RANGE if the
 * local time falls outside the supported years or buf is too small (buf then
 * holds "" when len > 0).
 */
int	pf_time_format_datetime(int64_t utc_ms, int offset_min,
	    unsigned int flags, char *buf, size_t len);

/*
 * Parses an ISO 8601 duration as Polar writes them ("PT7H30M12.5S",
 * "PT45M", "PT0S", "PT210.026S") plus days ("P1DT2H"):
 *
 *	'P' [n'D'] ['T' [n'H'] [n'M'] [n'S']]
 *
 * At least one component; 'T' must be followed by at least one; components
 * in this order, each at most once.  n is digits with an optional fraction
 * ('.' or ','), and only the last component may carry one.  A day is 86400
 * s.  Years, months and weeks (P1Y, P1M, P2W) and a leading '-' are
 * PF_ERR_INVALID; a total above PF_TIME_DURATION_MAX_S is PF_ERR_RANGE.
 * The sum is exact to the nanosecond before conversion to double.
 */
#define PF_TIME_DURATION_MAX_S	INT64_C(9000000000)	/* about 285 years */
int	pf_time_parse_duration(const char *s, size_t len,
	    double *out_seconds);

/*
 * Normalises a Polar epoch timestamp whose unit is not fixed (ECG and SpO2
 * test_time): a value with |v| < 10^11 is seconds (10^11 s is the year
 * 5138), anything else is already milliseconds.  Never overflows.
 */
#define PF_TIME_EPOCH_SEC_LIMIT	INT64_C(100000000000)
int64_t	pf_time_epoch_to_ms(int64_t v);

/*
 * The local calendar day number of the instant utc_ms at offset_min (floor
 * division: -1 ms is day -1, 1969-12-31).  Defined for every int64_t and
 * every int; never overflows.
 */
int64_t	pf_time_local_day(int64_t utc_ms, int offset_min);

/*
 * Clock readers: wall clock (CLOCK_REALTIME) as epoch milliseconds, and a
 * monotonic clock (CLOCK_MONOTONIC) for timeouts, intervals and durations,
 * in milliseconds or microseconds.  A failing clock_gettime(2) is a broken
 * invariant and calls pf_fatal().
 */
int64_t	pf_time_now_ms(void);
int64_t	pf_time_mono_ms(void);
int64_t	pf_time_mono_us(void);

#endif /* PF_COMMON_TIME_H */
