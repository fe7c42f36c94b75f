/*
 * apid.h -- polarflow-apid, the REST API, a kore 4.1 module (apid.so).
 *
 * One kore route ("^/.*$" -> apid_serve) hands every request to serve.c,
 * which matches it against the route table in route.c: one row per route
 * with its statement and its behaviour flags.  Each data route is
 * one parameterised SQL statement (store.c) that returns one row
 * (code integer, body text): PostgreSQL renders the JSON or CSV body, the
 * module adds status, headers, authentication and rate limiting.  Queries
 * run on kore's asynchronous pgsql pool and calls to syncd/analyticsd in
 * kore task threads, so neither a slow query nor a slow daemon blocks a
 * worker.
 *
 * The pure parts -- route matching, validation, key cache and rate-limit
 * arithmetic, error bodies, metrics text -- do not include kore and are
 * unit-tested on their own (UNIT_OBJS_apid).
 */
#ifndef PF_APID_H
#define PF_APID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/ident.h"

#define APID_VERSION		"0.1.0"
#define APID_MAX_CAPTURES	4
#define APID_MAX_PARAMS		6
#define APID_MAX_ROUTES		80
/*
 * The largest request body apid accepts; a larger one gets apid's JSON
 * 413.  kore reads the whole body before the handler runs and refuses
 * bodies over APID_BODY_READ_MAX with its own plain 413, so that bound
 * (the launcher writes it into kore's http_body_max) must stay above
 * this one for the JSON answer to reach clients.
 */
#define APID_BODY_MAX		65536
#define APID_BODY_READ_MAX	(16 * APID_BODY_MAX)
/*
 * The ingest routes take much more (api_ingest_body_max_kb); kore keeps
 * a body over APID_BODY_OFFLOAD in a file of api_ingest_spool_dir
 * instead of memory, so a worker's memory stays bounded.
 */
#define APID_BODY_OFFLOAD	(1024 * 1024)
#define APID_KEY_LEN_MAX	256	/* longer: not a key, not hashed */
#define APID_KEY_TTL_MS		2000	/* key rows re-read: no LISTEN channel */
#define APID_KEY_TTL_LONG_MS	60000	/* ... with the channel (listen.c) */
#define APID_SYNC_TIMEOUT_MS	3000	/* syncd/analyticsd control calls */
#define APID_USER_DELETE_MS	120000	/* Polar's answer, then the erasure */
#define APID_READY_TIMEOUT_MS	500	/* /ready's "is syncd up" call */
#define APID_HOOK_POKE_MS	50	/* "a Polar delivery is queued": the
					   answer is not needed, only sent */
#define APID_HOOK_BODY_MAX	16384	/* Polar's events are a few hundred
					   bytes (the queue's limit too) */
/* A stopping worker's wait for its requests (the unit allows 20 s). */
#define APID_DRAIN_MS		15000
#define APID_SYNC_WAIT_MS	600000	/* a whole sync, answered when done */
#define APID_TASK_THREADS	16	/* per worker: kore's task pool, and
					   syncs waited for on own threads */

/* Route kinds: what serve.c does once auth and validation passed. */
enum apid_kind {
	APID_K_SQL = 1,		/* one statement -> (code, JSON body) */
	APID_K_CSV,		/* one statement -> (code, CSV body) */
	APID_K_SYNC,		/* sync.trigger to syncd */
	APID_K_RECOMPUTE,	/* analytics.recompute, then the SQL */
	APID_K_KEY_REGEN,	/* new key in C, then the SQL */
	APID_K_USER_DELETE,	/* the SQL (the user exists?), then
				   user.delete to syncd */
	APID_K_HEALTH,
	APID_K_READY,
	APID_K_METRICS,
	APID_K_OPENAPI,
	APID_K_MCP,		/* MCP JSON-RPC (mcp.c) */
	APID_K_OAUTH_START,	/* the SaaS OAuth bridge (oauth.c) */
	APID_K_OAUTH_CALLBACK,
	APID_K_OAUTH_EXCHANGE,
	APID_K_HRV_POST,	/* a session: body checked and analysed (hrv.c) */
	APID_K_HRV_LIST,	/* sessions with ?tag, from, to, limit, offset */
	APID_K_HRV_PAGE,	/* the HRV Metrics API's ?skip, limit lists */
	APID_K_HRV_ONE,		/* one session (?rr=true: with its series) */
	APID_K_INGEST,		/* an Apple Health push (ingest.c) */
	APID_K_WEBHOOK_ADD,	/* a webhook subscription (webhook.c) */
	APID_K_POLAR_HOOK,	/* Polar's webhook posts (polarhook.c) */
	APID_K_CONSOLE,		/* the admin console (console.c) */
};

/* Route flags: per-route behaviour, never decided from the path text. */
#define APID_R_AUTH	  0x01	/* needs an API key */
#define APID_R_CACHE	  0x02	/* answer kept in the response cache (its
				   rows announce changes on apid_data) */
#define APID_R_DAYS	  0x04	/* takes ?days=: days_def (0: absent),
				   days_min..days_max */
#define APID_R_BIND_DAYS  0x08	/* ... bound as the statement's last $n */
#define APID_R_DROP_KEYS  0x10	/* success drops the user's cached keys
				   in every worker */
#define APID_R_HIDDEN	  0x20	/* left out of openapi.json */
#define APID_R_HEALTH_Q	  0x200	/* binds ?name, from, to, agg (validate.c,
				   validate_health_query) after the user */
#define APID_R_BIND_CALLER 0x40	/* binds the calling key's id (0: none)
				   and its quota left, after the captures */
#define APID_R_SERVICE	  0x80	/* a user's own key may not: a service
				   key (no user) or the master key */
#define APID_R_PREFIX	  0x400	/* the template and every path under it
				   (the console dispatches its own) */
#define APID_R_NOUSER	  0x100	/* the HRV Metrics API's routes: no
				   capture is a user id; the caller's key
				   decides the user (hrv.c) */
#define APID_R_NOHEAD	  0x8000 /* GET only: the GET changes state (a
				   HEAD would do it and show nobody the
				   answer), so HEAD gets 405 */

struct apid_route {
	const char	*method;	/* "GET" / "POST" */
	const char	*path;		/* template, "{name}" = one segment */
	int		 kind;
	int		 flags;
	int		 days_def;	/* APID_R_DAYS: value when absent */
	int		 days_min;
	int		 days_max;
	const char	*sql;		/* store.c; $1.. = captures, then days */
	const char	*csv_name;	/* K_CSV: filename stem */
};

struct apid_span {
	const char	*p;
	size_t		 len;
};

struct apid_match {
	int			 ncap;
	struct apid_span	 cap[APID_MAX_CAPTURES];
	const char		*capname[APID_MAX_CAPTURES];	/* static */
	size_t			 capnamelen[APID_MAX_CAPTURES];
};

/* route.c */
extern const struct apid_route	apid_routes[];
extern const size_t		apid_nroutes;
/*
 * Finds the route for method and path.  Returns its index and fills m, or
 * -1 when no template matches the path (404), or -2 when a template
 * matches but not with this method (405).
 */
int	route_match(const char *method, const char *path,
	    struct apid_match *m);
/* The ingest routes' body limit in bytes, set once at start-up. */
extern size_t	apid_ingest_body_max;
/* The largest body route (an index of apid_routes, or -1) accepts. */
size_t	route_body_max(int route);
/*
 * The Allow header's value for path ("GET, HEAD, OPTIONS", ...) into buf;
 * returns how many routes match the path (0: the path is not served).
 */
size_t	route_allow(const char *path, char *buf, size_t len);

/* oauthurl.c -- the SaaS OAuth bridge's callback URLs */
#define OAUTH_CALLBACK_MAX	2048
#define OAUTH_CLIENT_ID_MAX	255
/*
 * Checks a SaaS callback URL against allowed (oauth_allowed_callbacks:
 * origins separated by blanks or commas).  Returns 0, or -1 with the
 * reason, a sentence fit for the caller, in why.
 */
int	oauth_callback_check(const char *url, const char *allowed, char *why,
	    size_t whylen);
/* Appends "?name=value" or "&name=value" to the URL in b, value escaped. */
void	oauth_url_param(struct pf_buf *b, const char *name,
	    const char *value);

/* frontparse.c -- a request's header block, before kore parses it. */
#define FRONT_MORE	0	/* the header block is not whole yet */
#define FRONT_PASS	1	/* hand it to kore (maybe rewritten) */
#define FRONT_REFUSE	2	/* answer status and detail, then close */
struct front_req {
	int		 status;
	const char	*detail;	/* static */
	char		 method[16];	/* for the log; "" if unparsed */
	char		 path[256];	/* without the query */
	bool		 path_whole;	/* path was not truncated */
	char		 allow[48];	/* 405: the Allow header's value */
};
/*
 * Checks the *len bytes received so far in buf (cap bytes of room) for a
 * request kore must not see, and rewrites the block in place where kore
 * would refuse what apid accepts (*len changes).  Returns FRONT_*.
 */
int	front_check(char *buf, size_t *len, size_t cap, struct front_req *);
/*
 * How many of the add bytes just received after have bytes of buf still
 * belong to the request that starts at buf: reading stops at its end so
 * that a pipelined next request stays in the socket for its own turn.
 */
size_t	front_extent(const char *buf, size_t have, size_t add);

/* validate.c */
struct apid_verr {
	char	message[160];
	char	key[40];
	char	source[8];	/* "path" / "query" */
};
bool	validate_uuid(const char *s, size_t len);
/* Real calendar date YYYY-MM-DD; writes the canonical text (11 bytes). */
bool	validate_date(const char *s, size_t len, char out[11]);
/* Finite decimal number, at most 64 bytes. */
bool	validate_finite(const char *s, size_t len, double *out);
bool	validate_metric_name(const char *s, size_t len);
bool	validate_pattern_name(const char *s, size_t len);
bool	validate_slug(const char *s, size_t len);
/*
 * Finds "name=value" in a raw query string (NULL allowed) and copies its
 * percent-decoded value into buf.  Returns 1 (found), 0 (absent), -1
 * (longer than buflen - 1, or a control character such as %00 in it) or
 * -2 (name given more than once).
 */
int	query_get(const char *qs, const char *name, char *buf,
	    size_t buflen);
/*
 * The "days" parameter: absent -> def; otherwise an integer in min..max.
 * Returns 0, or -1 with e filled (pydantic-style message).
 */
int	validate_days(const char *qs, int def, int min, int max, int *out,
	    struct apid_verr *e);
/*
 * Checks one path capture by its template name ("user_id", "sleep_date",
 * "exercise_id", ...) and writes the value to bind into out (canonical
 * date, or the text itself).  Returns 0, -1 with e filled, or -2 for a
 * non-finite "value" (its own 400 message).
 */
int	validate_capture(const char *name, size_t namelen,
	    const struct apid_span *v, char *out, size_t outlen,
	    struct apid_verr *e);

/* hrvbody.c -- a posted HRV session's body */
#define HRV_RECID_MAX		200
#define HRV_CLIENT_USER_MAX	254
#define HRV_TAG_MAX		64
#define HRV_NTAGS_MAX		16
struct hrv_body {
	char	 recording_id[HRV_RECID_MAX + 1];	/* "": none given */
	char	 client_user[HRV_CLIENT_USER_MAX + 1];	/* its user_id */
	char	 recorded_at[32];	/* canonical UTC text */
	int	 utc_offset;		/* its zone, minutes (none: 0) */
	int	 heart_rate;		/* -1: absent */
	bool	 motion;
	bool	 feeds;			/* a tag of feed_tags: analytics */
	double	*rr;			/* n intervals, ms; owned */
	size_t	 n;
	/* {recorded_at, utc_offset, tags, device, client_user?,
	   heart_rate?, motion, feeds}, the statement's $3; owned */
	char	*meta;
};
/*
 * Parses and checks len bytes of body in apid's spelling or (compat) the
 * HRV Metrics API's: 0, or -1 with err holding the 400's detail, which
 * names the field and the rule.  At most max_beats intervals.  feeds is
 * set when a tag is one of feed_tags (hrv_morning_tags; NULL: none).  On
 * 0 the caller owns out (hrv_body_free); on -1 there is nothing to free.
 */
int	hrv_body_parse(const char *buf, size_t len, bool compat,
	    size_t max_beats, const char *feed_tags, struct hrv_body *out,
	    char *err, size_t errlen);
void	hrv_body_free(struct hrv_body *b);
/*
 * A path capture as text: percent-decoded, 1..max bytes, no control
 * characters, into out (outlen bytes).  0, or -1 when it is not.
 */
int	hrv_path_text(const struct apid_span *v, size_t max, char *out,
	    size_t outlen);
/* The health reads' query: every field "" when absent (agg: "raw"). */
struct apid_health_q {
	char	name[101];
	char	from[11];
	char	to[11];
	char	agg[8];
};
int	validate_health_query(const char *qs, struct apid_health_q *q,
	    struct apid_verr *e);

/* render.c */
/*
 * s with every byte that does not start a valid UTF-8 sequence replaced
 * by U+FFFD, so that jansson takes it (it refuses a string that is not
 * UTF-8).  Caller frees.
 */
char	*utf8_lossy(const char *s);
/*
 * Error body {"status_code":N,"detail":"..."} plus "extra" when extra is
 * not NULL (borrowed).  Caller frees the result.
 */
char	*render_error(int status, const char *detail, const void *extra);
/* Validation error body with one extra item. */
char	*render_verror(const char *method, const char *path, const char *qs,
	    const struct apid_verr *e);
/* 429 body with extra {"Retry-After": "<secs>"}. */
char	*render_ratelimited(long retry_after);

/* ratelimit.c */
struct apid_key {
	char		hash[65];	/* sha256 hex of the raw key */
	bool		used;		/* slot in use */
	bool		valid;		/* active key (false: negative entry) */
	int64_t		key_id;
	char		user_id[PF_USER_ID_MAX + 1];	/* "" = service key */
	int		limit;		/* requests per hour */
	int64_t		window;		/* unix seconds, hour start */
	int		used_db;	/* tokens granted in window, all workers */
	int		lease;		/* tokens granted here, not yet spent */
	int64_t		checked_ms;	/* when the row was last read
					   (monotonic clock) */
	int64_t		lru;
};

struct apid_keycache {
	struct apid_key	*slot;
	size_t		 nslot;		/* power of two */
	int64_t		 tick;
};

#define RL_WINDOW_S	3600	/* the quota is per wall-clock hour */

int64_t	rl_window(int64_t now_s);
/* Tokens to ask the database for: small when little quota is left. */
int	rl_want(int limit, int used_db);
int	rl_remaining(const struct apid_key *k);
long	rl_retry_after(const struct apid_key *k, int64_t now_s);

void	keycache_init(struct apid_keycache *c, size_t nslot);
void	keycache_free(struct apid_keycache *c);
/* Entry for hash, or NULL. */
struct apid_key *keycache_find(struct apid_keycache *c, const char *hash);
/* Entry for hash, evicting the least recently used in its probe run. */
struct apid_key *keycache_put(struct apid_keycache *c, const char *hash);
/* Drops every entry (the invalidation channel was lost or is new). */
void	keycache_flush(struct apid_keycache *c);
/* Drops every entry of key_id (revoked or regenerated). */
void	keycache_drop_id(struct apid_keycache *c, int64_t key_id);
/* Drops every entry of user uid (its keys were revoked or replaced). */
void	keycache_drop_user(struct apid_keycache *c, const char *uid);
/*
 * Spends one locally leased token if the entry is fresh (read less than
 * ttl_ms ago on the monotonic clock, mono_ms) and belongs to the current
 * window (wall clock, now_s).  Returns 1 (spent), 0 (the database must be
 * asked).
 */
int	keycache_take(struct apid_key *k, int64_t now_s, int64_t mono_ms,
	    int64_t ttl_ms);
/*
 * Records a lease answer read at mono_ms: granted tokens out of want,
 * used = the window's total after the grant.
 */
void	keycache_lease(struct apid_key *k, int64_t mono_ms, int64_t window,
	    int limit, int granted, int used);

/* cache.c */
struct apid_centry {
	char		*key;
	size_t		 keylen;
	uint64_t	 hash;
	char		*body;
	size_t		 len;
	int		 ctype;		/* 0 JSON, 1 CSV */
	char		 uid[PF_USER_ID_MAX + 1];
	int64_t		 lru;
};

struct apid_cache {
	struct apid_centry	*slot;
	size_t			 nslot;		/* power of two */
	size_t			 budget;	/* bytes of keys + bodies */
	size_t			 bytes;
	int64_t			 tick;
	uint64_t		 hits;
	uint64_t		 misses;
};

void	cache_init(struct apid_cache *c, size_t nslot, size_t budget);
void	cache_free(struct apid_cache *c);
void	cache_flush(struct apid_cache *c);
/* Borrowed entry, valid until the next put/drop/flush; NULL on a miss. */
const struct apid_centry *cache_get(struct apid_cache *c, const char *key,
	    size_t keylen);
/* Copies key and body; silently skips bodies over budget / 8. */
void	cache_put(struct apid_cache *c, const char *key, size_t keylen,
	    const char *uid, int ctype, const char *body, size_t len);
void	cache_drop_user(struct apid_cache *c, const char *uid);
/*
 * Drops the blanks PostgreSQL's json functions put around ':' and ','
 * outside strings, in place; returns the new length.
 */
size_t	minify_json(char *s, size_t len);

/* metrics.c */
#define APID_NSTATUS	23
#define APID_NBUCKETS	12
struct apid_metrics {
	uint64_t	req[APID_MAX_ROUTES + 1][APID_NSTATUS];
	uint64_t	hist[APID_NBUCKETS + 1];	/* last: +Inf */
	uint64_t	dur_us_sum;
	uint64_t	db_errors;
	uint64_t	ratelimited;
	uint64_t	lease_queries;
	uint64_t	cache_hits;
	uint64_t	cache_misses;
	uint64_t	replica_reads;		/* replica.c */
	uint64_t	replica_fallbacks;
};
extern const int	metrics_status_codes[APID_NSTATUS];
extern const double	metrics_buckets_s[APID_NBUCKETS];
void	metrics_observe(struct apid_metrics *m, int route, int status,
	    uint64_t dur_us);
void	metrics_render(const struct apid_metrics *m, struct pf_buf *out);

/* mcp_tools.c -- the MCP tools (mcp.c serves them). */
#define MCP_ARG_DAYS		0x01	/* days: 1..365, default 30 */
#define MCP_ARG_USER		0x02	/* user_id (optional) */
#define MCP_ARG_EXERCISE	0x04	/* exercise_id (optional) */
#define MCP_ARG_METRIC		0x08	/* metric (required) */
#define MCP_DAYS_DEF		30
#define MCP_DAYS_MIN		1
#define MCP_DAYS_MAX		365
#define MCP_CARD_URI		"ui://polar-flow/insights-card.html"
#define MCP_NPARAMS		3

enum mcp_tool_kind {
	MCP_T_SQL = 1,		/* one statement -> (code, result) */
	MCP_T_SYNC,		/* check the user, then sync.trigger */
};

struct mcp_tool {
	const char	*name;
	const char	*title;
	const char	*description;
	int		 args;		/* MCP_ARG_* */
	int		 kind;
	const char	*sql;		/* store.c; NULL: chosen by argument */
	const char	*daily;		/* analytics_daily metric ($3) */
	const char	*shape;		/* the result (notation in the .c) */
	bool		 cache;		/* result kept in the response cache */
};

struct mcp_args {
	int		 days;
	char		 user_id[PF_USER_ID_MAX + 1];	/* "": not given */
	char		 extra[64];	/* exercise id or daily metric */
	const char	*sql;		/* the statement to run */
};

struct json_t;
extern const struct mcp_tool	mcp_tools[];
extern const size_t		mcp_ntools;
/* Index of the tool called name, or -1. */
int	mcp_tool_find(const char *name);
/* The tools/list result; caller json_decref()s; NULL on a bad table. */
struct json_t *mcp_tools_list(void);
/* A result notation as JSON Schema; caller json_decref()s; NULL: bad. */
struct json_t *mcp_shape_schema(const char *shape);
/*
 * Checks a tools/call's arguments (borrowed, NULL allowed) for tool and
 * fills a.  Returns 0, or -1 with the tool error's text in err.
 */
int	mcp_tool_args(int tool, const struct json_t *args,
	    struct mcp_args *a, char *err, size_t errlen);
/* The statement's parameters for user uid into buf/pv; returns how many. */
int	mcp_tool_bind(int tool, const struct mcp_args *a, const char *uid,
	    char buf[][128], const char **pv);

/* mcp_proto.c -- the transport's pure parts. */
#define MCP_VERSION_LATEST	"2025-11-25"
/* true when the server speaks revision v */
bool	mcp_version_known(const char *v);
/* The revision to answer initialize with (the client's when known). */
const char *mcp_version_pick(const char *asked);
/* Accept: 0 JSON, 1 SSE only, -1 neither (406). NULL allowed. */
int	mcp_accept(const char *accept);
/* Content-Type is application/json (parameters allowed). */
bool	mcp_json_ctype(const char *ctype);
/*
 * An Origin against a comma-separated allow-list ("" or NULL: none is
 * allowed).  Compared as scheme://host[:port], case-insensitively,
 * trailing "/" ignored; "*" allows any.
 */
bool	mcp_origin_allowed(const char *origin, const char *list);
/* {"jsonrpc":"2.0","id":<idjson>,"error":{code,message}}; caller frees */
char	*mcp_error_body(const char *idjson, int code, const char *message);
/* Appends json as one SSE "message" event to out. */
void	mcp_sse_frame(struct pf_buf *out, const char *json, size_t len);

/* mcp_ui.c */
extern const char	mcp_card_html[];

/* store.c -- every SQL statement of apid */
extern const char store_sql_lease[];
extern const char store_sql_ready[];
extern const char store_sql_sleep_list[];
extern const char store_sql_sleep_day[];
extern const char store_sql_activity_list[];
extern const char store_sql_activity_day[];
extern const char store_sql_recharge_list[];
extern const char store_sql_physical_info[];
extern const char store_sql_cardio_list[];
extern const char store_sql_hr_list[];
extern const char store_sql_hr_samples[];
extern const char store_sql_exercise_list[];
extern const char store_sql_exercise_one[];
extern const char store_sql_exercise_samples[];
extern const char store_sql_exercise_route[];
extern const char store_sql_alertness_list[];
extern const char store_sql_bedtime_list[];
extern const char store_sql_actsamples_list[];
extern const char store_sql_actsamples_day[];
extern const char store_sql_spo2_list[];
extern const char store_sql_ecg_list[];
extern const char store_sql_ecg_one[];
extern const char store_sql_bodytemp_list[];
extern const char store_sql_skintemp_list[];
extern const char store_sql_export_summary[];
extern const char store_sql_csv_sleep[];
extern const char store_sql_csv_activity[];
extern const char store_sql_csv_recharge[];
extern const char store_sql_csv_cardio[];
extern const char store_sql_baselines[];
extern const char store_sql_baseline_one[];
extern const char store_sql_baselines_calculated[];
extern const char store_sql_baseline_check[];
extern const char store_sql_analytics_status[];
extern const char store_sql_patterns[];
extern const char store_sql_pattern_one[];
extern const char store_sql_patterns_detected[];
extern const char store_sql_anomalies[];
extern const char store_sql_insights[];
extern const char store_sql_daily[];
extern const char store_sql_alerts[];
extern const char store_sql_document[];
extern const char store_sql_key_regen[];
extern const char store_sql_key_revoke[];
extern const char store_sql_key_info[];
extern const char store_sql_sync_status[];
extern const char store_sql_user_status[];
extern const char store_sql_user_export[];
extern const char store_sql_sync_user[];
extern const char store_sql_mcp_first_user[];
extern const char store_sql_mcp_sleep[];
extern const char store_sql_mcp_recovery[];
extern const char store_sql_mcp_activity[];
extern const char store_sql_mcp_exercises[];
extern const char store_sql_mcp_exercise[];
extern const char store_sql_mcp_spo2[];
extern const char store_sql_mcp_ecg[];
extern const char store_sql_mcp_bodytemp[];
extern const char store_sql_mcp_skintemp[];
extern const char store_sql_mcp_hr[];
extern const char store_sql_mcp_alertness[];
extern const char store_sql_mcp_bedtime[];
extern const char store_sql_mcp_baselines[];
extern const char store_sql_mcp_patterns[];
extern const char store_sql_mcp_sync_user[];
extern const char store_sql_mcp_sync_status[];
extern const char store_sql_mcp_daily[];
extern const char store_sql_mcp_recovery_score[];
extern const char store_sql_mcp_alerts[];
extern const char store_sql_oauth_state_new[];
extern const char store_sql_oauth_state_take[];
extern const char store_sql_oauth_code_new[];
extern const char store_sql_oauth_exchange[];
extern const char store_sql_polarhook_queue[];
extern const char store_sql_polarhook_refused[];
extern const char store_sql_hrv_post[];
extern const char store_sql_hrv_compat_post[];
extern const char store_sql_hrv_list[];
extern const char store_sql_hrv_one[];
extern const char store_sql_hrv_delete[];
extern const char store_sql_hrv_compat_user[];
extern const char store_sql_hrv_compat_tag[];
extern const char store_sql_hrv_compat_one[];
extern const char store_sql_health_metrics[];
extern const char store_sql_health_workouts[];
extern const char store_sql_webhook_add[];
extern const char store_sql_webhook_list[];
extern const char store_sql_webhook_delete[];
extern const char store_sql_webhook_deliveries[];

#endif /* PF_APID_H */
