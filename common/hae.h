/*
 * hae.h -- the Health Auto Export (HAE) JSON format, read as a stream.
 *
 * A push is {"data": {"metrics": [...], "workouts": [...], ...}}; a
 * full-history export runs to hundreds of MB, so the body is fed in
 * pieces (pf_hae_feed) to a yajl parser and what it holds at once is one
 * metric point or one array item (a workout, an ECG, an event), never
 * the document.  Each item found is handed to the sink's callbacks as it
 * closes; an item that cannot be read (no date, an unparseable date, a
 * value that is not a number) is reported to sink->error with its place
 * and never given a made-up value.
 *
 * Metric points come out normalised (struct pf_hae_sample): dates as UTC
 * instants with the offset they were written in, values in SI units with
 * the value and unit as sent kept beside them, and the point's other
 * fields as a small JSON object.  metrics may also be an object keyed by
 * HealthKit identifier; known identifiers are mapped to HAE's names.
 *
 * Pure (no database); the ingest (common/ingest.c) is its one user.
 */
#ifndef PF_COMMON_HAE_H
#define PF_COMMON_HAE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* One metric point, borrowed by the callback for its duration. */
struct pf_hae_sample {
	const char	*metric;	/* HAE's snake_case name */
	bool		 known;		/* metric is in the documented list */
	const char	*source;	/* "" when none */
	int64_t		 start_ms;	/* UTC */
	bool		 has_end;
	int64_t		 end_ms;
	bool		 has_offset;	/* the date carried its zone */
	int		 offset_min;
	bool		 has_value;
	double		 value;		/* SI */
	double		 value_orig;
	const char	*unit;		/* SI unit, or unit_orig */
	const char	*unit_orig;	/* "" when none */
	bool		 has_mma;	/* Min/Avg/Max (SI) */
	double		 vmin, vavg, vmax;
	const char	*extra;		/* JSON object text, or NULL */
};

/* One aggregated sleep night (sleep_analysis, aggregated form). */
struct pf_hae_night {
	int64_t		 day;		/* days since 1970-01-01 */
	const char	*source;
	double		 total_sleep_s, asleep_s, core_s, deep_s, rem_s,
			 awake_s, in_bed_s;	/* NAN when absent */
	bool		 has[4];	/* sleepStart/End, inBedStart/End */
	int64_t		 t_ms[4];
	bool		 has_offset;
	int		 offset_min;
	const char	*extra;		/* JSON object text, or NULL */
};

enum pf_hae_section {
	PF_HAE_METRICS,
	PF_HAE_WORKOUTS,
	PF_HAE_ECG,
	PF_HAE_EVENTS,
};

struct pf_hae_sink {
	void	*arg;
	/* Each returns 0, or non-zero to stop the parse (pf_hae_feed fails). */
	int	(*sample)(void *arg, const struct pf_hae_sample *);
	int	(*night)(void *arg, const struct pf_hae_night *);
	/* The item is borrowed; the callback reads it with pf_hae_item_*. */
	int	(*workout)(void *arg, json_t *item, int index);
	int	(*ecg)(void *arg, json_t *item, int index);
	/* kind is the array's name: stateOfMind, medications, ... */
	int	(*event)(void *arg, const char *kind, json_t *item, int index);
	/*
	 * An item that was not stored: section name ("metrics", "workouts",
	 * ...), metric name or NULL, its index in its array, the reason.
	 */
	void	(*error)(void *arg, const char *section, const char *metric,
		    int index, const char *reason);
};

/* Longest metric or array name taken; a longer one is an item error. */
#define PF_HAE_NAME_MAX	128

struct pf_hae;

/* A parser for one body; NULL only when memory is out.  Caller frees. */
struct pf_hae	*pf_hae_new(const struct pf_hae_sink *sink);
void		 pf_hae_free(struct pf_hae *);
/*
 * Feeds the next len bytes.  Returns 0, or -1 once the body is not JSON
 * or a callback stopped it; pf_hae_errmsg() then says why (borrowed).
 */
int		 pf_hae_feed(struct pf_hae *, const void *buf, size_t len);
/* The end of the body: -1 when it stopped early (truncated JSON). */
int		 pf_hae_finish(struct pf_hae *);
const char	*pf_hae_errmsg(const struct pf_hae *);
/* Bytes taken so far. */
uint64_t	 pf_hae_offset(const struct pf_hae *);
/* The number of documented top-level arrays seen ("data" members). */
int		 pf_hae_sections(const struct pf_hae *);

/*
 * Dates in every documented form: "yyyy-MM-dd HH:mm:ss Z" (with "+0100"),
 * the same with a 12-hour clock and AM/PM, ISO 8601 with an offset or Z
 * (fractions allowed), and a zone-less date-time, read as UTC with
 * has_offset false.  A bare date is not an instant: -1 (see
 * pf_hae_parse_day).  Returns 0 or -1.
 */
int	pf_hae_parse_date(const char *s, size_t len, int64_t *utc_ms,
	    int *offset_min, bool *has_offset);
/* The calendar date at the start of s ("2025-03-01..."); 0 or -1. */
int	pf_hae_parse_day(const char *s, size_t len, int64_t *day);

/*
 * unit as sent -> SI: *si_unit (static) and si = v * factor + offset.
 * Returns true when the unit is known; otherwise *si_unit is NULL and
 * the value is kept as sent.
 */
bool	pf_hae_unit_si(const char *unit, const char **si_unit,
	    double *factor, double *offset);
/* A HealthKit identifier's HAE name (static), or NULL. */
const char *pf_hae_hk_name(const char *hk);
/* True for a metric name of the documented list. */
bool	pf_hae_metric_known(const char *name);

/*
 * Helpers for the item callbacks: a member as an instant (0, -1 when
 * absent or unparseable), a number (NAN when absent), a string (NULL).
 */
int	pf_hae_item_date(const json_t *item, const char *key, int64_t *ms,
	    int *offset_min, bool *has_offset);
double	pf_hae_item_num(const json_t *item, const char *key);
const char *pf_hae_item_str(const json_t *item, const char *key);
/*
 * {qty, units} (or a bare number with unit given) in SI: a new object
 * {"value", "unit", "value_orig", "unit_orig"}; NULL when v is not one.
 */
json_t	*pf_hae_qty_si(const json_t *v, const char *unit);

#endif /* PF_COMMON_HAE_H */
