/*
 * webhook.c -- subscriptions of the webhooks out: URL and event checks,
 * secrets.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/err.h"
#include "common/webhook.h"

#define SECRET_BYTES	24

const char *const pf_webhook_events[] = {
	"data.changed", "analytics.updated", "user.reauth_required",
	"user.deleted", "sync.failed", NULL,
};

static bool
event_known(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; pf_webhook_events[i] != NULL; i++)
		if (strlen(pf_webhook_events[i]) == len &&
		    memcmp(pf_webhook_events[i], s, len) == 0)
			return true;
	return false;
}

int
pf_webhook_url_check(const char *url, char *err, size_t errlen)
{
	const char	*host, *p;
	size_t		 len, hl;

	if (url == NULL || (len = strlen(url)) == 0) {
		snprintf(err, errlen, "url is required");
		return PF_ERR_INVALID;
	}
	if (len > PF_WEBHOOK_URL_MAX) {
		snprintf(err, errlen, "url is longer than %d bytes",
		    PF_WEBHOOK_URL_MAX);
		return PF_ERR_INVALID;
	}
	for (p = url; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			snprintf(err, errlen, "url must be printable ASCII "
			    "without spaces");
			return PF_ERR_INVALID;
		}
	if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else {
		snprintf(err, errlen, "url must start with https:// or http://");
		return PF_ERR_INVALID;
	}
	hl = strcspn(host, "/?#");
	if (hl == 0 || memchr(host, '@', hl) != NULL) {
		snprintf(err, errlen, "url must name a host (without user "
		    "info)");
		return PF_ERR_INVALID;
	}
	if (strchr(url, '#') != NULL) {
		snprintf(err, errlen, "url must not have a fragment");
		return PF_ERR_INVALID;
	}
	return PF_OK;
}

int
pf_webhook_events_parse(const char *list, json_t **out, char *err,
    size_t errlen)
{
	const char	*p = list, *e;
	size_t		 len;
	json_t		*a = json_array();

	*out = NULL;
	if (list == NULL || *list == '\0' || strcmp(list, "*") == 0) {
		*out = a;
		return PF_OK;
	}
	for (;;) {
		e = strchr(p, ',');
		len = e ? (size_t)(e - p) : strlen(p);
		if (!event_known(p, len)) {
			snprintf(err, errlen, "unknown event type \"%.*s\" "
			    "(data.changed, analytics.updated, "
			    "user.reauth_required, user.deleted, sync.failed)",
			    (int)(len > 40 ? 40 : len), p);
			json_decref(a);
			return PF_ERR_INVALID;
		}
		json_array_append_new(a, json_stringn(p, len));
		if (e == NULL)
			break;
		p = e + 1;
	}
	*out = a;
	return PF_OK;
}

int
pf_webhook_events_check(const json_t *arr, char *err, size_t errlen)
{
	size_t		 i;
	const json_t	*v;
	const char	*s;

	if (!json_is_array(arr) || json_array_size(arr) > 16) {
		snprintf(err, errlen, "events must be an array of at most 16 "
		    "event types");
		return PF_ERR_INVALID;
	}
	json_array_foreach(arr, i, v) {
		s = json_string_value(v);
		if (s == NULL || !event_known(s, strlen(s))) {
			snprintf(err, errlen, "unknown event type in events "
			    "(data.changed, analytics.updated, "
			    "user.reauth_required, user.deleted, sync.failed)");
			return PF_ERR_INVALID;
		}
	}
	return PF_OK;
}

int
pf_webhook_secret_new(char out[PF_WEBHOOK_SECRET_SIZE])
{
	unsigned char	 b[SECRET_BYTES];

	if (sodium_init() < 0)
		return PF_ERR_INTERNAL;
	randombytes_buf(b, sizeof(b));
	memcpy(out, "whsec_", 6);
	sodium_bin2base64(out + 6, PF_WEBHOOK_SECRET_SIZE - 6, b, sizeof(b),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(b, sizeof(b));
	return PF_OK;
}
