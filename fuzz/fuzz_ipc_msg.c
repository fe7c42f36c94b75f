/*
 * fuzz_ipc_msg.c -- the IPC message parser (common/ipc.c, common/msg.c).
 *
 * The input is one message as a control or event socket receives it.  It
 * goes through pf_ipc_msg_parse(), the parser every receiver uses, and,
 * if its envelope passes, through every unpack function of msg.h (a
 * receiver picks one by "type"; any body may arrive under any type) and
 * pf_ipc_reply_error() (what a client reads from a reply).  What unpacks
 * must pack again into a message that is valid on the wire and unpacks
 * to the same fields: the sender and receiver of each message share them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/ipc.h"
#include "common/msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const json_t *msg)
{
	char	*s = json_dumps(msg, JSON_COMPACT);

	fprintf(stderr, "%s: %s\n", what, s ? s : "(unprintable)");
	free(s);
	abort();
}

static bool
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * The wire text of a packed message, parsed back as a receiver would;
 * a failed pack is a failure too.
 */
static json_t *
wire(json_t *packed, const json_t *orig)
{
	const char	*why;
	json_t		*back = NULL;
	char		*s;

	if (packed == NULL)
		fail("pack failed", orig);
	if ((s = json_dumps(packed, JSON_COMPACT)) == NULL ||
	    pf_ipc_msg_parse(s, strlen(s), &back, &why) != PF_OK)
		fail("packed message does not parse", packed);
	free(s);
	json_decref(packed);
	return back;
}

static void
sync_trigger(const json_t *m)
{
	struct pf_msg_sync_trigger	a, b;
	json_t				*w;

	if (pf_msg_sync_trigger_unpack(m, &a, NULL) != PF_OK)
		return;
	w = wire(pf_msg_sync_trigger_pack(&a), m);
	if (pf_msg_sync_trigger_unpack(w, &b, NULL) != PF_OK ||
	    a.all != b.all || !str_eq(a.user_id, b.user_id) ||
	    a.days != b.days || a.wait != b.wait ||
	    !str_eq(a.trigger, b.trigger))
		fail("sync.trigger does not round-trip", m);
	json_decref(w);
}

static void
oauth_exchange(const json_t *m)
{
	struct pf_msg_oauth_exchange	a, b;
	json_t				*w;

	if (pf_msg_oauth_exchange_unpack(m, &a, NULL) != PF_OK)
		return;
	w = wire(pf_msg_oauth_exchange_pack(&a), m);
	if (pf_msg_oauth_exchange_unpack(w, &b, NULL) != PF_OK ||
	    !str_eq(a.code, b.code) || !str_eq(a.redirect_uri,
	    b.redirect_uri))
		fail("oauth.exchange does not round-trip", m);
	json_decref(w);
}

static void
analytics_recompute(const json_t *m)
{
	struct pf_msg_analytics_recompute	a, b;
	json_t					*w;

	if (pf_msg_analytics_recompute_unpack(m, &a, NULL) != PF_OK)
		return;
	w = wire(pf_msg_analytics_recompute_pack(&a), m);
	if (pf_msg_analytics_recompute_unpack(w, &b, NULL) != PF_OK ||
	    a.all != b.all || a.full != b.full ||
	    !str_eq(a.user_id, b.user_id))
		fail("analytics.recompute does not round-trip", m);
	json_decref(w);
}

static void
data_changed(const json_t *m)
{
	struct pf_msg_data_changed	a, b;
	json_t				*w;

	if (pf_msg_data_changed_unpack(m, &a, NULL) != PF_OK)
		return;
	w = wire(pf_msg_data_changed_pack(&a), m);
	if (pf_msg_data_changed_unpack(w, &b, NULL) != PF_OK ||
	    !str_eq(a.user_id, b.user_id) || !str_eq(a.sync_id, b.sync_id) ||
	    (a.streams == NULL) != (b.streams == NULL) ||
	    (a.streams != NULL && !json_equal(a.streams, b.streams)) ||
	    a.first_day != b.first_day || a.last_day != b.last_day)
		fail("data.changed does not round-trip", m);
	json_decref(w);
}

static void
analytics_updated(const json_t *m)
{
	struct pf_msg_analytics_updated	a, b;
	json_t				*w;

	if (pf_msg_analytics_updated_unpack(m, &a, NULL) != PF_OK)
		return;
	w = wire(pf_msg_analytics_updated_pack(&a), m);
	if (pf_msg_analytics_updated_unpack(w, &b, NULL) != PF_OK ||
	    !str_eq(a.user_id, b.user_id) ||
	    !str_eq(a.computed_at, b.computed_at) ||
	    a.duration_ms != b.duration_ms ||
	    a.anomaly_count != b.anomaly_count)
		fail("analytics.updated does not round-trip", m);
	json_decref(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*why = NULL, *type, *message;
	json_t		*m;
	int		 r;

	r = pf_ipc_msg_parse(data, size, &m, &why);
	if (r != PF_OK) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (pf_ipc_msg_check(m, &type) != PF_OK || type == NULL)
		fail("parsed message fails its envelope check", m);
	if (pf_ipc_reply_error(m, &message) == PF_OK && message != NULL)
		fail("a successful reply with an error message", m);
	if (message != NULL)
		(void)strlen(message);
	sync_trigger(m);
	oauth_exchange(m);
	analytics_recompute(m);
	data_changed(m);
	analytics_updated(m);
	json_decref(m);
	return 0;
}
