#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"
#include "common/xmalloc.h"

#define SECRET_FILE_MAX	65536

enum key_type {
	K_STR,
	K_INT,
	K_BOOL,
	K_DOUBLE,
	K_ENUM,		/* string restricted to choices */
	K_LOGLEVEL,
	K_LOGFORMAT,
};

#define K_SECRET	0x01	/* masked in dumps, accepts <key>_file */

struct key {
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	const char	*def;
	double		 min, max;	/* K_INT, K_DOUBLE */
	unsigned	 flags;
	const char	*alias;		/* upstream environment name */
	const char	*choices;	/* K_ENUM: "a|b" */
};

#define OFF(f)	offsetof(struct pf_config, f)

/*
 * The one place a key is declared.  Keep polarflow.conf(5) and
 * etc/polarflow.conf.sample in the same order.
 */
static const struct key keys[] = {
	{ "database_url", K_STR, OFF(database_url),
	    "postgresql:///polarflow", 0, 0, K_SECRET, "DATABASE_URL", NULL },
	{ "database_connect_attempts", K_INT, OFF(database_connect_attempts),
	    "10", 1, 1000, 0, NULL, NULL },
	{ "database_statement_timeout_ms", K_INT,
	    OFF(database_statement_timeout_ms), "30000", 0, 3600000, 0, NULL,
	    NULL },
	{ "database_url_replica", K_STR, OFF(database_url_replica), "", 0, 0,
	    K_SECRET, "DATABASE_URL_REPLICA", NULL },
	{ "database_replica_max_lag_ms", K_INT,
	    OFF(database_replica_max_lag_ms), "5000", 0, 3600000, 0, NULL,
	    NULL },
	{ "rundir", K_STR, OFF(rundir), "/run/polarflow", 0, 0, 0, NULL,
	    NULL },
	{ "control_allow_users", K_STR, OFF(control_allow_users), "_polarapi",
	    0, 0, 0, NULL, NULL },
	{ "log_level", K_LOGLEVEL, OFF(log_level), "info", 0, 0, 0,
	    "LOG_LEVEL", NULL },
	{ "log_format", K_LOGFORMAT, OFF(log_format), "text", 0, 0, 0,
	    "LOG_FORMAT", NULL },
	{ "deployment_mode", K_ENUM, OFF(deployment_mode), "self_hosted", 0, 0,
	    0, "DEPLOYMENT_MODE", "self_hosted|saas" },
	{ "encryption_key", K_STR, OFF(encryption_key), "", 0, 0, K_SECRET,
	    "ENCRYPTION_KEY", NULL },
	{ "api_key", K_STR, OFF(api_key), "", 0, 0, K_SECRET, "API_KEY",
	    NULL },
	{ "api_host", K_STR, OFF(api_host), "127.0.0.1", 0, 0, 0, "API_HOST",
	    NULL },
	{ "api_port", K_INT, OFF(api_port), "8000", 1, 65535, 0, "API_PORT",
	    NULL },
	{ "api_workers", K_INT, OFF(api_workers), "2", 1, 64, 0, NULL, NULL },
	{ "api_user", K_STR, OFF(api_user), "", 0, 0, 0, NULL, NULL },
	{ "api_chroot", K_STR, OFF(api_chroot), "", 0, 0, 0, NULL, NULL },
	{ "api_rate_limit", K_INT, OFF(api_rate_limit), "1000", 1, 100000000,
	    0, NULL, NULL },
	{ "api_ingest_body_max_kb", K_INT, OFF(api_ingest_body_max_kb),
	    "524288", 64, 4194304, 0, NULL, NULL },
	{ "api_ingest_quota_kb_per_hour", K_INT,
	    OFF(api_ingest_quota_kb_per_hour), "8388608", 0, 100000000, 0,
	    NULL, NULL },
	{ "api_ingest_spool_dir", K_STR, OFF(api_ingest_spool_dir),
	    "/var/tmp", 0, 0, 0, NULL, NULL },
	{ "base_url", K_STR, OFF(base_url), "", 0, 0, 0, "BASE_URL", NULL },
	{ "mcp_allowed_origins", K_STR, OFF(mcp_allowed_origins), "", 0, 0, 0,
	    NULL, NULL },
	{ "api_console_secure_cookies", K_BOOL,
	    OFF(api_console_secure_cookies), "false", 0, 0, 0, NULL, NULL },
	{ "api_trusted_proxies", K_STR, OFF(api_trusted_proxies), "", 0, 0,
	    0, NULL, NULL },
	{ "oauth_allowed_callbacks", K_STR, OFF(oauth_allowed_callbacks), "",
	    0, 0, 0, "OAUTH_ALLOWED_CALLBACK_ORIGINS", NULL },
	{ "polar_client_id", K_STR, OFF(polar_client_id), "", 0, 0, 0,
	    "POLAR_CLIENT_ID", NULL },
	{ "polar_client_secret", K_STR, OFF(polar_client_secret), "", 0, 0,
	    K_SECRET, "POLAR_CLIENT_SECRET", NULL },
	{ "polar_api_url", K_STR, OFF(polar_api_url),
	    "https://www.polaraccesslink.com", 0, 0, 0, NULL, NULL },
	{ "polar_token_url", K_STR, OFF(polar_token_url),
	    "https://polarremote.com/v2/oauth2/token", 0, 0, 0, NULL, NULL },
	{ "polar_auth_url", K_STR, OFF(polar_auth_url),
	    "https://flow.polar.com/oauth2/authorization", 0, 0, 0, NULL,
	    NULL },
	{ "sync_enabled", K_BOOL, OFF(sync_enabled), "true", 0, 0, 0,
	    "SYNC_ENABLED", NULL },
	{ "sync_on_startup", K_BOOL, OFF(sync_on_startup), "false", 0, 0, 0,
	    "SYNC_ON_STARTUP", NULL },
	{ "sync_interval_minutes", K_INT, OFF(sync_interval_minutes), "60", 1,
	    10080, 0, "SYNC_INTERVAL_MINUTES", NULL },
	{ "sync_days_lookback", K_INT, OFF(sync_days_lookback), "28", 1, 365,
	    0, "SYNC_DAYS_LOOKBACK", NULL },
	{ "sync_max_concurrency", K_INT, OFF(sync_max_concurrency), "4", 1, 64,
	    0, NULL, NULL },
	{ "sync_http_timeout_seconds", K_INT, OFF(sync_http_timeout_seconds),
	    "30", 1, 600, 0, NULL, NULL },
	{ "sync_lease_seconds", K_INT, OFF(sync_lease_seconds), "60", 5,
	    3600, 0, NULL, NULL },
	{ "analytics_reconcile_seconds", K_INT,
	    OFF(analytics_reconcile_seconds), "300", 5, 86400, 0, NULL, NULL },
	{ "analytics_hrv_band_sd", K_DOUBLE, OFF(analytics_hrv_band_sd), "1.0",
	    0.1, 5.0, 0, NULL, NULL },
	{ "analytics_preferred_source", K_ENUM,
	    OFF(analytics_preferred_source), "polar", 0, 0, 0, NULL,
	    "polar|apple" },
	{ "hrv_max_beats", K_INT, OFF(hrv_max_beats), "10000", 30, 100000, 0,
	    NULL, NULL },
	{ "hrv_max_corrected_pct", K_DOUBLE, OFF(hrv_max_corrected_pct), "5.0",
	    0.0, 100.0, 0, NULL, NULL },
	{ "hrv_morning_tags", K_STR, OFF(hrv_morning_tags),
	    "Rest,Wake Check,Morning", 0, 0, 0, NULL, NULL },
	{ "hrv_polar_tag", K_STR, OFF(hrv_polar_tag), "", 0, 0, 0, NULL,
	    NULL },
	{ "webhook_allow_private", K_BOOL, OFF(webhook_allow_private),
	    "false", 0, 0, 0, NULL, NULL },
	{ "webhook_timeout_seconds", K_INT, OFF(webhook_timeout_seconds),
	    "10", 1, 120, 0, NULL, NULL },
	{ "webhook_retry_initial_ms", K_INT, OFF(webhook_retry_initial_ms),
	    "5000", 10, 3600000, 0, NULL, NULL },
	{ "webhook_retry_max_ms", K_INT, OFF(webhook_retry_max_ms),
	    "3600000", 10, 86400000, 0, NULL, NULL },
	{ "webhook_retry_hours", K_INT, OFF(webhook_retry_hours), "24", 1,
	    720, 0, NULL, NULL },
	{ "webhook_disable_after_hours", K_INT,
	    OFF(webhook_disable_after_hours), "72", 1, 8760, 0, NULL, NULL },
	{ "webhook_max_inflight", K_INT, OFF(webhook_max_inflight), "16", 1,
	    32, 0, NULL, NULL },
	{ "polar_webhook_path", K_STR, OFF(polar_webhook_path),
	    "/polar/webhook", 0, 0, 0, NULL, NULL },
	{ "polar_webhook_poll_minutes", K_INT, OFF(polar_webhook_poll_minutes),
	    "360", 1, 10080, 0, NULL, NULL },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const struct key *
key_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Levenshtein distance, capped; names are short. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j;
	size_t	prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t	sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t	del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) :
			    (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

static const char *
key_suggest(const char *name)
{
	size_t		 i, d, best = 4;
	const char	*found = NULL;

	for (i = 0; i < NKEYS; i++) {
		if ((d = edit_distance(name, keys[i].name)) < best) {
			best = d;
			found = keys[i].name;
		}
	}
	return found;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t	i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return PF_OK;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return PF_OK;
		}
	}
	return PF_ERR_INVALID;
}

static bool
enum_allows(const char *choices, const char *v)
{
	const char	*p = choices, *bar;
	size_t		 n, vlen = strlen(v);

	while (*p != '\0') {
		bar = strchr(p, '|');
		n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == vlen && strncmp(p, v, n) == 0)
			return true;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return false;
}

/*
 * Stores value v for key k into cfg.  On error writes a message without
 * location into msg (the caller prefixes file:line or the variable name).
 */
static int
key_set(struct pf_config *cfg, const struct key *k, const char *v,
    char *msg, size_t msglen)
{
	char		*base = (char *)cfg + k->off;
	char		*end, **sp;
	long long	 ll;
	double		 d;
	bool		 b;
	int		 r;

	switch (k->type) {
	case K_STR:
	case K_ENUM:
		if (k->type == K_ENUM && !enum_allows(k->choices, v)) {
			seterr(msg, msglen, "%s: \"%s\" is not one of %s",
			    k->name, v, k->choices);
			return PF_ERR_INVALID;
		}
		sp = (char **)(void *)base;
		if (*sp != NULL)
			pf_freezero(*sp, strlen(*sp));
		*sp = pf_xstrdup(v);
		return PF_OK;
	case K_INT:
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || isspace((unsigned char)*v)) {
			seterr(msg, msglen, "%s: \"%s\" is not an integer",
			    k->name, v);
			return PF_ERR_INVALID;
		}
		if (errno == ERANGE || ll < (long long)k->min ||
		    ll > (long long)k->max) {
			seterr(msg, msglen, "%s: %s is out of range (%.0f..%.0f)",
			    k->name, v, k->min, k->max);
			return PF_ERR_RANGE;
		}
		*(int *)(void *)base = (int)ll;
		return PF_OK;
	case K_DOUBLE:
		errno = 0;
		d = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || isspace((unsigned char)*v) ||
		    !isfinite(d)) {
			seterr(msg, msglen, "%s: \"%s\" is not a number", k->name,
			    v);
			return PF_ERR_INVALID;
		}
		if (errno == ERANGE || d < k->min || d > k->max) {
			seterr(msg, msglen, "%s: %s is out of range (%g..%g)",
			    k->name, v, k->min, k->max);
			return PF_ERR_RANGE;
		}
		*(double *)(void *)base = d;
		return PF_OK;
	case K_BOOL:
		if (parse_bool(v, &b) != PF_OK) {
			seterr(msg, msglen, "%s: \"%s\" is not a boolean "
			    "(true/false, yes/no, on/off, 1/0)", k->name, v);
			return PF_ERR_INVALID;
		}
		*(bool *)(void *)base = b;
		return PF_OK;
	case K_LOGLEVEL:
		r = pf_log_level_parse(v, (enum pf_log_level *)(void *)base);
		if (r != PF_OK)
			seterr(msg, msglen, "%s: \"%s\" is not one of "
			    "debug|info|warning|error", k->name, v);
		return r;
	case K_LOGFORMAT:
		if (strcasecmp(v, "text") == 0)
			*(enum pf_log_format *)(void *)base = PF_LOG_TEXT;
		else if (strcasecmp(v, "json") == 0)
			*(enum pf_log_format *)(void *)base = PF_LOG_JSON;
		else {
			seterr(msg, msglen, "%s: \"%s\" is not one of text|json",
			    k->name, v);
			return PF_ERR_INVALID;
		}
		return PF_OK;
	}
	seterr(msg, msglen, "%s: internal error: bad key type", k->name);
	return PF_ERR_INTERNAL;
}

/* Reads a secret file; trailing whitespace is not part of the secret. */
static int
read_secret_file(const char *path, char **out, char *msg, size_t msglen)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;
	int	 r = PF_ERR_IO;

	if ((fp = fopen(path, "r")) == NULL) {
		seterr(msg, msglen, "could not open \"%s\": %s", path,
		    strerror(errno));
		return PF_ERR_IO;
	}
	buf = pf_xmalloc(SECRET_FILE_MAX + 1);
	n = fread(buf, 1, SECRET_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		seterr(msg, msglen, "could not read \"%s\": %s", path,
		    strerror(errno));
		goto out;
	}
	if (n > SECRET_FILE_MAX) {
		seterr(msg, msglen, "\"%s\" is larger than %d bytes", path,
		    SECRET_FILE_MAX);
		r = PF_ERR_RANGE;
		goto out;
	}
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		seterr(msg, msglen, "\"%s\" contains a NUL byte", path);
		r = PF_ERR_INVALID;
		goto out;
	}
	*out = buf;
	buf = NULL;
	r = PF_OK;
out:
	if (buf != NULL)
		pf_freezero(buf, SECRET_FILE_MAX + 1);
	fclose(fp);
	return r;
}

/*
 * systemd credentials: a unit's LoadCredential= puts each secret in a
 * directory only the unit's user can read, named in $CREDENTIALS_DIRECTORY.
 * A secret is looked for there under its key's name, or with the
 * "polarflow_" prefix that LoadCredential=polarflow:<directory> gives every
 * file of a directory.  Writes the path found into path.
 */
static bool
credential_path(const struct key *k, char *path, size_t len)
{
	static const char *const prefix[] = { "", "polarflow_" };
	const char	*dir = getenv("CREDENTIALS_DIRECTORY");
	size_t		 i;
	int		 n;

	if (!(k->flags & K_SECRET) || dir == NULL || dir[0] != '/')
		return false;
	for (i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		n = snprintf(path, len, "%s/%s%s", dir, prefix[i], k->name);
		if (n > 0 && (size_t)n < len && access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Resolves a name that may be "<secret>_file" into its key; *is_file tells
 * which form matched.
 */
static const struct key *
key_resolve(const char *name, bool *is_file)
{
	const struct key	*k;
	char			 base[128];
	size_t			 n = strlen(name);

	*is_file = false;
	if ((k = key_find(name)) != NULL)
		return k;
	if (n > 5 && n < sizeof(base) && strcmp(name + n - 5, "_file") == 0) {
		memcpy(base, name, n - 5);
		base[n - 5] = '\0';
		if ((k = key_find(base)) != NULL && (k->flags & K_SECRET)) {
			*is_file = true;
			return k;
		}
	}
	return NULL;
}

static int
assign(struct pf_config *cfg, const char *name, const char *value,
    char *msg, size_t msglen)
{
	const struct key	*k;
	const char		*hint;
	char			*secret = NULL, path[PATH_MAX];
	bool			 is_file;
	int			 r;

	if ((k = key_resolve(name, &is_file)) == NULL) {
		hint = key_suggest(name);
		if (hint != NULL)
			seterr(msg, msglen, "unknown key \"%s\" (did you mean "
			    "\"%s\"?)", name, hint);
		else
			seterr(msg, msglen, "unknown key \"%s\"", name);
		return PF_ERR_INVALID;
	}
	if (!is_file)
		return key_set(cfg, k, value, msg, msglen);
	/*
	 * The credential wins (load_credentials), and under systemd the file
	 * it replaces is usually one this daemon's user may not read.
	 */
	if (credential_path(k, path, sizeof(path)))
		return PF_OK;
	if ((r = read_secret_file(value, &secret, msg, msglen)) != PF_OK) {
		char	tmp[1024];

		/* msg is read and rewritten: through tmp, cut if long */
		if (snprintf(tmp, sizeof(tmp), "%s: %s", name, msg) < 0)
			tmp[0] = '\0';
		seterr(msg, msglen, "%s", tmp);
		return r;
	}
	r = key_set(cfg, k, secret, msg, msglen);
	pf_freezero(secret, strlen(secret));
	return r;
}

/*
 * Splits one line into name and value in place.  Returns PF_OK with
 * *name == NULL for blank and comment lines.
 */
static int
split_line(char *line, char **name, char **value, char *msg, size_t msglen)
{
	char	*p = line, *q, *w;
	char	 quote;

	*name = *value = NULL;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return PF_OK;
	q = p;
	while (isalnum((unsigned char)*q) || *q == '_' || *q == '.' ||
	    *q == '-')
		q++;
	if (q == p) {
		seterr(msg, msglen, "syntax error: expected a key name");
		return PF_ERR_PARSE;
	}
	*name = p;
	w = q;
	while (isspace((unsigned char)*q))
		q++;
	if (*q == '=')
		q++;
	else if (q == w) {
		seterr(msg, msglen, "syntax error: expected \"=\" after \"%.*s\"",
		    (int)(w - p), p);
		return PF_ERR_PARSE;
	}
	*w = '\0';
	while (isspace((unsigned char)*q))
		q++;
	if (*q == '\'' || *q == '"') {
		quote = *q++;
		*value = w = q;
		for (;;) {
			if (*q == '\0') {
				seterr(msg, msglen, "unterminated quoted value");
				return PF_ERR_PARSE;
			}
			if (*q == quote && quote == '\'' && q[1] == '\'') {
				*w++ = '\'';
				q += 2;
				continue;
			}
			if (*q == '\\' && quote == '"' && q[1] != '\0') {
				*w++ = q[1];
				q += 2;
				continue;
			}
			if (*q == quote)
				break;
			*w++ = *q++;
		}
		*w = '\0';
		q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '\0' && *q != '#') {
			seterr(msg, msglen, "syntax error: text after quoted "
			    "value");
			return PF_ERR_PARSE;
		}
		return PF_OK;
	}
	*value = q;
	if ((w = strchr(q, '#')) != NULL)
		*w = '\0';
	w = q + strlen(q);
	while (w > q && isspace((unsigned char)w[-1]))
		*--w = '\0';
	return PF_OK;
}

static int
load_file(struct pf_config *cfg, const char *path, FILE *fp, char *err,
    size_t errlen)
{
	char	 line[PF_CONFIG_LINE_MAX + 2];
	char	 msg[768];
	char	*name, *value;
	size_t	 lineno = 0, n;
	int	 r;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		n = strlen(line);
		if (n > PF_CONFIG_LINE_MAX && line[n - 1] != '\n') {
			seterr(err, errlen, "%s:%zu: line longer than %d bytes",
			    path, lineno, PF_CONFIG_LINE_MAX);
			return PF_ERR_RANGE;
		}
		if (memchr(line, '\0', n) != NULL || strlen(line) != n) {
			seterr(err, errlen, "%s:%zu: NUL byte in line", path,
			    lineno);
			return PF_ERR_PARSE;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		r = split_line(line, &name, &value, msg, sizeof(msg));
		if (r == PF_OK && name != NULL)
			r = assign(cfg, name, value, msg, sizeof(msg));
		if (r != PF_OK) {
			seterr(err, errlen, "%s:%zu: %s", path, lineno, msg);
			return r;
		}
	}
	if (ferror(fp)) {
		seterr(err, errlen, "%s: read error: %s", path,
		    strerror(errno));
		return PF_ERR_IO;
	}
	return PF_OK;
}

/* Applies one environment variable when set and non-empty. */
static int
env_apply(struct pf_config *cfg, const struct key *k, const char *var,
    bool is_file, char *err, size_t errlen)
{
	const char	*v = getenv(var);
	char		 msg[768], *secret = NULL;
	int		 r;

	if (v == NULL || *v == '\0')
		return PF_OK;
	if (is_file) {
		r = read_secret_file(v, &secret, msg, sizeof(msg));
		if (r == PF_OK) {
			r = key_set(cfg, k, secret, msg, sizeof(msg));
			pf_freezero(secret, strlen(secret));
		}
	} else
		r = key_set(cfg, k, v, msg, sizeof(msg));
	if (r != PF_OK)
		seterr(err, errlen, "environment %s: %s", var, msg);
	return r;
}

/* Secrets from systemd credentials override the file, not the environment. */
static int
load_credentials(struct pf_config *cfg, char *err, size_t errlen)
{
	char	 path[PATH_MAX], msg[768], *secret;
	size_t	 i;
	int	 r;

	for (i = 0; i < NKEYS; i++) {
		if (!credential_path(&keys[i], path, sizeof(path)))
			continue;
		secret = NULL;
		r = read_secret_file(path, &secret, msg, sizeof(msg));
		if (r == PF_OK) {
			r = key_set(cfg, &keys[i], secret, msg, sizeof(msg));
			pf_freezero(secret, strlen(secret));
		}
		if (r != PF_OK) {
			seterr(err, errlen, "credential %s: %s", keys[i].name,
			    msg);
			return r;
		}
	}
	return PF_OK;
}

static int
load_env(struct pf_config *cfg, char *err, size_t errlen)
{
	const struct key	*k;
	char			 var[160];
	size_t			 i, j;
	int			 r, pass;

	for (i = 0; i < NKEYS; i++) {
		k = &keys[i];
		/* Upstream names first so POLARFLOW_* wins when both exist. */
		for (pass = 0; pass < 2; pass++) {
			if (pass == 0 && k->alias == NULL)
				continue;
			if (pass == 0)
				snprintf(var, sizeof(var), "%s", k->alias);
			else {
				snprintf(var, sizeof(var), "POLARFLOW_%s",
				    k->name);
				for (j = 10; var[j] != '\0'; j++)
					var[j] = (char)toupper(
					    (unsigned char)var[j]);
			}
			if (k->flags & K_SECRET) {
				size_t	len = strlen(var);

				snprintf(var + len, sizeof(var) - len, "_FILE");
				r = env_apply(cfg, k, var, true, err, errlen);
				if (r != PF_OK)
					return r;
				var[len] = '\0';
			}
			if ((r = env_apply(cfg, k, var, false, err, errlen)) !=
			    PF_OK)
				return r;
		}
	}
	return PF_OK;
}

void
pf_config_normalize_db_url(char *url)
{
	static const char *const schemes[] = { "postgresql+", "postgres+" };
	char	*plus, *sep;
	size_t	 i;

	for (i = 0; i < 2; i++) {
		if (strncmp(url, schemes[i], strlen(schemes[i])) != 0)
			continue;
		plus = url + strlen(schemes[i]) - 1;
		if ((sep = strstr(plus, "://")) == NULL)
			return;
		memmove(plus, sep, strlen(sep) + 1);
		return;
	}
}

static int
validate(struct pf_config *cfg, const char *where, char *err, size_t errlen)
{
	if (strcmp(cfg->deployment_mode, "saas") == 0 &&
	    cfg->encryption_key[0] == '\0') {
		seterr(err, errlen, "%s: deployment_mode = saas requires "
		    "encryption_key", where);
		return PF_ERR_INVALID;
	}
	if (cfg->rundir[0] != '/') {
		seterr(err, errlen, "%s: rundir must be an absolute path",
		    where);
		return PF_ERR_INVALID;
	}
	if (cfg->api_chroot[0] != '\0' && (cfg->api_chroot[0] != '/' ||
	    cfg->api_user[0] == '\0')) {
		seterr(err, errlen, "%s: api_chroot must be an absolute path "
		    "and needs api_user", where);
		return PF_ERR_INVALID;
	}
	if (cfg->polar_webhook_path[0] != '\0' &&
	    (cfg->polar_webhook_path[0] != '/' ||
	    strlen(cfg->polar_webhook_path) > 200 ||
	    strpbrk(cfg->polar_webhook_path, "?# \t") != NULL)) {
		seterr(err, errlen, "%s: polar_webhook_path must be an "
		    "absolute path of at most 200 bytes, without a query",
		    where);
		return PF_ERR_INVALID;
	}
	pf_config_normalize_db_url(cfg->database_url);
	pf_config_normalize_db_url(cfg->database_url_replica);
	return PF_OK;
}

int
pf_config_load(struct pf_config **out, const char *path, char *err,
    size_t errlen)
{
	struct pf_config	*cfg;
	FILE			*fp = NULL;
	char			 msg[256];
	size_t			 i;
	int			 r;

	cfg = pf_xcalloc(1, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++) {
		if ((r = key_set(cfg, &keys[i], keys[i].def, msg,
		    sizeof(msg))) != PF_OK) {
			seterr(err, errlen, "default of %s", msg);
			goto out;
		}
	}
	if (path == NULL && access(PF_CONFIG_PATH, F_OK) == 0)
		path = PF_CONFIG_PATH;
	if (path != NULL) {
		if ((fp = fopen(path, "r")) == NULL) {
			seterr(err, errlen, "%s: %s", path, strerror(errno));
			r = PF_ERR_IO;
			goto out;
		}
		cfg->path = pf_xstrdup(path);
		if ((r = load_file(cfg, path, fp, err, errlen)) != PF_OK)
			goto out;
	}
	if ((r = load_credentials(cfg, err, errlen)) != PF_OK)
		goto out;
	if ((r = load_env(cfg, err, errlen)) != PF_OK)
		goto out;
	if ((r = validate(cfg, path ? path : "configuration", err, errlen)) !=
	    PF_OK)
		goto out;
	*out = cfg;
	cfg = NULL;
out:
	if (fp != NULL)
		fclose(fp);
	pf_config_free(cfg);
	return r;
}

void
pf_config_free(struct pf_config *cfg)
{
	char	**sp;
	size_t	  i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type != K_STR && keys[i].type != K_ENUM)
			continue;
		sp = (char **)(void *)((char *)cfg + keys[i].off);
		if (*sp != NULL)
			pf_freezero(*sp, strlen(*sp));
	}
	free(cfg->path);
	free(cfg);
}

void
pf_config_dump(const struct pf_config *cfg, FILE *fp, bool show_secrets)
{
	const struct key	*k;
	const char		*base, *s;
	size_t			 i;

	for (i = 0; i < NKEYS; i++) {
		k = &keys[i];
		base = (const char *)cfg + k->off;
		fprintf(fp, "%s = ", k->name);
		switch (k->type) {
		case K_STR:
		case K_ENUM:
			s = *(char *const *)(const void *)base;
			if ((k->flags & K_SECRET) && !show_secrets)
				fprintf(fp, "%s\n", *s ? "(set)" : "(unset)");
			else {
				fputc('\'', fp);
				for (; *s != '\0'; s++) {
					if (*s == '\'')
						fputc('\'', fp);
					fputc(*s, fp);
				}
				fputs("'\n", fp);
			}
			break;
		case K_INT:
			fprintf(fp, "%d\n", *(const int *)(const void *)base);
			break;
		case K_DOUBLE:
			fprintf(fp, "%g\n",
			    *(const double *)(const void *)base);
			break;
		case K_BOOL:
			fprintf(fp, "%s\n", *(const bool *)(const void *)base ?
			    "true" : "false");
			break;
		case K_LOGLEVEL:
			fprintf(fp, "%s\n", pf_log_level_name(
			    *(const enum pf_log_level *)(const void *)base));
			break;
		case K_LOGFORMAT:
			fprintf(fp, "%s\n",
			    *(const enum pf_log_format *)(const void *)base ==
			    PF_LOG_JSON ? "json" : "text");
			break;
		}
	}
}
