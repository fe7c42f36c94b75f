/*
 * time.c -- calendar arithmetic and ISO 8601 parsing without libc time zones.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/time.h"

#define MIN_MS		INT64_C(60000)
#define SEC_NS		INT64_C(1000000000)

/* A cursor over (s, len): every read is bounds-checked against end. */
struct cur {
	const char	*p;
	const char	*end;
};

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Hinnant's days_from_civil; y, m, d already validated. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Hinnant's civil_from_days; z within the supported year range. */
static void
civil_from_days(int64_t z, struct pf_date *out)
{
	int64_t		era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	out->year = (int)(y + (m <= 2));
	out->month = (int)m;
	out->day = (int)d;
}

static int64_t
min_day(void)
{
	return days_from_civil(PF_TIME_YEAR_MIN, 1, 1);
}

static int64_t
max_day(void)
{
	return days_from_civil(PF_TIME_YEAR_MAX, 12, 31);
}

bool
pf_time_is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int
pf_time_days_in_month(int year, int month)
{
	static const int	mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && pf_time_is_leap(year))
		return 29;
	return mdays[month - 1];
}

int
pf_time_date_to_day(const struct pf_date *date, int64_t *out_day)
{
	if (date == NULL || out_day == NULL)
		return PF_ERR_INVALID;
	if (date->year < PF_TIME_YEAR_MIN || date->year > PF_TIME_YEAR_MAX)
		return PF_ERR_RANGE;
	if (date->day < 1 ||
	    date->day > pf_time_days_in_month(date->year, date->month))
		return PF_ERR_INVALID;
	*out_day = days_from_civil(date->year, date->month, date->day);
	return PF_OK;
}

int
pf_time_day_to_date(int64_t day, struct pf_date *out)
{
	if (out == NULL)
		return PF_ERR_INVALID;
	if (day < min_day() || day > max_day())
		return PF_ERR_RANGE;
	civil_from_days(day, out);
	return PF_OK;
}

/* Reads exactly n digits. */
static bool
digits(struct cur *c, int n, int *out)
{
	int	v = 0;

	if (c->end - c->p < n)
		return false;
	for (; n > 0; n--, c->p++) {
		if (*c->p < '0' || *c->p > '9')
			return false;
		v = v * 10 + (*c->p - '0');
	}
	*out = v;
	return true;
}

static bool
accept(struct cur *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static bool
peek_digit(const struct cur *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* "YYYY-MM-DD" at the cursor; leaves the cursor after it. */
static int
scan_date(struct cur *c, int64_t *out_day)
{
	struct pf_date	d;

	if (!digits(c, 4, &d.year) || !accept(c, '-') ||
	    !digits(c, 2, &d.month) || !accept(c, '-') ||
	    !digits(c, 2, &d.day))
		return PF_ERR_PARSE;
	if (d.month < 1 || d.month > 12)
		return PF_ERR_INVALID;
	return pf_time_date_to_day(&d, out_day);
}

/*
 * "HH:MM[:SS[.f]]" at the cursor, as milliseconds since midnight.  The
 * fraction is allowed only when allow_frac.
 */
static int
scan_clock(struct cur *c, bool allow_frac, int64_t *out_ms)
{
	int	h, m, s = 0, ms = 0, scale = 100, n = 0;

	if (!digits(c, 2, &h) || !accept(c, ':') || !digits(c, 2, &m))
		return PF_ERR_PARSE;
	if (accept(c, ':')) {
		if (!digits(c, 2, &s))
			return PF_ERR_PARSE;
		if (allow_frac && accept(c, '.')) {
			for (; peek_digit(c); c->p++, n++) {
				if (n >= 9)
					return PF_ERR_PARSE;
				ms += (*c->p - '0') * scale;
				scale /= 10;
			}
			if (n == 0)
				return PF_ERR_PARSE;
		}
	}
	if (h > 23 || m > 59 || s > 60)
		return PF_ERR_INVALID;
	if (s == 60) {
		s = 59;
		ms = 999;
	}
	*out_ms = ((int64_t)h * 3600 + m * 60 + s) * 1000 + ms;
	return PF_OK;
}

/* 'Z' or +-hh[[:]mm]; *present false if the cursor is at the end. */
static int
scan_zone(struct cur *c, int *out_min, bool *present)
{
	int	sign, h, m = 0;

	*present = false;
	*out_min = 0;
	if (c->p == c->end)
		return PF_OK;
	if (accept(c, 'Z') || accept(c, 'z')) {
		*present = true;
		return PF_OK;
	}
	if (accept(c, '+'))
		sign = 1;
	else if (accept(c, '-'))
		sign = -1;
	else
		return PF_ERR_PARSE;
	if (!digits(c, 2, &h))
		return PF_ERR_PARSE;
	if (accept(c, ':')) {
		if (!digits(c, 2, &m))
			return PF_ERR_PARSE;
	} else if (c->p != c->end) {
		if (!digits(c, 2, &m))
			return PF_ERR_PARSE;
	}
	if (m > 59 || h * 60 + m > PF_TIME_OFFSET_MAX)
		return PF_ERR_INVALID;
	*out_min = sign * (h * 60 + m);
	*present = true;
	return PF_OK;
}

int
pf_time_parse_date(const char *s, size_t len, int64_t *out_day)
{
	struct cur	c;
	int64_t		day;
	int		r;

	if (s == NULL || out_day == NULL)
		return PF_ERR_INVALID;
	c.p = s;
	c.end = s + len;
	if ((r = scan_date(&c, &day)) != PF_OK)
		return r;
	if (c.p != c.end)
		return PF_ERR_PARSE;
	*out_day = day;
	return PF_OK;
}

int
pf_time_format_date(int64_t day, char buf[PF_TIME_DATE_LEN])
{
	struct pf_date	d;
	int		r;

	if (buf == NULL)
		return PF_ERR_INVALID;
	if ((r = pf_time_day_to_date(day, &d)) != PF_OK)
		return r;
	snprintf(buf, PF_TIME_DATE_LEN, "%04d-%02d-%02d", d.year, d.month,
	    d.day);
	return PF_OK;
}

int
pf_time_parse_datetime(const char *s, size_t len, int64_t *out_ms,
    int *out_offset_min, bool *out_has_offset)
{
	struct cur	c;
	int64_t		day, tod;
	int		r, off;
	bool		has_off;

	if (s == NULL || out_ms == NULL)
		return PF_ERR_INVALID;
	c.p = s;
	c.end = s + len;
	if ((r = scan_date(&c, &day)) != PF_OK)
		return r;
	if (!accept(&c, 'T') && !accept(&c, 't') && !accept(&c, ' '))
		return PF_ERR_PARSE;
	if ((r = scan_clock(&c, true, &tod)) != PF_OK)
		return r;
	if ((r = scan_zone(&c, &off, &has_off)) != PF_OK)
		return r;
	if (c.p != c.end)
		return PF_ERR_PARSE;
	/* Days are bounded by year 9999, so none of this can overflow. */
	*out_ms = day * PF_TIME_DAY_MS + tod - off * MIN_MS;
	if (out_offset_min != NULL)
		*out_offset_min = off;
	if (out_has_offset != NULL)
		*out_has_offset = has_off;
	return PF_OK;
}

int
pf_time_parse_clock(const char *s, size_t len, int *out_sec)
{
	struct cur	c;
	int64_t		ms;
	int		r;

	if (s == NULL || out_sec == NULL)
		return PF_ERR_INVALID;
	c.p = s;
	c.end = s + len;
	if ((r = scan_clock(&c, false, &ms)) != PF_OK)
		return r;
	if (c.p != c.end)
		return PF_ERR_PARSE;
	*out_sec = (int)(ms / 1000);
	return PF_OK;
}

int
pf_time_format_datetime(int64_t utc_ms, int offset_min, unsigned int flags,
    char *buf, size_t len)
{
	struct pf_date	d;
	char		zone[16], frac[16];
	int64_t		day, tod;
	int		r, n, a;

	if (buf == NULL)
		return PF_ERR_INVALID;
	if (len > 0)
		buf[0] = '\0';
	if (offset_min < -PF_TIME_OFFSET_MAX || offset_min > PF_TIME_OFFSET_MAX ||
	    (flags & ~(unsigned int)(PF_TIME_FMT_NOMS | PF_TIME_FMT_NOZONE)))
		return PF_ERR_INVALID;
	day = pf_time_local_day(utc_ms, offset_min);
	if ((r = pf_time_day_to_date(day, &d)) != PF_OK)
		return r;
	/* day is in range, so utc_ms is far from the int64 limits. */
	tod = utc_ms + offset_min * MIN_MS - day * PF_TIME_DAY_MS;

	frac[0] = '\0';
	if (!(flags & PF_TIME_FMT_NOMS))
		snprintf(frac, sizeof(frac), ".%03d", (int)(tod % 1000));
	zone[0] = '\0';
	if (!(flags & PF_TIME_FMT_NOZONE)) {
		a = offset_min < 0 ? -offset_min : offset_min;
		if (offset_min == 0)
			snprintf(zone, sizeof(zone), "Z");
		else
			snprintf(zone, sizeof(zone), "%c%02d:%02d",
			    offset_min < 0 ? '-' : '+', a / 60, a % 60);
	}
	tod /= 1000;
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", d.year,
	    d.month, d.day, (int)(tod / 3600), (int)(tod / 60 % 60),
	    (int)(tod % 60), frac, zone);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return PF_ERR_RANGE;
	}
	return PF_OK;
}

/*
 * One duration component's number: digits and an optional fraction.  The
 * integer part saturates just above the limit so long inputs stay defined;
 * the fraction is kept to nanoseconds.
 */
static int
scan_number(struct cur *c, int64_t *out_ip, int64_t *out_frac_ns,
    bool *had_frac)
{
	int64_t	ip = 0, frac = 0, scale = SEC_NS / 10;

	*had_frac = false;
	if (!peek_digit(c))
		return PF_ERR_PARSE;
	for (; peek_digit(c); c->p++)
		if (ip <= PF_TIME_DURATION_MAX_S)
			ip = ip * 10 + (*c->p - '0');
	if (accept(c, '.') || accept(c, ',')) {
		*had_frac = true;
		if (!peek_digit(c))
			return PF_ERR_PARSE;
		for (; peek_digit(c); c->p++) {
			frac += (*c->p - '0') * scale;
			scale /= 10;
		}
	}
	*out_ip = ip;
	*out_frac_ns = frac;
	return PF_OK;
}

int
pf_time_parse_duration(const char *s, size_t len, double *out_seconds)
{
	static const struct {
		char	 des;
		bool	 time;
		int64_t	 unit_s;
	} units[] = {
		{ 'D', false, 86400 },
		{ 'H', true, 3600 },
		{ 'M', true, 60 },
		{ 'S', true, 1 },
	};
	const size_t	nunits = sizeof(units) / sizeof(units[0]);
	struct cur	c;
	int64_t		total = 0, ip, frac, ns;
	size_t		next = 0, i;
	bool		in_time = false, had_frac = false, any = false;
	int		r;

	if (s == NULL || out_seconds == NULL)
		return PF_ERR_INVALID;
	c.p = s;
	c.end = s + len;
	if (accept(&c, '-'))
		return PF_ERR_INVALID;
	if (!accept(&c, 'P'))
		return PF_ERR_PARSE;
	while (c.p < c.end) {
		if (had_frac)
			return PF_ERR_PARSE;
		if (!in_time && accept(&c, 'T')) {
			in_time = true;
			if (c.p == c.end)
				return PF_ERR_PARSE;
			continue;
		}
		if ((r = scan_number(&c, &ip, &frac, &had_frac)) != PF_OK)
			return r;
		if (c.p == c.end)
			return PF_ERR_PARSE;
		if (!in_time && (*c.p == 'Y' || *c.p == 'M' || *c.p == 'W'))
			return PF_ERR_INVALID;
		for (i = next; i < nunits; i++)
			if (units[i].des == *c.p && units[i].time == in_time)
				break;
		if (i == nunits)
			return PF_ERR_PARSE;
		c.p++;
		next = i + 1;
		any = true;
		if (ip > PF_TIME_DURATION_MAX_S / units[i].unit_s)
			return PF_ERR_RANGE;
		/* ip * unit_s <= 9e9 s and frac * unit_s < 8.64e13 ns. */
		ns = ip * units[i].unit_s * SEC_NS + frac * units[i].unit_s;
		if (ns > PF_TIME_DURATION_MAX_S * SEC_NS - total)
			return PF_ERR_RANGE;
		total += ns;
	}
	if (!any)
		return PF_ERR_PARSE;
	*out_seconds = (double)total / (double)SEC_NS;
	return PF_OK;
}

int64_t
pf_time_epoch_to_ms(int64_t v)
{
	if (v > -PF_TIME_EPOCH_SEC_LIMIT && v < PF_TIME_EPOCH_SEC_LIMIT)
		return v * 1000;
	return v;
}

int64_t
pf_time_local_day(int64_t utc_ms, int offset_min)
{
	int64_t	day, rem;

	/* Split first so adding the offset cannot overflow. */
	day = utc_ms / PF_TIME_DAY_MS;
	rem = utc_ms % PF_TIME_DAY_MS;
	return day + floordiv(rem + (int64_t)offset_min * MIN_MS,
	    PF_TIME_DAY_MS);
}

static int64_t
clock_us(clockid_t id, const char *name)
{
	struct timespec	ts;

	if (clock_gettime(id, &ts) == -1)
		pf_fatal("clock_gettime %s", name);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
clock_ms(clockid_t id, const char *name)
{
	return clock_us(id, name) / 1000;
}

int64_t
pf_time_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME, "CLOCK_REALTIME");
}

int64_t
pf_time_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
}

int64_t
pf_time_mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
}
