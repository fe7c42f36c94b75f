/*
 * partition.c -- the monthly partitions of the history tables ahead of
 * time (sql/0019).  syncd is the only writer of activity_samples and
 * continuous_heart_rate, so it makes their partitions: once at start and
 * then once a day, three months ahead.  Doing it here rather than in the
 * upsert costs no statement per batch; a missed day is harmless (the
 * tables' default partition takes any row whose month has none).
 */
#include <stdint.h>

#include "common/db.h"
#include "common/err.h"
#include "common/log.h"

#include "syncd.h"

#define PART_AHEAD_MONTHS	3
#define PART_EVERY_MS		(24 * 3600 * 1000LL)
#define PART_RETRY_MS		(3600 * 1000LL)

static int64_t	 next_at;	/* 0: at the next tick */

int64_t
part_next_deadline(void)
{
	return next_at;
}

void
part_run(int64_t now)
{
	int	 made;

	if (now < next_at)
		return;
	if (store_history_ahead(env->db, PART_AHEAD_MONTHS, &made) != PF_OK) {
		pf_log_warnx("could not make the history partitions ahead: "
		    "%s", pf_db_errmsg(env->db));
		next_at = now + PART_RETRY_MS;
		return;
	}
	if (made > 0)
		pf_log_info("made %d monthly history partitions", made);
	next_at = now + PART_EVERY_MS;
}
