/*
 * polarctl.c -- the command table and what every command shares: option
 * parsing, warnings, the database connection.
 *
 * Commands may be abbreviated to any unique prefix of each word
 * ("polarctl us li" is "polarctl user list").
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"

#include "polarctl.h"

static int	cmd_show_config(struct ctl *, int, char **);
static int	cmd_help(struct ctl *, int, char **);

static const struct cmd cmds[] = {
	{ { "db", "migrate" }, "", cmd_db_migrate },
	{ { "db", "status" }, "", cmd_db_status },
	{ { "db", "partitions" }, "[--split]", cmd_db_partitions },
	{ { "setup" }, "", cmd_setup },
	{ { "secret", "list" }, "", cmd_secret_list },
	{ { "secret", "set" }, "name [file | -]", cmd_secret_set },
	{ { "secret", "rotate" }, "encryption_key | api_key",
	    cmd_secret_rotate },
	{ { "user", "add" }, "<user_id>", cmd_user_add },
	{ { "user", "list" }, "", cmd_user_list },
	{ { "user", "show" }, "<user_id>", cmd_user_show },
	{ { "user", "delete" }, "[--no-polar] <user_id>", cmd_user_delete },
	{ { "user", "connect" }, "[--redirect-uri uri]", cmd_user_connect },
	{ { "user", "authorize" }, "<code> [--redirect-uri uri]",
	    cmd_user_authorize },
	{ { "key", "create" }, "[--user user_id] [--name name] "
	    "[--rate-limit n]", cmd_key_create },
	{ { "key", "list" }, "[--user user_id]", cmd_key_list },
	{ { "key", "revoke" }, "<id | prefix>", cmd_key_revoke },
	{ { "key", "regenerate" }, "<id | prefix>", cmd_key_regenerate },
	{ { "admin", "add" }, "<name>", cmd_admin_add },
	{ { "admin", "passwd" }, "<name>", cmd_admin_passwd },
	{ { "admin", "remove" }, "<name>", cmd_admin_remove },
	{ { "admin", "list" }, "", cmd_admin_list },
	{ { "admin", "setup-token" }, "", cmd_admin_setup_token },
	{ { "ingest", "list" }, "[--user user_id] [--status status] "
	    "[--limit n]", cmd_ingest_list },
	{ { "ingest", "show" }, "<id>", cmd_ingest_show },
	{ { "ingest", "replay" }, "<id>", cmd_ingest_replay },
	{ { "show", "config" }, "", cmd_show_config },
	{ { "show", "status" }, "[syncd | analyticsd | apid]",
	    cmd_show_status },
	{ { "sync", "now" }, "[user_id]", cmd_sync_now },
	{ { "analytics", "recompute" }, "user_id | all",
	    cmd_analytics_recompute },
	{ { "log", "verbose" }, "[syncd | analyticsd]", cmd_log_verbose },
	{ { "log", "brief" }, "[syncd | analyticsd]", cmd_log_brief },
	{ { "reload" }, "[syncd | analyticsd]", cmd_reload },
	{ { "export" }, "<user_id> [--format csv | json] [--stream stream] "
	    "[--days n]", cmd_export },
	{ { "webhook", "add" }, "<url> [--events type,...] "
	    "[--description text]", cmd_webhook_add },
	{ { "webhook", "list" }, "", cmd_webhook_list },
	{ { "webhook", "remove" }, "<id>", cmd_webhook_remove },
	{ { "webhook", "test" }, "<id>", cmd_webhook_test },
	{ { "webhook", "deliveries" }, "[id] [--limit n]",
	    cmd_webhook_deliveries },
	{ { "polar", "webhook", "create" }, "--url url [--events E,E...]",
	    cmd_polar_webhook_create },
	{ { "polar", "webhook", "show" }, "", cmd_polar_webhook_show },
	{ { "polar", "webhook", "delete" }, "", cmd_polar_webhook_delete },
	{ { "help" }, "", cmd_help },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

/* Warnings so far: ctl_tx() tells a failure already explained. */
static unsigned	nwarned;

void
ctl_warnx(const char *fmt, ...)
{
	va_list	ap;

	nwarned++;
	fputs("polarctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Takes "--name value", "--name=value" or "-c value" out of args.
 * PF_OK and *val set (borrowed from argv) when present, PF_ERR_NOTFOUND
 * when absent, PF_ERR_INVALID when the value is missing.
 */
int
ctl_opt(int *argc, char **argv, const char *name, char c, const char **val)
{
	size_t	nlen = strlen(name);
	int	i, take;

	for (i = 0; i < *argc; i++) {
		const char	*a = argv[i];

		take = 0;
		if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, name, nlen) ==
		    0 && a[2 + nlen] == '=') {
			*val = a + 3 + nlen;
			take = 1;
		} else if ((a[0] == '-' && a[1] == '-' &&
		    strcmp(a + 2, name) == 0) ||
		    (c != '\0' && a[0] == '-' && a[1] == c &&
		    a[2] == '\0')) {
			if (i + 1 >= *argc) {
				ctl_warnx("option %s needs a value", a);
				return PF_ERR_INVALID;
			}
			*val = argv[i + 1];
			take = 2;
		}
		if (take) {
			memmove(&argv[i], &argv[i + take],
			    (size_t)(*argc - i - take + 1) * sizeof(*argv));
			*argc -= take;
			return PF_OK;
		}
	}
	return PF_ERR_NOTFOUND;
}

int
ctl_db(struct ctl *ctl, struct pf_db **out)
{
	struct pf_db_opts	opts;
	char			err[512];
	int			r;

	if (ctl->db == NULL) {
		pf_db_opts_default(&opts);
		/* An admin wants an answer, not a long wait. */
		opts.connect_attempts = 2;
		opts.retry_initial_ms = 500;
		opts.statement_timeout_ms =
		    ctl->cfg->database_statement_timeout_ms;
		opts.application_name = "polarctl";
		r = pf_db_connect(&ctl->db, ctl->cfg->database_url, &opts, err,
		    sizeof(err));
		if (r != PF_OK) {
			ctl_warnx("could not connect to the database: %s",
			    err);
			return r;
		}
	}
	*out = ctl->db;
	return PF_OK;
}

int
ctl_tx(struct pf_db *db, int (*fn)(struct pf_db *, void *), void *arg,
    const char *what)
{
	unsigned	before = nwarned;
	int		r;

	if ((r = pf_db_tx_run(db, fn, arg, 1)) != PF_OK && nwarned == before)
		ctl_warnx("could not %s: %s", what, pf_db_errmsg(db));
	return r;
}

static int
cmd_show_config(struct ctl *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		ctl_warnx("usage: polarctl show config");
		return PF_ERR_INVALID;
	}
	if (ctl->cfg->path != NULL)
		printf("# %s\n", ctl->cfg->path);
	pf_config_dump(ctl->cfg, stdout, false);
	return PF_OK;
}

static int
cmd_help(struct ctl *ctl, int argc, char **argv)
{
	size_t	i, w;

	(void)ctl;
	(void)argc;
	(void)argv;
	printf("usage: polarctl [-jn] [-f file] command [argument ...]\n\n"
	    "commands (any unique prefix of each word will do):\n");
	for (i = 0; i < NCMDS; i++) {
		printf("  ");
		for (w = 0; w < MAX_WORDS && cmds[i].words[w] != NULL; w++)
			printf("%s ", cmds[i].words[w]);
		printf("%s\n", cmds[i].args);
	}
	return PF_OK;
}

size_t
cmd_nwords(const struct cmd *c)
{
	size_t	n = 0;

	while (n < MAX_WORDS && c->words[n] != NULL)
		n++;
	return n;
}

/* Exact matches beat prefixes, so adding a command never breaks a full
 * spelling. */
const struct cmd *
cmd_lookup(int argc, char **argv, bool *ambiguous)
{
	const struct cmd	*found = NULL, *exact = NULL;
	size_t			 i, w, n;
	int			 matches = 0;
	bool			 all_exact;

	*ambiguous = false;
	for (i = 0; i < NCMDS; i++) {
		n = cmd_nwords(&cmds[i]);
		if ((size_t)argc < n)
			continue;
		all_exact = true;
		for (w = 0; w < n; w++) {
			if (argv[w][0] == '\0' || strncmp(cmds[i].words[w],
			    argv[w], strlen(argv[w])) != 0)
				break;
			if (strcmp(cmds[i].words[w], argv[w]) != 0)
				all_exact = false;
		}
		if (w < n)
			continue;
		matches++;
		found = &cmds[i];
		if (all_exact)
			exact = &cmds[i];
	}
	if (exact != NULL)
		return exact;
	if (matches > 1) {
		*ambiguous = true;
		return NULL;
	}
	return found;
}
