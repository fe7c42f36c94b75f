/*
 * merge.c -- Apple Health inputs beside Polar's: one value per day.
 *
 * A user may wear a Polar device and an Apple Watch, or change from one
 * to the other.  The analytics read one series per input, so for each
 * day the value of the preferred source is taken (analytics_preferred_
 * source, Polar by default) and the other source fills the days the
 * preferred one has no value for.  Values are never averaged across
 * sources: the two measure differently (Polar's resting HR is a night's
 * average, Apple's an estimate over the day), and a day keeps a value
 * of one device so that a series switches scale only where one device
 * is missing.  Which source each day's value came from is kept and
 * written as the "input_sources" daily row.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"

#include "analyticsd/analyticsd.h"

static int
by_day(const void *a, const void *b)
{
	const struct dayval	*x = a, *y = b;

	return (x->day > y->day) - (x->day < y->day);
}

/* A copy of s sorted by day, without NaN values (the caller frees). */
static struct dayval *
sorted(const struct series *s, size_t *n)
{
	struct dayval	*v;
	size_t		 i, k = 0;

	v = pf_xreallocarray(NULL, s->n ? s->n : 1, sizeof(*v));
	for (i = 0; i < s->n; i++)
		if (isfinite(s->v[i].value))
			v[k++] = s->v[i];
	qsort(v, k, sizeof(*v), by_day);
	*n = k;
	return v;
}

void
merge_source(struct series *polar, const struct series *apple,
    bool prefer_apple, struct series *from_apple)
{
	struct series	 out = { NULL, 0, 0 };
	struct dayval	*p, *a;
	size_t		 np, na, i = 0, j = 0;

	if (apple->n == 0)
		return;		/* a Polar-only user's series stay as read */
	p = sorted(polar, &np);
	a = sorted(apple, &na);
	while (i < np || j < na) {
		if (j == na || (i < np && p[i].day < a[j].day)) {
			series_push(&out, p[i].day, p[i].value);
			i++;
		} else if (i == np || a[j].day < p[i].day) {
			series_push(&out, a[j].day, a[j].value);
			if (from_apple != NULL)
				series_push(from_apple, a[j].day, 1);
			j++;
		} else {
			/* both have the day: the preferred one's value */
			if (prefer_apple) {
				series_push(&out, a[j].day, a[j].value);
				if (from_apple != NULL)
					series_push(from_apple, a[j].day, 1);
			} else
				series_push(&out, p[i].day, p[i].value);
			i++;
			j++;
		}
	}
	free(p);
	free(a);
	free(polar->v);
	*polar = out;
}
