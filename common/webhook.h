/*
 * webhook.h -- what polarctl and apid share about the webhooks out:
 * checking a subscription's URL and event list, making its secret.
 * (syncd delivers them: syncd/hooksend.c.)
 */
#ifndef PF_COMMON_WEBHOOK_H
#define PF_COMMON_WEBHOOK_H

#include <stddef.h>

#include <jansson.h>

#define PF_WEBHOOK_URL_MAX	2048
/* "whsec_" + base64 of 24 random bytes + NUL */
#define PF_WEBHOOK_SECRET_SIZE	(6 + 32 + 1)
#define PF_WEBHOOK_DESC_MAX	200

/* The event types, NULL-terminated. */
extern const char *const pf_webhook_events[];

/*
 * Is url an absolute http(s) URL with a host, no user info, no fragment,
 * printable ASCII and at most PF_WEBHOOK_URL_MAX bytes?  Where the
 * address may point is syncd's check, at delivery (it resolves the name).
 * PF_OK, or PF_ERR_INVALID with a sentence in err.
 */
int	pf_webhook_url_check(const char *url, char *err, size_t errlen);

/*
 * A comma-separated list of event types ("" or "*": every type) as a new
 * JSON array of strings into *out (caller's).  PF_ERR_INVALID with a
 * sentence in err for an unknown type.
 */
int	pf_webhook_events_parse(const char *list, json_t **out, char *err,
	    size_t errlen);
/* The same check for a JSON array of strings (an empty array: all). */
int	pf_webhook_events_check(const json_t *arr, char *err, size_t errlen);

/* A new random signing secret, "whsec_" + base64. */
int	pf_webhook_secret_new(char out[PF_WEBHOOK_SECRET_SIZE]);

#endif /* PF_COMMON_WEBHOOK_H */
