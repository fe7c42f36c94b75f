/*
 * mcp_proto.c -- the pure parts of MCP's Streamable HTTP transport:
 * protocol revisions, the Accept and Content-Type checks, the Origin
 * allow-list, JSON-RPC error bodies and SSE framing.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/buf.h"

#include "apid/apid.h"

/* Newest first: a client asking for another gets the newest. */
static const char *const versions[] = {
	MCP_VERSION_LATEST, "2025-06-18", "2025-03-26", "2024-11-05",
};

bool
mcp_version_known(const char *v)
{
	size_t	i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(v, versions[i]) == 0)
			return true;
	return false;
}

const char *
mcp_version_pick(const char *asked)
{
	size_t	i;

	for (i = 0; asked != NULL && i < sizeof(versions) /
	    sizeof(versions[0]); i++)
		if (strcmp(asked, versions[i]) == 0)
			return versions[i];
	return versions[0];
}

/* Does the comma-separated media-range list hold type (or a wildcard)? */
static bool
accept_has(const char *accept, const char *type, bool wild)
{
	const char	*p = accept, *e, *semi;
	size_t		 n, tl = strlen(type);

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		semi = memchr(p, ';', (size_t)(e - p));
		n = (size_t)((semi ? semi : e) - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == tl && strncasecmp(p, type, tl) == 0)
			return true;
		if (wild && ((n == 3 && strncmp(p, "*/*", 3) == 0) ||
		    (n == 13 && strncasecmp(p, "application/*", 13) == 0)))
			return true;
		p = e;
	}
	return false;
}

int
mcp_accept(const char *accept)
{
	if (accept == NULL || *accept == '\0')
		return 0;
	if (accept_has(accept, "application/json", true))
		return 0;
	if (accept_has(accept, "text/event-stream", false))
		return 1;
	return -1;
}

bool
mcp_json_ctype(const char *ctype)
{
	size_t	n = strlen("application/json");

	if (ctype == NULL || strncasecmp(ctype, "application/json", n) != 0)
		return false;
	ctype += n;
	while (*ctype == ' ')
		ctype++;
	return *ctype == '\0' || *ctype == ';';
}

/* scheme://host[:port] of s, lower-cased, without a trailing "/". */
static size_t
origin_norm(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	i;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '/'))
		len--;
	if (len == 0 || len >= outlen)
		return 0;
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = '\0';
	return len;
}

bool
mcp_origin_allowed(const char *origin, const char *list)
{
	char		 want[256], have[256];
	const char	*p, *e;

	if (list == NULL || origin_norm(origin, strlen(origin), want,
	    sizeof(want)) == 0)
		return false;
	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		if (origin_norm(p, (size_t)(e - p), have, sizeof(have)) == 0)
			continue;
		if (strcmp(have, "*") == 0 || strcmp(have, want) == 0)
			return true;
	}
	return false;
}

char *
mcp_error_body(const char *idjson, int code, const char *message)
{
	json_t	*m = json_string(message);
	char	*msg = m ? json_dumps(m, JSON_ENCODE_ANY) : NULL;
	char	*out = NULL;

	json_decref(m);
	if (msg == NULL)
		return strdup("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
		    "{\"code\":-32603,\"message\":\"Internal error\"}}");
	if (asprintf(&out, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":"
	    "{\"code\":%d,\"message\":%s}}", idjson ? idjson : "null", code,
	    msg) < 0)
		out = NULL;
	free(msg);
	return out;
}

void
mcp_sse_frame(struct pf_buf *out, const char *json, size_t len)
{
	const char	*p = json, *end = json + len, *nl;

	pf_buf_adds(out, "event: message\n");
	/* Each line of the payload is a data line of the one event. */
	do {
		nl = memchr(p, '\n', (size_t)(end - p));
		pf_buf_adds(out, "data: ");
		pf_buf_add(out, p, (size_t)((nl ? nl : end) - p));
		pf_buf_adds(out, "\n");
		p = nl ? nl + 1 : end;
	} while (p < end);
	pf_buf_adds(out, "\n");
}
