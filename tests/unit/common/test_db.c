/*
 * test_db.c -- common/db against a real PostgreSQL.
 *
 * tests/run.sh starts a throwaway cluster and exports PF_TEST_DATABASE_URL
 * and PF_TEST_REQUIRE_DB=1; run alone without them, the tests needing a
 * server are skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/db.h"
#include "common/err.h"
#include "common/log.h"

static const char	*url;

static struct pf_db *
connect_or_skip(int timeout_ms)
{
	struct pf_db		*db = NULL;
	struct pf_db_opts	 opts;
	char			 err[512];

	if (url == NULL) {
		if (getenv("PF_TEST_REQUIRE_DB") != NULL)
			fail_msg("PF_TEST_DATABASE_URL is not set");
		skip();
	}
	pf_db_opts_default(&opts);
	opts.statement_timeout_ms = timeout_ms;
	opts.application_name = "test_db";
	if (pf_db_connect(&db, url, &opts, err, sizeof(err)) != PF_OK)
		fail_msg("could not connect: %s", err);
	return db;
}

static void
test_sqlstate_mapping(void **state)
{
	(void)state;
	assert_int_equal(pf_db_sqlstate_err("23505"), PF_ERR_EXISTS);
	assert_int_equal(pf_db_sqlstate_err("40001"), PF_ERR_DB_RETRY);
	assert_int_equal(pf_db_sqlstate_err("40P01"), PF_ERR_DB_RETRY);
	assert_int_equal(pf_db_sqlstate_err("08006"), PF_ERR_DB_CONN);
	assert_int_equal(pf_db_sqlstate_err("08001"), PF_ERR_DB_CONN);
	assert_int_equal(pf_db_sqlstate_err("57P01"), PF_ERR_DB_CONN);
	assert_int_equal(pf_db_sqlstate_err("57014"), PF_ERR_TIMEOUT);
	assert_int_equal(pf_db_sqlstate_err("42P01"), PF_ERR_DB);
	assert_int_equal(pf_db_sqlstate_err(""), PF_ERR_DB);
	assert_int_equal(pf_db_sqlstate_err(NULL), PF_ERR_DB);
	assert_int_equal(pf_db_sqlstate_err("2350"), PF_ERR_DB);
}

static void
test_connect_failures(void **state)
{
	struct pf_db		*db = NULL;
	struct pf_db_opts	 opts;
	char			 err[512];

	(void)state;
	assert_int_equal(pf_db_connect(&db, "host=/x port='unterminated",
	    NULL, err, sizeof(err)), PF_ERR_INVALID);
	assert_null(db);
	assert_non_null(strstr(err, "invalid database_url"));

	pf_db_opts_default(&opts);
	opts.connect_attempts = 3;
	opts.retry_initial_ms = 5;
	assert_int_equal(pf_db_connect(&db, "host=/nonexistent/pf "
	    "user=x password=hunter2 dbname=x", &opts, err, sizeof(err)),
	    PF_ERR_DB_CONN);
	assert_null(db);
	assert_non_null(strstr(err, "/nonexistent/pf"));
	assert_null(strstr(err, "hunter2"));
}

static void
test_exec_and_accessors(void **state)
{
	struct pf_db	*db = connect_or_skip(5000);
	PGresult	*res = NULL;
	const char	*params[3] = { "41", NULL, "x'); DROP TABLE y; --" };
	int64_t		 i64;
	int		 i;
	double		 d;
	bool		 b;

	(void)state;
	assert_int_equal(pf_db_exec_one(db, &res, "SELECT $1::int + 1, "
	    "$2::text, $3::text, 2.5::float8, true, 'abc', "
	    "9999999999999999999::numeric::text", 3, params), PF_OK);
	assert_int_equal(pf_db_get_int(res, 0, 0, &i), PF_OK);
	assert_int_equal(i, 42);
	assert_int_equal(pf_db_get_int64(res, 0, 1, &i64), PF_ERR_NULL);
	assert_null(pf_db_get_str(res, 0, 1));
	assert_string_equal(pf_db_get_str(res, 0, 2), params[2]);
	assert_int_equal(pf_db_get_double(res, 0, 3, &d), PF_OK);
	assert_true(d == 2.5);
	assert_int_equal(pf_db_get_bool(res, 0, 4, &b), PF_OK);
	assert_true(b);
	assert_int_equal(pf_db_get_int(res, 0, 5, &i), PF_ERR_PARSE);
	assert_int_equal(pf_db_get_int64(res, 0, 6, &i64), PF_ERR_RANGE);
	PQclear(res);

	assert_int_equal(pf_db_exec_one(db, &res, "SELECT 1 WHERE false", 0,
	    NULL), PF_ERR_NOTFOUND);
	assert_int_equal(pf_db_exec(db, NULL, "SELEC 1", 0, NULL), PF_ERR_DB);
	assert_string_equal(pf_db_sqlstate(db), "42601");
	assert_non_null(strstr(pf_db_errmsg(db), "syntax error"));
	pf_db_close(db);
}

static void
test_unique_violation_and_timeout(void **state)
{
	struct pf_db	*db = connect_or_skip(200);

	(void)state;
	assert_int_equal(pf_db_exec(db, NULL, "CREATE TEMP TABLE u (k int "
	    "PRIMARY KEY)", 0, NULL), PF_OK);
	assert_int_equal(pf_db_exec(db, NULL, "INSERT INTO u VALUES (1)", 0,
	    NULL), PF_OK);
	assert_int_equal(pf_db_exec(db, NULL, "INSERT INTO u VALUES (1)", 0,
	    NULL), PF_ERR_EXISTS);
	assert_string_equal(pf_db_sqlstate(db), "23505");
	assert_int_equal(pf_db_exec(db, NULL, "SELECT pg_sleep(2)", 0, NULL),
	    PF_ERR_TIMEOUT);
	/* the connection stays usable */
	assert_int_equal(pf_db_exec(db, NULL, "SELECT 1", 0, NULL), PF_OK);
	pf_db_close(db);
}

static int
kill_backend(struct pf_db *victim)
{
	struct pf_db	*killer = connect_or_skip(5000);
	char		 pid[16];
	const char	*params[1] = { pid };
	int		 r;

	snprintf(pid, sizeof(pid), "%d", PQbackendPID(pf_db_conn(victim)));
	r = pf_db_exec(killer, NULL, "SELECT pg_terminate_backend($1::int, 5000)",
	    1, params);
	pf_db_close(killer);
	return r;
}

static void
test_reconnect_after_server_goes_away(void **state)
{
	struct pf_db	*db = connect_or_skip(5000);
	PGresult	*res;
	int		 before;

	(void)state;
	pf_log_set_level(PF_LOG_ERROR);
	before = PQbackendPID(pf_db_conn(db));
	assert_int_equal(kill_backend(db), PF_OK);
	/* outside a transaction: transparent */
	assert_int_equal(pf_db_exec_one(db, &res, "SELECT 7", 0, NULL), PF_OK);
	PQclear(res);
	assert_int_not_equal(PQbackendPID(pf_db_conn(db)), before);

	/* inside a transaction: the transaction is lost and says so */
	assert_int_equal(pf_db_begin(db), PF_OK);
	assert_int_equal(kill_backend(db), PF_OK);
	assert_int_equal(pf_db_exec(db, NULL, "SELECT 1", 0, NULL),
	    PF_ERR_DB_CONN);
	pf_db_rollback(db);
	assert_false(pf_db_in_tx(db));
	assert_int_equal(pf_db_exec(db, NULL, "SELECT 1", 0, NULL), PF_OK);
	pf_log_set_level(PF_LOG_INFO);
	pf_db_close(db);
}

static int	tx_calls;

static int
tx_fails_once(struct pf_db *db, void *arg)
{
	(void)arg;
	if (++tx_calls == 1)
		return pf_db_exec(db, NULL, "DO $$ BEGIN RAISE EXCEPTION "
		    "'conflict' USING ERRCODE = '40001'; END $$", 0, NULL);
	return pf_db_exec(db, NULL, "INSERT INTO t VALUES (1)", 0, NULL);
}

static int
tx_bad(struct pf_db *db, void *arg)
{
	(void)arg;
	tx_calls++;
	if (pf_db_exec(db, NULL, "INSERT INTO t VALUES (2)", 0, NULL) != PF_OK)
		return PF_ERR_DB;
	return PF_ERR_INVALID;
}

static void
test_tx_run_retries(void **state)
{
	struct pf_db	*db = connect_or_skip(5000);
	PGresult	*res;
	int		 n;

	(void)state;
	assert_int_equal(pf_db_exec(db, NULL, "CREATE TEMP TABLE t (k int)",
	    0, NULL), PF_OK);
	tx_calls = 0;
	assert_int_equal(pf_db_tx_run(db, tx_fails_once, NULL, 3), PF_OK);
	assert_int_equal(tx_calls, 2);
	tx_calls = 0;
	assert_int_equal(pf_db_tx_run(db, tx_bad, NULL, 3), PF_ERR_INVALID);
	assert_int_equal(tx_calls, 1);
	assert_int_equal(pf_db_exec_one(db, &res, "SELECT count(*) FROM t", 0,
	    NULL), PF_OK);
	assert_int_equal(pf_db_get_int(res, 0, 0, &n), PF_OK);
	assert_int_equal(n, 1);		/* tx_bad rolled back */
	PQclear(res);
	pf_db_close(db);
}

static void
test_schema_version(void **state)
{
	struct pf_db	*db = connect_or_skip(5000);
	char		 err[256];
	int		 v = -1;

	(void)state;
	assert_int_equal(pf_db_exec(db, NULL, "SET search_path = pg_temp", 0,
	    NULL), PF_OK);
	assert_int_equal(pf_db_schema_version(db, &v), PF_OK);
	assert_int_equal(v, 0);
	assert_int_equal(pf_db_exec(db, NULL, "CREATE TEMP TABLE "
	    "schema_migrations (version int)", 0, NULL), PF_OK);
	assert_int_equal(pf_db_exec(db, NULL, "INSERT INTO schema_migrations "
	    "VALUES (1), (3)", 0, NULL), PF_OK);
	assert_int_equal(pf_db_schema_version(db, &v), PF_OK);
	assert_int_equal(v, 3);
	assert_int_equal(pf_db_schema_check(db, 3, err, sizeof(err)), PF_OK);
	assert_int_equal(pf_db_schema_check(db, 5, err, sizeof(err)),
	    PF_ERR_VERSION);
	assert_non_null(strstr(err, "version 3"));
	assert_non_null(strstr(err, "polarctl db migrate"));
	pf_db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlstate_mapping),
		cmocka_unit_test(test_connect_failures),
		cmocka_unit_test(test_exec_and_accessors),
		cmocka_unit_test(test_unique_violation_and_timeout),
		cmocka_unit_test(test_reconnect_after_server_goes_away),
		cmocka_unit_test(test_tx_run_retries),
		cmocka_unit_test(test_schema_version),
	};

	url = getenv("PF_TEST_DATABASE_URL");
	pf_log_init("test_db", PF_LOG_ERROR, PF_LOG_TEXT);
	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
