/*
 * hae_impl.h -- between the stream (hae_parse.c) and the shapes of its
 * elements (hae_point.c); not for other users.
 */
#ifndef PF_COMMON_HAE_IMPL_H
#define PF_COMMON_HAE_IMPL_H

#include <jansson.h>

#include "common/hae.h"

/*
 * One metric point of metric (HAE's name) with the metric's units (may
 * be NULL): normalised and handed to sink->sample or sink->night, or
 * reported to sink->error.  Returns what the sink returned (0: go on).
 */
int	pf_hae_point(const struct pf_hae_sink *sink, const char *metric,
	    const char *units, json_t *pt, int index);
/* One element of an item array (workouts, ecg, stateOfMind, ...). */
int	pf_hae_item(const struct pf_hae_sink *sink, const char *section,
	    json_t *item, int index);

#endif /* PF_COMMON_HAE_IMPL_H */
