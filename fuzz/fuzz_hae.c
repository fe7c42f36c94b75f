/*
 * fuzz_hae.c -- the Health Auto Export stream parser (common/hae*.c).
 *
 * The input is a pushed body, fed in two pieces split where its first
 * byte says (a push arrives in pieces of any size).  Whatever the bytes,
 * the parse ends with 0 or -1 and a reason, every item handed on has a
 * metric name and finite SI numbers, and nothing leaks.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hae.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_sample(void *arg, const struct pf_hae_sample *s)
{
	(void)arg;
	if (s->metric == NULL || s->source == NULL || s->unit == NULL ||
	    (s->has_value && !isfinite(s->value)) ||
	    (s->extra != NULL && s->extra[0] != '{'))
		abort();
	return 0;
}

static int
on_night(void *arg, const struct pf_hae_night *n)
{
	(void)arg;
	if (n->source == NULL)
		abort();
	return 0;
}

static int
on_item(void *arg, json_t *item, int index)
{
	(void)arg;
	if (!json_is_object(item) || index < 0)
		abort();
	return 0;
}

static int
on_event(void *arg, const char *kind, json_t *item, int index)
{
	if (kind == NULL)
		abort();
	return on_item(arg, item, index);
}

static void
on_error(void *arg, const char *section, const char *metric, int index,
    const char *reason)
{
	(void)arg;
	(void)metric;
	(void)index;
	if (section == NULL || reason == NULL || reason[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_hae_sink	 sink = { NULL, on_sample, on_night, on_item,
	    on_item, on_event, on_error };
	struct pf_hae		*h;
	size_t			 cut;
	int			 r;

	if (size < 1)
		return 0;
	cut = data[0] % (size);
	data++;
	size--;
	if ((h = pf_hae_new(&sink)) == NULL)
		abort();
	r = pf_hae_feed(h, data, cut);
	if (r == 0)
		r = pf_hae_feed(h, data + cut, size - cut);
	if (r == 0)
		r = pf_hae_finish(h);
	if (r != 0 && pf_hae_errmsg(h)[0] == '\0')
		abort();
	pf_hae_free(h);
	return 0;
}
