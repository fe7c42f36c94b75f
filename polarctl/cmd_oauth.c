/*
 * cmd_oauth.c -- connecting a Polar account: "user connect" prints the
 * Polar authorization URL, "user authorize" hands the code Polar
 * redirected back with to syncd, which exchanges it for a token,
 * registers the user with AccessLink and stores the token sealed.
 *
 * polarctl never sees the token: the exchange is syncd's, the only
 * process that talks to Polar.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/crypto.h"
#include "common/err.h"
#include "common/ipc.h"
#include "common/msg.h"

#include "polarctl.h"

#define OAUTH_TIMEOUT_MS	60000	/* token exchange + registration */
#define CODE_MAX		512
#define REDIRECT_MAX		2048

static bool
printable(const char *s, size_t max)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (n >= max || s[n] <= ' ' || s[n] == 0x7f)
			return false;
	return n > 0;
}

int
cmd_user_connect(struct ctl *ctl, int argc, char **argv)
{
	const char	*redirect = NULL;
	char		*eid = NULL, *eredir = NULL, state[33];
	int		 r;

	if ((r = ctl_opt(&argc, argv, "redirect-uri", 0, &redirect)) !=
	    PF_OK || argc != 0 ||
	    (redirect != NULL && !printable(redirect, REDIRECT_MAX))) {
		ctl_warnx("usage: polarctl user connect [--redirect-uri uri]");
		return PF_ERR_INVALID;
	}
	if (ctl->cfg->polar_client_id[0] == '\0') {
		ctl_warnx("polar_client_id is not configured: register a "
		    "client at https://admin.polaraccesslink.com first");
		return PF_ERR_INVALID;
	}
	if ((r = pf_crypto_random_hex(16, state, sizeof(state))) != PF_OK) {
		ctl_warnx("no randomness: %s", pf_strerror(r));
		return r;
	}
	eid = curl_easy_escape(NULL, ctl->cfg->polar_client_id, 0);
	if (redirect != NULL)
		eredir = curl_easy_escape(NULL, redirect, 0);
	if (eid == NULL || (redirect != NULL && eredir == NULL)) {
		r = PF_ERR_NOMEM;
		goto out;
	}
	if (ctl->json) {
		json_t	*o;
		char	 url[4096];

		snprintf(url, sizeof(url), "%s?response_type=code&client_id="
		    "%s&scope=accesslink.read_all&state=%s%s%s",
		    ctl->cfg->polar_auth_url, eid, state,
		    eredir ? "&redirect_uri=" : "", eredir ? eredir : "");
		o = json_pack("{s:s,s:s}", "url", url, "state", state);
		out_json(o);
		json_decref(o);
	} else {
		printf("%s?response_type=code&client_id=%s"
		    "&scope=accesslink.read_all&state=%s%s%s\n",
		    ctl->cfg->polar_auth_url, eid, state,
		    eredir ? "&redirect_uri=" : "", eredir ? eredir : "");
		fprintf(stderr, "Open this URL, sign in to Polar Flow and "
		    "allow access; then run\n  polarctl user authorize "
		    "<code>%s\nwith the code from the address Polar redirects "
		    "to (check that its state is %s).\n",
		    redirect ? " --redirect-uri <the same uri>" : "", state);
	}
	r = PF_OK;
out:
	curl_free(eid);
	curl_free(eredir);
	return r;
}

int
cmd_user_authorize(struct ctl *ctl, int argc, char **argv)
{
	struct pf_msg_oauth_exchange	 ox;
	const char			*redirect = NULL;
	json_t				*msg = NULL, *reply = NULL;
	int		 r;

	if ((r = ctl_opt(&argc, argv, "redirect-uri", 0, &redirect)) !=
	    PF_OK || argc != 1 || !printable(argv[0], CODE_MAX) ||
	    (redirect != NULL && !printable(redirect, REDIRECT_MAX))) {
		ctl_warnx("usage: polarctl user authorize <code> "
		    "[--redirect-uri uri]");
		return PF_ERR_INVALID;
	}
	ox = (struct pf_msg_oauth_exchange){ .code = argv[0],
	    .redirect_uri = redirect };
	if ((msg = pf_msg_oauth_exchange_pack(&ox)) == NULL)
		return PF_ERR_NOMEM;
	if ((r = ctl_call(ctl, "syncd", msg, &reply, OAUTH_TIMEOUT_MS,
	    false)) != PF_OK)
		goto out;
	if (ctl->json)
		out_json(reply);
	else
		printf("user %s authorised with Polar\n",
		    json_string_value(json_object_get(reply, "user_id")) ?
		    json_string_value(json_object_get(reply, "user_id")) : "?");
out:
	json_decref(reply);
	json_decref(msg);
	return r;
}
