/*
 * route.c -- the route table and its matcher.
 *
 * Templates are literal segments and "{name}" placeholders that match one
 * non-empty segment.  The table is the single list of what apid serves:
 * serve.c dispatches from it, /metrics names its rows, and the
 * integration tests compare it with openapi.json.
 */
#include <string.h>

#include "apid/apid.h"

#define U	"/api/v1/users/{user_id}"
#define GET	"GET"
#define POST	"POST"
#define A	APID_R_AUTH

const struct apid_route apid_routes[] = {
	{ GET, "/health", APID_K_HEALTH, 0, 0, 0, 0, NULL, NULL },
	{ GET, "/ready", APID_K_READY, 0, 0, 0, 0, NULL, NULL },
	{ GET, "/metrics", APID_K_METRICS, 0, 0, 0, 0, NULL, NULL },
	{ GET, "/schema/openapi.json", APID_K_OPENAPI, 0, 0, 0, 0, NULL, NULL },

	/* data (upstream §2.2) */
	{ GET, U "/sleep", APID_K_SQL, A, 7, 1, 365, NULL, NULL },
	{ GET, U "/sleep/{sleep_date}", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ GET, U "/activity", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/activity/{target_date}", APID_K_SQL, A, 0, 0, 0, NULL,
	    NULL },
	{ GET, U "/recharge", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/physical-info", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ GET, U "/cardio-load", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/heart-rate", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/heart-rate/{target_date}/samples", APID_K_SQL, A, 0, 0, 0,
	    NULL, NULL },
	{ GET, U "/exercises", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/exercises/{exercise_id}", APID_K_SQL, A, 0, 0, 0, NULL,
	    NULL },
	{ GET, U "/exercises/{exercise_id}/samples", APID_K_SQL, A, 0, 0, 0,
	    NULL, NULL },
	{ GET, U "/exercises/{exercise_id}/route", APID_K_SQL, A, 0, 0, 0,
	    NULL, NULL },
	{ GET, U "/sleepwise/alertness", APID_K_SQL, A, 7, 1, 30, NULL, NULL },
	{ GET, U "/sleepwise/bedtime", APID_K_SQL, A, 7, 1, 30, NULL, NULL },
	{ GET, U "/activity-samples", APID_K_SQL, A, 7, 1, 30, NULL, NULL },
	{ GET, U "/activity-samples/{target_date}", APID_K_SQL, A, 0, 0, 0,
	    NULL, NULL },
	{ GET, U "/spo2", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/ecg", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/ecg/{ecg_id}", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ GET, U "/temperature/body", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/temperature/skin", APID_K_SQL, A, 30, 1, 365, NULL, NULL },
	{ GET, U "/export/summary", APID_K_SQL, A, 30, 1, 365, NULL, NULL },

	/* CSV (§2.3) */
	{ GET, U "/export/sleep.csv", APID_K_CSV, A, 30, 1, 365, NULL,
	    "sleep" },
	{ GET, U "/export/activity.csv", APID_K_CSV, A, 30, 1, 365, NULL,
	    "activity" },
	{ GET, U "/export/recharge.csv", APID_K_CSV, A, 30, 1, 365, NULL,
	    "recharge" },
	{ GET, U "/export/cardio-load.csv", APID_K_CSV, A, 30, 1, 365, NULL,
	    "cardio_load" },

	/* sync (§2.4) */
	{ POST, U "/sync/trigger", APID_K_SYNC, A, 0, 1, 365, NULL, NULL },

	/* baselines, analytics status, patterns, anomalies, insights */
	{ GET, U "/baselines", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ POST, U "/baselines/calculate", APID_K_RECOMPUTE, A, 0, 0, 0, NULL,
	    NULL },
	{ GET, U "/baselines/check/{metric_name}/{value}", APID_K_SQL, A,
	    0, 0, 0, NULL, NULL },
	{ GET, U "/baselines/{metric_name}", APID_K_SQL, A, 0, 0, 0, NULL,
	    NULL },
	{ GET, U "/analytics/status", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ GET, U "/patterns", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ POST, U "/patterns/detect", APID_K_RECOMPUTE, A, 0, 0, 0, NULL,
	    NULL },
	{ GET, U "/patterns/{pattern_name}", APID_K_SQL, A, 0, 0, 0, NULL,
	    NULL },
	{ GET, U "/anomalies", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ GET, U "/insights", APID_K_SQL, A, 0, 0, 0, NULL, NULL },

	/* analyticsd's additions beyond upstream */
	{ GET, U "/analytics/daily/{metric}", APID_K_SQL, A, 30, 1, 3650,
	    NULL, NULL },
	{ GET, U "/analytics/alerts", APID_K_SQL, A, 30, 1, 3650, NULL,
	    NULL },
	{ GET, U "/analytics/documents/{kind}", APID_K_SQL, A, 0, 0, 0, NULL,
	    NULL },

	/* keys and user (§2.8) */
	{ POST, U "/api-key/regenerate", APID_K_KEY_REGEN, A, 0, 0, 0, NULL,
	    NULL },
	{ POST, U "/api-key/revoke", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ GET, U "/api-key/info", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
	{ GET, U "/status", APID_K_SQL, A, 0, 0, 0, NULL, NULL },
};

const size_t apid_nroutes = sizeof(apid_routes) / sizeof(apid_routes[0]);

/* SQL per route, in table order (kept apart so the table stays readable). */
static const char *const *const route_sql[] = {
	NULL, NULL, NULL, NULL,
	&store_sql_sleep_list, &store_sql_sleep_day,
	&store_sql_activity_list, &store_sql_activity_day,
	&store_sql_recharge_list, &store_sql_physical_info,
	&store_sql_cardio_list, &store_sql_hr_list, &store_sql_hr_samples,
	&store_sql_exercise_list, &store_sql_exercise_one,
	&store_sql_exercise_samples, &store_sql_exercise_route,
	&store_sql_alertness_list, &store_sql_bedtime_list,
	&store_sql_actsamples_list, &store_sql_actsamples_day,
	&store_sql_spo2_list, &store_sql_ecg_list, &store_sql_ecg_one,
	&store_sql_bodytemp_list, &store_sql_skintemp_list,
	&store_sql_export_summary,
	&store_sql_csv_sleep, &store_sql_csv_activity,
	&store_sql_csv_recharge, &store_sql_csv_cardio,
	&store_sql_sync_user,
	&store_sql_baselines, &store_sql_baselines_calculated,
	&store_sql_baseline_check, &store_sql_baseline_one,
	&store_sql_analytics_status, &store_sql_patterns,
	&store_sql_patterns_detected, &store_sql_pattern_one,
	&store_sql_anomalies, &store_sql_insights,
	&store_sql_daily, &store_sql_alerts, &store_sql_document,
	&store_sql_key_regen, &store_sql_key_revoke, &store_sql_key_info,
	&store_sql_user_status,
};

const char *
route_sql_of(int idx)
{
	if (idx < 0 || (size_t)idx >= sizeof(route_sql) / sizeof(route_sql[0])
	    || route_sql[idx] == NULL)
		return NULL;
	return *route_sql[idx];
}

static int
match_one(const char *tmpl, const char *path, struct apid_match *m)
{
	const char	*t = tmpl, *p = path, *te, *pe;

	m->ncap = 0;
	for (;;) {
		if (*t != '/' || *p != '/')
			return 0;
		t++;
		p++;
		te = t + strcspn(t, "/");
		pe = p + strcspn(p, "/");
		if (*t == '{') {
			if (pe == p || m->ncap == APID_MAX_CAPTURES)
				return 0;
			m->cap[m->ncap].p = p;
			m->cap[m->ncap].len = (size_t)(pe - p);
			m->capname[m->ncap] = t + 1;
			m->capnamelen[m->ncap] = (size_t)(te - t - 2);
			m->ncap++;
		} else if (te - t != pe - p ||
		    strncmp(t, p, (size_t)(te - t)) != 0)
			return 0;
		t = te;
		p = pe;
		if (*t == '\0' && *p == '\0')
			return 1;
		if (*t == '\0' || *p == '\0')
			return 0;
	}
}

int
route_match(const char *method, const char *path, struct apid_match *m)
{
	size_t			i;
	int			found = -1;
	struct apid_match	tmp;

	for (i = 0; i < apid_nroutes; i++) {
		if (!match_one(apid_routes[i].path, path, &tmp))
			continue;
		if (strcmp(apid_routes[i].method, method) == 0) {
			*m = tmp;
			return (int)i;
		}
		found = -2;
	}
	return found;
}
