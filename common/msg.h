/*
 * msg.h -- the messages between the programs of the suite, in one place.
 *
 * Every message name the programs exchange is a PF_MSG_* constant below,
 * and every message that carries fields has a struct with a pack function
 * (for the sender) and an unpack function (for the receiver), so a field
 * is spelled once.  The envelope ("v", "type") and the reply scheme are
 * ipc.h's; this file is about what is inside.
 *
 * Unpacked strings and arrays are borrowed from the json_t they came
 * from: they live as long as it does.  Pack functions copy what they are
 * given and return a new envelope owned by the caller (json_decref), or
 * NULL when out of memory.
 */
#ifndef PF_COMMON_MSG_H
#define PF_COMMON_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Control requests understood by every daemon (control.h). */
#define PF_MSG_STATUS			"status"
#define PF_MSG_LOG_VERBOSE		"log.verbose"
#define PF_MSG_LOG_BRIEF		"log.brief"
#define PF_MSG_RELOAD			"reload"

/* Control requests of syncd. */
#define PF_MSG_SYNC_TRIGGER		"sync.trigger"
#define PF_MSG_OAUTH_EXCHANGE		"oauth.exchange"
#define PF_MSG_USER_DELETE		"user.delete"
/* Polar's partner webhook (syncd/polarhook.c) */
#define PF_MSG_POLAR_HOOK_CREATE	"polar.webhook.create"
#define PF_MSG_POLAR_HOOK_SHOW		"polar.webhook.show"
#define PF_MSG_POLAR_HOOK_DELETE	"polar.webhook.delete"
#define PF_MSG_POLAR_HOOK_DRAIN		"polar.webhook.drain"

/* Control requests of analyticsd. */
#define PF_MSG_ANALYTICS_RECOMPUTE	"analytics.recompute"

/* Events: syncd publishes data.changed, analyticsd analytics.updated. */
#define PF_MSG_DATA_CHANGED		"data.changed"
#define PF_MSG_ANALYTICS_UPDATED	"analytics.updated"

/* Socket names under the configured rundir. */
#define PF_SOCK_SYNCD_CTL		"syncd.ctl"
#define PF_SOCK_SYNCD_EVENTS		"events"
#define PF_SOCK_ANALYTICSD_CTL		"analyticsd.ctl"
#define PF_SOCK_ANALYTICSD_EVENTS	"analytics-events"

#define PF_MSG_DAY_NONE		INT64_MIN	/* a day field that is absent */
#define PF_MSG_DAYS_MAX		365		/* sync.trigger "days" */
#define PF_MSG_CODE_MAX		512		/* oauth.exchange "code" */
#define PF_MSG_REDIRECT_MAX	2048		/* "redirect_uri" */
#define PF_MSG_SYNC_ID_MAX	64		/* data.changed "sync_id" */

/*
 * The unpack functions return PF_OK, or PF_ERR_INVALID with *why (may be
 * NULL) set to a static sentence for the error reply.  They check types,
 * lengths and ranges; whether a user exists is the receiver's business.
 */

/*
 * sync.trigger {"user_id", "days"?, "wait"?, "trigger"?} or {"all": true}.
 * "trigger" tells the sync log who asked; absent means "manual".
 */
struct pf_msg_sync_trigger {
	const char	*user_id;	/* NULL with all */
	bool		 all;
	int		 days;		/* 1..PF_MSG_DAYS_MAX; 0: absent */
	bool		 wait;		/* reply when the sync has finished */
	const char	*trigger;	/* one of the static names below */
};
#define PF_MSG_TRIGGER_MANUAL	"manual"
#define PF_MSG_TRIGGER_API	"api"
#define PF_MSG_TRIGGER_POLARCTL	"polarctl"
#define PF_MSG_TRIGGER_WEBHOOK	"webhook"

json_t	*pf_msg_sync_trigger_pack(const struct pf_msg_sync_trigger *m);
int	 pf_msg_sync_trigger_unpack(const json_t *msg,
	    struct pf_msg_sync_trigger *m, const char **why);

/* oauth.exchange {"code", "redirect_uri"?} */
struct pf_msg_oauth_exchange {
	const char	*code;		/* 1..PF_MSG_CODE_MAX bytes */
	const char	*redirect_uri;	/* NULL: absent or null */
};

json_t	*pf_msg_oauth_exchange_pack(const struct pf_msg_oauth_exchange *m);
int	 pf_msg_oauth_exchange_unpack(const json_t *msg,
	    struct pf_msg_oauth_exchange *m, const char **why);

/*
 * user.delete {"user_id"}: deregister the user at Polar, then erase every
 * row of theirs.  The reply: {"user_id", "rows": {table: n},
 * "polar_deregistered": bool, "polar_error"?: text}.
 */
struct pf_msg_user_delete {
	const char	*user_id;
};

json_t	*pf_msg_user_delete_pack(const struct pf_msg_user_delete *m);
int	 pf_msg_user_delete_unpack(const json_t *msg,
	    struct pf_msg_user_delete *m, const char **why);

/* analytics.recompute {"user_id", "full"?} or {"all": true, "full"?} */
struct pf_msg_analytics_recompute {
	const char	*user_id;	/* NULL with all */
	bool		 all;
	bool		 full;		/* rewrite every day, not new ones */
};

json_t	*pf_msg_analytics_recompute_pack(
	    const struct pf_msg_analytics_recompute *m);
int	 pf_msg_analytics_recompute_unpack(const json_t *msg,
	    struct pf_msg_analytics_recompute *m, const char **why);

/*
 * data.changed {"user_id", "sync_id"?, "streams"?, "first_day"?,
 * "last_day"?}: a sync stored new rows for user_id between the two days
 * ("YYYY-MM-DD", both inclusive) in the named streams.
 */
struct pf_msg_data_changed {
	const char	*user_id;
	const char	*sync_id;	/* NULL: absent */
	const json_t	*streams;	/* array of strings; NULL: absent */
	int64_t		 first_day;	/* day number or PF_MSG_DAY_NONE */
	int64_t		 last_day;
};

json_t	*pf_msg_data_changed_pack(const struct pf_msg_data_changed *m);
int	 pf_msg_data_changed_unpack(const json_t *msg,
	    struct pf_msg_data_changed *m, const char **why);

/*
 * analytics.updated {"user_id", "computed_at", "duration_ms",
 * "anomaly_count"}: analyticsd stored new results for user_id.
 */
struct pf_msg_analytics_updated {
	const char	*user_id;
	const char	*computed_at;	/* ISO 8601 timestamp */
	int64_t		 duration_ms;
	int64_t		 anomaly_count;
};

json_t	*pf_msg_analytics_updated_pack(
	    const struct pf_msg_analytics_updated *m);
int	 pf_msg_analytics_updated_unpack(const json_t *msg,
	    struct pf_msg_analytics_updated *m, const char **why);

#endif /* PF_COMMON_MSG_H */
