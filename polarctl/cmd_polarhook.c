/*
 * cmd_polarhook.c -- polarctl polar webhook create | show | delete: the
 * partner webhook this client holds at Polar.
 *
 * syncd makes the calls: it is the suite's only HTTP client of Polar and
 * holds the client credentials and the key that seals the signature
 * secret Polar shows once, at creation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/ipc.h"
#include "common/msg.h"

#include "polarctl.h"

/* Polar pings the URL before it answers, and syncd waits for Polar. */
#define HOOK_TIMEOUT_MS	90000

static const struct out_col hook_cols[] = {
	{ "id", "id" }, { "url", "url" }, { "events", "events" },
	{ "secret_stored", "secret stored" }, { "created_at", "created" },
	{ NULL, NULL }
};

static int
call(struct ctl *ctl, json_t *msg, json_t **reply)
{
	int	r;

	if (msg == NULL)
		return PF_ERR_NOMEM;
	r = ctl_call(ctl, "syncd", msg, reply, HOOK_TIMEOUT_MS, false);
	json_decref(msg);
	return r;
}

/* "EXERCISE,SLEEP" -> ["EXERCISE", "SLEEP"]; syncd checks the names. */
static json_t *
events_of(const char *list)
{
	json_t		*a = json_array();
	const char	*p = list, *e;

	while (*p != '\0') {
		e = p + strcspn(p, ", ");
		if (e > p)
			json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
		p = *e ? e + 1 : e;
	}
	return a;
}

int
cmd_polar_webhook_create(struct ctl *ctl, int argc, char **argv)
{
	const char	*url = NULL, *events = NULL;
	json_t		*msg, *reply = NULL;
	int		 r;

	if (ctl_opt(&argc, argv, "url", 'u', &url) == PF_ERR_INVALID ||
	    ctl_opt(&argc, argv, "events", 'e', &events) == PF_ERR_INVALID)
		return PF_ERR_INVALID;
	if (url == NULL && argc == 1)
		url = argv[0];
	else if (argc != 0)
		url = NULL;
	if (url == NULL || *url == '\0') {
		ctl_warnx("usage: polarctl polar webhook create --url "
		    "https://host/polar/webhook [--events EXERCISE,SLEEP,...]");
		return PF_ERR_INVALID;
	}
	msg = pf_ipc_msg_new(PF_MSG_POLAR_HOOK_CREATE);
	json_object_set_new(msg, "url", json_string(url));
	if (events != NULL)
		json_object_set_new(msg, "events", events_of(events));
	if ((r = call(ctl, msg, &reply)) != PF_OK)
		return r;
	if (ctl->json)
		out_json(reply);
	else {
		printf("Polar webhook %s created; Polar will post to %s\n",
		    json_string_value(json_object_get(reply, "id")),
		    json_string_value(json_object_get(reply, "url")));
		printf("its signature secret is stored sealed\n");
	}
	json_decref(reply);
	return PF_OK;
}

int
cmd_polar_webhook_show(struct ctl *ctl, int argc, char **argv)
{
	json_t	*reply = NULL, *v;
	int	 r;

	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl polar webhook show");
		return PF_ERR_INVALID;
	}
	if ((r = call(ctl, pf_ipc_msg_new(PF_MSG_POLAR_HOOK_SHOW), &reply)) !=
	    PF_OK)
		return r;
	if (ctl->json) {
		out_json(reply);
		json_decref(reply);
		return PF_OK;
	}
	v = json_object_get(reply, "stored");
	if (json_is_object(v))
		out_fields(v, hook_cols);
	else
		printf("no Polar webhook is stored here\n");
	if ((v = json_object_get(reply, "polar_error")) != NULL)
		printf("Polar: %s\n", json_string_value(v));
	else {
		v = json_object_get(reply, "polar");
		printf("at Polar: %zu webhook(s)%s\n", json_array_size(v),
		    json_is_true(json_object_get(json_array_get(v, 0),
		    "active")) ? ", active" : "");
	}
	printf("poll interval: %lld min\n", (long long)json_integer_value(
	    json_object_get(reply, "poll_interval_minutes")));
	v = json_object_get(reply, "deliveries");
	if (json_object_size(v) > 0) {
		const char	*k;
		json_t		*n;

		printf("deliveries (last 7 days):");
		json_object_foreach(v, k, n)
			printf(" %s %lld", k, (long long)json_integer_value(n));
		printf("\n");
	}
	json_decref(reply);
	return PF_OK;
}

int
cmd_polar_webhook_delete(struct ctl *ctl, int argc, char **argv)
{
	json_t	*reply = NULL;
	int	 r;

	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl polar webhook delete");
		return PF_ERR_INVALID;
	}
	if ((r = call(ctl, pf_ipc_msg_new(PF_MSG_POLAR_HOOK_DELETE),
	    &reply)) != PF_OK)
		return r;
	if (ctl->json)
		out_json(reply);
	else
		printf("Polar webhook %s deleted\n",
		    json_string_value(json_object_get(reply, "id")));
	json_decref(reply);
	return PF_OK;
}
