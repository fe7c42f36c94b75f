/*
 * console_setup.c -- the first-run setup token, announced in apid's log
 * at start while no administrator exists.  The token lives in the
 * database (console_setup), so "polarctl admin setup-token" shows the
 * same one, and it is gone once the first administrator is made.
 */
#include <stdio.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"

#include "apid/console.h"

void
console_setup_announce(const char *database_url)
{
	struct pf_db		*db = NULL;
	struct pf_db_opts	 o;
	PGresult		*res = NULL;
	char			 token[CONSOLE_TOKEN_HEX + 1], err[256];
	const char		*p[1] = { token };

	pf_db_opts_default(&o);
	o.connect_attempts = 1;
	o.statement_timeout_ms = 5000;
	o.application_name = "polarflow-apid";
	if (pf_crypto_random_hex(CONSOLE_TOKEN_HEX / 2, token,
	    sizeof(token)) != PF_OK)
		return;
	if (pf_db_connect(&db, database_url, &o, err, sizeof(err)) != PF_OK) {
		pf_log_warnx("console: setup token not checked: %s", err);
		goto out;
	}
	if (pf_db_exec(db, &res, store_sql_console_setup_token, 1, p) !=
	    PF_OK) {
		pf_log_warnx("console: setup token not checked: %s",
		    pf_db_errmsg(db));
		goto out;
	}
	if (PQntuples(res) == 1)
		pf_log_warnx("console: no administrator yet; open /admin and "
		    "use the setup token %s (also: polarctl admin "
		    "setup-token)", PQgetvalue(res, 0, 0));
out:
	if (res != NULL)
		PQclear(res);
	pf_db_close(db);
}
