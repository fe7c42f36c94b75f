/*
 * db.h -- PostgreSQL access through libpq for the daemons and polarctl.
 *
 * One struct pf_db wraps one connection.  Every statement is parameterised
 * (text-format parameters; NULL pointer = SQL NULL).  Connection set-up
 * retries with bounded exponential back-off; a connection the server closed
 * is re-established transparently before the next statement when no
 * transaction is open (inside a transaction the error is returned as
 * PF_ERR_DB_CONN, because the transaction is lost; pf_db_tx_run retries the
 * whole transaction).
 *
 * Errors are mapped once, here, from SQLSTATE:
 *   23505 unique_violation            -> PF_ERR_EXISTS
 *   40001, 40P01 serialization/deadlock -> PF_ERR_DB_RETRY
 *   08xxx, 57P01-57P03, lost connection -> PF_ERR_DB_CONN
 *   57014 query_canceled (statement_timeout) -> PF_ERR_TIMEOUT
 *   anything else                     -> PF_ERR_DB
 * pf_db_errmsg() gives the server's message for the last failure.
 *
 * Not thread-safe: one connection per thread (the daemons are
 * single-threaded).
 */
#ifndef PF_COMMON_DB_H
#define PF_COMMON_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

struct pf_db;

struct pf_db_opts {
	int		 connect_attempts;	/* >= 1 */
	int		 retry_initial_ms;	/* first back-off, doubles */
	int		 retry_max_ms;		/* cap of one back-off */
	int		 statement_timeout_ms;	/* 0 = server default */
	const char	*application_name;	/* borrowed, may be NULL */
};

/* 5 attempts, 200 ms doubling to 5 s, 30 s statement timeout. */
void	pf_db_opts_default(struct pf_db_opts *opts);

/*
 * Connects to conninfo (a libpq key=value string or postgresql:// URI).
 * On success *out is owned by the caller (pf_db_close).  On failure returns
 * PF_ERR_DB_CONN (or PF_ERR_INVALID for an unparsable conninfo) and, if
 * errbuf is not NULL, the last libpq message in it.  Never logs passwords.
 */
int	pf_db_connect(struct pf_db **out, const char *conninfo,
	    const struct pf_db_opts *opts, char *errbuf, size_t errlen);
void	pf_db_close(struct pf_db *db);		/* accepts NULL */

/* The underlying connection, borrowed; valid until the next pf_db call. */
PGconn	*pf_db_conn(struct pf_db *db);

/*
 * Runs sql with nparams text parameters.  On PF_OK, if out is not NULL,
 * *out is the result (caller frees with PQclear); otherwise it is cleared
 * here.  On error nothing is stored in *out.
 */
int	pf_db_exec(struct pf_db *db, PGresult **out, const char *sql,
	    int nparams, const char *const *params);

/*
 * Runs a multi-statement script with no parameters (PQexec).  Only for
 * text that ships with the program (migrations), never for input.
 */
int	pf_db_exec_script(struct pf_db *db, const char *sql);

/* Like pf_db_exec but checks that the result has exactly one row. */
int	pf_db_exec_one(struct pf_db *db, PGresult **out, const char *sql,
	    int nparams, const char *const *params);

int	pf_db_begin(struct pf_db *db);
int	pf_db_commit(struct pf_db *db);
int	pf_db_rollback(struct pf_db *db);	/* safe when no tx is open */
bool	pf_db_in_tx(const struct pf_db *db);

/*
 * Runs fn(db, arg) inside BEGIN/COMMIT, retrying the whole transaction up
 * to max_attempts times on PF_ERR_DB_RETRY and PF_ERR_DB_CONN.  Any other
 * error from fn rolls back and is returned.
 */
int	pf_db_tx_run(struct pf_db *db, int (*fn)(struct pf_db *, void *),
	    void *arg, int max_attempts);

/* Last error message and SQLSTATE ("" when none); borrowed. */
const char *pf_db_errmsg(const struct pf_db *db);
const char *pf_db_sqlstate(const struct pf_db *db);

/* Pure mapping used above; NULL or "" gives PF_ERR_DB. */
int	pf_db_sqlstate_err(const char *sqlstate);

/*
 * Reads the highest applied migration (0 when schema_migrations does not
 * exist yet).  pf_db_schema_check returns PF_ERR_VERSION when the database
 * is older than want, with a message naming "polarctl db migrate".
 */
int	pf_db_schema_version(struct pf_db *db, int *version);
int	pf_db_schema_check(struct pf_db *db, int want, char *errbuf,
	    size_t errlen);

/* Result accessors: PF_ERR_NULL for SQL NULL, PF_ERR_PARSE for bad text. */
int	pf_db_get_int64(const PGresult *res, int row, int col, int64_t *out);
int	pf_db_get_int(const PGresult *res, int row, int col, int *out);
int	pf_db_get_double(const PGresult *res, int row, int col, double *out);
int	pf_db_get_bool(const PGresult *res, int row, int col, bool *out);
/* NULL for SQL NULL; borrowed until PQclear(res). */
const char *pf_db_get_str(const PGresult *res, int row, int col);

#endif /* PF_COMMON_DB_H */
