/*
 * oauthurl.c -- the SaaS OAuth bridge's URL rules, without kore: which
 * callback URLs a caller may name, and how parameters are added to one.
 *
 * A callback is accepted only when its origin (scheme://host[:port],
 * lower-cased) is written in oauth_allowed_callbacks: the bridge hands a
 * temporary code for a user's API key to that URL, so an open redirect
 * here would give the key to whoever builds the link.  https only, except
 * for loopback hosts, which never leave the machine.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"

#include "apid/apid.h"

static void
setwhy(char *why, size_t whylen, const char *s)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", s);
}

static bool
host_ok(const char *h, size_t len)
{
	size_t	i;

	if (len == 0 || len > 253)
		return false;
	if (h[0] == '[')		/* an IPv6 literal */
		return len > 2 && h[len - 1] == ']' &&
		    strspn(h + 1, "0123456789abcdefABCDEF:.") == len - 2;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' &&
		    h[i] != '-')
			return false;
	return true;
}

static bool
port_ok(const char *p, size_t len)
{
	unsigned long	v = 0;
	size_t		i;

	if (len == 0 || len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static bool
loopback(const char *h, size_t len)
{
	static const char *const names[] = { "localhost", "127.0.0.1",
	    "[::1]" };
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(h, names[i],
		    len) == 0)
			return true;
	return false;
}

/* Is origin (len bytes, lower-case) one of the entries of list? */
static bool
listed(const char *list, const char *origin, size_t len)
{
	const char	*p = list, *e;
	size_t		 n, i;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		e = p + strcspn(p, " \t,");
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == '/')
			n--;
		if (n == len) {
			for (i = 0; i < n; i++)
				if (tolower((unsigned char)p[i]) != origin[i])
					break;
			if (i == n)
				return true;
		}
		p = e;
	}
	return false;
}

int
oauth_callback_check(const char *url, const char *allowed, char *why,
    size_t whylen)
{
	char		 origin[300];
	const char	*auth, *end, *colon;
	size_t		 i, len = strlen(url), hlen;
	bool		 https;

	if (len == 0 || len > OAUTH_CALLBACK_MAX) {
		setwhy(why, whylen, "callback_url must be 1 to 2048 bytes");
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f ||
		    (unsigned char)url[i] >= 0x80) {
			setwhy(why, whylen, "callback_url contains a space, "
			    "a control or a non-ASCII character");
			return -1;
		}
	if (strchr(url, '#') != NULL) {
		setwhy(why, whylen, "callback_url must not have a fragment");
		return -1;
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		https = true;
		auth = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		https = false;
		auth = url + 7;
	} else {
		setwhy(why, whylen, "callback_url must be an http(s) URL");
		return -1;
	}
	end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL) {
		setwhy(why, whylen, "callback_url must not carry credentials");
		return -1;
	}
	/* host[:port], the host maybe a bracketed IPv6 literal */
	colon = NULL;
	if (*auth == '[') {
		const char *rb = memchr(auth, ']', (size_t)(end - auth));

		if (rb != NULL && rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
	} else
		colon = memchr(auth, ':', (size_t)(end - auth));
	hlen = (size_t)((colon ? colon : end) - auth);
	if (!host_ok(auth, hlen) ||
	    (colon != NULL && !port_ok(colon + 1, (size_t)(end - colon - 1)))) {
		setwhy(why, whylen, "callback_url has no valid host");
		return -1;
	}
	if (!https && !loopback(auth, hlen)) {
		setwhy(why, whylen, "callback_url must use https (http is "
		    "allowed for localhost only)");
		return -1;
	}
	if (allowed == NULL || allowed[strspn(allowed, " \t,")] == '\0') {
		setwhy(why, whylen, "No callback origins are registered on "
		    "this server (set oauth_allowed_callbacks)");
		return -1;
	}
	len = (size_t)(end - url);
	if (len >= sizeof(origin)) {
		setwhy(why, whylen, "callback_url has no valid host");
		return -1;
	}
	for (i = 0; i < len; i++)
		origin[i] = (char)tolower((unsigned char)url[i]);
	origin[len] = '\0';
	if (!listed(allowed, origin, len)) {
		setwhy(why, whylen,
		    "callback_url origin is not registered on this server");
		return -1;
	}
	return 0;
}

/* RFC 3986 unreserved characters pass, everything else is %XX. */
static void
add_escaped(struct pf_buf *b, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 e[3];

	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr("-._~", *s) != NULL) {
			pf_buf_add(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[(unsigned char)*s >> 4];
		e[2] = hex[(unsigned char)*s & 15];
		pf_buf_add(b, e, 3);
	}
}

void
oauth_url_param(struct pf_buf *b, const char *name, const char *value)
{
	const char	*p = b->p;
	char		 last = b->len > 0 ? p[b->len - 1] : '\0';

	if (b->len == 0 || memchr(p, '?', b->len) == NULL)
		pf_buf_adds(b, "?");
	else if (last != '?' && last != '&')
		pf_buf_adds(b, "&");
	pf_buf_adds(b, name);
	pf_buf_adds(b, "=");
	add_escaped(b, value);
}
