/*
 * metrics.c -- Prometheus text for the counters every worker updates.
 *
 * The struct lives in one MAP_SHARED page set up by the kore parent before
 * it forks, so all workers count into the same numbers (atomic adds).
 */
#include <stdio.h>

#include "apid/apid.h"

const int metrics_status_codes[APID_NSTATUS] = {
	200, 201, 202, 204, 302, 303, 400, 401, 404, 405, 408, 409, 413, 414,
	422, 429, 431, 500, 501, 502, 503, 505, 0
};

const double metrics_buckets_s[APID_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0,
	5.0
};

void
metrics_observe(struct apid_metrics *m, int route, int status,
    uint64_t dur_us)
{
	int	i, s = APID_NSTATUS - 1;

	if (route < 0 || route >= APID_MAX_ROUTES)
		route = APID_MAX_ROUTES;
	for (i = 0; i < APID_NSTATUS - 1; i++)
		if (metrics_status_codes[i] == status) {
			s = i;
			break;
		}
	__atomic_fetch_add(&m->req[route][s], 1, __ATOMIC_RELAXED);
	for (i = 0; i < APID_NBUCKETS; i++)
		if ((double)dur_us / 1e6 <= metrics_buckets_s[i])
			break;
	__atomic_fetch_add(&m->hist[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&m->dur_us_sum, dur_us, __ATOMIC_RELAXED);
}

void
metrics_render(const struct apid_metrics *m, struct pf_buf *out)
{
	size_t		i;
	int		s;
	uint64_t	cum = 0, total = 0, v;
	const char	*route;

	pf_buf_adds(out, "# HELP apid_requests_total HTTP requests by route "
	    "template, method and status.\n"
	    "# TYPE apid_requests_total counter\n");
	for (i = 0; i <= apid_nroutes; i++) {
		route = i < apid_nroutes ? apid_routes[i].path : "unmatched";
		for (s = 0; s < APID_NSTATUS; s++) {
			v = __atomic_load_n(&m->req[i < apid_nroutes ? i :
			    APID_MAX_ROUTES][s], __ATOMIC_RELAXED);
			/* Every route is listed once, even unused ones. */
			if (v == 0 && !(s == 0 && i < apid_nroutes))
				continue;
			char st[16];
			if (s == APID_NSTATUS - 1)
				snprintf(st, sizeof(st), "other");
			else
				snprintf(st, sizeof(st), "%d",
				    metrics_status_codes[s]);
			pf_buf_addf(out, "apid_requests_total{method=\"%s\","
			    "route=\"%s\",status=\"%s\"} %llu\n",
			    i < apid_nroutes ? apid_routes[i].method : "",
			    route, st, (unsigned long long)v);
		}
	}
	pf_buf_adds(out, "# HELP apid_request_duration_seconds Time from "
	    "request to response.\n"
	    "# TYPE apid_request_duration_seconds histogram\n");
	for (s = 0; s <= APID_NBUCKETS; s++) {
		v = __atomic_load_n(&m->hist[s], __ATOMIC_RELAXED);
		cum += v;
		if (s < APID_NBUCKETS)
			pf_buf_addf(out, "apid_request_duration_seconds_bucket"
			    "{le=\"%g\"} %llu\n", metrics_buckets_s[s],
			    (unsigned long long)cum);
		else
			pf_buf_addf(out, "apid_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	total = cum;
	pf_buf_addf(out, "apid_request_duration_seconds_sum %.6f\n"
	    "apid_request_duration_seconds_count %llu\n",
	    (double)__atomic_load_n(&m->dur_us_sum, __ATOMIC_RELAXED) / 1e6,
	    (unsigned long long)total);
	pf_buf_addf(out, "# HELP apid_db_errors_total Failed database "
	    "statements.\n# TYPE apid_db_errors_total counter\n"
	    "apid_db_errors_total %llu\n",
	    (unsigned long long)__atomic_load_n(&m->db_errors,
	    __ATOMIC_RELAXED));
	pf_buf_addf(out, "# HELP apid_ratelimit_rejections_total Requests "
	    "refused with 429.\n# TYPE apid_ratelimit_rejections_total "
	    "counter\napid_ratelimit_rejections_total %llu\n",
	    (unsigned long long)__atomic_load_n(&m->ratelimited,
	    __ATOMIC_RELAXED));
	pf_buf_addf(out, "# HELP apid_key_lease_queries_total Key lookups and "
	    "quota leases sent to the database.\n"
	    "# TYPE apid_key_lease_queries_total counter\n"
	    "apid_key_lease_queries_total %llu\n",
	    (unsigned long long)__atomic_load_n(&m->lease_queries,
	    __ATOMIC_RELAXED));
	pf_buf_addf(out, "# HELP apid_cache_requests_total Response cache "
	    "lookups by result.\n# TYPE apid_cache_requests_total counter\n"
	    "apid_cache_requests_total{result=\"hit\"} %llu\n"
	    "apid_cache_requests_total{result=\"miss\"} %llu\n",
	    (unsigned long long)__atomic_load_n(&m->cache_hits,
	    __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&m->cache_misses,
	    __ATOMIC_RELAXED));
	pf_buf_addf(out, "# HELP apid_replica_reads_total Route statements "
	    "answered by the replica.\n# TYPE apid_replica_reads_total "
	    "counter\napid_replica_reads_total %llu\n"
	    "# HELP apid_replica_fallbacks_total Statements that failed on "
	    "the replica and ran again on the primary.\n"
	    "# TYPE apid_replica_fallbacks_total counter\n"
	    "apid_replica_fallbacks_total %llu\n",
	    (unsigned long long)__atomic_load_n(&m->replica_reads,
	    __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&m->replica_fallbacks,
	    __ATOMIC_RELAXED));
}
