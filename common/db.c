#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"

struct pf_db {
	PGconn			*conn;
	char			*conninfo;
	struct pf_db_opts	 opts;
	bool			 in_tx;
	char			 sqlstate[6];
	char			 err[512];
};

void
pf_db_opts_default(struct pf_db_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->connect_attempts = 5;
	opts->retry_initial_ms = 200;
	opts->retry_max_ms = 5000;
	opts->statement_timeout_ms = 30000;
}

int
pf_db_sqlstate_err(const char *s)
{
	if (s == NULL || strlen(s) != 5)
		return PF_ERR_DB;
	if (strcmp(s, "23505") == 0)
		return PF_ERR_EXISTS;
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
		return PF_ERR_DB_RETRY;
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 ||
	    strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0)
		return PF_ERR_DB_CONN;
	if (strcmp(s, "57014") == 0)
		return PF_ERR_TIMEOUT;
	return PF_ERR_DB;
}

static void
set_err(struct pf_db *db, const char *sqlstate, const char *msg)
{
	size_t	n;

	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s",
	    sqlstate ? sqlstate : "");
	snprintf(db->err, sizeof(db->err), "%s", msg ? msg : "");
	n = strlen(db->err);
	while (n > 0 && (db->err[n - 1] == '\n' || db->err[n - 1] == ' '))
		db->err[--n] = '\0';
}

static void
sleep_ms(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Session settings every new connection gets. */
static int
session_setup(struct pf_db *db)
{
	char		 val[32];
	const char	*params[1] = { val };
	PGresult	*res;
	int		 ok;

	if (db->opts.statement_timeout_ms <= 0)
		return PF_OK;
	snprintf(val, sizeof(val), "%d", db->opts.statement_timeout_ms);
	res = PQexecParams(db->conn,
	    "SELECT set_config('statement_timeout', $1, false)", 1, NULL,
	    params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		set_err(db, PQresultErrorField(res, PG_DIAG_SQLSTATE),
		    PQresultErrorMessage(res));
	PQclear(res);
	return ok ? PF_OK : PF_ERR_DB_CONN;
}

/* Server NOTICEs are chatter for people at psql, not for our output. */
static void
notice_to_log(void *arg, const char *message)
{
	(void)arg;
	pf_log_debug("database notice: %s", message);
}

static int
open_conn(struct pf_db *db)
{
	const char	*kw[] = { "connect_timeout", "fallback_application_name",
	    "dbname", NULL };
	const char	*val[] = { "10", db->opts.application_name ?
	    db->opts.application_name : "polarflow", db->conninfo, NULL };

	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = PQconnectdbParams(kw, val, 1);
	if (db->conn == NULL) {
		set_err(db, "", "out of memory allocating a connection");
		return PF_ERR_NOMEM;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		set_err(db, "08006", PQerrorMessage(db->conn));
		return PF_ERR_DB_CONN;
	}
	PQsetNoticeProcessor(db->conn, notice_to_log, NULL);
	return session_setup(db);
}

/* Connects with the configured attempts and back-off. */
static int
connect_retry(struct pf_db *db, int attempts)
{
	int	i, delay = db->opts.retry_initial_ms, r = PF_ERR_DB_CONN;

	for (i = 1; i <= attempts; i++) {
		if ((r = open_conn(db)) == PF_OK) {
			if (i > 1)
				pf_log_info("connected to database after %d "
				    "attempts", i);
			return PF_OK;
		}
		if (r == PF_ERR_NOMEM)
			return r;
		if (i == attempts)
			break;
		pf_log_warnx("could not connect to database (attempt %d/%d, "
		    "retrying in %d ms): %s", i, attempts, delay, db->err);
		sleep_ms(delay);
		delay = delay > db->opts.retry_max_ms / 2 ?
		    db->opts.retry_max_ms : delay * 2;
	}
	return r;
}

int
pf_db_connect(struct pf_db **out, const char *conninfo,
    const struct pf_db_opts *opts, char *errbuf, size_t errlen)
{
	struct pf_db	*db;
	PQconninfoOption *parsed;
	char		*perr = NULL;
	int		 r;

	if ((parsed = PQconninfoParse(conninfo, &perr)) == NULL) {
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "invalid database_url: %s",
			    perr ? perr : "out of memory");
		PQfreemem(perr);
		return PF_ERR_INVALID;
	}
	PQconninfoFree(parsed);

	db = pf_xcalloc(1, sizeof(*db));
	db->conninfo = pf_xstrdup(conninfo);
	if (opts != NULL)
		db->opts = *opts;
	else
		pf_db_opts_default(&db->opts);
	if (db->opts.connect_attempts < 1)
		db->opts.connect_attempts = 1;
	if (db->opts.retry_initial_ms < 1)
		db->opts.retry_initial_ms = 1;
	if (db->opts.retry_max_ms < db->opts.retry_initial_ms)
		db->opts.retry_max_ms = db->opts.retry_initial_ms;

	if ((r = connect_retry(db, db->opts.connect_attempts)) != PF_OK) {
		if (errbuf != NULL) {
			snprintf(errbuf, errlen, "%s", db->err);
			pf_log_scrub(errbuf);
		}
		pf_db_close(db);
		return r;
	}
	*out = db;
	return PF_OK;
}

void
pf_db_close(struct pf_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	if (db->conninfo != NULL)
		pf_freezero(db->conninfo, strlen(db->conninfo));
	free(db);
}

PGconn *
pf_db_conn(struct pf_db *db)
{
	return db->conn;
}

bool
pf_db_in_tx(const struct pf_db *db)
{
	return db->in_tx;
}

const char *
pf_db_errmsg(const struct pf_db *db)
{
	return db->err;
}

const char *
pf_db_sqlstate(const struct pf_db *db)
{
	return db->sqlstate;
}

static int
exec_once(struct pf_db *db, PGresult **out, const char *sql, int nparams,
    const char *const *params)
{
	PGresult	*res;
	const char	*state;
	int		 st, r;

	res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	st = res ? (int)PQresultStatus(res) : (int)PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		db->sqlstate[0] = db->err[0] = '\0';
		if (out != NULL)
			*out = res;
		else
			PQclear(res);
		return PF_OK;
	}
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		set_err(db, state ? state : "08006", res ?
		    PQresultErrorMessage(res) : PQerrorMessage(db->conn));
		if (db->err[0] == '\0')
			set_err(db, "08006", PQerrorMessage(db->conn));
		r = PF_ERR_DB_CONN;
	} else {
		set_err(db, state, res ? PQresultErrorMessage(res) :
		    PQerrorMessage(db->conn));
		r = pf_db_sqlstate_err(state);
	}
	PQclear(res);
	return r;
}

int
pf_db_exec(struct pf_db *db, PGresult **out, const char *sql, int nparams,
    const char *const *params)
{
	int	r;

	/*
	 * Outside a transaction a dead connection costs nothing but a
	 * reconnect: no work can be lost, so retry once transparently.
	 */
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		if (db->in_tx) {
			set_err(db, "08006", "connection lost inside a "
			    "transaction");
			return PF_ERR_DB_CONN;
		}
		if ((r = connect_retry(db, 1)) != PF_OK)
			return r;
	}
	r = exec_once(db, out, sql, nparams, params);
	if (r == PF_ERR_DB_CONN && !db->in_tx) {
		pf_log_warnx("database connection lost, reconnecting: %s",
		    db->err);
		if ((r = connect_retry(db, 2)) != PF_OK)
			return r;
		r = exec_once(db, out, sql, nparams, params);
	}
	return r;
}

int
pf_db_exec_script(struct pf_db *db, const char *sql)
{
	PGresult	*res;
	int		 st, r = PF_OK;

	if (PQstatus(db->conn) == CONNECTION_BAD) {
		set_err(db, "08006", PQerrorMessage(db->conn));
		return PF_ERR_DB_CONN;
	}
	res = PQexec(db->conn, sql);
	st = res ? (int)PQresultStatus(res) : (int)PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    st != PGRES_EMPTY_QUERY) {
		const char *state = res ?
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

		set_err(db, state, res ? PQresultErrorMessage(res) :
		    PQerrorMessage(db->conn));
		r = PQstatus(db->conn) == CONNECTION_BAD ? PF_ERR_DB_CONN :
		    pf_db_sqlstate_err(state);
	}
	PQclear(res);
	return r;
}

int
pf_db_exec_one(struct pf_db *db, PGresult **out, const char *sql,
    int nparams, const char *const *params)
{
	PGresult	*res;
	int		 r;

	if ((r = pf_db_exec(db, &res, sql, nparams, params)) != PF_OK)
		return r;
	if (PQntuples(res) != 1) {
		r = PQntuples(res) == 0 ? PF_ERR_NOTFOUND : PF_ERR_DB;
		set_err(db, "", r == PF_ERR_NOTFOUND ? "no row" :
		    "more than one row");
		PQclear(res);
		return r;
	}
	*out = res;
	return PF_OK;
}

int
pf_db_begin(struct pf_db *db)
{
	int	r;

	if (db->in_tx) {
		set_err(db, "", "transaction already open");
		return PF_ERR_INTERNAL;
	}
	if ((r = pf_db_exec(db, NULL, "BEGIN", 0, NULL)) == PF_OK)
		db->in_tx = true;
	return r;
}

int
pf_db_commit(struct pf_db *db)
{
	int	r;

	r = exec_once(db, NULL, "COMMIT", 0, NULL);
	db->in_tx = false;
	return r;
}

int
pf_db_rollback(struct pf_db *db)
{
	PGresult	*res;

	db->in_tx = false;
	if (PQstatus(db->conn) != CONNECTION_OK)
		return PF_OK;
	/* Keep the error that caused the rollback for the caller. */
	res = PQexec(db->conn, "ROLLBACK");
	PQclear(res);
	return PF_OK;
}

int
pf_db_tx_run(struct pf_db *db, int (*fn)(struct pf_db *, void *), void *arg,
    int max_attempts)
{
	int	attempt, r = PF_ERR_INTERNAL, delay = 10;

	for (attempt = 1; attempt <= max_attempts; attempt++) {
		if ((r = pf_db_begin(db)) == PF_OK) {
			if ((r = fn(db, arg)) == PF_OK &&
			    (r = pf_db_commit(db)) == PF_OK)
				return PF_OK;
			pf_db_rollback(db);
		}
		if (r != PF_ERR_DB_RETRY && r != PF_ERR_DB_CONN)
			return r;
		if (attempt < max_attempts) {
			pf_log_debug("retrying transaction (%d/%d): %s",
			    attempt, max_attempts, db->err);
			sleep_ms(delay);
			delay *= 2;
		}
	}
	return r;
}

int
pf_db_schema_version(struct pf_db *db, int *version)
{
	PGresult	*res;
	int		 r;

	r = pf_db_exec_one(db, &res, "SELECT coalesce(max(version), 0) FROM "
	    "schema_migrations", 0, NULL);
	if (r == PF_ERR_DB && strcmp(db->sqlstate, "42P01") == 0) {
		*version = 0;		/* nothing migrated yet */
		return PF_OK;
	}
	if (r != PF_OK)
		return r;
	r = pf_db_get_int(res, 0, 0, version);
	PQclear(res);
	return r;
}

int
pf_db_schema_check(struct pf_db *db, int want, char *errbuf, size_t errlen)
{
	int	have, r;

	if ((r = pf_db_schema_version(db, &have)) != PF_OK) {
		snprintf(errbuf, errlen, "could not read schema version: %s",
		    db->err);
		return r;
	}
	if (have < want) {
		snprintf(errbuf, errlen, "database schema is version %d, this "
		    "build needs %d: run \"polarctl db migrate\"", have, want);
		return PF_ERR_VERSION;
	}
	if (have > want)
		pf_log_warnx("database schema version %d is newer than this "
		    "build (%d)", have, want);
	return PF_OK;
}

int
pf_db_get_int64(const PGresult *res, int row, int col, int64_t *out)
{
	const char	*s;
	char		*end;
	long long	 v;

	if (PQgetisnull(res, row, col))
		return PF_ERR_NULL;
	s = PQgetvalue(res, row, col);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0')
		return PF_ERR_PARSE;
	if (errno == ERANGE)
		return PF_ERR_RANGE;
	*out = (int64_t)v;
	return PF_OK;
}

int
pf_db_get_int(const PGresult *res, int row, int col, int *out)
{
	int64_t	v;
	int	r;

	if ((r = pf_db_get_int64(res, row, col, &v)) != PF_OK)
		return r;
	if (v < INT_MIN || v > INT_MAX)
		return PF_ERR_RANGE;
	*out = (int)v;
	return PF_OK;
}

int
pf_db_get_double(const PGresult *res, int row, int col, double *out)
{
	const char	*s;
	char		*end;
	double		 v;

	if (PQgetisnull(res, row, col))
		return PF_ERR_NULL;
	s = PQgetvalue(res, row, col);
	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0')
		return PF_ERR_PARSE;
	*out = v;
	return PF_OK;
}

int
pf_db_get_bool(const PGresult *res, int row, int col, bool *out)
{
	const char	*s;

	if (PQgetisnull(res, row, col))
		return PF_ERR_NULL;
	s = PQgetvalue(res, row, col);
	if (strcmp(s, "t") == 0)
		*out = true;
	else if (strcmp(s, "f") == 0)
		*out = false;
	else
		return PF_ERR_PARSE;
	return PF_OK;
}

const char *
pf_db_get_str(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}
