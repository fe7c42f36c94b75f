/*
 * ingest.c -- POST /api/v1/ingest (and /api/v1/sync): Apple Health
 * pushes from Health Auto Export, stored raw, then parsed and upserted
 * (common/ingest.h), in a thread of its own.
 *
 * Why the parse runs here and is not handed to syncd: HAE waits for the
 * answer and reads it (per-metric counts, item errors), a push must be
 * answered within the app's background time, and the body -- up to
 * hundreds of MB, held on disk by kore -- is already here.  Handing it
 * over would mean a second copy of every byte through nng or a second
 * read of the stored chunks before anyone could answer.  The raw body
 * is committed before the parse starts, so a crash or a parser bug
 * loses nothing: polarctl ingest replay runs the same code
 * (common/ingest.c) on the stored chunks.
 *
 * The worker never waits: the job runs on a detached thread with its
 * own blocking database connection (a small per-process pool, since
 * kore's pgsql layer is the event loop's), and the worker is woken
 * when it is done.  The body is read in chunks from kore's buffer or
 * from the disk file kore spooled it to (http_body_disk_offload), so
 * memory stays bounded by the chunk size whatever the body's size.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/tasks.h>

#include <jansson.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ingest.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "apid/request.h"

#define POOL_MAX	4	/* idle connections kept per process */
#define READ_CHUNK	(256 * 1024)
#define WAKE_TIMEOUT_MS	1000	/* analyticsd queues and answers */

struct ingest_job {
	struct kore_task	 task;		/* first: the entry gets it */
	bool			 own;		/* on a thread of its own */
	/* in */
	char			 uid[PF_USER_ID_MAX + 1];
	int64_t			 key_id;
	char			 sha[65];
	char			 ctype[128];
	uint64_t		 size;
	uint64_t		 quota;		/* bytes per hour, 0: none */
	int			 fd;		/* -1: body in mem */
	unsigned char		*mem;
	/* out */
	int			 status;
	long			 retry_after;
	json_t			*reply;
};

static pthread_mutex_t	 pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct pf_db	*pool[POOL_MAX];
static int		 npool;

static struct pf_db *
pool_get(char *err, size_t errlen)
{
	struct pf_db		*db = NULL;
	struct pf_db_opts	 opts;

	pthread_mutex_lock(&pool_mtx);
	if (npool > 0)
		db = pool[--npool];
	pthread_mutex_unlock(&pool_mtx);
	if (db != NULL)
		return db;
	pf_db_opts_default(&opts);
	opts.connect_attempts = 2;
	opts.application_name = "polarflow-apid ingest";
	/* a full-history body may take minutes: no statement timeout */
	opts.statement_timeout_ms = 0;
	if (pf_db_connect(&db, env->cfg->database_url, &opts, err, errlen) !=
	    PF_OK)
		return NULL;
	/* dates are compared and written in UTC (partitions by UTC month) */
	(void)pf_db_exec(db, NULL, "SET TimeZone = 'UTC'", 0, NULL);
	return db;
}

static void
pool_put(struct pf_db *db, bool ok)
{
	if (db == NULL)
		return;
	if (ok && !pf_db_in_tx(db) &&
	    PQstatus(pf_db_conn(db)) == CONNECTION_OK) {
		pthread_mutex_lock(&pool_mtx);
		if (npool < POOL_MAX) {
			pool[npool++] = db;
			db = NULL;
		}
		pthread_mutex_unlock(&pool_mtx);
	}
	pf_db_close(db);
}

/* The next up to len bytes of the body at off; -1 on a read error. */
static ssize_t
body_read(struct ingest_job *j, uint64_t off, void *buf, size_t len)
{
	ssize_t	r;

	if (off >= j->size)
		return 0;
	if (len > j->size - off)
		len = (size_t)(j->size - off);
	if (j->fd == -1) {
		memcpy(buf, j->mem + off, len);
		return (ssize_t)len;
	}
	do
		r = pread(j->fd, buf, len, (off_t)off);
	while (r == -1 && errno == EINTR);
	return r;
}

static void
reply_error(struct ingest_job *j, int status, const char *detail,
    int64_t id)
{
	j->status = status;
	j->reply = json_pack("{s:i, s:s}", "status_code", status, "detail",
	    detail);
	if (id > 0)
		json_object_set_new(j->reply, "ingestion_id",
		    json_integer((json_int_t)id));
}

/* Stores the body as chunks in one transaction; *id is its row. */
static int
store_raw(struct pf_db *db, struct ingest_job *j, unsigned char *buf,
    int64_t *id)
{
	uint64_t	off = 0;
	int		seq = 0, r;
	ssize_t		n;

	if ((r = pf_db_begin(db)) != PF_OK)
		return r;
	if ((r = pf_ingest_raw_begin(db, j->uid, j->key_id, j->sha, j->size,
	    j->ctype[0] ? j->ctype : NULL, id)) != PF_OK)
		goto fail;
	while (off < j->size) {
		if ((n = body_read(j, off, buf, PF_INGEST_CHUNK)) <= 0) {
			r = PF_ERR_IO;
			goto fail;
		}
		if ((r = pf_ingest_raw_chunk(db, j->uid, *id, seq++, buf,
		    (size_t)n)) != PF_OK)
			goto fail;
		off += (uint64_t)n;
	}
	if ((r = pf_ingest_raw_end(db, j->uid, *id, seq)) != PF_OK)
		goto fail;
	return pf_db_commit(db);
fail:
	(void)pf_db_rollback(db);
	return r;
}

static void
duplicate(struct ingest_job *j, int64_t id, const char *status)
{
	j->status = 200;
	j->reply = json_pack("{s:I, s:b, s:s, s:s}", "ingestion_id",
	    (json_int_t)id, "duplicate_payload", 1, "processing_status",
	    status, "message", "This exact body was received before; "
	    "nothing was changed.");
}

/*
 * The push changed what the analytics read: analyticsd is asked to
 * recompute the user now.  A hint only -- the user is marked in the
 * database (pf_ingest_finish), so when analyticsd is not running or the
 * call fails, its reconcile finds the user all the same.  It answers as
 * soon as the user is queued.
 */
static void
wake_analyticsd(const char *uid)
{
	struct ctl_call	cc;

	memset(&cc, 0, sizeof(cc));
	snprintf(cc.rundir, sizeof(cc.rundir), "%s", env->cfg->rundir);
	snprintf(cc.uid, sizeof(cc.uid), "%s", uid);
	cc.daemon = "analyticsd";
	cc.type = PF_MSG_ANALYTICS_RECOMPUTE;
	cc.timeout_ms = WAKE_TIMEOUT_MS;
	ctl_run(&cc);
	json_decref(cc.reply);
}

static void
ingest_run(struct ingest_job *j)
{
	struct pf_db		*db;
	struct pf_ingest	*g = NULL;
	unsigned char		*buf = NULL;
	char			 err[256], st[32];
	int64_t			 id = 0, t0, t1;
	uint64_t		 off = 0;
	ssize_t			 n;
	int			 r;
	bool			 ok = false;

	t0 = pf_time_mono_us();
	if ((db = pool_get(err, sizeof(err))) == NULL) {
		pf_log_warnx("ingest: %s", err);
		reply_error(j, 503, "Database unreachable", 0);
		return;
	}
	if (j->quota > 0 && j->key_id > 0) {
		r = pf_ingest_quota(db, j->uid, j->key_id, j->size, j->quota,
		    &j->retry_after);
		if (r < 0)
			goto dbfail;
		if (r == 0) {
			j->status = 429;
			ok = true;
			goto out;
		}
	}
	if ((r = pf_ingest_raw_find(db, j->uid, j->sha, &id, st)) < 0)
		goto dbfail;
	if (r == 1) {
		duplicate(j, id, st);
		ok = true;
		goto out;
	}
	buf = pf_xmalloc(PF_INGEST_CHUNK);
	if ((r = store_raw(db, j, buf, &id)) != PF_OK) {
		if (r == PF_ERR_EXISTS && pf_ingest_raw_find(db, j->uid, j->sha,
		    &id, st) == 1) {
			duplicate(j, id, st);
			ok = true;
			goto out;
		}
		if (r == PF_ERR_IO) {
			reply_error(j, 500, "Could not read the request body",
			    0);
			goto out;
		}
		id = 0;
		goto dbfail;
	}
	t1 = pf_time_mono_us();
	/* stored: from here on a failure leaves a replayable body */
	if ((g = pf_ingest_new(db, j->uid, id)) == NULL)
		goto dbfail;
	while (off < j->size) {
		if ((n = body_read(j, off, buf, READ_CHUNK)) <= 0) {
			reply_error(j, 500, "Could not read the request body",
			    id);
			goto out;
		}
		if (pf_ingest_feed(g, buf, (size_t)n) != PF_OK)
			goto dbfail;
		off += (uint64_t)n;
	}
	if (pf_ingest_finish(g, false, &j->reply, &j->status) != PF_OK)
		goto dbfail;
	if (pf_ingest_marked(g))
		wake_analyticsd(j->uid);
	pf_log_debug("ingest %" PRId64 " of %s: %" PRIu64 " bytes stored in "
	    "%lld ms, parsed and stored in %lld ms", id, j->uid, j->size,
	    (long long)(t1 - t0) / 1000,
	    (long long)(pf_time_mono_us() - t1) / 1000);
	ok = true;
	goto out;
dbfail:
	pf_log_warnx("ingest of %s: database error: %s", j->uid,
	    pf_db_errmsg(db));
	reply_error(j, 503, id > 0 ? "The body was stored but could not be "
	    "processed now; it will be replayed" : "Database error; the "
	    "body was not stored, send it again", id);
out:
	pf_ingest_free(g);
	free(buf);
	pool_put(db, ok);
}

static int
ingest_task(struct kore_task *t)
{
	ingest_run((struct ingest_job *)t);
	return KORE_RESULT_OK;
}

bool
ingest_finished(struct reqctx *c)
{
	return kore_task_finished(&c->ijob->task);
}

void
ingest_free(struct reqctx *c)
{
	struct ingest_job	*j = c->ijob;

	if (j == NULL)
		return;
	if (!kore_task_finished(&j->task)) {
		pf_log_warnx("request freed with its ingest running");
		c->ijob = NULL;
		return;
	}
	if (j->own)
		task_own_release();
	kore_task_destroy(&j->task);
	if (j->fd != -1)
		close(j->fd);
	free(j->mem);
	json_decref(j->reply);
	free(j);
	c->ijob = NULL;
}

int
ingest_done(struct http_request *req, struct reqctx *c)
{
	struct ingest_job	*j = c->ijob;
	char			*body, ra[24];
	int			 r;

	if (j->status == 429) {
		body = render_ratelimited(j->retry_after);
		snprintf(ra, sizeof(ra), "%ld", j->retry_after);
		http_response_header(req, "retry-after", ra);
		METRIC_INC(ratelimited);
		r = respond_json(req, c, 429, body);
		free(body);
		return r;
	}
	if (j->reply == NULL)
		return respond_error(req, c, 500, "Internal Server Error");
	body = json_dumps(j->reply, JSON_COMPACT);
	r = respond_json(req, c, j->status, body);
	free(body);
	return r;
}

int
ingest_begin(struct http_request *req, struct reqctx *c)
{
	struct ingest_job	*j;
	const char		*ct = NULL;

	if (c->key_user[0] == '\0')
		return respond_error(req, c, 403, "Apple Health pushes need "
		    "a user-scoped API key: the data belongs to its user");
	if (req->http_body_length == 0)
		return respond_error(req, c, 400, "Empty body: send the "
		    "Health Auto Export JSON");
	j = pf_xcalloc(1, sizeof(*j));
	c->ijob = j;
	j->fd = -1;
	snprintf(j->uid, sizeof(j->uid), "%s", c->key_user);
	snprintf(c->uid, sizeof(c->uid), "%s", c->key_user);
	j->key_id = c->keyed ? c->key_id : 0;
	j->size = req->http_body_length;
	j->quota = (uint64_t)env->cfg->api_ingest_quota_kb_per_hour * 1024;
	if (http_request_header(req, "content-type", &ct) && ct != NULL)
		snprintf(j->ctype, sizeof(j->ctype), "%s", ct);
	if (http_body_digest(req, j->sha, sizeof(j->sha)) != KORE_RESULT_OK)
		return respond_error(req, c, 500, "Internal Server Error");
	if (req->http_body_fd != -1) {
		if ((j->fd = dup(req->http_body_fd)) == -1)
			return respond_error(req, c, 500,
			    "Internal Server Error");
	} else if (req->http_body != NULL && /* reset: offset 0 */
	    req->http_body->length >= j->size) {
		j->mem = pf_xmalloc(j->size);
		memcpy(j->mem, req->http_body->data, j->size);
	} else
		return respond_error(req, c, 500, "Internal Server Error");

	kore_task_create(&j->task, ingest_task);
	kore_task_bind_request(&j->task, req);
	if (task_own_start(&j->task))
		j->own = true;
	else
		kore_task_run(&j->task);
	c->state = REQ_INGEST;
	return KORE_RESULT_RETRY;
}
