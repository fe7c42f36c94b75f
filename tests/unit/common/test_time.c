#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/time.h"

#define S(lit)	(lit), strlen(lit)

static int
pdate(const char *s, int64_t *day)
{
	return pf_time_parse_date(s, strlen(s), day);
}

static int
pdt(const char *s, int64_t *ms, int *off, bool *has)
{
	return pf_time_parse_datetime(s, strlen(s), ms, off, has);
}

static int
pdur(const char *s, double *sec)
{
	return pf_time_parse_duration(s, strlen(s), sec);
}

static void
test_leap_and_month_days(void **state)
{
	(void)state;
	assert_true(pf_time_is_leap(2024));
	assert_true(pf_time_is_leap(2000));
	assert_false(pf_time_is_leap(1900));
	assert_false(pf_time_is_leap(2025));
	assert_int_equal(pf_time_days_in_month(2024, 2), 29);
	assert_int_equal(pf_time_days_in_month(2025, 2), 28);
	assert_int_equal(pf_time_days_in_month(1900, 2), 28);
	assert_int_equal(pf_time_days_in_month(2026, 4), 30);
	assert_int_equal(pf_time_days_in_month(2026, 12), 31);
	assert_int_equal(pf_time_days_in_month(2026, 0), 0);
	assert_int_equal(pf_time_days_in_month(2026, 13), 0);
}

static void
test_known_days(void **state)
{
	int64_t	d;

	(void)state;
	assert_int_equal(pdate("1970-01-01", &d), PF_OK);
	assert_int_equal(d, 0);
	assert_int_equal(pdate("1969-12-31", &d), PF_OK);
	assert_int_equal(d, -1);
	assert_int_equal(pdate("2000-03-01", &d), PF_OK);
	assert_int_equal(d, 11017);
	assert_int_equal(pdate("1900-01-01", &d), PF_OK);
	assert_int_equal(d, -25567);
	assert_int_equal(pdate("9999-12-31", &d), PF_OK);
	assert_int_equal(d, 2932896);
	assert_int_equal(pdate("2024-02-29", &d), PF_OK);
	assert_int_equal(d, 19782);
	assert_int_equal(pdate("2026-01-05", &d), PF_OK);
	assert_int_equal(d, 20458);
}

/* Every day 1900..2100: date -> day -> date -> text -> day, vs timegm(3). */
static void
test_roundtrip_1900_2100(void **state)
{
	struct pf_date	d, back;
	struct tm	tm;
	char		buf[PF_TIME_DATE_LEN], want[32];
	int64_t		day, prev = 0, parsed;
	int		count = 0;

	(void)state;
	for (d.year = 1900; d.year <= 2100; d.year++) {
		for (d.month = 1; d.month <= 12; d.month++) {
			for (d.day = 1; d.day <=
			    pf_time_days_in_month(d.year, d.month); d.day++) {
				assert_int_equal(pf_time_date_to_day(&d, &day),
				    PF_OK);
				if (count > 0)
					assert_int_equal(day, prev + 1);
				prev = day;
				count++;

				memset(&tm, 0, sizeof(tm));
				tm.tm_year = d.year - 1900;
				tm.tm_mon = d.month - 1;
				tm.tm_mday = d.day;
				assert_int_equal(day,
				    (int64_t)timegm(&tm) / 86400);

				assert_int_equal(pf_time_day_to_date(day,
				    &back), PF_OK);
				assert_int_equal(back.year, d.year);
				assert_int_equal(back.month, d.month);
				assert_int_equal(back.day, d.day);

				assert_int_equal(pf_time_format_date(day, buf),
				    PF_OK);
				snprintf(want, sizeof(want), "%04d-%02d-%02d",
				    d.year, d.month, d.day);
				assert_string_equal(buf, want);
				assert_int_equal(pdate(buf, &parsed), PF_OK);
				assert_int_equal(parsed, day);
			}
		}
	}
	assert_int_equal(count, 73414);
}

static void
test_bad_dates(void **state)
{
	static const struct {
		const char	*s;
		int		 err;
	} bad[] = {
		{ "2026-13-45", PF_ERR_INVALID },
		{ "2026-02-30", PF_ERR_INVALID },
		{ "2025-02-29", PF_ERR_INVALID },
		{ "1900-02-29", PF_ERR_INVALID },
		{ "2026-00-10", PF_ERR_INVALID },
		{ "2026-01-00", PF_ERR_INVALID },
		{ "2026-04-31", PF_ERR_INVALID },
		{ "2026-1-5", PF_ERR_PARSE },
		{ "2026-01-5", PF_ERR_PARSE },
		{ "2026-01-05x", PF_ERR_PARSE },
		{ "2026-01-05 ", PF_ERR_PARSE },
		{ " 2026-01-05", PF_ERR_PARSE },
		{ "2026-01-05T00:00", PF_ERR_PARSE },
		{ "2026/01/05", PF_ERR_PARSE },
		{ "20260105", PF_ERR_PARSE },
		{ "+2026-01-05", PF_ERR_PARSE },
		{ "-001-01-05", PF_ERR_PARSE },
		{ "2026-0a-05", PF_ERR_PARSE },
		{ "", PF_ERR_PARSE },
		{ "2026", PF_ERR_PARSE },
		{ "2026-01-", PF_ERR_PARSE },
		{ "99999999999999999999-01-01", PF_ERR_PARSE },
		{ "1899-12-31", PF_ERR_RANGE },
		{ "0000-01-01", PF_ERR_RANGE },
	};
	int64_t	d = 42;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pdate(bad[i].s, &d) != bad[i].err)
			fail_msg("\"%s\": got %d, want %d", bad[i].s,
			    pdate(bad[i].s, &d), bad[i].err);
	}
	assert_int_equal(d, 42);
	assert_int_equal(pf_time_parse_date(NULL, 0, &d), PF_ERR_INVALID);
}

/* The parser stops at len even when the buffer goes on or has no NUL. */
static void
test_date_len_bounds(void **state)
{
	char	*heap;
	int64_t	 d;

	(void)state;
	assert_int_equal(pf_time_parse_date("2026-01-05garbage", 10, &d),
	    PF_OK);
	assert_int_equal(d, 20458);
	assert_int_equal(pf_time_parse_date("2026-01-05", 9, &d),
	    PF_ERR_PARSE);
	/* Exactly-sized heap buffer, no NUL: ASan catches any overread. */
	heap = malloc(10);
	assert_non_null(heap);
	memcpy(heap, "2024-02-29", 10);
	assert_int_equal(pf_time_parse_date(heap, 10, &d), PF_OK);
	assert_int_equal(d, 19782);
	assert_int_equal(pf_time_parse_date(heap, 7, &d), PF_ERR_PARSE);
	free(heap);
	heap = malloc(19);
	assert_non_null(heap);
	memcpy(heap, "2026-01-05T23:11:00", 19);
	assert_int_equal(pf_time_parse_datetime(heap, 19, &d, NULL, NULL),
	    PF_OK);
	assert_int_equal(pf_time_parse_datetime(heap, 18, &d, NULL, NULL),
	    PF_ERR_PARSE);
	free(heap);
	heap = malloc(12);
	assert_non_null(heap);
	memcpy(heap, "PT7H30M12.5S", 12);
	{
		double	sec;

		assert_int_equal(pf_time_parse_duration(heap, 12, &sec),
		    PF_OK);
		assert_true(sec == 27012.5);
		assert_int_equal(pf_time_parse_duration(heap, 11, &sec),
		    PF_ERR_PARSE);
	}
	free(heap);
}

static void
test_day_date_range(void **state)
{
	struct pf_date	d = { 2026, 1, 5 };
	char		buf[PF_TIME_DATE_LEN] = "unchanged";
	int64_t		day;

	(void)state;
	assert_int_equal(pf_time_day_to_date(-25568, &d), PF_ERR_RANGE);
	assert_int_equal(pf_time_day_to_date(2932897, &d), PF_ERR_RANGE);
	assert_int_equal(pf_time_day_to_date(INT64_MIN, &d), PF_ERR_RANGE);
	assert_int_equal(pf_time_day_to_date(INT64_MAX, &d), PF_ERR_RANGE);
	assert_int_equal(d.year, 2026);
	assert_int_equal(pf_time_format_date(INT64_MAX, buf), PF_ERR_RANGE);
	assert_string_equal(buf, "unchanged");
	assert_int_equal(pf_time_format_date(-25567, buf), PF_OK);
	assert_string_equal(buf, "1900-01-01");
	assert_int_equal(pf_time_format_date(2932896, buf), PF_OK);
	assert_string_equal(buf, "9999-12-31");

	d.year = 10000;
	assert_int_equal(pf_time_date_to_day(&d, &day), PF_ERR_RANGE);
	d.year = 2026;
	d.month = 2;
	d.day = 29;
	assert_int_equal(pf_time_date_to_day(&d, &day), PF_ERR_INVALID);
	d.month = 0;
	d.day = 1;
	assert_int_equal(pf_time_date_to_day(&d, &day), PF_ERR_INVALID);
	d.month = 1;
	d.day = -1;
	assert_int_equal(pf_time_date_to_day(&d, &day), PF_ERR_INVALID);
	assert_int_equal(pf_time_date_to_day(NULL, &day), PF_ERR_INVALID);
}

static void
test_datetime_forms(void **state)
{
	/* 2026-01-05T23:11:00Z */
	const int64_t	base = INT64_C(20458) * 86400000 + 83460000;
	int64_t		ms;
	int		off;
	bool		has;

	(void)state;
	assert_int_equal(pdt("2026-01-05T23:11:00Z", &ms, &off, &has), PF_OK);
	assert_int_equal(ms, base);
	assert_int_equal(off, 0);
	assert_true(has);

	assert_int_equal(pdt("2026-01-05T23:11:00.000", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(ms, base);
	assert_false(has);
	assert_int_equal(off, 0);

	assert_int_equal(pdt("2026-01-05T23:11", &ms, &off, &has), PF_OK);
	assert_int_equal(ms, base);
	assert_false(has);

	assert_int_equal(pdt("2026-01-05 23:11:00", &ms, NULL, NULL), PF_OK);
	assert_int_equal(ms, base);
	assert_int_equal(pdt("2026-01-05t23:11:00z", &ms, NULL, NULL), PF_OK);
	assert_int_equal(ms, base);

	/* Offsets: the result is the UTC instant. */
	assert_int_equal(pdt("2026-01-05T23:11:00+02:00", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(ms, base - 2 * 3600000);
	assert_int_equal(off, 120);
	assert_true(has);
	assert_int_equal(pdt("2026-01-05T23:11:00+0200", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(ms, base - 2 * 3600000);
	assert_int_equal(off, 120);
	assert_int_equal(pdt("2026-01-05T23:11:00+02", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(off, 120);
	assert_int_equal(pdt("2026-01-05T23:11:00-0530", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(ms, base + 5 * 3600000 + 30 * 60000);
	assert_int_equal(off, -330);
	assert_int_equal(pdt("2026-01-05T23:11:00-05:30", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(off, -330);
	assert_int_equal(pdt("2026-01-05T23:11:00-00:00", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(ms, base);
	assert_int_equal(off, 0);
	assert_true(has);
	assert_int_equal(pdt("2026-01-05T23:11+18:00", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(off, 18 * 60);
	assert_int_equal(pdt("2026-01-05T23:11-18:00", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(off, -18 * 60);

	/* Polar's samples. */
	assert_int_equal(pdt("2026-11-20T23:40:05+02:00", &ms, &off, &has),
	    PF_OK);
	assert_int_equal(pf_time_local_day(ms, off), 20777);
	assert_int_equal(pf_time_local_day(ms, 0), 20777);
	assert_int_equal(pdt("2026-11-19T06:58:02.000Z", &ms, NULL, NULL),
	    PF_OK);
	assert_int_equal(pdt("2026-11-22T00:00", &ms, NULL, NULL), PF_OK);
	assert_int_equal(ms, INT64_C(20779) * 86400000);
}

static void
test_datetime_fraction(void **state)
{
	int64_t	ms, base;

	(void)state;
	assert_int_equal(pdt("2026-01-05T00:00:00Z", &base, NULL, NULL), PF_OK);
	assert_int_equal(pdt("2026-01-05T00:00:00.5Z", &ms, NULL, NULL), PF_OK);
	assert_int_equal(ms - base, 500);
	assert_int_equal(pdt("2026-01-05T00:00:00.57", &ms, NULL, NULL), PF_OK);
	assert_int_equal(ms - base, 570);
	assert_int_equal(pdt("2026-01-05T00:00:00.123456789Z", &ms, NULL,
	    NULL), PF_OK);
	assert_int_equal(ms - base, 123);
	assert_int_equal(pdt("2026-01-05T00:00:00.9999Z", &ms, NULL, NULL),
	    PF_OK);
	assert_int_equal(ms - base, 999);
	assert_int_equal(pdt("2026-01-05T00:00:00.1234567890Z", &ms, NULL,
	    NULL), PF_ERR_PARSE);
	assert_int_equal(pdt("2026-01-05T00:00:00.Z", &ms, NULL, NULL),
	    PF_ERR_PARSE);
	/* Leap second: 59.999 of the same minute. */
	assert_int_equal(pdt("2016-12-31T23:59:60Z", &ms, NULL, NULL), PF_OK);
	assert_int_equal(pdt("2017-01-01T00:00:00Z", &base, NULL, NULL), PF_OK);
	assert_int_equal(ms, base - 1);
}

static void
test_datetime_bad(void **state)
{
	static const struct {
		const char	*s;
		int		 err;
	} bad[] = {
		{ "", PF_ERR_PARSE },
		{ "2026-01-05", PF_ERR_PARSE },
		{ "2026-01-05T", PF_ERR_PARSE },
		{ "2026-01-05T23", PF_ERR_PARSE },
		{ "2026-01-05T23:1", PF_ERR_PARSE },
		{ "2026-01-05T2:11", PF_ERR_PARSE },
		{ "2026-01-05T23:11:0", PF_ERR_PARSE },
		{ "2026-01-05X23:11", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00 ", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00Zx", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00 +02:00", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00+2", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00+02:0", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00+020", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00+02:00:00", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00+", PF_ERR_PARSE },
		{ "2026-01-05T23:11.5", PF_ERR_PARSE },
		{ "2026-01-05T23:11:00,5", PF_ERR_PARSE },
		{ "2026-01-05T24:00:00", PF_ERR_INVALID },
		{ "2026-01-05T23:60:00", PF_ERR_INVALID },
		{ "2026-01-05T23:11:61", PF_ERR_INVALID },
		{ "2026-01-05T23:11:00+18:01", PF_ERR_INVALID },
		{ "2026-01-05T23:11:00-19:00", PF_ERR_INVALID },
		{ "2026-01-05T23:11:00+02:60", PF_ERR_INVALID },
		{ "2026-02-30T00:00:00", PF_ERR_INVALID },
		{ "2026-13-45T00:00:00", PF_ERR_INVALID },
		{ "1899-12-31T23:59:59Z", PF_ERR_RANGE },
		{ "99999999999999999999-01-01T00:00", PF_ERR_PARSE },
	};
	int64_t	ms = 7;
	int	off = 7;
	bool	has = true;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pdt(bad[i].s, &ms, &off, &has) != bad[i].err)
			fail_msg("\"%s\": got %d, want %d", bad[i].s,
			    pdt(bad[i].s, &ms, &off, &has), bad[i].err);
	}
	assert_int_equal(ms, 7);
	assert_int_equal(off, 7);
	assert_true(has);
	assert_int_equal(pf_time_parse_datetime(NULL, 5, &ms, NULL, NULL),
	    PF_ERR_INVALID);
}

static void
test_clock(void **state)
{
	int	sec = -1;

	(void)state;
	assert_int_equal(pf_time_parse_clock(S("00:00"), &sec), PF_OK);
	assert_int_equal(sec, 0);
	assert_int_equal(pf_time_parse_clock(S("23:59"), &sec), PF_OK);
	assert_int_equal(sec, 86340);
	assert_int_equal(pf_time_parse_clock(S("06:41:30"), &sec), PF_OK);
	assert_int_equal(sec, 6 * 3600 + 41 * 60 + 30);
	assert_int_equal(pf_time_parse_clock(S("23:59:60"), &sec), PF_OK);
	assert_int_equal(sec, 86399);
	assert_int_equal(pf_time_parse_clock(S("24:00"), &sec), PF_ERR_INVALID);
	assert_int_equal(pf_time_parse_clock(S("12:60"), &sec), PF_ERR_INVALID);
	assert_int_equal(pf_time_parse_clock(S("1:00"), &sec), PF_ERR_PARSE);
	assert_int_equal(pf_time_parse_clock(S("12:00:00.5"), &sec),
	    PF_ERR_PARSE);
	assert_int_equal(pf_time_parse_clock(S("12:00Z"), &sec), PF_ERR_PARSE);
	assert_int_equal(pf_time_parse_clock(S(""), &sec), PF_ERR_PARSE);
	assert_int_equal(sec, 86399);
}

static void
test_format_datetime(void **state)
{
	char	buf[PF_TIME_DATETIME_LEN];
	int64_t	ms, back;
	int	off;
	bool	has;

	(void)state;
	assert_int_equal(pdt("2026-01-05T23:11:00+02:00", &ms, NULL, NULL),
	    PF_OK);
	assert_int_equal(pf_time_format_datetime(ms, 120, 0, buf, sizeof(buf)),
	    PF_OK);
	assert_string_equal(buf, "2026-01-05T23:11:00.000+02:00");
	assert_int_equal(pf_time_format_datetime(ms, 0, 0, buf, sizeof(buf)),
	    PF_OK);
	assert_string_equal(buf, "2026-01-05T21:11:00.000Z");
	assert_int_equal(pf_time_format_datetime(ms, -330, 0, buf,
	    sizeof(buf)), PF_OK);
	assert_string_equal(buf, "2026-01-05T15:41:00.000-05:30");
	assert_int_equal(pf_time_format_datetime(ms, 120, PF_TIME_FMT_NOMS,
	    buf, sizeof(buf)), PF_OK);
	assert_string_equal(buf, "2026-01-05T23:11:00+02:00");
	assert_int_equal(pf_time_format_datetime(ms + 57, 120,
	    PF_TIME_FMT_NOZONE, buf, sizeof(buf)), PF_OK);
	assert_string_equal(buf, "2026-01-05T23:11:00.057");
	assert_int_equal(pf_time_format_datetime(ms, 120,
	    PF_TIME_FMT_NOMS | PF_TIME_FMT_NOZONE, buf, sizeof(buf)), PF_OK);
	assert_string_equal(buf, "2026-01-05T23:11:00");

	/* Before 1970 and across midnight. */
	assert_int_equal(pf_time_format_datetime(-1, 0, 0, buf, sizeof(buf)),
	    PF_OK);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	assert_int_equal(pf_time_format_datetime(0, 60, 0, buf, sizeof(buf)),
	    PF_OK);
	assert_string_equal(buf, "1970-01-01T01:00:00.000+01:00");

	/* Round trip through the parser. */
	assert_int_equal(pf_time_format_datetime(ms + 123, -330, 0, buf,
	    sizeof(buf)), PF_OK);
	assert_int_equal(pdt(buf, &back, &off, &has), PF_OK);
	assert_int_equal(back, ms + 123);
	assert_int_equal(off, -330);
	assert_true(has);

	/* Errors. */
	assert_int_equal(pf_time_format_datetime(ms, 120, 0, buf, 29),
	    PF_ERR_RANGE);
	assert_string_equal(buf, "");
	assert_int_equal(pf_time_format_datetime(ms, 120, 0, buf, 0),
	    PF_ERR_RANGE);
	assert_int_equal(pf_time_format_datetime(ms, 19 * 60, 0, buf,
	    sizeof(buf)), PF_ERR_INVALID);
	assert_int_equal(pf_time_format_datetime(ms, 0, 0x80, buf,
	    sizeof(buf)), PF_ERR_INVALID);
	assert_int_equal(pf_time_format_datetime(INT64_MAX, 0, 0, buf,
	    sizeof(buf)), PF_ERR_RANGE);
	assert_int_equal(pf_time_format_datetime(INT64_MIN, 0, 0, buf,
	    sizeof(buf)), PF_ERR_RANGE);
}

static void
test_durations(void **state)
{
	static const struct {
		const char	*s;
		double		 sec;
	} good[] = {
		{ "PT7H30M12.5S", 27012.5 },
		{ "PT45M", 2700 },
		{ "PT0S", 0 },
		{ "P1DT2H", 93600 },
		{ "P1D", 86400 },
		{ "PT2H44M", 9840 },
		{ "PT18H23M30S", 66210 },
		{ "PT4S", 4 },
		{ "PT51M5S", 3065 },
		{ "PT210.026S", 210.026 },
		{ "PT1.012S", 1.012 },
		{ "PT8H", 28800 },
		{ "PT1.5H", 5400 },
		{ "PT0,5S", 0.5 },
		{ "PT0.000000001S", 1e-9 },
		{ "PT0.0000000019S", 1e-9 },
		{ "PT90M", 5400 },
		{ "PT100000S", 100000 },
		{ "P0D", 0 },
		{ "PT000012S", 12 },
		{ "PT9000000000S", 9e9 },
	};
	static const struct {
		const char	*s;
		int		 err;
	} bad[] = {
		{ "", PF_ERR_PARSE },
		{ "P", PF_ERR_PARSE },
		{ "PT", PF_ERR_PARSE },
		{ "PTS", PF_ERR_PARSE },
		{ "P1DT", PF_ERR_PARSE },
		{ "PT-1S", PF_ERR_PARSE },
		{ "-PT1S", PF_ERR_INVALID },
		{ "+PT1S", PF_ERR_PARSE },
		{ "P1Y", PF_ERR_INVALID },
		{ "P1M", PF_ERR_INVALID },
		{ "P2W", PF_ERR_INVALID },
		{ "P1Y2M3DT4H", PF_ERR_INVALID },
		{ "PT1H1H", PF_ERR_PARSE },
		{ "PT1S1M", PF_ERR_PARSE },
		{ "PT1.5M30S", PF_ERR_PARSE },
		{ "P1D2H", PF_ERR_PARSE },
		{ "PT1D", PF_ERR_PARSE },
		{ "PT12", PF_ERR_PARSE },
		{ "PT1.S", PF_ERR_PARSE },
		{ "PT.5S", PF_ERR_PARSE },
		{ "PT1e3S", PF_ERR_PARSE },
		{ "pt1s", PF_ERR_PARSE },
		{ "PT1s", PF_ERR_PARSE },
		{ "PT1S ", PF_ERR_PARSE },
		{ " PT1S", PF_ERR_PARSE },
		{ "PTT1S", PF_ERR_PARSE },
		{ "7H30M", PF_ERR_PARSE },
		{ "PT9000000001S", PF_ERR_RANGE },
		{ "PT9000000000.5S", PF_ERR_RANGE },
		{ "PT99999999999999999999999999S", PF_ERR_RANGE },
		{ "P104167D", PF_ERR_RANGE },
		{ "P104166DT23H59M59S", PF_ERR_RANGE },
		{ "PT2500001H", PF_ERR_RANGE },
	};
	double	sec;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		sec = -1;
		if (pdur(good[i].s, &sec) != PF_OK || sec != good[i].sec)
			fail_msg("\"%s\": got %d %.9f, want %.9f", good[i].s,
			    pdur(good[i].s, &sec), sec, good[i].sec);
	}
	sec = 42;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pdur(bad[i].s, &sec) != bad[i].err)
			fail_msg("\"%s\": got %d, want %d", bad[i].s,
			    pdur(bad[i].s, &sec), bad[i].err);
	}
	assert_true(sec == 42);
	assert_int_equal(pf_time_parse_duration(NULL, 0, &sec),
	    PF_ERR_INVALID);
}

static void
test_epoch_to_ms(void **state)
{
	(void)state;
	/* Polar's ECG test_time sample, in seconds. */
	assert_int_equal(pf_time_epoch_to_ms(1697787256),
	    INT64_C(1697787256000));
	assert_int_equal(pf_time_epoch_to_ms(INT64_C(1697787256000)),
	    INT64_C(1697787256000));
	assert_int_equal(pf_time_epoch_to_ms(0), 0);
	assert_int_equal(pf_time_epoch_to_ms(99999999999),
	    INT64_C(99999999999000));
	assert_int_equal(pf_time_epoch_to_ms(100000000000),
	    INT64_C(100000000000));
	assert_int_equal(pf_time_epoch_to_ms(-86400), -86400000);
	assert_int_equal(pf_time_epoch_to_ms(-100000000000),
	    -INT64_C(100000000000));
	assert_int_equal(pf_time_epoch_to_ms(INT64_MAX), INT64_MAX);
	assert_int_equal(pf_time_epoch_to_ms(INT64_MIN), INT64_MIN);
}

static void
test_local_day(void **state)
{
	int64_t	ms;

	(void)state;
	assert_int_equal(pf_time_local_day(0, 0), 0);
	assert_int_equal(pf_time_local_day(-1, 0), -1);
	assert_int_equal(pf_time_local_day(-86400000, 0), -1);
	assert_int_equal(pf_time_local_day(-86400001, 0), -2);
	assert_int_equal(pf_time_local_day(86399999, 0), 0);
	assert_int_equal(pf_time_local_day(86400000, 0), 1);
	/* 1970-01-01T00:30Z is still Dec 31 in New York... */
	assert_int_equal(pf_time_local_day(30 * 60000, -300), -1);
	/* ...and 1969-12-31T23:30Z is already Jan 1 in Helsinki. */
	assert_int_equal(pf_time_local_day(-30 * 60000, 120), 0);
	assert_int_equal(pf_time_local_day(-30 * 60000, -120), -1);

	/* 2026-01-05T23:11:00+02:00 is Jan 5 there, Jan 5 in UTC too. */
	assert_int_equal(pdt("2026-01-05T23:11:00+02:00", &ms, NULL, NULL),
	    PF_OK);
	assert_int_equal(pf_time_local_day(ms, 120), 20458);
	/* 2026-01-06T01:30:00+03:00 is Jan 6 there, Jan 5 in UTC. */
	assert_int_equal(pdt("2026-01-06T01:30:00+03:00", &ms, NULL, NULL),
	    PF_OK);
	assert_int_equal(pf_time_local_day(ms, 180), 20459);
	assert_int_equal(pf_time_local_day(ms, 0), 20458);
	/* 1950 */
	assert_int_equal(pdt("1950-06-15T23:59:59.999-01:00", &ms, NULL,
	    NULL), PF_OK);
	assert_int_equal(pf_time_local_day(ms, -60), -7140);
	assert_int_equal(pf_time_local_day(ms, 0), -7139);

	/* Extremes must not overflow (UBSan would trap). */
	assert_int_equal(pf_time_local_day(INT64_MAX, 18 * 60),
	    INT64_MAX / 86400000 + 1);
	assert_int_equal(pf_time_local_day(INT64_MIN, -18 * 60),
	    INT64_MIN / 86400000 - 2);
	(void)pf_time_local_day(INT64_MAX, 2147483647);
	(void)pf_time_local_day(INT64_MIN, -2147483647 - 1);
}

static void
test_clocks(void **state)
{
	int64_t	now, m1, m2;

	(void)state;
	now = pf_time_now_ms();
	/* After 2020-01-01, before 2100-01-01. */
	assert_true(now > INT64_C(1577836800000));
	assert_true(now < INT64_C(4102444800000));
	m1 = pf_time_mono_ms();
	m2 = pf_time_mono_ms();
	assert_true(m2 >= m1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leap_and_month_days),
		cmocka_unit_test(test_known_days),
		cmocka_unit_test(test_roundtrip_1900_2100),
		cmocka_unit_test(test_bad_dates),
		cmocka_unit_test(test_date_len_bounds),
		cmocka_unit_test(test_day_date_range),
		cmocka_unit_test(test_datetime_forms),
		cmocka_unit_test(test_datetime_fraction),
		cmocka_unit_test(test_datetime_bad),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_format_datetime),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_epoch_to_ms),
		cmocka_unit_test(test_local_day),
		cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests_name("time", tests, NULL, NULL);
}
