/*
 * request.h -- one request's state, shared by the files that handle it:
 * serve.c (the state machine and dispatch), auth.c (API keys and quota
 * leases), respond.c (answers, the access log, the response cache) and
 * synctask.c (calls to syncd/analyticsd in kore task threads).
 *
 * A request is a small state machine kept in req->hdlr_extra.  kore calls
 * apid_serve() again whenever the request is woken (a pgsql state change,
 * a finished task); each step returns KORE_RESULT_OK once the request is
 * answered, or KORE_RESULT_RETRY to let the state loop run the next state.
 */
#ifndef PF_APID_REQUEST_H
#define PF_APID_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>
#include <kore/tasks.h>

#include "common/crypto.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"

#define REQ_NCOL	5	/* columns kept from a statement's row 0 */

/* Request states (REQ_: the names are apid's, not syncd's stream ids). */
enum req_state {
	REQ_START,
	REQ_LEASE,	/* the quota lease statement runs */
	REQ_ROUTE,	/* authenticated: validate, dispatch */
	REQ_QUERY,	/* the route's statement runs */
	REQ_CALL,	/* a call to syncd/analyticsd runs in a task */
	REQ_INGEST,	/* an Apple Health push is stored and parsed */
	REQ_DONE,
	REQ_CONSOLE,	/* the console's password hash runs in a task */
};

struct reqctx;
struct call_job;
struct mcp_req;
struct ingest_job;
struct console_ctx;
typedef int	(*call_done_fn)(struct http_request *, struct reqctx *);

struct reqctx {
	int			 route;
	struct apid_match	 m;
	int			 state;
	int64_t			 t0_us;		/* monotonic */

	struct kore_pgsql	 sql;
	bool			 sql_used;
	bool			 retried;
	bool			 on_replica;	/* replica.c */
	const char		*q;
	int			 nparams;
	const char		*pv[APID_MAX_PARAMS];
	char			 pbuf[APID_MAX_PARAMS][128];
	char			*pheap[APID_MAX_PARAMS];	/* long
						   parameters (hrv.c); freed */
	int			 days;		/* APID_R_DAYS routes */
	int			 rows;
	char			*col[REQ_NCOL];
	char			 sqlstate[6];

	bool			 keyed;		/* a database key */
	bool			 master;
	char			 hash[PF_CRYPTO_SHA256_HEX_SIZE];
	int64_t			 key_id;
	char			 key_user[PF_USER_ID_MAX + 1];
	int			 rl_limit;
	int			 rl_remaining;
	long			 rl_reset;
	char			 newkey[PF_CRYPTO_API_KEY_SIZE];
	char			 uid[PF_USER_ID_MAX + 1];
	char			 ckey[512];
	size_t			 ckeylen;	/* 0: not cacheable */

	struct call_job		*job;		/* REQ_CALL; synctask.c owns */
	struct oauth_ctx	*oa;		/* OAuth bridge; oauth.c owns */
	call_done_fn		 call_done;	/* runs once job finished */

	struct mcp_req		*mcp;		/* APID_K_MCP; mcp.c owns */
	struct ingest_job	*ijob;		/* REQ_INGEST; ingest.c owns */
	struct console_ctx	*con;		/* /admin; console.c owns */
};

#define METRIC_INC(field)	\
	__atomic_fetch_add(&env->metrics->field, 1, __ATOMIC_RELAXED)

/* polarhook.c -- Polar's webhook deliveries, queued for syncd */
/* route_match()'s answer for path with polar_webhook_path applied */
int	polarhook_route(const char *method, const char *path, int route);
int	polarhook_begin(struct http_request *, struct reqctx *);
int	polarhook_query_done(struct http_request *, struct reqctx *);
/* synctask.c: tells syncd a delivery waits; done runs either way */
int	polarhook_poke(struct http_request *, struct reqctx *, call_done_fn);

/* serve.c */
int	route_begin(struct http_request *, struct reqctx *);
/* Runs q with c's parameters next; RETRY. */
int	start_query(struct reqctx *c, const char *q);
void	ctx_clear_cols(struct reqctx *c);

/* oauth.c -- the SaaS OAuth bridge's three routes */
int	oauth_begin(struct http_request *, struct reqctx *, int kind);
/* A statement of the bridge answered (c->rows/c->col), or failed. */
int	oauth_query_done(struct http_request *, struct reqctx *);
int	oauth_query_failed(struct http_request *, struct reqctx *);
void	oauth_free(struct reqctx *);

/* auth.c */
/* Answers (OK), or leads to REQ_LEASE or on into route_begin (RETRY). */
int	auth_begin(struct http_request *, struct reqctx *);
/* The lease statement's row: the key, its quota, then route_begin. */
int	lease_done(struct http_request *, struct reqctx *);
/* Forgets uid's keys here and in every other worker of this instance. */
void	keys_drop_user(const char *uid);

/* respond.c */
/* Headers on every answer, the front door's refusals included. */
struct apid_header {
	const char	*name;
	const char	*value;
};
extern const struct apid_header	apid_security_headers[];	/* NULL-ended */
/* The access log line of one answer; c is NULL before kore's request. */
void	apid_log_request(const char *method, const char *path, int status,
	    int64_t dur_us, const struct reqctx *c);
/* respond.c -- each answers the request and returns KORE_RESULT_OK. */
/*
 * The response sent as it is (headers already set): the request is done,
 * measured and logged; a draining worker closes the connection after it.
 */
int	respond_send(struct http_request *, struct reqctx *, int status,
	    const void *body, size_t len);
int	respond(struct http_request *, struct reqctx *, int status,
	    const char *ctype, const char *body, size_t len);
int	respond_json(struct http_request *, struct reqctx *, int status,
	    const char *body);
int	respond_error(struct http_request *, struct reqctx *, int status,
	    const char *detail);
int	respond_verror(struct http_request *, struct reqctx *,
	    const struct apid_verr *e);
/* A failed statement, by its SQLSTATE: 503 or 500. */
int	respond_dbfail(struct http_request *, struct reqctx *);
/* 200 with a route's body: JSON, or CSV as an attachment. */
int	respond_body(struct http_request *, struct reqctx *,
	    const struct apid_route *rt, int ctype, const char *body,
	    size_t len);
/*
 * Answers from the response cache when it can (OK), or prepares the key
 * under which query_done() stores the answer (RETRY).
 */
int	cache_begin(struct http_request *, struct reqctx *,
	    const struct apid_route *rt);
/*
 * c->ckey = tag|UTC date|c's bound parameters: an answer is cached for
 * the day it was made on.  False (and no key) when it does not fit.
 */
bool	cache_key(struct reqctx *c, const char *tag);

/* hrv.c -- the HRV session routes (APID_K_HRV_*) */
/* Once authenticated (and, but for APID_R_NOUSER, bound): OK or RETRY. */
int	hrv_begin(struct http_request *, struct reqctx *,
	    const struct apid_route *rt);
/* The route's statement answered: the response. */
int	hrv_query_done(struct http_request *, struct reqctx *,
	    const struct apid_route *rt);

/* webhook.c -- POST /api/v1/webhooks: checks the body, makes the secret */
int	webhook_begin(struct http_request *, struct reqctx *,
	    const struct apid_route *rt);

/* synctask.c */
/* POST .../sync/trigger, once the user is known to exist. */
int	sync_trigger(struct http_request *, struct reqctx *);
/* user.delete to syncd, then the erasure's answer. */
int	user_delete(struct http_request *, struct reqctx *);
/* analytics.recompute, then the route's statement. */
int	recompute_begin(struct http_request *, struct reqctx *);
/* /ready: asks syncd whether it runs, then answers. */
int	ready_begin(struct http_request *, struct reqctx *);
/* oauth.exchange of Polar's code to syncd; done runs when it answered. */
int	oauth_exchange_call(struct http_request *, struct reqctx *,
	    const char *code, const char *redirect_uri, call_done_fn done);
/* REQ_CALL: true once the task has finished (c->call_done may run). */
bool	call_finished(struct reqctx *c);
/* The finished call's rc and reply, in call_done. */
const struct ctl_call *call_result(const struct reqctx *c);
void	call_free(struct reqctx *c);
/*
 * A task on a detached thread of its own (at most APID_TASK_THREADS per
 * worker); false when none can start.  task_own_release() once it has
 * finished and is destroyed.
 */
bool	task_own_start(struct kore_task *t);
void	task_own_release(void);

/* ingest.c */
/* POST /api/v1/ingest: checks, then the job (REQ_INGEST, RETRY). */
int	ingest_begin(struct http_request *, struct reqctx *);
bool	ingest_finished(struct reqctx *c);
/* The job's answer, once it has finished. */
int	ingest_done(struct http_request *, struct reqctx *);
void	ingest_free(struct reqctx *c);

/* synctask.c, for mcp.c: sync.trigger for c->uid, answered at once. */
int	mcp_sync_call(struct http_request *, struct reqctx *,
	    call_done_fn done);

/* mcp.c */
/* The CORS headers of an OPTIONS /mcp from an allowed Origin. */
void	mcp_preflight(struct http_request *);
/* Answers 403 for an Origin not on the allow-list (OK), else RETRY. */
int	mcp_origin_check(struct http_request *, struct reqctx *);
/* A POST /mcp once authenticated: answers (OK) or runs a query (RETRY). */
int	mcp_begin(struct http_request *, struct reqctx *);
/* The statement mcp.c started has its row. */
int	mcp_query_done(struct http_request *, struct reqctx *);
/* The statement mcp.c started failed. */
int	mcp_dbfail(struct http_request *, struct reqctx *);
void	mcp_free(struct reqctx *);

/* console.c -- the admin console under /admin */
/* Answers (OK) or runs its first statement (RETRY). */
int	console_begin(struct http_request *, struct reqctx *);
/* A statement the console started has its row, or failed. */
int	console_query_done(struct http_request *, struct reqctx *);
int	console_query_failed(struct http_request *, struct reqctx *);
void	console_free(struct reqctx *);
/* REQ_CONSOLE: the task has finished; then its continuation. */
bool	console_task_finished(struct reqctx *c);
int	console_task_done(struct http_request *, struct reqctx *);

#endif /* PF_APID_REQUEST_H */
