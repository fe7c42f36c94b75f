/*
 * worker.c -- the heavy part of a big response, off the loop.
 *
 * Parsing a response of tens of megabytes, turning it into rows and
 * writing them takes seconds, most of them PostgreSQL's; on the loop that
 * would stall every other user's transfers and the control socket.  One
 * thread does that work instead, on a database connection of its own, and
 * hands each item back through an eventfd the loop polls; the loop then
 * runs the item's done() and does all the accounting.  Small responses
 * stay on the loop, where a thread hop would cost more than the work.
 *
 * The thread reads nothing but its item and the constant tables of
 * stream.c and store.c (built by store_init() before it starts); it logs
 * through pf_log, which writes whole lines.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/db.h"
#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "syncd.h"

static pthread_t	 thread;
static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cond = PTHREAD_COND_INITIALIZER;
static struct workq	 todo = TAILQ_HEAD_INITIALIZER(todo);
static struct workq	 done = TAILQ_HEAD_INITIALIZER(done);
static struct work	*current;
static bool		 running, stopping;
static int		 efd = -1;
static char		*conninfo;
static struct pf_db_opts opts;
static struct pf_db	*db;		/* the thread's own */

static void
wake_loop(void)
{
	uint64_t	 one = 1;

	while (write(efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static bool
db_ready(struct work *w)
{
	char	 err[256];

	if (db != NULL)
		return true;
	if (pf_db_connect(&db, conninfo, &opts, err, sizeof(err)) != PF_OK) {
		snprintf(w->err, sizeof(w->err), "could not connect: %s", err);
		db = NULL;
		return false;
	}
	return true;
}

/* A dropped connection is opened again for the next item. */
static void
db_failed(struct work *w)
{
	snprintf(w->err, sizeof(w->err), "%.*s",
	    (int)strcspn(pf_db_errmsg(db), "\n"), pf_db_errmsg(db));
	if (PQstatus(pf_db_conn(db)) != CONNECTION_OK) {
		pf_db_close(db);
		db = NULL;
	}
}

static void
parse(struct work *w)
{
	struct day_offsets	 known = { 0, NULL, NULL };
	struct body		 body;
	char			*fixed = NULL, err[PF_JSON_ERR_LEN];
	size_t			 flen;

	/* as on the loop (sync.c): a bad byte costs itself, not the body */
	if ((w->utf8_bad = transform_utf8_fix(w->body, w->len, &fixed,
	    &flen)) > 0) {
		free(w->body);
		w->body = fixed;
		w->len = flen;
	}
	w->parse_rv = body_parse(w->st, w->body, w->len, &body, err,
	    sizeof(err));
	if (w->parse_rv != PF_OK) {
		snprintf(w->err, sizeof(w->err), "%s", err);
		return;
	}
	if (w->offsets && (!db_ready(w) || store_day_offsets(db, w->user_id,
	    &known) != PF_OK)) {
		if (db != NULL)
			db_failed(w);
		pf_log_warnx("user %s: could not read the known UTC offsets: "
		    "%s", w->user_id, w->err);
		w->err[0] = '\0';
	}
	w->parse_rv = transform_body(w->st, &body, w->user_id, w->now_ms,
	    &known, &w->rows);
	day_offsets_free(&known);
	body_free(&body);
	/* the rows hold what is kept: the body goes before they are sent */
	free(w->body);
	w->body = NULL;
}

static void
commit(struct work *w)
{
	int64_t	 t0;

	if (!db_ready(w)) {
		w->db_rv = PF_ERR_DB_CONN;
		return;
	}
	t0 = pf_time_mono_ms();
	w->db_rv = store_upsert(db, w->st, w->user_id, &w->rows, w->covered,
	    &w->changed, &w->kept, &w->first, &w->last);
	w->ms = pf_time_mono_ms() - t0;
	if (w->db_rv != PF_OK)
		db_failed(w);
}

static void *
work_main(void *arg)
{
	struct work	*w;

	(void)arg;
	pthread_mutex_lock(&mtx);
	for (;;) {
		while (TAILQ_EMPTY(&todo) && !stopping)
			pthread_cond_wait(&cond, &mtx);
		if (TAILQ_EMPTY(&todo))
			break;
		w = current = TAILQ_FIRST(&todo);
		TAILQ_REMOVE(&todo, w, entry);
		pthread_mutex_unlock(&mtx);
		w->parse_rv = PF_OK;
		w->db_rv = PF_OK;
		if (w->body != NULL)
			parse(w);
		if (w->commit && w->parse_rv == PF_OK)
			commit(w);
		pthread_mutex_lock(&mtx);
		current = NULL;
		TAILQ_INSERT_TAIL(&done, w, entry);
		wake_loop();
	}
	pthread_mutex_unlock(&mtx);
	pf_db_close(db);
	db = NULL;
	return NULL;
}

int
worker_init(const char *database_url, const struct pf_db_opts *o)
{
	if ((efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return PF_ERR_IO;
	conninfo = pf_xstrdup(database_url);
	opts = *o;
	stopping = false;
	if (pthread_create(&thread, NULL, work_main, NULL) != 0) {
		close(efd);
		efd = -1;
		free(conninfo);
		conninfo = NULL;
		return PF_ERR_IO;
	}
	running = true;
	return PF_OK;
}

void
worker_submit(struct work *w)
{
	pthread_mutex_lock(&mtx);
	TAILQ_INSERT_TAIL(&todo, w, entry);
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&mtx);
}

int
worker_pollfds(struct pollfd *pfd, int max)
{
	if (efd < 0 || max < 1)
		return 0;
	pfd->fd = efd;
	pfd->events = POLLIN;
	pfd->revents = 0;
	return 1;
}

int
worker_fd(void)
{
	return efd;
}

void
worker_poll_done(void)
{
	struct workq	 ready = TAILQ_HEAD_INITIALIZER(ready);
	struct work	*w;
	uint64_t	 n;

	if (efd < 0)
		return;
	while (read(efd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&mtx);
	TAILQ_CONCAT(&ready, &done, entry);
	pthread_mutex_unlock(&mtx);
	while ((w = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, w, entry);
		w->done(w);
	}
}

size_t
worker_queued(void)
{
	struct work	*w;
	size_t		 n = 0;

	pthread_mutex_lock(&mtx);
	TAILQ_FOREACH(w, &todo, entry)
		n++;
	n += current != NULL;
	pthread_mutex_unlock(&mtx);
	return n;
}

void
worker_fini(void)
{
	struct work	*w;

	if (!running)
		return;
	/* what has not started is handed back undone */
	pthread_mutex_lock(&mtx);
	stopping = true;
	while ((w = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, w, entry);
		w->cancelled = true;
		TAILQ_INSERT_TAIL(&done, w, entry);
	}
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&mtx);
	pthread_join(thread, NULL);
	running = false;
	worker_poll_done();
	close(efd);
	efd = -1;
	free(conninfo);
	conninfo = NULL;
}

void
work_free(struct work *w)
{
	if (w == NULL)
		return;
	free(w->body);
	rowset_cleanup(&w->rows);
	free(w);
}
