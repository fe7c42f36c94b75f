/*
 * polarctl.h -- the administration tool.
 */
#ifndef PF_POLARCTL_H
#define PF_POLARCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/config.h"
#include "common/db.h"

struct ctl {
	struct pf_config	*cfg;
	const char		*conf_path;	/* -f, or NULL */
	bool			 json;		/* -j */
	struct pf_db		*db;		/* opened on demand */
	char			 actor[96];	/* audit: "polarctl:<login>" */
};

/* polarctl.c */
#define MAX_WORDS	3

struct cmd {
	const char	*words[MAX_WORDS];	/* NULL after the last */
	const char	*args;			/* for help */
	int		(*fn)(struct ctl *, int, char **);
};

/*
 * The command named by the leading words of argv, each word any prefix of
 * the command's.  NULL when none is, or when several are (*ambiguous).
 */
const struct cmd *cmd_lookup(int argc, char **argv, bool *ambiguous);
size_t	 cmd_nwords(const struct cmd *);
int	 ctl_db(struct ctl *, struct pf_db **);
int	 ctl_opt(int *, char **, const char *, char, const char **);
void	 ctl_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Runs fn(db, arg) in one transaction, once: an admin runs a failed
 * command again.  A failure fn did not explain with ctl_warnx() is
 * reported as "could not <what>: <server message>".
 */
int	 ctl_tx(struct pf_db *, int (*fn)(struct pf_db *, void *), void *arg,
	    const char *what);

/* PostgreSQL type OIDs (pg_type.h is not part of libpq-dev). */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_JSON	114
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_TIMESTAMPTZ	1184
#define OID_NUMERIC	1700
#define OID_JSONB	3802

/* output.c */
struct out_col {
	const char	*key;		/* JSON member */
	const char	*title;		/* column heading */
};
void	 out_json(const json_t *);
void	 out_table(const json_t *rows, const struct out_col *cols);
void	 out_fields(const json_t *obj, const struct out_col *cols);
json_t	*out_rows(const PGresult *);
/* res's rows (res is cleared here) as JSON with --json, else a table. */
void	 out_list(const struct ctl *, PGresult *res, const struct out_col *);

/* migrate.c */
int	 cmd_db_migrate(struct ctl *, int, char **);
int	 cmd_db_status(struct ctl *, int, char **);

/* cmd_partition.c */
int	 cmd_db_partitions(struct ctl *, int, char **);

/* cmd_setup.c */
int	 cmd_setup(struct ctl *, int, char **);

/* cmd_secret.c */
int	 cmd_secret_list(struct ctl *, int, char **);
int	 cmd_secret_set(struct ctl *, int, char **);
int	 cmd_secret_rotate(struct ctl *, int, char **);
/* Makes <confdir>/credentials and one 0700 directory per daemon. */
int	 secret_store_prepare(struct ctl *);
/*
 * The encryption key in the store: its path in path, created (0600) when
 * missing -- *created says so -- and checked when present.
 */
int	 secret_ensure_encryption_key(struct ctl *, char *path, size_t len,
	    bool *created);

/* cmd_user.c */
/* cmd_polarhook.c */
int	 cmd_polar_webhook_create(struct ctl *, int, char **);
int	 cmd_polar_webhook_show(struct ctl *, int, char **);
int	 cmd_polar_webhook_delete(struct ctl *, int, char **);

int	 cmd_user_add(struct ctl *, int, char **);
int	 cmd_user_list(struct ctl *, int, char **);
int	 cmd_user_show(struct ctl *, int, char **);
int	 cmd_user_delete(struct ctl *, int, char **);

/* cmd_ingest.c */
int	 cmd_ingest_list(struct ctl *, int, char **);
int	 cmd_ingest_show(struct ctl *, int, char **);
int	 cmd_ingest_replay(struct ctl *, int, char **);

/* cmd_ctl.c */
int	 ctl_call(struct ctl *, const char *daemon, const json_t *msg,
	    json_t **reply, int timeout_ms, bool quiet);
int	 cmd_show_status(struct ctl *, int, char **);
int	 cmd_sync_now(struct ctl *, int, char **);
int	 cmd_analytics_recompute(struct ctl *, int, char **);
int	 cmd_log_verbose(struct ctl *, int, char **);
int	 cmd_log_brief(struct ctl *, int, char **);
int	 cmd_reload(struct ctl *, int, char **);

/* cmd_oauth.c */
int	 cmd_user_connect(struct ctl *, int, char **);
int	 cmd_user_authorize(struct ctl *, int, char **);

/* cmd_key.c */
int	 cmd_key_create(struct ctl *, int, char **);
int	 cmd_key_list(struct ctl *, int, char **);
int	 cmd_key_revoke(struct ctl *, int, char **);
int	 cmd_key_regenerate(struct ctl *, int, char **);

/* cmd_export.c */
int	 cmd_export(struct ctl *, int, char **);
/* One RFC 4180 field: NULL is empty, an empty string is "". */
void	 export_csv_field(FILE *, const char *);

/* cmd_admin.c */
int	 cmd_admin_add(struct ctl *, int, char **);
int	 cmd_admin_passwd(struct ctl *, int, char **);
int	 cmd_admin_remove(struct ctl *, int, char **);
int	 cmd_admin_list(struct ctl *, int, char **);
int	 cmd_admin_setup_token(struct ctl *, int, char **);

/* store.c -- every SQL statement of polarctl */
int	 store_admin_add(struct pf_db *, const char *name, const char *hash,
	    bool *added);
int	 store_admin_passwd(struct pf_db *, const char *name,
	    const char *hash, bool *found);
int	 store_admin_remove(struct pf_db *, const char *name, bool *found);
int	 store_admin_list(struct pf_db *, PGresult **);
int	 store_admin_setup_token(struct pf_db *, const char *fresh,
	    PGresult **);
int	 store_migrate_lock(struct pf_db *);
int	 store_migrate_unlock(struct pf_db *);
int	 store_migrations_applied(struct pf_db *, PGresult **);
/* The partitions of every partitioned table, with sizes. */
int	 store_partition_list(struct pf_db *, PGresult **);
/* One month out of table's default partition; *moved 0 when none left. */
int	 store_partition_split(struct pf_db *, const char *table,
	    int64_t *moved);
int	 store_migration_apply(struct pf_db *, int version, const char *name,
	    const char *sql, const char *checksum, const char *actor);
int	 store_audit(struct pf_db *, const char *actor, const char *action,
	    const char *user_id, const json_t *details);
int	 store_status_counts(struct pf_db *, PGresult **);
/*
 * Calls fn for every sealed value in the database (a Polar token, the
 * client secret), rows locked; when fn sets *out (malloc'd), the value is
 * replaced by it.  Stops at fn's first error and returns it.  Run it in a
 * transaction.
 */
int	 store_sealed_each(struct pf_db *, int (*fn)(void *arg,
	    const char *what, const char *id, const char *sealed, char **out),
	    void *arg);
int	 store_login_role(struct pf_db *, const char *login,
	    const char *group, char *how, size_t howlen);
int	 store_user_add(struct pf_db *, const char *user_id);
int	 store_user_list(struct pf_db *, PGresult **);
int	 store_user_get(struct pf_db *, const char *user_id, PGresult **);
int	 store_user_stream_counts(struct pf_db *, const char *user_id,
	    PGresult **);
int	 store_user_delete(struct pf_db *, const char *user_id,
	    const char *actor, json_t **counts);
int	 store_key_insert(struct pf_db *, const char *hash, const char *prefix,
	    const char *name, const char *user_id, int rate_limit, int64_t *id);
int	 store_key_active_for_user(struct pf_db *, const char *user_id,
	    int64_t *id);
int	 store_key_list(struct pf_db *, const char *user_id, PGresult **);
/* raw_ingestions: newest first; one row (PF_ERR_NOTFOUND); its user. */
int	 store_ingest_list(struct pf_db *, const char *user_id,
	    const char *status, int limit, PGresult **);
int	 store_ingest_get(struct pf_db *, int64_t id, PGresult **);
int	 store_ingest_user(struct pf_db *, int64_t id, char *uid, size_t len);
int	 store_key_get(struct pf_db *, int64_t id, PGresult **);
int	 store_key_find_prefix(struct pf_db *, const char *prefix,
	    int64_t *id);
int	 store_key_revoke(struct pf_db *, int64_t id);
int	 store_key_replace(struct pf_db *, int64_t id, const char *hash,
	    const char *prefix);
/* webhooks out: subscriptions and their deliveries (cmd_webhook.c) */
int	 store_webhook_add(struct pf_db *, const char *url, const char *secret,
	    const char *events_json, const char *desc, int64_t *id);
int	 store_webhook_list(struct pf_db *, PGresult **);
int	 store_webhook_remove(struct pf_db *, int64_t id);
int	 store_webhook_test(struct pf_db *, int64_t id, int64_t *delivery);
int	 store_webhook_delivery(struct pf_db *, int64_t id, PGresult **);
/* newest first; sub < 1: every subscription */
int	 store_webhook_deliveries(struct pf_db *, int64_t sub, int limit,
	    PGresult **);
int	 cmd_webhook_add(struct ctl *, int, char **);
int	 cmd_webhook_list(struct ctl *, int, char **);
int	 cmd_webhook_remove(struct ctl *, int, char **);
int	 cmd_webhook_test(struct ctl *, int, char **);
int	 cmd_webhook_deliveries(struct ctl *, int, char **);
const char	*store_export_stream(size_t);
int	 store_export_begin(struct pf_db *, char *exported_at, size_t len);
int	 store_export_open(struct pf_db *, size_t stream, const char *user_id,
	    const char *days);
int	 store_export_fetch(struct pf_db *, PGresult **);
int	 store_export_close(struct pf_db *);

#endif /* PF_POLARCTL_H */
