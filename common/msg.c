/*
 * msg.c -- pack and unpack the messages of msg.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/ident.h"
#include "common/ipc.h"
#include "common/json.h"
#include "common/msg.h"
#include "common/time.h"

/* The longest trigger name, to bound the read of an unknown one. */
#define TRIGGER_MAX	16
#define USER_ID_RULE	"user_id must be 1-100 characters of [A-Za-z0-9_-]"

static const char *const triggers[] = {
	PF_MSG_TRIGGER_MANUAL, PF_MSG_TRIGGER_API, PF_MSG_TRIGGER_POLARCTL,
	PF_MSG_TRIGGER_WEBHOOK, NULL
};

static int
invalid(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return PF_ERR_INVALID;
}

/* Sets key to v; *ok becomes false when v is NULL (out of memory). */
static void
set(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*ok = false;
}

/* Finishes a pack: the envelope, or NULL if any set() failed. */
static json_t *
done(json_t *o, bool ok)
{
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
pf_msg_sync_trigger_pack(const struct pf_msg_sync_trigger *m)
{
	json_t	*o;
	bool	 ok = true;

	if ((o = pf_ipc_msg_new(PF_MSG_SYNC_TRIGGER)) == NULL)
		return NULL;
	if (m->all)
		set(o, "all", json_true(), &ok);
	else
		set(o, "user_id", json_string(m->user_id), &ok);
	if (m->days > 0)
		set(o, "days", json_integer(m->days), &ok);
	if (m->wait)
		set(o, "wait", json_true(), &ok);
	if (m->trigger != NULL)
		set(o, "trigger", json_string(m->trigger), &ok);
	return done(o, ok);
}

int
pf_msg_sync_trigger_unpack(const json_t *msg, struct pf_msg_sync_trigger *m,
    const char **why)
{
	const char	*trig;
	bool		 present, all = false;
	int		 i;

	memset(m, 0, sizeof(*m));
	m->trigger = PF_MSG_TRIGGER_MANUAL;
	/* {"all": true} asks for everyone; the other fields do not apply */
	if (json_object_get(msg, "user_id") == NULL &&
	    pf_json_opt_bool(msg, "all", &all, &present) == PF_OK && all) {
		m->all = true;
		return PF_OK;
	}
	if (pf_json_get_strn(msg, "user_id", PF_USER_ID_MAX, &m->user_id) !=
	    PF_OK || !pf_user_id_valid(m->user_id))
		return invalid(why, USER_ID_RULE);
	if (pf_json_opt_int(msg, "days", &m->days, &present) != PF_OK ||
	    (present && (m->days < 1 || m->days > PF_MSG_DAYS_MAX)))
		return invalid(why, "days must be an integer from 1 to 365");
	if (pf_json_opt_bool(msg, "wait", &m->wait, &present) != PF_OK)
		return invalid(why, "wait must be boolean");
	if (json_object_get(msg, "trigger") != NULL) {
		if (pf_json_get_strn(msg, "trigger", TRIGGER_MAX, &trig) !=
		    PF_OK)
			trig = "";
		for (i = 0; triggers[i] != NULL; i++)
			if (strcmp(triggers[i], trig) == 0)
				break;
		if (triggers[i] == NULL)
			return invalid(why, "trigger must be manual, api, "
			    "polarctl or webhook");
		m->trigger = triggers[i];
	}
	return PF_OK;
}

json_t *
pf_msg_oauth_exchange_pack(const struct pf_msg_oauth_exchange *m)
{
	json_t	*o;
	bool	 ok = true;

	if ((o = pf_ipc_msg_new(PF_MSG_OAUTH_EXCHANGE)) == NULL)
		return NULL;
	set(o, "code", json_string(m->code), &ok);
	if (m->redirect_uri != NULL)
		set(o, "redirect_uri", json_string(m->redirect_uri), &ok);
	return done(o, ok);
}

int
pf_msg_oauth_exchange_unpack(const json_t *msg,
    struct pf_msg_oauth_exchange *m, const char **why)
{
	bool	present;

	memset(m, 0, sizeof(*m));
	if (pf_json_get_strn(msg, "code", PF_MSG_CODE_MAX, &m->code) !=
	    PF_OK || *m->code == '\0')
		return invalid(why, "code is required");
	if (pf_json_opt_strn(msg, "redirect_uri", PF_MSG_REDIRECT_MAX,
	    &m->redirect_uri, &present) != PF_OK)
		return invalid(why, "redirect_uri must be a string");
	return PF_OK;
}

json_t *
pf_msg_user_delete_pack(const struct pf_msg_user_delete *m)
{
	json_t	*o;
	bool	 ok = true;

	if ((o = pf_ipc_msg_new(PF_MSG_USER_DELETE)) == NULL)
		return NULL;
	set(o, "user_id", json_string(m->user_id), &ok);
	return done(o, ok);
}

int
pf_msg_user_delete_unpack(const json_t *msg, struct pf_msg_user_delete *m,
    const char **why)
{
	memset(m, 0, sizeof(*m));
	if (pf_json_get_strn(msg, "user_id", PF_USER_ID_MAX, &m->user_id) !=
	    PF_OK || !pf_user_id_valid(m->user_id))
		return invalid(why, USER_ID_RULE);
	return PF_OK;
}

json_t *
pf_msg_analytics_recompute_pack(const struct pf_msg_analytics_recompute *m)
{
	json_t	*o;
	bool	 ok = true;

	if ((o = pf_ipc_msg_new(PF_MSG_ANALYTICS_RECOMPUTE)) == NULL)
		return NULL;
	if (m->all)
		set(o, "all", json_true(), &ok);
	else
		set(o, "user_id", json_string(m->user_id), &ok);
	if (m->full)
		set(o, "full", json_true(), &ok);
	return done(o, ok);
}

/* A boolean that may be absent (false), never null or another type. */
static bool
opt_flag(const json_t *msg, const char *key, bool *out)
{
	int	r = pf_json_get_bool(msg, key, out);

	return r == PF_OK || r == PF_ERR_NOTFOUND;
}

int
pf_msg_analytics_recompute_unpack(const json_t *msg,
    struct pf_msg_analytics_recompute *m, const char **why)
{
	memset(m, 0, sizeof(*m));
	if (!opt_flag(msg, "all", &m->all))
		return invalid(why, "\"all\" must be a boolean");
	if (!opt_flag(msg, "full", &m->full))
		return invalid(why, "\"full\" must be a boolean");
	if (m->all)
		return PF_OK;
	if (pf_json_get_strn(msg, "user_id", PF_USER_ID_MAX, &m->user_id) !=
	    PF_OK) {
		m->user_id = NULL;
		return invalid(why,
		    "expected {\"user_id\": \"...\"} or {\"all\": true}");
	}
	if (!pf_user_id_valid(m->user_id))
		return invalid(why, "invalid user_id");
	return PF_OK;
}

/* Adds "YYYY-MM-DD" under key unless day is PF_MSG_DAY_NONE. */
static void
set_day(json_t *o, const char *key, int64_t day, bool *ok)
{
	char	buf[PF_TIME_DATE_LEN];

	if (day == PF_MSG_DAY_NONE)
		return;
	if (pf_time_format_date(day, buf) != PF_OK)
		*ok = false;
	else
		set(o, key, json_string(buf), ok);
}

json_t *
pf_msg_data_changed_pack(const struct pf_msg_data_changed *m)
{
	json_t	*o;
	bool	 ok = true;

	if ((o = pf_ipc_msg_new(PF_MSG_DATA_CHANGED)) == NULL)
		return NULL;
	set(o, "user_id", json_string(m->user_id), &ok);
	if (m->sync_id != NULL)
		set(o, "sync_id", json_string(m->sync_id), &ok);
	if (m->streams != NULL)
		set(o, "streams", json_deep_copy(m->streams), &ok);
	set_day(o, "first_day", m->first_day, &ok);
	set_day(o, "last_day", m->last_day, &ok);
	return done(o, ok);
}

/* "YYYY-MM-DD", absent or null (PF_MSG_DAY_NONE); false otherwise. */
static bool
opt_day(const json_t *msg, const char *key, int64_t *day)
{
	const char	*s;
	int		 r;

	*day = PF_MSG_DAY_NONE;
	r = pf_json_get_strn(msg, key, PF_TIME_DATE_LEN - 1, &s);
	if (r == PF_ERR_NOTFOUND || r == PF_ERR_NULL)
		return true;
	return r == PF_OK && pf_time_parse_date(s, strlen(s), day) == PF_OK;
}

int
pf_msg_data_changed_unpack(const json_t *msg, struct pf_msg_data_changed *m,
    const char **why)
{
	json_t	*streams;
	bool	 present;
	size_t	 i;
	int	 r;

	memset(m, 0, sizeof(*m));
	m->first_day = m->last_day = PF_MSG_DAY_NONE;
	if (pf_json_get_strn(msg, "user_id", PF_USER_ID_MAX, &m->user_id) !=
	    PF_OK || !pf_user_id_valid(m->user_id))
		return invalid(why, "invalid user_id");
	if (pf_json_opt_strn(msg, "sync_id", PF_MSG_SYNC_ID_MAX, &m->sync_id,
	    &present) != PF_OK)
		return invalid(why, "invalid sync_id");
	r = pf_json_get_array(msg, "streams", &streams);
	if (r == PF_OK) {
		for (i = 0; i < json_array_size(streams); i++)
			if (!json_is_string(json_array_get(streams, i)))
				return invalid(why, "streams must be strings");
		m->streams = streams;
	} else if (r != PF_ERR_NOTFOUND && r != PF_ERR_NULL)
		return invalid(why, "streams must be an array");
	if (!opt_day(msg, "first_day", &m->first_day) ||
	    !opt_day(msg, "last_day", &m->last_day))
		return invalid(why, "days must be dates YYYY-MM-DD");
	if (m->first_day != PF_MSG_DAY_NONE && m->last_day != PF_MSG_DAY_NONE &&
	    m->first_day > m->last_day)
		return invalid(why, "first_day is after last_day");
	return PF_OK;
}

json_t *
pf_msg_analytics_updated_pack(const struct pf_msg_analytics_updated *m)
{
	json_t	*o;
	bool	 ok = true;

	if ((o = pf_ipc_msg_new(PF_MSG_ANALYTICS_UPDATED)) == NULL)
		return NULL;
	set(o, "user_id", json_string(m->user_id), &ok);
	set(o, "computed_at", json_string(m->computed_at), &ok);
	set(o, "duration_ms", json_integer(m->duration_ms), &ok);
	set(o, "anomaly_count", json_integer(m->anomaly_count), &ok);
	return done(o, ok);
}

int
pf_msg_analytics_updated_unpack(const json_t *msg,
    struct pf_msg_analytics_updated *m, const char **why)
{
	memset(m, 0, sizeof(*m));
	if (pf_json_get_strn(msg, "user_id", PF_USER_ID_MAX, &m->user_id) !=
	    PF_OK || !pf_user_id_valid(m->user_id))
		return invalid(why, "invalid user_id");
	if (pf_json_get_strn(msg, "computed_at", 64, &m->computed_at) != PF_OK)
		return invalid(why, "invalid computed_at");
	if (pf_json_get_int64(msg, "duration_ms", &m->duration_ms) != PF_OK ||
	    pf_json_get_int64(msg, "anomaly_count", &m->anomaly_count) !=
	    PF_OK)
		return invalid(why, "invalid duration_ms or anomaly_count");
	return PF_OK;
}
