/*
 * front.c -- every connection's first reader: one request at a time,
 * checked before kore parses it.
 *
 * The listener's connect callback (the launcher names apid_connect on
 * kore's "bind" line) sets a connection up as kore would for HTTP, with
 * two differences:
 * - its header callback runs front_check() (frontparse.c) first, and
 *   answers what kore would refuse with apid's JSON error body, then
 *   closes the connection;
 * - its read function takes from the socket no more than the request
 *   being read.  kore reads headers in one gulp of up to 8 KiB and drops
 *   whatever follows the first request, so a pipelined second request
 *   was never answered; left in the socket, it is read once kore starts
 *   on the connection's next request, after the first is answered, which
 *   keeps HTTP/1.1's order.  kore re-arms its own header callback after
 *   every response; the read function puts apid's back first.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kore/kore.h>
#include <kore/http.h>

#include "common/buf.h"
#include "common/time.h"

#include "apid/apid.h"
#include "apid/apid_kore.h"
#include "apid/request.h"

/* What is read and dropped before a refusal closes the connection. */
#define FRONT_DISCARD_MAX	(256 * 1024)
/* Timeouts are looked at this often, and answered this much early. */
#define FRONT_SWEEP_MS		200
#define FRONT_SWEEP_AHEAD_MS	1000

void	apid_connect(struct connection *);

static int	front_header_recv(struct netbuf *);

static const char *
status_text(int status)
{
	switch (status) {
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return http_status_text(status);
	}
}

/*
 * Reads and drops what the client has already sent: closing a socket
 * with unread bytes makes the kernel send a reset, which can reach the
 * client before it has read the answer.
 */
static void
discard_input(struct connection *c)
{
	char	tmp[4096];
	size_t	total = 0;
	ssize_t	r;

	while (total < FRONT_DISCARD_MAX &&
	    (r = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT)) > 0)
		total += (size_t)r;
}

/* Answers fr's refusal on c, which then closes. */
static int
front_refuse(struct connection *c, const struct front_req *fr)
{
	struct pf_buf	 out;
	char		*body;
	size_t		 i;
	int64_t		 t0 = pf_time_mono_us();

	discard_input(c);

	body = render_error(fr->status, fr->detail, NULL);
	pf_buf_init(&out);
	pf_buf_addf(&out, "HTTP/1.1 %d %s\r\nserver: polarflow-apid\r\n"
	    "connection: close\r\ncontent-type: application/json\r\n"
	    "content-length: %zu\r\n", fr->status, status_text(fr->status),
	    strlen(body));
	for (i = 0; apid_security_headers[i].name != NULL; i++)
		pf_buf_addf(&out, "%s: %s\r\n", apid_security_headers[i].name,
		    apid_security_headers[i].value);
	if (fr->allow[0] != '\0')
		pf_buf_addf(&out, "allow: %s\r\n", fr->allow);
	pf_buf_adds(&out, "\r\n");
	if (strcmp(fr->method, "HEAD") != 0)
		pf_buf_add(&out, body, strlen(body));
	net_send_queue(c, out.p, out.len);
	pf_buf_free(&out);
	free(body);

	metrics_observe(env->metrics, -1, fr->status,
	    (uint64_t)(pf_time_mono_us() - t0));
	apid_log_request(fr->method[0] ? fr->method : "-", fr->path,
	    fr->status, pf_time_mono_us() - t0, NULL);
	/* Nothing more is read from c; it closes once the answer is out. */
	c->flags |= CONN_CLOSE_EMPTY;
	c->evt.flags &= ~KORE_EVENT_READ;
	if (!net_send_flush(c))
		kore_connection_disconnect(c);
	return KORE_RESULT_OK;
}

static int
front_header_recv(struct netbuf *nb)
{
	struct connection	*c = nb->owner;
	struct front_req	 fr;
	size_t			 len = nb->s_off;

	switch (front_check((char *)nb->buf, &len, nb->b_len, &fr)) {
	case FRONT_MORE:
		nb->s_off = len;
		return KORE_RESULT_OK;
	case FRONT_REFUSE:
		return front_refuse(c, &fr);
	}
	nb->s_off = len;
	return http_header_recv(nb);
}

/*
 * c->read: kore's net_read, except that while headers are read it peeks
 * first and takes only what belongs to the current request.
 */
static int
front_read(struct connection *c, size_t *bytes)
{
	struct netbuf	*nb = c->rnb;
	ssize_t		 r;
	size_t		 want;

	*bytes = 0;
	if (c->flags & CONN_CLOSE_EMPTY) {
		/* Answered and closing: what else arrives is not read. */
		c->evt.flags &= ~KORE_EVENT_READ;
		return KORE_RESULT_OK;
	}
	if (nb->cb == http_header_recv)
		nb->cb = front_header_recv;
	if (nb->cb != front_header_recv)
		return net_read(c, bytes);
	if (nb->s_off >= nb->b_len) {
		c->evt.flags &= ~KORE_EVENT_READ;
		return KORE_RESULT_OK;
	}
	r = recv(c->fd, nb->buf + nb->s_off, nb->b_len - nb->s_off, MSG_PEEK);
	if (r == -1) {
		if (errno == EINTR)
			return KORE_RESULT_OK;
		if (errno == EAGAIN) {
			c->evt.flags &= ~KORE_EVENT_READ;
			return KORE_RESULT_OK;
		}
		return KORE_RESULT_ERROR;
	}
	if (r == 0) {
		kore_connection_disconnect(c);
		c->evt.flags &= ~KORE_EVENT_READ;
		return KORE_RESULT_OK;
	}
	want = front_extent((const char *)nb->buf, nb->s_off, (size_t)r);
	if (want == 0) {
		c->evt.flags &= ~KORE_EVENT_READ;
		return KORE_RESULT_OK;
	}
	/* The bytes are there: this recv() takes what the peek saw. */
	r = recv(c->fd, nb->buf + nb->s_off, want, 0);
	if (r <= 0)
		return r == 0 || errno == EAGAIN || errno == EINTR ?
		    KORE_RESULT_OK : KORE_RESULT_ERROR;
	*bytes = (size_t)r;
	return KORE_RESULT_OK;
}

/*
 * kore answers a request whose headers or body are still incomplete when
 * its timeout runs out with an empty 408, checked every 500 ms; apid
 * answers first, with its JSON, a second before kore would.  An idle
 * connection between requests has nothing to answer: it is left to the
 * keep-alive timer, which closes it silently, where kore would send an
 * unsolicited 408 that a client can take for the answer to its next
 * request.
 */
static void
front_sweep(void *arg, u_int64_t now)
{
	struct connection	*c, *next;
	struct front_req	 fr;
	struct netbuf		*nb;

	(void)arg;
	for (c = TAILQ_FIRST(&connections); c != NULL; c = next) {
		next = TAILQ_NEXT(c, list);
		if (c->proto != CONN_PROTO_HTTP || c->http_timeout == 0 ||
		    (nb = c->rnb) == NULL || c->state != CONN_STATE_ESTABLISHED)
			continue;
		if ((nb->cb == front_header_recv || nb->cb == http_header_recv)
		    && nb->s_off == 0) {
			c->http_timeout = 0;
			continue;
		}
		if (now < c->http_start ||
		    now - c->http_start + FRONT_SWEEP_AHEAD_MS < c->http_timeout)
			continue;
		c->http_timeout = 0;
		memset(&fr, 0, sizeof(fr));
		fr.status = 408;
		fr.detail = "Request Timeout: the request was not received "
		    "in time";
		(void)front_refuse(c, &fr);
	}
}

void
front_init(void)
{
	kore_timer_add(front_sweep, FRONT_SWEEP_MS, NULL, 0);
}

void
apid_connect(struct connection *c)
{
	c->proto = CONN_PROTO_HTTP;
	if (http_keepalive_time != 0)
		c->idle_timer.length = http_keepalive_time * 1000;
	net_recv_queue(c, http_header_max, NETBUF_CALL_CB_ALWAYS,
	    front_header_recv);
	c->read = front_read;
}
