/*
 * syncd.h -- polarflow-syncd: the only process that talks to Polar.
 *
 * One poll() loop drives libcurl multi transfers (fetch.c), per-user sync
 * jobs (sync.c), the schedule and the quota budget (sched.c), the control
 * socket (ctl.c) and OAuth (oauth.c); one worker thread parses and writes
 * the big responses (worker.c, bigbody.c) so the loop never waits for
 * them.  What each Polar stream is sits in one table (stream.c); Polar
 * JSON becomes rows in transform.c, which is pure; every SQL statement
 * lives in store.c.
 */
#ifndef PF_SYNCD_H
#define PF_SYNCD_H

#include <sys/queue.h>

#include <poll.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/control.h"
#include "common/crypto.h"
#include "common/daemon.h"
#include "common/ident.h"

#include "common/ipc.h"

#define SYNCD_PROG		"polarflow-syncd"
#define SYNCD_POLAR_WINDOW	28	/* days Polar keeps for ranged lists */
#define SYNCD_HISTORY_DAYS	365	/* oldest day activity/cardio load reach */
#define SYNCD_RANGE_DAYS	28	/* longest from..to range, both inclusive */
#define SYNCD_OVERLAP_DAYS	2	/* routine syncs re-read this much */
#define SYNCD_MAX_BODY		(64 * 1024 * 1024)
#define SYNCD_HTTP_ATTEMPTS	4	/* first try + 3 retries */
#define SYNCD_RETRY_BASE_MS	500
#define SYNCD_RETRY_MAX_MS	8000
#define SYNCD_PER_USER_XFERS	6	/* transfers one user may hold */
#define SYNCD_PHYS_REFRESH_MS	(6 * 3600 * 1000)	/* physical info */
#define SYNCD_MAX_DROPPED	100	/* notes of dropped data per sync */
/* Bodies (and rows to write) from this size on go to the worker. */
#define SYNCD_BIG_BODY		(1024 * 1024)

enum stream {
	ST_SLEEP,
	ST_RECHARGE,
	ST_ACTIVITY,
	ST_ACTIVITY_SAMPLES,
	ST_EXERCISE,
	ST_CARDIO_LOAD,
	ST_ALERTNESS,
	ST_BEDTIME,
	ST_CHR,
	ST_SPO2,
	ST_ECG,
	ST_BODY_TEMP,
	ST_SKIN_TEMP,
	ST_PHYSICAL,
	ST__COUNT
};

/*
 * Rows produced by a transformer: each row is one JSON object text whose
 * keys are column names of the stream's table (store.c feeds it to
 * jsonb_populate_record), and the local calendar day it belongs to.
 */
struct rowset {
	size_t		  n;
	size_t		  cap;
	char		**row;		/* owned */
	int64_t		 *day;
	size_t		  skipped;	/* bad records dropped */
	/* [{record, date?, field?, reason}]: what was not kept; owned */
	json_t		 *dropped;
};

/*
 * stream.c -- what each stream is: where Polar serves it, how far back it
 * reaches, and how its records become rows of its table.  transform.c
 * reads fields[] to map a record, store.c builds the stream's upsert from
 * the same columns, sync.c plans its requests from the rest.
 */
enum field_kind {
	FK_INT,		/* integer in min..max */
	FK_DBL,		/* number in min..max */
	FK_STR,		/* string of at most max bytes */
	FK_BOOL,
	FK_ENUM,	/* one of values[] */
	FK_DATE,	/* YYYY-MM-DD */
	FK_TIME,	/* ISO-8601 date-time, UTC when zone-less */
	FK_ZONE,	/* the UTC offset (minutes) of the FK_TIME at key */
	FK_EPOCH,	/* seconds since 1970, shown at the record's offset */
	FK_DURATION,	/* ISO-8601 duration -> seconds */
	FK_OBJECT,	/* kept as jsonb */
	FK_ARRAY,	/* kept as jsonb */
	/* {"HH:MM": number in min..max}, kept as [["HH:MM", number], ...] */
	FK_CLOCKMAP,
	FK_DERIVED,	/* no Polar key: set by the stream's derive hook */
};

/* Field flags.  Absent and JSON null are always NULL. */
#define F_REQ		0x001	/* absent, null or "no data": skip the record */
#define F_ZERO_NULL	0x002	/* 0 means "no data" */
#define F_NEG_NULL	0x004	/* any negative value means "no data" */
#define F_M1_NULL	0x008	/* exactly -1 means "no data" */
#define F_EMPTY_NULL	0x010	/* "" means "no data" */
#define F_LENIENT	0x020	/* FK_DATE: the date part of a date-time */
#define F_DAY		0x040	/* the record's calendar day (local) */
#define F_OFFSET	0x080	/* FK_INT: the record's UTC offset, minutes */
#define F_LOCAL		0x100	/* FK_TIME, FK_ZONE: zone-less is local */
#define F_ROUND		0x200	/* FK_DURATION: whole seconds */
#define F_DEFAULT	0x400	/* absent: false or "" (part of a key) */
#define F_IDENT		0x800	/* FK_STR: letters, digits, '-', '_' only */

struct field {
	const char		*col;	/* column of the stream's table */
	const char		*key;	/* Polar key path (json.h folding) */
	enum field_kind		 kind;
	unsigned		 flags;
	double			 min, max;
	const char *const	*values;	/* FK_ENUM, NULL-terminated */
};

/* How sync.c asks Polar for a stream. */
enum stream_fetch {
	SF_LIST,	/* one list request (or ranges) per sync */
	SF_EXERCISE,	/* a list of ids, then one request per new id */
	SF_PER_DAY,	/* one request per day: path/YYYY-MM-DD */
	SF_SNAPSHOT,	/* one object, refreshed a few times a day */
};

struct rec;
struct stream_def {
	const char		*name;		/* sync_cursors.stream, reports */
	const char		*table;
	const char		*conflict;	/* key columns after user_id */
	const char		*path;		/* AccessLink path */
	enum stream_fetch	 fetch;
	/* SF_LIST: "" takes ?from=&to=, "/date" a path suffix, NULL none */
	const char		*range;
	/*
	 * Where a response keeps the records: the array under this key,
	 * "" the body is the array, NULL the body is one record.
	 */
	const char		*records;
	int			 history_days;	/* farthest a full sync reads */
	int			 range_days;	/* most days per request, 0 any */
	bool			 nodata_404;	/* a 404 means "no data" */
	/* SF_LIST: a window beyond one range is one /period/days/{n} */
	bool			 period_days;
	const struct field	*fields;	/* { NULL } terminated */
	/* Columns computed from the mapped row (runs if the fields passed). */
	void			(*derive)(struct rec *);
	const char *const	*raw_drop;	/* keys not kept in "raw" */
	/*
	 * The rule for poorer versions: each group is a sample series
	 * column and the columns computed from it; when a new series has
	 * fewer samples than the stored one, the whole group keeps its
	 * stored values.  Every other column keeps its stored value when
	 * the new one is empty (NULL).  NULL-terminated.
	 */
	const char *const	*series;
	/*
	 * The same for series that list changes rather than samples at a
	 * fixed interval (their length says nothing of their richness):
	 * only an empty one is poorer than a stored one with samples.
	 */
	const char *const	*series_changes;
	/*
	 * Key paths of a record's sample arrays that may be long (each the
	 * key of an FK_ARRAY field): in a big body they are read from the
	 * text one element at a time (bigbody.c).  NULL-terminated.
	 */
	const char *const	*big;
};
extern const struct stream_def streams[ST__COUNT];
const char *stream_name(enum stream st);
int	 stream_from_name(const char *name, enum stream *out);
/* The next name of a comma-separated list: *len bytes; NULL at the end. */
const char *stream_list_next(const char **p, size_t *len);
bool	 stream_list_has(const char *list, const char *col);
/* Is col one of the columns of def's key (conflict)? */
bool	 stream_key_has(const struct stream_def *def, const char *col);

/*
 * The UTC offsets (minutes) Polar gave for a user's days, from any
 * stream: the offset of a local time Polar sends without one.  Sorted
 * by day.
 */
struct day_offsets {
	size_t		 n;
	int64_t		*day;
	int		*off;
};
void	 day_offsets_free(struct day_offsets *o);
/* The offset of day, else of the day before or after; false if none. */
bool	 day_offsets_find(const struct day_offsets *o, int64_t day, int *off);

/*
 * bigbody.c -- a big response body parsed without a tree of its long
 * sample arrays.  Each cut array stays in the body's text (borrowed: the
 * body must outlive the struct body) and is an empty array in doc.
 */
struct cut {
	const char	*text;		/* "[...]", in the body */
	size_t		 len;
	size_t		 n;		/* elements, each valid JSON */
	bool		 nul;		/* some element holds a \u0000 */
	size_t		 record;	/* index of its record */
	const char	*path;		/* its key path (streams[].big) */
	const json_t	*arr;		/* its empty stand-in in doc */
};
struct body {
	json_t		*doc;		/* owned */
	struct cut	*cut;		/* owned, ncut of them, in text order */
	size_t		 ncut;
};
/*
 * Parses len bytes of buf, a response of stream st, into b (the caller
 * calls body_free).  Returns what pf_json_parse() does; err gets the
 * reason of a PF_ERR_PARSE.
 */
int	 body_parse(enum stream st, const char *buf, size_t len,
	    struct body *b, char *err, size_t errlen);
void	 body_free(struct body *b);
/*
 * Past the JSON value that starts at p (before end), NULL if its strings
 * or brackets do not close; only the extent is found, not validity.
 */
const char *body_skip_value(const char *p, const char *end);

/*
 * worker.c -- one thread that parses, transforms and writes big responses
 * on its own database connection, so the loop goes on meanwhile.
 */
struct pf_db_opts;
struct work {
	TAILQ_ENTRY(work) entry;
	/* in, set before worker_submit() */
	enum stream	 st;
	char		 user_id[PF_USER_ID_MAX + 1];
	char		*body;		/* owned; NULL: write rows only */
	size_t		 len;
	bool		 offsets;	/* look up the user's known offsets */
	bool		 commit;	/* write the rows (store_upsert) */
	int64_t		 covered;	/* its cursor day, -1 none */
	int64_t		 now_ms;
	/* the body's rows (out), or the rows to write (in); owned */
	struct rowset	 rows;
	/* called on the loop once the item is done or cancelled */
	void		(*done)(struct work *);
	void		*arg;
	/* out */
	bool		 cancelled;	/* shut down before it started */
	size_t		 utf8_bad;	/* invalid bytes replaced */
	int		 parse_rv;	/* PF_OK, PF_ERR_PARSE (err), _PROTO */
	int		 db_rv;
	char		 err[300];
	int		 changed, kept;
	int64_t		 first, last;
	int64_t		 ms;		/* the write took */
};
TAILQ_HEAD(workq, work);
/* Starts the thread; it connects to database_url itself. */
int	 worker_init(const char *database_url, const struct pf_db_opts *opts);
/* Takes w until its done() runs (which frees it, with work_free). */
void	 worker_submit(struct work *w);
/* poll() integration: one descriptor, and what to run when it is ready. */
int	 worker_pollfds(struct pollfd *pfd, int max);
int	 worker_fd(void);		/* -1 when not running */
void	 worker_poll_done(void);
size_t	 worker_queued(void);
/* Waits for the item in progress, cancels the rest, runs every done(). */
void	 worker_fini(void);
void	 work_free(struct work *w);

/* transform.c -- Polar JSON to rows; pure, logs skipped records. */
void	 rowset_init(struct rowset *rs);
void	 rowset_cleanup(struct rowset *rs);
/* Moves the rows and notes of src to the end of dst; src is left empty. */
void	 rowset_take(struct rowset *dst, struct rowset *src);
/* Bytes of row text in rs. */
size_t	 rowset_bytes(const struct rowset *rs);
/*
 * Appends the rows of one response body (doc, borrowed) of stream st to
 * out.  user_id is only used in log lines; now_ms is the clock for
 * physical info without a timestamp.  PF_OK (some records may have been
 * skipped, counted in out->skipped) or PF_ERR_PROTO when the document as a
 * whole has the wrong shape.
 */
int	 transform(enum stream st, const json_t *doc, const char *user_id,
	    int64_t now_ms, struct rowset *out);
/*
 * The same; a local time without an offset (F_LOCAL) is placed at the
 * offset known for its day (known, may be NULL), else taken as UTC and
 * noted in out->dropped.
 */
int	 transform_at(enum stream st, const json_t *doc, const char *user_id,
	    int64_t now_ms, const struct day_offsets *known,
	    struct rowset *out);
/* The same for a body parsed by body_parse() (b borrowed). */
int	 transform_body(enum stream st, const struct body *b,
	    const char *user_id, int64_t now_ms,
	    const struct day_offsets *known, struct rowset *out);
/* Does v hold a string with U+0000 (which no jsonb or text column takes)? */
bool	 transform_has_nul(const json_t *v);
/* Exercise list: the ids (borrowed from doc) of valid entries. */
int	 transform_exercise_ids(const json_t *doc, const char *user_id,
	    const char ***ids, size_t *n);
/*
 * Counts the invalid UTF-8 sequences of buf; when there are any, *out (the
 * caller frees it) is a copy with each invalid byte replaced by U+FFFD,
 * *outlen its length.
 */
size_t	 transform_utf8_fix(const char *buf, size_t len, char **out,
	    size_t *outlen);
/* "37, 412" -> two integers, each 0..INT32_MAX; PF_ERR_PARSE otherwise. */
int	 transform_pair(const char *s, int64_t *a, int64_t *b);
/* The derive hooks of streams[] (the row's own columns are already set). */
void	 derive_sleep(struct rec *r);
void	 derive_activity(struct rec *r);
void	 derive_activity_samples(struct rec *r);
void	 derive_exercise(struct rec *r);
void	 derive_cardio(struct rec *r);
void	 derive_chr(struct rec *r);
void	 derive_ecg(struct rec *r);
void	 derive_body_temp(struct rec *r);
void	 derive_skin_temp(struct rec *r);
void	 derive_physical(struct rec *r);

/* fetch.c -- libcurl multi driver, quota, retries. */
struct xfer;
typedef void (*xfer_done_fn)(struct xfer *, void *);

enum xfer_auth {
	XA_BEARER,
	XA_BASIC,
};

struct quota {
	bool		 known;
	int64_t		 usage_15m, limit_15m, usage_24h, limit_24h;
	int64_t		 reset_15m_at, reset_24h_at;	/* mono ms */
	int64_t		 paused_until;			/* mono ms, 429 */
	int		 backoff_429;			/* consecutive */
	int64_t		 calls;				/* since start */
	int64_t		 rate_limited;			/* 429s seen */
};

struct xfer {
	TAILQ_ENTRY(xfer) entry;
	char		*url;
	char		*body;		/* POST body or NULL for GET */
	const char	*method;	/* another method (static), or NULL */
	const char	*ctype;		/* of body */
	char		*auth;		/* bearer token or "id:secret" */
	enum xfer_auth	 auth_kind;
	xfer_done_fn	 done;
	void		*arg;
	void		*owner;		/* job, for per-user caps */
	uint64_t	 prio;		/* lower first; 0 = control requests */
	int		 attempts;
	/* Sent at most once: a repeat could spend a single-use grant. */
	bool		 once;
	int64_t		 not_before;	/* mono ms */
	/* result */
	long		 status;	/* HTTP status, 0 on transport error */
	int		 err;		/* PF_OK, PF_ERR_TIMEOUT, PF_ERR_IO, ... */
	char		 errmsg[256];
	char		*resp;
	size_t		 resp_len;
	size_t		 resp_cap;
	bool		 oversized;
	int64_t		 retry_after_s;
	void		*easy;		/* CURL * */
	void		*hdrs;		/* struct curl_slist * */
	void		*priv_data;	/* fetch.c's bookkeeping */
	bool		 active;
	bool		 cancelled;
	/*
	 * To a webhook subscriber, not Polar: no quota, no redirects, no
	 * proxy, its own timeout, and the address connected to is checked
	 * (hook_addr_allowed).
	 */
	bool		 hook;
	bool		 refused;	/* hook: the address was not allowed */
	char		*xhdrs;		/* more header lines, '\n'-ended; owned */
	int64_t		 ms;		/* result: the last attempt took */
};
TAILQ_HEAD(xferq, xfer);

int	 fetch_init(void);
void	 fetch_fini(void);
/*
 * Takes ownership of x; its done() is called exactly once, later, from
 * fetch_run() or fetch_poll_done(), and x is freed when done() returns.
 */
void	 fetch_submit(struct xfer *x);
/*
 * Drops every transfer of owner (NULL: all); done() is called with
 * x->cancelled set, only to release its argument.
 */
void	 fetch_cancel_owner(void *owner);
void	 fetch_cancel_all(void);
struct xfer *fetch_xfer_new(const char *url, enum xfer_auth kind,
	    const char *auth, xfer_done_fn done, void *arg, void *owner);
void	 fetch_xfer_free(struct xfer *x);
/* poll() integration. */
int	 fetch_pollfds(struct pollfd *pfd, int max);
void	 fetch_poll_done(struct pollfd *pfd, int n);
int64_t	 fetch_next_deadline(int64_t now);	/* mono ms, INT64_MAX none */
void	 fetch_run(void);
size_t	 fetch_inflight(void);
size_t	 fetch_queued(void);
const struct quota *fetch_quota(void);
/* Calls one job may still start under the budget, given the reserve. */
int64_t	 fetch_quota_room(int64_t now);
/* Most calls a job could ever get admitted with (0: quota unknown). */
int64_t	 fetch_quota_capacity(void);
/* Pure quota update from headers; exported for tests. */
void	 quota_update(struct quota *q, const char *usage, const char *limit,
	    const char *reset, int64_t now);
int64_t	 quota_pause_429(struct quota *q, int64_t retry_after_s,
	    int64_t now);

/*
 * hooksend.c -- the sender of the webhooks out: delivers the rows of
 * webhook_deliveries through fetch.c, signed (Standard Webhooks), woken by
 * NOTIFY pf_webhook and by its own timers.
 */
void	 hook_init(void);
void	 hook_fini(void);
/* poll() integration: the database connection's descriptor, if listening. */
int	 hook_pollfds(struct pollfd *pfd, int max);
void	 hook_poll_done(void);
int64_t	 hook_next_deadline(void);
void	 hook_run(int64_t now);
json_t	*hook_status(void);
/* May a webhook connect to sa?  (webhook_allow_private, else public only) */
struct sockaddr;
bool	 hook_addr_allowed(const struct sockaddr *sa);
/* Pure: is sa loopback, private, link-local or otherwise not public? */
bool	 hook_addr_private(const struct sockaddr *sa);
/*
 * Pure: the Standard Webhooks signature "v1,<base64>" of id.ts.body under
 * secret ("whsec_" + base64 key) into out.  PF_ERR_INVALID for a bad
 * secret.
 */
int	 hook_sign(const char *secret, const char *id, int64_t ts,
	    const char *body, size_t bodylen, char *out, size_t outlen);

/* sync.c -- per-user jobs. */
struct job;
TAILQ_HEAD(jobq, job);

struct stream_result {
	int		 records;
	int		 changed;
	int		 skipped;
	int		 kept;		/* records with a poorer field kept */
	int		 calls;
	int		 pending;	/* requests outstanding */
	int		 working;	/* items with the worker */
	bool		 failed;
	bool		 nodata;
	bool		 skipped_stream;
	char		*error;
	int		 http_status;
	int64_t		 first_day, last_day;	/* of changed rows */
	struct rowset	 rows;		/* accumulated (CHR) */
};

struct job {
	TAILQ_ENTRY(job) entry;
	char		 user_id[PF_USER_ID_MAX + 1];
	char		*token;		/* plaintext, pf_freezero */
	const char	*trigger;
	int		 days;		/* requested window, 0 = routine */
	int64_t		 from_day, to_day;
	bool		 full;
	int64_t		 log_id;
	char		 sync_id[40];
	int64_t		 started_mono;
	int64_t		 started_ms;
	int		 calls;
	int		 est_calls;
	int		 pending;
	int		 working;	/* items with the worker (worker.c) */
	bool		 aborted;	/* 401 or shutdown */
	bool		 reauth;
	bool		 consent;
	bool		 db_failed;
	char		*abort_reason;
	struct stream_result st[ST__COUNT];
	/* [{stream, record?, date?, field?, reason}]: what was not kept */
	json_t		*dropped;
	int		 dropped_more;	/* notes beyond SYNCD_MAX_DROPPED */
	struct pf_ipc_request *waiter;	/* deferred sync.trigger reply */
	int64_t		 cursor_day[ST__COUNT];	/* covered_until, -1 none */
	int64_t		 phys_last_ms;
	uint64_t	 seq;		/* start order, the job's fetch priority */
	unsigned	 mask;		/* streams to sync (1 << st), 0 all */
};

void	 sync_init(void);
void	 sync_fini(void);
/*
 * Closes the log rows of syncs that ended while the database was away,
 * once it is back, and makes their users due; the deadline of the next
 * attempt (INT64_MAX: nothing waiting).
 */
void	 sync_recover(int64_t now);
int64_t	 sync_next_deadline(void);
/*
 * Starts a job for user (sets up requests); the job owns req if given.
 * PF_ERR_DENIED, with the reason in why (may be NULL), for a user who
 * must authorise with Polar again.
 */
int	 sync_start(const char *user_id, const char *trigger, int days,
	    struct pf_ipc_request *waiter, char *why, size_t whylen);
/*
 * The same for the streams in mask only (1 << enum stream each; 0: all);
 * a partial sync leaves the user's schedule alone.  sync_id (may be
 * NULL) gets the new sync's id.
 */
int	 sync_start_mask(const char *user_id, const char *trigger,
	    unsigned mask, char *sync_id, size_t idlen, char *why,
	    size_t whylen);
bool	 sync_running(const char *user_id);
size_t	 sync_inflight(void);
void	 sync_abort_all(const char *why);
/* Ends user_id's job, if one runs, as aborted for why. */
void	 sync_abort_user(const char *user_id, const char *why);
json_t	*sync_inflight_json(void);
/*
 * API calls of a full sync (every stream as far back as Polar keeps it, or
 * days back when days > 0) or of a routine one, without exercise details
 * beyond a typical handful.
 */
int	 sync_estimate_calls(bool full, int days);
/* Days a full sync reads of stream st (days > 0: a manual window). */
int	 sync_stream_window(enum stream st, int days, int lookback);
/* Requests one stream needs to cover ndays days. */
int	 sync_stream_calls(enum stream st, int64_t ndays);
/* API calls the running jobs are still expected to make. */
int64_t	 sync_reserved(void);

/*
 * lease.c -- this instance's leases on the users it syncs.  lease_owner:
 * the instance's id (host and run directory), unique among instances
 * sharing a database and the same across restarts.  lease_take: PF_OK when this instance may sync
 * user_id now, PF_ERR_BUSY while another one holds it.  lease_run renews
 * every third of sync_lease_seconds and aborts the syncs whose lease was
 * lost (taken over after this instance stalled past its expiry).
 */
void	 lease_init(void);
/* At start: drops the leases this instance held before it restarted. */
void	 lease_recover(void);
const char *lease_owner(void);
int	 lease_take(const char *user_id);
void	 lease_release(const char *user_id);
void	 lease_run(int64_t now);
int64_t	 lease_next_deadline(void);

/* sched.c -- who is due, admission under the quota. */
void	 sched_init(void);
void	 sched_poke(void);
void	 sched_run(int64_t now);
int64_t	 sched_next_deadline(void);

/* partition.c */
void	 part_run(int64_t now);
int64_t	 part_next_deadline(void);
int	 sched_queue_len(void);
bool	 sched_quota_wait(void);
/* Makes every user due now and runs them, even with sync_enabled off. */
int	 sched_request_all(void);

/*
 * Polar's partner webhook: hookreg.c makes it at Polar with the client
 * credentials and keeps its secret sealed (polar.webhook.create / show /
 * delete); polarhook.c verifies the deliveries apid queued and turns
 * them into syncs of the streams they name.
 */
/* Every polar.webhook.* verb (ctl.c's table points each here). */
void	 polarhook_ctl(struct pf_ipc_request *req, const json_t *body);
/* The webhook is registered (hookreg.c tells polarhook.c). */
void	 polarhook_set_active(bool on);
/* Every event type Polar sends but PING, as a new JSON array. */
json_t	*polarhook_event_list(void);
/* hookreg.c: polar.webhook.create, .show and .delete */
void	 polarhook_create(struct pf_ipc_request *req, const json_t *body);
void	 polarhook_show(struct pf_ipc_request *req, const json_t *body);
void	 polarhook_delete(struct pf_ipc_request *req, const json_t *body);
void	 polarhook_init(void);
int64_t	 polarhook_next_deadline(void);	/* mono ms */
void	 polarhook_run(int64_t now);
/* Minutes between routine syncs: longer while Polar pushes events. */
int	 polarhook_poll_minutes(void);
/* Event type -> the streams it names (bits 1 << enum stream); 0 none. */
unsigned polarhook_event_streams(const char *event);

/* oauth.c */
/* erase.c: user.delete, answered on req once Polar and the database have. */
void	 erase_user(struct pf_ipc_request *req, const char *user_id);

void	 oauth_exchange(struct pf_ipc_request *req, const char *code,
	    const char *redirect_uri);

/* ctl.c: syncd's own verbs and its status body. */
extern const struct pf_ctl_verb ctl_verbs[];
json_t	*ctl_status(void);

/* store.c -- all SQL. */
struct pf_db;
struct due_user {
	char	 user_id[PF_USER_ID_MAX + 1];
	bool	 never;
};
/* Builds every stream's upsert before a second thread may use them. */
void	 store_init(void);
int	 store_startup_cleanup(struct pf_db *db);
int	 store_history_ahead(struct pf_db *db, int months, int *made);
/* Due users no other instance holds a lease on (owner: this one's id). */
int	 store_due_users(struct pf_db *db, int limit, bool all,
	    const char *owner, struct due_user *out, int *n);
/* When the next user is due, or another instance's lease on one ends. */
int	 store_next_due_ms(struct pf_db *db, const char *owner,
	    int64_t *out_epoch_ms);
/*
 * Leases (lease.c): take user_id for owner for secs seconds (PF_OK),
 * or PF_ERR_BUSY while another owner's lease on it is live; a sync left
 * open by an earlier holder is closed as interrupted.  renew extends
 * every lease of owner and sets *held (caller frees) to the users it
 * still holds; release gives user_id's lease up if owner holds it.
 */
int	 store_lease_take(struct pf_db *db, const char *user_id,
	    const char *owner, int secs);
int	 store_lease_renew(struct pf_db *db, const char *owner, int secs,
	    json_t **held);
int	 store_lease_release(struct pf_db *db, const char *user_id,
	    const char *owner);
int	 store_lease_drop_all(struct pf_db *db, const char *owner);
int	 store_mark_all_due(struct pf_db *db);
/* reason: why the user needs to authorise again ("" if unknown) */
/*
 * Every row of the user in every table (pf_user_delete), in one
 * transaction; *counts (caller's) is {"table": rows}.  PF_ERR_NOTFOUND when
 * no table had one.
 */
int	 store_user_erase(struct pf_db *, const char *user_id, json_t **counts);
int	 store_user_token(struct pf_db *db, const char *user_id,
	    char **sealed, bool *active, bool *reauth, char *reason,
	    size_t rlen);
/* reauth, consent_missing: 1 set, 0 clear, -1 leave alone. */
int	 store_user_flags(struct pf_db *db, const char *user_id,
	    int reauth, const char *reason, int consent_missing);
int	 store_cursors_load(struct pf_db *db, const char *user_id,
	    int64_t cursor_day[ST__COUNT], int64_t *phys_last_ms);
/* The offsets stored rows of user_id give for their days. */
int	 store_day_offsets(struct pf_db *db, const char *user_id,
	    struct day_offsets *out);
int	 store_known_exercises(struct pf_db *db, const char *user_id,
	    char ***ids, size_t *n);
int	 store_log_start(struct pf_db *db, struct job *job);
/* skipped, degraded: {stream: records}; the notes are job->dropped */
int	 store_log_finish(struct pf_db *db, struct job *job,
	    const char *status, const json_t *records, const json_t *sstat,
	    const char *error_type, const char *error_message,
	    const json_t *error_details, const json_t *skipped,
	    const json_t *degraded, int64_t first_day, int64_t last_day,
	    const struct quota *q);
/*
 * Closes log row log_id if it is still "started" and makes its user due
 * now (the sync that wrote it was cut short).
 */
int	 store_log_close(struct pf_db *db, const char *user_id,
	    int64_t log_id, const char *status, int64_t duration_ms,
	    const char *error_type, const char *error_message);
int	 store_state_finish(struct pf_db *db, const char *user_id,
	    const char *status, int interval_min, bool ok);
/*
 * Upserts rows of stream st in one transaction and advances the stream's
 * cursor to covered_day (-1 leaves it); *changed counts rows that were new
 * or different, first/last their day range, *kept rows of which some
 * column was poorer than the stored one and kept (streams[].series).
 * Every stored row that changes is first copied to replaced_rows.
 */
int	 store_upsert(struct pf_db *db, enum stream st, const char *user_id,
	    const struct rowset *rs, int64_t covered_day, int *changed,
	    int *kept, int64_t *first_day, int64_t *last_day);
int	 store_cursor_error(struct pf_db *db, const char *user_id,
	    enum stream st, const char *error);
int	 store_user_save(struct pf_db *db, const char *user_id,
	    const char *member_id, const char *sealed_token,
	    int64_t expires_in_s);
int	 store_status_users(struct pf_db *db, json_t *out);
int	 store_client_secret(struct pf_db *db, char **sealed);
/* Polar's webhook (polarhook.c); results are the caller's to PQclear. */
struct pg_result;
/* -> polar_id, url, events (JSON text), secret_enc, created_at; 0-1 rows */
int	 store_polarhook_get(struct pf_db *db, struct pg_result **res);
int	 store_polarhook_save(struct pf_db *db, const char *polar_id,
	    const char *url, const char *events, const char *sealed);
int	 store_polarhook_delete(struct pf_db *db, const char *polar_id);
/* {status: deliveries} into out */
int	 store_polarhook_counts(struct pf_db *db, json_t *out);
int	 store_polarhook_claim(struct pf_db *db, int limit, struct pg_result **res);
int	 store_polarhook_finish(struct pf_db *db, int64_t id, const char *status,
	    const char *user_id, const char *sync_id, const char *note,
	    const char *action);
int	 store_polarhook_requeue(struct pf_db *db, int64_t id);
int	 store_polarhook_prune(struct pf_db *db);
int	 store_polarhook_user(struct pf_db *db, const char *polar_user, char *out,
	    size_t len);

/* syncd.c -- the one global. */
struct pf_config;
/* What only syncd has; the common part (cfg, db, ctl, ...) is env. */
struct syncd {
	unsigned char		 key[PF_CRYPTO_KEYBYTES];
	char			*client_secret;	/* plaintext, pf_freezero */
	struct pf_ipc_pub	*pub;
	int64_t			 syncs_done;
	int64_t			 syncs_failed;
};
extern struct pf_daemon *env;
extern struct syncd *syncd;

/* env.c */
void	 syncd_publish(json_t *ev);	/* takes ownership */
/* The reload hook: checks the key of ncfg and adopts key and secret. */
int	 syncd_reload(const struct pf_config *ncfg, char *err, size_t errlen);
int	 syncd_load_key(const struct pf_config *cfg,
	    unsigned char key[PF_CRYPTO_KEYBYTES], char *err, size_t errlen);
void	 syncd_load_client_secret(const struct pf_config *cfg);

#endif /* PF_SYNCD_H */
