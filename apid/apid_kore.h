/*
 * apid_kore.h -- the parts of apid that live inside kore (need its
 * headers): the process environment and the kore-facing files.
 */
#ifndef PF_APID_KORE_H
#define PF_APID_KORE_H

#include <jansson.h>

#include "common/config.h"

#include "apid/apid.h"

struct http_request;

struct apid_env {
	struct pf_config	*cfg;
	struct apid_metrics	*metrics;	/* MAP_SHARED, all workers */
	struct apid_keycache	 keys;		/* per worker */
	int64_t			 key_ttl_ms;	/* listen.c sets it */
	struct apid_cache	 cache;		/* per worker */
	bool			 cache_on;	/* LISTEN channel is up */
};

extern struct apid_env	*env;

/* serve.c */
void	serve_worker_init(void);
int	apid_serve(struct http_request *);

/* listen.c */
void	listen_init(void);
void	listen_fini(void);
void	listen_drain(void);	/* process pending notifications */

/* ctl.c -- control calls to syncd/analyticsd (nng REQ). */
/*
 * Sends {"v":1,"type":type,"user_id":uid[,"days":days]} to
 * ipc://<rundir>/<daemon>.ctl.  PF_OK with *reply (caller json_decref)
 * for any well-formed reply; PF_ERR_CLOSED when nobody listens,
 * PF_ERR_TIMEOUT, PF_ERR_PROTO.
 */
int	ctl_call(const char *daemon, const char *type, const char *uid,
	    int days, json_t **reply, int timeout_ms);
/*
 * sync.trigger with "wait": syncd answers when the sync is over, with its
 * per-stream counts.  Blocks for up to APID_SYNC_WAIT_MS: call it only
 * from a kore task thread, never from the worker's loop.
 */
int	ctl_sync_wait(const char *rundir, const char *uid, int days,
	    json_t **reply);
void	ctl_fini(void);

#endif /* PF_APID_KORE_H */
