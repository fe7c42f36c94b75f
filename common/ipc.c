/*
 * ipc.c -- the suite's only user of nng.
 *
 * The control server keeps PF_IPC_SERVER_SLOTS REP contexts, each with its
 * own aio, so a request can stay unanswered while others are served.  nng
 * completes receives on its own threads; the callback only queues the slot
 * and bumps an eventfd, and all parsing and replying happens on the
 * daemon's thread in pf_ipc_server_next() / pf_ipc_request_reply().
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/xmalloc.h"

#define RECONN_MIN_MS	10
#define RECONN_MAX_MS	100

/* See pf_ipc_server_check(). */
#define PROBE_EVERY_MS	5000	/* from one probe to the next */
#define PROBE_GRACE_MS	2000	/* first look whether the pipe was taken */
#define PROBE_GIVEUP_MS	10000	/* not taken by then: listen again */

enum slot_state {
	SLOT_IDLE = 0,
	SLOT_RECV,	/* nng_ctx_recv outstanding */
	SLOT_QUEUED,	/* received, waiting in srv's queue */
	SLOT_HELD,	/* handed to the daemon */
	SLOT_SEND,	/* nng_ctx_send outstanding */
	SLOT_DEAD,	/* socket closed */
};

struct pf_ipc_request {
	struct pf_ipc_server	*srv;
	struct pf_ipc_request	*next;
	nng_ctx			 ctx;
	nng_aio			*aio;
	nng_msg			*msg;
	json_t			*body;
	const char		*type;
	enum slot_state		 state;
};

struct pf_ipc_server {
	nng_socket		 sock;
	int			 evfd;
	pthread_mutex_t		 mtx;
	struct pf_ipc_request	*qhead;
	struct pf_ipc_request	*qtail;
	int			 nslots;
	char			*url;
	int			 perms;		/* of the socket file */
	nng_listener		 lst;
	uint64_t		 pipes_added;	/* atomic; see probe_* */
	int			 probe_fd;	/* -1: no probe under way */
	int64_t			 probe_ms;	/* when it started or is due */
	uint64_t		 probe_base;	/* pipes_added at its start */
	bool			 check_peer;	/* allow[] is in force */
	size_t			 nallow;
	uid_t			 allow[PF_IPC_ALLOW_MAX];
	struct pf_ipc_request	 slots[PF_IPC_SERVER_SLOTS];
};

struct pf_ipc_client {
	nng_socket	 sock;
};

struct pf_ipc_pub {
	nng_socket	 sock;
};

struct pf_ipc_sub {
	nng_socket	 sock;
	int		 fd;
};

static const char *const err_names[] = {
	"ok", "internal", "nomem", "invalid", "notfound", "exists",
	"timeout", "io", "parse", "proto", "db", "db_retry", "db_conn",
	"range", "null", "type", "version", "crypto", "closed", "busy",
	"denied",
};
#define NERR_NAMES	((int)(sizeof(err_names) / sizeof(err_names[0])))

static int
map_nng(int rv)
{
	switch (rv) {
	case 0:
		return PF_OK;
	case NNG_ENOMEM:
		return PF_ERR_NOMEM;
	case NNG_ETIMEDOUT:
		return PF_ERR_TIMEOUT;
	case NNG_ECONNREFUSED:
	case NNG_ENOENT:
	case NNG_ECLOSED:
	case NNG_ECONNSHUT:
	case NNG_ECONNRESET:
		return PF_ERR_CLOSED;
	case NNG_EADDRINUSE:
		return PF_ERR_BUSY;
	case NNG_EADDRINVAL:
	case NNG_EINVAL:
	case NNG_ENOTSUP:
		return PF_ERR_INVALID;
	case NNG_EMSGSIZE:
		return PF_ERR_RANGE;
	default:
		return PF_ERR_IO;
	}
}

static bool
type_valid(const char *t)
{
	size_t	i;

	for (i = 0; t[i] != '\0'; i++) {
		if (i >= PF_IPC_TYPE_MAX)
			return false;
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= '0' && t[i] <= '9') ||
		    t[i] == '.' || t[i] == '_' || t[i] == '-'))
			return false;
	}
	return i > 0;
}

int
pf_ipc_url(char *buf, size_t len, const char *rundir, const char *name)
{
	size_t	dlen;
	int	n;

	if (len > 0)
		buf[0] = '\0';
	if (rundir == NULL || name == NULL || *rundir == '\0' ||
	    *name == '\0')
		return PF_ERR_INVALID;
	dlen = strlen(rundir);
	while (dlen > 0 && rundir[dlen - 1] == '/')
		dlen--;
	if (dlen > PF_IPC_SUN_PATH_MAX ||
	    dlen + 1 + strlen(name) > PF_IPC_SUN_PATH_MAX)
		return PF_ERR_RANGE;
	n = snprintf(buf, len, "ipc://%.*s/%s", (int)dlen, rundir, name);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return PF_ERR_RANGE;
	}
	return PF_OK;
}

json_t *
pf_ipc_msg_new(const char *type)
{
	if (type == NULL || !type_valid(type))
		return NULL;
	return json_pack("{s:i, s:s}", "v", PF_IPC_VERSION, "type", type);
}

int
pf_ipc_msg_check(const json_t *msg, const char **type)
{
	json_t		*v, *t;

	if (!json_is_object(msg))
		return PF_ERR_PROTO;
	v = json_object_get(msg, "v");
	if (!json_is_integer(v))
		return PF_ERR_PROTO;
	if (json_integer_value(v) != PF_IPC_VERSION)
		return PF_ERR_VERSION;
	t = json_object_get(msg, "type");
	if (!json_is_string(t) || !type_valid(json_string_value(t)))
		return PF_ERR_PROTO;
	if (type != NULL)
		*type = json_string_value(t);
	return PF_OK;
}

const char *
pf_ipc_err_name(int err)
{
	if (err > 0 || -err >= NERR_NAMES)
		return "internal";
	return err_names[-err];
}

int
pf_ipc_reply_error(const json_t *reply, const char **message)
{
	const char	*code;
	int		 i;

	if (message != NULL)
		*message = NULL;
	if (json_is_true(json_object_get(reply, "ok")))
		return PF_OK;
	if (message != NULL)
		*message = json_string_value(json_object_get(reply, "error"));
	code = json_string_value(json_object_get(reply, "code"));
	if (code == NULL)
		return PF_ERR_INTERNAL;
	for (i = 1; i < NERR_NAMES; i++)
		if (strcmp(code, err_names[i]) == 0)
			return -i;
	return PF_ERR_INTERNAL;
}

/*
 * Serializes msg with a completed envelope: "v" always ours, "type" and
 * "ok" added when deftype / is_reply ask for them.  NULL if msg is not an
 * object or cannot be encoded.
 */
static char *
msg_dump(const json_t *msg, const char *deftype, bool is_reply, size_t *lenp)
{
	json_t	*copy = NULL;
	char	*s = NULL;

	if (!json_is_object(msg))
		goto out;
	if ((copy = json_object()) == NULL)
		goto out;
	if (json_object_set_new(copy, "v", json_integer(PF_IPC_VERSION)) != 0)
		goto out;
	if (json_object_get(msg, "type") == NULL && deftype != NULL &&
	    json_object_set_new(copy, "type", json_string(deftype)) != 0)
		goto out;
	/* jansson's API is not const-correct; msg is only read. */
	if (json_object_update_missing(copy, (json_t *)msg) != 0)
		goto out;
	if (is_reply && json_object_get(copy, "ok") == NULL &&
	    json_object_set_new(copy, "ok", json_true()) != 0)
		goto out;
	if ((s = json_dumps(copy, JSON_COMPACT)) != NULL)
		*lenp = strlen(s);
 out:
	json_decref(copy);
	return s;
}

int
pf_ipc_msg_parse(const void *buf, size_t len, json_t **out, const char **why)
{
	json_error_t	 jerr;
	json_t		*m;
	int		 rv;

	if ((m = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		*why = "not a JSON object";
		return PF_ERR_PROTO;
	}
	if ((rv = pf_ipc_msg_check(m, NULL)) != PF_OK) {
		if (rv == PF_ERR_VERSION)
			*why = "unsupported protocol version";
		else if (!json_is_object(m))
			*why = "not a JSON object";
		else
			*why = "missing or invalid \"v\" or \"type\"";
		json_decref(m);
		return rv;
	}
	*out = m;
	return PF_OK;
}

static int
sock_listen(nng_socket sock, const char *url, int perms_mode,
    nng_listener *lp)
{
	nng_listener	l;
	int		rv;

	if ((rv = nng_listener_create(&l, sock, url)) != 0)
		goto out;
	if (perms_mode != 0 && strncmp(url, "ipc://", 6) == 0 &&
	    (rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS,
	    perms_mode)) != 0) {
		nng_listener_close(l);
		goto out;
	}
	if ((rv = nng_listener_start(l, 0)) != 0) {
		nng_listener_close(l);
		goto out;
	}
	if (lp != NULL)
		*lp = l;
 out:
	if (rv != 0)
		pf_log_warnx("could not listen on %s: %s", url,
		    nng_strerror(rv));
	return map_nng(rv);
}

/* Server. */

static void
slot_recv(struct pf_ipc_request *r)
{
	r->state = SLOT_RECV;
	nng_ctx_recv(r->ctx, r->aio);
}

static void
slot_enqueue(struct pf_ipc_request *r)
{
	struct pf_ipc_server	*srv = r->srv;
	uint64_t		 one = 1;
	ssize_t			 n;

	pthread_mutex_lock(&srv->mtx);
	r->state = SLOT_QUEUED;
	r->next = NULL;
	if (srv->qtail != NULL)
		srv->qtail->next = r;
	else
		srv->qhead = r;
	srv->qtail = r;
	/* Only overflow could fail, and then the fd is readable anyway. */
	n = write(srv->evfd, &one, sizeof(one));
	(void)n;
	pthread_mutex_unlock(&srv->mtx);
}

static struct pf_ipc_request *
slot_dequeue(struct pf_ipc_server *srv)
{
	struct pf_ipc_request	*r;
	uint64_t		 cnt;
	ssize_t			 n;

	pthread_mutex_lock(&srv->mtx);
	if ((r = srv->qhead) != NULL) {
		srv->qhead = r->next;
		if (srv->qhead == NULL)
			srv->qtail = NULL;
		r->next = NULL;
	}
	/* Keep "fd readable" equal to "queue not empty". */
	if (srv->qhead == NULL) {
		n = read(srv->evfd, &cnt, sizeof(cnt));
		(void)n;
	}
	pthread_mutex_unlock(&srv->mtx);
	return r;
}

/* Runs on an nng thread. */
static void
slot_cb(void *arg)
{
	struct pf_ipc_request	*r = arg;
	int			 rv;

	rv = nng_aio_result(r->aio);
	if (r->state == SLOT_SEND && rv != 0)
		nng_msg_free(nng_aio_get_msg(r->aio));
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		r->state = SLOT_DEAD;
		return;
	}
	if (r->state == SLOT_RECV && rv == 0) {
		r->msg = nng_aio_get_msg(r->aio);
		nng_aio_set_msg(r->aio, NULL);
		slot_enqueue(r);
		return;
	}
	slot_recv(r);
}

/* Sends len bytes as the reply of r and recycles the slot. */
static int
slot_send(struct pf_ipc_request *r, const char *buf, size_t len)
{
	nng_msg	*m = NULL;
	int	 rv;

	json_decref(r->body);
	r->body = NULL;
	r->type = NULL;
	if ((rv = nng_msg_alloc(&m, 0)) != 0 ||
	    (rv = nng_msg_append(m, buf, len)) != 0) {
		if (m != NULL)
			nng_msg_free(m);
		pf_log_warnx("could not build reply: %s", nng_strerror(rv));
		slot_recv(r);
		return map_nng(rv);
	}
	nng_aio_set_msg(r->aio, m);
	r->state = SLOT_SEND;
	nng_ctx_send(r->ctx, r->aio);
	return PF_OK;
}

static int
slot_send_error(struct pf_ipc_request *r, int err, const char *message)
{
	json_t	*rep;
	char	*s;
	size_t	 len = 0;
	int	 rv;

	rep = json_pack("{s:i, s:s, s:b, s:s, s:s}", "v", PF_IPC_VERSION,
	    "type", "error", "ok", 0, "code", pf_ipc_err_name(err),
	    "error", message);
	if (rep == NULL)	/* message was not UTF-8 */
		rep = json_pack("{s:i, s:s, s:b, s:s, s:s}", "v",
		    PF_IPC_VERSION, "type", "error", "ok", 0, "code",
		    pf_ipc_err_name(err), "error", "request failed");
	if (rep == NULL || (s = json_dumps(rep, JSON_COMPACT)) == NULL) {
		json_decref(rep);
		slot_recv(r);
		return PF_ERR_NOMEM;
	}
	len = strlen(s);
	rv = slot_send(r, s, len);
	free(s);
	json_decref(rep);
	return rv;
}

/* Runs on an nng thread: the socket took a pipe (see the probe below). */
static void
pipe_added(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct pf_ipc_server	*srv = arg;

	(void)p;
	(void)ev;
	__atomic_add_fetch(&srv->pipes_added, 1, __ATOMIC_RELAXED);
}

int
pf_ipc_server_open(struct pf_ipc_server **out, const char *url,
    int perms_mode)
{
	struct pf_ipc_server	*srv;
	struct pf_ipc_request	*r;
	int			 i, rv, r2 = PF_ERR_IO;

	srv = pf_xcalloc(1, sizeof(*srv));
	srv->evfd = -1;
	srv->probe_fd = -1;
	pthread_mutex_init(&srv->mtx, NULL);
	srv->url = pf_xstrdup(url);
	if ((rv = nng_rep0_open(&srv->sock)) != 0 ||
	    (rv = nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ,
	    PF_IPC_MAX_MSG)) != 0) {
		pf_log_warnx("could not open control socket: %s",
		    nng_strerror(rv));
		r2 = map_nng(rv);
		goto out;
	}
	if ((srv->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		pf_log_warn("eventfd");
		goto out;
	}
	for (i = 0; i < PF_IPC_SERVER_SLOTS; i++) {
		r = &srv->slots[i];
		r->srv = srv;
		if ((rv = nng_ctx_open(&r->ctx, srv->sock)) != 0)
			break;
		if ((rv = nng_aio_alloc(&r->aio, slot_cb, r)) != 0) {
			nng_ctx_close(r->ctx);
			break;
		}
		srv->nslots++;
	}
	if (rv != 0) {
		pf_log_warnx("could not set up control socket: %s",
		    nng_strerror(rv));
		r2 = map_nng(rv);
		goto out;
	}
	srv->perms = perms_mode;
	if ((rv = nng_pipe_notify(srv->sock, NNG_PIPE_EV_ADD_POST, pipe_added,
	    srv)) != 0) {
		r2 = map_nng(rv);
		goto out;
	}
	if ((r2 = sock_listen(srv->sock, url, perms_mode, &srv->lst)) != PF_OK)
		goto out;
	for (i = 0; i < srv->nslots; i++)
		slot_recv(&srv->slots[i]);
	*out = srv;
	srv = NULL;
	r2 = PF_OK;
 out:
	pf_ipc_server_close(srv);
	return r2;
}

int
pf_ipc_server_fd(const struct pf_ipc_server *srv)
{
	return srv->evfd;
}

int
pf_ipc_server_allow(struct pf_ipc_server *srv, const uid_t *uids, size_t n)
{
	if (n > PF_IPC_ALLOW_MAX)
		return PF_ERR_RANGE;
	memcpy(srv->allow, uids, n * sizeof(uids[0]));
	srv->nallow = n;
	srv->check_peer = true;
	return PF_OK;
}

/*
 * Whether the sender of msg may ask: the kernel's record of the peer's
 * effective uid at connect time, which the peer cannot forge.
 */
static bool
peer_allowed(const struct pf_ipc_server *srv, nng_msg *msg, uint64_t *uid)
{
	size_t	i;

	*uid = UINT64_MAX;
	if (!srv->check_peer)
		return true;
	if (nng_pipe_get_uint64(nng_msg_get_pipe(msg), NNG_OPT_IPC_PEER_UID,
	    uid) != 0)
		return false;
	for (i = 0; i < srv->nallow; i++)
		if ((uint64_t)srv->allow[i] == *uid)
			return true;
	return false;
}

int
pf_ipc_server_next(struct pf_ipc_server *srv, struct pf_ipc_request **out)
{
	struct pf_ipc_request	*r;
	const char		*why;
	uint64_t		 uid;
	int			 rv;

	while ((r = slot_dequeue(srv)) != NULL) {
		if (!peer_allowed(srv, r->msg, &uid)) {
			nng_msg_free(r->msg);
			r->msg = NULL;
			if (uid == UINT64_MAX)
				pf_log_warnx("refused a request on %s: the "
				    "peer's uid is unknown", srv->url);
			else
				pf_log_warnx("refused a request on %s from "
				    "uid %" PRIu64 ": not allowed", srv->url,
				    uid);
			slot_send_error(r, PF_ERR_DENIED, "permission denied");
			continue;
		}
		rv = pf_ipc_msg_parse(nng_msg_body(r->msg), nng_msg_len(r->msg),
		    &r->body, &why);
		nng_msg_free(r->msg);
		r->msg = NULL;
		if (rv == PF_OK) {
			r->type = json_string_value(json_object_get(r->body,
			    "type"));
			if (strcmp(r->type, "error") != 0) {
				r->state = SLOT_HELD;
				*out = r;
				return PF_OK;
			}
			why = "reserved type \"error\"";
			rv = PF_ERR_PROTO;
		}
		pf_log_warnx("rejected malformed request on %s: %s", srv->url,
		    why);
		slot_send_error(r, rv, why);
	}
	return PF_ERR_NOTFOUND;
}

const json_t *
pf_ipc_request_body(const struct pf_ipc_request *req)
{
	return req->body;
}

const char *
pf_ipc_request_type(const struct pf_ipc_request *req)
{
	return req->type;
}

int
pf_ipc_request_reply(struct pf_ipc_request *req, const json_t *reply)
{
	char	*s;
	size_t	 len = 0;
	int	 rv;

	s = msg_dump(reply, req->type, true, &len);
	if (s == NULL || len > PF_IPC_MAX_MSG) {
		pf_log_warnx("could not send reply to %s request: %s",
		    req->type, s == NULL ? "not a JSON object" : "too big");
		free(s);
		slot_send_error(req, PF_ERR_INTERNAL, "invalid reply");
		return PF_ERR_INVALID;
	}
	rv = slot_send(req, s, len);
	free(s);
	return rv;
}

int
pf_ipc_request_fail(struct pf_ipc_request *req, int err, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return slot_send_error(req, err, buf);
}

void
pf_ipc_server_close(struct pf_ipc_server *srv)
{
	struct pf_ipc_request	*r;
	int			 i;

	if (srv == NULL)
		return;
	/* Aborts every outstanding aio with NNG_ECLOSED. */
	nng_close(srv->sock);
	for (i = 0; i < srv->nslots; i++) {
		r = &srv->slots[i];
		/* Waits for a callback still running. */
		nng_aio_free(r->aio);
		if (r->msg != NULL)
			nng_msg_free(r->msg);
		json_decref(r->body);
	}
	if (srv->evfd != -1)
		close(srv->evfd);
	if (srv->probe_fd != -1)
		close(srv->probe_fd);
	pthread_mutex_destroy(&srv->mtx);
	free(srv->url);
	free(srv);
}

/*
 * The probe of pf_ipc_server_check(): a client of our own that speaks the
 * SP handshake of a REQ peer by hand, so it needs no thread and never
 * blocks.  The socket file is the url's path.
 */
static int
probe_start(struct pf_ipc_server *srv)
{
	static const unsigned char hello[8] = {
		0, 'S', 'P', 0, 0, 48 /* REQ */, 0, 0 };
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd, saved;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    srv->url + 6) >= sizeof(sun.sun_path))
		return PF_ERR_RANGE;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return PF_ERR_IO;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    write(fd, hello, sizeof(hello)) != (ssize_t)sizeof(hello)) {
		saved = errno;
		close(fd);
		/* a full backlog is not a dead listener: try again later */
		return saved == EAGAIN ? PF_ERR_BUSY : PF_ERR_IO;
	}
	srv->probe_fd = fd;
	srv->probe_base = __atomic_load_n(&srv->pipes_added, __ATOMIC_RELAXED);
	return PF_OK;
}

static int
relisten(struct pf_ipc_server *srv)
{
	pf_log_warnx("%s stopped taking connections (a client went away "
	    "during the handshake); listening again", srv->url);
	nng_listener_close(srv->lst);
	return sock_listen(srv->sock, srv->url, srv->perms, &srv->lst);
}

int
pf_ipc_server_check(struct pf_ipc_server *srv, int64_t now_ms,
    int64_t *next_ms)
{
	bool	taken;
	int	rv = PF_OK;

	*next_ms = INT64_MAX;
	if (strncmp(srv->url, "ipc://", 6) != 0)
		return PF_OK;
	if (srv->probe_fd == -1) {
		if (now_ms >= srv->probe_ms) {
			rv = probe_start(srv);
			if (rv == PF_ERR_IO)
				rv = relisten(srv);	/* file gone, refused */
			else
				rv = PF_OK;
			srv->probe_ms = now_ms + (srv->probe_fd != -1 ?
			    PROBE_GRACE_MS : PROBE_EVERY_MS);
		}
		*next_ms = srv->probe_ms;
		return rv;
	}
	if (now_ms < srv->probe_ms) {
		*next_ms = srv->probe_ms;
		return PF_OK;
	}
	taken = __atomic_load_n(&srv->pipes_added, __ATOMIC_RELAXED) !=
	    srv->probe_base;
	/*
	 * Closing before the handshake is over is what breaks the listener,
	 * and a busy machine (valgrind) may take its time to hand the pipe
	 * over: wait up to PROBE_GIVEUP_MS before calling the socket dead.
	 */
	if (!taken &&
	    now_ms < srv->probe_ms - PROBE_GRACE_MS + PROBE_GIVEUP_MS) {
		*next_ms = now_ms + 100;
		return PF_OK;
	}
	close(srv->probe_fd);
	srv->probe_fd = -1;
	if (!taken)
		rv = relisten(srv);
	srv->probe_ms = now_ms + PROBE_EVERY_MS;
	*next_ms = srv->probe_ms;
	return rv;
}

/* Client. */

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
pf_ipc_client_open(struct pf_ipc_client **out, const char *url)
{
	nng_socket	sock;
	int		rv;

	if ((rv = nng_req0_open(&sock)) != 0)
		return map_nng(rv);
	/*
	 * No resend: a deferred reply (sync.trigger wait) may take longer
	 * than nng's one minute default, and a resent request would be a
	 * second request to the daemon.
	 */
	if ((rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ,
	    PF_IPC_MAX_MSG)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME,
	    NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_RECONNMINT,
	    RECONN_MIN_MS)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_RECONNMAXT,
	    RECONN_MAX_MS)) != 0)
		goto out;
	/* Synchronous: refused or missing socket file fails right away. */
	rv = nng_dial(sock, url, NULL, 0);
 out:
	if (rv != 0) {
		nng_close(sock);
		if (map_nng(rv) == PF_ERR_CLOSED)
			pf_log_debug("could not connect to %s: %s", url,
			    nng_strerror(rv));
		else
			pf_log_warnx("could not connect to %s: %s", url,
			    nng_strerror(rv));
		return map_nng(rv);
	}
	*out = pf_xcalloc(1, sizeof(**out));
	(*out)->sock = sock;
	return PF_OK;
}

void
pf_ipc_client_close(struct pf_ipc_client *cl)
{
	if (cl == NULL)
		return;
	nng_close(cl->sock);
	free(cl);
}

static int
client_exchange(struct pf_ipc_client *cl, const void *buf, size_t len,
    const char *reqtype, json_t **reply, int timeout_ms)
{
	json_t		*rep = NULL;
	const char	*type, *why;
	char		*rbuf = NULL;
	size_t		 rlen = 0;
	int64_t		 deadline, left;
	int		 rv;

	deadline = now_ms() + timeout_ms;
	if ((rv = nng_socket_set_ms(cl->sock, NNG_OPT_SENDTIMEO,
	    timeout_ms)) != 0 ||
	    (rv = nng_send(cl->sock, (void *)buf, len, 0)) != 0)
		return map_nng(rv);
	left = deadline - now_ms();
	if (left < 1)
		left = 1;
	if ((rv = nng_socket_set_ms(cl->sock, NNG_OPT_RECVTIMEO,
	    (nng_duration)left)) != 0 ||
	    (rv = nng_recv(cl->sock, &rbuf, &rlen, NNG_FLAG_ALLOC)) != 0)
		return map_nng(rv);
	rv = pf_ipc_msg_parse(rbuf, rlen, &rep, &why);
	nng_free(rbuf, rlen);
	if (rv != PF_OK) {
		pf_log_debug("bad reply: %s", why);
		return rv;
	}
	pf_ipc_msg_check(rep, &type);
	rv = PF_ERR_PROTO;
	if (json_is_true(json_object_get(rep, "ok"))) {
		if (reqtype != NULL && strcmp(type, reqtype) != 0)
			goto out;
	} else if (json_is_false(json_object_get(rep, "ok"))) {
		if (strcmp(type, "error") != 0 ||
		    !json_is_string(json_object_get(rep, "error")))
			goto out;
	} else
		goto out;
	*reply = rep;
	rep = NULL;
	rv = PF_OK;
 out:
	if (rv != PF_OK)
		pf_log_debug("bad reply: unexpected \"type\" or \"ok\"");
	json_decref(rep);
	return rv;
}

int
pf_ipc_client_call(struct pf_ipc_client *cl, const json_t *request,
    json_t **reply, int timeout_ms)
{
	const char	*type;
	char		*s;
	size_t		 len = 0;
	int		 rv;

	type = json_string_value(json_object_get(request, "type"));
	if (timeout_ms <= 0 || type == NULL || !type_valid(type) ||
	    strcmp(type, "error") == 0)
		return PF_ERR_INVALID;
	if ((s = msg_dump(request, NULL, false, &len)) == NULL)
		return PF_ERR_INVALID;
	if (len > PF_IPC_MAX_MSG)
		rv = PF_ERR_RANGE;
	else
		rv = client_exchange(cl, s, len, type, reply, timeout_ms);
	free(s);
	return rv;
}

int
pf_ipc_client_call_raw(struct pf_ipc_client *cl, const void *buf, size_t len,
    json_t **reply, int timeout_ms)
{
	if (timeout_ms <= 0)
		return PF_ERR_INVALID;
	return client_exchange(cl, buf, len, NULL, reply, timeout_ms);
}

int
pf_ipc_call(const char *url, const json_t *request, json_t **reply,
    int timeout_ms)
{
	struct pf_ipc_client	*cl;
	const char		*type;
	int			 rv;

	type = json_string_value(json_object_get(request, "type"));
	if (timeout_ms <= 0 || type == NULL || !type_valid(type))
		return PF_ERR_INVALID;
	if ((rv = pf_ipc_client_open(&cl, url)) != PF_OK)
		return rv;
	rv = pf_ipc_client_call(cl, request, reply, timeout_ms);
	pf_ipc_client_close(cl);
	return rv;
}

/* Events. */

int
pf_ipc_pub_open(struct pf_ipc_pub **out, const char *url, int perms_mode)
{
	nng_socket	sock;
	int		rv;

	if ((rv = nng_pub0_open(&sock)) != 0) {
		pf_log_warnx("could not open event socket: %s",
		    nng_strerror(rv));
		return map_nng(rv);
	}
	if ((rv = sock_listen(sock, url, perms_mode, NULL)) != PF_OK) {
		nng_close(sock);
		return rv;
	}
	*out = pf_xcalloc(1, sizeof(**out));
	(*out)->sock = sock;
	return PF_OK;
}

int
pf_ipc_publish_raw(struct pf_ipc_pub *pub, const void *buf, size_t len)
{
	int	rv;

	/* PUB never blocks; NONBLOCK only guards against surprises. */
	if ((rv = nng_send(pub->sock, (void *)buf, len,
	    NNG_FLAG_NONBLOCK)) != 0) {
		pf_log_warnx("could not publish event: %s", nng_strerror(rv));
		return PF_ERR_IO;
	}
	return PF_OK;
}

int
pf_ipc_publish(struct pf_ipc_pub *pub, const json_t *msg)
{
	const char	*type;
	char		*s;
	size_t		 len = 0;
	int		 rv;

	type = json_string_value(json_object_get(msg, "type"));
	if (type == NULL || !type_valid(type))
		return PF_ERR_INVALID;
	if ((s = msg_dump(msg, NULL, false, &len)) == NULL)
		return PF_ERR_INVALID;
	if (len > PF_IPC_MAX_MSG)
		rv = PF_ERR_RANGE;
	else
		rv = pf_ipc_publish_raw(pub, s, len);
	free(s);
	return rv;
}

void
pf_ipc_pub_close(struct pf_ipc_pub *pub)
{
	if (pub == NULL)
		return;
	nng_close(pub->sock);
	free(pub);
}

int
pf_ipc_sub_open(struct pf_ipc_sub **out, const char *url)
{
	nng_socket	sock;
	int		rv, fd = -1;

	if ((rv = nng_sub0_open(&sock)) != 0) {
		pf_log_warnx("could not open event socket: %s",
		    nng_strerror(rv));
		return map_nng(rv);
	}
	/* nng 1.5 delivers nothing until a subscription is set. */
	if ((rv = nng_socket_set(sock, NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0 ||
	    (rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ,
	    PF_IPC_MAX_MSG)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_RECONNMINT,
	    RECONN_MIN_MS)) != 0 ||
	    (rv = nng_socket_set_ms(sock, NNG_OPT_RECONNMAXT,
	    RECONN_MAX_MS)) != 0 ||
	    (rv = nng_dial(sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0 ||
	    (rv = nng_socket_get_int(sock, NNG_OPT_RECVFD, &fd)) != 0) {
		pf_log_warnx("could not subscribe to %s: %s", url,
		    nng_strerror(rv));
		nng_close(sock);
		return map_nng(rv);
	}
	*out = pf_xcalloc(1, sizeof(**out));
	(*out)->sock = sock;
	(*out)->fd = fd;
	return PF_OK;
}

int
pf_ipc_sub_fd(const struct pf_ipc_sub *sub)
{
	return sub->fd;
}

int
pf_ipc_sub_recv(struct pf_ipc_sub *sub, json_t **out)
{
	const char	*why;
	char		*buf = NULL;
	size_t		 len = 0;
	int		 rv;

	rv = nng_recv(sub->sock, &buf, &len, NNG_FLAG_ALLOC |
	    NNG_FLAG_NONBLOCK);
	if (rv == NNG_EAGAIN)
		return PF_ERR_NOTFOUND;
	if (rv != 0)
		return map_nng(rv);
	rv = pf_ipc_msg_parse(buf, len, out, &why);
	nng_free(buf, len);
	if (rv != PF_OK)
		pf_log_warnx("dropped malformed event: %s", why);
	return rv;
}

void
pf_ipc_sub_close(struct pf_ipc_sub *sub)
{
	if (sub == NULL)
		return;
	nng_close(sub->sock);
	free(sub);
}

void
pf_ipc_fini(void)
{
	nng_fini();
}
