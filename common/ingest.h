/*
 * ingest.h -- Apple Health pushes (Health Auto Export) into PostgreSQL.
 *
 * Two steps, always in this order, so that nothing sent is ever lost:
 * 1. the raw body is stored (pf_ingest_raw_*: raw_ingestions and its
 *    chunks) and committed before anything parses it;
 * 2. the body is parsed as a stream (common/hae.h) and its items are
 *    upserted (pf_ingest_new/feed/finish): samples in batches through
 *    COPY into a temporary table and one INSERT ... ON CONFLICT, the
 *    other shapes one statement each.  The result -- per metric and
 *    section counts, item errors, the status -- is written back to the
 *    raw_ingestions row and returned as the answer's JSON.
 *
 * Both apid (a push) and polarctl (ingest replay) run step 2, so the
 * statements live here, once, rather than in each program's store.c: a
 * replay must write exactly what a push writes.
 *
 * Works on one struct pf_db (blocking libpq): apid runs it in a kore task
 * thread, never on a worker's event loop.
 */
#ifndef PF_COMMON_INGEST_H
#define PF_COMMON_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/db.h"

#define PF_INGEST_CHUNK		(1024 * 1024)	/* raw chunk bytes */
#define PF_INGEST_ERRORS_KEPT	1000	/* item errors stored per body */
#define PF_INGEST_ERRORS_SHOWN	100	/* ... and answered */

/*
 * Finds the ingestion of uid with this SHA-256 (hex).  Returns 1 (found,
 * *id and the stored status in status[32]), 0 (none), or a PF_ERR_*.
 */
int	pf_ingest_raw_find(struct pf_db *db, const char *uid,
	    const char *sha256, int64_t *id, char status[32]);
/*
 * Inserts the raw_ingestions row (in the caller's transaction); *id is
 * the new id.  key_id 0: none.  PF_ERR_EXISTS when the same body of the
 * same user was stored meanwhile.
 */
int	pf_ingest_raw_begin(struct pf_db *db, const char *uid, int64_t key_id,
	    const char *sha256, uint64_t size, const char *content_type,
	    int64_t *id);
int	pf_ingest_raw_chunk(struct pf_db *db, const char *uid, int64_t id,
	    int seq, const void *buf, size_t len);
int	pf_ingest_raw_end(struct pf_db *db, const char *uid, int64_t id,
	    int chunks);
/*
 * Chunk seq of ingestion id into *res (PQclear it): its bytes are
 * PQgetvalue(*res, 0, 0) binary, PQgetlength long.  Returns 1, 0 when
 * there is no such chunk (the end), or a PF_ERR_*.
 */
int	pf_ingest_raw_read(struct pf_db *db, const char *uid, int64_t id,
	    int seq, PGresult **res);

/*
 * Adds bytes to the key's byte count of the current hour unless that
 * would pass limit_bytes.  Returns 1 (granted), 0 (over: *retry_after_s
 * is the wait until the window ends), or a PF_ERR_*.
 */
int	pf_ingest_quota(struct pf_db *db, const char *uid, int64_t key_id,
	    uint64_t bytes, uint64_t limit_bytes, long *retry_after_s);

struct pf_ingest;

/* A parse-and-store run for ingestion id of uid; NULL on error. */
struct pf_ingest *pf_ingest_new(struct pf_db *db, const char *uid,
	    int64_t id);
/* The next bytes of the body.  PF_OK, or a PF_ERR_* of the database. */
int	pf_ingest_feed(struct pf_ingest *, const void *buf, size_t len);
/*
 * The end of the body: flushes, records the result in raw_ingestions
 * (counts, errors, status, processed_at, replays += replay) and returns
 * the answer in *report (new reference).  *http_status is 200
 * (processed), 207 (partial_success) or 422 (error: nothing readable).
 * PF_OK, or a PF_ERR_* of the database (*report NULL).
 */
int	pf_ingest_finish(struct pf_ingest *, bool replay, json_t **report,
	    int *http_status);
void	pf_ingest_free(struct pf_ingest *);	/* accepts NULL */

/*
 * After pf_ingest_finish(): whether the run stored or changed an input
 * of the analytics (and marked the user in analytics_state), so that
 * analyticsd should be woken.
 */
bool	pf_ingest_marked(const struct pf_ingest *);

/* Samples stored so far by this run (benchmarks). */
uint64_t pf_ingest_samples(const struct pf_ingest *);

#endif /* PF_COMMON_INGEST_H */
