/*
 * fuzz_mcp.c -- MCP's pure parts (mcp_tools.c, mcp_proto.c) on what a
 * client sends.
 *
 * The input is a tools/call's "arguments" (any JSON: mcp.c hands over
 * whatever the member holds); every tool checks it, and what a tool
 * accepts must bind into the statement's parameter buffers: no more than
 * MCP_NPARAMS, each NUL-terminated within the 128 bytes of struct
 * reqctx's pbuf, the days in range and a user id valid.  What a tool
 * refuses must come with an error text.  The same bytes, as a C string,
 * go through the Accept, Content-Type and Origin checks and the SSE
 * framing, whose output must be one event of "data: " lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/ident.h"

#include "apid/apid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_tools(const json_t *args)
{
	struct mcp_args	 a;
	char		 err[256], buf[MCP_NPARAMS + 1][128];
	const char	*pv[MCP_NPARAMS + 1];
	size_t		 t;
	int		 i, n;

	for (t = 0; t < mcp_ntools; t++) {
		memset(err, 'x', sizeof(err));
		if (mcp_tool_args((int)t, args, &a, err, sizeof(err)) != 0) {
			if (memchr(err, '\0', sizeof(err)) == NULL ||
			    err[0] == '\0')
				abort();
			continue;
		}
		if (a.sql == NULL || a.days < MCP_DAYS_MIN ||
		    a.days > MCP_DAYS_MAX || (a.user_id[0] != '\0' &&
		    !pf_user_id_valid(a.user_id)))
			abort();
		n = mcp_tool_bind((int)t, &a, a.user_id[0] ? a.user_id : "u",
		    buf, pv);
		if (n < 1 || n > MCP_NPARAMS)
			abort();
		for (i = 0; i < n; i++)
			if (pv[i] != buf[i] ||
			    memchr(buf[i], '\0', sizeof(buf[i])) == NULL)
				abort();
	}
}

static void
check_sse(const char *s, size_t len)
{
	struct pf_buf	 b;
	const char	*p, *nl;

	pf_buf_init(&b);
	mcp_sse_frame(&b, s, len);
	pf_buf_add(&b, "", 1);
	if (strncmp(b.p, "event: message\n", 15) != 0)
		abort();
	/* after the event line: "data: " lines, then one empty line */
	for (p = b.p + 15; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (nl == p) {
			if (nl[1] != '\0')
				abort();
			break;
		}
		if (strncmp(p, "data: ", 6) != 0)
			abort();
	}
	pf_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t	*v;
	char	*s, *e;

	if (size > 65536)
		return 0;
	v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	check_tools(v);
	json_decref(v);

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)mcp_accept(s);
	(void)mcp_json_ctype(s);
	(void)mcp_version_known(s);
	if (mcp_origin_allowed(s, "https://claude.ai, http://localhost:6274") &&
	    strcasestr(s, "claude.ai") == NULL && strstr(s, "6274") == NULL)
		abort();
	(void)mcp_origin_allowed("https://claude.ai", s);
	if (strcmp(mcp_version_pick(s), s) != 0 &&
	    strcmp(mcp_version_pick(s), MCP_VERSION_LATEST) != 0)
		abort();
	e = mcp_error_body(NULL, -32600, s);
	if (e == NULL)
		abort();
	free(e);
	check_sse(s, strlen(s));
	free(s);
	return 0;
}
