/*
 * analyticsd.h -- the polarflow-analyticsd process: its environment and
 * the I/O side (jobs, control, store), and the glue between them and the
 * pure computations (compute, doc).  The pure layers are stats.h and
 * metric.h.
 *
 * One user's run:
 *
 *	jobs.c     picks the next queued user (coalesced per user)
 *	store.c    store_load(): the user's raw series, one read-only
 *		   REPEATABLE READ snapshot
 *	compute.c  compute_user(): series -> struct result (metric_*.c)
 *	store.c    store_write(): every result in one transaction
 *	analyticsd.c publishes {"type":"analytics.updated"}
 */
#ifndef PF_ANALYTICSD_H
#define PF_ANALYTICSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/control.h"
#include "common/daemon.h"
#include "common/ident.h"

#include "analyticsd/metric.h"

struct pf_config;
struct pf_db;
struct pf_ipc_pub;
struct pf_ipc_server;
struct pf_ipc_sub;

#define AD_DAY_NONE		INT32_MIN	/* unknown: ask the database */
#define AD_DAY_ALL		(-1000000)	/* rewrite every day */
#define AD_NPATTERNS		7
#define AD_UPSTREAM_PATTERNS	4	/* pat[0..3]: upstream's detectors */
#define AD_LAST_RUNS		8	/* kept for "status" */
#define AD_ISO_LEN		32	/* "YYYY-MM-DDTHH:MM:SS.sssZ" + NUL */
#define AD_COALESCE_MS		20	/* one run for a user's burst of events */

/* A growing array of dated values; value NaN = SQL NULL. */
struct series {
	struct dayval	*v;
	size_t		 n;
	size_t		 cap;
};

/* Everything compute_user() reads, loaded by store_load(). */
struct user_input {
	char		 user_id[PF_USER_ID_MAX + 1];
	int32_t		 today;			/* UTC day of the run */
	int64_t		 now_ms;
	int32_t		 dirty_from;		/* rewrite daily rows from here */
	char		 data_changed_at[64];	/* as seen by the snapshot */
	char		 snapshot_at[64];	/* now() of the snapshot */

	struct series	 sleep_score;		/* sleep.sleep_score */
	struct series	 sleep_total;		/* total_sleep_seconds */
	struct series	 sleep_goal;		/* sleep_goal_seconds */
	struct series	 bedtime;		/* minutes after local noon */
	struct series	 rc_hrv;		/* nightly_recharge.hrv_avg */
	struct series	 rc_rhr;		/* heart_rate_avg */
	struct series	 rc_ans;		/* ans_charge */
	struct series	 steps;			/* activity.steps */
	struct series	 cal_active;		/* calories_active */
	struct series	 cl_load;		/* cardio_load.cardio_load */
	struct series	 cl_ratio;		/* cardio_load_ratio */
	struct series	 ex_load;		/* sum exercise.training_load */
	struct series	 chr_rhr;		/* resting HR from continuous HR */
	struct series	 hrv_morning;		/* morning-tag sessions' RMSSD */
	double		 sleep_goal_profile;	/* physical_info, NaN if none */

	/*
	 * Apple Health (merge.c): the days whose value in the merged series
	 * above came from Apple (value 1), and Apple's HRV, which is SDNN
	 * and never merged with Polar's RMSSD.
	 */
	bool		 has_apple;
	struct series	 ap_steps;		/* steps */
	struct series	 ap_cal;		/* cal_active */
	struct series	 ap_rhr;		/* rc_rhr and chr_rhr */
	struct series	 ap_sleep;		/* sleep_total, bedtime */
	struct series	 ap_sdnn;		/* Apple HRV SDNN, ms */
};

/* One row of analytics_daily. */
struct daily_row {
	const char	*metric;		/* static */
	int32_t		 day;
	double		 value;
	json_t		*details;		/* owned, may be NULL */
};

/* Today's readiness inputs and scores: the recovery document's numbers. */
struct recovery_today {
	struct recovery_inputs		 in;
	struct recovery_score		 score;	/* NaN / NULL: no data today */
	struct recovery_weights		 weights;
	struct hrv_band_day		 band;
	double				 load, acwr, acwr_uncoupled, acwr_ewma;
	double				 ctl, atl, tsb;
	double				 debt_s, goal_s;
	struct recovery_admin_status	 admin;	/* upstream's dashboard */
	struct hrv_band_day		 morning; /* morning sessions' band */
};

/* The data days behind the analytics status, in the document's order. */
enum status_source {
	STATUS_SLEEP = 0, STATUS_RECHARGE, STATUS_ACTIVITY, STATUS_CARDIO_LOAD,
	STATUS_NSOURCES
};

/* What the insights document shows besides the rows of struct result. */
struct insights_today {
	int				 age;	/* data_age_days */
	struct insight_readiness	 readiness;
	int32_t				 freshness_day;	/* AD_DAY_NONE: none */
	double				 current[BASELINE_NMETRICS];
	struct insight_baseline		 base[BASELINE_NMETRICS];
	size_t				 npatterns;	/* shown: gated by age */
	size_t				 nanomalies;
	struct insight_observation	 obs[INSIGHT_MAX_OBSERVATIONS];
	size_t				 nobs;
	struct insight_suggestion	 sug[INSIGHT_MAX_SUGGESTIONS];
	size_t				 nsug;
};

/* Everything one run derives (compute.c); doc.c renders the documents. */
struct result {
	char		 user_id[PF_USER_ID_MAX + 1];
	int32_t		 today;
	struct baseline	 base[BASELINE_NMETRICS];
	struct pattern	 pat[AD_NPATTERNS];
	const char	*pat_metrics[AD_NPATTERNS];	/* JSON array text */
	size_t		 npat;
	struct anomaly	 anom[BASELINE_NMETRICS];
	int32_t		 anom_day[BASELINE_NMETRICS];
	size_t		 nanom;
	struct daily_row *daily;
	size_t		 ndaily;
	size_t		 daily_cap;
	int		 data_days[STATUS_NSOURCES];	/* last 90 days */
	struct analytics_status status;
	struct insights_today insights;
	struct recovery_today recovery;
	char		 computed_at[AD_ISO_LEN];
};

/* The one global: configuration and the roots of run-time state. */
/* What only analyticsd has; the common part (cfg, db, ctl, ...) is env. */
struct analyticsd {
	struct pf_ipc_pub	*pub;
	struct pf_ipc_sub	*sub;
};

extern struct pf_daemon *env;
extern struct analyticsd *analyticsd;

/* jobs.c: the queue of users to recompute. */

/* Why a user is queued; shown by "status". */
enum job_reason {
	JOB_EVENT = 0,		/* data.changed */
	JOB_RECONCILE,		/* data_changed_at > analytics_run_at */
	JOB_REQUEST,		/* analytics.recompute */
	JOB_DAYCHANGE		/* "today" moved on: refresh documents */
};

struct job_run {
	char		user_id[PF_USER_ID_MAX + 1];
	int64_t		finished_ms;	/* wall clock */
	int64_t		duration_ms;
	int		error;		/* PF_OK or PF_ERR_* */
};

void	 jobs_init(void);
void	 jobs_cleanup(void);
/*
 * Queues user_id (copied) unless it is queued already; a queued user keeps
 * the earliest first_day of its requests (AD_DAY_ALL, the earliest of all,
 * rewrites every day; AD_DAY_NONE defers to the database).  Events for one
 * user arriving within AD_COALESCE_MS are served by one run.  Returns
 * false for a bad user id.
 */
bool	 jobs_add(const char *user_id, enum job_reason why, int32_t first_day,
	    int64_t now_mono_ms);
/* Milliseconds until the next job is due (0 = now), -1 if none. */
int	 jobs_next_timeout(int64_t now_mono_ms);
/*
 * Runs at most max due jobs (compute + store + publish); returns how many
 * ran.  Never blocks on the network except for the database.
 */
int	 jobs_run_due(int64_t now_mono_ms, int max);
/*
 * Queues the stale users and those whose documents are from an earlier
 * day; returns the count or a PF_ERR_*.
 */
int	 jobs_reconcile(int64_t now_mono_ms);
/*
 * Queues every user with analytics state.  Everything is recomputed; the
 * daily series are rewritten from the first changed day, or entirely
 * when full.
 */
int	 jobs_add_all(int64_t now_mono_ms, bool full);
size_t	 jobs_queued(void);
bool	 jobs_in_flight(void);
int64_t	 jobs_total_runs(void);
int64_t	 jobs_total_errors(void);
/* Newest first; returns count (<= AD_LAST_RUNS). */
size_t	 jobs_last_runs(struct job_run *out, size_t max);
/* Events received, dropped as malformed. */
void	 jobs_count_event(bool accepted);
void	 jobs_event_counts(int64_t *accepted, int64_t *dropped);

/* ctl.c: analyticsd's own verbs, its status body, the event subscriber. */

extern const struct pf_ctl_verb ctl_verbs[];
json_t	*ctl_status(void);
/*
 * Validates one data.changed event (v and type already checked) and queues
 * its user; malformed events are logged and dropped.  Returns PF_OK or
 * PF_ERR_PROTO.
 */
int	 ctl_event(const json_t *ev, int64_t now_mono_ms);
void	 ctl_events(void);

/* store.c: ALL SQL of analyticsd. */

/*
 * Marks the run started and loads the user's series in one read-only
 * snapshot.  dirty_from: earliest day known to have changed (AD_DAY_NONE
 * for unknown); the daily rows are rewritten from the earliest of it and
 * the earliest row updated since the previous run.
 */
int	 store_load(struct pf_db *db, const char *user_id, int32_t today,
	    int32_t dirty_from, struct user_input *in);
/* Writes every result of in/res in one transaction. */
int	 store_write(struct pf_db *db, const struct user_input *in,
	    const struct result *res, int64_t duration_ms, bool *still_stale);
/*
 * HRV sessions to (re)analyse for user_id (see q_hrv_todo for the
 * columns); the caller PQclear()s *out.
 */
struct pg_result;
int	 store_hrv_todo(struct pf_db *db, const char *user_id,
	    int algo_version, struct pg_result **out);
/* One session's analysis: a posted one's (session_id) or a Polar one's. */
struct hrv_put {
	const char	*user_id;
	const char	*session_id;	/* posted: update its results only */
	const char	*recording_id;	/* "polar:<exercise id>" */
	const char	*start, *tag, *device;
	const char	*offset;	/* the start's UTC offset, minutes */
	const char	*rr, *nn;	/* float8[] literals */
	const char	*result;	/* pf_hrv_json_result() */
};
int	 store_hrv_put(struct pf_db *db, const struct hrv_put *s);

/* hrv.c: HRV sessions from Polar's RR samples; recompute of old ones. */
/*
 * Analyses what store_hrv_todo() lists for user_id, each session written
 * on its own (an exercise whose RR cannot be analysed is skipped and
 * logged).  *made counts the sessions written.  PF_OK or a database
 * error.
 */
int	 hrv_refresh_user(struct pf_db *db, const char *user_id, int *made);

/* Records a failed run (last_error) outside the results transaction. */
int	 store_fail(struct pf_db *db, const char *user_id, const char *msg);
/*
 * Users with data_changed_at > coalesce(analytics_run_at, -infinity), or
 * (when all) every user with data; calls fn for each.  Returns the count.
 */
int	 store_stale_users(struct pf_db *db, bool all,
	    void (*fn)(const char *user_id, void *arg), void *arg);
int	 store_stale_count(struct pf_db *db, int64_t *count);
/*
 * Users whose documents were computed before day today (UTC).  First
 * rewrites the documents of no user (doc_defaults()) if they changed, so
 * every reconcile, the one at start-up included, leaves them current.
 */
int	 store_outdated_users(struct pf_db *db, int32_t today,
	    void (*fn)(const char *user_id, void *arg), void *arg);

/*
 * compute.c: one user's series in, struct result out; no I/O, and no JSON
 * beyond the details of the daily rows.
 */

void	 series_push(struct series *s, int32_t day, double value);

/*
 * merge.c: polar becomes one value per day, the preferred source's where
 * both have one, the other's elsewhere; the days taken from apple are
 * pushed to from_apple (may be NULL).  Without apple values polar is
 * left as it is.
 */
void	 merge_source(struct series *polar, const struct series *apple,
	    bool prefer_apple, struct series *from_apple);
void	 user_input_cleanup(struct user_input *in);
void	 result_init(struct result *res);
void	 result_cleanup(struct result *res);
/* Pure apart from memory: in -> res.  k = HRV band half-width in SDs. */
int	 compute_user(const struct user_input *in, double band_k,
	    struct result *res);
/*
 * Only the analytics status of in (data days and unlocks) into res: the
 * part compute_user() shares with the document of a user without data.
 */
void	 compute_status(const struct user_input *in, struct result *res);
/* The result of a user without any data, as of day today. */
void	 compute_defaults(int32_t today, struct result *res);
/* "YYYY-MM-DDTHH:MM:SS.sssZ" of an epoch-ms instant. */
void	 compute_iso(int64_t ms, char buf[AD_ISO_LEN]);

/*
 * doc.c: struct result -> the JSON documents apid serves, one function per
 * response body (analytics_documents.payload, written by store.c).  Each
 * returns a new reference.
 */

/* GET /users/{uid}/insights */
json_t	*doc_insights(const struct result *res);
/* GET /users/{uid}/analytics/status (apid renders it from these values) */
json_t	*doc_status(const struct result *res);
/* GET /users/{uid}/anomalies (apid renders it from these values) */
json_t	*doc_anomalies(const struct result *res);
/* GET /users/{uid}/analytics/documents/recovery */
json_t	*doc_recovery(const struct result *res);
/* {kind: payload} of every document above, as stored. */
json_t	*doc_all(const struct result *res);
/*
 * {kind: payload} of the documents apid serves for a user analyticsd has
 * not run for yet, from compute_defaults(): the analytics status.
 */
json_t	*doc_defaults(const struct result *res);
/*
 * The details of a pattern_analyses row (GET /users/{uid}/patterns):
 * exactly upstream's for its four patterns ({"reason"} when insufficient);
 * the other patterns add what their computation exposes.
 */
json_t	*doc_pattern_details(const struct pattern *p);
/* The HRV band of one day: recovery document and hrv_band daily rows. */
json_t	*doc_hrv_band(const struct hrv_band_day *b);

#endif /* PF_ANALYTICSD_H */
