/*
 * cmd_ctl.c -- commands answered by the daemons over their control
 * sockets: show status, sync now, analytics recompute, log, reload.
 *
 * A daemon that is not running is reported at once (the dial fails
 * synchronously), never waited for.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/err.h"
#include "common/ident.h"
#include "common/ipc.h"
#include "common/msg.h"

#include "polarctl.h"

#define CALL_TIMEOUT_MS		5000
#define SYNC_WAIT_TIMEOUT_MS	600000	/* a full sync of one user */
#define APID_TIMEOUT_MS		1000
#define APID_BODY_MAX		4096

static const char *const daemons[] = { "syncd", "analyticsd" };
#define NDAEMONS	(sizeof(daemons) / sizeof(daemons[0]))

static bool
daemon_known(const char *name)
{
	size_t	i;

	for (i = 0; i < NDAEMONS; i++)
		if (strcmp(daemons[i], name) == 0)
			return true;
	return false;
}

/*
 * Sends msg to daemon and returns its reply in *reply (caller owns).
 * Errors are reported here, in words an admin can act on.
 */
int
ctl_call(struct ctl *ctl, const char *daemon, const json_t *msg, json_t **reply,
    int timeout_ms, bool quiet)
{
	char		 url[160], sock[64];
	const char	*why;
	int		 r;

	snprintf(sock, sizeof(sock), "%s.ctl", daemon);
	if ((r = pf_ipc_url(url, sizeof(url), ctl->cfg->rundir, sock)) !=
	    PF_OK) {
		ctl_warnx("rundir %s is too long for a socket path",
		    ctl->cfg->rundir);
		return r;
	}
	r = pf_ipc_call(url, msg, reply, timeout_ms);
	if (r == PF_OK && (r = pf_ipc_reply_error(*reply, &why)) != PF_OK) {
		if (!quiet)
			ctl_warnx("%s: %s", daemon, why ? why : pf_strerror(r));
		return r;
	}
	if (r != PF_OK && !quiet) {
		if (r == PF_ERR_CLOSED)
			ctl_warnx("%s is not running (no answer on %s)",
			    daemon, url + 6);
		else if (r == PF_ERR_VERSION)
			ctl_warnx("incompatible polarctl and %s", daemon);
		else
			ctl_warnx("%s: %s", daemon, pf_strerror(r));
	}
	return r;
}

struct body {
	char	buf[APID_BODY_MAX];
	size_t	len;
};

static size_t
body_write(char *p, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = size * n;

	if (len > sizeof(b->buf) - 1 - b->len)
		return 0;	/* /ready is small; anything bigger is not apid */
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

/*
 * apid has no control socket: ask its own readiness probe over HTTP on
 * the configured address (a wildcard listen address is asked on
 * loopback).  Returns a new object; *ok says whether apid is ready.
 */
static json_t *
apid_status(struct ctl *ctl, bool *ok)
{
	struct body	 body = { .len = 0 };
	const char	*host = ctl->cfg->api_host;
	char		 url[320], cerr[CURL_ERROR_SIZE] = "";
	CURL		*c;
	CURLcode	 cr;
	long		 code = 0;
	json_t		*doc, *ready;

	*ok = false;
	if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	snprintf(url, sizeof(url), strchr(host, ':') ? "http://[%s]:%d/ready" :
	    "http://%s:%d/ready", host, ctl->cfg->api_port);
	if ((c = curl_easy_init()) == NULL)
		return json_pack("{s:b, s:s}", "running", 0, "error",
		    "out of memory");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)APID_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cr = curl_easy_perform(c);
	if (cr == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (cr != CURLE_OK) {
		return json_pack("{s:b, s:s, s:s}", "running", 0, "url", url,
		    "error", cr == CURLE_COULDNT_CONNECT ? "not running" :
		    cerr[0] ? cerr : curl_easy_strerror(cr));
	}
	doc = json_pack("{s:b, s:s, s:i}", "running", 1, "url", url,
	    "http_status", (int)code);
	if ((ready = json_loadb(body.buf, body.len, 0, NULL)) != NULL &&
	    json_is_object(ready))
		json_object_update(doc, ready);
	json_decref(ready);
	*ok = code == 200;
	return doc;
}

static void
print_obj(const char *indent, const json_t *obj)
{
	const char	*k;
	json_t		*v;
	char		*s;

	json_object_foreach((json_t *)(uintptr_t)obj, k, v) {
		if (strcmp(k, "v") == 0 || strcmp(k, "type") == 0 ||
		    strcmp(k, "ok") == 0)
			continue;
		if (json_is_object(v)) {
			printf("%s%s:\n", indent, k);
			print_obj("    ", v);
			continue;
		}
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		printf("%s%s: %s\n", indent, k, s ? s : "?");
		free(s);
	}
}

int
cmd_show_status(struct ctl *ctl, int argc, char **argv)
{
	json_t		*doc, *msg, *reply, *down;
	PGresult	*res;
	struct pf_db	*db;
	size_t		 i;
	int		 r, ver, failed = 0;

	bool		 apid_ok;

	if (argc > 1 || (argc == 1 && !daemon_known(argv[0]) &&
	    strcmp(argv[0], "apid") != 0)) {
		ctl_warnx("usage: polarctl show status "
		    "[syncd | analyticsd | apid]");
		return PF_ERR_INVALID;
	}
	doc = json_object();
	if (argc == 0) {
		if (ctl_db(ctl, &db) == PF_OK &&
		    pf_db_schema_version(db, &ver) == PF_OK &&
		    store_status_counts(db, &res) == PF_OK) {
			json_t *rows = out_rows(res);

			PQclear(res);
			json_object_set(doc, "database",
			    json_array_get(rows, 0));
			json_object_set_new(json_object_get(doc, "database"),
			    "schema_version", json_integer(ver));
			json_decref(rows);
		} else {
			json_object_set_new(doc, "database",
			    json_pack("{s:b}", "reachable", 0));
			failed++;
		}
	}
	msg = pf_ipc_msg_new(PF_MSG_STATUS);
	for (i = 0; i < NDAEMONS; i++) {
		if (argc == 1 && strcmp(argv[0], daemons[i]) != 0)
			continue;
		if ((r = ctl_call(ctl, daemons[i], msg, &reply, CALL_TIMEOUT_MS,
		    true)) == PF_OK) {
			json_object_set_new(reply, "running", json_true());
			json_object_set_new(doc, daemons[i], reply);
		} else {
			down = json_pack("{s:b, s:s}", "running", 0, "error",
			    r == PF_ERR_CLOSED ? "not running" :
			    pf_strerror(r));
			json_object_set_new(doc, daemons[i], down);
			failed++;
		}
	}
	json_decref(msg);
	if (argc == 0 || strcmp(argv[0], "apid") == 0) {
		json_object_set_new(doc, "apid", apid_status(ctl, &apid_ok));
		if (!apid_ok)
			failed++;
	}
	if (ctl->json)
		out_json(doc);
	else {
		const char	*k;
		json_t		*v;

		json_object_foreach(doc, k, v) {
			printf("%s:\n", k);
			print_obj("  ", v);
		}
	}
	json_decref(doc);
	return failed ? PF_ERR_CLOSED : PF_OK;
}

int
cmd_sync_now(struct ctl *ctl, int argc, char **argv)
{
	struct pf_msg_sync_trigger	 m = { .all = argc == 0,
	    .wait = argc == 1, .user_id = argc == 1 ? argv[0] : NULL };
	json_t				*msg, *reply = NULL;
	int				 r;

	if (argc > 1 || (argc == 1 && !pf_user_id_valid(argv[0]))) {
		ctl_warnx("usage: polarctl sync now [user_id]");
		return PF_ERR_INVALID;
	}
	if ((msg = pf_msg_sync_trigger_pack(&m)) == NULL)
		return PF_ERR_NOMEM;
	r = ctl_call(ctl, "syncd", msg, &reply, argc == 1 ?
	    SYNC_WAIT_TIMEOUT_MS : CALL_TIMEOUT_MS, false);
	json_decref(msg);
	if (r != PF_OK)
		return r;
	if (ctl->json)
		out_json(reply);
	else
		print_obj("", reply);
	json_decref(reply);
	return PF_OK;
}

int
cmd_analytics_recompute(struct ctl *ctl, int argc, char **argv)
{
	struct pf_msg_analytics_recompute	 m;
	json_t					*msg, *reply = NULL;
	int					 r;

	if (argc != 1 || (strcmp(argv[0], "all") != 0 &&
	    !pf_user_id_valid(argv[0]))) {
		ctl_warnx("usage: polarctl analytics recompute user_id | all");
		return PF_ERR_INVALID;
	}
	m = (struct pf_msg_analytics_recompute){ .user_id = argv[0],
	    .all = strcmp(argv[0], "all") == 0 };
	if ((msg = pf_msg_analytics_recompute_pack(&m)) == NULL)
		return PF_ERR_NOMEM;
	r = ctl_call(ctl, "analyticsd", msg, &reply, CALL_TIMEOUT_MS, false);
	json_decref(msg);
	if (r != PF_OK)
		return r;
	if (ctl->json)
		out_json(reply);
	else
		print_obj("", reply);
	json_decref(reply);
	return PF_OK;
}

/* Sends one verb to one daemon or to all of them. */
static int
broadcast(struct ctl *ctl, const char *type, int argc, char **argv,
    const char *usage)
{
	json_t	*msg, *reply, *doc;
	size_t	 i;
	int	 r, failed = 0, sent = 0;

	if (argc > 1 || (argc == 1 && !daemon_known(argv[0]))) {
		ctl_warnx("usage: %s", usage);
		return PF_ERR_INVALID;
	}
	msg = pf_ipc_msg_new(type);
	doc = json_object();
	for (i = 0; i < NDAEMONS; i++) {
		if (argc == 1 && strcmp(argv[0], daemons[i]) != 0)
			continue;
		sent++;
		r = ctl_call(ctl, daemons[i], msg, &reply, CALL_TIMEOUT_MS, false);
		json_object_set_new(doc, daemons[i], json_boolean(r == PF_OK));
		if (r == PF_OK) {
			if (!ctl->json)
				printf("%s: %s\n", daemons[i], type);
			json_decref(reply);
		} else
			failed++;
	}
	if (ctl->json)
		out_json(doc);
	json_decref(doc);
	json_decref(msg);
	return failed == sent ? PF_ERR_CLOSED : (failed ? PF_ERR_IO : PF_OK);
}

int
cmd_log_verbose(struct ctl *ctl, int argc, char **argv)
{
	return broadcast(ctl, PF_MSG_LOG_VERBOSE, argc, argv,
	    "polarctl log verbose [syncd | analyticsd]");
}

int
cmd_log_brief(struct ctl *ctl, int argc, char **argv)
{
	return broadcast(ctl, PF_MSG_LOG_BRIEF, argc, argv,
	    "polarctl log brief [syncd | analyticsd]");
}

int
cmd_reload(struct ctl *ctl, int argc, char **argv)
{
	return broadcast(ctl, PF_MSG_RELOAD, argc, argv,
	    "polarctl reload [syncd | analyticsd]");
}
