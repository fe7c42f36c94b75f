/*
 * route.c -- the route table and its matcher.
 *
 * Templates are literal segments and "{name}" placeholders that match one
 * non-empty segment.  The table is the single list of what apid serves,
 * and each row is the whole declaration of its route: its statement
 * (store.c) and its behaviour (APID_R_* flags).  serve.c dispatches from
 * it, /metrics names its rows, and apid/gen_openapi.py builds the paths
 * of openapi.json from it (through tools/apid_routes).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "apid/apid.h"

#define U	"/api/v1/users/{user_id}"
#define GET	"GET"
#define POST	"POST"
#define DELETE	"DELETE"
#define A	APID_R_AUTH
#define C	APID_R_CACHE
/* "days": default, 1..max, bound as the statement's last parameter */
#define D(def, max)	APID_R_DAYS | APID_R_BIND_DAYS, def, 1, max
#define NODAYS		0, 0, 0

const struct apid_route apid_routes[] = {
	{ GET, "/health", APID_K_HEALTH, 0, NODAYS, NULL, NULL },
	{ GET, "/ready", APID_K_READY, 0, NODAYS, store_sql_ready, NULL },
	{ GET, "/metrics", APID_K_METRICS, 0, NODAYS, NULL, NULL },
	{ GET, "/schema/openapi.json", APID_K_OPENAPI, 0, NODAYS, NULL,
	    NULL },

	/* the synced data, as upstream serves it */
	{ GET, U "/sleep", APID_K_SQL, A | C | D(7, 365),
	    store_sql_sleep_list, NULL },
	{ GET, U "/sleep/{sleep_date}", APID_K_SQL, A | C, NODAYS,
	    store_sql_sleep_day, NULL },
	{ GET, U "/activity", APID_K_SQL, A | C | D(30, 365),
	    store_sql_activity_list, NULL },
	{ GET, U "/activity/{target_date}", APID_K_SQL, A | C, NODAYS,
	    store_sql_activity_day, NULL },
	{ GET, U "/recharge", APID_K_SQL, A | C | D(30, 365),
	    store_sql_recharge_list, NULL },
	{ GET, U "/physical-info", APID_K_SQL, A | C, NODAYS,
	    store_sql_physical_info, NULL },
	{ GET, U "/cardio-load", APID_K_SQL, A | C | D(30, 365),
	    store_sql_cardio_list, NULL },
	{ GET, U "/heart-rate", APID_K_SQL, A | C | D(30, 365),
	    store_sql_hr_list, NULL },
	{ GET, U "/heart-rate/{target_date}/samples", APID_K_SQL, A | C,
	    NODAYS, store_sql_hr_samples, NULL },
	{ GET, U "/exercises", APID_K_SQL, A | C | D(30, 365),
	    store_sql_exercise_list, NULL },
	{ GET, U "/exercises/{exercise_id}", APID_K_SQL, A | C, NODAYS,
	    store_sql_exercise_one, NULL },
	{ GET, U "/exercises/{exercise_id}/samples", APID_K_SQL, A | C,
	    NODAYS, store_sql_exercise_samples, NULL },
	{ GET, U "/exercises/{exercise_id}/route", APID_K_SQL, A | C,
	    NODAYS, store_sql_exercise_route, NULL },
	{ GET, U "/sleepwise/alertness", APID_K_SQL, A | C | D(7, 30),
	    store_sql_alertness_list, NULL },
	{ GET, U "/sleepwise/bedtime", APID_K_SQL, A | C | D(7, 30),
	    store_sql_bedtime_list, NULL },
	{ GET, U "/activity-samples", APID_K_SQL, A | C | D(7, 30),
	    store_sql_actsamples_list, NULL },
	{ GET, U "/activity-samples/{target_date}", APID_K_SQL, A | C,
	    NODAYS, store_sql_actsamples_day, NULL },
	{ GET, U "/spo2", APID_K_SQL, A | C | D(30, 365),
	    store_sql_spo2_list, NULL },
	{ GET, U "/ecg", APID_K_SQL, A | C | D(30, 365),
	    store_sql_ecg_list, NULL },
	{ GET, U "/ecg/{ecg_id}", APID_K_SQL, A | C, NODAYS,
	    store_sql_ecg_one, NULL },
	{ GET, U "/temperature/body", APID_K_SQL, A | C | D(30, 365),
	    store_sql_bodytemp_list, NULL },
	{ GET, U "/temperature/skin", APID_K_SQL, A | C | D(30, 365),
	    store_sql_skintemp_list, NULL },
	{ GET, U "/export/summary", APID_K_SQL, A | C | D(30, 365),
	    store_sql_export_summary, NULL },

	/* CSV exports: csv_name is the attachment's filename stem */
	{ GET, U "/export/sleep.csv", APID_K_CSV, A | C | D(30, 365),
	    store_sql_csv_sleep, "sleep" },
	{ GET, U "/export/activity.csv", APID_K_CSV, A | C | D(30, 365),
	    store_sql_csv_activity, "activity" },
	{ GET, U "/export/recharge.csv", APID_K_CSV, A | C | D(30, 365),
	    store_sql_csv_recharge, "recharge" },
	{ GET, U "/export/cardio-load.csv", APID_K_CSV, A | C | D(30, 365),
	    store_sql_csv_cardio, "cardio_load" },

	/* sync: "days" goes to syncd (absent: 0, syncd's default) */
	{ POST, U "/sync/trigger", APID_K_SYNC, A | APID_R_DAYS, 0, 1, 365,
	    store_sql_sync_user, NULL },
	/* where an asynchronous trigger's 202 points: the latest sync */
	{ GET, U "/sync/status", APID_K_SQL, A, NODAYS, store_sql_sync_status,
	    NULL },

	/* baselines, analytics status, patterns, anomalies, insights */
	{ GET, U "/baselines", APID_K_SQL, A | C, NODAYS,
	    store_sql_baselines, NULL },
	{ POST, U "/baselines/calculate", APID_K_RECOMPUTE, A, NODAYS,
	    store_sql_baselines_calculated, NULL },
	{ GET, U "/baselines/check/{metric_name}/{value}", APID_K_SQL, A | C,
	    NODAYS, store_sql_baseline_check, NULL },
	{ GET, U "/baselines/{metric_name}", APID_K_SQL, A | C, NODAYS,
	    store_sql_baseline_one, NULL },
	{ GET, U "/analytics/status", APID_K_SQL, A | C, NODAYS,
	    store_sql_analytics_status, NULL },
	{ GET, U "/patterns", APID_K_SQL, A | C, NODAYS,
	    store_sql_patterns, NULL },
	{ POST, U "/patterns/detect", APID_K_RECOMPUTE, A, NODAYS,
	    store_sql_patterns_detected, NULL },
	{ GET, U "/patterns/{pattern_name}", APID_K_SQL, A | C, NODAYS,
	    store_sql_pattern_one, NULL },
	{ GET, U "/anomalies", APID_K_SQL, A | C, NODAYS,
	    store_sql_anomalies, NULL },
	{ GET, U "/insights", APID_K_SQL, A | C, NODAYS,
	    store_sql_insights, NULL },

	/* analyticsd's additions beyond upstream */
	{ GET, U "/analytics/daily/{metric}", APID_K_SQL, A | C | D(30, 3650),
	    store_sql_daily, NULL },
	{ GET, U "/analytics/alerts", APID_K_SQL, A | C | D(30, 3650),
	    store_sql_alerts, NULL },
	{ GET, U "/analytics/documents/{kind}", APID_K_SQL, A | C, NODAYS,
	    store_sql_document, NULL },

	/*
	 * HRV sessions from RR intervals: posted, listed, read (with
	 * ?rr=true its series), deleted.  Never cached: a POST answers with
	 * what it stored, and the lists are read right after.
	 */
	{ POST, U "/hrv/sessions", APID_K_HRV_POST, A, NODAYS,
	    store_sql_hrv_post, NULL },
	{ GET, U "/hrv/sessions", APID_K_HRV_LIST, A, NODAYS,
	    store_sql_hrv_list, NULL },
	{ GET, U "/hrv/sessions/{session_id}", APID_K_HRV_ONE, A, NODAYS,
	    store_sql_hrv_one, NULL },
	{ DELETE, U "/hrv/sessions/{session_id}", APID_K_SQL, A, NODAYS,
	    store_sql_hrv_delete, NULL },
	/* The HRV Metrics API's own routes, for its clients (hrv.c). */
	{ POST, "/api/hrv/session", APID_K_HRV_POST, A | APID_R_NOUSER,
	    NODAYS, store_sql_hrv_compat_post, NULL },
	{ GET, "/api/hrv/sessions/user/{hrv_user_id}", APID_K_HRV_PAGE,
	    A | APID_R_NOUSER, NODAYS, store_sql_hrv_compat_user, NULL },
	{ GET, "/api/hrv/sessions/tag/{tag_name}", APID_K_HRV_PAGE,
	    A | APID_R_NOUSER, NODAYS, store_sql_hrv_compat_tag, NULL },
	{ GET, "/api/hrv/session/{recording_session_id}", APID_K_HRV_ONE,
	    A | APID_R_NOUSER, NODAYS, store_sql_hrv_compat_one, NULL },

	/*
	 * Keys and the user: their rows change without an apid_data
	 * notification, so they are never cached.
	 */
	{ POST, U "/api-key/regenerate", APID_K_KEY_REGEN,
	    A | APID_R_DROP_KEYS, NODAYS, store_sql_key_regen, NULL },
	{ POST, U "/api-key/revoke", APID_K_SQL,
	    A | APID_R_DROP_KEYS, NODAYS,
	    store_sql_key_revoke, NULL },
	{ GET, U "/api-key/info", APID_K_SQL, A | APID_R_BIND_CALLER, NODAYS,
	    store_sql_key_info, NULL },
	{ GET, U "/status", APID_K_SQL, A, NODAYS, store_sql_user_status,
	    NULL },
	/*
	 * The user's erasure: syncd deregisters them at Polar, then every
	 * row of theirs goes (the statement checks that the user exists).
	 */
	{ "DELETE", "/api/v1/users/{user_id}", APID_K_USER_DELETE,
	    A | APID_R_SERVICE | APID_R_DROP_KEYS, NODAYS,
	    store_sql_sync_user, NULL },
	/* every row of the user, for a data-portability request */
	{ GET, U "/export", APID_K_SQL, A, NODAYS, store_sql_user_export,
	    NULL },

	/* MCP: Streamable HTTP without a server stream (mcp.c) */
	{ POST, "/mcp", APID_K_MCP, A, NODAYS, NULL, NULL },

	/* the SaaS OAuth bridge (oauth.c): no key, out of openapi.json */
	{ GET, "/oauth/start", APID_K_OAUTH_START,
	    APID_R_HIDDEN | APID_R_NOHEAD, NODAYS, NULL, NULL },
	{ GET, "/oauth/callback", APID_K_OAUTH_CALLBACK,
	    APID_R_HIDDEN | APID_R_NOHEAD, NODAYS, NULL, NULL },
	{ POST, "/oauth/exchange", APID_K_OAUTH_EXCHANGE, APID_R_HIDDEN,
	    NODAYS, NULL, NULL },

	/*
	 * Apple Health (Health Auto Export): pushes with the user's key, the
	 * seed's /api/v1/sync answered by the same handler; reads of what
	 * was pushed (not cached: the pushes do not notify apid_data).
	 */
	{ POST, "/api/v1/ingest", APID_K_INGEST, A, NODAYS, NULL, NULL },
	{ POST, "/api/v1/sync", APID_K_INGEST, A, NODAYS, NULL, NULL },
	{ GET, U "/health/metrics", APID_K_SQL, A | APID_R_HEALTH_Q, NODAYS,
	    store_sql_health_metrics, NULL },
	{ GET, U "/health/workouts", APID_K_SQL, A | APID_R_HEALTH_Q, NODAYS,
	    store_sql_health_workouts, NULL },

	/*
	 * The webhooks out, for service keys: a key sees the subscriptions
	 * it made (the master key every one); syncd delivers them.
	 */
	{ POST, "/api/v1/webhooks", APID_K_WEBHOOK_ADD,
	    A | APID_R_SERVICE | APID_R_BIND_CALLER, NODAYS,
	    store_sql_webhook_add, NULL },
	{ GET, "/api/v1/webhooks", APID_K_SQL,
	    A | APID_R_SERVICE | APID_R_BIND_CALLER, NODAYS,
	    store_sql_webhook_list, NULL },
	{ DELETE, "/api/v1/webhooks/{webhook_id}", APID_K_SQL,
	    A | APID_R_SERVICE | APID_R_BIND_CALLER, NODAYS,
	    store_sql_webhook_delete, NULL },
	{ GET, "/api/v1/webhooks/{webhook_id}/deliveries", APID_K_SQL,
	    A | APID_R_SERVICE | APID_R_BIND_CALLER, NODAYS,
	    store_sql_webhook_deliveries, NULL },

	/*
	 * Polar's webhook deliveries (polarhook.c): signed by Polar, not
	 * keyed; the path is polar_webhook_path's (this is its default).
	 */
	{ POST, "/polar/webhook", APID_K_POLAR_HOOK, APID_R_HIDDEN, NODAYS,
	    NULL, NULL },

	/*
	 * The admin console (console*.c): HTML pages, their JSON and static
	 * assets, with its own session auth and page table.
	 */
	{ GET, "/admin", APID_K_CONSOLE, APID_R_HIDDEN | APID_R_PREFIX,
	    NODAYS, NULL, NULL },
	{ POST, "/admin", APID_K_CONSOLE, APID_R_HIDDEN | APID_R_PREFIX,
	    NODAYS, NULL, NULL },
};

const size_t apid_nroutes = sizeof(apid_routes) / sizeof(apid_routes[0]);

size_t	apid_ingest_body_max = 512 * 1024 * 1024;

size_t
route_body_max(int route)
{
	if (route >= 0 && (size_t)route < apid_nroutes &&
	    apid_routes[route].kind == APID_K_INGEST)
		return apid_ingest_body_max;
	return APID_BODY_MAX;
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

/* A row's template against path; APID_R_PREFIX rows take subpaths. */
static int
match_row(size_t i, const char *path, struct apid_match *m)
{
	const char	*t = apid_routes[i].path;
	size_t		 n = strlen(t);

	if (!(apid_routes[i].flags & APID_R_PREFIX))
		return match_one(t, path, m);
	m->ncap = 0;
	return strncmp(path, t, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

int
route_match(const char *method, const char *path, struct apid_match *m)
{
	size_t			i;
	int			found = -1;
	bool			head;
	struct apid_match	tmp;

	/* HEAD is GET without the body (kore leaves the body out). */
	if ((head = strcmp(method, "HEAD") == 0))
		method = GET;
	for (i = 0; i < apid_nroutes; i++) {
		if (!match_row(i, path, &tmp))
			continue;
		if (strcmp(apid_routes[i].method, method) == 0 &&
		    !(head && (apid_routes[i].flags & APID_R_NOHEAD))) {
			*m = tmp;
			return (int)i;
		}
		found = -2;
	}
	return found;
}

size_t
route_allow(const char *path, char *buf, size_t len)
{
	size_t			i, n = 0;
	bool			get = false, head = false, post = false;
	bool			del = false;
	struct apid_match	tmp;

	for (i = 0; i < apid_nroutes; i++) {
		if (!match_row(i, path, &tmp))
			continue;
		n++;
		if (strcmp(apid_routes[i].method, GET) == 0) {
			get = true;
			head = head || !(apid_routes[i].flags & APID_R_NOHEAD);
		}
		else if (strcmp(apid_routes[i].method, DELETE) == 0)
			del = true;
		else
			post = true;
	}
	snprintf(buf, len, "%s%s%s%sOPTIONS", get ? "GET, " : "",
	    head ? "HEAD, " : "", post ? "POST, " : "", del ? "DELETE, " : "");
	return n;
}
