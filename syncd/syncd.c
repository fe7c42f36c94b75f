/*
 * syncd.c -- polarflow-syncd: start-up, the poll() loop, signals, reload.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/daemon.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xmalloc.h"

#include "pf_schema.h"
#include "syncd.h"

#define MAX_PFD		(4 + 128)

bool	 syncd_reload(void);

static const char	*conf_path;
static bool		 verbose;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-nv] [-f file]\n", SYNCD_PROG);
	exit(1);
}

void
syncd_publish(json_t *ev)
{
	int	 r;

	if (ev == NULL)
		return;
	if (env->pub != NULL && (r = pf_ipc_publish(env->pub, ev)) != PF_OK)
		pf_log_warnx("could not publish event: %s", pf_strerror(r));
	json_decref(ev);
}

static void
apply_log(const struct pf_config *cfg)
{
	pf_log_set_format(cfg->log_format);
	pf_log_set_level(verbose ? PF_LOG_DEBUG : cfg->log_level);
}

static int
load_secrets(struct pf_config *cfg, unsigned char key[PF_CRYPTO_KEYBYTES],
    char *err, size_t errlen)
{
	if (cfg->encryption_key == NULL || *cfg->encryption_key == '\0') {
		snprintf(err, errlen, "encryption_key is not set: syncd keeps "
		    "Polar tokens encrypted and cannot start without it "
		    "(generate one with \"polarctl key generate\" or any "
		    "32-byte base64/hex key)");
		return PF_ERR_INVALID;
	}
	if (pf_crypto_key_parse(cfg->encryption_key, key) != PF_OK) {
		snprintf(err, errlen, "encryption_key is not a valid key "
		    "(64 hex digits or base64 of 32 bytes)");
		return PF_ERR_INVALID;
	}
	return PF_OK;
}

/* The client secret: from the configuration, else sealed in app_settings. */
static void
load_client_secret(void)
{
	char	*sealed = NULL, *plain = NULL;
	size_t	 len;

	if (env->client_secret != NULL)
		pf_freezero(env->client_secret, strlen(env->client_secret));
	env->client_secret = NULL;
	if (env->cfg->polar_client_secret != NULL &&
	    *env->cfg->polar_client_secret != '\0') {
		env->client_secret = pf_xstrdup(env->cfg->polar_client_secret);
		return;
	}
	if (env->db == NULL || store_client_secret(env->db, &sealed) != PF_OK)
		return;
	if (pf_crypto_open(env->key, sealed, &plain, &len) == PF_OK) {
		env->client_secret = pf_xstrndup(plain, len);
		pf_freezero(plain, len + 1);
	} else
		pf_log_warnx("app_settings.polar_client_secret_enc cannot be "
		    "decrypted with encryption_key");
	free(sealed);
}

bool
syncd_reload(void)
{
	struct pf_config	*ncfg;
	unsigned char		 key[PF_CRYPTO_KEYBYTES];
	char			 err[512];

	if (pf_config_load(&ncfg, conf_path, err, sizeof(err)) != PF_OK) {
		pf_log_warnx("reload: %s; keeping the old configuration", err);
		return false;
	}
	if (load_secrets(ncfg, key, err, sizeof(err)) != PF_OK) {
		pf_log_warnx("reload: %s; keeping the old configuration", err);
		pf_config_free(ncfg);
		return false;
	}
	if (strcmp(ncfg->database_url ? ncfg->database_url : "",
	    env->cfg->database_url ? env->cfg->database_url : "") != 0)
		pf_log_warnx("reload: database_url changes need a restart");
	pf_config_free(env->cfg);
	env->cfg = ncfg;
	memcpy(env->key, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	apply_log(env->cfg);
	load_client_secret();
	sched_poke();
	pf_log_info("configuration reloaded");
	return true;
}

static void
handle_ctl(void)
{
	struct pf_ipc_request	*req;

	while (pf_ipc_server_next(env->ctl, &req) == PF_OK)
		ctl_dispatch(req);
}

static void
loop(int sigfd)
{
	struct pollfd	 pfd[MAX_PFD];
	int64_t		 now, dl, t;
	int		 n, ncurl, sig, timeout;

	while (!env->quit) {
		n = 0;
		pfd[n].fd = sigfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = pf_ipc_server_fd(env->ctl);
		pfd[n++].events = POLLIN;
		ncurl = fetch_pollfds(pfd + n, MAX_PFD - n);
		now = pf_time_mono_ms();
		dl = fetch_next_deadline(now);
		if ((t = sched_next_deadline()) < dl)
			dl = t;
		if (dl == INT64_MAX || dl - now > 60000)
			timeout = 60000;
		else
			timeout = dl <= now ? 0 : (int)(dl - now);
		if (poll(pfd, (nfds_t)(n + ncurl), timeout) == -1) {
			if (errno == EINTR)
				continue;
			pf_fatal("poll");
		}
		if (pfd[0].revents & POLLIN) {
			sig = pf_daemon_signals_take();
			if (sig & PF_SIG_TERM) {
				pf_log_info("received termination signal");
				env->quit = true;
				break;
			}
			if (sig & PF_SIG_HUP)
				syncd_reload();
			if (sig & PF_SIG_USR1) {
				verbose = !verbose;
				apply_log(env->cfg);
			}
		}
		if (pfd[1].revents & POLLIN)
			handle_ctl();
		fetch_poll_done(pfd + 2, ncurl);
		fetch_run();
		sched_run(pf_time_mono_ms());
		fetch_run();
	}
}

int
main(int argc, char *argv[])
{
	struct syncd		 sd;
	struct pf_db_opts	 opts;
	char			 err[512], url[256];
	bool			 check = false;
	int			 ch, r, sigfd;

	while ((ch = getopt(argc, argv, "f:nv")) != -1) {
		switch (ch) {
		case 'f':
			conf_path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	memset(&sd, 0, sizeof(sd));
	env = &sd;
	pf_log_init(SYNCD_PROG, PF_LOG_INFO, PF_LOG_TEXT);
	if (pf_config_load(&env->cfg, conf_path, err, sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
	apply_log(env->cfg);
	if (pf_crypto_init() != PF_OK)
		pf_fatalx("could not initialise libsodium");
	if (load_secrets(env->cfg, env->key, err, sizeof(err)) != PF_OK)
		pf_fatalx("%s", err);
	if (check) {
		fprintf(stderr, "configuration OK\n");
		pf_config_free(env->cfg);
		return 0;
	}

	pf_db_opts_default(&opts);
	opts.connect_attempts = env->cfg->database_connect_attempts;
	opts.statement_timeout_ms = env->cfg->database_statement_timeout_ms;
	opts.application_name = SYNCD_PROG;
	if (pf_db_connect(&env->db, env->cfg->database_url, &opts, err,
	    sizeof(err)) != PF_OK)
		pf_fatalx("could not connect to the database: %s", err);
	if (pf_db_schema_check(env->db, PF_SCHEMA_VERSION, err, sizeof(err)) !=
	    PF_OK)
		pf_fatalx("%s", err);
	load_client_secret();

	if (pf_daemon_rundir(env->cfg->rundir) == -1)
		pf_fatal("could not create %s", env->cfg->rundir);
	if (pf_ipc_url(url, sizeof(url), env->cfg->rundir, "syncd.ctl") !=
	    PF_OK)
		pf_fatalx("rundir %s is too long for a socket path",
		    env->cfg->rundir);
	if ((r = pf_ipc_server_open(&env->ctl, url, 0660)) != PF_OK)
		pf_fatalx("could not listen on %s: %s", url, r == PF_ERR_BUSY ?
		    "another syncd is running" : pf_strerror(r));
	if (pf_ipc_url(url, sizeof(url), env->cfg->rundir, "events") != PF_OK ||
	    (r = pf_ipc_pub_open(&env->pub, url, 0660)) != PF_OK)
		pf_fatalx("could not publish events on %s/events",
		    env->cfg->rundir);
	if ((sigfd = pf_daemon_signals_init()) == -1)
		pf_fatal("could not set up signals");
	if (fetch_init() != PF_OK)
		pf_fatalx("could not initialise libcurl");
	sync_init();
	sched_init();
	if (store_startup_cleanup(env->db) != PF_OK)
		pf_log_warnx("could not close interrupted sync logs: %s",
		    pf_db_errmsg(env->db));
	if (env->cfg->sync_enabled && env->cfg->sync_on_startup &&
	    store_mark_all_due(env->db) != PF_OK)
		pf_log_warnx("could not schedule the start-up sync: %s",
		    pf_db_errmsg(env->db));
	env->started_ms = pf_time_now_ms();
	pf_daemon_notify("READY=1");
	pf_log_info("started (schema %d, interval %d min, concurrency %d)",
	    PF_SCHEMA_VERSION, env->cfg->sync_interval_minutes,
	    env->cfg->sync_max_concurrency);

	loop(sigfd);

	pf_daemon_notify("STOPPING=1");
	sync_abort_all("syncd is shutting down");
	fetch_fini();
	pf_ipc_server_close(env->ctl);
	pf_ipc_pub_close(env->pub);
	pf_ipc_fini();
	pf_db_close(env->db);
	if (env->client_secret != NULL)
		pf_freezero(env->client_secret, strlen(env->client_secret));
	pf_config_free(env->cfg);
	pf_log_info("terminating");
	return 0;
}
