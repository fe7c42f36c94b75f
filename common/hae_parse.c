/*
 * hae_parse.c -- the HAE body as a yajl event stream (see hae.h).
 *
 * A stack of frames follows the document.  The arrays that matter
 * (data.metrics[].data[], the metrics map's arrays, data.workouts[] and
 * the other item arrays) are streamed; each of their elements -- one
 * point, one workout -- is built as a small jansson tree (what the item
 * code reads), handed on when it closes and freed.  Everything else is
 * skipped without being kept.  A metric object whose "data" comes
 * before its "name" (JSON does not order members) keeps its points until
 * the name is known; HAE writes the name first.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "common/hae.h"
#include "common/hae_impl.h"
#include "common/xmalloc.h"

#define DEPTH_MAX	64

enum fkind {
	F_ROOT,		/* the top-level object */
	F_DATA,		/* root.data */
	F_METRICS_ARR,	/* data.metrics as [{name, units, data}] */
	F_METRICS_MAP,	/* data.metrics as {HKIdentifier: [points]} */
	F_METRIC,	/* one {name, units, data} */
	F_POINTS,	/* a metric's points */
	F_ITEMS,	/* workouts, ecg, stateOfMind, ... */
	F_TREE,		/* inside an element being built */
	F_SKIP,		/* ignored */
};

struct frame {
	enum fkind	 kind;
	char		*key;		/* pending member name (objects) */
	json_t		*node;		/* F_TREE: the container built */
	int		 index;		/* arrays: elements seen */
	/* F_METRIC and F_POINTS (of the map form) */
	char		*name;
	char		*units;
	json_t		*held;		/* points seen before the name */
	char		*section;	/* F_ITEMS: the array's name */
};

struct pf_hae {
	yajl_handle		 y;
	struct pf_hae_sink	 sink;
	struct frame		 st[DEPTH_MAX];
	int			 depth;		/* frames in use */
	int			 sections;
	bool			 stopped;	/* a callback said stop */
	uint64_t		 offset;
	char			 err[256];
};

static struct frame *
top(struct pf_hae *h)
{
	return h->depth > 0 ? &h->st[h->depth - 1] : NULL;
}

static void
frame_clear(struct frame *f)
{
	free(f->key);
	free(f->name);
	free(f->units);
	free(f->section);
	json_decref(f->held);
	/* node: owned by its parent tree or handed on already */
	memset(f, 0, sizeof(*f));
}

/* Runs an item callback; a non-zero answer stops the parse. */
static int
stop(struct pf_hae *h, const char *why)
{
	h->stopped = true;
	snprintf(h->err, sizeof(h->err), "%s", why);
	return 0;
}

static const char *const item_arrays[] = {
	"workouts", "ecg", "stateOfMind", "medications", "symptoms",
	"cycleTracking", "heartRateNotifications",
};

/* A finished element of an F_POINTS or F_ITEMS array. */
static int
element_done(struct pf_hae *h, struct frame *arr, json_t *el)
{
	struct frame	*metric;
	int		 idx = arr->index++, r = 0;

	if (arr->kind == F_POINTS) {
		/* the metric object (array form) or the map's array itself */
		metric = arr->name != NULL ? arr : arr - 1;
		if (metric->name == NULL) {
			if (metric->held == NULL)
				metric->held = json_array();
			json_array_append(metric->held, el);
			return 1;
		}
		if (!json_is_object(el)) {
			if (h->sink.error)
				h->sink.error(h->sink.arg, "metrics",
				    metric->name, idx, "data point is not an "
				    "object");
			return 1;
		}
		r = pf_hae_point(&h->sink, metric->name, metric->units, el,
		    idx);
	} else {
		if (!json_is_object(el)) {
			if (h->sink.error)
				h->sink.error(h->sink.arg, arr->section, NULL,
				    idx, "item is not an object");
			return 1;
		}
		r = pf_hae_item(&h->sink, arr->section, el, idx);
	}
	if (r != 0)
		return stop(h, "the ingest stopped (storage error)");
	return 1;
}

/* A metric object closed: points held for want of its name, or errors. */
static int
metric_done(struct pf_hae *h, struct frame *m)
{
	size_t	 i;
	json_t	*el;

	if (m->held == NULL)
		return 1;
	json_array_foreach(m->held, i, el) {
		if (m->name == NULL) {
			if (h->sink.error)
				h->sink.error(h->sink.arg, "metrics", NULL,
				    (int)i, "metric without a name");
			continue;
		}
		if (!json_is_object(el) || pf_hae_point(&h->sink, m->name,
		    m->units, el, (int)i) != 0)
			if (json_is_object(el))
				return stop(h, "the ingest stopped (storage "
				    "error)");
	}
	return 1;
}

/* The role of a value about to start under the top frame. */
static enum fkind
child_kind(struct pf_hae *h, bool is_map, bool is_array)
{
	struct frame	*f = top(h);
	size_t		 i;

	if (f == NULL)
		return is_map ? F_ROOT : F_SKIP;
	switch (f->kind) {
	case F_ROOT:
		if (f->key && strcmp(f->key, "data") == 0 && is_map)
			return F_DATA;
		return F_SKIP;
	case F_DATA:
		if (f->key == NULL)
			return F_SKIP;
		if (strcmp(f->key, "metrics") == 0) {
			h->sections++;
			return is_array ? F_METRICS_ARR : is_map ?
			    F_METRICS_MAP : F_SKIP;
		}
		if (!is_array)
			return F_SKIP;
		if (strlen(f->key) > PF_HAE_NAME_MAX) {
			if (h->sink.error)
				h->sink.error(h->sink.arg, "data", NULL, -1,
				    "array name too long: not read");
			return F_SKIP;
		}
		for (i = 0; i < sizeof(item_arrays) / sizeof(*item_arrays); i++)
			if (strcmp(f->key, item_arrays[i]) == 0)
				h->sections++;
		/* unknown arrays are kept as events of their name */
		return F_ITEMS;
	case F_METRICS_ARR:
		return is_map ? F_METRIC : F_SKIP;
	case F_METRICS_MAP:
		return is_array ? F_POINTS : F_SKIP;
	case F_METRIC:
		if (f->key && strcmp(f->key, "data") == 0 && is_array)
			return F_POINTS;
		return F_SKIP;
	case F_POINTS:
	case F_ITEMS:
	case F_TREE:
		return F_TREE;
	case F_SKIP:
		return F_SKIP;
	}
	return F_SKIP;
}

/* Attaches a finished value v (new reference) to the frame f. */
static int
attach(struct pf_hae *h, struct frame *f, json_t *v)
{
	if (f == NULL) {
		json_decref(v);
		return 1;
	}
	switch (f->kind) {
	case F_TREE:
		if (json_is_object(f->node)) {
			if (f->key != NULL)
				json_object_set_new(f->node, f->key, v);
			else
				json_decref(v);
			free(f->key);
			f->key = NULL;
		} else
			json_array_append_new(f->node, v);
		return 1;
	case F_POINTS:
	case F_ITEMS: {
		int	r = element_done(h, f, v);

		json_decref(v);
		return r;
	}
	case F_METRIC:
	case F_METRICS_MAP:
		/* scalars of a metric object: its name and units */
		if (f->kind == F_METRIC && f->key != NULL && json_is_string(v)) {
			if (strcmp(f->key, "name") == 0 && f->name == NULL) {
				const char	*hk = pf_hae_hk_name(
				    json_string_value(v));

				f->name = pf_xstrdup(hk ? hk :
				    json_string_value(v));
			} else if (strcmp(f->key, "units") == 0 &&
			    f->units == NULL)
				f->units = pf_xstrdup(json_string_value(v));
		}
		json_decref(v);
		free(f->key);
		f->key = NULL;
		return 1;
	default:
		json_decref(v);
		if (f->kind != F_SKIP) {
			free(f->key);
			f->key = NULL;
		}
		return 1;
	}
}

static int
push(struct pf_hae *h, bool is_map)
{
	struct frame	*parent = top(h), *f;
	enum fkind	 k = child_kind(h, is_map, !is_map);

	if (h->depth >= DEPTH_MAX) {
		snprintf(h->err, sizeof(h->err), "nested deeper than %d",
		    DEPTH_MAX);
		h->stopped = true;
		return 0;
	}
	f = &h->st[h->depth++];
	memset(f, 0, sizeof(*f));
	f->kind = k;
	if (k == F_TREE)
		f->node = is_map ? json_object() : json_array();
	if (k == F_ITEMS && parent != NULL && parent->key != NULL)
		f->section = pf_xstrdup(parent->key);
	if (k == F_POINTS && parent != NULL && parent->kind == F_METRICS_MAP &&
	    parent->key != NULL) {
		const char	*hk = pf_hae_hk_name(parent->key);

		f->name = pf_xstrdup(hk ? hk : parent->key);
	}
	return 1;
}

static int
pop(struct pf_hae *h)
{
	struct frame	*f = top(h), *parent;
	int		 r = 1;

	if (f == NULL)
		return 1;
	h->depth--;
	parent = top(h);
	if (f->kind == F_TREE) {
		json_t	*node = f->node;

		f->node = NULL;
		frame_clear(f);
		return attach(h, parent, node);
	}
	if (f->kind == F_METRIC)
		r = metric_done(h, f);
	frame_clear(f);
	if (parent != NULL && parent->kind != F_SKIP) {
		free(parent->key);
		parent->key = NULL;
	}
	return r;
}

static int
scalar(struct pf_hae *h, json_t *v)
{
	struct frame	*f = top(h);

	if (f == NULL) {
		json_decref(v);
		return 1;
	}
	if (f->kind == F_POINTS || f->kind == F_ITEMS || f->kind == F_TREE ||
	    f->kind == F_METRIC)
		return attach(h, f, v);
	json_decref(v);
	if (f->kind != F_SKIP) {
		free(f->key);
		f->key = NULL;
	}
	return 1;
}

static int
cb_null(void *ctx)
{
	return scalar(ctx, json_null());
}

static int
cb_bool(void *ctx, int b)
{
	return scalar(ctx, json_boolean(b));
}

static int
cb_number(void *ctx, const char *s, size_t len)
{
	char	buf[64], *end;
	double	d;

	if (len >= sizeof(buf))
		return scalar(ctx, json_null());
	memcpy(buf, s, len);
	buf[len] = '\0';
	d = strtod(buf, &end);
	if (!isfinite(d))
		return scalar(ctx, json_null());
	return scalar(ctx, json_real(d));
}

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
	json_t	*v = json_stringn((const char *)s, len);

	return scalar(ctx, v ? v : json_null());
}

static int
cb_start_map(void *ctx)
{
	return push(ctx, true);
}

static int
cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct pf_hae	*h = ctx;
	struct frame	*f = top(h);

	if (f == NULL || f->kind == F_SKIP)
		return 1;
	free(f->key);
	f->key = pf_xmalloc(len + 1);
	memcpy(f->key, s, len);
	f->key[len] = '\0';
	return 1;
}

static int
cb_end(void *ctx)
{
	struct pf_hae	*h = ctx;

	return pop(h) && !h->stopped;
}

static int
cb_start_array(void *ctx)
{
	return push(ctx, false);
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end,
};

struct pf_hae *
pf_hae_new(const struct pf_hae_sink *sink)
{
	struct pf_hae	*h = pf_xcalloc(1, sizeof(*h));

	h->sink = *sink;
	if ((h->y = yajl_alloc(&callbacks, NULL, h)) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
pf_hae_free(struct pf_hae *h)
{
	if (h == NULL)
		return;
	while (h->depth > 0) {
		struct frame	*f = &h->st[--h->depth];

		json_decref(f->node);
		f->node = NULL;
		frame_clear(f);
	}
	yajl_free(h->y);
	free(h);
}

static void
yajl_err(struct pf_hae *h, const unsigned char *buf, size_t len)
{
	unsigned char	*msg;
	size_t		 at;

	if (h->stopped)
		return;
	at = yajl_get_bytes_consumed(h->y);
	msg = yajl_get_error(h->y, 0, buf, len);
	snprintf(h->err, sizeof(h->err), "not JSON at byte %llu: %s",
	    (unsigned long long)(h->offset + at), msg ? (char *)msg : "?");
	if (msg)
		yajl_free_error(h->y, msg);
}

int
pf_hae_feed(struct pf_hae *h, const void *buf, size_t len)
{
	if (h->stopped || h->err[0] != '\0')
		return -1;
	if (yajl_parse(h->y, buf, len) != yajl_status_ok) {
		yajl_err(h, buf, len);
		return -1;
	}
	h->offset += len;
	return 0;
}

int
pf_hae_finish(struct pf_hae *h)
{
	if (h->stopped || h->err[0] != '\0')
		return -1;
	if (yajl_complete_parse(h->y) != yajl_status_ok) {
		yajl_err(h, (const unsigned char *)"", 0);
		if (h->err[0] == '\0')
			snprintf(h->err, sizeof(h->err), "truncated JSON");
		return -1;
	}
	return 0;
}

const char *
pf_hae_errmsg(const struct pf_hae *h)
{
	return h->err;
}

uint64_t
pf_hae_offset(const struct pf_hae *h)
{
	return h->offset;
}

int
pf_hae_sections(const struct pf_hae *h)
{
	return h->sections;
}
