/*
 * ingest_store.c -- the raw side of the ingest (ingest.h): the stored
 * bodies, their chunks and the byte quota.  Every statement of the
 * ingest is in this file or in ingest.c, shared by apid and polarctl.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/err.h"
#include "common/ingest.h"
#include "common/time.h"

static const char sql_raw_find[] =
    "SELECT id, status FROM raw_ingestions"
    " WHERE user_id = $1 AND payload_sha256 = $2";

static const char sql_raw_begin[] =
    "INSERT INTO raw_ingestions (user_id, api_key_id, payload_sha256,"
    " payload_size, content_type)"
    " VALUES ($1, NULLIF($2::bigint, 0), $3, $4::bigint, $5)"
    " RETURNING id";

static const char sql_raw_chunk[] =
    "INSERT INTO raw_ingestion_chunks (user_id, ingestion_id, seq, data)"
    " VALUES ($1, $2::bigint, $3::integer, $4::bytea)";

static const char sql_raw_end[] =
    "UPDATE raw_ingestions SET chunks = $3::integer"
    " WHERE user_id = $1 AND id = $2::bigint";

static const char sql_raw_read[] =
    "SELECT data FROM raw_ingestion_chunks"
    " WHERE user_id = $1 AND ingestion_id = $2::bigint AND seq = $3";

/*
 * One statement: the window's row grows only while it stays within the
 * limit (the row lock of ON CONFLICT makes concurrent pushes add up); no
 * row back means over quota.  Old windows of the key go in passing.
 */
static const char sql_quota[] =
    "WITH old AS (DELETE FROM ingest_byte_windows"
    "  WHERE user_id = $1 AND key_id = $2::bigint"
    "  AND window_start < $3::timestamptz)"
    " INSERT INTO ingest_byte_windows AS w (user_id, key_id,"
    "  window_start, bytes)"
    " SELECT $1, $2::bigint, $3::timestamptz, $4::bigint"
    "  WHERE $4::bigint <= $5::bigint"
    " ON CONFLICT (user_id, key_id, window_start) DO UPDATE"
    "  SET bytes = w.bytes + EXCLUDED.bytes"
    "  WHERE w.bytes + EXCLUDED.bytes <= $5::bigint"
    " RETURNING w.bytes";

int
pf_ingest_raw_find(struct pf_db *db, const char *uid, const char *sha256,
    int64_t *id, char status[32])
{
	const char	*pv[2] = { uid, sha256 };
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec(db, &res, sql_raw_find, 2, pv)) != PF_OK)
		return r;
	if (PQntuples(res) < 1) {
		PQclear(res);
		return 0;
	}
	r = pf_db_get_int64(res, 0, 0, id);
	snprintf(status, 32, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return r == PF_OK ? 1 : r;
}

int
pf_ingest_raw_begin(struct pf_db *db, const char *uid, int64_t key_id,
    const char *sha256, uint64_t size, const char *content_type,
    int64_t *id)
{
	char		 kb[24], sb[24];
	const char	*pv[5] = { uid, kb, sha256, sb, content_type };
	PGresult	*res;
	int		 r;

	snprintf(kb, sizeof(kb), "%" PRId64, key_id);
	snprintf(sb, sizeof(sb), "%" PRIu64, size);
	if ((r = pf_db_exec_one(db, &res, sql_raw_begin, 5, pv)) != PF_OK)
		return r;
	r = pf_db_get_int64(res, 0, 0, id);
	PQclear(res);
	return r;
}

int
pf_ingest_raw_chunk(struct pf_db *db, const char *uid, int64_t id, int seq,
    const void *buf, size_t len)
{
	char		 ib[24], sb[16];
	const char	*pv[4] = { uid, ib, sb, buf };
	int		 lens[4] = { 0, 0, 0, (int)len };
	int		 fmts[4] = { 0, 0, 0, 1 };
	PGresult	*res;
	int		 r;

	if (len > PF_INGEST_CHUNK)
		return PF_ERR_INVALID;
	snprintf(ib, sizeof(ib), "%" PRId64, id);
	snprintf(sb, sizeof(sb), "%d", seq);
	/* binary bytea: pf_db_exec passes text only */
	res = PQexecParams(pf_db_conn(db), sql_raw_chunk, 4, NULL, pv, lens,
	    fmts, 0);
	r = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK ? PF_OK :
	    pf_db_sqlstate_err(res ? PQresultErrorField(res,
	    PG_DIAG_SQLSTATE) : NULL);
	PQclear(res);
	return r;
}

int
pf_ingest_raw_end(struct pf_db *db, const char *uid, int64_t id, int chunks)
{
	char		 ib[24], cb[16];
	const char	*pv[3] = { uid, ib, cb };

	snprintf(ib, sizeof(ib), "%" PRId64, id);
	snprintf(cb, sizeof(cb), "%d", chunks);
	return pf_db_exec(db, NULL, sql_raw_end, 3, pv);
}

int
pf_ingest_raw_read(struct pf_db *db, const char *uid, int64_t id, int seq,
    PGresult **out)
{
	char		 ib[24], sb[16];
	const char	*pv[3] = { uid, ib, sb };
	PGresult	*res;

	*out = NULL;
	snprintf(ib, sizeof(ib), "%" PRId64, id);
	snprintf(sb, sizeof(sb), "%d", seq);
	res = PQexecParams(pf_db_conn(db), sql_raw_read, 3, NULL, pv, NULL,
	    NULL, 1);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		int	r = pf_db_sqlstate_err(res ? PQresultErrorField(res,
		    PG_DIAG_SQLSTATE) : NULL);

		PQclear(res);
		return r;
	}
	if (PQntuples(res) < 1) {
		PQclear(res);
		return 0;
	}
	*out = res;
	return 1;
}

int
pf_ingest_quota(struct pf_db *db, const char *uid, int64_t key_id,
    uint64_t bytes, uint64_t limit_bytes, long *retry_after_s)
{
	char		 kb[24], wb[40], bb[24], lb[24];
	const char	*pv[5] = { uid, kb, wb, bb, lb };
	int64_t		 now = pf_time_now_ms() / 1000;
	int64_t		 w = now - now % 3600;
	PGresult	*res;
	int		 r, n;

	snprintf(kb, sizeof(kb), "%" PRId64, key_id);
	if (pf_time_format_datetime(w * 1000, 0, PF_TIME_FMT_NOMS, wb,
	    sizeof(wb)) != PF_OK)
		return PF_ERR_INVALID;
	snprintf(bb, sizeof(bb), "%" PRIu64, bytes);
	snprintf(lb, sizeof(lb), "%" PRIu64, limit_bytes);
	if ((r = pf_db_exec(db, &res, sql_quota, 5, pv)) != PF_OK)
		return r;
	n = PQntuples(res);
	PQclear(res);
	*retry_after_s = (long)(w + 3600 - now);
	if (*retry_after_s < 1)
		*retry_after_s = 1;
	return n > 0 ? 1 : 0;
}
