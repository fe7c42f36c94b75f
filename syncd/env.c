/*
 * env.c -- the daemon's one global and what changes it after start-up:
 * configuration (re)load, the encryption key, the client secret, events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/config.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "common/xmalloc.h"

#include "syncd.h"

struct syncd *env;

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

void
syncd_apply_log(const struct pf_config *cfg)
{
	pf_log_set_format(cfg->log_format);
	pf_log_set_level(env->verbose ? PF_LOG_DEBUG : cfg->log_level);
}

int
syncd_load_key(struct pf_config *cfg, unsigned char key[PF_CRYPTO_KEYBYTES],
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
void
syncd_load_client_secret(void)
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

	if (pf_config_load(&ncfg, env->conf_path, err, sizeof(err)) != PF_OK) {
		pf_log_warnx("reload: %s; keeping the old configuration", err);
		return false;
	}
	if (syncd_load_key(ncfg, key, err, sizeof(err)) != PF_OK) {
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
	syncd_apply_log(env->cfg);
	syncd_load_client_secret();
	sched_poke();
	pf_log_info("configuration reloaded");
	return true;
}

