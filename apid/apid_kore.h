/*
 * apid_kore.h -- the parts of apid that live inside kore (need its
 * headers): the process environment and the kore-facing files.
 */
#ifndef PF_APID_KORE_H
#define PF_APID_KORE_H

#include <jansson.h>

#include "common/config.h"
#include "common/ident.h"

#include "apid/apid.h"

struct http_request;

struct apid_env {
	struct pf_config	*cfg;
	struct apid_metrics	*metrics;	/* MAP_SHARED, all workers */
	struct apid_keycache	 keys;		/* per worker */
	int64_t			 key_ttl_ms;	/* listen.c sets it */
	struct apid_cache	 cache;		/* per worker */
	bool			 cache_on;	/* LISTEN channel is up */
	bool			 replica_ok;	/* replica.c: reads may go there */
};

extern struct apid_env	*env;

/* serve.c */
int	apid_serve(struct http_request *);

/*
 * body.c: the request's body appended to b (the caller's); false when it
 * cannot be read or would pass max bytes.  No body is an empty one.
 */
struct pf_buf;
bool	req_body_read(struct http_request *, struct pf_buf *b, size_t max);

/* auth.c */
void	auth_worker_init(void);

/*
 * guard.c: ends a worker whose main thread the sandbox killed.
 * guard_prepare() runs in kore's parent, guard_start() in each worker.
 */
void	guard_prepare(void);
void	guard_start(void);

/* front.c: the request timeouts' JSON 408 (a worker's timer). */
void	front_init(void);

/* drain.c: SIGTERM/SIGQUIT/SIGINT let the requests in flight finish. */
void	drain_init(void);
bool	drain_active(void);	/* answers close their connection */

/* listen.c */
void	listen_init(void);
void	listen_fini(void);
void	listen_drain(void);	/* process pending notifications */

/* replica.c */
void	replica_init(void);
void	replica_fini(void);
void	replica_failed(const char *why);	/* bypass until next probe */

/* ctl.c -- control calls to syncd/analyticsd (nng REQ). */
struct ctl_call {
	char		 rundir[256];
	const char	*daemon;	/* "syncd" / "analyticsd" (static) */
	const char	*type;		/* message type (static) */
	char		 uid[PF_USER_ID_MAX + 1];	/* "": no user_id */
	int		 days;		/* 0: no days */
	bool		 wait;		/* sync.trigger: answer when done */
	char		*code;		/* oauth.exchange: owned, freed by */
	char		*redirect_uri;	/* call_free() */
	int		 timeout_ms;
	int		 rc;		/* out */
	json_t		*reply;		/* out; the caller json_decref()s */
};
/*
 * Sends {"v":1,"type":type[,"user_id":uid][,"days":days][,"wait":true]}
 * to ipc://<rundir>/<daemon>.ctl and waits up to timeout_ms.  rc is PF_OK
 * with reply for any well-formed reply; PF_ERR_CLOSED when nobody
 * listens, PF_ERR_TIMEOUT, PF_ERR_PROTO.  Blocks: call it only from a
 * kore task thread, never from the worker's loop.
 */
void	ctl_run(struct ctl_call *cc);
void	ctl_fini(void);

#endif /* PF_APID_KORE_H */
