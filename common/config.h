/*
 * config.h -- polarflow.conf: one file read by every program.
 *
 * Grammar (like postgresql.conf): one "key = value" per line, '#' starts a
 * comment outside quotes, values may be 'single' or "double" quoted, blank
 * lines ignored, the last assignment of a key wins.  Every key has one
 * declared type, range and default (the table in config.c, documented in
 * polarflow.conf(5)).  Unknown keys and bad values are errors reported as
 * "file:line: message".
 *
 * Precedence, lowest first: default, file, systemd credential, environment.
 * Every key KEY can be
 * set with the environment variable POLARFLOW_<KEY> (upper case); the
 * upstream polar-flow-server names keep working (DATABASE_URL, API_KEY,
 * LOG_LEVEL, SYNC_INTERVAL_MINUTES, SYNC_DAYS_LOOKBACK, ENCRYPTION_KEY, ...).
 * Secret keys (database_url, api_key, encryption_key, polar_client_secret)
 * may instead be given as "<key>_file = /path" (or <ENV>_FILE): the file's
 * contents, trailing newline stripped, become the value.  Under systemd a
 * secret comes from $CREDENTIALS_DIRECTORY/<key> or .../polarflow_<key>
 * (LoadCredential=polarflow:<directory> in the unit) when that file exists;
 * a "<key>_file" line of the file is then not read at all, so the shared
 * file may name a path the daemon's own user cannot open.
 *
 * The structure is immutable once loaded; reload builds a new one and swaps.
 */
#ifndef PF_COMMON_CONFIG_H
#define PF_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/log.h"

#define PF_CONFIG_PATH		"/etc/polarflow/polarflow.conf"
#define PF_CONFIG_LINE_MAX	4096

struct pf_config {
	char			*path;		/* file read, NULL if none */

	/* database */
	char			*database_url;
	int			 database_connect_attempts;
	int			 database_statement_timeout_ms;
	char			*database_url_replica;	/* "" none; apid */
	int			 database_replica_max_lag_ms;

	/* process */
	char			*rundir;
	char			*control_allow_users;	/* names or uids */
	enum pf_log_level	 log_level;
	enum pf_log_format	 log_format;
	char			*deployment_mode;	/* self_hosted | saas */

	/* secrets and keys */
	char			*encryption_key;
	char			*api_key;		/* master key, may be "" */

	/* apid */
	char			*api_host;
	int			 api_port;
	int			 api_workers;
	int			 api_rate_limit;	/* requests per hour */
	char			*api_user;	/* kore workers' user, "" none */
	char			*api_chroot;	/* their root, "" none */
	int			 api_ingest_body_max_kb;	/* one push */
	int			 api_ingest_quota_kb_per_hour;	/* 0: none */
	char			*api_ingest_spool_dir;	/* large bodies */
	char			*base_url;
	char			*mcp_allowed_origins;	/* "a,b"; "*": any */
	bool			 api_console_secure_cookies; /* behind TLS */
	char			*api_trusted_proxies;	/* addresses, CIDRs */
	char			*oauth_allowed_callbacks; /* origins, blank- or
						     comma-separated */

	/* Polar */
	char			*polar_client_id;
	char			*polar_client_secret;
	char			*polar_api_url;
	char			*polar_token_url;
	char			*polar_auth_url;

	/* syncd */
	bool			 sync_enabled;
	bool			 sync_on_startup;
	int			 sync_interval_minutes;
	int			 sync_days_lookback;
	int			 sync_max_concurrency;
	int			 sync_http_timeout_seconds;
	int			 sync_lease_seconds;

	/* analyticsd */
	int			 analytics_reconcile_seconds;
	double			 analytics_hrv_band_sd;
	char			*analytics_preferred_source;	/* polar|apple */

	/* HRV sessions (apid posts, analyticsd Polar RR) */
	int			 hrv_max_beats;
	double			 hrv_max_corrected_pct;
	char			*hrv_morning_tags;	/* comma-separated */
	char			*hrv_polar_tag;		/* "": the sport */

	/* webhooks out (syncd's sender) */
	bool			 webhook_allow_private;	/* loopback, RFC 1918 */
	int			 webhook_timeout_seconds;
	int			 webhook_retry_initial_ms;
	int			 webhook_retry_max_ms;
	int			 webhook_retry_hours;	/* then: failed */
	int			 webhook_disable_after_hours;
	int			 webhook_max_inflight;
	/* apid's path for Polar's webhook posts; "" turns it off */
	char			*polar_webhook_path;
	/* the polling interval while a Polar webhook is registered */
	int			 polar_webhook_poll_minutes;
};

/*
 * Loads defaults, then path (if path is NULL the default PF_CONFIG_PATH is
 * read when it exists; an explicit path must exist), then the environment.
 * On success *out is set and owned by the caller (pf_config_free).  On
 * failure returns PF_ERR_PARSE/PF_ERR_INVALID/PF_ERR_RANGE/PF_ERR_IO and
 * writes "file:line: message" (or "environment NAME: message") into err.
 */
int	pf_config_load(struct pf_config **out, const char *path, char *err,
	    size_t errlen);

/* Accepts NULL.  Secrets are wiped before they are freed. */
void	pf_config_free(struct pf_config *cfg);

/*
 * Writes every key as "key = value" to fp, in table order; secrets are
 * printed as "(set)" or "(unset)" unless show_secrets.
 */
void	pf_config_dump(const struct pf_config *cfg, FILE *fp,
	    bool show_secrets);

/*
 * Rewrites an upstream SQLAlchemy URL ("postgresql+asyncpg://...") into a
 * libpq URI in place; anything else is left alone.
 */
void	pf_config_normalize_db_url(char *url);

#endif /* PF_COMMON_CONFIG_H */
