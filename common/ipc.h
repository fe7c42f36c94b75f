/*
 * ipc.h -- control (REQ/REP) and event (PUB/SUB) messaging over nng.
 *
 * ipc.c is the only file of the suite that includes nng headers; nng error
 * numbers never cross this interface, they are mapped to enum pf_err.
 *
 * Every message is one JSON object (jansson) of at most PF_IPC_MAX_MSG bytes
 * with an envelope:
 *
 *	"v"	integer, the protocol version, PF_IPC_VERSION
 *	"type"	string, 1..PF_IPC_TYPE_MAX characters of [A-Za-z0-9._-],
 *		e.g. "status", "sync.trigger", "data.changed"
 *
 * Receivers check both.  Control replies use one scheme:
 *
 *	success	{"v":1, "type":"<request type>", "ok":true, ...}
 *	failure	{"v":1, "type":"error", "ok":false, "error":"<message>",
 *		 "code":"<name>"}
 *
 * where "code" is a stable name of an enum pf_err ("proto", "version",
 * "invalid", "notfound", "busy", ...; see pf_ipc_err_name()).  A malformed
 * request (not JSON, not an object, "v" missing or wrong, "type" missing or
 * invalid) is answered with such an error reply by this module itself and
 * never reaches the daemon.  "error" is a reserved type for requests.
 *
 * Threads: the daemons are single-threaded poll() loops and call everything
 * here from that one thread.  nng runs its own threads internally; the
 * server hands their completions to the loop through pf_ipc_server_fd().
 * Distinct handles may be used from distinct threads.
 *
 * Call pf_ipc_fini() once at exit, after every handle is closed.
 */
#ifndef PF_COMMON_IPC_H
#define PF_COMMON_IPC_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PF_IPC_VERSION		1
#define PF_IPC_MAX_MSG		(1024 * 1024)	/* bytes on the wire */
#define PF_IPC_TYPE_MAX		64
#define PF_IPC_SERVER_SLOTS	16	/* requests held by the daemon at once */
#define PF_IPC_SUN_PATH_MAX	107	/* sizeof(sun_path) - 1 on Linux */
#define PF_IPC_ALLOW_MAX	16	/* uids pf_ipc_server_allow() holds */

struct pf_ipc_server;
struct pf_ipc_request;
struct pf_ipc_client;
struct pf_ipc_pub;
struct pf_ipc_sub;

/*
 * Writes "ipc://<rundir>/<name>" into buf.  Trailing slashes of rundir are
 * ignored.  PF_ERR_RANGE if the socket path "<rundir>/<name>" is longer than
 * PF_IPC_SUN_PATH_MAX or buf is too small (buf is then an empty string);
 * PF_ERR_INVALID for an empty rundir or name.
 */
int	pf_ipc_url(char *buf, size_t len, const char *rundir, const char *name);

/*
 * Returns a new envelope {"v":PF_IPC_VERSION,"type":type}, owned by the
 * caller (json_decref), or NULL if type is not a valid type name.
 */
json_t	*pf_ipc_msg_new(const char *type);

/*
 * Checks the envelope of msg.  PF_OK, and *type (may be NULL) points to the
 * type string, borrowed from msg; PF_ERR_PROTO if msg is not an object or
 * "v"/"type" is missing or malformed; PF_ERR_VERSION if "v" is an integer
 * other than PF_IPC_VERSION.
 */
int	pf_ipc_msg_check(const json_t *msg, const char **type);

/*
 * Parses one message as received (len bytes, no NUL needed; duplicate keys
 * refused) and checks its envelope.  PF_OK with *out a new reference owned
 * by the caller; otherwise PF_ERR_PROTO or PF_ERR_VERSION with *why set to
 * a static sentence for the error reply.  Every receiver here uses it.
 */
int	pf_ipc_msg_parse(const void *buf, size_t len, json_t **out,
	    const char **why);

/*
 * Stable lower-case name of an enum pf_err for the "code" of error replies
 * ("proto", "version", ...); "internal" for unknown codes.  Static string.
 */
const char *pf_ipc_err_name(int err);

/*
 * For a reply accepted by pf_ipc_call(): PF_OK if "ok" is true, otherwise
 * the enum pf_err named by its "code" (PF_ERR_INTERNAL if unknown), and
 * *message (may be NULL) points to its "error" text, borrowed from reply.
 */
int	pf_ipc_reply_error(const json_t *reply, const char **message);

/* Control server (REP). */

/*
 * Binds a REP socket at url (e.g. from pf_ipc_url()) and starts receiving.
 * perms_mode, if not 0, is applied to the ipc socket file (e.g. 0660).  A
 * stale socket file left by a dead process is reclaimed.  Sets *out only on
 * success.  PF_ERR_BUSY if another live process listens on url,
 * PF_ERR_INVALID for a bad url, PF_ERR_IO otherwise (logged).
 */
int	pf_ipc_server_open(struct pf_ipc_server **out, const char *url,
	    int perms_mode);

/*
 * From now on, answers only peers whose effective uid (recorded by the
 * kernel when they connected, so not forgeable) is one of uids[0..n):
 * any other request gets a "denied" error reply and a log line, and never
 * reaches the daemon.  Without a call every peer that can open the socket
 * file is answered.  Replaces the previous set.  PF_ERR_RANGE if n is
 * above PF_IPC_ALLOW_MAX.
 */
int	pf_ipc_server_allow(struct pf_ipc_server *srv, const uid_t *uids,
	    size_t n);

/*
 * Keeps an ipc:// server taking connections; a no-op for other urls.
 * nng 1.5.2's ipc listener stops accepting for good once a client closes
 * its connection in the middle of the SP handshake -- a bare connect() and
 * close(), or a second daemon checking whether the socket is in use -- and
 * the daemon would answer nobody again.  So every few seconds this opens a
 * connection of its own, completes the handshake and, a grace period
 * later, checks that the socket took the pipe; if it did not, the listener
 * is closed and opened again (logged).  Never blocks.  Call it from the
 * loop whenever now_ms (monotonic) reaches *next_ms, which it sets.  PF_OK
 * while the socket serves or was restored; a pf_err if it could not listen
 * again, and the caller should then stop telling a watchdog it is well.
 */
int	pf_ipc_server_check(struct pf_ipc_server *srv, int64_t now_ms,
	    int64_t *next_ms);

/*
 * Descriptor to poll() for POLLIN: readable while requests wait for
 * pf_ipc_server_next().  Owned by the server; do not read or close it.
 */
int	pf_ipc_server_fd(const struct pf_ipc_server *srv);

/*
 * Non-blocking.  PF_OK and *out is the next valid request, owned by the
 * server until it is passed to pf_ipc_request_reply() (or the server is
 * closed); PF_ERR_NOTFOUND when none is waiting.  Malformed requests met on
 * the way are answered with an error reply, logged with pf_log_warnx and
 * skipped.  Call it until PF_ERR_NOTFOUND whenever the fd polls readable.
 *
 * A request may be kept across loop iterations (a deferred reply) while
 * later requests are answered.  At most PF_IPC_SERVER_SLOTS requests are in
 * the daemon's hands at once; beyond that, new clients wait in nng (and
 * time out on their side) until a reply frees a slot.
 */
int	pf_ipc_server_next(struct pf_ipc_server *srv,
	    struct pf_ipc_request **out);

/* Validated body and its "type", borrowed until the request is replied. */
const json_t *pf_ipc_request_body(const struct pf_ipc_request *req);
const char *pf_ipc_request_type(const struct pf_ipc_request *req);

/*
 * Sends reply (borrowed, not modified) as the answer to req; the sent copy
 * gets "v", and "type" (the request's type) and "ok" (true) if missing.
 * req is consumed whatever the result: it must not be used again.
 * PF_ERR_INVALID if reply is not an object or too big to send: the client
 * then gets an "internal" error reply instead.  PF_ERR_NOMEM if no reply
 * could be queued (the client times out).  A client that went away meanwhile
 * is not an error: the reply is dropped.
 */
int	pf_ipc_request_reply(struct pf_ipc_request *req, const json_t *reply);

/*
 * Answers req with an error reply {"type":"error","ok":false,"code":
 * pf_ipc_err_name(err),"error":<formatted message>}.  Consumes req like
 * pf_ipc_request_reply().  Never put secrets in the message.
 */
int	pf_ipc_request_fail(struct pf_ipc_request *req, int err,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Closes the socket.  Requests still queued or held by the daemon are
 * dropped (their clients time out) and freed: every struct pf_ipc_request
 * of srv is invalid afterwards.  Accepts NULL.
 */
void	pf_ipc_server_close(struct pf_ipc_server *srv);

/* Control client (REQ). */

/*
 * One request, one reply: dials url synchronously, sends request
 * (borrowed; the sent copy gets "v"), waits up to timeout_ms (> 0) for the
 * reply.  On PF_OK, *reply is a reply with a valid envelope, owned by the
 * caller: either {"ok":true} with the request's type or {"type":"error",
 * "ok":false,...} (see pf_ipc_reply_error()).  Errors:
 *	PF_ERR_CLOSED	nobody listens on url (the daemon is not running),
 *			returned at once, never after a wait; or the
 *			connection broke while waiting (the daemon exited,
 *			or dropped a message bigger than PF_IPC_MAX_MSG)
 *	PF_ERR_TIMEOUT	no reply within timeout_ms
 *	PF_ERR_VERSION	the reply carries another protocol version
 *	PF_ERR_PROTO	the reply is malformed or answers another type
 *	PF_ERR_INVALID	request has no valid "type", timeout_ms <= 0
 *	PF_ERR_RANGE	request bigger than PF_IPC_MAX_MSG
 *	PF_ERR_IO	any other failure (e.g. permission denied; logged)
 */
int	pf_ipc_call(const char *url, const json_t *request, json_t **reply,
	    int timeout_ms);

/*
 * A reusable client for repeated calls.  open dials synchronously
 * (PF_ERR_CLOSED if nobody listens) and then reconnects in the background
 * if the daemon restarts; a call made while it is away ends in
 * PF_ERR_TIMEOUT.  One call at a time per client.  close accepts NULL.
 */
int	pf_ipc_client_open(struct pf_ipc_client **out, const char *url);
int	pf_ipc_client_call(struct pf_ipc_client *cl, const json_t *request,
	    json_t **reply, int timeout_ms);
void	pf_ipc_client_close(struct pf_ipc_client *cl);

/*
 * Sends len bytes as they are (no envelope, no size check) and receives and
 * checks the reply as pf_ipc_client_call() does, except that its type is
 * not compared with the request's.  For tests and debugging tools.
 */
int	pf_ipc_client_call_raw(struct pf_ipc_client *cl, const void *buf,
	    size_t len, json_t **reply, int timeout_ms);

/* Events (PUB/SUB).  Events are hints: delivery is not guaranteed. */

/*
 * Binds a PUB socket at url; perms_mode as for pf_ipc_server_open().
 * Sets *out only on success; errors as pf_ipc_server_open().
 */
int	pf_ipc_pub_open(struct pf_ipc_pub **out, const char *url,
	    int perms_mode);

/*
 * Publishes msg (borrowed; the sent copy gets "v").  Never blocks: with no
 * subscriber, or a slow one, the message is dropped silently.
 * PF_ERR_INVALID if msg has no valid "type", PF_ERR_RANGE if it is bigger
 * than PF_IPC_MAX_MSG, PF_ERR_IO if nng refused it.
 */
int	pf_ipc_publish(struct pf_ipc_pub *pub, const json_t *msg);

/* Publishes len bytes as they are.  For tests and debugging tools. */
int	pf_ipc_publish_raw(struct pf_ipc_pub *pub, const void *buf,
	    size_t len);
void	pf_ipc_pub_close(struct pf_ipc_pub *pub);

/*
 * Subscribes to every event published at url.  Dials in the background and
 * redials every 10-100 ms, so the publisher may start later or restart;
 * events published meanwhile are lost.  Sets *out only on success;
 * PF_ERR_INVALID for a bad url, PF_ERR_IO otherwise.
 */
int	pf_ipc_sub_open(struct pf_ipc_sub **out, const char *url);

/* Descriptor to poll() for POLLIN; owned by the subscriber. */
int	pf_ipc_sub_fd(const struct pf_ipc_sub *sub);

/*
 * Non-blocking.  PF_OK: *out is the next event with a valid envelope, owned
 * by the caller.  PF_ERR_NOTFOUND: nothing more for now.  PF_ERR_PROTO or
 * PF_ERR_VERSION: one malformed event was logged and dropped; call again.
 */
int	pf_ipc_sub_recv(struct pf_ipc_sub *sub, json_t **out);
void	pf_ipc_sub_close(struct pf_ipc_sub *sub);

/*
 * Releases nng's global threads and memory (nng_fini) for a clean exit or
 * before a dlclose; every handle must be closed first.
 */
void	pf_ipc_fini(void);

#endif /* PF_COMMON_IPC_H */
