/*
 * polarctl -- administer polar-flow-server: schema, users, API keys.
 *
 * Exit status is 0 on success and 1 on failure, with the reason on
 * stderr.
 */
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/log.h"

#include "polarctl.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: polarctl [-jn] [-f file] command "
	    "[argument ...]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct ctl		 ctl;
	const struct cmd	*cmd;
	struct passwd		*pw;
	char			 err[1024];
	bool			 ambiguous, check_only = false;
	int			 ch, r;

	memset(&ctl, 0, sizeof(ctl));
	pf_log_init("polarctl", PF_LOG_WARNING, PF_LOG_TEXT);
	while ((ch = getopt(argc, argv, "+f:jn")) != -1) {
		switch (ch) {
		case 'f':
			ctl.conf_path = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'n':
			check_only = true;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (pf_config_load(&ctl.cfg, ctl.conf_path, err, sizeof(err)) !=
	    PF_OK) {
		ctl_warnx("%s", err);
		return 1;
	}
	if (check_only) {
		if (argc != 0)
			usage();
		printf("configuration OK\n");
		pf_config_free(ctl.cfg);
		return 0;
	}
	if (argc == 0)
		usage();
	if (pf_crypto_init() != PF_OK) {
		ctl_warnx("could not initialise libsodium");
		return 1;
	}
	pw = getpwuid(getuid());
	snprintf(ctl.actor, sizeof(ctl.actor), "polarctl:%s",
	    pw != NULL ? pw->pw_name : "?");

	if ((cmd = cmd_lookup(argc, argv, &ambiguous)) == NULL) {
		ctl_warnx("%s command: %s%s%s (try \"polarctl help\")",
		    ambiguous ? "ambiguous" : "unknown", argv[0],
		    argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		pf_config_free(ctl.cfg);
		return 1;
	}
	r = cmd->fn(&ctl, argc - (int)cmd_nwords(cmd), argv + cmd_nwords(cmd));
	pf_db_close(ctl.db);
	pf_ipc_fini();
	pf_config_free(ctl.cfg);
	return r == PF_OK ? 0 : 1;
}
