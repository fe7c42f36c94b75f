/*
 * mcp_tools.c -- the MCP tools: upstream's ten, in upstream's order and
 * with its names, arguments and limits, then the analytics this server
 * adds.  Each row declares the tool's arguments, its statement (store.c)
 * and the shape of its result; tools/list, the argument checks and the
 * outputSchema are all made from the row.
 *
 * A result's shape is written in a small notation rather than as JSON
 * Schema text, which would be ten times longer and easy to get wrong:
 *   fields	:= field*		(blank-separated)
 *   field	:= name ['!'] ['?'] ':' type
 *   type	:= 's' string | 'n' number | 'i' integer | 'b' boolean
 *		 | 'o' any object | 'a' any array | '*' anything
 *		 | '[' fields ']' array of such objects
 *		 | '{' fields '}' such an object
 * A field may be null unless marked '!', and must be present unless
 * marked '?'.  Alternatives of the whole result are separated by '|'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/ident.h"

#include "apid/apid.h"

#define DAYS	MCP_ARG_DAYS
#define USER	MCP_ARG_USER

#define WINDOW	"days!:i count!:i most_recent_record:s? hint:s? "

/* upstream's UserInsights (the REST /insights body) */
#define INSIGHTS \
	"user_id!:s generated_at!:s data_freshness:s data_age_days:n " \
	"status!:s feature_availability!:o unlock_progress:o " \
	"current_metrics!:o baselines!:o patterns!:a anomalies!:a " \
	"observations!:a suggestions!:a"

#define BASELINE_FIELDS \
	"metric_name!:s baseline_value:n baseline_7d:n baseline_30d:n " \
	"baseline_90d:n median:n q1:n q3:n iqr:n std_dev:n min:n max:n " \
	"lower_bound:n upper_bound:n sample_count:n status:s " \
	"data_start_date:s data_end_date:s calculated_at:s"

#define DAILY	WINDOW "metric!:s records!:[date!:s value:n details:o]"

static const char desc_user[] =
	"Polar user id.  Leave it out: a user's own API key always means "
	"that user, a service key the server's connected user.";

const struct mcp_tool mcp_tools[] = {
	{ "get_health_insights", "Health insights",
	    "Today at a glance: status, current HRV, sleep score, resting "
	    "heart rate and training load ratio against the personal "
	    "baselines, detected patterns and anomalies, observations and "
	    "suggestions.  Start here.",
	    USER, MCP_T_SQL, store_sql_insights, NULL, INSIGHTS, true },
	{ "get_sleep", "Sleep",
	    "Nightly sleep for the last `days` days, newest first: score, "
	    "times, stage hours, interruptions, HRV, heart rate, breathing, "
	    "skin temperature, continuity, cycles, sleep charge.",
	    DAYS | USER, MCP_T_SQL, store_sql_mcp_sleep, NULL,
	    WINDOW "records!:[date!:s sleep_score:n sleep_start_time:s "
	    "sleep_end_time:s total_sleep_hours:n light_sleep_hours:n "
	    "deep_sleep_hours:n rem_sleep_hours:n interruptions_hours:n "
	    "hrv_avg_ms:n heart_rate_avg_bpm:n heart_rate_min_bpm:n "
	    "heart_rate_max_bpm:n breathing_rate_avg:n "
	    "skin_temperature_avg:n continuity_score:n sleep_cycles:n "
	    "sleep_charge:n regeneration_score:n]", true },
	{ "get_recovery", "Recovery",
	    "Nightly Recharge (ANS charge, HRV, breathing, heart rate) and "
	    "cardio load (strain, tolerance, load ratio) for the last `days` "
	    "days, newest first.",
	    DAYS | USER, MCP_T_SQL, store_sql_mcp_recovery, NULL,
	    "days!:i most_recent_record:s? hint:s? "
	    "nightly_recharge!:[date!:s ans_charge:n ans_charge_status:n "
	    "nightly_recharge_status:n hrv_avg_ms:n beat_to_beat_avg_ms:n "
	    "breathing_rate_avg:n heart_rate_avg_bpm:n] "
	    "cardio_load!:[date!:s strain:n tolerance:n cardio_load:n "
	    "cardio_load_ratio:n cardio_load_status:s]", true },
	{ "get_activity", "Daily activity",
	    "Daily activity for the last `days` days, newest first: steps, "
	    "calories, distance, active minutes, activity score.",
	    DAYS | USER, MCP_T_SQL, store_sql_mcp_activity, NULL,
	    WINDOW "records!:[date!:s steps:n calories_active:n "
	    "calories_total:n distance_km:n active_minutes:n "
	    "activity_score:n]", true },
	{ "get_exercises", "Exercises",
	    "Training sessions of the last `days` days, newest first; with "
	    "`exercise_id` (an id from that list) the one session in detail.",
	    DAYS | USER | MCP_ARG_EXERCISE, MCP_T_SQL, store_sql_mcp_exercises,
	    NULL,
	    WINDOW "records!:[id!:s start_time!:s sport:s duration_minutes:n "
	    "distance_km:n calories:n average_heart_rate_bpm:n "
	    "max_heart_rate_bpm:n training_load:n]"
	    "|id!:s polar_exercise_id!:s start_time!:s sport:s "
	    "duration_seconds:n distance_meters:n calories:n "
	    "average_heart_rate_bpm:n max_heart_rate_bpm:n "
	    "average_speed_mps:n max_speed_mps:n average_cadence:n "
	    "max_cadence:n average_power_watts:n max_power_watts:n "
	    "training_load:n ascent_meters:n descent_meters:n notes:s "
	    "running_index:n training_load_pro:* heart_rate_zones:* "
	    "has_samples!:b route_point_count!:i", true },
	{ "get_biosensing", "Biosensing",
	    "One biosensing series for the last `days` days, newest first: "
	    "spo2, ecg, body_temperature, skin_temperature, heart_rate "
	    "(daily continuous heart rate), alertness or bedtime (SleepWise).",
	    DAYS | USER | MCP_ARG_METRIC, MCP_T_SQL, NULL, NULL,
	    WINDOW "metric!:s records!:a", true },
	{ "get_baselines", "Baselines",
	    "Personal baselines (HRV, sleep score, resting heart rate, "
	    "training load and its ratio: averages over 7/30/90 days, "
	    "quartiles, normal bounds) and the latest physical information.",
	    USER, MCP_T_SQL, store_sql_mcp_baselines, NULL,
	    "count!:i physical_info:{recorded_at!:s vo2_max:n "
	    "maximum_heart_rate_bpm:n resting_heart_rate_bpm:n "
	    "aerobic_threshold_bpm:n anaerobic_threshold_bpm:n weight_kg:n "
	    "height_cm:n sleep_goal_hours:n} baselines!:[" BASELINE_FIELDS "]",
	    true },
	{ "get_patterns", "Patterns and anomalies",
	    "Detected patterns (correlations, trends, overtraining risk) and "
	    "today's anomalies against the personal baselines.",
	    USER, MCP_T_SQL, store_sql_mcp_patterns, NULL,
	    "patterns!:[pattern_type:s pattern_name!:s score:n confidence:n "
	    "significance:s metrics_involved:* sample_count:n details:* "
	    "analyzed_at:s] anomaly_count!:i anomalies!:[metric_name:s "
	    "current_value:n baseline_value:n median_value:n lower_bound:n "
	    "upper_bound:n direction:s severity:s deviation_percent:n]",
	    true },
	{ "trigger_sync", "Sync now",
	    "Starts a sync of the user's data from Polar in the background; "
	    "poll get_sync_status for its result.",
	    USER, MCP_T_SYNC, store_sql_mcp_sync_user, NULL,
	    "status!:s user_id!:s message:s? retry_after_seconds:i?", false },
	{ "get_sync_status", "Sync status",
	    "Whether a sync runs now, the last sync's outcome, and Polar's "
	    "rate-limit budget as last seen.",
	    USER, MCP_T_SQL, store_sql_mcp_sync_status, NULL,
	    "user_id!:s currently_syncing!:b last_sync:{status!:s trigger:s "
	    "started_at:s completed_at:s duration_ms:n records_synced:o "
	    "api_calls_made:n error_type:s error_message:s} "
	    "polar_rate_limit!:o", false },

	/* beyond upstream: analyticsd's daily series and documents */
	{ "get_hrv_band", "HRV normal band",
	    "The HRV normal band per day (7-day mean of ln RMSSD against its "
	    "60-day band), newest first.",
	    DAYS | USER, MCP_T_SQL, store_sql_mcp_daily, "hrv_band", DAILY,
	    true },
	{ "get_training_load", "Training load and PMC",
	    "Daily training load with the acute:chronic ratio and the "
	    "performance management chart (CTL fitness, ATL fatigue, TSB "
	    "form), newest first.",
	    DAYS | USER, MCP_T_SQL, store_sql_mcp_daily, "training_load",
	    DAILY, true },
	{ "get_sleep_debt", "Sleep debt",
	    "Sleep debt per day against the sleep goal over the recent "
	    "nights (value in seconds, details in hours), newest first.",
	    DAYS | USER, MCP_T_SQL, store_sql_mcp_daily, "sleep_debt", DAILY,
	    true },
	{ "get_recovery_score", "Recovery score",
	    "Today's recovery score (0-100) with its components and inputs, "
	    "and the daily scores of the last `days` days.",
	    DAYS | USER, MCP_T_SQL, store_sql_mcp_recovery_score, NULL,
	    "days!:i today:o count!:i records!:[date!:s score:n details:o]",
	    true },
	{ "get_alerts", "Alerts",
	    "Metric alerts (values outside the personal bounds) of the last "
	    "`days` days, newest first; `active` ones are not cleared yet.",
	    DAYS | USER, MCP_T_SQL, store_sql_mcp_alerts, NULL,
	    WINDOW "records!:[metric_name!:s date!:s severity!:s value:n "
	    "lower_bound:n upper_bound:n direction:s first_seen_at:s "
	    "last_seen_at:s cleared_at:s active!:b]", true },
};

const size_t mcp_ntools = sizeof(mcp_tools) / sizeof(mcp_tools[0]);

static const struct {
	const char	*name;
	const char	*sql;
} biosensing[] = {
	{ "spo2", store_sql_mcp_spo2 },
	{ "ecg", store_sql_mcp_ecg },
	{ "body_temperature", store_sql_mcp_bodytemp },
	{ "skin_temperature", store_sql_mcp_skintemp },
	{ "heart_rate", store_sql_mcp_hr },
	{ "alertness", store_sql_mcp_alertness },
	{ "bedtime", store_sql_mcp_bedtime },
};
#define NBIOSENSING	(sizeof(biosensing) / sizeof(biosensing[0]))

int
mcp_tool_find(const char *name)
{
	size_t	i;

	for (i = 0; i < mcp_ntools; i++)
		if (strcmp(mcp_tools[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- the result notation -> JSON Schema ---- */

static json_t	*shape_fields(const char **sp, char end);

static json_t *
shape_type(const char **sp)
{
	const char	*s = *sp;
	json_t		*t;

	switch (*s++) {
	case 's':
		t = json_pack("{s:s}", "type", "string");
		break;
	case 'n':
		t = json_pack("{s:s}", "type", "number");
		break;
	case 'i':
		t = json_pack("{s:s}", "type", "integer");
		break;
	case 'b':
		t = json_pack("{s:s}", "type", "boolean");
		break;
	case 'o':
		t = json_pack("{s:s}", "type", "object");
		break;
	case 'a':
		t = json_pack("{s:s}", "type", "array");
		break;
	case '*':
		t = json_object();
		break;
	case '[':
		if ((t = shape_fields(&s, ']')) == NULL)
			return NULL;
		t = json_pack("{s:s, s:o}", "type", "array", "items", t);
		break;
	case '{':
		t = shape_fields(&s, '}');
		break;
	default:
		return NULL;
	}
	*sp = s;
	return t;
}

/* A nullable type: {"type": [t, "null"]}, or anyOf for a typeless one. */
static void
shape_nullable(json_t *t)
{
	json_t	*ty = json_object_get(t, "type");

	if (ty == NULL)
		return;		/* '*' takes null already */
	json_object_set_new(t, "type", json_pack("[O, s]", ty, "null"));
}

/* fields up to end (or the end of the text / a '|' for end '\0') */
static json_t *
shape_fields(const char **sp, char end)
{
	const char	*s = *sp, *colon, *e;
	json_t		*props = json_object(), *req = json_array(), *t;
	char		 name[64];
	bool		 nonnull, optional;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == end || (end == '\0' && *s == '|'))
			break;
		if (*s == '\0' || (colon = strchr(s, ':')) == NULL ||
		    (size_t)(colon - s) >= sizeof(name))
			goto fail;
		nonnull = optional = false;
		for (e = colon; e > s && (e[-1] == '!' || e[-1] == '?'); e--) {
			if (e[-1] == '!')
				nonnull = true;
			else
				optional = true;
		}
		memcpy(name, s, (size_t)(e - s));
		name[e - s] = '\0';
		s = colon + 1;
		if ((t = shape_type(&s)) == NULL)
			goto fail;
		for (;; s++) {
			if (*s == '!')
				nonnull = true;
			else if (*s == '?')
				optional = true;
			else
				break;
		}
		if (!nonnull)
			shape_nullable(t);
		json_object_set_new(props, name, t);
		if (!optional)
			json_array_append_new(req, json_string(name));
	}
	if (*s == end && end != '\0')
		s++;
	*sp = s;
	return json_pack("{s:s, s:o, s:o}", "type", "object", "properties",
	    props, "required", req);
fail:
	json_decref(props);
	json_decref(req);
	return NULL;
}

json_t *
mcp_shape_schema(const char *shape)
{
	const char	*s = shape;
	json_t		*alt, *one;

	if ((one = shape_fields(&s, '\0')) == NULL)
		return NULL;
	if (*s != '|')
		return one;
	alt = json_array();
	json_array_append_new(alt, one);
	while (*s == '|') {
		s++;
		if ((one = shape_fields(&s, '\0')) == NULL) {
			json_decref(alt);
			return NULL;
		}
		json_array_append_new(alt, one);
	}
	if (*s != '\0') {
		json_decref(alt);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "type", "object", "anyOf", alt);
}

static json_t *
input_schema(const struct mcp_tool *t)
{
	json_t	*props = json_object(), *req = json_array(), *e;
	size_t	 i;

	if (t->args & MCP_ARG_METRIC) {
		e = json_array();
		for (i = 0; i < NBIOSENSING; i++)
			json_array_append_new(e,
			    json_string(biosensing[i].name));
		json_object_set_new(props, "metric", json_pack(
		    "{s:s, s:o, s:s}", "type", "string", "enum", e,
		    "description", "Which series to read."));
		json_array_append_new(req, json_string("metric"));
	}
	if (t->args & MCP_ARG_DAYS)
		json_object_set_new(props, "days", json_pack(
		    "{s:s, s:i, s:i, s:i, s:s}", "type", "integer",
		    "minimum", MCP_DAYS_MIN, "maximum", MCP_DAYS_MAX,
		    "default", MCP_DAYS_DEF, "description",
		    "How many days back from today (1-365)."));
	if (t->args & MCP_ARG_EXERCISE)
		json_object_set_new(props, "exercise_id", json_pack(
		    "{s:s, s:s}", "type", "string", "description",
		    "An exercise's id from the list: that session in "
		    "detail."));
	if (t->args & MCP_ARG_USER)
		json_object_set_new(props, "user_id", json_pack(
		    "{s:s, s:s, s:s}", "type", "string", "pattern",
		    "^[A-Za-z0-9_-]{1,100}$", "description", desc_user));
	return json_pack("{s:s, s:o, s:o, s:b}", "type", "object",
	    "properties", props, "required", req, "additionalProperties", 0);
}

json_t *
mcp_tools_list(void)
{
	json_t	*tools = json_array(), *o, *out;
	size_t	 i;

	for (i = 0; i < mcp_ntools; i++) {
		const struct mcp_tool	*t = &mcp_tools[i];

		if ((out = mcp_shape_schema(t->shape)) == NULL) {
			json_decref(tools);
			return NULL;
		}
		o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:b, s:b}}",
		    "name", t->name, "title", t->title, "description",
		    t->description, "inputSchema", input_schema(t),
		    "outputSchema", out, "annotations",
		    "readOnlyHint", t->kind != MCP_T_SYNC,
		    "openWorldHint", t->kind == MCP_T_SYNC);
		if (t->sql == store_sql_insights)
			json_object_set_new(o, "_meta", json_pack(
			    "{s:{s:s}}", "ui", "resourceUri", MCP_CARD_URI));
		json_array_append_new(tools, o);
	}
	return json_pack("{s:o}", "tools", tools);
}

/* ---- arguments ---- */

#define BAD	"Input validation error: "

static int
arg_error(char *err, size_t errlen, const char *fmt, const char *what)
{
	snprintf(err, errlen, fmt, what);
	return -1;
}

int
mcp_tool_args(int tool, const json_t *args, struct mcp_args *a, char *err,
    size_t errlen)
{
	const struct mcp_tool	*t = &mcp_tools[tool];
	const char		*key, *s;
	json_t			*v;
	json_int_t		 n;
	double			 d;
	size_t			 i;

	memset(a, 0, sizeof(*a));
	a->days = MCP_DAYS_DEF;
	a->sql = t->sql;
	if (t->daily != NULL)
		snprintf(a->extra, sizeof(a->extra), "%s", t->daily);
	if (args == NULL || json_is_null(args))
		args = NULL;
	else if (!json_is_object(args))
		return arg_error(err, errlen, "%s",
		    BAD "arguments must be an object");
	json_object_foreach((json_t *)args, key, v) {
		if (strcmp(key, "days") == 0 && (t->args & MCP_ARG_DAYS)) {
			/*
			 * 30.0 is 30, as upstream's schema check takes it;
			 * the range first, so that the cast is defined.
			 */
			if (json_is_real(v)) {
				d = json_real_value(v);
				if (d < MCP_DAYS_MIN || d > MCP_DAYS_MAX)
					n = 0;
				else if (d != (double)(int)d)
					return arg_error(err, errlen, "Input "
					    "validation error: %s must be an "
					    "integer", key);
				else
					n = (int)d;
			} else if (json_is_integer(v))
				n = json_integer_value(v);
			else
				return arg_error(err, errlen,
				    BAD "%s must be an integer", key);
			if (n < MCP_DAYS_MIN || n > MCP_DAYS_MAX)
				return arg_error(err, errlen,
				    BAD "%s must be between 1 and 365", key);
			a->days = (int)n;
		} else if (strcmp(key, "user_id") == 0 &&
		    (t->args & MCP_ARG_USER)) {
			if (json_is_null(v))
				continue;
			if (!json_is_string(v) || !pf_user_id_validn(
			    json_string_value(v), json_string_length(v)))
				return arg_error(err, errlen,
				    BAD "%s must be 1 to 100 characters of "
				    "A-Z, a-z, 0-9, '_' and '-'", key);
			snprintf(a->user_id, sizeof(a->user_id), "%s",
			    json_string_value(v));
		} else if (strcmp(key, "exercise_id") == 0 &&
		    (t->args & MCP_ARG_EXERCISE)) {
			if (json_is_null(v))
				continue;
			if (!json_is_string(v))
				return arg_error(err, errlen,
				    BAD "%s must be a string", key);
			s = json_string_value(v);
			/* upstream: anything but a known UUID is not found */
			if (!validate_uuid(s, json_string_length(v))) {
				snprintf(err, errlen,
				    "Exercise %.100s not found", s);
				return -1;
			}
			snprintf(a->extra, sizeof(a->extra), "%s", s);
			a->sql = store_sql_mcp_exercise;
		} else if (strcmp(key, "metric") == 0 &&
		    (t->args & MCP_ARG_METRIC)) {
			s = json_is_string(v) ? json_string_value(v) : "";
			for (i = 0; i < NBIOSENSING; i++)
				if (strcmp(s, biosensing[i].name) == 0)
					break;
			if (i == NBIOSENSING)
				return arg_error(err, errlen,
				    BAD "%s must be one of spo2, ecg, "
				    "body_temperature, skin_temperature, "
				    "heart_rate, alertness, bedtime", key);
			a->sql = biosensing[i].sql;
		} else {
			snprintf(err, errlen,
			    BAD "unexpected argument '%.60s'", key);
			return -1;
		}
	}
	if (a->sql == NULL)
		return arg_error(err, errlen, BAD "%s is required",
		    "metric");
	return 0;
}

int
mcp_tool_bind(int tool, const struct mcp_args *a, const char *uid,
    char buf[][128], const char **pv)
{
	const struct mcp_tool	*t = &mcp_tools[tool];
	int			 n = 0;

	snprintf(buf[n], sizeof(buf[0]), "%s", uid);
	pv[n] = buf[n];
	n++;
	if (a->sql == store_sql_mcp_exercise) {
		snprintf(buf[n], sizeof(buf[0]), "%s", a->extra);
		pv[n] = buf[n];
		return n + 1;
	}
	if (t->args & MCP_ARG_DAYS) {
		snprintf(buf[n], sizeof(buf[0]), "%d", a->days);
		pv[n] = buf[n];
		n++;
	}
	if (t->daily != NULL) {
		snprintf(buf[n], sizeof(buf[0]), "%s", a->extra);
		pv[n] = buf[n];
		n++;
	}
	return n;
}
