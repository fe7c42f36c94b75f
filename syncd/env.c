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

struct pf_daemon *env;
struct syncd *syncd;

void
syncd_publish(json_t *ev)
{
	int	 r;

	if (ev == NULL)
		return;
	if (syncd->pub != NULL && (r = pf_ipc_publish(syncd->pub, ev)) != PF_OK)
		pf_log_warnx("could not publish event: %s", pf_strerror(r));
	json_decref(ev);
}

int
syncd_load_key(const struct pf_config *cfg,
    unsigned char key[PF_CRYPTO_KEYBYTES], char *err, size_t errlen)
{
	if (cfg->encryption_key == NULL || *cfg->encryption_key == '\0') {
		snprintf(err, errlen, "encryption_key is not set: syncd keeps "
		    "Polar tokens encrypted and cannot start without it "
		    "(\"polarctl setup\" makes one in the credentials store, "
		    "which the unit passes to syncd; outside systemd name it "
		    "with encryption_key_file, or give any 32-byte base64/hex "
		    "key)");
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
syncd_load_client_secret(const struct pf_config *cfg)
{
	char	*sealed = NULL, *plain = NULL;
	size_t	 len;

	if (syncd->client_secret != NULL)
		pf_freezero(syncd->client_secret, strlen(syncd->client_secret));
	syncd->client_secret = NULL;
	if (cfg->polar_client_secret != NULL &&
	    *cfg->polar_client_secret != '\0') {
		syncd->client_secret = pf_xstrdup(cfg->polar_client_secret);
		return;
	}
	if (env->db == NULL || store_client_secret(env->db, &sealed) != PF_OK)
		return;
	if (pf_crypto_open(syncd->key, sealed, &plain, &len) == PF_OK) {
		syncd->client_secret = pf_xstrndup(plain, len);
		pf_freezero(plain, len + 1);
	} else
		pf_log_warnx("app_settings.polar_client_secret_enc cannot be "
		    "decrypted with encryption_key");
	free(sealed);
}

int
syncd_reload(const struct pf_config *ncfg, char *err, size_t errlen)
{
	unsigned char	key[PF_CRYPTO_KEYBYTES];
	int		r;

	if ((r = syncd_load_key(ncfg, key, err, errlen)) != PF_OK)
		return r;
	memcpy(syncd->key, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	syncd_load_client_secret(ncfg);
	sched_poke();
	return PF_OK;
}
