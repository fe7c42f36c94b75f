/*
 * cmd_webhook.c -- polarctl webhook add|list|remove|test|deliveries: the
 * subscriptions of the webhooks out (syncd delivers them).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/webhook.h"

#include "polarctl.h"

static const struct out_col hook_cols[] = {
	{ "id", "ID" }, { "url", "URL" }, { "events", "EVENTS" },
	{ "enabled", "ENABLED" }, { "pending", "PENDING" },
	{ "failure_streak", "FAILURES" }, { "failing_since", "FAILING SINCE" },
	{ "description", "DESCRIPTION" }, { NULL, NULL },
};

static const struct out_col delivery_cols[] = {
	{ "id", "ID" }, { "subscription_id", "SUB" }, { "event_id", "EVENT" },
	{ "type", "TYPE" }, { "user_id", "USER" }, { "state", "STATE" },
	{ "attempts", "ATTEMPTS" }, { "status_code", "STATUS" },
	{ "latency_ms", "MS" }, { "error", "ERROR" },
	{ "next_attempt_at", "NEXT" }, { NULL, NULL },
};

/* Takes details. */
static void
audit(struct pf_db *db, const char *action, json_t *details)
{
	if (store_audit(db, "polarctl", action, NULL, details) != PF_OK)
		ctl_warnx("could not write the audit log: %s",
		    pf_db_errmsg(db));
	json_decref(details);
}

static int
parse_id(const char *s, const char *what, int64_t *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 1) {
		ctl_warnx("invalid %s \"%.40s\": a positive integer", what, s);
		return PF_ERR_INVALID;
	}
	*out = v;
	return PF_OK;
}

int
cmd_webhook_add(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	const char	*events = NULL, *desc = "";
	char		 secret[PF_WEBHOOK_SECRET_SIZE], err[256], *ev;
	json_t		*arr, *doc;
	int64_t		 id;
	int		 r;

	if (ctl_opt(&argc, argv, "events", 'e', &events) == PF_ERR_INVALID ||
	    ctl_opt(&argc, argv, "description", 'd', &desc) ==
	    PF_ERR_INVALID || argc != 1) {
		ctl_warnx("usage: polarctl webhook add <url> [--events "
		    "type,...] [--description text]");
		return PF_ERR_INVALID;
	}
	if (pf_webhook_url_check(argv[0], err, sizeof(err)) != PF_OK) {
		ctl_warnx("%s", err);
		return PF_ERR_INVALID;
	}
	if (strlen(desc) > PF_WEBHOOK_DESC_MAX) {
		ctl_warnx("--description is longer than %d bytes",
		    PF_WEBHOOK_DESC_MAX);
		return PF_ERR_INVALID;
	}
	if (pf_webhook_events_parse(events, &arr, err, sizeof(err)) != PF_OK) {
		ctl_warnx("%s", err);
		return PF_ERR_INVALID;
	}
	if ((r = pf_webhook_secret_new(secret)) != PF_OK) {
		json_decref(arr);
		ctl_warnx("could not make a secret: %s", pf_strerror(r));
		return r;
	}
	ev = json_dumps(arr, JSON_COMPACT);
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		goto out;
	if ((r = store_webhook_add(db, argv[0], secret, ev, desc, &id)) !=
	    PF_OK) {
		ctl_warnx("could not add the webhook: %s", pf_db_errmsg(db));
		goto out;
	}
	audit(db, "webhook.add", json_pack("{s:I,s:s}", "id", (json_int_t)id,
	    "url", argv[0]));
	if (ctl->json) {
		doc = json_pack("{s:I,s:s,s:s,s:O}", "id", (json_int_t)id,
		    "url", argv[0], "secret", secret, "events", arr);
		out_json(doc);
		json_decref(doc);
	} else {
		printf("webhook %" PRId64 " added\n", id);
		printf("secret: %s\n", secret);
		printf("(shown once: give it to the receiver, which verifies "
		    "the webhook-signature header with it)\n");
	}
out:
	free(ev);
	json_decref(arr);
	return r;
}

int
cmd_webhook_list(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*res;
	json_t		*rows;
	int		 r;

	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl webhook list");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_webhook_list(db, &res)) != PF_OK) {
		ctl_warnx("could not list webhooks: %s", pf_db_errmsg(db));
		return r;
	}
	rows = out_rows(res);
	PQclear(res);
	if (ctl->json)
		out_json(rows);
	else
		out_table(rows, hook_cols);
	json_decref(rows);
	return PF_OK;
}

int
cmd_webhook_remove(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	int64_t		 id;
	json_t		*doc;
	int		 r;

	if (argc != 1) {
		ctl_warnx("usage: polarctl webhook remove <id>");
		return PF_ERR_INVALID;
	}
	if ((r = parse_id(argv[0], "webhook id", &id)) != PF_OK ||
	    (r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_webhook_remove(db, id)) != PF_OK) {
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("no webhook %" PRId64, id);
		else
			ctl_warnx("could not remove the webhook: %s",
			    pf_db_errmsg(db));
		return r;
	}
	audit(db, "webhook.remove", json_pack("{s:I}", "id", (json_int_t)id));
	if (ctl->json) {
		doc = json_pack("{s:I,s:b}", "id", (json_int_t)id, "removed", 1);
		out_json(doc);
		json_decref(doc);
	} else
		printf("webhook %" PRId64 " removed\n", id);
	return PF_OK;
}

/*
 * Queues a webhook.test event for one subscription and waits (a little
 * longer than a delivery may take) for syncd's first attempt.
 */
int
cmd_webhook_test(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*res = NULL;
	json_t		*rows, *row;
	int64_t		 id, did;
	int		 r, i, waits;
	bool		 done = false;
	struct timespec	 ts = { 0, 200 * 1000 * 1000 };

	if (argc != 1) {
		ctl_warnx("usage: polarctl webhook test <id>");
		return PF_ERR_INVALID;
	}
	if ((r = parse_id(argv[0], "webhook id", &id)) != PF_OK ||
	    (r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_webhook_test(db, id, &did)) != PF_OK) {
		if (r == PF_ERR_NOTFOUND)
			ctl_warnx("no webhook %" PRId64, id);
		else
			ctl_warnx("could not queue a test event: %s",
			    pf_db_errmsg(db));
		return r;
	}
	waits = (ctl->cfg->webhook_timeout_seconds + 5) * 5;
	for (i = 0; i < waits && !done; i++) {
		nanosleep(&ts, NULL);
		PQclear(res);
		res = NULL;
		if ((r = store_webhook_delivery(db, did, &res)) != PF_OK) {
			ctl_warnx("could not read the delivery: %s",
			    pf_db_errmsg(db));
			return r;
		}
		done = !PQgetisnull(res, 0, 7) || !PQgetisnull(res, 0, 9);
	}
	rows = out_rows(res);
	PQclear(res);
	row = json_array_get(rows, 0);
	if (ctl->json)
		out_json(row);
	else
		out_fields(row, delivery_cols);
	r = !done ? PF_ERR_TIMEOUT :
	    strcmp(json_string_value(json_object_get(row, "state")) ?
	    json_string_value(json_object_get(row, "state")) : "",
	    "delivered") == 0 ? PF_OK : PF_ERR_IO;
	if (!done)
		ctl_warnx("no attempt within %d s: is polarflow-syncd running?",
		    waits / 5);
	else if (r != PF_OK)
		ctl_warnx("the test event was not delivered (syncd retries it)");
	json_decref(rows);
	return r;
}

int
cmd_webhook_deliveries(struct ctl *ctl, int argc, char **argv)
{
	struct pf_db	*db;
	PGresult	*res;
	json_t		*rows;
	const char	*lim_s = NULL;
	int64_t		 id = 0, lim = 50;
	int		 r;

	if (ctl_opt(&argc, argv, "limit", 'n', &lim_s) == PF_ERR_INVALID ||
	    argc > 1) {
		ctl_warnx("usage: polarctl webhook deliveries [id] "
		    "[--limit n]");
		return PF_ERR_INVALID;
	}
	if (argc == 1 && (r = parse_id(argv[0], "webhook id", &id)) != PF_OK)
		return r;
	if (lim_s != NULL && ((r = parse_id(lim_s, "--limit", &lim)) !=
	    PF_OK || lim > 10000)) {
		if (lim > 10000)
			ctl_warnx("--limit is at most 10000");
		return PF_ERR_INVALID;
	}
	if ((r = ctl_db(ctl, &db)) != PF_OK)
		return r;
	if ((r = store_webhook_deliveries(db, id, (int)lim, &res)) != PF_OK) {
		ctl_warnx("could not list deliveries: %s", pf_db_errmsg(db));
		return r;
	}
	rows = out_rows(res);
	PQclear(res);
	if (ctl->json)
		out_json(rows);
	else
		out_table(rows, delivery_cols);
	json_decref(rows);
	return PF_OK;
}
