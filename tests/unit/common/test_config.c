#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/config.h"
#include "common/err.h"

static char	dir[] = "/tmp/pf_test_config.XXXXXX";
static char	path[256];
static char	err[1024];

static const char *const envs[] = {
	"DATABASE_URL", "DATABASE_URL_FILE", "API_KEY", "API_KEY_FILE",
	"LOG_LEVEL", "SYNC_INTERVAL_MINUTES", "SYNC_DAYS_LOOKBACK",
	"ENCRYPTION_KEY", "POLARFLOW_SYNC_INTERVAL_MINUTES",
	"POLARFLOW_API_KEY", "DEPLOYMENT_MODE", "POLARFLOW_LOG_FORMAT",
	"SYNC_ENABLED", "CREDENTIALS_DIRECTORY",
};

static void
clear_env(void)
{
	size_t	i;

	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++)
		unsetenv(envs[i]);
}

static const char *
write_file(const char *name, const char *text)
{
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static struct pf_config *
load_ok(const char *text)
{
	struct pf_config	*cfg = NULL;
	int			 r;

	r = pf_config_load(&cfg, write_file("ok.conf", text), err,
	    sizeof(err));
	if (r != PF_OK)
		fail_msg("unexpected error: %s", err);
	return cfg;
}

static int
load_bad(const char *text)
{
	struct pf_config	*cfg = NULL;
	int			 r;

	err[0] = '\0';
	r = pf_config_load(&cfg, write_file("bad.conf", text), err,
	    sizeof(err));
	assert_int_not_equal(r, PF_OK);
	assert_null(cfg);
	return r;
}

static int
setup(void **state)
{
	(void)state;
	clear_env();
	return 0;
}

static void
test_defaults(void **state)
{
	struct pf_config	*cfg = load_ok("# nothing but a comment\n\n");

	(void)state;
	assert_string_equal(cfg->database_url, "postgresql:///polarflow");
	assert_int_equal(cfg->sync_interval_minutes, 60);
	assert_int_equal(cfg->sync_days_lookback, 28);
	assert_int_equal(cfg->api_port, 8000);
	assert_true(cfg->sync_enabled);
	assert_false(cfg->sync_on_startup);
	assert_int_equal(cfg->log_level, PF_LOG_INFO);
	assert_string_equal(cfg->api_key, "");
	assert_string_equal(cfg->rundir, "/run/polarflow");
	pf_config_free(cfg);
}

static void
test_values_and_quoting(void **state)
{
	struct pf_config	*cfg;

	(void)state;
	cfg = load_ok(
	    "sync_interval_minutes = 15   # every quarter hour\n"
	    "sync_on_startup=yes\n"
	    "  log_level = DEBUG\n"
	    "log_format = json\n"
	    "api_key = 'it''s # not a comment'\n"
	    "base_url = \"http://x/\\\"q\\\"\"\n"
	    "analytics_hrv_band_sd = 0.5\r\n"
	    "rundir = /tmp/pf\n"
	    "sync_interval_minutes = 20\n");
	assert_int_equal(cfg->sync_interval_minutes, 20);
	assert_true(cfg->sync_on_startup);
	assert_int_equal(cfg->log_level, PF_LOG_DEBUG);
	assert_int_equal(cfg->log_format, PF_LOG_JSON);
	assert_string_equal(cfg->api_key, "it's # not a comment");
	assert_string_equal(cfg->base_url, "http://x/\"q\"");
	assert_true(cfg->analytics_hrv_band_sd == 0.5);
	assert_string_equal(cfg->rundir, "/tmp/pf");
	pf_config_free(cfg);
}

static void
test_typo_reports_file_line(void **state)
{
	char	expect[512];

	(void)state;
	assert_int_equal(load_bad("# header\nsync_interval_minutes = 5\n"
	    "sync_intervall_minutes = 5\n"), PF_ERR_INVALID);
	snprintf(expect, sizeof(expect), "%s:3: unknown key "
	    "\"sync_intervall_minutes\" (did you mean "
	    "\"sync_interval_minutes\"?)", path);
	assert_string_equal(err, expect);
	load_bad("completely_unrelated_thing = 1\n");
	assert_non_null(strstr(err, ":1: unknown key"));
	assert_null(strstr(err, "did you mean"));
}

static void
test_bad_values(void **state)
{
	(void)state;
	assert_int_equal(load_bad("sync_interval_minutes = abc\n"),
	    PF_ERR_INVALID);
	assert_non_null(strstr(err, ":1: sync_interval_minutes: \"abc\" is "
	    "not an integer"));
	assert_int_equal(load_bad("\nsync_interval_minutes = 0\n"),
	    PF_ERR_RANGE);
	assert_non_null(strstr(err, ":2: sync_interval_minutes: 0 is out of "
	    "range (1..10080)"));
	assert_int_equal(load_bad("api_port = 99999999999999999999999\n"),
	    PF_ERR_RANGE);
	load_bad("api_port = 80x\n");
	load_bad("api_port = \n");
	load_bad("sync_enabled = maybe\n");
	assert_non_null(strstr(err, "is not a boolean"));
	load_bad("log_level = loud\n");
	load_bad("log_format = xml\n");
	load_bad("deployment_mode = cloud\n");
	load_bad("analytics_hrv_band_sd = nan\n");
	load_bad("analytics_hrv_band_sd = 9\n");
	load_bad("rundir = relative/path\n");
	assert_int_equal(load_bad("api_key = 'unterminated\n"), PF_ERR_PARSE);
	assert_int_equal(load_bad("api_key 'x' junk\n"), PF_ERR_PARSE);
	assert_int_equal(load_bad("= value\n"), PF_ERR_PARSE);
	assert_int_equal(load_bad("api_key = 'x' junk\n"), PF_ERR_PARSE);
	assert_int_equal(load_bad("deployment_mode = saas\n"), PF_ERR_INVALID);
	assert_non_null(strstr(err, "requires encryption_key"));
}

static void
test_long_line(void **state)
{
	char	*text;

	(void)state;
	text = malloc(PF_CONFIG_LINE_MAX + 64);
	assert_non_null(text);
	memcpy(text, "api_key = ", 10);
	memset(text + 10, 'a', PF_CONFIG_LINE_MAX + 20);
	strcpy(text + 10 + PF_CONFIG_LINE_MAX + 20, "\n");
	assert_int_equal(load_bad(text), PF_ERR_RANGE);
	free(text);
}

static void
test_polar_webhook_keys(void **state)
{
	struct pf_config	*cfg;

	(void)state;
	cfg = load_ok("");
	assert_string_equal(cfg->polar_webhook_path, "/polar/webhook");
	assert_int_equal(cfg->polar_webhook_poll_minutes, 360);
	pf_config_free(cfg);
	cfg = load_ok("polar_webhook_path = ''\n"
	    "polar_webhook_poll_minutes = 720\n");
	assert_string_equal(cfg->polar_webhook_path, "");
	assert_int_equal(cfg->polar_webhook_poll_minutes, 720);
	pf_config_free(cfg);
	assert_int_equal(load_bad("polar_webhook_path = hook\n"),
	    PF_ERR_INVALID);
	assert_non_null(strstr(err, "polar_webhook_path"));
	assert_int_equal(load_bad("polar_webhook_path = '/a?b=1'\n"),
	    PF_ERR_INVALID);
	assert_int_equal(load_bad("polar_webhook_poll_minutes = 0\n"),
	    PF_ERR_RANGE);
}

static void
test_missing_explicit_file(void **state)
{
	struct pf_config	*cfg = NULL;

	(void)state;
	assert_int_equal(pf_config_load(&cfg, "/nonexistent/polarflow.conf",
	    err, sizeof(err)), PF_ERR_IO);
	assert_null(cfg);
	assert_non_null(strstr(err, "/nonexistent/polarflow.conf"));
}

static void
test_env_overrides(void **state)
{
	struct pf_config	*cfg;

	(void)state;
	setenv("SYNC_INTERVAL_MINUTES", "30", 1);
	setenv("DATABASE_URL", "postgresql+asyncpg://polar:pw@db:5432/polar",
	    1);
	setenv("LOG_LEVEL", "WARNING", 1);
	setenv("SYNC_DAYS_LOOKBACK", "", 1);	/* empty means unset */
	cfg = load_ok("sync_interval_minutes = 10\n");
	assert_int_equal(cfg->sync_interval_minutes, 30);
	assert_string_equal(cfg->database_url,
	    "postgresql://polar:pw@db:5432/polar");
	assert_int_equal(cfg->log_level, PF_LOG_WARNING);
	assert_int_equal(cfg->sync_days_lookback, 28);
	pf_config_free(cfg);

	/* POLARFLOW_* beats the upstream name */
	setenv("POLARFLOW_SYNC_INTERVAL_MINUTES", "45", 1);
	cfg = load_ok("");
	assert_int_equal(cfg->sync_interval_minutes, 45);
	pf_config_free(cfg);

	setenv("SYNC_INTERVAL_MINUTES", "-3", 1);
	unsetenv("POLARFLOW_SYNC_INTERVAL_MINUTES");
	load_bad("");
	assert_non_null(strstr(err, "environment SYNC_INTERVAL_MINUTES: "));
	clear_env();
}

static void
test_secret_files(void **state)
{
	struct pf_config	*cfg;
	char			 keyfile[300], conf[600];

	(void)state;
	write_file("api.key", "pfk_fromfile\n\n");
	snprintf(keyfile, sizeof(keyfile), "%s", path);
	snprintf(conf, sizeof(conf), "api_key_file = %s\n", keyfile);
	cfg = load_ok(conf);
	assert_string_equal(cfg->api_key, "pfk_fromfile");
	pf_config_free(cfg);

	setenv("API_KEY_FILE", keyfile, 1);
	cfg = load_ok("");
	assert_string_equal(cfg->api_key, "pfk_fromfile");
	pf_config_free(cfg);
	setenv("API_KEY", "direct", 1);	/* the value beats its _FILE */
	cfg = load_ok("");
	assert_string_equal(cfg->api_key, "direct");
	pf_config_free(cfg);
	clear_env();

	load_bad("api_key_file = /nonexistent/key\n");
	assert_non_null(strstr(err, ":1: api_key_file: could not open"));
	/* only secrets take _file */
	load_bad("rundir_file = /etc/hostname\n");
	assert_non_null(strstr(err, "unknown key"));
}

/*
 * systemd credentials: found under the key's name or with the polarflow_
 * prefix of a directory credential; they beat the file (whose _file path
 * is then never opened) and lose to the environment.
 */
static void
test_credentials(void **state)
{
	struct pf_config	*cfg;
	char			 cred[300];

	(void)state;
	snprintf(cred, sizeof(cred), "%s/creds", dir);
	assert_int_equal(mkdir(cred, 0700), 0);
	write_file("creds/polarflow_encryption_key", "from-credential\n");
	write_file("creds/api_key", "pfk_credential\n");
	setenv("CREDENTIALS_DIRECTORY", cred, 1);
	cfg = load_ok("encryption_key_file = /nonexistent/unreadable\n"
	    "api_key = inline\n");
	assert_string_equal(cfg->encryption_key, "from-credential");
	assert_string_equal(cfg->api_key, "pfk_credential");
	pf_config_free(cfg);
	/* a secret without a credential still needs its file */
	load_bad("polar_client_secret_file = /nonexistent/secret\n");
	assert_non_null(strstr(err, "polar_client_secret_file: could not "
	    "open"));
	setenv("API_KEY", "from-env", 1);
	cfg = load_ok("");
	assert_string_equal(cfg->api_key, "from-env");
	pf_config_free(cfg);
	/* only a secret is ever taken from the credentials */
	write_file("creds/polarflow_rundir", "/nope\n");
	cfg = load_ok("");
	assert_string_not_equal(cfg->rundir, "/nope");
	pf_config_free(cfg);
	clear_env();
}

static void
test_dump_masks_secrets(void **state)
{
	struct pf_config	*cfg;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*fp;

	(void)state;
	cfg = load_ok("api_key = supersecret\nbase_url = 'a''b'\n");
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	pf_config_dump(cfg, fp, false);
	fclose(fp);
	assert_null(strstr(buf, "supersecret"));
	assert_non_null(strstr(buf, "api_key = (set)\n"));
	assert_non_null(strstr(buf, "encryption_key = (unset)\n"));
	assert_non_null(strstr(buf, "base_url = 'a''b'\n"));
	assert_non_null(strstr(buf, "sync_interval_minutes = 60\n"));
	free(buf);

	/* a dump reads back to the same configuration */
	fp = open_memstream(&buf, &len);
	pf_config_dump(cfg, fp, true);
	fclose(fp);
	pf_config_free(cfg);
	cfg = load_ok(buf);
	assert_string_equal(cfg->api_key, "supersecret");
	assert_string_equal(cfg->base_url, "a'b");
	free(buf);
	pf_config_free(cfg);
}

static void
test_normalize_db_url(void **state)
{
	char	a[] = "postgresql+asyncpg://u:p@h/db";
	char	b[] = "postgres+psycopg://h/db";
	char	c[] = "host=/tmp dbname=x";
	char	d[] = "postgresql+broken";

	(void)state;
	pf_config_normalize_db_url(a);
	pf_config_normalize_db_url(b);
	pf_config_normalize_db_url(c);
	pf_config_normalize_db_url(d);
	assert_string_equal(a, "postgresql://u:p@h/db");
	assert_string_equal(b, "postgres://h/db");
	assert_string_equal(c, "host=/tmp dbname=x");
	assert_string_equal(d, "postgresql+broken");
}

static int
group_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	char	cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_values_and_quoting, setup),
		cmocka_unit_test_setup(test_typo_reports_file_line, setup),
		cmocka_unit_test_setup(test_bad_values, setup),
		cmocka_unit_test_setup(test_long_line, setup),
		cmocka_unit_test_setup(test_missing_explicit_file, setup),
		cmocka_unit_test_setup(test_env_overrides, setup),
		cmocka_unit_test_setup(test_secret_files, setup),
		cmocka_unit_test_setup(test_credentials, setup),
		cmocka_unit_test_setup(test_dump_masks_secrets, setup),
		cmocka_unit_test_setup(test_normalize_db_url, setup),
		cmocka_unit_test_setup(test_polar_webhook_keys, setup),
	};

	return cmocka_run_group_tests_name("config", tests, group_setup,
	    group_teardown);
}
