/*
 * fuzz_apid_front.c -- apid's front door (frontparse.c): the checks and
 * rewrites of a request's header block before kore parses it, and where
 * one request ends in what the socket holds.
 *
 * The input is what a client sent, as received into a buffer of kore's
 * header size.  front_check() must refuse with a status apid documents,
 * ask for more only while there is room, or pass a block that it would
 * pass again unchanged (the rewrites are idempotent) and that kore's
 * parser can take: one header block ending in CRLF CRLF.  front_extent()
 * must never take more than it was given, in whatever pieces the bytes
 * arrive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apid/apid.h"

#define CAP	8192	/* the launcher's http_header_max */

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int	refusals[] = {
	400, 404, 405, 408, 413, 414, 431, 501, 505
};

static void
check_refusal(const struct front_req *fr)
{
	size_t	i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (fr->status == refusals[i])
			break;
	if (i == sizeof(refusals) / sizeof(refusals[0]) ||
	    fr->detail == NULL || fr->detail[0] == '\0' ||
	    memchr(fr->method, '\0', sizeof(fr->method)) == NULL ||
	    memchr(fr->path, '\0', sizeof(fr->path)) == NULL ||
	    memchr(fr->allow, '\0', sizeof(fr->allow)) == NULL ||
	    (fr->status == 405) != (fr->allow[0] != '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		buf[CAP], again[CAP];
	struct front_req	fr, fr2;
	size_t			len, len2, have, step, n, k;
	int			r;

	if (size > CAP)
		size = CAP;
	/* Arriving in pieces: never more than offered, never past the end. */
	for (have = 0, step = 1 + (size % 7); have < size; have += k) {
		n = size - have < step ? size - have : step;
		memcpy(buf, data, have + n);
		if ((k = front_extent(buf, have, n)) > n)
			abort();
		/* Short of what was offered: the request ended there. */
		if (k < n)
			break;
	}

	memcpy(buf, data, size);
	len = size;
	r = front_check(buf, &len, CAP, &fr);
	if (len > CAP)
		abort();
	switch (r) {
	case FRONT_MORE:
		if (len >= CAP)
			abort();
		break;
	case FRONT_REFUSE:
		check_refusal(&fr);
		break;
	case FRONT_PASS:
		if (memmem(buf, len, "\r\n\r\n", 4) == NULL)
			abort();
		memcpy(again, buf, len);
		len2 = len;
		if (front_check(again, &len2, CAP, &fr2) != FRONT_PASS ||
		    len2 != len || memcmp(again, buf, len) != 0)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
