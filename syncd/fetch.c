/*
 * fetch.c -- every HTTP exchange with Polar, through one libcurl multi.
 *
 * Transfers wait in a queue and are started when the connection cap, the
 * per-user cap, their retry time and Polar's quota allow.  The multi's
 * sockets and timer are exposed to the daemon's poll() loop
 * (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION).  Connections are kept alive
 * and bodies gzip-compressed.  Transient failures (transport errors,
 * timeouts, 5xx) are retried with bounded exponential back-off; a 429
 * pauses every transfer until Polar's window resets.  Every response's
 * RateLimit-* headers update the shared quota picture.
 */
#include <sys/socket.h>

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "syncd.h"

#define MAX_SOCKS	128
#define MAX_ACTIVE	32
#define HDR_MAX		64
#define WINDOW_15M_MS	(900 * 1000)
#define WINDOW_24H_MS	(86400 * 1000)
#define PAUSE_429_MAX_RETRY_MS	(60 * 1000)

struct xfer_priv {
	char	 h_usage[HDR_MAX];
	char	 h_limit[HDR_MAX];
	char	 h_reset[HDR_MAX];
	int	 rl_retries;
	int64_t	 started;
};

static CURLM		*multi;
static struct xferq	 queue = TAILQ_HEAD_INITIALIZER(queue);
static struct xferq	 active = TAILQ_HEAD_INITIALIZER(active);
static size_t		 nactive, nqueued;
static struct quota	 quota;
static int64_t		 timer_at = INT64_MAX;
static struct {
	curl_socket_t	 fd;
	int		 what;
} socks[MAX_SOCKS];
static int		 nsocks;

static int
sock_cb(CURL *e, curl_socket_t s, int what, void *u, void *sp)
{
	int	 i;

	(void)e;
	(void)u;
	(void)sp;
	for (i = 0; i < nsocks; i++)
		if (socks[i].fd == s)
			break;
	if (what == CURL_POLL_REMOVE) {
		if (i < nsocks)
			socks[i] = socks[--nsocks];
		return 0;
	}
	if (i == nsocks) {
		if (nsocks == MAX_SOCKS) {
			pf_log_warnx("too many sockets");
			return -1;
		}
		nsocks++;
	}
	socks[i].fd = s;
	socks[i].what = what;
	return 0;
}

static int
timer_cb(CURLM *m, long timeout_ms, void *u)
{
	(void)m;
	(void)u;
	timer_at = timeout_ms < 0 ? INT64_MAX : pf_time_mono_ms() + timeout_ms;
	return 0;
}

int
fetch_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return PF_ERR_INTERNAL;
	if ((multi = curl_multi_init()) == NULL)
		return PF_ERR_NOMEM;
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)MAX_ACTIVE);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)MAX_ACTIVE);
	memset(&quota, 0, sizeof(quota));
	return PF_OK;
}

void
fetch_fini(void)
{
	fetch_cancel_all();
	if (multi != NULL)
		curl_multi_cleanup(multi);
	multi = NULL;
	curl_global_cleanup();
}

struct xfer *
fetch_xfer_new(const char *url, enum xfer_auth kind, const char *auth,
    xfer_done_fn done, void *arg, void *owner)
{
	struct xfer	*x;

	x = pf_xcalloc(1, sizeof(*x));
	x->url = pf_xstrdup(url);
	x->auth_kind = kind;
	x->auth = auth ? pf_xstrdup(auth) : NULL;
	x->done = done;
	x->arg = arg;
	x->owner = owner;
	x->priv_data = pf_xcalloc(1, sizeof(struct xfer_priv));
	return x;
}

static struct xfer_priv *
priv(struct xfer *x)
{
	return (struct xfer_priv *)x->priv_data;
}

void
fetch_xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->active) {
		curl_multi_remove_handle(multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->active = false;
	}
	curl_slist_free_all(x->hdrs);
	free(x->priv_data);
	free(x->url);
	free(x->body);
	free(x->xhdrs);
	if (x->auth != NULL)
		pf_freezero(x->auth, strlen(x->auth));
	free(x->resp);
	free(x);
}

/*
 * The queue is ordered by x->prio, then by submission: a user whose sync
 * started earlier gets the free connections first, so it finishes sooner
 * instead of every running sync advancing at the same slow pace.
 */
static void
enqueue(struct xfer *x)
{
	struct xfer	*y;

	TAILQ_FOREACH_REVERSE(y, &queue, xferq, entry)
		if (y->prio <= x->prio)
			break;
	if (y == NULL)
		TAILQ_INSERT_HEAD(&queue, x, entry);
	else
		TAILQ_INSERT_AFTER(&queue, y, x, entry);
	nqueued++;
}

void
fetch_submit(struct xfer *x)
{
	enqueue(x);
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *u)
{
	struct xfer	*x = u;
	size_t		 n = size * nmemb;

	if (x->hook && x->resp_len + n > 1024)
		return n;	/* a subscriber's answer: only its start kept */
	if (x->resp_len + n > SYNCD_MAX_BODY) {
		x->oversized = true;
		return 0;
	}
	if (x->resp_len + n + 1 > x->resp_cap) {
		x->resp_cap = (x->resp_len + n + 1) * 2;
		if (x->resp_cap > SYNCD_MAX_BODY + 1)
			x->resp_cap = SYNCD_MAX_BODY + 1;
		x->resp = pf_xreallocarray(x->resp, 1, x->resp_cap);
	}
	memcpy(x->resp + x->resp_len, ptr, n);
	x->resp_len += n;
	x->resp[x->resp_len] = '\0';
	return n;
}

static void
hdr_copy(char *dst, const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
	    v[len - 1] == ' '))
		len--;
	if (len >= HDR_MAX)
		len = HDR_MAX - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *u)
{
	struct xfer		*x = u;
	struct xfer_priv	*p = priv(x);
	size_t			 n = size * nitems;
	char			 tmp[HDR_MAX];

	if (n > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		p->h_usage[0] = p->h_limit[0] = p->h_reset[0] = '\0';
		x->retry_after_s = -1;
	} else if (n > 16 && strncasecmp(buf, "RateLimit-Usage:", 16) == 0)
		hdr_copy(p->h_usage, buf + 16, n - 16);
	else if (n > 16 && strncasecmp(buf, "RateLimit-Limit:", 16) == 0)
		hdr_copy(p->h_limit, buf + 16, n - 16);
	else if (n > 16 && strncasecmp(buf, "RateLimit-Reset:", 16) == 0)
		hdr_copy(p->h_reset, buf + 16, n - 16);
	else if (n > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
		hdr_copy(tmp, buf + 12, n - 12);
		if (tmp[0] >= '0' && tmp[0] <= '9')
			x->retry_after_s = strtoll(tmp, NULL, 10);
	}
	return n;
}

void
quota_update(struct quota *q, const char *usage, const char *limit,
    const char *reset, int64_t now)
{
	int64_t	 u15, u24, l15, l24, r15, r24;

	if (transform_pair(usage, &u15, &u24) != PF_OK ||
	    transform_pair(limit, &l15, &l24) != PF_OK ||
	    transform_pair(reset, &r15, &r24) != PF_OK)
		return;
	q->known = true;
	q->usage_15m = u15;
	q->usage_24h = u24;
	q->limit_15m = l15;
	q->limit_24h = l24;
	q->reset_15m_at = now + r15 * 1000;
	q->reset_24h_at = now + r24 * 1000;
}

/*
 * A 429: pause until the window that is exhausted resets; if neither
 * looks exhausted (a burst limit we cannot see), honour Retry-After or
 * back off 1, 2, 4 ... 60 s.  Returns the pause in ms.
 */
int64_t
quota_pause_429(struct quota *q, int64_t retry_after_s, int64_t now)
{
	int64_t	 until;

	q->rate_limited++;
	q->backoff_429++;
	if (q->known && q->usage_24h >= q->limit_24h && q->reset_24h_at > now)
		until = q->reset_24h_at;
	else if (q->known && q->usage_15m >= q->limit_15m &&
	    q->reset_15m_at > now)
		until = q->reset_15m_at;
	else if (retry_after_s >= 0)
		until = now + (retry_after_s < WINDOW_24H_MS / 1000 ?
		    retry_after_s * 1000 : WINDOW_24H_MS);
	else {
		int	 sh = q->backoff_429 > 7 ? 6 : q->backoff_429 - 1;

		until = now + (INT64_C(1000) << sh);
	}
	/* Polar's longest window is a day: no wait it asks for is longer. */
	if (until - now > WINDOW_24H_MS)
		until = now + WINDOW_24H_MS;
	if (until > q->paused_until)
		q->paused_until = until;
	return until - now;
}

/* Local bookkeeping once a window's reset time has passed. */
static void
quota_roll(int64_t now)
{
	if (!quota.known)
		return;
	if (now >= quota.reset_15m_at) {
		quota.usage_15m = 0;
		quota.reset_15m_at = now + WINDOW_15M_MS;
	}
	if (now >= quota.reset_24h_at) {
		quota.usage_24h = 0;
		quota.reset_24h_at = now + WINDOW_24H_MS;
	}
}

/* When the quota lets the next request go: now, or a later mono time. */
static int64_t
quota_gate(int64_t now)
{
	int64_t	 at = now;

	if (quota.paused_until > now)
		at = quota.paused_until;
	if (!quota.known)
		return at;
	quota_roll(now);
	if (quota.usage_15m + (int64_t)nactive >= quota.limit_15m &&
	    quota.reset_15m_at > at)
		at = quota.reset_15m_at;
	if (quota.usage_24h + (int64_t)nactive >= quota.limit_24h &&
	    quota.reset_24h_at > at)
		at = quota.reset_24h_at;
	return at;
}

int64_t
fetch_quota_room(int64_t now)
{
	int64_t	 r15, r24, margin;

	if (quota_gate(now) > now)
		return 0;
	if (!quota.known)
		return 64;	/* enough for one first sync to learn it */
	margin = quota.limit_15m / 50 + 2;
	r15 = quota.limit_15m - quota.usage_15m - margin;
	r24 = quota.limit_24h - quota.usage_24h - quota.limit_24h / 50 - 2;
	r15 = r15 < r24 ? r15 : r24;
	r15 -= (int64_t)(nactive + nqueued);
	return r15 > 0 ? r15 : 0;
}

int64_t
fetch_quota_capacity(void)
{
	int64_t	 c15, c24;

	if (!quota.known)
		return 0;
	c15 = quota.limit_15m - quota.limit_15m / 50 - 2;
	c24 = quota.limit_24h - quota.limit_24h / 50 - 2;
	c15 = c15 < c24 ? c15 : c24;
	return c15 > 1 ? c15 : 1;
}

const struct quota *
fetch_quota(void)
{
	return &quota;
}

size_t
fetch_inflight(void)
{
	return nactive;
}

size_t
fetch_queued(void)
{
	return nqueued;
}

static size_t
owner_active(void *owner)
{
	struct xfer	*x;
	size_t		 n = 0;

	TAILQ_FOREACH(x, &active, entry)
		if (x->owner == owner)
			n++;
	return n;
}

/* A webhook's connection: only to an address the configuration allows. */
static curl_socket_t
hook_opensocket(void *u, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer	*x = u;

	(void)purpose;
	if (!hook_addr_allowed(&a->addr)) {
		x->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* The header lines of x->xhdrs ('\n'-ended) appended to x->hdrs. */
static void
extra_headers(struct xfer *x)
{
	const char	*p, *nl;
	char		*h;

	for (p = x->xhdrs; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		h = pf_xstrndup(p, (size_t)(nl - p));
		x->hdrs = curl_slist_append(x->hdrs, h);
		free(h);
	}
}

static int
start(struct xfer *x)
{
	struct xfer_priv	*p = priv(x);
	CURL			*e;
	char			*h;
	long			 tmo;

	if ((e = curl_easy_init()) == NULL)
		return PF_ERR_NOMEM;
	x->easy = e;
	curl_slist_free_all(x->hdrs);
	x->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (x->auth_kind == XA_BEARER && x->auth != NULL) {
		h = pf_xasprintf("Authorization: Bearer %s", x->auth);
		x->hdrs = curl_slist_append(x->hdrs, h);
		pf_freezero(h, strlen(h));
	}
	if (x->body != NULL) {
		h = pf_xasprintf("Content-Type: %s", x->ctype);
		x->hdrs = curl_slist_append(x->hdrs, h);
		free(h);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, x->body);
	}
	if (x->method != NULL)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	if (x->auth_kind == XA_BASIC && x->auth != NULL) {
		const char	*colon = strchr(x->auth, ':');
		char		*user;

		user = pf_xstrndup(x->auth, colon ? (size_t)(colon - x->auth) :
		    strlen(x->auth));
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, colon ? colon + 1 : "");
		free(user);
	}
	tmo = env && env->cfg ? env->cfg->sync_http_timeout_seconds : 30;
	if (x->hook) {
		tmo = env && env->cfg ? env->cfg->webhook_timeout_seconds : 10;
		extra_headers(x);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION,
		    hook_opensocket);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
		/* a proxy would be the address checked, not the target */
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	} else
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo * 1000L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "polarflow-syncd/1");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	free(x->resp);
	x->resp = NULL;
	x->resp_len = x->resp_cap = 0;
	x->oversized = false;
	x->retry_after_s = -1;
	x->status = 0;
	x->err = PF_OK;
	x->errmsg[0] = '\0';
	x->refused = false;
	x->attempts++;
	p->started = pf_time_mono_ms();
	if (curl_multi_add_handle(multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		x->easy = NULL;
		return PF_ERR_INTERNAL;
	}
	x->active = true;
	quota.calls++;
	return PF_OK;
}

static void
dispatch(void)
{
	struct xfer	*x, *nx;
	int64_t		 now = pf_time_mono_ms();
	size_t		 cap;
	int		 conc;

	conc = env && env->cfg ? env->cfg->sync_max_concurrency : 4;
	cap = (size_t)conc * SYNCD_PER_USER_XFERS;
	if (cap > MAX_ACTIVE)
		cap = MAX_ACTIVE;
	if (cap < 4)
		cap = 4;
	for (x = TAILQ_FIRST(&queue); x != NULL && nactive < cap; x = nx) {
		nx = TAILQ_NEXT(x, entry);
		if (x->not_before > now)
			continue;
		if (x->auth_kind == XA_BEARER && quota_gate(now) > now)
			break;
		if (x->owner != NULL && owner_active(x->owner) >=
		    SYNCD_PER_USER_XFERS)
			continue;
		TAILQ_REMOVE(&queue, x, entry);
		nqueued--;
		if (start(x) != PF_OK) {
			x->err = PF_ERR_INTERNAL;
			snprintf(x->errmsg, sizeof(x->errmsg),
			    "could not start transfer");
			x->done(x, x->arg);
			fetch_xfer_free(x);
			continue;
		}
		TAILQ_INSERT_TAIL(&active, x, entry);
		nactive++;
	}
}

static bool
transient(const struct xfer *x)
{
	if (x->oversized)
		return false;
	if (x->status == 0)
		return true;
	return x->status >= 500 && x->status <= 599;
}

static void
requeue(struct xfer *x, int64_t delay_ms)
{
	x->not_before = pf_time_mono_ms() + delay_ms;
	enqueue(x);
}

static void
finish(struct xfer *x, CURLcode cc)
{
	struct xfer_priv	*p = priv(x);
	int64_t			 now = pf_time_mono_ms(), pause, backoff;
	long			 st = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &st);
	curl_multi_remove_handle(multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	x->active = false;
	TAILQ_REMOVE(&active, x, entry);
	nactive--;
	x->status = cc == CURLE_OK ? st : 0;
	x->ms = now - p->started;
	if (x->hook) {
		if (cc != CURLE_OK) {
			x->err = cc == CURLE_OPERATION_TIMEDOUT ?
			    PF_ERR_TIMEOUT : PF_ERR_IO;
			snprintf(x->errmsg, sizeof(x->errmsg), "%s",
			    x->refused ? "address not allowed "
			    "(webhook_allow_private)" : curl_easy_strerror(cc));
		}
		x->done(x, x->arg);
		fetch_xfer_free(x);
		return;
	}
	if (p->h_usage[0] != '\0')
		quota_update(&quota, p->h_usage, p->h_limit, p->h_reset, now);
	if (cc != CURLE_OK) {
		x->err = x->oversized ? PF_ERR_RANGE :
		    cc == CURLE_OPERATION_TIMEDOUT ? PF_ERR_TIMEOUT : PF_ERR_IO;
		snprintf(x->errmsg, sizeof(x->errmsg), "%s",
		    x->oversized ? "response too large" :
		    curl_easy_strerror(cc));
	}
	pf_log_debug("%s %s -> %ld (%s) %zu bytes in %" PRId64 " ms",
	    x->method ? x->method : x->body ? "POST" : "GET", x->url,
	    x->status,
	    x->err ? x->errmsg : "ok", x->resp_len, now - p->started);
	if (x->status == 429) {
		pause = quota_pause_429(&quota, x->retry_after_s, now);
		pf_log_warnx("polar rate limit hit, pausing requests for "
		    "%" PRId64 " s", (pause + 999) / 1000);
		if (!x->once && pause <= PAUSE_429_MAX_RETRY_MS &&
		    p->rl_retries < 5) {
			p->rl_retries++;
			requeue(x, pause);
			return;
		}
	} else if (x->status > 0)
		quota.backoff_429 = 0;
	if (!x->once && x->status != 429 && transient(x) &&
	    x->attempts < SYNCD_HTTP_ATTEMPTS) {
		backoff = (int64_t)SYNCD_RETRY_BASE_MS << (x->attempts - 1);
		if (backoff > SYNCD_RETRY_MAX_MS)
			backoff = SYNCD_RETRY_MAX_MS;
		backoff += (int64_t)(now % 97);	/* de-synchronise retries */
		pf_log_debug("retrying %s in %" PRId64 " ms (attempt %d)",
		    x->url, backoff, x->attempts + 1);
		requeue(x, backoff);
		return;
	}
	x->done(x, x->arg);
	fetch_xfer_free(x);
}

static void
reap(void)
{
	CURLMsg		*m;
	struct xfer	*x;
	int		 left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x != NULL)
			finish(x, m->data.result);
	}
}

int
fetch_pollfds(struct pollfd *pfd, int max)
{
	int	 i, n = 0;

	for (i = 0; i < nsocks && n < max; i++) {
		pfd[n].fd = socks[i].fd;
		pfd[n].events = 0;
		pfd[n].revents = 0;
		if (socks[i].what & CURL_POLL_IN)
			pfd[n].events |= POLLIN;
		if (socks[i].what & CURL_POLL_OUT)
			pfd[n].events |= POLLOUT;
		n++;
	}
	return n;
}

void
fetch_poll_done(struct pollfd *pfd, int n)
{
	int	 i, running, flags;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		flags = 0;
		if (pfd[i].revents & POLLIN)
			flags |= CURL_CSELECT_IN;
		if (pfd[i].revents & POLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			flags |= CURL_CSELECT_ERR;
		curl_multi_socket_action(multi, pfd[i].fd, flags, &running);
	}
	reap();
}

int64_t
fetch_next_deadline(int64_t now)
{
	struct xfer	*x;
	int64_t		 at = timer_at, g;

	if (!TAILQ_EMPTY(&queue)) {
		g = quota_gate(now);
		TAILQ_FOREACH(x, &queue, entry) {
			int64_t	 t = x->not_before > g ? x->not_before : g;

			if (t < at)
				at = t;
		}
		if (at < now + 5)
			at = now + 5;
	}
	return at;
}

void
fetch_run(void)
{
	int	 running;

	if (pf_time_mono_ms() >= timer_at) {
		timer_at = INT64_MAX;
		curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0,
		    &running);
	}
	reap();
	dispatch();
	if (nactive > 0 && timer_at == INT64_MAX)
		curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0,
		    &running);
}

void
fetch_cancel_owner(void *owner)
{
	struct xfer	*x, *nx;

	for (x = TAILQ_FIRST(&queue); x != NULL; x = nx) {
		nx = TAILQ_NEXT(x, entry);
		if (owner != NULL && x->owner != owner)
			continue;
		TAILQ_REMOVE(&queue, x, entry);
		nqueued--;
		x->cancelled = true;
		x->err = PF_ERR_CLOSED;
		x->done(x, x->arg);
		fetch_xfer_free(x);
	}
	for (x = TAILQ_FIRST(&active); x != NULL; x = nx) {
		nx = TAILQ_NEXT(x, entry);
		if (owner != NULL && x->owner != owner)
			continue;
		TAILQ_REMOVE(&active, x, entry);
		nactive--;
		x->cancelled = true;
		x->err = PF_ERR_CLOSED;
		x->done(x, x->arg);
		fetch_xfer_free(x);
	}
}

void
fetch_cancel_all(void)
{
	fetch_cancel_owner(NULL);
}
