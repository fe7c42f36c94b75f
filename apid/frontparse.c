/*
 * frontparse.c -- the checks apid makes on a request's header block
 * before kore parses it (front.c does the I/O).
 *
 * kore 4.1 answers malformed or unsupported requests itself, with an
 * empty body and sometimes the wrong status, and parses some requests
 * in ways a proxy in front of apid would not: it silently ignores header
 * lines past its 24th, takes the first of two Content-Length headers,
 * ignores Transfer-Encoding and reads no body for GET, so the bytes of
 * such a body become "the next request".  Everything kore would refuse
 * or misread is refused here first, with a status and a sentence for
 * apid's JSON error body, so that kore only ever sees requests it
 * handles as intended.  Two requests are rewritten instead of refused:
 * header fields with an empty value are dropped (kore refuses them, yet
 * an empty "X-API-Key:" is just a missing key) and a POST without
 * Content-Length gets "content-length: 0" (curl -X POST sends none).
 *
 * Pure: no kore, so the unit tests and the fuzzer drive it directly.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "apid/apid.h"

/* kore keeps the request line and 23 header lines (HTTP_REQ_HEADER_MAX). */
#define FRONT_MAX_FIELDS	23
/* kore refuses a request target of HTTP_URI_LEN - 1 bytes or more. */
#define FRONT_TARGET_MAX	1998
#define FRONT_CL_DIGITS		18

static const char	cl_line[] = "content-length: 0\r\n";

/* RFC 9110 tchar */
static bool
is_tchar(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) !=
	    NULL);
}

static const char *
find_crlfcrlf(const char *buf, size_t from, size_t len)
{
	size_t	i;

	for (i = from; i + 4 <= len; i++)
		if (buf[i] == '\r' && memcmp(buf + i, "\r\n\r\n", 4) == 0)
			return buf + i;
	return NULL;
}

static int
refuse(struct front_req *fr, int status, const char *detail)
{
	fr->status = status;
	fr->detail = detail;
	return FRONT_REFUSE;
}

/* Content-Length's value: digits only; -1 when it is not a length. */
static long long
parse_length(const char *v, size_t len)
{
	long long	n = 0;
	size_t		i;

	if (len == 0 || len > FRONT_CL_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

size_t
front_extent(const char *buf, size_t have, size_t add)
{
	const char	*end, *p, *eol;
	size_t		 hend, from = have > 3 ? have - 3 : 0;
	long long	 cl = 0;

	if ((end = find_crlfcrlf(buf, from, have + add)) == NULL)
		return add;
	hend = (size_t)(end - buf) + 4;
	/* The first Content-Length: two are refused anyway. */
	for (p = buf; p < end; p = eol + 2) {
		eol = p;
		while (eol < end && !(eol[0] == '\r' && eol[1] == '\n'))
			eol++;
		if (eol - p > 15 && strncasecmp(p, "content-length:", 15) == 0) {
			const char	*v = p + 15, *ve = eol;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			cl = parse_length(v, (size_t)(ve - v));
			if (cl < 0 || (cl > APID_BODY_MAX &&
			    (size_t)cl > apid_ingest_body_max))
				cl = 0;
			break;
		}
		if (eol >= end)
			break;
	}
	if (hend + (size_t)cl <= have)
		return 0;
	if (hend + (size_t)cl - have < add)
		return hend + (size_t)cl - have;
	return add;
}

/* Drops buf[at, at + n) of the *len bytes held. */
static void
cut(char *buf, size_t *len, size_t at, size_t n)
{
	memmove(buf + at, buf + at + n, *len - at - n);
	*len -= n;
}

static void
set_method(struct front_req *fr, const char *m, size_t n)
{
	snprintf(fr->method, sizeof(fr->method), "%.*s", (int)n, m);
}

static void
set_path(struct front_req *fr, const char *t, size_t n)
{
	size_t	q;

	for (q = 0; q < n && t[q] != '?'; q++)
		;
	snprintf(fr->path, sizeof(fr->path), "%.*s", (int)q, t);
	fr->path_whole = q < sizeof(fr->path);
}

enum method_kind { M_GET, M_NOBODY, M_POST, M_UNSERVED, M_UNKNOWN };

static enum method_kind
method_kind(const char *m)
{
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return M_GET;
	if (strcmp(m, "DELETE") == 0 || strcmp(m, "OPTIONS") == 0)
		return M_NOBODY;
	if (strcmp(m, "POST") == 0)
		return M_POST;
	if (strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0 ||
	    strcmp(m, "TRACE") == 0 || strcmp(m, "CONNECT") == 0)
		return M_UNSERVED;
	return M_UNKNOWN;
}

/* 404 or 405 for a method no route serves. */
static int
not_served(struct front_req *fr)
{
	if (!fr->path_whole ||
	    route_allow(fr->path, fr->allow, sizeof(fr->allow)) == 0) {
		fr->allow[0] = '\0';
		return refuse(fr, 404, "Not Found");
	}
	return refuse(fr, 405, "Method Not Allowed");
}

int
front_check(char *buf, size_t *lenp, size_t cap, struct front_req *fr)
{
	const char	*end, *p, *eol, *sp1, *sp2;
	size_t		 len = *lenp, i, nfields = 0, nhost = 0, ncl = 0;
	size_t		 hlen;
	size_t		 mlen, tlen;
	long long	 cl = -1;
	bool		 http10;
	enum method_kind kind;

	memset(fr, 0, sizeof(*fr));
	/* Leading empty lines are allowed before a request (RFC 9112). */
	while (len >= 2 && buf[0] == '\r' && buf[1] == '\n')
		cut(buf, &len, 0, 2);
	*lenp = len;
	/*
	 * Only the header block: body bytes read with it (front_extent)
	 * are the body's, and a JSON body has bare newlines.
	 */
	if ((end = find_crlfcrlf(buf, 0, len)) != NULL)
		hlen = (size_t)(end - buf) + 4;
	else
		hlen = len;
	for (i = 0; i < hlen; i++) {
		if (buf[i] == '\0')
			return refuse(fr, 400, "Malformed request: NUL byte");
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			return refuse(fr, 400, "Malformed request: lines "
			    "must end with CRLF");
	}
	if (end == NULL) {
		if (len < cap)
			return FRONT_MORE;
		for (i = 0; i + 1 < len; i++)
			if (buf[i] == '\r' && buf[i + 1] == '\n')
				return refuse(fr, 431, "Request header fields "
				    "too large");
		return refuse(fr, 414, "URI Too Long");
	}

	/* The request line: method SP target SP version. */
	eol = memmem(buf, len, "\r\n", 2);
	if ((sp1 = memchr(buf, ' ', (size_t)(eol - buf))) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) == NULL ||
	    memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)) != NULL)
		return refuse(fr, 400, "Malformed request line");
	mlen = (size_t)(sp1 - buf);
	tlen = (size_t)(sp2 - sp1 - 1);
	if (mlen == 0 || tlen == 0)
		return refuse(fr, 400, "Malformed request line");
	for (i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)buf[i]))
			return refuse(fr, 400, "Malformed request line");
	set_method(fr, buf, mlen);
	for (i = 0; i < tlen; i++)
		if (sp1[1 + i] <= ' ' || sp1[1 + i] > '~')
			return refuse(fr, 400, "Malformed request target");
	set_path(fr, sp1 + 1, tlen);
	if ((size_t)(eol - sp2 - 1) != 8 || strncasecmp(sp2 + 1, "HTTP/", 5))
		return refuse(fr, 400, "Malformed request line");
	if (strncasecmp(sp2 + 1, "HTTP/1.1", 8) == 0)
		http10 = false;
	else if (strncasecmp(sp2 + 1, "HTTP/1.0", 8) == 0)
		http10 = true;
	else
		return refuse(fr, 505, "HTTP Version Not Supported");
	if (tlen > FRONT_TARGET_MAX)
		return refuse(fr, 414, "URI Too Long");
	if (sp1[1] != '/')
		return refuse(fr, 400, "Malformed request target: a path "
		    "starting with / is required");
	if (mlen >= sizeof(fr->method))
		return refuse(fr, 501, "Not Implemented");

	/* Header fields, one per line up to the empty one. */
	for (p = eol + 2; p < end + 2; p = eol + 2) {
		const char	*colon, *v, *ve;

		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (++nfields > FRONT_MAX_FIELDS)
			return refuse(fr, 431, "Request header fields too "
			    "large: at most 23 fields");
		if (*p == ' ' || *p == '\t')
			return refuse(fr, 400, "Malformed header field: "
			    "folded lines are not accepted");
		for (colon = p; colon < eol && is_tchar((unsigned char)*colon);
		    colon++)
			;
		if (colon == p || colon == eol || *colon != ':')
			return refuse(fr, 400, "Malformed header field");
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		for (i = 0; v + i < ve; i++)
			if ((v[i] < ' ' && v[i] != '\t') ||
			    (unsigned char)v[i] > '~')
				return refuse(fr, 400, "Invalid character in "
				    "a header field's value");
#define FIELD(n)	((size_t)(colon - p) == sizeof(n) - 1 && \
			    strncasecmp(p, n, sizeof(n) - 1) == 0)
		if (FIELD("host")) {
			if (v == ve)
				return refuse(fr, 400, "Empty Host header");
			nhost++;
		} else if (FIELD("content-length")) {
			if ((cl = parse_length(v, (size_t)(ve - v))) < 0)
				return refuse(fr, 400, "Invalid Content-Length");
			ncl++;
		} else if (FIELD("transfer-encoding")) {
			return refuse(fr, 501, "Transfer-Encoding is not "
			    "supported: send the body with Content-Length");
		}
#undef FIELD
		if (v == ve) {
			/* kore refuses empty values: the field is dropped. */
			size_t	at = (size_t)(p - buf);
			size_t	n = (size_t)(eol - p) + 2;

			cut(buf, &len, at, n);
			end -= n;
			eol = buf + at - 2;
			nfields--;
		}
	}
	*lenp = len;
	if (nhost != 1)
		return refuse(fr, 400, nhost ? "More than one Host header" :
		    "Missing Host header");
	if (ncl > 1)
		return refuse(fr, 400, "More than one Content-Length header");

	kind = method_kind(fr->method);
	if (kind == M_UNKNOWN)
		return refuse(fr, 501, "Not Implemented");
	if (kind == M_UNSERVED || (http10 && strcmp(fr->method, "DELETE") ==
	    0) || (http10 && strcmp(fr->method, "OPTIONS") == 0))
		return not_served(fr);
	if (kind != M_POST) {
		if (cl > 0)
			return refuse(fr, 400, "This request method takes no "
			    "body");
		return FRONT_PASS;
	}
	if (cl > APID_BODY_MAX) {
		/* the ingest routes take more (api_ingest_body_max_kb) */
		struct apid_match	m;

		if (!fr->path_whole || (size_t)cl > route_body_max(
		    route_match(fr->method, fr->path, &m)))
			return refuse(fr, 413, "Request body too large");
	}
	if (cl < 0) {
		/* An empty body: say so before the empty line. */
		size_t	at = (size_t)(end - buf) + 2;

		/* One more field than kore keeps would lose the last one. */
		if (nfields >= FRONT_MAX_FIELDS ||
		    len + sizeof(cl_line) - 1 > cap)
			return refuse(fr, 431, "Request header fields too "
			    "large");
		memmove(buf + at + sizeof(cl_line) - 1, buf + at, len - at);
		memcpy(buf + at, cl_line, sizeof(cl_line) - 1);
		*lenp = len + sizeof(cl_line) - 1;
	}
	return FRONT_PASS;
}
